//! Reasons for replacements and recusals (SPEC.md §9.5): a category from a fixed list, logged
//! by its ASCII key, plus optional free text that stays out of everything `publish` writes
//! unless the plan marks reasons public. A private text is logged only as a salted SHA-256
//! commitment; the text and its salt are kept in a private sidecar beside the log, so an auditor
//! holding the sidecar can check each commitment.
//!
//! The salt is a value the caller supplies (the `fs` layer takes it from the operating system),
//! so this module stays pure.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::merkle::Hash;

/// Domain-separation tag of a reason commitment.
pub const COMMITMENT_TAG: &str = "dualdraw/v1/reason";

/// File name of the private sidecar beside a log: one entry per committed text.
pub const SIDECAR: &str = "reasons.private.jsonl";

/// Why an officer was replaced or recused: the public category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// 病假.
    Illness,
    /// 休假/事假.
    Leave,
    /// 利益冲突/回避.
    ConflictOfInterest,
    /// 岗位调整.
    DutyChange,
    /// 其他.
    Other,
}

impl Category {
    /// Every category, in the order SPEC.md lists them.
    pub const ALL: [Category; 5] = [
        Category::Illness,
        Category::Leave,
        Category::ConflictOfInterest,
        Category::DutyChange,
        Category::Other,
    ];

    /// The ASCII key the log writes.
    pub fn key(self) -> &'static str {
        match self {
            Category::Illness => "illness",
            Category::Leave => "leave",
            Category::ConflictOfInterest => "conflict_of_interest",
            Category::DutyChange => "duty_change",
            Category::Other => "other",
        }
    }

    /// The Chinese label shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Category::Illness => "病假",
            Category::Leave => "休假/事假",
            Category::ConflictOfInterest => "利益冲突/回避",
            Category::DutyChange => "岗位调整",
            Category::Other => "其他",
        }
    }

    /// The Chinese words accepted for it as input (besides the key and the label).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Category::Illness => &["病假"],
            Category::Leave => &["休假", "事假"],
            Category::ConflictOfInterest => &["利益冲突", "回避"],
            Category::DutyChange => &["岗位调整"],
            Category::Other => &["其他"],
        }
    }

    /// The category a key, label or alias names (exactly, after trimming).
    pub fn from_name(s: &str) -> Option<Category> {
        let s = s.trim();
        Category::ALL
            .into_iter()
            .find(|c| c.key() == s || c.label() == s || c.aliases().contains(&s))
    }

    /// The valid categories, for messages: `illness (病假), leave (休假/事假), …`.
    pub fn listing() -> String {
        Category::ALL
            .iter()
            .map(|c| format!("{} ({})", c.key(), c.label()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.key())
    }
}

impl<'de> Deserialize<'de> for Category {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Category::ALL
            .into_iter()
            .find(|c| c.key() == s)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown reason category {}; valid: {}",
                    crate::quoted(&s),
                    Category::listing()
                ))
            })
    }
}

/// A hash from exactly 64 lowercase hex digits.
pub(crate) fn parse_hash(s: &str) -> Option<Hash> {
    if s.len() != 64 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let mut h = [0u8; 32];
    hex::decode_to_slice(s, &mut h).ok()?;
    Some(h)
}

/// Serde for a hash as 64 lowercase hex digits (the log's own helper lives in `log`, which
/// builds on this module).
mod hex_req {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    /// Lowercase hex.
    pub fn serialize<S: Serializer>(h: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(h))
    }

    /// Exactly 64 lowercase hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        super::parse_hash(&s)
            .ok_or_else(|| D::Error::custom(format!("{s:?} is not 64 lowercase hex digits")))
    }
}

/// [`hex_req`] for an optional member (absent when `None`).
mod hex_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Lowercase hex (only called for `Some`, the member being skipped when `None`).
    pub fn serialize<S: Serializer>(h: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
        match h {
            Some(h) => super::hex_req::serialize(h, s),
            None => s.serialize_none(),
        }
    }

    /// 64 lowercase hex digits.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<[u8; 32]>, D::Error> {
        #[derive(Deserialize)]
        struct H(#[serde(with = "super::hex_req")] [u8; 32]);
        Ok(Some(H::deserialize(d)?.0))
    }
}

/// A reason as the log records it (SPEC.md §9.5): the category, and either the free text in the
/// clear (reasons public), a commitment to it (reasons private), or neither (no text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The category.
    pub category: Category,
    /// A commitment to a private text.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "hex_opt")]
    pub commitment: Option<Hash>,
    /// The free text. In a request to `commands::replace` it is the text as stated, sealed
    /// there when reasons are private; in the log it appears only when reasons are public.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl Reason {
    /// A reason of this category with no text.
    pub fn of(category: Category) -> Self {
        Reason {
            category,
            commitment: None,
            text: None,
        }
    }

    /// Reads a stated reason: `CATEGORY`, or `CATEGORY：TEXT` / `CATEGORY: TEXT`, the category
    /// being its key, label or a Chinese word for it (`病假：住院治疗`, `illness`, `回避`).
    ///
    /// # Errors
    ///
    /// A message naming the valid categories when none is recognised, or saying what is wrong
    /// with the text.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (cat, text) = match s.find([':', '：']) {
            Some(i) => {
                let sep = s[i..].chars().next().map_or(1, char::len_utf8);
                (&s[..i], Some(s[i + sep..].trim()))
            }
            None => (s, None),
        };
        let category = Category::from_name(cat).ok_or_else(|| {
            format!(
                "the reason must start with its category, then optionally `：` and free text (e.g. \"病假：住院治疗\"); {} is not a category; valid: {}",
                crate::quoted(cat.trim()),
                Category::listing()
            )
        })?;
        let text = text.filter(|t| !t.is_empty()).map(str::to_string);
        let r = Reason {
            category,
            commitment: None,
            text,
        };
        r.check_text()?;
        Ok(r)
    }

    /// The text, if any, is one line of text.
    fn check_text(&self) -> Result<(), String> {
        match &self.text {
            Some(t) if t.trim().is_empty() || t.chars().any(char::is_control) => Err(
                "a reason's text must be one line of text (not empty, no control characters)"
                    .into(),
            ),
            _ => Ok(()),
        }
    }

    /// Checks the logged form against the plan's `[publish] reasons`: a text only when reasons
    /// are public, a commitment only when they are private, never both.
    ///
    /// # Errors
    ///
    /// A message saying what is wrong.
    pub fn check_logged(&self, public: bool) -> Result<(), String> {
        self.check_text()?;
        match (&self.text, &self.commitment) {
            (Some(_), Some(_)) => Err("a reason has both a text and a commitment".into()),
            (Some(_), None) if !public => Err(
                "the reason's text would be published, but the plan keeps reasons private ([publish] reasons is not true): commit to it instead".into(),
            ),
            (None, Some(_)) if public => Err(
                "the plan publishes reasons ([publish] reasons = true): a reason carries its text, not a commitment".into(),
            ),
            _ => Ok(()),
        }
    }

    /// The form the log records: with private reasons a text is replaced by its commitment
    /// under `salt`, and the sidecar entry that opens it is returned.
    pub fn seal(self, public: bool, salt: [u8; 32]) -> (Reason, Option<PrivateReason>) {
        match self.text {
            Some(text) if !public && self.commitment.is_none() => {
                let commitment = commitment(self.category, &salt, &text);
                let entry = PrivateReason {
                    category: self.category,
                    commitment,
                    salt,
                    text,
                };
                (
                    Reason {
                        category: self.category,
                        commitment: Some(commitment),
                        text: None,
                    },
                    Some(entry),
                )
            }
            _ => (self, None),
        }
    }

    /// For people: the Chinese label, and the text when it is public (`病假：住院治疗`).
    pub fn shown(&self) -> String {
        match &self.text {
            Some(t) => format!("{}：{t}", self.category.label()),
            None => self.category.label().to_string(),
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown())?;
        if self.commitment.is_some() {
            f.write_str(" (text kept private)")?;
        }
        Ok(())
    }
}

/// `SHA-256(str(COMMITMENT_TAG) ‖ salt ‖ str(category key) ‖ str(text))` (SPEC.md §9.5).
pub fn commitment(category: Category, salt: &[u8; 32], text: &str) -> Hash {
    let mut b = Vec::with_capacity(64 + text.len());
    crate::directory::put_str(&mut b, COMMITMENT_TAG);
    b.extend_from_slice(salt);
    crate::directory::put_str(&mut b, category.key());
    crate::directory::put_str(&mut b, text);
    Sha256::digest(&b).into()
}

/// One line of the private sidecar: a text, its salt, and the commitment they open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateReason {
    /// The category committed with the text.
    pub category: Category,
    /// The commitment the log carries.
    #[serde(with = "hex_req")]
    pub commitment: Hash,
    /// The salt.
    #[serde(with = "hex_req")]
    pub salt: [u8; 32],
    /// The private text.
    pub text: String,
}

impl PrivateReason {
    /// The sidecar line (canonical JSON, no newline).
    pub fn line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Checks a log's reason commitments against a sidecar (SPEC.md §9.5): every sidecar entry
/// opens its own commitment, and every commitment in the log has an entry. Returns the number
/// of commitments checked.
///
/// # Errors
///
/// A [`VerifyError`](crate::VerifyError) naming the sidecar line or the log line concerned.
pub fn check_sidecar(log: &[u8], sidecar: &[u8]) -> Result<usize, crate::VerifyError> {
    let bad = |line: u64, reason: String| crate::VerifyError::Malformed { line, reason };
    let text =
        std::str::from_utf8(sidecar).map_err(|_| bad(0, format!("{SIDECAR} is not UTF-8")))?;
    let mut opened: BTreeMap<Hash, Category> = BTreeMap::new();
    for (i, l) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let e: PrivateReason = serde_json::from_str(l)
            .map_err(|e| bad(0, format!("{SIDECAR} line {}: {e}", i + 1)))?;
        if commitment(e.category, &e.salt, &e.text) != e.commitment {
            return Err(bad(
                0,
                format!(
                    "{SIDECAR} line {}: the text and salt do not open the commitment {}",
                    i + 1,
                    hex::encode(e.commitment)
                ),
            ));
        }
        opened.insert(e.commitment, e.category);
    }
    let mut n = 0;
    for (i, l) in std::str::from_utf8(log)
        .map_err(|_| bad(1, "the log is not UTF-8".into()))?
        .lines()
        .enumerate()
    {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(l) else {
            continue;
        };
        let Some(r) = v.get("reason").and_then(|r| r.as_object()) else {
            continue;
        };
        let Some(c) = r.get("commitment").and_then(|c| c.as_str()) else {
            continue;
        };
        let line = i as u64 + 1;
        let c = parse_hash(c)
            .ok_or_else(|| bad(line, "the reason's commitment is not a hash".into()))?;
        let cat = r.get("category").and_then(|c| c.as_str()).unwrap_or("");
        match opened.get(&c) {
            None => {
                return Err(bad(
                    line,
                    format!(
                        "{SIDECAR} holds no text for the reason commitment {}",
                        hex::encode(c)
                    ),
                ));
            }
            Some(k) if k.key() != cat => {
                return Err(bad(
                    line,
                    format!(
                        "the reason's category {cat:?} is not the one committed ({})",
                        k.key()
                    ),
                ));
            }
            Some(_) => n += 1,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_keys_labels_and_aliases() {
        let r = Reason::parse("病假：住院治疗").unwrap();
        assert_eq!(r.category, Category::Illness);
        assert_eq!(r.text.as_deref(), Some("住院治疗"));
        assert_eq!(
            Reason::parse("illness").unwrap(),
            Reason::of(Category::Illness)
        );
        assert_eq!(
            Reason::parse("回避").unwrap().category,
            Category::ConflictOfInterest
        );
        assert_eq!(
            Reason::parse("duty_change: moved").unwrap().text.as_deref(),
            Some("moved")
        );
        let e = Reason::parse("sick").unwrap_err();
        assert!(e.contains("conflict_of_interest (利益冲突/回避)"), "{e}");
    }

    #[test]
    fn seal_commits_private_text_only() {
        let r = Reason::parse("病假：住院治疗").unwrap();
        let (public, none) = r.clone().seal(true, [7; 32]);
        assert!(none.is_none());
        assert_eq!(public.text.as_deref(), Some("住院治疗"));
        let (private, entry) = r.seal(false, [7; 32]);
        let entry = entry.unwrap();
        assert_eq!(private.text, None);
        assert_eq!(private.commitment, Some(entry.commitment));
        assert!(private.check_logged(false).is_ok());
        assert!(private.check_logged(true).is_err());
        assert!(public.check_logged(false).is_err());
        let json = serde_json::to_string(&private).unwrap();
        assert!(!json.contains("住院"), "{json}");
    }
}
