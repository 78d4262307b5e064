//! Ticket throughput (SPEC.md §5.2) against the raw SHA-256 compression rate.
//!
//! A ticket hashes `hex(K) || ":" || id`: 64 + 1 + 18 = 83 bytes, two SHA-256 blocks, the first
//! of which (the hex key) is the same for every id. [`TicketHasher`] computes it once, so each
//! ticket should cost about one compression; the plain [`ticket`] costs two plus the hex
//! encoding. The baseline is `compress256` over one block, so `tickets/s ÷ blocks/s` says how
//! close the ticket loop comes to the hardware limit.
//!
//! Run: `cargo bench --bench tickets` (add `-- --warm-up-time 1 --measurement-time 5` to shorten).

use std::hint::black_box;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use dualdraw::target::{Ticket, TicketHasher, bottom_k, ticket};
use sha2::{Digest as _, Sha256};

const N: usize = 1_000_000;

/// The GB 32100-2015 character set.
const CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// `N` distinct valid-looking 18-character unified social credit codes: a fixed prefix
/// (market regulation, enterprise, a Tianjin district), nine base-31 digits from the index, and
/// a check character that need not be right.
fn ids() -> Vec<String> {
    let regions = ["120101", "120103", "120110", "120111", "120116", "120118"];
    (0..N)
        .map(|i| {
            let mut s = String::with_capacity(18);
            s.push_str("91");
            s.push_str(regions[i % regions.len()]);
            let mut n = i / regions.len();
            let mut digits = [b'0'; 9];
            for d in digits.iter_mut().rev() {
                *d = CHARSET[n % 31];
                n /= 31;
            }
            s.push_str(std::str::from_utf8(&digits).unwrap());
            s.push(CHARSET[(i * 7) % 31] as char);
            debug_assert_eq!(s.len(), 18);
            s
        })
        .collect()
}

fn key() -> [u8; 32] {
    Sha256::digest(b"dualdraw bench task key").into()
}

fn benches(c: &mut Criterion) {
    let key = key();
    let ids = ids();
    {
        let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), N, "ids are distinct");
    }
    // One 64-byte block of varied bytes for the raw compression baseline.
    let block: [u8; 64] = std::array::from_fn(|i| (i as u8).wrapping_mul(37).wrapping_add(11));
    // A 55-byte message: the longest that pads to a single block.
    let msg55 = [0x5au8; 55];

    let mut g = c.benchmark_group("tickets");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);

    g.bench_function("sha256_compress256_1e6_blocks", |b| {
        b.iter(|| {
            let mut state: [u32; 8] = [
                0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
                0x5be0cd19,
            ];
            for _ in 0..N {
                // One call per block, as a ticket does, not one call over many blocks.
                sha2::block_api::compress256(&mut state, std::slice::from_ref(black_box(&block)));
            }
            black_box(state)
        })
    });

    g.bench_function("sha256_digest_55_bytes_1e6", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for _ in 0..N {
                acc ^= Sha256::digest(black_box(&msg55))[0];
            }
            black_box(acc)
        })
    });

    g.bench_function("ticket_hasher_1e6", |b| {
        let h = TicketHasher::new(&key);
        b.iter(|| {
            let mut acc = 0u8;
            for id in &ids {
                acc ^= h.ticket(black_box(id))[0];
            }
            black_box(acc)
        })
    });

    g.bench_function("ticket_hasher_new_each_task_1e6", |b| {
        // Includes preparing the hasher (hex of the key, first block), once per 10^6 tickets.
        b.iter(|| {
            let h = TicketHasher::new(black_box(&key));
            let mut acc = 0u8;
            for id in &ids {
                acc ^= h.ticket(black_box(id))[0];
            }
            black_box(acc)
        })
    });

    g.bench_function("ticket_plain_1e6", |b| {
        b.iter(|| {
            let mut acc = 0u8;
            for id in &ids {
                acc ^= ticket(black_box(&key), black_box(id))[0];
            }
            black_box(acc)
        })
    });

    // Bottom-10 of 10^6 precomputed tickets, with the same entry shape as the draw uses.
    let h = TicketHasher::new(&key);
    let entries: Vec<(Ticket, &str, usize)> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| (h.ticket(id), id.as_str(), i))
        .collect();
    g.bench_function("bottom_k_10_of_1e6", |b| {
        b.iter_batched(
            || entries.clone(),
            |e| black_box(bottom_k(e, 10)),
            BatchSize::LargeInput,
        )
    });
    g.finish();

    // Sanity: the midstate hasher and the plain definition agree.
    for id in ids.iter().step_by(99_991) {
        assert_eq!(h.ticket(id), ticket(&key, id));
    }
}

criterion_group!(tickets, benches);
criterion_main!(tickets);
