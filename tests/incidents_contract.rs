//! The emulator's incident bodies against the documented contract in `shared/graph`: every
//! emitted key is a CSDL property of `security.incident` (all of them emitted, non-nullable
//! ones never null), enum values are CSDL members in camelCase, and every key of the
//! documented `incidents-get` example is present with the same JSON type. The documented
//! quirks (PascalCase values, `createdBy`/`createdTime` comments) are the docs' and are
//! deliberately not reproduced. The reference material is not copied into this repository;
//! when it is absent these tests say so and pass.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, IncidentStatus,
};
use serde_json::{Map, Value};
use time::macros::datetime;

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 600,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

async fn get_json(url: &str) -> Value {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client")
        .get(url)
        .bearer_auth("t")
        .header("Prefer", "include-unknown-enum-members")
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json")
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

fn obj(v: &Value) -> &Map<String, Value> {
    v.as_object().expect("a JSON object")
}

#[tokio::test]
async fn incidents_have_the_csdl_and_documented_shape() {
    let Some(dir) = shared_graph("incidents_have_the_csdl_and_documented_shape") else {
        return;
    };
    let csdl = Csdl::load(&dir);
    let props = csdl
        .props("incident")
        .expect("security.incident in the CSDL");
    let comment_props = csdl.props("alertComment").expect("alertComment");
    let alert_props = csdl.props("alert").expect("alert");
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("examples/incidents-get.response.json"))
            .expect("incidents-get example"),
    )
    .expect("documented JSON");

    let e = emu().await;
    let list = get_json(&format!(
        "{}/security/incidents?$top=2000&$expand=alerts",
        e.base_url()
    ))
    .await;
    let items = list["value"].as_array().expect("value");
    assert!(items.len() > 100);
    for item in items {
        let m = obj(item);
        let id = m["id"].as_str().expect("id");
        // Every key is a CSDL property; every CSDL property is emitted.
        for k in m.keys() {
            assert!(
                props.contains_key(k) || k == "@odata.type" || k == "id",
                "{id}: '{k}' is not a property of security.incident"
            );
        }
        for (p, nullable) in &props {
            let v = m.get(p).unwrap_or_else(|| panic!("{id}: '{p}' missing"));
            assert!(*nullable || !v.is_null(), "{id}: '{p}' is null");
        }
        assert_eq!(m["@odata.type"], "#microsoft.graph.security.incident");
        // Enum values are CSDL members, spelled as the schema spells them.
        let member = |k: &str, names: &[&str]| {
            if let Some(s) = m[k].as_str() {
                assert!(names.contains(&s), "{id}: {k} '{s}'");
            }
        };
        member("status", IncidentStatus::NAMES);
        member("severity", AlertSeverity::NAMES);
        member("classification", AlertClassification::NAMES);
        member("determination", AlertDetermination::NAMES);
        for c in m["comments"].as_array().expect("comments") {
            for k in obj(c).keys() {
                assert!(comment_props.contains_key(k), "{id}: comment key '{k}'");
            }
        }
        let alerts = m["alerts"].as_array().expect("expanded alerts");
        assert!(!alerts.is_empty(), "{id}: an incident without alerts");
        for a in alerts {
            for k in obj(a).keys() {
                assert!(
                    alert_props.contains_key(k) || k == "@odata.type" || k == "id",
                    "{id}: alert key '{k}'"
                );
            }
            assert_eq!(a["incidentId"], m["id"]);
        }

        // The documented example's keys, with the same JSON types.
        for (k, dv) in obj(&doc) {
            let ov = m
                .get(k)
                .unwrap_or_else(|| panic!("{id}: documented key '{k}' missing"));
            if dv.is_null() || ov.is_null() {
                assert!(
                    props.get(k).copied().unwrap_or(true),
                    "{id}.{k}: null where the CSDL says not-null"
                );
                continue;
            }
            assert_eq!(kind(dv), kind(ov), "{id}.{k}");
        }
    }

    // A single GET has the same shape plus the entity context.
    let first = items[0]["id"].as_str().expect("id");
    let one = get_json(&format!("{}/security/incidents/{first}", e.base_url())).await;
    assert!(
        one["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("#security/incidents/$entity"))
    );
    assert!(one.get("alerts").is_none());
}
