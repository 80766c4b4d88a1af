//! Headless incident output (`graphsec incidents ...`), in the same four formats and with
//! the same safety rules as alerts: `json`/`ndjson` print Graph's own JSON with terminal
//! controls escaped; `table`/`csv` sanitise every string and guard CSV cells.

use super::{ListWriter, OutputFormat, stream_pages};
use crate::graph::Client;
use crate::graph::incidents::Incident;
use crate::graph::odata::ODataQuery;
use crate::sanitize;
use crate::text::fit;
use std::io::{self, Write};
use time::format_description::well_known::Rfc3339;

/// Table columns and widths; 0 takes the rest of the line.
const COLUMNS: &[(&str, usize)] = &[
    ("SEVERITY", 13),
    ("STATUS", 18),
    ("ALERTS", 6),
    ("LAST UPDATE", 20),
    ("ASSIGNED", 24),
    ("ID", 12),
    ("NAME", 0),
];

const CSV_HEADER: &str = "id,severity,status,displayName,createdDateTime,lastUpdateDateTime,assignedTo,classification,determination,customTags,alertCount";

/// Streams every page to `out` as it arrives; returns how many incidents were written.
pub async fn list_incidents(
    client: &Client,
    query: &ODataQuery,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let mut writer = IncidentWriter {
        format,
        out,
        count: 0,
    };
    stream_pages(client.list_incidents(query), max, &mut writer).await
}

/// Writes one incident (get/update replies).
pub fn write_incident(
    incident: &Incident,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    if format == OutputFormat::Json {
        // A single object, not a one-element array.
        return writeln!(out, "{}", sanitize::json_text(incident.raw.get()));
    }
    let mut w = IncidentWriter {
        format,
        out,
        count: 0,
    };
    w.begin()?;
    w.incident(incident)?;
    w.end()
}

struct IncidentWriter<'a> {
    format: OutputFormat,
    out: &'a mut dyn Write,
    count: usize,
}

fn text<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn time_text(t: Option<time::OffsetDateTime>) -> String {
    t.and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
}

/// The alert count, known only when the alerts were expanded.
fn alert_count(i: &Incident) -> String {
    if i.raw.get().contains("\"alerts\"") {
        i.alerts.len().to_string()
    } else {
        String::new()
    }
}

impl IncidentWriter<'_> {
    fn begin(&mut self) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => write!(self.out, "["),
            OutputFormat::Csv => writeln!(self.out, "{CSV_HEADER}"),
            OutputFormat::Table => {
                let header: Vec<String> = COLUMNS.iter().map(|(n, _)| (*n).to_owned()).collect();
                writeln!(self.out, "{}", table_line(&header))
            }
            OutputFormat::Ndjson => Ok(()),
        }
    }

    fn incident(&mut self, i: &Incident) -> io::Result<()> {
        match self.format {
            OutputFormat::Json => {
                let sep = if self.count == 0 { "\n" } else { ",\n" };
                write!(self.out, "{sep}{}", sanitize::json_text(i.raw.get()))?;
            }
            OutputFormat::Ndjson => writeln!(self.out, "{}", sanitize::json_text(i.raw.get()))?,
            OutputFormat::Csv => {
                let cells = [
                    i.id.clone(),
                    text(&i.severity),
                    text(&i.status),
                    i.display_name.clone().unwrap_or_default(),
                    time_text(i.created),
                    time_text(i.last_update),
                    i.assigned_to.clone().unwrap_or_default(),
                    text(&i.classification),
                    text(&i.determination),
                    i.custom_tags.join(";"),
                    alert_count(i),
                ];
                let line: Vec<String> = cells.iter().map(|c| sanitize::csv_field(c)).collect();
                writeln!(self.out, "{}", line.join(","))?;
            }
            OutputFormat::Table => {
                let cells = vec![
                    text(&i.severity),
                    text(&i.status),
                    alert_count(i),
                    time_text(i.last_update),
                    i.assigned_to.clone().unwrap_or_default(),
                    i.id.clone(),
                    i.display_name.clone().unwrap_or_default(),
                ];
                writeln!(self.out, "{}", table_line(&cells))?;
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
}

impl ListWriter<Incident> for IncidentWriter<'_> {
    fn begin(&mut self) -> io::Result<()> {
        IncidentWriter::begin(self)
    }
    fn item(&mut self, incident: &Incident) -> io::Result<()> {
        self.incident(incident)
    }
    fn end(&mut self) -> io::Result<()> {
        IncidentWriter::end(self)
    }
    fn count(&self) -> usize {
        self.count
    }
}

/// One table row: each cell sanitised, cut and padded by display width.
fn table_line(cells: &[String]) -> String {
    let mut line = String::new();
    for (cell, (_, width)) in cells.iter().zip(COLUMNS) {
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

    fn incident(json: &str) -> Incident {
        Incident::from_json(json).expect("incident")
    }

    #[test]
    fn every_format_is_safe() {
        let i = incident(
            r#"{"id":"7","displayName":"\u001b]52;c;aGk=\u0007=cmd|x","status":"active",
                "severity":"high","customTags":["=1+1"],"alerts":[{"id":"a"}]}"#,
        );
        for format in [
            OutputFormat::Table,
            OutputFormat::Csv,
            OutputFormat::Json,
            OutputFormat::Ndjson,
        ] {
            let mut out = Vec::new();
            write_incident(&i, format, &mut out).expect("written");
            let s = String::from_utf8(out).expect("utf-8");
            assert!(
                !s.contains('\x1b') && !s.contains('\x07'),
                "{format:?}: {s:?}"
            );
        }
        let mut csv = Vec::new();
        write_incident(&i, OutputFormat::Csv, &mut csv).expect("csv");
        let csv = String::from_utf8(csv).expect("utf-8");
        assert!(!csv.contains(",=1+1"), "{csv}");
        assert!(csv.trim_end().ends_with(",1"), "alert count: {csv}");
    }
}
