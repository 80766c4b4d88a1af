//! Secure Score test data of our own: a small tenant of six controls whose daily history
//! agrees with them (today 10 of 35), with a missing day and days without comparatives.

use super::fixtures::{NOW, session};
use super::{Action, Command, SessionInfo, State, update};
use crate::graph::score::{SecureScore, SecureScoreControlProfile};
use serde_json::{Value, json};

/// (id, title, category, max, achieved today, cost, impact, tier, rank, state)
type Control = (
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
    &'static str,
    &'static str,
    &'static str,
    i64,
    Option<&'static str>,
);

const CONTROLS: &[Control] = &[
    (
        "AdminMFAV2",
        "Require MFA for administrative roles",
        "Identity",
        10.0,
        0.0,
        "Low",
        "Low",
        "Core",
        1,
        None,
    ),
    (
        "BlockLegacyAuth",
        "Block legacy authentication",
        "Identity",
        8.0,
        4.0,
        "Moderate",
        "Moderate",
        "Core",
        2,
        Some("Reviewed"),
    ),
    (
        "DLPEnabled",
        "Turn on data loss prevention policies",
        "Data",
        5.0,
        5.0,
        "Moderate",
        "Low",
        "Defense in depth",
        5,
        Some("ThirdParty"),
    ),
    (
        "SigninRiskPolicy",
        "Turn on sign-in risk policy",
        "Identity",
        7.0,
        0.0,
        "Moderate",
        "Moderate",
        "Advanced",
        3,
        Some("Ignored"),
    ),
    (
        "MailboxAuditOn",
        "Turn on mailbox auditing",
        "Apps",
        3.0,
        0.0,
        "Low",
        "Low",
        "Core",
        4,
        None,
    ),
    (
        "HostileTitle",
        "Patch \u{1b}[31mnow\u{202e}gnp.exe",
        "Device",
        2.0,
        1.0,
        "High",
        "High",
        "Core",
        6,
        None,
    ),
];

/// The fixture control `id` as Graph would send it.
pub fn control_json(id: &str) -> Value {
    profile_json(
        CONTROLS
            .iter()
            .find(|c| c.0 == id)
            .expect("a fixture control"),
    )
}

fn profile_json(c: &Control) -> Value {
    let (id, title, category, max, _, cost, impact, tier, rank, state) = *c;
    let updates: Vec<Value> = state
        .map(|s| {
            vec![
                json!({"state": "Default", "assignedTo": "", "comment": "",
                       "updatedBy": "lead@contoso.example",
                       "updatedDateTime": "2026-10-01T09:00:00Z"}),
                json!({"state": s, "assignedTo": "lead@contoso.example",
                       "comment": "Covered by the \u{1b}]52;c;evil\u{7}EDR rollout",
                       "updatedBy": "lead@contoso.example",
                       "updatedDateTime": "2026-11-02T10:30:00Z"}),
            ]
        })
        .unwrap_or_default();
    json!({
        "id": id,
        "title": title,
        "azureTenantId": "tenant-0001",
        "controlCategory": category,
        "maxScore": max,
        "rank": rank,
        "tier": tier,
        "implementationCost": cost,
        "userImpact": impact,
        "actionType": "Config",
        "service": "AzureAD",
        "threats": ["Account breach", "Elevation of privilege"],
        "remediation": "<p>Open the admin portal.</p><ul><li>Turn it on</li><li>Check &amp; confirm</li></ul>",
        "remediationImpact": "Users are asked for a second factor.",
        "actionUrl": "https://admin.example/controls",
        "deprecated": false,
        "complianceInformation": [
            {"certificationName": "NIST 800-53", "certificationControls": [{"name": "IA-2"}]}
        ],
        "controlStateUpdates": updates,
        "vendorInformation": {"provider": "SecureScore", "vendor": "Microsoft"},
    })
}

pub fn profiles() -> Vec<SecureScoreControlProfile> {
    CONTROLS
        .iter()
        .map(|c| SecureScoreControlProfile::from_json(&profile_json(c).to_string()).unwrap())
        .collect()
}

/// 40 days ending on `NOW`'s date: the score climbs to today's 10 of 35; 2026-11-20 is
/// missing, and 2026-11-10..=11-12 have no comparative scores.
pub fn history() -> Vec<SecureScore> {
    let today = NOW.date();
    (0..40)
        .filter(|d| *d != 6)
        .map(|days_ago| {
            let date = today - time::Duration::days(days_ago);
            let controls: Vec<Value> = CONTROLS
                .iter()
                .map(|c| {
                    let score = if days_ago == 0 {
                        c.4
                    } else {
                        (c.4 - 1.0).max(0.0)
                    };
                    json!({"controlCategory": c.2, "controlName": c.0, "score": score})
                })
                .collect();
            let current = if days_ago == 0 {
                10.0
            } else {
                6.0 + (40 - days_ago) as f64 / 10.0
            };
            let comparative = if (14..=16).contains(&days_ago) {
                json!([])
            } else {
                json!([
                    {"basis": "allTenants", "averageScore": 12.5 + days_ago as f64 / 20.0},
                    {"basis": "totalSeats", "averageScore": 9.0}
                ])
            };
            let body = json!({
                "id": format!("tenant-0001_{date}"),
                "azureTenantId": "tenant-0001",
                "createdDateTime": format!("{date}T03:00:00Z"),
                "currentScore": current,
                "maxScore": 35.0,
                "activeUserCount": 120,
                "licensedUserCount": 150,
                "enabledServices": ["HasExchange", "HasAzureAD"],
                "averageComparativeScores": comparative,
                "controlScores": controls,
            });
            SecureScore::from_json(&body.to_string()).unwrap()
        })
        .collect()
}

/// A console with the history and the profiles loaded, on `:controls`.
pub fn controls_state(session: SessionInfo) -> State {
    let mut s = State::new(session, NOW);
    s.size = (80, 24);
    for c in ":controls".chars() {
        update(&mut s, super::fixtures::key(c));
    }
    let cmds = update(
        &mut s,
        super::fixtures::code(ratatui::crossterm::event::KeyCode::Enter),
    );
    assert!(cmds.contains(&Command::LoadSecureScores));
    assert!(cmds.contains(&Command::LoadControlProfiles));
    update(&mut s, Action::SecureScoresLoaded(Ok(history())));
    update(&mut s, Action::ControlProfilesLoaded(Ok(profiles())));
    s.message = None;
    s
}

/// [`controls_state`] with the default test session.
pub fn controls() -> State {
    controls_state(session())
}
