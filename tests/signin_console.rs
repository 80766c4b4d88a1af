//! The console's own sign-in, in a real terminal (tmux): a device-code profile with nothing
//! cached prints the verification URL and the code before the console starts; once the
//! code is entered on the emulator's page (as a person with a browser would), the console
//! opens on the tenant and the sign-in is cached, so the next start asks nothing.

mod support;

use std::time::Duration;
use support::tmux::{Tmux, quote};
use support::{BIN, EmulatorProcess, Home};

#[test]
fn a_device_code_profile_signs_in_before_the_console_opens() {
    let emu = EmulatorProcess::start(&["--alerts", "7", "--pending-polls", "1"]);
    let origin = emu.endpoint.trim_end_matches("/v1.0").to_owned();
    let home = Home::new("signin-console");
    let dir = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(
        dir.join("config.toml"),
        format!(
            "default_profile = \"lab\"\n[profiles.lab]\ntenant = \"organizations\"\n\
             client_id = \"{}\"\nauth = \"device_code\"\nendpoint = \"{}\"\n\
             login_endpoint = \"{origin}\"\n",
            graphsec::emulator::identity::PUBLIC_CLIENT_ID,
            emu.endpoint
        ),
    )
    .expect("config");
    let mut shell = String::from(
        "env -u GRAPHSEC_TOKEN -u GRAPHSEC_ENDPOINT -u GRAPHSEC_PROFILE -u GRAPHSEC_CONFIG",
    );
    for (k, v) in [
        ("HOME", home.0.clone()),
        ("XDG_CONFIG_HOME", home.0.join("config")),
        ("XDG_STATE_HOME", home.0.join("state")),
        ("XDG_DATA_HOME", home.0.join("data")),
        ("XDG_CACHE_HOME", home.0.join("cache")),
    ] {
        shell.push_str(&format!(" {k}={}", quote(&v.display().to_string())));
    }
    shell.push_str(&format!(" {}", quote(BIN)));
    let tmux = Tmux {
        socket: format!("graphsec-signin-{}", std::process::id()),
    };
    let start = |tmux: &Tmux| {
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "100",
            "-y",
            "30",
            "-s",
            "console",
            &shell,
        ]);
    };
    start(&tmux);
    let screen = tmux.wait_for("the sign-in prompt", |s| s.contains("enter the code"));
    assert!(
        screen.contains(&format!("{origin}/devicelogin")),
        "{screen}"
    );
    let code = screen
        .split("enter the code ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a code on screen")
        .to_owned();

    // What the analyst does in a browser on their laptop.
    let page = browser_get(&format!("{origin}/devicelogin?user_code={code}"));
    assert!(page.contains("signed in"), "{page}");

    let port = origin.trim_start_matches("http://");
    let screen = tmux.wait_for("the console on the tenant", |s| {
        s.lines()
            .next()
            .is_some_and(|top| top.contains("lab") && top.contains(port))
            && s.contains(" alerts · current ")
    });
    assert!(
        !screen.contains(&code),
        "the prompt is gone once the console draws"
    );
    tmux.run(&["send-keys", "-t", "console", ":q", "Enter"]);
    wait_gone(&tmux);

    // Cached: the next start goes straight to the console.
    start(&tmux);
    let screen = tmux.wait_for("the console again", |s| s.contains(" alerts · current "));
    assert!(!screen.contains("enter the code"), "{screen}");
    tmux.run(&["send-keys", "-t", "console", ":q", "Enter"]);
    wait_gone(&tmux);
}

fn wait_gone(tmux: &Tmux) {
    for _ in 0..100 {
        if tmux.run(&["list-sessions"]).is_empty() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("the console did not quit:\n{}", tmux.screen());
}

/// What a browser does with the verification page: one GET on loopback, with a small
/// runtime of its own (the test is synchronous; tmux does the waiting).
fn browser_get(url: &str) -> String {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async {
            reqwest::get(url)
                .await
                .expect("the page answers")
                .text()
                .await
                .expect("a page")
        })
}
