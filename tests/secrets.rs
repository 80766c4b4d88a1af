//! Secrets and file permissions: a full headless session with a distinctive token, with
//! successes and every kind of failure (401, 403, 404, 400, resets, throttling), must not
//! leave the token in stdout, stderr or the log file; every file it creates is 0600; and no
//! token holder prints the token in `Debug`.
//!
//! The emulator runs in this process (so faults can be queued); the binary runs as a child.

mod support;

use graphsec::emulator::{self, EmulatorConfig, Fault, Route, Scope};
use graphsec::graph::{Client, ClientConfig, GraphError, StaticToken};
use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;
use support::{Home, Run, UNBUDGETED, graphsec, graphsec_env};

const SECRET: &str = "sekret-6b1f0e2d-graphsec-must-never-print-this";

fn scope(method: &str, route: Route) -> Scope {
    Scope {
        method: Some(method.to_owned()),
        route: Some(route),
    }
}

/// Runs the binary on a blocking thread (the emulator lives on this runtime).
async fn run(home: &Arc<Home>, endpoint: &str, args: &[&str]) -> Run {
    run_env(home, endpoint, args, &[]).await
}

async fn run_env(
    home: &Arc<Home>,
    endpoint: &str,
    args: &[&str],
    env: &'static [(&'static str, &'static str)],
) -> Run {
    let (home, endpoint) = (home.clone(), endpoint.to_owned());
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        graphsec_env(&home, &endpoint, SECRET, &args, env)
    })
    .await
    .expect("the run finishes")
}

fn assert_no_secret(what: &str, text: &str) {
    // The whole token, its distinctive tail, and the header it travels in.
    for needle in [SECRET, &SECRET[7..], "Bearer sekret"] {
        assert!(!text.contains(needle), "{what} holds the token:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_session_never_shows_the_token() {
    let e = emulator::start(EmulatorConfig {
        alerts: 40,
        seed: 8,
        ..EmulatorConfig::default()
    })
    .await
    .expect("emulator");
    let home = Arc::new(Home::new("secrets"));
    let ep = e.base_url();
    let c = e.controls();
    let mut runs: Vec<(String, Run)> = Vec::new();
    let mut record = |name: &str, r: Run| runs.push((name.to_owned(), r));

    let list = run(&home, &ep, &["alerts", "list", "--output", "json"]).await;
    assert!(list.ok, "{}", list.stderr);
    let alerts: Vec<serde_json::Value> = serde_json::from_str(&list.stdout).expect("json");
    let id = alerts[0]["id"].as_str().expect("an id").to_owned();
    record("list", list);

    for (name, args) in [
        ("get", vec!["alerts", "get", &id]),
        (
            "update",
            vec!["alerts", "update", &id, "--status", "inProgress"],
        ),
        ("comment", vec!["alerts", "comment", &id, "looked at it"]),
        ("table", vec!["alerts", "list", "--output", "table"]),
    ] {
        let r = run(&home, &ep, &args).await;
        assert!(r.ok, "{name}: {}", r.stderr);
        record(name, r);
    }

    // 401 twice: the client re-authenticates once, then reports it.
    c.inject(Fault::Status(401), 2, scope("GET", Route::Alert));
    let r = run(&home, &ep, &["alerts", "get", &id]).await;
    assert!(!r.ok && r.stderr.contains("401"), "{}", r.stderr);
    record("401", r);

    c.inject(Fault::Status(403), 1, scope("PATCH", Route::Alert));
    let r = run(
        &home,
        &ep,
        &["alerts", "update", &id, "--status", "resolved"],
    )
    .await;
    assert!(!r.ok && r.stderr.contains("403"), "{}", r.stderr);
    record("403", r);

    let r = run(&home, &ep, &["alerts", "get", "no-such-alert"]).await;
    assert!(!r.ok && r.stderr.contains("404"), "{}", r.stderr);
    record("404", r);

    let r = run(
        &home,
        &ep,
        &["alerts", "list", "--filter", "severity eq 'nope'"],
    )
    .await;
    assert!(!r.ok && r.stderr.contains("400"), "{}", r.stderr);
    record("400", r);

    // Retried failures are logged with their errors: resets, then throttling past the budget.
    c.inject(Fault::Reset, 2, scope("GET", Route::Alerts));
    let r = run(&home, &ep, &["alerts", "list", "--max", "5"]).await;
    assert!(r.ok, "two resets are retried: {}", r.stderr);
    record("resets", r);
    c.inject(Fault::Reset, 10, scope("POST", Route::AlertComments));
    let r = run(&home, &ep, &["alerts", "comment", &id, "lost reply"]).await;
    assert!(!r.ok, "a reset comment POST is reported");
    record("reset comment", r);
    c.inject(Fault::Throttle { retry_after: None }, 20, Scope::any());
    // Unbudgeted: after five 429s in a row the request budget would space the retries
    // seconds apart; this run is about what the error and the log say.
    let r = run_env(&home, &ep, &["alerts", "get", &id], &[UNBUDGETED]).await;
    assert!(!r.ok && r.stderr.contains("throttl"), "{}", r.stderr);
    record("429", r);
    c.clear_faults();

    for (name, r) in &runs {
        assert_no_secret(&format!("{name}: stdout"), &r.stdout);
        assert_no_secret(&format!("{name}: stderr"), &r.stderr);
    }

    // The log (at trace level, so dependencies' records are in it too) saw every run.
    let log = home.log();
    assert!(
        log.contains("401") && log.contains("retrying"),
        "{log:.3000}"
    );
    assert_no_secret("log file", &log);

    // Every file the session created is the owner's alone.
    let files = home.files();
    assert!(files.contains(&home.log_file()), "{files:?}");
    for f in &files {
        let mode = std::fs::metadata(f).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{} is {mode:o}", f.display());
        let bytes = std::fs::read(f).expect("read");
        assert!(
            !String::from_utf8_lossy(&bytes).contains(SECRET),
            "{} holds the token",
            f.display()
        );
    }
    e.shutdown().await;
}

#[test]
fn an_existing_log_file_is_tightened_to_0600() {
    let home = Home::new("log-mode");
    std::fs::create_dir_all(home.state_dir()).expect("state dir");
    std::fs::write(home.log_file(), b"").expect("log");
    std::fs::set_permissions(home.log_file(), std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    // A run that fails early (nothing listens there) still opens the log first.
    let r = graphsec(
        &home,
        "http://127.0.0.1:9/v1.0",
        SECRET,
        &["alerts", "get", "x"],
    );
    assert!(!r.ok);
    let mode = std::fs::metadata(home.log_file())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_no_secret("stderr", &r.stderr);
    assert_no_secret("log", &home.log());
}

#[test]
fn token_holders_never_debug_print_the_token() {
    let token = StaticToken::new(SECRET);
    assert_no_secret("StaticToken", &format!("{token:?} {token:#?}"));
    let client = Client::new(
        ClientConfig::new("http://127.0.0.1:9/v1.0"),
        Arc::new(token.clone()),
    )
    .expect("client");
    assert_no_secret("Client", &format!("{client:?} {client:#?}"));
    // Errors never carry a token; one that quoted the header would show here.
    let err = GraphError::Auth(graphsec::graph::auth::AuthError::InvalidToken);
    assert_no_secret("GraphError", &format!("{err} {err:?}"));
}
