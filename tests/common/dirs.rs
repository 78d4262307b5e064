//! Directory CSV: the English headers, reading targets and officers from text, and writing
//! rows, whole directories or reordered copies.

use dualdraw::directory::{read_officers, read_targets};
use dualdraw::{Officers, Targets};

/// The target directory's columns, in English.
pub const TARGET_HEADER: [&str; 7] = [
    "id",
    "name",
    "region",
    "domains",
    "credit_class",
    "status",
    "last_inspected",
];

/// The officer directory's columns, in English.
pub const OFFICER_HEADER: [&str; 10] = [
    "id",
    "name",
    "department",
    "region",
    "cert_no",
    "cert_expires",
    "domains",
    "expert",
    "status",
    "conflicts",
];

/// A header line: the columns joined by commas, with a newline.
pub fn header_line(columns: &[&str]) -> String {
    columns.join(",") + "\n"
}

/// Targets from CSV text, as `targets.csv`.
pub fn targets_from(text: &str) -> Targets {
    read_targets(text.as_bytes(), "targets.csv".as_ref()).expect("targets parse")
}

/// Officers from CSV text, as `officers.csv`.
pub fn officers_from(text: &str) -> Officers {
    read_officers(text.as_bytes(), "officers.csv".as_ref()).expect("officers parse")
}

/// Writes rows as CSV; `quote_all` quotes every field, otherwise only those that need it.
pub fn write_csv(rows: &[Vec<String>], quote_all: bool, eol: &str) -> String {
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .map(|f| {
                if quote_all || f.contains([',', '"', '\n', '\r']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str(eol);
    }
    out
}

/// The target directory as CSV in id order, English header, as a stream needs it.
pub fn sorted_csv(targets: &Targets) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(TARGET_HEADER).unwrap();
    for e in targets.records() {
        w.write_record([
            e.id.clone(),
            e.name.clone(),
            e.region.clone(),
            e.domains.join(";"),
            e.credit_class.map_or("", |c| c.as_str()).to_string(),
            e.status.as_str().to_string(),
            e.last_inspected.map(|d| d.to_string()).unwrap_or_default(),
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

/// CSV text with its data rows (all lines after the header) in reverse order, LF-ended.
pub fn reverse_rows(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    lines.join("\n") + "\n"
}

/// CSV text with its data rows sorted as text, LF-ended.
pub fn sort_rows(text: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].sort();
    lines.join("\n") + "\n"
}
