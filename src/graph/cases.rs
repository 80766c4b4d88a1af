//! eDiscovery (Premium): `microsoft.graph.security.ediscoveryCase` and what hangs off a case
//! (custodians, non-custodial data sources, searches, review sets, legal holds, operations).
//!
//! Same rules as the other models: each object is kept exactly as Graph sent it beside
//! lenient typed fields ([`Kept`] holds both and derefs to the typed view), and every
//! status is an open enum. Graph writes .NET's minimum date (`0001-01-01T00:00:00Z`) for a
//! timestamp that was never set; the typed view reads it as `None`.

use super::lenient;
use super::models::FromRaw;
use crate::open_enum;
use serde::de::{Deserializer, Error as _};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use time::OffsetDateTime;

open_enum!(
    /// `security.caseStatus`.
    CaseStatus {
        Unknown = "unknown",
        Active = "active",
        PendingDelete = "pendingDelete",
        Closing = "closing",
        Closed = "closed",
        ClosedWithError = "closedWithError",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.caseOperationStatus`.
    OperationStatus {
        NotStarted = "notStarted",
        SubmissionFailed = "submissionFailed",
        Running = "running",
        Succeeded = "succeeded",
        PartiallySucceeded = "partiallySucceeded",
        Failed = "failed",
        UnknownFutureValue = "unknownFutureValue",
    }
);

impl OperationStatus {
    /// True once the operation will change no more.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            OperationStatus::Succeeded
                | OperationStatus::PartiallySucceeded
                | OperationStatus::Failed
                | OperationStatus::SubmissionFailed
        )
    }
}

open_enum!(
    /// `security.caseAction`: what an operation does.
    CaseAction {
        ContentExport = "contentExport",
        ApplyTags = "applyTags",
        ConvertToPdf = "convertToPdf",
        Index = "index",
        EstimateStatistics = "estimateStatistics",
        AddToReviewSet = "addToReviewSet",
        HoldUpdate = "holdUpdate",
        UnknownFutureValue = "unknownFutureValue",
        PurgeData = "purgeData",
        ExportReport = "exportReport",
        ExportResult = "exportResult",
        HoldPolicySync = "holdPolicySync",
    }
);

open_enum!(
    /// `security.dataSourceContainerStatus` (custodians, non-custodial sources).
    ContainerStatus {
        Active = "active",
        Released = "released",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `security.dataSourceHoldStatus`.
    HoldStatus {
        NotApplied = "notApplied",
        Applied = "applied",
        Applying = "applying",
        Removing = "removing",
        Partial = "partial",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// A legal hold's `status` (beta `security.policyStatus`).
    LegalHoldStatus {
        Pending = "pending",
        Error = "error",
        Success = "success",
        UnknownFutureValue = "unknownFutureValue",
    }
);

/// A timestamp, with .NET's "never set" (year 1) read as `None`. Shared by the models
/// kept with their JSON ([`Kept`]): cases, simulations, assessments.
pub(super) fn date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<OffsetDateTime>, D::Error> {
    Ok(lenient::datetime(d)?.filter(|t| t.year() > 1))
}

/// An id as text, empty when missing (a [`Kept`] object without one is then refused).
pub(super) fn id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(lenient::string(d)?.unwrap_or_default())
}

/// `graph.identity` (open: users carry `userPrincipalName` too).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_principal_name: Option<String>,
}

/// `graph.identitySet`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct IdentitySet {
    #[serde(default, deserialize_with = "lenient::object")]
    pub user: Option<Identity>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub application: Option<Identity>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub device: Option<Identity>,
}

impl IdentitySet {
    /// Who, for a person: the user's name, else their UPN or id, else the application's
    /// name. `None` when the set names nobody (the docs' open cases carry
    /// `{"user":{"id":null,"displayName":""}}` as `closedBy`).
    pub fn name(&self) -> Option<&str> {
        pick(&self.user).or_else(|| pick(&self.application))
    }
}

fn pick(i: &Option<Identity>) -> Option<&str> {
    let i = i.as_ref()?;
    [&i.display_name, &i.user_principal_name, &i.id]
        .into_iter()
        .find_map(|v| v.as_deref().filter(|s| !s.trim().is_empty()))
}

/// `security.ediscoveryCase`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdiscoveryCase {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub status: Option<CaseStatus>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_modified_by: Option<IdentitySet>,
    #[serde(default, rename = "closedDateTime", deserialize_with = "date")]
    pub closed: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub closed_by: Option<IdentitySet>,
}

/// `security.ediscoveryCustodian`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Custodian {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: Option<String>,
    #[serde(default)]
    pub status: Option<ContainerStatus>,
    #[serde(default)]
    pub hold_status: Option<HoldStatus>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, rename = "releasedDateTime", deserialize_with = "date")]
    pub released: Option<OffsetDateTime>,
    #[serde(default, rename = "acknowledgedDateTime", deserialize_with = "date")]
    pub acknowledged: Option<OffsetDateTime>,
}

/// `security.ediscoveryNoncustodialDataSource`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoncustodialDataSource {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub status: Option<ContainerStatus>,
    #[serde(default)]
    pub hold_status: Option<HoldStatus>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, rename = "releasedDateTime", deserialize_with = "date")]
    pub released: Option<OffsetDateTime>,
}

/// `graph.resultInfo`: why an operation ended as it did.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResultInfo {
    #[serde(default, deserialize_with = "lenient::int")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub subcode: Option<i64>,
}

/// What an `ediscoveryEstimateOperation` counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EstimateCounts {
    pub indexed_item_count: Option<i64>,
    pub indexed_items_size: Option<i64>,
    pub mailbox_count: Option<i64>,
    pub site_count: Option<i64>,
    pub unindexed_item_count: Option<i64>,
    pub unindexed_items_size: Option<i64>,
}

/// `security.caseOperation` and its subtypes (the subtype's name is in `odata_type`; an
/// estimate's counts are in `estimate`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaseOperation {
    pub id: String,
    /// `@odata.type`, e.g. `#microsoft.graph.security.ediscoveryEstimateOperation`.
    pub odata_type: Option<String>,
    pub action: Option<CaseAction>,
    pub status: Option<OperationStatus>,
    pub percent_progress: Option<i64>,
    pub created: Option<OffsetDateTime>,
    pub completed: Option<OffsetDateTime>,
    pub created_by: Option<IdentitySet>,
    pub result_info: Option<ResultInfo>,
    /// Present when the body carries any of the estimate's counts.
    pub estimate: Option<EstimateCounts>,
}

impl<'de> Deserialize<'de> for CaseOperation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct F {
            #[serde(default, deserialize_with = "id")]
            id: String,
            #[serde(default, rename = "@odata.type", deserialize_with = "lenient::string")]
            odata_type: Option<String>,
            #[serde(default)]
            action: Option<CaseAction>,
            #[serde(default)]
            status: Option<OperationStatus>,
            #[serde(default, deserialize_with = "lenient::int")]
            percent_progress: Option<i64>,
            #[serde(default, deserialize_with = "date")]
            created_date_time: Option<OffsetDateTime>,
            #[serde(default, deserialize_with = "date")]
            completed_date_time: Option<OffsetDateTime>,
            #[serde(default, deserialize_with = "lenient::object")]
            created_by: Option<IdentitySet>,
            #[serde(default, deserialize_with = "lenient::object")]
            result_info: Option<ResultInfo>,
            #[serde(default, deserialize_with = "lenient::int")]
            indexed_item_count: Option<i64>,
            #[serde(default, deserialize_with = "lenient::int")]
            indexed_items_size: Option<i64>,
            #[serde(default, deserialize_with = "lenient::int")]
            mailbox_count: Option<i64>,
            #[serde(default, deserialize_with = "lenient::int")]
            site_count: Option<i64>,
            #[serde(default, deserialize_with = "lenient::int")]
            unindexed_item_count: Option<i64>,
            #[serde(default, deserialize_with = "lenient::int")]
            unindexed_items_size: Option<i64>,
        }
        let f = F::deserialize(d)?;
        let counts = EstimateCounts {
            indexed_item_count: f.indexed_item_count,
            indexed_items_size: f.indexed_items_size,
            mailbox_count: f.mailbox_count,
            site_count: f.site_count,
            unindexed_item_count: f.unindexed_item_count,
            unindexed_items_size: f.unindexed_items_size,
        };
        Ok(CaseOperation {
            id: f.id,
            odata_type: f.odata_type,
            action: f.action,
            status: f.status,
            percent_progress: f.percent_progress,
            created: f.created_date_time,
            completed: f.completed_date_time,
            created_by: f.created_by,
            result_info: f.result_info,
            estimate: (counts != EstimateCounts::default()).then_some(counts),
        })
    }
}

/// `security.ediscoverySearch`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EdiscoverySearch {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub content_query: Option<String>,
    /// `dataSourceScopes`, a flags enum: its members, comma-separated on the wire.
    #[serde(default, deserialize_with = "flags")]
    pub data_source_scopes: Vec<String>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<IdentitySet>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_modified_by: Option<IdentitySet>,
    /// With `$expand=lastEstimateStatisticsOperation`: the latest estimate, if one ran.
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_estimate_statistics_operation: Option<CaseOperation>,
}

fn flags<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(lenient::string(d)?
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default())
}

/// `security.ediscoveryReviewSet`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSet {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<IdentitySet>,
}

/// A legal hold (beta `security.ediscoveryHoldPolicy`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegalHold {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<LegalHoldStatus>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub is_enabled: Option<String>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<IdentitySet>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_modified_by: Option<IdentitySet>,
}

impl LegalHold {
    /// `isEnabled`, read leniently (`true`, `"true"`).
    pub fn enabled(&self) -> Option<bool> {
        self.is_enabled
            .as_deref()
            .and_then(|s| s.trim().parse().ok())
    }
}

/// The models kept with their JSON ([`Kept`]). Most have an `id` Graph must send; rows of a
/// report (a user's line in a simulation report, a repeat offender) have none and say so.
pub trait HasId {
    fn id(&self) -> &str;

    /// Whether the object names itself well enough to be shown; by default, a non-empty id.
    fn identified(&self) -> bool {
        !self.id().is_empty()
    }
}

/// `impl HasId` for models whose `id` field is their id.
macro_rules! has_id {
    ($($t:ty),*) => {$(
        impl HasId for $t {
            fn id(&self) -> &str {
                &self.id
            }
        }
    )*};
}

pub(super) use has_id;

has_id!(
    EdiscoveryCase,
    Custodian,
    NoncustodialDataSource,
    CaseOperation,
    EdiscoverySearch,
    ReviewSet,
    LegalHold
);

/// A typed object together with the JSON Graph sent for it: derefs to the typed view,
/// serializes as the original (lossless export), compares by the original.
#[derive(Debug, Clone)]
pub struct Kept<T> {
    pub item: T,
    /// The object exactly as Graph returned it.
    pub raw: Box<RawValue>,
}

impl<T> std::ops::Deref for Kept<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

impl<T> PartialEq for Kept<T> {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl<T: for<'de> Deserialize<'de> + HasId> FromRaw for Kept<T> {
    fn from_raw(raw: &RawValue) -> Result<Self, serde_json::Error> {
        if !raw.get().trim_start().starts_with('{') {
            return Err(serde_json::Error::custom(
                "a Graph object must be a JSON object",
            ));
        }
        let item: T = serde_json::from_str(raw.get())?;
        if !item.identified() {
            return Err(serde_json::Error::missing_field("id"));
        }
        Ok(Kept {
            item,
            raw: raw.to_owned(),
        })
    }
}

impl<T: for<'a> Deserialize<'a> + HasId> Kept<T> {
    pub fn from_json(body: &str) -> Result<Self, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(body)?;
        Self::from_raw(raw)
    }
}

impl<'de, T: for<'a> Deserialize<'a> + HasId> Deserialize<'de> for Kept<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        Self::from_raw(&raw).map_err(D::Error::custom)
    }
}

impl<T> Serialize for Kept<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(s)
    }
}

/// A new case: `displayName` is required by Graph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewCase {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A case PATCH: only the fields set are sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CaseUpdate {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

/// A new search. Sources are bound by URL (`custodianSources@odata.bind`,
/// `noncustodialSources@odata.bind`), as the docs show.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NewSearch {
    pub display_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_query: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source_scopes: Option<String>,
    #[serde(
        rename = "custodianSources@odata.bind",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub custodian_sources: Vec<String>,
    #[serde(
        rename = "noncustodialSources@odata.bind",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub noncustodial_sources: Vec<String>,
}

/// The id of the operation a `Location` names: Graph writes eDiscovery keys in
/// parentheses (`.../operations('ID')`); the segment form (`.../operations/ID`) is read too.
pub fn operation_id_in(location: &str) -> String {
    let path = location.split(['?', '#']).next().unwrap_or_default();
    let last = path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    let key = match last.split_once('(') {
        Some((_, rest)) => rest.trim_end_matches(')'),
        None => last,
    };
    key.trim_matches(['\'', '"']).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_are_read_from_either_key_form() {
        assert_eq!(
            operation_id_in("http://h/v1.0/security/cases/ediscoveryCases('c')/operations('abc')"),
            "abc"
        );
        assert_eq!(
            operation_id_in("https://h/v1.0/x/operations/def?y=1"),
            "def"
        );
    }

    #[test]
    fn unset_dates_unknown_members_and_odd_types_are_read() {
        let c = Kept::<EdiscoveryCase>::from_json(
            r#"{"id":"c1","status":"archived","createdDateTime":"0001-01-01T00:00:00Z",
                "closedBy":{"application":null,"user":{"id":null,"displayName":""}},
                "lastModifiedBy":{"user":{"displayName":"MOD Administrator"}}}"#,
        )
        .unwrap();
        assert_eq!(c.status, Some(CaseStatus::Other("archived".into())));
        assert_eq!(c.created, None);
        assert_eq!(c.closed_by.as_ref().unwrap().name(), None);
        assert_eq!(
            c.last_modified_by.as_ref().unwrap().name(),
            Some("MOD Administrator")
        );
        let op = Kept::<CaseOperation>::from_json(
            r#"{"id":"o","action":"estimateStatistics","status":"running","percentProgress":"40",
                "completedDateTime":"0001-01-01T00:00:00Z","indexedItemCount":"12"}"#,
        )
        .unwrap();
        assert_eq!(op.percent_progress, Some(40));
        assert_eq!(op.completed, None);
        assert!(!op.status.as_ref().unwrap().is_final());
        assert_eq!(op.estimate.unwrap().indexed_item_count, Some(12));
        assert!(Kept::<CaseOperation>::from_json(r#"{"status":"running"}"#).is_err());
        assert!(Kept::<CaseOperation>::from_json("[1]").is_err());
        let s = Kept::<EdiscoverySearch>::from_json(
            r#"{"id":"s","dataSourceScopes":"allTenantMailboxes, allCaseCustodians"}"#,
        )
        .unwrap();
        assert_eq!(
            s.data_source_scopes,
            ["allTenantMailboxes", "allCaseCustodians"]
        );
    }

    #[test]
    fn writes_send_only_what_is_set() {
        assert_eq!(
            serde_json::to_value(CaseUpdate {
                description: Some("x".into()),
                ..CaseUpdate::default()
            })
            .unwrap(),
            serde_json::json!({"description": "x"})
        );
        assert_eq!(
            serde_json::to_value(NewSearch {
                display_name: "s".into(),
                custodian_sources: vec!["https://h/u".into()],
                ..NewSearch::default()
            })
            .unwrap(),
            serde_json::json!({"displayName": "s", "custodianSources@odata.bind": ["https://h/u"]})
        );
    }
}
