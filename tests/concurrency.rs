//! Two writers on one log (issue 10, item 1): every command that extends a log takes the log's
//! writer lock before it reads and appends only to the log it read, so a racing writer is
//! refused (or finds the log moved on) and no exit-0 entry is ever lost.
//!
//! 1. 8 threads draw the same commitment at once: exactly one succeeds; the folder verifies and
//!    its tables are the winner's.
//! 2. 8 threads replace 8 different officers of one draw at once: every replacement that
//!    returned Ok is in the log, the log verifies, and nothing was appended twice.
//!
//! 3. A crash after the log was extended but before its head and tables were written: the
//!    folder fails verification against the stale head, a second draw is refused, and
//!    `render` writes head and tables again from the log, after which everything verifies.
//!
//! 20 rounds each by default (`DUALDRAW_RACE_ROUNDS=200` for the long run); the property is
//! checked every round.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Barrier;

use dualdraw::commands::{self, CommitOptions, RevealOptions};
use dualdraw::commit::EntropySource;
use dualdraw::team::ReplacementRequest;
use dualdraw::{ErrorKind, Event};

const THREADS: usize = 8;

/// Rounds per test: 20 by default; `DUALDRAW_RACE_ROUNDS=200` for the long run.
fn rounds() -> usize {
    std::env::var("DUALDRAW_RACE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

fn demo_dir() -> tempfile::TempDir {
    let dir = common::tmp();
    common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
    dir
}

/// Runs `f(i)` on `THREADS` threads released together.
fn race<T: Send>(f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let gate = Barrier::new(THREADS);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|i| {
                let (f, gate) = (&f, &gate);
                s.spawn(move || {
                    gate.wait();
                    f(i)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn verify(log: &Path, plan: &Path) -> dualdraw::Report {
    commands::verify(log, plan, None, &Default::default(), &[], &mut |_| {})
        .unwrap_or_else(|e| panic!("the log must verify: {e}"))
        .0
}

/// Commits the demo plan in `dir`: the plan's path and the commit folder.
fn commit(dir: &Path) -> (PathBuf, PathBuf) {
    let (plan, out) = (dir.join("plan.toml"), dir.join("commit"));
    commands::commit(
        &plan,
        &CommitOptions {
            out: out.clone(),
            entropy: EntropySource::new("dice", "dice thrown at the public ceremony").unwrap(),
        },
    )
    .unwrap();
    (plan, out)
}

#[test]
fn concurrent_committed_draws_give_one_draw() {
    for round in 0..rounds() {
        let dir = demo_dir();
        let (plan, out) = commit(dir.path());
        let reveal = RevealOptions {
            commit_log: out.join("draw.log"),
            secret: out.join("operator.secret"),
            entropy: format!("{round} 6 2 4"),
            excel: false,
        };
        let results = race(|_| commands::draw_committed(&plan, &reveal));
        let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(winners.len(), 1, "round {round}: exactly one draw");
        for r in &results {
            if let Err(e) = r {
                // Refused before computing (lock held), or after (already drawn): never a
                // second draw, never a verification failure.
                let ok = matches!(e.kind(), ErrorKind::LogBusy { .. } | ErrorKind::Commit(_));
                assert!(ok, "round {round}: unexpected refusal: {e}");
            }
        }
        let log = std::fs::read(out.join("draw.log")).unwrap();
        assert_eq!(log, winners[0].log.to_bytes(), "the log is the winner's");
        let report = verify(&out.join("draw.log"), &plan);
        assert_eq!(report.head, winners[0].log.head());
        // The head beside the log and the tables are the winner's too.
        let head = std::fs::read_to_string(out.join("draw.head")).unwrap();
        assert_eq!(head, report.checkpoint.to_text());
        let targets = std::fs::read_to_string(out.join("targets.csv")).unwrap();
        for d in winners[0].outcome.tasks.iter().flat_map(|t| &t.drawn) {
            assert!(targets.contains(&d.id), "{} missing from targets.csv", d.id);
        }
    }
}

#[test]
fn concurrent_replacements_lose_nothing() {
    for round in 0..rounds() {
        let dir = demo_dir();
        let plan = dir.path().join("plan.toml");
        let out = dir.path().join("draw");
        let drawn = commands::draw(
            &plan,
            &commands::DrawOptions {
                out: Some(out.clone()),
                seed: Some("2020-10-15 rehearsal".into()),
                ..Default::default()
            },
            &mut |_| {},
        )
        .unwrap();
        // 8 different requests: the first officer of 8 different teams.
        let requests: Vec<ReplacementRequest> = drawn
            .outcome
            .tasks
            .iter()
            .flat_map(|t| t.teams.iter().map(move |team| (t.task.clone(), team)))
            .take(THREADS)
            .map(|(task, team)| ReplacementRequest {
                task,
                enterprise: team.enterprise.clone(),
                out: team.officers[0].clone(),
                reason: dualdraw::reason::Reason::parse(&format!("leave: round {round}")).unwrap(),
            })
            .collect();
        assert_eq!(requests.len(), THREADS);
        let log_path: PathBuf = out.join("draw.log");
        let results = race(|i| commands::replace(&log_path, &plan, requests[i].clone()));
        let log = std::fs::read(&log_path).unwrap();
        let logged: Vec<(String, String)> = dualdraw::log::read(&log)
            .unwrap()
            .iter()
            .filter_map(|e| match e.event() {
                Ok(Event::Replacement(r)) => Some((r.enterprise, r.out)),
                _ => None,
            })
            .collect();
        let mut ok = 0;
        for (i, r) in results.iter().enumerate() {
            match r {
                Ok((rep, _)) => {
                    ok += 1;
                    let entry = (rep.enterprise.clone(), rep.out.clone());
                    assert!(
                        logged.contains(&entry),
                        "round {round}: exit-0 entry {i} lost"
                    );
                }
                Err(e) => assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::LogBusy { .. } | ErrorKind::LogMoved { .. }
                    ),
                    "round {round}: unexpected refusal: {e}"
                ),
            }
        }
        assert!(ok >= 1, "round {round}: at least one writer succeeds");
        assert_eq!(logged.len(), ok, "round {round}: one line per success");
        let report = verify(&log_path, &plan);
        assert_eq!(report.replacements, ok as u64);
    }
}

#[test]
fn a_crash_after_the_log_is_recovered_by_render() {
    let dir = demo_dir();
    let (plan, out) = commit(dir.path());
    let commit_head = std::fs::read(out.join("draw.head")).unwrap();
    let reveal = RevealOptions {
        commit_log: out.join("draw.log"),
        secret: out.join("operator.secret"),
        entropy: "1 2 3".into(),
        excel: false,
    };
    commands::draw_committed(&plan, &reveal).unwrap();
    let tables: Vec<Vec<u8>> = ["targets.csv", "teams.csv"]
        .iter()
        .map(|f| std::fs::read(out.join(f)).unwrap())
        .collect();
    // The crash: the log was renamed into place, nothing after it happened.
    std::fs::write(out.join("draw.head"), &commit_head).unwrap();
    std::fs::remove_file(out.join("targets.csv")).unwrap();
    std::fs::remove_file(out.join("teams.csv")).unwrap();
    let stale = commands::verify(
        &out.join("draw.log"),
        &plan,
        None,
        &Default::default(),
        &[],
        &mut |_| {},
    );
    assert!(
        stale.unwrap_err().is_verification(),
        "a stale head must not verify"
    );
    let again = commands::draw_committed(&plan, &reveal).unwrap_err();
    assert!(again.to_string().contains("render them again"), "{again}");
    // The way forward: render from the verified log.
    let said = commands::render(&out.join("draw.log"), &plan, false).unwrap();
    assert!(said.contains("rendered"), "{said}");
    verify(&out.join("draw.log"), &plan);
    for (f, want) in ["targets.csv", "teams.csv"].iter().zip(&tables) {
        assert_eq!(
            &std::fs::read(out.join(f)).unwrap(),
            want,
            "{f} rendered as drawn"
        );
    }
}
