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
//! | files and commands | `io`, [`output`], `commands`, `sort` (external sort; these three with the `fs` feature), [`synth`] (synthetic directories) |
//!
//! ## Features
//!
//! | feature | default | what it adds | dependencies |
//! | --- | --- | --- | --- |
//! | `cli` | yes | the `dualdraw` binary; implies `fs` and `os-rng` | `clap` |
//! | `fs` | via `cli` | the file-system edges: `io` (loading a plan and its directories, atomic writes), `commands` (the commands as functions), `sort` (external sort), and `proof::prove_command`, `proof::check_proof_command`, `proof::Prover::from_inputs` | `tempfile` |
//! | `os-rng` | via `cli` | `commit::new_secret`, an operator secret from the operating system | `getrandom` |
//!
//! Without any of them (`default-features = false`) the crate is the pure core: every draw,
//! log, verification and proof function takes its inputs as values (bytes, parsed plans,
//! directories read from any `std::io::Read`), spawns threads only where the platform allows and
//! otherwise runs on the calling thread, and builds for `wasm32-unknown-unknown` and
//! `wasm32-wasip1` with no JavaScript glue. The values a command would read from files are
//! computed the same way: [`plan::Plan::from_toml`] on the plan file's text, the SHA-256 of its
//! bytes as the plan digest, [`directory::Targets::read_for`] and [`directory::read_officers`].
//! [`draw::run_logged`] then draws and writes the log, [`verify::verify`] checks one, and
//! [`commit::commit_log`] commits to an operator secret the embedder supplies.
//! `examples/verify_folder.rs` is a complete verifier of a published folder on this core.
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
#[cfg(feature = "fs")]
pub mod commands;
pub mod commit;
pub mod directory;
pub mod draw;
mod error;
#[cfg(feature = "fs")]
pub mod io;
pub mod log;
pub mod merkle;
pub mod output;
pub mod plan;
pub mod proof;
pub mod seed;
#[cfg(feature = "fs")]
pub mod sort;
pub mod stream;
pub mod synth;
pub mod target;
pub mod team;
pub mod verify;

pub use error::{Error, ErrorKind, Field, Position, Result, VerifyError};
