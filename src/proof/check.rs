//! The checker: a proof's bytes against a published checkpoint (SPEC.md §10.3). It does no
//! I/O and needs nothing else: the log lines, the plan and the record all travel in the proof.

use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::directory::Enterprise;
use crate::directory::fields::{self, EnterpriseStatus};
use crate::log;
use crate::merkle::{self, Hash};
use crate::plan::{Plan, Task};
use crate::seed;
use crate::target::{self, Eligibility};

use super::assemble::{apply_replacements, derive, pool_of, reason};
use super::facts::{Facts, TargetFacts, TaskFacts, TeamFacts, parse_hash};
use super::format::{
    COVERS, COVERS_TEXT, FORMAT, LogLine, Proof, Record, StratumProof, TaskProof, Verdict, summary,
};

/// Why a proof was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The input is not a proof at all (not UTF-8, not JSON, wrong shape), or the head given
    /// is not a hash: exit code 2.
    #[error("cannot read the proof: {0}")]
    Unreadable(String),
    /// The proof was read, and a check failed: exit code 1.
    #[error("proof REJECTED: {check}: {detail}")]
    Failed {
        /// Which check.
        check: String,
        /// What was found.
        detail: String,
    },
}

fn fail<T>(
    check: impl Into<String>,
    detail: impl Into<String>,
) -> std::result::Result<T, ProofError> {
    Err(ProofError::Failed {
        check: check.into(),
        detail: detail.into(),
    })
}

fn same<T: PartialEq + fmt::Debug>(
    check: &str,
    what: &str,
    proof: &T,
    expected: &T,
) -> std::result::Result<(), ProofError> {
    if proof == expected {
        Ok(())
    } else {
        fail(
            check,
            format!("{what}: the proof says {proof:?} but it must be {expected:?}"),
        )
    }
}

/// Decodes a canonical enterprise record (SPEC.md §3.1); it must re-encode to the same bytes.
///
/// # Errors
///
/// A description of the first field that is not as SPEC.md §3.1 encodes it (length
/// prefix past the end, a status or class out of range, bytes after the record).
pub fn decode_record(b: &[u8]) -> std::result::Result<Enterprise, String> {
    struct R<'a>(&'a [u8]);
    impl R<'_> {
        fn u32(&mut self) -> std::result::Result<usize, String> {
            if self.0.len() < 4 {
                return Err("truncated".into());
            }
            let (n, rest) = self.0.split_at(4);
            self.0 = rest;
            Ok(u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
        }
        fn str(&mut self) -> std::result::Result<String, String> {
            let n = self.u32()?;
            if self.0.len() < n {
                return Err("truncated".into());
            }
            let (s, rest) = self.0.split_at(n);
            self.0 = rest;
            String::from_utf8(s.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
        }
    }
    let mut r = R(b);
    if r.str()? != "dualdraw/v1/enterprise" {
        return Err("it does not start with str(\"dualdraw/v1/enterprise\")".into());
    }
    let id = r.str()?;
    let name = r.str()?;
    let region = r.str()?;
    let n = r.u32()?;
    if n > b.len() {
        return Err("truncated".into());
    }
    let domains = (0..n)
        .map(|_| r.str())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let class = r.str()?;
    let status = r.str()?;
    let date = r.str()?;
    if !r.0.is_empty() {
        return Err(format!("{} bytes after the last field", r.0.len()));
    }
    let credit_class =
        fields::parse_credit_class(&class).map_err(|e| format!("credit class: {e}"))?;
    let status = match status.as_str() {
        "active" => EnterpriseStatus::Active,
        "abnormal" => EnterpriseStatus::Abnormal,
        "closed" => EnterpriseStatus::Closed,
        other => {
            return Err(format!(
                "status {other:?} is not active, abnormal or closed"
            ));
        }
    };
    let last_inspected = if date.is_empty() {
        None
    } else {
        Some(fields::parse_date(&date).map_err(|e| format!("last_inspected: {e}"))?)
    };
    let e = Enterprise {
        id,
        name,
        region,
        domains,
        credit_class,
        status,
        last_inspected,
    };
    if e.canonical_bytes() != b {
        return Err("the record is not in canonical form (it re-encodes differently)".into());
    }
    Ok(e)
}

/// What a successful [`check`] established: the proof, and what it shows, derived from it.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The proof, every member of it confirmed.
    pub proof: Proof,
    /// The enterprise: its canonical record, decoded.
    pub enterprise: Record,
    /// The enterprise in every task of the plan, in plan order.
    pub tasks: Vec<TaskProof>,
    /// `operator-seed` or `commit-reveal`.
    pub mode: String,
    /// The seed: the header's, or the one derived from the reveal.
    pub seed: String,
    /// The target directory's head and record count, as the log header commits to them.
    pub directory: (String, u64),
}

impl Checked {
    /// A few lines for people: the enterprise and its verdict in each task.
    pub fn summary(&self) -> String {
        summary(
            &self.enterprise,
            self.proof.leaf_index,
            self.directory.1,
            &self.directory.0,
            &self.tasks,
        )
    }
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.proof;
        writeln!(
            f,
            "OK: the proof checks against the checkpoint ({} log lines, one RFC 9162 multi-leaf inclusion proof of {} hashes)",
            p.lines.len(),
            p.lines_proof.len()
        )?;
        writeln!(
            f,
            "plan: SHA-256 matches the header's plan.digest; record: leaf {} of {}, RFC 9162 inclusion proof of {} hashes verified against the header's directory head",
            p.leaf_index,
            self.directory.1,
            p.record_path.len()
        )?;
        write!(f, "{}", self.summary())?;
        writeln!(
            f,
            "{} of the log's lines, proved against the checkpoint:\n{}",
            p.lines.len(),
            p.checkpoint.trim_end()
        )?;
        write!(f, "NOT SHOWN by this proof ({}): {COVERS_TEXT}", p.covers)
    }
}

/// A hash written as base64 (RFC 4648 §4, padded, canonical: it re-encodes to itself).
fn parse_b64_hash(s: &str) -> Option<Hash> {
    let b = parse_b64(s)?;
    <Hash>::try_from(b.as_slice()).ok()
}

/// Base64 (RFC 4648 §4) that re-encodes to the same text.
fn parse_b64(s: &str) -> Option<Vec<u8>> {
    let b = STANDARD.decode(s).ok()?;
    (STANDARD.encode(&b) == s).then_some(b)
}

fn hashes(check: &str, what: &str, list: &[String]) -> std::result::Result<Vec<Hash>, ProofError> {
    list.iter()
        .enumerate()
        .map(|(i, h)| {
            parse_b64_hash(h).ok_or_else(|| ProofError::Failed {
                check: check.into(),
                detail: format!("{what}[{i}] is not a hash in base64 (44 characters)"),
            })
        })
        .collect()
}

/// The carried log lines against the checkpoint (SPEC.md §10.3 step 3): in increasing `seq`
/// order, without LF, each a JSON object whose `seq` member is its position, and together in
/// the log of the checkpoint by the multi-leaf inclusion proof `lines_proof`.
fn check_lines(
    lines: &[LogLine],
    lines_proof: &[String],
    cp: &log::Checkpoint,
) -> std::result::Result<(), ProofError> {
    /// The member the check reads; absent or of another type, it is `Null` here.
    #[derive(Deserialize)]
    struct Seq {
        #[serde(default)]
        seq: Value,
    }
    const C: &str = "log inclusion proofs";
    if lines.is_empty() {
        return fail(C, "the proof carries no log line");
    }
    let mut before: Option<u64> = None;
    let mut leaves = Vec::with_capacity(lines.len());
    for l in lines {
        let bad = |detail: String| fail::<()>(C, format!("line seq {}: {detail}", l.seq));
        if before.is_some_and(|b| b >= l.seq) {
            return bad("the lines are not in increasing seq order".into());
        }
        before = Some(l.seq);
        if l.line.contains('\n') {
            return bad("contains a newline".into());
        }
        let seq = match serde_json::from_str(&l.line) {
            Ok(v @ Value::Object(_)) => {
                serde_json::from_value::<Seq>(v).map_or(Value::Null, |s| s.seq)
            }
            Ok(_) => return bad("not a JSON object".into()),
            Err(e) => return bad(format!("not JSON ({e})")),
        };
        if seq.as_u64() != Some(l.seq) {
            return bad(format!("the line's `seq` member is not {}", l.seq));
        }
        leaves.push((l.seq, log::leaf_hash(&l.line)));
    }
    let proof = hashes(C, "lines_proof", lines_proof)?;
    merkle::verify_multi_inclusion(&leaves, cp.size, &proof, &cp.root).map_err(|e| {
        ProofError::Failed {
            check: C.into(),
            detail: format!(
                "the lines are not in the log of the checkpoint (tree size {}): {e}",
                cp.size
            ),
        }
    })
}

/// Checks a proof file's bytes against a published checkpoint (SPEC.md §10.3).
///
/// Reads the proof, then checks the carried log lines' multi-leaf inclusion proof against the
/// checkpoint, the header and seed, the plan text against the header's digest, the record and
/// its RFC 9162 inclusion proof under the header's directory head and count, and for every
/// task: the key (recomputed from the seed), the ticket, the pool (recomputed from the record
/// and the plan), the comparison with the stratum's cutoff, and that the log draws the
/// enterprise exactly when that comparison says so, with the rank, team and replacements the
/// lines state; finally that the proof carries exactly the lines these imply, in its
/// canonical form (optionally followed by one LF), so that every byte of the file is
/// accounted for.
///
/// # Errors
///
/// [`ProofError::Unreadable`] when the bytes are not a proof; [`ProofError::Failed`] naming
/// the first check that fails (checkpoint, inclusion, plan digest, record, ticket, pool,
/// cutoff, team, replacements, lines, canonical form).
pub fn check(
    bytes: &[u8],
    checkpoint: &log::Checkpoint,
) -> std::result::Result<Checked, ProofError> {
    // 1. Read.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ProofError::Unreadable(format!("not UTF-8 ({e})")))?;
    let proof: Proof = serde_json::from_str(text)
        .map_err(|e| ProofError::Unreadable(format!("not a {FORMAT} proof ({e})")))?;

    // 2. Format, the checkpoint (the one published) and what the proof covers.
    if proof.format != FORMAT {
        return fail("format", format!("{:?} is not {FORMAT:?}", proof.format));
    }
    same(
        "checkpoint",
        "checkpoint",
        &proof.checkpoint,
        &checkpoint.to_text(),
    )?;
    same("checkpoint", "covers", &proof.covers.as_str(), &COVERS)?;
    // 3. The carried lines are in the log of the checkpoint, at their seqs.
    let lines = &proof.lines;
    check_lines(lines, &proof.lines_proof, checkpoint)?;
    // 4. The header and the seed.
    let numbered: Vec<(u64, &str)> = lines.iter().map(|l| (l.seq, l.line.as_str())).collect();
    let facts = Facts::read(&numbered).map_err(|e| ProofError::Failed {
        check: "log events".into(),
        detail: e,
    })?;

    // 5. The plan.
    let digest = hex::encode(Sha256::digest(proof.plan.as_bytes()));
    if facts.plan_digest != digest {
        return fail(
            "plan digest",
            format!(
                "the plan text hashes to {digest} but the log header's plan.digest is {}",
                facts.plan_digest
            ),
        );
    }
    let plan = Plan::from_toml(
        proof.plan.trim_start_matches('\u{feff}'),
        Path::new("plan.toml"),
    )
    .map_err(|e| ProofError::Failed {
        check: "plan".into(),
        detail: format!("the plan text does not parse: {e}"),
    })?;
    same(
        "plan",
        "plan id in the log header",
        &facts.plan_id,
        &plan.id,
    )?;
    same(
        "plan",
        "inspection date in the log header",
        &facts.inspection_date,
        &plan.inspection_date.format("%Y-%m-%d").to_string(),
    )?;

    // 6. The record.
    let Some(canonical_record) = parse_b64(&proof.record) else {
        return fail("record", "record is not canonical base64");
    };
    let e = decode_record(&canonical_record).map_err(|d| ProofError::Failed {
        check: "record".into(),
        detail: format!("record: {d}"),
    })?;

    // 7. The record's inclusion (RFC 9162 §2.1.3.2) under the header's head and count.
    let dir_head = parse_hash(&facts.dir_head).ok_or_else(|| ProofError::Failed {
        check: "inclusion proof".into(),
        detail: "the header's directories.targets.head is not a hash".into(),
    })?;
    let leaf = merkle::leaf_hash(&canonical_record);
    let path = hashes("inclusion proof", "record_path", &proof.record_path)?;
    merkle::verify_inclusion(proof.leaf_index, facts.dir_count, &leaf, &path, &dir_head).map_err(
        |err| ProofError::Failed {
            check: "inclusion proof".into(),
            detail: format!(
                "record {} at leaf index {} of {}: {err}",
                e.id, proof.leaf_index, facts.dir_count
            ),
        },
    )?;

    // 8. Every task: the carried task lines are those of the tasks where the enterprise is
    // eligible, in plan order; in each, the verdict the cutoff gives is the one the lines show.
    let eligible: Vec<&str> = plan
        .tasks
        .iter()
        .filter(|t| matches!(target::eligibility(&plan, t, &e), Eligibility::Eligible(_)))
        .map(|t| t.id.as_str())
        .collect();
    let carried: Vec<&str> = facts.tasks.iter().map(|t| t.id.as_str()).collect();
    if carried != eligible {
        return fail(
            "tasks",
            format!(
                "the proof carries the task lines of {carried:?}, but the enterprise is eligible in {eligible:?} (the plan's tasks where §4.3 puts it in the pool)"
            ),
        );
    }
    let derived = derive(&facts, &plan, &e).map_err(|detail| ProofError::Failed {
        check: "log events".into(),
        detail,
    })?;
    for (task, tp) in plan.tasks.iter().zip(&derived.tasks) {
        if let Some(tf) = facts.tasks.iter().find(|t| t.id == task.id) {
            check_task(&plan, &facts, task, tf, tp, &e)?;
        }
    }

    // 9. Nothing else: exactly the lines that decide the enterprise's fate.
    let seqs: std::collections::BTreeSet<u64> = lines.iter().map(|l| l.seq).collect();
    if seqs != derived.needed {
        return fail(
            "lines",
            format!(
                "the proof carries the lines {seqs:?}, but the enterprise's fate is decided by the lines {:?}",
                derived.needed
            ),
        );
    }
    // 10. Canonical form: every byte of the file is accounted for.
    let canonical = proof.to_json();
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body != canonical {
        let at = body
            .bytes()
            .zip(canonical.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(body.len().min(canonical.len()));
        return fail(
            "canonical form",
            format!("the file differs from the proof's canonical serialization at byte {at}"),
        );
    }
    Ok(Checked {
        proof,
        enterprise: derived.record,
        tasks: derived.tasks,
        mode: facts.mode.clone(),
        seed: facts.seed.clone(),
        directory: (facts.dir_head.clone(), facts.dir_count),
    })
}

fn check_task(
    plan: &Plan,
    facts: &Facts,
    task: &Task,
    tf: &TaskFacts,
    tp: &TaskProof,
    e: &Enterprise,
) -> std::result::Result<(), ProofError> {
    let c = format!("task {}", task.id);
    let c = c.as_str();
    same(c, "task id", &tp.task, &task.id)?;
    same(c, "task id in the log", &tf.id, &task.id)?;
    same(c, "task_seq", &tp.task_seq, &Some(tf.seq))?;
    // The log's task event agrees with the plan text.
    same(c, "the task event's domain", &tf.domain, &task.domain)?;
    same(
        c,
        "the task event's exclude_inspected_within_days",
        &tf.exclude_days,
        &task.exclude_inspected_within_days.map(u64::from),
    )?;
    // The key is the one the seed gives (SPEC.md §5.1).
    let key = seed::task_key(&facts.seed, &plan.id, &task.id);
    same(c, "the task event's key", &tf.key, &hex::encode(key))?;
    same(c, "key", &tp.key, &tf.key)?;
    // The ticket (SPEC.md §5.2).
    let ticket = target::ticket(&key, &e.id);
    same(c, "ticket", &tp.ticket, &hex::encode(ticket))?;
    // The pool (SPEC.md §4.3), from the record and the plan.
    let elig = target::eligibility(plan, task, e);
    same(c, "pool", &tp.pool, &pool_of(elig))?;
    same(c, "reason", &tp.reason, &reason(plan, task, e))?;

    let mine: Vec<&TargetFacts> = tf.targets.iter().filter(|t| t.id == e.id).collect();
    let my_teams: Vec<&TeamFacts> = tf.teams.iter().filter(|t| t.enterprise == e.id).collect();
    if mine.len() > 1 || my_teams.len() > 1 {
        return fail(
            c,
            format!(
                "the log has {} target and {} team events for {}",
                mine.len(),
                my_teams.len(),
                e.id
            ),
        );
    }
    let Eligibility::Eligible(s) = elig else {
        same(c, "stratum", &tp.stratum, &None)?;
        same(c, "verdict", &tp.verdict, &Verdict::NotEligible)?;
        same(c, "drawn", &tp.drawn, &None)?;
        if let Some(t) = mine.first() {
            return fail(
                c,
                format!(
                    "the enterprise is not eligible ({}) but the log draws it at seq {}",
                    tp.reason, t.seq
                ),
            );
        }
        if let Some(t) = my_teams.first() {
            return fail(
                c,
                format!("a team event at seq {} for an enterprise not drawn", t.seq),
            );
        }
        return Ok(());
    };

    // The stratum, as logged.
    let name = s.name();
    let strata: Vec<&StratumProof> = tf.strata.iter().filter(|x| x.name == name).collect();
    let [sf] = strata.as_slice() else {
        return fail(
            c,
            format!("the task event has {} strata named {name:?}", strata.len()),
        );
    };
    same(c, "stratum", &tp.stratum.as_ref(), &Some(*sf))?;
    // The verdict by the cutoff (SPEC.md §10.3 step 8): drawn iff the ticket is not above the
    // stratum's cutoff, the largest drawn ticket; null iff nothing was drawn. (Two drawn
    // enterprises with the same ticket would need a SHA-256 collision, so the id that breaks
    // ties in §5.2 is not needed here.)
    let cutoff = match &sf.cutoff {
        None if sf.drawn == 0 => None,
        Some(cut) if sf.drawn > 0 => Some(parse_hash(cut).ok_or_else(|| ProofError::Failed {
            check: c.into(),
            detail: "the stratum's cutoff is not a hash".into(),
        })?),
        _ => {
            return fail(
                c,
                format!("stratum {name}: a cutoff with nothing drawn, or drawn without a cutoff"),
            );
        }
    };
    let by_cutoff = cutoff.is_some_and(|cut| ticket <= cut);
    if let Some(t) = mine.first()
        && (t.rank == 0 || t.rank > sf.drawn || (Some(ticket) == cutoff) != (t.rank == sf.drawn))
    {
        return fail(
            c,
            format!(
                "stratum {name}: the target line at seq {} has rank {} of {} drawn, which its ticket and the cutoff contradict",
                t.seq, t.rank, sf.drawn
            ),
        );
    }
    let cut_text = sf.cutoff.as_deref().unwrap_or("null");
    match (by_cutoff, mine.first()) {
        (true, None) => {
            return fail(
                c,
                format!(
                    "the ticket {} is not above the cutoff {cut_text} of stratum {name}, so the enterprise must be drawn, but the proof carries no target line for it",
                    tp.ticket
                ),
            );
        }
        (false, Some(t)) => {
            return fail(
                c,
                format!(
                    "the ticket {} is above the cutoff {cut_text} of stratum {name}, yet the log draws the enterprise at seq {}",
                    tp.ticket, t.seq
                ),
            );
        }
        (false, None) => {
            same(c, "verdict", &tp.verdict, &Verdict::NotDrawn)?;
            same(c, "drawn", &tp.drawn, &None)?;
            if let Some(t) = my_teams.first() {
                return fail(
                    c,
                    format!("a team event at seq {} for an enterprise not drawn", t.seq),
                );
            }
        }
        (true, Some(t)) => {
            same(c, "verdict", &tp.verdict, &Verdict::Drawn)?;
            same(c, "the target event's stratum", &t.stratum.as_str(), &name)?;
            same(c, "the target event's ticket", &t.ticket, &tp.ticket)?;
            let Some(d) = &tp.drawn else {
                return fail(
                    c,
                    "the enterprise is drawn but the proof gives no rank or team",
                );
            };
            same(c, "rank", &d.rank, &t.rank)?;
            same(c, "target_seq", &d.target_seq, &t.seq)?;
            let Some(team) = my_teams.first() else {
                return fail(
                    c,
                    "the log draws the enterprise but has no team event for it",
                );
            };
            same(c, "team_seq", &d.team_seq, &team.seq)?;
            same(c, "leader", &d.leader, &team.leader)?;
            same(
                c,
                "the team's leader",
                &team.officers.first(),
                &Some(&team.leader),
            )?;
            same(c, "officers", &d.officers, &team.officers)?;
            same(c, "experts", &d.experts, &team.experts)?;
            let logged = facts.replacements_of(&task.id, &e.id);
            same(c, "replacements", &d.replacements, &logged)?;
            let now = apply_replacements(&team.officers, &logged).map_err(|detail| {
                ProofError::Failed {
                    check: c.into(),
                    detail,
                }
            })?;
            same(c, "officers_now", &d.officers_now, &now)?;
        }
    }
    Ok(())
}
