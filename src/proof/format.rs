//! The proof's types and its JSON form (SPEC.md §10.2): what a proof file holds, byte for byte.

use std::fmt;

use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `format` member of every proof of this version.
pub const FORMAT: &str = "dualdraw-proof/4";

/// The `covers` member of every proof of this version: a code for what inclusion shows and
/// what it cannot (SPEC.md §10.1); [`COVERS_TEXT`] is its wording, which `check-proof` prints.
pub const COVERS: &str = "inclusion/2";

/// The wording of [`COVERS`] (SPEC.md §10.2).
pub const COVERS_TEXT: &str = "These log lines are in the log of the checkpoint at their positions (a multi-leaf RFC 9162 inclusion proof). Inclusion alone does not show that the log has no other line about this enterprise: a second target or team line, or a replacement of its team not listed here, before or after the checkpoint's tree size; nor that the header's task rules and plan digest are the published plan's, or that the task lines' counts and cutoffs are right for the whole directory. `dualdraw verify` with the full log, the plan and the directories shows those; a later checkpoint needs a new proof.";

/// A per-enterprise proof (SPEC.md §10): the evidence only — the checkpoint it is made against,
/// the enterprise's record with its directory path, and the log lines that decide the
/// enterprise's fate, each as its residual (the line without what the checker derives), with
/// one inclusion proof for them all. Everything a proof *says* (pool, ticket, verdict, team) is
/// derived from these by [`check`](super::check), which returns it as
/// [`Checked`](super::Checked). Its file form is [`Proof::to_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Proof {
    /// Always [`FORMAT`].
    pub format: String,
    /// The checkpoint text (SPEC.md §6.3) the lines are proved against.
    pub checkpoint: String,
    /// Always [`COVERS`]: what the proof shows and does not.
    pub covers: String,
    /// The enterprise's record, the strings of its canonical record (SPEC.md §3.1).
    pub record: RecordFields,
    /// The record's 0-based position in the target directory (records in id order).
    pub leaf_index: u64,
    /// `PATH(leaf_index, D[count])` of RFC 6962 §2.1.1 in the target directory, leaf level
    /// first: the hashes concatenated, in base64.
    pub record_path: String,
    /// The log lines that decide the enterprise's fate, in increasing `seq`, as residuals.
    pub lines: Vec<LogLine>,
    /// `MPATH` of the lines' `seq`s in the log's tree (SPEC.md §10.2): the hashes
    /// concatenated, in base64.
    pub lines_proof: String,
}

/// A record as a proof carries it: the strings of its canonical record (SPEC.md §3.1), `""`
/// for a class or date not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordFields {
    /// Unified social credit code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Division code.
    pub region: String,
    /// Domains, in the record's order.
    pub domains: Vec<String>,
    /// `A`…`D`, or `""`.
    pub credit_class: String,
    /// `active`, `abnormal` or `closed`.
    pub status: String,
    /// `YYYY-MM-DD`, or `""`.
    pub last_inspected: String,
}

/// The enterprise's canonical record (SPEC.md §3.1) and, for people, its decoded fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Unified social credit code.
    pub id: String,
    /// Name.
    pub name: String,
    /// Division code.
    pub region: String,
    /// Domains, sorted.
    pub domains: Vec<String>,
    /// Credit class `A`…`D`, or null.
    pub credit_class: Option<String>,
    /// `active`, `abnormal` or `closed`.
    pub status: String,
    /// `YYYY-MM-DD`, or null.
    pub last_inspected: Option<String>,
    /// `hex` of the canonical record: the bytes that are hashed into the directory.
    pub canonical: String,
}

/// The enterprise in one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskProof {
    /// Task id.
    pub task: String,
    /// `seq` of the task's `task` event in the log, when the proof carries it (the tasks
    /// where the enterprise is eligible).
    pub task_seq: Option<u64>,
    /// The task key (SPEC.md §5.1 of the seed).
    pub key: String,
    /// `SHA-256(hex(key) ":" id)` (SPEC.md §5.2); informative when the enterprise is not
    /// eligible.
    pub ticket: String,
    /// Where the enterprise stands in the task's pool.
    pub pool: Pool,
    /// Why, in words.
    pub reason: String,
    /// The enterprise's stratum, when eligible.
    pub stratum: Option<StratumProof>,
    /// The outcome.
    pub verdict: Verdict,
    /// Rank and team, when drawn.
    pub drawn: Option<DrawnProof>,
}

/// Where an enterprise stands in a task's pool (SPEC.md §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pool {
    /// In the pool.
    Eligible,
    /// Outside the task's scope.
    OutOfScope,
    /// In scope but inspected too recently.
    RecentlyInspected,
}

/// The outcome for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Drawn for inspection.
    Drawn,
    /// Eligible, but its ticket is above its stratum's cutoff.
    NotDrawn,
    /// Not in the pool.
    NotEligible,
}

/// A stratum as the task event logs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StratumProof {
    /// `all`, `A`…`D` or `none`.
    pub name: String,
    /// Eligible enterprises in it.
    pub eligible: u64,
    /// Requested sample.
    pub requested: u64,
    /// Drawn.
    pub drawn: u64,
    /// The largest drawn ticket, or null.
    pub cutoff: Option<String>,
}

/// A drawn enterprise's rank and team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawnProof {
    /// 1-based rank in the stratum.
    pub rank: u64,
    /// `seq` of its `target` event.
    pub target_seq: u64,
    /// `seq` of its `team` event.
    pub team_seq: u64,
    /// Team leader as drawn.
    pub leader: String,
    /// Officers as drawn, in draw order.
    pub officers: Vec<String>,
    /// Experts as drawn.
    pub experts: Vec<String>,
    /// Later `replacement` events for this team, in log order.
    pub replacements: Vec<ReplacementProof>,
    /// The officers after the replacements (equal to `officers` when there are none).
    pub officers_now: Vec<String>,
}

/// An officer replaced after the draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplacementProof {
    /// `seq` of the `replacement` event.
    pub seq: u64,
    /// The officer who left the team.
    pub out: String,
    /// The officer who took the place.
    #[serde(rename = "in")]
    pub incoming: String,
    /// The logged reason: its category, and its text only when the plan publishes reasons.
    pub reason: crate::reason::Reason,
}

/// One log line at its position, as its residual (SPEC.md §10.2): the line's members without
/// those the checker derives, hashes in base64.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLine {
    /// Its 0-based position: the leaf index.
    pub seq: u64,
    /// The residual of the line.
    pub line: Value,
}

impl Serialize for LogLine {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("LogLine", 2)?;
        m.serialize_field("seq", &self.seq)?;
        m.serialize_field("line", &Sorted(&self.line))?;
        m.end()
    }
}

/// A JSON value with its object members sorted by key bytes (SPEC.md §6.1), whatever order
/// the map type keeps.
struct Sorted<'a>(&'a Value);

impl Serialize for Sorted<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                keys.sort();
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Sorted(&o[k]))?;
                }
                m.end()
            }
            Value::Array(a) => {
                let mut q = s.serialize_seq(Some(a.len()))?;
                for x in a {
                    q.serialize_element(&Sorted(x))?;
                }
                q.end()
            }
            other => other.serialize(s),
        }
    }
}

impl Proof {
    /// The canonical JSON text: `serde_json`'s compact form of the fields in declaration
    /// order, without a final newline. A proof file holds exactly this, optionally followed by
    /// one LF.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a proof always serializes")
    }

    /// The file form: [`Proof::to_json`] followed by one LF.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = self.to_json().into_bytes();
        b.push(b'\n');
        b
    }
}

/// A few lines for people: the enterprise and its verdict in each task.
pub(super) fn summary(
    e: &Record,
    leaf_index: u64,
    count: u64,
    dir_head: &str,
    tasks: &[TaskProof],
) -> String {
    use fmt::Write;
    let mut s = format!(
        "enterprise {} {}: record {} of {} in the target directory (head {})\n",
        e.id, e.name, leaf_index, count, dir_head
    );
    for t in tasks {
        let _ = write!(s, "  task {}: ", t.task);
        match (&t.verdict, &t.drawn, &t.stratum) {
            (Verdict::Drawn, Some(d), Some(st)) => {
                let _ = write!(
                    s,
                    "DRAWN, rank {} of {} in stratum {}; team {}",
                    d.rank,
                    st.drawn,
                    st.name,
                    d.officers_now.join(", ")
                );
                if !d.experts.is_empty() {
                    let _ = write!(s, " + experts {}", d.experts.join(", "));
                }
                if !d.replacements.is_empty() {
                    let _ = write!(s, " (after {} replacement(s))", d.replacements.len());
                }
            }
            (Verdict::NotDrawn, _, Some(st)) => {
                let _ = write!(
                    s,
                    "not drawn: ticket {} is above the cutoff {} of stratum {} ({} of {} drawn)",
                    t.ticket,
                    st.cutoff.as_deref().unwrap_or("(none: nothing drawn)"),
                    st.name,
                    st.drawn,
                    st.eligible
                );
            }
            _ => {
                let _ = write!(s, "not eligible: {}", t.reason);
            }
        }
        s.push('\n');
    }
    s
}
