//! The token cache: one file per profile, tenant, client and scope under the XDG cache dir
//! (`$XDG_CACHE_HOME/graphsec/tokens/`), created 0600 in a 0700 directory and replaced
//! atomically (write a temporary file, fsync it, rename it over the old one, fsync the
//! directory), so a crash leaves the old file or the new one, never half of one.

use super::TokenSet;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const VERSION: u32 = 1;

/// Where one sign-in's tokens are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenCache {
    path: PathBuf,
    profile: String,
}

#[derive(Serialize, Deserialize)]
struct File {
    version: u32,
    profile: String,
    tenant: String,
    client_id: String,
    scopes: String,
    tokens: TokenSet,
}

impl TokenCache {
    /// The cache of `profile` for this tenant, client and scope list, under `dir` (usually
    /// [`default_dir`]).
    pub fn new(
        dir: &Path,
        profile: &str,
        tenant: &str,
        client_id: &str,
        scopes: &[String],
    ) -> Self {
        let safe: String = profile
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(64)
            .collect();
        let key = format!("{tenant}\n{client_id}\n{}", scopes.join(" "));
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, key.as_bytes());
        let hex: String = digest.as_ref()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        TokenCache {
            path: dir.join(format!("{safe}-{hex}.json")),
            profile: profile.to_owned(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cached tokens; `None` when there are none or the file cannot be read (a broken
    /// cache only means signing in again).
    pub fn load(&self) -> Option<TokenSet> {
        let text = std::fs::read(&self.path).ok()?;
        let file: File = serde_json::from_slice(&text).ok()?;
        (file.version == VERSION).then_some(file.tokens)
    }

    /// Replaces the cache atomically with `tokens`, 0600.
    pub fn save(
        &self,
        tenant: &str,
        client_id: &str,
        scopes: &[String],
        tokens: &TokenSet,
    ) -> std::io::Result<()> {
        let body = serde_json::to_vec(&File {
            version: VERSION,
            profile: self.profile.clone(),
            tenant: tenant.to_owned(),
            client_id: client_id.to_owned(),
            scopes: scopes.join(" "),
            tokens: tokens.clone(),
        })
        .map_err(std::io::Error::other)?;
        crate::private_file::replace(&self.path, &body)
    }

    /// Deletes the cache; true when there was one.
    pub fn delete(&self) -> std::io::Result<bool> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// Deletes every cache file of `profile` under `dir` (all tenants, clients, scopes);
/// returns how many there were.
pub fn delete_profile(dir: &Path, profile: &str) -> std::io::Result<usize> {
    let probe = TokenCache::new(dir, profile, "", "", &[]);
    let name = probe
        .path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_owned();
    // "<profile>-<16 hex>.json": the same prefix, a 16-digit hash.
    let prefix = &name[..name.len() - "0123456789abcdef.json".len()];
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut n = 0;
    for entry in entries.flatten() {
        let file = entry.file_name();
        let Some(file) = file.to_str() else { continue };
        let Some(rest) = file.strip_prefix(prefix) else {
            continue;
        };
        let is_ours = rest.len() == "0123456789abcdef.json".len()
            && rest.ends_with(".json")
            && rest[..16].chars().all(|c| c.is_ascii_hexdigit());
        if is_ours {
            std::fs::remove_file(entry.path())?;
            n += 1;
        }
    }
    Ok(n)
}

/// `$XDG_CACHE_HOME/graphsec/tokens`.
pub fn default_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "graphsec").map(|d| d.cache_dir().join("tokens"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signin::Secret;

    fn tokens(n: i64) -> TokenSet {
        TokenSet {
            access_token: Secret::new(format!("at-{n}")),
            refresh_token: Some(Secret::new("rt")),
            expires_at: n,
            scope: "s".into(),
        }
    }

    #[test]
    fn saves_0600_atomically_loads_and_deletes_per_profile() {
        let dir = std::env::temp_dir().join(format!(
            "graphsec-cache-{}-{:x}",
            std::process::id(),
            crate::graph::retry::random_u64()
        ));
        let scopes = vec!["a".to_owned()];
        let c = TokenCache::new(&dir, "prod", "t", "c", &scopes);
        let other = TokenCache::new(&dir, "prod", "t2", "c", &scopes);
        let lab = TokenCache::new(&dir, "prod-lab", "t", "c", &scopes);
        assert_ne!(c.path(), other.path());
        assert_eq!(c.load(), None);
        for n in 0..3 {
            c.save("t", "c", &scopes, &tokens(n)).unwrap();
            assert_eq!(c.load(), Some(tokens(n)));
        }
        other.save("t2", "c", &scopes, &tokens(9)).unwrap();
        lab.save("t", "c", &scopes, &tokens(7)).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(c.path()), 0o600);
            assert_eq!(mode(&dir), 0o700);
        }
        // Only the final files: no temporaries left behind.
        let names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(
            names
                .iter()
                .all(|n| n.ends_with(".json") && !n.starts_with('.'))
        );
        // A broken file is no cache.
        std::fs::write(c.path(), b"{not json").unwrap();
        assert_eq!(c.load(), None);
        assert_eq!(delete_profile(&dir, "prod").unwrap(), 2);
        assert_eq!(lab.load(), Some(tokens(7)), "another profile's cache stays");
        assert!(lab.delete().unwrap());
        assert!(!lab.delete().unwrap());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
