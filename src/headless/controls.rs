//! Headless Secure Score control profiles (`graphsec controls ...`): one row per control,
//! in the same four formats and with the same safety rules as the other lists. `json` and
//! `ndjson` carry each profile exactly as Graph sent it (its whole `controlStateUpdates`
//! history included); `table` and `csv` show the current state (the newest entry's).

use super::{OutputFormat, Record, write_one};
use crate::graph::Client;
use crate::graph::odata::ODataQuery;
use crate::graph::score::SecureScoreControlProfile;
use std::io::{self, Write};

/// Streams every control profile to `out` as pages arrive; returns how many.
pub async fn list_control_profiles(
    client: &Client,
    format: OutputFormat,
    out: &mut dyn Write,
) -> anyhow::Result<usize> {
    super::write_pages(
        client.list_control_profiles(&ODataQuery::new()),
        None,
        format,
        out,
    )
    .await
}

/// Writes one control profile (get/update replies).
pub fn write_control_profile(
    profile: &SecureScoreControlProfile,
    format: OutputFormat,
    out: &mut dyn Write,
) -> io::Result<()> {
    write_one(profile, format, out)
}

/// The control's current state: its newest `controlStateUpdates` state, `Default` when
/// it has none (Graph's own starting state).
fn current_state(p: &SecureScoreControlProfile) -> String {
    p.state().map_or("Default", |s| s.as_str()).to_owned()
}

impl Record for SecureScoreControlProfile {
    const CSV_HEADER: &'static str = "id,title,controlCategory,maxScore,state,tier,implementationCost,userImpact,rank,deprecated";
    const COLUMNS: &'static [(&'static str, usize)] = &[
        ("ID", 28),
        ("STATE", 10),
        ("CATEGORY", 14),
        ("MAX", 5),
        ("TIER", 18),
        ("COST", 8),
        ("IMPACT", 8),
        ("RANK", 4),
        ("DEPRECATED", 10),
        ("TITLE", 0),
    ];

    fn raw(&self) -> &str {
        self.raw.get()
    }

    fn csv_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            super::text(self.title.as_deref()),
            super::text(self.control_category.as_deref()),
            super::text(self.max_score),
            current_state(self),
            super::text(self.tier.as_deref()),
            super::text(self.implementation_cost.as_deref()),
            super::text(self.user_impact.as_deref()),
            super::text(self.rank),
            super::text(self.deprecated),
        ]
    }

    fn table_cells(&self) -> Vec<String> {
        vec![
            self.id.clone(),
            current_state(self),
            super::text(self.control_category.as_deref()),
            super::text(self.max_score),
            super::text(self.tier.as_deref()),
            super::text(self.implementation_cost.as_deref()),
            super::text(self.user_impact.as_deref()),
            super::text(self.rank),
            super::text(self.deprecated),
            super::text(self.title.as_deref()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::headless::ListWriter;

    fn hostile() -> SecureScoreControlProfile {
        SecureScoreControlProfile::from_json(
            r#"{"id":"AdminMFA","title":"=HYPERLINK(\"http://x\")\u001b[2J\u202e",
                "controlCategory":"+Identity","maxScore":10,"rank":3,"deprecated":false,
                "tier":"Core","implementationCost":"low","userImpact":"-cmd|' /C calc'!A0",
                "controlStateUpdates":[{"state":"Default"},{"state":"ThirdParty","comment":"x"}]}"#,
        )
        .expect("profile")
    }

    fn written(format: OutputFormat, p: &SecureScoreControlProfile) -> String {
        let mut out = Vec::new();
        {
            let mut w = crate::headless::RecordWriter::new(format, &mut out);
            w.begin().unwrap();
            w.item(p).unwrap();
            w.end().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_cells_are_guarded_against_formulas_and_controls() {
        let csv = written(OutputFormat::Csv, &hostile());
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some(
                "id,title,controlCategory,maxScore,state,tier,implementationCost,userImpact,rank,deprecated"
            )
        );
        let row = lines.next().expect("a row");
        assert!(!row.contains('\x1b') && !row.contains('\u{202e}'), "{row}");
        assert!(
            !row.contains(",=HYPERLINK") && !row.contains(",\"=HYPERLINK"),
            "{row}"
        );
        assert!(
            !row.contains(",+Identity") && !row.contains(",-cmd"),
            "{row}"
        );
        assert!(
            row.contains("'=HYPERLINK") && row.contains(",'+Identity,"),
            "{row}"
        );
        assert!(row.starts_with("AdminMFA,"), "{row}");
        assert!(row.contains(",10,ThirdParty,Core,low,"), "{row}");
        assert!(row.ends_with(",3,false"), "{row}");
    }

    #[test]
    fn table_is_sanitised_and_shows_the_newest_state() {
        let table = written(OutputFormat::Table, &hostile());
        let mut lines = table.lines();
        assert!(lines.next().expect("header").starts_with("ID "));
        let row = lines.next().expect("a row");
        assert!(!row.contains('\x1b') && !row.contains('\u{202e}'), "{row}");
        assert!(row.starts_with("AdminMFA"), "{row}");
        assert!(row.contains("ThirdParty"), "{row}");
        // No history at all reads as Graph's starting state.
        let fresh = SecureScoreControlProfile::from_json(r#"{"id":"DLPEnabled"}"#).unwrap();
        assert!(written(OutputFormat::Table, &fresh).contains("Default"));
    }

    #[test]
    fn json_carries_the_profile_as_graph_sent_it() {
        let p = hostile();
        let nd = written(OutputFormat::Ndjson, &p);
        let back: serde_json::Value = serde_json::from_str(nd.trim()).expect("JSON");
        let sent: serde_json::Value = serde_json::from_str(p.raw.get()).unwrap();
        assert_eq!(back, sent, "same values, controls escaped");
        assert!(!nd.contains('\x1b'));
    }
}
