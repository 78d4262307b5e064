//! The `dualdraw` command: it parses arguments, calls the library, prints, and maps errors to
//! exit codes (0 success, 1 a verification failed, 2 bad input or usage). Nothing else.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use dualdraw::commands::{self, TargetSource};
use dualdraw::proof::ProofError;
use dualdraw::target::Progress;

/// Reproducible, verifiable double-random (双随机、一公开) inspection draws.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// A draw log and the plan it ran.
#[derive(clap::Args)]
struct LogAndPlan {
    /// The draw log.
    log: PathBuf,
    /// The plan the draw ran.
    #[arg(long)]
    plan: PathBuf,
}

#[derive(Subcommand)]
enum Command {
    /// Run a draw and write draw.log, draw.head, targets.csv and teams.csv into a new directory.
    Draw {
        /// The plan (TOML).
        plan: PathBuf,
        #[command(flatten)]
        opts: commands::DrawOptions,
    },
    /// Freeze a plan and its directories and commit to an operator secret, before the draw.
    Commit(CommitArgs),
    /// Replace an officer who cannot attend by the next lawful one, as a new reasoned log entry.
    Replace(ReplaceArgs),
    /// Write a self-contained folder to publish (一公开), recorded in the log; personal data only where the plan says.
    Publish(commands::PublishArgs),
    /// Record an inspection result (抽查检查结果) in the log, or a team's CSV of them.
    Record(commands::RecordArgs),
    /// Each visit: no result / recorded / published / overdue (20 working days); exit 1 if overdue.
    Status(commands::StatusArgs),
    /// Write a drawn log's head and tables again from the verified log (after a crash).
    Render {
        #[command(flatten)]
        at: LogAndPlan,
        /// Write the CSV results with a UTF-8 BOM so Excel shows Chinese, and teams.xlsx (抽查任务分配表)
        #[arg(long)]
        excel: bool,
    },
    /// Verify a draw log: its chain, its inputs' digests, and a full re-run of the draw.
    Verify(VerifyArgs),
    /// Validate a plan and its directories and print pool sizes, without drawing.
    Check {
        /// The plan (TOML).
        plan: PathBuf,
    },
    /// Sort a target directory by id in bounded memory, so that it can be streamed.
    Sort(SortArgs),
    /// Prove one enterprise's fate: a JSON proof checkable without the directories (SPEC §10).
    Prove {
        #[command(flatten)]
        at: LogAndPlan,
        /// The enterprise's unified social credit code.
        #[arg(long)]
        enterprise: String,
        /// Write the proof to this new file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a per-enterprise proof against the published checkpoint, without any directory or log.
    CheckProof {
        /// The proof (JSON).
        proof: PathBuf,
        /// The published checkpoint file (draw.head), or its root hash (64 hex characters).
        #[arg(long, alias = "head")]
        checkpoint: String,
    },
    /// Seal a private recusal reason (CATEGORY：TEXT) for the plan, with its sidecar line.
    CommitReason { reason: String },
    /// Prove (RFC 9162) that a log, or a proof file, extends an earlier checkpoint such as the commit's.
    Consistency(commands::ConsistencyArgs),
    /// Write a synthetic target directory, sorted by id, for benches and scale tests.
    GenTargets {
        /// Number of enterprises.
        #[arg(long)]
        rows: u64,
        /// Generator seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output CSV (`-` for standard output).
        #[arg(short, long, default_value = "-")]
        output: PathBuf,
    },
}

#[derive(clap::Args)]
struct CommitArgs {
    /// The plan (TOML).
    plan: PathBuf,
    /// New folder for the commit log, frozen copies and the secret.
    #[arg(long)]
    out: PathBuf,
    /// Kind of the public entropy named in advance: dice, beacon, stock-index or other.
    #[arg(long)]
    entropy_kind: String,
    /// Which public value will be used, e.g. "dice thrown at the public ceremony on 2020-10-15".
    #[arg(long)]
    entropy_source: String,
}

#[derive(clap::Args)]
struct ReplaceArgs {
    #[command(flatten)]
    at: LogAndPlan,
    /// Task id.
    #[arg(long)]
    task: String,
    /// The enterprise's unified social credit code.
    #[arg(long)]
    enterprise: String,
    /// The officer who cannot attend.
    #[arg(long)]
    officer: String,
    /// Why: a category (病假, 休假/事假, 利益冲突/回避, 岗位调整, 其他), then optionally `：` and
    /// free text, published only with `[publish] reasons = true` (else committed, SPEC §9.5).
    #[arg(long)]
    reason: String,
}

#[derive(clap::Args)]
struct VerifyArgs {
    #[command(flatten)]
    at: LogAndPlan,
    /// The published checkpoint file, or its root hash (64 hex); detects truncation.
    #[arg(long)]
    head: Option<String>,
    #[command(flatten)]
    targets: commands::TargetOptions,
    /// The earlier logs the draw used (`draw --history`): its rotation must be what they give.
    #[arg(long, value_name = "LOG", num_args = 1..)]
    history: Vec<PathBuf>,
}

#[derive(clap::Args)]
struct SortArgs {
    /// Input CSV (`-` for standard input).
    input: PathBuf,
    /// Output CSV (`-` for standard output); an existing file is never replaced.
    #[arg(short, long)]
    output: PathBuf,
    /// Memory budget for rows held at once, in MiB (peak use is about twice this).
    #[arg(long, default_value_t = 128)]
    memory_mib: usize,
    /// Folder for temporary run files.
    #[arg(long)]
    tmp_dir: Option<PathBuf>,
}

/// A progress line on standard error while `work` runs, when standard error is a terminal.
fn with_progress<T>(
    plan: &std::path::Path,
    source: &TargetSource,
    work: impl FnOnce(&mut dyn FnMut(Progress)) -> T,
) -> T {
    let (start, tty) = (Instant::now(), std::io::stderr().is_terminal());
    let total = commands::streamed_path(plan, source)
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    let out = work(&mut |p: Progress| {
        if tty {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[K{}",
                p.render(start.elapsed(), total)
            );
        }
    });
    if tty {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
    out
}

/// An error's message, and whether it is a failed verification (exit 1) rather than bad input.
type Failure = (String, bool);

fn fail(e: dualdraw::Error) -> Failure {
    (e.to_string(), e.is_verification())
}

fn run(command: Command) -> Result<String, Failure> {
    match command {
        Command::Draw { plan, opts } => with_progress(&plan, &opts.targets.source(), |bar| {
            commands::draw(&plan, &opts, bar)
        })
        .map(|s| s.to_string()),
        Command::Verify(a) => {
            let (at, targets) = (a.at, a.targets.source());
            with_progress(&at.plan, &targets, |bar| {
                commands::verify(
                    &at.log,
                    &at.plan,
                    a.head.as_deref(),
                    &targets,
                    &a.history,
                    bar,
                )
            })
            .map(|(r, from)| match from {
                Some(file) => format!("{r}\n(published head read from {file})"),
                None => r.to_string(),
            })
        }
        Command::Check { plan } => commands::check(&plan),
        Command::Render { at, excel } => commands::render(&at.log, &at.plan, excel),
        Command::Commit(a) => {
            dualdraw::commit::EntropySource::new(&a.entropy_kind, &a.entropy_source)
                .and_then(|entropy| {
                    commands::commit(
                        &a.plan,
                        &commands::CommitOptions {
                            out: a.out,
                            entropy,
                        },
                    )
                })
                .map(|s| s.to_string())
        }
        Command::Replace(a) => {
            dualdraw::team::ReplacementRequest::stated(a.task, a.enterprise, a.officer, &a.reason)
                .and_then(|request| commands::replace(&a.at.log, &a.at.plan, request))
                .map(|(r, head)| format!("{r}\nhead {}", hex::encode(head)))
        }
        Command::Publish(a) => commands::publish_on(&a).map(|s| s.to_string()),
        Command::Record(a) => commands::record(&a),
        Command::Status(a) => commands::status(&a),
        Command::Sort(a) => {
            let opts = dualdraw::sort::SortOptions {
                memory: a.memory_mib << 20,
                tmp_dir: a.tmp_dir,
            };
            commands::sort(&a.input, &a.output, &opts).map(|s| s.to_string())
        }
        Command::Prove {
            at,
            enterprise,
            out,
        } => commands::prove_command(&at.log, &at.plan, &enterprise, out.as_deref()),
        // A proof check has its own error: rejected (exit 1) or unreadable (exit 2).
        Command::CheckProof { proof, checkpoint } => {
            return commands::check_proof_command(&proof, &checkpoint)
                .map(|checked| checked.to_string())
                .map_err(|e| (e.to_string(), matches!(e, ProofError::Failed { .. })));
        }
        Command::Consistency(a) => commands::consistency(&a),
        Command::CommitReason { reason } => commands::commit_reason(&reason),
        Command::GenTargets { rows, seed, output } => {
            commands::gen_targets(rows, seed, &output).map(|()| String::new())
        }
    }
    .map_err(fail)
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match run(cli.command) {
        // Nothing to say (e.g. the CSV went to standard output).
        Ok(text) if text.is_empty() => ExitCode::SUCCESS,
        Ok(text) => {
            // A closed stdout (e.g. `| head`) is not an error of the draw.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err((message, failed)) => {
            let _ = writeln!(std::io::stderr(), "error: {message}");
            ExitCode::from(if failed { 1 } else { 2 })
        }
    }
}
