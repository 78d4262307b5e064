//! Every bad cell of a directory in one pass (SPEC.md §3): errors are collected while the
//! rows are read and given back grouped by field, with a count and the first lines.

use std::path::{Path, PathBuf};

use crate::error::{ErrorKind, quoted_debug};

/// Lines shown per group.
const EXAMPLES: usize = 3;
/// Groups kept (fields × kinds of error): beyond them errors are only counted.
const MAX_GROUPS: usize = 64;

struct Group {
    key: String,
    expected: String,
    count: u64,
    examples: Vec<String>,
}

/// The errors of one row's cells, collected so that every bad cell is reported, not only the
/// first (issue 14).
#[derive(Default)]
pub(crate) struct RowErrors(Vec<crate::Error>);

impl RowErrors {
    /// The value, or `None` with the error kept.
    pub(crate) fn take<T>(&mut self, r: crate::error::Result<T>) -> Option<T> {
        r.map_err(|e| self.0.push(e)).ok()
    }

    /// `Ok` when every cell was good; the one error; or all of them.
    pub(crate) fn finish(mut self) -> crate::error::Result<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ErrorKind::RowCells(self.0).into()),
        }
    }
}

/// The errors found so far in one directory file.
pub(crate) struct BadCells {
    file: PathBuf,
    first: Option<crate::Error>,
    total: u64,
    groups: Vec<Group>,
}

impl BadCells {
    pub(crate) fn new(file: &Path) -> Self {
        BadCells {
            file: file.to_path_buf(),
            first: None,
            total: 0,
            groups: Vec::new(),
        }
    }

    /// Adds an error of one row (every cell of it when several are bad).
    pub(crate) fn push(&mut self, e: crate::Error) {
        if let ErrorKind::RowCells(_) = e.kind() {
            if let ErrorKind::RowCells(each) = e.into_kind() {
                each.into_iter().for_each(|e| self.push(e));
            }
            return;
        }
        self.total += 1;
        let (key, example, expected) = match e.kind() {
            ErrorKind::InvalidField {
                pos,
                found,
                expected,
            } => {
                let field = match pos.field.as_ref().map(|f| (&f.name, f.english)) {
                    Some((Some(n), Some(en))) => format!("`{n}` ({en})"),
                    Some((Some(n), None)) => format!("`{n}`"),
                    Some((None, Some(en))) => format!("`{en}`"),
                    _ => "a field".to_string(),
                };
                // Grouped by field; the group says what the first of them expected, up to
                // its details.
                let kind = expected.split([';', '(']).next().unwrap_or(expected).trim();
                (
                    format!("in {field}"),
                    format!("line {} {}", pos.line.unwrap_or(0), quoted_debug(found)),
                    format!(", expected {kind}"),
                )
            }
            ErrorKind::Csv { pos, .. } => (
                "are malformed rows".to_string(),
                format!("line {}", pos.line.unwrap_or(0)),
                " (a number of fields other than the header's, or invalid text)".to_string(),
            ),
            _ => ("other".to_string(), e.to_string(), String::new()),
        };
        if self.first.is_none() {
            self.first = Some(e);
        }
        let n = self.groups.len();
        match self.groups.iter_mut().find(|g| g.key == key) {
            Some(g) => {
                g.count += 1;
                if g.examples.len() < EXAMPLES {
                    g.examples.push(example);
                }
            }
            None if n < MAX_GROUPS => self.groups.push(Group {
                key,
                expected,
                count: 1,
                examples: vec![example],
            }),
            None => {}
        }
    }

    /// True when nothing was found.
    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// `Ok` when nothing was found; the one error as it is; or every error, grouped.
    pub(crate) fn finish(self) -> crate::error::Result<()> {
        let Some(first) = self.first else {
            return Ok(());
        };
        if self.total == 1 {
            return Err(first);
        }
        let mut summary = String::new();
        for g in &self.groups {
            let what = match (g.key.as_str(), g.count) {
                ("other", _) => "other errors:".to_string(),
                (k, 1) if k.starts_with("in ") => format!("invalid cell {k}{}:", g.expected),
                (k, _) if k.starts_with("in ") => format!("invalid cells {k}{}:", g.expected),
                (k, _) => format!("{k}{}:", g.expected),
            };
            summary.push_str(&format!("\n  {} {what} {}", g.count, g.examples.join(", ")));
            if g.count > g.examples.len() as u64 {
                summary.push_str(&format!(" and {} more", g.count - g.examples.len() as u64));
            }
        }
        Err(ErrorKind::BadCells {
            file: self.file,
            total: self.total,
            summary,
        }
        .into())
    }
}
