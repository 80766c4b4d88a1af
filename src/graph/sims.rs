//! Attack simulation and training (surface.md §8): simulations with their report (an
//! overview and one line per targeted user), automations, trainings, and the tenant-level
//! report functions under `/reports/security`.
//!
//! Same rules as the other models: each object is kept as Graph sent it beside lenient typed
//! fields ([`Kept`]), and every enum is open. Rates in a report are percents (the docs'
//! overview example gives `compromisedRate: 100.0` for one compromised user of one).

use super::cases::{HasId, Kept, date, has_id, id};
use super::lenient;
use crate::open_enum;
use serde::Deserialize;
use time::OffsetDateTime;

open_enum!(
    /// `graph.simulationStatus`.
    SimulationStatus {
        Unknown = "unknown",
        Draft = "draft",
        Running = "running",
        Scheduled = "scheduled",
        Succeeded = "succeeded",
        Failed = "failed",
        Cancelled = "cancelled",
        Excluded = "excluded",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.simulationAttackTechnique`. The docs add `oAuthConsentGrant` behind
    /// `Prefer: include-unknown-enum-members`; the v1.0 schema does not list it, so it is
    /// named here for display and arrives as a known member.
    AttackTechnique {
        Unknown = "unknown",
        CredentialHarvesting = "credentialHarvesting",
        AttachmentMalware = "attachmentMalware",
        DriveByUrl = "driveByUrl",
        LinkInAttachment = "linkInAttachment",
        LinkToMalwareFile = "linkToMalwareFile",
        UnknownFutureValue = "unknownFutureValue",
        OAuthConsentGrant = "oAuthConsentGrant",
    }
);

open_enum!(
    /// `graph.simulationAttackType`.
    AttackType {
        Unknown = "unknown",
        Social = "social",
        Cloud = "cloud",
        Endpoint = "endpoint",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.payloadDeliveryPlatform`.
    DeliveryPlatform {
        Unknown = "unknown",
        Sms = "sms",
        Email = "email",
        Teams = "teams",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.simulationAutomationStatus`.
    AutomationStatus {
        Unknown = "unknown",
        Draft = "draft",
        NotRunning = "notRunning",
        Running = "running",
        Completed = "completed",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.simulationAutomationRunStatus`.
    AutomationRunStatus {
        Unknown = "unknown",
        Running = "running",
        Succeeded = "succeeded",
        Failed = "failed",
        Skipped = "skipped",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.trainingStatus`: where one user is with one training.
    TrainingStatus {
        Unknown = "unknown",
        Assigned = "assigned",
        InProgress = "inProgress",
        Completed = "completed",
        Overdue = "overdue",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.trainingType` (the docs' list example sends `dataPrivacy`, outside the schema).
    TrainingType {
        Unknown = "unknown",
        Phishing = "phishing",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.trainingAvailabilityStatus`.
    TrainingAvailability {
        Unknown = "unknown",
        NotAvailable = "notAvailable",
        Available = "available",
        Archive = "archive",
        Delete = "delete",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.simulationContentSource` (the docs' training example sends `microsoft`).
    ContentSource {
        Unknown = "unknown",
        Global = "global",
        Tenant = "tenant",
        UnknownFutureValue = "unknownFutureValue",
    }
);

open_enum!(
    /// `graph.clickSource`.
    ClickSource {
        Unknown = "unknown",
        QrCode = "qrCode",
        PhishingUrl = "phishingUrl",
        UnknownFutureValue = "unknownFutureValue",
    }
);

/// The overview's event that counts users who reported the simulated phish.
pub const EVENT_REPORTED: &str = "ReportedEmail";

/// `graph.emailIdentity` (who created or changed a simulation, automation or training).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailIdentity {
    #[serde(default, deserialize_with = "lenient::string")]
    pub id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: Option<String>,
}

impl EmailIdentity {
    /// The name, else the address, else the id.
    pub fn name(&self) -> Option<&str> {
        [&self.display_name, &self.email, &self.id]
            .into_iter()
            .find_map(|v| v.as_deref().filter(|s| !s.trim().is_empty()))
    }
}

/// `graph.attackSimulationUser`: a targeted user, as the reports name them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationUser {
    #[serde(default, deserialize_with = "lenient::string")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub email: Option<String>,
}

impl SimulationUser {
    /// The name, else the address, else the id, else "".
    pub fn name(&self) -> &str {
        [&self.display_name, &self.email, &self.user_id]
            .into_iter()
            .find_map(|v| v.as_deref().filter(|s| !s.trim().is_empty()))
            .unwrap_or("")
    }

    fn is_named(&self) -> bool {
        !self.name().is_empty()
    }
}

/// `graph.simulation`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Simulation {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<SimulationStatus>,
    #[serde(default)]
    pub attack_technique: Option<AttackTechnique>,
    #[serde(default)]
    pub attack_type: Option<AttackType>,
    #[serde(default)]
    pub payload_delivery_platform: Option<DeliveryPlatform>,
    #[serde(default, rename = "launchDateTime", deserialize_with = "date")]
    pub launched: Option<OffsetDateTime>,
    #[serde(default, rename = "completionDateTime", deserialize_with = "date")]
    pub completed: Option<OffsetDateTime>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<EmailIdentity>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub last_modified_by: Option<EmailIdentity>,
    /// Int32 in the schema; the docs' create example sends the string `"3"`.
    #[serde(default, deserialize_with = "lenient::int")]
    pub duration_in_days: Option<i64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_automated: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub automation_id: Option<String>,
    /// Present on a GET of one simulation that has run (and when `$select` names it).
    #[serde(default, deserialize_with = "lenient::object")]
    pub report: Option<SimulationReport>,
}

impl Simulation {
    /// Whether this simulation has run, so a report is to be expected. The one rule for
    /// every caller (the pane and the headless list): a draft or scheduled simulation has
    /// not run; any other status (running, finished, cancelled, or one Graph adds later)
    /// has; without a status, a launch time in the past says it ran.
    pub fn has_run(&self) -> bool {
        match &self.status {
            Some(SimulationStatus::Draft | SimulationStatus::Scheduled) => false,
            Some(_) => true,
            None => self
                .launched
                .is_some_and(|t| t <= OffsetDateTime::now_utc()),
        }
    }
}

/// `graph.simulationReport`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationReport {
    #[serde(default, deserialize_with = "lenient::object")]
    pub overview: Option<ReportOverview>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub simulation_users: Vec<UserSimulationDetails>,
}

/// `graph.simulationReportOverview`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportOverview {
    /// Valid users the simulation reached.
    #[serde(default, deserialize_with = "lenient::int")]
    pub resolved_targets_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub simulation_events_content: Option<SimulationEventsContent>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub training_events_content: Option<TrainingEventsContent>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub recommended_actions: Vec<RecommendedAction>,
}

impl ReportOverview {
    /// Percent of targets compromised, as Graph computed it.
    pub fn compromised_rate(&self) -> Option<f64> {
        self.simulation_events_content.as_ref()?.compromised_rate
    }

    /// The count of the overview event named `name` (case-insensitive).
    pub fn event_count(&self, name: &str) -> Option<i64> {
        self.simulation_events_content
            .as_ref()?
            .events
            .iter()
            .find(|e| {
                e.event_name
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })?
            .count
    }

    /// Percent of targets who reported the phish: `ReportedEmail` over the resolved
    /// targets. Graph gives no such rate itself; `None` without targets or the event.
    pub fn report_rate(&self) -> Option<f64> {
        let targets = self.resolved_targets_count.filter(|n| *n > 0)?;
        let reported = self.event_count(EVENT_REPORTED)?;
        Some(reported as f64 * 100.0 / targets as f64)
    }

    /// Percent of assigned training completions, over every training of the simulation.
    pub fn training_completion_rate(&self) -> Option<f64> {
        let infos = &self
            .training_events_content
            .as_ref()?
            .assigned_trainings_infos;
        // Summed as f64: a count like `"1e30"` reads as `i64::MAX` (`lenient::int`), and an
        // i64 sum of two of them would overflow.
        let sum = |count: fn(&AssignedTrainingInfo) -> Option<i64>| -> f64 {
            infos.iter().filter_map(count).map(|n| n as f64).sum()
        };
        let assigned = sum(|t| t.assigned_user_count);
        let completed = sum(|t| t.completed_user_count);
        (assigned > 0.0).then(|| completed * 100.0 / assigned)
    }
}

/// `graph.simulationEventsContent`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationEventsContent {
    #[serde(default, deserialize_with = "lenient::float")]
    pub compromised_rate: Option<f64>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub events: Vec<SimulationEvent>,
}

/// `graph.simulationEvent`: how many targets did one thing (delivered, clicked, reported…).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationEvent {
    #[serde(default, deserialize_with = "lenient::string")]
    pub event_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub count: Option<i64>,
}

/// `graph.trainingEventsContent`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingEventsContent {
    #[serde(default, deserialize_with = "lenient::list")]
    pub assigned_trainings_infos: Vec<AssignedTrainingInfo>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub trainings_assigned_user_count: Option<i64>,
}

/// `graph.assignedTrainingInfo`: one training of a simulation, assigned vs completed.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignedTrainingInfo {
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub assigned_user_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub completed_user_count: Option<i64>,
}

/// `graph.recommendedAction`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecommendedAction {
    #[serde(default, deserialize_with = "lenient::string")]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub action_web_url: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub potential_score_impact: Option<f64>,
}

/// `graph.userSimulationDetails`: one targeted user's outcome.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSimulationDetails {
    #[serde(default, deserialize_with = "lenient::object")]
    pub simulation_user: Option<SimulationUser>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub is_compromised: Option<bool>,
    #[serde(default, rename = "compromisedDateTime", deserialize_with = "date")]
    pub compromised: Option<OffsetDateTime>,
    #[serde(default, rename = "reportedPhishDateTime", deserialize_with = "date")]
    pub reported: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub assigned_trainings_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub completed_trainings_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub in_progress_trainings_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub simulation_events: Vec<UserSimulationEvent>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub training_events: Vec<UserTrainingEvent>,
}

impl UserSimulationDetails {
    /// Compromised: the flag, or a compromise time when the flag is missing.
    pub fn compromised(&self) -> bool {
        self.is_compromised.unwrap_or(self.compromised.is_some())
    }

    pub fn user_name(&self) -> &str {
        self.simulation_user
            .as_ref()
            .map_or("", SimulationUser::name)
    }
}

/// `graph.userSimulationEventInfo`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSimulationEvent {
    #[serde(default, deserialize_with = "lenient::string")]
    pub event_name: Option<String>,
    #[serde(default, rename = "eventDateTime", deserialize_with = "date")]
    pub at: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub browser: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub ip_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub os_platform_device_details: Option<String>,
    #[serde(default)]
    pub click_source: Option<ClickSource>,
}

/// `graph.userTrainingEventInfo`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTrainingEvent {
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub latest_training_status: Option<TrainingStatus>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub training_assigned_properties: Option<TrainingContentEvent>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub training_completed_properties: Option<TrainingContentEvent>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub training_updated_properties: Option<TrainingContentEvent>,
}

/// `graph.userTrainingContentEventInfo`.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingContentEvent {
    #[serde(default, rename = "contentDateTime", deserialize_with = "date")]
    pub at: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub browser: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub ip_address: Option<String>,
    #[serde(default, deserialize_with = "lenient::float")]
    pub potential_score_impact: Option<f64>,
}

/// `graph.simulationAutomation`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationAutomation {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    #[serde(default)]
    pub status: Option<AutomationStatus>,
    #[serde(default, rename = "lastRunDateTime", deserialize_with = "date")]
    pub last_run: Option<OffsetDateTime>,
    #[serde(default, rename = "nextRunDateTime", deserialize_with = "date")]
    pub next_run: Option<OffsetDateTime>,
    #[serde(default, rename = "createdDateTime", deserialize_with = "date")]
    pub created: Option<OffsetDateTime>,
    #[serde(default, deserialize_with = "lenient::object")]
    pub created_by: Option<EmailIdentity>,
}

/// `graph.simulationAutomationRun`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AutomationRun {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub simulation_id: Option<String>,
    #[serde(default)]
    pub status: Option<AutomationRunStatus>,
    #[serde(default, rename = "startDateTime", deserialize_with = "date")]
    pub started: Option<OffsetDateTime>,
    #[serde(default, rename = "endDateTime", deserialize_with = "date")]
    pub ended: Option<OffsetDateTime>,
}

/// `graph.training`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Training {
    #[serde(default, deserialize_with = "id")]
    pub id: String,
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    pub description: Option<String>,
    /// Int32 in the schema; the docs' list example spells it `duratonInMinutes` and sends a
    /// string, so both names and both kinds are read.
    #[serde(default, alias = "duratonInMinutes", deserialize_with = "lenient::int")]
    pub duration_in_minutes: Option<i64>,
    #[serde(default)]
    pub source: Option<ContentSource>,
    #[serde(default, rename = "type")]
    pub kind: Option<TrainingType>,
    #[serde(default)]
    pub availability_status: Option<TrainingAvailability>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    pub has_evaluation: Option<bool>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub tags: Vec<String>,
    #[serde(default, deserialize_with = "lenient::strings")]
    pub supported_locales: Vec<String>,
    #[serde(default, rename = "lastModifiedDateTime", deserialize_with = "date")]
    pub last_modified: Option<OffsetDateTime>,
}

/// `graph.attackSimulationRepeatOffender`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepeatOffender {
    #[serde(default, deserialize_with = "lenient::object")]
    pub attack_simulation_user: Option<SimulationUser>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub repeat_offence_count: Option<i64>,
}

/// `graph.attackSimulationSimulationUserCoverage`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulationUserCoverage {
    #[serde(default, deserialize_with = "lenient::object")]
    pub attack_simulation_user: Option<SimulationUser>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub simulation_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub click_count: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub compromised_count: Option<i64>,
    #[serde(
        default,
        rename = "latestSimulationDateTime",
        deserialize_with = "date"
    )]
    pub latest_simulation: Option<OffsetDateTime>,
}

/// `graph.attackSimulationTrainingUserCoverage`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrainingUserCoverage {
    #[serde(default, deserialize_with = "lenient::object")]
    pub attack_simulation_user: Option<SimulationUser>,
    #[serde(default, deserialize_with = "lenient::list")]
    pub user_trainings: Vec<UserTrainingStatus>,
}

impl TrainingUserCoverage {
    /// Trainings this user has completed, of those assigned.
    pub fn completed(&self) -> (usize, usize) {
        let done = self
            .user_trainings
            .iter()
            .filter(|t| t.training_status == Some(TrainingStatus::Completed))
            .count();
        (done, self.user_trainings.len())
    }
}

/// `graph.userTrainingStatusInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTrainingStatus {
    #[serde(default, deserialize_with = "lenient::string")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub training_status: Option<TrainingStatus>,
    #[serde(default, rename = "assignedDateTime", deserialize_with = "date")]
    pub assigned: Option<OffsetDateTime>,
    #[serde(default, rename = "completionDateTime", deserialize_with = "date")]
    pub completed: Option<OffsetDateTime>,
}

has_id!(Simulation, SimulationAutomation, AutomationRun, Training);

/// Report rows have no id of their own; a row is shown when it names its user.
macro_rules! user_row {
    ($($t:ty => $user:ident),*) => {$(
        impl HasId for $t {
            fn id(&self) -> &str {
                self.$user.as_ref().and_then(|u| u.user_id.as_deref()).unwrap_or("")
            }
            fn identified(&self) -> bool {
                self.$user.as_ref().is_some_and(SimulationUser::is_named)
            }
        }
    )*};
}

user_row!(
    UserSimulationDetails => simulation_user,
    RepeatOffender => attack_simulation_user,
    SimulationUserCoverage => attack_simulation_user,
    TrainingUserCoverage => attack_simulation_user
);

/// Parses one report overview body (beta `…/report/overview` answers the object itself).
pub fn parse_overview(body: &str) -> Result<ReportOverview, serde_json::Error> {
    let v: serde_json::Value = serde_json::from_str(body)?;
    if !v.is_object() {
        return Err(serde::de::Error::custom(
            "a report overview must be a JSON object",
        ));
    }
    ReportOverview::deserialize(v)
}

/// Convenience for callers that hold a kept simulation.
pub fn overview_of(sim: &Kept<Simulation>) -> Option<&ReportOverview> {
    sim.report.as_ref()?.overview.as_ref()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_come_from_the_overview() {
        let o = parse_overview(
            r#"{"resolvedTargetsCount":4,
                "simulationEventsContent":{"compromisedRate":50.0,"events":[
                  {"eventName":"SuccessfullyDeliveredMail","count":4},
                  {"eventName":"ReportedEmail","count":1}]},
                "trainingEventsContent":{"trainingsAssignedUserCount":2,
                  "assignedTrainingsInfos":[
                    {"displayName":"A","assignedUserCount":2,"completedUserCount":1},
                    {"displayName":"B","assignedUserCount":2,"completedUserCount":2}]}}"#,
        )
        .unwrap();
        assert_eq!(o.compromised_rate(), Some(50.0));
        assert_eq!(o.report_rate(), Some(25.0));
        assert_eq!(o.training_completion_rate(), Some(75.0));
        assert_eq!(o.event_count("reportedemail"), Some(1));
    }

    #[test]
    fn huge_counts_do_not_overflow_the_training_rate() {
        let o = parse_overview(
            r#"{"trainingEventsContent":{"assignedTrainingsInfos":[
                {"assignedUserCount":"1e30","completedUserCount":"1e30"},
                {"assignedUserCount":"1e30","completedUserCount":0}]}}"#,
        )
        .unwrap();
        assert_eq!(o.training_completion_rate(), Some(50.0));
    }

    #[test]
    fn has_run_follows_the_status_then_a_past_launch() {
        let sim = |json: &str| serde_json::from_str::<Simulation>(json).unwrap();
        assert!(
            !sim(r#"{"id":"s","status":"draft","launchDateTime":"2020-01-01T00:00:00Z"}"#)
                .has_run()
        );
        assert!(!sim(r#"{"id":"s","status":"scheduled"}"#).has_run());
        assert!(sim(r#"{"id":"s","status":"succeeded"}"#).has_run());
        assert!(
            sim(r#"{"id":"s","status":"paused"}"#).has_run(),
            "an unknown status"
        );
        assert!(sim(r#"{"id":"s","launchDateTime":"2020-01-01T00:00:00Z"}"#).has_run());
        assert!(!sim(r#"{"id":"s","launchDateTime":"9999-01-01T00:00:00Z"}"#).has_run());
        assert!(!sim(r#"{"id":"s"}"#).has_run());
    }

    #[test]
    fn no_targets_no_report_rate() {
        let o = parse_overview(r#"{"resolvedTargetsCount":0}"#).unwrap();
        assert_eq!(o.report_rate(), None);
        assert_eq!(o.training_completion_rate(), None);
        assert!(parse_overview("[]").is_err());
    }

    #[test]
    fn open_enums_and_odd_fields_do_not_fail_a_simulation() {
        let s = Kept::<Simulation>::from_json(
            r#"{"id":"s1","status":"paused","attackTechnique":"oAuthConsentGrant",
                "durationInDays":"3","isAutomated":"false","launchDateTime":"0001-01-01T00:00:00Z",
                "report":{"overview":null,"simulationUsers":[
                  {"simulationUser":{"email":"a@x"},"compromisedDateTime":"2026-01-02T03:04:05Z"},
                  {"simulationUser":null}]}}"#,
        )
        .unwrap();
        assert_eq!(s.status, Some(SimulationStatus::Other("paused".into())));
        assert_eq!(s.attack_technique, Some(AttackTechnique::OAuthConsentGrant));
        assert_eq!(s.duration_in_days, Some(3));
        assert_eq!(s.is_automated, Some(false));
        assert_eq!(s.launched, None);
        let users = &s.report.as_ref().unwrap().simulation_users;
        assert_eq!(users.len(), 2);
        assert!(users[0].compromised(), "a compromise time without the flag");
        assert!(!users[1].compromised());
    }

    #[test]
    fn report_rows_need_a_named_user() {
        assert!(
            Kept::<RepeatOffender>::from_json(
                r#"{"repeatOffenceCount":2,"attackSimulationUser":{"email":"a@x"}}"#
            )
            .is_ok()
        );
        assert!(Kept::<RepeatOffender>::from_json(r#"{"repeatOffenceCount":2}"#).is_err());
    }

    #[test]
    fn training_reads_the_documented_misspelling() {
        let t = Kept::<Training>::from_json(
            r#"{"id":"t","duratonInMinutes":"30","type":"dataPrivacy","source":"microsoft"}"#,
        )
        .unwrap();
        assert_eq!(t.duration_in_minutes, Some(30));
        assert_eq!(t.kind, Some(TrainingType::Other("dataPrivacy".into())));
    }
}
