//! Long-running Graph operations the console started (an eDiscovery estimate, say) and is
//! following, kept per profile in `<data dir>/operations/<profile>.json` so that after a
//! restart or a dropped SSH session the console resumes polling them and shows the result.
//!
//! The file is small and rewritten whole (see [`crate::private_file`]). An operation stays
//! listed until its final status has been shown once.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// One operation being followed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tracked {
    /// The eDiscovery case the operation belongs to.
    pub case_id: String,
    pub operation_id: String,
    /// The `Location` Graph answered the 202 with: followed verbatim (same origin only).
    pub location: String,
    /// Graph's action name, e.g. `estimateStatistics`.
    pub action: String,
    /// What the analyst started it on (a search's name), for the screen; sanitised there.
    pub label: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started: OffsetDateTime,
    /// Graph's final status (`succeeded`, `failed`...) once seen and not yet shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<String>,
}

/// A followed operation as the console shows it (worker → app, in
/// `Action::OperationProgress`). Text fields are Graph's, unsanitised: the UI sanitises.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationView {
    pub case_id: String,
    /// Empty while the request that starts it has not been answered.
    pub operation_id: String,
    pub action: String,
    pub label: String,
    pub started: OffsetDateTime,
    /// Graph's status; `None` before the first answer.
    pub status: Option<crate::graph::cases::OperationStatus>,
    pub percent: Option<u8>,
    /// An estimate's counts, once it succeeded.
    pub counts: Option<crate::graph::cases::EstimateCounts>,
    /// Why it could not be started or followed, one line.
    pub error: Option<String>,
    /// When the worker will ask Graph next (`None`: finished, or not yet scheduled).
    pub next_poll: Option<OffsetDateTime>,
}

impl OperationView {
    /// Graph says it will change no more, or it could not be started.
    pub fn is_finished(&self) -> bool {
        self.status.as_ref().is_some_and(|s| s.is_final())
            || (self.error.is_some() && self.operation_id.is_empty())
    }
}

/// The file for `profile` under `data_dir`.
pub fn file(data_dir: &Path, profile: &str) -> PathBuf {
    crate::private_file::per_profile(data_dir, "operations", profile)
}

/// The operations saved at `path`; none when the file is missing. A damaged file is
/// reported and read as empty: the operations still run at Graph, and the case's
/// operations list shows them.
pub fn load(path: &Path) -> (Vec<Tracked>, Option<String>) {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Vec<Tracked>>(&bytes) {
            Ok(ops) => (ops, None),
            Err(e) => (
                Vec::new(),
                Some(format!(
                    "{} is not a list of operations: {e}",
                    path.display()
                )),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Vec::new(), None),
        Err(e) => (
            Vec::new(),
            Some(format!("cannot read {}: {e}", path.display())),
        ),
    }
}

/// Replaces the file at `path` with `ops`.
pub fn save(path: &Path, ops: &[Tracked]) -> std::io::Result<()> {
    let mut body = serde_json::to_vec_pretty(ops).map_err(std::io::Error::other)?;
    body.push(b'\n');
    crate::private_file::replace(path, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn tracked_operations_read_back_and_a_bad_file_reads_empty() {
        let dir = std::env::temp_dir().join(format!("graphsec-ops-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = file(&dir, "prod");
        assert_eq!(load(&path), (Vec::new(), None));
        let op = Tracked {
            case_id: "c1".into(),
            operation_id: "op1".into(),
            location:
                "https://graph.microsoft.com/v1.0/security/cases/ediscoveryCases/c1/operations/op1"
                    .into(),
            action: "estimateStatistics".into(),
            label: "Contoso mail".into(),
            started: datetime!(2026-11-26 12:00 UTC),
            finished: None,
        };
        save(&path, std::slice::from_ref(&op)).unwrap();
        assert_eq!(load(&path), (vec![op], None));
        std::fs::write(&path, "[{").unwrap();
        let (ops, problem) = load(&path);
        assert!(ops.is_empty());
        assert!(problem.unwrap().contains("not a list of operations"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
