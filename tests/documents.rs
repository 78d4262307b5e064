//! Documents for people (issue 14, item 6): with `--excel`, `draw`, a committed `draw`,
//! `render` and `replace` also write `teams.xlsx`, the team assignment sheet (抽查任务分配表):
//! two sheets with Chinese names, a frozen and repeated heading, landscape A4 fitted to one
//! page wide, one row per team with leader, members, experts and certificate numbers, every
//! cell a string (never a formula), the log head on the plan sheet, and bytes that depend only
//! on the draw.

mod common;

use std::io::Read;
use std::path::Path;

use common::cli::{bin, code, show};

/// The entries of a workbook (a zip archive) we look at, as text.
fn part(xlsx: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip archive");
    let mut s = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the workbook"))
        .read_to_string(&mut s)
        .unwrap();
    s
}

/// The shared strings of a workbook, unescaped enough for our names (`&amp;` and friends).
fn strings(xlsx: &[u8]) -> Vec<String> {
    let xml = part(xlsx, "xl/sharedStrings.xml");
    xml.split("<t")
        .skip(1)
        .filter_map(|s| {
            let body = &s[s.find('>')? + 1..];
            Some(
                body[..body.find("</t>")?]
                    .replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&quot;", "\"")
                    .replace("&amp;", "&"),
            )
        })
        .collect()
}

fn draw_excel(plan: &Path, out: &Path) {
    let o = bin()
        .arg("draw")
        .arg(plan)
        .arg("--out")
        .arg(out)
        .arg("--excel")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
}

/// The bureau's `teams.csv` rows (BOM removed): task, enterprise, name, role, order, officer id,
/// officer name, department, certificate number.
fn teams_csv(dir: &Path) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir.join("teams.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn the_assignment_sheet_shows_every_team_and_is_reproducible() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let plan = dir.path().join("plan.toml");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    draw_excel(&plan, &a);
    draw_excel(&plan, &b);
    let xlsx = std::fs::read(a.join("teams.xlsx")).unwrap();
    assert_eq!(
        xlsx,
        std::fs::read(b.join("teams.xlsx")).unwrap(),
        "the same draw gives the same workbook bytes"
    );
    let book = part(&xlsx, "xl/workbook.xml");
    assert!(book.contains("name=\"抽查任务分配表\""), "{book}");
    assert!(book.contains("name=\"抽查计划\""), "{book}");
    let sheet = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(sheet.contains("ySplit=\"1\""), "frozen heading: {sheet}");
    assert!(sheet.contains("orientation=\"landscape\""), "{sheet}");
    assert!(
        sheet.contains("fitToHeight=\"0\""),
        "one page wide: {sheet}"
    );
    assert!(!sheet.contains("<f>"), "no formula anywhere");
    assert!(book.contains("_xlnm.Print_Titles"), "heading on every page");

    let text = strings(&xlsx);
    let checkpoint = std::fs::read_to_string(a.join("draw.head")).unwrap();
    assert!(
        text.contains(&checkpoint.trim_end().to_string()),
        "the log checkpoint"
    );
    for h in [
        "统一社会信用代码",
        "企业名称",
        "检查组组长",
        "组长执法证号",
        "专家",
    ] {
        assert!(text.iter().any(|t| t == h), "heading {h}");
    }
    // Every team of teams.csv is one row: its leader as `name（id）` with the certificate.
    let rows = teams_csv(&a);
    let leaders: Vec<_> = rows.iter().filter(|r| r[3] == "leader").collect();
    assert!(leaders.len() >= 10, "{}", leaders.len());
    for r in &leaders {
        let shown = format!("{}（{}）", r[6], r[5]);
        assert!(text.contains(&shown), "leader {shown}");
        assert!(text.contains(&r[8]), "certificate {}", r[8]);
        assert!(text.contains(&r[1]), "enterprise {}", r[1]);
    }
    let rows_in_sheet = sheet.matches("<row ").count();
    assert_eq!(
        rows_in_sheet,
        leaders.len() + 1,
        "heading and one row per team"
    );
    // Members' names, however many, are on their team's row.
    for r in rows.iter().filter(|r| r[3] == "member" || r[3] == "expert") {
        assert!(
            text.iter()
                .any(|t| t.contains(&format!("{}（{}）", r[6], r[5])))
        );
    }
}

#[test]
fn a_replacement_and_render_keep_the_sheet_in_step_with_the_log() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let plan = dir.path().join("plan.toml");
    let out = dir.path().join("draw");
    draw_excel(&plan, &out);
    let before = teams_csv(&out);
    let leader = before.iter().find(|r| r[3] == "leader").unwrap().clone();
    let o = bin()
        .arg("replace")
        .arg(out.join("draw.log"))
        .arg("--plan")
        .arg(&plan)
        .args(["--task", &leader[0], "--enterprise", &leader[1]])
        .args(["--officer", &leader[5], "--reason", "illness"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let after = teams_csv(&out);
    let incoming = after
        .iter()
        .find(|r| r[0] == leader[0] && r[1] == leader[1] && r[3] == "leader")
        .unwrap();
    assert_ne!(incoming[5], leader[5], "teams.csv shows the replacement");
    let xlsx = std::fs::read(out.join("teams.xlsx")).unwrap();
    let text = strings(&xlsx);
    assert!(
        text.contains(&format!("{}（{}）", incoming[6], incoming[5])),
        "the sheet shows the new leader"
    );
    assert!(
        !text.contains(&format!("{}（{}）", leader[6], leader[5]))
            || after.iter().any(|r| r[5] == leader[5]),
        "the replaced officer is gone unless on another team"
    );
    // render writes the very same bytes again.
    std::fs::remove_file(out.join("teams.xlsx")).unwrap();
    let o = bin()
        .arg("render")
        .arg(out.join("draw.log"))
        .arg("--plan")
        .arg(&plan)
        .arg("--excel")
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(std::fs::read(out.join("teams.xlsx")).unwrap(), xlsx);
}

#[test]
fn a_formula_in_a_name_is_shown_as_text() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "officers.csv"]);
    let targets = common::read_demo("targets.csv");
    let text = String::from_utf8(targets).unwrap();
    // Every enterprise name becomes a formula-looking text.
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let name_col = header
        .split(',')
        .position(|h| h == "企业名称" || h == "name");
    let Some(col) = name_col else {
        panic!("no name column in {header}")
    };
    let mut out = format!("{header}\n");
    for l in lines {
        let mut cells: Vec<String> = l.split(',').map(str::to_string).collect();
        if cells.len() > col && !l.contains('"') {
            cells[col] =
                format!("=HYPERLINK(\"http://x\",\"{}\")", cells[col]).replace('"', "\"\"");
            cells[col] = format!("\"{}\"", cells[col]);
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    std::fs::write(dir.path().join("targets.csv"), out).unwrap();
    let draw = dir.path().join("draw");
    draw_excel(&dir.path().join("plan.toml"), &draw);
    let xlsx = std::fs::read(draw.join("teams.xlsx")).unwrap();
    assert!(
        strings(&xlsx)
            .iter()
            .any(|t| t.starts_with("=HYPERLINK(\"http://x\"")),
        "the name is kept as text"
    );
    assert!(!part(&xlsx, "xl/worksheets/sheet1.xml").contains("<f>"));
}
