//! The demo tenant's attack simulation and training data (surface.md §8), generated once
//! from the emulator's seed and start time: twelve simulations across every
//! `simulationStatus` and technique, their automations and runs, the training catalogue,
//! and per-user results from which every figure is *derived* rather than drawn:
//!
//! - a simulation's overview counts each event by the users that carry it
//!   (`SuccessfullyDeliveredMail` = every target, the technique's click and compromise
//!   events, `ReportedEmail` = users with `reportedPhishDateTime`);
//! - `compromisedRate` is compromised users / resolved targets × 100 (a percent, as the
//!   beta doc's `100.0` for one of one);
//! - training counts are those of the users' `trainingEvents`;
//! - repeat offenders, simulation user coverage and training user coverage are folded
//!   from the same per-user results.
//!
//! Draft and scheduled simulations have not run, so they have no report. The text is our
//! own invention; one description carries a terminal escape sequence and one display name
//! a bidi override, so clients' sanitising is exercised.

use super::cases::uuid;
use super::generate::{Rng, mix64};
use super::json::fmt_time;
use serde_json::{Map, Value, json};
use time::{Duration, OffsetDateTime};

/// Simulations in the demo tenant.
pub const DEMO_SIMULATIONS: usize = 12;
/// People simulations draw their targets from.
pub const USER_POOL: usize = 40;
/// The event every target gets once the payload reached them (any platform: the demo
/// keeps one name so the figures read the same for email, Teams and SMS).
pub const DELIVERED: &str = "SuccessfullyDeliveredMail";
/// The event of a user who reported the payload.
pub const REPORTED: &str = "ReportedEmail";
/// A technique documented on the service but added after `unknownFutureValue`
/// (surface.md §1.1): sent only with `Prefer: include-unknown-enum-members`.
pub const LATE_TECHNIQUE: &str = "oAuthConsentGrant";

/// `(attackTechnique, attackType, click event, compromise event)`. Where the click is the
/// compromise (a drive-by, an opened attachment) the two names are the same.
const TECHNIQUES: [(&str, &str, &str, &str); 6] = [
    (
        "credentialHarvesting",
        "social",
        "EmailLinkClicked",
        "CredentialSupplied",
    ),
    (
        "attachmentMalware",
        "social",
        "AttachmentOpened",
        "AttachmentOpened",
    ),
    (
        "driveByUrl",
        "social",
        "EmailLinkClicked",
        "EmailLinkClicked",
    ),
    (
        "linkInAttachment",
        "social",
        "AttachmentLinkClicked",
        "CredentialSupplied",
    ),
    (
        "linkToMalwareFile",
        "social",
        "EmailLinkClicked",
        "MalwareFileDownloaded",
    ),
    (
        LATE_TECHNIQUE,
        "cloud",
        "EmailLinkClicked",
        "OAuthConsentGranted",
    ),
];

/// One planned simulation.
struct Plan {
    name: &'static str,
    description: &'static str,
    status: &'static str,
    technique: usize,
    platform: &'static str,
    automation: Option<usize>,
    /// Days before now it launched (negative: launches in the future); `None`: a draft.
    launched_days_ago: Option<i64>,
    duration_days: i64,
    targets: usize,
    /// Percent of targets that click, percent of clickers compromised, percent reporting.
    rates: (u64, u64, u64),
    /// Index of the technique-specific training assigned to clickers, if any training.
    training: Option<usize>,
}

fn plans() -> [Plan; DEMO_SIMULATIONS] {
    [
        Plan {
            name: "Quarterly payroll credential check",
            description: "Fake payroll portal sign-in sent to finance and HR.",
            status: "succeeded",
            technique: 0,
            platform: "email",
            automation: Some(0),
            launched_days_ago: Some(80),
            duration_days: 7,
            targets: 24,
            rates: (45, 60, 20),
            training: Some(1),
        },
        Plan {
            name: "Invoice attachment drill",
            description: "An overdue invoice with a macro-laden attachment.",
            status: "succeeded",
            technique: 1,
            platform: "email",
            automation: None,
            launched_days_ago: Some(66),
            duration_days: 5,
            targets: 18,
            rates: (35, 100, 25),
            training: Some(2),
        },
        Plan {
            name: "Teams file share lure",
            description: "A shared file link posted in a Teams chat.",
            status: "succeeded",
            technique: 2,
            platform: "teams",
            automation: Some(2),
            launched_days_ago: Some(52),
            duration_days: 3,
            targets: 15,
            rates: (30, 100, 15),
            training: None,
        },
        Plan {
            name: "Shipping notice link in PDF",
            description: "A courier notice whose PDF links to a sign-in page.",
            status: "running",
            technique: 3,
            platform: "email",
            automation: None,
            launched_days_ago: Some(2),
            duration_days: 7,
            targets: 20,
            rates: (30, 50, 15),
            training: Some(1),
        },
        Plan {
            name: "Monthly payroll credential check",
            description: "The automated follow-up: a payslip download link.",
            status: "succeeded",
            technique: 4,
            platform: "email",
            automation: Some(0),
            launched_days_ago: Some(38),
            duration_days: 7,
            targets: 22,
            rates: (40, 55, 30),
            training: Some(3),
        },
        Plan {
            name: "Calendar sync consent request",
            // Hostile on purpose: a console must not let this clear the screen.
            description: "Grant \u{1b}[2J\u{1b}[31mCalendar Sync\u{1b}[0m access to your mailbox.",
            status: "succeeded",
            technique: 5,
            platform: "email",
            automation: None,
            launched_days_ago: Some(24),
            duration_days: 5,
            targets: 16,
            rates: (40, 70, 10),
            training: Some(4),
        },
        Plan {
            name: "New starter welcome pack",
            description: "Draft: credential page behind a welcome pack link.",
            status: "draft",
            technique: 0,
            platform: "email",
            automation: None,
            launched_days_ago: None,
            duration_days: 7,
            targets: 10,
            rates: (0, 0, 0),
            training: Some(1),
        },
        Plan {
            name: "Parcel SMS rotation",
            description: "An SMS about a missed delivery with a short link.",
            status: "scheduled",
            technique: 2,
            platform: "sms",
            automation: Some(1),
            launched_days_ago: Some(-3),
            duration_days: 3,
            targets: 12,
            rates: (0, 0, 0),
            training: None,
        },
        Plan {
            name: "MFA reset text message",
            description: "An SMS asking to re-register MFA; delivery failed part-way.",
            status: "failed",
            technique: 0,
            platform: "sms",
            automation: None,
            launched_days_ago: Some(30),
            duration_days: 2,
            targets: 14,
            rates: (20, 40, 10),
            training: None,
        },
        Plan {
            name: "Expense report attachment",
            description: "Cancelled after the payload was flagged by a user.",
            status: "cancelled",
            technique: 1,
            platform: "email",
            automation: None,
            launched_days_ago: Some(45),
            duration_days: 7,
            targets: 12,
            rates: (15, 100, 40),
            training: None,
        },
        Plan {
            name: "Teams meeting recording link",
            description: "Excluded from reporting: the wrong group was targeted.",
            status: "excluded",
            technique: 3,
            platform: "teams",
            automation: None,
            launched_days_ago: Some(60),
            duration_days: 4,
            targets: 10,
            rates: (30, 50, 10),
            training: None,
        },
        Plan {
            // Hostile on purpose: a right-to-left override that would reorder the row.
            name: "Password expiry \u{202e}txt.exe notice",
            description: "Password expiry notice with a sign-in link.",
            status: "succeeded",
            technique: 0,
            platform: "email",
            automation: None,
            launched_days_ago: Some(10),
            duration_days: 5,
            targets: 26,
            rates: (50, 60, 25),
            training: Some(1),
        },
    ]
}

/// `(displayName, description, durationInMinutes, source, availabilityStatus, hasEvaluation, tags)`.
type TrainingDef = (
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
);

/// The catalogue; index 0 is what every compromised user is assigned as well.
const TRAININGS: [TrainingDef; 6] = [
    (
        "Phishing essentials",
        "Recognise the signs of a phishing message.",
        15,
        "global",
        "available",
        true,
        &["phishing", "basics"],
    ),
    (
        "Spot the fake sign-in page",
        "Credential harvesting pages and how to check a sign-in address.",
        10,
        "global",
        "available",
        true,
        &["credentials"],
    ),
    (
        "Attachments that bite",
        "Macros, archives and other attachment tricks.",
        12,
        "global",
        "available",
        false,
        &["attachments", "malware"],
    ),
    (
        "Downloads you did not ask for",
        "Links to malware files and drive-by downloads.",
        8,
        "tenant",
        "available",
        false,
        &[],
    ),
    (
        "Consent phishing",
        "Rogue applications that ask for access to your data.",
        9,
        "global",
        "available",
        true,
        &["oauth"],
    ),
    (
        "Reporting a phish (2019 edition)",
        "Superseded by Phishing essentials.",
        5,
        "tenant",
        "archive",
        false,
        &["legacy"],
    ),
];

/// `(displayName, description, status)`.
const AUTOMATIONS: [(&str, &str, &str); 4] = [
    (
        "Payroll season",
        "Runs a payroll-themed simulation each month.",
        "running",
    ),
    (
        "SMS rotation",
        "SMS lures on a rolling schedule.",
        "running",
    ),
    (
        "Teams pilot",
        "One-off Teams campaign, finished.",
        "completed",
    ),
    ("Onboarding (draft)", "Not started yet.", "draft"),
];

/// A person in the simulation pool.
#[derive(Debug, Clone)]
pub struct PoolUser {
    pub id: String,
    pub display_name: String,
    pub email: String,
}

/// One training assigned to one user by one simulation.
#[derive(Debug, Clone)]
pub struct Assigned {
    pub training: usize,
    /// `assigned`, `inProgress` or `completed`.
    pub status: &'static str,
    pub assigned_at: OffsetDateTime,
    pub updated_at: Option<OffsetDateTime>,
    pub completed_at: Option<OffsetDateTime>,
}

/// One target's results in one simulation.
#[derive(Debug, Clone)]
pub struct UserResult {
    pub user: usize,
    /// `(eventName, at)` in time order; the first is always [`DELIVERED`].
    pub events: Vec<(&'static str, OffsetDateTime)>,
    pub clicked: bool,
    pub compromised_at: Option<OffsetDateTime>,
    pub reported_at: Option<OffsetDateTime>,
    pub trainings: Vec<Assigned>,
    ip: String,
    device: &'static str,
    browser: &'static str,
}

/// A simulation: its properties (without `report`) and, once it ran, its results.
#[derive(Debug, Clone)]
pub struct Sim {
    pub fields: Value,
    pub launched: Option<OffsetDateTime>,
    pub results: Option<Vec<UserResult>>,
    technique: usize,
}

#[derive(Debug, Clone)]
pub struct Automation {
    pub fields: Value,
    pub runs: Vec<Value>,
}

/// Everything the attack simulation routes serve. Immutable once built.
#[derive(Debug, Clone)]
pub struct SimsData {
    pub users: Vec<PoolUser>,
    pub simulations: Vec<Sim>,
    pub automations: Vec<Automation>,
    pub trainings: Vec<Value>,
}

fn email_identity(u: &PoolUser) -> Value {
    json!({ "id": u.id, "displayName": u.display_name, "email": u.email })
}

fn opt_time(t: Option<OffsetDateTime>) -> Value {
    t.map_or(Value::Null, |t| json!(fmt_time(t)))
}

/// A time between `from` and `to` (or `from` itself when the window is empty).
fn between(rng: &mut Rng, from: OffsetDateTime, to: OffsetDateTime) -> OffsetDateTime {
    let secs = (to - from).whole_seconds();
    if secs <= 0 {
        return from;
    }
    from + Duration::seconds(i64::try_from(rng.below(secs as u64)).unwrap_or(0))
}

/// Forty people named from the emulator's vocabulary, distinct, the same for a seed.
fn pool(seed: u64) -> Vec<PoolUser> {
    let (first, last, domain): (Vec<String>, Vec<String>, String) = match super::vocab::load() {
        Ok((_, e)) => (
            e.first_names.clone(),
            e.last_names.clone(),
            e.org_domain.clone(),
        ),
        // The vocabulary is compiled in and checked by a unit test; should it ever
        // fail, plain names keep the demo serving.
        Err(_) => (
            (0..USER_POOL).map(|i| format!("User{i}")).collect(),
            vec!["Demo".to_owned()],
            "contoso.com".to_owned(),
        ),
    };
    let mut rng = Rng::new(mix64(seed ^ 0x5157_5005));
    let n = first.len() * last.len();
    let mut taken = std::collections::BTreeSet::new();
    let mut out = Vec::with_capacity(USER_POOL);
    while out.len() < USER_POOL.min(n) {
        let k = rng.index(n);
        if !taken.insert(k) {
            continue;
        }
        let (f, l) = (&first[k % first.len()], &last[k / first.len()]);
        out.push(PoolUser {
            id: uuid(&mut rng),
            display_name: format!("{f} {l}"),
            email: format!("{}.{}@{domain}", f.to_lowercase(), l.to_lowercase()),
        });
    }
    out
}

const IPS: [&str; 4] = ["203.0.113.24", "198.51.100.7", "192.0.2.140", "10.20.4.17"];
const DEVICES: [(&str, &str); 4] = [
    ("Windows 11", "Edge"),
    ("macOS 14", "Safari"),
    ("iOS 17", "Mobile Safari"),
    ("Android 14", "Chrome Mobile"),
];

impl SimsData {
    pub fn new(seed: u64, now: OffsetDateTime) -> Self {
        let now = now.replace_nanosecond(0).unwrap_or(now);
        let users = pool(seed);
        let mut rng = Rng::new(mix64(seed ^ 0x5153_0001));
        let admins: Vec<PoolUser> = users.iter().take(2).cloned().collect();
        let trainings = trainings(&mut rng, &admins, now);
        let automation_ids: Vec<String> = AUTOMATIONS.iter().map(|_| uuid(&mut rng)).collect();
        let mut simulations = Vec::with_capacity(DEMO_SIMULATIONS);
        for (i, plan) in plans().iter().enumerate() {
            let by = &admins[i % admins.len()];
            simulations.push(simulation(
                &mut rng,
                plan,
                &users,
                by,
                automation_ids.get(plan.automation.unwrap_or(usize::MAX)),
                now,
            ));
        }
        let automations = automations(&automation_ids, &simulations, &admins, now);
        SimsData {
            users,
            simulations,
            automations,
            trainings,
        }
    }

    pub fn find(&self, id: &str) -> Option<&Sim> {
        self.simulations
            .iter()
            .find(|s| s.fields["id"].as_str() == Some(id))
    }

    fn user_json(&self, u: usize) -> Value {
        let p = &self.users[u];
        json!({ "userId": p.id, "displayName": p.display_name, "email": p.email })
    }

    /// `simulationReportOverview` of a simulation that ran.
    pub fn overview(&self, sim: &Sim) -> Option<Value> {
        let results = sim.results.as_ref()?;
        let (_, _, click, compromise) = TECHNIQUES[sim.technique];
        let mut names = vec![DELIVERED, click];
        if compromise != click {
            names.push(compromise);
        }
        names.push(REPORTED);
        let events: Vec<Value> = names
            .iter()
            .map(|name| {
                let count = results
                    .iter()
                    .filter(|r| r.events.iter().any(|(e, _)| e == name))
                    .count();
                json!({ "eventName": name, "count": count })
            })
            .collect();
        let targets = results.len();
        let compromised = results
            .iter()
            .filter(|r| r.compromised_at.is_some())
            .count();
        let rate = if targets == 0 {
            0.0
        } else {
            compromised as f64 / targets as f64 * 100.0
        };
        let mut infos = Vec::new();
        for (t, def) in TRAININGS.iter().enumerate() {
            let assigned = results
                .iter()
                .filter(|r| r.trainings.iter().any(|a| a.training == t))
                .count();
            if assigned == 0 {
                continue;
            }
            let completed = results
                .iter()
                .filter(|r| {
                    r.trainings
                        .iter()
                        .any(|a| a.training == t && a.status == "completed")
                })
                .count();
            infos.push(json!({
                "displayName": def.0,
                "assignedUserCount": assigned,
                "completedUserCount": completed,
            }));
        }
        let trained = results.iter().filter(|r| !r.trainings.is_empty()).count();
        let mut actions = vec![json!({
            "title": "Turn on Safe Links for Office apps",
            "actionWebUrl": "https://security.microsoft.com/safelinksv2",
            "potentialScoreImpact": 2.0,
        })];
        if compromised > 0 {
            actions.push(json!({
                "title": "Require phishing-resistant MFA for the compromised users",
                "actionWebUrl": "https://entra.microsoft.com/#view/Microsoft_AAD_ConditionalAccess",
                "potentialScoreImpact": 9.0,
            }));
        }
        Some(json!({
            "resolvedTargetsCount": targets,
            "simulationEventsContent": { "compromisedRate": rate, "events": events },
            "trainingEventsContent": {
                "assignedTrainingsInfos": infos,
                "trainingsAssignedUserCount": trained,
            },
            "recommendedActions": actions,
        }))
    }

    /// One `userSimulationDetails`.
    pub fn user_details(&self, r: &UserResult) -> Value {
        let events: Vec<Value> = r
            .events
            .iter()
            .map(|(name, at)| {
                let clicks = *name != DELIVERED && *name != REPORTED;
                json!({
                    "eventName": name,
                    "eventDateTime": fmt_time(*at),
                    "ipAddress": if clicks { json!(r.ip) } else { Value::Null },
                    "osPlatformDeviceDetails": if clicks { json!(r.device) } else { Value::Null },
                    "browser": if clicks { json!(r.browser) } else { Value::Null },
                    "clickSource": if clicks { json!("phishingUrl") } else { Value::Null },
                })
            })
            .collect();
        let content = |t: Option<OffsetDateTime>| match t {
            None => Value::Null,
            Some(t) => json!({
                "contentDateTime": fmt_time(t),
                "browser": r.browser,
                "ipAddress": r.ip,
                "osPlatformDeviceDetails": r.device,
                "potentialScoreImpact": null,
            }),
        };
        let trainings: Vec<Value> = r
            .trainings
            .iter()
            .map(|a| {
                json!({
                    "displayName": TRAININGS[a.training].0,
                    "latestTrainingStatus": a.status,
                    "trainingAssignedProperties": content(Some(a.assigned_at)),
                    "trainingUpdatedProperties": content(a.updated_at),
                    "trainingCompletedProperties": content(a.completed_at),
                })
            })
            .collect();
        let count = |s: &str| r.trainings.iter().filter(|a| a.status == s).count();
        json!({
            "simulationUser": self.user_json(r.user),
            "isCompromised": r.compromised_at.is_some(),
            "compromisedDateTime": opt_time(r.compromised_at),
            "reportedPhishDateTime": opt_time(r.reported_at),
            "assignedTrainingsCount": r.trainings.len(),
            "completedTrainingsCount": count("completed"),
            "inProgressTrainingsCount": count("inProgress"),
            "simulationEvents": events,
            "trainingEvents": trainings,
        })
    }

    /// `simulationReport`, or `None` for a simulation that has not run.
    pub fn report(&self, sim: &Sim) -> Option<Value> {
        let results = sim.results.as_ref()?;
        Some(json!({
            "overview": self.overview(sim)?,
            "simulationUsers": results.iter().map(|r| self.user_details(r)).collect::<Vec<_>>(),
        }))
    }

    fn all_results(&self) -> impl Iterator<Item = (&Sim, &UserResult)> {
        self.simulations
            .iter()
            .filter_map(|s| s.results.as_ref().map(|rs| (s, rs)))
            .flat_map(|(s, rs)| rs.iter().map(move |r| (s, r)))
    }

    /// `attackSimulationRepeatOffender`s: users compromised in two simulations or more,
    /// most offences first.
    pub fn repeat_offenders(&self) -> Vec<Value> {
        let mut counts = vec![0usize; self.users.len()];
        for (_, r) in self.all_results() {
            if r.compromised_at.is_some() {
                counts[r.user] += 1;
            }
        }
        let mut rows: Vec<(usize, usize)> = counts
            .into_iter()
            .enumerate()
            .filter(|&(_, c)| c >= 2)
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        rows.into_iter()
            .map(|(u, c)| json!({ "attackSimulationUser": self.user_json(u), "repeatOffenceCount": c }))
            .collect()
    }

    /// `attackSimulationSimulationUserCoverage`: per user targeted by a simulation that ran.
    pub fn simulation_user_coverage(&self) -> Vec<Value> {
        #[derive(Default, Clone)]
        struct Acc {
            sims: usize,
            clicks: usize,
            compromised: usize,
            latest: Option<OffsetDateTime>,
        }
        let mut acc = vec![Acc::default(); self.users.len()];
        for (s, r) in self.all_results() {
            let a = &mut acc[r.user];
            a.sims += 1;
            a.clicks += usize::from(r.clicked);
            a.compromised += usize::from(r.compromised_at.is_some());
            a.latest = a.latest.max(s.launched);
        }
        acc.into_iter()
            .enumerate()
            .filter(|(_, a)| a.sims > 0)
            .map(|(u, a)| {
                json!({
                    "attackSimulationUser": self.user_json(u),
                    "simulationCount": a.sims,
                    "clickCount": a.clicks,
                    "compromisedCount": a.compromised,
                    "latestSimulationDateTime": opt_time(a.latest),
                })
            })
            .collect()
    }

    /// `attackSimulationTrainingUserCoverage`: per user with an assigned training.
    pub fn training_user_coverage(&self) -> Vec<Value> {
        let mut per: Vec<Vec<Value>> = vec![Vec::new(); self.users.len()];
        for (_, r) in self.all_results() {
            for a in &r.trainings {
                per[r.user].push(json!({
                    "displayName": TRAININGS[a.training].0,
                    "trainingStatus": a.status,
                    "assignedDateTime": fmt_time(a.assigned_at),
                    "completionDateTime": opt_time(a.completed_at),
                }));
            }
        }
        per.into_iter()
            .enumerate()
            .filter(|(_, t)| !t.is_empty())
            .map(|(u, t)| json!({ "attackSimulationUser": self.user_json(u), "userTrainings": t }))
            .collect()
    }
}

fn trainings(rng: &mut Rng, admins: &[PoolUser], now: OffsetDateTime) -> Vec<Value> {
    TRAININGS
        .iter()
        .enumerate()
        .map(
            |(i, (name, desc, minutes, source, availability, eval, tags))| {
                let created = now - Duration::days(400 - 30 * i as i64);
                let by = &admins[i % admins.len()];
                json!({
                    "id": uuid(rng),
                    "displayName": name,
                    "description": desc,
                    "durationInMinutes": minutes,
                    "source": source,
                    "type": "phishing",
                    "tags": tags,
                    "availabilityStatus": availability,
                    "hasEvaluation": eval,
                    "supportedLocales": ["en-us", "de-de", "fr-fr"],
                    "createdBy": email_identity(by),
                    "createdDateTime": fmt_time(created),
                    "lastModifiedBy": email_identity(by),
                    "lastModifiedDateTime": fmt_time(created + Duration::days(20)),
                })
            },
        )
        .collect()
}

fn simulation(
    rng: &mut Rng,
    plan: &Plan,
    users: &[PoolUser],
    by: &PoolUser,
    automation: Option<&String>,
    now: OffsetDateTime,
) -> Sim {
    let id = uuid(rng);
    let (technique, attack_type, click, compromise) = TECHNIQUES[plan.technique];
    let launched = plan
        .launched_days_ago
        .map(|d| now - Duration::days(d) + Duration::minutes(rng.below(600) as i64));
    let created = launched.unwrap_or(now) - Duration::days(3 + rng.below(5) as i64);
    let ends = launched.map(|l| l + Duration::days(plan.duration_days));
    // A cancelled or failed simulation stopped early; its completion is when it stopped.
    let completion = match plan.status {
        "cancelled" | "failed" => launched.map(|l| l + Duration::hours(20)),
        _ => ends,
    };
    // Distinct targets from the pool.
    let mut targets: Vec<usize> = (0..users.len()).collect();
    for i in (1..targets.len()).rev() {
        targets.swap(i, rng.index(i + 1));
    }
    targets.truncate(plan.targets.min(users.len()));
    targets.sort_unstable();

    let ran = !matches!(plan.status, "draft" | "scheduled");
    let results = (ran && launched.is_some()).then(|| {
        let start = launched.unwrap_or(now);
        let end = completion.unwrap_or(now).min(now);
        let (click_pct, compromise_pct, report_pct) = plan.rates;
        targets
            .iter()
            .map(|&u| {
                let delivered = start + Duration::minutes(1 + rng.below(30) as i64);
                let mut events = vec![(DELIVERED, delivered)];
                let clicked = rng.percent(click_pct);
                let mut compromised_at = None;
                if clicked {
                    let at = between(rng, delivered, end);
                    events.push((click, at));
                    if rng.percent(compromise_pct) {
                        let c = if compromise == click {
                            at
                        } else {
                            (at + Duration::seconds(20 + rng.below(200) as i64)).min(end.max(at))
                        };
                        if compromise != click {
                            events.push((compromise, c));
                        }
                        compromised_at = Some(c);
                    }
                }
                let reported_at = rng
                    .percent(report_pct)
                    .then(|| between(rng, delivered, end));
                if let Some(r) = reported_at {
                    events.push((REPORTED, r));
                }
                events.sort_by_key(|e| e.1);
                let mut trainings = Vec::new();
                if let (Some(t), true) = (plan.training, clicked) {
                    let mut ts = vec![t];
                    if compromised_at.is_some() && t != 0 {
                        ts.push(0);
                    }
                    for t in ts {
                        let assigned_at = end.min(delivered + Duration::hours(1));
                        let roll = if plan.status == "running" {
                            rng.below(4)
                        } else {
                            rng.below(8)
                        };
                        let (status, updated, done) = match roll {
                            0 | 1 => ("assigned", None, None),
                            2 | 3 => ("inProgress", Some(between(rng, assigned_at, now)), None),
                            _ => {
                                let u = between(rng, assigned_at, now);
                                ("completed", Some(u), Some(between(rng, u, now)))
                            }
                        };
                        trainings.push(Assigned {
                            training: t,
                            status,
                            assigned_at,
                            updated_at: updated,
                            completed_at: done,
                        });
                    }
                }
                let (device, browser) = DEVICES[rng.index(DEVICES.len())];
                UserResult {
                    user: u,
                    events,
                    clicked,
                    compromised_at,
                    reported_at,
                    trainings,
                    ip: IPS[rng.index(IPS.len())].to_owned(),
                    device,
                    browser,
                }
            })
            .collect()
    });

    let training_setting = match plan.training {
        Some(_) => json!({
            "@odata.type": "#microsoft.graph.microsoftManagedTrainingSetting",
            "settingType": "microsoftManaged",
            "trainingCompletionDuration": "week",
            "completionDateTime": opt_time(ends.map(|e| e + Duration::days(7))),
        }),
        None => json!({
            "@odata.type": "#microsoft.graph.noTrainingSetting",
            "settingType": "noTraining",
        }),
    };
    let oauth = if technique == LATE_TECHNIQUE {
        json!({ "appScope": "readMail", "displayName": "Calendar Sync", "displayLogo": null })
    } else {
        Value::Null
    };
    let mut fields = Map::new();
    let mut put = |k: &str, v: Value| {
        fields.insert(k.to_owned(), v);
    };
    put("id", json!(id));
    put("displayName", json!(plan.name));
    put("description", json!(plan.description));
    put("attackType", json!(attack_type));
    put("attackTechnique", json!(technique));
    put("status", json!(plan.status));
    put("createdDateTime", json!(fmt_time(created)));
    put("createdBy", email_identity(by));
    put(
        "lastModifiedDateTime",
        json!(fmt_time(created + Duration::hours(2))),
    );
    put("lastModifiedBy", email_identity(by));
    put("launchDateTime", opt_time(launched));
    put("completionDateTime", opt_time(completion));
    put("isAutomated", json!(automation.is_some()));
    put("automationId", automation.map_or(Value::Null, |a| json!(a)));
    put("payloadDeliveryPlatform", json!(plan.platform));
    put("durationInDays", json!(plan.duration_days));
    put(
        "includedAccountTarget",
        json!({
            "@odata.type": "#microsoft.graph.addressBookAccountTargetContent",
            "type": "addressBook",
            "accountTargetEmails": targets.iter().map(|&u| users[u].email.clone()).collect::<Vec<_>>(),
        }),
    );
    put("excludedAccountTarget", Value::Null);
    put("trainingSetting", training_setting);
    put("oAuthConsentAppDetail", oauth);
    Sim {
        fields: Value::Object(fields),
        launched,
        results,
        technique: plan.technique,
    }
}

fn automations(
    ids: &[String],
    sims: &[Sim],
    admins: &[PoolUser],
    now: OffsetDateTime,
) -> Vec<Automation> {
    AUTOMATIONS
        .iter()
        .enumerate()
        .map(|(i, (name, desc, status))| {
            let mine: Vec<&Sim> = sims
                .iter()
                .filter(|s| s.fields["automationId"].as_str() == Some(ids[i].as_str()))
                .collect();
            // A run per simulation the automation launched; a scheduled one has not run.
            let runs: Vec<Value> = mine
                .iter()
                .filter(|s| s.results.is_some())
                .map(|s| {
                    let sid = s.fields["id"].as_str().unwrap_or_default();
                    let run_status = match s.fields["status"].as_str() {
                        Some("succeeded") => "succeeded",
                        Some("failed") => "failed",
                        Some("running") => "running",
                        _ => "skipped",
                    };
                    let mut h = mix64(u64::from_str_radix(&sid[..8], 16).unwrap_or(0));
                    h = mix64(h ^ 0x72756e);
                    json!({
                        "id": format!("{:016x}{:016x}", h, mix64(h)),
                        "simulationId": sid,
                        "status": run_status,
                        "startDateTime": opt_time(s.launched),
                        "endDateTime": s.fields["completionDateTime"].clone(),
                    })
                })
                .collect();
            let last = mine
                .iter()
                .filter_map(|s| s.launched)
                .filter(|l| *l <= now)
                .max();
            let next = match *status {
                "running" => Some(
                    mine.iter()
                        .filter_map(|s| s.launched)
                        .filter(|l| *l > now)
                        .min()
                        .unwrap_or(now + Duration::days(10)),
                ),
                _ => None,
            };
            let by = &admins[i % admins.len()];
            let created = now - Duration::days(120 - 10 * i as i64);
            Automation {
                fields: json!({
                    "id": ids[i],
                    "displayName": name,
                    "description": desc,
                    "status": status,
                    "createdDateTime": fmt_time(created),
                    "createdBy": email_identity(by),
                    "lastModifiedDateTime": fmt_time(created + Duration::days(1)),
                    "lastModifiedBy": email_identity(by),
                    "lastRunDateTime": opt_time(last),
                    "nextRunDateTime": opt_time(next),
                }),
                runs,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> SimsData {
        SimsData::new(42, OffsetDateTime::UNIX_EPOCH + Duration::days(20_000))
    }

    #[test]
    fn every_status_and_technique_is_present_and_only_runs_have_reports() {
        let d = data();
        let statuses: std::collections::BTreeSet<&str> = d
            .simulations
            .iter()
            .filter_map(|s| s.fields["status"].as_str())
            .collect();
        for s in [
            "draft",
            "scheduled",
            "running",
            "succeeded",
            "failed",
            "cancelled",
            "excluded",
        ] {
            assert!(statuses.contains(s), "no {s} simulation");
        }
        for (t, ..) in TECHNIQUES {
            assert!(
                d.simulations
                    .iter()
                    .any(|s| s.fields["attackTechnique"] == t),
                "no {t} simulation"
            );
        }
        for s in &d.simulations {
            let ran = !matches!(s.fields["status"].as_str(), Some("draft" | "scheduled"));
            assert_eq!(d.report(s).is_some(), ran, "{}", s.fields["status"]);
        }
    }

    #[test]
    fn overview_figures_are_those_of_the_users() {
        let d = data();
        for s in d.simulations.iter().filter(|s| s.results.is_some()) {
            let o = d.overview(s).unwrap();
            let users: Vec<Value> = s
                .results
                .as_ref()
                .unwrap()
                .iter()
                .map(|r| d.user_details(r))
                .collect();
            assert_eq!(o["resolvedTargetsCount"], users.len());
            for e in o["simulationEventsContent"]["events"].as_array().unwrap() {
                let n = users
                    .iter()
                    .filter(|u| {
                        u["simulationEvents"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|x| x["eventName"] == e["eventName"])
                    })
                    .count();
                assert_eq!(e["count"], n, "{}", e["eventName"]);
            }
            let compromised = users.iter().filter(|u| u["isCompromised"] == true).count();
            let rate = o["simulationEventsContent"]["compromisedRate"]
                .as_f64()
                .unwrap();
            assert!((rate - compromised as f64 * 100.0 / users.len() as f64).abs() < 1e-9);
            for u in &users {
                assert_eq!(
                    u["isCompromised"] == true,
                    !u["compromisedDateTime"].is_null()
                );
            }
        }
    }

    #[test]
    fn repeat_offenders_are_the_users_compromised_twice_or_more() {
        let d = data();
        let offenders = d.repeat_offenders();
        assert!(
            !offenders.is_empty(),
            "the demo should have repeat offenders"
        );
        for o in &offenders {
            let id = o["attackSimulationUser"]["userId"].as_str().unwrap();
            let u = d.users.iter().position(|p| p.id == id).unwrap();
            let n = d
                .all_results()
                .filter(|(_, r)| r.user == u && r.compromised_at.is_some())
                .count();
            assert!(n >= 2);
            assert_eq!(o["repeatOffenceCount"], n);
        }
        let same = data();
        assert_eq!(same.repeat_offenders(), offenders, "deterministic per seed");
    }
}
