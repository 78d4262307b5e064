//! # dualdraw
//!
//! Reproducible, verifiable "双随机、一公开" (double random, one public) inspection draws.
//!
//! A plan names a target directory (enterprises) and an inspector directory (officers). The
//! draw picks enterprises by SHA-256 tickets derived from a seed, and a team of at least two
//! eligible officers for each by a ChaCha20-driven partial Fisher–Yates, and records everything
//! in a hash-chained log that anyone can verify by re-running the draw. Every byte is specified
//! in SPEC.md.
//!
//! The modules follow the pipeline:
//!
//! | stage | module |
//! | --- | --- |
//! | directories | [`directory`] (records, CSV reading, canonical encoding), [`merkle`] (digests) |
//! | plan | [`plan`] |
//! | seed and keys | [`seed`], [`commit`] (commit–reveal) |
//! | target draw | [`target`] (tickets), [`stream`] (one pass, bounded memory) |
//! | team draw | [`team`] (eligibility, stream), [`assign`] (feasibility-checked staffing of all teams) |
//! | the whole draw | [`draw`] (pure) |
//! | log | [`log`] |
//! | verification | [`verify`] |
//! | per-enterprise proofs | [`proof`] (one enterprise's fate, checkable with the log head alone) |
//! | files and commands | [`io`], [`output`], [`commands`], [`sort`] (external sort), [`synth`] (synthetic directories) |
//!
//! ```
//! use dualdraw::directory::{read_officers, read_targets};
//! use dualdraw::plan::Plan;
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
//! let outcome = dualdraw::draw::run(&plan, &targets, &officers, "seed-1")?;
//! let team = &outcome.tasks[0].teams[0];
//! assert_eq!(team.officers.len(), 2);
//! assert_ne!(team.officers[0], team.officers[1]);
//! # Ok::<(), dualdraw::Error>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod assign;
mod builder;
pub mod ceremony;
pub mod commands;
pub mod commit;
pub mod directory;
pub mod draw;
mod error;
mod hash;
pub mod io;
pub mod log;
pub mod merkle;
pub mod output;
pub mod plan;
pub mod proof;
pub mod publish;
pub mod seed;
pub mod sort;
pub mod stream;
pub mod synth;
pub mod target;
pub mod team;
pub mod tutorial;
pub mod verify;

pub use builder::{CRATE_VERSION, Draw, Drawn};
pub use directory::{
    CreditClass, Digest, Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Targets,
    Warning,
};
pub use error::{Error, ErrorKind, Field, Position, Result, VerifyError};
pub use log::{Event, Log, Mode};
pub use plan::Plan;
pub use verify::{HistoryReport, Report, Verify};

/// README.md's examples, compiled and run as doc tests so that they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
