//! Verifier of a published draw folder, on the library's pure core.
//!
//! ```text
//! verify_folder PLAN LOG [--head HEAD]  verify LOG against PLAN and the directories it names
//! verify_folder PLAN --draw SEED        run the draw and write its log bytes to standard output
//! ```
//!
//! This is what a service that re-checks published draws needs, and nothing more: it reads the
//! plan file, the two directory files the plan names (relative to the plan's folder) and the
//! log, and hands their contents to value-based library functions. It uses no crate feature
//! (`--no-default-features`), so it builds natively and for `wasm32-wasip1`, where `std::fs`
//! reaches the folders the WebAssembly host preopens:
//!
//! ```sh
//! cargo run --example verify_folder -- fixtures/tianjin-2020/plan.toml demo-draw/draw.log
//! cargo build --release --example verify_folder --target wasm32-wasip1 --no-default-features
//! ```
//!
//! The head is the one published with the log: `--head HEX`, otherwise `draw.head` beside the
//! log if there is one. Without a head a log truncated after its last line cannot be detected,
//! and the report says so. Exit codes as `dualdraw verify`: 0 verified, 1 verification failed,
//! 2 bad input or usage.

#![forbid(unsafe_code)]

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use dualdraw::directory::{self, Officers, Targets};
use dualdraw::merkle::Hash;
use dualdraw::{Draw, Error, ErrorKind, Plan, Report, Verify};

/// What the command line asks for. (`pub`, like `parse_args` and `run`: `tests/wasm.rs` runs
/// this file natively, as a module, to compare with the WebAssembly build.)
pub enum Job {
    /// Verify a log, against this head if given.
    Verify { log: PathBuf, head: Option<String> },
    /// Draw with this seed and print the log.
    Draw { seed: String },
}

const USAGE: &str =
    "usage: verify_folder PLAN LOG [--head HEX]\n       verify_folder PLAN --draw SEED";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((plan_path, job)) = parse_args(&args) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    match run(&plan_path, job) {
        Ok(out) => {
            // A closed stdout (e.g. `| head`) is not an error of the verification.
            let _ = std::io::stdout().write_all(&out);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(if e.is_verification() { 1 } else { 2 })
        }
    }
}

/// `PLAN --draw SEED`, `PLAN LOG` or `PLAN LOG --head HEX`; `None` for anything else.
pub fn parse_args(args: &[String]) -> Option<(PathBuf, Job)> {
    match args {
        [plan, flag, seed] if flag == "--draw" => {
            Some((plan.into(), Job::Draw { seed: seed.clone() }))
        }
        [plan, log] => Some((
            plan.into(),
            Job::Verify {
                log: log.into(),
                head: None,
            },
        )),
        [plan, log, flag, head] if flag == "--head" => Some((
            plan.into(),
            Job::Verify {
                log: log.into(),
                head: Some(head.clone()),
            },
        )),
        _ => None,
    }
}

/// Loads the inputs, then draws or verifies; returns the bytes to print.
pub fn run(plan_path: &Path, job: Job) -> Result<Vec<u8>, Error> {
    // Every input is read before the log is examined, so that a bad input is reported as such
    // (exit 2) even when the log is broken too.
    let (plan, targets, officers) = load(plan_path)?;
    match job {
        Job::Draw { seed } => {
            let drawn = Draw::new(&plan).seed(&seed).run(&targets, &officers)?;
            Ok(drawn.log.to_bytes())
        }
        Job::Verify { log, head } => {
            let (head, head_source) = published_head(&log, head.as_deref())?;
            let bytes = read(&log)?;
            let mut check = Verify::new(&plan);
            if let Some(h) = head {
                check = check.head(h);
            }
            let report = check.run(&bytes, &targets, &officers)?;
            Ok(report_text(&report, head_source).into_bytes())
        }
    }
}

/// The plan (whose digest is the SHA-256 of its file, as a log header records) and both
/// directories.
pub fn load(plan_path: &Path) -> Result<(Plan, Targets, Officers), Error> {
    let plan = Plan::parse(&read(plan_path)?, plan_path)?;
    let base = plan_path.parent().unwrap_or(Path::new(""));
    // The warnings a log records are those of the plan's inspection date, so the target
    // directory is read for that date.
    let targets_path = base.join(&plan.targets);
    let targets = Targets::read_for(open(&targets_path)?, &targets_path, plan.inspection_date)?;
    let officers_path = base.join(&plan.officers);
    let officers = directory::read_officers(open(&officers_path)?, &officers_path)?;
    Ok((plan, targets, officers))
}

/// The head to check the log against, and where it came from.
pub fn published_head(log: &Path, given: Option<&str>) -> Result<(Option<Hash>, String), Error> {
    if let Some(h) = given {
        return Ok((
            Some(parse_head(h, Path::new("the published head"))?),
            "the published head".into(),
        ));
    }
    let beside = log.with_file_name("draw.head");
    match std::fs::read_to_string(&beside) {
        Ok(text) => Ok((
            Some(parse_head(&text, &beside)?),
            beside.display().to_string(),
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((None, String::new())),
        // An unreadable head must not silently drop the truncation check.
        Err(source) => Err(io_error(&beside, source)),
    }
}

/// A published head: a checkpoint (SPEC.md §6.3; its root is the head), or its root alone as 64
/// hex digits.
fn parse_head(text: &str, from: &Path) -> Result<Hash, Error> {
    let mut h = [0u8; 32];
    if hex::decode_to_slice(text.trim(), &mut h).is_ok() {
        return Ok(h);
    }
    let full = format!("{}\n", text.strip_suffix('\n').unwrap_or(text));
    dualdraw::log::Checkpoint::parse(&full)
        .map(|c| c.root)
        .map_err(|e| {
            Error::from(ErrorKind::InvalidField {
                pos: dualdraw::Position::file(from),
                found: text.trim().to_string(),
                expected: format!("a checkpoint or 64 hexadecimal characters ({e})"),
            })
        })
}

/// The report, one fact per line (the `wasm` test compares it byte for byte across targets;
/// `site_verifier` prints it too).
pub fn report_text(r: &Report, head_source: String) -> String {
    let head_check = if head_source.is_empty() {
        "no published head given: truncation after the last line cannot be excluded".to_string()
    } else {
        format!("matches {head_source}")
    };
    format!(
        "verified: hash chain, plan and directory digests, and a re-run of the draw\n\
         lines {}\nhead {}\nhead check: {head_check}\nmode {}\ndrawn {}\nseed {:?}\n\
         tasks {}\ntargets {}\nteams {}\nwarnings {}\nreplacements {}\n",
        r.lines,
        hex::encode(r.head),
        r.mode.as_str(),
        r.drawn,
        r.seed,
        r.tasks,
        r.targets,
        r.teams,
        r.warnings,
        r.replacements,
    )
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| io_error(path, e))
}

fn open(path: &Path) -> Result<BufReader<File>, Error> {
    File::open(path)
        .map(BufReader::new)
        .map_err(|e| io_error(path, e))
}

fn io_error(path: &Path, source: std::io::Error) -> Error {
    ErrorKind::Io {
        path: path.to_path_buf(),
        source,
    }
    .into()
}
