//! The team draw (SPEC.md §5.5, §9.3, §11): who may inspect which enterprise, the staffing of
//! every team of the plan under its caps and rules, and replacements after the draw.

pub mod assign;
mod eligibility;
mod replace;
mod staff;

pub use eligibility::*;
pub use replace::*;
pub use staff::*;
