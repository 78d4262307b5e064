//! What bureaus really export (issue 14, SPEC.md §3.4): the same directory as UTF-8 CSV, GBK
//! CSV, GB18030 CSV, UTF-16 tab-separated text, `;`-separated CSV and an Excel workbook gives
//! byte-identical draw logs; the values real exports hold are read as their documented
//! mappings; a log or proof converted to CRLF or given a BOM is refused as converted (exit 2),
//! not reported as forged. The fixtures are written by `examples/make_fixtures.rs`.

mod common;

use std::path::{Path, PathBuf};

const FORMS: [&str; 6] = ["utf8", "gbk", "gb18030", "utf16", "semicolon", "xlsx"];

fn form(name: &str) -> PathBuf {
    common::root().join("fixtures/bureau").join(name)
}

fn draw(plan: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "draw".as_ref(),
        plan.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ];
    args.extend(extra.iter().map(|a| std::ffi::OsStr::new(*a)));
    common::cli::run(args)
}

fn ok(what: &str, out: &std::process::Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_form_gives_the_same_log() {
    let tmp = common::tmp();
    let reference = tmp.path().join("utf8");
    ok(
        "utf8",
        &draw(&form("utf8").join("plan.toml"), &reference, &[]),
    );
    let log = std::fs::read(reference.join("draw.log")).unwrap();
    for f in FORMS {
        // The plans are the same bytes, so the logs must be too.
        assert_eq!(
            std::fs::read(form(f).join("plan.toml")).unwrap(),
            std::fs::read(form("utf8").join("plan.toml")).unwrap(),
            "{f}: plan differs"
        );
        let out_dir = tmp.path().join(format!("out-{f}"));
        ok(f, &draw(&form(f).join("plan.toml"), &out_dir, &[]));
        assert_eq!(
            std::fs::read(out_dir.join("draw.log")).unwrap(),
            log,
            "{f}: the log differs from the UTF-8 CSV's"
        );
        // The UTF-8 log verifies against the directories in this form.
        let v = common::cli::run([
            "verify".as_ref(),
            reference.join("draw.log").as_os_str(),
            "--plan".as_ref(),
            form(f).join("plan.toml").as_os_str(),
        ]);
        ok(&format!("verify against {f}"), &v);
        // The independent Python verifier reads the CSV forms too (not workbooks).
        if f != "xlsx"
            && std::process::Command::new("python3")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        {
            let py = std::process::Command::new("python3")
                .arg(common::root().join("verifiers/python/verify.py"))
                .arg(reference.join("draw.log"))
                .arg("--plan")
                .arg(form(f).join("plan.toml"))
                .output()
                .expect("run verify.py");
            assert!(
                py.status.success(),
                "verify.py against {f}: {}",
                String::from_utf8_lossy(&py.stderr)
            );
        }
        // `check` names the form it read.
        let c = common::cli::run(["check".as_ref(), form(f).join("plan.toml").as_os_str()]);
        ok(&format!("check {f}"), &c);
    }
    // The workbook's sheet is the first, or the one the plan names.
    let dir = tmp.path().join("sheet");
    std::fs::create_dir(&dir).unwrap();
    let plan = std::fs::read_to_string(form("xlsx").join("plan.toml"))
        .unwrap()
        .replace("targets = \"targets\"", &format!("targets = {:?}", form("xlsx").join("targets")))
        .replace("officers = \"officers\"", &format!("officers = {:?}", form("xlsx").join("officers")))
        .replacen("\n[[task]]", "\n[input]\ntargets_sheet = \"检查对象名录\"\nofficers_sheet = \"执法检查人员名录\"\n\n[[task]]", 1);
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    ok(
        "named sheet",
        &draw(&dir.join("plan.toml"), &dir.join("out"), &[]),
    );
}

/// A GBK directory streams (after `dualdraw sort`, which writes UTF-8) to the same log.
#[test]
fn a_gbk_directory_sorts_and_streams() {
    let tmp = common::tmp();
    let sorted = tmp.path().join("sorted.csv");
    ok(
        "sort",
        &common::cli::run([
            "sort".as_ref(),
            form("gbk").join("targets").as_os_str(),
            "--output".as_ref(),
            sorted.as_os_str(),
        ]),
    );
    let reference = tmp.path().join("ref");
    ok(
        "utf8",
        &draw(&form("utf8").join("plan.toml"), &reference, &[]),
    );
    let out_dir = tmp.path().join("streamed");
    ok(
        "stream",
        &draw(
            &form("gbk").join("plan.toml"),
            &out_dir,
            &["--targets", sorted.to_str().unwrap()],
        ),
    );
    assert_eq!(
        std::fs::read(out_dir.join("draw.log")).unwrap(),
        std::fs::read(reference.join("draw.log")).unwrap()
    );
}

/// The values real exports hold are read as SPEC.md §3 maps them: the same records, so the
/// same log, as the canonical spellings.
#[test]
fn real_export_values_are_their_mappings() {
    let tmp = common::tmp();
    let reference = tmp.path().join("ref");
    ok(
        "utf8",
        &draw(&form("utf8").join("plan.toml"), &reference, &[]),
    );
    let dir = tmp.path().join("real");
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(form("utf8").join("plan.toml"), dir.join("plan.toml")).unwrap();
    let t = std::fs::read_to_string(form("utf8").join("targets"))
        .unwrap()
        .replace(",存续,", ",存续（在营、开业、在册）,")
        .replace(",注销,", ",吊销，未注销,")
        .replace("2019/5/12", "2019.5.12")
        .replace("2018-03-01", "20180301")
        .replace("2020年1月8日", "2020-01-08 00:00:00")
        + ",,,,,,\r\n,,,,,,\r\n";
    std::fs::write(dir.join("targets"), t).unwrap();
    let o = std::fs::read_to_string(form("utf8").join("officers"))
        .unwrap()
        .replace(",是,", ",√,")
        .replace(",休假,", ",病假,");
    std::fs::write(dir.join("officers"), o).unwrap();
    let out_dir = dir.join("out");
    ok("real values", &draw(&dir.join("plan.toml"), &out_dir, &[]));
    assert_eq!(
        std::fs::read(out_dir.join("draw.log")).unwrap(),
        std::fs::read(reference.join("draw.log")).unwrap()
    );
}

/// A log or proof converted on its way (CRLF line ends, a BOM) is an input error (exit 2)
/// that says so, never "hash chain broken" (exit 1).
#[test]
fn converted_logs_and_proofs_are_not_forged() {
    let tmp = common::tmp();
    let out = tmp.path().join("out");
    let plan = form("utf8").join("plan.toml");
    ok("draw", &draw(&plan, &out, &[]));
    let log = std::fs::read_to_string(out.join("draw.log")).unwrap();
    let proof = tmp.path().join("proof.json");
    ok(
        "prove",
        &common::cli::run([
            "prove".as_ref(),
            out.join("draw.log").as_os_str(),
            "--plan".as_ref(),
            plan.as_os_str(),
            "--enterprise".as_ref(),
            "91120116MA06B2QT07".as_ref(),
            "--out".as_ref(),
            proof.as_os_str(),
        ]),
    );
    let proof_text = std::fs::read_to_string(&proof).unwrap();
    let head = std::fs::read_to_string(out.join("draw.head")).unwrap();
    for (how, conv) in [
        (
            "crlf",
            Box::new(|s: &str| s.replace('\n', "\r\n")) as Box<dyn Fn(&str) -> String>,
        ),
        ("bom", Box::new(|s: &str| format!("\u{feff}{s}"))),
    ] {
        let dir = tmp.path().join(how);
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("draw.log"), conv(&log)).unwrap();
        std::fs::write(dir.join("draw.head"), &head).unwrap();
        let v = common::cli::run([
            "verify".as_ref(),
            dir.join("draw.log").as_os_str(),
            "--plan".as_ref(),
            plan.as_os_str(),
        ]);
        let stderr = String::from_utf8_lossy(&v.stderr);
        assert_eq!(v.status.code(), Some(2), "{how}: {stderr}");
        assert!(
            stderr.contains("this log was converted ("),
            "{how}: {stderr}"
        );
        assert!(
            stderr.contains("re-download it, or convert it back with `dos2unix"),
            "{stderr}"
        );
        assert!(!stderr.contains("hash chain"), "{how}: {stderr}");
        std::fs::write(dir.join("proof.json"), conv(&proof_text)).unwrap();
        let p = common::cli::run([
            "check-proof".as_ref(),
            dir.join("proof.json").as_os_str(),
            "--head".as_ref(),
            head.trim().as_ref(),
        ]);
        let stderr = String::from_utf8_lossy(&p.stderr);
        assert_eq!(p.status.code(), Some(2), "proof {how}: {stderr}");
        assert!(
            stderr.contains("this proof was converted ("),
            "{how}: {stderr}"
        );
    }
}

/// `draw --excel` also writes the printable assignment sheet (抽查任务分配表) as a workbook:
/// one row per team, the leader and members with their certificate numbers.
#[test]
fn excel_draws_write_the_assignment_sheet() {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    let tmp = common::tmp();
    let out = tmp.path().join("out");
    ok(
        "draw --excel",
        &draw(&form("xlsx").join("plan.toml"), &out, &["--excel"]),
    );
    let mut wb: Xlsx<_> = open_workbook(out.join("teams.xlsx")).expect("a workbook");
    assert_eq!(wb.sheet_names(), ["抽查任务分配表", "抽查计划"]);
    let range = wb.worksheet_range("抽查任务分配表").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    assert_eq!(
        rows[0][..5],
        [
            "序号",
            "抽查任务",
            "抽查事项",
            "统一社会信用代码",
            "企业名称"
        ]
    );
    let teams = std::fs::read_to_string(out.join("teams.csv")).unwrap();
    // One row per team: as many as leaders in teams.csv.
    assert_eq!(rows.len() - 1, teams.matches(",leader,").count());
    assert!(
        rows[1][7].starts_with('津'),
        "leader's certificate: {:?}",
        rows[1]
    );
    // Without --excel, no workbook.
    let plain = tmp.path().join("plain");
    ok("draw", &draw(&form("xlsx").join("plan.toml"), &plain, &[]));
    assert!(!plain.join("teams.xlsx").exists());
}
