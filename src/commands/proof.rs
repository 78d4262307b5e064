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
    let bytes = io::read(log_path)?;
    let beside = super::head_beside(log_path)?;
    let head = beside.as_ref().map(|(c, _)| c.root);
    let inputs = io::load_inputs(plan_path)?;
    let prover = Prover::from_inputs(&bytes, head.as_ref(), &inputs)?;
    let proof = prover.prove(enterprise.trim())?;
    match out {
        None => Ok(proof.to_json()),
        Some(p) => {
            let b = proof.to_bytes();
            // The summary is what the checker derives from the file, so it says nothing the
            // file does not show.
            let checked =
                check(&b, prover.checkpoint()).expect("a proof fresh from a verified log checks");
            io::write_new_file(p, &b)?;
            Ok(format!(
                "{}\nwrote {} ({} bytes); check it with: dualdraw check-proof {} --checkpoint {}",
                checked.summary().trim_end(),
                p.display(),
                b.len(),
                p.display(),
                beside.map_or("CHECKPOINT".into(), |(_, name)| name)
            ))
        }
    }
}

/// `dualdraw check-proof PROOF --checkpoint FILE`: reads the proof file and checks it against
/// the published checkpoint (a file, or its text).
///
/// # Errors
///
/// [`ProofError::Unreadable`] when `checkpoint` is not a checkpoint (a bare root hash is not
/// enough: inclusion proofs need the tree size), the file cannot be read or is not a proof; [`ProofError::Failed`], naming the check, when the proof does not hold against the head
/// (those of [`check`]).
pub fn check_proof_command(path: &Path, head: &str) -> std::result::Result<Checked, ProofError> {
    let checkpoint = match super::head_argument(head.trim())
        .map_err(|e| ProofError::Unreadable(e.to_string()))?
    {
        super::Published::Checkpoint(c) => c,
        super::Published::Root(_) => {
            return Err(ProofError::Unreadable(
                "give the published checkpoint (draw.head: origin, tree size and root), not only its root hash: the inclusion proofs need the tree size".into(),
            ));
        }
    };
    let bytes = std::fs::read(path)
        .map_err(|e| ProofError::Unreadable(format!("{}: {e}", path.display())))?;
    // A proof must be its canonical bytes (SPEC.md §10.3), so a converted one would be
    // rejected as if forged: say that it was converted instead.
    if let Some(how) = io::converted(&bytes) {
        return Err(ProofError::Unreadable(
            io::converted_error(path, "proof", how).to_string(),
        ));
    }
    check(&bytes, &checkpoint)
}
