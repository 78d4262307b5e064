//! The command-line operations as library functions: each loads its inputs, runs the pure core
//! and writes its outputs, returning a summary the binary prints.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::directory::{self, Digest, Officers, Targets, Warning};
use crate::draw::outcome::Outcome;
use crate::error::{ErrorKind, Result};
use crate::io::{self, Inputs};
use crate::log::{self, Header, Log};
use crate::merkle::Hash;
use crate::plan::Plan;
use crate::target;
use crate::target::Progress;
use crate::target::Selection;
use crate::team;
use crate::verify::{Report, Verify};

pub use crate::draw::CRATE_VERSION;
use crate::draw::Draw;

/// Where the target directory comes from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TargetSource {
    /// The file the plan names, read into memory.
    #[default]
    Plan,
    /// The file the plan names, streamed (it must be sorted by id).
    PlanStreamed,
    /// Another file (or `-` for standard input), streamed.
    Streamed(PathBuf),
}

/// Where the target directory comes from, as the command line says it (with the `cli`
/// feature these are the flags themselves).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct TargetOptions {
    /// Stream the target directory in one pass, bounded memory (sorted by id: `dualdraw sort`).
    #[cfg_attr(feature = "cli", arg(long))]
    pub stream: bool,
    /// Stream the target directory from this file (`-`: standard input); implies --stream.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub targets: Option<PathBuf>,
}

impl TargetOptions {
    /// The source these options name.
    pub fn source(&self) -> TargetSource {
        match (&self.targets, self.stream) {
            (Some(p), _) => TargetSource::Streamed(p.clone()),
            (None, true) => TargetSource::PlanStreamed,
            (None, false) => TargetSource::Plan,
        }
    }
}

/// Options of [`draw()`] (with the `cli` feature, the flags of `dualdraw draw`).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct DrawOptions {
    /// The seed (rehearsal mode); must agree with the plan's seed if it has one.
    #[cfg_attr(feature = "cli", arg(long))]
    pub seed: Option<String>,
    /// Output directory (must not exist or be empty); default `draw-<plan id>`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub out: Option<PathBuf>,
    /// For Excel: the CSV results with a UTF-8 BOM so Excel shows Chinese, and the team
    /// assignment sheet (抽查任务分配表) as `teams.xlsx`.
    #[cfg_attr(feature = "cli", arg(long))]
    pub excel: bool,
    /// Where the targets come from.
    #[cfg_attr(feature = "cli", command(flatten))]
    pub targets: TargetOptions,
    /// Draw a committed plan: the log `dualdraw commit` wrote, continued (needs --reveal, --entropy).
    #[cfg_attr(feature = "cli", arg(long, value_name = "LOG", requires_all = ["reveal", "entropy"], conflicts_with_all = ["seed", "out", "stream", "targets"]))]
    pub commit: Option<PathBuf>,
    /// The operator secret file written by `dualdraw commit`.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "SECRET_FILE", requires = "commit")
    )]
    pub reveal: Option<PathBuf>,
    /// The public entropy, exactly as published (e.g. the dice faces in throwing order).
    #[cfg_attr(feature = "cli", arg(long, value_name = "VALUE", requires = "commit"))]
    pub entropy: Option<String>,
    /// Earlier draw logs: their officers do not inspect the same enterprises again (rotation).
    #[cfg_attr(feature = "cli", arg(long, value_name = "LOG", num_args = 1.., conflicts_with = "commit"))]
    pub history: Vec<PathBuf>,
}

/// What [`draw()`] did.
#[derive(Debug, Clone)]
pub struct DrawSummary {
    /// The plan.
    pub plan: Plan,
    /// The seed used.
    pub seed: String,
    /// Target directory digest.
    pub targets: Digest,
    /// Officer directory digest.
    pub officers: Digest,
    /// Warnings about the inputs.
    pub warnings: Vec<Warning>,
    /// The drawn enterprises' records (for names in the summary).
    pub drawn: Targets,
    /// The outcome.
    pub outcome: Outcome,
    /// The log written.
    pub log: Log,
    /// The output directory.
    pub out: PathBuf,
    /// True for a committed draw (seed from secret and public entropy), false for a rehearsal.
    pub committed: bool,
}

fn default_out(plan_id: &str) -> PathBuf {
    let safe: String = plan_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    PathBuf::from(format!("draw-{safe}"))
}

/// Draws from the inputs already loaded, returning the outcome and its log. Pure.
///
/// # Errors
///
/// Those of [`Draw::run`](crate::Draw::run) with this seed.
pub fn draw_inputs(inputs: &Inputs, seed: &str) -> Result<(Outcome, Log)> {
    let selections = target::select(&inputs.plan, &inputs.targets, seed)?;
    staff_and_log(
        &inputs.plan,
        inputs.plan_digest,
        &inputs.officers,
        selections,
        inputs.targets.digest(),
        &inputs.targets.warnings,
        seed,
    )
}

/// Completes a draw whose targets are selected (in memory or streamed): draws the teams and
/// writes the log. Pure.
///
/// # Errors
///
/// Those of [`staff_and_log_with`].
pub fn staff_and_log(
    plan: &Plan,
    plan_digest: Hash,
    officers: &Officers,
    selections: Vec<Selection>,
    targets: Digest,
    warnings: &[Warning],
    seed: &str,
) -> Result<(Outcome, Log)> {
    staff_and_log_with(
        plan,
        plan_digest,
        officers,
        selections,
        targets,
        warnings,
        seed,
        &team::Apart::from_plan(plan),
    )
}

/// [`staff_and_log`] with the pairs kept apart given (recusals and rotation).
///
/// # Errors
///
/// [`ErrorKind::TooFewOfficers`] or [`ErrorKind::Infeasible`] when the teams cannot be
/// staffed lawfully.
#[allow(clippy::too_many_arguments)]
pub fn staff_and_log_with(
    plan: &Plan,
    plan_digest: Hash,
    officers: &Officers,
    selections: Vec<Selection>,
    targets: Digest,
    warnings: &[Warning],
    seed: &str,
    apart: &team::Apart,
) -> Result<(Outcome, Log)> {
    let outcome = team::staff_with(plan, selections, officers, apart)?;
    let header = Header {
        plan,
        plan_digest,
        targets,
        officers: officers.digest(),
        seed,
        crate_version: CRATE_VERSION,
    };
    let log = log::chain(log::events(&header, warnings, &outcome));
    Ok((outcome, log))
}

fn load_officers(plan_path: &Path, plan: &Plan) -> Result<Officers> {
    let path = plan_path
        .parent()
        .unwrap_or(Path::new(""))
        .join(&plan.officers);
    let (input, _) = io::open_directory(&path, directory::Which::Officers, &plan.input)?;
    directory::read_officers(input, &path)
}

/// A streamed pass stops at the first invalid cell of the target directory: read it again to
/// report every one (SPEC.md §3), if it is a file.
fn every_error(e: crate::Error, path: &Path, plan: &Plan) -> crate::Error {
    let in_targets = match e.kind() {
        ErrorKind::InvalidField { pos, .. } | ErrorKind::Csv { pos, .. } => pos.file == path,
        ErrorKind::RowCells(_) => true,
        _ => false,
    };
    if !in_targets || path == Path::new("-") {
        return e;
    }
    match open_targets(path, plan) {
        Ok(r) => directory::all_target_errors(r, path).unwrap_or(e),
        Err(_) => e,
    }
}

/// A target directory opened as the plan says it is to be read (SPEC.md §3.4).
fn open_targets(path: &Path, plan: &Plan) -> Result<Box<dyn Read + Send>> {
    Ok(io::open_directory(path, directory::Which::Targets, &plan.input)?.0)
}

/// `dualdraw draw`: load, draw, and write `draw.log`, `draw.head`, `targets.csv` and
/// `teams.csv` into a new output directory, all or nothing. `progress` hears from a streamed
/// directory.
///
/// # Errors
///
/// An input error ([`ErrorKind::Io`], [`ErrorKind::PlanInput`], a plan or CSV error with its
/// position), [`ErrorKind::OutputExists`] for an output folder that is not new, and the errors
/// of [`Draw::run`](crate::Draw::run) (or of the committed draw). Nothing is written then.
pub fn draw(
    plan_path: &Path,
    opts: &DrawOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<DrawSummary> {
    if let (Some(commit_log), Some(secret), Some(entropy)) =
        (&opts.commit, &opts.reveal, &opts.entropy)
    {
        let r = RevealOptions {
            commit_log: commit_log.clone(),
            secret: secret.clone(),
            entropy: entropy.clone(),
            excel: opts.excel,
        };
        return draw_committed(plan_path, &r);
    }
    let (plan, _) = io::load_plan(plan_path)?;
    let mut builder = Draw::new(&plan);
    if let Some(seed) = &opts.seed {
        builder = builder.seed(seed);
    }
    let seed = builder.resolved_seed()?.to_string();
    let out = opts.out.clone().unwrap_or_else(|| default_out(&plan.id));
    io::check_new_dir(&out)?;
    let officers = load_officers(plan_path, &plan)?;
    let mut earlier = Vec::new();
    for p in &opts.history {
        earlier.push((p.display().to_string(), io::read(p)?));
    }
    for (name, bytes) in &earlier {
        builder = builder.history(name, bytes);
    }
    let drawn = match &opts.targets.source() {
        TargetSource::Plan => {
            let path = targets_path(plan_path, &plan);
            let input = open_targets(&path, &plan).map_err(io::named_by("targets", plan_path))?;
            builder.run(
                &Targets::read_for(input, &path, plan.inspection_date)?,
                &officers,
            )?
        }
        source => {
            let (input, path) = streamed_input(plan_path, &plan, source)?;
            builder
                .run_stream(input, &path, &officers, progress)
                .map_err(|e| every_error(e, &path, &plan))?
        }
    };
    #[allow(unused_mut)] // without the `xlsx` feature nothing is added
    let mut files = vec![
        ("draw.log", drawn.log.to_bytes()),
        ("draw.head", drawn.log.checkpoint().to_text().into_bytes()),
        ("targets.csv", drawn.targets_csv(opts.excel)),
        ("teams.csv", drawn.teams_csv(&officers, opts.excel)),
    ];
    #[cfg(feature = "xlsx")]
    if opts.excel {
        files.push(("teams.xlsx", drawn.assignment_sheet(&plan, &officers)?));
    }
    io::write_new_dir(&out, &files)?;
    Ok(DrawSummary {
        plan: plan.clone(),
        seed,
        targets: drawn.targets,
        officers: drawn.officers,
        drawn: Targets {
            records: drawn.enterprises,
            warnings: Vec::new(),
        },
        warnings: drawn.warnings,
        outcome: drawn.outcome,
        log: drawn.log,
        out,
        committed: false,
    })
}

/// The file a streamed draw or verification reads (to show progress against its size), if
/// the source is a file.
pub fn streamed_path(plan_path: &Path, source: &TargetSource) -> Option<PathBuf> {
    match source {
        TargetSource::Plan => None,
        TargetSource::PlanStreamed => io::load_plan(plan_path)
            .ok()
            .map(|(p, _)| targets_path(plan_path, &p)),
        TargetSource::Streamed(p) => Some(p.clone()),
    }
}

fn targets_path(plan_path: &Path, plan: &Plan) -> PathBuf {
    plan_path
        .parent()
        .unwrap_or(Path::new(""))
        .join(&plan.targets)
}

/// The reader and name of a streamed target directory.
fn streamed_input(
    plan_path: &Path,
    plan: &Plan,
    source: &TargetSource,
) -> Result<(Box<dyn Read + Send>, PathBuf)> {
    let path = match source {
        TargetSource::Streamed(p) => p.clone(),
        _ => targets_path(plan_path, plan),
    };
    let mut input = open_targets(&path, plan);
    if *source == TargetSource::PlanStreamed {
        input = input.map_err(io::named_by("targets", plan_path));
    }
    Ok((input?, path))
}

impl fmt::Display for DrawSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.plan;
        writeln!(f, "plan {} — {}", p.id, p.title)?;
        writeln!(
            f,
            "inspection date {}, seed {:?} ({})",
            p.inspection_date,
            self.seed,
            if self.committed {
                "committed secret + public entropy"
            } else {
                "operator seed: rehearsal mode, not proof against steering"
            }
        )?;
        writeln!(
            f,
            "targets: {} records, officers: {} records, {} warnings",
            self.targets.count,
            self.officers.count,
            self.warnings.len()
        )?;
        for w in self.warnings.iter().take(20) {
            writeln!(
                f,
                "  warning: {}:{}: {} {}",
                w.file.display(),
                w.line,
                w.id,
                w.message
            )?;
        }
        if self.warnings.len() > 20 {
            writeln!(
                f,
                "  ... and {} more warnings (all in the log)",
                self.warnings.len() - 20
            )?;
        }
        for (task, t) in p.tasks.iter().zip(&self.outcome.tasks) {
            writeln!(
                f,
                "task {} ({}, {}):",
                t.task,
                task.domain,
                if task.is_directed() {
                    "directed"
                } else {
                    "non-directed"
                }
            )?;
            for s in &t.strata {
                writeln!(
                    f,
                    "  stratum {}: {} eligible, {} requested, {} drawn",
                    s.pool.stratum.name(),
                    s.pool.eligible,
                    s.pool.requested,
                    s.drawn
                )?;
            }
            for (d, team) in t.drawn.iter().zip(&t.teams).take(50) {
                let name = self
                    .drawn
                    .records
                    .binary_search_by(|e| e.id.as_str().cmp(&d.id))
                    .map_or("", |i| self.drawn.records[i].name.as_str());
                write!(
                    f,
                    "  #{} {} {}  team: {}",
                    d.rank,
                    d.id,
                    name,
                    team.officers.join(", ")
                )?;
                if !team.experts.is_empty() {
                    write!(f, " + experts {}", team.experts.join(", "))?;
                }
                writeln!(f)?;
            }
            if t.drawn.len() > 50 {
                writeln!(f, "  ... and {} more (see targets.csv)", t.drawn.len() - 50)?;
            }
        }
        writeln!(
            f,
            "wrote {} ({} lines)",
            self.out.join("draw.log").display(),
            self.log.lines.len()
        )?;
        write!(
            f,
            "checkpoint (draw.head):\n{}",
            self.log.checkpoint().to_text().trim_end()
        )
    }
}

/// `dualdraw verify`: verify a log against a plan. Uses `head` if given, else a `draw.head`
/// file beside the log if there is one. Returns the report and where the head came from.
///
/// # Errors
///
/// An input error for an unreadable log, head, plan or directory; a verification failure
/// ([`crate::Error::is_verification`]) from [`Verify::run`](crate::Verify::run).
pub fn verify(
    log_path: &Path,
    plan_path: &Path,
    head: Option<&str>,
    targets: &TargetSource,
    history: &[PathBuf],
    progress: &mut dyn FnMut(Progress),
) -> Result<(Report, Option<String>)> {
    let bytes = io::read_log(log_path)?;
    let (head, head_source) = match head {
        Some(h) => (Some(head_argument(h)?), None),
        None => match head_beside(log_path)? {
            Some((c, p)) => (Some(Published::Checkpoint(c)), Some(p)),
            None => (None, None),
        },
    };
    let (plan, _) = io::load_plan(plan_path)?;
    let officers = load_officers(plan_path, &plan)?;
    let mut earlier = Vec::new();
    for p in history {
        earlier.push((p.display().to_string(), io::read(p)?));
    }
    let mut check = Verify::new(&plan);
    match head {
        Some(Published::Checkpoint(c)) => check = check.checkpoint(c),
        Some(Published::Root(h)) => check = check.head(h),
        None => {}
    }
    for (name, bytes) in &earlier {
        check = check.history(name, bytes);
    }
    let report = match targets {
        // Every input is read before the log is examined, so that an invalid input is reported
        // (exit 2) even when the log is broken too (SPEC.md §7).
        TargetSource::Plan => {
            let path = targets_path(plan_path, &plan);
            let input = open_targets(&path, &plan).map_err(io::named_by("targets", plan_path))?;
            let t = Targets::read_for(input, &path, plan.inspection_date)?;
            check.run(&bytes, &t, &officers)?
        }
        // A streamed directory is read once, while the targets are drawn (SPEC.md §7 step 6).
        source => {
            let (input, path) = streamed_input(plan_path, &plan, source)?;
            check
                .run_stream(&bytes, input, &path, &officers, progress)
                .map_err(|e| every_error(e, &path, &plan))?
        }
    };
    // An auditor holding the private sidecar checks every reason commitment with it (SPEC.md
    // §9.5); a published folder has none.
    let mut report = report;
    let sidecar = log_path
        .parent()
        .unwrap_or(Path::new("."))
        .join(crate::reason::SIDECAR);
    if sidecar.exists() {
        let n = crate::reason::check_sidecar(&bytes, &io::read(&sidecar)?)?;
        report.private_reasons = Some(n);
    }
    Ok((report, head_source))
}

/// `dualdraw check`: validate the plan and directories and report pools, without drawing.
///
/// # Errors
///
/// An input error for the plan or a directory; the pools' sizes for a sample that cannot
/// be drawn ([`ErrorKind::InvalidField`] and the plan kinds).
pub fn check(plan: &Path) -> Result<String> {
    let inputs = io::load_inputs(plan)?;
    let report = crate::check::check(&inputs.plan, &inputs.targets, &inputs.officers)?;
    Ok(format!(
        "{report}\ntargets from {} ({})\nofficers from {} ({})\n",
        inputs.targets_path.display(),
        describe(&inputs.targets_audit),
        inputs.officers_path.display(),
        describe(&inputs.officers_audit),
    ))
}

/// How a directory file was read and what its header supplied (SPEC.md §3.4), so that an
/// absent optional column is said, never silent.
fn describe(a: &directory::Audit) -> String {
    let mut parts = Vec::new();
    if let Some(f) = a.form {
        let sep = match f.delimiter {
            b'\t' => "tab".to_string(),
            d => format!("'{}'", d as char),
        };
        parts.push(format!("{}, {sep}-separated", f.encoding));
    }
    if !a.supplied.is_empty() {
        parts.push(format!(
            "optional fields supplied: {}",
            a.supplied.join(", ")
        ));
    }
    for f in &a.absent {
        parts.push(match *f {
            "conflicts" => "no conflict declarations (回避企业) were supplied".to_string(),
            "expert" => "no expert flags (是否专家) were supplied: nobody is an expert".to_string(),
            "last_inspected" => {
                "no last-inspection dates (上次检查日期) were supplied: no recency exclusion"
                    .to_string()
            }
            "credit_class" => "no credit classes (信用等级) were supplied".to_string(),
            other => format!("no {other} column"),
        });
    }
    if !a.ignored.is_empty() {
        parts.push(format!("ignored columns: {}", a.ignored.join(", ")));
    }
    parts.join("; ")
}

/// `dualdraw sort`: sort a target directory by id in bounded memory. `input` and `output` may
/// be `-` (standard input and output). A file output is written atomically and never replaces
/// an existing file.
///
/// # Errors
///
/// [`ErrorKind::Io`] for the input or output, a CSV error with its line,
/// [`ErrorKind::OutputExists`] for an existing output file.
pub fn sort(
    input: &Path,
    output: &Path,
    opts: &crate::sort::SortOptions,
) -> Result<crate::sort::SortStats> {
    // Decoded and re-delimited as a draw reads it (SPEC.md §3.4): the sorted file is UTF-8 CSV.
    let (reader, _) = io::open_directory(
        input,
        directory::Which::Targets,
        &directory::InputRule::default(),
    )?;
    if output == Path::new("-") {
        let stdout = std::io::stdout().lock();
        return crate::sort::sort_targets(reader, input, std::io::BufWriter::new(stdout), opts);
    }
    io::write_new_file_with(output, |w| {
        crate::sort::sort_targets(reader, input, w, opts)
    })
}

/// `dualdraw gen-targets`: write a synthetic directory of `rows` rows, sorted by id.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the output cannot be written, [`ErrorKind::OutputExists`] when
/// the file exists.
pub fn gen_targets(rows: u64, seed: u64, output: &Path) -> Result<()> {
    if output == Path::new("-") {
        let stdout = std::io::stdout().lock();
        return crate::synth::targets(
            std::io::BufWriter::with_capacity(1 << 20, stdout),
            rows,
            seed,
        );
    }
    io::write_new_file_with(output, |w| crate::synth::targets(w, rows, seed))
}

mod checkpoint;
pub use checkpoint::{
    ConsistencyArgs, Published, consistency, head_argument, head_beside, parse_checkpoint,
};
mod proof;
pub use proof::{check_proof_command, prove_command};
mod reveal;
mod site;
pub use site::{SiteOptions, VERIFIER_ENV};

pub use reveal::{
    CommitOptions, CommitSummary, PublishSummary, RevealOptions, draw_committed, render,
};
#[cfg(feature = "os-rng")]
pub use reveal::{commit, commit_reason, replace};
mod results;
pub use results::{PublishArgs, RecordArgs, StatusArgs, publish, publish_on, record, status};
