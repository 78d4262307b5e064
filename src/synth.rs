//! Synthetic target directories of any size, for benches and scale tests.
//!
//! Rows come out sorted by id (so they can be streamed directly), with valid unified social
//! credit codes (about one in 100,000 an early-pilot code that fails the check character), and
//! a realistic mix of regions, domains, credit classes, statuses and inspection dates. The
//! output is a deterministic function of the row count and the seed.

use std::io::Write;

use crate::directory::uscc::{CHARSET, check_character};
use crate::error::{ErrorKind, Result};
use crate::team::Stream;

const REGIONS: [(&str, &str, u32); 16] = [
    ("120101", "和平", 4),
    ("120102", "河东", 5),
    ("120103", "河西", 6),
    ("120104", "南开", 6),
    ("120105", "河北", 5),
    ("120106", "红桥", 3),
    ("120110", "东丽", 8),
    ("120111", "西青", 9),
    ("120112", "津南", 6),
    ("120113", "北辰", 7),
    ("120114", "武清", 9),
    ("120115", "宝坻", 5),
    ("120116", "滨海", 20),
    ("120117", "宁河", 3),
    ("120118", "静海", 5),
    ("120119", "蓟州", 4),
];
const DOMAINS: [&str; 6] = [
    "无线电",
    "监控化学品",
    "电力",
    "盐业",
    "民用爆炸物品",
    "工业节能",
];
const WORDS: [&str; 12] = [
    "华通", "恒达", "金源", "宏远", "新材", "海润", "瑞丰", "中科", "永盛", "联创", "泰和", "博远",
];
const TRADES: [&str; 6] = ["电子", "化工", "电力工程", "盐业", "爆破器材", "节能科技"];

/// GB 11714 check character of an 8-character organisation code body.
fn org_check(body: &[u8; 8]) -> u8 {
    const W: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(W)
        .map(|(&c, w)| {
            let v = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            v * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        c => b'0' + c as u8,
    }
}

/// Writes `rows` synthetic enterprises as CSV (English headers), sorted by id.
///
/// # Errors
///
/// [`ErrorKind::Io`] (naming `<output>`) when writing to or flushing `out` fails.
///
/// ```
/// let mut out = Vec::new();
/// dualdraw::synth::targets(&mut out, 100, 7).unwrap();
/// let t = dualdraw::directory::read_targets(out.as_slice(), "gen.csv".as_ref()).unwrap();
/// assert_eq!(t.len(), 100);
/// ```
pub fn targets(out: impl Write, rows: u64, seed: u64) -> Result<()> {
    let mut rng = Stream::new(&crate::seed::task_key(
        &seed.to_string(),
        "gen-targets",
        "v1",
    ));
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| -> crate::Error {
        ErrorKind::Io {
            path: "<output>".into(),
            source: std::io::Error::other(e.to_string()),
        }
        .into()
    };
    w.write_record([
        "id",
        "name",
        "region",
        "domains",
        "credit_class",
        "status",
        "last_inspected",
    ])
    .map_err(io)?;
    let total_w: u32 = REGIONS.iter().map(|r| r.2).sum();
    // Blocks in id order: entity type ('1' enterprise, '2' individual, '3' cooperative), then
    // region; within a block the organisation code counts up with random gaps.
    let types = [(b'1', 90u64), (b'2', 8), (b'3', 2)];
    let mut done = 0u64;
    let mut domains = String::new();
    for (ti, &(ty, share)) in types.iter().enumerate() {
        let type_rows = if ti == types.len() - 1 {
            rows - done
        } else {
            rows * share / 100
        };
        let mut type_done = 0;
        for (ri, &(region, place, weight)) in REGIONS.iter().enumerate() {
            let n = if ri == REGIONS.len() - 1 {
                type_rows - type_done
            } else {
                type_rows * u64::from(weight) / u64::from(total_w)
            };
            type_done += n;
            // Start each block at a random organisation code so codes look issued, not counted.
            let mut counter: u64 = rng.below(27_512_614_111 / 2);
            for _ in 0..n {
                counter += 1 + rng.below(20);
                let mut body = [b'0'; 8];
                let mut c = counter;
                for b in body.iter_mut().rev() {
                    *b = CHARSET[(c % 31) as usize];
                    c /= 31;
                }
                let mut id = String::with_capacity(18);
                id.push('9');
                id.push(ty as char);
                id.push_str(region);
                id.push_str(std::str::from_utf8(&body).unwrap_or("00000000"));
                id.push(org_check(&body) as char);
                let check = check_character(&id).unwrap_or('0');
                let check = if rng.below(100_000) == 0 {
                    // An early-pilot code: a wrong check character.
                    let v = CHARSET
                        .iter()
                        .position(|&x| x as char == check)
                        .unwrap_or(0);
                    CHARSET[(v + 1) % 31] as char
                } else {
                    check
                };
                id.push(check);
                let name = format!(
                    "天津市{place}{}{}有限公司",
                    WORDS[rng.below(12) as usize],
                    TRADES[rng.below(6) as usize]
                );
                domains.clear();
                let first = rng.below(6) as usize;
                domains.push_str(DOMAINS[first]);
                if rng.below(3) == 0 {
                    domains.push(';');
                    domains.push_str(DOMAINS[(first + 1 + rng.below(5) as usize) % 6]);
                }
                let class =
                    ["A", "A", "A", "B", "B", "B", "B", "C", "C", "D", ""][rng.below(11) as usize];
                let status = match rng.below(100) {
                    0..=89 => "active",
                    90..=95 => "abnormal",
                    _ => "closed",
                };
                // Half never inspected; the rest between 2017 and September 2020 (before the
                // demo plans' inspection date), except one in a thousand dated 2021: the
                // data-entry error a draw warns about (`future-inspection`).
                let last = if rng.below(2) == 0 {
                    String::new()
                } else if rng.below(1000) == 0 {
                    format!("2021-{:02}-{:02}", 1 + rng.below(12), 1 + rng.below(28))
                } else {
                    let months = rng.below(45);
                    format!(
                        "{}-{:02}-{:02}",
                        2017 + months / 12,
                        1 + months % 12,
                        1 + rng.below(28)
                    )
                };
                w.write_record([id.as_str(), &name, region, &domains, class, status, &last])
                    .map_err(io)?;
            }
        }
        done += type_rows;
    }
    w.flush().map_err(|e| ErrorKind::Io {
        path: "<output>".into(),
        source: e,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_rows_are_sorted_unique_and_valid() {
        let mut out = Vec::new();
        targets(&mut out, 5_000, 1).unwrap();
        let mut rows = crate::directory::TargetRows::new(out.as_slice(), "g".as_ref()).unwrap();
        let mut w = Vec::new();
        let mut last = String::new();
        let mut n = 0;
        while let Some((_, e)) = rows.next_record(&mut w).unwrap() {
            assert!(e.id > last, "{} after {}", e.id, last);
            last = e.id;
            n += 1;
        }
        assert_eq!(n, 5_000);
        assert!(w.len() < 5, "{} pilot codes in 5,000 rows", w.len());
        let mut again = Vec::new();
        targets(&mut again, 5_000, 1).unwrap();
        assert_eq!(out, again);
    }
}
