//! The re-run compared with the log (SPEC.md §7 step 6): the draw's lines byte for byte, then
//! the replacement requests after the footer, whose outcomes are recomputed.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::directory::{Enterprise, Officers};
use crate::draw::outcome::Outcome;
use crate::error::{Result, VerifyError};
use crate::log::{self, Entry, Event, Log};
use crate::plan::Plan;
use crate::team;

/// A draw that this software cannot re-run from the log's inputs: the log cannot be its
/// record, so the mismatch is at the header.
pub(super) fn rerun(e: crate::Error) -> VerifyError {
    VerifyError::Mismatch {
        line: 1,
        expected: format!("(re-running the draw fails: {e})"),
        found: "a log of a successful draw".into(),
    }
}

/// Compares regenerated lines with the log's, which start at 0-based line `offset`; reports the
/// first that differs.
pub(super) fn compare(
    expected: &[String],
    got: &[Entry<'_>],
    offset: usize,
) -> Result<(), VerifyError> {
    for (i, (exp, got)) in expected.iter().zip(got.iter().skip(offset)).enumerate() {
        if *exp != got.line {
            return Err(VerifyError::Mismatch {
                line: (offset + i) as u64 + 1,
                expected: without_prev(exp),
                found: without_prev(got.line),
            });
        }
    }
    Ok(())
}

/// A line for a message: `prev` says nothing to a reader comparing two lines.
fn without_prev(line: &str) -> String {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(mut m)) => {
            m.remove("prev");
            log::canonical(&Value::Object(m))
        }
        _ => line.to_string(),
    }
}

/// Checks the log's lines after the regenerated draw (`expected`, which must already match
/// them): replacement requests only, each answered as the draw answers it now. Appends the
/// recomputed replacements to `expected` and returns how many there are.
///
/// Replacements are requests (who, why) whose outcome (who instead) is recomputed, in log
/// order; the first line that is not a request ends them.
pub(super) fn replacements(
    expected: &mut Log,
    entries: &[Entry<'_>],
    plan: &Plan,
    outcome: &Outcome,
    records: &BTreeMap<String, Enterprise>,
    officers: &Officers,
) -> Result<u64> {
    let fixed = expected.lines.len();
    if entries.len() < fixed {
        return Err(VerifyError::LineCount {
            expected: fixed as u64,
            found: entries.len() as u64,
        }
        .into());
    }
    let mut requests = Vec::new();
    let mut stop = None;
    for e in &entries[fixed..] {
        match e.try_event() {
            Some(Event::Replacement(r)) => requests.push(r.request()),
            _ => {
                stop = Some(e);
                break;
            }
        }
    }
    let apply = |n: usize| {
        let mut current = outcome.clone();
        team::apply_replacements(plan, &mut current, records, officers, &requests[..n])
    };
    // The longest prefix of the requests that the draw allows, and why the next is refused.
    let (done, refused) = match apply(requests.len()) {
        Ok(done) => (done, None),
        Err(e) => {
            // Refusal is monotone in the prefix: find the first refused request.
            let (mut ok, mut bad, mut why) = (0, requests.len(), e);
            while bad - ok > 1 {
                let mid = ok + (bad - ok) / 2;
                match apply(mid) {
                    Ok(_) => ok = mid,
                    Err(e) => (bad, why) = (mid, e),
                }
            }
            let done = apply(ok).map_err(rerun)?;
            (done, Some((bad - 1, why)))
        }
    };
    expected.append(done.iter().map(log::replacement_event));
    compare(&expected.lines[fixed..], entries, fixed)?;
    if let Some((k, e)) = refused {
        return Err(VerifyError::Mismatch {
            line: (fixed + k) as u64 + 1,
            expected: format!("(a replacement the draw allows; {e})"),
            found: without_prev(entries[fixed + k].line),
        }
        .into());
    }
    if let Some(e) = stop {
        return Err(VerifyError::Mismatch {
            line: e.number(),
            expected: "(a replacement request, the only event after the footer, SPEC.md §9.3)"
                .into(),
            found: without_prev(e.line),
        }
        .into());
    }
    Ok(done.len() as u64)
}
