//! Team draw at scale under the rules of SPEC.md §5.5: 10^5 drawn enterprises, 10^4 officers,
//! teams of two under a joint-inspection rule (one officer of each of two departments), the area
//! rule `same` (200 areas of 50 officers and 500 enterprises each) and a workload cap of 22 per
//! officer: total capacity 220,000 places for a demand of 200,000, within 10%.
//!
//! Every candidate is accepted only if the rest of the plan can still be staffed (the
//! feasibility check of §5.5), so this measures the whole assignment: pools, the first maximum
//! flow, and 200,000+ incremental checks.
//!
//! Run: `cargo bench --bench assign` (one sample takes several seconds; criterion's minimum of
//! 10 samples is used).

use std::time::Instant;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use dualdraw::directory::{
    Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Targets,
};
use dualdraw::internals;
use dualdraw::plan::Plan;

const ENTERPRISES: usize = 100_000;
const OFFICERS: usize = 10_000;
const AREAS: usize = 200;

fn inputs() -> (Plan, Targets, Officers) {
    let area = |i: usize| format!("A{:03}", i % AREAS);
    let targets = internals::targets_unchecked(
        (0..ENTERPRISES)
            .map(|i| Enterprise {
                id: format!("E{i:06}"),
                name: String::new(),
                region: area(i),
                domains: vec!["电力".into()],
                credit_class: None,
                status: EnterpriseStatus::Active,
                last_inspected: None,
            })
            .collect(),
        Vec::new(),
    );
    let officers = internals::officers_unchecked(
        (0..OFFICERS)
            .map(|i| Officer {
                id: format!("O{i:05}"),
                name: String::new(),
                // Alternating departments inside each area: 25 of each per area.
                department: if (i / AREAS).is_multiple_of(2) {
                    "电力处"
                } else {
                    "无线电管理处"
                }
                .into(),
                region: area(i),
                cert_no: format!("C{i}"),
                cert_expires: NaiveDate::from_ymd_opt(2030, 1, 1).unwrap(),
                domains: vec!["电力".into(), "无线电".into()],
                expert: false,
                status: OfficerStatus::Active,
                conflicts: Vec::new(),
            })
            .collect(),
    );
    let plan = Plan::from_toml(
        &format!(
            r#"
            id = "BENCH"
            title = "assignment bench"
            inspection_date = "2020-10-20"
            targets = "t.csv"
            officers = "o.csv"
            [assignment]
            max_per_officer = 22
            [[task]]
            id = "joint"
            domain = "电力"
            item = {{ name = "电力设施保护检查", basis = "《电力设施保护条例》" }}
            sample = {{ count = {ENTERPRISES} }}
            team = {{ size = 2 }}
            area = "same"
            joint = [{{ department = "电力处" }}, {{ department = "无线电管理处", domain = "无线电" }}]
            "#
        ),
        "plan.toml".as_ref(),
    )
    .unwrap();
    (plan, targets, officers)
}

fn benches(c: &mut Criterion) {
    let (plan, targets, officers) = inputs();
    let selections = internals::select(&plan, &targets, "bench").unwrap();
    // One timed run first, with a check of the result, for the README figure.
    let t0 = Instant::now();
    let out = internals::staff(&plan, selections.clone(), &officers).unwrap();
    let took = t0.elapsed();
    let mut load = vec![0u32; OFFICERS];
    for team in &out.tasks[0].teams {
        assert_eq!(team.officers.len(), 2);
        for o in &team.officers {
            load[o[1..].parse::<usize>().unwrap()] += 1;
        }
    }
    assert!(load.iter().all(|&l| l <= 22));
    eprintln!(
        "assign: {} teams, {} officers, cap 22: staffed in {:.2?} (loads {}..={})",
        out.tasks[0].teams.len(),
        OFFICERS,
        took,
        load.iter().min().unwrap(),
        load.iter().max().unwrap()
    );
    let mut g = c.benchmark_group("assign");
    g.sample_size(10);
    g.bench_function("staff 1e5 enterprises, 1e4 officers, joint, cap 22", |b| {
        b.iter(|| internals::staff(&plan, selections.clone(), &officers).unwrap())
    });
    g.finish();
}

criterion_group!(group, benches);
criterion_main!(group);
