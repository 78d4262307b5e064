//! `dualdraw record`, `status` and `publish`: results into the log, the deadline, the 一公开
//! folder. Here, not in the core, the clock is read: the core takes "today" as a value.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::reveal::{PublishSummary, write_derived};
use crate::error::{ErrorKind, Result, VerifyError};
use crate::io;
use crate::log::LogStore;
use crate::results::{self, Calendar, ResultRequest};

/// The flags of `dualdraw record`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct RecordArgs {
    /// The draw log.
    pub log: PathBuf,
    /// The plan the draw ran.
    #[cfg_attr(feature = "cli", arg(long))]
    pub plan: PathBuf,
    /// A team's CSV of results, one row per visit (任务编号, 统一社会信用代码, 检查结果, 检查日期,
    /// optional 检查发现, 后续处置, 更正原因); all rows are recorded or none.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE", conflicts_with_all = ["task", "enterprise", "result", "date", "findings", "follow_up", "correct"]))]
    pub csv: Option<PathBuf>,
    /// Task id.
    #[cfg_attr(feature = "cli", arg(long, required_unless_present = "csv"))]
    pub task: Option<String>,
    /// The enterprise's unified social credit code.
    #[cfg_attr(feature = "cli", arg(long, required_unless_present = "csv"))]
    pub enterprise: Option<String>,
    /// The result category (the plan's `[results] categories`, by default the national system's).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "CATEGORY", required_unless_present = "csv")
    )]
    pub result: Option<String>,
    /// The day the inspection ended (YYYY-MM-DD); not before the plan's inspection date, not in the future.
    #[cfg_attr(
        feature = "cli",
        arg(long, value_name = "YYYY-MM-DD", required_unless_present = "csv")
    )]
    pub date: Option<String>,
    /// What the team found.
    #[cfg_attr(feature = "cli", arg(long, value_name = "TEXT"))]
    pub findings: Option<String>,
    /// The follow-up ordered (后续处置).
    #[cfg_attr(feature = "cli", arg(long, value_name = "TEXT"))]
    pub follow_up: Option<String>,
    /// Correct the visit's current result, for this reason (a new entry naming it; never an edit).
    #[cfg_attr(feature = "cli", arg(long, value_name = "REASON"))]
    pub correct: Option<String>,
}

/// The flags of `dualdraw status`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct StatusArgs {
    /// The draw log.
    pub log: PathBuf,
    /// The plan the draw ran.
    #[cfg_attr(feature = "cli", arg(long))]
    pub plan: PathBuf,
    /// Extra working-day calendar files (one year each, as calendar/2026.toml), for years not
    /// shipped or to replace one.
    #[cfg_attr(feature = "cli", arg(long, value_name = "FILE"))]
    pub calendar: Vec<PathBuf>,
    /// The day to judge the deadlines on (YYYY-MM-DD); default today in China (UTC+8).
    #[cfg_attr(feature = "cli", arg(long, value_name = "YYYY-MM-DD"))]
    pub today: Option<String>,
}

/// The flags of `dualdraw publish`.
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct PublishArgs {
    /// The draw log.
    pub log: PathBuf,
    /// The plan the draw ran.
    #[cfg_attr(feature = "cli", arg(long))]
    pub plan: PathBuf,
    /// New folder to write.
    #[cfg_attr(feature = "cli", arg(long))]
    pub out: PathBuf,
    /// The publication date recorded in the log (YYYY-MM-DD); default today in China (UTC+8).
    #[cfg_attr(feature = "cli", arg(long, value_name = "YYYY-MM-DD"))]
    pub date: Option<String>,
    /// The web page (`index.html` and `site/`).
    #[cfg_attr(feature = "cli", command(flatten))]
    pub site: super::SiteOptions,
}

/// Today in China (UTC+8, no daylight saving), from the system clock.
fn today() -> NaiveDate {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs + 8 * 3600) / 86_400;
    NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(days)))
        .unwrap_or_default()
}

/// A date given on the command line, or today.
fn date_or_today(s: Option<&str>, flag: &str) -> Result<NaiveDate> {
    match s {
        None => Ok(today()),
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
            ErrorKind::InvalidField {
                pos: crate::Position::file(flag),
                found: s.to_string(),
                expected: "a date YYYY-MM-DD".into(),
            }
            .into()
        }),
    }
}

/// Updates `draw.head` and the tables beside a log that was extended, if they are there.
fn follow(log_path: &Path, new: &[u8], inputs: &io::Inputs) -> Result<()> {
    let dir = log_path.parent().unwrap_or(Path::new("."));
    if dir.join("teams.csv").exists() || dir.join("draw.head").exists() {
        let excel = dir.join("teams.xlsx").exists()
            || std::fs::read(dir.join("teams.csv"))
                .is_ok_and(|b| b.starts_with("\u{feff}".as_bytes()));
        write_derived(dir, new, inputs, excel)?;
    }
    Ok(())
}

/// `dualdraw record`: appends one `result` event per request (the flags, or each row of the
/// CSV), all or nothing, under the log's writer lock; the log is left byte-identical on any
/// refusal. Returns what to print.
///
/// # Errors
///
/// An input error; a verification error if the log does not verify;
/// [`ErrorKind::Results`] for a refused request (see [`results::record`]).
pub fn record(a: &RecordArgs) -> Result<String> {
    let requests = match &a.csv {
        Some(p) => results::requests_from_csv(&io::read(p)?, &p.display().to_string())?,
        None => vec![ResultRequest {
            task: a.task.clone().unwrap_or_default(),
            enterprise: a.enterprise.clone().unwrap_or_default(),
            category: a.result.clone().unwrap_or_default(),
            date: a.date.clone().unwrap_or_default(),
            findings: a.findings.clone(),
            follow_up: a.follow_up.clone(),
            correct: a.correct.clone(),
            source: String::new(),
        }],
    };
    let inputs = io::load_inputs(&a.plan)?;
    let store = io::FileStore::new(&a.log);
    let mut lock = store.lock()?;
    let old = store.read(&lock)?;
    let done = results::record(
        &old,
        &inputs.plan,
        &inputs.targets,
        &inputs.officers,
        &requests,
        today(),
    )?;
    let new = done.log.to_bytes();
    store.append(&mut lock, &old, &new)?;
    follow(&a.log, &new, &inputs)?;
    let mut out = String::new();
    for (r, line) in requests.iter().zip(&done.lines) {
        out.push_str(&format!(
            "line {line}: task {}, enterprise {}: {} ({}){}\n",
            r.task,
            r.enterprise,
            r.category,
            r.date,
            if r.correct.is_some() {
                ", a correction"
            } else {
                ""
            }
        ));
    }
    out.push_str(&format!("head {}", hex::encode(done.log.head())));
    Ok(out)
}

/// `dualdraw status`: every visit's result and publication against the 20-working-day
/// deadline. Returns the table when nothing is overdue.
///
/// # Errors
///
/// [`VerifyError::Overdue`] (exit 1) holding the table when a visit is overdue; an input
/// error (a calendar file, a year without a calendar); a verification error.
pub fn status(a: &StatusArgs) -> Result<String> {
    let mut calendar = Calendar::official();
    for p in &a.calendar {
        let text = String::from_utf8(io::read(p)?).map_err(|_| ErrorKind::Calendar {
            file: p.display().to_string(),
            message: "not UTF-8".into(),
        })?;
        calendar.add_toml(&text, &p.display().to_string())?;
    }
    let today = date_or_today(a.today.as_deref(), "--today")?;
    let inputs = io::load_inputs(&a.plan)?;
    let bytes = io::read(&a.log)?;
    let r = results::load(&bytes, &inputs.plan, &inputs.targets, &inputs.officers)?;
    let rows = r.status(&calendar, today)?;
    let overdue = rows.iter().filter(|s| s.overdue).count() as u64;
    let mut out = format!(
        "{} visits on {today}; results public within {} working days of the inspection's end (China's official calendar)\n",
        rows.len(),
        results::PUBLICATION_WORKING_DAYS
    );
    for s in &rows {
        out.push_str(&format!("  {s}\n"));
    }
    let count = |f: fn(&results::VisitStatus) -> bool| rows.iter().filter(|s| f(s)).count();
    out.push_str(&format!(
        "{} without a result, {} recorded not yet published, {} published, {overdue} overdue",
        count(|s| s.state == results::State::NoResult),
        count(|s| matches!(s.state, results::State::Recorded(_))),
        count(|s| matches!(s.state, results::State::Published(_))),
    ));
    if overdue > 0 {
        return Err(VerifyError::Overdue {
            report: out,
            visits: overdue,
        }
        .into());
    }
    Ok(out)
}

/// `dualdraw publish` on today's date: see [`publish_on`].
///
/// # Errors
///
/// Those of [`publish_on`].
pub fn publish(log_path: &Path, plan_path: &Path, out: &Path) -> Result<PublishSummary> {
    publish_on(&PublishArgs {
        log: log_path.to_path_buf(),
        plan: plan_path.to_path_buf(),
        out: out.to_path_buf(),
        date: None,
        site: super::SiteOptions::default(),
    })
}

/// `dualdraw publish`: a self-contained folder a bureau can put on its website (一公开): the log
/// and head, the plan, the input digests, the seed materials, the draw's results and the
/// inspection results as CSV and JSON, with officers' personal data and findings only where
/// the plan marks them public. The publication is recorded in the log first (a `publication`
/// event, under the writer lock), then the folder is written with that log.
///
/// # Errors
///
/// Every error of loading the plan and directories; [`ErrorKind::Io`] when the log or plan
/// cannot be read or the folder cannot be written; [`ErrorKind::OutputExists`] when `out` is
/// not empty; [`ErrorKind::Results`] for a date in the future or before the results it
/// publishes; those of [`crate::publish::publish`].
pub fn publish_on(a: &PublishArgs) -> Result<PublishSummary> {
    let inputs = io::load_inputs(&a.plan)?;
    let date = date_or_today(a.date.as_deref(), "--date")?;
    let today = today();
    if date > today {
        return Err(ErrorKind::Results(format!(
            "the publication date {date} is in the future (today is {today})"
        ))
        .into());
    }
    io::check_new_dir(&a.out)?;
    let plan_bytes = io::read(&a.plan)?;
    let store = io::FileStore::new(&a.log);
    let mut lock = store.lock()?;
    let old = store.read(&lock)?;
    let p = crate::publish::publish(
        &old,
        &plan_bytes,
        &inputs.plan,
        &inputs.targets,
        &inputs.officers,
        date,
    )?;
    // The page too is made before the log is touched: a missing verifier refuses the run.
    let site_files = super::site::files(&p, &inputs, &a.site)?;
    let new = p.log.to_bytes();
    if new != old {
        store.append(&mut lock, &old, &new)?;
    }
    follow(&a.log, &new, &inputs)?;
    let files: Vec<(&str, Vec<u8>)> = p
        .files
        .iter()
        .chain(&site_files)
        .map(|(n, b)| (n.as_str(), b.clone()))
        .collect();
    io::write_new_dir(&a.out, &files)?;
    Ok(PublishSummary {
        out: a.out.clone(),
        files: files.into_iter().map(|(n, _)| n.to_string()).collect(),
        head: p.head,
    })
}
