//! The front door of a draw: a plan, a seed and two directories in; the outcome and its log out.
//!
//! [`Draw`] is a builder over values only: it reads no file and prints nothing, so a service
//! can run it on records from its own database and a web page can run it compiled to
//! WebAssembly. The command-line program is one caller among others.

pub(crate) mod outcome;

pub use outcome::*;

use std::io::Read;
use std::path::Path;

use crate::ceremony::CommitLog;
use crate::directory::{Digest, Enterprise, Officers, Targets, Warning};
use crate::error::{ErrorKind, Result};
use crate::log::{self, Header, Log};
use crate::merkle::Hash;
use crate::plan::Plan;
use crate::target::Selection;
use crate::target::{self, Progress};
use crate::team;

/// The version of this crate, written into log headers (informational: verification ignores
/// it).
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// A draw to run: the plan, the seed and the earlier draws that rotation keeps apart.
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
/// let drawn = dualdraw::Draw::new(&plan).seed("2020-10-15 rehearsal").run(&targets, &officers)?;
/// let team = &drawn.outcome.tasks[0].teams[0];
/// assert!(team.officers.len() >= 2);
/// // The same inputs give the same bytes, here and on any other machine.
/// let again = dualdraw::Draw::new(&plan).seed("2020-10-15 rehearsal").run(&targets, &officers)?;
/// assert_eq!(drawn.log.to_bytes(), again.log.to_bytes());
/// # Ok::<(), dualdraw::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Draw<'a> {
    plan: &'a Plan,
    seed: Option<&'a str>,
    history: Vec<(&'a str, &'a [u8])>,
    reveal: Option<Reveal<'a>>,
}

/// What opens a commitment: the commit log, the operator's secret and the public entropy.
#[derive(Debug, Clone)]
struct Reveal<'a> {
    commit_log: &'a [u8],
    secret: [u8; 32],
    entropy: &'a str,
}

/// A finished draw: its outcome, its log and what the log binds.
#[derive(Debug, Clone)]
pub struct Drawn {
    /// Targets and teams of every task.
    pub outcome: Outcome,
    /// The hash-chained log (SPEC.md §6); [`Log::to_bytes`] is the file to publish.
    pub log: Log,
    /// The seed the draw used.
    pub seed: String,
    /// The target directory's digest.
    pub targets: Digest,
    /// The officer directory's digest.
    pub officers: Digest,
    /// Warnings about the target directory (also in the log), in id order.
    pub warnings: Vec<Warning>,
    /// The drawn enterprises' records, sorted by id, for names in results.
    pub enterprises: Vec<Enterprise>,
}

impl Drawn {
    /// The head of the log: the SHA-256 of its last line, to publish.
    pub fn head(&self) -> Hash {
        self.log.head()
    }

    /// `targets.csv`: one row per drawn enterprise; with `excel`, a UTF-8 BOM first so that
    /// Excel shows Chinese.
    pub fn targets_csv(&self, excel: bool) -> Vec<u8> {
        crate::output::targets_csv(&self.drawn_targets(), &self.outcome, excel)
    }

    /// `teams.csv`: one row per team member, with the officers' public fields.
    pub fn teams_csv(&self, officers: &Officers, excel: bool) -> Vec<u8> {
        crate::output::teams_csv(&self.drawn_targets(), officers, &self.outcome, excel)
    }

    /// `teams.xlsx`: the team assignment sheet (抽查任务分配表) to print, one row per team,
    /// with officers' names and certificate numbers (a bureau document, not for publication).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Workbook`](crate::ErrorKind::Workbook) if the workbook cannot be assembled.
    #[cfg(feature = "xlsx")]
    pub fn assignment_sheet(&self, plan: &Plan, officers: &Officers) -> Result<Vec<u8>> {
        crate::output::assignment_sheet(
            plan,
            &self.drawn_targets(),
            officers,
            &self.outcome,
            &self.log.checkpoint(),
        )
    }

    fn drawn_targets(&self) -> Targets {
        Targets {
            records: self.enterprises.clone(),
            warnings: Vec::new(),
        }
    }
}

/// Refuses a reveal whose inputs differ from those frozen at commit time.
fn check_frozen(c: &CommitLog<'_>, plan: &Plan, targets: &Digest, officers: &Digest) -> Result<()> {
    let changed = c.changed(plan, targets, officers);
    if !changed.any() {
        return Ok(());
    }
    let what: Vec<&str> = [
        (changed.plan, "the plan"),
        (changed.targets, "the target directory"),
        (changed.officers, "the officer directory"),
    ]
    .into_iter()
    .filter_map(|(c, w)| c.then_some(w))
    .collect();
    Err(ErrorKind::Commit(format!(
        "the inputs changed since they were committed: {} differ from the digests the commit \
         log froze",
        what.join(", ")
    ))
    .into())
}

impl<'a> Draw<'a> {
    /// A draw of `plan`, with the plan's own seed if it has one.
    pub fn new(plan: &'a Plan) -> Self {
        Draw {
            plan,
            seed: None,
            history: Vec::new(),
            reveal: None,
        }
    }

    /// Draws a committed plan (SPEC.md §9.2): `commit_log` is the log
    /// [`ceremony::commit`](crate::ceremony::commit) made, `secret` the 32 bytes committed to,
    /// `entropy` the public value exactly as published (e.g. the dice faces in throwing
    /// order). The seed derives from all three, so neither the operator nor whoever produced
    /// the entropy could steer it; the draw's log continues the commit log. A seed given with
    /// [`seed`](Self::seed) cannot be combined with it (the plan's own `seed` is ignored),
    /// nor can [`history`](Self::history).
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
    /// use dualdraw::commit::EntropySource;
    /// let source = EntropySource::new("dice", "dice thrown at the public ceremony")?;
    /// let secret = [42u8; 32]; // from the operating system in real use
    /// let committed = dualdraw::ceremony::commit(&plan, &targets, &officers, &source, &secret);
    /// let commit_log = committed.log.to_bytes();
    /// // ... publish the commitment, throw the dice in public ...
    /// let drawn = dualdraw::Draw::new(&plan)
    ///     .reveal(&commit_log, secret, "3 1 4 1 5 9")
    ///     .run(&targets, &officers)?;
    /// assert!(drawn.log.to_bytes().starts_with(&commit_log));
    /// // A different secret does not open the commitment.
    /// let e = dualdraw::Draw::new(&plan).reveal(&commit_log, [0; 32], "3 1 4 1 5 9")
    ///     .run(&targets, &officers).unwrap_err();
    /// assert!(e.to_string().contains("does not open the commitment"));
    /// # Ok::<(), dualdraw::Error>(())
    /// ```
    pub fn reveal(mut self, commit_log: &'a [u8], secret: [u8; 32], entropy: &'a str) -> Self {
        self.reveal = Some(Reveal {
            commit_log,
            secret,
            entropy,
        });
        self
    }

    /// The seed (a rehearsal: the log says the operator chose it). It must agree with the
    /// plan's `seed` when the plan has one.
    pub fn seed(mut self, seed: &'a str) -> Self {
        self.seed = Some(seed);
        self
    }

    /// An earlier draw's log (its bytes, and a name for errors): nobody inspects an enterprise
    /// they inspected there (rotation, SPEC.md §5.7). Its hash chain is checked first.
    pub fn history(mut self, name: &'a str, log: &'a [u8]) -> Self {
        self.history.push((name, log));
        self
    }

    /// The seed to use: the one given, else the plan's.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Seed`] when neither gives a seed or both do and they differ.
    pub fn resolved_seed(&self) -> Result<&'a str> {
        match (self.seed, self.plan.seed.as_deref()) {
            (Some(a), Some(b)) if a != b => Err(ErrorKind::Seed(format!(
                "the seed {a:?} given for the draw differs from the plan's seed {b:?}; give one of them"
            ))
            .into()),
            (Some(s), _) | (None, Some(s)) => Ok(s),
            (None, None) => Err(ErrorKind::Seed(
                "no seed: give the draw a seed or set `seed` in the plan".into(),
            )
            .into()),
        }
    }

    fn apart(&self) -> Result<team::Apart> {
        let mut apart = team::Apart::from_plan(self.plan);
        let earlier: Vec<_> = self
            .history
            .iter()
            .map(|(name, bytes)| (name.into(), bytes.to_vec()))
            .collect();
        log::add_history(&mut apart, &earlier)?;
        Ok(apart)
    }

    /// Runs the draw on directories held in memory.
    ///
    /// # Errors
    ///
    /// A missing or invalid seed ([`ErrorKind::Seed`]), an earlier log that fails its chain
    /// check ([`ErrorKind::History`]), a stratum too small for its sample under
    /// `shortfall = "error"`, or teams that cannot be staffed lawfully
    /// ([`ErrorKind::TooFewOfficers`], [`ErrorKind::Infeasible`], with the reasons).
    pub fn run(&self, targets: &Targets, officers: &Officers) -> Result<Drawn> {
        let (seed, commit) = self.seed_and_commit()?;
        if let Some(c) = &commit {
            check_frozen(c, self.plan, &targets.digest(), &officers.digest())?;
        }
        let apart = self.apart()?;
        let selections = target::select(self.plan, targets, &seed)?;
        self.finish(
            &seed,
            commit.as_ref(),
            &apart,
            selections,
            targets.digest(),
            targets.warnings.clone(),
            officers,
        )
    }

    /// The seed, and the commit log it was revealed from (if any).
    fn seed_and_commit(&self) -> Result<(String, Option<CommitLog<'a>>)> {
        let Some(r) = &self.reveal else {
            return Ok((self.resolved_seed()?.to_string(), None));
        };
        // A plan's own `seed` is ignored here (SPEC.md §2): it is a rehearsal setting.
        if self.seed.is_some() {
            return Err(ErrorKind::Seed(
                "a committed draw takes its seed from the revealed secret and the public \
                 entropy; it cannot also be given one"
                    .into(),
            )
            .into());
        }
        if !self.history.is_empty() {
            return Err(ErrorKind::History(
                "a committed draw's inputs are frozen at commit time; earlier draws cannot be \
                 added at the reveal"
                    .into(),
            )
            .into());
        }
        let commit = CommitLog::read(r.commit_log)?;
        let seed = commit.open(&r.secret, r.entropy)?;
        Ok((seed, Some(commit)))
    }

    /// Runs the draw on a target directory streamed from `targets` (CSV sorted by id; `name`
    /// names it in errors) in one pass and bounded memory: O(drawn + strata), not
    /// O(directory). The result is byte-identical to [`run`](Self::run) on the same rows.
    /// `progress` hears how far the stream has come.
    ///
    /// # Errors
    ///
    /// Those of [`run`](Self::run), and a CSV or field error of the stream with its line, or
    /// an id out of order ([`ErrorKind::Unsorted`]).
    pub fn run_stream(
        &self,
        targets: impl Read + Send,
        name: &Path,
        officers: &Officers,
        progress: &mut dyn FnMut(Progress),
    ) -> Result<Drawn> {
        let (seed, commit) = self.seed_and_commit()?;
        let apart = self.apart()?;
        let s = target::select_stream(targets, name, self.plan, &seed, progress)?;
        if let Some(c) = &commit {
            check_frozen(c, self.plan, &s.digest, &officers.digest())?;
        }
        self.finish(
            &seed,
            commit.as_ref(),
            &apart,
            s.selections,
            s.digest,
            s.warnings,
            officers,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        seed: &str,
        commit: Option<&CommitLog<'_>>,
        apart: &team::Apart,
        selections: Vec<Selection>,
        targets: Digest,
        warnings: Vec<Warning>,
        officers: &Officers,
    ) -> Result<Drawn> {
        let mut enterprises: Vec<Enterprise> = selections
            .iter()
            .flat_map(|s| s.drawn.iter().map(|(_, e)| e.clone()))
            .collect();
        enterprises.sort_by(|a, b| a.id.cmp(&b.id));
        enterprises.dedup_by(|a, b| a.id == b.id);
        let outcome = team::staff_with(self.plan, selections, officers, apart)?;
        let header = Header {
            plan: self.plan,
            plan_digest: self.plan.digest,
            targets,
            officers: officers.digest(),
            seed,
            crate_version: CRATE_VERSION,
        };
        let log = match commit {
            None => log::chain(log::events(&header, &warnings, &outcome)),
            Some(c) => {
                let mut log = Log {
                    lines: vec![c.line().to_string()],
                };
                let secret = self.reveal.as_ref().map(|r| (r.secret, r.entropy));
                if let Some((secret, entropy)) = secret {
                    log.append(vec![log::reveal_event(&secret, entropy, seed)]);
                }
                log.append(log::draw_events(self.plan, &warnings, &outcome));
                log
            }
        };
        Ok(Drawn {
            outcome,
            log,
            seed: seed.to_string(),
            targets,
            officers: header.officers,
            warnings,
            enterprises,
        })
    }
}

/// Runs the whole draw: the targets, then the teams. Pure: same arguments, same outcome.
///
/// # Errors
///
/// [`ErrorKind::Seed`] for an invalid seed; [`ErrorKind::PoolTooSmall`] when a stratum has fewer
/// eligible enterprises than its sample asks for under `shortfall = "error"`;
/// [`ErrorKind::MissingClassRatio`] when a per-class sample gives no ratio for a populated class;
/// [`ErrorKind::TooFewOfficers`] or [`ErrorKind::Infeasible`] when the teams cannot be staffed
/// lawfully.
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
    crate::team::staff(plan, crate::target::select(plan, targets, seed)?, officers)
}
