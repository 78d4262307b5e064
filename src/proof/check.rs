//! The checker: a proof's bytes against a published checkpoint (SPEC.md §10.3). It does no
//! I/O and needs nothing else: the record and the log lines (as residuals, which it restores)
//! travel in the proof, and the log header states each task's pool rules.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::directory::Enterprise;
use crate::directory::fields::{self, EnterpriseStatus};
use crate::log;
use crate::merkle::{self, Hash};
use crate::seed;
use crate::target::{self, Eligibility, PoolRules};

use super::assemble::{
    apply_replacements, b64_concat, derive, pool_of, reason, record_fields, residual_lines,
    stratified,
};
use super::facts::{Facts, TargetFacts, TaskFacts, TeamFacts, parse_hash};
use super::format::{
    COVERS, COVERS_TEXT, FORMAT, LogLine, Proof, Record, RecordFields, StratumProof, TaskProof,
    Verdict, summary,
};
use super::residual::{Derivable, event_of, restore};

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
    /// The header's plan digest (the plan itself is not in the proof).
    pub plan_digest: String,
    /// Hashes in the record's directory path.
    pub record_hashes: usize,
    /// Hashes in the lines' multi-leaf inclusion proof.
    pub lines_hashes: usize,
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
            self.lines_hashes
        )?;
        writeln!(
            f,
            "tasks: the pool rules of {} tasks as the log header states them (plan digest {}); record: leaf {} of {}, RFC 9162 inclusion proof of {} hashes verified against the header's directory head",
            self.tasks.len(),
            self.plan_digest,
            p.leaf_index,
            self.directory.1,
            self.record_hashes
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

/// Base64 (RFC 4648 §4) that re-encodes to the same text.
fn parse_b64(s: &str) -> Option<Vec<u8>> {
    let b = STANDARD.decode(s).ok()?;
    (STANDARD.encode(&b) == s).then_some(b)
}

/// Hashes concatenated in base64 (SPEC.md §10.2).
fn hashes(check: &str, what: &str, text: &str) -> std::result::Result<Vec<Hash>, ProofError> {
    let bytes = parse_b64(text)
        .filter(|b| b.len().is_multiple_of(32))
        .ok_or_else(|| ProofError::Failed {
            check: check.into(),
            detail: format!("{what} is not canonical base64 of a whole number of 32-byte hashes"),
        })?;
    Ok(bytes
        .chunks_exact(32)
        .map(|c| <Hash>::try_from(c).unwrap_or_default())
        .collect())
}

/// The record from the fields a proof carries (SPEC.md §10.3 step 3): each exactly as the
/// canonical record writes it.
pub(super) fn record_from_fields(r: &RecordFields) -> std::result::Result<Enterprise, String> {
    let credit_class = if r.credit_class.is_empty() {
        None
    } else {
        let c = fields::parse_credit_class(&r.credit_class)
            .ok()
            .flatten()
            .filter(|c| c.as_str() == r.credit_class)
            .ok_or_else(|| format!("credit_class {:?} is not \"\" or A…D", r.credit_class))?;
        Some(c)
    };
    let status = match r.status.as_str() {
        "active" => EnterpriseStatus::Active,
        "abnormal" => EnterpriseStatus::Abnormal,
        "closed" => EnterpriseStatus::Closed,
        other => {
            return Err(format!(
                "status {other:?} is not active, abnormal or closed"
            ));
        }
    };
    let last_inspected = if r.last_inspected.is_empty() {
        None
    } else {
        let d = fields::parse_date(&r.last_inspected)
            .ok()
            .filter(|d| d.format("%Y-%m-%d").to_string() == r.last_inspected)
            .ok_or_else(|| {
                format!(
                    "last_inspected {:?} is not \"\" or a YYYY-MM-DD date",
                    r.last_inspected
                )
            })?;
        Some(d)
    };
    Ok(Enterprise {
        id: r.id.clone(),
        name: r.name.clone(),
        region: r.region.clone(),
        domains: r.domains.clone(),
        credit_class,
        status,
        last_inspected,
    })
}

/// A restored line has exactly the members SPEC.md §6.2 lists for its event, of their types
/// (plus `seq` and `prev`): read as its event and written again, it is the same line.
fn exact(line: &str, seq: u64) -> std::result::Result<(), String> {
    let not =
        || format!("line seq {seq}: not exactly the members SPEC.md §6.2 lists for its event");
    let v: Value = serde_json::from_str(line).map_err(|_| not())?;
    let prev = v.get("prev").cloned().ok_or_else(not)?;
    let event: log::Event = serde_json::from_value(v).map_err(|e| format!("{}: {e}", not()))?;
    let mut again = event.to_value();
    let Some(m) = again.as_object_mut() else {
        return Err(not());
    };
    m.insert("seq".into(), Value::from(seq));
    m.insert("prev".into(), prev);
    if log::canonical(&again) == line {
        Ok(())
    } else {
        Err(not())
    }
}

/// Restores the carried lines from their residuals (SPEC.md §10.3 step 4), in seq order: the
/// header first (and the reveal of a committed draw, which gives the seed), then each task
/// line as the next task where `e` is eligible, its target and team lines, and replacements.
fn restore_lines(
    lines: &[LogLine],
    e: &Enterprise,
) -> std::result::Result<Vec<(u64, String)>, ProofError> {
    const C: &str = "log lines";
    let bad = |detail: String| ProofError::Failed {
        check: C.into(),
        detail,
    };
    if lines.is_empty() {
        return fail(C, "the proof carries no log line");
    }
    for w in lines.windows(2) {
        if w[0].seq >= w[1].seq {
            return fail(
                C,
                format!(
                    "line seq {}: the lines are not in increasing seq order",
                    w[1].seq
                ),
            );
        }
    }
    let first = &lines[0];
    if first.seq != 0 || event_of(&first.line) != Some("header") {
        return fail(C, "the first line is not the header at seq 0");
    }
    let mut out: Vec<(u64, String)> = Vec::with_capacity(lines.len());
    let prev_of = |out: &[(u64, String)], seq: u64| match out.last() {
        Some((s, l)) if s + 1 == seq => Some(log::leaf_hash(l)),
        _ => None,
    };
    let notice = (first.line.get("mode").and_then(Value::as_str)
        == Some(log::Mode::OperatorSeed.as_str()))
    .then_some(log::NOTICE);
    let header = Derivable {
        prev: Some([0; 32]),
        notice,
        members: Vec::new(),
    };
    out.push((0, restore(&first.line, 0, &header).map_err(bad)?));
    exact(&out[0].1, 0).map_err(bad)?;
    let mut rest = &lines[1..];
    if first.line.get("mode").and_then(Value::as_str) == Some(log::Mode::CommitReveal.as_str()) {
        match rest.first() {
            Some(l) if l.seq == 1 && event_of(&l.line) == Some("reveal") => {
                let d = Derivable {
                    prev: prev_of(&out, 1),
                    ..Derivable::default()
                };
                out.push((1, restore(&l.line, 1, &d).map_err(bad)?));
                exact(&out[1].1, 1).map_err(bad)?;
                rest = &rest[1..];
            }
            _ => return fail(C, "line seq 1 of a committed draw is not its reveal"),
        }
    }
    let numbered: Vec<(u64, &str)> = out.iter().map(|(s, l)| (*s, l.as_str())).collect();
    let start = Facts::read(&numbered).map_err(bad)?;
    let mut eligible = start
        .rules
        .iter()
        .filter(|(_, r)| matches!(r.place(e), Eligibility::Eligible(_)));
    // The current task: its id, rules and key.
    let mut current: Option<(&String, &PoolRules, Hash)> = None;
    for l in rest {
        let seq = l.seq;
        let task_of = |current: &Option<(&String, &PoolRules, Hash)>| {
            current
                .map(|(id, _, key)| (id.clone(), key))
                .ok_or_else(|| {
                    bad(format!(
                        "line seq {seq}: a target or team line before any task line"
                    ))
                })
        };
        let members: Vec<(&'static str, Value)> = match event_of(&l.line) {
            Some("task") => {
                let Some((id, rules)) = eligible.next() else {
                    return fail(
                        "tasks",
                        format!(
                            "line seq {seq}: more task lines than tasks of the header where the enterprise is eligible"
                        ),
                    );
                };
                let key = seed::task_key(&start.seed, &start.plan_id, id);
                current = Some((id, rules, key));
                vec![
                    ("task", Value::from(id.as_str())),
                    ("key", Value::from(hex::encode(key))),
                    ("directed", Value::from(rules.scope.is_filtered())),
                    (
                        "exclude_inspected_within_days",
                        rules
                            .exclude_inspected_within_days
                            .map_or(Value::Null, Value::from),
                    ),
                ]
            }
            Some("target") => {
                let (id, key) = task_of(&current)?;
                vec![
                    ("task", Value::from(id)),
                    ("id", Value::from(e.id.as_str())),
                    (
                        "ticket",
                        Value::from(hex::encode(target::ticket(&key, &e.id))),
                    ),
                ]
            }
            Some("team") => {
                let (id, _) = task_of(&current)?;
                vec![
                    ("task", Value::from(id)),
                    ("enterprise", Value::from(e.id.as_str())),
                ]
            }
            Some("replacement") => vec![("enterprise", Value::from(e.id.as_str()))],
            other => {
                return fail(
                    C,
                    format!(
                        "line seq {seq}: a proof carries no {} line (only header, reveal, task, target, team and replacement lines)",
                        other.unwrap_or("event-less")
                    ),
                );
            }
        };
        let d = Derivable {
            prev: prev_of(&out, seq),
            notice: None,
            members,
        };
        let line = restore(&l.line, seq, &d).map_err(bad)?;
        exact(&line, seq).map_err(bad)?;
        out.push((seq, line));
    }
    Ok(out)
}

/// The restored lines against the checkpoint (SPEC.md §10.3 step 5): in the log of the
/// checkpoint at their seqs, by the multi-leaf inclusion proof `lines_proof`.
fn check_inclusion(
    lines: &[(u64, String)],
    lines_proof: &str,
    cp: &log::Checkpoint,
) -> std::result::Result<(), ProofError> {
    const C: &str = "log inclusion proofs";
    let leaves: Vec<(u64, Hash)> = lines.iter().map(|(s, l)| (*s, log::leaf_hash(l))).collect();
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
/// Reads the proof, builds the record from its fields, restores the carried log lines from
/// their residuals and checks their multi-leaf inclusion proof against the checkpoint, the
/// header and seed, the record's RFC 9162 inclusion proof under the header's directory head
/// and count, and for every task of the header: the key (recomputed from the seed), the
/// ticket, the pool (recomputed from the record and the header's pool rules), the comparison
/// with the stratum's cutoff, and that the log draws the enterprise exactly when that
/// comparison says so, with the rank, team and replacements the lines state; finally that the
/// proof carries exactly the lines these imply, in its canonical form (optionally followed by
/// one LF), so that every byte of the file is accounted for.
///
/// # Errors
///
/// [`ProofError::Unreadable`] when the bytes are not a proof; [`ProofError::Failed`] naming
/// the first check that fails (checkpoint, record, log lines, inclusion, ticket, pool,
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
    // 3. The record.
    let e = record_from_fields(&proof.record).map_err(|d| ProofError::Failed {
        check: "record".into(),
        detail: format!("record: {d}"),
    })?;
    // 4. The lines, restored from their residuals; 5. in the log of the checkpoint.
    let restored = restore_lines(&proof.lines, &e)?;
    check_inclusion(&restored, &proof.lines_proof, checkpoint)?;
    let numbered: Vec<(u64, &str)> = restored.iter().map(|(s, l)| (*s, l.as_str())).collect();
    let facts = Facts::read(&numbered).map_err(|e| ProofError::Failed {
        check: "log events".into(),
        detail: e,
    })?;

    // 6. The record's inclusion (RFC 9162 §2.1.3.2) under the header's head and count.
    let dir_head = parse_hash(&facts.dir_head).ok_or_else(|| ProofError::Failed {
        check: "inclusion proof".into(),
        detail: "the header's directories.targets.head is not a hash".into(),
    })?;
    let leaf = merkle::leaf_hash(&e.canonical_bytes());
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

    // 7. Every task: the carried task lines are those of the tasks where the enterprise is
    // eligible, in the header's order; in each, the verdict the cutoff gives is the one the
    // lines show.
    let eligible: Vec<&str> = facts
        .rules
        .iter()
        .filter(|(_, r)| matches!(r.place(&e), Eligibility::Eligible(_)))
        .map(|(id, _)| id.as_str())
        .collect();
    let carried: Vec<&str> = facts.tasks.iter().map(|t| t.id.as_str()).collect();
    if carried != eligible {
        return fail(
            "tasks",
            format!(
                "the proof carries the task lines of {carried:?}, but the enterprise is eligible in {eligible:?} (the header's tasks where §4.3 puts it in the pool)"
            ),
        );
    }
    let derived = derive(&facts, &e).map_err(|detail| ProofError::Failed {
        check: "log events".into(),
        detail,
    })?;
    for ((id, rules), tp) in facts.rules.iter().zip(&derived.tasks) {
        if let Some(tf) = facts.tasks.iter().find(|t| t.id == *id) {
            check_task(&facts, id, &stratified(rules, tf.by_class), tf, tp, &e)?;
        }
    }

    // 8. Nothing else: exactly the lines that decide the enterprise's fate.
    let seqs: std::collections::BTreeSet<u64> = restored.iter().map(|(s, _)| *s).collect();
    if seqs != derived.needed {
        return fail(
            "lines",
            format!(
                "the proof carries the lines {seqs:?}, but the enterprise's fate is decided by the lines {:?}",
                derived.needed
            ),
        );
    }
    // 9. Canonical form: the file is the proof made again from what was read, so every byte
    // of it is accounted for.
    let again = Proof {
        format: FORMAT.into(),
        checkpoint: proof.checkpoint.clone(),
        covers: COVERS.into(),
        record: record_fields(&e),
        leaf_index: proof.leaf_index,
        record_path: b64_concat(&path),
        lines: residual_lines(&restored).map_err(|detail| ProofError::Failed {
            check: "canonical form".into(),
            detail,
        })?,
        lines_proof: proof.lines_proof.clone(),
    };
    let canonical = again.to_json();
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
        record_hashes: path.len(),
        lines_hashes: hashes("lines_proof", "lines_proof", &proof.lines_proof)?.len(),
        proof,
        enterprise: derived.record,
        tasks: derived.tasks,
        mode: facts.mode.clone(),
        seed: facts.seed.clone(),
        plan_digest: facts.plan_digest.clone(),
        directory: (facts.dir_head.clone(), facts.dir_count),
    })
}

fn check_task(
    facts: &Facts,
    id: &str,
    rules: &PoolRules,
    tf: &TaskFacts,
    tp: &TaskProof,
    e: &Enterprise,
) -> std::result::Result<(), ProofError> {
    let c = format!("task {id}");
    let c = c.as_str();
    same(c, "task id", &tp.task.as_str(), &id)?;
    same(c, "task id in the log", &tf.id.as_str(), &id)?;
    same(c, "task_seq", &tp.task_seq, &Some(tf.seq))?;
    // The key is the one the seed gives (SPEC.md §5.1).
    let key = seed::task_key(&facts.seed, &facts.plan_id, id);
    same(c, "the task event's key", &tf.key, &hex::encode(key))?;
    same(c, "key", &tp.key, &tf.key)?;
    // The ticket (SPEC.md §5.2).
    let ticket = target::ticket(&key, &e.id);
    same(c, "ticket", &tp.ticket, &hex::encode(ticket))?;
    // The pool (SPEC.md §4.3), from the record and the header's rules.
    let elig = rules.place(e);
    same(c, "pool", &tp.pool, &pool_of(elig))?;
    same(c, "reason", &tp.reason, &reason(rules, e))?;

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
            let logged = facts.replacements_of(id, &e.id);
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
