//! The outbox journal: an append-only JSON-lines file, one per profile, that holds every
//! write the analyst asked for until Graph has it.
//!
//! Each line is one [`Record`]. An entry is born with `enqueued` (the whole write: target,
//! body, the base the analyst saw) and then collects `sent` (an attempt is about to leave),
//! and one of `done`, `failed`, `conflict` or `dropped`; `retry` puts a stopped entry back in
//! line. Every record is fsynced before the call that appended it returns, so an `enqueued`
//! record is on disk before the request goes out, and a `sent` record is on disk before a
//! non-idempotent request could reach the server (see the writer's exactly-once check).
//!
//! A crash can only tear the last line (appends are single `write` calls at the end of an
//! `O_APPEND` file); replay drops a torn tail and truncates the file back to the last whole
//! line. Compaction rewrites the file atomically once finished entries dominate.
//!
//! The journal never holds a token: entries carry the endpoint and profile name only.

use super::{Base, Entry, FieldConflict, OutboxError, Status};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// Compaction runs when at least this many finished entries are on file...
const COMPACT_MIN_FINISHED: usize = 64;
/// ...and they outnumber live entries by this factor.
const COMPACT_RATIO: usize = 2;

/// One line of the journal.
// Records are written and replayed one at a time, and most are `Enqueued`: boxing the entry
// would allocate for every write to save bytes on a value that never sits in bulk.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rec", rename_all = "camelCase")]
pub enum Record {
    /// A new write. Everything needed to send it later, in another process, is here.
    Enqueued { entry: Entry },
    /// An attempt is about to be sent (written before the request leaves).
    Sent {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Graph has the write.
    Done {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
    },
    /// Graph refused the write for good; kept until the analyst retries or drops it.
    Failed {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        status: Option<u16>,
        code: String,
        message: String,
    },
    /// Someone else changed a field this write changes; the analyst decides.
    Conflict {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        fields: Vec<FieldConflict>,
    },
    /// Back in line after a stop. `base` replaces the entry's base (keep mine after a
    /// conflict: the server values seen become the new base).
    Retry {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        base: Option<Base>,
    },
    /// Given up on purpose (the analyst dropped it, or took the server's values).
    Dropped {
        id: String,
        #[serde(with = "time::serde::rfc3339")]
        at: OffsetDateTime,
        reason: String,
    },
}

impl Record {
    fn id(&self) -> &str {
        match self {
            Record::Enqueued { entry } => &entry.id,
            Record::Sent { id, .. }
            | Record::Done { id, .. }
            | Record::Failed { id, .. }
            | Record::Conflict { id, .. }
            | Record::Retry { id, .. }
            | Record::Dropped { id, .. } => id,
        }
    }
}

/// An entry and what has happened to it so far.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryState {
    pub entry: Entry,
    pub status: Status,
    /// Attempts recorded as sent (over all runs). Non-zero means the write may already
    /// have reached the server.
    pub sent: u32,
}

/// What replay found besides the entries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReplayReport {
    /// A partial last line (crash mid-write) was cut off.
    pub torn_tail: bool,
    /// Whole lines that could not be read (skipped).
    pub bad_lines: usize,
}

/// An open journal. Holds an exclusive lock on the profile's outbox for its lifetime, so
/// two graphsec processes never send the same entries.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: File,
    _lock: File,
    entries: BTreeMap<String, EntryState>,
    /// Finished entries still on file (compaction drops them).
    finished: usize,
    last_micros: u64,
    replay: ReplayReport,
}

/// `<data_dir>/outbox/<profile>.jsonl`: one journal per profile, so tenants never mix.
pub fn path_for(data_dir: &Path, profile: &str) -> PathBuf {
    data_dir
        .join("outbox")
        .join(format!("{}.jsonl", file_stem(profile)))
}

/// A profile name made safe as a file name: `[A-Za-z0-9_-]` kept, anything else `%XX`.
fn file_stem(profile: &str) -> String {
    let mut out = String::new();
    for b in profile.bytes() {
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'-' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() {
        out.push_str("%00");
    }
    out
}

impl Journal {
    /// [`Journal::open`], waiting up to `patience` for another process to let go of it (a
    /// script's previous command may still be finishing).
    pub fn open_waiting(
        path: &Path,
        patience: std::time::Duration,
    ) -> Result<Journal, OutboxError> {
        let deadline = std::time::Instant::now() + patience;
        loop {
            match Journal::open(path) {
                Err(OutboxError::Locked(_)) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                other => return other,
            }
        }
    }

    /// Opens (creating 0600, in a 0700 directory) and replays the journal at `path`.
    /// Fails with [`OutboxError::Locked`] while another process has it open.
    pub fn open(path: &Path) -> Result<Journal, OutboxError> {
        let dir = path
            .parent()
            .ok_or_else(|| OutboxError::Io(io::Error::other("journal path has no directory")))?;
        create_private_dir(dir)?;
        let lock = private_file(&path.with_extension("lock"), false)?;
        lock_exclusive(&lock).map_err(|e| {
            if e.kind() == io::ErrorKind::WouldBlock {
                OutboxError::Locked(path.to_owned())
            } else {
                OutboxError::Io(e)
            }
        })?;
        let mut file = private_file(path, true)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let mut journal = Journal {
            path: path.to_owned(),
            file,
            _lock: lock,
            entries: BTreeMap::new(),
            finished: 0,
            last_micros: 0,
            replay: ReplayReport::default(),
        };
        let good_len = journal.replay(&bytes);
        if good_len < bytes.len() {
            // Cut the torn tail so the next append starts on a fresh line.
            journal.file.set_len(good_len as u64)?;
            journal.file.sync_all()?;
        }
        journal.file.seek(SeekFrom::End(0))?;
        Ok(journal)
    }

    /// Applies every whole line; returns the length of the whole-line prefix.
    fn replay(&mut self, bytes: &[u8]) -> usize {
        let mut good = 0;
        let mut rest = bytes;
        while let Some(nl) = rest.iter().position(|b| *b == b'\n') {
            let line = &rest[..nl];
            good += nl + 1;
            rest = &rest[nl + 1..];
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Record>(line) {
                Ok(record) => self.apply(record),
                Err(e) => {
                    tracing::warn!(path = %self.path.display(), error = %e, "unreadable outbox line skipped");
                    self.replay.bad_lines += 1;
                }
            }
        }
        if !rest.is_empty() {
            tracing::warn!(path = %self.path.display(), bytes = rest.len(), "torn last outbox line dropped");
            self.replay.torn_tail = true;
        }
        good
    }

    /// Updates the in-memory view with one record.
    fn apply(&mut self, record: Record) {
        if let Record::Enqueued { entry } = record {
            if let Some(micros) = id_micros(&entry.id) {
                self.last_micros = self.last_micros.max(micros);
            }
            self.entries
                .entry(entry.id.clone())
                .or_insert_with(|| EntryState {
                    entry,
                    status: Status::Pending,
                    sent: 0,
                });
            return;
        }
        let Some(state) = self.entries.get_mut(record.id()) else {
            return; // a record for an entry compacted away or never enqueued: nothing to do
        };
        let was_finished = state.status.is_finished();
        match record {
            Record::Enqueued { .. } => {}
            Record::Sent { .. } => state.sent += 1,
            Record::Done { .. } => state.status = Status::Done,
            Record::Failed {
                status,
                code,
                message,
                ..
            } => {
                state.status = Status::Failed {
                    status,
                    code,
                    message,
                }
            }
            Record::Conflict { fields, .. } => state.status = Status::Conflict(fields),
            Record::Retry { base, .. } => {
                if let Some(b) = base {
                    state.entry.op.set_base(b);
                }
                state.status = Status::Pending;
            }
            Record::Dropped { reason, .. } => state.status = Status::Dropped(reason),
        }
        match (was_finished, state.status.is_finished()) {
            (false, true) => self.finished += 1,
            (true, false) => self.finished = self.finished.saturating_sub(1),
            _ => {}
        }
    }

    /// Appends one record and fsyncs it, then applies it.
    pub fn append(&mut self, record: Record) -> Result<(), OutboxError> {
        self.append_all(vec![record])
    }

    /// Appends records with a single write and a single fsync (group commit for a bulk
    /// change), then applies them. A crash leaves a whole-line prefix of them.
    pub fn append_all(&mut self, records: Vec<Record>) -> Result<(), OutboxError> {
        let mut bytes = Vec::new();
        for record in &records {
            let known =
                matches!(record, Record::Enqueued { .. }) || self.entries.contains_key(record.id());
            if !known {
                return Err(OutboxError::NoSuchEntry(record.id().to_owned()));
            }
            serde_json::to_writer(&mut bytes, record).map_err(io::Error::other)?;
            bytes.push(b'\n');
        }
        // One write call: with O_APPEND a crash leaves at most the last line torn.
        self.file.write_all(&bytes)?;
        self.file.sync_data()?;
        for record in records {
            self.apply(record);
        }
        if self.finished >= COMPACT_MIN_FINISHED
            && self.finished > COMPACT_RATIO * (self.entries.len() - self.finished)
        {
            self.compact()?;
        }
        Ok(())
    }

    /// A fresh entry id: creation time in microseconds (kept increasing even if the clock
    /// steps back) and a random suffix, so ids sort in creation order and never collide
    /// across processes.
    pub fn next_id(&mut self, now: OffsetDateTime) -> String {
        let now_micros = u64::try_from(now.unix_timestamp_nanos() / 1_000).unwrap_or(0);
        let micros = now_micros.max(self.last_micros + 1);
        self.last_micros = micros;
        let suffix = crate::graph::retry::random_u64() as u32;
        format!("{micros:014x}-{suffix:08x}")
    }

    /// Rewrites the file with only the live entries: temp file, fsync, rename, fsync dir.
    pub fn compact(&mut self) -> Result<(), OutboxError> {
        self.entries.retain(|_, s| !s.status.is_finished());
        let tmp = self.path.with_extension("jsonl.tmp");
        let mut out = Vec::new();
        let now = OffsetDateTime::now_utc();
        for state in self.entries.values() {
            for record in live_records(state, now) {
                serde_json::to_writer(&mut out, &record).map_err(io::Error::other)?;
                out.push(b'\n');
            }
        }
        {
            let mut f = OpenOptions::new()
                .write(true)
                .create(true)
                .truncate(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(&out)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            File::open(dir)?.sync_all()?;
        }
        self.file = private_file(&self.path, true)?;
        self.file.seek(SeekFrom::End(0))?;
        self.finished = 0;
        tracing::debug!(path = %self.path.display(), live = self.entries.len(), "outbox compacted");
        Ok(())
    }

    /// Gives up on an unfinished entry (`graphsec outbox drop`, when no writer runs).
    pub fn drop_entry(&mut self, id: &str, reason: &str) -> Result<(), OutboxError> {
        let state = self
            .get(id)
            .ok_or_else(|| OutboxError::NoSuchEntry(id.to_owned()))?;
        if state.status.is_finished() {
            return Err(OutboxError::WrongState {
                id: id.to_owned(),
                what: "finished",
            });
        }
        self.append(Record::Dropped {
            id: id.to_owned(),
            at: OffsetDateTime::now_utc(),
            reason: reason.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn replay_report(&self) -> ReplayReport {
        self.replay
    }

    /// Every entry on file (finished ones until compaction), oldest first.
    pub fn entries(&self) -> impl Iterator<Item = &EntryState> {
        self.entries.values()
    }

    pub fn get(&self, id: &str) -> Option<&EntryState> {
        self.entries.get(id)
    }
}

/// The records that recreate a live entry's state after compaction.
fn live_records(state: &EntryState, now: OffsetDateTime) -> Vec<Record> {
    let id = state.entry.id.clone();
    let mut out = vec![Record::Enqueued {
        entry: state.entry.clone(),
    }];
    // The exactly-once check for comments needs to know a send may have happened.
    if state.sent > 0 {
        out.push(Record::Sent {
            id: id.clone(),
            at: now,
        });
    }
    match &state.status {
        Status::Failed {
            status,
            code,
            message,
        } => out.push(Record::Failed {
            id,
            at: now,
            status: *status,
            code: code.clone(),
            message: message.clone(),
        }),
        Status::Conflict(fields) => out.push(Record::Conflict {
            id,
            at: now,
            fields: fields.clone(),
        }),
        Status::Pending | Status::Done | Status::Dropped(_) => {}
    }
    out
}

fn id_micros(id: &str) -> Option<u64> {
    u64::from_str_radix(id.split('-').next()?, 16).ok()
}

fn create_private_dir(dir: &Path) -> io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    // An outbox directory made by hand (or an older version) is tightened too.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}

/// Opens read+append (journal) or read+write (lock file), creating 0600 and tightening an
/// existing file's mode.
fn private_file(path: &Path, append: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).create(true).mode(0o600);
    if append {
        options.append(true);
    } else {
        options.write(true);
    }
    let file = options.open(path)?;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

/// `flock(LOCK_EX | LOCK_NB)`: released by the kernel when the process dies, even on SIGKILL.
fn lock_exclusive(file: &File) -> io::Result<()> {
    // SAFETY: flock takes a valid open descriptor (borrowed from `file`) and no pointers.
    let rc = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::enums::AlertStatus;
    use crate::graph::models::AlertUpdate;
    use crate::outbox::{Op, Target};

    struct TempDir(PathBuf);
    impl TempDir {
        fn new(name: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!(
                "graphsec-journal-{name}-{}-{:x}",
                std::process::id(),
                crate::graph::retry::random_u64()
            ));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn entry(j: &mut Journal, alert: &str, text: &str) -> Entry {
        let now = OffsetDateTime::now_utc();
        Entry {
            id: j.next_id(now),
            created: now,
            profile: "p".into(),
            endpoint: "http://127.0.0.1:1/v1.0".into(),
            target: Target::alert(alert),
            after: None,
            op: Op::AlertComment {
                text: text.into(),
                author: Some("me@contoso.com".into()),
            },
        }
    }

    fn done(id: &str) -> Record {
        Record::Done {
            id: id.into(),
            at: OffsetDateTime::now_utc(),
        }
    }

    #[test]
    fn path_is_per_profile_and_safe() {
        let d = Path::new("/d");
        assert_eq!(
            path_for(d, "prod"),
            Path::new("/d/outbox/prod.jsonl").to_owned()
        );
        assert_eq!(
            path_for(d, "../x y"),
            Path::new("/d/outbox/%2E%2E%2Fx%20y.jsonl").to_owned()
        );
    }

    #[test]
    fn entries_survive_reopen_and_file_is_private() {
        let dir = TempDir::new("reopen");
        let path = path_for(&dir.0, "p");
        let (a, b);
        {
            let mut j = Journal::open(&path).unwrap();
            a = entry(&mut j, "x", "one");
            b = entry(&mut j, "x", "two");
            assert!(a.id < b.id, "ids sort in creation order");
            j.append(Record::Enqueued { entry: a.clone() }).unwrap();
            j.append(Record::Enqueued { entry: b.clone() }).unwrap();
            j.append(Record::Sent {
                id: a.id.clone(),
                at: OffsetDateTime::now_utc(),
            })
            .unwrap();
            j.append(done(&a.id)).unwrap();
        }
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dir_mode = std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dir_mode, 0o700);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.get(&a.id).unwrap().status, Status::Done);
        assert_eq!(j.get(&a.id).unwrap().sent, 1);
        assert_eq!(j.get(&b.id).unwrap().status, Status::Pending);
        assert_eq!(j.get(&b.id).unwrap().entry, b);
    }

    #[test]
    fn torn_last_line_is_dropped_and_truncated() {
        let dir = TempDir::new("torn");
        let path = path_for(&dir.0, "p");
        let a;
        {
            let mut j = Journal::open(&path).unwrap();
            a = entry(&mut j, "x", "one");
            j.append(Record::Enqueued { entry: a.clone() }).unwrap();
        }
        let whole = std::fs::read(&path).unwrap();
        // A crash in the middle of appending the done record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(br#"{"rec":"done","id":"#).unwrap();
        drop(f);
        {
            let mut j = Journal::open(&path).unwrap();
            assert!(j.replay_report().torn_tail);
            assert_eq!(j.get(&a.id).unwrap().status, Status::Pending);
            assert_eq!(std::fs::read(&path).unwrap(), whole, "tail cut");
            j.append(done(&a.id)).unwrap();
        }
        let j = Journal::open(&path).unwrap();
        assert!(!j.replay_report().torn_tail);
        assert_eq!(j.get(&a.id).unwrap().status, Status::Done);
    }

    #[test]
    fn a_batch_is_one_write_and_all_of_it_is_replayed() {
        let dir = TempDir::new("batch");
        let path = path_for(&dir.0, "p");
        let ids: Vec<String>;
        {
            let mut j = Journal::open(&path).unwrap();
            let batch: Vec<Entry> = (0..3)
                .map(|i| entry(&mut j, "x", &format!("b{i}")))
                .collect();
            ids = batch.iter().map(|e| e.id.clone()).collect();
            j.append_all(
                batch
                    .into_iter()
                    .map(|entry| Record::Enqueued { entry })
                    .collect(),
            )
            .unwrap();
            // A record for an unknown entry refuses the whole batch, writing nothing.
            let before = std::fs::read(&path).unwrap();
            assert!(matches!(
                j.append_all(vec![done(&ids[0]), done("nope")]),
                Err(OutboxError::NoSuchEntry(_))
            ));
            assert_eq!(std::fs::read(&path).unwrap(), before);
        }
        let j = Journal::open(&path).unwrap();
        let replayed: Vec<&str> = j.entries().map(|s| s.entry.id.as_str()).collect();
        assert_eq!(replayed, ids.iter().map(String::as_str).collect::<Vec<_>>());
        assert!(j.entries().all(|s| s.status == Status::Pending));
    }

    #[test]
    fn a_second_opener_is_refused() {
        let dir = TempDir::new("lock");
        let path = path_for(&dir.0, "p");
        let _first = Journal::open(&path).unwrap();
        assert!(matches!(Journal::open(&path), Err(OutboxError::Locked(_))));
    }

    #[test]
    fn compaction_keeps_live_entries_only() {
        let dir = TempDir::new("compact");
        let path = path_for(&dir.0, "p");
        let mut j = Journal::open(&path).unwrap();
        let live = entry(&mut j, "keep", "pending");
        j.append(Record::Enqueued {
            entry: live.clone(),
        })
        .unwrap();
        j.append(Record::Sent {
            id: live.id.clone(),
            at: OffsetDateTime::now_utc(),
        })
        .unwrap();
        let stopped = entry(&mut j, "stop", "refused");
        j.append(Record::Enqueued {
            entry: stopped.clone(),
        })
        .unwrap();
        j.append(Record::Failed {
            id: stopped.id.clone(),
            at: OffsetDateTime::now_utc(),
            status: Some(403),
            code: "accessDenied".into(),
            message: "no".into(),
        })
        .unwrap();
        for i in 0..COMPACT_MIN_FINISHED {
            let e = entry(&mut j, "x", &format!("c{i}"));
            let id = e.id.clone();
            j.append(Record::Enqueued { entry: e }).unwrap();
            j.append(done(&id)).unwrap();
        }
        // The last done tipped the balance: only the two live entries are left on file.
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(!path.with_extension("jsonl.tmp").exists());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.entries().count(), 2);
        assert_eq!(j.get(&live.id).unwrap().sent, 1);
        assert!(matches!(
            j.get(&stopped.id).unwrap().status,
            Status::Failed {
                status: Some(403),
                ..
            }
        ));
    }

    #[test]
    fn retry_with_a_new_base_replaces_the_base() {
        let dir = TempDir::new("retry");
        let path = path_for(&dir.0, "p");
        let mut j = Journal::open(&path).unwrap();
        let now = OffsetDateTime::now_utc();
        let e = Entry {
            id: j.next_id(now),
            created: now,
            profile: "p".into(),
            endpoint: "e".into(),
            target: Target::alert("a"),
            after: None,
            op: Op::AlertUpdate {
                update: AlertUpdate {
                    status: Some(AlertStatus::Resolved),
                    ..Default::default()
                },
                base: Some(Base::default()),
            },
        };
        j.append(Record::Enqueued { entry: e.clone() }).unwrap();
        j.append(Record::Conflict {
            id: e.id.clone(),
            at: now,
            fields: vec![],
        })
        .unwrap();
        let mut new_base = Base::default();
        new_base
            .fields
            .insert("status".into(), serde_json::json!("inProgress"));
        j.append(Record::Retry {
            id: e.id.clone(),
            at: now,
            base: Some(new_base.clone()),
        })
        .unwrap();
        drop(j);
        let j = Journal::open(&path).unwrap();
        let s = j.get(&e.id).unwrap();
        assert_eq!(s.status, Status::Pending);
        assert!(matches!(&s.entry.op, Op::AlertUpdate { base: Some(b), .. } if *b == new_base));
    }

    #[test]
    fn no_token_shaped_field_exists() {
        // The entry type has no place for credentials; this guards against adding one.
        let dir = TempDir::new("secret");
        let path = path_for(&dir.0, "p");
        let mut j = Journal::open(&path).unwrap();
        let e = entry(&mut j, "x", "hello");
        j.append(Record::Enqueued { entry: e }).unwrap();
        let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
        for word in ["token", "bearer", "authorization", "secret"] {
            assert!(!text.contains(word), "{word} in {text}");
        }
    }
}
