//! The draw log: hash-chained JSON Lines (SPEC.md §6).
//!
//! Every line is one event, a JSON object in canonical form (keys sorted by their UTF-8 bytes,
//! no insignificant white space, non-ASCII characters unescaped). Every line has `prev`, the
//! lowercase hex SHA-256 of the previous line's exact bytes (64 zeros on the first line), and
//! `seq`, its 0-based position. The head of the log is the SHA-256 of its last line.

mod chain;
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
pub use self::event::{Event, Mode};
pub use self::read::{Entry, read};
pub(crate) use self::read::{RevealFault, add_history, apart_from_log, open_reveal};
pub use self::store::{LogStore, MemoryStore, check_append};
pub(crate) use self::write::{
    CommitHeader, Header, commit_event, draw_events, events, header_event, replacement_event,
    reveal_event,
};

/// The version of SPEC.md this build implements; written in every log header.
pub const SPEC_VERSION: &str = "dualdraw-spec/1";

/// `prev` of the first line.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// A finished log: its lines (without newlines) in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    /// The lines, each a canonical JSON object.
    pub lines: Vec<String>,
}

impl Log {
    /// SHA-256 of the last line (of nothing, for an empty log).
    pub fn head(&self) -> Hash {
        line_hash(self.lines.last().map_or("", String::as_str))
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

/// SHA-256 of a line's bytes.
pub fn line_hash(line: &str) -> Hash {
    Sha256::digest(line.as_bytes()).into()
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
        assert!(log.lines[1].contains(&hex::encode(line_hash(&log.lines[0]))));
        assert_eq!(log.head(), line_hash(&log.lines[1]));
    }
}
