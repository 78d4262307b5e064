//! A crash or a full disk at every write boundary (issue 10, items 2 and 3).
//!
//! The binary counts each step that changes the file system (create, write, fsync, rename,
//! folder sync; `src/io/fault.rs`). With `DUALDRAW_FAULT=N:abort` it aborts at step N as
//! `kill -9` would; with `N:full` step N fails with "no space left on device". For each of
//! `draw`, a committed `draw`, `replace` and `publish`, and each N until the command no longer
//! reaches step N (a crash at odd steps, a full disk at even ones; both at every step in the
//! `--ignored` run):
//!
//! 1. right after the fault, every file is either as it was before the command or as a
//!    fault-free run leaves it (never half-written, never a mix inside one file);
//! 2. the same command run again (unless the fault came after its last visible change), then
//!    `render` if the log was already extended, completes;
//! 3. the folder is then byte-identical to the fault-free run's: nothing lost, nothing drawn
//!    twice, and the log verifies;
//! 4. leftover temporary files and staging folders of the dead process are removed by the next
//!    writer once they are stale (the test ages them, rather than waiting).

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::cli::{bin, code, show};

/// A folder's files (recursively), without the log's lock file and our temporary entries.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with(".dualdraw-") || name.ends_with(".lock") {
                continue;
            }
            if p.is_dir() {
                todo.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// The paths whose bytes differ between two folder states (missing on either side included).
fn differ(a: &BTreeMap<PathBuf, Vec<u8>>, b: &BTreeMap<PathBuf, Vec<u8>>) -> Vec<PathBuf> {
    a.keys()
        .chain(b.keys())
        .filter(|p| a.get(*p) != b.get(*p))
        .cloned()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// Our temporary entries left anywhere under `dir`.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(".dualdraw-")
            {
                out.push(p);
            } else if p.is_dir() {
                todo.push(p);
            }
        }
    }
    out
}

/// Makes `path` look untouched for a minute, as if the next command ran later.
fn age(path: &Path) {
    let f = std::fs::File::open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
        .unwrap();
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_tree(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// `dualdraw render LOG --plan plan.toml` in `dir`.
fn render(dir: &Path, log: &str) -> Output {
    bin()
        .arg("render")
        .arg(dir.join(log))
        .arg("--plan")
        .arg(dir.join("plan.toml"))
        .output()
        .unwrap()
}

fn ok(o: &Output, what: &str) {
    assert_eq!(code(o), 0, "{what}: {}", show(o));
}

/// One command under test, in a folder prepared like `template`.
#[derive(Clone, Copy)]
struct Scenario<'a> {
    name: &'a str,
    template: &'a Path,
    /// The command, run in the trial folder.
    command: &'a (dyn Fn(&Path) -> Command + Sync),
    /// The log it extends (relative), for `render` after a crash past the log's rename.
    log: Option<&'a str>,
}

/// Runs the scenario with each fault at each step; returns the number of steps.
fn every_step(s: &Scenario, fault: &'static str) -> u64 {
    let reference = common::tmp();
    copy_tree(s.template, reference.path());
    let before = files(reference.path());
    ok(&(s.command)(reference.path()).output().unwrap(), s.name);
    let after = files(reference.path());
    // Trials of consecutive steps run four at a time (each is a few processes, mostly waiting
    // on fsync).
    for batch in (1u64..).step_by(4) {
        let (before, after) = (&before, &after);
        let past: Vec<bool> = std::thread::scope(|scope| {
            let trials: Vec<_> = (batch..batch + 4)
                .map(|step| scope.spawn(move || trial(s, fault, step, before, after)))
                .collect();
            trials.into_iter().map(|t| t.join().unwrap()).collect()
        });
        if let Some(i) = past.iter().position(|&p| p) {
            return batch + i as u64 - 1;
        }
    }
    unreachable!()
}

/// One trial: the fault at `step`, then the checks. True when the command no longer reaches
/// `step` (it completed as the fault-free run did).
fn trial(
    s: &Scenario,
    plan: &str,
    step: u64,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
) -> bool {
    // `alternate`: a crash at odd steps, a full disk at even ones.
    let fault = match plan {
        "alternate" if step % 2 == 1 => "abort",
        "alternate" => "full",
        other => other,
    };
    let trial = common::tmp();
    let dir = trial.path();
    copy_tree(s.template, dir);
    let o = (s.command)(dir)
        .env("DUALDRAW_FAULT", format!("{step}:{fault}"))
        .output()
        .unwrap();
    if o.status.success() {
        assert_eq!(
            differ(&files(dir), after),
            Vec::<PathBuf>::new(),
            "{}: a run past every step",
            s.name
        );
        return true;
    }
    let at = format!("{} with {fault} at step {step}", s.name);
    match fault {
        // Killed by SIGABRT: no exit code.
        "abort" => assert_eq!(o.status.code(), None, "{at}: {}", show(&o)),
        _ => {
            assert_eq!(code(&o), 2, "{at}: {}", show(&o));
            assert!(show(&o).contains("no space left"), "{at}: {}", show(&o));
        }
    }
    // 1. Each file old or new, nothing else.
    for (path, bytes) in files(dir) {
        let known = before.get(&path) == Some(&bytes) || after.get(&path) == Some(&bytes);
        assert!(known, "{at}: {} is neither old nor new", path.display());
    }
    // 2. The way forward: nothing to do if the step was after the last visible change;
    // else the command again, then `render` if the log already holds the entry.
    let done = files(dir) == *after;
    let again = if done {
        None
    } else {
        Some((s.command)(dir).output().unwrap())
    };
    if let Some(again) = again.filter(|o| !o.status.success()) {
        let log = s
            .log
            .unwrap_or_else(|| panic!("{at}: the re-run failed: {}", show(&again)));
        ok(
            &render(dir, log),
            &format!("{at}: render after {}", show(&again)),
        );
    }
    // 3. As if nothing had happened.
    assert_eq!(
        differ(&files(dir), after),
        Vec::<PathBuf>::new(),
        "{at}: the recovered folder"
    );
    // 4. The dead process's temporary entries go with the next writer, once stale.
    let left = leftovers(dir);
    if !left.is_empty() {
        left.iter().for_each(|p| age(p));
        // Writers of the logs (under their locks) and of a new folder beside them.
        for log in ["draw/draw.log", "commit/draw.log"] {
            let _ = render(dir, log);
        }
        let _ = bin()
            .arg("draw")
            .arg(dir.join("plan.toml"))
            .arg("--out")
            .arg(dir.join("probe"))
            .output()
            .unwrap();
        assert_eq!(leftovers(dir), Vec::<PathBuf>::new(), "{at}: leftovers");
    }
    false
}

/// The demo inputs in a folder, with a plain draw in `draw/` and a commitment in `commit/`.
fn template() -> tempfile::TempDir {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    let p = dir.path();
    ok(
        &bin()
            .arg("draw")
            .arg(p.join("plan.toml"))
            .arg("--out")
            .arg(p.join("draw"))
            .output()
            .unwrap(),
        "template draw",
    );
    ok(
        &bin()
            .arg("commit")
            .arg(p.join("plan.toml"))
            .arg("--out")
            .arg(p.join("commit"))
            .args([
                "--entropy-kind",
                "dice",
                "--entropy-source",
                "dice at the ceremony",
            ])
            .output()
            .unwrap(),
        "template commit",
    );
    dir
}

/// The first officer of the demo draw's first team: (task, enterprise, officer).
fn first_team_member() -> (String, String, String) {
    let t = &common::demo_draw().outcome.tasks[0];
    let team = &t.teams[0];
    (
        t.task.clone(),
        team.enterprise.clone(),
        team.officers[0].clone(),
    )
}

/// Every step gets one fault: a crash at odd steps, a full disk at even ones.
#[test]
fn a_crash_or_a_full_disk_at_any_step_loses_nothing() {
    every_fault(false);
}

/// Every step gets both faults (about twice as long: `cargo test --test faults -- --ignored`).
#[test]
#[ignore]
fn a_crash_and_a_full_disk_at_every_step_lose_nothing() {
    every_fault(true);
}

fn every_fault(both: bool) {
    let template = template();
    let (task, enterprise, officer) = first_team_member();
    let draw = |d: &Path| {
        let mut c = bin();
        c.arg("draw")
            .arg(d.join("plan.toml"))
            .arg("--out")
            .arg(d.join("new"));
        c
    };
    let committed = |d: &Path| {
        let mut c = bin();
        c.arg("draw")
            .arg(d.join("plan.toml"))
            .arg("--commit")
            .arg(d.join("commit/draw.log"))
            .arg("--reveal")
            .arg(d.join("commit/operator.secret"))
            .args(["--entropy", "3 1 4 1 5"]);
        c
    };
    let replace = |d: &Path| {
        let mut c = bin();
        c.arg("replace")
            .arg(d.join("draw/draw.log"))
            .arg("--plan")
            .arg(d.join("plan.toml"))
            .args(["--task", &task, "--enterprise", &enterprise])
            .args(["--officer", &officer, "--reason", "illness"]);
        c
    };
    let publish = |d: &Path| {
        let mut c = bin();
        c.arg("publish")
            .arg(d.join("draw/draw.log"))
            .arg("--plan")
            .arg(d.join("plan.toml"))
            .arg("--out")
            .arg(d.join("public"));
        c
    };
    let scenarios = [
        Scenario {
            name: "draw",
            template: template.path(),
            command: &draw,
            log: None,
        },
        Scenario {
            name: "committed draw",
            template: template.path(),
            command: &committed,
            log: Some("commit/draw.log"),
        },
        Scenario {
            name: "replace",
            template: template.path(),
            command: &replace,
            log: Some("draw/draw.log"),
        },
        Scenario {
            name: "publish",
            template: template.path(),
            command: &publish,
            log: None,
        },
    ];
    let mut injected = 0;
    for s in &scenarios {
        if both {
            let aborts = every_step(s, "abort");
            let fulls = every_step(s, "full");
            assert_eq!(aborts, fulls, "{}: the same steps either way", s.name);
            eprintln!(
                "{}: {aborts} write steps, each killed and each full",
                s.name
            );
            injected += aborts + fulls;
        } else {
            let steps = every_step(s, "alternate");
            assert!(steps >= 4, "{}: only {steps} steps", s.name);
            eprintln!("{}: {steps} write steps, each killed or full", s.name);
            injected += steps;
        }
    }
    eprintln!("{injected} faults injected");
}
