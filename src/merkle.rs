//! RFC 6962 / RFC 9162 Merkle trees: heads built left to right in O(log n) memory, inclusion
//! proofs (§2.1.3) here, consistency proofs (§2.1.4) in `merkle/consistency.rs`.
//!
//! The hashes are those of RFC 6962 §2.1 (restated in RFC 9162 §2.1.1):
//! leaf hash `SHA-256(0x00 || leaf)`, node hash `SHA-256(0x01 || left || right)`, and the head
//! of an empty tree `SHA-256("")`. A tree of n > 1 leaves splits at the largest power of two
//! smaller than n; [`TreeBuilder`] produces exactly that head while seeing each leaf once.

use sha2::{Digest, Sha256};

mod consistency;

pub use self::consistency::{ConsistencyError, consistency_proof_len, verify_consistency};

/// A 32-byte SHA-256 output.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 || data)`: the leaf hash of RFC 6962 §2.1.
pub fn leaf_hash(data: &[u8]) -> Hash {
    // A directory record fits in four blocks: pad it on the stack and compress, sparing the
    // general-purpose hasher's buffering (FIPS 180-4 §5.1.1, §6.2); longer leaves take the
    // hasher. Tested equal to the definition.
    if data.len() + 1 + 9 <= 256 {
        let mut b = [[0u8; 64]; 4];
        let flat = b.as_flattened_mut();
        flat[1..1 + data.len()].copy_from_slice(data);
        flat[1 + data.len()] = 0x80;
        let n = (data.len() + 1 + 9).div_ceil(64);
        let bits = ((data.len() as u64) + 1) * 8;
        flat[n * 64 - 8..n * 64].copy_from_slice(&bits.to_be_bytes());
        return crate::hash::padded(&b[..n]);
    }
    crate::hash::sha256_leaf(data)
}

/// `SHA-256(0x01 || left || right)`: the interior node hash of RFC 6962 §2.1.
///
/// Computed as the two compressions of FIPS 180-4 §6.2 on the padded 65-byte message (§5.1.1):
/// a tree of n leaves hashes n − 1 nodes, and the general-purpose hasher's buffering costs
/// about as much as a compression here. Tested equal to the plain definition.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut b = [[0u8; 64]; 2];
    b[0][0] = 1;
    b[0][1..33].copy_from_slice(left);
    b[0][33..].copy_from_slice(&right[..31]);
    b[1][0] = right[31];
    b[1][1] = 0x80;
    b[1][56..].copy_from_slice(&(65u64 * 8).to_be_bytes());
    crate::hash::padded(&b)
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
    /// Roots of complete subtrees, leftmost first, with their heights. From leaf 0 this is a
    /// binary counter of the leaves; from a later leaf ([`starting_at`](Self::starting_at)) the
    /// first roots may be smaller than the ones after them.
    stack: Vec<(u32, Hash)>,
    /// The index, in the whole tree, of the first leaf pushed here.
    first: u64,
    count: u64,
}

impl TreeBuilder {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A run of leaves of a larger tree whose first leaf is leaf `first` of that tree: it keeps
    /// the roots of the complete subtrees of RFC 9162 that lie inside the run, so that runs
    /// built on several threads [`append`](Self::append) into the builder of the whole tree.
    /// Its own [`head`](Self::head) means nothing unless `first` is 0.
    pub(crate) fn starting_at(first: u64) -> Self {
        Self {
            first,
            ..Self::default()
        }
    }

    /// Appends a leaf given by its data.
    pub fn push(&mut self, data: &[u8]) {
        self.push_leaf_hash(leaf_hash(data));
    }

    /// Appends a leaf given by its leaf hash.
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        self.push_subtree(0, leaf);
    }

    /// Appends the root of a complete subtree of 2^`height` leaves, which starts at a multiple
    /// of 2^`height` (the next leaf's index is one), as the roots a run keeps do.
    fn push_subtree(&mut self, height: u32, root: Hash) {
        let (mut node, mut start) = ((height, root), self.first + self.count);
        debug_assert!(start.is_multiple_of(1 << height), "an unaligned subtree");
        // A root joins its left neighbour of the same height when the two make one complete
        // subtree of RFC 9162, that is when the pair starts at a multiple of its size: then
        // `start`, the right one's first leaf, has bit `height` set. From leaf 0 that is always
        // so (the stack is a binary counter); a run's first roots may have no such neighbour.
        while let Some(&(h, left)) = self.stack.last() {
            if h != node.0 || (start >> h) & 1 == 0 {
                break;
            }
            self.stack.pop();
            start -= 1 << h;
            node = (h + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.count += 1 << height;
    }

    /// Appends the leaves of `later`, a run that starts where this one ends (built with
    /// [`starting_at`](Self::starting_at) the index after this run's last leaf), through the
    /// roots of its complete subtrees: O(log n) node hashes, not one per leaf.
    pub(crate) fn append(&mut self, later: &TreeBuilder) {
        debug_assert_eq!(later.first, self.first + self.count, "runs out of order");
        for &(height, root) in &later.stack {
            self.push_subtree(height, root);
        }
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

/// The RFC 9162 §2.1.1 tree head over leaf hashes, with complete subtrees of 2^14 leaves
/// hashed on all cores (a log of 10^6 lines has 10^6 − 1 interior nodes).
///
/// Every split of RFC 9162 above that size falls on a multiple of 2^14, so the head is the
/// head of the tree whose "leaves" are those subtrees' roots (the last one partial).
pub fn head_of_leaf_hashes(leaves: &[Hash]) -> Hash {
    const CHUNK: usize = 1 << 14;
    let subtree = |chunk: &[Hash]| {
        let mut t = TreeBuilder::new();
        for l in chunk {
            t.push_leaf_hash(*l);
        }
        t.head()
    };
    let threads = if leaves.len() > 4 * CHUNK {
        crate::pool::threads().min(16)
    } else {
        1
    };
    let roots = crate::pool::par_map(leaves.chunks(CHUNK).collect(), threads, subtree);
    subtree(&roots)
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

/// The head over leaf *hashes* (not data), by the recursive definition of RFC 6962 §2.1.
fn mth_of_hashes(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => Sha256::digest(b"").into(),
        1 => leaves[0],
        n => {
            let k = split(n);
            node_hash(&mth_of_hashes(&leaves[..k]), &mth_of_hashes(&leaves[k..]))
        }
    }
}

/// The largest power of two smaller than `n` (n ≥ 2): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    1usize << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The audit path `PATH(m, D[n])` of RFC 6962 §2.1.1 for the leaf at `index`, given the leaf
/// hashes of all n leaves: the sibling hashes from the leaf up to the root, leaf level first.
///
/// This is the executable form of the recursive definition and costs O(n) hashes per call;
/// [`Tree`] answers many proofs over the same leaves in O(log n) each.
///
/// # Panics
///
/// If `index >= leaves.len()`.
///
/// ```
/// use dualdraw::merkle::{inclusion_proof, leaf_hash, node_hash, verify_inclusion};
/// let leaves: Vec<_> = [b"a", b"b", b"c"].iter().map(|d| leaf_hash(*d)).collect();
/// let root = node_hash(&node_hash(&leaves[0], &leaves[1]), &leaves[2]);
/// let path = inclusion_proof(&leaves, 1);
/// assert_eq!(path, vec![leaves[0], leaves[2]]);
/// assert_eq!(verify_inclusion(1, 3, &leaves[1], &path, &root), Ok(()));
/// ```
pub fn inclusion_proof(leaves: &[Hash], index: usize) -> Vec<Hash> {
    assert!(
        index < leaves.len(),
        "inclusion_proof: index {index} is not below the tree size {}",
        leaves.len()
    );
    let mut path = Vec::new();
    path_into(leaves, index, &mut path);
    path
}

fn path_into(leaves: &[Hash], m: usize, out: &mut Vec<Hash>) {
    let n = leaves.len();
    if n <= 1 {
        return;
    }
    let k = split(n);
    if m < k {
        path_into(&leaves[..k], m, out);
        out.push(mth_of_hashes(&leaves[k..]));
    } else {
        path_into(&leaves[k..], m - k, out);
        out.push(mth_of_hashes(&leaves[..k]));
    }
}

/// Why an inclusion proof was rejected by [`verify_inclusion`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InclusionError {
    /// The leaf index is not below the tree size (RFC 9162 §2.1.3.2 step 1).
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The index claimed.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The audit path has more hashes than the walk consumes (step 4a), or fewer (step 5).
    #[error(
        "the audit path has {found} hashes but a leaf at index {index} of a tree of {size} needs {expected}"
    )]
    WrongProofLength {
        /// Hashes in the path.
        found: usize,
        /// Hashes the walk needs.
        expected: usize,
        /// The index claimed.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// The walk ends at another root (step 5).
    #[error("the audit path leads to another root than the tree head")]
    RootMismatch,
}

/// The number of hashes in the audit path of leaf `index` in a tree of `size` leaves: the number
/// of iterations of RFC 9162 §2.1.3.2 step 4 before `sn` reaches 0. Requires `index < size`.
pub fn inclusion_proof_len(index: u64, size: u64) -> usize {
    let (mut fn_, mut sn) = (index, size.saturating_sub(1));
    let mut len = 0;
    while sn != 0 {
        // The walk of `verify_inclusion`, without the hashing.
        if fn_ & 1 == 0 && fn_ == sn {
            while fn_ & 1 == 0 && fn_ != 0 {
                fn_ >>= 1;
                sn >>= 1;
            }
        }
        fn_ >>= 1;
        sn >>= 1;
        len += 1;
    }
    len
}

/// Verifies an audit path exactly as RFC 9162 §2.1.3.2 prescribes: the leaf with hash
/// `leaf_hash` is at `index` of the tree of `size` leaves whose head is `root`.
///
/// The walk keeps `fn` (the node's index at its level) and `sn` (the last index at that level):
/// a path hash goes on the left when `fn` is odd or `fn == sn` (a right-edge node, which then
/// climbs past the levels where it has no sibling), else on the right. A path that is too long
/// (`sn` reaches 0 first) or too short (`sn` not 0 at the end) fails, as does `index >= size`.
///
/// # Errors
///
/// [`InclusionError::IndexOutOfRange`] when `index >= size`; [`InclusionError::WrongProofLength`]
/// when `proof` has more or fewer hashes than the walk needs; [`InclusionError::RootMismatch`] when
/// the path leads to another root than `root`.
///
/// ```
/// use dualdraw::merkle::{InclusionError, leaf_hash, verify_inclusion};
/// let l = leaf_hash(b"only");
/// assert_eq!(verify_inclusion(0, 1, &l, &[], &l), Ok(()));
/// assert!(matches!(verify_inclusion(1, 1, &l, &[], &l), Err(InclusionError::IndexOutOfRange { .. })));
/// assert!(matches!(verify_inclusion(0, 1, &l, &[l], &l), Err(InclusionError::WrongProofLength { .. })));
/// ```
pub fn verify_inclusion(
    index: u64,
    size: u64,
    leaf_hash: &Hash,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    // Step 1.
    if index >= size {
        return Err(InclusionError::IndexOutOfRange { index, size });
    }
    let wrong_length = || InclusionError::WrongProofLength {
        found: proof.len(),
        expected: inclusion_proof_len(index, size),
        index,
        size,
    };
    // Steps 2 and 3.
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf_hash;
    // Step 4.
    for p in proof {
        // 4a.
        if sn == 0 {
            return Err(wrong_length());
        }
        // 4b.
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        // 4c.
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    if sn != 0 {
        return Err(wrong_length());
    }
    if r != *root {
        return Err(InclusionError::RootMismatch);
    }
    Ok(())
}

/// The hashes of a multi-leaf inclusion proof `MPATH(S, D[n])` (SPEC.md §10.2) for the sorted,
/// distinct leaf indices `S` of a tree of `n` leaves, computed by `subtree(lo, len)`, which gives
/// `MTH(D[lo .. lo + len])`. `MPATH` follows RFC 6962's split: with `k` the largest power of two
/// below `n`, the part of `S` left of `k` is proved in `D[0..k]` and the rest in `D[k..n]`; a
/// side holding no index of `S` is replaced by its head, after the other side's hashes. For one
/// index it is exactly `PATH(m, D[n])`.
fn multi_path_into(
    indices: &[u64],
    lo: u64,
    n: u64,
    subtree: &dyn Fn(u64, u64) -> Hash,
    out: &mut Vec<Hash>,
) {
    if n <= 1 || indices.is_empty() {
        return;
    }
    let k = 1u64 << (63 - (n - 1).leading_zeros());
    let cut = indices.partition_point(|&i| i < lo + k);
    let (left, right) = indices.split_at(cut);
    if right.is_empty() {
        multi_path_into(left, lo, k, subtree, out);
        out.push(subtree(lo + k, n - k));
    } else if left.is_empty() {
        multi_path_into(right, lo + k, n - k, subtree, out);
        out.push(subtree(lo, k));
    } else {
        multi_path_into(left, lo, k, subtree, out);
        multi_path_into(right, lo + k, n - k, subtree, out);
    }
}

/// The number of hashes of `MPATH(S, D[size])` for sorted, distinct indices below `size`.
pub fn multi_inclusion_proof_len(indices: &[u64], size: u64) -> usize {
    fn walk(indices: &[u64], lo: u64, n: u64) -> usize {
        if n <= 1 || indices.is_empty() {
            return 0;
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        let cut = indices.partition_point(|&i| i < lo + k);
        let (left, right) = indices.split_at(cut);
        match (left.is_empty(), right.is_empty()) {
            (false, true) => walk(left, lo, k) + 1,
            (true, false) => walk(right, lo + k, n - k) + 1,
            _ => walk(left, lo, k) + walk(right, lo + k, n - k),
        }
    }
    walk(indices, 0, size)
}

/// `MPATH(S, D[n])` by the recursive definition, from all leaf hashes (O(n) per call; the
/// executable form of the definition, for tests). `indices` sorted and distinct, below n.
pub fn multi_inclusion_proof(leaves: &[Hash], indices: &[u64]) -> Vec<Hash> {
    let mut out = Vec::new();
    let subtree = |lo: u64, len: u64| mth_of_hashes(&leaves[lo as usize..(lo + len) as usize]);
    multi_path_into(indices, 0, leaves.len() as u64, &subtree, &mut out);
    out
}

/// Verifies a multi-leaf inclusion proof (SPEC.md §10.3): the leaves `(index, leaf hash)`, in
/// strictly increasing index order and all below `size`, are in the tree of `size` leaves
/// whose head is `root`, and `proof` is exactly `MPATH` of their indices — no hash too many or
/// too few. For one leaf this is RFC 9162 §2.1.3.2.
///
/// # Errors
///
/// [`InclusionError::IndexOutOfRange`] for an index not below `size` (or out of order, or no
/// leaf at all: reported on that index), [`InclusionError::WrongProofLength`] when `proof` has
/// more or fewer hashes than `MPATH` of these indices, [`InclusionError::RootMismatch`] when the
/// proof leads to another root.
pub fn verify_multi_inclusion(
    leaves: &[(u64, Hash)],
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), InclusionError> {
    let mut before = None;
    for &(i, _) in leaves {
        if i >= size || before.is_some_and(|b| b >= i) {
            return Err(InclusionError::IndexOutOfRange { index: i, size });
        }
        before = Some(i);
    }
    let indices: Vec<u64> = leaves.iter().map(|l| l.0).collect();
    let expected = multi_inclusion_proof_len(&indices, size);
    if leaves.is_empty() || proof.len() != expected {
        return Err(InclusionError::WrongProofLength {
            found: proof.len(),
            expected,
            index: leaves.first().map_or(0, |l| l.0),
            size,
        });
    }
    // The proof's length matches the shape, so the walk consumes it exactly.
    fn walk(leaves: &[(u64, Hash)], lo: u64, n: u64, proof: &mut std::slice::Iter<Hash>) -> Hash {
        if n == 1 {
            return leaves[0].1;
        }
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        let cut = leaves.partition_point(|l| l.0 < lo + k);
        let (left, right) = leaves.split_at(cut);
        if right.is_empty() {
            let l = walk(left, lo, k, proof);
            node_hash(&l, proof.next().expect("length checked"))
        } else if left.is_empty() {
            let r = walk(right, lo + k, n - k, proof);
            node_hash(proof.next().expect("length checked"), &r)
        } else {
            let l = walk(left, lo, k, proof);
            let r = walk(right, lo + k, n - k, proof);
            node_hash(&l, &r)
        }
    }
    if walk(leaves, 0, size, &mut proof.iter()) != *root {
        return Err(InclusionError::RootMismatch);
    }
    Ok(())
}

/// A whole RFC 6962 tree kept in memory, level by level, to give many audit paths cheaply.
///
/// Level 0 holds the leaf hashes; each level above pairs neighbours and carries a last node
/// without a partner up unchanged. That is the same tree as RFC 6962's recursive split (the
/// right subtree of every split is what remains after the largest complete left subtree), so
/// the head and the paths equal [`mth`] and [`inclusion_proof`].
///
/// ```
/// use dualdraw::merkle::{Tree, inclusion_proof, leaf_hash};
/// let leaves: Vec<_> = (0u8..7).map(|i| leaf_hash(&[i])).collect();
/// let tree = Tree::from_leaf_hashes(leaves.clone());
/// for i in 0..7 {
///     assert_eq!(tree.inclusion_proof(i), inclusion_proof(&leaves, i));
/// }
/// ```
#[derive(Debug, Clone)]
pub struct Tree {
    /// `levels[0]` are the leaf hashes; the last level holds the head alone.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Builds the tree over leaf hashes (O(n) hashes).
    pub fn from_leaf_hashes(leaves: Vec<Hash>) -> Tree {
        let mut levels = vec![leaves];
        while levels[levels.len() - 1].len() > 1 {
            let below = &levels[levels.len() - 1];
            let next = below
                .chunks(2)
                .map(|c| match c {
                    [l, r] => node_hash(l, r),
                    [single] => *single,
                    _ => unreachable!("chunks(2) yields one or two"),
                })
                .collect();
            levels.push(next);
        }
        Tree { levels }
    }

    /// Number of leaves.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// True for the tree of no leaves.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The leaf hashes, in order.
    pub fn leaves(&self) -> &[Hash] {
        &self.levels[0]
    }

    /// Level `k`: node `i` is `MTH(D[i·2^k .. min((i+1)·2^k, n)])`, the last one carried up.
    fn level(&self, k: usize) -> &[Hash] {
        &self.levels[k.min(self.levels.len() - 1)]
    }

    /// The tree head (MTH); `SHA-256("")` for no leaves.
    pub fn head(&self) -> Hash {
        match self.levels.last().and_then(|l| l.first()) {
            Some(h) if !self.is_empty() => *h,
            _ => Sha256::digest(b"").into(),
        }
    }

    /// The audit path of the leaf at `index`, as [`inclusion_proof`] gives it.
    ///
    /// # Panics
    ///
    /// If `index >= self.len()`.
    pub fn inclusion_proof(&self, index: usize) -> Vec<Hash> {
        assert!(
            index < self.len(),
            "Tree::inclusion_proof: index {index} is not below the tree size {}",
            self.len()
        );
        let mut path = Vec::new();
        let mut i = index;
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            // A node without a sibling is carried up unchanged: nothing to add at this level.
            if sibling < level.len() {
                path.push(level[sibling]);
            }
            i >>= 1;
        }
        path
    }
}

impl Tree {
    /// The multi-leaf inclusion proof `MPATH(S, D[n])` of the sorted, distinct `indices`
    /// (SPEC.md §10.2), in O(|S| log n); for one index, [`Tree::inclusion_proof`].
    ///
    /// # Panics
    ///
    /// If an index is not below `self.len()`.
    pub fn multi_inclusion_proof(&self, indices: &[u64]) -> Vec<Hash> {
        assert!(
            indices.iter().all(|&i| i < self.len() as u64),
            "Tree::multi_inclusion_proof: an index is not below the tree size {}",
            self.len()
        );
        let mut out = Vec::new();
        let subtree = |lo: u64, len: u64| self.subtree(lo as usize, len as usize);
        multi_path_into(indices, 0, self.len() as u64, &subtree, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn compressed_hashes_equal_the_definitions() {
        let mut data = Vec::new();
        for len in 0..300usize {
            let mut h = Sha256::new();
            h.update([0u8]);
            h.update(&data);
            let want: Hash = h.finalize().into();
            assert_eq!(leaf_hash(&data), want, "len {len}");
            data.push((len * 7 + 3) as u8);
        }
        let (l, r) = (leaf_hash(b"l"), leaf_hash(b"r"));
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l);
        h.update(r);
        assert_eq!(node_hash(&l, &r), <Hash>::from(h.finalize()));
    }

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

    /// Runs built from any leaf and appended in order give the head of the definition: every
    /// cut of trees of up to 40 leaves into two and three runs, and into runs of every length.
    #[test]
    fn appended_runs_match_the_definition() {
        let data: Vec<Vec<u8>> = (0..40u8).map(|i| vec![i; 3]).collect();
        let run = |lo: usize, hi: usize| {
            let mut t = TreeBuilder::starting_at(lo as u64);
            for d in &data[lo..hi] {
                t.push(d);
            }
            t
        };
        for n in 0..=data.len() {
            let leaves: Vec<&[u8]> = data[..n].iter().map(|v| v.as_slice()).collect();
            let want = mth(&leaves);
            for a in 0..=n {
                for b in a..=n {
                    let mut t = run(0, a);
                    t.append(&run(a, b));
                    t.append(&run(b, n));
                    assert_eq!(
                        (t.head(), t.len()),
                        (want, n as u64),
                        "n = {n}, cuts {a}, {b}"
                    );
                }
            }
            for len in 1..=n.max(1) {
                let mut t = TreeBuilder::new();
                for lo in (0..n).step_by(len) {
                    t.append(&run(lo, (lo + len).min(n)));
                }
                assert_eq!(t.head(), want, "n = {n}, runs of {len}");
            }
        }
    }

    #[test]
    fn parallel_head_matches_the_builder() {
        for n in [
            0usize,
            1,
            2,
            3,
            16383,
            16384,
            16385,
            3 * 16384 + 5,
            5 * 16384 + 1,
        ] {
            let leaves: Vec<Hash> = (0..n as u32).map(|i| leaf_hash(&i.to_be_bytes())).collect();
            let mut b = TreeBuilder::new();
            for l in &leaves {
                b.push_leaf_hash(*l);
            }
            assert_eq!(head_of_leaf_hashes(&leaves), b.head(), "n = {n}");
        }
    }

    #[test]
    fn empty_head_is_hash_of_empty_string() {
        assert_eq!(
            hex::encode(TreeBuilder::new().head()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    // ---- inclusion proofs (RFC 6962 §2.1.1 PATH, RFC 9162 §2.1.3.2 verification) ----

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect()
    }

    #[test]
    fn paths_verify_for_every_index_of_sizes_1_to_70() {
        for n in 1..=70usize {
            let l = leaves(n);
            let root = mth_of_hashes(&l);
            let tree = Tree::from_leaf_hashes(l.clone());
            assert_eq!(tree.head(), root, "n = {n}");
            for i in 0..n {
                let path = inclusion_proof(&l, i);
                assert_eq!(tree.inclusion_proof(i), path, "n = {n}, i = {i}");
                assert_eq!(path.len(), inclusion_proof_len(i as u64, n as u64));
                assert_eq!(
                    verify_inclusion(i as u64, n as u64, &l[i], &path, &root),
                    Ok(()),
                    "n = {n}, i = {i}"
                );
            }
        }
    }

    #[test]
    fn any_flipped_bit_fails() {
        for n in 1..=70usize {
            let l = leaves(n);
            let root = mth_of_hashes(&l);
            for i in 0..n {
                let path = inclusion_proof(&l, i);
                let (i64_, n64) = (i as u64, n as u64);
                // Every bit for small trees; for larger ones three bits per hash, spread over
                // the bytes (a debug-mode SHA-256 is slow, and one bit is as good as another).
                let bits: Vec<usize> = if n <= 6 {
                    (0..256).collect()
                } else {
                    vec![(i * 7) % 256, 128 + (i % 8), 255 - (i * 13) % 256]
                };
                for bit in bits {
                    let flip = |h: &Hash| {
                        let mut h = *h;
                        h[bit / 8] ^= 1 << (bit % 8);
                        h
                    };
                    // In the leaf hash, in the root, and in every hash of the path.
                    assert_eq!(
                        verify_inclusion(i64_, n64, &flip(&l[i]), &path, &root),
                        Err(InclusionError::RootMismatch)
                    );
                    assert_eq!(
                        verify_inclusion(i64_, n64, &l[i], &path, &flip(&root)),
                        Err(InclusionError::RootMismatch)
                    );
                    for k in 0..path.len() {
                        let mut p = path.clone();
                        p[k] = flip(&p[k]);
                        assert_eq!(
                            verify_inclusion(i64_, n64, &l[i], &p, &root),
                            Err(InclusionError::RootMismatch),
                            "n = {n}, i = {i}, hash {k}, bit {bit}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn one_hash_too_many_or_too_few_fails() {
        for n in 1..=70usize {
            let l = leaves(n);
            let root = mth_of_hashes(&l);
            for i in 0..n {
                let path = inclusion_proof(&l, i);
                let want = path.len();
                let wrong = |p: &[Hash]| verify_inclusion(i as u64, n as u64, &l[i], p, &root);
                for extra in [root, l[i], [0u8; 32]] {
                    // Appended, and inserted at every position.
                    for at in 0..=want {
                        let mut p = path.clone();
                        p.insert(at, extra);
                        assert!(
                            matches!(wrong(&p), Err(InclusionError::WrongProofLength { found, expected, .. }) if found == want + 1 && expected == want),
                            "n = {n}, i = {i}, extra at {at}"
                        );
                    }
                }
                for at in 0..want {
                    let mut p = path.clone();
                    p.remove(at);
                    assert!(
                        matches!(wrong(&p), Err(InclusionError::WrongProofLength { .. })),
                        "n = {n}, i = {i}, missing {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn wrong_index_or_size_fails() {
        for n in 1..=70usize {
            let l = leaves(n);
            let root = mth_of_hashes(&l);
            for i in 0..n {
                let path = inclusion_proof(&l, i);
                for j in 0..n + 3 {
                    let r = verify_inclusion(j as u64, n as u64, &l[i], &path, &root);
                    if j == i {
                        assert_eq!(r, Ok(()));
                    } else if j >= n {
                        assert_eq!(
                            r,
                            Err(InclusionError::IndexOutOfRange {
                                index: j as u64,
                                size: n as u64
                            })
                        );
                    } else {
                        assert!(r.is_err(), "n = {n}: path of {i} accepted at {j}");
                    }
                }
                // (The tree size is NOT bound by a path: PATH(0) of 3 leaves, [l1, l2], walks
                // exactly like PATH(0) of 4 leaves, [l1, node(l2, l3)]. The size must come from
                // an authenticated source, as the directory count in a log header does.)
                // Another leaf at the same index.
                let other = leaf_hash(b"not a leaf of this tree");
                assert_eq!(
                    verify_inclusion(i as u64, n as u64, &other, &path, &root),
                    Err(InclusionError::RootMismatch)
                );
            }
        }
        let h = leaf_hash(b"x");
        assert_eq!(
            verify_inclusion(0, 0, &h, &[], &h),
            Err(InclusionError::IndexOutOfRange { index: 0, size: 0 })
        );
    }

    #[test]
    fn multi_proofs_match_the_definition_and_fail_when_changed() {
        for n in 1..=40usize {
            let l = leaves(n);
            let root = mth_of_hashes(&l);
            let tree = Tree::from_leaf_hashes(l.clone());
            // Every subset for small trees; for larger ones a spread of them.
            let subsets: Vec<Vec<u64>> = if n <= 8 {
                (1u32..1 << n)
                    .map(|m| (0..n as u64).filter(|i| m >> i & 1 == 1).collect())
                    .collect()
            } else {
                (0..40u64)
                    .map(|s| {
                        (0..n as u64)
                            .filter(|i| (i * 7 + s) % 5 == 0 || *i == s % n as u64)
                            .collect()
                    })
                    .collect()
            };
            for s in subsets {
                let proof = multi_inclusion_proof(&l, &s);
                assert_eq!(tree.multi_inclusion_proof(&s), proof, "n = {n}, {s:?}");
                assert_eq!(proof.len(), multi_inclusion_proof_len(&s, n as u64));
                if s.len() == 1 {
                    assert_eq!(proof, inclusion_proof(&l, s[0] as usize));
                }
                let with: Vec<(u64, Hash)> = s.iter().map(|&i| (i, l[i as usize])).collect();
                assert_eq!(
                    verify_multi_inclusion(&with, n as u64, &proof, &root),
                    Ok(())
                );
                for k in 0..proof.len() {
                    let mut p = proof.clone();
                    p[k][k % 32] ^= 1;
                    assert!(verify_multi_inclusion(&with, n as u64, &p, &root).is_err());
                }
                let mut longer = proof.clone();
                longer.push(root);
                assert!(verify_multi_inclusion(&with, n as u64, &longer, &root).is_err());
                if !proof.is_empty() {
                    assert!(verify_multi_inclusion(&with, n as u64, &proof[1..], &root).is_err());
                }
                let mut other = with.clone();
                other[0].1[0] ^= 1;
                assert!(verify_multi_inclusion(&other, n as u64, &proof, &root).is_err());
                if n > 1 {
                    // The same leaves claimed at another index, or in a tree of another size.
                    let mut moved = with.clone();
                    moved[0].0 = (moved[0].0 + 1) % n as u64;
                    if moved.windows(2).all(|w| w[0].0 < w[1].0) {
                        assert!(verify_multi_inclusion(&moved, n as u64, &proof, &root).is_err());
                    }
                }
            }
        }
        assert!(verify_multi_inclusion(&[], 3, &[], &leaf_hash(b"x")).is_err());
    }

    #[test]
    fn known_answer_three_leaves() {
        // RFC 6962 tree of three leaves: PATH(0) = [l1, l2], PATH(1) = [l0, l2],
        // PATH(2) = [node(l0, l1)].
        let l = leaves(3);
        let n01 = node_hash(&l[0], &l[1]);
        assert_eq!(inclusion_proof(&l, 0), vec![l[1], l[2]]);
        assert_eq!(inclusion_proof(&l, 1), vec![l[0], l[2]]);
        assert_eq!(inclusion_proof(&l, 2), vec![n01]);
        let l7 = leaves(7);
        // Leaf 6 of 7 (a right-edge leaf with no sibling on the first levels).
        let n45 = node_hash(&l7[4], &l7[5]);
        let n0123 = node_hash(&node_hash(&l7[0], &l7[1]), &node_hash(&l7[2], &l7[3]));
        assert_eq!(inclusion_proof(&l7, 6), vec![n45, n0123]);
        assert_eq!(inclusion_proof_len(6, 7), 2);
    }

    #[test]
    fn agrees_with_ct_merkle() {
        use ct_merkle::mem_backed_tree::MemoryBackedTree;
        for n in [1usize, 2, 3, 5, 8, 13, 31, 32, 33, 64, 70, 100, 257] {
            let data: Vec<Vec<u8>> = (0..n).map(|i| format!("record {i}").into_bytes()).collect();
            let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            for d in &data {
                ct.push(d.clone());
            }
            let hashes: Vec<Hash> = data.iter().map(|d| leaf_hash(d)).collect();
            let tree = Tree::from_leaf_hashes(hashes.clone());
            let root = tree.head();
            assert_eq!(ct.root().as_bytes().as_slice(), root.as_slice(), "n = {n}");
            for (i, d) in data.iter().enumerate() {
                let ours: Vec<u8> = tree.inclusion_proof(i).concat();
                let theirs = ct.prove_inclusion(i);
                assert_eq!(theirs.as_bytes(), ours.as_slice(), "n = {n}, i = {i}");
                // And ct-merkle accepts our path.
                let p = ct_merkle::InclusionProof::<Sha256>::from_bytes(ours);
                assert!(ct.root().verify_inclusion(d, i as u64, &p).is_ok());
            }
        }
    }
}
