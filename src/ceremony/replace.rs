//! Replacing an officer who cannot attend (SPEC.md §9.3): the next lawful officer in the
//! enterprise's seeded order, recorded as a new, reasoned log entry — never an edit.

use std::collections::BTreeMap;

use crate::directory::{Enterprise, Officers, Targets};
use crate::draw::outcome::Outcome;
use crate::error::{ErrorKind, Result};
use crate::log::event::{HeaderEvent, RevealEvent};
use crate::log::{self, Event, Log};
use crate::plan::Plan;
use crate::team;
use crate::team::{Replacement, ReplacementRequest};
use crate::verify;

/// A verified log rebuilt: the outcome of its draw and its teams as they stand after the
/// replacements it records.
pub(crate) struct Rebuilt {
    /// The log's lines.
    pub(crate) lines: Vec<String>,
    pub(crate) header: HeaderEvent,
    pub(crate) reveal: Option<RevealEvent>,
    pub(crate) report: verify::Report,
    pub(crate) outcome: Outcome,
    pub(crate) current: Outcome,
    pub(crate) records: BTreeMap<String, Enterprise>,
    pub(crate) replacements: Vec<Replacement>,
    pub(crate) requests: Vec<ReplacementRequest>,
}

/// Verifies a drawn log and re-runs it: its outcome as drawn and as replacements left it.
pub(crate) fn rebuild(
    bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
) -> Result<Rebuilt> {
    rebuild_against(bytes, None, plan, targets, officers)
}

/// [`rebuild`], the log's head checked against `published_head` as [`crate::Verify::head`]
/// does. The outcome is the verification's own re-run, not drawn a second time.
pub(crate) fn rebuild_against(
    bytes: &[u8],
    published_head: Option<&crate::merkle::Hash>,
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
) -> Result<Rebuilt> {
    let (report, rerun) =
        verify::verify_rerun(bytes, published_head, plan, &plan.digest, targets, officers)?;
    let Some(verify::Rerun { outcome, records }) = rerun.filter(|_| report.drawn) else {
        return Err(ErrorKind::Commit(
            "the log holds a commitment that has not been drawn yet".into(),
        )
        .into());
    };
    let entries = log::read(bytes)?;
    let header = entries[0].header()?;
    let reveal = match entries.get(1).and_then(|e| e.try_event()) {
        Some(Event::Reveal(r)) => Some(r),
        _ => None,
    };
    let requests: Vec<ReplacementRequest> = entries
        .iter()
        .filter_map(|e| match e.try_event() {
            Some(Event::Replacement(r)) => Some(r.request()),
            _ => None,
        })
        .collect();
    let mut current = outcome.clone();
    let replacements = team::apply_replacements(plan, &mut current, &records, officers, &requests)?;
    Ok(Rebuilt {
        lines: entries.iter().map(|e| e.line.to_string()).collect(),
        header,
        reveal,
        report,
        outcome,
        current,
        records,
        replacements,
        requests,
    })
}

/// A replacement made: who came instead, and the log with its new entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replaced {
    /// The replacement, as the new log line records it.
    pub replacement: Replacement,
    /// The whole log, the old lines unchanged and one `replacement` line appended.
    pub log: Log,
}

/// Records that an officer cannot attend a visit, and who replaces them: the next lawful
/// officer in the enterprise's seeded replacement order (SPEC.md §9.3). The log is verified in
/// full first (with this plan and these directories); the answer is the log with one new line.
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Replacement`] when the
/// request names no drawn visit or officer of it, or no lawful officer is left.
pub fn replace(
    log_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    request: ReplacementRequest,
) -> Result<Replaced> {
    let mut rb = rebuild(log_bytes, plan, targets, officers)?;
    rb.requests.push(request);
    let mut current = rb.outcome.clone();
    let done = team::apply_replacements(plan, &mut current, &rb.records, officers, &rb.requests)?;
    let replacement = done
        .last()
        .cloned()
        .ok_or_else(|| ErrorKind::Replacement("internal: no replacement was made".into()))?;
    let mut log = Log { lines: rb.lines };
    log.append(vec![log::replacement_event(&replacement)]);
    Ok(Replaced { replacement, log })
}

/// What is derived from a drawn log: its head and the result tables, as the log now stands
/// (replacements applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The log's head: the RFC 9162 tree head over its lines.
    pub head: crate::merkle::Hash,
    /// The log's checkpoint, which `draw.head` holds (SPEC.md §6.3).
    pub checkpoint: crate::log::Checkpoint,
    /// `targets.csv`.
    pub targets_csv: Vec<u8>,
    /// `teams.csv`, with every replacement the log records applied.
    pub teams_csv: Vec<u8>,
    /// `teams.xlsx`, the assignment sheet (抽查任务分配表), when rendered for Excel.
    #[cfg(feature = "xlsx")]
    pub teams_xlsx: Option<Vec<u8>>,
}

/// Renders a drawn log's derived files again from the log alone (verified in full first): the
/// way forward after a crash that left the log extended but its head or tables unwritten.
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Commit`] for a commitment
/// not drawn yet.
pub fn render(
    log_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    excel: bool,
) -> Result<Rendered> {
    let rb = rebuild(log_bytes, plan, targets, officers)?;
    let drawn = Targets {
        records: rb.records.values().cloned().collect(),
        warnings: Vec::new(),
    };
    #[cfg(feature = "xlsx")]
    let teams_xlsx = match excel {
        true => Some(crate::output::assignment_sheet(
            plan,
            &drawn,
            officers,
            &rb.current,
            &rb.report.checkpoint,
        )?),
        false => None,
    };
    Ok(Rendered {
        head: rb.report.head,
        checkpoint: rb.report.checkpoint.clone(),
        targets_csv: crate::output::targets_csv(&drawn, &rb.current, excel),
        teams_csv: crate::output::teams_csv(&drawn, officers, &rb.current, excel),
        #[cfg(feature = "xlsx")]
        teams_xlsx,
    })
}
