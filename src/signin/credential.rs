//! App sign-in (client credentials): a client secret, or a certificate whose key signs a
//! client assertion (RS256 by default, PS256 on request) naming the certificate by its
//! SHA-256 thumbprint (`x5t#S256`).

use super::aad::{Authority, Field, TokenReply, post_form};
use super::{Secret, SignInError, TokenSet};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use std::fmt;
use std::path::Path;

/// How long a client assertion is valid.
const ASSERTION_SECONDS: i64 = 600;

/// The signature algorithm of a client assertion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
pub enum AssertionAlg {
    #[default]
    RS256,
    PS256,
}

/// How an app proves who it is.
#[derive(Clone)]
pub enum AppCredential {
    Secret(Secret),
    Certificate {
        key: EncodingKey,
        /// base64url(SHA-256(certificate DER)).
        thumbprint: String,
        alg: AssertionAlg,
    },
}

impl fmt::Debug for AppCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppCredential::Secret(_) => f.write_str("AppCredential::Secret(<redacted>)"),
            AppCredential::Certificate {
                thumbprint, alg, ..
            } => write!(
                f,
                "AppCredential::Certificate {{ thumbprint: {thumbprint}, alg: {alg:?}, key: <redacted> }}"
            ),
        }
    }
}

impl AppCredential {
    /// A certificate credential from PEM text: the certificate and its private key
    /// (PKCS#8 or PKCS#1 RSA).
    pub fn certificate_pem(
        cert_pem: &str,
        key_pem: &str,
        alg: AssertionAlg,
    ) -> Result<AppCredential, SignInError> {
        let der = pem_block(cert_pem, "CERTIFICATE").ok_or_else(|| {
            SignInError::Config("certificate_file holds no PEM certificate".into())
        })?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &der);
        let key = EncodingKey::from_rsa_pem(key_pem.as_bytes()).map_err(|_| {
            SignInError::Config(
                "private_key_file holds no RSA private key in PEM (PKCS#8 or PKCS#1)".into(),
            )
        })?;
        Ok(AppCredential::Certificate {
            key,
            thumbprint: URL_SAFE_NO_PAD.encode(digest.as_ref()),
            alg,
        })
    }

    /// [`AppCredential::certificate_pem`] from files.
    pub fn certificate_files(
        cert: &Path,
        key: &Path,
        alg: AssertionAlg,
    ) -> Result<AppCredential, SignInError> {
        let read = |p: &Path, what: &str| {
            std::fs::read_to_string(p).map_err(|e| {
                SignInError::Config(format!("cannot read {what} {}: {e}", p.display()))
            })
        };
        AppCredential::certificate_pem(
            &read(cert, "certificate_file")?,
            &read(key, "private_key_file")?,
            alg,
        )
    }

    /// Signs a client assertion for `token_url`.
    fn assertion(&self, client_id: &str, token_url: &str, now: i64) -> Option<String> {
        let AppCredential::Certificate {
            key,
            thumbprint,
            alg,
        } = self
        else {
            return None;
        };
        #[derive(Serialize)]
        struct Claims<'a> {
            aud: &'a str,
            iss: &'a str,
            sub: &'a str,
            jti: String,
            nbf: i64,
            iat: i64,
            exp: i64,
        }
        let mut header = Header::new(match alg {
            AssertionAlg::RS256 => Algorithm::RS256,
            AssertionAlg::PS256 => Algorithm::PS256,
        });
        header.x5t_s256 = Some(thumbprint.clone());
        let claims = Claims {
            aud: token_url,
            iss: client_id,
            sub: client_id,
            jti: super::random_id(),
            nbf: now,
            iat: now,
            exp: now + ASSERTION_SECONDS,
        };
        jsonwebtoken::encode(&header, &claims, key).ok()
    }
}

/// The client credentials grant: an app token for `scope` (a `.../.default`).
pub async fn client_credentials(
    http: &reqwest::Client,
    authority: &Authority,
    client_id: &str,
    credential: &AppCredential,
    scope: &str,
    now: i64,
) -> Result<TokenSet, SignInError> {
    let token_url = authority.token_url();
    let mut fields = vec![
        Field {
            name: "grant_type",
            value: "client_credentials",
        },
        Field {
            name: "client_id",
            value: client_id,
        },
        Field {
            name: "scope",
            value: scope,
        },
    ];
    let assertion;
    match credential {
        AppCredential::Secret(s) => fields.push(Field {
            name: "client_secret",
            value: s.expose(),
        }),
        AppCredential::Certificate { .. } => {
            assertion = credential
                .assertion(client_id, &token_url, now)
                .ok_or_else(|| {
                    SignInError::Config("the private key cannot sign an assertion".into())
                })?;
            fields.push(Field {
                name: "client_assertion_type",
                value: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            });
            fields.push(Field {
                name: "client_assertion",
                value: &assertion,
            });
        }
    }
    let reply: TokenReply = post_form(http, &token_url, &fields).await?;
    Ok(reply.into_set(now))
}

/// The DER of the first PEM block labelled `label`.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD.decode(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::identity::{APP_CERTIFICATE_PEM, APP_PRIVATE_KEY_PEM, thumbprint_s256};

    #[test]
    fn assertions_carry_the_documented_claims_and_header() {
        for alg in [AssertionAlg::RS256, AssertionAlg::PS256] {
            let c = AppCredential::certificate_pem(APP_CERTIFICATE_PEM, APP_PRIVATE_KEY_PEM, alg)
                .unwrap();
            let a = c
                .assertion("cid", "https://login/t/oauth2/v2.0/token", 1000)
                .unwrap();
            let h = jsonwebtoken::decode_header(&a).unwrap();
            assert_eq!(format!("{:?}", h.alg), format!("{alg:?}"));
            assert_eq!(h.x5t_s256, thumbprint_s256(APP_CERTIFICATE_PEM));
            let payload: serde_json::Value = serde_json::from_slice(
                &URL_SAFE_NO_PAD
                    .decode(a.split('.').nth(1).unwrap())
                    .unwrap(),
            )
            .unwrap();
            assert_eq!(payload["aud"], "https://login/t/oauth2/v2.0/token");
            assert_eq!(payload["iss"], "cid");
            assert_eq!(payload["sub"], "cid");
            assert_eq!(payload["nbf"], 1000);
            assert_eq!(payload["exp"], 1600);
            assert_eq!(payload["jti"].as_str().unwrap().len(), 36);
        }
        assert!(
            AppCredential::certificate_pem("x", APP_PRIVATE_KEY_PEM, AssertionAlg::RS256).is_err()
        );
        assert!(
            AppCredential::certificate_pem(APP_CERTIFICATE_PEM, "x", AssertionAlg::RS256).is_err()
        );
    }
}
