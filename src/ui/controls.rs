//! The `:controls` pane and the profile view.

use super::theme::Theme;
use crate::app::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::widgets::{Block, Paragraph};

pub(super) fn render(state: &State, _theme: &Theme, frame: &mut Frame, area: Rect) {
    let text = format!("{} profiles", state.score.profiles.len());
    frame.render_widget(
        Paragraph::new(text).block(Block::bordered().title("Controls")),
        area,
    );
}
