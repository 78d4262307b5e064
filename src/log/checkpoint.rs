//! The published head of a log: a checkpoint in the style of C2SP tlog-checkpoint (SPEC.md §6.3).
//!
//! Three lines, each ending with LF: the origin (naming the plan), the tree size in decimal, and
//! the RFC 9162 §2.1.1 Merkle tree head over the log's lines in standard padded base64. Short
//! enough to print in a public notice; parsed strictly, so one text stands for one head.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::merkle::Hash;

/// A log's published head: which plan, how many lines, and the tree head over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// `dualdraw/<plan id>/<first 16 hex digits of the plan digest>`.
    pub origin: String,
    /// The number of lines (leaves).
    pub size: u64,
    /// The RFC 9162 §2.1.1 tree head `MTH` over the lines.
    pub root: Hash,
}

/// Why a checkpoint text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a dualdraw checkpoint: {0}")]
pub struct CheckpointError(pub String);

impl Checkpoint {
    /// The origin line for a plan: `dualdraw/`, the plan id, `/`, and the first 16 hex digits of
    /// the plan digest (SPEC.md §4.5), so that two plans with the same id have other origins.
    pub fn origin_for(plan_id: &str, plan_digest: &Hash) -> String {
        format!("dualdraw/{plan_id}/{}", &hex::encode(plan_digest)[..16])
    }

    /// The checkpoint text: origin, size and base64 root, each followed by LF.
    ///
    /// ```
    /// use dualdraw::log::Checkpoint;
    /// let c = Checkpoint { origin: "dualdraw/demo/0011223344556677".into(), size: 3, root: [7; 32] };
    /// let text = c.to_text();
    /// assert_eq!(text, "dualdraw/demo/0011223344556677\n3\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n");
    /// assert_eq!(Checkpoint::parse(&text), Ok(c));
    /// assert!(Checkpoint::parse(&text.replace("\n3\n", "\n03\n")).is_err());
    /// ```
    pub fn to_text(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            STANDARD.encode(self.root)
        )
    }

    /// Parses a checkpoint text strictly (SPEC.md §6.3): exactly three LF-terminated lines, a
    /// non-empty origin starting `dualdraw/` without control characters, a size in decimal
    /// without sign or leading zero and at least 1, and 44 characters of padded base64 of 32
    /// bytes. No CR, no BOM, no other line.
    ///
    /// # Errors
    ///
    /// [`CheckpointError`] saying which line is wrong and what was expected.
    pub fn parse(text: &str) -> Result<Checkpoint, CheckpointError> {
        let bad = |s: String| Err(CheckpointError(s));
        let Some(body) = text.strip_suffix('\n') else {
            return bad("the text does not end with a line feed".into());
        };
        let lines: Vec<&str> = body.split('\n').collect();
        let [origin, size, root] = lines[..] else {
            return bad(format!(
                "{} lines; a checkpoint has exactly three (origin, tree size, root hash)",
                lines.len()
            ));
        };
        if !origin.starts_with("dualdraw/") || origin.chars().any(char::is_control) {
            return bad(format!(
                "origin line {origin:?} is not `dualdraw/<plan id>/<plan digest prefix>`"
            ));
        }
        let size_ok =
            !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit()) && !size.starts_with('0');
        let Some(size) = size_ok.then(|| size.parse::<u64>().ok()).flatten() else {
            return bad(format!(
                "tree size line {size:?} is not a decimal number from 1 up, without leading zeros"
            ));
        };
        let decoded = STANDARD.decode(root).ok().filter(|d| d.len() == 32);
        let Some(bytes) = decoded.filter(|d| STANDARD.encode(d) == root) else {
            return bad(format!(
                "root hash line {root:?} is not 32 bytes in padded standard base64 (44 characters)"
            ));
        };
        let mut h = [0u8; 32];
        h.copy_from_slice(&bytes);
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root: h,
        })
    }
}

/// The origin named by a log's header line (its `plan.id` and `plan.digest`), if it has them.
fn origin_of_header(line: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Plan {
        id: String,
        digest: String,
    }
    #[derive(serde::Deserialize)]
    struct Header {
        plan: Plan,
    }
    let h: Header = serde_json::from_str(line).ok()?;
    let mut digest = [0u8; 32];
    hex::decode_to_slice(&h.plan.digest, &mut digest).ok()?;
    Some(Checkpoint::origin_for(&h.plan.id, &digest))
}

/// The checkpoint of a log given its header line and the leaf hashes of all its lines; the
/// origin is `dualdraw/` alone when the header names no plan (a log no verification accepts).
pub(crate) fn checkpoint_of(header: &str, leaves: impl IntoIterator<Item = Hash>) -> Checkpoint {
    let leaves: Vec<Hash> = leaves.into_iter().collect();
    Checkpoint {
        origin: origin_of_header(header).unwrap_or_else(|| "dualdraw/".into()),
        size: leaves.len() as u64,
        root: crate::merkle::head_of_leaf_hashes(&leaves),
    }
}
