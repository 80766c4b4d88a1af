//! The identity platform's token endpoint, spoken plainly: form posts, token replies, and
//! errors turned into sentences that say what to fix.

use super::{Secret, SignInError, TokenSet};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// Largest reply read from the identity platform.
const MAX_REPLY: usize = 256 * 1024;

/// Where to sign in: `{login_base}/{tenant}/oauth2/v2.0/...`.
#[derive(Clone, PartialEq, Eq)]
pub struct Authority {
    login_base: String,
    tenant: String,
    /// The profile's `ca_file`: a TLS-inspecting proxy re-signs the sign-in host too.
    roots: Option<crate::graph::ExtraRoots>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Authority({}/{})", self.login_base, self.tenant)
    }
}

impl Authority {
    /// Refuses plain `http://` unless the host is loopback (the emulator).
    pub fn new(login_base: &str, tenant: &str) -> Result<Authority, SignInError> {
        let base = login_base.trim().trim_end_matches('/');
        let url = url::Url::parse(base)
            .map_err(|e| SignInError::Config(format!("login endpoint {base}: {e}")))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => {
                return Err(SignInError::Config(format!(
                    "login endpoint {base}: use https (plain http only on loopback)"
                )));
            }
        }
        let tenant = tenant.trim();
        if tenant.is_empty()
            || !tenant
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            return Err(SignInError::Config(format!(
                "tenant '{}' is not a tenant id or domain",
                crate::sanitize::line(tenant)
            )));
        }
        Ok(Authority {
            login_base: base.to_owned(),
            tenant: tenant.to_owned(),
            roots: None,
        })
    }

    /// Trusts `roots` on top of the system's CAs when talking to the sign-in host.
    pub fn with_extra_roots(mut self, roots: Option<crate::graph::ExtraRoots>) -> Authority {
        self.roots = roots;
        self
    }

    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    pub fn login_base(&self) -> &str {
        &self.login_base
    }

    pub fn token_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/token", self.login_base, self.tenant)
    }

    pub fn devicecode_url(&self) -> String {
        format!("{}/{}/oauth2/v2.0/devicecode", self.login_base, self.tenant)
    }

    pub(crate) fn is_loopback(&self) -> bool {
        self.login_base.starts_with("http://")
    }
}

/// An HTTP client for the identity platform: no redirects, short timeouts, no proxy for
/// loopback.
pub fn http_client(authority: &Authority) -> Result<reqwest::Client, SignInError> {
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("graphsec/", env!("CARGO_PKG_VERSION")))
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30));
    if authority.is_loopback() {
        b = b.no_proxy();
    }
    if let Some(roots) = &authority.roots {
        let certs = roots
            .certificates()
            .map_err(|e| SignInError::Transport(e.to_string()))?;
        b = b.tls_certs_merge(certs);
    }
    b.build().map_err(|e| SignInError::Transport(e.to_string()))
}

/// A form field (never logged: values include secrets and assertions).
pub(crate) struct Field<'a> {
    pub name: &'a str,
    pub value: &'a str,
}

/// Posts a form and reads a JSON reply; an error reply becomes a [`SignInError`].
pub(crate) async fn post_form<T: for<'de> Deserialize<'de>>(
    http: &reqwest::Client,
    url: &str,
    fields: &[Field<'_>],
) -> Result<T, SignInError> {
    let body = {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for f in fields {
            form.append_pair(f.name, f.value);
        }
        form.finish()
    };
    let resp = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| SignInError::Transport(transport_text(&e)))?;
    let status = resp.status();
    let bytes = read_limited(resp).await?;
    if status.is_success() {
        return serde_json::from_slice(&bytes).map_err(|e| {
            SignInError::Protocol(format!("unreadable reply from the sign-in service: {e}"))
        });
    }
    match serde_json::from_slice::<ErrorReply>(&bytes) {
        Ok(reply) => Err(SignInError::from_reply(reply)),
        Err(_) => Err(SignInError::Protocol(format!(
            "the sign-in service answered HTTP {} without an error description",
            status.as_u16()
        ))),
    }
}

fn transport_text(e: &reqwest::Error) -> String {
    // A TLS refusal (a re-signing proxy, mostly) gets the same one line as Graph's: which
    // host, why, and what to set.
    if let Some(problem) = crate::graph::TlsProblem::find(e) {
        let host = e
            .url()
            .and_then(|u| {
                u.host_str()
                    .map(|h| format!("{h}:{}", u.port_or_known_default().unwrap_or(443)))
            })
            .unwrap_or_else(|| "the sign-in host".to_owned());
        tracing::warn!(error = %crate::sanitize::line(&e.to_string()), "sign-in TLS handshake failed");
        return problem.describe(&host);
    }
    let mut s = e.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(inner) = src {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        src = inner.source();
    }
    s
}

async fn read_limited(mut resp: reqwest::Response) -> Result<Vec<u8>, SignInError> {
    let mut out = Vec::new();
    while let Some(chunk) = resp
        .chunk()
        .await
        .map_err(|e| SignInError::Transport(transport_text(&e)))?
    {
        if out.len() + chunk.len() > MAX_REPLY {
            return Err(SignInError::Protocol(
                "the sign-in service's reply is too large".into(),
            ));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// The identity platform's error body.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct ErrorReply {
    #[serde(default)]
    pub error: String,
    #[serde(default)]
    pub error_description: String,
    #[serde(default)]
    pub error_codes: Vec<u32>,
}

/// A token reply.
#[derive(Deserialize)]
pub(crate) struct TokenReply {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<i64>,
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenReply {
    pub fn into_set(self, now: i64) -> TokenSet {
        TokenSet {
            access_token: Secret::new(self.access_token),
            refresh_token: self.refresh_token.map(Secret::new),
            // Entra ID says 3599 or so; a reply without it is treated as short-lived.
            expires_at: now + self.expires_in.unwrap_or(300).max(0),
            scope: self.scope.unwrap_or_default(),
        }
    }
}

/// The AADSTS number an error carries: `error_codes`, else the description's prefix.
pub fn aadsts_code(reply: &ErrorReply) -> Option<u32> {
    reply.error_codes.first().copied().or_else(|| {
        let rest = reply
            .error_description
            .trim_start()
            .strip_prefix("AADSTS")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    })
}

/// The sentence an analyst reads for a sign-in error: what is wrong and what to fix.
/// Unknown codes show the service's own description (first line, sanitised).
pub fn explain(reply: &ErrorReply) -> String {
    let code = aadsts_code(reply);
    let known = match code {
        Some(7000218) => Some(
            "The app registration does not allow device code sign-in: in Entra ID, open the \
             app's Authentication page and set \"Allow public client flows\" to Yes (or use \
             auth = \"client_secret\" / \"client_certificate\" for this app)."
                .to_owned(),
        ),
        Some(50005) | Some(53003) => Some(
            "Conditional Access blocked this sign-in (device code from this host is not \
             allowed): use auth = \"client_certificate\" with an app registration, or sign in \
             from a compliant device."
                .to_owned(),
        ),
        Some(65001) => Some(
            "The app has no consent for the permissions it needs: an administrator must grant \
             admin consent for SecurityAlert.ReadWrite.All and SecurityIncident.ReadWrite.All \
             (or the .Read.All ones) on the app's API permissions page."
                .to_owned(),
        ),
        Some(700016) => Some(
            "The client_id is not an app registered in this tenant: check client_id and tenant \
             in the profile (the app must be registered or consented in that tenant)."
                .to_owned(),
        ),
        Some(7000215) => Some(
            "The client secret is wrong or expired: put the secret's Value (not its Secret ID) \
             in the file or environment variable the profile names, or create a new secret."
                .to_owned(),
        ),
        Some(700027) => Some(
            "The certificate assertion was refused: check that certificate_file is the \
             certificate uploaded to the app registration, that private_key_file is its key, \
             and that this host's clock is right."
                .to_owned(),
        ),
        Some(50126) => Some(
            "The user name or password is wrong: sign in again with the right account.".to_owned(),
        ),
        Some(90002) => Some(
            "The tenant was not found: check the profile's tenant (a tenant id or a verified \
             domain) and that login_endpoint is the right cloud."
                .to_owned(),
        ),
        Some(70008) | Some(700082) | Some(50173) => Some(
            "The saved sign-in has expired or was revoked: run 'graphsec login' again.".to_owned(),
        ),
        _ => None,
    };
    if let Some(sentence) = known {
        return match code {
            Some(c) => format!("{sentence} (AADSTS{c})"),
            None => sentence,
        };
    }
    let first = reply
        .error_description
        .lines()
        .next()
        .unwrap_or_default()
        .trim();
    let text = if first.is_empty() {
        &reply.error
    } else {
        first
    };
    format!(
        "Sign-in failed: {}",
        crate::sanitize::line(&text.chars().take(300).collect::<String>())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(error: &str, desc: &str, codes: &[u32]) -> ErrorReply {
        ErrorReply {
            error: error.into(),
            error_description: desc.into(),
            error_codes: codes.to_vec(),
        }
    }

    #[test]
    fn known_codes_say_what_to_fix() {
        for (code, words) in [
            (7000218, "Allow public client flows"),
            (50005, "client_certificate"),
            (53003, "compliant device"),
            (65001, "SecurityAlert.ReadWrite.All"),
            (700016, "client_id"),
            (7000215, "secret"),
            (700027, "certificate"),
            (50126, "password"),
            (90002, "tenant"),
        ] {
            let s = explain(&reply("x", &format!("AADSTS{code}: whatever"), &[]));
            assert!(s.contains(words), "{code}: {s}");
            assert!(s.ends_with(&format!("(AADSTS{code})")), "{s}");
        }
    }

    #[test]
    fn unknown_codes_show_the_description_sanitised() {
        let s = explain(&reply(
            "invalid_request",
            "AADSTS999999: Something \u{1b}[31mred\r\nTrace ID: 1",
            &[999999],
        ));
        assert!(
            s.starts_with("Sign-in failed: AADSTS999999: Something"),
            "{s}"
        );
        assert!(!s.contains('\u{1b}') && !s.contains("Trace ID"), "{s}");
        assert_eq!(explain(&reply("weird", "", &[])), "Sign-in failed: weird");
    }

    #[test]
    fn authorities_refuse_plain_http_off_loopback() {
        assert!(Authority::new("https://login.microsoftonline.com", "contoso.com").is_ok());
        assert!(Authority::new("http://127.0.0.1:9", "t").is_ok());
        assert!(Authority::new("http://login.example.com", "t").is_err());
        assert!(Authority::new("https://login.microsoftonline.com", "a/b").is_err());
        let a = Authority::new("https://login.microsoftonline.com/", "t").unwrap();
        assert_eq!(
            a.token_url(),
            "https://login.microsoftonline.com/t/oauth2/v2.0/token"
        );
    }
}
