//! Threat assessment requests (surface.md §9): an admin sends a mail, a file or a URL that
//! was misjudged, and reads back Microsoft's verdicts as the request's `results`.
//!
//! Same rules as the other models: each request is kept as Graph sent it beside lenient typed
//! fields ([`Kept`]), and every enum is open. The request kind (`@odata.type`) is missing in
//! bodies some products record, so [`ThreatAssessmentRequest::kind`] falls back on the
//! content type and on which kind-specific properties are present.

use super::cases::{HasId, IdentitySet, date, has_id, id};
use super::lenient;
use crate::open_enum;
use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use time::OffsetDateTime;

open_enum!(
    /// `graph.threatCategory`.
    ThreatCategory {
        Undefined = "undefined",
        Spam = "spam",
        Phishing = "phishing",
        Malware = "malware",
        UnknownFutureValue = "unknownFutureValue",
    }
);

impl ThreatCategory {
    /// The categories a request may be submitted with (`undefined` and the sentinel are
    /// values Graph reports, not ones an admin chooses).
    pub const SUBMITTABLE: &'static [ThreatCategory] = &[
        ThreatCategory::Phishing,
        ThreatCategory::Malware,
        ThreatCategory::Spam,
    ];
}

open_enum!(
    /// `graph.threatAssessmentContentType`.
    AssessmentContentType {
        Mail = "mail",
        Url = "url",
        File = "file",
    }
);

open_enum!(
    /// `graph.threatExpectedAssessment`: what the admin thinks should have happened.
    ExpectedAssessment {
        Block = "block",
        Unblock = "unblock",
    }
);

open_enum!(
    /// `graph.threatAssessmentRequestSource`.
    RequestSource {
        Undefined = "undefined",
        User = "user",
        Administrator = "administrator",
    }
);

open_enum!(
    /// `graph.threatAssessmentStatus`.
    AssessmentStatus {
        Pending = "pending",
        Completed = "completed",
    }
);

open_enum!(
    /// `graph.threatAssessmentResultType`.
    ResultType {
        CheckPolicy = "checkPolicy",
        Rescan = "rescan",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.mailDestinationRoutingReason`.
    RoutingReason {
        None = "none",
        MailFlowRule = "mailFlowRule",
        SafeSender = "safeSender",
        BlockedSender = "blockedSender",
        AdvancedSpamFiltering = "advancedSpamFiltering",
        DomainAllowList = "domainAllowList",
        DomainBlockList = "domainBlockList",
        NotInAddressBook = "notInAddressBook",
        FirstTimeSender = "firstTimeSender",
        AutoPurgeToInbox = "autoPurgeToInbox",
        AutoPurgeToJunk = "autoPurgeToJunk",
        AutoPurgeToDeleted = "autoPurgeToDeleted",
        Outbound = "outbound",
        NotJunk = "notJunk",
        Junk = "junk",
        UnknownFutureValue = "unknownFutureValue",
    }
);

/// Which of the four request types a request is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssessmentKind {
    /// `mailAssessmentRequest`: a message in a mailbox, by its Graph URL.
    Mail,
    /// `emailFileAssessmentRequest`: an .eml file's bytes.
    EmailFile,
    /// `fileAssessmentRequest`.
    File,
    /// `urlAssessmentRequest`.
    Url,
}

impl AssessmentKind {
    pub const ALL: [AssessmentKind; 4] = [
        AssessmentKind::Url,
        AssessmentKind::Mail,
        AssessmentKind::File,
        AssessmentKind::EmailFile,
    ];

    /// The `@odata.type` that selects this kind on POST.
    pub fn odata_type(self) -> &'static str {
        match self {
            AssessmentKind::Mail => "#microsoft.graph.mailAssessmentRequest",
            AssessmentKind::EmailFile => "#microsoft.graph.emailFileAssessmentRequest",
            AssessmentKind::File => "#microsoft.graph.fileAssessmentRequest",
            AssessmentKind::Url => "#microsoft.graph.urlAssessmentRequest",
        }
    }

    /// Reads an `@odata.type` (with or without `#`, the namespace in any case).
    pub fn from_odata_type(t: &str) -> Option<AssessmentKind> {
        let name = t.trim_start_matches('#');
        let name = name.rsplit('.').next().unwrap_or(name);
        AssessmentKind::ALL
            .into_iter()
            .find(|k| k.odata_type().rsplit('.').next() == Some(name))
    }

    /// A short label for tables.
    pub fn label(self) -> &'static str {
        match self {
            AssessmentKind::Mail => "mail",
            AssessmentKind::EmailFile => "email file",
            AssessmentKind::File => "file",
            AssessmentKind::Url => "url",
        }
    }
}

impl std::fmt::Display for AssessmentKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// A threat assessment request of any kind (the abstract `threatAssessmentRequest` with the
/// four kinds' own properties, each `None` when absent).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreatAssessmentRequest {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, rename = "@odata.type", deserialize_with = "lenient::string")]
    pub odata_type: Option<String>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<IdentitySet>,
    #[serde(default)]
    pub content_type: Option<AssessmentContentType>,
    #[serde(default)]
    pub category: Option<ThreatCategory>,
    #[serde(default)]
    pub expected_assessment: Option<ExpectedAssessment>,
    #[serde(default)]
    pub status: Option<AssessmentStatus>,
    #[serde(default)]
    pub request_source: Option<RequestSource>,
    /// Mail and email-file requests.
    #[serde(default, deserialize_with = "lenient::string")]
    pub recipient_email: Option<String>,
    #[serde(default)]
    pub destination_routing_reason: Option<RoutingReason>,
    /// Mail requests: the message's Graph URL.
    #[serde(default, deserialize_with = "lenient::string")]
    pub message_uri: Option<String>,
    /// Email-file and file requests; Graph echoes it as `""`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub content_data: Option<String>,
    /// File requests.
    #[serde(default, deserialize_with = "lenient::string")]
    pub file_name: Option<String>,
    /// URL requests.
    #[serde(default, deserialize_with = "lenient::string")]
    pub url: Option<String>,
    /// Present when asked with `$expand=results`.
    #[serde(default, deserialize_with = "lenient::list")]
    pub results: Vec<ThreatAssessmentResult>,
}

impl ThreatAssessmentRequest {
    /// The kind, from `@odata.type`; without one, from the content type and which properties
    /// came. A mail body with neither `messageUri` nor `contentData` cannot be told apart and
    /// is read as a mail request.
    pub fn kind(&self) -> Option<AssessmentKind> {
        if let Some(k) = self
            .odata_type
            .as_deref()
            .and_then(AssessmentKind::from_odata_type)
        {
            return Some(k);
        }
        match self.content_type.as_ref()? {
            AssessmentContentType::Url => Some(AssessmentKind::Url),
            AssessmentContentType::File => Some(AssessmentKind::File),
            AssessmentContentType::Mail
                if self.message_uri.is_none() && self.content_data.is_some() =>
            {
                Some(AssessmentKind::EmailFile)
            }
            AssessmentContentType::Mail => Some(AssessmentKind::Mail),
            AssessmentContentType::Other(_) => None,
        }
    }

    /// What was assessed, in one line: the URL, the file name, or the mail's recipient.
    pub fn subject(&self) -> &str {
        fn pick(v: &Option<String>) -> Option<&str> {
            v.as_deref().filter(|s| !s.trim().is_empty())
        }
        pick(&self.url)
            .or_else(|| pick(&self.file_name))
            .or_else(|| pick(&self.recipient_email))
            .or_else(|| pick(&self.message_uri))
            .unwrap_or("")
    }

    pub fn is_pending(&self) -> bool {
        self.status.as_ref() != Some(&AssessmentStatus::Completed)
    }

    /// The rescan verdicts' messages, oldest first (what Microsoft decided); the policy
    /// checks are left out.
    pub fn verdicts(&self) -> impl Iterator<Item = &str> {
        self.results
            .iter()
            .filter(|r| r.result_type == Some(ResultType::Rescan))
            .filter_map(|r| r.message.as_deref())
    }
}

/// `graph.threatAssessmentResult`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreatAssessmentResult {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default)]
    pub result_type: Option<ResultType>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub message: Option<String>,
}

has_id!(ThreatAssessmentRequest, ThreatAssessmentResult);

/// What a new request assesses, with the kind's required properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssessmentTarget {
    Url {
        url: String,
    },
    Mail {
        recipient_email: String,
        message_uri: String,
    },
    EmailFile {
        recipient_email: String,
        /// The .eml file, base64.
        content_data: String,
    },
    File {
        file_name: String,
        /// The file, base64.
        content_data: String,
    },
}

impl AssessmentTarget {
    pub fn kind(&self) -> AssessmentKind {
        match self {
            AssessmentTarget::Url { .. } => AssessmentKind::Url,
            AssessmentTarget::Mail { .. } => AssessmentKind::Mail,
            AssessmentTarget::EmailFile { .. } => AssessmentKind::EmailFile,
            AssessmentTarget::File { .. } => AssessmentKind::File,
        }
    }
}

/// A request to POST: serializes as Graph's body, `@odata.type` first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAssessment {
    pub target: AssessmentTarget,
    pub category: ThreatCategory,
    pub expected_assessment: ExpectedAssessment,
}

impl Serialize for NewAssessment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("@odata.type", self.target.kind().odata_type())?;
        m.serialize_entry("expectedAssessment", self.expected_assessment.as_str())?;
        m.serialize_entry("category", self.category.as_str())?;
        match &self.target {
            AssessmentTarget::Url { url } => m.serialize_entry("url", url)?,
            AssessmentTarget::Mail {
                recipient_email,
                message_uri,
            } => {
                m.serialize_entry("recipientEmail", recipient_email)?;
                m.serialize_entry("messageUri", message_uri)?;
            }
            AssessmentTarget::EmailFile {
                recipient_email,
                content_data,
            } => {
                m.serialize_entry("recipientEmail", recipient_email)?;
                m.serialize_entry("contentData", content_data)?;
            }
            AssessmentTarget::File {
                file_name,
                content_data,
            } => {
                m.serialize_entry("fileName", file_name)?;
                m.serialize_entry("contentData", content_data)?;
            }
        }
        m.end()
    }
}

// ---- what a new request must carry, checked before anything is sent (the console's form
// and the command line use the same rules; the messages say what is expected)

/// An absolute http or https URL with a host.
pub fn check_url(s: &str) -> Result<(), String> {
    let bad = || {
        "The URL must be absolute, http:// or https://, e.g. https://contoso.example/login"
            .to_owned()
    };
    let url = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(())
}

/// A Graph message URL: `…/users/{id}/messages/{id}` or `…/me/messages/{id}` (any host:
/// national clouds and the emulator have their own).
pub fn check_message_uri(s: &str) -> Result<(), String> {
    let bad = || {
        "The message URI must be a Graph message URL: …/users/{id}/messages/{id} or …/me/messages/{id}"
            .to_owned()
    };
    let url = url::Url::parse(s).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let ok = match segments.as_slice() {
        [.., users, _user, messages, _id] if users.eq_ignore_ascii_case("users") => {
            messages.eq_ignore_ascii_case("messages")
        }
        [.., me, messages, _id] => {
            me.eq_ignore_ascii_case("me") && messages.eq_ignore_ascii_case("messages")
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(bad()) }
}

/// A mail address: one `@`, something before it, a dotted domain after it, no spaces.
pub fn check_address(s: &str) -> Result<(), String> {
    let bad = || "The recipient must be a mail address, e.g. adelev@contoso.com".to_owned();
    let (local, domain) = s.split_once('@').ok_or_else(bad)?;
    let label_ok = |l: &str| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-');
    let ok = !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '@')
        && domain.contains('.')
        && domain.split('.').all(label_ok);
    if ok { Ok(()) } else { Err(bad()) }
}

/// A 429 on a submission, in words: which limit, and when to try again. Graph's body names
/// the limit but the client keeps only `Retry-After`: a wait of up to 15 minutes is one of
/// the 15-minute limits, a longer one a daily limit (surface.md §9). The console's status
/// line and the CLI's error say the same thing.
pub fn throttle_text(
    kind: AssessmentKind,
    retry_after: Option<std::time::Duration>,
    now: OffsetDateTime,
) -> String {
    let what = match kind {
        AssessmentKind::Url => "URL",
        AssessmentKind::Mail => "message and recipient",
        AssessmentKind::File | AssessmentKind::EmailFile => "file",
    };
    let limit = match retry_after {
        Some(d) if d > std::time::Duration::from_secs(15 * 60) => format!(
            "a daily limit (Graph takes the same {what} 3 times in 24 hours, and 10,000 submissions a tenant)"
        ),
        _ => format!(
            "a 15-minute limit (Graph takes the same {what} once in 15 minutes, and 150 submissions a tenant)"
        ),
    };
    let when = match retry_after {
        Some(d) => {
            let secs = (d.as_secs() + u64::from(d.subsec_nanos() > 0)).max(1);
            let now = now.to_offset(time::UtcOffset::UTC);
            let at = now + time::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX / 2));
            // The day only when it is not today (a daily limit may free tomorrow).
            let at = if at.date() == now.date() {
                at.format(&time::macros::format_description!(
                    "[hour]:[minute]:[second]"
                ))
            } else {
                at.format(&time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second]"
                ))
            }
            .unwrap_or_default();
            format!("retry after {at} UTC (in {})", wait_words(secs))
        }
        None => "Graph did not say when to retry".to_owned(),
    };
    format!("Graph throttled the submission: over {limit}; {when}")
}

/// A wait, rounded up to what an analyst plans by: "40 s", "15 min", "5 h".
fn wait_words(secs: u64) -> String {
    match secs {
        s if s < 120 => format!("{s} s"),
        s if s < 7_200 => format!("{} min", s.div_ceil(60)),
        s => format!("{} h", s.div_ceil(3_600)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::cases::Kept;

    #[test]
    fn kind_from_the_type_or_from_the_shape() {
        let k = |body: &str| {
            Kept::<ThreatAssessmentRequest>::from_json(body)
                .unwrap()
                .kind()
        };
        assert_eq!(
            k(r##"{"id":"a","@odata.type":"#microsoft.graph.emailFileAssessmentRequest"}"##),
            Some(AssessmentKind::EmailFile)
        );
        assert_eq!(
            k(r#"{"id":"a","contentType":"url"}"#),
            Some(AssessmentKind::Url)
        );
        assert_eq!(
            k(r#"{"id":"a","contentType":"mail","contentData":""}"#),
            Some(AssessmentKind::EmailFile)
        );
        assert_eq!(
            k(r#"{"id":"a","contentType":"mail","messageUri":""}"#),
            Some(AssessmentKind::Mail)
        );
        assert_eq!(k(r#"{"id":"a","contentType":"tape"}"#), None);
    }

    #[test]
    fn verdicts_are_the_rescans() {
        let r = Kept::<ThreatAssessmentRequest>::from_json(
            r#"{"id":"a","status":"completed","results":[
                {"id":"1","resultType":"checkPolicy","message":"No policy was hit."},
                {"id":"2","resultType":"rescan","message":"Not Spam"},
                {"id":"3","resultType":"checking","message":"?"}]}"#,
        )
        .unwrap();
        assert_eq!(r.verdicts().collect::<Vec<_>>(), ["Not Spam"]);
        assert_eq!(
            r.results[2].result_type,
            Some(ResultType::Other("checking".into()))
        );
        assert!(!r.is_pending());
    }

    #[test]
    fn new_requests_serialize_as_graph_documents_them() {
        let n = NewAssessment {
            target: AssessmentTarget::Url {
                url: "http://test.com".into(),
            },
            category: ThreatCategory::Phishing,
            expected_assessment: ExpectedAssessment::Block,
        };
        assert_eq!(
            serde_json::to_value(&n).unwrap(),
            serde_json::json!({
                "@odata.type": "#microsoft.graph.urlAssessmentRequest",
                "url": "http://test.com",
                "expectedAssessment": "block",
                "category": "phishing"
            })
        );
        let n = NewAssessment {
            target: AssessmentTarget::Mail {
                recipient_email: "a@b".into(),
                message_uri: "https://graph.microsoft.com/v1.0/users/u/messages/m".into(),
            },
            category: ThreatCategory::Spam,
            expected_assessment: ExpectedAssessment::Unblock,
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v["@odata.type"], "#microsoft.graph.mailAssessmentRequest");
        assert_eq!(v["recipientEmail"], "a@b");
        assert_eq!(v["expectedAssessment"], "unblock");
    }

    #[test]
    fn urls() {
        assert!(check_url("https://contoso.example/login?x=1").is_ok());
        assert!(check_url("http://10.0.0.1:8080/").is_ok());
        for bad in [
            "contoso.example",
            "ftp://contoso.example/",
            "https://",
            "/relative",
            "mailto:a@b.c",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn message_uris() {
        assert!(check_message_uri("https://graph.microsoft.com/v1.0/users/u1/messages/m1").is_ok());
        assert!(check_message_uri("https://graph.microsoft.com/v1.0/me/messages/AAMk=").is_ok());
        assert!(check_message_uri("http://127.0.0.1:8443/v1.0/Users/u1/Messages/m1").is_ok());
        for bad in [
            "https://graph.microsoft.com/v1.0/users/u1/messages",
            "https://graph.microsoft.com/v1.0/users/u1/events/e1",
            "graph.microsoft.com/v1.0/me/messages/m1",
            "https://graph.microsoft.com/v1.0/me/messages/",
        ] {
            assert!(check_message_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses() {
        assert!(check_address("adelev@contoso.com").is_ok());
        assert!(check_address("first.last+tag@mail.contoso-eu.example").is_ok());
        for bad in [
            "adelev",
            "@contoso.com",
            "a@contoso",
            "a b@contoso.com",
            "a@@contoso.com",
            "a@contoso..com",
        ] {
            assert!(check_address(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn throttle_text_names_the_limit_and_when_to_retry() {
        let now = time::macros::datetime!(2026-11-27 02:00 UTC);
        let t = throttle_text(
            AssessmentKind::Url,
            Some(std::time::Duration::from_secs(840)),
            now,
        );
        assert!(
            t.contains("over a 15-minute limit (Graph takes the same URL once in 15 minutes"),
            "{t}"
        );
        assert!(t.contains("retry after 02:14:00 UTC (in 14 min)"), "{t}");
        let t = throttle_text(
            AssessmentKind::File,
            Some(std::time::Duration::from_secs(23 * 3600)),
            now,
        );
        assert!(
            t.contains("daily limit") && t.contains("same file 3 times"),
            "{t}"
        );
        assert!(
            t.contains("retry after 2026-11-28 01:00:00 UTC (in 23 h)"),
            "{t}"
        );
        let t = throttle_text(
            AssessmentKind::Mail,
            Some(std::time::Duration::from_secs(30)),
            now,
        );
        assert!(
            t.contains("same message and recipient") && t.contains("(in 30 s)"),
            "{t}"
        );
        let t = throttle_text(AssessmentKind::Mail, None, now);
        assert!(t.contains("did not say when"), "{t}");
    }

    #[test]
    fn the_placeholder_date_reads_as_none() {
        let r: ThreatAssessmentRequest = serde_json::from_value(serde_json::json!({
            "id": "ta-1",
            "createdDateTime": "0001-01-01T00:00:00Z",
            "results": [{"id": "r-1", "createdDateTime": "0001-01-01T00:00:00Z"}]
        }))
        .unwrap();
        assert_eq!(r.created, None);
        assert_eq!(r.results[0].created, None);
        let r: ThreatAssessmentRequest = serde_json::from_value(serde_json::json!({
            "id": "ta-2", "createdDateTime": "2026-11-26T12:00:00Z"
        }))
        .unwrap();
        assert!(r.created.is_some());
    }
}
