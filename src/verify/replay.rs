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
/// them): replacement requests, each answered as the draw answers it now, and results and
/// publications (SPEC.md §11), each checked against the visits drawn and the lines before it
/// and written again canonically. Appends the recomputed lines to `expected` and returns how
/// many replacements and results there are.
///
/// Replacements are requests (who, why) whose outcome (who instead) is recomputed, in log
/// order; a line of any other event ends the log's valid part.
#[allow(clippy::too_many_arguments)]
pub(super) fn after_footer(
    expected: &mut Log,
    entries: &[Entry<'_>],
    plan: &Plan,
    outcome: &Outcome,
    records: &BTreeMap<String, Enterprise>,
    officers: &Officers,
) -> Result<(u64, u64)> {
    let fixed = expected.lines.len();
    if entries.len() < fixed {
        return Err(VerifyError::LineCount {
            expected: fixed as u64,
            found: entries.len() as u64,
        }
        .into());
    }
    // The lines after the footer as events; `None` for one that is none of these.
    let events: Vec<Option<Event>> = entries[fixed..]
        .iter()
        .map(|e| {
            e.try_event().filter(|ev| {
                matches!(
                    ev,
                    Event::Replacement(_) | Event::InspectionResult(_) | Event::Publication(_)
                )
            })
        })
        .collect();
    let requests: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Some(Event::Replacement(r)) => Some(r.request()),
            _ => None,
        })
        .collect();
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
    let mut results = crate::results::Results::new(
        plan.inspection_date,
        crate::results::visits(plan, outcome, records, officers),
    );
    let (mut k, mut n_results) = (0usize, 0u64);
    for (i, ev) in events.iter().enumerate() {
        let e = &entries[fixed + i];
        let fail = |expected: String| VerifyError::Mismatch {
            line: e.number(),
            expected,
            found: without_prev(e.line),
        };
        match ev {
            Some(Event::Replacement(_)) => {
                if let Some(r) = done.get(k) {
                    expected.append(vec![log::replacement_event(r)]);
                } else if let Some((_, why)) = refused.as_ref().filter(|(b, _)| *b == k) {
                    return Err(fail(format!("(a replacement the draw allows; {why})")).into());
                }
                k += 1;
            }
            Some(ev) => {
                results
                    .apply(plan, e.number(), ev)
                    .map_err(|m| fail(format!("(a {} SPEC.md §11.1 allows; {m})", ev.name())))?;
                if matches!(ev, Event::InspectionResult(_)) {
                    n_results += 1;
                }
                expected.append(vec![ev.to_value()]);
            }
            None => {
                return Err(fail(
                    "(a replacement, result or publication event: nothing else may follow the footer, SPEC.md §6.2)"
                        .into(),
                )
                .into());
            }
        }
        compare(&expected.lines[fixed + i..], entries, fixed + i)?;
    }
    Ok((done.len() as u64, n_results))
}
