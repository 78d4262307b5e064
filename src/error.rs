//! One error type for the whole library, in the style of the `csv` crate: an opaque [`Error`]
//! with a [`kind`](Error::kind) that says what went wrong and where.
//!
//! Every user error names the file, the line, the column or field, what was found and what
//! was expected. Verification failures are a separate, small enum ([`VerifyError`]) so that the
//! binary can tell "the log is wrong" (exit 1) from "the input is wrong" (exit 2).

use std::fmt;
use std::path::PathBuf;

/// The most characters of an input value quoted in an error.
pub const QUOTE_LIMIT: usize = 200;

/// True for characters never shown raw in an error: control characters (terminal escape
/// sequences start with one) and the bidirectional controls that reorder how text is shown
/// (U+200E, U+200F, U+202A–U+202E, U+2066–U+2069), and U+FEFF.
fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// `s` made safe to show inside an error or warning: control and bidirectional-control
/// characters as `\u{…}` escapes, cut after [`QUOTE_LIMIT`] characters with `…`.
///
/// ```
/// assert_eq!(dualdraw::quoted("a\u{1b}[31mb\u{202e}c"), "a\\u{1b}[31mb\\u{202e}c");
/// assert_eq!(dualdraw::quoted(&"x".repeat(300)).chars().count(), 201);
/// ```
pub fn quoted(s: &str) -> String {
    escape(s, QUOTE_LIMIT, false)
}

/// [`quoted`] in double quotes, with `"` and `\` escaped as Rust's `{:?}` does (the form
/// errors have always used for values).
pub fn quoted_debug(s: &str) -> String {
    let cut: String = s.chars().take(QUOTE_LIMIT).collect();
    let mut out = escape(&format!("{cut:?}"), usize::MAX, false);
    if s.chars().nth(QUOTE_LIMIT).is_some() {
        out.push('…');
    }
    out
}

/// A longer description from a parser (a TOML or CSV reader's message), which may quote the
/// input: escaped as [`quoted`] but keeping its line breaks, cut after 2000 characters.
pub fn quoted_text(s: &str) -> String {
    escape(s, 2000, true)
}

fn escape(s: &str, limit: usize, keep_newlines: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(s.len().min(limit.saturating_mul(4)));
    for (n, c) in s.chars().enumerate() {
        if n == limit {
            out.push('…');
            break;
        }
        if must_escape(c) && !(keep_newlines && c == '\n') {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Where in an input file a problem was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// The file, as the user named it.
    pub file: PathBuf,
    /// 1-based line number in the file, when known.
    pub line: Option<u64>,
    /// Where in the line: the column and/or the field (CSV column or plan key), when known.
    pub field: Option<Field>,
}

/// Where in a line a problem was found: a column, a named field, or both.
///
/// Displayed after the line as ``column 17``, ``field `task[0].sample.ratio` `` or, for a CSV
/// header written in Chinese, ``field `执法证有效期至` (cert_expires)``.

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Field {
    /// 1-based column (in characters), when known.
    pub column: Option<u64>,
    /// The field as the file names it (the header cell as written, or the plan key).
    pub name: Option<String>,
    /// The field's English name, when it differs from `name` (a Chinese CSV header).
    pub english: Option<&'static str>,
}

impl Position {
    /// A position naming a file only.
    pub fn file(file: impl Into<PathBuf>) -> Self {
        Position {
            file: file.into(),
            line: None,
            field: None,
        }
    }

    /// A position naming a file, a line and a field.
    pub fn at(file: impl Into<PathBuf>, line: u64, field: impl Into<String>) -> Self {
        Position::file(file).at_line(Some(line)).in_field(field)
    }

    /// The same position at `line` (when known).
    pub fn at_line(mut self, line: Option<u64>) -> Self {
        self.line = line;
        self
    }

    /// The same position at 1-based `column` of its line (when known).
    pub fn at_column(mut self, column: Option<u64>) -> Self {
        if column.is_some() {
            self.field.get_or_insert_with(Field::default).column = column;
        }
        self
    }

    /// The same position in the field `name`.
    pub fn in_field(mut self, name: impl Into<String>) -> Self {
        self.field.get_or_insert_with(Field::default).name = Some(name.into());
        self
    }

    /// The same position, adding the field's English name when it differs from its name as
    /// written (a CSV header in Chinese).
    pub fn with_english(mut self, english: &'static str) -> Self {
        let f = self.field.get_or_insert_with(Field::default);
        f.english = (f.name.as_deref() != Some(english)).then_some(english);
        self
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ", line {line}")?;
        }
        if let Some(field) = &self.field {
            if let Some(column) = field.column {
                write!(f, ", column {column}")?;
            }
            match (&field.name, field.english) {
                (Some(name), Some(en)) => write!(f, ", field `{}` ({en})", quoted(name))?,
                (Some(name), None) => write!(f, ", field `{}`", quoted(name))?,
                (None, Some(en)) => write!(f, ", field `{en}`")?,
                (None, None) => {}
            }
        }
        Ok(())
    }
}

/// The error type of every fallible operation in this crate.
///
/// It is small (one pointer) and opaque; [`Error::kind`] gives the details.
#[derive(Debug)]
pub struct Error(Box<ErrorKind>);

impl Error {
    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0
    }

    /// Consumes the error and returns its kind.
    pub fn into_kind(self) -> ErrorKind {
        *self.0
    }

    /// True when a log failed verification (as opposed to bad input or usage).
    pub fn is_verification(&self) -> bool {
        matches!(*self.0, ErrorKind::Verify(_))
    }
}

impl fmt::Display for Error {
    /// The kind's message, with any control or bidirectional-control character left in it
    /// (free text such as a seed, a reason or an entropy value, quoted by a message that did
    /// not pass it through [`quoted`]) shown as an escape: an error never moves a terminal's
    /// cursor or reorders what is shown. Line breaks stay.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.0.to_string();
        if raw.chars().any(|c| must_escape(c) && c != '\n') {
            f.write_str(&escape(&raw, usize::MAX, true))
        } else {
            f.write_str(&raw)
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source()
    }
}

impl<K: Into<ErrorKind>> From<K> for Error {
    fn from(kind: K) -> Self {
        Error(Box::new(kind.into()))
    }
}

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file the plan names (a directory) could not be opened.
    #[error("{}: {source} (named by `{key}` in {})", path.display(), plan.display())]
    PlanInput {
        /// The file, resolved against the plan's folder.
        path: PathBuf,
        /// The plan key naming it: `targets` or `officers`.
        key: &'static str,
        /// The plan file.
        plan: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The CSV itself is malformed (unequal row lengths, invalid UTF-8, ...).
    #[error("{pos}: malformed CSV: {}", quoted_text(message))]
    Csv {
        /// Where.
        pos: Position,
        /// The CSV reader's description.
        message: String,
    },
    /// A required column is absent from the header row.
    #[error(
        "{}, line 1: the header row has no column `{column}` (or its Chinese name `{zh}`); found columns: {}",
        file.display(), escape(found, 1000, false)
    )]
    MissingColumn {
        /// The CSV file.
        file: PathBuf,
        /// English column name.
        column: &'static str,
        /// Chinese column name.
        zh: &'static str,
        /// The header row as found.
        found: String,
    },
    /// Two header cells name the same column.
    #[error(
        "{}, line 1: columns {first} (`{}`) and {second} (`{}`) both name \
         `{column}`; keep only one of them",
        file.display(), quoted(first_header), quoted(second_header)
    )]
    DuplicateColumn {
        /// The CSV file.
        file: PathBuf,
        /// The column both cells name.
        column: &'static str,
        /// 1-based position of the first cell.
        first: usize,
        /// The first cell as written.
        first_header: String,
        /// 1-based position of the second cell.
        second: usize,
        /// The second cell as written.
        second_header: String,
    },
    /// A directory file is not in a form a directory can be read from (empty, header only, a
    /// title row above the header, binary, an encoding that cannot be told, ...).
    #[error("{}: {message}", file.display())]
    Input {
        /// The file.
        file: PathBuf,
        /// What it is, and what would be right.
        message: String,
    },
    /// A header cell that names no field but resembles one: a misspelt column would otherwise
    /// be lost silently.
    #[error(
        "{}, line 1, column {column}: header `{}` is not a known column but resembles `{known}` ({english}): rename it to `{known}`, or declare it under `[input] extra_columns` in the plan if it is something else",
        file.display(), quoted(header)
    )]
    UnknownColumn {
        /// The file.
        file: PathBuf,
        /// 1-based position of the cell.
        column: usize,
        /// The cell as written.
        header: String,
        /// The column it resembles, as usually written.
        known: &'static str,
        /// Its English name.
        english: &'static str,
    },
    /// Several cells of a directory are invalid: every one, grouped by field (SPEC.md §3).
    #[error("{}: {total} invalid cells, nothing was drawn:{summary}", file.display())]
    BadCells {
        /// The file.
        file: PathBuf,
        /// How many cells are invalid.
        total: u64,
        /// One line per field: the count, what was expected, the first lines and values.
        summary: String,
    },
    /// Several cells of one row are invalid: each of them (a directory's report groups them
    /// by field with the other rows' errors).
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    RowCells(Vec<Error>),
    /// A value does not have the expected form.
    #[error("{pos}: found {}, expected {expected}", quoted_debug(found))]
    InvalidField {
        /// Where.
        pos: Position,
        /// The value as found.
        found: String,
        /// What would be right.
        expected: String,
    },
    /// The same id appears on two rows.
    #[error(
        "{}, line {line}: duplicate id {} (already on line {first_line}); ids must be unique",
        file.display(), quoted_debug(id)
    )]
    DuplicateId {
        /// The CSV file.
        file: PathBuf,
        /// The repeated id.
        id: String,
        /// Line of the first occurrence.
        first_line: u64,
        /// Line of the repetition.
        line: u64,
    },
    /// The plan is not valid TOML or does not have the plan's shape.
    #[error("{pos}: {}", quoted_text(message))]
    PlanSyntax {
        /// Where (line and column).
        pos: Position,
        /// The TOML parser's description.
        message: String,
    },
    /// A team size below two.
    #[error(
        "{pos}: task {task:?}: team size {size} is not allowed: an inspection needs at least two \
         certified law-enforcement officers (Administrative Penalty Law, art. 42); set team.size >= 2"
    )]
    TwoOfficerRule {
        /// Where in the plan (line, column, `task[n].team.size`).
        pos: Position,
        /// The task id.
        task: String,
        /// The size asked for.
        size: u64,
    },
    /// A stratum asks for more enterprises than are eligible.
    #[error(
        "{pos}: task {task:?}, stratum {stratum:?}: {requested} enterprises requested but only {eligible} eligible; \
         lower the sample or set `shortfall = \"take-all\"` on the task"
    )]
    PoolTooSmall {
        /// The task's sample in the plan (file, line, column, `task[n].sample.…`).
        pos: Position,
        /// The task id.
        task: String,
        /// The stratum (`all` or a credit class).
        stratum: String,
        /// How many the plan asks for.
        requested: u64,
        /// How many are eligible.
        eligible: u64,
    },
    /// A per-class sample has no ratio for a class that has eligible enterprises.
    #[error(
        "{pos}: task {task:?}: {count} eligible enterprises have credit class {class:?} but sample.by_class \
         gives no ratio for it; no class may be exempt: add `{class} = \"x%\"` to sample.by_class"
    )]
    MissingClassRatio {
        /// The task's `sample.by_class` in the plan (file, line, column, field).
        pos: Position,
        /// The task id.
        task: String,
        /// The class (`A`..`D` or `none`).
        class: String,
        /// Eligible enterprises of that class.
        count: u64,
    },
    /// Not enough eligible officers for one enterprise's team.
    #[error(
        "{}: task {task:?}, enterprise {enterprise}: {needed} {role} needed but only {eligible} eligible \
         ({why}); the team is set at {team}",
        officers.display()
    )]
    TooFewOfficers {
        /// The officer directory file (resolved against the plan's folder).
        officers: PathBuf,
        /// The task's `team` in the plan (file, line, column, field).
        team: Position,
        /// The task id.
        task: String,
        /// The enterprise's code.
        enterprise: String,
        /// `officers` or `experts`.
        role: &'static str,
        /// How many the team needs.
        needed: u64,
        /// How many are eligible.
        eligible: u64,
        /// Why the others were excluded, with counts.
        why: String,
    },
    /// No usable seed.
    #[error("{0}")]
    Seed(String),
    /// A replacement request cannot be carried out.
    #[error("replacement refused: {0}")]
    Replacement(String),
    /// An inspection result or publication cannot be recorded (SPEC.md §11).
    #[error("result refused: {0}")]
    Results(String),
    /// A working-day calendar file is invalid, or a year has none (SPEC.md §11.3).
    #[error("{file}: {message}")]
    Calendar {
        /// The calendar file (or the one that is missing).
        file: String,
        /// What is wrong and what would be right.
        message: String,
    },
    /// No lawful assignment of officers to the drawn teams exists (SPEC.md §5.5): the message
    /// carries a certificate a person can check by hand (Hall's condition with numbers).
    #[error("{0}")]
    Infeasible(Box<crate::team::assign::Infeasibility>),
    /// An earlier draw log given for rotation (`--history`) cannot be used.
    #[error("{0}")]
    History(String),
    /// The inputs changed since they were committed, or the commitment does not hold.
    #[error("{0}")]
    Commit(String),
    /// A streamed directory is not sorted by id.
    #[error(
        "{}, line {line}: id {} comes after {}; a streamed directory must be sorted by id \
         (byte order): sort it first with `dualdraw sort`",
        file.display(), quoted_debug(id), quoted_debug(previous)
    )]
    Unsorted {
        /// The CSV file.
        file: PathBuf,
        /// Line of the out-of-order row.
        line: u64,
        /// Its id.
        id: String,
        /// The id of the row before it.
        previous: String,
    },
    /// The streaming selection of a ratio sample kept too few candidates (astronomically
    /// unlikely; the in-memory draw gives the exact answer).
    #[error(
        "task {task:?}, stratum {stratum:?}: the streaming draw kept {kept} candidates below its bound but {needed} \
         are drawn; run the draw on the directory in memory instead of streamed (the result is the same, only slower)"
    )]
    StreamBound {
        /// The task id.
        task: String,
        /// The stratum.
        stratum: String,
        /// Candidates kept below the final bound.
        kept: u64,
        /// Sample size.
        needed: u64,
    },
    /// The Excel workbook could not be assembled.
    #[error("the Excel workbook could not be written: {message}")]
    Workbook {
        /// What the workbook writer said.
        message: String,
    },
    /// A log or proof converted on its way to the reader (CRLF line ends, a byte-order mark):
    /// not forged, but not the published bytes either.
    #[error(
        "this {what} was converted ({how}), as a Windows download or git's autocrlf does; that \
         is not a sign of tampering, but it can only be checked as published: re-download it, or \
         convert it back with `dos2unix` (removes the CRs and the byte-order mark)"
    )]
    Converted {
        /// `log` or `proof`.
        what: &'static str,
        /// What was done: CRLF line ends, a byte-order mark, or both.
        how: &'static str,
    },
    /// An output would overwrite something.
    #[error("{}: {reason}; a draw never overwrites earlier output, choose another output folder", path.display())]
    OutputExists {
        /// The path that exists.
        path: PathBuf,
        /// Why it is refused.
        reason: String,
    },
    /// Another writer holds the log: it is being extended right now.
    #[error(
        "{}: another command is extending this log (its writer lock is held); nothing was done — run again when it has finished, against the log as it then stands",
        path.display()
    )]
    LogBusy {
        /// The log.
        path: PathBuf,
    },
    /// The log changed between reading it and appending to it.
    #[error(
        "{}: the log's head is now {found}, not the {expected} this command read; nothing was appended — run again against the log as it now stands",
        path.display()
    )]
    LogMoved {
        /// The log.
        path: PathBuf,
        /// The head this command read.
        expected: String,
        /// The head found when appending.
        found: String,
    },
    /// A log failed verification.
    #[error("verification failed: {0}")]
    Verify(#[from] VerifyError),
}

/// Why a draw log failed verification. Each variant says exactly which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// Results not published within the deadline (SPEC.md §11.3): `dualdraw status` fails.
    #[error("{report}\n{visits} visit(s) overdue: results not published within 20 working days")]
    Overdue {
        /// The status table.
        report: String,
        /// How many visits are overdue.
        visits: u64,
    },
    /// The log has no lines.
    #[error("the log is empty")]
    Empty,
    /// A line is not a well-formed event.
    #[error("line {line}: not a valid event: {reason}")]
    Malformed {
        /// 1-based line number.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A line's `prev` does not hash the line before it.
    #[error(
        "line {line}: hash chain broken: `prev` is {found} but the leaf hash SHA-256(0x00 || line) of line {} is {expected} \
         (a line was edited, inserted, deleted, duplicated or moved here)",
        line - 1
    )]
    ChainBroken {
        /// 1-based line number of the line whose `prev` is wrong.
        line: u64,
        /// SHA-256 of the previous line.
        expected: String,
        /// The `prev` found.
        found: String,
    },
    /// The log (or a consistency proof) does not extend an earlier checkpoint (SPEC.md §6.4).
    #[error("not consistent with the earlier checkpoint (tree size {old_size}): {reason}")]
    Inconsistent {
        /// The earlier checkpoint's tree size.
        old_size: u64,
        /// What is wrong.
        reason: String,
    },
    /// The head of the log differs from the one published.
    #[error(
        "head mismatch: the log's {lines} lines have the head {found} but the published head is {expected} \
         (the log was truncated, extended or edited)"
    )]
    HeadMismatch {
        /// The published head.
        expected: String,
        /// The head computed from the log.
        found: String,
        /// Number of lines in the log.
        lines: u64,
    },
    /// An input's digest differs from the one recorded.
    #[error("{what}: the log records {logged} but the file now gives {actual}")]
    DigestMismatch {
        /// Which input.
        what: String,
        /// Digest in the log.
        logged: String,
        /// Digest of the input at hand.
        actual: String,
    },
    /// Re-running the draw gives a different line.
    #[error("line {line}: re-running the draw gives\n  {expected}\nbut the log has\n  {found}")]
    Mismatch {
        /// 1-based line number.
        line: u64,
        /// The line the re-run produces (without `prev`).
        expected: String,
        /// The line in the log (without `prev`).
        found: String,
    },
    /// The log has fewer or more lines than the re-run.
    #[error("the log has {found} lines but re-running the draw gives {expected}")]
    LineCount {
        /// Lines the re-run produces.
        expected: u64,
        /// Lines in the log.
        found: u64,
    },
    /// The revealed secret does not open the commitment.
    #[error(
        "the revealed secret does not match the commitment: SHA-256 of the secret gives {opened} \
         but the commit line holds {committed}"
    )]
    Commitment {
        /// The commitment in the header.
        committed: String,
        /// What the revealed secret hashes to.
        opened: String,
    },
    /// The log's `history` and `rotation` events are not what the earlier logs give.
    #[error("history mismatch: {0}")]
    History(String),
    /// The log claims a spec version this implementation does not know.
    #[error("the log says spec {found:?}; this build verifies {supported:?}")]
    UnsupportedSpec {
        /// The version in the log.
        found: String,
        /// The version this build implements.
        supported: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Free text that reached a message unquoted is escaped all the same.
    #[test]
    fn no_raw_control_character_leaves_an_error() {
        let e: Error = ErrorKind::InvalidField {
            pos: Position::file("seed"),
            found: "\u{1b}]0;owned\u{7}\u{202e}txt".into(),
            expected: "a line\nand another".into(),
        }
        .into();
        let shown = e.to_string();
        assert!(
            !shown.chars().any(|c| must_escape(c) && c != '\n'),
            "{shown}"
        );
        assert!(
            shown.contains("\\u{1b}]0;owned\\u{7}\\u{202e}txt"),
            "{shown}"
        );
        assert!(shown.contains("a line\nand another"), "{shown}");
    }
}
