//! The `dualdraw` binary, run from the crate root, and the independent Python verifier.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::root;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_dualdraw");

/// A command running the binary from the crate root, so that relative paths (and the paths in
/// its messages) read as a user would type them.
pub fn bin() -> Command {
    let mut c = Command::new(BIN);
    c.current_dir(root());
    c
}

/// Runs the binary with `args` and waits for it.
pub fn run<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    bin().args(args).output().expect("run dualdraw")
}

/// `dualdraw draw PLAN --out OUT`.
pub fn draw(plan: impl AsRef<OsStr>, out: &Path) -> Output {
    let mut c = bin();
    c.arg("draw").arg(plan).arg("--out").arg(out);
    c.output().expect("run dualdraw")
}

/// `dualdraw verify LOG --plan PLAN [--head HEAD]`.
pub fn verify(log: &Path, plan: impl AsRef<OsStr>, head: Option<&str>) -> Output {
    let mut c = bin();
    c.arg("verify").arg(log).arg("--plan").arg(plan);
    if let Some(h) = head {
        c.args(["--head", h]);
    }
    c.output().expect("run dualdraw")
}

/// The exit code (panics if the process was killed by a signal).
pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exited with a code")
}

/// Output bytes as text (lossy).
pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

/// Exit code, stdout and stderr, for a failure message.
pub fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        stdout(o),
        stderr(o)
    )
}

/// Exit code and combined output (stdout, then stderr) of one process.
pub struct Run {
    pub code: i32,
    pub text: String,
}

/// Runs `cmd` to its end (exit code -1 when killed by a signal).
pub fn capture(cmd: &mut Command) -> Run {
    let out = cmd.output().expect("process starts");
    Run {
        code: out.status.code().unwrap_or(-1),
        text: format!("{}{}", stdout(&out), stderr(&out)),
    }
}

/// The independent Python verifier, `verifiers/python/verify.py`.
pub fn verify_py() -> PathBuf {
    root().join("verifiers/python/verify.py")
}

/// Runs `python3` to check that it is 3.11 or later (with `tomllib`); success means usable.
pub fn python3_probe() -> std::io::Result<Output> {
    Command::new("python3")
        .args([
            "-c",
            "import sys, tomllib; sys.exit(sys.version_info < (3, 11))",
        ])
        .output()
}
