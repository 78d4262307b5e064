//! The draw log: hash-chained JSON Lines that are the leaves of an RFC 9162 Merkle tree
//! (SPEC.md §6).
//!
//! Every line is one event, a JSON object in canonical form (keys sorted by their UTF-8 bytes,
//! no insignificant white space, non-ASCII characters unescaped). Every line has `prev`, the
//! lowercase hex RFC 9162 §2.1.1 leaf hash `SHA-256(0x00 || line)` of the previous line's exact
//! bytes (64 zeros on the first line), and `seq`, its 0-based position. The head of the log is
//! the RFC 9162 tree head over its lines, published as a [`Checkpoint`]; each line's leaf hash
//! is computed once and serves both the chain and the tree.

mod chain;
mod checkpoint;
mod consistency;
pub mod converted;
pub mod event;
pub(crate) mod read;
mod scan;
mod store;
pub(crate) mod write;

use sha2::{Digest as _, Sha256};

use crate::merkle::Hash;

pub(crate) use self::chain::check_chain;
pub use self::chain::{canonical, chain};
pub(crate) use self::checkpoint::checkpoint_of;
pub use self::checkpoint::{Checkpoint, CheckpointError};
pub use self::consistency::{CONSISTENCY_FORMAT, ConsistencyProof};
pub use self::event::{Event, Mode};
pub use self::read::{Entry, read, read_with_checkpoint};
pub(crate) use self::read::{RevealFault, add_history, apart_from_log, open_reveal};
pub use self::store::{LogStore, MemoryStore, check_append};
pub use self::write::NOTICE;
pub(crate) use self::write::{
    CommitHeader, Header, commit_event, draw_events, events, header_event, replacement_event,
    reveal_event,
};

/// The version of SPEC.md this build implements; written in every log header.
pub const SPEC_VERSION: &str = "dualdraw-spec/4";

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A finished log: its lines (without newlines) in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The lines, each a canonical JSON object.
    pub lines: Vec<String>,
}

impl Log {
    /// The RFC 9162 §2.1.2 Merkle tree head over the lines (leaf hashes §2.1.1); the head of
    /// the empty tree, `SHA-256("")`, for an empty log.
    pub fn head(&self) -> Hash {
        let mut tree = crate::merkle::TreeBuilder::new();
        for l in &self.lines {
            tree.push_leaf_hash(leaf_hash(l));
        }
        tree.head()
    }

    /// The checkpoint to publish as `draw.head` (SPEC.md §6.3): origin from the header, the
    /// number of lines and [`head`](Self::head).
    pub fn checkpoint(&self) -> Checkpoint {
        let header = self.lines.first().map_or("", String::as_str);
        checkpoint_of(header, self.lines.iter().map(|l| leaf_hash(l)))
    }

    /// The file contents: each line followed by `\n`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for l in &self.lines {
            out.extend_from_slice(l.as_bytes());
            out.push(b'\n');
        }
        out
    }
}

/// Plain SHA-256 of a line's bytes: not the chain's hash, but what the seed derivation of a
/// committed draw (SPEC.md §9.2) takes from the commit line.
pub fn line_hash(line: &str) -> Hash {
    Sha256::digest(line.as_bytes()).into()
}

/// The RFC 9162 §2.1.1 leaf hash of a line, `SHA-256(0x00 || line)`: the next line's `prev`
/// and the line's leaf in the log's Merkle tree.
pub fn leaf_hash(line: &str) -> Hash {
    crate::merkle::leaf_hash(line.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_and_keeps_unicode() {
        let v = json!({"b": 1, "a": {"z": [1, "无线电"], "y": null}, "é": "\u{1}"});
        assert_eq!(
            canonical(&v),
            r#"{"a":{"y":null,"z":[1,"无线电"]},"b":1,"é":"\u0001"}"#
        );
    }

    #[test]
    fn chain_links_lines() {
        let log = chain(vec![json!({"event": "a"}), json!({"event": "b"})]);
        assert!(log.lines[0].contains(GENESIS));
        assert!(log.lines[1].contains(&hex::encode(leaf_hash(&log.lines[0]))));
        let leaves: Vec<&[u8]> = log.lines.iter().map(|l| l.as_bytes()).collect();
        assert_eq!(log.head(), crate::merkle::mth(&leaves));
    }
}
