//! The streaming draw's threads: the input cut into chunks, parsed and hashed on every core,
//! and merged in input order into a [`StreamSelector`](super::StreamSelector).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::directory::rows::{self, Chunk, Mark, RecordParser, Records, Splitter};
use crate::directory::{TargetFormat, Warning};
use crate::error::{ErrorKind, Result};
use crate::merkle::{Hash, leaf_hash};
use crate::plan::Plan;
use crate::pool;
use crate::target::TicketHasher;

/// A candidate: ordered by ticket, then id.
use super::stream::*;

/// Streams a target directory (sorted by id) through a [`StreamSelector`], parsing on every
/// core the machine has. `progress` is called about every 65,536 rows and once at the end.
///
/// The result is a function of the records alone: [`select_stream_with`] with `parallel` false
/// gives the same bytes (tested).
///
/// # Errors
///
/// A CSV or field error with its line, an id out of order (`ErrorKind::Unsorted`), an I/O
/// error of the reader, and the plan errors of a sample that cannot be drawn.
pub fn select_stream(
    reader: impl Read + Send,
    file: &Path,
    plan: &Plan,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Streamed> {
    let parallel = pool::threads() > 1;
    select_stream_with(reader, file, plan, seed, progress, parallel)
}

/// Bytes per chunk: large enough that handing a chunk between threads costs nothing, small
/// enough that a few chunks in flight stay within a few MiB.
const CHUNK: usize = 256 * 1024;

/// What the parsing threads need: the row format, the plan and each task's ticket hasher.
struct Ctx<'p> {
    format: TargetFormat,
    plan: &'p Plan,
    hashers: Vec<TicketHasher>,
    /// Buffers handed back by the caller's thread: reusing them spares every chunk the page
    /// faults of fresh memory.
    spare: Pool<Records>,
    parts: Pool<Part>,
    bytes: Pool<Vec<u8>>,
}

/// Buffers for reuse, shared by the threads.
struct Pool<T>(std::sync::Mutex<Vec<T>>);

impl<T> Pool<T> {
    fn new() -> Self {
        Pool(std::sync::Mutex::new(Vec::new()))
    }

    fn get(&self) -> Option<T> {
        self.0.lock().ok()?.pop()
    }

    fn put(&self, t: T) {
        if let Ok(mut v) = self.0.lock() {
            v.push(t);
            // Every buffer handed back was handed out: at most the chunks in flight wait here.
            // Tests stream thousands of tiny chunks, so a leak trips this.
            debug_assert!(v.len() < 256, "a buffer pool grows without bound");
        }
    }
}

/// One parsed row: its id, Merkle leaf and index in its [`Records`].
struct RowOut {
    id: [u8; 18],
    leaf: Hash,
    rec: u32,
    supplied: crate::directory::Supplied,
}

/// Rows of a run of records, parsed, validated and hashed.
#[derive(Default)]
struct Part {
    rows: Vec<RowOut>,
    /// `rows.len() × tasks` standings, row by row.
    hits: Vec<Hit>,
    warnings: Vec<Warning>,
    /// The first error, after the rows before it.
    error: Option<crate::Error>,
}

/// A chunk after a worker's pass.
struct ChunkOut {
    chunk: Chunk,
    recs: Records,
    part: Part,
    /// Set when the chunk did not end on a record boundary: where the unfinished record began.
    unfinished: Option<Mark>,
}

impl Ctx<'_> {
    /// Validates and hashes records `from..` of `recs` into a [`Part`], stopping at the first
    /// error.
    fn process(&self, recs: &Records, from: usize) -> Part {
        let tasks = self.plan.tasks.len();
        let n = recs.len().saturating_sub(from);
        let mut part = self.parts.get().unwrap_or_default();
        part.rows.clear();
        part.hits.clear();
        part.warnings.clear();
        part.error = None;
        part.rows.reserve(n);
        part.hits.reserve(n * tasks);
        let mut canon = Vec::with_capacity(256);
        let whole = recs.whole_text();
        for i in from..recs.len() {
            let rec = recs.get(i);
            if rec.is_blank() {
                continue;
            }
            let v = match self.format.view_in(&rec, whole, &mut part.warnings) {
                Ok(v) => v,
                Err(e) => {
                    part.error = Some(e);
                    break;
                }
            };
            canon.clear();
            v.canonical_into(&mut canon);
            let fields = EnterpriseFields {
                id: v.id,
                region: v.region,
                domains: &v.domains,
                status: v.status,
                credit_class: v.credit_class,
                last_inspected: v.last_inspected,
            };
            for (task, h) in self.plan.tasks.iter().zip(&self.hashers) {
                part.hits.push(hit(self.plan, task, h, &fields));
            }
            let mut id = [0u8; 18];
            // A valid code is 18 ASCII characters (directory::uscc).
            id.copy_from_slice(&v.id.as_bytes()[..18]);
            part.rows.push(RowOut {
                id,
                leaf: leaf_hash(&canon),
                rec: i as u32,
                supplied: crate::directory::Supplied::of_enterprise(
                    v.credit_class.is_some(),
                    v.last_inspected.is_some(),
                ),
            });
        }
        part
    }

    /// A worker's pass over one chunk.
    fn chunk(&self, chunk: Chunk) -> ChunkOut {
        let mut parser = RecordParser::new(chunk.mark, false);
        let mut recs = match self.spare.get() {
            Some(mut r) => {
                r.clear();
                r
            }
            None => Records::with_capacity(chunk.bytes.len()),
        };
        parser.feed(&chunk.bytes, chunk.last, &mut recs);
        let unfinished = (!parser.at_boundary()).then(|| parser.pending());
        let part = self.process(&recs, 0);
        ChunkOut {
            chunk,
            recs,
            part,
            unfinished,
        }
    }
}

/// The calling thread's side: takes chunks in input order.
struct Merger<'a, 'p> {
    ctx: &'a Ctx<'p>,
    sel: StreamSelector<'p>,
    warnings: Vec<Warning>,
    /// Reading sequentially since a chunk did not end on a record boundary.
    resync: Option<(RecordParser, Records)>,
    rows: u64,
    bytes: u64,
}

impl Merger<'_, '_> {
    fn merge(&mut self, recs: &Records, part: &mut Part) -> Result<()> {
        let tasks = self.ctx.plan.tasks.len();
        let mut scratch = Vec::new();
        for (k, row) in part.rows.iter().enumerate() {
            let rec = recs.get(row.rec as usize);
            // Rows are validated: the id is ASCII.
            let id = std::str::from_utf8(&row.id).unwrap_or_default();
            let ctx = self.ctx;
            self.sel.push_parts(
                id,
                rec.mark.line,
                row.leaf,
                &part.hits[k * tasks..(k + 1) * tasks],
                row.supplied,
                &mut || {
                    scratch.clear();
                    Ok(ctx.format.view(&rec, &mut scratch)?.to_enterprise())
                },
            )?;
        }
        self.rows += part.rows.len() as u64;
        self.warnings.append(&mut part.warnings);
        match part.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Takes the next chunk in input order.
    fn take(&mut self, mut out: ChunkOut) -> Result<()> {
        self.bytes = out.chunk.mark.pos + out.chunk.bytes.len() as u64;
        if let Some((parser, recs)) = self.resync.take() {
            // This chunk's own parse started at a guessed place: read its bytes on.
            self.read_on(parser, recs, &out.chunk.bytes, out.chunk.last)?;
            self.recycle(out);
            return Ok(());
        }
        let mut part = std::mem::take(&mut out.part);
        self.merge(&out.recs, &mut part)?;
        self.ctx.parts.put(part);
        if let Some(mark) = out.unfinished {
            // Read on from the unfinished record's start, a true record boundary. (A chunk's
            // own parse also stops at a record too long or a quote never closed: this parse,
            // from a known boundary, is the one that reports it.)
            let parser = RecordParser::new(mark, false);
            let recs = Records::with_capacity(64 * 1024);
            let from = (mark.pos - out.chunk.mark.pos) as usize;
            self.read_on(parser, recs, &out.chunk.bytes[from..], out.chunk.last)?;
        }
        self.recycle(out);
        Ok(())
    }

    /// Feeds `bytes` to the sequential parser, merges the records it completes, and keeps it
    /// while it is not at a record boundary.
    fn read_on(
        &mut self,
        mut parser: RecordParser,
        mut recs: Records,
        bytes: &[u8],
        last: bool,
    ) -> Result<()> {
        parser.feed(bytes, last, &mut recs);
        let mut part = self.ctx.process(&recs, 0);
        self.merge(&recs, &mut part)?;
        if let Some(stop) = parser.stopped() {
            return Err(stop.to_error(&self.ctx.format.file, false));
        }
        recs.drain_complete();
        if !parser.at_boundary() {
            self.resync = Some((parser, recs));
        }
        Ok(())
    }

    /// Hands a chunk's buffers back. A part already taken (empty, without memory) is not
    /// pooled: the pool would hand it out first and keep every full one.
    fn recycle(&self, out: ChunkOut) {
        self.ctx.spare.put(out.recs);
        if out.part.rows.capacity() > 0 {
            self.ctx.parts.put(out.part);
        }
        self.ctx.bytes.put(out.chunk.bytes);
    }
}

/// Whose turn it is to merge, and the chunks waiting for it.
struct Turn<'a, 'p> {
    ready: BTreeMap<u64, Result<ChunkOut>>,
    /// The next chunk to merge, in input order.
    next: u64,
    /// A thread is merging (it will also take what others leave in `ready`).
    merging: bool,
    /// Set at the last chunk or the first error: everyone stops.
    stop: bool,
    error: Option<crate::Error>,
    merger: Option<Merger<'a, 'p>>,
}

/// The parallel pass: every thread (the caller's included) takes the next chunk from the
/// splitter, parses and hashes it, leaves the result, and, if nobody is merging, merges every
/// result that is next in input order. Merging is about a sixth of the work, so no thread is
/// set aside for it; at most `4 × workers` chunks wait at any time.
fn parallel_pass<'a, 'p, R: Read + Send>(
    ctx: &'a Ctx<'p>,
    m: Merger<'a, 'p>,
    splitter: &mut Splitter<R>,
    workers: usize,
    io: &(dyn Fn(std::io::Error) -> crate::Error + Sync),
    progress: &mut dyn FnMut(Progress),
) -> Result<Merger<'a, 'p>> {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Condvar, Mutex};
    let source = Mutex::new((splitter, 0u64, false));
    let turn = Mutex::new(Turn {
        ready: BTreeMap::new(),
        next: 0,
        merging: false,
        stop: false,
        error: None,
        merger: Some(m),
    });
    let room = Condvar::new();
    let (rows, bytes) = (AtomicU64::new(0), AtomicU64::new(0));
    let ahead = 4 * workers as u64;
    // One thread's loop; `report` is called after each chunk (the caller's thread reports
    // progress from it).
    let work = |report: &mut dyn FnMut()| {
        loop {
            let (seq, chunk) = {
                let Ok(mut src) = source.lock() else { return };
                if src.2 {
                    return;
                }
                // Do not run too far ahead of the merge.
                let seq = src.1;
                {
                    let Ok(mut t) = turn.lock() else { return };
                    while !t.stop && seq >= t.next + ahead {
                        t = match room.wait(t) {
                            Ok(t) => t,
                            Err(_) => return,
                        };
                    }
                    if t.stop {
                        return;
                    }
                }
                src.1 += 1;
                let next = src
                    .0
                    .next_chunk_with(&mut || ctx.bytes.get().unwrap_or_default());
                let chunk = match next {
                    Ok(Some(c)) => {
                        src.2 = c.last;
                        Ok(c)
                    }
                    Ok(None) => {
                        src.2 = true;
                        return;
                    }
                    Err(e) => {
                        src.2 = true;
                        Err(io(e))
                    }
                };
                (seq, chunk)
            };
            let out = chunk.map(|c| ctx.chunk(c));
            let Ok(mut t) = turn.lock() else { return };
            t.ready.insert(seq, out);
            if !t.merging && !t.stop {
                t.merging = true;
                let mut m = t.merger.take();
                loop {
                    let next = t.next;
                    let Some(out) = t.ready.remove(&next) else {
                        break;
                    };
                    drop(t);
                    let r = match (&mut m, out) {
                        (Some(m), Ok(out)) => {
                            let last = out.chunk.last;
                            let r = m.take(out).map(|()| last);
                            rows.store(m.rows, Ordering::Relaxed);
                            bytes.store(m.bytes, Ordering::Relaxed);
                            r
                        }
                        (_, Err(e)) => Err(e),
                        (None, Ok(_)) => Ok(true),
                    };
                    t = match turn.lock() {
                        Ok(t) => t,
                        Err(_) => return,
                    };
                    t.next += 1;
                    room.notify_all();
                    match r {
                        Ok(false) => {}
                        Ok(true) => t.stop = true,
                        Err(e) => {
                            t.error = Some(e);
                            t.stop = true;
                        }
                    }
                    if t.stop {
                        break;
                    }
                }
                t.merger = m;
                t.merging = false;
                if t.stop {
                    room.notify_all();
                }
            }
            drop(t);
            report();
        }
    };
    // The caller's thread reports progress; the others only work.
    let mut reported = 0u64;
    pool::run(
        workers - 1,
        || work(&mut || {}),
        || {
            work(&mut || {
                let n = rows.load(Ordering::Relaxed);
                if n / 65_536 != reported / 65_536 {
                    reported = n;
                    progress(Progress {
                        rows: n,
                        bytes: bytes.load(Ordering::Relaxed),
                    });
                }
            })
        },
    );
    let t = turn.into_inner().map_err(|_| poisoned())?;
    if let Some(e) = t.error {
        return Err(e);
    }
    t.merger.ok_or_else(poisoned)
}

/// A thread of the pass panicked (never expected): reported, not re-raised.
fn poisoned() -> crate::Error {
    ErrorKind::Io {
        path: PathBuf::from("<stream>"),
        source: std::io::Error::other("a thread of the streaming draw failed"),
    }
    .into()
}

/// [`select_stream`] with the choice of threads explicit: with `parallel`, one thread reads
/// and cuts the input, one worker per core parses, validates and hashes chunks, and the
/// caller's thread takes them in input order.
///
/// # Errors
///
/// Those of [`select_stream`].
pub fn select_stream_with(
    reader: impl Read + Send,
    file: &Path,
    plan: &Plan,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
    parallel: bool,
) -> Result<Streamed> {
    select_stream_chunked(reader, file, plan, seed, progress, parallel, CHUNK)
}

/// [`select_stream_with`] with the chunk size explicit (tests use tiny chunks to put chunk
/// boundaries everywhere).
///
/// # Errors
///
/// Those of [`select_stream`].
#[doc(hidden)]
pub fn select_stream_chunked(
    mut reader: impl Read + Send,
    file: &Path,
    plan: &Plan,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
    parallel: bool,
    chunk_bytes: usize,
) -> Result<Streamed> {
    let head = rows::read_header(&mut reader, file)?;
    let format = TargetFormat::new(file, head.header, Some(plan.inspection_date))?;
    let sel = StreamSelector::new(plan, seed, file)?;
    let ctx = Ctx {
        format,
        plan,
        hashers: sel.tasks.iter().map(|t| t.hasher.clone()).collect(),
        spare: Pool::new(),
        parts: Pool::new(),
        bytes: Pool::new(),
    };
    let mut splitter = Splitter::new(reader, head.rest, head.mark, head.eof, chunk_bytes);
    let m = Merger {
        ctx: &ctx,
        sel,
        warnings: Vec::new(),
        resync: None,
        rows: 0,
        bytes: 0,
    };
    let io = |e| rows::io_error(file, e);
    let m = if parallel {
        let workers = pool::threads().clamp(2, 8);
        parallel_pass(&ctx, m, &mut splitter, workers, &io, progress)?
    } else {
        let mut m = m;
        while let Some(chunk) = splitter
            .next_chunk_with(&mut || ctx.bytes.get().unwrap_or_default())
            .map_err(io)?
        {
            let before = m.rows;
            let last = chunk.last;
            m.take(ctx.chunk(chunk))?;
            if before / 65_536 != m.rows / 65_536 {
                progress(Progress {
                    rows: m.rows,
                    bytes: m.bytes,
                });
            }
            if last {
                break;
            }
        }
        m
    };
    let bytes = m.bytes;
    let warnings = m.warnings;
    let (selections, digest) = m.sel.finish()?;
    progress(Progress {
        rows: digest.count,
        bytes,
    });
    Ok(Streamed {
        selections,
        digest,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes, then a read error: both passes stop with the I/O error naming the file, and
    /// neither hangs.
    struct Failing(Vec<u8>, usize);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 >= self.0.len() {
                return Err(std::io::Error::other("disk gone"));
            }
            let n = buf.len().min(self.0.len() - self.1).min(4096);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    #[test]
    fn a_read_error_mid_stream_is_reported() {
        let plan = Plan::from_toml(
            r#"
            id = "P"
            title = "t"
            inspection_date = "2020-10-20"
            targets = "t.csv"
            officers = "o.csv"
            [[task]]
            id = "radio"
            domain = "无线电"
            item = { name = "n", basis = "b" }
            sample = { count = 5 }
            team = { size = 2 }
            "#,
            "plan.toml".as_ref(),
        )
        .unwrap();
        let mut data = Vec::new();
        crate::synth::targets(&mut data, 20_000, 3).unwrap();
        for parallel in [false, true] {
            let e = select_stream_chunked(
                Failing(data.clone(), 0),
                "t.csv".as_ref(),
                &plan,
                "s",
                &mut |_| {},
                parallel,
                8 * 1024,
            )
            .unwrap_err();
            assert!(
                matches!(e.kind(), ErrorKind::Io { path, .. } if path == Path::new("t.csv")),
                "{e}"
            );
            assert!(e.to_string().contains("disk gone"), "{e}");
        }
    }

    /// Records pushed one by one through the public selector give what the chunked pass gives.
    #[test]
    fn pushing_records_equals_the_chunked_pass() {
        let plan = Plan::from_toml(
            r#"
            id = "P"
            title = "t"
            inspection_date = "2020-10-20"
            targets = "t.csv"
            officers = "o.csv"
            [[task]]
            id = "radio"
            domain = "无线电"
            item = { name = "n", basis = "b" }
            scope = { domains = ["无线电"] }
            sample = { count = 5 }
            team = { size = 2 }
            [[task]]
            id = "all"
            domain = "电力"
            item = { name = "n", basis = "b" }
            sample = { by_class = { A = "1%", B = "2%", C = "3%", D = "50%", none = "4%" } }
            team = { size = 2 }
            "#,
            "plan.toml".as_ref(),
        )
        .unwrap();
        let mut data = Vec::new();
        crate::synth::targets(&mut data, 3_000, 7).unwrap();
        let streamed = select_stream_with(
            data.as_slice(),
            "t.csv".as_ref(),
            &plan,
            "s",
            &mut |_| {},
            true,
        )
        .unwrap();
        let mut sel = StreamSelector::new(&plan, "s", "t.csv".as_ref()).unwrap();
        let mut rows =
            crate::directory::TargetRows::new(data.as_slice(), "t.csv".as_ref()).unwrap();
        let mut w = Vec::new();
        while let Some((line, e)) = rows.next_record(&mut w).unwrap() {
            sel.push(line, e).unwrap();
        }
        let (selections, digest) = sel.finish().unwrap();
        assert_eq!(selections, streamed.selections);
        assert_eq!(digest, streamed.digest);
        assert!(selections.iter().all(|s| !s.drawn.is_empty()));
    }

    #[test]
    fn bound_is_monotone_and_above_ratio() {
        for r in [0.001, 0.03, 0.2, 0.6] {
            let mut last: Option<u64> = None;
            for n in [1u64, 2, 10, 100, 1_000, 10_000, 1_000_000, 100_000_000] {
                let b = bound(r, n);
                // Once the bound exists it only shrinks; before that it keeps everything.
                if let (Some(b), Some(l)) = (b, last) {
                    assert!(b <= l, "r={r} n={n}");
                }
                assert!(
                    last.is_none() || b.is_some(),
                    "r={r} n={n}: bound reappeared as None"
                );
                if let Some(b) = b {
                    assert!(b as f64 > r * 18_446_744_073_709_551_616.0);
                }
                last = b;
            }
        }
        assert_eq!(bound(1.0, 5), None);
    }
}
