//! The streaming target draw: one pass over a directory sorted by id, in memory bounded by the
//! number drawn (SPEC.md §5.2 gives the result; this is one way to compute it).
//!
//! For a count sample each stratum keeps a bounded max-heap of the best `(ticket, id)` seen.
//! For a ratio the sample size depends on the final pool size, unknown until the end, so each
//! stratum keeps every candidate whose ticket lies below a bound `T(n)` that shrinks as the
//! stratum's count `n` grows and stays well above the expected cutoff; at the end the exact
//! bottom-k is taken, after checking that all of it lies below `T(N)` (which proves no
//! discarded candidate could have been drawn). The directory's Merkle head is built in the same
//! pass, and order and uniqueness of ids are checked between neighbours.
//!
//! Both cores work: the input is cut into chunks (see `directory::rows`), worker threads parse
//! and validate each chunk's rows, hash their Merkle leaves and their tickets, and the calling
//! thread takes the chunks in input order, checks the id order, builds the tree and keeps the
//! candidates. Most rows are never copied out of the chunk's buffer; a row becomes an owned
//! record only when it enters a keeper. The result is a function of the records alone: the
//! sequential path runs the same code on one thread and gives the same bytes (tested).

use std::collections::{BTreeMap, BinaryHeap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::directory::rows::{self, Chunk, Mark, RecordParser, Records, Splitter};
use crate::directory::{Digest, Enterprise, TargetFormat, Warning};
use crate::draw::{self, Drawn, Eligibility, Selection, Stratum, StratumResult};
use crate::error::{ErrorKind, Result};
use crate::merkle::{Hash, TreeBuilder, leaf_hash};
use crate::plan::{Plan, Ratio, Sample};
use crate::seed;
use crate::target::{Ticket, TicketHasher};

/// A candidate: ordered by ticket, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Cand {
    ticket: Ticket,
    e: Enterprise,
}

impl Ord for Cand {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.ticket, &self.e.id).cmp(&(o.ticket, &o.e.id))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

fn prefix(t: &Ticket) -> u64 {
    u64::from_be_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]])
}

/// The keeping bound for a ratio stratum holding `n` candidates: `None` keeps everything.
///
/// `T(n) = r + 10·sqrt(r/n) + 16/n` as a fraction of the ticket range; every term is
/// non-increasing in `n`, so a candidate below the final bound was below the bound of its time.
/// The expected cutoff is `r`; ten standard deviations above it, a discard is beyond any
/// realistic chance, and if it ever happens [`finish`](StreamSelector::finish) notices.
fn bound(r: f64, n: u64) -> Option<u64> {
    let n = n.max(1) as f64;
    let t = r + 10.0 * (r / n).sqrt() + 16.0 / n;
    (t < 1.0).then_some((t * 18_446_744_073_709_551_616.0) as u64)
}

enum Keeper {
    /// Bottom-k by a max-heap of capacity k.
    Count(usize, BinaryHeap<Cand>),
    /// Everything below the shrinking bound.
    Ratio(f64, Vec<Cand>),
    /// A class with no ratio: the draw will fail with MissingClassRatio at the end.
    None,
}

/// One stratum of a task: its eligible count and what it keeps.
struct StratumState {
    stratum: Stratum,
    count: u64,
    keeper: Keeper,
}

struct TaskState {
    key: crate::merkle::Hash,
    hasher: TicketHasher,
    excluded_recent: u64,
    /// At most six strata (all, or A–D and none): a short list beats a map here.
    strata: Vec<StratumState>,
}

fn ratio_f64(r: Ratio) -> f64 {
    r.fraction().to_string().parse().unwrap_or(1.0)
}

impl TaskState {
    fn keeper(sample: &Sample, s: Stratum) -> Keeper {
        match (sample, s) {
            (Sample::Count(c), _) => Keeper::Count(*c as usize, BinaryHeap::new()),
            (Sample::Ratio(r), _) => Keeper::Ratio(ratio_f64(*r), Vec::new()),
            (Sample::ByClass(by), Stratum::Class(c)) => match by.get(&c) {
                Some(r) => Keeper::Ratio(ratio_f64(*r), Vec::new()),
                None => Keeper::None,
            },
            (Sample::ByClass(_), Stratum::All) => Keeper::None,
        }
    }
}

/// Where a row stands in one task, as computed by the thread that parsed it.
#[derive(Debug, Clone, Copy)]
enum Hit {
    Out,
    Recent,
    In(Stratum, Ticket),
}

/// Draws the targets of every task while a directory streams past, row by row.
///
/// ```
/// use dualdraw::stream::StreamSelector;
/// # let plan = dualdraw::plan::Plan::from_toml(r#"
/// #   id = "P"
/// #   title = "t"
/// #   inspection_date = "2020-10-20"
/// #   targets = "t.csv"
/// #   officers = "o.csv"
/// #   [[task]]
/// #   id = "radio"
/// #   domain = "无线电"
/// #   item = { name = "n", basis = "b" }
/// #   sample = { count = 1 }
/// #   team = { size = 2 }
/// # "#, "plan.toml".as_ref()).unwrap();
/// let csv = "id,name,region,domains,status\n\
///            91120116MA05JKLM8J,乙,120116,无线电,active\n\
///            9144030071526726XG,甲,440300,无线电,active\n";
/// let r = dualdraw::stream::select_stream(csv.as_bytes(), "t.csv".as_ref(), &plan, "s", &mut |_| {})?;
/// assert_eq!(r.digest.count, 2);
/// assert_eq!(r.selections[0].drawn.len(), 1);
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub struct StreamSelector<'a> {
    plan: &'a Plan,
    tasks: Vec<TaskState>,
    tree: TreeBuilder,
    /// The previous id and its line (empty before the first row).
    last_id: String,
    last_line: u64,
    file: PathBuf,
}

impl<'a> StreamSelector<'a> {
    /// A selector for a plan and seed; `file` names the directory in errors.
    pub fn new(plan: &'a Plan, seed: &str, file: &Path) -> Result<Self> {
        seed::check_seed(seed)
            .map_err(|e| ErrorKind::Seed(format!("invalid seed {seed:?}: expected {e}")))?;
        let tasks = plan
            .tasks
            .iter()
            .map(|t| {
                let key = seed::task_key(seed, &plan.id, &t.id);
                TaskState {
                    key,
                    hasher: TicketHasher::new(&key),
                    excluded_recent: 0,
                    strata: Vec::new(),
                }
            })
            .collect();
        Ok(StreamSelector {
            plan,
            tasks,
            tree: TreeBuilder::new(),
            last_id: String::new(),
            last_line: 0,
            file: file.to_path_buf(),
        })
    }

    /// Feeds the next record (from `line` of the file). Records must come in strictly
    /// increasing id order.
    pub fn push(&mut self, line: u64, e: Enterprise) -> Result<()> {
        let hits: Vec<Hit> = self
            .plan
            .tasks
            .iter()
            .zip(&self.tasks)
            .map(|(task, st)| hit(self.plan, task, &st.hasher, &EnterpriseFields::of(&e)))
            .collect();
        let leaf = leaf_hash(&e.canonical_bytes());
        let id = e.id.clone();
        self.push_parts(&id, line, leaf, &hits, &mut || Ok(e.clone()))
    }

    /// Feeds a row given by its id, line, leaf hash and standing in each task; `record` gives
    /// the owned record when a keeper takes it.
    fn push_parts(
        &mut self,
        id: &str,
        line: u64,
        leaf: Hash,
        hits: &[Hit],
        record: &mut dyn FnMut() -> Result<Enterprise>,
    ) -> Result<()> {
        if !self.tree.is_empty() && id <= self.last_id.as_str() {
            return Err(if id == self.last_id {
                ErrorKind::DuplicateId {
                    file: self.file.clone(),
                    id: id.to_string(),
                    first_line: self.last_line,
                    line,
                }
            } else {
                ErrorKind::Unsorted {
                    file: self.file.clone(),
                    line,
                    id: id.to_string(),
                    previous: self.last_id.clone(),
                }
            }
            .into());
        }
        self.tree.push_leaf_hash(leaf);
        // The record is built at most once per row, however many keepers take it.
        let mut owned: Option<Enterprise> = None;
        let mut get = |owned: &mut Option<Enterprise>| -> Result<Enterprise> {
            match owned {
                Some(e) => Ok(e.clone()),
                None => {
                    let e = record()?;
                    *owned = Some(e.clone());
                    Ok(e)
                }
            }
        };
        for ((task, st), h) in self.plan.tasks.iter().zip(&mut self.tasks).zip(hits) {
            let (s, ticket) = match *h {
                Hit::Out => continue,
                Hit::Recent => {
                    st.excluded_recent += 1;
                    continue;
                }
                Hit::In(s, t) => (s, t),
            };
            let k = match st.strata.iter().position(|x| x.stratum == s) {
                Some(k) => k,
                None => {
                    st.strata.push(StratumState {
                        stratum: s,
                        count: 0,
                        keeper: TaskState::keeper(&task.sample, s),
                    });
                    st.strata.len() - 1
                }
            };
            let ss = &mut st.strata[k];
            ss.count += 1;
            let n = ss.count;
            match &mut ss.keeper {
                Keeper::None => {}
                Keeper::Count(k, heap) => {
                    if *k == 0 {
                        continue;
                    }
                    let enters = heap.len() < *k
                        || heap
                            .peek()
                            .is_some_and(|top| (ticket, id) < (top.ticket, top.e.id.as_str()));
                    if enters {
                        if heap.len() >= *k {
                            heap.pop();
                        }
                        heap.push(Cand {
                            ticket,
                            e: get(&mut owned)?,
                        });
                    }
                }
                Keeper::Ratio(r, cands) => {
                    let b = bound(*r, n);
                    if b.is_none_or(|b| prefix(&ticket) < b) {
                        cands.push(Cand {
                            ticket,
                            e: get(&mut owned)?,
                        });
                        // Prune now and then; the bound only shrinks, so nothing pruned could
                        // come back.
                        if cands.len() >= 1024 && cands.len().is_power_of_two() {
                            if let Some(b) = b {
                                cands.retain(|c| prefix(&c.ticket) < b);
                            }
                        }
                    }
                }
            }
        }
        self.last_id.clear();
        self.last_id.push_str(id);
        self.last_line = line;
        Ok(())
    }

    /// Ends the stream: the selections of every task (as [`draw::select`] would give them) and
    /// the directory digest.
    pub fn finish(self) -> Result<(Vec<Selection>, Digest)> {
        let digest = Digest {
            head: self.tree.head(),
            count: self.tree.len(),
        };
        let mut out = Vec::new();
        for (task, st) in self.plan.tasks.iter().zip(self.tasks) {
            let mut counts = BTreeMap::new();
            let mut keep = BTreeMap::new();
            for ss in st.strata {
                counts.insert(ss.stratum, ss.count);
                keep.insert(ss.stratum, ss.keeper);
            }
            let sizes = draw::strata_sizes(task, &counts)?;
            let mut strata = Vec::new();
            let mut drawn = Vec::new();
            for sp in sizes {
                let k = sp.requested.min(sp.eligible) as usize;
                let winners: Vec<Cand> = match keep.remove(&sp.stratum) {
                    None | Some(Keeper::None) => Vec::new(),
                    Some(Keeper::Count(_, heap)) => heap.into_sorted_vec(),
                    Some(Keeper::Ratio(r, cands)) => {
                        let b = bound(r, sp.eligible);
                        let mut below: Vec<Cand> = cands
                            .into_iter()
                            .filter(|c| b.is_none_or(|b| prefix(&c.ticket) < b))
                            .collect();
                        if below.len() < k {
                            return Err(ErrorKind::StreamBound {
                                task: task.id.clone(),
                                stratum: sp.stratum.name().into(),
                                kept: below.len() as u64,
                                needed: k as u64,
                            }
                            .into());
                        }
                        below.sort_unstable_by(|a, b| b.cmp(a));
                        below.split_off(below.len() - k).into_iter().rev().collect()
                    }
                };
                let winners: Vec<Cand> = winners.into_iter().take(k).collect();
                strata.push(StratumResult {
                    drawn: winners.len() as u64,
                    cutoff: winners.last().map(|c| c.ticket),
                    pool: sp.clone(),
                });
                for (rank, c) in winners.into_iter().enumerate() {
                    let d = Drawn {
                        stratum: sp.stratum,
                        rank: rank as u64 + 1,
                        id: c.e.id.clone(),
                        ticket: c.ticket,
                    };
                    drawn.push((d, c.e));
                }
            }
            out.push(Selection {
                task: task.id.clone(),
                key: st.key,
                excluded_recent: st.excluded_recent,
                strata,
                drawn,
            });
        }
        Ok((out, digest))
    }
}

/// The fields eligibility reads, from an owned or a borrowed row.
struct EnterpriseFields<'a, S> {
    id: &'a str,
    region: &'a str,
    domains: &'a [S],
    status: crate::directory::EnterpriseStatus,
    credit_class: Option<crate::directory::CreditClass>,
    last_inspected: Option<chrono::NaiveDate>,
}

impl<'a> EnterpriseFields<'a, String> {
    fn of(e: &'a Enterprise) -> Self {
        EnterpriseFields {
            id: &e.id,
            region: &e.region,
            domains: &e.domains,
            status: e.status,
            credit_class: e.credit_class,
            last_inspected: e.last_inspected,
        }
    }
}

/// Where a row stands in a task, with its ticket when eligible.
fn hit<S: AsRef<str>>(
    plan: &Plan,
    task: &crate::plan::Task,
    hasher: &TicketHasher,
    e: &EnterpriseFields<'_, S>,
) -> Hit {
    match draw::eligibility_of(
        plan,
        task,
        e.region,
        e.domains,
        e.status,
        e.credit_class,
        e.last_inspected,
    ) {
        Eligibility::OutOfScope => Hit::Out,
        Eligibility::Recent => Hit::Recent,
        Eligibility::Eligible(s) => Hit::In(s, hasher.ticket(e.id)),
    }
}

/// What a streamed directory gave.
#[derive(Debug, Clone)]
pub struct Streamed {
    /// The selections of every task.
    pub selections: Vec<Selection>,
    /// The directory digest.
    pub digest: Digest,
    /// Warnings, in id order.
    pub warnings: Vec<Warning>,
}

/// Progress of a long run, reported to a callback (the library never prints).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows read so far.
    pub rows: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

impl Progress {
    /// A one-line progress report: rows, rows per second, and, when the input's size is known,
    /// the share done and the time left.
    ///
    /// ```
    /// use dualdraw::stream::Progress;
    /// let p = Progress { rows: 2_000_000, bytes: 250 };
    /// let s = p.render(std::time::Duration::from_secs(2), Some(1000));
    /// assert_eq!(s, "2000000 rows, 1000000 rows/s, 25%, ETA 0:06");
    /// ```
    pub fn render(&self, elapsed: std::time::Duration, total_bytes: Option<u64>) -> String {
        let secs = elapsed.as_secs_f64().max(1e-9);
        let mut s = format!("{} rows, {:.0} rows/s", self.rows, self.rows as f64 / secs);
        if let Some(total) = total_bytes.filter(|&t| t > 0) {
            let done = (self.bytes as f64 / total as f64).min(1.0);
            let left = if done > 0.0 {
                secs * (1.0 - done) / done
            } else {
                0.0
            };
            let left = left.round() as u64;
            s.push_str(&format!(
                ", {:.0}%, ETA {}:{:02}",
                done * 100.0,
                left / 60,
                left % 60
            ));
        }
        s
    }
}

/// Streams a target directory (sorted by id) through a [`StreamSelector`], parsing on every
/// core the machine has. `progress` is called about every 65,536 rows and once at the end.
///
/// The result is a function of the records alone: [`select_stream_with`] with `parallel` false
/// gives the same bytes (tested).
pub fn select_stream(
    reader: impl Read + Send,
    file: &Path,
    plan: &Plan,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
) -> Result<Streamed> {
    let parallel = std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
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
        if let Some((mut parser, mut recs)) = self.resync.take() {
            // This chunk's own parse started at a guessed place: read its bytes on.
            parser.feed(&out.chunk.bytes, out.chunk.last, &mut recs);
            let mut part = self.ctx.process(&recs, 0);
            self.merge(&recs, &mut part)?;
            recs.drain_complete();
            if !parser.at_boundary() {
                self.resync = Some((parser, recs));
            }
            self.recycle(out);
            return Ok(());
        }
        let mut part = std::mem::take(&mut out.part);
        self.merge(&out.recs, &mut part)?;
        self.ctx.parts.put(part);
        if let Some(mark) = out.unfinished {
            let mut parser = RecordParser::new(mark, false);
            let mut recs = Records::with_capacity(64 * 1024);
            let from = (mark.pos - out.chunk.mark.pos) as usize;
            parser.feed(&out.chunk.bytes[from..], false, &mut recs);
            self.resync = Some((parser, recs));
        }
        self.recycle(out);
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
    std::thread::scope(|scope| {
        for _ in 1..workers {
            // A worker that cannot be started (no threads on wasm32) leaves its share to the
            // others, the caller's thread at least.
            let _ = std::thread::Builder::new().spawn_scoped(scope, || work(&mut || {}));
        }
        let mut reported = 0u64;
        work(&mut || {
            let n = rows.load(Ordering::Relaxed);
            if n / 65_536 != reported / 65_536 {
                reported = n;
                progress(Progress {
                    rows: n,
                    bytes: bytes.load(Ordering::Relaxed),
                });
            }
        });
    });
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
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
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
