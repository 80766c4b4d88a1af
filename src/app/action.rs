//! Everything that can change [`super::State`]: terminal input and worker updates.

use crate::graph::models::{Alert, AlertComment};
use ratatui::crossterm::event::KeyEvent;

/// An input to [`super::update`]. Terminal events and worker replies both become actions, so
/// all behaviour is one pure function that tests drive without a terminal or a network.
#[derive(Debug, Clone)]
pub enum Action {
    /// A key press (release and repeat events are dropped before they get here).
    Key(KeyEvent),
    /// Bracketed paste into whatever text input is open.
    Paste(String),
    /// The terminal was resized to (columns, rows).
    Resize(u16, u16),
    /// The periodic timer; relative times and spinners may need a redraw.
    Tick,

    /// One page of the alert list for load `generation`. `done` is true on the last page.
    /// Pages from an older generation are stale and must be ignored.
    AlertsPage {
        generation: u64,
        alerts: Vec<Alert>,
        /// `@odata.count` when the server gave it.
        total: Option<u64>,
        /// Items the client could not read at all (reported, never fatal).
        skipped: usize,
        done: bool,
    },
    /// Loading generation `generation` failed; the previous data stays on screen.
    AlertsFailed { generation: u64, error: String },
    /// A fresh copy of one alert (after a GET).
    AlertLoaded(Alert),
    /// A PATCH succeeded; `alert` is the server's copy.
    WriteSucceeded { write_id: u64, alert: Alert },
    /// A comment POST succeeded; `comments` is the alert's whole comment list.
    CommentAdded {
        write_id: u64,
        alert_id: String,
        comments: Vec<AlertComment>,
    },
    /// A write failed for good (after the client's retries); the row keeps the server value.
    WriteFailed { write_id: u64, error: String },
    /// A one-line notice from the worker or the terminal layer (e.g. clipboard result).
    Notice(String),
}
