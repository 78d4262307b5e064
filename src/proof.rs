//! Per-enterprise proofs (SPEC.md §10): one enterprise's fate in a draw, in a small JSON file
//! that anybody can check with the published log head alone — no directory needed.
//!
//! A proof carries the enterprise's canonical record with its RFC 6962 audit path to the
//! target-directory head in the log header, the plan file (its SHA-256 is in the header), and
//! the log itself, line for line (a hash chain authenticates a line only through every line
//! after it, so a line cannot be shown to belong to the log without them). From these, the
//! checker recomputes, for every task, the enterprise's place in the pool (in scope, recently
//! inspected, or eligible in a stratum), its ticket from the logged task key, the comparison
//! with the stratum's cutoff, and confirms the log draws it exactly when the cutoff says so.
//!
//! A [`Prover`] verifies a log once (a full [`verify::verify`]) and then proves any number of
//! enterprises cheaply; [`check`] checks a proof's bytes against a head.
//!
//! ```no_run
//! # fn main() -> dualdraw::Result<()> {
//! use dualdraw::proof::{Prover, check};
//! let inputs = dualdraw::io::load_inputs("fixtures/tianjin-2020/plan.toml".as_ref())?;
//! let log = dualdraw::Draw::new(&inputs.plan).run(&inputs.targets, &inputs.officers)?.log;
//! let prover = Prover::from_inputs(&log.to_bytes(), Some(&log.head()), &inputs)?;
//! let proof = prover.prove(&inputs.targets.records()[0].id)?;
//! let checked = check(&proof.to_bytes(), &log.head()).expect("a fresh proof checks");
//! println!("{checked}");
//! # Ok(()) }
//! ```

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::directory::fields::{self, EnterpriseStatus};
use crate::directory::{Enterprise, Officers, Targets};
use crate::error::{ErrorKind, Position, Result, VerifyError};
#[cfg(feature = "fs")]
use crate::io::{self, Inputs};
use crate::log::event::hex32;
use crate::log::{self, Event, Mode, RevealFault, SPEC_VERSION};
use crate::merkle::{self, Hash, Tree};
use crate::plan::{Plan, Scope, Task};
use crate::target::Eligibility;
use crate::{seed, target, verify};

/// The `format` member of every proof of this version.
pub const FORMAT: &str = "dualdraw-proof/1";

/// A per-enterprise proof (SPEC.md §10). Its file form is [`Proof::to_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// Always [`FORMAT`].
    pub format: String,
    /// The enterprise: canonical record and its fields.
    pub enterprise: Record,
    /// One entry per task of the plan, in plan order.
    pub tasks: Vec<TaskProof>,
    /// The record's inclusion in the target directory the log header commits to.
    pub directory: Inclusion,
    /// The log, verbatim.
    pub log: LogCopy,
    /// The plan file, verbatim.
    pub plan: PlanCopy,
}

/// The enterprise's canonical record (SPEC.md §3.1) and, for people, its decoded fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Unified social credit code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Division code.
    pub region: String,
    /// Domains, sorted.
    pub domains: Vec<String>,
    /// Credit class `A`…`D`, or null.
    pub credit_class: Option<String>,
    /// `active`, `abnormal` or `closed`.
    pub status: String,
    /// `YYYY-MM-DD`, or null.
    pub last_inspected: Option<String>,
    /// `hex` of the canonical record: the bytes that are hashed into the directory.
    pub canonical: String,
}

/// An RFC 6962 inclusion proof of the record in the target directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inclusion {
    /// The directory head, as the log header records it (`directories.targets.head`).
    pub head: String,
    /// The number of records, as the log header records it (`directories.targets.count`).
    pub count: u64,
    /// The record's 0-based position in the directory (records in id order).
    pub leaf_index: u64,
    /// `SHA-256(0x00 || record)`.
    pub leaf_hash: String,
    /// `PATH(leaf_index, D[count])` of RFC 6962 §2.1.1, leaf level first.
    pub audit_path: Vec<String>,
}

/// The enterprise in one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskProof {
    /// Task id.
    pub task: String,
    /// `seq` of the task's `task` event in the log.
    pub task_seq: u64,
    /// The task key, as logged.
    pub key: String,
    /// `SHA-256(hex(key) ":" id)` (SPEC.md §5.2); informative when the enterprise is not
    /// eligible.
    pub ticket: String,
    /// Where the enterprise stands in the task's pool.
    pub pool: Pool,
    /// Why, in words.
    pub reason: String,
    /// The enterprise's stratum, when eligible.
    pub stratum: Option<StratumProof>,
    /// The outcome.
    pub verdict: Verdict,
    /// Rank and team, when drawn.
    pub drawn: Option<DrawnProof>,
}

/// Where an enterprise stands in a task's pool (SPEC.md §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pool {
    /// In the pool.
    Eligible,
    /// Outside the task's scope.
    OutOfScope,
    /// In scope but inspected too recently.
    RecentlyInspected,
}

/// The outcome for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Drawn for inspection.
    Drawn,
    /// Eligible, but its ticket is above its stratum's cutoff.
    NotDrawn,
    /// Not in the pool.
    NotEligible,
}

/// A stratum as the task event logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StratumProof {
    /// `all`, `A`…`D` or `none`.
    pub name: String,
    /// Eligible enterprises in it.
    pub eligible: u64,
    /// Requested sample.
    pub requested: u64,
    /// Drawn.
    pub drawn: u64,
    /// The largest drawn ticket, or null.
    pub cutoff: Option<String>,
}

/// A drawn enterprise's rank and team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawnProof {
    /// 1-based rank in the stratum.
    pub rank: u64,
    /// `seq` of its `target` event.
    pub target_seq: u64,
    /// `seq` of its `team` event.
    pub team_seq: u64,
    /// Team leader as drawn.
    pub leader: String,
    /// Officers as drawn, in draw order.
    pub officers: Vec<String>,
    /// Experts as drawn.
    pub experts: Vec<String>,
    /// Later `replacement` events for this team, in log order.
    pub replacements: Vec<ReplacementProof>,
    /// The officers after the replacements (equal to `officers` when there are none).
    pub officers_now: Vec<String>,
}

/// An officer replaced after the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplacementProof {
    /// `seq` of the `replacement` event.
    pub seq: u64,
    /// The officer who left the team.
    pub out: String,
    /// The officer who took the place.
    #[serde(rename = "in")]
    pub incoming: String,
    /// The logged reason.
    pub reason: String,
}

/// The log, verbatim, with what it says about the seed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogCopy {
    /// SHA-256 of the last line: the head the proof must be checked against.
    pub head: String,
    /// SHA-256 of the header line (line 0).
    pub header_hash: String,
    /// `operator-seed` or `commit-reveal`.
    pub mode: String,
    /// The seed: the header's, or the one derived from the reveal.
    pub seed: String,
    /// Every line of the log, without its newline.
    pub lines: Vec<String>,
}

/// The plan file, verbatim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanCopy {
    /// SHA-256 of the file's bytes (the header's `plan.digest`).
    pub digest: String,
    /// The file's text (UTF-8, BOM included if the file has one).
    pub text: String,
}

impl Proof {
    /// The canonical JSON text: `serde_json`'s pretty form of the fields in declaration order,
    /// without a final newline. A proof file holds exactly this, optionally followed by one LF.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a proof always serializes")
    }

    /// The file form: [`Proof::to_json`] followed by one LF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = self.to_json().into_bytes();
        b.push(b'\n');
        b
    }

    /// A few lines for people: the enterprise and its verdict in each task.
    pub fn summary(&self) -> String {
        use fmt::Write;
        let e = &self.enterprise;
        let mut s = format!(
            "enterprise {} {}: record {} of {} in the target directory (head {})\n",
            e.id, e.name, self.directory.leaf_index, self.directory.count, self.directory.head
        );
        for t in &self.tasks {
            let _ = write!(s, "  task {}: ", t.task);
            match (&t.verdict, &t.drawn, &t.stratum) {
                (Verdict::Drawn, Some(d), Some(st)) => {
                    let _ = write!(
                        s,
                        "DRAWN, rank {} of {} in stratum {}; team {}",
                        d.rank,
                        st.drawn,
                        st.name,
                        d.officers_now.join(", ")
                    );
                    if !d.experts.is_empty() {
                        let _ = write!(s, " + experts {}", d.experts.join(", "));
                    }
                    if !d.replacements.is_empty() {
                        let _ = write!(s, " (after {} replacement(s))", d.replacements.len());
                    }
                }
                (Verdict::NotDrawn, _, Some(st)) => {
                    let _ = write!(
                        s,
                        "not drawn: ticket {} is above the cutoff {} of stratum {} ({} of {} drawn)",
                        t.ticket,
                        st.cutoff.as_deref().unwrap_or("(none: nothing drawn)"),
                        st.name,
                        st.drawn,
                        st.eligible
                    );
                }
                _ => {
                    let _ = write!(s, "not eligible: {}", t.reason);
                }
            }
            s.push('\n');
        }
        let _ = write!(
            s,
            "log head {} ({} lines)",
            self.log.head,
            self.log.lines.len()
        );
        s
    }
}

// ---------------------------------------------------------------------------------------------
// What the log says, read once.

#[derive(Debug, Clone)]
struct Facts {
    mode: String,
    seed: String,
    plan_id: String,
    plan_digest: String,
    inspection_date: String,
    dir_head: String,
    dir_count: u64,
    tasks: Vec<TaskFacts>,
    replacements: Vec<ReplacementFacts>,
}

#[derive(Debug, Clone)]
struct TaskFacts {
    seq: u64,
    id: String,
    key: String,
    domain: String,
    exclude_days: Option<u64>,
    strata: Vec<StratumProof>,
    targets: Vec<TargetFacts>,
    teams: Vec<TeamFacts>,
}

#[derive(Debug, Clone)]
struct TargetFacts {
    seq: u64,
    stratum: String,
    rank: u64,
    id: String,
    ticket: String,
}

#[derive(Debug, Clone)]
struct TeamFacts {
    seq: u64,
    enterprise: String,
    leader: String,
    officers: Vec<String>,
    experts: Vec<String>,
}

#[derive(Debug, Clone)]
struct ReplacementFacts {
    seq: u64,
    task: String,
    enterprise: String,
    out: String,
    incoming: String,
    reason: String,
}

/// A hash written as exactly 64 lowercase hex digits.
fn parse_hash(s: &str) -> Option<Hash> {
    hex32::parse(s)
}

impl Facts {
    /// Reads the header, the seed, every task with its targets and teams, and the
    /// replacements, from the lines of a log whose chain is already checked.
    fn read(lines: &[String]) -> std::result::Result<Facts, String> {
        let events = lines
            .iter()
            .enumerate()
            .map(|(seq, l)| {
                serde_json::from_str::<Event>(l).map_err(|e| format!("line seq {seq}: {e}"))
            })
            .collect::<std::result::Result<Vec<Event>, String>>()?;
        let header_line = lines.first().ok_or("the log is empty")?;
        let Some(Event::Header(h)) = events.first() else {
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
                    Some(Event::Reveal(r)) => r,
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
            inspection_date: h.inspection_date.clone(),
            dir_head: h.directories.targets.head.clone(),
            dir_count: h.directories.targets.count,
            tasks: Vec::new(),
            replacements: Vec::new(),
        };
        for (i, event) in events.into_iter().enumerate().skip(1) {
            let seq = i as u64;
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
                    domain: t.domain.clone(),
                    exclude_days: t.exclude_inspected_within_days,
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
}

fn event_is_team(e: &Event) -> bool {
    matches!(e, Event::Team(_))
}

// ---------------------------------------------------------------------------------------------
// Building a proof (shared by the prover and, as a final cross-check, the checker).

fn pool_of(e: Eligibility) -> Pool {
    match e {
        Eligibility::OutOfScope => Pool::OutOfScope,
        Eligibility::Recent => Pool::RecentlyInspected,
        Eligibility::Eligible(_) => Pool::Eligible,
    }
}

/// Why an enterprise stands where it does in a task's pool, in words. Each scope filter is
/// tested alone through [`Scope::contains`] itself, so the words cannot drift from the rule.
pub fn reason(plan: &Plan, task: &Task, e: &Enterprise) -> String {
    let date = plan.inspection_date;
    let days_since = |last: chrono::NaiveDate| (date - last).num_days();
    match target::eligibility(plan, task, e) {
        Eligibility::OutOfScope => {
            let all = vec![
                EnterpriseStatus::Active,
                EnterpriseStatus::Abnormal,
                EnterpriseStatus::Closed,
            ];
            let sc = &task.scope;
            let mut why = Vec::new();
            let regions_only = Scope {
                regions: sc.regions.clone(),
                domains: Vec::new(),
                statuses: all.clone(),
            };
            if !regions_only.contains(e) {
                why.push(format!(
                    "region {} is not covered by scope.regions [{}]",
                    e.region,
                    sc.regions.join(", ")
                ));
            }
            let domains_only = Scope {
                regions: Vec::new(),
                domains: sc.domains.clone(),
                statuses: all,
            };
            if !domains_only.contains(e) {
                why.push(format!(
                    "its domains [{}] include none of scope.domains [{}]",
                    e.domains.join(", "),
                    sc.domains.join(", ")
                ));
            }
            let statuses_only = Scope {
                regions: Vec::new(),
                domains: Vec::new(),
                statuses: sc.statuses.clone(),
            };
            if !statuses_only.contains(e) {
                if sc.statuses.is_empty() {
                    why.push(format!(
                        "status {} is neither active nor abnormal (the default scope)",
                        e.status.as_str()
                    ));
                } else {
                    let listed: Vec<&str> = sc.statuses.iter().map(|s| s.as_str()).collect();
                    why.push(format!(
                        "status {} is not among scope.statuses [{}]",
                        e.status.as_str(),
                        listed.join(", ")
                    ));
                }
            }
            format!("out of scope: {}", why.join("; "))
        }
        Eligibility::Recent => {
            let n = task.exclude_inspected_within_days.unwrap_or(0);
            let last = e.last_inspected.unwrap_or(date);
            let d = days_since(last);
            let when = if d >= 0 {
                format!("{d} days before")
            } else {
                format!("{} days after", -d)
            };
            format!(
                "recently inspected: last inspected {last}, {when} the inspection date {date}; \
                 the task excludes enterprises inspected within {n} days"
            )
        }
        Eligibility::Eligible(s) => {
            let recency = match (task.exclude_inspected_within_days, e.last_inspected) {
                (None, _) => "the task excludes no recently inspected enterprise".to_string(),
                (Some(n), None) => {
                    format!(
                        "no earlier inspection on record (the task excludes those inspected within {n} days)"
                    )
                }
                (Some(n), Some(last)) => format!(
                    "last inspected {last}, {} days before the inspection date {date}, not within {n} days",
                    days_since(last)
                ),
            };
            format!("eligible in stratum {}: in scope; {recency}", s.name())
        }
    }
}

/// The officers after applying `replacements` in order; fails if one replaces an officer who
/// is not on the team.
fn apply_replacements(
    officers: &[String],
    replacements: &[ReplacementProof],
) -> std::result::Result<Vec<String>, String> {
    let mut now = officers.to_vec();
    for r in replacements {
        let slot = now.iter().position(|o| *o == r.out).ok_or_else(|| {
            format!(
                "the replacement at seq {} takes out {} who is not on the team [{}]",
                r.seq,
                r.out,
                now.join(", ")
            )
        })?;
        now[slot] = r.incoming.clone();
    }
    Ok(now)
}

fn record_of(e: &Enterprise) -> Record {
    Record {
        id: e.id.clone(),
        name: e.name.clone(),
        region: e.region.clone(),
        domains: e.domains.clone(),
        credit_class: e.credit_class.map(|c| c.as_str().to_string()),
        status: e.status.as_str().to_string(),
        last_inspected: e.last_inspected.map(|d| d.format("%Y-%m-%d").to_string()),
        canonical: hex::encode(e.canonical_bytes()),
    }
}

/// Everything a proof says, derived from the log, the plan, the record and its audit path.
fn assemble(
    facts: &Facts,
    lines: &[String],
    plan: &Plan,
    plan_text: &str,
    e: &Enterprise,
    leaf_index: u64,
    audit_path: &[Hash],
) -> std::result::Result<Proof, String> {
    if plan.tasks.len() != facts.tasks.len() {
        return Err(format!(
            "the plan has {} tasks but the log {}",
            plan.tasks.len(),
            facts.tasks.len()
        ));
    }
    let mut tasks = Vec::new();
    for (task, tf) in plan.tasks.iter().zip(&facts.tasks) {
        if task.id != tf.id {
            return Err(format!(
                "the log's task at seq {} is {:?}, the plan's is {:?}",
                tf.seq, tf.id, task.id
            ));
        }
        let key = parse_hash(&tf.key)
            .ok_or_else(|| format!("line seq {}: `key` is not a hash", tf.seq))?;
        let elig = target::eligibility(plan, task, e);
        let stratum = match elig {
            Eligibility::Eligible(s) => Some(
                tf.strata
                    .iter()
                    .find(|x| x.name == s.name())
                    .cloned()
                    .ok_or_else(|| format!("line seq {}: no stratum {:?}", tf.seq, s.name()))?,
            ),
            _ => None,
        };
        let drawn = match tf.targets.iter().find(|t| t.id == e.id) {
            None => None,
            Some(t) => {
                let team = tf
                    .teams
                    .iter()
                    .find(|m| m.enterprise == e.id)
                    .ok_or_else(|| format!("task {}: a target without a team", task.id))?;
                let replacements: Vec<ReplacementProof> = facts
                    .replacements
                    .iter()
                    .filter(|r| r.task == task.id && r.enterprise == e.id)
                    .map(|r| ReplacementProof {
                        seq: r.seq,
                        out: r.out.clone(),
                        incoming: r.incoming.clone(),
                        reason: r.reason.clone(),
                    })
                    .collect();
                let officers_now = apply_replacements(&team.officers, &replacements)?;
                Some(DrawnProof {
                    rank: t.rank,
                    target_seq: t.seq,
                    team_seq: team.seq,
                    leader: team.leader.clone(),
                    officers: team.officers.clone(),
                    experts: team.experts.clone(),
                    replacements,
                    officers_now,
                })
            }
        };
        let verdict = match (&drawn, elig) {
            (Some(_), _) => Verdict::Drawn,
            (None, Eligibility::Eligible(_)) => Verdict::NotDrawn,
            (None, _) => Verdict::NotEligible,
        };
        tasks.push(TaskProof {
            task: task.id.clone(),
            task_seq: tf.seq,
            key: tf.key.clone(),
            ticket: hex::encode(target::ticket(&key, &e.id)),
            pool: pool_of(elig),
            reason: reason(plan, task, e),
            stratum,
            verdict,
            drawn,
        });
    }
    let canonical = e.canonical_bytes();
    let last = lines.last().ok_or("the log is empty")?;
    Ok(Proof {
        format: FORMAT.to_string(),
        enterprise: record_of(e),
        tasks,
        directory: Inclusion {
            head: facts.dir_head.clone(),
            count: facts.dir_count,
            leaf_index,
            leaf_hash: hex::encode(merkle::leaf_hash(&canonical)),
            audit_path: audit_path.iter().map(hex::encode).collect(),
        },
        log: LogCopy {
            head: hex::encode(log::line_hash(last)),
            header_hash: hex::encode(log::line_hash(&lines[0])),
            mode: facts.mode.clone(),
            seed: facts.seed.clone(),
            lines: lines.to_vec(),
        },
        plan: PlanCopy {
            digest: hex::encode(Sha256::digest(plan_text.as_bytes())),
            text: plan_text.to_string(),
        },
    })
}

// ---------------------------------------------------------------------------------------------
// The prover.

/// A verified log with its directory's Merkle tree, ready to prove any of its enterprises.
#[derive(Debug, Clone)]
pub struct Prover {
    facts: Facts,
    lines: Vec<String>,
    head: Hash,
    plan: Plan,
    plan_text: String,
    records: Vec<Enterprise>,
    tree: Tree,
}

impl Prover {
    /// Verifies the log completely ([`verify::verify`], with `published_head` if given)
    /// against the plan file's bytes and both directories, then builds the target directory's
    /// tree. A log that does not verify is refused (a verification error, exit code 1).
    pub fn new(
        log_bytes: &[u8],
        published_head: Option<&Hash>,
        plan_bytes: &[u8],
        plan_file: &Path,
        targets: &Targets,
        officers: &Officers,
    ) -> Result<Prover> {
        let plan_text = std::str::from_utf8(plan_bytes).map_err(|e| ErrorKind::PlanSyntax {
            pos: Position::file(plan_file),
            message: format!("the plan is not UTF-8 ({e})"),
        })?;
        let plan = Plan::from_toml(plan_text.trim_start_matches('\u{feff}'), plan_file)?;
        let plan_digest: Hash = Sha256::digest(plan_bytes).into();
        let report = verify::verify(
            log_bytes,
            published_head,
            &plan,
            &plan_digest,
            targets,
            officers,
        )?;
        if !report.drawn {
            return Err(ErrorKind::InvalidField {
                pos: Position::file("the log"),
                found: "a committed draw whose reveal is not logged yet".into(),
                expected: "the log of a completed draw (nothing is drawn before the reveal)".into(),
            }
            .into());
        }
        let lines: Vec<String> = log::read(log_bytes)?
            .iter()
            .map(|e| e.line.to_string())
            .collect();
        let facts =
            Facts::read(&lines).map_err(|reason| VerifyError::Malformed { line: 1, reason })?;
        let tree = Tree::from_leaf_hashes(
            targets
                .records
                .iter()
                .map(|e| merkle::leaf_hash(&e.canonical_bytes()))
                .collect(),
        );
        // Verification compared these already; a mismatch here is a bug, not bad input.
        assert_eq!(
            hex::encode(tree.head()),
            facts.dir_head,
            "verified log, but the directory tree differs from its header"
        );
        Ok(Prover {
            head: log::line_hash(&lines[lines.len() - 1]),
            facts,
            lines,
            plan,
            plan_text: plan_text.to_string(),
            records: targets.records.clone(),
            tree,
        })
    }

    /// [`Prover::new`] for loaded inputs; the plan file is read again for its text (and must
    /// still have the digest it had when loaded).
    #[cfg(feature = "fs")]
    pub fn from_inputs(
        log_bytes: &[u8],
        published_head: Option<&Hash>,
        inputs: &Inputs,
    ) -> Result<Prover> {
        let plan_bytes = io::read(&inputs.plan_path)?;
        if <[u8; 32]>::from(Sha256::digest(&plan_bytes)) != inputs.plan_digest {
            return Err(ErrorKind::Io {
                path: inputs.plan_path.clone(),
                source: std::io::Error::other("the plan file changed after it was loaded"),
            }
            .into());
        }
        Prover::new(
            log_bytes,
            published_head,
            &plan_bytes,
            &inputs.plan_path,
            &inputs.targets,
            &inputs.officers,
        )
    }

    /// The log's head.
    pub fn head(&self) -> Hash {
        self.head
    }

    /// The proof for the enterprise with this unified social credit code. An id that is not
    /// in the target directory is an input error (exit code 2).
    pub fn prove(&self, id: &str) -> Result<Proof> {
        let index = self
            .records
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .map_err(|_| ErrorKind::InvalidField {
                pos: Position::file("the enterprise to prove"),
                found: id.to_string(),
                expected: format!(
                    "the unified social credit code of one of the {} enterprises of the target directory (no record has this id)",
                    self.records.len()
                ),
            })?;
        let path = self.tree.inclusion_proof(index);
        assemble(
            &self.facts,
            &self.lines,
            &self.plan,
            &self.plan_text,
            &self.records[index],
            index as u64,
            &path,
        )
        .map_err(|reason| VerifyError::Malformed { line: 1, reason }.into())
    }
}

// ---------------------------------------------------------------------------------------------
// The checker.

/// Why a proof was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The input is not a proof at all (not UTF-8, not JSON, wrong shape), or the head given
    /// is not a hash: exit code 2.
    #[error("cannot read the proof: {0}")]
    Unreadable(String),
    /// The proof was read, and a check failed: exit code 1.
    #[error("proof REJECTED: {check}: {detail}")]
    Failed {
        /// Which check.
        check: String,
        /// What was found.
        detail: String,
    },
}

fn fail<T>(
    check: impl Into<String>,
    detail: impl Into<String>,
) -> std::result::Result<T, ProofError> {
    Err(ProofError::Failed {
        check: check.into(),
        detail: detail.into(),
    })
}

fn same<T: PartialEq + fmt::Debug>(
    check: &str,
    what: &str,
    proof: &T,
    expected: &T,
) -> std::result::Result<(), ProofError> {
    if proof == expected {
        Ok(())
    } else {
        fail(
            check,
            format!("{what}: the proof says {proof:?} but it must be {expected:?}"),
        )
    }
}

/// Decodes a canonical enterprise record (SPEC.md §3.1); it must re-encode to the same bytes.
pub fn decode_record(b: &[u8]) -> std::result::Result<Enterprise, String> {
    struct R<'a>(&'a [u8]);
    impl R<'_> {
        fn u32(&mut self) -> std::result::Result<usize, String> {
            if self.0.len() < 4 {
                return Err("truncated".into());
            }
            let (n, rest) = self.0.split_at(4);
            self.0 = rest;
            Ok(u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
        }
        fn str(&mut self) -> std::result::Result<String, String> {
            let n = self.u32()?;
            if self.0.len() < n {
                return Err("truncated".into());
            }
            let (s, rest) = self.0.split_at(n);
            self.0 = rest;
            String::from_utf8(s.to_vec()).map_err(|_| "a string is not UTF-8".to_string())
        }
    }
    let mut r = R(b);
    if r.str()? != "dualdraw/v1/enterprise" {
        return Err("it does not start with str(\"dualdraw/v1/enterprise\")".into());
    }
    let id = r.str()?;
    let name = r.str()?;
    let region = r.str()?;
    let n = r.u32()?;
    if n > b.len() {
        return Err("truncated".into());
    }
    let domains = (0..n)
        .map(|_| r.str())
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let class = r.str()?;
    let status = r.str()?;
    let date = r.str()?;
    if !r.0.is_empty() {
        return Err(format!("{} bytes after the last field", r.0.len()));
    }
    let credit_class =
        fields::parse_credit_class(&class).map_err(|e| format!("credit class: {e}"))?;
    let status = match status.as_str() {
        "active" => EnterpriseStatus::Active,
        "abnormal" => EnterpriseStatus::Abnormal,
        "closed" => EnterpriseStatus::Closed,
        other => {
            return Err(format!(
                "status {other:?} is not active, abnormal or closed"
            ));
        }
    };
    let last_inspected = if date.is_empty() {
        None
    } else {
        Some(fields::parse_date(&date).map_err(|e| format!("last_inspected: {e}"))?)
    };
    let e = Enterprise {
        id,
        name,
        region,
        domains,
        credit_class,
        status,
        last_inspected,
    };
    if e.canonical_bytes() != b {
        return Err("the record is not in canonical form (it re-encodes differently)".into());
    }
    Ok(e)
}

/// What a successful [`check`] established.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The proof, every field of it confirmed.
    pub proof: Proof,
}

impl fmt::Display for Checked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.proof;
        writeln!(
            f,
            "OK: the proof checks against head {} ({} log lines, hash chain intact)",
            p.log.head,
            p.log.lines.len()
        )?;
        writeln!(
            f,
            "plan: SHA-256 {} matches the header; record: leaf {} of {}, RFC 9162 inclusion proof of {} hashes verified against the header's directory head",
            p.plan.digest,
            p.directory.leaf_index,
            p.directory.count,
            p.directory.audit_path.len()
        )?;
        write!(f, "{}", p.summary())
    }
}

/// SPEC.md §7 step 1 on lines already split (none may contain LF): each a JSON object whose
/// `prev` is the 64 zeros (first line) or the lowercase hex SHA-256 of the line before, and
/// whose `seq` is its 0-based number.
fn walk_chain(lines: &[String]) -> std::result::Result<(), ProofError> {
    /// The members the chain reads; absent or of another type, they are `Null` here.
    #[derive(Deserialize)]
    struct Link {
        #[serde(default)]
        prev: Value,
        #[serde(default)]
        seq: Value,
    }
    let mut before: Option<Hash> = None;
    for (i, line) in lines.iter().enumerate() {
        let bad = |detail: String| fail::<()>("log hash chain", format!("line seq {i}: {detail}"));
        if line.contains('\n') {
            return bad("contains a newline".into());
        }
        // An object first: only then are its members read.
        let link: Link = match serde_json::from_str(line) {
            Ok(v @ Value::Object(_)) => serde_json::from_value(v).unwrap_or(Link {
                prev: Value::Null,
                seq: Value::Null,
            }),
            Ok(_) => return bad("not a JSON object".into()),
            Err(e) => return bad(format!("not JSON ({e})")),
        };
        let Some(prev) = link.prev.as_str() else {
            return bad("no string member `prev`".into());
        };
        let linked = match before {
            None => prev == log::GENESIS,
            Some(h) => parse_hash(prev) == Some(h),
        };
        if !linked {
            return bad(format!(
                "`prev` is {prev} but {}",
                before.map_or(
                    "the first line's must be 64 zeros".to_string(),
                    |h| format!("SHA-256 of the line before is {}", hex::encode(h))
                )
            ));
        }
        if link.seq.as_u64() != Some(i as u64) {
            return bad(format!("`seq` is not {i}"));
        }
        before = Some(log::line_hash(line));
    }
    Ok(())
}

/// Checks a proof file's bytes against a published log head (SPEC.md §10.3).
///
/// Reads the proof, then checks the log's head and hash chain, the plan digest, the record and its RFC 9162 inclusion proof
/// under the header's directory head and count, and for every task: the key (recomputed from
/// the seed), the ticket, the pool (recomputed from the record and the plan), the comparison
/// with the stratum's cutoff, and that the log draws the enterprise exactly when that
/// comparison says so, with the rank, team and replacements the proof states; finally that
/// the proof is exactly what these imply, in its canonical form (optionally followed by one
/// LF), so that every byte of the file is accounted for.
pub fn check(bytes: &[u8], head: &Hash) -> std::result::Result<Checked, ProofError> {
    // 1. Read.
    let text = std::str::from_utf8(bytes)
        .map_err(|e| ProofError::Unreadable(format!("not UTF-8 ({e})")))?;
    let proof: Proof = serde_json::from_str(text)
        .map_err(|e| ProofError::Unreadable(format!("not a {FORMAT} proof ({e})")))?;
    if proof.format != FORMAT {
        return fail("format", format!("{:?} is not {FORMAT:?}", proof.format));
    }

    // 2. The head: the last line pins the one published log (and its length).
    let lines = &proof.log.lines;
    let Some(last_line) = lines.last() else {
        return fail("log head", "the proof carries no log line");
    };
    let last = log::line_hash(last_line);
    if last != *head {
        return fail(
            "log head",
            format!(
                "the log in the proof ends with a line hashing to {} but the published head is {}",
                hex::encode(last),
                hex::encode(head)
            ),
        );
    }
    same("log head", "log.head", &proof.log.head, &hex::encode(last))?;

    // 3. The chain (SPEC.md §7 step 1, on the lines each followed by LF).
    walk_chain(lines)?;
    same(
        "log header",
        "log.header_hash",
        &proof.log.header_hash,
        &hex::encode(log::line_hash(&lines[0])),
    )?;
    // 4. The header and the seed.
    let facts = Facts::read(lines).map_err(|e| ProofError::Failed {
        check: "log events".into(),
        detail: e,
    })?;
    same("log header", "log.mode", &proof.log.mode, &facts.mode)?;
    same("seed", "log.seed", &proof.log.seed, &facts.seed)?;

    // 5. The plan.
    let digest = hex::encode(Sha256::digest(proof.plan.text.as_bytes()));
    same("plan digest", "plan.digest", &proof.plan.digest, &digest)?;
    if facts.plan_digest != digest {
        return fail(
            "plan digest",
            format!(
                "the plan text hashes to {digest} but the log header's plan.digest is {}",
                facts.plan_digest
            ),
        );
    }
    let plan = Plan::from_toml(
        proof.plan.text.trim_start_matches('\u{feff}'),
        Path::new("plan.toml"),
    )
    .map_err(|e| ProofError::Failed {
        check: "plan".into(),
        detail: format!("the plan text does not parse: {e}"),
    })?;
    same(
        "plan",
        "plan id in the log header",
        &facts.plan_id,
        &plan.id,
    )?;
    same(
        "plan",
        "inspection date in the log header",
        &facts.inspection_date,
        &plan.inspection_date.format("%Y-%m-%d").to_string(),
    )?;

    // 6. The record.
    let canonical_record = match parse_even_hex(&proof.enterprise.canonical) {
        Some(b) => b,
        None => return fail("record", "enterprise.canonical is not lowercase hex"),
    };
    let e = decode_record(&canonical_record).map_err(|d| ProofError::Failed {
        check: "record".into(),
        detail: format!("enterprise.canonical: {d}"),
    })?;
    same(
        "record",
        "enterprise fields",
        &proof.enterprise,
        &record_of(&e),
    )?;

    // 7. The inclusion proof (RFC 9162 §2.1.3.2) under the header's head and count.
    let d = &proof.directory;
    same("directory head", "directory.head", &d.head, &facts.dir_head)?;
    same(
        "directory head",
        "directory.count",
        &d.count,
        &facts.dir_count,
    )?;
    let dir_head = parse_hash(&facts.dir_head).ok_or_else(|| ProofError::Failed {
        check: "directory head".into(),
        detail: "the header's directories.targets.head is not a hash".into(),
    })?;
    let leaf = merkle::leaf_hash(&canonical_record);
    same(
        "inclusion proof",
        "directory.leaf_hash",
        &d.leaf_hash,
        &hex::encode(leaf),
    )?;
    let mut path = Vec::with_capacity(d.audit_path.len());
    for (i, h) in d.audit_path.iter().enumerate() {
        match parse_hash(h) {
            Some(h) => path.push(h),
            None => {
                return fail(
                    "inclusion proof",
                    format!("audit_path[{i}] is not 64 lowercase hex digits"),
                );
            }
        }
    }
    merkle::verify_inclusion(d.leaf_index, d.count, &leaf, &path, &dir_head).map_err(|err| {
        ProofError::Failed {
            check: "inclusion proof".into(),
            detail: format!(
                "record {} at leaf index {} of {}: {err}",
                e.id, d.leaf_index, d.count
            ),
        }
    })?;

    // 8. Every task.
    if plan.tasks.len() != facts.tasks.len() {
        return fail(
            "tasks",
            format!(
                "the plan has {} tasks but the log has {} task events",
                plan.tasks.len(),
                facts.tasks.len()
            ),
        );
    }
    if proof.tasks.len() != plan.tasks.len() {
        return fail(
            "tasks",
            format!(
                "the proof covers {} tasks but the plan has {}",
                proof.tasks.len(),
                plan.tasks.len()
            ),
        );
    }
    for ((task, tf), tp) in plan.tasks.iter().zip(&facts.tasks).zip(&proof.tasks) {
        check_task(&plan, &facts, task, tf, tp, &e)?;
    }

    // 9. Nothing else: the whole proof is what the authenticated parts imply.
    let expected = assemble(
        &facts,
        lines,
        &plan,
        &proof.plan.text,
        &e,
        d.leaf_index,
        &path,
    )
    .map_err(|detail| ProofError::Failed {
        check: "log events".into(),
        detail,
    })?;
    if expected != proof {
        return fail(
            "proof fields",
            "the proof differs from what its log, plan and record imply",
        );
    }
    // 10. Canonical form: every byte of the file is accounted for.
    let canonical = proof.to_json();
    let body = text.strip_suffix('\n').unwrap_or(text);
    if body != canonical {
        let at = body
            .bytes()
            .zip(canonical.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(body.len().min(canonical.len()));
        return fail(
            "canonical form",
            format!("the file differs from the proof's canonical serialization at byte {at}"),
        );
    }
    Ok(Checked { proof })
}

/// Lowercase hex of any even length.
fn parse_even_hex(s: &str) -> Option<Vec<u8>> {
    if !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    hex::decode(s).ok()
}

fn check_task(
    plan: &Plan,
    facts: &Facts,
    task: &Task,
    tf: &TaskFacts,
    tp: &TaskProof,
    e: &Enterprise,
) -> std::result::Result<(), ProofError> {
    let c = format!("task {}", task.id);
    let c = c.as_str();
    same(c, "task id", &tp.task, &task.id)?;
    same(c, "task id in the log", &tf.id, &task.id)?;
    same(c, "task_seq", &tp.task_seq, &tf.seq)?;
    // The log's task event agrees with the plan text.
    same(c, "the task event's domain", &tf.domain, &task.domain)?;
    same(
        c,
        "the task event's exclude_inspected_within_days",
        &tf.exclude_days,
        &task.exclude_inspected_within_days.map(u64::from),
    )?;
    // The key is the one the seed gives (SPEC.md §5.1).
    let key = seed::task_key(&facts.seed, &plan.id, &task.id);
    same(c, "the task event's key", &tf.key, &hex::encode(key))?;
    same(c, "key", &tp.key, &tf.key)?;
    // The ticket (SPEC.md §5.2).
    let ticket = target::ticket(&key, &e.id);
    same(c, "ticket", &tp.ticket, &hex::encode(ticket))?;
    // The pool (SPEC.md §4.3), from the record and the plan.
    let elig = target::eligibility(plan, task, e);
    same(c, "pool", &tp.pool, &pool_of(elig))?;
    same(c, "reason", &tp.reason, &reason(plan, task, e))?;

    let mine: Vec<&TargetFacts> = tf.targets.iter().filter(|t| t.id == e.id).collect();
    let my_teams: Vec<&TeamFacts> = tf.teams.iter().filter(|t| t.enterprise == e.id).collect();
    if mine.len() > 1 || my_teams.len() > 1 {
        return fail(
            c,
            format!(
                "the log has {} target and {} team events for {}",
                mine.len(),
                my_teams.len(),
                e.id
            ),
        );
    }
    let Eligibility::Eligible(s) = elig else {
        same(c, "stratum", &tp.stratum, &None)?;
        same(c, "verdict", &tp.verdict, &Verdict::NotEligible)?;
        same(c, "drawn", &tp.drawn, &None)?;
        if let Some(t) = mine.first() {
            return fail(
                c,
                format!(
                    "the enterprise is not eligible ({}) but the log draws it at seq {}",
                    tp.reason, t.seq
                ),
            );
        }
        if let Some(t) = my_teams.first() {
            return fail(
                c,
                format!("a team event at seq {} for an enterprise not drawn", t.seq),
            );
        }
        return Ok(());
    };

    // The stratum, as logged.
    let name = s.name();
    let strata: Vec<&StratumProof> = tf.strata.iter().filter(|x| x.name == name).collect();
    let [sf] = strata.as_slice() else {
        return fail(
            c,
            format!("the task event has {} strata named {name:?}", strata.len()),
        );
    };
    same(c, "stratum", &tp.stratum.as_ref(), &Some(*sf))?;
    // The stratum's target events: ranks 1..=drawn, tickets (with ids) increasing, the last
    // ticket being the cutoff.
    let ranked: Vec<&TargetFacts> = tf.targets.iter().filter(|t| t.stratum == name).collect();
    if ranked.len() as u64 != sf.drawn {
        return fail(
            c,
            format!(
                "stratum {name} logs drawn = {} but has {} target events",
                sf.drawn,
                ranked.len()
            ),
        );
    }
    let mut prev: Option<(Hash, &str)> = None;
    for (i, t) in ranked.iter().enumerate() {
        let tk = parse_hash(&t.ticket).ok_or_else(|| ProofError::Failed {
            check: c.into(),
            detail: format!("seq {}: the ticket is not a hash", t.seq),
        })?;
        if t.rank != i as u64 + 1 || prev.is_some_and(|p| p >= (tk, t.id.as_str())) {
            return fail(
                c,
                format!(
                    "stratum {name}: the target at seq {} is out of rank order",
                    t.seq
                ),
            );
        }
        prev = Some((tk, t.id.as_str()));
    }
    let cutoff = match (&sf.cutoff, prev) {
        (None, None) => None,
        (Some(cut), Some((last_ticket, last_id))) => {
            let cut_h = parse_hash(cut).ok_or_else(|| ProofError::Failed {
                check: c.into(),
                detail: "the stratum's cutoff is not a hash".into(),
            })?;
            if cut_h != last_ticket {
                return fail(
                    c,
                    format!("stratum {name}: the cutoff is not the ticket of the last drawn"),
                );
            }
            Some((cut_h, last_id))
        }
        _ => {
            return fail(
                c,
                format!("stratum {name}: a cutoff without targets, or targets without a cutoff"),
            );
        }
    };
    // The verdict by the cutoff: drawn iff (ticket, id) <= (cutoff, id of the last drawn).
    let by_cutoff = cutoff.is_some_and(|(cut, last_id)| (ticket, e.id.as_str()) <= (cut, last_id));
    let cut_text = sf.cutoff.as_deref().unwrap_or("null");
    match (by_cutoff, mine.first()) {
        (true, None) => {
            return fail(
                c,
                format!(
                    "the ticket {} is not above the cutoff {cut_text} of stratum {name}, so the enterprise must be drawn, but the log has no target event for it",
                    tp.ticket
                ),
            );
        }
        (false, Some(t)) => {
            return fail(
                c,
                format!(
                    "the ticket {} is above the cutoff {cut_text} of stratum {name}, yet the log draws the enterprise at seq {}",
                    tp.ticket, t.seq
                ),
            );
        }
        (false, None) => {
            same(c, "verdict", &tp.verdict, &Verdict::NotDrawn)?;
            same(c, "drawn", &tp.drawn, &None)?;
            if let Some(t) = my_teams.first() {
                return fail(
                    c,
                    format!("a team event at seq {} for an enterprise not drawn", t.seq),
                );
            }
        }
        (true, Some(t)) => {
            same(c, "verdict", &tp.verdict, &Verdict::Drawn)?;
            same(c, "the target event's stratum", &t.stratum.as_str(), &name)?;
            same(c, "the target event's ticket", &t.ticket, &tp.ticket)?;
            let Some(d) = &tp.drawn else {
                return fail(
                    c,
                    "the enterprise is drawn but the proof gives no rank or team",
                );
            };
            same(c, "rank", &d.rank, &t.rank)?;
            same(c, "target_seq", &d.target_seq, &t.seq)?;
            let Some(team) = my_teams.first() else {
                return fail(
                    c,
                    "the log draws the enterprise but has no team event for it",
                );
            };
            same(c, "team_seq", &d.team_seq, &team.seq)?;
            same(c, "leader", &d.leader, &team.leader)?;
            same(
                c,
                "the team's leader",
                &team.officers.first(),
                &Some(&team.leader),
            )?;
            same(c, "officers", &d.officers, &team.officers)?;
            same(c, "experts", &d.experts, &team.experts)?;
            let logged: Vec<ReplacementProof> = facts
                .replacements
                .iter()
                .filter(|r| r.task == task.id && r.enterprise == e.id)
                .map(|r| ReplacementProof {
                    seq: r.seq,
                    out: r.out.clone(),
                    incoming: r.incoming.clone(),
                    reason: r.reason.clone(),
                })
                .collect();
            same(c, "replacements", &d.replacements, &logged)?;
            let now = apply_replacements(&team.officers, &logged).map_err(|detail| {
                ProofError::Failed {
                    check: c.into(),
                    detail,
                }
            })?;
            same(c, "officers_now", &d.officers_now, &now)?;
        }
    }
    Ok(())
}
