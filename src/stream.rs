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

use std::collections::{BTreeMap, BinaryHeap};
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::directory::{Digest, Enterprise, TargetRows, Warning};
use crate::draw::{self, Drawn, Eligibility, Selection, Stratum, StratumResult};
use crate::error::{ErrorKind, Result};
use crate::merkle::TreeBuilder;
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

struct TaskState {
    key: crate::merkle::Hash,
    hasher: TicketHasher,
    excluded_recent: u64,
    counts: BTreeMap<Stratum, u64>,
    keep: BTreeMap<Stratum, Keeper>,
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
    last: Option<(String, u64)>,
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
                    counts: BTreeMap::new(),
                    keep: BTreeMap::new(),
                }
            })
            .collect();
        Ok(StreamSelector {
            plan,
            tasks,
            tree: TreeBuilder::new(),
            last: None,
            file: file.to_path_buf(),
        })
    }

    /// Feeds the next record (from `line` of the file). Records must come in strictly
    /// increasing id order.
    pub fn push(&mut self, line: u64, e: Enterprise) -> Result<()> {
        if let Some((prev, prev_line)) = &self.last {
            if e.id <= *prev {
                return Err(if e.id == *prev {
                    ErrorKind::DuplicateId {
                        file: self.file.clone(),
                        id: e.id,
                        first_line: *prev_line,
                        line,
                    }
                } else {
                    ErrorKind::Unsorted {
                        file: self.file.clone(),
                        line,
                        id: e.id,
                        previous: prev.clone(),
                    }
                }
                .into());
            }
        }
        self.tree.push(&e.canonical_bytes());
        for (task, st) in self.plan.tasks.iter().zip(&mut self.tasks) {
            let s = match draw::eligibility(self.plan, task, &e) {
                Eligibility::OutOfScope => continue,
                Eligibility::Recent => {
                    st.excluded_recent += 1;
                    continue;
                }
                Eligibility::Eligible(s) => s,
            };
            let n = st.counts.entry(s).or_default();
            *n += 1;
            let n = *n;
            let keeper = st
                .keep
                .entry(s)
                .or_insert_with(|| TaskState::keeper(&task.sample, s));
            match keeper {
                Keeper::None => {}
                Keeper::Count(k, heap) => {
                    if *k == 0 {
                        continue;
                    }
                    let ticket = st.hasher.ticket(&e.id);
                    if heap.len() < *k {
                        heap.push(Cand {
                            ticket,
                            e: e.clone(),
                        });
                    } else if let Some(top) = heap.peek() {
                        if (ticket, &e.id) < (top.ticket, &top.e.id) {
                            heap.pop();
                            heap.push(Cand {
                                ticket,
                                e: e.clone(),
                            });
                        }
                    }
                }
                Keeper::Ratio(r, cands) => {
                    let ticket = st.hasher.ticket(&e.id);
                    let b = bound(*r, n);
                    if b.is_none_or(|b| prefix(&ticket) < b) {
                        cands.push(Cand {
                            ticket,
                            e: e.clone(),
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
        self.last = Some((e.id, line));
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
            let sizes = draw::strata_sizes(task, &st.counts)?;
            let mut keep = st.keep;
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

/// Streams a target directory (sorted by id) through a [`StreamSelector`], parsing on a second
/// thread when the machine has one. `progress` is called every 65,536 rows and once at the end.
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

/// Rows parsed by the reading thread, handed over in batches to amortise the channel.
struct Batch {
    rows: Vec<(u64, Enterprise)>,
    warnings: Vec<Warning>,
    bytes: u64,
}

const BATCH: usize = 2048;

fn read_batch<R: Read>(rows: &mut TargetRows<R>) -> Result<Option<Batch>> {
    let mut b = Batch {
        rows: Vec::with_capacity(BATCH),
        warnings: Vec::new(),
        bytes: 0,
    };
    while b.rows.len() < BATCH {
        match rows.next_record(&mut b.warnings)? {
            Some(r) => b.rows.push(r),
            None => break,
        }
    }
    b.bytes = rows.bytes();
    Ok((!b.rows.is_empty()).then_some(b))
}

/// [`select_stream`] with the choice of threads explicit: with `parallel`, one thread parses
/// and validates rows while the caller's thread hashes and selects them, in the same order.
pub fn select_stream_with(
    reader: impl Read + Send,
    file: &Path,
    plan: &Plan,
    seed: &str,
    progress: &mut dyn FnMut(Progress),
    parallel: bool,
) -> Result<Streamed> {
    let mut rows = TargetRows::new(reader, file)?.with_inspection_date(plan.inspection_date);
    let mut sel = StreamSelector::new(plan, seed, file)?;
    let mut warnings = Vec::new();
    let mut n = 0u64;
    let mut bytes = 0u64;
    let mut consume = |b: Batch, warnings: &mut Vec<Warning>| -> Result<()> {
        let before = n;
        bytes = b.bytes;
        for (line, e) in b.rows {
            sel.push(line, e)?;
            n += 1;
        }
        warnings.extend(b.warnings);
        if before / 65_536 != n / 65_536 {
            progress(Progress {
                rows: n,
                bytes: b.bytes,
            });
        }
        Ok(())
    };
    if parallel {
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Batch>>(8);
            scope.spawn(move || {
                loop {
                    let b = read_batch(&mut rows).transpose();
                    let stop = !matches!(b, Some(Ok(_)));
                    // A closed channel means the consumer failed; its error is the one reported.
                    if let Some(b) = b {
                        if tx.send(b).is_err() {
                            break;
                        }
                    }
                    if stop {
                        break;
                    }
                }
            });
            for b in rx {
                consume(b?, &mut warnings)?;
            }
            Ok(())
        })?;
    } else {
        while let Some(b) = read_batch(&mut rows)? {
            consume(b, &mut warnings)?;
        }
    }
    let (selections, digest) = sel.finish()?;
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
