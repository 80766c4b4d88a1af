//! `graphsec incidents list|get|update|comment`: the headless incident commands. Reads go
//! straight to Graph; writes go through the outbox like alert writes (journaled first, sent
//! once, held behind earlier changes to the same incident).

use crate::{Session, report_write, settle, start_outbox, verdict_args};
use clap::Subcommand;
use graphsec::config::ResolvedProfile;
use graphsec::graph::ODataQuery;
use graphsec::graph::enums::IncidentStatus;
use graphsec::graph::incidents::IncidentUpdate;
use graphsec::headless::{self, OutputFormat};
use graphsec::outbox::{Op, Target};
use std::io::Write;
use std::process::ExitCode;

/// Incidents are fewer and heavier than alerts; integrations page them by 50.
const INCIDENT_PAGE_SIZE: u32 = 50;

#[derive(Subcommand, Debug)]
pub enum IncidentsCommand {
    /// List incidents, all pages, newest first.
    List {
        /// OData $filter, e.g. "status eq 'active' and severity eq 'high'".
        #[arg(long)]
        filter: Option<String>,
        /// Page size asked of Graph ($top).
        #[arg(long)]
        top: Option<u32>,
        /// Stop after this many incidents.
        #[arg(long)]
        max: Option<usize>,
        /// Include each incident's alerts ($expand=alerts).
        #[arg(long)]
        expand_alerts: bool,
    },
    /// Show one incident.
    Get {
        id: String,
        /// Include its alerts ($expand=alerts).
        #[arg(long)]
        expand_alerts: bool,
    },
    /// Change status, classification/determination, assignment or tags.
    Update {
        id: String,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        classification: Option<String>,
        #[arg(long)]
        determination: Option<String>,
        /// Assign to this name (UPN or free text); "" unassigns.
        #[arg(long)]
        assign: Option<String>,
        /// A custom tag; repeat for several. Replaces the incident's tags (Graph has no
        /// add or remove); --tag "" clears them.
        #[arg(long = "tag")]
        tags: Vec<String>,
    },
    /// Add a comment.
    Comment { id: String, text: String },
}

pub async fn run(
    session: &Session,
    profile: &ResolvedProfile,
    cmd: IncidentsCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let refuse_writes =
        || anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
    let (target, op) = match cmd {
        IncidentsCommand::List {
            filter,
            top,
            max,
            expand_alerts,
        } => {
            let mut query = ODataQuery::new().top(top.unwrap_or(INCIDENT_PAGE_SIZE));
            if let Some(f) = filter {
                query = query.raw_filter(f);
            }
            if expand_alerts {
                query = query.expand(["alerts"]);
            }
            headless::incidents::list_incidents(client, &query, max, format, &mut out).await?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        IncidentsCommand::Get { id, expand_alerts } => {
            let incident = client.get_incident(&id, expand_alerts).await?;
            headless::incidents::write_incident(&incident, format, &mut out)?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        IncidentsCommand::Update {
            id,
            status,
            classification,
            determination,
            assign,
            tags,
        } => {
            if read_only {
                return refuse_writes();
            }
            let (classification, determination) =
                verdict_args(classification.as_deref(), determination.as_deref())?;
            let update = IncidentUpdate {
                status: status
                    .as_deref()
                    .map(IncidentStatus::parse_input)
                    .transpose()?,
                classification,
                determination,
                assigned_to: assign,
                custom_tags: (!tags.is_empty())
                    .then(|| tags.into_iter().filter(|t| !t.trim().is_empty()).collect()),
            };
            if update.is_empty() {
                anyhow::bail!(
                    "nothing to change: give --status, --classification, --determination, --assign or --tag"
                );
            }
            // No base: a command line states the value wanted now, whatever it was.
            (
                Target::incident(id),
                Op::IncidentUpdate { update, base: None },
            )
        }
        IncidentsCommand::Comment { id, text } => {
            if read_only {
                return refuse_writes();
            }
            if text.trim().is_empty() {
                anyhow::bail!("an empty comment is not sent");
            }
            // The outbox is started with `session.me` as the author: who Graph will name
            // on the comment, for the exactly-once check.
            let author = session.me.clone();
            (Target::incident(id), Op::IncidentComment { text, author })
        }
    };
    let (outbox, mut events) = start_outbox(session, profile)?;
    let entry = outbox.submit(target, op).await?;
    let outcome = settle(&outbox, &mut events, Some(&entry)).await;
    report_write(outcome, &entry, format, &mut out)
}
