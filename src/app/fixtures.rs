//! Invented alerts with fixed times for the `update` tests and the screen snapshots.

use super::incidents::IncidentRow;
use super::{Action, Command, KeyMap, SessionInfo, State};
use crate::graph::incidents::Incident;
use crate::graph::models::Alert;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use time::macros::datetime;

/// The fixed "now" of every test.
pub const NOW: OffsetDateTime = datetime!(2026-11-26 12:00 UTC);

pub fn session() -> SessionInfo {
    SessionInfo {
        profile: "contoso-prod".into(),
        profiles: vec!["contoso-prod".into(), "fabrikam".into(), "lab".into()],
        endpoint: "https://graph.microsoft.com".into(),
        me: Some("analyst@contoso.example".into()),
        read_only: false,
        keymap: KeyMap::default(),
        no_color: false,
        planned: Default::default(),
        planned_file: None,
        chart_marker: Default::default(),
    }
}

fn ago(minutes: i64) -> String {
    (NOW - time::Duration::minutes(minutes))
        .format(&Rfc3339)
        .unwrap()
}

/// A small alert; `minutes` is its age at [`NOW`].
pub fn alert(id: &str, title: &str, severity: &str, status: &str, minutes: i64) -> Alert {
    let v = json!({
        "id": id,
        "title": title,
        "severity": severity,
        "status": status,
        "serviceSource": "microsoftDefenderForEndpoint",
        "createdDateTime": ago(minutes),
        "evidence": [{
            "@odata.type": "#microsoft.graph.security.deviceEvidence",
            "deviceDnsName": format!("ws-{id}.contoso.example"),
            "verdict": "suspicious",
            "roles": ["compromised"]
        }]
    });
    from_value(v)
}

pub fn from_value(v: Value) -> Alert {
    Alert::from_json(&v.to_string()).unwrap()
}

/// Eight alerts of mixed severity, status, source and age.
pub fn sample() -> Vec<Alert> {
    let mut v = vec![
        alert(
            "da1",
            "Credential dumping via LSASS access",
            "high",
            "new",
            5,
        ),
        alert(
            "da2",
            "Suspicious PowerShell download cradle",
            "medium",
            "inProgress",
            42,
        ),
        alert("da3", "Phishing link clicked in mail", "low", "new", 180),
        alert("da4", "Impossible travel sign-in", "medium", "new", 60 * 26),
        alert(
            "da5",
            "Ransomware note dropped on share",
            "high",
            "inProgress",
            3,
        ),
        alert(
            "da6",
            "Unusual volume of file deletions",
            "informational",
            "new",
            60 * 24 * 4,
        ),
        alert(
            "da7",
            "Mailbox forwarding rule to external domain",
            "low",
            "new",
            61,
        ),
        alert(
            "da8",
            "Brute force against VPN gateway",
            "medium",
            "resolved",
            59,
        ),
    ];
    let sources = [
        "microsoftDefenderForEndpoint",
        "microsoftDefenderForOffice365",
        "microsoftDefenderForIdentity",
        "azureAdIdentityProtection",
        "microsoftDefenderForCloudApps",
        "microsoftSentinel",
        "microsoftDefenderForOffice365",
        "microsoftDefenderForEndpoint",
    ];
    for (i, a) in v.iter_mut().enumerate() {
        let mut raw: Value = serde_json::from_str(a.raw.get()).unwrap();
        raw["serviceSource"] = json!(sources[i]);
        if i % 3 == 1 {
            raw["assignedTo"] = json!("tier2@contoso.example");
        }
        *a = from_value(raw);
    }
    v
}

/// One alert with every section of the detail filled in.
pub fn rich() -> Alert {
    from_value(json!({
        "id": "da9f1c2e-rich",
        "providerAlertId": "prov-77",
        "incidentId": "4411",
        "title": "Lateral movement using stolen credentials",
        "description": "An attacker used credentials taken from ws-014 to log on to\nsrv-db-02 over SMB.\r\nActivity continued for 40 minutes.",
        "recommendedActions": "1. Isolate ws-014.\n2. Reset the account password.\n3. Review logons to srv-db-02.",
        "severity": "high",
        "status": "inProgress",
        "classification": "truePositive",
        "determination": "compromisedAccount",
        "assignedTo": "tier2@contoso.example",
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "microsoftDefenderForEndpoint",
        "productName": "Microsoft Defender for Endpoint",
        "category": "LateralMovement",
        "createdDateTime": ago(95),
        "lastUpdateDateTime": ago(12),
        "firstActivityDateTime": ago(140),
        "lastActivityDateTime": ago(100),
        "actorDisplayName": "Example Actor",
        "threatDisplayName": "Invented.Tool",
        "mitreTechniques": ["T1021.002", "T1078"],
        "alertWebUrl": "https://security.microsoft.com/alerts/da9f1c2e-rich",
        "incidentWebUrl": "https://security.microsoft.com/incidents/4411",
        "comments": [
            {"comment": "Isolated ws-014, waiting on the DB team.", "createdByDisplayName": "Ana Tier1", "createdDateTime": ago(30)},
            {"comment": "Password reset done.", "createdByDisplayName": "Bo Tier2", "createdDateTime": ago(15)}
        ],
        "evidence": [
            {"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": "ws-014.contoso.example", "verdict": "malicious", "remediationStatus": "remediated", "roles": ["compromised"]},
            {"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": "srv-db-02.contoso.example", "verdict": "suspicious", "remediationStatus": "active", "roles": ["attacked"]},
            {"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": {"accountName": "jdoe", "domainName": "CONTOSO"}, "verdict": "malicious", "roles": ["compromised"]},
            {"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "203.0.113.7", "verdict": "suspicious", "roles": ["attacker"]}
        ]
    }))
}

/// An alert whose every field tries to attack the terminal.
pub fn hostile() -> Alert {
    let long = "A".repeat(5_000);
    let title = format!(
        "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31mRED\u{9b}31m \u{202e}txt.exe\u{202c} zero\u{200b}width\u{feff} nul\0 漢字テスト 🦀🔥 {long}"
    );
    from_value(json!({
        "id": "hostile-1\x1b[8m",
        "title": title,
        "description": "line1\r\n\x1b]0;pwned\x07line2\u{2028}line3\ttabbed \u{9d}osc",
        "severity": "high\x1b[5m",
        "status": "new",
        "serviceSource": "evilSource\x1b[2J",
        "assignedTo": "\u{202e}nimda@contoso.example",
        "createdDateTime": ago(7),
        "comments": [
            {"comment": "\x1b[?1049lbreakout\x1b]8;;http://evil\x1b\\link", "createdByDisplayName": "mallory\u{200d}\x07", "createdDateTime": ago(2)}
        ],
        "evidence": [
            {"@odata.type": "#microsoft.graph.security.fileEvidence", "fileDetails": {"fileName": "invoice\u{202e}fdp.exe"}, "verdict": "malicious"},
            {"@odata.type": "#microsoft.graph.security.processEvidence", "processCommandLine": "cmd /c \x1b]52;c;cm0gLXJm\x07 echo 中文", "roles": ["suspicious\x1b[1m"]}
        ]
    }))
}

pub fn key(c: char) -> Action {
    let mods = if c.is_ascii_uppercase() {
        KeyModifiers::SHIFT
    } else {
        KeyModifiers::NONE
    };
    Action::Key(KeyEvent::new(KeyCode::Char(c), mods))
}

pub fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// A state whose first load delivered `alerts` in one final page.
pub fn loaded(session: SessionInfo, alerts: Vec<Alert>) -> State {
    let mut s = State::new(session, NOW);
    let cmds = s.initial_commands();
    let Command::LoadAlerts { generation, .. } = cmds[0] else {
        panic!("first command loads alerts");
    };
    let total = alerts.len() as u64;
    super::update(
        &mut s,
        Action::AlertsPage {
            generation,
            alerts,
            total: Some(total),
            skipped: 0,
            done: true,
        },
    );
    s.dirty = false;
    s
}

/// Alerts from several products sharing entities, for the correlation pane: Lee is in
/// three incidents across three products; ws-031 in two; the others once or twice.
pub fn correlated() -> Vec<Alert> {
    let user = |upn: &str| json!({"@odata.type": "#microsoft.graph.security.userEvidence", "userAccount": {"userPrincipalName": upn}});
    let device = |dns: &str| json!({"@odata.type": "#microsoft.graph.security.deviceEvidence", "deviceDnsName": dns});
    let ip =
        |a: &str| json!({"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": a});
    let file = |name: &str, sha256: &str| json!({"@odata.type": "#microsoft.graph.security.fileEvidence", "fileDetails": {"fileName": name, "sha256": sha256}});
    let url = |u: &str| json!({"@odata.type": "#microsoft.graph.security.urlEvidence", "url": u});
    let mailbox = |a: &str| json!({"@odata.type": "#microsoft.graph.security.mailboxEvidence", "primaryAddress": a});
    let hash = "9f2c4e6a8b0d1f3e5a7c9b1d3f5e7a9c0b2d4f6e8a0c2e4a6b8d0f2e4c6a8b0d";
    let a =
        |id: &str, title: &str, sev: &str, src: &str, inc: &str, minutes: i64, ev: Vec<Value>| {
            from_value(json!({
                "id": id, "title": title, "severity": sev, "status": "new",
                "serviceSource": src, "incidentId": inc, "createdDateTime": ago(minutes),
                "evidence": ev,
            }))
        };
    vec![
        a(
            "ca1",
            "Credential theft tool on endpoint",
            "high",
            "microsoftDefenderForEndpoint",
            "101",
            30,
            vec![
                user("lee@contoso.example"),
                device("ws-031.contoso.example"),
                file("dumper.exe", hash),
            ],
        ),
        a(
            "ca2",
            "Suspicious sign-in from new country",
            "medium",
            "azureAdIdentityProtection",
            "102",
            200,
            vec![user("Lee@Contoso.example"), ip("198.51.100.23")],
        ),
        a(
            "ca3",
            "Phishing mail delivered and clicked",
            "low",
            "microsoftDefenderForOffice365",
            "103",
            60 * 30,
            vec![
                user("lee@contoso.example"),
                mailbox("lee@contoso.example"),
                url("https://login.fabrikam-example.test/reset"),
            ],
        ),
        a(
            "ca4",
            "Same dropper seen on a second host",
            "medium",
            "microsoftDefenderForEndpoint",
            "104",
            90,
            vec![
                device("ws-031.contoso.example"),
                device("ws-044.contoso.example"),
                file("dumper.exe", hash),
            ],
        ),
        a(
            "ca5",
            "Connection to known bad address",
            "low",
            "microsoftDefenderForEndpoint",
            "104",
            95,
            vec![device("ws-044.contoso.example"), ip("198.51.100.23")],
        ),
        a(
            "ca6",
            "Mailbox forwarding rule added",
            "informational",
            "microsoftDefenderForOffice365",
            "105",
            60 * 50,
            vec![user("kim@contoso.example"), mailbox("kim@contoso.example")],
        ),
        a(
            "ca7",
            "Alert without correlatable evidence",
            "low",
            "microsoftSentinel",
            "106",
            10,
            vec![
                json!({"@odata.type": "#microsoft.graph.security.processEvidence", "processId": 7}),
            ],
        ),
    ]
}

/// An alert as a poll returns it: `updated` is its lastUpdateDateTime.
pub fn polled(id: &str, status: &str, minutes_old: i64, updated: OffsetDateTime) -> Alert {
    let mut v: Value = serde_json::from_str(
        alert(id, &format!("title of {id}"), "high", status, minutes_old)
            .raw
            .get(),
    )
    .unwrap();
    v["lastUpdateDateTime"] = json!(updated.format(&Rfc3339).unwrap());
    from_value(v)
}

/// The sample queue loaded with every alert last updated at [`LOADED_AT`], so polls have a
/// watermark to start from.
pub fn live_state() -> State {
    let alerts = sample()
        .into_iter()
        .map(|a| {
            let mut v: Value = serde_json::from_str(a.raw.get()).unwrap();
            v["lastUpdateDateTime"] = json!(LOADED_AT.format(&Rfc3339).unwrap());
            from_value(v)
        })
        .collect();
    loaded(session(), alerts)
}

/// When [`live_state`]'s alerts were last updated.
pub const LOADED_AT: OffsetDateTime = datetime!(2026-11-26 11:50 UTC);

/// The ids of the queue's rows, in display order.
pub fn view_ids(s: &State) -> Vec<String> {
    s.queue
        .view()
        .iter()
        .map(|&i| s.queue.entry(i).alert.id.clone())
        .collect()
}

/// An incident as the worker hands it over (from a list with `$expand=alerts`). `alerts`
/// are (id, title, severity, status, serviceSource, minutes old).
pub fn incident(
    id: &str,
    name: &str,
    severity: &str,
    status: &str,
    updated_minutes: i64,
    alerts: &[(&str, &str, &str, &str, &str, i64)],
) -> IncidentRow {
    let alerts: Vec<Value> = alerts
        .iter()
        .map(|&(aid, title, sev, st, src, m)| {
            json!({
                "id": aid, "title": title, "severity": sev, "status": st,
                "serviceSource": src, "incidentId": id,
                "createdDateTime": ago(m), "lastUpdateDateTime": ago(m),
            })
        })
        .collect();
    incident_from(json!({
        "id": id,
        "displayName": name,
        "severity": severity,
        "status": status,
        "createdDateTime": ago(updated_minutes + 300),
        "lastUpdateDateTime": ago(updated_minutes),
        "incidentWebUrl": format!("https://security.microsoft.com/incidents/{id}"),
        "alerts": alerts,
    }))
}

pub fn incident_from(v: Value) -> IncidentRow {
    IncidentRow::from_incident(Incident::from_json(&v.to_string()).unwrap())
}

/// Four incidents: 101 with two open alerts and a resolved one, 102 whose two open alerts
/// include the queue's `da3`, 103 with nothing open, 104 in progress.
pub fn incidents() -> Vec<IncidentRow> {
    const MDE: &str = "microsoftDefenderForEndpoint";
    const MDO: &str = "microsoftDefenderForOffice365";
    const MDI: &str = "microsoftDefenderForIdentity";
    vec![
        incident(
            "101",
            "Credential theft on ws-014",
            "high",
            "active",
            10,
            &[
                (
                    "ia1",
                    "Credential dumping via LSASS access",
                    "high",
                    "new",
                    MDE,
                    40,
                ),
                (
                    "ia2",
                    "Suspicious LDAP queries",
                    "medium",
                    "inProgress",
                    MDI,
                    50,
                ),
                (
                    "ia3",
                    "Rare process on endpoint",
                    "low",
                    "resolved",
                    MDE,
                    60,
                ),
            ],
        ),
        incident(
            "102",
            "Phishing campaign against finance",
            "medium",
            "inProgress",
            30,
            &[
                (
                    "da3",
                    "Phishing link clicked in mail",
                    "low",
                    "new",
                    MDO,
                    180,
                ),
                ("ib2", "Malicious URL delivered", "medium", "new", MDO, 200),
            ],
        ),
        incident(
            "103",
            "Impossible travel",
            "low",
            "active",
            5,
            &[(
                "ic1",
                "Impossible travel sign-in",
                "low",
                "resolved",
                MDI,
                90,
            )],
        ),
        incident(
            "104",
            "Ransomware on file server",
            "high",
            "inProgress",
            120,
            &[(
                "id1",
                "Ransomware note dropped",
                "high",
                "inProgress",
                MDE,
                130,
            )],
        ),
    ]
}

/// An incident whose every string tries to attack the terminal.
pub fn hostile_incident() -> IncidentRow {
    incident_from(json!({
        "id": "666\x1b[8m",
        "displayName": "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31mRED\u{9b}31m \u{202e}gpj.exe\u{202c} 漢字テスト 🦀 incident",
        "severity": "high",
        "status": "active",
        "assignedTo": "\u{202e}nimda@contoso.example",
        "description": "line1\r\n\x1b]0;pwned\x07line2\ttabbed \u{9d}osc",
        "customTags": ["tag\x1b[5m"],
        "createdDateTime": ago(20),
        "lastUpdateDateTime": ago(2),
        "comments": [{"comment": "\x1b[?1049lbreakout", "createdByDisplayName": "mallory\x07", "createdDateTime": ago(1)}],
        "alerts": [
            {"id": "hx1", "title": "\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\ clicked", "severity": "high",
             "status": "new", "serviceSource": "evilSource\x1b[2J", "createdDateTime": ago(3)}
        ]
    }))
}

/// The sample queue with the `:incidents` pane open and `rows` loaded in one page.
pub fn with_incidents(session: SessionInfo, rows: Vec<IncidentRow>) -> State {
    let mut s = loaded(session, sample());
    for c in ":incidents".chars() {
        super::update(&mut s, key(c));
    }
    let cmds = super::update(&mut s, code(KeyCode::Enter));
    let Some(Command::LoadIncidents { generation, .. }) = cmds.first() else {
        panic!("opening the pane loads incidents: {cmds:?}");
    };
    let total = rows.len() as u64;
    super::update(
        &mut s,
        Action::IncidentsPage {
            generation: *generation,
            incidents: rows,
            total: Some(total),
            skipped: 0,
            done: true,
        },
    );
    s.dirty = false;
    s
}

/// Today's points per control and each control's category and maxScore: 52.3 of 95 in
/// five categories. `block_legacy` and `asr_rules` still have 8 and 10 points to earn.
pub const SCORE_CONTROLS: &[(&str, &str, f64, f64)] = &[
    ("mfa_users", "Identity", 9.0, 10.0),
    ("admin_mfa", "Identity", 10.0, 10.0),
    ("block_legacy", "Identity", 0.0, 8.0),
    ("pwd_expiry", "Identity", 4.3, 8.0),
    ("dlp_policies", "Data", 3.0, 9.0),
    ("sensitivity_labels", "Data", 6.0, 6.0),
    ("defender_av", "Device", 10.0, 10.0),
    ("asr_rules", "Device", 2.0, 12.0),
    ("app_consent", "Apps", 4.0, 8.0),
    ("oauth_review", "Apps", 0.0, 6.0),
    ("firewall", "Infrastructure", 4.0, 8.0),
];

/// Days (before [`NOW`]) with no snapshot at all: a 3-day gap, a single day, a 5-day gap.
pub const SCORE_MISSING_DAYS: &[i64] = &[10, 11, 12, 45, 66, 67, 68, 69, 70];

/// One day's snapshot, `ago` days before [`NOW`]; averages only where given.
pub fn score_snapshot(
    ago: i64,
    current: f64,
    max: f64,
    all_tenants: Option<f64>,
    similar_seats: Option<f64>,
    controls: &[(&str, &str, f64, f64)],
) -> crate::graph::score::SecureScore {
    let created = (NOW - time::Duration::days(ago))
        .date()
        .midnight()
        .assume_utc();
    let mut averages = Vec::new();
    if let Some(a) = all_tenants {
        averages.push(json!({"basis": "allTenants", "averageScore": a}));
    }
    if let Some(a) = similar_seats {
        averages.push(json!({"basis": "totalSeats", "averageScore": a, "seatSizeRangeLowerValue": 100, "seatSizeRangeUpperValue": 999}));
    }
    let scores: Vec<Value> = controls
        .iter()
        .map(|(name, category, score, _)| {
            json!({"controlCategory": category, "controlName": name, "score": score})
        })
        .collect();
    let v = json!({
        "id": format!("contoso_{}", created.date()),
        "azureTenantId": "contoso-tenant",
        "createdDateTime": created.format(&Rfc3339).unwrap(),
        "currentScore": current,
        "maxScore": max,
        "activeUserCount": 412,
        "licensedUserCount": 450,
        "enabledServices": ["HasExchange", "HasSharePoint"],
        "averageComparativeScores": averages,
        "controlScores": scores,
    });
    crate::graph::score::SecureScore::from_json(&v.to_string()).unwrap()
}

/// 100 days of history ending today at 52.3 of 95, climbing slowly, with the gaps of
/// [`SCORE_MISSING_DAYS`]; the all-tenants average is missing 17 to 20 days ago and the
/// similar-seats average 25 to 30 days ago. Before 40 days ago maxScore was 90.
pub fn score_history() -> Vec<crate::graph::score::SecureScore> {
    (0..100)
        .rev()
        .filter(|ago| !SCORE_MISSING_DAYS.contains(ago))
        .map(|ago| {
            let wiggle = ((ago * 37) % 7) as f64 * 0.2;
            let current = if ago == 0 {
                52.3
            } else {
                ((52.3 - ago as f64 * 0.14 - wiggle) * 10.0).round() / 10.0
            };
            let max = if ago > 40 { 90.0 } else { 95.0 };
            let all = (!(17..=20).contains(&ago)).then_some(41.0 + (ago % 5) as f64 * 0.1);
            let similar = (!(25..=30).contains(&ago)).then_some(47.5 - ago as f64 * 0.02);
            let controls = if ago == 0 { SCORE_CONTROLS } else { &[] };
            score_snapshot(ago, current, max, all, similar, controls)
        })
        .collect()
}

pub fn score_profiles() -> Vec<crate::graph::score::SecureScoreControlProfile> {
    SCORE_CONTROLS
        .iter()
        .map(|(id, category, _, max)| {
            let v = json!({
                "id": id,
                "title": format!("Control {id}"),
                "controlCategory": category,
                "maxScore": max,
                "service": "AzureAD",
            });
            crate::graph::score::SecureScoreControlProfile::from_json(&v.to_string()).unwrap()
        })
        .collect()
}

/// The `:score` pane open over the sample queue, with the history and profiles loaded.
pub fn score_state() -> State {
    score_state_in(session())
}

/// [`score_state`] with `session` (e.g. with planned controls, for the target line).
pub fn score_state_in(session: SessionInfo) -> State {
    let mut s = loaded(session, sample());
    open_score(&mut s);
    super::update(&mut s, Action::SecureScoresLoaded(Ok(score_history())));
    super::update(&mut s, Action::ControlProfilesLoaded(Ok(score_profiles())));
    s
}

/// Types `:score` and enter; returns the commands that produced.
pub fn open_score(s: &mut State) -> Vec<Command> {
    let mut out = super::update(s, key(':'));
    for c in "score".chars() {
        out.extend(super::update(s, key(c)));
    }
    out.extend(super::update(s, code(KeyCode::Enter)));
    out
}
