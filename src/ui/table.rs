//! The column tables of the list panes (cases, simulations, assessments): fixed columns,
//! flexible ones sharing what is left, a header line, and only the rows on screen formatted
//! (each by a closure called for that row alone), the cursor row marked.

use super::queue::{cursor_line, window};
use super::theme::Theme;
use crate::text::{fit, fit_right};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

/// One column: its header, its width (`None`: a share of what the fixed columns leave)
/// and whether numbers in it are right-aligned.
#[derive(Clone, Copy)]
pub(super) struct Col {
    head: &'static str,
    width: Option<usize>,
    right: bool,
}

pub(super) const fn col(head: &'static str, width: usize) -> Col {
    Col {
        head,
        width: Some(width),
        right: false,
    }
}

pub(super) const fn num(head: &'static str, width: usize) -> Col {
    Col {
        head,
        width: Some(width),
        right: true,
    }
}

pub(super) const fn flex(head: &'static str) -> Col {
    Col {
        head,
        width: None,
        right: false,
    }
}

/// Column widths: the fixed ones as given, the flexible ones sharing the rest evenly (the
/// first ones take the odd columns), at least 4 each.
fn widths(total: usize, cols: &[Col]) -> Vec<usize> {
    let fixed: usize = cols.iter().filter_map(|c| c.width).sum::<usize>() + cols.len();
    let flexible = cols.iter().filter(|c| c.width.is_none()).count().max(1);
    let rest = total.saturating_sub(fixed);
    let (share, mut odd) = (rest / flexible, rest % flexible);
    cols.iter()
        .map(|c| {
            c.width.unwrap_or_else(|| {
                let extra = usize::from(odd > 0);
                odd = odd.saturating_sub(1);
                (share + extra).max(4)
            })
        })
        .collect()
}

fn row_text(cells: &[String], cols: &[Col], widths: &[usize]) -> String {
    let mut out = String::from(" ");
    for (i, ((cell, c), w)) in cells.iter().zip(cols).zip(widths).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if c.right {
            out.push_str(&fit_right(cell, *w));
        } else {
            out.push_str(&fit(cell, *w));
        }
    }
    out
}

/// A column header line, then the visible rows of `len` (each made by `cells` only when
/// drawn); the cursor row is highlighted when `focused`.
#[allow(clippy::too_many_arguments)]
pub(super) fn table(
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    cols: &[Col],
    len: usize,
    cursor: usize,
    offset: usize,
    focused: bool,
    mut cells: impl FnMut(usize) -> (Vec<String>, Option<Style>),
) {
    if area.height == 0 {
        return;
    }
    let widths = widths(usize::from(area.width), cols);
    let head: Vec<String> = cols.iter().map(|c| c.head.to_owned()).collect();
    frame.render_widget(
        Line::styled(row_text(&head, cols, &widths), theme.header()),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let rows = usize::from(body.height);
    let offset = window(offset, cursor, len, rows.max(1));
    let lines: Vec<Line> = (offset..len.min(offset + rows))
        .map(|i| {
            let (cells, style) = cells(i);
            let line = Line::raw(row_text(&cells, cols, &widths));
            let line = match style {
                Some(s) => line.style(s),
                None => line,
            };
            if i == cursor && focused {
                cursor_line(theme, line, true)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}
