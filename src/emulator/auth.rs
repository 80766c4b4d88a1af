//! Bearer tokens, checked the way an emulator can: present and non-empty.
//!
//! There is no identity provider here, so signatures are not verified. When the token is a
//! JWT, its payload names the caller (for comment authors); otherwise a fixed demo identity
//! is used.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Who the emulator says wrote a comment when the token names nobody.
pub const DEMO_IDENTITY: &str = "demo.analyst@contoso.com";

/// The token of an `Authorization: Bearer ...` header value, if there is a non-empty one.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let h = header?.trim();
    let (scheme, token) = h.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The caller's name from a JWT's `upn`, `preferred_username` or `unique_name` claim.
pub fn identity(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let claims: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).ok()?;
    ["upn", "preferred_username", "unique_name"]
        .iter()
        .find_map(|k| claims.get(*k)?.as_str().filter(|s| !s.trim().is_empty()))
        .map(|s| s.chars().take(256).collect())
}

/// The author recorded for a write made with `token`.
pub fn author(token: &str) -> String {
    identity(token).unwrap_or_else(|| DEMO_IDENTITY.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!(
            "{}.{}.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(payload)
        )
    }

    #[test]
    fn bearer_header_forms() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("Bearer")), None);
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn identity_from_claims_in_order() {
        assert_eq!(
            identity(&jwt(r#"{"upn":"a@contoso.com","preferred_username":"b"}"#)).as_deref(),
            Some("a@contoso.com")
        );
        assert_eq!(
            identity(&jwt(r#"{"preferred_username":"b@contoso.com"}"#)).as_deref(),
            Some("b@contoso.com")
        );
        assert_eq!(
            identity(&jwt(r#"{"unique_name":"c@contoso.com"}"#)).as_deref(),
            Some("c@contoso.com")
        );
        assert_eq!(identity(&jwt(r#"{"upn":42}"#)), None);
        assert_eq!(identity("not-a-jwt"), None);
        assert_eq!(identity("a.!!!.c"), None);
        assert_eq!(author("opaque"), DEMO_IDENTITY);
    }
}
