//! Verifying a draw log: the chain, the head, the input digests, and a full re-run of the draw
//! compared line by line (SPEC.md §7).

use std::collections::BTreeMap;

use serde_json::Value;

use crate::commit;
use crate::directory::{Digest, Officers, Targets, Warning};
use crate::draw;
use crate::error::{Result, VerifyError};
use crate::log::{self, Header, SPEC_VERSION};
use crate::merkle::Hash;
use crate::plan::Plan;

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Lines in the log.
    pub lines: u64,
    /// The log's head.
    pub head: Hash,
    /// `operator-seed` (rehearsal) or `commit-reveal`.
    pub mode: String,
    /// False for a committed draw whose reveal has not happened yet.
    pub drawn: bool,
    /// The seed the log records (or derives from the reveal).
    pub seed: String,
    /// Tasks re-run.
    pub tasks: u64,
    /// Drawn enterprises confirmed.
    pub targets: u64,
    /// Teams confirmed.
    pub teams: u64,
    /// Warnings confirmed.
    pub warnings: u64,
    /// Replacements confirmed as the next lawful officer.
    pub replacements: u64,
}

/// Splits a log into lines and checks the hash chain. Returns each line with its parsed event.
///
/// Fails on the first line that is not a JSON object with the right `seq`, or whose `prev` is
/// not the SHA-256 of the line before it (see [`chain`]). Kept for callers of this path; the
/// crate itself reads logs with [`log::read`].
pub fn check_chain(bytes: &[u8]) -> Result<Vec<(String, Value)>, VerifyError> {
    chain(bytes)?
        .into_iter()
        .enumerate()
        .map(|(i, l)| {
            let v = serde_json::from_str(l).map_err(|e| VerifyError::Malformed {
                line: i as u64 + 1,
                reason: format!("not JSON ({e})"),
            })?;
            Ok((l.to_string(), v))
        })
        .collect()
}

/// The chain check, now in [`log`]; this path stays for its callers.
pub use crate::log::check_chain as chain;

fn header_str<'a>(h: &'a Value, path: &[&str]) -> Result<&'a str, VerifyError> {
    let mut v = h;
    for p in path {
        v = v.get(p).unwrap_or(&Value::Null);
    }
    v.as_str().ok_or_else(|| VerifyError::Malformed {
        line: 1,
        reason: format!("header has no string field `{}`", path.join(".")),
    })
}

fn header_u64(h: &Value, path: &[&str]) -> Result<u64, VerifyError> {
    let mut v = h;
    for p in path {
        v = v.get(p).unwrap_or(&Value::Null);
    }
    v.as_u64().ok_or_else(|| VerifyError::Malformed {
        line: 1,
        reason: format!("header has no integer field `{}`", path.join(".")),
    })
}

fn same(what: &str, logged: String, actual: String) -> Result<(), VerifyError> {
    if logged == actual {
        Ok(())
    } else {
        Err(VerifyError::DigestMismatch {
            what: what.into(),
            logged,
            actual,
        })
    }
}

/// An error in reading an input (exit code 2), as opposed to a draw that cannot be made.
fn is_input_error(e: &crate::Error) -> bool {
    use crate::ErrorKind as K;
    matches!(
        e.kind(),
        K::Io { .. }
            | K::PlanInput { .. }
            | K::Csv { .. }
            | K::MissingColumn { .. }
            | K::DuplicateColumn { .. }
            | K::InvalidField { .. }
            | K::DuplicateId { .. }
            | K::Unsorted { .. }
            | K::PlanSyntax { .. }
    )
}

/// Compares regenerated lines with the log's, which start at 0-based line `offset`; reports the
/// first that differs.
fn compare(expected: &[String], got: &[&str], offset: usize) -> Result<(), VerifyError> {
    for (i, (exp, got)) in expected.iter().zip(got).enumerate() {
        if exp != got {
            return Err(VerifyError::Mismatch {
                line: (offset + i) as u64 + 1,
                expected: without_prev(exp),
                found: without_prev(got),
            });
        }
    }
    Ok(())
}

fn without_prev(line: &str) -> String {
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(mut m)) => {
            m.remove("prev");
            log::canonical(&Value::Object(m))
        }
        _ => line.to_string(),
    }
}

/// Verifies a log against the plan and directories it claims to come from.
///
/// Checks, in order: the chain ([`check_chain`]); the head, if one is given (this is what
/// detects a log truncated after its last event); the header's spec version; the plan and
/// directory digests; and finally re-runs the draw with the recorded seed and requires every
/// line to be identical (the header's informational `crate_version` excepted). The plan's own
/// `seed` key plays no part: the seed is the log's (SPEC.md §7 step 6).
///
/// The warnings compared are those of SPEC.md §6.2 for the plan's inspection date
/// ([`Targets::warnings_on`]), whether or not `targets` was read with that date. A commitment
/// not yet drawn (one commit line) is checked against the directory digest alone; nothing is
/// drawn.
pub fn verify(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    targets: &Targets,
    officers: &Officers,
) -> Result<Report> {
    verify_with(bytes, published_head, plan, plan_digest, officers, |seed| {
        Ok(Drawn {
            selections: match seed {
                Some(seed) => draw::select(plan, targets, seed),
                None => Ok(Vec::new()),
            },
            digest: targets.digest(),
            warnings: targets.warnings_on(plan.inspection_date),
        })
    })
}

/// The target side of a re-run: what [`verify_with`]'s callback returns.
#[derive(Debug)]
pub struct Drawn {
    /// The selections of every task, or why the target draw failed (reported only after the
    /// directory digest is checked, so that a changed directory is named as such). Ignored
    /// (and best left empty) when the callback is given no seed.
    pub selections: Result<Vec<draw::Selection>>,
    /// The target directory digest.
    pub digest: Digest,
    /// The warnings of SPEC.md §6.2 for the plan's inspection date, in (id, code) order.
    pub warnings: Vec<Warning>,
}

/// [`verify`] with the target side supplied by a callback, so that a directory too large for
/// memory can be streamed ([`crate::stream`]). The callback receives `Some(seed)`, the logged
/// (or revealed) seed, to draw the targets with; or `None` for a commitment not yet drawn, when
/// only the digest is needed and nothing must be drawn.
pub fn verify_with(
    bytes: &[u8],
    published_head: Option<&Hash>,
    plan: &Plan,
    plan_digest: &Hash,
    officers: &Officers,
    targets: impl FnOnce(Option<&str>) -> Result<Drawn>,
) -> Result<Report> {
    let lines = chain(bytes)?;
    let head = log::line_hash(lines[lines.len() - 1]);
    // Only the header, the reveal and replacement requests are read as events; every other
    // line is checked by comparing its bytes with the re-run's.
    let parse = |i: usize| -> Result<Value, VerifyError> {
        serde_json::from_str(lines[i]).map_err(|e| VerifyError::Malformed {
            line: i as u64 + 1,
            reason: format!("not JSON ({e})"),
        })
    };
    if let Some(p) = published_head {
        if *p != head {
            return Err(VerifyError::HeadMismatch {
                expected: hex::encode(p),
                found: hex::encode(head),
                lines: lines.len() as u64,
            }
            .into());
        }
    }
    let header_value = parse(0)?;
    let h = &header_value;
    if header_str(h, &["event"])? != "header" {
        return Err(VerifyError::Malformed {
            line: 1,
            reason: "the first event is not a header".into(),
        }
        .into());
    }
    let spec = header_str(h, &["spec"])?;
    if spec != SPEC_VERSION {
        return Err(VerifyError::UnsupportedSpec {
            found: spec.into(),
            supported: SPEC_VERSION.into(),
        }
        .into());
    }
    same(
        "plan digest",
        header_str(h, &["plan", "digest"])?.into(),
        hex::encode(plan_digest),
    )?;
    let od = officers.digest();
    same(
        "officer directory head",
        header_str(h, &["directories", "officers", "head"])?.into(),
        hex::encode(od.head),
    )?;
    same(
        "officer directory count",
        header_u64(h, &["directories", "officers", "count"])?.to_string(),
        od.count.to_string(),
    )?;
    let crate_version = header_str(h, &["crate_version"])?;
    let mode = header_str(h, &["mode"])?;
    // The seed, and for a committed draw the reveal (secret, entropy).
    let (seed, reveal) = match mode {
        "operator-seed" => (header_str(h, &["seed"])?.to_string(), None),
        "commit-reveal" => match lines.get(1).map(|_| parse(1)).transpose()? {
            None => ("(committed, not yet drawn)".to_string(), None),
            Some(r) => {
                let bad = |reason: &str| VerifyError::Malformed {
                    line: 2,
                    reason: reason.into(),
                };
                if r.get("event").and_then(Value::as_str) != Some("reveal") {
                    return Err(
                        bad("the second event of a committed draw must be its reveal").into(),
                    );
                }
                let secret = r
                    .get("secret")
                    .and_then(Value::as_str)
                    .and_then(|x| commit::parse_secret(x).ok())
                    .ok_or_else(|| bad("the reveal has no 64-hex-character `secret`"))?;
                let entropy = r
                    .get("entropy")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("the reveal has no string `entropy`"))?;
                let committed = header_str(h, &["commitment"])?;
                let opened = hex::encode(commit::commitment(&secret));
                if opened != committed {
                    return Err(VerifyError::Commitment {
                        committed: committed.into(),
                        opened,
                    }
                    .into());
                }
                // The entropy as `dualdraw draw` accepts it (SPEC.md §9.2).
                commit::check_entropy(entropy).map_err(|e| bad(&e.to_string()))?;
                let seed = commit::derive_seed(&secret, entropy, &log::line_hash(lines[0]));
                (seed, Some((secret, entropy.to_string())))
            }
        },
        other => {
            return Err(VerifyError::Malformed {
                line: 1,
                reason: format!("unknown mode {other:?} (expected operator-seed or commit-reveal)"),
            }
            .into());
        }
    };
    let rerun = |e: crate::Error| VerifyError::Mismatch {
        line: 1,
        expected: format!("(re-running the draw fails: {e})"),
        found: "a log of a successful draw".into(),
    };
    let drew = mode == "operator-seed" || reveal.is_some();
    let drawn = targets(drew.then_some(seed.as_str())).map_err(|e| {
        if e.is_verification() || is_input_error(&e) {
            e
        } else {
            rerun(e).into()
        }
    })?;
    let td = drawn.digest;
    same(
        "target directory head",
        header_str(h, &["directories", "targets", "head"])?.into(),
        hex::encode(td.head),
    )?;
    same(
        "target directory count",
        header_u64(h, &["directories", "targets", "count"])?.to_string(),
        td.count.to_string(),
    )?;

    let mut expected = match mode {
        "operator-seed" => log::chain(vec![log::header_event(&Header {
            plan,
            plan_digest: *plan_digest,
            targets: td,
            officers: od,
            seed: &seed,
            crate_version,
        })]),
        _ => {
            // A kind outside the set, or an unusable description, cannot come from a commit.
            let entropy = commit::EntropySource::new(
                header_str(h, &["entropy_source", "kind"])?,
                header_str(h, &["entropy_source", "description"])?,
            )
            .map_err(|e| VerifyError::Malformed {
                line: 1,
                reason: format!("the commit header's `entropy_source`: {e}"),
            })?;
            let mut commitment = [0u8; 32];
            hex::decode_to_slice(header_str(h, &["commitment"])?, &mut commitment).map_err(
                |_| VerifyError::Malformed {
                    line: 1,
                    reason: "`commitment` is not 64 hexadecimal characters".into(),
                },
            )?;
            log::chain(vec![log::commit_event(&log::CommitHeader {
                plan,
                plan_digest: *plan_digest,
                targets: td,
                officers: od,
                entropy: &entropy,
                commitment,
                crate_version,
            })])
        }
    };
    let mut outcome = None;
    let mut replacements = 0;
    // What the log records after the footer: replacement requests, each with its line.
    let mut requests = Vec::new();
    let mut records = BTreeMap::new();
    if drew {
        if let Some((secret, entropy)) = &reveal {
            expected.append(vec![log::reveal_event(secret, entropy, &seed)]);
        }
        let selections = drawn.selections.map_err(rerun)?;
        records = selections
            .iter()
            .flat_map(|s| s.drawn.iter().map(|(_, e)| (e.id.clone(), e.clone())))
            .collect();
        // Rotation pairs and recusals as the log records them (SPEC.md §11.2, §11.4).
        // A committed draw cannot use history (its pairs would not be bound by the commit), so
        // only a rehearsal's log may bring rotation pairs.
        let apart = if mode == "operator-seed" {
            draw::apart_from_log(plan, lines.iter().copied())
        } else {
            crate::team::Apart::from_plan(plan)
        };
        let o = draw::staff_with(plan, selections, officers, &apart).map_err(rerun)?;
        expected.append(log::draw_events(plan, &drawn.warnings, &o));
        outcome = Some(o);
    }
    // The regenerated lines up to the footer first, so that an earlier difference is reported
    // before anything that follows it.
    let fixed = expected.lines.len();
    compare(&expected.lines, &lines, 0)?;
    if lines.len() < fixed {
        return Err(VerifyError::LineCount {
            expected: fixed as u64,
            found: lines.len() as u64,
        }
        .into());
    }
    if let Some(o) = &outcome {
        // Replacements are requests (who, why) whose outcome (who instead) is recomputed, in
        // log order; the first line that is not a request ends them.
        let mut stop = None;
        for (i, line) in lines.iter().enumerate().skip(fixed) {
            let v = parse(i)?;
            if v.get("event").and_then(Value::as_str) != Some("replacement") {
                stop = Some((i, *line));
                break;
            }
            let f = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            requests.push(draw::ReplacementRequest {
                task: f("task"),
                enterprise: f("enterprise"),
                out: f("out"),
                reason: f("reason"),
            });
        }
        let apply = |n: usize| {
            let mut current = o.clone();
            draw::apply_replacements(plan, &mut current, &records, officers, &requests[..n])
        };
        // The longest prefix of the requests that the draw allows, and why the next is refused.
        let (done, refused) = match apply(requests.len()) {
            Ok(done) => (done, None),
            Err(e) => {
                // Refusal is monotone in the prefix: find the first refused request.
                let (mut ok, mut bad, mut why) = (0, requests.len(), e);
                while bad - ok > 1 {
                    let mid = ok + (bad - ok) / 2;
                    match apply(mid) {
                        Ok(_) => ok = mid,
                        Err(e) => (bad, why) = (mid, e),
                    }
                }
                let done = apply(ok).map_err(rerun)?;
                (done, Some((bad - 1, why)))
            }
        };
        replacements = done.len() as u64;
        expected.append(done.iter().map(log::replacement_event));
        compare(&expected.lines[fixed..], &lines[fixed..], fixed)?;
        if let Some((k, e)) = refused {
            return Err(VerifyError::Mismatch {
                line: (fixed + k) as u64 + 1,
                expected: format!("(a replacement the draw allows; {e})"),
                found: without_prev(lines[fixed + k]),
            }
            .into());
        }
        if let Some((i, line)) = stop {
            return Err(VerifyError::Mismatch {
                line: i as u64 + 1,
                expected: "(a replacement request, the only event after the footer, SPEC.md §9.3)"
                    .into(),
                found: without_prev(line),
            }
            .into());
        }
    }
    if expected.lines.len() != lines.len() {
        return Err(VerifyError::LineCount {
            expected: expected.lines.len() as u64,
            found: lines.len() as u64,
        }
        .into());
    }
    let count = |f: fn(&draw::TaskOutcome) -> usize| {
        outcome
            .as_ref()
            .map_or(0, |o| o.tasks.iter().map(|t| f(t) as u64).sum())
    };
    Ok(Report {
        lines: lines.len() as u64,
        head,
        mode: mode.into(),
        drawn: drew,
        seed,
        tasks: plan.tasks.len() as u64,
        targets: count(|t| t.drawn.len()),
        teams: count(|t| t.teams.len()),
        warnings: if drew { drawn.warnings.len() as u64 } else { 0 },
        replacements,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draw::ReplacementRequest;
    use crate::{ErrorKind, commands, io};
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
    }

    /// The demo draw with `n` replacements in the first team, as events without `seq`/`prev`.
    fn demo(n: usize) -> (io::Inputs, Vec<Value>, usize) {
        let inputs = io::load_inputs(&fixture("fixtures/tianjin-2020/plan.toml")).unwrap();
        let (outcome, log) = commands::draw_inputs(&inputs, "verify-unit-test").unwrap();
        let footer = log.lines.len();
        let mut current = outcome.clone();
        let records: BTreeMap<String, crate::directory::Enterprise> = inputs
            .targets
            .records
            .iter()
            .filter(|e| {
                outcome
                    .tasks
                    .iter()
                    .any(|t| t.drawn.iter().any(|d| d.id == e.id))
            })
            .map(|e| (e.id.clone(), e.clone()))
            .collect();
        let team = &outcome.tasks[0].teams[0];
        let mut requests = Vec::new();
        let mut out = team.officers[0].clone();
        for i in 0..n {
            requests.push(ReplacementRequest {
                task: outcome.tasks[0].task.clone(),
                enterprise: team.enterprise.clone(),
                out: out.clone(),
                reason: format!("reason {i}"),
            });
            // Each replaces the officer the previous one brought in.
            let mut probe = outcome.clone();
            let done = draw::apply_replacements(
                &inputs.plan,
                &mut probe,
                &records,
                &inputs.officers,
                &requests,
            )
            .unwrap();
            out = done.last().unwrap().incoming.clone();
        }
        let done = draw::apply_replacements(
            &inputs.plan,
            &mut current,
            &records,
            &inputs.officers,
            &requests,
        )
        .unwrap();
        let mut events: Vec<Value> = log
            .lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        events.extend(done.iter().map(log::replacement_event));
        for e in &mut events {
            let m = e.as_object_mut().unwrap();
            m.remove("prev");
            m.remove("seq");
        }
        (inputs, events, footer)
    }

    fn run(inputs: &io::Inputs, events: Vec<Value>) -> Result<Report> {
        let bytes = log::chain(events).to_bytes();
        verify(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.targets,
            &inputs.officers,
        )
    }

    /// The 1-based line a verification failure names.
    fn failing_line(r: Result<Report>) -> u64 {
        match r.unwrap_err().into_kind() {
            ErrorKind::Verify(VerifyError::Mismatch { line, .. }) => line,
            other => panic!("expected a line mismatch, got {other:?}"),
        }
    }

    #[test]
    fn genuine_replacements_verify() {
        let (inputs, events, _) = demo(3);
        assert_eq!(run(&inputs, events).unwrap().replacements, 3);
    }

    /// A request that cannot be recomputed is reported at its own line, not at the first line
    /// after the footer.
    #[test]
    fn refused_replacement_names_its_own_line() {
        let (inputs, mut events, footer) = demo(3);
        // The third request names an officer who is not on the team.
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 3);
    }

    /// An earlier differing line is reported before a later refused request: a replacement's
    /// line whose `in` was changed ...
    #[test]
    fn earlier_replacement_difference_comes_first() {
        let (inputs, mut events, footer) = demo(3);
        events[footer + 1]["in"] = "SOMEONE-ELSE".into();
        events[footer + 2]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 2);
    }

    /// ... and a line of the draw itself (here a team, before the footer).
    #[test]
    fn earlier_draw_difference_comes_first() {
        let (inputs, mut events, footer) = demo(2);
        let team = events.iter().position(|e| e["event"] == "team").unwrap();
        events[team]["eligible_officers"] = 999.into();
        events[footer + 1]["out"] = "NOBODY".into();
        assert_eq!(failing_line(run(&inputs, events)), team as u64 + 1);
    }

    /// Something other than a replacement after the footer is reported at its line, after the
    /// requests before it were compared.
    #[test]
    fn non_request_after_footer_names_its_line() {
        let (inputs, mut events, footer) = demo(2);
        events.insert(footer + 1, serde_json::json!({"event": "note"}));
        assert_eq!(
            failing_line(run(&inputs, events.clone())),
            footer as u64 + 2
        );
        events[footer]["in"] = "SOMEONE-ELSE".into();
        assert_eq!(failing_line(run(&inputs, events)), footer as u64 + 1);
    }

    /// A commitment not yet drawn: the callback is asked for the digest only (no seed), and a
    /// plan whose draw would fail (a count above the pool) still verifies as a commitment.
    #[test]
    fn commitment_alone_draws_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let base = fixture("fixtures/tianjin-2020");
        std::fs::copy(base.join("officers.csv"), dir.path().join("officers.csv")).unwrap();
        // Sorted by id, so that it can be streamed too.
        std::fs::write(
            dir.path().join("targets.csv"),
            "id,name,region,domains,status\n\
             91120116MA05JKLM8C,甲,120116,无线电,active\n\
             91120116MA05JKLM8J,乙,120116,无线电,active\n",
        )
        .unwrap();
        let plan = std::fs::read_to_string(fixture("fixtures/tianjin-2020/plan.toml"))
            .unwrap()
            .replace("sample = { count = 4 }", "sample = { count = 5 }");
        std::fs::write(dir.path().join("plan.toml"), plan).unwrap();
        let plan_path = dir.path().join("plan.toml");
        let commit_dir = dir.path().join("commit");
        let entropy = crate::commit::EntropySource::new("dice", "dice thrown in public").unwrap();
        commands::commit(
            &plan_path,
            &commands::CommitOptions {
                out: commit_dir.clone(),
                entropy,
            },
        )
        .unwrap();
        let bytes = std::fs::read(commit_dir.join("draw.log")).unwrap();
        let inputs = io::load_inputs(&plan_path).unwrap();
        let mut asked = Vec::new();
        let report = verify_with(
            &bytes,
            None,
            &inputs.plan,
            &inputs.plan_digest,
            &inputs.officers,
            |seed| {
                asked.push(seed.map(str::to_string));
                Ok(Drawn {
                    selections: Ok(Vec::new()),
                    digest: inputs.targets.digest(),
                    warnings: Vec::new(),
                })
            },
        )
        .unwrap();
        assert_eq!(asked, [None]);
        assert!(!report.drawn);
        // In memory and streamed, through the command.
        for source in [
            commands::TargetSource::Plan,
            commands::TargetSource::PlanStreamed,
        ] {
            let (report, _) = commands::verify(
                &commit_dir.join("draw.log"),
                &plan_path,
                None,
                &source,
                &mut |_| {},
            )
            .unwrap_or_else(|e| panic!("{source:?}: {e}"));
            assert!(!report.drawn);
            assert_eq!(report.lines, 1);
        }
        // The draw itself is refused: 5 requested, 2 eligible.
        assert!(crate::draw::select(&inputs.plan, &inputs.targets, "s").is_err());
    }
}
