//! The curated vocabularies the generated tenant is built from (`assets/emulator/*.json`).
//!
//! The text is our own invention with fictitious organisations and people; it is compiled
//! into the binary so the emulator needs no files at run time.

use serde::Deserialize;
use std::sync::OnceLock;

const DETECTIONS_JSON: &str = include_str!("../../assets/emulator/detections.json");
const ENTITIES_JSON: &str = include_str!("../../assets/emulator/entities.json");

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Detections {
    pub sources: Vec<SourceDef>,
    /// Alerts with awkward but legitimate text (CJK, emoji, huge command lines).
    pub tricky: Vec<Template>,
}

/// One `serviceSource` and the detections it raises.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceDef {
    pub service_source: String,
    pub product_name: String,
    /// Prefix of alert ids from this source (Graph ids start with a product prefix).
    pub id_prefix: String,
    /// Relative share of generated alerts.
    pub weight: u32,
    pub investigation_states: Vec<String>,
    pub recommended_actions: String,
    pub templates: Vec<Template>,
}

/// One kind of detection.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Template {
    /// Only for `tricky` entries, which name their source.
    #[serde(default)]
    pub service_source: Option<String>,
    pub title: String,
    pub category: String,
    pub techniques: Vec<String>,
    pub severity: String,
    pub detection_source: String,
    pub description: String,
    /// Evidence kinds to attach, e.g. `device`, `process`, `user`.
    pub evidence: Vec<String>,
    #[serde(default)]
    pub threat: Option<String>,
    #[serde(default)]
    pub threat_family: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    /// Raised by a policy (DLP): carries an `alertPolicyId`.
    #[serde(default)]
    pub policy: bool,
    /// Overrides the process command line (placeholders as in `commandLines`).
    #[serde(default)]
    pub command_line: Option<String>,
    /// Overrides the mail subject.
    #[serde(default)]
    pub subject: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileDef {
    pub name: String,
    /// May contain `{account}`.
    pub path: String,
    pub size: i64,
    pub publisher: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Country {
    pub code: String,
    pub name: String,
    pub state: String,
    pub city: String,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entities {
    pub org_domain: String,
    pub netbios_domain: String,
    pub first_names: Vec<String>,
    pub last_names: Vec<String>,
    pub departments: Vec<String>,
    pub analysts: Vec<String>,
    pub host_prefixes: Vec<String>,
    pub servers: Vec<String>,
    /// `[osPlatform, osBuild, version]`
    pub os_platforms: Vec<(String, String, String)>,
    pub files: Vec<FileDef>,
    pub parent_processes: Vec<FileDef>,
    /// May contain `{url}`, `{domain}`, `{host}`, `{account}`, `{b64:N}`.
    pub command_lines: Vec<String>,
    pub malicious_domains: Vec<String>,
    /// May contain `{n}`.
    pub url_paths: Vec<String>,
    pub countries: Vec<Country>,
    pub mail_subjects: Vec<String>,
    /// `[displayName, address]`
    pub senders: Vec<(String, String)>,
    /// `[displayName, appId]`
    pub cloud_apps: Vec<(String, i64)>,
    /// `[displayName, publisher]`
    pub oauth_apps: Vec<(String, String)>,
    /// `[resourceType, name]`
    pub azure_resources: Vec<(String, String)>,
    /// `[hive, key, valueName, value]`
    pub registry_keys: Vec<(String, String, String, String)>,
    pub comments: Vec<String>,
    pub system_tags: Vec<Vec<String>>,
}

/// The vocabularies, parsed once. The assets are part of the source tree and checked by a
/// unit test, so a parse failure is a build defect, reported as an error rather than a panic.
pub fn load() -> Result<(&'static Detections, &'static Entities), String> {
    static DETECTIONS: OnceLock<Result<Detections, String>> = OnceLock::new();
    static ENTITIES: OnceLock<Result<Entities, String>> = OnceLock::new();
    let d = DETECTIONS.get_or_init(|| {
        serde_json::from_str(DETECTIONS_JSON).map_err(|e| format!("detections.json: {e}"))
    });
    let e = ENTITIES.get_or_init(|| {
        serde_json::from_str(ENTITIES_JSON).map_err(|e| format!("entities.json: {e}"))
    });
    match (d, e) {
        (Ok(d), Ok(e)) => Ok((d, e)),
        (Err(m), _) | (_, Err(m)) => Err(m.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enums::{AlertSeverity, DetectionSource, InvestigationState, ServiceSource};

    #[test]
    fn assets_parse_and_use_known_enum_members() {
        let (d, e) = load().unwrap();
        let known_kinds = [
            "device",
            "user",
            "ip",
            "url",
            "file",
            "process",
            "mailbox",
            "registryKey",
            "registryValue",
            "analyzedMessage",
            "cloudApplication",
            "oauthApplication",
            "azureResource",
        ];
        let check = |t: &Template| {
            assert!(!AlertSeverity::parse(&t.severity).is_other(), "{}", t.title);
            assert!(
                !DetectionSource::parse(&t.detection_source).is_other(),
                "{}",
                t.title
            );
            for k in &t.evidence {
                assert!(known_kinds.contains(&k.as_str()), "{k} in {}", t.title);
            }
        };
        for s in &d.sources {
            assert!(!ServiceSource::parse(&s.service_source).is_other());
            assert!(!s.templates.is_empty() && s.weight > 0);
            for st in &s.investigation_states {
                assert!(!InvestigationState::parse(st).is_other(), "{st}");
            }
            s.templates.iter().for_each(check);
        }
        for t in &d.tricky {
            check(t);
            let src = t.service_source.as_deref().unwrap();
            assert!(d.sources.iter().any(|s| s.service_source == src));
        }
        // Every documented service source except the sentinels is represented.
        for ss in ServiceSource::KNOWN {
            if matches!(
                ss,
                ServiceSource::Unknown | ServiceSource::UnknownFutureValue
            ) {
                continue;
            }
            assert!(
                d.sources
                    .iter()
                    .any(|s| ServiceSource::parse(&s.service_source) == *ss),
                "{ss} missing"
            );
        }
        assert!(e.first_names.len() * e.last_names.len() >= 100);
        assert!(!e.files.is_empty() && !e.command_lines.is_empty() && !e.countries.is_empty());
        // Default vocabularies carry no control characters except line breaks.
        for text in [DETECTIONS_JSON, ENTITIES_JSON] {
            let v: serde_json::Value = serde_json::from_str(text).unwrap();
            fn walk(v: &serde_json::Value) {
                match v {
                    serde_json::Value::String(s) => {
                        assert!(!s.chars().any(|c| c.is_control() && c != '\n'), "{s:?}")
                    }
                    serde_json::Value::Array(a) => a.iter().for_each(walk),
                    serde_json::Value::Object(o) => o.values().for_each(walk),
                    _ => {}
                }
            }
            walk(&v);
        }
    }
}
