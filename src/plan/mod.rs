//! The inspection plan (抽查工作计划): what to draw, from where, and under which rules.
//!
//! A plan is a TOML file; [`Plan::from_toml`] parses and validates its text (the crate's
//! [`io`](crate::io) module reads the file). See `fixtures/tianjin-2020/plan.toml` and SPEC.md §4.
//!
//! ```
//! let plan = dualdraw::plan::Plan::from_toml(r#"
//!     id = "P1"
//!     title = "demo"
//!     inspection_date = "2020-10-20"
//!     targets = "targets.csv"
//!     officers = "officers.csv"
//!     [[task]]
//!     id = "radio"
//!     domain = "无线电"
//!     item = { name = "无线电台站检查", basis = "《无线电管理条例》" }
//!     scope = { domains = ["无线电"] }
//!     sample = { ratio = "5%" }
//!     team = { size = 2 }
//! "#, "plan.toml".as_ref()).unwrap();
//! assert!(plan.tasks[0].is_directed());
//! ```

mod ratio;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

pub use ratio::Ratio;

use crate::directory::Enterprise;
use crate::directory::fields::{self, CreditClass, EnterpriseStatus};
use crate::error::{ErrorKind, Position, Result};

/// A validated plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Plan id; enters every task key.
    pub id: String,
    /// Title, for people.
    pub title: String,
    /// The inspection date: certificates must be valid on it; recency exclusions count from it.
    pub inspection_date: NaiveDate,
    /// Target directory path, relative to the plan file.
    pub targets: PathBuf,
    /// Officer directory path, relative to the plan file.
    pub officers: PathBuf,
    /// A seed written into the plan (rehearsals and tests), if any.
    pub seed: Option<String>,
    /// The tasks, in plan order.
    pub tasks: Vec<Task>,
}

/// One task (batch) of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// Task id, unique in the plan; enters the task key.
    pub id: String,
    /// The check item (抽查事项) and its legal basis.
    pub item: Item,
    /// The supervision domain the officers' scope must cover.
    pub domain: String,
    /// Which enterprises are in the pool.
    pub scope: Scope,
    /// How many to draw.
    pub sample: Sample,
    /// Exclude enterprises whose last inspection is fewer than this many days before the
    /// inspection date.
    pub exclude_inspected_within_days: Option<u32>,
    /// What to do when a stratum is smaller than its sample.
    pub shortfall: Shortfall,
    /// How teams are formed.
    pub team: TeamRule,
}

/// A check item (抽查事项): name and legal basis.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// Name of the item.
    pub name: String,
    /// Legal basis (法律依据).
    pub basis: String,
}

/// The scope filter of a task. Empty lists mean "no filter" on that field.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scope {
    /// Division codes; `xx0000` matches a province, `xxxx00` a prefecture, others exactly.
    pub regions: Vec<String>,
    /// Domains; an enterprise matches if it has any of them.
    pub domains: Vec<String>,
    /// Statuses; when none are given, `active` and `abnormal` (closed enterprises are never drawn
    /// by default).
    pub statuses: Vec<EnterpriseStatus>,
}

impl Scope {
    /// True when the enterprise is inside this scope.
    pub fn contains(&self, e: &Enterprise) -> bool {
        let region_ok =
            self.regions.is_empty() || self.regions.iter().any(|r| region_matches(r, &e.region));
        let domain_ok =
            self.domains.is_empty() || self.domains.iter().any(|d| e.domains.contains(d));
        let status_ok = if self.statuses.is_empty() {
            e.status != EnterpriseStatus::Closed
        } else {
            self.statuses.contains(&e.status)
        };
        region_ok && domain_ok && status_ok
    }

    /// True when any filter is set (a directed draw, 定向抽查).
    pub fn is_filtered(&self) -> bool {
        !(self.regions.is_empty() && self.domains.is_empty() && self.statuses.is_empty())
    }
}

fn region_matches(filter: &str, region: &str) -> bool {
    if let Some(p) = filter.strip_suffix("0000") {
        region.starts_with(p)
    } else if let Some(p) = filter.strip_suffix("00") {
        region.starts_with(p)
    } else {
        filter == region
    }
}

/// How many enterprises a task draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    /// A fixed number from the whole pool (one stratum, `all`).
    Count(u64),
    /// At least this share of the whole pool (one stratum, `all`).
    Ratio(Ratio),
    /// At least this share of each credit class; `None` is the unclassified stratum.
    ByClass(BTreeMap<Option<CreditClass>, Ratio>),
}

/// What to do when a stratum holds fewer eligible enterprises than its sample asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shortfall {
    /// Refuse the draw (the default).
    #[default]
    Error,
    /// Take every eligible enterprise and record the shortfall in the log.
    TakeAll,
}

/// The team rule of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRule {
    /// Number of certified officers, at least 2.
    pub size: u64,
    /// Number of experts joining the team in addition.
    #[serde(default)]
    pub experts: u64,
}

impl Task {
    /// True for a directed draw (定向: some scope filter is set).
    pub fn is_directed(&self) -> bool {
        self.scope.is_filtered()
    }
}

// ---- raw TOML shape ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    id: String,
    title: String,
    inspection_date: String,
    targets: PathBuf,
    officers: PathBuf,
    seed: Option<String>,
    #[serde(default)]
    task: Vec<RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: String,
    item: Item,
    domain: String,
    #[serde(default)]
    scope: RawScope,
    sample: RawSample,
    exclude_inspected_within_days: Option<u32>,
    #[serde(default)]
    shortfall: Shortfall,
    team: TeamRule,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    domains: Vec<String>,
    #[serde(default)]
    statuses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSample {
    count: Option<u64>,
    ratio: Option<toml::Value>,
    by_class: Option<BTreeMap<String, toml::Value>>,
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
    (line, col)
}

/// An identifier: non-empty, at most 128 bytes, no control characters.
fn check_ident(s: &str) -> std::result::Result<(), &'static str> {
    if s.is_empty() || s.len() > 128 || s.chars().any(char::is_control) || s.trim() != s {
        Err(
            "a non-empty identifier of at most 128 bytes, without control characters or surrounding spaces",
        )
    } else {
        Ok(())
    }
}

fn ratio_value(v: &toml::Value) -> std::result::Result<Ratio, String> {
    match v {
        toml::Value::String(s) => s.parse().map_err(|e: &str| e.to_string()),
        toml::Value::Float(_) | toml::Value::Integer(_) => Err(format!(
            "{} (a bare number would be read in floating point; quote it)",
            ratio::RATIO_EXPECTED
        )),
        _ => Err(ratio::RATIO_EXPECTED.to_string()),
    }
}

impl Plan {
    /// Parses and validates a plan. `file` names the plan in errors.
    pub fn from_toml(text: &str, file: &Path) -> Result<Plan> {
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((None, None), |s| {
                let (l, c) = line_col(text, s.start);
                (Some(l), Some(c))
            });
            ErrorKind::PlanSyntax {
                pos: Position {
                    file: file.to_path_buf(),
                    line,
                    field: col.map(|c| format!("column {c}")),
                },
                message: e.message().to_string(),
            }
        })?;
        let bad = |field: String, found: String, expected: String| -> crate::Error {
            ErrorKind::InvalidField {
                pos: Position {
                    file: file.to_path_buf(),
                    line: None,
                    field: Some(field),
                },
                found,
                expected,
            }
            .into()
        };
        check_ident(&raw.id).map_err(|e| bad("id".into(), raw.id.clone(), e.into()))?;
        let inspection_date = fields::parse_date(&raw.inspection_date).map_err(|e| {
            bad(
                "inspection_date".into(),
                raw.inspection_date.clone(),
                e.into(),
            )
        })?;
        if let Some(s) = &raw.seed {
            crate::seed::check_seed(s).map_err(|e| bad("seed".into(), s.clone(), e.into()))?;
        }
        if raw.task.is_empty() {
            return Err(bad(
                "task".into(),
                "no [[task]]".into(),
                "at least one [[task]] table".into(),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut tasks = Vec::new();
        for (n, t) in raw.task.into_iter().enumerate() {
            let f = |name: &str| format!("task[{n}].{name}");
            check_ident(&t.id).map_err(|e| bad(f("id"), t.id.clone(), e.into()))?;
            if !seen.insert(t.id.clone()) {
                return Err(bad(
                    f("id"),
                    t.id,
                    "a task id not used by another task".into(),
                ));
            }
            if t.domain.trim().is_empty() {
                return Err(bad(
                    f("domain"),
                    t.domain,
                    "a supervision domain such as 无线电".into(),
                ));
            }
            if t.team.size < 2 {
                return Err(ErrorKind::TwoOfficerRule {
                    file: file.to_path_buf(),
                    task: t.id,
                    size: t.team.size,
                }
                .into());
            }
            let mut regions = Vec::new();
            for r in &t.scope.regions {
                regions.push(
                    fields::parse_region(r)
                        .map_err(|e| bad(f("scope.regions"), r.clone(), e.into()))?,
                );
            }
            let mut statuses = Vec::new();
            for s in &t.scope.statuses {
                statuses.push(
                    fields::parse_enterprise_status(s)
                        .map_err(|e| bad(f("scope.statuses"), s.clone(), e.into()))?,
                );
            }
            let sample = match (t.sample.count, &t.sample.ratio, &t.sample.by_class) {
                (Some(c), None, None) if c > 0 => Sample::Count(c),
                (Some(c), None, None) => {
                    return Err(bad(
                        f("sample.count"),
                        c.to_string(),
                        "a count of at least 1".into(),
                    ));
                }
                (None, Some(r), None) => Sample::Ratio(
                    ratio_value(r).map_err(|e| bad(f("sample.ratio"), r.to_string(), e))?,
                ),
                (None, None, Some(m)) if !m.is_empty() => {
                    let mut by = BTreeMap::new();
                    for (k, v) in m {
                        let class = if k.eq_ignore_ascii_case("none") {
                            None
                        } else {
                            fields::parse_credit_class(k)
                                .ok()
                                .flatten()
                                .ok_or_else(|| {
                                    bad(
                                        f("sample.by_class"),
                                        k.clone(),
                                        "a class key A, B, C, D or none".into(),
                                    )
                                })
                                .map(Some)?
                        };
                        let r = ratio_value(v).map_err(|e| {
                            bad(format!("{}.{k}", f("sample.by_class")), v.to_string(), e)
                        })?;
                        by.insert(class, r);
                    }
                    Sample::ByClass(by)
                }
                _ => {
                    return Err(bad(
                        f("sample"),
                        "none or several of count/ratio/by_class".into(),
                        "exactly one of count = N, ratio = \"x%\" or by_class = { A = \"x%\", ... }".into(),
                    ));
                }
            };
            tasks.push(Task {
                id: t.id,
                item: t.item,
                domain: t.domain,
                scope: Scope {
                    regions,
                    domains: t.scope.domains,
                    statuses,
                },
                sample,
                exclude_inspected_within_days: t.exclude_inspected_within_days,
                shortfall: t.shortfall,
                team: t.team,
            });
        }
        Ok(Plan {
            id: raw.id,
            title: raw.title,
            inspection_date,
            targets: raw.targets,
            officers: raw.officers,
            seed: raw.seed,
            tasks,
        })
    }
}
