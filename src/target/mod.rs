//! The target draw (SPEC.md §5.1–5.4): tickets, who is eligible and in which stratum, and the
//! bottom-k selection — in memory, or streamed in one pass over a directory too large for it.

pub(crate) mod pipeline;
pub(crate) mod select;
pub(crate) mod stream;
mod tickets;

pub(crate) use pipeline::*;
pub(crate) use select::*;
pub use select::{PoolRules, Stratum, StratumPool};
pub use stream::Progress;
pub use tickets::*;
