//! The `dualdraw` command: argument parsing and printing only; the work is in the library.

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use dualdraw::commands;

/// Reproducible, verifiable double-random (双随机、一公开) inspection draws.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
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
    },
    /// Validate a plan and its directories and print pool sizes, without drawing.
    Check {
        /// The plan (TOML).
        plan: PathBuf,
    },
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
        Command::Draw { plan, seed, out, excel } => {
            commands::draw(&plan, &commands::DrawOptions { seed, out, excel }).map(|s| s.to_string())
        }
        Command::Verify { log, plan, head } => {
            commands::verify(&log, &plan, head.as_deref()).map(|(r, head_source)| {
                format!(
                    "OK: {} lines, hash chain intact{}\n\
                     plan and directory digests match the header\n\
                     re-ran the draw with seed {:?}: {} tasks, {} targets, {} teams and {} warnings identical\n\
                     head {}",
                    r.lines,
                    head_source.map_or(String::from(" (no published head given: truncation after the footer cannot be excluded)"), |s| format!(", head matches {s}")),
                    r.seed,
                    r.tasks,
                    r.targets,
                    r.teams,
                    r.warnings,
                    hex::encode(r.head)
                )
            })
        }
        Command::Check { plan } => commands::check(&plan),
    };
    match result {
        Ok(text) => {
            // A closed stdout (e.g. `| head`) is not an error of the draw.
            let _ = writeln!(std::io::stdout(), "{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
