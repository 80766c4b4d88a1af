//! Correlation: the entities (users, devices, IPs, file hashes, URLs, mailboxes) that alerts
//! share, with per-entity counts and a score. Pure: no I/O, no UI.
//!
//! Cost model, for a tenant of 100,000 alerts: the subtype fields an entity is keyed by are
//! not in the compact [`crate::graph::models::Evidence`] the queue keeps, and
//! [`Alert::evidence_details`] builds every subtype field of every item. So each alert is read
//! once, when it arrives, with [`alert_entities`], which deserialises only the few fields
//! needed here; the result is kept beside the alert. Opening the entities pane then only
//! aggregates those small lists ([`correlate`]), with no JSON parsing at all.

use crate::graph::enums::AlertSeverity;
use crate::graph::lenient;
use crate::graph::models::Alert;
use crate::sanitize;
use serde::Deserialize;
use std::collections::HashMap;
use std::net::IpAddr;
use time::OffsetDateTime;

/// What an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    User,
    Device,
    Ip,
    File,
    Url,
    Mailbox,
}

impl EntityKind {
    pub const ALL: [EntityKind; 6] = [
        EntityKind::User,
        EntityKind::Device,
        EntityKind::Ip,
        EntityKind::File,
        EntityKind::Url,
        EntityKind::Mailbox,
    ];

    /// The name used on screen, in `--kind` and in the outputs.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::User => "user",
            EntityKind::Device => "device",
            EntityKind::Ip => "ip",
            EntityKind::File => "file",
            EntityKind::Url => "url",
            EntityKind::Mailbox => "mailbox",
        }
    }

    pub fn parse(s: &str) -> Option<EntityKind> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s.trim()))
    }
}

/// One entity as one alert names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRef {
    pub kind: EntityKind,
    /// The normalised identity two alerts must share to be about the same entity
    /// (sanitised, lowercased where the thing is case-insensitive).
    pub key: Box<str>,
    /// How the analyst sees it (sanitised, original case; files add the file name).
    pub name: Box<str>,
}

impl EntityRef {
    fn new(kind: EntityKind, key: String, name: String) -> EntityRef {
        EntityRef {
            kind,
            key: key.into_boxed_str(),
            name: name.into_boxed_str(),
        }
    }

    /// True when `other` is the same entity.
    pub fn same(&self, kind: EntityKind, key: &str) -> bool {
        self.kind == kind && &*self.key == key
    }
}

/// The evidence fields entities are keyed by, and nothing else (see the module docs).
#[derive(Deserialize)]
struct Slim {
    #[serde(default, deserialize_with = "lenient::list")]
    evidence: Vec<SlimEvidence>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SlimEvidence {
    #[serde(rename = "@odata.type", default, deserialize_with = "lenient::string")]
    odata_type: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    user_account: Option<SlimAccount>,
    #[serde(default, deserialize_with = "lenient::string")]
    device_dns_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    mde_device_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    ip_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::object")]
    file_details: Option<SlimFile>,
    #[serde(default, deserialize_with = "lenient::string")]
    url: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    primary_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    upn: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SlimAccount {
    #[serde(default, deserialize_with = "lenient::string")]
    user_principal_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    user_sid: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    domain_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    account_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct SlimFile {
    #[serde(default, deserialize_with = "lenient::string")]
    file_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    sha1: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    sha256: Option<String>,
}

/// A present, non-blank value, sanitised (Graph strings never reach a key or a screen raw).
fn clean(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(|s| sanitize::line(s.trim()).into_owned())
        .filter(|s| !s.is_empty())
}

/// The entities one alert's evidence names, each once, in evidence order.
pub fn alert_entities(alert: &Alert) -> Vec<EntityRef> {
    let Ok(slim) = serde_json::from_str::<Slim>(alert.raw.get()) else {
        return Vec::new();
    };
    let mut out: Vec<EntityRef> = Vec::new();
    for e in &slim.evidence {
        if let Some(r) = entity_of(e)
            && !out.iter().any(|o| o.same(r.kind, &r.key))
        {
            out.push(r);
        }
    }
    out
}

fn entity_of(e: &SlimEvidence) -> Option<EntityRef> {
    let t = e.odata_type.as_deref().unwrap_or("");
    let short = t.rsplit('.').next().unwrap_or(t).trim_start_matches('#');
    let same = |name: String| (name.to_lowercase(), name);
    let (kind, (key, name)) = match short {
        "userEvidence" => {
            let a = e.user_account.as_ref()?;
            // UPN first (what analysts search by), then the SID (stable when the UPN is not
            // sent, e.g. on-premises identities), then DOMAIN\account.
            let id = clean(&a.user_principal_name)
                .or_else(|| clean(&a.user_sid))
                .or_else(|| match (clean(&a.domain_name), clean(&a.account_name)) {
                    (Some(d), Some(n)) => Some(format!("{d}\\{n}")),
                    (None, Some(n)) => Some(n),
                    _ => None,
                })?;
            (EntityKind::User, same(id))
        }
        "deviceEvidence" => {
            let dns = clean(&e.device_dns_name).map(|d| d.trim_end_matches('.').to_owned());
            let id = dns
                .filter(|d| !d.is_empty())
                .or_else(|| clean(&e.mde_device_id))?;
            (EntityKind::Device, same(id))
        }
        "ipEvidence" => {
            let ip = clean(&e.ip_address)?;
            // One address has many spellings in IPv6 (zeros, case): key on the parsed form.
            let key = ip
                .parse::<IpAddr>()
                .map(|a| a.to_string())
                .unwrap_or_else(|_| ip.to_lowercase());
            (EntityKind::Ip, (key, ip))
        }
        "fileEvidence" => {
            let f = e.file_details.as_ref()?;
            let hash = clean(&f.sha256).or_else(|| clean(&f.sha1))?.to_lowercase();
            let name = match clean(&f.file_name) {
                Some(n) => format!("{n} {hash}"),
                None => hash.clone(),
            };
            (EntityKind::File, (hash, name))
        }
        "urlEvidence" => {
            let url = clean(&e.url)?;
            (EntityKind::Url, (url_key(&url), url))
        }
        "mailboxEvidence" => {
            let addr = clean(&e.primary_address).or_else(|| clean(&e.upn))?;
            (EntityKind::Mailbox, same(addr))
        }
        _ => return None,
    };
    Some(EntityRef::new(kind, key, name))
}

/// Scheme and host are case-insensitive, the path is not; a bare trailing `/` is dropped.
fn url_key(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path == "/" { "" } else { path };
    if scheme.is_empty() {
        format!("{}{path}", host.to_lowercase())
    } else {
        format!("{}://{}{path}", scheme.to_lowercase(), host.to_lowercase())
    }
}

/// One entity across every alert that names it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entity {
    pub kind: EntityKind,
    pub key: Box<str>,
    /// The name as the first alert (in input order) spelt it.
    pub name: Box<str>,
    pub alerts: usize,
    /// Distinct `incidentId`s among those alerts.
    pub incidents: usize,
    /// Distinct `serviceSource`s, by wire name, sorted.
    pub sources: Vec<String>,
    pub severity: Option<AlertSeverity>,
    /// Earliest and latest `createdDateTime` of those alerts.
    pub first_seen: Option<OffsetDateTime>,
    pub last_seen: Option<OffsetDateTime>,
    pub score: u64,
}

/// The score's formula in one line, for the help and the outputs' documentation.
pub const SCORE_FORMULA: &str = "score = 10×incidents + 5×sources + severity (high 8, medium 4, low 2, info 1) + alerts (at most 10)";

/// Ranks entities for triage:
///
/// `score = 10·incidents + 5·sources + severity + min(alerts, 10)`,
/// with severity the highest alert's weight: high 8, medium 4, low 2, informational 1.
///
/// Why: an entity in several *incidents* links attacks Defender correlated separately, the
/// strongest pivot an analyst has, so incidents weigh most. Several *service sources* mean
/// independent products saw it (an identity alert and an endpoint alert on one user), which
/// corroborates. *Severity* lifts entities touched by a high alert. The raw *alert count*
/// weighs least and is capped, because one noisy detector can raise hundreds of alerts about
/// one harmless host.
pub fn score(
    incidents: usize,
    sources: usize,
    severity: Option<&AlertSeverity>,
    alerts: usize,
) -> u64 {
    let sev = match severity {
        Some(AlertSeverity::High) => 8,
        Some(AlertSeverity::Medium) => 4,
        Some(AlertSeverity::Low) => 2,
        Some(AlertSeverity::Informational) => 1,
        _ => 0,
    };
    10 * incidents as u64 + 5 * sources as u64 + sev + alerts.min(10) as u64
}

struct Acc<'a> {
    name: &'a str,
    alerts: usize,
    /// Interned incident ids, with repeats (sorted and deduplicated at the end: far cheaper
    /// than a set per entity).
    incidents: Vec<u32>,
    /// Interned service sources, each once (an entity rarely has more than a few).
    sources: Vec<u32>,
    severity: Option<&'a AlertSeverity>,
    first: Option<OffsetDateTime>,
    last: Option<OffsetDateTime>,
}

/// Small integer ids for repeated strings (incident ids, sources), so per-entity sets hold
/// `u32`s instead of hashing strings again for every entity of every alert.
#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<&'a str, u32>,
    names: Vec<&'a str>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, s: &'a str) -> u32 {
        let next = self.names.len() as u32;
        *self.ids.entry(s).or_insert_with(|| {
            self.names.push(s);
            next
        })
    }
}

/// Aggregates alerts (each with its [`alert_entities`]) into entities, best score first;
/// ties go to more alerts, then the most recent, then kind and key, so the order is total.
///
/// Each alert's incident and source are interned once, then every entity it names is one
/// hash lookup plus a few integer pushes.
pub fn correlate<'a, I>(alerts: I) -> Vec<Entity>
where
    I: IntoIterator<Item = (&'a Alert, &'a [EntityRef])>,
{
    let mut index: HashMap<(EntityKind, &'a str), usize> = HashMap::new();
    let mut accs: Vec<Acc<'a>> = Vec::new();
    let mut incidents = Interner::default();
    let mut sources = Interner::default();
    let rank = |s: Option<&AlertSeverity>| s.map_or(0, AlertSeverity::rank);
    for (alert, refs) in alerts {
        if refs.is_empty() {
            continue;
        }
        let incident = alert
            .incident_id
            .as_deref()
            .filter(|i| !i.is_empty())
            .map(|i| incidents.id(i));
        let source = alert
            .service_source
            .as_ref()
            .map(|s| sources.id(s.as_str()));
        let severity = alert.severity.as_ref();
        for r in refs {
            let i = *index.entry((r.kind, &r.key)).or_insert_with(|| {
                accs.push(Acc {
                    name: &r.name,
                    alerts: 0,
                    incidents: Vec::new(),
                    sources: Vec::new(),
                    severity: None,
                    first: None,
                    last: None,
                });
                accs.len() - 1
            });
            let acc = &mut accs[i];
            acc.alerts += 1;
            if let Some(inc) = incident {
                acc.incidents.push(inc);
            }
            if let Some(src) = source
                && !acc.sources.contains(&src)
            {
                acc.sources.push(src);
            }
            if rank(severity) > rank(acc.severity) {
                acc.severity = severity;
            }
            if let Some(t) = alert.created {
                acc.first = Some(acc.first.map_or(t, |f| f.min(t)));
                acc.last = Some(acc.last.map_or(t, |l| l.max(t)));
            }
        }
    }
    let mut out: Vec<Entity> = index
        .into_iter()
        .map(|((kind, key), i)| {
            let a = &mut accs[i];
            a.incidents.sort_unstable();
            a.incidents.dedup();
            let mut names: Vec<String> = a
                .sources
                .iter()
                .map(|&s| sanitize::line(sources.names[s as usize]).into_owned())
                .collect();
            names.sort();
            Entity {
                kind,
                key: key.into(),
                name: a.name.into(),
                alerts: a.alerts,
                incidents: a.incidents.len(),
                score: score(a.incidents.len(), names.len(), a.severity, a.alerts),
                sources: names,
                severity: a.severity.cloned(),
                first_seen: a.first,
                last_seen: a.last,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .cmp(&a.score)
            .then(b.alerts.cmp(&a.alerts))
            .then(b.last_seen.cmp(&a.last_seen))
            .then(a.kind.cmp(&b.kind))
            .then(a.key.cmp(&b.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn alert(id: &str, incident: &str, source: &str, sev: &str, hour: u32, ev: Value) -> Alert {
        Alert::from_json(
            &json!({
                "id": id,
                "incidentId": incident,
                "serviceSource": source,
                "severity": sev,
                "createdDateTime": format!("2026-11-20T{hour:02}:00:00Z"),
                "evidence": ev,
            })
            .to_string(),
        )
        .unwrap()
    }

    fn user(upn: Option<&str>, sid: Option<&str>, dom: Option<&str>, acct: Option<&str>) -> Value {
        json!({"@odata.type": "#microsoft.graph.security.userEvidence",
               "userAccount": {"userPrincipalName": upn, "userSid": sid,
                               "domainName": dom, "accountName": acct}})
    }

    fn device(dns: Option<&str>, mde: Option<&str>) -> Value {
        json!({"@odata.type": "#microsoft.graph.security.deviceEvidence",
               "deviceDnsName": dns, "mdeDeviceId": mde})
    }

    fn set() -> Vec<Alert> {
        let ip = |a: &str| json!({"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": a});
        let file = |s256: Option<&str>, s1: &str| {
            json!({"@odata.type": "#microsoft.graph.security.fileEvidence",
            "fileDetails": {"fileName": "tool.exe", "sha256": s256, "sha1": s1}})
        };
        vec![
            // Ann: three alerts, two incidents, two sources, once spelt in capitals.
            alert(
                "a1",
                "10",
                "microsoftDefenderForEndpoint",
                "medium",
                9,
                json!([
                    user(Some("ann@fabrikam.example"), None, None, None),
                    device(Some("WS-01.fabrikam.example."), None),
                    file(Some("AB12"), "ff")
                ]),
            ),
            alert(
                "a2",
                "10",
                "microsoftDefenderForIdentity",
                "low",
                11,
                json!([
                    user(Some("ANN@Fabrikam.example"), None, None, None),
                    ip("2001:DB8::0:1")
                ]),
            ),
            alert(
                "a3",
                "11",
                "microsoftDefenderForEndpoint",
                "high",
                7,
                json!([
                    user(Some("ann@fabrikam.example"), None, None, None),
                    device(Some("ws-01.fabrikam.example"), None)
                ]),
            ),
            // Bob: a SID only, then DOMAIN\account only (different identities).
            alert(
                "b1",
                "12",
                "microsoftDefenderForEndpoint",
                "high",
                8,
                json!([
                    user(None, Some("S-1-5-21-7"), None, None),
                    ip("2001:db8::1"),
                    file(None, "CD34"),
                    device(None, Some("MDE-99"))
                ]),
            ),
            alert(
                "b2",
                "12",
                "microsoftDefenderForEndpoint",
                "informational",
                8,
                json!([
                    user(None, None, Some("FABRIKAM"), Some("bob")),
                    user(None, None, Some("fabrikam"), Some("BOB")),
                    json!({"@odata.type": "#microsoft.graph.security.urlEvidence",
                              "url": "HTTPS://Evil.Example/Path"}),
                    json!({"@odata.type": "#microsoft.graph.security.mailboxEvidence",
                              "primaryAddress": "Bob@Fabrikam.example"}),
                    json!({"@odata.type": "#microsoft.graph.security.processEvidence",
                              "processId": 4})
                ]),
            ),
            alert(
                "b3",
                "",
                "microsoftDefenderForOffice365",
                "low",
                12,
                json!([
                    json!({"@odata.type": "#microsoft.graph.security.urlEvidence",
                              "url": "https://evil.example/Path"}),
                    json!({"@odata.type": "#microsoft.graph.security.mailboxEvidence",
                              "primaryAddress": "bob@fabrikam.example"})
                ]),
            ),
        ]
    }

    fn run(alerts: &[Alert]) -> Vec<Entity> {
        let refs: Vec<Vec<EntityRef>> = alerts.iter().map(alert_entities).collect();
        correlate(alerts.iter().zip(refs.iter().map(Vec::as_slice)))
    }

    fn find<'a>(es: &'a [Entity], kind: EntityKind, key: &str) -> &'a Entity {
        es.iter()
            .find(|e| e.kind == kind && &*e.key == key)
            .unwrap_or_else(|| panic!("no {kind:?} {key}"))
    }

    #[test]
    fn one_alert_names_each_entity_once_and_skips_other_kinds() {
        let b2 = &set()[4];
        let refs = alert_entities(b2);
        let kinds: Vec<_> = refs.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [EntityKind::User, EntityKind::Url, EntityKind::Mailbox]
        );
        assert_eq!(&*refs[0].key, "fabrikam\\bob");
        assert_eq!(&*refs[0].name, "FABRIKAM\\bob", "first spelling is shown");
    }

    #[test]
    fn counts_incidents_sources_severity_and_times() {
        let es = run(&set());
        let ann = find(&es, EntityKind::User, "ann@fabrikam.example");
        assert_eq!(ann.alerts, 3);
        assert_eq!(ann.incidents, 2);
        assert_eq!(
            ann.sources,
            [
                "microsoftDefenderForEndpoint",
                "microsoftDefenderForIdentity"
            ]
        );
        assert_eq!(ann.severity, Some(AlertSeverity::High));
        assert_eq!(ann.first_seen.unwrap().hour(), 7);
        assert_eq!(ann.last_seen.unwrap().hour(), 11);
        assert_eq!(ann.score, 10 * 2 + 5 * 2 + 8 + 3);
        let ws = find(&es, EntityKind::Device, "ws-01.fabrikam.example");
        assert_eq!((ws.alerts, ws.incidents), (2, 2));
        // An empty incidentId is no incident.
        let url = find(&es, EntityKind::Url, "https://evil.example/Path");
        assert_eq!((url.alerts, url.incidents, url.sources.len()), (2, 1, 2));
    }

    #[test]
    fn normalises_each_kind() {
        let es = run(&set());
        // IPv6 spellings of one address meet.
        assert_eq!(find(&es, EntityKind::Ip, "2001:db8::1").alerts, 2);
        // sha256 first, else sha1, lowercased; the file name is shown with it.
        let f = find(&es, EntityKind::File, "ab12");
        assert_eq!(&*f.name, "tool.exe ab12");
        find(&es, EntityKind::File, "cd34");
        find(&es, EntityKind::User, "s-1-5-21-7");
        find(&es, EntityKind::Device, "mde-99");
        assert_eq!(
            find(&es, EntityKind::Mailbox, "bob@fabrikam.example").alerts,
            2
        );
        // The trailing dot of a DNS name does not split a device.
        assert_eq!(
            es.iter().filter(|e| e.kind == EntityKind::Device).count(),
            2
        );
    }

    #[test]
    fn sorted_by_score_then_alerts() {
        let es = run(&set());
        assert_eq!(&*es[0].key, "ann@fabrikam.example");
        assert!(es.windows(2).all(|w| w[0].score >= w[1].score));
        assert_eq!(es.len(), 10);
    }

    #[test]
    fn hostile_names_are_sanitised_and_bad_json_yields_nothing() {
        let a = alert(
            "h",
            "1",
            "x",
            "low",
            1,
            json!([user(
                Some("ev\u{1b}]0;x\u{7}il\u{202e}@x"),
                None,
                None,
                None
            )]),
        );
        let refs = alert_entities(&a);
        assert!(!refs[0].name.chars().any(sanitize::is_dangerous));
        assert!(!refs[0].key.chars().any(sanitize::is_dangerous));
        let odd = alert("o", "1", "x", "low", 1, json!("not a list"));
        assert!(alert_entities(&odd).is_empty());
    }

    #[test]
    fn kinds_parse() {
        for k in EntityKind::ALL {
            assert_eq!(EntityKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EntityKind::parse("USER"), Some(EntityKind::User));
        assert_eq!(EntityKind::parse("host"), None);
    }
}
