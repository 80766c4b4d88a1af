//! Planned controls (the `:controls` what-if marks), kept per profile as a small JSON file
//! under the XDG data dir: `<data dir>/planned/<profile>.json`, a sorted list of control ids.
//!
//! Written whole, atomically (temporary file, fsync, rename), mode 0600 like the outbox:
//! which controls a tenant has not achieved is worth keeping to its analysts.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The file for `profile` under `data_dir` (a name that can't leave the directory).
pub fn file(data_dir: &Path, profile: &str) -> PathBuf {
    crate::private_file::per_profile(data_dir, "planned", profile)
}

/// The ids saved at `path`; none when the file is missing. A damaged file is reported and
/// read as empty (the marks are a convenience; the console must still open).
pub fn load(path: &Path) -> (BTreeSet<String>, Option<String>) {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Vec<String>>(&bytes) {
            Ok(ids) => (ids.into_iter().collect(), None),
            Err(e) => (
                BTreeSet::new(),
                Some(format!(
                    "{} is not a list of control ids: {e}",
                    path.display()
                )),
            ),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => (BTreeSet::new(), None),
        Err(e) => (
            BTreeSet::new(),
            Some(format!("cannot read {}: {e}", path.display())),
        ),
    }
}

/// Replaces the file at `path` with `ids` (whole, atomically, 0600).
pub fn save(path: &Path, ids: &[String]) -> std::io::Result<()> {
    let mut body = serde_json::to_vec_pretty(ids).map_err(std::io::Error::other)?;
    body.push(b'\n');
    crate::private_file::replace(path, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    /// A fresh directory per test, removed at the end.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir()
                .join(format!("graphsec-planned-{name}-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn saved_marks_read_back_and_the_file_is_private() {
        let dir = Scratch::new("roundtrip");
        let path = file(dir.path(), "prod");
        assert_eq!(load(&path), (BTreeSet::new(), None));
        save(&path, &["b".to_owned(), "a".to_owned()]).unwrap();
        let (ids, problem) = load(&path);
        assert_eq!(problem, None);
        assert_eq!(ids.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn profile_names_cannot_leave_the_directory_and_bad_files_read_empty() {
        let dir = Scratch::new("names");
        assert_eq!(
            file(dir.path(), "../x/y"),
            dir.path().join("planned").join(".._x_y.json")
        );
        assert_eq!(file(dir.path(), ".."), dir.path().join("planned/_.json"));
        let path = file(dir.path(), "p");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "{").unwrap();
        let (ids, problem) = load(&path);
        assert!(ids.is_empty());
        assert!(problem.unwrap().contains("not a list of control ids"));
    }
}
