//! `dualdraw prove` and `dualdraw check-proof` (SPEC.md §10.5): the file reading around
//! [`crate::proof`], which does no I/O of its own.

use std::path::Path;

use crate::error::Result;
use crate::io;
use crate::proof::{Checked, ProofError, Prover, check};

/// `dualdraw prove LOG --plan PLAN --enterprise CODE [--out FILE]`: verifies the log (with
/// `draw.head` beside it, if there is one) and returns the proof's JSON, or, with `out`, writes
/// it there (never replacing a file) and returns a summary.
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the log, the plan or `draw.head` cannot be read (or
/// the plan changes while it is read); [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField)
/// when `draw.head` is not 64 hex digits or no enterprise of the target directory has the code
/// `enterprise`; every error of loading the plan and directories
/// ([`load_inputs`](crate::io::load_inputs)); [`ErrorKind::Verify`](crate::ErrorKind::Verify) when
/// the log does not verify; [`ErrorKind::OutputExists`](crate::ErrorKind::OutputExists) when `out`
/// already exists, and [`ErrorKind::Io`](crate::ErrorKind::Io) when it cannot be written.
pub fn prove_command(
    log_path: &Path,
    plan_path: &Path,
    enterprise: &str,
    out: Option<&Path>,
) -> Result<String> {
    let bytes = io::read_log(log_path)?;
    let head = super::head_beside(log_path)?.map(|(h, _)| h);
    let inputs = io::load_inputs(plan_path)?;
    let prover = Prover::from_inputs(&bytes, head.as_ref(), &inputs)?;
    let proof = prover.prove(enterprise.trim())?;
    match out {
        None => Ok(proof.to_json()),
        Some(p) => {
            let b = proof.to_bytes();
            io::write_new_file(p, &b)?;
            Ok(format!(
                "{}\nwrote {} ({} bytes); check it with: dualdraw check-proof {} --head {}",
                proof.summary(),
                p.display(),
                b.len(),
                p.display(),
                proof.log.head
            ))
        }
    }
}

/// `dualdraw check-proof PROOF --head HEX`: reads the proof file and checks it against the
/// published head.
///
/// # Errors
///
/// [`ProofError::Unreadable`] when `head` is not 64 hex digits, the file cannot be read or is not a
/// proof; [`ProofError::Failed`], naming the check, when the proof does not hold against the head
/// (those of [`check`]).
pub fn check_proof_command(path: &Path, head: &str) -> std::result::Result<Checked, ProofError> {
    let head = super::parse_head(head.trim(), "the published head")
        .map_err(|e| ProofError::Unreadable(e.to_string()))?;
    let bytes = std::fs::read(path)
        .map_err(|e| ProofError::Unreadable(format!("{}: {e}", path.display())))?;
    if let Some(how) = io::converted(&bytes) {
        return Err(ProofError::Unreadable(
            io::converted_error(path, "proof", how).to_string(),
        ));
    }
    check(&bytes, &head)
}
