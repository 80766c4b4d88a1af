//! `graphsec cases ...`: the headless eDiscovery (Premium) commands. Reads go straight to
//! Graph. The client paces every request under `security/cases` to Graph's 5 a minute by
//! itself; what this module adds is saying so on stderr when a command is kept waiting,
//! so a paced command does not look hung.
//!
//! Case lifecycle writes (create, close, reopen) also go straight to Graph, not through
//! the outbox: they are not idempotent field updates the outbox can check for and replay.
//! Graph refuses a repeated close or reopen with 400, and a repeated create makes a second
//! case, so a write whose reply was lost is reported to the analyst, never retried behind
//! their back.

use crate::{Session, say};
use clap::Subcommand;
use graphsec::graph::Client;
use graphsec::graph::cases::{CaseOperation, Kept, NewCase, OperationStatus};
use graphsec::headless::{self, OutputFormat};
use graphsec::sanitize;
use std::future::Future;
use std::io::Write;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Subcommand, Debug)]
pub enum CasesCommand {
    /// List every eDiscovery (Premium) case (security/cases/ediscoveryCases), all pages:
    /// id, displayName, status, created, last modified, who closed it and when. JSON keeps
    /// each case as Graph sent it.
    List,
    /// Show one case.
    Get {
        /// The case's id.
        case: String,
    },
    /// Create a case (Graph answers with the new case, printed like `get`).
    Create {
        /// The case's display name.
        #[arg(long)]
        name: String,
        /// What the case is about.
        #[arg(long)]
        description: Option<String>,
    },
    /// Close a case. Sent once, straight to Graph: closing a closed case is refused by
    /// Graph with its reason.
    Close {
        /// The case's id.
        case: String,
    },
    /// Reopen a closed case. Sent once, straight to Graph.
    Reopen {
        /// The case's id.
        case: String,
    },
    /// List a case's searches: id, displayName, contentQuery, created, and the last
    /// estimate's status and indexed item count when Graph includes it in the list.
    Searches {
        /// The case's id.
        case: String,
    },
    /// List a case's long-running operations (estimates, exports, holds...): id, action,
    /// status, percentProgress, created, completed and who started it.
    Operations {
        /// The case's id.
        case: String,
    },
    /// Start a search's estimate (estimateStatistics). Without --wait, print the
    /// operation's id and Location and return; with --wait, check it every 15 s (Graph
    /// allows 5 eDiscovery requests a minute) until it ends, then print its counts. Exit 1
    /// when the estimate failed. Ctrl-C stops waiting; the estimate keeps running at Graph.
    Estimate {
        /// The case's id.
        case: String,
        /// The search's id.
        search: String,
        /// Wait for the estimate to end and print its counts.
        #[arg(long)]
        wait: bool,
    },
}

/// The shortest time between two checks of a running estimate: eDiscovery allows 5
/// requests a minute, and an estimate takes minutes at Graph.
const POLL_EVERY: Duration = Duration::from_secs(15);

/// Exit status when the analyst stopped waiting with Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

pub async fn run(
    session: &Session,
    cmd: CasesCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let writes = matches!(
        cmd,
        CasesCommand::Create { .. }
            | CasesCommand::Close { .. }
            | CasesCommand::Reopen { .. }
            // An estimate is an action Graph records (a new operation, the search's last
            // estimate) and needs eDiscovery.ReadWrite.All.
            | CasesCommand::Estimate { .. }
    );
    if writes && read_only {
        anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cmd {
        CasesCommand::List => {
            paced(
                client,
                headless::cases::list_cases(client, format, &mut out),
            )
            .await?;
        }
        CasesCommand::Get { case } => {
            let c = paced(client, client.get_case(&case)).await?;
            headless::cases::write_case(&c, format, &mut out)?;
        }
        CasesCommand::Create { name, description } => {
            if name.trim().is_empty() {
                anyhow::bail!("--name: a case needs a name");
            }
            let new = NewCase {
                display_name: name,
                description: description.filter(|d| !d.trim().is_empty()),
                external_id: None,
            };
            let c = paced(client, client.create_case(&new)).await?;
            headless::cases::write_case(&c, format, &mut out)?;
        }
        CasesCommand::Close { case } => {
            paced(client, client.close_case(&case)).await?;
            say(&format!("closed case {}", sanitize::line(&case)));
        }
        CasesCommand::Reopen { case } => {
            paced(client, client.reopen_case(&case)).await?;
            say(&format!("reopened case {}", sanitize::line(&case)));
        }
        CasesCommand::Searches { case } => {
            paced(
                client,
                headless::cases::list_searches(client, &case, format, &mut out),
            )
            .await?;
        }
        CasesCommand::Operations { case } => {
            paced(
                client,
                headless::cases::list_operations(client, &case, format, &mut out),
            )
            .await?;
        }
        CasesCommand::Estimate { case, search, wait } => {
            return estimate(client, &case, &search, wait, format, &mut out).await;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// `cases estimate`: POST estimateStatistics, then (with `wait`) follow the operation at
/// its Location until it ends.
async fn estimate(
    client: &Client,
    case: &str,
    search: &str,
    wait: bool,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let location = paced(client, client.estimate_statistics(case, search)).await?;
    let op_id = graphsec::graph::cases::operation_id_in(&location);
    let safe_id = sanitize::line(&op_id).into_owned();
    let safe_case = sanitize::line(case).into_owned();
    if !wait {
        headless::cases::write_submitted(&op_id, &location, format, out)?;
        out.flush()?;
        say(&format!(
            "estimate {safe_id} started; follow it with 'graphsec cases operations {safe_case}'"
        ));
        return Ok(ExitCode::SUCCESS);
    }
    let stopped = || {
        say(&format!(
            "stopped waiting; the estimate {safe_id} keeps running at Graph: see 'graphsec cases operations {safe_case}'"
        ));
        Ok(ExitCode::from(EXIT_INTERRUPTED))
    };
    // Polled once now so the handler is in place before the analyst is told Ctrl-C is safe.
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    if futures_util::FutureExt::now_or_never(&mut ctrl_c).is_some() {
        return stopped();
    }
    let mut pause = next_check(client);
    say(&format!(
        "estimate {safe_id} started; next check in {} s (Ctrl-C stops waiting; the estimate keeps running at Graph)",
        pause.as_secs()
    ));
    let mut seen: Option<(Option<OperationStatus>, Option<i64>)> = None;
    loop {
        tokio::select! {
            _ = &mut ctrl_c => return stopped(),
            _ = tokio::time::sleep(pause) => {}
        }
        let op = tokio::select! {
            _ = &mut ctrl_c => return stopped(),
            op = paced(client, client.get_operation_at(&location)) => op?,
        };
        if op.status.as_ref().is_some_and(OperationStatus::is_final) {
            return finished(&op, format, out);
        }
        pause = next_check(client);
        let now = (op.status.clone(), op.percent_progress);
        if seen.as_ref() != Some(&now) {
            say(&format!(
                "{}… next check in {} s",
                progress(&op),
                pause.as_secs()
            ));
            seen = Some(now);
        }
    }
}

/// When to look again: every [`POLL_EVERY`], later when the client's eDiscovery pacing
/// would hold the request anyway.
fn next_check(client: &Client) -> Duration {
    POLL_EVERY.max(client.ediscovery_wait())
}

/// "running 40%", "notStarted".
fn progress(op: &CaseOperation) -> String {
    let status = op
        .status
        .as_ref()
        .map_or_else(|| "unknown".to_owned(), ToString::to_string);
    match op.percent_progress {
        Some(p) => format!("{} {p}%", sanitize::line(&status)),
        None => sanitize::line(&status).into_owned(),
    }
}

/// Prints the ended estimate; exit 0 when it counted something, an error (exit 1) with
/// Graph's reason when it failed.
fn finished(
    op: &Kept<CaseOperation>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    headless::cases::write_estimate(op, format, out)?;
    out.flush()?;
    match op.status {
        Some(OperationStatus::Succeeded | OperationStatus::PartiallySucceeded) => {
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            let why = op
                .result_info
                .as_ref()
                .and_then(|r| r.message.as_deref())
                .unwrap_or("Graph gave no reason");
            let status = op
                .status
                .as_ref()
                .map_or_else(|| "unknown".to_owned(), ToString::to_string);
            anyhow::bail!("the estimate {} ended {status}: {why}", op.id)
        }
    }
}

/// Runs `work`, telling the analyst on stderr whenever it is held by the client's
/// eDiscovery pacing (Graph allows 5 requests a minute, so a sixth waits up to a minute):
/// once per wait, with how long.
async fn paced<T>(client: &Client, work: impl Future<Output = T>) -> T {
    let mut work = std::pin::pin!(work);
    let mut told_until: Option<Instant> = None;
    loop {
        tokio::select! {
            v = &mut work => return v,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {
                let wait = client.ediscovery_wait();
                if wait < Duration::from_secs(2) {
                    continue;
                }
                let until = Instant::now() + wait;
                if told_until.is_none_or(|t| until > t + Duration::from_secs(2)) {
                    say(&format!(
                        "waiting {} s for an eDiscovery request slot (Graph allows 5 requests a minute)…",
                        wait.as_secs().max(1)
                    ));
                    told_until = Some(until);
                }
            }
        }
    }
}
