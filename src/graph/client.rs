//! The Graph HTTP client: one place for headers, retries, error mapping, size limits and
//! paging, so each operation is a few lines.
//!
//! Security rules enforced here rather than left to callers:
//! - plain `http://` only to loopback (the token would otherwise travel in clear text);
//! - the bearer token goes only to the configured origin: `@odata.nextLink`s pointing
//!   elsewhere are refused and redirects are not followed;
//! - the token never appears in errors, logs or `Debug` output.

use super::assess::{NewAssessment, ThreatAssessmentRequest, ThreatAssessmentResult};
use super::auth::{AuthError, TokenProvider};
use super::budget::{BudgetConfig, BudgetSnapshot, RequestBudget};
use super::cases::{
    CaseOperation, CaseUpdate, Custodian, EdiscoveryCase, EdiscoverySearch, HasId, Kept, LegalHold,
    NewCase, NewSearch, NoncustodialDataSource, ReviewSet,
};
use super::error::{GraphError, api_error};
use super::incidents::{Incident, IncidentUpdate};
use super::models::{Alert, AlertComment, AlertUpdate, CommentList, FromRaw, Page};
use super::odata::ODataQuery;
use super::retry::{RetryBudget, RetryCause, client_request_id, parse_retry_after, random_u64};
use super::score::{ControlStateUpdate, SecureScore, SecureScoreControlProfile};
use super::sims::{
    AutomationRun, RepeatOffender, ReportOverview, Simulation, SimulationAutomation,
    SimulationUserCoverage, Training, TrainingUserCoverage, UserSimulationDetails,
};
use super::tls::{ExtraRoots, TlsProblem};
use super::window::RequestWindow;
use futures_util::Stream;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode, Url};
use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tracing::{debug, warn};

pub const DEFAULT_BASE_URL: &str = "https://graph.microsoft.com/v1.0";

/// Largest response body accepted. A 2,000-alert page with evidence is under 10 MiB;
/// anything near this is a broken or hostile server, and the analyst gets an error, not an
/// out-of-memory kill.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Error bodies are only mined for a code and a message.
const MAX_ERROR_BODY_BYTES: usize = 64 * 1024;

/// Connecting should never take long; the configured timeout covers slow answers.
const MAX_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

const ALERTS_PATH: &str = "security/alerts_v2";
const INCIDENTS_PATH: &str = "security/incidents";
const SECURE_SCORES_PATH: &str = "security/secureScores";
const CONTROL_PROFILES_PATH: &str = "security/secureScoreControlProfiles";
const CASES_PATH: &str = "security/cases/ediscoveryCases";
const SIMULATIONS_PATH: &str = "security/attackSimulation/simulations";
const AUTOMATIONS_PATH: &str = "security/attackSimulation/simulationAutomations";
const TRAININGS_PATH: &str = "security/attackSimulation/trainings";
const SECURITY_REPORTS_PATH: &str = "reports/security";
const ASSESSMENTS_PATH: &str = "informationProtection/threatAssessmentRequests";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Graph root, e.g. [`DEFAULT_BASE_URL`] or the emulator's `http://127.0.0.1:PORT/v1.0`.
    pub base_url: String,
    /// How long Graph may stay silent (connecting, or between bytes of a reply) before an
    /// attempt counts as timed out.
    pub timeout: Duration,
    /// Retries after the first attempt for transient failures (the one re-auth retry after
    /// a 401 is extra).
    pub max_retries: u32,
    /// Total time one request may spend waiting between retries.
    pub max_retry_wait: Duration,
    pub user_agent: String,
    /// The request budget every attempt (retries included) draws from; see
    /// [`super::budget`]. Defaults to 20 burst and 120 a minute.
    pub budget: BudgetConfig,
    /// CA certificates trusted on top of the system's (a profile's `ca_file`); `None`
    /// trusts the system's alone.
    pub extra_roots: Option<ExtraRoots>,
    /// eDiscovery's own limit (requests, period): Graph allows 5 a minute per app per
    /// tenant under `security/cases`; every attempt there waits for a slot.
    pub ediscovery_limit: (usize, Duration),
    /// Where the eDiscovery window's recent sends are kept, so a console restarted within
    /// the minute (an SSH drop, a quit) does not send a sixth; `None` keeps them in memory.
    pub ediscovery_state: Option<std::path::PathBuf>,
}

impl ClientConfig {
    /// Defaults: 30 s timeout, 4 retries, 60 s of retry waiting, `graphsec/<version>`, the
    /// default request budget.
    pub fn new(base_url: impl Into<String>) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            timeout: Duration::from_secs(30),
            max_retries: 4,
            max_retry_wait: Duration::from_secs(60),
            user_agent: concat!("graphsec/", env!("CARGO_PKG_VERSION")).to_owned(),
            budget: BudgetConfig::default(),
            extra_roots: None,
            ediscovery_limit: (
                super::window::EDISCOVERY_PER_MINUTE,
                Duration::from_secs(60),
            ),
            ediscovery_state: None,
        }
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig::new(DEFAULT_BASE_URL)
    }
}

/// A Graph client. Cheap to clone: clones share one connection pool, token provider and
/// request budget.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base: Url,
    base_str: String,
    tokens: Arc<dyn TokenProvider>,
    max_retries: u32,
    max_retry_wait: Duration,
    /// Shared by every clone, so all of them together stay under Graph's limit.
    budget: RequestBudget,
    /// eDiscovery's stricter per-minute limit, shared by every clone.
    ediscovery: std::sync::Mutex<RequestWindow>,
    ediscovery_state: Option<std::path::PathBuf>,
}

/// Hand-written: shows where the client points, nothing about its tokens.
impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_str)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Refuses plain `http://` unless the host is loopback (127.0.0.0/8, ::1, localhost).
    ///
    /// TLS is verified against the system's CA store (reqwest's `rustls` feature verifies
    /// through `rustls-platform-verifier`), plus `extra_roots` when given. `HTTPS_PROXY`,
    /// `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` are honoured, except for a loopback base.
    pub fn new(config: ClientConfig, tokens: Arc<dyn TokenProvider>) -> Result<Client, GraphError> {
        let base = check_endpoint(&config.base_url)?;
        let mut builder = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .gzip(true)
            .connect_timeout(config.timeout.min(MAX_CONNECT_TIMEOUT))
            .read_timeout(config.timeout)
            // Never follow a redirect: it could carry the Authorization header elsewhere, and
            // Graph does not redirect these APIs.
            .redirect(reqwest::redirect::Policy::none())
            // http is gated above, per host; reqwest's switch is all-or-nothing.
            .https_only(false);
        if is_loopback(&base) {
            // A CI or corporate proxy variable must not capture emulator traffic (or tokens).
            builder = builder.no_proxy();
        }
        if let Some(roots) = &config.extra_roots {
            let certs = roots
                .certificates()
                .map_err(|e| GraphError::Transport(error_chain(&e)))?;
            builder = builder.tls_certs_merge(certs);
        }
        let http = builder
            .build()
            .map_err(|e| GraphError::Transport(error_chain(&e)))?;
        let base_str = base.as_str().trim_end_matches('/').to_owned();
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base,
                base_str,
                tokens,
                max_retries: config.max_retries,
                max_retry_wait: config.max_retry_wait,
                budget: RequestBudget::new(config.budget),
                ediscovery: std::sync::Mutex::new(restored_window(&config)),
                ediscovery_state: config.ediscovery_state.clone(),
            }),
        })
    }

    /// How long until the next eDiscovery request may go (zero: at once). The case pane
    /// shows it ("next request in 12 s") rather than queueing blindly.
    pub fn ediscovery_wait(&self) -> Duration {
        let now = Instant::now();
        self.ediscovery_window()
            .next_slot(now)
            .saturating_duration_since(now)
    }

    /// eDiscovery requests sent in the last period (for tests and the log).
    pub fn ediscovery_recent(&self) -> usize {
        self.ediscovery_window().recent(Instant::now())
    }

    fn ediscovery_window(&self) -> std::sync::MutexGuard<'_, RequestWindow> {
        self.inner
            .ediscovery
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes the eDiscovery window's state for a process started after this one (off
    /// the async threads; a failure only costs that process its head start).
    fn keep_ediscovery_state(&self) {
        let Some(path) = self.inner.ediscovery_state.clone() else {
            return;
        };
        let state = self.ediscovery_window().export(Instant::now());
        tokio::task::spawn_blocking(move || {
            let body = serde_json::to_vec(&state).unwrap_or_default();
            if let Err(e) = crate::private_file::replace(&path, &body) {
                tracing::debug!(error = %e, "eDiscovery window state not kept");
            }
        });
    }

    /// Waits for an eDiscovery slot and takes it.
    async fn ediscovery_slot(&self, url: &Url) {
        loop {
            let now = Instant::now();
            let at = {
                let mut w = self.ediscovery_window();
                if w.try_take(now) {
                    drop(w);
                    self.keep_ediscovery_state();
                    return;
                }
                w.next_slot(now)
            };
            debug!(
                path = url.path(),
                wait_ms = at.saturating_duration_since(now).as_millis() as u64,
                "waiting for an eDiscovery slot (5 a minute)"
            );
            tokio::time::sleep(at.saturating_duration_since(now)).await;
        }
    }

    /// The parsed base URL, whose origin every nextLink must share.
    pub(super) fn base(&self) -> &Url {
        &self.inner.base
    }

    /// The normalised base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_str
    }

    /// The request budget shared by this client and its clones, as it stands now.
    pub fn budget(&self) -> BudgetSnapshot {
        self.inner.budget.snapshot()
    }

    /// All pages, following @odata.nextLink verbatim.
    ///
    /// The stream ends after the last page or after the first error (which is yielded). A
    /// nextLink to another origin ends it with [`GraphError::BadNextLink`] after the page
    /// that carried it. The next page is requested while the current one is parsed (one
    /// page ahead at most); dropping the stream cancels that request.
    pub fn list_alerts(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Alert>, GraphError>> + Send + Unpin + 'static {
        self.list(ALERTS_PATH, query)
    }

    /// All pages of any collection under the base URL (`path` like `security/incidents`).
    pub fn list<T>(
        &self,
        path: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<T>, GraphError>> + Send + Unpin + 'static
    where
        T: FromRaw + Send + 'static,
    {
        let first = self.url(path, &[]).map(|mut url| {
            let qs = query.to_query_string();
            if !qs.is_empty() {
                url.set_query(Some(&qs));
            }
            url
        });
        super::pager::pages(self.clone(), first)
    }

    pub async fn get_alert(&self, id: &str) -> Result<Alert, GraphError> {
        let url = self.url(ALERTS_PATH, &[id])?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_alert(&body)
    }

    /// PATCH, 200 + alert. Only the fields set in `update` are sent.
    pub async fn update_alert(&self, id: &str, update: &AlertUpdate) -> Result<Alert, GraphError> {
        let url = self.url(ALERTS_PATH, &[id])?;
        let body = serde_json::to_vec(update).map_err(|e| GraphError::decode("update", e))?;
        let reply = self.execute(Method::PATCH, &url, Some(body)).await?;
        if reply.iter().all(u8::is_ascii_whitespace) {
            // Documented as 200 + alert, but a 204 (as legacy alerts answer) is no failure:
            // read the alert back instead.
            return self.get_alert(id).await;
        }
        parse_alert(&reply)
    }

    /// POST .../comments, 200 + the alert's whole comment list (not only the new one).
    pub async fn add_alert_comment(
        &self,
        id: &str,
        text: &str,
    ) -> Result<Vec<AlertComment>, GraphError> {
        let url = self.url(ALERTS_PATH, &[id, "comments"])?;
        self.post_comment(&url, text).await
    }

    /// Alerts and incidents take the same `alertComment` body and answer the same way.
    async fn post_comment(&self, url: &Url, text: &str) -> Result<Vec<AlertComment>, GraphError> {
        let body = serde_json::to_vec(&serde_json::json!({
            "@odata.type": "microsoft.graph.security.alertComment",
            "comment": text,
        }))
        .map_err(|e| GraphError::decode("comment", e))?;
        let reply = self.execute(Method::POST, url, Some(body)).await?;
        let list: CommentList =
            serde_json::from_slice(&reply).map_err(|e| GraphError::decode("comments", e))?;
        Ok(list.value)
    }

    /// All pages of incidents (see [`Client::list_alerts`]); add `.expand(["alerts"])` to
    /// the query to have each incident carry its alerts.
    pub fn list_incidents(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Incident>, GraphError>> + Send + Unpin + 'static {
        self.list(INCIDENTS_PATH, query)
    }

    /// GET one incident, with its alerts inlined when `expand_alerts`.
    pub async fn get_incident(
        &self,
        id: &str,
        expand_alerts: bool,
    ) -> Result<Incident, GraphError> {
        let mut url = self.url(INCIDENTS_PATH, &[id])?;
        if expand_alerts {
            url.set_query(Some("$expand=alerts"));
        }
        let body = self.execute(Method::GET, &url, None).await?;
        parse_incident(&body)
    }

    /// PATCH, 200 + incident. Only the fields set in `update` are sent.
    pub async fn update_incident(
        &self,
        id: &str,
        update: &IncidentUpdate,
    ) -> Result<Incident, GraphError> {
        let url = self.url(INCIDENTS_PATH, &[id])?;
        let body = serde_json::to_vec(update).map_err(|e| GraphError::decode("update", e))?;
        let reply = self.execute(Method::PATCH, &url, Some(body)).await?;
        if reply.iter().all(u8::is_ascii_whitespace) {
            // Documented as 200 + incident; a bare 204 is no failure, so read it back.
            return self.get_incident(id, false).await;
        }
        parse_incident(&reply)
    }

    /// POST .../comments, 200 + the incident's whole comment list (not only the new one).
    pub async fn add_incident_comment(
        &self,
        id: &str,
        text: &str,
    ) -> Result<Vec<AlertComment>, GraphError> {
        let url = self.url(INCIDENTS_PATH, &[id, "comments"])?;
        self.post_comment(&url, text).await
    }

    /// All pages of daily Secure Score snapshots, newest first (see [`Client::list_alerts`]).
    pub fn list_secure_scores(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<SecureScore>, GraphError>> + Send + Unpin + 'static {
        self.list(SECURE_SCORES_PATH, query)
    }

    /// All pages of the tenant's control profiles.
    pub fn list_control_profiles(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<SecureScoreControlProfile>, GraphError>> + Send + Unpin + 'static
    {
        self.list(CONTROL_PROFILES_PATH, query)
    }

    pub async fn get_control_profile(
        &self,
        id: &str,
    ) -> Result<SecureScoreControlProfile, GraphError> {
        let url = self.url(CONTROL_PROFILES_PATH, &[id])?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_control_profile(&body)
    }

    /// PATCH a control's state. Graph answers 204; with `return_representation` the
    /// request asks `Prefer: return=representation` and the profile comes back (`Some`).
    pub async fn update_control_profile(
        &self,
        id: &str,
        update: &ControlStateUpdate,
        return_representation: bool,
    ) -> Result<Option<SecureScoreControlProfile>, GraphError> {
        let url = self.url(CONTROL_PROFILES_PATH, &[id])?;
        let body = serde_json::to_vec(update).map_err(|e| GraphError::decode("update", e))?;
        let prefer = return_representation.then_some("return=representation");
        // Each PATCH appends to controlStateUpdates: a lost reply is not repeated.
        let reply = self
            .execute_with(Method::PATCH, &url, Some(body), prefer, false)
            .await?;
        if reply.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        parse_control_profile(&reply).map(Some)
    }

    // ---- eDiscovery (surface.md §7). Graph allows 5 requests a minute here; a 429's
    // Retry-After is honoured by the retry loop like anywhere else.

    /// All pages of eDiscovery cases (see [`Client::list_alerts`]).
    pub fn list_cases(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<EdiscoveryCase>>, GraphError>> + Send + Unpin + 'static
    {
        self.list(CASES_PATH, query)
    }

    pub async fn get_case(&self, id: &str) -> Result<Kept<EdiscoveryCase>, GraphError> {
        let url = self.url(CASES_PATH, &[id])?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "case")
    }

    /// POST, 201 + the new case.
    pub async fn create_case(&self, case: &NewCase) -> Result<Kept<EdiscoveryCase>, GraphError> {
        let url = self.url(CASES_PATH, &[])?;
        let body = serde_json::to_vec(case).map_err(|e| GraphError::decode("case", e))?;
        let reply = self.execute(Method::POST, &url, Some(body)).await?;
        parse_kept(&reply, "case")
    }

    /// PATCH, 204. Only the fields set in `update` are sent.
    pub async fn update_case(&self, id: &str, update: &CaseUpdate) -> Result<(), GraphError> {
        let url = self.url(CASES_PATH, &[id])?;
        let body = serde_json::to_vec(update).map_err(|e| GraphError::decode("update", e))?;
        self.execute(Method::PATCH, &url, Some(body)).await?;
        Ok(())
    }

    /// POST .../microsoft.graph.security.close, 204.
    pub async fn close_case(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(CASES_PATH, &[id, "microsoft.graph.security.close"])?;
        self.execute(Method::POST, &url, None).await?;
        Ok(())
    }

    /// POST .../microsoft.graph.security.reopen, 204.
    pub async fn reopen_case(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(CASES_PATH, &[id, "microsoft.graph.security.reopen"])?;
        self.execute(Method::POST, &url, None).await?;
        Ok(())
    }

    /// All pages of a case's custodians.
    pub fn list_custodians(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<Custodian>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.url(CASES_PATH, &[case_id, "custodians"]), query)
    }

    /// POST .../custodians with the custodian's email, 201 + the custodian.
    pub async fn add_custodian(
        &self,
        case_id: &str,
        email: &str,
    ) -> Result<Kept<Custodian>, GraphError> {
        let url = self.url(CASES_PATH, &[case_id, "custodians"])?;
        let body = serde_json::to_vec(&serde_json::json!({ "email": email }))
            .map_err(|e| GraphError::decode("custodian", e))?;
        let reply = self.execute(Method::POST, &url, Some(body)).await?;
        parse_kept(&reply, "custodian")
    }

    /// All pages of a case's non-custodial data sources.
    pub fn list_noncustodial_sources(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<NoncustodialDataSource>>, GraphError>>
    + Send
    + Unpin
    + 'static {
        self.list_at(
            self.url(CASES_PATH, &[case_id, "noncustodialDataSources"]),
            query,
        )
    }

    /// All pages of a case's searches.
    pub fn list_searches(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<EdiscoverySearch>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.url(CASES_PATH, &[case_id, "searches"]), query)
    }

    /// GET one search with its latest estimate expanded
    /// ([`EdiscoverySearch::last_estimate_statistics_operation`]).
    pub async fn get_search(
        &self,
        case_id: &str,
        search_id: &str,
    ) -> Result<Kept<EdiscoverySearch>, GraphError> {
        let mut url = self.url(CASES_PATH, &[case_id, "searches", search_id])?;
        url.set_query(Some("$expand=lastEstimateStatisticsOperation"));
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "search")
    }

    /// POST .../searches, 201 + the search.
    pub async fn create_search(
        &self,
        case_id: &str,
        search: &NewSearch,
    ) -> Result<Kept<EdiscoverySearch>, GraphError> {
        let url = self.url(CASES_PATH, &[case_id, "searches"])?;
        let body = serde_json::to_vec(search).map_err(|e| GraphError::decode("search", e))?;
        let reply = self.execute(Method::POST, &url, Some(body)).await?;
        parse_kept(&reply, "search")
    }

    /// All pages of a case's review sets.
    pub fn list_review_sets(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<ReviewSet>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.url(CASES_PATH, &[case_id, "reviewSets"]), query)
    }

    /// All pages of a case's legal holds. Beta only (the v1.0 schema has no `legalHolds`):
    /// asked on the beta base derived from the configured one (see [`Client::beta_url`]).
    pub fn list_legal_holds(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<LegalHold>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.beta_url(CASES_PATH, &[case_id, "legalHolds"]), query)
    }

    /// All pages of a case's operations (polymorphic: see [`CaseOperation::odata_type`]).
    pub fn list_operations(
        &self,
        case_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<CaseOperation>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.url(CASES_PATH, &[case_id, "operations"]), query)
    }

    pub async fn get_operation(
        &self,
        case_id: &str,
        operation_id: &str,
    ) -> Result<Kept<CaseOperation>, GraphError> {
        let url = self.url(CASES_PATH, &[case_id, "operations", operation_id])?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "operation")
    }

    /// POST .../searches/{id}/microsoft.graph.security.estimateStatistics: 202 Accepted with
    /// the operation's URL in `Location`, which is returned (poll it with
    /// [`Client::get_operation_at`]; it survives a dropped session).
    pub async fn estimate_statistics(
        &self,
        case_id: &str,
        search_id: &str,
    ) -> Result<String, GraphError> {
        let url = self.url(
            CASES_PATH,
            &[
                case_id,
                "searches",
                search_id,
                "microsoft.graph.security.estimateStatistics",
            ],
        )?;
        let reply = self
            .execute_reply(Method::POST, &url, None, None, false)
            .await?;
        reply.location.ok_or_else(|| {
            GraphError::decode("estimate reply", "202 Accepted without a Location header")
        })
    }

    /// GET the operation a `Location` header named. Only URLs on the base URL's origin are
    /// followed: the bearer token goes with the request, so a Location on another host (or
    /// scheme, or port) is refused with [`GraphError::BadLocation`].
    pub async fn get_operation_at(
        &self,
        location: &str,
    ) -> Result<Kept<CaseOperation>, GraphError> {
        let url = check_location(self.base(), location)?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "operation")
    }

    // ---- Attack simulation and training (surface.md §8).

    /// All pages of simulations. Graph leaves each simulation's `report` out of the list
    /// unless `$select` names it; [`Client::get_simulation_overview`] is the cheap way to a
    /// row's rates.
    pub fn list_simulations(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<Simulation>>, GraphError>> + Send + Unpin + 'static
    {
        self.list(SIMULATIONS_PATH, query)
    }

    /// One simulation with its `report` (overview and one line per targeted user).
    pub async fn get_simulation(&self, id: &str) -> Result<Kept<Simulation>, GraphError> {
        let url = self.url(SIMULATIONS_PATH, &[id])?;
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "simulation")
    }

    /// Beta `…/simulations/{id}/report/overview`: the overview alone, without the per-user
    /// lines (documented on beta only).
    pub async fn get_simulation_overview(&self, id: &str) -> Result<ReportOverview, GraphError> {
        let url = self.beta_url(SIMULATIONS_PATH, &[id, "report", "overview"])?;
        let body = self.execute(Method::GET, &url, None).await?;
        let text = std::str::from_utf8(&body).map_err(|e| GraphError::decode("overview", e))?;
        super::sims::parse_overview(text).map_err(|e| GraphError::decode("overview", e))
    }

    /// Beta `…/simulations/{id}/report/simulationUsers`: all pages of per-user results.
    pub fn list_simulation_users(
        &self,
        id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<UserSimulationDetails>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(
            self.beta_url(SIMULATIONS_PATH, &[id, "report", "simulationUsers"]),
            query,
        )
    }

    pub fn list_simulation_automations(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<SimulationAutomation>>, GraphError>> + Send + Unpin + 'static
    {
        self.list(AUTOMATIONS_PATH, query)
    }

    pub fn list_automation_runs(
        &self,
        automation_id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<AutomationRun>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(self.url(AUTOMATIONS_PATH, &[automation_id, "runs"]), query)
    }

    pub fn list_trainings(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<Training>>, GraphError>> + Send + Unpin + 'static {
        self.list(TRAININGS_PATH, query)
    }

    /// `/reports/security/getAttackSimulationRepeatOffenders`: users compromised more than
    /// once, all pages.
    pub fn list_repeat_offenders(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<RepeatOffender>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(
            self.url(
                SECURITY_REPORTS_PATH,
                &["getAttackSimulationRepeatOffenders"],
            ),
            query,
        )
    }

    /// `/reports/security/getAttackSimulationSimulationUserCoverage`, all pages.
    pub fn list_simulation_user_coverage(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<SimulationUserCoverage>>, GraphError>>
    + Send
    + Unpin
    + 'static {
        self.list_at(
            self.url(
                SECURITY_REPORTS_PATH,
                &["getAttackSimulationSimulationUserCoverage"],
            ),
            query,
        )
    }

    /// `/reports/security/getAttackSimulationTrainingUserCoverage`, all pages.
    pub fn list_training_user_coverage(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<TrainingUserCoverage>>, GraphError>> + Send + Unpin + 'static
    {
        self.list_at(
            self.url(
                SECURITY_REPORTS_PATH,
                &["getAttackSimulationTrainingUserCoverage"],
            ),
            query,
        )
    }

    // ---- Threat assessment (surface.md §9). Graph allows few POSTs (1 per resource per
    // 15 minutes): a 429 there names a wait the caller should show, not sit through.

    /// All pages of threat assessment requests (newest first, Graph's default order). Ask
    /// for `$expand=results` in `query` to get the verdicts with them.
    pub fn list_assessments(
        &self,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<ThreatAssessmentRequest>>, GraphError>>
    + Send
    + Unpin
    + 'static {
        self.list(ASSESSMENTS_PATH, query)
    }

    /// One request with its results expanded.
    pub async fn get_assessment(
        &self,
        id: &str,
    ) -> Result<Kept<ThreatAssessmentRequest>, GraphError> {
        let mut url = self.url(ASSESSMENTS_PATH, &[id])?;
        url.set_query(Some("$expand=results"));
        let body = self.execute(Method::GET, &url, None).await?;
        parse_kept(&body, "threat assessment request")
    }

    /// All pages of one request's results.
    pub fn list_assessment_results(
        &self,
        id: &str,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<Kept<ThreatAssessmentResult>>, GraphError>>
    + Send
    + Unpin
    + 'static {
        self.list_at(self.url(ASSESSMENTS_PATH, &[id, "results"]), query)
    }

    /// POST a new request: 201 + the request, `pending` until Graph has a verdict. A POST
    /// whose reply was lost is not repeated (it may have landed; Graph would also refuse the
    /// same resource again within 15 minutes).
    pub async fn submit_assessment(
        &self,
        request: &NewAssessment,
    ) -> Result<Kept<ThreatAssessmentRequest>, GraphError> {
        let url = self.url(ASSESSMENTS_PATH, &[])?;
        let body = serde_json::to_vec(request).map_err(|e| GraphError::decode("assessment", e))?;
        let reply = self.execute(Method::POST, &url, Some(body)).await?;
        parse_kept(&reply, "threat assessment request")
    }

    /// All pages of a collection at `first`, with `query` added.
    fn list_at<T>(
        &self,
        first: Result<Url, GraphError>,
        query: &ODataQuery,
    ) -> impl Stream<Item = Result<Page<T>, GraphError>> + Send + Unpin + 'static
    where
        T: FromRaw + Send + 'static,
    {
        let first = first.map(|mut url| {
            let qs = query.to_query_string();
            if !qs.is_empty() {
                url.set_query(Some(&qs));
            }
            url
        });
        super::pager::pages(self.clone(), first)
    }

    /// [`Client::url`] on the beta endpoint: the base URL with its last path segment (the
    /// version, `v1.0`) replaced by `beta`. A base already on beta is used as it is; a base
    /// whose last segment is no version cannot name beta and is refused.
    pub fn beta_url(&self, path: &str, segments: &[&str]) -> Result<Url, GraphError> {
        let mut base = self.inner.base.clone();
        let version = base
            .path_segments()
            .and_then(|mut s| s.rfind(|s| !s.is_empty()).map(str::to_owned));
        let invalid = |reason: &str| GraphError::InvalidEndpoint {
            url: self.inner.base_str.clone(),
            reason: reason.to_owned(),
        };
        match version.as_deref() {
            Some("beta") => {}
            Some(v) if v.eq_ignore_ascii_case("v1.0") => {
                let mut p = base
                    .path_segments_mut()
                    .map_err(|()| invalid("cannot hold a path"))?;
                p.pop_if_empty().pop().push("beta");
            }
            _ => return Err(invalid("no version segment (v1.0) to swap for beta")),
        }
        let mut url = base;
        url.set_query(None);
        url.set_fragment(None);
        for s in segments {
            if s.is_empty() || *s == "." || *s == ".." {
                return Err(GraphError::InvalidId((*s).to_owned()));
            }
        }
        {
            let mut p = url
                .path_segments_mut()
                .map_err(|()| invalid("cannot hold a path"))?;
            p.pop_if_empty();
            p.extend(path.split('/').filter(|s| !s.is_empty()));
            p.extend(segments);
        }
        Ok(url)
    }

    /// `base/path/segment...`, with each segment (e.g. an alert id) percent-encoded.
    fn url(&self, path: &str, segments: &[&str]) -> Result<Url, GraphError> {
        for s in segments {
            if s.is_empty() || *s == "." || *s == ".." {
                return Err(GraphError::InvalidId((*s).to_owned()));
            }
        }
        let mut url = self.inner.base.clone();
        url.set_query(None);
        url.set_fragment(None);
        {
            let mut p = url
                .path_segments_mut()
                .map_err(|()| GraphError::InvalidEndpoint {
                    url: self.inner.base_str.clone(),
                    reason: "cannot hold a path".into(),
                })?;
            p.pop_if_empty();
            p.extend(path.split('/').filter(|s| !s.is_empty()));
            p.extend(segments);
        }
        Ok(url)
    }

    /// Sends one request with retries; returns the body of a 2xx reply.
    pub(super) async fn execute(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, GraphError> {
        // A POST (a new comment) may have been applied when the reply is lost or a 5xx;
        // repeating it could post twice, so it is only retried when the server surely did
        // not act on it: throttled (429/503) or never connected.
        let idempotent = method != Method::POST;
        self.execute_with(method, url, body, None, idempotent).await
    }

    /// [`Client::execute`] with one more `Prefer` preference, and an explicit say on
    /// whether a lost or failed reply may be repeated.
    async fn execute_with(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        prefer: Option<&'static str>,
        idempotent: bool,
    ) -> Result<Vec<u8>, GraphError> {
        self.execute_reply(method, url, body, prefer, idempotent)
            .await
            .map(|r| r.body)
    }

    /// [`Client::execute_with`], keeping the reply's `Location` header.
    async fn execute_reply(
        &self,
        method: Method,
        url: &Url,
        body: Option<Vec<u8>>,
        prefer: Option<&'static str>,
        idempotent: bool,
    ) -> Result<Reply, GraphError> {
        let inner = &*self.inner;
        // One id for all attempts, as the Graph SDKs do, so retries show up together in
        // Graph's logs (and ours).
        let crid = client_request_id();
        let mut budget = RetryBudget::new(inner.max_retries, inner.max_retry_wait);
        let mut reauthed = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let outcome = self
                .attempt(&method, url, body.as_deref(), prefer, &crid, attempt)
                .await?;
            let (cause, give_up) = match outcome {
                Outcome::Done(reply) => return Ok(reply),
                Outcome::Unauthorized(_) if !reauthed => {
                    // A cached token may have expired or been revoked: refresh once.
                    inner.tokens.invalidate();
                    reauthed = true;
                    debug!(method = %method, path = url.path(), "401, retrying with a fresh token");
                    continue;
                }
                Outcome::Unauthorized(err) | Outcome::Fatal(err) => return Err(err),
                Outcome::Throttled { cause, give_up } => (cause, give_up),
                Outcome::Transient { give_up } if idempotent => (RetryCause::Backoff, give_up),
                Outcome::Transient { give_up } => return Err(give_up),
                Outcome::NotConnected { give_up } => (RetryCause::Backoff, give_up),
            };
            let Some(wait) = budget.next_wait(cause, random_u64()) else {
                warn!(method = %method, path = url.path(), attempts = attempt, client_request_id = %crid, error = %give_up, "giving up");
                return Err(give_up);
            };
            warn!(
                method = %method,
                path = url.path(),
                attempts = attempt,
                client_request_id = %crid,
                wait_ms = wait.as_millis() as u64,
                error = %give_up,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }

    /// One HTTP exchange, classified. Takes a token from the request budget first.
    async fn attempt(
        &self,
        method: &Method,
        url: &Url,
        body: Option<&[u8]>,
        prefer: Option<&'static str>,
        crid: &str,
        attempt: u32,
    ) -> Result<Outcome, GraphError> {
        let inner = &*self.inner;
        let ediscovery = is_ediscovery(url);
        if ediscovery {
            self.ediscovery_slot(url).await;
        }
        // Before the access token, so a long wait does not leave it stale.
        let grant = inner.budget.acquire().await;
        if !grant.waited.is_zero() {
            debug!(method = %method, path = url.path(), attempt, client_request_id = %crid, waited_ms = grant.waited.as_millis() as u64, "waited for the request budget");
        }
        let token = inner.tokens.token().await?;
        let mut req = inner
            .http
            .request(method.clone(), url.clone())
            .header(ACCEPT, "application/json")
            .header("Prefer", "include-unknown-enum-members")
            .header("client-request-id", crid);
        if let Some(p) = prefer {
            req = req.header("Prefer", p);
        }
        if !token.is_empty() {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| AuthError::InvalidToken)?;
            value.set_sensitive(true);
            req = req.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            req = req
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_vec());
        }
        let resp = match req.send().await {
            Ok(resp) => resp,
            Err(e) => {
                debug!(method = %method, path = url.path(), attempt, client_request_id = %crid, error = %crate::sanitize::line(&error_chain(&e)), "request failed");
                return Ok(classify_send_error(&e, url));
            }
        };
        let status = resp.status();
        let request_id = header_str(resp.headers(), "request-id").map(str::to_owned);
        let retry_after = header_str(resp.headers(), RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()));
        debug!(
            method = %method,
            path = url.path(),
            status = status.as_u16(),
            attempt,
            client_request_id = %crid,
            request_id = request_id.as_deref().unwrap_or("-"),
            "graph reply"
        );
        if status.is_success() {
            let location = header_str(resp.headers(), "location").map(str::to_owned);
            return Ok(match read_body(resp, MAX_BODY_BYTES).await {
                Ok(body) => Outcome::Done(Reply { body, location }),
                Err(BodyError::TooLarge) => Outcome::Fatal(GraphError::TooLarge {
                    limit: MAX_BODY_BYTES,
                }),
                Err(BodyError::Read(e)) => classify_read_error(&e),
            });
        }
        // The body of an error reply only explains it; failing to read it changes nothing.
        let bytes = read_body(resp, MAX_ERROR_BODY_BYTES)
            .await
            .unwrap_or_default();
        let err = api_error(status.as_u16(), request_id.as_deref(), &bytes);
        if status == StatusCode::TOO_MANY_REQUESTS && ediscovery {
            // eDiscovery's own limit (5 a minute), not the app's whole budget: nothing
            // else goes there until Retry-After (a minute when Graph gives none).
            self.ediscovery_window().throttled(
                Instant::now(),
                retry_after.unwrap_or(Duration::from_secs(60)),
            );
            self.keep_ediscovery_state();
        } else if status == StatusCode::TOO_MANY_REQUESTS {
            // Someone else (another app instance, another tool) is using the budget too.
            inner.budget.throttled(&grant);
        }
        Ok(match status {
            StatusCode::UNAUTHORIZED => Outcome::Unauthorized(err),
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => {
                let give_up = if status == StatusCode::TOO_MANY_REQUESTS {
                    GraphError::Throttled { retry_after }
                } else {
                    err
                };
                Outcome::Throttled {
                    cause: retry_after.map_or(RetryCause::Backoff, RetryCause::RetryAfter),
                    give_up,
                }
            }
            // 501 and 505 will not change on a retry; other 5xx and 408 may.
            StatusCode::NOT_IMPLEMENTED | StatusCode::HTTP_VERSION_NOT_SUPPORTED => {
                Outcome::Fatal(err)
            }
            s if s.is_server_error() || s == StatusCode::REQUEST_TIMEOUT => {
                Outcome::Transient { give_up: err }
            }
            _ => Outcome::Fatal(err),
        })
    }
}

/// The eDiscovery window, with what an earlier process kept in `ediscovery_state`.
fn restored_window(config: &ClientConfig) -> RequestWindow {
    let mut w = RequestWindow::new(config.ediscovery_limit.0, config.ediscovery_limit.1);
    if let Some(path) = &config.ediscovery_state
        && let Ok(bytes) = std::fs::read(path)
        && let Ok(state) = serde_json::from_slice::<super::window::WindowState>(&bytes)
    {
        w.restore(&state, Instant::now());
    }
    w
}

/// Whether `url` is under `security/cases` (eDiscovery, with its own 5-a-minute limit), on
/// v1.0 or beta.
fn is_ediscovery(url: &Url) -> bool {
    url.path().to_ascii_lowercase().contains("/security/cases/")
}

/// A 2xx reply: its body and, for long-running actions, its `Location`.
struct Reply {
    body: Vec<u8>,
    location: Option<String>,
}

/// What one attempt came to.
enum Outcome {
    Done(Reply),
    Unauthorized(GraphError),
    /// 429/503: the server did not act on the request.
    Throttled {
        cause: RetryCause,
        give_up: GraphError,
    },
    /// The connection was never made, so nothing was sent: safe to retry any method.
    NotConnected {
        give_up: GraphError,
    },
    /// Timeouts, resets, other 5xx: retried only when repeating the request is harmless.
    Transient {
        give_up: GraphError,
    },
    Fatal(GraphError),
}

fn classify_send_error(e: &reqwest::Error, url: &Url) -> Outcome {
    if let Some(problem) = TlsProblem::find(e) {
        // The same certificate would be met again: no retry. The full chain goes to the
        // log; the analyst gets one line naming the host.
        let host = match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_owned(),
            (None, _) => String::new(),
        };
        warn!(host = %crate::sanitize::line(&host), error = %crate::sanitize::line(&error_chain(e)), "TLS handshake failed");
        return Outcome::Fatal(GraphError::Tls { host, problem });
    }
    if e.is_connect() {
        // A connect timeout is still "never connected": safe to repeat, reported as a timeout.
        let give_up = if e.is_timeout() {
            GraphError::Timeout
        } else {
            GraphError::Transport(error_chain(e))
        };
        Outcome::NotConnected { give_up }
    } else if e.is_timeout() {
        Outcome::Transient {
            give_up: GraphError::Timeout,
        }
    } else if e.is_builder() {
        Outcome::Fatal(GraphError::Transport(error_chain(e)))
    } else {
        Outcome::Transient {
            give_up: GraphError::Transport(error_chain(e)),
        }
    }
}

fn classify_read_error(e: &reqwest::Error) -> Outcome {
    if e.is_timeout() {
        Outcome::Transient {
            give_up: GraphError::Timeout,
        }
    } else if e.is_decode() {
        // gzip that does not inflate: the server sent garbage, a retry will not fix it.
        Outcome::Fatal(GraphError::decode("reply", error_chain(e)))
    } else {
        Outcome::Transient {
            give_up: GraphError::Transport(error_chain(e)),
        }
    }
}

enum BodyError {
    TooLarge,
    Read(reqwest::Error),
}

/// Reads a body into one buffer, refusing more than `limit` bytes. When the length is known
/// the buffer is allocated once; a body read in one piece is not copied at all.
async fn read_body(mut resp: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    match resp.content_length() {
        Some(n) if n > limit as u64 => return Err(BodyError::TooLarge),
        // hyper enforces Content-Length, so the whole body is at most `n` bytes.
        Some(_) => return resp.bytes().await.map(Into::into).map_err(BodyError::Read),
        None => {}
    }
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(BodyError::Read)? {
        if out.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        if out.is_empty() && out.capacity() == 0 {
            out = Vec::with_capacity(chunk.len().max(16 * 1024));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

fn parse_alert(body: &[u8]) -> Result<Alert, GraphError> {
    let text = std::str::from_utf8(body).map_err(|e| GraphError::decode("alert", e))?;
    Alert::from_json(text).map_err(|e| GraphError::decode("alert", e))
}

fn parse_incident(body: &[u8]) -> Result<Incident, GraphError> {
    let text = std::str::from_utf8(body).map_err(|e| GraphError::decode("incident", e))?;
    Incident::from_json(text).map_err(|e| GraphError::decode("incident", e))
}

fn parse_control_profile(body: &[u8]) -> Result<SecureScoreControlProfile, GraphError> {
    let text = std::str::from_utf8(body).map_err(|e| GraphError::decode("control profile", e))?;
    SecureScoreControlProfile::from_json(text).map_err(|e| GraphError::decode("control profile", e))
}

fn parse_kept<T>(body: &[u8], what: &str) -> Result<Kept<T>, GraphError>
where
    T: for<'de> serde::Deserialize<'de> + HasId,
{
    let text = std::str::from_utf8(body).map_err(|e| GraphError::decode(what, e))?;
    Kept::from_json(text).map_err(|e| GraphError::decode(what, e))
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// An error and its causes on one line ("error sending request: tcp connect error: Connection
/// refused"), without the URL (which the caller logs separately).
fn error_chain(e: &reqwest::Error) -> String {
    let mut out = String::new();
    let mut cur: Option<&dyn std::error::Error> = Some(e);
    let mut first = true;
    while let Some(err) = cur {
        let mut text = err.to_string();
        if first {
            // reqwest appends " for url (...)" to its own message; the caller has the path.
            if let Some(i) = text.find(" for url (") {
                text.truncate(i);
            }
            first = false;
        }
        if !out.contains(&text) {
            if !out.is_empty() {
                out.push_str(": ");
            }
            out.push_str(&text);
        }
        cur = err.source();
    }
    out
}

/// Parses and vets a base URL: https anywhere, http only on loopback.
pub fn check_endpoint(base_url: &str) -> Result<Url, GraphError> {
    let invalid = |reason: &str| GraphError::InvalidEndpoint {
        url: base_url.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(base_url.trim()).map_err(|e| invalid(&e.to_string()))?;
    if url.host().is_none() {
        return Err(invalid("no host"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(GraphError::InsecureEndpoint(base_url.to_owned())),
        other => Err(invalid(&format!("unsupported scheme {other}"))),
    }
}

/// 127.0.0.0/8, ::1 (also as an IPv4-mapped address) and `localhost`.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.');
            d.eq_ignore_ascii_case("localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).to_canonical().is_loopback(),
        None => false,
    }
}

/// Accepts an `@odata.nextLink` only when it is an absolute URL on the base URL's origin
/// (scheme, host and port), since the bearer token goes with it.
pub fn check_next_link(base: &Url, link: &str) -> Result<Url, GraphError> {
    let bad = || GraphError::BadNextLink(link.to_owned());
    let next = Url::parse(link).map_err(|_| bad())?;
    let same_origin = next.scheme() == base.scheme()
        && next.host() == base.host()
        && next.port_or_known_default() == base.port_or_known_default();
    if same_origin { Ok(next) } else { Err(bad()) }
}

/// Accepts a `Location` (of a long-running operation) only when it is an absolute URL on
/// the base URL's origin, since the bearer token goes with it.
pub fn check_location(base: &Url, location: &str) -> Result<Url, GraphError> {
    check_next_link(base, location).map_err(|_| GraphError::BadLocation(location.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::auth::StaticToken;

    #[test]
    fn only_ediscovery_paths_take_the_ediscovery_window() {
        let url = |p: &str| Url::parse(&format!("https://graph.microsoft.com{p}")).unwrap();
        assert!(is_ediscovery(&url("/v1.0/security/cases/ediscoveryCases")));
        assert!(is_ediscovery(&url(
            "/beta/security/cases/ediscoveryCases('c')/legalHolds"
        )));
        assert!(is_ediscovery(&url(
            "/v1.0/Security/Cases/eDiscoverycases/c"
        )));
        assert!(!is_ediscovery(&url("/v1.0/security/secureScores")));
        assert!(!is_ediscovery(&url("/v1.0/security/alerts_v2")));
        assert!(!is_ediscovery(&url("/v1.0/security/incidents/cases")));
    }

    fn client(base: &str) -> Result<Client, GraphError> {
        Client::new(ClientConfig::new(base), Arc::new(StaticToken::new("t")))
    }

    #[test]
    fn https_anywhere_http_only_on_loopback() {
        for ok in [
            DEFAULT_BASE_URL,
            "http://127.0.0.1:8080/v1.0",
            "http://127.9.9.9/v1.0",
            "http://localhost:1/v1.0",
            "http://LOCALHOST./v1.0",
            "http://[::1]:5000/v1.0",
            "http://[::ffff:127.0.0.1]:5000/v1.0",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for insecure in [
            "http://graph.microsoft.com/v1.0",
            "http://10.0.0.1/v1.0",
            "http://localhost.evil.com/v1.0",
            "http://128.0.0.1/v1.0",
            "http://[::2]/v1.0",
        ] {
            assert!(
                matches!(
                    check_endpoint(insecure),
                    Err(GraphError::InsecureEndpoint(_))
                ),
                "{insecure}"
            );
        }
        for invalid in [
            "",
            "graph.microsoft.com",
            "ftp://x/v1.0",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(
                    check_endpoint(invalid),
                    Err(GraphError::InvalidEndpoint { .. })
                ),
                "{invalid}"
            );
        }
    }

    #[test]
    fn client_new_refuses_insecure_and_normalises_base() {
        assert!(matches!(
            client("http://example.com/v1.0"),
            Err(GraphError::InsecureEndpoint(_))
        ));
        let c = client("http://127.0.0.1:9/v1.0/").expect("loopback http is allowed");
        assert_eq!(c.base_url(), "http://127.0.0.1:9/v1.0");
        assert!(!format!("{c:?}").contains("Bearer"));
    }

    #[test]
    fn urls_encode_ids_and_refuse_empty_ones() {
        let c = client("https://graph.microsoft.com/v1.0/").expect("client");
        let u = c.url(ALERTS_PATH, &["da6_-96", "comments"]).expect("url");
        assert_eq!(
            u.as_str(),
            "https://graph.microsoft.com/v1.0/security/alerts_v2/da6_-96/comments"
        );
        let u = c.url(ALERTS_PATH, &["a/b?c#d e"]).expect("url");
        assert_eq!(
            u.as_str(),
            "https://graph.microsoft.com/v1.0/security/alerts_v2/a%2Fb%3Fc%23d%20e"
        );
        for bad in ["", ".", ".."] {
            assert!(matches!(
                c.url(ALERTS_PATH, &[bad]),
                Err(GraphError::InvalidId(_))
            ));
        }
    }

    #[test]
    fn beta_is_the_base_with_its_version_swapped() {
        let c = client("https://graph.microsoft.com/v1.0/").expect("client");
        assert_eq!(
            c.beta_url(CASES_PATH, &["c 1", "legalHolds"])
                .expect("url")
                .as_str(),
            "https://graph.microsoft.com/beta/security/cases/ediscoveryCases/c%201/legalHolds"
        );
        let local = client("http://127.0.0.1:9/v1.0").expect("client");
        assert_eq!(
            local.beta_url(CASES_PATH, &[]).expect("url").as_str(),
            "http://127.0.0.1:9/beta/security/cases/ediscoveryCases"
        );
        let beta = client("https://graph.microsoft.com/beta").expect("client");
        assert!(beta.beta_url(CASES_PATH, &[]).is_ok());
        let odd = client("https://proxy.example/graph").expect("client");
        assert!(matches!(
            odd.beta_url(CASES_PATH, &[]),
            Err(GraphError::InvalidEndpoint { .. })
        ));
        assert!(matches!(
            c.beta_url(CASES_PATH, &[".."]),
            Err(GraphError::InvalidId(_))
        ));
    }

    #[test]
    fn operation_locations_must_stay_on_origin() {
        let base = Url::parse("https://graph.microsoft.com/v1.0").expect("url");
        let ok =
            "https://graph.microsoft.com/v1.0/security/cases/ediscoveryCases('a')/operations('b')";
        assert!(check_location(&base, ok).is_ok());
        for bad in [
            "https://evil.example/v1.0/security/cases/ediscoveryCases('a')/operations('b')",
            "http://graph.microsoft.com/v1.0/x",
            "/v1.0/security/cases/ediscoveryCases('a')/operations('b')",
            "",
        ] {
            assert!(
                matches!(check_location(&base, bad), Err(GraphError::BadLocation(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn next_link_must_stay_on_origin() {
        let base = Url::parse("https://graph.microsoft.com/v1.0").expect("url");
        let ok = "https://graph.microsoft.com/v1.0/security/alerts_v2?$skiptoken=abc";
        assert_eq!(
            check_next_link(&base, ok).map(String::from).ok().as_deref(),
            Some(ok)
        );
        // An explicit default port is the same origin.
        assert!(check_next_link(&base, "https://graph.microsoft.com:443/beta/x").is_ok());
        for bad in [
            "testskiptoken=test_token",
            "/v1.0/security/alerts_v2?$skip=10",
            "http://graph.microsoft.com/v1.0/security/alerts_v2",
            "https://graph.microsoft.com.evil.com/v1.0/x",
            "https://evil.com/v1.0/security/alerts_v2",
            "https://graph.microsoft.com:8443/v1.0/x",
            "",
        ] {
            assert!(
                matches!(check_next_link(&base, bad), Err(GraphError::BadNextLink(_))),
                "{bad}"
            );
        }
        let local = Url::parse("http://127.0.0.1:8080/v1.0").expect("url");
        assert!(check_next_link(&local, "http://127.0.0.1:8080/v1.0/x?$skip=5").is_ok());
        assert!(check_next_link(&local, "http://127.0.0.1:8081/v1.0/x").is_err());
        assert!(check_next_link(&local, "http://localhost:8080/v1.0/x").is_err());
    }
}
