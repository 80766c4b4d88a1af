//! The `graphsec` binary: CLI parsing and wiring only. Behaviour lives in the library.

mod assess_cmd;
mod cases_cmd;
mod controls_cmd;
mod incidents_cmd;
mod sims_cmd;

use anyhow::Context;
use clap::{Parser, Subcommand};
use graphsec::app::{self, SessionInfo, State};
use graphsec::config::{self, ResolvedProfile};
use graphsec::correlate::EntityKind;
use graphsec::graph::auth::{StaticToken, TokenProvider, jwt_user};
use graphsec::graph::enums::{AlertClassification, AlertDetermination, AlertStatus};
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, ExtraRoots};
use graphsec::headless::{self, OutputFormat};
use graphsec::outbox::{
    EntryView, Journal, Op, Outbox, OutboxError, OutboxEvent, Reply, Target, WriterConfig, journal,
};
use graphsec::{demo, emulator, logging, sanitize, signin, tui, worker};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::sync::mpsc;

#[derive(Parser, Debug)]
#[command(
    name = "graphsec",
    version,
    about = "Keyboard-driven console over the Microsoft Graph security API"
)]
struct Cli {
    /// Profile from the config file (default: the config's default_profile).
    #[arg(long, global = true, env = "GRAPHSEC_PROFILE")]
    profile: Option<String>,
    /// Config file (default: $XDG_CONFIG_HOME/graphsec/config.toml, or GRAPHSEC_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Graph base URL, overriding the profile (e.g. the emulator's http://127.0.0.1:PORT/v1.0).
    #[arg(long, global = true, env = "GRAPHSEC_ENDPOINT")]
    endpoint: Option<String>,
    /// Output format of headless commands.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    output: OutputFormat,
    /// Run against the embedded emulator with a generated demo tenant (no account, no network).
    #[arg(long, global = true)]
    demo: bool,
    /// With --demo: the demo tenant changes by itself, one change about every SECS seconds
    /// (default 20): new alerts arrive, other analysts work alerts and incidents.
    #[arg(long, value_name = "SECS", num_args = 0..=1, requires = "demo",
          default_missing_value = emulator::DEFAULT_CHANGING_SECS, value_parser = emulator::parse_interval)]
    changing: Option<std::time::Duration>,
    /// Remove every mutating action.
    #[arg(long, global = true)]
    read_only: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the local Graph security emulator on loopback.
    Emulator(emulator::EmulatorArgs),
    /// Sign in with the profile's method (device code prints a URL and a code to enter
    /// anywhere) and cache the tokens.
    Login,
    /// Forget the profile's cached sign-in.
    Logout,
    /// Who the profile is signed in as: tenant, client, user or app, permissions, expiry,
    /// and what each console pane can do with them.
    Whoami,
    /// Alerts (security/alerts_v2).
    #[command(subcommand)]
    Alerts(AlertsCommand),
    /// Incidents (security/incidents).
    #[command(subcommand)]
    Incidents(incidents_cmd::IncidentsCommand),
    /// Daily Secure Score (security/secureScores), newest first: date, currentScore,
    /// maxScore and the percentage achieved.
    Score {
        /// Only the N newest daily snapshots (a day Graph has no snapshot for is skipped,
        /// not filled in).
        #[arg(long, value_name = "N")]
        days: Option<usize>,
    },
    /// Secure Score control profiles (security/secureScoreControlProfiles): list them, show
    /// one, or set a control's state (Default, Ignored, ThirdParty, Reviewed) through the
    /// outbox.
    #[command(subcommand)]
    Controls(controls_cmd::ControlsCommand),
    /// eDiscovery (Premium) cases (security/cases/ediscoveryCases): list, show, create,
    /// close and reopen cases, list a case's searches and operations, and run a search's
    /// estimate. Graph allows 5 eDiscovery requests a minute; commands pace themselves and
    /// say when they wait.
    #[command(subcommand)]
    Cases(cases_cmd::CasesCommand),
    /// Threat assessment requests (informationProtection/threatAssessmentRequests): list
    /// them with their verdicts, show one, and submit a URL, a mail, a file or an .eml file
    /// Microsoft misjudged (sent once, straight to Graph; --wait waits for the verdict).
    #[command(subcommand)]
    Assessments(assess_cmd::AssessCommand),
    /// Attack simulation and training (security/attackSimulation and the reports under
    /// reports/security): list simulations with their compromise and report rates, read a
    /// simulation's report and per-user results, repeat offenders, user and training
    /// coverage, and the training catalogue. Reads only.
    #[command(subcommand)]
    Simulations(sims_cmd::SimulationsCommand),
    /// Changes waiting in the on-disk outbox (<data dir>/outbox/<profile>.jsonl).
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Entities shared by the loaded alerts (users, devices, IPs, file hashes, URLs,
    /// mailboxes), best score first: 10×incidents + 5×sources + severity + alerts (≤10).
    Entities {
        /// Only this kind: user, device, ip, file, url or mailbox.
        #[arg(long, value_parser = parse_kind)]
        kind: Option<EntityKind>,
        /// At most this many entities.
        #[arg(long)]
        max: Option<usize>,
        /// OData $filter on the alerts read, e.g. "status ne 'resolved'".
        #[arg(long)]
        filter: Option<String>,
    },
}

fn parse_kind(s: &str) -> Result<EntityKind, String> {
    EntityKind::parse(s).ok_or_else(|| "one of user, device, ip, file, url, mailbox".to_owned())
}

#[derive(Subcommand, Debug)]
enum OutboxCommand {
    /// List unfinished changes (pending, failed, in conflict), for every endpoint.
    List,
    /// Send every pending change now and wait for the outcome.
    Flush,
    /// Put a failed or conflicting change back in line and send it.
    Retry { id: String },
    /// Give up on a change for good.
    Drop { id: String },
}

#[derive(Subcommand, Debug)]
enum AlertsCommand {
    /// List alerts, all pages.
    List {
        /// OData $filter expression, e.g. "severity eq 'high' and status eq 'new'".
        #[arg(long)]
        filter: Option<String>,
        /// Page size asked of Graph ($top).
        #[arg(long)]
        top: Option<u32>,
        /// Stop after this many alerts.
        #[arg(long)]
        max: Option<usize>,
    },
    /// Show one alert.
    Get { id: String },
    /// Change status, classification/determination or assignment.
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
    },
    /// Add a comment.
    Comment { id: String, text: String },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        // `graphsec alerts list | head`: the reader has all it wanted; like other Unix
        // tools, stop quietly (the exit status says the output was cut short).
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::from(141)
        }
        Err(e) => {
            // Errors can quote server text: one sanitised line, detail in the log.
            tracing::error!(error = ?e, "fatal");
            say(&format!("error: {}", sanitize::line(&format!("{e:#}"))));
            if e.downcast_ref::<graphsec::graph::GraphError>()
                .is_some_and(|g| g.status() == Some(401))
            {
                // The client already refreshed once and Graph still refused.
                say(
                    "Graph refused the token again after a refresh: run 'graphsec login' to sign in again.",
                );
            }
            ExitCode::FAILURE
        }
    }
}

/// One line on stderr. Never panics: after an SSH drop stderr is a dead tty, and `eprintln!`
/// would turn a clean exit into a panic.
fn say(line: &str) {
    let _ = writeln!(std::io::stderr(), "graphsec: {line}");
}

fn run(mut cli: Cli) -> anyhow::Result<ExitCode> {
    let loaded = config::load(cli.config.as_deref())?;
    let _ = CONFIG_PATH.set(loaded.path.clone());
    let _ = OSC52_COPY.set(loaded.config.ui.clipboard == config::ClipboardMode::Osc52);
    let log_path = config::paths().and_then(|p| logging::init(&p.state_dir).ok());
    for w in &loaded.warnings {
        tracing::warn!(key = %w, "unknown config key ignored");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .worker_threads(2)
        .build()?;

    match cli.command.take() {
        Some(Command::Emulator(args)) => {
            runtime.block_on(emulator::run(args))?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Login) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(login(&profile))
        }
        Some(Command::Logout) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            logout(&profile)
        }
        Some(Command::Whoami) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(whoami(&profile))
        }
        Some(Command::Alerts(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                alerts_command(
                    &session,
                    &profile,
                    cmd,
                    cli.output,
                    cli.read_only || profile.read_only,
                )
                .await
            })
        }
        Some(Command::Incidents(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            let read_only = cli.read_only || profile.read_only;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                incidents_cmd::run(&session, &profile, cmd, cli.output, read_only).await
            })
        }
        Some(Command::Controls(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            let read_only = cli.read_only || profile.read_only;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                controls_cmd::run(&session, &profile, cmd, cli.output, read_only).await
            })
        }
        Some(Command::Cases(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            let read_only = cli.read_only || profile.read_only;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                cases_cmd::run(&session, cmd, cli.output, read_only).await
            })
        }
        Some(Command::Assessments(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            let read_only = cli.read_only || profile.read_only;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                assess_cmd::run(&session, cmd, cli.output, read_only).await
            })
        }
        Some(Command::Simulations(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                sims_cmd::run(&session, cmd, cli.output).await
            })
        }
        Some(Command::Score { days }) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                let mut out = std::io::stdout().lock();
                headless::score::list_secure_scores(&session.client, days, cli.output, &mut out)
                    .await?;
                out.flush()?;
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::Entities { kind, max, filter }) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(async {
                let session = connect(&cli, &profile, false).await?;
                let mut query = ODataQuery::new().top(worker::QUEUE_PAGE_SIZE);
                if let Some(f) = filter {
                    query = query.raw_filter(f);
                }
                let mut out = std::io::stdout().lock();
                headless::list_entities(&session.client, &query, kind, max, cli.output, &mut out)
                    .await?;
                Ok(ExitCode::SUCCESS)
            })
        }
        Some(Command::Outbox(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(outbox_command(&cli, &profile, cmd))
        }
        None => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            for w in &loaded.warnings {
                say(&format!("warning: unknown config key '{w}' ignored"));
            }
            let (chart_marker, marker_warning) = loaded.config.ui.chart_marker();
            if let Some(w) = marker_warning {
                tracing::warn!(warning = %w, "config value ignored");
                say(&format!("warning: {w}"));
            }
            let keymap = app::KeyMap::with_overrides(&loaded.config.keys)
                .map_err(|e| anyhow::anyhow!("key bindings in the config: {e}"))?;
            let no_color = loaded.config.ui.no_color
                || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let clipboard = tui::ClipboardSettings {
                mode: loaded.config.ui.clipboard,
                max_bytes: loaded.config.ui.clipboard_max_bytes,
            };
            let settings = ConsoleSettings {
                keymap,
                no_color,
                chart_marker,
                // --demo has its own tenant and no profiles to switch to.
                profiles: if cli.demo {
                    Vec::new()
                } else {
                    profile_names(&loaded.config, &profile.name)
                },
            };
            runtime.block_on(async {
                // Before the terminal is taken: a device-code sign-in prints its code here.
                let mut console = open_console(&cli, &profile, &settings, true).await?;
                let mut guard = tui::TerminalGuard::enter()?;
                let mut fresh = true;
                loop {
                    let exit = tui::run(
                        &mut guard,
                        &mut console.state,
                        &console.commands,
                        &mut console.updates,
                        clipboard,
                        fresh,
                    )
                    .await;
                    let name = match exit {
                        Ok(tui::Exit::SwitchProfile(name)) => name,
                        other => {
                            // Every journal record is fsynced as it is written: whatever is
                            // still in flight stays in the outbox and is sent at the next
                            // start.
                            console.worker.abort();
                            return other.map(|_| ());
                        }
                    };
                    // The new profile is opened before the current one is let go, so a
                    // profile that cannot be opened leaves the analyst where they were.
                    let next = match loaded.config.resolve_profile(Some(&name)) {
                        // The screen is the console's now: a profile that needs a device-code
                        // sign-in says to run `graphsec login` instead of printing over it.
                        Ok(p) => open_console(&cli, &p, &settings, false).await,
                        Err(e) => Err(e.into()),
                    };
                    match next {
                        Ok(next) => {
                            tracing::info!(to = %name, "profile switched");
                            console.worker.abort();
                            let _ = (&mut console.worker).await;
                            console = next;
                            fresh = true;
                        }
                        Err(e) => {
                            tracing::warn!(profile = %name, error = %sanitize::line(&format!("{e:#}")), "profile switch failed");
                            let _ = app::update(
                                &mut console.state,
                                app::Action::SwitchFailed {
                                    profile: name,
                                    error: format!("{e:#}"),
                                },
                            );
                            fresh = false;
                        }
                    }
                }
            })?;
            if let Some(path) = log_path {
                tracing::info!(log = %path.display(), "console closed");
            }
            // Don't wait for in-flight requests or the demo server to wind down.
            runtime.shutdown_timeout(std::time::Duration::from_millis(200));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What every profile's console shares: the keys, colours, and the profiles to switch to.
struct ConsoleSettings {
    keymap: app::KeyMap,
    no_color: bool,
    chart_marker: app::score::ChartMarker,
    profiles: Vec<String>,
}

/// One profile's console: its session, a fresh state, and the worker behind it.
struct Console {
    state: State,
    commands: mpsc::UnboundedSender<app::Command>,
    updates: mpsc::Receiver<app::Action>,
    worker: tokio::task::JoinHandle<()>,
    /// Kept for the demo server and directory it may own.
    _session: Session,
}

/// The profiles `:profile` offers: every one the config defines, and the active one.
fn profile_names(config: &config::Config, active: &str) -> Vec<String> {
    let mut names: Vec<String> = config.profiles.keys().cloned().collect();
    if !names.iter().any(|n| n == active) {
        names.push(active.to_owned());
        names.sort();
    }
    names
}

/// Connects `profile`, opens its outbox and starts its worker.
async fn open_console(
    cli: &Cli,
    profile: &ResolvedProfile,
    settings: &ConsoleSettings,
    interactive: bool,
) -> anyhow::Result<Console> {
    let session = connect(cli, profile, interactive).await?;
    // A second console on the same profile is refused quickly rather than left waiting
    // for the first to close.
    let journal = open_journal(&session, profile, std::time::Duration::from_secs(1))?;
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let outbox = Outbox::start(
        journal,
        session.client.clone(),
        profile.name.clone(),
        session.me.clone(),
        WriterConfig::default(),
        event_tx,
    );
    // Planned controls are kept per profile in the XDG data dir (the demo's under "demo").
    let planned_name = if cli.demo {
        "demo"
    } else {
        profile.name.as_str()
    };
    let planned_file = config::paths().map(|p| graphsec::planned::file(&p.data_dir, planned_name));
    let (planned, planned_problem) = match &planned_file {
        Some(path) => graphsec::planned::load(path),
        None => Default::default(),
    };
    let info = SessionInfo {
        profile: if cli.demo {
            "demo".to_owned()
        } else {
            profile.name.clone()
        },
        profiles: settings.profiles.clone(),
        endpoint: session.client.base_url().to_owned(),
        me: session.me.clone().or(profile.me.clone()),
        read_only: cli.read_only || profile.read_only,
        keymap: settings.keymap.clone(),
        no_color: settings.no_color,
        planned,
        planned_file,
        chart_marker: settings.chart_marker,
    };
    let mut state = State::new(info, time::OffsetDateTime::now_utc());
    if let Some(problem) = planned_problem {
        tracing::warn!(%problem, "planned controls not read");
        let _ = app::update(
            &mut state,
            app::Action::Notice(format!("planned controls not read: {problem}")),
        );
    }
    let (commands, command_rx) = mpsc::unbounded_channel();
    let (update_tx, updates) = mpsc::channel(256);
    // Long-running operations (eDiscovery estimates) are followed through restarts.
    let operations_file =
        config::paths().map(|p| graphsec::operations::file(&p.data_dir, planned_name));
    let worker = tokio::spawn(worker::run_with(
        session.client.clone(),
        outbox,
        event_rx,
        command_rx,
        update_tx,
        worker::WorkerOptions {
            operations_file,
            ..worker::WorkerOptions::default()
        },
    ));
    Ok(Console {
        state,
        commands,
        updates,
        worker,
        _session: session,
    })
}

/// A ready client, the user it acts as, and the demo server when one runs.
struct Session {
    client: Client,
    me: Option<String>,
    _demo: Option<emulator::RunningEmulator>,
    /// The demo's outbox lives in a throw-away directory: the demo tenant is generated anew
    /// each run, so its writes have nowhere to land later.
    demo_data: Option<DemoDir>,
}

/// A per-run directory removed on exit.
struct DemoDir(PathBuf);

impl Drop for DemoDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Opens the profile's outbox journal (`<data dir>/outbox/<profile>.jsonl`), waiting up to
/// `patience` for another graphsec process to let go of it.
fn open_journal(
    session: &Session,
    profile: &ResolvedProfile,
    patience: std::time::Duration,
) -> anyhow::Result<Journal> {
    let data_dir = match &session.demo_data {
        Some(d) => d.0.clone(),
        None => config::paths().ok_or(OutboxError::NoDataDir)?.data_dir,
    };
    let path = journal::path_for(&data_dir, &profile.name);
    let journal = Journal::open_waiting(&path, patience)?;
    let report = journal.replay_report();
    if report.torn_tail || report.bad_lines > 0 {
        tracing::warn!(path = %path.display(), torn = report.torn_tail, bad_lines = report.bad_lines, "outbox journal repaired on open");
    }
    Ok(journal)
}

/// How headless commands send: a bounded number of attempts, so a script is not held
/// forever; what is left stays in the outbox for the next run.
fn headless_writer() -> WriterConfig {
    WriterConfig {
        max_attempts: Some(6),
        backoff_base: std::time::Duration::from_millis(500),
        backoff_cap: std::time::Duration::from_secs(8),
        ..WriterConfig::default()
    }
}

/// Starts the writer for a headless command: earlier unfinished writes are sent too.
fn start_outbox(
    session: &Session,
    profile: &ResolvedProfile,
) -> anyhow::Result<(Outbox, mpsc::UnboundedReceiver<OutboxEvent>)> {
    let journal = open_journal(session, profile, JOURNAL_PATIENCE)?;
    let (tx, rx) = mpsc::unbounded_channel();
    let outbox = Outbox::start(
        journal,
        session.client.clone(),
        profile.name.clone(),
        session.me.clone(),
        headless_writer(),
        tx,
    );
    Ok((outbox, rx))
}

/// What became of one entry in a headless run, and a one-line account of the others.
struct Outcome {
    mine: Option<OutboxEvent>,
    landed: usize,
    stopped: usize,
    deferred: usize,
}

/// Waits until the writer is idle and sorts what it reported.
async fn settle(
    outbox: &Outbox,
    events: &mut mpsc::UnboundedReceiver<OutboxEvent>,
    mine: Option<&str>,
) -> Outcome {
    outbox.wait_idle().await;
    let mut outcome = Outcome {
        mine: None,
        landed: 0,
        stopped: 0,
        deferred: 0,
    };
    while let Ok(event) = events.try_recv() {
        let id = match &event {
            OutboxEvent::Restored(_) => continue,
            OutboxEvent::Done { id, .. } => {
                outcome.landed += 1;
                id.clone()
            }
            OutboxEvent::Stopped(v) => {
                outcome.stopped += 1;
                v.entry.id.clone()
            }
            OutboxEvent::Deferred { id, .. } => {
                outcome.deferred += 1;
                id.clone()
            }
        };
        if mine == Some(id.as_str()) {
            outcome.mine = Some(event);
        }
    }
    outcome
}

/// Reports a headless write's fate: its reply on stdout, or why not and what to do.
fn report_write(
    outcome: Outcome,
    id: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let others =
        outcome.landed + outcome.stopped + outcome.deferred - usize::from(outcome.mine.is_some());
    if others > 0 {
        say(&format!(
            "outbox: also handled {others} earlier change(s); see 'graphsec outbox list'"
        ));
    }
    match outcome.mine {
        Some(OutboxEvent::Done { reply, .. }) => {
            match reply {
                Reply::Alert(alert) => headless::write_alert(&alert, format, out)?,
                Reply::Incident(i) => headless::incidents::write_incident(&i, format, out)?,
                Reply::Control(p) => headless::controls::write_control_profile(&p, format, out)?,
                Reply::Comments(c) | Reply::AlreadyThere(c) => {
                    headless::write_comments(&c, format, out)?
                }
                Reply::Unreadable => say("saved (Graph's reply could not be read)"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(OutboxEvent::Stopped(v)) => {
            anyhow::bail!(
                "{} ({}); kept in the outbox as {id}: 'graphsec outbox retry {id}' or 'graphsec outbox drop {id}'",
                v.status.word(),
                v.status.detail()
            )
        }
        Some(OutboxEvent::Deferred { error, .. }) => {
            say(&format!(
                "not sent yet ({}); kept in the outbox as {id}, sent by the next graphsec run or 'graphsec outbox flush'",
                sanitize::line(&error)
            ));
            Ok(ExitCode::from(EXIT_QUEUED))
        }
        _ => {
            // Held behind an earlier change to the same alert that stopped or is still
            // waiting to be sent: order per alert is kept.
            say(&format!(
                "queued as {id} behind an earlier change to the same alert that is not sent yet or needs a decision: see 'graphsec outbox list'"
            ));
            Ok(ExitCode::from(EXIT_QUEUED))
        }
    }
}

/// How long a command waits for another graphsec process to release the profile's outbox.
const JOURNAL_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Exit status when a write is safely journaled but not sent yet (EX_TEMPFAIL).
const EXIT_QUEUED: u8 = 75;

async fn outbox_command(
    cli: &Cli,
    profile: &ResolvedProfile,
    cmd: OutboxCommand,
) -> anyhow::Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let offline_journal = || -> anyhow::Result<Journal> {
        let data_dir = config::paths().ok_or(OutboxError::NoDataDir)?.data_dir;
        let path = journal::path_for(&data_dir, &profile.name);
        Ok(Journal::open_waiting(&path, JOURNAL_PATIENCE)?)
    };
    match cmd {
        OutboxCommand::List => {
            let journal = offline_journal()?;
            let entries: Vec<EntryView> = journal
                .entries()
                .filter(|s| !s.status.is_finished())
                .map(|s| EntryView {
                    entry: s.entry.clone(),
                    status: s.status.clone(),
                    sent: s.sent,
                })
                .collect();
            headless::write_outbox(&entries, cli.output, &mut out)?;
        }
        OutboxCommand::Drop { id } => {
            let mut journal = offline_journal()?;
            journal.drop_entry(&id, "dropped by the analyst")?;
            say(&format!("dropped {}", sanitize::line(&id)));
        }
        OutboxCommand::Flush | OutboxCommand::Retry { .. } => {
            if cli.read_only || profile.read_only {
                anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
            }
            let session = connect(cli, profile, false).await?;
            let (outbox, mut events) = start_outbox(&session, profile)?;
            let mine = match &cmd {
                OutboxCommand::Retry { id } => {
                    outbox.retry(id).await?;
                    Some(id.clone())
                }
                _ => None,
            };
            let outcome = settle(&outbox, &mut events, mine.as_deref()).await;
            if let Some(id) = mine {
                return report_write(outcome, &id, cli.output, &mut out);
            }
            let left = outbox
                .entries()
                .iter()
                .filter(|v| !v.status.is_finished())
                .count();
            say(&format!(
                "outbox: {} landed, {} stopped, {} still pending; {left} unfinished in all",
                outcome.landed, outcome.stopped, outcome.deferred
            ));
            if left > 0 {
                return Ok(ExitCode::from(EXIT_QUEUED));
            }
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// The config file this run read, for the warning about a shared file holding a secret.
static CONFIG_PATH: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Whether the device code may be copied with OSC 52 (`ui.clipboard`).
static OSC52_COPY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// The profile's token provider, its warnings said on stderr.
fn provider(profile: &ResolvedProfile) -> anyhow::Result<signin::profile::Provider> {
    let config_path = CONFIG_PATH.get().cloned().flatten();
    let (provider, warnings) = signin::profile::provider_for(
        &profile.name,
        &profile.auth,
        config_path.as_deref(),
        signin::cache::default_dir().as_deref(),
    )?;
    for w in warnings {
        say(&format!("warning: {w}"));
    }
    Ok(provider)
}

/// Runs the device code flow in the terminal: the URL and code on stdout (the code also
/// copied with OSC 52 when stdout is a terminal, unless `ui.clipboard = "off"`).
async fn device_code_sign_in(session: &signin::Session) -> anyhow::Result<signin::TokenSet> {
    let prompt = |p: &signin::DeviceCodePrompt| {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(
            out,
            "To sign in, open {} in any browser and enter the code {} (it expires in {} minutes).",
            p.verification_uri,
            p.user_code,
            p.expires_in.as_secs().div_ceil(60)
        );
        if OSC52_COPY.get().copied().unwrap_or(true)
            && std::io::IsTerminal::is_terminal(&std::io::stdout())
        {
            use base64::Engine as _;
            let code = base64::engine::general_purpose::STANDARD.encode(&p.user_code);
            let _ = write!(out, "\x1b]52;c;{code}\x07");
            let _ = writeln!(out, "(The code is on your clipboard.)");
        }
        let _ = out.flush();
    };
    Ok(session
        .sign_in_device_code(Arc::new(signin::TokioSleeper), &prompt)
        .await?)
}

/// `graphsec login`.
async fn login(profile: &ResolvedProfile) -> anyhow::Result<ExitCode> {
    let provider = provider(profile)?;
    let session = match provider {
        signin::profile::Provider::Env(_) => anyhow::bail!(
            "GRAPHSEC_TOKEN is set and is used as it is: unset it to sign in with profile '{}'",
            profile.name
        ),
        signin::profile::Provider::Command(cmd) => {
            cmd.run().await?;
            println!(
                "Profile '{}' takes its token from token_command, which printed one: nothing to sign in.",
                profile.name
            );
            return Ok(ExitCode::SUCCESS);
        }
        signin::profile::Provider::Session(s) => s,
    };
    let tokens = match session.method() {
        signin::Method::DeviceCode { .. } => device_code_sign_in(&session).await?,
        signin::Method::App { .. } => session.tokens().await?,
    };
    let info = signin::claims::TokenInfo::read(tokens.access_token.expose()).unwrap_or_default();
    let who = match (&info.user, session.method()) {
        (Some(u), _) => u.clone(),
        (None, m) => format!("app {}", m.client_id()),
    };
    println!(
        "Signed in to tenant {} as {}.",
        info.tenant
            .as_deref()
            .unwrap_or(session.authority().tenant()),
        who
    );
    if let Some(c) = session.cache() {
        println!("The sign-in is cached in {}.", c.path().display());
    }
    Ok(ExitCode::SUCCESS)
}

/// `graphsec logout`.
fn logout(profile: &ResolvedProfile) -> anyhow::Result<ExitCode> {
    let dir = signin::cache::default_dir().context("no cache directory (is HOME set?)")?;
    let n = signin::profile::sign_out(&profile.name, &dir)?;
    if n == 0 {
        println!("Profile '{}' had no cached sign-in.", profile.name);
    } else {
        println!(
            "Signed out of profile '{}': removed {n} cached sign-in(s).",
            profile.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `graphsec whoami`.
async fn whoami(profile: &ResolvedProfile) -> anyhow::Result<ExitCode> {
    let provider = provider(profile)?;
    let (token, source) = match &provider {
        signin::profile::Provider::Session(s) => (
            s.tokens().await?.access_token.expose().to_owned(),
            "cached sign-in",
        ),
        signin::profile::Provider::Env(t) => (t.token().await?, "GRAPHSEC_TOKEN"),
        signin::profile::Provider::Command(c) => {
            (c.run().await?.expose().to_owned(), "token_command")
        }
    };
    let mut out = std::io::stdout().lock();
    writeln!(out, "profile:   {} ({source})", profile.name)?;
    let Some(info) = signin::claims::TokenInfo::read(&token) else {
        writeln!(
            out,
            "The token is not a JWT: nothing more can be read from it."
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    let dash = || "-".to_owned();
    writeln!(
        out,
        "tenant:    {}",
        info.tenant.clone().unwrap_or_else(dash)
    )?;
    writeln!(
        out,
        "client:    {}",
        info.client_id.clone().unwrap_or_else(dash)
    )?;
    match &info.user {
        Some(u) => writeln!(out, "user:      {u}")?,
        None => writeln!(
            out,
            "app:       {} (app-only token)",
            info.client_id.clone().unwrap_or_else(dash)
        )?,
    }
    if !info.scopes.is_empty() {
        writeln!(out, "scopes:    {}", info.scopes.join(" "))?;
    }
    if !info.roles.is_empty() {
        writeln!(out, "roles:     {}", info.roles.join(" "))?;
    }
    if let Some(exp) = info.expires_at {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let when = time::OffsetDateTime::from_unix_timestamp(exp)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_else(|| exp.to_string());
        let left = if exp > now {
            format!("in {} min", (exp - now + 59) / 60)
        } else {
            "expired".to_owned()
        };
        writeln!(out, "expires:   {when} ({left})")?;
    }
    for pane in info.panes() {
        writeln!(out, "{pane}")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

async fn connect(cli: &Cli, profile: &ResolvedProfile, console: bool) -> anyhow::Result<Session> {
    let (endpoint, tokens, demo_server): (String, Arc<dyn TokenProvider>, _) = if cli.demo {
        let server = demo::start(cli.changing)
            .await
            .context("starting the embedded emulator")?;
        (
            server.base_url(),
            Arc::new(StaticToken::new(demo::token())),
            Some(server),
        )
    } else {
        let endpoint = cli
            .endpoint
            .clone()
            .unwrap_or_else(|| profile.endpoint.clone());
        let provider = provider(profile)?;
        // The console signs in before it takes the terminal, when it has to.
        if console
            && let signin::profile::Provider::Session(s) = &provider
            && matches!(s.method(), signin::Method::DeviceCode { .. })
            && s.cached().is_none()
        {
            device_code_sign_in(s).await?;
        }
        (endpoint, provider.as_token_provider(), None)
    };
    let token = tokens.token().await?;
    let me = jwt_user(&token);
    let budget = request_budget(profile, &endpoint)?;
    // The demo's emulator speaks plain http on loopback: no CA to add.
    let extra_roots = match &profile.ca_file {
        Some(path) if !cli.demo => Some(ExtraRoots::load(path)?),
        _ => None,
    };
    let client = Client::new(
        ClientConfig {
            budget,
            extra_roots,
            // The demo's emulator is new each run: nothing an earlier run sent counts.
            ediscovery_state: (!cli.demo).then(config::paths).flatten().map(|p| {
                graphsec::private_file::per_profile(&p.state_dir, "ediscovery", &profile.name)
            }),
            ..ClientConfig::new(endpoint)
        },
        tokens,
    )?;
    tracing::info!(endpoint = %client.base_url(), profile = %profile.name, demo = cli.demo, "connected");
    let demo_data = cli.demo.then(|| {
        DemoDir(std::env::temp_dir().join(format!(
            "graphsec-demo-{}-{:x}",
            std::process::id(),
            graphsec::graph::retry::random_u64()
        )))
    });
    Ok(Session {
        client,
        me,
        _demo: demo_server,
        demo_data,
    })
}

/// The profile's request budget, or none at all when `GRAPHSEC_REQUEST_BUDGET=unlimited`
/// asks for it against a loopback endpoint (the emulator): benchmarks that time raw
/// throughput, and tests that throttle every few requests on purpose. Graph itself is
/// never sent more than the budget allows.
fn request_budget(profile: &ResolvedProfile, endpoint: &str) -> anyhow::Result<BudgetConfig> {
    let configured = profile
        .requests_per_minute
        .map_or_else(BudgetConfig::default, BudgetConfig::within);
    let Some(value) = std::env::var_os(REQUEST_BUDGET_ENV) else {
        return Ok(configured);
    };
    if value != "unlimited" {
        anyhow::bail!(
            "{REQUEST_BUDGET_ENV}: the only value is 'unlimited' (for the local emulator); \
             set requests_per_minute in the profile to change the budget"
        );
    }
    let loopback = graphsec::graph::client::check_endpoint(endpoint)
        .is_ok_and(|url| graphsec::graph::client::is_loopback(&url));
    if !loopback {
        anyhow::bail!(
            "{REQUEST_BUDGET_ENV}=unlimited is only for the local emulator (a loopback \
             endpoint); Graph allows 150 requests per minute per app per tenant"
        );
    }
    Ok(BudgetConfig::unlimited())
}

const REQUEST_BUDGET_ENV: &str = "GRAPHSEC_REQUEST_BUDGET";

/// `--classification` and `--determination` as typed, for alerts and incidents alike (the
/// same enums): an unknown member is refused with the list of members.
fn verdict_args(
    classification: Option<&str>,
    determination: Option<&str>,
) -> anyhow::Result<(Option<AlertClassification>, Option<AlertDetermination>)> {
    Ok((
        classification
            .map(AlertClassification::parse_input)
            .transpose()?,
        determination
            .map(AlertDetermination::parse_input)
            .transpose()?,
    ))
}

async fn alerts_command(
    session: &Session,
    profile: &ResolvedProfile,
    cmd: AlertsCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
    let client = &session.client;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let refuse_writes =
        || anyhow::bail!("read-only: this profile (or --read-only) does not allow changes");
    match cmd {
        AlertsCommand::List { filter, top, max } => {
            let mut query = ODataQuery::new().top(top.unwrap_or(worker::QUEUE_PAGE_SIZE));
            if let Some(f) = filter {
                query = query.raw_filter(f);
            }
            headless::list_alerts(client, &query, max, format, &mut out).await?;
        }
        AlertsCommand::Get { id } => {
            let alert = client.get_alert(&id).await?;
            headless::write_alert(&alert, format, &mut out)?;
        }
        AlertsCommand::Update {
            id,
            status,
            classification,
            determination,
            assign,
        } => {
            if read_only {
                return refuse_writes();
            }
            let (classification, determination) =
                verdict_args(classification.as_deref(), determination.as_deref())?;
            let update = AlertUpdate {
                status: status
                    .as_deref()
                    .map(AlertStatus::parse_input)
                    .transpose()?,
                classification,
                determination,
                assigned_to: assign,
            };
            if update.is_empty() {
                anyhow::bail!(
                    "nothing to change: give --status, --classification, --determination or --assign"
                );
            }
            // No base: a command line states the value wanted now, whatever it was.
            let (outbox, mut events) = start_outbox(session, profile)?;
            let entry = outbox
                .submit(Target::alert(id), Op::AlertUpdate { update, base: None })
                .await?;
            let outcome = settle(&outbox, &mut events, Some(&entry)).await;
            return report_write(outcome, &entry, format, &mut out);
        }
        AlertsCommand::Comment { id, text } => {
            if read_only {
                return refuse_writes();
            }
            if text.trim().is_empty() {
                anyhow::bail!("an empty comment is not sent");
            }
            let (outbox, mut events) = start_outbox(session, profile)?;
            let author = outbox.author().map(str::to_owned);
            let entry = outbox
                .submit(Target::alert(id), Op::AlertComment { text, author })
                .await?;
            let outcome = settle(&outbox, &mut events, Some(&entry)).await;
            return report_write(outcome, &entry, format, &mut out);
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
