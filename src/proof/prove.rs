//! The prover: verifies a log once, builds its target directory's Merkle tree and the log's
//! own (RFC 9162 over its lines), then proves any number of its enterprises, each with one
//! multi-leaf inclusion proof of O(k log n) hashes for the k lines it carries.

use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::directory::{Enterprise, Officers, Targets};
use crate::error::{ErrorKind, Position, Result, VerifyError};
#[cfg(feature = "fs")]
use crate::io::{self, Inputs};
use crate::log;
use crate::merkle::{self, Hash, Tree};
use crate::plan::Plan;
use crate::verify;

use super::assemble::{Residuals, derive, proof_of};
use super::facts::Facts;
use super::format::Proof;

/// A verified log with its directory's Merkle tree, ready to prove any of its enterprises.
#[derive(Debug, Clone)]
pub struct Prover {
    facts: Facts,
    lines: Vec<String>,
    log_tree: Tree,
    checkpoint: log::Checkpoint,
    checkpoint_text: String,
    residuals: Residuals,
    records: Vec<Enterprise>,
    tree: Tree,
}

impl Prover {
    /// Verifies the log completely ([`verify::verify`], with `published_head` if given)
    /// against the plan file's bytes and both directories, then builds the target directory's
    /// tree. A log that does not verify is refused (a verification error, exit code 1).
    ///
    /// # Errors
    ///
    /// A plan error for `plan_bytes`; a verification failure when the log does not verify
    /// (against `published_head` if given); [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField)
    /// for a commitment not drawn yet.
    pub fn new(
        log_bytes: &[u8],
        published_head: Option<&Hash>,
        plan_bytes: &[u8],
        plan_file: &Path,
        targets: &Targets,
        officers: &Officers,
    ) -> Result<Prover> {
        let plan_text = std::str::from_utf8(plan_bytes).map_err(|e| ErrorKind::PlanSyntax {
            pos: Position::file(plan_file),
            message: format!("the plan is not UTF-8 ({e})"),
        })?;
        let plan = Plan::from_toml(plan_text.trim_start_matches('\u{feff}'), plan_file)?;
        let plan_digest: Hash = Sha256::digest(plan_bytes).into();
        let report = verify::verify(
            log_bytes,
            published_head,
            &plan,
            &plan_digest,
            targets,
            officers,
        )?;
        if !report.drawn {
            return Err(ErrorKind::InvalidField {
                pos: Position::file("the log"),
                found: "a committed draw whose reveal is not logged yet".into(),
                expected: "the log of a completed draw (nothing is drawn before the reveal)".into(),
            }
            .into());
        }
        let entries = log::read(log_bytes)?;
        let log_tree = Tree::from_leaf_hashes(entries.iter().map(|e| e.leaf).collect());
        let lines: Vec<String> = entries.iter().map(|e| e.line.to_string()).collect();
        let numbered: Vec<(u64, &str)> = entries.iter().map(|e| (e.seq, e.line)).collect();
        let facts =
            Facts::read(&numbered).map_err(|reason| VerifyError::Malformed { line: 1, reason })?;
        let tree = Tree::from_leaf_hashes(
            targets
                .records
                .iter()
                .map(|e| merkle::leaf_hash(&e.canonical_bytes()))
                .collect(),
        );
        // Verification compared these already; a mismatch here is a bug, not bad input.
        assert_eq!(
            hex::encode(tree.head()),
            facts.dir_head,
            "verified log, but the directory tree differs from its header"
        );
        // The lines most proofs carry, made into residuals once.
        let common = std::iter::once(0)
            .chain((facts.mode == log::Mode::CommitReveal.as_str()).then_some(1))
            .chain(facts.tasks.iter().map(|t| t.seq));
        let residuals = Residuals::of(common.filter_map(|seq| {
            lines
                .get(usize::try_from(seq).ok()?)
                .map(|l| (seq, l.as_str()))
        }))
        .map_err(|reason| VerifyError::Malformed { line: 1, reason })?;
        Ok(Prover {
            residuals,
            checkpoint_text: report.checkpoint.to_text(),
            checkpoint: report.checkpoint,
            log_tree,
            facts,
            lines,
            records: targets.records.clone(),
            tree,
        })
    }

    /// [`Prover::new`] for loaded inputs; the plan file is read again for its text (and must
    /// still have the digest it had when loaded).
    ///
    /// # Errors
    ///
    /// Those of [`Prover::new`], and [`ErrorKind::Io`](crate::ErrorKind::Io) when the plan file
    /// cannot be read again.
    #[cfg(feature = "fs")]
    pub fn from_inputs(
        log_bytes: &[u8],
        published_head: Option<&Hash>,
        inputs: &Inputs,
    ) -> Result<Prover> {
        let plan_bytes = io::read(&inputs.plan_path)?;
        if <[u8; 32]>::from(Sha256::digest(&plan_bytes)) != inputs.plan_digest {
            return Err(ErrorKind::Io {
                path: inputs.plan_path.clone(),
                source: std::io::Error::other("the plan file changed after it was loaded"),
            }
            .into());
        }
        Prover::new(
            log_bytes,
            published_head,
            &plan_bytes,
            &inputs.plan_path,
            &inputs.targets,
            &inputs.officers,
        )
    }

    /// The log's head: the RFC 9162 tree head over its lines.
    pub fn head(&self) -> Hash {
        self.checkpoint.root
    }

    /// The checkpoint every proof is made against (the whole log's).
    pub fn checkpoint(&self) -> &log::Checkpoint {
        &self.checkpoint
    }

    /// The proof for the enterprise with this unified social credit code. An id that is not
    /// in the target directory is an input error (exit code 2).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField) for an id that is not in the
    /// target directory.
    pub fn prove(&self, id: &str) -> Result<Proof> {
        let index = self
            .records
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .map_err(|_| ErrorKind::InvalidField {
                pos: Position::file("the enterprise to prove"),
                found: id.to_string(),
                expected: format!(
                    "the unified social credit code of one of the {} enterprises of the target directory (no record has this id)",
                    self.records.len()
                ),
            })?;
        let e = &self.records[index];
        let derived =
            derive(&self.facts, e).map_err(|reason| VerifyError::Malformed { line: 1, reason })?;
        let seqs: Vec<u64> = derived.needed.iter().copied().collect();
        let line_at = |seq: u64| {
            let i = usize::try_from(seq).ok()?;
            self.lines.get(i).map(String::as_str)
        };
        proof_of(
            &derived,
            &self.checkpoint_text,
            &self.residuals,
            &line_at,
            &self.log_tree.multi_inclusion_proof(&seqs),
            e,
            index as u64,
            &self.tree.inclusion_proof(index),
        )
        .map_err(|reason| VerifyError::Malformed { line: 1, reason }.into())
    }
}
