//! Inspection results after the draw (SPEC.md §11): the demo's whole flow (draw → replace →
//! record 10 results → status → publish → verify, both verifiers), every refusal leaving the
//! log byte-identical, and tampered result events caught.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::cli::{code, run, show, stdout, verify_py};

const P: &str = "fixtures/tianjin-2020/plan.toml";

/// The demo drawn into a temp folder, one officer replaced: (dir, log).
fn drawn() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("d");
    let o = common::cli::draw(P, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let log = out.join("draw.log");
    let o = run(args(
        &log,
        &[
            "replace",
            "--task",
            "radio",
            "--enterprise",
            RADIO[0],
            "--officer",
            "TJGX0016",
            "--reason",
            "其他：出差",
        ],
    ));
    assert_eq!(code(&o), 0, "{}", show(&o));
    (dir, log)
}

/// The demo's visits (task, enterprise), in draw order.
const RADIO: [&str; 4] = [
    "91120115239648829P",
    "9112011111C29T468R",
    "911201117N77261089",
    "91120116937785142R",
];
const VISITS: [(&str, &str); 10] = [
    ("radio", RADIO[0]),
    ("radio", RADIO[1]),
    ("radio", RADIO[2]),
    ("radio", RADIO[3]),
    ("chemicals", "92120116451442668H"),
    ("chemicals", "9112011693J07721XQ"),
    ("chemicals", "91120116873196866K"),
    ("power", "91120118642391154F"),
    ("power", "911201117621635C99"),
    ("power", "911201107881347673"),
];

/// `dualdraw CMD LOG --plan P REST...`.
fn args(log: &Path, cmd: &[&str]) -> Vec<String> {
    let mut v = vec![
        cmd[0].to_string(),
        log.display().to_string(),
        "--plan".into(),
        P.into(),
    ];
    v.extend(cmd[1..].iter().map(|s| s.to_string()));
    v
}

fn record(
    log: &Path,
    task: &str,
    e: &str,
    cat: &str,
    date: &str,
    more: &[&str],
) -> std::process::Output {
    let mut a = vec![
        "record",
        "--task",
        task,
        "--enterprise",
        e,
        "--result",
        cat,
        "--date",
        date,
    ];
    a.extend(more);
    run(args(log, &a))
}

fn python(log: &Path) -> Option<(i32, String)> {
    let probe = common::cli::python3_probe();
    if !matches!(probe, Ok(ref o) if o.status.success()) {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 3.11+ needed under CI"
        );
        return None;
    }
    let o = Command::new("python3")
        .arg(verify_py())
        .arg(log)
        .arg("--plan")
        .arg(common::root().join(P))
        .output()
        .unwrap();
    Some((code(&o), show(&o)))
}

#[test]
fn demo_flow_draw_replace_record_status_publish_verify() {
    let (dir, log) = drawn();
    // A first result, then its correction (a new line naming it).
    let o = record(&log, "radio", RADIO[0], "未发现问题", "2020-10-20", &[]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let o = record(
        &log,
        "radio",
        RADIO[0],
        "发现问题已责令改正",
        "2020-10-21",
        &[
            "--findings",
            "台站执照过期",
            "--correct",
            "复核发现执照已过期",
        ],
    );
    assert_eq!(code(&o), 0, "{}", show(&o));
    // The other nine from a team's CSV (Chinese headers, a BOM, names ignored).
    let mut csv =
        "\u{feff}任务编号,统一社会信用代码,企业名称,检查结果,检查日期,检查发现\n".to_string();
    for (i, (t, e)) in VISITS.iter().enumerate().skip(1) {
        let cat = if i == 4 {
            "通过登记的住所（经营场所）无法联系"
        } else {
            "未发现问题"
        };
        csv.push_str(&format!("{t},{e},某公司,{cat},2020-10-2{},=cmd()\n", i % 7));
    }
    let csv_path = dir.path().join("results.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let o = run(args(&log, &["record", "--csv", csv_path.to_str().unwrap()]));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(stdout(&o).matches("line ").count(), 9, "{}", show(&o));
    // Status: on 2020-11-10 nothing is overdue yet; on 2020-11-30 everything unpublished is.
    let o = run(args(&log, &["status", "--today", "2020-11-10"]));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(stdout(&o).matches("recorded (").count(), 10, "{}", show(&o));
    // Corrected to 2020-10-21: the 20th working day after it is 2020-11-18.
    assert!(
        stdout(&o).contains("发现问题已责令改正  due 2020-11-18"),
        "{}",
        show(&o)
    );
    let o = run(args(&log, &["status", "--today", "2020-11-30"]));
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(show(&o).contains("10 visit(s) overdue"), "{}", show(&o));
    // Publish on 2020-11-13: recorded in the log, results in the folder, findings withheld.
    let pub_dir = dir.path().join("pub");
    let o = run(args(
        &log,
        &[
            "publish",
            "--out",
            pub_dir.to_str().unwrap(),
            "--date",
            "2020-11-13",
        ],
    ));
    assert_eq!(code(&o), 0, "{}", show(&o));
    let gsxt = std::fs::read_to_string(pub_dir.join("results/gsxt.csv")).unwrap();
    assert!(
        gsxt.starts_with(
            "\u{feff}统一社会信用代码,企业名称,抽查事项,检查实施机关,抽查结果,检查日期\n"
        ),
        "{gsxt}"
    );
    assert_eq!(gsxt.lines().count(), 11, "{gsxt}");
    assert!(gsxt.contains("91120115239648829P,天津市宝坻海华电子科技电子厂,无线电台（站）设置、使用情况检查,无线电管理处,发现问题已责令改正,2020-10-21"), "{gsxt}");
    let json = std::fs::read_to_string(pub_dir.join("results/results.json")).unwrap();
    assert!(
        !json.contains("台站执照过期") && !json.contains("cmd()"),
        "findings are withheld by default"
    );
    assert_eq!(
        std::fs::read(pub_dir.join("draw.log")).unwrap(),
        std::fs::read(&log).unwrap()
    );
    let last = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(
        last.contains("\"event\":\"publication\"") && last.contains("\"date\":\"2020-11-13\""),
        "{last}"
    );
    let o = run(args(&log, &["status", "--today", "2020-11-30"]));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert_eq!(
        stdout(&o).matches("published (2020-11-13)").count(),
        10,
        "{}",
        show(&o)
    );
    // Both verifiers accept the log with its results and publication.
    let o = run(args(&log, &["verify"]));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        stdout(&o).contains("11 inspection results checked"),
        "{}",
        show(&o)
    );
    if let Some((c, t)) = python(&log) {
        assert_eq!(c, 0, "{t}");
        assert!(t.contains("11 results"), "{t}");
    }
}

#[test]
fn refusals_leave_the_log_byte_identical() {
    let (dir, log) = drawn();
    let o = record(&log, "radio", RADIO[1], "未发现问题", "2020-10-20", &[]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let before = std::fs::read(&log).unwrap();
    let head = std::fs::read(log.with_file_name("draw.head")).unwrap();
    let cases: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "unknown category",
            vec!["radio", RADIO[0], "差不多", "2020-10-20"],
            "unknown result category",
        ),
        (
            "enterprise not drawn",
            vec!["radio", "91120116221358137M", "未发现问题", "2020-10-20"],
            "was not drawn",
        ),
        (
            "drawn in another task",
            vec!["power", RADIO[0], "未发现问题", "2020-10-20"],
            "was not drawn",
        ),
        (
            "unknown task",
            vec!["nosuch", RADIO[0], "未发现问题", "2020-10-20"],
            "no task",
        ),
        (
            "before the inspection date",
            vec!["radio", RADIO[0], "未发现问题", "2020-10-19"],
            "before the plan's inspection date",
        ),
        (
            "in the future",
            vec!["radio", RADIO[0], "未发现问题", "2999-01-01"],
            "in the future",
        ),
        (
            "not a date",
            vec!["radio", RADIO[0], "未发现问题", "2020-13-01"],
            "not a date",
        ),
        (
            "second result",
            vec!["radio", RADIO[1], "发现问题已责令改正", "2020-10-21"],
            "--correct REASON",
        ),
    ];
    for (what, a, want) in cases {
        let o = record(&log, a[0], a[1], a[2], a[3], &[]);
        assert_eq!(code(&o), 2, "{what}: {}", show(&o));
        assert!(show(&o).contains(want), "{what}: {}", show(&o));
        assert_eq!(std::fs::read(&log).unwrap(), before, "{what}");
    }
    for (what, more, want) in [
        (
            "correction without a result",
            vec!["--correct", "x"],
            "no result to correct",
        ),
        ("empty correction reason", vec!["--correct", " "], "reason"),
        (
            "control character",
            vec!["--findings", "a\u{1b}b"],
            "control character",
        ),
    ] {
        let e = if what == "correction without a result" {
            RADIO[0]
        } else {
            RADIO[1]
        };
        let mut more = more;
        if what == "control character" {
            more = vec!["--findings", "a\u{1b}b"];
            let o = record(&log, "radio", RADIO[2], "未发现问题", "2020-10-20", &more);
            assert_eq!(code(&o), 2, "{what}: {}", show(&o));
            assert!(show(&o).contains(want), "{what}: {}", show(&o));
        } else {
            let o = record(&log, "radio", e, "未发现问题", "2020-10-20", &more);
            assert_eq!(code(&o), 2, "{what}: {}", show(&o));
            assert!(show(&o).contains(want), "{what}: {}", show(&o));
        }
        assert_eq!(std::fs::read(&log).unwrap(), before, "{what}");
    }
    // A CSV whose third row is refused records none of its rows.
    let csv = dir.path().join("r.csv");
    std::fs::write(&csv, format!("任务编号,统一社会信用代码,检查结果,检查日期\nradio,{},未发现问题,2020-10-20\nradio,{},未发现问题,2020-10-20\nradio,{},未发现问题,2020-10-20\n", RADIO[2], RADIO[3], RADIO[1])).unwrap();
    let o = run(args(&log, &["record", "--csv", csv.to_str().unwrap()]));
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(show(&o).contains("r.csv:4"), "names the row: {}", show(&o));
    assert_eq!(std::fs::read(&log).unwrap(), before);
    // A CSV with a missing column.
    std::fs::write(&csv, "任务编号,统一社会信用代码,检查结果\nradio,x,y\n").unwrap();
    let o = run(args(&log, &["record", "--csv", csv.to_str().unwrap()]));
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(show(&o).contains("检查日期"), "{}", show(&o));
    // Publication in the future, or before a result it would list.
    for date in ["2999-01-01", "2020-10-19"] {
        let out = dir.path().join(format!("pub-{date}"));
        let o = run(args(
            &log,
            &["publish", "--out", out.to_str().unwrap(), "--date", date],
        ));
        assert_eq!(code(&o), 2, "{date}: {}", show(&o));
        assert!(!out.exists());
        assert_eq!(std::fs::read(&log).unwrap(), before, "{date}");
    }
    assert_eq!(
        std::fs::read(log.with_file_name("draw.head")).unwrap(),
        head
    );
}

/// Rewrites line `n` (0-based) of a log through `f` and re-chains every line after it, as a
/// forger who controls the whole file would.
fn forge(
    log: &[u8],
    n: usize,
    f: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>),
) -> Vec<u8> {
    let mut events: Vec<serde_json::Value> = std::str::from_utf8(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    if let serde_json::Value::Object(m) = &mut events[n] {
        f(m);
    }
    for e in &mut events {
        let m = e.as_object_mut().unwrap();
        m.remove("prev");
        m.remove("seq");
    }
    dualdraw::log::chain(events).to_bytes()
}

#[test]
fn tampered_results_are_caught_by_both_verifiers() {
    let (_dir, log) = drawn();
    for (i, (t, e)) in VISITS.iter().enumerate().take(3) {
        let o = record(&log, t, e, "未发现问题", &format!("2020-10-2{i}"), &[]);
        assert_eq!(code(&o), 0, "{}", show(&o));
    }
    let o = record(
        &log,
        "radio",
        RADIO[0],
        "发现问题已责令改正",
        "2020-10-22",
        &["--correct", "复核"],
    );
    assert_eq!(code(&o), 0, "{}", show(&o));
    let genuine = std::fs::read(&log).unwrap();
    let n = genuine.iter().filter(|&&b| b == b'\n').count();
    let (first, corr) = (n - 4, n - 1);
    let s = |v: &str| serde_json::Value::String(v.into());
    type Edit = Box<dyn Fn(&mut serde_json::Map<String, serde_json::Value>)>;
    let forgeries: Vec<(&str, usize, Edit)> = vec![
        (
            "unknown category",
            first,
            Box::new(move |m| {
                m.insert("category".into(), s("合格"));
            }),
        ),
        (
            "visit not drawn",
            first + 1,
            Box::new(move |m| {
                m.insert("enterprise".into(), s("91120116221358137M"));
            }),
        ),
        (
            "date before the inspection",
            first + 2,
            Box::new(move |m| {
                m.insert("date".into(), s("2020-01-01"));
            }),
        ),
        (
            "date not a date",
            first + 2,
            Box::new(move |m| {
                m.insert("date".into(), s("2020-02-30"));
            }),
        ),
        (
            "correction of another line",
            corr,
            Box::new(move |m| {
                m["corrects"]["line"] = (first as u64).into();
            }),
        ),
        (
            "second result without correction",
            corr,
            Box::new(move |m| {
                m.insert("corrects".into(), serde_json::Value::Null);
            }),
        ),
        (
            "extra member",
            first,
            Box::new(move |m| {
                m.insert("note".into(), s("x"));
            }),
        ),
    ];
    // Away from the genuine `draw.head`, which would report any change as a head mismatch.
    let bad = log.parent().unwrap().parent().unwrap().join("forged.log");
    for (what, line, edit) in forgeries {
        let forged = forge(&genuine, line, edit);
        std::fs::write(&bad, &forged).unwrap();
        let o = run(args(&bad, &["verify"]));
        assert_eq!(code(&o), 1, "{what}: {}", show(&o));
        assert!(
            show(&o).contains(&format!("line {}", line + 1)),
            "{what}: {}",
            show(&o)
        );
        if let Some((c, t)) = python(&bad) {
            assert_eq!(c, 1, "{what}: python: {t}");
            assert!(
                t.contains(&format!("line {}", line + 1)),
                "{what}: python: {t}"
            );
        }
    }
    // A result line edited in place (chain not redone) breaks the chain at the next line.
    let text = String::from_utf8(genuine.clone())
        .unwrap()
        .replacen("未发现问题", "正常经营", 1);
    std::fs::write(&bad, text).unwrap();
    assert_eq!(code(&run(args(&bad, &["verify"]))), 1);
}

/// A plan's own categories replace the national ones.
#[test]
fn plan_categories_override() {
    let dir = tempfile::tempdir().unwrap();
    for f in ["targets.csv", "officers.csv"] {
        std::fs::copy(common::demo_path(f), dir.path().join(f)).unwrap();
    }
    let plan = std::fs::read_to_string(common::demo_path("plan.toml")).unwrap()
        + "\n[results]\ncategories = [\"合格\", \"不合格\"]\npublish_findings = true\n";
    let plan_path = dir.path().join("plan.toml");
    std::fs::write(&plan_path, plan).unwrap();
    let o = common::cli::draw(&plan_path, &dir.path().join("d"));
    assert_eq!(code(&o), 0, "{}", show(&o));
    let log = dir.path().join("d/draw.log");
    let p = plan_path.to_str().unwrap();
    let rec = |cat: &str| {
        run([
            "record",
            log.to_str().unwrap(),
            "--plan",
            p,
            "--task",
            "radio",
            "--enterprise",
            RADIO[0],
            "--result",
            cat,
            "--date",
            "2020-10-20",
            "--findings",
            "无",
        ])
    };
    assert_eq!(code(&rec("未发现问题")), 2);
    assert_eq!(code(&rec("合格")), 0);
    let out = dir.path().join("pub");
    let o = run([
        "publish",
        log.to_str().unwrap(),
        "--plan",
        p,
        "--out",
        out.to_str().unwrap(),
        "--date",
        "2020-10-30",
    ]);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let json = std::fs::read_to_string(out.join("results/results.json")).unwrap();
    assert!(json.contains("\"findings\": \"无\""), "{json}");
    let o = run(["verify", log.to_str().unwrap(), "--plan", p]);
    assert_eq!(code(&o), 0, "{}", show(&o));
}
