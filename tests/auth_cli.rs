//! `graphsec login`, `whoami` and `logout` through the binary, with a private HOME, against
//! an emulator child process's identity endpoints.

mod support;

use graphsec::emulator::identity::{
    self, CERTIFICATE_CLIENT_ID, CONFIDENTIAL_CLIENT_ID, CONFIDENTIAL_CLIENT_SECRET,
    PUBLIC_CLIENT_ID,
};
use std::path::PathBuf;
use support::{EmulatorProcess, Home, Run, graphsec_env};

/// The emulator's tenant (the default seed).
fn tenant() -> String {
    graphsec::emulator::generate::tenant_id(graphsec::emulator::DEFAULT_SEED)
}

fn login_endpoint(emu: &EmulatorProcess) -> String {
    emu.endpoint.trim_end_matches("/v1.0").to_owned()
}

fn write_config(home: &Home, text: &str) {
    let dir = home.0.join("config").join("graphsec");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("config.toml"), text).unwrap();
}

/// Runs with no GRAPHSEC_TOKEN, so the profile's sign-in is used.
fn run(home: &Home, emu: &EmulatorProcess, args: &[&str], env: &[(&str, &str)]) -> Run {
    let r = graphsec_env(home, &emu.endpoint, "", args, env);
    support::assert_terminal_safe("stdout", &r.stdout);
    r
}

fn cache_files(home: &Home) -> Vec<PathBuf> {
    home.files()
        .into_iter()
        .filter(|p| p.starts_with(home.0.join("cache").join("graphsec").join("tokens")))
        .collect()
}

#[test]
fn device_code_login_whoami_logout() {
    let emu = EmulatorProcess::start(&[
        "--alerts",
        "20",
        "--pending-polls",
        "1",
        "--device-code-interval",
        "1",
    ]);
    let home = Home::new("auth-cli-device");
    write_config(
        &home,
        &format!(
            "default_profile = \"lab\"\n[profiles.lab]\ntenant = \"{}\"\nclient_id = \"{PUBLIC_CLIENT_ID}\"\nauth = \"device_code\"\nlogin_endpoint = \"{}\"\n",
            tenant(),
            login_endpoint(&emu)
        ),
    );
    let before = run(&home, &emu, &["whoami"], &[]);
    assert!(!before.ok);
    assert!(
        before
            .stderr
            .contains("Not signed in for profile 'lab': run 'graphsec login --profile lab'."),
        "{}",
        before.stderr
    );

    let login = run(&home, &emu, &["login"], &[]);
    assert!(login.ok, "{}", login.stderr);
    assert!(
        login.stdout.contains(&format!(
            "To sign in, open {}/devicelogin in any browser and enter the code ",
            login_endpoint(&emu)
        )),
        "{}",
        login.stdout
    );
    assert!(
        !login.stdout.contains("\x1b]52"),
        "no OSC 52 when not a terminal"
    );
    assert!(
        login.stdout.contains(&format!(
            "Signed in to tenant {} as {}.",
            tenant(),
            identity::SIGNED_IN_USER
        )),
        "{}",
        login.stdout
    );
    let files = cache_files(&home);
    assert_eq!(files.len(), 1, "{files:?}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&files[0]).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let cached: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    let access = cached["tokens"]["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let refresh = cached["tokens"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let who = run(&home, &emu, &["whoami"], &[]);
    assert!(who.ok, "{}", who.stderr);
    for line in [
        format!("tenant:    {}", tenant()),
        format!("client:    {PUBLIC_CLIENT_ID}"),
        format!("user:      {}", identity::SIGNED_IN_USER),
        "alerts: read and change".to_owned(),
        "incidents: read and change".to_owned(),
        "expires:   ".to_owned(),
    ] {
        assert!(who.stdout.contains(&line), "{line} in {}", who.stdout);
    }

    // Headless reads use the cached sign-in.
    let list = run(
        &home,
        &emu,
        &["alerts", "list", "--max", "3", "--output", "ndjson"],
        &[],
    );
    assert!(list.ok, "{}", list.stderr);
    assert_eq!(list.stdout.lines().count(), 3);

    let out = run(&home, &emu, &["logout"], &[]);
    assert!(out.ok);
    assert!(
        out.stdout
            .contains("Signed out of profile 'lab': removed 1"),
        "{}",
        out.stdout
    );
    assert!(cache_files(&home).is_empty());
    assert!(!run(&home, &emu, &["whoami"], &[]).ok);

    // No token ever reached an output or the log.
    for (what, text) in [
        ("login", login.stdout + &login.stderr),
        ("whoami", who.stdout + &who.stderr),
        ("list", list.stderr),
        ("log", home.log()),
    ] {
        assert!(
            !text.contains(&access) && !text.contains(&refresh),
            "{what} shows a token"
        );
    }
}

#[test]
fn app_logins_with_secret_file_and_certificate() {
    let home = Home::new("auth-cli-app");
    // The emulator writes the certificate app's files before it says it is listening.
    let pki = home.0.join("pki");
    let emu = EmulatorProcess::start(&["--alerts", "5", "--write-app-cert", pki.to_str().unwrap()]);
    let (cert, key) = (pki.join("app-cert.pem"), pki.join("app-key.pem"));
    assert_eq!(
        std::fs::read_to_string(&cert).unwrap(),
        identity::APP_CERTIFICATE_PEM
    );
    let secret_file = home.0.join("secret.txt");
    std::fs::write(&secret_file, format!("{CONFIDENTIAL_CLIENT_SECRET}\n")).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let login = login_endpoint(&emu);
    let t = tenant();
    write_config(
        &home,
        &format!(
            "[profiles.secret]\ntenant = \"{t}\"\nclient_id = \"{CONFIDENTIAL_CLIENT_ID}\"\nauth = \"client_secret\"\nclient_secret_file = \"{}\"\nlogin_endpoint = \"{login}\"\n\
             [profiles.inline]\ntenant = \"{t}\"\nclient_id = \"{CONFIDENTIAL_CLIENT_ID}\"\nauth = \"client_secret\"\nclient_secret = \"{CONFIDENTIAL_CLIENT_SECRET}\"\nlogin_endpoint = \"{login}\"\n\
             [profiles.cert]\ntenant = \"{t}\"\nclient_id = \"{CERTIFICATE_CLIENT_ID}\"\nauth = \"client_certificate\"\ncertificate_file = \"{}\"\nprivate_key_file = \"{}\"\nassertion_alg = \"PS256\"\nlogin_endpoint = \"{login}\"\n\
             [profiles.wrong]\ntenant = \"{t}\"\nclient_id = \"{CONFIDENTIAL_CLIENT_ID}\"\nauth = \"client_secret\"\nclient_secret_env = \"WRONG_SECRET\"\nlogin_endpoint = \"{login}\"\n",
            secret_file.display(),
            cert.display(),
            key.display()
        ),
    );

    let r = run(&home, &emu, &["--profile", "secret", "login"], &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!(
            "Signed in to tenant {t} as app {CONFIDENTIAL_CLIENT_ID}."
        )),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr.contains("can be read by other users"),
        "{}",
        r.stderr
    );

    let r = run(&home, &emu, &["--profile", "inline", "whoami"], &[]);
    assert!(r.ok, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("keeps its client secret in the config file"),
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains(CONFIDENTIAL_CLIENT_SECRET)
            && !r.stdout.contains(CONFIDENTIAL_CLIENT_SECRET)
    );

    let r = run(&home, &emu, &["--profile", "cert", "whoami"], &[]);
    assert!(r.ok, "{}", r.stderr);
    for line in [
        "roles:     SecurityAlert.Read.All",
        "alerts: read only (changes need SecurityAlert.ReadWrite.All)",
        "incidents: not allowed (needs SecurityIncident.Read.All or SecurityIncident.ReadWrite.All)",
    ] {
        assert!(r.stdout.contains(line), "{line} in {}", r.stdout);
    }
    let r = run(
        &home,
        &emu,
        &["--profile", "cert", "alerts", "list", "--output", "ndjson"],
        &[],
    );
    assert!(r.ok, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 5);

    let r = run(
        &home,
        &emu,
        &["--profile", "wrong", "login"],
        &[("WRONG_SECRET", "nope")],
    );
    assert!(!r.ok);
    assert!(
        r.stderr.contains("The client secret is wrong or expired"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("nope"));
}

#[test]
fn a_declined_sign_in_says_so() {
    let emu = EmulatorProcess::start(&[
        "--pending-polls",
        "0",
        "--decline",
        "--device-code-interval",
        "1",
    ]);
    let home = Home::new("auth-cli-decline");
    write_config(
        &home,
        &format!(
            "[profiles.default]\ntenant = \"{}\"\nclient_id = \"{PUBLIC_CLIENT_ID}\"\nlogin_endpoint = \"{}\"\n",
            tenant(),
            login_endpoint(&emu)
        ),
    );
    let r = run(&home, &emu, &["login"], &[]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("The sign-in was declined"),
        "{}",
        r.stderr
    );
    assert!(cache_files(&home).is_empty());
}

#[test]
fn a_token_graph_keeps_refusing_says_to_sign_in_again() {
    let emu = EmulatorProcess::start(&["--alerts", "2"]);
    let home = Home::new("auth-cli-401");
    // A JWT the emulator did not sign: refused, retried once, refused again.
    let forged = "eyJhbGciOiJSUzI1NiJ9.eyJ1cG4iOiJ4In0.c2ln";
    let r = graphsec_env(&home, &emu.endpoint, forged, &["alerts", "list"], &[]);
    assert!(!r.ok);
    assert!(
        r.stderr.contains("InvalidAuthenticationToken"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("run 'graphsec login' to sign in again"),
        "{}",
        r.stderr
    );
}
