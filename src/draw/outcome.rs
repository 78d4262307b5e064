//! What a draw decides: per task the strata, the drawn enterprises and their teams.

use std::collections::BTreeMap;

use crate::merkle::Hash;
use crate::target::{Stratum, StratumPool, Ticket};

/// One drawn enterprise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pick {
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
    /// [`replacement_order`](crate::team::replacement_order) shuffles (not logged; recomputed by verification).
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
    /// Pick enterprises, by stratum then rank.
    pub drawn: Vec<Pick>,
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
