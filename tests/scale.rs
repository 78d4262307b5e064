//! Scale runs, too slow for every `cargo test`: run them with
//! `cargo test --release --test scale -- --ignored` (README, Performance).
//! `DUALDRAW_SCALE_ROWS` sets the directory size (default 10,000,000).

mod common;

use std::path::Path;
use std::process::Stdio;

use common::cli::bin;
use common::plans::{plan as plan_toml, task};

fn rows() -> String {
    std::env::var("DUALDRAW_SCALE_ROWS").unwrap_or_else(|_| "10000000".into())
}

fn plan(dir: &Path) -> std::path::PathBuf {
    let officers = std::fs::canonicalize("fixtures/tianjin-2020/officers.csv").unwrap();
    plan_toml("SCALE")
        .title("scale")
        .files("targets.csv", &officers.display().to_string())
        .seed("scale")
        .task(
            task("radio")
                .domain("无线电")
                .item("n", "b")
                .scope("domains = [\"无线电\"]")
                .count(100)
                .exclude_days(365)
                .team_size(2),
        )
        .task(
            task("power")
                .domain("电力")
                .item("n", "b")
                .ratio("0.001%")
                .team(2, 1),
        )
        .write(dir)
}

/// Pipes `gen-targets` into `args` and returns the second command's output.
fn piped(args: &[&str]) -> std::process::Output {
    let mut gen_cmd = bin()
        .args(["gen-targets", "--rows", &rows(), "--seed", "3"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = bin()
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
    let dir = common::tmp();
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
    let dir = common::tmp();
    let sorted = dir.path().join("sorted.csv");
    let st = bin()
        .args(["gen-targets", "--rows", "2000000", "--seed", "5", "-o"])
        .arg(&sorted)
        .status()
        .unwrap();
    assert!(st.success());
    let text = std::fs::read_to_string(&sorted).unwrap();
    let reversed = dir.path().join("reversed.csv");
    std::fs::write(&reversed, common::dirs::reverse_rows(&text)).unwrap();
    let again = dir.path().join("again.csv");
    let o = bin()
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
