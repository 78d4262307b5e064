//! # dualdraw
//!
//! Reproducible, verifiable "双随机、一公开" (double random, one public) inspection draws.
//!
//! A plan names a target directory (enterprises, 检查对象名录库) and an inspector directory
//! (officers, 执法检查人员名录库). The draw picks enterprises by SHA-256 tickets derived from a
//! seed, and a lawful team of at least two eligible officers for each by a ChaCha20-driven
//! partial Fisher–Yates, and records everything in a hash-chained log that anyone can verify by
//! re-running the draw. Every byte is specified in SPEC.md.
//!
//! The core takes values and returns values: it reads no file, prints nothing, and builds for
//! `wasm32-unknown-unknown`. Start with [`Draw`] and [`Verify`]; the [`tutorial`] walks through
//! embedding a draw, streaming a large directory, verifying a published log, commit and reveal,
//! and proving one enterprise's fate.
//!
//! ```
//! use dualdraw::{Draw, Plan, Verify};
//! use dualdraw::directory::{read_officers, read_targets};
//!
//! let targets = read_targets(
//!     "id,name,region,domains,credit_class,status\n\
//!      9144030071526726XG,甲公司,440300,无线电,A,active\n\
//!      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
//!     "targets.csv".as_ref(),
//! )?;
//! let officers = read_officers(
//!     "id,name,department,region,cert_no,cert_expires,domains,status\n\
//!      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
//!      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
//!      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
//!     "officers.csv".as_ref(),
//! )?;
//! let plan = Plan::from_toml(r#"
//!     id = "demo"
//!     title = "demo"
//!     inspection_date = "2020-10-20"
//!     targets = "targets.csv"
//!     officers = "officers.csv"
//!     [[task]]
//!     id = "radio"
//!     domain = "无线电"
//!     item = { name = "台站检查", basis = "无线电管理条例" }
//!     sample = { count = 1 }
//!     team = { size = 2 }
//! "#, "plan.toml".as_ref())?;
//! let drawn = Draw::new(&plan).seed("seed-1").run(&targets, &officers)?;
//! let team = &drawn.outcome.tasks[0].teams[0];
//! assert_eq!(team.officers.len(), 2);
//! assert_ne!(team.officers[0], team.officers[1]);
//! let report = Verify::new(&plan).head(drawn.head()).run(&drawn.log.to_bytes(), &targets, &officers)?;
//! assert_eq!(report.teams, 1);
//! # Ok::<(), dualdraw::Error>(())
//! ```
//!
//! The modules follow the pipeline:
//!
//! | stage | module |
//! | --- | --- |
//! | directories | [`directory`] (records, CSV, canonical encoding), [`merkle`] (RFC 6962/9162 digests) |
//! | plan | [`plan`] |
//! | seed | [`seed`] (task and team keys), [`commit`] (commitment and seed derivation) |
//! | targets | [`target`] (tickets, strata, bottom-k; in memory or streamed) |
//! | teams | [`team`] (eligibility, staffing of all teams, replacements) |
//! | the draw | [`draw`] ([`Draw`], its outcome) |
//! | log | [`log`] (typed events, canonical chain, one reader) |
//! | ceremony | [`ceremony`] (commit, reveal, replace on log bytes) |
//! | verification | [`verify`] ([`Verify`], [`Report`]) |
//! | proofs | [`proof`] (one enterprise's fate, checkable with the log head alone) |
//! | results | [`results`] (inspection results, publications, the working-day deadline) |
//! | publication | [`publish`] (the 一公开 folder as files in memory) |
//!
//! Features: `os-rng` (operator secrets from the operating system), `fs` (file helpers:
//! loading a plan and its directories, atomic writes, the external sort), `cli` (the `dualdraw`
//! command; default). Without them the library has no OS-only dependency.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ceremony;
mod check;
/// The command-line program's commands, on paths: they load files, call the library and write
/// results atomically. They live in the library so that its tests can drive them; they are the
/// binary's implementation, not API (an embedder calls [`Draw`], [`Verify`], [`ceremony`],
/// [`publish`] and [`proof`] on values, and [`io`] for files).
#[cfg(feature = "fs")]
#[doc(hidden)]
pub mod commands;
pub mod commit;
pub mod directory;
pub mod draw;
mod error;
mod hash;
#[cfg(feature = "fs")]
pub mod io;
pub mod log;
pub mod merkle;
mod output;
pub mod plan;
mod pool;
pub mod proof;
pub mod publish;
pub mod reason;
pub mod results;
pub mod seed;
pub mod site;
#[cfg(feature = "fs")]
pub mod sort;
pub mod synth;
pub mod target;
pub mod team;
pub mod tutorial;
pub mod verify;

pub use check::{CheckReport, TaskCheck, check};
pub use directory::{
    CreditClass, Digest, Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Targets,
    Warning,
};
pub use draw::{CRATE_VERSION, Draw, Drawn};
pub use error::{
    Error, ErrorKind, Field, Position, QUOTE_LIMIT, Result, VerifyError, quoted, quoted_debug,
    quoted_text,
};
pub use log::{Event, Log, Mode};
pub use plan::Plan;
pub use verify::{HistoryReport, Report, Verify};

/// What this crate's own integration tests and benches reach inside it: the steps behind
/// [`Draw`] and [`Verify`], one at a time. Not part of the API: no stability promise, hidden
/// from the documentation.
#[doc(hidden)]
pub mod internals {
    #[cfg(feature = "fs")]
    pub use crate::commands::{draw_inputs, staff_and_log, staff_and_log_with};
    pub use crate::draw::run;
    pub use crate::log::write::{
        CommitHeader, Header, commit_event, draw_events, events, header_event, record,
        replacement_event, reveal_event,
    };
    pub use crate::output::spreadsheet_safe;
    pub use crate::proof::residual_lines;
    pub use crate::target::pipeline::{select_stream, select_stream_chunked, select_stream_with};
    pub use crate::target::select::{
        Eligibility, Selection, eligibility, pool, select, strata_sizes,
    };
    pub use crate::target::stream::{StreamSelector, Streamed};

    pub use crate::team::eligibility::Apart;
    pub use crate::team::replace::apply_replacements;
    pub use crate::team::staff::{draw_team, staff, staff_with};
    pub use crate::verify::{Drawn as TargetSide, verify, verify_with};

    /// A target directory from records taken as they are (already sorted, unique and
    /// valid), as a test that tampers with one record needs: [`Targets::from_records`]
    /// would refuse or re-sort what the test means to keep.
    ///
    /// [`Targets::from_records`]: crate::Targets::from_records
    pub fn targets_unchecked(
        records: Vec<crate::Enterprise>,
        warnings: Vec<crate::Warning>,
    ) -> crate::Targets {
        crate::Targets { records, warnings }
    }

    /// An officer directory from records taken as they are; see [`targets_unchecked`].
    pub fn officers_unchecked(records: Vec<crate::Officer>) -> crate::Officers {
        crate::Officers { records }
    }
}

/// README.md's examples, compiled and run as doc tests so that they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
