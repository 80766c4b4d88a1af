//! Contract tests for threat assessment: every documented body (and the third-party XSOAR
//! recordings, with their bare-token nextLink, missing `@odata.type` and out-of-schema
//! `checking` result) parses with the client's models and nothing is dropped; our POST
//! bodies are the documented requests; the emulator accepts the documented requests and
//! answers with the documented keys, every key it sends a property of the v1.0 CSDL.
//!
//! The bodies are read from `$CARGO_MANIFEST_DIR/../shared/graph` (`examples/` and
//! `third-party/`); where that folder is absent the tests print a plain message and pass.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::assess::AssessConfig;
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::assess::{
    AssessmentContentType, AssessmentKind, AssessmentStatus, AssessmentTarget, ExpectedAssessment,
    NewAssessment, RequestSource, ResultType, RoutingReason, ThreatAssessmentRequest,
    ThreatCategory,
};
use graphsec::graph::cases::Kept;
use graphsec::graph::models::{Page, parse_page};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use time::macros::datetime;

const KINDS: [(&str, AssessmentKind); 4] = [
    ("mail", AssessmentKind::Mail),
    ("emailfile", AssessmentKind::EmailFile),
    ("file", AssessmentKind::File),
    ("url", AssessmentKind::Url),
];

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("cannot read {name}: {e}"))
}

fn json(dir: &Path, name: &str) -> Value {
    serde_json::from_str(&read(dir, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn lossless<T: serde::Serialize>(item: &T, original: &Value) {
    let back: Value = serde_json::to_value(item).expect("serializes");
    assert_eq!(&back, original, "lost or changed fields");
}

fn one(dir: &Path, name: &str) -> Kept<ThreatAssessmentRequest> {
    let text = read(dir, name);
    let item =
        Kept::<ThreatAssessmentRequest>::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    lossless(&item, &serde_json::from_str(&text).unwrap());
    item
}

fn page(dir: &Path, name: &str) -> Page<Kept<ThreatAssessmentRequest>> {
    let text = read(dir, name);
    let page: Page<Kept<ThreatAssessmentRequest>> =
        parse_page(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let original: Value = serde_json::from_str(&text).unwrap();
    let items = original["value"].as_array().unwrap();
    assert_eq!(page.skipped, 0, "{name}");
    assert_eq!(page.items.len(), items.len(), "{name}");
    for (p, o) in page.items.iter().zip(items) {
        lossless(p, o);
    }
    page
}

#[test]
fn documented_assessment_bodies_parse() {
    let Some(graph) = shared_graph("documented_assessment_bodies_parse") else {
        return;
    };
    let dir = graph.join("examples");
    for (name, kind) in KINDS {
        for file in [
            format!("threatassessment-create-{name}.response.json"),
            format!("threatassessment-get-{name}.response.json"),
        ] {
            let a = one(&dir, &file);
            assert_eq!(a.kind(), Some(kind), "{file}");
            assert_eq!(a.request_source, Some(RequestSource::Administrator));
            assert!(a.created.is_some() && a.category.is_some() && a.status.is_some());
            assert_eq!(
                a.created_by.as_ref().and_then(|b| b.name()),
                Some("Ronald Admin"),
                "{file}"
            );
            assert!(!a.subject().is_empty(), "{file}");
            assert!(a.results.is_empty());
        }
    }
    let mail = one(&dir, "threatassessment-create-mail.response.json");
    assert_eq!(mail.status, Some(AssessmentStatus::Pending));
    assert_eq!(
        mail.destination_routing_reason,
        Some(RoutingReason::NotJunk)
    );
    let file = one(&dir, "threatassessment-get-file.response.json");
    assert_eq!(file.content_data.as_deref(), Some(""), "echoed as empty");
    assert_eq!(file.content_type, Some(AssessmentContentType::File));
    let url = one(&dir, "threatassessment-get-url.response.json");
    assert_eq!(url.expected_assessment, Some(ExpectedAssessment::Unblock));
    assert_eq!(url.subject(), "http://test.com");

    let expanded = one(&dir, "threatassessment-get-expand-results.response.json");
    assert_eq!(expanded.kind(), Some(AssessmentKind::Mail));
    assert_eq!(expanded.results.len(), 2);
    assert_eq!(
        expanded.results[0].result_type,
        Some(ResultType::CheckPolicy)
    );
    assert_eq!(
        expanded.results[0].message.as_deref(),
        Some("No policy was hit.")
    );
    assert_eq!(expanded.verdicts().collect::<Vec<_>>(), ["Not Spam"]);

    let list = page(&dir, "threatassessment-list.response.json");
    assert_eq!(list.items.len(), 4);
    assert!(
        list.next_link
            .as_deref()
            .unwrap()
            .contains("threatAssessmentRequests?$skiptoken=")
    );
    let kinds: Vec<_> = list.items.iter().map(|a| a.kind()).collect();
    assert_eq!(
        kinds,
        [
            Some(AssessmentKind::Mail),
            Some(AssessmentKind::EmailFile),
            Some(AssessmentKind::File),
            Some(AssessmentKind::Url)
        ]
    );
}

#[test]
fn third_party_recordings_parse_with_their_quirks() {
    let Some(graph) = shared_graph("third_party_recordings_parse_with_their_quirks") else {
        return;
    };
    let tp = graph.join("third-party");
    if !tp.join("xsoar-list_threat_assessment.json").is_file() {
        println!("no third-party threat assessment recordings beside the examples");
        return;
    }
    let list = page(&tp, "xsoar-list_threat_assessment.json");
    // A bare token, not a URL: the pager must not follow it anywhere.
    let next = list.next_link.as_deref().unwrap();
    assert_eq!(next, "testskiptoken=test_token");
    let base = url::Url::parse("https://graph.microsoft.com/v1.0/").unwrap();
    assert!(graphsec::graph::client::check_next_link(&base, next).is_err());
    // No @odata.type anywhere: kinds come from the content type and the properties.
    assert!(list.items.iter().all(|a| a.odata_type.is_none()));
    let kinds: Vec<_> = list.items.iter().map(|a| a.kind()).collect();
    assert_eq!(
        kinds,
        [
            Some(AssessmentKind::Mail),
            Some(AssessmentKind::EmailFile),
            Some(AssessmentKind::File),
            Some(AssessmentKind::Url)
        ]
    );
    assert_eq!(list.items[1].id, "email_file_test");

    let url = one(&tp, "xsoar-url_assessment_request.json");
    assert_eq!(url.kind(), Some(AssessmentKind::Url));
    // `checking` is not in threatAssessmentResultType: kept as sent, not a verdict.
    assert_eq!(
        url.results[0].result_type,
        Some(ResultType::Other("checking".into()))
    );
    assert_eq!(
        url.results[0].result_type.as_ref().unwrap().as_str(),
        "checking"
    );
    assert_eq!(url.verdicts().count(), 0);

    let mail = one(&tp, "xsoar-mail_assessment_request.json");
    assert_eq!(mail.kind(), Some(AssessmentKind::Mail));
    assert_eq!(mail.message_uri.as_deref(), Some(""));
    assert_eq!(mail.results.len(), 1);

    let file = one(&tp, "xsoar-file_assessment_request.json");
    assert_eq!(file.kind(), Some(AssessmentKind::File));
    assert_eq!(file.category, Some(ThreatCategory::Phishing));
    assert_eq!(file.verdicts().collect::<Vec<_>>(), ["Phishing"]);

    // No contentData and no @odata.type: indistinguishable from a mail request (the model
    // documents that it reads such a body as a mail request).
    let email_file = one(&tp, "xsoar-email_file_assessment_request.json");
    assert_eq!(email_file.kind(), Some(AssessmentKind::Mail));
    assert_eq!(email_file.verdicts().collect::<Vec<_>>(), ["Not Spam"]);
}

/// The documented request of each kind, as our model writes it.
fn documented_new(dir: &Path, name: &str) -> NewAssessment {
    let doc = json(dir, &format!("threatassessment-create-{name}.request.json"));
    let s = |k: &str| doc[k].as_str().unwrap().to_owned();
    let target = match name {
        "mail" => AssessmentTarget::Mail {
            recipient_email: s("recipientEmail"),
            message_uri: s("messageUri"),
        },
        "emailfile" => AssessmentTarget::EmailFile {
            recipient_email: s("recipientEmail"),
            content_data: s("contentData"),
        },
        "file" => AssessmentTarget::File {
            file_name: s("fileName"),
            content_data: s("contentData"),
        },
        _ => AssessmentTarget::Url { url: s("url") },
    };
    NewAssessment {
        target,
        category: ThreatCategory::parse(&s("category")),
        expected_assessment: ExpectedAssessment::parse(&s("expectedAssessment")),
    }
}

#[test]
fn our_posts_are_the_documented_requests() {
    let Some(graph) = shared_graph("our_posts_are_the_documented_requests") else {
        return;
    };
    let dir = graph.join("examples");
    for (name, _) in KINDS {
        assert_eq!(
            serde_json::to_value(documented_new(&dir, name)).unwrap(),
            json(
                &dir,
                &format!("threatassessment-create-{name}.request.json")
            ),
            "{name}"
        );
    }
}

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        // The documented requests are posted more than once across the checks below.
        assess: AssessConfig {
            tenant_per_15_min: 0,
            tenant_per_day: 0,
            resource_per_15_min: 0,
            resource_per_day: 0,
            ..AssessConfig::default()
        },
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn send(method: Method, url: &str, body: Option<Value>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http")
        .request(method, url)
        .bearer_auth("test-token");
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"));
    (status, v)
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Same keys as documented, each with the same JSON type; `createdBy` as documented too.
fn same_shape(doc: &Value, ours: &Value, what: &str) {
    assert_eq!(keys(ours), keys(doc), "{what}");
    for (k, v) in doc.as_object().unwrap() {
        if !v.is_null() && !ours[k].is_null() {
            assert_eq!(kind_of(&ours[k]), kind_of(v), "{what}.{k}");
        }
    }
    if let Some(by) = doc.get("createdBy") {
        assert_eq!(keys(&ours["createdBy"]), keys(by), "{what}.createdBy");
        assert_eq!(
            keys(&ours["createdBy"]["user"]),
            keys(&by["user"]),
            "{what}.createdBy.user"
        );
    }
}

/// Every key we send is a property of the request's type in the v1.0 CSDL (or an
/// annotation), and `createdBy` is an identitySet.
fn check_csdl(graph: &Csdl, v: &Value) {
    let type_name = v["@odata.type"]
        .as_str()
        .unwrap()
        .trim_start_matches("#microsoft.graph.");
    let props = graph
        .props(type_name)
        .unwrap_or_else(|| panic!("{type_name} in the CSDL"));
    for k in keys(v) {
        assert!(
            props.contains_key(k)
                || ["@odata.context", "@odata.type", "results@odata.context"].contains(&k),
            "{type_name} has no property {k}"
        );
    }
    let set = graph.props("identitySet").expect("identitySet");
    let identity = graph.props("identity").expect("identity");
    for (k, who) in v["createdBy"].as_object().unwrap() {
        assert!(set.contains_key(k), "identitySet has no {k}");
        for key in keys(who) {
            assert!(identity.contains_key(key), "identity has no {key}");
        }
    }
    let result = graph
        .props("threatAssessmentResult")
        .expect("threatAssessmentResult");
    for r in v["results"].as_array().into_iter().flatten() {
        for k in keys(r) {
            assert!(result.contains_key(k), "threatAssessmentResult has no {k}");
        }
    }
}

#[tokio::test]
async fn the_emulator_takes_the_documented_requests_and_answers_in_the_documented_shapes() {
    let Some(graph) = shared_graph(
        "the_emulator_takes_the_documented_requests_and_answers_in_the_documented_shapes",
    ) else {
        return;
    };
    let dir = graph.join("examples");
    let graph_ns = Csdl::load_graph(&graph);
    let e = emu().await;
    let url = format!(
        "{}/informationProtection/threatAssessmentRequests",
        e.base_url()
    );

    for (name, _) in KINDS {
        let mut request = json(
            &dir,
            &format!("threatassessment-create-{name}.request.json"),
        );
        if name == "emailfile" {
            // The docs shortened this body's contentData to "...", which is not base64:
            // the emulator refuses it as Graph would refuse content it cannot decode...
            let (status, err) = send(Method::POST, &url, Some(request.clone())).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{err}");
            assert!(err["error"]["message"].as_str().unwrap().contains("base64"));
            // ...and takes the same body with the whole (here: a short) message.
            request["contentData"] = Value::from("UmVjZWl2ZWQ6IGZyb20gTVcyUFIwME1CMDMxNA==");
        }
        let (status, made) = send(Method::POST, &url, Some(request.clone())).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {made}");
        let doc = json(
            &dir,
            &format!("threatassessment-create-{name}.response.json"),
        );
        same_shape(&doc, &made, &format!("POST {name}"));
        check_csdl(&graph_ns, &made);
        for k in [
            "@odata.type",
            "contentType",
            "expectedAssessment",
            "category",
            "requestSource",
        ] {
            assert_eq!(made[k], doc[k], "{name}: {k}");
        }
        for k in ["recipientEmail", "messageUri", "fileName", "url"] {
            if let Some(v) = request.get(k) {
                assert_eq!(&made[k], v, "{name}: {k} echoed");
            }
        }
        assert_eq!(made["status"], "pending");

        // The same request read back has the get example's keys.
        let id = made["id"].as_str().unwrap();
        let (status, got) = send(Method::GET, &format!("{url}/{id}"), None).await;
        assert_eq!(status, StatusCode::OK);
        let doc = json(&dir, &format!("threatassessment-get-{name}.response.json"));
        same_shape(&doc, &got, &format!("GET {name}"));
    }

    // The list: the documented envelope (with a nextLink when there is more), and each
    // item with the keys the documented list shows for its kind.
    let doc_list = json(&dir, "threatassessment-list.response.json");
    let (status, list) = send(Method::GET, &format!("{url}?$top=3"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&list), keys(&doc_list));
    let (_, everything) = send(Method::GET, &format!("{url}?$top=100"), None).await;
    for item in everything["value"].as_array().unwrap() {
        let doc_item = doc_list["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["@odata.type"] == item["@odata.type"])
            .expect("a documented item of this kind");
        same_shape(doc_item, item, &format!("list item {}", item["id"]));
        check_csdl(&graph_ns, item);
    }

    // $expand=results on a completed mail request: the documented keys, results included.
    let doc = json(&dir, "threatassessment-get-expand-results.response.json");
    let (_, mails) = send(
        Method::GET,
        &format!("{url}?$filter=contentType+eq+'mail'+and+status+eq+'completed'&$top=100"),
        None,
    )
    .await;
    let mail = mails["value"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["@odata.type"] == "#microsoft.graph.mailAssessmentRequest")
        .expect("a completed mail request");
    let id = mail["id"].as_str().unwrap();
    let (status, got) = send(Method::GET, &format!("{url}/{id}?$expand=results"), None).await;
    assert_eq!(status, StatusCode::OK);
    same_shape(&doc, &got, "GET ?$expand=results");
    check_csdl(&graph_ns, &got);
    let results = got["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for (ours, documented) in results.iter().zip(doc["results"].as_array().unwrap()) {
        same_shape(documented, ours, "result");
        assert_eq!(ours["resultType"], documented["resultType"]);
    }
    e.shutdown().await;
}
