//! Directories kept as Excel workbooks (`.xlsx`, `.xls`), read with calamine into the CSV
//! the readers take (SPEC.md §3.4): a date cell becomes `YYYY-MM-DD`, a whole number is
//! written without `.0`, and every record keeps its sheet row as its line number.

use std::path::Path;

use calamine::{Data, Reader, open_workbook_auto};

use crate::error::{ErrorKind, Result};

fn input_error(file: &Path, message: impl Into<String>) -> crate::Error {
    ErrorKind::Input {
        file: file.to_path_buf(),
        message: message.into(),
    }
    .into()
}

/// True when `path` names a workbook by its extension or its first bytes.
pub(crate) fn is_workbook(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    if matches!(ext.as_deref(), Some("xlsx" | "xls" | "xlsm" | "xlsb")) {
        return true;
    }
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && (head == *b"PK\x03\x04" || head == [0xD0, 0xCF, 0x11, 0xE0])
}

/// The text of one cell, as the same data exported to CSV would hold it.
fn cell_text(c: &Data, file: &Path, row: usize, col: usize) -> Result<String> {
    Ok(match c {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        // Whole numbers without Excel's `.0`: a region code typed as a number is still a code.
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => if *b { "1" } else { "0" }.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.format("%Y-%m-%d").to_string(),
            Some(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => d.as_f64().to_string(),
        },
        Data::Error(e) => {
            return Err(input_error(
                file,
                format!(
                    "row {}, column {}: the cell holds the Excel error {e}; fix it in the workbook",
                    row + 1,
                    col + 1
                ),
            ));
        }
    })
}

/// The sheet `sheet` (or the first) of the workbook at `path`, as UTF-8 CSV with LF line ends.
///
/// # Errors
///
/// [`ErrorKind::Input`] for a workbook calamine cannot open, a sheet that does not exist, or a
/// cell holding an Excel error.
pub(crate) fn workbook_csv(path: &Path, sheet: Option<&str>, key: &str) -> Result<Vec<u8>> {
    let mut wb = open_workbook_auto(path)
        .map_err(|e| input_error(path, format!("cannot be read as an Excel workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(input_error(
                path,
                format!(
                    "the workbook has no sheet `{s}` (named by `[input] {key}` in the plan); its sheets: {}",
                    names.join(", ")
                ),
            ));
        }
        None => names
            .first()
            .cloned()
            .ok_or_else(|| input_error(path, "the workbook has no sheets"))?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| input_error(path, format!("sheet `{name}` cannot be read: {e}")))?;
    let (row0, col0) = range.start().unwrap_or((0, 0));
    let mut out = Vec::new();
    // Rows above the range are blank lines, so lines are sheet rows.
    out.extend(std::iter::repeat_n(b'\n', row0 as usize));
    for (r, row) in range.rows().enumerate() {
        let mut cells = vec![String::new(); col0 as usize];
        for (c, cell) in row.iter().enumerate() {
            cells.push(cell_text(cell, path, row0 as usize + r, col0 as usize + c)?);
        }
        for (i, f) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if f.contains([',', '"', '\n', '\r']) {
                out.push(b'"');
                out.extend_from_slice(f.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(f.as_bytes());
            }
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// The team assignment sheet (抽查任务分配表) as an `.xlsx` workbook, printable: one row per
/// drawn enterprise with its task and check item, the enterprise's fields the directory has,
/// the team leader, members and experts with their certificate numbers. A frozen header row
/// repeated on every printed page, landscape, one page wide. The bureau's own document: it
/// holds officers' names (the published tables follow the plan's `[publish]`).
///
/// # Errors
///
/// [`ErrorKind::Input`] if the workbook cannot be written (it is written in memory).
pub fn assignment_sheet(
    plan: &crate::plan::Plan,
    enterprises: &[crate::directory::Enterprise],
    officers: &crate::directory::Officers,
    outcome: &crate::draw::outcome::Outcome,
) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{DocProperties, Format, FormatBorder, Workbook, XlsxError};
    let build = || -> std::result::Result<Vec<u8>, XlsxError> {
        let mut wb = Workbook::new();
        // No creation time from the clock: the same draw gives the same bytes.
        let created = rust_xlsxwriter::ExcelDateTime::from_ymd(2000, 1, 1)?;
        wb.set_properties(
            &DocProperties::new()
                .set_title(format!("{} 抽查任务分配表", plan.title))
                .set_creation_datetime(&created),
        );
        let ws = wb.add_worksheet();
        ws.set_name("抽查任务分配表")?;
        let head = Format::new()
            .set_bold()
            .set_text_wrap()
            .set_border(FormatBorder::Thin);
        let cell = Format::new().set_text_wrap().set_border(FormatBorder::Thin);
        let columns: [(&str, f64); 11] = [
            ("任务", 10.0),
            ("抽查事项", 24.0),
            ("统一社会信用代码", 21.0),
            ("企业名称", 30.0),
            ("行政区划代码", 12.0),
            ("信用等级", 8.0),
            ("组长", 10.0),
            ("组长执法证号", 18.0),
            ("组员（执法证号）", 28.0),
            ("专家", 18.0),
            ("序号", 6.0),
        ];
        for (c, (name, width)) in columns.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *name, &head)?;
            ws.set_column_width(c as u16, *width)?;
        }
        let who = |id: &str| -> (String, String) {
            officers
                .get(id)
                .map_or((id.to_string(), String::new()), |o| {
                    (o.name.clone(), o.cert_no.clone())
                })
        };
        let mut row = 1u32;
        for t in &outcome.tasks {
            let item = plan
                .tasks
                .iter()
                .find(|x| x.id == t.task)
                .map_or("", |x| x.item.name.as_str());
            for (n, team) in t.teams.iter().enumerate() {
                let e = enterprises
                    .binary_search_by(|e| e.id.as_str().cmp(&team.enterprise))
                    .ok()
                    .map(|i| &enterprises[i]);
                let (leader, leader_cert) =
                    team.officers.first().map(|id| who(id)).unwrap_or_default();
                let members: Vec<String> = team
                    .officers
                    .iter()
                    .skip(1)
                    .map(|id| {
                        let (name, cert) = who(id);
                        format!("{name}（{cert}）")
                    })
                    .collect();
                let experts: Vec<String> = team.experts.iter().map(|id| who(id).0).collect();
                let values = [
                    t.task.clone(),
                    item.to_string(),
                    team.enterprise.clone(),
                    e.map_or(String::new(), |e| e.name.clone()),
                    e.map_or(String::new(), |e| e.region.clone()),
                    e.and_then(|e| e.credit_class)
                        .map_or(String::new(), |c| c.as_str().to_string()),
                    leader,
                    leader_cert,
                    members.join("\n"),
                    experts.join("、"),
                    (n + 1).to_string(),
                ];
                for (c, v) in values.iter().enumerate() {
                    // Text cells: a value is never read as a formula.
                    ws.write_string_with_format(row, c as u16, v.as_str(), &cell)?;
                }
                row += 1;
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.set_repeat_rows(0, 0)?;
        ws.set_landscape();
        ws.set_paper_size(9); // A4
        ws.set_print_fit_to_pages(1, 0);
        ws.set_header(format!(
            "&C{} 抽查任务分配表",
            plan.title.replace('&', "&&")
        ));
        ws.set_footer("&C第 &P 页，共 &N 页");
        wb.save_to_buffer()
    };
    build().map_err(|e| {
        ErrorKind::Input {
            file: "teams.xlsx".into(),
            message: format!("the assignment sheet cannot be written: {e}"),
        }
        .into()
    })
}
