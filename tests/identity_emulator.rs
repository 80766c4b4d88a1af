//! The emulator's identity endpoints over loopback with raw HTTP: device code (with its
//! switches), client credentials with a secret or a certificate assertion, refresh tokens,
//! Entra ID's error shape, and Graph routes checking the tokens.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use graphsec::emulator::identity::{
    self, APP_CERTIFICATE_PEM, APP_PRIVATE_KEY_PEM, CERTIFICATE_CLIENT_ID, CONFIDENTIAL_CLIENT_ID,
    CONFIDENTIAL_CLIENT_SECRET, DEVICE_CODE_GRANT, JWT_BEARER_ASSERTION, PUBLIC_CLIENT_ID,
};
use graphsec::emulator::{self, EmulatorConfig, IdentityConfig, RunningEmulator};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

async fn emu(identity: IdentityConfig) -> RunningEmulator {
    emulator::start(EmulatorConfig {
        alerts: 5,
        identity,
        ..Default::default()
    })
    .await
    .expect("emulator")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

async fn post(url: &str, pairs: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = http()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .expect("send");
    let status = r.status();
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
    );
    (status, r.json().await.expect("json body"))
}

fn token_url(e: &RunningEmulator) -> String {
    format!("{}/{}/oauth2/v2.0/token", e.login_endpoint(), e.tenant_id())
}

fn devicecode_url(e: &RunningEmulator) -> String {
    format!(
        "{}/{}/oauth2/v2.0/devicecode",
        e.login_endpoint(),
        e.tenant_id()
    )
}

const SCOPE: &str = "https://graph.microsoft.com/.default offline_access";

async fn start_code(e: &RunningEmulator) -> Value {
    let (s, v) = post(
        &devicecode_url(e),
        &[("client_id", PUBLIC_CLIENT_ID), ("scope", SCOPE)],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn poll(e: &RunningEmulator, device_code: &str) -> (StatusCode, Value) {
    post(
        &token_url(e),
        &[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", PUBLIC_CLIENT_ID),
            ("device_code", device_code),
        ],
    )
    .await
}

/// Entra ID's error shape, and the error and AADSTS code expected.
fn assert_aad_error(v: &Value, error: &str, code: u32) {
    assert_eq!(v["error"], error, "{v}");
    let d = v["error_description"].as_str().unwrap();
    assert!(d.starts_with(&format!("AADSTS{code}: ")), "{d}");
    assert!(
        d.contains("Trace ID: ") && d.contains("Correlation ID: "),
        "{d}"
    );
    assert_eq!(v["error_codes"], json!([code]));
    for k in ["timestamp", "trace_id", "correlation_id"] {
        assert!(v[k].as_str().is_some_and(|s| !s.is_empty()), "{k} in {v}");
    }
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn graph_get(e: &RunningEmulator, token: &str) -> reqwest::Response {
    http()
        .get(format!("{}/security/alerts_v2?$top=1", e.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn device_code_signs_in_on_the_verification_page_and_refreshes() {
    let e = emu(IdentityConfig {
        token_lifetime: Duration::from_secs(120),
        ..Default::default()
    })
    .await;
    let dc = start_code(&e).await;
    let user_code = dc["user_code"].as_str().unwrap();
    let device_code = dc["device_code"].as_str().unwrap();
    let page = dc["verification_uri"].as_str().unwrap();
    assert_eq!(page, format!("{}/devicelogin", e.login_endpoint()));
    assert_eq!(dc["interval"], 5);
    assert_eq!(dc["expires_in"], 900);
    assert!(dc["message"].as_str().unwrap().contains(user_code));

    // Not signed in yet.
    let (s, v) = poll(&e, device_code).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_aad_error(&v, "authorization_pending", 70016);

    // A wrong code on the page changes nothing; the right one (any case) signs in.
    let bad = http()
        .get(format!("{page}?user_code=NOPE12345"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let ok = http()
        .get(format!("{page}?user_code={}", user_code.to_lowercase()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.unwrap().contains(identity::SIGNED_IN_USER));

    let (s, v) = poll(&e, device_code).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["expires_in"], 120);
    let access = v["access_token"].as_str().unwrap();
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(access.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "RS256");
    let c = claims(access);
    assert_eq!(c["aud"], "https://graph.microsoft.com");
    assert_eq!(c["upn"], identity::SIGNED_IN_USER);
    assert_eq!(c["tid"], e.tenant_id());
    assert!(c["oid"].as_str().is_some());
    assert_eq!(c["appid"], PUBLIC_CLIENT_ID);
    let scp = c["scp"].as_str().unwrap();
    assert!(
        scp.contains("SecurityAlert.ReadWrite.All")
            && scp.contains("SecurityIncident.ReadWrite.All")
    );
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 120);
    let refresh = v["refresh_token"]
        .as_str()
        .expect("offline_access gives a refresh token");
    assert!(
        serde_json::from_slice::<Value>(
            &URL_SAFE_NO_PAD
                .decode(refresh.split('.').next().unwrap())
                .unwrap_or_default()
        )
        .is_err()
    );

    // Graph takes it.
    assert_eq!(graph_get(&e, access).await.status(), StatusCode::OK);

    // The code is spent.
    let (_, v) = poll(&e, device_code).await;
    assert_aad_error(&v, "invalid_grant", 54005);

    // The refresh token gives a new access token (and a new refresh token).
    let (s, v) = post(
        &token_url(&e),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", refresh),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_ne!(v["access_token"], access);
    assert!(v["refresh_token"].as_str().is_some());
    assert_eq!(
        claims(v["access_token"].as_str().unwrap())["upn"],
        identity::SIGNED_IN_USER
    );

    // Revoked: invalid_grant.
    e.identity().revoke_refresh_tokens();
    let (s, v) = post(
        &token_url(&e),
        &[
            ("grant_type", "refresh_token"),
            ("client_id", PUBLIC_CLIENT_ID),
            ("refresh_token", refresh),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_aad_error(&v, "invalid_grant", 70008);
    let stats = e.identity().stats();
    assert_eq!(
        (stats.device_codes, stats.polls, stats.refreshes),
        (1, 3, 1)
    );
}

#[tokio::test]
async fn device_code_switches() {
    // Pending for two polls, then signed in by themselves.
    let e = emu(IdentityConfig {
        pending_polls: Some(2),
        ..Default::default()
    })
    .await;
    let dc = start_code(&e).await;
    let code = dc["device_code"].as_str().unwrap();
    for _ in 0..2 {
        let (_, v) = poll(&e, code).await;
        assert_aad_error(&v, "authorization_pending", 70016);
    }
    let (s, v) = poll(&e, code).await;
    assert_eq!(s, StatusCode::OK, "{v}");

    // slow_down once, then on.
    e.identity().set_config(IdentityConfig {
        pending_polls: Some(0),
        slow_down_once: true,
        ..Default::default()
    });
    let code = start_code(&e).await["device_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, v) = poll(&e, &code).await;
    assert_aad_error(&v, "slow_down", 70016);
    let (s, _) = poll(&e, &code).await;
    assert_eq!(s, StatusCode::OK);

    // Expired.
    e.identity().set_config(IdentityConfig {
        expire_codes: true,
        ..Default::default()
    });
    let code = start_code(&e).await["device_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, v) = poll(&e, &code).await;
    assert_aad_error(&v, "expired_token", 70019);

    // Declined, by the switch and on the page.
    e.identity().set_config(IdentityConfig {
        pending_polls: Some(0),
        decline: true,
        ..Default::default()
    });
    let code = start_code(&e).await["device_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, v) = poll(&e, &code).await;
    assert_aad_error(&v, "authorization_declined", 65004);
    e.identity().set_config(IdentityConfig::default());
    let dc = start_code(&e).await;
    let page = format!(
        "{}?user_code={}&decline=1",
        dc["verification_uri"].as_str().unwrap(),
        dc["user_code"].as_str().unwrap()
    );
    assert_eq!(
        http().get(page).send().await.unwrap().status(),
        StatusCode::OK
    );
    let (_, v) = poll(&e, dc["device_code"].as_str().unwrap()).await;
    assert_aad_error(&v, "authorization_declined", 65004);

    // Invalid client: the app is unknown to the tenant.
    e.identity().set_config(IdentityConfig {
        invalid_client: true,
        ..Default::default()
    });
    let (s, v) = post(
        &devicecode_url(&e),
        &[("client_id", PUBLIC_CLIENT_ID), ("scope", SCOPE)],
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_aad_error(&v, "invalid_client", 700016);
}

#[tokio::test]
async fn requests_that_cannot_work_get_the_right_aadsts_code() {
    let e = emu(IdentityConfig::default()).await;
    // Unknown tenant.
    let (_, v) = post(
        &format!(
            "{}/no-such-tenant/oauth2/v2.0/devicecode",
            e.login_endpoint()
        ),
        &[("client_id", PUBLIC_CLIENT_ID), ("scope", SCOPE)],
    )
    .await;
    assert_aad_error(&v, "invalid_request", 90002);
    // Unknown client.
    let (_, v) = post(
        &devicecode_url(&e),
        &[
            ("client_id", "00000000-0000-0000-0000-000000000000"),
            ("scope", SCOPE),
        ],
    )
    .await;
    assert_aad_error(&v, "invalid_client", 700016);
    // Device code on a confidential app (public client flows off).
    let (s, v) = post(
        &token_url(&e),
        &[
            ("grant_type", DEVICE_CODE_GRANT),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("device_code", "x"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_aad_error(&v, "invalid_client", 7000218);
    // Missing parameter, unknown grant, unknown device code.
    let (_, v) = post(&token_url(&e), &[("client_id", PUBLIC_CLIENT_ID)]).await;
    assert_aad_error(&v, "invalid_request", 900144);
    let (_, v) = post(
        &token_url(&e),
        &[("grant_type", "password"), ("client_id", PUBLIC_CLIENT_ID)],
    )
    .await;
    assert_aad_error(&v, "unsupported_grant_type", 70003);
    let (_, v) = poll(&e, "not-a-code").await;
    assert_aad_error(&v, "invalid_grant", 70000);
    // The correlation id is the caller's client-request-id when it sends one.
    let r = http()
        .post(token_url(&e))
        .header("client-request-id", "0f0e0d0c-0b0a-4909-a807-060504030201")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("client_id", PUBLIC_CLIENT_ID)]))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["correlation_id"], "0f0e0d0c-0b0a-4909-a807-060504030201");
}

#[tokio::test]
async fn client_secret_gets_an_app_token() {
    let e = emu(IdentityConfig::default()).await;
    let (s, v) = post(
        &token_url(&e),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v.get("refresh_token").is_none());
    let c = claims(v["access_token"].as_str().unwrap());
    assert_eq!(
        c["roles"],
        json!([
            "SecurityAlert.ReadWrite.All",
            "SecurityIncident.ReadWrite.All"
        ])
    );
    assert!(c.get("upn").is_none() && c.get("scp").is_none());
    assert_eq!(c["idtyp"], "app");
    assert_eq!(
        graph_get(&e, v["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    let (s, v) = post(
        &token_url(&e),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", "wrong"),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_aad_error(&v, "invalid_client", 7000215);
    let (_, v) = post(
        &token_url(&e),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CONFIDENTIAL_CLIENT_ID),
            ("client_secret", CONFIDENTIAL_CLIENT_SECRET),
            ("scope", "SecurityAlert.Read.All"),
        ],
    )
    .await;
    assert_aad_error(&v, "invalid_scope", 1002012);
}

/// A client assertion as Entra ID documents it, with knobs to break it.
struct Assertion<'a> {
    alg: Algorithm,
    key_pem: &'a str,
    thumbprint: Option<String>,
    aud: String,
    iss: &'a str,
    jti: &'a str,
    exp_offset: i64,
}

impl Assertion<'_> {
    fn sign(&self) -> String {
        let mut h = Header::new(self.alg);
        h.x5t_s256 = self.thumbprint.clone();
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let claims = json!({
            "aud": self.aud, "iss": self.iss, "sub": self.iss, "jti": self.jti,
            "nbf": now - 5, "iat": now - 5, "exp": now + self.exp_offset,
        });
        let key = EncodingKey::from_rsa_pem(self.key_pem.as_bytes()).unwrap();
        jsonwebtoken::encode(&h, &claims, &key).unwrap()
    }
}

async fn redeem_assertion(e: &RunningEmulator, assertion: &str) -> (StatusCode, Value) {
    post(
        &token_url(e),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", CERTIFICATE_CLIENT_ID),
            ("client_assertion_type", JWT_BEARER_ASSERTION),
            ("client_assertion", assertion),
            ("scope", "https://graph.microsoft.com/.default"),
        ],
    )
    .await
}

#[tokio::test]
async fn certificate_assertions_are_checked() {
    let e = emu(IdentityConfig::default()).await;
    let good = |alg, jti: &'static str| Assertion {
        alg,
        key_pem: APP_PRIVATE_KEY_PEM,
        thumbprint: identity::thumbprint_s256(APP_CERTIFICATE_PEM),
        aud: token_url(&e),
        iss: CERTIFICATE_CLIENT_ID,
        jti,
        exp_offset: 600,
    };
    for (alg, jti) in [(Algorithm::RS256, "j-rs"), (Algorithm::PS256, "j-ps")] {
        let (s, v) = redeem_assertion(&e, &good(alg, jti).sign()).await;
        assert_eq!(s, StatusCode::OK, "{alg:?}: {v}");
        let c = claims(v["access_token"].as_str().unwrap());
        assert_eq!(c["roles"], json!(["SecurityAlert.Read.All"]));
        assert_eq!(c["appid"], CERTIFICATE_CLIENT_ID);
    }
    // The same jti twice is a replay.
    let (_, v) = redeem_assertion(&e, &good(Algorithm::RS256, "j-rs").sign()).await;
    assert_aad_error(&v, "invalid_client", 700027);

    let other_key = include_str!("fixtures/unregistered-key.pem");
    let broken: Vec<(&str, Assertion)> = vec![
        (
            "another key",
            Assertion {
                key_pem: other_key,
                ..good(Algorithm::RS256, "b1")
            },
        ),
        (
            "no thumbprint",
            Assertion {
                thumbprint: None,
                ..good(Algorithm::RS256, "b2")
            },
        ),
        (
            "wrong thumbprint",
            Assertion {
                thumbprint: Some(URL_SAFE_NO_PAD.encode([7u8; 32])),
                ..good(Algorithm::RS256, "b3")
            },
        ),
        (
            "wrong audience",
            Assertion {
                aud: "https://login.microsoftonline.com/x/oauth2/v2.0/token".into(),
                ..good(Algorithm::RS256, "b4")
            },
        ),
        (
            "wrong issuer",
            Assertion {
                iss: CONFIDENTIAL_CLIENT_ID,
                ..good(Algorithm::RS256, "b5")
            },
        ),
        (
            "expired",
            Assertion {
                exp_offset: -120,
                ..good(Algorithm::RS256, "b6")
            },
        ),
        (
            "no jti",
            Assertion {
                jti: "",
                ..good(Algorithm::RS256, "b7")
            },
        ),
    ];
    for (what, a) in broken {
        let (s, v) = redeem_assertion(&e, &a.sign()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{what}: {v}");
        assert_aad_error(&v, "invalid_client", 700027);
    }
}

#[tokio::test]
async fn graph_refuses_expired_and_foreign_jwts_but_takes_opaque_tokens() {
    let e = emu(IdentityConfig::default()).await;
    assert_eq!(
        graph_get(&e, "opaque-script-token").await.status(),
        StatusCode::OK
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut c: identity::AccessClaims = serde_json::from_value(claims(&identity::user_token(
        "a@b.c",
        Duration::from_secs(60),
    )))
    .unwrap();
    c.exp = now - 5;
    c.nbf = now - 100;
    let expired = identity::sign(&c);
    let forged = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD
            .encode(r#"{"upn":"x@y","aud":"https://graph.microsoft.com","exp":9999999999}"#)
    );
    for (token, message) in [
        (expired.as_str(), "expired"),
        (forged.as_str(), "signature"),
    ] {
        let r = graph_get(&e, token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(
            r.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer")
        );
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["code"], "InvalidAuthenticationToken");
        assert!(
            v["error"]["message"].as_str().unwrap().contains(message),
            "{v}"
        );
    }
}

#[test]
fn the_app_certificate_can_be_written_for_tests() {
    let dir = std::env::temp_dir().join(format!("graphsec-appcert-{}", std::process::id()));
    let (cert, key) = identity::write_app_certificate(&dir).unwrap();
    assert_eq!(std::fs::read_to_string(&cert).unwrap(), APP_CERTIFICATE_PEM);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let _ = std::fs::remove_dir_all(dir);
}
