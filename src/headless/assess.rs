//! Headless threat assessment (`graphsec assessments ...`): the requests with their
//! verdicts, one request with its results, in the same four formats and with the same
//! safety rules as the other lists. `json` and `ndjson` carry each request exactly as Graph
//! sent it (results included: the list asks for `$expand=results`); `table` and `csv` show
//! the kind, category, what was assessed (URL, file name or recipient), status, creation
//! time and the verdicts (the `rescan` results' messages).

use super::{OutputFormat, Record, time_text, write_one};
use crate::graph::Client;
use crate::graph::assess::ThreatAssessmentRequest;
use crate::graph::cases::Kept;
use crate::graph::odata::ODataQuery;
use crate::sanitize;
use std::io::{self, Write};

/// The list query: newest first (Graph's default) with the results inlined, and an
/// optional `$filter` as typed.
pub fn list_query(filter: Option<&str>) -> ODataQuery {
    let q = ODataQuery::new().expand(["results"]);
    match filter {
        Some(f) => q.raw_filter(f),
        None => q,
    }
}

/// Streams every request (at most `max`) to `out` as pages arrive; returns how many.
pub async fn list_assessments(
    client: &Client,
    filter: Option<&str>,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_assessments(&list_query(filter)),
        max,
        format,
        out,
    )
    .await
}

/// Writes one request (get/submit replies). As a table, its results follow the row, one a
/// line (type, time, message), so a policy hit is visible as well as the verdict.
pub fn write_assessment(
    a: &Kept<ThreatAssessmentRequest>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(a, format, out)?;
    if format != OutputFormat::Table {
        return Ok(());
    }
    if a.results.is_empty() {
        return writeln!(out, "\nno results yet");
    }
    writeln!(out, "\n{:<12}  {:<20}  MESSAGE", "RESULT", "CREATED")?;
    for r in &a.results {
        let kind = r
            .result_type
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        writeln!(
            out,
            "{:<12}  {:<20}  {}",
            sanitize::line(&kind),
            super::short_time(r.created),
            sanitize::line(r.message.as_deref().unwrap_or(""))
        )?;
    }
    out.flush()
}

/// A timestamp for a table cell, to the second.
/// The request kind's label, or what Graph said when the kind cannot be told.
fn kind(a: &ThreatAssessmentRequest) -> String {
    match a.kind() {
        Some(k) => k.label().to_owned(),
        None => super::enum_text(&a.content_type),
    }
}

/// The rescan verdicts, `; `-joined; empty while none has come.
fn verdicts(a: &ThreatAssessmentRequest) -> String {
    a.verdicts().collect::<Vec<_>>().join("; ")
}

impl Record for Kept<ThreatAssessmentRequest> {
    const CSV_HEADER: &'static str =
        "id,kind,category,expectedAssessment,content,status,createdDateTime,verdicts";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("KIND", 10),
        ("CATEGORY", 9),
        ("STATUS", 9),
        ("CREATED", 20),
        ("VERDICT", 16),
        ("CONTENT", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            kind(self),
            super::enum_text(&self.category),
            super::enum_text(&self.expected_assessment),
            self.subject().to_owned(),
            super::enum_text(&self.status),
            time_text(self.created),
            verdicts(self),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            kind(self),
            super::enum_text(&self.category),
            super::enum_text(&self.status),
            super::short_time(self.created),
            verdicts(self),
            self.subject().to_owned(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str) -> Kept<ThreatAssessmentRequest> {
        Kept::from_json(body).unwrap()
    }

    #[test]
    fn the_list_asks_for_the_results() {
        let pairs = list_query(Some("status eq 'pending'")).pairs();
        assert!(
            pairs.contains(&("$expand", "results".to_owned())),
            "{pairs:?}"
        );
        assert!(pairs.contains(&("$filter", "status eq 'pending'".to_owned())));
        assert!(
            !list_query(None)
                .pairs()
                .iter()
                .any(|(k, _)| *k == "$filter")
        );
    }

    #[test]
    fn rows_show_kind_content_and_verdict_and_are_sanitised() {
        let a = request(
            r##"{"id":"a1","@odata.type":"#microsoft.graph.urlAssessmentRequest","contentType":"url",
                "category":"phishing","status":"completed","createdDateTime":"2026-11-26T12:00:00.1234567Z",
                "url":"https://x.example/\u202egnp.exe",
                "results":[{"id":"r1","resultType":"checkPolicy","message":"\u001b[31mhit"},
                           {"id":"r2","resultType":"rescan","message":"Phishing"}]}"##,
        );
        let cells = a.table_cells();
        assert_eq!(cells[1], "url");
        assert_eq!(cells[4], "2026-11-26T12:00:00Z");
        assert_eq!(cells[5], "Phishing");
        let mut out = Vec::new();
        write_assessment(&a, OutputFormat::Table, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text
                .chars()
                .any(|c| c != '\n' && crate::sanitize::is_dangerous(c)),
            "unsanitised: {text:?}"
        );
        assert!(
            text.contains("checkPolicy") && text.contains("rescan"),
            "{text}"
        );
        let mut csv = Vec::new();
        write_assessment(&a, OutputFormat::Csv, &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        assert!(csv.starts_with(Kept::<ThreatAssessmentRequest>::CSV_HEADER));
        assert!(csv.contains(",Phishing\n"), "{csv}");
    }

    #[test]
    fn a_pending_request_says_it_has_no_results() {
        let a =
            request(r#"{"id":"a2","contentType":"file","status":"pending","fileName":"x.txt"}"#);
        assert_eq!(a.table_cells()[1], "file");
        assert_eq!(a.table_cells()[5], "");
        let mut out = Vec::new();
        write_assessment(&a, OutputFormat::Table, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("no results yet"));
        // JSON is the object as Graph sent it, once.
        let mut out = Vec::new();
        write_assessment(&a, OutputFormat::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["fileName"], "x.txt");
    }
}
