//! The pure core runs in WebAssembly and gives the same bytes there.
//!
//! `examples/verify_folder.rs` is built for `wasm32-wasip1` (without any crate feature) and run
//! under Node's built-in WASI through `tests/wasi.mjs`; the same file runs here natively, as a
//! module. The draw log, the verification report and the failure of a tampered log must be
//! identical, and the log must be the one `dualdraw draw` writes.
//!
//! The module is built beforehand by README's test command:
//!
//! ```sh
//! rustup target add wasm32-wasip1
//! cargo build --release --example verify_folder --target wasm32-wasip1 --no-default-features
//! ```
//!
//! A missing module, a module older than the sources, or a missing `node` (20 or later) fails
//! the test with these instructions: it never passes without running the WebAssembly.

#![forbid(unsafe_code)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use dualdraw::internals;
use dualdraw::io;

#[allow(dead_code)]
#[path = "../examples/verify_folder.rs"]
mod verify_folder;

/// The README demo's seed (the plan's `seed`).
const SEED: &str = "2020-10-15 rehearsal";

const BUILD: &str = "build it first with\n  rustup target add wasm32-wasip1\n  \
     cargo build --release --example verify_folder --target wasm32-wasip1 --no-default-features\n\
     (README's test command does this), or name a module in DUALDRAW_WASM";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `<target dir>/wasm32-wasip1/release/examples/verify_folder.wasm`, the target dir found from
/// this test's own path (`<target dir>/<profile>/deps/wasm-…`), or `DUALDRAW_WASM`.
fn module() -> PathBuf {
    if let Some(p) = std::env::var_os("DUALDRAW_WASM") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let target = exe
        .ancestors()
        .nth(3)
        .expect("the test runs from <target>/<profile>/deps");
    let wasm = target.join("wasm32-wasip1/release/examples/verify_folder.wasm");
    common::fresh::assert_fresh(&wasm, BUILD);
    wasm
}

/// What a run printed and returned.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

/// Runs the module under Node with the fixtures at `/fixtures` and `work` at `/work`.
fn wasm(work: &Path, args: &[&str]) -> Run {
    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let out = Command::new(&node)
        .arg("--no-warnings")
        .arg(manifest().join("tests/wasi.mjs"))
        .arg(module())
        .arg("--dir")
        .arg(format!(
            "{}=/fixtures",
            manifest().join("fixtures").display()
        ))
        .arg("--dir")
        .arg(format!("{}=/work", work.display()))
        .arg("--")
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}): the WebAssembly test needs Node.js 20 or later on PATH \
                 (or in NODE)",
                node.to_string_lossy()
            )
        });
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let code = out
        .status
        .code()
        .unwrap_or_else(|| panic!("node was killed: {stderr}"));
    Run {
        code,
        stdout: out.stdout,
        stderr,
    }
}

/// Runs the same example natively, in this process.
fn native(args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let (plan, job) = verify_folder::parse_args(&args).expect("valid arguments");
    match verify_folder::run(&plan, job) {
        Ok(stdout) => Run {
            code: 0,
            stdout,
            stderr: String::new(),
        },
        Err(e) => Run {
            code: if e.is_verification() { 1 } else { 2 },
            stdout: Vec::new(),
            stderr: format!("error: {e}\n"),
        },
    }
}

/// The demo log as `dualdraw draw` writes it.
fn demo_log() -> Vec<u8> {
    let inputs = io::load_inputs(&manifest().join("fixtures/tianjin-2020/plan.toml")).unwrap();
    let (_, log) = internals::draw_inputs(&inputs, SEED).unwrap();
    log.to_bytes()
}

fn plan_native() -> String {
    manifest()
        .join("fixtures/tianjin-2020/plan.toml")
        .display()
        .to_string()
}

const PLAN_WASM: &str = "/fixtures/tianjin-2020/plan.toml";

#[test]
fn draw_log_bytes_identical_in_wasm() {
    let work = tempfile::tempdir().unwrap();
    let w = wasm(work.path(), &[PLAN_WASM, "--draw", SEED]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let n = native(&[&plan_native(), "--draw", SEED]);
    assert_eq!(n.code, 0, "{}", n.stderr);
    assert!(w.stdout == n.stdout, "the WebAssembly draw log differs");
    assert!(
        w.stdout == demo_log(),
        "the log differs from `dualdraw draw`'s"
    );
}

#[test]
fn verification_report_identical_in_wasm() {
    let work = tempfile::tempdir().unwrap();
    let log = demo_log();
    std::fs::write(work.path().join("draw.log"), &log).unwrap();
    let head = {
        let inputs = io::load_inputs(&manifest().join("fixtures/tianjin-2020/plan.toml")).unwrap();
        hex::encode(internals::draw_inputs(&inputs, SEED).unwrap().1.head())
    };
    let native_log = work.path().join("draw.log").display().to_string();
    let w = wasm(work.path(), &[PLAN_WASM, "/work/draw.log", "--head", &head]);
    let n = native(&[&plan_native(), &native_log, "--head", &head]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    assert_eq!(w, n);
    let report = String::from_utf8(w.stdout).unwrap();
    assert!(report.contains(&format!("\nhead {head}\n")), "{report}");
    assert!(
        report.contains("\nhead check: matches the published head\n"),
        "{report}"
    );
    assert!(report.contains("\ntargets 10\nteams 10\n"), "{report}");

    // The published head beside the log, read through WASI.
    std::fs::write(work.path().join("draw.head"), format!("{head}\n")).unwrap();
    let w = wasm(work.path(), &[PLAN_WASM, "/work/draw.log"]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let report = String::from_utf8(w.stdout).unwrap();
    assert!(
        report.contains("head check: matches /work/draw.head\n"),
        "{report}"
    );
}

#[test]
fn tampered_log_fails_in_wasm_as_natively() {
    let work = tempfile::tempdir().unwrap();
    let log = demo_log();
    let native_log = work.path().join("draw.log").display().to_string();
    // An edited enterprise line (the chain breaks on the next line), and a truncated log with
    // its published head (only the head catches it).
    let line5 = log
        .split(|&b| b == b'\n')
        .take(4)
        .map(|l| l.len() + 1)
        .sum::<usize>();
    let mut edited = log.clone();
    let at = line5 + edited[line5..].iter().position(u8::is_ascii_digit).unwrap();
    edited[at] = if edited[at] == b'0' { b'1' } else { b'0' };
    let last = log[..log.len() - 1]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap();
    for (what, bytes) in [("edited", edited), ("truncated", log[..=last].to_vec())] {
        std::fs::write(work.path().join("draw.log"), &bytes).unwrap();
        let head = {
            let inputs =
                io::load_inputs(&manifest().join("fixtures/tianjin-2020/plan.toml")).unwrap();
            hex::encode(internals::draw_inputs(&inputs, SEED).unwrap().1.head())
        };
        let w = wasm(work.path(), &[PLAN_WASM, "/work/draw.log", "--head", &head]);
        let n = native(&[&plan_native(), &native_log, "--head", &head]);
        assert_eq!(w.code, 1, "{what}: {}", w.stderr);
        assert!(
            w.stderr.starts_with("error: verification failed"),
            "{what}: {}",
            w.stderr
        );
        assert_eq!(w, n, "{what}");
    }
}
