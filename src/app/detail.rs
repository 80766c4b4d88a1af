//! The alert detail as a document of sanitised, wrapped lines with semantic tones.
//!
//! Built here rather than in `ui` because scrolling needs the exact line count: `update`
//! clamps the scroll position against the same lines the renderer draws.

use super::format;
use super::incidents::IncidentRow;
use super::writes::{Fields, Writes};
use crate::graph::models::{Alert, AlertComment, Evidence};
use crate::outbox::{FieldConflict, TargetKind};
use crate::sanitize;
use crate::text::{truncate, wrap};
use time::OffsetDateTime;

/// What a piece of text is; the theme turns this into a style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Title,
    Heading,
    Label,
    Value,
    Dim,
    Pending,
    /// Needs the analyst's attention (a change by someone else under a pending write).
    Warn,
}

/// One screen line: styled pieces, already sanitised and no wider than the pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocLine(pub Vec<(Tone, String)>);

impl DocLine {
    pub(super) fn one(tone: Tone, text: impl Into<String>) -> DocLine {
        DocLine(vec![(tone, text.into())])
    }

    pub(super) fn blank() -> DocLine {
        DocLine(vec![])
    }
}

const LABEL: usize = 16;

/// A document being built: sanitised, wrapped lines (shared by the alert, incident and
/// control-profile views).
pub(super) struct Doc {
    pub(super) lines: Vec<DocLine>,
    pub(super) width: usize,
}

impl Doc {
    pub(super) fn heading(&mut self, text: &str) {
        self.lines.push(DocLine::blank());
        self.lines
            .push(DocLine::one(Tone::Heading, truncate(text, self.width)));
    }

    /// `label  value`, the value wrapped under itself.
    pub(super) fn field(&mut self, label: &str, value: &str) {
        let value_width = self.width.saturating_sub(LABEL).max(8);
        for (i, line) in wrap(value, value_width).into_iter().enumerate() {
            let head = if i == 0 {
                format!("{label:<LABEL$}")
            } else {
                " ".repeat(LABEL)
            };
            self.lines
                .push(DocLine(vec![(Tone::Label, head), (Tone::Value, line)]));
        }
    }

    /// The document's first line(s): a name from Graph, or `missing` when it has none.
    pub(super) fn title(&mut self, title: Option<&str>, missing: &str) {
        let title = sanitize::opt_line(title);
        let text = if title.is_empty() { missing } else { &title };
        self.text(Tone::Title, text, 0);
    }

    pub(super) fn opt_field(&mut self, label: &str, value: Option<&str>) {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            self.field(label, &sanitize::line(v));
        }
    }

    /// Free text (multi-line), indented by `indent` columns.
    pub(super) fn text(&mut self, tone: Tone, text: &str, indent: usize) {
        let pad = " ".repeat(indent);
        for line in wrap(text, self.width.saturating_sub(indent).max(8)) {
            self.lines.push(DocLine::one(tone, format!("{pad}{line}")));
        }
    }
}

/// The detail lines for `alert` at `width` columns; `raw` shows the original JSON instead.
pub fn document(
    alert: &Alert,
    writes: &Writes,
    theirs: Option<&[FieldConflict]>,
    raw: bool,
    now: OffsetDateTime,
    width: usize,
) -> Vec<DocLine> {
    let mut d = Doc {
        lines: Vec::new(),
        width: width.max(16),
    };
    d.title(alert.title.as_deref(), "(no title)");
    pending_note(&mut d, alert, writes);
    theirs_note(&mut d, theirs);
    if raw {
        raw_json(&mut d, alert);
        return d.lines;
    }
    fields(&mut d, alert, now);
    prose(
        &mut d,
        &[
            ("Description", &alert.description),
            ("Recommended actions", &alert.recommended_actions),
        ],
    );
    evidence(&mut d, &alert.evidence);
    comments(&mut d, &alert.comments, now);
    links(
        &mut d,
        &[
            ("Alert", &alert.alert_web_url),
            ("Incident", &alert.incident_web_url),
        ],
    );
    d.lines
}

/// Graph changed what a pending write of the analyst's changes: both values, side by side.
fn theirs_note(d: &mut Doc, theirs: Option<&[FieldConflict]>) {
    if let Some(fields) = theirs {
        d.text(
            Tone::Warn,
            &format!(
                "! changed by someone else meanwhile: {}",
                super::refresh::describe_theirs(fields)
            ),
            0,
        );
    }
}

/// The incident view's document: name, state, verdict, owner, times, tags, its summary
/// and description, and comments (its alerts are listed under it, not here).
pub fn incident_document(
    row: &IncidentRow,
    writes: &Writes,
    theirs: Option<&[FieldConflict]>,
    now: OffsetDateTime,
    width: usize,
) -> Vec<DocLine> {
    let i = &row.incident;
    let mut d = Doc {
        lines: Vec::new(),
        width: width.max(16),
    };
    d.title(i.display_name.as_deref(), "(no name)");
    let update = writes.pending_incident_update(&i.id);
    let comments_pending = writes.pending_comments(TargetKind::Incident, &i.id);
    saving_note(&mut d, update.as_ref().map(Fields::from), comments_pending);
    theirs_note(&mut d, theirs);
    d.lines.push(DocLine::blank());
    d.field("Id", &sanitize::line(&i.id));
    d.field("Severity", &format::severity(i.severity.as_ref()));
    d.field(
        "Status",
        &format::wire(i.status.as_ref().map(|s| s.as_str())),
    );
    verdict_fields(
        &mut d,
        Fields {
            status: None,
            assigned_to: i.assigned_to.as_deref(),
            classification: i.classification.as_ref().map(|c| c.as_str()),
            determination: i.determination.as_ref().map(|x| x.as_str()),
        },
    );
    let open = row
        .alerts()
        .iter()
        .filter(|a| super::incidents::is_open(a.status()))
        .count();
    d.field("Alerts", &format!("{} ({open} open)", row.alerts().len()));
    let sources: Vec<_> = row
        .sources()
        .into_iter()
        .map(|s| format::service_short(Some(s)))
        .collect();
    if !sources.is_empty() {
        d.field("Sources", &sources.join(", "));
    }
    d.field("Created", &format::datetime_with_age(i.created, now));
    d.field("Updated", &format::datetime_with_age(i.last_update, now));
    if let Some(p) = i.priority_score {
        d.field("Priority score", &p.to_string());
    }
    for (label, tags) in [("Tags", &i.custom_tags), ("System tags", &i.system_tags)] {
        if !tags.is_empty() {
            d.field(label, &sanitize::line(&tags.join(", ")));
        }
    }
    d.opt_field("Redirected to", i.redirect_incident_id.as_deref());
    d.opt_field("Modified by", i.last_modified_by.as_deref());
    prose(
        &mut d,
        &[
            ("Summary", &i.summary),
            ("Description", &i.description),
            ("Resolving comment", &i.resolving_comment),
        ],
    );
    comments(&mut d, &i.comments, now);
    links(&mut d, &[("Incident", &i.incident_web_url)]);
    d.lines
}

fn pending_note(d: &mut Doc, alert: &Alert, writes: &Writes) {
    let update = writes.pending_update(&alert.id);
    let comments = writes.pending_comments(TargetKind::Alert, &alert.id);
    saving_note(d, update.as_ref().map(Fields::from), comments);
}

/// "… saving: status → resolved, 1 comment(s)" for the changes still on their way.
fn saving_note(d: &mut Doc, fields: Option<Fields<'_>>, comments: usize) {
    let mut parts = Vec::new();
    if let Some(f) = fields {
        for (name, value) in [
            ("status", f.status),
            ("assigned", f.assigned_to),
            ("classification", f.classification),
            ("determination", f.determination),
        ] {
            if let Some(v) = value {
                parts.push(format!("{name} → {}", sanitize::line(v)));
            }
        }
    }
    if comments > 0 {
        parts.push(format!("{comments} comment(s)"));
    }
    if !parts.is_empty() {
        d.text(Tone::Pending, &format!("… saving: {}", parts.join(", ")), 0);
    }
}

fn raw_json(d: &mut Doc, alert: &Alert) {
    d.heading("Raw JSON (as Graph sent it)");
    // JSON escapes C0 controls itself, but not bidi overrides or C1; sanitise anyway.
    let pretty = pretty_json(alert.raw.get());
    let safe = sanitize::text(&pretty);
    for line in safe.lines() {
        for piece in wrap(line, d.width) {
            d.lines.push(DocLine::one(Tone::Value, piece));
        }
    }
}

fn fields(d: &mut Doc, a: &Alert, now: OffsetDateTime) {
    d.lines.push(DocLine::blank());
    d.field("Id", &sanitize::line(&a.id));
    d.field("Severity", &format::severity(a.severity.as_ref()));
    d.field("Status", &format::status(a.status.as_ref()));
    verdict_fields(
        d,
        Fields {
            status: None,
            assigned_to: a.assigned_to.as_deref(),
            classification: a.classification.as_ref().map(|c| c.as_str()),
            determination: a.determination.as_ref().map(|x| x.as_str()),
        },
    );
    if let Some(s) = &a.service_source {
        d.field(
            "Service source",
            &format!(
                "{} ({})",
                format::service_short(Some(s)),
                sanitize::line(s.as_str())
            ),
        );
    }
    d.opt_field("Detection", a.detection_source.as_ref().map(|s| s.as_str()));
    d.opt_field("Product", a.product_name.as_deref());
    let categories = a.category_text();
    d.opt_field("Category", Some(&categories));
    d.opt_field("Incident", a.incident_id.as_deref());
    d.opt_field("Provider id", a.provider_alert_id.as_deref());
    d.opt_field("Detector", a.detector_id.as_deref());
    d.field("Created", &format::datetime_with_age(a.created, now));
    if a.last_update.is_some() {
        d.field("Updated", &format::datetime_with_age(a.last_update, now));
    }
    if a.first_activity.is_some() {
        d.field(
            "First activity",
            &format::datetime_with_age(a.first_activity, now),
        );
    }
    if a.last_activity.is_some() {
        d.field(
            "Last activity",
            &format::datetime_with_age(a.last_activity, now),
        );
    }
    if a.resolved.is_some() {
        d.field("Resolved", &format::datetime_with_age(a.resolved, now));
    }
    d.opt_field(
        "Investigation",
        a.investigation_state.as_ref().map(|s| s.as_str()),
    );
    d.opt_field("Actor", a.actor_display_name.as_deref());
    d.opt_field("Threat", a.threat_display_name.as_deref());
    d.opt_field("Threat family", a.threat_family_name.as_deref());
    d.opt_field("Tenant", a.tenant_id.as_deref());
    if !a.system_tags.is_empty() {
        d.field("Tags", &sanitize::line(&a.system_tags.join(", ")));
    }
    if !a.mitre_techniques.is_empty() {
        d.field("MITRE", &sanitize::line(&a.mitre_techniques.join(", ")));
    }
}

/// Classification, determination and assignee, `-` when unset (alerts and incidents).
fn verdict_fields(d: &mut Doc, f: Fields<'_>) {
    d.field("Classification", &format::wire(f.classification));
    d.field("Determination", &format::wire(f.determination));
    d.field("Assigned to", &format::wire(f.assigned_to));
}

/// Free-text sections under their headings, when not blank.
fn prose(d: &mut Doc, sections: &[(&str, &Option<String>)]) {
    for &(heading, body) in sections {
        if let Some(body) = body.as_deref().filter(|b| !b.trim().is_empty()) {
            d.heading(heading);
            d.text(Tone::Value, &sanitize::text(body), 2);
        }
    }
}

fn evidence(d: &mut Doc, evidence: &[Evidence]) {
    if evidence.is_empty() {
        return;
    }
    d.heading(&format!("Evidence ({})", evidence.len()));
    // Group by kind in order of first appearance: devices with devices, users with users.
    let mut kinds: Vec<&str> = Vec::new();
    for e in evidence {
        if !kinds.contains(&e.kind()) {
            kinds.push(e.kind());
        }
    }
    for kind in kinds {
        let group: Vec<&Evidence> = evidence.iter().filter(|e| e.kind() == kind).collect();
        d.text(
            Tone::Label,
            &format!("{} ({})", sanitize::line(kind), group.len()),
            2,
        );
        for e in group {
            let name = e.name().unwrap_or_else(|| "(unnamed)".to_owned());
            d.text(Tone::Value, &sanitize::line(&name), 4);
            let mut facts = Vec::new();
            if let Some(v) = &e.verdict {
                facts.push(format!("verdict {}", sanitize::line(v.as_str())));
            }
            if let Some(r) = &e.remediation_status {
                facts.push(format!("remediation {}", sanitize::line(r.as_str())));
            }
            let roles: Vec<String> = e
                .roles
                .iter()
                .map(|r| sanitize::line(r.as_str()).into_owned())
                .chain(
                    e.detailed_roles
                        .iter()
                        .map(|r| sanitize::line(r).into_owned()),
                )
                .collect();
            if !roles.is_empty() {
                facts.push(format!("roles {}", roles.join(", ")));
            }
            if !facts.is_empty() {
                d.text(Tone::Dim, &facts.join(" · "), 6);
            }
        }
    }
}

fn comments(d: &mut Doc, comments: &[AlertComment], now: OffsetDateTime) {
    if comments.is_empty() {
        return;
    }
    d.heading(&format!("Comments ({})", comments.len()));
    for c in comments {
        let who = sanitize::opt_line(c.created_by_display_name.as_deref());
        let who = if who.is_empty() {
            "(unknown)".into()
        } else {
            who
        };
        let when = format::datetime_with_age(c.created_date_time, now);
        d.text(Tone::Dim, &format!("{who} · {when}"), 2);
        d.text(
            Tone::Value,
            &sanitize::text(c.comment.as_deref().unwrap_or("")),
            4,
        );
    }
}

/// Portal links, under one heading when there is any.
fn links(d: &mut Doc, links: &[(&str, &Option<String>)]) {
    if links.iter().all(|(_, url)| url.is_none()) {
        return;
    }
    d.heading("Links");
    for (label, url) in links {
        d.opt_field(label, url.as_deref());
    }
}

/// Re-indents JSON text without parsing it into a map, so members keep Graph's order and
/// numbers keep their exact spelling (a `serde_json::Value` would sort keys and may round).
pub fn pretty_json(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = raw.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}' | ']')) {
                    // Keep empty containers on one line.
                    out.extend(chars.next());
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_json_keeps_member_order_and_strings() {
        let raw = r#"{"z":1,"a":{"s":"x,{y}: \"q\"","e":[],"n":[1.50,{}]}}"#;
        assert_eq!(
            pretty_json(raw),
            "{\n  \"z\": 1,\n  \"a\": {\n    \"s\": \"x,{y}: \\\"q\\\"\",\n    \"e\": [],\n    \"n\": [\n      1.50,\n      {}\n    ]\n  }\n}"
        );
    }
}
