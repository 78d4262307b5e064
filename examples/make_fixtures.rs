//! Writes `fixtures/bureau/`: one small plan and its two directories (the data of
//! `fixtures/bad/base/`) in each form bureaus export — UTF-8 CSV with a BOM, GBK CSV, GB18030
//! CSV, UTF-16 LE tab-separated text (Excel's "Unicode text"), `;`-separated CSV and an Excel
//! workbook with date and number cells — plus the workbook kinds of `fixtures/bad/`.
//!
//! Every folder's `plan.toml` is the same bytes, naming `targets` and `officers` without an
//! extension (their form is detected), so that the draw logs of all forms must be byte-identical
//! (`tests/bureau.rs`). Run from the repository root:
//! `cargo run --example make_fixtures --features xlsx`.

use std::error::Error;
use std::fs;
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

const PLAN: &str = r#"# Part of fixtures/bureau/ (see README.md; written by examples/make_fixtures.rs). Synthetic data.
id = "BUREAU-FORMS-2020"
title = "导出格式测试计划"
inspection_date = "2020-10-20"
targets = "targets"
officers = "officers"
seed = "bureau-forms"

[[task]]
id = "radio"
domain = "无线电"
item = { name = "无线电台（站）设置、使用情况检查", basis = "《中华人民共和国无线电管理条例》第十四条" }
scope = { domains = ["无线电"] }
sample = { count = 2 }
team = { size = 2 }
area = "different"

[[task]]
id = "power"
domain = "电力"
item = { name = "电力设施保护和电力运行安全检查", basis = "《电力设施保护条例》第四条" }
scope = { domains = ["电力"] }
sample.by_class = { A = "5%", B = "20%", C = "50%", D = "100%", none = "100%" }
team = { size = 2 }
"#;

/// Rows of a CSV file without a BOM, split naively (the base fixture quotes nothing).
fn rows(path: &Path) -> Result<Vec<Vec<String>>, Box<dyn Error>> {
    let text = fs::read_to_string(path)?;
    Ok(text
        .trim_start_matches('\u{feff}')
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(String::from).collect())
        .collect())
}

/// CSV text with `sep`, quoting a cell that holds it.
fn join(rows: &[Vec<String>], sep: char) -> String {
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .map(|c| {
                if c.contains(sep) || c.contains('"') {
                    format!("\"{}\"", c.replace('"', "\"\""))
                } else {
                    c.clone()
                }
            })
            .collect();
        out.push_str(&cells.join(&sep.to_string()));
        out.push_str("\r\n");
    }
    out
}

/// A date as the base fixture writes it (`2019/5/12`, `2020年1月8日`, `2018-03-01`).
fn date(s: &str) -> Option<(u16, u8, u8)> {
    let t = s.trim_end_matches('日');
    let parts: Vec<&str> = t.split(['-', '/', '年', '月']).collect();
    match parts.as_slice() {
        [y, m, d] => Some((y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)),
        _ => None,
    }
}

/// A sheet as Excel holds a directory typed by hand: codes and areas as numbers, dates as
/// date cells, everything else as text.
fn sheet(
    wb: &mut Workbook,
    name: &str,
    rows: &[Vec<String>],
    numbers: &[usize],
    dates: &[usize],
) -> Result<(), Box<dyn Error>> {
    // A fixed creation time, so that the workbook's bytes do not change from run to run.
    let props = DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2020, 10, 1)?);
    wb.set_properties(&props);
    let ws = wb.add_worksheet();
    ws.set_name(name)?;
    let day = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r32, c16) = (r as u32, c as u16);
            if cell.is_empty() {
                continue;
            }
            if r > 0 && numbers.contains(&c) {
                ws.write_number(r32, c16, cell.parse::<f64>()?)?;
            } else if r > 0
                && dates.contains(&c)
                && let Some((y, m, d)) = date(cell)
            {
                ws.write_datetime_with_format(r32, c16, &ExcelDateTime::from_ymd(y, m, d)?, &day)?;
            } else {
                ws.write_string(r32, c16, cell)?;
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Writes rows in one form.
type Encode = Box<dyn Fn(&[Vec<String>]) -> Vec<u8>>;

fn main() -> Result<(), Box<dyn Error>> {
    let base = Path::new("fixtures/bad/base");
    let out = Path::new("fixtures/bureau");
    let t = rows(&base.join("targets.csv"))?;
    let o = rows(&base.join("officers.csv"))?;
    let forms: [(&str, Encode); 5] = [
        (
            "utf8",
            Box::new(|r| {
                let mut b = b"\xEF\xBB\xBF".to_vec();
                b.extend_from_slice(join(r, ',').as_bytes());
                b
            }),
        ),
        (
            "gbk",
            Box::new(|r| encoding_rs::GBK.encode(&join(r, ',')).0.into_owned()),
        ),
        (
            "gb18030",
            Box::new(|r| encoding_rs::GB18030.encode(&join(r, ',')).0.into_owned()),
        ),
        (
            "utf16",
            Box::new(|r| {
                let mut b = vec![0xFF, 0xFE];
                for u in join(r, '\t').encode_utf16() {
                    b.extend_from_slice(&u.to_le_bytes());
                }
                b
            }),
        ),
        ("semicolon", Box::new(|r| join(r, ';').into_bytes())),
    ];
    for (name, write) in &forms {
        let dir = out.join(name);
        fs::create_dir_all(&dir)?;
        fs::write(dir.join("plan.toml"), PLAN)?;
        fs::write(dir.join("targets"), write(&t))?;
        fs::write(dir.join("officers"), write(&o))?;
    }
    // The workbook: region (column 3 of targets, 4 of officers) as numbers, dates as dates.
    let dir = out.join("xlsx");
    fs::create_dir_all(&dir)?;
    fs::write(dir.join("plan.toml"), PLAN)?;
    let mut wb = Workbook::new();
    sheet(&mut wb, "检查对象名录", &t, &[2], &[6])?;
    wb.save(dir.join("targets"))?;
    let mut wb = Workbook::new();
    sheet(&mut wb, "执法检查人员名录", &o, &[3], &[5])?;
    wb.save(dir.join("officers"))?;
    // A bad kind: a plan naming a sheet the workbook does not have.
    let bad = Path::new("fixtures/bad/xlsx_unknown_sheet");
    fs::create_dir_all(bad)?;
    let mut wb = Workbook::new();
    sheet(&mut wb, "检查对象名录", &t, &[2], &[6])?;
    wb.save(bad.join("targets.xlsx"))?;
    let plan = fs::read_to_string(base.join("plan.toml"))?
        .replace("targets = \"targets.csv\"", "targets = \"targets.xlsx\"")
        .replace(
            "officers = \"officers.csv\"",
            "officers = \"../base/officers.csv\"",
        )
        .replacen(
            "\n[[task]]",
            "\n[input]\ntargets_sheet = \"名录\"\n\n[[task]]",
            1,
        );
    fs::write(bad.join("plan.toml"), plan)?;
    Ok(())
}
