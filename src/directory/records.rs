//! Directories built from typed records a service already holds (rows of its own database),
//! validated by the same rules as a CSV file, so that the same enterprises give the same
//! digest whichever way they came in.

use std::path::Path;

use super::fields::{self, parse_list_borrowed};
use super::{Enterprise, Officer, Officers, Targets, Warning, uscc};
use crate::error::{ErrorKind, Position, Result};

/// Where record `i` (0-based) of `source` is, for errors: its 1-based number stands as the line.
fn at(source: &str, i: usize, field: &str) -> Position {
    Position::at(source, i as u64 + 1, field)
}

fn invalid(source: &str, i: usize, field: &str, found: &str, expected: &str) -> crate::Error {
    ErrorKind::InvalidField {
        pos: at(source, i, field),
        found: found.to_string(),
        expected: expected.to_string(),
    }
    .into()
}

/// Text a CSV cell could have held: non-empty, trimmed, without control characters.
fn text(source: &str, i: usize, field: &str, s: &str) -> Result<()> {
    if s.is_empty() {
        Err(invalid(source, i, field, s, "a non-empty value"))
    } else if fields::has_control(s) {
        Err(invalid(
            source,
            i,
            field,
            s,
            "text without control characters",
        ))
    } else if s.trim() != s {
        Err(invalid(
            source,
            i,
            field,
            s,
            "text without leading or trailing white space (a directory file's cells are trimmed)",
        ))
    } else {
        Ok(())
    }
}

/// A list as a CSV cell would give it: every item one trimmed item without separators or
/// control characters; sorted and deduplicated here (SPEC.md §3).
fn list(
    source: &str,
    i: usize,
    field: &str,
    items: &mut Vec<String>,
    required: bool,
) -> Result<()> {
    for item in items.iter() {
        if fields::has_control(item) || parse_list_borrowed(item).as_slice() != [item.as_str()] {
            return Err(invalid(
                source,
                i,
                field,
                item,
                "one trimmed item without `;`, `,`, `；`, `、` or control characters",
            ));
        }
    }
    if required && items.is_empty() {
        return Err(invalid(source, i, field, "", "one or more domains"));
    }
    items.sort_unstable();
    items.dedup();
    Ok(())
}

/// A unified social credit code: a form error is an error; a wrong check character is kept
/// with a warning, as early pilot codes are real (SPEC.md §3.1).
fn code(source: &str, i: usize, field: &str, s: &str) -> Result<Option<Warning>> {
    match uscc::check(s) {
        Err(e) => Err(invalid(
            source,
            i,
            field,
            s,
            &format!("an 18-character unified social credit code ({e})"),
        )),
        Ok(true) => Ok(None),
        Ok(false) => Ok(Some(uscc::pilot_warning(
            s,
            Path::new(source),
            i as u64 + 1,
        ))),
    }
}

/// Sorts by id and refuses a repeated id, naming both records.
fn sort_unique<T>(source: &str, records: Vec<T>, id: impl Fn(&T) -> &str) -> Result<Vec<T>> {
    let mut numbered: Vec<(T, u64)> = records
        .into_iter()
        .enumerate()
        .map(|(i, r)| (r, i as u64 + 1))
        .collect();
    numbered.sort_by(|a, b| id(&a.0).cmp(id(&b.0)).then(a.1.cmp(&b.1)));
    if let Some(w) = numbered.windows(2).find(|w| id(&w[0].0) == id(&w[1].0)) {
        return Err(ErrorKind::DuplicateId {
            file: Path::new(source).to_path_buf(),
            id: id(&w[0].0).to_string(),
            first_line: w[0].1,
            line: w[1].1,
        }
        .into());
    }
    Ok(numbered.into_iter().map(|(r, _)| r).collect())
}

impl Targets {
    /// A target directory from records held in memory (e.g. rows of a service's database),
    /// validated as a CSV file's rows are and sorted by id. `source` names the records in
    /// errors, where a record's 1-based position stands as its line. Lists are sorted and
    /// deduplicated; nothing else is changed, so a value a CSV cell could not hold (an empty
    /// name, a padded region, a domain containing `;`) is refused rather than altered.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidField`] naming the record and field, or [`ErrorKind::DuplicateId`]
    /// naming both records.
    ///
    /// ```
    /// use dualdraw::{Enterprise, Targets};
    /// use dualdraw::directory::EnterpriseStatus;
    /// let row = |id: &str, name: &str| Enterprise {
    ///     id: id.into(), name: name.into(), region: "120116".into(),
    ///     domains: vec!["无线电".into()], credit_class: None,
    ///     status: EnterpriseStatus::Active, last_inspected: None,
    /// };
    /// let t = Targets::from_records(
    ///     vec![row("91120116MA05JKLM8J", "乙公司"), row("9144030071526726XG", "甲公司")],
    ///     "database",
    /// )?;
    /// assert_eq!(t.get("9144030071526726XG").map(|e| e.name.as_str()), Some("甲公司"));
    /// // Ids are kept sorted whatever order the rows came in.
    /// assert_eq!(t.records()[0].id, "91120116MA05JKLM8J");
    /// let err = Targets::from_records(vec![row("123", "丙公司")], "database").unwrap_err();
    /// assert!(err.to_string().starts_with("database, line 1, field `id`"), "{err}");
    /// # Ok::<(), dualdraw::Error>(())
    /// ```
    pub fn from_records(
        records: impl IntoIterator<Item = Enterprise>,
        source: &str,
    ) -> Result<Targets> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for (i, mut e) in records.into_iter().enumerate() {
            warnings.extend(code(source, i, "id", &e.id)?);
            text(source, i, "name", &e.name)?;
            fields::check_region(&e.region)
                .map_err(|x| invalid(source, i, "region", &e.region, x))?;
            list(source, i, "domains", &mut e.domains, true)?;
            out.push(e);
        }
        warnings.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Targets {
            records: sort_unique(source, out, |e| &e.id)?,
            warnings,
        })
    }
}

impl Officers {
    /// An officer directory from records held in memory, validated as a CSV file's rows are
    /// and sorted by id; see [`Targets::from_records`].
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidField`] naming the record and field, or [`ErrorKind::DuplicateId`].
    pub fn from_records(
        records: impl IntoIterator<Item = Officer>,
        source: &str,
    ) -> Result<Officers> {
        let mut out = Vec::new();
        for (i, mut o) in records.into_iter().enumerate() {
            text(source, i, "id", &o.id)?;
            if o.id.contains([';', ',']) {
                return Err(invalid(
                    source,
                    i,
                    "id",
                    &o.id,
                    "a staff number without ';' or ','",
                ));
            }
            for (field, value) in [
                ("name", &o.name),
                ("department", &o.department),
                ("region", &o.region),
                ("cert_no", &o.cert_no),
            ] {
                text(source, i, field, value)?;
            }
            list(source, i, "domains", &mut o.domains, true)?;
            list(source, i, "conflicts", &mut o.conflicts, false)?;
            for c in &o.conflicts {
                code(source, i, "conflicts", c)?;
            }
            out.push(o);
        }
        Ok(Officers {
            records: sort_unique(source, out, |o| &o.id)?,
        })
    }
}
