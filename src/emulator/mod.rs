//! A local Graph security emulator: a real HTTP server on loopback.
//!
//! It serves the alerts_v2 part of the Graph security API (surface.md §2) over a generated,
//! deterministic tenant, so the console's demo mode, the client and the integration tests
//! run with no tenant and no network. Start it in-process with [`start`] (tests, `--demo`,
//! benches) or as the `graphsec emulator` command with [`run`].
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use graphsec::emulator::{self, EmulatorConfig, Route};
//! let emu = emulator::start(EmulatorConfig { alerts: 1_000, ..Default::default() }).await?;
//! let base = emu.base_url(); // http://127.0.0.1:PORT/v1.0; opaque bearer tokens are accepted
//! emu.controls().throttle_next(2, Some(1)); // the next two requests answer 429
//! # let _ = (base, emu.controls().requests("GET", Route::Alerts));
//! emu.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The tenant can also change while it is served (new alerts, alerts worked by other
//! analysts, incidents changed), step by step with [`Controls::step_tenant`] or on a timer
//! with [`EmulatorConfig::changing`] (`--changing`), so polling clients have something to
//! find.
//!
//! Module map: [`server`] (router and the layer every request passes), [`routes`]
//! (handlers), [`score`] (Secure Score), [`cases`] (eDiscovery: cases, long-running
//! estimates, the per-token rate limit), [`sims`] + [`sims_data`] (attack simulation and
//! training, and the `reports/security` functions), [`assess`] (threat assessment requests,
//! their verdicts and POST limits), [`filter`] (`$filter`), [`paging`] (query options, `$skiptoken`),
//! [`store`] (alerts, lean), [`generate`] + [`vocab`] (the tenant), [`changes`] (the
//! changing tenant), [`faults`] (throttling and counters for tests), [`auth`], [`error`],
//! [`json`].

pub mod assess;
mod assess_query;
pub mod auth;
pub mod cases;
pub mod changes;
mod conn;
pub mod error;
pub mod faults;
pub mod filter;
pub mod generate;
pub mod identity;
mod incident_routes;
pub mod incidents;
pub mod json;
pub mod paging;
pub mod routes;
pub mod score;
pub mod server;
pub mod sims;
pub mod sims_data;
pub mod store;
pub mod tls;
pub mod vocab;

pub use changes::{ChangeKind, TenantChange};
pub use faults::{Controls, Fault, FaultKind, Injection, RandomFaults, Route, RouteClass, Scope};
pub use identity::{Identity, IdentityConfig, IdentityStats};

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The seed used when none is given, so every default demo tenant is the same.
pub const DEFAULT_SEED: u64 = 42;
/// Alerts in the default tenant.
pub const DEFAULT_ALERTS: usize = 600;
/// Largest tenant accepted; bounds memory (about 1.5 KB resident per alert).
pub const MAX_ALERTS: usize = 1_000_000;
/// Seconds between tenant changes when `--changing` is given without a value.
pub const DEFAULT_CHANGING_SECS: &str = "20";

/// `graphsec emulator` flags.
#[derive(clap::Args, Debug, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port. Only loopback addresses are
    /// accepted unless --allow-remote is given.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,

    /// Allow listening on a non-loopback address (the emulator has no real authentication).
    #[arg(long)]
    pub allow_remote: bool,

    /// Serve HTTPS with a CA and a server certificate (for localhost, 127.0.0.1, ::1)
    /// generated at start-up; clients must trust the CA (see --tls-ca-out).
    #[arg(long)]
    pub tls: bool,

    /// With --tls: write the generated CA certificate (PEM) to FILE before the
    /// "listening on" line, e.g. for a profile's ca_file.
    #[arg(long, value_name = "FILE", requires = "tls")]
    pub tls_ca_out: Option<PathBuf>,

    /// Number of alerts in the generated tenant.
    #[arg(long, default_value_t = DEFAULT_ALERTS, value_parser = parse_alert_count)]
    pub alerts: usize,

    /// Seed of the generated tenant; the same seed gives the same alerts.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,

    /// Page size when a request gives no $top (clamped to 2000).
    #[arg(long, default_value_t = paging::DEFAULT_PAGE_SIZE, value_parser = parse_page_size)]
    pub page_size: usize,

    /// Add alerts whose text carries terminal escape sequences, OSC 52, bidi overrides and
    /// 5,000-character titles (for security testing of clients).
    #[arg(long)]
    pub hostile: bool,

    /// Answer every Nth request with 429 Too Many Requests.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub throttle_every: Option<u32>,

    /// Retry-After seconds sent with throttled replies; 0 sends no Retry-After header.
    #[arg(long, value_name = "SECS", default_value_t = 1)]
    pub retry_after: u32,

    /// Pin the tenant's clock (RFC 3339) instead of now, for byte-identical tenants.
    #[arg(long, value_name = "RFC3339", value_parser = parse_now)]
    pub now: Option<OffsetDateTime>,

    /// Let the tenant change while it is served, one change about every SECS seconds
    /// (default 20, with a little seeded jitter): new alerts (some in existing
    /// incidents), alerts moved on or taken over by other analysts, incidents reassigned
    /// or resolved. Each change gets a new lastUpdateDateTime, so clients polling with
    /// $filter=lastUpdateDateTime gt ... find it.
    #[arg(long, value_name = "SECS", num_args = 0..=1, default_missing_value = DEFAULT_CHANGING_SECS, value_parser = parse_interval)]
    pub changing: Option<std::time::Duration>,

    /// Inject faults into this fraction of requests (0 to 1), drawn from a seeded stream:
    /// the same seed and the same requests give the same faults. 0 (the default) is off.
    /// Example: --fault-rate 0.3 --fault-kinds 503,reset,truncate --fault-routes patch,comments
    #[arg(long, value_name = "RATE", default_value_t = 0.0, value_parser = parse_rate, help_heading = "Faults")]
    pub fault_rate: f64,

    /// Comma-separated fault kinds to draw from, uniformly: 500, 502, 503, 504, 5xx (all
    /// four), reset (close the connection without a reply, before handling the request),
    /// reset-after (handle it, so a write lands, then close without a reply), latency
    /// (delay the reply by --fault-latency-ms), 429 (with Retry-After: --retry-after),
    /// 429-bare (no Retry-After), truncate (body cut in half), malformed (a control byte
    /// spliced into the body), transient (all but truncate and malformed), all.
    // `::std::vec::Vec` makes clap take the list as one value (the parser splits it).
    #[arg(long, value_name = "KINDS", default_value = "all", value_parser = FaultKind::parse_list, help_heading = "Faults")]
    pub fault_kinds: ::std::vec::Vec<FaultKind>,

    /// Comma-separated route classes the faults apply to: list (GET alerts_v2), get (GET
    /// alerts_v2/ID), patch (PATCH alerts_v2/ID), comments (alerts_v2/ID/comments),
    /// incident-list, incident-get (incidents/ID and its alerts), incident-patch,
    /// incident-comments, incidents (those four), reads (every list and get), writes (every
    /// patch and comment), all (every request).
    #[arg(long, value_name = "ROUTES", default_value = "all", value_parser = RouteClass::parse_list, help_heading = "Faults")]
    pub fault_routes: ::std::vec::Vec<RouteClass>,

    /// Delay added by the latency fault, in milliseconds.
    #[arg(
        long,
        value_name = "MS",
        default_value_t = 200,
        help_heading = "Faults"
    )]
    pub fault_latency_ms: u64,

    /// Seed of the fault stream; defaults to --seed.
    #[arg(long, value_name = "N", help_heading = "Faults")]
    pub fault_seed: Option<u64>,

    /// Device code sign-in: answer authorization_pending to N polls, then sign the demo
    /// user in by themselves (without it, the code waits for GET /devicelogin?user_code=CODE).
    #[arg(long, value_name = "N", help_heading = "Identity")]
    pub pending_polls: Option<u32>,

    /// Device code sign-in: answer the first poll of each code with slow_down.
    #[arg(long, help_heading = "Identity")]
    pub slow_down_once: bool,

    /// Device code sign-in: every code has expired when polled (expired_token).
    #[arg(long, help_heading = "Identity")]
    pub expire_codes: bool,

    /// Device code sign-in: the user declines (authorization_declined).
    #[arg(long, help_heading = "Identity")]
    pub decline: bool,

    /// No client id is known: every sign-in answers invalid_client (AADSTS700016).
    #[arg(long, help_heading = "Identity")]
    pub invalid_client: bool,

    /// Lifetime of the access tokens the emulator issues, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = identity::DEFAULT_TOKEN_LIFETIME.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..=86_400), help_heading = "Identity")]
    pub token_lifetime: u64,

    /// The polling interval handed out with a device code, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=60), help_heading = "Identity")]
    pub device_code_interval: u64,

    /// eDiscovery: seconds a search estimate takes from submission to `succeeded`
    /// (fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "20", value_parser = parse_interval, help_heading = "eDiscovery")]
    pub estimate_secs: std::time::Duration,

    /// eDiscovery: every search estimate fails (status `failed`, with a resultInfo).
    #[arg(long, help_heading = "eDiscovery")]
    pub fail_estimates: bool,

    /// eDiscovery: requests allowed per token in each --ediscovery-window (Graph allows 5 a
    /// minute); 0 turns the limit off.
    #[arg(long, value_name = "N", default_value_t = cases::DEFAULT_RATE_LIMIT, help_heading = "eDiscovery")]
    pub ediscovery_limit: u32,

    /// eDiscovery: the rate limit's window in seconds.
    #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_interval, help_heading = "eDiscovery")]
    pub ediscovery_window: std::time::Duration,

    /// Threat assessment: seconds from submission to `completed` (the checkPolicy result
    /// comes at a fifth of it; fractions allowed).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = parse_interval, help_heading = "Threat assessment")]
    pub assessment_secs: std::time::Duration,

    /// Threat assessment: POSTs per tenant in any 15 minutes (Graph: 150); 0 is no limit.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 150,
        help_heading = "Threat assessment"
    )]
    pub assessment_tenant_limit: u32,

    /// Threat assessment: POSTs per tenant in any 24 hours (Graph: 10,000); 0 is no limit.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 10_000,
        help_heading = "Threat assessment"
    )]
    pub assessment_tenant_daily_limit: u32,

    /// Threat assessment: POSTs of the same mail, URL or file in any 15 minutes (Graph: 1);
    /// 0 is no limit.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        help_heading = "Threat assessment"
    )]
    pub assessment_resource_limit: u32,

    /// Threat assessment: POSTs of the same mail, URL or file in any 24 hours (Graph: 3);
    /// 0 is no limit.
    #[arg(
        long,
        value_name = "N",
        default_value_t = 3,
        help_heading = "Threat assessment"
    )]
    pub assessment_resource_daily_limit: u32,

    /// Write the certificate app's certificate and private key (app-cert.pem, app-key.pem)
    /// into DIR, for client_certificate sign-in tests.
    #[arg(long, value_name = "DIR", help_heading = "Identity")]
    pub write_app_cert: Option<std::path::PathBuf>,
}

fn parse_rate(s: &str) -> Result<f64, String> {
    let r: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if !(0.0..=1.0).contains(&r) {
        return Err("must be between 0 and 1".to_owned());
    }
    Ok(r)
}

fn parse_alert_count(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if n > MAX_ALERTS {
        return Err(format!("at most {MAX_ALERTS} alerts"));
    }
    Ok(n)
}

fn parse_page_size(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if !(1..=paging::MAX_PAGE_SIZE).contains(&n) {
        return Err(format!("must be between 1 and {}", paging::MAX_PAGE_SIZE));
    }
    Ok(n)
}

/// Seconds between tenant changes: more than 0, at most a day; fractions allowed.
pub fn parse_interval(s: &str) -> Result<std::time::Duration, String> {
    let secs: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 86_400.0) {
        return Err("must be more than 0 and at most 86400 seconds".to_owned());
    }
    Ok(std::time::Duration::from_secs_f64(secs))
}

fn parse_now(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339).map_err(|e| format!("{e}"))
}

/// Everything [`start`] needs.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub listen: SocketAddr,
    pub allow_remote: bool,
    /// Serve HTTPS with a CA and server certificate generated by [`start`]; the CA is
    /// [`RunningEmulator::ca_pem`].
    pub tls: bool,
    /// With `tls`: [`start`] writes the CA certificate (PEM) to this file.
    pub tls_ca_out: Option<PathBuf>,
    pub alerts: usize,
    pub seed: u64,
    pub page_size: usize,
    pub hostile: bool,
    /// Answer every Nth request with 429.
    pub throttle_every: Option<u32>,
    /// `Retry-After` for the periodic throttle; `None` sends none.
    pub retry_after: Option<u32>,
    /// The tenant's clock; `None` means now.
    pub now: Option<OffsetDateTime>,
    /// Random fault plans active from the start (more can be added with
    /// [`Controls::add_random_faults`]).
    pub faults: Vec<RandomFaults>,
    /// Seed of the fault stream; `None` uses `seed`.
    pub fault_seed: Option<u64>,
    /// Change the tenant by one step about every this often (±20%, seeded) until the
    /// emulator stops; `None` keeps it still (it can still be stepped with
    /// [`Controls::step_tenant`]).
    pub changing: Option<std::time::Duration>,
    /// The identity endpoints' switches (sign-in flows, token lifetime).
    pub identity: IdentityConfig,
    /// eDiscovery: how long estimates take, whether they fail, the rate limit.
    pub cases: cases::CasesConfig,
    /// Threat assessment: how long requests take, the POST limits.
    pub assess: assess::AssessConfig,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            allow_remote: false,
            tls: false,
            tls_ca_out: None,
            alerts: DEFAULT_ALERTS,
            seed: DEFAULT_SEED,
            page_size: paging::DEFAULT_PAGE_SIZE,
            hostile: false,
            throttle_every: None,
            retry_after: Some(1),
            now: None,
            faults: Vec::new(),
            fault_seed: None,
            changing: None,
            identity: IdentityConfig::default(),
            cases: cases::CasesConfig::default(),
            assess: assess::AssessConfig::default(),
        }
    }
}

impl From<&EmulatorArgs> for EmulatorConfig {
    fn from(a: &EmulatorArgs) -> Self {
        EmulatorConfig {
            listen: a.listen,
            allow_remote: a.allow_remote,
            tls: a.tls,
            tls_ca_out: a.tls_ca_out.clone(),
            alerts: a.alerts.min(MAX_ALERTS),
            seed: a.seed,
            page_size: a.page_size,
            hostile: a.hostile,
            throttle_every: a.throttle_every,
            retry_after: (a.retry_after > 0).then_some(a.retry_after),
            now: a.now,
            faults: if a.fault_rate > 0.0 {
                vec![
                    RandomFaults::new(a.fault_rate, &a.fault_kinds)
                        .on(&a.fault_routes)
                        .latency(std::time::Duration::from_millis(a.fault_latency_ms))
                        .retry_after((a.retry_after > 0).then_some(a.retry_after)),
                ]
            } else {
                Vec::new()
            },
            fault_seed: a.fault_seed,
            changing: a.changing,
            identity: IdentityConfig {
                pending_polls: a.pending_polls,
                slow_down_once: a.slow_down_once,
                expire_codes: a.expire_codes,
                decline: a.decline,
                invalid_client: a.invalid_client,
                token_lifetime: std::time::Duration::from_secs(a.token_lifetime),
                interval: a.device_code_interval,
            },
            cases: cases::CasesConfig {
                estimate_duration: a.estimate_secs,
                rate_limit: a.ediscovery_limit,
                rate_window: a.ediscovery_window,
                fail_estimates: a.fail_estimates,
            },
            assess: assess::AssessConfig {
                duration: a.assessment_secs,
                tenant_per_15_min: a.assessment_tenant_limit,
                tenant_per_day: a.assessment_tenant_daily_limit,
                resource_per_15_min: a.assessment_resource_limit,
                resource_per_day: a.assessment_resource_daily_limit,
            },
        }
    }
}

impl From<EmulatorArgs> for EmulatorConfig {
    fn from(a: EmulatorArgs) -> Self {
        EmulatorConfig::from(&a)
    }
}

/// A running emulator. Dropping it (or [`RunningEmulator::shutdown`]) stops the server.
#[derive(Debug)]
pub struct RunningEmulator {
    addr: SocketAddr,
    controls: Controls,
    alerts: usize,
    tenant_id: String,
    /// The CA that signed the server certificate, when serving HTTPS.
    ca_pem: Option<String>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
    /// The `changing` timer, aborted when the emulator stops.
    changer: Option<JoinHandle<()>>,
    identity: Arc<Identity>,
}

impl RunningEmulator {
    /// The bound address (the real port when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The Graph base URL to give a client: `http://127.0.0.1:PORT/v1.0`, or
    /// `https://...` with TLS.
    pub fn base_url(&self) -> String {
        format!("{}/v1.0", self.origin())
    }

    /// `http://127.0.0.1:PORT`, or `https://...` with TLS.
    pub fn origin(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// With TLS: the PEM of the CA a client must trust.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// The identity platform root to give a profile as `login_endpoint`:
    /// `http://127.0.0.1:PORT` (token endpoint `{root}/{tenant}/oauth2/v2.0/token`).
    pub fn login_endpoint(&self) -> String {
        self.origin()
    }

    /// The identity endpoints: switches, counters, signing a device code in.
    pub fn identity(&self) -> &Arc<Identity> {
        &self.identity
    }

    /// Faults and counters, for tests.
    pub fn controls(&self) -> &Controls {
        &self.controls
    }

    /// Alerts in the tenant when it started (a changing tenant grows: see
    /// [`Controls::changes`]).
    pub fn alert_count(&self) -> usize {
        self.alerts
    }

    /// The generated tenant's id (`tenantId` on every alert).
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Stops accepting connections, lets in-flight requests finish (up to 5 s), and waits.
    pub async fn shutdown(mut self) {
        if let Some(changer) = self.changer.take() {
            changer.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(std::time::Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        if let Some(changer) = self.changer.take() {
            changer.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Generates the tenant, binds, and serves in a background task. Must be called within a
/// Tokio runtime. Refuses a non-loopback address unless `allow_remote` is set.
pub async fn start(config: EmulatorConfig) -> io::Result<RunningEmulator> {
    if !config.listen.ip().is_loopback() && !config.allow_remote {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "refusing to listen on non-loopback address {} (the emulator accepts any \
                 opaque token, and its signing keys are public); pass --allow-remote to do it \
                 anyway",
                config.listen
            ),
        ));
    }
    let now = config.now.unwrap_or_else(OffsetDateTime::now_utc);
    let gen_cfg = generate::GenConfig {
        alerts: config.alerts.min(MAX_ALERTS),
        seed: config.seed,
        now,
        hostile: config.hostile,
    };
    // Generation is CPU work (seconds for 100,000 alerts): keep it off the async workers.
    let alerts = tokio::task::spawn_blocking(move || generate::generate(&gen_cfg))
        .await
        .map_err(io::Error::other)?
        .map_err(io::Error::other)?;
    let store = store::Store::new(alerts);
    let alert_count = store.len();
    let tenant = Arc::new(changes::Tenant::new(store, config.seed));

    let listener = tokio::net::TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let certs = if config.tls {
        let listen = config.listen.ip();
        let certs = tokio::task::spawn_blocking(move || tls::generate(listen))
            .await
            .map_err(io::Error::other)?
            .map_err(io::Error::other)?;
        if let Some(path) = &config.tls_ca_out {
            std::fs::write(path, &certs.ca_pem).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("cannot write the CA to {}: {e}", path.display()),
                )
            })?;
        }
        Some(certs)
    } else {
        None
    };
    let controls = Controls::new(
        config.throttle_every,
        config.retry_after,
        config.fault_seed.unwrap_or(config.seed),
    );
    for plan in &config.faults {
        controls.add_random_faults(plan.clone());
    }
    controls.attach(tenant.clone());
    let changer = config
        .changing
        .map(|every| tokio::spawn(changes::run_timer(tenant.clone(), every, config.seed)));
    let mut state = server::AppState::new(
        tenant,
        controls.clone(),
        config.page_size.clamp(1, paging::MAX_PAGE_SIZE),
        config.seed,
        addr,
        now,
        server::Timings {
            cases: config.cases.clone(),
            assess: config.assess.clone(),
        },
    );
    controls.attach_cases(state.cases.clone());
    controls.attach_assess(state.assess.clone());
    if certs.is_some() {
        state.scheme = "https";
    }
    let scheme = state.scheme;
    let tenant_id = generate::tenant_id(config.seed);
    let identity = Arc::new(Identity::new(
        tenant_id.clone(),
        config.seed,
        config.identity.clone(),
    ));
    let app =
        server::router(Arc::new(state)).merge(identity::router(identity.clone(), addr, scheme));
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let ca_pem = certs.as_ref().map(|c| c.ca_pem.clone());
    let task = if let Some(certs) = certs {
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem(
            certs.chain_pem.into_bytes(),
            certs.key_pem.into_bytes(),
        )
        .await?;
        let handle = axum_server::Handle::new();
        let server = axum_server::from_tcp(listener.into_std()?)?
            .acceptor(axum_server::tls_rustls::RustlsAcceptor::new(tls).acceptor(conn::CutAcceptor))
            .handle(handle.clone());
        tokio::spawn(async move {
            let stopper = tokio::spawn(async move {
                // Either an explicit stop or the handle being dropped ends the server.
                let _ = stop_rx.await;
                handle.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
            });
            let served = server.serve(app.into_make_service()).await;
            stopper.abort();
            served
        })
    } else {
        tokio::spawn(async move {
            // Cuttable connections let the `reset` fault close one without a reply.
            let listener = conn::CuttableListener(listener);
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<conn::Cut>(),
            )
            .with_graceful_shutdown(async {
                // Either an explicit stop or the handle being dropped ends the server.
                let _ = stop_rx.await;
            })
            .await
        })
    };
    Ok(RunningEmulator {
        addr,
        controls,
        alerts: alert_count,
        tenant_id,
        ca_pem,
        stop: Some(stop_tx),
        task: Some(task),
        changer,
        identity,
    })
}

/// `graphsec emulator`: serves until Ctrl-C or SIGTERM. The first line on stdout is
/// exactly `listening on http://ADDR` (`https://` with `--tls`), so a script can read the
/// port; with `--tls-ca-out` the CA file is written before that line.
pub async fn run(args: EmulatorArgs) -> anyhow::Result<()> {
    serve_until(&args, &mut io::stdout(), wait_for_stop_signal()).await
}

/// [`run`] with its output and its stop signal given, so both can be tested.
async fn serve_until(
    args: &EmulatorArgs,
    out: &mut (dyn io::Write + Send),
    stop: impl std::future::Future<Output = io::Result<()>>,
) -> anyhow::Result<()> {
    let emu = start(EmulatorConfig::from(args)).await?;
    if let Some(dir) = &args.write_app_cert {
        let (cert, key) = identity::write_app_certificate(dir)?;
        eprintln!(
            "graphsec emulator: certificate app {}: certificate {}, key {}",
            identity::CERTIFICATE_CLIENT_ID,
            cert.display(),
            key.display()
        );
    }
    // After the CA and certificate files, so a script that read this line finds them.
    writeln!(out, "listening on {}", emu.origin())?;
    out.flush()?;
    eprintln!(
        "graphsec emulator: sign-in at {} (tenant {}): device code client {}, secret client {} \
         (secret '{}'), certificate client {}",
        emu.login_endpoint(),
        emu.tenant_id(),
        identity::PUBLIC_CLIENT_ID,
        identity::CONFIDENTIAL_CLIENT_ID,
        identity::CONFIDENTIAL_CLIENT_SECRET,
        identity::CERTIFICATE_CLIENT_ID
    );
    eprintln!(
        "graphsec emulator: {} alerts (seed {}), tenant {}; base URL {}; opaque bearer tokens and unexpired tokens it issued are accepted",
        emu.alert_count(),
        args.seed,
        emu.tenant_id(),
        emu.base_url()
    );
    if let Some(path) = &args.tls_ca_out {
        eprintln!(
            "graphsec emulator: HTTPS; the CA certificate to trust is in {}",
            path.display()
        );
    } else if args.tls {
        eprintln!(
            "graphsec emulator: HTTPS with a CA made for this run (--tls-ca-out FILE saves it)"
        );
    }
    eprintln!(
        "graphsec emulator: eDiscovery estimates take {:.1} s{}; eDiscovery admits {} a token every {:.0} s",
        args.estimate_secs.as_secs_f64(),
        if args.fail_estimates { " and fail" } else { "" },
        if args.ediscovery_limit == 0 {
            "any number of requests".to_owned()
        } else {
            format!("{} requests", args.ediscovery_limit)
        },
        args.ediscovery_window.as_secs_f64()
    );
    eprintln!(
        "graphsec emulator: threat assessments complete in {:.1} s; POST limits {} per tenant a 15 min, {} per resource a 15 min and {} a day (0 = none)",
        args.assessment_secs.as_secs_f64(),
        args.assessment_tenant_limit,
        args.assessment_resource_limit,
        args.assessment_resource_daily_limit
    );
    if let Some(every) = args.changing {
        eprintln!(
            "graphsec emulator: the tenant changes about every {:.1} s",
            every.as_secs_f64()
        );
    }
    stop.await?;
    let changed = emu.controls().changes().len();
    if changed > 0 {
        eprintln!("graphsec emulator: the tenant changed {changed} times");
    }
    if emu.controls().injected_total() > 0 {
        eprintln!(
            "graphsec emulator: faults injected: {}",
            emu.controls().injected_summary()
        );
    }
    emu.shutdown().await;
    Ok(())
}

async fn wait_for_stop_signal() -> io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        emulator: EmulatorArgs,
    }

    #[tokio::test]
    async fn first_stdout_line_names_the_address() {
        let cli = Cli::try_parse_from(["emulator", "--alerts", "3"]).unwrap();
        let mut out = Vec::new();
        serve_until(&cli.emulator, &mut out, async { Ok(()) })
            .await
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let first = text.lines().next().unwrap();
        let addr: SocketAddr = first
            .strip_prefix("listening on http://")
            .unwrap()
            .parse()
            .unwrap();
        assert!(addr.ip().is_loopback() && addr.port() != 0);
    }

    #[tokio::test]
    async fn with_tls_the_ca_is_written_before_the_https_line() {
        let dir = std::env::temp_dir().join(format!("graphsec-emu-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = dir.join("ca.pem");
        let ca_arg = ca.to_str().unwrap();
        let cli =
            Cli::try_parse_from(["emulator", "--alerts", "3", "--tls", "--tls-ca-out", ca_arg])
                .unwrap();
        let cfg = EmulatorConfig::from(&cli.emulator);
        assert!(cfg.tls && cfg.tls_ca_out.as_deref() == Some(ca.as_path()));
        let mut out = Vec::new();
        let ca_path = ca.clone();
        serve_until(&cli.emulator, &mut out, async move {
            // The file is there while the server runs.
            let pem = std::fs::read_to_string(&ca_path)?;
            assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
            Ok(())
        })
        .await
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.lines()
                .next()
                .unwrap()
                .starts_with("listening on https://127.0.0.1:"),
            "{text}"
        );
        // --tls-ca-out needs --tls.
        assert!(Cli::try_parse_from(["emulator", "--tls-ca-out", ca_arg]).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn flags_parse_into_a_config() {
        <Cli as clap::CommandFactory>::command().debug_assert();
        let cli = Cli::try_parse_from([
            "emulator",
            "--listen",
            "127.0.0.1:8080",
            "--alerts",
            "100000",
            "--seed",
            "7",
            "--page-size",
            "500",
            "--throttle-every",
            "10",
            "--retry-after",
            "0",
            "--hostile",
            "--now",
            "2026-11-26T12:00:00Z",
        ])
        .unwrap();
        let cfg = EmulatorConfig::from(&cli.emulator);
        assert_eq!(cfg.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!((cfg.alerts, cfg.seed, cfg.page_size), (100_000, 7, 500));
        assert_eq!((cfg.throttle_every, cfg.retry_after), (Some(10), None));
        assert!(cfg.hostile && !cfg.allow_remote && cfg.now.is_some());

        let defaults = EmulatorConfig::from(&Cli::try_parse_from(["emulator"]).unwrap().emulator);
        assert_eq!(defaults.alerts, DEFAULT_ALERTS);
        assert_eq!(defaults.seed, DEFAULT_SEED);
        assert_eq!(defaults.page_size, paging::DEFAULT_PAGE_SIZE);
        assert_eq!(defaults.retry_after, Some(1));
        assert!(defaults.listen.ip().is_loopback() && defaults.listen.port() == 0);
        assert!(defaults.faults.is_empty() && defaults.fault_seed.is_none());
        assert_eq!(defaults.changing, None);
        assert_eq!(defaults.cases, cases::CasesConfig::default());
        assert_eq!(defaults.assess, assess::AssessConfig::default());
        let assessing = Cli::try_parse_from([
            "emulator",
            "--assessment-secs",
            "8",
            "--assessment-tenant-limit",
            "3",
            "--assessment-tenant-daily-limit",
            "5",
            "--assessment-resource-limit",
            "0",
            "--assessment-resource-daily-limit",
            "2",
        ])
        .unwrap();
        assert_eq!(
            EmulatorConfig::from(&assessing.emulator).assess,
            assess::AssessConfig {
                duration: std::time::Duration::from_secs(8),
                tenant_per_15_min: 3,
                tenant_per_day: 5,
                resource_per_15_min: 0,
                resource_per_day: 2,
            }
        );

        let ediscovery = Cli::try_parse_from([
            "emulator",
            "--estimate-secs",
            "2.5",
            "--fail-estimates",
            "--ediscovery-limit",
            "0",
            "--ediscovery-window",
            "10",
        ])
        .unwrap();
        assert_eq!(
            EmulatorConfig::from(&ediscovery.emulator).cases,
            cases::CasesConfig {
                estimate_duration: std::time::Duration::from_millis(2500),
                rate_limit: 0,
                rate_window: std::time::Duration::from_secs(10),
                fail_estimates: true,
            }
        );

        let changing = |args: &[&str]| {
            EmulatorConfig::from(&Cli::try_parse_from(args).unwrap().emulator).changing
        };
        let secs = std::time::Duration::from_secs;
        assert_eq!(changing(&["emulator", "--changing"]), Some(secs(20)));
        assert_eq!(
            changing(&["emulator", "--changing", "--alerts", "5"]),
            Some(secs(20))
        );
        assert_eq!(changing(&["emulator", "--changing", "5"]), Some(secs(5)));
        assert_eq!(
            changing(&["emulator", "--changing", "0.25"]),
            Some(std::time::Duration::from_millis(250))
        );

        let faulty = Cli::try_parse_from([
            "emulator",
            "--fault-rate",
            "0.3",
            "--fault-kinds",
            "503,reset,truncate",
            "--fault-routes",
            "patch,comments",
            "--fault-latency-ms",
            "50",
            "--fault-seed",
            "9",
        ])
        .unwrap();
        let cfg = EmulatorConfig::from(&faulty.emulator);
        assert_eq!(cfg.fault_seed, Some(9));
        assert_eq!(
            cfg.faults,
            vec![
                RandomFaults::new(
                    0.3,
                    &[FaultKind::Status503, FaultKind::Reset, FaultKind::Truncate]
                )
                .on(&[RouteClass::Patch, RouteClass::Comments])
                .latency(std::time::Duration::from_millis(50))
            ]
        );

        let ident = Cli::try_parse_from([
            "emulator",
            "--pending-polls",
            "3",
            "--slow-down-once",
            "--expire-codes",
            "--decline",
            "--invalid-client",
            "--token-lifetime",
            "30",
        ])
        .unwrap();
        let cfg = EmulatorConfig::from(&ident.emulator);
        assert_eq!(
            cfg.identity,
            IdentityConfig {
                pending_polls: Some(3),
                slow_down_once: true,
                expire_codes: true,
                decline: true,
                invalid_client: true,
                token_lifetime: std::time::Duration::from_secs(30),
                ..IdentityConfig::default()
            }
        );
        assert_eq!(defaults.identity, IdentityConfig::default());

        for bad in [
            vec!["emulator", "--token-lifetime", "0"],
            vec!["emulator", "--page-size", "0"],
            vec!["emulator", "--page-size", "2001"],
            vec!["emulator", "--alerts", "99999999"],
            vec!["emulator", "--throttle-every", "0"],
            vec!["emulator", "--now", "yesterday"],
            vec!["emulator", "--fault-rate", "1.5"],
            vec!["emulator", "--fault-kinds", "404"],
            vec!["emulator", "--fault-routes", "secureScores"],
            vec!["emulator", "--changing", "0"],
            vec!["emulator", "--changing", "-1"],
            vec!["emulator", "--changing", "soon"],
            vec!["emulator", "--changing", "100000"],
            vec!["emulator", "--estimate-secs", "0"],
            vec!["emulator", "--ediscovery-window", "soon"],
            vec!["emulator", "--assessment-secs", "0"],
            vec!["emulator", "--assessment-resource-limit", "-1"],
        ] {
            assert!(Cli::try_parse_from(&bad).is_err(), "{bad:?}");
        }
    }
}
