//! Public reasons are categories (issue 10, item 7; SPEC.md §9.5): a replacement's or a
//! recusal's free text stays out of everything `publish` writes unless the plan says
//! `[publish] reasons = true`; the log carries the category and a salted commitment, the text
//! and salt stay in `reasons.private.jsonl` beside the log, which an auditor can check.

mod common;

use std::path::{Path, PathBuf};

use common::cli::{bin, code, show, verify_py};

const PRIVATE: &str = "住院治疗";

/// A demo draw in a fresh folder, with `extra` appended to the plan. Returns (dir, plan, log).
fn drawn(extra: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let plan = dir.path().join("plan.toml");
    let mut text = std::fs::read_to_string(&plan).unwrap();
    text.push_str(extra);
    std::fs::write(&plan, text).unwrap();
    let out = dir.path().join("draw");
    let o = common::cli::draw(&plan, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    (dir, plan, out.join("draw.log"))
}

/// Replaces the leader of the first team of `teams.csv` with `reason`.
fn replace(plan: &Path, log: &Path, reason: &str) -> std::process::Output {
    let teams = std::fs::read_to_string(log.with_file_name("teams.csv")).unwrap();
    let row: Vec<String> = teams
        .trim_start_matches('\u{feff}')
        .lines()
        .map(|l| l.split(',').map(str::to_string).collect::<Vec<_>>())
        .find(|r| r.get(3).map(String::as_str) == Some("leader"))
        .unwrap();
    bin()
        .arg("replace")
        .arg(log)
        .arg("--plan")
        .arg(plan)
        .args([
            "--task",
            &row[0],
            "--enterprise",
            &row[1],
            "--officer",
            &row[5],
        ])
        .args(["--reason", reason])
        .output()
        .unwrap()
}

fn publish(plan: &Path, log: &Path, out: &Path) {
    let o = bin()
        .arg("publish")
        .arg(log)
        .arg("--plan")
        .arg(plan)
        .arg("--out")
        .arg(out)
        .args(["--date", "2020-10-21"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
}

/// Every file under `dir`, with its bytes.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            let b = std::fs::read(&p).unwrap();
            out.push((p, b));
        }
    }
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn verify(log: &Path, plan: &Path) -> std::process::Output {
    bin()
        .arg("verify")
        .arg(log)
        .arg("--plan")
        .arg(plan)
        .output()
        .unwrap()
}

/// Python's verdict on the log with the sidecar, or `None` without a usable python3.
fn python(log: &Path, plan: &Path, sidecar: &Path) -> Option<i32> {
    if !matches!(common::cli::python3_probe(), Ok(ref o) if o.status.success()) {
        eprintln!("NOTICE: python3 >= 3.11 not found; skipping the Python side");
        return None;
    }
    let o = std::process::Command::new("python3")
        .arg(verify_py())
        .arg(log)
        .arg("--plan")
        .arg(plan)
        .arg("--reasons")
        .arg(sidecar)
        .output()
        .unwrap();
    Some(code(&o))
}

#[test]
fn a_private_reason_never_reaches_the_publish_folder_but_its_commitment_checks() {
    let (dir, plan, log) = drawn("");
    let o = replace(&plan, &log, &format!("病假：{PRIVATE}"));
    assert_eq!(code(&o), 0, "{}", show(&o));
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(!log_text.contains(PRIVATE), "the log holds no private text");
    assert!(log_text.contains(r#""reason":{"category":"illness","commitment":""#));
    let sidecar = log.with_file_name(dualdraw::reason::SIDECAR);
    assert!(
        std::fs::read_to_string(&sidecar).unwrap().contains(PRIVATE),
        "the sidecar keeps the text"
    );
    let out = dir.path().join("public");
    publish(&plan, &log, &out);
    for (p, b) in files(&out) {
        assert!(
            !contains(&b, PRIVATE.as_bytes()),
            "{} holds the private text",
            p.display()
        );
        assert!(!p.ends_with(dualdraw::reason::SIDECAR));
    }
    let replacements = std::fs::read_to_string(out.join("results/replacements.json")).unwrap();
    assert!(replacements.contains("病假"), "{replacements}");
    // The auditor's check: verify opens every commitment with the sidecar beside the log.
    let o = verify(&log, &plan);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        show(&o).contains("private reasons: 1 commitments"),
        "{}",
        show(&o)
    );
    if let Some(c) = python(&log, &plan, &sidecar) {
        assert_eq!(c, 0, "the Python verifier opens the commitment too");
    }
    // A tampered sidecar (another text for the same commitment) is caught by both.
    let good = std::fs::read_to_string(&sidecar).unwrap();
    std::fs::write(&sidecar, good.replace(PRIVATE, "出差")).unwrap();
    let o = verify(&log, &plan);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(
        show(&o).contains("do not open the commitment"),
        "{}",
        show(&o)
    );
    if let Some(c) = python(&log, &plan, &sidecar) {
        assert_eq!(c, 1, "the Python verifier catches the tampered sidecar");
    }
    // A log whose commitment was changed (and re-chained) no longer verifies at all without
    // the sidecar either: the category and commitment are the request's, so only a sidecar
    // or the published head pins them — with the sidecar the changed commitment is unopened.
    std::fs::write(&sidecar, &good).unwrap();
    let mut lines: Vec<Vec<u8>> = common::tamper::owned_lines(&std::fs::read(&log).unwrap());
    let n = lines
        .iter()
        .position(|l| contains(l, br#""event":"replacement""#))
        .unwrap()
        + 1;
    let last = String::from_utf8(lines[n - 1].clone()).unwrap();
    let at = last.find(r#""commitment":""#).unwrap() + 14;
    let mut forged = last.clone();
    let flipped = if &last[at..at + 1] == "0" { "1" } else { "0" };
    forged.replace_range(at..at + 1, flipped);
    lines[n - 1] = forged.into_bytes();
    common::tamper::rechain(&mut lines);
    std::fs::write(&log, common::tamper::join(&lines)).unwrap();
    std::fs::remove_file(log.with_file_name("draw.head")).unwrap();
    let o = verify(&log, &plan);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(show(&o).contains("holds no text"), "{}", show(&o));
    if let Some(c) = python(&log, &plan, &sidecar) {
        assert_eq!(c, 1, "the Python verifier catches the changed commitment");
    }
}

#[test]
fn with_public_reasons_the_text_is_published() {
    let (dir, plan, log) = drawn("\n[publish]\nreasons = true\n");
    let o = replace(&plan, &log, &format!("病假：{PRIVATE}"));
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(!log.with_file_name(dualdraw::reason::SIDECAR).exists());
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(log_text.contains(&format!(
        r#""reason":{{"category":"illness","text":"{PRIVATE}"}}"#
    )));
    let out = dir.path().join("public");
    publish(&plan, &log, &out);
    let replacements = std::fs::read_to_string(out.join("results/replacements.json")).unwrap();
    assert!(
        replacements.contains(&format!("病假：{PRIVATE}")),
        "{replacements}"
    );
    assert!(contains(
        &std::fs::read(out.join("draw.log")).unwrap(),
        PRIVATE.as_bytes()
    ));
}

#[test]
fn an_unknown_category_is_refused_and_the_log_is_unchanged() {
    let (_dir, plan, log) = drawn("");
    let before = std::fs::read(&log).unwrap();
    for reason in ["生病", "sick: flu", ""] {
        let o = replace(&plan, &log, reason);
        assert_eq!(code(&o), 2, "{reason:?}: {}", show(&o));
        let msg = show(&o);
        for c in dualdraw::reason::Category::ALL {
            assert!(
                msg.contains(c.key()) && msg.contains(c.label()),
                "{reason:?}: {msg}"
            );
        }
        assert_eq!(std::fs::read(&log).unwrap(), before, "log byte-identical");
    }
    assert!(!log.with_file_name(dualdraw::reason::SIDECAR).exists());
}

#[test]
fn a_recusal_takes_a_category_and_no_published_text_unless_reasons_are_public() {
    let pair = "\n[[recusal]]\nenterprise = \"91120116MA05JKLM8J\"\nofficer = \"TJGX0001\"\n";
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let plan = dir.path().join("plan.toml");
    let base = std::fs::read_to_string(&plan).unwrap();
    let check = |extra: &str| {
        std::fs::write(&plan, format!("{base}{extra}")).unwrap();
        bin().arg("check").arg(&plan).output().unwrap()
    };
    let o = check(&format!("{pair}category = \"回避\"\n"));
    assert_eq!(code(&o), 0, "{}", show(&o));
    let o = check(&format!("{pair}category = \"sick\"\n"));
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(show(&o).contains("conflict_of_interest"), "{}", show(&o));
    let o = check(&format!("{pair}category = \"回避\"\ntext = \"亲属关系\"\n"));
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(show(&o).contains("[publish] reasons"), "{}", show(&o));
    let o = check(&format!(
        "{pair}category = \"回避\"\ntext = \"亲属关系\"\n\n[publish]\nreasons = true\n"
    ));
    assert_eq!(code(&o), 0, "{}", show(&o));
    // A private text is committed to in the plan; the log carries the commitment.
    let salt = [5u8; 32];
    let c = dualdraw::reason::commitment(
        dualdraw::reason::Category::ConflictOfInterest,
        &salt,
        "亲属关系",
    );
    let o = check(&format!(
        "{pair}category = \"回避\"\ncommitment = \"{}\"\n",
        hex::encode(c)
    ));
    assert_eq!(code(&o), 0, "{}", show(&o));
}

/// `dualdraw commit-reason` seals a private recusal text: its plan keys draw, and its sidecar
/// line, kept beside the log, opens the logged commitment for `verify`; a changed text does not.
#[test]
fn commit_reason_seals_a_recusal_text_that_verify_opens() {
    let o = bin()
        .args(["commit-reason", "利益冲突：其配偶任该企业财务"])
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let out = String::from_utf8(o.stdout).unwrap();
    let keys: String = out
        .lines()
        .skip(1)
        .take(2)
        .map(|l| format!("{}\n", l.trim()))
        .collect();
    assert!(
        keys.starts_with("category = \"conflict_of_interest\""),
        "{out}"
    );
    let sidecar = out.lines().last().unwrap().to_string();
    assert!(
        !keys.contains("其配偶"),
        "the plan keys carry no text: {keys}"
    );
    let (_dir, plan, log) = drawn(&format!(
        "\n[[recusal]]\nenterprise = \"91120116MA05JKLM8J\"\nofficer = \"TJGX0001\"\n{keys}"
    ));
    assert!(!std::fs::read_to_string(&log).unwrap().contains("其配偶"));
    let side = log.with_file_name("reasons.private.jsonl");
    std::fs::write(&side, format!("{sidecar}\n")).unwrap();
    let o = verify(&log, &plan);
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        show(&o).contains("private reasons: 1 commitments"),
        "{}",
        show(&o)
    );
    std::fs::write(&side, sidecar.replace("其配偶", "其兄弟")).unwrap();
    assert_eq!(
        code(&verify(&log, &plan)),
        1,
        "a changed text no longer opens it"
    );
    let o = bin().args(["commit-reason", "sick: flu"]).output().unwrap();
    assert_eq!(code(&o), 2, "{}", show(&o));
    let o = bin().args(["commit-reason", "回避"]).output().unwrap();
    assert_eq!(code(&o), 2, "nothing to commit: {}", show(&o));
}

/// Issue 14, item 2: the header records the optional fields each directory supplies; `check`
/// and the public notice say what is missing; both verifiers check the record.
#[test]
fn the_header_records_which_optional_fields_were_supplied() {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv"]);
    // The demo officers without the conflicts column (回避企业).
    let officers = std::fs::read_to_string(common::demo_path("officers.csv")).unwrap();
    let cut: String = officers
        .lines()
        .map(|l| l.rsplit_once(',').map_or(l, |(a, _)| a).to_string() + "\n")
        .collect();
    std::fs::write(dir.path().join("officers.csv"), cut).unwrap();
    let plan = dir.path().join("plan.toml");
    let o = bin().arg("check").arg(&plan).output().unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    assert!(
        show(&o).contains("no conflict declarations were supplied (未提供回避企业申报)"),
        "{}",
        show(&o)
    );
    let out = dir.path().join("draw");
    let o = common::cli::draw(&plan, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let log = out.join("draw.log");
    let text = std::fs::read_to_string(&log).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.contains(r#""supplied":["expert"]"#),
        "officers supply the expert flag only: {header}"
    );
    assert!(header.contains(r#""supplied":["credit_class","last_inspected"]"#));
    let public = dir.path().join("public");
    publish(&plan, &log, &public);
    let page = std::fs::read_to_string(public.join("index.html")).unwrap();
    assert!(page.contains("未提供回避企业申报"), "the notice says so");
    // A header that claims conflicts were supplied fails both verifiers.
    let mut lines = common::tamper::owned_lines(&std::fs::read(&log).unwrap());
    let h = String::from_utf8(lines[0].clone()).unwrap().replace(
        r#""supplied":["expert"]"#,
        r#""supplied":["conflicts","expert"]"#,
    );
    lines[0] = h.into_bytes();
    common::tamper::rechain(&mut lines);
    std::fs::write(&log, common::tamper::join(&lines)).unwrap();
    std::fs::remove_file(out.join("draw.head")).unwrap();
    let o = verify(&log, &plan);
    assert_eq!(code(&o), 1, "{}", show(&o));
    assert!(show(&o).contains("optional fields"), "{}", show(&o));
    if matches!(common::cli::python3_probe(), Ok(ref o) if o.status.success()) {
        let o = std::process::Command::new("python3")
            .arg(verify_py())
            .arg(&log)
            .arg("--plan")
            .arg(&plan)
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{}", show(&o));
    }
}
