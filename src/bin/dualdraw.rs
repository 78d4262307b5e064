//! The `dualdraw` command: argument parsing and printing only; the work is in the library.

#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use dualdraw::commands::{self, TargetSource};
use dualdraw::stream::Progress;

/// Reproducible, verifiable double-random (双随机、一公开) inspection draws.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Args)]
struct Targets {
    /// Stream the target directory in one pass and bounded memory (it must be sorted by id;
    /// see `dualdraw sort`). The result is identical to the in-memory draw.
    #[arg(long)]
    stream: bool,
    /// Stream the target directory from this file instead of the plan's (`-` for standard
    /// input); implies --stream.
    #[arg(long, value_name = "FILE")]
    targets: Option<PathBuf>,
}

impl Targets {
    fn source(self) -> TargetSource {
        match (self.targets, self.stream) {
            (Some(p), _) => TargetSource::Streamed(p),
            (None, true) => TargetSource::PlanStreamed,
            (None, false) => TargetSource::Plan,
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run a draw and write draw.log, draw.head, targets.csv and teams.csv into a new directory.
    Draw {
        /// The plan (TOML).
        plan: PathBuf,
        /// The seed (rehearsal mode); must agree with the plan's seed if it has one.
        #[arg(long)]
        seed: Option<String>,
        /// Output directory (must not exist or be empty); default draw-<plan id>.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write the CSV results with a UTF-8 BOM so Excel shows Chinese.
        #[arg(long)]
        excel: bool,
        #[command(flatten)]
        targets: Targets,
        /// Draw a committed plan: the commit log written by `dualdraw commit` (DIR/draw.log);
        /// the draw continues that log. Needs --reveal and --entropy.
        #[arg(long, value_name = "LOG", requires_all = ["reveal", "entropy"], conflicts_with_all = ["seed", "out", "stream", "targets"])]
        commit: Option<PathBuf>,
        /// The operator secret file written by `dualdraw commit`.
        #[arg(long, value_name = "SECRET_FILE", requires = "commit")]
        reveal: Option<PathBuf>,
        /// The public entropy, exactly as published (e.g. the dice faces in throwing order).
        #[arg(long, value_name = "VALUE", requires = "commit")]
        entropy: Option<String>,
        /// Earlier draw logs (chains checked): their officers do not inspect the same
        /// enterprises again (rotation).
        #[arg(long, value_name = "LOG", num_args = 1.., conflicts_with = "commit")]
        history: Vec<PathBuf>,
    },
    /// Freeze a plan and its directories and commit to an operator secret, before the draw.
    Commit {
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
    },
    /// Replace an officer who cannot attend by the next lawful officer in the enterprise's seeded
    /// order, as a new reasoned log entry.
    Replace {
        /// The draw log.
        log: PathBuf,
        /// The plan the draw ran.
        #[arg(long)]
        plan: PathBuf,
        /// Task id.
        #[arg(long)]
        task: String,
        /// The enterprise's unified social credit code.
        #[arg(long)]
        enterprise: String,
        /// The officer who cannot attend.
        #[arg(long)]
        officer: String,
        /// Why (recorded in the log).
        #[arg(long)]
        reason: String,
    },
    /// Write a self-contained folder to publish (一公开): log, head, plan, digests, seed
    /// materials, results; officers' personal data only where the plan marks it public.
    Publish {
        /// The draw log.
        log: PathBuf,
        /// The plan the draw ran.
        #[arg(long)]
        plan: PathBuf,
        /// New folder to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a draw log: its chain, its inputs' digests, and a full re-run of the draw.
    Verify {
        /// The draw log.
        log: PathBuf,
        /// The plan the draw ran.
        #[arg(long)]
        plan: PathBuf,
        /// The published head (64 hex characters); detects truncation.
        #[arg(long)]
        head: Option<String>,
        #[command(flatten)]
        targets: Targets,
        /// The earlier draw logs the draw used for rotation (`draw --history`): checks that the
        /// log's `history` and `rotation` events are exactly what they give.
        #[arg(long, value_name = "LOG", num_args = 1..)]
        history: Vec<PathBuf>,
    },
    /// Validate a plan and its directories and print pool sizes, without drawing.
    Check {
        /// The plan (TOML).
        plan: PathBuf,
    },
    /// Sort a target directory by id in bounded memory, so that it can be streamed.
    Sort {
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
    },
    /// Prove one enterprise's fate in a verified draw: a JSON proof checkable without the
    /// directories (SPEC.md §10).
    Prove {
        /// The draw log (verified in full first; `draw.head` beside it is used if present).
        log: PathBuf,
        /// The plan the draw ran.
        #[arg(long)]
        plan: PathBuf,
        /// The enterprise's unified social credit code.
        #[arg(long)]
        enterprise: String,
        /// Write the proof to this new file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a per-enterprise proof against the published log head, without any directory.
    CheckProof {
        /// The proof (JSON).
        proof: PathBuf,
        /// The published head of the log (64 hex characters).
        #[arg(long)]
        head: String,
    },
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

/// A progress line on standard error when it is a terminal; silent otherwise.
fn progress_bar(input: Option<PathBuf>) -> impl FnMut(Progress) {
    let start = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let total = input
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| m.len());
    move |p: Progress| {
        if tty {
            let _ = write!(
                std::io::stderr(),
                "\r\x1b[K{}",
                p.render(start.elapsed(), total)
            );
        }
    }
}

fn clear_bar() {
    if std::io::stderr().is_terminal() {
        let _ = write!(std::io::stderr(), "\r\x1b[K");
    }
}

fn streamed_file(plan: &std::path::Path, src: &TargetSource) -> Option<PathBuf> {
    match src {
        TargetSource::Plan => None,
        TargetSource::PlanStreamed => dualdraw::io::load_plan(plan).ok().map(|(p, _)| {
            plan.parent()
                .unwrap_or(std::path::Path::new(""))
                .join(p.targets)
        }),
        TargetSource::Streamed(p) => Some(p.clone()),
    }
}

fn verify_report(r: &dualdraw::verify::Report, head_source: Option<String>) -> String {
    let mut out = format!(
        "OK: {} lines, hash chain intact{}\nplan and directory digests match the header\n",
        r.lines,
        head_source.map_or(
            String::from(
                " (no published head given: truncation after the last line cannot be excluded)"
            ),
            |s| format!(", head matches {s}")
        ),
    );
    match (r.mode.as_str(), r.drawn) {
        ("commit-reveal", false) => out.push_str("mode commit-reveal: committed, not drawn yet\n"),
        (mode, _) => {
            out.push_str(&format!(
                "mode {mode}: {}\nre-ran the draw with seed {:?}: {} tasks, {} targets, {} teams, {} warnings and {} replacements identical\n",
                if mode == "commit-reveal" {
                    "the revealed secret opens the commitment; the seed derives from it, the public entropy and the commit line"
                } else {
                    "operator seed (rehearsal; not proof against steering)"
                },
                r.seed,
                r.tasks,
                r.targets,
                r.teams,
                r.warnings,
                r.replacements
            ));
        }
    }
    out.push_str(&format!("head {}", hex::encode(r.head)));
    out
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Draw {
            plan,
            commit: Some(commit),
            reveal: Some(secret),
            entropy: Some(entropy),
            excel,
            ..
        } => commands::draw_committed(
            &plan,
            &commands::RevealOptions {
                commit_log: commit,
                secret,
                entropy,
                excel,
            },
        )
        .map(|s| s.to_string()),
        Command::Draw {
            plan,
            seed,
            out,
            excel,
            targets,
            history,
            ..
        } => {
            let targets = targets.source();
            let mut bar = progress_bar(streamed_file(&plan, &targets));
            let opts = commands::DrawOptions {
                seed,
                out,
                excel,
                targets,
                history,
            };
            let r = commands::draw(&plan, &opts, &mut bar).map(|s| s.to_string());
            clear_bar();
            r
        }
        Command::Verify {
            log,
            plan,
            head,
            targets,
            history,
        } => {
            let targets = targets.source();
            let mut bar = progress_bar(streamed_file(&plan, &targets));
            let r = commands::verify(&log, &plan, head.as_deref(), &targets, &mut bar)
                .map(|(r, head_source)| verify_report(&r, head_source));
            clear_bar();
            match (r, history.is_empty()) {
                (Ok(text), false) => commands::check_history(&log, &plan, &history)
                    .map(|h| format!("{text}\n{h}")),
                (r, _) => r,
            }
        }
        Command::Check { plan } => commands::check(&plan),
        Command::Commit {
            plan,
            out,
            entropy_kind,
            entropy_source,
        } => dualdraw::commit::EntropySource::new(&entropy_kind, &entropy_source)
            .and_then(|entropy| commands::commit(&plan, &commands::CommitOptions { out, entropy }))
            .map(|s| s.to_string()),
        Command::Replace {
            log,
            plan,
            task,
            enterprise,
            officer,
            reason,
        } => commands::replace(
            &log,
            &plan,
            dualdraw::draw::ReplacementRequest {
                task,
                enterprise,
                out: officer,
                reason,
            },
        )
        .map(|(r, head)| {
            format!(
                "task {}, enterprise {}: {} replaced by {} (replacement #{} in the enterprise's seeded order; reason: {})\nhead {}",
                r.task,
                r.enterprise,
                r.out,
                r.incoming,
                r.position + 1,
                r.reason,
                hex::encode(head)
            )
        }),
        Command::Publish { log, plan, out } => {
            commands::publish(&log, &plan, &out).map(|s| s.to_string())
        }
        Command::Sort {
            input,
            output,
            memory_mib,
            tmp_dir,
        } => {
            let opts = dualdraw::sort::SortOptions {
                memory: memory_mib << 20,
                tmp_dir,
            };
            commands::sort(&input, &output, &opts)
                .map(|s| format!("sorted {} rows ({} runs spilled to disk)", s.rows, s.runs))
        }
        Command::Prove {
            log,
            plan,
            enterprise,
            out,
        } => dualdraw::proof::prove_command(&log, &plan, &enterprise, out.as_deref()),
        Command::CheckProof { proof, head } => {
            return match dualdraw::proof::check_proof_command(&proof, &head) {
                Ok(checked) => {
                    let _ = writeln!(std::io::stdout(), "{checked}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "error: {e}");
                    ExitCode::from(e.exit_code())
                }
            };
        }
        Command::GenTargets { rows, seed, output } => {
            commands::gen_targets(rows, seed, &output).map(|()| String::new())
        }
    };
    match result {
        // Nothing to say (e.g. the CSV went to standard output).
        Ok(text) if text.is_empty() => ExitCode::SUCCESS,
        Ok(text) => {
            // A closed stdout (e.g. `| head`) is not an error of the draw.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(if e.is_verification() { 1 } else { 2 })
        }
    }
}
