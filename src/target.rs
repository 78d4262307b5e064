//! Target draw: tickets and bottom-k selection (SPEC.md §5.2).
//!
//! Each eligible enterprise gets `ticket = SHA-256(hex(K) || ":" || id)` where `hex(K)` is the
//! task key as 64 lowercase hex characters. In each stratum the enterprises with the smallest
//! tickets (as 256-bit big-endian integers, ties broken by id) are drawn. Any SQL engine with a
//! sha256 function computes the same tickets, and the result does not depend on row order.

use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// A ticket: a SHA-256 output compared as a 256-bit big-endian integer.
pub type Ticket = [u8; 32];

/// Computes tickets for one task key.
///
/// The first 64 bytes hashed are always the hex key, exactly one SHA-256 block, so the state
/// after that block is computed once and cloned for each id. This is an implementation detail:
/// it changes no ticket (see [`ticket`] for the plain definition).
///
/// ```
/// use dualdraw::target::{TicketHasher, ticket};
/// let key = [7u8; 32];
/// let h = TicketHasher::new(&key);
/// assert_eq!(h.ticket("9144030071526726XG"), ticket(&key, "9144030071526726XG"));
/// ```
#[derive(Clone)]
pub struct TicketHasher {
    state: Sha256,
}

impl TicketHasher {
    /// Prepares the hasher for a task key.
    pub fn new(task_key: &Hash) -> Self {
        let mut state = Sha256::new();
        state.update(hex::encode(task_key).as_bytes());
        state.update(b":");
        TicketHasher { state }
    }

    /// The ticket of one enterprise id.
    pub fn ticket(&self, id: &str) -> Ticket {
        let mut h = self.state.clone();
        h.update(id.as_bytes());
        h.finalize().into()
    }
}

/// The plain definition: `SHA-256(hex(task_key) || ":" || id)`.
pub fn ticket(task_key: &Hash, id: &str) -> Ticket {
    let mut b = hex::encode(task_key).into_bytes();
    b.push(b':');
    b.extend_from_slice(id.as_bytes());
    Sha256::digest(&b).into()
}

/// Returns the `k` smallest entries, in order. With entries `(ticket, id, ..)` this is the
/// bottom-k selection of SPEC.md §5.2: smallest tickets first, ties broken by id.
///
/// Runs in O(n) to select plus O(k log k) to sort the winners.
pub fn bottom_k<T: Ord>(mut entries: Vec<T>, k: usize) -> Vec<T> {
    let k = k.min(entries.len());
    if k == 0 {
        return Vec::new();
    }
    if k < entries.len() {
        entries.select_nth_unstable(k - 1);
        entries.truncate(k);
    }
    entries.sort_unstable();
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn bottom_k_is_sorted_prefix(ids in proptest::collection::btree_set("[0-9A-Z]{3}", 0..60), k in 0usize..70) {
            let key = [3u8; 32];
            let ids: Vec<String> = ids.into_iter().collect();
            let entries: Vec<(Ticket, &str)> = ids.iter().map(|i| (ticket(&key, i), i.as_str())).collect();
            let mut all = entries.clone();
            all.sort();
            all.truncate(k);
            prop_assert_eq!(bottom_k(entries, k), all);
        }
    }

    #[test]
    fn ties_break_by_id() {
        let t = [0u8; 32];
        assert_eq!(
            bottom_k(vec![(t, "B"), (t, "A"), (t, "C")], 2),
            vec![(t, "A"), (t, "B")]
        );
    }
}
