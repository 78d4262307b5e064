//! Streaming target draw against the cost of merely parsing the same CSV.
//!
//! Both read the same in-memory bytes of a synthetic, id-sorted directory; the baseline is the
//! csv crate's `ByteRecord` loop, measured in the same run. Rows: `DUALDRAW_BENCH_ROWS`
//! (default 1,000,000).
//!
//! A third measurement bounds what any implementation of SPEC.md could reach: the SHA-256
//! work the specification itself requires of these rows (each record's RFC 6962 leaf, the
//! tree's n − 1 nodes, and a ticket per eligible row and task), done on one core with the
//! inputs prepared beforehand.
//!
//! `cargo bench --bench stream` (README records the figures).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use dualdraw::plan::Plan;

const PLAN: &str = r#"
id = "BENCH"
title = "bench"
inspection_date = "2020-10-20"
targets = "t.csv"
officers = "o.csv"
[[task]]
id = "radio"
domain = "无线电"
item = { name = "n", basis = "b" }
scope = { domains = ["无线电"] }
sample = { count = 100 }
exclude_inspected_within_days = 365
team = { size = 2 }
[[task]]
id = "chemicals"
domain = "监控化学品"
item = { name = "n", basis = "b" }
scope = { domains = ["监控化学品"] }
sample = { by_class = { A = "0.1%", B = "0.2%", C = "1%", D = "5%", none = "1%" } }
team = { size = 2 }
[[task]]
id = "all"
domain = "电力"
item = { name = "n", basis = "b" }
sample = { ratio = "0.03%" }
team = { size = 2 }
"#;

fn rows() -> u64 {
    std::env::var("DUALDRAW_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000)
}

fn bench(c: &mut Criterion) {
    let n = rows();
    let mut data = Vec::new();
    dualdraw::synth::targets(&mut data, n, 1).expect("generate");
    let plan = Plan::from_toml(PLAN, "plan.toml".as_ref()).expect("plan");
    let mut g = c.benchmark_group("stream");
    g.sample_size(10);
    g.throughput(Throughput::Elements(n));
    g.bench_function("baseline_csv_byterecord_parse", |b| {
        b.iter(|| {
            let mut rdr = csv::Reader::from_reader(data.as_slice());
            let mut rec = csv::ByteRecord::new();
            let mut fields = 0usize;
            while rdr.read_byte_record(&mut rec).expect("csv") {
                fields += rec.len();
            }
            black_box(fields)
        })
    });
    // The required hashing, inputs prepared outside the timing.
    let targets = dualdraw::directory::read_targets(data.as_slice(), "t.csv".as_ref()).expect("t");
    let leaves: Vec<Vec<u8>> = targets
        .records()
        .iter()
        .map(|e| e.canonical_bytes())
        .collect();
    let hashers: Vec<dualdraw::target::TicketHasher> = plan
        .tasks
        .iter()
        .map(|t| {
            dualdraw::target::TicketHasher::new(&dualdraw::seed::task_key(
                "bench-seed",
                &plan.id,
                &t.id,
            ))
        })
        .collect();
    let mut eligible: Vec<(usize, &str)> = Vec::new();
    for e in targets.records() {
        for (k, t) in plan.tasks.iter().enumerate() {
            if matches!(
                dualdraw::internals::eligibility(&plan, t, e),
                dualdraw::internals::Eligibility::Eligible(_)
            ) {
                eligible.push((k, e.id.as_str()));
            }
        }
    }
    g.bench_function("required_sha256_work_one_core", |b| {
        b.iter(|| {
            let mut tree = dualdraw::merkle::TreeBuilder::new();
            for l in &leaves {
                tree.push(l);
            }
            let mut x = 0u8;
            for (k, id) in &eligible {
                x ^= hashers[*k].ticket(id)[0];
            }
            black_box((tree.head(), x))
        })
    });
    g.bench_function("streaming_draw", |b| {
        b.iter(|| {
            let r = dualdraw::internals::select_stream(
                data.as_slice(),
                "t.csv".as_ref(),
                &plan,
                "bench-seed",
                &mut |_| {},
            )
            .expect("draw");
            black_box(r.digest)
        })
    });
    g.bench_function("streaming_draw_one_thread", |b| {
        b.iter(|| {
            let r = dualdraw::internals::select_stream_with(
                data.as_slice(),
                "t.csv".as_ref(),
                &plan,
                "bench-seed",
                &mut |_| {},
                false,
            )
            .expect("draw");
            black_box(r.digest)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
