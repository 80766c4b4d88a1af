//! The emulator's Secure Score resources over real loopback HTTP: daily snapshots and their
//! paging, control profiles, the control-state PATCH, the concurrency throttle, and the
//! contract against the v1.0 CSDL and the documented examples.

#[path = "support/csdl.rs"]
mod csdl;

use csdl::{Csdl, shared_graph};
use graphsec::emulator::{self, EmulatorConfig, Fault, Route, RunningEmulator, Scope};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::time::Duration;
use time::macros::datetime;

const TOKEN: &str = "test-token";

async fn emu() -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 10,
        now: Some(datetime!(2026-11-26 12:00 UTC)),
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts")
}

fn client() -> Client {
    Client::builder().no_proxy().build().expect("client")
}

async fn send(
    method: Method,
    url: &str,
    body: Option<Value>,
    prefer: Option<&str>,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = client().request(method, url).bearer_auth(TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(p) = prefer {
        req = req.header("Prefer", p);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status();
    let headers = resp.headers().clone();
    (status, headers, resp.text().await.expect("body"))
}

async fn get_json(url: &str) -> Value {
    let (status, _, body) = send(Method::GET, url, None, None).await;
    assert_eq!(status, StatusCode::OK, "GET {url}: {body}");
    serde_json::from_str(&body).expect("JSON")
}

/// Every item of a collection, following nextLinks; also the number of pages.
async fn all(url: &str) -> (Vec<Value>, usize) {
    let mut items = Vec::new();
    let mut pages = 0;
    let mut next = Some(url.to_owned());
    while let Some(u) = next {
        let page = get_json(&u).await;
        pages += 1;
        items.extend(page["value"].as_array().expect("value").iter().cloned());
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        assert!(pages < 200, "paging does not end");
    }
    (items, pages)
}

fn vendor() -> Value {
    json!({"provider": "SecureScore", "providerVersion": null, "subProvider": null, "vendor": "Microsoft"})
}

fn today(scores: &[Value]) -> &Value {
    &scores[0]
}

#[tokio::test]
async fn scores_page_newest_first_over_every_day_once_with_gaps() {
    let e = emu().await;
    let url = format!("{}/security/secureScores?$top=7&$count=true", e.base_url());
    let first = get_json(&url).await;
    let (items, pages) = all(&url).await;
    assert_eq!(first["@odata.count"].as_u64(), Some(items.len() as u64));
    assert!(pages >= items.len() / 7, "$top=7 pages the list");
    // About 90 days, with a missing day or two.
    assert!((85..90).contains(&items.len()), "{} snapshots", items.len());
    let days: Vec<time::Date> = items
        .iter()
        .map(|s| {
            let t = s["createdDateTime"].as_str().expect("createdDateTime");
            time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                .expect("RFC 3339")
                .date()
        })
        .collect();
    assert_eq!(days[0], time::macros::date!(2026 - 11 - 26));
    let ids: HashSet<&str> = items.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), items.len(), "every day once");
    let mut gaps = 0;
    for w in days.windows(2) {
        assert!(w[0] > w[1], "newest first: {} then {}", w[0], w[1]);
        gaps += (w[0] - w[1]).whole_days() - 1;
    }
    assert!((1..=2).contains(&gaps), "{gaps} missing days");
    assert!(
        items
            .iter()
            .any(|s| s["averageComparativeScores"].as_array().unwrap().is_empty()),
        "some days carry no comparative scores"
    );
    for s in &items {
        let controls = s["controlScores"].as_array().unwrap();
        let sum: f64 = controls.iter().map(|c| c["score"].as_f64().unwrap()).sum();
        assert_eq!(s["currentScore"].as_f64().unwrap(), sum);
        assert!(sum <= s["maxScore"].as_f64().unwrap());
        assert!(s["id"].as_str().unwrap().starts_with(e.tenant_id()));
    }
    e.shutdown().await;
}

#[tokio::test]
async fn profiles_list_and_get_agree_with_the_snapshots() {
    let e = emu().await;
    let (profiles, _) = all(&format!(
        "{}/security/secureScoreControlProfiles?$top=25",
        e.base_url()
    ))
    .await;
    assert!((50..=70).contains(&profiles.len()), "{}", profiles.len());
    let (scores, _) = all(&format!("{}/security/secureScores", e.base_url())).await;
    let max: f64 = profiles
        .iter()
        .map(|p| p["maxScore"].as_f64().unwrap())
        .sum();
    for s in &scores {
        assert_eq!(s["maxScore"].as_f64(), Some(max));
        let controls = s["controlScores"].as_array().unwrap();
        assert_eq!(controls.len(), profiles.len());
        for (c, p) in controls.iter().zip(&profiles) {
            assert_eq!(c["controlName"], p["id"]);
            assert_eq!(c["controlCategory"], p["controlCategory"]);
            assert!(c["score"].as_f64().unwrap() <= p["maxScore"].as_f64().unwrap());
        }
    }
    let one = get_json(&format!(
        "{}/security/secureScoreControlProfiles/AdminMFA",
        e.base_url()
    ))
    .await;
    assert_eq!(one["id"], "AdminMFA");
    assert_eq!(one["controlStateUpdates"][0]["state"], "Default");
    let (status, _, body) = send(
        Method::GET,
        &format!(
            "{}/security/secureScoreControlProfiles/NoSuch",
            e.base_url()
        ),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("itemNotFound"), "{body}");
    e.shutdown().await;
}

/// A control that today earns less than its maximum and is neither ThirdParty nor Ignored.
async fn short_control(e: &RunningEmulator) -> (String, f64, f64) {
    let (scores, _) = all(&format!("{}/security/secureScores", e.base_url())).await;
    let (profiles, _) = all(&format!(
        "{}/security/secureScoreControlProfiles",
        e.base_url()
    ))
    .await;
    today(&scores)["controlScores"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&profiles)
        .find_map(|(c, p)| {
            let (score, max) = (c["score"].as_f64()?, p["maxScore"].as_f64()?);
            (score < max).then(|| (p["id"].as_str().unwrap().to_owned(), score, max))
        })
        .expect("some control is not fully achieved")
}

async fn current_score(e: &RunningEmulator) -> f64 {
    let page = get_json(&format!("{}/security/secureScores?$top=1", e.base_url())).await;
    page["value"][0]["currentScore"].as_f64().unwrap()
}

#[tokio::test]
async fn patch_answers_204_or_200_and_appends_the_update() {
    let e = emu().await;
    let url = format!(
        "{}/security/secureScoreControlProfiles/DLPEnabled",
        e.base_url()
    );
    let update = json!({"assignedTo": "", "comment": "control is reviewed", "state": "Reviewed",
                        "vendorInformation": vendor()});
    let (status, _, body) = send(Method::PATCH, &url, Some(update.clone()), None).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert!(body.is_empty());
    let (status, _, body) = send(
        Method::PATCH,
        &url,
        Some(json!({"comment": "second look", "state": "Default",
                    "vendorInformation": vendor()})),
        Some("return=representation"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let profile: Value = serde_json::from_str(&body).unwrap();
    let updates = profile["controlStateUpdates"].as_array().unwrap();
    assert_eq!(updates.len(), 3, "the original plus two appended");
    assert_eq!(updates[1]["state"], "Reviewed");
    assert_eq!(updates[1]["comment"], "control is reviewed");
    assert_eq!(updates[2]["state"], "Default");
    assert!(
        updates[2]["updatedBy"].is_string(),
        "the service names the caller"
    );
    assert!(updates[2]["updatedDateTime"].is_string());
    assert_eq!(get_json(&url).await["controlStateUpdates"], json!(updates));

    // vendorInformation is required; a property outside the update is refused.
    for bad in [
        json!({"state": "Ignored"}),
        json!({"state": "Ignored", "maxScore": 99, "vendorInformation": vendor()}),
        json!({"state": "Maybe", "vendorInformation": vendor()}),
        json!({"state": "Ignored", "updatedBy": "x", "vendorInformation": vendor()}),
    ] {
        let (status, _, body) = send(Method::PATCH, &url, Some(bad.clone()), None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        let err: Value = serde_json::from_str(&body).expect("Graph error JSON");
        assert!(err["error"]["code"].is_string(), "{body}");
        assert!(err["error"]["message"].is_string(), "{body}");
    }
    let after = get_json(&url).await;
    assert_eq!(after["controlStateUpdates"].as_array().unwrap().len(), 3);
    e.shutdown().await;
}

#[tokio::test]
async fn third_party_earns_the_remaining_points_today_and_ignored_does_not() {
    let e = emu().await;
    let (id, score, max) = short_control(&e).await;
    let before = current_score(&e).await;
    let url = format!("{}/security/secureScoreControlProfiles/{id}", e.base_url());
    let (status, _, _) = send(
        Method::PATCH,
        &url,
        Some(json!({"state": "ThirdParty", "vendorInformation": vendor()})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(current_score(&e).await, before + (max - score));
    let (status, _, _) = send(
        Method::PATCH,
        &url,
        Some(json!({"state": "Ignored", "vendorInformation": vendor()})),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        current_score(&e).await,
        before - score,
        "Ignored earns nothing"
    );
    // Older snapshots are history: unchanged.
    let (scores, _) = all(&format!("{}/security/secureScores", e.base_url())).await;
    let c = scores[1]["controlScores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["controlName"] == id.as_str())
        .unwrap()
        .clone();
    assert!(c["score"].as_f64().unwrap() <= max);
    e.shutdown().await;
}

#[tokio::test]
async fn a_fifth_concurrent_request_is_throttled() {
    let e = emu().await;
    // Hold every Secure Score request open for a while.
    e.controls().inject(
        Fault::Latency(Duration::from_millis(1500)),
        5,
        Scope {
            method: Some("GET".into()),
            route: Some(Route::SecureScores),
        },
    );
    let url = format!("{}/security/secureScores?$top=1", e.base_url());
    let mut held = Vec::new();
    for _ in 0..4 {
        let u = url.clone();
        held.push(tokio::spawn(async move {
            send(Method::GET, &u, None, None).await
        }));
    }
    // Let the four arrive and take their slots.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let (status, headers, body) = send(
        Method::GET,
        &format!("{}/security/secureScoreControlProfiles", e.base_url()),
        None,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(headers.get("retry-after").is_some());
    let err: Value = serde_json::from_str(&body).expect("Graph error JSON");
    assert_eq!(err["error"]["code"], "activityLimitReached");
    for h in held {
        assert_eq!(h.await.unwrap().0, StatusCode::OK);
    }
    // Slots come back: the next request passes.
    let (status, _, _) = send(Method::GET, &url, None, None).await;
    assert_eq!(status, StatusCode::OK);
    // The throttled request was counted like any other.
    assert!(e.controls().requests("GET", Route::SecureScores) >= 5);
    e.shutdown().await;
}

/// Every key of `v` (recursively through the named complex types) is a CSDL property.
fn check_keys(csdl: &Csdl, type_name: &str, v: &Value, open_extras: &[&str]) {
    let props = csdl.props(type_name).expect("type in CSDL");
    let obj = v.as_object().expect("object");
    for k in obj.keys() {
        assert!(
            props.contains_key(k) || open_extras.contains(&k.as_str()),
            "{type_name} has no property {k}"
        );
    }
}

/// The JSON type of a value, with integers and doubles both "number".
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

/// Every documented key (names trimmed: the docs page has `"rank "`) is emitted with the
/// same JSON type, where the docs give a non-null value.
fn check_documented(doc: &Value, ours: &Value, what: &str) {
    for (k, v) in doc.as_object().unwrap() {
        let k = k.trim();
        let mine = ours
            .get(k)
            .unwrap_or_else(|| panic!("{what}: documented key {k} missing"));
        if !v.is_null() && !mine.is_null() {
            assert_eq!(kind(mine), kind(v), "{what}.{k}");
        }
    }
}

#[tokio::test]
async fn contract_keys_are_csdl_properties_and_documented_keys_are_present() {
    let Some(dir) =
        shared_graph("contract_keys_are_csdl_properties_and_documented_keys_are_present")
    else {
        return;
    };
    let csdl = Csdl::load_graph(&dir);
    let read = |name: &str| -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(dir.join("examples").join(name)).expect("example"),
        )
        .expect("example JSON")
    };
    let e = emu().await;
    let (scores, _) = all(&format!("{}/security/secureScores", e.base_url())).await;
    let (profiles, _) = all(&format!(
        "{}/security/secureScoreControlProfiles",
        e.base_url()
    ))
    .await;
    // The documented extras on the open comparative-score type.
    let comparative = [
        "deviceScore",
        "dataScore",
        "identityScore",
        "appsScore",
        "seatSizeRangeLowerValue",
        "seatSizeRangeUpperValue",
        "categoryValue",
    ];
    for s in &scores {
        check_keys(&csdl, "secureScore", s, &[]);
        check_keys(
            &csdl,
            "securityVendorInformation",
            &s["vendorInformation"],
            &[],
        );
        for c in s["controlScores"].as_array().unwrap() {
            check_keys(&csdl, "controlScore", c, &[]);
        }
        for a in s["averageComparativeScores"].as_array().unwrap() {
            check_keys(&csdl, "averageComparativeScore", a, &comparative);
        }
    }
    for p in &profiles {
        check_keys(&csdl, "secureScoreControlProfile", p, &[]);
        for u in p["controlStateUpdates"].as_array().unwrap() {
            check_keys(&csdl, "secureScoreControlStateUpdate", u, &[]);
        }
        for c in p["complianceInformation"].as_array().unwrap() {
            check_keys(&csdl, "complianceInformation", c, &[]);
            for cc in c["certificationControls"].as_array().unwrap() {
                check_keys(&csdl, "certificationControl", cc, &[]);
            }
        }
    }
    // Documented bodies: the same keys, with the same JSON types.
    let doc_score = read("securescore-get.response.fixed.json");
    let with_comparisons = scores
        .iter()
        .find(|s| !s["averageComparativeScores"].as_array().unwrap().is_empty())
        .unwrap();
    check_documented(&doc_score, with_comparisons, "secureScore");
    for (d, o) in doc_score["averageComparativeScores"]
        .as_array()
        .unwrap()
        .iter()
        .zip(
            with_comparisons["averageComparativeScores"]
                .as_array()
                .unwrap(),
        )
    {
        assert_eq!(d["basis"], o["basis"]);
        check_documented(d, o, "averageComparativeScore");
    }
    check_documented(
        &doc_score["controlScores"][0],
        &with_comparisons["controlScores"][0],
        "controlScore",
    );
    for name in [
        "securescorecontrolprofile-get.response.fixed.json",
        "securescorecontrolprofile-update-prefer.response.fixed.json",
    ] {
        let doc = read(name);
        check_documented(&doc, &profiles[0], name);
        check_documented(
            &doc["controlStateUpdates"][0],
            &profiles[0]["controlStateUpdates"][0],
            name,
        );
    }
    e.shutdown().await;
}
