//! Staffing every drawn enterprise's team for the whole plan (SPEC.md §4.6, §5.5–§5.8): the officer
//! pools of each visit, feasibility-checked assignment, and the reasons when no lawful
//! assignment exists.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::directory::{Enterprise, Officers};
use crate::draw::outcome::{Merge, Outcome, TaskOutcome, Team};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;
use crate::plan::{AreaRule, CapRule, Plan, Task};
use crate::seed;
use crate::target::Selection;
use crate::team::assign::{self, Role};
use crate::team::{self, Stream};

/// Draws one enterprise's team for a task as if it were the only one (SPEC.md §5.5 with one
/// visit, no workload cap, no recusal or rotation): the known-answer vector of §8.3.
///
/// # Errors
///
/// [`ErrorKind::TooFewOfficers`](crate::ErrorKind::TooFewOfficers) when fewer officers (or experts)
/// are eligible than the team needs; [`ErrorKind::Infeasible`](crate::ErrorKind::Infeasible) when
/// no lawful assignment of the eligible officers exists.
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

/// Draws the team of every selected enterprise (SPEC.md §5.5) with the plan's recusals and no
/// rotation. `selections` are in plan task order.
///
/// # Errors
///
/// Those of [`staff_with`].
pub fn staff(plan: &Plan, selections: Vec<Selection>, officers: &Officers) -> Result<Outcome> {
    staff_with(plan, selections, officers, &team::Apart::from_plan(plan))
}

/// [`staff`] with explicit pairs kept apart (the plan's recusals and the rotation pairs from
/// earlier draws).
///
/// # Errors
///
/// [`ErrorKind::TooFewOfficers`](crate::ErrorKind::TooFewOfficers) when an enterprise's team has
/// fewer eligible officers (or experts) than it needs, naming the enterprise, the task and why the
/// others were excluded; [`ErrorKind::Infeasible`](crate::ErrorKind::Infeasible), with a Hall
/// certificate, when the teams cannot all be staffed lawfully at once (for example under the
/// workload cap).
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

/// What `dualdraw check` says about one task before any randomness (SPEC.md §5.6): the pool
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
