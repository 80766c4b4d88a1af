//! The real binary, killed with SIGKILL at random points while it writes, against a
//! separately running `graphsec emulator`: after a restart nothing is lost and nothing is
//! doubled.
//!
//! Each run is one headless write (`alerts comment` or `alerts update --assign`), started
//! against an emulator that throttles every 4th request without Retry-After (so the client
//! backs off and kills land in every phase: before journaling, between `sent` and the
//! request, mid-request, after the reply but before `done`). Each later run drains what the
//! earlier ones left; `graphsec outbox flush` drains the rest. The seed is fixed (override
//! with GRAPHSEC_KILL_SEED) so a failure can be replayed.

mod outbox_support;
mod support;

use graphsec::outbox::{Journal, Op, Status, journal};
use outbox_support::{TempDir, analyst_token};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::EmulatorProcess;

const BIN: &str = env!("CARGO_BIN_EXE_graphsec");
const RUNS: u32 = 60;
const ALERTS: usize = 4;

/// `graphsec --endpoint E ARGS` with its own XDG dirs under `home`.
fn graphsec(home: &Path, endpoint: &str, args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--endpoint")
        .arg(endpoint)
        .args(args)
        .env("GRAPHSEC_TOKEN", analyst_token())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("GRAPHSEC_CONFIG")
        .env_remove("GRAPHSEC_PROFILE")
        // Every 4th request is a 429: with the request budget on, each one would slow the
        // rest of the run further (the final flush to a request every few seconds).
        .env(support::UNBUDGETED.0, support::UNBUDGETED.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

fn output(mut c: Command) -> (Option<i32>, String, String) {
    let out = c.output().expect("run graphsec");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// splitmix64: small, seeded, good enough to pick kill points.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The median time an unkilled comment run took.
fn typical_end(durations: &[Duration]) -> Option<Duration> {
    let mut d = durations.to_vec();
    d.sort();
    d.get(d.len() / 2).copied()
}

/// A run that left its write queued (exit 75) says nothing about a normal run's length.
fn throttled_run(status: &std::process::ExitStatus) -> bool {
    status.code() != Some(0)
}

fn alert_json(home: &Path, endpoint: &str, id: &str) -> serde_json::Value {
    // Reads are throttled too; the client retries them.
    let (code, out, err) = output(graphsec(
        home,
        endpoint,
        &["alerts", "get", id, "--output", "json"],
    ));
    assert_eq!(code, Some(0), "get {id}: {err}");
    serde_json::from_str(&out).expect("alert json")
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_doubles_nothing() {
    let seed = std::env::var("GRAPHSEC_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_u64);
    let emu = EmulatorProcess::start(&[
        "--alerts",
        &ALERTS.to_string(),
        "--seed",
        "5",
        "--throttle-every",
        "4",
        "--retry-after",
        "0",
    ]);
    let home = TempDir::new("outbox-kill");
    let journal_path = journal::path_for(&home.0.join("data").join("graphsec"), "default");

    let (code, out, err) = output(graphsec(
        &home.0,
        &emu.endpoint,
        &["alerts", "list", "--output", "json"],
    ));
    assert_eq!(code, Some(0), "list: {err}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(&out).expect("json");
    let ids: Vec<String> = listed
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(ids.len(), ALERTS);

    let mut rng = Rng(seed);
    // Every entry ever seen in the journal: id -> (alert, op). Ids sort in creation order.
    let mut intended: BTreeMap<String, (String, Op)> = BTreeMap::new();
    let (mut killed, mut finished, mut before_journal) = (0, 0, 0);
    // Entries a kill left with a `sent` record but no `done`: the window where a blind
    // resend would double a comment.
    let mut mid_send = std::collections::BTreeSet::new();
    let mut landed_unrecorded = 0;
    let mut durations: Vec<Duration> = Vec::new();
    for run in 0..RUNS {
        let alert = &ids[(rng.next() % ids.len() as u64) as usize];
        let tag = format!("kill-{seed:x}-{run}");
        let args: Vec<String> = if rng.next().is_multiple_of(3) {
            [
                "alerts",
                "update",
                alert,
                "--assign",
                &format!("{tag}@contoso.com"),
            ]
            .map(str::to_owned)
            .to_vec()
        } else {
            ["alerts", "comment", alert, &tag]
                .map(str::to_owned)
                .to_vec()
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // First half: anywhere in the command's life. Second half: just before the
        // typical end of an unkilled comment run, where the POST has landed and `done` is
        // being written — the window a blind resend would double.
        let kill_after = match typical_end(&durations) {
            Some(end) if run >= RUNS / 2 => {
                let ms = end.as_millis() as u64;
                Duration::from_millis(ms.saturating_sub(25) + rng.next() % 30)
            }
            _ => Duration::from_millis(rng.next() % 160),
        };
        let mut child = graphsec(&home.0, &emu.endpoint, &args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let started = Instant::now();
        let exited = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break Some(status);
            }
            if started.elapsed() >= kill_after {
                break None;
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        match exited {
            Some(status) => {
                finished += 1;
                if args[1] == "comment" && !throttled_run(&status) {
                    durations.push(started.elapsed());
                }
                assert!(
                    matches!(status.code(), Some(0 | 75)),
                    "run {run} ended with {status}"
                );
            }
            None => {
                child.kill().expect("SIGKILL");
                let _ = child.wait();
                killed += 1;
            }
        }
        // What the restart will find (this open also repairs a torn tail, as a restart does).
        let before = intended.len();
        if journal_path.exists() {
            let j = Journal::open(&journal_path).expect("journal after kill");
            for s in j.entries() {
                if s.status == Status::Pending
                    && s.sent > 0
                    && exited.is_none()
                    && mid_send.insert(s.entry.id.clone())
                    && let Op::AlertComment { text, .. } = &s.entry.op
                {
                    // Did the POST land before the kill? Then only the exactly-once check
                    // stands between the restart and a double comment.
                    let alert = alert_json(&home.0, &emu.endpoint, &s.entry.target.id);
                    let there = alert["comments"]
                        .as_array()
                        .is_some_and(|cs| cs.iter().any(|c| c["comment"] == text.as_str()));
                    if there {
                        landed_unrecorded += 1;
                    }
                }
                intended
                    .entry(s.entry.id.clone())
                    .or_insert_with(|| (s.entry.target.id.clone(), s.entry.op.clone()));
            }
        }
        if intended.len() == before && exited.is_none() {
            before_journal += 1;
        }
    }

    // Restart: drain everything that is left.
    let mut flushed = false;
    for _ in 0..3 {
        let (code, _, err) = output(graphsec(&home.0, &emu.endpoint, &["outbox", "flush"]));
        if code == Some(0) {
            flushed = true;
            break;
        }
        assert_eq!(code, Some(75), "flush: {err}");
    }
    assert!(flushed, "the outbox drained");
    let (code, out, _) = output(graphsec(
        &home.0,
        &emu.endpoint,
        &["outbox", "list", "--output", "json"],
    ));
    assert_eq!(code, Some(0));
    assert_eq!(out.trim(), "[]", "nothing left unfinished");

    // Count at the emulator.
    let mut comments_checked = 0;
    let mut assigns_checked = 0;
    for id in &ids {
        let alert = alert_json(&home.0, &emu.endpoint, id);
        let on_server: Vec<String> = alert["comments"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["comment"].as_str())
                    .filter(|t| t.starts_with("kill-"))
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let mine: Vec<&String> = intended
            .values()
            .filter(|(a, _)| a == id)
            .filter_map(|(_, op)| match op {
                Op::AlertComment { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        for text in &mine {
            let n = on_server.iter().filter(|t| t == text).count();
            assert_eq!(n, 1, "{text} is on {id} {n} times");
            comments_checked += 1;
        }
        assert_eq!(
            on_server.len(),
            mine.len(),
            "every comment on {id} was journaled, none doubled: {on_server:?}"
        );
        let last_assign = intended
            .values()
            .rev()
            .filter(|(a, _)| a == id)
            .filter_map(|(_, op)| match op {
                Op::AlertUpdate { update, .. } => update.assigned_to.clone(),
                _ => None,
            })
            .next();
        if let Some(who) = last_assign {
            assert_eq!(alert["assignedTo"].as_str(), Some(who.as_str()), "on {id}");
            assigns_checked += 1;
        }
    }
    println!(
        "kill test (seed {seed:#x}): {RUNS} runs, {killed} SIGKILLed ({before_journal} before \
         journaling, {mid_send} with a send in flight, {landed_unrecorded} of them comments that \
         had landed without `done`), {finished} finished; {} writes journaled; \
         {comments_checked} comments each exactly once, last assignment in place on \
         {assigns_checked} alerts",
        intended.len(),
        mid_send = mid_send.len()
    );
    assert!(
        killed > 0 && !mid_send.is_empty(),
        "kills hit the interesting window"
    );
}
