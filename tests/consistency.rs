//! The log as an RFC 9162 Merkle tree (SPEC.md §6.3–6.4): consistency between every pair of
//! prefix sizes of a 300-line log, mutated proofs and checkpoints refused, a rewritten commit
//! prefix caught (library and binary), and the Python verifier agreeing on consistency files.

mod common;

use common::cli::{bin, code, show, verify_py};
use dualdraw::log::{self, Checkpoint, ConsistencyProof};
use dualdraw::merkle::{Hash, Tree, verify_consistency};
use serde_json::json;

/// A chained 300-line log: a header naming a plan, then events.
fn log300() -> log::Log {
    let header = json!({"event": "header", "plan": {"id": "p", "digest": "ab".repeat(32)}});
    log::chain(
        std::iter::once(header).chain((1..300).map(|i| json!({"event": "target", "rank": i}))),
    )
}

#[test]
fn every_pair_of_prefix_sizes_of_a_300_line_log_is_consistent_and_mutations_fail() {
    let log = log300();
    let leaves: Vec<Hash> = log.lines.iter().map(|l| log::leaf_hash(l)).collect();
    let roots: Vec<Hash> = (1..=300)
        .map(|n| Tree::from_leaf_hashes(leaves[..n].to_vec()).head())
        .collect();
    let mut flips = 0u64;
    for n in 1..=300usize {
        let tree = Tree::from_leaf_hashes(leaves[..n].to_vec());
        for m in 1..=n {
            let proof = tree.consistency_proof(m);
            let (mu, nu) = (m as u64, n as u64);
            assert_eq!(
                verify_consistency(mu, nu, &proof, &roots[m - 1], &roots[n - 1]),
                Ok(()),
                "{m} -> {n}"
            );
            // One flipped bit anywhere in the proof, at a place that moves with the pair.
            if !proof.is_empty() {
                let mut bad = proof.clone();
                let k = (m * 31 + n) % (bad.len() * 256);
                bad[k / 256][(k / 8) % 32] ^= 1 << (k % 8);
                assert!(verify_consistency(mu, nu, &bad, &roots[m - 1], &roots[n - 1]).is_err());
                // One hash too few, one too many.
                assert!(
                    verify_consistency(mu, nu, &proof[1..], &roots[m - 1], &roots[n - 1]).is_err()
                );
                let mut long = proof.clone();
                long.push(proof[0]);
                assert!(verify_consistency(mu, nu, &long, &roots[m - 1], &roots[n - 1]).is_err());
                flips += 1;
            }
            // Another old root (the prefix one line shorter or longer) fails.
            if m > 1 {
                assert!(verify_consistency(mu, nu, &proof, &roots[m - 2], &roots[n - 1]).is_err());
            }
            // The wrong sizes fail (except where they give the same walk, which the roots
            // then refuse).
            if m < n {
                assert!(
                    verify_consistency(mu + 1, nu, &proof, &roots[m - 1], &roots[n - 1]).is_err()
                );
            }
        }
    }
    assert!(flips > 40_000, "{flips}");
}

#[test]
fn every_single_byte_change_of_a_checkpoint_or_proof_file_fails() {
    let log = log300();
    let bytes = log.to_bytes();
    let entries = log::read(&bytes).unwrap();
    let old = log::Log {
        lines: log.lines[..77].to_vec(),
    }
    .checkpoint();
    let proof = ConsistencyProof::prove(&old, &entries).unwrap();
    let text = proof.to_json();
    assert_eq!(ConsistencyProof::from_json(&text).unwrap(), proof);
    let cp = log.checkpoint().to_text();
    assert_eq!(Checkpoint::parse(&cp).unwrap(), log.checkpoint());
    for at in 0..cp.len() {
        for to in [b'0', b'A', b'/', b'\n', b' ', b'+', b'='] {
            let mut b = cp.clone().into_bytes();
            if b[at] == to {
                continue;
            }
            b[at] = to;
            let Ok(t) = String::from_utf8(b) else {
                continue;
            };
            // Either not a checkpoint at all, or another one.
            if let Ok(c) = Checkpoint::parse(&t) {
                assert_ne!(c, log.checkpoint(), "byte {at} to {to}");
            }
        }
    }
    let mut checked = 0;
    for at in 0..text.len() {
        let mut b = text.clone().into_bytes();
        b[at] ^= if b[at].is_ascii_digit() { 0x01 } else { 0x20 };
        let Ok(t) = String::from_utf8(b) else {
            continue;
        };
        let accepted = ConsistencyProof::from_json(&t)
            .ok()
            .filter(|p| p.old == old && p.new == log.checkpoint())
            .is_some_and(|p| p.check().is_ok());
        assert!(!accepted, "byte {at} changed, still accepted");
        checked += 1;
    }
    assert!(checked > 500);
}

#[test]
fn a_rewritten_commit_prefix_is_caught() {
    let commit = log::chain(vec![
        json!({"event": "header", "plan": {"id": "p", "digest": "ab".repeat(32)}, "seed": "a"}),
    ]);
    let old = commit.checkpoint();
    let mut honest = commit.clone();
    honest.append((0..40).map(|i| json!({"event": "target", "rank": i})));
    let bytes = honest.to_bytes();
    let entries = log::read(&bytes).unwrap();
    assert!(ConsistencyProof::prove(&old, &entries).is_ok());
    // The same events after another commit line: a valid chain, not an extension.
    let mut forged = log::chain(vec![
        json!({"event": "header", "plan": {"id": "p", "digest": "ab".repeat(32)}, "seed": "b"}),
    ]);
    forged.append((0..40).map(|i| json!({"event": "target", "rank": i})));
    let bytes = forged.to_bytes();
    let entries = log::read(&bytes).unwrap();
    let e = ConsistencyProof::prove(&old, &entries).unwrap_err();
    assert!(e.to_string().contains("rewritten prefix"), "{e}");
}

/// Through the binary with a real committed draw: the commit checkpoint, the drawn log, its
/// published consistency proof, a forged log; and the Python verifier agrees on the files.
#[test]
fn commit_to_draw_consistency_through_the_binary_and_python() {
    let tmp = common::tmp();
    let dir = tmp.path().join("c");
    let plan = common::root().join(common::DEMO_PLAN);
    let o = bin()
        .arg("commit")
        .arg(&plan)
        .arg("--out")
        .arg(&dir)
        .args([
            "--entropy-kind",
            "dice",
            "--entropy-source",
            "dice in public",
        ])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("commit checkpoint"));
    let commit_head = tmp.path().join("commit.head");
    std::fs::copy(dir.join("draw.head"), &commit_head).unwrap();
    let o = bin()
        .arg("draw")
        .arg(&plan)
        .arg("--commit")
        .arg(dir.join("draw.log"))
        .arg("--reveal")
        .arg(dir.join("operator.secret"))
        .args(["--entropy", "3 1 6 6 2 5"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let proof_file = tmp.path().join("consistency.json");
    let o = bin()
        .arg("consistency")
        .arg(&commit_head)
        .arg(dir.join("draw.log"))
        .arg("--out")
        .arg(&proof_file)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let new_head = std::fs::read_to_string(dir.join("draw.head")).unwrap();
    assert!(String::from_utf8_lossy(&o.stdout).contains(new_head.trim_end()));
    // The proof file alone, with no log.
    let check = |proof: &std::path::Path| {
        bin()
            .arg("consistency")
            .arg(&commit_head)
            .arg("--proof")
            .arg(proof)
            .output()
            .unwrap()
    };
    assert_eq!(code(&check(&proof_file)), 0);
    // The published folder carries the proof to its own checkpoint.
    let pubdir = tmp.path().join("pub");
    let o = bin()
        .arg("publish")
        .arg(dir.join("draw.log"))
        .arg("--plan")
        .arg(&plan)
        .arg("--out")
        .arg(&pubdir)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    // It proves the commit checkpoint extends to the published one (publish adds its
    // `publication` line, so the tree is one line larger than the proof made above).
    assert_eq!(code(&check(&pubdir.join("consistency.json"))), 0);
    let published: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pubdir.join("consistency.json")).unwrap()).unwrap();
    assert_eq!(
        published["new"].as_str().unwrap(),
        std::fs::read_to_string(pubdir.join("draw.head")).unwrap()
    );
    // A log whose commit line was rewritten (another commitment, re-chained) fails: exit 1.
    let bytes = std::fs::read(dir.join("draw.log")).unwrap();
    let mut lines = common::tamper::owned_lines(&bytes);
    let first = String::from_utf8(lines[0].clone()).unwrap();
    let at = first.find("\"commitment\":\"").unwrap() + 14;
    let flipped = if first.as_bytes()[at] == b'0' {
        "1"
    } else {
        "0"
    };
    lines[0] = format!("{}{flipped}{}", &first[..at], &first[at + 1..]).into_bytes();
    common::tamper::rechain(&mut lines);
    let forged = tmp.path().join("forged.log");
    std::fs::write(&forged, common::tamper::join(&lines)).unwrap();
    let o = bin()
        .arg("consistency")
        .arg(&commit_head)
        .arg(&forged)
        .output()
        .unwrap();
    assert_eq!(code(&o), 1, "{}", show(&o));
    // Python agrees: the genuine file 0; every changed hash digit 1 or 2, as the binary says.
    if common::cli::python3_probe().is_ok_and(|o| o.status.success()) {
        let py = |proof: &std::path::Path| {
            std::process::Command::new("python3")
                .arg(verify_py())
                .arg("--consistency")
                .arg(&commit_head)
                .arg(proof)
                .output()
                .unwrap()
        };
        assert_eq!(code(&py(&proof_file)), 0, "{}", show(&py(&proof_file)));
        let text = std::fs::read_to_string(&proof_file).unwrap();
        let bad = tmp.path().join("bad.json");
        for at in (0..text.len()).step_by(29) {
            let mut b = text.clone().into_bytes();
            if !b[at].is_ascii_hexdigit() {
                continue;
            }
            b[at] = if b[at] == b'0' { b'1' } else { b'0' };
            std::fs::write(&bad, &b).unwrap();
            let (r, p) = (check(&bad), py(&bad));
            assert_ne!(code(&r), 0, "byte {at}");
            assert_eq!(code(&r), code(&p), "byte {at}: {}\n{}", show(&r), show(&p));
        }
    }
}
