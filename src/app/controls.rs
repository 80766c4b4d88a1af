//! The `:controls` pane's own state: the table (which rows, in which order, the cursor and
//! filter), the open profile, and the control editor's form.

use super::score::{ScoreData, current_state};
use crate::graph::score::{ControlState, SecureScoreControlProfile};
use crate::sanitize;
use ratatui_textarea::TextArea;

/// The `:controls` table and the profile opened from it.
#[derive(Debug, Default)]
pub struct ControlsView {
    /// The selected control's id (the selection follows the control, not a row number).
    pub cursor_id: Option<String>,
    pub cursor: usize,
    /// First table row on screen.
    pub offset: usize,
    /// Type-to-filter text.
    pub filter: String,
    /// Lines scrolled in the open profile.
    pub scroll: usize,
}

/// The table's rows: indices into `score.profiles` that match `filter`, most points still
/// available first (then Graph's rank, then the title), so the top of the table is where
/// the score can grow most.
pub fn rows(score: &ScoreData, filter: &str) -> Vec<usize> {
    let needle = filter.trim().to_lowercase();
    let mut rows: Vec<(usize, f64)> = score
        .profiles
        .iter()
        .enumerate()
        .filter(|(_, p)| needle.is_empty() || matches(p, &needle))
        .map(|(i, p)| (i, score.available(p)))
        .collect();
    rows.sort_by(|(a, a_points), (b, b_points)| {
        let (pa, pb) = (&score.profiles[*a], &score.profiles[*b]);
        b_points
            .total_cmp(a_points)
            .then_with(|| {
                pa.rank
                    .unwrap_or(i64::MAX)
                    .cmp(&pb.rank.unwrap_or(i64::MAX))
            })
            .then_with(|| title(pa).cmp(&title(pb)))
    });
    rows.into_iter().map(|(i, _)| i).collect()
}

/// Case-insensitive substring match on what the table shows and the id.
fn matches(p: &SecureScoreControlProfile, needle: &str) -> bool {
    let state = current_state(p);
    [
        Some(p.id.as_str()),
        p.title.as_deref(),
        p.control_category.as_deref(),
        p.tier.as_deref(),
        p.implementation_cost.as_deref(),
        p.user_impact.as_deref(),
        p.service.as_deref(),
        Some(state.as_str()),
    ]
    .into_iter()
    .flatten()
    .any(|field| field.to_lowercase().contains(needle))
}

/// The profile's title for display (its id when Graph sent none), sanitised.
pub fn title(p: &SecureScoreControlProfile) -> String {
    sanitize::line(p.title.as_deref().unwrap_or(&p.id)).into_owned()
}

/// The states the editor offers, in the docs' order.
pub const STATES: [ControlState; 4] = [
    ControlState::Default,
    ControlState::Ignored,
    ControlState::ThirdParty,
    ControlState::Reviewed,
];

/// What each state means, for the form.
pub fn state_meaning(state: &ControlState) -> &'static str {
    match state {
        ControlState::Default => "tracked as usual",
        ControlState::Ignored => "risk accepted: earns no points",
        ControlState::ThirdParty => "done by another product: full points",
        ControlState::Reviewed => "reviewed, still tracked",
        ControlState::Other(_) => "",
    }
}

/// Which part of the editor has the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorField {
    State,
    AssignedTo,
    Comment,
}

impl EditorField {
    pub fn next(self) -> EditorField {
        match self {
            EditorField::State => EditorField::AssignedTo,
            EditorField::AssignedTo => EditorField::Comment,
            EditorField::Comment => EditorField::State,
        }
    }

    pub fn prev(self) -> EditorField {
        self.next().next()
    }
}

/// The control editor: state, assignee and a multi-line comment for one control.
#[derive(Debug)]
pub struct ControlEditor {
    pub profile_id: String,
    /// Sanitised, for the form's title.
    pub title: String,
    /// Index into [`STATES`].
    pub state: usize,
    /// The state the control had when the form opened (Graph's newest).
    pub was: ControlState,
    pub assigned_to: Box<TextArea<'static>>,
    pub comment: Box<TextArea<'static>>,
    pub field: EditorField,
}

impl ControlEditor {
    /// A form for `profile`, filled with its current state and assignee.
    pub fn new(profile: &SecureScoreControlProfile) -> ControlEditor {
        let was = current_state(profile);
        let assignee = profile
            .control_state_updates
            .last()
            .and_then(|u| u.assigned_to.as_deref())
            .map(|a| sanitize::line(a).into_owned())
            .unwrap_or_default();
        let mut assigned_to = TextArea::new(vec![assignee]);
        assigned_to.set_placeholder_text("name or UPN (optional)");
        assigned_to.move_cursor(ratatui_textarea::CursorMove::End);
        let mut comment = TextArea::default();
        comment.set_placeholder_text("why (kept in the control's history)");
        let mut editor = ControlEditor {
            profile_id: profile.id.clone(),
            title: title(profile),
            state: STATES.iter().position(|s| *s == was).unwrap_or(0),
            was,
            assigned_to: Box::new(assigned_to),
            comment: Box::new(comment),
            field: EditorField::State,
        };
        editor.sync_cursor();
        editor
    }

    /// Shows the text cursor only in the field that has the keys.
    pub fn sync_cursor(&mut self) {
        let on = ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED);
        let off = ratatui::style::Style::default();
        let (a, c) = match self.field {
            EditorField::AssignedTo => (on, off),
            EditorField::Comment => (off, on),
            EditorField::State => (off, off),
        };
        self.assigned_to.set_cursor_style(a);
        self.comment.set_cursor_style(c);
    }

    pub fn chosen(&self) -> &ControlState {
        &STATES[self.state % STATES.len()]
    }

    /// The assignee as typed, trimmed; `None` when blank.
    pub fn assignee(&self) -> Option<String> {
        let text = self.assigned_to.lines().concat();
        let text = text.trim();
        (!text.is_empty()).then(|| text.to_owned())
    }

    /// The comment as typed (lines joined), `None` when blank.
    pub fn comment_text(&self) -> Option<String> {
        let text = self.comment.lines().join("\n");
        (!text.trim().is_empty()).then(|| text.trim_end().to_owned())
    }
}
