//! TLS trust and TLS failures.
//!
//! The client trusts the system's CA store (reqwest's `rustls` feature verifies through
//! `rustls-platform-verifier`) plus, per profile, the certificates of a `ca_file`: on a
//! corporate jump host a TLS-inspecting proxy re-signs every site with its own CA, which
//! the system store often lacks. When a handshake fails anyway, [`TlsProblem`] says which
//! of the usual causes it was, in words an analyst can act on.

use crate::sanitize::line;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use std::fmt;
use std::path::{Path, PathBuf};

/// CA certificates trusted on top of the system's (a profile's `ca_file`).
#[derive(Clone, PartialEq, Eq)]
pub struct ExtraRoots {
    source: PathBuf,
    certs: Vec<CertificateDer<'static>>,
}

/// Shows where the certificates came from and how many, not their bytes.
impl fmt::Debug for ExtraRoots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExtraRoots")
            .field("source", &self.source)
            .field("certificates", &self.certs.len())
            .finish()
    }
}

/// Why a `ca_file` cannot be used. Each names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaFileError {
    #[error("cannot read ca_file {}: {source}", line(&.path.display().to_string()))]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "ca_file {} holds no certificate: give PEM (-----BEGIN CERTIFICATE----- blocks)",
        line(&.path.display().to_string())
    )]
    Empty { path: PathBuf },
    #[error("ca_file {}: certificate {index} cannot be used: {reason}", line(&.path.display().to_string()))]
    Invalid {
        path: PathBuf,
        /// 1-based position in the file.
        index: usize,
        reason: String,
    },
}

impl ExtraRoots {
    /// Reads and checks a PEM file of one or more CA certificates.
    pub fn load(path: &Path) -> Result<ExtraRoots, CaFileError> {
        let pem = std::fs::read(path).map_err(|source| CaFileError::Read {
            path: path.to_owned(),
            source,
        })?;
        ExtraRoots::from_pem(path, &pem)
    }

    /// Parses PEM text (`source` names it in errors). Other PEM sections (keys, CRLs) are
    /// ignored; every certificate must be usable as a trust anchor.
    pub fn from_pem(source: &Path, pem: &[u8]) -> Result<ExtraRoots, CaFileError> {
        let invalid = |index: usize, reason: String| CaFileError::Invalid {
            path: source.to_owned(),
            index,
            reason,
        };
        let mut certs = Vec::new();
        for (i, cert) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let cert = cert.map_err(|e| invalid(i + 1, e.to_string()))?;
            // The same check the verifier makes when it takes the roots.
            rustls::RootCertStore::empty()
                .add(cert.clone())
                .map_err(|e| invalid(i + 1, e.to_string()))?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(CaFileError::Empty {
                path: source.to_owned(),
            });
        }
        Ok(ExtraRoots {
            source: source.to_owned(),
            certs,
        })
    }

    /// Where the certificates came from.
    pub fn source(&self) -> &Path {
        &self.source
    }

    /// How many certificates the file held.
    pub fn len(&self) -> usize {
        self.certs.len()
    }

    /// Never true: an empty file is refused.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    pub(crate) fn certificates(&self) -> Result<Vec<reqwest::Certificate>, reqwest::Error> {
        self.certs
            .iter()
            .map(|c| reqwest::Certificate::from_der(c.as_ref()))
            .collect()
    }
}

/// Why a TLS handshake failed, as far as an analyst can act on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsProblem {
    /// The chain ends at a CA this machine does not trust: typically a corporate proxy
    /// re-signing traffic.
    UnknownIssuer,
    Expired,
    NotValidYet,
    /// The certificate is for other names than the host asked for.
    WrongName,
    /// Another certificate problem (revoked, bad signature, wrong usage, ...).
    Certificate(String),
    /// The handshake failed for a reason other than the certificate.
    Handshake(String),
}

impl TlsProblem {
    /// One line naming the host and the cause (and the fix, where there is one).
    pub fn describe(&self, host: &str) -> String {
        let host = line(host);
        match self {
            TlsProblem::UnknownIssuer => format!(
                "the certificate of {host} is signed by a CA this machine does not trust: \
                 set ca_file in the profile to your proxy's CA"
            ),
            TlsProblem::Expired => {
                format!("the certificate of {host} has expired (or this machine's clock is wrong)")
            }
            TlsProblem::NotValidYet => format!(
                "the certificate of {host} is not valid yet (or this machine's clock is wrong)"
            ),
            TlsProblem::WrongName => format!(
                "the certificate presented for {host} is not valid for that name \
                 (a proxy or a wrong endpoint?)"
            ),
            TlsProblem::Certificate(why) => {
                format!("the certificate of {host} was refused: {}", line(why))
            }
            TlsProblem::Handshake(why) => format!("TLS with {host} failed: {}", line(why)),
        }
    }

    /// Finds a TLS failure in an error and its causes.
    pub fn find(err: &(dyn std::error::Error + 'static)) -> Option<TlsProblem> {
        let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = cur {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(TlsProblem::from_rustls(tls));
            }
            // tokio-rustls hands rustls errors up inside an io::Error (itself inside
            // another), and an io::Error's `source()` skips the error it wraps.
            cur = match e.downcast_ref::<std::io::Error>() {
                Some(io) => io.get_ref().map(|inner| inner as _),
                None => e.source(),
            };
        }
        None
    }

    fn from_rustls(e: &rustls::Error) -> TlsProblem {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer => TlsProblem::UnknownIssuer,
                C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => TlsProblem::NotValidYet,
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
                other => TlsProblem::Certificate(format!("{other:?}")),
            },
            other => TlsProblem::Handshake(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca_pem() -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn pem_bundles_load_every_certificate() {
        let bundle = format!("junk before\n{}\n{}", ca_pem(), ca_pem());
        let roots = ExtraRoots::from_pem(Path::new("proxy.pem"), bundle.as_bytes()).unwrap();
        assert_eq!(roots.len(), 2);
        assert_eq!(roots.source(), Path::new("proxy.pem"));
        assert_eq!(roots.certificates().unwrap().len(), 2);
        assert!(!format!("{roots:?}").contains("BEGIN"));
    }

    #[test]
    fn unusable_files_are_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("graphsec-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let text = ExtraRoots::load(&missing).unwrap_err().to_string();
        assert!(
            text.starts_with("cannot read ca_file ") && text.contains("missing.pem"),
            "{text}"
        );

        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let text = ExtraRoots::load(&empty).unwrap_err().to_string();
        assert!(
            text.contains("empty.pem") && text.contains("holds no certificate"),
            "{text}"
        );

        let garbage = dir.join("garbage.pem");
        std::fs::write(
            &garbage,
            format!(
                "{}-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                ca_pem()
            ),
        )
        .unwrap();
        let text = ExtraRoots::load(&garbage).unwrap_err().to_string();
        assert!(
            text.contains("garbage.pem") && text.contains("certificate 2 cannot be used"),
            "{text}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn problems_read_as_one_line_naming_the_host() {
        let unknown = TlsProblem::from_rustls(&rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ));
        assert_eq!(
            unknown.describe("graph.microsoft.com"),
            "the certificate of graph.microsoft.com is signed by a CA this machine does not \
             trust: set ca_file in the profile to your proxy's CA"
        );
        for (err, want) in [
            (rustls::CertificateError::Expired, "has expired"),
            (rustls::CertificateError::NotValidYet, "is not valid yet"),
            (
                rustls::CertificateError::NotValidForName,
                "not valid for that name",
            ),
            (rustls::CertificateError::Revoked, "was refused: Revoked"),
        ] {
            let text =
                TlsProblem::from_rustls(&rustls::Error::InvalidCertificate(err)).describe("h\x1b");
            assert!(text.contains(want) && !text.contains('\x1b'), "{text}");
        }
        // Wrapped as tokio-rustls and hyper wrap it.
        let io = std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        );
        assert_eq!(TlsProblem::find(&io), Some(TlsProblem::UnknownIssuer));
        let twice = std::io::Error::other(io);
        assert_eq!(TlsProblem::find(&twice), Some(TlsProblem::UnknownIssuer));
        let plain = std::io::Error::other("connection refused");
        assert_eq!(TlsProblem::find(&plain), None);
    }
}
