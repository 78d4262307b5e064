//! Seeds and key derivation (SPEC.md §5).
//!
//! Keys depend on the seed, the plan id and the task id only, never on the directories or the
//! plan's other contents: with a fixed seed, editing one record changes only that record's own
//! fate, so nobody can re-roll the whole draw by tweaking inputs. The inputs are bound to the
//! draw by their digests in the log header.

use sha2::{Digest, Sha256};

use crate::directory::put_str;
use crate::merkle::Hash;

/// Domain-separation tag of task keys.
pub const TASK_KEY_TAG: &str = "dualdraw/v1/task-key";
/// Domain-separation tag of team keys.
pub const TEAM_KEY_TAG: &str = "dualdraw/v1/team-key";

/// Checks that a seed is usable: 1 to 1024 bytes of UTF-8 without control characters.
///
/// # Errors
///
/// A description of a usable seed (a `&'static str`) when the seed is empty, longer than 1024 bytes
/// or holds a control character.
pub fn check_seed(seed: &str) -> Result<(), &'static str> {
    if seed.is_empty() || seed.len() > 1024 || seed.chars().any(char::is_control) {
        Err("a seed of 1 to 1024 bytes without control characters")
    } else {
        Ok(())
    }
}

/// The key of one task: `SHA-256(str(TAG) || str(seed) || str(plan_id) || str(task_id))`,
/// where `str(x) = u32be(len(x)) || x` (SPEC.md §5.1).
///
/// ```
/// let k = dualdraw::seed::task_key("20201015", "TJ-GXJ-2020", "radio");
/// assert_eq!(k.len(), 32);
/// assert_ne!(k, dualdraw::seed::task_key("20201016", "TJ-GXJ-2020", "radio"));
/// ```
pub fn task_key(seed: &str, plan_id: &str, task_id: &str) -> Hash {
    let mut b = Vec::new();
    put_str(&mut b, TASK_KEY_TAG);
    put_str(&mut b, seed);
    put_str(&mut b, plan_id);
    put_str(&mut b, task_id);
    Sha256::digest(&b).into()
}

/// The key of one enterprise's team in one task:
/// `SHA-256(str(TAG) || task_key (32 bytes) || str(enterprise_id))` (SPEC.md §5.3).
pub fn team_key(task_key: &Hash, enterprise_id: &str) -> Hash {
    let mut b = Vec::new();
    put_str(&mut b, TEAM_KEY_TAG);
    b.extend_from_slice(task_key);
    put_str(&mut b, enterprise_id);
    Sha256::digest(&b).into()
}
