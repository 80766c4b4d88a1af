//! The control-profile view as a document of sanitised, wrapped lines: what the control
//! is, its points today, what it takes, what it protects against, the compliance it
//! helps, and its state history.

use super::detail::{Doc, DocLine, Tone};
use super::format;
use super::score::{ScoreData, current_state};
use crate::graph::score::SecureScoreControlProfile;
use crate::sanitize;
use time::OffsetDateTime;

/// The lines for `profile` at `width` columns. `pending`: a state change of the analyst's
/// waiting for Graph's answer, one line.
pub fn control_document(
    score: &ScoreData,
    profile: &SecureScoreControlProfile,
    pending: Option<&str>,
    now: OffsetDateTime,
    width: usize,
) -> Vec<DocLine> {
    let mut d = Doc {
        lines: Vec::new(),
        width: width.max(16),
    };
    d.title(profile.title.as_deref(), &profile.id);
    if let Some(p) = pending {
        d.text(Tone::Pending, &format!("saving: {p}"), 0);
    }
    if score.planned.contains(&profile.id) {
        d.text(
            Tone::Pending,
            "planned: counted in the what-if projection (p unmarks)",
            0,
        );
    }
    let max = profile.max_score.unwrap_or(0.0);
    let achieved = score.achieved(&profile.id);
    d.field("Id", &sanitize::line(&profile.id));
    d.field(
        "Points",
        &format!(
            "{} of {} today ({} still available)",
            points(achieved),
            points(max),
            points(score.available(profile))
        ),
    );
    d.field("State", &sanitize::line(current_state(profile).as_str()));
    d.opt_field("Category", profile.control_category.as_deref());
    d.opt_field("Service", profile.service.as_deref());
    d.opt_field("Action type", profile.action_type.as_deref());
    d.opt_field("Tier", profile.tier.as_deref());
    d.opt_field("Cost", profile.implementation_cost.as_deref());
    d.opt_field("User impact", profile.user_impact.as_deref());
    if let Some(rank) = profile.rank {
        d.field("Rank", &rank.to_string());
    }
    if profile.deprecated == Some(true) {
        d.field("Deprecated", "yes: Microsoft no longer scores this control");
    }
    if !profile.threats.is_empty() {
        let threats: Vec<String> = profile
            .threats
            .iter()
            .map(|t| sanitize::line(t).into_owned())
            .collect();
        d.field("Threats", &threats.join(", "));
    }
    for (label, text) in [
        ("Remediation", &profile.remediation),
        ("Impact on users", &profile.remediation_impact),
    ] {
        if let Some(text) = text.as_deref().map(html_to_text).filter(|t| !t.is_empty()) {
            d.heading(label);
            d.text(Tone::Value, &text, 2);
        }
    }
    if let Some(url) = profile.action_url.as_deref().filter(|u| !u.is_empty()) {
        d.heading("Where to do it");
        d.text(Tone::Value, &sanitize::line(url), 2);
    }
    compliance(&mut d, profile);
    history(&mut d, profile, now);
    d.lines
}

fn compliance(d: &mut Doc, profile: &SecureScoreControlProfile) {
    if profile.compliance_information.is_empty() {
        return;
    }
    d.heading("Compliance");
    for c in &profile.compliance_information {
        let name = sanitize::opt_line(c.certification_name.as_deref());
        let controls: Vec<String> = c
            .certification_controls
            .iter()
            .filter_map(|cc| cc.name.as_deref())
            .map(|n| sanitize::line(n).into_owned())
            .collect();
        let name = if name.is_empty() { "(unnamed)" } else { &name };
        d.field(&format!("  {name}"), &controls.join(", "));
    }
}

/// Newest first: what an analyst asks is "who changed it last, and why".
fn history(d: &mut Doc, profile: &SecureScoreControlProfile, now: OffsetDateTime) {
    d.heading(&format!(
        "State history ({})",
        profile.control_state_updates.len()
    ));
    if profile.control_state_updates.is_empty() {
        d.text(Tone::Dim, "never changed: Default", 2);
        return;
    }
    for u in profile.control_state_updates.iter().rev() {
        let when = format::datetime_with_age(u.updated_date_time, now);
        let state = sanitize::line(u.state.as_ref().map_or("(no state)", |s| s.as_str()));
        let head = vec![
            (Tone::Label, format!("  {when}  ")),
            (Tone::Value, state.into_owned()),
        ];
        let line = fit(head, d.width);
        d.lines.push(line);
        let mut who = Vec::new();
        if let Some(by) = u.updated_by.as_deref().filter(|b| !b.is_empty()) {
            who.push(format!("by {}", sanitize::line(by)));
        }
        if let Some(to) = u.assigned_to.as_deref().filter(|b| !b.is_empty()) {
            who.push(format!("assigned to {}", sanitize::line(to)));
        }
        if !who.is_empty() {
            d.text(Tone::Dim, &who.join(" · "), 4);
        }
        if let Some(c) = u.comment.as_deref().filter(|c| !c.trim().is_empty()) {
            d.text(Tone::Value, &sanitize::text(c), 4);
        }
    }
}

/// Cuts a line of pieces to `width` columns.
fn fit(pieces: Vec<(Tone, String)>, width: usize) -> DocLine {
    let mut left = width;
    let mut out = Vec::new();
    for (tone, text) in pieces {
        if left == 0 {
            break;
        }
        let cut = crate::text::truncate(&text, left).into_owned();
        left = left.saturating_sub(crate::text::width(&cut));
        out.push((tone, cut));
    }
    DocLine(out)
}

/// A point count without a pointless ".0".
pub fn points(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Graph's remediation texts are often HTML fragments: keep the words, turn paragraph and
/// list breaks into new lines, decode the common entities, drop every tag, then sanitise.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('>') else {
            // A lone '<' is text.
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let tag = rest[start + 1..start + end]
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let closing = rest[start + 1..].starts_with('/');
        match tag.as_str() {
            "br" | "p" | "div" | "ul" | "ol" | "tr" | "h1" | "h2" | "h3" | "h4" => out.push('\n'),
            "li" if !closing => out.push_str("\n- "),
            _ => {}
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let text = sanitize::text(&decoded);
    // Drop the blank lines tags leave behind.
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_remediation_reads_as_text() {
        assert_eq!(
            html_to_text(
                "<p>Turn on <b>MFA</b> &amp; block legacy auth.</p><ul><li>Admins</li><li>Users</li></ul>"
            ),
            "Turn on MFA & block legacy auth.\n- Admins\n- Users"
        );
        assert_eq!(html_to_text("a < b"), "a < b");
        assert_eq!(
            html_to_text("x\u{1b}[31m<br/>&lt;script&gt;"),
            "x\u{fffd}[31m\n<script>"
        );
    }

    #[test]
    fn points_drop_a_useless_decimal() {
        assert_eq!(points(8.0), "8");
        assert_eq!(points(2.5), "2.5");
    }
}
