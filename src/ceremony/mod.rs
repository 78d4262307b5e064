//! The ceremony around a draw, on values (SPEC.md §9): commit to the inputs and a secret before
//! any randomness exists, open the commitment with public entropy to draw
//! ([`Draw::reveal`](crate::Draw::reveal)), and replace an officer who cannot attend by a new,
//! reasoned log entry. Each step takes the log's bytes and returns the new log; the caller
//! stores it (the command-line program writes it atomically).

mod commit;
mod replace;

pub use commit::{Changed, CommitLog, Committed, commit};
pub(crate) use replace::{Rebuilt, rebuild, rebuild_against};
pub use replace::{Rendered, Replaced, render, replace};
