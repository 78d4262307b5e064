//! Consistency proofs (RFC 9162 §2.1.4): that a tree of `first` leaves is a prefix of a tree of
//! `second` leaves, in O(log n) hashes. This is what shows that the log published after a draw
//! extends the commitment checkpoint published before it.

use super::{Hash, Tree, node_hash};

/// Why a consistency proof was rejected by [`verify_consistency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ConsistencyError {
    /// The sizes are not `0 < first <= second`.
    #[error(
        "no consistency proof from tree size {first} to {second}: sizes must be 0 < first <= second"
    )]
    BadSizes {
        /// The older tree's size.
        first: u64,
        /// The newer tree's size.
        second: u64,
    },
    /// The proof has more or fewer hashes than the walk needs (RFC 9162 §2.1.4.2 steps 1, 6, 7).
    #[error(
        "the consistency proof has {found} hashes; from tree size {first} to {second} it needs {expected}"
    )]
    WrongProofLength {
        /// Hashes in the proof.
        found: usize,
        /// Hashes the walk needs.
        expected: usize,
        /// The older tree's size.
        first: u64,
        /// The newer tree's size.
        second: u64,
    },
    /// The walk does not end at the older root (step 7): the old tree is not a prefix.
    #[error(
        "the consistency proof does not lead to the older root: the old tree is not a prefix of the new one"
    )]
    FirstRootMismatch,
    /// The walk does not end at the newer root (step 7).
    #[error("the consistency proof does not lead to the newer root")]
    SecondRootMismatch,
}

/// The number of hashes in `PROOF(first, D[second])` (RFC 9162 §2.1.4.1); 0 when the sizes are
/// equal. Requires `0 < first <= second`.
pub fn consistency_proof_len(first: u64, second: u64) -> usize {
    if first == 0 || first >= second {
        return 0;
    }
    // SUBPROOF's recursion, counting: one hash per level, plus the old root itself unless the
    // old tree is a complete left subtree of the new one (b stays true to the end).
    let (mut m, mut n, mut b, mut len) = (first, second, true, 0);
    while m != n {
        let k = 1u64 << (63 - (n - 1).leading_zeros());
        len += 1;
        if m <= k {
            n = k;
        } else {
            m -= k;
            n -= k;
            b = false;
        }
    }
    len + usize::from(!b)
}

impl Tree {
    /// `MTH(D[start..start + size])` for a subtree that RFC 9162's recursion visits: `start` a
    /// multiple of the smallest power of two `2^k >= size`, and `size = 2^k` or the range ending at
    /// the last leaf. Level `k` of this tree holds exactly those nodes.
    pub(super) fn subtree(&self, start: usize, size: usize) -> Hash {
        let k = (usize::BITS - (size - 1).leading_zeros()) as usize;
        self.level(k)[start >> k]
    }

    /// `PROOF(first, D[n])` of RFC 9162 §2.1.4.1, `n` this tree's size: the hashes that show the
    /// tree of the first `first` leaves is a prefix of this one. Empty when `first` is the size.
    ///
    /// # Panics
    ///
    /// If `first` is 0 or above the tree size.
    ///
    /// ```
    /// use dualdraw::merkle::{Tree, leaf_hash, verify_consistency};
    /// let leaves: Vec<_> = (0u8..7).map(|i| leaf_hash(&[i])).collect();
    /// let old = Tree::from_leaf_hashes(leaves[..3].to_vec()).head();
    /// let tree = Tree::from_leaf_hashes(leaves);
    /// let proof = tree.consistency_proof(3);
    /// assert_eq!(verify_consistency(3, 7, &proof, &old, &tree.head()), Ok(()));
    /// ```
    pub fn consistency_proof(&self, first: usize) -> Vec<Hash> {
        assert!(
            first > 0 && first <= self.len(),
            "Tree::consistency_proof: size {first} is not in 1..={}",
            self.len()
        );
        let mut out = Vec::new();
        self.subproof(first, 0, self.len(), true, &mut out);
        out
    }

    /// `SUBPROOF(m, D[start..start + n], b)` of RFC 9162 §2.1.4.1, appended to `out`.
    fn subproof(&self, m: usize, start: usize, n: usize, b: bool, out: &mut Vec<Hash>) {
        if m == n {
            if !b {
                out.push(self.subtree(start, n));
            }
            return;
        }
        let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
        if m <= k {
            self.subproof(m, start, k, b, out);
            out.push(self.subtree(start + k, n - k));
        } else {
            self.subproof(m - k, start + k, n - k, false, out);
            out.push(self.subtree(start, k));
        }
    }
}

/// Verifies a consistency proof exactly as RFC 9162 §2.1.4.2 prescribes: the tree of `first`
/// leaves with head `first_root` is a prefix of the tree of `second` leaves with head
/// `second_root`. Equal sizes need an empty proof and equal roots.
///
/// # Errors
///
/// [`ConsistencyError::BadSizes`] unless `0 < first <= second`;
/// [`ConsistencyError::WrongProofLength`] for a proof too long or too short;
/// [`ConsistencyError::FirstRootMismatch`] / [`ConsistencyError::SecondRootMismatch`] when the
/// walk ends elsewhere.
pub fn verify_consistency(
    first: u64,
    second: u64,
    proof: &[Hash],
    first_root: &Hash,
    second_root: &Hash,
) -> Result<(), ConsistencyError> {
    if first == 0 || first > second {
        return Err(ConsistencyError::BadSizes { first, second });
    }
    let wrong_length = || ConsistencyError::WrongProofLength {
        found: proof.len(),
        expected: consistency_proof_len(first, second),
        first,
        second,
    };
    if first == second {
        if !proof.is_empty() {
            return Err(wrong_length());
        }
        if first_root != second_root {
            return Err(ConsistencyError::FirstRootMismatch);
        }
        return Ok(());
    }
    // Step 1.
    if proof.is_empty() {
        return Err(wrong_length());
    }
    // Step 2: a complete old tree is its own first node, which the proof leaves out.
    let mut path = proof.iter();
    let first_node = if first.is_power_of_two() {
        *first_root
    } else {
        *path.next().unwrap_or(first_root)
    };
    // Step 3.
    let (mut fn_, mut sn) = (first - 1, second - 1);
    // Step 4.
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 5.
    let (mut fr, mut sr) = (first_node, first_node);
    // Step 6.
    for c in path {
        if sn == 0 {
            return Err(wrong_length());
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    // Step 7.
    if sn != 0 {
        return Err(wrong_length());
    }
    if fr != *first_root {
        return Err(ConsistencyError::FirstRootMismatch);
    }
    if sr != *second_root {
        return Err(ConsistencyError::SecondRootMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::{leaf_hash, mth};

    /// `SUBPROOF` by the recursive definition over leaf data, for comparison.
    fn reference(m: usize, d: &[&[u8]], b: bool) -> Vec<Hash> {
        let n = d.len();
        if m == n {
            return if b { vec![] } else { vec![mth(d)] };
        }
        let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
        if m <= k {
            let mut p = reference(m, &d[..k], b);
            p.push(mth(&d[k..]));
            p
        } else {
            let mut p = reference(m - k, &d[k..], false);
            p.push(mth(&d[..k]));
            p
        }
    }

    #[test]
    fn every_pair_of_sizes_up_to_40_verifies_and_matches_the_definition() {
        let data: Vec<Vec<u8>> = (0..41u32).map(|i| i.to_be_bytes().to_vec()).collect();
        let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
        for n in 1..=40 {
            let tree = Tree::from_leaf_hashes(refs[..n].iter().map(|d| leaf_hash(d)).collect());
            for m in 1..=n {
                let proof = tree.consistency_proof(m);
                assert_eq!(proof, reference(m, &refs[..n], true), "{m} -> {n}");
                assert_eq!(proof.len(), consistency_proof_len(m as u64, n as u64));
                let old = mth(&refs[..m]);
                assert_eq!(
                    verify_consistency(m as u64, n as u64, &proof, &old, &tree.head()),
                    Ok(()),
                    "{m} -> {n}"
                );
                // A wrong old root, or the proof of another pair, fails.
                let wrong = mth(&refs[1..=m]);
                assert!(
                    verify_consistency(m as u64, n as u64, &proof, &wrong, &tree.head()).is_err()
                );
                if m > 1 {
                    assert!(
                        verify_consistency(m as u64 - 1, n as u64, &proof, &old, &tree.head())
                            .is_err()
                    );
                }
            }
        }
    }

    #[test]
    fn agrees_with_ct_merkle() {
        use ct_merkle::mem_backed_tree::MemoryBackedTree;
        use sha2::Sha256;
        for n in [2usize, 3, 5, 8, 13, 33, 100] {
            let mut ct = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            let mut hashes = Vec::new();
            for i in 0..n {
                let d = format!("line {i}").into_bytes();
                hashes.push(leaf_hash(&d));
                ct.push(d);
            }
            let tree = Tree::from_leaf_hashes(hashes);
            for m in 1..n {
                let theirs = ct.prove_consistency(n - m);
                assert_eq!(
                    theirs.as_bytes(),
                    tree.consistency_proof(m).concat().as_slice(),
                    "{m} -> {n}"
                );
            }
        }
    }
}
