//! The alert detail pane: the document `app::detail` builds, styled and scrolled.

use super::theme::Theme;
use crate::app::detail::DocLine;
use crate::app::keymap::KeyAction;
use crate::app::{Focus, State};
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

pub fn render(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    body: Rect,
    split: bool,
) {
    let rows = usize::from(body.height);
    let doc = state
        .detail_alert()
        .map(|alert| state.alert_document(alert, usize::from(body.width)));
    let len = doc.as_ref().map_or(0, Vec::len);
    let scroll = state.detail_scroll.min(len.saturating_sub(rows));

    let km = state.keymap();
    let focused = state.focus == Focus::Detail;
    let mut hint = if focused {
        format!(
            " {} raw JSON · {} back ",
            km.label(KeyAction::ToggleRaw),
            km.label(KeyAction::Back)
        )
    } else {
        format!(" {} to focus ", km.label(KeyAction::Open))
    };
    if len > rows {
        // Where the view is in a document longer than the pane.
        hint = format!(" {}-{}/{len} ·{hint}", scroll + 1, (scroll + rows).min(len));
    }
    let title = match (state.raw_json, state.incidents.view.as_ref()) {
        (true, _) => " Raw JSON ".to_owned(),
        // Opened from the incident view: which incident esc goes back to.
        (false, Some(v)) if v.opened.is_some() => {
            format!(" Alert of incident {} ", sanitize::line(v.row.id()))
        }
        (false, _) => " Alert ".to_owned(),
    };
    let borders = if split {
        Borders::TOP | Borders::LEFT
    } else {
        Borders::TOP
    };
    let block = Block::new()
        .borders(borders)
        .border_style(if focused { theme.accent() } else { theme.dim() })
        .title(Line::styled(title, theme.bold()))
        .title(Line::styled(hint, theme.dim()).right_aligned());
    frame.render_widget(block, area);

    let Some(doc) = doc else {
        let text = if state.opened_alert().is_some() {
            "Loading the alert…"
        } else {
            "No alert selected"
        };
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), body);
        return;
    };
    let lines: Vec<Line> = doc
        .iter()
        .skip(scroll)
        .take(rows)
        .map(|l| styled(l, theme))
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}

pub(super) fn styled<'a>(line: &'a DocLine, theme: &Theme) -> Line<'a> {
    Line::from(
        line.0
            .iter()
            .map(|(tone, text)| Span::styled(text.as_str(), theme.tone(*tone)))
            .collect::<Vec<_>>(),
    )
}
