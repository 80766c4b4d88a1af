//! Typed views of Graph security resources.
//!
//! Each resource keeps the JSON object exactly as Graph sent it (`raw`) beside the typed
//! fields the console shows, so export and the raw view lose nothing while the queue works on
//! compact typed data. Typed fields are lenient (see [`super::lenient`]): an odd field gives
//! `None`, never a failed page.

use super::enums::*;
use super::lenient;
use serde::de::Deserializer;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

/// One page of a Graph collection.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `@odata.nextLink`, to be followed verbatim.
    pub next_link: Option<String>,
    /// `@odata.count` when `$count=true` was asked.
    pub count: Option<u64>,
    /// Items that were present but could not be read at all (not objects, or no id).
    pub skipped: usize,
}

/// The envelope of a collection response before items are typed.
#[derive(Debug, Deserialize)]
pub struct RawPage<'a> {
    #[serde(default, borrow)]
    pub value: Vec<&'a RawValue>,
    #[serde(rename = "@odata.nextLink", default)]
    pub next_link: Option<String>,
    #[serde(rename = "@odata.count", default, deserialize_with = "lenient::int")]
    pub count: Option<i64>,
}

/// Parses a collection body into typed items, skipping (and counting) items that fail.
pub fn parse_page<T>(body: &str) -> Result<Page<T>, serde_json::Error>
where
    T: FromRaw,
{
    parse_page_with(body, |_| {})
}

/// [`parse_page`], calling `on_next_link` with `@odata.nextLink` as soon as the envelope is
/// read and before the items are typed, so a pager can start fetching the next page while
/// this one is still being parsed.
pub fn parse_page_with<T>(
    body: &str,
    on_next_link: impl FnOnce(Option<&str>),
) -> Result<Page<T>, serde_json::Error>
where
    T: FromRaw,
{
    let raw: RawPage<'_> = serde_json::from_str(body)?;
    on_next_link(raw.next_link.as_deref());
    let mut items = Vec::with_capacity(raw.value.len());
    let mut skipped = 0;
    for item in raw.value {
        match T::from_raw(item) {
            Ok(v) => items.push(v),
            Err(_) => skipped += 1,
        }
    }
    Ok(Page {
        items,
        next_link: raw.next_link,
        count: raw.count.and_then(|c| u64::try_from(c).ok()),
        skipped,
    })
}

/// A resource built from its raw JSON object, keeping that object.
pub trait FromRaw: Sized {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error>;
}

/// `microsoft.graph.security.alert` (alerts_v2).
#[derive(Debug, Clone)]
pub struct Alert {
    pub id: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub recommended_actions: Option<String>,
    pub severity: Option<AlertSeverity>,
    pub status: Option<AlertStatus>,
    pub classification: Option<AlertClassification>,
    pub determination: Option<AlertDetermination>,
    pub service_source: Option<ServiceSource>,
    pub detection_source: Option<DetectionSource>,
    pub investigation_state: Option<InvestigationState>,
    pub category: Option<String>,
    pub categories: Vec<String>,
    pub assigned_to: Option<String>,
    pub incident_id: Option<String>,
    pub provider_alert_id: Option<String>,
    pub detector_id: Option<String>,
    pub tenant_id: Option<String>,
    pub product_name: Option<String>,
    pub actor_display_name: Option<String>,
    pub threat_display_name: Option<String>,
    pub threat_family_name: Option<String>,
    pub alert_web_url: Option<String>,
    pub incident_web_url: Option<String>,
    pub created: Option<OffsetDateTime>,
    pub last_update: Option<OffsetDateTime>,
    pub resolved: Option<OffsetDateTime>,
    pub first_activity: Option<OffsetDateTime>,
    pub last_activity: Option<OffsetDateTime>,
    pub mitre_techniques: Vec<String>,
    pub system_tags: Vec<String>,
    pub comments: Vec<AlertComment>,
    pub evidence: Vec<Evidence>,
    /// The object exactly as Graph returned it.
    pub raw: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertFields {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    description: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    recommended_actions: Option<String>,
    #[serde(default)]
    severity: Option<AlertSeverity>,
    #[serde(default)]
    status: Option<AlertStatus>,
    #[serde(default)]
    classification: Option<AlertClassification>,
    #[serde(default)]
    determination: Option<AlertDetermination>,
    #[serde(default)]
    service_source: Option<ServiceSource>,
    #[serde(default)]
    detection_source: Option<DetectionSource>,
    #[serde(default)]
    investigation_state: Option<InvestigationState>,
    #[serde(default, deserialize_with = "lenient::string")]
    category: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    categories: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    assigned_to: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    incident_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    provider_alert_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    detector_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    product_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    actor_display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    threat_display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    threat_family_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    alert_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    incident_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    created_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    last_update_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    resolved_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    first_activity_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    last_activity_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::strings")]
    mitre_techniques: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    system_tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    comments: Vec<AlertComment>,
    #[serde(default, deserialize_with = "lenient::list")]
    evidence: Vec<Evidence>,
}

impl FromRaw for Alert {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        // serde's derived structs also accept a JSON array (fields by position); an alert
        // is only ever an object.
        if !raw.get().trim_start().starts_with('{') {
            return Err(<serde_json::Error as serde::de::Error>::custom(
                "an alert must be a JSON object",
            ));
        }
        let f: AlertFields = serde_json::from_str(raw.get())?;
        let id =
            f.id.ok_or_else(|| <serde_json::Error as serde::de::Error>::missing_field("id"))?;
        Ok(Alert {
            id,
            title: f.title,
            description: f.description,
            recommended_actions: f.recommended_actions,
            severity: f.severity,
            status: f.status,
            classification: f.classification,
            determination: f.determination,
            service_source: f.service_source,
            detection_source: f.detection_source,
            investigation_state: f.investigation_state,
            category: f.category,
            categories: f.categories,
            assigned_to: f.assigned_to,
            incident_id: f.incident_id,
            provider_alert_id: f.provider_alert_id,
            detector_id: f.detector_id,
            tenant_id: f.tenant_id,
            product_name: f.product_name,
            actor_display_name: f.actor_display_name,
            threat_display_name: f.threat_display_name,
            threat_family_name: f.threat_family_name,
            alert_web_url: f.alert_web_url,
            incident_web_url: f.incident_web_url,
            created: f.created_date_time,
            last_update: f.last_update_date_time,
            resolved: f.resolved_date_time,
            first_activity: f.first_activity_date_time,
            last_activity: f.last_activity_date_time,
            mitre_techniques: f.mitre_techniques,
            system_tags: f.system_tags,
            comments: f.comments,
            evidence: f.evidence,
            raw: raw.to_owned(),
        })
    }
}

/// Two alerts are equal when Graph sent the same object.
impl PartialEq for Alert {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl Alert {
    /// Parses one alert object (e.g. a GET or PATCH reply).
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(body)?;
        Self::from_raw(raw)
    }

    /// Every evidence item with its subtype-specific fields, read from the kept raw JSON.
    /// Done on demand (e.g. for the detail view) so the loaded list stays compact.
    pub fn evidence_details(&self) -> Vec<EvidenceDetails> {
        #[derive(Deserialize)]
        struct EvidenceOnly {
            #[serde(default, deserialize_with = "lenient::list")]
            evidence: Vec<EvidenceDetails>,
        }
        serde_json::from_str::<EvidenceOnly>(self.raw.get())
            .map(|e| e.evidence)
            .unwrap_or_default()
    }

    /// The categories to show: `categories` when present, else the deprecated `category`.
    pub fn category_text(&self) -> String {
        if self.categories.is_empty() {
            self.category.clone().unwrap_or_default()
        } else {
            self.categories.join(", ")
        }
    }
}

impl<'de> Deserialize<'de> for Alert {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Alert::from_raw(&raw).map_err(serde::de::Error::custom)
    }
}

/// Serializes as the original JSON, so export is lossless.
impl Serialize for Alert {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// `security.alertComment`. Older documented incident bodies use `createdBy`/`createdTime`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertComment {
    #[serde(default, deserialize_with = "lenient::string")]
    pub comment: Option<String>,
    #[serde(default, alias = "createdBy", deserialize_with = "lenient::string")]
    pub created_by_display_name: Option<String>,
    #[serde(
        default,
        alias = "createdTime",
        deserialize_with = "lenient::datetime",
        serialize_with = "time::serde::rfc3339::option::serialize"
    )]
    pub created_date_time: Option<OffsetDateTime>,
}

/// A comments collection reply (`POST .../comments` answers with all comments).
#[derive(Debug, Clone, Deserialize)]
pub struct CommentList {
    #[serde(default, deserialize_with = "lenient::list")]
    pub value: Vec<AlertComment>,
}

/// `security.userAccount`
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAccount {
    #[serde(default, deserialize_with = "lenient::string")]
    pub account_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_sid: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub azure_ad_user_id: Option<String>,
}

impl UserAccount {
    /// The best single name: UPN, else DOMAIN\account, else display name.
    pub fn name(&self) -> Option<String> {
        let nonempty =
            |o: &Option<String>| o.as_deref().filter(|s| !s.is_empty()).map(str::to_owned);
        nonempty(&self.user_principal_name)
            .or_else(
                || match (nonempty(&self.domain_name), nonempty(&self.account_name)) {
                    (Some(d), Some(a)) => Some(format!("{d}\\{a}")),
                    (None, Some(a)) => Some(a),
                    _ => None,
                },
            )
            .or_else(|| nonempty(&self.display_name))
    }
}

/// `security.fileDetails`
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDetails {
    #[serde(default, deserialize_with = "lenient::string")]
    pub file_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub file_path: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub sha1: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub sha256: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub file_size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub file_publisher: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub signer: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub issuer: Option<String>,
}

/// One `security.alertEvidence` item as the queue keeps it: the subtype (`@odata.type`), the
/// fields common to every subtype, and the one value an analyst names it by.
///
/// A tenant's whole alert list is held in memory, so this stays small; the subtype-specific
/// fields are read on demand from the alert's raw JSON with [`Alert::evidence_details`].
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Evidence {
    pub odata_type: Option<String>,
    pub created_date_time: Option<OffsetDateTime>,
    pub verdict: Option<EvidenceVerdict>,
    pub remediation_status: Option<EvidenceRemediationStatus>,
    pub roles: Vec<EvidenceRole>,
    pub detailed_roles: Vec<String>,
    pub tags: Vec<String>,
    pub detection_status: Option<String>,
    name: Option<String>,
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        EvidenceDetails::deserialize(d).map(Evidence::from)
    }
}

impl From<EvidenceDetails> for Evidence {
    fn from(e: EvidenceDetails) -> Self {
        let name = e.name();
        Evidence {
            odata_type: e.odata_type,
            created_date_time: e.created_date_time,
            verdict: e.verdict,
            remediation_status: e.remediation_status,
            roles: e.roles,
            detailed_roles: e.detailed_roles,
            tags: e.tags,
            detection_status: e.detection_status,
            name,
        }
    }
}

impl Evidence {
    /// The subtype's short name, e.g. `deviceEvidence` → `device`; `evidence` when absent.
    pub fn kind(&self) -> &str {
        evidence_kind(self.odata_type.as_deref())
    }

    /// The value an analyst identifies this evidence by (host, account, file, address...).
    pub fn name(&self) -> Option<String> {
        self.name.clone()
    }
}

fn evidence_kind(odata_type: Option<&str>) -> &str {
    let t = odata_type.unwrap_or("");
    let short = t.rsplit('.').next().unwrap_or(t).trim_start_matches('#');
    let short = short.strip_suffix("Evidence").unwrap_or(short);
    if short.is_empty() { "evidence" } else { short }
}

/// One evidence item with the subtype-specific fields the console shows for the common
/// subtypes (device, user, ip, url, file, process, mailbox, registry, message...).
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EvidenceDetails {
    #[serde(rename = "@odata.type", default, deserialize_with = "lenient::string")]
    pub odata_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    pub created_date_time: Option<OffsetDateTime>,
    #[serde(default)]
    pub verdict: Option<EvidenceVerdict>,
    #[serde(default)]
    pub remediation_status: Option<EvidenceRemediationStatus>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub roles: Vec<EvidenceRole>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub detailed_roles: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub tags: Vec<String>,
    // deviceEvidence
    #[serde(default, deserialize_with = "lenient::string")]
    pub device_dns_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub host_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub os_platform: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub mde_device_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub health_status: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub risk_score: Option<String>,
    // userEvidence, processEvidence
    #[serde(default, deserialize_with = "lenient::object")]
    pub user_account: Option<UserAccount>,
    // ipEvidence
    #[serde(default, deserialize_with = "lenient::string")]
    pub ip_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub country_letter_code: Option<String>,
    // urlEvidence
    #[serde(default, deserialize_with = "lenient::string")]
    pub url: Option<String>,
    // fileEvidence
    #[serde(default, deserialize_with = "lenient::object")]
    pub file_details: Option<FileDetails>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub detection_status: Option<String>,
    // processEvidence
    #[serde(default, deserialize_with = "lenient::int")]
    pub process_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub parent_process_id: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub process_command_line: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub image_file: Option<FileDetails>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub parent_process_image_file: Option<FileDetails>,
    // mailboxEvidence and others with a display name
    #[serde(default, deserialize_with = "lenient::string")]
    pub primary_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub upn: Option<String>,
    // registryKeyEvidence, registryValueEvidence
    #[serde(default, deserialize_with = "lenient::string")]
    pub registry_key: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub registry_hive: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub registry_value_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub registry_value: Option<String>,
    // analyzedMessageEvidence
    #[serde(default, deserialize_with = "lenient::string")]
    pub subject: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub sender_ip: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub network_message_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub recipient_email_address: Option<String>,
    // cloudApplication, oauthApplication, malware, kubernetes*, ...
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub app_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub domain_name: Option<String>,
}

impl EvidenceDetails {
    /// The subtype's short name, e.g. `deviceEvidence` → `device`; `evidence` when absent.
    pub fn kind(&self) -> &str {
        evidence_kind(self.odata_type.as_deref())
    }

    /// The value an analyst identifies this evidence by (host, account, file, address...).
    pub fn name(&self) -> Option<String> {
        let s = |o: &Option<String>| o.as_deref().filter(|v| !v.is_empty()).map(str::to_owned);
        let file = |f: &Option<FileDetails>| f.as_ref().and_then(|f| s(&f.file_name));
        match self.kind() {
            "device" => s(&self.device_dns_name)
                .or_else(|| s(&self.host_name))
                .or_else(|| s(&self.mde_device_id)),
            "user" => self.user_account.as_ref().and_then(UserAccount::name),
            "ip" => s(&self.ip_address),
            "url" => s(&self.url),
            "file" => file(&self.file_details),
            "process" => file(&self.image_file).or_else(|| s(&self.process_command_line)),
            "mailbox" => s(&self.primary_address)
                .or_else(|| s(&self.upn))
                .or_else(|| s(&self.display_name)),
            "registryKey" => s(&self.registry_key),
            "registryValue" => s(&self.registry_value_name).or_else(|| s(&self.registry_key)),
            "analyzedMessage" => s(&self.subject).or_else(|| s(&self.network_message_id)),
            _ => s(&self.display_name)
                .or_else(|| s(&self.name))
                .or_else(|| s(&self.url))
                .or_else(|| s(&self.ip_address))
                .or_else(|| s(&self.domain_name))
                .or_else(|| self.user_account.as_ref().and_then(UserAccount::name))
                .or_else(|| file(&self.file_details)),
        }
    }
}

/// A PATCH body for an alert: only the updatable fields, only those being changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertUpdate {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub status: Option<AlertStatus>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assigned_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub classification: Option<AlertClassification>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub determination: Option<AlertDetermination>,
}

impl AlertUpdate {
    pub fn is_empty(&self) -> bool {
        self == &AlertUpdate::default()
    }

    /// Applies this update to a local copy, for optimistic display of a pending write.
    pub fn apply_to(&self, alert: &mut Alert) {
        if let Some(s) = &self.status {
            alert.status = Some(s.clone());
        }
        if let Some(a) = &self.assigned_to {
            alert.assigned_to = Some(a.clone());
        }
        if let Some(c) = &self.classification {
            alert.classification = Some(c.clone());
        }
        if let Some(d) = &self.determination {
            alert.determination = Some(d.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_keeps_raw_and_types_fields() {
        let body = r##"{"@odata.nextLink":"http://x/next","@odata.count":2,"value":[
            {"id":"a1","severity":"high","status":"new","title":"T","classification":null,
             "evidence":[{"@odata.type":"#microsoft.graph.security.userEvidence",
                          "userAccount":{"accountName":"bob","domainName":"CORP"}}],
             "brandNewField":{"x":[1,2]}},
            42,
            ["a1", "positional"],
            {"title":"no id"}
        ]}"##;
        let page: Page<Alert> = parse_page(body).unwrap();
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.skipped, 3);
        assert_eq!(page.count, Some(2));
        assert_eq!(page.next_link.as_deref(), Some("http://x/next"));
        let a = &page.items[0];
        assert_eq!(a.severity, Some(AlertSeverity::High));
        assert_eq!(a.classification, None);
        assert_eq!(a.evidence[0].kind(), "user");
        assert_eq!(a.evidence[0].name().as_deref(), Some("CORP\\bob"));
        let details = a.evidence_details();
        assert_eq!(details.len(), 1);
        assert_eq!(details[0].kind(), "user");
        let account = details[0]
            .user_account
            .as_ref()
            .map(|u| u.account_name.clone());
        assert_eq!(account, Some(Some("bob".to_owned())));
        assert!(a.raw.get().contains("brandNewField"));
        assert_eq!(serde_json::to_string(a).unwrap(), a.raw.get());
    }

    #[test]
    fn update_serializes_only_changed_fields() {
        let u = AlertUpdate {
            status: Some(AlertStatus::InProgress),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&u).unwrap(),
            r#"{"status":"inProgress"}"#
        );
    }
}
