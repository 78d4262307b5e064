//! What a proof must say, derived from the log's facts, the plan, the record and its audit
//! path: the prover builds proofs with it, and the checker, as a final cross-check, rebuilds
//! the proof it was given.

use sha2::{Digest as _, Sha256};

use crate::directory::Enterprise;
use crate::directory::fields::EnterpriseStatus;
use crate::merkle::{self, Hash};
use crate::plan::{Plan, Scope, Task};
use crate::target::{self, Eligibility};

use super::facts::{Facts, parse_hash};
use super::format::{
    COVERS, DrawnProof, FORMAT, Inclusion, LogCopy, LogLine, PlanCopy, Pool, Proof, Record,
    ReplacementProof, TaskProof, Verdict,
};

pub(super) fn pool_of(e: Eligibility) -> Pool {
    match e {
        Eligibility::OutOfScope => Pool::OutOfScope,
        Eligibility::Recent => Pool::RecentlyInspected,
        Eligibility::Eligible(_) => Pool::Eligible,
    }
}

/// Why an enterprise stands where it does in a task's pool, in words. Each scope filter is
/// tested alone through [`Scope::contains`] itself, so the words cannot drift from the rule.
pub fn reason(plan: &Plan, task: &Task, e: &Enterprise) -> String {
    let date = plan.inspection_date;
    let days_since = |last: chrono::NaiveDate| (date - last).num_days();
    match target::eligibility(plan, task, e) {
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

/// Everything a proof says, derived from the log, the plan, the record and its audit path.
/// `line_at` gives a log line with its inclusion proof against `checkpoint` (the prover's from
/// the log's tree, the checker's from the proof it checks), for exactly the lines that decide
/// the enterprise's fate (SPEC.md §10.2).
#[allow(clippy::too_many_arguments)]
pub(super) fn assemble(
    facts: &Facts,
    line_at: &dyn Fn(u64) -> Option<LogLine>,
    checkpoint: &str,
    plan: &Plan,
    plan_text: &str,
    e: &Enterprise,
    leaf_index: u64,
    audit_path: &[Hash],
) -> std::result::Result<Proof, String> {
    if plan.tasks.len() != facts.tasks.len() {
        return Err(format!(
            "the plan has {} tasks but the log {}",
            plan.tasks.len(),
            facts.tasks.len()
        ));
    }
    let mut tasks = Vec::new();
    // The lines that decide the enterprise's fate: header, reveal, every task line, and its
    // target, team and replacement lines.
    let mut needed = std::collections::BTreeSet::from([0u64]);
    if facts.mode == crate::log::Mode::CommitReveal.as_str() {
        needed.insert(1);
    }
    for (task, tf) in plan.tasks.iter().zip(&facts.tasks) {
        needed.insert(tf.seq);
        if task.id != tf.id {
            return Err(format!(
                "the log's task at seq {} is {:?}, the plan's is {:?}",
                tf.seq, tf.id, task.id
            ));
        }
        let key = parse_hash(&tf.key)
            .ok_or_else(|| format!("line seq {}: `key` is not a hash", tf.seq))?;
        let elig = target::eligibility(plan, task, e);
        let stratum = match elig {
            Eligibility::Eligible(s) => Some(
                tf.strata
                    .iter()
                    .find(|x| x.name == s.name())
                    .cloned()
                    .ok_or_else(|| format!("line seq {}: no stratum {:?}", tf.seq, s.name()))?,
            ),
            _ => None,
        };
        let drawn = match tf.targets.iter().find(|t| t.id == e.id) {
            None => None,
            Some(t) => {
                let team = tf
                    .teams
                    .iter()
                    .find(|m| m.enterprise == e.id)
                    .ok_or_else(|| format!("task {}: a target without a team", task.id))?;
                let replacements = facts.replacements_of(&task.id, &e.id);
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
        let verdict = match (&drawn, elig) {
            (Some(_), _) => Verdict::Drawn,
            (None, Eligibility::Eligible(_)) => Verdict::NotDrawn,
            (None, _) => Verdict::NotEligible,
        };
        tasks.push(TaskProof {
            task: task.id.clone(),
            task_seq: tf.seq,
            key: tf.key.clone(),
            ticket: hex::encode(target::ticket(&key, &e.id)),
            pool: pool_of(elig),
            reason: reason(plan, task, e),
            stratum,
            verdict,
            drawn,
        });
    }
    let canonical = e.canonical_bytes();
    let lines = needed
        .into_iter()
        .map(|seq| {
            line_at(seq).ok_or_else(|| format!("no log line seq {seq} with its inclusion proof"))
        })
        .collect::<std::result::Result<Vec<LogLine>, String>>()?;
    Ok(Proof {
        format: FORMAT.to_string(),
        enterprise: record_of(e),
        tasks,
        directory: Inclusion {
            head: facts.dir_head.clone(),
            count: facts.dir_count,
            leaf_index,
            leaf_hash: hex::encode(merkle::leaf_hash(&canonical)),
            audit_path: audit_path.iter().map(hex::encode).collect(),
        },
        log: LogCopy {
            checkpoint: checkpoint.to_string(),
            mode: facts.mode.clone(),
            seed: facts.seed.clone(),
            covers: COVERS.to_string(),
            lines,
        },
        plan: PlanCopy {
            digest: hex::encode(Sha256::digest(plan_text.as_bytes())),
            text: plan_text.to_string(),
        },
    })
}
