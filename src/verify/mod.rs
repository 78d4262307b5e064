//! Verifying a draw log: the chain, the head, the input digests, and a full re-run of the draw
//! compared line by line (SPEC.md §7).
//!
//! [`verify_with`] runs the steps in the order of SPEC.md §7: [`header`] reads what the first
//! lines bind (digests, seed, reveal), and [`replay`] compares the re-run with the log, the
//! replacement requests after the footer included.

mod header;
mod replay;

use serde_json::Value;

use self::header::Seeding;
use crate::directory::{Digest, Officers, Targets, Warning};
use crate::draw;
use crate::error::{Result, VerifyError};
use crate::log::{self, Mode};
use crate::merkle::Hash;
use crate::plan::Plan;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Lines in the log.
    pub lines: u64,
    /// The log's head.
    pub head: Hash,
    /// `operator-seed` (rehearsal) or `commit-reveal`.
    pub mode: String,
    /// False for a committed draw whose reveal has not happened yet.
    pub drawn: bool,
    /// The seed the log records (or derives from the reveal).
    pub seed: String,
    /// Tasks re-run.
    pub tasks: u64,
    /// Drawn enterprises confirmed.
    pub targets: u64,
    /// Teams confirmed.
    pub teams: u64,
    /// Warnings confirmed.
    pub warnings: u64,
    /// Replacements confirmed as the next lawful officer.
    pub replacements: u64,
}

/// Splits a log into lines and checks the hash chain. Returns each line with its parsed event.
///
/// Fails on the first line that is not a JSON object with the right `seq`, or whose `prev` is
/// not the SHA-256 of the line before it (see [`chain`]). Kept for callers of this path; the
/// crate itself reads logs with [`log::read`].
pub fn check_chain(bytes: &[u8]) -> Result<Vec<(String, Value)>, VerifyError> {
    chain(bytes)?
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let v = serde_json::from_str(l).map_err(|e| VerifyError::Malformed {
                line: i as u64 + 1,
                reason: format!("not JSON ({e})"),
            })?;
            Ok((l.to_string(), v))
        })
        .collect()
}

/// The chain check, now in [`log`]; this path stays for its callers.
pub use crate::log::check_chain as chain;

/// Verifies a log against the plan and directories it claims to come from.
///
/// Checks, in order: the chain ([`check_chain`]); the head, if one is given (this is what
/// detects a log truncated after its last event); the header's spec version; the plan and
/// directory digests; and finally re-runs the draw with the recorded seed and requires every
/// line to be identical (the header's informational `crate_version` excepted). The plan's own
/// `seed` key plays no part: the seed is the log's (SPEC.md §7 step 6).
///
/// The warnings compared are those of SPEC.md §6.2 for the plan's inspection date
/// ([`Targets::warnings_on`]), whether or not `targets` was read with that date. A commitment
/// not yet drawn (one commit line) is checked against the directory digest alone; nothing is
/// drawn.
pub fn verify(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    targets: &Targets,
    officers: &Officers,
) -> Result<Report> {
    verify_with(bytes, published_head, plan, plan_digest, officers, |seed| {
        Ok(Drawn {
            selections: match seed {
                Some(seed) => draw::select(plan, targets, seed),
                None => Ok(Vec::new()),
            },
            digest: targets.digest(),
            warnings: targets.warnings_on(plan.inspection_date),
        })
    })
}

/// The target side of a re-run: what [`verify_with`]'s callback returns.
#[derive(Debug)]
pub struct Drawn {
    /// The selections of every task, or why the target draw failed (reported only after the
    /// directory digest is checked, so that a changed directory is named as such). Ignored
    /// (and best left empty) when the callback is given no seed.
    pub selections: Result<Vec<draw::Selection>>,
    /// The target directory digest.
    pub digest: Digest,
    /// The warnings of SPEC.md §6.2 for the plan's inspection date, in (id, code) order.
    pub warnings: Vec<Warning>,
}
/// [`verify`] with the target side supplied by a callback, so that a directory too large for
/// memory can be streamed ([`crate::stream`]). The callback receives `Some(seed)`, the logged
/// (or revealed) seed, to draw the targets with; or `None` for a commitment not yet drawn, when
/// only the digest is needed and nothing must be drawn.
pub fn verify_with(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    officers: &Officers,
    targets: impl FnOnce(Option<&str>) -> Result<Drawn>,
) -> Result<Report> {
    // 1. The chain, then the head: a log cut after a line is a valid shorter log, which only
    // the published head tells.
    let entries = log::read(bytes)?;
    let head = log::line_hash(entries[entries.len() - 1].line);
    if let Some(p) = published_head.filter(|p| **p != head) {
        return Err(VerifyError::HeadMismatch {
            expected: hex::encode(p),
            found: hex::encode(head),
            lines: entries.len() as u64,
        }
        .into());
    }
    // 2. The header: spec, plan and officer digests; then the seed, opened from the reveal
    // for a committed draw.
    let h = header::read(&entries[0])?;
    let od = officers.digest();
    header::check_inputs(&h, plan_digest, &od)?;
    let seeding = header::seeding(&h, &entries)?;
    // 3. The target side, drawn with the seed (or only its digest, before a reveal).
    let drawn = targets(seeding.seed()).map_err(|e| {
        if e.is_verification() || is_input_error(&e) {
            e
        } else {
            replay::rerun(e).into()
        }
    })?;
    header::check_targets(&h, &drawn.digest)?;
    // 4. The re-run, compared line by line.
    let mut expected = log::chain(vec![header::regenerate(
        &h,
        plan,
        plan_digest,
        drawn.digest,
        od,
        &seeding,
    )?]);
    let warnings = drawn.warnings.len() as u64;
    let (outcome, replacements) = match &seeding {
        Seeding::Committed { reveal: None } => {
            replay::compare(&expected.lines, &entries, 0)?;
            (None, 0)
        }
        Seeding::Rehearsal { .. } | Seeding::Committed { reveal: Some(_) } => {
            if let Seeding::Committed { reveal: Some(r) } = &seeding {
                expected.append(vec![log::reveal_event(&r.secret, &r.entropy, &r.seed)]);
            }
            let selections = drawn.selections.map_err(replay::rerun)?;
            // A committed draw cannot use history (its pairs would not be bound by the
            // commit), so only a rehearsal's log may bring rotation pairs (SPEC.md §11.4).
            let apart = match h.mode {
                Mode::OperatorSeed => log::apart_from_log(plan, &entries),
                Mode::CommitReveal => crate::team::Apart::from_plan(plan),
            };
            let records = draw::records_of(&selections);
            let o = draw::staff_with(plan, selections, officers, &apart).map_err(replay::rerun)?;
            expected.append(log::draw_events(plan, &drawn.warnings, &o));
            // The regenerated lines up to the footer first, so that an earlier difference is
            // reported before anything that follows it.
            replay::compare(&expected.lines, &entries, 0)?;
            let n = replay::replacements(&mut expected, &entries, plan, &o, &records, officers)?;
            (Some(o), n)
        }
    };
    if expected.lines.len() != entries.len() {
        return Err(VerifyError::LineCount {
            expected: expected.lines.len() as u64,
            found: entries.len() as u64,
        }
        .into());
    }
    let count = |f: fn(&draw::TaskOutcome) -> usize| {
        outcome
            .as_ref()
            .map_or(0, |o| o.tasks.iter().map(|t| f(t) as u64).sum())
    };
    let drew = outcome.is_some();
    Ok(Report {
        lines: entries.len() as u64,
        head,
        mode: h.mode.as_str().into(),
        drawn: drew,
        seed: seeding.into_seed(),
        tasks: plan.tasks.len() as u64,
        targets: count(|t| t.drawn.len()),
        teams: count(|t| t.teams.len()),
        warnings: if drew { warnings } else { 0 },
        replacements,
    })
}

/// An error in reading an input (exit code 2), as opposed to a draw that cannot be made.
fn is_input_error(e: &crate::Error) -> bool {
    use crate::ErrorKind as K;
    matches!(
        e.kind(),
        K::Io { .. }
            | K::PlanInput { .. }
            | K::Csv { .. }
            | K::MissingColumn { .. }
            | K::DuplicateColumn { .. }
            | K::InvalidField { .. }
            | K::DuplicateId { .. }
            | K::Unsorted { .. }
            | K::PlanSyntax { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::ReplacementRequest;
    use crate::{ErrorKind, commands, io};
    use std::collections::BTreeMap;
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    /// The demo draw with `n` replacements in the first team, as events without `seq`/`prev`.
    fn demo(n: usize) -> (io::Inputs, Vec<Value>, usize) {
        let inputs = io::load_inputs(&fixture("fixtures/tianjin-2020/plan.toml")).unwrap();
        let (outcome, log) = commands::draw_inputs(&inputs, "verify-unit-test").unwrap();
        let footer = log.lines.len();
        let mut current = outcome.clone();
        let records: BTreeMap<String, crate::directory::Enterprise> = inputs
            .targets
            .records
            .iter()
            .filter(|e| {
                outcome
                    .tasks
                    .iter()
                    .any(|t| t.drawn.iter().any(|d| d.id == e.id))
            })
            .map(|e| (e.id.clone(), e.clone()))
            .collect();
        let team = &outcome.tasks[0].teams[0];
        let mut requests = Vec::new();
        let mut out = team.officers[0].clone();
        for i in 0..n {
            requests.push(ReplacementRequest {
                task: outcome.tasks[0].task.clone(),
                enterprise: team.enterprise.clone(),
                out: out.clone(),
                reason: format!("reason {i}"),
            });
            // Each replaces the officer the previous one brought in.
            let mut probe = outcome.clone();
            let done = draw::apply_replacements(
                &inputs.plan,
                &mut probe,
                &records,
                &inputs.officers,
                &requests,
            )
            .unwrap();
            out = done.last().unwrap().incoming.clone();
        }
        let done = draw::apply_replacements(
            &inputs.plan,
            &mut current,
            &records,
            &inputs.officers,
            &requests,
        )
        .unwrap();
        let mut events: Vec<Value> = log
            .lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        events.extend(done.iter().map(log::replacement_event));
        for e in &mut events {
            let m = e.as_object_mut().unwrap();
            m.remove("prev");
            m.remove("seq");
        }
        (inputs, events, footer)
    }

    fn run(inputs: &io::Inputs, events: Vec<Value>) -> Result<Report> {
        let bytes = log::chain(events).to_bytes();
        verify(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.targets,
            &inputs.officers,
        )
    }

    /// The 1-based line a verification failure names.
    fn failing_line(r: Result<Report>) -> u64 {
        match r.unwrap_err().into_kind() {
            ErrorKind::Verify(VerifyError::Mismatch { line, .. }) => line,
            other => panic!("expected a line mismatch, got {other:?}"),
        }
    }

    #[test]
    fn genuine_replacements_verify() {
        let (inputs, events, _) = demo(3);
        assert_eq!(run(&inputs, events).unwrap().replacements, 3);
    }

    /// A request that cannot be recomputed is reported at its own line, not at the first line
    /// after the footer.
    #[test]
    fn refused_replacement_names_its_own_line() {
        let (inputs, mut events, footer) = demo(3);
        // The third request names an officer who is not on the team.
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 3);
    }

    /// An earlier differing line is reported before a later refused request: a replacement's
    /// line whose `in` was changed ...
    #[test]
    fn earlier_replacement_difference_comes_first() {
        let (inputs, mut events, footer) = demo(3);
        events[footer + 1]["in"] = "SOMEONE-ELSE".into();
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 2);
    }

    /// ... and a line of the draw itself (here a team, before the footer).
    #[test]
    fn earlier_draw_difference_comes_first() {
        let (inputs, mut events, footer) = demo(2);
        let team = events.iter().position(|e| e["event"] == "team").unwrap();
        events[team]["eligible_officers"] = 999.into();
        events[footer + 1]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), team as u64 + 1);
    }

    /// Something other than a replacement after the footer is reported at its line, after the
    /// requests before it were compared.
    #[test]
    fn non_request_after_footer_names_its_line() {
        let (inputs, mut events, footer) = demo(2);
        events.insert(footer + 1, serde_json::json!({"event": "note"}));
        assert_eq!(
            failing_line(run(&inputs, events.clone())),
            footer as u64 + 2
        );
        events[footer]["in"] = "SOMEONE-ELSE".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 1);
    }

    /// A commitment not yet drawn: the callback is asked for the digest only (no seed), and a
    /// plan whose draw would fail (a count above the pool) still verifies as a commitment.
    #[test]
    fn commitment_alone_draws_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let base = fixture("fixtures/tianjin-2020");
        std::fs::copy(base.join("officers.csv"), dir.path().join("officers.csv")).unwrap();
        // Sorted by id, so that it can be streamed too.
        std::fs::write(
            dir.path().join("targets.csv"),
            "id,name,region,domains,status\n\
             91120116MA05JKLM8C,甲,120116,无线电,active\n\
             91120116MA05JKLM8J,乙,120116,无线电,active\n",
        )
        .unwrap();
        let plan = std::fs::read_to_string(fixture("fixtures/tianjin-2020/plan.toml"))
            .unwrap()
            .replace("sample = { count = 4 }", "sample = { count = 5 }");
        std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
        let plan_path = dir.path().join("plan.toml");
        let commit_dir = dir.path().join("commit");
        let entropy = crate::commit::EntropySource::new("dice", "dice thrown in public").unwrap();
        commands::commit(
            &plan_path,
            &commands::CommitOptions {
                out: commit_dir.clone(),
                entropy,
            },
        )
        .unwrap();
        let bytes = std::fs::read(commit_dir.join("draw.log")).unwrap();
        let inputs = io::load_inputs(&plan_path).unwrap();
        let mut asked = Vec::new();
        let report = verify_with(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.officers,
            |seed| {
                asked.push(seed.map(str::to_string));
                Ok(Drawn {
                    selections: Ok(Vec::new()),
                    digest: inputs.targets.digest(),
                    warnings: Vec::new(),
                })
            },
        )
        .unwrap();
        assert_eq!(asked, [None]);
        assert!(!report.drawn);
        // In memory and streamed, through the command.
        for source in [
            commands::TargetSource::Plan,
            commands::TargetSource::PlanStreamed,
        ] {
            let (report, _) = commands::verify(
                &commit_dir.join("draw.log"),
                &plan_path,
                None,
                &source,
                &mut |_| {},
            )
            .unwrap_or_else(|e| panic!("{source:?}: {e}"));
            assert!(!report.drawn);
            assert_eq!(report.lines, 1);
        }
        // The draw itself is refused: 5 requested, 2 eligible.
        assert!(crate::draw::select(&inputs.plan, &inputs.targets, "s").is_err());
    }
}
