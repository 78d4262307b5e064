//! Reading a log: the chain check, then the lines as [`Entry`]s whose events are decoded when
//! asked for. Verification compares most lines as bytes with a re-run and decodes only the
//! header, the reveal and the replacements; a log of a national draw has a million lines, so
//! decoding is left to the caller that needs it.
//!
//! What several readers derive from the same events is here once: the seed of a reveal, the
//! replacement requests, and the rotation pairs of earlier draws.

use super::event::{Event, HeaderEvent, ReplacementEvent, RevealEvent};
use super::{check_chain, line_hash};
use crate::commit;
use crate::error::{ErrorKind, Result, VerifyError};
use crate::plan::Plan;
use crate::team::Apart;
use crate::team::ReplacementRequest;

/// One line of a log whose chain has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Its 0-based position (its `seq`, which the chain check confirmed).
    pub seq: u64,
    /// Its exact text, without the newline.
    pub line: &'a str,
    /// Its RFC 9162 §2.1.1 leaf hash, `SHA-256(0x00 || line)` (the next line's `prev`).
    pub leaf: crate::merkle::Hash,
}

impl Entry<'_> {
    /// The 1-based line number, as errors name lines.
    pub fn number(&self) -> u64 {
        self.seq + 1
    }

    /// The line's event. A line that is not one of the events of SPEC.md §6.2 (an unknown
    /// `event`, a missing member, a member of the wrong type) is malformed at this line.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`](crate::VerifyError::Malformed) at this line when it is not one of
    /// the events of SPEC.md §6.2.
    pub fn event(&self) -> Result<Event, VerifyError> {
        serde_json::from_str(self.line).map_err(|e| VerifyError::Malformed {
            line: self.number(),
            reason: format!("not a {} event ({e})", event_name(self.line)),
        })
    }

    /// The line's event if it decodes, else `None`: for readers that skip what they do not
    /// use, as the rotation pairs of an earlier draw do.
    pub fn try_event(&self) -> Option<Event> {
        serde_json::from_str(self.line).ok()
    }

    /// The header, if this line is one.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`](crate::VerifyError::Malformed) at this line when it is not a
    /// valid event or is an event other than a header.
    pub fn header(&self) -> Result<HeaderEvent, VerifyError> {
        match self.event() {
            Ok(Event::Header(h)) => Ok(h),
            Ok(_) => Err(VerifyError::Malformed {
                line: self.number(),
                reason: "the first event is not a header".into(),
            }),
            Err(e) => Err(e),
        }
    }
}

/// The `event` member of a line, for messages; `?` when there is none.
fn event_name(line: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Tag {
        event: Option<serde_json::Value>,
    }
    match serde_json::from_str::<Tag>(line).ok().and_then(|t| t.event) {
        Some(serde_json::Value::String(s)) => format!("{s:?}"),
        _ => "known".into(),
    }
}

/// Checks the chain of a log (every line's `prev` and `seq`, SPEC.md §6.3) and returns its lines.
///
/// # Errors
///
/// [`VerifyError::Empty`](crate::VerifyError::Empty) for an empty log;
/// [`VerifyError::Malformed`](crate::VerifyError::Malformed) for the first line that is not UTF-8,
/// not a JSON object, has a wrong `seq`, or when the log does not end with a newline;
/// [`VerifyError::ChainBroken`](crate::VerifyError::ChainBroken) for the first line whose `prev`
/// does not hash the line before it.
///
/// ```
/// use dualdraw::log::{self, Event};
/// let bytes = log::chain(vec![serde_json::json!({"event": "history", "head": "00".repeat(32)})])
///     .to_bytes();
/// let entries = log::read(&bytes).unwrap();
/// assert!(matches!(entries[0].event(), Ok(Event::History(_))));
/// ```
pub fn read(bytes: &[u8]) -> Result<Vec<Entry<'_>>, VerifyError> {
    Ok(check_chain(bytes, false)?.0)
}

/// [`read`], and the log's checkpoint (SPEC.md §6.3): its tree head is built in the same pass
/// as the chain check, on the same threads, from the leaf hashes the chain needs anyway.
/// This is what verification runs first.
///
/// # Errors
///
/// Those of [`read`].
///
/// ```
/// use dualdraw::log;
/// let l = log::chain(vec![serde_json::json!({"event": "history", "head": "00".repeat(32)})]);
/// let bytes = l.to_bytes();
/// let (entries, checkpoint) = log::read_with_checkpoint(&bytes).unwrap();
/// assert_eq!((entries.len(), checkpoint.size, checkpoint.root), (1, 1, l.head()));
/// ```
pub fn read_with_checkpoint(
    bytes: &[u8],
) -> Result<(Vec<Entry<'_>>, super::Checkpoint), VerifyError> {
    let (entries, root) = check_chain(bytes, true)?;
    let root = root.unwrap_or_else(|| unreachable!("the head was asked for"));
    // The origin from the header; the size and the root from the pass above.
    let checkpoint = super::Checkpoint {
        size: entries.len() as u64,
        root,
        ..super::checkpoint_of(entries.first().map_or("", |e| e.line), [])
    };
    Ok((entries, checkpoint))
}

/// The checkpoint of checked entries (SPEC.md §6.3).
pub(crate) fn checkpoint_of_entries(entries: &[Entry<'_>]) -> super::Checkpoint {
    super::checkpoint_of(
        entries.first().map_or("", |e| e.line),
        entries.iter().map(|e| e.leaf),
    )
}

/// Why a reveal does not open its commit (SPEC.md §9.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevealFault {
    /// `secret` is not 64 hex digits.
    Secret,
    /// The secret does not hash to the commitment.
    Commitment {
        /// The header's commitment, hex.
        committed: String,
        /// SHA-256 of the revealed secret, hex.
        opened: String,
    },
    /// The entropy is not a value `dualdraw draw` accepts.
    Entropy(String),
}

/// The secret and the seed of a committed draw, from its commit line, the commitment the line
/// holds (as its hex text) and its reveal: the secret must open the commitment and the entropy must be one the
/// draw accepts; the seed is then derived from them and the commit line (SPEC.md §9.2).
///
/// # Errors
///
/// [`RevealFault::Secret`] when the revealed secret is not 64 hex digits;
/// [`RevealFault::Commitment`] when it does not hash to `commitment`; [`RevealFault::Entropy`] when
/// the entropy is not a value a draw accepts (see [`check_entropy`](crate::commit::check_entropy)).
pub fn open_reveal(
    commit_line: &str,
    commitment: &str,
    reveal: &RevealEvent,
) -> Result<([u8; 32], String), RevealFault> {
    let secret = commit::parse_secret(&reveal.secret).map_err(|_| RevealFault::Secret)?;
    let opened = hex::encode(commit::commitment(&secret));
    if opened != commitment {
        return Err(RevealFault::Commitment {
            committed: commitment.into(),
            opened,
        });
    }
    commit::check_entropy(&reveal.entropy).map_err(|e| RevealFault::Entropy(e.to_string()))?;
    let seed = commit::derive_seed(&secret, &reveal.entropy, &line_hash(commit_line));
    Ok((secret, seed))
}

impl ReplacementEvent {
    /// The request this replacement answered: who left and why. Who came instead is the
    /// draw's to recompute (SPEC.md §9.3).
    pub fn request(&self) -> ReplacementRequest {
        ReplacementRequest {
            task: self.task.clone(),
            enterprise: self.enterprise.clone(),
            out: self.out.clone(),
            reason: self.reason.clone(),
        }
    }
}

/// The pairs a logged draw kept apart: the plan's recusals and the `history` and `rotation`
/// events of the log (SPEC.md §6.2), for re-running it.
pub fn apart_from_log(plan: &Plan, entries: &[Entry<'_>]) -> Apart {
    let mut apart = Apart::from_plan(plan);
    for e in entries {
        // Only these two events matter; other lines are not decoded. A line that is one of
        // them and does not decode adds nothing: the re-run then differs from the log there.
        let l = e.line;
        if !(l.contains("\"event\":\"rotation\"") || l.contains("\"event\":\"history\"")) {
            continue;
        }
        match e.try_event() {
            Some(Event::History(h)) => apart.history.push(h.head),
            Some(Event::Rotation(r)) => {
                apart
                    .rotation
                    .entry(r.enterprise)
                    .or_default()
                    .extend(r.officers);
            }
            _ => {}
        }
    }
    apart
}

/// Adds the rotation pairs of earlier draw logs to `apart` (SPEC.md §5.7): each log's hash
/// chain is checked first; every `team` event gives (enterprise, each officer and expert) and
/// every `replacement` event (enterprise, `in`). The logs' heads are recorded in order.
///
/// # Errors
///
/// [`ErrorKind::History`](crate::ErrorKind::History), naming the file, when an earlier log fails
/// its hash-chain check or is empty.
pub fn add_history(apart: &mut Apart, logs: &[(std::path::PathBuf, Vec<u8>)]) -> Result<()> {
    for (path, bytes) in logs {
        let (entries, checkpoint) = read_with_checkpoint(bytes).map_err(|e| {
            crate::Error::from(ErrorKind::History(format!(
                "{}: the earlier draw log fails its chain check, so it is not used: {e}",
                path.display()
            )))
        })?;
        if entries.is_empty() {
            return Err(ErrorKind::History(format!("{}: empty log", path.display())).into());
        }
        apart.history.push(checkpoint.root);
        for e in &entries {
            let (enterprise, officers) = match e.try_event() {
                Some(Event::Team(t)) => (t.enterprise, [t.officers, t.experts].concat()),
                Some(Event::Replacement(r)) => (r.enterprise, vec![r.incoming]),
                _ => continue,
            };
            apart
                .rotation
                .entry(enterprise)
                .or_default()
                .extend(officers);
        }
    }
    Ok(())
}
