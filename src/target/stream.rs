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
use std::path::{Path, PathBuf};

use crate::directory::{Digest, Enterprise, Warning};
use crate::error::{ErrorKind, Result};
use crate::merkle::{Hash, TreeBuilder, leaf_hash};
use crate::plan::{Plan, Ratio, Sample};
use crate::seed;
use crate::target;
use crate::target::{Eligibility, Selection, Stratum};
use crate::target::{Ticket, TicketHasher};

/// A candidate: ordered by ticket, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Cand {
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

pub(super) fn prefix(t: &Ticket) -> u64 {
    u64::from_be_bytes([t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]])
}

/// The keeping bound for a ratio stratum holding `n` candidates: `None` keeps everything.
///
/// `T(n) = r + 10·sqrt(r/n) + 16/n` as a fraction of the ticket range; every term is
/// non-increasing in `n`, so a candidate below the final bound was below the bound of its time.
/// The expected cutoff is `r`; ten standard deviations above it, a discard is beyond any
/// realistic chance, and if it ever happens [`finish`](StreamSelector::finish) notices.
pub(super) fn bound(r: f64, n: u64) -> Option<u64> {
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

pub(super) struct TaskState {
    key: crate::merkle::Hash,
    pub(super) hasher: TicketHasher,
    excluded_recent: u64,
    /// At most six strata (all, or A–D and none): a short list beats a map here.
    strata: Vec<StratumState>,
}

pub(super) fn ratio_f64(r: Ratio) -> f64 {
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
pub(super) enum Hit {
    Out,
    Recent,
    In(Stratum, Ticket),
}

/// Draws the targets of every task while a directory streams past, row by row.
///
/// ```
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
/// let r = dualdraw::internals::select_stream(csv.as_bytes(), "t.csv".as_ref(), &plan, "s", &mut |_| {})?;
/// assert_eq!(r.digest.count, 2);
/// assert_eq!(r.selections[0].drawn.len(), 1);
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub struct StreamSelector<'a> {
    plan: &'a Plan,
    pub(super) tasks: Vec<TaskState>,
    tree: TreeBuilder,
    /// The optional fields the rows so far fill (SPEC.md §3.3).
    supplied: crate::directory::Supplied,
    /// The previous id and its line (empty before the first row).
    last_id: String,
    last_line: u64,
    file: PathBuf,
}

impl<'a> StreamSelector<'a> {
    /// A selector for a plan and seed; `file` names the directory in errors.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Seed`](crate::ErrorKind::Seed) when the seed is empty, longer than 1024 bytes
    /// or holds a control character.
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
            supplied: crate::directory::Supplied::default(),
            last_id: String::new(),
            last_line: 0,
            file: file.to_path_buf(),
        })
    }

    /// Feeds the next record (from `line` of the file). Records must come in strictly
    /// increasing id order.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DuplicateId`](crate::ErrorKind::DuplicateId) when the record has the same id as
    /// the one before it; [`ErrorKind::Unsorted`](crate::ErrorKind::Unsorted) when its id comes
    /// before that one's. Both name the file and line.
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
        let supplied = crate::directory::Supplied::of_enterprise(
            e.credit_class.is_some(),
            e.last_inspected.is_some(),
        );
        self.push_parts(&id, line, leaf, &hits, supplied, &mut || Ok(e.clone()))
    }

    /// Feeds a row given by its id, line, leaf hash and standing in each task; `record` gives
    /// the owned record when a keeper takes it.
    pub(super) fn push_parts(
        &mut self,
        id: &str,
        line: u64,
        leaf: Hash,
        hits: &[Hit],
        supplied: crate::directory::Supplied,
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
        self.supplied = self.supplied.or(supplied);
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
                        if cands.len() >= 1024
                            && cands.len().is_power_of_two()
                            && let Some(b) = b
                        {
                            cands.retain(|c| prefix(&c.ticket) < b);
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

    /// Ends the stream: the selections of every task (as [`target::select`] would give them) and
    /// the directory digest.
    ///
    /// # Errors
    ///
    /// Those of [`target::strata_sizes`]
    /// ([`ErrorKind::MissingClassRatio`](crate::ErrorKind::MissingClassRatio),
    /// [`ErrorKind::PoolTooSmall`](crate::ErrorKind::PoolTooSmall));
    /// [`ErrorKind::StreamBound`](crate::ErrorKind::StreamBound) when a ratio sample kept too few
    /// candidates below its bound (astronomically unlikely).
    pub fn finish(self) -> Result<(Vec<Selection>, Digest)> {
        let digest = Digest {
            head: self.tree.head(),
            count: self.tree.len(),
            supplied: self.supplied,
        };
        let mut out = Vec::new();
        for (task, st) in self.plan.tasks.iter().zip(self.tasks) {
            let mut counts = BTreeMap::new();
            let mut keep = BTreeMap::new();
            for ss in st.strata {
                counts.insert(ss.stratum, ss.count);
                keep.insert(ss.stratum, ss.keeper);
            }
            let sizes = target::strata_sizes(task, &counts)?;
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
                let winners = winners
                    .into_iter()
                    .take(k)
                    .map(|c| (c.ticket, c.e))
                    .collect();
                target::record_stratum(sp, winners, &mut strata, &mut drawn);
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
pub(super) struct EnterpriseFields<'a, S> {
    pub(super) id: &'a str,
    pub(super) region: &'a str,
    pub(super) domains: &'a [S],
    pub(super) status: crate::directory::EnterpriseStatus,
    pub(super) credit_class: Option<crate::directory::CreditClass>,
    pub(super) last_inspected: Option<chrono::NaiveDate>,
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
pub(super) fn hit<S: AsRef<str>>(
    plan: &Plan,
    task: &crate::plan::Task,
    hasher: &TicketHasher,
    e: &EnterpriseFields<'_, S>,
) -> Hit {
    match target::eligibility_of(
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
    /// use dualdraw::target::Progress;
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
