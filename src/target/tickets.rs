//! Target draw: tickets and bottom-k selection (SPEC.md §5.2).
//!
//! Each eligible enterprise gets `ticket = SHA-256(hex(K) || ":" || id)` where `hex(K)` is the
//! task key as 64 lowercase hex characters. In each stratum the enterprises with the smallest
//! tickets (as 256-bit big-endian integers, ties broken by id) are drawn. Any SQL engine with a
//! sha256 function computes the same tickets, and the result does not depend on row order.

use sha2::{Digest, Sha256};

use crate::hash;
use crate::merkle::Hash;

/// A ticket: a SHA-256 output compared as a 256-bit big-endian integer.
pub type Ticket = [u8; 32];

/// Computes tickets for one task key.
///
/// The first 64 bytes hashed are always the hex key, exactly one SHA-256 block, so the state
/// after that block (the midstate) is computed once. For an id of up to 54 bytes the rest of
/// the message, `":" || id`, and its padding (FIPS 180-4 §5.1.1) fit in one more block, so a
/// ticket costs a single compression. This is an implementation detail: it changes no ticket
/// (see [`ticket`] for the plain definition; the tests compare the two).
///
/// ```
/// use dualdraw::target::{TicketHasher, ticket};
/// let key = [7u8; 32];
/// let h = TicketHasher::new(&key);
/// assert_eq!(h.ticket("9144030071526726XG"), ticket(&key, "9144030071526726XG"));
/// ```
#[derive(Clone)]
pub struct TicketHasher {
    key: Hash,
    midstate: [u32; 8],
}

impl TicketHasher {
    /// Prepares the hasher for a task key.
    pub fn new(task_key: &Hash) -> Self {
        let mut block = [0u8; 64];
        block.copy_from_slice(hex::encode(task_key).as_bytes());
        let mut midstate = hash::IV;
        hash::compress(&mut midstate, &[block]);
        TicketHasher {
            key: *task_key,
            midstate,
        }
    }

    /// The ticket of one enterprise id.
    pub fn ticket(&self, id_text: &str) -> Ticket {
        let id = id_text.as_bytes();
        if id.len() > 54 {
            return ticket(&self.key, id_text);
        }
        // The final block: ":" || id || 0x80 || zeros || bit length of the whole message.
        let mut block = [0u8; 64];
        block[0] = b':';
        block[1..1 + id.len()].copy_from_slice(id);
        block[1 + id.len()] = 0x80;
        let bits = ((64 + 1 + id.len()) as u64) * 8;
        block[56..].copy_from_slice(&bits.to_be_bytes());
        let mut st = self.midstate;
        hash::compress(&mut st, &[block]);
        hash::digest(st)
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

    proptest! {
        /// The one-compression path equals the plain definition for every id length, across
        /// the 54/55-byte boundary where the padding needs a second block.
        #[test]
        fn midstate_path_equals_definition(key in proptest::array::uniform32(any::<u8>()), id in "[0-9A-Z\\u{4e00}-\\u{4e10}]{0,70}") {
            prop_assert_eq!(TicketHasher::new(&key).ticket(&id), ticket(&key, &id));
        }
    }

    #[test]
    fn every_length_around_the_padding_boundary() {
        let key = [9u8; 32];
        let h = TicketHasher::new(&key);
        for n in 0..=80 {
            let id = "7".repeat(n);
            assert_eq!(h.ticket(&id), ticket(&key, &id), "length {n}");
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
