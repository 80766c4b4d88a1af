//! The `:score` pane: the trend chart, today's numbers and the per-category breakdown.
//!
//! Layout: 120 columns and wider put the numbers in a column right of the chart (the chart
//! keeps the full height); narrower terminals (80x24) stack the chart over a row holding
//! the numbers and the categories side by side.
//!
//! The chart draws every series as runs of consecutive days: a day without a snapshot (or
//! without that average) ends a run, so a gap stays a gap and nothing is interpolated.

use super::theme::Theme;
use crate::app::State;
use crate::app::score::{
    CategoryPoints, ChartMarker, DayPoint, Fetch, Projection, ScoreData, ScoreView,
};
use crate::sanitize;
use crate::text::{fit, fit_right, width};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, Paragraph, Wrap};
use time::Date;

/// Width of the numbers column in the wide layout.
const SIDE_WIDTH: u16 = 46;
/// From this width on the numbers go beside the chart.
const WIDE_FROM: u16 = 120;
/// Rows under the chart in the stacked layout.
const STACKED_BOTTOM: u16 = 9;
/// Width of the numbers box in the stacked layout.
const STACKED_SUMMARY: u16 = 38;
/// Cells of a category's bar.
const BAR: usize = 10;
/// Label column of the numbers box.
const LABEL: usize = 18;

pub(super) fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let score = &state.score;
    if score.history.is_empty() {
        empty(score, theme, frame, area);
        return;
    }
    let (chart, summary, categories) = if area.width >= WIDE_FROM {
        let [chart, side] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(SIDE_WIDTH)]).areas(area);
        let [summary, categories] =
            Layout::vertical([Constraint::Length(10), Constraint::Min(3)]).areas(side);
        (chart, summary, categories)
    } else {
        let bottom = STACKED_BOTTOM.min(area.height / 2);
        let [chart, row] =
            Layout::vertical([Constraint::Min(6), Constraint::Length(bottom)]).areas(area);
        let [summary, categories] = Layout::horizontal([
            Constraint::Length(STACKED_SUMMARY.min(row.width / 2)),
            Constraint::Min(10),
        ])
        .areas(row);
        (chart, summary, categories)
    };
    draw_chart(state, theme, frame, chart);
    draw_summary(score, theme, frame, summary);
    draw_categories(score, theme, frame, categories);
}

/// No history yet: say why, in the whole pane.
fn empty(score: &ScoreData, theme: &Theme, frame: &mut Frame, area: Rect) {
    let (text, style) = match &score.history_fetch {
        Fetch::NotAsked => (
            "The Secure Score history is not loaded (r loads it).".to_owned(),
            theme.dim(),
        ),
        Fetch::Loading => ("Loading the Secure Score history…".to_owned(), theme.warn()),
        Fetch::Failed(e) => (
            format!(
                "Loading the Secure Score history failed: {} (r tries again)",
                sanitize::line(e)
            ),
            theme.error(),
        ),
        Fetch::Loaded => (
            "Graph sent no Secure Score snapshots for this tenant (a tenant has one a day \
             once Secure Score is set up)."
                .to_owned(),
            theme.dim(),
        ),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text, style))
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Secure Score ")),
        area,
    );
}

/// The series' values on one day, on the chosen scale.
fn scaled(view: ScoreView, p: &DayPoint, v: Option<f64>) -> Option<f64> {
    let v = v?;
    match view {
        ScoreView::Points => Some(v),
        ScoreView::Percent => (p.max > 0.0).then(|| v / p.max * 100.0),
    }
}

/// `(x, y)` runs of consecutive days that have a value: x is days since `start`. A missing
/// day or a day without the value ends a run.
pub(crate) fn runs(
    days: &[DayPoint],
    start: Date,
    value: impl Fn(&DayPoint) -> Option<f64>,
) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut last: Option<Date> = None;
    for p in days {
        let Some(y) = value(p) else {
            last = None;
            continue;
        };
        let x = (p.date - start).whole_days() as f64;
        let follows = last.is_some_and(|d| d.next_day() == Some(p.date));
        match out.last_mut() {
            Some(run) if follows => run.push((x, y)),
            _ => out.push(vec![(x, y)]),
        }
        last = Some(p.date);
    }
    out
}

fn marker(m: ChartMarker) -> Marker {
    match m {
        ChartMarker::Braille => Marker::Braille,
        ChartMarker::Dot => Marker::Dot,
        ChartMarker::Block => Marker::Block,
        ChartMarker::HalfBlock => Marker::HalfBlock,
        ChartMarker::Bar => Marker::Bar,
    }
}

fn draw_chart(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let score = &state.score;
    let view = state.score_view;
    let days = state.score_window.days();
    let window = score.window(days);
    let Some(today) = score.today() else { return };
    let start = today.date - time::Duration::days(days - 1);
    let projection = score.projection();

    let mut title = format!(
        " Secure Score · last {days} days · {} ",
        match view {
            ScoreView::Points => "points",
            ScoreView::Percent => "% of maxScore",
        }
    );
    match &score.history_fetch {
        Fetch::Loading => title.push_str("· reloading… "),
        Fetch::Failed(_) => title.push_str("· reload failed (r) "),
        _ => {}
    }
    let block = Block::bordered().title(Line::styled(title, theme.bold()));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let legend = legend(view, projection.as_ref(), theme);
    let legend_lines = pack(legend, usize::from(inner.width));
    let legend_rows = (legend_lines.len() as u16).min(inner.height.saturating_sub(4));
    let [legend_area, chart_area] =
        Layout::vertical([Constraint::Length(legend_rows), Constraint::Min(0)]).areas(inner);
    frame.render_widget(Paragraph::new(legend_lines), legend_area);

    let score_runs = runs(window, start, |p| scaled(view, p, Some(p.score)));
    let all_runs = runs(window, start, |p| scaled(view, p, p.all_tenants));
    let similar_runs = runs(window, start, |p| scaled(view, p, p.similar_seats));

    let target = projection.and_then(|p| match view {
        ScoreView::Points => Some(p.score),
        ScoreView::Percent => p.percentage(),
    });
    let (bottom, top) = y_bounds(
        [&score_runs, &all_runs, &similar_runs]
            .into_iter()
            .flatten()
            .flatten()
            .map(|&(_, y)| y)
            .chain(target),
        match view {
            ScoreView::Points => window.iter().map(|p| p.max).fold(0.0, f64::max),
            ScoreView::Percent => 100.0,
        },
    );
    // The target as dashes: two columns drawn, two left out, across the plot. One scatter
    // dataset with a point every half column (a Braille dot is half a cell wide): every
    // dataset is a canvas layer the size of the plot, so one dataset per dash would cost
    // a layer each.
    let span = (days - 1) as f64;
    let cols = f64::from(chart_area.width.saturating_sub(6).max(4));
    let dashes = target.map(|y| dashes(span, cols, y)).unwrap_or_default();
    let m = marker(state.chart_marker);
    let mut datasets = Vec::new();
    for (runs, style) in [
        (&all_runs, theme.chart_all_tenants()),
        (&similar_runs, theme.chart_similar()),
    ] {
        for run in runs {
            datasets.push(
                Dataset::default()
                    .marker(m)
                    .graph_type(GraphType::Line)
                    .style(style)
                    .data(run),
            );
        }
    }
    if !dashes.is_empty() {
        datasets.push(
            Dataset::default()
                .marker(m)
                .graph_type(GraphType::Scatter)
                .style(theme.chart_target())
                .data(&dashes),
        );
    }
    // The score last: drawn over the others where they meet.
    for run in &score_runs {
        datasets.push(
            Dataset::default()
                .marker(m)
                .graph_type(GraphType::Line)
                .style(theme.chart_score())
                .data(run),
        );
    }

    let unit = match view {
        ScoreView::Points => "",
        ScoreView::Percent => "%",
    };
    let y_labels: Vec<String> = [bottom, (bottom + top) / 2.0, top]
        .iter()
        .map(|v| format!("{}{unit}", points(*v)))
        .collect();
    let n = if chart_area.width >= 100 { 5 } else { 3 };
    let x_labels: Vec<String> = (0..n)
        .map(|i| {
            let x = (span * i as f64 / (n - 1) as f64).round() as i64;
            short_date(start + time::Duration::days(x))
        })
        .collect();
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(
            Axis::default()
                .bounds([0.0, span])
                .labels(x_labels)
                .style(theme.dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([bottom, top])
                .labels(y_labels)
                .style(theme.dim()),
        );
    frame.render_widget(chart, chart_area);
}

/// Points of a dashed horizontal line at `y` over `0..=span`, drawn on `cols` columns:
/// two columns of dashes, two of gap.
fn dashes(span: f64, cols: f64, y: f64) -> Vec<(f64, f64)> {
    let col = span / cols;
    let half = col / 2.0;
    let steps = (span / half).floor() as usize;
    (0..=steps)
        .filter(|i| (i / 4) % 2 == 0)
        .map(|i| (i as f64 * half, y))
        .collect()
}

/// The y axis: the drawn values with some room, in steps of 10, never below 0 nor above
/// `cap` (the largest maxScore, or 100 %). Zoomed in so a few points' change shows; the
/// axis labels say where it starts.
fn y_bounds(values: impl Iterator<Item = f64>, cap: f64) -> (f64, f64) {
    const STEP: f64 = 10.0;
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, cap.max(1.0));
    }
    let bottom = (((lo - 2.0) / STEP).floor() * STEP).max(0.0);
    let top = (((hi + 2.0) / STEP).ceil() * STEP).min(cap.max(hi));
    if top > bottom {
        (bottom, top)
    } else {
        (bottom, bottom + STEP)
    }
}

/// "Nov 26": the x axis' dates (the year is in the numbers' title).
fn short_date(d: Date) -> String {
    format!("{} {}", &d.month().to_string()[..3], d.day())
}

/// The legend's items: what each line is, on which scale, and the target's value.
fn legend(
    view: ScoreView,
    projection: Option<&Projection>,
    theme: &Theme,
) -> Vec<Vec<Span<'static>>> {
    let (all, similar) = match view {
        ScoreView::Points => ("avg all tenants", "avg similar seats"),
        ScoreView::Percent => (
            "avg all tenants (÷ our max)",
            "avg similar seats (÷ our max)",
        ),
    };
    let item = |glyph: &str, style: Style, label: String| {
        vec![
            Span::styled(glyph.to_owned(), style),
            Span::raw(format!(" {label}")),
        ]
    };
    let mut items = vec![
        item("━━", theme.chart_score(), "score".to_owned()),
        item("──", theme.chart_all_tenants(), all.to_owned()),
        item("──", theme.chart_similar(), similar.to_owned()),
    ];
    if let Some(p) = projection {
        items.push(item("╍╍", theme.chart_target(), target_label(p)));
    }
    items
}

/// "target 70.3 (74%) if 2 planned done".
fn target_label(p: &Projection) -> String {
    let pct = p
        .percentage()
        .map(|v| format!(" ({v:.0}%)"))
        .unwrap_or_default();
    format!(
        "target {}{pct} if {} planned done",
        points(p.score),
        p.controls
    )
}

/// Packs legend items into lines of at most `max` columns, two spaces between items.
fn pack(items: Vec<Vec<Span<'static>>>, max: usize) -> Vec<Line<'static>> {
    let mut lines: Vec<Line<'static>> = Vec::new();
    let mut current: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for item in items {
        let w: usize = item.iter().map(|s| width(&s.content)).sum();
        if !current.is_empty() && used + 2 + w > max {
            lines.push(Line::from(std::mem::take(&mut current)));
            used = 0;
        }
        if !current.is_empty() {
            current.push(Span::raw("  "));
            used += 2;
        }
        current.extend(item);
        used += w;
    }
    if !current.is_empty() {
        lines.push(Line::from(current));
    }
    lines
}

/// Points as Graph's portal shows them: one decimal, none when whole.
fn points(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A signed change: "+1.5", "-0.4", "±0"; "n/a" without a snapshot that old.
fn change(v: Option<f64>) -> String {
    match v {
        None => "n/a".to_owned(),
        Some(v) if v.abs() < 0.05 => "±0".to_owned(),
        Some(v) if v > 0.0 => format!("+{}", points(v)),
        Some(v) => format!("-{}", points(-v)),
    }
}

fn draw_summary(score: &ScoreData, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(today) = score.today() else { return };
    let row = |label: &str, value: String, style: Style| {
        Line::from(vec![
            Span::styled(fit(label, LABEL), theme.dim()),
            Span::styled(value, style),
        ])
    };
    let pct = today
        .percentage()
        .map(|p| format!(" ({p:.1}%)"))
        .unwrap_or_default();
    let avg = |v: Option<f64>| v.map(points).unwrap_or_else(|| "n/a".to_owned());
    let mut lines = vec![
        row(
            "score",
            format!("{} / {}{pct}", points(today.score), points(today.max)),
            theme.bold(),
        ),
        row("change 7 days", change(score.change_over(7)), theme.plain()),
        row(
            "change 30 days",
            change(score.change_over(30)),
            theme.plain(),
        ),
        row(
            "avg all tenants",
            avg(today.all_tenants),
            theme.chart_all_tenants(),
        ),
        row(
            "avg similar seats",
            avg(today.similar_seats),
            theme.chart_similar(),
        ),
    ];
    match score.projection() {
        Some(p) => {
            let pct = p
                .percentage()
                .map(|v| format!(" ({v:.1}%)"))
                .unwrap_or_default();
            lines.push(row(
                "target",
                format!("{} / {}{pct}", points(p.score), points(p.max)),
                theme.chart_target(),
            ));
            lines.push(row(
                "",
                format!("if {} planned done (+{})", p.controls, points(p.gain)),
                theme.dim(),
            ));
        }
        None => lines.push(row("target", "none planned (c)".to_owned(), theme.dim())),
    }
    let title = format!(" Today {} ", today.date);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(title)),
        area,
    );
}

fn draw_categories(score: &ScoreData, theme: &Theme, frame: &mut Frame, area: Rect) {
    let block = Block::bordered().title(" Categories, today ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cats = score.categories();
    if cats.is_empty() {
        let (text, style) = match &score.profiles_fetch {
            Fetch::Loading => ("loading the control profiles…".to_owned(), theme.warn()),
            Fetch::Failed(e) => (
                format!("control profiles failed: {}", sanitize::line(e)),
                theme.error(),
            ),
            Fetch::NotAsked => ("control profiles not loaded".to_owned(), theme.dim()),
            Fetch::Loaded => ("no control profiles".to_owned(), theme.dim()),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, style)).wrap(Wrap { trim: true }),
            inner,
        );
        return;
    }
    let w = usize::from(inner.width);
    let pts_w = 11;
    let name_w = w.saturating_sub(pts_w + BAR + 2).max(4);
    let mut lines = vec![Line::from(vec![
        Span::styled(fit("category", name_w), theme.header()),
        Span::raw(" "),
        Span::styled(fit_right("points", pts_w), theme.header()),
        Span::raw(" "),
    ])];
    let rows = usize::from(inner.height).saturating_sub(1);
    let shown = if cats.len() > rows {
        rows.saturating_sub(1)
    } else {
        cats.len()
    };
    for c in &cats[..shown] {
        lines.push(category_line(c, name_w, pts_w, theme));
    }
    if shown < cats.len() {
        lines.push(Line::styled(
            format!("+{} more in :controls (c)", cats.len() - shown),
            theme.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn category_line(c: &CategoryPoints, name_w: usize, pts_w: usize, theme: &Theme) -> Line<'static> {
    let name = sanitize::line(&c.category);
    let share = if c.available > 0.0 {
        (c.achieved / c.available).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = (share * BAR as f64).round() as usize;
    let bar = format!("{}{}", "█".repeat(filled), "░".repeat(BAR - filled));
    Line::from(vec![
        Span::raw(fit(&name, name_w)),
        Span::raw(" "),
        Span::raw(fit_right(
            &format!("{} / {}", points(c.achieved), points(c.available)),
            pts_w,
        )),
        Span::raw(" "),
        Span::styled(bar, theme.chart_score()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn day(date: Date, score: f64, all: Option<f64>) -> DayPoint {
        DayPoint {
            date,
            score,
            max: 50.0,
            all_tenants: all,
            similar_seats: None,
        }
    }

    #[test]
    fn a_missing_day_or_value_breaks_the_run_and_nothing_is_interpolated() {
        let start = date!(2026 - 11 - 01);
        let days = [
            day(date!(2026 - 11 - 01), 10.0, Some(5.0)),
            day(date!(2026 - 11 - 02), 11.0, Some(5.5)),
            // 11-03 and 11-04 missing.
            day(date!(2026 - 11 - 05), 14.0, None),
            day(date!(2026 - 11 - 06), 15.0, Some(6.0)),
            day(date!(2026 - 11 - 07), 16.0, Some(6.5)),
            // 11-08 missing: 11-09 stands alone.
            day(date!(2026 - 11 - 09), 18.0, Some(7.0)),
        ];
        let score = runs(&days, start, |p| Some(p.score));
        assert_eq!(
            score,
            vec![
                vec![(0.0, 10.0), (1.0, 11.0)],
                vec![(4.0, 14.0), (5.0, 15.0), (6.0, 16.0)],
                vec![(8.0, 18.0)],
            ]
        );
        let all = runs(&days, start, |p| p.all_tenants);
        assert_eq!(
            all,
            vec![
                vec![(0.0, 5.0), (1.0, 5.5)],
                vec![(5.0, 6.0), (6.0, 6.5)],
                vec![(8.0, 7.0)],
            ]
        );
        // Every point appears exactly once, at its own day.
        let n: usize = score.iter().map(Vec::len).sum();
        assert_eq!(n, days.len());
        assert!(runs(&[], start, |p| Some(p.score)).is_empty());
    }

    #[test]
    fn percent_divides_by_that_day_s_maximum() {
        let p = day(date!(2026 - 11 - 01), 10.0, Some(25.0));
        assert_eq!(scaled(ScoreView::Percent, &p, Some(p.score)), Some(20.0));
        assert_eq!(scaled(ScoreView::Percent, &p, p.all_tenants), Some(50.0));
        assert_eq!(scaled(ScoreView::Points, &p, p.all_tenants), Some(25.0));
        let zero = DayPoint { max: 0.0, ..p };
        assert_eq!(scaled(ScoreView::Percent, &zero, Some(1.0)), None);
    }

    #[test]
    fn the_target_is_dashed_two_columns_on_two_off() {
        // 8 columns over 0..=8: a point every half column, kept in blocks of four.
        let d = dashes(8.0, 8.0, 61.0);
        let xs: Vec<f64> = d.iter().map(|p| p.0).collect();
        assert_eq!(xs, [0.0, 0.5, 1.0, 1.5, 4.0, 4.5, 5.0, 5.5, 8.0]);
        assert!(d.iter().all(|p| p.1 == 61.0));
    }

    #[test]
    fn the_y_axis_zooms_to_the_values_within_zero_and_the_cap() {
        assert_eq!(y_bounds([41.0, 52.3, 70.3].into_iter(), 95.0), (30.0, 80.0));
        assert_eq!(y_bounds([1.0, 94.0].into_iter(), 95.0), (0.0, 95.0));
        assert_eq!(y_bounds([99.5].into_iter(), 100.0), (90.0, 100.0));
        assert_eq!(y_bounds(std::iter::empty(), 95.0), (0.0, 95.0));
        assert_eq!(short_date(date!(2026 - 11 - 06)), "Nov 6");
    }

    #[test]
    fn numbers_are_written_like_the_portal() {
        assert_eq!(points(52.3), "52.3");
        assert_eq!(points(95.0), "95");
        assert_eq!(points(61.04), "61");
        assert_eq!(change(None), "n/a");
        assert_eq!(change(Some(1.5)), "+1.5");
        assert_eq!(change(Some(-0.4)), "-0.4");
        assert_eq!(change(Some(0.01)), "±0");
        let p = Projection {
            controls: 2,
            gain: 9.0,
            score: 61.0,
            max: 100.0,
        };
        assert_eq!(target_label(&p), "target 61 (61%) if 2 planned done");
    }
}
