//! Sorting a target directory by id in bounded memory (external merge sort), so that any
//! directory can be streamed.
//!
//! Rows are read as raw CSV records, collected up to a memory budget, sorted by id (byte order
//! of the trimmed id cell; rows with equal ids keep their input order) and spilled to temporary
//! run files, which are then merged. Row contents are passed through unchanged.

use std::cell::Cell;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{Read, Write};
use std::path::Path;
use std::rc::Rc;

use csv::{ByteRecord, ReaderBuilder, WriterBuilder};

use crate::directory::rows::MAX_RECORD_BYTES;
use crate::directory::target_id_column;
use crate::error::{ErrorKind, Result};

/// Options of [`sort_targets`].
#[derive(Debug, Clone)]
pub struct SortOptions {
    /// Approximate bytes of rows held in memory at once (default 128 MiB; peak resident memory
    /// is about twice this).
    pub memory: usize,
    /// Where run files go (default: the system's temporary directory).
    pub tmp_dir: Option<std::path::PathBuf>,
}

impl Default for SortOptions {
    fn default() -> Self {
        SortOptions {
            memory: 128 << 20,
            tmp_dir: None,
        }
    }
}

/// What [`sort_targets`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortStats {
    /// Data rows sorted.
    pub rows: u64,
    /// Sorted runs spilled to disk (0 when everything fit in memory).
    pub runs: u64,
}

impl std::fmt::Display for SortStats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sorted {} rows ({} runs spilled to disk)",
            self.rows, self.runs
        )
    }
}

/// The marker error of [`Bounded`].
#[derive(Debug)]
struct TooLong;

impl std::fmt::Display for TooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("record too long")
    }
}

impl std::error::Error for TooLong {}

/// Reads at most [`MAX_RECORD_BYTES`] (plus the csv reader's read-ahead) past the start of the
/// record being read, given as (byte offset, line) in `start`.
struct Bounded<R> {
    inner: R,
    read: u64,
    start: Rc<Cell<(u64, u64)>>,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // The csv reader's buffer is 8 KiB; 64 KiB leaves room for it.
        let allowed = self.start.get().0 + (MAX_RECORD_BYTES as u64) + (64 << 10);
        let room = allowed.saturating_sub(self.read);
        if room == 0 {
            return Err(std::io::Error::other(TooLong));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}

fn key(rec: &ByteRecord, idx: usize) -> &[u8] {
    rec.get(idx).unwrap_or(b"").trim_ascii()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> crate::Error + '_ {
    move |source| {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> crate::Error + '_ {
    move |e| {
        ErrorKind::Csv {
            pos: crate::Position {
                file: path.to_path_buf(),
                line: e.position().map(|p| p.line()),
                field: None,
            },
            message: e.to_string(),
        }
        .into()
    }
}

/// Sorts a target directory CSV by id. `file` names the input in errors.
///
/// # Errors
///
/// [`ErrorKind::MissingColumn`] or [`ErrorKind::DuplicateColumn`] for a header without a single id
/// column; [`ErrorKind::Csv`] for a malformed row of the input (naming `file` and the line), or
/// when writing the output or a temporary run fails; [`ErrorKind::Io`] when the temporary directory
/// or a run file cannot be created, read or flushed, or the output cannot be flushed.
///
/// ```
/// let input = "id,name,region,domains,status\n\
///              91120116MA05JKLM8J,乙,120116,无线电,active\n\
///              9144030071526726XG,甲,440300,无线电,active\n";
/// let mut out = Vec::new();
/// dualdraw::sort::sort_targets(input.as_bytes(), "in.csv".as_ref(), &mut out, &Default::default())?;
/// assert!(String::from_utf8(out).unwrap().lines().nth(1).unwrap().starts_with("91120116"));
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub fn sort_targets(
    input: impl Read,
    file: &Path,
    output: impl Write,
    opts: &SortOptions,
) -> Result<SortStats> {
    // Where the record being read starts: the csv reader holds a whole record in memory, so
    // the input is cut off once it runs more than the directory readers' limit past it.
    let start = Rc::new(Cell::new((0u64, 1u64)));
    let input = Bounded {
        inner: input,
        read: 0,
        start: Rc::clone(&start),
    };
    let mut rdr = ReaderBuilder::new().has_headers(true).from_reader(input);
    let read_err = |e: csv::Error| match e.kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|r| r.is::<TooLong>()) => {
            ErrorKind::Csv {
                pos: crate::Position::file(file).at_line(Some(start.get().1)),
                message: format!(
                    "the record starting on line {} is longer than {} MiB, the most allowed (a \
                     line that never ends, a quote never closed, or not a CSV file?)",
                    start.get().1,
                    MAX_RECORD_BYTES >> 20
                ),
            }
            .into()
        }
        _ => csv_err(file)(e),
    };
    let header = rdr.byte_headers().map_err(&read_err)?.clone();
    start.set((rdr.position().byte(), rdr.position().line()));
    let idx = target_id_column(file, &header)?;
    let out_path = Path::new("<output>");
    let mut w = WriterBuilder::new().from_writer(output);
    w.write_byte_record(&header).map_err(csv_err(out_path))?;

    let tmp = crate::io::spill_dir(opts.tmp_dir.as_deref())?;
    let mut runs: Vec<std::path::PathBuf> = Vec::new();
    let mut buf: Vec<ByteRecord> = Vec::new();
    let mut used = 0usize;
    let mut rows = 0u64;
    let mut rec = ByteRecord::new();
    let spill = |buf: &mut Vec<ByteRecord>, runs: &mut Vec<std::path::PathBuf>| -> Result<()> {
        buf.sort_by(|a, b| key(a, idx).cmp(key(b, idx)));
        let p = tmp.path().join(format!("run-{}.csv", runs.len()));
        let f = std::fs::File::create(&p).map_err(io_err(&p))?;
        let mut rw = WriterBuilder::new().from_writer(std::io::BufWriter::new(f));
        for r in buf.drain(..) {
            rw.write_byte_record(&r).map_err(csv_err(&p))?;
        }
        rw.flush().map_err(io_err(&p))?;
        runs.push(p);
        Ok(())
    };
    while rdr.read_byte_record(&mut rec).map_err(&read_err)? {
        start.set((rdr.position().byte(), rdr.position().line()));
        rows += 1;
        // Bytes of the row plus the record's own bookkeeping.
        used += rec.as_slice().len() + 8 * rec.len() + 96;
        buf.push(std::mem::take(&mut rec));
        if used >= opts.memory {
            spill(&mut buf, &mut runs)?;
            used = 0;
        }
    }
    let stats = SortStats {
        rows,
        runs: runs.len() as u64,
    };
    if runs.is_empty() {
        buf.sort_by(|a, b| key(a, idx).cmp(key(b, idx)));
        for r in &buf {
            w.write_byte_record(r).map_err(csv_err(out_path))?;
        }
    } else {
        if !buf.is_empty() {
            spill(&mut buf, &mut runs)?;
        }
        drop(buf);
        let mut readers = Vec::new();
        for p in &runs {
            let f = std::fs::File::open(p).map_err(io_err(p))?;
            readers.push(
                ReaderBuilder::new()
                    .has_headers(false)
                    .from_reader(std::io::BufReader::with_capacity(1 << 16, f)),
            );
        }
        // Heap of (key, run index) with each run's current record; the run index breaks ties
        // so equal ids keep input order.
        let mut current: Vec<ByteRecord> = vec![ByteRecord::new(); readers.len()];
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if r.read_byte_record(&mut current[i])
                .map_err(csv_err(&runs[i]))?
            {
                heap.push(Reverse((key(&current[i], idx).to_vec(), i)));
            }
        }
        while let Some(Reverse((_, i))) = heap.pop() {
            w.write_byte_record(&current[i])
                .map_err(csv_err(out_path))?;
            if readers[i]
                .read_byte_record(&mut current[i])
                .map_err(csv_err(&runs[i]))?
            {
                heap.push(Reverse((key(&current[i], idx).to_vec(), i)));
            }
        }
    }
    w.flush().map_err(io_err(out_path))?;
    Ok(stats)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_sort_matches_in_memory_sort() {
        let mut generated = Vec::new();
        crate::synth::targets(&mut generated, 3_000, 5).unwrap();
        let text = String::from_utf8(generated).unwrap();
        let mut lines: Vec<&str> = text.lines().collect();
        let header = lines.remove(0);
        // Reverse and interleave to make the input unsorted.
        lines.reverse();
        let (a, b) = lines.split_at(lines.len() / 2);
        let mixed: Vec<&str> = a.iter().zip(b).flat_map(|(x, y)| [*x, *y]).collect();
        let input = format!("{header}\n{}\n", mixed.join("\n"));
        let mut small = Vec::new();
        let st = sort_targets(
            input.as_bytes(),
            "in".as_ref(),
            &mut small,
            &SortOptions {
                memory: 20_000,
                tmp_dir: None,
            },
        )
        .unwrap();
        assert!(st.runs > 5, "{st:?}");
        let mut big = Vec::new();
        let st = sort_targets(
            input.as_bytes(),
            "in".as_ref(),
            &mut big,
            &SortOptions::default(),
        )
        .unwrap();
        assert_eq!(st.runs, 0);
        assert_eq!(small, big);
        assert_eq!(String::from_utf8(small).unwrap(), text);
    }

    /// A line that never ends is refused once it passes the record limit, with its line, in
    /// bounded memory (the input here is endless).
    #[test]
    fn an_endless_record_is_refused_at_the_limit() {
        let mut head = Vec::new();
        crate::synth::targets(&mut head, 1, 5).unwrap();
        head.extend_from_slice(b"\"");
        let input = std::io::Read::chain(&head[..], std::io::repeat(b'x'));
        let e = sort_targets(
            input,
            "big.csv".as_ref(),
            std::io::sink(),
            &SortOptions::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("big.csv"), "{e}");
        assert!(e.contains("starting on line 3 is longer than 1 MiB"), "{e}");
    }
}
