//! SIGHUP (the SSH link dropped) ends the console cleanly, and a comment the analyst sent
//! but Graph had not yet accepted is on disk in the outbox; the next run sends it once.
//!
//! The console runs on a pseudo-terminal (it needs one for raw mode); the emulator runs in
//! this process so the test can hold comment POSTs back with 429s while the analyst types.

mod outbox_support;

use graphsec::emulator::{Fault, Route, Scope};
use graphsec::outbox::{Journal, Op, Status, journal};
use outbox_support::{TempDir, analyst_token, bare_client, emulator};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_graphsec");
/// Upper bound on any wait here, so a broken build fails instead of hanging; never a
/// measure of speed.
const PATIENCE: Duration = Duration::from_secs(20);
const NOTE: &str = "sighup-note-7f3a";

/// Opens a pseudo-terminal of 80x24; returns (master, slave).
fn openpty() -> (File, File) {
    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: valid out-pointers for the two descriptors, no name buffer, default termios,
    // and a valid winsize.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fresh descriptors that nothing else owns.
    unsafe { (File::from_raw_fd(master), File::from_raw_fd(slave)) }
}

fn wait_for(what: &str, screen: &Mutex<Vec<u8>>, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < PATIENCE,
            "gave up waiting for {what}; the screen so far: {:?}",
            String::from_utf8_lossy(&screen.lock().expect("screen"))
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal_text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn sighup_ends_the_console_with_the_unsent_comment_on_disk() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let emu = rt.block_on(emulator(40, None));
    let home = TempDir::new("outbox-sighup");
    let journal_path = journal::path_for(&home.0.join("data").join("graphsec"), "default");
    let (master, slave) = openpty();

    let mut console = Command::new(BIN)
        .arg("--endpoint")
        .arg(emu.base_url())
        .env("GRAPHSEC_TOKEN", analyst_token())
        .env("HOME", &home.0)
        .env("XDG_CONFIG_HOME", home.0.join("config"))
        .env("XDG_STATE_HOME", home.0.join("state"))
        .env("XDG_DATA_HOME", home.0.join("data"))
        .env("TERM", "xterm-256color")
        .env_remove("GRAPHSEC_CONFIG")
        .env_remove("GRAPHSEC_PROFILE")
        .stdin(Stdio::from(slave.try_clone().expect("dup")))
        .stdout(Stdio::from(slave.try_clone().expect("dup")))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("start the console");

    // Everything the console draws, collected in the background.
    let screen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let mut reader = master.try_clone().expect("dup master");
    let mut answer = master.try_clone().expect("dup master");
    let sink = screen.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            // Play the terminal: answer a cursor position query as a real one would.
            if buf[..n].windows(4).any(|w| w == b"\x1b[6n") {
                let _ = answer.write_all(b"\x1b[1;1R");
            }
            sink.lock().expect("screen").extend_from_slice(&buf[..n]);
        }
    });
    let shown = |needle: &str| {
        let s = screen.lock().expect("screen");
        String::from_utf8_lossy(&s).contains(needle)
    };
    let mut keys = master;

    wait_for("the first load", &screen, || shown("current "));
    // Graph will not take the comment for now.
    emu.controls().inject(
        Fault::Throttle {
            retry_after: Some(30),
        },
        10_000,
        Scope {
            method: Some("POST".into()),
            route: Some(Route::AlertComments),
        },
    );
    keys.write_all(b"m").expect("key");
    wait_for("the comment editor", &screen, || shown("Comment on"));
    keys.write_all(NOTE.as_bytes()).expect("type");
    keys.write_all(b"\x13").expect("ctrl-s");
    wait_for("the comment in the journal", &screen, || {
        journal_text(&journal_path).contains(NOTE)
    });
    wait_for("a POST attempt", &screen, || {
        emu.controls().requests("POST", Route::AlertComments) > 0
    });

    // The SSH link drops.
    // SAFETY: kill with a pid we spawned and a valid signal number.
    let rc = unsafe { libc::kill(console.id() as libc::pid_t, libc::SIGHUP) };
    assert_eq!(rc, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = console.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > PATIENCE {
            let _ = console.kill();
            panic!("the console did not leave after SIGHUP");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "clean exit after SIGHUP: {status}");
    let tail = String::from_utf8_lossy(&screen.lock().expect("screen")).into_owned();
    assert!(!tail.contains("panicked"), "no panic output");

    // On disk, whole, and still to be sent.
    {
        let j = Journal::open(&journal_path).expect("journal");
        assert!(!j.replay_report().torn_tail);
        let entry = j
            .entries()
            .find(|s| matches!(&s.entry.op, Op::AlertComment { text, .. } if text == NOTE))
            .expect("the comment is journaled");
        assert_eq!(entry.status, Status::Pending);
        assert!(entry.sent > 0);
    }

    // The next run sends it, once.
    emu.controls().clear_faults();
    let out = Command::new(BIN)
        .arg("--endpoint")
        .arg(emu.base_url())
        .args(["outbox", "flush"])
        .env("GRAPHSEC_TOKEN", analyst_token())
        .env("HOME", &home.0)
        .env("XDG_CONFIG_HOME", home.0.join("config"))
        .env("XDG_STATE_HOME", home.0.join("state"))
        .env("XDG_DATA_HOME", home.0.join("data"))
        .output()
        .expect("flush");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = bare_client(&emu.base_url());
    let alert_id = {
        let j = Journal::open(&journal_path).expect("journal");
        j.entries()
            .find(|s| matches!(&s.entry.op, Op::AlertComment { text, .. } if text == NOTE))
            .map(|s| s.entry.target.id.clone())
            .expect("entry kept until compaction")
    };
    let alert = rt
        .block_on(client.get_alert(&alert_id))
        .expect("get the alert");
    let n = alert
        .comments
        .iter()
        .filter(|c| c.comment.as_deref() == Some(NOTE))
        .count();
    assert_eq!(n, 1);
}
