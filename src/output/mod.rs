//! Result tables (targets.csv, teams.csv) rendered to bytes; the [`io`](crate::io) module
//! writes them.

#[cfg(feature = "xlsx")]
mod xlsx;
#[cfg(feature = "xlsx")]
pub use xlsx::assignment_sheet;

use crate::directory::{Officers, Targets};
use crate::draw::outcome::Outcome;

const BOM: &[u8] = "\u{feff}".as_bytes();

/// A cell as a spreadsheet must show it, not run it (OWASP's CSV-injection rule): a cell that
/// begins with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so that
/// Excel or LibreOffice shows the text instead of evaluating a formula such as
/// `=HYPERLINK(…)`. Only these tables for people are neutralised; the log keeps every value
/// exactly.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Writes one data row, every cell made [`spreadsheet_safe`].
fn write_row<'a>(w: &mut csv::Writer<Vec<u8>>, cells: impl IntoIterator<Item = &'a str>) {
    let _ = w.write_record(
        cells
            .into_iter()
            .map(spreadsheet_safe)
            .map(|c| c.into_owned()),
    );
}

fn finish(w: csv::Writer<Vec<u8>>, excel: bool) -> Vec<u8> {
    // Writing into a Vec cannot fail; an empty table is the safe fallback.
    let body = w.into_inner().unwrap_or_default();
    if excel { [BOM, &body].concat() } else { body }
}

/// A table with a header and rows of text, every data cell [`spreadsheet_safe`], with a UTF-8
/// BOM for Excel.
pub(crate) fn simple_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        write_row(&mut w, r.iter().map(String::as_str));
    }
    finish(w, true)
}

/// `targets.csv`: one row per drawn enterprise. With `excel`, a UTF-8 BOM is prepended so that
/// Excel shows Chinese text.
pub fn targets_csv(targets: &Targets, outcome: &Outcome, excel: bool) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "task",
        "stratum",
        "rank",
        "id",
        "name",
        "region",
        "credit_class",
        "status",
        "ticket",
    ]);
    for t in &outcome.tasks {
        for d in &t.drawn {
            let e = targets.get(&d.id);
            write_row(
                &mut w,
                [
                    t.task.as_str(),
                    d.stratum.name(),
                    &d.rank.to_string(),
                    &d.id,
                    e.map_or("", |e| &e.name),
                    e.map_or("", |e| &e.region),
                    e.and_then(|e| e.credit_class).map_or("", |c| c.as_str()),
                    e.map_or("", |e| e.status.as_str()),
                    &hex::encode(d.ticket),
                ],
            );
        }
    }
    finish(w, excel)
}

/// A column of a teams table after `task`, `enterprise`, `enterprise_name` and `role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Column {
    /// 1-based place in the team.
    Order,
    /// The officer's id.
    OfficerId,
    /// The officer's name, headed `officer_name` (the bureau's own table).
    OfficerName,
    /// The officer's name, headed `name` (a published table, where the plan makes it public).
    Name,
    /// The officer's department.
    Department,
    /// The officer's area.
    Region,
    /// The officer's certificate number.
    CertNo,
}

impl Column {
    fn header(self) -> &'static str {
        match self {
            Column::Order => "order",
            Column::OfficerId => "officer_id",
            Column::OfficerName => "officer_name",
            Column::Name => "name",
            Column::Department => "department",
            Column::Region => "region",
            Column::CertNo => "cert_no",
        }
    }
}

/// The bureau's own `teams.csv` columns: every field a team leader needs.
const BUREAU_COLUMNS: [Column; 5] = [
    Column::Order,
    Column::OfficerId,
    Column::OfficerName,
    Column::Department,
    Column::CertNo,
];

/// `teams.csv`: one row per team member, in draw order; the first officer is the leader.
pub fn teams_csv(
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    excel: bool,
) -> Vec<u8> {
    teams_table(targets, officers, outcome, &BUREAU_COLUMNS, excel)
}

/// A teams table with the given officer columns: the bureau's (all fields) or a published one
/// (only the fields the plan makes public).
pub(crate) fn teams_table(
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    columns: &[Column],
    excel: bool,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = ["task", "enterprise", "enterprise_name", "role"]
        .into_iter()
        .chain(columns.iter().map(|c| c.header()));
    let _ = w.write_record(head);
    for t in &outcome.tasks {
        for team in &t.teams {
            let ename = targets
                .get(&team.enterprise)
                .map_or("", |e| e.name.as_str());
            let members = team
                .officers
                .iter()
                .enumerate()
                .map(|(i, o)| (if i == 0 { "leader" } else { "member" }, o))
                .chain(team.experts.iter().map(|o| ("expert", o)));
            for (n, (role, oid)) in members.enumerate() {
                let o = officers.get(oid);
                let order = (n + 1).to_string();
                let mut row = vec![t.task.as_str(), &team.enterprise, ename, role];
                row.extend(columns.iter().map(|c| match c {
                    Column::Order => order.as_str(),
                    Column::OfficerId => oid.as_str(),
                    Column::OfficerName | Column::Name => o.map_or("", |o| &o.name),
                    Column::Department => o.map_or("", |o| &o.department),
                    Column::Region => o.map_or("", |o| &o.region),
                    Column::CertNo => o.map_or("", |o| &o.cert_no),
                }));
                write_row(&mut w, row);
            }
        }
    }
    finish(w, excel)
}

#[cfg(test)]
mod tests {
    use super::spreadsheet_safe;

    #[test]
    fn formulas_are_shown_not_run() {
        for lead in ["=", "+", "-", "@", "\t", "\r"] {
            let cell = format!("{lead}HYPERLINK(\"http://x\")");
            assert_eq!(spreadsheet_safe(&cell), format!("'{cell}"), "{lead:?}");
        }
        for plain in [
            "",
            "天津市某无线电公司",
            "9144030071526726XG",
            "'quoted",
            " =spaced",
        ] {
            assert_eq!(spreadsheet_safe(plain), plain);
        }
    }
}
