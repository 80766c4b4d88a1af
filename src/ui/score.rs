//! The `:score` pane.

use super::theme::Theme;
use crate::app::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

pub(super) fn render(state: &State, _theme: &Theme, frame: &mut Frame, area: Rect) {
    let today = state
        .score
        .today()
        .map(|d| format!("{} of {}", d.score, d.max))
        .unwrap_or_default();
    frame.render_widget(
        Paragraph::new(today).block(Block::bordered().title("Secure Score")),
        area,
    );
}
