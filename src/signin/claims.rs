//! What an access token says about who is signed in (read without checking the signature:
//! for display only) and which console panes its permissions allow.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

/// The claims `graphsec whoami` shows. Every string is sanitised for one terminal line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenInfo {
    pub tenant: Option<String>,
    pub client_id: Option<String>,
    /// The user (upn / preferred_username); `None` for an app token.
    pub user: Option<String>,
    /// Delegated permissions (`scp`).
    pub scopes: Vec<String>,
    /// Application permissions (`roles`).
    pub roles: Vec<String>,
    /// Unix seconds.
    pub expires_at: Option<i64>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Raw {
    tid: Option<String>,
    appid: Option<String>,
    azp: Option<String>,
    upn: Option<String>,
    preferred_username: Option<String>,
    scp: Option<String>,
    roles: Vec<String>,
    exp: Option<i64>,
}

impl TokenInfo {
    /// `None` when the token is not a readable JWT (an opaque token).
    pub fn read(token: &str) -> Option<TokenInfo> {
        let mut parts = token.trim().split('.');
        let (_, payload, _, None) = (parts.next()?, parts.next()?, parts.next()?, parts.next())
        else {
            return None;
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .or_else(|_| URL_SAFE.decode(payload))
            .ok()?;
        let raw: Raw = serde_json::from_slice(&bytes).ok()?;
        let clean = |s: String| crate::sanitize::line(&s).into_owned();
        Some(TokenInfo {
            tenant: raw.tid.map(clean),
            client_id: raw.appid.or(raw.azp).map(clean),
            user: raw.upn.or(raw.preferred_username).map(clean),
            scopes: raw
                .scp
                .unwrap_or_default()
                .split_whitespace()
                .map(|s| clean(s.to_owned()))
                .collect(),
            roles: raw.roles.into_iter().map(clean).collect(),
            expires_at: raw.exp,
        })
    }

    fn has(&self, permission: &str) -> bool {
        self.scopes
            .iter()
            .chain(&self.roles)
            .any(|p| p.eq_ignore_ascii_case(permission))
    }

    /// What each console pane can do with this token's permissions.
    pub fn panes(&self) -> Vec<PaneAccess> {
        [
            ("alerts", "SecurityAlert"),
            ("incidents", "SecurityIncident"),
        ]
        .into_iter()
        .map(|(pane, family)| {
            let write = format!("{family}.ReadWrite.All");
            let read = format!("{family}.Read.All");
            let access = if self.has(&write) {
                Access::ReadWrite
            } else if self.has(&read) {
                Access::ReadOnly { lacks: write }
            } else {
                Access::None {
                    lacks: format!("{read} or {write}"),
                }
            };
            PaneAccess { pane, access }
        })
        .collect()
    }
}

/// One pane and what it can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaneAccess {
    pub pane: &'static str,
    pub access: Access,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly { lacks: String },
    None { lacks: String },
}

impl std::fmt::Display for PaneAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.access {
            Access::ReadWrite => write!(f, "{}: read and change", self.pane),
            Access::ReadOnly { lacks } => {
                write!(f, "{}: read only (changes need {lacks})", self.pane)
            }
            Access::None { lacks } => write!(f, "{}: not allowed (needs {lacks})", self.pane),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(claims))
    }

    #[test]
    fn reads_users_and_apps_and_says_what_each_pane_lacks() {
        let user = TokenInfo::read(&jwt(
            r#"{"tid":"t","appid":"c","upn":"a@b","scp":"SecurityAlert.ReadWrite.All User.Read","exp":5}"#,
        ))
        .unwrap();
        assert_eq!(user.user.as_deref(), Some("a@b"));
        assert_eq!(
            user.scopes,
            vec!["SecurityAlert.ReadWrite.All", "User.Read"]
        );
        let panes: Vec<String> = user.panes().iter().map(ToString::to_string).collect();
        assert_eq!(
            panes,
            vec![
                "alerts: read and change",
                "incidents: not allowed (needs SecurityIncident.Read.All or SecurityIncident.ReadWrite.All)"
            ]
        );
        let app = TokenInfo::read(&jwt(
            r#"{"tid":"t","appid":"c","roles":["SecurityAlert.Read.All","SecurityIncident.ReadWrite.All"]}"#,
        ))
        .unwrap();
        assert_eq!(app.user, None);
        let panes: Vec<String> = app.panes().iter().map(ToString::to_string).collect();
        assert_eq!(
            panes,
            vec![
                "alerts: read only (changes need SecurityAlert.ReadWrite.All)",
                "incidents: read and change"
            ]
        );
        assert_eq!(TokenInfo::read("opaque"), None);
        let hostile = TokenInfo::read(&jwt(r#"{"upn":"x\u001b[2Jy"}"#)).unwrap();
        assert!(!hostile.user.unwrap().contains('\u{1b}'));
    }
}
