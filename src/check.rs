//! Before any randomness: is the plan drawable on these directories? (SPEC.md §5.6)
//!
//! [`check`] validates nothing the readers did not already validate; it computes, for every
//! task, its pool and strata, whether every enterprise of the pool could be staffed if drawn,
//! and for the whole plan whether the workload cap leaves enough places (Hall's condition with
//! numbers). A bureau runs it before the commitment, so that a ceremony never fails on the day.

use std::collections::BTreeSet;
use std::fmt;

use crate::directory::{Digest, Enterprise, Officers, Supplied, Targets, Warning};
use crate::error::Result;
use crate::plan::{CapRule, Plan};
use crate::target::{self, StratumPool};
use crate::team;

/// What [`check`] found, per task and for the whole plan.
#[derive(Debug)]
pub struct CheckReport {
    /// Plan id.
    pub plan: String,
    /// Plan title.
    pub title: String,
    /// The inspection date, `YYYY-MM-DD`.
    pub inspection_date: String,
    /// The target directory's digest.
    pub targets: Digest,
    /// The officer directory's digest.
    pub officers: Digest,
    /// The target directory's warnings (also written into a draw's log).
    pub warnings: Vec<Warning>,
    /// Every task, in plan order.
    pub tasks: Vec<TaskCheck>,
    /// The plan's workload cap rule.
    pub cap: CapRule,
    /// Places to fill if every task draws its full sample.
    pub places: u64,
    /// People eligible for at least one place of some pool enterprise.
    pub people: u64,
}

/// One task's pool and staffing, as if each pool enterprise were drawn alone.
#[derive(Debug)]
pub struct TaskCheck {
    /// Task id.
    pub task: String,
    /// Its domain.
    pub domain: String,
    /// Directed (a filtered scope) or not.
    pub directed: bool,
    /// Enterprises in scope excluded as recently inspected.
    pub excluded_recent: u64,
    /// The strata: eligible and requested.
    pub strata: Vec<StratumPool>,
    /// Team size (certified officers).
    pub team_size: u64,
    /// The fewest eligible officers of any pool enterprise, and that enterprise.
    pub fewest: Option<(u64, String)>,
    /// Pool enterprises whose team could not be staffed if drawn.
    pub failing: u64,
    /// Why the first of them fails, as the draw would say it.
    pub first_failure: Option<crate::Error>,
}

impl CheckReport {
    /// True when Hall's condition fails for a fixed cap: `people × cap < places`.
    pub fn hall_fails(&self) -> bool {
        matches!(self.cap, CapRule::Fixed(c) if self.people * u64::from(c) < self.places)
    }
}

/// Checks a plan on its directories without drawing (SPEC.md §5.6).
///
/// # Errors
///
/// The plan errors of a sample that cannot be drawn from its pool (e.g. a count above the
/// pool under `shortfall = "error"`), as the draw would give them.
///
/// ```
/// # let targets = dualdraw::directory::read_targets(
/// #     "id,name,region,domains,credit_class,status\n\
/// #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
/// #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
/// #     "targets.csv".as_ref(),
/// # )?;
/// # let officers = dualdraw::directory::read_officers(
/// #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
/// #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
/// #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
/// #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
/// #     "officers.csv".as_ref(),
/// # )?;
/// # let plan = dualdraw::Plan::from_toml(r#"
/// #     id = "demo"
/// #     title = "demo"
/// #     inspection_date = "2020-10-20"
/// #     targets = "targets.csv"
/// #     officers = "officers.csv"
/// #     [[task]]
/// #     id = "radio"
/// #     domain = "无线电"
/// #     item = { name = "台站检查", basis = "无线电管理条例" }
/// #     sample = { count = 1 }
/// #     team = { size = 2 }
/// # "#, "plan.toml".as_ref())?;
/// let report = dualdraw::check(&plan, &targets, &officers)?;
/// assert_eq!(report.tasks[0].strata[0].eligible, 2);
/// assert_eq!(report.tasks[0].failing, 0);
/// assert!(!report.hall_fails());
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub fn check(plan: &Plan, targets: &Targets, officers: &Officers) -> Result<CheckReport> {
    let apart = team::Apart::from_plan(plan);
    let mut places = 0u64;
    let mut people = BTreeSet::new();
    let mut tasks = Vec::new();
    for task in &plan.tasks {
        let pool = target::pool(plan, task, targets)?;
        // §5.5 steps 2–3 for every enterprise of the pool, as if drawn alone (SPEC.md §5.6).
        let members: Vec<&Enterprise> = pool.members.iter().map(|(_, e)| *e).collect();
        let c = team::check_pool(task, plan.inspection_date, &members, officers, &apart);
        places += pool.strata.iter().map(|x| x.requested).sum::<u64>()
            * (task.team.size + task.team.experts);
        people.extend(c.people);
        tasks.push(TaskCheck {
            task: task.id.clone(),
            domain: task.domain.clone(),
            directed: task.is_directed(),
            excluded_recent: pool.excluded_recent,
            strata: pool.strata,
            team_size: task.team.size,
            fewest: c.fewest,
            failing: c.failing,
            first_failure: c.first,
        });
    }
    Ok(CheckReport {
        plan: plan.id.clone(),
        title: plan.title.clone(),
        inspection_date: plan.inspection_date.format("%Y-%m-%d").to_string(),
        targets: targets.digest(),
        officers: officers.digest(),
        warnings: targets.warnings.clone(),
        tasks,
        cap: plan.max_per_officer,
        places,
        people: people.len() as u64,
    })
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "plan {} — {} (inspection date {})",
            self.plan, self.title, self.inspection_date
        )?;
        for (what, d, fields) in [
            ("targets", &self.targets, &Supplied::TARGET_FIELDS),
            ("officers", &self.officers, &Supplied::OFFICER_FIELDS),
        ] {
            writeln!(
                f,
                "{what}: {} records, head {}",
                d.count,
                hex::encode(d.head)
            )?;
            // Said, not left to silence: the log header records the same (SPEC.md §3.3).
            for (en, zh) in d.supplied.absent_notes(fields) {
                writeln!(f, "  {en} ({zh})")?;
            }
        }
        for w in &self.warnings {
            writeln!(
                f,
                "warning: {}:{}: {} {}",
                w.file.display(),
                w.line,
                w.id,
                w.message
            )?;
        }
        for t in &self.tasks {
            writeln!(
                f,
                "task {} ({}, {}): {} excluded as recently inspected",
                t.task,
                t.domain,
                if t.directed {
                    "directed"
                } else {
                    "non-directed"
                },
                t.excluded_recent
            )?;
            for sp in &t.strata {
                writeln!(
                    f,
                    "  stratum {}: {} eligible, {} requested",
                    sp.stratum.name(),
                    sp.eligible,
                    sp.requested
                )?;
            }
            if let Some((n, id)) = &t.fewest {
                write!(
                    f,
                    "  officers: at least {n} eligible for every enterprise of the pool (fewest: {id}); team size {}",
                    t.team_size
                )?;
                if t.failing > 0 {
                    write!(
                        f,
                        " — TOO FEW: {} enterprise(s) of the pool cannot be staffed; a draw that picks one fails, e.g. {}",
                        t.failing,
                        t.first_failure
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    )?;
                }
                writeln!(f)?;
            }
        }
        // Hall's condition for the whole plan with a fixed cap: whatever the seed draws, the
        // places cannot exceed what the people eligible anywhere can supply.
        write!(
            f,
            "workload cap: {}; at most {} places, {} people eligible for some place",
            match self.cap {
                CapRule::Balanced => "balanced".to_string(),
                CapRule::Strict => "strict".to_string(),
                CapRule::None => "none".to_string(),
                CapRule::Fixed(n) => n.to_string(),
            },
            self.places,
            self.people
        )?;
        if let (true, CapRule::Fixed(c)) = (self.hall_fails(), self.cap) {
            write!(
                f,
                " — HALL'S CONDITION FAILS if every task draws its full sample: {} people × cap {c} = {} < {} places",
                self.people,
                self.people * u64::from(c),
                self.places
            )?;
        }
        Ok(())
    }
}
