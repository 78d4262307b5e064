//! The command-line operations as library functions: each loads its inputs, runs the pure core
//! and writes its outputs, returning a summary the binary prints.

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::directory::{self, Digest, Officers, Targets, Warning};
use crate::draw::{self, Outcome, Selection};
use crate::error::{ErrorKind, Result};
use crate::io::{self, Inputs};
use crate::log::Log;
use crate::merkle::Hash;
use crate::output;
use crate::plan::Plan;
use crate::stream::{self, Progress};
use crate::team;
use crate::verify::{self, Report};

pub use crate::draw::{CRATE_VERSION, staff_and_log, staff_and_log_with};

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

/// Options of [`draw()`].
#[derive(Debug, Clone, Default)]
pub struct DrawOptions {
    /// A seed from the command line; must agree with the plan's seed if both are given.
    pub seed: Option<String>,
    /// Output directory; default `draw-<plan id>` in the current directory.
    pub out: Option<PathBuf>,
    /// Prepend a UTF-8 BOM to the CSV results so Excel shows Chinese.
    pub excel: bool,
    /// Where the targets come from.
    pub targets: TargetSource,
    /// Earlier draw logs whose teams may not inspect the same enterprises again (rotation,
    /// SPEC.md §11.4).
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

fn resolve_seed(cli: Option<&str>, plan: Option<&str>) -> Result<String> {
    match (cli, plan) {
        (Some(a), Some(b)) if a != b => Err(ErrorKind::Seed(format!(
            "--seed {a:?} differs from the plan's seed {b:?}; give one of them"
        ))
        .into()),
        (Some(s), _) | (None, Some(s)) => Ok(s.to_string()),
        (None, None) => {
            Err(ErrorKind::Seed("no seed: pass --seed S or set `seed` in the plan".into()).into())
        }
    }
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
pub fn draw_inputs(inputs: &Inputs, seed: &str) -> Result<(Outcome, Log)> {
    draw::run_logged(
        &inputs.plan,
        inputs.plan_digest,
        &inputs.targets,
        &inputs.officers,
        seed,
    )
}

/// The target side of a draw: selections, digest, warnings, and the drawn records.
struct TargetSide {
    selections: Vec<Selection>,
    digest: Digest,
    warnings: Vec<Warning>,
}

fn open_input(path: &Path) -> Result<Box<dyn Read + Send>> {
    if path == Path::new("-") {
        Ok(Box::new(BufReader::with_capacity(
            1 << 20,
            std::io::stdin(),
        )))
    } else {
        let f = File::open(path).map_err(|source| ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Box::new(BufReader::with_capacity(1 << 20, f)))
    }
}

fn target_side(
    plan_path: &Path,
    plan: &Plan,
    source: &TargetSource,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<TargetSide> {
    let base = plan_path.parent().unwrap_or(Path::new(""));
    let path = match source {
        TargetSource::Plan => {
            let path = base.join(&plan.targets);
            let input = open_input(&path).map_err(io::named_by("targets", plan_path))?;
            let targets = Targets::read_for(input, &path, plan.inspection_date)?;
            return Ok(TargetSide {
                selections: draw::select(plan, &targets, seed)?,
                digest: targets.digest(),
                warnings: targets.warnings,
            });
        }
        TargetSource::PlanStreamed => base.join(&plan.targets),
        TargetSource::Streamed(p) => p.clone(),
    };
    let mut input = open_input(&path);
    if *source == TargetSource::PlanStreamed {
        input = input.map_err(io::named_by("targets", plan_path));
    }
    let s = stream::select_stream(input?, &path, plan, seed, progress)?;
    Ok(TargetSide {
        selections: s.selections,
        digest: s.digest,
        warnings: s.warnings,
    })
}

fn load_officers(plan_path: &Path, plan: &Plan) -> Result<Officers> {
    let path = plan_path
        .parent()
        .unwrap_or(Path::new(""))
        .join(&plan.officers);
    directory::read_officers(open_input(&path)?, &path)
}

/// `dualdraw draw`: load, draw, and write `draw.log`, `draw.head`, `targets.csv` and
/// `teams.csv` into a new output directory, all or nothing. `progress` hears from a streamed
/// directory.
pub fn draw(
    plan_path: &Path,
    opts: &DrawOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<DrawSummary> {
    let (plan, plan_digest) = io::load_plan(plan_path)?;
    let seed = resolve_seed(opts.seed.as_deref(), plan.seed.as_deref())?;
    let out = opts.out.clone().unwrap_or_else(|| default_out(&plan.id));
    io::check_new_dir(&out)?;
    let officers = load_officers(plan_path, &plan)?;
    let mut apart = team::Apart::from_plan(&plan);
    let mut earlier = Vec::new();
    for p in &opts.history {
        earlier.push((p.clone(), io::read(p)?));
    }
    draw::add_history(&mut apart, &earlier)?;
    let side = target_side(plan_path, &plan, &opts.targets, &seed, progress)?;
    let mut drawn: Vec<_> = side
        .selections
        .iter()
        .flat_map(|s| s.drawn.iter().map(|(_, e)| e.clone()))
        .collect();
    drawn.sort_by(|a, b| a.id.cmp(&b.id));
    drawn.dedup_by(|a, b| a.id == b.id);
    let drawn = Targets {
        records: drawn,
        warnings: Vec::new(),
    };
    let (outcome, log) = staff_and_log_with(
        &plan,
        plan_digest,
        &officers,
        side.selections,
        side.digest,
        &side.warnings,
        &seed,
        &apart,
    )?;
    let od = officers.digest();
    let files = [
        ("draw.log", log.to_bytes()),
        (
            "draw.head",
            format!("{}\n", hex::encode(log.head())).into_bytes(),
        ),
        (
            "targets.csv",
            output::targets_csv(&drawn, &outcome, opts.excel),
        ),
        (
            "teams.csv",
            output::teams_csv(&drawn, &officers, &outcome, opts.excel),
        ),
    ];
    io::write_new_dir(&out, &files)?;
    Ok(DrawSummary {
        plan,
        seed,
        targets: side.digest,
        officers: od,
        warnings: side.warnings,
        drawn,
        outcome,
        log,
        out,
        committed: false,
    })
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
        write!(f, "head {}", hex::encode(self.log.head()))
    }
}

/// `dualdraw verify`: verify a log against a plan. Uses `head` if given, else a `draw.head`
/// file beside the log if there is one. Returns the report and where the head came from.
pub fn verify(
    log_path: &Path,
    plan_path: &Path,
    head: Option<&str>,
    targets: &TargetSource,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Report, Option<String>)> {
    let bytes = io::read(log_path)?;
    let (head, head_source) = match head {
        Some(h) => (Some(parse_head(h, "--head")?), Some("--head".to_string())),
        None => {
            let p = log_path.with_file_name("draw.head");
            match std::fs::read_to_string(&p) {
                Ok(s) => (
                    Some(parse_head(s.trim(), &p.display().to_string())?),
                    Some(p.display().to_string()),
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => (None, None),
                // An unreadable head must not silently drop the truncation check.
                Err(source) => return Err(ErrorKind::Io { path: p, source }.into()),
            }
        }
    };
    let (plan, plan_digest) = io::load_plan(plan_path)?;
    let officers = load_officers(plan_path, &plan)?;
    if *targets == TargetSource::Plan {
        // Every input is read before the log is examined, so that an invalid input is reported
        // (exit 2) even when the log is broken too (SPEC.md §7).
        let path = plan_path
            .parent()
            .unwrap_or(Path::new(""))
            .join(&plan.targets);
        let input = open_input(&path).map_err(io::named_by("targets", plan_path))?;
        let t = Targets::read_for(input, &path, plan.inspection_date)?;
        let report = verify::verify(&bytes, head.as_ref(), &plan, &plan_digest, &t, &officers)?;
        return Ok((report, head_source));
    }
    // A streamed directory is read once, while the targets are drawn (SPEC.md §7 step 6).
    let report = verify::verify_with(
        &bytes,
        head.as_ref(),
        &plan,
        &plan_digest,
        &officers,
        |seed| {
            // A commitment not yet drawn needs the digest (and warnings) only: read the
            // directory for a plan without tasks, which draws nothing.
            let side = match seed {
                Some(seed) => target_side(plan_path, &plan, targets, seed, progress)?,
                None => {
                    let digest_only = Plan {
                        tasks: Vec::new(),
                        ..plan.clone()
                    };
                    target_side(plan_path, &digest_only, targets, "-", progress)?
                }
            };
            Ok(verify::Drawn {
                selections: Ok(side.selections),
                digest: side.digest,
                warnings: side.warnings,
            })
        },
    )?;
    Ok((report, head_source))
}

fn parse_head(s: &str, what: &str) -> Result<Hash> {
    let mut h = [0u8; 32];
    hex::decode_to_slice(s, &mut h).map_err(|_| ErrorKind::InvalidField {
        pos: crate::Position::file(what),
        found: s.to_string(),
        expected: "64 hexadecimal characters".into(),
    })?;
    Ok(h)
}

/// `dualdraw verify --history`: checks that a draw log's `history` and `rotation` events are
/// exactly those the earlier logs give (SPEC.md §11.4), after checking their chains.
pub fn check_history(log_path: &Path, plan_path: &Path, history: &[PathBuf]) -> Result<String> {
    let (plan, _) = io::load_plan(plan_path)?;
    let bytes = io::read(log_path)?;
    let lines = crate::verify::chain(&bytes)?;
    let logged = draw::apart_from_log(&plan, lines.iter().copied());
    let mut given = team::Apart::from_plan(&plan);
    let mut earlier = Vec::new();
    for p in history {
        earlier.push((p.clone(), io::read(p)?));
    }
    draw::add_history(&mut given, &earlier)?;
    if logged.history != given.history || logged.rotation != given.rotation {
        // The earlier logs are sound but the log disagrees with them: a verification failure.
        return Err(crate::error::VerifyError::History(format!(
            "the log's history ({} earlier logs, rotation pairs for {} enterprises) is not what the {} given logs give ({} logs, pairs for {} enterprises)",
            logged.history.len(),
            logged.rotation.len(),
            history.len(),
            given.history.len(),
            given.rotation.len()
        ))
        .into());
    }
    Ok(format!(
        "history: {} earlier logs, their chains intact; the rotation pairs of {} enterprises match the log",
        given.history.len(),
        given.rotation.len()
    ))
}

/// `dualdraw check`: validate the plan and directories and report pools, without drawing.
pub fn check(plan: &Path) -> Result<String> {
    use fmt::Write;
    let inputs = io::load_inputs(plan)?;
    let p = &inputs.plan;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "plan {} — {} (inspection date {})",
        p.id, p.title, p.inspection_date
    );
    let td = inputs.targets.digest();
    let od = inputs.officers.digest();
    let _ = writeln!(
        s,
        "targets  {}: {} records, head {}",
        inputs.targets_path.display(),
        td.count,
        hex::encode(td.head)
    );
    let _ = writeln!(
        s,
        "officers {}: {} records, head {}",
        inputs.officers_path.display(),
        od.count,
        hex::encode(od.head)
    );
    for w in &inputs.targets.warnings {
        let _ = writeln!(
            s,
            "warning: {}:{}: {} {}",
            w.file.display(),
            w.line,
            w.id,
            w.message
        );
    }
    let apart = team::Apart::from_plan(p);
    let mut max_places = 0u64;
    let mut people = std::collections::BTreeSet::new();
    for task in &p.tasks {
        let pool = draw::pool(p, task, &inputs.targets)?;
        let _ = writeln!(
            s,
            "task {} ({}, {}): {} excluded as recently inspected",
            task.id,
            task.domain,
            if task.is_directed() {
                "directed"
            } else {
                "non-directed"
            },
            pool.excluded_recent
        );
        for sp in &pool.strata {
            let _ = writeln!(
                s,
                "  stratum {}: {} eligible, {} requested",
                sp.stratum.name(),
                sp.eligible,
                sp.requested
            );
        }
        // §5.5 steps 2–3 for every enterprise of the pool, as if drawn alone (SPEC.md §11.3).
        let members: Vec<&crate::directory::Enterprise> =
            pool.members.iter().map(|(_, e)| *e).collect();
        let c = draw::check_pool(task, p.inspection_date, &members, &inputs.officers, &apart);
        if let Some((n, id)) = &c.fewest {
            let _ = writeln!(
                s,
                "  officers: at least {n} eligible for every enterprise of the pool (fewest: {id}); team size {}{}",
                task.team.size,
                if c.failing > 0 {
                    format!(
                        " — TOO FEW: {} enterprise(s) of the pool cannot be staffed; a draw that picks one fails, e.g. {}",
                        c.failing,
                        c.first
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    )
                } else {
                    String::new()
                }
            );
        }
        max_places += pool.strata.iter().map(|x| x.requested).sum::<u64>()
            * (task.team.size + task.team.experts);
        people.extend(c.people);
    }
    // Hall's condition for the whole plan with a fixed cap: whatever the seed draws, the
    // places cannot exceed what the people eligible anywhere can supply.
    let _ = write!(
        s,
        "workload cap: {}; at most {max_places} places, {} people eligible for some place",
        match p.max_per_officer {
            crate::plan::CapRule::Balanced => "balanced".to_string(),
            crate::plan::CapRule::Strict => "strict".to_string(),
            crate::plan::CapRule::None => "none".to_string(),
            crate::plan::CapRule::Fixed(n) => n.to_string(),
        },
        people.len()
    );
    if let crate::plan::CapRule::Fixed(c) = p.max_per_officer {
        let supply = people.len() as u64 * u64::from(c);
        if supply < max_places {
            let _ = write!(
                s,
                " — HALL'S CONDITION FAILS if every task draws its full sample: {} people × cap {c} = {supply} < {max_places} places",
                people.len()
            );
        }
    }
    s.push('\n');
    Ok(s)
}

/// `dualdraw sort`: sort a target directory by id in bounded memory. `input` and `output` may
/// be `-` (standard input and output). A file output is written atomically and never replaces
/// an existing file.
pub fn sort(
    input: &Path,
    output: &Path,
    opts: &crate::sort::SortOptions,
) -> Result<crate::sort::SortStats> {
    let reader = open_input(input)?;
    if output == Path::new("-") {
        let stdout = std::io::stdout().lock();
        return crate::sort::sort_targets(reader, input, std::io::BufWriter::new(stdout), opts);
    }
    io::write_new_file_with(output, |w| {
        crate::sort::sort_targets(reader, input, w, opts)
    })
}

/// `dualdraw gen-targets`: write a synthetic directory of `rows` rows, sorted by id.
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

mod reveal;

#[cfg(feature = "os-rng")]
pub use reveal::commit;
pub use reveal::{
    CommitOptions, CommitSummary, PublishSummary, RevealOptions, draw_committed, publish, replace,
};
