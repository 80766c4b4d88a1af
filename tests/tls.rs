//! HTTPS over loopback: the emulator's `--tls` CA trusted through a profile's `ca_file`,
//! and TLS failures told in one line that names the host (unknown CA, expired, wrong
//! name). Proxies: a loopback endpoint never goes through one; another host does, which
//! also shows the host each profile's `cloud` sends to.

mod support;

use futures_util::StreamExt;
use graphsec::emulator::{self, EmulatorConfig, RunningEmulator};
use graphsec::graph::{
    BudgetConfig, Client, ClientConfig, ExtraRoots, GraphError, ODataQuery, StaticToken, TlsProblem,
};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use support::{EmulatorProcess, Home, graphsec, graphsec_env};

async fn tls_emulator(alerts: usize) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts,
        tls: true,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator starts with TLS")
}

fn client(base: &str, roots: Option<ExtraRoots>) -> Client {
    let mut cfg = ClientConfig::new(base);
    cfg.timeout = Duration::from_secs(10);
    cfg.max_retries = 1;
    cfg.max_retry_wait = Duration::from_secs(1);
    cfg.budget = BudgetConfig::unlimited();
    cfg.extra_roots = roots;
    Client::new(cfg, Arc::new(StaticToken::new("tls-test-token"))).expect("client")
}

/// The first page's outcome.
async fn first_page(c: &Client) -> Result<usize, GraphError> {
    let mut pages = c.list_alerts(&ODataQuery::new().top(50));
    pages
        .next()
        .await
        .expect("a page or an error")
        .map(|p| p.items.len())
}

#[tokio::test]
async fn a_client_trusting_the_emulators_ca_lists_alerts_over_https() {
    let emu = tls_emulator(120).await;
    assert!(
        emu.base_url().starts_with("https://127.0.0.1:"),
        "{}",
        emu.base_url()
    );
    let pem = emu.ca_pem().expect("a CA with --tls");
    let roots = ExtraRoots::from_pem(Path::new("emulator-ca.pem"), pem.as_bytes()).unwrap();
    let c = client(&emu.base_url(), Some(roots));
    let mut pages = c.list_alerts(&ODataQuery::new().top(50));
    let mut seen = 0;
    let mut count = 0;
    while let Some(page) = pages.next().await {
        seen += page.expect("page over https").items.len();
        count += 1;
    }
    // Three pages: the nextLinks are https too, on the same origin.
    assert_eq!((seen, count), (120, 3));
    emu.shutdown().await;
}

#[tokio::test]
async fn without_the_ca_the_error_names_the_host_and_says_to_set_ca_file() {
    let emu = tls_emulator(5).await;
    let c = client(&emu.base_url(), None);
    let err = first_page(&c)
        .await
        .expect_err("the emulator's CA is not trusted");
    let host = emu.addr().to_string();
    assert_eq!(
        err,
        GraphError::Tls {
            host: host.clone(),
            problem: TlsProblem::UnknownIssuer
        }
    );
    assert_eq!(
        err.to_string(),
        format!(
            "the certificate of {host} is signed by a CA this machine does not trust: set \
             ca_file in the profile to your proxy's CA"
        )
    );
    assert!(!err.is_transient());
    // Refused in the handshake: no request reached the server, and none was retried.
    assert_eq!(emu.controls().total_requests(), 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn the_reset_fault_cuts_the_connection_under_tls_too() {
    use graphsec::emulator::{Fault, Route, Scope};
    let emu = tls_emulator(3).await;
    let pem = emu.ca_pem().expect("CA");
    let roots = ExtraRoots::from_pem(Path::new("ca.pem"), pem.as_bytes()).unwrap();
    let c = client(&emu.base_url(), Some(roots));
    let id = {
        let mut pages = c.list_alerts(&ODataQuery::new());
        pages.next().await.expect("page").expect("page").items[0]
            .id
            .clone()
    };
    emu.controls().inject(
        Fault::Reset,
        1,
        Scope {
            method: Some("POST".to_owned()),
            route: Some(Route::AlertComments),
        },
    );
    // A cut connection, not a 502 reply: the comment may have landed, so it is not
    // repeated, and the error is the transport's.
    let err = c
        .add_alert_comment(&id, "over tls")
        .await
        .expect_err("connection cut");
    assert!(matches!(err, GraphError::Transport(_)), "{err:?}");
    assert_eq!(emu.controls().injected("reset"), 1);
    emu.shutdown().await;
}

#[tokio::test]
async fn a_write_refused_in_the_handshake_stays_pending_not_failed() {
    use graphsec::graph::models::AlertUpdate;
    use graphsec::outbox::journal::{self, Journal};
    use graphsec::outbox::{Op, Outbox, OutboxEvent, Target, WriterConfig};
    let emu = tls_emulator(3).await;
    let dir = std::env::temp_dir().join(format!(
        "graphsec-tls-outbox-{}-{:x}",
        std::process::id(),
        graphsec::graph::retry::random_u64()
    ));
    let path = journal::path_for(&dir, "test");
    let pem = emu.ca_pem().expect("CA").to_owned();
    let trusting = || {
        let roots = ExtraRoots::from_pem(Path::new("ca.pem"), pem.as_bytes()).unwrap();
        client(&emu.base_url(), Some(roots))
    };
    let alert = {
        let mut pages = trusting().list_alerts(&ODataQuery::new());
        pages.next().await.expect("page").expect("page").items[0]
            .id
            .clone()
    };
    let before = emu.controls().total_requests();
    let untrusting = client(&emu.base_url(), None);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outbox = Outbox::start(
        Journal::open(&path).expect("journal"),
        untrusting,
        "test",
        None,
        WriterConfig::default(),
        tx,
    );
    let update = AlertUpdate {
        assigned_to: Some("tls@contoso.example".into()),
        ..AlertUpdate::default()
    };
    let id = outbox
        .submit(Target::alert(alert), Op::AlertUpdate { update, base: None })
        .await
        .expect("journaled");
    outbox.wait_idle().await;
    let mut deferred = None;
    while let Ok(event) = rx.try_recv() {
        match event {
            OutboxEvent::Deferred { id: d, error, .. } if d == id => deferred = Some(error),
            OutboxEvent::Stopped(v) => panic!("a TLS refusal must not stop a write: {v:?}"),
            _ => {}
        }
    }
    let error = deferred.expect("deferred");
    assert!(error.contains("set ca_file"), "{error}");
    let view = outbox.entries();
    assert_eq!(view.len(), 1);
    assert!(!view[0].status.is_finished(), "{:?}", view[0].status);
    assert_eq!(
        emu.controls().total_requests(),
        before,
        "nothing reached the server"
    );
    drop(outbox);
    // With the CA trusted (the analyst set ca_file and started again), it lands.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let outbox = Outbox::start(
        Journal::open_waiting(&path, Duration::from_secs(5)).expect("journal again"),
        trusting(),
        "test",
        None,
        WriterConfig::default(),
        tx,
    );
    outbox.wait_idle().await;
    let mut landed = false;
    while let Ok(event) = rx.try_recv() {
        landed |= matches!(event, OutboxEvent::Done { id: d, .. } if d == id);
    }
    assert!(landed, "{:?}", outbox.entries());
    drop(outbox);
    let _ = std::fs::remove_dir_all(&dir);
    emu.shutdown().await;
}

/// A server on loopback presenting `chain_pem`.
async fn serve(
    chain_pem: String,
    key_pem: String,
) -> (SocketAddr, axum_server::Handle<SocketAddr>) {
    let config = axum_server::tls_rustls::RustlsConfig::from_pem(
        chain_pem.into_bytes(),
        key_pem.into_bytes(),
    )
    .await
    .expect("tls config");
    let handle = axum_server::Handle::new();
    let app = axum::Router::new().fallback(|| async { "{}" });
    let server = axum_server::bind_rustls(SocketAddr::from(([127, 0, 0, 1], 0)), config)
        .handle(handle.clone());
    tokio::spawn(server.serve(app.into_make_service()));
    let addr = handle.listening().await.expect("listening");
    (addr, handle)
}

/// A CA, and a server certificate it signed for `names`, valid between the two offsets
/// from now.
fn certs(names: &[&str], from: time::Duration, to: time::Duration) -> (String, String, String) {
    let now = time::OffsetDateTime::now_utc();
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_pem = ca.self_signed(&ca_key).unwrap().pem();
    let issuer = rcgen::Issuer::new(ca, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let mut leaf =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    leaf.not_before = now + from;
    leaf.not_after = now + to;
    let leaf_pem = leaf.signed_by(&key, &issuer).unwrap().pem();
    (
        ca_pem.clone(),
        format!("{leaf_pem}{ca_pem}"),
        key.serialize_pem(),
    )
}

async fn problem_with(names: &[&str], from: time::Duration, to: time::Duration) -> String {
    let (ca, chain, key) = certs(names, from, to);
    let (addr, handle) = serve(chain, key).await;
    let roots = ExtraRoots::from_pem(Path::new("ca.pem"), ca.as_bytes()).unwrap();
    let c = client(&format!("https://{addr}/v1.0"), Some(roots));
    let err = first_page(&c).await.expect_err("refused");
    handle.shutdown();
    let GraphError::Tls { host, .. } = &err else {
        panic!("not a TLS error: {err:?}")
    };
    assert_eq!(host, &addr.to_string());
    err.to_string()
}

#[tokio::test]
async fn an_expired_certificate_and_one_for_another_name_are_told_apart() {
    let day = time::Duration::days(1);
    let expired = problem_with(&["127.0.0.1"], -day * 10, -day).await;
    assert!(
        expired.ends_with("has expired (or this machine's clock is wrong)"),
        "{expired}"
    );
    let elsewhere = problem_with(&["graph.example.test"], -day, day).await;
    assert!(
        elsewhere.contains("is not valid for that name"),
        "{elsewhere}"
    );
    // The same certificates, valid and for this host, work: the checks above are the
    // certificates', not the test server's.
    let fine = {
        let (ca, chain, key) = certs(&["127.0.0.1"], -day, day);
        let (addr, handle) = serve(chain, key).await;
        let roots = ExtraRoots::from_pem(Path::new("ca.pem"), ca.as_bytes()).unwrap();
        let c = client(&format!("https://{addr}/v1.0"), Some(roots));
        let got = c.get_alert("x").await;
        handle.shutdown();
        got
    };
    // `{}` is no alert, but it came over TLS.
    assert!(matches!(fine, Err(GraphError::Decode { .. })), "{fine:?}");
}

fn write_config(home: &Home, text: &str) {
    let dir = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("config.toml"), text).expect("config");
}

#[test]
fn the_binary_lists_alerts_over_https_with_a_profiles_ca_file() {
    let home = Home::new("tls-e2e");
    let ca = home.0.join("emulator-ca.pem");
    let ca_arg = ca.to_str().expect("utf-8 path");
    let emu = EmulatorProcess::start(&["--alerts", "30", "--tls", "--tls-ca-out", ca_arg]);
    assert!(
        emu.endpoint.starts_with("https://127.0.0.1:"),
        "{}",
        emu.endpoint
    );
    // Relative to the config file's directory: ../../emulator-ca.pem is the home's copy.
    write_config(
        &home,
        "[profiles.corp]\nca_file = \"../../emulator-ca.pem\"\n\
         [profiles.bare]\n\
         [profiles.broken]\nca_file = \"/nonexistent/proxy-ca.pem\"\n",
    );
    // A proxy in the environment does not capture loopback traffic.
    let proxied = [
        ("HTTPS_PROXY", "http://127.0.0.1:9"),
        ("ALL_PROXY", "http://127.0.0.1:9"),
    ];
    let run = graphsec_env(
        &home,
        &emu.endpoint,
        "t",
        &["--profile", "corp", "alerts", "list", "--output", "ndjson"],
        &proxied,
    );
    assert!(run.ok, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 30, "{}", run.stdout);

    let run = graphsec(
        &home,
        &emu.endpoint,
        "t",
        &["--profile", "bare", "alerts", "list"],
    );
    assert!(!run.ok);
    let host = emu
        .endpoint
        .trim_start_matches("https://")
        .trim_end_matches("/v1.0");
    assert!(
        run.stderr.contains(&format!(
            "the certificate of {host} is signed by a CA this machine does not trust: set ca_file in the profile"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    // The detail is in the log.
    assert!(
        home.log().contains("TLS handshake failed"),
        "{}",
        home.log()
    );

    let run = graphsec(
        &home,
        &emu.endpoint,
        "t",
        &["--profile", "broken", "alerts", "list"],
    );
    assert!(!run.ok);
    assert!(
        run.stderr
            .contains("cannot read ca_file /nonexistent/proxy-ca.pem"),
        "{}",
        run.stderr
    );
}

/// Runs `graphsec ARGS` with `HTTPS_PROXY` pointing at a "proxy" that records the first
/// line it is sent; returns that line (the CONNECT that names the host graphsec wants).
fn first_line_sent_to_the_proxy(home: &Home, args: &[&str]) -> String {
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    proxy.set_nonblocking(true).expect("nonblocking");
    let port = proxy.local_addr().expect("addr").port();
    let mut child = std::process::Command::new(support::BIN)
        .args(args)
        .env("GRAPHSEC_TOKEN", "t")
        .env("HOME", &home.0)
        .env("XDG_CONFIG_HOME", home.0.join("config"))
        .env("XDG_STATE_HOME", home.0.join("state"))
        .env("XDG_DATA_HOME", home.0.join("data"))
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{port}"))
        .env_remove("https_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("GRAPHSEC_ENDPOINT")
        .env_remove("GRAPHSEC_CONFIG")
        .env_remove("GRAPHSEC_PROFILE")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run graphsec");
    // Polled, so a graphsec that never connects fails the test instead of hanging it.
    let mut stream = None;
    for _ in 0..600 {
        match proxy.accept() {
            Ok((s, _)) => {
                stream = Some(s);
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("graphsec {args:?} ended ({status}) without using the proxy");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("accept: {e}"),
        }
    }
    let stream = stream.expect("graphsec connects to the proxy");
    stream.set_nonblocking(false).expect("blocking");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut first = String::new();
    BufReader::new(stream)
        .read_line(&mut first)
        .expect("request line");
    let _ = child.kill();
    let _ = child.wait();
    first
}

#[test]
fn another_host_is_reached_through_https_proxy() {
    let home = Home::new("tls-proxy");
    let first = first_line_sent_to_the_proxy(
        &home,
        &[
            "--endpoint",
            "https://graph.example.test/v1.0",
            "alerts",
            "list",
        ],
    );
    assert!(
        first.starts_with("CONNECT graph.example.test:443 "),
        "{first:?}"
    );
}

#[test]
fn a_profiles_cloud_is_the_host_graphsec_connects_to() {
    let home = Home::new("tls-cloud");
    write_config(
        &home,
        "[profiles.gov]\ncloud = \"usgov\"\n[profiles.dod]\ncloud = \"usgov-dod\"\n\
         [profiles.cn]\ncloud = \"china\"\n\
         [profiles.mine]\ncloud = \"china\"\nendpoint = \"https://graph.example.test/v1.0\"\n",
    );
    for (profile, host) in [
        ("gov", "graph.microsoft.us"),
        ("dod", "dod-graph.microsoft.us"),
        ("cn", "microsoftgraph.chinacloudapi.cn"),
        ("mine", "graph.example.test"),
    ] {
        let first = first_line_sent_to_the_proxy(&home, &["--profile", profile, "alerts", "list"]);
        assert!(
            first.starts_with(&format!("CONNECT {host}:443 ")),
            "{profile}: {first:?}"
        );
    }
}

/// A proxy that re-signs TLS re-signs the sign-in host too: the profile's `ca_file` is
/// trusted there as well, and without it the sign-in fails on the certificate.
#[tokio::test]
async fn sign_in_trusts_the_profiles_ca_file_too() {
    use graphsec::emulator::identity::{CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET};
    use graphsec::signin::profile::{AuthMethod, ProfileAuth, provider_for};
    let emu = tls_emulator(10).await;
    let dir = std::env::temp_dir().join(format!(
        "graphsec-signin-ca-{}-{:x}",
        std::process::id(),
        graphsec::graph::retry::random_u64()
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca = dir.join("proxy-ca.pem");
    std::fs::write(&ca, emu.ca_pem().expect("a CA with --tls")).expect("CA file");
    let auth = |ca_file: Option<&Path>| ProfileAuth {
        tenant: Some(emu.tenant_id().to_owned()),
        client_id: Some(CONFIDENTIAL_CLIENT_ID.to_owned()),
        method: Some(AuthMethod::ClientSecret),
        login_endpoint: Some(emu.login_endpoint()),
        client_secret: Some(graphsec::signin::Secret::new(CONFIDENTIAL_CLIENT_SECRET)),
        ca_file: ca_file.map(Path::to_path_buf),
        ..ProfileAuth::default()
    };
    assert!(emu.login_endpoint().starts_with("https://"));

    let (trusted, _) = provider_for("lab", &auth(Some(&ca)), None, None).expect("provider");
    let token = trusted.as_token_provider().token().await;
    assert!(token.is_ok(), "signed in over TLS: {token:?}");

    let (untrusted, _) = provider_for("lab", &auth(None), None, None).expect("provider");
    let err = untrusted
        .as_token_provider()
        .token()
        .await
        .expect_err("the emulator's CA is not trusted");
    let text = format!("{err:#}");
    assert!(
        text.contains("set ca_file in the profile") && text.contains("127.0.0.1:"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    emu.shutdown().await;
}
