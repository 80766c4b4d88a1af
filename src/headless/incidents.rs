//! Headless incident output (`graphsec incidents ...`), in the same four formats and with
//! the same safety rules as alerts: `json`/`ndjson` print Graph's own JSON with terminal
//! controls escaped; `table`/`csv` sanitise every string and guard CSV cells.

use super::{OutputFormat, Record, enum_text, time_text, write_one};
use crate::graph::Client;
use crate::graph::incidents::Incident;
use crate::graph::odata::ODataQuery;
use std::io::{self, Write};

/// Streams every page to `out` as it arrives; returns how many incidents were written.
pub async fn list_incidents(
    client: &Client,
    query: &ODataQuery,
    max: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(client.list_incidents(query), max, format, out).await
}

/// Writes one incident (get/update replies).
pub fn write_incident(
    incident: &Incident,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(incident, format, out)
}

/// The alert count, known only when the alerts were expanded.
fn alert_count(i: &Incident) -> String {
    if i.raw.get().contains("\"alerts\"") {
        i.alerts.len().to_string()
    } else {
        String::new()
    }
}

impl Record for Incident {
    const CSV_HEADER: &'static str = "id,severity,status,displayName,createdDateTime,lastUpdateDateTime,assignedTo,classification,determination,customTags,alertCount";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("SEVERITY", 13),
        ("STATUS", 18),
        ("ALERTS", 6),
        ("LAST UPDATE", 20),
        ("ASSIGNED", 24),
        ("ID", 12),
        ("NAME", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            enum_text(&self.severity),
            enum_text(&self.status),
            self.display_name.clone().unwrap_or_default(),
            time_text(self.created),
            time_text(self.last_update),
            self.assigned_to.clone().unwrap_or_default(),
            enum_text(&self.classification),
            enum_text(&self.determination),
            self.custom_tags.join(";"),
            alert_count(self),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            enum_text(&self.severity),
            enum_text(&self.status),
            alert_count(self),
            time_text(self.last_update),
            self.assigned_to.clone().unwrap_or_default(),
            self.id.clone(),
            self.display_name.clone().unwrap_or_default(),
        ]
    }
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
