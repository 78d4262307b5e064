//! The team draw (SPEC.md §4.6, §5.5–§5.8, §9.3): who may inspect which enterprise, the staffing of
//! every team of the plan under its caps and rules, and replacements after the draw.

pub(crate) mod assign;
pub(crate) mod eligibility;
pub(crate) mod replace;
pub(crate) mod staff;

pub use eligibility::Stream;
pub(crate) use eligibility::*;
pub(crate) use replace::apply_replacements;
pub use replace::{REPLACEMENT_KEY_TAG, Replacement, ReplacementRequest, replacement_order};
pub(crate) use staff::*;
