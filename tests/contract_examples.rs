//! Contract tests: every documented and third-party-recorded alerts_v2 body must deserialize
//! with our models, and re-serializing an alert must give back the original object exactly.
//!
//! The bodies are third-party material and are not copied into this repository; they are
//! read from `$CARGO_MANIFEST_DIR/../shared/graph`. Where that folder is absent each test
//! prints a plain message and passes.

use graphsec::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, DetectionSource,
    ServiceSource,
};
use graphsec::graph::models::{Alert, AlertUpdate, CommentList, Page, parse_page};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/graph");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: {} is absent, so the contract examples cannot be checked",
            dir.display()
        );
        None
    }
}

/// Reads one example body, or `None` (with a message) when the shared folder is absent.
fn body(rel: &str) -> Option<String> {
    let dir = shared_dir()?;
    let path = dir.join(rel);
    Some(
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
    )
}

/// The alert re-serialized compares equal, as JSON, to the object Graph sent.
fn assert_lossless(alert: &Alert, original: &Value) {
    let out = serde_json::to_string(alert).expect("alert serializes");
    let back: Value = serde_json::from_str(&out).expect("serialized alert is JSON");
    assert_eq!(&back, original, "alert {} lost or changed fields", alert.id);
}

/// Parses a list body; checks no item was skipped and every item round-trips.
fn list(body: &str) -> Page<Alert> {
    let page: Page<Alert> = parse_page(body).expect("page parses");
    let original: Value = serde_json::from_str(body).expect("valid JSON");
    let items = original["value"].as_array().expect("value array");
    assert_eq!(page.skipped, 0, "no item may be skipped");
    assert_eq!(page.items.len(), items.len());
    for (alert, item) in page.items.iter().zip(items) {
        assert_lossless(alert, item);
    }
    page
}

/// A single-alert body (GET or PATCH reply), checked for round-trip.
fn single(body: &str) -> Alert {
    let alert = Alert::from_json(body).expect("alert parses");
    let original: Value = serde_json::from_str(body).expect("valid JSON");
    assert_lossless(&alert, &original);
    alert
}

fn kinds(alert: &Alert) -> Vec<&str> {
    alert.evidence.iter().map(|e| e.kind()).collect()
}

fn names(alert: &Alert) -> Vec<Option<String>> {
    alert.evidence.iter().map(|e| e.name()).collect()
}

#[test]
fn docs_alerts_v2_list() {
    let Some(b) = body("examples/alerts_v2-list.response.json") else {
        return;
    };
    let page = list(&b);
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.next_link, None);
    let a = &page.items[0];
    assert_eq!(a.id, "da637551227677560813_-961444813");
    assert_eq!(a.incident_id.as_deref(), Some("28282"));
    assert_eq!(a.status, Some(AlertStatus::New));
    assert_eq!(a.severity, Some(AlertSeverity::Low));
    assert_eq!(a.classification, Some(AlertClassification::Unknown));
    assert_eq!(a.determination, Some(AlertDetermination::Unknown));
    assert_eq!(
        a.service_source,
        Some(ServiceSource::MicrosoftDefenderForEndpoint)
    );
    assert_eq!(a.detection_source, Some(DetectionSource::Antivirus));
    assert_eq!(a.assigned_to, None);
    assert_eq!(a.resolved, None);
    assert_eq!(a.category.as_deref(), Some("DefenseEvasion"));
    assert_eq!(a.mitre_techniques, ["T1564.001"]);
    assert!(a.created.is_some() && a.first_activity.is_some());
    // The published text carries U+FFFD where the docs had Windows-1252 bullets.
    assert!(
        a.recommended_actions
            .as_deref()
            .is_some_and(|t| t.contains('\u{FFFD}'))
    );
    assert!(a.comments.is_empty());
    assert_eq!(kinds(a), ["device", "file", "process", "registryKey"]);
    assert_eq!(
        names(a),
        [
            Some("tempDns".to_owned()),
            Some("MsSense.exe".to_owned()),
            Some("MsSense.exe".to_owned()),
            Some(r"SYSTEM\CONTROLSET001\CONTROL\WMI\AUTOLOGGER\SENSEAUDITLOGGER".to_owned()),
        ]
    );
    let process_user = a.evidence_details()[2]
        .user_account
        .as_ref()
        .and_then(|u| u.name());
    assert_eq!(process_user.as_deref(), Some(r"NT AUTHORITY\SYSTEM"));
}

#[test]
fn docs_alerts_v2_get() {
    let Some(b) = body("examples/alerts_v2-get.response.json") else {
        return;
    };
    let a = single(&b);
    assert_eq!(a.id, "da637578995287051192_756343937");
    assert_eq!(a.status, Some(AlertStatus::New));
    assert_eq!(kinds(&a), ["device", "file", "process", "registryKey"]);
    // The TAB before "systemTags" is JSON whitespace; the field is still read.
    assert!(a.raw.get().contains("systemTags"));
}

#[test]
fn docs_alerts_v2_update_request_and_response() {
    let (Some(req), Some(resp)) = (
        body("examples/alerts_v2-update.request.json"),
        body("examples/alerts_v2-update.response.json"),
    ) else {
        return;
    };
    let update: AlertUpdate = serde_json::from_str(&req).expect("update body parses");
    assert_eq!(update.status, Some(AlertStatus::InProgress));
    assert_eq!(
        update.classification,
        Some(AlertClassification::TruePositive)
    );
    assert_eq!(update.determination, Some(AlertDetermination::Malware));
    // What we would send is what the docs send.
    let sent: Value = serde_json::to_value(&update).expect("update serializes");
    let documented: Value = serde_json::from_str(&req).expect("valid JSON");
    assert_eq!(sent, documented);

    let a = single(&resp);
    assert_eq!(a.id, "da637551227677560813_-961444813");
    assert_eq!(a.status, Some(AlertStatus::InProgress));
    assert_eq!(a.classification, Some(AlertClassification::TruePositive));
    assert_eq!(a.determination, Some(AlertDetermination::Malware));
    assert_eq!(
        a.assigned_to.as_deref(),
        Some("secAdmin@contoso.onmicrosoft.com")
    );
}

#[test]
fn docs_comments_create_response() {
    let Some(b) = body("examples/alerts_v2-comments-create.response.json") else {
        return;
    };
    let list: CommentList = serde_json::from_str(&b).expect("comments parse");
    assert_eq!(list.value.len(), 2);
    assert_eq!(list.value[1].comment.as_deref(), Some("Demo for docs"));
    assert_eq!(
        list.value[0].created_by_display_name.as_deref(),
        Some("secAdmin@contoso.com")
    );
    assert!(list.value.iter().all(|c| c.created_date_time.is_some()));
}

#[test]
fn elastic_alert_sample() {
    let Some(b) = body("third-party/elastic-alert-sample.json") else {
        return;
    };
    let page = list(&b);
    let ids: Vec<&str> = page.items.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "daefa1828b-dd4e-405c-8a3b-aa28596830dd_1",
            "daefa1828b-dd4e-405c-8a3b-aa28596830dd_2",
            "daefa1828b-dd4e-405c-8a3b-aa28596830dd_2",
            "daefa1828b-dd4e-405c-8a3b-aa28596830dd_2",
        ]
    );
    for a in &page.items {
        // Null enums are None, not a failed alert.
        assert_eq!(a.classification, None);
        assert_eq!(a.determination, None);
        assert_eq!(a.severity, Some(AlertSeverity::Medium));
        assert_eq!(kinds(a), ["device", "user", "url", "ip", "process"]);
        assert_eq!(a.evidence[0].name().as_deref(), Some("clw555test"));
        assert_eq!(
            a.evidence[1].name().as_deref(),
            Some(r"AzureAD\CDPUserIS-38411")
        );
        assert_eq!(
            a.evidence[2].name().as_deref(),
            Some("http://127.0.0.1/1.exe")
        );
        // PascalCase free text stays as it came.
        assert_eq!(a.evidence[0].detailed_roles, ["PrimaryDevice"]);
    }
    // Items 3-4: an evolvable member listed after unknownFutureValue.
    for a in &page.items[2..] {
        assert_eq!(
            a.service_source,
            Some(ServiceSource::MicrosoftDefenderForCloud)
        );
        assert_eq!(
            a.detection_source,
            Some(DetectionSource::MicrosoftDefenderForCloud)
        );
        assert_eq!(
            a.service_source.as_ref().map(|s| s.as_str()),
            Some("microsoftDefenderForCloud")
        );
    }
    assert_eq!(
        page.items[0].evidence[3].name().as_deref(),
        Some("127.0.0.1")
    );
    // Item 4's ipAddress is "": no name rather than an empty one.
    assert_eq!(page.items[3].evidence[3].name(), None);
}

#[test]
fn elastic_test_alert_is_item_one_of_the_sample() {
    let (Some(test), Some(sample)) = (
        body("third-party/elastic-test-alert.json"),
        body("third-party/elastic-alert-sample.json"),
    ) else {
        return;
    };
    let test = list(&test);
    let sample: Page<Alert> = parse_page(&sample).expect("sample parses");
    assert_eq!(test.items.len(), 1);
    assert_eq!(test.items[0], sample.items[0]);
}

#[test]
fn elastic_empty_page() {
    let Some(b) = body("third-party/elastic-alerts_v2-empty-page.json") else {
        return;
    };
    let page = list(&b);
    assert!(page.items.is_empty());
    assert_eq!(page.next_link, None);
    assert_eq!(page.count, None);
}

#[test]
fn xsoar_search_alerts_test_case_2() {
    let Some(b) = body("third-party/xsoar-test_search_alerts_command-test_case_2.json") else {
        return;
    };
    let page = list(&b);
    assert_eq!(page.items.len(), 2);
    // A duplicate id within one page is kept as two alerts.
    assert!(page.items.iter().all(|a| a.id == "pid"));
    let (a, b) = (&page.items[0], &page.items[1]);
    assert_eq!(a.detection_source, Some(DetectionSource::CustomTi));
    assert_eq!(a.classification, None);
    assert_eq!(
        kinds(a),
        ["process", "user", "file", "ip", "device", "process"]
    );
    assert_eq!(a.evidence[1].name().as_deref(), Some("root"));
    assert_eq!(a.evidence[2].name().as_deref(), Some("crond"));
    assert_eq!(a.evidence[2].detection_status, None);
    assert_eq!(a.evidence[3].name().as_deref(), Some("0.0.0.0"));
    assert_eq!(
        a.evidence[4].name().as_deref(),
        Some("msde-agent-host-centos7.c.dmst-integrations.internal")
    );
    assert_eq!(b.status, Some(AlertStatus::Resolved));
    assert_eq!(b.severity, Some(AlertSeverity::Informational));
    assert_eq!(
        b.detection_source,
        Some(DetectionSource::AutomatedInvestigation)
    );
    assert_eq!(b.comments.len(), 12);
    assert_eq!(b.recommended_actions.as_deref(), Some(""));
    assert!(b.description.as_deref().is_some_and(|d| d.starts_with(' ')));
    assert_eq!(kinds(b), ["device"]);
    assert_eq!(b.evidence[0].name().as_deref(), Some("desktop-s2455r8"));
}

#[test]
fn xsoar_get_alert_details_test_case_3() {
    let Some(b) = body("third-party/xsoar-test_get_alert_details_command-test_case_3.json") else {
        return;
    };
    let a = single(&b);
    assert_eq!(a.id, "alert_id");
    assert_eq!(a.incident_id.as_deref(), Some("incidentId"));
    assert_eq!(a.status, Some(AlertStatus::Resolved));
    assert_eq!(a.severity, Some(AlertSeverity::Informational));
    assert_eq!(a.classification, None);
    assert_eq!(a.determination, None);
    // Sparse: absent collections are empty, absent times are None.
    assert!(a.evidence.is_empty());
    assert!(a.mitre_techniques.is_empty());
    assert_eq!(a.tenant_id, None);
    assert_eq!(a.first_activity, None);
}

#[test]
fn xsoar_comment_responses() {
    let (Some(one), Some(two)) = (
        body("third-party/xsoar-test_create_alert_comment_command-test_case_1.json"),
        body("third-party/xsoar-test_create_alert_comment_command-test_case_2.json"),
    ) else {
        return;
    };
    let one: CommentList = serde_json::from_str(&one).expect("comments parse");
    let two: CommentList = serde_json::from_str(&two).expect("comments parse");
    assert_eq!(one.value.len(), 1);
    assert_eq!(one.value[0].comment.as_deref(), Some("comment"));
    assert_eq!(
        one.value[0].created_by_display_name.as_deref(),
        Some("Cortex XSOAR MS Graph Dev")
    );
    // The reply is the whole collection: the earlier comment plus the new one.
    let texts: Vec<_> = two.value.iter().map(|c| c.comment.as_deref()).collect();
    assert_eq!(texts, [Some("comment_1"), Some("comment_2")]);
}

/// The alerts inside incident bodies (`alerts` is an array in Graph, a single object in
/// Elastic's per-alert split), each checked for round-trip.
fn incident_alerts(body: &str) -> Vec<Alert> {
    let v: Value = serde_json::from_str(body).expect("valid JSON");
    let mut out = Vec::new();
    for incident in v["value"].as_array().expect("value array") {
        let items = match &incident["alerts"] {
            Value::Array(a) => a.clone(),
            obj @ Value::Object(_) => vec![obj.clone()],
            _ => Vec::new(),
        };
        for item in items {
            let text = serde_json::to_string(&item).expect("re-encodes");
            let alert = Alert::from_json(&text).expect("incident alert parses");
            assert_lossless(&alert, &item);
            out.push(alert);
        }
    }
    out
}

#[test]
fn alerts_inside_incident_samples() {
    let files = [
        (
            "examples/incidents-list-expand-alerts.response.fixed.json",
            1,
        ),
        ("third-party/elastic-incident-sample.json", 4),
        ("third-party/elastic-test-incident.json", 1),
        ("third-party/elastic-test-incident-no-alerts.json", 0),
        ("third-party/xsoar-incidents_list_response.json", 0),
    ];
    for (file, expected) in files {
        let Some(b) = body(file) else {
            return;
        };
        let alerts = incident_alerts(&b);
        assert_eq!(alerts.len(), expected, "{file}");
        if file.ends_with("elastic-incident-sample.json") {
            let mail = &alerts[2];
            assert_eq!(mail.id, "fa2d9ab3ff-f4e5-5c4c-5600-08db54ecb349");
            assert_eq!(
                mail.service_source,
                Some(ServiceSource::MicrosoftDefenderForOffice365)
            );
            assert_eq!(kinds(mail), ["mailbox", "analyzedMessage", "user"]);
            assert_eq!(
                names(mail),
                [
                    Some("user@example.com".to_owned()),
                    Some("Mail 2023".to_owned()),
                    Some("user@example.com".to_owned()),
                ]
            );
            let av = &alerts[3];
            assert_eq!(av.status, Some(AlertStatus::Resolved));
            assert_eq!(av.severity, Some(AlertSeverity::High));
            assert_eq!(av.assigned_to.as_deref(), Some("Automation"));
            assert_eq!(av.classification, None);
            assert_eq!(
                av.evidence[1].name().as_deref(),
                Some("K3V15.1安装盘访问密码i5fy.zip")
            );
        }
    }
}

#[test]
fn unknown_enum_members_are_kept_not_fatal() {
    let Some(b) = body("third-party/elastic-test-alert.json") else {
        return;
    };
    let mut v: Value = serde_json::from_str(&b).expect("valid JSON");
    let item = &mut v["value"][0];
    item["serviceSource"] = Value::from("microsoftBrandNewProduct");
    item["status"] = Value::from("awaitingSomething");
    item["severity"] = Value::from(3);
    let text = serde_json::to_string(&v).expect("re-encodes");
    let page = list(&text);
    let a = &page.items[0];
    assert!(a.service_source.as_ref().is_some_and(|s| s.is_other()));
    assert_eq!(
        a.service_source.as_ref().map(|s| s.to_string()).as_deref(),
        Some("microsoftBrandNewProduct")
    );
    assert_eq!(
        a.status.as_ref().map(|s| s.as_str()),
        Some("awaitingSomething")
    );
    assert_eq!(a.severity.as_ref().map(|s| s.as_str()), Some("3"));
}
