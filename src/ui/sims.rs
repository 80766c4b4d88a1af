//! The `:sims` pane: the attack simulations with their rates, one simulation's report
//! (facts, overview figures with a gauge per rate, the users and the trainings) and the
//! tenant reports. Only rows on screen are formatted; every Graph string is sanitised.
//! The top bar, status line and hints of these views are made here too, for `bars`.

use super::queue::empty_notice;
use super::table::{col, flex, num, table};
use super::theme::Theme;
use crate::app::cases::bar;
use crate::app::format;
use crate::app::keymap::KeyAction;
use crate::app::score::Fetch;
use crate::app::sims::{
    ReportLayout, Section, SimsPane, TenantRows, TenantTab, WIDE, offender_rows, outcome, overdue,
    rate_text, sim_name,
};
use crate::app::{Focus, SIM_LIST_TOP, State, TENANT_TOP};
use crate::graph::sims::{AttackTechnique, SimulationUser, UserSimulationDetails};
use crate::sanitize;
use crate::text::{fit, fit_right, truncate};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use time::OffsetDateTime;

/// A date, with the time of day when there is room: UTC, as the portal exports.
fn when(t: Option<OffsetDateTime>, wide: bool) -> String {
    match t {
        None => "-".to_owned(),
        Some(t) if wide => format::datetime(t).trim_end_matches(" UTC").to_owned(),
        Some(t) => format::datetime(t).chars().take(10).collect(),
    }
}

fn wire(s: Option<&str>) -> String {
    format::wire(s).into_owned()
}

/// The technique as Graph names it, or a short form for narrow columns.
fn technique(t: Option<&AttackTechnique>, wide: bool) -> String {
    let Some(t) = t else {
        return "-".to_owned();
    };
    if wide {
        return sanitize::line(t.as_str()).into_owned();
    }
    match t {
        AttackTechnique::CredentialHarvesting => "cred. harvest".to_owned(),
        AttackTechnique::AttachmentMalware => "attach. malware".to_owned(),
        AttackTechnique::DriveByUrl => "drive-by URL".to_owned(),
        AttackTechnique::LinkInAttachment => "link in attach.".to_owned(),
        AttackTechnique::LinkToMalwareFile => "link to malware".to_owned(),
        AttackTechnique::OAuthConsentGrant => "OAuth consent".to_owned(),
        other => sanitize::line(other.as_str()).into_owned(),
    }
}

fn user_name(u: Option<&SimulationUser>) -> String {
    let name = u.map_or("", SimulationUser::name);
    if name.trim().is_empty() {
        "-".to_owned()
    } else {
        sanitize::line(name).into_owned()
    }
}

fn user_email(u: Option<&SimulationUser>) -> String {
    sanitize::opt_line(u.and_then(|u| u.email.as_deref())).into_owned()
}

/// The overview's event names in words; others as Graph sent them.
fn event_name(name: Option<&str>) -> String {
    match name {
        Some("SuccessfullyDeliveredMail") => "delivered".to_owned(),
        Some("EmailLinkClicked") => "clicked".to_owned(),
        Some("AttachmentLinkClicked") => "attachment link clicked".to_owned(),
        Some("AttachmentOpened") => "attachment opened".to_owned(),
        Some("CredentialSupplied") => "credentials supplied".to_owned(),
        Some("ReportedEmail") => "reported".to_owned(),
        other => sanitize::opt_line(other).into_owned(),
    }
}

fn count(n: Option<i64>) -> String {
    n.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

pub(super) fn render(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    match state.focus {
        Focus::Sim => render_report(state, theme, frame, area),
        Focus::SimTenant => render_tenant(state, theme, frame, area),
        _ => render_list(state, theme, frame, area),
    }
}

fn render_list(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let pane = &state.sims;
    let rows = pane.list_order();
    let width = area.width;
    let wide = width >= WIDE;
    let date = if wide { 16 } else { 10 };
    // Narrow screens drop the completion date first, then the technique: the name, the
    // status, the launch and the two rates are what the list is for.
    let mut cols = vec![flex("simulation")];
    if width >= 72 {
        cols.push(col("technique", if wide { 20 } else { 15 }));
    }
    cols.push(col("status", if wide { 10 } else { 9 }));
    cols.push(col("launched", date));
    if width >= 100 {
        cols.push(col("completed", date));
    }
    cols.push(num(
        if wide { "compromised" } else { "compr." },
        if wide { 11 } else { 6 },
    ));
    cols.push(num(
        if wide { "reported" } else { "report" },
        if wide { 8 } else { 6 },
    ));
    if rows.is_empty() {
        table(theme, frame, area, &cols, 0, 0, 0, true, |_| (vec![], None));
        let body = Rect::new(
            area.x,
            area.y + SIM_LIST_TOP,
            area.width,
            area.height.saturating_sub(SIM_LIST_TOP),
        );
        let text = match &pane.list_fetch {
            Fetch::Loading | Fetch::NotAsked => "Reading the attack simulations…".to_owned(),
            Fetch::Failed(e) => format!("Could not read the simulations: {e}"),
            Fetch::Loaded if pane.list.is_empty() => "No attack simulations".to_owned(),
            Fetch::Loaded => "No simulation matches the filter (esc clears it)".to_owned(),
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
            let s = &pane.list[rows[i]];
            let mut cells = vec![sim_name(s)];
            if width >= 72 {
                cells.push(technique(s.attack_technique.as_ref(), wide));
            }
            cells.push(wire(s.status.as_ref().map(|v| v.as_str())));
            cells.push(when(s.launched, wide));
            if width >= 100 {
                cells.push(when(s.completed, wide));
            }
            cells.push(rate_text(pane.compromise_rate(&s.id)));
            cells.push(rate_text(pane.report_rate(&s.id)));
            let style = (!s.has_run()).then(|| theme.dim());
            (cells, style)
        },
    );
}

/// A gauge: label, a text bar (NO_COLOR keeps it) and the percent, in `width` columns.
fn gauge(label: &str, rate: Option<f64>, width: usize) -> String {
    let label_w = 12;
    let tail = 7;
    let bar_w = width.saturating_sub(label_w + tail + 3).max(4);
    let percent = rate.map(|r| r.clamp(0.0, 100.0).round() as u8);
    let shown = rate.map_or_else(|| "—".to_owned(), |r| format!("{r:.1}%"));
    format!(
        " {} {} {}",
        fit(label, label_w),
        bar(percent, bar_w),
        fit_right(&shown, tail)
    )
}

fn render_report(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let pane = &state.sims;
    let Some(sim) = pane.open_sim() else {
        empty_notice(theme, frame, area, "No simulation open".to_owned());
        return;
    };
    let users = pane.open_users();
    let user_rows = pane.user_order();
    let trainings = pane.open_trainings();
    let layout = ReportLayout::new(area.width, area.height, user_rows.len(), trainings.len());
    let wide = area.width >= WIDE;
    let w = usize::from(area.width);
    let overview = pane.open_overview();

    // The facts.
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {}", sim_name(sim)), theme.bold()),
        Span::styled("  ", theme.dim()),
        Span::styled(wire(sim.status.as_ref().map(|v| v.as_str())), theme.warn()),
        Span::styled(" · ", theme.dim()),
        Span::raw(technique(sim.attack_technique.as_ref(), true)),
    ])];
    let by = sim
        .created_by
        .as_ref()
        .and_then(|b| b.name())
        .map_or_else(|| "-".to_owned(), |n| sanitize::line(n).into_owned());
    lines.push(Line::styled(
        format!(
            " {} · {} · launched {} · completed {} · by {by}",
            wire(sim.attack_type.as_ref().map(|v| v.as_str())),
            wire(sim.payload_delivery_platform.as_ref().map(|v| v.as_str())),
            when(sim.launched, wide),
            when(sim.completed, wide),
        ),
        theme.plain(),
    ));
    let description = sanitize::opt_line(sim.description.as_deref());
    lines.push(Line::styled(format!(" {description}"), theme.dim()));
    // The overview's figures: targets, then every event Graph counted.
    let figures = match overview {
        Some(o) => {
            let mut parts = vec![format!("targets {}", count(o.resolved_targets_count))];
            if let Some(c) = &o.simulation_events_content {
                for e in &c.events {
                    parts.push(format!(
                        "{} {}",
                        event_name(e.event_name.as_deref()),
                        count(e.count)
                    ));
                }
            }
            format!(" {}", parts.join(" · "))
        }
        None => match pane.open_fetch() {
            Fetch::Loading => " Reading the report…".to_owned(),
            Fetch::Failed(e) => format!(" Could not read the report: {e}"),
            _ if !sim.has_run() => " Not run yet: no report".to_owned(),
            _ => " No overview in the report".to_owned(),
        },
    };
    lines.push(Line::styled(figures, theme.plain()));
    let rates = [
        ("compromised", overview.and_then(|o| o.compromised_rate())),
        ("reported", overview.and_then(|o| o.report_rate())),
        (
            "training",
            overview.and_then(|o| o.training_completion_rate()),
        ),
    ];
    if wide {
        let third = w / 3;
        let text: String = rates
            .iter()
            .map(|(l, r)| fit(&gauge(l, *r, third.saturating_sub(2)), third))
            .collect();
        lines.push(Line::styled(text, theme.accent()));
    } else {
        for (l, r) in rates {
            lines.push(Line::styled(gauge(l, r, w), theme.accent()));
        }
    }
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| {
            let style = l.style;
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            if crate::text::width(&text) > w {
                Line::styled(truncate(&text, w).into_owned(), style)
            } else {
                l
            }
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(area.x, area.y, area.width, layout.top),
    );

    let rest = Rect::new(
        area.x,
        area.y + layout.top,
        area.width,
        area.height - layout.top,
    );
    let r = &pane.report;
    let users_title = format!(
        "users ({}{}) · sorted by {}",
        user_rows.len(),
        if r.compromised_only {
            " compromised"
        } else {
            ""
        },
        r.sort.label()
    );
    let trainings_title = format!("trainings ({})", trainings.len());
    if layout.both {
        let uh = layout.users + 1;
        frame.render_widget(
            Line::styled(format!(" {users_title}"), theme.bold()),
            Rect::new(rest.x, rest.y, rest.width, 1),
        );
        users_table(
            state,
            theme,
            frame,
            Rect::new(rest.x, rest.y + 1, rest.width, uh),
            users,
            user_rows,
            r.section == Section::Users,
        );
        let ty = rest.y + 1 + uh;
        frame.render_widget(
            Line::styled(format!(" {trainings_title}"), theme.bold()),
            Rect::new(rest.x, ty, rest.width, 1),
        );
        trainings_table(
            state,
            theme,
            frame,
            Rect::new(
                rest.x,
                ty + 1,
                rest.width,
                rest.height.saturating_sub(uh + 2),
            ),
            r.section == Section::Trainings,
        );
    } else {
        let (u, t) = match r.section {
            Section::Users => (theme.cursor(), theme.dim()),
            Section::Trainings => (theme.dim(), theme.cursor()),
        };
        frame.render_widget(
            Line::from(vec![
                Span::raw(" "),
                Span::styled(users_title, u),
                Span::styled(" │ ", theme.dim()),
                Span::styled(trainings_title, t),
                Span::styled("  tab switches", theme.dim()),
            ]),
            Rect::new(rest.x, rest.y, rest.width, 1),
        );
        let body = Rect::new(
            rest.x,
            rest.y + 1,
            rest.width,
            rest.height.saturating_sub(1),
        );
        match r.section {
            Section::Users => users_table(state, theme, frame, body, users, user_rows, true),
            Section::Trainings => trainings_table(state, theme, frame, body, true),
        }
    }
}

fn users_table(
    state: &State,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
    users: &[UserSimulationDetails],
    rows: &[usize],
    focused: bool,
) {
    let pane = &state.sims;
    let width = area.width;
    let wide = width >= WIDE;
    let date = if wide { 16 } else { 10 };
    let email = width >= 72;
    let mut cols = vec![flex("user")];
    if email {
        cols.push(flex("email"));
    }
    cols.extend([
        col("outcome", 11),
        col(if wide { "compromised at" } else { "compr. at" }, date),
        col(if wide { "reported at" } else { "reported" }, date),
        num(
            if wide { "trainings" } else { "train." },
            if wide { 9 } else { 6 },
        ),
    ]);
    if rows.is_empty() {
        table(theme, frame, area, &cols, 0, 0, 0, focused, |_| {
            (vec![], None)
        });
        let run = pane.open_sim().is_some_and(|s| s.has_run());
        let text = match pane.open_fetch() {
            _ if !run => "Not run yet: no per-user results".to_owned(),
            Fetch::Loading | Fetch::NotAsked if users.is_empty() => {
                "Reading the report…".to_owned()
            }
            Fetch::Failed(e) if users.is_empty() => format!("Could not read the report: {e}"),
            _ if users.is_empty() => "No per-user results".to_owned(),
            _ => "No compromised user (c shows everyone)".to_owned(),
        };
        let body = Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(1),
        );
        empty_notice(theme, frame, body, text);
        return;
    }
    table(
        theme,
        frame,
        area,
        &cols,
        rows.len(),
        pane.report.user_cursor,
        pane.report.user_offset,
        focused,
        |i| {
            let u = &users[rows[i]];
            let who = u.simulation_user.as_ref();
            let mut cells = vec![user_name(who)];
            if email {
                cells.push(user_email(who));
            }
            let o = outcome(u);
            cells.extend([
                o.label().to_owned(),
                when(u.compromised, wide),
                when(u.reported, wide),
                format!(
                    "{}/{}",
                    count(u.completed_trainings_count),
                    count(u.assigned_trainings_count)
                ),
            ]);
            let style = match o {
                crate::app::sims::Outcome::Compromised => Some(theme.error()),
                crate::app::sims::Outcome::Clicked => Some(theme.warn()),
                _ => None,
            };
            (cells, style)
        },
    );
}

/// Percent of a training's assigned users who completed it, `None` without any assigned.
/// Worked in i128: a count like `"1e30"` reads as `i64::MAX` (`lenient::int`), and
/// `completed * 100` would overflow an i64.
pub(super) fn done_percent(assigned: Option<i64>, completed: Option<i64>) -> Option<u8> {
    match (assigned, completed) {
        (Some(a), Some(c)) if a > 0 => {
            let (a, c) = (i128::from(a), i128::from(c.clamp(0, a)));
            u8::try_from(c * 100 / a).ok()
        }
        _ => None,
    }
}

fn trainings_table(state: &State, theme: &Theme, frame: &mut Frame, area: Rect, focused: bool) {
    let pane = &state.sims;
    let list = pane.open_trainings();
    let wide = area.width >= WIDE;
    let bar_w = if wide { 20 } else { 10 };
    let cols = [
        flex("training"),
        num("assigned", 8),
        num("completed", 9),
        col("", bar_w + 5),
    ];
    if list.is_empty() {
        table(theme, frame, area, &cols, 0, 0, 0, focused, |_| {
            (vec![], None)
        });
        let body = Rect::new(
            area.x,
            area.y + 1,
            area.width,
            area.height.saturating_sub(1),
        );
        let text = if pane.open_overview().is_some() {
            "No training assigned"
        } else {
            "No trainings known yet"
        };
        empty_notice(theme, frame, body, text.to_owned());
        return;
    }
    table(
        theme,
        frame,
        area,
        &cols,
        list.len(),
        pane.report.training_cursor,
        pane.report.training_offset,
        focused,
        |i| {
            let t = &list[i];
            let (a, c) = (t.assigned_user_count, t.completed_user_count);
            let percent = done_percent(a, c);
            (
                vec![
                    sanitize::opt_line(t.display_name.as_deref()).into_owned(),
                    count(a),
                    count(c),
                    format!(
                        "{} {:>3}",
                        bar(percent, bar_w),
                        percent.map_or("-".to_owned(), |p| format!("{p}%"))
                    ),
                ],
                None,
            )
        },
    );
}

fn tenant_bar(pane: &SimsPane, theme: &Theme) -> Line<'static> {
    let mut spans = vec![Span::raw(" ")];
    for tab in TenantTab::ALL {
        let style = if tab == pane.tenant_tab {
            theme.cursor()
        } else {
            theme.dim()
        };
        spans.push(Span::styled(tab.title(), style));
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

fn render_tenant(state: &State, theme: &Theme, frame: &mut Frame, area: Rect) {
    let pane = &state.sims;
    frame.render_widget(
        tenant_bar(pane, theme),
        Rect::new(area.x, area.y, area.width, 1),
    );
    let body = Rect::new(
        area.x,
        area.y + 1,
        area.width,
        area.height.saturating_sub(1),
    );
    let tab = pane.tenant_tab;
    let wide = area.width >= WIDE;
    let email = area.width >= 72;
    let (cursor, offset) = (pane.tenant_cursor, pane.tenant_offset);
    let rows = pane.tenant.get(&tab).filter(|r| !r.is_empty());
    let Some(rows) = rows else {
        let text = match pane.tenant_fetch(tab) {
            Fetch::NotAsked | Fetch::Loading => format!("Reading the {}…", tab.title()),
            Fetch::Failed(e) => format!("Could not read the {}: {e}", tab.title()),
            Fetch::Loaded => format!("No {} in this tenant", tab.title()),
        };
        let inner = Rect::new(
            body.x,
            body.y + (TENANT_TOP - 1),
            body.width,
            body.height.saturating_sub(TENANT_TOP - 1),
        );
        empty_notice(theme, frame, inner, text);
        return;
    };
    let mut cols = vec![flex("user")];
    if email {
        cols.push(flex("email"));
    }
    let user_cells = |u: Option<&SimulationUser>| {
        let mut cells = vec![user_name(u)];
        if email {
            cells.push(user_email(u));
        }
        cells
    };
    match rows {
        TenantRows::RepeatOffenders(list) => {
            cols.push(num("offences", 8));
            let order = offender_rows(list);
            table(
                theme,
                frame,
                body,
                &cols,
                order.len(),
                cursor,
                offset,
                true,
                |i| {
                    let o = &list[order[i]];
                    let mut cells = user_cells(o.attack_simulation_user.as_ref());
                    cells.push(count(o.repeat_offence_count));
                    (cells, None)
                },
            );
        }
        TenantRows::TrainingCoverage(list) => {
            cols.push(num(
                if wide { "completed/assigned" } else { "done" },
                if wide { 18 } else { 7 },
            ));
            cols.push(num("overdue", 7));
            table(
                theme,
                frame,
                body,
                &cols,
                list.len(),
                cursor,
                offset,
                true,
                |i| {
                    let c = &list[i];
                    let mut cells = user_cells(c.attack_simulation_user.as_ref());
                    let (done, all) = c.completed();
                    let late = overdue(c);
                    cells.push(format!("{done}/{all}"));
                    cells.push(late.to_string());
                    (cells, (late > 0).then(|| theme.warn()))
                },
            );
        }
        TenantRows::SimulationCoverage(list) => {
            let date = if wide { 16 } else { 10 };
            cols.extend([
                num(
                    if wide { "simulations" } else { "sims" },
                    if wide { 11 } else { 4 },
                ),
                num("clicks", 6),
                num(
                    if wide { "compromised" } else { "compr." },
                    if wide { 11 } else { 6 },
                ),
                col("latest", date),
            ]);
            table(
                theme,
                frame,
                body,
                &cols,
                list.len(),
                cursor,
                offset,
                true,
                |i| {
                    let c = &list[i];
                    let mut cells = user_cells(c.attack_simulation_user.as_ref());
                    cells.extend([
                        count(c.simulation_count),
                        count(c.click_count),
                        count(c.compromised_count),
                        when(c.latest_simulation, wide),
                    ]);
                    (cells, None)
                },
            );
        }
    }
}

// ---- the bars' parts for these views

/// The top bar: breadcrumbs ("simulations › Q3 payroll phish"), the count, the filter.
pub(super) fn top(state: &State, theme: &Theme, typing: bool, room: usize) -> Vec<Span<'static>> {
    let pane = &state.sims;
    let sep = || Span::styled(" │ ", theme.dim());
    let crumb = || Span::styled(" › ", theme.dim());
    let mut spans = vec![sep(), Span::styled("simulations", theme.bold())];
    match state.focus {
        Focus::Sim => {
            if let Some(sim) = pane.open_sim() {
                let fixed = crate::text::width(" │ simulations › ");
                spans.push(crumb());
                spans.push(Span::styled(
                    truncate(&sim_name(sim), room.saturating_sub(fixed).clamp(8, 48)).into_owned(),
                    theme.bold(),
                ));
            }
        }
        // The tab bar names the tenant report shown.
        Focus::SimTenant => {
            spans.push(crumb());
            spans.push(Span::styled("tenant", theme.bold()));
        }
        _ => {
            let shown = pane.list_order().len();
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

/// The status line: what is shown, and a spinner while its reads run.
pub(super) fn status(state: &State, theme: &Theme, spin: &str) -> Vec<Span<'static>> {
    let pane = &state.sims;
    let sep = || Span::styled(" · ", theme.dim());
    let mut spans = Vec::new();
    match state.focus {
        Focus::Sim => {
            let users = pane.open_users();
            let compromised = users.iter().filter(|u| u.compromised()).count();
            spans.push(Span::styled(
                format!(
                    " {} users · {} compromised",
                    format::count(users.len()),
                    format::count(compromised)
                ),
                theme.bold(),
            ));
            if pane.open_fetch().is_loading() {
                spans.push(sep());
                spans.push(Span::styled(format!("{spin} reading"), theme.warn()));
            }
        }
        Focus::SimTenant => {
            let tab = pane.tenant_tab;
            spans.push(Span::styled(
                format!(" {} {}", format::count(pane.tenant_len()), tab.title()),
                theme.bold(),
            ));
            if pane.tenant_fetch(tab).is_loading() {
                spans.push(sep());
                spans.push(Span::styled(format!("{spin} reading"), theme.warn()));
            }
        }
        _ => {
            let shown = pane.list_order().len();
            let all = pane.list.len();
            let text = if shown == all {
                format!(" {} simulations", format::count(all))
            } else {
                format!(
                    " {}/{} simulations",
                    format::count(shown),
                    format::count(all)
                )
            };
            spans.push(Span::styled(text, theme.bold()));
            if pane.list_fetch.is_loading() {
                spans.push(sep());
                spans.push(Span::styled(format!("{spin} reading"), theme.warn()));
            }
            let waiting = pane.overviews_pending();
            if waiting > 0 {
                spans.push(sep());
                spans.push(Span::styled(
                    format!("{spin} {waiting} rates to read"),
                    theme.warn(),
                ));
            }
        }
    }
    spans
}

/// The filter line's counts: (query, shown, all).
pub(super) fn filter_counts(state: &State) -> (&str, usize, usize) {
    let pane = &state.sims;
    (
        pane.filter.as_str(),
        pane.list_order().len(),
        pane.list.len(),
    )
}

/// The key hints of these views, most useful first.
pub(super) fn hints(state: &State) -> &'static [(KeyAction, &'static str)] {
    use KeyAction as K;
    match state.focus {
        Focus::Sim => &[
            (K::SimSort, "sort"),
            (K::SimCompromised, "compromised"),
            (K::SimSection, "users/trainings"),
            (K::Back, "back"),
            (K::Refresh, "reload"),
        ],
        Focus::SimTenant => &[
            (K::SimSection, "next report"),
            (K::Back, "back"),
            (K::Refresh, "reload"),
        ],
        _ => &[
            (K::SimOpen, "report"),
            (K::Filter, "filter"),
            (K::SimTenant, "tenant"),
            (K::Refresh, "reload"),
            (K::Back, "back"),
        ],
    }
}
