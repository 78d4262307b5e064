//! The crate's one thread pool: how many threads to use, and scoped workers that fall back to
//! the calling thread.
//!
//! Where the platform has no threads (wasm32: `available_parallelism` errs and spawning fails)
//! every helper that cannot be started leaves its share to the others, and the calling thread
//! always works, so the same code runs there on one thread and never panics.

use std::sync::{Mutex, PoisonError};

/// The cores to use: what the platform reports, 1 where it has no threads.
pub(crate) fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Runs `helper` on up to `extra` scoped threads and `main` on the calling thread, and returns
/// their results, `main`'s first. Work must be shared through a queue the workers take from,
/// so that any number of them finishes it: a helper that cannot be started adds nothing. A
/// helper's panic is raised again here.
pub(crate) fn run<T: Send>(
    extra: usize,
    helper: impl Fn() -> T + Sync,
    main: impl FnOnce() -> T,
) -> Vec<T> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..extra)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, &helper)
                    .ok()
            })
            .collect();
        let mut out = vec![main()];
        for h in handles {
            out.push(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        out
    })
}

/// Runs `f` on every job, on the calling thread and up to `threads - 1` others that take the
/// jobs in order from a shared queue; returns the results in job order.
pub(crate) fn par_map<J: Send, R: Send>(
    jobs: Vec<J>,
    threads: usize,
    f: impl Fn(J) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || jobs.len() <= 1 {
        return jobs.into_iter().map(f).collect();
    }
    let helpers = (threads - 1).min(jobs.len() - 1);
    let queue = Mutex::new(jobs.into_iter().enumerate());
    let work = || {
        let mut done = Vec::new();
        loop {
            let next = queue.lock().unwrap_or_else(PoisonError::into_inner).next();
            match next {
                Some((k, job)) => done.push((k, f(job))),
                None => return done,
            }
        }
    };
    let mut all: Vec<(usize, R)> = run(helpers, work, work).into_iter().flatten().collect();
    all.sort_unstable_by_key(|&(k, _)| k);
    all.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_job_order_on_any_number_of_threads() {
        let jobs: Vec<u64> = (0..100).collect();
        let want: Vec<u64> = jobs.iter().map(|j| j * j).collect();
        for t in [1, 2, 3, 16] {
            assert_eq!(par_map(jobs.clone(), t, |j| j * j), want, "{t} threads");
        }
    }

    #[test]
    fn run_gives_main_first_and_every_helper() {
        let out = run(3, || 1, || 0);
        assert_eq!(out[0], 0);
        assert_eq!(out.len(), 4); // threads exist on the test platform
    }
}
