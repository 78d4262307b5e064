//! Every kind of bad input in `fixtures/bad/` is refused through the binary: exit code 2, an
//! error on stderr that names the file, the line, the field, what was found and what was
//! expected, nothing on stdout, and no output directory (nor a staging directory) left behind.
//!
//! Each fixture folder is the valid `fixtures/bad/base/` with exactly one thing broken; see
//! `fixtures/bad/README.md`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::plans::{plan as plan_toml, task};

/// Runs the binary from the crate root, so paths in messages read as a user would type them.
fn dualdraw(args: &[&str]) -> Output {
    common::cli::run(args)
}

fn plan_of(kind: &str) -> String {
    format!("fixtures/bad/{kind}/plan.toml")
}

fn bad_dir() -> PathBuf {
    common::root().join("fixtures/bad")
}

/// Asserts `out` is a refusal with exit code 2 whose stderr holds every fragment.
fn assert_refused(what: &str, out: &Output, fragments: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{what}: expected exit code 2\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stderr.starts_with("error: "),
        "{what}: stderr should start with `error: `, got:\n{stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "{what}: expected a one-line error, got:\n{stderr}"
    );
    assert!(
        stdout.is_empty(),
        "{what}: nothing may be printed as drawn, got stdout:\n{stdout}"
    );
    for f in fragments {
        assert!(
            stderr.contains(f),
            "{what}: stderr lacks {f:?}; the error may be the wrong one. stderr:\n{stderr}"
        );
    }
}

/// `dualdraw draw fixtures/bad/<kind>/plan.toml --out <tmp>/out` must fail with the right
/// error and leave `<tmp>` empty.
fn assert_bad(kind: &str, fragments: &[&str]) {
    let tmp = common::tmp();
    let out_dir = tmp.path().join("out");
    let out = dualdraw(&[
        "draw",
        &plan_of(kind),
        "--out",
        out_dir.to_str().expect("utf-8 temp path"),
    ]);
    assert_refused(kind, &out, fragments);
    assert!(
        !out_dir.exists(),
        "{kind}: the output directory {} was created",
        out_dir.display()
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .expect("read tempdir")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert!(left.is_empty(), "{kind}: files left behind: {left:?}");
}

/// One `#[test]` per kind, named after its folder, plus the table [`KINDS`] of all of them.
macro_rules! bad_inputs {
    ($($kind:ident => [$($frag:expr),* $(,)?],)*) => {
        /// (fixture folder, fragments its error must contain).
        const KINDS: &[(&str, &[&str])] = &[$((stringify!($kind), &[$($frag),*])),*];
        $(
            #[test]
            fn $kind() {
                assert_bad(stringify!($kind), &[$($frag),*]);
            }
        )*
    };
}

bad_inputs! {
    // ---- target directory (检查对象名录库) ----
    uscc_wrong_length => [
        "fixtures/bad/uscc_wrong_length/targets.csv, line 4, field `统一社会信用代码` (id)",
        "found \"91120111300528173\"",
        "18-character unified social credit code",
        "17 characters instead of 18",
    ],
    uscc_bad_character => [
        "fixtures/bad/uscc_bad_character/targets.csv, line 3, field `统一社会信用代码` (id)",
        "found \"91120116MAO6B2QT07\"",
        "unified social credit code",
        "'O' at position 11",
    ],
    uscc_lowercase => [
        "fixtures/bad/uscc_lowercase/targets.csv, line 5, field `统一社会信用代码` (id)",
        "found \"91120114ma05tu8e7y\"",
        "unified social credit code",
        "'m' at position 9",
    ],
    duplicate_enterprise_id => [
        "fixtures/bad/duplicate_enterprise_id/targets.csv, line 7",
        "duplicate id \"91120116MA06B2QT07\"",
        "already on line 3",
        "unique",
    ],
    missing_column => [
        "fixtures/bad/missing_column/targets.csv, line 1",
        "no column `status`",
        "登记状态",
        "found columns: 统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,上次检查日期",
    ],
    duplicate_column => [
        "fixtures/bad/duplicate_column/targets.csv, line 1",
        "columns 1 (`统一社会信用代码`) and 8 (`id`) both name `id`",
        "keep only one",
    ],
    bad_region => [
        "fixtures/bad/bad_region/targets.csv, line 6, field `行政区划代码` (region)",
        "found \"12011\"",
        "6-digit GB/T 2260 division code",
    ],
    bad_credit_class => [
        "fixtures/bad/bad_credit_class/targets.csv, line 2, field `信用等级` (credit_class)",
        "found \"E\"",
        "A, B, C or D",
    ],
    unknown_enterprise_status => [
        "fixtures/bad/unknown_enterprise_status/targets.csv, line 8, field `登记状态` (status)",
        "found \"营业中\"",
        "active/存续",
        "closed/注销",
    ],
    empty_domains => [
        "fixtures/bad/empty_domains/targets.csv, line 4, field `监管领域` (domains)",
        "found \"\"",
        "one or more domains",
    ],
    bad_last_inspected => [
        "fixtures/bad/bad_last_inspected/targets.csv, line 9, field `上次检查日期` (last_inspected)",
        "found \"12/5/2019\"",
        "a date such as 2020-09-30",
    ],
    // ---- what bureaus really export (issue 14; fixtures/bad/make_bureau.py) ----
    misnamed_conflicts => [
        "fixtures/bad/misnamed_conflicts/officers.csv, line 1, column 10",
        "header `回避企业名单` is not a known column but resembles `回避企业` (conflicts)",
        "extra_columns",
    ],
    misnamed_expert => [
        "fixtures/bad/misnamed_expert/officers.csv, line 1, column 8",
        "`是否为专家` is not a known column but resembles `是否专家` (expert)",
    ],
    misnamed_last_inspected => [
        "fixtures/bad/misnamed_last_inspected/targets.csv, line 1, column 7",
        "`上次检查时间` is not a known column but resembles `上次检查日期` (last_inspected)",
    ],
    misnamed_credit_class => [
        "fixtures/bad/misnamed_credit_class/targets.csv, line 1, column 5",
        "resembles `信用等级` (credit_class)",
    ],
    header_nul => [
        "fixtures/bad/header_nul/targets.csv: line 1, column 7",
        "holds the control character U+0000",
    ],
    area_excel_number => [
        "fixtures/bad/area_excel_number/officers.csv, line 4, field `片区` (region)",
        "found \"120114.0\"",
        "write 120114",
    ],
    empty_file => [
        "fixtures/bad/empty_file/targets.csv: the file is empty (0 bytes)",
    ],
    bom_only => [
        "fixtures/bad/bom_only/targets.csv: the file holds only a byte-order mark",
    ],
    header_only => [
        "fixtures/bad/header_only/targets.csv: the file has a header row (line 1) but no records",
    ],
    title_row => [
        "fixtures/bad/title_row/targets.csv: line 1",
        "is a title row above the header on line 2",
        "delete line 1",
    ],
    unclosed_quote => [
        "fixtures/bad/unclosed_quote/targets.csv, line 4",
        "quote opened on line 4 never closed",
    ],
    quote_closed_later => [
        "fixtures/bad/quote_closed_later/targets.csv, line 4, field `企业名称` (name)",
        "a quote opened on line 4 is closed only on line 6",
    ],
    cr_only_lines => [
        "fixtures/bad/cr_only_lines/targets.csv, line 6, field `行政区划代码` (region)",
        "found \"12011\"",
    ],
    utf16_no_bom => [
        "fixtures/bad/utf16_no_bom/targets.csv: UTF-16 (little-endian) text without a byte-order mark",
        "encoding = \"utf-16le\"",
    ],
    binary_file => [
        "fixtures/bad/binary_file/targets.csv: a binary file",
    ],
    not_utf8_nor_gb18030 => [
        "fixtures/bad/not_utf8_nor_gb18030/targets.csv: line 10 is neither UTF-8 nor GB18030",
    ],
    excel_serial_in_csv => [
        "fixtures/bad/excel_serial_in_csv/targets.csv, line 3, field `上次检查日期` (last_inspected)",
        "43597 looks like an Excel date serial (2019-05-12): format the column as text",
    ],
    excel_serial_cert_date => [
        "fixtures/bad/excel_serial_cert_date/officers.csv, line 5, field `执法证有效期至` (cert_expires)",
        "45473 looks like an Excel date serial (2024-06-30)",
    ],
    date_with_time => [
        "fixtures/bad/date_with_time/targets.csv, line 4, field `上次检查日期` (last_inspected)",
        "found \"2018-03-01 08:30:00\"",
        "2020.9.30, 20200930",
    ],
    plan_bad_encoding => [
        "fixtures/bad/plan_bad_encoding/plan.toml, line 10, column 12, field `input.encoding`",
        "found \"latin1\"",
        "\"gb18030\"",
    ],
    plan_bad_delimiter => [
        "fixtures/bad/plan_bad_delimiter/plan.toml, line 10, column 13, field `input.delimiter`",
        "found \"|\"",
    ],
    plan_require_unknown => [
        "fixtures/bad/plan_require_unknown/plan.toml, line 10, column 12, field `input.require`",
        "found \"name\"",
    ],
    required_column_absent => [
        "fixtures/bad/required_column_absent/officers.csv: line 1: the header has no column `回避企业` (conflicts), which the plan requires",
    ],
    xlsx_unknown_sheet => [
        "fixtures/bad/xlsx_unknown_sheet/targets.xlsx: the workbook has no sheet `名录` (named by `[input] targets_sheet` in the plan); its sheets: 检查对象名录",
    ],
    bad_status_text => [
        "fixtures/bad/bad_status_text/targets.csv, line 7, field `登记状态` (status)",
        "found \"存续（在营）\"",
    ],
    credit_class_suffix_only => [
        "fixtures/bad/credit_class_suffix_only/targets.csv, line 6, field `信用等级` (credit_class)",
        "found \"级\"",
        "A, B, C or D",
    ],
    malformed_csv => [
        "fixtures/bad/malformed_csv/targets.csv, line 5",
        "malformed CSV",
        "found record with 8 fields",
        "previous record has 7 fields",
    ],
    // ---- officer directory (执法检查人员名录库) ----
    duplicate_officer_id => [
        "fixtures/bad/duplicate_officer_id/officers.csv, line 6",
        "duplicate id \"BAD002\"",
        "already on line 3",
    ],
    bad_cert_date => [
        "fixtures/bad/bad_cert_date/officers.csv, line 4, field `执法证有效期至` (cert_expires)",
        "found \"2020-02-30\"",
        "an existing calendar date",
    ],
    bad_expert_flag => [
        "fixtures/bad/bad_expert_flag/officers.csv, line 5, field `是否专家` (expert)",
        "found \"不确定\"",
        "是/否",
    ],
    bad_officer_status => [
        "fixtures/bad/bad_officer_status/officers.csv, line 2, field `人员状态` (status)",
        "found \"出差\"",
        "active/在岗",
    ],
    bad_conflict_code => [
        "fixtures/bad/bad_conflict_code/officers.csv, line 7, field `回避企业` (conflicts)",
        "found \"91120116MA05JK3L\"",
        "18-character unified social credit code",
        "16 characters instead of 18",
    ],
    list_item_control_char => [
        "fixtures/bad/list_item_control_char/officers.csv, line 5, field `执法领域` (domains)",
        "found \"电力;电\\n力\"",
        "without control characters",
    ],
    too_few_officers => [
        "fixtures/bad/too_few_officers/officers.csv: task \"radio\"",
        "enterprise 91120116MA06B2QT07",
        "2 officers needed but only 1 eligible",
        "2 not active",
        "1 certificate expired",
        "2 domain out of scope",
        "the team is set at fixtures/bad/too_few_officers/plan.toml, line 15, column 8, field `task[0].team`",
    ],
    // ---- plan ----
    team_size_one => [
        "fixtures/bad/team_size_one/plan.toml, line 15, column 17, field `task[0].team.size`",
        "task \"radio\"",
        "team size 1 is not allowed",
        "at least two",
        "team.size >= 2",
    ],
    toml_syntax_error => [
        "fixtures/bad/toml_syntax_error/plan.toml, line 3, column 17: ",
        "invalid basic string",
        "expected `\"`",
    ],
    ratio_bare_float => [
        "fixtures/bad/ratio_bare_float/plan.toml, line 14, column 20, field `task[0].sample.ratio`",
        "found \"0.05\"",
        "\"7%\"",
        "quote it",
    ],
    ratio_out_of_range => [
        "fixtures/bad/ratio_out_of_range/plan.toml, line 14, column 20, field `task[0].sample.ratio`",
        "found \"150%\"",
        "at most 100%",
    ],
    unknown_plan_key => [
        "fixtures/bad/unknown_plan_key/plan.toml, line 14, column 1: ",
        "unknown field `sampel`",
        "`sample`",
    ],
    count_exceeds_pool => [
        "fixtures/bad/count_exceeds_pool/plan.toml, line 14, column 20, field `task[0].sample.count`",
        "task \"radio\"",
        "stratum \"all\"",
        "5 enterprises requested but only 4 eligible",
        "take-all",
    ],
    by_class_missing_class => [
        "fixtures/bad/by_class_missing_class/plan.toml, line 22, column 19, field `task[1].sample.by_class`",
        "task \"power\"",
        "2 eligible enterprises have credit class \"D\"",
        "no ratio",
        "add `D = \"x%\"` to sample.by_class",
    ],
    by_class_unknown_class => [
        "fixtures/bad/by_class_unknown_class/plan.toml, line 22, column 65, field `task[1].sample.by_class`",
        "found \"E\"",
        "A, B, C, D or none",
    ],
    duplicate_task_id => [
        "fixtures/bad/duplicate_task_id/plan.toml, line 18, column 6, field `task[1].id`",
        "found \"radio\"",
        "not used by another task (task[0] on line 10 has it)",
    ],
    bad_inspection_date => [
        "fixtures/bad/bad_inspection_date/plan.toml, line 4, column 19, field `inspection_date`",
        "found \"2020-10-32\"",
        "an existing calendar date",
    ],
    inspection_year_zero => [
        "fixtures/bad/inspection_year_zero/plan.toml, line 4, column 19, field `inspection_date`",
        "found \"0000-10-20\"",
        "years 0001 to 9999",
    ],
    by_class_duplicate_class => [
        "fixtures/bad/by_class_duplicate_class/plan.toml, line 22, column 31, field `task[1].sample.by_class`",
        "found \"a级\"",
        "\"A\" and \"a级\" both name class A",
    ],
    task_domain_space => [
        "fixtures/bad/task_domain_space/plan.toml, line 11, column 10, field `task[0].domain`",
        "found \"无线电 \"",
        "without leading or trailing white space",
    ],
    scope_domain_space => [
        "fixtures/bad/scope_domain_space/plan.toml, line 13, column 22, field `task[0].scope.domains[0]`",
        "found \"\\u{3000}无线电\"",
        "without leading or trailing white space",
    ],
    scope_region_space => [
        "fixtures/bad/scope_region_space/plan.toml, line 13, column 22, field `task[0].scope.regions[0]`",
        "found \"120116 \"",
        "6-digit GB/T 2260 division code",
    ],
    ratio_too_precise => [
        "fixtures/bad/ratio_too_precise/plan.toml, line 14, column 20, field `task[0].sample.ratio`",
        "found \"1.000000000000000000000000005%\"",
        "at most 28 digits after the point",
        "never rounded",
    ],
    ratio_leading_point => [
        "fixtures/bad/ratio_leading_point/plan.toml, line 14, column 20, field `task[0].sample.ratio`",
        "found \".5\"",
        "digits on both sides of its point",
    ],
    missing_directory_file => [
        "fixtures/bad/missing_directory_file/targets-2020.csv",
        "os error 2",
    ],
}

/// Nobody adds a fixture without a test: every folder but `base` is in [`KINDS`] (and the
/// README), and every kind has its folder with a plan.
#[test]
fn every_fixture_is_tested() {
    let mut folders: Vec<String> = std::fs::read_dir(bad_dir())
        .expect("read fixtures/bad")
        .map(|e| e.expect("entry"))
        .filter(|e| e.file_type().expect("file type").is_dir())
        .map(|e| e.file_name().into_string().expect("utf-8 folder name"))
        .filter(|n| n != "base")
        .collect();
    folders.sort();
    let mut kinds: Vec<String> = KINDS
        .iter()
        .map(|(k, _)| k.to_string())
        .chain(GROUPED_KINDS.iter().map(|k| k.to_string()))
        .collect();
    kinds.sort();
    assert_eq!(
        folders, kinds,
        "fixtures/bad/ folders and the KINDS table differ"
    );
    assert!(kinds.len() >= 60, "at least 60 kinds of bad input");
    let readme =
        std::fs::read_to_string(bad_dir().join("README.md")).expect("fixtures/bad/README.md");
    for kind in GROUPED_KINDS {
        assert!(readme.contains(&format!("`{kind}`")), "README.md: `{kind}`");
    }
    for (kind, fragments) in KINDS {
        assert!(
            readme.contains(&format!("`{kind}`")),
            "README.md does not list `{kind}`"
        );
        assert!(
            bad_dir().join(kind).join("plan.toml").is_file(),
            "{kind}: no plan.toml"
        );
        assert!(!fragments.is_empty(), "{kind}: no fragments to check");
    }
}

/// The base the fixtures are derived from is valid: it draws, with no warnings, and checks.
#[test]
fn base_draws() {
    let tmp = common::tmp();
    let out_dir = tmp.path().join("out");
    let out = dualdraw(&[
        "draw",
        &plan_of("base"),
        "--out",
        out_dir.to_str().expect("utf-8 temp path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "base must draw\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(
        stdout.contains("targets: 8 records, officers: 6 records, 0 warnings"),
        "base codes must all pass the check character: {stdout}"
    );
    for f in ["draw.log", "draw.head", "targets.csv", "teams.csv"] {
        assert!(out_dir.join(f).is_file(), "base: {f} not written");
    }
    let out = dualdraw(&["check", &plan_of("base")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "base must check: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `dualdraw check` refuses the same inputs with the same errors (directory, plan and pool
/// errors alike).
#[test]
fn check_refuses_bad_inputs() {
    for kind in [
        "bad_cert_date",
        "uscc_wrong_length",
        "not_utf8_nor_gb18030",
        "misnamed_conflicts",
        "header_only",
        "team_size_one",
        "unknown_plan_key",
        "count_exceeds_pool",
        "by_class_missing_class",
    ] {
        let (_, fragments) = KINDS
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("kind in table");
        let out = dualdraw(&["check", &plan_of(kind)]);
        assert_refused(&format!("check {kind}"), &out, fragments);
    }
}

/// `dualdraw check` (which loads the directories through `io::load_inputs`) says which plan key
/// named a missing directory file.
#[test]
fn check_names_the_plan_key_of_a_missing_file() {
    let kind = "missing_directory_file";
    let out = dualdraw(&["check", &plan_of(kind)]);
    assert_refused(
        "check missing_directory_file",
        &out,
        &[
            "fixtures/bad/missing_directory_file/targets-2020.csv: ",
            "os error 2",
            "(named by `targets` in fixtures/bad/missing_directory_file/plan.toml)",
        ],
    );
}

/// A directory error names the header as written, then the English name when it differs, and
/// shows the cell as found (`;;`, not the empty list it parses to).
#[test]
fn directory_errors_name_the_header_as_written() {
    let zh = "统一社会信用代码,企业名称,行政区划代码,监管领域,信用等级,登记状态\n\
              91120116MA06B2QT07,甲,120116,;;,B,存续\n";
    let e = dualdraw::directory::read_targets(zh.as_bytes(), "t.csv".as_ref()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "t.csv, line 2, field `监管领域` (domains): found \";;\", expected one or more domains \
         separated by ';'"
    );
    let en = "id,name,region,domains,credit_class,status\n\
              91120116MA06B2QT07,甲,120116,无线电,E,active\n";
    let e = dualdraw::directory::read_targets(en.as_bytes(), "t.csv".as_ref()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("t.csv, line 2, field `credit_class`: found \"E\""),
        "{e}"
    );
}

/// Plan errors give line and column, and show a string as written, without TOML quotes.
#[test]
fn plan_errors_give_line_and_column() {
    let plan = |sample: &str, scope: &str| {
        plan_toml("P")
            .task(
                task("a")
                    .domain("无线电")
                    .item("n", "b")
                    .line(scope)
                    .sample(sample)
                    .team_size(2),
            )
            .text()
    };
    let err = |text: String| {
        dualdraw::plan::Plan::from_toml(&text, "p.toml".as_ref())
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err(plan("{ by_class = { A = \"5%\", none = \"-1%\" } }", "")),
        "p.toml, line 11, column 42, field `task[0].sample.by_class.none`: found \"-1%\", \
         expected a ratio above 0 and at most 100%, written as a string such as \"7%\", \"2.5%\" \
         or \"0.07\""
    );
    assert!(err(plan("{ count = 2, ratio = \"5%\" }", "")).starts_with(
        "p.toml, line 11, column 10, field `task[0].sample`: found \"count and ratio\", \
             expected exactly one of"
    ));
    assert!(
        err(plan(
            "{ count = 2 }",
            "scope = { regions = [\"120000\", \"12011\"] }"
        ))
        .starts_with(
            "p.toml, line 10, column 32, field `task[0].scope.regions[1]`: found \"12011\", \
             expected a 6-digit"
        )
    );
    // The plan keeps where each task's sample and team are, for errors found when drawing.
    let p = dualdraw::plan::Plan::from_toml(&plan("{ ratio = \"5%\" }", ""), "d/p.toml".as_ref())
        .unwrap();
    assert_eq!(p.file, Path::new("d/p.toml"));
    let src = &p.tasks[0].source;
    assert_eq!(
        src.sample.to_string(),
        "d/p.toml, line 11, column 20, field `task[0].sample.ratio`"
    );
    assert_eq!(
        src.team.to_string(),
        "d/p.toml, line 12, column 8, field `task[0].team`"
    );
    assert_eq!(src.officers, Path::new("d/o.csv"));
}

/// Plan values that could never match, or that two spellings make ambiguous, are errors naming
/// the key: surrounding white space or control characters in a task's domain and in scope
/// lists, two `by_class` keys for one class, class keys without a letter, ratios with a point
/// but digits on one side only, or needing more than 28 decimals.
#[test]
fn plan_values_are_checked_exactly() {
    let plan = |rest: &str| {
        plan_toml("P")
            .task(task("a").item("n", "b").team_size(2).line(rest))
            .text()
    };
    let err = |task: &str| match dualdraw::plan::Plan::from_toml(&plan(task), "p.toml".as_ref()) {
        Ok(_) => panic!("accepted: {task}"),
        Err(e) => e.to_string(),
    };
    let ok = |task: &str| {
        dualdraw::plan::Plan::from_toml(&plan(task), "p.toml".as_ref())
            .unwrap_or_else(|e| panic!("{task}: {e}"))
    };
    let count = "sample = { count = 1 }";
    for (domain, why) in [
        ("\"无线电\\t\"", "control characters"),
        ("\"无线电\\u3000\"", "white space"),
        ("\" 无线电\"", "white space"),
        ("\"无线\\n电\"", "control characters"),
        ("\"无线\\u0000电\"", "control characters"),
        ("\"  \"", "not empty"),
    ] {
        let e = err(&format!("domain = {domain}\n{count}"));
        assert!(
            e.contains("field `task[0].domain`") && e.contains(why),
            "{e}"
        );
        let e = err(&format!(
            "domain = \"无线电\"\nscope = {{ domains = [\"无线电\", {domain}] }}\n{count}"
        ));
        assert!(
            e.contains("field `task[0].scope.domains[1]`") && e.contains(why),
            "{e}"
        );
    }
    // Inner spaces are part of the domain.
    let p = ok(&format!(
        "domain = \"监控 化学品\"\nscope = {{ domains = [\"监控 化学品\"] }}\n{count}"
    ));
    assert_eq!(p.tasks[0].scope.domains, ["监控 化学品"]);
    for region in ["\" 120116\"", "\"120116\\n\"", "\"１２０１１６\""] {
        let e = err(&format!(
            "domain = \"d\"\nscope = {{ regions = [{region}] }}\n{count}"
        ));
        assert!(e.contains("field `task[0].scope.regions[0]`"), "{e}");
    }
    // Two keys for one class, in any spelling; reported at the later key, naming both.
    for (a, b, class) in [
        ("A", "\"a级\"", "A"),
        ("\"B类\"", "b", "B"),
        ("none", "NONE", "none"),
        ("\"C级\"", "\"c类\"", "C"),
    ] {
        let e = err(&format!(
            "domain = \"d\"\nsample = {{ by_class = {{ {a} = \"5%\", {b} = \"10%\" }} }}"
        ));
        let unq = |k: &str| k.trim_matches('"').to_string();
        assert!(
            e.contains(&format!(
                "found {:?}, expected one key per credit class: {:?} and {:?} both name class {class}",
                unq(b),
                unq(a),
                unq(b)
            )),
            "{e}"
        );
    }
    // Keys that name no class.
    for key in ["\"\"", "\"级\"", "\"类\"", "\"E\"", "\"A+\""] {
        let e = err(&format!(
            "domain = \"d\"\nsample = {{ by_class = {{ {key} = \"5%\" }} }}"
        ));
        assert!(e.contains("a class key A, B, C, D or none"), "{e}");
    }
    // Ratios: digits on both sides of a point; at most 28 decimals as a fraction.
    for r in [".5", "5.", ".5%", "5.%", "1e-2", "0.5.1"] {
        let e = err(&format!("domain = \"d\"\nsample = {{ ratio = \"{r}\" }}"));
        assert!(e.contains("field `task[0].sample.ratio`"), "{e}");
    }
    let p = ok("domain = \"d\"\nsample = { ratio = \"0.0000000000000000000000000001\" }");
    let dualdraw::plan::Sample::Ratio(r) = &p.tasks[0].sample else {
        panic!("a ratio sample")
    };
    assert_eq!(r.to_string(), "0.00000000000000000000000001%");
    let e = err("domain = \"d\"\nsample = { ratio = \"0.00000000000000000000000000001\" }");
    assert!(e.contains("at most 28 digits after the point"), "{e}");
    let e =
        err("domain = \"d\"\nsample = { by_class = { A = \"0.000000000000000000000000001%\" } }");
    assert!(
        e.contains("field `task[0].sample.by_class.A`") && e.contains("at most 28 digits"),
        "{e}"
    );
}

/// `dualdraw verify` reads the plan and both directories before it examines the log: an invalid
/// input is exit 2 even when the log is broken too, and never "verification failed" (exit 1).
/// A streamed target directory (`--targets FILE`, `--stream`) is read while the targets are
/// drawn (SPEC.md §7 step 6): a broken chain is found first, but a bad directory behind a sound
/// chain is still exit 2.
#[test]
fn verify_reads_inputs_before_the_log() {
    let tmp = common::tmp();
    let out_dir = tmp.path().join("out");
    let out_s = out_dir.to_str().expect("utf-8 temp path");
    let d = dualdraw(&["draw", &plan_of("base"), "--out", out_s]);
    assert_eq!(
        d.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&d.stderr)
    );
    let log = out_dir.join("draw.log");
    let log = log.to_str().unwrap();
    let broken = tmp.path().join("broken.log");
    std::fs::write(&broken, "not a log\n").unwrap();
    let broken = broken.to_str().unwrap();
    let bad_plan = plan_of("uscc_wrong_length");
    let frag = "fixtures/bad/uscc_wrong_length/targets.csv, line 4, field `统一社会信用代码` (id)";
    for (what, l) in [("broken log", broken), ("genuine log", log)] {
        let out = dualdraw(&["verify", l, "--plan", &bad_plan, "--head", &"0".repeat(64)]);
        assert_refused(&format!("verify, {what}, bad directory"), &out, &[frag]);
    }
    let base = plan_of("base");
    let bad_targets = "fixtures/bad/uscc_wrong_length/targets.csv";
    let out = dualdraw(&["verify", broken, "--plan", &base, "--targets", bad_targets]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = dualdraw(&["verify", log, "--plan", &base, "--targets", bad_targets]);
    assert_refused(
        "verify --targets, genuine log, bad directory",
        &out,
        &[frag],
    );
}

/// The kinds whose error is several lines (every invalid cell, grouped): tested by
/// [`every_bad_cell_in_one_pass`].
const GROUPED_KINDS: &[&str] = &["many_bad_dates", "bad_cells_two_fields"];

/// Every invalid cell in one pass, grouped by field with a count and the first lines: by
/// `draw` and by `check` alike, still exit 2 with nothing written.
#[test]
fn every_bad_cell_in_one_pass() {
    for (kind, frags) in [
        (
            "many_bad_dates",
            &[
                "error: fixtures/bad/many_bad_dates/targets.csv: 8 invalid cells, nothing was drawn:",
                "  8 invalid cells in `上次检查日期` (last_inspected), expected an existing calendar date: line 2 \"2017.13.2\", line 3 \"2017.3.40\", line 4 \"2017.13.4\" and 5 more",
            ][..],
        ),
        (
            "bad_cells_two_fields",
            &[
                "bad_cells_two_fields/targets.csv: 3 invalid cells",
                "  2 invalid cells in `登记状态` (status), expected active/存续, abnormal/经营异常 or closed/注销: line 2 \"营业中\", line 5 \"开张\"",
                "  1 invalid cell in `行政区划代码` (region), expected a 6-digit GB/T 2260 division code such as 120116: line 3 \"1201\"",
            ][..],
        ),
    ] {
        for cmd in ["draw", "check"] {
            let tmp = common::tmp();
            let out_dir = tmp.path().join("out");
            let plan = plan_of(kind);
            let args: Vec<&str> = if cmd == "draw" {
                vec!["draw", &plan, "--out", out_dir.to_str().expect("utf-8")]
            } else {
                vec!["check", &plan]
            };
            let out = dualdraw(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{kind} {cmd}: {stderr}");
            assert!(out.stdout.is_empty(), "{kind} {cmd}");
            assert!(!out_dir.exists(), "{kind} {cmd}: output written");
            for f in frags {
                assert!(stderr.contains(f), "{kind} {cmd}: lacks {f:?}:\n{stderr}");
            }
        }
    }
}

/// Several bad cells in one row: every one is reported, grouped by field like the rest (issue
/// 14), for targets and officers alike.
#[test]
fn every_bad_cell_of_one_row() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let edit = |name: &str, row: usize, cells: &[(usize, &str)]| {
        let p = dir.path().join(name);
        let text = std::fs::read_to_string(&p).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        let mut c: Vec<String> = lines[row].split(',').map(str::to_string).collect();
        for (i, v) in cells {
            c[*i] = v.to_string();
        }
        lines[row] = c.join(",");
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
    };
    // Line 2 of the targets: region, status and last inspection all bad.
    edit(
        "targets.csv",
        1,
        &[(2, "1201"), (5, "营业中"), (6, "2017.13.2")],
    );
    let plan = dir.path().join("plan.toml");
    let plan = plan.to_str().unwrap();
    let out = dualdraw(&["check", plan]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for f in [
        "targets.csv: 3 invalid cells, nothing was drawn:",
        "1 invalid cell in `行政区划代码` (region)",
        "1 invalid cell in `登记状态` (status)",
        "1 invalid cell in `上次检查日期` (last_inspected)",
        "line 2 \"2017.13.2\"",
    ] {
        assert!(stderr.contains(f), "lacks {f:?}:\n{stderr}");
    }
    // Officers: certificate date and expert flag of one row, and a status of another.
    common::copy_demo(dir.path(), &["targets.csv"]);
    edit("officers.csv", 1, &[(5, "2024/13/1"), (7, "maybe")]);
    edit("officers.csv", 2, &[(8, "unknown")]);
    let out = dualdraw(&["check", plan]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    for f in [
        "officers.csv: 3 invalid cells, nothing was drawn:",
        "`执法证有效期至` (cert_expires)",
        "`是否专家` (expert)",
        "`人员状态` (status)",
    ] {
        assert!(stderr.contains(f), "lacks {f:?}:\n{stderr}");
    }
}
