//! Signing in against the emulator's identity endpoints over loopback: device code (with
//! the waits injected, so nothing sleeps for real), client secret and certificate, refresh
//! before expiry during a long load, refresh after a 401, one refresh for many waiters, the
//! token cache, and `Debug` that never shows a secret.

use futures_util::StreamExt as _;
use graphsec::emulator::identity::{
    self, AccessClaims, CERTIFICATE_CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
};
use graphsec::emulator::{self, EmulatorConfig, IdentityConfig, RunningEmulator};
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{BudgetConfig, Client, ClientConfig, GraphError, TokenProvider};
use graphsec::signin::session::CommandToken;
use graphsec::signin::{
    AppCredential, AssertionAlg, Authority, DeviceCodePrompt, Method, Secret, Session, SignInError,
    Sleeper, TokenCache, TokenSet,
};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records the waits instead of waiting.
#[derive(Default)]
struct Waits(Mutex<Vec<u64>>);

impl Sleeper for Waits {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        self.0.lock().unwrap().push(d.as_secs());
        Box::pin(async {})
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let d = std::env::temp_dir().join(format!(
            "graphsec-{name}-{}-{:x}",
            std::process::id(),
            graphsec::graph::retry::random_u64()
        ));
        std::fs::create_dir_all(&d).unwrap();
        TempDir(d)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn emu(alerts: usize, identity: IdentityConfig) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        identity,
        ..Default::default()
    })
    .await
    .expect("emulator")
}

fn authority(e: &RunningEmulator) -> Authority {
    Authority::new(&e.login_endpoint(), e.tenant_id()).unwrap()
}

fn delegated_scopes() -> Vec<String> {
    vec![
        "https://graph.microsoft.com/.default".into(),
        "offline_access".into(),
    ]
}

fn device_session(e: &RunningEmulator, dir: &TempDir) -> Session {
    let method = Method::DeviceCode {
        client_id: PUBLIC_CLIENT_ID.into(),
        scopes: delegated_scopes(),
    };
    let cache = TokenCache::new(
        &dir.0,
        "lab",
        e.tenant_id(),
        PUBLIC_CLIENT_ID,
        &method.scopes(),
    );
    Session::new("lab", authority(e), method, Some(cache)).unwrap()
}

fn graph(e: &RunningEmulator, tokens: Arc<dyn TokenProvider>) -> Client {
    Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(e.base_url())
        },
        tokens,
    )
    .unwrap()
}

async fn count_alerts(c: &Client, top: u32) -> Result<usize, GraphError> {
    let mut pages = c.list_alerts(&ODataQuery::new().top(top));
    let mut n = 0;
    while let Some(page) = pages.next().await {
        n += page?.items.len();
    }
    Ok(n)
}

async fn sign_in(
    s: &Session,
) -> (
    Result<TokenSet, SignInError>,
    Vec<u64>,
    Vec<DeviceCodePrompt>,
) {
    let waits = Arc::new(Waits::default());
    let shown = Arc::new(Mutex::new(Vec::new()));
    let sink = shown.clone();
    let r = s
        .sign_in_device_code(waits.clone(), &move |p: &DeviceCodePrompt| {
            sink.lock().unwrap().push(p.clone())
        })
        .await;
    let w = waits.0.lock().unwrap().clone();
    let p = shown.lock().unwrap().clone();
    (r, w, p)
}

#[tokio::test]
async fn device_code_end_to_end_with_pending_and_slow_down() {
    let e = emu(
        30,
        IdentityConfig {
            pending_polls: Some(3),
            slow_down_once: true,
            ..Default::default()
        },
    )
    .await;
    let dir = TempDir::new("devcode");
    let s = device_session(&e, &dir);
    let (r, waits, prompts) = sign_in(&s).await;
    let tokens = r.expect("signed in");
    // 5 s, then slow_down adds 5 s for every later poll: pending, pending, signed in.
    assert_eq!(waits, vec![5, 10, 10, 10]);
    assert_eq!(e.identity().stats().polls, 4);
    assert_eq!(prompts.len(), 1);
    assert!(prompts[0].verification_uri.ends_with("/devicelogin"));
    assert_eq!(prompts[0].user_code.len(), 9);
    assert!(
        tokens.refresh_token.is_some(),
        "offline_access gives a refresh token"
    );

    // The cache holds it, 0600; a new session (the next run) uses it without signing in.
    let path = s.cache().unwrap().path().to_owned();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let next_run = device_session(&e, &dir);
    let c = graph(&e, Arc::new(next_run.clone()));
    assert_eq!(count_alerts(&c, 10).await.unwrap(), 30);
    assert_eq!(next_run.refresh_count(), 0);
    assert_eq!(e.identity().stats().access_tokens, 1);

    // Signed out: nothing cached, and the console is told to sign in.
    assert!(next_run.sign_out().await.unwrap());
    assert!(!path.exists());
    let fresh = device_session(&e, &dir);
    let err = fresh.tokens().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "Not signed in for profile 'lab': run 'graphsec login --profile lab'."
    );
}

#[tokio::test]
async fn device_code_failures_say_what_happened() {
    let e = emu(1, IdentityConfig::default()).await;
    let dir = TempDir::new("devfail");
    let cases: Vec<(IdentityConfig, &str)> = vec![
        (
            IdentityConfig {
                expire_codes: true,
                ..Default::default()
            },
            "The sign-in code expired before it was used",
        ),
        (
            IdentityConfig {
                pending_polls: Some(1),
                decline: true,
                ..Default::default()
            },
            "The sign-in was declined",
        ),
        (
            IdentityConfig {
                invalid_client: true,
                ..Default::default()
            },
            "The client_id is not an app registered in this tenant",
        ),
        // Nobody ever signs in: the client stops once the code's 15 minutes are used up.
        (IdentityConfig::default(), "within 15 minutes"),
    ];
    for (config, sentence) in cases {
        e.identity().set_config(config.clone());
        let (r, _, _) = sign_in(&device_session(&e, &dir)).await;
        let err = r.unwrap_err().to_string();
        assert!(err.contains(sentence), "{config:?}: {err}");
    }
    // Device code with a confidential app: "Allow public client flows".
    e.identity().set_config(IdentityConfig {
        pending_polls: Some(0),
        ..Default::default()
    });
    let s = Session::new(
        "x",
        authority(&e),
        Method::DeviceCode {
            client_id: CONFIDENTIAL_CLIENT_ID.into(),
            scopes: delegated_scopes(),
        },
        None,
    )
    .unwrap();
    let (r, _, _) = sign_in(&s).await;
    let err = r.unwrap_err().to_string();
    assert!(
        err.contains("Allow public client flows") && err.ends_with("(AADSTS7000218)"),
        "{err}"
    );
}

fn app_session(e: &RunningEmulator, client_id: &str, credential: AppCredential) -> Session {
    Session::new(
        "app",
        authority(e),
        Method::App {
            client_id: client_id.into(),
            credential,
            scope: "https://graph.microsoft.com/.default".into(),
        },
        None,
    )
    .unwrap()
}

fn roles(t: &TokenSet) -> Vec<String> {
    let c: AccessClaims = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            t.access_token.expose().split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    c.roles
}

#[tokio::test]
async fn client_secret_end_to_end_and_a_wrong_one() {
    let e = emu(12, IdentityConfig::default()).await;
    let s = app_session(
        &e,
        CONFIDENTIAL_CLIENT_ID,
        AppCredential::Secret(Secret::new(CONFIDENTIAL_CLIENT_SECRET)),
    );
    let c = graph(&e, Arc::new(s.clone()));
    assert_eq!(count_alerts(&c, 5).await.unwrap(), 12);
    assert!(roles(&s.tokens().await.unwrap()).contains(&"SecurityAlert.ReadWrite.All".to_owned()));

    let bad = app_session(
        &e,
        CONFIDENTIAL_CLIENT_ID,
        AppCredential::Secret(Secret::new("not-it")),
    );
    let err = bad.tokens().await.unwrap_err().to_string();
    assert!(
        err.contains("client secret is wrong") && err.ends_with("(AADSTS7000215)"),
        "{err}"
    );
}

#[tokio::test]
async fn client_certificate_end_to_end_rs256_and_ps256() {
    let e = emu(7, IdentityConfig::default()).await;
    let dir = TempDir::new("cert");
    let (cert, key) = identity::write_app_certificate(&dir.0).unwrap();
    for alg in [AssertionAlg::RS256, AssertionAlg::PS256] {
        let cred = AppCredential::certificate_files(&cert, &key, alg).unwrap();
        let s = app_session(&e, CERTIFICATE_CLIENT_ID, cred);
        let c = graph(&e, Arc::new(s.clone()));
        assert_eq!(count_alerts(&c, 3).await.unwrap(), 7, "{alg:?}");
        assert_eq!(
            roles(&s.tokens().await.unwrap()),
            vec!["SecurityAlert.Read.All"]
        );
    }
    // The certificate of another app: the assertion is refused with a sentence.
    let cred = AppCredential::certificate_files(&cert, &key, AssertionAlg::RS256).unwrap();
    let s = app_session(&e, CONFIDENTIAL_CLIENT_ID, cred);
    let err = s.tokens().await.unwrap_err().to_string();
    assert!(
        err.contains("certificate assertion was refused") && err.ends_with("(AADSTS700027)"),
        "{err}"
    );
}

/// A clock that moves two minutes on every time it is read.
fn racing_clock() -> graphsec::signin::Clock {
    let start = time::OffsetDateTime::now_utc().unix_timestamp();
    let calls = Arc::new(AtomicI64::new(0));
    Arc::new(move || start + 120 * calls.fetch_add(1, Ordering::Relaxed))
}

#[tokio::test]
async fn a_hundred_page_load_keeps_going_across_refreshes() {
    let e = emu(
        100,
        IdentityConfig {
            pending_polls: Some(0),
            token_lifetime: Duration::from_secs(900),
            ..Default::default()
        },
    )
    .await;
    let dir = TempDir::new("longload");
    let s = device_session(&e, &dir).with_clock(racing_clock(), Duration::from_secs(300));
    sign_in(&s).await.0.expect("signed in");
    let c = graph(&e, Arc::new(s.clone()));
    // 100 pages of one alert; the token is 15 minutes long, refreshed 5 minutes early, and
    // each request moves the clock 2 minutes on: a refresh about every 5 pages.
    assert_eq!(count_alerts(&c, 1).await.unwrap(), 100);
    let refreshes = s.refresh_count();
    assert!(refreshes >= 15, "{refreshes}");
    assert_eq!(e.identity().stats().refreshes, refreshes);
}

/// Puts an access token in the cache that Graph will refuse (expired by its own `exp`)
/// though the cache believes it good for an hour.
fn plant_expired_access_token(s: &Session, e: &RunningEmulator) {
    let cache = s.cache().unwrap();
    let mut t = cache.load().expect("cached tokens");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut claims: AccessClaims = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            t.access_token.expose().split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    claims.exp = now - 10;
    claims.nbf = now - 100;
    t.access_token = Secret::new(identity::sign(&claims));
    t.expires_at = now + 3600;
    cache
        .save(e.tenant_id(), PUBLIC_CLIENT_ID, &delegated_scopes(), &t)
        .unwrap();
}

#[tokio::test]
async fn a_401_refreshes_once_and_a_refused_refresh_asks_to_sign_in_again() {
    let e = emu(
        5,
        IdentityConfig {
            pending_polls: Some(0),
            ..Default::default()
        },
    )
    .await;
    let dir = TempDir::new("r401");
    sign_in(&device_session(&e, &dir))
        .await
        .0
        .expect("signed in");

    plant_expired_access_token(&device_session(&e, &dir), &e);
    let s = device_session(&e, &dir);
    let c = graph(&e, Arc::new(s.clone()));
    assert_eq!(count_alerts(&c, 5).await.unwrap(), 5);
    assert_eq!(s.refresh_count(), 1);

    plant_expired_access_token(&s, &e);
    e.identity().revoke_refresh_tokens();
    let s = device_session(&e, &dir);
    let c = graph(&e, Arc::new(s.clone()));
    let err = count_alerts(&c, 5).await.unwrap_err();
    assert!(err.needs_sign_in(), "{err:?}");
    assert!(
        err.to_string()
            .contains("has expired or was revoked: run 'graphsec login --profile lab' again"),
        "{err}"
    );
}

#[tokio::test]
async fn many_waiters_share_one_refresh() {
    let e = emu(
        1,
        IdentityConfig {
            pending_polls: Some(0),
            ..Default::default()
        },
    )
    .await;
    let dir = TempDir::new("single");
    let s = device_session(&e, &dir);
    sign_in(&s).await.0.expect("signed in");
    s.invalidate();
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { s.token().await })
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for t in tasks {
        seen.insert(t.await.unwrap().unwrap());
    }
    assert_eq!(seen.len(), 1, "everyone got the same fresh token");
    assert_eq!(e.identity().stats().refreshes, 1);
}

#[tokio::test]
async fn token_command_prints_the_token() {
    let t = CommandToken::new("printf ' tok-123\\n'");
    assert_eq!(t.token().await.unwrap(), "tok-123");
    let bad = CommandToken::new("exit 3");
    let err = bad.token().await.unwrap_err().to_string();
    assert!(err.contains("token_command failed"), "{err}");
    let two = CommandToken::new("echo a b");
    assert!(two.token().await.is_err());
}

#[tokio::test]
async fn debug_never_shows_a_secret() {
    const SECRET: &str = "s3cr3t-value-never-shown";
    let e = emu(1, IdentityConfig::default()).await;
    let dir = TempDir::new("debug");
    let (cert, key) = identity::write_app_certificate(&dir.0).unwrap();
    let tokens = TokenSet {
        access_token: Secret::new(SECRET),
        refresh_token: Some(Secret::new(SECRET)),
        expires_at: 1,
        scope: "x".into(),
    };
    let secret_cred = AppCredential::Secret(Secret::new(SECRET));
    let cert_cred = AppCredential::certificate_files(&cert, &key, AssertionAlg::PS256).unwrap();
    let session = app_session(&e, CONFIDENTIAL_CLIENT_ID, secret_cred.clone());
    let key_text = std::fs::read_to_string(&key).unwrap();
    let key_line = key_text.lines().nth(1).unwrap();
    let shown = [
        format!("{:?} {:#?}", Secret::new(SECRET), Secret::new(SECRET)),
        format!("{tokens:?} {tokens:#?}"),
        format!("{secret_cred:?} {cert_cred:?} {cert_cred:#?}"),
        format!("{session:?} {session:#?}"),
        format!("{:?}", CommandToken::new("cat ~/token")),
        format!(
            "{:?}",
            SignInError::Refused {
                error: "invalid_client".into(),
                code: Some(7000215),
                sentence: "x".into()
            }
        ),
    ];
    for s in shown {
        assert!(!s.contains(SECRET), "{s}");
        assert!(!s.contains(key_line), "{s}");
    }
}
