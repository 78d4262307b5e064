//! The results a log records, as they stand after each line (SPEC.md §11.1): every visit's
//! results in log order (the last is current; each later one corrects the one before), and
//! the publications. [`Results::apply`] is the one place the rules are checked: recording,
//! verification, status and publication all go through it.

use chrono::NaiveDate;

use super::calendar::{Calendar, parse_date};
use crate::error::Result;
use crate::log::event::{Event, PublicationEvent, ResultEvent};
use crate::plan::Plan;

/// One result recorded for a visit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedResult {
    /// Its 1-based line in the log.
    pub line: u64,
    /// The day the inspection ended.
    pub date: NaiveDate,
    /// The event as logged.
    pub event: ResultEvent,
}

/// A drawn visit (task, enterprise) and its results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visit {
    /// Task id.
    pub task: String,
    /// The check item's name (抽查事项).
    pub item: String,
    /// Enterprise id (unified social credit code).
    pub enterprise: String,
    /// Enterprise name, as the directory gives it.
    pub name: String,
    /// The departments of the team's officers as it stands (检查实施机关), distinct, in team
    /// order.
    pub departments: Vec<String>,
    /// Its results in log order; the last is the current one.
    pub results: Vec<RecordedResult>,
    /// When the current result was first published, if it was.
    pub published: Option<NaiveDate>,
}

impl Visit {
    /// The current result (the last recorded), if any.
    pub fn current(&self) -> Option<&RecordedResult> {
        self.results.last()
    }
}

/// A publication recorded in the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// Its 1-based line.
    pub line: u64,
    /// The publication day.
    pub date: NaiveDate,
    /// The event as logged.
    pub event: PublicationEvent,
}

/// The results of a log: every drawn visit in draw order, and the publications.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    /// The plan's inspection date: no result or publication may be dated before it.
    pub inspection_date: NaiveDate,
    /// The visits, in draw order (task by task, as the `team` events).
    pub visits: Vec<Visit>,
    /// The publications, in log order.
    pub publications: Vec<Published>,
}

/// Where a visit stands (SPEC.md §11.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// No result recorded yet.
    NoResult,
    /// A result recorded on this date (the inspection's end), not yet published.
    Recorded(NaiveDate),
    /// The current result published on this date.
    Published(NaiveDate),
}

/// A visit's standing against the publication deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitStatus {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// Enterprise name.
    pub name: String,
    /// The current result's category, if any.
    pub category: Option<String>,
    /// Where it stands.
    pub state: State,
    /// The day the deadline counts from: the current result's date, or the plan's
    /// inspection date while there is none.
    pub counted_from: NaiveDate,
    /// The last day to publish: 20 working days after `counted_from`.
    pub due: NaiveDate,
    /// Not published and `today` is after `due`.
    pub overdue: bool,
    /// Published after `due`.
    pub late: bool,
}

impl std::fmt::Display for VisitStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::NoResult => "no result yet".to_string(),
            State::Recorded(d) => format!("recorded ({d})"),
            State::Published(d) => format!("published ({d})"),
        };
        let flag = if self.overdue {
            "  OVERDUE"
        } else if self.late {
            "  published late"
        } else {
            ""
        };
        write!(
            f,
            "{:<10} {} {}  {}{}  due {}{flag}",
            self.task,
            self.enterprise,
            self.name,
            state,
            self.category
                .as_deref()
                .map_or(String::new(), |c| format!(" {c}")),
            self.due
        )
    }
}

/// One line of free text: not empty or all White_Space, no control character but LF.
fn text_ok(s: &str) -> bool {
    !s.trim().is_empty() && !s.chars().any(|c| c.is_control() && c != '\n')
}

impl Results {
    /// No results yet for these visits.
    pub fn new(inspection_date: NaiveDate, visits: Vec<Visit>) -> Results {
        Results {
            inspection_date,
            visits,
            publications: Vec::new(),
        }
    }

    fn date(&self, s: &str, what: &str) -> std::result::Result<NaiveDate, String> {
        let d = parse_date(s)
            .ok_or_else(|| format!("the {what} date {s:?} is not a date YYYY-MM-DD"))?;
        if d < self.inspection_date {
            return Err(format!(
                "the {what} date {d} is before the plan's inspection date {}",
                self.inspection_date
            ));
        }
        Ok(d)
    }

    /// Applies the log's 1-based line `line` holding `event`: a `result` or a `publication`
    /// (other events are ignored). Checks the rules of SPEC.md §11.1 against what the lines
    /// before established; on a refusal nothing changes and the message says why.
    ///
    /// # Errors
    ///
    /// The refusal, as text (the caller names the line or the request).
    pub fn apply(
        &mut self,
        plan: &Plan,
        line: u64,
        event: &Event,
    ) -> std::result::Result<(), String> {
        match event {
            Event::InspectionResult(r) => self.apply_result(plan, line, r),
            Event::Publication(p) => self.apply_publication(plan, line, p),
            _ => Ok(()),
        }
    }

    fn apply_result(
        &mut self,
        plan: &Plan,
        line: u64,
        r: &ResultEvent,
    ) -> std::result::Result<(), String> {
        let Some(k) = self
            .visits
            .iter()
            .position(|v| v.task == r.task && v.enterprise == r.enterprise)
        else {
            return Err(match plan.tasks.iter().any(|t| t.id == r.task) {
                true => format!(
                    "enterprise {} was not drawn in task {:?}",
                    r.enterprise, r.task
                ),
                false => format!("the plan has no task {:?}", r.task),
            });
        };
        if !plan.result_categories.contains(&r.category) {
            return Err(format!(
                "unknown result category {:?}; the plan's categories are: {}",
                r.category,
                plan.result_categories.join(" / ")
            ));
        }
        let date = self.date(&r.date, "inspection")?;
        for (what, t) in [("findings", &r.findings), ("follow-up", &r.follow_up)] {
            if t.as_deref().is_some_and(|t| !text_ok(t)) {
                return Err(format!(
                    "the {what} text is empty or holds a control character"
                ));
            }
        }
        let v = &self.visits[k];
        match (&r.corrects, v.current()) {
            (None, None) => {}
            (None, Some(cur)) => {
                return Err(format!(
                    "task {:?}, enterprise {} already has a result (line {}, {} {}); a second one must correct it, with a reason (--correct REASON)",
                    r.task, r.enterprise, cur.line, cur.date, cur.event.category
                ));
            }
            (Some(c), cur) => {
                if cur.map(|c| c.line) != Some(c.line) {
                    return Err(format!(
                        "the correction names line {}, which is not the current result of task {:?}, enterprise {} ({})",
                        c.line,
                        r.task,
                        r.enterprise,
                        cur.map_or("it has none".to_string(), |c| format!("line {}", c.line))
                    ));
                }
                if !text_ok(&c.reason) || c.reason.contains('\n') {
                    return Err("a correction needs a reason (one line of text)".into());
                }
            }
        }
        let v = &mut self.visits[k];
        v.results.push(RecordedResult {
            line,
            date,
            event: r.clone(),
        });
        v.published = None;
        Ok(())
    }

    fn apply_publication(
        &mut self,
        plan: &Plan,
        line: u64,
        p: &PublicationEvent,
    ) -> std::result::Result<(), String> {
        let date = self.date(&p.date, "publication")?;
        if let Some(last) = self.publications.last().filter(|l| l.date > date) {
            return Err(format!(
                "the publication date {date} is before the previous publication's ({}, line {})",
                last.date, last.line
            ));
        }
        if p.findings_public != plan.publish_findings {
            return Err(format!(
                "findings_public is {} but the plan's [results] publish_findings is {}",
                p.findings_public, plan.publish_findings
            ));
        }
        if !p.results.windows(2).all(|w| w[0] < w[1]) {
            return Err("the published result lines are not in ascending order".into());
        }
        let mut hit = Vec::new();
        for &l in &p.results {
            let Some(k) = self
                .visits
                .iter()
                .position(|v| v.current().is_some_and(|c| c.line == l))
            else {
                return Err(format!(
                    "line {l} is not the current result of a visit; a publication lists current results only"
                ));
            };
            let d = self.visits[k].current().map_or(date, |c| c.date);
            if d > date {
                return Err(format!(
                    "the result at line {l} is dated {d}, after the publication date {date}"
                ));
            }
            hit.push(k);
        }
        for k in hit {
            self.visits[k].published.get_or_insert(date);
        }
        self.publications.push(Published {
            line,
            date,
            event: p.clone(),
        });
        Ok(())
    }

    /// The lines of every visit's current result, ascending: what a publication now lists.
    pub fn current_lines(&self) -> Vec<u64> {
        let mut l: Vec<u64> = self
            .visits
            .iter()
            .filter_map(|v| v.current().map(|c| c.line))
            .collect();
        l.sort_unstable();
        l
    }

    /// Every visit's standing on `today` against the 20-working-day deadline of `calendar`
    /// (SPEC.md §11.3).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Calendar`](crate::ErrorKind::Calendar) when a deadline falls in a year
    /// the calendar lacks.
    pub fn status(&self, calendar: &Calendar, today: NaiveDate) -> Result<Vec<VisitStatus>> {
        self.visits
            .iter()
            .map(|v| {
                let cur = v.current();
                let counted_from = cur.map_or(self.inspection_date, |c| c.date);
                let due = calendar.due(counted_from)?;
                let state = match (cur, v.published) {
                    (None, _) => State::NoResult,
                    (Some(_), Some(p)) => State::Published(p),
                    (Some(c), None) => State::Recorded(c.date),
                };
                Ok(VisitStatus {
                    task: v.task.clone(),
                    enterprise: v.enterprise.clone(),
                    name: v.name.clone(),
                    category: cur.map(|c| c.event.category.clone()),
                    overdue: v.published.is_none() && today > due,
                    late: v.published.is_some_and(|p| p > due),
                    state,
                    counted_from,
                    due,
                })
            })
            .collect()
    }
}

/// The visits of an outcome (task by task, in team order), without results: names from the
/// drawn enterprises' records, departments from the officers of each team as it stands.
pub fn visits(
    plan: &Plan,
    outcome: &crate::draw::outcome::Outcome,
    records: &std::collections::BTreeMap<String, crate::Enterprise>,
    officers: &crate::Officers,
) -> Vec<Visit> {
    let mut out = Vec::new();
    for (task, t) in plan.tasks.iter().zip(&outcome.tasks) {
        for team in &t.teams {
            let mut departments: Vec<String> = Vec::new();
            for o in team.officers.iter().filter_map(|o| officers.get(o)) {
                if !departments.contains(&o.department) {
                    departments.push(o.department.clone());
                }
            }
            out.push(Visit {
                task: t.task.clone(),
                item: task.item.name.clone(),
                enterprise: team.enterprise.clone(),
                name: records
                    .get(&team.enterprise)
                    .map_or(String::new(), |e| e.name.clone()),
                departments,
                results: Vec::new(),
                published: None,
            });
        }
    }
    out
}
