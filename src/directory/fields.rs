//! Parsing of single directory fields: dates, booleans, statuses, lists, classes.
//!
//! Each parser takes the trimmed cell text and returns the value or a description of what
//! would be right; the caller adds the file, line and field.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Parses a date written `2020-09-30`, `2020/9/30` or `2020年9月30日`.
///
/// # Errors
///
/// A description of the expected form (a `&'static str`) when `s` is not a date in one of these
/// forms, names the year 0, or names a day that does not exist (such as 2021-02-30).
pub fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    // The common form, YYYY-MM-DD, read directly; anything else (or an invalid date, for its
    // message) takes the general path below.
    if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = s.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if digits.iter().all(u8::is_ascii_digit) {
            let v = |a: &[u8]| a.iter().fold(0u32, |n, &b| n * 10 + u32::from(b - b'0'));
            let (y, m, d) = (v(&digits[..4]), v(&digits[4..6]), v(&digits[6..]));
            if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d).filter(|_| y > 0) {
                return Ok(date);
            }
        }
    }
    parse_date_general(s)
}

/// [`parse_date`] without its fast path: the definition.
///
/// The forms real exports hold (SPEC.md §3.3): `2020-09-30`, `2020/9/30`, `2020.9.30`,
/// `2020年9月30日`, `20200930` (eight digits), and any of the first three followed by a
/// midnight time ` 00:00:00` (a date cell exported with its time).
fn parse_date_general(s: &str) -> Result<NaiveDate, &'static str> {
    const EXPECTED: &str =
        "a date such as 2020-09-30, 2020/9/30, 2020.9.30, 20200930 or 2020年9月30日";
    let s = s
        .strip_suffix(" 00:00:00")
        .or_else(|| s.strip_suffix(" 0:00:00"))
        .or_else(|| s.strip_suffix(" 00:00"))
        .unwrap_or(s);
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, d) = (&s[..4], &s[4..6], &s[6..]);
        let n = |p: &str| p.parse::<u32>().unwrap_or(0);
        return if n(y) == 0 {
            Err("a date in the years 0001 to 9999")
        } else {
            NaiveDate::from_ymd_opt(n(y) as i32, n(m), n(d)).ok_or("an existing calendar date")
        };
    }
    // Exactly three parts, split without allocating: this runs once per directory row.
    let parts = if let Some(rest) = s.strip_suffix('日') {
        three(rest.split(['年', '月']))
    } else if s.contains('-') {
        three(s.split('-'))
    } else if s.contains('.') {
        three(s.split('.'))
    } else {
        three(s.split('/'))
    };
    let Some([y, m, d]) = parts else {
        return Err(EXPECTED);
    };
    let digits = |p: &str, max_len: usize| {
        (!p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u32>().ok())
            .flatten()
    };
    match (
        digits(y, 4).filter(|_| y.len() == 4),
        digits(m, 2),
        digits(d, 2),
    ) {
        (Some(0), Some(_), Some(_)) => Err("a date in the years 0001 to 9999"),
        (Some(y), Some(m), Some(d)) => {
            NaiveDate::from_ymd_opt(y as i32, m, d).ok_or("an existing calendar date")
        }
        _ => Err(EXPECTED),
    }
}

/// The date an Excel serial number names (1900 date system, serials from 61 = 1900-03-01),
/// when `s` is one (4 or 5 digits, 1901 to 2173): for the message that a CSV column holding
/// them should be formatted as text. A serial is never read as a date from CSV: it is
/// indistinguishable from a number.
pub fn excel_serial(s: &str) -> Option<NaiveDate> {
    if !(4..=5).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    if n < 367 {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::TimeDelta::try_days(n)?)
}

/// The items of a split when there are exactly three.
fn three<'a>(mut it: impl Iterator<Item = &'a str>) -> Option<[&'a str; 3]> {
    let parts = [it.next()?, it.next()?, it.next()?];
    it.next().is_none().then_some(parts)
}

/// Parses a yes/no cell: `true`/`false`, `yes`/`no`, `1`/`0`, `y`/`n`, `是`/`否`; empty is no.
///
/// # Errors
///
/// A description of the accepted values (a `&'static str`) for any other cell.
pub fn parse_bool(s: &str) -> Result<bool, &'static str> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "是" | "√" | "✓" | "✔" => Ok(true),
        "false" | "no" | "n" | "0" | "否" | "×" | "✗" | "" => Ok(false),
        _ => Err("true/false, yes/no, 1/0, 是/否 or √/×"),
    }
}

/// Splits a list cell on `;` (also `；`, `、` and `,`), trims, drops empties, sorts and dedups.
///
/// Sorting makes the canonical record independent of how the cell was typed.
pub fn parse_list(s: &str) -> Vec<String> {
    parse_list_borrowed(s)
        .into_iter()
        .map(String::from)
        .collect()
}

/// List items borrowed from their cell; a directory cell rarely holds more than four.
pub type Items<'a> = smallvec::SmallVec<[&'a str; 4]>;

/// [`parse_list`] without copying the items: slices of `s`, sorted and deduplicated.
pub fn parse_list_borrowed(s: &str) -> Items<'_> {
    // Split by bytes: `;` and `,` are one byte, and `；` (EF BC 9B) and `、` (E3 80 81) are
    // matched whole from their lead byte, so every cut falls between characters.
    let b = s.as_bytes();
    let mut v: Items<'_> = Items::new();
    fn push<'a>(v: &mut Items<'a>, item: &'a str) {
        let t = item.trim();
        if !t.is_empty() {
            v.push(t);
        }
    }
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        let sep = match b[i] {
            b';' | b',' => 1,
            0xef if b[i..].starts_with(&[0xef, 0xbc, 0x9b]) => 3,
            0xe3 if b[i..].starts_with(&[0xe3, 0x80, 0x81]) => 3,
            _ => 0,
        };
        if sep > 0 {
            push(&mut v, &s[start..i]);
            i += sep;
            start = i;
        } else {
            i += 1;
        }
    }
    push(&mut v, &s[start..]);
    // Byte order, as `String`'s `Ord`: the canonical record depends on it.
    if v.len() > 1 {
        v.sort_unstable();
        v.dedup();
    }
    v
}

/// True when `s` holds a control character (`char::is_control`: U+0000–U+001F, U+007F,
/// U+0080–U+009F). The bytes are looked at first: most text has none of the bytes that
/// could start one.
pub(crate) fn has_control(s: &str) -> bool {
    // A fold without early exit, so that the byte test is vectorised.
    s.bytes()
        .fold(false, |acc, b| acc | (b < 0x20) | (b == 0x7f) | (b == 0xc2))
        && s.chars().any(char::is_control)
}

/// Splits a list cell as [`parse_list`] does and rejects an item holding a control character
/// (e.g. a line break inside a quoted cell), which no plan value could ever match.
///
/// # Errors
///
/// A description of the expected form (a `&'static str`) when an item holds a control character.
pub fn parse_list_checked(s: &str) -> Result<Vec<String>, &'static str> {
    let v = parse_list(s);
    if v.iter().any(|x| x.chars().any(char::is_control)) {
        Err(LIST_CONTROL)
    } else {
        Ok(v)
    }
}

/// What a list item with a control character should have been.
pub(crate) const LIST_CONTROL: &str =
    "items without control characters (a line break or tab inside an item)";

/// A supervision domain as a plan names it (task `domain`, `scope.domains` items): non-empty,
/// without control characters and without leading or trailing white space. Plan domains are
/// matched verbatim against the (trimmed) domains of the directories, so a stray space would
/// silently match nothing.
///
/// # Errors
///
/// A description of the expected form (a `&'static str`) when `s` is blank, holds a control
/// character or has leading or trailing white space.
pub fn check_domain(s: &str) -> Result<(), &'static str> {
    if s.trim().is_empty() {
        Err("a supervision domain such as 无线电 (not empty)")
    } else if s.chars().any(char::is_control) {
        Err("a supervision domain without control characters")
    } else if s.trim() != s {
        Err("a supervision domain without leading or trailing white space (it is matched exactly)")
    } else {
        Ok(())
    }
}

/// A 6-digit GB/T 2260 administrative division code.
///
/// # Errors
///
/// A description of the expected form (a `&'static str`) when `s` is not exactly six ASCII digits.
pub fn parse_region(s: &str) -> Result<String, &'static str> {
    check_region(s).map(|()| s.to_string())
}

/// [`parse_region`] without the copy.
pub(crate) fn check_region(s: &str) -> Result<(), &'static str> {
    if s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err("a 6-digit GB/T 2260 division code such as 120116")
    }
}

/// Credit-risk class of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CreditClass {
    /// Class A (lowest risk).
    A,
    /// Class B.
    B,
    /// Class C.
    C,
    /// Class D (highest risk).
    D,
}

impl CreditClass {
    /// The class letter.
    pub fn as_str(self) -> &'static str {
        match self {
            CreditClass::A => "A",
            CreditClass::B => "B",
            CreditClass::C => "C",
            CreditClass::D => "D",
        }
    }
}

/// Parses a credit class: `A`–`D` (any case, optionally followed by `级` or `类`); empty is none.
/// A cell of only `级`/`类` names no letter and is an error.
///
/// # Errors
///
/// A description of the accepted classes (a `&'static str`) when the cell (without `级`/`类`) is not
/// a single letter `A`–`D`, including a cell of only `级` or `类`.
pub fn parse_credit_class(s: &str) -> Result<Option<CreditClass>, &'static str> {
    let t = s.trim_end_matches(['级', '类']);
    match t.as_bytes() {
        [] if s.is_empty() => Ok(None),
        [b] => match b.to_ascii_uppercase() {
            b'A' => Ok(Some(CreditClass::A)),
            b'B' => Ok(Some(CreditClass::B)),
            b'C' => Ok(Some(CreditClass::C)),
            b'D' => Ok(Some(CreditClass::D)),
            _ => Err(CLASS_EXPECTED),
        },
        _ => Err(CLASS_EXPECTED),
    }
}

const CLASS_EXPECTED: &str = "a credit class A, B, C or D (or empty)";

/// Registration status of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnterpriseStatus {
    /// In business (存续, 在业, 开业, 正常).
    Active,
    /// On an abnormal-operation or serious-violation list (经营异常, 异常, 严重违法失信).
    Abnormal,
    /// Deregistered or revoked (注销, 吊销, 撤销, 停业).
    Closed,
}

impl EnterpriseStatus {
    /// The canonical English word.
    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseStatus::Active => "active",
            EnterpriseStatus::Abnormal => "abnormal",
            EnterpriseStatus::Closed => "closed",
        }
    }
}

/// Parses an enterprise status in English or Chinese.
///
/// # Errors
///
/// A description of the accepted statuses (a `&'static str`) when `s` is none of the known English
/// or Chinese words.
pub fn parse_enterprise_status(s: &str) -> Result<EnterpriseStatus, &'static str> {
    // English words in any ASCII case, Chinese exactly (ASCII case folding leaves it as is).
    // The texts of the National Enterprise Credit Information Publicity System are listed as
    // written there (SPEC.md §3.3): they decide eligibility, so no rule guesses at others.
    let is = |words: &[&str]| words.iter().any(|w| w.eq_ignore_ascii_case(s));
    if is(&[
        "active",
        "存续",
        "在业",
        "开业",
        "正常",
        "在营",
        "在册",
        "存续（在营、开业、在册）",
        "存续(在营、开业、在册)",
    ]) {
        Ok(EnterpriseStatus::Active)
    } else if is(&["abnormal", "经营异常", "异常", "严重违法失信"]) {
        Ok(EnterpriseStatus::Abnormal)
    } else if is(&[
        "closed",
        "注销",
        "吊销",
        "撤销",
        "停业",
        "吊销，未注销",
        "吊销,未注销",
        "吊销，已注销",
        "吊销,已注销",
        "已注销",
        "迁出",
        "清算",
    ]) {
        Ok(EnterpriseStatus::Closed)
    } else {
        Err("active/存续, abnormal/经营异常 or closed/注销")
    }
}

/// Employment status of an officer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OfficerStatus {
    /// At work (在岗, 在职, 正常).
    Active,
    /// On leave (休假, 请假, 离岗, 借调).
    Leave,
    /// Departed (离职, 调离, 退休).
    Left,
}

impl OfficerStatus {
    /// The canonical English word.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficerStatus::Active => "active",
            OfficerStatus::Leave => "leave",
            OfficerStatus::Left => "left",
        }
    }
}

/// Parses an officer status in English or Chinese.
///
/// # Errors
///
/// A description of the accepted statuses (a `&'static str`) when `s` is none of the known English
/// or Chinese words.
pub fn parse_officer_status(s: &str) -> Result<OfficerStatus, &'static str> {
    match s.to_ascii_lowercase().as_str() {
        "active" | "在岗" | "在职" | "正常" => Ok(OfficerStatus::Active),
        "leave" | "休假" | "请假" | "离岗" | "借调" | "停职" | "病假" | "产假" | "事假" => {
            Ok(OfficerStatus::Leave)
        }
        "left" | "离职" | "调离" | "退休" => Ok(OfficerStatus::Left),
        _ => Err("active/在岗, leave/休假 or left/离职"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// The fast paths give what the definitions give.
        #[test]
        fn fast_paths_agree(
            s in "[ 0-9\\-/年月日;,；、电力无线\u{3000}\u{b}\t]{0,14}",
            y in 0u32..10_000, m in 0u32..20, d in 0u32..40,
        ) {
            prop_assert_eq!(parse_date(&s), parse_date_general(&s));
            let iso = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_date(&iso), parse_date_general(&iso));
            let mut want: Vec<&str> = s
                .split([';', '；', '、', ','])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .collect();
            want.sort();
            want.dedup();
            prop_assert_eq!(parse_list_borrowed(&s).to_vec(), want);
        }
    }

    use super::*;

    #[test]
    fn dates_reject_garbage() {
        for bad in [
            "",
            "2020",
            "20-9-30",
            "2020-13-01",
            "2020/9/31",
            "2020年9月",
            "2020.9.31",
            "2020-9-30-1",
            "2020093",
            "20201301",
            "2020-10-01 08:00:00",
            "２０２０-9-30",
            "0000-01-01",
            "0000/1/1",
            "0000年1月1日",
            "10000-01-01",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_date("2019/5/2"),
            NaiveDate::from_ymd_opt(2019, 5, 2).ok_or("")
        );
    }

    #[test]
    fn real_export_values() {
        let d = NaiveDate::from_ymd_opt(2020, 10, 1).unwrap();
        for ok in [
            "2020.10.01",
            "2020.10.1",
            "20201001",
            "2020-10-01 00:00:00",
            "2020/10/1 0:00:00",
        ] {
            assert_eq!(parse_date(ok), Ok(d), "{ok}");
        }
        assert_eq!(excel_serial("44105"), Some(d));
        assert_eq!(excel_serial("120"), None);
        assert_eq!(
            parse_enterprise_status("存续（在营、开业、在册）"),
            Ok(EnterpriseStatus::Active)
        );
        assert_eq!(
            parse_enterprise_status("吊销，未注销"),
            Ok(EnterpriseStatus::Closed)
        );
        assert_eq!(
            parse_enterprise_status("迁出"),
            Ok(EnterpriseStatus::Closed)
        );
        assert_eq!(parse_officer_status("停职"), Ok(OfficerStatus::Leave));
        assert_eq!(parse_officer_status("病假"), Ok(OfficerStatus::Leave));
        assert_eq!(parse_bool("√"), Ok(true));
    }

    #[test]
    fn lists_are_canonical() {
        assert_eq!(parse_list("电力; 无线电;电力;;"), vec!["无线电", "电力"]);
        assert_eq!(parse_list(""), Vec::<String>::new());
        assert!(parse_list_checked("无线电;电\n力").is_err());
        assert!(parse_list_checked("无线电;\u{7f}").is_err());
        assert_eq!(
            parse_list_checked(" 无线电 ; 电力"),
            Ok(vec!["无线电".into(), "电力".into()])
        );
    }

    #[test]
    fn plan_domains_are_exact() {
        assert_eq!(check_domain("无线电"), Ok(()));
        assert_eq!(check_domain("监控 化学品"), Ok(()));
        for bad in [
            "",
            " ",
            "无线电 ",
            " 无线电",
            "\u{3000}无线电",
            "无线\n电",
            "无线电\t",
            "a\u{0}",
        ] {
            assert!(check_domain(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            parse_date("0001-01-01"),
            NaiveDate::from_ymd_opt(1, 1, 1).ok_or("")
        );
        assert_eq!(
            parse_date("9999/12/31"),
            NaiveDate::from_ymd_opt(9999, 12, 31).ok_or("")
        );
    }

    #[test]
    fn classes_and_statuses() {
        assert_eq!(parse_credit_class("b级"), Ok(Some(CreditClass::B)));
        assert!(parse_credit_class("E").is_err());
        assert_eq!(parse_credit_class(""), Ok(None));
        for only_suffix in ["级", "类", "级级", "类级"] {
            assert!(parse_credit_class(only_suffix).is_err(), "{only_suffix}");
        }
        assert_eq!(
            parse_enterprise_status("注销"),
            Ok(EnterpriseStatus::Closed)
        );
        assert_eq!(parse_officer_status("休假"), Ok(OfficerStatus::Leave));
        assert!(parse_officer_status("retired?").is_err());
        assert_eq!(parse_bool("是"), Ok(true));
        assert!(parse_bool("maybe").is_err());
    }
}

#[cfg(test)]
mod examples {
    use super::*;

    #[test]
    fn dates_in_the_three_forms_bureaus_write() {
        let d = NaiveDate::from_ymd_opt(2020, 9, 30).unwrap();
        assert_eq!(parse_date("2020-09-30"), Ok(d));
        assert_eq!(parse_date("2020/9/30"), Ok(d));
        assert_eq!(parse_date("2020年9月30日"), Ok(d));
        assert!(parse_date("2020-02-30").is_err());
        assert!(parse_date("0000-01-01").is_err()); // years 0001-9999 only
    }

    #[test]
    fn lists_split_on_every_separator_sorted_and_deduplicated() {
        assert_eq!(
            parse_list_borrowed("电力；无线电、 电力").as_slice(),
            ["无线电", "电力"]
        );
    }
}
