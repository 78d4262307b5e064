//! Checking the hash chain of a 10^6-event log, and the chain plus its RFC 9162 tree head (what
//! `verify` does before the re-run), against SHA-256 bulk throughput over the same bytes,
//! measured in the same run. `cargo bench --bench verify`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use sha2::{Digest, Sha256};

fn bench(c: &mut Criterion) {
    let n = 1_000_000u64;
    // Events shaped like a draw's target lines.
    let events = (0..n).map(|i| {
        json!({
            "event": "target", "task": "radio", "stratum": "all", "rank": i + 1,
            "id": format!("91120116MA{:08}", i),
            "ticket": hex::encode(Sha256::digest(i.to_be_bytes())),
        })
    });
    let log = dualdraw::log::chain(events).to_bytes();
    let mut g = c.benchmark_group("verify");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(log.len() as u64));
    g.bench_function("baseline_sha256_bulk", |b| {
        b.iter(|| black_box(Sha256::digest(&log)))
    });
    g.bench_function("chain_check_1e6_events", |b| {
        b.iter(|| black_box(dualdraw::log::read(&log).expect("valid").len()))
    });
    // The chain and the tree head in one pass, as `verify` runs it first.
    g.bench_function("chain_and_tree_head_1e6_events", |b| {
        b.iter(|| black_box(dualdraw::log::read_with_checkpoint(&log).expect("valid").1))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
