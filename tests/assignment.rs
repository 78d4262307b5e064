//! The team draw under workload caps, joint inspections, experts, area rules, recusals,
//! rotation and merged visits (SPEC.md §5.5): brute force against exhaustive search, and
//! fairness with fixed seeds.
//!
//! The eligibility rules and the search below are written again from SPEC.md, not taken from
//! the library, so that they check it.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use dualdraw::ErrorKind;
use dualdraw::directory::{
    Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Targets,
};
use dualdraw::internals;
use dualdraw::internals::Apart;
use dualdraw::plan::{AreaRule, CapRule, Plan, Task};
use dualdraw::team;

use common::plans::{TaskToml, plan as plan_toml, quote, task};
use common::rng::Rng;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Instance {
    plan: Plan,
    targets: Targets,
    officers: Officers,
    apart: Apart,
}

fn task_toml(r: &mut Rng, id: &str, domain: &str) -> TaskToml {
    let size = 2 + r.below(2);
    let experts = u64::from(r.chance(25));
    let area = ["any", "any", "any", "same", "different"][r.below(5) as usize];
    let joint = if r.chance(30) {
        let other = if r.chance(50) { "d1" } else { "d2" };
        format!(
            "joint = [{{ department = \"P\" }}, {{ department = \"Q\", domain = \"{other}\" }}]\n"
        )
    } else {
        String::new()
    };
    task(id)
        .domain(domain)
        .item("i", "b")
        .scope(&format!("domains = [{}]", quote(domain)))
        .count(1 + r.below(4))
        .shortfall("take-all")
        .team(size, experts)
        .area(area)
        .raw(&joint)
}

fn instance(r: &mut Rng) -> Instance {
    let n_ent = 1 + r.below(6) as usize;
    let n_off = 3 + r.below(7) as usize;
    let ents: Vec<Enterprise> = (0..n_ent)
        .map(|i| Enterprise {
            id: format!("E{i}"),
            name: format!("e{i}"),
            region: ["A", "B"][r.below(2) as usize].into(),
            domains: match r.below(3) {
                0 => vec!["d1".into()],
                1 => vec!["d2".into()],
                _ => vec!["d1".into(), "d2".into()],
            },
            credit_class: None,
            status: EnterpriseStatus::Active,
            last_inspected: None,
        })
        .collect();
    let offs: Vec<Officer> = (0..n_off)
        .map(|i| Officer {
            id: format!("O{i}"),
            name: format!("o{i}"),
            department: ["P", "Q"][r.below(2) as usize].into(),
            region: ["A", "B"][r.below(2) as usize].into(),
            cert_no: format!("C{i}"),
            cert_expires: if r.chance(5) {
                date("2020-01-01")
            } else {
                date("2030-01-01")
            },
            domains: match r.below(6) {
                0 => vec!["d1".into()],
                1 => vec!["d2".into()],
                _ => vec!["d1".into(), "d2".into()],
            },
            expert: r.chance(40),
            status: if r.chance(8) {
                OfficerStatus::Leave
            } else {
                OfficerStatus::Active
            },
            conflicts: (0..n_ent)
                .filter(|_| r.chance(5))
                .map(|e| format!("E{e}"))
                .collect(),
        })
        .collect();
    let cap = match r.below(6) {
        0 => "\"none\"".to_string(),
        1 | 2 => (1 + r.below(3)).to_string(),
        3 => "\"strict\"".to_string(),
        _ => "\"balanced\"".to_string(),
    };
    let mut recusals = String::new();
    for _ in 0..r.below(3) {
        recusals.push_str(&format!(
            "[[recusal]]\nenterprise = \"E{}\"\nofficer = \"O{}\"\ncategory = \"conflict_of_interest\"\n",
            r.below(n_ent as u64),
            r.below(n_off as u64)
        ));
    }
    let mut text = plan_toml("BF")
        .cap(&cap)
        .raw(&recusals)
        .task(task_toml(r, "t1", "d1"));
    if r.chance(50) {
        text = text.task(task_toml(r, "t2", "d2"));
    }
    let plan = text.parse();
    let mut apart = Apart::from_plan(&plan);
    for _ in 0..r.below(3) {
        apart
            .rotation
            .entry(format!("E{}", r.below(n_ent as u64)))
            .or_default()
            .insert(format!("O{}", r.below(n_off as u64)));
    }
    Instance {
        plan,
        targets: internals::targets_unchecked(ents, Vec::new()),
        officers: internals::officers_unchecked(offs),
        apart,
    }
}

/// SPEC.md §5.5 step 1, written again: may `o` take an officer place (`Some(dept index or
/// None)`) or an expert place in `task`'s team for `e`?
fn eligible(
    o: &Officer,
    e: &Enterprise,
    task: &Task,
    d: NaiveDate,
    expert: bool,
    apart: &Apart,
) -> Option<Option<usize>> {
    if o.status != OfficerStatus::Active || o.conflicts.contains(&e.id) {
        return None;
    }
    if apart.recusal.get(&e.id).is_some_and(|s| s.contains(&o.id))
        || apart.rotation.get(&e.id).is_some_and(|s| s.contains(&o.id))
    {
        return None;
    }
    let area = match task.area {
        AreaRule::Any => true,
        AreaRule::Same => o.region == e.region,
        AreaRule::Different => o.region != e.region,
    };
    if !area {
        return None;
    }
    let covers = |dom: &str| o.domains.iter().any(|x| x == dom);
    let jdom =
        |j: &dualdraw::plan::JointDepartment| j.domain.clone().unwrap_or(task.domain.clone());
    if expert {
        let ok = o.expert && (covers(&task.domain) || task.joint.iter().any(|j| covers(&jdom(j))));
        return ok.then_some(None);
    }
    if o.cert_expires < d {
        return None;
    }
    if task.joint.is_empty() {
        return covers(&task.domain).then_some(None);
    }
    let k = task
        .joint
        .iter()
        .position(|j| j.department == o.department)?;
    covers(&jdom(&task.joint[k])).then_some(Some(k))
}

/// One group of places: officer candidates (person, dept), expert candidates, sizes.
#[derive(Clone)]
struct G {
    task: usize,
    size: usize,
    experts: usize,
    depts: usize,
    off: Vec<(usize, Option<usize>)>,
    exp: Vec<usize>,
}

fn combos(n: usize, k: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    fn rec(start: usize, n: usize, k: usize, cur: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if cur.len() == k {
            out.push(cur.clone());
            return;
        }
        for i in start..n {
            if n - i < k - cur.len() {
                break;
            }
            cur.push(i);
            rec(i + 1, n, k, cur, out);
            cur.pop();
        }
    }
    rec(0, n, k, &mut cur, &mut out);
    out
}

/// Exhaustive search: does a lawful assignment of every visit exist under cap `cap`?
fn exists(visits: &[Vec<G>], n_people: usize, cap: u8) -> bool {
    fn visit(
        vs: &[Vec<G>],
        vi: usize,
        load: &mut Vec<u8>,
        cap: u8,
        dead: &mut HashSet<(usize, Vec<u8>)>,
    ) -> bool {
        if vi == vs.len() {
            return true;
        }
        if dead.contains(&(vi, load.clone())) {
            return false;
        }
        let mut used = Vec::new();
        let ok = group(vs, vi, 0, load, cap, &mut used, dead);
        if !ok {
            dead.insert((vi, load.clone()));
        }
        ok
    }
    fn group(
        vs: &[Vec<G>],
        vi: usize,
        gi: usize,
        load: &mut Vec<u8>,
        cap: u8,
        used: &mut Vec<usize>,
        dead: &mut HashSet<(usize, Vec<u8>)>,
    ) -> bool {
        if gi == vs[vi].len() {
            return visit(vs, vi + 1, load, cap, dead);
        }
        let g = &vs[vi][gi];
        let offs: Vec<(usize, Option<usize>)> = g
            .off
            .iter()
            .copied()
            .filter(|(o, _)| !used.contains(o) && load[*o] < cap)
            .collect();
        for c in combos(offs.len(), g.size) {
            let team: Vec<(usize, Option<usize>)> = c.iter().map(|&i| offs[i]).collect();
            if (0..g.depts).any(|d| !team.iter().any(|t| t.1 == Some(d))) {
                continue;
            }
            let n0 = used.len();
            for t in &team {
                used.push(t.0);
                load[t.0] += 1;
            }
            let exps: Vec<usize> = g
                .exp
                .iter()
                .copied()
                .filter(|o| !used.contains(o) && load[*o] < cap)
                .collect();
            for ce in combos(exps.len(), g.experts) {
                for &i in &ce {
                    used.push(exps[i]);
                    load[exps[i]] += 1;
                }
                let ok = group(vs, vi, gi + 1, load, cap, used, dead);
                for &i in &ce {
                    load[exps[i]] -= 1;
                }
                used.truncate(n0 + team.len());
                if ok {
                    for t in &team {
                        load[t.0] -= 1;
                    }
                    used.truncate(n0);
                    return true;
                }
            }
            for t in &team {
                load[t.0] -= 1;
            }
            used.truncate(n0);
        }
        false
    }
    let mut load = vec![0u8; n_people];
    visit(visits, 0, &mut load, cap, &mut HashSet::new())
}

struct Counts {
    feasible: u64,
    infeasible_local: u64,
    infeasible_hall: u64,
    merged: u64,
    binding: u64,
}

fn check_one(seed: u64, counts: &mut Counts) {
    let mut r = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let inst = instance(&mut r);
    let (plan, officers, apart) = (&inst.plan, &inst.officers, &inst.apart);
    let d = plan.inspection_date;
    let sel = internals::select(plan, &inst.targets, &format!("bf-{seed}")).unwrap();
    // Visits in order of first appearance: task order, then log order.
    let mut order: Vec<String> = Vec::new();
    let mut visits: BTreeMap<String, Vec<G>> = BTreeMap::new();
    let mut local_fail: Vec<(String, String)> = Vec::new();
    for (ti, s) in sel.iter().enumerate() {
        let task = &plan.tasks[ti];
        for (_, e) in &s.drawn {
            if !visits.contains_key(&e.id) {
                order.push(e.id.clone());
            }
            let mut g = G {
                task: ti,
                size: task.team.size as usize,
                experts: task.team.experts as usize,
                depts: task.joint.len(),
                off: Vec::new(),
                exp: Vec::new(),
            };
            for (i, o) in officers.records().iter().enumerate() {
                if let Some(k) = eligible(o, e, task, d, false, apart) {
                    g.off.push((i, k));
                }
                if eligible(o, e, task, d, true, apart).is_some() {
                    g.exp.push(i);
                }
            }
            let union: BTreeSet<usize> = g
                .off
                .iter()
                .map(|x| x.0)
                .chain(g.exp.iter().copied())
                .collect();
            if g.off.len() < g.size
                || g.exp.len() < g.experts
                || union.len() < g.size + g.experts
                || (0..g.depts).any(|k| !g.off.iter().any(|x| x.1 == Some(k)))
            {
                local_fail.push((task.id.clone(), e.id.clone()));
            }
            visits.entry(e.id.clone()).or_default().push(g);
        }
    }
    let vs: Vec<Vec<G>> = order.iter().map(|id| visits[id].clone()).collect();
    let n = officers.records().len();
    let places: usize = vs.iter().flatten().map(|g| g.size + g.experts).sum();
    let people: BTreeSet<usize> = vs
        .iter()
        .flatten()
        .flat_map(|g| g.off.iter().map(|x| x.0).chain(g.exp.iter().copied()))
        .collect();
    let top = vs.len().max(1) as u8;
    let cap = match plan.max_per_officer {
        CapRule::Fixed(c) => c as u8,
        CapRule::None => top,
        CapRule::Balanced | CapRule::Strict => {
            let plus = usize::from(plan.max_per_officer == CapRule::Balanced);
            let share = (places.div_ceil(people.len().max(1)) + plus) as u8;
            if share >= top {
                share
            } else {
                (share..=top).find(|&c| exists(&vs, n, c)).unwrap_or(top)
            }
        }
    };
    let lawful = exists(&vs, n, cap);
    let result = internals::staff_with(plan, sel, officers, apart);
    match (lawful, result) {
        (true, Ok(out)) => {
            counts.feasible += 1;
            assert_eq!(u32::from(cap), out.cap, "seed {seed}: cap");
            let mut load = vec![0u32; n];
            let ix = |id: &str| officers.records().iter().position(|o| o.id == id).unwrap();
            let mut in_visit: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (ti, t) in out.tasks.iter().enumerate() {
                for team in &t.teams {
                    let g = visits[&team.enterprise]
                        .iter()
                        .find(|g| g.task == ti)
                        .unwrap();
                    assert_eq!(team.officers.len(), g.size, "seed {seed}");
                    assert_eq!(team.experts.len(), g.experts, "seed {seed}");
                    let mut depts = BTreeSet::new();
                    for o in &team.officers {
                        let c = g.off.iter().find(|x| x.0 == ix(o));
                        let c = c.unwrap_or_else(|| panic!("seed {seed}: {o} not eligible"));
                        if let Some(k) = c.1 {
                            depts.insert(k);
                        }
                    }
                    assert_eq!(depts.len(), g.depts, "seed {seed}: departments");
                    for x in &team.experts {
                        assert!(g.exp.contains(&ix(x)), "seed {seed}: expert {x}");
                    }
                    for p in team.officers.iter().chain(&team.experts) {
                        load[ix(p)] += 1;
                        in_visit
                            .entry(team.enterprise.clone())
                            .or_default()
                            .push(ix(p));
                    }
                }
            }
            for (e, v) in &in_visit {
                let set: BTreeSet<_> = v.iter().collect();
                assert_eq!(
                    set.len(),
                    v.len(),
                    "seed {seed}: one place per person in {e}"
                );
            }
            assert!(
                load.iter().all(|&l| l <= u32::from(cap)),
                "seed {seed}: cap"
            );
            if load.iter().any(|&l| l == u32::from(cap)) && cap < top {
                counts.binding += 1;
            }
            let merged = vs.iter().filter(|g| g.len() > 1).count();
            assert_eq!(out.merges.len(), merged, "seed {seed}: merges");
            counts.merged += merged as u64;
            // A replacement (SPEC.md §9.3) keeps every rule, or is refused only when no officer
            // of the order after the start position is lawful.
            let mut tt: Vec<(usize, usize)> = Vec::new();
            for (ti, t) in out.tasks.iter().enumerate() {
                for k in 0..t.teams.len() {
                    tt.push((ti, k));
                }
            }
            if !tt.is_empty() {
                let (ti, k) = tt[r.below(tt.len() as u64) as usize];
                let team = out.tasks[ti].teams[k].clone();
                let o_out = team.officers[r.below(team.officers.len() as u64) as usize].clone();
                let mut after = out.clone();
                let req = team::ReplacementRequest {
                    task: out.tasks[ti].task.clone(),
                    enterprise: team.enterprise.clone(),
                    out: o_out.clone(),
                    reason: dualdraw::reason::Reason::of(dualdraw::reason::Category::Illness),
                };
                let order = team::replacement_order(&out.tasks[ti].key, &team);
                let g = visits[&team.enterprise]
                    .iter()
                    .find(|g| g.task == ti)
                    .unwrap();
                let lawful = |n: &str| {
                    let ni = ix(n);
                    !in_visit[&team.enterprise].contains(&ni)
                        && load[ni] < u32::from(cap)
                        && g.off.iter().any(|x| x.0 == ni)
                        && (0..g.depts).all(|d| {
                            team.officers
                                .iter()
                                .filter(|o| **o != o_out)
                                .chain(std::iter::once(&n.to_string()))
                                .any(|o| g.off.iter().any(|x| x.0 == ix(o) && x.1 == Some(d)))
                        })
                };
                let first = order.iter().position(|n| lawful(n));
                match internals::apply_replacements(
                    plan,
                    &mut after,
                    &BTreeMap::new(),
                    officers,
                    &[req],
                ) {
                    Ok(done) => {
                        assert_eq!(
                            Some(done[0].position as usize),
                            first,
                            "seed {seed}: replacement"
                        );
                        assert!(lawful(&done[0].incoming), "seed {seed}");
                    }
                    Err(_) => assert_eq!(first, None, "seed {seed}: replacement refused"),
                }
            }
        }
        (false, Err(e)) => match e.kind() {
            ErrorKind::TooFewOfficers {
                task,
                enterprise,
                needed,
                eligible,
                ..
            } => {
                assert!(eligible < needed, "seed {seed}");
                let merged_fail = task.contains('+');
                assert!(
                    merged_fail || local_fail.contains(&(task.clone(), enterprise.clone())),
                    "seed {seed}: {e}"
                );
                counts.infeasible_local += 1;
            }
            ErrorKind::Infeasible(c) => {
                // Re-check the certificate from the instance alone.
                let mut visits_of: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
                let mut demand = 0u64;
                for p in &c.places {
                    let ti = plan.tasks.iter().position(|t| t.id == p.task).unwrap();
                    let g = visits[&p.enterprise].iter().find(|g| g.task == ti).unwrap();
                    let (count, who): (usize, Vec<usize>) = if p.expert {
                        (g.experts, g.exp.clone())
                    } else if let Some(dn) = &p.department {
                        let k = plan.tasks[ti]
                            .joint
                            .iter()
                            .position(|j| &j.department == dn)
                            .unwrap();
                        (
                            1,
                            g.off
                                .iter()
                                .filter(|x| x.1 == Some(k))
                                .map(|x| x.0)
                                .collect(),
                        )
                    } else {
                        (g.size - g.depts, g.off.iter().map(|x| x.0).collect())
                    };
                    assert_eq!(count as u32, p.count, "seed {seed}");
                    demand += count as u64;
                    for o in who {
                        visits_of.entry(o).or_default().insert(p.enterprise.clone());
                    }
                }
                let supply: u64 = visits_of
                    .values()
                    .map(|v| (v.len() as u64).min(u64::from(cap)))
                    .sum();
                let listed: BTreeMap<&str, (u32, u32)> = c
                    .supply
                    .iter()
                    .map(|(o, cp, v)| (o.as_str(), (*cp, *v)))
                    .collect();
                assert_eq!(listed.len(), visits_of.len(), "seed {seed}: {e}");
                for (o, v) in &visits_of {
                    let got = listed[officers.records()[*o].id.as_str()];
                    assert_eq!(got, (u32::from(cap), v.len() as u32), "seed {seed}");
                }
                assert!(supply < demand, "seed {seed}: {e}");
                counts.infeasible_hall += 1;
            }
            other => panic!("seed {seed}: unexpected error {other:?}"),
        },
        (true, Err(e)) => {
            panic!("seed {seed}: a lawful assignment exists but the draw failed: {e}")
        }
        (false, Ok(_)) => panic!(
            "seed {seed}: exhaustive search finds no lawful assignment but the draw returned one"
        ),
    }
}

/// At least 10,000 random small instances: the draw fails exactly when exhaustive search finds
/// no lawful assignment; every assignment obeys every rule; every certificate re-checks.
#[test]
fn brute_force_against_exhaustive_search() {
    let n: u64 = std::env::var("DUALDRAW_BRUTE_FORCE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let threads = 2;
    let results: Vec<Counts> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut c = Counts {
                        feasible: 0,
                        infeasible_local: 0,
                        infeasible_hall: 0,
                        merged: 0,
                        binding: 0,
                    };
                    for seed in (t..n).step_by(threads as usize) {
                        check_one(seed, &mut c);
                    }
                    c
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let sum = |f: fn(&Counts) -> u64| results.iter().map(f).sum::<u64>();
    let (f, l, h) = (
        sum(|c| c.feasible),
        sum(|c| c.infeasible_local),
        sum(|c| c.infeasible_hall),
    );
    eprintln!(
        "brute force: {n} instances: {f} staffed ({} with a binding cap, {} merged visits), {l} refused for one enterprise, {h} refused with a Hall certificate",
        sum(|c| c.binding),
        sum(|c| c.merged)
    );
    assert_eq!(f + l + h, n);
    // The generator must exercise every outcome.
    assert!(f > n / 10 && l > 0 && h > 0, "{f} {l} {h}");
}

fn officer(i: usize, dept: &str) -> Officer {
    Officer {
        id: format!("O{i:02}"),
        name: format!("o{i}"),
        department: dept.into(),
        region: "A".into(),
        cert_no: format!("C{i}"),
        cert_expires: date("2030-01-01"),
        domains: vec!["d1".into()],
        expert: false,
        status: OfficerStatus::Active,
        conflicts: Vec::new(),
    }
}

fn uniform_targets(n: usize) -> Targets {
    internals::targets_unchecked(
        (0..n)
            .map(|i| Enterprise {
                id: format!("E{i:03}"),
                name: String::new(),
                region: "A".into(),
                domains: vec!["d1".into()],
                credit_class: None,
                status: EnterpriseStatus::Active,
                last_inspected: None,
            })
            .collect(),
        Vec::new(),
    )
}

fn simple_plan(count: u64, size: u64, cap: &str, joint: bool) -> Plan {
    let joint = if joint {
        "joint = [{ department = \"P\" }, { department = \"Q\" }]\n"
    } else {
        ""
    };
    plan_toml("FAIR")
        .cap(cap)
        .task(
            task("t1")
                .domain("d1")
                .item("i", "b")
                .count(count)
                .team_size(size)
                .raw(joint),
        )
        .parse()
}

/// Upper tail of χ²(df) at x.
fn p_value(x: f64, df: f64) -> f64 {
    use statrs::distribution::{ChiSquared, ContinuousCDF};
    1.0 - ChiSquared::new(df).unwrap().cdf(x)
}

/// Caps not binding: every eligible officer's team memberships match uniform, for an ordinary
/// and for a joint task (one officer of each of two departments of six).
#[test]
fn officers_are_uniform_when_caps_do_not_bind() {
    const SEEDS: usize = 2000;
    let targets = uniform_targets(60);
    for joint in [false, true] {
        let officers = internals::officers_unchecked(
            (0..12)
                .map(|i| officer(i, if i % 2 == 0 { "P" } else { "Q" }))
                .collect(),
        );
        let plan = simple_plan(6, 2, "\"none\"", joint);
        let mut counts = vec![0u64; 12];
        for s in 0..SEEDS {
            let out = internals::run(&plan, &targets, &officers, &format!("fair-{s}")).unwrap();
            for team in &out.tasks[0].teams {
                for o in &team.officers {
                    counts[o[1..].parse::<usize>().unwrap()] += 1;
                }
            }
        }
        let expected = (SEEDS * 6 * 2) as f64 / 12.0;
        let x2: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        // Two distinct of twelve per team: X²/c ~ χ²(11) with c = (1 − 2/12)·12/11. Joint: one
        // of six per department per team, two independent multinomials: χ²(10).
        let (stat, df) = if joint {
            (x2, 10.0)
        } else {
            (x2 / (10.0 / 11.0), 11.0)
        };
        let p = p_value(stat, df);
        eprintln!(
            "uniform (joint = {joint}): counts {counts:?}, expected {expected}, X² = {stat:.2}, df {df}, p = {p:.4}"
        );
        assert!(p > 0.001, "joint = {joint}: p = {p}");
    }
}

/// Caps binding: with `strict`, loads differ by at most one in every draw; the spread under
/// the default `balanced` cap is reported.
#[test]
fn loads_are_balanced_when_the_plan_asks() {
    let targets = uniform_targets(40);
    let officers = internals::officers_unchecked((0..7).map(|i| officer(i, "P")).collect());
    for (cap, bound) in [("\"strict\"", Some(1)), ("\"balanced\"", None)] {
        let plan = simple_plan(10, 2, cap, false);
        let mut worst = 0;
        let mut spreads = BTreeMap::new();
        for s in 0..500 {
            let out = internals::run(&plan, &targets, &officers, &format!("load-{s}")).unwrap();
            let mut load = vec![0u32; 7];
            for team in &out.tasks[0].teams {
                for o in &team.officers {
                    load[o[1..].parse::<usize>().unwrap()] += 1;
                }
            }
            let spread = load.iter().max().unwrap() - load.iter().min().unwrap();
            *spreads.entry(spread).or_insert(0u32) += 1;
            worst = worst.max(spread);
            if let Some(b) = bound {
                assert!(spread <= b, "{cap} seed {s}: loads {load:?}");
            }
        }
        eprintln!(
            "cap {cap}: 20 places, 7 officers: spread (max − min) histogram {spreads:?}, worst {worst}"
        );
    }
}

/// Rotation through the CLI path: a second draw of the demo with the first draw's log as
/// history keeps every officer away from the enterprises they inspected; it records the
/// history and verifies; a tampered history log is refused.
#[test]
fn rotation_from_history_logs() {
    use dualdraw::commands;
    // The demo without expert places: its only power expert could not serve the same enterprise
    // twice, and a second draw with the same seed draws the same enterprises.
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["targets.csv", "officers.csv"]);
    let text = std::fs::read_to_string(common::demo_path("plan.toml"))
        .unwrap()
        .replace("team = { size = 2, experts = 1 }", "team = { size = 2 }");
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, text).unwrap();
    let first = commands::draw(
        &plan,
        &commands::DrawOptions {
            out: Some(dir.path().join("first")),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let log1 = dir.path().join("first/draw.log");
    let second = commands::draw(
        &plan,
        &commands::DrawOptions {
            out: Some(dir.path().join("second")),
            history: vec![log1.clone()],
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    // Same seed, same plan: the same enterprises, never the same people.
    let mut before: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for t in &first.outcome.tasks {
        for team in &t.teams {
            let e = before.entry(team.enterprise.as_str()).or_default();
            e.extend(
                team.officers
                    .iter()
                    .chain(&team.experts)
                    .map(String::as_str),
            );
        }
    }
    let mut checked = 0;
    for t in &second.outcome.tasks {
        for team in &t.teams {
            for o in team.officers.iter().chain(&team.experts) {
                assert!(
                    !before[team.enterprise.as_str()].contains(o.as_str()),
                    "{o} again at {}",
                    team.enterprise
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0);
    assert!(
        second
            .log
            .lines
            .iter()
            .any(|l| l.contains("\"event\":\"history\""))
    );
    assert!(
        second
            .log
            .lines
            .iter()
            .any(|l| l.contains("\"event\":\"rotation\""))
    );
    let verify_history = |log: &std::path::Path, history: &[std::path::PathBuf]| {
        commands::verify(log, &plan, None, &Default::default(), history, &mut |_| {})
    };
    let (report, _) = verify_history(&dir.path().join("second/draw.log"), &[]).unwrap();
    assert!(report.drawn);
    // `verify --history`: the logged pairs are exactly what the earlier log gives.
    let log2 = dir.path().join("second/draw.log");
    let (report, _) = verify_history(&log2, std::slice::from_ref(&log1)).unwrap();
    assert_eq!(report.history.map(|h| h.logs), Some(1));
    // A mismatch is a verification failure (exit 1), not an input error.
    let inputs = dualdraw::io::load_inputs(&plan).unwrap();
    let e = dualdraw::Verify::new(&inputs.plan)
        .without_history()
        .run(
            &std::fs::read(&log2).unwrap(),
            &inputs.targets,
            &inputs.officers,
        )
        .unwrap_err();
    assert!(e.is_verification(), "{e}");
    let e = verify_history(&log1, std::slice::from_ref(&log1)).unwrap_err();
    assert!(e.is_verification(), "{e}");
    // A history log whose chain is broken is not used.
    let mut bytes = std::fs::read(&log1).unwrap();
    let i = bytes.iter().position(|&b| b == b'T').unwrap();
    bytes[i] = b'X';
    let bad = dir.path().join("bad.log");
    std::fs::write(&bad, bytes).unwrap();
    let e = commands::draw(
        &plan,
        &commands::DrawOptions {
            out: Some(dir.path().join("third")),
            history: vec![bad],
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::History(_)), "{e}");
}

/// The independent Python verifier (written from SPEC.md) agrees with dualdraw on draws that
/// use the rules of §4.6/§5.5: caps (binding ones included), joint tasks, area rules, experts,
/// recusals, merged visits, rotation from an earlier log, and replacements under these rules.
#[test]
fn python_verifier_agrees_on_assignment_rules() {
    use dualdraw::commands;
    use dualdraw::team::ReplacementRequest;
    use std::process::Command;
    let ok = common::cli::python3_probe().is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 >= 3.11 needed under CI"
        );
        eprintln!("NOTICE: python3 >= 3.11 not found; skipping");
        return;
    }
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["targets.csv", "officers.csv"]);
    let verify_py = |log: &std::path::Path, plan: &std::path::Path| {
        let out = Command::new("python3")
            .arg(common::cli::verify_py())
            .arg(log)
            .arg("--plan")
            .arg(plan)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            out.status.success(),
            "verify.py disagrees on {}: {text}",
            log.display()
        );
    };
    // The joint demo plan (SPEC.md §8.11).
    let joint = common::demo_path("plan-joint.toml");
    let out = dir.path().join("joint");
    commands::draw(
        &joint,
        &commands::DrawOptions {
            out: Some(out.clone()),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    verify_py(&out.join("draw.log"), &joint);
    let mut r = Rng(0x5eed_1234_abcd);
    let (mut drawn, mut refused, mut merged, mut replaced, mut rotated) = (0, 0, 0, 0, 0);
    for case in 0..40 {
        let cap = ["\"balanced\"", "\"strict\"", "\"none\"", "1", "2", "3"][r.below(6) as usize];
        let mut text = plan_toml(&format!("AGREE-{case}"))
            .files("targets.csv", "officers.csv")
            .seed(&format!("agree-{case}"))
            .cap(cap);
        let mut recusals = String::new();
        for _ in 0..r.below(3) {
            recusals.push_str(&format!(
                "[[recusal]]\nenterprise = \"x\"\nofficer = \"TJGX{:04}\"\ncategory = \"回避\"\n",
                1 + r.below(63)
            ));
        }
        text = text.raw(&recusals);
        // A small district so that tasks share enterprises (merged visits).
        let district = ["120117", "120119", "120106"][r.below(3) as usize];
        let n_tasks = 2 + r.below(2);
        for t in 0..n_tasks {
            let (domain, joint) = match r.below(3) {
                0 => ("无线电", ""),
                1 => ("电力", ""),
                _ => (
                    "无线电",
                    "joint = [{ department = \"无线电管理处\" }, { department = \"电力处\", domain = \"电力\" }]\n",
                ),
            };
            let area = ["any", "any", "same", "different"][r.below(4) as usize];
            let experts = u64::from(r.chance(30));
            text = text.task(
                task(&format!("t{t}"))
                    .domain(domain)
                    .item("i", "b")
                    .scope(&format!(
                        "regions = [\"{district}\"], domains = [\"无线电\", \"电力\"]"
                    ))
                    .count(2 + r.below(5))
                    .shortfall("take-all")
                    .team(2, experts)
                    .area(area)
                    .raw(joint),
            );
        }
        let plan = dir.path().join(format!("plan{case}.toml"));
        std::fs::write(&plan, text.text()).unwrap();
        let out = dir.path().join(format!("out{case}"));
        let s = match commands::draw(
            &plan,
            &commands::DrawOptions {
                out: Some(out.clone()),
                ..Default::default()
            },
            &mut |_| {},
        ) {
            Ok(s) => s,
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::TooFewOfficers { .. } | ErrorKind::Infeasible(_)
                    ),
                    "case {case}: {e}"
                );
                refused += 1;
                continue;
            }
        };
        drawn += 1;
        merged += s.outcome.merges.len();
        let log = out.join("draw.log");
        // Up to two replacements (refusals are fine: the order may hold no lawful officer).
        for _ in 0..r.below(3) {
            let t = &s.outcome.tasks[r.below(s.outcome.tasks.len() as u64) as usize];
            let Some(team) = t.teams.first() else {
                continue;
            };
            let req = ReplacementRequest {
                task: t.task.clone(),
                enterprise: team.enterprise.clone(),
                out: team.officers[1].clone(),
                reason: dualdraw::reason::Reason::of(dualdraw::reason::Category::Illness),
            };
            if commands::replace(&log, &plan, req).is_ok() {
                replaced += 1;
                break;
            }
        }
        verify_py(&log, &plan);
        // Rotation: draw again with this log as history.
        if case % 3 == 0 {
            let out2 = dir.path().join(format!("again{case}"));
            let again = commands::draw(
                &plan,
                &commands::DrawOptions {
                    out: Some(out2.clone()),
                    history: vec![log.clone()],
                    ..Default::default()
                },
                &mut |_| {},
            );
            if again.is_ok() {
                rotated += 1;
                verify_py(&out2.join("draw.log"), &plan);
            }
        }
    }
    eprintln!(
        "python agreement: {drawn} draws ({merged} merged visits, {replaced} replacements, {rotated} with rotation), {refused} refused"
    );
    assert!(
        drawn >= 8 && merged > 0 && rotated > 0,
        "{drawn} {merged} {rotated}"
    );
}

/// `dualdraw check` reports, before any randomness, enterprises that could not be staffed if
/// drawn and a fixed cap that cannot cover the places.
#[test]
fn check_reports_infeasibility_before_the_draw() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["targets.csv", "officers.csv"]);
    let plan = plan_toml("CHECK")
        .files("targets.csv", "officers.csv")
        .cap("1")
        .task(
            task("radio")
                .domain("无线电")
                .item("i", "b")
                .scope("domains = [\"无线电\"]")
                .count(30)
                .team_size(2)
                .area("same"),
        )
        .write(dir.path());
    let report = dualdraw::commands::check(&plan).unwrap();
    eprintln!("{report}");
    assert!(report.contains("TOO FEW"), "{report}");
    assert!(report.contains("area rule"), "{report}");
    assert!(report.contains("HALL'S CONDITION FAILS"), "{report}");
}

/// SPEC.md §8.11: the joint demo plan's known answers.
#[test]
fn spec_vector_joint_demo() {
    let inputs = common::load(&common::demo_path("plan-joint.toml"));
    let seed = inputs.plan.seed.clone().unwrap();
    let (outcome, log) = common::draw(&inputs, &seed);
    assert_eq!(log.lines.len(), 36);
    assert_eq!(
        hex::encode(log.head()),
        "b3db3af228d909c09e13ebd2046f1be39e6c31b76feaa1bfbea9da84fa7d4c2c"
    );
    let strip = |l: &str| {
        let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
        v.as_object_mut().unwrap().remove("prev");
        v.as_object_mut().unwrap().remove("seq");
        dualdraw::log::canonical(&v)
    };
    let teams: Vec<String> = log
        .lines
        .iter()
        .filter(|l| l.contains("\"event\":\"team\"") && l.contains("radio-power-joint"))
        .map(|l| strip(l))
        .collect();
    assert_eq!(
        teams,
        [
            r#"{"eligible_experts":4,"eligible_officers":22,"enterprise":"91120117366245889R","event":"team","experts":["TJGX0062"],"leader":"TJGX0061","officers":["TJGX0061","TJGX0037"],"task":"radio-power-joint"}"#,
            r#"{"eligible_experts":3,"eligible_officers":26,"enterprise":"911201165926712C0A","event":"team","experts":["TJGX0063"],"leader":"TJGX0015","officers":["TJGX0015","TJGX0004"],"task":"radio-power-joint"}"#,
        ]
    );
    assert!(log.lines.iter().any(|l| l.contains(
        r#""team_rule":{"area":"different","experts":1,"joint":[{"department":"无线电管理处","domain":"无线电"},{"department":"电力处","domain":"电力"}],"size":2}"#
    )));
    // The replacement of §8.11: position 0 is of 电力处, so TJGX0023 at position 1 comes in.
    let t = &outcome.tasks[3];
    let order = team::replacement_order(&t.key, &t.teams[0]);
    let dept = |id: &str| {
        inputs
            .officers
            .records()
            .iter()
            .find(|o| o.id == id)
            .unwrap()
            .department
            .clone()
    };
    assert_eq!(dept(&order[0]), "电力处");
    assert_eq!(order[1], "TJGX0023");
    let mut current = outcome.clone();
    let done = internals::apply_replacements(
        &inputs.plan,
        &mut current,
        &BTreeMap::new(),
        &inputs.officers,
        &[team::ReplacementRequest {
            task: "radio-power-joint".into(),
            enterprise: "91120117366245889R".into(),
            out: "TJGX0061".into(),
            reason: dualdraw::reason::Reason::of(dualdraw::reason::Category::Illness),
        }],
    )
    .unwrap();
    assert_eq!(
        (done[0].incoming.as_str(), done[0].position),
        ("TJGX0023", 1)
    );
}
