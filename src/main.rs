//! The `graphsec` binary: CLI parsing and wiring only. Behaviour lives in the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use graphsec::app::{self, SessionInfo, State};
use graphsec::config::{self, ResolvedProfile};
use graphsec::graph::auth::{StaticToken, TokenProvider, jwt_user};
use graphsec::graph::enums::{AlertClassification, AlertDetermination, AlertStatus};
use graphsec::graph::models::AlertUpdate;
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{Client, ClientConfig};
use graphsec::headless::{self, OutputFormat};
use graphsec::{demo, emulator, logging, sanitize, tui, worker};
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
    /// Alerts (security/alerts_v2).
    #[command(subcommand)]
    Alerts(AlertsCommand),
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
        Err(e) => {
            // Errors can quote server text: one sanitised line, detail in the log.
            tracing::error!(error = ?e, "fatal");
            say(&format!("error: {}", sanitize::line(&format!("{e:#}"))));
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
        Some(Command::Alerts(cmd)) => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            runtime.block_on(async {
                let session = connect(&cli, &profile).await?;
                alerts_command(
                    &session.client,
                    cmd,
                    cli.output,
                    cli.read_only || profile.read_only,
                )
                .await
            })
        }
        None => {
            let profile = loaded.config.resolve_profile(cli.profile.as_deref())?;
            for w in &loaded.warnings {
                say(&format!("warning: unknown config key '{w}' ignored"));
            }
            let keymap = app::KeyMap::with_overrides(&loaded.config.keys)
                .map_err(|e| anyhow::anyhow!("key bindings in the config: {e}"))?;
            let no_color = loaded.config.ui.no_color
                || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            let clipboard = tui::ClipboardSettings {
                mode: loaded.config.ui.clipboard,
                max_bytes: loaded.config.ui.clipboard_max_bytes,
            };
            runtime.block_on(async {
                let session = connect(&cli, &profile).await?;
                let info = SessionInfo {
                    profile: if cli.demo {
                        "demo".to_owned()
                    } else {
                        profile.name.clone()
                    },
                    endpoint: session.client.base_url().to_owned(),
                    me: session.me.clone().or(profile.me.clone()),
                    read_only: cli.read_only || profile.read_only,
                    keymap,
                    no_color,
                };
                let state = State::new(info, time::OffsetDateTime::now_utc());
                let (command_tx, command_rx) = mpsc::unbounded_channel();
                let (update_tx, update_rx) = mpsc::channel(256);
                let worker =
                    tokio::spawn(worker::run(session.client.clone(), command_rx, update_tx));
                let result = tui::run(state, command_tx, update_rx, clipboard).await;
                worker.abort();
                result
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

/// A ready client, the user it acts as, and the demo server when one runs.
struct Session {
    client: Client,
    me: Option<String>,
    _demo: Option<emulator::RunningEmulator>,
}

async fn connect(cli: &Cli, profile: &ResolvedProfile) -> anyhow::Result<Session> {
    let (endpoint, token, demo_server) = if cli.demo {
        let server = demo::start()
            .await
            .context("starting the embedded emulator")?;
        (server.base_url(), demo::token(), Some(server))
    } else {
        let endpoint = cli
            .endpoint
            .clone()
            .unwrap_or_else(|| profile.endpoint.clone());
        let token = std::env::var("GRAPHSEC_TOKEN")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .context(
                "no access token: set GRAPHSEC_TOKEN (or use --demo for the embedded demo tenant)",
            )?;
        (endpoint, token, None)
    };
    let me = jwt_user(&token);
    let tokens: Arc<dyn TokenProvider> = Arc::new(StaticToken::new(token));
    let client = Client::new(ClientConfig::new(endpoint), tokens)?;
    tracing::info!(endpoint = %client.base_url(), profile = %profile.name, demo = cli.demo, "connected");
    Ok(Session {
        client,
        me,
        _demo: demo_server,
    })
}

async fn alerts_command(
    client: &Client,
    cmd: AlertsCommand,
    format: OutputFormat,
    read_only: bool,
) -> anyhow::Result<ExitCode> {
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
            let update = AlertUpdate {
                status: status
                    .map(|v| known_value(&v, AlertStatus::parse_known, AlertStatus::NAMES))
                    .transpose()?,
                classification: classification
                    .map(|v| {
                        known_value(
                            &v,
                            AlertClassification::parse_known,
                            AlertClassification::NAMES,
                        )
                    })
                    .transpose()?,
                determination: determination
                    .map(|v| {
                        known_value(
                            &v,
                            AlertDetermination::parse_known,
                            AlertDetermination::NAMES,
                        )
                    })
                    .transpose()?,
                assigned_to: assign,
            };
            if update.is_empty() {
                anyhow::bail!(
                    "nothing to change: give --status, --classification, --determination or --assign"
                );
            }
            let alert = client.update_alert(&id, &update).await?;
            headless::write_alert(&alert, format, &mut out)?;
        }
        AlertsCommand::Comment { id, text } => {
            if read_only {
                return refuse_writes();
            }
            let comments = client.add_alert_comment(&id, &text).await?;
            headless::write_comments(&comments, format, &mut out)?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Parses an enum value typed on the command line, refusing names Graph would reject.
fn known_value<T>(value: &str, parse: fn(&str) -> Option<T>, names: &[&str]) -> anyhow::Result<T> {
    parse(value).ok_or_else(|| anyhow::anyhow!("'{value}' is not one of: {}", names.join(", ")))
}
