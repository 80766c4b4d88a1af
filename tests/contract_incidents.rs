//! Contract tests: every documented and third-party-recorded incident body must deserialize
//! with our models, and re-serializing an incident must give back the original object
//! exactly, quirks included (PascalCase enums, `tags`, old comment shape, `alerts` as an
//! object).
//!
//! The bodies are not copied into this repository; they are read from
//! `$CARGO_MANIFEST_DIR/../shared/graph`. Where that folder is absent each test prints a
//! plain message and passes.

use graphsec::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, IncidentStatus,
};
use graphsec::graph::incidents::{Incident, IncidentUpdate};
use graphsec::graph::models::{CommentList, Page, parse_page};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn shared_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/graph");
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "skipping: {} is absent, so the incident contract examples cannot be checked",
            dir.display()
        );
        None
    }
}

fn body(rel: &str) -> Option<String> {
    let path = shared_dir()?.join(rel);
    Some(
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
    )
}

fn assert_lossless(incident: &Incident, original: &Value) {
    let out = serde_json::to_string(incident).expect("incident serializes");
    let back: Value = serde_json::from_str(&out).expect("serialized incident is JSON");
    assert_eq!(
        &back, original,
        "incident {} lost or changed fields",
        incident.id
    );
}

/// Parses a list body; no item may be skipped and every item must round-trip.
fn list(body: &str) -> Page<Incident> {
    let page: Page<Incident> = parse_page(body).expect("page parses");
    let original: Value = serde_json::from_str(body).expect("valid JSON");
    let items = original["value"].as_array().expect("value array");
    assert_eq!(page.skipped, 0, "no item may be skipped");
    assert_eq!(page.items.len(), items.len());
    for (incident, item) in page.items.iter().zip(items) {
        assert_lossless(incident, item);
        // Every expanded alert is typed too, none dropped.
        let expected = match &item["alerts"] {
            Value::Array(a) => a.len(),
            Value::Object(_) => 1,
            _ => 0,
        };
        assert_eq!(incident.alerts.len(), expected, "alerts of {}", incident.id);
    }
    page
}

fn single(body: &str) -> Incident {
    let incident = Incident::from_json(body).expect("incident parses");
    let original: Value = serde_json::from_str(body).expect("valid JSON");
    assert_lossless(&incident, &original);
    incident
}

/// The docs incident 2972395, in whichever quirky spelling the page used.
fn check_docs_incident(i: &Incident) {
    assert_eq!(i.id, "2972395");
    assert_eq!(i.status, Some(IncidentStatus::Active));
    assert_eq!(i.severity, Some(AlertSeverity::Medium));
    assert_eq!(i.classification, Some(AlertClassification::TruePositive));
    assert_eq!(i.determination, Some(AlertDetermination::MultiStagedAttack));
    assert_eq!(
        i.assigned_to.as_deref(),
        Some("KaiC@contoso.onmicrosoft.com")
    );
    assert_eq!(i.custom_tags, ["Demo"]);
    assert_eq!(i.system_tags, ["Defender Experts"]);
    assert_eq!(i.redirect_incident_id, None);
    assert!(i.created.is_some() && i.last_update.is_some());
    // Old comment shape: createdBy / createdTime.
    assert_eq!(i.comments.len(), 1);
    let c = &i.comments[0];
    assert_eq!(c.comment.as_deref(), Some("Demo incident"));
    assert_eq!(
        c.created_by_display_name.as_deref(),
        Some("DavidS@contoso.onmicrosoft.com")
    );
    assert!(c.created_date_time.is_some());
}

#[test]
fn docs_incidents_list_get_update() {
    let Some(b) = body("examples/incidents-list.response.json") else {
        return;
    };
    let page = list(&b);
    assert_eq!(page.items.len(), 1);
    check_docs_incident(&page.items[0]);
    assert!(page.items[0].alerts.is_empty());

    let Some(b) = body("examples/incidents-get.response.json") else {
        return;
    };
    check_docs_incident(&single(&b));

    let Some(b) = body("examples/incidents-update.response.json") else {
        return;
    };
    check_docs_incident(&single(&b));
}

#[test]
fn docs_incidents_list_expand_alerts() {
    // The published page has trailing commas (not JSON); the fixed copy is what we check.
    let Some(b) = body("examples/incidents-list-expand-alerts.response.fixed.json") else {
        return;
    };
    let page = list(&b);
    let i = &page.items[0];
    check_docs_incident(i);
    assert!(!i.alerts.is_empty());
    assert!(i.alerts.iter().all(|a| !a.id.is_empty()));
}

#[test]
fn docs_update_request_reads_as_an_incident_update() {
    let Some(b) = body("examples/incidents-update.request.json") else {
        return;
    };
    let u: IncidentUpdate = serde_json::from_str(&b).expect("update body parses");
    assert_eq!(u.classification, Some(AlertClassification::TruePositive));
    assert_eq!(u.determination, Some(AlertDetermination::MultiStagedAttack));
    assert_eq!(u.custom_tags.as_deref(), Some(&["Demo".to_owned()][..]));
    assert_eq!(u.status, None);
    // What we send is the schema's camelCase spelling.
    let sent: Value = serde_json::to_value(&u).expect("serializes");
    assert_eq!(sent["classification"], "truePositive");
}

#[test]
fn docs_comments_create_response() {
    let Some(b) = body("examples/incidents-comments-create.response.json") else {
        return;
    };
    let list: CommentList = serde_json::from_str(&b).expect("comment list parses");
    assert_eq!(list.value.len(), 2);
    assert_eq!(list.value[1].comment.as_deref(), Some("Demo for docs"));
}

#[test]
fn elastic_incident_samples() {
    let Some(b) = body("third-party/elastic-incident-sample.json") else {
        return;
    };
    let page = list(&b);
    let ids: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(ids, ["2872395", "2972395", "1924", "1923"]);
    // `alerts` is an object after Elastic's per-alert split: one alert each.
    assert!(page.items.iter().all(|i| i.alerts.len() == 1));
    assert_eq!(page.items[3].status, Some(IncidentStatus::Resolved));
    assert_eq!(
        page.items[3].alerts[0].assigned_to.as_deref(),
        Some("Automation")
    );
    // Items 1–2 use `tags`; 3–4 use `customTags`: both land in custom_tags.
    assert_eq!(page.items[0].custom_tags, ["Demo"]);

    let Some(b) = body("third-party/elastic-test-incident.json") else {
        return;
    };
    let test = list(&b);
    assert_eq!(test.items[0], page.items[1]);

    let Some(b) = body("third-party/elastic-test-incident-no-alerts.json") else {
        return;
    };
    let page = list(&b);
    assert_eq!(page.items.len(), 2);
    assert!(page.items.iter().all(|i| i.alerts.is_empty()));
    // `tags` and old-shape comments are read as customTags / alertComment.
    assert!(page.items.iter().any(|i| !i.custom_tags.is_empty()));
    let mut comments = page.items.iter().flat_map(|i| &i.comments);
    assert!(comments.clone().count() > 0);
    assert!(comments.all(|c| c.created_by_display_name.is_some() && c.created_date_time.is_some()));
}

#[test]
fn xsoar_incident_bodies() {
    let Some(b) = body("third-party/xsoar-incidents_list_response.json") else {
        return;
    };
    let page = list(&b);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].tenant_id.as_deref(), Some(""));
    assert_eq!(
        page.items[0].classification,
        Some(AlertClassification::Unknown)
    );
    assert!(page.items[0].last_modified_by.is_some());

    let Some(b) = body("third-party/xsoar-incidents_single_response.json") else {
        return;
    };
    let one = single(&b);
    assert_eq!(one.id, "12345");
    // Two-digit fractional seconds still parse.
    assert!(one.created.is_some());

    let Some(b) = body("third-party/xsoar-incident_update_response.json") else {
        return;
    };
    let upd = single(&b);
    assert_eq!(upd.status, Some(IncidentStatus::Redirected));
    assert_eq!(upd.redirect_incident_id.as_deref(), Some("1234"));
}
