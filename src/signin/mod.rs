//! Signing in to Microsoft Graph without a browser on this host: device code for an
//! analyst, client secret or certificate for an app, a token from the environment or a
//! command. Knows nothing of the UI: the device code prompt goes to a caller-supplied sink.
//!
//! [`Session`] is the [`TokenProvider`] the Graph client uses: it keeps the token set (in
//! memory and in a 0600 cache file), refreshes it before it expires (one refresh however
//! many requests wait), and after a 401 uses the refresh token once more.
//!
//! Nothing here logs or prints a token, secret or assertion; the types that hold one
//! redact it in `Debug`.

pub mod aad;
pub mod cache;
pub mod claims;
pub mod credential;
pub mod device;
pub mod profile;
pub mod session;

pub use aad::{Authority, explain};
pub use cache::TokenCache;
pub use credential::{AppCredential, AssertionAlg};
pub use device::{DeviceCodeFlow, DeviceCodePrompt};
pub use session::{Method, Session};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

/// The default resource scope.
pub const GRAPH_DEFAULT_SCOPE: &str = "https://graph.microsoft.com/.default";
/// Asked for with delegated sign-in so a refresh token comes back.
pub const OFFLINE_ACCESS: &str = "offline_access";

/// A secret string (token, refresh token, client secret): `Debug` and `Display` never
/// show it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// What a sign-in gives: an access token, maybe a refresh token, and when it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    /// Unix seconds.
    pub expires_at: i64,
    /// The scopes granted, as the service reported them.
    #[serde(default)]
    pub scope: String,
}

/// Why a sign-in failed, as a sentence an analyst can act on. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// The identity platform refused; `sentence` says what to fix ([`aad::explain`]).
    #[error("{sentence}")]
    Refused {
        error: String,
        code: Option<u32>,
        sentence: String,
    },
    /// The device code ran out before anyone signed in.
    #[error(
        "The sign-in code expired before it was used: run the sign-in again and enter the \
         code within {minutes} minutes."
    )]
    Expired { minutes: u64 },
    /// The user said no on the sign-in page.
    #[error(
        "The sign-in was declined on the verification page: run it again and accept, or ask \
         why the account may not use this app."
    )]
    Declined,
    /// Nothing cached and no way to sign in without the analyst.
    #[error("Not signed in for profile '{profile}': run 'graphsec login --profile {profile}'.")]
    NotSignedIn { profile: String },
    /// The refresh token was refused (expired, revoked, password changed).
    #[error(
        "The saved sign-in for profile '{profile}' has expired or was revoked: run \
         'graphsec login --profile {profile}' again."
    )]
    SignInAgain { profile: String },
    /// The profile's sign-in settings are incomplete or wrong.
    #[error("{0}")]
    Config(String),
    #[error("cannot reach the sign-in service: {}", crate::sanitize::line(.0))]
    Transport(String),
    #[error("{}", crate::sanitize::line(.0))]
    Protocol(String),
}

impl SignInError {
    pub(crate) fn from_reply(reply: aad::ErrorReply) -> SignInError {
        match reply.error.as_str() {
            "authorization_declined" | "access_denied" => SignInError::Declined,
            _ => SignInError::Refused {
                code: aad::aadsts_code(&reply),
                sentence: aad::explain(&reply),
                error: reply.error,
            },
        }
    }

    /// The OAuth error code (`authorization_pending`, `invalid_grant`, ...), if any.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            SignInError::Refused { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl From<SignInError> for crate::graph::AuthError {
    fn from(e: SignInError) -> Self {
        crate::graph::AuthError::Failed(e.to_string())
    }
}

/// Waits; injectable so tests of polling do not sleep for real.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    fn sleep(&self, d: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(d))
    }
}

/// Now, in Unix seconds; injectable so tests can move time on.
pub type Clock = std::sync::Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    std::sync::Arc::new(|| time::OffsetDateTime::now_utc().unix_timestamp())
}

/// A random id (UUID v4 form) for assertion `jti`s.
pub(crate) fn random_id() -> String {
    let mut b = [0u8; 16];
    // aws-lc-rs draws from the OS; a failure would leave zeros, which the service refuses
    // as a replay rather than accepting anything weaker.
    let _ = aws_lc_rs::rand::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}
