//! Per-enterprise proofs (SPEC.md §10): one enterprise's fate in a draw, in a small JSON file
//! that anybody can check with the published log head alone — no directory needed.
//!
//! A proof carries only evidence: the enterprise's record with its RFC 6962 audit path to the
//! target-directory head in the log header, and the log lines that decide the enterprise's
//! fate — each as its *residual*, without the members the checker derives — with one
//! multi-leaf inclusion proof against the published checkpoint. The log header states every
//! task's pool rules, so no plan travels. From these, the checker derives, for every task,
//! the enterprise's place in the pool (in scope, recently inspected, or eligible in a
//! stratum), its ticket from the task key, the comparison with the stratum's cutoff, and
//! confirms the log draws it exactly when the cutoff says so.
//!
//! A [`Prover`] verifies a log once (a full [`verify::verify`](crate::verify::verify)) and then proves any number of
//! enterprises cheaply; [`check`] checks a proof's bytes against a head.
//!
//! ```no_run
//! # fn main() -> dualdraw::Result<()> {
//! use dualdraw::proof::{Prover, check};
//! let inputs = dualdraw::io::load_inputs("fixtures/tianjin-2020/plan.toml".as_ref())?;
//! let log = dualdraw::Draw::new(&inputs.plan).run(&inputs.targets, &inputs.officers)?.log;
//! let prover = Prover::from_inputs(&log.to_bytes(), Some(&log.head()), &inputs)?;
//! let proof = prover.prove(&inputs.targets.records()[0].id)?;
//! let checked = check(&proof.to_bytes(), &log.checkpoint()).expect("a fresh proof checks");
//! println!("{checked}");
//! # Ok(()) }
//! ```
//!
//! One job per file: `format` is the proof's types and JSON form; `residual` takes a line to
//! its residual and back; `facts` reads what a log says; `assemble` derives what a proof says
//! from those facts and the record (the prover picks the lines with it, the checker derives its statement); `prove` is the
//! [`Prover`]; `check` is the checker, which does no I/O and needs only the proof's bytes
//! and the published head.

mod assemble;
mod check;
mod facts;
mod format;
mod prove;
mod residual;

pub use assemble::reason;
#[doc(hidden)]
pub use assemble::{Residuals, residual_lines};
pub use check::{Checked, ProofError, check};
pub use format::{
    COVERS, COVERS_TEXT, DrawnProof, FORMAT, LogLine, Pool, Proof, Record, RecordFields,
    ReplacementProof, StratumProof, TaskProof, Verdict,
};
pub use prove::Prover;
