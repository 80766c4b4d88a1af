//! Headless reads and writes: every read in the console also exists as a subcommand whose
//! output scripts can use (`table`, `json`, `ndjson`, `csv`).
//!
//! `json` and `ndjson` print alerts exactly as Graph returned them (the kept raw JSON),
//! except that characters a terminal would act on are written as `\uXXXX` escapes, which
//! decode to the same values.
//! `table` and `csv` pass every Graph string through the sanitiser; CSV cells are also
//! protected against formula injection.

pub mod assess;
pub mod cases;
pub mod controls;
pub mod incidents;
pub mod score;
pub mod sims;

use crate::graph::Client;
use crate::graph::GraphError;
use crate::graph::models::Page;
use crate::graph::models::{Alert, AlertComment};
use crate::graph::odata::ODataQuery;
use crate::outbox::EntryView;
use crate::sanitize;
use crate::text::fit;
use futures_util::{Stream, StreamExt};
use std::io::{self, Write};
use time::format_description::well_known::Rfc3339;

mod entities;
pub use entities::{list_entities, write_entities};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    Ndjson,
    Csv,
}

/// Streams every page of a list to `out` as it arrives. Returns how many alerts were written.
pub async fn list_alerts(
    client: &Client,
    query: &ODataQuery,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    stream_pages(
        client.list_alerts(query),
        max,
        &mut RecordWriter::new(format, out),
    )
    .await
}

/// What a list command writes: a header, one item at a time as pages arrive, a footer.
pub(crate) trait ListWriter<T> {
    fn begin(&mut self) -> io::Result<()>;
    fn item(&mut self, item: &T) -> io::Result<()>;
    fn end(&mut self) -> io::Result<()>;
    /// Items written so far.
    fn count(&self) -> usize;
}

/// Writes each page into `writer` as it arrives, stopping after `max` items, so a long
/// listing starts printing at once and never holds the whole tenant in memory.
pub(crate) async fn stream_pages<T, W: ListWriter<T>>(
    pages: impl Stream<Item = Result<Page<T>, GraphError>>,
    max: Option<usize>,
    writer: &mut W,
) -> anyhow::Result<usize> {
    let mut pages = std::pin::pin!(pages);
    writer.begin()?;
    let mut skipped = 0;
    'pages: while let Some(page) = pages.next().await {
        let page = page?;
        skipped += page.skipped;
        for item in &page.items {
            if max.is_some_and(|m| writer.count() >= m) {
                break 'pages;
            }
            writer.item(item)?;
        }
    }
    writer.end()?;
    warn_skipped(skipped);
    Ok(writer.count())
}

/// [`stream_pages`] into a [`RecordWriter`] in `format`: what every headless list does.
pub(crate) async fn write_pages<T: Record>(
    pages: impl Stream<Item = Result<Page<T>, GraphError>>,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    stream_pages(pages, max, &mut RecordWriter::new(format, out)).await
}

/// Tells the user (on stderr, never the data stream) that Graph sent items that could not be
/// read at all and were left out.
pub(crate) fn warn_skipped(skipped: usize) {
    if skipped > 0 {
        // Not eprintln!: a closed stderr must not turn a finished listing into a panic.
        let _ = writeln!(
            io::stderr(),
            "graphsec: warning: {skipped} item(s) in the reply could not be read and were left out"
        );
    }
}

/// Writes one alert (get/update replies) in the chosen format.
pub fn write_alert(alert: &Alert, format: OutputFormat, out: &mut dyn Write) -> io::Result<()> {
    write_one(alert, format, out)
}

/// Writes one object (a get or update reply): a single JSON object rather than a
/// one-element array; otherwise a one-row listing.
pub(crate) fn write_one<T: Record>(
    item: &T,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == OutputFormat::Json {
        return writeln!(out, "{}", sanitize::json_text(item.raw()));
    }
    let mut writer = RecordWriter::new(format, out);
    writer.begin()?;
    writer.item(item)?;
    writer.end()
}

/// Writes an alert's comments (the comment POST reply).
pub fn write_comments(
    comments: &[AlertComment],
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    match format {
        OutputFormat::Json => writeln!(
            out,
            "{}",
            sanitize::json_text(&serde_json::to_string(
                &serde_json::json!({ "value": comments })
            )?)
        ),
        OutputFormat::Ndjson => {
            for c in comments {
                writeln!(out, "{}", sanitize::json_text(&serde_json::to_string(c)?))?;
            }
            Ok(())
        }
        OutputFormat::Csv => {
            writeln!(out, "createdDateTime,createdByDisplayName,comment")?;
            for c in comments {
                writeln!(
                    out,
                    "{},{},{}",
                    c.created_date_time
                        .and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_default(),
                    sanitize::csv_field(c.created_by_display_name.as_deref().unwrap_or("")),
                    sanitize::csv_field(c.comment.as_deref().unwrap_or("")),
                )?;
            }
            Ok(())
        }
        OutputFormat::Table => {
            for c in comments {
                writeln!(
                    out,
                    "{}  {}  {}",
                    c.created_date_time
                        .and_then(|t| t.format(&Rfc3339).ok())
                        .unwrap_or_default(),
                    sanitize::opt_line(c.created_by_display_name.as_deref()),
                    sanitize::opt_line(c.comment.as_deref()),
                )?;
            }
            Ok(())
        }
    }
}

/// Writes outbox entries (`graphsec outbox list`). JSON carries each entry as journaled
/// plus its state; table and CSV are sanitised like every other Graph-derived text.
pub fn write_outbox(
    entries: &[EntryView],
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    let json = |v: &EntryView| {
        serde_json::json!({
            "id": v.entry.id,
            "state": v.status.word(),
            "detail": v.status.detail(),
            "sentAttempts": v.sent,
            "entry": v.entry,
        })
    };
    match format {
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = entries.iter().map(json).collect();
            writeln!(out, "{}", serde_json::to_string(&all)?)
        }
        OutputFormat::Ndjson => {
            for v in entries {
                writeln!(out, "{}", serde_json::to_string(&json(v))?)?;
            }
            Ok(())
        }
        OutputFormat::Csv => {
            writeln!(out, "id,state,created,target,what,detail,endpoint")?;
            for v in entries {
                let cells = [
                    v.entry.id.clone(),
                    v.status.word().to_owned(),
                    v.entry.created.format(&Rfc3339).unwrap_or_default(),
                    v.entry.target.id.clone(),
                    v.entry.op.describe(),
                    v.status.detail(),
                    v.entry.endpoint.clone(),
                ];
                let line: Vec<String> = cells.iter().map(|c| sanitize::csv_field(c)).collect();
                writeln!(out, "{}", line.join(","))?;
            }
            Ok(())
        }
        OutputFormat::Table => {
            for v in entries {
                let mut line = format!(
                    "{}  {:<9} {}  {}",
                    v.entry.id,
                    v.status.word(),
                    fit(&sanitize::line(&v.entry.target.id), 36),
                    v.entry.op.describe()
                );
                let detail = v.status.detail();
                if !detail.is_empty() {
                    line.push_str("  — ");
                    line.push_str(&detail);
                }
                writeln!(out, "{}", line.trim_end())?;
            }
            Ok(())
        }
    }
}

/// A Graph object a list command prints: Graph's own JSON for `json`/`ndjson`, cells for
/// `table` and `csv` (sanitised and guarded by the writer, not here).
pub(crate) trait Record {
    const CSV_HEADER: &'static str;
    /// Table columns and widths; 0 takes the rest of the line.
    const COLUMNS: &'static [(&'static str, usize)];
    /// The object as Graph sent it.
    fn raw(&self) -> &str;
    fn csv_cells(&self) -> Vec<String>;
    /// One cell per entry of [`Record::COLUMNS`].
    fn table_cells(&self) -> Vec<String>;
}

impl Record for Alert {
    const CSV_HEADER: &'static str = "id,severity,status,title,serviceSource,createdDateTime,assignedTo,classification,determination,incidentId";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("SEVERITY", 13),
        ("STATUS", 10),
        ("CREATED", 20),
        ("SOURCE", 30),
        ("ASSIGNED", 24),
        ("ID", 36),
        ("TITLE", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            enum_text(&self.severity),
            enum_text(&self.status),
            self.title.clone().unwrap_or_default(),
            enum_text(&self.service_source),
            time_text(self.created),
            self.assigned_to.clone().unwrap_or_default(),
            enum_text(&self.classification),
            enum_text(&self.determination),
            self.incident_id.clone().unwrap_or_default(),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            enum_text(&self.severity),
            enum_text(&self.status),
            time_text(self.created),
            enum_text(&self.service_source),
            self.assigned_to.clone().unwrap_or_default(),
            self.id.clone(),
            self.title.clone().unwrap_or_default(),
        ]
    }
}

/// Writes records in one format: the framing (JSON array, CSV header, table header) and
/// the per-format safety rules live here once for every resource.
pub(crate) struct RecordWriter<'a, T> {
    format: OutputFormat,
    out: &'a mut dyn Write,
    count: usize,
    _records: std::marker::PhantomData<fn(&T)>,
}

impl<'a, T: Record> RecordWriter<'a, T> {
    pub(crate) fn new(format: OutputFormat, out: &'a mut dyn Write) -> Self {
        RecordWriter {
            format,
            out,
            count: 0,
            _records: std::marker::PhantomData,
        }
    }
}

impl<T: Record> ListWriter<T> for RecordWriter<'_, T> {
    fn begin(&mut self) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => write!(self.out, "["),
            OutputFormat::Csv => writeln!(self.out, "{}", T::CSV_HEADER),
            OutputFormat::Table => {
                let header: Vec<String> = T::COLUMNS
                    .iter()
                    .map(|(name, _)| (*name).to_owned())
                    .collect();
                writeln!(self.out, "{}", table_line(&header, T::COLUMNS))
            }
            OutputFormat::Ndjson => Ok(()),
        }
    }

    fn item(&mut self, item: &T) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => {
                let sep = if self.count == 0 { "\n" } else { ",\n" };
                write!(self.out, "{sep}{}", sanitize::json_text(item.raw()))?;
            }
            OutputFormat::Ndjson => writeln!(self.out, "{}", sanitize::json_text(item.raw()))?,
            OutputFormat::Csv => {
                let line: Vec<String> = item
                    .csv_cells()
                    .iter()
                    .map(|f| sanitize::csv_field(f))
                    .collect();
                writeln!(self.out, "{}", line.join(","))?;
            }
            OutputFormat::Table => {
                writeln!(self.out, "{}", table_line(&item.table_cells(), T::COLUMNS))?;
            }
        }
        self.count += 1;
        Ok(())
    }

    fn end(&mut self) -> io::Result<()> {
        match self.format {
            OutputFormat::Json if self.count == 0 => writeln!(self.out, "]"),
            OutputFormat::Json => writeln!(self.out, "\n]"),
            _ => Ok(()),
        }?;
        self.out.flush()
    }

    fn count(&self) -> usize {
        self.count
    }
}

pub(crate) fn enum_text<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

pub(crate) fn time_text(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// A timestamp for a table cell: to the second, so it fits its 20 columns whole
/// (`2026-01-02T03:04:05Z`); CSV and JSON keep Graph's full precision.
pub(crate) fn short_time(t: Option<time::OffsetDateTime>) -> String {
    time_text(t.map(|t| t.replace_nanosecond(0).unwrap_or(t)))
}

/// An optional value as a cell: its text, or empty when absent.
pub(crate) fn text<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One table row: each cell sanitised, cut and padded by display width (CJK-safe).
fn table_line(cells: &[String], columns: &[(&str, usize)]) -> String {
    let mut line = String::new();
    for (cell, (_, width)) in cells.iter().zip(columns) {
        let safe = sanitize::line(cell);
        if *width == 0 {
            line.push_str(&safe);
        } else {
            line.push_str(&fit(&safe, *width));
            line.push_str("  ");
        }
    }
    line.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_line_up_with_wide_characters() {
        let line = table_line(
            &["漢字漢字漢字漢字".to_owned(), "x".to_owned()],
            Alert::COLUMNS,
        );
        assert!(line.starts_with("漢字漢字漢字… "), "{line}");
        assert_eq!(
            crate::text::width(line.split("  ").next().unwrap_or("")),
            13
        );
    }

    #[test]
    fn table_cells_are_sanitised() {
        let line = table_line(&["\x1b[31mred".to_owned(), "x".to_owned()], Alert::COLUMNS);
        assert!(!line.contains('\x1b'));
    }
}
