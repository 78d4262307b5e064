//! Verifying a draw log: the chain, the head, the input digests, and a full re-run of the draw
//! compared line by line (SPEC.md §7).
//!
//! [`Verify`] runs the steps in the order of SPEC.md §7: `header` reads what the first
//! lines bind (digests, seed, reveal), and `replay` compares the re-run with the log, the
//! replacement requests after the footer included.

mod header;
mod replay;

use self::header::Seeding;
use std::collections::BTreeMap;

use crate::directory::{Digest, Enterprise, Officers, Targets, Warning};
use crate::draw;
use crate::error::{ErrorKind, Result, VerifyError};
use crate::log::{self, Mode};
use crate::merkle::Hash;
use crate::plan::Plan;
use crate::target;
use crate::team;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Lines in the log.
    pub lines: u64,
    /// The log's head: the RFC 9162 tree head over its lines.
    pub head: Hash,
    /// The log's checkpoint (SPEC.md §6.3), to publish as `draw.head`.
    pub checkpoint: log::Checkpoint,
    /// How the seed was made: by the operator (a rehearsal) or by commit and reveal.
    pub mode: Mode,
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
    /// Inspection results confirmed against the drawn visits (SPEC.md §11).
    pub results: u64,
    /// True when the head was checked against a published one (which alone excludes a log
    /// cut after its last line).
    pub head_checked: bool,
    /// The earlier draws checked against the log's rotation, if any were given.
    pub history: Option<HistoryReport>,
    /// Reason commitments opened by the private sidecar, when one was checked (SPEC.md §9.5).
    pub private_reasons: Option<usize>,
}

/// What checking a log's rotation against earlier draws established (SPEC.md §5.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryReport {
    /// Earlier logs whose chains were checked.
    pub logs: u64,
    /// Enterprises with rotation pairs, all matching the log's.
    pub enterprises: u64,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "OK: {} lines, hash chain intact{}",
            self.lines,
            if self.head_checked {
                ", head matches the published head"
            } else {
                " (no published head given: truncation after the last line cannot be excluded)"
            }
        )?;
        writeln!(f, "plan and directory digests match the header")?;
        match (self.mode, self.drawn) {
            (Mode::CommitReveal, false) => {
                writeln!(f, "mode commit-reveal: committed, not drawn yet")?;
            }
            (mode, _) => {
                writeln!(
                    f,
                    "mode {}: {}",
                    mode.as_str(),
                    match mode {
                        Mode::CommitReveal => {
                            "the revealed secret opens the commitment; the seed derives from it, the public entropy and the commit line"
                        }
                        Mode::OperatorSeed => {
                            "operator seed (rehearsal; not proof against steering)"
                        }
                    }
                )?;
                writeln!(
                    f,
                    "re-ran the draw with seed {:?}: {} tasks, {} targets, {} teams, {} warnings and {} replacements identical",
                    self.seed,
                    self.tasks,
                    self.targets,
                    self.teams,
                    self.warnings,
                    self.replacements
                )?;
                if self.results > 0 {
                    writeln!(
                        f,
                        "{} inspection results checked: drawn visits, the plan's categories, dates, corrections and publications",
                        self.results
                    )?;
                }
            }
        }
        if let Some(h) = &self.history {
            writeln!(
                f,
                "history: {} earlier logs, their chains intact; the rotation pairs of {} enterprises match the log",
                h.logs, h.enterprises
            )?;
        }
        if let Some(n) = self.private_reasons {
            writeln!(
                f,
                "private reasons: {n} commitments in the log opened by {}",
                crate::reason::SIDECAR
            )?;
        }
        write!(f, "head {}", hex::encode(self.head))
    }
}

/// A checkpoint in one line, for messages.
fn describe(c: &log::Checkpoint) -> String {
    format!(
        "{} (tree size {}, origin {:?})",
        hex::encode(c.root),
        c.size,
        c.origin
    )
}

/// A verification to run: the plan, the published head and earlier draws, then the log and
/// the directories (SPEC.md §7).
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
/// let drawn = dualdraw::Draw::new(&plan).seed("s1").run(&targets, &officers)?;
/// let published = drawn.log.to_bytes();
/// let report = dualdraw::Verify::new(&plan)
///     .head(drawn.head())
///     .run(&published, &targets, &officers)?;
/// assert_eq!(report.mode, dualdraw::Mode::OperatorSeed);
/// assert_eq!(report.targets, 1);
/// // One byte changed anywhere is a verification failure, with the line.
/// let mut forged = published.clone();
/// forged[40] ^= 1;
/// let e = dualdraw::Verify::new(&plan).run(&forged, &targets, &officers).unwrap_err();
/// assert!(e.is_verification(), "{e}");
/// # Ok::<(), dualdraw::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Verify<'a> {
    plan: &'a Plan,
    head: Option<Hash>,
    /// The published checkpoint, whose origin and size must also be the log's.
    checkpoint: Option<log::Checkpoint>,
    /// The earlier draws declared, if any were: `Some(empty)` declares there were none.
    history: Option<Vec<(&'a str, &'a [u8])>>,
}

impl<'a> Verify<'a> {
    /// A verification against `plan` (its [`digest`](Plan::digest) must be the header's).
    pub fn new(plan: &'a Plan) -> Self {
        Verify {
            plan,
            head: None,
            checkpoint: None,
            history: None,
        }
    }

    /// The head published with the log: the RFC 9162 tree head over all its lines must be it,
    /// which detects a log cut after any line (the head binds the number of lines too).
    pub fn head(mut self, head: Hash) -> Self {
        self.head = Some(head);
        self
    }

    /// The checkpoint published with the log (SPEC.md §6.3): its root is the
    /// [`head`](Self::head), and its origin and tree size must be the log's too.
    pub fn checkpoint(mut self, checkpoint: log::Checkpoint) -> Self {
        self.head = Some(checkpoint.root);
        self.checkpoint = Some(checkpoint);
        self
    }

    /// A published checkpoint whose root matched but whose origin or size does not: refused.
    fn check_checkpoint(&self, report: Report) -> Result<Report> {
        match &self.checkpoint {
            Some(c) if *c != report.checkpoint => Err(VerifyError::HeadMismatch {
                expected: describe(c),
                found: describe(&report.checkpoint),
                lines: report.lines,
            }
            .into()),
            _ => Ok(report),
        }
    }

    /// An earlier draw's log (bytes, and a name for errors) the draw used for rotation: the
    /// log's `history` and `rotation` events must be exactly what the earlier logs give.
    pub fn history(mut self, name: &'a str, log: &'a [u8]) -> Self {
        self.history.get_or_insert_with(Vec::new).push((name, log));
        self
    }

    /// Declares that the draw used no earlier draws: a log with `history` or `rotation`
    /// events then fails. (Without this or [`history`](Self::history), those events are
    /// re-run from the log itself but not checked against any earlier log.)
    pub fn without_history(mut self) -> Self {
        self.history.get_or_insert_with(Vec::new);
        self
    }

    /// Verifies `log` against directories held in memory.
    ///
    /// # Errors
    ///
    /// A verification failure ([`Error::is_verification`](crate::Error::is_verification):
    /// the log, head, digests, re-run or history disagree), naming the first failing line; or
    /// an input error (an earlier log that cannot be read as one).
    pub fn run(&self, log: &[u8], targets: &Targets, officers: &Officers) -> Result<Report> {
        let report = verify(
            log,
            self.head.as_ref(),
            self.plan,
            &self.plan.digest,
            targets,
            officers,
        )?;
        let report = self.check_checkpoint(report)?;
        self.with_history(log, report)
    }

    /// Verifies `log` with the target directory streamed from `targets` (sorted by id), read
    /// once while the targets are re-drawn.
    ///
    /// # Errors
    ///
    /// Those of [`run`](Self::run), and the stream's CSV or order errors.
    pub fn run_stream(
        &self,
        log: &[u8],
        targets: impl std::io::Read + Send,
        name: &std::path::Path,
        officers: &Officers,
        progress: &mut dyn FnMut(crate::target::Progress),
    ) -> Result<Report> {
        let plan = self.plan;
        let report = verify_with(
            log,
            self.head.as_ref(),
            plan,
            &plan.digest,
            officers,
            |seed| {
                // A commitment not yet drawn needs the digest (and warnings) only: read the
                // directory for a plan without tasks, which draws nothing.
                let digest_only;
                let (plan, seed) = match seed {
                    Some(seed) => (plan, seed),
                    None => {
                        digest_only = Plan {
                            tasks: Vec::new(),
                            ..plan.clone()
                        };
                        (&digest_only, "-")
                    }
                };
                let s = crate::target::select_stream(targets, name, plan, seed, progress)?;
                Ok(Drawn {
                    selections: Ok(s.selections),
                    digest: s.digest,
                    warnings: s.warnings,
                })
            },
        )?;
        let report = self.check_checkpoint(report)?;
        self.with_history(log, report)
    }

    /// Checks the log's rotation against the earlier draws given, if any (SPEC.md §5.7).
    fn with_history(&self, log_bytes: &[u8], mut report: Report) -> Result<Report> {
        let Some(history) = &self.history else {
            return Ok(report);
        };
        let entries = log::read(log_bytes)?;
        let logged = log::apart_from_log(self.plan, &entries);
        let mut given = crate::team::Apart::from_plan(self.plan);
        let earlier: Vec<_> = history
            .iter()
            .map(|(name, bytes)| (name.into(), bytes.to_vec()))
            .collect();
        log::add_history(&mut given, &earlier)?;
        if logged.history != given.history || logged.rotation != given.rotation {
            // The earlier logs are sound but the log disagrees with them.
            return Err(VerifyError::History(format!(
                "the log's history ({} earlier logs, rotation pairs for {} enterprises) is not what the {} given logs give ({} logs, pairs for {} enterprises)",
                logged.history.len(),
                logged.rotation.len(),
                history.len(),
                given.history.len(),
                given.rotation.len()
            ))
            .into());
        }
        report.history = Some(HistoryReport {
            logs: given.history.len() as u64,
            enterprises: given.rotation.len() as u64,
        });
        Ok(report)
    }
}

/// Verifies a log against the plan and directories it claims to come from.
///
/// Checks, in order: the chain ([`log::read`]); the head, if one is given (this is what
/// detects a log truncated after its last event); the header's spec version; the plan and
/// directory digests; and finally re-runs the draw with the recorded seed and requires every
/// line to be identical (the header's informational `crate_version` excepted). The plan's own
/// `seed` key plays no part: the seed is the log's (SPEC.md §7 step 6).
///
/// The warnings compared are those of SPEC.md §6.2 for the plan's inspection date
/// ([`Targets::warnings_on`]), whether or not `targets` was read with that date. A commitment
/// not yet drawn (one commit line) is checked against the directory digest alone; nothing is
/// drawn.
///
/// # Errors
///
/// [`ErrorKind::Verify`](crate::ErrorKind::Verify) when the log fails a check, naming the first
/// failing one: [`VerifyError::Empty`](crate::VerifyError::Empty),
/// [`VerifyError::Malformed`](crate::VerifyError::Malformed) or
/// [`VerifyError::ChainBroken`](crate::VerifyError::ChainBroken) for the chain;
/// [`VerifyError::HeadMismatch`](crate::VerifyError::HeadMismatch) for a `published_head` that
/// differs; [`VerifyError::UnsupportedSpec`](crate::VerifyError::UnsupportedSpec);
/// [`VerifyError::DigestMismatch`](crate::VerifyError::DigestMismatch) for a plan or directory that
/// differs from the one recorded; [`VerifyError::Commitment`](crate::VerifyError::Commitment) for a
/// reveal that does not open the commitment;
/// [`VerifyError::Mismatch`](crate::VerifyError::Mismatch) or
/// [`VerifyError::LineCount`](crate::VerifyError::LineCount) when the re-run draw differs
/// (including a draw that cannot be re-run at all).
#[doc(hidden)]
pub fn verify(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    targets: &Targets,
    officers: &Officers,
) -> Result<Report> {
    verify_rerun(bytes, published_head, plan, plan_digest, targets, officers).map(|(r, _)| r)
}

/// What a verification re-drew, for deriving more from a verified log without drawing it
/// again (publishing, replacements, results): the outcome as drawn (before replacements) and
/// the drawn enterprises' records.
pub(crate) struct Rerun {
    pub(crate) outcome: draw::Outcome,
    pub(crate) records: BTreeMap<String, Enterprise>,
}

/// [`verify`], keeping what the re-run drew (`None` for a commitment not yet drawn).
pub(crate) fn verify_rerun(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    targets: &Targets,
    officers: &Officers,
) -> Result<(Report, Option<Rerun>)> {
    verify_inner(bytes, published_head, plan, plan_digest, officers, |seed| {
        Ok(Drawn {
            selections: match seed {
                Some(seed) => target::select(plan, targets, seed),
                None => Ok(Vec::new()),
            },
            digest: targets.digest(),
            warnings: targets.warnings_on(plan.inspection_date),
        })
    })
}

/// The target side of a re-run: what [`verify_with`]'s callback returns.
#[derive(Debug)]
#[doc(hidden)]
pub struct Drawn {
    /// The selections of every task, or why the target draw failed (reported only after the
    /// directory digest is checked, so that a changed directory is named as such). Ignored
    /// (and best left empty) when the callback is given no seed.
    pub selections: Result<Vec<target::Selection>>,
    /// The target directory digest.
    pub digest: Digest,
    /// The warnings of SPEC.md §6.2 for the plan's inspection date, in (id, code) order.
    pub warnings: Vec<Warning>,
}
/// [`verify`] with the target side supplied by a callback, so that a directory too large for
/// memory can be streamed ([`crate::stream`]). The callback receives `Some(seed)`, the logged
/// (or revealed) seed, to draw the targets with; or `None` for a commitment not yet drawn, when
/// only the digest is needed and nothing must be drawn.
///
/// # Errors
///
/// Those of [`verify`]. An input error returned by `targets`
/// ([`ErrorKind::Io`](crate::ErrorKind::Io), [`ErrorKind::Csv`](crate::ErrorKind::Csv),
/// [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField),
/// [`ErrorKind::DuplicateId`](crate::ErrorKind::DuplicateId),
/// [`ErrorKind::Unsorted`](crate::ErrorKind::Unsorted), ...) is passed on unchanged; any other
/// error of `targets` is reported as a [`VerifyError::Mismatch`](crate::VerifyError::Mismatch) at
/// line 1.
#[doc(hidden)]
pub fn verify_with(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    officers: &Officers,
    targets: impl FnOnce(Option<&str>) -> Result<Drawn>,
) -> Result<Report> {
    verify_inner(bytes, published_head, plan, plan_digest, officers, targets).map(|(r, _)| r)
}

fn verify_inner(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    officers: &Officers,
    targets: impl FnOnce(Option<&str>) -> Result<Drawn>,
) -> Result<(Report, Option<Rerun>)> {
    // A log converted on the way (CRLF, BOM) is not forged: say so before any hash is checked.
    if let Some(c) = log::converted::detect(bytes) {
        return Err(ErrorKind::Converted {
            what: "log",
            how: c.describe(),
        }
        .into());
    }
    // 1. The chain, then the head: a log cut after a line is a valid shorter log, which only
    // the published head tells.
    let (entries, checkpoint) = log::read_with_checkpoint(bytes)?;
    let head = checkpoint.root;
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
    let mut results = 0;
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
            // commit), so only a rehearsal's log may bring rotation pairs (SPEC.md §5.7).
            let apart = match h.mode {
                Mode::OperatorSeed => log::apart_from_log(plan, &entries),
                Mode::CommitReveal => crate::team::Apart::from_plan(plan),
            };
            let records = target::records_of(&selections);
            let o = team::staff_with(plan, selections, officers, &apart).map_err(replay::rerun)?;
            expected.append(log::draw_events(plan, &drawn.warnings, &o));
            // The regenerated lines up to the footer first, so that an earlier difference is
            // reported before anything that follows it.
            replay::compare(&expected.lines, &entries, 0)?;
            let (n, r) =
                replay::after_footer(&mut expected, &entries, plan, &o, &records, officers)?;
            results = r;
            (Some((o, records)), n)
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
            .map_or(0, |(o, _)| o.tasks.iter().map(|t| f(t) as u64).sum())
    };
    let drew = outcome.is_some();
    let report = Report {
        lines: entries.len() as u64,
        head,
        checkpoint,
        mode: h.mode,
        drawn: drew,
        seed: seeding.into_seed(),
        tasks: plan.tasks.len() as u64,
        head_checked: published_head.is_some(),
        history: None,
        private_reasons: None,
        targets: count(|t| t.drawn.len()),
        teams: count(|t| t.teams.len()),
        warnings: if drew { warnings } else { 0 },
        replacements,
        results,
    };
    Ok((
        report,
        outcome.map(|(outcome, records)| Rerun { outcome, records }),
    ))
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
            | K::RowCells(_)
            | K::DuplicateId { .. }
            | K::Unsorted { .. }
            | K::PlanSyntax { .. }
    )
}

#[cfg(test)]
mod tests {
    /// These tests load files through the `fs` helpers and run the commands.
    #[cfg(feature = "cli")]
    mod with_files {
        use super::super::*;
        use crate::team::ReplacementRequest;
        use crate::{ErrorKind, commands, io};
        use serde_json::Value;
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
                    reason: crate::reason::Reason::of(crate::reason::Category::ALL[i % 5]),
                });
                // Each replaces the officer the previous one brought in.
                let mut probe = outcome.clone();
                let done = team::apply_replacements(
                    &inputs.plan,
                    &mut probe,
                    &records,
                    &inputs.officers,
                    &requests,
                )
                .unwrap();
                out = done.last().unwrap().incoming.clone();
            }
            let done = team::apply_replacements(
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
            let entropy =
                crate::commit::EntropySource::new("dice", "dice thrown in public").unwrap();
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
                    &[],
                    &mut |_| {},
                )
                .unwrap_or_else(|e| panic!("{source:?}: {e}"));
                assert!(!report.drawn);
                assert_eq!(report.lines, 1);
            }
            // The draw itself is refused: 5 requested, 2 eligible.
            assert!(crate::target::select(&inputs.plan, &inputs.targets, "s").is_err());
        }
    }
}
