//! The target draw (SPEC.md §5.1–5.4): tickets, who is eligible and in which stratum, and the
//! bottom-k selection — in memory, or streamed in one pass over a directory too large for it.

mod pipeline;
mod select;
mod stream;
mod tickets;

pub use pipeline::*;
pub use select::*;
pub use stream::*;
pub use tickets::*;
