//! Small private files replaced whole: the token cache, planned controls, tracked
//! long-running operations. Each write goes to a fresh temporary file (0600, created
//! exclusively) beside the target, is synced, renamed over the target, and the directory is
//! synced so the rename itself survives a crash. Readers see the old file or the new one,
//! never half of either.

use std::io::Write;
use std::path::Path;

/// `<data_dir>/<kind>/<profile>.json`. Profile names come from the config; anything but
/// letters, digits, `-`, `_` and `.` becomes `_`, and a name of dots only becomes `_`, so a
/// name can't leave the directory.
pub fn per_profile(data_dir: &Path, kind: &str, profile: &str) -> std::path::PathBuf {
    let safe: String = profile
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = if safe.trim_matches('.').is_empty() {
        "_".to_owned()
    } else {
        safe
    };
    data_dir.join(kind).join(format!("{safe}.json"))
}

/// Creates `dir` and its parents, 0700 where they are new.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Replaces `path` with `body` atomically, 0600, creating its directory (0700).
pub fn replace(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    create_dir(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(
        ".{name}.{}.{:x}.tmp",
        std::process::id(),
        crate::graph::retry::random_u64()
    ));
    let result = (|| {
        let mut f = new_private(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn new_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn replaces_whole_private_and_leaves_no_temporary_file() {
        let dir = std::env::temp_dir().join(format!("graphsec-private-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let path = dir.join("sub").join("x.json");
        replace(&path, b"one").unwrap();
        replace(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["x.json"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
