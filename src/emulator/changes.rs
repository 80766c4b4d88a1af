//! The changing tenant: alerts arrive and analysts work them while a client watches.
//!
//! Graph sends no change notifications for alerts_v2 or incidents, so a console stays
//! current by polling with `$filter=lastUpdateDateTime gt X`. To show (and test) that, the
//! emulator's tenant can move on by itself, one step at a time, each step exactly one of:
//! - a new alert in a new incident (a new user, device and outside infrastructure);
//! - a new alert correlated into a recent, unresolved incident (its severity, times and
//!   name follow, as the store derives them from its alerts);
//! - another analyst moving a recent alert on: new → inProgress (taking it if nobody has
//!   it), or inProgress → resolved (classified, sometimes with a closing comment);
//! - another analyst taking over a recent unresolved alert;
//! - now and then, another analyst changing an incident's owner or status.
//!
//! Every step stamps what it touched with [`Store::stamp`]: server time, never before what
//! the tenant already shows, never twice the same. Steps are drawn from a stream seeded by
//! the tenant's seed, so the same tenant and the same steps give the same changes (and,
//! with a clock pinned ahead of real time, the same timestamps). Every step is recorded as
//! a [`TenantChange`], so a test can check that each reached the client once and in order.
//!
//! Driven by [`super::Controls::step_tenant`] (at once, for tests) or by a timer
//! ([`super::EmulatorConfig::changing`], `--changing`).

use super::generate::{Fresh, Rng, mix64};
use super::store::{AlertRecord, Comment, Store};
use super::vocab;
use crate::graph::enums::{AlertClassification, AlertDetermination, AlertStatus, IncidentStatus};
use std::fmt;
use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use time::OffsetDateTime;

/// What one step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A new alert, in a new incident.
    NewAlert,
    /// A new alert, correlated into an existing incident.
    NewAlertInIncident,
    /// An alert moved on: new → inProgress, or inProgress → resolved.
    AlertStatus,
    /// An alert taken over by another analyst.
    AlertAssigned,
    /// An incident's owner or status changed.
    IncidentChanged,
}

/// One step of the changing tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantChange {
    /// 1 for the first step, then one more per step.
    pub seq: u64,
    pub kind: ChangeKind,
    /// The alert created or changed; `None` when only an incident changed.
    pub alert_id: Option<String>,
    /// The incident the change belongs to (a new alert's incident, a changed alert's
    /// incident, or the changed incident).
    pub incident_id: Option<String>,
    /// The `lastUpdateDateTime` the change gave the alert (or the incident): strictly later
    /// than every earlier change's.
    pub last_update: OffsetDateTime,
}

/// Salt of the step stream, so it never repeats the generator's numbers.
const CHANGES_STREAM: u64 = 0x6368_616e_6765;
/// Steps work on the most recent alerts and incidents, where analysts' attention is.
const RECENT: usize = 200;
/// How many times a step draws a new alert whose id turns out to be taken (vanishingly
/// rare: ids carry their creation time, and every change has its own).
const ID_ATTEMPTS: usize = 4;

/// Applies steps to a store. Holds no reference to it: each step is given the store.
pub struct Changer {
    seed: u64,
    rng: Rng,
    /// Draws new alerts; made at the first one (it needs the tenant's incident numbers).
    fresh: Option<Fresh>,
    log: Vec<TenantChange>,
}

impl fmt::Debug for Changer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Changer")
            .field("seed", &self.seed)
            .field("changes", &self.log.len())
            .finish_non_exhaustive()
    }
}

impl Changer {
    pub fn new(seed: u64) -> Self {
        Changer {
            seed,
            rng: Rng::new(mix64(seed ^ CHANGES_STREAM)),
            fresh: None,
            log: Vec::new(),
        }
    }

    /// Every change so far, in order.
    pub fn changes(&self) -> &[TenantChange] {
        &self.log
    }

    /// Applies one step. `None` only when the tenant cannot take one (no vocabulary, or an
    /// empty tenant with no alert to change and no way to add one).
    pub fn step(&mut self, store: &mut Store) -> Option<TenantChange> {
        let wanted = match self.rng.below(100) {
            0..=24 => ChangeKind::NewAlert,
            25..=44 => ChangeKind::NewAlertInIncident,
            45..=74 => ChangeKind::AlertStatus,
            75..=89 => ChangeKind::AlertAssigned,
            _ => ChangeKind::IncidentChanged,
        };
        let done = match wanted {
            ChangeKind::NewAlert => None,
            ChangeKind::NewAlertInIncident => self.alert_in_incident(store),
            ChangeKind::AlertStatus => self.move_alert(store),
            ChangeKind::AlertAssigned => self.reassign_alert(store),
            ChangeKind::IncidentChanged => self.change_incident(store),
        };
        // A quiet tenant (nothing left to work on) still gets new alerts.
        let (kind, alert_id, incident_id, last_update) = match done {
            Some(d) => d,
            None => self.new_alert(store)?,
        };
        let change = TenantChange {
            seq: self.log.len() as u64 + 1,
            kind,
            alert_id,
            incident_id,
            last_update,
        };
        self.log.push(change.clone());
        Some(change)
    }

    fn fresh(&mut self, store: &Store) -> Option<&mut Fresh> {
        if self.fresh.is_none() {
            // New incidents are numbered above every existing one.
            let next = store
                .incidents()
                .filter_map(|v| v.incident.id.parse::<u64>().ok())
                .max()
                .map_or(1000, |n| n + 1);
            self.fresh = Some(Fresh::new(self.seed, next).ok()?);
        }
        self.fresh.as_mut()
    }

    fn analyst(&mut self, not: Option<&str>) -> Option<String> {
        let (_, ent) = vocab::load().ok()?;
        let others: Vec<&String> = ent
            .analysts
            .iter()
            .filter(|a| Some(a.as_str()) != not)
            .collect();
        self.rng.pick(&others).map(|s| (*s).clone())
    }

    fn new_alert(&mut self, store: &mut Store) -> Option<Step> {
        let now = store.stamp(OffsetDateTime::UNIX_EPOCH);
        for _ in 0..ID_ATTEMPTS {
            let alert = self.fresh(store)?.alert_in_new_incident(now)?;
            let (id, incident) = ids_of(&alert);
            if store.add_alert(alert).is_some() {
                return Some((ChangeKind::NewAlert, Some(id), incident, now));
            }
        }
        None
    }

    fn alert_in_incident(&mut self, store: &mut Store) -> Option<Step> {
        let open: Vec<String> = store
            .incidents()
            .take(RECENT)
            .filter(|v| {
                !matches!(
                    v.status(),
                    IncidentStatus::Resolved | IncidentStatus::Redirected
                )
            })
            .map(|v| v.incident.id.to_string())
            .collect();
        let incident = self.rng.pick(&open)?.clone();
        let shown = store.incident(&incident)?.last_update();
        let now = store.stamp(shown);
        for _ in 0..ID_ATTEMPTS {
            // Fresh first: it needs the store only to number incidents.
            self.fresh(store)?;
            let sibling = store.incident(&incident)?.alerts().next()?;
            let alert = self.fresh.as_mut()?.alert_in_incident_of(sibling, now)?;
            let (id, _) = ids_of(&alert);
            if store.add_alert(alert) == Some(false) {
                return Some((
                    ChangeKind::NewAlertInIncident,
                    Some(id),
                    Some(incident),
                    now,
                ));
            }
        }
        None
    }

    /// A recent alert that is not resolved yet.
    fn open_alert(&mut self, store: &Store) -> Option<String> {
        let open: Vec<&str> = store
            .alerts_newest_first()
            .take(RECENT)
            .filter(|a| matches!(a.status, AlertStatus::New | AlertStatus::InProgress))
            .map(|a| &*a.id)
            .collect();
        self.rng.pick(&open).map(|id| (*id).to_owned())
    }

    fn move_alert(&mut self, store: &mut Store) -> Option<Step> {
        let id = self.open_alert(store)?;
        let current = store.get(&id)?.assigned_to.as_deref().map(str::to_owned);
        let analyst = self.analyst(None)?;
        let take_over = current.is_none() || self.rng.percent(20);
        let verdict = classify(&mut self.rng);
        let closing = self.rng.percent(50).then(|| self.closing_comment());
        let now = store.stamp(store.get(&id)?.created);
        let a = store.get_mut(&id)?;
        if take_over {
            a.assigned_to = Some(analyst.as_str().into());
        }
        match a.status {
            AlertStatus::New => a.status = AlertStatus::InProgress,
            _ => {
                a.status = AlertStatus::Resolved;
                a.resolved = Some(now);
                (a.classification, a.determination) = verdict;
                if let Some(Some(text)) = closing {
                    let author = a.assigned_to.as_deref().unwrap_or(&analyst).into();
                    a.comments.push(Comment {
                        text: text.into(),
                        author,
                        created: now,
                    });
                }
            }
        }
        a.last_update = now;
        Some((ChangeKind::AlertStatus, Some(id), incident_of(a), now))
    }

    fn reassign_alert(&mut self, store: &mut Store) -> Option<Step> {
        let id = self.open_alert(store)?;
        let current = store.get(&id)?.assigned_to.as_deref().map(str::to_owned);
        let analyst = self.analyst(current.as_deref())?;
        let now = store.stamp(store.get(&id)?.created);
        let a = store.get_mut(&id)?;
        a.assigned_to = Some(analyst.into());
        a.last_update = now;
        Some((ChangeKind::AlertAssigned, Some(id), incident_of(a), now))
    }

    fn change_incident(&mut self, store: &mut Store) -> Option<Step> {
        let open: Vec<(String, IncidentStatus, Option<String>)> = store
            .incidents()
            .take(RECENT)
            .map(|v| {
                let owner = v.incident.assigned_to.as_deref().map(str::to_owned);
                (v.incident.id.to_string(), v.status(), owner)
            })
            .filter(|(_, s, _)| !matches!(s, IncidentStatus::Resolved | IncidentStatus::Redirected))
            .collect();
        let (id, status, owner) = self.rng.pick(&open)?.clone();
        let analyst = self.analyst(owner.as_deref())?;
        let reassign = owner.is_none() || self.rng.percent(50);
        let shown = store.incident(&id)?.last_update();
        let now = store.stamp(shown);
        let (incident, _) = store.incident_mut(&id)?;
        if reassign {
            incident.assigned_to = Some(analyst.as_str().into());
        } else {
            incident.status = Some(match status {
                IncidentStatus::InProgress => IncidentStatus::Resolved,
                _ => IncidentStatus::InProgress,
            });
        }
        incident.last_write = Some(now);
        incident.last_modified_by = Some(analyst.into());
        Some((ChangeKind::IncidentChanged, None, Some(id), now))
    }

    fn closing_comment(&mut self) -> Option<String> {
        let (_, ent) = vocab::load().ok()?;
        let text = self.rng.pick(&ent.comments)?;
        let n = 100 + self.rng.below(900);
        Some(text.replace("{n}", &n.to_string()))
    }
}

/// (kind, alert, incident, lastUpdateDateTime) of a step done.
type Step = (ChangeKind, Option<String>, Option<String>, OffsetDateTime);

fn ids_of(a: &AlertRecord) -> (String, Option<String>) {
    (a.id.to_string(), incident_of(a))
}

fn incident_of(a: &AlertRecord) -> Option<String> {
    a.recipe.as_ref().map(|r| r.incident_id().to_owned())
}

/// How an analyst closes an alert: a classification and a determination that fits it.
fn classify(rng: &mut Rng) -> (Option<AlertClassification>, Option<AlertDetermination>) {
    let c = match rng.below(100) {
        0..=44 => AlertClassification::TruePositive,
        45..=74 => AlertClassification::FalsePositive,
        _ => AlertClassification::InformationalExpectedActivity,
    };
    let valid = AlertDetermination::valid_for(&c);
    let d = rng.pick(valid).cloned();
    (Some(c), d)
}

/// The tenant a running emulator serves: its store, and the changer that moves it on.
/// Shared by the server's handlers, the controls and the timer.
pub struct Tenant {
    store: RwLock<Store>,
    changer: Mutex<Changer>,
}

/// Says nothing of the store: 100,000 alerts are no `Debug` output.
impl fmt::Debug for Tenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tenant").finish_non_exhaustive()
    }
}

impl Tenant {
    pub fn new(store: Store, seed: u64) -> Self {
        Tenant {
            store: RwLock::new(store),
            changer: Mutex::new(Changer::new(seed)),
        }
    }

    // A handler that panicked while holding the lock cannot leave a half-applied write
    // (writes are single assignments), so a poisoned lock is still safe to use.
    pub fn read(&self) -> RwLockReadGuard<'_, Store> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn write(&self) -> RwLockWriteGuard<'_, Store> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn changer(&self) -> MutexGuard<'_, Changer> {
        self.changer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `n` steps now and returns them.
    pub fn step(&self, n: usize) -> Vec<TenantChange> {
        // Changer, then store: the only order both locks are taken in.
        let mut changer = self.changer();
        let mut store = self.write();
        (0..n).map_while(|_| changer.step(&mut store)).collect()
    }

    /// Every change so far, in order.
    pub fn changes(&self) -> Vec<TenantChange> {
        self.changer().changes().to_vec()
    }
}

/// Applies one step every `interval` (±20%, drawn from `seed`) until the task is aborted.
pub async fn run_timer(tenant: std::sync::Arc<Tenant>, interval: Duration, seed: u64) {
    let mut rng = Rng::new(mix64(seed ^ CHANGES_STREAM ^ 0x7469_6d65));
    loop {
        let jitter = 80 + rng.below(41);
        tokio::time::sleep(interval.mul_f64(jitter as f64 / 100.0)).await;
        let changes = tenant.step(1);
        for c in &changes {
            tracing::debug!(seq = c.seq, kind = ?c.kind, alert = c.alert_id.as_deref().unwrap_or("-"), incident = c.incident_id.as_deref().unwrap_or("-"), "tenant changed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::generate::{GenConfig, generate};
    use time::macros::datetime;

    fn store(seed: u64, now: OffsetDateTime) -> Store {
        Store::new(
            generate(&GenConfig {
                alerts: 150,
                seed,
                now,
                hostile: false,
            })
            .expect("tenant"),
        )
    }

    #[test]
    fn steps_are_deterministic_per_seed_with_a_pinned_future_clock() {
        // A clock far ahead of real time: every stamp is the previous one plus 100 ns.
        let now = datetime!(2999-01-01 00:00 UTC);
        let run = |seed: u64| {
            let mut s = store(seed, now);
            let mut c = Changer::new(seed);
            let changes: Vec<TenantChange> = (0..60).filter_map(|_| c.step(&mut s)).collect();
            let json: Vec<String> = s.alerts_newest_first().map(|a| a.to_json(true)).collect();
            (changes, json)
        };
        let (a, ja) = run(7);
        let (b, jb) = run(7);
        assert_eq!(a.len(), 60);
        assert_eq!(a, b);
        assert_eq!(ja, jb);
        let (c, _) = run(8);
        assert_ne!(a, c);
    }

    #[test]
    fn every_kind_happens_and_times_only_go_forward() {
        let now = datetime!(2026-11-26 12:00 UTC);
        let mut s = store(3, now);
        let before = s.len();
        let before_incidents = s.incident_count();
        let mut c = Changer::new(3);
        let changes: Vec<TenantChange> = (0..300).filter_map(|_| c.step(&mut s)).collect();
        assert_eq!(changes.len(), 300);
        for kind in [
            ChangeKind::NewAlert,
            ChangeKind::NewAlertInIncident,
            ChangeKind::AlertStatus,
            ChangeKind::AlertAssigned,
            ChangeKind::IncidentChanged,
        ] {
            assert!(changes.iter().any(|c| c.kind == kind), "no {kind:?}");
        }
        for w in changes.windows(2) {
            assert!(w[1].last_update > w[0].last_update, "{w:?}");
            assert_eq!(w[1].seq, w[0].seq + 1);
        }
        let new_alerts = changes
            .iter()
            .filter(|c| {
                matches!(
                    c.kind,
                    ChangeKind::NewAlert | ChangeKind::NewAlertInIncident
                )
            })
            .count();
        let new_incidents = changes
            .iter()
            .filter(|c| c.kind == ChangeKind::NewAlert)
            .count();
        assert_eq!(s.len(), before + new_alerts);
        assert_eq!(s.incident_count(), before_incidents + new_incidents);
        // New alerts are the newest, newest first, each fresh from the detector.
        let newest: Vec<&AlertRecord> = s.alerts_newest_first().take(new_alerts).collect();
        for (a, c) in newest.iter().zip(changes.iter().rev().filter(|c| {
            matches!(
                c.kind,
                ChangeKind::NewAlert | ChangeKind::NewAlertInIncident
            )
        })) {
            assert_eq!(Some(&*a.id), c.alert_id.as_deref());
            assert_eq!(a.created, c.last_update);
            assert!(a.last_update >= a.created);
        }
        // Every alert's lastUpdateDateTime is its latest change's.
        for c in changes.iter().filter(|c| c.alert_id.is_some()) {
            let latest = changes
                .iter()
                .filter(|d| d.alert_id == c.alert_id)
                .map(|d| d.last_update)
                .max();
            let id = c.alert_id.as_deref().unwrap_or_default();
            assert_eq!(s.get(id).map(|a| a.last_update), latest, "{id}");
        }
    }

    #[test]
    fn an_empty_tenant_grows() {
        let mut s = Store::new(Vec::new());
        let mut c = Changer::new(1);
        let changes: Vec<TenantChange> = (0..5).filter_map(|_| c.step(&mut s)).collect();
        assert_eq!(changes.len(), 5);
        assert!(!s.is_empty() && s.incident_count() >= 1);
    }
}
