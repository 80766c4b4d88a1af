//! Shared by the tests that run the binary: an emulator child process and headless runs
//! with a private HOME (so config, state and logs are the test's own).

#![allow(dead_code)] // each test crate uses a different part

pub mod console;
pub mod tmux;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_graphsec");

/// `graphsec emulator` in a child process; killed on drop.
pub struct EmulatorProcess {
    child: Child,
    pub endpoint: String,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EmulatorProcess {
    pub fn start(args: &[&str]) -> EmulatorProcess {
        let mut child = Command::new(BIN)
            .args(["emulator", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("first line");
        let addr = first
            .trim()
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_owned();
        EmulatorProcess {
            child,
            endpoint: format!("{addr}/v1.0"),
        }
    }
}

/// A private HOME for one test, removed on drop.
pub struct Home(pub PathBuf);

impl Home {
    pub fn new(name: &str) -> Home {
        let dir = std::env::temp_dir().join(format!(
            "graphsec-{name}-{}-{:x}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).expect("temp home");
        Home(dir)
    }

    pub fn state_dir(&self) -> PathBuf {
        self.0.join("state").join("graphsec")
    }

    pub fn log_file(&self) -> PathBuf {
        self.state_dir().join("graphsec.log")
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_file()).unwrap_or_default()
    }

    /// Every file under this home, recursively.
    pub fn files(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.0, &mut out);
        out
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What one run printed.
pub struct Run {
    pub ok: bool,
    /// The exit status (None when killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// The environment that takes the request budget off a run against the emulator, for tests
/// that throttle on purpose: after each 429 the budget would pace the rest of the run at a
/// request a second or slower. The budget is tested in src/graph/budget.rs and tests/budget.rs.
pub const UNBUDGETED: (&str, &str) = ("GRAPHSEC_REQUEST_BUDGET", "unlimited");

/// Runs `graphsec --endpoint E ARGS` with `token`, the home's XDG dirs and `GRAPHSEC_LOG`.
pub fn graphsec(home: &Home, endpoint: &str, token: &str, args: &[&str]) -> Run {
    graphsec_env(home, endpoint, token, args, &[])
}

/// `graphsec --endpoint E` with `token`, a private HOME and XDG dirs under `home`, and no
/// config or profile from the environment: the base every run of the binary in a test
/// starts from (add the arguments, then output/spawn).
pub fn command(home: &Path, endpoint: &str, token: &str) -> Command {
    let mut c = Command::new(BIN);
    c.arg("--endpoint")
        .arg(endpoint)
        .env("GRAPHSEC_TOKEN", token)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env_remove("GRAPHSEC_CONFIG")
        .env_remove("GRAPHSEC_PROFILE");
    c
}

/// [`graphsec`] with more environment variables.
pub fn graphsec_env(
    home: &Home,
    endpoint: &str,
    token: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> Run {
    let out = command(&home.0, endpoint, token)
        .args(args)
        .env("GRAPHSEC_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .env_remove(UNBUDGETED.0)
        .envs(env.iter().copied())
        .output()
        .expect("run graphsec");
    let run = Run {
        ok: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked at"),
        "graphsec {args:?} panicked:\n{}",
        run.stderr
    );
    run
}

/// The first dangerous character in `text` other than the line breaks output is made of.
pub fn dangerous(text: &str) -> Option<(usize, char)> {
    text.char_indices()
        .find(|(_, c)| *c != '\n' && graphsec::sanitize::is_dangerous(*c))
}

pub fn assert_terminal_safe(what: &str, text: &str) {
    if let Some((i, c)) = dangerous(text) {
        let start = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
        panic!("{what}: {c:?} at byte {i}, after {:?}", &text[start..i]);
    }
}
