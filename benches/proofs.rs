//! Per-enterprise proofs (SPEC.md §10): their size and the proving rate, with the baseline of
//! SHA-256 over a proof's bytes in the same run. `cargo bench --bench proofs`.
//!
//! - `prove_demo_enterprise`: `Prover::prove` on the Tianjin demo (2,400 records, 31 lines),
//!   the whole proof: eligibility, reasons, ticket, directory path, log lines and their paths.
//! - `log_paths_of_one_proof_2e5_lines`: the log part of a proof for a plan that draws 10^5
//!   enterprises (a synthetic log of 2·10^5 + 3 lines shaped like a draw's: header, task,
//!   10^5 target and 10^5 team lines, footer), once its tree is built: the four lines a drawn
//!   enterprise's proof carries and their multi-leaf inclusion proof.
//! - `prove_and_serialize_demo_enterprise`: the same as `prove_demo_enterprise`, plus the file
//!   form.
//! - Sizes are printed: every demo proof's bytes, and a proof for the 10^5-from-10^7 plan put
//!   together from a real demo proof with that log's lines and paths and a directory path of
//!   the length a 10^7-record tree has (no 10^7-row draw is run: the size depends only on the
//!   lines carried and the path lengths).

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use dualdraw::log;
use dualdraw::merkle::{Tree, inclusion_proof_len};
use dualdraw::proof::{LogLine, Prover};
use serde_json::json;
use sha2::{Digest, Sha256};

fn bench(c: &mut Criterion) {
    let inputs =
        dualdraw::io::load_inputs("fixtures/tianjin-2020/plan.toml".as_ref()).expect("demo");
    let drawn = dualdraw::Draw::new(&inputs.plan)
        .run(&inputs.targets, &inputs.officers)
        .expect("demo draw");
    let prover = Prover::from_inputs(&drawn.log.to_bytes(), Some(&drawn.head()), &inputs)
        .expect("demo proves");
    let ids: Vec<String> = inputs
        .targets
        .records()
        .iter()
        .map(|e| e.id.clone())
        .collect();
    let sizes: Vec<usize> = ids
        .iter()
        .map(|id| prover.prove(id).expect("proof").to_bytes().len())
        .collect();
    let drawn_id = &drawn.outcome.tasks[0].drawn[0].id;
    let sample = prover.prove(drawn_id).expect("proof");
    let lines_len = |p: &dualdraw::proof::Proof| serde_json::to_string(&p.lines).unwrap().len();
    // Hashes in a concatenated base64 member.
    let count = |b64: &str| b64.len() / 4 * 3 / 32;
    let mut sorted = sizes.clone();
    sorted.sort_unstable();
    eprintln!(
        "demo proofs: {} enterprises, {}..{} bytes (mean {}, median {}, {} over 3,000 bytes); a drawn one {} bytes, of which record {}, log line residuals {} ({} lines, header {}), lines_proof {} hashes, record_path {} hashes",
        sizes.len(),
        sizes.iter().min().unwrap(),
        sizes.iter().max().unwrap(),
        sizes.iter().sum::<usize>() / sizes.len(),
        sorted[sorted.len() / 2],
        sizes.iter().filter(|&&n| n > 3000).count(),
        sample.to_bytes().len(),
        serde_json::to_string(&sample.record).unwrap().len(),
        lines_len(&sample),
        sample.lines.len(),
        serde_json::to_string(&sample.lines[0]).unwrap().len(),
        count(&sample.lines_proof),
        count(&sample.record_path)
    );

    // A draw of 10^5 enterprises: header, task, targets, teams, footer.
    let n = 100_000u64;
    // The header of a plan of one task: the demo's, with its first task's pool rules only.
    let mut header: serde_json::Value = serde_json::from_str(&drawn.log.lines[0]).unwrap();
    header["tasks"] = json!([header["tasks"][0].clone()]);
    let task_line = drawn
        .log
        .lines
        .iter()
        .find(|l| l.contains("\"event\":\"task\""))
        .expect("a task line");
    let task: serde_json::Value = serde_json::from_str(task_line).expect("JSON");
    let mut events = vec![header, task];
    for i in 0..n {
        events.push(json!({"event": "target", "task": "radio", "stratum": "all", "rank": i + 1,
            "id": format!("91120116MA{i:08}"), "ticket": hex::encode(Sha256::digest(i.to_be_bytes()))}));
    }
    for i in 0..n {
        events.push(
            json!({"event": "team", "task": "radio", "enterprise": format!("91120116MA{i:08}"),
            "leader": "TJGX0001", "officers": ["TJGX0001", "TJGX0003"], "experts": ["ZJ0001"],
            "eligible_officers": 40, "eligible_experts": 5}),
        );
    }
    events.push(json!({"event": "footer"}));
    let big = log::chain(events);
    let size = big.lines.len();
    let tree = Tree::from_leaf_hashes(big.lines.iter().map(|l| log::leaf_hash(l)).collect());
    let k = 54_321usize;
    let b64 = |hs: &[[u8; 32]]| {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(hs.concat())
    };
    // The residuals every proof of this plan carries (header, task line), made once, as a
    // `Prover` makes them.
    let common =
        dualdraw::proof::Residuals::of([0u64, 1].map(|s| (s, big.lines[s as usize].as_str())))
            .expect("residuals");
    // The lines of a drawn enterprise: header, task, its target and team lines.
    let carried = |k: usize| [0u64, 1, 2 + k as u64, 2 + n + k as u64];
    let lines_of = |k: usize| {
        let seqs = carried(k);
        let lines: Vec<LogLine> = common
            .lines(
                seqs.iter()
                    .map(|&seq| (seq, big.lines[seq as usize].as_str())),
            )
            .expect("residuals");
        (lines, b64(&tree.multi_inclusion_proof(&seqs)))
    };
    let mut p = sample.clone();
    p.checkpoint = big.checkpoint().to_text();
    (p.lines, p.lines_proof) = lines_of(k);
    let dir_len = inclusion_proof_len(5_000_000, 10_000_000);
    p.record_path = b64(&vec![[0xab; 32]; dir_len]);
    let old_bytes: usize = big.to_bytes().len();
    eprintln!(
        "10^5 drawn from 10^7 rows ({} log lines, {} directory path hashes): a drawn enterprise's proof {} bytes, of which log line residuals {} and their multi-leaf proof {} hashes ({} bytes); dualdraw-proof/1 carried the whole log: {} bytes",
        size,
        dir_len,
        p.to_bytes().len(),
        serde_json::to_string(&p.lines).unwrap().len(),
        count(&p.lines_proof),
        p.lines_proof.len() + 2,
        old_bytes
    );

    let mut g = c.benchmark_group("proofs");
    let bytes = sample.to_bytes();
    g.bench_function("baseline_sha256_of_a_proof", |b| {
        b.iter(|| black_box(Sha256::digest(&bytes)))
    });
    g.bench_function("prove_demo_enterprise", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % ids.len();
            black_box(prover.prove(&ids[i]).expect("proof"))
        })
    });
    g.bench_function("prove_and_serialize_demo_enterprise", |b| {
        let mut i = 0;
        b.iter(|| {
            i = (i + 1) % ids.len();
            black_box(prover.prove(&ids[i]).expect("proof").to_bytes())
        })
    });
    g.bench_function("log_paths_of_one_proof_2e5_lines", |b| {
        let mut i = 0usize;
        b.iter(|| {
            i = (i + 7919) % n as usize;
            black_box(lines_of(i))
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
