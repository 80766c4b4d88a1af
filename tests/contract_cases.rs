//! Contract tests for eDiscovery: every documented response body (and the third-party
//! recordings of the case and search lists) parses with our models, nothing is dropped, and
//! re-serializing gives back the original object; our write bodies match the documented
//! requests; and the emulator, driven with the documented request bodies, answers in the
//! documented shapes: every documented key present with the same JSON type, every key it
//! sends a property of the v1.0 CSDL (legal holds, beta only, against the documented keys).
//!
//! The bodies are read from `$CARGO_MANIFEST_DIR/../shared/graph` (`examples/` and
//! `third-party/`); where that folder is absent the tests print a plain message and pass.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::cases::CasesConfig;
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::cases::{
    CaseAction, CaseOperation, CaseStatus, CaseUpdate, ContainerStatus, Custodian, EdiscoveryCase,
    EdiscoverySearch, HoldStatus, Kept, LegalHold, LegalHoldStatus, NewCase, NewSearch,
    NoncustodialDataSource, OperationStatus, ReviewSet,
};
use graphsec::graph::models::{Page, parse_page};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use time::macros::datetime;

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

/// Parses `name` as one object, checks nothing is lost, and returns it.
fn one<T>(dir: &Path, name: &str) -> Kept<T>
where
    T: for<'de> serde::Deserialize<'de> + graphsec::graph::cases::HasId,
{
    let text = read(dir, name);
    let item = Kept::<T>::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
    lossless(&item, &serde_json::from_str(&text).unwrap());
    item
}

/// Parses `name` as a page, checks every item is read and nothing is lost.
fn page<T>(dir: &Path, name: &str) -> Page<Kept<T>>
where
    T: for<'de> serde::Deserialize<'de> + graphsec::graph::cases::HasId + Send + 'static,
{
    let text = read(dir, name);
    let page: Page<Kept<T>> = parse_page(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
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
fn documented_ediscovery_bodies_parse() {
    let Some(graph) = shared_graph("documented_ediscovery_bodies_parse") else {
        return;
    };
    let dir = graph.join("examples");

    let cases = page::<EdiscoveryCase>(&dir, "ediscoverycases-list.response.json");
    assert_eq!(cases.count, Some(22));
    assert_eq!(cases.items[0].display_name.as_deref(), Some("My case 1"));
    assert_eq!(cases.items[0].status, Some(CaseStatus::Active));
    assert_eq!(
        cases.items[0]
            .last_modified_by
            .as_ref()
            .and_then(|b| b.name()),
        Some("MOD Administrator")
    );
    // `closedBy` names nobody on an open case.
    assert_eq!(cases.items[0].closed_by.as_ref().unwrap().name(), None);

    for name in [
        "ediscoverycases-create.response.json",
        "ediscoverycase-get.response.json",
    ] {
        let c = one::<EdiscoveryCase>(&dir, name);
        assert_eq!(c.id, "22aa2acd-7554-4330-9ba9-ce20014aaae4");
        assert_eq!(c.display_name.as_deref(), Some("CONTOSO LITIGATION-005"));
        assert_eq!(c.external_id.as_deref(), Some("324516"));
        assert!(c.created.is_some() && c.last_modified_by.is_none());
    }

    let cu = one::<Custodian>(&dir, "ediscoverycase-custodians-create.response.json");
    assert_eq!(cu.email.as_deref(), Some("AdeleV@contoso.com"));
    assert_eq!(cu.status, Some(ContainerStatus::Active));
    assert_eq!(cu.hold_status, Some(HoldStatus::Applied));
    assert_eq!(cu.acknowledged, None, "0001-01-01 means never");
    assert_eq!(cu.released, None);

    let nc = one::<NoncustodialDataSource>(
        &dir,
        "ediscoverycase-noncustodialdatasources-create.response.json",
    );
    assert_eq!(nc.display_name.as_deref(), Some("Design - top secret"));
    assert_eq!(nc.hold_status, Some(HoldStatus::NotApplied));
    assert_eq!(nc.released, None);

    let ops = page::<CaseOperation>(&dir, "ediscoverycase-operations-list.response.json");
    let op = &ops.items[0];
    assert_eq!(op.action, Some(CaseAction::HoldUpdate));
    assert_eq!(op.status, Some(OperationStatus::Succeeded));
    assert_eq!(op.percent_progress, Some(100));
    assert!(op.completed > op.created);
    assert_eq!(op.odata_type, None);
    assert!(op.estimate.is_none());

    let rs = one::<ReviewSet>(&dir, "ediscoverycase-reviewsets-create.response.json");
    assert_eq!(rs.display_name.as_deref(), Some("My review set 2"));
    assert!(rs.created_by.as_ref().unwrap().name().is_some());

    let s = one::<EdiscoverySearch>(&dir, "ediscoverycase-searches-create.response.json");
    assert_eq!(s.data_source_scopes, ["none"]);
    assert_eq!(s.content_query.as_deref(), Some("(Author=\"edison\")"));
    assert_eq!(
        s.created_by.as_ref().and_then(|b| b.name()),
        Some("MOD Administrator")
    );

    let hold = one::<LegalHold>(&dir, "ediscoverycase-legalholds-create.response.json");
    assert_eq!(hold.status, Some(LegalHoldStatus::Pending));
    assert_eq!(hold.enabled(), Some(true));
    assert_eq!(
        hold.created_by.as_ref().and_then(|b| b.name()),
        Some("MOD Administrator")
    );

    // Third-party recordings of the same lists.
    let tp = graph.join("third-party");
    if tp.join("xsoar-list_cases_response.json").is_file() {
        let cases = page::<EdiscoveryCase>(&tp, "xsoar-list_cases_response.json");
        assert_eq!(cases.count, Some(41));
        assert_eq!(cases.items.len(), 41);
        let closed: Vec<_> = cases
            .items
            .iter()
            .filter(|c| c.status == Some(CaseStatus::Closed))
            .collect();
        assert_eq!(closed.len(), 1);
        assert!(closed[0].closed.is_some());
        assert_eq!(
            closed[0].closed_by.as_ref().and_then(|b| b.name()),
            Some("Content Test")
        );
        let searches = page::<EdiscoverySearch>(&tp, "xsoar-list_search_single_response.json");
        assert_eq!(
            searches.items[0].data_source_scopes,
            ["allCaseNoncustodialDataSources"]
        );
    } else {
        println!("no third-party eDiscovery recordings beside the examples");
    }
}

#[test]
fn our_writes_match_the_documented_requests() {
    let Some(graph) = shared_graph("our_writes_match_the_documented_requests") else {
        return;
    };
    let dir = graph.join("examples");
    let new = NewCase {
        display_name: "CONTOSO LITIGATION-005".into(),
        description: Some("Project Bazooka".into()),
        external_id: Some("324516".into()),
    };
    assert_eq!(
        serde_json::to_value(&new).unwrap(),
        json(&dir, "ediscoverycases-create.request.json")
    );
    let update = CaseUpdate {
        display_name: Some("My Case 1 - Renamed".into()),
        description: Some("Updated description".into()),
        external_id: None,
    };
    assert_eq!(
        serde_json::to_value(&update).unwrap(),
        json(&dir, "ediscoverycase-update.request.json")
    );
    let doc = json(&dir, "ediscoverycase-searches-create.request.json");
    let strings = |k: &str| -> Vec<String> {
        doc[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let search = NewSearch {
        display_name: "My search 2".into(),
        description: Some("My first search".into()),
        content_query: Some("(Author=\"edison\")".into()),
        data_source_scopes: None,
        custodian_sources: strings("custodianSources@odata.bind"),
        noncustodial_sources: strings("noncustodialSources@odata.bind"),
    };
    assert_eq!(serde_json::to_value(&search).unwrap(), doc);
}

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        cases: CasesConfig {
            rate_limit: 0,
            ..CasesConfig::default()
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
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
    };
    (status, v)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every documented key is there, with the same JSON type where both are non-null.
fn check_documented(doc: &Value, ours: &Value, what: &str) {
    for (k, v) in doc.as_object().unwrap() {
        let mine = ours
            .get(k)
            .unwrap_or_else(|| panic!("{what}: documented key {k} missing from {ours}"));
        if !v.is_null() && !mine.is_null() {
            assert_eq!(kind(mine), kind(v), "{what}.{k}");
        }
    }
}

/// Every key we send is a property of `type_name` in the v1.0 CSDL (or an annotation).
fn check_csdl(csdl: &Csdl, graph: &Csdl, type_name: &str, v: &Value) {
    let props = csdl
        .props(type_name)
        .unwrap_or_else(|| panic!("{type_name} in the CSDL"));
    for (k, val) in v.as_object().expect("object") {
        assert!(
            props.contains_key(k) || ["id", "@odata.context", "@odata.type"].contains(&k.as_str()),
            "{type_name} has no property {k}"
        );
        if ["createdBy", "lastModifiedBy", "closedBy"].contains(&k.as_str()) && !val.is_null() {
            check_identity_set(graph, val);
        }
    }
}

fn check_identity_set(graph: &Csdl, set: &Value) {
    let props = graph.props("identitySet").expect("identitySet");
    let identity = graph.props("identity").expect("identity");
    for (k, v) in set.as_object().expect("identitySet object") {
        assert!(props.contains_key(k), "identitySet has no property {k}");
        if let Value::Object(o) = v {
            for key in o.keys() {
                // `identity` is open; the documented users carry userPrincipalName.
                assert!(
                    identity.contains_key(key) || key == "userPrincipalName",
                    "identity has no property {key}"
                );
            }
        }
    }
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn the_emulator_answers_in_the_documented_shapes() {
    let Some(graph) = shared_graph("the_emulator_answers_in_the_documented_shapes") else {
        return;
    };
    let dir = graph.join("examples");
    let csdl = Csdl::load(&graph);
    let graph_ns = Csdl::load_graph(&graph);
    let e = emu().await;
    let cases_url = format!("{}/security/cases/ediscoveryCases", e.base_url());

    // The list: the same envelope as documented, items in the documented shape.
    let doc_list = json(&dir, "ediscoverycases-list.response.json");
    let (status, list) = send(Method::GET, &cases_url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(keys(&list), keys(&doc_list));
    for item in list["value"].as_array().unwrap() {
        check_documented(&doc_list["value"][0], item, "case list item");
        assert_eq!(keys(item), keys(&doc_list["value"][0]));
        check_csdl(&csdl, &graph_ns, "ediscoveryCase", item);
    }

    // Create with the documented request; the reply has the documented keys.
    let (status, made) = send(
        Method::POST,
        &cases_url,
        Some(json(&dir, "ediscoverycases-create.request.json")),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    for name in [
        "ediscoverycases-create.response.json",
        "ediscoverycase-get.response.json",
    ] {
        assert_eq!(keys(&made), keys(&json(&dir, name)), "{name}");
        check_documented(&json(&dir, name), &made, name);
    }
    check_csdl(&csdl, &graph_ns, "ediscoveryCase", &made);
    let case_url = format!("{cases_url}/{}", made["id"].as_str().unwrap());
    let (status, got) = send(Method::GET, &case_url, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        keys(&got),
        keys(&json(&dir, "ediscoverycase-get.response.json"))
    );
    let (status, _) = send(
        Method::PATCH,
        &case_url,
        Some(json(&dir, "ediscoverycase-update.request.json")),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    // Children, each created from its documented request.
    for (path, request, response, type_name) in [
        (
            "custodians",
            "ediscoverycase-custodians-create.request.fixed.json",
            "ediscoverycase-custodians-create.response.json",
            Some("ediscoveryCustodian"),
        ),
        (
            "noncustodialDataSources",
            "ediscoverycase-noncustodialdatasources-create.request.json",
            "ediscoverycase-noncustodialdatasources-create.response.json",
            Some("ediscoveryNoncustodialDataSource"),
        ),
        (
            "searches",
            "ediscoverycase-searches-create.request.json",
            "ediscoverycase-searches-create.response.json",
            Some("ediscoverySearch"),
        ),
        (
            "reviewSets",
            "ediscoverycase-reviewsets-create.request.json",
            "ediscoverycase-reviewsets-create.response.json",
            Some("ediscoveryReviewSet"),
        ),
        (
            "legalHolds",
            "ediscoverycase-legalholds-create.request.json",
            "ediscoverycase-legalholds-create.response.json",
            None,
        ),
    ] {
        let url = match type_name {
            Some(_) => format!("{case_url}/{path}"),
            // Legal holds exist on beta only.
            None => format!("{case_url}/{path}").replace("/v1.0/", "/beta/"),
        };
        let (status, ours) = send(Method::POST, &url, Some(json(&dir, request))).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {ours}");
        let doc = json(&dir, response);
        check_documented(&doc, &ours, response);
        match type_name {
            Some(t) => check_csdl(&csdl, &graph_ns, t, &ours),
            None => assert_eq!(keys(&ours), keys(&doc), "{path}"),
        }
        let context = ours["@odata.context"].as_str().unwrap();
        let doc_context = doc["@odata.context"].as_str().unwrap();
        let tail = |c: &str| c.split("$metadata#").nth(1).unwrap().to_owned();
        // The same context path after the case key (the docs write their own key).
        let shape = |c: &str| {
            let t = tail(c);
            let (head, rest) = t.split_once("('").unwrap();
            let rest = rest.split_once("')").unwrap().1.to_owned();
            format!("{head}{rest}")
        };
        assert_eq!(shape(context), shape(doc_context), "{path}");
        assert_eq!(
            context.contains("/beta/"),
            doc_context.contains("/beta/"),
            "{path}"
        );
    }

    // Operations: the documented list envelope; items are CSDL caseOperation subtypes.
    let doc_ops = json(&dir, "ediscoverycase-operations-list.response.json");
    let (_, list) = send(Method::GET, &cases_url, None).await;
    let mut seen = 0;
    for case in list["value"].as_array().unwrap() {
        let url = format!("{cases_url}/{}/operations", case["id"].as_str().unwrap());
        let (status, ops) = send(Method::GET, &url, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(keys(&ops), keys(&doc_ops));
        for op in ops["value"].as_array().unwrap() {
            check_documented(&doc_ops["value"][0], op, "operation");
            let ty = op["@odata.type"].as_str().expect("@odata.type");
            let name = ty.strip_prefix("#microsoft.graph.security.").unwrap();
            check_csdl(&csdl, &graph_ns, name, op);
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen} operations");
    e.shutdown().await;
}
