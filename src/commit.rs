//! Commit, then draw: an unsteerable seed (SPEC.md §9).
//!
//! Before any randomness exists, `dualdraw commit` freezes the inputs: the log's first line
//! records the plan digest, both directory heads, the public entropy source named in advance,
//! and a SHA-256 commitment to a 32-byte operator secret from the operating system. The draw
//! later reveals the secret and the public entropy; the seed is
//! `hex(SHA-256(str(TAG) || secret || str(entropy) || commit_head))`. The operator cannot steer
//! it (the entropy did not exist at commit time) and neither can whoever produces the entropy
//! (they do not know the secret).

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::directory::{Enterprise, Officer, put_str};
use crate::error::{ErrorKind, Result};
use crate::merkle::Hash;

/// Domain-separation tag of the commitment.
pub const COMMITMENT_TAG: &str = "dualdraw/v1/commitment";
/// Domain-separation tag of the seed derivation.
pub const SEED_TAG: &str = "dualdraw/v1/seed";

/// The kinds of public entropy a plan may name in advance.
pub const ENTROPY_KINDS: [&str; 4] = ["dice", "beacon", "stock-index", "other"];

/// A public entropy source, named at commit time before its value exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntropySource {
    /// Machine-readable kind: one of [`ENTROPY_KINDS`].
    pub kind: String,
    /// What exactly will be used, e.g. "dice thrown at the public ceremony on 2020-10-15".
    pub description: String,
}

impl EntropySource {
    /// Validates a source.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Seed`] when `kind` is not one of the known entropy kinds, or when `description`
    /// is blank or holds a control character.
    pub fn new(kind: &str, description: &str) -> Result<Self> {
        if !ENTROPY_KINDS.contains(&kind) {
            return Err(ErrorKind::Seed(format!(
                "entropy kind {kind:?} is not one of {}",
                ENTROPY_KINDS.join(", ")
            ))
            .into());
        }
        if description.trim().is_empty() || description.chars().any(char::is_control) {
            return Err(ErrorKind::Seed(
                "the entropy source needs a description without control characters, e.g. \
                 \"dice thrown at the public ceremony on 2020-10-15\""
                    .into(),
            )
            .into());
        }
        Ok(EntropySource {
            kind: kind.into(),
            description: description.into(),
        })
    }
}

/// 32 bytes from the operating system's random source (feature `os-rng`). An embedder without
/// one (WebAssembly in a browser, an HSM) draws the secret itself and passes it to
/// [`ceremony::commit`](crate::ceremony::commit).
///
/// # Errors
///
/// [`ErrorKind::Seed`] when the operating system gives no randomness.
#[cfg(feature = "os-rng")]
pub fn new_secret() -> Result<[u8; 32]> {
    let mut s = [0u8; 32];
    getrandom::fill(&mut s).map_err(|e| ErrorKind::Seed(format!("no OS randomness: {e}")))?;
    Ok(s)
}

/// `SHA-256(str(COMMITMENT_TAG) || secret)`.
///
/// ```
/// let c = dualdraw::commit::commitment(&[0u8; 32]);
/// assert_ne!(c, dualdraw::commit::commitment(&[1u8; 32]));
/// ```
pub fn commitment(secret: &[u8; 32]) -> Hash {
    let mut b = Vec::new();
    put_str(&mut b, COMMITMENT_TAG);
    b.extend_from_slice(secret);
    Sha256::digest(&b).into()
}

/// The seed of a committed draw: `hex(SHA-256(str(SEED_TAG) || secret || str(entropy) ||
/// commit_head))`, where `commit_head` is the SHA-256 of the commit line.
pub fn derive_seed(secret: &[u8; 32], entropy: &str, commit_head: &Hash) -> String {
    let mut b = Vec::new();
    put_str(&mut b, SEED_TAG);
    b.extend_from_slice(secret);
    put_str(&mut b, entropy);
    b.extend_from_slice(commit_head);
    hex::encode(Sha256::digest(&b))
}

/// Checks a published entropy value: 1 to 4096 bytes without control characters.
///
/// # Errors
///
/// [`ErrorKind::Seed`] when the value is blank, longer than 4096 bytes or holds a control
/// character.
pub fn check_entropy(v: &str) -> Result<()> {
    if v.trim().is_empty() || v.len() > 4096 || v.chars().any(char::is_control) {
        Err(ErrorKind::Seed(
            "the entropy value must be 1 to 4096 bytes of text without control characters, \
             exactly as published (e.g. the dice faces in throwing order)"
                .into(),
        )
        .into())
    } else {
        Ok(())
    }
}

/// Parses a secret file: 64 hex characters (surrounding white space ignored).
///
/// # Errors
///
/// [`ErrorKind::Seed`] when the text (trimmed) is not exactly 64 hexadecimal characters.
pub fn parse_secret(text: &str) -> Result<[u8; 32]> {
    let mut s = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut s).map_err(|_| {
        ErrorKind::Seed("the secret file must hold 64 hexadecimal characters".into())
    })?;
    Ok(s)
}

/// What changed in a directory since it was frozen: ids changed, added and removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DirectoryDiff {
    /// Ids whose record differs.
    pub changed: Vec<String>,
    /// Ids present now but not when frozen.
    pub added: Vec<String>,
    /// Ids present when frozen but not now.
    pub removed: Vec<String>,
}

impl DirectoryDiff {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.added.is_empty() && self.removed.is_empty()
    }
}

impl std::fmt::Display for DirectoryDiff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |v: &[String]| {
            let mut s = v.iter().take(20).cloned().collect::<Vec<_>>().join(", ");
            if v.len() > 20 {
                s.push_str(&format!(" and {} more", v.len() - 20));
            }
            s
        };
        let mut parts = Vec::new();
        if !self.changed.is_empty() {
            parts.push(format!(
                "{} changed ({})",
                self.changed.len(),
                list(&self.changed)
            ));
        }
        if !self.added.is_empty() {
            parts.push(format!(
                "{} added ({})",
                self.added.len(),
                list(&self.added)
            ));
        }
        if !self.removed.is_empty() {
            parts.push(format!(
                "{} removed ({})",
                self.removed.len(),
                list(&self.removed)
            ));
        }
        write!(f, "{}", parts.join("; "))
    }
}

fn diff<T>(
    frozen: &[T],
    now: &[T],
    id: impl Fn(&T) -> &str,
    bytes: impl Fn(&T) -> Vec<u8>,
) -> DirectoryDiff {
    let before: BTreeMap<&str, Vec<u8>> = frozen.iter().map(|r| (id(r), bytes(r))).collect();
    let after: BTreeMap<&str, Vec<u8>> = now.iter().map(|r| (id(r), bytes(r))).collect();
    let mut d = DirectoryDiff::default();
    for (k, v) in &after {
        match before.get(k) {
            None => d.added.push(k.to_string()),
            Some(b) if b != v => d.changed.push(k.to_string()),
            _ => {}
        }
    }
    d.removed = before
        .keys()
        .filter(|k| !after.contains_key(*k))
        .map(|k| k.to_string())
        .collect();
    d
}

/// Compares enterprise records by id and canonical bytes.
pub fn diff_targets(frozen: &[Enterprise], now: &[Enterprise]) -> DirectoryDiff {
    diff(frozen, now, |e| &e.id, Enterprise::canonical_bytes)
}

/// Compares officer records by id and canonical bytes.
pub fn diff_officers(frozen: &[Officer], now: &[Officer]) -> DirectoryDiff {
    diff(frozen, now, |o| &o.id, Officer::canonical_bytes)
}
