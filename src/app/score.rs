//! Secure Score data the `:score` and `:controls` panes share: the daily history, the
//! control profiles, the analyst's planned controls, and what follows from them (today's
//! score, changes, per-category points, the what-if projection).
//!
//! Everything here is arithmetic on what Graph sent; nothing is drawn or fetched here.

use crate::graph::score::{ControlState, SecureScore, SecureScoreControlProfile};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use time::{Date, OffsetDateTime};

/// The longest history the console asks for (the portal keeps 90 days; a year of daily
/// snapshots is still small).
pub const HISTORY_DAYS: usize = 365;

/// How far back the chart looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScoreWindow {
    Month,
    Quarter,
}

impl ScoreWindow {
    pub fn days(self) -> i64 {
        match self {
            ScoreWindow::Month => 30,
            ScoreWindow::Quarter => 90,
        }
    }

    pub fn toggled(self) -> ScoreWindow {
        match self {
            ScoreWindow::Month => ScoreWindow::Quarter,
            ScoreWindow::Quarter => ScoreWindow::Month,
        }
    }
}

/// Which scale the `:score` chart draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScoreView {
    /// Points: the score, the comparative averages (Graph gives them in points) and the
    /// target as they came.
    #[default]
    Points,
    /// Percent of that day's maxScore: the score, and the averages divided by our own
    /// maxScore of the same day (so they stay comparable with our line).
    Percent,
}

impl ScoreView {
    pub fn toggled(self) -> ScoreView {
        match self {
            ScoreView::Points => ScoreView::Percent,
            ScoreView::Percent => ScoreView::Points,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ScoreView::Points => "points",
            ScoreView::Percent => "percent",
        }
    }
}

/// How the chart's points are drawn. Braille is the finest; the others are for fonts
/// without Braille patterns (they would show boxes or blank dots).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChartMarker {
    #[default]
    Braille,
    Dot,
    Block,
    HalfBlock,
    Bar,
}

impl ChartMarker {
    /// Every marker, in the order the key cycles through them.
    pub const ALL: [ChartMarker; 5] = [
        ChartMarker::Braille,
        ChartMarker::Dot,
        ChartMarker::Block,
        ChartMarker::HalfBlock,
        ChartMarker::Bar,
    ];

    /// The name used in the config file (`[ui] chart_marker`).
    pub fn name(self) -> &'static str {
        match self {
            ChartMarker::Braille => "braille",
            ChartMarker::Dot => "dot",
            ChartMarker::Block => "block",
            ChartMarker::HalfBlock => "halfblock",
            ChartMarker::Bar => "bar",
        }
    }

    /// The marker named `name` (as in the config file), `None` for an unknown name.
    pub fn parse(name: &str) -> Option<ChartMarker> {
        ChartMarker::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The next marker, wrapping around.
    pub fn next(self) -> ChartMarker {
        let i = ChartMarker::ALL
            .iter()
            .position(|m| *m == self)
            .unwrap_or(0);
        ChartMarker::ALL[(i + 1) % ChartMarker::ALL.len()]
    }
}

/// Where one of the two reads stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Fetch {
    #[default]
    NotAsked,
    Loading,
    Loaded,
    /// The read failed; what was loaded before stays.
    Failed(String),
}

impl Fetch {
    pub fn is_loading(&self) -> bool {
        matches!(self, Fetch::Loading)
    }
}

/// One day of the history as the chart needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DayPoint {
    pub date: Date,
    pub score: f64,
    pub max: f64,
    /// `averageComparativeScores` with basis `allTenants` / `totalSeats`, when present.
    pub all_tenants: Option<f64>,
    pub similar_seats: Option<f64>,
}

impl DayPoint {
    pub fn percentage(&self) -> Option<f64> {
        (self.max > 0.0).then(|| self.score / self.max * 100.0)
    }
}

/// Points achieved and available in one `controlCategory`.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryPoints {
    pub category: String,
    pub achieved: f64,
    pub available: f64,
}

/// What the score would be if every planned control were fully achieved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Planned controls that would still earn points.
    pub controls: usize,
    pub gain: f64,
    pub score: f64,
    pub max: f64,
}

impl Projection {
    pub fn percentage(&self) -> Option<f64> {
        (self.max > 0.0).then(|| self.score / self.max * 100.0)
    }
}

/// The Secure Score data behind `:score` and `:controls`.
#[derive(Debug, Default)]
pub struct ScoreData {
    /// One snapshot a day, oldest first (a later copy of the same day replaces an earlier).
    pub history: Vec<DayPoint>,
    /// The newest snapshot as Graph sent it (its controlScores give today's points).
    pub latest: Option<SecureScore>,
    pub history_fetch: Fetch,
    /// Every control profile, in Graph's order.
    pub profiles: Vec<SecureScoreControlProfile>,
    pub profiles_fetch: Fetch,
    /// Ids of controls the analyst plans to achieve (kept per profile on disk).
    pub planned: BTreeSet<String>,
    /// Where the planned marks are saved (`None`: not kept, e.g. no data dir).
    pub planned_file: Option<PathBuf>,
    /// Today's points per control id, from `latest`.
    achieved: HashMap<String, f64>,
}

impl ScoreData {
    /// No data yet; `planned` as saved at `planned_file`.
    pub fn with_planned(planned: BTreeSet<String>, planned_file: Option<PathBuf>) -> ScoreData {
        ScoreData {
            planned,
            planned_file,
            ..ScoreData::default()
        }
    }

    /// Replaces the history with `snapshots` (any order).
    pub fn set_history(&mut self, snapshots: Vec<SecureScore>) {
        let mut by_day: BTreeMap<Date, (OffsetDateTime, SecureScore)> = BTreeMap::new();
        for s in snapshots {
            let Some(created) = s.created else { continue };
            let day = created.date();
            match by_day.get(&day) {
                Some((seen, _)) if *seen >= created => {}
                _ => {
                    by_day.insert(day, (created, s));
                }
            }
        }
        self.history = by_day
            .iter()
            .filter_map(|(date, (_, s))| {
                Some(DayPoint {
                    date: *date,
                    score: s.current_score?,
                    max: s.max_score?,
                    all_tenants: comparative(s, "allTenants"),
                    similar_seats: comparative(s, "totalSeats"),
                })
            })
            .collect();
        self.latest = by_day.into_values().next_back().map(|(_, s)| s);
        self.achieved = self
            .latest
            .iter()
            .flat_map(|s| &s.control_scores)
            .filter_map(|c| Some((c.control_name.clone()?, c.score?)))
            .collect();
    }

    /// Replaces the profiles.
    pub fn set_profiles(&mut self, profiles: Vec<SecureScoreControlProfile>) {
        self.profiles = profiles;
    }

    /// Puts the server's copy of one profile in place of ours (after a write).
    pub fn replace_profile(&mut self, profile: SecureScoreControlProfile) {
        match self.profiles.iter_mut().find(|p| p.id == profile.id) {
            Some(slot) => *slot = profile,
            None => self.profiles.push(profile),
        }
    }

    pub fn profile(&self, id: &str) -> Option<&SecureScoreControlProfile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// Today's points for control `id` (0 when today's snapshot does not list it).
    pub fn achieved(&self, id: &str) -> f64 {
        self.achieved.get(id).copied().unwrap_or(0.0)
    }

    /// Points control `id` could still earn today: its maxScore less what it has.
    pub fn available(&self, profile: &SecureScoreControlProfile) -> f64 {
        (profile.max_score.unwrap_or(0.0) - self.achieved(&profile.id)).max(0.0)
    }

    /// The newest day of the history.
    pub fn today(&self) -> Option<&DayPoint> {
        self.history.last()
    }

    /// The newest day's score less the score `days` days before it (the nearest earlier
    /// snapshot when that day is missing); `None` without one that old.
    pub fn change_over(&self, days: i64) -> Option<f64> {
        let today = self.today()?;
        let then = today.date - time::Duration::days(days);
        let before = self.history.iter().rev().find(|p| p.date <= then)?;
        Some(today.score - before.score)
    }

    /// The days within `days` of the newest, oldest first.
    pub fn window(&self, days: i64) -> &[DayPoint] {
        let Some(today) = self.today() else {
            return &[];
        };
        let from = today.date - time::Duration::days(days - 1);
        let start = self.history.partition_point(|p| p.date < from);
        &self.history[start..]
    }

    /// Points achieved vs available per controlCategory, today: achieved from today's
    /// controlScores, available from the profiles' maxScore. Sorted by points still
    /// available, largest first.
    pub fn categories(&self) -> Vec<CategoryPoints> {
        let mut by: BTreeMap<String, (f64, f64)> = BTreeMap::new();
        for p in &self.profiles {
            let category = p
                .control_category
                .clone()
                .unwrap_or_else(|| "Uncategorized".to_owned());
            let e = by.entry(category).or_default();
            e.0 += self.achieved(&p.id);
            e.1 += p.max_score.unwrap_or(0.0);
        }
        let mut out: Vec<CategoryPoints> = by
            .into_iter()
            .map(|(category, (achieved, available))| CategoryPoints {
                category,
                achieved,
                available,
            })
            .collect();
        out.sort_by(|a, b| {
            (b.available - b.achieved)
                .total_cmp(&(a.available - a.achieved))
                .then_with(|| a.category.cmp(&b.category))
        });
        out
    }

    /// Today's score plus every planned control's missing points; `None` without today's
    /// snapshot or with nothing planned. A planned control already at its maximum adds
    /// nothing; an unknown one is skipped.
    pub fn projection(&self) -> Option<Projection> {
        let today = self.today()?;
        if self.planned.is_empty() {
            return None;
        }
        let mut gain = 0.0;
        let mut controls = 0;
        for id in &self.planned {
            if let Some(p) = self.profile(id) {
                let missing = self.available(p);
                if missing > 0.0 {
                    gain += missing;
                    controls += 1;
                }
            }
        }
        Some(Projection {
            controls,
            gain,
            score: (today.score + gain).min(today.max),
            max: today.max,
        })
    }

    /// Marks or unmarks control `id` as planned; true when it is now planned.
    pub fn toggle_planned(&mut self, id: &str) -> bool {
        if self.planned.remove(id) {
            false
        } else {
            self.planned.insert(id.to_owned());
            true
        }
    }
}

/// A profile's current state, `Default` when it has none.
pub fn current_state(profile: &SecureScoreControlProfile) -> ControlState {
    profile.state().cloned().unwrap_or(ControlState::Default)
}

fn comparative(s: &SecureScore, basis: &str) -> Option<f64> {
    s.average_comparative_scores
        .iter()
        // The docs' bodies say `AllTenants`; match whatever case Graph uses.
        .find(|c| {
            c.basis
                .as_deref()
                .is_some_and(|b| b.eq_ignore_ascii_case(basis))
        })
        .and_then(|c| c.average_score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn snapshot(date: &str, current: f64, max: f64, controls: &[(&str, f64)]) -> SecureScore {
        let scores: Vec<_> = controls
            .iter()
            .map(|(n, s)| json!({"controlCategory": "Identity", "controlName": n, "score": s}))
            .collect();
        SecureScore::from_json(
            &json!({
                "id": format!("t_{date}"),
                "createdDateTime": format!("{date}T00:00:00Z"),
                "currentScore": current, "maxScore": max,
                "averageComparativeScores": [{"basis": "allTenants", "averageScore": 30.5}],
                "controlScores": scores,
            })
            .to_string(),
        )
        .unwrap()
    }

    fn profile(id: &str, category: &str, max: f64) -> SecureScoreControlProfile {
        SecureScoreControlProfile::from_json(
            &json!({"id": id, "controlCategory": category, "maxScore": max}).to_string(),
        )
        .unwrap()
    }

    fn data() -> ScoreData {
        let mut d = ScoreData::default();
        d.set_history(vec![
            snapshot("2026-11-20", 40.0, 100.0, &[]),
            snapshot(
                "2026-11-26",
                52.0,
                100.0,
                &[("A", 10.0), ("B", 2.0), ("C", 0.0)],
            ),
            snapshot("2026-10-27", 31.0, 100.0, &[]),
            // No snapshot between 10-27 and 11-20: a gap.
        ]);
        d.set_profiles(vec![
            profile("A", "Identity", 10.0),
            profile("B", "Identity", 8.0),
            profile("C", "Data", 5.0),
            profile("D", "Apps", 3.0),
        ]);
        d
    }

    #[test]
    fn history_is_oldest_first_with_gaps_left_as_gaps() {
        let d = data();
        let dates: Vec<String> = d.history.iter().map(|p| p.date.to_string()).collect();
        assert_eq!(dates, ["2026-10-27", "2026-11-20", "2026-11-26"]);
        assert_eq!(d.history[0].all_tenants, Some(30.5));
        assert_eq!(d.history[0].similar_seats, None);
        assert_eq!(d.today().unwrap().percentage(), Some(52.0));
    }

    #[test]
    fn changes_use_the_nearest_earlier_snapshot() {
        let d = data();
        // 7 days before 11-26 is 11-19: the nearest earlier snapshot is 10-27.
        assert_eq!(d.change_over(7), Some(21.0));
        assert_eq!(d.change_over(30), Some(21.0));
        assert_eq!(d.change_over(31), None);
        // 30 days ending 11-26 start at 10-28.
        assert_eq!(d.window(30).len(), 2);
        assert_eq!(d.window(31).len(), 3);
        assert_eq!(d.window(7).len(), 2);
    }

    #[test]
    fn categories_add_todays_points_against_profile_maximums() {
        let d = data();
        let cats = d.categories();
        let row = |c: &str| cats.iter().find(|x| x.category == c).unwrap().clone();
        assert_eq!(
            (row("Identity").achieved, row("Identity").available),
            (12.0, 18.0)
        );
        assert_eq!((row("Data").achieved, row("Data").available), (0.0, 5.0));
        // Sorted by points still to get: Identity 6, Data 5, Apps 3.
        let order: Vec<&str> = cats.iter().map(|c| c.category.as_str()).collect();
        assert_eq!(order, ["Identity", "Data", "Apps"]);
    }

    #[test]
    fn projection_adds_the_missing_points_of_planned_controls() {
        // Hand-computed: today 52 of 100. Planned A (10 of 10: adds 0), B (2 of 8: adds 6),
        // D (not in today's snapshot: 0 of 3, adds 3), Z (unknown: skipped).
        // 52 + 6 + 3 = 61 of 100 = 61 %, from 2 controls.
        let mut d = data();
        assert_eq!(d.projection(), None);
        for id in ["A", "B", "D", "Z"] {
            assert!(d.toggle_planned(id));
        }
        let p = d.projection().unwrap();
        assert_eq!((p.controls, p.gain, p.score, p.max), (2, 9.0, 61.0, 100.0));
        assert_eq!(p.percentage(), Some(61.0));
        assert!(!d.toggle_planned("B"));
        assert_eq!(d.projection().unwrap().score, 55.0);
    }

    #[test]
    fn markers_parse_by_config_name_and_cycle_through_all() {
        for m in ChartMarker::ALL {
            assert_eq!(ChartMarker::parse(m.name()), Some(m));
        }
        assert_eq!(
            ChartMarker::parse(" HalfBlock "),
            Some(ChartMarker::HalfBlock)
        );
        assert_eq!(ChartMarker::parse("sextant"), None);
        let mut seen = vec![ChartMarker::default()];
        let mut m = ChartMarker::default().next();
        while m != ChartMarker::default() {
            seen.push(m);
            m = m.next();
        }
        assert_eq!(seen, ChartMarker::ALL);
        assert_eq!(ScoreView::Points.toggled().toggled(), ScoreView::Points);
    }

    #[test]
    fn a_later_copy_of_a_day_wins_and_undated_snapshots_are_skipped() {
        let mut d = ScoreData::default();
        let mut late = snapshot("2026-11-26", 60.0, 100.0, &[]);
        late.created = late.created.map(|t| t + time::Duration::hours(3));
        let mut undated = snapshot("2026-11-25", 1.0, 100.0, &[]);
        undated.created = None;
        d.set_history(vec![
            late,
            snapshot("2026-11-26", 52.0, 100.0, &[]),
            undated,
        ]);
        assert_eq!(d.history.len(), 1);
        assert_eq!(d.today().unwrap().score, 60.0);
    }
}
