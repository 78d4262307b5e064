//! The two directories (一单、两库): enterprises to inspect and the officers who inspect them.
//!
//! Records are parsed from CSV by [`read_targets`] and [`read_officers`] (from any reader; the
//! crate's [`io`](crate::io) module opens files), validated field by field, and kept sorted by
//! id. Each record has a canonical byte encoding ([`Enterprise::canonical_bytes`],
//! [`Officer::canonical_bytes`], SPEC.md §3) whose RFC 6962 tree head is the directory's
//! digest: it does not change with row order, CSV quoting, header language or a BOM.

mod csv;
pub(crate) mod fields;
mod input;
mod records;
mod report;
pub(crate) mod rows;
pub mod uscc;

use std::path::PathBuf;

use chrono::NaiveDate;
use serde::Serialize;

pub(crate) use self::csv::TargetFormat;
pub use self::csv::{
    Audit, TargetRows, Which, all_target_errors, audit_header, prepare, read_officers,
    read_targets, target_id_column,
};
pub use fields::{CreditClass, EnterpriseStatus, OfficerStatus};
pub use input::{Form, InputRule, encoding_named, normalize, optional_field};

use crate::merkle::{Hash, TreeBuilder};

/// One enterprise of the target directory (检查对象名录库).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enterprise {
    /// Unified social credit code (统一社会信用代码).
    pub id: String,
    /// Name (企业名称).
    pub name: String,
    /// GB/T 2260 division code (行政区划代码).
    pub region: String,
    /// Supervision domains (监管领域), sorted.
    pub domains: Vec<String>,
    /// Credit-risk class (信用等级), if classified.
    pub credit_class: Option<CreditClass>,
    /// Registration status (登记状态).
    pub status: EnterpriseStatus,
    /// Date of the last inspection (上次检查日期), if any.
    pub last_inspected: Option<NaiveDate>,
}

/// One officer of the inspector directory (执法检查人员名录库).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Officer {
    /// Staff number (人员编号).
    pub id: String,
    /// Name (姓名): personal data.
    pub name: String,
    /// Department (所属部门).
    pub department: String,
    /// Area (片区).
    pub region: String,
    /// Law-enforcement certificate number (执法证号).
    pub cert_no: String,
    /// Last day the certificate is valid (执法证有效期至).
    pub cert_expires: NaiveDate,
    /// Domains the officer may inspect (执法领域), sorted.
    pub domains: Vec<String>,
    /// Expert flag (是否专家).
    pub expert: bool,
    /// Employment status (人员状态).
    pub status: OfficerStatus,
    /// Enterprises the officer declared an interest in (回避企业), sorted.
    pub conflicts: Vec<String>,
}

/// Appends `u32be(len) || bytes`: the length-prefixed string of SPEC.md §1.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u32).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Appends the canonical enterprise record of SPEC.md §3.1 (shared by owned and borrowed rows).
#[allow(clippy::too_many_arguments)]
pub(crate) fn canonical_enterprise<S: AsRef<str>>(
    out: &mut Vec<u8>,
    id: &str,
    name: &str,
    region: &str,
    domains: &[S],
    credit_class: Option<CreditClass>,
    status: EnterpriseStatus,
    last_inspected: Option<NaiveDate>,
) {
    put_str(out, "dualdraw/v1/enterprise");
    put_str(out, id);
    put_str(out, name);
    put_str(out, region);
    put_list(out, domains);
    put_str(out, credit_class.map_or("", CreditClass::as_str));
    put_str(out, status.as_str());
    put_date(out, last_inspected);
}

fn put_list<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.extend_from_slice(&(items.len() as u32).to_be_bytes());
    for i in items {
        put_str(out, i.as_ref());
    }
}

/// Appends `str(YYYY-MM-DD)`, or `str("")` for no date (SPEC.md §3.1). Written by hand: this
/// runs once per record of a national directory, and chrono's formatter is the slow path.
fn put_date(out: &mut Vec<u8>, d: Option<NaiveDate>) {
    use chrono::Datelike;
    let Some(d) = d else {
        put_str(out, "");
        return;
    };
    let (y, m, day) = (d.year(), d.month(), d.day());
    if !(0..=9999).contains(&y) {
        put_str(out, &d.format("%Y-%m-%d").to_string());
        return;
    }
    let y = y as u32;
    let digit = |v: u32| b'0' + (v % 10) as u8;
    out.extend_from_slice(&10u32.to_be_bytes());
    out.extend_from_slice(&[
        digit(y / 1000),
        digit(y / 100),
        digit(y / 10),
        digit(y),
        b'-',
        digit(m / 10),
        digit(m),
        b'-',
        digit(day / 10),
        digit(day),
    ]);
}

impl Enterprise {
    /// The canonical encoding of SPEC.md §3.1, the leaf of the directory's Merkle tree.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        canonical_enterprise(
            &mut out,
            &self.id,
            &self.name,
            &self.region,
            &self.domains,
            self.credit_class,
            self.status,
            self.last_inspected,
        );
        out
    }
}

impl Officer {
    /// The canonical encoding of SPEC.md §3.2, the leaf of the directory's Merkle tree.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_str(&mut out, "dualdraw/v1/officer");
        put_str(&mut out, &self.id);
        put_str(&mut out, &self.name);
        put_str(&mut out, &self.department);
        put_str(&mut out, &self.region);
        put_str(&mut out, &self.cert_no);
        put_date(&mut out, Some(self.cert_expires));
        put_list(&mut out, &self.domains);
        put_str(&mut out, if self.expert { "1" } else { "0" });
        put_str(&mut out, self.status.as_str());
        put_list(&mut out, &self.conflicts);
        out
    }
}

/// Something suspicious in an input that does not stop the draw; it is written into the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// A stable machine-readable code, e.g. `uscc-check`.
    pub code: &'static str,
    /// Which directory: `targets` or `officers`.
    pub source: &'static str,
    /// The record's id.
    pub id: String,
    /// What is suspicious.
    pub message: String,
    /// The file and line (for people; not written into the log, which must not depend on row order).
    #[serde(skip)]
    pub file: PathBuf,
    /// 1-based line of the record.
    #[serde(skip)]
    pub line: u64,
}

/// A directory's digest: the RFC 6962 head over its canonical records in id order, the count,
/// and which optional fields any record fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    /// Merkle tree head.
    pub head: Hash,
    /// Number of records.
    pub count: u64,
    /// The optional fields at least one record has a value for (SPEC.md §3.3).
    pub supplied: Supplied,
}

/// The optional fields a directory supplies: those at least one record has a value for
/// (credit class, last inspection; expert flag, declared conflicts). The log header records
/// them, so that a reader is told "no conflict declarations were supplied" instead of silence
/// (SPEC.md §3.3, §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Supplied(u8);

impl Supplied {
    /// Targets' optional fields, in byte order of their names.
    pub const TARGET_FIELDS: [&'static str; 2] = ["credit_class", "last_inspected"];
    /// Officers' optional fields, in byte order of their names.
    pub const OFFICER_FIELDS: [&'static str; 2] = ["conflicts", "expert"];

    /// What one enterprise supplies.
    pub fn of_enterprise(credit_class: bool, last_inspected: bool) -> Self {
        Supplied(u8::from(credit_class) | u8::from(last_inspected) << 1)
    }

    /// What one officer supplies.
    pub fn of_officer(conflicts: bool, expert: bool) -> Self {
        Supplied(u8::from(conflicts) | u8::from(expert) << 1)
    }

    /// Both together.
    pub fn or(self, other: Self) -> Self {
        Supplied(self.0 | other.0)
    }

    /// The names supplied out of `fields` (one of the two lists above), in its order.
    pub fn names(self, fields: &[&'static str; 2]) -> Vec<&'static str> {
        fields
            .iter()
            .enumerate()
            .filter(|(i, _)| self.0 & (1 << i) != 0)
            .map(|(_, f)| *f)
            .collect()
    }
}

impl Supplied {
    /// What a reader is told when a directory supplies no value of the optional `field`: in
    /// English and in Chinese.
    pub fn absent_note(field: &str) -> (&'static str, &'static str) {
        match field {
            "credit_class" => ("no credit classes were supplied", "未提供信用等级"),
            "last_inspected" => (
                "no last-inspection dates were supplied: no enterprise can be excluded as recently inspected",
                "未提供上次检查日期（无法排除近期已检查的企业）",
            ),
            "conflicts" => (
                "no conflict declarations were supplied",
                "未提供回避企业申报",
            ),
            "expert" => ("no officer is marked as an expert", "未标注专家"),
            _ => ("", ""),
        }
    }

    /// The notes for every optional field of `fields` not supplied.
    pub fn absent_notes(self, fields: &[&'static str; 2]) -> Vec<(&'static str, &'static str)> {
        let have = self.names(fields);
        fields
            .iter()
            .filter(|f| !have.contains(f))
            .map(|f| Supplied::absent_note(f))
            .collect()
    }
}

fn digest<'a>(leaves: impl Iterator<Item = Vec<u8>> + 'a, supplied: Supplied) -> Digest {
    let mut t = TreeBuilder::new();
    for l in leaves {
        t.push(&l);
    }
    Digest {
        head: t.head(),
        count: t.len(),
        supplied,
    }
}

/// The parsed target directory, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Targets {
    /// Enterprises, sorted by id (byte order), ids unique: the constructors keep it so.
    pub(crate) records: Vec<Enterprise>,
    /// Warnings found while reading, sorted by id.
    pub(crate) warnings: Vec<Warning>,
}

impl Targets {
    /// The directory digest (SPEC.md §3).
    pub fn digest(&self) -> Digest {
        let supplied = self.records.iter().fold(Supplied::default(), |s, e| {
            s.or(Supplied::of_enterprise(
                e.credit_class.is_some(),
                e.last_inspected.is_some(),
            ))
        });
        digest(
            self.records.iter().map(Enterprise::canonical_bytes),
            supplied,
        )
    }

    /// The enterprise with this unified social credit code, if the directory has it.
    pub fn get(&self, id: &str) -> Option<&Enterprise> {
        find(&self.records, id, |e| &e.id)
    }

    /// The enterprises, sorted by id (byte order), ids unique.
    pub fn records(&self) -> &[Enterprise] {
        &self.records
    }

    /// Warnings found while reading (also written into a draw's log), sorted by id.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// The number of enterprises.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True for a directory without enterprises.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

/// Binary search by id in records sorted by id.
fn find<'a, T>(records: &'a [T], id: &str, key: impl Fn(&T) -> &str) -> Option<&'a T> {
    records
        .binary_search_by(|r| key(r).cmp(id))
        .ok()
        .map(|i| &records[i])
}

/// The parsed officer directory, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct Officers {
    /// Officers, sorted by id (byte order), ids unique: the constructors keep it so.
    pub(crate) records: Vec<Officer>,
}

impl Officers {
    /// The directory digest (SPEC.md §3).
    pub fn digest(&self) -> Digest {
        let supplied = self.records.iter().fold(Supplied::default(), |s, o| {
            s.or(Supplied::of_officer(!o.conflicts.is_empty(), o.expert))
        });
        digest(self.records.iter().map(Officer::canonical_bytes), supplied)
    }

    /// The officer with this staff number, if the directory has one.
    pub fn get(&self, id: &str) -> Option<&Officer> {
        find(&self.records, id, |o| &o.id)
    }

    /// The officers, sorted by id (byte order), ids unique.
    pub fn records(&self) -> &[Officer] {
        &self.records
    }

    /// The number of officers.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True for a directory without officers.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}
