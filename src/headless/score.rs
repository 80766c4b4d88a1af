//! Headless Secure Score output (`graphsec score`): one row per daily snapshot, newest
//! first, with the same four formats and safety rules as the other lists.

use super::{OutputFormat, Record};
use crate::graph::Client;
use crate::graph::odata::ODataQuery;
use crate::graph::score::SecureScore;
use std::io::Write;

/// Streams the `days` newest snapshots (all when `None`) to `out`; returns how many.
pub async fn list_secure_scores(
    client: &Client,
    days: Option<usize>,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    let mut query = ODataQuery::new();
    if let Some(n) = days {
        query = query.top(u32::try_from(n.clamp(1, 1000)).unwrap_or(1000));
    }
    super::write_pages(client.list_secure_scores(&query), days, format, out).await
}

fn number(v: Option<f64>) -> String {
    v.map(|n| format!("{n}")).unwrap_or_default()
}

impl Record for SecureScore {
    const CSV_HEADER: &'static str = "date,currentScore,maxScore,percentage,id";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("DATE", 12),
        ("SCORE", 10),
        ("MAX", 10),
        ("PERCENT", 8),
        ("ID", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.created
                .map(|t| t.date().to_string())
                .unwrap_or_default(),
            number(self.current_score),
            number(self.max_score),
            self.percentage()
                .map(|p| format!("{p:.1}"))
                .unwrap_or_default(),
            self.id.clone(),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        let mut cells = self.csv_cells();
        if let Some(p) = cells.get_mut(3).filter(|p| !p.is_empty()) {
            p.push('%');
        }
        cells
    }
}
