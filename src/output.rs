//! Result tables (targets.csv, teams.csv) rendered to bytes; the [`io`](crate::io) module
//! writes them.

use crate::directory::{Officers, Targets};
use crate::draw::Outcome;

const BOM: &[u8] = "\u{feff}".as_bytes();

fn finish(w: csv::Writer<Vec<u8>>, excel: bool) -> Vec<u8> {
    // Writing into a Vec cannot fail; an empty table is the safe fallback.
    let body = w.into_inner().unwrap_or_default();
    if excel { [BOM, &body].concat() } else { body }
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
            let e = targets
                .records
                .binary_search_by(|e| e.id.as_str().cmp(&d.id))
                .ok()
                .map(|i| &targets.records[i]);
            let _ = w.write_record([
                t.task.as_str(),
                d.stratum.name(),
                &d.rank.to_string(),
                &d.id,
                e.map_or("", |e| &e.name),
                e.map_or("", |e| &e.region),
                e.and_then(|e| e.credit_class).map_or("", |c| c.as_str()),
                e.map_or("", |e| e.status.as_str()),
                &hex::encode(d.ticket),
            ]);
        }
    }
    finish(w, excel)
}

/// `teams.csv`: one row per team member, in draw order; the first officer is the leader.
pub fn teams_csv(
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    excel: bool,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "task",
        "enterprise",
        "enterprise_name",
        "role",
        "order",
        "officer_id",
        "officer_name",
        "department",
        "cert_no",
    ]);
    for t in &outcome.tasks {
        for team in &t.teams {
            let ename = targets
                .records
                .binary_search_by(|e| e.id.as_str().cmp(&team.enterprise))
                .map_or("", |i| targets.records[i].name.as_str());
            let members = team
                .officers
                .iter()
                .enumerate()
                .map(|(i, o)| (if i == 0 { "leader" } else { "member" }, o))
                .chain(team.experts.iter().map(|o| ("expert", o)));
            for (n, (role, oid)) in members.enumerate() {
                let o = officers
                    .records
                    .binary_search_by(|o| o.id.as_str().cmp(oid))
                    .ok()
                    .map(|i| &officers.records[i]);
                let _ = w.write_record([
                    t.task.as_str(),
                    &team.enterprise,
                    ename,
                    role,
                    &(n + 1).to_string(),
                    oid,
                    o.map_or("", |o| &o.name),
                    o.map_or("", |o| &o.department),
                    o.map_or("", |o| &o.cert_no),
                ]);
            }
        }
    }
    finish(w, excel)
}
