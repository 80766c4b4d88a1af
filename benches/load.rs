//! Headless full load of 100,000 alerts from the emulator over loopback: alerts per second,
//! peak RSS, and bytes per alert held, compared with keeping parsed JSON trees.
//!
//! The emulator runs as a separate process (the real `graphsec emulator`), so its memory is
//! not counted against the client. Set GRAPHSEC_BENCH_ALERTS to change the tenant size.

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::StreamExt;
use graphsec::graph::auth::StaticToken;
use graphsec::graph::models::Alert;
use graphsec::graph::odata::ODataQuery;
use graphsec::graph::{BudgetConfig, Client, ClientConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Counts live heap bytes, so "bytes per alert" is exact rather than read off RSS (which
/// keeps freed pages and would blur a second measurement).
struct CountingAlloc;

static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
        }
        p
    }
}

#[global_allocator]
static ALLOC: CountingAlloc = CountingAlloc;

fn live() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

struct Emulator {
    child: Child,
    base_url: String,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator(alerts: usize) -> Emulator {
    let mut child = Command::new(env!("CARGO_BIN_EXE_graphsec"))
        .args([
            "emulator",
            "--listen",
            "127.0.0.1:0",
            "--alerts",
            &alerts.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start graphsec emulator");
    let stdout = child.stdout.take().expect("emulator stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("emulator's first line");
    let addr = first
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line from emulator: {first:?}"))
        .to_owned();
    Emulator {
        child,
        base_url: format!("{addr}/v1.0"),
    }
}

/// Peak resident set size of this process, in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    };
    field("VmHWM:")
}

async fn load_all(client: &Client) -> Vec<Alert> {
    let query = ODataQuery::new().top(1000);
    let mut pages = std::pin::pin!(client.list_alerts(&query));
    let mut alerts = Vec::new();
    while let Some(page) = pages.next().await {
        alerts.extend(page.expect("page").items);
    }
    alerts
}

/// The same pages kept as parsed `serde_json::Value` trees, for the memory comparison.
async fn load_all_as_values(base_url: &str) -> Vec<serde_json::Value> {
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("http client");
    let mut next = Some(format!("{base_url}/security/alerts_v2?$top=1000"));
    let mut out = Vec::new();
    while let Some(url) = next.take() {
        let body: serde_json::Value = http
            .get(&url)
            .bearer_auth("bench")
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        next = body
            .get("@odata.nextLink")
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        if let Some(serde_json::Value::Array(items)) = body.get("value").cloned() {
            out.extend(items);
        }
    }
    out
}

fn bench_full_load(c: &mut Criterion) {
    let n: usize = std::env::var("GRAPHSEC_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let emulator = start_emulator(n);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    // No request budget: this measures raw throughput (and is compared with the official
    // SDK, which has none). 100 pages at the default 20 burst + 120 a minute would spend
    // 40 s waiting for tokens, and the figure would measure the budget, not the client.
    let client = Client::new(
        ClientConfig {
            budget: BudgetConfig::unlimited(),
            ..ClientConfig::new(emulator.base_url.clone())
        },
        Arc::new(StaticToken::new("bench")),
    )
    .expect("client");

    // One measured load outside criterion for the memory and throughput figures.
    let before = live();
    let started = Instant::now();
    let alerts = runtime.block_on(load_all(&client));
    let elapsed = started.elapsed();
    let held = live().saturating_sub(before);
    assert_eq!(alerts.len(), n, "the load must return every alert");
    println!(
        "full load: {n} alerts in {:.2} s = {:.0} alerts/s; heap held {:.1} MiB = {} bytes/alert; peak RSS {:.1} MiB",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        held as f64 / 1048576.0,
        held / n,
        peak_rss() as f64 / 1048576.0,
    );
    drop(alerts);

    let before = live();
    let values = runtime.block_on(load_all_as_values(&emulator.base_url));
    let values_held = live().saturating_sub(before);
    println!(
        "for comparison, the same alerts kept as parsed serde_json::Value trees: {} bytes/alert",
        values_held / values.len().max(1)
    );
    drop(values);

    let mut group = c.benchmark_group("full_load");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(30));
    group.bench_function(format!("{n}_alerts_over_loopback"), |b| {
        b.iter(|| runtime.block_on(load_all(&client)).len())
    });
    group.finish();
}

criterion_group!(benches, bench_full_load);
criterion_main!(benches);
