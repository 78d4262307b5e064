//! Plan TOML text for tests: `plan(id)` with a few header keys, an optional `[assignment]`
//! cap, free text (recusals, ...), then `[[task]]` tables whose keys are written in the order
//! they are given (so that line and column numbers in error messages are predictable).
//!
//! ```ignore
//! let text = plan("P")
//!     .files("targets.csv", "officers.csv")
//!     .task(task("radio").domain("无线电").item("n", "b").count(2).team_size(2))
//!     .text();
//! ```

use std::path::{Path, PathBuf};

use dualdraw::plan::Plan;

/// `s` as a TOML basic string.
pub fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A plan `id` titled "t", inspected 2020-10-20, over `t.csv` and `o.csv`.
pub fn plan(id: &str) -> PlanToml {
    PlanToml {
        id: id.into(),
        title: "t".into(),
        date: "2020-10-20".into(),
        targets: "t.csv".into(),
        officers: "o.csv".into(),
        head: String::new(),
        assignment: String::new(),
        tail: String::new(),
        tasks: String::new(),
    }
}

/// A `[[task]]` table with its `id`.
pub fn task(id: &str) -> TaskToml {
    TaskToml {
        text: format!("[[task]]\nid = {}\n", quote(id)),
    }
}

#[derive(Clone, Debug)]
pub struct PlanToml {
    id: String,
    title: String,
    date: String,
    targets: String,
    officers: String,
    head: String,
    assignment: String,
    tail: String,
    tasks: String,
}

impl PlanToml {
    pub fn title(mut self, title: &str) -> Self {
        self.title = title.into();
        self
    }

    pub fn date(mut self, date: &str) -> Self {
        self.date = date.into();
        self
    }

    /// The `targets` and `officers` files.
    pub fn files(mut self, targets: &str, officers: &str) -> Self {
        self.targets = targets.into();
        self.officers = officers.into();
        self
    }

    pub fn seed(self, seed: &str) -> Self {
        self.key("seed", &quote(seed))
    }

    /// Another top-level key, after `officers` (and after the keys given before); `value` is
    /// TOML as written.
    pub fn key(mut self, key: &str, value: &str) -> Self {
        self.head.push_str(&format!("{key} = {value}\n"));
        self
    }

    /// `[assignment]` with `max_per_officer = cap` (TOML as written: `"none"` quoted, `2` not).
    pub fn cap(mut self, cap: &str) -> Self {
        self.assignment = format!("[assignment]\nmax_per_officer = {cap}\n");
        self
    }

    /// Text as written after the header and `[assignment]`, before the tasks (`[[recusal]]`
    /// tables, ...).
    pub fn raw(mut self, text: &str) -> Self {
        self.tail.push_str(text);
        self
    }

    pub fn task(mut self, task: TaskToml) -> Self {
        self.tasks.push_str(&task.text);
        self
    }

    pub fn text(&self) -> String {
        format!(
            "id = {}\ntitle = {}\ninspection_date = {}\ntargets = {}\nofficers = {}\n{}{}{}{}",
            quote(&self.id),
            quote(&self.title),
            quote(&self.date),
            quote(&self.targets),
            quote(&self.officers),
            self.head,
            self.assignment,
            self.tail,
            self.tasks
        )
    }

    /// The plan, parsed as `plan.toml`.
    pub fn parse(&self) -> Plan {
        Plan::from_toml(&self.text(), "plan.toml".as_ref()).expect("the test plan parses")
    }

    /// Writes `dir/plan.toml` and returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let p = dir.join("plan.toml");
        std::fs::write(&p, self.text()).unwrap();
        p
    }
}

#[derive(Clone, Debug)]
pub struct TaskToml {
    text: String,
}

impl TaskToml {
    /// A key of the task; `value` is TOML as written.
    pub fn key(mut self, key: &str, value: &str) -> Self {
        self.text.push_str(&format!("{key} = {value}\n"));
        self
    }

    /// A line as written (may be empty).
    pub fn line(mut self, line: &str) -> Self {
        self.text.push_str(line);
        self.text.push('\n');
        self
    }

    /// Text as written (lines ending in `\n`, or nothing).
    pub fn raw(mut self, text: &str) -> Self {
        self.text.push_str(text);
        self
    }

    pub fn domain(self, domain: &str) -> Self {
        self.key("domain", &quote(domain))
    }

    pub fn item(self, name: &str, basis: &str) -> Self {
        self.key(
            "item",
            &format!("{{ name = {}, basis = {} }}", quote(name), quote(basis)),
        )
    }

    /// `scope = { ... }` with `inner` as written.
    pub fn scope(self, inner: &str) -> Self {
        self.key("scope", &format!("{{ {inner} }}"))
    }

    /// `sample = { count = n }`.
    pub fn count(self, n: u64) -> Self {
        self.key("sample", &format!("{{ count = {n} }}"))
    }

    /// `sample = { ratio = "r" }`.
    pub fn ratio(self, r: &str) -> Self {
        self.key("sample", &format!("{{ ratio = {} }}", quote(r)))
    }

    /// `sample = value`, as written.
    pub fn sample(self, value: &str) -> Self {
        self.key("sample", value)
    }

    /// `team = { size = n }`.
    pub fn team_size(self, size: u64) -> Self {
        self.key("team", &format!("{{ size = {size} }}"))
    }

    /// `team = { size = n, experts = m }`.
    pub fn team(self, size: u64, experts: u64) -> Self {
        self.key("team", &format!("{{ size = {size}, experts = {experts} }}"))
    }

    pub fn shortfall(self, rule: &str) -> Self {
        self.key("shortfall", &quote(rule))
    }

    pub fn area(self, rule: &str) -> Self {
        self.key("area", &quote(rule))
    }

    pub fn exclude_days(self, days: u32) -> Self {
        self.key("exclude_inspected_within_days", &days.to_string())
    }
}
