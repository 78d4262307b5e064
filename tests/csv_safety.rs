//! Tables for people are safe to open in a spreadsheet (issue 10, item 6): names such as
//! `=HYPERLINK(…)`, `+cmd|' /C calc'!A0`, `@SUM(…)` or `-2+3` reach `targets.csv`, `teams.csv`
//! (plain and `--excel`) and the published `results/*.csv` only as text (`'` first), while
//! the published JSON keeps every value exactly.

mod common;

use std::path::Path;

use dualdraw::commands;

const HOSTILE: [&str; 4] = [
    "=HYPERLINK(\"http://evil.example\",\"点此\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
];

/// Rewrites a CSV's `column` with the hostile values, cycling through them.
fn poison(path: &Path, column: &str) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    let idx = headers
        .iter()
        .position(|h| h.trim_start_matches('\u{feff}') == column)
        .unwrap();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&headers).unwrap();
    for (i, rec) in r.records().enumerate() {
        let rec = rec.unwrap();
        let row: Vec<&str> = rec
            .iter()
            .enumerate()
            .map(|(j, c)| {
                if j == idx {
                    HOSTILE[i % HOSTILE.len()]
                } else {
                    c
                }
            })
            .collect();
        w.write_record(&row).unwrap();
    }
    std::fs::write(path, w.into_inner().unwrap()).unwrap();
}

/// Every cell of a CSV file (a BOM first is allowed).
fn cells(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    r.records()
        .flat_map(|rec| rec.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

fn assert_safe(path: &Path) -> usize {
    let all = cells(path);
    for c in &all {
        let lead = c.as_bytes().first();
        assert!(
            !matches!(lead, Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')),
            "{}: cell {c:?} would run in a spreadsheet",
            path.display()
        );
    }
    // The neutralised cells are exactly `'` + the original.
    all.iter()
        .filter(|c| HOSTILE.iter().any(|h| **c == format!("'{h}")))
        .count()
}

#[test]
fn hostile_names_reach_tables_only_as_text() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    poison(&dir.path().join("targets.csv"), "企业名称");
    poison(&dir.path().join("officers.csv"), "姓名");
    let plan = dir.path().join("plan.toml");
    for excel in [false, true] {
        let out = dir.path().join(format!("draw-{excel}"));
        commands::draw(
            &plan,
            &commands::DrawOptions {
                out: Some(out.clone()),
                excel,
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
        assert!(
            assert_safe(&out.join("targets.csv")) > 0,
            "names were drawn"
        );
        assert!(
            assert_safe(&out.join("teams.csv")) > 0,
            "officer names listed"
        );
    }
    // The published folder: CSV neutralised, JSON exact.
    let public = dir.path().join("public");
    commands::publish(&dir.path().join("draw-false/draw.log"), &plan, &public).unwrap();
    assert!(assert_safe(&public.join("results/targets.csv")) > 0);
    assert_safe(&public.join("results/teams.csv"));
    let json = std::fs::read_to_string(public.join("results/targets.json")).unwrap();
    let exact = HOSTILE
        .iter()
        .any(|h| json.contains(&serde_json::to_string(h).unwrap()));
    assert!(exact, "the JSON keeps the names exactly");
}
