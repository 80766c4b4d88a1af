//! Correlation cost with 100,000 alerts, each naming a user, a device, an IP and a file.
//!
//! - `read entities (100k)`: [`correlate::alert_entities`] for every alert, the slim
//!   deserialiser the queue runs once per alert as pages arrive (spread over the load).
//! - `naive evidence_details (100k)`: what opening the pane would cost if it parsed every
//!   alert's full evidence on demand instead (for comparison only).
//! - `open pane: correlate (100k)`: aggregating the precomputed lists, which is all that
//!   opening `:entities` (or a finished reload) does.
//!
//! Run: `cargo bench --bench entities -- --warm-up-time 1 --measurement-time 3`

use criterion::{Criterion, criterion_group, criterion_main};
use graphsec::correlate::{self, EntityRef};
use graphsec::graph::models::Alert;
use serde_json::json;
use std::hint::black_box;

const ALERTS: usize = 100_000;

/// A deterministic pseudo-random pick (no rand crate needed for test data).
fn mix(i: usize, salt: u64) -> usize {
    let mut x = (i as u64)
        .wrapping_add(salt)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^= x >> 31;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 29)) as usize
}

fn alerts() -> Vec<Alert> {
    let sources = [
        "microsoftDefenderForEndpoint",
        "microsoftDefenderForIdentity",
        "microsoftDefenderForOffice365",
        "azureAdIdentityProtection",
    ];
    let sev = ["high", "medium", "low", "informational"];
    (0..ALERTS)
        .map(|i| {
            let v = json!({
                "id": format!("bench-{i:06}"),
                "title": "Invented alert for the correlation benchmark",
                "severity": sev[mix(i, 1) % 4],
                "status": "new",
                "serviceSource": sources[mix(i, 2) % 4],
                "incidentId": (mix(i, 3) % 20_000).to_string(),
                "createdDateTime": format!("2026-11-{:02}T{:02}:00:00Z", 1 + i % 25, i % 24),
                "evidence": [
                    {"@odata.type": "#microsoft.graph.security.userEvidence", "verdict": "suspicious",
                     "roles": ["compromised"],
                     "userAccount": {"userPrincipalName": format!("user{}@fabrikam.example", mix(i, 4) % 2_000),
                                     "accountName": "acct", "domainName": "FABRIKAM", "userSid": "S-1-5-21-1"}},
                    {"@odata.type": "#microsoft.graph.security.deviceEvidence", "verdict": "suspicious",
                     "deviceDnsName": format!("ws-{:05}.fabrikam.example", mix(i, 5) % 5_000),
                     "mdeDeviceId": "0123456789abcdef", "osPlatform": "Windows11", "healthStatus": "active"},
                    {"@odata.type": "#microsoft.graph.security.ipEvidence",
                     "ipAddress": format!("198.51.{}.{}", mix(i, 6) % 12, mix(i, 7) % 250)},
                    {"@odata.type": "#microsoft.graph.security.fileEvidence",
                     "fileDetails": {"fileName": "tool.exe", "filePath": "C:\\Temp",
                                     "sha256": format!("{:064x}", mix(i, 8) % 500), "sha1": "00", "fileSize": 1024}}
                ]
            });
            Alert::from_json(&v.to_string()).expect("bench alert parses")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let alerts = alerts();
    let refs: Vec<Vec<EntityRef>> = alerts.iter().map(correlate::alert_entities).collect();
    let entities = correlate::correlate(alerts.iter().zip(refs.iter().map(Vec::as_slice)));
    println!("{} alerts, {} entities", alerts.len(), entities.len());
    let mut g = c.benchmark_group("entities");
    g.sample_size(10);
    g.bench_function("read entities (100k)", |b| {
        b.iter(|| {
            alerts
                .iter()
                .map(|a| correlate::alert_entities(black_box(a)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("naive evidence_details (100k)", |b| {
        b.iter(|| {
            alerts
                .iter()
                .map(|a| black_box(a).evidence_details().len())
                .sum::<usize>()
        })
    });
    g.bench_function("open pane: correlate (100k)", |b| {
        b.iter(|| correlate::correlate(alerts.iter().zip(refs.iter().map(Vec::as_slice))).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
