//! The writer: drains the journal through the Graph client.
//!
//! One *lane* (a task) per target with work: it sends that target's entries strictly in
//! order and parks when the oldest unfinished entry is stopped (failed or in conflict), so
//! a later write never overtakes an earlier one. Lanes for different targets run
//! concurrently, at most [`WriterConfig::concurrency`] requests at a time. An entry that
//! must go after another target's writes ([`super::Entry::after`]) parks its lane until no
//! older write to that target is pending; the other lane wakes it.
//!
//! Per attempt:
//! - PATCH with a base: GET the alert first; if the server changed a field the analyst is
//!   changing, stop the entry as a conflict. Otherwise journal `sent`, then PATCH (PATCH is
//!   idempotent, so resending after a crash is harmless).
//! - Comment: if an earlier attempt was journaled as sent, GET the alert and finish the
//!   entry without posting when the comment is already there; otherwise journal `sent`,
//!   then POST. The `sent` record is fsynced before the POST leaves, so a crash at any point
//!   leaves either no request or a record that triggers the check.
//! - Control-state PATCH: each one appends a `controlStateUpdates` entry, so it is not
//!   idempotent. If an earlier attempt was journaled as sent, GET the profile and finish
//!   without sending when the entry is already there; then the conflict check (on the
//!   newest entry) when there is a base; then `sent` and the PATCH.
//! - Transient failures (throttling, 5xx, timeouts, resets) are retried with exponential
//!   backoff and full jitter on top of the client's own retries, honouring `Retry-After`.
//!   Other failures stop the entry with Graph's answer, for the analyst to retry or drop.
//!
//! Only entries journaled for the client's endpoint are sent: a journal that holds writes
//! made against an emulator never sends them to a real tenant, or the reverse.

use super::check;
use super::journal::Record;
use super::{EntryView, Journal, Op, OutboxError, Resolution, Status, Target, journal::EntryState};
use crate::graph::incidents::Incident;
use crate::graph::models::{Alert, AlertComment};
use crate::graph::retry::{backoff_ceiling, full_jitter, random_u64};
use crate::graph::score::SecureScoreControlProfile;
use crate::graph::{Client, GraphError};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{Semaphore, mpsc, watch};

/// How the writer paces itself.
#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Requests in flight at once, over all targets (Graph allows 4 concurrent requests on
    /// some security resources and 150/min on alerts; the client also backs off on 429).
    pub concurrency: usize,
    /// Attempts per entry in this run before it is left pending for a later run; `None`
    /// retries for as long as the process lives (the console).
    pub max_attempts: Option<u32>,
    /// First backoff ceiling between attempts; doubles per attempt.
    pub backoff_base: Duration,
    /// Largest backoff ceiling.
    pub backoff_cap: Duration,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            concurrency: 4,
            max_attempts: None,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
        }
    }
}

/// What Graph answered to a write that landed.
#[derive(Debug, Clone)]
pub enum Reply {
    /// The PATCH reply: the alert as it is now.
    Alert(Box<Alert>),
    /// The incident PATCH reply: the incident as it is now.
    Incident(Box<Incident>),
    /// The control-profile PATCH reply (or, after a bare 204, the profile read back; or the
    /// profile found already holding the write): the control as it is now.
    Control(Box<SecureScoreControlProfile>),
    /// The comment POST reply: every comment on the alert (or incident).
    Comments(Vec<AlertComment>),
    /// The comment was found on the alert already (an earlier attempt landed); not posted.
    AlreadyThere(Vec<AlertComment>),
    /// Graph accepted it (2xx) but the reply could not be read.
    Unreadable,
}

/// What the writer reports, in order.
#[derive(Debug, Clone)]
pub enum OutboxEvent {
    /// Unfinished entries found in the journal at start (pending ones are being resent).
    Restored(Vec<EntryView>),
    /// An entry landed.
    Done {
        id: String,
        target: Target,
        reply: Reply,
    },
    /// An entry stopped: failed for good or in conflict; it waits for the analyst.
    Stopped(Box<EntryView>),
    /// An entry is still pending after this run's attempts (or needs a new sign-in); it
    /// stays in the journal for the next run.
    Deferred {
        id: String,
        target: Target,
        error: String,
    },
}

/// A handle on the running writer. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    shared: Arc<Shared>,
}

struct Shared {
    journal: Mutex<Journal>,
    lanes: Mutex<Lanes>,
    /// Number of running lanes, watched by [`Outbox::wait_idle`].
    active: watch::Sender<usize>,
    client: Client,
    profile: String,
    author: Option<String>,
    config: WriterConfig,
    permits: Semaphore,
    events: mpsc::UnboundedSender<OutboxEvent>,
}

impl Shared {
    fn journal(&self) -> MutexGuard<'_, Journal> {
        // A panic elsewhere mid-append leaves the file consistent (fsynced lines only).
        self.journal.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lanes(&self) -> MutexGuard<'_, Lanes> {
        self.lanes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn emit(&self, event: OutboxEvent) {
        // Nobody listening (headless after it stopped waiting) is fine: the journal has it.
        let _ = self.events.send(event);
    }
}

/// Which lanes run, and which wait for another target's writes.
#[derive(Default)]
struct Lanes {
    /// Targets with a running lane.
    running: HashSet<Target>,
    /// Per target, the targets whose next entry waits for its older pending writes.
    waiting: HashMap<Target, HashSet<Target>>,
}

/// A target's next entry, as its lane sees it.
enum Lookup {
    Send(Box<EntryState>),
    /// Pending, but an older write to this other target is still pending.
    Blocked(Target),
    /// Nothing pending, or the oldest unfinished entry is stopped.
    Idle,
}

/// A write to journal: [`super::Entry`] without what the journal fills in.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub target: Target,
    pub op: Op,
    pub after: Option<Target>,
}

/// What one attempt came to.
enum Attempt {
    Landed(Reply),
    Conflict(Vec<super::FieldConflict>),
}

/// Why an attempt did not land.
enum AttemptError {
    Graph(GraphError),
    /// The read before the write failed. An unreadable alert there says nothing about the
    /// write, so it is retried like an outage rather than stopping the entry.
    Check(GraphError),
    /// The journal could not record `sent`; nothing was sent.
    Journal(OutboxError),
}

impl From<GraphError> for AttemptError {
    fn from(e: GraphError) -> Self {
        AttemptError::Graph(e)
    }
}

/// What a lane does after an entry.
enum Next {
    /// The entry finished; go on with the target's next one.
    Continue,
    /// Stop this lane (the entry stopped or was deferred).
    Park,
}

impl Outbox {
    /// Starts the writer over `journal`: reports unfinished entries for this endpoint as
    /// [`OutboxEvent::Restored`] and starts resending the pending ones. Must be called within
    /// a Tokio runtime.
    pub fn start(
        journal: Journal,
        client: Client,
        profile: impl Into<String>,
        author: Option<String>,
        config: WriterConfig,
        events: mpsc::UnboundedSender<OutboxEvent>,
    ) -> Outbox {
        let (active, _) = watch::channel(0);
        let concurrency = config.concurrency.max(1);
        let outbox = Outbox {
            shared: Arc::new(Shared {
                journal: Mutex::new(journal),
                lanes: Mutex::new(Lanes::default()),
                active,
                client,
                profile: profile.into(),
                author,
                config,
                permits: Semaphore::new(concurrency),
                events,
            }),
        };
        let restored: Vec<EntryView> = outbox
            .entries()
            .into_iter()
            .filter(|v| !v.status.is_finished())
            .collect();
        if !restored.is_empty() {
            tracing::info!(
                entries = restored.len(),
                "outbox: resending unfinished writes"
            );
            let targets: HashSet<Target> = restored
                .iter()
                .filter(|v| v.status == Status::Pending)
                .map(|v| v.entry.target.clone())
                .collect();
            outbox.shared.emit(OutboxEvent::Restored(restored));
            for t in targets {
                outbox.ensure_lane(t);
            }
        }
        outbox
    }

    /// The name Graph is expected to record as a comment's author, when known.
    pub fn author(&self) -> Option<&str> {
        self.shared.author.as_deref()
    }

    /// Journals a write (fsynced) and starts sending it. Returns the entry id.
    pub async fn submit(&self, target: Target, op: Op) -> Result<String, OutboxError> {
        let mut ids = self.submit_all(vec![(target, op)]).await?;
        ids.pop().ok_or(OutboxError::Closed)
    }

    /// Journals writes with one fsync and starts sending them; ids in the given order.
    pub async fn submit_all(&self, items: Vec<(Target, Op)>) -> Result<Vec<String>, OutboxError> {
        let items = items
            .into_iter()
            .map(|(target, op)| NewEntry {
                target,
                op,
                after: None,
            })
            .collect();
        self.submit_entries(items).await
    }

    /// [`Outbox::submit_all`] for writes that may have to go after another target's.
    pub async fn submit_entries(&self, items: Vec<NewEntry>) -> Result<Vec<String>, OutboxError> {
        let shared = self.shared.clone();
        let targets: Vec<Target> = items.iter().map(|n| n.target.clone()).collect();
        let ids = blocking(move || {
            let mut j = shared.journal();
            let now = OffsetDateTime::now_utc();
            let mut ids = Vec::with_capacity(items.len());
            let mut records = Vec::with_capacity(items.len());
            for NewEntry { target, op, after } in items {
                let entry = super::Entry {
                    id: j.next_id(now),
                    created: now,
                    profile: shared.profile.clone(),
                    endpoint: shared.client.base_url().to_owned(),
                    target,
                    op,
                    after,
                };
                ids.push(entry.id.clone());
                records.push(Record::Enqueued { entry });
            }
            j.append_all(records)?;
            Ok(ids)
        })
        .await?;
        for target in targets {
            self.ensure_lane(target);
        }
        Ok(ids)
    }

    /// Every entry for this endpoint still on file (finished ones until compaction), oldest
    /// first.
    pub fn entries(&self) -> Vec<EntryView> {
        let endpoint = self.shared.client.base_url();
        self.shared
            .journal()
            .entries()
            .filter(|s| s.entry.endpoint == endpoint)
            .map(view)
            .collect()
    }

    /// Puts a stopped entry back in line (or restarts a deferred one).
    pub async fn retry(&self, id: &str) -> Result<(), OutboxError> {
        let target = self.change(id, |s| match &s.status {
            Status::Failed { .. } | Status::Conflict(_) => Ok(Some(Record::Retry {
                id: s.entry.id.clone(),
                at: OffsetDateTime::now_utc(),
                base: None,
            })),
            Status::Pending => Ok(None),
            _ => Err("finished"),
        })?;
        self.ensure_lane(target);
        Ok(())
    }

    /// Gives up on an entry that is not being sent right now; later writes to its target
    /// may go.
    pub async fn drop_entry(&self, id: &str) -> Result<(), OutboxError> {
        let target = {
            // Held while deciding, so no lane can pick the entry up in between (lanes are
            // always locked before the journal).
            let busy = self.shared.lanes();
            self.change(id, |s| match &s.status {
                Status::Pending if busy.running.contains(&s.entry.target) => Err("being sent"),
                Status::Done | Status::Dropped(_) => Err("finished"),
                _ => Ok(Some(Record::Dropped {
                    id: s.entry.id.clone(),
                    at: OffsetDateTime::now_utc(),
                    reason: "dropped by the analyst".to_owned(),
                })),
            })?
        };
        self.ensure_lane(target);
        Ok(())
    }

    /// Settles a conflict: keep mine sends it over the server's values (they become the
    /// base); take theirs drops it.
    pub async fn resolve(&self, id: &str, resolution: Resolution) -> Result<(), OutboxError> {
        let target = self.change(id, |s| {
            let Status::Conflict(fields) = &s.status else {
                return Err("not in conflict");
            };
            let at = OffsetDateTime::now_utc();
            let id = s.entry.id.clone();
            // The server's values of the conflicting fields over the old base: a field
            // that did not conflict keeps what the analyst saw, so it can't stop the
            // write again just for having been left out of the new base.
            let mut base_fields = match &s.entry.op {
                Op::AlertUpdate { base: Some(b), .. }
                | Op::IncidentUpdate { base: Some(b), .. }
                | Op::ControlUpdate { base: Some(b), .. } => b.fields.clone(),
                _ => Default::default(),
            };
            base_fields.extend(fields.iter().map(|c| (c.field.clone(), c.theirs.clone())));
            Ok(Some(match resolution {
                Resolution::KeepMine => Record::Retry {
                    id,
                    at,
                    base: Some(super::Base {
                        last_update: None,
                        fields: base_fields,
                    }),
                },
                Resolution::TakeTheirs => Record::Dropped {
                    id,
                    at,
                    reason: "took the server's values".to_owned(),
                },
            }))
        })?;
        // The next entry for the target (or this one again) may go now.
        self.ensure_lane(target);
        Ok(())
    }

    /// Waits until no lane is running: every pending entry landed, stopped or was deferred.
    pub async fn wait_idle(&self) {
        let mut rx = self.shared.active.subscribe();
        let _ = rx.wait_for(|n| *n == 0).await;
    }

    /// Checks and appends one record for entry `id` under the journal lock; returns the
    /// entry's target.
    fn change(
        &self,
        id: &str,
        decide: impl FnOnce(&EntryState) -> Result<Option<Record>, &'static str>,
    ) -> Result<Target, OutboxError> {
        let mut j = self.shared.journal();
        let state = j
            .get(id)
            .filter(|s| s.entry.endpoint == self.shared.client.base_url())
            .ok_or_else(|| OutboxError::NoSuchEntry(id.to_owned()))?;
        let target = state.entry.target.clone();
        match decide(state) {
            Ok(Some(record)) => j.append(record)?,
            Ok(None) => {}
            Err(what) => {
                return Err(OutboxError::WrongState {
                    id: id.to_owned(),
                    what,
                });
            }
        }
        Ok(target)
    }

    /// Starts a lane for `target` unless one runs.
    fn ensure_lane(&self, target: Target) {
        let mut lanes = self.shared.lanes();
        self.start_lane(&mut lanes, target);
    }

    fn start_lane(&self, lanes: &mut Lanes, target: Target) {
        if lanes.running.insert(target.clone()) {
            self.shared.active.send_modify(|n| *n += 1);
            tokio::spawn(self.clone().lane(target));
        }
    }

    /// An entry of `target` landed or stopped: lanes waiting for its writes look again.
    fn wake_waiters(&self, target: &Target) {
        let mut lanes = self.shared.lanes();
        for waiter in lanes.waiting.remove(target).unwrap_or_default() {
            self.start_lane(&mut lanes, waiter);
        }
    }

    /// Sends `target`'s entries in order until none is runnable.
    async fn lane(self, target: Target) {
        loop {
            let mut parked = false;
            if let Lookup::Send(state) = self.next_for(&target) {
                parked = matches!(self.process(*state).await, Next::Park);
                self.wake_waiters(&target);
                if !parked {
                    continue;
                }
            }
            // Leave under the lanes lock, after looking once more: a submit appends before
            // it checks for a lane, and a finished write wakes its waiters under this lock,
            // so either this lane sees the change or the change sees this lane (or waiter).
            let mut lanes = self.shared.lanes();
            match self.next_for(&target) {
                Lookup::Send(_) if !parked => continue,
                Lookup::Blocked(on) => {
                    lanes.waiting.entry(on).or_default().insert(target.clone());
                }
                _ => {}
            }
            lanes.running.remove(&target);
            drop(lanes);
            self.shared.active.send_modify(|n| *n = n.saturating_sub(1));
            return;
        }
    }

    /// The target's oldest unfinished entry for this endpoint: to send if it is pending and
    /// nothing it must follow is (a stopped one blocks the target).
    fn next_for(&self, target: &Target) -> Lookup {
        let endpoint = self.shared.client.base_url();
        let j = self.shared.journal();
        let Some(first) = j.entries().find(|s| {
            s.entry.target == *target && s.entry.endpoint == endpoint && !s.status.is_finished()
        }) else {
            return Lookup::Idle;
        };
        if first.status != Status::Pending {
            return Lookup::Idle;
        }
        if let Some(on) = &first.entry.after {
            let blocked = j.entries().any(|s| {
                s.entry.id < first.entry.id
                    && s.entry.target == *on
                    && s.entry.endpoint == endpoint
                    && s.status == Status::Pending
            });
            if blocked {
                return Lookup::Blocked(on.clone());
            }
        }
        Lookup::Send(Box::new(first.clone()))
    }

    /// Sends one entry until it lands, stops, or this run's attempts are spent.
    async fn process(&self, mut state: EntryState) -> Next {
        let id = state.entry.id.clone();
        let target = state.entry.target.clone();
        let mut attempt: u32 = 0;
        loop {
            attempt += 1;
            let outcome = {
                let Ok(_permit) = self.shared.permits.acquire().await else {
                    return Next::Park;
                };
                self.attempt(&state).await
            };
            let error = match outcome {
                Ok(Attempt::Landed(reply)) => {
                    let rec = Record::Done {
                        id: id.clone(),
                        at: OffsetDateTime::now_utc(),
                    };
                    if let Err(e) = self.append(rec).await {
                        // It landed; if `done` can't be written the next run re-checks
                        // (PATCH again, or finds the comment) rather than doubling.
                        tracing::error!(entry = %id, error = %e, "outbox: cannot record done");
                    }
                    tracing::debug!(entry = %id, attempts = attempt, "outbox: landed");
                    self.shared.emit(OutboxEvent::Done { id, target, reply });
                    return Next::Continue;
                }
                Ok(Attempt::Conflict(fields)) => {
                    let rec = Record::Conflict {
                        id: id.clone(),
                        at: OffsetDateTime::now_utc(),
                        fields,
                    };
                    return self.stop(&id, rec).await;
                }
                Err(AttemptError::Check(e)) if accepted_but_unreadable(&e) => e,
                Err(AttemptError::Graph(e) | AttemptError::Check(e))
                    if !e.is_transient() && !e.needs_sign_in() && !e.needs_setup() =>
                {
                    let rec = Record::Failed {
                        id: id.clone(),
                        at: OffsetDateTime::now_utc(),
                        status: e.status(),
                        code: match &e {
                            GraphError::Api { code, .. } => code.clone(),
                            _ => String::new(),
                        },
                        // Graph's own words; our error text for failures without a reply.
                        message: match &e {
                            GraphError::Api { message, .. } => message.clone(),
                            other => other.to_string(),
                        },
                    };
                    tracing::warn!(entry = %id, error = %e, "outbox: refused for good");
                    return self.stop(&id, rec).await;
                }
                Err(AttemptError::Graph(e) | AttemptError::Check(e)) => e,
                Err(AttemptError::Journal(e)) => {
                    tracing::error!(entry = %id, error = %e, "outbox: cannot record an attempt");
                    GraphError::Transport(e.to_string())
                }
            };
            let out_of_attempts = self
                .shared
                .config
                .max_attempts
                .is_some_and(|m| attempt >= m);
            // Signing in or fixing the TLS set-up is the analyst's to do: retrying until
            // then would only repeat the failure. The entry stays pending, never failed.
            if error.needs_sign_in() || error.needs_setup() || out_of_attempts {
                tracing::warn!(entry = %id, attempts = attempt, error = %error, "outbox: left pending");
                self.shared.emit(OutboxEvent::Deferred {
                    id,
                    target,
                    error: error.to_string(),
                });
                return Next::Park;
            }
            let wait = self.backoff(attempt, &error);
            tracing::info!(entry = %id, attempts = attempt, wait_ms = wait.as_millis() as u64, error = %error, "outbox: will retry");
            tokio::time::sleep(wait).await;
            // The sent count may have grown; the exactly-once check depends on it.
            match self.shared.journal().get(&id) {
                Some(s) if s.status == Status::Pending => state = s.clone(),
                _ => return Next::Continue, // dropped meanwhile
            }
        }
    }

    /// One try: the pre-checks, `sent`, then the request.
    async fn attempt(&self, state: &EntryState) -> Result<Attempt, AttemptError> {
        let client = &self.shared.client;
        let alert_id = &state.entry.target.id;
        match &state.entry.op {
            Op::AlertUpdate { update, base } => {
                if let Some(base) = base {
                    let server = client
                        .get_alert(alert_id)
                        .await
                        .map_err(AttemptError::Check)?;
                    let conflicts = check::conflicts(base, update, &server);
                    if !conflicts.is_empty() {
                        return Ok(Attempt::Conflict(conflicts));
                    }
                }
                self.mark_sent(&state.entry.id).await?;
                match client.update_alert(alert_id, update).await {
                    Ok(alert) => Ok(Attempt::Landed(Reply::Alert(Box::new(alert)))),
                    Err(e) if accepted_but_unreadable(&e) => Ok(Attempt::Landed(Reply::Unreadable)),
                    Err(e) => Err(e.into()),
                }
            }
            Op::AlertComment { text, author } => {
                if state.sent > 0 {
                    // An earlier attempt may have posted it (reply lost, or a crash before
                    // `done`): look before posting again.
                    let server = client
                        .get_alert(alert_id)
                        .await
                        .map_err(AttemptError::Check)?;
                    if check::comment_landed(
                        &server.comments,
                        text,
                        author.as_deref(),
                        state.entry.created,
                    ) {
                        tracing::info!(entry = %state.entry.id, "outbox: comment already on the alert; not posting again");
                        return Ok(Attempt::Landed(Reply::AlreadyThere(server.comments)));
                    }
                }
                self.mark_sent(&state.entry.id).await?;
                match client.add_alert_comment(alert_id, text).await {
                    Ok(comments) => Ok(Attempt::Landed(Reply::Comments(comments))),
                    Err(e) if accepted_but_unreadable(&e) => Ok(Attempt::Landed(Reply::Unreadable)),
                    Err(e) => Err(e.into()),
                }
            }
            // Incidents follow the alert rules exactly: the conflict check reads the
            // incident's `lastUpdateDateTime` and fields, the exactly-once check its comments.
            Op::IncidentUpdate { update, base } => {
                let incident_id = alert_id;
                if let Some(base) = base {
                    let server = client
                        .get_incident(incident_id, false)
                        .await
                        .map_err(AttemptError::Check)?;
                    let conflicts = check::incident_conflicts(base, update, &server);
                    if !conflicts.is_empty() {
                        return Ok(Attempt::Conflict(conflicts));
                    }
                }
                self.mark_sent(&state.entry.id).await?;
                landed(
                    client
                        .update_incident(incident_id, update)
                        .await
                        .map(|i| Reply::Incident(Box::new(i))),
                )
            }
            Op::IncidentComment { text, author } => {
                let incident_id = alert_id;
                if state.sent > 0 {
                    let server = client
                        .get_incident(incident_id, false)
                        .await
                        .map_err(AttemptError::Check)?;
                    if check::comment_landed(
                        &server.comments,
                        text,
                        author.as_deref(),
                        state.entry.created,
                    ) {
                        tracing::info!(entry = %state.entry.id, "outbox: comment already on the incident; not posting again");
                        return Ok(Attempt::Landed(Reply::AlreadyThere(server.comments)));
                    }
                }
                self.mark_sent(&state.entry.id).await?;
                landed(
                    client
                        .add_incident_comment(incident_id, text)
                        .await
                        .map(Reply::Comments),
                )
            }
            Op::ControlUpdate { update, base } => {
                let control_id = alert_id;
                let mut read = None;
                if state.sent > 0 {
                    // Each PATCH appends a history entry: after a lost reply, look first.
                    // (Before the conflict check: our own landed entry is not someone
                    // else's change.)
                    let server = client
                        .get_control_profile(control_id)
                        .await
                        .map_err(AttemptError::Check)?;
                    if check::control_update_landed(
                        &server.control_state_updates,
                        update,
                        self.shared.author.as_deref(),
                        state.entry.created,
                    ) {
                        tracing::info!(entry = %state.entry.id, "outbox: control state already updated; not sending again");
                        return Ok(Attempt::Landed(Reply::Control(Box::new(server))));
                    }
                    read = Some(server);
                }
                if let Some(base) = base {
                    let server = match read {
                        Some(server) => server,
                        None => client
                            .get_control_profile(control_id)
                            .await
                            .map_err(AttemptError::Check)?,
                    };
                    let conflicts = check::control_conflicts(base, update, &server);
                    if !conflicts.is_empty() {
                        return Ok(Attempt::Conflict(conflicts));
                    }
                }
                self.mark_sent(&state.entry.id).await?;
                match client
                    .update_control_profile(control_id, update, true)
                    .await
                {
                    Ok(Some(profile)) => Ok(Attempt::Landed(Reply::Control(Box::new(profile)))),
                    // A bare 204 (the Prefer header ignored): it landed; read it back.
                    Ok(None) => match client.get_control_profile(control_id).await {
                        Ok(profile) => Ok(Attempt::Landed(Reply::Control(Box::new(profile)))),
                        Err(e) => {
                            tracing::warn!(entry = %state.entry.id, error = %e, "outbox: control updated but not read back");
                            Ok(Attempt::Landed(Reply::Unreadable))
                        }
                    },
                    Err(e) if accepted_but_unreadable(&e) => Ok(Attempt::Landed(Reply::Unreadable)),
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    async fn mark_sent(&self, id: &str) -> Result<(), AttemptError> {
        self.append(Record::Sent {
            id: id.to_owned(),
            at: OffsetDateTime::now_utc(),
        })
        .await
        .map_err(AttemptError::Journal)
    }

    /// Records a stop and reports the entry.
    async fn stop(&self, id: &str, record: Record) -> Next {
        if let Err(e) = self.append(record).await {
            tracing::error!(entry = %id, error = %e, "outbox: cannot record a stop");
        }
        if let Some(s) = self.shared.journal().get(id) {
            self.shared.emit(OutboxEvent::Stopped(Box::new(view(s))));
        }
        Next::Park
    }

    /// Appends off the async threads (fsync can take milliseconds).
    async fn append(&self, record: Record) -> Result<(), OutboxError> {
        let shared = self.shared.clone();
        blocking(move || shared.journal().append(record)).await
    }

    /// Exponential backoff with full jitter; never shorter than Graph's `Retry-After`.
    fn backoff(&self, attempt: u32, error: &GraphError) -> Duration {
        let c = &self.shared.config;
        let ceiling = backoff_ceiling(attempt.saturating_sub(1), c.backoff_base, c.backoff_cap);
        let jitter = full_jitter(ceiling, random_u64());
        match error {
            GraphError::Throttled {
                retry_after: Some(after),
            } => jitter.max(*after),
            _ => jitter,
        }
    }
}

/// A 2xx whose body could not be read: Graph has the write.
/// A write's reply as an attempt's outcome: a 2xx whose body can't be read still landed.
fn landed(reply: Result<Reply, GraphError>) -> Result<Attempt, AttemptError> {
    match reply {
        Ok(r) => Ok(Attempt::Landed(r)),
        Err(e) if accepted_but_unreadable(&e) => Ok(Attempt::Landed(Reply::Unreadable)),
        Err(e) => Err(e.into()),
    }
}

fn accepted_but_unreadable(e: &GraphError) -> bool {
    matches!(e, GraphError::Decode { .. } | GraphError::TooLarge { .. })
}

fn view(s: &EntryState) -> EntryView {
    EntryView {
        entry: s.entry.clone(),
        status: s.status.clone(),
        sent: s.sent,
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, OutboxError> + Send + 'static,
) -> Result<T, OutboxError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| OutboxError::Closed)?
}
