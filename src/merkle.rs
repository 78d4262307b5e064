//! RFC 6962 Merkle tree heads, built left to right in O(log n) memory.
//!
//! The hashes are those of RFC 6962 §2.1 (restated in RFC 9162 §2.1.1):
//! leaf hash `SHA-256(0x00 || leaf)`, node hash `SHA-256(0x01 || left || right)`, and the head
//! of an empty tree `SHA-256("")`. A tree of n > 1 leaves splits at the largest power of two
//! smaller than n; [`TreeBuilder`] produces exactly that head while seeing each leaf once.

use sha2::{Digest, Sha256};

/// A 32-byte SHA-256 output.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the leaf hash of RFC 6962 §2.1.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`: the interior node hash of RFC 6962 §2.1.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// Builds the RFC 6962 tree head over leaves pushed in order.
///
/// ```
/// use dualdraw::merkle::{TreeBuilder, leaf_hash, node_hash};
/// let mut t = TreeBuilder::new();
/// t.push(b"a");
/// t.push(b"b");
/// t.push(b"c");
/// let ab = node_hash(&leaf_hash(b"a"), &leaf_hash(b"b"));
/// assert_eq!(t.head(), node_hash(&ab, &leaf_hash(b"c")));
/// assert_eq!(t.len(), 3);
/// ```
#[derive(Debug, Clone, Default)]
pub struct TreeBuilder {
    /// Roots of complete subtrees, largest first, with their heights (a binary counter).
    stack: Vec<(u32, Hash)>,
    count: u64,
}

impl TreeBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a leaf given by its data.
    pub fn push(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Appends a leaf given by its leaf hash.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let mut node = (0u32, leaf);
        while let Some(&(height, left)) = self.stack.last() {
            if height != node.0 {
                break;
            }
            self.stack.pop();
            node = (height + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.count += 1;
    }

    /// Number of leaves pushed.
    pub fn len(&self) -> u64 {
        self.count
    }

    /// True when no leaf was pushed.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The tree head (MTH) over the leaves pushed so far.
    pub fn head(&self) -> Hash {
        let mut iter = self.stack.iter().rev();
        let Some(&(_, mut acc)) = iter.next() else {
            return Sha256::digest(b"").into();
        };
        // Complete subtrees from the right fold into their left neighbours: this is exactly
        // RFC 6962's split at the largest power of two below n, applied recursively.
        for (_, left) in iter {
            acc = node_hash(left, &acc);
        }
        acc
    }
}

/// The head over a slice of leaf data, by the recursive definition of RFC 6962 §2.1.
///
/// Slower than [`TreeBuilder`] and kept as the executable form of the definition.
pub fn mth(leaves: &[&[u8]]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaf_hash(leaves[0]),
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_matches_definition() {
        let data: Vec<Vec<u8>> = (0..70u8).map(|i| vec![i; i as usize]).collect();
        for n in 0..data.len() {
            let leaves: Vec<&[u8]> = data[..n].iter().map(|v| v.as_slice()).collect();
            let mut b = TreeBuilder::new();
            for l in &leaves {
                b.push(l);
            }
            assert_eq!(b.head(), mth(&leaves), "n = {n}");
        }
    }

    #[test]
    fn empty_head_is_hash_of_empty_string() {
        assert_eq!(
            hex::encode(TreeBuilder::new().head()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
