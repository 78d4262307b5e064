//! `[publish] directories` (SPEC.md §4.2, §9.4): the plan decides whether the published folder
//! carries both directory files, and may say so only when every officer field is public (the
//! officer directory holds them all). The folder then re-runs as it is, natively and in Python;
//! `publish --directories` only asserts what the plan says.

mod common;

use std::path::Path;
use std::process::Command;

use common::cli::{bin, code, show, stderr};
use common::{read_demo, write_inputs};
use dualdraw::Plan;

const ALL: &str = "officer_fields = [\"name\", \"department\", \"region\"]";

/// The demo plan with a `[publish]` table of `keys` at its end.
fn plan_with(keys: &str) -> String {
    String::from_utf8(read_demo("plan.toml")).unwrap() + "\n[publish]\n" + keys + "\n"
}

#[test]
fn the_plan_key_is_refused_while_an_officer_field_is_private() {
    for (fields, private) in [
        ("officer_fields = [\"name\"]", "department, region"),
        ("officer_fields = [\"region\", \"name\"]", "department"),
        ("", "name, department, region"),
    ] {
        let text = plan_with(&format!("{fields}\ndirectories = true"));
        let line = text
            .lines()
            .position(|l| l == "directories = true")
            .unwrap()
            + 1;
        let e = Plan::from_toml(&text, Path::new("plan.toml"))
            .expect_err("directories with a private officer field");
        let msg = e.to_string();
        assert!(!e.is_verification(), "{msg}");
        for want in [
            "plan.toml",
            &format!("{line}"),
            "publish.directories",
            &format!("keeps {private} private"),
            ALL,
        ] {
            assert!(msg.contains(want), "{want:?} not in: {msg}");
        }
    }
}

#[test]
fn the_plan_key_defaults_to_false_and_needs_every_officer_field() {
    let parse = |keys: &str| Plan::from_toml(&plan_with(keys), Path::new("plan.toml"));
    assert!(!parse("").unwrap().publish_directories);
    assert!(!parse(ALL).unwrap().publish_directories);
    assert!(!parse("directories = false").unwrap().publish_directories);
    assert!(
        parse(&format!("{ALL}\ndirectories = true"))
            .unwrap()
            .publish_directories
    );
    let text = plan_with("directories = \"yes\"");
    let line = text.lines().count();
    let e = Plan::from_toml(&text, Path::new("plan.toml")).expect_err("not a boolean");
    let msg = e.to_string();
    assert!(
        msg.contains(&format!("line {line}")) && msg.contains("boolean"),
        "{msg}"
    );
}

/// Draws the demo under `plan` in `dir` and publishes it to `dir/pub`, with `flags`.
fn publish(dir: &Path, plan: &str, flags: &[&str]) -> std::process::Output {
    let plan = write_inputs(
        dir,
        plan,
        read_demo("targets.csv"),
        read_demo("officers.csv"),
    );
    let d = common::cli::draw(&plan, &dir.join("draw"));
    assert_eq!(code(&d), 0, "{}", show(&d));
    let mut c = bin();
    c.arg("publish")
        .arg(dir.join("draw/draw.log"))
        .arg("--plan")
        .arg(&plan)
        .arg("--out")
        .arg(dir.join("pub"))
        .args(flags);
    c.output().unwrap()
}

#[test]
fn a_plan_that_publishes_them_puts_both_directories_in_the_folder() {
    let tmp = common::tmp();
    let dir = tmp.path();
    let out = publish(dir, &plan_with(&format!("{ALL}\ndirectories = true")), &[]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    let folder = dir.join("pub");
    // At the paths the plan names, byte for byte, so the folder re-runs as it is.
    for f in ["targets.csv", "officers.csv"] {
        assert_eq!(
            std::fs::read(folder.join(f)).unwrap(),
            read_demo(f),
            "{f} in the folder"
        );
    }
    let v = bin()
        .current_dir(&folder)
        .args(["verify", "draw.log", "--plan", "plan.toml"])
        .output()
        .unwrap();
    assert_eq!(code(&v), 0, "{}", show(&v));
    // The independent verifier reads the key too.
    if common::cli::python3_probe().is_ok_and(|o| o.status.success()) {
        let py = Command::new("python3")
            .arg(common::cli::verify_py())
            .args(["draw.log", "--plan", "plan.toml"])
            .current_dir(&folder)
            .output()
            .unwrap();
        assert_eq!(code(&py), 0, "{}", show(&py));
        // And refuses it as the library does, with an officer field private.
        let bad = folder.join("private.toml");
        std::fs::write(
            &bad,
            plan_with("officer_fields = [\"name\"]\ndirectories = true"),
        )
        .unwrap();
        let py = Command::new("python3")
            .arg(common::cli::verify_py())
            .args(["draw.log", "--plan", "private.toml"])
            .current_dir(&folder)
            .output()
            .unwrap();
        assert_eq!(code(&py), 2, "{}", show(&py));
        assert!(stderr(&py).contains("publish.directories"), "{}", show(&py));
    }
    // The flag agrees with the plan, so it is accepted.
    let tmp2 = common::tmp();
    let again = publish(
        tmp2.path(),
        &plan_with(&format!("{ALL}\ndirectories = true")),
        &["--directories"],
    );
    assert_eq!(code(&again), 0, "{}", show(&again));
}

#[test]
fn without_the_key_no_directory_is_published_and_the_flag_is_refused() {
    let tmp = common::tmp();
    let dir = tmp.path();
    let out = publish(dir, &plan_with(ALL), &[]);
    assert_eq!(code(&out), 0, "{}", show(&out));
    for f in ["targets.csv", "officers.csv", "directories"] {
        assert!(!dir.join("pub").join(f).exists(), "{f} published");
    }
    let tmp2 = common::tmp();
    let refused = publish(tmp2.path(), &plan_with(ALL), &["--directories"]);
    assert_eq!(code(&refused), 2, "{}", show(&refused));
    let msg = stderr(&refused);
    assert!(
        msg.contains("publish.directories") && msg.contains("[publish] directories = true"),
        "{msg}"
    );
    assert!(
        !tmp2.path().join("pub").exists(),
        "a refused publish wrote its folder"
    );
    // The plan named in the message is the one given.
    assert!(msg.contains("plan.toml"), "{msg}");
}
