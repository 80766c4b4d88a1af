//! Headless attack simulation and training (`graphsec simulations ...`): simulations with
//! their compromise and report rates, one simulation's report (overview figures, then one
//! line per targeted user), the per-user results alone, and the tenant-level reports
//! (repeat offenders, user coverage, training coverage) and the training catalogue.
//!
//! `json` and `ndjson` carry Graph's objects as sent; `table` and `csv` pass every Graph
//! string through the sanitiser like every other list (simulation names and descriptions
//! are written by whoever set the simulation up, so they are untrusted too).
//!
//! `json` and `ndjson` print each simulation as Graph sent it with its `report`, so for
//! them the list asks for `report` with `$select`. `table` and `csv` print two rates per
//! simulation and no per-user line, so they leave `report` out (it carries every targeted
//! user of every simulation) and read each run simulation's beta overview instead, at
//! most [`OVERVIEWS_AT_ONCE`] at a time, rows kept in list order. A simulation without a
//! report (a draft, a scheduled one) shows "—".

use super::{
    ListWriter, OutputFormat, Record, RecordWriter, enum_text, short_time, text, time_text,
    write_one,
};
use crate::graph::Client;
use crate::graph::cases::Kept;
use crate::graph::odata::ODataQuery;
use crate::graph::sims::{
    RepeatOffender, ReportOverview, Simulation, SimulationUser, SimulationUserCoverage, Training,
    TrainingStatus, TrainingUserCoverage, UserSimulationDetails, overview_of,
};
use crate::sanitize;
use futures_util::StreamExt;
use serde::Deserialize;
use std::io::{self, Write};

/// What a cell shows when a simulation has no report (or a rate has no denominator).
pub const NO_FIGURE: &str = "—";

/// Overviews the `table`/`csv` list reads at once: enough to overlap the round trips,
/// few enough not to hammer a throttled tenant (the pane keeps the same bound).
const OVERVIEWS_AT_ONCE: usize = 2;

/// Properties the `table`/`csv` list asks for: everything they print but the rates.
const LIST_SELECT: [&str; 16] = [
    "id",
    "displayName",
    "description",
    "attackType",
    "attackTechnique",
    "status",
    "createdDateTime",
    "createdBy",
    "lastModifiedDateTime",
    "lastModifiedBy",
    "launchDateTime",
    "completionDateTime",
    "isAutomated",
    "automationId",
    "payloadDeliveryPlatform",
    "durationInDays",
];

/// A simulation with the overview its rates come from.
pub struct SimulationRow {
    pub sim: Kept<Simulation>,
    pub overview: Option<ReportOverview>,
}

/// The row for one listed simulation: its overview from the list, or, with
/// `read_overview`, read on its own when the list did not carry it. A failed overview read
/// leaves the rates blank rather than failing the listing.
async fn row(client: &Client, sim: Kept<Simulation>, read_overview: bool) -> SimulationRow {
    let mut overview = overview_of(&sim).cloned();
    if read_overview && overview.is_none() && sim.has_run() {
        match client.get_simulation_overview(&sim.id).await {
            Ok(o) => overview = Some(o),
            Err(e) => tracing::warn!(simulation = %sim.id, error = %e, "no overview for the list"),
        }
    }
    SimulationRow { sim, overview }
}

/// Streams every simulation to `out`; returns how many.
pub async fn list_simulations(
    client: &Client,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    // JSON prints each simulation as sent, report included; the rates the table and CSV
    // print come from the overviews, which are far smaller than whole reports.
    let raw = matches!(format, OutputFormat::Json | OutputFormat::Ndjson);
    let query = if raw {
        ODataQuery::new().select(LIST_SELECT.into_iter().chain(["report"]))
    } else {
        ODataQuery::new().select(LIST_SELECT)
    };
    let mut writer = RecordWriter::<SimulationRow>::new(format, out);
    let mut pages = std::pin::pin!(client.list_simulations(&query));
    writer.begin()?;
    let mut skipped = 0;
    while let Some(page) = pages.next().await {
        let page = page?;
        skipped += page.skipped;
        // `buffered` keeps list order while up to OVERVIEWS_AT_ONCE reads overlap.
        let mut rows = futures_util::stream::iter(page.items)
            .map(|sim| row(client, sim, !raw))
            .buffered(OVERVIEWS_AT_ONCE);
        while let Some(r) = rows.next().await {
            writer.item(&r)?;
        }
    }
    writer.end()?;
    super::warn_skipped(skipped);
    Ok(writer.count())
}

/// Writes one simulation (`get`): JSON as Graph sent it, with its report.
pub async fn write_simulation(
    client: &Client,
    sim: Kept<Simulation>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(&row(client, sim, true).await, format, out)
}

fn percent(v: Option<f64>) -> String {
    match v {
        Some(p) if p.is_finite() => format!("{p:.1} %"),
        _ => NO_FIGURE.to_owned(),
    }
}

fn user_cells(u: &Option<SimulationUser>) -> [String; 2] {
    let u = u.clone().unwrap_or_default();
    [u.name().to_owned(), u.email.unwrap_or_default()]
}

impl Record for SimulationRow {
    const CSV_HEADER: &'static str = "id,displayName,attackTechnique,status,launchDateTime,completionDateTime,compromiseRate,reportRate,resolvedTargetsCount";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("TECHNIQUE", 20),
        ("STATUS", 10),
        ("LAUNCHED", 20),
        ("COMPLETED", 20),
        ("COMPROMISE", 10),
        ("REPORTED", 8),
        ("NAME", 0),
    ];

    fn raw(&self) -> &str {
        self.sim.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        let o = self.overview.as_ref();
        // CSV keeps full precision and leaves a missing figure empty.
        let num = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        vec![
            self.sim.id.clone(),
            text(self.sim.display_name.as_deref()),
            enum_text(&self.sim.attack_technique),
            enum_text(&self.sim.status),
            time_text(self.sim.launched),
            time_text(self.sim.completed),
            num(o.and_then(ReportOverview::compromised_rate)),
            num(o.and_then(ReportOverview::report_rate)),
            text(o.and_then(|o| o.resolved_targets_count)),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let o = self.overview.as_ref();
        vec![
            self.sim.id.clone(),
            enum_text(&self.sim.attack_technique),
            enum_text(&self.sim.status),
            short_time(self.sim.launched),
            short_time(self.sim.completed),
            percent(o.and_then(ReportOverview::compromised_rate)),
            percent(o.and_then(ReportOverview::report_rate)),
            text(self.sim.display_name.as_deref()),
        ]
    }
}

/// One user's results, as `report` and `users` print them.
struct UserRow<'a>(&'a UserSimulationDetails, &'a str);

impl Record for UserRow<'_> {
    const CSV_HEADER: &'static str = "displayName,email,userId,isCompromised,compromisedDateTime,reportedPhishDateTime,assignedTrainingsCount,completedTrainingsCount,inProgressTrainingsCount";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("USER", 24),
        ("EMAIL", 32),
        ("COMPROMISED", 20),
        ("REPORTED", 20),
        ("TRAININGS", 0),
    ];

    fn raw(&self) -> &str {
        self.1
    }

    fn csv_cells(&self) -> Vec<String> {
        let u = self.0;
        let [name, email] = user_cells(&u.simulation_user);
        vec![
            name,
            email,
            text(u.simulation_user.as_ref().and_then(|s| s.user_id.clone())),
            u.compromised().to_string(),
            time_text(u.compromised),
            time_text(u.reported),
            text(u.assigned_trainings_count),
            text(u.completed_trainings_count),
            text(u.in_progress_trainings_count),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let u = self.0;
        let [name, email] = user_cells(&u.simulation_user);
        let trainings = match u.assigned_trainings_count {
            Some(a) if a > 0 => {
                format!("{}/{a} completed", u.completed_trainings_count.unwrap_or(0))
            }
            _ => NO_FIGURE.to_owned(),
        };
        vec![
            name,
            email,
            short_time(u.compromised),
            short_time(u.reported),
            trainings,
        ]
    }
}

impl Record for Kept<UserSimulationDetails> {
    const CSV_HEADER: &'static str = UserRow::CSV_HEADER;
    const COLUMNS: &'static [(&'static str, usize)] = UserRow::COLUMNS;

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        UserRow(&self.item, "").csv_cells()
    }

    fn table_cells(&self) -> Vec<String> {
        UserRow(&self.item, "").table_cells()
    }
}

/// The overview figures as `report` prints them above the users: one `label: value` line
/// each, every Graph string sanitised.
pub fn overview_lines(sim: &Simulation, o: &ReportOverview) -> Vec<String> {
    let targets = o.resolved_targets_count.unwrap_or(0);
    let count = |name: &str| {
        o.event_count(name)
            .map_or_else(|| NO_FIGURE.to_owned(), |n| n.to_string())
    };
    let mut lines = vec![
        format!(
            "Simulation: {}",
            sanitize::opt_line(sim.display_name.as_deref())
        ),
        format!(
            "Technique: {}   Status: {}   Launched: {}   Completed: {}",
            sanitize::line(&enum_text(&sim.attack_technique)),
            sanitize::line(&enum_text(&sim.status)),
            short_time(sim.launched),
            short_time(sim.completed),
        ),
        format!(
            "Targets: {targets}   Compromise rate: {}   Report rate: {}   Reported: {}",
            percent(o.compromised_rate()),
            percent(o.report_rate()),
            count(crate::graph::sims::EVENT_REPORTED),
        ),
    ];
    if let Some(ev) = &o.simulation_events_content {
        let events: Vec<String> = ev
            .events
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    sanitize::opt_line(e.event_name.as_deref()),
                    text(e.count)
                )
            })
            .collect();
        if !events.is_empty() {
            lines.push(format!("Events: {}", events.join(", ")));
        }
    }
    if let Some(t) = &o.training_events_content {
        lines.push(format!(
            "Trainings: {} user(s) assigned; completion {}",
            text(t.trainings_assigned_user_count),
            percent(o.training_completion_rate())
        ));
        for info in &t.assigned_trainings_infos {
            lines.push(format!(
                "  {}: {} of {} completed",
                sanitize::opt_line(info.display_name.as_deref()),
                text(info.completed_user_count),
                text(info.assigned_user_count)
            ));
        }
    }
    lines
}

/// `simulations report ID`: the overview figures, then one line per targeted user.
/// `json` prints the simulation's `report` as Graph sent it, `ndjson` one per-user object
/// a line, `csv` the per-user rows. Errors when the simulation has no report yet.
pub fn write_report(
    sim: &Kept<Simulation>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let (Some(report), Some(raw_report)) = (sim.report.as_ref(), raw_report(sim)?) else {
        anyhow::bail!(
            "simulation {} ({}) has no report: it has not run",
            sanitize::line(&sim.id),
            sanitize::line(&enum_text(&sim.status))
        );
    };
    let users = report_users(&raw_report);
    match format {
        OutputFormat::Json => {
            writeln!(out, "{}", sanitize::json_text(&raw_report.to_string()))?;
        }
        OutputFormat::Ndjson | OutputFormat::Csv | OutputFormat::Table => {
            if format == OutputFormat::Table {
                if let Some(o) = &report.overview {
                    for line in overview_lines(sim, o) {
                        writeln!(out, "{line}")?;
                    }
                } else {
                    writeln!(out, "Overview: {NO_FIGURE}")?;
                }
                writeln!(out)?;
            }
            let mut writer = RecordWriter::<UserRow<'_>>::new(format, out);
            writer.begin()?;
            for (u, raw) in &users {
                writer.item(&UserRow(u, raw))?;
            }
            writer.end()?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Each readable per-user result of a raw `report` with its own raw text. The typed
/// `simulationUsers` drops unreadable elements (`lenient::list`), so pairing it with the raw
/// array by index would give every user after a dropped one the wrong raw object; reading
/// each raw element in place keeps the two together and skips a bad one for both. Same
/// shapes as `lenient::list`: an object where the array belongs counts as one element.
fn report_users(raw_report: &serde_json::Value) -> Vec<(UserSimulationDetails, String)> {
    let elements: &[serde_json::Value] = match raw_report.get("simulationUsers") {
        Some(serde_json::Value::Array(a)) => a,
        Some(obj @ serde_json::Value::Object(_)) => std::slice::from_ref(obj),
        _ => &[],
    };
    elements
        .iter()
        .filter_map(|v| {
            let user = UserSimulationDetails::deserialize(v).ok()?;
            Some((user, v.to_string()))
        })
        .collect()
}

/// The `report` object of a simulation exactly as Graph sent it, if any.
fn raw_report(sim: &Kept<Simulation>) -> anyhow::Result<Option<serde_json::Value>> {
    let v: serde_json::Value = serde_json::from_str(sim.raw.get())?;
    Ok(v.get("report").filter(|r| r.is_object()).cloned())
}

/// `simulations users ID`: every per-user result (beta `report/simulationUsers`), paged.
pub async fn list_users(
    client: &Client,
    id: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_simulation_users(id, &ODataQuery::new()),
        None,
        format,
        out,
    )
    .await
}

impl Record for Kept<RepeatOffender> {
    const CSV_HEADER: &'static str = "displayName,email,userId,repeatOffenceCount";
    const COLUMNS: &'static [(&'static str, usize)] =
        &[("USER", 24), ("EMAIL", 32), ("OFFENCES", 0)];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        vec![
            name,
            email,
            text(
                self.attack_simulation_user
                    .as_ref()
                    .and_then(|u| u.user_id.clone()),
            ),
            text(self.repeat_offence_count),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        vec![name, email, text(self.repeat_offence_count)]
    }
}

/// `simulations offenders`: users compromised in more than one simulation.
pub async fn list_offenders(
    client: &Client,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_repeat_offenders(&ODataQuery::new()),
        None,
        format,
        out,
    )
    .await
}

impl Record for Kept<SimulationUserCoverage> {
    const CSV_HEADER: &'static str = "displayName,email,userId,simulationCount,clickCount,compromisedCount,latestSimulationDateTime";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("USER", 24),
        ("EMAIL", 32),
        ("SIMULATIONS", 11),
        ("CLICKS", 6),
        ("COMPROMISED", 11),
        ("LATEST", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        vec![
            name,
            email,
            text(
                self.attack_simulation_user
                    .as_ref()
                    .and_then(|u| u.user_id.clone()),
            ),
            text(self.simulation_count),
            text(self.click_count),
            text(self.compromised_count),
            time_text(self.latest_simulation),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        vec![
            name,
            email,
            text(self.simulation_count),
            text(self.click_count),
            text(self.compromised_count),
            short_time(self.latest_simulation),
        ]
    }
}

impl Record for Kept<TrainingUserCoverage> {
    const CSV_HEADER: &'static str =
        "displayName,email,userId,trainingsCompleted,trainingsAssigned,inProgress,trainings";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("USER", 24),
        ("EMAIL", 32),
        ("COMPLETED", 9),
        ("IN PROGRESS", 11),
        ("TRAININGS", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        let (done, all) = self.completed();
        vec![
            name,
            email,
            text(
                self.attack_simulation_user
                    .as_ref()
                    .and_then(|u| u.user_id.clone()),
            ),
            done.to_string(),
            all.to_string(),
            self.in_progress().to_string(),
            self.names(),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let [name, email] = user_cells(&self.attack_simulation_user);
        let (done, all) = self.completed();
        vec![
            name,
            email,
            format!("{done}/{all}"),
            self.in_progress().to_string(),
            self.names(),
        ]
    }
}

trait TrainingCoverageExt {
    fn in_progress(&self) -> usize;
    fn names(&self) -> String;
}

impl TrainingCoverageExt for TrainingUserCoverage {
    fn in_progress(&self) -> usize {
        self.user_trainings
            .iter()
            .filter(|t| t.training_status == Some(TrainingStatus::InProgress))
            .count()
    }

    /// `name (status)` for each training, `; `-separated.
    fn names(&self) -> String {
        self.user_trainings
            .iter()
            .map(|t| {
                format!(
                    "{} ({})",
                    t.display_name.as_deref().unwrap_or(""),
                    enum_text(&t.training_status)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// `simulations coverage`: per user, simulations, clicks and compromises; with
/// `training`, their assigned trainings and how far they got.
pub async fn list_coverage(
    client: &Client,
    training: bool,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    if training {
        super::write_pages(
            client.list_training_user_coverage(&ODataQuery::new()),
            None,
            format,
            out,
        )
        .await
    } else {
        super::write_pages(
            client.list_simulation_user_coverage(&ODataQuery::new()),
            None,
            format,
            out,
        )
        .await
    }
}

impl Record for Kept<Training> {
    const CSV_HEADER: &'static str =
        "id,displayName,durationInMinutes,source,type,availabilityStatus,hasEvaluation";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("MINUTES", 7),
        ("SOURCE", 8),
        ("AVAILABILITY", 12),
        ("NAME", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(self.display_name.as_deref()),
            text(self.duration_in_minutes),
            enum_text(&self.source),
            enum_text(&self.kind),
            enum_text(&self.availability_status),
            text(self.has_evaluation),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(self.duration_in_minutes),
            enum_text(&self.source),
            enum_text(&self.availability_status),
            text(self.display_name.as_deref()),
        ]
    }
}

/// `simulations trainings`: the training catalogue.
pub async fn list_trainings(
    client: &Client,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(client.list_trainings(&ODataQuery::new()), None, format, out).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_print_as_percents_and_missing_ones_as_a_dash() {
        assert_eq!(percent(Some(16.666_666)), "16.7 %");
        assert_eq!(percent(None), NO_FIGURE);
        assert_eq!(percent(Some(f64::NAN)), NO_FIGURE);
    }

    #[test]
    fn ndjson_report_lines_keep_each_user_with_its_own_raw_object() {
        let sim = Kept::<Simulation>::from_json(
            r#"{"id":"s","status":"succeeded","report":{"overview":null,"simulationUsers":[
                {"simulationUser":{"email":"a@x"},"isCompromised":true},
                null,
                {"simulationUser":{"email":"b@x"},"isCompromised":false}]}}"#,
        )
        .unwrap();
        let mut out = Vec::new();
        write_report(&sim, OutputFormat::Ndjson, &mut out).unwrap();
        let lines: Vec<serde_json::Value> = String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let emails: Vec<&str> = lines
            .iter()
            .map(|l| l["simulationUser"]["email"].as_str().unwrap())
            .collect();
        assert_eq!(emails, ["a@x", "b@x"]);
        assert_eq!(lines[1]["isCompromised"], false);
    }

    #[test]
    fn a_hostile_training_name_is_sanitised_in_a_table_row() {
        let o = crate::graph::sims::parse_overview(
            r#"{"resolvedTargetsCount":1,"trainingEventsContent":{"assignedTrainingsInfos":[
                {"displayName":"\u001b[2Jevil","assignedUserCount":1,"completedUserCount":0}]}}"#,
        )
        .unwrap();
        let sim: Simulation =
            serde_json::from_str(r#"{"id":"s","displayName":"a\u202eb"}"#).unwrap();
        let lines = overview_lines(&sim, &o).join("\n");
        assert!(
            !lines.contains('\u{1b}') && !lines.contains('\u{202e}'),
            "{lines}"
        );
        assert!(lines.contains("Targets: 1"), "{lines}");
    }
}
