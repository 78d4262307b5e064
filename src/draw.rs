//! The whole draw as a pure function: plan, directories and seed in; results out.
//!
//! [`run`] does no I/O. The [`log`](crate::log) module turns its [`Outcome`] into the
//! hash-chained log, and [`verify`](crate::verify) runs it again to check a log.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sha2::{Digest as _, Sha256};

use crate::assign::{self, Role};
use crate::directory::{CreditClass, Enterprise, EnterpriseStatus, Officers, Targets};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;
use crate::plan::{AreaRule, CapRule, Plan, Sample, Shortfall, Task};
use crate::seed;
use crate::target::{Ticket, TicketHasher, bottom_k};
use crate::team::{self, Stream};

/// A stratum of a task's pool: the whole pool (`all`) or one credit class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stratum {
    /// The whole pool (count or single ratio).
    All,
    /// One credit class; `None` holds the unclassified enterprises.
    Class(Option<CreditClass>),
}

impl Stratum {
    /// The name written in the log: `all`, `A`..`D` or `none`.
    pub fn name(self) -> &'static str {
        match self {
            Stratum::All => "all",
            Stratum::Class(Some(c)) => c.as_str(),
            Stratum::Class(None) => "none",
        }
    }

    /// Log order: all, A, B, C, D, none.
    fn order(self) -> u8 {
        match self {
            Stratum::All => 0,
            Stratum::Class(Some(c)) => 1 + c as u8,
            Stratum::Class(None) => 9,
        }
    }
}

/// Pool size and sample of one stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratumPool {
    /// The stratum.
    pub stratum: Stratum,
    /// Eligible enterprises in it.
    pub eligible: u64,
    /// How many the plan asks for.
    pub requested: u64,
}

/// The eligible pool of one task, before any randomness.
#[derive(Debug, Clone)]
pub struct TaskPool<'a> {
    /// The task.
    pub task: &'a Task,
    /// In scope but inspected too recently.
    pub excluded_recent: u64,
    /// Strata, in log order.
    pub strata: Vec<StratumPool>,
    /// Eligible enterprises with their stratum, in id order.
    pub members: Vec<(Stratum, &'a Enterprise)>,
}

fn recently_inspected(
    last_inspected: Option<NaiveDate>,
    date: NaiveDate,
    days: Option<u32>,
) -> bool {
    match (days, last_inspected) {
        (Some(n), Some(last)) => (date - last).num_days() < i64::from(n),
        _ => false,
    }
}

/// Where an enterprise stands in a task's pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Eligibility {
    /// Outside the task's scope.
    OutOfScope,
    /// In scope, but inspected fewer than `exclude_inspected_within_days` days ago.
    Recent,
    /// In the pool, in this stratum.
    Eligible(Stratum),
}

/// Decides one enterprise's place in one task's pool (SPEC.md §4.3).
pub fn eligibility(plan: &Plan, task: &Task, e: &Enterprise) -> Eligibility {
    eligibility_of(
        plan,
        task,
        &e.region,
        &e.domains,
        e.status,
        e.credit_class,
        e.last_inspected,
    )
}

/// [`eligibility`] on the fields it reads, for a row whose text is still borrowed.
pub(crate) fn eligibility_of<S: AsRef<str>>(
    plan: &Plan,
    task: &Task,
    region: &str,
    domains: &[S],
    status: EnterpriseStatus,
    credit_class: Option<CreditClass>,
    last_inspected: Option<NaiveDate>,
) -> Eligibility {
    if !task.scope.contains_parts(region, domains, status) {
        Eligibility::OutOfScope
    } else if recently_inspected(
        last_inspected,
        plan.inspection_date,
        task.exclude_inspected_within_days,
    ) {
        Eligibility::Recent
    } else {
        Eligibility::Eligible(match task.sample {
            Sample::ByClass(_) => Stratum::Class(credit_class),
            _ => Stratum::All,
        })
    }
}

/// Turns per-stratum eligible counts into sample sizes, in log order. Fails when a stratum is
/// too small (unless the task takes all eligible) or a classified sample lacks a ratio for a
/// populated class.
pub fn strata_sizes(task: &Task, counts: &BTreeMap<Stratum, u64>) -> Result<Vec<StratumPool>> {
    let mut strata = Vec::new();
    match &task.sample {
        Sample::Count(c) => strata.push((Stratum::All, *c)),
        Sample::Ratio(r) => strata.push((
            Stratum::All,
            r.of(counts.get(&Stratum::All).copied().unwrap_or(0)),
        )),
        Sample::ByClass(by) => {
            for (s, &n) in counts {
                let Stratum::Class(c) = *s else { continue };
                let Some(r) = by.get(&c) else {
                    return Err(ErrorKind::MissingClassRatio {
                        pos: task.source.sample.clone(),
                        task: task.id.clone(),
                        class: s.name().into(),
                        count: n,
                    }
                    .into());
                };
                strata.push((*s, r.of(n)));
            }
            // Classes named in the plan but empty in the pool are still reported, with 0.
            for c in by.keys() {
                if !counts.contains_key(&Stratum::Class(*c)) {
                    strata.push((Stratum::Class(*c), 0));
                }
            }
        }
    }
    strata.sort_by_key(|(s, _)| s.order());
    strata
        .into_iter()
        .map(|(stratum, requested)| {
            let eligible = counts.get(&stratum).copied().unwrap_or(0);
            if requested > eligible && task.shortfall == Shortfall::Error {
                return Err(ErrorKind::PoolTooSmall {
                    pos: task.source.sample.clone(),
                    task: task.id.clone(),
                    stratum: stratum.name().into(),
                    requested,
                    eligible,
                }
                .into());
            }
            Ok(StratumPool {
                stratum,
                eligible,
                requested,
            })
        })
        .collect()
}

/// Computes a task's eligible pool and sample sizes, before any randomness.
pub fn pool<'a>(plan: &Plan, task: &'a Task, targets: &'a Targets) -> Result<TaskPool<'a>> {
    let mut excluded_recent = 0;
    let mut members = Vec::new();
    let mut counts: BTreeMap<Stratum, u64> = BTreeMap::new();
    for e in &targets.records {
        match eligibility(plan, task, e) {
            Eligibility::OutOfScope => {}
            Eligibility::Recent => excluded_recent += 1,
            Eligibility::Eligible(s) => {
                *counts.entry(s).or_default() += 1;
                members.push((s, e));
            }
        }
    }
    Ok(TaskPool {
        task,
        excluded_recent,
        strata: strata_sizes(task, &counts)?,
        members,
    })
}

/// One drawn enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drawn {
    /// Its stratum.
    pub stratum: Stratum,
    /// 1-based rank in the stratum (1 = smallest ticket).
    pub rank: u64,
    /// Enterprise id.
    pub id: String,
    /// Its ticket.
    pub ticket: Ticket,
}

/// The result of one stratum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StratumResult {
    /// Pool and sample.
    pub pool: StratumPool,
    /// Number drawn: `min(requested, eligible)`.
    pub drawn: u64,
    /// The largest drawn ticket (the ticket of the last rank), if any was drawn.
    pub cutoff: Option<Ticket>,
}

/// The team of one drawn enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    /// Enterprise id.
    pub enterprise: String,
    /// Certified officers in draw order; the first is the leader (组长).
    pub officers: Vec<String>,
    /// Experts in draw order.
    pub experts: Vec<String>,
    /// How many officers were eligible.
    pub eligible_officers: u64,
    /// How many experts were eligible (after removing the drawn officers).
    pub eligible_experts: u64,
    /// The officer pool positions the draw did not reach, in their Fisher–Yates state: what
    /// [`replacement_order`] shuffles (not logged; recomputed by verification).
    pub rest: Vec<String>,
}

/// The result of one task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskOutcome {
    /// Task id.
    pub task: String,
    /// Task key (published: anyone can recompute tickets from it).
    pub key: Hash,
    /// Enterprises in scope excluded for a recent inspection.
    pub excluded_recent: u64,
    /// Strata, in log order.
    pub strata: Vec<StratumResult>,
    /// Drawn enterprises, by stratum then rank.
    pub drawn: Vec<Drawn>,
    /// Teams, in the order of `drawn`.
    pub teams: Vec<Team>,
}

/// The result of a whole draw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// One entry per task, in plan order.
    pub tasks: Vec<TaskOutcome>,
    /// The workload cap every person was held to.
    pub cap: u32,
    /// Enterprises drawn by several tasks and visited once.
    pub merges: Vec<Merge>,
    /// The plan's recusal requests, in plan order.
    pub recusals: Vec<crate::plan::Recusal>,
    /// Heads of the earlier draw logs the rotation pairs come from.
    pub history: Vec<Hash>,
    /// Rotation pairs: enterprise -> officers who inspected it in an earlier draw.
    pub rotation: BTreeMap<String, std::collections::BTreeSet<String>>,
}

/// An enterprise drawn by several tasks of the plan, visited once by one team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merge {
    /// Enterprise id.
    pub enterprise: String,
    /// The tasks, in plan order; the first one's key seeds the visit's stream.
    pub tasks: Vec<String>,
}

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
    /// Why (free text, recorded in the log).
    pub reason: String,
    /// Index of `incoming` in the enterprise's [`replacement_order`].
    pub position: u64,
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
    /// Why.
    pub reason: String,
}

/// Applies replacement requests in order to an outcome's teams (SPEC.md §9.3): each takes the
/// first officer of the team's [`replacement_order`], after the position the previous
/// replacement in that team took, who is lawful now: under the workload cap given the current
/// loads, not already in the visit, and (joint task) leaving every participating department
/// represented. `records` gives the drawn enterprises' records (kept for API stability).
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
        if r.reason.trim().is_empty() || r.reason.chars().any(char::is_control) {
            return Err(fail(
                "a replacement needs a reason (one line of text)".into(),
            ));
        }
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

/// Draws one enterprise's team for a task as if it were the only one (SPEC.md §5.5 with one
/// visit, no workload cap, no recusal or rotation): the known-answer vector of §8.3.
pub fn draw_team(
    task_key: &Hash,
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &Officers,
) -> Result<Team> {
    let visits = vec![Visit {
        enterprise: e,
        groups: vec![(0, 0, task_key)],
    }];
    let tasks = [task];
    let (mut teams, _) = staff_visits(
        &tasks,
        date,
        &visits,
        officers,
        &team::Apart::default(),
        CapRule::None,
    )?;
    Ok(teams.remove(0).remove(0))
}

/// One visit: an enterprise and the (task index, index among that task's drawn, task key) of
/// every task that drew it, in plan order.
struct Visit<'a> {
    enterprise: &'a Enterprise,
    groups: Vec<(usize, usize, &'a Hash)>,
}

/// The pools of one group: officers (id order, with department index), experts (id order).
struct Pools {
    officers: Vec<(usize, Option<usize>)>,
    experts: Vec<usize>,
}

/// Per task: the people passing the enterprise-independent rules, for officer and expert places.
struct BasePools {
    officers: Vec<(usize, Option<usize>)>,
    experts: Vec<usize>,
    /// Area code -> positions in `officers` / `experts` of the people of that area.
    officers_by_area: BTreeMap<String, Vec<usize>>,
    experts_by_area: BTreeMap<String, Vec<usize>>,
}

fn base_pools(task: &Task, date: NaiveDate, officers: &Officers) -> BasePools {
    let mut b = BasePools {
        officers: Vec::new(),
        experts: Vec::new(),
        officers_by_area: BTreeMap::new(),
        experts_by_area: BTreeMap::new(),
    };
    for (i, o) in officers.records.iter().enumerate() {
        if let Some(d) = team::base_eligible(o, task, date, false) {
            b.officers_by_area
                .entry(o.region.clone())
                .or_default()
                .push(b.officers.len());
            b.officers.push((i, d));
        }
        if team::base_eligible(o, task, date, true).is_some() {
            b.experts_by_area
                .entry(o.region.clone())
                .or_default()
                .push(b.experts.len());
            b.experts.push(i);
        }
    }
    b
}

fn pools(
    base: &BasePools,
    task: &Task,
    e: &Enterprise,
    officers: &Officers,
    apart: &team::Apart,
) -> Pools {
    let keep = |i: usize| {
        let o = &officers.records[i];
        o.conflicts.binary_search(&e.id).is_err()
            && !apart.recused(&e.id, &o.id)
            && team::area_ok(o, e, task)
            && !apart.rotated(&e.id, &o.id)
    };
    let pick = |by_area: &BTreeMap<String, Vec<usize>>, n: usize| -> Vec<usize> {
        match task.area {
            AreaRule::Same => by_area.get(&e.region).cloned().unwrap_or_default(),
            _ => (0..n).collect(),
        }
    };
    Pools {
        officers: pick(&base.officers_by_area, base.officers.len())
            .into_iter()
            .map(|k| base.officers[k])
            .filter(|&(i, _)| keep(i))
            .collect(),
        experts: pick(&base.experts_by_area, base.experts.len())
            .into_iter()
            .map(|k| base.experts[k])
            .filter(|&i| keep(i))
            .collect(),
    }
}

/// Staffs every visit (SPEC.md §5.5): per-group checks, the workload cap, the feasibility of
/// the whole plan, then the seeded sequential assignment. Returns the teams per visit and
/// group, and the cap.
fn staff_visits(
    tasks: &[&Task],
    date: NaiveDate,
    visits: &[Visit<'_>],
    officers: &Officers,
    apart: &team::Apart,
    cap_rule: CapRule,
) -> Result<(Vec<Vec<Team>>, u32)> {
    let base: Vec<BasePools> = tasks
        .iter()
        .map(|t| base_pools(t, date, officers))
        .collect();
    let mut all_pools: Vec<Vec<Pools>> = Vec::with_capacity(visits.len());
    let mut problem = assign::Problem::default();
    let mut places = 0u64;
    for v in visits {
        let e = v.enterprise;
        let mut gp = Vec::new();
        let mut spec = assign::VisitSpec::default();
        for &(ti, _, _) in &v.groups {
            let task = tasks[ti];
            let p = pools(&base[ti], task, e, officers, apart);
            check_group(task, date, e, officers, apart, &p)?;
            spec.groups.push(assign::GroupSpec {
                officers: task.team.size as u32,
                departments: task.joint.iter().map(|j| j.department.clone()).collect(),
                experts: task.team.experts as u32,
                officer_candidates: p.officers.clone(),
                expert_candidates: p.experts.clone(),
            });
            places += task.team.size + task.team.experts;
            gp.push(p);
        }
        if v.groups.len() > 1 {
            let mut people: Vec<usize> = gp
                .iter()
                .flat_map(|p| {
                    p.officers
                        .iter()
                        .map(|x| x.0)
                        .chain(p.experts.iter().copied())
                })
                .collect();
            people.sort_unstable();
            people.dedup();
            let need: u64 = v
                .groups
                .iter()
                .map(|&(ti, _, _)| tasks[ti].team.size + tasks[ti].team.experts)
                .sum();
            if (people.len() as u64) < need {
                let task = tasks[v.groups[0].0];
                return Err(ErrorKind::TooFewOfficers {
                    officers: task.source.officers.clone(),
                    team: task.source.team.clone(),
                    task: v
                        .groups
                        .iter()
                        .map(|g| tasks[g.0].id.as_str())
                        .collect::<Vec<_>>()
                        .join("+"),
                    enterprise: e.id.clone(),
                    role: "people for the merged visit",
                    needed: need,
                    eligible: people.len() as u64,
                    why: "one team visits the enterprise for all these tasks, one place per person"
                        .into(),
                }
                .into());
            }
        }
        problem.visits.push(spec);
        all_pools.push(gp);
    }
    let mut eligible = vec![false; officers.records.len()];
    for s in &problem.visits {
        for g in &s.groups {
            g.officer_candidates
                .iter()
                .for_each(|c| eligible[c.0] = true);
            g.expert_candidates.iter().for_each(|&c| eligible[c] = true);
        }
    }
    let n_eligible = eligible.iter().filter(|&&b| b).count() as u64;
    let cap = match cap_rule {
        CapRule::Fixed(n) => n,
        CapRule::None => u32::try_from(visits.len()).unwrap_or(u32::MAX).max(1),
        CapRule::Balanced | CapRule::Strict => {
            // The fair share (plus one unless strict), raised to the least cap under which a
            // lawful assignment exists: it never makes a plan fail that could be staffed.
            let share =
                places.div_ceil(n_eligible.max(1)) + u64::from(cap_rule == CapRule::Balanced);
            let share = u32::try_from(share).unwrap_or(u32::MAX);
            let top = u32::try_from(visits.len()).unwrap_or(u32::MAX).max(1);
            if share >= top {
                share
            } else {
                let feasible = |c: u32| {
                    let mut p = problem.clone();
                    p.caps = vec![c; officers.records.len()];
                    assign::Assigner::new(&p).is_ok()
                };
                if feasible(share) {
                    share
                } else {
                    // Least feasible cap in (share, top]; top if none (the error then names it).
                    let (mut lo, mut hi) = (share, top);
                    while hi - lo > 1 {
                        let mid = lo + (hi - lo) / 2;
                        if feasible(mid) {
                            hi = mid;
                        } else {
                            lo = mid;
                        }
                    }
                    hi
                }
            }
        }
    };
    problem.caps = vec![cap; officers.records.len()];
    let mut asg = assign::Assigner::new(&problem)
        .map_err(|c| infeasible(&c, tasks, visits, officers, cap, cap_rule))?;
    let mut out = Vec::with_capacity(visits.len());
    for (vi, v) in visits.iter().enumerate() {
        let e = v.enterprise;
        // One stream per visit, keyed by the first task that drew the enterprise.
        let mut stream = Stream::new(&seed::team_key(v.groups[0].2, &e.id));
        let mut teams = Vec::new();
        for (gi, &(ti, _, _)) in v.groups.iter().enumerate() {
            let task = tasks[ti];
            let need = task.team.size as usize;
            let need_x = task.team.experts as usize;
            let mut pool: Vec<usize> = all_pools[vi][gi].officers.iter().map(|x| x.0).collect();
            let mut chosen: Vec<usize> = Vec::with_capacity(need);
            let mut i = 0;
            while chosen.len() < need {
                if i == pool.len() {
                    return Err(internal(e, task));
                }
                let j = i + stream.below((pool.len() - i) as u64) as usize;
                pool.swap(i, j);
                let c = pool[i];
                i += 1;
                if asg.try_accept(vi, gi, c, Role::Officer) {
                    chosen.push(c);
                }
            }
            let mut xs: Vec<usize> = all_pools[vi][gi]
                .experts
                .iter()
                .copied()
                .filter(|x| !chosen.contains(x))
                .collect();
            let eligible_experts = xs.len() as u64;
            let mut experts = Vec::with_capacity(need_x);
            let mut k = 0;
            while experts.len() < need_x {
                if k == xs.len() {
                    return Err(internal(e, task));
                }
                let j = k + stream.below((xs.len() - k) as u64) as usize;
                xs.swap(k, j);
                let c = xs[k];
                k += 1;
                if asg.try_accept(vi, gi, c, Role::Expert) {
                    experts.push(c);
                }
            }
            let name = |i: usize| officers.records[i].id.clone();
            teams.push(Team {
                enterprise: e.id.clone(),
                officers: chosen.into_iter().map(name).collect(),
                experts: experts.into_iter().map(name).collect(),
                eligible_officers: pool.len() as u64,
                eligible_experts,
                rest: pool[i..].iter().map(|&x| name(x)).collect(),
            });
        }
        out.push(teams);
    }
    Ok((out, cap))
}

fn internal(e: &Enterprise, task: &Task) -> crate::Error {
    ErrorKind::Infeasible(Box::new(assign::Infeasibility {
        message: format!(
            "internal error: the feasibility check passed but the team for {} in task {:?} could not be completed; please report this",
            e.id, task.id
        ),
        places: Vec::new(),
        supply: Vec::new(),
    }))
    .into()
}

/// The checks of SPEC.md §5.5 step 3 for one group: enough officers, experts, people, and an
/// officer of every participating department.
fn check_group(
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &Officers,
    apart: &team::Apart,
    p: &Pools,
) -> Result<()> {
    let need = task.team.size as usize;
    let need_x = task.team.experts as usize;
    let why = |expert: bool, dept: Option<&str>| -> String {
        team::explain(
            officers
                .records
                .iter()
                .filter(|o| dept.is_none_or(|d| o.department == d))
                .filter_map(|o| team::exclusion_full(o, e, task, date, expert, apart).err())
                .filter(|r| !expert || *r != team::Exclusion::NotExpert),
        )
    };
    let too_few = |role, needed: usize, eligible: usize, why: String| -> crate::Error {
        ErrorKind::TooFewOfficers {
            officers: task.source.officers.clone(),
            team: task.source.team.clone(),
            task: task.id.clone(),
            enterprise: e.id.clone(),
            role,
            needed: needed as u64,
            eligible: eligible as u64,
            why,
        }
        .into()
    };
    if p.officers.len() < need {
        return Err(too_few(
            "officers",
            need,
            p.officers.len(),
            why(false, None),
        ));
    }
    if p.experts.len() < need_x {
        return Err(too_few("experts", need_x, p.experts.len(), why(true, None)));
    }
    let union = p.officers.len()
        + p.experts
            .iter()
            .filter(|x| p.officers.binary_search_by_key(x, |o| &o.0).is_err())
            .count();
    if union < need + need_x {
        return Err(too_few(
            "officers and experts together",
            need + need_x,
            union,
            format!(
                "{} officers and {} experts are eligible, but only {union} different people",
                p.officers.len(),
                p.experts.len()
            ),
        ));
    }
    for (d, j) in task.joint.iter().enumerate() {
        if !p.officers.iter().any(|o| o.1 == Some(d)) {
            return Err(too_few(
                "officers of a participating department",
                1,
                0,
                format!(
                    "department {}: {}",
                    j.department,
                    why(false, Some(&j.department))
                ),
            ));
        }
    }
    Ok(())
}

/// The error for a plan no lawful assignment can staff: the Hall certificate in words.
fn infeasible(
    c: &assign::HallCertificate,
    tasks: &[&Task],
    visits: &[Visit<'_>],
    officers: &Officers,
    cap: u32,
    rule: CapRule,
) -> crate::Error {
    let people: Vec<String> = officers.records.iter().map(|o| o.id.clone()).collect();
    let labels: Vec<Vec<String>> = visits
        .iter()
        .map(|v| {
            v.groups
                .iter()
                .map(|g| format!("task {} enterprise {}", tasks[g.0].id, v.enterprise.id))
                .collect()
        })
        .collect();
    let depts: Vec<Vec<Vec<String>>> = visits
        .iter()
        .map(|v| {
            v.groups
                .iter()
                .map(|g| {
                    tasks[g.0]
                        .joint
                        .iter()
                        .map(|j| j.department.clone())
                        .collect()
                })
                .collect()
        })
        .collect();
    let rule = match rule {
        CapRule::Balanced | CapRule::Strict => format!(
            "workload cap {cap} (the balanced cap, raised to the number of visits: no cap at all)"
        ),
        CapRule::None => "no workload cap".into(),
        CapRule::Fixed(n) => format!("workload cap {n}"),
    };
    let message = format!(
        "no lawful assignment of officers exists under the {rule}: {}",
        assign::describe(
            c,
            &assign::Names {
                people: &people,
                visits: &labels,
                departments: &depts,
            }
        )
    );
    let places = c
        .places
        .iter()
        .map(|g| {
            let v = &visits[g.visit];
            let task = tasks[v.groups[g.group].0];
            assign::NamedPlaces {
                task: task.id.clone(),
                enterprise: v.enterprise.id.clone(),
                department: match g.kind {
                    assign::PlaceKind::Department(d) => Some(task.joint[d].department.clone()),
                    _ => None,
                },
                expert: g.kind == assign::PlaceKind::Expert,
                count: g.count,
            }
        })
        .collect();
    let supply = c
        .supply
        .iter()
        .map(|s| (people[s.person].clone(), s.cap, s.visits))
        .collect();
    ErrorKind::Infeasible(Box::new(assign::Infeasibility {
        message,
        places,
        supply,
    }))
    .into()
}

/// The target draw of one task, before teams: what the log's `task` and `target` events say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Task id.
    pub task: String,
    /// Task key.
    pub key: Hash,
    /// Enterprises in scope excluded for a recent inspection.
    pub excluded_recent: u64,
    /// Strata, in log order.
    pub strata: Vec<StratumResult>,
    /// Drawn enterprises by stratum then rank, with their records (needed for the teams).
    pub drawn: Vec<(Drawn, Enterprise)>,
}

/// Draws the targets of every task from an in-memory directory.
pub fn select(plan: &Plan, targets: &Targets, seed: &str) -> Result<Vec<Selection>> {
    seed::check_seed(seed)
        .map_err(|e| ErrorKind::Seed(format!("invalid seed {seed:?}: expected {e}")))?;
    let mut out = Vec::new();
    for task in &plan.tasks {
        let pool = pool(plan, task, targets)?;
        let key = seed::task_key(seed, &plan.id, &task.id);
        let hasher = TicketHasher::new(&key);
        let mut strata = Vec::new();
        let mut drawn = Vec::new();
        for sp in pool.strata {
            // The member index rides along so the winner's record needs no lookup; ids are
            // unique, so it never decides an order.
            let entries: Vec<(Ticket, &str, usize)> = pool
                .members
                .iter()
                .enumerate()
                .filter(|(_, (s, _))| *s == sp.stratum)
                .map(|(i, (_, e))| (hasher.ticket(&e.id), e.id.as_str(), i))
                .collect();
            let winners = bottom_k(entries, sp.requested as usize);
            for (rank, &(ticket, id, i)) in winners.iter().enumerate() {
                let d = Drawn {
                    stratum: sp.stratum,
                    rank: rank as u64 + 1,
                    id: id.to_string(),
                    ticket,
                };
                drawn.push((d, pool.members[i].1.clone()));
            }
            strata.push(StratumResult {
                drawn: winners.len() as u64,
                cutoff: winners.last().map(|w| w.0),
                pool: sp,
            });
        }
        out.push(Selection {
            task: task.id.clone(),
            key,
            excluded_recent: pool.excluded_recent,
            strata,
            drawn,
        });
    }
    Ok(out)
}

/// Draws the team of every selected enterprise (SPEC.md §5.5) with the plan's recusals and no
/// rotation. `selections` are in plan task order.
pub fn staff(plan: &Plan, selections: Vec<Selection>, officers: &Officers) -> Result<Outcome> {
    staff_with(plan, selections, officers, &team::Apart::from_plan(plan))
}

/// [`staff`] with explicit pairs kept apart (the plan's recusals and the rotation pairs from
/// earlier draws).
pub fn staff_with(
    plan: &Plan,
    selections: Vec<Selection>,
    officers: &Officers,
    apart: &team::Apart,
) -> Result<Outcome> {
    // Visits: enterprises in order of first appearance (task order, then log order); an
    // enterprise drawn by several tasks is one visit (merge).
    let mut visits: Vec<Visit<'_>> = Vec::new();
    let mut at: BTreeMap<&str, usize> = BTreeMap::new();
    for (ti, sel) in selections.iter().enumerate() {
        for (k, (_, e)) in sel.drawn.iter().enumerate() {
            match at.get(e.id.as_str()) {
                Some(&vi) => visits[vi].groups.push((ti, k, &sel.key)),
                None => {
                    at.insert(&e.id, visits.len());
                    visits.push(Visit {
                        enterprise: e,
                        groups: vec![(ti, k, &sel.key)],
                    });
                }
            }
        }
    }
    let tasks: Vec<&Task> = plan.tasks.iter().collect();
    let (teams, cap) = staff_visits(
        &tasks,
        plan.inspection_date,
        &visits,
        officers,
        apart,
        plan.max_per_officer,
    )?;
    let mut per_task: Vec<Vec<Option<Team>>> = selections
        .iter()
        .map(|s| vec![None; s.drawn.len()])
        .collect();
    let mut merges = Vec::new();
    for (v, ts) in visits.iter().zip(teams) {
        if v.groups.len() > 1 {
            merges.push(Merge {
                enterprise: v.enterprise.id.clone(),
                tasks: v
                    .groups
                    .iter()
                    .map(|g| plan.tasks[g.0].id.clone())
                    .collect(),
            });
        }
        for (&(ti, k, _), t) in v.groups.iter().zip(ts) {
            per_task[ti][k] = Some(t);
        }
    }
    let tasks = selections
        .into_iter()
        .zip(per_task)
        .map(|(sel, teams)| TaskOutcome {
            task: sel.task,
            key: sel.key,
            excluded_recent: sel.excluded_recent,
            strata: sel.strata,
            drawn: sel.drawn.into_iter().map(|(d, _)| d).collect(),
            teams: teams.into_iter().flatten().collect(),
        })
        .collect();
    Ok(Outcome {
        tasks,
        cap,
        merges,
        recusals: plan.recusals.clone(),
        history: apart.history.clone(),
        rotation: apart.rotation.clone(),
    })
}

/// Runs the whole draw: [`select`] then [`staff`]. Pure: same arguments, same outcome.
///
/// ```no_run
/// # fn main() -> dualdraw::Result<()> {
/// let inputs = dualdraw::io::load_inputs("fixtures/tianjin-2020/plan.toml".as_ref())?;
/// let outcome = dualdraw::draw::run(&inputs.plan, &inputs.targets, &inputs.officers, "20201015")?;
/// for t in &outcome.tasks {
///     println!("{}: {} drawn", t.task, t.drawn.len());
/// }
/// # Ok(()) }
/// ```
pub fn run(plan: &Plan, targets: &Targets, officers: &Officers, seed: &str) -> Result<Outcome> {
    staff(plan, select(plan, targets, seed)?, officers)
}

/// The version of this crate, written into log headers (informational).
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Runs the whole draw and writes its log: [`select`], then [`staff_and_log`]. Pure: it takes
/// the plan, the SHA-256 of the plan file's bytes and both directories as values, so it runs
/// wherever the crate does (WebAssembly included); the `dualdraw draw` command gives the same
/// log bytes.
///
/// ```
/// # use dualdraw::{directory, plan::Plan};
/// # let fixture = |f: &str| std::fs::read(format!("fixtures/tianjin-2020/{f}")).unwrap();
/// let plan_bytes = fixture("plan.toml");
/// let plan = Plan::from_toml(std::str::from_utf8(&plan_bytes).unwrap(), "plan.toml".as_ref())?;
/// let digest: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(&plan_bytes).into();
/// let targets = directory::Targets::read_for(
///     &fixture("targets.csv")[..],
///     "targets.csv".as_ref(),
///     plan.inspection_date,
/// )?;
/// let officers = directory::read_officers(&fixture("officers.csv")[..], "officers.csv".as_ref())?;
/// let (_, log) = dualdraw::draw::run_logged(&plan, digest, &targets, &officers, "20201015")?;
/// let report = dualdraw::verify::verify(
///     &log.to_bytes(), Some(&log.head()), &plan, &digest, &targets, &officers,
/// )?;
/// assert_eq!(report.head, log.head());
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub fn run_logged(
    plan: &Plan,
    plan_digest: Hash,
    targets: &Targets,
    officers: &Officers,
    seed: &str,
) -> Result<(Outcome, crate::log::Log)> {
    let selections = select(plan, targets, seed)?;
    staff_and_log(
        plan,
        plan_digest,
        officers,
        selections,
        targets.digest(),
        &targets.warnings,
        seed,
    )
}

/// Completes a draw whose targets are selected (in memory or streamed): draws the teams and
/// writes the log. Pure.
pub fn staff_and_log(
    plan: &Plan,
    plan_digest: Hash,
    officers: &Officers,
    selections: Vec<Selection>,
    targets: crate::directory::Digest,
    warnings: &[crate::directory::Warning],
    seed: &str,
) -> Result<(Outcome, crate::log::Log)> {
    staff_and_log_with(
        plan,
        plan_digest,
        officers,
        selections,
        targets,
        warnings,
        seed,
        &team::Apart::from_plan(plan),
    )
}

/// [`staff_and_log`] with the pairs kept apart given (recusals and rotation).
#[allow(clippy::too_many_arguments)]
pub fn staff_and_log_with(
    plan: &Plan,
    plan_digest: Hash,
    officers: &Officers,
    selections: Vec<Selection>,
    targets: crate::directory::Digest,
    warnings: &[crate::directory::Warning],
    seed: &str,
    apart: &team::Apart,
) -> Result<(Outcome, crate::log::Log)> {
    let outcome = staff_with(plan, selections, officers, apart)?;
    let header = crate::log::Header {
        plan,
        plan_digest,
        targets,
        officers: officers.digest(),
        seed,
        crate_version: CRATE_VERSION,
    };
    let log = crate::log::chain(crate::log::events(&header, warnings, &outcome));
    Ok((outcome, log))
}

/// Adds the rotation pairs of earlier draw logs to `apart` (SPEC.md §11.4): each log's hash
/// chain is checked first; every `team` event gives (enterprise, each officer and expert) and
/// every `replacement` event (enterprise, `in`). The logs' heads are recorded in order.
pub fn add_history(apart: &mut team::Apart, logs: &[(std::path::PathBuf, Vec<u8>)]) -> Result<()> {
    for (path, bytes) in logs {
        let lines = crate::verify::check_chain(bytes).map_err(|e| {
            crate::Error::from(ErrorKind::History(format!(
                "{}: the earlier draw log fails its chain check, so it is not used: {e}",
                path.display()
            )))
        })?;
        let Some((last, _)) = lines.last() else {
            return Err(ErrorKind::History(format!("{}: empty log", path.display())).into());
        };
        apart.history.push(crate::log::line_hash(last));
        for (_, v) in &lines {
            let s = |k: &str| v.get(k).and_then(serde_json::Value::as_str);
            let Some(e) = s("enterprise") else { continue };
            let mut add = |o: &str| {
                apart
                    .rotation
                    .entry(e.to_string())
                    .or_default()
                    .insert(o.to_string());
            };
            match s("event") {
                Some("team") => {
                    for k in ["officers", "experts"] {
                        for o in v.get(k).and_then(|x| x.as_array()).into_iter().flatten() {
                            if let Some(o) = o.as_str() {
                                add(o);
                            }
                        }
                    }
                }
                Some("replacement") => {
                    if let Some(o) = s("in") {
                        add(o);
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The pairs a logged draw kept apart: the plan's recusals and the `history` and `rotation`
/// events of the log (SPEC.md §11.2), for re-running it.
pub fn apart_from_log<'a>(plan: &Plan, lines: impl IntoIterator<Item = &'a str>) -> team::Apart {
    let mut apart = team::Apart::from_plan(plan);
    for l in lines {
        // Only these two events matter; other lines are not parsed.
        if !(l.contains("\"event\":\"rotation\"") || l.contains("\"event\":\"history\"")) {
            continue;
        }
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            continue;
        };
        match v.get("event").and_then(serde_json::Value::as_str) {
            Some("history") => {
                if let Some(h) = v
                    .get("head")
                    .and_then(serde_json::Value::as_str)
                    .and_then(|h| hex::decode(h).ok())
                    .and_then(|h| Hash::try_from(h.as_slice()).ok())
                {
                    apart.history.push(h);
                }
            }
            Some("rotation") => {
                let Some(e) = v.get("enterprise").and_then(serde_json::Value::as_str) else {
                    continue;
                };
                let set = apart.rotation.entry(e.to_string()).or_default();
                for o in v
                    .get("officers")
                    .and_then(|x| x.as_array())
                    .into_iter()
                    .flatten()
                {
                    if let Some(o) = o.as_str() {
                        set.insert(o.to_string());
                    }
                }
            }
            _ => {}
        }
    }
    apart
}

/// What `dualdraw check` says about one task before any randomness (SPEC.md §11.3): the pool
/// enterprises whose team could not be staffed if drawn (first error, and how many), and the
/// fewest eligible officers of any pool enterprise.
pub struct StaffingCheck {
    /// Enterprises of the pool whose team fails §5.5 step 3 on its own.
    pub failing: u64,
    /// The first such failure, as the draw would report it.
    pub first: Option<crate::Error>,
    /// (fewest eligible officers, enterprise id), if the pool is not empty.
    pub fewest: Option<(u64, String)>,
    /// Distinct people eligible for some place of some pool enterprise.
    pub people: std::collections::BTreeSet<usize>,
}

/// Runs §5.5 steps 2–3 for every enterprise of a task's pool, as if each were drawn alone.
pub fn check_pool(
    task: &Task,
    date: NaiveDate,
    members: &[&Enterprise],
    officers: &Officers,
    apart: &team::Apart,
) -> StaffingCheck {
    let base = base_pools(task, date, officers);
    let mut c = StaffingCheck {
        failing: 0,
        first: None,
        fewest: None,
        people: Default::default(),
    };
    for e in members {
        let p = pools(&base, task, e, officers, apart);
        c.people.extend(p.officers.iter().map(|x| x.0));
        c.people.extend(p.experts.iter().copied());
        let n = p.officers.len() as u64;
        if c.fewest.as_ref().is_none_or(|(m, _)| n < *m) {
            c.fewest = Some((n, e.id.clone()));
        }
        if let Err(err) = check_group(task, date, e, officers, apart, &p) {
            c.failing += 1;
            if c.first.is_none() {
                c.first = Some(err);
            }
        }
    }
    c
}
