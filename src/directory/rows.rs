//! Target rows straight from bytes, in pieces that two cores can parse at once.
//!
//! The `csv` crate's reader is sequential. A national directory is parsed faster by cutting
//! the bytes into chunks at line breaks and parsing the chunks on several threads with
//! `csv_core`, the state machine under the `csv` crate (same dialect: `,`, `"` with doubled
//! quotes, CR, LF or CRLF line ends, blank lines skipped, a UTF-8 BOM dropped at the start).
//!
//! A chunk boundary is only a guess: a line break outside quotes by counting `"` characters.
//! A quote inside an unquoted field (`ab"c`, which `csv` reads literally) can fool the count,
//! so every chunk reports whether its parse ended exactly at its end, on a record boundary.
//! Since each chunk starts where the previous one ended, a chunk that ended clean proves the
//! next one started on a real record boundary, where a fresh parser is in the same state as
//! one that read everything before. A chunk that did not end clean is re-read sequentially
//! ([`RecordParser`] keeps its state across pieces) until a boundary is found again, so the
//! records are always exactly those of one sequential parse.
//!
//! Line numbers are 1-based and count LF bytes before the record's first byte, so CRLF files
//! number their lines as editors do.

use std::io::{self, Read};
use std::path::Path;

use csv::{ByteRecord, StringRecord};
use csv_core::ReadRecordResult;

use crate::error::{ErrorKind, Position, Result};

/// The longest record a directory may hold, in bytes (its raw text, quotes and line breaks
/// included): a longer one is an error naming the line where it starts, so that a line that
/// never ends, or a quote that is never closed, cannot make a reader hold the rest of the
/// input.
pub const MAX_RECORD_BYTES: usize = 1 << 20;

/// The longest header row a directory may have, in bytes.
pub const MAX_HEADER_BYTES: usize = 64 << 10;

/// Why a [`RecordParser`] stopped before the end of its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParseStop {
    /// The record starting at the mark runs past the limit; `in_quotes`: inside a quoted field
    /// when it did.
    TooLong {
        at: Mark,
        limit: usize,
        in_quotes: bool,
    },
    /// The input ended inside a quoted field of the record starting at the mark.
    Unclosed { at: Mark },
}

impl ParseStop {
    /// The error naming `file` and the line where the record starts.
    pub(crate) fn to_error(self, file: &Path, header: bool) -> crate::Error {
        let what = if header {
            "the header row"
        } else {
            "the record"
        };
        let (line, message) = match self {
            ParseStop::Unclosed { at } => (
                at.line,
                format!(
                    "quote opened on line {} never closed (the file ends inside a quoted field)",
                    at.line
                ),
            ),
            ParseStop::TooLong {
                at,
                limit,
                in_quotes: true,
            } => (
                at.line,
                format!(
                    "quote opened on line {} never closed: {what} starting there runs past {} \
                     and is still inside a quoted field",
                    at.line,
                    human_bytes(limit)
                ),
            ),
            ParseStop::TooLong { at, limit, .. } => (
                at.line,
                format!(
                    "{what} starting on line {} is longer than {}, the most allowed (a line \
                     that never ends, or not a CSV file?)",
                    at.line,
                    human_bytes(limit)
                ),
            ),
        };
        ErrorKind::Csv {
            pos: Position::file(file).at_line(Some(line)),
            message,
        }
        .into()
    }
}

fn human_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

/// The cells of one record; `'a` is the text's lifetime.
pub(crate) trait Cells<'a> {
    /// Cell `i` as read (untrimmed), if the record has it.
    fn cell(&self, i: usize) -> Option<&'a str>;
}

/// A place in the input: byte offset and the 1-based line it lies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub(crate) pos: u64,
    pub(crate) line: u64,
}

impl Mark {
    /// The start of a file.
    pub(crate) const START: Mark = Mark { pos: 0, line: 1 };

    fn advance(&mut self, bytes: &[u8]) {
        self.pos += bytes.len() as u64;
        self.line += count_lf(bytes);
    }
}

fn count_lf(bytes: &[u8]) -> u64 {
    // A plain loop: the compiler vectorises it, and rows are short.
    bytes.iter().filter(|&&b| b == b'\n').count() as u64
}

/// One complete record inside [`Records`].
#[derive(Debug, Clone, Copy)]
struct Meta {
    /// Offset of its first field in `out`.
    start: usize,
    /// Index of its first field's end in `ends`.
    first_end: usize,
    /// Number of fields.
    fields: usize,
    /// Where its first byte is.
    mark: Mark,
}

/// Complete records: the unescaped bytes of their fields, one after the other.
#[derive(Debug, Default)]
pub(crate) struct Records {
    out: Vec<u8>,
    /// Bytes of `out` in use.
    nout: usize,
    /// Absolute field ends in `out` (complete records, then the partial one's).
    ends: Vec<usize>,
    nend: usize,
    /// Where the partial record's output and ends begin.
    cur_start: usize,
    cur_first_end: usize,
    recs: Vec<Meta>,
}

/// The fields of one record, borrowed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    bytes: &'a [u8],
    start: usize,
    ends: &'a [usize],
    /// Where the record starts.
    pub(crate) mark: Mark,
}

impl Records {
    /// A buffer sized for about `bytes` of input.
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Records {
            out: vec![0; bytes + 64],
            ends: vec![0; bytes / 16 + 64],
            ..Default::default()
        }
    }

    /// Empties the buffer for reuse, keeping its memory.
    pub(crate) fn clear(&mut self) {
        self.nout = 0;
        self.nend = 0;
        self.cur_start = 0;
        self.cur_first_end = 0;
        self.recs.clear();
    }

    /// Number of complete records.
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// True when no record is complete.
    pub(crate) fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// Complete record `i`.
    pub(crate) fn get(&self, i: usize) -> Record<'_> {
        let m = self.recs[i];
        Record {
            bytes: &self.out,
            start: m.start,
            ends: &self.ends[m.first_end..m.first_end + m.fields],
            mark: m.mark,
        }
    }

    /// The complete records' bytes as one text, if all of it is UTF-8: validating a chunk at
    /// once is several times faster than record by record.
    pub(crate) fn whole_text(&self) -> Option<&str> {
        simdutf8::basic::from_utf8(&self.out[..self.cur_start]).ok()
    }

    /// Drops the complete records, keeping a partial one (for a reader that reuses the
    /// buffer).
    pub(crate) fn drain_complete(&mut self) {
        let (keep_out, keep_end) = (self.cur_start, self.cur_first_end);
        self.out.copy_within(keep_out..self.nout, 0);
        self.nout -= keep_out;
        for k in keep_end..self.nend {
            self.ends[k - keep_end] = self.ends[k] - keep_out;
        }
        self.nend -= keep_end;
        self.cur_start = 0;
        self.cur_first_end = 0;
        self.recs.clear();
    }
}

impl<'a> Record<'a> {
    /// True for a row of empty cells (`,,,,,,`, as Excel writes after the last record): it
    /// is skipped, as a blank line is (SPEC.md §3).
    pub(crate) fn is_blank(&self) -> bool {
        (0..self.len()).all(|i| self.field(i).iter().all(|b| matches!(b, b' ' | b'\t')))
    }

    /// Number of fields.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let from = if i == 0 { self.start } else { self.ends[i - 1] };
        from..self.ends[i]
    }

    /// Field `i` as bytes.
    pub(crate) fn field(&self, i: usize) -> &'a [u8] {
        &self.bytes[self.range(i)]
    }

    /// The record as text, if every field is UTF-8; otherwise the (0-based) field and the
    /// byte offset inside it where the invalid sequence starts.
    pub(crate) fn text(&self) -> std::result::Result<Text<'a>, (usize, usize)> {
        let end = self.ends.last().copied().unwrap_or(self.start);
        match std::str::from_utf8(&self.bytes[self.start..end]) {
            // Valid as a whole; each field is too when every boundary falls between characters.
            Ok(s)
                if self
                    .ends
                    .iter()
                    .all(|&e| s.is_char_boundary(e - self.start)) =>
            {
                Ok(Text {
                    text: s,
                    start: self.start,
                    ends: self.ends,
                })
            }
            _ => {
                for i in 0..self.len() {
                    if let Err(e) = std::str::from_utf8(self.field(i)) {
                        return Err((i, e.valid_up_to()));
                    }
                }
                Err((0, 0))
            }
        }
    }
}

impl<'a> Record<'a> {
    /// The record as text, given the text of the whole buffer it lies in
    /// ([`Records::whole_text`]); `None` if a field boundary splits a character.
    pub(crate) fn text_in(&self, whole: &'a str) -> Option<Text<'a>> {
        let end = self.ends.last().copied().unwrap_or(self.start);
        let text = whole.get(self.start..end)?;
        self.ends
            .iter()
            .all(|&e| text.is_char_boundary(e - self.start))
            .then_some(Text {
                text,
                start: self.start,
                ends: self.ends,
            })
    }
}

/// A record known to be UTF-8, field by field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Text<'a> {
    text: &'a str,
    start: usize,
    ends: &'a [usize],
}

impl<'a> Cells<'a> for Text<'a> {
    fn cell(&self, i: usize) -> Option<&'a str> {
        let to = *self.ends.get(i)? - self.start;
        let from = if i == 0 {
            0
        } else {
            self.ends[i - 1] - self.start
        };
        Some(&self.text[from..to])
    }
}

/// An incremental CSV record parser that keeps its place across pieces of input.
pub(crate) struct RecordParser {
    core: csv_core::Reader,
    /// Between records (where blank lines are skipped).
    at_boundary: bool,
    /// Where the next input byte is.
    next: Mark,
    /// Where the record being read began.
    current: Mark,
    /// At the start of the file, where a UTF-8 BOM is dropped.
    file_start: bool,
    /// `csv_core` drops a BOM only on its first call, which is therefore given one byte: a
    /// BOM-like field in mid-file stays as it is, and the file's BOM is dropped by us.
    called: bool,
    done: bool,
    /// The longest record accepted, in bytes.
    max: usize,
    /// Why the parse stopped early, if it did.
    stop: Option<ParseStop>,
    /// Where the unfinished record's quotes stand.
    quotes: QuoteScan,
}

/// The quoting state of an unfinished record, followed from its start up to `to`.
#[derive(Debug, Clone, Copy)]
struct QuoteScan {
    /// Where the record starts.
    record: u64,
    /// Where the scan stopped.
    to: u64,
    state: QuoteState,
}

/// Where a field's quoting stands, as csv_core reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum QuoteState {
    /// At a field's first byte.
    FieldStart,
    /// In a field that did not start with a quote (quotes in it are literal).
    Unquoted,
    /// In a quoted field.
    Quoted,
    /// Just after a quote in a quoted field: the end of the quotes, or the first of two.
    QuoteInQuoted,
}

impl RecordParser {
    /// A parser at `at`, which must be a record boundary; `file_start`: the start of the file,
    /// where a UTF-8 BOM is dropped.
    pub(crate) fn new(at: Mark, file_start: bool) -> Self {
        RecordParser {
            core: csv_core::Reader::new(),
            at_boundary: true,
            next: at,
            current: at,
            file_start,
            called: false,
            done: false,
            max: MAX_RECORD_BYTES,
            stop: None,
            quotes: QuoteScan {
                record: u64::MAX,
                to: 0,
                state: QuoteState::FieldStart,
            },
        }
    }

    /// The same parser accepting records of at most `max` bytes.
    pub(crate) fn with_max(mut self, max: usize) -> Self {
        self.max = max;
        self
    }

    /// Why the parse stopped before the end (a record too long, a quote never closed): the
    /// parser is then neither at a boundary nor takes more input.
    pub(crate) fn stopped(&self) -> Option<ParseStop> {
        self.stop
    }

    /// True when the record being read is inside a quoted field after the bytes consumed so
    /// far; `orig` is this call's input, starting at `orig_pos`. (csv_core does not say, and
    /// its `Clone` loses the state machine's tables, so the quotes of the unfinished record are
    /// followed here: only bytes of a record still unfinished when a call returns are looked
    /// at, each once.)
    fn scan_quotes(&mut self, orig: &[u8], orig_pos: u64) -> bool {
        if self.quotes.record != self.current.pos {
            self.quotes = QuoteScan {
                record: self.current.pos,
                to: self.current.pos,
                state: QuoteState::FieldStart,
            };
        }
        let from = (self.quotes.to.max(orig_pos) - orig_pos) as usize;
        let to = (self.next.pos - orig_pos) as usize;
        let mut state = self.quotes.state;
        for &b in orig.get(from..to).unwrap_or(&[]) {
            state = match (state, b) {
                (QuoteState::FieldStart, b'"') => QuoteState::Quoted,
                (QuoteState::Quoted, b'"') => QuoteState::QuoteInQuoted,
                (QuoteState::Quoted, _) => QuoteState::Quoted,
                (QuoteState::QuoteInQuoted, b'"') => QuoteState::Quoted,
                (_, b',') => QuoteState::FieldStart,
                (_, b'\n' | b'\r') => QuoteState::FieldStart,
                _ => QuoteState::Unquoted,
            };
        }
        self.quotes.state = state;
        self.quotes.to = self.next.pos;
        state == QuoteState::Quoted
    }

    /// True when everything fed so far ended with a complete record.
    pub(crate) fn at_boundary(&self) -> bool {
        self.at_boundary
    }

    /// Where the incomplete record began (meaningful when not [`at_boundary`](Self::at_boundary)).
    pub(crate) fn pending(&self) -> Mark {
        self.current
    }

    /// Where the next byte fed is.
    pub(crate) fn next_mark(&self) -> Mark {
        self.next
    }

    /// Parses all of `input`, appending complete records to `sink`; with `eof`, also the last
    /// record without a line end.
    pub(crate) fn feed(&mut self, mut input: &[u8], eof: bool, sink: &mut Records) {
        if self.file_start && !input.is_empty() {
            // As csv_core does on its first call (the csv crate's first read holds the BOM).
            if let Some(rest) = input.strip_prefix(b"\xef\xbb\xbf") {
                self.next.pos += 3;
                input = rest;
            }
            self.file_start = false;
        }
        let (orig, orig_pos) = (input, self.next.pos);
        while !self.done {
            // csv_core reads empty input as the end of the file.
            if input.is_empty() && !eof {
                return;
            }
            if self.at_boundary {
                // csv_core skips blank lines too; skipping them here gives the record's line.
                let skip = input
                    .iter()
                    .position(|&b| b != b'\n' && b != b'\r')
                    .unwrap_or(input.len());
                self.next.advance(&input[..skip]);
                input = &input[skip..];
                if input.is_empty() && !eof {
                    return;
                }
                self.current = self.next;
                self.at_boundary = false;
            }
            if eof && input.is_empty() && self.scan_quotes(orig, orig_pos) {
                // csv_core would end the record here, quote and all: a quote opened and never
                // closed swallowed the rest of the file.
                self.stop = Some(ParseStop::Unclosed { at: self.current });
                self.done = true;
                return;
            }
            let take = if self.called {
                input.len()
            } else {
                input.len().min(1)
            };
            self.called = true;
            if sink.out.len() - sink.nout < take + 1 {
                let n = (sink.out.len() * 2).max(sink.nout + take + 64);
                sink.out.resize(n, 0);
            }
            if sink.ends.len() - sink.nend < 2 {
                let n = (sink.ends.len() * 2).max(64);
                sink.ends.resize(n, 0);
            }
            let lines = self.core.line();
            let (res, nin, nout, nend) = self.core.read_record(
                &input[..take],
                &mut sink.out[sink.nout..],
                &mut sink.ends[sink.nend..],
            );
            // csv_core gives ends relative to the record's first output byte.
            for e in &mut sink.ends[sink.nend..sink.nend + nend] {
                *e += sink.cur_start;
            }
            // csv_core counts every LF it reads (its fast path copies no LF).
            self.next.pos += nin as u64;
            self.next.line += self.core.line() - lines;
            input = &input[nin..];
            sink.nout += nout;
            sink.nend += nend;
            // The record's bytes so far (all of them, with its line end, once it is complete):
            // the same test however the input is cut into pieces.
            if res != ReadRecordResult::End && self.next.pos - self.current.pos > self.max as u64 {
                let in_quotes = res != ReadRecordResult::Record && self.scan_quotes(orig, orig_pos);
                self.stop = Some(ParseStop::TooLong {
                    at: self.current,
                    limit: self.max,
                    in_quotes,
                });
                self.done = true;
                return;
            }
            match res {
                ReadRecordResult::InputEmpty if input.is_empty() && !eof => {
                    self.scan_quotes(orig, orig_pos);
                    return;
                }
                ReadRecordResult::InputEmpty
                | ReadRecordResult::OutputFull
                | ReadRecordResult::OutputEndsFull => {}
                ReadRecordResult::Record => {
                    sink.recs.push(Meta {
                        start: sink.cur_start,
                        first_end: sink.cur_first_end,
                        fields: sink.nend - sink.cur_first_end,
                        mark: self.current,
                    });
                    sink.cur_start = sink.nout;
                    sink.cur_first_end = sink.nend;
                    self.at_boundary = true;
                }
                ReadRecordResult::End => {
                    self.at_boundary = true;
                    self.done = true;
                }
            }
        }
    }
}

/// The header row of a target directory, read by the same parser as the rows.
pub(crate) struct HeaderRead {
    /// The header cells.
    pub(crate) header: StringRecord,
    /// Bytes read past the header (the start of the first data record or blank lines).
    pub(crate) rest: Vec<u8>,
    /// Where `rest` starts.
    pub(crate) mark: Mark,
    /// True when the input ended.
    pub(crate) eof: bool,
}

/// Reads into `buf` until it holds `want` more bytes or the input ends; returns false at the end.
pub(crate) fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> io::Result<bool> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut n = start;
    while n < start + want {
        match reader.read(&mut buf[n..]) {
            Ok(0) => {
                buf.truncate(n);
                return Ok(false);
            }
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(n);
                return Err(e);
            }
        }
    }
    Ok(true)
}

/// An I/O error while reading `file`.
pub(crate) fn io_error(file: &Path, e: io::Error) -> crate::Error {
    ErrorKind::Io {
        path: file.to_path_buf(),
        source: e,
    }
    .into()
}

/// The error for a record that is not UTF-8.
pub(crate) fn utf8_error(file: &Path, line: u64, field: usize, at: usize) -> crate::Error {
    ErrorKind::Csv {
        pos: Position::file(file).at_line(Some(line)),
        message: format!(
            "invalid utf-8 in field {} near byte index {at}; the file must be UTF-8 (convert \
             GBK/GB18030 exports, e.g. `iconv -f GB18030 -t UTF-8`)",
            field + 1
        ),
    }
    .into()
}

/// The error for a record whose number of fields differs from the header's.
pub(crate) fn length_error(file: &Path, line: u64, found: usize, header: usize) -> crate::Error {
    ErrorKind::Csv {
        pos: Position::file(file).at_line(Some(line)),
        message: format!(
            "found record with {found} fields, but the previous record has {header} fields"
        ),
    }
    .into()
}

/// [`length_error`] for `rec`, naming a quote that was closed only lines later (the record
/// then spans several lines and has too many fields) for what it is.
pub(crate) fn record_length_error(file: &Path, rec: &Record<'_>, header: usize) -> crate::Error {
    let line = rec.mark.line;
    let breaks: usize = (0..rec.len())
        .map(|i| rec.field(i).iter().filter(|&&b| b == b'\n').count())
        .sum();
    if breaks == 0 || rec.len() <= header {
        return length_error(file, line, rec.len(), header);
    }
    ErrorKind::Csv {
        pos: Position::file(file).at_line(Some(line)),
        message: format!(
            "a quote opened on line {line} is closed only on line {}, so the record runs over \
             {} lines with {} fields where the header has {header}: close the quote on line \
             {line}, or double it (\"\") where it is part of the text",
            line + breaks as u64,
            breaks + 1,
            rec.len()
        ),
    }
    .into()
}

/// Reads the header row from the start of a file. An empty file gives an empty header.
pub(crate) fn read_header(reader: &mut impl Read, file: &Path) -> Result<HeaderRead> {
    let mut parser = RecordParser::new(Mark::START, true).with_max(MAX_HEADER_BYTES);
    let mut recs = Records::with_capacity(4096);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let eof = !fill(reader, &mut buf, 64 * 1024).map_err(|e| io_error(file, e))?;
        // Fed line by line, so that the parse stops at the header's end: the rest belongs to
        // the data chunks.
        let mut fed = 0;
        while fed < buf.len() && recs.is_empty() {
            let end = memchr::memchr2(b'\n', b'\r', &buf[fed..]).map_or(buf.len(), |k| fed + k + 1);
            parser.feed(&buf[fed..end], false, &mut recs);
            fed = end;
        }
        if recs.is_empty() && eof {
            parser.feed(&[], true, &mut recs);
        }
        if let Some(stop) = parser.stopped() {
            return Err(stop.to_error(file, true));
        }
        if !recs.is_empty() {
            let rec = recs.get(0);
            let header = match rec.text() {
                Ok(_) => StringRecord::from_byte_record(ByteRecord::from(
                    (0..rec.len()).map(|i| rec.field(i)).collect::<Vec<_>>(),
                ))
                .unwrap_or_default(),
                Err((field, at)) => return Err(utf8_error(file, rec.mark.line, field, at)),
            };
            return Ok(HeaderRead {
                header,
                rest: buf[fed..].to_vec(),
                mark: parser.next_mark(),
                eof,
            });
        }
        if eof {
            return Ok(HeaderRead {
                header: StringRecord::new(),
                rest: Vec::new(),
                mark: parser.next_mark(),
                eof,
            });
        }
    }
}

/// Reads a directory record by record on one thread: the header, then each record as
/// [`RecordParser`] gives it.
pub(crate) struct SeqReader<R> {
    reader: R,
    file: std::path::PathBuf,
    parser: RecordParser,
    recs: Records,
    next: usize,
    buf: Vec<u8>,
    eof: bool,
    fed_eof: bool,
}

impl<R: Read> SeqReader<R> {
    /// Reads the header; returns the reader and the header cells.
    pub(crate) fn new(mut reader: R, file: &Path) -> Result<(Self, StringRecord)> {
        let head = read_header(&mut reader, file)?;
        let r = SeqReader {
            reader,
            file: file.to_path_buf(),
            parser: RecordParser::new(head.mark, false),
            recs: Records::with_capacity(64 * 1024),
            next: 0,
            buf: head.rest,
            eof: head.eof,
            fed_eof: false,
        };
        Ok((r, head.header))
    }

    /// Bytes of input consumed so far.
    pub(crate) fn bytes(&self) -> u64 {
        self.parser.next_mark().pos
    }

    /// The next record, or `None` at the end.
    pub(crate) fn next_record(&mut self) -> Result<Option<Record<'_>>> {
        while self.next >= self.recs.len() {
            // The records before a stop are given first, as a parse in chunks gives them.
            if let Some(stop) = self.parser.stopped() {
                return Err(stop.to_error(&self.file, false));
            }
            if self.fed_eof {
                return Ok(None);
            }
            self.recs.drain_complete();
            self.next = 0;
            if self.buf.is_empty() && !self.eof {
                self.eof = !fill(&mut self.reader, &mut self.buf, 64 * 1024)
                    .map_err(|e| io_error(&self.file, e))?;
            }
            self.parser.feed(&self.buf, self.eof, &mut self.recs);
            self.fed_eof = self.eof;
            self.buf.clear();
        }
        self.next += 1;
        Ok(Some(self.recs.get(self.next - 1)))
    }
}

/// Piece of the input handed to one parser.
#[derive(Debug)]
pub(crate) struct Chunk {
    /// Where it starts.
    pub(crate) mark: Mark,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
    /// The input ends with it.
    pub(crate) last: bool,
}

/// Cuts input into chunks of about `target` bytes at line breaks outside quotes (a guess the
/// parsers check, see the module documentation).
pub(crate) struct Splitter<R> {
    reader: R,
    buf: Vec<u8>,
    mark: Mark,
    scanned: usize,
    in_quotes: bool,
    /// LFs in `buf[..scanned]`.
    lf: u64,
    eof: bool,
    done: bool,
    target: usize,
}

impl<R: Read> Splitter<R> {
    /// A splitter over `reader`, whose bytes `rest` (already read) start at `mark`.
    pub(crate) fn new(reader: R, rest: Vec<u8>, mark: Mark, eof: bool, target: usize) -> Self {
        Splitter {
            reader,
            buf: rest,
            mark,
            scanned: 0,
            in_quotes: false,
            lf: 0,
            eof,
            done: false,
            target: target.max(1),
        }
    }

    /// The next chunk, or `None` after the last.
    #[cfg(test)]
    pub(crate) fn next_chunk(&mut self) -> io::Result<Option<Chunk>> {
        self.next_chunk_with(&mut Vec::new)
    }

    /// `Splitter::next_chunk`, taking the buffer for the bytes after the cut from `spare`
    /// (a chunk's buffer handed back for reuse).
    pub(crate) fn next_chunk_with(
        &mut self,
        spare: &mut dyn FnMut() -> Vec<u8>,
    ) -> io::Result<Option<Chunk>> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(cut) = self.scan() {
                let mut rest = spare();
                rest.clear();
                rest.extend_from_slice(&self.buf[cut..]);
                self.buf.truncate(cut);
                let bytes = std::mem::replace(&mut self.buf, rest);
                let mark = self.mark;
                self.mark.pos += bytes.len() as u64;
                self.mark.line += std::mem::take(&mut self.lf);
                self.scanned = 0;
                return Ok(Some(Chunk {
                    mark,
                    bytes,
                    last: false,
                }));
            }
            if self.eof {
                self.done = true;
                let bytes = std::mem::take(&mut self.buf);
                let mark = self.mark;
                self.mark.advance(&bytes);
                return Ok(Some(Chunk {
                    mark,
                    bytes,
                    last: true,
                }));
            }
            if self.buf.len() >= self.target + MAX_RECORD_BYTES {
                // No cut where the quote count allows one (a stray `"`, or a quote never
                // closed), or no line end at all: cut anyway, at the last LF if there is one.
                // The cut is a guess like any other (the parsers check it), and a record this
                // long is refused by the parser that reads it from its start: the chunks, and
                // so the memory held, stay bounded.
                let cut = memchr::memrchr(b'\n', &self.buf[self.target..])
                    .map_or(self.buf.len(), |k| self.target + k + 1);
                let mut rest = spare();
                rest.clear();
                rest.extend_from_slice(&self.buf[cut..]);
                self.buf.truncate(cut);
                let bytes = std::mem::replace(&mut self.buf, rest);
                let mark = self.mark;
                self.mark.advance(&bytes);
                self.lf = 0;
                self.scanned = 0;
                self.in_quotes = false;
                return Ok(Some(Chunk {
                    mark,
                    bytes,
                    last: false,
                }));
            }
            let want = self.target.max(64 * 1024);
            self.eof = !fill(&mut self.reader, &mut self.buf, want)?;
        }
    }

    /// The first cut at or after `target` bytes: just after a LF outside quotes, or after a CR
    /// outside quotes that no LF follows (files with CR line ends, which would otherwise be
    /// one chunk). Counts the LFs it passes (in `lf`) for the chunks' line numbers.
    fn scan(&mut self) -> Option<usize> {
        let from = self.scanned;
        for k in memchr::memchr3_iter(b'"', b'\n', b'\r', &self.buf[from..]) {
            let at = from + k;
            match self.buf[at] {
                b'"' => self.in_quotes = !self.in_quotes,
                b'\n' => {
                    self.lf += 1;
                    if !self.in_quotes && at + 1 >= self.target {
                        self.scanned = 0;
                        return Some(at + 1);
                    }
                }
                _ if self.in_quotes || at + 1 < self.target => {}
                _ => match self.buf.get(at + 1) {
                    Some(b'\n') => {}
                    Some(_) => {
                        self.scanned = 0;
                        return Some(at + 1);
                    }
                    // The byte after this CR is not read yet: look again when it is.
                    None => {
                        self.scanned = at;
                        return None;
                    }
                },
            }
        }
        self.scanned = self.buf.len();
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Records as the csv crate reads them (no header, any lengths): the reference.
    fn reference(bytes: &[u8]) -> Vec<Vec<Vec<u8>>> {
        reference_with_marks(bytes).0
    }

    /// The reference records and where each starts: csv's position is where the record's
    /// read began (before blank lines and, at the start, the BOM), so those are skipped.
    fn reference_with_marks(bytes: &[u8]) -> (Vec<Vec<Vec<u8>>>, Vec<Mark>) {
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes);
        let (mut out, mut marks) = (Vec::new(), Vec::new());
        let mut rec = csv::ByteRecord::new();
        while rdr.read_byte_record(&mut rec).unwrap() {
            out.push(rec.iter().map(<[u8]>::to_vec).collect());
            let mut pos = rec.position().unwrap().byte() as usize;
            if pos == 0 && bytes.starts_with(b"\xef\xbb\xbf") {
                pos = 3;
            }
            while pos < bytes.len() && (bytes[pos] == b'\n' || bytes[pos] == b'\r') {
                pos += 1;
            }
            let line = 1 + bytes[..pos].iter().filter(|&&b| b == b'\n').count() as u64;
            marks.push(Mark {
                pos: pos as u64,
                line,
            });
        }
        (out, marks)
    }

    fn fields(recs: &Records) -> Vec<Vec<Vec<u8>>> {
        (0..recs.len())
            .map(|i| {
                let r = recs.get(i);
                (0..r.len()).map(|k| r.field(k).to_vec()).collect()
            })
            .collect()
    }

    /// Our parser fed in pieces cut at `cuts`.
    fn pieces(bytes: &[u8], cuts: &[usize]) -> (Vec<Vec<Vec<u8>>>, Vec<Mark>, bool) {
        let mut p = RecordParser::new(Mark::START, true);
        let mut recs = Records::with_capacity(16);
        let mut at = 0;
        // The file's first piece holds its first three bytes (as every reader here ensures),
        // so that a BOM is seen whole.
        let mut cuts: Vec<usize> = cuts
            .iter()
            .map(|c| (c % (bytes.len() + 1)).max(3.min(bytes.len())))
            .collect();
        cuts.sort_unstable();
        for c in cuts {
            p.feed(&bytes[at..c.max(at)], false, &mut recs);
            at = c.max(at);
        }
        p.feed(&bytes[at..], true, &mut recs);
        let marks = (0..recs.len()).map(|i| recs.get(i).mark).collect();
        let unclosed = matches!(p.stopped(), Some(ParseStop::Unclosed { .. }));
        (fields(&recs), marks, unclosed)
    }

    /// Splitter chunks, each parsed by a fresh parser, re-read sequentially from the first
    /// chunk that does not end on a boundary: what the streaming draw does.
    fn chunked(bytes: &[u8], target: usize) -> (Vec<Vec<Vec<u8>>>, Vec<Mark>) {
        let mut p = RecordParser::new(Mark::START, true);
        let mut head = Records::with_capacity(16);
        // The first record stands in for the header.
        let mut first = 0;
        while head.is_empty() && first < bytes.len() {
            let step = if first == 0 && bytes.starts_with(b"\xef\xbb\xbf") {
                3
            } else {
                1
            };
            p.feed(&bytes[first..first + step], false, &mut head);
            first += step;
        }
        if head.is_empty() {
            p.feed(&[], true, &mut head);
        }
        let mut out = fields(&head);
        let mut marks: Vec<Mark> = (0..head.len()).map(|i| head.get(i).mark).collect();
        let mut s = Splitter::new(&bytes[first..], Vec::new(), p.next_mark(), false, target);
        let mut resync: Option<(RecordParser, Records)> = None;
        while let Some(c) = s.next_chunk().unwrap() {
            if let Some((mut rp, mut recs)) = resync.take() {
                rp.feed(&c.bytes, c.last, &mut recs);
                out.extend(fields(&recs));
                marks.extend((0..recs.len()).map(|i| recs.get(i).mark));
                recs.drain_complete();
                if !rp.at_boundary() {
                    resync = Some((rp, recs));
                }
                continue;
            }
            let mut cp = RecordParser::new(c.mark, false);
            let mut recs = Records::with_capacity(c.bytes.len());
            cp.feed(&c.bytes, c.last, &mut recs);
            out.extend(fields(&recs));
            marks.extend((0..recs.len()).map(|i| recs.get(i).mark));
            if !cp.at_boundary() {
                let m = cp.pending();
                let mut rp = RecordParser::new(m, false);
                let mut rest = Records::with_capacity(16);
                rp.feed(&c.bytes[(m.pos - c.mark.pos) as usize..], c.last, &mut rest);
                out.extend(fields(&rest));
                marks.extend((0..rest.len()).map(|i| rest.get(i).mark));
                rest.drain_complete();
                resync = Some((rp, rest));
            }
        }
        (out, marks)
    }

    fn csvish() -> impl Strategy<Value = Vec<u8>> {
        let atom = prop_oneof![
            Just(b"a".to_vec()),
            Just("甲".as_bytes().to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\"\"".to_vec()),
            Just(b",".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"\r".to_vec()),
            Just(b" ".to_vec()),
            Just(b"\xef\xbb\xbf".to_vec()),
            Just(b"\xff".to_vec()),
        ];
        prop::collection::vec(atom, 0..80).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(600))]
        /// Any bytes at all, cut anywhere: the same records as the csv crate, at the places
        /// where they start.
        #[test]
        fn same_records_as_csv_crate(
            bytes in csvish(),
            cuts in prop::collection::vec(0usize..200, 0..6),
            target in 1usize..40,
        ) {
            let (mut want, mut want_marks) = reference_with_marks(&bytes);
            // The csv crate ends a quote never closed at the end of the file, taking the rest
            // of the file into the field; a line end added would then join the field.
            let mut closed = bytes.clone();
            closed.push(b'\n');
            let unclosed = reference(&closed) != want;
            if unclosed {
                want.pop();
                want_marks.pop();
            }
            let (got, marks, stop) = pieces(&bytes, &cuts);
            prop_assert_eq!(stop, unclosed);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&marks, &want_marks);
            let (got, marks) = chunked(&bytes, target);
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(&marks, &want_marks);
        }
    }

    #[test]
    fn cr_line_ends_are_cut_too() {
        let bytes = b"h\ra,b\rc,d\re,f\r".repeat(50);
        let mut s = Splitter::new(&bytes[2..], Vec::new(), Mark { pos: 2, line: 1 }, false, 16);
        let mut chunks = 0;
        while s.next_chunk().unwrap().is_some() {
            chunks += 1;
        }
        assert!(chunks > 10, "{chunks} chunks");
        assert_eq!(chunked(&bytes, 16).0, reference(&bytes));
    }

    #[test]
    fn a_quote_inside_an_unquoted_field_fools_the_cut_and_is_caught() {
        // `b"c` is literal; the quoted field after it holds a line break, which the quote
        // count takes for a record end.
        let bytes = b"h\na,b\"c\nd,\"e\nf\"\ng,h\n";
        let mut s = Splitter::new(&bytes[2..], Vec::new(), Mark { pos: 2, line: 2 }, false, 1);
        let mut unfinished = 0;
        while let Some(c) = s.next_chunk().unwrap() {
            let mut p = RecordParser::new(c.mark, false);
            let mut recs = Records::with_capacity(16);
            p.feed(&c.bytes, c.last, &mut recs);
            unfinished += usize::from(!p.at_boundary());
        }
        assert!(unfinished > 0, "the test must exercise the re-read");
        assert_eq!(chunked(bytes, 1).0, reference(bytes));
    }

    /// The record limit is the same however the input is cut: a record of `MAX_RECORD_BYTES`
    /// (line end included) passes, one byte more stops the parse at its line, fed whole or in
    /// pieces; the splitter's chunks stay bounded on a line that never ends.
    #[test]
    fn record_limit_does_not_depend_on_the_cuts() {
        for (len, stops) in [(MAX_RECORD_BYTES - 1, false), (MAX_RECORD_BYTES, true)] {
            let mut bytes = b"h\n".to_vec();
            bytes.extend(std::iter::repeat_n(b'a', len));
            bytes.extend_from_slice(b"\nb\n");
            for cuts in [vec![], vec![5, 70_000, 1_000_000]] {
                let mut p = RecordParser::new(Mark::START, true);
                let mut recs = Records::with_capacity(16);
                let mut at = 0;
                for c in cuts.iter().copied().chain([bytes.len()]) {
                    p.feed(&bytes[at..c], c == bytes.len(), &mut recs);
                    at = c;
                }
                let want = stops.then_some(ParseStop::TooLong {
                    at: Mark { pos: 2, line: 2 },
                    limit: MAX_RECORD_BYTES,
                    in_quotes: false,
                });
                assert_eq!(p.stopped(), want, "{len} bytes, cuts {cuts:?}");
                assert_eq!(recs.len(), if stops { 1 } else { 3 }, "{len}, {cuts:?}");
            }
        }
        let endless = std::io::Read::take(std::io::repeat(b'x'), 8 * MAX_RECORD_BYTES as u64);
        let mut s = Splitter::new(endless, Vec::new(), Mark::START, false, 1024);
        while let Some(c) = s.next_chunk().unwrap() {
            assert!(
                c.bytes.len() <= 1024 + MAX_RECORD_BYTES + (64 << 10),
                "{}",
                c.bytes.len()
            );
        }
    }
}
