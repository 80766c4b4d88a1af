//! The emulator's bodies against the documented Graph contract in `shared/graph`:
//! property names from the v1.0 CSDL, and the shape (keys and JSON types) of the documented
//! examples. The reference material is third-party and is not copied into this repository;
//! when it is absent these tests say so and pass.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::models::{Alert, parse_page};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use time::macros::datetime;

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 600,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Every alert of the tenant as JSON objects (with all enum members).
async fn all_alerts(e: &RunningEmulator) -> Vec<Map<String, Value>> {
    let body = client()
        .get(format!("{}/security/alerts_v2?$top=2000", e.base_url()))
        .bearer_auth("t")
        .header("Prefer", "include-unknown-enum-members")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let page = parse_page::<Alert>(&body).unwrap();
    assert_eq!(page.items.len(), 600);
    assert!(page.next_link.is_none());
    page.items
        .iter()
        .map(|a| match serde_json::from_str(a.raw.get()).unwrap() {
            Value::Object(m) => m,
            other => panic!("{other}"),
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Keys of `ours` must be properties of `type_name` (plus `extra`).
fn keys_in_schema(
    csdl: &Csdl,
    type_name: &str,
    ours: &Map<String, Value>,
    extra: &[&str],
    at: &str,
) {
    let props = csdl
        .props(type_name)
        .unwrap_or_else(|| panic!("{type_name} not in the CSDL"));
    for k in ours.keys() {
        assert!(
            props.contains_key(k) || extra.contains(&k.as_str()),
            "{at}: '{k}' is not a property of security.{type_name}"
        );
    }
}

#[tokio::test]
async fn emitted_properties_exist_in_the_csdl() {
    let Some(dir) = shared_graph("emitted_properties_exist_in_the_csdl") else {
        return;
    };
    let csdl = Csdl::load(&dir);
    let e = emu().await;
    let mut evidence_types = BTreeMap::<String, usize>::new();
    for a in all_alerts(&e).await {
        let id = a["id"].as_str().unwrap().to_owned();
        keys_in_schema(&csdl, "alert", &a, &["@odata.type", "id"], &id);
        for c in a["comments"].as_array().unwrap() {
            keys_in_schema(&csdl, "alertComment", c.as_object().unwrap(), &[], &id);
        }
        for ev in a["evidence"].as_array().unwrap() {
            let ev = ev.as_object().unwrap();
            let t = ev["@odata.type"]
                .as_str()
                .unwrap()
                .trim_start_matches("#microsoft.graph.security.");
            *evidence_types.entry(t.to_owned()).or_default() += 1;
            keys_in_schema(&csdl, t, ev, &["@odata.type"], &format!("{id} {t}"));
            let nested = [
                ("userAccount", "userAccount"),
                ("fileDetails", "fileDetails"),
                ("imageFile", "fileDetails"),
                ("parentProcessImageFile", "fileDetails"),
                ("location", "geoLocation"),
                ("p1Sender", "emailSender"),
                ("p2Sender", "emailSender"),
            ];
            for (key, ty) in nested {
                if let Some(Value::Object(inner)) = ev.get(key) {
                    keys_in_schema(&csdl, ty, inner, &[], &format!("{id} {t}.{key}"));
                }
            }
        }
    }
    assert!(evidence_types.len() >= 10, "{evidence_types:?}");
}

/// `doc`'s keys must all be in `ours` with the same JSON type; a null on either side is
/// accepted where the property is nullable (`nullable(key)`).
fn same_shape(doc: &Value, ours: &Value, nullable: &dyn Fn(&str) -> bool, at: &str) {
    let (Value::Object(d), Value::Object(o)) = (doc, ours) else {
        panic!("{at}: expected objects");
    };
    for (k, dv) in d {
        let ov = o
            .get(k)
            .unwrap_or_else(|| panic!("{at}: documented key '{k}' missing"));
        let (dk, ok) = (kind(dv), kind(ov));
        if dk == "null" || ok == "null" {
            assert!(
                dk == ok || nullable(k),
                "{at}.{k}: null where the CSDL says not-null"
            );
            continue;
        }
        assert_eq!(dk, ok, "{at}.{k}: documented {dk}, emitted {ok}");
        match (dv, ov) {
            (Value::Object(_), Value::Object(_)) => {
                same_shape(dv, ov, &|_| true, &format!("{at}.{k}"))
            }
            (Value::Array(da), Value::Array(oa)) if k != "evidence" => {
                if let (Some(d0), Some(o0)) = (da.first(), oa.first()) {
                    assert_eq!(kind(d0), kind(o0), "{at}.{k}[]");
                    if d0.is_object() {
                        same_shape(d0, o0, &|_| true, &format!("{at}.{k}[]"));
                    }
                }
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn alerts_have_the_documented_shape() {
    let Some(dir) = shared_graph("alerts_have_the_documented_shape") else {
        return;
    };
    let csdl = Csdl::load(&dir);
    let alert_props = csdl.props("alert").unwrap();
    let evidence_base = csdl.props("alertEvidence").unwrap();
    let read = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("examples").join(name)).unwrap())
            .unwrap()
    };
    let doc = read("alerts_v2-get.response.json");
    let e = emu().await;
    let alerts = all_alerts(&e).await;

    let alert_nullable = |k: &str| alert_props.get(k).copied().unwrap_or(true);
    let doc_evidence = doc["evidence"].as_array().unwrap();
    let mut matched_evidence = 0;
    for a in &alerts {
        let ours = Value::Object(a.clone());
        same_shape(&doc, &ours, &alert_nullable, a["id"].as_str().unwrap());
        // Documented evidence subtypes: our items of the same subtype have their shape.
        for ev in a["evidence"].as_array().unwrap() {
            let Some(d) = doc_evidence
                .iter()
                .find(|d| d["@odata.type"] == ev["@odata.type"])
            else {
                continue;
            };
            let t = ev["@odata.type"].as_str().unwrap();
            let sub = csdl
                .props(t.trim_start_matches("#microsoft.graph.security."))
                .unwrap();
            let nullable = |k: &str| {
                sub.get(k)
                    .or_else(|| evidence_base.get(k))
                    .copied()
                    .unwrap_or(true)
            };
            same_shape(d, ev, &nullable, t);
            matched_evidence += 1;
        }
    }
    assert!(matched_evidence > 100);

    // PATCH answers with the documented update shape; comments with the documented list.
    let id = alerts[0]["id"].as_str().unwrap();
    let url = format!("{}/security/alerts_v2/{id}", e.base_url());
    let patched: Value = client()
        .patch(&url)
        .bearer_auth("t")
        .json(&read("alerts_v2-update.request.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut doc_update = read("alerts_v2-update.response.json");
    if let Some(m) = doc_update.as_object_mut() {
        // The documented reply may carry a beta context; ours is v1.0. Compare the alert.
        m.remove("@odata.context");
    }
    same_shape(&doc_update, &patched, &alert_nullable, "PATCH reply");
    let comments: Value = client()
        .post(format!("{url}/comments"))
        .bearer_auth("t")
        .json(&read("alerts_v2-comments-create.request.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    same_shape(
        &read("alerts_v2-comments-create.response.json"),
        &comments,
        &|_| false,
        "comments reply",
    );
    // And an error has the documented envelope.
    let err: Value = client()
        .get(format!("{url}-missing"))
        .bearer_auth("t")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    same_shape(
        &read("error-example.response.json"),
        &err,
        &|_| false,
        "error",
    );
    assert_eq!(err["error"]["code"], json!("itemNotFound"));
}
