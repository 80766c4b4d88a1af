//! The device code flow: ask for a code, show the analyst where to enter it, poll until
//! they have signed in (at the server's interval, 5 s slower after each `slow_down`).

use super::aad::{Authority, Field, TokenReply, post_form};
use super::{Clock, SignInError, Sleeper, TokenSet};
use serde::Deserialize;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What the analyst must do: open `verification_uri` anywhere and enter `user_code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodePrompt {
    pub verification_uri: String,
    pub user_code: String,
    /// The service's own sentence (sanitised).
    pub message: String,
    pub expires_in: Duration,
}

#[derive(Deserialize)]
struct CodeReply {
    device_code: String,
    user_code: String,
    verification_uri: String,
    #[serde(default)]
    expires_in: Option<u64>,
    #[serde(default)]
    interval: Option<u64>,
    #[serde(default)]
    message: Option<String>,
}

/// One device code sign-in.
pub struct DeviceCodeFlow {
    pub(crate) http: reqwest::Client,
    pub(crate) authority: Authority,
    pub(crate) client_id: String,
    pub(crate) scopes: Vec<String>,
    pub(crate) sleeper: Arc<dyn Sleeper>,
    pub(crate) clock: Clock,
}

impl fmt::Debug for DeviceCodeFlow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCodeFlow")
            .field("authority", &self.authority)
            .field("client_id", &self.client_id)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl DeviceCodeFlow {
    pub fn new(
        authority: Authority,
        client_id: impl Into<String>,
        scopes: Vec<String>,
        sleeper: Arc<dyn Sleeper>,
    ) -> Result<DeviceCodeFlow, SignInError> {
        Ok(DeviceCodeFlow {
            http: super::aad::http_client(&authority)?,
            authority,
            client_id: client_id.into(),
            scopes,
            sleeper,
            clock: super::system_clock(),
        })
    }

    /// Runs the flow: `prompt` is called once with the URL and code, then the service is
    /// polled until the analyst signs in, declines, or the code expires.
    pub async fn run(
        &self,
        prompt: &(dyn Fn(&DeviceCodePrompt) + Send + Sync),
    ) -> Result<TokenSet, SignInError> {
        let scope = self.scopes.join(" ");
        let code: CodeReply = post_form(
            &self.http,
            &self.authority.devicecode_url(),
            &[
                Field {
                    name: "client_id",
                    value: &self.client_id,
                },
                Field {
                    name: "scope",
                    value: &scope,
                },
            ],
        )
        .await?;
        let expires_in = Duration::from_secs(code.expires_in.unwrap_or(900));
        prompt(&DeviceCodePrompt {
            verification_uri: crate::sanitize::line(&code.verification_uri).into_owned(),
            user_code: crate::sanitize::line(&code.user_code).into_owned(),
            message: crate::sanitize::line(code.message.as_deref().unwrap_or_default())
                .into_owned(),
            expires_in,
        });
        let minutes = expires_in.as_secs().div_ceil(60);
        let mut interval = Duration::from_secs(code.interval.unwrap_or(5).clamp(1, 60));
        let mut waited = Duration::ZERO;
        loop {
            if waited >= expires_in {
                return Err(SignInError::Expired { minutes });
            }
            self.sleeper.sleep(interval).await;
            waited += interval;
            let reply = post_form::<TokenReply>(
                &self.http,
                &self.authority.token_url(),
                &[
                    Field {
                        name: "grant_type",
                        value: "urn:ietf:params:oauth:grant-type:device_code",
                    },
                    Field {
                        name: "client_id",
                        value: &self.client_id,
                    },
                    Field {
                        name: "device_code",
                        value: &code.device_code,
                    },
                ],
            )
            .await;
            match reply {
                Ok(tokens) => return Ok(tokens.into_set((self.clock)())),
                Err(e) => match e.oauth_error() {
                    Some("authorization_pending") => {}
                    Some("slow_down") => interval += Duration::from_secs(5),
                    Some("expired_token" | "code_expired") => {
                        return Err(SignInError::Expired { minutes });
                    }
                    _ => return Err(e),
                },
            }
        }
    }
}
