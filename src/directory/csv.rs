//! Reading the directories from CSV: records from `rows` (csv_core), then a column mapping of
//! our own (headers come in two languages) and per-field validation with positions.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use csv::StringRecord;

use super::fields::{self, parse_list_checked};
use super::rows::{self, Cells, Record, SeqReader, Text};
use super::{Enterprise, Officer, Officers, Targets, Warning, uscc};
use crate::error::{ErrorKind, Position, Result};

/// A column: its English name, the Chinese names users export, and whether it must be present.
struct Col {
    en: &'static str,
    zh: &'static [&'static str],
    required: bool,
}

const fn col(en: &'static str, zh: &'static [&'static str], required: bool) -> Col {
    Col { en, zh, required }
}

const TARGET_COLS: [Col; 7] = [
    col("id", &["统一社会信用代码"], true),
    col("name", &["企业名称"], true),
    col("region", &["行政区划代码", "所属区域"], true),
    col("domains", &["监管领域", "行业"], true),
    col("credit_class", &["信用等级", "信用风险分类"], false),
    col("status", &["登记状态"], true),
    col("last_inspected", &["上次检查日期"], false),
];

const OFFICER_COLS: [Col; 10] = [
    col("id", &["人员编号", "工号"], true),
    col("name", &["姓名"], true),
    col("department", &["所属部门"], true),
    col("region", &["片区"], true),
    col("cert_no", &["执法证号"], true),
    col("cert_expires", &["执法证有效期至"], true),
    col("domains", &["执法领域"], true),
    col("expert", &["是否专家"], false),
    col("status", &["人员状态"], true),
    col("conflicts", &["回避企业"], false),
];

/// A header cell as it names a column (SPEC.md §3): trimmed, every leading U+FEFF removed,
/// trimmed again.
fn header_name(cell: &str) -> &str {
    cell.trim().trim_start_matches('\u{feff}').trim()
}

/// Header cell `i` as written (without a BOM or surrounding spaces).
fn header_cell(header: &StringRecord, i: usize) -> &str {
    header_name(header.get(i).unwrap_or(""))
}

/// Maps each known column to its index in the header row; unknown columns are ignored.
fn map_header<const N: usize>(
    file: &Path,
    header: &StringRecord,
    cols: &[Col; N],
) -> Result<[Option<usize>; N]> {
    let mut idx = [None; N];
    for (i, cell) in header.iter().enumerate() {
        let cell = header_name(cell);
        let Some(c) = cols
            .iter()
            .position(|c| c.en.eq_ignore_ascii_case(cell) || c.zh.contains(&cell))
        else {
            continue;
        };
        if let Some(first) = idx[c] {
            return Err(ErrorKind::DuplicateColumn {
                file: file.to_path_buf(),
                column: cols[c].en,
                first: first + 1,
                first_header: header_cell(header, first).to_string(),
                second: i + 1,
                second_header: cell.to_string(),
            }
            .into());
        }
        idx[c] = Some(i);
    }
    for (c, i) in cols.iter().zip(&idx) {
        if c.required && i.is_none() {
            // The header as its parsed cells, escaped; none of it when no cell names a known
            // column: the file is then not a directory export, and its first line (a
            // password hash, an environment) is not shown.
            let found = if idx.iter().all(Option::is_none) {
                format!(
                    "none known ({} cells; is this a directory export?)",
                    header.len()
                )
            } else {
                header
                    .iter()
                    .map(|h| crate::error::quoted(h.trim_start_matches('\u{feff}')))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            return Err(ErrorKind::MissingColumn {
                file: file.to_path_buf(),
                column: c.en,
                zh: c.zh[0],
                found,
            }
            .into());
        }
    }
    Ok(idx)
}

/// Which directory a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The target directory (检查对象名录库).
    Targets,
    /// The officer directory (执法检查人员名录库).
    Officers,
}

impl Which {
    fn cols(self) -> &'static [Col] {
        match self {
            Which::Targets => &TARGET_COLS,
            Which::Officers => &OFFICER_COLS,
        }
    }
}

/// What a directory's header supplies, beyond its required fields (SPEC.md §3.4).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Audit {
    /// The optional fields present, by English name, in the order of the field list.
    pub supplied: Vec<&'static str>,
    /// The optional fields absent: a verifier and a notice say none were supplied.
    pub absent: Vec<&'static str>,
    /// Header cells that name no field and were declared as extra columns (or resemble
    /// nothing): shown by `check`.
    pub ignored: Vec<String>,
    /// The form the file came in.
    pub form: Option<super::input::Form>,
}

/// Known misspellings and longer forms of column names, and the column each means.
const VARIANTS: [(&str, &str); 8] = [
    ("回避企业名单", "conflicts"),
    ("回避单位", "conflicts"),
    ("是否为专家", "expert"),
    ("专家", "expert"),
    ("上次检查时间", "last_inspected"),
    ("最近检查日期", "last_inspected"),
    ("信用风险等级", "credit_class"),
    ("人员状况", "status"),
];

/// Levenshtein distance in characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The column a header cell that names none resembles, if any: a known variant, a name
/// within edit distance 1 (2 for names of 6 or more characters), or a cell holding a name.
fn resembles(cols: &'static [Col], cell: &str) -> Option<&'static Col> {
    let clean: String = cell.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim();
    if let Some((_, en)) = VARIANTS.iter().find(|(v, _)| *v == clean) {
        return cols.iter().find(|c| c.en == *en);
    }
    cols.iter().find(|c| {
        let names = c.zh.iter().copied().chain([c.en]);
        names.into_iter().any(|n| {
            let len = n.chars().count();
            let limit = if len >= 6 { 2 } else { 1 };
            (len >= 2
                && !clean.is_empty()
                && (clean.contains(n) || (n.contains(clean) && clean.chars().count() >= 2)))
                || (len >= 3 && distance(&clean.to_lowercase(), &n.to_lowercase()) <= limit)
        })
    })
}

/// Accounts for every header cell (SPEC.md §3.4): mapped to a field, declared as extra in
/// the plan, or refused when it resembles a field (a misspelt optional column would
/// otherwise be lost silently). `second`: the next row, to recognise a title row above the
/// header.
///
/// # Errors
///
/// [`ErrorKind::UnknownColumn`] for a cell that resembles a field; [`ErrorKind::Input`] for a
/// header cell with a control character, a title row above the header, or a field the plan
/// requires that is absent; those of the column mapping (a missing or repeated column).
pub fn audit_header(
    file: &Path,
    header: &StringRecord,
    second: Option<&StringRecord>,
    which: Which,
    rule: &super::InputRule,
) -> Result<Audit> {
    let cols = which.cols();
    let known = |cell: &str| {
        let cell = header_name(cell);
        cols.iter()
            .any(|c| c.en.eq_ignore_ascii_case(cell) || c.zh.contains(&cell))
    };
    let known_count = header.iter().filter(|c| known(c)).count();
    if known_count == 0
        && let Some(next) = second
        && next.iter().filter(|c| known(c)).count() >= 2
    {
        let title: Vec<&str> = header
            .iter()
            .map(header_name)
            .filter(|c| !c.is_empty())
            .collect();
        return Err(ErrorKind::Input {
            file: file.to_path_buf(),
            message: format!(
                "line 1 (`{}`) is a title row above the header on line 2: delete line 1, so that the file starts with its header row",
                crate::error::quoted(&title.join(","))
            ),
        }
        .into());
    }
    let mut audit = Audit::default();
    for (i, cell) in header.iter().enumerate() {
        if known(cell) {
            continue;
        }
        let name = header_name(cell);
        if rule.extra_columns.iter().any(|x| x.trim() == name) {
            audit.ignored.push(name.to_string());
            continue;
        }
        if let Some(ch) = name.chars().find(|c| c.is_control()) {
            return Err(ErrorKind::Input {
                file: file.to_path_buf(),
                message: format!(
                    "line 1, column {}: header `{}` holds the control character U+{:04X}; remove it (the column would not be recognised)",
                    i + 1,
                    crate::error::quoted(name),
                    u32::from(ch)
                ),
            }
            .into());
        }
        if let Some(c) = resembles(cols, name) {
            return Err(ErrorKind::UnknownColumn {
                file: file.to_path_buf(),
                column: i + 1,
                header: name.to_string(),
                known: c.zh[0],
                english: c.en,
            }
            .into());
        }
        audit.ignored.push(name.to_string());
    }
    for c in cols.iter().filter(|c| !c.required) {
        let present = header.iter().any(|h| {
            let h = header_name(h);
            c.en.eq_ignore_ascii_case(h) || c.zh.contains(&h)
        });
        if present {
            audit.supplied.push(c.en);
        } else if rule.require.contains(&c.en) {
            return Err(ErrorKind::Input {
                file: file.to_path_buf(),
                message: format!(
                    "line 1: the header has no column `{}` ({}), which the plan requires (`[input] require`); found columns: {}",
                    c.zh[0],
                    c.en,
                    header.iter().map(header_name).collect::<Vec<_>>().join(",")
                ),
            }
            .into());
        } else {
            audit.absent.push(c.en);
        }
    }
    Ok(audit)
}

/// Opens a directory for reading (SPEC.md §3.4): [`normalize`](super::normalize)s its form,
/// accounts for every header cell ([`audit_header`]) and refuses a file with a header but no
/// records. Returns the UTF-8 comma-separated stream the readers take, from its first byte.
///
/// # Errors
///
/// Those of [`normalize`](super::normalize) and [`audit_header`]; [`ErrorKind::Input`] for a
/// header without records.
pub fn prepare<'r>(
    reader: impl Read + Send + 'r,
    file: &Path,
    which: Which,
    rule: &super::InputRule,
) -> Result<(Box<dyn Read + Send + 'r>, Audit)> {
    let (mut r, form) = super::normalize(reader, file, rule)?;
    let mut prefix = Vec::new();
    let more = rows::fill(&mut r, &mut prefix, 256 * 1024).map_err(|e| rows::io_error(file, e))?;
    // The header and the next row, from the prefix; a parse error here is left for the
    // readers, which report it with its line.
    if let Ok((mut seq, header)) = SeqReader::new(prefix.as_slice(), file) {
        let mut second = None;
        let mut any_record = false;
        while let Ok(Some(rec)) = seq.next_record() {
            let cells: Vec<&[u8]> = (0..rec.len()).map(|i| rec.field(i)).collect();
            if cells.iter().any(|c| !c.iter().all(u8::is_ascii_whitespace)) {
                any_record = true;
                second = Some(StringRecord::from_byte_record_lossy(csv::ByteRecord::from(
                    cells,
                )));
                break;
            }
        }
        let mut audit = audit_header(file, &header, second.as_ref(), which, rule)?;
        audit.form = Some(form);
        if !more && !any_record && second.is_none() && !header.is_empty() {
            return Err(ErrorKind::Input {
                file: file.to_path_buf(),
                message: "the file has a header row (line 1) but no records: the export is empty; export the directory again with its rows"
                    .to_string(),
            }
            .into());
        }
        return Ok((Box::new(std::io::Cursor::new(prefix).chain(r)), audit));
    }
    Ok((
        Box::new(std::io::Cursor::new(prefix).chain(r)),
        Audit {
            form: Some(form),
            ..Audit::default()
        },
    ))
}

/// The index of the id column of a target directory's header (for sorting raw rows).
///
/// # Errors
///
/// [`ErrorKind::MissingColumn`](crate::ErrorKind::MissingColumn) when the header has no id column
/// (or lacks another required target column);
/// [`ErrorKind::DuplicateColumn`](crate::ErrorKind::DuplicateColumn) when two header cells name the
/// same column.
pub fn target_id_column(file: &Path, header: &csv::ByteRecord) -> Result<usize> {
    let text = StringRecord::from_byte_record_lossy(header.clone());
    let idx = map_header(file, &text, &TARGET_COLS)?;
    Ok(idx[0].unwrap_or(0))
}

/// `str::trim`, skipping the character decoding when an end is ASCII and not white space
/// (every White_Space character but the ASCII ones is multi-byte in UTF-8).
fn trim(s: &str) -> &str {
    // U+0009–U+000D and U+0020 are the ASCII White_Space characters (`char::is_whitespace`).
    let keep =
        |b: Option<&u8>| b.is_some_and(|&b| b.is_ascii() && b != b' ' && !(9..=13).contains(&b));
    let s = if keep(s.as_bytes().first()) {
        s
    } else {
        s.trim_start()
    };
    if keep(s.as_bytes().last()) {
        s
    } else {
        s.trim_end()
    }
}

/// One data row with what is needed to report an error in it.
pub(crate) struct Row<'r, 'a> {
    pub(crate) file: &'a Path,
    pub(crate) line: u64,
    pub(crate) header: &'a StringRecord,
    pub(crate) rec: &'r Text<'a>,
}

impl<'a> Row<'_, 'a> {
    /// The trimmed cell (SPEC.md §3: every field is trimmed of White_Space). Trimming here
    /// rather than with the reader's `Trim::All` avoids copying every record.
    fn cell(&self, idx: Option<usize>) -> &'a str {
        trim(idx.and_then(|i| self.rec.cell(i)).unwrap_or(""))
    }

    /// An error in the cell of column `idx`, whose English name is `field`. The field is named
    /// by its header as written, followed by the English name when that differs.
    fn invalid(
        &self,
        field: &'static str,
        idx: Option<usize>,
        found: &str,
        expected: impl Into<String>,
    ) -> crate::Error {
        let pos = match idx {
            Some(i) => {
                Position::at(self.file, self.line, header_cell(self.header, i)).with_english(field)
            }
            None => Position::at(self.file, self.line, field),
        };
        ErrorKind::InvalidField {
            pos,
            found: found.to_string(),
            expected: expected.into(),
        }
        .into()
    }

    /// A cell parsed by `parse`, with the error naming this row and field.
    fn parse<T>(
        &self,
        field: &'static str,
        idx: Option<usize>,
        parse: impl FnOnce(&'a str) -> std::result::Result<T, &'static str>,
    ) -> Result<T> {
        let s = self.cell(idx);
        parse(s).map_err(|e| self.invalid(field, idx, s, e))
    }

    /// A date cell; a number that is an Excel date serial is named as one (CSV cannot tell a
    /// serial from a number, so it is never read as a date).
    fn date(&self, field: &'static str, idx: Option<usize>) -> Result<NaiveDate> {
        let s = self.cell(idx);
        fields::parse_date(s).map_err(|e| match fields::excel_serial(s) {
            Some(d) => self.invalid(
                field,
                idx,
                s,
                format!(
                    "a date; {s} looks like an Excel date serial ({}): format the column as \
                     text (or as a date such as 2020-09-30) before exporting",
                    d.format("%Y-%m-%d")
                ),
            ),
            None => self.invalid(field, idx, s, e),
        })
    }

    /// An officer's area (片区): text, but not a number as Excel exports it (`120105.0`),
    /// which would never equal the enterprise's code under `area = "different"`.
    fn area(&self, field: &'static str, idx: Option<usize>) -> Result<String> {
        let s = self.text_borrowed(field, idx)?;
        if let Some((int, frac)) = s.split_once('.')
            && !int.is_empty()
            && int.bytes().all(|b| b.is_ascii_digit())
            && !frac.is_empty()
            && frac.bytes().all(|b| b == b'0')
        {
            return Err(self.invalid(
                field,
                idx,
                s,
                format!(
                    "an area code as text: {s} is a number as Excel writes it; write {int} \
                     (format the column as text before exporting)"
                ),
            ));
        }
        Ok(s.to_string())
    }

    /// A list cell (SPEC.md §3): split, trimmed, sorted; an item with a control character is an
    /// error. `required`: at least one item.
    fn list(&self, field: &'static str, idx: Option<usize>, required: bool) -> Result<Vec<String>> {
        let s = self.cell(idx);
        let v = parse_list_checked(s).map_err(|e| self.invalid(field, idx, s, e))?;
        if required && v.is_empty() {
            return Err(self.invalid(field, idx, s, "one or more domains separated by ';'"));
        }
        Ok(v)
    }

    /// [`Row::list`] as slices of the cell.
    fn list_borrowed(
        &self,
        field: &'static str,
        idx: Option<usize>,
        required: bool,
    ) -> Result<fields::Items<'a>> {
        let s = self.cell(idx);
        let v = fields::parse_list_borrowed(s);
        if v.iter().any(|x| fields::has_control(x)) {
            return Err(self.invalid(field, idx, s, fields::LIST_CONTROL));
        }
        if required && v.is_empty() {
            return Err(self.invalid(field, idx, s, "one or more domains separated by ';'"));
        }
        Ok(v)
    }

    /// A required text cell: non-empty, no control characters.
    fn text(&self, field: &'static str, idx: Option<usize>) -> Result<String> {
        self.text_borrowed(field, idx).map(String::from)
    }

    /// [`Row::text`] as a slice of the cell.
    fn text_borrowed(&self, field: &'static str, idx: Option<usize>) -> Result<&'a str> {
        let s = self.cell(idx);
        if s.is_empty() {
            Err(self.invalid(field, idx, s, "a non-empty value"))
        } else if s.contains('\n') {
            let end = self.line + s.bytes().filter(|&b| b == b'\n').count() as u64;
            Err(self.invalid(
                field,
                idx,
                s,
                format!(
                    "text on one line: a quote opened on line {} is closed only on line {end}; \
                     close it on line {}, or double it (\"\") where it is part of the text",
                    self.line, self.line
                ),
            ))
        } else if fields::has_control(s) {
            Err(self.invalid(field, idx, s, "text without control characters"))
        } else {
            Ok(s)
        }
    }

    /// A credit code: a form error is an error, a wrong check character a warning.
    fn code(
        &self,
        field: &'static str,
        idx: Option<usize>,
        s: &str,
        warnings: Option<&mut Vec<Warning>>,
    ) -> Result<()> {
        match uscc::check(s) {
            Err(e) => Err(self.invalid(
                field,
                idx,
                s,
                format!("an 18-character unified social credit code ({e})"),
            )),
            Ok(true) => Ok(()),
            Ok(false) => {
                if let Some(w) = warnings {
                    w.push(uscc::pilot_warning(s, self.file, self.line));
                }
                Ok(())
            }
        }
    }
}

/// Reads all rows, calling `f` on each with its line number; returns records sorted by id.
fn read_rows<T, const N: usize>(
    reader: impl Read,
    file: &Path,
    cols: &[Col; N],
    mut f: impl FnMut(&Row<'_, '_>, &[Option<usize>; N]) -> Result<T>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>> {
    let (mut rows, header) = SeqReader::new(reader, file)?;
    let idx = map_header(file, &header, cols)?;
    let mut out: Vec<(T, u64)> = Vec::new();
    let mut bad = super::report::BadCells::new(file);
    loop {
        let rec = match rows.next_record() {
            Ok(Some(rec)) => rec,
            Ok(None) => break,
            // The parse cannot go on (a quote never closed, a record too long).
            Err(e) if bad.is_empty() => return Err(e),
            Err(e) => {
                bad.push(e);
                break;
            }
        };
        let line = rec.mark.line;
        if rec.is_blank() {
            continue;
        }
        if rec.len() != header.len() {
            bad.push(rows::record_length_error(file, &rec, header.len()));
            continue;
        }
        let text = match rec.text() {
            Ok(t) => t,
            Err((field, at)) => {
                bad.push(rows::utf8_error(file, line, field, at));
                continue;
            }
        };
        let row = Row {
            file,
            line,
            header: &header,
            rec: &text,
        };
        match f(&row, &idx) {
            Ok(t) => out.push((t, line)),
            Err(e) => bad.push(e),
        }
    }
    bad.finish()?;
    sort_unique(out, file, id)
}

/// Sorts records by id and rejects a duplicate id, naming both lines.
fn sort_unique<T>(mut out: Vec<(T, u64)>, file: &Path, id: impl Fn(&T) -> &str) -> Result<Vec<T>> {
    out.sort_by(|a, b| id(&a.0).cmp(id(&b.0)).then(a.1.cmp(&b.1)));
    if let Some(w) = out.windows(2).find(|w| id(&w[0].0) == id(&w[1].0)) {
        return Err(ErrorKind::DuplicateId {
            file: file.to_path_buf(),
            id: id(&w[0].0).to_string(),
            first_line: w[0].1,
            line: w[1].1,
        }
        .into());
    }
    Ok(out.into_iter().map(|(t, _)| t).collect())
}

/// Code of the warning for a last inspection after the plan's inspection date.
pub const FUTURE_INSPECTION: &str = "future-inspection";

/// The `future-inspection` warning of SPEC.md §6.2 for `e`, if its last inspection is after the
/// inspection date. The record is kept as it is; a task that sets
/// `exclude_inspected_within_days` excludes it (the difference is negative, SPEC.md §4.3).
fn future_warning(e: &Enterprise, date: NaiveDate, file: &Path, line: u64) -> Option<Warning> {
    future_warning_of(&e.id, e.last_inspected, date, file, line)
}

fn future_warning_of(
    id: &str,
    last_inspected: Option<NaiveDate>,
    date: NaiveDate,
    file: &Path,
    line: u64,
) -> Option<Warning> {
    let last = last_inspected.filter(|l| *l > date)?;
    Some(Warning {
        code: FUTURE_INSPECTION,
        source: "targets",
        id: id.to_string(),
        message: format!(
            "last inspected {}, after the inspection date {}; a task with \
             exclude_inspected_within_days excludes it",
            last.format("%Y-%m-%d"),
            date.format("%Y-%m-%d")
        ),
        file: file.to_path_buf(),
        line,
    })
}

/// A validated target row whose text fields still borrow the reader's buffer: what the
/// streaming draw needs of most rows, none of which it keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetView<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) region: &'a str,
    pub(crate) domains: fields::Items<'a>,
    pub(crate) credit_class: Option<crate::directory::CreditClass>,
    pub(crate) status: crate::directory::EnterpriseStatus,
    pub(crate) last_inspected: Option<NaiveDate>,
}

impl TargetView<'_> {
    /// The owned record.
    pub(crate) fn to_enterprise(&self) -> Enterprise {
        Enterprise {
            id: self.id.to_string(),
            name: self.name.to_string(),
            region: self.region.to_string(),
            domains: self.domains.iter().map(|d| d.to_string()).collect(),
            credit_class: self.credit_class,
            status: self.status,
            last_inspected: self.last_inspected,
        }
    }

    /// Appends the canonical record (SPEC.md §3.1), as [`Enterprise::canonical_bytes`].
    pub(crate) fn canonical_into(&self, out: &mut Vec<u8>) {
        crate::directory::canonical_enterprise(
            out,
            self.id,
            self.name,
            self.region,
            &self.domains,
            self.credit_class,
            self.status,
            self.last_inspected,
        );
    }
}

/// Validates one target row (columns already mapped). Its warnings are appended in code order
/// (`future-inspection` before `uscc-check`), so that a directory in id order gives warnings
/// in (id, code) order. `date`: the plan's inspection date, if known.
pub(crate) fn parse_target_view<'a>(
    row: &Row<'_, 'a>,
    c: &[Option<usize>; 7],
    warnings: &mut Vec<Warning>,
    date: Option<NaiveDate>,
) -> Result<TargetView<'a>> {
    // Every cell is checked, so that a row with several bad cells reports each (issue 14).
    let mut bad = super::report::RowErrors::default();
    let id = row.cell(c[0]);
    let mut uscc = Vec::new();
    bad.take(row.code("id", c[0], id, Some(&mut uscc)));
    let domains = bad.take(row.list_borrowed("domains", c[3], true));
    let name = bad.take(row.text_borrowed("name", c[1]));
    let region = bad.take(row.parse("region", c[2], |s| fields::check_region(s).map(|()| s)));
    let credit_class = bad.take(row.parse("credit_class", c[4], fields::parse_credit_class));
    let status = bad.take(row.parse("status", c[5], fields::parse_enterprise_status));
    let last = row.cell(c[6]);
    let last_inspected = if last.is_empty() {
        Some(None)
    } else {
        bad.take(row.date("last_inspected", c[6])).map(Some)
    };
    bad.finish()?;
    let (
        Some(domains),
        Some(name),
        Some(region),
        Some(credit_class),
        Some(status),
        Some(last_inspected),
    ) = (domains, name, region, credit_class, status, last_inspected)
    else {
        return Err(ErrorKind::RowCells(Vec::new()).into());
    };
    warnings
        .extend(date.and_then(|d| future_warning_of(id, last_inspected, d, row.file, row.line)));
    warnings.extend(uscc);
    Ok(TargetView {
        id,
        name,
        region,
        domains,
        credit_class,
        status,
        last_inspected,
    })
}

impl Targets {
    /// The warnings a draw on `inspection_date` logs for these records (SPEC.md §6.2): the
    /// records' `uscc-check` warnings and a `future-inspection` warning for every record
    /// last inspected after that date, ordered by id, then code. Warnings of a reader given
    /// the date are kept as they are (with their lines); missing ones are added (line 0).
    pub fn warnings_on(&self, inspection_date: NaiveDate) -> Vec<Warning> {
        let mut out: Vec<Warning> = self
            .warnings
            .iter()
            .filter(|w| w.code != FUTURE_INSPECTION)
            .cloned()
            .collect();
        for e in &self.records {
            if let Some(mut w) = future_warning(e, inspection_date, Path::new(""), 0) {
                if let Some(had) = self
                    .warnings
                    .iter()
                    .find(|x| x.code == w.code && x.id == w.id)
                {
                    w.file.clone_from(&had.file);
                    w.line = had.line;
                }
                out.push(w);
            }
        }
        out.sort_by(|a, b| (a.id.as_str(), a.code).cmp(&(b.id.as_str(), b.code)));
        out
    }
}

/// What validating target rows needs: the file, its header and column map, and the plan's
/// inspection date (for `future-inspection` warnings).
#[derive(Debug, Clone)]
pub(crate) struct TargetFormat {
    pub(crate) file: PathBuf,
    header: StringRecord,
    idx: [Option<usize>; 7],
    date: Option<NaiveDate>,
}

impl TargetFormat {
    /// Maps the header's columns.
    pub(crate) fn new(file: &Path, header: StringRecord, date: Option<NaiveDate>) -> Result<Self> {
        let idx = map_header(file, &header, &TARGET_COLS)?;
        Ok(TargetFormat {
            file: file.to_path_buf(),
            header,
            idx,
            date,
        })
    }

    /// Validates one record: its length, its UTF-8, then every field (SPEC.md §3.1).
    pub(crate) fn view<'a>(
        &'a self,
        rec: &Record<'a>,
        warnings: &mut Vec<Warning>,
    ) -> Result<TargetView<'a>> {
        self.view_in(rec, None, warnings)
    }

    /// [`TargetFormat::view`] given the buffer's whole text when it is known to be UTF-8
    /// (`Records::whole_text`).
    pub(crate) fn view_in<'a>(
        &'a self,
        rec: &Record<'a>,
        whole: Option<&'a str>,
        warnings: &mut Vec<Warning>,
    ) -> Result<TargetView<'a>> {
        let line = rec.mark.line;
        if rec.len() != self.header.len() {
            return Err(rows::record_length_error(
                &self.file,
                rec,
                self.header.len(),
            ));
        }
        let text = match whole.and_then(|w| rec.text_in(w)) {
            Some(t) => t,
            None => rec
                .text()
                .map_err(|(field, at)| rows::utf8_error(&self.file, line, field, at))?,
        };
        let row = Row {
            file: &self.file,
            line,
            header: &self.header,
            rec: &text,
        };
        parse_target_view(&row, &self.idx, warnings, self.date)
    }
}

/// Reads a target directory row by row, in file order, without holding it in memory.
///
/// [`read_targets`] collects and sorts; the streaming draw parses chunks of the same bytes on
/// several threads with the same parser (`csv_core`) and the same validation.
pub struct TargetRows<R: Read> {
    rows: SeqReader<R>,
    format: TargetFormat,
}

impl<R: Read> TargetRows<R> {
    /// Reads and maps the header row. `file` names the source in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) or [`ErrorKind::Csv`](crate::ErrorKind::Csv) when
    /// the header row cannot be read or is malformed;
    /// [`ErrorKind::MissingColumn`](crate::ErrorKind::MissingColumn) or
    /// [`ErrorKind::DuplicateColumn`](crate::ErrorKind::DuplicateColumn) when it lacks a required
    /// target column or names one twice.
    pub fn new(reader: R, file: &Path) -> Result<Self> {
        let (rows, header) = SeqReader::new(reader, file)?;
        Ok(TargetRows {
            rows,
            format: TargetFormat::new(file, header, None)?,
        })
    }

    /// Also warns (`future-inspection`, SPEC.md §6.2) about records last inspected after
    /// `inspection_date`, the plan's inspection date: what a draw needs.
    pub fn with_inspection_date(mut self, inspection_date: NaiveDate) -> Self {
        self.format.date = Some(inspection_date);
        self
    }

    /// Bytes of input consumed so far.
    pub fn bytes(&self) -> u64 {
        self.rows.bytes()
    }

    /// The next record and its 1-based line, or `None` at the end. A pilot code's warning (and,
    /// given the inspection date, a future last inspection's) is pushed onto `warnings`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`](crate::ErrorKind::Io) when reading fails;
    /// [`ErrorKind::Csv`](crate::ErrorKind::Csv) for a malformed row (wrong number of fields,
    /// invalid UTF-8); [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField) for a cell that
    /// does not have its column's form, naming the line and field.
    pub fn next_record(
        &mut self,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<(u64, Enterprise)>> {
        match self.next_checked(warnings)? {
            None => Ok(None),
            Some((line, r)) => Ok(Some((line, r?))),
        }
    }

    /// [`next_record`](Self::next_record) with the errors of one record (an invalid cell, a
    /// wrong number of fields) inside: the reading can go on past them. The outer error
    /// ends the reading.
    pub(crate) fn next_checked(
        &mut self,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<(u64, Result<Enterprise>)>> {
        let rec = loop {
            match self.rows.next_record()? {
                None => return Ok(None),
                Some(rec) if rec.is_blank() => {}
                Some(rec) => break rec,
            }
        };
        let r = self.format.view(&rec, warnings).map(|v| v.to_enterprise());
        Ok(Some((rec.mark.line, r)))
    }
}

/// Every invalid cell of a target directory, grouped (SPEC.md §3), without keeping its
/// records: what a streamed draw refused at its first invalid cell reports. `None` when the
/// directory reads without error.
pub fn all_target_errors(reader: impl Read, file: &Path) -> Option<crate::Error> {
    let mut rows = match TargetRows::new(reader, file) {
        Ok(r) => r,
        Err(e) => return Some(e),
    };
    let mut bad = super::report::BadCells::new(file);
    let mut scratch = Vec::new();
    loop {
        scratch.clear();
        match rows.next_checked(&mut scratch) {
            Ok(None) => break,
            Ok(Some((_, Ok(_)))) => {}
            Ok(Some((_, Err(e)))) => bad.push(e),
            Err(e) => {
                bad.push(e);
                break;
            }
        }
    }
    bad.finish().err()
}

/// Reads a target directory from CSV. `file` names the source in errors.
///
/// Headers may be English (`id,name,region,domains,credit_class,status,last_inspected`) or the
/// Chinese names of real exports (统一社会信用代码, 企业名称, ...); a UTF-8 BOM is ignored.
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when reading fails;
/// [`ErrorKind::Csv`](crate::ErrorKind::Csv) for malformed CSV;
/// [`ErrorKind::MissingColumn`](crate::ErrorKind::MissingColumn) or
/// [`ErrorKind::DuplicateColumn`](crate::ErrorKind::DuplicateColumn) for a bad header row;
/// [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField) for a cell that does not have its
/// column's form; [`ErrorKind::DuplicateId`](crate::ErrorKind::DuplicateId) when two rows have the
/// same id. Each names `file` and, where it applies, the line and field.
///
/// ```
/// let csv = "统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,登记状态,上次检查日期\n\
///            9144030071526726XG,示例公司,440300,无线电;电力,B,存续,2019/5/12\n";
/// let t = dualdraw::directory::read_targets(csv.as_bytes(), "demo.csv".as_ref()).unwrap();
/// assert_eq!(t.records()[0].domains, ["无线电", "电力"]);
/// assert!(t.warnings().is_empty());
/// ```
///
/// Without the plan, no `future-inspection` warning can be given: a draw reads its targets with
/// [`Targets::read_for`] (or completes the warnings with [`Targets::warnings_on`]).
pub fn read_targets(reader: impl Read, file: &Path) -> Result<Targets> {
    read(TargetRows::new(reader, file)?, file)
}

impl Targets {
    /// [`read_targets`] for a plan with this inspection date: also gives the
    /// `future-inspection` warnings (SPEC.md §6.2), in (id, code) order.
    ///
    /// # Errors
    ///
    /// Those of [`read_targets`].
    pub fn read_for(reader: impl Read, file: &Path, inspection_date: NaiveDate) -> Result<Targets> {
        read(
            TargetRows::new(reader, file)?.with_inspection_date(inspection_date),
            file,
        )
    }
}

fn read<R: Read>(mut rows: TargetRows<R>, file: &Path) -> Result<Targets> {
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    let mut bad = super::report::BadCells::new(file);
    loop {
        match rows.next_checked(&mut warnings) {
            Ok(None) => break,
            Ok(Some((line, Ok(e)))) => out.push((e, line)),
            Ok(Some((_, Err(e)))) => bad.push(e),
            Err(e) if bad.is_empty() => return Err(e),
            Err(e) => {
                bad.push(e);
                break;
            }
        }
    }
    bad.finish()?;
    let records = sort_unique(out, file, |e: &Enterprise| &e.id)?;
    // Stable: the warnings of one row are already in code order.
    warnings.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Targets { records, warnings })
}

/// Reads an inspector directory from CSV. `file` names the source in errors.
///
/// Headers may be English (`id,name,department,region,cert_no,cert_expires,domains,expert,
/// status,conflicts`) or Chinese (人员编号, 姓名, 所属部门, 片区, 执法证号, 执法证有效期至, 执法领域,
/// 是否专家, 人员状态, 回避企业).
///
/// # Errors
///
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when reading fails;
/// [`ErrorKind::Csv`](crate::ErrorKind::Csv) for malformed CSV (a row whose number of fields
/// differs from the header's, invalid UTF-8);
/// [`ErrorKind::MissingColumn`](crate::ErrorKind::MissingColumn) or
/// [`ErrorKind::DuplicateColumn`](crate::ErrorKind::DuplicateColumn) for a bad header row;
/// [`ErrorKind::InvalidField`](crate::ErrorKind::InvalidField) for a cell that does not have its
/// column's form (an id with `;` or `,`, a bad date, status or conflict code, ...);
/// [`ErrorKind::DuplicateId`](crate::ErrorKind::DuplicateId) when two rows have the same id. Each
/// names `file` and, where it applies, the line and field.
pub fn read_officers(reader: impl Read, file: &Path) -> Result<Officers> {
    let records = read_rows(
        reader,
        file,
        &OFFICER_COLS,
        |row, c| {
            // Every cell is checked, so that a row with several bad cells reports each.
            let mut bad = super::report::RowErrors::default();
            let id = bad.take(
                row.text("id", c[0])
                    .and_then(|id| match id.contains([';', ',']) {
                        true => {
                            Err(row.invalid("id", c[0], &id, "a staff number without ';' or ','"))
                        }
                        false => Ok(id),
                    }),
            );
            let domains = bad.take(row.list("domains", c[6], true));
            let conflicts = bad.take(row.list("conflicts", c[9], false).and_then(|cs| {
                for code in &cs {
                    row.code("conflicts", c[9], code, None)?;
                }
                Ok(cs)
            }));
            let name = bad.take(row.text("name", c[1]));
            let department = bad.take(row.text("department", c[2]));
            let region = bad.take(row.area("region", c[3]));
            let cert_no = bad.take(row.text("cert_no", c[4]));
            let cert_expires = bad.take(row.date("cert_expires", c[5]));
            let expert = bad.take(row.parse("expert", c[7], fields::parse_bool));
            let status = bad.take(row.parse("status", c[8], fields::parse_officer_status));
            bad.finish()?;
            match (
                id,
                name,
                department,
                region,
                cert_no,
                cert_expires,
                domains,
                expert,
                status,
                conflicts,
            ) {
                (
                    Some(id),
                    Some(name),
                    Some(department),
                    Some(region),
                    Some(cert_no),
                    Some(cert_expires),
                    Some(domains),
                    Some(expert),
                    Some(status),
                    Some(conflicts),
                ) => Ok(Officer {
                    id,
                    name,
                    department,
                    region,
                    cert_no,
                    cert_expires,
                    domains,
                    expert,
                    status,
                    conflicts,
                }),
                _ => Err(ErrorKind::RowCells(Vec::new()).into()),
            }
        },
        |o: &Officer| &o.id,
    )?;
    Ok(Officers { records })
}

#[cfg(test)]
mod tests {
    proptest::proptest! {
        #[test]
        fn trim_is_str_trim(s in "[ a\\t\\n\u{b}\u{c}\u{85}\u{a0}\u{3000}甲\u{1f}]{0,8}") {
            proptest::prop_assert_eq!(trim(&s), s.trim());
        }
    }

    use super::*;

    // 91120116MA05JKLM8C is a pilot code (check character C, GB 32100 gives J).
    const CSV: &str = "id,name,region,domains,status,last_inspected\n\
                       91120116MA05JKLM8J,乙,120116,无线电,active,2020-10-21\n\
                       9144030071526726XG,丙,440300,无线电,active,2020-10-20\n\
                       91120116MA05JKLM8C,甲,120116,无线电,active,2021/1/2\n";

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2020, 10, 20).unwrap()
    }

    fn codes(w: &[Warning]) -> Vec<(&str, &str)> {
        w.iter().map(|w| (w.id.as_str(), w.code)).collect()
    }

    /// A last inspection after the inspection date is kept, and warned about: by id, then code.
    #[test]
    fn future_inspection_warnings_in_id_then_code_order() {
        let t = Targets::read_for(CSV.as_bytes(), "t.csv".as_ref(), date()).unwrap();
        assert_eq!(
            codes(&t.warnings),
            [
                ("91120116MA05JKLM8C", "future-inspection"),
                ("91120116MA05JKLM8C", "uscc-check"),
                ("91120116MA05JKLM8J", "future-inspection"),
            ]
        );
        assert_eq!(
            t.warnings[0].message,
            "last inspected 2021-01-02, after the inspection date 2020-10-20; a task with \
             exclude_inspected_within_days excludes it"
        );
        assert_eq!((t.warnings[0].line, t.warnings[2].line), (4, 2));
        // On the inspection date itself: no warning. Without the date: only the pilot code.
        let plain = read_targets(CSV.as_bytes(), "t.csv".as_ref()).unwrap();
        assert_eq!(
            codes(&plain.warnings),
            [("91120116MA05JKLM8C", "uscc-check")]
        );
        assert_eq!(plain.records, t.records);
        // Completing the warnings later gives the same list (lines aside), whatever was read.
        assert_eq!(codes(&plain.warnings_on(date())), codes(&t.warnings));
        assert_eq!(t.warnings_on(date()), t.warnings);
        // Streaming gives the same warnings in the same order (rows in id order).
        let sorted = "id,name,region,domains,status,last_inspected\n\
                      91120116MA05JKLM8C,甲,120116,无线电,active,2021/1/2\n\
                      91120116MA05JKLM8J,乙,120116,无线电,active,2020-10-21\n\
                      9144030071526726XG,丙,440300,无线电,active,2020-10-20\n";
        let mut rows = TargetRows::new(sorted.as_bytes(), "t.csv".as_ref())
            .unwrap()
            .with_inspection_date(date());
        let mut w = Vec::new();
        while rows.next_record(&mut w).unwrap().is_some() {}
        assert_eq!(codes(&w), codes(&t.warnings));
    }

    /// A list item with a control character (a line break inside a quoted cell) is an error,
    /// in a target's domains and in an officer's domains.
    #[test]
    fn list_items_without_control_characters() {
        let t = "id,name,region,domains,status\n\
                 91120116MA05JKLM8J,乙,120116,\"无线电;电\n力\",active\n";
        let e = read_targets(t.as_bytes(), "t.csv".as_ref()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("t.csv, line 2, field `domains`: found \"无线电;电\\n力\""),
            "{e}"
        );
        assert!(e.to_string().contains("control characters"), "{e}");
        let o = "id,name,department,region,cert_no,cert_expires,domains,status\n\
                 A1,张,处,120101,C1,2022-12-31,\"无线电\t\",active\n\
                 A2,王,处,120101,C2,2022-12-31,\"无\u{7f}线电\",active\n";
        let e = read_officers(o.as_bytes(), "o.csv".as_ref()).unwrap_err();
        // The tab is trimmed (White_Space); U+007F is a control character.
        assert!(
            e.to_string().starts_with("o.csv, line 3, field `domains`"),
            "{e}"
        );
    }

    /// CRLF files give the lines an editor shows, blank lines and quoted line breaks counted.
    #[test]
    fn crlf_lines_are_editor_lines() {
        let t = "id,name,region,domains,status\r\n\
                 91120116MA05JKLM8J,\"甲\r\n\",120116,无线电,active\r\n\
                 \r\n\
                 9144030071526726XG,乙,44030,无线电,active\r\n";
        let e = read_targets(t.as_bytes(), "t.csv".as_ref()).unwrap_err();
        assert!(
            e.to_string().starts_with("t.csv, line 5, field `region`"),
            "{e}"
        );
        let o = "id,name,department,region,cert_no,cert_expires,domains,status\r\n\
                 A1,甲,d,120116,c1,2030-01-01,电力,active\r\n\
                 A2,乙,d,120116,c2,2030-13-01,电力,active\r\n";
        let e = read_officers(o.as_bytes(), "o.csv".as_ref()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("o.csv, line 3, field `cert_expires`"),
            "{e}"
        );
    }

    /// Header cells: trimmed, every leading U+FEFF removed, trimmed again; one BOM at the start
    /// of the file is removed before parsing (so an empty first line after it is skipped).
    #[test]
    fn header_bom_and_spaces() {
        for head in [
            "\u{feff}id",
            " \u{feff}id",
            "\u{feff}\u{feff} id ",
            "\u{3000}\u{feff}ID\t",
            "\"\u{feff}id\"",
        ] {
            let t = format!(
                "{head},name,region,domains,status\n91120116MA05JKLM8J,乙,120116,无线电,active\n"
            );
            let r = read_targets(t.as_bytes(), "t.csv".as_ref());
            assert!(r.is_ok(), "{head:?}: {:?}", r.err());
        }
        let t =
            "\u{feff}\nid,name,region,domains,status\n91120116MA05JKLM8J,乙,120116,无线电,active\n";
        assert_eq!(
            read_targets(t.as_bytes(), "t.csv".as_ref())
                .unwrap()
                .records
                .len(),
            1
        );
        // U+FEFF inside a header cell, or a data cell, is kept.
        let t =
            "i\u{feff}d,name,region,domains,status\n91120116MA05JKLM8J,乙,120116,无线电,active\n";
        assert!(read_targets(t.as_bytes(), "t.csv".as_ref()).is_err());
        let t =
            "id,name,region,domains,status\n91120116MA05JKLM8J,\u{feff}乙,120116,无线电,active\n";
        let r = read_targets(t.as_bytes(), "t.csv".as_ref()).unwrap();
        assert_eq!(r.records[0].name, "\u{feff}乙");
    }

    /// A credit-class cell of only `级` or `类` is an error, not "no class".
    #[test]
    fn class_suffix_alone_is_an_error() {
        for cell in ["级", "类"] {
            let t = format!(
                "id,name,region,domains,credit_class,status\n\
                 91120116MA05JKLM8J,乙,120116,无线电,{cell},active\n"
            );
            let e = read_targets(t.as_bytes(), "t.csv".as_ref()).unwrap_err();
            assert!(
                e.to_string().starts_with(&format!(
                    "t.csv, line 2, field `credit_class`: found \"{cell}\""
                )),
                "{e}"
            );
        }
    }
}
