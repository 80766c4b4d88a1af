//! The outbox: every analyst write is journaled on disk before it is sent, sent by one
//! writer in order per target, retried through transient failures, applied once, and never
//! lost to a crash, a kill or a dropped SSH link.
//!
//! - [`journal`]: the per-profile JSON-lines file (`<data_dir>/outbox/<profile>.jsonl`).
//! - [`check`]: the pure rules — conflict detection for PATCHes and the "already there?"
//!   test for comments.
//! - [`writer`]: the task that drains the journal through the Graph client.
//!
//! The types here are the on-disk format; renaming a field breaks existing journals.

pub mod check;
pub mod journal;
pub mod writer;

pub use journal::{Journal, Record};
pub use writer::{Outbox, OutboxEvent, Reply, WriterConfig};

use crate::graph::incidents::IncidentUpdate;
use crate::graph::models::AlertUpdate;
use crate::graph::score::ControlStateUpdate;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use time::OffsetDateTime;

/// One write, as journaled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Unique, sorts in creation order (see [`Journal::next_id`]).
    pub id: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created: OffsetDateTime,
    /// The profile and Graph endpoint the write is meant for (never a token).
    pub profile: String,
    pub endpoint: String,
    pub target: Target,
    pub op: Op,
    /// Sent only once no older write to this target is pending. Resolving an incident with
    /// its alerts sends the alerts' PATCHes after the incident's, so the incident's conflict
    /// check never mistakes the alerts' new status (which an incident's status follows)
    /// for someone else's change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Target>,
}

/// The resource a write changes. Writes to one target are sent in order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Target {
    pub kind: TargetKind,
    pub id: String,
}

impl Target {
    pub fn alert(id: impl Into<String>) -> Target {
        Target {
            kind: TargetKind::Alert,
            id: id.into(),
        }
    }

    pub fn incident(id: impl Into<String>) -> Target {
        Target {
            kind: TargetKind::Incident,
            id: id.into(),
        }
    }

    /// A Secure Score control profile (its id is the control's name).
    pub fn control(id: impl Into<String>) -> Target {
        Target {
            kind: TargetKind::Control,
            id: id.into(),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            TargetKind::Alert => "alert",
            TargetKind::Incident => "incident",
            TargetKind::Control => "control",
        };
        write!(f, "{kind} {}", crate::sanitize::line(&self.id))
    }
}

/// Resource kinds; later panes (incidents, control profiles...) add theirs here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TargetKind {
    /// `security/alerts_v2/{id}`
    Alert,
    /// `security/incidents/{id}`
    Incident,
    /// `security/secureScoreControlProfiles/{id}`
    Control,
}

/// What the write does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Op {
    /// `PATCH security/alerts_v2/{id}` with this body.
    AlertUpdate {
        update: AlertUpdate,
        /// What the analyst saw when deciding; `None` (headless) means "set it regardless".
        #[serde(default)]
        base: Option<Base>,
    },
    /// `POST security/alerts_v2/{id}/comments`. `author` is who Graph will name as the
    /// writer when the token says (used to recognise the comment if it already landed).
    AlertComment {
        text: String,
        #[serde(default)]
        author: Option<String>,
    },
    /// `PATCH security/incidents/{id}` with this body; `base` as for alerts.
    IncidentUpdate {
        update: IncidentUpdate,
        #[serde(default)]
        base: Option<Base>,
    },
    /// `POST security/incidents/{id}/comments`; `author` as for alerts.
    IncidentComment {
        text: String,
        #[serde(default)]
        author: Option<String>,
    },
    /// `PATCH security/secureScoreControlProfiles/{id}` with this body: Graph appends it to
    /// the control's `controlStateUpdates`. `base` holds the newest entry the analyst saw
    /// (`state`, `assignedTo` and its `updatedDateTime`, see [`check::control_base`]);
    /// `None` (headless) means "set it regardless".
    ControlUpdate {
        update: ControlStateUpdate,
        #[serde(default)]
        base: Option<Base>,
    },
}

impl Op {
    pub(crate) fn set_base(&mut self, new: Base) {
        if let Op::AlertUpdate { base, .. }
        | Op::IncidentUpdate { base, .. }
        | Op::ControlUpdate { base, .. } = self
        {
            *base = Some(new);
        }
    }

    /// A short description for lists and messages.
    pub fn describe(&self) -> String {
        let fields = match self {
            Op::AlertUpdate { update, .. } => Some(check::update_fields(update)),
            Op::IncidentUpdate { update, .. } => Some(check::update_fields(update)),
            Op::AlertComment { .. } | Op::IncidentComment { .. } | Op::ControlUpdate { .. } => None,
        };
        match self {
            Op::AlertUpdate { .. } | Op::IncidentUpdate { .. } => {
                let fields = fields.unwrap_or_default();
                let parts: Vec<String> = fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", check::show(v)))
                    .collect();
                format!("update {}", parts.join(" "))
            }
            Op::AlertComment { text, .. } | Op::IncidentComment { text, .. } => {
                format!("comment {}", quoted(text))
            }
            Op::ControlUpdate { update, .. } => {
                let mut parts = vec!["update".to_owned()];
                if let Some(state) = &update.state {
                    parts.push(format!("state={}", crate::sanitize::line(state.as_str())));
                }
                if let Some(to) = &update.assigned_to {
                    parts.push(format!("assignedTo={}", check::show(&to.as_str().into())));
                }
                if let Some(comment) = &update.comment {
                    parts.push(format!("comment {}", quoted(comment)));
                }
                parts.join(" ")
            }
        }
    }
}

/// Free text for a one-line description: the first 40 characters, quoted, sanitised.
fn quoted(text: &str) -> String {
    let first: String = text.chars().take(40).collect();
    let cut = if text.chars().count() > 40 { "…" } else { "" };
    format!("\"{}{cut}\"", crate::sanitize::line(&first))
}

/// The version of a resource the analyst saw: its `lastUpdateDateTime` and the values of
/// the fields the write changes, as Graph's JSON (`null` for unset), by Graph property name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Base {
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_update: Option<OffsetDateTime>,
    pub fields: BTreeMap<String, serde_json::Value>,
}

/// One field the server changed under a pending write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldConflict {
    pub field: String,
    /// What the analyst saw before deciding.
    pub base: serde_json::Value,
    /// What the analyst wants.
    pub mine: serde_json::Value,
    /// What the server has now.
    pub theirs: serde_json::Value,
}

/// Where an entry stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Waiting to be sent, or being sent.
    Pending,
    Done,
    /// Refused for good (400, 403, 404...); Graph's answer kept for the analyst.
    Failed {
        status: Option<u16>,
        code: String,
        message: String,
    },
    /// Stopped before sending: the server changed these fields since the analyst looked.
    Conflict(Vec<FieldConflict>),
    /// Given up on purpose, with why.
    Dropped(String),
}

impl Status {
    /// Done or dropped: nothing more will happen to the entry.
    pub fn is_finished(&self) -> bool {
        matches!(self, Status::Done | Status::Dropped(_))
    }

    /// Failed or in conflict: waits for the analyst, and holds back later writes to the
    /// same target so they can't overtake it.
    pub fn is_stopped(&self) -> bool {
        matches!(self, Status::Failed { .. } | Status::Conflict(_))
    }

    /// One word for lists.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Done => "done",
            Status::Failed { .. } => "failed",
            Status::Conflict(_) => "conflict",
            Status::Dropped(_) => "dropped",
        }
    }

    /// The detail behind a stop, one line, sanitised (server text is hostile).
    pub fn detail(&self) -> String {
        match self {
            Status::Failed {
                status,
                code,
                message,
            } => {
                let mut head: Vec<String> = status.iter().map(u16::to_string).collect();
                if !code.is_empty() {
                    head.push(code.clone());
                }
                let text = if head.is_empty() {
                    message.clone()
                } else {
                    format!("{}: {message}", head.join(" "))
                };
                crate::sanitize::line(&text).into_owned()
            }
            Status::Conflict(fields) => fields
                .iter()
                .map(|c| {
                    format!(
                        "{}: mine {} / theirs {}",
                        c.field,
                        check::show(&c.mine),
                        check::show(&c.theirs)
                    )
                })
                .collect::<Vec<_>>()
                .join("; "),
            Status::Dropped(reason) => crate::sanitize::line(reason).into_owned(),
            Status::Pending | Status::Done => String::new(),
        }
    }
}

/// An entry as the console and `graphsec outbox list` show it.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryView {
    pub entry: Entry,
    pub status: Status,
    pub sent: u32,
}

/// How the analyst settles a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// Send my values anyway (the server's current values become the base).
    KeepMine,
    /// Leave the server's values; the entry is dropped.
    TakeTheirs,
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error("outbox: {0}")]
    Io(#[from] std::io::Error),
    #[error(
        "the outbox {} is in use by another graphsec process for this profile",
        .0.display()
    )]
    Locked(PathBuf),
    #[error("no outbox entry {}", crate::sanitize::line(.0))]
    NoSuchEntry(String),
    #[error("outbox entry {} is {what}", crate::sanitize::line(.id))]
    WrongState { id: String, what: &'static str },
    #[error("no data directory for the outbox (set XDG_DATA_HOME or HOME)")]
    NoDataDir,
    #[error("the outbox writer has stopped")]
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_updates_round_trip_and_describe_themselves() {
        use crate::graph::score::ControlState;
        let mut update = ControlStateUpdate::new(ControlState::ThirdParty);
        update.assigned_to = Some("tess@contoso.com".into());
        update.comment = Some("covered by our EDR \x1b[31m".into());
        let entry = Entry {
            id: "0001".into(),
            created: time::macros::datetime!(2026-11-26 12:00 UTC),
            profile: "p".into(),
            endpoint: "e".into(),
            target: Target::control("AdminMFA"),
            op: Op::ControlUpdate { update, base: None },
            after: None,
        };
        let text = serde_json::to_string(&entry).expect("write");
        assert!(text.contains(r#""kind":"control""#), "{text}");
        assert!(text.contains(r#""kind":"controlUpdate""#), "{text}");
        let back: Entry = serde_json::from_str(&text).expect("read");
        assert_eq!(back, entry);
        assert_eq!(entry.target.to_string(), "control AdminMFA");
        let what = entry.op.describe();
        assert_eq!(
            what,
            "update state=ThirdParty assignedTo=tess@contoso.com comment \"covered by our EDR \u{FFFD}[31m\""
        );
    }

    #[test]
    fn a_resolved_control_conflict_gets_the_servers_values_as_base() {
        let mut op = Op::ControlUpdate {
            update: ControlStateUpdate::new(crate::graph::score::ControlState::Ignored),
            base: None,
        };
        let theirs = Base {
            last_update: None,
            fields: [("state".to_owned(), serde_json::json!("Reviewed"))].into(),
        };
        op.set_base(theirs.clone());
        assert!(matches!(op, Op::ControlUpdate { base: Some(b), .. } if b == theirs));
    }

    #[test]
    fn journals_from_before_after_still_read_and_after_round_trips() {
        let line = r#"{"id":"0001","created":"2026-11-26T12:00:00Z","profile":"p","endpoint":"e",
            "target":{"kind":"alert","id":"a"},"op":{"kind":"alertComment","text":"t"}}"#;
        let e: Entry = serde_json::from_str(line).expect("an old entry reads");
        assert_eq!(e.after, None);
        let text = serde_json::to_string(&e).expect("write");
        assert!(!text.contains("after"), "unused, it is not written: {text}");
        let ordered = Entry {
            after: Some(Target::incident("42")),
            ..e
        };
        let back: Entry =
            serde_json::from_str(&serde_json::to_string(&ordered).expect("write")).expect("read");
        assert_eq!(back, ordered);
    }
}
