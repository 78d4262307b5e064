//! Consistency of a log with an earlier checkpoint (SPEC.md §6.4): an RFC 9162 §2.1.4
//! consistency proof that the log published now extends, without rewriting, the log whose
//! checkpoint was published before (the commit checkpoint, before the ceremony).

use serde::{Deserialize, Serialize};

use super::read::{Entry, checkpoint_of_entries};
use super::{Checkpoint, CheckpointError};
use crate::error::VerifyError;
use crate::merkle::{self, Hash, Tree};

/// The `format` of a consistency proof file.
pub const CONSISTENCY_FORMAT: &str = "dualdraw-consistency/1";

/// A consistency proof between two checkpoints of one log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsistencyProof {
    /// The earlier checkpoint.
    pub old: Checkpoint,
    /// The later checkpoint.
    pub new: Checkpoint,
    /// `PROOF(old.size, D[new.size])` of RFC 9162 §2.1.4.1.
    pub proof: Vec<Hash>,
}

/// The file form (SPEC.md §6.4).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    format: String,
    old: String,
    new: String,
    proof: Vec<String>,
}

impl ConsistencyProof {
    /// Proves that the checked log `entries` extends `old`, and checks the proof at once.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Inconsistent`] when the origin differs, `old` is larger than the log, or
    /// the log's first `old.size` lines do not have the root `old.root` (a rewritten prefix).
    pub fn prove(old: &Checkpoint, entries: &[Entry<'_>]) -> Result<Self, VerifyError> {
        let new = checkpoint_of_entries(entries);
        let fail = |reason: String| VerifyError::Inconsistent {
            old_size: old.size,
            reason,
        };
        if old.size > new.size {
            return Err(fail(format!(
                "the log has only {} lines (it was cut or replaced)",
                new.size
            )));
        }
        let size = usize::try_from(old.size).map_err(|_| fail("tree size too large".into()))?;
        let tree = Tree::from_leaf_hashes(entries.iter().map(|e| e.leaf).collect());
        // Said plainly first: the log's own first lines do not have the old root.
        if Tree::from_leaf_hashes(tree.leaves()[..size].to_vec()).head() != old.root {
            return Err(fail(format!(
                "the first {size} lines of the log are not the ones checkpointed (a rewritten prefix)"
            )));
        }
        let p = ConsistencyProof {
            old: old.clone(),
            new,
            proof: tree.consistency_proof(size),
        };
        p.check()?;
        Ok(p)
    }

    /// Checks the proof (RFC 9162 §2.1.4.2) and that both checkpoints name the same origin.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Inconsistent`] saying what failed.
    pub fn check(&self) -> Result<(), VerifyError> {
        let fail = |reason: String| VerifyError::Inconsistent {
            old_size: self.old.size,
            reason,
        };
        if self.old.origin != self.new.origin {
            return Err(fail(format!(
                "the origins differ: {:?} then {:?}",
                self.old.origin, self.new.origin
            )));
        }
        merkle::verify_consistency(
            self.old.size,
            self.new.size,
            &self.proof,
            &self.old.root,
            &self.new.root,
        )
        .map_err(|e| {
            fail(match e {
                merkle::ConsistencyError::FirstRootMismatch
                | merkle::ConsistencyError::SecondRootMismatch => format!(
                    "the proof does not lead from the old checkpoint to the new one: the first {} lines are not the ones checkpointed (a rewritten prefix), or the new checkpoint is of another log",
                    self.old.size
                ),
                other => other.to_string(),
            })
        })
    }

    /// The proof file: JSON as `serde_json::to_string_pretty` writes it, then LF.
    pub fn to_json(&self) -> String {
        let f = File {
            format: CONSISTENCY_FORMAT.into(),
            old: self.old.to_text(),
            new: self.new.to_text(),
            proof: self.proof.iter().map(hex::encode).collect(),
        };
        let mut s = serde_json::to_string_pretty(&f).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Reads a proof file (not yet checked: see [`check`](Self::check)).
    ///
    /// # Errors
    ///
    /// [`CheckpointError`] naming what is not as SPEC.md §6.4 says.
    pub fn from_json(text: &str) -> Result<Self, CheckpointError> {
        let bad = |s: String| CheckpointError(s);
        let f: File = serde_json::from_str(text)
            .map_err(|e| bad(format!("not a consistency proof file ({e})")))?;
        if f.format != CONSISTENCY_FORMAT {
            return Err(bad(format!(
                "format {:?} is not {CONSISTENCY_FORMAT:?}",
                f.format
            )));
        }
        let mut proof = Vec::with_capacity(f.proof.len());
        for h in &f.proof {
            let mut b = [0u8; 32];
            let ok = hex::decode_to_slice(h, &mut b).is_ok()
                && !h.bytes().any(|c| c.is_ascii_uppercase());
            if !ok {
                return Err(bad(format!("{h:?} is not 64 lowercase hex digits")));
            }
            proof.push(b);
        }
        Ok(ConsistencyProof {
            old: Checkpoint::parse(&f.old)?,
            new: Checkpoint::parse(&f.new)?,
            proof,
        })
    }
}
