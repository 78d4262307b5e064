//! Reading the directories from CSV (csv + serde-free column mapping, since headers come in
//! two languages and cells need per-field validation with positions).

use std::io::Read;
use std::path::{Path, PathBuf};

use csv::{ReaderBuilder, StringRecord};

use super::fields::{self, parse_list};
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

/// Header cell `i` as written (without a BOM or surrounding spaces).
fn header_cell(header: &StringRecord, i: usize) -> &str {
    header
        .get(i)
        .unwrap_or("")
        .trim_start_matches('\u{feff}')
        .trim()
}

/// Maps each known column to its index in the header row; unknown columns are ignored.
fn map_header<const N: usize>(
    file: &Path,
    header: &StringRecord,
    cols: &[Col; N],
) -> Result<[Option<usize>; N]> {
    let mut idx = [None; N];
    for (i, cell) in header.iter().enumerate() {
        let cell = cell.trim_start_matches('\u{feff}').trim();
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
            return Err(ErrorKind::MissingColumn {
                file: file.to_path_buf(),
                column: c.en,
                zh: c.zh[0],
                found: header
                    .iter()
                    .map(|h| h.trim_start_matches('\u{feff}'))
                    .collect::<Vec<_>>()
                    .join(","),
            }
            .into());
        }
    }
    Ok(idx)
}

/// The index of the id column of a target directory's header (for sorting raw rows).
pub fn target_id_column(file: &Path, header: &csv::ByteRecord) -> Result<usize> {
    let text = StringRecord::from_byte_record_lossy(header.clone());
    let idx = map_header(file, &text, &TARGET_COLS)?;
    Ok(idx[0].unwrap_or(0))
}

/// One data row with what is needed to report an error in it.
struct Row<'a> {
    file: &'a Path,
    line: u64,
    header: &'a StringRecord,
    rec: &'a StringRecord,
}

impl Row<'_> {
    /// The trimmed cell (SPEC.md §3: every field is trimmed of White_Space). Trimming here
    /// rather than with the reader's `Trim::All` avoids copying every record.
    fn cell(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.rec.get(i)).unwrap_or("").trim()
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
        parse: impl FnOnce(&str) -> std::result::Result<T, &'static str>,
    ) -> Result<T> {
        let s = self.cell(idx);
        parse(s).map_err(|e| self.invalid(field, idx, s, e))
    }

    /// A required text cell: non-empty, no control characters.
    fn text(&self, field: &'static str, idx: Option<usize>) -> Result<String> {
        self.parse(field, idx, |s| {
            if s.is_empty() {
                Err("a non-empty value")
            } else if s.chars().any(char::is_control) {
                Err("text without control characters")
            } else {
                Ok(s.to_string())
            }
        })
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
                    let want = uscc::check_character(&s[..17]).unwrap_or('?');
                    w.push(Warning {
                        code: "uscc-check",
                        source: "targets",
                        id: s.to_string(),
                        message: format!(
                            "check character is {:?} but GB 32100-2015 gives {want:?}; kept as an early pilot code",
                            &s[17..]
                        ),
                        file: self.file.to_path_buf(),
                        line: self.line,
                    });
                }
                Ok(())
            }
        }
    }
}

fn csv_error(file: &Path, e: csv::Error) -> crate::Error {
    let line = e.position().map(|p| p.line());
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => format!(
            "{e}; the file must be UTF-8 (convert GBK/GB18030 exports, e.g. `iconv -f GB18030 -t UTF-8`)"
        ),
        _ => e.to_string(),
    };
    ErrorKind::Csv {
        pos: Position::file(file).at_line(line),
        message,
    }
    .into()
}

/// Reads all rows, calling `f` on each with its line number; returns records sorted by id.
fn read_rows<T, const N: usize>(
    reader: impl Read,
    file: &Path,
    cols: &[Col; N],
    mut f: impl FnMut(&Row<'_>, &[Option<usize>; N]) -> Result<T>,
    id: impl Fn(&T) -> &str,
) -> Result<Vec<T>> {
    let mut rdr = ReaderBuilder::new().from_reader(reader);
    let header = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
    let idx = map_header(file, &header, cols)?;
    let mut out: Vec<(T, u64)> = Vec::new();
    let mut rec = StringRecord::new();
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(file, e)),
        }
        let line = rec.position().map_or(0, |p| p.line());
        let row = Row {
            file,
            line,
            header: &header,
            rec: &rec,
        };
        out.push((f(&row, &idx)?, line));
    }
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

/// Parses one target row (columns already mapped).
fn parse_target(
    row: &Row<'_>,
    c: &[Option<usize>; 7],
    warnings: &mut Vec<Warning>,
) -> Result<Enterprise> {
    let id = row.cell(c[0]).to_string();
    row.code("id", c[0], &id, Some(warnings))?;
    let domains = parse_list(row.cell(c[3]));
    if domains.is_empty() {
        return Err(row.invalid(
            "domains",
            c[3],
            row.cell(c[3]),
            "one or more domains separated by ';'",
        ));
    }
    let last = row.cell(c[6]);
    Ok(Enterprise {
        id,
        name: row.text("name", c[1])?,
        region: row.parse("region", c[2], fields::parse_region)?,
        domains,
        credit_class: row.parse("credit_class", c[4], fields::parse_credit_class)?,
        status: row.parse("status", c[5], fields::parse_enterprise_status)?,
        last_inspected: if last.is_empty() {
            None
        } else {
            Some(row.parse("last_inspected", c[6], fields::parse_date)?)
        },
    })
}

/// Reads a target directory row by row, in file order, without holding it in memory.
///
/// [`read_targets`] collects and sorts; the streaming draw uses this directly.
pub struct TargetRows<R: Read> {
    rdr: csv::Reader<R>,
    header: StringRecord,
    idx: [Option<usize>; 7],
    file: PathBuf,
    rec: StringRecord,
}

impl<R: Read> TargetRows<R> {
    /// Reads and maps the header row. `file` names the source in errors.
    pub fn new(reader: R, file: &Path) -> Result<Self> {
        let mut rdr = ReaderBuilder::new().from_reader(reader);
        let header = rdr.headers().map_err(|e| csv_error(file, e))?.clone();
        let idx = map_header(file, &header, &TARGET_COLS)?;
        Ok(TargetRows {
            rdr,
            header,
            idx,
            file: file.to_path_buf(),
            rec: StringRecord::new(),
        })
    }

    /// Bytes of input consumed so far.
    pub fn bytes(&self) -> u64 {
        self.rdr.position().byte()
    }

    /// The next record and its 1-based line, or `None` at the end. A pilot code's warning is
    /// pushed onto `warnings`.
    pub fn next_record(
        &mut self,
        warnings: &mut Vec<Warning>,
    ) -> Result<Option<(u64, Enterprise)>> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(false) => return Ok(None),
            Ok(true) => {}
            Err(e) => return Err(csv_error(&self.file, e)),
        }
        let line = self.rec.position().map_or(0, |p| p.line());
        let row = Row {
            file: &self.file,
            line,
            header: &self.header,
            rec: &self.rec,
        };
        Ok(Some((line, parse_target(&row, &self.idx, warnings)?)))
    }
}

/// Reads a target directory from CSV. `file` names the source in errors.
///
/// Headers may be English (`id,name,region,domains,credit_class,status,last_inspected`) or the
/// Chinese names of real exports (统一社会信用代码, 企业名称, ...); a UTF-8 BOM is ignored.
///
/// ```
/// let csv = "统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,登记状态,上次检查日期\n\
///            9144030071526726XG,示例公司,440300,无线电;电力,B,存续,2019/5/12\n";
/// let t = dualdraw::directory::read_targets(csv.as_bytes(), "demo.csv".as_ref()).unwrap();
/// assert_eq!(t.records[0].domains, ["无线电", "电力"]);
/// assert!(t.warnings.is_empty());
/// ```
pub fn read_targets(reader: impl Read, file: &Path) -> Result<Targets> {
    let mut warnings = Vec::new();
    let mut rows = TargetRows::new(reader, file)?;
    let mut out = Vec::new();
    while let Some((line, e)) = rows.next_record(&mut warnings)? {
        out.push((e, line));
    }
    let records = sort_unique(out, file, |e: &Enterprise| &e.id)?;
    warnings.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(Targets { records, warnings })
}

/// Reads an inspector directory from CSV. `file` names the source in errors.
///
/// Headers may be English (`id,name,department,region,cert_no,cert_expires,domains,expert,
/// status,conflicts`) or Chinese (人员编号, 姓名, 所属部门, 片区, 执法证号, 执法证有效期至, 执法领域,
/// 是否专家, 人员状态, 回避企业).
pub fn read_officers(reader: impl Read, file: &Path) -> Result<Officers> {
    let records = read_rows(
        reader,
        file,
        &OFFICER_COLS,
        |row, c| {
            let id = row.text("id", c[0])?;
            if id.contains([';', ',']) {
                return Err(row.invalid("id", c[0], &id, "a staff number without ';' or ','"));
            }
            let domains = parse_list(row.cell(c[6]));
            if domains.is_empty() {
                return Err(row.invalid(
                    "domains",
                    c[6],
                    row.cell(c[6]),
                    "one or more domains separated by ';'",
                ));
            }
            let conflicts = parse_list(row.cell(c[9]));
            for code in &conflicts {
                row.code("conflicts", c[9], code, None)?;
            }
            Ok(Officer {
                id,
                name: row.text("name", c[1])?,
                department: row.text("department", c[2])?,
                region: row.text("region", c[3])?,
                cert_no: row.text("cert_no", c[4])?,
                cert_expires: row.parse("cert_expires", c[5], fields::parse_date)?,
                domains,
                expert: row.parse("expert", c[7], fields::parse_bool)?,
                status: row.parse("status", c[8], fields::parse_officer_status)?,
                conflicts,
            })
        },
        |o: &Officer| &o.id,
    )?;
    Ok(Officers { records })
}
