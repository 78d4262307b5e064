//! Statistical tests of the draw: over many fixed seeds, enterprises and officers are picked
//! uniformly, and the ineligible are never picked.
//!
//! Every test uses fixed seeds (`stat-{i}`, `class-{i}`), so its result is deterministic; the
//! thresholds say how unlikely a failure would be if the draw were truly uniform.
//!
//! **Thresholds.** Each goodness-of-fit test is a chi-square test against the uniform
//! distribution and requires `0.001 < p < 0.999`: `p <= 0.001` means the counts are too uneven to
//! be uniform, `p >= 0.999` means they are too even to be random (a round-robin would pass a
//! one-sided test). A uniform draw fails one such test with probability 0.2%.
//!
//! **Sampling without replacement.** A draw of `k` distinct items out of `N` is not a
//! multinomial: per draw, each item's inclusion is Bernoulli(`p = k/N`) and two items'
//! inclusions have covariance `-p(1-p)/(N-1)`. Summed over independent draws, Pearson's
//! statistic `X² = Σ (O-E)²/E` is then asymptotically `c · χ²(N-1)` with
//! `c = (1-p) · N/(N-1)`, so the tests compare `X²/c` with `χ²(N-1)`. (Without the correction
//! the test would be conservative, not wrong.) Counts of single picks (leaders, ordered pairs) are
//! multinomial: `c = 1`.

mod common;

use std::collections::BTreeMap;

use statrs::distribution::{ChiSquared, ContinuousCDF};

use common::dirs::{OFFICER_HEADER, TARGET_HEADER, header_line, officers_from, targets_from};
use common::plans::{plan as plan_toml, task};
use dualdraw::directory::uscc::check_character;
use dualdraw::directory::{Officers, Targets};
use dualdraw::internals;
use dualdraw::plan::Plan;
use dualdraw::target::Stratum;

/// Lower bound on the p-value: fewer than 1 in 1000 uniform draws would fit this badly.
const P_MIN: f64 = 0.001;
/// Upper bound on the p-value: fewer than 1 in 1000 uniform draws would fit this well.
const P_MAX: f64 = 0.999;

/// Pearson's statistic against a uniform expectation, corrected by `c` (see the module
/// comment), and its p-value under χ²(len - 1).
fn chi_square(counts: &[u64], expected: f64, c: f64) -> (f64, f64) {
    assert!(counts.len() >= 2);
    let x2: f64 = counts
        .iter()
        .map(|&o| (o as f64 - expected).powi(2) / expected)
        .sum::<f64>()
        / c;
    let dist = ChiSquared::new((counts.len() - 1) as f64).unwrap();
    (x2, 1.0 - dist.cdf(x2))
}

/// Asserts a uniform fit of `counts`, where each of `trials` independent trials picks `k`
/// distinct of the `counts.len()` items (`k = 1`: a multinomial).
fn assert_uniform(what: &str, counts: &[u64], trials: u64, k: u64) {
    let n = counts.len() as f64;
    let total: u64 = counts.iter().sum();
    assert_eq!(total, trials * k, "{what}: total count");
    let expected = (trials * k) as f64 / n;
    let p_incl = k as f64 / n;
    let c = (1.0 - p_incl) * n / (n - 1.0);
    let (x2, p) = chi_square(counts, expected, c);
    eprintln!(
        "{what}: {} cells, expected {expected:.1} each, min {} max {}, X²/c = {x2:.2} (c = {c:.3}), p = {p:.4}",
        counts.len(),
        counts.iter().min().unwrap(),
        counts.iter().max().unwrap(),
    );
    assert!(
        p > P_MIN && p < P_MAX,
        "{what}: p = {p} outside ({P_MIN}, {P_MAX}); counts {counts:?}"
    );
}

/// A valid unified social credit code, numbered.
fn code(n: usize) -> String {
    let first17 = format!("91120116MA{n:07}");
    format!("{first17}{}", check_character(&first17).unwrap())
}

fn targets(classes: &[(&str, usize)]) -> (Targets, Vec<String>) {
    let mut csv = header_line(&TARGET_HEADER);
    let mut ids = Vec::new();
    for (class, n) in classes {
        for _ in 0..*n {
            let id = code(ids.len() * 7 + 3);
            csv.push_str(&format!(
                "{id},企业{},120116,无线电,{class},存续,2018-01-01\n",
                ids.len()
            ));
            ids.push(id);
        }
    }
    let t = targets_from(&csv);
    assert!(t.warnings().is_empty());
    (t, ids)
}

/// `eligible` officers E01.. who may inspect every enterprise, plus five who never may: on
/// leave, departed, certificate expired the day before the inspection, out of scope, and one
/// who declared a conflict with every enterprise. The last one is an expert, so a mistake
/// mixing up the officer and expert rules would also show.
fn officers(eligible: usize, all_ids: &[String]) -> (Officers, Vec<String>, Vec<String>) {
    let mut csv = header_line(&OFFICER_HEADER);
    let mut good = Vec::new();
    for i in 1..=eligible {
        let id = format!("E{i:02}");
        // The last day of validity is the inspection day itself for some: still valid.
        let expires = if i % 4 == 0 {
            "2020-10-20"
        } else {
            "2023-12-31"
        };
        csv.push_str(&format!(
            "{id},人员{i},无线电管理处,120101,C{i},{expires},无线电;电力,否,在岗,\n"
        ));
        good.push(id);
    }
    let bad = [
        "X1,休假者,无线电管理处,120101,CX1,2023-12-31,无线电,否,休假,".to_string(),
        "X2,离职者,无线电管理处,120101,CX2,2023-12-31,无线电,否,离职,".to_string(),
        "X3,证件过期,无线电管理处,120101,CX3,2020-10-19,无线电,否,在岗,".to_string(),
        "X4,电力处,电力处,120101,CX4,2023-12-31,电力,否,在岗,".to_string(),
        format!(
            "X5,回避者,无线电管理处,120101,CX5,2023-12-31,无线电,是,在岗,{}",
            all_ids.join(";")
        ),
    ];
    for row in &bad {
        csv.push_str(row);
        csv.push('\n');
    }
    let o = officers_from(&csv);
    let bad_ids = bad.iter().map(|r| r[..2].to_string()).collect();
    (o, good, bad_ids)
}

fn plan(sample: &str) -> Plan {
    plan_toml("STAT")
        .title("statistics")
        .files("targets.csv", "officers.csv")
        .task(
            task("radio")
                .domain("无线电")
                .item("台站检查", "无线电管理条例")
                .sample(sample)
                .exclude_days(365)
                .team_size(2),
        )
        .parse()
}

/// 60 enterprises in one stratum, 6 drawn per seed; 12 eligible officers, 2 per team.
#[test]
fn enterprises_and_officers_are_drawn_uniformly() {
    const SEEDS: u64 = 3000;
    const K: u64 = 6;
    let (targets, ids) = targets(&[("", 60)]);
    let (officers, good, bad) = officers(12, &ids);
    let plan = plan("{ count = 6 }");

    let index = |v: &[String]| -> BTreeMap<String, usize> {
        v.iter().enumerate().map(|(i, s)| (s.clone(), i)).collect()
    };
    let (ent_ix, off_ix) = (index(&ids), index(&good));
    let mut inclusions = vec![0u64; ids.len()];
    let mut memberships = vec![0u64; good.len()];
    let mut leaders = vec![0u64; good.len()];
    let mut pairs = vec![0u64; good.len() * good.len()];
    let mut teams = 0u64;
    for i in 0..SEEDS {
        let out = internals::run(&plan, &targets, &officers, &format!("stat-{i}")).unwrap();
        let t = &out.tasks[0];
        assert_eq!(t.drawn.len() as u64, K);
        for d in &t.drawn {
            inclusions[ent_ix[&d.id]] += 1;
        }
        for team in &t.teams {
            teams += 1;
            assert_eq!(team.eligible_officers, good.len() as u64);
            for o in team.officers.iter().chain(&team.experts) {
                assert!(!bad.contains(o), "ineligible officer {o} drawn");
            }
            assert_eq!(team.officers.len(), 2);
            assert_ne!(team.officers[0], team.officers[1]);
            let (a, b) = (off_ix[&team.officers[0]], off_ix[&team.officers[1]]);
            memberships[a] += 1;
            memberships[b] += 1;
            leaders[a] += 1;
            pairs[a * good.len() + b] += 1;
        }
    }
    assert_eq!(teams, SEEDS * K);
    // Expected inclusions: 3000 * 6 / 60 = 300 per enterprise.
    assert_uniform("enterprise inclusions", &inclusions, SEEDS, K);
    // Expected memberships: 3000 * 6 * 2 / 12 = 3000 per officer.
    assert_uniform("officer memberships", &memberships, teams, 2);
    // Expected leaderships: 18000 / 12 = 1500 per officer.
    assert_uniform("team leaders", &leaders, teams, 1);
    // The ordered (leader, second) pair is uniform over the 132 pairs of distinct officers.
    let ordered: Vec<u64> = (0..good.len())
        .flat_map(|a| {
            (0..good.len())
                .filter(move |&b| b != a)
                .map(move |b| (a, b))
        })
        .map(|(a, b)| pairs[a * good.len() + b])
        .collect();
    assert!(
        (0..good.len()).all(|a| pairs[a * good.len() + a] == 0),
        "an officer paired with themself"
    );
    assert_uniform("ordered officer pairs", &ordered, teams, 1);
}

/// Per-class ratios: within each credit class, every enterprise has the same inclusion
/// frequency, and each class draws exactly its rounded-up share.
#[test]
fn each_credit_class_is_drawn_uniformly() {
    const SEEDS: u64 = 3000;
    // (class, size, ratio, drawn = ceil(size * ratio)).
    let classes: [(&str, usize, &str, u64); 5] = [
        ("A", 40, "5%", 2),
        ("B", 30, "20%", 6),
        ("C", 20, "50%", 10),
        ("D", 10, "61%", 7),
        ("", 10, "25%", 3),
    ];
    let (targets, ids) = targets(
        &classes
            .iter()
            .map(|&(c, n, _, _)| (c, n))
            .collect::<Vec<_>>(),
    );
    let (officers, _, bad) = officers(4, &ids);
    let by_class: Vec<String> = classes
        .iter()
        .map(|(c, _, r, _)| format!("{} = \"{r}\"", if c.is_empty() { "none" } else { c }))
        .collect();
    let plan = plan(&format!("{{ by_class = {{ {} }} }}", by_class.join(", ")));

    let mut counts: BTreeMap<&str, u64> = ids.iter().map(|i| (i.as_str(), 0)).collect();
    for i in 0..SEEDS {
        let out = internals::run(&plan, &targets, &officers, &format!("class-{i}")).unwrap();
        let t = &out.tasks[0];
        for (s, &(class, n, _, k)) in t.strata.iter().zip(&classes) {
            assert_eq!(
                s.pool.stratum.name(),
                if class.is_empty() { "none" } else { class }
            );
            assert_eq!(
                (s.pool.eligible, s.pool.requested, s.drawn),
                (n as u64, k, k)
            );
        }
        for d in &t.drawn {
            let e = targets.records().iter().find(|e| e.id == d.id).unwrap();
            assert_eq!(
                d.stratum,
                Stratum::Class(e.credit_class),
                "{} drawn in {:?}",
                d.id,
                d.stratum
            );
            *counts.get_mut(d.id.as_str()).unwrap() += 1;
        }
        for team in &t.teams {
            assert!(team.officers.iter().all(|o| !bad.contains(o)));
        }
    }
    let mut start = 0;
    for &(class, n, _, k) in &classes {
        let members: Vec<u64> = ids[start..start + n]
            .iter()
            .map(|i| counts[i.as_str()])
            .collect();
        start += n;
        // Expected inclusions: SEEDS * k / n per enterprise of the class.
        assert_uniform(&format!("class {class:?} inclusions"), &members, SEEDS, k);
    }
}
