//! The target draw of SPEC.md §5.1–5.4 in memory: who is eligible for a task, its strata and
//! their sample sizes, and the bottom-k selection by ticket.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::directory::{CreditClass, Enterprise, EnterpriseStatus, Targets};
use crate::draw::outcome::{Pick, StratumResult};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;
use crate::plan::{Plan, Sample, Scope, Shortfall, Task};
use crate::seed;
use crate::target::{Ticket, TicketHasher, bottom_k};

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
    place(
        &task.scope,
        plan.inspection_date,
        task.exclude_inspected_within_days,
        matches!(task.sample, Sample::ByClass(_)),
        (region, domains, status, credit_class, last_inspected),
    )
}

/// SPEC.md §4.3 on the rules alone and a record's fields.
fn place<S: AsRef<str>>(
    scope: &Scope,
    date: NaiveDate,
    days: Option<u32>,
    by_class: bool,
    (region, domains, status, credit_class, last_inspected): (
        &str,
        &[S],
        EnterpriseStatus,
        Option<CreditClass>,
        Option<NaiveDate>,
    ),
) -> Eligibility {
    if !scope.contains_parts(region, domains, status) {
        Eligibility::OutOfScope
    } else if recently_inspected(last_inspected, date, days) {
        Eligibility::Recent
    } else {
        Eligibility::Eligible(if by_class {
            Stratum::Class(credit_class)
        } else {
            Stratum::All
        })
    }
}

/// One task's pool rules alone (SPEC.md §4.3): what places an enterprise in or out of its
/// pool, as a plan gives them or a log header states them (SPEC.md §6.2) — so a proof can
/// be checked without the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRules {
    /// The task's scope.
    pub scope: Scope,
    /// The plan's inspection date.
    pub inspection_date: NaiveDate,
    /// The recency exclusion in days, if any.
    pub exclude_inspected_within_days: Option<u32>,
    /// Whether the sample is stratified by credit class (`by_class`).
    pub by_class: bool,
}

impl PoolRules {
    /// The rules of a task of a plan.
    pub fn of(plan: &Plan, task: &Task) -> PoolRules {
        PoolRules {
            scope: task.scope.clone(),
            inspection_date: plan.inspection_date,
            exclude_inspected_within_days: task.exclude_inspected_within_days,
            by_class: matches!(task.sample, Sample::ByClass(_)),
        }
    }

    /// The enterprise's place in the pool (SPEC.md §4.3); the same as [`eligibility`] for
    /// the task these rules are of.
    pub fn place(&self, e: &Enterprise) -> Eligibility {
        place(
            &self.scope,
            self.inspection_date,
            self.exclude_inspected_within_days,
            self.by_class,
            (
                &e.region,
                &e.domains,
                e.status,
                e.credit_class,
                e.last_inspected,
            ),
        )
    }
}

/// Turns per-stratum eligible counts into sample sizes, in log order. Fails when a stratum is
/// too small (unless the task takes all eligible) or a classified sample lacks a ratio for a
/// populated class.
///
/// # Errors
///
/// [`ErrorKind::MissingClassRatio`](crate::ErrorKind::MissingClassRatio) when a per-class sample
/// gives no ratio for a class with eligible enterprises;
/// [`ErrorKind::PoolTooSmall`](crate::ErrorKind::PoolTooSmall) when a stratum asks for more
/// enterprises than are eligible and the task's shortfall rule is `error`.
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
///
/// # Errors
///
/// Those of [`strata_sizes`]: [`ErrorKind::MissingClassRatio`](crate::ErrorKind::MissingClassRatio)
/// or [`ErrorKind::PoolTooSmall`](crate::ErrorKind::PoolTooSmall).
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
    /// Pick enterprises by stratum then rank, with their records (needed for the teams).
    pub drawn: Vec<(Pick, Enterprise)>,
}

/// Draws the targets of every task from an in-memory directory.
///
/// # Errors
///
/// [`ErrorKind::Seed`](crate::ErrorKind::Seed) when the seed is empty, longer than 1024 bytes or
/// holds a control character; those of [`pool`]
/// ([`ErrorKind::MissingClassRatio`](crate::ErrorKind::MissingClassRatio),
/// [`ErrorKind::PoolTooSmall`](crate::ErrorKind::PoolTooSmall)) for any task.
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
            let winners = bottom_k(entries, sp.requested as usize)
                .into_iter()
                .map(|(ticket, _, i)| (ticket, pool.members[i].1.clone()))
                .collect();
            record_stratum(sp, winners, &mut strata, &mut drawn);
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

/// Records one stratum's winners, in ticket order: the stratum's result (its cutoff is the
/// last winner's ticket) and a pick per winner, ranked from 1. The in-memory and the streamed
/// selection both end here, so their selections cannot differ in form.
pub(crate) fn record_stratum(
    sp: StratumPool,
    winners: Vec<(Ticket, Enterprise)>,
    strata: &mut Vec<StratumResult>,
    drawn: &mut Vec<(Pick, Enterprise)>,
) {
    let stratum = sp.stratum;
    strata.push(StratumResult {
        drawn: winners.len() as u64,
        cutoff: winners.last().map(|w| w.0),
        pool: sp,
    });
    for (rank, (ticket, e)) in winners.into_iter().enumerate() {
        let pick = Pick {
            stratum,
            rank: rank as u64 + 1,
            id: e.id.clone(),
            ticket,
        };
        drawn.push((pick, e));
    }
}

/// The records of every drawn enterprise, by id: what replacements need to find the next
/// lawful officer (SPEC.md §9.3).
pub fn records_of(selections: &[Selection]) -> BTreeMap<String, Enterprise> {
    selections
        .iter()
        .flat_map(|s| s.drawn.iter().map(|(_, e)| (e.id.clone(), e.clone())))
        .collect()
}
