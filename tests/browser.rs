//! The published notice in a real browser: Debian's Chromium, headless, driven by
//! `tests/browser/site.mjs` (playwright-core) against the demo's published folder: honest →
//! verified; a flipped byte in the log → the failing line; an edited result table or results
//! file → caught; lookup of a drawn and a not-drawn enterprise; JavaScript off → readable;
//! without the directories → what could and could not be checked.
//!
//! Needs, beforehand (`.ci/run` and README's test command do this):
//!
//! ```sh
//! apt-get install -y chromium chromium-driver fonts-wqy-microhei
//! (cd tests/browser && npm ci)
//! cargo build --profile web --example site_verifier --target wasm32-wasip1 --no-default-features
//! ```
//!
//! A missing browser, package or module fails the test with these instructions: it never passes
//! without running the browser. Screenshots are written to `<target dir>/browser-artifacts/`.

#![forbid(unsafe_code)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SETUP: &str = "the browser test needs, beforehand:\n  apt-get install -y chromium chromium-driver fonts-wqy-microhei\n  \
     (cd tests/browser && npm ci)\n  \
     cargo build --profile web --example site_verifier --target wasm32-wasip1 --no-default-features\n\
     (.ci/run does all three)";

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `<target dir>`, found from this test's own path (`<target dir>/<profile>/deps/browser-…`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's own path");
    exe.ancestors()
        .nth(3)
        .expect("the test runs from <target>/<profile>/deps")
        .to_path_buf()
}

/// The page's verifier, built no earlier than the sources it is built from.
fn verifier() -> PathBuf {
    let wasm = target_dir().join("wasm32-wasip1/web/examples/site_verifier.wasm");
    common::fresh::assert_fresh(&wasm, SETUP);
    wasm
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The demo with every officer field public (the plan's condition for publishing the officer
/// directory), drawn, and published with and without the directories.
fn publish_demo(dir: &Path, wasm: &Path) -> (PathBuf, PathBuf) {
    let fx = manifest().join("fixtures/tianjin-2020");
    for f in ["targets.csv", "officers.csv"] {
        std::fs::copy(fx.join(f), dir.join(f)).unwrap();
    }
    let plan = std::fs::read_to_string(fx.join("plan.toml"))
        .unwrap()
        .replacen(
            "\n[[task]]",
            "\n[publish]\nofficer_fields = [\"name\", \"department\", \"region\"]\n\n[[task]]",
            1,
        );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    let bin = env!("CARGO_BIN_EXE_dualdraw");
    let plan = dir.join("plan.toml");
    run(Command::new(bin)
        .arg("draw")
        .arg(&plan)
        .arg("--out")
        .arg(dir.join("draw")));
    let log = dir.join("draw/draw.log");
    let (with, without) = (dir.join("pub"), dir.join("pub-no-directories"));
    for (out, dirs) in [(&with, true), (&without, false)] {
        let mut c = Command::new(bin);
        c.arg("publish")
            .arg(&log)
            .arg("--plan")
            .arg(&plan)
            .arg("--out")
            .arg(out)
            .arg("--verifier")
            .arg(wasm);
        if dirs {
            c.arg("--directories");
        }
        run(&mut c);
    }
    (with, without)
}

#[test]
fn published_notice_in_headless_chromium() {
    let chromium = std::env::var_os("CHROMIUM").map_or("/usr/bin/chromium".into(), PathBuf::from);
    assert!(chromium.exists(), "no {}:\n{SETUP}", chromium.display());
    let driver = manifest().join("tests/browser/node_modules/playwright-core");
    assert!(driver.exists(), "no {}:\n{SETUP}", driver.display());
    let wasm = verifier();
    let work = tempfile::tempdir().unwrap();
    let (with, without) = publish_demo(work.path(), &wasm);

    // The native figure the page is compared with: `dualdraw verify` in the published folder.
    let mut native = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        run(Command::new(env!("CARGO_BIN_EXE_dualdraw"))
            .current_dir(&with)
            .args(["verify", "draw.log", "--plan", "plan.toml"]));
        native = native.min(t.elapsed());
    }

    let artifacts = target_dir().join("browser-artifacts");
    let node = std::env::var_os("NODE").unwrap_or_else(|| "node".into());
    let out = Command::new(&node)
        .arg(manifest().join("tests/browser/site.mjs"))
        .arg(&with)
        .arg(&without)
        .arg(&artifacts)
        .env("CHROMIUM", &chromium)
        .output()
        .unwrap_or_else(|e| panic!("cannot run node ({e}): Node.js 20 or later on PATH"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "browser cases failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page_ms: f64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("figure verify_ms "))
        .and_then(|v| v.trim().parse().ok())
        .expect("the script reports the in-page verification time");
    let run_ms = stdout
        .lines()
        .find_map(|l| l.strip_prefix("figure run_ms "))
        .unwrap_or("?")
        .trim()
        .to_string();
    let weight: u64 = ["index.html", "site"]
        .iter()
        .filter_map(|p| dir_size(&with.join(p)))
        .sum();
    println!(
        "figures: page weight {weight} bytes; verify in page {page_ms} ms from click to result, \
         {run_ms} ms of it in the verifier; `dualdraw verify` {:.1} ms (ratio {:.1}); screenshots in {}",
        native.as_secs_f64() * 1e3,
        page_ms / (native.as_secs_f64() * 1e3),
        artifacts.display()
    );
    assert!(
        weight <= 1_500_000,
        "page weight {weight} bytes over 1.5 MB"
    );
    for shot in ["honest.png", "tampered-log.png", "tampered-table.png"] {
        assert!(artifacts.join(shot).exists(), "no screenshot {shot}");
    }
}

fn dir_size(p: &Path) -> Option<u64> {
    let meta = std::fs::metadata(p).ok()?;
    if !meta.is_dir() {
        return Some(meta.len());
    }
    Some(
        std::fs::read_dir(p)
            .ok()?
            .filter_map(|e| dir_size(&e.ok()?.path()))
            .sum(),
    )
}

/// A 10^5-row target directory, published with the directories, verifies in the page without
/// the tab running out of memory. Long (a minute with the build): `cargo test --release --test
/// browser -- --ignored`.
#[test]
#[ignore]
fn large_directory_verifies_in_the_page() {
    let wasm = verifier();
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let bin = env!("CARGO_BIN_EXE_dualdraw");
    run(Command::new(bin)
        .args(["gen-targets", "--rows", "100000", "--seed", "1", "-o"])
        .arg(dir.join("targets.csv")));
    let fx = manifest().join("fixtures/tianjin-2020");
    std::fs::copy(fx.join("officers.csv"), dir.join("officers.csv")).unwrap();
    let plan = std::fs::read_to_string(fx.join("plan.toml"))
        .unwrap()
        .replacen(
            "\n[[task]]",
            "\n[publish]\nofficer_fields = [\"name\", \"department\", \"region\"]\n\n[[task]]",
            1,
        );
    std::fs::write(dir.join("plan.toml"), plan).unwrap();
    run(Command::new(bin)
        .arg("draw")
        .arg(dir.join("plan.toml"))
        .arg("--out")
        .arg(dir.join("draw")));
    run(Command::new(bin)
        .arg("publish")
        .arg(dir.join("draw/draw.log"))
        .arg("--plan")
        .arg(dir.join("plan.toml"))
        .arg("--out")
        .arg(dir.join("pub"))
        .arg("--verifier")
        .arg(&wasm)
        .arg("--directories"));
    let t = Instant::now();
    run(Command::new(bin).current_dir(dir.join("pub")).args([
        "verify",
        "draw.log",
        "--plan",
        "plan.toml",
    ]));
    let native = t.elapsed();
    let out = run(
        Command::new(std::env::var_os("NODE").unwrap_or_else(|| "node".into()))
            .arg(manifest().join("tests/browser/scale.mjs"))
            .arg(dir.join("pub")),
    );
    println!(
        "{out}native `dualdraw verify`: {:.0} ms",
        native.as_secs_f64() * 1e3
    );
}
