//! Per-enterprise proofs (SPEC.md §10) on the Tianjin demo: every enterprise's proof checks
//! against the log head and says what the log says; single-byte changes, another head, and
//! tampering through the binary are all rejected.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use common::cli::{bin, code, show};
use common::rng::Rng;
use common::{DEMO_PLAN as PLAN, DEMO_SEED as SEED, DemoDraw};
use dualdraw::draw::Outcome;
use dualdraw::internals;
use dualdraw::proof::{self, Pool, Proof, ProofError, Prover, Verdict};

/// The demo's draw, and a prover over its log.
struct Demo {
    drawn: &'static DemoDraw,
    prover: Prover,
}

impl std::ops::Deref for Demo {
    type Target = DemoDraw;
    fn deref(&self) -> &DemoDraw {
        self.drawn
    }
}

/// Hashes concatenated in base64, as a proof carries them (SPEC.md §10.2).
fn b64_concat(hs: &[[u8; 32]]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(hs.concat())
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        let drawn = common::demo_draw();
        let prover = Prover::from_inputs(&drawn.bytes, Some(&drawn.log.head()), &drawn.inputs)
            .expect("the demo log verifies");
        Demo { drawn, prover }
    })
}

/// (task, enterprise) of every drawn enterprise in the log's outcome.
fn drawn_in_log(o: &Outcome) -> BTreeSet<(String, String)> {
    o.tasks
        .iter()
        .flat_map(|t| t.drawn.iter().map(|d| (t.task.clone(), d.id.clone())))
        .collect()
}

#[test]
fn every_enterprise_proof_checks_and_matches_the_log() {
    let d = demo();
    let head = d.log.checkpoint();
    let start = Instant::now();
    let mut drawn = BTreeSet::new();
    // Per task: eligible per stratum, and recently inspected, as the proofs see them.
    let mut eligible: BTreeMap<(String, String), u64> = BTreeMap::new();
    let mut recent: BTreeMap<String, u64> = BTreeMap::new();
    let (mut min, mut max) = (usize::MAX, 0);
    for (i, e) in d.inputs.targets.records().iter().enumerate() {
        let p = d
            .prover
            .prove(&e.id)
            .expect("every enterprise can be proved");
        let bytes = p.to_bytes();
        min = min.min(bytes.len());
        max = max.max(bytes.len());
        let checked = proof::check(&bytes, &head)
            .unwrap_or_else(|err| panic!("proof of {} rejected: {err}", e.id));
        assert_eq!(checked.proof, p);
        assert_eq!(p.leaf_index, i as u64);
        assert_eq!(checked.enterprise.id, e.id);
        for t in &checked.tasks {
            match t.verdict {
                Verdict::Drawn => {
                    assert!(drawn.insert((t.task.clone(), e.id.clone())));
                    let dp = t.drawn.as_ref().unwrap();
                    assert!(dp.rank >= 1);
                    assert_eq!(dp.officers.len(), dp.officers_now.len());
                }
                Verdict::NotDrawn => assert!(t.drawn.is_none()),
                Verdict::NotEligible => assert!(t.stratum.is_none() && t.drawn.is_none()),
            }
            match t.pool {
                Pool::Eligible => {
                    let s = t.stratum.as_ref().unwrap();
                    *eligible
                        .entry((t.task.clone(), s.name.clone()))
                        .or_default() += 1;
                    // Below the cutoff exactly when drawn.
                    let below = s.cutoff.as_ref().is_some_and(|c| t.ticket <= *c);
                    assert_eq!(below, t.verdict == Verdict::Drawn, "{} {}", t.task, e.id);
                }
                Pool::RecentlyInspected => *recent.entry(t.task.clone()).or_default() += 1,
                Pool::OutOfScope => {}
            }
        }
    }
    // Exactly the enterprises the log draws (4 + 3 + 3).
    assert_eq!(drawn, drawn_in_log(&d.outcome));
    assert_eq!(drawn.len(), 10);
    // The pools the proofs recompute from each record add up to the logged counts.
    for t in &d.outcome.tasks {
        for s in &t.strata {
            assert_eq!(
                eligible
                    .get(&(t.task.clone(), s.pool.stratum.name().to_string()))
                    .copied()
                    .unwrap_or(0),
                s.pool.eligible,
                "task {} stratum {}",
                t.task,
                s.pool.stratum.name()
            );
        }
        assert_eq!(
            recent.get(&t.task).copied().unwrap_or(0),
            t.excluded_recent,
            "task {}",
            t.task
        );
    }
    eprintln!(
        "{} proofs built and checked in {:.1?}; sizes {min}..{max} bytes",
        d.inputs.targets.records().len(),
        start.elapsed()
    );
}

/// Checks every mutation of `bytes` at `positions` (each byte XORed with `mask(pos)`), on all
/// cores; returns how many were unreadable (the others each failed a named check).
fn all_rejected(
    bytes: &[u8],
    head: &dualdraw::log::Checkpoint,
    positions: &[usize],
    mask: impl Fn(usize) -> u8 + Sync,
) -> usize {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let chunk = positions.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = positions
            .chunks(chunk)
            .map(|part| {
                let mask = &mask;
                s.spawn(move || {
                    let mut b = bytes.to_vec();
                    let mut unreadable = 0;
                    for &pos in part {
                        let m = mask(pos);
                        assert_ne!(m, 0);
                        b[pos] ^= m;
                        match proof::check(&b, head) {
                            Ok(_) => panic!(
                                "byte {pos} ({:?} -> {:?}) changed, yet the proof checks",
                                bytes[pos] as char, b[pos] as char
                            ),
                            Err(ProofError::Unreadable(_)) => unreadable += 1,
                            Err(ProofError::Failed { .. }) => {}
                        }
                        b[pos] ^= m;
                    }
                    unreadable
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

#[test]
fn every_single_byte_change_is_rejected() {
    let d = demo();
    let head = d.log.checkpoint();
    let records = d.inputs.targets.records();
    // The sample: the 10 drawn enterprises, then every 120th record (in and out of scope,
    // recently inspected, not drawn).
    let mut ids: Vec<String> = drawn_in_log(&d.outcome)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    ids.sort();
    ids.dedup();
    ids.extend(records.iter().step_by(120).map(|e| e.id.clone()));
    let proofs: Vec<Proof> = ids.iter().map(|id| d.prover.prove(id).unwrap()).collect();
    let tasks: Vec<Vec<proof::TaskProof>> = proofs
        .iter()
        .map(|p| proof::check(&p.to_bytes(), &head).unwrap().tasks)
        .collect();
    // For the full sweep: one drawn enterprise, one eligible but not drawn, and one that some
    // task excludes (out of scope or recently inspected).
    let first_drawn = 0;
    let not_drawn = tasks
        .iter()
        .position(|p| p.iter().any(|t| t.verdict == Verdict::NotDrawn))
        .unwrap();
    let recent = tasks
        .iter()
        .position(|p| p.iter().any(|t| t.pool == Pool::RecentlyInspected))
        .expect("the sample holds a recently inspected enterprise");
    let full: BTreeSet<usize> = [first_drawn, not_drawn, recent].into_iter().collect();
    assert!(full.len() >= 2);
    let start = Instant::now();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut checked, mut unreadable) = (0usize, 0usize);
    for (i, p) in proofs.iter().enumerate() {
        let bytes = p.to_bytes();
        assert!(proof::check(&bytes, &head).is_ok());
        if full.contains(&i) {
            // Every byte, flipping one of its low seven bits (ASCII stays ASCII, so most
            // mutations parse and reach the semantic checks).
            let positions: Vec<usize> = (0..bytes.len()).collect();
            unreadable += all_rejected(&bytes, &head, &positions, |pos| 1 << (pos % 7));
            checked += positions.len();
        } else {
            let positions: Vec<usize> = (0..300)
                .map(|_| (rng.next() % bytes.len() as u64) as usize)
                .collect();
            let masks: BTreeMap<usize, u8> = positions
                .iter()
                .map(|&pos| (pos, (1 + rng.next() % 255) as u8))
                .collect();
            unreadable += all_rejected(&bytes, &head, &positions, |pos| masks[&pos]);
            checked += positions.len();
        }
    }
    eprintln!(
        "{} proofs, {checked} single-byte mutations all rejected ({unreadable} unreadable, the rest failed a check) in {:.1?}",
        proofs.len(),
        start.elapsed()
    );
}

#[test]
fn a_proof_does_not_check_against_another_head() {
    let d = demo();
    let (_, other) = common::draw(&d.inputs, "another seed");
    assert_ne!(other.head(), d.log.head());
    let other_prover = Prover::from_inputs(&other.to_bytes(), Some(&other.head()), &d.inputs)
        .expect("the other log verifies");
    for e in d.inputs.targets.records().iter().step_by(97) {
        let p = d.prover.prove(&e.id).unwrap().to_bytes();
        let q = other_prover.prove(&e.id).unwrap().to_bytes();
        assert!(proof::check(&q, &other.checkpoint()).is_ok());
        for (bytes, head) in [(&p, other.checkpoint()), (&q, d.log.checkpoint())] {
            match proof::check(bytes, &head) {
                Err(ProofError::Failed { check, .. }) => assert_eq!(check, "checkpoint"),
                other => panic!("checked against another checkpoint: {other:?}"),
            }
        }
    }
    // A proof that names the checkpoint of the log cut before its footer is refused against
    // the published one; with the published checkpoint's text, but the other log's lines and
    // paths, the inclusion proofs fail.
    let mut cut = d.log.clone();
    cut.lines.pop();
    let id = &d.inputs.targets.records()[0].id;
    let mut p = d.prover.prove(id).unwrap();
    p.checkpoint = cut.checkpoint().to_text();
    assert!(matches!(
        proof::check(&p.to_bytes(), &d.log.checkpoint()),
        Err(ProofError::Failed { check, .. }) if check == "checkpoint"
    ));
    let mut q = other_prover.prove(id).unwrap();
    q.checkpoint = d.log.checkpoint().to_text();
    assert!(matches!(
        proof::check(&q.to_bytes(), &d.log.checkpoint()),
        Err(ProofError::Failed { check, .. }) if check == "log inclusion proofs"
    ));
}

#[test]
fn a_log_that_does_not_verify_is_refused_and_unknown_ids_are_input_errors() {
    let d = demo();
    let mut bytes = d.log.to_bytes();
    let at = bytes.len() / 2;
    common::tamper::flip(&mut bytes, at);
    let err = Prover::from_inputs(&bytes, None, &d.inputs).unwrap_err();
    assert!(err.is_verification(), "{err}");
    let err = Prover::from_inputs(&d.log.to_bytes(), Some(&[7u8; 32]), &d.inputs).unwrap_err();
    assert!(err.is_verification(), "{err}");
    let err = d.prover.prove("91120116MA05JKLM8X").unwrap_err();
    assert!(!err.is_verification());
    assert!(err.to_string().contains("91120116MA05JKLM8X"), "{err}");
}

#[test]
fn crafted_proofs_that_contradict_the_cutoff_fail() {
    // Rewriting the proof without touching the log cannot change a verdict: the checker
    // derives it. (Changing the log breaks the chain or the head.)
    let d = demo();
    let head = d.log.checkpoint();
    let (_, id) = drawn_in_log(&d.outcome).into_iter().next().unwrap();
    let p = d.prover.prove(&id).unwrap();
    // Leaving out the target and team lines (with the inclusion proof of the rest): the
    // ticket is below the cutoff, so the proof must carry them.
    let mut q = p.clone();
    let seqs: Vec<u64> = p
        .lines
        .iter()
        .filter(|l| l.line["event"] != "target" && l.line["event"] != "team")
        .map(|l| l.seq)
        .collect();
    // The residuals of the lines kept, as a prover would write them (a line whose
    // predecessor is no longer carried keeps its `prev`).
    let with_lines = |seqs: &[u64]| {
        internals::residual_lines(
            &seqs
                .iter()
                .map(|&s| (s, d.log.lines[s as usize].clone()))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    q.lines = with_lines(&seqs);
    let tree = dualdraw::merkle::Tree::from_leaf_hashes(
        d.log
            .lines
            .iter()
            .map(|l| dualdraw::log::leaf_hash(l))
            .collect(),
    );
    q.lines_proof = b64_concat(&tree.multi_inclusion_proof(&seqs));
    assert!(q.lines.len() < p.lines.len());
    assert!(matches!(
        proof::check(&q.to_bytes(), &head),
        Err(ProofError::Failed { check, .. }) if check.starts_with("task ")
    ));
    // An extra line (another enterprise's target line) is more than the proof may carry.
    let other = d
        .log
        .lines
        .iter()
        .position(|l| l.contains("\"event\":\"target\"") && !l.contains(&id))
        .unwrap() as u64;
    let mut r = p.clone();
    let mut seqs: Vec<u64> = p.lines.iter().map(|l| l.seq).collect();
    seqs.push(other);
    seqs.sort_unstable();
    r.lines = with_lines(&seqs);
    r.lines_proof = b64_concat(&tree.multi_inclusion_proof(&seqs));
    assert!(proof::check(&r.to_bytes(), &head).is_err());
    // Another enterprise's record at this leaf index.
    let mut p = d.prover.prove(&id).unwrap();
    let other = d.prover.prove(&d.inputs.targets.records()[0].id).unwrap();
    p.record = other.record.clone();
    assert!(proof::check(&p.to_bytes(), &head).is_err());
    // A reformatted (but equivalent) proof is not accepted: the file is checked as written.
    let p = d.prover.prove(&id).unwrap();
    let pretty = serde_json::to_vec_pretty(&p).unwrap();
    assert!(matches!(
        proof::check(&pretty, &head),
        Err(ProofError::Failed { check, .. }) if check == "canonical form"
    ));
    // The file form with or without its final newline.
    assert!(proof::check(p.to_json().as_bytes(), &head).is_ok());
}

#[test]
fn spec_example_proof() {
    // The §8.6 known-answer draw: the pilot-code enterprise 91120116MA05JKLM8C is drawn at
    // rank 2 of task radio.
    let dir = common::tmp();
    let spec = std::fs::read_to_string(common::root().join("SPEC.md")).unwrap();
    let block = |start: &str, fence: &str| -> String {
        let i = spec.find(start).expect("block in SPEC.md") + start.len();
        let j = spec[i..].find(fence).unwrap();
        spec[i..i + j].to_string()
    };
    let plan = block("`plan.toml` (its SHA-256", "```\n\n`targets.csv`");
    let plan = plan[plan.find("```toml\n").unwrap() + 8..].to_string();
    let targets = block("`targets.csv`:\n\n```csv\n", "```");
    let officers = block("`officers.csv`:\n\n```csv\n", "```");
    let inputs = common::load(&common::write_inputs(dir.path(), plan, targets, officers));
    let (_, log) = common::draw(&inputs, SEED);
    let prover = Prover::from_inputs(&log.to_bytes(), Some(&log.head()), &inputs).unwrap();
    let p = prover.prove("91120116MA05JKLM8C").unwrap();
    let checked = proof::check(&p.to_bytes(), &log.checkpoint()).unwrap();
    let t = &checked.tasks[0];
    assert_eq!(t.verdict, Verdict::Drawn);
    assert_eq!(t.drawn.as_ref().unwrap().rank, 2);
    assert_eq!(
        t.ticket,
        "49917f3224e2d9849a707a9e10c579d22c551d3585144e574066deef013656cb"
    );
    assert_eq!(p.leaf_index, 0);
    assert_eq!(checked.directory.1, 3);
    assert_eq!(
        checked.directory.0,
        "308f93ac9acc124522a621283c226ba665bac84b98d7ec4ac6b7a55afd946811"
    );
    // Leaf 0 of 3: the path is leaf 1, then leaf 2 (SPEC.md §8.5), in base64.
    let b64 = |h: &str| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(hex::decode(h).unwrap())
    };
    assert_eq!(
        p.record_path,
        b64(concat!(
            "21d3f52679db69ba14bf5c6fae8dc5fa1c2206e4fff94a0054f0d7c71d1146cd",
            "12b6d0c106b7b8e4864b6579e965fba5e0b30c784194f1e75de43fcec7ada196"
        ))
    );
    // MPATH({0, 2, 4, 6}, D[8]) is the leaf hashes of lines 1, 3, 5 and 7 (SPEC.md §10.6).
    let seqs: Vec<u64> = p.lines.iter().map(|l| l.seq).collect();
    assert_eq!(seqs, [0, 2, 4, 6]);
    let odd = b64_concat(
        &[1, 3, 5, 7]
            .iter()
            .map(|&i| dualdraw::log::leaf_hash(&log.lines[i]))
            .collect::<Vec<_>>(),
    );
    assert_eq!(p.lines_proof, odd);
    // The whole file, as SPEC.md §10.6 gives its length and SHA-256.
    let bytes = p.to_bytes();
    eprintln!("{}", p.to_json());
    let example = block("### 10.6 Example", "## 11.");
    assert!(
        example.contains(&format!("```json\n{}\n```", p.to_json())),
        "SPEC.md §10.6 shows the whole proof file"
    );
    let spec_len = block("This is the whole\nfile (", " bytes");
    assert_eq!(
        bytes.len().to_string(),
        spec_len,
        "SPEC.md §10.6 file length"
    );
    let spec_sha = block("with its final LF; its SHA-256 is `", "`");
    assert_eq!(
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&bytes)),
        spec_sha,
        "SPEC.md §10.6 file SHA-256"
    );
    // 9144030071526726XG is eligible with the largest ticket: not drawn.
    let q = prover.prove("9144030071526726XG").unwrap();
    let checked_q = proof::check(&q.to_bytes(), &log.checkpoint()).unwrap();
    assert_eq!(checked_q.tasks[0].verdict, Verdict::NotDrawn);
}

// ---- through the binary ----

/// `dualdraw prove LOG --plan PLAN --enterprise ID [--out FILE]`.
fn prove(log: &Path, plan: &str, id: &str, out: Option<&Path>) -> std::process::Output {
    let mut c = bin();
    c.arg("prove")
        .arg(log)
        .args(["--plan", plan, "--enterprise", id]);
    if let Some(f) = out {
        c.arg("--out").arg(f);
    }
    c.output().unwrap()
}

#[test]
fn prove_and_check_proof_through_the_binary() {
    let d = demo();
    let tmp = common::tmp();
    let out = tmp.path().join("draw");
    let o = common::cli::draw(PLAN, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let head_file = out.join("draw.head");
    let head_text = std::fs::read_to_string(&head_file).unwrap();
    assert_eq!(head_text, d.log.checkpoint().to_text());
    let head = head_file.to_str().unwrap();
    let log = out.join("draw.log");
    let (_, id) = drawn_in_log(&d.outcome).into_iter().next().unwrap();

    let file: PathBuf = tmp.path().join("proof.json");
    let o = prove(&log, PLAN, &id, Some(&file));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("DRAWN"),
        "{}",
        show(&o)
    );
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(bytes, d.prover.prove(&id).unwrap().to_bytes());

    // Without --out the proof goes to standard output, in the same form.
    let o = prove(&log, PLAN, &id, None);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(o.stdout, bytes);

    let check = |path: &Path, head: &str| {
        bin()
            .arg("check-proof")
            .arg(path)
            .args(["--checkpoint", head])
            .output()
            .unwrap()
    };
    let o = check(&file, head);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.starts_with("OK"), "{}", show(&o));
    // What inclusion alone cannot show is said, not left out.
    assert!(stdout.contains("NOT SHOWN by this proof"), "{}", show(&o));
    // The checkpoint's text works as well as its file.
    assert_eq!(code(&check(&file, head_text.trim_end())), 0);

    // Tampered: the enterprise's rank in its target line changed (the file still parses).
    let text = String::from_utf8(bytes.clone()).unwrap();
    let p = d.prover.prove(&id).unwrap();
    let rank = p
        .lines
        .iter()
        .find(|l| l.line["event"] == "target")
        .unwrap()
        .line["rank"]
        .as_u64()
        .unwrap();
    let tampered = text.replace(
        &format!("\"rank\":{rank},"),
        &format!("\"rank\":{},", rank + 1),
    );
    assert_ne!(tampered, text);
    let bad = tmp.path().join("tampered.json");
    std::fs::write(&bad, tampered).unwrap();
    let o = check(&bad, head);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("REJECTED"),
        "{}",
        show(&o)
    );

    // Another checkpoint: 1. A bare root (no tree size), unreadable checkpoint or proof: 2.
    let mut other = d.log.checkpoint();
    other.root[0] ^= 1;
    let o = check(&file, other.to_text().trim_end());
    assert_eq!(code(&o), 1, "{}", show(&o));
    let o = check(&file, &hex::encode(d.log.head()));
    assert_eq!(code(&o), 2, "{}", show(&o));
    let o = check(&file, "not-a-head");
    assert_eq!(code(&o), 2, "{}", show(&o));
    let o = check(&PathBuf::from(PLAN), head);
    assert_eq!(code(&o), 2, "{}", show(&o));

    // Unknown enterprise: 2, naming it. An existing --out is never replaced: 2.
    let o = prove(&log, PLAN, "91120116MA05JKLM8X", None);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("91120116MA05JKLM8X"));
    let o = prove(&log, PLAN, &id, Some(&file));
    assert_eq!(code(&o), 2, "{}", show(&o));

    // A log that does not verify: refused with 1.
    let mut log_bytes = std::fs::read(&log).unwrap();
    let at = log_bytes.len() / 3;
    log_bytes[at] ^= 2;
    let bad_dir = tmp.path().join("bad");
    std::fs::create_dir(&bad_dir).unwrap();
    std::fs::write(bad_dir.join("draw.log"), log_bytes).unwrap();
    let o = prove(&bad_dir.join("draw.log"), PLAN, &id, None);
    assert_eq!(code(&o), 1, "{}", show(&o));
}

// ---- committed draws and replacements ----

#[test]
fn committed_draw_with_a_replacement() {
    use dualdraw::commit::{self, EntropySource};
    use dualdraw::internals::CommitHeader;
    use dualdraw::log;
    let d = demo();
    let i = &d.inputs;
    let secret = [42u8; 32];
    let entropy = EntropySource::new("dice", "dice thrown at the public ceremony").unwrap();
    let mut log = log::chain(vec![internals::commit_event(&CommitHeader {
        plan: &i.plan,
        plan_digest: i.plan_digest,
        targets: i.targets.digest(),
        officers: i.officers.digest(),
        entropy: &entropy,
        commitment: commit::commitment(&secret),
        crate_version: dualdraw::commands::CRATE_VERSION,
    })]);
    let thrown = "3 1 4 1 5 9 2 6";
    let seed = commit::derive_seed(&secret, thrown, &log::line_hash(&log.lines[0]));
    log.append(vec![internals::reveal_event(&secret, thrown, &seed)]);
    let mut outcome = dualdraw::internals::run(&i.plan, &i.targets, &i.officers, &seed).unwrap();
    log.append(internals::draw_events(
        &i.plan,
        i.targets.warnings(),
        &outcome,
    ));
    // Replace the first officer of the first drawn enterprise's team.
    let t0 = &outcome.tasks[0];
    let (task, id, out) = (
        t0.task.clone(),
        t0.teams[0].enterprise.clone(),
        t0.teams[0].officers[0].clone(),
    );
    let records: BTreeMap<String, dualdraw::directory::Enterprise> = i
        .targets
        .records()
        .iter()
        .filter(|e| e.id == id)
        .map(|e| (e.id.clone(), e.clone()))
        .collect();
    let done = dualdraw::internals::apply_replacements(
        &i.plan,
        &mut outcome,
        &records,
        &i.officers,
        &[dualdraw::team::ReplacementRequest {
            task: task.clone(),
            enterprise: id.clone(),
            out: out.clone(),
            reason: dualdraw::reason::Reason::of(dualdraw::reason::Category::Illness),
        }],
    )
    .unwrap();
    log.append(done.iter().map(internals::replacement_event));

    let prover = Prover::from_inputs(&log.to_bytes(), Some(&log.head()), i)
        .expect("the committed log verifies");
    let p = prover.prove(&id).unwrap();
    let checked = proof::check(&p.to_bytes(), &log.checkpoint()).unwrap();
    assert_eq!(checked.mode, "commit-reveal");
    assert_eq!(checked.seed, seed);
    assert!(p.lines.iter().any(|l| l.seq == 1), "the reveal is carried");
    let t = checked.tasks.iter().find(|t| t.task == task).unwrap();
    let dp = t.drawn.as_ref().unwrap();
    assert_eq!(dp.officers[0], out);
    assert_eq!(dp.replacements.len(), 1);
    assert_eq!(dp.replacements[0].incoming, done[0].incoming);
    assert_eq!(dp.officers_now[0], done[0].incoming);
    assert_ne!(dp.officers_now, dp.officers);
    // Dropping the replacement line breaks the inclusion proof. (A prover who recomputes it
    // for the remaining lines shows the team as drawn: inclusion cannot show that no other
    // line exists, which is what `covers` says and `check-proof` prints.)
    let mut q = p.clone();
    q.lines.retain(|l| l.line["event"] != "replacement");
    assert_eq!(q.lines.len() + 1, p.lines.len());
    match proof::check(&q.to_bytes(), &log.checkpoint()) {
        Err(ProofError::Failed { check, .. }) if check == "log inclusion proofs" => {}
        other => panic!("a proof without its replacement line: {other:?}"),
    }
    let seqs: Vec<u64> = q.lines.iter().map(|l| l.seq).collect();
    let tree = dualdraw::merkle::Tree::from_leaf_hashes(
        log.lines
            .iter()
            .map(|l| dualdraw::log::leaf_hash(l))
            .collect(),
    );
    q.lines_proof = b64_concat(&tree.multi_inclusion_proof(&seqs));
    let shown = proof::check(&q.to_bytes(), &log.checkpoint()).unwrap();
    assert!(shown.to_string().contains("NOT SHOWN by this proof"));
    assert!(
        shown
            .to_string()
            .contains("a replacement of its team not listed here")
    );
    // Without the reveal, the seed of a committed draw is unknown.
    let mut r = p.clone();
    r.lines.retain(|l| l.seq != 1);
    assert!(proof::check(&r.to_bytes(), &log.checkpoint()).is_err());
    // Every enterprise of the committed draw proves and checks (sampled).
    for e in i.targets.records().iter().step_by(53) {
        let p = prover.prove(&e.id).unwrap();
        assert!(
            proof::check(&p.to_bytes(), &log.checkpoint()).is_ok(),
            "{}",
            e.id
        );
    }
}

/// The Python verifier checks the same proofs (SPEC.md §10.3, without the reason texts and the
/// byte form): genuine ones of each verdict pass, and a changed hex digit anywhere in the
/// carried log lines, their paths or the directory path fails in both.
#[test]
fn python_verifier_agrees_on_proofs() {
    if !common::cli::python3_probe().is_ok_and(|o| o.status.success()) {
        return;
    }
    let d = demo();
    let tmp = common::tmp();
    let head = tmp.path().join("draw.head");
    std::fs::write(&head, d.log.checkpoint().to_text()).unwrap();
    let py = |proof: &Path| {
        std::process::Command::new("python3")
            .arg(common::cli::verify_py())
            .arg("--check-proof")
            .arg(proof)
            .arg("--head")
            .arg(&head)
            .output()
            .unwrap()
    };
    let mut seen = BTreeSet::new();
    let mut sample = None;
    let drawn: Vec<String> = drawn_in_log(&d.outcome)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    let records = d.inputs.targets.records();
    let ids = [
        &drawn[0],
        &drawn[drawn.len() - 1],
        &records[0].id,
        &records[1].id,
        &records[7].id,
    ];
    for id in ids {
        let p = d.prover.prove(id).unwrap();
        let checked = proof::check(&p.to_bytes(), &d.log.checkpoint()).unwrap();
        let e = &checked.enterprise;
        let file = tmp.path().join(format!("{}.json", e.id));
        std::fs::write(&file, p.to_bytes()).unwrap();
        let o = py(&file);
        assert_eq!(code(&o), 0, "{}: {}", e.id, show(&o));
        for t in &checked.tasks {
            seen.insert(format!("{:?}", t.verdict));
            if t.verdict == Verdict::Drawn && sample.is_none() {
                sample = Some(p.clone());
            }
        }
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let p = sample.expect("a drawn enterprise");
    let text = p.to_json();
    let from = text.find("\"record\"").unwrap();
    let to = text.find("\"plan\":").unwrap();
    let bad = tmp.path().join("bad.json");
    let checkpoint = d.log.checkpoint();
    let mut tried = 0;
    for at in (from..to).step_by(41) {
        let mut b = text.clone().into_bytes();
        if !b[at].is_ascii_alphanumeric() {
            continue;
        }
        b[at] = if b[at] == b'0' { b'1' } else { b'0' };
        std::fs::write(&bad, &b).unwrap();
        assert!(proof::check(&b, &checkpoint).is_err(), "byte {at}");
        let o = py(&bad);
        assert_ne!(code(&o), 0, "byte {at}: Python accepted\n{}", show(&o));
        tried += 1;
    }
    assert!(tried > 12, "{tried}");
}

#[test]
fn residuals_carry_exactly_what_the_checker_cannot_derive() {
    // SPEC.md §10.2: a residual that keeps a member the checker derives, lacks one it cannot,
    // or carries a hash in hex, is rejected; the proof as the prover wrote it is the only one.
    let d = demo();
    let head = d.log.checkpoint();
    let (_, id) = drawn_in_log(&d.outcome).into_iter().next().unwrap();
    let p = d.prover.prove(&id).unwrap();
    assert!(proof::check(&p.to_bytes(), &head).is_ok());
    let target = p
        .lines
        .iter()
        .position(|l| l.line["event"] == "target")
        .unwrap();
    let task = p
        .lines
        .iter()
        .position(|l| l.line["event"] == "task")
        .unwrap();
    let full: serde_json::Value =
        serde_json::from_str(&d.log.lines[p.lines[target].seq as usize]).unwrap();
    let rejected = |q: &Proof, what: &str| {
        let r = proof::check(&q.to_bytes(), &head);
        assert!(matches!(r, Err(ProofError::Failed { .. })), "{what}: {r:?}");
    };
    // A derived member kept (even with its right value): not the canonical residual.
    for member in ["ticket", "id", "task", "seq"] {
        let mut q = p.clone();
        q.lines[target].line[member] = full[member].clone();
        rejected(&q, member);
    }
    // The key of the task line, kept.
    let mut q = p.clone();
    let task_line: serde_json::Value =
        serde_json::from_str(&d.log.lines[p.lines[task].seq as usize]).unwrap();
    q.lines[task].line["key"] = task_line["key"].clone();
    rejected(&q, "key");
    // A member the checker cannot derive, left out.
    let mut q = p.clone();
    q.lines[target].line.as_object_mut().unwrap().remove("rank");
    rejected(&q, "rank left out");
    // A hash in hex rather than base64, or a cutoff changed in one bit.
    let mut q = p.clone();
    q.lines[task].line["strata"][0]["cutoff"] = task_line["strata"][0]["cutoff"].clone();
    rejected(&q, "cutoff in hex");
    let mut q = p.clone();
    let cut = q.lines[task].line["strata"][0]["cutoff"]
        .as_str()
        .unwrap()
        .replacen('A', "B", 1);
    q.lines[task].line["strata"][0]["cutoff"] = cut.into();
    rejected(&q, "another cutoff");
    // The header's notice or spec kept; a task's pool rules changed in the header.
    for (member, value) in [
        ("spec", serde_json::Value::from("dualdraw-spec/4")),
        ("notice", dualdraw::log::NOTICE.into()),
    ] {
        let mut q = p.clone();
        q.lines[0].line[member] = value;
        rejected(&q, member);
    }
    let mut q = p.clone();
    q.lines[0].line["tasks"][0]["exclude_inspected_within_days"] = 1.into();
    rejected(&q, "header tasks");
}

#[test]
fn prev_is_derived_exactly_when_the_line_before_is_carried() {
    // A line right after a carried one (a target line after its task line, the reveal after
    // the header) has its `prev` derived; a line whose predecessor is not carried keeps it.
    let d = demo();
    for p in (0..d.inputs.targets.records().len())
        .step_by(97)
        .map(|i| d.prover.prove(&d.inputs.targets.records()[i].id).unwrap())
    {
        let seqs: Vec<u64> = p.lines.iter().map(|l| l.seq).collect();
        for (i, l) in p.lines.iter().enumerate() {
            let before_carried = i > 0 && seqs[i - 1] + 1 == l.seq;
            assert_eq!(
                l.line.get("prev").is_none(),
                l.seq == 0 || before_carried,
                "seq {}",
                l.seq
            );
        }
    }
}
