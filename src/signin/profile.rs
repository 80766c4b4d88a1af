//! A profile's sign-in settings (the `[profiles.NAME]` keys) and the token provider they
//! make.

use super::cache::{self, TokenCache};
use super::credential::{AppCredential, AssertionAlg};
use super::session::{CommandToken, Method, Session};
use super::{Authority, GRAPH_DEFAULT_SCOPE, OFFLINE_ACCESS, Secret, SignInError};
use crate::graph::auth::{StaticToken, TokenProvider};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The identity platform used when a profile names no `login_endpoint`.
pub const DEFAULT_LOGIN_ENDPOINT: &str = "https://login.microsoftonline.com";

/// How a profile signs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    DeviceCode,
    ClientSecret,
    ClientCertificate,
    Token,
}

/// The sign-in keys of a profile. `Debug` never shows an inline secret.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProfileAuth {
    /// Tenant id or verified domain.
    pub tenant: Option<String>,
    /// The app registration's client id.
    pub client_id: Option<String>,
    /// `device_code`, `client_secret`, `client_certificate` or `token`.
    #[serde(rename = "auth")]
    pub method: Option<AuthMethod>,
    /// Identity platform root, e.g. the emulator's `http://127.0.0.1:PORT`. In a config
    /// file the profile's own `login_endpoint` key is read by [`crate::config`] (with the
    /// profile's cloud as the default) and the resolved base is put here.
    pub login_endpoint: Option<String>,
    /// Environment variable holding the client secret.
    pub client_secret_env: Option<String>,
    /// File holding the client secret (its first line).
    pub client_secret_file: Option<PathBuf>,
    /// The client secret itself, in the config (accepted with a warning).
    pub client_secret: Option<Secret>,
    pub certificate_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    /// `RS256` (default) or `PS256`.
    pub assertion_alg: Option<AssertionAlg>,
    /// A command whose stdout is the access token (`auth = "token"`).
    pub token_command: Option<String>,
    /// Scopes to ask for; default `https://graph.microsoft.com/.default` (plus
    /// `offline_access` for device code).
    pub scopes: Option<Vec<String>>,
    /// The profile's `ca_file`, put here by [`crate::config`] (which reads the key): the
    /// sign-in host is trusted with the same extra CAs as Graph.
    #[serde(skip)]
    pub ca_file: Option<PathBuf>,
}

/// The profile keys [`ProfileAuth`] reads.
pub const PROFILE_AUTH_KEYS: &[&str] = &[
    "tenant",
    "client_id",
    "auth",
    "login_endpoint",
    "client_secret_env",
    "client_secret_file",
    "client_secret",
    "certificate_file",
    "private_key_file",
    "assertion_alg",
    "token_command",
    "scopes",
];

impl ProfileAuth {
    /// `login_endpoint`, else [`DEFAULT_LOGIN_ENDPOINT`].
    pub fn login_base_url(&self) -> String {
        self.login_endpoint
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or(DEFAULT_LOGIN_ENDPOINT)
            .trim_end_matches('/')
            .to_owned()
    }

    /// The method: the one named, else device code when tenant and client id are given,
    /// else a token.
    pub fn effective_method(&self) -> AuthMethod {
        self.method
            .unwrap_or(if self.tenant.is_some() && self.client_id.is_some() {
                AuthMethod::DeviceCode
            } else {
                AuthMethod::Token
            })
    }
}

/// The provider a profile signs in with.
#[derive(Debug, Clone)]
pub enum Provider {
    /// Device code or an app: cached and refreshed.
    Session(Session),
    /// `GRAPHSEC_TOKEN`.
    Env(StaticToken),
    /// `token_command`.
    Command(Arc<CommandToken>),
}

impl Provider {
    pub fn as_token_provider(&self) -> Arc<dyn TokenProvider> {
        match self {
            Provider::Session(s) => Arc::new(s.clone()),
            Provider::Env(t) => Arc::new(t.clone()),
            Provider::Command(c) => c.clone(),
        }
    }
}

/// What [`provider_for`] found to warn about (never fatal).
pub type Warnings = Vec<String>;

/// The provider for `profile`. `GRAPHSEC_TOKEN`, when set, wins over every method.
/// `config_file` is checked for a world-readable inline secret; tokens are cached under
/// `cache_dir` (`None`: memory only).
pub fn provider_for(
    profile: &str,
    auth: &ProfileAuth,
    config_file: Option<&Path>,
    cache_dir: Option<&Path>,
) -> Result<(Provider, Warnings), SignInError> {
    let mut warnings = Vec::new();
    if let Some(t) = StaticToken::from_env() {
        return Ok((Provider::Env(t), warnings));
    }
    let need = |v: &Option<String>, key: &str| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| {
                SignInError::Config(format!(
                    "profile '{profile}' needs {key} for auth = \"{}\"",
                    method_name(auth.effective_method())
                ))
            })
    };
    let method = auth.effective_method();
    if method == AuthMethod::Token {
        return match &auth.token_command {
            Some(cmd) => Ok((
                Provider::Command(Arc::new(CommandToken::new(cmd))),
                warnings,
            )),
            None => Err(SignInError::Config(format!(
                "no sign-in for profile '{profile}': set GRAPHSEC_TOKEN, or give the profile \
                 tenant and client_id (device code sign-in with 'graphsec login'), or \
                 token_command; --demo runs without an account"
            ))),
        };
    }
    let tenant = need(&auth.tenant, "tenant")?;
    let client_id = need(&auth.client_id, "client_id")?;
    let roots = auth
        .ca_file
        .as_deref()
        .map(crate::graph::ExtraRoots::load)
        .transpose()
        .map_err(|e| SignInError::Config(e.to_string()))?;
    let authority = Authority::new(&auth.login_base_url(), &tenant)?.with_extra_roots(roots);
    let mut scopes = auth
        .scopes
        .clone()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| vec![GRAPH_DEFAULT_SCOPE.to_owned()]);
    let method = match method {
        AuthMethod::DeviceCode => {
            if !scopes.iter().any(|s| s == OFFLINE_ACCESS) {
                scopes.push(OFFLINE_ACCESS.to_owned());
            }
            Method::DeviceCode { client_id, scopes }
        }
        AuthMethod::ClientSecret => {
            let secret = client_secret(profile, auth, config_file, &mut warnings)?;
            Method::App {
                client_id,
                credential: AppCredential::Secret(secret),
                scope: scopes[0].clone(),
            }
        }
        AuthMethod::ClientCertificate => {
            let cert = auth.certificate_file.as_deref().ok_or_else(|| {
                SignInError::Config(format!(
                    "profile '{profile}' needs certificate_file for auth = \"client_certificate\""
                ))
            })?;
            let key = auth.private_key_file.as_deref().ok_or_else(|| {
                SignInError::Config(format!(
                    "profile '{profile}' needs private_key_file for auth = \"client_certificate\""
                ))
            })?;
            warn_if_shared(key, "private_key_file", &mut warnings);
            let credential = AppCredential::certificate_files(
                cert,
                key,
                auth.assertion_alg.unwrap_or_default(),
            )?;
            Method::App {
                client_id,
                credential,
                scope: scopes[0].clone(),
            }
        }
        AuthMethod::Token => unreachable!("handled above"),
    };
    let cache = cache_dir.map(|dir| {
        TokenCache::new(
            dir,
            profile,
            authority.tenant(),
            method.client_id(),
            &method.scopes(),
        )
    });
    Ok((
        Provider::Session(Session::new(profile, authority, method, cache)?),
        warnings,
    ))
}

fn method_name(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::DeviceCode => "device_code",
        AuthMethod::ClientSecret => "client_secret",
        AuthMethod::ClientCertificate => "client_certificate",
        AuthMethod::Token => "token",
    }
}

/// The secret from `client_secret_env`, else `client_secret_file`, else the inline one
/// (with a warning).
fn client_secret(
    profile: &str,
    auth: &ProfileAuth,
    config_file: Option<&Path>,
    warnings: &mut Warnings,
) -> Result<Secret, SignInError> {
    if let Some(var) = &auth.client_secret_env {
        return match std::env::var(var) {
            Ok(v) if !v.trim().is_empty() => Ok(Secret::new(v.trim())),
            _ => Err(SignInError::Config(format!(
                "profile '{profile}': the environment variable {var} (client_secret_env) is \
                 not set"
            ))),
        };
    }
    if let Some(path) = &auth.client_secret_file {
        warn_if_shared(path, "client_secret_file", warnings);
        let text = std::fs::read_to_string(path).map_err(|e| {
            SignInError::Config(format!(
                "profile '{profile}': cannot read client_secret_file {}: {e}",
                path.display()
            ))
        })?;
        let first = text.lines().next().unwrap_or_default().trim();
        if first.is_empty() {
            return Err(SignInError::Config(format!(
                "profile '{profile}': client_secret_file {} is empty",
                path.display()
            )));
        }
        return Ok(Secret::new(first));
    }
    if let Some(secret) = &auth.client_secret {
        warnings.push(format!(
            "profile '{profile}' keeps its client secret in the config file: move it to a \
             file (client_secret_file, mode 0600) or an environment variable \
             (client_secret_env)"
        ));
        if let Some(cfg) = config_file {
            warn_if_shared(cfg, "the config file (it holds a client secret)", warnings);
        }
        return Ok(secret.clone());
    }
    Err(SignInError::Config(format!(
        "profile '{profile}' needs client_secret_env or client_secret_file for auth = \
         \"client_secret\""
    )))
}

/// Warns when a file holding a secret can be read by group or others.
fn warn_if_shared(path: &Path, what: &str, warnings: &mut Warnings) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(m) = std::fs::metadata(path)
            && m.permissions().mode() & 0o077 != 0
        {
            warnings.push(format!(
                "{what} {} can be read by other users (mode {:o}): chmod 600 it",
                path.display(),
                m.permissions().mode() & 0o777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = (path, what, warnings);
}

/// Removes every cached sign-in of `profile`; how many there were.
pub fn sign_out(profile: &str, cache_dir: &Path) -> std::io::Result<usize> {
    cache::delete_profile(cache_dir, profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ProfileAuth {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn keys_parse_and_defaults_apply() {
        let a = parse(
            "tenant = \"t\"\nclient_id = \"c\"\nauth = \"client_certificate\"\nassertion_alg = \"PS256\"\n",
        );
        assert_eq!(a.method, Some(AuthMethod::ClientCertificate));
        assert_eq!(a.assertion_alg, Some(AssertionAlg::PS256));
        assert_eq!(a.login_base_url(), DEFAULT_LOGIN_ENDPOINT);
        let b =
            parse("tenant = \"t\"\nclient_id = \"c\"\nlogin_endpoint = \"http://127.0.0.1:9/\"\n");
        assert_eq!(b.effective_method(), AuthMethod::DeviceCode);
        assert_eq!(b.login_base_url(), "http://127.0.0.1:9");
        assert_eq!(ProfileAuth::default().effective_method(), AuthMethod::Token);
        let s = parse("client_secret = \"hunter2-secret\"\n");
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(toml::from_str::<ProfileAuth>("auth = \"password\"\n").is_err());
    }
}
