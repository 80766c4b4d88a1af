//! The emulator's identity platform: the Microsoft identity platform v2.0 endpoints a
//! Graph client signs in with, served under the emulator's own address so a profile's
//! `login_endpoint` can point at it.
//!
//! - `POST /{tenant}/oauth2/v2.0/devicecode` starts a device code sign-in;
//! - `POST /{tenant}/oauth2/v2.0/token` redeems a device code, a client credential (secret
//!   or certificate assertion) or a refresh token;
//! - `GET /devicelogin` is the verification page: `?user_code=CODE` signs the code in as
//!   [`SIGNED_IN_USER`] (`&decline=1` declines it), so scripts complete the flow.
//!
//! Errors have the shape of Entra ID's (`error`, `error_description` starting with an
//! AADSTS code, `error_codes`, `timestamp`, `trace_id`, `correlation_id`). Access tokens are
//! RS256 JWTs signed by the emulator's key; Graph routes accept those (while unexpired) and
//! opaque tokens, and refuse any other JWT (see [`check_graph_token`]).
//!
//! The registered apps and both keys are fixed, so every emulator is the same: the keys
//! in `assets/emulator/identity/` are test keys published with the source and grant
//! nothing anywhere else.

use super::auth::DEMO_IDENTITY;
use super::generate::mix64;
use super::json::fmt_time;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::{Path as FsPath, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// The public client registered for device code sign-in ("Allow public client flows" on).
pub const PUBLIC_CLIENT_ID: &str = "3f0c2a5e-7d41-4b8e-9a16-5c2e0d8b1a01";
/// A confidential client that signs in with [`CONFIDENTIAL_CLIENT_SECRET`]. Public client
/// flows are off for it, so device code with this id fails as Entra ID does (AADSTS7000218).
pub const CONFIDENTIAL_CLIENT_ID: &str = "3f0c2a5e-7d41-4b8e-9a16-5c2e0d8b1a02";
/// The secret of [`CONFIDENTIAL_CLIENT_ID`].
pub const CONFIDENTIAL_CLIENT_SECRET: &str = "emulator~secret.Q8wRk2Vd7";
/// A confidential client that signs in with the certificate [`APP_CERTIFICATE_PEM`].
pub const CERTIFICATE_CLIENT_ID: &str = "3f0c2a5e-7d41-4b8e-9a16-5c2e0d8b1a03";
/// The certificate registered for [`CERTIFICATE_CLIENT_ID`].
pub const APP_CERTIFICATE_PEM: &str = include_str!("../../assets/emulator/identity/app-cert.pem");
/// The private key of [`APP_CERTIFICATE_PEM`] (PKCS#8), for clients of the emulator.
pub const APP_PRIVATE_KEY_PEM: &str = include_str!("../../assets/emulator/identity/app-key.pem");
const APP_PUBLIC_KEY_PEM: &str = include_str!("../../assets/emulator/identity/app-public.pem");
const SIGNING_KEY_PEM: &str = include_str!("../../assets/emulator/identity/signing-key.pem");
const SIGNING_PUBLIC_KEY_PEM: &str =
    include_str!("../../assets/emulator/identity/signing-public.pem");
/// `kid` of the emulator's signing key.
const SIGNING_KEY_ID: &str = "graphsec-emulator-1";

/// Who signs in on the verification page.
pub const SIGNED_IN_USER: &str = DEMO_IDENTITY;
/// The audience of every access token the emulator issues.
pub const GRAPH_AUDIENCE: &str = "https://graph.microsoft.com";
/// Path of the verification page.
pub const DEVICE_LOGIN_PATH: &str = "/devicelogin";
/// How long a device code stays usable, in seconds.
pub const DEVICE_CODE_SECONDS: u64 = 900;
/// Access token lifetime when none is configured.
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);
/// `grant_type` values.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// `client_assertion_type` for a certificate assertion.
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Delegated permissions the public client has consent for.
const DELEGATED_SCOPES: &[&str] = &[
    "SecurityAlert.ReadWrite.All",
    "SecurityIncident.ReadWrite.All",
    "User.Read",
];
/// Application permissions of the secret app.
const SECRET_APP_ROLES: &[&str] = &[
    "SecurityAlert.ReadWrite.All",
    "SecurityIncident.ReadWrite.All",
];
/// Application permissions of the certificate app: read only, and no incidents.
const CERT_APP_ROLES: &[&str] = &["SecurityAlert.Read.All"];

/// How the identity endpoints behave; every field can be changed while the emulator runs
/// with [`Identity::set_config`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityConfig {
    /// Polls of a device code answered `authorization_pending` before the user signs in
    /// by themselves; `None` waits for the verification page.
    pub pending_polls: Option<u32>,
    /// The first poll of each device code answers `slow_down`.
    pub slow_down_once: bool,
    /// Every device code has expired when it is polled (`expired_token`).
    pub expire_codes: bool,
    /// The user declines every sign-in (`authorization_declined`).
    pub decline: bool,
    /// No client is known to the tenant: every request answers `invalid_client`
    /// (AADSTS700016).
    pub invalid_client: bool,
    /// Lifetime of the access tokens issued.
    pub token_lifetime: Duration,
    /// The polling interval handed out with a device code, in seconds.
    pub interval: u64,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            pending_polls: None,
            slow_down_once: false,
            expire_codes: false,
            decline: false,
            invalid_client: false,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            interval: 5,
        }
    }
}

/// What the identity endpoints have done, for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IdentityStats {
    pub device_codes: u64,
    /// Device code polls, whatever they answered.
    pub polls: u64,
    pub access_tokens: u64,
    /// Refresh token redemptions that issued a token.
    pub refreshes: u64,
}

/// The identity platform's state. Shared by the router and [`super::RunningEmulator`].
pub struct Identity {
    config: Mutex<IdentityConfig>,
    tenant_id: String,
    seed: u64,
    seq: AtomicU64,
    state: Mutex<IdState>,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("tenant_id", &self.tenant_id)
            .finish_non_exhaustive()
    }
}

#[derive(Default)]
struct IdState {
    codes: HashMap<String, DeviceCode>,
    refresh: HashMap<String, Grant>,
    assertion_ids: HashSet<String>,
    stats: IdentityStats,
}

struct DeviceCode {
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    expires: Instant,
    polls: u32,
    slowed: bool,
    status: CodeStatus,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CodeStatus {
    Pending,
    SignedIn,
    Declined,
    Redeemed,
}

#[derive(Clone)]
struct Grant {
    client_id: String,
    scopes: Vec<String>,
}

impl Identity {
    pub fn new(tenant_id: String, seed: u64, config: IdentityConfig) -> Identity {
        Identity {
            config: Mutex::new(config),
            tenant_id,
            seed,
            seq: AtomicU64::new(0),
            state: Mutex::new(IdState::default()),
        }
    }

    pub fn config(&self) -> IdentityConfig {
        lock(&self.config).clone()
    }

    pub fn set_config(&self, config: IdentityConfig) {
        *lock(&self.config) = config;
    }

    /// The tenant id the endpoints accept (besides `organizations` and `common`).
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    pub fn stats(&self) -> IdentityStats {
        lock(&self.state).stats
    }

    /// Signs a pending, unexpired device code in (as the verification page does). False
    /// when no such code is waiting.
    pub fn sign_in(&self, user_code: &str) -> bool {
        self.settle(user_code, false)
    }

    /// Declines a pending device code. False when no such code is waiting.
    pub fn decline(&self, user_code: &str) -> bool {
        self.settle(user_code, true)
    }

    /// Forgets every refresh token, as a password reset or a revoked session would.
    pub fn revoke_refresh_tokens(&self) {
        lock(&self.state).refresh.clear();
    }

    fn settle(&self, user_code: &str, decline: bool) -> bool {
        let decline = decline || self.config().decline;
        let wanted = normalise_user_code(user_code);
        let now = Instant::now();
        let mut st = lock(&self.state);
        let code = st
            .codes
            .values_mut()
            .find(|c| c.user_code == wanted && c.status == CodeStatus::Pending && c.expires > now);
        match code {
            Some(c) => {
                c.status = if decline {
                    CodeStatus::Declined
                } else {
                    CodeStatus::SignedIn
                };
                true
            }
            None => false,
        }
    }

    fn next(&self) -> u64 {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        mix64(self.seed ^ 0x1d_e7_17 ^ n.rotate_left(17))
    }

    fn guid(&self) -> String {
        guid(self.next(), self.next())
    }

    fn opaque(&self, prefix: &str) -> String {
        let mut s = String::from(prefix);
        for _ in 0..4 {
            s.push_str(&format!("{:016x}", self.next()));
        }
        s
    }

    fn user_code(&self) -> String {
        // Entra ID's codes: 9 characters, no look-alikes.
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        let mut h = self.next();
        (0..9)
            .map(|_| {
                let c = ALPHABET[(h % ALPHABET.len() as u64) as usize] as char;
                h /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    fn tenant_known(&self, tenant: &str) -> bool {
        tenant.eq_ignore_ascii_case(&self.tenant_id)
            || tenant.eq_ignore_ascii_case("organizations")
            || tenant.eq_ignore_ascii_case("common")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn guid(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 52) & 0xfff,
        b & 0xffff_ffff_ffff
    )
}

fn normalise_user_code(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(32)
        .collect()
}

/// The registered apps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum App {
    Public,
    Secret,
    Certificate,
}

impl App {
    fn find(client_id: &str) -> Option<App> {
        match client_id.trim().to_ascii_lowercase().as_str() {
            PUBLIC_CLIENT_ID => Some(App::Public),
            CONFIDENTIAL_CLIENT_ID => Some(App::Secret),
            CERTIFICATE_CLIENT_ID => Some(App::Certificate),
            _ => None,
        }
    }

    fn id(self) -> &'static str {
        match self {
            App::Public => PUBLIC_CLIENT_ID,
            App::Secret => CONFIDENTIAL_CLIENT_ID,
            App::Certificate => CERTIFICATE_CLIENT_ID,
        }
    }

    fn roles(self) -> &'static [&'static str] {
        match self {
            App::Public => &[],
            App::Secret => SECRET_APP_ROLES,
            App::Certificate => CERT_APP_ROLES,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Tokens

/// The claims of an access token the emulator issues.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessClaims {
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub tid: String,
    pub oid: String,
    pub sub: String,
    pub appid: String,
    pub ver: String,
    pub uti: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Delegated permissions, space separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scp: Option<String>,
    /// Application permissions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idtyp: Option<String>,
}

static SIGNING_KEY: LazyLock<EncodingKey> = LazyLock::new(|| {
    EncodingKey::from_rsa_pem(SIGNING_KEY_PEM.as_bytes()).expect("the embedded signing key")
});
static VERIFYING_KEY: LazyLock<DecodingKey> = LazyLock::new(|| {
    DecodingKey::from_rsa_pem(SIGNING_PUBLIC_KEY_PEM.as_bytes()).expect("the embedded public key")
});
static APP_PUBLIC_KEY: LazyLock<DecodingKey> = LazyLock::new(|| {
    DecodingKey::from_rsa_pem(APP_PUBLIC_KEY_PEM.as_bytes()).expect("the embedded app key")
});

/// A stable object id for a user name or app id.
fn object_id(seed_label: &str) -> String {
    let mut h = mix64(0x0b1d);
    for b in seed_label.bytes() {
        h = mix64(h ^ u64::from(b));
    }
    guid(h, mix64(h))
}

fn issuer(tenant: &str) -> String {
    format!("https://sts.windows.net/{tenant}/")
}

/// Signs claims with the emulator's key (RS256, `kid` set).
pub fn sign(claims: &AccessClaims) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(SIGNING_KEY_ID.to_owned());
    jsonwebtoken::encode(&header, claims, &SIGNING_KEY).expect("RS256 signing with a valid key")
}

/// A delegated access token for `upn`, signed by the emulator and valid for `lifetime`,
/// with the public client's permissions. For tests and `--demo`: any emulator accepts it.
pub fn user_token(upn: &str, lifetime: Duration) -> String {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let tenant = super::generate::tenant_id(super::DEFAULT_SEED);
    sign(&AccessClaims {
        aud: GRAPH_AUDIENCE.to_owned(),
        iss: issuer(&tenant),
        iat: now,
        nbf: now,
        exp: now + lifetime.as_secs() as i64,
        tid: tenant,
        oid: object_id(upn),
        sub: object_id(upn),
        appid: PUBLIC_CLIENT_ID.to_owned(),
        ver: "1.0".to_owned(),
        uti: object_id(&format!("{upn}{now}")),
        upn: Some(upn.to_owned()),
        name: None,
        scp: Some(DELEGATED_SCOPES.join(" ")),
        roles: Vec::new(),
        idtyp: Some("user".to_owned()),
    })
}

/// Why Graph refuses a bearer token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Expired,
    /// Not signed by the emulator, another audience, or not a readable JWT.
    Invalid,
}

impl TokenRejection {
    /// Graph's message for it.
    pub fn message(&self) -> &'static str {
        match self {
            TokenRejection::Expired => "Lifetime validation failed, the token is expired.",
            TokenRejection::Invalid => {
                "Access token validation failure. Invalid audience or signature."
            }
        }
    }
}

/// Checks a bearer token on a Graph route: an opaque token (not a JWT) is accepted as it
/// always was (scripts use one); a JWT must be signed by the emulator, be for Graph, and be
/// unexpired.
pub fn check_graph_token(token: &str) -> Result<(), TokenRejection> {
    if !looks_like_jwt(token) {
        return Ok(());
    }
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[GRAPH_AUDIENCE]);
    v.leeway = 0;
    v.validate_nbf = true;
    match jsonwebtoken::decode::<AccessClaims>(token, &VERIFYING_KEY, &v) {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.kind(), jsonwebtoken::errors::ErrorKind::ExpiredSignature) => {
            Err(TokenRejection::Expired)
        }
        Err(_) => Err(TokenRejection::Invalid),
    }
}

/// Three dot-separated parts whose first decodes to a JSON object: what a JWS looks like.
fn looks_like_jwt(token: &str) -> bool {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|v| v.is_object())
}

/// The DER bytes of the first PEM block labelled `label`.
pub fn pem_der(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

/// base64url(SHA-256(DER)) of a PEM certificate: the `x5t#S256` header value.
pub fn thumbprint_s256(cert_pem: &str) -> Option<String> {
    let der = pem_der(cert_pem, "CERTIFICATE")?;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
    Some(URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

/// Writes the certificate app's PEM files into `dir` (`app-cert.pem`, and `app-key.pem`
/// readable by the owner only), creating it; returns (certificate, key) paths.
pub fn write_app_certificate(dir: &FsPath) -> std::io::Result<(PathBuf, PathBuf)> {
    std::fs::create_dir_all(dir)?;
    let cert = dir.join("app-cert.pem");
    let key = dir.join("app-key.pem");
    std::fs::write(&cert, APP_CERTIFICATE_PEM)?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    std::io::Write::write_all(&mut opts.open(&key)?, APP_PRIVATE_KEY_PEM.as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok((cert, key))
}

// ---------------------------------------------------------------------------------------
// Errors

/// An error as the token and device code endpoints give it.
#[derive(Debug, Clone)]
pub struct AadError {
    pub status: StatusCode,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

impl AadError {
    fn new(
        status: StatusCode,
        error: &'static str,
        code: u32,
        description: impl Into<String>,
    ) -> Self {
        AadError {
            status,
            error,
            code,
            description: description.into(),
        }
    }

    fn bad(error: &'static str, code: u32, description: impl Into<String>) -> Self {
        AadError::new(StatusCode::BAD_REQUEST, error, code, description)
    }

    fn missing(param: &str) -> Self {
        AadError::bad(
            "invalid_request",
            900144,
            format!("The request body must contain the following parameter: '{param}'."),
        )
    }

    fn app_not_found(client_id: &str, tenant: &str) -> Self {
        AadError::bad(
            "invalid_client",
            700016,
            format!(
                "Application with identifier '{}' was not found in the directory '{tenant}'. \
                 This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant.",
                clean(client_id)
            ),
        )
    }

    fn bad_assertion(why: &str) -> Self {
        AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            700027,
            format!("Client assertion failed signature validation. {why}"),
        )
    }

    fn render(&self, id: &Identity, correlation: Option<String>) -> Response {
        let now = OffsetDateTime::now_utc();
        let stamp = format!("{} {}Z", &fmt_time(now)[..10], &fmt_time(now)[11..19]);
        let trace = id.guid();
        let correlation = correlation.unwrap_or_else(|| id.guid());
        let body = serde_json::json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\nTimestamp: {stamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        json_reply(self.status, &body)
    }
}

/// At most 64 characters a caller sent, plain, for quoting in an error.
fn clean(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '@'))
        .take(64)
        .collect()
}

fn json_reply(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("no-store, no-cache"),
    );
    r
}

// ---------------------------------------------------------------------------------------
// Routes

struct Ctx {
    identity: Arc<Identity>,
    local: SocketAddr,
    /// `http`, or `https` when the emulator serves TLS (for the links it hands out).
    scheme: &'static str,
}

/// The identity routes, with their own state (merged beside the Graph routes, outside
/// Graph's bearer check and fault injection).
pub fn router(identity: Arc<Identity>, local: SocketAddr, scheme: &'static str) -> Router {
    let ctx = Arc::new(Ctx {
        identity,
        local,
        scheme,
    });
    Router::new()
        .route("/{tenant}/oauth2/v2.0/devicecode", post(devicecode))
        .route("/{tenant}/oauth2/v2.0/token", post(token))
        .route(DEVICE_LOGIN_PATH, get(device_login))
        .with_state(ctx)
}

fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn correlation(headers: &HeaderMap) -> Option<String> {
    headers
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() == 36 && v.chars().all(|c| c.is_ascii_hexdigit() || c == '-'))
        .map(str::to_owned)
}

fn origin(headers: &HeaderMap, ctx: &Ctx) -> String {
    super::server::origin(headers, ctx.local, ctx.scheme)
}

async fn devicecode(
    State(ctx): State<Arc<Ctx>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = &ctx.identity;
    match start_device_code(&ctx, &tenant, &headers, &form(&body)) {
        Ok(v) => json_reply(StatusCode::OK, &v),
        Err(e) => e.render(id, correlation(&headers)),
    }
}

fn start_device_code(
    ctx: &Ctx,
    tenant: &str,
    headers: &HeaderMap,
    f: &HashMap<String, String>,
) -> Result<serde_json::Value, AadError> {
    let id = &ctx.identity;
    let config = id.config();
    check_tenant(id, tenant)?;
    let client_id = f
        .get("client_id")
        .ok_or_else(|| AadError::missing("client_id"))?;
    if config.invalid_client || App::find(client_id).is_none() {
        return Err(AadError::app_not_found(client_id, tenant));
    }
    let scope = f.get("scope").ok_or_else(|| AadError::missing("scope"))?;
    let scopes: Vec<String> = scope.split_whitespace().map(str::to_owned).collect();
    if scopes.is_empty() {
        return Err(AadError::missing("scope"));
    }
    let device_code = id.opaque("DAQABAAEAAA.");
    let user_code = id.user_code();
    let uri = format!("{}{DEVICE_LOGIN_PATH}", origin(headers, ctx));
    let mut st = lock(&id.state);
    st.stats.device_codes += 1;
    forget_expired(&mut st, Instant::now());
    st.codes.insert(
        device_code.clone(),
        DeviceCode {
            user_code: user_code.clone(),
            client_id: client_id.trim().to_ascii_lowercase(),
            scopes,
            expires: Instant::now() + Duration::from_secs(DEVICE_CODE_SECONDS),
            polls: 0,
            slowed: false,
            status: CodeStatus::Pending,
        },
    );
    Ok(serde_json::json!({
        "user_code": user_code,
        "device_code": device_code,
        "verification_uri": uri,
        "expires_in": DEVICE_CODE_SECONDS,
        "interval": config.interval,
        "message": format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
        ),
    }))
}

/// Drops device codes past their lifetime, so a long-running emulator does not grow with
/// every sign-in started. (An expired code then answers `invalid_grant` rather than
/// `expired_token`, as Entra ID does once it has forgotten a code.)
fn forget_expired(st: &mut IdState, now: Instant) {
    st.codes.retain(|_, c| c.expires > now);
}

fn check_tenant(id: &Identity, tenant: &str) -> Result<(), AadError> {
    if id.tenant_known(tenant) {
        return Ok(());
    }
    Err(AadError::bad(
        "invalid_request",
        90002,
        format!(
            "Tenant '{}' not found. Check to make sure you have the correct tenant ID and are \
             signing into the correct cloud.",
            clean(tenant)
        ),
    ))
}

async fn token(
    State(ctx): State<Arc<Ctx>>,
    Path(tenant): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let id = &ctx.identity;
    let f = form(&body);
    let endpoint = format!("{}/{tenant}/oauth2/v2.0/token", origin(&headers, &ctx));
    match redeem(id, &tenant, &endpoint, &f) {
        Ok(v) => json_reply(StatusCode::OK, &v),
        Err(e) => e.render(id, correlation(&headers)),
    }
}

fn redeem(
    id: &Identity,
    tenant: &str,
    endpoint: &str,
    f: &HashMap<String, String>,
) -> Result<serde_json::Value, AadError> {
    let config = id.config();
    check_tenant(id, tenant)?;
    let grant = f
        .get("grant_type")
        .ok_or_else(|| AadError::missing("grant_type"))?;
    let client_id = f
        .get("client_id")
        .ok_or_else(|| AadError::missing("client_id"))?;
    let app = match App::find(client_id) {
        Some(app) if !config.invalid_client => app,
        _ => return Err(AadError::app_not_found(client_id, tenant)),
    };
    match grant.as_str() {
        DEVICE_CODE_GRANT => redeem_device_code(id, &config, app, f),
        "client_credentials" => {
            authenticate_client(id, app, endpoint, f)?;
            let scope = f.get("scope").ok_or_else(|| AadError::missing("scope"))?;
            if !scope.trim().ends_with("/.default") || scope.split_whitespace().count() != 1 {
                return Err(AadError::bad(
                    "invalid_scope",
                    1002012,
                    format!(
                        "The provided value for scope {} is not valid. Client credential flows \
                         must have a scope value with /.default suffixed to the resource \
                         identifier (application ID URI).",
                        clean(scope)
                    ),
                ));
            }
            Ok(issue(id, &config, app, None, &[], false))
        }
        "refresh_token" => {
            let rt = f
                .get("refresh_token")
                .ok_or_else(|| AadError::missing("refresh_token"))?;
            if app != App::Public {
                authenticate_client(id, app, endpoint, f)?;
            }
            let grant = lock(&id.state).refresh.get(rt).cloned();
            let Some(grant) = grant else {
                return Err(AadError::bad(
                    "invalid_grant",
                    70008,
                    "The provided authorization code or refresh token has expired due to \
                     inactivity or was revoked. Send a new interactive authorization request \
                     for this user and resource.",
                ));
            };
            if grant.client_id != app.id() {
                return Err(AadError::bad(
                    "invalid_grant",
                    70000,
                    "The refresh token was issued to a different client.",
                ));
            }
            lock(&id.state).stats.refreshes += 1;
            Ok(issue(
                id,
                &config,
                app,
                Some(SIGNED_IN_USER),
                &grant.scopes,
                true,
            ))
        }
        other => Err(AadError::bad(
            "unsupported_grant_type",
            70003,
            format!(
                "The app requested an unsupported grant type '{}'.",
                clean(other)
            ),
        )),
    }
}

fn redeem_device_code(
    id: &Identity,
    config: &IdentityConfig,
    app: App,
    f: &HashMap<String, String>,
) -> Result<serde_json::Value, AadError> {
    let code = f
        .get("device_code")
        .ok_or_else(|| AadError::missing("device_code"))?;
    if app != App::Public {
        return Err(AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'.",
        ));
    }
    let now = Instant::now();
    let mut st = lock(&id.state);
    st.stats.polls += 1;
    let Some(dc) = st.codes.get_mut(code) else {
        return Err(AadError::bad(
            "invalid_grant",
            70000,
            "The provided value for the input parameter 'device_code' is not valid.",
        ));
    };
    if dc.client_id != app.id() {
        return Err(AadError::bad(
            "invalid_grant",
            70000,
            "The device code was issued to a different client.",
        ));
    }
    dc.polls += 1;
    if config.expire_codes || now >= dc.expires {
        return Err(AadError::bad(
            "expired_token",
            70019,
            "Verification code expired.",
        ));
    }
    if config.slow_down_once && !dc.slowed {
        dc.slowed = true;
        return Err(AadError::bad(
            "slow_down",
            70016,
            "OAuth 2.0 device flow error. The client is polling too often: slow down.",
        ));
    }
    if dc.status == CodeStatus::Pending
        && let Some(n) = config.pending_polls
        && dc.polls > n
    {
        dc.status = if config.decline {
            CodeStatus::Declined
        } else {
            CodeStatus::SignedIn
        };
    }
    match dc.status {
        CodeStatus::Pending => Err(AadError::bad(
            "authorization_pending",
            70016,
            "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        )),
        CodeStatus::Declined => Err(AadError::bad(
            "authorization_declined",
            65004,
            "User declined to consent to access the app.",
        )),
        CodeStatus::Redeemed => Err(AadError::bad(
            "invalid_grant",
            54005,
            "OAuth2 Authorization code was already redeemed, please retry with a new valid \
             code or use an existing refresh token.",
        )),
        CodeStatus::SignedIn => {
            dc.status = CodeStatus::Redeemed;
            let scopes = dc.scopes.clone();
            drop(st);
            Ok(issue(id, config, app, Some(SIGNED_IN_USER), &scopes, true))
        }
    }
}

/// Checks a confidential client's secret or certificate assertion.
fn authenticate_client(
    id: &Identity,
    app: App,
    endpoint: &str,
    f: &HashMap<String, String>,
) -> Result<(), AadError> {
    let secret = f.get("client_secret");
    let assertion = f.get("client_assertion");
    if app == App::Public {
        if secret.is_some() || assertion.is_some() {
            return Err(AadError::bad(
                "invalid_client",
                700025,
                "Client is public so neither 'client_assertion' nor 'client_secret' should be \
                 presented.",
            ));
        }
        return Err(AadError::bad(
            "unauthorized_client",
            700016,
            "The application is a public client and cannot use this grant.",
        ));
    }
    if let Some(a) = assertion {
        if f.get("client_assertion_type").map(String::as_str) != Some(JWT_BEARER_ASSERTION) {
            return Err(AadError::bad(
                "invalid_request",
                700026,
                format!("client_assertion_type must be '{JWT_BEARER_ASSERTION}'."),
            ));
        }
        if app != App::Certificate {
            return Err(AadError::bad_assertion(
                "No certificate is registered for this application.",
            ));
        }
        return check_assertion(id, app, endpoint, a);
    }
    match (app, secret) {
        (App::Secret, Some(s))
            if constant_eq(s.as_bytes(), CONFIDENTIAL_CLIENT_SECRET.as_bytes()) =>
        {
            Ok(())
        }
        (_, Some(_)) => Err(AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000215,
            format!(
                "Invalid client secret provided. Ensure the secret being sent in the request \
                 is the client secret value, not the client secret ID, for a secret added to \
                 app '{}'.",
                app.id()
            ),
        )),
        (_, None) => Err(AadError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            7000218,
            "The request body must contain the following parameter: 'client_assertion' or \
             'client_secret'.",
        )),
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    #[serde(default)]
    jti: Option<String>,
}

fn check_assertion(
    id: &Identity,
    app: App,
    endpoint: &str,
    assertion: &str,
) -> Result<(), AadError> {
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|_| AadError::bad_assertion("The assertion is not a readable JWT."))?;
    if !matches!(header.alg, Algorithm::RS256 | Algorithm::PS256) {
        return Err(AadError::bad_assertion(
            "Only RS256 and PS256 are accepted.",
        ));
    }
    let expected = thumbprint_s256(APP_CERTIFICATE_PEM).unwrap_or_default();
    match header.x5t_s256.as_deref() {
        Some(t) if t == expected => {}
        Some(_) => {
            return Err(AadError::bad_assertion(
                "The x5t#S256 header does not match a certificate registered for the app.",
            ));
        }
        None => {
            return Err(AadError::bad_assertion(
                "The assertion has no x5t#S256 header naming the certificate.",
            ));
        }
    }
    let mut v = Validation::new(header.alg);
    v.set_audience(&[endpoint]);
    v.validate_nbf = true;
    v.set_required_spec_claims(&["exp", "nbf", "aud", "iss", "sub"]);
    let data =
        jsonwebtoken::decode::<AssertionClaims>(assertion, &APP_PUBLIC_KEY, &v).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            AadError::bad_assertion(match e.kind() {
                K::ExpiredSignature | K::ImmatureSignature => {
                    "The assertion is not within its valid time range (nbf/exp)."
                }
                K::InvalidAudience => "The audience claim must be the token endpoint.",
                K::MissingRequiredClaim(_) => {
                    "A required claim (aud, iss, sub, nbf, exp) is missing."
                }
                _ => "The signature does not verify with the registered certificate.",
            })
        })?;
    let c = data.claims;
    if c.iss != app.id() || c.sub != app.id() {
        return Err(AadError::bad_assertion(
            "The iss and sub claims must both be the client id.",
        ));
    }
    let Some(jti) = c.jti.filter(|j| !j.is_empty()) else {
        return Err(AadError::bad_assertion("The assertion has no jti claim."));
    };
    if !lock(&id.state).assertion_ids.insert(jti) {
        return Err(AadError::bad_assertion(
            "The assertion's jti was already used; every assertion must be new.",
        ));
    }
    Ok(())
}

/// Mints an access token (and a refresh token when `offline_access` was asked for).
fn issue(
    id: &Identity,
    config: &IdentityConfig,
    app: App,
    user: Option<&str>,
    requested: &[String],
    may_refresh: bool,
) -> serde_json::Value {
    let now = OffsetDateTime::now_utc().unix_timestamp();
    let lifetime = config.token_lifetime.as_secs().max(1) as i64;
    let (scp, roles) = match user {
        Some(_) => (Some(delegated_scopes(requested).join(" ")), Vec::new()),
        None => (None, app.roles().iter().map(|r| (*r).to_owned()).collect()),
    };
    let subject = user.unwrap_or(app.id());
    let claims = AccessClaims {
        aud: GRAPH_AUDIENCE.to_owned(),
        iss: issuer(&id.tenant_id),
        iat: now,
        nbf: now,
        exp: now + lifetime,
        tid: id.tenant_id.clone(),
        oid: object_id(subject),
        sub: object_id(subject),
        appid: app.id().to_owned(),
        ver: "1.0".to_owned(),
        uti: id.opaque(""),
        upn: user.map(str::to_owned),
        name: user.map(|_| "Demo Analyst".to_owned()),
        scp: scp.clone(),
        roles,
        idtyp: Some(if user.is_some() { "user" } else { "app" }.to_owned()),
    };
    let access = sign(&claims);
    let offline = requested.iter().any(|s| s == "offline_access");
    let mut body = serde_json::json!({
        "token_type": "Bearer",
        "scope": scp.unwrap_or_else(|| format!("{GRAPH_AUDIENCE}/.default")),
        "expires_in": lifetime,
        "ext_expires_in": lifetime,
        "access_token": access,
    });
    let mut st = lock(&id.state);
    st.stats.access_tokens += 1;
    if may_refresh && offline {
        let rt = id.opaque("0.ARefresh.");
        st.refresh.insert(
            rt.clone(),
            Grant {
                client_id: app.id().to_owned(),
                scopes: requested.to_vec(),
            },
        );
        body["refresh_token"] = serde_json::Value::String(rt);
    }
    body
}

/// The delegated permissions granted for a request: all consented ones for `.default`,
/// else those asked for that are consented.
fn delegated_scopes(requested: &[String]) -> Vec<&'static str> {
    let short: Vec<&str> = requested
        .iter()
        .map(|s| s.strip_prefix("https://graph.microsoft.com/").unwrap_or(s))
        .collect();
    if short.contains(&".default") {
        return DELEGATED_SCOPES.to_vec();
    }
    DELEGATED_SCOPES
        .iter()
        .copied()
        .filter(|d| short.iter().any(|s| s.eq_ignore_ascii_case(d)))
        .collect()
}

#[derive(Deserialize)]
struct LoginQuery {
    user_code: Option<String>,
    decline: Option<String>,
}

async fn device_login(State(ctx): State<Arc<Ctx>>, Query(q): Query<LoginQuery>) -> Response {
    let id = &ctx.identity;
    let (status, text) = match q.user_code.as_deref().map(normalise_user_code) {
        None => (
            StatusCode::OK,
            "<p>Enter the code shown on your device.</p>\
             <form method=\"get\"><input name=\"user_code\" autofocus>\
             <button>Next</button></form>"
                .to_owned(),
        ),
        Some(code) => {
            let decline = q
                .decline
                .as_deref()
                .is_some_and(|d| d == "1" || d == "true");
            let done = if decline {
                id.decline(&code)
            } else {
                id.sign_in(&code)
            };
            if !done {
                (
                    StatusCode::BAD_REQUEST,
                    format!(
                        "<p>The code {code} is not valid, has expired or was already used. \
                         Check it and try again.</p>"
                    ),
                )
            } else if decline || id.config().decline {
                (
                    StatusCode::OK,
                    format!("<p>Sign-in for code {code} declined. You can close this window.</p>"),
                )
            } else {
                (
                    StatusCode::OK,
                    format!(
                        "<p>You have signed in to the application on your device as \
                         {SIGNED_IN_USER}. You may now close this window.</p>"
                    ),
                )
            }
        }
    };
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign in (graphsec \
         emulator)</title></head><body><h1>graphsec emulator sign-in</h1>{text}</body></html>"
    );
    let mut r = (status, page).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_tokens_verify_and_forgeries_do_not() {
        let t = user_token("a@b.c", Duration::from_secs(60));
        assert_eq!(check_graph_token(&t), Ok(()));
        assert_eq!(check_graph_token("opaque-token"), Ok(()));
        let forged = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD
                .encode(r#"{"upn":"x","aud":"https://graph.microsoft.com","exp":9999999999}"#)
        );
        assert_eq!(check_graph_token(&forged), Err(TokenRejection::Invalid));
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"upn":"x"}"#)
        );
        assert_eq!(check_graph_token(&unsigned), Err(TokenRejection::Invalid));
        // The right key but the time is up.
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let tenant = "t".to_owned();
        let expired = sign(&AccessClaims {
            aud: GRAPH_AUDIENCE.into(),
            iss: issuer(&tenant),
            iat: now - 100,
            nbf: now - 100,
            exp: now - 10,
            tid: tenant,
            oid: "o".into(),
            sub: "o".into(),
            appid: PUBLIC_CLIENT_ID.into(),
            ver: "1.0".into(),
            uti: "u".into(),
            upn: None,
            name: None,
            scp: None,
            roles: vec![],
            idtyp: None,
        });
        assert_eq!(check_graph_token(&expired), Err(TokenRejection::Expired));
    }

    #[test]
    fn user_codes_are_nine_plain_characters_and_match_loosely() {
        let id = Identity::new("t".into(), 1, IdentityConfig::default());
        let c = id.user_code();
        assert_eq!(c.len(), 9);
        assert!(
            c.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        );
        assert_eq!(normalise_user_code(" ab-cd\u{1b}12 "), "ABCD12");
    }

    #[test]
    fn expired_device_codes_are_forgotten() {
        let mut st = IdState::default();
        let now = Instant::now();
        for (name, expires) in [("old", now), ("new", now + Duration::from_secs(60))] {
            st.codes.insert(
                name.to_owned(),
                DeviceCode {
                    user_code: name.to_uppercase(),
                    client_id: PUBLIC_CLIENT_ID.to_owned(),
                    scopes: Vec::new(),
                    expires,
                    polls: 0,
                    slowed: false,
                    status: CodeStatus::Pending,
                },
            );
        }
        forget_expired(&mut st, now);
        assert!(st.codes.contains_key("new") && !st.codes.contains_key("old"));
    }

    #[test]
    fn the_app_certificate_has_a_thumbprint_and_a_matching_key() {
        let t = thumbprint_s256(APP_CERTIFICATE_PEM).unwrap();
        assert_eq!(t.len(), 43);
        assert!(EncodingKey::from_rsa_pem(APP_PRIVATE_KEY_PEM.as_bytes()).is_ok());
        assert!(pem_der("nothing", "CERTIFICATE").is_none());
    }
}
