//! `graphsec controls list|get|update`: the headless Secure Score control-profile
//! commands. Reads go straight to Graph; a state change goes through the outbox like every
//! other write (journaled first, sent once: each PATCH appends a history entry, so a lost
//! reply is checked for, never blindly repeated).

use crate::{Session, report_write, settle, start_outbox};
use clap::Subcommand;
use graphsec::config::ResolvedProfile;
use graphsec::graph::score::{ControlState, ControlStateUpdate};
use graphsec::headless::{self, OutputFormat};
use graphsec::outbox::{Op, Target};
use std::io::Write;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ControlsCommand {
    /// List every control profile (security/secureScoreControlProfiles): id, title,
    /// category, maxScore, current state (the newest controlStateUpdates entry's, Default
    /// when none), tier, cost, user impact, rank and whether it is deprecated. JSON keeps
    /// each profile as Graph sent it, state history included.
    List,
    /// Show one control profile (its id is the control's name, e.g. AdminMFA).
    Get {
        /// The control's id: its name, e.g. AdminMFA.
        id: String,
    },
    /// Set a control's state, through the outbox: Graph appends a new controlStateUpdates
    /// entry (state, assignment, comment, who and when).
    Update {
        /// The control's id: its name, e.g. AdminMFA.
        id: String,
        /// Default, Ignored, ThirdParty or Reviewed (any case).
        #[arg(long)]
        state: String,
        /// Assign the control to this name (UPN or free text).
        #[arg(long)]
        assign: Option<String>,
        /// Why, kept with the state change.
        #[arg(long)]
        comment: Option<String>,
    },
}

pub async fn run(
    session: &Session,
    profile: &ResolvedProfile,
    cmd: ControlsCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (id, state, assign, comment) = match cmd {
        ControlsCommand::List => {
            headless::controls::list_control_profiles(client, format, &mut out).await?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        ControlsCommand::Get { id } => {
            let p = client.get_control_profile(&id).await?;
            headless::controls::write_control_profile(&p, format, &mut out)?;
            out.flush()?;
            return Ok(ExitCode::SUCCESS);
        }
        ControlsCommand::Update {
            id,
            state,
            assign,
            comment,
        } => (id, state, assign, comment),
    };
    if read_only {
        anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
    }
    let state =
        ControlState::parse_input(state.trim()).map_err(|e| anyhow::anyhow!("--state: {e}"))?;
    // `updatedBy` is not sent: Graph records who made the change from the token, and
    // refuses a body that carries properties it does not let callers update.
    let update = ControlStateUpdate {
        assigned_to: assign,
        comment: comment.filter(|c| !c.trim().is_empty()),
        ..ControlStateUpdate::new(state)
    };
    // No base: a command line states the state wanted now, whatever it was.
    let (outbox, mut events) = start_outbox(session, profile)?;
    let entry = outbox
        .submit(
            Target::control(id),
            Op::ControlUpdate { update, base: None },
        )
        .await?;
    let outcome = settle(&outbox, &mut events, Some(&entry)).await;
    report_write(outcome, &entry, format, &mut out)
}
