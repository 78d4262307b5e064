//! The events of a log as types (SPEC.md §6.2, §9, §4.6): every line is one [`Event`],
//! tagged by its `event` member. Writing goes through these types and then the canonical
//! writer ([`super::canonical`]), so a field cannot be spelled two ways; reading goes through
//! them too ([`super::read`]).
//!
//! Structs that other files print as JSON (the header's `plan`, `directories` and
//! `entropy_source` in `publish`) list their fields in key order, as the canonical log does,
//! so the output is the same whether or not serde_json keeps insertion order.
//!
//! Members a line has beyond its event's fields (`prev`, `seq`, or anything a forger adds) are
//! ignored when reading: verification regenerates every line and compares bytes, which is what
//! catches an extra member, so the types need not.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::merkle::Hash;

/// Hashes as 64 lowercase hex digits, the only form the log writes (SPEC.md §1).
pub(crate) mod hex32 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use crate::merkle::Hash;

    /// A hash written as exactly 64 lowercase hex digits, or `None`.
    pub fn parse(s: &str) -> Option<Hash> {
        if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return None;
        }
        let mut h = [0u8; 32];
        hex::decode_to_slice(s, &mut h).ok()?;
        Some(h)
    }

    /// Serializes a hash as lowercase hex.
    ///
    /// # Errors
    ///
    /// The serializer's error, if it fails to write the string.
    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    /// Reads a hash from 64 lowercase hex digits.
    ///
    /// # Errors
    ///
    /// A custom `D::Error` when the value is not a string of 64 lowercase hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        parse(&s).ok_or_else(|| D::Error::custom(format!("{s:?} is not 64 lowercase hex digits")))
    }

    /// The same for an optional hash, `null` for none.
    pub mod option {
        use serde::{Deserialize, Deserializer, Serializer};

        use crate::merkle::Hash;

        /// Serializes `Some` as lowercase hex, `None` as `null`.
        ///
        /// # Errors
        ///
        /// The serializer's error, if it fails to write the value.
        pub fn serialize<S: Serializer>(h: &Option<Hash>, s: S) -> Result<S::Ok, S::Error> {
            match h {
                Some(h) => super::serialize(h, s),
                None => s.serialize_none(),
            }
        }

        /// Reads `null` or 64 lowercase hex digits.
        ///
        /// # Errors
        ///
        /// A custom `D::Error` when the value is neither `null` nor a string of 64 lowercase hex
        /// digits.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Hash>, D::Error> {
            #[derive(Deserialize)]
            struct H(#[serde(with = "super")] Hash);
            Ok(Option::<H>::deserialize(d)?.map(|H(h)| h))
        }
    }
}

/// One line of a log, without its `prev` and `seq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// Line 0: what the draw is bound to (SPEC.md §6.2, §9.1).
    Header(HeaderEvent),
    /// Line 1 of a committed draw: the opened secret and the entropy (SPEC.md §9.2).
    Reveal(RevealEvent),
    /// A suspicious directory record (SPEC.md §6.2).
    Warning(WarningEvent),
    /// An earlier draw used for rotation, by its head (SPEC.md §6.2).
    History(HistoryEvent),
    /// Officers an enterprise had in earlier draws (SPEC.md §6.2).
    Rotation(RotationEvent),
    /// An enterprise's recusal request (SPEC.md §6.2).
    Recusal(RecusalEvent),
    /// A task's rules and strata (SPEC.md §6.2).
    Task(TaskEvent),
    /// A drawn enterprise (SPEC.md §6.2).
    Target(TargetEvent),
    /// An enterprise shared with earlier tasks, visited once (SPEC.md §5.5).
    Merge(MergeEvent),
    /// The team of a drawn enterprise (SPEC.md §6.2).
    Team(TeamEvent),
    /// An officer replaced after the draw (SPEC.md §9.3).
    Replacement(ReplacementEvent),
    /// The totals that close a draw (SPEC.md §6.2).
    Footer(FooterEvent),
    /// An inspection's result, recorded after the visit (SPEC.md §11.1).
    #[serde(rename = "result")]
    InspectionResult(ResultEvent),
    /// A publication of results (SPEC.md §11.1).
    Publication(PublicationEvent),
}

impl Event {
    /// The `event` member's value.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Header(_) => "header",
            Event::Reveal(_) => "reveal",
            Event::Warning(_) => "warning",
            Event::History(_) => "history",
            Event::Rotation(_) => "rotation",
            Event::Recusal(_) => "recusal",
            Event::Task(_) => "task",
            Event::Target(_) => "target",
            Event::Merge(_) => "merge",
            Event::Team(_) => "team",
            Event::Replacement(_) => "replacement",
            Event::Footer(_) => "footer",
            Event::InspectionResult(_) => "result",
            Event::Publication(_) => "publication",
        }
    }

    /// The event as a JSON object, ready for the chain ([`super::chain`]).
    pub fn to_value(&self) -> serde_json::Value {
        // Every field is a string, an integer, a bool, null or a container of them: nothing
        // here can fail to serialize.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// How the seed of a draw was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Supplied by the operator: rehearsal and tests (SPEC.md §6.2).
    OperatorSeed,
    /// Derived from a committed secret and public entropy (SPEC.md §9).
    CommitReveal,
}

impl Mode {
    /// As the header writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::OperatorSeed => "operator-seed",
            Mode::CommitReveal => "commit-reveal",
        }
    }
}

/// The header. Its members beyond the common ones depend on the mode: `notice` and `seed` for
/// an operator's seed, `entropy_source` and `commitment` for a committed draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeaderEvent {
    /// The SPEC.md version.
    pub spec: String,
    /// The version of the crate that wrote it (informational).
    pub crate_version: String,
    /// How the seed was made.
    pub mode: Mode,
    /// The rehearsal notice (operator seed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
    /// The plan.
    pub plan: PlanRef,
    /// `YYYY-MM-DD`.
    pub inspection_date: String,
    /// The seed (operator seed only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    /// Both directory digests.
    pub directories: Directories,
    /// Each task's pool rules, in plan order (SPEC.md §6.2): what a proof needs to place an
    /// enterprise in or out of a task's pool without the plan. Read leniently (absent: none),
    /// so an older log is reported by its `spec`, not as malformed.
    #[serde(default)]
    pub tasks: Vec<TaskRulesRef>,
    /// The public entropy source, named before it exists (committed draw only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy_source: Option<EntropySourceRef>,
    /// The commitment to the operator's secret as hex (committed draw only). Kept as the text
    /// the header holds, like the digests: a commitment that is not hex is then reported as
    /// not opening (SPEC.md §9.2), as every verifier reports it, not as a malformed header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<String>,
}

/// One task's pool rules as the header states them (SPEC.md §6.2, §4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskRulesRef {
    /// Task id.
    pub id: String,
    /// The task's scope lists.
    pub scope: ScopeRef,
    /// Days of the recency exclusion, or null.
    pub exclude_inspected_within_days: Option<u64>,
}

/// A task's scope as logged: regions and domains verbatim, statuses by their log names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeRef {
    /// Division codes.
    pub regions: Vec<String>,
    /// Domains.
    pub domains: Vec<String>,
    /// `active`, `abnormal` or `closed`, in plan order.
    pub statuses: Vec<String>,
}

/// The plan as the header names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanRef {
    /// SHA-256 of the plan file's bytes, as hex. Text, not a hash: verification compares
    /// it with the plan's digest as text, so one that is not hex is a digest mismatch.
    pub digest: String,
    /// Plan id.
    pub id: String,
    /// Plan title.
    pub title: String,
}

/// Both directory digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directories {
    /// The officer directory.
    pub officers: DigestRef,
    /// The target directory.
    pub targets: DigestRef,
}

/// A directory digest (SPEC.md §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestRef {
    /// Records.
    pub count: u64,
    /// Merkle head, as hex (text, as the plan digest is).
    pub head: String,
    /// The optional fields at least one record fills, in byte order (SPEC.md §3.3). Read
    /// leniently (absent: none); the regenerated header's bytes decide.
    #[serde(default)]
    pub supplied: Vec<String>,
}

/// The public entropy source of a committed draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntropySourceRef {
    /// What exactly will be used.
    pub description: String,
    /// One of the kinds of SPEC.md §9.1.
    pub kind: String,
}

/// The reveal of a committed draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevealEvent {
    /// The operator's secret, as 64 hex digits.
    pub secret: String,
    /// The public entropy.
    pub entropy: String,
    /// The seed derived from them and the commit line.
    pub seed: String,
}

/// A suspicious directory record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningEvent {
    /// Machine-readable code.
    pub code: String,
    /// `targets` or `officers`.
    pub source: String,
    /// The record's id.
    pub id: String,
    /// What is suspicious.
    pub message: String,
}

/// An earlier draw used for rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEvent {
    /// Its head.
    #[serde(with = "hex32")]
    pub head: Hash,
}

/// Officers an enterprise had in earlier draws.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationEvent {
    /// Enterprise id.
    pub enterprise: String,
    /// Officer ids.
    pub officers: Vec<String>,
}

/// A recusal request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecusalEvent {
    /// Enterprise id.
    pub enterprise: String,
    /// Officer id.
    pub officer: String,
    /// Why: the category, and a public text or a commitment (SPEC.md §9.5).
    pub reason: crate::reason::Reason,
}

/// A task's rules and strata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskEvent {
    /// Task id.
    pub task: String,
    /// Domain.
    pub domain: String,
    /// Whether the task is directed (SPEC.md §4.2).
    pub directed: bool,
    /// The sample rule.
    pub sample: SampleRule,
    /// `error` or `take-all`.
    pub shortfall_rule: String,
    /// The team rule.
    pub team_rule: TeamRuleRef,
    /// Days of the recency exclusion, or null.
    pub exclude_inspected_within_days: Option<u64>,
    /// Enterprises in scope excluded for a recent inspection.
    pub excluded_recent: u64,
    /// The task key.
    #[serde(with = "hex32")]
    pub key: Hash,
    /// Strata, in log order.
    pub strata: Vec<StratumRef>,
}

/// A sample rule as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SampleRule {
    /// `{"count": n}`.
    Count {
        /// Enterprises.
        count: u64,
    },
    /// `{"ratio": "p/q"}`.
    Ratio {
        /// The ratio's text.
        ratio: String,
    },
    /// `{"by_class": {class: ratio}}`.
    ByClass {
        /// Ratio text by credit class (`none` for no class).
        by_class: BTreeMap<String, String>,
    },
}

/// A team rule as logged. `area` and `joint` are absent (not null) when the plan sets none, so
/// that plans without them log as they did before these rules existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRuleRef {
    /// Officers.
    pub size: u64,
    /// Experts.
    pub experts: u64,
    /// The area rule, unless it is `any`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area: Option<String>,
    /// Joint departments, unless there are none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub joint: Option<Vec<JointRef>>,
}

/// A joint department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JointRef {
    /// Department.
    pub department: String,
    /// Domain its officer must cover.
    pub domain: String,
}

/// A stratum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StratumRef {
    /// `all`, `A`…`D` or `none`.
    pub stratum: String,
    /// Eligible enterprises.
    pub eligible: u64,
    /// Requested sample.
    pub requested: u64,
    /// Drawn.
    pub drawn: u64,
    /// Requested minus drawn.
    pub shortfall: u64,
    /// The largest drawn ticket, or null.
    #[serde(with = "hex32::option")]
    pub cutoff: Option<Hash>,
}

/// A drawn enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetEvent {
    /// Task id.
    pub task: String,
    /// Stratum name.
    pub stratum: String,
    /// 1-based rank in the stratum.
    pub rank: u64,
    /// Enterprise id.
    pub id: String,
    /// Its ticket.
    #[serde(with = "hex32")]
    pub ticket: Hash,
}

/// An enterprise shared with earlier tasks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeEvent {
    /// Enterprise id.
    pub enterprise: String,
    /// The tasks, in plan order.
    pub tasks: Vec<String>,
}

/// A team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamEvent {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The first officer (null for a team without officers, which the draw never makes).
    pub leader: Option<String>,
    /// Officers, in draw order.
    pub officers: Vec<String>,
    /// Experts, in draw order.
    pub experts: Vec<String>,
    /// Officers eligible for the team.
    pub eligible_officers: u64,
    /// Experts eligible for the team.
    pub eligible_experts: u64,
}

/// A replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplacementEvent {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The officer who left.
    pub out: String,
    /// The officer who took the place.
    #[serde(rename = "in")]
    pub incoming: String,
    /// Why: the category, and a public text or a commitment (SPEC.md §9.5).
    pub reason: crate::reason::Reason,
    /// The incoming officer's position in the replacement order (SPEC.md §9.3).
    pub order_position: u64,
}

/// An inspection's result (抽查检查结果), SPEC.md §11.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultEvent {
    /// Task id.
    pub task: String,
    /// Enterprise id.
    pub enterprise: String,
    /// The result category, one of the plan's (SPEC.md §11.2).
    pub category: String,
    /// The day the inspection ended, `YYYY-MM-DD`.
    pub date: String,
    /// What the team found, or `null`.
    pub findings: Option<String>,
    /// The follow-up ordered (后续处置), or `null`.
    pub follow_up: Option<String>,
    /// The earlier result this one corrects, or `null` for a visit's first result.
    pub corrects: Option<Correction>,
}

/// The result a correction replaces, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    /// The 1-based line of the visit's result being corrected.
    pub line: u64,
    /// Why (one line of text).
    pub reason: String,
}

/// A publication of results (一公开), SPEC.md §11.1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationEvent {
    /// The publication day, `YYYY-MM-DD`.
    pub date: String,
    /// The 1-based lines of the results published (each visit's current result), ascending.
    pub results: Vec<u64>,
    /// Whether findings and follow-up texts were published (the plan's `[results]
    /// publish_findings`).
    pub findings_public: bool,
}

/// The totals of a draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FooterEvent {
    /// Tasks.
    pub tasks: u64,
    /// Drawn enterprises.
    pub targets: u64,
    /// Teams.
    pub teams: u64,
    /// Warnings.
    pub warnings: u64,
}
