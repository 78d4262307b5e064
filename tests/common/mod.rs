//! Test code shared by the integration suites (`mod common;` at the top of each).
//!
//! - this file: the crate root, the Tianjin demo (paths, inputs, its draw), loading and
//!   drawing any inputs, temp dirs, folder snapshots;
//! - [`cli`]: the `dualdraw` binary (exit code, stdout, stderr) and the Python verifier;
//! - [`plans`]: a builder writing plan TOML text;
//! - [`tamper`]: a log's lines, rejoined, flipped, deleted, swapped, duplicated, forged and
//!   classified;
//! - [`dirs`]: directory CSV headers, readers and writers;
//! - [`rng`]: the tests' own fixed-seed generator;
//! - [`fresh`]: whether a built WebAssembly module is newer than its sources.
//!
//! Every suite uses a subset of this, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod cli;
pub mod dirs;
pub mod fresh;
pub mod plans;
pub mod rng;
pub mod tamper;
// ---- the harness: demo fixture, loading and drawing inputs, temp dirs, snapshots ----
//
// Every use of `dualdraw::io::load_inputs` and `dualdraw::internals::draw_inputs` by the suites
// goes through `load` and `try_draw`, so that a change of those APIs is one edit here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use dualdraw::draw::Outcome;
use dualdraw::io::Inputs;
use dualdraw::log::Log;
use dualdraw::merkle::Hash;
use dualdraw::{Officers, Plan, Targets};

/// The demo plan, relative to the crate root (the tests' and the binary's working directory),
/// as a user would type it.
pub const DEMO_PLAN: &str = "fixtures/tianjin-2020/plan.toml";
/// The demo folder, relative to the crate root.
pub const DEMO_DIR: &str = "fixtures/tianjin-2020";
/// The demo plan's own seed.
pub const DEMO_SEED: &str = "2020-10-15 rehearsal";

/// The crate root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A file of the demo folder (`plan.toml`, `targets.csv`, `officers.csv`, `plan-joint.toml`).
pub fn demo_path(name: &str) -> PathBuf {
    root().join(DEMO_DIR).join(name)
}

/// The bytes of a file of the demo folder.
pub fn read_demo(name: &str) -> Vec<u8> {
    std::fs::read(demo_path(name)).expect("fixture")
}

/// The plan at `plan` and the directories it names.
pub fn load(plan: &Path) -> Inputs {
    dualdraw::io::load_inputs(plan).unwrap_or_else(|e| panic!("{}: {e}", plan.display()))
}

/// The demo plan and directories.
pub fn demo_inputs() -> Inputs {
    load(&demo_path("plan.toml"))
}

/// The demo as values, read through the library's front door (no `io`).
pub fn demo_values() -> (Plan, Targets, Officers) {
    let plan = Plan::parse(&read_demo("plan.toml"), "plan.toml".as_ref()).expect("plan");
    let targets = Targets::read_for(
        read_demo("targets.csv").as_slice(),
        "targets.csv".as_ref(),
        plan.inspection_date,
    )
    .expect("targets");
    let officers = dualdraw::directory::read_officers(
        read_demo("officers.csv").as_slice(),
        "officers.csv".as_ref(),
    )
    .expect("officers");
    (plan, targets, officers)
}

/// The draw of `inputs` with `seed`, as the command line makes it: the outcome and the log.
pub fn try_draw(inputs: &Inputs, seed: &str) -> dualdraw::Result<(Outcome, Log)> {
    dualdraw::internals::draw_inputs(inputs, seed)
}

/// [`try_draw`], which must succeed.
pub fn draw(inputs: &Inputs, seed: &str) -> (Outcome, Log) {
    try_draw(inputs, seed).unwrap_or_else(|e| panic!("draw with seed {seed:?}: {e}"))
}

/// Verifies log `bytes` against `inputs` (and the published `head`, if any).
pub fn verify(
    inputs: &Inputs,
    bytes: &[u8],
    head: Option<&Hash>,
) -> dualdraw::Result<dualdraw::verify::Report> {
    dualdraw::internals::verify(
        bytes,
        head,
        &inputs.plan,
        &inputs.plan_digest,
        &inputs.targets,
        &inputs.officers,
    )
}

/// The demo drawn with its own seed, once per test binary.
pub struct DemoDraw {
    pub inputs: Inputs,
    pub outcome: Outcome,
    pub log: Log,
    /// The log as written.
    pub bytes: Vec<u8>,
}

pub fn demo_draw() -> &'static DemoDraw {
    static DEMO: OnceLock<DemoDraw> = OnceLock::new();
    DEMO.get_or_init(|| {
        let inputs = demo_inputs();
        let (outcome, log) = draw(&inputs, DEMO_SEED);
        let bytes = log.to_bytes();
        DemoDraw {
            inputs,
            outcome,
            log,
            bytes,
        }
    })
}

/// A fresh temp dir, removed when dropped.
pub fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Copies the demo folder's files `names` into `dir`.
pub fn copy_demo(dir: &Path, names: &[&str]) {
    for f in names {
        std::fs::copy(demo_path(f), dir.join(f)).unwrap();
    }
}

/// Writes `plan.toml`, `targets.csv` and `officers.csv` into `dir` (created if need be) and
/// returns the plan's path.
pub fn write_inputs(
    dir: &Path,
    plan: impl AsRef<[u8]>,
    targets: impl AsRef<[u8]>,
    officers: impl AsRef<[u8]>,
) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("targets.csv"), targets).unwrap();
    std::fs::write(dir.join("officers.csv"), officers).unwrap();
    let p = dir.join("plan.toml");
    std::fs::write(&p, plan).unwrap();
    p
}

/// Every file directly in `dir` with its bytes.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let b = std::fs::read(&p).unwrap();
            (p, b)
        })
        .collect()
}
