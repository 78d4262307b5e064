//! Fault injection at every write boundary, so that tests can prove that a crash or a full disk
//! at any step leaves the old state or the new one (issue 10, item 3).
//!
//! Every step of [`super`] that changes the file system (creating a temporary file or folder,
//! writing it, fsync, rename, syncing the folder) first calls [`point`]. When the environment
//! variable `DUALDRAW_FAULT` is `N:abort`, the process aborts at the N-th such step, as a
//! `kill -9` would (no destructor runs, so temporary files stay behind); when it is `N:full`,
//! the N-th step fails with "no space left on device" instead. Without the variable, [`point`]
//! only counts. The variable is read once; it is a test hook, harmless in production (whoever
//! can set a process's environment can kill it anyway).

use std::io;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// What to do at the chosen step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Die at once, like `kill -9`.
    Abort,
    /// Fail the step with ENOSPC, like a full disk.
    Full,
}

/// Steps passed so far in this process.
static STEPS: AtomicU64 = AtomicU64::new(0);

/// The injected fault, parsed once from `DUALDRAW_FAULT`.
fn planned() -> Option<(u64, Fault)> {
    static PLAN: OnceLock<Option<(u64, Fault)>> = OnceLock::new();
    *PLAN.get_or_init(|| parse(&std::env::var("DUALDRAW_FAULT").ok()?))
}

/// `N:abort` or `N:full`, N ≥ 1; anything else injects nothing.
fn parse(spec: &str) -> Option<(u64, Fault)> {
    let (n, how) = spec.split_once(':')?;
    let n = n.trim().parse::<u64>().ok().filter(|&n| n > 0)?;
    let how = match how.trim() {
        "abort" => Fault::Abort,
        "full" => Fault::Full,
        _ => return None,
    };
    Some((n, how))
}

/// One write boundary: counts it, and injects the planned fault when this is its step.
///
/// # Errors
///
/// An injected "no space left on device" at the planned step of an `N:full` plan.
pub(crate) fn point() -> io::Result<()> {
    let step = STEPS.fetch_add(1, Ordering::SeqCst) + 1;
    match planned() {
        Some((n, Fault::Abort)) if n == step => std::process::abort(),
        Some((n, Fault::Full)) if n == step => Err(io::Error::new(
            io::ErrorKind::StorageFull,
            "no space left on device (injected by DUALDRAW_FAULT)",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_strictly() {
        assert_eq!(parse("3:abort"), Some((3, Fault::Abort)));
        assert_eq!(parse("12:full"), Some((12, Fault::Full)));
        for bad in ["0:abort", "3", "3:kill", "x:full", ":full", "-1:full"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
