//! The whole draw as a pure function: plan, directories and seed in; results out.
//!
//! [`run`] does no I/O. The [`log`](crate::log) module turns its [`Outcome`] into the
//! hash-chained log, and [`verify`](crate::verify) runs it again to check a log.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sha2::{Digest as _, Sha256};

use crate::directory::{CreditClass, Enterprise, Officers, Targets};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;
use crate::plan::{Plan, Sample, Shortfall, Task};
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

fn recently_inspected(e: &Enterprise, date: NaiveDate, days: Option<u32>) -> bool {
    match (days, e.last_inspected) {
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
    if !task.scope.contains(e) {
        Eligibility::OutOfScope
    } else if recently_inspected(e, plan.inspection_date, task.exclude_inspected_within_days) {
        Eligibility::Recent
    } else {
        Eligibility::Eligible(match task.sample {
            Sample::ByClass(_) => Stratum::Class(e.credit_class),
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
}

/// The certified officers eligible for `e`'s team, in id order, and why the others are not.
fn officer_pool<'o>(
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &'o Officers,
) -> (Vec<&'o str>, Vec<team::Exclusion>) {
    let mut pool = Vec::new();
    let mut why = Vec::new();
    for o in &officers.records {
        match team::exclusion(o, e, task, date, false) {
            None => pool.push(o.id.as_str()),
            Some(r) => why.push(r),
        }
    }
    (pool, why)
}

/// Domain-separation tag of the replacement stream's key.
pub const REPLACEMENT_KEY_TAG: &str = "dualdraw/v1/replacement-key";

/// The officers who would replace members of `e`'s team, in order (SPEC.md §9.3): the team
/// draw's Fisher–Yates over the officer pool is redone, then continued past the positions the
/// draw consumed with a stream keyed `SHA-256(str(TAG) || team_key)`; the team's experts are
/// left out.
pub fn replacement_order(
    task_key: &Hash,
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &Officers,
) -> Vec<String> {
    let Ok((team, mut pool, consumed)) = staff_one(task_key, task, date, e, officers) else {
        return Vec::new();
    };
    let team_key = seed::team_key(task_key, &e.id);
    let mut b = Vec::new();
    crate::directory::put_str(&mut b, REPLACEMENT_KEY_TAG);
    b.extend_from_slice(&team_key);
    let key: Hash = Sha256::digest(&b).into();
    let mut rest = pool.split_off(consumed);
    let n = rest.len();
    Stream::new(&key).partial_shuffle(&mut rest, n);
    // The team's experts keep their places; they are not candidates.
    rest.into_iter()
        .filter(|o| !team.experts.iter().any(|x| x == o))
        .map(String::from)
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
    /// Index of `incoming` in the enterprise's [`replacement_order`] (0 for the first
    /// replacement in that team, 1 for the second, ...).
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

/// Applies replacement requests in order to an outcome's teams: each takes the next officer of
/// the enterprise's [`replacement_order`]. `records` gives the drawn enterprises' records.
pub fn apply_replacements(
    plan: &Plan,
    outcome: &mut Outcome,
    records: &BTreeMap<String, Enterprise>,
    officers: &Officers,
    requests: &[ReplacementRequest],
) -> Result<Vec<Replacement>> {
    let fail = |m: String| -> crate::Error { ErrorKind::Replacement(m).into() };
    let mut done: Vec<Replacement> = Vec::new();
    for r in requests {
        if r.reason.trim().is_empty() || r.reason.chars().any(char::is_control) {
            return Err(fail(
                "a replacement needs a reason (one line of text)".into(),
            ));
        }
        let (task, t) = plan
            .tasks
            .iter()
            .zip(outcome.tasks.iter_mut())
            .find(|(task, _)| task.id == r.task)
            .ok_or_else(|| fail(format!("the plan has no task {:?}", r.task)))?;
        let team = t
            .teams
            .iter_mut()
            .find(|tm| tm.enterprise == r.enterprise)
            .ok_or_else(|| {
                fail(format!(
                    "enterprise {} was not drawn in task {:?}",
                    r.enterprise, r.task
                ))
            })?;
        let slot = team.officers.iter().position(|o| *o == r.out).ok_or_else(|| {
            fail(format!(
                "officer {} is not a certified member of the team for {} in task {:?} (members: {}; experts are not replaced)",
                r.out,
                r.enterprise,
                r.task,
                team.officers.join(", ")
            ))
        })?;
        let e = records
            .get(&r.enterprise)
            .ok_or_else(|| fail(format!("no record for enterprise {}", r.enterprise)))?;
        let m = done
            .iter()
            .filter(|d| d.task == r.task && d.enterprise == r.enterprise)
            .count();
        let order = replacement_order(&t.key, task, plan.inspection_date, e, officers);
        let incoming = order.get(m).ok_or_else(|| {
            fail(format!(
                "no eligible officer is left for {} in task {:?}: all {} were drawn or used as replacements",
                r.enterprise,
                r.task,
                order.len() + team.officers.len()
            ))
        })?;
        team.officers[slot] = incoming.clone();
        done.push(Replacement {
            task: r.task.clone(),
            enterprise: r.enterprise.clone(),
            out: r.out.clone(),
            incoming: incoming.clone(),
            reason: r.reason.clone(),
            position: m as u64,
        });
    }
    Ok(done)
}

/// Draws one enterprise's team for a task (SPEC.md §5.5).
pub fn draw_team(
    task_key: &Hash,
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &Officers,
) -> Result<Team> {
    Ok(staff_one(task_key, task, date, e, officers)?.0)
}

/// The expert-eligible people for `e`'s team (certificate not required), in id order, and why
/// the others are not.
fn expert_pool<'o>(
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &'o Officers,
) -> (Vec<&'o str>, Vec<team::Exclusion>) {
    let mut pool = Vec::new();
    let mut why = Vec::new();
    for o in &officers.records {
        match team::exclusion(o, e, task, date, true) {
            None => pool.push(o.id.as_str()),
            Some(r) => why.push(r),
        }
    }
    (pool, why)
}

/// Draws one team (SPEC.md §5.5) and returns it with the officer pool in its Fisher–Yates state
/// and how many positions of it the draw consumed (replacements continue from there).
fn staff_one<'o>(
    task_key: &Hash,
    task: &Task,
    date: NaiveDate,
    e: &Enterprise,
    officers: &'o Officers,
) -> Result<(Team, Vec<&'o str>, usize)> {
    let (mut pool, why) = officer_pool(task, date, e, officers);
    let (experts_all, why_x) = expert_pool(task, date, e, officers);
    let need = task.team.size as usize;
    let need_x = task.team.experts as usize;
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
    if pool.len() < need {
        return Err(too_few(
            "officers",
            need,
            pool.len(),
            team::explain(why.into_iter()),
        ));
    }
    if experts_all.len() < need_x {
        return Err(too_few(
            "experts",
            need_x,
            experts_all.len(),
            team::explain(
                why_x
                    .into_iter()
                    .filter(|r| *r != team::Exclusion::NotExpert),
            ),
        ));
    }
    // Hall's condition for two kinds of places: officers and experts must be distinct people.
    let union = pool.len()
        + experts_all
            .iter()
            .filter(|x| pool.binary_search(x).is_err())
            .count();
    if union < need + need_x {
        return Err(too_few(
            "officers and experts together",
            need + need_x,
            union,
            format!(
                "{} officers and {} experts are eligible, but only {union} different people",
                pool.len(),
                experts_all.len()
            ),
        ));
    }
    let mut stream = Stream::new(&seed::team_key(task_key, &e.id));
    let eligible_officers = pool.len() as u64;
    // Lazy Fisher–Yates over the officer pool. A candidate who is also expert-eligible is taken
    // as an officer only if enough other experts remain for the expert places; by Hall's
    // condition above the officer places can then always be filled, so a draw never fails
    // because of the order the seed happened to give.
    let mut chosen: Vec<&str> = Vec::with_capacity(need);
    let mut experts_left = experts_all.len();
    let mut i = 0;
    while chosen.len() < need {
        let j = i + stream.below((pool.len() - i) as u64) as usize;
        pool.swap(i, j);
        let c = pool[i];
        i += 1;
        let is_expert = experts_all.binary_search(&c).is_ok();
        if is_expert && experts_left <= need_x {
            continue;
        }
        if is_expert {
            experts_left -= 1;
        }
        chosen.push(c);
    }
    let mut experts: Vec<&str> = experts_all
        .iter()
        .copied()
        .filter(|x| !chosen.contains(x))
        .collect();
    let eligible_experts = experts.len() as u64;
    if need_x > 0 {
        stream.partial_shuffle(&mut experts, need_x);
    }
    experts.truncate(need_x);
    let team = Team {
        enterprise: e.id.clone(),
        officers: chosen.into_iter().map(String::from).collect(),
        experts: experts.into_iter().map(String::from).collect(),
        eligible_officers,
        eligible_experts,
    };
    Ok((team, pool, i))
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

/// Draws the team of every selected enterprise. `selections` are in plan task order.
pub fn staff(plan: &Plan, selections: Vec<Selection>, officers: &Officers) -> Result<Outcome> {
    let mut tasks = Vec::new();
    for (task, sel) in plan.tasks.iter().zip(selections) {
        let mut teams = Vec::new();
        let mut drawn = Vec::new();
        for (d, e) in sel.drawn {
            teams.push(draw_team(
                &sel.key,
                task,
                plan.inspection_date,
                &e,
                officers,
            )?);
            drawn.push(d);
        }
        tasks.push(TaskOutcome {
            task: sel.task,
            key: sel.key,
            excluded_recent: sel.excluded_recent,
            strata: sel.strata,
            drawn,
            teams,
        });
    }
    Ok(Outcome { tasks })
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
