//! [`Session`]: the token provider of a signed-in profile. It hands out the cached access
//! token while it has more than the skew left, refreshes it otherwise (with the refresh
//! token for a delegated sign-in, with the app's credential for an app), shares one refresh
//! among all the requests waiting for it, and after a 401 refreshes once more.
//!
//! [`CommandToken`] runs a profile's `token_command` for its token.

use super::aad::{Authority, Field, TokenReply, post_form};
use super::cache::TokenCache;
use super::credential::{AppCredential, client_credentials};
use super::device::{DeviceCodeFlow, DeviceCodePrompt};
use super::{Clock, Secret, SignInError, Sleeper, TokenSet};
use crate::graph::auth::{AuthError, TokenFuture, TokenProvider};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// Refresh this long before the token expires.
pub const DEFAULT_SKEW: Duration = Duration::from_secs(300);

/// How a profile signs in.
#[derive(Debug, Clone)]
pub enum Method {
    /// An analyst, with the device code flow; later tokens come from the refresh token.
    DeviceCode {
        client_id: String,
        scopes: Vec<String>,
    },
    /// An app, with a secret or a certificate.
    App {
        client_id: String,
        credential: AppCredential,
        scope: String,
    },
}

impl Method {
    pub fn client_id(&self) -> &str {
        match self {
            Method::DeviceCode { client_id, .. } | Method::App { client_id, .. } => client_id,
        }
    }

    /// The scopes asked for, as the cache keys them.
    pub fn scopes(&self) -> Vec<String> {
        match self {
            Method::DeviceCode { scopes, .. } => scopes.clone(),
            Method::App { scope, .. } => vec![scope.clone()],
        }
    }
}

/// A profile's sign-in. Cheap to clone; clones share the tokens.
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    profile: String,
    authority: Authority,
    http: reqwest::Client,
    method: Method,
    cache: Option<TokenCache>,
    tokens: tokio::sync::Mutex<Option<TokenSet>>,
    loaded: AtomicBool,
    stale: AtomicBool,
    skew: i64,
    clock: Clock,
    refreshes: AtomicU64,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.inner.profile)
            .field("authority", &self.inner.authority)
            .field("method", &self.inner.method)
            .field("cache", &self.inner.cache.as_ref().map(TokenCache::path))
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for `profile`; `cache` keeps its tokens between runs (None: memory only).
    pub fn new(
        profile: &str,
        authority: Authority,
        method: Method,
        cache: Option<TokenCache>,
    ) -> Result<Session, SignInError> {
        Ok(Session {
            inner: Arc::new(Inner {
                profile: profile.to_owned(),
                http: super::aad::http_client(&authority)?,
                authority,
                method,
                cache,
                tokens: tokio::sync::Mutex::new(None),
                loaded: AtomicBool::new(false),
                stale: AtomicBool::new(false),
                skew: DEFAULT_SKEW.as_secs() as i64,
                clock: super::system_clock(),
                refreshes: AtomicU64::new(0),
            }),
        })
    }

    /// The same session with another clock and refresh skew (tests move time on).
    pub fn with_clock(self, clock: Clock, skew: Duration) -> Session {
        let inner = Arc::try_unwrap(self.inner).unwrap_or_else(|_| {
            panic!("with_clock is for a session nobody else holds yet");
        });
        Session {
            inner: Arc::new(Inner {
                clock,
                skew: skew.as_secs() as i64,
                ..inner
            }),
        }
    }

    pub fn profile(&self) -> &str {
        &self.inner.profile
    }

    pub fn authority(&self) -> &Authority {
        &self.inner.authority
    }

    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    pub fn cache(&self) -> Option<&TokenCache> {
        self.inner.cache.as_ref()
    }

    /// How many times tokens were fetched again (refresh token or app credential) after
    /// the first sign-in.
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// Runs the device code flow (for a [`Method::DeviceCode`] profile) and keeps the
    /// tokens; `prompt` receives the URL and code to show the analyst.
    pub async fn sign_in_device_code(
        &self,
        sleeper: Arc<dyn Sleeper>,
        prompt: &(dyn Fn(&DeviceCodePrompt) + Send + Sync),
    ) -> Result<TokenSet, SignInError> {
        let Method::DeviceCode { client_id, scopes } = &self.inner.method else {
            return Err(SignInError::Config(
                "this profile signs in as an app, not with a device code".into(),
            ));
        };
        let flow = DeviceCodeFlow {
            http: self.inner.http.clone(),
            authority: self.inner.authority.clone(),
            client_id: client_id.clone(),
            scopes: scopes.clone(),
            sleeper,
            clock: self.inner.clock.clone(),
        };
        let mut guard = self.inner.tokens.lock().await;
        let tokens = flow.run(prompt).await?;
        self.keep(&mut guard, tokens.clone());
        Ok(tokens)
    }

    /// Signs in without the analyst when the profile can (an app), else uses the cache.
    /// For `graphsec login` of an app profile, and `whoami`.
    pub async fn tokens(&self) -> Result<TokenSet, SignInError> {
        let mut guard = self.inner.tokens.lock().await;
        if !self.inner.loaded.swap(true, Ordering::AcqRel) && guard.is_none() {
            *guard = self.inner.cache.as_ref().and_then(TokenCache::load);
        }
        let now = (self.inner.clock)();
        let stale = self.inner.stale.swap(false, Ordering::AcqRel);
        if let Some(t) = guard.as_ref()
            && !stale
            && t.expires_at - self.inner.skew > now
        {
            return Ok(t.clone());
        }
        let fresh = self.fetch(guard.as_ref(), now).await?;
        if guard.is_some() {
            self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        }
        self.keep(&mut guard, fresh.clone());
        Ok(fresh)
    }

    /// Whatever is cached on disk now, without signing in or refreshing.
    pub fn cached(&self) -> Option<TokenSet> {
        self.inner.cache.as_ref().and_then(TokenCache::load)
    }

    /// Deletes the cached tokens; true when there were some.
    pub async fn sign_out(&self) -> std::io::Result<bool> {
        let mut guard = self.inner.tokens.lock().await;
        *guard = None;
        match &self.inner.cache {
            Some(c) => c.delete(),
            None => Ok(false),
        }
    }

    fn keep(&self, guard: &mut Option<TokenSet>, tokens: TokenSet) {
        if let Some(cache) = &self.inner.cache
            && let Err(e) = cache.save(
                self.inner.authority.tenant(),
                self.inner.method.client_id(),
                &self.inner.method.scopes(),
                &tokens,
            )
        {
            // The tokens still work for this run; the next run signs in again.
            tracing::warn!(path = %cache.path().display(), error = %e, "cannot write the token cache");
        }
        *guard = Some(tokens);
    }

    async fn fetch(&self, old: Option<&TokenSet>, now: i64) -> Result<TokenSet, SignInError> {
        let inner = &*self.inner;
        match &inner.method {
            Method::App {
                client_id,
                credential,
                scope,
            } => {
                client_credentials(
                    &inner.http,
                    &inner.authority,
                    client_id,
                    credential,
                    scope,
                    now,
                )
                .await
            }
            Method::DeviceCode { client_id, scopes } => {
                let Some(rt) = old.and_then(|t| t.refresh_token.clone()) else {
                    return Err(SignInError::NotSignedIn {
                        profile: inner.profile.clone(),
                    });
                };
                let scope = scopes.join(" ");
                let reply = post_form::<TokenReply>(
                    &inner.http,
                    &inner.authority.token_url(),
                    &[
                        Field {
                            name: "grant_type",
                            value: "refresh_token",
                        },
                        Field {
                            name: "client_id",
                            value: client_id,
                        },
                        Field {
                            name: "refresh_token",
                            value: rt.expose(),
                        },
                        Field {
                            name: "scope",
                            value: &scope,
                        },
                    ],
                )
                .await;
                match reply {
                    Ok(r) => {
                        let mut set = r.into_set(now);
                        // Entra ID may not rotate it; keep the one we had.
                        set.refresh_token = set.refresh_token.or(Some(rt));
                        Ok(set)
                    }
                    Err(e) if e.oauth_error() == Some("invalid_grant") => {
                        Err(SignInError::SignInAgain {
                            profile: inner.profile.clone(),
                        })
                    }
                    Err(e) => Err(e),
                }
            }
        }
    }
}

impl TokenProvider for Session {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let t = self.tokens().await.map_err(AuthError::from)?;
            Ok(t.access_token.expose().to_owned())
        })
    }

    /// After a 401 the next token() fetches a new token whatever the expiry says.
    fn invalidate(&self) {
        self.inner.stale.store(true, Ordering::Release);
    }
}

/// A token printed by a command (`token_command`), run with `sh -c`; run again after a 401.
pub struct CommandToken {
    command: String,
    token: tokio::sync::Mutex<Option<Secret>>,
}

impl fmt::Debug for CommandToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CommandToken")
            .field("command", &self.command)
            .finish_non_exhaustive()
    }
}

impl CommandToken {
    pub fn new(command: impl Into<String>) -> CommandToken {
        CommandToken {
            command: command.into(),
            token: tokio::sync::Mutex::new(None),
        }
    }

    /// Runs the command: its stdout, trimmed, is the token.
    pub async fn run(&self) -> Result<Secret, SignInError> {
        let command = self.command.clone();
        let out = tokio::task::spawn_blocking(move || {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(&command)
                .stdin(std::process::Stdio::null())
                .stderr(std::process::Stdio::inherit())
                .output()
        })
        .await
        .map_err(|e| SignInError::Config(format!("token_command cannot run: {e}")))?
        .map_err(|e| SignInError::Config(format!("token_command cannot run: {e}")))?;
        if !out.status.success() {
            return Err(SignInError::Config(format!(
                "token_command failed ({}); run it by hand to see why",
                out.status
            )));
        }
        let text = String::from_utf8(out.stdout).map_err(|_| {
            SignInError::Config("token_command printed something that is not text".into())
        })?;
        let token = text.trim();
        if token.is_empty() || token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(SignInError::Config(
                "token_command must print exactly one token on stdout".into(),
            ));
        }
        Ok(Secret::new(token))
    }
}

impl TokenProvider for CommandToken {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move {
            let mut guard = self.token.lock().await;
            if let Some(t) = guard.as_ref() {
                return Ok(t.expose().to_owned());
            }
            let t = self.run().await.map_err(AuthError::from)?;
            let s = t.expose().to_owned();
            *guard = Some(t);
            Ok(s)
        })
    }

    fn invalidate(&self) {
        if let Ok(mut g) = self.token.try_lock() {
            *g = None;
        }
    }
}
