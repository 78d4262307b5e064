//! What the first lines of a log bind (SPEC.md §7 steps 2–5): the spec version, the plan and
//! directory digests, and the seed (the header's, or the one a reveal opens).

use serde_json::Value;

use crate::commit::EntropySource;
use crate::directory::Digest;
use crate::error::{Result, VerifyError};
use crate::log::event::HeaderEvent;
use crate::log::{self, Entry, Event, Header, Mode, RevealFault, SPEC_VERSION};
use crate::merkle::Hash;
use crate::plan::Plan;

/// Line 1 is malformed for `reason`.
fn malformed(reason: impl Into<String>) -> VerifyError {
    VerifyError::Malformed {
        line: 1,
        reason: reason.into(),
    }
}

/// The header. Its `event` and `spec` are read first, so that a log of another version is
/// reported as such even when its header has other members than this version's.
pub(super) fn read(first: &Entry<'_>) -> Result<HeaderEvent, VerifyError> {
    #[derive(serde::Deserialize)]
    struct Preamble {
        #[serde(default)]
        event: Value,
        #[serde(default)]
        spec: Value,
    }
    let p: Preamble = serde_json::from_str(first.line).map_err(|e| malformed(e.to_string()))?;
    match p.event.as_str() {
        None => return Err(malformed("header has no string field `event`")),
        Some("header") => {}
        Some(_) => return Err(malformed("the first event is not a header")),
    }
    match p.spec.as_str() {
        None => return Err(malformed("header has no string field `spec`")),
        Some(SPEC_VERSION) => {}
        Some(other) => {
            return Err(VerifyError::UnsupportedSpec {
                found: other.into(),
                supported: SPEC_VERSION.into(),
            });
        }
    }
    first.header()
}

fn same(what: &str, logged: String, actual: String) -> Result<(), VerifyError> {
    if logged == actual {
        Ok(())
    } else {
        Err(VerifyError::DigestMismatch {
            what: what.into(),
            logged,
            actual,
        })
    }
}

/// The plan digest and the officer directory: known before anything is drawn.
pub(super) fn check_inputs(
    h: &HeaderEvent,
    plan_digest: &Hash,
    officers: &Digest,
) -> Result<(), VerifyError> {
    same(
        "plan digest",
        h.plan.digest.clone(),
        hex::encode(plan_digest),
    )?;
    let o = &h.directories.officers;
    same(
        "officer directory head",
        o.head.clone(),
        hex::encode(officers.head),
    )?;
    same(
        "officer directory count",
        o.count.to_string(),
        officers.count.to_string(),
    )?;
    same(
        "optional fields the officer directory supplies",
        o.supplied.join(","),
        officers
            .supplied
            .names(&crate::directory::Supplied::OFFICER_FIELDS)
            .join(","),
    )
}

/// The target directory, known once the target side has been read.
pub(super) fn check_targets(h: &HeaderEvent, targets: &Digest) -> Result<(), VerifyError> {
    let t = &h.directories.targets;
    same(
        "target directory head",
        t.head.clone(),
        hex::encode(targets.head),
    )?;
    same(
        "target directory count",
        t.count.to_string(),
        targets.count.to_string(),
    )?;
    same(
        "optional fields the target directory supplies",
        t.supplied.join(","),
        targets
            .supplied
            .names(&crate::directory::Supplied::TARGET_FIELDS)
            .join(","),
    )
}

/// An opened reveal.
pub(super) struct Revealed {
    pub(super) secret: [u8; 32],
    pub(super) entropy: String,
    pub(super) seed: String,
}

/// Where the seed of a log comes from.
pub(super) enum Seeding {
    /// The operator's seed, in the header.
    Rehearsal { seed: String },
    /// A committed draw, and its reveal once it has one.
    Committed { reveal: Option<Revealed> },
}

impl Seeding {
    /// The seed to draw with; none before a reveal.
    pub(super) fn seed(&self) -> Option<&str> {
        match self {
            Seeding::Rehearsal { seed } => Some(seed),
            Seeding::Committed { reveal } => reveal.as_ref().map(|r| r.seed.as_str()),
        }
    }

    /// The seed as the report states it.
    pub(super) fn into_seed(self) -> String {
        match self {
            Seeding::Rehearsal { seed } => seed,
            Seeding::Committed { reveal: Some(r) } => r.seed,
            Seeding::Committed { reveal: None } => "(committed, not yet drawn)".into(),
        }
    }
}

/// The seed of the log: the header's, or for a committed draw the one its reveal (line 2, if
/// there is one) opens (SPEC.md §9.2).
pub(super) fn seeding(h: &HeaderEvent, entries: &[Entry<'_>]) -> Result<Seeding> {
    match h.mode {
        Mode::OperatorSeed => match &h.seed {
            Some(seed) => Ok(Seeding::Rehearsal { seed: seed.clone() }),
            None => Err(malformed("header has no string field `seed`").into()),
        },
        Mode::CommitReveal => {
            let Some(second) = entries.get(1) else {
                return Ok(Seeding::Committed { reveal: None });
            };
            let bad = |reason: &str| VerifyError::Malformed {
                line: 2,
                reason: reason.into(),
            };
            let r = match second.event()? {
                Event::Reveal(r) => r,
                _ => {
                    return Err(
                        bad("the second event of a committed draw must be its reveal").into(),
                    );
                }
            };
            let commitment = h
                .commitment
                .as_deref()
                .ok_or_else(|| malformed("header has no string field `commitment`"))?;
            let (secret, seed) =
                log::open_reveal(entries[0].line, commitment, &r).map_err(|f| match f {
                    RevealFault::Secret => bad("the reveal has no 64-hex-character `secret`"),
                    RevealFault::Commitment { committed, opened } => {
                        VerifyError::Commitment { committed, opened }
                    }
                    RevealFault::Entropy(e) => bad(&e),
                })?;
            Ok(Seeding::Committed {
                reveal: Some(Revealed {
                    secret,
                    entropy: r.entropy,
                    seed,
                }),
            })
        }
    }
}

/// The header this software writes for the log's plan, directories and seed (with the log's
/// own informational `crate_version`), to compare with the log's.
pub(super) fn regenerate(
    h: &HeaderEvent,
    plan: &Plan,
    plan_digest: &Hash,
    targets: Digest,
    officers: Digest,
    seeding: &Seeding,
) -> Result<Value, VerifyError> {
    Ok(match seeding {
        Seeding::Rehearsal { seed } => log::header_event(&Header {
            plan,
            plan_digest: *plan_digest,
            targets,
            officers,
            seed,
            crate_version: &h.crate_version,
        }),
        Seeding::Committed { .. } => {
            let source = h
                .entropy_source
                .as_ref()
                .ok_or_else(|| malformed("header has no string field `entropy_source.kind`"))?;
            // A kind outside the set, or an unusable description, cannot come from a commit.
            let entropy = EntropySource::new(&source.kind, &source.description)
                .map_err(|e| malformed(format!("the commit header's `entropy_source`: {e}")))?;
            let text = h
                .commitment
                .as_deref()
                .ok_or_else(|| malformed("header has no string field `commitment`"))?;
            let mut commitment = [0u8; 32];
            hex::decode_to_slice(text, &mut commitment)
                .map_err(|_| malformed("`commitment` is not 64 hexadecimal characters"))?;
            log::commit_event(&log::CommitHeader {
                plan,
                plan_digest: *plan_digest,
                targets,
                officers,
                entropy: &entropy,
                commitment,
                crate_version: &h.crate_version,
            })
        }
    })
}
