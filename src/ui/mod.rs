//! Drawing: `State` in, frame out. Never mutates state, never does I/O.

mod assess;
mod bars;
mod cases;
mod controls;
mod detail;
mod entities;
mod incidents;
mod popup;
mod queue;
mod score;
mod sims;
mod table;
pub mod theme;

use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::app::{Focus, State};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Paragraph, Wrap};
use theme::Theme;

/// Draws the whole console for `state`.
pub fn render(state: &State, frame: &mut Frame) {
    draw(state, frame);
    sweep(frame);
}

/// [`render`] without the final sweep, for tests outside this module that check
/// sanitising alone keeps every cell clean.
#[doc(hidden)]
pub fn render_unswept(state: &State, frame: &mut Frame) {
    draw(state, frame);
}

/// Everything but the final sweep (tests check that sanitising works without it).
fn draw(state: &State, frame: &mut Frame) {
    let area = frame.area();
    let screen = state.layout(area);
    let theme = Theme::new(state.session.no_color);
    if screen.too_small {
        too_small(frame, &theme, area);
        return;
    }
    bars::top(state, &theme, frame, screen.top);
    match state.focus {
        // Full-screen panes: the whole middle, no detail beside them.
        Focus::Entities => entities::render(state, &theme, frame, screen.middle),
        Focus::Incidents => incidents::render_queue(state, &theme, frame, screen.middle),
        Focus::Incident => incidents::render_view(state, &theme, frame, screen.middle),
        Focus::Score => score::render(state, &theme, frame, screen.middle),
        Focus::Controls | Focus::Control => controls::render(state, &theme, frame, screen.middle),
        Focus::Cases | Focus::Case => cases::render(state, &theme, frame, screen.middle),
        Focus::Sims | Focus::Sim | Focus::SimTenant => {
            sims::render(state, &theme, frame, screen.middle)
        }
        Focus::Assess | Focus::Assessment => assess::render(state, &theme, frame, screen.middle),
        Focus::Queue | Focus::Detail => {
            if let (Some(header), Some(body)) = (screen.queue_header, screen.queue_body) {
                queue::render(state, &theme, frame, header, body);
            }
            if let (Some(pane), Some(body)) = (screen.detail, screen.detail_body) {
                detail::render(state, &theme, frame, pane, body, screen.split);
            }
        }
    }
    bars::status(state, &theme, frame, screen.status);
    bars::bottom(state, &theme, frame, screen.bottom);
    popup::render(state, &theme, frame, screen.middle);
}

fn too_small(frame: &mut Frame, theme: &Theme, area: Rect) {
    let text = format!(
        "terminal too small (need {MIN_WIDTH}x{MIN_HEIGHT}, have {}x{})",
        area.width, area.height
    );
    // Two rows in the middle: room for the notice to wrap in a very narrow split.
    let rows = area.height.min(2);
    let rect = Rect::new(area.x, area.y + (area.height - rows) / 2, area.width, rows);
    frame.render_widget(
        Paragraph::new(Line::styled(text, theme.bold()))
            .centered()
            .wrap(Wrap { trim: true }),
        rect,
    );
}

/// A last line of defence: every Graph string is sanitised before it is drawn, but should
/// one slip through, no control or bidi character leaves this frame.
fn sweep(frame: &mut Frame) {
    for cell in &mut frame.buffer_mut().content {
        if cell.symbol().chars().any(sanitize::is_dangerous) {
            cell.set_char(sanitize::REPLACEMENT);
        }
    }
}

#[cfg(test)]
mod assess_tests;
#[cfg(test)]
mod case_tests;
#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod sim_tests;
#[cfg(test)]
mod tests;
