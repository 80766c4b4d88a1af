//! The top bar (who, where, what is loaded), the status line and the bottom line (key
//! hints, or the filter / command being typed).

use super::theme::Theme;
use crate::app::Load;
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::app::live::{Held, Live};
use crate::app::queue::Column;
use crate::app::{Focus, Overlay, State};
use crate::sanitize;
use crate::text::{truncate, width};
use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};

const SPINNER: [&str; 4] = ["-", "\\", "|", "/"];

pub fn top(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let sort = state.queue.sort();
    let endpoint = sanitize::line(&state.session.endpoint);
    // The scheme is noise on an 80-column bar; plain http is refused upstream anyway.
    let endpoint = endpoint.strip_prefix("https://").unwrap_or(&endpoint);
    let mut spans = vec![
        Span::styled(" graphsec ", theme.accent()),
        Span::styled(
            sanitize::line(&state.session.profile).into_owned(),
            theme.bold(),
        ),
    ];
    if state.session.read_only {
        spans.push(Span::styled(" READ-ONLY", theme.warn()));
    }
    spans.extend([
        Span::styled(" · ", theme.dim()),
        Span::raw(endpoint.to_owned()),
    ]);
    let typing = matches!(state.overlay, Some(Overlay::Filter));
    let incident_detail = state.opened_alert().is_some();
    if matches!(state.focus, Focus::Incidents | Focus::Incident) || incident_detail {
        spans.extend(incidents_top(state, typing));
        frame.render_widget(fit_line(spans, usize::from(area.width)), area);
        return;
    }
    if matches!(state.focus, Focus::Score | Focus::Controls | Focus::Control) {
        spans.extend(score_top(state, theme, typing));
        frame.render_widget(fit_line(spans, usize::from(area.width)), area);
        return;
    }
    if matches!(state.focus, Focus::Sims | Focus::Sim | Focus::SimTenant) {
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        let room = usize::from(area.width).saturating_sub(used);
        spans.extend(super::sims::top(state, theme, typing, room));
        frame.render_widget(fit_line(spans, usize::from(area.width)), area);
        return;
    }
    if matches!(state.focus, Focus::Cases | Focus::Case) {
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        let room = usize::from(area.width).saturating_sub(used);
        spans.extend(cases_top(state, theme, typing, room));
        frame.render_widget(fit_line(spans, usize::from(area.width)), area);
        return;
    }
    // The entities pane has its own filters; the queue's presets and sort do not apply.
    if let (Focus::Entities, Some(v)) = (state.focus, state.entities.as_ref()) {
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.push(Span::styled(
            format!("entities · kind {}", v.kind.map_or("all", |k| k.as_str())),
            theme.bold(),
        ));
        if let Some(a) = &v.of_alert {
            spans.push(Span::styled(
                format!(" · of alert {}", a.alert_id),
                theme.warn(),
            ));
        }
        if !v.query.is_empty() && !typing {
            spans.push(Span::styled(
                format!(" · /{}", sanitize::line(&v.query)),
                theme.warn(),
            ));
        }
        frame.render_widget(fit_line(spans, usize::from(area.width)), area);
        return;
    }
    if let Some(scope) = state.queue.scope() {
        // Which entity's alerts these are: the queue looks the same otherwise,
        // so this goes before the presets, which a narrow bar cuts first.
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.push(Span::styled(
            format!(
                "entity: {} {}",
                scope.kind.as_str(),
                sanitize::line(&scope.name)
            ),
            theme.warn(),
        ));
    }
    spans.extend([
        Span::styled(" │ ", theme.dim()),
        Span::raw(format!(
            "{} · {}",
            state.status_preset.label(),
            state.time_preset.label()
        )),
        Span::styled(" │ ", theme.dim()),
        Span::raw(format!(
            "sort {}{}",
            sort.column.name(),
            if sort.descending { "↓" } else { "↑" }
        )),
    ]);
    if !state.queue.query().is_empty() && !typing {
        spans.push(Span::styled(" │ ", theme.dim()));
        spans.push(Span::styled(
            format!("/{}", sanitize::line(state.queue.query())),
            theme.warn(),
        ));
    }
    frame.render_widget(fit_line(spans, usize::from(area.width)), area);
}

/// `:cases`: breadcrumbs ("cases › Contoso investigation › searches"), the count and
/// the filter.
fn cases_top(state: &State, theme: &Theme, typing: bool, room: usize) -> Vec<Span<'static>> {
    let pane = &state.cases;
    let sep = || Span::styled(" │ ", theme.dim());
    let crumb = || Span::styled(" › ", theme.dim());
    let mut spans = vec![sep(), Span::styled("cases", theme.bold())];
    match pane.open_case().filter(|_| state.focus == Focus::Case) {
        Some(case) => {
            // The tab's name is kept whole: the case's name gives way first.
            let fixed = width(" │ cases › ") + width(" › ") + width(pane.tab.title());
            let name_room = room.saturating_sub(fixed).clamp(8, 40);
            spans.push(crumb());
            spans.push(Span::styled(
                truncate(&crate::app::cases::case_name(case), name_room).into_owned(),
                theme.bold(),
            ));
            spans.push(crumb());
            spans.push(Span::styled(pane.tab.title(), theme.bold()));
        }
        None => {
            let shown = crate::app::cases::rows(pane).len();
            let all = pane.list.len();
            let count = if shown == all {
                format::count(all)
            } else {
                format!("{} of {}", format::count(shown), format::count(all))
            };
            spans.push(Span::styled(format!(" · {count}"), theme.plain()));
            if !pane.filter.is_empty() && !typing {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("/{}", sanitize::line(&pane.filter)),
                    theme.warn(),
                ));
            }
        }
    }
    spans
}

/// The top bar's part for the incidents pane, the incident view and an alert opened from
/// it: what is loaded and how it is sorted, or which incident is open.
/// `:score` and `:controls`: which pane, how many controls, the filter.
fn score_top(state: &State, theme: &Theme, typing: bool) -> Vec<Span<'static>> {
    let sep = || Span::styled(" │ ", theme.dim());
    let mut spans = vec![sep()];
    match state.focus {
        // The score pane's own settings: the queue's presets and sort do not apply there.
        Focus::Score => spans.push(Span::styled(
            format!(
                "score · {}d · {} · {}",
                state.score_window.days(),
                state.score_view.name(),
                state.chart_marker.name()
            ),
            theme.bold(),
        )),
        Focus::Control => {
            let id = state.controls.cursor_id.as_deref().unwrap_or("");
            spans.push(Span::styled(
                format!("control {}", sanitize::line(id)),
                theme.bold(),
            ));
        }
        _ => {
            let shown = crate::app::control_keys::table(state).len();
            let all = state.score.profiles.len();
            let count = if shown == all {
                format::count(all)
            } else {
                format!("{} of {}", format::count(shown), format::count(all))
            };
            spans.push(Span::styled(format!("controls · {count}"), theme.bold()));
            if !state.score.planned.is_empty() {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("{} planned", state.score.planned.len()),
                    theme.marked(),
                ));
            }
            if !state.controls.filter.is_empty() && !typing {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("/{}", sanitize::line(&state.controls.filter)),
                    theme.warn(),
                ));
            }
        }
    }
    spans
}

fn incidents_top(state: &State, typing: bool) -> Vec<Span<'static>> {
    let theme = Theme::new(state.session.no_color);
    let pane = &state.incidents;
    let sep = || Span::styled(" │ ", theme.dim());
    let mut spans = vec![sep()];
    match pane
        .view
        .as_ref()
        .filter(|_| state.focus != Focus::Incidents)
    {
        Some(v) => {
            spans.push(Span::styled(
                format!("incident {}", sanitize::line(v.row.id())),
                theme.bold(),
            ));
            if v.opened.is_some() {
                spans.push(Span::styled(" › alert", theme.bold()));
            }
        }
        None => {
            let sort = pane.queue.sort();
            spans.extend([
                Span::styled(
                    format!("incidents · {}", pane.preset.incident_label()),
                    theme.bold(),
                ),
                sep(),
                Span::raw(format!(
                    "sort {}{}",
                    sort.column.name(),
                    if sort.descending { "↓" } else { "↑" }
                )),
            ]);
            if !pane.queue.query().is_empty() && !typing {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("/{}", sanitize::line(pane.queue.query())),
                    theme.warn(),
                ));
            }
        }
    }
    spans
}

/// What the status line counts: the shown, loaded and total rows of the list in focus,
/// with its marks, its load and its polling.
struct ListStatus<'a> {
    counts: String,
    marks: usize,
    load: &'a Load,
    live: &'a Live,
}

fn counts(shown: usize, loaded: usize, total: Option<u64>, noun: &str) -> String {
    let mut counts = format!(" {}/{}", format::count(shown), format::count(loaded));
    if let Some(total) = total.and_then(|t| usize::try_from(t).ok())
        && total != loaded
    {
        counts.push_str(&format!(" of {}", format::count(total)));
    }
    counts.push(' ');
    counts.push_str(noun);
    counts
}

fn list_status(state: &State) -> ListStatus<'_> {
    let pane = &state.incidents;
    if matches!(state.focus, Focus::Incidents | Focus::Incident) {
        let (shown, loaded) = (pane.queue.view().len(), pane.queue.len());
        return ListStatus {
            counts: counts(shown, loaded, pane.load.total, "incidents"),
            marks: pane.marks.len(),
            load: &pane.load,
            live: &pane.live,
        };
    }
    let loaded = state.queue.len();
    let counts = match (state.focus, state.entities.as_ref()) {
        (Focus::Entities, Some(v)) => format!(
            " {}/{} entities in {} alerts",
            format::count(v.len()),
            format::count(v.total()),
            format::count(loaded)
        ),
        _ => counts(state.queue.view().len(), loaded, state.load.total, "alerts"),
    };
    ListStatus {
        counts,
        marks: state.marks.len(),
        load: &state.load,
        live: &state.live,
    }
}

/// `:score` and `:controls`: what is loaded, and a spinner while a read runs.
fn score_status(state: &State, theme: &Theme, spin: &str) -> Vec<Span<'static>> {
    let score = &state.score;
    let counts = match state.focus {
        Focus::Score => format!(" {} days of history", format::count(score.history.len())),
        _ => {
            let shown = crate::app::control_keys::table(state).len();
            counts(shown, score.profiles.len(), None, "controls")
        }
    };
    let mut spans = vec![Span::styled(counts, theme.bold())];
    if score.history_fetch.is_loading() || score.profiles_fetch.is_loading() {
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(format!("{spin} loading"), theme.warn()));
    }
    spans
}

/// `:cases`: what is shown, a spinner while a read runs, and where the cases queue stands
/// against Graph's 5-a-minute eDiscovery window. The next request's time is absolute (not
/// a countdown), so the line changes only when the queue does.
fn cases_status(state: &State, theme: &Theme, spin: &str) -> Vec<Span<'static>> {
    let pane = &state.cases;
    let sep = || Span::styled(" · ", theme.dim());
    let (count, loading) = match (state.focus, pane.open_detail()) {
        (Focus::Case, detail) => {
            let tab = pane.tab;
            let n = state.case_tab_len();
            let loading = detail.is_some_and(|d| d.fetch(tab).is_loading());
            (format!(" {} {}", format::count(n), tab.title()), loading)
        }
        _ => (
            counts(
                crate::app::cases::rows(pane).len(),
                pane.list.len(),
                None,
                "cases",
            ),
            pane.list_fetch.is_loading(),
        ),
    };
    let mut spans = vec![Span::styled(count, theme.bold())];
    if loading {
        spans.push(sep());
        spans.push(Span::styled(format!("{spin} reading"), theme.warn()));
    }
    let pacing = pane.pacing;
    if let Some(at) = pacing.next_at {
        spans.push(sep());
        spans.push(Span::styled(
            format!("next request {} UTC", format::clock(at)),
            theme.warn(),
        ));
    }
    if pacing.waiting > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{} read{} waiting",
                pacing.waiting,
                if pacing.waiting == 1 { "" } else { "s" }
            ),
            theme.warn(),
        ));
    }
    let writes = pane.pending.len() + pane.adding.len() + usize::from(pane.creating.is_some());
    if writes > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!(
                "{spin} {writes} case change{} sending",
                if writes == 1 { "" } else { "s" }
            ),
            theme.pending(),
        ));
    }
    spans
}

/// The counts, marks, load progress and live-poll part of the status line for the alert
/// queue, the incidents and the entities; `refreshed` is where the live part starts.
fn list_spans(state: &State, theme: &Theme, spin: &str) -> (Vec<Span<'static>>, Option<usize>) {
    let list = list_status(state);
    let counts = list.counts;
    let mut spans = vec![Span::styled(counts, theme.bold())];
    let sep = || Span::styled(" · ", theme.dim());
    if list.marks > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{} marked", list.marks),
            theme.marked(),
        ));
    }
    let load = list.load;
    if load.loading {
        spans.push(sep());
        let progress = match load.total {
            Some(t) => format!(
                "{spin} loading {}/{}",
                format::count(load.received),
                format::count(usize::try_from(t).unwrap_or(usize::MAX))
            ),
            None => format!("{spin} loading {}", format::count(load.received)),
        };
        spans.push(Span::styled(progress, theme.warn()));
    }
    let (new, changed) = list.live.fresh_counts();
    if new + changed > 0 {
        spans.push(sep());
        let mut parts = Vec::new();
        if new > 0 {
            parts.push(format!("+{new} new"));
        }
        if changed > 0 {
            parts.push(format!("~{changed} changed"));
        }
        spans.push(Span::styled(parts.join(" "), theme.bold()));
    }
    // When the queue was last current and when the next poll is: the first thing to go
    // when the line is full.
    let mut refreshed = None;
    if !load.loading
        && let Some(text) = live_line(list.live)
    {
        refreshed = Some(spans.len());
        spans.push(sep());
        spans.push(Span::styled(text, theme.dim()));
    }
    (spans, refreshed)
}

pub fn status(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let spin = SPINNER[(state.ticks % SPINNER.len() as u64) as usize];
    let (mut spans, refreshed) =
        if matches!(state.focus, Focus::Score | Focus::Controls | Focus::Control) {
            (score_status(state, theme, spin), None)
        } else if matches!(state.focus, Focus::Cases | Focus::Case) {
            (cases_status(state, theme, spin), None)
        } else if matches!(state.focus, Focus::Sims | Focus::Sim | Focus::SimTenant) {
            (super::sims::status(state, theme, spin), None)
        } else {
            list_spans(state, theme, spin)
        };
    let sep = || Span::styled(" · ", theme.dim());
    // A followed operation in flight is named from every pane: it may have been resumed
    // at start-up, before the analyst opened :cases.
    if let Some(op) = state.cases.in_flight() {
        spans.push(sep());
        spans.push(Span::styled(
            crate::app::cases::operation_line(op),
            theme.pending(),
        ));
    }
    if !state.writes.is_empty() {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{spin} {} saving", state.writes.len()),
            theme.pending(),
        ));
    }
    if state.writes.failed > 0 {
        spans.push(sep());
        spans.push(Span::styled(
            format!("{} failed", state.writes.failed),
            theme.error(),
        ));
    }
    if let Some(m) = &state.message {
        spans.push(Span::styled(" │ ", theme.dim()));
        let style = if m.error {
            theme.error()
        } else {
            theme.plain()
        };
        spans.push(Span::styled(m.text.clone(), style));
    }
    let total: usize = spans.iter().map(|s| width(&s.content)).sum();
    if let Some(i) = refreshed
        && total > usize::from(area.width)
    {
        spans.drain(i..i + 2);
    }
    frame.render_widget(fit_line(spans, usize::from(area.width)), area);
}

/// "current 12:00:15 · next 12:00:30 UTC", or why there is no next poll. Absolute times,
/// not a countdown: the line changes only when a poll does, so an idle console sends
/// nothing to the terminal.
fn live_line(live: &Live) -> Option<String> {
    let current = live.current_at?;
    let current = format!("current {}", format::clock(current));
    let next = if !live.enabled {
        "live off".to_owned()
    } else if live.in_flight.is_some() {
        "checking…".to_owned()
    } else {
        let at = live
            .next_at
            .map(format::clock)
            .unwrap_or_else(|| "-".into());
        match &live.held {
            Some(Held::BudgetLow) => format!("request budget low, next {at}"),
            Some(Held::Failed(_)) => format!("refresh failed, retry {at}"),
            None => format!("next {at}"),
        }
    };
    Some(format!("{current} · {next} UTC"))
}

pub fn bottom(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    match &state.overlay {
        Some(Overlay::Filter) => {
            let (query, shown, all) = match (state.focus, state.entities.as_ref()) {
                (Focus::Entities, Some(v)) => (v.query.as_str(), v.len(), v.total()),
                (Focus::Incidents, _) => {
                    let q = &state.incidents.queue;
                    (q.query(), q.view().len(), q.len())
                }
                (Focus::Controls, _) => (
                    state.controls.filter.as_str(),
                    crate::app::control_keys::table(state).len(),
                    state.score.profiles.len(),
                ),
                (Focus::Cases, _) => (
                    state.cases.filter.as_str(),
                    crate::app::cases::rows(&state.cases).len(),
                    state.cases.list.len(),
                ),
                (Focus::Sims, _) => super::sims::filter_counts(state),
                _ => (
                    state.queue.query(),
                    state.queue.view().len(),
                    state.queue.len(),
                ),
            };
            let count = format!("  {}/{}", format::count(shown), format::count(all));
            input_line(frame, theme, area, "/", query, &count);
        }
        Some(Overlay::Command(line)) => input_line(frame, theme, area, ":", line, ""),
        _ => hints(state, theme, frame, area),
    }
}

/// A one-line input with a visible terminal cursor at its end.
fn input_line(frame: &mut Frame, theme: &Theme, area: Rect, prompt: &str, text: &str, tail: &str) {
    let text = sanitize::line(text);
    let room = usize::from(area.width).saturating_sub(width(prompt) + width(tail) + 1);
    // Keep the end of a long query visible: that is where the typing happens.
    let shown: String = if width(&text) > room {
        let mut acc: Vec<char> = Vec::new();
        let mut w = 1;
        for c in text.chars().rev() {
            let cw = width(c.encode_utf8(&mut [0; 4]));
            if w + cw > room {
                break;
            }
            acc.push(c);
            w += cw;
        }
        std::iter::once('…').chain(acc.into_iter().rev()).collect()
    } else {
        text.into_owned()
    };
    let cursor_x = area.x + (width(prompt) + width(&shown)) as u16;
    let line = Line::from(vec![
        Span::styled(prompt.to_owned(), theme.key()),
        Span::raw(shown),
        Span::raw(" "),
        Span::styled(tail.to_owned(), theme.dim()),
    ]);
    frame.render_widget(line, area);
    frame.set_cursor_position(Position::new(
        cursor_x.min(area.right().saturating_sub(1)),
        area.y,
    ));
}

fn hints(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    use KeyAction as K;
    let read_only = state.session.read_only;
    let list: &[(K, &str)] = if state.focus == Focus::Incidents {
        &[
            (K::Open, "open"),
            (K::Filter, "filter"),
            (K::SetStatus, "status"),
            (K::AssignMe, "me"),
            (K::Classify, "classify"),
            (K::Comment, "comment"),
            (K::ToggleMark, "mark"),
            (K::Back, "alerts"),
            (K::Refresh, "refresh"),
            (K::StatusPreset, "statuses"),
            (K::SortNext, "sort"),
            (K::AssignTo, "assign"),
            (K::CopyId, "copy id"),
        ]
    } else if state.focus == Focus::Incident {
        &[
            (K::Open, "open alert"),
            (K::Back, "back"),
            (K::SetStatus, "status"),
            (K::AssignMe, "me"),
            (K::Classify, "classify"),
            (K::Comment, "comment"),
            (K::PageDown, "scroll"),
            (K::Refresh, "refresh"),
            (K::AssignTo, "assign"),
            (K::CopyId, "copy id"),
        ]
    } else if state.focus == Focus::Entities {
        &[
            (K::EntityAlerts, "alerts"),
            (K::Filter, "filter"),
            (K::EntityKind, "kind"),
            (K::Back, "back"),
            (K::Down, "down"),
        ]
    } else if state.focus == Focus::Score {
        &[
            (K::ScoreWindow, "30/90 days"),
            (K::ScoreView, "points/%"),
            (K::ChartMarker, "marker"),
            (K::OpenControls, "controls"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ]
    } else if state.focus == Focus::Controls {
        &[
            (K::Open, "open"),
            (K::Filter, "filter"),
            (K::EditControl, "edit"),
            (K::PlanControl, "plan"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ]
    } else if state.focus == Focus::Control {
        &[
            (K::EditControl, "edit"),
            (K::PlanControl, "plan"),
            (K::Down, "scroll"),
            (K::Back, "back"),
        ]
    } else if state.focus == Focus::Cases {
        &[
            (K::OpenCase, "open"),
            (K::Filter, "filter"),
            (K::NewCase, "new"),
            (K::CloseCase, "close"),
            (K::ReopenCase, "reopen"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ]
    } else if state.focus == Focus::Case {
        match state.cases.tab {
            crate::app::cases::CaseTab::Custodians => &[
                (K::NextTab, "next tab"),
                (K::AddCustodian, "add custodian"),
                (K::CloseCase, "close"),
                (K::Refresh, "reload"),
                (K::Back, "cases"),
            ],
            crate::app::cases::CaseTab::Searches => &[
                (K::NextTab, "next tab"),
                (K::Estimate, "estimate"),
                (K::CloseCase, "close"),
                (K::Refresh, "reload"),
                (K::Back, "cases"),
            ],
            _ => &[
                (K::NextTab, "next tab"),
                (K::CloseCase, "close"),
                (K::ReopenCase, "reopen"),
                (K::Refresh, "reload"),
                (K::Back, "cases"),
            ],
        }
    } else if matches!(state.focus, Focus::Sims | Focus::Sim | Focus::SimTenant) {
        super::sims::hints(state)
    } else if state.focus == Focus::Detail {
        &[
            (K::Back, "back"),
            (K::Down, "scroll"),
            (K::ToggleRaw, "raw"),
            (K::SetStatus, "status"),
            (K::AssignMe, "assign me"),
            (K::Classify, "classify"),
            (K::Comment, "comment"),
            (K::Entities, "entities"),
            (K::CopyId, "copy id"),
        ]
    } else {
        &[
            (K::Open, "open"),
            (K::Filter, "filter"),
            (K::SetStatus, "status"),
            (K::AssignMe, "me"),
            (K::Classify, "classify"),
            (K::Comment, "comment"),
            (K::ToggleMark, "mark"),
            (K::Entities, "entities"),
            (K::Refresh, "refresh"),
            (K::StatusPreset, "statuses"),
            (K::TimePreset, "range"),
            (K::SortNext, "sort"),
            (K::AssignTo, "assign"),
            (K::CopyId, "copy id"),
        ]
    };
    // An entity's alert list says how to get back to the entities first.
    let scoped = [(K::Back, "entities")];
    let scoped = if state.focus == Focus::Queue && state.queue.scope().is_some() {
        &scoped[..]
    } else {
        &[]
    };
    let km = state.keymap();
    let piece = |k: K, label: &str| (km.label(k), label.to_owned());
    // Help and quit are always shown; the rest in priority order while they fit.
    let tail = [piece(K::Help, "help"), piece(K::Quit, "quit")];
    let cost = |(k, l): &(String, String)| width(k) + 1 + width(l) + 2;
    let mut budget =
        usize::from(area.width).saturating_sub(tail.iter().map(cost).sum::<usize>() + 1);
    let mut items = Vec::new();
    for &(k, label) in scoped.iter().chain(list) {
        if read_only && k.is_mutating() {
            continue;
        }
        let p = piece(k, label);
        if cost(&p) > budget {
            break;
        }
        budget -= cost(&p);
        items.push(p);
    }
    items.extend(tail);
    let mut spans = vec![Span::raw(" ")];
    for (k, l) in items {
        spans.push(Span::styled(k, theme.key()));
        spans.push(Span::styled(format!(" {l}  "), theme.dim()));
    }
    frame.render_widget(Line::from(spans), area);
}

/// Cuts a line of spans to `max` columns (the last span that does not fit is truncated).
fn fit_line(spans: Vec<Span<'static>>, max: usize) -> Line<'static> {
    let mut used = 0;
    let mut out = Vec::with_capacity(spans.len());
    for s in spans {
        let w = width(&s.content);
        if used + w <= max {
            used += w;
            out.push(s);
        } else {
            let cut = truncate(&s.content, max - used).into_owned();
            out.push(Span::styled(cut, s.style));
            break;
        }
    }
    Line::from(out)
}
