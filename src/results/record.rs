//! Recording results (SPEC.md §11.1): one request from the command line, or a team's CSV of
//! them, checked against the verified log and appended all together or not at all.

use chrono::NaiveDate;

use super::state::{Results, visits};
use crate::ceremony::{Rebuilt, rebuild};
use crate::directory::{Officers, Targets};
use crate::error::{ErrorKind, Result};
use crate::log::event::{Correction, ResultEvent};
use crate::log::{Event, Log};
use crate::plan::Plan;

/// A result to record, as a team reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResultRequest {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The result category (one of the plan's).
    pub category: String,
    /// The day the inspection ended, `YYYY-MM-DD`.
    pub date: String,
    /// What the team found.
    pub findings: Option<String>,
    /// The follow-up ordered.
    pub follow_up: Option<String>,
    /// Why this result corrects the visit's current one; `None` for a first result.
    pub correct: Option<String>,
    /// Where the request comes from, for errors (e.g. `results.csv:3`); empty for one
    /// request.
    pub source: String,
}

/// Results recorded: the new log and the lines added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The whole log, the old lines unchanged and one `result` line per request appended.
    pub log: Log,
    /// The 1-based lines of the new results.
    pub lines: Vec<u64>,
    /// The results as they now stand.
    pub results: Results,
}

/// The results of a rebuilt (verified) log.
pub(crate) fn results_of(plan: &Plan, rb: &Rebuilt, officers: &Officers) -> Result<Results> {
    let mut results = Results::new(
        plan.inspection_date,
        visits(plan, &rb.current, &rb.records, officers),
    );
    for (i, line) in rb.lines.iter().enumerate() {
        if !(line.contains("\"event\":\"result\"") || line.contains("\"event\":\"publication\"")) {
            continue;
        }
        if let Ok(e) = serde_json::from_str::<Event>(line) {
            // The log verified, so every rule holds here.
            results
                .apply(plan, i as u64 + 1, &e)
                .map_err(|m| ErrorKind::Results(format!("line {}: {m}", i + 1)))?;
        }
    }
    Ok(results)
}

/// The results a log records, after verifying it in full (with this plan and these
/// directories).
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Commit`] for a commitment
/// not drawn yet.
pub fn load(
    log_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
) -> Result<Results> {
    let rb = rebuild(log_bytes, plan, targets, officers)?;
    results_of(plan, &rb, officers)
}

/// Records results: each request becomes a `result` event appended to the log, after the log
/// is verified in full. `today` is the caller's date: a result dated after it is refused.
/// All requests are recorded or none.
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Results`] for the first
/// request refused (naming its source): a task or enterprise not drawn, an unknown category,
/// a date before the inspection date or after `today`, a second result without a correction
/// reason, a correction of a visit with no result, or text with control characters.
pub fn record(
    log_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    requests: &[ResultRequest],
    today: NaiveDate,
) -> Result<Recorded> {
    let rb = rebuild(log_bytes, plan, targets, officers)?;
    let mut results = results_of(plan, &rb, officers)?;
    let mut log = Log { lines: rb.lines };
    let mut lines = Vec::new();
    if requests.is_empty() {
        return Err(ErrorKind::Results("no result to record".into()).into());
    }
    for r in requests {
        let fail = |m: String| -> crate::Error {
            match r.source.is_empty() {
                true => ErrorKind::Results(m).into(),
                false => ErrorKind::Results(format!("{}: {m}", r.source)).into(),
            }
        };
        if super::calendar::parse_date(&r.date).is_some_and(|d| d > today) {
            return Err(fail(format!(
                "the inspection date {} is in the future (today is {today})",
                r.date
            )));
        }
        let corrects = match &r.correct {
            None => None,
            Some(reason) => {
                let cur = results
                    .visits
                    .iter()
                    .find(|v| v.task == r.task && v.enterprise == r.enterprise)
                    .and_then(|v| v.current())
                    .ok_or_else(|| {
                        fail(format!(
                            "task {:?}, enterprise {} has no result to correct",
                            r.task, r.enterprise
                        ))
                    })?;
                Some(Correction {
                    line: cur.line,
                    reason: reason.clone(),
                })
            }
        };
        let event = Event::InspectionResult(ResultEvent {
            task: r.task.clone(),
            enterprise: r.enterprise.clone(),
            category: r.category.clone(),
            date: r.date.clone(),
            findings: r.findings.clone().filter(|s| !s.is_empty()),
            follow_up: r.follow_up.clone().filter(|s| !s.is_empty()),
            corrects,
        });
        let line = log.lines.len() as u64 + 1;
        results.apply(plan, line, &event).map_err(fail)?;
        log.append(vec![event.to_value()]);
        lines.push(line);
    }
    Ok(Recorded {
        log,
        lines,
        results,
    })
}

/// The columns of a results CSV: Chinese header, English header, field.
const COLUMNS: [(&str, &str); 7] = [
    ("任务编号", "task"),
    ("统一社会信用代码", "enterprise"),
    ("检查结果", "result"),
    ("检查日期", "date"),
    ("检查发现", "findings"),
    ("后续处置", "follow_up"),
    ("更正原因", "correct"),
];

/// The requests of a results CSV as teams fill it in: UTF-8 (a BOM is ignored), a header row
/// with the columns 任务编号, 统一社会信用代码, 检查结果, 检查日期 (required) and 检查发现,
/// 后续处置, 更正原因 (optional; English names `task`, `enterprise`, `result`, `date`,
/// `findings`, `follow_up`, `correct` are accepted too), and 企业名称 (ignored); one row per
/// visit. `name` names the file in errors and in each request's source.
///
/// # Errors
///
/// [`ErrorKind::Results`] naming the file, line and column: bytes that are not UTF-8 CSV, an
/// unknown or missing column, a required cell left empty.
pub fn requests_from_csv(bytes: &[u8], name: &str) -> Result<Vec<ResultRequest>> {
    let bad = |m: String| -> crate::Error { ErrorKind::Results(format!("{name}: {m}")).into() };
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let mut rd = csv::ReaderBuilder::new().flexible(false).from_reader(bytes);
    let headers = rd
        .headers()
        .map_err(|e| bad(format!("line 1: {e}")))?
        .clone();
    let mut at = [None; 7];
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim();
        if h == "企业名称" || h == "name" {
            continue;
        }
        let Some(k) = COLUMNS.iter().position(|(zh, en)| h == *zh || h == *en) else {
            return Err(bad(format!(
                "line 1, column {}: unknown column {h:?}; expected {}",
                i + 1,
                COLUMNS.map(|c| c.0).join(", ")
            )));
        };
        at[k] = Some(i);
    }
    for (k, (zh, en)) in COLUMNS.iter().enumerate().take(4) {
        if at[k].is_none() {
            return Err(bad(format!("line 1: the column {zh} ({en}) is missing")));
        }
    }
    let mut out = Vec::new();
    for row in rd.records() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        let line = row.position().map_or(0, |p| p.line());
        let cell = |k: usize| -> Option<String> {
            at[k]
                .and_then(|i| row.get(i))
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
        };
        let mut req = ResultRequest {
            source: format!("{name}:{line}"),
            findings: cell(4),
            follow_up: cell(5),
            correct: cell(6),
            ..ResultRequest::default()
        };
        for (k, slot) in [
            &mut req.task,
            &mut req.enterprise,
            &mut req.category,
            &mut req.date,
        ]
        .into_iter()
        .enumerate()
        {
            *slot = cell(k).ok_or_else(|| {
                bad(format!(
                    "line {line}, column {}: the {} ({}) is empty",
                    at[k].map_or(0, |i| i + 1),
                    COLUMNS[k].0,
                    COLUMNS[k].1
                ))
            })?;
        }
        out.push(req);
    }
    if out.is_empty() {
        return Err(bad("no rows".into()));
    }
    Ok(out)
}

/// Appends a `publication` event for every visit's current result, dated `date` — unless the
/// log already ends with exactly that event: a publish that crashed after recording it and
/// is run again then writes its folder without a second entry.
pub(crate) fn publication(
    plan: &Plan,
    results: &mut Results,
    log: &mut Log,
    date: NaiveDate,
) -> Result<()> {
    let p = crate::log::event::PublicationEvent {
        date: date.format("%Y-%m-%d").to_string(),
        results: results.current_lines(),
        findings_public: plan.publish_findings,
    };
    if results
        .publications
        .last()
        .is_some_and(|l| l.line == log.lines.len() as u64 && l.event == p)
    {
        return Ok(());
    }
    let event = Event::Publication(p);
    let line = log.lines.len() as u64 + 1;
    results
        .apply(plan, line, &event)
        .map_err(ErrorKind::Results)?;
    log.append(vec![event.to_value()]);
    Ok(())
}
