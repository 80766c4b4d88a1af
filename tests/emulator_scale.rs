//! A 100,000-alert tenant generates and pages completely.
//!
//! Ignored by default (it takes a while in a debug build). Run it with
//! `cargo test --release --test emulator_scale -- --ignored --nocapture` to also see the
//! generation time, resident memory and paging time it prints; those figures are for
//! information and never asserted.

use graphsec::emulator::{self, EmulatorConfig};
use graphsec::graph::models::{Alert, parse_page};
use std::collections::HashSet;
use std::time::Instant;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "large: run explicitly, preferably with --release"]
async fn hundred_thousand_alerts_page_completely() {
    const N: usize = 100_000;
    let before = rss_kib();
    let t0 = Instant::now();
    let e = emulator::start(EmulatorConfig {
        alerts: N,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let generated = t0.elapsed();
    let after = rss_kib();
    assert_eq!(e.alert_count(), N);

    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut url = format!("{}/security/alerts_v2?$top=2000", e.base_url());
    let mut ids = HashSet::with_capacity(N);
    let mut bytes = 0usize;
    let t1 = Instant::now();
    loop {
        let body = client
            .get(&url)
            .bearer_auth("t")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        bytes += body.len();
        let page = parse_page::<Alert>(&body).unwrap();
        for a in page.items {
            assert!(ids.insert(a.id), "duplicate id");
        }
        match page.next_link {
            Some(n) => url = n,
            None => break,
        }
    }
    let paged = t1.elapsed();
    assert_eq!(ids.len(), N);

    eprintln!("generation of {N} alerts: {generated:?}");
    if let (Some(b), Some(a)) = (before, after) {
        eprintln!(
            "resident memory growth: {} MiB ({} bytes per alert)",
            (a.saturating_sub(b)) / 1024,
            a.saturating_sub(b) * 1024 / N as u64
        );
    }
    eprintln!(
        "paged {N} alerts ({} MiB of JSON) in {paged:?}, client parse included",
        bytes / (1024 * 1024)
    );
}
