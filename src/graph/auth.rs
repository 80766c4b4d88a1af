//! Bearer tokens for Graph.
//!
//! The client asks a [`TokenProvider`] for a token before every attempt and tells it when
//! Graph answered 401, so a caching provider (device code, client credentials) can refresh
//! once. Tokens are secrets: nothing here prints one, in `Display` or in `Debug`.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// The environment variable [`StaticToken::from_env`] reads.
pub const TOKEN_ENV: &str = "GRAPHSEC_TOKEN";

/// Why no token could be had. Never carries the token itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Nobody is signed in for this profile.
    #[error("not signed in")]
    NotSignedIn,
    /// The token has characters that cannot go into an HTTP header.
    #[error("the access token is not a valid header value")]
    InvalidToken,
    /// The sign-in or refresh failed; the text is for the status line.
    #[error("sign-in failed: {}", crate::sanitize::line(.0))]
    Failed(String),
}

/// A future returned by [`TokenProvider::token`].
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<String, AuthError>> + Send + 'a>>;

/// Where the client gets bearer tokens from.
pub trait TokenProvider: Send + Sync {
    /// The token to send now. An empty string sends no `Authorization` header at all.
    fn token(&self) -> TokenFuture<'_>;
    /// Called after a 401 so the next token() fetches a fresh one.
    fn invalidate(&self) {}
}

/// A fixed token (from `GRAPHSEC_TOKEN`, a test, or the emulator). `invalidate` does
/// nothing: there is nothing to refresh, so a 401 is retried once and then reported.
#[derive(Clone)]
pub struct StaticToken(String);

impl StaticToken {
    pub fn new(token: impl Into<String>) -> Self {
        StaticToken(token.into())
    }

    /// The token in `GRAPHSEC_TOKEN`, trimmed; `None` when unset or blank.
    pub fn from_env() -> Option<Self> {
        let v = std::env::var(TOKEN_ENV).ok()?;
        let v = v.trim();
        (!v.is_empty()).then(|| StaticToken::new(v))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> TokenFuture<'_> {
        let t = self.0.clone();
        Box::pin(async move { Ok(t) })
    }
}

/// Hand-written so the token never reaches a log line or a panic message.
impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("StaticToken(<empty>)")
        } else {
            f.write_str("StaticToken(<redacted>)")
        }
    }
}

/// The signed-in user from a JWT's upn / preferred_username / unique_name / email claim (no signature check; display only). None when not a JWT.
///
/// The result is sanitised for one terminal line, since a token can come from anywhere.
pub fn jwt_user(token: &str) -> Option<String> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None; // five parts is a JWE: encrypted, nothing readable
    }
    // Entra tokens are unpadded base64url, but some issuers pad; accept both.
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    ["upn", "preferred_username", "unique_name", "email"]
        .iter()
        .filter_map(|k| claims.get(*k)?.as_str())
        .map(str::trim)
        .find(|v| !v.is_empty())
        .map(|v| crate::sanitize::line(v).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", enc(r#"{"alg":"none"}"#), enc(claims))
    }

    #[test]
    fn jwt_user_prefers_upn_then_fallbacks() {
        assert_eq!(
            jwt_user(&jwt(
                r#"{"upn":"ana@contoso.com","preferred_username":"x@y","email":"e@y"}"#
            ))
            .as_deref(),
            Some("ana@contoso.com")
        );
        assert_eq!(
            jwt_user(&jwt(r#"{"upn":"","preferred_username":"bo@contoso.com"}"#)).as_deref(),
            Some("bo@contoso.com")
        );
        assert_eq!(
            jwt_user(&jwt(r#"{"unique_name":"live.com#cy@x.com"}"#)).as_deref(),
            Some("live.com#cy@x.com")
        );
        assert_eq!(
            jwt_user(&jwt(r#"{"email":"d@x.com","upn":42}"#)).as_deref(),
            Some("d@x.com")
        );
    }

    #[test]
    fn jwt_user_rejects_non_jwts_and_app_tokens() {
        assert_eq!(jwt_user("opaque-token"), None);
        assert_eq!(jwt_user("a.b"), None);
        assert_eq!(jwt_user("a.!!!.c"), None);
        assert_eq!(jwt_user("a.b.c.d.e"), None);
        assert_eq!(jwt_user(&jwt(r#"[1,2]"#)), None);
        // An app-only token has no user claim.
        assert_eq!(jwt_user(&jwt(r#"{"appid":"123","roles":["x"]}"#)), None);
    }

    #[test]
    fn jwt_user_accepts_padding_and_sanitises() {
        let padded = format!(
            "h.{}.s",
            URL_SAFE.encode(r#"{"upn":"evil\u001b[2J@x.com"}"#)
        );
        let user = jwt_user(&padded).unwrap_or_default();
        assert!(user.starts_with("evil"));
        assert!(!user.contains('\x1b'));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = StaticToken::new("eyJsecret");
        assert!(!format!("{t:?}").contains("eyJsecret"));
    }
}
