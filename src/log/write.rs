//! The events of a draw in the order SPEC.md §6.2 gives them, built as [`Event`]s and handed
//! to [`super::chain`] as JSON values.

use serde_json::Value;

use super::event::{
    DigestRef, Directories, EntropySourceRef, Event, FooterEvent, HeaderEvent, HistoryEvent,
    JointRef, MergeEvent, Mode, PlanRef, RecusalEvent, ReplacementEvent, RevealEvent,
    RotationEvent, SampleRule, ScopeRef, StratumRef, TargetEvent, TaskEvent, TaskRulesRef,
    TeamEvent, TeamRuleRef, WarningEvent,
};
use super::{Log, SPEC_VERSION, chain};
use crate::directory::{Digest, Targets, Warning};
use crate::draw::outcome::Outcome;
use crate::merkle::Hash;
use crate::plan::{Plan, Sample, Shortfall};

/// What the header of a log binds the draw to.
#[derive(Debug, Clone)]
pub struct Header<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// SHA-256 of the plan file's bytes.
    pub plan_digest: Hash,
    /// Target directory digest.
    pub targets: Digest,
    /// Officer directory digest.
    pub officers: Digest,
    /// The seed.
    pub seed: &'a str,
    /// The version of the crate that wrote the log (informational; not part of verification).
    pub crate_version: &'a str,
}

fn sample_rule(s: &Sample) -> SampleRule {
    match s {
        Sample::Count(c) => SampleRule::Count { count: *c },
        Sample::Ratio(r) => SampleRule::Ratio {
            ratio: r.to_string(),
        },
        Sample::ByClass(m) => SampleRule::ByClass {
            by_class: m
                .iter()
                .map(|(c, r)| (c.map_or("none", |c| c.as_str()).to_string(), r.to_string()))
                .collect(),
        },
    }
}

/// The log of a draw: its events, chained.
pub fn record(h: &Header<'_>, targets: &Targets, outcome: &Outcome) -> Log {
    chain(events(h, &targets.warnings, outcome))
}

/// All events of a rehearsal draw, in order, without `prev` and `seq` (SPEC.md §6.2): the
/// header, then [`draw_events`].
pub fn events<'a>(
    h: &Header<'a>,
    warnings: &'a [Warning],
    outcome: &'a Outcome,
) -> impl Iterator<Item = Value> + 'a {
    std::iter::once(header_event(h)).chain(draw_events(h.plan, warnings, outcome))
}

fn directories(targets: &Digest, officers: &Digest) -> Directories {
    let d = |d: &Digest, fields| DigestRef {
        head: hex::encode(d.head),
        count: d.count,
        supplied: d
            .supplied
            .names(fields)
            .into_iter()
            .map(String::from)
            .collect(),
    };
    Directories {
        targets: d(targets, &crate::directory::Supplied::TARGET_FIELDS),
        officers: d(officers, &crate::directory::Supplied::OFFICER_FIELDS),
    }
}

fn plan_ref(plan: &Plan, digest: Hash) -> PlanRef {
    PlanRef {
        id: plan.id.clone(),
        title: plan.title.clone(),
        digest: hex::encode(digest),
    }
}

/// Each task's pool rules, as the header states them (SPEC.md §6.2).
fn task_rules(plan: &Plan) -> Vec<TaskRulesRef> {
    plan.tasks
        .iter()
        .map(|t| TaskRulesRef {
            id: t.id.clone(),
            scope: ScopeRef {
                regions: t.scope.regions.clone(),
                domains: t.scope.domains.clone(),
                statuses: t.scope.statuses.iter().map(|s| s.as_str().into()).collect(),
            },
            exclude_inspected_within_days: t.exclude_inspected_within_days.map(u64::from),
        })
        .collect()
}

/// The notice of every rehearsal header (SPEC.md §6.2): the seed alone proves nothing about
/// steering.
pub const NOTICE: &str = "the seed was supplied by the operator (rehearsal/test mode); this draw alone does not prove the seed was not chosen to steer the result";

/// The header of a rehearsal draw, whose seed the operator supplied (SPEC.md §6.2).
pub fn header_event(h: &Header<'_>) -> Value {
    Event::Header(HeaderEvent {
        spec: SPEC_VERSION.into(),
        crate_version: h.crate_version.into(),
        mode: Mode::OperatorSeed,
        notice: Some(NOTICE.into()),
        plan: plan_ref(h.plan, h.plan_digest),
        inspection_date: h.plan.inspection_date.format("%Y-%m-%d").to_string(),
        seed: Some(h.seed.into()),
        directories: directories(&h.targets, &h.officers),
        tasks: task_rules(h.plan),
        entropy_source: None,
        commitment: None,
    })
    .to_value()
}

/// What the first line of a committed draw binds (SPEC.md §9.1).
#[derive(Debug, Clone)]
pub struct CommitHeader<'a> {
    /// The plan.
    pub plan: &'a Plan,
    /// SHA-256 of the plan file's bytes.
    pub plan_digest: Hash,
    /// Target directory digest.
    pub targets: Digest,
    /// Officer directory digest.
    pub officers: Digest,
    /// The public entropy source, named before it exists.
    pub entropy: &'a crate::commit::EntropySource,
    /// SHA-256 commitment to the operator's secret.
    pub commitment: Hash,
    /// The version of the crate that wrote the log (informational).
    pub crate_version: &'a str,
}

/// The header of a committed draw: inputs, entropy source and commitment, no seed yet.
pub fn commit_event(c: &CommitHeader<'_>) -> Value {
    Event::Header(HeaderEvent {
        spec: SPEC_VERSION.into(),
        crate_version: c.crate_version.into(),
        mode: Mode::CommitReveal,
        notice: None,
        plan: plan_ref(c.plan, c.plan_digest),
        inspection_date: c.plan.inspection_date.format("%Y-%m-%d").to_string(),
        seed: None,
        directories: directories(&c.targets, &c.officers),
        tasks: task_rules(c.plan),
        entropy_source: Some(EntropySourceRef {
            kind: c.entropy.kind.clone(),
            description: c.entropy.description.clone(),
        }),
        commitment: Some(hex::encode(c.commitment)),
    })
    .to_value()
}

/// The reveal of a committed draw: the operator's secret, the public entropy, and the seed
/// derived from them and the commit line (SPEC.md §9.2).
pub fn reveal_event(secret: &[u8; 32], entropy: &str, seed: &str) -> Value {
    Event::Reveal(RevealEvent {
        secret: hex::encode(secret),
        entropy: entropy.into(),
        seed: seed.into(),
    })
    .to_value()
}

/// An officer replaced after the draw (SPEC.md §9.3).
pub fn replacement_event(r: &crate::team::Replacement) -> Value {
    Event::Replacement(ReplacementEvent {
        task: r.task.clone(),
        enterprise: r.enterprise.clone(),
        out: r.out.clone(),
        incoming: r.incoming.clone(),
        reason: r.reason.clone(),
        order_position: r.position,
    })
    .to_value()
}

/// The events of a draw after its header (and reveal): warnings, then per task the task, its
/// targets and its teams, then the footer (SPEC.md §6.2).
///
/// The warning events are made one at a time as the log takes them: a national directory can
/// have tens of thousands, and each event is much larger than its line.
pub fn draw_events<'a>(
    plan: &'a Plan,
    warnings: &'a [Warning],
    outcome: &'a Outcome,
) -> impl Iterator<Item = Value> + 'a {
    warnings
        .iter()
        .map(|w| {
            Event::Warning(WarningEvent {
                code: w.code.into(),
                source: w.source.into(),
                id: w.id.clone(),
                message: w.message.clone(),
            })
            .to_value()
        })
        .chain(
            events_after_warnings(plan, warnings.len(), outcome)
                .into_iter()
                .map(|e| e.to_value()),
        )
}

/// The task event of one task of the plan and its outcome.
fn task_event(task: &crate::plan::Task, t: &crate::draw::outcome::TaskOutcome) -> Event {
    let strata = t
        .strata
        .iter()
        .map(|s| StratumRef {
            stratum: s.pool.stratum.name().into(),
            eligible: s.pool.eligible,
            requested: s.pool.requested,
            drawn: s.drawn,
            shortfall: s.pool.requested - s.drawn,
            cutoff: s.cutoff,
        })
        .collect();
    let team_rule = TeamRuleRef {
        size: task.team.size,
        experts: task.team.experts,
        area: (task.area != crate::plan::AreaRule::Any).then(|| task.area.as_str().into()),
        joint: (!task.joint.is_empty()).then(|| {
            task.joint
                .iter()
                .map(|j| JointRef {
                    department: j.department.clone(),
                    domain: j.domain.as_deref().unwrap_or(&task.domain).into(),
                })
                .collect()
        }),
    };
    Event::Task(TaskEvent {
        task: t.task.clone(),
        domain: task.domain.clone(),
        directed: task.is_directed(),
        sample: sample_rule(&task.sample),
        shortfall_rule: match task.shortfall {
            Shortfall::Error => "error",
            Shortfall::TakeAll => "take-all",
        }
        .into(),
        team_rule,
        exclude_inspected_within_days: task.exclude_inspected_within_days.map(u64::from),
        excluded_recent: t.excluded_recent,
        key: t.key,
        strata,
    })
}

/// [`draw_events`] after the warnings.
fn events_after_warnings(plan: &Plan, warnings: usize, outcome: &Outcome) -> Vec<Event> {
    let mut ev = Vec::new();
    // Earlier draws used for rotation, the pairs they give, and the enterprises' recusal
    // requests (SPEC.md §6.2): written only when there are any, so plans without them log
    // exactly as before.
    for h in &outcome.history {
        ev.push(Event::History(HistoryEvent { head: *h }));
    }
    for (e, os) in &outcome.rotation {
        ev.push(Event::Rotation(RotationEvent {
            enterprise: e.clone(),
            officers: os.iter().cloned().collect(),
        }));
    }
    for r in &outcome.recusals {
        ev.push(Event::Recusal(RecusalEvent {
            enterprise: r.enterprise.clone(),
            officer: r.officer.clone(),
            reason: r.reason.clone(),
        }));
    }
    let (mut n_targets, mut n_teams) = (0u64, 0u64);
    for (task, t) in plan.tasks.iter().zip(&outcome.tasks) {
        ev.push(task_event(task, t));
        for d in &t.drawn {
            ev.push(Event::Target(TargetEvent {
                task: t.task.clone(),
                stratum: d.stratum.name().into(),
                rank: d.rank,
                id: d.id.clone(),
                ticket: d.ticket,
            }));
        }
        // An enterprise this task shares with an earlier task is visited once (SPEC.md §5.5).
        for m in &outcome.merges {
            if m.tasks.last() == Some(&t.task) {
                ev.push(Event::Merge(MergeEvent {
                    enterprise: m.enterprise.clone(),
                    tasks: m.tasks.clone(),
                }));
            }
        }
        for team in &t.teams {
            ev.push(Event::Team(TeamEvent {
                task: t.task.clone(),
                enterprise: team.enterprise.clone(),
                leader: team.officers.first().cloned(),
                officers: team.officers.clone(),
                experts: team.experts.clone(),
                eligible_officers: team.eligible_officers,
                eligible_experts: team.eligible_experts,
            }));
        }
        n_targets += t.drawn.len() as u64;
        n_teams += t.teams.len() as u64;
    }
    ev.push(Event::Footer(FooterEvent {
        tasks: outcome.tasks.len() as u64,
        targets: n_targets,
        teams: n_teams,
        warnings: warnings as u64,
    }));
    ev
}
