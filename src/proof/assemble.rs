//! What a proof says, derived from the log's facts (its header states each task's pool rules)
//! and the record: the prover picks
//! the lines to carry with it, and the checker derives the statement it prints and confirms
//! that the proof carries exactly those lines.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::directory::Enterprise;
use crate::directory::fields::EnterpriseStatus;
use crate::merkle::Hash;
use crate::plan::Scope;
use crate::seed;
use crate::target::{self, Eligibility, PoolRules};

use super::facts::Facts;
use super::format::{
    COVERS, DrawnProof, FORMAT, LogLine, Pool, Proof, Record, RecordFields, ReplacementProof,
    TaskProof, Verdict,
};
use super::residual::residual;

pub(super) fn pool_of(e: Eligibility) -> Pool {
    match e {
        Eligibility::OutOfScope => Pool::OutOfScope,
        Eligibility::Recent => Pool::RecentlyInspected,
        Eligibility::Eligible(_) => Pool::Eligible,
    }
}

/// Why an enterprise stands where it does in a task's pool, in words. Each scope filter is
/// tested alone through [`Scope::contains`] itself, so the words cannot drift from the rule.
pub fn reason(rules: &PoolRules, e: &Enterprise) -> String {
    let date = rules.inspection_date;
    let days_since = |last: chrono::NaiveDate| (date - last).num_days();
    let task = rules;
    match rules.place(e) {
        Eligibility::OutOfScope => {
            let all = vec![
                EnterpriseStatus::Active,
                EnterpriseStatus::Abnormal,
                EnterpriseStatus::Closed,
            ];
            let sc = &task.scope;
            let mut why = Vec::new();
            let regions_only = Scope {
                regions: sc.regions.clone(),
                domains: Vec::new(),
                statuses: all.clone(),
            };
            if !regions_only.contains(e) {
                why.push(format!(
                    "region {} is not covered by scope.regions [{}]",
                    e.region,
                    sc.regions.join(", ")
                ));
            }
            let domains_only = Scope {
                regions: Vec::new(),
                domains: sc.domains.clone(),
                statuses: all,
            };
            if !domains_only.contains(e) {
                why.push(format!(
                    "its domains [{}] include none of scope.domains [{}]",
                    e.domains.join(", "),
                    sc.domains.join(", ")
                ));
            }
            let statuses_only = Scope {
                regions: Vec::new(),
                domains: Vec::new(),
                statuses: sc.statuses.clone(),
            };
            if !statuses_only.contains(e) {
                if sc.statuses.is_empty() {
                    why.push(format!(
                        "status {} is neither active nor abnormal (the default scope)",
                        e.status.as_str()
                    ));
                } else {
                    let listed: Vec<&str> = sc.statuses.iter().map(|s| s.as_str()).collect();
                    why.push(format!(
                        "status {} is not among scope.statuses [{}]",
                        e.status.as_str(),
                        listed.join(", ")
                    ));
                }
            }
            format!("out of scope: {}", why.join("; "))
        }
        Eligibility::Recent => {
            let n = task.exclude_inspected_within_days.unwrap_or(0);
            let last = e.last_inspected.unwrap_or(date);
            let d = days_since(last);
            let when = if d >= 0 {
                format!("{d} days before")
            } else {
                format!("{} days after", -d)
            };
            format!(
                "recently inspected: last inspected {last}, {when} the inspection date {date}; \
                 the task excludes enterprises inspected within {n} days"
            )
        }
        Eligibility::Eligible(s) => {
            let recency = match (task.exclude_inspected_within_days, e.last_inspected) {
                (None, _) => "the task excludes no recently inspected enterprise".to_string(),
                (Some(n), None) => {
                    format!(
                        "no earlier inspection on record (the task excludes those inspected within {n} days)"
                    )
                }
                (Some(n), Some(last)) => format!(
                    "last inspected {last}, {} days before the inspection date {date}, not within {n} days",
                    days_since(last)
                ),
            };
            format!("eligible in stratum {}: in scope; {recency}", s.name())
        }
    }
}

/// The officers after applying `replacements` in order; fails if one replaces an officer who
/// is not on the team.
pub(super) fn apply_replacements(
    officers: &[String],
    replacements: &[ReplacementProof],
) -> std::result::Result<Vec<String>, String> {
    let mut now = officers.to_vec();
    for r in replacements {
        let slot = now.iter().position(|o| *o == r.out).ok_or_else(|| {
            format!(
                "the replacement at seq {} takes out {} who is not on the team [{}]",
                r.seq,
                r.out,
                now.join(", ")
            )
        })?;
        now[slot] = r.incoming.clone();
    }
    Ok(now)
}

pub(super) fn record_of(e: &Enterprise) -> Record {
    Record {
        id: e.id.clone(),
        name: e.name.clone(),
        region: e.region.clone(),
        domains: e.domains.clone(),
        credit_class: e.credit_class.map(|c| c.as_str().to_string()),
        status: e.status.as_str().to_string(),
        last_inspected: e.last_inspected.map(|d| d.format("%Y-%m-%d").to_string()),
        canonical: hex::encode(e.canonical_bytes()),
    }
}

/// What a proof says, derived from the log's facts and the record: the record's
/// fields, the enterprise in every task, and the `seq`s of exactly the lines that decide its
/// fate (SPEC.md §10.2).
#[derive(Debug, Clone)]
pub(super) struct Derived {
    pub(super) record: Record,
    pub(super) tasks: Vec<TaskProof>,
    pub(super) needed: BTreeSet<u64>,
}

/// The task rules of `facts` with the stratification its task line gives, once the task
/// line is known (SPEC.md §4.3: the stratum is the class only for a `by_class` sample).
pub(super) fn stratified(rules: &PoolRules, by_class: bool) -> PoolRules {
    PoolRules {
        by_class,
        ..rules.clone()
    }
}

/// Derives what a proof says from `facts` (all the log's lines for the prover, the carried
/// ones for the checker) and the record. A task where the enterprise is eligible needs its
/// task line among the facts; one where it is not needs none.
pub(super) fn derive(facts: &Facts, e: &Enterprise) -> std::result::Result<Derived, String> {
    let mut tasks = Vec::new();
    // The header, and the reveal that gives the seed of a committed draw.
    let mut needed = BTreeSet::from([0u64]);
    if facts.mode == crate::log::Mode::CommitReveal.as_str() {
        needed.insert(1);
    }
    for (id, rules) in &facts.rules {
        let key = seed::task_key(&facts.seed, &facts.plan_id, id);
        let (rules, task_seq, stratum, drawn) = match rules.place(e) {
            Eligibility::Eligible(_) => {
                let tf = facts
                    .tasks
                    .iter()
                    .find(|t| t.id == *id)
                    .ok_or_else(|| format!("no task line of task {id:?}"))?;
                let rules = stratified(rules, tf.by_class);
                // Stratification does not change whether a record is eligible.
                let Eligibility::Eligible(s) = rules.place(e) else {
                    return Err(format!("task {id}: eligibility changed with the stratum"));
                };
                needed.insert(tf.seq);
                let stratum = tf
                    .strata
                    .iter()
                    .find(|x| x.name == s.name())
                    .cloned()
                    .ok_or_else(|| format!("line seq {}: no stratum {:?}", tf.seq, s.name()))?;
                let drawn = match tf.targets.iter().find(|t| t.id == e.id) {
                    None => None,
                    Some(t) => {
                        let team = tf
                            .teams
                            .iter()
                            .find(|m| m.enterprise == e.id)
                            .ok_or_else(|| format!("task {id}: a target without a team"))?;
                        let replacements = facts.replacements_of(id, &e.id);
                        let officers_now = apply_replacements(&team.officers, &replacements)?;
                        needed.extend([t.seq, team.seq]);
                        needed.extend(replacements.iter().map(|r| r.seq));
                        Some(DrawnProof {
                            rank: t.rank,
                            target_seq: t.seq,
                            team_seq: team.seq,
                            leader: team.leader.clone(),
                            officers: team.officers.clone(),
                            experts: team.experts.clone(),
                            replacements,
                            officers_now,
                        })
                    }
                };
                (rules, Some(tf.seq), Some(stratum), drawn)
            }
            _ => (rules.clone(), None, None, None),
        };
        let elig = rules.place(e);
        let verdict = match (&drawn, elig) {
            (Some(_), _) => Verdict::Drawn,
            (None, Eligibility::Eligible(_)) => Verdict::NotDrawn,
            (None, _) => Verdict::NotEligible,
        };
        tasks.push(TaskProof {
            task: id.clone(),
            task_seq,
            key: hex::encode(key),
            ticket: hex::encode(target::ticket(&key, &e.id)),
            pool: pool_of(elig),
            reason: reason(&rules, e),
            stratum,
            verdict,
            drawn,
        });
    }
    Ok(Derived {
        record: record_of(e),
        tasks,
        needed,
    })
}

/// Hashes concatenated, in base64 (RFC 4648 §4), as a proof writes them.
pub(super) fn b64_concat(hs: &[Hash]) -> String {
    STANDARD.encode(hs.concat())
}

/// The record as a proof carries it: its canonical record's strings (SPEC.md §10.2).
pub(super) fn record_fields(e: &Enterprise) -> RecordFields {
    RecordFields {
        id: e.id.clone(),
        name: e.name.clone(),
        region: e.region.clone(),
        domains: e.domains.clone(),
        credit_class: e.credit_class.map_or("", |c| c.as_str()).to_string(),
        status: e.status.as_str().to_string(),
        last_inspected: e
            .last_inspected
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
    }
}

/// The residual lines of a proof: each `(seq, line)` of `lines` (in increasing seq) without
/// what the checker derives (SPEC.md §10.2).
pub fn residual_lines(lines: &[(u64, String)]) -> std::result::Result<Vec<LogLine>, String> {
    Residuals::default().lines(lines.iter().map(|(s, l)| (*s, l.as_str())))
}

/// The residuals of the lines that many proofs carry (the header, the reveal, the task
/// lines), made once: a prover makes a proof from them and a few lines of its own.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Residuals(BTreeMap<u64, Value>);

impl Residuals {
    /// Makes the residuals of these lines once, each with its `prev` (dropped later where the
    /// line before is carried).
    pub fn of<'a>(
        lines: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> std::result::Result<Residuals, String> {
        lines
            .into_iter()
            .map(|(seq, line)| Ok((seq, residual(line, seq, false)?)))
            .collect::<std::result::Result<_, String>>()
            .map(Residuals)
    }

    /// The residual lines of `(seq, line)` in increasing seq, from those made already where
    /// there are any.
    pub fn lines<'a>(
        &self,
        lines: impl IntoIterator<Item = (u64, &'a str)>,
    ) -> std::result::Result<Vec<LogLine>, String> {
        let mut before: Option<u64> = None;
        lines
            .into_iter()
            .map(|(seq, line)| {
                let prev_carried = before.is_some_and(|b| b + 1 == seq);
                before = Some(seq);
                let line = match self.0.get(&seq) {
                    Some(r) => {
                        let mut r = r.clone();
                        if prev_carried && let Value::Object(m) = &mut r {
                            m.remove("prev");
                        }
                        r
                    }
                    None => residual(line, seq, prev_carried)?,
                };
                Ok(LogLine { seq, line })
            })
            .collect()
    }
}

/// The proof file for `e`, from what [`derive`] found: the lines it needs, given by `line_at`,
/// with their multi-leaf inclusion proof against `checkpoint`.
#[allow(clippy::too_many_arguments)]
pub(super) fn proof_of<'a>(
    derived: &Derived,
    checkpoint: &str,
    residuals: &Residuals,
    line_at: &dyn Fn(u64) -> Option<&'a str>,
    lines_proof: &[Hash],
    e: &Enterprise,
    leaf_index: u64,
    record_path: &[Hash],
) -> std::result::Result<Proof, String> {
    let lines = derived
        .needed
        .iter()
        .map(|&seq| {
            line_at(seq)
                .map(|line| (seq, line))
                .ok_or_else(|| format!("no log line seq {seq}"))
        })
        .collect::<std::result::Result<Vec<(u64, &'a str)>, String>>()?;
    Ok(Proof {
        format: FORMAT.to_string(),
        checkpoint: checkpoint.to_string(),
        covers: COVERS.to_string(),
        record: record_fields(e),
        leaf_index,
        record_path: b64_concat(record_path),
        lines: residuals.lines(lines)?,
        lines_proof: b64_concat(lines_proof),
    })
}
