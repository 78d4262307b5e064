//! Replacing an officer who cannot attend (SPEC.md §9.3): the enterprise's seeded
//! replacement order and the next lawful officer in it.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::directory::{Enterprise, Officers};
use crate::draw::outcome::{Outcome, Team};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;
use crate::plan::Plan;
use crate::seed;
use crate::team::Stream;

/// Domain-separation tag of the replacement stream's key.
pub const REPLACEMENT_KEY_TAG: &str = "dualdraw/v1/replacement-key";

/// The officers who would replace members of a team, in order (SPEC.md §9.3): the part of the
/// officer pool the team draw did not reach (in its Fisher–Yates state) is shuffled with a
/// stream keyed `SHA-256(str(TAG) || team_key)`; the team's experts are left out. Whether an
/// officer in this order may actually come in (workload cap, departments of a joint task, one
/// place per visit) is decided by [`apply_replacements`].
pub fn replacement_order(task_key: &Hash, team: &Team) -> Vec<String> {
    let team_key = seed::team_key(task_key, &team.enterprise);
    let mut b = Vec::new();
    crate::directory::put_str(&mut b, REPLACEMENT_KEY_TAG);
    b.extend_from_slice(&team_key);
    let key: Hash = Sha256::digest(&b).into();
    let mut rest = team.rest.clone();
    let n = rest.len();
    Stream::new(&key).fisher_yates_prefix(&mut rest, n);
    rest.into_iter()
        .filter(|o| !team.experts.iter().any(|x| x == o))
        .collect()
}

/// An officer replaced after the draw, by the next lawful one in the enterprise's seeded order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replacement {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The officer who cannot attend.
    pub out: String,
    /// The officer who takes the place.
    pub incoming: String,
    /// Why, as the log records it (SPEC.md §9.5).
    pub reason: crate::reason::Reason,
    /// Index of `incoming` in the enterprise's [`replacement_order`].
    pub position: u64,
}

impl std::fmt::Display for Replacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "task {}, enterprise {}: {} replaced by {} (replacement #{} in the enterprise's seeded order; reason: {})",
            self.task,
            self.enterprise,
            self.out,
            self.incoming,
            self.position + 1,
            self.reason
        )
    }
}

/// A request to replace an officer: task, enterprise, officer out, reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplacementRequest {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The officer who cannot attend.
    pub out: String,
    /// Why. [`apply_replacements`] takes it as the log records it (a text only when the plan
    /// publishes reasons, else a commitment); `commands::replace` takes the text as stated and
    /// seals it (SPEC.md §9.5).
    pub reason: crate::reason::Reason,
}

impl ReplacementRequest {
    /// A request with the reason as a person states it (`病假：住院治疗`, see
    /// [`Reason::parse`](crate::reason::Reason::parse)).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Replacement`] naming the valid categories when the reason names none.
    pub fn stated(task: String, enterprise: String, out: String, reason: &str) -> Result<Self> {
        let reason = crate::reason::Reason::parse(reason).map_err(ErrorKind::Replacement)?;
        Ok(ReplacementRequest {
            task,
            enterprise,
            out,
            reason,
        })
    }
}

/// Applies replacement requests in order to an outcome's teams (SPEC.md §9.3): each takes the
/// first officer of the team's [`replacement_order`], after the position the previous
/// replacement in that team took, who is lawful now: under the workload cap given the current
/// loads, not already in the visit, and (joint task) leaving every participating department
/// represented. `records` gives the drawn enterprises' records (kept for API stability).
///
/// # Errors
///
/// [`ErrorKind::Replacement`](crate::ErrorKind::Replacement) for the first request that has no
/// reason (or one with a control character), names a task the plan lacks, an enterprise not drawn
/// in that task or an officer who is not a certified member of its team, or for which no lawful
/// officer is left in the replacement order.
pub fn apply_replacements(
    plan: &Plan,
    outcome: &mut Outcome,
    records: &BTreeMap<String, Enterprise>,
    officers: &Officers,
    requests: &[ReplacementRequest],
) -> Result<Vec<Replacement>> {
    let _ = records;
    let fail = |m: String| -> crate::Error { ErrorKind::Replacement(m).into() };
    let dept_of: BTreeMap<&str, &str> = officers
        .records
        .iter()
        .map(|o| (o.id.as_str(), o.department.as_str()))
        .collect();
    let mut done: Vec<Replacement> = Vec::new();
    for r in requests {
        r.reason.check_logged(plan.public_reasons).map_err(fail)?;
        let ti = plan
            .tasks
            .iter()
            .position(|task| task.id == r.task)
            .ok_or_else(|| fail(format!("the plan has no task {:?}", r.task)))?;
        let task = &plan.tasks[ti];
        let Some(t) = outcome.tasks.get(ti) else {
            return Err(fail(format!("the plan has no task {:?}", r.task)));
        };
        let Some(k) = t.teams.iter().position(|tm| tm.enterprise == r.enterprise) else {
            return Err(fail(format!(
                "enterprise {} was not drawn in task {:?}",
                r.enterprise, r.task
            )));
        };
        let team = &t.teams[k];
        let Some(slot) = team.officers.iter().position(|o| *o == r.out) else {
            return Err(fail(format!(
                "officer {} is not a certified member of the team for {} in task {:?} (members: {}; experts are not replaced)",
                r.out,
                r.enterprise,
                r.task,
                team.officers.join(", ")
            )));
        };
        // Current loads and the people already in this visit (every task's team for it).
        let mut load: BTreeMap<&str, u32> = BTreeMap::new();
        let mut in_visit: Vec<&str> = Vec::new();
        for tt in &outcome.tasks {
            for tm in &tt.teams {
                for o in tm.officers.iter().chain(&tm.experts) {
                    *load.entry(o.as_str()).or_default() += 1;
                    if tm.enterprise == r.enterprise {
                        in_visit.push(o.as_str());
                    }
                }
            }
        }
        let start = done
            .iter()
            .rev()
            .find(|d| d.task == r.task && d.enterprise == r.enterprise)
            .map_or(0, |d| d.position as usize + 1);
        let order = replacement_order(&t.key, team);
        let lawful = |o: &str| -> bool {
            if in_visit.contains(&o) || load.get(o).copied().unwrap_or(0) >= outcome.cap {
                return false;
            }
            // Every participating department keeps an officer.
            task.joint.iter().all(|j| {
                team.officers.iter().enumerate().any(|(i, x)| {
                    i != slot && dept_of.get(x.as_str()) == Some(&j.department.as_str())
                }) || dept_of.get(o) == Some(&j.department.as_str())
            })
        };
        let Some(pos) = (start..order.len()).find(|&i| lawful(&order[i])) else {
            return Err(fail(format!(
                "no lawful officer is left for {} in task {:?}: the {} officers of its replacement order after position {start} are on the visit, at their workload cap ({}) or would leave a participating department without an officer",
                r.enterprise,
                r.task,
                order.len().saturating_sub(start),
                outcome.cap
            )));
        };
        let incoming = order[pos].clone();
        outcome.tasks[ti].teams[k].officers[slot] = incoming.clone();
        done.push(Replacement {
            task: r.task.clone(),
            enterprise: r.enterprise.clone(),
            out: r.out.clone(),
            incoming,
            reason: r.reason.clone(),
            position: pos as u64,
        });
    }
    Ok(done)
}
