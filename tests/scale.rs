//! Scale runs, too slow for every `cargo test`: run them with
//! `cargo test --release --test scale -- --ignored` (README, Performance).
//! `DUALDRAW_SCALE_ROWS` sets the directory size (default 10,000,000).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

fn rows() -> String {
    std::env::var("DUALDRAW_SCALE_ROWS").unwrap_or_else(|_| "10000000".into())
}

fn plan(dir: &Path) -> std::path::PathBuf {
    let officers = std::fs::canonicalize("fixtures/tianjin-2020/officers.csv").unwrap();
    let p = dir.join("plan.toml");
    let mut f = std::fs::File::create(&p).unwrap();
    write!(
        f,
        r#"id = "SCALE"
title = "scale"
inspection_date = "2020-10-20"
targets = "targets.csv"
officers = "{}"
seed = "scale"
[[task]]
id = "radio"
domain = "无线电"
item = {{ name = "n", basis = "b" }}
scope = {{ domains = ["无线电"] }}
sample = {{ count = 100 }}
exclude_inspected_within_days = 365
team = {{ size = 2 }}
[[task]]
id = "power"
domain = "电力"
item = {{ name = "n", basis = "b" }}
sample = {{ ratio = "0.001%" }}
team = {{ size = 2, experts = 1 }}
"#,
        officers.display()
    )
    .unwrap();
    p
}

/// Pipes `gen-targets` into `args` and returns the second command's output.
fn piped(args: &[&str]) -> std::process::Output {
    let bin = env!("CARGO_BIN_EXE_dualdraw");
    let mut gen_cmd = Command::new(bin)
        .args(["gen-targets", "--rows", &rows(), "--seed", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = Command::new(bin)
        .args(args)
        .stdin(gen_cmd.stdout.take().unwrap())
        .output()
        .unwrap();
    assert!(gen_cmd.wait().unwrap().success());
    out
}

#[test]
#[ignore]
fn a_national_directory_streams_through_a_pipe_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let plan = plan(dir.path());
    let out = dir.path().join("out");
    let o = piped(&[
        "draw",
        plan.to_str().unwrap(),
        "--targets",
        "-",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let log = out.join("draw.log");
    let o = piped(&[
        "verify",
        log.to_str().unwrap(),
        "--plan",
        plan.to_str().unwrap(),
        "--targets",
        "-",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains(&format!("{} records", rows())) || text.contains("OK"),
        "{text}"
    );
}

#[test]
#[ignore]
fn external_sort_restores_a_reversed_directory() {
    let dir = tempfile::tempdir().unwrap();
    let sorted = dir.path().join("sorted.csv");
    let bin = env!("CARGO_BIN_EXE_dualdraw");
    let st = Command::new(bin)
        .args(["gen-targets", "--rows", "2000000", "--seed", "5", "-o"])
        .arg(&sorted)
        .status()
        .unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(&sorted).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[1..].reverse();
    let reversed = dir.path().join("reversed.csv");
    std::fs::write(&reversed, lines.join("\n") + "\n").unwrap();
    drop(lines);
    let again = dir.path().join("again.csv");
    let o = Command::new(bin)
        .arg("sort")
        .arg(&reversed)
        .arg("-o")
        .arg(&again)
        .args(["--memory-mib", "16"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(std::fs::read(&again).unwrap() == text.as_bytes());
}
