//! Reading a file on the jump host for a threat assessment (`fileAssessmentRequest` or
//! `emailFileAssessmentRequest`): size-checked before anything is read, base64-encoded.
//!
//! Graph refuses request bodies over 4 MB; base64 grows a file by a third, so a file of at
//! most [`MAX_FILE_BYTES`] keeps the whole request under that. The check happens here, before
//! a request exists, so the analyst learns at once and nothing is sent.

use base64::Engine as _;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest file sent for assessment: 3,000,000 bytes, 4,000,000 once base64-encoded.
pub const MAX_FILE_BYTES: u64 = 3_000_000;

/// A file read and encoded for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssessmentFile {
    /// The file's own name (no directories): what Graph is told it is called.
    pub file_name: String,
    /// The bytes, base64 (standard alphabet, padded).
    pub content_data: String,
    pub size: u64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileProblem {
    #[error("no file named {0}")]
    Missing(PathBuf),
    #[error("{0} is not a regular file")]
    NotAFile(PathBuf),
    #[error("{0} is empty: there is nothing to assess")]
    Empty(PathBuf),
    #[error(
        "{path} is {size} bytes; Graph takes files up to {limit} bytes (the request must stay under 4 MB)",
        path = path.display(),
        limit = MAX_FILE_BYTES
    )]
    TooBig { path: PathBuf, size: u64 },
    #[error("cannot read {path}: {reason}", path = path.display())]
    Unreadable { path: PathBuf, reason: String },
}

/// Reads `path` (a leading `~/` is the home directory) for an assessment. A file that grows
/// past the limit while it is read is refused too.
pub fn read_for_assessment(path: &Path) -> Result<AssessmentFile, FileProblem> {
    let path = crate::config::expand_home(path);
    let unreadable = |e: std::io::Error| FileProblem::Unreadable {
        path: path.clone(),
        reason: e.to_string(),
    };
    let meta = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(FileProblem::Missing(path));
        }
        Err(e) => return Err(unreadable(e)),
    };
    if !meta.is_file() {
        return Err(FileProblem::NotAFile(path));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooBig {
            size: meta.len(),
            path,
        });
    }
    let file = std::fs::File::open(&path).map_err(unreadable)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(FileProblem::TooBig {
            size: bytes.len() as u64,
            path,
        });
    }
    if bytes.is_empty() {
        return Err(FileProblem::Empty(path));
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(AssessmentFile {
        file_name,
        size: bytes.len() as u64,
        content_data: base64::engine::general_purpose::STANDARD.encode(&bytes),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("graphsec-assess-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn reads_and_encodes() {
        let d = temp_dir("ok");
        let p = d.join("test.txt");
        std::fs::write(&p, b"This is a test file").unwrap();
        let f = read_for_assessment(&p).unwrap();
        assert_eq!(f.file_name, "test.txt");
        assert_eq!(f.size, 19);
        // The docs' own example body for these bytes.
        assert_eq!(f.content_data, "VGhpcyBpcyBhIHRlc3QgZmlsZQ==");
    }

    #[test]
    fn refuses_missing_empty_directories_and_big_files() {
        let d = temp_dir("bad");
        assert_eq!(
            read_for_assessment(&d.join("nope")),
            Err(FileProblem::Missing(d.join("nope")))
        );
        assert_eq!(
            read_for_assessment(&d),
            Err(FileProblem::NotAFile(d.clone()))
        );
        let empty = d.join("empty");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read_for_assessment(&empty), Err(FileProblem::Empty(empty)));
        let big = d.join("big.bin");
        std::fs::write(&big, vec![b'x'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = read_for_assessment(&big).unwrap_err();
        assert_eq!(
            err,
            FileProblem::TooBig {
                path: big,
                size: MAX_FILE_BYTES + 1
            }
        );
        assert!(err.to_string().contains("up to 3000000 bytes"), "{err}");
    }

    #[test]
    fn the_limit_itself_is_allowed() {
        let d = temp_dir("limit");
        let p = d.join("edge.bin");
        std::fs::write(&p, vec![0u8; MAX_FILE_BYTES as usize]).unwrap();
        let f = read_for_assessment(&p).unwrap();
        assert_eq!(f.content_data.len(), 4_000_000);
    }
}
