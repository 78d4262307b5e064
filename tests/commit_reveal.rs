//! Commit, then draw: refused when anything changed since the commitment, refused twice,
//! verified end to end; forged reveals and replacements fail verification even when the chain
//! is recomputed; publication keeps officers' personal data out unless the plan marks it public.

mod common;

use std::path::PathBuf;

use common::tamper::forge;
use dualdraw::commands::{self, CommitOptions, RevealOptions};
use dualdraw::commit::EntropySource;
use dualdraw::team::ReplacementRequest;
use dualdraw::{ErrorKind, VerifyError, log};
use serde_json::Value;

const ENTROPY: &str = "3 1 4 1 5 9 2 6 5 3";

/// A copy of the demo inputs in a temp dir, so that tests can edit them after committing.
struct Demo {
    dir: tempfile::TempDir,
}

impl Demo {
    fn new() -> Self {
        let dir = common::tmp();
        common::copy_demo(dir.path(), &["plan.toml", "targets.csv", "officers.csv"]);
        Demo { dir }
    }
    fn plan(&self) -> PathBuf {
        self.dir.path().join("plan.toml")
    }
    fn commit_dir(&self) -> PathBuf {
        self.dir.path().join("commit")
    }
    fn log(&self) -> PathBuf {
        self.commit_dir().join("draw.log")
    }
    fn commit(&self) -> commands::CommitSummary {
        commands::commit(
            &self.plan(),
            &CommitOptions {
                out: self.commit_dir(),
                entropy: EntropySource::new(
                    "dice",
                    "dice thrown at the public ceremony on 2020-10-15",
                )
                .unwrap(),
            },
        )
        .unwrap()
    }
    fn reveal(&self, entropy: &str) -> RevealOptions {
        RevealOptions {
            commit_log: self.log(),
            secret: self.commit_dir().join("operator.secret"),
            entropy: entropy.into(),
            excel: false,
        }
    }
    fn draw(&self) -> dualdraw::Result<commands::DrawSummary> {
        commands::draw_committed(&self.plan(), &self.reveal(ENTROPY))
    }
    fn verify(&self, bytes: &[u8]) -> dualdraw::Result<dualdraw::verify::Report> {
        common::verify(&common::load(&self.plan()), bytes, None)
    }
}

#[test]
fn honest_commit_draw_replace_publish() {
    let d = Demo::new();
    let c = d.commit();
    let commit_bytes = std::fs::read(d.log()).unwrap();
    let secret = std::fs::read_to_string(d.commit_dir().join("operator.secret")).unwrap();
    // The secret is not in the commit log; only its commitment is.
    assert!(!String::from_utf8_lossy(&commit_bytes).contains(secret.trim()));
    assert!(String::from_utf8_lossy(&commit_bytes).contains(&hex::encode(c.commitment)));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(d.commit_dir().join("operator.secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let r = d.verify(&commit_bytes).unwrap();
    assert_eq!((r.mode.as_str(), r.drawn), ("commit-reveal", false));

    let s = d.draw().unwrap();
    let drawn = std::fs::read(d.log()).unwrap();
    assert!(
        drawn.starts_with(&commit_bytes),
        "the draw continues the commit chain"
    );
    // The secret is random, so the draw is too: an enterprise two tasks draw adds a `merge`.
    let merges = s
        .log
        .lines
        .iter()
        .filter(|l| l.contains(r#""event":"merge""#))
        .count();
    assert_eq!(s.log.lines.len(), 32 + merges);
    let r = d.verify(&drawn).unwrap();
    assert_eq!((r.drawn, r.targets, r.teams), (true, 10, 10));
    // The seed comes from secret, entropy and the commit line, as SPEC §9.2 says.
    let secret = dualdraw::commit::parse_secret(&secret).unwrap();
    let want = dualdraw::commit::derive_seed(
        &secret,
        ENTROPY,
        &log::line_hash(std::str::from_utf8(&commit_bytes).unwrap().trim_end()),
    );
    assert_eq!(r.seed, want);
    // Another entropy value would have given another draw.
    let other = dualdraw::commit::derive_seed(&secret, "3 1 4 1 5 9 2 6 5 4", &[0; 32]);
    assert_ne!(other, want);

    // Replace the first team's leader; then its new leader: each takes the next in order.
    let team = &s.outcome.tasks[0].teams[0];
    let (task, ent) = (s.outcome.tasks[0].task.clone(), team.enterprise.clone());
    let req = |out: &str| ReplacementRequest {
        task: task.clone(),
        enterprise: ent.clone(),
        out: out.into(),
        reason: dualdraw::reason::Reason::parse("病假：sick leave").unwrap(),
    };
    let (r1, _) = commands::replace(&d.log(), &d.plan(), req(&team.officers[0])).unwrap();
    let (r2, head) = commands::replace(&d.log(), &d.plan(), req(&r1.incoming)).unwrap();
    // Usually positions 0 and 1; with this random seed an officer early in the order may be
    // unlawful for this visit (over the cap, already on it), and is skipped.
    assert!(r1.position < r2.position, "{} {}", r1.position, r2.position);
    assert_ne!(r1.incoming, r2.incoming);
    assert!(!team.officers.contains(&r1.incoming) && !team.officers.contains(&r2.incoming));
    let order = dualdraw::team::replacement_order(&s.outcome.tasks[0].key, team);
    assert_eq!(order[r1.position as usize], r1.incoming);
    assert_eq!(order[r2.position as usize], r2.incoming);
    let bytes = std::fs::read(d.log()).unwrap();
    let r = d.verify(&bytes).unwrap();
    assert_eq!((r.replacements, r.head), (2, head));
    // An officer not on the team cannot be replaced.
    let e = commands::replace(&d.log(), &d.plan(), req("NOBODY")).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Replacement(_)), "{e}");

    // A forged replacement (another officer put in) fails, even with the chain recomputed.
    let n = bytes.split(|&b| b == b'\n').count() - 2;
    let forged = forge(&bytes, n, |m| {
        m.insert("in".into(), Value::String(order[5].clone()));
    });
    let e = d.verify(&forged).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Verify(VerifyError::Mismatch { .. })),
        "{e}"
    );

    // Publish: complete, verified, no personal data unless the plan marks it public.
    let out = d.dir.path().join("pub");
    let p = commands::publish(&d.log(), &d.plan(), &out).unwrap();
    assert!(p.files.contains(&"results/teams.json".to_string()));
    let officers = std::fs::read_to_string(d.dir.path().join("officers.csv")).unwrap();
    let names: Vec<String> = officers
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap().to_string())
        .collect();
    for f in &p.files {
        let text = String::from_utf8_lossy(&std::fs::read(out.join(f)).unwrap()).to_string();
        for name in &names {
            assert!(
                !text.contains(name.as_str()),
                "{f} publishes the officer name {name}"
            );
        }
    }
    let teams: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results/teams.json")).unwrap())
            .unwrap();
    let entry = teams
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"] == task.as_str() && t["enterprise"] == ent.as_str())
        .unwrap();
    let ids: Vec<&str> = entry["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    // The published team is the current one: the second replacement leads, the first and the
    // original leader are gone; members carry certificate numbers.
    assert_eq!(ids[0], r2.incoming);
    assert!(!ids.contains(&r1.incoming.as_str()) && !ids.contains(&team.officers[0].as_str()));
    assert!(entry["members"][0]["cert_no"].is_string());
}

#[test]
fn names_are_published_only_when_the_plan_says_so() {
    let d = Demo::new();
    // A [publish] table in front of the first [[task]].
    let text = std::fs::read_to_string(d.plan()).unwrap().replacen(
        "[[task]]",
        "[publish]\nofficer_fields = [\"name\"]\n\n[[task]]",
        1,
    );
    std::fs::write(d.plan(), text).unwrap();
    let out = d.dir.path().join("rehearsal");
    let s = commands::draw(
        &d.plan(),
        &commands::DrawOptions {
            out: Some(out.clone()),
            ..Default::default()
        },
        &mut |_| {},
    )
    .unwrap();
    let p = commands::publish(&out.join("draw.log"), &d.plan(), &d.dir.path().join("pub")).unwrap();
    let teams = std::fs::read_to_string(p.out.join("results/teams.json")).unwrap();
    let inputs = common::load(&d.plan());
    let leader = &s.outcome.tasks[0].teams[0].officers[0];
    let o = inputs
        .officers
        .records()
        .iter()
        .find(|o| &o.id == leader)
        .unwrap();
    assert!(teams.contains(&o.name), "the plan marks names public");
    assert!(
        !teams.contains(&o.department),
        "departments are not marked public"
    );
    let seed = std::fs::read_to_string(p.out.join("seed.json")).unwrap();
    assert!(seed.contains("operator-seed"));
}

#[test]
fn changes_after_commit_are_refused_and_named() {
    // A changed enterprise record, an added one and a removed one are each named.
    let d = Demo::new();
    d.commit();
    let before = std::fs::read(d.log()).unwrap();
    let targets = d.dir.path().join("targets.csv");
    let text = std::fs::read_to_string(&targets).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let changed_id = lines[5].split(',').next().unwrap().to_string();
    let removed_id = lines[9].split(',').next().unwrap().to_string();
    let mut edited: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    edited[5] = edited[5].replacen("有限公司", "有限责任公司", 1);
    if edited[5] == lines[5] {
        edited[5] = edited[5].replacen(",存续,", ",经营异常,", 1);
    }
    edited.remove(9);
    edited.push("91120116MA05JKLM8J,新设公司,120116,无线电,B,存续,".into());
    std::fs::write(&targets, edited.join("\n") + "\n").unwrap();
    let e = d.draw().unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e.kind(), ErrorKind::Commit(_)), "{msg}");
    for want in [
        &changed_id,
        &removed_id,
        "91120116MA05JKLM8J",
        "1 changed",
        "1 added",
        "1 removed",
        "frozen",
    ] {
        assert!(msg.contains(want), "{want} not in: {msg}");
    }
    assert_eq!(
        std::fs::read(d.log()).unwrap(),
        before,
        "a refused draw writes nothing"
    );

    // A changed officer.
    let d = Demo::new();
    d.commit();
    let officers = d.dir.path().join("officers.csv");
    let text = std::fs::read_to_string(&officers)
        .unwrap()
        .replacen("在岗", "休假", 1);
    std::fs::write(&officers, text).unwrap();
    let msg = d.draw().unwrap_err().to_string();
    assert!(
        msg.contains("officer directory") && msg.contains("1 changed"),
        "{msg}"
    );

    // A changed plan.
    let d = Demo::new();
    d.commit();
    let text = std::fs::read_to_string(d.plan())
        .unwrap()
        .replace("count = 4", "count = 5");
    std::fs::write(d.plan(), text).unwrap();
    let msg = d.draw().unwrap_err().to_string();
    assert!(
        msg.contains("plan") && msg.contains("changed since it was committed"),
        "{msg}"
    );
}

#[test]
fn wrong_secret_and_second_draw_are_refused() {
    let d = Demo::new();
    d.commit();
    let before = std::fs::read(d.log()).unwrap();
    let wrong = d.dir.path().join("wrong.secret");
    std::fs::write(&wrong, hex::encode([7u8; 32])).unwrap();
    let mut r = d.reveal(ENTROPY);
    r.secret = wrong;
    let e = commands::draw_committed(&d.plan(), &r).unwrap_err();
    assert!(
        e.to_string().contains("does not open the commitment"),
        "{e}"
    );
    assert_eq!(std::fs::read(d.log()).unwrap(), before);

    d.draw().unwrap();
    let after = std::fs::read(d.log()).unwrap();
    let e = commands::draw_committed(&d.plan(), &d.reveal("another value")).unwrap_err();
    assert!(e.to_string().contains("already drawn"), "{e}");
    assert_eq!(
        std::fs::read(d.log()).unwrap(),
        after,
        "a refused redraw changes nothing"
    );
}

#[test]
fn altered_reveal_fails_verification_even_rechained() {
    let d = Demo::new();
    d.commit();
    d.draw().unwrap();
    let bytes = std::fs::read(d.log()).unwrap();
    assert!(d.verify(&bytes).is_ok());
    // Another entropy value: the seed no longer derives from the reveal.
    let forged = forge(&bytes, 1, |m| {
        m.insert("entropy".into(), Value::String("6 6 6 6 6 6".into()));
    });
    let e = d.verify(&forged).unwrap_err();
    assert!(e.is_verification(), "{e}");
    // Another secret: it no longer opens the commitment.
    let forged = forge(&bytes, 1, |m| {
        m.insert("secret".into(), Value::String(hex::encode([9u8; 32])));
    });
    let e = d.verify(&forged).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Verify(VerifyError::Commitment { .. })),
        "{e}"
    );
    // Another seed with the true secret and entropy: the recorded seed is not the derived one.
    let forged = forge(&bytes, 1, |m| {
        m.insert("seed".into(), Value::String("0".repeat(64)));
    });
    assert!(d.verify(&forged).unwrap_err().is_verification());
    // A commitment swapped for one the forger can open.
    let forged = forge(&bytes, 0, |m| {
        m.insert(
            "commitment".into(),
            Value::String(hex::encode(dualdraw::commit::commitment(&[9u8; 32]))),
        );
    });
    assert!(d.verify(&forged).unwrap_err().is_verification());
}

#[test]
fn cli_commit_draw_verify_exit_codes() {
    let d = Demo::new();
    let run = |args: &[&str]| common::cli::run(args);
    // `commit PLAN --out OUT --entropy-kind KIND --entropy-source SOURCE`.
    let commit = |plan: &str, out: &str, kind: &str, source: &str| {
        run(&[
            "commit",
            plan,
            "--out",
            out,
            "--entropy-kind",
            kind,
            "--entropy-source",
            source,
        ])
    };
    let plan = d.plan();
    let plan = plan.to_str().unwrap();
    let cdir = d.commit_dir();
    let cdir = cdir.to_str().unwrap();
    let o = commit(plan, cdir, "beacon", "randomness beacon round 123456");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("commitment"));
    let o = commit(plan, cdir, "beacon", "x");
    assert_eq!(
        o.status.code(),
        Some(2),
        "a second commit into the same folder is refused"
    );
    let o = commit(plan, "/nonexistent-never/x", "coin", "x");
    assert_eq!(o.status.code(), Some(2));
    let log = d.log();
    let log = log.to_str().unwrap();
    let secret = format!("{cdir}/operator.secret");
    // `draw PLAN --commit LOG --reveal SECRET --entropy ENTROPY [extra...]`.
    let reveal = |entropy: &str, extra: &[&str]| {
        let mut args = vec![
            "draw",
            plan,
            "--commit",
            log,
            "--reveal",
            &secret,
            "--entropy",
            entropy,
        ];
        args.extend(extra);
        run(&args)
    };
    let o = reveal("0xdeadbeef", &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("committed secret + public entropy"));
    let o = run(&["verify", log, "--plan", plan]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("opens the commitment"));
    let o = reveal("0xdeadbeef", &[]);
    assert_eq!(o.status.code(), Some(2));
    // --seed cannot be combined with --commit.
    let o = reveal("1", &["--seed", "x"]);
    assert_eq!(o.status.code(), Some(2));
    // A forged, re-chained reveal: exit 1.
    let bytes = std::fs::read(log).unwrap();
    let forged = forge(&bytes, 1, |m| {
        m.insert("entropy".into(), Value::String("0xdeadbeee".into()));
    });
    std::fs::write(log, forged).unwrap();
    std::fs::remove_file(format!("{cdir}/draw.head")).unwrap();
    let o = run(&["verify", log, "--plan", plan]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
