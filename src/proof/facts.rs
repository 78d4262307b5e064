//! What a log says, read once from its lines: the header, the seed, every task with its
//! targets and teams, and the replacements. Both the prover and the checker read it.

use chrono::NaiveDate;

use crate::directory::EnterpriseStatus;
use crate::log::event::{HeaderEvent, SampleRule, hex32};
use crate::log::{self, Event, Mode, RevealFault, SPEC_VERSION};
use crate::merkle::Hash;
use crate::plan::Scope;
use crate::target::PoolRules;

use super::format::{ReplacementProof, StratumProof};

#[derive(Debug, Clone)]
pub(super) struct Facts {
    pub(super) mode: String,
    pub(super) seed: String,
    pub(super) plan_id: String,
    pub(super) plan_digest: String,
    /// Each task's id and pool rules, from the header (SPEC.md §6.2), in plan order.
    pub(super) rules: Vec<(String, PoolRules)>,
    pub(super) dir_head: String,
    pub(super) dir_count: u64,
    pub(super) tasks: Vec<TaskFacts>,
    pub(super) replacements: Vec<ReplacementFacts>,
}

#[derive(Debug, Clone)]
pub(super) struct TaskFacts {
    pub(super) seq: u64,
    pub(super) id: String,
    pub(super) key: String,
    /// Whether its sample is stratified by credit class.
    pub(super) by_class: bool,
    pub(super) strata: Vec<StratumProof>,
    pub(super) targets: Vec<TargetFacts>,
    pub(super) teams: Vec<TeamFacts>,
}

#[derive(Debug, Clone)]
pub(super) struct TargetFacts {
    pub(super) seq: u64,
    pub(super) stratum: String,
    pub(super) rank: u64,
    pub(super) id: String,
    pub(super) ticket: String,
}

#[derive(Debug, Clone)]
pub(super) struct TeamFacts {
    pub(super) seq: u64,
    pub(super) enterprise: String,
    pub(super) leader: String,
    pub(super) officers: Vec<String>,
    pub(super) experts: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct ReplacementFacts {
    pub(super) seq: u64,
    pub(super) task: String,
    pub(super) enterprise: String,
    pub(super) out: String,
    pub(super) incoming: String,
    pub(super) reason: crate::reason::Reason,
}

/// A hash written as exactly 64 lowercase hex digits.
pub(super) fn parse_hash(s: &str) -> Option<Hash> {
    hex32::parse(s)
}

impl Facts {
    /// Reads the header, the seed, every task with its targets and teams, and the
    /// replacements, from lines of a log given with their `seq`, in increasing order: all of
    /// them (the prover), or those a proof carries (the checker), which must include the
    /// header (seq 0), the reveal (seq 1) of a committed draw and every task line.
    pub(super) fn read(lines: &[(u64, &str)]) -> std::result::Result<Facts, String> {
        let events = lines
            .iter()
            .map(|&(seq, l)| {
                serde_json::from_str::<Event>(l)
                    .map(|e| (seq, e))
                    .map_err(|e| format!("line seq {seq}: {e}"))
            })
            .collect::<std::result::Result<Vec<(u64, Event)>, String>>()?;
        let header_line = match lines.first() {
            Some(&(0, l)) => l,
            _ => return Err("the lines do not start with line seq 0".into()),
        };
        let Some((_, Event::Header(h))) = events.first() else {
            return Err("line seq 0 is not a header".into());
        };
        if h.spec != SPEC_VERSION {
            return Err(format!(
                "the header says spec {:?}; this build knows {SPEC_VERSION:?}",
                h.spec
            ));
        }
        let seed = match h.mode {
            Mode::OperatorSeed => h
                .seed
                .clone()
                .ok_or("line seq 0: no string member `seed`")?,
            Mode::CommitReveal => {
                let r = match events.get(1) {
                    None => {
                        return Err(
                            "a committed draw without its reveal has drawn nothing yet".into()
                        );
                    }
                    Some((1, Event::Reveal(r))) => r,
                    Some(_) => {
                        return Err("line seq 1 of a committed draw is not its reveal".into());
                    }
                };
                let commitment = h
                    .commitment
                    .as_deref()
                    .ok_or("line seq 0: no string member `commitment`")?;
                let (_, derived) =
                    log::open_reveal(header_line, commitment, r).map_err(|f| match f {
                        RevealFault::Secret => {
                            "line seq 1: `secret` is not 64 lowercase hex digits".to_string()
                        }
                        RevealFault::Commitment { .. } => {
                            "the revealed secret does not open the header's commitment".to_string()
                        }
                        RevealFault::Entropy(e) => format!("line seq 1: {e}"),
                    })?;
                if r.seed != derived {
                    return Err(format!(
                        "line seq 1: the reveal's seed {:?} is not the one derived from the secret, the entropy and the header ({derived:?})",
                        r.seed
                    ));
                }
                derived
            }
        };
        let mut facts = Facts {
            mode: h.mode.as_str().to_string(),
            seed,
            plan_id: h.plan.id.clone(),
            plan_digest: h.plan.digest.clone(),
            rules: rules_of(h)?,
            dir_head: h.directories.targets.head.clone(),
            dir_count: h.directories.targets.count,
            tasks: Vec::new(),
            replacements: Vec::new(),
        };
        for (seq, event) in events.into_iter().skip(1) {
            // The task block a target or team event belongs to: the last task, by id.
            let current = |facts: &mut Facts, task: &str| -> std::result::Result<usize, String> {
                match facts.tasks.last() {
                    Some(t) if t.id == task => Ok(facts.tasks.len() - 1),
                    _ => Err(format!(
                        "line seq {seq}: a {} event of task {task:?} outside that task's block",
                        if event_is_team(&event) {
                            "team"
                        } else {
                            "target"
                        }
                    )),
                }
            };
            match &event {
                Event::Task(t) => facts.tasks.push(TaskFacts {
                    seq,
                    id: t.task.clone(),
                    key: hex::encode(t.key),
                    by_class: matches!(t.sample, SampleRule::ByClass { .. }),
                    strata: t
                        .strata
                        .iter()
                        .map(|s| StratumProof {
                            name: s.stratum.clone(),
                            eligible: s.eligible,
                            requested: s.requested,
                            drawn: s.drawn,
                            cutoff: s.cutoff.map(hex::encode),
                        })
                        .collect(),
                    targets: Vec::new(),
                    teams: Vec::new(),
                }),
                Event::Target(t) => {
                    let k = current(&mut facts, &t.task)?;
                    facts.tasks[k].targets.push(TargetFacts {
                        seq,
                        stratum: t.stratum.clone(),
                        rank: t.rank,
                        id: t.id.clone(),
                        ticket: hex::encode(t.ticket),
                    });
                }
                Event::Team(t) => {
                    let k = current(&mut facts, &t.task)?;
                    let leader = t
                        .leader
                        .clone()
                        .ok_or_else(|| format!("line seq {seq}: no string member `leader`"))?;
                    facts.tasks[k].teams.push(TeamFacts {
                        seq,
                        enterprise: t.enterprise.clone(),
                        leader,
                        officers: t.officers.clone(),
                        experts: t.experts.clone(),
                    });
                }
                Event::Replacement(r) => facts.replacements.push(ReplacementFacts {
                    seq,
                    task: r.task.clone(),
                    enterprise: r.enterprise.clone(),
                    out: r.out.clone(),
                    incoming: r.incoming.clone(),
                    reason: r.reason.clone(),
                }),
                _ => {}
            }
        }
        Ok(facts)
    }

    /// The `replacement` events for one enterprise's team in one task, in log order.
    pub(super) fn replacements_of(&self, task: &str, enterprise: &str) -> Vec<ReplacementProof> {
        self.replacements
            .iter()
            .filter(|r| r.task == task && r.enterprise == enterprise)
            .map(|r| ReplacementProof {
                seq: r.seq,
                out: r.out.clone(),
                incoming: r.incoming.clone(),
                reason: r.reason.clone(),
            })
            .collect()
    }
}

/// Each task's pool rules as the header states them (SPEC.md §6.2).
fn rules_of(h: &HeaderEvent) -> std::result::Result<Vec<(String, PoolRules)>, String> {
    let date = NaiveDate::parse_from_str(&h.inspection_date, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == h.inspection_date)
        .ok_or_else(|| {
            format!(
                "line seq 0: inspection_date {:?} is not a YYYY-MM-DD date",
                h.inspection_date
            )
        })?;
    if h.tasks.is_empty() {
        return Err("line seq 0: the header lists no task".into());
    }
    h.tasks
        .iter()
        .map(|t| {
            let statuses = t
                .scope
                .statuses
                .iter()
                .map(|s| match s.as_str() {
                    "active" => Ok(EnterpriseStatus::Active),
                    "abnormal" => Ok(EnterpriseStatus::Abnormal),
                    "closed" => Ok(EnterpriseStatus::Closed),
                    other => Err(format!(
                        "line seq 0: task {:?}: status {other:?} is not active, abnormal or closed",
                        t.id
                    )),
                })
                .collect::<std::result::Result<Vec<_>, String>>()?;
            let days = t
                .exclude_inspected_within_days
                .map(u32::try_from)
                .transpose()
                .map_err(|_| {
                    format!(
                        "line seq 0: task {:?}: exclude_inspected_within_days is above 4294967295",
                        t.id
                    )
                })?;
            let rules = PoolRules {
                scope: Scope {
                    regions: t.scope.regions.clone(),
                    domains: t.scope.domains.clone(),
                    statuses,
                },
                inspection_date: date,
                exclude_inspected_within_days: days,
                by_class: false,
            };
            Ok((t.id.clone(), rules))
        })
        .collect()
}

fn event_is_team(e: &Event) -> bool {
    matches!(e, Event::Team(_))
}
