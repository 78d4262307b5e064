//! The library's front door, used as a service would: values in, values out, no file system
//! inside the library.
//!
//! 1. `Draw` on in-memory directories gives the same log bytes as the command-line draw;
//! 2. the streamed `Draw` gives the same bytes as the in-memory one;
//! 3. directories built from typed records (a database's rows) have the CSV's digest, whatever
//!    the row order, and bad records are refused with the record and field named;
//! 4. seed errors speak of values, never of command-line flags;
//! 5. lookups by id.

mod common;

use common::dirs::sorted_csv;
use common::{demo_values as demo, read_demo as read};
use dualdraw::directory::read_targets;
use dualdraw::{Draw, Enterprise, ErrorKind, Officers, Plan, Targets};

#[test]
fn builder_gives_the_command_line_bytes() {
    let (plan, targets, officers) = demo();
    let drawn = Draw::new(&plan).run(&targets, &officers).unwrap();
    let inputs = common::demo_inputs();
    let (outcome, log) = common::draw(&inputs, plan.seed.as_deref().unwrap());
    assert_eq!(drawn.log.to_bytes(), log.to_bytes());
    assert_eq!(drawn.outcome, outcome);
    assert_eq!(drawn.seed, "2020-10-15 rehearsal");
    assert_eq!(plan.digest, inputs.plan_digest);
    // The drawn records are those of the outcome, sorted and unique.
    let mut ids: Vec<&str> = outcome
        .tasks
        .iter()
        .flat_map(|t| t.drawn.iter().map(|d| d.id.as_str()))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let got: Vec<&str> = drawn.enterprises.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(got, ids);
    // The tables name the drawn enterprises.
    let csv = String::from_utf8(drawn.targets_csv(false)).unwrap();
    assert_eq!(csv.lines().count(), 1 + 10, "{csv}");
    assert!(drawn.targets_csv(true).starts_with("\u{feff}".as_bytes()));
}

#[test]
fn streamed_builder_is_byte_identical() {
    let (plan, targets, officers) = demo();
    let seed = "front door";
    let memory = Draw::new(&plan.clone_without_seed())
        .seed(seed)
        .run(&targets, &officers)
        .unwrap();
    let mut rows = 0;
    let streamed = Draw::new(&plan.clone_without_seed())
        .seed(seed)
        .run_stream(
            sorted_csv(&targets).as_slice(),
            "targets.csv".as_ref(),
            &officers,
            &mut |p| rows = p.rows,
        )
        .unwrap();
    assert_eq!(memory.log.to_bytes(), streamed.log.to_bytes());
    // The same warnings; only their lines differ, the files being in another row order.
    let strip = |w: &[dualdraw::Warning]| -> Vec<(String, String)> {
        w.iter()
            .map(|w| (w.id.clone(), w.message.clone()))
            .collect()
    };
    assert_eq!(strip(&memory.warnings), strip(&streamed.warnings));
    assert!(!memory.warnings.is_empty());
    assert_eq!(rows, targets.len() as u64);
}

trait WithoutSeed {
    fn clone_without_seed(&self) -> Plan;
}

impl WithoutSeed for Plan {
    fn clone_without_seed(&self) -> Plan {
        Plan {
            seed: None,
            ..self.clone()
        }
    }
}

#[test]
fn records_from_a_database_have_the_csv_digest() {
    let (_, targets, officers) = demo();
    let mut rows: Vec<Enterprise> = targets.records().to_vec();
    rows.reverse();
    for r in &mut rows {
        r.domains.reverse();
    }
    let built = Targets::from_records(rows, "db").unwrap();
    assert_eq!(built.digest(), targets.digest());
    // The pilot codes' warnings are the CSV's (same ids and messages, in id order).
    let warn = |t: &Targets| -> Vec<(String, String)> {
        t.warnings()
            .iter()
            .filter(|w| w.code == "uscc-check")
            .map(|w| (w.id.clone(), w.message.clone()))
            .collect()
    };
    assert_eq!(warn(&built), warn(&targets));
    let mut people = officers.records().to_vec();
    people.rotate_left(7);
    assert_eq!(
        Officers::from_records(people, "db").unwrap().digest(),
        officers.digest()
    );
}

#[test]
fn bad_records_are_refused_by_record_and_field() {
    let (_, targets, officers) = demo();
    let mut rows = targets.records().to_vec();
    rows[3].region = " 120116".into();
    let e = Targets::from_records(rows, "db").unwrap_err();
    assert!(
        e.to_string().starts_with("db, line 4, field `region`"),
        "{e}"
    );

    let mut rows = targets.records().to_vec();
    rows[5].domains = vec!["无线电;电力".into()];
    let e = Targets::from_records(rows, "db").unwrap_err();
    assert!(e.to_string().contains("line 6, field `domains`"), "{e}");

    let mut rows = targets.records().to_vec();
    rows.push(rows[0].clone());
    let n = rows.len();
    let e = Targets::from_records(rows, "db").unwrap_err();
    match e.kind() {
        ErrorKind::DuplicateId {
            first_line, line, ..
        } => assert_eq!((*first_line, *line), (1, n as u64)),
        other => panic!("{other:?}"),
    }

    let mut people = officers.records().to_vec();
    people[2].cert_no = String::new();
    let e = Officers::from_records(people, "hr").unwrap_err();
    assert!(
        e.to_string().starts_with("hr, line 3, field `cert_no`"),
        "{e}"
    );
}

#[test]
fn seed_errors_name_values_not_flags() {
    let (plan, targets, officers) = demo();
    let e = Draw::new(&plan)
        .seed("another")
        .run(&targets, &officers)
        .unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Seed(_)), "{e}");
    assert!(!e.to_string().contains("--"), "{e}");
    let e = Draw::new(&plan.clone_without_seed())
        .run(&targets, &officers)
        .unwrap_err();
    assert!(!e.to_string().contains("--"), "{e}");
}

#[test]
fn lookups_by_id() {
    let (_, targets, officers) = demo();
    let first = &targets.records()[0];
    assert_eq!(targets.get(&first.id), Some(first));
    assert_eq!(targets.get("91120116MA05JKLM8X"), None);
    let o = &officers.records()[officers.len() - 1];
    assert_eq!(officers.get(&o.id), Some(o));
    // The same directory read as CSV text.
    let again = read_targets(read("targets.csv").as_slice(), "t.csv".as_ref()).unwrap();
    assert_eq!(again.get(&first.id), Some(first));
}
