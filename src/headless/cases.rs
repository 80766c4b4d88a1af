//! Headless eDiscovery (`graphsec cases ...`): cases, a case's searches and operations,
//! and the result of a search estimate, in the same four formats and with the same safety
//! rules as the other lists. `json` and `ndjson` carry each object exactly as Graph sent it;
//! `table` and `csv` show the fields a script or an analyst looks for first.

use super::{OutputFormat, Record, enum_text, short_time, text, time_text, write_one};
use crate::graph::Client;
use crate::graph::cases::{CaseOperation, EdiscoveryCase, EdiscoverySearch, Kept};
use crate::graph::odata::ODataQuery;
use crate::sanitize;
use std::io::{self, Write};

/// Streams every case to `out` as pages arrive; returns how many.
pub async fn list_cases(
    client: &Client,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(client.list_cases(&ODataQuery::new()), None, format, out).await
}

/// Writes one case (get/create replies).
pub fn write_case(
    case: &Kept<EdiscoveryCase>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(case, format, out)
}

/// Streams every search of a case. The last estimate's columns are filled when Graph
/// includes `lastEstimateStatisticsOperation` in the list; it is not asked for with
/// `$expand`, which the list refuses (only a single search's GET takes it), and fetching
/// each search again would spend the 5 requests a minute eDiscovery allows.
pub async fn list_searches(
    client: &Client,
    case_id: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_searches(case_id, &ODataQuery::new()),
        None,
        format,
        out,
    )
    .await
}

/// Streams every operation of a case.
pub async fn list_operations(
    client: &Client,
    case_id: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_operations(case_id, &ODataQuery::new()),
        None,
        format,
        out,
    )
    .await
}

/// An estimate Graph accepted (202) but nobody has looked at yet: what `cases estimate`
/// prints without `--wait`, so a script can follow the operation later.
pub fn write_submitted(
    operation_id: &str,
    location: &str,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    // "accepted": all Graph said is 202 Accepted; asking for the operation's own status
    // would spend one of the five requests a minute eDiscovery allows.
    let status = "accepted";
    match format {
        OutputFormat::Json | OutputFormat::Ndjson => {
            let v = serde_json::json!({
                "operationId": operation_id,
                "location": location,
                "status": status,
            });
            writeln!(out, "{}", sanitize::json_text(&v.to_string()))
        }
        OutputFormat::Csv => {
            writeln!(out, "operationId,status,location")?;
            writeln!(
                out,
                "{},{status},{}",
                sanitize::csv_field(operation_id),
                sanitize::csv_field(location)
            )
        }
        OutputFormat::Table => {
            writeln!(out, "OPERATION                         STATUS    LOCATION")?;
            writeln!(
                out,
                "{:<32}  {status:<8}  {}",
                sanitize::line(operation_id),
                sanitize::line(location)
            )
        }
    }
}

/// A finished (or last seen) estimate: its counts rather than the operation's bookkeeping.
pub struct EstimateResult<'a>(pub &'a Kept<CaseOperation>);

/// Writes an estimate operation with its counts.
pub fn write_estimate(
    op: &Kept<CaseOperation>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(&EstimateResult(op), format, out)
}

/// Writes any operation as `cases operations` lists it.
pub fn write_operation(
    op: &Kept<CaseOperation>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(op, format, out)
}

fn who(set: &Option<crate::graph::cases::IdentitySet>) -> String {
    text(set.as_ref().and_then(|s| s.name()))
}

impl Record for Kept<EdiscoveryCase> {
    const CSV_HEADER: &'static str =
        "id,displayName,status,createdDateTime,lastModifiedDateTime,closedBy,closedDateTime";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("STATUS", 15),
        ("CREATED", 20),
        ("MODIFIED", 20),
        ("CLOSED BY", 20),
        ("CLOSED", 20),
        ("NAME", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            text(self.display_name.as_deref()),
            enum_text(&self.status),
            time_text(self.created),
            time_text(self.last_modified),
            who(&self.closed_by),
            time_text(self.closed),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            enum_text(&self.status),
            short_time(self.created),
            short_time(self.last_modified),
            who(&self.closed_by),
            short_time(self.closed),
            text(self.display_name.as_deref()),
        ]
    }
}

impl Record for Kept<EdiscoverySearch> {
    const CSV_HEADER: &'static str =
        "id,displayName,contentQuery,createdDateTime,estimateStatus,indexedItemCount";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("CREATED", 20),
        ("ESTIMATE", 18),
        ("ITEMS", 10),
        ("NAME", 30),
        ("QUERY", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        let (status, items) = last_estimate(self);
        vec![
            self.id.clone(),
            text(self.display_name.as_deref()),
            text(self.content_query.as_deref()),
            time_text(self.created),
            status,
            items,
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let (status, items) = last_estimate(self);
        vec![
            self.id.clone(),
            short_time(self.created),
            status,
            items,
            text(self.display_name.as_deref()),
            text(self.content_query.as_deref()),
        ]
    }
}

/// The latest estimate's status and indexed item count, empty when none ran (or Graph did
/// not expand it).
fn last_estimate(s: &EdiscoverySearch) -> (String, String) {
    let Some(op) = &s.last_estimate_statistics_operation else {
        return (String::new(), String::new());
    };
    (
        enum_text(&op.status),
        text(op.estimate.and_then(|c| c.indexed_item_count)),
    )
}

impl Record for Kept<CaseOperation> {
    const CSV_HEADER: &'static str =
        "id,action,status,percentProgress,createdDateTime,completedDateTime,createdBy";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("ACTION", 18),
        ("STATUS", 18),
        ("%", 4),
        ("CREATED", 20),
        ("COMPLETED", 20),
        ("BY", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        operation_cells(self, time_text)
    }

    fn table_cells(&self) -> Vec<String> {
        operation_cells(self, short_time)
    }
}

type TimeText = fn(Option<time::OffsetDateTime>) -> String;

fn operation_cells(op: &CaseOperation, time: TimeText) -> Vec<String> {
    vec![
        op.id.clone(),
        enum_text(&op.action),
        enum_text(&op.status),
        text(op.percent_progress),
        time(op.created),
        time(op.completed),
        who(&op.created_by),
    ]
}

impl Record for EstimateResult<'_> {
    const CSV_HEADER: &'static str = "id,status,indexedItemCount,indexedItemsSize,mailboxCount,siteCount,unindexedItemCount,unindexedItemsSize,completedDateTime";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 36),
        ("STATUS", 18),
        ("ITEMS", 10),
        ("SIZE", 14),
        ("MAILBOXES", 9),
        ("SITES", 6),
        ("UNINDEXED", 9),
        ("UNINDEXED SIZE", 14),
        ("COMPLETED", 0),
    ];

    fn raw(&self) -> &str {
        self.0.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        estimate_cells(self.0, time_text)
    }

    fn table_cells(&self) -> Vec<String> {
        estimate_cells(self.0, short_time)
    }
}

fn estimate_cells(op: &CaseOperation, time: TimeText) -> Vec<String> {
    let c = op.estimate.unwrap_or_default();
    vec![
        op.id.clone(),
        enum_text(&op.status),
        text(c.indexed_item_count),
        text(c.indexed_items_size),
        text(c.mailbox_count),
        text(c.site_count),
        text(c.unindexed_item_count),
        text(c.unindexed_items_size),
        time(op.completed),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headless::ListWriter;

    fn written<T: Record>(format: OutputFormat, item: &T) -> String {
        let mut out = Vec::new();
        {
            let mut w = crate::headless::RecordWriter::new(format, &mut out);
            w.begin().unwrap();
            w.item(item).unwrap();
            w.end().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    fn hostile_case() -> Kept<EdiscoveryCase> {
        Kept::from_json(
            r#"{"id":"c1","displayName":"=HYPERLINK(\"http://x\")\u001b[2J\u202e",
                "status":"closed","createdDateTime":"2026-01-02T03:04:05Z",
                "lastModifiedDateTime":"0001-01-01T00:00:00Z",
                "closedBy":{"user":{"displayName":"+Mallory\u0007"}},
                "closedDateTime":"2026-02-03T04:05:06Z"}"#,
        )
        .expect("case")
    }

    #[test]
    fn case_csv_is_guarded_and_table_sanitised() {
        let csv = written(OutputFormat::Csv, &hostile_case());
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "id,displayName,status,createdDateTime,lastModifiedDateTime,closedBy,closedDateTime"
            )
        );
        let row = lines.next().expect("a row");
        assert!(!row.contains('\x1b') && !row.contains('\u{202e}') && !row.contains('\x07'));
        assert!(
            row.starts_with("c1,\"'=HYPERLINK") || row.starts_with("c1,'=HYPERLINK"),
            "{row}"
        );
        assert!(
            row.contains(",closed,2026-01-02T03:04:05Z,,'+Mallory"),
            "{row}"
        );
        assert!(row.ends_with(",2026-02-03T04:05:06Z"), "{row}");

        let table = written(OutputFormat::Table, &hostile_case());
        let row = table.lines().nth(1).expect("a row");
        assert!(!row.contains('\x1b') && !row.contains('\u{202e}') && !row.contains('\x07'));
        assert!(row.starts_with("c1 ") && row.contains("closed"), "{row}");
    }

    #[test]
    fn search_rows_show_the_last_estimate_when_present() {
        let s: Kept<EdiscoverySearch> = Kept::from_json(
            r#"{"id":"s1","displayName":"Mail","contentQuery":"-subject:x",
                "lastEstimateStatisticsOperation":{"id":"o1","status":"succeeded","indexedItemCount":42}}"#,
        )
        .unwrap();
        let row = written(OutputFormat::Csv, &s)
            .lines()
            .nth(1)
            .unwrap()
            .to_owned();
        assert_eq!(row, "s1,Mail,'-subject:x,,succeeded,42");
        let bare: Kept<EdiscoverySearch> = Kept::from_json(r#"{"id":"s2"}"#).unwrap();
        let row = written(OutputFormat::Csv, &bare)
            .lines()
            .nth(1)
            .unwrap()
            .to_owned();
        assert_eq!(row, "s2,,,,,");
    }

    #[test]
    fn estimate_shows_its_counts_and_json_is_graphs() {
        let op: Kept<CaseOperation> = Kept::from_json(
            r#"{"id":"o1","status":"succeeded","indexedItemCount":42,"indexedItemsSize":1000,
                "mailboxCount":3,"siteCount":1,"unindexedItemCount":2,"unindexedItemsSize":9}"#,
        )
        .unwrap();
        let csv = written(OutputFormat::Csv, &EstimateResult(&op));
        assert_eq!(csv.lines().nth(1), Some("o1,succeeded,42,1000,3,1,2,9,"));
        let mut out = Vec::new();
        write_estimate(&op, OutputFormat::Json, &mut out).unwrap();
        let back: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(op.raw.get()).unwrap()
        );
    }

    #[test]
    fn a_submitted_estimate_names_its_location() {
        let mut out = Vec::new();
        write_submitted("abc", "http://h/ops('abc')", OutputFormat::Json, &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"operationId":"abc","location":"http://h/ops('abc')","status":"accepted"})
        );
    }
}
