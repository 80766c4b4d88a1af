//! The `:cases` pane: the eDiscovery case list (newest-modified first), a case's tabs
//! (custodians, non-custodial sources, searches, review sets, legal holds, operations) and
//! the case forms. Only rows on screen are formatted; every Graph string is sanitised.

use super::queue::empty_notice;
use super::table::{col, flex, table};
use super::theme::Theme;
use crate::app::cases::{CaseForm, CaseTab, FormField, TabRows, action_name, bar, case_name};
use crate::app::format;
use crate::app::score::Fetch;
use crate::app::{Focus, LIST_TOP, State, TAB_TOP};
use crate::graph::cases::{CaseOperation, EdiscoverySearch, IdentitySet, Kept};
use crate::operations::OperationView;
use crate::sanitize;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear};
use time::OffsetDateTime;

/// The short tab names of the tab bar (the breadcrumbs use the full ones).
fn short(tab: CaseTab) -> &'static str {
    match tab {
        CaseTab::Sources => "sources",
        CaseTab::Holds => "holds",
        other => other.title(),
    }
}

/// A date, with the time of day when there is room: UTC, as the portal exports.
fn when(t: Option<OffsetDateTime>, wide: bool) -> String {
    match t {
        None => "-".to_owned(),
        Some(t) if wide => format::datetime(t).trim_end_matches(" UTC").to_owned(),
        Some(t) => format::datetime(t).chars().take(10).collect(),
    }
}

/// Who, by name, or `-` when Graph sent nobody (its "never set" identity).
fn who(by: Option<&IdentitySet>) -> String {
    by.and_then(IdentitySet::name)
        .filter(|n| !n.trim().is_empty())
        .map_or_else(|| "-".to_owned(), |n| sanitize::line(n).into_owned())
}

fn wire(s: Option<&str>) -> String {
    format::wire(s).into_owned()
}

pub(super) fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    if state.focus == Focus::Case {
        render_case(state, theme, frame, area);
    } else {
        render_list(state, theme, frame, area);
    }
}

fn render_list(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let pane = &state.cases;
    let rows = crate::app::cases::rows(pane);
    let wide = area.width >= 120;
    let date = if wide { 16 } else { 10 };
    let cols = [
        flex("case"),
        col("status", 11),
        col("created", date),
        col("modified", date),
        col("closed", if wide { 40 } else { 20 }),
    ];
    if rows.is_empty() {
        table(theme, frame, area, &cols, 0, 0, 0, true, |_| (vec![], None));
        let body = Rect::new(
            area.x,
            area.y + LIST_TOP,
            area.width,
            area.height.saturating_sub(LIST_TOP),
        );
        let text = match &pane.list_fetch {
            Fetch::Loading | Fetch::NotAsked => "Reading the eDiscovery cases…".to_owned(),
            Fetch::Failed(e) => format!("Could not read the cases: {e}"),
            Fetch::Loaded if pane.list.is_empty() => "No eDiscovery cases".to_owned(),
            Fetch::Loaded => "No case matches the filter (esc clears it)".to_owned(),
        };
        empty_notice(theme, frame, body, text);
        return;
    }
    table(
        theme,
        frame,
        area,
        &cols,
        rows.len(),
        pane.cursor,
        pane.offset,
        true,
        |i| {
            let c = &pane.list[rows[i]];
            let status = match pane.pending.get(&c.id) {
                Some(word) => (*word).to_owned(),
                None => wire(c.status.as_ref().map(|s| s.as_str())),
            };
            let closed = match (c.closed, who(c.closed_by.as_ref())) {
                (None, by) if by == "-" => String::new(),
                (t, by) if by == "-" => when(t, wide),
                (t, by) => format!("{} by {by}", when(t, wide)),
            };
            let style = pane.pending.contains_key(&c.id).then(|| theme.pending());
            (
                vec![
                    case_name(c),
                    status,
                    when(c.created, wide),
                    when(c.last_modified, wide),
                    closed,
                ],
                style,
            )
        },
    );
}

fn tab_bar(state: &State, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for (i, tab) in CaseTab::ALL.iter().enumerate() {
        let text = format!("{} {}", i + 1, short(*tab));
        let style = if *tab == state.cases.tab {
            theme.cursor()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(text, style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

fn render_case(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    frame.render_widget(
        tab_bar(state, theme),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let pane = &state.cases;
    let tab = pane.tab;
    let detail = pane.open_detail();
    let followed = state.case_operations();
    let listed = detail.and_then(|d| d.rows(tab));
    let len = listed.map_or(0, TabRows::len)
        + if tab == CaseTab::Operations {
            followed.len()
        } else {
            0
        };
    let wide = area.width >= 120;
    if len == 0 {
        let fetch = detail.map_or(&Fetch::NotAsked, |d| d.fetch(tab));
        let text = match fetch {
            Fetch::NotAsked | Fetch::Loading => {
                let mut t = format!("Reading the {}…", tab.title());
                if pane.pacing.next_at.is_some() {
                    t.push_str(" (waiting for the eDiscovery request window)");
                }
                t
            }
            Fetch::Failed(e) => format!("Could not read the {}: {e}", tab.title()),
            Fetch::Loaded => format!("No {} in this case", tab.title()),
        };
        let inner = Rect::new(
            body.x,
            body.y + (TAB_TOP - 1),
            body.width,
            body.height.saturating_sub(TAB_TOP - 1),
        );
        empty_notice(theme, frame, inner, text);
        return;
    }
    let (cursor, offset) = (pane.tab_cursor, pane.tab_offset);
    let date = if wide { 16 } else { 10 };
    match listed {
        Some(TabRows::Custodians(list)) => table(
            theme,
            frame,
            body,
            &[
                flex("custodian"),
                col("email", if wide { 36 } else { 22 }),
                col("status", 8),
                col("hold", 10),
                col("created", date),
            ],
            len,
            cursor,
            offset,
            true,
            |i| {
                let c = &list[i];
                (
                    vec![
                        sanitize::opt_line(c.display_name.as_deref()).into_owned(),
                        sanitize::opt_line(c.email.as_deref()).into_owned(),
                        wire(c.status.as_ref().map(|s| s.as_str())),
                        wire(c.hold_status.as_ref().map(|s| s.as_str())),
                        when(c.created, wide),
                    ],
                    None,
                )
            },
        ),
        Some(TabRows::Sources(list)) => table(
            theme,
            frame,
            body,
            &[
                flex("source"),
                col("status", 8),
                col("hold", 10),
                col("created", date),
                col("modified", date),
            ],
            len,
            cursor,
            offset,
            true,
            |i| {
                let s = &list[i];
                (
                    vec![
                        sanitize::opt_line(s.display_name.as_deref()).into_owned(),
                        wire(s.status.as_ref().map(|s| s.as_str())),
                        wire(s.hold_status.as_ref().map(|s| s.as_str())),
                        when(s.created, wide),
                        when(s.last_modified, wide),
                    ],
                    None,
                )
            },
        ),
        Some(TabRows::Searches(list)) => {
            let name_w = if wide { 32 } else { 20 };
            table(
                theme,
                frame,
                body,
                &[
                    col("search", name_w),
                    flex("query"),
                    col("last estimate", if wide { 30 } else { 22 }),
                    col("modified", date),
                ],
                len,
                cursor,
                offset,
                true,
                |i| {
                    let s = &list[i];
                    (
                        vec![
                            sanitize::opt_line(s.display_name.as_deref()).into_owned(),
                            sanitize::opt_line(s.content_query.as_deref()).into_owned(),
                            estimate(state, s),
                            when(s.last_modified, wide),
                        ],
                        None,
                    )
                },
            );
        }
        Some(TabRows::ReviewSets(list)) => table(
            theme,
            frame,
            body,
            &[
                col("review set", if wide { 36 } else { 22 }),
                flex("description"),
                col("created", date),
                col("created by", 18),
            ],
            len,
            cursor,
            offset,
            true,
            |i| {
                let r = &list[i];
                (
                    vec![
                        sanitize::opt_line(r.display_name.as_deref()).into_owned(),
                        sanitize::opt_line(r.description.as_deref()).into_owned(),
                        when(r.created, wide),
                        who(r.created_by.as_ref()),
                    ],
                    None,
                )
            },
        ),
        Some(TabRows::Holds(list)) => table(
            theme,
            frame,
            body,
            &[
                flex("legal hold"),
                col("status", 8),
                col("enabled", 7),
                col("created", date),
                col("modified", date),
            ],
            len,
            cursor,
            offset,
            true,
            |i| {
                let h = &list[i];
                let enabled = match h.enabled() {
                    Some(true) => "yes",
                    Some(false) => "no",
                    None => "-",
                };
                (
                    vec![
                        sanitize::opt_line(h.display_name.as_deref()).into_owned(),
                        wire(h.status.as_ref().map(|s| s.as_str())),
                        enabled.to_owned(),
                        when(h.created, wide),
                        when(h.last_modified, wide),
                    ],
                    None,
                )
            },
        ),
        Some(TabRows::Operations(_)) | None => {
            let list: &[Kept<CaseOperation>] = match listed {
                Some(TabRows::Operations(list)) => list,
                _ => &[],
            };
            operations(state, theme, frame, body, &followed, list, wide);
        }
    }
}

/// The search's last estimate: a followed one in flight first, else Graph's.
fn estimate(state: &State, s: &EdiscoverySearch) -> String {
    let name = sanitize::opt_line(s.display_name.as_deref());
    let case = state.cases.open.as_deref().unwrap_or("");
    let followed = state
        .cases
        .operations
        .iter()
        .rev()
        .find(|o| o.case_id == case && sanitize::line(&o.label) == name);
    if let Some(o) = followed.filter(|o| !o.is_finished()) {
        return format!(
            "running {}",
            o.percent.map_or("…".into(), |p| format!("{p}%"))
        );
    }
    let Some(op) = &s.last_estimate_statistics_operation else {
        return "-".to_owned();
    };
    let status = wire(op.status.as_ref().map(|s| s.as_str()));
    match op.estimate.and_then(|e| e.indexed_item_count) {
        Some(n) => format!(
            "{status} {} items",
            format::count(usize::try_from(n).unwrap_or(0))
        ),
        None => status,
    }
}

/// What a finished estimate found: "1,234 items, 12 mailboxes".
fn counts(o: &OperationView) -> String {
    let Some(c) = o.counts else {
        return String::new();
    };
    let n = |v: Option<i64>| format::count(usize::try_from(v.unwrap_or(0)).unwrap_or(0));
    let mut parts = vec![format!("{} items", n(c.indexed_item_count))];
    if c.mailbox_count.is_some() {
        parts.push(format!("{} mailboxes", n(c.mailbox_count)));
    }
    if c.site_count.is_some() {
        parts.push(format!("{} sites", n(c.site_count)));
    }
    parts.join(", ")
}

fn operations(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    body: Rect,
    followed: &[&OperationView],
    list: &[Kept<CaseOperation>],
    wide: bool,
) {
    let pane = &state.cases;
    let len = followed.len() + list.len();
    let date = if wide { 16 } else { 10 };
    table(
        theme,
        frame,
        body,
        &[
            col("action", if wide { 18 } else { 10 }),
            col("status", 10),
            col("progress", 15),
            col("created", date),
            col("completed", date),
            flex("detail"),
        ],
        len,
        pane.tab_cursor,
        pane.tab_offset,
        true,
        |i| {
            if let Some(o) = followed.get(i) {
                let status = match (&o.status, &o.error) {
                    (_, Some(_)) if o.operation_id.is_empty() => "failed".to_owned(),
                    (Some(s), _) => sanitize::line(s.as_str()).into_owned(),
                    (None, _) => "starting".to_owned(),
                };
                let mut detail = format!("▶ '{}'", sanitize::line(&o.label));
                let found = counts(o);
                if !found.is_empty() {
                    detail.push_str(&format!(": {found}"));
                }
                if let Some(e) = &o.error {
                    detail.push_str(&format!(": {}", sanitize::line(e)));
                }
                let percent = o.percent.or(o.is_finished().then_some(100));
                let progress = format!(
                    "{} {:>3}",
                    bar(percent, 10),
                    percent.map_or("-".to_owned(), |p| format!("{p}%"))
                );
                let style = if o.error.is_some() {
                    theme.error()
                } else {
                    theme.bold()
                };
                let completed = if o.is_finished() { "done" } else { "-" };
                return (
                    vec![
                        action_name(&o.action),
                        status,
                        progress,
                        when(Some(o.started), wide),
                        completed.to_owned(),
                        detail,
                    ],
                    Some(style),
                );
            }
            let op = &list[i - followed.len()];
            let percent = op
                .percent_progress
                .and_then(|p| u8::try_from(p.clamp(0, 100)).ok());
            let progress = format!(
                "{} {:>3}",
                bar(percent, 10),
                percent.map_or("-".to_owned(), |p| format!("{p}%"))
            );
            let detail = op
                .result_info
                .as_ref()
                .and_then(|r| r.message.as_deref())
                .map(|m| sanitize::line(m).into_owned())
                .unwrap_or_else(|| who(op.created_by.as_ref()));
            (
                vec![
                    action_name(op.action.as_ref().map_or("-", |a| a.as_str())),
                    wire(op.status.as_ref().map(|s| s.as_str())),
                    progress,
                    when(op.created, wide),
                    when(op.completed, wide),
                    detail,
                ],
                None,
            )
        },
    );
}

/// The new-case form: name, then description.
pub(super) fn render_form(theme: &Theme, frame: &mut Frame, middle: Rect, form: &CaseForm) {
    let w = middle.width.min(72);
    let h = middle.height.min(12);
    let area = Rect::new(
        middle.x + (middle.width - w) / 2,
        middle.y + (middle.height - h) / 2,
        w,
        h,
    );
    let block = Block::bordered()
        .border_style(theme.accent())
        .title(Line::styled(" New eDiscovery case ", theme.bold()))
        .title_bottom(
            Line::styled(" tab next field · ctrl-s create · esc cancel ", theme.dim())
                .right_aligned(),
        );
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    if inner.height < 4 {
        return;
    }
    let label = |f: FormField, text: &'static str| {
        if form.field == f {
            Line::styled(text, theme.key())
        } else {
            Line::styled(text, theme.dim())
        }
    };
    frame.render_widget(
        label(FormField::Name, "Name"),
        Rect::new(inner.x, inner.y, inner.width, 1),
    );
    frame.render_widget(&*form.name, Rect::new(inner.x, inner.y + 1, inner.width, 1));
    frame.render_widget(
        label(FormField::Description, "Description"),
        Rect::new(inner.x, inner.y + 3, inner.width, 1),
    );
    frame.render_widget(
        &*form.description,
        Rect::new(
            inner.x,
            inner.y + 4,
            inner.width,
            inner.height.saturating_sub(4),
        ),
    );
}
