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

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

pub use ratio::Ratio;

use crate::directory::Enterprise;
use crate::directory::fields::{self, CreditClass, EnterpriseStatus};
use crate::error::{ErrorKind, Position, Result};
use crate::merkle::Hash;
use sha2::{Digest as _, Sha256};

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
    /// The plan file, as named to [`Plan::from_toml`]; errors name it.
    pub file: PathBuf,
    /// Officer personal fields the plan marks public (`[publish] officer_fields`, from
    /// [`PUBLIC_OFFICER_FIELDS`]); officer ids and certificate numbers are always public.
    pub public_officer_fields: Vec<String>,
    /// Whether the published folder carries both directories, so that anyone can re-run the
    /// draw (`[publish] directories`, default false). Only with every officer field public,
    /// since the officer directory holds them all.
    pub publish_directories: bool,
    /// Whether reasons' free texts are published (`[publish] reasons`, default false: they are
    /// logged only as commitments, SPEC.md §9.5).
    pub public_reasons: bool,
    /// Workload cap per person over the whole plan (`[assignment] max_per_officer`).
    pub max_per_officer: CapRule,
    /// Enterprise recusal requests (`[[recusal]]`): pairs kept apart, with the reason.
    pub recusals: Vec<Recusal>,
    /// SHA-256 of the plan file's bytes as given to [`Plan::parse`] (of the text, for
    /// [`Plan::from_toml`]): the plan digest every log header binds.
    pub digest: Hash,
    /// The result categories a `result` event may give (`[results] categories`; default
    /// [`RESULT_CATEGORIES`], SPEC.md §11.2).
    pub result_categories: Vec<String>,
    /// Whether `publish` shows findings and follow-up texts (`[results] publish_findings`,
    /// default false: withheld).
    pub publish_findings: bool,
    /// How the directories' files are read (`[input]`, SPEC.md §3.4).
    pub input: crate::directory::InputRule,
}

/// The result categories of the national enterprise credit publicity system (SPEC.md §11.2).
pub const RESULT_CATEGORIES: [&str; 11] = [
    "未发现问题",
    "正常经营",
    "未按规定公示应当公示的信息",
    "公示信息隐瞒真实情况、弄虚作假",
    "通过登记的住所（经营场所）无法联系",
    "不配合检查情节严重",
    "发现问题已责令改正",
    "发现问题待后续处理",
    "未发现开展本次抽查涉及的经营活动",
    "已注销或被吊销营业执照",
    "已迁出",
];

/// The workload cap rule (SPEC.md §5.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CapRule {
    /// `ceil(places / eligible people) + 1` (the default), raised to the least cap under
    /// which a lawful assignment exists.
    #[default]
    Balanced,
    /// `ceil(places / eligible people)` (`"strict"`), raised likewise: loads differ by at most
    /// one when every person may serve every team.
    Strict,
    /// No cap (`"none"`).
    None,
    /// At most this many places per person.
    Fixed(u32),
}

/// An enterprise's request that an officer not inspect it (企业申请回避).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recusal {
    /// The enterprise's id.
    pub enterprise: String,
    /// The officer's id.
    pub officer: String,
    /// Why (written into the log): a category, and a text only when reasons are public or a
    /// commitment to a private one (SPEC.md §4.6, §9.5).
    pub reason: crate::reason::Reason,
}

/// A `[[recusal]]` as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRecusal {
    enterprise: String,
    officer: String,
    category: Spanned<String>,
    text: Option<String>,
    commitment: Option<Spanned<String>>,
}

/// The area rule of a task (片区).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AreaRule {
    /// No area rule (the default).
    #[default]
    Any,
    /// 属地: the officer's area equals the enterprise's region code.
    Same,
    /// 所所交叉: the officer's area differs from the enterprise's region code.
    Different,
}

impl AreaRule {
    /// `any`, `same` or `different`.
    pub fn as_str(self) -> &'static str {
        match self {
            AreaRule::Any => "any",
            AreaRule::Same => "same",
            AreaRule::Different => "different",
        }
    }
}

/// A department taking part in a joint inspection (部门联合抽查).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JointDepartment {
    /// The department (所属部门), as written in the officer directory.
    pub department: String,
    /// The domain its officers' scope must cover; defaults to the task's domain.
    #[serde(default)]
    pub domain: Option<String>,
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
    /// The area rule.
    pub area: AreaRule,
    /// Participating departments of a joint inspection (empty: not joint).
    pub joint: Vec<JointDepartment>,
    /// Where the task is written, for errors found while drawing.
    pub source: TaskSource,
}

/// Where a task is written, so that an error found only when drawing (a pool too small, a
/// class without a ratio, too few officers) points back at the plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskSource {
    /// The task's sample: plan file, line, column and field (`task[n].sample.count`,
    /// `task[n].sample.ratio` or `task[n].sample.by_class`).
    pub sample: Position,
    /// The task's team rule: plan file, line, column and field `task[n].team`.
    pub team: Position,
    /// The officer directory the plan names, resolved against the plan's folder.
    pub officers: PathBuf,
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
        self.contains_parts(&e.region, &e.domains, e.status)
    }

    /// [`Scope::contains`] on the fields it reads, owned or borrowed.
    pub(crate) fn contains_parts<S: AsRef<str>>(
        &self,
        region: &str,
        domains: &[S],
        status: EnterpriseStatus,
    ) -> bool {
        let region_ok =
            self.regions.is_empty() || self.regions.iter().any(|r| region_matches(r, region));
        let domain_ok = self.domains.is_empty()
            || self
                .domains
                .iter()
                .any(|d| domains.iter().any(|x| x.as_ref() == d));
        let status_ok = if self.statuses.is_empty() {
            status != EnterpriseStatus::Closed
        } else {
            self.statuses.contains(&status)
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
// Values that are validated keep their span, so that errors give a line and a column.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    id: Spanned<String>,
    title: String,
    inspection_date: Spanned<String>,
    targets: PathBuf,
    officers: PathBuf,
    seed: Option<Spanned<String>>,
    #[serde(default)]
    publish: RawPublish,
    #[serde(default)]
    task: Vec<RawTask>,
    #[serde(default)]
    assignment: RawAssignment,
    #[serde(default)]
    recusal: Vec<RawRecusal>,
    #[serde(default)]
    results: RawResults,
    #[serde(default)]
    input: RawInput,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawResults {
    categories: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    publish_findings: bool,
}

/// `[input]`: how the directories' files are read (SPEC.md §3.4).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawInput {
    encoding: Option<Spanned<String>>,
    delimiter: Option<Spanned<String>>,
    targets_sheet: Option<String>,
    officers_sheet: Option<String>,
    #[serde(default)]
    extra_columns: Vec<String>,
    #[serde(default)]
    require: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAssignment {
    max_per_officer: Option<Spanned<toml::Value>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawPublish {
    #[serde(default)]
    officer_fields: Vec<Spanned<String>>,
    directories: Option<Spanned<bool>>,
    #[serde(default)]
    reasons: bool,
}

/// Officer fields a plan may mark public (ids and certificate numbers always are).
pub const PUBLIC_OFFICER_FIELDS: [&str; 3] = ["name", "department", "region"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    id: Spanned<String>,
    item: Item,
    domain: Spanned<String>,
    #[serde(default)]
    scope: RawScope,
    sample: Spanned<RawSample>,
    exclude_inspected_within_days: Option<u32>,
    #[serde(default)]
    shortfall: Shortfall,
    team: Spanned<RawTeam>,
    #[serde(default)]
    area: AreaRule,
    #[serde(default)]
    joint: Vec<JointDepartment>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawScope {
    #[serde(default)]
    regions: Vec<Spanned<String>>,
    #[serde(default)]
    domains: Vec<Spanned<String>>,
    #[serde(default)]
    statuses: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSample {
    count: Option<Spanned<u64>>,
    ratio: Option<Spanned<toml::Value>>,
    by_class: Option<Spanned<BTreeMap<Spanned<String>, Spanned<toml::Value>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTeam {
    size: Spanned<u64>,
    #[serde(default)]
    experts: u64,
}

/// Line and column (1-based) of a byte offset.
fn line_col(text: &str, offset: usize) -> (u64, u64) {
    Lines::new(text).line_col(offset)
}

/// Where a text's lines start, so that the line and column of an offset cost a binary search
/// instead of a scan from the start: every task of a plan stores positions, and a plan with
/// 10^5 tasks would otherwise take time quadratic in its length.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// 1-based line (LF-counted) and column (in characters) of byte `offset`.
    fn line_col(&self, offset: usize) -> (u64, u64) {
        let offset = offset.min(self.text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(0, |l| l.chars().count())
            + 1;
        (line as u64, col as u64)
    }
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

/// A TOML value as the user wrote it: a string without its quotes, anything else as in the
/// file.
fn raw_value(text: &str, v: &Spanned<toml::Value>) -> String {
    match v.get_ref() {
        toml::Value::String(s) => s.clone(),
        _ => text.get(v.span()).unwrap_or_default().trim().to_string(),
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
    /// Parses and validates a plan file's bytes: UTF-8, a leading BOM ignored (Windows
    /// editors write one). The plan's [`digest`](Plan::digest) is the SHA-256 of `bytes`,
    /// BOM included, exactly as the file is published. `file` names the plan in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PlanSyntax`] for bytes that are not UTF-8 or not TOML (with the line and
    /// column), and every error of [`Plan::from_toml`].
    ///
    /// ```
    /// use sha2::Digest as _;
    /// let text = r#"
    ///     id = "P1"
    ///     title = "demo"
    ///     inspection_date = "2020-10-20"
    ///     targets = "targets.csv"
    ///     officers = "officers.csv"
    ///     [[task]]
    ///     id = "radio"
    ///     domain = "无线电"
    ///     item = { name = "台站检查", basis = "无线电管理条例" }
    ///     sample = { count = 1 }
    ///     team = { size = 2 }
    /// "#;
    /// let bytes = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
    /// let plan = dualdraw::Plan::parse(&bytes, "plan.toml".as_ref())?;
    /// assert_eq!(plan.id, "P1");
    /// assert_eq!(plan.digest, <[u8; 32]>::from(sha2::Sha256::digest(&bytes)));
    /// # Ok::<(), dualdraw::Error>(())
    /// ```
    pub fn parse(bytes: &[u8], file: &Path) -> Result<Plan> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            // The valid prefix is UTF-8: count lines and characters in it.
            let valid = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let line = valid.matches('\n').count() as u64 + 1;
            let column = valid.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
            ErrorKind::PlanSyntax {
                pos: Position::file(file)
                    .at_line(Some(line))
                    .at_column(Some(column)),
                message: format!(
                    "found bytes that are not UTF-8 ({e}), expected a UTF-8 plan (save it as UTF-8)"
                ),
            }
        })?;
        let mut plan = Plan::from_toml(text.trim_start_matches('\u{feff}'), file)?;
        plan.digest = Sha256::digest(bytes).into();
        Ok(plan)
    }

    /// Parses and validates a plan's text. `file` names the plan in errors; the plan's
    /// [`digest`](Plan::digest) is the SHA-256 of `text` (use [`Plan::parse`] for a file's
    /// bytes, whose digest must cover a BOM too).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::PlanSyntax`] for text that is not TOML, [`ErrorKind::InvalidField`] (and
    /// the other plan kinds) for a value that breaks a rule, each with the line, column and
    /// key.
    pub fn from_toml(text: &str, file: &Path) -> Result<Plan> {
        let lines = Lines::new(text);
        // The position of a byte range of `text`, in the plan field `field`.
        let at = |span: Range<usize>, field: &str| -> Position {
            let (line, col) = lines.line_col(span.start);
            Position::file(file)
                .at_line(Some(line))
                .at_column(Some(col))
                .in_field(field)
        };
        let bad = |pos: Position, found: &str, expected: &str| -> crate::Error {
            ErrorKind::InvalidField {
                pos,
                found: found.to_string(),
                expected: expected.to_string(),
            }
            .into()
        };
        let raw: RawPlan = toml::from_str(text).map_err(|e| {
            let mut pos = Position::file(file);
            if let Some(s) = e.span() {
                let (line, col) = line_col(text, s.start);
                pos = pos.at_line(Some(line)).at_column(Some(col));
            }
            ErrorKind::PlanSyntax {
                pos,
                message: e.message().trim_end().to_string(),
            }
        })?;
        check_ident(raw.id.get_ref())
            .map_err(|e| bad(at(raw.id.span(), "id"), raw.id.get_ref(), e))?;
        let inspection_date = fields::parse_date(raw.inspection_date.get_ref()).map_err(|e| {
            bad(
                at(raw.inspection_date.span(), "inspection_date"),
                raw.inspection_date.get_ref(),
                e,
            )
        })?;
        if let Some(s) = &raw.seed {
            crate::seed::check_seed(s.get_ref())
                .map_err(|e| bad(at(s.span(), "seed"), s.get_ref(), e))?;
        }
        if raw.task.is_empty() {
            return Err(bad(
                Position::file(file).in_field("task"),
                "no [[task]]",
                "at least one [[task]] table",
            ));
        }
        let officers = file.parent().unwrap_or(Path::new("")).join(&raw.officers);
        // Task id -> (index, line) of its first use.
        let mut seen: BTreeMap<String, (usize, u64)> = BTreeMap::new();
        let mut tasks = Vec::new();
        for (n, t) in raw.task.into_iter().enumerate() {
            let f = |name: &str| format!("task[{n}].{name}");
            let id = t.id.get_ref();
            check_ident(id).map_err(|e| bad(at(t.id.span(), &f("id")), id, e))?;
            let id_line = lines.line_col(t.id.span().start).0;
            if let Some((first, line)) = seen.get(id) {
                return Err(bad(
                    at(t.id.span(), &f("id")),
                    id,
                    &format!(
                        "a task id not used by another task (task[{first}] on line {line} has it)"
                    ),
                ));
            }
            seen.insert(id.clone(), (n, id_line));
            fields::check_domain(t.domain.get_ref())
                .map_err(|e| bad(at(t.domain.span(), &f("domain")), t.domain.get_ref(), e))?;
            let size = &t.team.get_ref().size;
            if *size.get_ref() < 2 {
                return Err(ErrorKind::TwoOfficerRule {
                    pos: at(size.span(), &f("team.size")),
                    task: id.clone(),
                    size: *size.get_ref(),
                }
                .into());
            }
            let mut regions = Vec::new();
            for (i, r) in t.scope.regions.iter().enumerate() {
                regions.push(fields::parse_region(r.get_ref()).map_err(|e| {
                    bad(
                        at(r.span(), &f(&format!("scope.regions[{i}]"))),
                        r.get_ref(),
                        e,
                    )
                })?);
            }
            let mut domains = Vec::new();
            for (i, d) in t.scope.domains.iter().enumerate() {
                fields::check_domain(d.get_ref()).map_err(|e| {
                    bad(
                        at(d.span(), &f(&format!("scope.domains[{i}]"))),
                        d.get_ref(),
                        e,
                    )
                })?;
                domains.push(d.get_ref().clone());
            }
            let mut statuses = Vec::new();
            for (i, s) in t.scope.statuses.iter().enumerate() {
                statuses.push(fields::parse_enterprise_status(s.get_ref()).map_err(|e| {
                    bad(
                        at(s.span(), &f(&format!("scope.statuses[{i}]"))),
                        s.get_ref(),
                        e,
                    )
                })?);
            }
            let raw_sample = t.sample.get_ref();
            let (sample, sample_pos) = match (
                &raw_sample.count,
                &raw_sample.ratio,
                &raw_sample.by_class,
            ) {
                (Some(c), None, None) => {
                    let pos = at(c.span(), &f("sample.count"));
                    if *c.get_ref() == 0 {
                        return Err(bad(pos, "0", "a count of at least 1"));
                    }
                    (Sample::Count(*c.get_ref()), pos)
                }
                (None, Some(r), None) => {
                    let pos = at(r.span(), &f("sample.ratio"));
                    let ratio = ratio_value(r.get_ref())
                        .map_err(|e| bad(pos.clone(), &raw_value(text, r), &e))?;
                    (Sample::Ratio(ratio), pos)
                }
                (None, None, Some(m)) if !m.get_ref().is_empty() => {
                    let mut by = BTreeMap::new();
                    // Class -> the key that named it, so that `A` and `a级` are refused together.
                    let mut keys: BTreeMap<Option<CreditClass>, &Spanned<String>> = BTreeMap::new();
                    for (k, v) in m.get_ref() {
                        let class = if k.get_ref().eq_ignore_ascii_case("none") {
                            None
                        } else {
                            fields::parse_credit_class(k.get_ref())
                                .ok()
                                .flatten()
                                .ok_or_else(|| {
                                    bad(
                                        at(k.span(), &f("sample.by_class")),
                                        k.get_ref(),
                                        "a class key A, B, C, D or none",
                                    )
                                })
                                .map(Some)?
                        };
                        let r = ratio_value(v.get_ref()).map_err(|e| {
                            bad(
                                at(v.span(), &f(&format!("sample.by_class.{}", k.get_ref()))),
                                &raw_value(text, v),
                                &e,
                            )
                        })?;
                        if let Some(first) = keys.insert(class, k) {
                            // Report at whichever of the two keys comes later in the file.
                            let (a, b) = if first.span().start < k.span().start {
                                (first, k)
                            } else {
                                (k, first)
                            };
                            let name = class.map_or("none", CreditClass::as_str);
                            return Err(bad(
                                at(b.span(), &f("sample.by_class")),
                                b.get_ref(),
                                &format!(
                                    "one key per credit class: {:?} and {:?} both name class {name}; keep one",
                                    a.get_ref(),
                                    b.get_ref()
                                ),
                            ));
                        }
                        by.insert(class, r);
                    }
                    (Sample::ByClass(by), at(m.span(), &f("sample.by_class")))
                }
                (count, ratio, by_class) => {
                    let given: Vec<&str> = [
                        count.as_ref().map(|_| "count"),
                        ratio.as_ref().map(|_| "ratio"),
                        by_class.as_ref().map(|m| {
                            if m.get_ref().is_empty() {
                                "an empty by_class"
                            } else {
                                "by_class"
                            }
                        }),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    let found = if given.is_empty() {
                        "none of count/ratio/by_class".to_string()
                    } else {
                        given.join(" and ")
                    };
                    return Err(bad(
                        at(t.sample.span(), &f("sample")),
                        &found,
                        "exactly one of count = N, ratio = \"x%\" or by_class = { A = \"x%\", ... }",
                    ));
                }
            };
            let team = t.team.get_ref();
            let mut joint_seen = Vec::new();
            for j in &t.joint {
                if j.department.trim().is_empty() || joint_seen.contains(&&j.department) {
                    return Err(bad(
                        at(t.team.span(), &f("joint")),
                        &j.department,
                        "each participating department named once",
                    ));
                }
                joint_seen.push(&j.department);
            }
            if t.joint.len() as u64 > *team.size.get_ref() {
                return Err(bad(
                    at(t.team.span(), &f("team.size")),
                    &team.size.get_ref().to_string(),
                    &format!(
                        "a team size of at least the number of participating departments ({})",
                        t.joint.len()
                    ),
                ));
            }
            tasks.push(Task {
                area: t.area,
                joint: t.joint,
                id: id.clone(),
                item: t.item,
                domain: t.domain.into_inner(),
                scope: Scope {
                    regions,
                    domains,
                    statuses,
                },
                sample,
                exclude_inspected_within_days: t.exclude_inspected_within_days,
                shortfall: t.shortfall,
                team: TeamRule {
                    size: *team.size.get_ref(),
                    experts: team.experts,
                },
                source: TaskSource {
                    sample: sample_pos,
                    team: at(t.team.span(), &f("team")),
                    officers: officers.clone(),
                },
            });
        }
        let mut public_officer_fields = Vec::new();
        for f in raw.publish.officer_fields {
            let (span, f) = (f.span(), f.into_inner());
            if !PUBLIC_OFFICER_FIELDS.contains(&f.as_str()) || public_officer_fields.contains(&f) {
                let (line, col) = lines.line_col(span.start);
                return Err(ErrorKind::InvalidField {
                    pos: Position::file(file)
                        .at_line(Some(line))
                        .at_column(Some(col))
                        .in_field("publish.officer_fields"),
                    found: f,
                    expected: format!("one of {} (each once)", PUBLIC_OFFICER_FIELDS.join(", ")),
                }
                .into());
            }
            public_officer_fields.push(f);
        }
        let publish_directories = match &raw.publish.directories {
            Some(d) if *d.get_ref() => {
                let private: Vec<&str> = PUBLIC_OFFICER_FIELDS
                    .iter()
                    .copied()
                    .filter(|f| !public_officer_fields.iter().any(|x| x == f))
                    .collect();
                if !private.is_empty() {
                    return Err(bad(
                        at(d.span(), "publish.directories"),
                        &format!(
                            "true while officer_fields keeps {} private",
                            private.join(", ")
                        ),
                        "[publish] officer_fields = [\"name\", \"department\", \"region\"] \
                         before the officer directory (which holds them all) is published, \
                         or directories = false",
                    ));
                }
                true
            }
            _ => false,
        };
        let max_per_officer = match &raw.assignment.max_per_officer {
            None => CapRule::Balanced,
            Some(v) => match v.get_ref() {
                toml::Value::String(s) if s == "balanced" => CapRule::Balanced,
                toml::Value::String(s) if s == "none" => CapRule::None,
                toml::Value::String(s) if s == "strict" => CapRule::Strict,
                toml::Value::Integer(n) if *n >= 1 && *n <= i64::from(u32::MAX) => {
                    CapRule::Fixed(*n as u32)
                }
                _ => {
                    return Err(bad(
                        at(v.span(), "assignment.max_per_officer"),
                        &raw_value(text, v),
                        "\"balanced\", \"strict\", \"none\" or a whole number of at least 1",
                    ));
                }
            },
        };
        let public_reasons = raw.publish.reasons;
        let mut recusals = Vec::with_capacity(raw.recusal.len());
        for (i, r) in raw.recusal.into_iter().enumerate() {
            let Some(category) = crate::reason::Category::from_name(r.category.get_ref()) else {
                return Err(bad(
                    at(r.category.span(), &format!("recusal[{i}].category")),
                    r.category.get_ref(),
                    &format!("one of {}", crate::reason::Category::listing()),
                ));
            };
            let commitment = match &r.commitment {
                None => None,
                Some(c) => Some(crate::reason::parse_hash(c.get_ref()).ok_or_else(|| {
                    bad(
                        at(c.span(), &format!("recusal[{i}].commitment")),
                        c.get_ref(),
                        "64 lowercase hex digits (SPEC.md §9.5)",
                    )
                })?),
            };
            let reason = crate::reason::Reason {
                category,
                commitment,
                text: r.text,
            };
            if let Err(m) = reason.check_logged(public_reasons) {
                return Err(bad(
                    Position::file(file).in_field(format!("recusal[{i}]")),
                    &format!("{} / {}", r.enterprise, r.officer),
                    &format!(
                        "a recusal with a category and, since the plan is published as it is, a text only when [publish] reasons = true (else keep the text private: a commitment, SPEC.md §9.5): {m}"
                    ),
                ));
            }
            recusals.push(Recusal {
                enterprise: r.enterprise,
                officer: r.officer,
                reason,
            });
        }
        let result_categories = match raw.results.categories {
            None => RESULT_CATEGORIES.iter().map(|c| c.to_string()).collect(),
            Some(c) => {
                let span = c.span();
                let c = c.into_inner();
                let mut seen = std::collections::BTreeSet::new();
                if c.is_empty() || c.iter().any(|x| check_ident(x).is_err() || !seen.insert(x)) {
                    return Err(bad(
                        at(span, "results.categories"),
                        &c.join(", "),
                        "a non-empty list of distinct categories, each non-empty text without control characters or surrounding spaces",
                    ));
                }
                c
            }
        };
        let input = {
            let ri = &raw.input;
            let encoding = match &ri.encoding {
                None => None,
                Some(e) => Some(
                    crate::directory::encoding_named(e.get_ref())
                        .map_err(|x| bad(at(e.span(), "input.encoding"), e.get_ref(), x))?,
                ),
            };
            let delimiter = match &ri.delimiter {
                None => None,
                Some(d) => Some(match d.get_ref().as_str() {
                    "," => b',',
                    "\t" | "tab" => b'\t',
                    ";" => b';',
                    other => {
                        return Err(bad(
                            at(d.span(), "input.delimiter"),
                            other,
                            "\",\", \";\" or \"tab\"",
                        ));
                    }
                }),
            };
            let mut require = Vec::new();
            for r in &ri.require {
                let name = crate::directory::optional_field(r.get_ref()).ok_or_else(|| {
                    bad(
                        at(r.span(), "input.require"),
                        r.get_ref(),
                        "an optional directory field: credit_class, last_inspected, expert or conflicts",
                    )
                })?;
                require.push(name);
            }
            crate::directory::InputRule {
                encoding,
                delimiter,
                targets_sheet: ri.targets_sheet.clone(),
                officers_sheet: ri.officers_sheet.clone(),
                extra_columns: ri.extra_columns.clone(),
                require,
            }
        };
        Ok(Plan {
            result_categories,
            publish_findings: raw.results.publish_findings,
            input,
            max_per_officer,
            recusals,
            public_reasons,
            public_officer_fields,
            publish_directories,
            id: raw.id.into_inner(),
            title: raw.title,
            inspection_date,
            targets: raw.targets,
            officers: raw.officers,
            seed: raw.seed.map(Spanned::into_inner),
            tasks,
            file: file.to_path_buf(),
            digest: Sha256::digest(text.as_bytes()).into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Lines;

    /// The definition the index replaces: count the LFs before the offset, then the characters
    /// since the last one.
    fn by_scan(text: &str, offset: usize) -> (u64, u64) {
        let before = &text[..offset.min(text.len())];
        let line = before.matches('\n').count() as u64 + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u64 + 1;
        (line, col)
    }

    #[test]
    fn line_index_agrees_with_a_scan_at_every_character() {
        let text = "id = \"计划\"\n\n[[task]]\r\nid = \"无线电\"\nx";
        let lines = Lines::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(
                lines.line_col(offset),
                by_scan(text, offset),
                "offset {offset}"
            );
        }
    }
}
