//! Development aid: time the chain check of a synthetic 10^6-event log.
use serde_json::json;
use sha2::{Digest, Sha256};
fn main() {
    let n = 1_000_000u64;
    let events = (0..n).map(|i| json!({"event": "target", "task": "radio", "stratum": "all", "rank": i + 1, "id": format!("91120116MA{:08}", i), "ticket": hex::encode(Sha256::digest(i.to_be_bytes()))}));
    let log = dualdraw::log::chain(events.collect()).to_bytes();
    for _ in 0..8 {
        let t = std::time::Instant::now();
        std::hint::black_box(Sha256::digest(&log));
        let a = t.elapsed();
        let t = std::time::Instant::now();
        let k = dualdraw::verify::chain(&log).unwrap().len();
        let c = t.elapsed();
        let t = std::time::Instant::now();
        let mut m = 0;
        for l in log.split(|&b| b == b'\n') {
            if l.is_empty() {
                continue;
            }
            let _: serde::de::IgnoredAny = serde_json::from_slice(l).unwrap();
            m += 1;
        }
        let p = t.elapsed();
        let t = std::time::Instant::now();
        let mut x = 0u8;
        for l in log.split(|&b| b == b'\n') {
            x ^= Sha256::digest(l)[0];
        }
        eprintln!(
            "bytes {} sha {:?} chain {:?} ({k}) parse-only 1 thread {:?} ({m}) line-sha 1 thread {:?} {x}",
            log.len(),
            a,
            c,
            p,
            t.elapsed()
        );
    }
}
