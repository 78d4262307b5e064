//! Published heads as files and arguments (SPEC.md §6.3), and `dualdraw consistency`
//! (SPEC.md §6.4): the file reading around [`crate::log::Checkpoint`] and
//! [`crate::log::ConsistencyProof`].

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, Result};
use crate::io;
use crate::log::{self, Checkpoint, ConsistencyProof};
use crate::merkle::Hash;

/// A published head as given: a checkpoint, or only its root hash (64 hex digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// A whole checkpoint: origin, size and root must all be the log's.
    Checkpoint(Checkpoint),
    /// A bare root hash: the tree head over all the log's lines (which binds their number).
    Root(Hash),
}

impl Published {
    /// The root hash.
    pub fn root(&self) -> Hash {
        match self {
            Published::Checkpoint(c) => c.root,
            Published::Root(h) => *h,
        }
    }
}

fn invalid(what: &str, found: &str, expected: String) -> crate::Error {
    ErrorKind::InvalidField {
        pos: crate::Position::file(what),
        found: found.to_string(),
        expected,
    }
    .into()
}

/// A checkpoint text read from `what` (a file name, for errors).
///
/// # Errors
///
/// [`ErrorKind::InvalidField`] naming `what` and the line that is wrong.
pub fn parse_checkpoint(text: &str, what: &str) -> Result<Checkpoint> {
    Checkpoint::parse(text)
        .map_err(|e| invalid(what, text, format!("a checkpoint (SPEC.md §6.3): {}", e.0)))
}

/// A head given on the command line: exactly 64 hex digits are a root hash; a text with a line
/// feed is a checkpoint's text (as `--head "$(cat draw.head)"` passes it, without the last LF);
/// anything else is the path of a checkpoint file.
///
/// # Errors
///
/// [`ErrorKind::Io`] for an unreadable file, [`ErrorKind::InvalidField`] for a bad checkpoint.
pub fn head_argument(arg: &str) -> Result<Published> {
    let mut h = [0u8; 32];
    if arg.len() == 64 && hex::decode_to_slice(arg, &mut h).is_ok() {
        return Ok(Published::Root(h));
    }
    if arg.contains('\n') {
        let text = format!("{}\n", arg.strip_suffix('\n').unwrap_or(arg));
        return Ok(Published::Checkpoint(parse_checkpoint(
            &text,
            "the published head",
        )?));
    }
    let path = PathBuf::from(arg);
    let text = read_text(&path)?;
    Ok(Published::Checkpoint(parse_checkpoint(
        &text,
        &path.display().to_string(),
    )?))
}

fn read_text(path: &Path) -> Result<String> {
    let bytes = io::read(path)?;
    String::from_utf8(bytes).map_err(|_| {
        invalid(
            &path.display().to_string(),
            "(not UTF-8)",
            "a checkpoint: UTF-8 text".into(),
        )
    })
}

/// The checkpoint published beside a log, in `draw.head`, and where it was read: `None` when
/// there is no such file. Every command that reads a log reads its head here, so an unreadable
/// or invalid head is an error for all of them: it must not silently drop the truncation check.
///
/// # Errors
///
/// [`ErrorKind::Io`] for an unreadable file, [`ErrorKind::InvalidField`] for a bad checkpoint.
pub fn head_beside(log_path: &Path) -> Result<Option<(Checkpoint, String)>> {
    let p = log_path.with_file_name("draw.head");
    if !p.exists() {
        return Ok(None);
    }
    let name = p.display().to_string();
    Ok(Some((parse_checkpoint(&read_text(&p)?, &name)?, name)))
}

/// Options of [`consistency`] (with the `cli` feature, the arguments of `dualdraw consistency`).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct ConsistencyArgs {
    /// The earlier checkpoint (e.g. the commit's draw.head, published before the ceremony).
    pub old: PathBuf,
    /// The log now: prove that it extends OLD.
    #[cfg_attr(feature = "cli", arg(required_unless_present = "proof"))]
    pub log: Option<PathBuf>,
    /// Instead of a log, check this consistency proof file (SPEC.md §6.4) against OLD.
    #[cfg_attr(feature = "cli", arg(long, conflicts_with = "log"))]
    pub proof: Option<PathBuf>,
    /// Write the consistency proof to this new file.
    #[cfg_attr(feature = "cli", arg(long, conflicts_with = "proof"))]
    pub out: Option<PathBuf>,
}

/// `dualdraw consistency OLD LOG [--out FILE]` proves with RFC 9162 §2.1.4 that the log (its
/// chain checked) extends the checkpoint OLD; `dualdraw consistency OLD --proof FILE` checks a
/// proof file against OLD without the log. Returns the report, with the new checkpoint.
///
/// # Errors
///
/// An input error for an unreadable or invalid file (exit 2); a verification failure
/// ([`crate::VerifyError::Inconsistent`], exit 1) when the log or proof does not extend OLD;
/// the chain check's errors for a broken log.
pub fn consistency(a: &ConsistencyArgs) -> Result<String> {
    let old = parse_checkpoint(&read_text(&a.old)?, &a.old.display().to_string())?;
    let proof = match (&a.log, &a.proof) {
        (_, Some(p)) => {
            let text = read_text(p)?;
            let proof = ConsistencyProof::from_json(&text)
                .map_err(|e| invalid(&p.display().to_string(), "", e.0))?;
            if proof.old != old {
                return Err(crate::VerifyError::Inconsistent {
                    old_size: old.size,
                    reason: format!(
                        "the proof starts from another checkpoint:\n{}",
                        proof.old.to_text()
                    ),
                }
                .into());
            }
            proof.check()?;
            proof
        }
        (Some(l), None) => {
            let bytes = io::read(l)?;
            let entries = log::read(&bytes)?;
            let proof = ConsistencyProof::prove(&old, &entries)?;
            if let Some(out) = &a.out {
                io::write_new_file(out, proof.to_json().as_bytes())?;
            }
            proof
        }
        (None, None) => {
            return Err(invalid("arguments", "", "a LOG or --proof FILE".into()));
        }
    };
    Ok(format!(
        "OK: the log of tree size {} extends the checkpoint of tree size {} \
         (RFC 9162 consistency proof, {} hashes); its checkpoint:\n{}",
        proof.new.size,
        old.size,
        proof.proof.len(),
        proof.new.to_text().trim_end()
    ))
}
