//! After the draw (the 一公开 half, SPEC.md §11): each visit's result recorded in the log as a
//! `result` event, corrections as new events naming the one they correct, publications as
//! `publication` events; the 20-working-day publication deadline on China's official
//! calendar ([`Calendar`], data shipped per year in `calendar/`).
//!
//! Everything here takes values: "today" is an argument, never the clock, and calendar files
//! are text the caller read.

pub mod calendar;
mod record;
mod state;

pub use calendar::{Calendar, PUBLICATION_WORKING_DAYS};
pub use record::{Recorded, ResultRequest, load, record, requests_from_csv};
pub(crate) use record::{publication, results_of};
pub use state::{Published, RecordedResult, Results, State, Visit, VisitStatus, visits};
