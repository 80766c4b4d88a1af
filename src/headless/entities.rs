//! `graphsec entities`: the correlation pane's table for scripts. Loads alerts like
//! `alerts list`, reads each alert's entities as its page arrives (so only the small
//! entity lists and the alert fields the counts need are processed per page), and writes
//! the ranked entities. Every Graph-derived string is sanitised, as in the alert outputs.

use super::{OutputFormat, time_text};
use crate::correlate::{self, Entity, EntityKind, SCORE_FORMULA};
use crate::graph::Client;
use crate::graph::models::Alert;
use crate::graph::odata::ODataQuery;
use crate::sanitize;
use crate::text::fit;
use futures_util::StreamExt;
use std::io::{self, Write};
use time::format_description::well_known::Rfc3339;

/// Loads every alert `query` matches, then writes at most `max` entities (of `kind`, when
/// given), best score first. Returns how many were written.
pub async fn list_entities(
    client: &Client,
    query: &ODataQuery,
    kind: Option<EntityKind>,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let mut pages = std::pin::pin!(client.list_alerts(query));
    let mut alerts: Vec<(Alert, Vec<correlate::EntityRef>)> = Vec::new();
    let mut skipped = 0;
    while let Some(page) = pages.next().await {
        let page = page?;
        skipped += page.skipped;
        alerts.extend(page.items.into_iter().map(|a| {
            let refs = correlate::alert_entities(&a);
            (a, refs)
        }));
    }
    let entities = correlate::correlate(alerts.iter().map(|(a, r)| (a, r.as_slice())));
    let shown: Vec<&Entity> = entities
        .iter()
        .filter(|e| kind.is_none_or(|k| e.kind == k))
        .take(max.unwrap_or(usize::MAX))
        .collect();
    write_entities(&shown, format, out)?;
    super::warn_skipped(skipped);
    Ok(shown.len())
}

/// To the minute, for the table (exports keep the full RFC 3339 value).
fn short_time(t: Option<time::OffsetDateTime>) -> String {
    t.map(crate::app::format::datetime)
        .unwrap_or_else(|| "-".to_owned())
}

fn severity_text(e: &Entity) -> String {
    e.severity
        .as_ref()
        .map(|s| sanitize::line(s.as_str()).into_owned())
        .unwrap_or_default()
}

/// One entity as JSON. Names and keys were sanitised when read; `json_text` below escapes
/// anything a terminal would act on all the same.
fn json(e: &Entity) -> serde_json::Value {
    serde_json::json!({
        "kind": e.kind.as_str(),
        "key": &*e.key,
        "name": &*e.name,
        "alerts": e.alerts,
        "incidents": e.incidents,
        "serviceSources": e.sources,
        "highestSeverity": e.severity.as_ref().map(|s| s.as_str()),
        "firstSeen": e.first_seen.and_then(|t| t.format(&Rfc3339).ok()),
        "lastSeen": e.last_seen.and_then(|t| t.format(&Rfc3339).ok()),
        "score": e.score,
    })
}

/// Writes entities in `format`. The table ends with the score's formula, so a reader of a
/// pasted table knows what the last column means.
pub fn write_entities(
    entities: &[&Entity],
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = entities.iter().map(|e| json(e)).collect();
            writeln!(
                out,
                "{}",
                sanitize::json_text(&serde_json::to_string_pretty(&all)?)
            )?;
        }
        OutputFormat::Ndjson => {
            for e in entities {
                writeln!(
                    out,
                    "{}",
                    sanitize::json_text(&serde_json::to_string(&json(e))?)
                )?;
            }
        }
        OutputFormat::Csv => {
            writeln!(
                out,
                "kind,key,name,alerts,incidents,serviceSources,highestSeverity,firstSeen,lastSeen,score"
            )?;
            for e in entities {
                let cells = [
                    e.kind.as_str().to_owned(),
                    e.key.to_string(),
                    e.name.to_string(),
                    e.alerts.to_string(),
                    e.incidents.to_string(),
                    e.sources.join(";"),
                    severity_text(e),
                    time_text(e.first_seen),
                    time_text(e.last_seen),
                    e.score.to_string(),
                ];
                let line: Vec<String> = cells.iter().map(|c| sanitize::csv_field(c)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
        }
        OutputFormat::Table => {
            writeln!(
                out,
                "{:<7}  {}  {:>6}  {:>9}  {:>7}  {:<8}  {:<20}  {:<20}  {:>5}",
                "KIND",
                fit("NAME", 40),
                "ALERTS",
                "INCIDENTS",
                "SOURCES",
                "SEVERITY",
                "FIRST SEEN",
                "LAST SEEN",
                "SCORE"
            )?;
            for e in entities {
                writeln!(
                    out,
                    "{:<7}  {}  {:>6}  {:>9}  {:>7}  {}  {:<20}  {:<20}  {:>5}",
                    e.kind.as_str(),
                    fit(&sanitize::line(&e.name), 40),
                    e.alerts,
                    e.incidents,
                    e.sources.len(),
                    fit(&severity_text(e), 8),
                    short_time(e.first_seen),
                    short_time(e.last_seen),
                    e.score
                )?;
            }
            writeln!(out, "({SCORE_FORMULA})")?;
        }
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entities() -> Vec<Entity> {
        let alerts: Vec<Alert> = [("1", "10"), ("2", "11")]
            .into_iter()
            .map(|(id, inc)| {
                Alert::from_json(
                    &json!({"id": id, "incidentId": inc, "severity": "high",
                        "serviceSource": "microsoftDefenderForEndpoint",
                        "createdDateTime": "2026-11-20T10:00:00Z",
                        "evidence": [{"@odata.type": "#microsoft.graph.security.userEvidence",
                            "userAccount": {"userPrincipalName": "=cmd|' /C calc'!A0\u{1b}[31m@x"}}]})
                    .to_string(),
                )
                .unwrap()
            })
            .collect();
        let refs: Vec<_> = alerts.iter().map(correlate::alert_entities).collect();
        correlate::correlate(alerts.iter().zip(refs.iter().map(Vec::as_slice)))
    }

    fn written(format: OutputFormat) -> String {
        let es = entities();
        let refs: Vec<&Entity> = es.iter().collect();
        let mut out = Vec::new();
        write_entities(&refs, format, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn every_format_is_well_formed_and_sanitised() {
        for f in [
            OutputFormat::Table,
            OutputFormat::Json,
            OutputFormat::Ndjson,
            OutputFormat::Csv,
        ] {
            assert!(!written(f).contains('\u{1b}'), "{f:?}");
        }
        let v: serde_json::Value = serde_json::from_str(&written(OutputFormat::Json)).unwrap();
        assert_eq!(v[0]["incidents"], 2);
        assert_eq!(v[0]["kind"], "user");
        let line: serde_json::Value =
            serde_json::from_str(written(OutputFormat::Ndjson).lines().next().unwrap()).unwrap();
        assert_eq!(line["alerts"], 2);
        let csv = written(OutputFormat::Csv);
        let row = csv.lines().nth(1).unwrap();
        assert!(
            row.starts_with("user,'=cmd") || row.contains(",\"'=cmd"),
            "{row}"
        );
        assert!(written(OutputFormat::Table).contains("score = "));
    }
}
