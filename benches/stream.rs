//! Streaming target draw against the cost of merely parsing the same CSV.
//!
//! Both read the same in-memory bytes of a synthetic, id-sorted directory; the baseline is the
//! csv crate's `ByteRecord` loop, measured in the same run. Rows: `DUALDRAW_BENCH_ROWS`
//! (default 1,000,000).
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
    g.bench_function("streaming_draw", |b| {
        b.iter(|| {
            let r = dualdraw::stream::select_stream(
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
            let r = dualdraw::stream::select_stream_with(
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
