//! Where a log lives while commands extend it: one writer at a time, and appends that only
//! extend the log their writer read (compare-and-swap on the head).
//!
//! A log is append-only: a change to a draw is a new line, never an edit. Two writers that
//! both read the same log and both append would lose one line, so every command that extends
//! a log holds the store's writer lock from before it reads until after it appends, and the
//! append is refused unless the log still ends where the writer read it. A service keeps its
//! logs in its own database by implementing [`LogStore`]; the command-line program uses a
//! file store (`io::FileStore` with the `fs` feature); [`MemoryStore`] serves tests and
//! embedders that hold logs in memory.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, TryLockError};

use super::read;
use crate::error::{ErrorKind, Result};

/// A log's storage with one writer at a time and checked appends.
pub trait LogStore {
    /// The writer lock; dropping it releases the store.
    type Lock<'a>
    where
        Self: 'a;

    /// Takes the writer lock, or refuses at once when another writer holds it, before
    /// anything is read or computed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LogBusy`] when another writer holds the lock; an I/O error of the store.
    fn lock(&self) -> Result<Self::Lock<'_>>;

    /// The log's bytes, as they are under the lock.
    ///
    /// # Errors
    ///
    /// An I/O error of the store.
    fn read(&self, lock: &Self::Lock<'_>) -> Result<Vec<u8>>;

    /// Replaces the log `old` by `new`, which must extend it, if the store still holds exactly
    /// `old`; all or nothing.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::LogMoved`] when the store no longer holds `old`,
    /// [`ErrorKind::OutputExists`] when `new` does not extend `old`; an I/O error of the store.
    fn append(&self, lock: &mut Self::Lock<'_>, old: &[u8], new: &[u8]) -> Result<()>;
}

/// The head (RFC 9162 tree head over the lines) of a log's bytes, as hex, for messages.
fn head_hex(bytes: &[u8]) -> String {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    let mut tree = crate::merkle::TreeBuilder::new();
    for line in body.split(|&b| b == b'\n') {
        tree.push(line);
    }
    hex::encode(tree.head())
}

/// Checks an append: the store holds `old`, and `new` extends it.
///
/// # Errors
///
/// [`ErrorKind::LogMoved`] or [`ErrorKind::OutputExists`], as [`LogStore::append`] says.
pub fn check_append(name: &str, current: &[u8], old: &[u8], new: &[u8]) -> Result<()> {
    if current != old {
        return Err(ErrorKind::LogMoved {
            path: PathBuf::from(name),
            expected: head_hex(old),
            found: head_hex(current),
        }
        .into());
    }
    if !new.starts_with(old) || read(new).is_err() {
        return Err(ErrorKind::OutputExists {
            path: PathBuf::from(name),
            reason: "the new log does not extend the old one line for line".into(),
        }
        .into());
    }
    Ok(())
}

/// A log held in memory, behind a mutex.
#[derive(Debug, Default)]
pub struct MemoryStore {
    name: String,
    log: Mutex<Vec<u8>>,
}

impl MemoryStore {
    /// A store holding `log`, named `name` in errors.
    pub fn new(name: &str, log: Vec<u8>) -> Self {
        MemoryStore {
            name: name.to_string(),
            log: Mutex::new(log),
        }
    }

    /// The log as it now stands.
    pub fn bytes(&self) -> Vec<u8> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl LogStore for MemoryStore {
    type Lock<'a> = MutexGuard<'a, Vec<u8>>;

    fn lock(&self) -> Result<Self::Lock<'_>> {
        match self.log.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(p)) => Ok(p.into_inner()),
            Err(TryLockError::WouldBlock) => Err(ErrorKind::LogBusy {
                path: PathBuf::from(&self.name),
            }
            .into()),
        }
    }

    fn read(&self, lock: &Self::Lock<'_>) -> Result<Vec<u8>> {
        Ok(lock.to_vec())
    }

    fn append(&self, lock: &mut Self::Lock<'_>, old: &[u8], new: &[u8]) -> Result<()> {
        check_append(&self.name, lock, old, new)?;
        **lock = new.to_vec();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn one_writer_at_a_time_and_checked_appends() {
        let one = super::super::chain(vec![json!({"event": "a"})]);
        let mut two = one.clone();
        two.append(vec![json!({"event": "b"})]);
        let store = MemoryStore::new("mem", one.to_bytes());
        let mut lock = store.lock().unwrap();
        // A second writer is refused before it reads anything.
        assert!(matches!(
            store.lock().unwrap_err().kind(),
            ErrorKind::LogBusy { .. }
        ));
        let old = store.read(&lock).unwrap();
        store.append(&mut lock, &old, &two.to_bytes()).unwrap();
        // An append against a log that has moved on is refused, naming both heads.
        let e = store.append(&mut lock, &old, &two.to_bytes()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::LogMoved { .. }), "{e}");
        drop(lock);
        assert_eq!(store.bytes(), two.to_bytes());
        // An append that rewrites instead of extending is refused.
        let mut lock = store.lock().unwrap();
        let now = store.read(&lock).unwrap();
        let e = store.append(&mut lock, &now, &one.to_bytes()).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::OutputExists { .. }), "{e}");
    }
}
