//! Configuration: one TOML file with named profiles, read from the XDG config dir (or
//! `--config` / `GRAPHSEC_CONFIG`), plus the XDG paths for state (logs) and data.
//!
//! A missing file is not an error (the defaults work); unknown keys are reported as warnings,
//! never a crash, so a config written for a newer version still loads.

use crate::app::score::ChartMarker;
use crate::graph::budget::GRAPH_SECURITY_PER_MINUTE;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The Graph endpoint used when a profile names neither `endpoint` nor `cloud`.
pub const DEFAULT_ENDPOINT: &str = "https://graph.microsoft.com/v1.0";
/// The profile used when neither `--profile` nor `default_profile` names one.
pub const DEFAULT_PROFILE: &str = "default";

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("profile '{0}' is not defined in the config")]
    UnknownProfile(String),
}

/// A Microsoft cloud: which sign-in host and which Graph host a profile talks to.
///
/// The hosts are those of Microsoft's "Microsoft Graph national cloud deployments" page
/// (learn.microsoft.com/graph/deployments): the Microsoft Entra ID endpoint table and the
/// Microsoft Graph service root table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Cloud {
    /// The global service.
    #[default]
    Global,
    /// Microsoft Graph for US Government L4 (GCC High).
    UsGov,
    /// Microsoft Graph for US Government L5 (DoD).
    UsGovDod,
    /// Microsoft Graph China operated by 21Vianet.
    China,
}

impl Cloud {
    /// Every cloud, in the order they are listed to the user.
    pub const ALL: [Cloud; 4] = [Cloud::Global, Cloud::UsGov, Cloud::UsGovDod, Cloud::China];

    /// The name used in the config (`cloud = "usgov-dod"`).
    pub fn name(self) -> &'static str {
        match self {
            Cloud::Global => "global",
            Cloud::UsGov => "usgov",
            Cloud::UsGovDod => "usgov-dod",
            Cloud::China => "china",
        }
    }

    /// Parses a config name; the error lists the four names.
    pub fn parse(name: &str) -> Result<Cloud, String> {
        Cloud::ALL
            .into_iter()
            .find(|c| c.name() == name.trim())
            .ok_or_else(|| {
                let names: Vec<&str> = Cloud::ALL.iter().map(|c| c.name()).collect();
                format!(
                    "unknown cloud '{}': give one of {}",
                    crate::sanitize::line(name),
                    names.join(", ")
                )
            })
    }

    /// The Microsoft Entra ID (sign-in) host, as a base URL without a trailing slash.
    pub fn login_base(self) -> &'static str {
        match self {
            Cloud::Global => "https://login.microsoftonline.com",
            Cloud::UsGov | Cloud::UsGovDod => "https://login.microsoftonline.us",
            Cloud::China => "https://login.chinacloudapi.cn",
        }
    }

    /// The Graph v1.0 base URL of this cloud.
    pub fn graph_base(self) -> &'static str {
        match self {
            Cloud::Global => DEFAULT_ENDPOINT,
            Cloud::UsGov => "https://graph.microsoft.us/v1.0",
            Cloud::UsGovDod => "https://dod-graph.microsoft.us/v1.0",
            Cloud::China => "https://microsoftgraph.chinacloudapi.cn/v1.0",
        }
    }
}

impl<'de> Deserialize<'de> for Cloud {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Cloud, D::Error> {
        let name = String::deserialize(d)?;
        Cloud::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The profile used when `--profile` is not given.
    pub default_profile: Option<String>,
    pub profiles: BTreeMap<String, Profile>,
    pub ui: UiConfig,
    /// Key binding overrides: action name → key (see `graphsec --help-keys` / the `?` overlay).
    pub keys: BTreeMap<String, String>,
}

/// One tenant/account to talk to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Profile {
    /// Which Microsoft cloud the tenant lives in (default global): picks the Graph and
    /// sign-in hosts.
    pub cloud: Option<Cloud>,
    /// Graph base URL, e.g. `https://graph.microsoft.com/v1.0`; overrides the cloud's.
    /// Plain `http://` is refused unless the host is loopback.
    pub endpoint: Option<String>,
    /// Sign-in (Microsoft Entra ID) base URL, e.g. `https://login.microsoftonline.us`;
    /// overrides the cloud's.
    pub login_endpoint: Option<String>,
    /// Extra CA certificates (PEM, one or more) trusted for this profile on top of the
    /// system's, e.g. a corporate TLS-inspecting proxy's CA. Relative paths are taken from
    /// the config file's directory; `~/` is the home directory.
    pub ca_file: Option<PathBuf>,
    /// The analyst's own name for "assign to me" when the token does not carry one.
    pub me: Option<String>,
    /// Remove every mutating action for this profile.
    pub read_only: bool,
    /// The most requests graphsec sends to this tenant in any minute, bursts included
    /// (1 to 150; default 140). Graph allows 150 per minute per app per tenant under
    /// /security, shared by every tool of the same app: lower it when others share it.
    pub requests_per_minute: Option<u32>,
    /// Sign-in: tenant, client_id, auth, login_endpoint, secrets, certificate, scopes
    /// (see [`crate::signin::profile::ProfileAuth`]).
    #[serde(flatten)]
    pub auth: crate::signin::profile::ProfileAuth,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct UiConfig {
    /// Drop all colours (the `NO_COLOR` environment variable does the same).
    pub no_color: bool,
    /// How `y` copies: `osc52` (works over SSH and inside tmux) or `off`.
    pub clipboard: ClipboardMode,
    /// Largest payload copied with OSC 52, in bytes (some terminals drop larger ones).
    pub clipboard_max_bytes: usize,
    /// How the `:score` chart draws its points: `braille` (default), `dot`, `block`,
    /// `halfblock` or `bar` (for fonts without Braille patterns). Read with
    /// [`UiConfig::chart_marker`]: an unknown name is a warning, not an error.
    pub chart_marker: String,
}

impl UiConfig {
    /// The chart marker named by `chart_marker`, and a warning when the name is unknown
    /// (the default, Braille, is used then).
    pub fn chart_marker(&self) -> (ChartMarker, Option<String>) {
        match ChartMarker::parse(&self.chart_marker) {
            Some(m) => (m, None),
            None => {
                let names: Vec<&str> = ChartMarker::ALL.iter().map(|m| m.name()).collect();
                let warning = format!(
                    "ui.chart_marker = {:?} is not one of {}; using {}",
                    crate::sanitize::line(&self.chart_marker),
                    names.join(", "),
                    ChartMarker::default().name()
                );
                (ChartMarker::default(), Some(warning))
            }
        }
    }
}

impl Profile {
    /// The Graph base URL: `endpoint` when given, else the cloud's.
    pub fn graph_base(&self) -> String {
        self.endpoint
            .clone()
            .unwrap_or_else(|| self.cloud.unwrap_or_default().graph_base().to_owned())
    }

    /// The sign-in base URL (no trailing slash): `login_endpoint` when given, else the
    /// cloud's. Sign-in code appends `/{tenant}/oauth2/v2.0/...`.
    pub fn login_base(&self) -> String {
        match &self.login_endpoint {
            Some(url) => url.trim().trim_end_matches('/').to_owned(),
            None => self.cloud.unwrap_or_default().login_base().to_owned(),
        }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        UiConfig {
            no_color: false,
            clipboard: ClipboardMode::Osc52,
            clipboard_max_bytes: 74_994,
            chart_marker: ChartMarker::default().name().to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClipboardMode {
    Osc52,
    Off,
}

/// A loaded config and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    pub config: Config,
    /// The file read, or `None` when none existed and defaults apply.
    pub path: Option<PathBuf>,
    /// Keys this version does not know, as `section.key`.
    pub warnings: Vec<String>,
}

/// The profile chosen for this run, with defaults filled in.
#[derive(Debug, Clone)]
pub struct ResolvedProfile {
    pub name: String,
    pub cloud: Cloud,
    /// The Graph base URL ([`Profile::graph_base`]).
    pub endpoint: String,
    /// The sign-in base URL ([`Profile::login_base`]).
    pub login_base: String,
    /// Extra trusted CA certificates (PEM), resolved to a full path.
    pub ca_file: Option<PathBuf>,
    pub me: Option<String>,
    pub read_only: bool,
    /// The profile's `requests_per_minute`, when set (checked to be 1 to 150).
    pub requests_per_minute: Option<u32>,
    /// The profile's sign-in settings.
    pub auth: crate::signin::profile::ProfileAuth,
}

impl ResolvedProfile {
    /// The identity platform to sign in at: `login_endpoint`, else the cloud's.
    pub fn login_base_url(&self) -> String {
        self.login_base.clone()
    }
}

impl Config {
    /// Parses TOML text; unknown keys become warnings.
    pub fn parse(text: &str, path: &Path) -> Result<(Config, Vec<String>), ConfigError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let warnings = unknown_keys(&table);
        let config =
            Config::deserialize(toml::Value::Table(table)).map_err(|e| ConfigError::Parse {
                path: path.to_owned(),
                message: e.to_string(),
            })?;
        let mut config = config;
        config.validate().map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for p in config.profiles.values_mut() {
            if let Some(ca) = p.ca_file.take() {
                p.ca_file = Some(resolve_path(base, &ca));
            }
        }
        Ok((config, warnings))
    }

    /// Values that parse but cannot be used.
    fn validate(&self) -> Result<(), String> {
        for (name, p) in &self.profiles {
            // Sign-in sends secrets there: https only (plain http to loopback, for a local
            // stand-in), refused at load rather than at the first sign-in.
            if let Some(url) = &p.login_endpoint {
                crate::graph::client::check_endpoint(url)
                    .map_err(|e| format!("profiles.{name}.login_endpoint: {e}"))?;
            }
            match p.requests_per_minute {
                Some(n) if !(1..=GRAPH_SECURITY_PER_MINUTE).contains(&n) => {
                    return Err(format!(
                        "profiles.{name}.requests_per_minute = {n}: give 1 to \
                         {GRAPH_SECURITY_PER_MINUTE} (Graph allows at most \
                         {GRAPH_SECURITY_PER_MINUTE} requests per minute per app per tenant \
                         under /security; more would only be answered with 429s)"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Picks the profile: `--profile`, else `default_profile`, else `default`. Naming a
    /// profile that the file does not define is an error; the implicit default is not.
    pub fn resolve_profile(&self, requested: Option<&str>) -> Result<ResolvedProfile, ConfigError> {
        let explicit = requested.or(self.default_profile.as_deref());
        let name = explicit.unwrap_or(DEFAULT_PROFILE).to_owned();
        let profile = match self.profiles.get(&name) {
            Some(p) => p.clone(),
            None if explicit.is_none() || name == DEFAULT_PROFILE => Profile::default(),
            None => return Err(ConfigError::UnknownProfile(name)),
        };
        let login_base = profile.login_base();
        let endpoint = profile.graph_base();
        // `login_endpoint` is read here (with the cloud's default and the https check);
        // sign-in takes the resolved base from its own settings.
        let mut auth = profile.auth;
        auth.login_endpoint = Some(login_base.clone());
        auth.ca_file = profile.ca_file.clone();
        Ok(ResolvedProfile {
            cloud: profile.cloud.unwrap_or_default(),
            endpoint,
            login_base,
            ca_file: profile.ca_file,
            me: profile.me.filter(|m| !m.trim().is_empty()),
            read_only: profile.read_only,
            requests_per_minute: profile.requests_per_minute,
            auth,
            name,
        })
    }
}

/// `~/x` (or `~`) under the home directory, when there is one; any other path as it is.
/// Shared by the config's paths and the files the analyst names (`:assess`, the CLI).
pub(crate) fn expand_home(path: &Path) -> PathBuf {
    if let Ok(rest) = path.strip_prefix("~")
        && let Some(dirs) = directories::BaseDirs::new()
    {
        return dirs.home_dir().join(rest);
    }
    path.to_owned()
}

/// `~/x` under the home directory; a relative path under `base` (the config file's
/// directory); an absolute path as it is.
fn resolve_path(base: &Path, path: &Path) -> PathBuf {
    let path = expand_home(path);
    if path.is_absolute() {
        path
    } else {
        base.join(path)
    }
}

/// Reads the config from `explicit` (`--config`), else `GRAPHSEC_CONFIG`, else the XDG
/// config dir. Only an explicitly named file must exist.
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ConfigError> {
    let env = std::env::var_os("GRAPHSEC_CONFIG").map(PathBuf::from);
    let (path, must_exist) = match (explicit, env) {
        (Some(p), _) => (Some(p.to_owned()), true),
        (None, Some(p)) => (Some(p), true),
        (None, None) => (paths().map(|p| p.config_file), false),
    };
    let Some(path) = path else {
        return Ok(Loaded::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let (config, warnings) = Config::parse(&text, &path)?;
            Ok(Loaded {
                config,
                path: Some(path),
                warnings,
            })
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => Ok(Loaded::default()),
        Err(source) => Err(ConfigError::Read { path, source }),
    }
}

/// Where graphsec keeps its files (XDG on Linux).
#[derive(Debug, Clone)]
pub struct Paths {
    pub config_file: PathBuf,
    /// Logs live here (`$XDG_STATE_HOME/graphsec`).
    pub state_dir: PathBuf,
    /// Journals and caches live here (`$XDG_DATA_HOME/graphsec`).
    pub data_dir: PathBuf,
}

pub fn paths() -> Option<Paths> {
    let dirs = directories::ProjectDirs::from("", "", "graphsec")?;
    let data_dir = dirs.data_dir().to_owned();
    Some(Paths {
        config_file: dirs.config_dir().join("config.toml"),
        state_dir: dirs
            .state_dir()
            .map(Path::to_owned)
            .unwrap_or_else(|| data_dir.join("state")),
        data_dir,
    })
}

const TOP_KEYS: &[&str] = &["default_profile", "profiles", "ui", "keys"];
const PROFILE_KEYS: &[&str] = &[
    "cloud",
    "endpoint",
    "login_endpoint",
    "ca_file",
    "me",
    "read_only",
    "requests_per_minute",
];
const UI_KEYS: &[&str] = &[
    "no_color",
    "clipboard",
    "clipboard_max_bytes",
    "chart_marker",
];

fn unknown_keys(table: &toml::Table) -> Vec<String> {
    let mut out = Vec::new();
    for (k, v) in table {
        if !TOP_KEYS.contains(&k.as_str()) {
            out.push(k.clone());
            continue;
        }
        match (k.as_str(), v) {
            ("ui", toml::Value::Table(ui)) => {
                out.extend(
                    ui.keys()
                        .filter(|k| !UI_KEYS.contains(&k.as_str()))
                        .map(|k| format!("ui.{k}")),
                );
            }
            ("profiles", toml::Value::Table(profiles)) => {
                for (name, p) in profiles {
                    if let toml::Value::Table(p) = p {
                        out.extend(
                            p.keys()
                                .filter(|k| {
                                    !PROFILE_KEYS.contains(&k.as_str())
                                        && !crate::signin::profile::PROFILE_AUTH_KEYS
                                            .contains(&k.as_str())
                                })
                                .map(|k| format!("profiles.{name}.{k}")),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<(Config, Vec<String>), ConfigError> {
        Config::parse(text, Path::new("test.toml"))
    }

    #[test]
    fn the_example_config_parses_without_warnings() {
        let text = include_str!("../config.example.toml");
        let (config, warnings) = parse(text).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(!config.profiles.is_empty());
    }

    #[test]
    fn profiles_resolve_with_defaults() {
        let (c, _) = parse(
            "default_profile = \"prod\"\n[profiles.prod]\nme = \"a@b.c\"\n[profiles.lab]\nendpoint = \"http://127.0.0.1:8080/v1.0\"\nread_only = true\n",
        )
        .unwrap();
        let prod = c.resolve_profile(None).unwrap();
        assert_eq!(prod.name, "prod");
        assert_eq!(prod.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(prod.me.as_deref(), Some("a@b.c"));
        let lab = c.resolve_profile(Some("lab")).unwrap();
        assert!(lab.read_only);
        assert!(matches!(
            c.resolve_profile(Some("nope")),
            Err(ConfigError::UnknownProfile(_))
        ));
    }

    #[test]
    fn empty_config_gives_the_default_profile() {
        let (c, _) = parse("").unwrap();
        let p = c.resolve_profile(None).unwrap();
        assert_eq!(p.name, DEFAULT_PROFILE);
        assert!(!p.read_only);
    }

    #[test]
    fn chart_marker_is_read_and_an_unknown_one_warns_and_falls_back_to_braille() {
        let (c, w) = parse("[ui]\nchart_marker = \"dot\"\n").unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(c.ui.chart_marker(), (ChartMarker::Dot, None));
        let (c, _) = parse("").unwrap();
        assert_eq!(c.ui.chart_marker(), (ChartMarker::Braille, None));
        let (c, w) = parse("[ui]\nchart_marker = \"sextant\\u001b[2J\"\n").unwrap();
        assert!(w.is_empty(), "a known key with an unknown value: {w:?}");
        let (marker, warning) = c.ui.chart_marker();
        assert_eq!(marker, ChartMarker::Braille);
        let warning = warning.unwrap();
        assert!(
            warning.contains("ui.chart_marker")
                && warning.contains("braille, dot, block, halfblock, bar"),
            "{warning}"
        );
        assert!(!warning.contains('\u{1b}'), "{warning:?}");
    }

    #[test]
    fn unknown_keys_warn_instead_of_failing() {
        let (_, w) =
            parse("colour = 1\n[ui]\nfancy = true\n[profiles.x]\nendpiont = \"y\"\n").unwrap();
        assert_eq!(w, vec!["colour", "profiles.x.endpiont", "ui.fancy"]);
    }

    #[test]
    fn requests_per_minute_is_checked_against_graphs_limit() {
        let (c, w) = parse("[profiles.a]\nrequests_per_minute = 150\n[profiles.b]\n").unwrap();
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(
            c.resolve_profile(Some("a")).unwrap().requests_per_minute,
            Some(150)
        );
        assert_eq!(
            c.resolve_profile(Some("b")).unwrap().requests_per_minute,
            None
        );
        for bad in ["0", "151", "1000"] {
            let err = parse(&format!("[profiles.x]\nrequests_per_minute = {bad}\n")).unwrap_err();
            let text = err.to_string();
            assert!(
                text.contains(&format!("profiles.x.requests_per_minute = {bad}"))
                    && text.contains("1 to 150"),
                "{text}"
            );
        }
        let err = parse("[profiles.x]\nrequests_per_minute = -5\n").unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
    }

    #[test]
    fn clouds_resolve_to_their_documented_hosts() {
        let (c, w) = parse(
            "[profiles.g]\n[profiles.gov]\ncloud = \"usgov\"\n[profiles.dod]\ncloud = \"usgov-dod\"\n\
             [profiles.cn]\ncloud = \"china\"\n[profiles.glob]\ncloud = \"global\"\n",
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        let hosts = |name: &str| {
            let p = c.resolve_profile(Some(name)).unwrap();
            (p.cloud, p.endpoint, p.login_base)
        };
        let expect = |cloud, graph: &str, login: &str| (cloud, graph.to_owned(), login.to_owned());
        assert_eq!(
            hosts("g"),
            expect(
                Cloud::Global,
                "https://graph.microsoft.com/v1.0",
                "https://login.microsoftonline.com"
            )
        );
        assert_eq!(hosts("glob"), hosts("g"));
        assert_eq!(
            hosts("gov"),
            expect(
                Cloud::UsGov,
                "https://graph.microsoft.us/v1.0",
                "https://login.microsoftonline.us"
            )
        );
        assert_eq!(
            hosts("dod"),
            expect(
                Cloud::UsGovDod,
                "https://dod-graph.microsoft.us/v1.0",
                "https://login.microsoftonline.us"
            )
        );
        assert_eq!(
            hosts("cn"),
            expect(
                Cloud::China,
                "https://microsoftgraph.chinacloudapi.cn/v1.0",
                "https://login.chinacloudapi.cn"
            )
        );
        // The implicit default profile is the global cloud too.
        let (empty, _) = parse("").unwrap();
        let d = empty.resolve_profile(None).unwrap();
        assert_eq!(
            (d.cloud, d.login_base.as_str()),
            (Cloud::Global, "https://login.microsoftonline.com")
        );
        for cloud in Cloud::ALL {
            assert_eq!(Cloud::parse(cloud.name()), Ok(cloud));
        }
    }

    #[test]
    fn explicit_endpoints_override_the_cloud() {
        let (c, _) = parse(
            "[profiles.x]\ncloud = \"usgov\"\nendpoint = \"https://graph.example.test/beta\"\n\
             login_endpoint = \"https://login.example.test/\"\n\
             [profiles.y]\ncloud = \"china\"\nendpoint = \"http://127.0.0.1:8080/v1.0\"\n",
        )
        .unwrap();
        let x = c.resolve_profile(Some("x")).unwrap();
        assert_eq!(x.cloud, Cloud::UsGov);
        assert_eq!(x.endpoint, "https://graph.example.test/beta");
        assert_eq!(x.login_base, "https://login.example.test");
        let y = c.resolve_profile(Some("y")).unwrap();
        assert_eq!(y.endpoint, "http://127.0.0.1:8080/v1.0");
        assert_eq!(y.login_base, "https://login.chinacloudapi.cn");
        assert_eq!(c.profiles["y"].graph_base(), y.endpoint);
        assert_eq!(c.profiles["y"].login_base(), y.login_base);
    }

    #[test]
    fn a_login_endpoint_must_be_https_or_loopback() {
        for ok in ["https://login.example.test", "http://127.0.0.1:9000"] {
            let (c, _) = parse(&format!("[profiles.x]\nlogin_endpoint = \"{ok}\"\n")).unwrap();
            assert_eq!(c.resolve_profile(Some("x")).unwrap().login_base, ok);
        }
        for bad in ["http://login.example.test", "login.example.test", "ftp://x"] {
            let text = parse(&format!("[profiles.x]\nlogin_endpoint = \"{bad}\"\n"))
                .unwrap_err()
                .to_string();
            assert!(text.contains("profiles.x.login_endpoint"), "{text}");
        }
    }

    #[test]
    fn an_unknown_cloud_is_an_error_listing_the_four() {
        for bad in ["\"mars\"", "\"USGov\"", "\"\""] {
            let text = parse(&format!("[profiles.x]\ncloud = {bad}\n"))
                .unwrap_err()
                .to_string();
            assert!(
                text.contains("unknown cloud") && text.contains("global, usgov, usgov-dod, china"),
                "{text}"
            );
        }
        let text = parse("[profiles.x]\ncloud = 3\n").unwrap_err().to_string();
        assert!(text.contains("not valid"), "{text}");
    }

    #[test]
    fn ca_file_is_taken_from_the_config_directory() {
        let (c, w) = Config::parse(
            "[profiles.rel]\nca_file = \"certs/proxy.pem\"\n[profiles.abs]\nca_file = \"/etc/ssl/p.pem\"\n\
             [profiles.none]\n",
            Path::new("/home/a/.config/graphsec/config.toml"),
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        let ca = |n: &str| c.resolve_profile(Some(n)).unwrap().ca_file;
        assert_eq!(
            ca("rel"),
            Some(PathBuf::from("/home/a/.config/graphsec/certs/proxy.pem"))
        );
        assert_eq!(ca("abs"), Some(PathBuf::from("/etc/ssl/p.pem")));
        assert_eq!(ca("none"), None);
        let home = directories::BaseDirs::new()
            .expect("home")
            .home_dir()
            .to_owned();
        assert_eq!(
            resolve_path(Path::new("/x"), Path::new("~/ca.pem")),
            home.join("ca.pem")
        );
        // The files an analyst names (`:assess`, the CLI) expand the same way; a relative
        // one stays relative (to the working directory).
        assert_eq!(expand_home(Path::new("~/s.eml")), home.join("s.eml"));
        assert_eq!(expand_home(Path::new("s.eml")), PathBuf::from("s.eml"));
    }

    #[test]
    fn sign_in_keys_resolve() {
        let (c, w) = parse(
            "[profiles.lab]\ntenant = \"t\"\nclient_id = \"c\"\nauth = \"client_secret\"\nclient_secret_env = \"LAB_SECRET\"\nlogin_endpoint = \"http://127.0.0.1:9\"\nscopes = [\"https://graph.microsoft.com/.default\"]\n[profiles.prod]\n",
        )
        .unwrap();
        assert!(w.is_empty(), "{w:?}");
        let lab = c.resolve_profile(Some("lab")).unwrap();
        assert_eq!(lab.auth.tenant.as_deref(), Some("t"));
        assert_eq!(lab.login_base_url(), "http://127.0.0.1:9");
        let prod = c.resolve_profile(Some("prod")).unwrap();
        assert_eq!(prod.login_base_url(), "https://login.microsoftonline.com");
        let err = parse("[profiles.x]\nauth = \"kerberos\"\n").unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
    }

    #[test]
    fn wrong_types_are_a_clear_error() {
        let err = parse("[ui]\nno_color = \"yes\"\n").unwrap_err();
        assert!(err.to_string().contains("not valid"), "{err}");
    }
}
