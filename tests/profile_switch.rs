//! `:profile NAME` in the real console, in a real terminal (tmux): the top bar, the
//! endpoint and the queue all become the other profile's.

mod support;

use std::time::Duration;
use support::tmux::{Tmux, quote};
use support::{BIN, EmulatorProcess, Home, graphsec};

#[test]
fn profile_switch_rebuilds_the_console_on_the_other_tenant() {
    let empty = EmulatorProcess::start(&["--alerts", "0"]);
    let full = EmulatorProcess::start(&["--alerts", "12", "--seed", "7"]);
    let home = Home::new("profile-switch");
    let titles: Vec<String> = graphsec(
        &home,
        &full.endpoint,
        "t",
        &["alerts", "list", "--output", "ndjson"],
    )
    .stdout
    .lines()
    .map(|l| {
        let v: serde_json::Value = serde_json::from_str(l).expect("ndjson");
        let title = v["title"].as_str().expect("title").to_owned();
        title.chars().take(14).collect()
    })
    .collect();
    assert_eq!(titles.len(), 12);

    let dir = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "default_profile = \"alpha\"\n[profiles.alpha]\nendpoint = \"{}\"\n\
             [profiles.bravo]\nendpoint = \"{}\"\n\
             [profiles.broken]\nca_file = \"/nonexistent/proxy-ca.pem\"\n",
            empty.endpoint, full.endpoint
        ),
    )
    .expect("config");
    let env = [
        ("GRAPHSEC_TOKEN", "t".to_owned()),
        ("HOME", home.0.display().to_string()),
        (
            "XDG_CONFIG_HOME",
            home.0.join("config").display().to_string(),
        ),
        ("XDG_STATE_HOME", home.0.join("state").display().to_string()),
        ("XDG_DATA_HOME", home.0.join("data").display().to_string()),
        ("GRAPHSEC_LOG", "debug".to_owned()),
    ];
    let mut shell = String::from("env -u GRAPHSEC_ENDPOINT -u GRAPHSEC_CONFIG -u GRAPHSEC_PROFILE");
    for (k, v) in &env {
        shell.push_str(&format!(" {k}={}", quote(v)));
    }
    shell.push_str(&format!(" {}", quote(BIN)));

    let tmux = Tmux {
        socket: format!("graphsec-test-{}", std::process::id()),
    };
    tmux.run(&[
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "30",
        "-s",
        "console",
        &shell,
    ]);
    let port = |endpoint: &str| {
        endpoint
            .trim_start_matches("http://")
            .trim_end_matches("/v1.0")
            .to_owned()
    };
    let (a, b) = (port(&empty.endpoint), port(&full.endpoint));
    tmux.wait_for("profile alpha on the empty tenant", |s| {
        s.contains("alpha") && s.contains(&a)
    });

    tmux.run(&["send-keys", "-t", "console", ":profile nope", "Enter"]);
    tmux.wait_for("the list of profiles", |s| {
        s.contains("Unknown profile 'nope': profiles are alpha, bravo, broken")
    });

    // A profile that cannot be opened leaves the console where it was.
    tmux.run(&["send-keys", "-t", "console", ":profile broken", "Enter"]);
    let screen = tmux.wait_for("the failed switch", |s| {
        s.contains("Cannot switch to profile broken: cannot read ca_file")
    });
    let top = screen.lines().next().unwrap_or_default();
    assert!(top.contains("alpha") && top.contains(&a), "{screen}");

    tmux.run(&["send-keys", "-t", "console", ":profile bravo", "Enter"]);
    let screen = tmux.wait_for("profile bravo's alerts", |s| {
        s.contains("bravo") && s.contains(&b) && titles.iter().any(|t| s.contains(t.as_str()))
    });
    let top = screen.lines().next().unwrap_or_default();
    assert!(
        top.contains("bravo") && !top.contains("alpha") && !top.contains(&a),
        "{screen}"
    );

    // And back: the first profile's outbox was let go, so it opens again.
    tmux.run(&["send-keys", "-t", "console", ":profile alpha", "Enter"]);
    tmux.wait_for("profile alpha again", |s| {
        let top = s.lines().next().unwrap_or_default();
        top.contains("alpha") && top.contains(&a)
    });

    tmux.run(&["send-keys", "-t", "console", ":q", "Enter"]);
    for _ in 0..100 {
        if tmux.run(&["list-sessions"]).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(home.log().contains("profile switched"), "{}", home.log());
}
