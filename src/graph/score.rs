//! Secure Score: `microsoft.graph.secureScore` (one snapshot a day) and
//! `microsoft.graph.secureScoreControlProfile` (one per control, with its state history).
//!
//! Same rules as [`super::incidents::Incident`]: each object is kept exactly as Graph sent it
//! (`raw`) beside lenient typed fields. The documented bodies have keys with a trailing
//! space (`"rank "`, `"deprecated "`) and `certificationControl` for `certificationControls`;
//! both spellings are read.

use super::lenient;
use super::models::FromRaw;
use crate::open_enum;
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

open_enum!(
    /// A control's state in `controlStateUpdates`, as the docs list them.
    ControlState {
        Default = "Default",
        Ignored = "Ignored",
        ThirdParty = "ThirdParty",
        Reviewed = "Reviewed",
    }
);

/// A number, or a string holding one; anything else gives `None`.
/// `securityVendorInformation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VendorInformation {
    #[serde(default, deserialize_with = "lenient::string")]
    pub provider: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub provider_version: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub sub_provider: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub vendor: Option<String>,
}

impl VendorInformation {
    /// What the docs send with every control-profile update.
    pub fn secure_score() -> Self {
        VendorInformation {
            provider: Some("SecureScore".into()),
            provider_version: None,
            sub_provider: None,
            vendor: Some("Microsoft".into()),
        }
    }
}

/// `averageComparativeScore` (open type: the per-area scores arrive as strings).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AverageComparativeScore {
    #[serde(default, deserialize_with = "lenient::string")]
    pub basis: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub average_score: Option<f64>,
}

/// `controlScore`: one control's points in a snapshot.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlScore {
    #[serde(default, deserialize_with = "lenient::string")]
    pub control_category: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub control_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub score: Option<f64>,
}

/// `microsoft.graph.secureScore`: the tenant's score on one day.
#[derive(Debug, Clone)]
pub struct SecureScore {
    pub id: String,
    pub azure_tenant_id: Option<String>,
    pub created: Option<OffsetDateTime>,
    pub current_score: Option<f64>,
    pub max_score: Option<f64>,
    pub active_user_count: Option<i64>,
    pub licensed_user_count: Option<i64>,
    pub enabled_services: Vec<String>,
    pub average_comparative_scores: Vec<AverageComparativeScore>,
    pub control_scores: Vec<ControlScore>,
    pub vendor_information: Option<VendorInformation>,
    /// The object exactly as Graph returned it.
    pub raw: Box<RawValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ScoreFields {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    azure_tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    created_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::float")]
    current_score: Option<f64>,
    #[serde(default, deserialize_with = "lenient::float")]
    max_score: Option<f64>,
    #[serde(default, deserialize_with = "lenient::int")]
    active_user_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    licensed_user_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::strings")]
    enabled_services: Vec<String>,
    #[serde(default, deserialize_with = "lenient::list")]
    average_comparative_scores: Vec<AverageComparativeScore>,
    #[serde(default, deserialize_with = "lenient::list")]
    control_scores: Vec<ControlScore>,
    #[serde(default, deserialize_with = "lenient::object")]
    vendor_information: Option<VendorInformation>,
}

fn object_only(raw: &RawValue, what: &str) -> Result<(), serde_json::Error> {
    if raw.get().trim_start().starts_with('{') {
        Ok(())
    } else {
        Err(serde_json::Error::custom(format!(
            "a {what} must be a JSON object"
        )))
    }
}

impl FromRaw for SecureScore {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        object_only(raw, "secureScore")?;
        let f: ScoreFields = serde_json::from_str(raw.get())?;
        Ok(SecureScore {
            id: f.id.ok_or_else(|| serde_json::Error::missing_field("id"))?,
            azure_tenant_id: f.azure_tenant_id,
            created: f.created_date_time,
            current_score: f.current_score,
            max_score: f.max_score,
            active_user_count: f.active_user_count,
            licensed_user_count: f.licensed_user_count,
            enabled_services: f.enabled_services,
            average_comparative_scores: f.average_comparative_scores,
            control_scores: f.control_scores,
            vendor_information: f.vendor_information,
            raw: raw.to_owned(),
        })
    }
}

impl SecureScore {
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(body)?;
        Self::from_raw(raw)
    }

    /// `currentScore` as a percentage of `maxScore`, when both are known and max is positive.
    pub fn percentage(&self) -> Option<f64> {
        match (self.current_score, self.max_score) {
            (Some(c), Some(m)) if m > 0.0 => Some(c * 100.0 / m),
            _ => None,
        }
    }
}

/// `secureScoreControlStateUpdate`: one entry of a control's state history.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StateUpdate {
    #[serde(default)]
    pub state: Option<ControlState>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub assigned_to: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub comment: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub updated_by: Option<String>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    pub updated_date_time: Option<OffsetDateTime>,
}

/// `certificationControl`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CertificationControl {
    #[serde(default, deserialize_with = "lenient::string")]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub url: Option<String>,
}

/// `complianceInformation`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplianceInformation {
    pub certification_name: Option<String>,
    /// `certificationControls`, or the docs' `certificationControl`.
    pub certification_controls: Vec<CertificationControl>,
}

impl<'de> Deserialize<'de> for ComplianceInformation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Fields {
            #[serde(default, deserialize_with = "lenient::string")]
            certification_name: Option<String>,
            #[serde(default, deserialize_with = "lenient::list")]
            certification_controls: Vec<CertificationControl>,
            #[serde(default, deserialize_with = "lenient::list")]
            certification_control: Vec<CertificationControl>,
        }
        let f = Fields::deserialize(d)?;
        Ok(ComplianceInformation {
            certification_name: f.certification_name,
            certification_controls: if f.certification_controls.is_empty() {
                f.certification_control
            } else {
                f.certification_controls
            },
        })
    }
}

/// `microsoft.graph.secureScoreControlProfile`.
#[derive(Debug, Clone)]
pub struct SecureScoreControlProfile {
    pub id: String,
    pub title: Option<String>,
    pub azure_tenant_id: Option<String>,
    pub control_category: Option<String>,
    pub max_score: Option<f64>,
    pub rank: Option<i64>,
    pub tier: Option<String>,
    pub implementation_cost: Option<String>,
    pub user_impact: Option<String>,
    pub action_type: Option<String>,
    pub service: Option<String>,
    pub threats: Vec<String>,
    pub remediation: Option<String>,
    pub remediation_impact: Option<String>,
    pub action_url: Option<String>,
    pub deprecated: Option<bool>,
    pub compliance_information: Vec<ComplianceInformation>,
    /// Oldest first, as Graph lists them; the last is the control's current state.
    pub control_state_updates: Vec<StateUpdate>,
    pub last_modified: Option<OffsetDateTime>,
    pub vendor_information: Option<VendorInformation>,
    /// The object exactly as Graph returned it.
    pub raw: Box<RawValue>,
}

impl FromRaw for SecureScoreControlProfile {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        object_only(raw, "secureScoreControlProfile")?;
        // Keys are matched with surrounding spaces trimmed: the docs' bodies carry
        // `"rank "` and `"deprecated "`.
        let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw.get())?;
        let mut trimmed = serde_json::Map::with_capacity(obj.len());
        for (k, v) in &obj {
            let t = k.trim();
            // The exact spelling wins over a padded duplicate.
            if t == k || !obj.contains_key(t) {
                trimmed.insert(t.to_owned(), v.clone());
            }
        }
        let f: ProfileFields = serde_json::from_value(serde_json::Value::Object(trimmed))?;
        Ok(SecureScoreControlProfile {
            id: f.id.ok_or_else(|| serde_json::Error::missing_field("id"))?,
            title: f.title,
            azure_tenant_id: f.azure_tenant_id,
            control_category: f.control_category,
            max_score: f.max_score,
            rank: f.rank,
            tier: f.tier,
            implementation_cost: f.implementation_cost,
            user_impact: f.user_impact,
            action_type: f.action_type,
            service: f.service,
            threats: f.threats,
            remediation: f.remediation,
            remediation_impact: f.remediation_impact,
            action_url: f.action_url,
            deprecated: f.deprecated,
            compliance_information: f.compliance_information,
            control_state_updates: f.control_state_updates,
            last_modified: f.last_modified_date_time,
            vendor_information: f.vendor_information,
            raw: raw.to_owned(),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProfileFields {
    #[serde(default, deserialize_with = "lenient::string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    title: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    azure_tenant_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    control_category: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    max_score: Option<f64>,
    #[serde(default, deserialize_with = "lenient::int")]
    rank: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    tier: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    implementation_cost: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    user_impact: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    action_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    service: Option<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    threats: Vec<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    remediation: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    remediation_impact: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    action_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    deprecated: Option<bool>,
    #[serde(default, deserialize_with = "lenient::list")]
    compliance_information: Vec<ComplianceInformation>,
    #[serde(default, deserialize_with = "lenient::list")]
    control_state_updates: Vec<StateUpdate>,
    #[serde(default, deserialize_with = "lenient::datetime")]
    last_modified_date_time: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    vendor_information: Option<VendorInformation>,
}

impl SecureScoreControlProfile {
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(body)?;
        Self::from_raw(raw)
    }

    /// The newest state in `controlStateUpdates`, if any.
    pub fn state(&self) -> Option<&ControlState> {
        self.control_state_updates
            .iter()
            .rev()
            .find_map(|u| u.state.as_ref())
    }
}

macro_rules! raw_traits {
    ($t:ty) => {
        /// Equal when Graph sent the same object.
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.raw.get() == other.raw.get()
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = Box::<RawValue>::deserialize(d)?;
                <$t>::from_raw(&raw).map_err(D::Error::custom)
            }
        }

        /// Serializes as the original JSON, so export is lossless.
        impl Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.raw.serialize(s)
            }
        }
    };
}

raw_traits!(SecureScore);
raw_traits!(SecureScoreControlProfile);

/// A control-profile PATCH body. `vendorInformation` is always sent (Graph requires it).
/// Also the outbox's journal form of a control write, so it reads back what it wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ControlStateUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ControlState>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_by: Option<String>,
    #[serde(default = "VendorInformation::secure_score")]
    pub vendor_information: VendorInformation,
}

impl ControlStateUpdate {
    /// An update to `state`, with the docs' vendor information.
    pub fn new(state: ControlState) -> Self {
        ControlStateUpdate {
            state: Some(state),
            ..Self::keep_state()
        }
    }

    /// An update that sets no state (an assignee or a comment alone).
    pub fn keep_state() -> Self {
        ControlStateUpdate {
            state: None,
            assigned_to: None,
            comment: None,
            updated_by: None,
            vendor_information: VendorInformation::secure_score(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_always_carries_vendor_information() {
        let mut u = ControlStateUpdate::new(ControlState::ThirdParty);
        u.comment = Some("covered by our EDR".into());
        assert_eq!(
            serde_json::to_value(&u).unwrap(),
            json!({"state": "ThirdParty", "comment": "covered by our EDR",
                   "vendorInformation": {"provider": "SecureScore", "providerVersion": null,
                                         "subProvider": null, "vendor": "Microsoft"}})
        );
    }

    #[test]
    fn update_reads_back_what_it_writes() {
        let mut u = ControlStateUpdate::new(ControlState::Reviewed);
        u.assigned_to = Some("tess".into());
        let text = serde_json::to_string(&u).unwrap();
        let back: ControlStateUpdate = serde_json::from_str(&text).unwrap();
        assert_eq!(back, u);
        // A body without vendorInformation gets the docs' one back, never none.
        let bare: ControlStateUpdate = serde_json::from_str(r#"{"state":"Ignored"}"#).unwrap();
        assert_eq!(bare.vendor_information, VendorInformation::secure_score());
        assert_eq!(bare.state, Some(ControlState::Ignored));
    }

    #[test]
    fn padded_keys_and_unknown_states_are_read() {
        let p = SecureScoreControlProfile::from_json(
            r#"{"id":"X","rank ":7,"deprecated ":"true","maxScore":"5",
                "controlStateUpdates":[{"state":"Default"},{"state":"Snoozed"}],
                "complianceInformation":[{"certificationName":"ISO","certificationControl":[{"name":"A.1"}]}]}"#,
        )
        .unwrap();
        assert_eq!(p.rank, Some(7));
        assert_eq!(p.deprecated, Some(true));
        assert_eq!(p.max_score, Some(5.0));
        assert_eq!(p.state(), Some(&ControlState::Other("Snoozed".into())));
        assert_eq!(
            p.compliance_information[0].certification_controls[0]
                .name
                .as_deref(),
            Some("A.1")
        );
    }
}
