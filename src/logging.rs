//! Logging goes to a file under the XDG state dir, never to the terminal: while the console
//! runs, anything written to stdout/stderr would corrupt the screen.

use crate::sanitize;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// The environment variable that sets the log filter (e.g. `debug`, `graphsec=trace`).
pub const LOG_ENV: &str = "GRAPHSEC_LOG";

/// Opens (creating 0600) the log file in `dir` and installs the global subscriber.
/// Returns the file's path so the user can be told where to look.
pub fn init(dir: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("graphsec.log");
    let file = open_private(&path)?;
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info"));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(Sanitized(file)))
        .with_ansi(false)
        .with_target(true)
        .try_init();
    if installed.is_err() {
        // A subscriber is already set (tests, or a second init): keep it.
    }
    Ok(path)
}

/// A writer that passes every log record through [`sanitize::log_record`]. Graph values are
/// sanitised before they are logged; this is the backstop for one that is not (a field
/// added later, a dependency's message quoting a server reply), so the log file is safe
/// to `cat` or `tail -f` on a terminal.
#[derive(Debug)]
pub struct Sanitized<W>(pub W);

impl<W: Write> Write for Sanitized<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // The formatter writes one whole record per call, so records are never split here.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(sanitize::log_record(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

/// Opens a file for appending that only the owner can read, and tightens an existing one.
pub fn open_private(path: &Path) -> io::Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)?;
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn log_files_are_private() {
        let dir = std::env::temp_dir().join(format!("graphsec-log-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.log");
        std::fs::write(&path, b"").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        open_private(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn records_are_sanitised_on_the_way_to_the_file() {
        let mut w = Sanitized(Vec::new());
        let rec = b"WARN graphsec: error=\x1b]52;c;eA==\x07 \xe2\x80\xae done\n";
        assert_eq!(w.write(rec).unwrap(), rec.len());
        let out = String::from_utf8(w.0).unwrap();
        assert_eq!(
            out,
            "WARN graphsec: error=\u{FFFD}]52;c;eA==\u{FFFD} \u{FFFD} done\n"
        );
    }
}
