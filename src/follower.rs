//! The operation follower: starts eDiscovery estimates and follows every long-running
//! operation the console started until Graph says it is done, through restarts.
//!
//! Each operation is written to the profile's operations file ([`crate::operations`])
//! before it is reported as started, so a console that is killed or loses its SSH session
//! while one runs finds it again at the next start (`Command::ResumeOperations`) and
//! follows it to the end. Polls are polite: the eDiscovery API allows 5 requests a minute
//! for everything the app does there (the client paces every request; the follower adds a
//! long interval between polls of one operation so the case pane's reads still get through).
//! An operation leaves the file once its final status has been sent to the console.

use crate::app::Action;
use crate::graph::Client;
use crate::graph::cases::{CaseOperation, Kept, OperationStatus, operation_id_in};
use crate::operations::{self, OperationView, Tracked};
use std::path::PathBuf;
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::mpsc;

/// How often the follower asks Graph about one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowConfig {
    /// The first look after starting one (Graph needs a moment to pick it up).
    pub first_poll: Duration,
    /// Between later looks.
    pub poll_every: Duration,
}

impl Default for FollowConfig {
    /// 10 s, then every 30 s: two of eDiscovery's five requests a minute at most while one
    /// estimate runs, leaving the rest to browsing.
    fn default() -> Self {
        FollowConfig {
            first_poll: Duration::from_secs(10),
            poll_every: Duration::from_secs(30),
        }
    }
}

/// What the follower is asked to do.
#[derive(Debug)]
pub enum FollowRequest {
    Estimate {
        case_id: String,
        search_id: String,
        label: String,
    },
    Resume,
}

/// Runs until the request channel closes or the console has gone.
pub async fn run(
    client: Client,
    file: Option<PathBuf>,
    config: FollowConfig,
    mut requests: mpsc::UnboundedReceiver<FollowRequest>,
    updates: mpsc::Sender<Action>,
) {
    let mut f = Follower {
        client,
        file,
        config,
        ops: Vec::new(),
        updates,
    };
    loop {
        let due = f.next_due();
        let wait = due.map(|at| {
            let left = at - OffsetDateTime::now_utc();
            tokio::time::sleep(left.try_into().unwrap_or(Duration::ZERO))
        });
        tokio::select! {
            request = requests.recv() => {
                let Some(request) = request else { return };
                if f.handle(request).await.is_err() {
                    return;
                }
            }
            () = async {
                match wait {
                    Some(sleep) => sleep.await,
                    None => std::future::pending().await,
                }
            } => {
                if f.poll_due().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// The console has gone.
struct Gone;

/// One operation being followed, and when to ask about it next.
struct Followed {
    tracked: Tracked,
    view: OperationView,
    next: OffsetDateTime,
}

struct Follower {
    client: Client,
    file: Option<PathBuf>,
    config: FollowConfig,
    ops: Vec<Followed>,
    updates: mpsc::Sender<Action>,
}

impl Follower {
    fn next_due(&self) -> Option<OffsetDateTime> {
        self.ops.iter().map(|o| o.next).min()
    }

    async fn send(&self, view: OperationView) -> Result<(), Gone> {
        self.updates
            .send(Action::OperationProgress(view))
            .await
            .map_err(|_| Gone)
    }

    /// Writes the operations still followed (failures are logged: the operation runs at
    /// Graph either way, and the case's operations tab lists it).
    async fn save(&self) {
        let Some(path) = self.file.clone() else {
            return;
        };
        let ops: Vec<Tracked> = self.ops.iter().map(|o| o.tracked.clone()).collect();
        let saved = tokio::task::spawn_blocking(move || operations::save(&path, &ops)).await;
        if let Ok(Err(e)) | Err(e) = saved.map_err(std::io::Error::other) {
            tracing::warn!(error = %e, "saving followed operations failed");
        }
    }

    async fn handle(&mut self, request: FollowRequest) -> Result<(), Gone> {
        match request {
            FollowRequest::Estimate {
                case_id,
                search_id,
                label,
            } => self.start(case_id, search_id, label).await,
            FollowRequest::Resume => self.resume().await,
        }
    }

    async fn start(
        &mut self,
        case_id: String,
        search_id: String,
        label: String,
    ) -> Result<(), Gone> {
        let now = OffsetDateTime::now_utc();
        let mut view = OperationView {
            case_id: case_id.clone(),
            operation_id: String::new(),
            action: "estimateStatistics".into(),
            label: label.clone(),
            started: now,
            status: None,
            percent: None,
            counts: None,
            error: None,
            next_poll: None,
        };
        self.send(view.clone()).await?;
        match self.client.estimate_statistics(&case_id, &search_id).await {
            Ok(location) => {
                let tracked = Tracked {
                    case_id,
                    operation_id: operation_id_in(&location),
                    location,
                    action: view.action.clone(),
                    label,
                    started: now,
                    finished: None,
                };
                let next = OffsetDateTime::now_utc() + self.config.first_poll;
                view.operation_id = tracked.operation_id.clone();
                view.status = Some(OperationStatus::NotStarted);
                view.next_poll = Some(next);
                tracing::info!(operation = %tracked.operation_id, case = %tracked.case_id, "estimate started");
                self.ops.push(Followed {
                    tracked,
                    view: view.clone(),
                    next,
                });
                self.save().await;
                self.send(view).await
            }
            Err(e) => {
                tracing::warn!(error = %e, "starting an estimate failed");
                view.error = Some(e.to_string());
                self.send(view).await
            }
        }
    }

    /// Takes up the operations an earlier run kept; each is asked about at once.
    async fn resume(&mut self) -> Result<(), Gone> {
        let Some(path) = self.file.clone() else {
            return Ok(());
        };
        let (kept, problem) = tokio::task::spawn_blocking(move || operations::load(&path))
            .await
            .unwrap_or_else(|e| (Vec::new(), Some(e.to_string())));
        if let Some(p) = problem {
            tracing::warn!(problem = %p, "followed operations not read");
        }
        let now = OffsetDateTime::now_utc();
        for tracked in kept {
            if self
                .ops
                .iter()
                .any(|o| o.tracked.operation_id == tracked.operation_id)
            {
                continue;
            }
            tracing::info!(operation = %tracked.operation_id, case = %tracked.case_id, "resuming an operation from an earlier run");
            let view = OperationView {
                case_id: tracked.case_id.clone(),
                operation_id: tracked.operation_id.clone(),
                action: tracked.action.clone(),
                label: tracked.label.clone(),
                started: tracked.started,
                status: None,
                percent: None,
                counts: None,
                error: None,
                next_poll: Some(now),
            };
            self.send(view.clone()).await?;
            self.ops.push(Followed {
                tracked,
                view,
                next: now,
            });
        }
        Ok(())
    }

    /// Asks Graph about every operation that is due, one after another.
    async fn poll_due(&mut self) -> Result<(), Gone> {
        let now = OffsetDateTime::now_utc();
        let due: Vec<usize> = (0..self.ops.len())
            .filter(|&i| self.ops[i].next <= now)
            .collect();
        let mut finished = Vec::new();
        for i in due {
            let answer = self.ask(&self.ops[i].tracked).await;
            let next = OffsetDateTime::now_utc() + self.config.poll_every;
            let o = &mut self.ops[i];
            match answer {
                Ok(op) => {
                    apply(&mut o.view, &op);
                    o.view.error = None;
                }
                Err(e) if e.status() == Some(404) => {
                    // Graph no longer knows it (deleted with its case): stop following.
                    o.view.error = Some(format!("Graph no longer has this operation: {e}"));
                    o.view.status = Some(OperationStatus::Failed);
                }
                Err(e) => {
                    // Transient (the client already retried): try again later.
                    tracing::warn!(operation = %o.tracked.operation_id, error = %e, "polling an operation failed");
                    o.view.error = Some(e.to_string());
                }
            }
            let done = o.view.status.as_ref().is_some_and(|s| s.is_final());
            o.next = next;
            o.view.next_poll = (!done).then_some(next);
            let view = o.view.clone();
            if done {
                tracing::info!(operation = %o.tracked.operation_id, status = ?o.view.status, "operation finished");
                finished.push(o.tracked.operation_id.clone());
            }
            self.send(view).await?;
        }
        if !finished.is_empty() {
            // Shown once: the console has the final answer, the file need not keep it.
            self.ops
                .retain(|o| !finished.contains(&o.tracked.operation_id));
            self.save().await;
        }
        Ok(())
    }
}

impl Follower {
    /// The operation as Graph has it now: at its `Location` when that is on the client's
    /// origin; else (the profile's endpoint changed since it was started, e.g. a demo
    /// emulator on a new port) by case and id under the current base, never sending the
    /// token to the old host.
    async fn ask(&self, t: &Tracked) -> Result<Kept<CaseOperation>, crate::graph::GraphError> {
        match self.client.get_operation_at(&t.location).await {
            Err(crate::graph::GraphError::BadLocation(_)) => {
                self.client.get_operation(&t.case_id, &t.operation_id).await
            }
            other => other,
        }
    }
}

fn apply(view: &mut OperationView, op: &Kept<CaseOperation>) {
    view.status = op.status.clone();
    view.percent = op
        .percent_progress
        .and_then(|p| u8::try_from(p.clamp(0, 100)).ok());
    if let Some(counts) = op.estimate {
        view.counts = Some(counts);
    }
    if op.status == Some(OperationStatus::Failed)
        && let Some(message) = op.result_info.as_ref().and_then(|r| r.message.clone())
    {
        view.error = Some(message);
    }
}
