//! The checker: a proof's bytes against a published log head (SPEC.md §10.3). It does no
//! I/O and needs nothing else: the log, the plan and the record all travel in the proof.

use std::fmt;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::directory::Enterprise;
use crate::directory::fields::{self, EnterpriseStatus};
use crate::log;
use crate::merkle;
use crate::plan::{Plan, Task};
use crate::seed;
use crate::target::{self, Eligibility};

use super::assemble::{apply_replacements, assemble, pool_of, reason, record_of};
use super::facts::{Facts, TargetFacts, TaskFacts, TeamFacts, parse_hash};
use super::format::{COVERS, FORMAT, LogLine, Proof, StratumProof, TaskProof, Verdict};

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

/// What a successful [`check`] established.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The proof, every field of it confirmed.
    pub proof: Proof,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.proof;
        writeln!(
            f,
            "OK: the proof checks against the checkpoint ({} log lines, each with its RFC 9162 inclusion proof)",
            p.log.lines.len()
        )?;
        writeln!(
            f,
            "plan: SHA-256 {} matches the header; record: leaf {} of {}, RFC 9162 inclusion proof of {} hashes verified against the header's directory head",
            p.plan.digest,
            p.directory.leaf_index,
            p.directory.count,
            p.directory.audit_path.len()
        )?;
        writeln!(f, "{}", p.summary())?;
        write!(f, "NOT SHOWN by this proof: {}", p.log.covers)
    }
}

/// Each carried log line against the checkpoint (SPEC.md §10.3 step 3): in increasing `seq`
/// order below the tree size, without LF, a JSON object whose `seq` member is its position,
/// and its RFC 9162 §2.1.3.2 audit path leads from its leaf hash to the checkpoint's root.
fn check_lines(lines: &[LogLine], cp: &log::Checkpoint) -> std::result::Result<(), ProofError> {
    /// The member the check reads; absent or of another type, it is `Null` here.
    #[derive(Deserialize)]
    struct Seq {
        #[serde(default)]
        seq: Value,
    }
    let mut before: Option<u64> = None;
    for l in lines {
        let bad = |detail: String| {
            fail::<()>(
                "log inclusion proofs",
                format!("line seq {}: {detail}", l.seq),
            )
        };
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
        let mut path = Vec::with_capacity(l.audit_path.len());
        for (i, h) in l.audit_path.iter().enumerate() {
            match parse_hash(h) {
                Some(h) => path.push(h),
                None => return bad(format!("audit_path[{i}] is not 64 lowercase hex digits")),
            }
        }
        let leaf = log::leaf_hash(&l.line);
        if let Err(e) = merkle::verify_inclusion(l.seq, cp.size, &leaf, &path, &cp.root) {
            return bad(format!(
                "not in the log of the checkpoint (tree size {}): {e}",
                cp.size
            ));
        }
    }
    Ok(())
}

/// Checks a proof file's bytes against a published checkpoint (SPEC.md §10.3).
///
/// Reads the proof, then checks each carried log line's RFC 9162 inclusion proof against the
/// checkpoint, the plan digest, the record and its RFC 9162 inclusion proof
/// under the header's directory head and count, and for every task: the key (recomputed from
/// the seed), the ticket, the pool (recomputed from the record and the plan), the comparison
/// with the stratum's cutoff, and that the log draws the enterprise exactly when that
/// comparison says so, with the rank, team and replacements the proof states; finally that
/// the proof is exactly what these imply, in its canonical form (optionally followed by one
/// LF), so that every byte of the file is accounted for.
///
/// # Errors
///
/// [`ProofError::Unreadable`] when the bytes are not a proof; [`ProofError::Failed`] naming
/// the first check that fails (head, chain, plan digest, inclusion, ticket, pool, cutoff,
/// team, replacements, canonical form).
pub fn check(
    bytes: &[u8],
    checkpoint: &log::Checkpoint,
) -> std::result::Result<Checked, ProofError> {
    // 1. Read.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ProofError::Unreadable(format!("not UTF-8 ({e})")))?;
    let proof: Proof = serde_json::from_str(text)
        .map_err(|e| ProofError::Unreadable(format!("not a {FORMAT} proof ({e})")))?;
    if proof.format != FORMAT {
        return fail("format", format!("{:?} is not {FORMAT:?}", proof.format));
    }

    // 2. The checkpoint: the one published.
    same(
        "checkpoint",
        "log.checkpoint",
        &proof.log.checkpoint,
        &checkpoint.to_text(),
    )?;
    same(
        "checkpoint",
        "log.covers",
        &proof.log.covers.as_str(),
        &COVERS,
    )?;
    // 3. Every carried line is in the log of the checkpoint, at its seq.
    let lines = &proof.log.lines;
    check_lines(lines, checkpoint)?;
    // 4. The header and the seed.
    let numbered: Vec<(u64, &str)> = lines.iter().map(|l| (l.seq, l.line.as_str())).collect();
    let facts = Facts::read(&numbered).map_err(|e| ProofError::Failed {
        check: "log events".into(),
        detail: e,
    })?;
    same("log header", "log.mode", &proof.log.mode, &facts.mode)?;
    same("seed", "log.seed", &proof.log.seed, &facts.seed)?;

    // 5. The plan.
    let digest = hex::encode(Sha256::digest(proof.plan.text.as_bytes()));
    same("plan digest", "plan.digest", &proof.plan.digest, &digest)?;
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
        proof.plan.text.trim_start_matches('\u{feff}'),
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
    let canonical_record = match parse_even_hex(&proof.enterprise.canonical) {
        Some(b) => b,
        None => return fail("record", "enterprise.canonical is not lowercase hex"),
    };
    let e = decode_record(&canonical_record).map_err(|d| ProofError::Failed {
        check: "record".into(),
        detail: format!("enterprise.canonical: {d}"),
    })?;
    same(
        "record",
        "enterprise fields",
        &proof.enterprise,
        &record_of(&e),
    )?;

    // 7. The inclusion proof (RFC 9162 §2.1.3.2) under the header's head and count.
    let d = &proof.directory;
    same("directory head", "directory.head", &d.head, &facts.dir_head)?;
    same(
        "directory head",
        "directory.count",
        &d.count,
        &facts.dir_count,
    )?;
    let dir_head = parse_hash(&facts.dir_head).ok_or_else(|| ProofError::Failed {
        check: "directory head".into(),
        detail: "the header's directories.targets.head is not a hash".into(),
    })?;
    let leaf = merkle::leaf_hash(&canonical_record);
    same(
        "inclusion proof",
        "directory.leaf_hash",
        &d.leaf_hash,
        &hex::encode(leaf),
    )?;
    let mut path = Vec::with_capacity(d.audit_path.len());
    for (i, h) in d.audit_path.iter().enumerate() {
        match parse_hash(h) {
            Some(h) => path.push(h),
            None => {
                return fail(
                    "inclusion proof",
                    format!("audit_path[{i}] is not 64 lowercase hex digits"),
                );
            }
        }
    }
    merkle::verify_inclusion(d.leaf_index, d.count, &leaf, &path, &dir_head).map_err(|err| {
        ProofError::Failed {
            check: "inclusion proof".into(),
            detail: format!(
                "record {} at leaf index {} of {}: {err}",
                e.id, d.leaf_index, d.count
            ),
        }
    })?;

    // 8. Every task.
    if plan.tasks.len() != facts.tasks.len() {
        return fail(
            "tasks",
            format!(
                "the plan has {} tasks but the log has {} task events",
                plan.tasks.len(),
                facts.tasks.len()
            ),
        );
    }
    if proof.tasks.len() != plan.tasks.len() {
        return fail(
            "tasks",
            format!(
                "the proof covers {} tasks but the plan has {}",
                proof.tasks.len(),
                plan.tasks.len()
            ),
        );
    }
    for ((task, tf), tp) in plan.tasks.iter().zip(&facts.tasks).zip(&proof.tasks) {
        check_task(&plan, &facts, task, tf, tp, &e)?;
    }

    // 9. Nothing else: the whole proof is what the authenticated parts imply.
    let line_at = |seq: u64| lines.iter().find(|l| l.seq == seq).cloned();
    let expected = assemble(
        &facts,
        &line_at,
        &proof.log.checkpoint,
        &plan,
        &proof.plan.text,
        &e,
        d.leaf_index,
        &path,
    )
    .map_err(|detail| ProofError::Failed {
        check: "log events".into(),
        detail,
    })?;
    if expected != proof {
        return fail(
            "proof fields",
            "the proof differs from what its log, plan and record imply",
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
    Ok(Checked { proof })
}

/// Lowercase hex of any even length.
fn parse_even_hex(s: &str) -> Option<Vec<u8>> {
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    hex::decode(s).ok()
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
    same(c, "task_seq", &tp.task_seq, &tf.seq)?;
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
