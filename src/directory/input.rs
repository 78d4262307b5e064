//! What bureaus export, turned into the one form the readers parse (SPEC.md §3.4): UTF-8 CSV
//! separated by commas, with LF, CRLF or CR-only line ends numbered as editors number them.
//!
//! A file in GBK/GB18030 or UTF-16 is decoded while it streams (`encoding_rs_io`), a tab- or
//! `;`-separated file is rewritten record by record with the same line numbers, and files that
//! are no directory at all (empty, a workbook, binary) are named as what they are. The canonical
//! records, and so the digests and the log, are the same whichever form the data came in.

use std::io::{self, Read};
use std::path::Path;

use encoding_rs::Encoding;

use crate::error::{ErrorKind, Result};

/// How a plan says its directories are to be read (`[input]`, SPEC.md §3.4). Everything is
/// optional: the default detects the encoding and the delimiter.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InputRule {
    /// The encoding when it cannot be detected (`encoding = "gb18030"`).
    pub encoding: Option<&'static Encoding>,
    /// The field delimiter (`,`, `;` or a tab), when not detected.
    pub delimiter: Option<u8>,
    /// The sheet of a target directory kept as a workbook, by name; the first when not set.
    pub targets_sheet: Option<String>,
    /// The sheet of an officer directory kept as a workbook, by name; the first when not set.
    pub officers_sheet: Option<String>,
    /// Header cells that are not directory fields but belong to the export (a remark column).
    pub extra_columns: Vec<String>,
    /// Optional fields that must be present (`credit_class`, `last_inspected`, `expert`,
    /// `conflicts`).
    pub require: Vec<&'static str>,
}

/// The encoding a plan names: `utf-8`, `gbk`, `gb18030`, `utf-16le` or `utf-16be` (any WHATWG
/// label encoding_rs knows; GBK is read as GB18030, its superset).
///
/// # Errors
///
/// A description of the accepted names for any other label.
pub fn encoding_named(label: &str) -> std::result::Result<&'static Encoding, &'static str> {
    match Encoding::for_label(label.trim().as_bytes()) {
        Some(e) if e == encoding_rs::GBK => Ok(encoding_rs::GB18030),
        Some(e)
            if [
                encoding_rs::UTF_8,
                encoding_rs::GB18030,
                encoding_rs::UTF_16LE,
                encoding_rs::UTF_16BE,
            ]
            .contains(&e) =>
        {
            Ok(e)
        }
        _ => Err("\"utf-8\", \"gbk\", \"gb18030\", \"utf-16le\" or \"utf-16be\""),
    }
}

/// The English name of an optional directory field named `s`, if it is one.
pub fn optional_field(s: &str) -> Option<&'static str> {
    ["credit_class", "last_inspected", "expert", "conflicts"]
        .into_iter()
        .find(|f| *f == s)
}

/// How much of a file is looked at to tell its form.
const SNIFF: usize = 64 * 1024;

/// Reads up to `want` bytes (fewer only at the end); true when the end was reached.
fn fill(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    super::rows::fill(r, buf, want).map(|more| !more)
}

fn input_error(file: &Path, message: impl Into<String>) -> crate::Error {
    ErrorKind::Input {
        file: file.to_path_buf(),
        message: message.into(),
    }
    .into()
}

/// The form a directory file was found in, for people (`check` prints it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Form {
    /// The encoding's name (`UTF-8`, `gb18030`, `UTF-16LE`, ...).
    pub encoding: &'static str,
    /// The delimiter.
    pub delimiter: u8,
}

/// Turns the bytes of a directory file into UTF-8 CSV separated by commas (see the module
/// documentation), streaming. `file` names it in errors.
///
/// # Errors
///
/// [`ErrorKind::Input`] for a file that is empty, a workbook, binary, UTF-16 without a byte-order
/// mark, or in an encoding that cannot be told; [`ErrorKind::Io`] when reading fails.
pub fn normalize<'r>(
    mut reader: impl Read + Send + 'r,
    file: &Path,
    rule: &InputRule,
) -> Result<(Box<dyn Read + Send + 'r>, Form)> {
    let io_err = |e| super::rows::io_error(file, e);
    let mut prefix = Vec::new();
    let eof = fill(&mut reader, &mut prefix, SNIFF).map_err(io_err)?;
    let p = prefix.as_slice();
    if p.starts_with(b"PK\x03\x04") || p.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(input_error(
            file,
            "this is an Excel workbook (.xlsx/.xls), not a CSV file: give the workbook a .xlsx \
             or .xls name (the dualdraw command reads workbooks), or save it as \"CSV UTF-8\"",
        ));
    }
    let (encoding, bom) = if p.starts_with(b"\xEF\xBB\xBF") {
        (encoding_rs::UTF_8, true)
    } else if p.starts_with(b"\xFF\xFE") {
        (encoding_rs::UTF_16LE, true)
    } else if p.starts_with(b"\xFE\xFF") {
        (encoding_rs::UTF_16BE, true)
    } else if let Some(e) = rule.encoding {
        (e, false)
    } else {
        (detect(p, eof, file)?, false)
    };
    let decoded_prefix: String = if encoding == encoding_rs::UTF_8 {
        let body = if bom { &p[3..] } else { p };
        String::from_utf8_lossy(body).into_owned()
    } else {
        let (cow, _, _) = encoding.decode(p);
        cow.into_owned()
    };
    if eof
        && decoded_prefix
            .trim_start_matches('\u{feff}')
            .chars()
            .all(|c| c.is_whitespace() || c == ',' || c == ';')
    {
        let what = if p.is_empty() {
            "the file is empty (0 bytes)".to_string()
        } else if bom && decoded_prefix.is_empty() {
            "the file holds only a byte-order mark, no header row".to_string()
        } else {
            "the file holds no header row, only blank lines or empty cells".to_string()
        };
        return Err(input_error(
            file,
            format!("{what}: export the directory again; it starts with its header row"),
        ));
    }
    let cr_only = decoded_prefix.contains('\r') && !decoded_prefix.contains('\n');
    let first_line = decoded_prefix
        .trim_start_matches('\u{feff}')
        .split(['\n', '\r'])
        .next()
        .unwrap_or("");
    let delimiter = rule
        .delimiter
        .unwrap_or_else(|| detect_delimiter(first_line));
    let form = Form {
        encoding: encoding.name(),
        delimiter,
    };
    let whole = io::Cursor::new(prefix).chain(reader);
    let mut out: Box<dyn Read + Send + 'r> = if encoding == encoding_rs::UTF_8 {
        Box::new(whole)
    } else {
        Box::new(
            encoding_rs_io::DecodeReaderBytesBuilder::new()
                .encoding(Some(encoding))
                .bom_override(true)
                .build(whole),
        )
    };
    if cr_only {
        out = Box::new(CrToLf(out));
    }
    if delimiter != b',' {
        out = Box::new(Redelimit::new(out, delimiter));
    }
    Ok((out, form))
}

/// The encoding of a file without a byte-order mark: UTF-8 when its first bytes are UTF-8,
/// GB18030 when they are not but decode as GB18030 without error.
fn detect(p: &[u8], eof: bool, file: &Path) -> Result<&'static Encoding> {
    // A NUL or two in text (after a header cell, say) is the header's or a cell's error; a
    // file with many is UTF-16 or binary.
    let nuls = p.iter().filter(|&&b| b == 0).count();
    if let Some(at) = p
        .iter()
        .position(|&b| b == 0)
        .filter(|_| nuls * 50 > p.len())
    {
        let odd_nuls = p.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
        let even_nuls = p.iter().step_by(2).filter(|&&b| b == 0).count();
        let half = p.len() / 2;
        let msg = if half > 0 && odd_nuls * 3 >= half {
            "UTF-16 (little-endian) text without a byte-order mark; set `encoding = \
             \"utf-16le\"` under `[input]` in the plan, or save it as \"CSV UTF-8\""
                .to_string()
        } else if half > 0 && even_nuls * 3 >= half {
            "UTF-16 (big-endian) text without a byte-order mark; set `encoding = \
             \"utf-16be\"` under `[input]` in the plan, or save it as \"CSV UTF-8\""
                .to_string()
        } else {
            format!(
                "a binary file (a NUL byte at byte {}), not a CSV or Excel export of a directory",
                at + 1
            )
        };
        return Err(input_error(file, msg));
    }
    let controls = p
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n'))
        .count();
    if controls * 100 > p.len() {
        let at = p
            .iter()
            .position(|&b| b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n'))
            .unwrap_or(0);
        return Err(input_error(
            file,
            format!(
                "a binary file (control byte 0x{:02X} at byte {}), not a CSV or Excel export \
                 of a directory",
                p[at],
                at + 1
            ),
        ));
    }
    match std::str::from_utf8(p) {
        Ok(_) => return Ok(encoding_rs::UTF_8),
        Err(e) if e.error_len().is_none() && !eof => return Ok(encoding_rs::UTF_8),
        Err(_) => {}
    }
    let mut d = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut s = String::with_capacity(p.len() * 2 + 16);
    let (r, _) = d.decode_to_string_without_replacement(p, &mut s, eof);
    if r == encoding_rs::DecoderResult::InputEmpty {
        return Ok(encoding_rs::GB18030);
    }
    let bad_at = std::str::from_utf8(p).err().map_or(0, |e| e.valid_up_to());
    let line = 1 + p[..bad_at].iter().filter(|&&b| b == b'\n').count();
    Err(input_error(
        file,
        format!(
            "line {line} is neither UTF-8 nor GB18030 text: save the directory as \"CSV UTF-8\", or \
             name its encoding under `[input]` in the plan (`encoding = \"utf-16le\"`)"
        ),
    ))
}

/// The delimiter of a header line: a comma when it has one, else a tab, else `;`, else a
/// comma (a one-column file). Quoted text is skipped.
pub(crate) fn detect_delimiter(line: &str) -> u8 {
    let (mut comma, mut tab, mut semi, mut quoted) = (0, 0, 0, false);
    for b in line.bytes() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => comma += 1,
            b'\t' if !quoted => tab += 1,
            b';' if !quoted => semi += 1,
            _ => {}
        }
    }
    if comma > 0 {
        b','
    } else if tab > 0 {
        b'\t'
    } else if semi > 0 {
        b';'
    } else {
        b','
    }
}

/// Line ends of a file that ends its lines in CR alone (old Mac exports): each CR becomes LF,
/// so lines are counted as an editor counts them.
struct CrToLf<R>(R);

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

/// A tab- or `;`-separated file rewritten as comma-separated CSV, record by record. Blank
/// lines are written where the input's records started later, so that every record keeps
/// its line number.
struct Redelimit<R: Read> {
    rdr: csv::Reader<R>,
    rec: csv::ByteRecord,
    out: Vec<u8>,
    pos: usize,
    line: u64,
    done: bool,
}

impl<R: Read> Redelimit<R> {
    fn new(r: R, delimiter: u8) -> Self {
        Redelimit {
            rdr: csv::ReaderBuilder::new()
                .delimiter(delimiter)
                .has_headers(false)
                .flexible(true)
                .from_reader(r),
            rec: csv::ByteRecord::new(),
            out: Vec::new(),
            pos: 0,
            line: 1,
            done: false,
        }
    }

    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.pos = 0;
        let more = self
            .rdr
            .read_byte_record(&mut self.rec)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        if !more {
            self.done = true;
            return Ok(());
        }
        // The reader's line after the record, less the record's own line breaks: where it
        // started (its position before reading would not count the blank lines skipped).
        let inner: u64 = self
            .rec
            .iter()
            .map(|f| f.iter().filter(|&&b| b == b'\n').count() as u64)
            .sum();
        let start = self.rdr.position().line().saturating_sub(1 + inner);
        while self.line < start {
            self.out.push(b'\n');
            self.line += 1;
        }
        for (i, f) in self.rec.iter().enumerate() {
            if i > 0 {
                self.out.push(b',');
            }
            if f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
                self.out.push(b'"');
                for &b in f {
                    if b == b'"' {
                        self.out.push(b'"');
                    }
                    self.out.push(b);
                }
                self.out.push(b'"');
            } else {
                self.out.extend_from_slice(f);
            }
            self.line += f.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        self.out.push(b'\n');
        self.line += 1;
        Ok(())
    }
}

impl<R: Read> Read for Redelimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if self.done {
                return Ok(0);
            }
            self.refill()?;
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(bytes: &[u8]) -> Result<String> {
        let (mut r, _) = normalize(bytes, "t.csv".as_ref(), &InputRule::default())?;
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        Ok(s)
    }

    #[test]
    fn forms_become_utf8_commas() {
        let (gbk, _, _) = encoding_rs::GB18030.encode("甲,乙\n丙,丁\n");
        assert_eq!(norm(&gbk).unwrap(), "甲,乙\n丙,丁\n");
        let mut u16 = vec![0xFF, 0xFE];
        for u in "甲\t乙\n\n丙,1\t丁\n".encode_utf16() {
            u16.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(norm(&u16).unwrap(), "甲,乙\n\n\"丙,1\",丁\n");
        assert_eq!(norm(b"a;b\rc;d\r").unwrap(), "a,b\nc,d\n");
        assert!(norm(b"").is_err());
        assert!(norm(b"\xEF\xBB\xBF").is_err());
        assert!(norm(b"PK\x03\x04rest").is_err());
        assert!(norm(b"\x7fELF\x00\x01\x00\x00\x02").is_err());
    }
}
