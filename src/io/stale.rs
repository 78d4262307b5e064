//! Temporary files, staging folders and sort spill left behind by a writer that died (a crash,
//! `kill -9`, a power cut), and their removal by the next writer (issue 10, item 2).
//!
//! Every temporary entry dualdraw makes carries one of the prefixes below and is locked (the
//! operating system's advisory lock on the file, or on the folder's handle) for as long as its
//! writer lives; the lock goes with the process. An entry whose lock is free and that has not
//! changed for [`STALE_AFTER`] belongs to nobody and is removed. The age keeps a writer's entry
//! safe in the instant between creating it and locking it.

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A temporary file beside a result, renamed over it when complete.
pub(crate) const TEMP_PREFIX: &str = ".dualdraw-tmp-";
/// A folder of results, renamed into place when complete.
pub(crate) const STAGING_PREFIX: &str = ".dualdraw-staging-";
/// The sorted runs of `dualdraw sort`.
pub(crate) const SPILL_PREFIX: &str = ".dualdraw-sort-";

/// How long an unlocked temporary entry must have been left alone before it is removed.
pub(crate) const STALE_AFTER: Duration = Duration::from_secs(10);

/// Locks the temporary file or folder at `path` for the life of the returned handle, so that
/// [`sweep`] leaves it alone. Where a folder cannot be opened as a file (not on Unix), the entry
/// is simply not protected, and [`sweep`] does not touch folders there either.
pub(crate) fn hold(path: &Path) -> std::io::Result<Option<File>> {
    if path.is_dir() && !cfg!(unix) {
        return Ok(None);
    }
    let f = File::open(path)?;
    f.lock()?;
    Ok(Some(f))
}

/// Removes from `dir` every temporary entry of ours whose writer is gone. Best effort: an entry
/// that cannot be inspected or removed is left (the next run tries again), and nothing here
/// fails the command that called it. Returns how many entries were removed.
pub(crate) fn sweep(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let now = SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if ![TEMP_PREFIX, STAGING_PREFIX, SPILL_PREFIX]
            .iter()
            .any(|p| name.starts_with(p))
        {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        let old = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= STALE_AFTER);
        let is_dir = meta.is_dir();
        if !old || meta.file_type().is_symlink() || (is_dir && !cfg!(unix)) {
            continue;
        }
        // Our own handle's lock is released when `probe` drops, after the removal.
        let Ok(probe) = File::open(&path) else {
            continue;
        };
        if probe.try_lock().is_err() {
            continue;
        }
        let gone = if is_dir {
            fs::remove_dir_all(&path)
        } else {
            fs::remove_file(&path)
        };
        removed += usize::from(gone.is_ok());
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backdate(path: &Path) {
        let f = File::open(path).unwrap();
        f.set_modified(SystemTime::now() - 2 * STALE_AFTER).unwrap();
    }

    #[test]
    fn sweeps_only_old_unlocked_entries_of_ours() {
        let dir = tempfile::tempdir().unwrap();
        let p = |n: &str| dir.path().join(n);
        for n in [
            ".dualdraw-tmp-dead",
            ".dualdraw-tmp-alive",
            ".dualdraw-tmp-young",
        ] {
            fs::write(p(n), b"x").unwrap();
        }
        fs::create_dir(p(".dualdraw-staging-dead")).unwrap();
        fs::write(p(".dualdraw-staging-dead/draw.log"), b"x").unwrap();
        fs::write(p("draw.log"), b"keep").unwrap();
        fs::write(p(".tmp-not-ours"), b"keep").unwrap();
        for n in [
            ".dualdraw-tmp-dead",
            ".dualdraw-tmp-alive",
            ".dualdraw-staging-dead",
            "draw.log",
            ".tmp-not-ours",
        ] {
            backdate(&p(n));
        }
        let _alive = hold(&p(".dualdraw-tmp-alive")).unwrap();
        assert_eq!(sweep(dir.path()), 2);
        assert!(!p(".dualdraw-tmp-dead").exists());
        assert!(!p(".dualdraw-staging-dead").exists());
        for kept in [
            ".dualdraw-tmp-alive",
            ".dualdraw-tmp-young",
            "draw.log",
            ".tmp-not-ours",
        ] {
            assert!(p(kept).exists(), "{kept} must stay");
        }
    }
}
