//! The background worker: takes [`Command`]s, calls Graph, answers with [`Action`]s.
//!
//! It owns the Graph client and never touches the terminal. Loads are cancellable (a new
//! `LoadAlerts` aborts the one in flight, and every page carries its generation so a late
//! page can't overwrite a newer filter). Writes go through the [`Outbox`]: journaled on
//! disk first, then sent by its writer concurrently across alerts but in order for any one
//! alert.

use crate::app::incidents::IncidentRow;
use crate::app::live::{Held, PollOf};
use crate::app::score::HISTORY_DAYS;
use crate::app::writes::{RESTORED_WRITE_IDS, WriteOp};
use crate::app::{Action, AlertQuery, Command, IncidentQuery, OutboxRow, RestoredWrite};
use crate::follower::{FollowConfig, FollowRequest};
use crate::graph::models::Page;
use crate::graph::odata::{Filter, ODataQuery};
use crate::graph::{Client, GraphError};
use crate::outbox::writer::NewEntry;
use crate::outbox::{
    EntryView, Op, Outbox, OutboxError, OutboxEvent, Reply, Resolution, Status, Target,
};
use futures_util::StreamExt;
use std::collections::HashMap;
use time::OffsetDateTime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub mod cases;
pub mod sims;

/// Page size asked of Graph for the queue: large pages mean fewer round trips on a slow link.
pub const QUEUE_PAGE_SIZE: u32 = 1000;

/// Page size for incidents with their alerts expanded: what real integrations use (an
/// expanded page is many times the size of a plain one).
pub const INCIDENT_PAGE_SIZE: u32 = 50;

/// The incident queue's query: its statuses, each incident with its alerts, and the count.
pub fn incident_query_to_odata(query: &IncidentQuery) -> ODataQuery {
    let mut odata = ODataQuery::new()
        .top(INCIDENT_PAGE_SIZE)
        .count(true)
        .expand(["alerts"]);
    // `eq` joined by `or`: the documented form of an incident filter.
    if let Some(f) = Filter::any(
        query
            .statuses
            .iter()
            .map(|s| Filter::eq("status", s.as_str())),
    ) {
        odata = odata.filter(f);
    }
    odata
}

/// Turns the queue's presets into an OData query (`now` fixes the time window).
pub fn alert_query_to_odata(query: &AlertQuery, now: OffsetDateTime) -> ODataQuery {
    let mut filter: Option<Filter> = None;
    if !query.statuses.is_empty() {
        let statuses: Vec<String> = query
            .statuses
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect();
        filter = Some(Filter::in_("status", statuses));
    }
    if let Some(window) = query.created_within {
        let since = Filter::ge_datetime("createdDateTime", now - window);
        filter = Some(match filter {
            Some(f) => f.and(since),
            None => since,
        });
    }
    let mut odata = ODataQuery::new().top(QUEUE_PAGE_SIZE).count(true);
    if let Some(f) = filter {
        odata = odata.filter(f);
    }
    odata
}

/// The OData query for a poll: alerts changed after `since` within the query's age window.
/// No status filter, so an alert that someone else resolved is seen leaving an open queue.
pub fn alert_refresh_odata(
    query: &AlertQuery,
    since: OffsetDateTime,
    now: OffsetDateTime,
) -> ODataQuery {
    let mut filter = Filter::gt_datetime("lastUpdateDateTime", since);
    if let Some(window) = query.created_within {
        filter = filter.and(Filter::ge_datetime("createdDateTime", now - window));
    }
    ODataQuery::new().top(QUEUE_PAGE_SIZE).filter(filter)
}

/// The OData query for an incident poll: incidents changed after `since`, any status (so
/// one resolved elsewhere is seen leaving), each with its alerts.
pub fn incident_refresh_odata(since: OffsetDateTime) -> ODataQuery {
    ODataQuery::new()
        .top(INCIDENT_PAGE_SIZE)
        .expand(["alerts"])
        .filter(Filter::gt_datetime("lastUpdateDateTime", since))
}

/// Write commands journaled together with one fsync, at most.
const MAX_BATCH: usize = 512;

/// Runs until the command channel closes (the console quit).
///
/// Writes go to the [`Outbox`] (journaled, then sent by its writer); its events come back
/// here and become the same actions a direct write would give, keyed by the app's write id.
/// Write commands that arrive together (a bulk change to many alerts) are journaled with
/// one fsync.
pub async fn run(
    client: Client,
    outbox: Outbox,
    outbox_events: mpsc::UnboundedReceiver<OutboxEvent>,
    commands: mpsc::UnboundedReceiver<Command>,
    updates: mpsc::Sender<Action>,
) {
    run_with(
        client,
        outbox,
        outbox_events,
        commands,
        updates,
        WorkerOptions::default(),
    )
    .await;
}

/// What the worker needs beyond the client and the outbox.
#[derive(Debug, Clone, Default)]
pub struct WorkerOptions {
    /// Where followed long-running operations are kept (`<data dir>/operations/
    /// <profile>.json`); `None` follows them for this run only.
    pub operations_file: Option<std::path::PathBuf>,
    pub follow: FollowConfig,
}

/// [`run`] with [`WorkerOptions`].
pub async fn run_with(
    client: Client,
    outbox: Outbox,
    mut outbox_events: mpsc::UnboundedReceiver<OutboxEvent>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    updates: mpsc::Sender<Action>,
    options: WorkerOptions,
) {
    let (case_jobs, case_rx) = mpsc::unbounded_channel();
    let cases_task = tokio::spawn(cases::run(client.clone(), case_rx, updates.clone()));
    let mut worker = Worker {
        client,
        outbox,
        options,
        follower: None,
        case_jobs,
        updates,
        writes: WriteIds::default(),
        load: None,
        incident_load: None,
        listing: false,
    };
    loop {
        tokio::select! {
            command = commands.recv() => {
                let Some(first) = command else { break };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH
                    && let Ok(next) = commands.try_recv()
                {
                    batch.push(next);
                }
                if worker.handle_all(batch).await.is_err() {
                    break;
                }
            }
            event = outbox_events.recv() => {
                let Some(event) = event else { break };
                if worker.on_outbox_event(event).await.is_err() {
                    break;
                }
            }
        }
    }
    for l in [worker.load, worker.incident_load].into_iter().flatten() {
        l.abort();
    }
    cases_task.abort();
}

/// The console has gone (its update channel closed).
struct Gone;

struct Worker {
    client: Client,
    outbox: Outbox,
    options: WorkerOptions,
    /// The operation follower, started with the first estimate or resume.
    follower: Option<mpsc::UnboundedSender<FollowRequest>>,
    /// The one cases task's queue (see [`cases`]).
    case_jobs: mpsc::UnboundedSender<cases::Queued>,
    updates: mpsc::Sender<Action>,
    writes: WriteIds,
    load: Option<JoinHandle<()>>,
    incident_load: Option<JoinHandle<()>>,
    /// The `:outbox` view is open: keep it current as entries land or stop.
    listing: bool,
}

impl Worker {
    fn queue_case(&self, job: cases::CaseJob, first: bool) {
        // The task lives as long as the worker; a send can only fail while both end.
        let _ = self.case_jobs.send(cases::Queued { job, first });
    }

    async fn send(&self, action: Action) -> Result<(), Gone> {
        self.updates.send(action).await.map_err(|_| Gone)
    }

    /// Hands `request` to the operation follower, starting it the first time.
    fn follow(&mut self, request: FollowRequest) {
        let tx = self.follower.get_or_insert_with(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(crate::follower::run(
                self.client.clone(),
                self.options.operations_file.clone(),
                self.options.follow,
                rx,
                self.updates.clone(),
            ));
            tx
        });
        if tx.send(request).is_err() {
            tracing::warn!("the operation follower has stopped");
        }
    }

    /// Handles commands in order; runs of writes are journaled as one batch.
    async fn handle_all(&mut self, batch: Vec<Command>) -> Result<(), Gone> {
        let mut run: Vec<(u64, NewEntry)> = Vec::new();
        let entry = |target, op| NewEntry {
            target,
            op,
            after: None,
        };
        for command in batch {
            match command {
                Command::UpdateAlert {
                    write_id,
                    alert_id,
                    update,
                    base,
                    after,
                } => run.push((
                    write_id,
                    NewEntry {
                        after,
                        ..entry(Target::alert(alert_id), Op::AlertUpdate { update, base })
                    },
                )),
                Command::AddComment {
                    write_id,
                    alert_id,
                    text,
                } => {
                    let author = self.outbox.author().map(str::to_owned);
                    run.push((
                        write_id,
                        entry(Target::alert(alert_id), Op::AlertComment { text, author }),
                    ));
                }
                Command::UpdateIncident {
                    write_id,
                    incident_id,
                    update,
                    base,
                } => run.push((
                    write_id,
                    entry(
                        Target::incident(incident_id),
                        Op::IncidentUpdate { update, base },
                    ),
                )),
                Command::AddIncidentComment {
                    write_id,
                    incident_id,
                    text,
                } => {
                    let author = self.outbox.author().map(str::to_owned);
                    run.push((
                        write_id,
                        entry(
                            Target::incident(incident_id),
                            Op::IncidentComment { text, author },
                        ),
                    ));
                }
                Command::UpdateControl {
                    write_id,
                    profile_id,
                    update,
                    base,
                } => run.push((
                    write_id,
                    entry(
                        Target::control(profile_id),
                        Op::ControlUpdate { update, base },
                    ),
                )),
                other => {
                    self.submit(std::mem::take(&mut run)).await?;
                    self.handle(other).await?;
                }
            }
        }
        self.submit(run).await
    }

    async fn handle(&mut self, command: Command) -> Result<(), Gone> {
        match command {
            Command::LoadAlerts { generation, query } => {
                if let Some(previous) = self.load.take() {
                    previous.abort();
                }
                self.load = Some(tokio::spawn(load_alerts(
                    self.client.clone(),
                    generation,
                    query,
                    self.updates.clone(),
                )));
            }
            Command::RefreshAlerts {
                refresh,
                since,
                query,
            } => {
                if self.budget_low(PollOf::Alerts, refresh).await? {
                    return Ok(());
                }
                tokio::spawn(refresh_alerts(
                    self.client.clone(),
                    refresh,
                    since,
                    query,
                    self.updates.clone(),
                ));
            }
            Command::RefreshIncidents { refresh, since } => {
                if self.budget_low(PollOf::Incidents, refresh).await? {
                    return Ok(());
                }
                tokio::spawn(refresh_incidents(
                    self.client.clone(),
                    refresh,
                    since,
                    self.updates.clone(),
                ));
            }
            Command::LoadIncidents { generation, query } => {
                if let Some(previous) = self.incident_load.take() {
                    previous.abort();
                }
                self.incident_load = Some(tokio::spawn(load_incidents(
                    self.client.clone(),
                    generation,
                    query,
                    self.updates.clone(),
                )));
            }
            Command::GetIncident { id } => {
                let (client, tx) = (self.client.clone(), self.updates.clone());
                tokio::spawn(async move {
                    let action = match client.get_incident(&id, true).await {
                        Ok(incident) => {
                            Action::IncidentLoaded(Box::new(IncidentRow::from_incident(incident)))
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "get incident failed");
                            Action::Notice(format!("could not refresh the incident: {e}"))
                        }
                    };
                    let _ = tx.send(action).await;
                });
            }
            Command::LoadSecureScores => {
                let (client, tx) = (self.client.clone(), self.updates.clone());
                tokio::spawn(async move {
                    let query = ODataQuery::new().top(HISTORY_DAYS as u32);
                    let result = collect(client.list_secure_scores(&query), HISTORY_DAYS).await;
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, "secure score history failed");
                    }
                    let _ = tx.send(Action::SecureScoresLoaded(result)).await;
                });
            }
            Command::LoadControlProfiles => {
                let (client, tx) = (self.client.clone(), self.updates.clone());
                tokio::spawn(async move {
                    let pages = client.list_control_profiles(&ODataQuery::new());
                    let result = collect(pages, usize::MAX).await;
                    if let Err(e) = &result {
                        tracing::warn!(error = %e, "control profiles failed");
                    }
                    let _ = tx.send(Action::ControlProfilesLoaded(result)).await;
                });
            }
            Command::CasesEstimate {
                case_id,
                search_id,
                label,
            } => self.follow(FollowRequest::Estimate {
                case_id,
                search_id,
                label,
            }),
            Command::ResumeOperations => self.follow(FollowRequest::Resume),
            // Case reads and writes run one after another in the cases task. Writes go
            // straight to Graph there, not through the outbox: close, reopen, create and
            // add are actions, not idempotent field updates an outbox could replay.
            Command::LoadCases => self.queue_case(cases::CaseJob::ListCases, false),
            Command::LoadCaseTab {
                case_id,
                tab,
                first,
            } => self.queue_case(cases::CaseJob::Tab { case_id, tab }, first),
            Command::CloseCase { case_id } => {
                self.queue_case(cases::CaseJob::Close { case_id }, false);
            }
            Command::ReopenCase { case_id } => {
                self.queue_case(cases::CaseJob::Reopen { case_id }, false);
            }
            Command::CreateCase {
                display_name,
                description,
            } => self.queue_case(
                cases::CaseJob::Create {
                    case: crate::graph::cases::NewCase {
                        display_name,
                        description,
                        external_id: None,
                    },
                },
                false,
            ),
            Command::AddCustodian { case_id, email } => {
                self.queue_case(cases::CaseJob::AddCustodian { case_id, email }, false);
            }
            Command::Sims(command) => {
                sims::spawn(self.client.clone(), command, self.updates.clone());
            }
            Command::SavePlanned { path, ids } => {
                let tx = self.updates.clone();
                tokio::spawn(async move {
                    let saved =
                        tokio::task::spawn_blocking(move || crate::planned::save(&path, &ids))
                            .await;
                    if let Ok(Err(e)) | Err(e) = saved.map_err(std::io::Error::other) {
                        tracing::warn!(error = %e, "saving planned controls failed");
                        let _ = tx
                            .send(Action::Notice(format!("planned controls not saved: {e}")))
                            .await;
                    }
                });
            }
            Command::GetAlert { id } => {
                let (client, tx) = (self.client.clone(), self.updates.clone());
                tokio::spawn(async move {
                    let action = match client.get_alert(&id).await {
                        Ok(alert) => Action::AlertLoaded(alert),
                        Err(e) => {
                            tracing::warn!(error = %e, "get alert failed");
                            Action::Notice(format!("could not refresh the alert: {e}"))
                        }
                    };
                    let _ = tx.send(action).await;
                });
            }
            Command::UpdateAlert { .. }
            | Command::AddComment { .. }
            | Command::UpdateIncident { .. }
            | Command::AddIncidentComment { .. }
            | Command::UpdateControl { .. } => {
                // Batched by `handle_all`; one on its own is a batch of one.
                return Box::pin(self.handle_all(vec![command])).await;
            }
            Command::OutboxList => {
                self.listing = true;
                self.send_listing().await?;
            }
            Command::OutboxClosed => self.listing = false,
            Command::OutboxRetry(id) => {
                let result = self.outbox.retry(&id).await;
                self.after_change(&id, result, "Sending again").await?;
            }
            Command::OutboxDrop(id) => {
                let result = self.outbox.drop_entry(&id).await;
                self.after_change(&id, result, "Dropped").await?;
            }
            Command::ResolveConflict {
                entry_id,
                resolution,
            } => {
                let result = self.outbox.resolve(&entry_id, resolution).await;
                let done = match resolution {
                    Resolution::KeepMine => "Sending your values",
                    Resolution::TakeTheirs => "Kept the server's values",
                };
                self.after_change(&entry_id, result, done).await?;
            }
            // Local to the terminal layer; never routed here, ignored if they are.
            Command::CopyToClipboard(_)
            | Command::Suspend
            | Command::SwitchProfile(_)
            | Command::Quit => {}
        }
        Ok(())
    }

    /// A background poll waits while the shared request budget is low: the analyst's own
    /// reads and writes come first, and a poll that waited for tokens would only be stale.
    /// Says so to the app (which slows its polls) and returns true when it is low.
    async fn budget_low(&self, of: PollOf, refresh: u64) -> Result<bool, Gone> {
        let budget = self.client.budget();
        if !budget.is_low() {
            return Ok(false);
        }
        tracing::debug!(
            ?of,
            available = budget.available,
            "poll held: request budget low"
        );
        self.send(Action::RefreshHeld {
            of,
            refresh,
            held: Held::BudgetLow,
        })
        .await?;
        Ok(true)
    }

    /// Journals writes (one fsync for the lot); if the journal can't take them, they are
    /// refused right away (never sent, so the analyst must know).
    async fn submit(&mut self, run: Vec<(u64, NewEntry)>) -> Result<(), Gone> {
        if run.is_empty() {
            return Ok(());
        }
        let (write_ids, items): (Vec<u64>, Vec<NewEntry>) = run.into_iter().unzip();
        match self.outbox.submit_entries(items).await {
            Ok(entry_ids) => {
                for (entry_id, write_id) in entry_ids.into_iter().zip(write_ids) {
                    self.writes.by_entry.insert(entry_id, write_id);
                }
            }
            Err(e) => {
                tracing::error!(writes = write_ids.len(), error = %e, "writes not journaled; not sent");
                for write_id in write_ids {
                    self.send(Action::WriteFailed {
                        write_id,
                        error: format!("not saved, so not sent: {e}"),
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    async fn on_outbox_event(&mut self, event: OutboxEvent) -> Result<(), Gone> {
        // A stop always changes what the `:outbox` view would show (and the app ignores
        // a listing while it is closed); landings matter only while it is open.
        let relist = match event {
            OutboxEvent::Stopped(_) => true,
            OutboxEvent::Done { .. } | OutboxEvent::Deferred { .. } => self.listing,
            OutboxEvent::Restored(_) => false,
        };
        for action in self.writes.on_event(event) {
            self.send(action).await?;
        }
        if relist {
            self.send_listing().await?;
        }
        Ok(())
    }

    /// After retry/drop/resolve: a notice, the entry's row pending again when it is back in
    /// line, and a fresh `:outbox` list.
    async fn after_change(
        &mut self,
        entry_id: &str,
        result: Result<(), OutboxError>,
        done: &str,
    ) -> Result<(), Gone> {
        let notice = match result {
            Ok(()) => done.to_owned(),
            Err(e) => e.to_string(),
        };
        if let Some(v) = self
            .outbox
            .entries()
            .into_iter()
            .find(|v| v.entry.id == entry_id && v.status == Status::Pending)
        {
            let restored = self.writes.restore(&v);
            self.send(Action::OutboxRestored(vec![restored])).await?;
        }
        self.send(Action::Notice(notice)).await?;
        self.send_listing().await
    }

    /// Sends the `:outbox` rows (the journal is in memory, so this is cheap); the app
    /// ignores them unless the view is open.
    async fn send_listing(&self) -> Result<(), Gone> {
        let rows = self
            .outbox
            .entries()
            .into_iter()
            .filter(|v| !v.status.is_finished())
            .map(|v| OutboxRow {
                what: v.entry.op.describe(),
                state: v.status.word().to_owned(),
                detail: v.status.detail(),
                conflicts: match &v.status {
                    Status::Conflict(fields) => fields.clone(),
                    _ => Vec::new(),
                },
                target: v.entry.target,
                entry_id: v.entry.id,
            })
            .collect();
        self.send(Action::OutboxListed(rows)).await
    }
}

/// The app's write ids for outbox entries.
#[derive(Default)]
struct WriteIds {
    by_entry: HashMap<String, u64>,
    next_restored: u64,
}

impl WriteIds {
    /// Gives an entry the app did not start (restored, or back in line) a write id, so its
    /// alert or incident row shows it as pending.
    fn restore(&mut self, v: &EntryView) -> RestoredWrite {
        let op = match &v.entry.op {
            Op::AlertUpdate { update, .. } => WriteOp::Update(update.clone()),
            Op::IncidentUpdate { update, .. } => WriteOp::UpdateIncident(update.clone()),
            Op::AlertComment { text, .. } | Op::IncidentComment { text, .. } => {
                WriteOp::Comment(text.clone())
            }
            Op::ControlUpdate { update, .. } => WriteOp::UpdateControl(update.clone()),
        };
        let write_id = RESTORED_WRITE_IDS + self.next_restored;
        self.next_restored += 1;
        self.by_entry.insert(v.entry.id.clone(), write_id);
        RestoredWrite {
            write_id,
            target: v.entry.target.clone(),
            op,
        }
    }

    /// The actions an outbox event means for the console.
    fn on_event(&mut self, event: OutboxEvent) -> Vec<Action> {
        match event {
            OutboxEvent::Restored(views) => {
                let stopped = views.iter().filter(|v| v.status.is_stopped()).count();
                let restored: Vec<RestoredWrite> = views
                    .iter()
                    .filter(|v| v.status == Status::Pending)
                    .map(|v| self.restore(v))
                    .collect();
                let mut out = vec![Action::OutboxRestored(restored)];
                if stopped > 0 {
                    out.push(Action::Notice(format!(
                        "{stopped} change{} in the outbox need{} a decision: :outbox",
                        if stopped == 1 { "" } else { "s" },
                        if stopped == 1 { "s" } else { "" },
                    )));
                }
                out
            }
            OutboxEvent::Done { id, target, reply } => {
                let write_id = self.by_entry.remove(&id);
                match (write_id, reply) {
                    (Some(write_id), Reply::Alert(alert)) => {
                        vec![Action::WriteSucceeded {
                            write_id,
                            alert: *alert,
                        }]
                    }
                    (None, Reply::Alert(alert)) => vec![Action::AlertLoaded(*alert)],
                    (Some(write_id), Reply::Comments(comments) | Reply::AlreadyThere(comments)) => {
                        vec![Action::CommentAdded {
                            write_id,
                            target,
                            comments,
                        }]
                    }
                    (Some(write_id), Reply::Unreadable) => {
                        vec![Action::WriteLanded { write_id, target }]
                    }
                    (Some(write_id), Reply::Incident(incident)) => {
                        vec![Action::IncidentWriteSucceeded {
                            write_id,
                            incident: Box::new(IncidentRow::from_incident(*incident)),
                        }]
                    }
                    (None, Reply::Incident(incident)) => vec![Action::IncidentLoaded(Box::new(
                        IncidentRow::from_incident(*incident),
                    ))],
                    (Some(write_id), Reply::Control(profile)) => {
                        vec![Action::ControlWriteSucceeded { write_id, profile }]
                    }
                    (None, _) => vec![],
                }
            }
            OutboxEvent::Stopped(view) => {
                let Some(write_id) = self.by_entry.remove(&view.entry.id) else {
                    return vec![];
                };
                match view.status {
                    Status::Conflict(fields) => vec![Action::WriteConflict {
                        write_id,
                        entry_id: view.entry.id,
                        target: view.entry.target,
                        fields,
                    }],
                    other => vec![Action::WriteFailed {
                        write_id,
                        error: format!(
                            "{}; kept in the outbox (:outbox to retry or drop)",
                            other.detail()
                        ),
                    }],
                }
            }
            OutboxEvent::Deferred { id, error, .. } => {
                let Some(write_id) = self.by_entry.remove(&id) else {
                    return vec![];
                };
                vec![Action::WriteFailed {
                    write_id,
                    error: format!("{error}; kept in the outbox, sent again at the next start"),
                }]
            }
        }
    }
}

async fn load_alerts(client: Client, generation: u64, query: AlertQuery, tx: mpsc::Sender<Action>) {
    let odata = alert_query_to_odata(&query, OffsetDateTime::now_utc());
    let pages = client.list_alerts(&odata);
    stream_pages(pages, tx, |page| match page {
        Ok(Paged {
            items,
            total,
            skipped,
            done,
        }) => Action::AlertsPage {
            generation,
            alerts: items,
            total,
            skipped,
            done,
        },
        Err(error) => {
            tracing::warn!(generation, error = %error, "alert load failed");
            Action::AlertsFailed { generation, error }
        }
    })
    .await;
}

async fn load_incidents(
    client: Client,
    generation: u64,
    query: IncidentQuery,
    tx: mpsc::Sender<Action>,
) {
    let pages = client.list_incidents(&incident_query_to_odata(&query));
    stream_pages(pages, tx, |page| match page {
        Ok(Paged {
            items,
            total,
            skipped,
            done,
        }) => Action::IncidentsPage {
            generation,
            // The alerts' JSON goes here; the console keeps a summary of each.
            incidents: items.into_iter().map(IncidentRow::from_incident).collect(),
            total,
            skipped,
            done,
        },
        Err(error) => {
            tracing::warn!(generation, error = %error, "incident load failed");
            Action::IncidentsFailed { generation, error }
        }
    })
    .await;
}

/// Every item of `pages` up to `limit`, or the first failure as a line for the analyst.
async fn collect<T>(
    mut pages: impl futures_util::Stream<Item = Result<Page<T>, GraphError>> + Unpin,
    limit: usize,
) -> Result<Vec<T>, String> {
    let mut items = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| e.to_string())?;
        items.extend(page.items);
        if items.len() >= limit {
            items.truncate(limit);
            break;
        }
    }
    Ok(items)
}

/// One page of a list load, or why it stopped.
struct Paged<T> {
    items: Vec<T>,
    total: Option<u64>,
    skipped: usize,
    done: bool,
}

/// Sends each page of `pages` as the action `to_action` makes of it, the running
/// `@odata.count` carried along; stops after the last page, a failure, or when the console
/// has gone. A stream that ends without a last page still ends the load.
async fn stream_pages<T>(
    pages: impl futures_util::Stream<Item = Result<Page<T>, GraphError>> + Unpin,
    tx: mpsc::Sender<Action>,
    to_action: impl Fn(Result<Paged<T>, String>) -> Action,
) {
    let mut pages = pages;
    let mut total = None;
    while let Some(result) = pages.next().await {
        let (action, stop) = match result {
            Ok(page) => {
                let done = page.next_link.is_none();
                total = page.count.or(total);
                let paged = Paged {
                    items: page.items,
                    total,
                    skipped: page.skipped,
                    done,
                };
                (to_action(Ok(paged)), done)
            }
            Err(e) => (to_action(Err(e.to_string())), true),
        };
        if tx.send(action).await.is_err() || stop {
            return;
        }
    }
    let last = Paged {
        items: Vec::new(),
        total,
        skipped: 0,
        done: true,
    };
    let _ = tx.send(to_action(Ok(last))).await;
}

/// An alert poll: every page of what changed, delivered as one action so the queue merges
/// (and re-sorts) once.
async fn refresh_alerts(
    client: Client,
    refresh: u64,
    since: OffsetDateTime,
    query: AlertQuery,
    tx: mpsc::Sender<Action>,
) {
    let odata = alert_refresh_odata(&query, since, OffsetDateTime::now_utc());
    let action = match collect_pages(client.list_alerts(&odata)).await {
        Ok((alerts, skipped)) => {
            tracing::debug!(refresh, changed = alerts.len(), "alert poll");
            Action::AlertsRefreshed {
                refresh,
                alerts,
                skipped,
            }
        }
        Err(e) => {
            tracing::warn!(refresh, error = %e, "alert poll failed");
            Action::RefreshHeld {
                of: PollOf::Alerts,
                refresh,
                held: Held::Failed(e.to_string()),
            }
        }
    };
    let _ = tx.send(action).await;
}

/// An incident poll, as [`refresh_alerts`] (each incident with its alerts summarised).
async fn refresh_incidents(
    client: Client,
    refresh: u64,
    since: OffsetDateTime,
    tx: mpsc::Sender<Action>,
) {
    let odata = incident_refresh_odata(since);
    let action = match collect_pages(client.list_incidents(&odata)).await {
        Ok((incidents, skipped)) => {
            tracing::debug!(refresh, changed = incidents.len(), "incident poll");
            Action::IncidentsRefreshed {
                refresh,
                incidents: incidents
                    .into_iter()
                    .map(IncidentRow::from_incident)
                    .collect(),
                skipped,
            }
        }
        Err(e) => {
            tracing::warn!(refresh, error = %e, "incident poll failed");
            Action::RefreshHeld {
                of: PollOf::Incidents,
                refresh,
                held: Held::Failed(e.to_string()),
            }
        }
    };
    let _ = tx.send(action).await;
}

/// Every page of a (small) poll, and how many items could not be read.
async fn collect_pages<T>(
    pages: impl futures_util::Stream<Item = Result<Page<T>, crate::graph::GraphError>>,
) -> Result<(Vec<T>, usize), crate::graph::GraphError> {
    let mut pages = std::pin::pin!(pages);
    let (mut items, mut skipped) = (Vec::new(), 0);
    while let Some(page) = pages.next().await {
        let page = page?;
        items.extend(page.items);
        skipped += page.skipped;
    }
    Ok((items, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbox::{Entry, FieldConflict};

    fn view(id: &str, op: Op, status: Status) -> EntryView {
        EntryView {
            entry: Entry {
                id: id.into(),
                created: OffsetDateTime::UNIX_EPOCH,
                profile: "p".into(),
                endpoint: "e".into(),
                target: Target::alert("a1"),
                after: None,
                op,
            },
            status,
            sent: 0,
        }
    }

    fn comment() -> Op {
        Op::AlertComment {
            text: "hi".into(),
            author: None,
        }
    }

    #[test]
    fn outbox_events_become_actions_for_the_app_write_ids() {
        let mut ids = WriteIds::default();
        ids.by_entry.insert("e1".into(), 7);
        let done = ids.on_event(OutboxEvent::Done {
            id: "e1".into(),
            target: Target::alert("a1"),
            reply: Reply::AlreadyThere(vec![]),
        });
        assert!(matches!(
            done.as_slice(),
            [Action::CommentAdded { write_id: 7, target, .. }] if *target == Target::alert("a1")
        ));
        // Answered once: a second report for the entry maps to nothing.
        assert!(
            ids.on_event(OutboxEvent::Done {
                id: "e1".into(),
                target: Target::alert("a1"),
                reply: Reply::Unreadable,
            })
            .is_empty()
        );

        ids.by_entry.insert("e2".into(), 8);
        let fields = vec![FieldConflict {
            field: "status".into(),
            base: serde_json::json!("new"),
            mine: serde_json::json!("resolved"),
            theirs: serde_json::json!("inProgress"),
        }];
        let stopped = ids.on_event(OutboxEvent::Stopped(Box::new(view(
            "e2",
            comment(),
            Status::Conflict(fields.clone()),
        ))));
        assert!(matches!(
            stopped.as_slice(),
            [Action::WriteConflict { write_id: 8, entry_id, fields: f, .. }]
                if entry_id == "e2" && *f == fields
        ));
    }

    #[test]
    fn restored_entries_get_ids_the_app_never_issues() {
        let mut ids = WriteIds::default();
        let actions = ids.on_event(OutboxEvent::Restored(vec![
            view("e1", comment(), Status::Pending),
            view(
                "e2",
                comment(),
                Status::Failed {
                    status: Some(403),
                    code: "accessDenied".into(),
                    message: "no".into(),
                },
            ),
        ]));
        let [Action::OutboxRestored(restored), Action::Notice(notice)] = actions.as_slice() else {
            panic!("{actions:?}");
        };
        assert_eq!(restored.len(), 1, "only pending entries are being sent");
        assert!(restored[0].write_id >= RESTORED_WRITE_IDS);
        assert_eq!(ids.by_entry["e1"], restored[0].write_id);
        assert!(notice.contains("1 change"), "{notice}");
    }

    #[test]
    fn control_writes_answer_with_the_servers_profile_and_restore_as_control_updates() {
        use crate::graph::score::{ControlState, ControlStateUpdate, SecureScoreControlProfile};
        let mut ids = WriteIds::default();
        let update = ControlStateUpdate::new(ControlState::Ignored);
        let mut pending = view(
            "e1",
            Op::ControlUpdate {
                update: update.clone(),
                base: None,
            },
            Status::Pending,
        );
        pending.entry.target = Target::control("AdminMFA");
        let actions = ids.on_event(OutboxEvent::Restored(vec![pending]));
        let [Action::OutboxRestored(restored)] = actions.as_slice() else {
            panic!("one restored write");
        };
        assert_eq!(restored[0].op, WriteOp::UpdateControl(update));
        assert_eq!(restored[0].target, Target::control("AdminMFA"));
        let write_id = restored[0].write_id;

        let profile = SecureScoreControlProfile::from_json(
            r#"{"id":"AdminMFA","controlStateUpdates":[{"state":"Ignored"}]}"#,
        )
        .unwrap();
        let done = ids.on_event(OutboxEvent::Done {
            id: "e1".into(),
            target: Target::control("AdminMFA"),
            reply: Reply::Control(Box::new(profile.clone())),
        });
        assert!(matches!(
            done.as_slice(),
            [Action::ControlWriteSucceeded { write_id: w, profile: p }]
                if *w == write_id && **p == profile
        ));
    }
}
