//! Team draw: eligibility, a seeded ChaCha20 stream, unbiased bounded integers and a partial
//! Fisher–Yates permutation (SPEC.md §5.3–5.5).
//!
//! Only the raw `next_u64` stream of `rand_chacha::ChaCha20Rng` is used. Everything above it is
//! ours and specified, because rand's helpers (`shuffle`, `choose_multiple`, `random_range`, ...)
//! changed their outputs between versions and a draw must re-verify years later.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use crate::directory::{Enterprise, Officer, OfficerStatus};
use crate::merkle::Hash;
use crate::plan::Task;

/// A source of uniform 64-bit words: the ChaCha20 keystream of RFC 8439 with the given key,
/// nonce zero and block counter starting at zero, read 8 bytes at a time little-endian.
pub struct Stream(ChaCha20Rng);

impl Stream {
    /// The stream for a 32-byte key.
    pub fn new(key: &Hash) -> Self {
        Stream(ChaCha20Rng::from_seed(*key))
    }

    /// The next 64-bit word.
    pub fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// A uniform integer in `0..n` by rejection (SPEC.md §5.4): let `t = 2^64 mod n`; draw
    /// words `x` until `x >= t`; return `x mod n`. The accepted range holds a whole number of
    /// copies of `0..n`, so there is no bias. Returns 0 for `n <= 1` without drawing.
    ///
    /// ```
    /// let mut s = dualdraw::team::Stream::new(&[0u8; 32]);
    /// assert!(s.below(10) < 10);
    /// ```
    pub fn below(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        let t = n.wrapping_neg() % n; // (2^64 - n) mod n == 2^64 mod n
        loop {
            let x = self.next_u64();
            if x >= t {
                return x % n;
            }
        }
    }

    /// Partial Fisher–Yates: for `i` in `0..k`, swap `items[i]` with `items[i + below(len - i)]`.
    /// Afterwards `items[..k]` is a uniform random ordered selection. `k` is capped at the length.
    pub fn fisher_yates_prefix<T>(&mut self, items: &mut [T], k: usize) {
        let n = items.len();
        for i in 0..k.min(n) {
            let j = i + self.below((n - i) as u64) as usize;
            items.swap(i, j);
        }
    }
}

/// Why an officer may not inspect a given enterprise for a given task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Exclusion {
    /// On leave or departed.
    NotActive,
    /// Certificate expired before the inspection date (experts need no certificate).
    CertificateExpired,
    /// The task's domain is outside the officer's scope.
    OutOfScope,
    /// Declared an interest in the enterprise (回避).
    Conflict,
    /// Not flagged as an expert (for expert places only).
    NotExpert,
    /// Not of a department taking part in the joint inspection.
    Department,
    /// The enterprise asked for this officer's recusal (plan `[[recusal]]`).
    Recusal,
    /// The area rule (`same` / `different`) keeps them apart.
    Area,
    /// Inspected this enterprise in a previous draw (rotation).
    Rotation,
}

impl Exclusion {
    /// A short English description.
    pub fn describe(self) -> &'static str {
        match self {
            Exclusion::NotActive => "not active",
            Exclusion::CertificateExpired => "certificate expired",
            Exclusion::OutOfScope => "domain out of scope",
            Exclusion::Conflict => "declared conflict",
            Exclusion::NotExpert => "not an expert",
            Exclusion::Department => "department not taking part",
            Exclusion::Recusal => "recusal requested by the enterprise",
            Exclusion::Area => "area rule",
            Exclusion::Rotation => "inspected it in a previous draw",
        }
    }
}

/// Pairs (enterprise id, officer id) kept apart, beyond the officers' declared conflicts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Apart {
    /// Recusals requested by enterprises (from the plan): enterprise -> officers.
    pub recusal: BTreeMap<String, BTreeSet<String>>,
    /// Officers who inspected the enterprise in a previous draw (from `--history`):
    /// enterprise -> officers.
    pub rotation: BTreeMap<String, BTreeSet<String>>,
    /// Heads of the earlier draw logs the rotation pairs were read from.
    pub history: Vec<crate::merkle::Hash>,
}

impl Apart {
    /// The plan's recusals and no rotation.
    pub fn from_plan(plan: &crate::plan::Plan) -> Apart {
        let mut a = Apart::default();
        for r in &plan.recusals {
            a.recusal
                .entry(r.enterprise.clone())
                .or_default()
                .insert(r.officer.clone());
        }
        a
    }

    /// True when the enterprise asked for the officer's recusal.
    pub fn recused(&self, e: &str, o: &str) -> bool {
        self.recusal.get(e).is_some_and(|s| s.contains(o))
    }

    /// True when the officer inspected the enterprise in a previous draw.
    pub fn rotated(&self, e: &str, o: &str) -> bool {
        self.rotation.get(e).is_some_and(|s| s.contains(o))
    }
}

/// Whether `o` passes the rules of §5.5 step 1 that do not depend on the enterprise (status,
/// certificate, department, domain), and its department index in a joint task.
pub fn base_eligible(
    o: &Officer,
    task: &Task,
    date: NaiveDate,
    expert: bool,
) -> Option<Option<usize>> {
    let (dept, domain) = dept_domain(o, task);
    let ok = o.status == OfficerStatus::Active
        && (!expert || o.expert)
        && (expert || o.cert_expires >= date)
        && (expert || task.joint.is_empty() || dept.is_some())
        && in_scope(o, task, domain, expert);
    ok.then_some(if expert { None } else { dept })
}

fn dept_domain<'t>(o: &Officer, task: &'t Task) -> (Option<usize>, &'t str) {
    if task.joint.is_empty() {
        return (None, task.domain.as_str());
    }
    match task.joint.iter().position(|j| j.department == o.department) {
        Some(i) => (
            Some(i),
            task.joint[i].domain.as_deref().unwrap_or(&task.domain),
        ),
        None => (None, ""),
    }
}

/// An officer's scope covers the domain of their department in the task (the task's domain
/// when not joint); an expert's scope covers the task's domain or any participant's domain.
fn in_scope(o: &Officer, task: &Task, domain: &str, expert: bool) -> bool {
    let has = |d: &str| o.domains.iter().any(|x| x == d);
    if expert {
        has(&task.domain)
            || task
                .joint
                .iter()
                .any(|j| has(j.domain.as_deref().unwrap_or(&task.domain)))
    } else {
        has(domain)
    }
}

/// The area rule between an officer and an enterprise.
pub fn area_ok(o: &Officer, e: &Enterprise, task: &Task) -> bool {
    match task.area {
        crate::plan::AreaRule::Any => true,
        crate::plan::AreaRule::Same => o.region == e.region,
        crate::plan::AreaRule::Different => o.region != e.region,
    }
}

/// The full rule of SPEC.md §5.5 step 1: the first rule that keeps `o` off `e`'s team for
/// `task`, as an officer or an expert, or `None` with, for a joint task, the index of the
/// officer's department among the participants.
///
/// # Errors
///
/// The first [`Exclusion`] that applies, checked in the order of SPEC.md §5.5 step 1:
/// [`Exclusion::NotActive`], [`Exclusion::NotExpert`], [`Exclusion::CertificateExpired`],
/// [`Exclusion::Department`], [`Exclusion::OutOfScope`], [`Exclusion::Conflict`],
/// [`Exclusion::Recusal`], [`Exclusion::Area`], [`Exclusion::Rotation`].
pub fn exclusion_full(
    o: &Officer,
    e: &Enterprise,
    task: &Task,
    date: NaiveDate,
    expert: bool,
    apart: &Apart,
) -> Result<Option<usize>, Exclusion> {
    // For a joint task, the officer's department must take part, and that department's domain
    // is the one the scope must cover.
    let (dept, domain) = dept_domain(o, task);
    if o.status != OfficerStatus::Active {
        Err(Exclusion::NotActive)
    } else if expert && !o.expert {
        Err(Exclusion::NotExpert)
    } else if !expert && o.cert_expires < date {
        Err(Exclusion::CertificateExpired)
    } else if !expert && !task.joint.is_empty() && dept.is_none() {
        Err(Exclusion::Department)
    } else if !in_scope(o, task, domain, expert) {
        Err(Exclusion::OutOfScope)
    } else if o.conflicts.binary_search(&e.id).is_ok() {
        Err(Exclusion::Conflict)
    } else if apart.recused(&e.id, &o.id) {
        Err(Exclusion::Recusal)
    } else if !area_ok(o, e, task) {
        Err(Exclusion::Area)
    } else if apart.rotated(&e.id, &o.id) {
        Err(Exclusion::Rotation)
    } else {
        Ok(if expert { None } else { dept })
    }
}

/// Counts exclusions by reason, e.g. `"3 certificate expired, 1 declared conflict"`.
pub fn explain(reasons: impl Iterator<Item = Exclusion>) -> String {
    let mut v: Vec<Exclusion> = reasons.collect();
    v.sort();
    let mut parts = Vec::new();
    for chunk in v.chunk_by(|a, b| a == b) {
        parts.push(format!("{} {}", chunk.len(), chunk[0].describe()));
    }
    if parts.is_empty() {
        "no other officers".into()
    } else {
        format!("excluded: {}", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The raw stream is the RFC 8439 keystream: with the all-zero key, nonce and counter the
    /// first block starts 76 b8 e0 ad a0 f1 3d 90 (RFC 8439 §2.3.2 has the all-zero test
    /// vector in A.1, test vector #1).
    #[test]
    fn stream_is_rfc8439_keystream() {
        let mut s = Stream::new(&[0u8; 32]);
        assert_eq!(
            s.next_u64().to_le_bytes(),
            [0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90]
        );
        assert_eq!(
            s.next_u64().to_le_bytes(),
            [0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28]
        );
    }

    #[test]
    fn below_rejects_the_biased_zone() {
        // n = 2^63 + 1: t = 2^64 mod n = 2^63 - 1, so words below t are rejected.
        let n = (1u64 << 63) + 1;
        let mut s = Stream::new(&[1u8; 32]);
        for _ in 0..100 {
            assert!(s.below(n) < n);
        }
        assert_eq!(s.below(1), 0);
        assert_eq!(s.below(0), 0);
    }

    #[test]
    fn fisher_yates_prefix_keeps_elements() {
        let mut s = Stream::new(&[2u8; 32]);
        let mut v: Vec<u32> = (0..20).collect();
        s.fisher_yates_prefix(&mut v, 5);
        let mut w = v.clone();
        w.sort();
        assert_eq!(w, (0..20).collect::<Vec<_>>());
    }
}
