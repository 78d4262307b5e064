//! The command-line operations as library functions: each loads its inputs, runs the pure core
//! and writes its outputs, returning a summary the binary prints.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::draw::{self, Outcome};
use crate::error::{ErrorKind, Result};
use crate::io::{self, Inputs};
use crate::log::{self, Header, Log};
use crate::merkle::Hash;
use crate::output;
use crate::team;
use crate::verify::{self, Report};

/// The version of this crate, written into log headers.
pub const CRATE_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Options of [`draw`].
#[derive(Debug, Clone, Default)]
pub struct DrawOptions {
    /// A seed from the command line; must agree with the plan's seed if both are given.
    pub seed: Option<String>,
    /// Output directory; default `draw-<plan id>` in the current directory.
    pub out: Option<PathBuf>,
    /// Prepend a UTF-8 BOM to the CSV results so Excel shows Chinese.
    pub excel: bool,
}

/// What [`draw`] did.
#[derive(Debug, Clone)]
pub struct DrawSummary {
    /// The loaded inputs.
    pub inputs: Inputs,
    /// The seed used.
    pub seed: String,
    /// The outcome.
    pub outcome: Outcome,
    /// The log written.
    pub log: Log,
    /// The output directory.
    pub out: PathBuf,
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
    let outcome = draw::run(&inputs.plan, &inputs.targets, &inputs.officers, seed)?;
    let header = Header {
        plan: &inputs.plan,
        plan_digest: inputs.plan_digest,
        targets: inputs.targets.digest(),
        officers: inputs.officers.digest(),
        seed,
        crate_version: CRATE_VERSION,
    };
    let log = log::record(&header, &inputs.targets, &outcome);
    Ok((outcome, log))
}

/// `dualdraw draw`: load, draw, and write `draw.log`, `draw.head`, `targets.csv`, `teams.csv`
/// into a new output directory, all or nothing.
pub fn draw(plan: &Path, opts: &DrawOptions) -> Result<DrawSummary> {
    let inputs = io::load_inputs(plan)?;
    let seed = resolve_seed(opts.seed.as_deref(), inputs.plan.seed.as_deref())?;
    let out = opts
        .out
        .clone()
        .unwrap_or_else(|| default_out(&inputs.plan.id));
    io::check_new_dir(&out)?;
    let (outcome, log) = draw_inputs(&inputs, &seed)?;
    let files = [
        ("draw.log", log.to_bytes()),
        (
            "draw.head",
            format!("{}\n", hex::encode(log.head())).into_bytes(),
        ),
        (
            "targets.csv",
            output::targets_csv(&inputs.targets, &outcome, opts.excel),
        ),
        (
            "teams.csv",
            output::teams_csv(&inputs.targets, &inputs.officers, &outcome, opts.excel),
        ),
    ];
    io::write_new_dir(&out, &files)?;
    Ok(DrawSummary {
        inputs,
        seed,
        outcome,
        log,
        out,
    })
}

impl fmt::Display for DrawSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.inputs.plan;
        writeln!(f, "plan {} — {}", p.id, p.title)?;
        writeln!(
            f,
            "inspection date {}, seed {:?} (operator seed: rehearsal mode)",
            p.inspection_date, self.seed
        )?;
        writeln!(
            f,
            "targets: {} records, officers: {} records, {} warnings",
            self.inputs.targets.records.len(),
            self.inputs.officers.records.len(),
            self.inputs.targets.warnings.len()
        )?;
        for w in &self.inputs.targets.warnings {
            writeln!(
                f,
                "  warning: {}:{}: {} {}",
                w.file.display(),
                w.line,
                w.id,
                w.message
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
            for (d, team) in t.drawn.iter().zip(&t.teams) {
                let name = self
                    .inputs
                    .targets
                    .records
                    .binary_search_by(|e| e.id.as_str().cmp(&d.id))
                    .map_or("", |i| self.inputs.targets.records[i].name.as_str());
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
/// file beside the log if there is one.
pub fn verify(
    log_path: &Path,
    plan: &Path,
    head: Option<&str>,
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
                Err(_) => (None, None),
            }
        }
    };
    let inputs = io::load_inputs(plan)?;
    let report = verify::verify(
        &bytes,
        head.as_ref(),
        &inputs.plan,
        &inputs.plan_digest,
        &inputs.targets,
        &inputs.officers,
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
        // The fewest officers any enterprise of the pool could draw from: a draw that picks it
        // would fail if this is below the team size.
        let worst = pool
            .members
            .iter()
            .map(|(_, e)| {
                let n = inputs
                    .officers
                    .records
                    .iter()
                    .filter(|o| team::exclusion(o, e, task, p.inspection_date, false).is_none())
                    .count();
                (n, &e.id)
            })
            .min();
        if let Some((n, id)) = worst {
            let _ = writeln!(
                s,
                "  officers: at least {n} eligible for every enterprise of the pool (fewest: {id}); team size {}{}",
                task.team.size,
                if (n as u64) < task.team.size {
                    " — TOO FEW: the draw may fail"
                } else {
                    ""
                }
            );
        }
    }
    Ok(s)
}
