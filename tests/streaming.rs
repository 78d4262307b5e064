//! The streaming target draw gives exactly what the in-memory draw gives: same selections, same
//! digest, same log bytes; in parallel and sequentially; from a file, from a pipe, after
//! `dualdraw sort`.

mod common;

use std::path::Path;
use std::process::Stdio;

use common::cli::bin;
use common::plans::{plan as plan_toml, task};
use common::{DEMO_SEED as SEED, demo_inputs};
use dualdraw::ErrorKind;
use dualdraw::directory::read_targets;
use dualdraw::internals::staff_and_log;
use dualdraw::internals::{Streamed, select_stream_with};
use dualdraw::plan::Plan;
use proptest::prelude::*;

fn stream(bytes: &[u8], plan: &Plan, seed: &str, parallel: bool) -> dualdraw::Result<Streamed> {
    select_stream_with(bytes, "t.csv".as_ref(), plan, seed, &mut |_| {}, parallel)
}

fn sorted(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    dualdraw::sort::sort_targets(bytes, "in.csv".as_ref(), &mut out, &Default::default()).unwrap();
    out
}

#[test]
fn demo_streamed_log_is_byte_identical() {
    let inputs = demo_inputs();
    let (_, expected) = common::draw(&inputs, SEED);
    let raw = std::fs::read(&inputs.targets_path).unwrap();
    let sorted = sorted(&raw);
    for parallel in [false, true] {
        let s = stream(&sorted, &inputs.plan, SEED, parallel).unwrap();
        let (_, log) = staff_and_log(
            &inputs.plan,
            inputs.plan_digest,
            &inputs.officers,
            s.selections,
            s.digest,
            &s.warnings,
            SEED,
        )
        .unwrap();
        assert_eq!(log.to_bytes(), expected.to_bytes(), "parallel = {parallel}");
    }
}

#[test]
fn unsorted_and_duplicate_rows_are_named_by_line() {
    let inputs = demo_inputs();
    let raw = std::fs::read(&inputs.targets_path).unwrap();
    // The demo file is not sorted: the first out-of-order row is reported.
    let e = stream(&raw, &inputs.plan, SEED, true).unwrap_err();
    assert!(
        matches!(e.kind(), ErrorKind::Unsorted { line, .. } if *line > 1),
        "{e}"
    );
    assert!(e.to_string().contains("dualdraw sort"), "{e}");
    // A sorted file with one row repeated: a duplicate, with both lines.
    let text = String::from_utf8(sorted(&raw)).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(11, lines[10]);
    let dup = lines.join("\n") + "\n";
    for parallel in [false, true] {
        let e = stream(dup.as_bytes(), &inputs.plan, SEED, parallel).unwrap_err();
        match e.kind() {
            ErrorKind::DuplicateId {
                first_line, line, ..
            } => assert_eq!((*first_line, *line), (11, 12), "{e}"),
            _ => panic!("expected a duplicate id, got {e}"),
        }
    }
}

/// Three tasks over `targets` and `officers`: `count` enterprises of the radio domain, `ratio`
/// of the power domain, and by credit class (class A: `class_a`) in the chemicals domain.
fn plan_text(count: &str, ratio: &str, class_a: &str, targets: &str, officers: &str) -> String {
    plan_toml("STREAM")
        .title("stream test")
        .files(targets, officers)
        .task(
            task("count")
                .domain("无线电")
                .item("n", "b")
                .scope("domains = [\"无线电\"]")
                .sample(&format!("{{ count = {count} }}"))
                .shortfall("take-all")
                .exclude_days(365)
                .team_size(2),
        )
        .task(
            task("ratio")
                .domain("电力")
                .item("n", "b")
                .ratio(ratio)
                .team_size(2),
        )
        .task(
            task("classes")
                .domain("监控化学品")
                .item("n", "b")
                .scope(
                    "statuses = [\"active\", \"abnormal\", \"closed\"], \
                     regions = [\"120116\", \"120100\"]",
                )
                .sample(&format!(
                    "{{ by_class = {{ A = \"{class_a}\", B = \"5%\", C = \"20%\", D = \"100%\", none = \"3%\" }} }}"
                ))
                .team_size(2),
        )
        .text()
}

/// [`plan_text`] over `t.csv` and `o.csv`, parsed.
fn plan(count: &str, ratio: &str, class_a: &str) -> Plan {
    Plan::from_toml(
        &plan_text(count, ratio, class_a, "t.csv", "o.csv"),
        "plan.toml".as_ref(),
    )
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Random directory sizes, sample sizes and ratios, from tiny ratios (where the streaming
    /// bound keeps everything for a while) to large ones: streaming equals in-memory.
    #[test]
    fn streaming_equals_in_memory(
        rows in 0u64..4_000,
        gen_seed in 0u64..1_000,
        count in 1u64..40,
        ratio_bp in 1u32..10_000,
        class_a_bp in 1u32..10_000,
        seed in "[a-z0-9]{1,12}",
    ) {
        let plan = plan(
            &count.to_string(),
            &format!("{}.{:02}%", ratio_bp / 100, ratio_bp % 100),
            &format!("{}.{:02}%", class_a_bp / 100, class_a_bp % 100),
        );
        let mut data = Vec::new();
        dualdraw::synth::targets(&mut data, rows, gen_seed).unwrap();
        let targets = read_targets(data.as_slice(), "t.csv".as_ref()).unwrap();
        let memory = dualdraw::internals::select(&plan, &targets, &seed).unwrap();
        for parallel in [false, true] {
            let s = stream(&data, &plan, &seed, parallel).unwrap();
            prop_assert_eq!(&s.selections, &memory);
            prop_assert_eq!(s.digest, targets.digest());
            // Streaming knows the plan's inspection date: `future-inspection` warnings too.
            let dated = dualdraw::directory::Targets::read_for(
                data.as_slice(),
                "t.csv".as_ref(),
                plan.inspection_date,
            )
            .unwrap();
            prop_assert_eq!(&s.warnings[..], dated.warnings());
        }
    }
}

/// Writes a plan over `targets.csv` and the demo officers into `dir`.
fn write_plan(dir: &Path) -> std::path::PathBuf {
    let officers = common::demo_path("officers.csv");
    let text = plan_text(
        "7",
        "0.5%",
        "1%",
        "targets.csv",
        &officers.display().to_string(),
    );
    let p = dir.join("plan.toml");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn cli_pipe_sort_and_memory_give_the_same_log() {
    let dir = common::tmp();
    let plan = write_plan(dir.path());
    let targets = dir.path().join("targets.csv");
    let st = bin()
        .args(["gen-targets", "--rows", "20000", "--seed", "3", "-o"])
        .arg(&targets)
        .status()
        .unwrap();
    assert!(st.success());
    let draw = |extra: &[&str], out: &str, stdin: Option<&Path>| {
        let mut c = bin();
        c.arg("draw")
            .arg(&plan)
            .args(["--seed", "s1", "--out"])
            .arg(dir.path().join(out));
        c.args(extra);
        if let Some(f) = stdin {
            c.stdin(Stdio::from(std::fs::File::open(f).unwrap()));
        }
        let o = c.output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.path().join(out).join("draw.log")).unwrap()
    };
    let memory = draw(&[], "mem", None);
    assert_eq!(draw(&["--stream"], "streamed", None), memory);
    assert_eq!(draw(&["--targets", "-"], "piped", Some(&targets)), memory);

    // Shuffle (reverse) the rows: the in-memory draw is unchanged; streaming refuses until sorted.
    let text = std::fs::read_to_string(&targets).unwrap();
    let shuffled = dir.path().join("shuffled.csv");
    std::fs::write(&shuffled, common::dirs::reverse_rows(&text)).unwrap();
    let o = bin()
        .arg("draw")
        .arg(&plan)
        .args(["--seed", "s1", "--targets"])
        .arg(&shuffled)
        .arg("--out")
        .arg(dir.path().join("refused"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("line 3"));
    assert!(!dir.path().join("refused").exists());
    let resorted = dir.path().join("resorted.csv");
    let o = bin()
        .arg("sort")
        .arg(&shuffled)
        .arg("-o")
        .arg(&resorted)
        .args(["--memory-mib", "1"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stdout).contains("runs spilled"));
    assert_eq!(std::fs::read(&resorted).unwrap(), text.as_bytes());
    assert_eq!(
        draw(&["--targets", resorted.to_str().unwrap()], "resorted", None),
        memory
    );

    // Verify streams too, and a sort never replaces an existing file.
    let o = bin()
        .arg("verify")
        .arg(dir.path().join("mem/draw.log"))
        .arg("--plan")
        .arg(&plan)
        .arg("--stream")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = bin()
        .arg("sort")
        .arg(&shuffled)
        .arg("-o")
        .arg(&resorted)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

/// Re-writes a directory's rows with every CSV form a parser must get right: quoted and
/// unquoted cells, doubled quotes, a literal quote inside an unquoted name (which fools the
/// chunk splitter's quote count), a quoted name ending in a line break (trimmed away), CRLF
/// line ends and blank lines. `choice` picks the form of each row.
fn decorate(csv_bytes: &[u8], choice: &[u8]) -> Vec<u8> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_bytes);
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.unwrap();
        let c = choice.get(i % choice.len().max(1)).copied().unwrap_or(0);
        let mut cells: Vec<String> = rec
            .iter()
            .map(|f| {
                if f.contains([',', '"', '\n']) {
                    format!("\"{}\"", f.replace('"', "\"\""))
                } else {
                    f.to_string()
                }
            })
            .collect();
        if i > 0 {
            // Column 1 is the name.
            let name = rec.get(1).unwrap_or("");
            cells[1] = match c % 6 {
                1 if !name.contains([',', '"']) => format!("{name}\"乙"),
                2 => format!("\"{}\n\"", name.replace('"', "\"\"")),
                3 => format!("\"{}\"\"号\"", name.replace('"', "\"\"")),
                4 => format!("\"{}\r\n\"", name.replace('"', "\"\"")),
                _ => cells[1].clone(),
            };
        }
        out.extend_from_slice(cells.join(",").as_bytes());
        out.extend_from_slice(if c & 8 != 0 { b"\r\n" } else { b"\n" });
        if c & 16 != 0 {
            out.extend_from_slice(b"\n");
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Chunk boundaries anywhere (chunks of 1 to 400 bytes), over every CSV form: the streamed
    /// draw, in parallel and not, equals the in-memory draw, warnings and their lines included.
    #[test]
    fn any_chunking_of_any_csv_form_gives_the_same_draw(
        rows in 0u64..600,
        gen_seed in 0u64..1_000,
        choice in prop::collection::vec(any::<u8>(), 1..64),
        chunk in 1usize..400,
        seed in "[a-z0-9]{1,12}",
    ) {
        let plan = plan("7", "10%", "50%");
        let mut data = Vec::new();
        dualdraw::synth::targets(&mut data, rows, gen_seed).unwrap();
        let data = decorate(&data, &choice);
        let targets = dualdraw::directory::Targets::read_for(
            data.as_slice(),
            "t.csv".as_ref(),
            plan.inspection_date,
        )
        .unwrap();
        let memory = dualdraw::internals::select(&plan, &targets, &seed).unwrap();
        for parallel in [false, true] {
            let s = dualdraw::internals::select_stream_chunked(
                data.as_slice(),
                "t.csv".as_ref(),
                &plan,
                &seed,
                &mut |_| {},
                parallel,
                chunk,
            )
            .unwrap();
            prop_assert_eq!(&s.selections, &memory);
            prop_assert_eq!(s.digest, targets.digest());
            prop_assert_eq!(&s.warnings[..], targets.warnings());
            let lines: Vec<u64> = s.warnings.iter().map(|w| w.line).collect();
            let want: Vec<u64> = targets.warnings().iter().map(|w| w.line).collect();
            prop_assert_eq!(lines, want);
        }
    }

    /// A bad row anywhere, chunked anywhere: the same error, on the same line, as the
    /// sequential reader.
    #[test]
    fn any_chunking_reports_the_first_bad_row(
        rows in 1u64..300,
        gen_seed in 0u64..1_000,
        choice in prop::collection::vec(any::<u8>(), 1..64),
        chunk in 1usize..400,
        bad in 0usize..1_000,
        kind in 0u8..4,
    ) {
        let plan = plan("3", "10%", "50%");
        let mut data = Vec::new();
        dualdraw::synth::targets(&mut data, rows, gen_seed).unwrap();
        let text = String::from_utf8(data).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        let at = 1 + bad % (lines.len() - 1).max(1);
        if at < lines.len() {
            lines[at] = match kind {
                0 => lines[at].replacen(",", ",,", 1),            // a field too many
                1 => lines[at].replacen("91", "9X", 1),           // a bad code
                2 => lines[at - 1].clone(),                        // a duplicate (or unsorted)
                _ => lines[at].replace(",active,", ",bogus,"),   // a bad status, maybe
            };
        }
        let data = decorate((lines.join("\n") + "\n").as_bytes(), &choice);
        let want = dualdraw::internals::select_stream_with(
            data.as_slice(), "t.csv".as_ref(), &plan, "s", &mut |_| {}, false,
        )
        .map(|s| s.digest)
        .map_err(|e| e.to_string());
        for parallel in [false, true] {
            let got = dualdraw::internals::select_stream_chunked(
                data.as_slice(), "t.csv".as_ref(), &plan, "s", &mut |_| {}, parallel, chunk,
            )
            .map(|s| s.digest)
            .map_err(|e| e.to_string());
            prop_assert_eq!(&got, &want);
        }
    }
}
