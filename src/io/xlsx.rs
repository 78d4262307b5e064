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
