//! `--tls`: the emulator over HTTPS with certificates made at start-up.
//!
//! A fresh CA (never written anywhere but where the caller asks) signs one server
//! certificate for `localhost`, `127.0.0.1` and `::1` (plus the listen address when it is
//! another). Clients trust the CA, not the server certificate, as they would a corporate
//! proxy's CA; the CA's key lives only in memory and is dropped once the leaf is signed.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use time::{Duration, OffsetDateTime};

/// The PEM texts of one generated CA and the server certificate it signed.
#[derive(Clone)]
pub struct TlsCertificates {
    /// The CA certificate to give clients (`--tls-ca-out`, a profile's `ca_file`).
    pub ca_pem: String,
    /// The server certificate followed by the CA certificate.
    pub chain_pem: String,
    /// The server certificate's private key (PKCS#8).
    pub key_pem: String,
}

/// Shows nothing of the key.
impl std::fmt::Debug for TlsCertificates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCertificates").finish_non_exhaustive()
    }
}

/// Makes a CA and a server certificate for loopback (and `listen`, when it is a specific
/// address), valid from an hour ago for 30 days.
pub fn generate(listen: IpAddr) -> Result<TlsCertificates, rcgen::Error> {
    let now = OffsetDateTime::now_utc();
    let not_before = now - Duration::hours(1);
    let not_after = now + Duration::days(30);

    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.distinguished_name = name("graphsec emulator CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.not_before = not_before;
    ca.not_after = not_after;
    let ca_cert = ca.self_signed(&ca_key)?;
    let issuer = Issuer::new(ca, ca_key);

    let mut ips: Vec<IpAddr> = vec![Ipv4Addr::LOCALHOST.into(), Ipv6Addr::LOCALHOST.into()];
    if !listen.is_unspecified() && !ips.contains(&listen) {
        ips.push(listen);
    }
    let leaf_key = KeyPair::generate()?;
    let mut leaf = CertificateParams::new(vec!["localhost".to_owned()])?;
    leaf.subject_alt_names
        .extend(ips.into_iter().map(SanType::IpAddress));
    leaf.distinguished_name = name("graphsec emulator");
    leaf.is_ca = IsCa::ExplicitNoCa;
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.not_before = not_before;
    leaf.not_after = not_after;
    let leaf_cert = leaf.signed_by(&leaf_key, &issuer)?;

    let ca_pem = ca_cert.pem();
    Ok(TlsCertificates {
        chain_pem: format!("{}{}", leaf_cert.pem(), ca_pem),
        key_pem: leaf_key.serialize_pem(),
        ca_pem,
    })
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    dn
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ca_is_a_usable_trust_anchor_and_the_key_stays_out_of_it() {
        let certs = generate(IpAddr::from([127, 0, 0, 1])).unwrap();
        let roots = crate::graph::ExtraRoots::from_pem(
            std::path::Path::new("ca.pem"),
            certs.ca_pem.as_bytes(),
        )
        .unwrap();
        assert_eq!(roots.len(), 1);
        assert!(!certs.ca_pem.contains("PRIVATE KEY"));
        assert!(certs.key_pem.contains("PRIVATE KEY"));
        assert_eq!(certs.chain_pem.matches("BEGIN CERTIFICATE").count(), 2);
        assert!(certs.chain_pem.ends_with(&certs.ca_pem));
        assert!(!format!("{certs:?}").contains("PRIVATE"));
    }
}
