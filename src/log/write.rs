//! The events of a draw, as JSON values in the order SPEC.md §6.2 gives them; [`super::chain`]
//! turns them into lines.

use serde_json::{Value, json};

use super::{Log, SPEC_VERSION, chain};
use crate::directory::{Digest, Targets, Warning};
use crate::draw::Outcome;
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

fn sample_json(s: &Sample) -> Value {
    match s {
        Sample::Count(c) => json!({ "count": c }),
        Sample::Ratio(r) => json!({ "ratio": r.to_string() }),
        Sample::ByClass(m) => {
            let mut o = serde_json::Map::new();
            for (c, r) in m {
                o.insert(
                    c.map_or("none", |c| c.as_str()).into(),
                    json!(r.to_string()),
                );
            }
            json!({ "by_class": o })
        }
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

fn directories_json(targets: &Digest, officers: &Digest) -> Value {
    json!({
        "targets": { "head": hex::encode(targets.head), "count": targets.count },
        "officers": { "head": hex::encode(officers.head), "count": officers.count },
    })
}

/// The header of a rehearsal draw, whose seed the operator supplied (SPEC.md §6.2).
pub fn header_event(h: &Header<'_>) -> Value {
    json!({
        "event": "header",
        "spec": SPEC_VERSION,
        "crate_version": h.crate_version,
        "mode": "operator-seed",
        "notice": "the seed was supplied by the operator (rehearsal/test mode); this draw alone does not prove the seed was not chosen to steer the result",
        "plan": { "id": h.plan.id, "title": h.plan.title, "digest": hex::encode(h.plan_digest) },
        "inspection_date": h.plan.inspection_date.format("%Y-%m-%d").to_string(),
        "seed": h.seed,
        "directories": directories_json(&h.targets, &h.officers),
    })
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
    json!({
        "event": "header",
        "spec": SPEC_VERSION,
        "crate_version": c.crate_version,
        "mode": "commit-reveal",
        "plan": { "id": c.plan.id, "title": c.plan.title, "digest": hex::encode(c.plan_digest) },
        "inspection_date": c.plan.inspection_date.format("%Y-%m-%d").to_string(),
        "directories": directories_json(&c.targets, &c.officers),
        "entropy_source": { "kind": c.entropy.kind, "description": c.entropy.description },
        "commitment": hex::encode(c.commitment),
    })
}

/// The reveal of a committed draw: the operator's secret, the public entropy, and the seed
/// derived from them and the commit line (SPEC.md §9.2).
pub fn reveal_event(secret: &[u8; 32], entropy: &str, seed: &str) -> Value {
    json!({ "event": "reveal", "secret": hex::encode(secret), "entropy": entropy, "seed": seed })
}

/// An officer replaced after the draw (SPEC.md §9.3).
pub fn replacement_event(r: &crate::draw::Replacement) -> Value {
    json!({
        "event": "replacement", "task": r.task, "enterprise": r.enterprise,
        "out": r.out, "in": r.incoming, "reason": r.reason, "order_position": r.position,
    })
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
            json!({
                "event": "warning", "code": w.code, "source": w.source, "id": w.id, "message": w.message,
            })
        })
        .chain(events_after_warnings(plan, warnings.len(), outcome))
}

/// [`draw_events`] after the warnings.
fn events_after_warnings(plan: &Plan, warnings: usize, outcome: &Outcome) -> Vec<Value> {
    let mut ev = Vec::new();
    // Earlier draws used for rotation, the pairs they give, and the enterprises' recusal
    // requests (SPEC.md §6.2): written only when there are any, so plans without them log
    // exactly as before.
    for h in &outcome.history {
        ev.push(json!({ "event": "history", "head": hex::encode(h) }));
    }
    for (e, os) in &outcome.rotation {
        ev.push(json!({ "event": "rotation", "enterprise": e, "officers": os }));
    }
    for r in &outcome.recusals {
        ev.push(json!({
            "event": "recusal", "enterprise": r.enterprise, "officer": r.officer, "reason": r.reason,
        }));
    }
    let (mut n_targets, mut n_teams) = (0u64, 0u64);
    for (task, t) in plan.tasks.iter().zip(&outcome.tasks) {
        let strata: Vec<Value> = t
            .strata
            .iter()
            .map(|s| {
                json!({
                    "stratum": s.pool.stratum.name(),
                    "eligible": s.pool.eligible,
                    "requested": s.pool.requested,
                    "drawn": s.drawn,
                    "shortfall": s.pool.requested - s.drawn,
                    "cutoff": s.cutoff.map(hex::encode),
                })
            })
            .collect();
        let mut team_rule = json!({ "size": task.team.size, "experts": task.team.experts });
        if task.area != crate::plan::AreaRule::Any {
            team_rule["area"] = json!(task.area.as_str());
        }
        if !task.joint.is_empty() {
            team_rule["joint"] = task
                .joint
                .iter()
                .map(|j| {
                    json!({
                        "department": j.department,
                        "domain": j.domain.as_deref().unwrap_or(&task.domain),
                    })
                })
                .collect();
        }
        ev.push(json!({
            "event": "task",
            "task": t.task,
            "item": { "name": task.item.name, "basis": task.item.basis },
            "domain": task.domain,
            "directed": task.is_directed(),
            "sample": sample_json(&task.sample),
            "shortfall_rule": match task.shortfall { Shortfall::Error => "error", Shortfall::TakeAll => "take-all" },
            "team_rule": team_rule,
            "exclude_inspected_within_days": task.exclude_inspected_within_days,
            "excluded_recent": t.excluded_recent,
            "key": hex::encode(t.key),
            "strata": strata,
        }));
        for d in &t.drawn {
            ev.push(json!({
                "event": "target", "task": t.task, "stratum": d.stratum.name(), "rank": d.rank,
                "id": d.id, "ticket": hex::encode(d.ticket),
            }));
        }
        // An enterprise this task shares with an earlier task is visited once (SPEC.md §5.5).
        for m in &outcome.merges {
            if m.tasks.last() == Some(&t.task) {
                ev.push(json!({ "event": "merge", "enterprise": m.enterprise, "tasks": m.tasks }));
            }
        }
        for team in &t.teams {
            ev.push(json!({
                "event": "team", "task": t.task, "enterprise": team.enterprise,
                "leader": team.officers.first(),
                "officers": team.officers, "experts": team.experts,
                "eligible_officers": team.eligible_officers, "eligible_experts": team.eligible_experts,
            }));
        }
        n_targets += t.drawn.len() as u64;
        n_teams += t.teams.len() as u64;
    }
    ev.push(json!({
        "event": "footer", "tasks": outcome.tasks.len(), "targets": n_targets, "teams": n_teams,
        "warnings": warnings,
    }));
    ev
}
