//! Hostile input must not hurt (issue 10, items 4 and 5): a plan naming a device, a FIFO, a
//! folder or a kernel pseudo-file is refused before anything is read; a record that never ends
//! or a quote never closed is an error naming its line, in bounded memory, never an abort; and
//! nothing from an input is echoed raw: control and bidi characters are escaped, long values
//! cut, a file that is no directory export does not have its first line shown.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::cli::{self, code, stderr};

/// The valid inputs of `fixtures/bad/base/` copied into `dir`, the plan's `targets` replaced.
fn plan_with_targets(dir: &Path, targets: &str) -> PathBuf {
    let base = common::root().join("fixtures/bad/base");
    let plan = std::fs::read_to_string(base.join("plan.toml")).expect("base plan");
    let plan = plan.replace(
        "targets = \"targets.csv\"",
        &format!("targets = {}", common::plans::quote(targets)),
    );
    std::fs::copy(base.join("officers.csv"), dir.join("officers.csv")).expect("copy officers");
    std::fs::copy(base.join("targets.csv"), dir.join("base-targets.csv")).expect("copy targets");
    let p = dir.join("plan.toml");
    std::fs::write(&p, plan).expect("write plan");
    p
}

/// `dualdraw draw PLAN --out DIR/out [extra…]`, timed.
fn draw(plan: &Path, dir: &Path, extra: &[&str]) -> (Output, Duration) {
    let t = Instant::now();
    let mut args: Vec<String> = vec![
        "draw".into(),
        plan.display().to_string(),
        "--out".into(),
        dir.join("out").display().to_string(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let o = cli::run(&args);
    (o, t.elapsed())
}

/// Exit 2, one `error:` line, no abort, no output folder; returns stderr.
fn refused(what: &str, o: &Output, dir: &Path) -> String {
    let err = stderr(o);
    assert_eq!(code(o), 2, "{what}: exit code\n{err}");
    assert!(err.starts_with("error: "), "{what}: {err}");
    assert!(!err.contains("memory allocation"), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    assert!(!dir.join("out").exists(), "{what}: output written");
    err
}

/// No raw control or bidi character in `s` (other than the line ends).
fn no_raw_controls(what: &str, s: &str) {
    let bad: Vec<char> = s
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .collect();
    assert!(bad.is_empty(), "{what}: raw {bad:?} in\n{s}");
}

/// A sorted, valid target directory of `rows` rows (from `dualdraw gen-targets`).
fn generated(dir: &Path, rows: u64) -> String {
    let p = dir.join(format!("gen-{rows}.csv"));
    let o = cli::run([
        "gen-targets",
        "--rows",
        &rows.to_string(),
        "-o",
        p.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    std::fs::read_to_string(p).expect("read generated")
}

#[test]
fn dev_zero_as_the_target_directory_is_refused_quickly() {
    let tmp = common::tmp();
    let plan = plan_with_targets(tmp.path(), "/dev/zero");
    for extra in [&[][..], &["--stream"]] {
        let (o, took) = draw(&plan, tmp.path(), extra);
        let err = refused("/dev/zero", &o, tmp.path());
        assert!(err.contains("/dev/zero"), "{err}");
        assert!(
            err.contains("not a regular file (a character device)"),
            "{err}"
        );
        assert!(err.contains("named by `targets`"), "{err}");
        assert!(took < Duration::from_secs(20), "took {took:?}");
    }
    // Given directly, too.
    let (o, _) = draw(&plan, tmp.path(), &["--targets", "/dev/zero"]);
    let err = refused("--targets /dev/zero", &o, tmp.path());
    assert!(err.contains("not a regular file"), "{err}");
}

#[test]
fn a_folder_or_a_fifo_is_refused_without_blocking() {
    let tmp = common::tmp();
    std::fs::create_dir(tmp.path().join("folder")).expect("mkdir");
    let plan = plan_with_targets(tmp.path(), "folder");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("folder", &o, tmp.path());
    assert!(err.contains("not a regular file (a folder)"), "{err}");

    let fifo = tmp.path().join("fifo");
    let made = Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo here: FIFO case skipped");
        return;
    }
    // Opening a FIFO with no writer would block: it must be refused before it is opened.
    let plan = plan_with_targets(tmp.path(), "fifo");
    for extra in [&[][..], &["--stream"]] {
        let (o, took) = draw(&plan, tmp.path(), extra);
        let err = refused("fifo", &o, tmp.path());
        assert!(err.contains("not a regular file (a FIFO)"), "{err}");
        assert!(took < Duration::from_secs(20), "took {took:?}");
    }
}

#[test]
fn proc_self_environ_is_refused_before_it_is_read() {
    if !Path::new("/proc/self/environ").exists() {
        return;
    }
    let tmp = common::tmp();
    let plan = plan_with_targets(tmp.path(), "/proc/self/environ");
    let mut cmd = cli::bin();
    cmd.args([
        "draw",
        plan.to_str().expect("utf-8"),
        "--out",
        tmp.path().join("out").to_str().expect("utf-8"),
    ])
    .env("DUALDRAW_TEST_SECRET", "hunter2-secret-value");
    let o = cmd.output().expect("run");
    let err = refused("/proc/self/environ", &o, tmp.path());
    assert!(err.contains("kernel pseudo-file"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
    assert!(!err.contains("PATH="), "{err}");

    // The same bytes in a regular file: read, but its first line is not shown.
    std::fs::write(
        tmp.path().join("env.csv"),
        "DUALDRAW_TEST_SECRET=hunter2-secret-value\0PATH=/usr/bin\0HOME=/root\0",
    )
    .expect("write");
    let plan = plan_with_targets(tmp.path(), "env.csv");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("environment copy", &o, tmp.path());
    // Named as binary (issue 14), without showing any of it.
    assert!(err.contains("a binary file"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}

#[test]
fn a_plan_that_is_a_device_or_too_large_is_refused() {
    let tmp = common::tmp();
    let (o, took) = draw(Path::new("/dev/zero"), tmp.path(), &[]);
    let err = refused("plan /dev/zero", &o, tmp.path());
    assert!(err.contains("not a regular file"), "{err}");
    assert!(took < Duration::from_secs(20), "took {took:?}");

    let big = tmp.path().join("big.toml");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(17 << 20).expect("sparse 17 MiB");
    let (o, _) = draw(&big, tmp.path(), &[]);
    let err = refused("17 MiB plan", &o, tmp.path());
    assert!(err.contains("larger than 16 MiB"), "{err}");
}

#[test]
fn a_three_mib_line_without_a_line_end_is_an_error_naming_its_line() {
    let tmp = common::tmp();
    let rows = generated(tmp.path(), 20);
    let mut text = rows.clone();
    text.push_str(&"9".repeat(3 << 20));
    std::fs::write(tmp.path().join("long.csv"), &text).expect("write");
    let plan = plan_with_targets(tmp.path(), "long.csv");
    for extra in [&[][..], &["--stream"]] {
        let (o, _) = draw(&plan, tmp.path(), extra);
        let err = refused("3 MiB line", &o, tmp.path());
        assert!(err.contains("long.csv, line 22"), "{extra:?}: {err}");
        assert!(err.contains("longer than 1 MiB"), "{extra:?}: {err}");
        assert!(err.len() < 1000, "{extra:?}: {} bytes of error", err.len());
    }
    // The same as the first line: the header's own limit.
    std::fs::write(tmp.path().join("long.csv"), "9".repeat(3 << 20)).expect("write");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("3 MiB header", &o, tmp.path());
    assert!(err.contains("long.csv, line 1"), "{err}");
    assert!(
        err.contains("the header row starting on line 1 is longer than 64 KiB"),
        "{err}"
    );
}

#[test]
fn an_unclosed_quote_is_reported_where_it_opens() {
    let tmp = common::tmp();
    let rows = generated(tmp.path(), 40);
    let mut lines: Vec<String> = rows.lines().map(str::to_string).collect();
    // Line 12 (the header is line 1): the name field opens a quote it never closes.
    let cells: Vec<&str> = lines[11].split(',').collect();
    let broken = format!("{},\"{},{}", cells[0], cells[1], cells[2..].join(","));
    lines[11] = broken;
    let small = lines.join("\n") + "\n";
    std::fs::write(tmp.path().join("quote.csv"), &small).expect("write");
    let plan = plan_with_targets(tmp.path(), "quote.csv");
    for extra in [&[][..], &["--stream"]] {
        let (o, _) = draw(&plan, tmp.path(), extra);
        let err = refused("unclosed quote", &o, tmp.path());
        assert!(
            err.contains("quote opened on line 12 never closed"),
            "{extra:?}: {err}"
        );
        assert!(err.contains("quote.csv, line 12"), "{extra:?}: {err}");
    }
    // In a large file the quote would swallow more than the record limit: the same message,
    // and the streamed draw does not hold the rest of the file.
    let big = generated(tmp.path(), 40_000);
    let mut lines: Vec<String> = big.lines().map(str::to_string).collect();
    let cells: Vec<&str> = lines[11].split(',').collect();
    lines[11] = format!("{},\"{},{}", cells[0], cells[1], cells[2..].join(","));
    std::fs::write(tmp.path().join("quote.csv"), lines.join("\n") + "\n").expect("write");
    for extra in [&[][..], &["--stream"]] {
        let (o, _) = draw(&plan, tmp.path(), extra);
        let err = refused("unclosed quote, large", &o, tmp.path());
        assert!(
            err.contains("quote opened on line 12 never closed"),
            "{extra:?}: {err}"
        );
    }
}

#[test]
fn an_endless_stream_on_standard_input_stops_at_the_limit() {
    let tmp = common::tmp();
    let plan = plan_with_targets(tmp.path(), "base-targets.csv");
    for header in [false, true] {
        let mut child = cli::bin()
            .args([
                "draw",
                plan.to_str().expect("utf-8"),
                "--out",
                tmp.path().join("out").to_str().expect("utf-8"),
                "--targets",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let mut stdin = child.stdin.take().expect("stdin");
        let writer = std::thread::spawn(move || {
            if header {
                let _ =
                    stdin.write_all(b"id,name,region,domains,credit_class,status,last_inspected\n");
            }
            let block = vec![b'x'; 64 << 10];
            // At most 256 MiB: the reader must give up long before.
            for _ in 0..4096 {
                if stdin.write_all(&block).is_err() {
                    return true;
                }
            }
            false
        });
        let o = child.wait_with_output().expect("wait");
        let stopped_early = writer.join().expect("writer");
        let err = refused("endless stdin", &o, tmp.path());
        assert!(stopped_early, "the draw read 256 MiB of one line: {err}");
        let line = if header { "line 2" } else { "line 1" };
        assert!(err.contains(&format!("-, {line}")), "{err}");
    }
}

#[test]
fn header_cells_are_shown_escaped() {
    let tmp = common::tmp();
    let base = std::fs::read_to_string(common::root().join("fixtures/bad/base/targets.csv"))
        .expect("base");
    // `登记状态` (status) hidden behind a terminal colour and a right-to-left override.
    let text = base.replacen("登记状态", "登记\u{1b}[31m状态\u{202e}", 1);
    std::fs::write(tmp.path().join("esc.csv"), text).expect("write");
    let plan = plan_with_targets(tmp.path(), "esc.csv");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("escapes in the header", &o, tmp.path());
    no_raw_controls("header", &err);
    // A header cell with a control character is refused as such (issue 14), shown escaped.
    assert!(err.contains("holds the control character U+001B"), "{err}");
    assert!(err.contains("登记\\u{1b}[31m状态\\u{202e}"), "{err}");

    // Isolates and a bell: escaped too.
    let text = base.replacen("企业名称", "\u{2067}企业名称\u{7}", 1);
    std::fs::write(tmp.path().join("esc.csv"), text).expect("write");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("escapes in a header cell", &o, tmp.path());
    no_raw_controls("header cell", &err);
    assert!(err.contains("\\u{2067}企业名称\\u{7}"), "{err}");
}

#[test]
fn cell_values_are_escaped_and_cut() {
    let tmp = common::tmp();
    let base = std::fs::read_to_string(common::root().join("fixtures/bad/base/targets.csv"))
        .expect("base");
    let mut lines: Vec<String> = base.lines().map(str::to_string).collect();
    // Line 3's region: 5,000 characters with escapes in them.
    let long = format!("12\u{1b}]0;pwned\u{7}\u{202e}{}", "1".repeat(5000));
    let mut cells: Vec<String> = lines[2].split(',').map(str::to_string).collect();
    cells[2] = long;
    lines[2] = cells.join(",");
    std::fs::write(tmp.path().join("cell.csv"), lines.join("\n") + "\n").expect("write");
    let plan = plan_with_targets(tmp.path(), "cell.csv");
    let (o, _) = draw(&plan, tmp.path(), &[]);
    let err = refused("long cell", &o, tmp.path());
    no_raw_controls("cell", &err);
    assert!(err.contains("cell.csv, line 3"), "{err}");
    assert!(
        err.contains("found \"12\\u{1b}]0;pwned\\u{7}\\u{202e}111"),
        "{err}"
    );
    assert!(err.contains('…'), "{err}");
    assert!(err.len() < 1200, "{} bytes of error:\n{err}", err.len());
}

#[test]
fn the_library_reads_any_reader_in_bounded_memory() {
    // No file layer here: an endless reader is stopped by the header limit, and an endless
    // record by the record limit.
    let file = Path::new("endless.csv");
    let e = dualdraw::directory::read_targets(std::io::repeat(0), file).unwrap_err();
    assert!(e.to_string().contains("longer than 64 KiB"), "{e}");
    let head = std::io::Cursor::new(b"id,name,region,domains,status\n".to_vec());
    let e =
        dualdraw::directory::read_targets(std::io::Read::chain(head, std::io::repeat(b'a')), file)
            .unwrap_err();
    assert!(e.to_string().contains("endless.csv, line 2"), "{e}");
    assert!(e.to_string().contains("longer than 1 MiB"), "{e}");
}

#[test]
fn quoted_escapes_and_cuts() {
    assert_eq!(dualdraw::quoted("a\u{1b}[31mb"), "a\\u{1b}[31mb");
    assert_eq!(
        dualdraw::quoted("\u{200e}\u{200f}\u{2066}"),
        "\\u{200e}\\u{200f}\\u{2066}"
    );
    assert_eq!(dualdraw::quoted("甲乙"), "甲乙");
    let cut = dualdraw::quoted(&"x".repeat(1000));
    assert_eq!(cut, format!("{}…", "x".repeat(dualdraw::QUOTE_LIMIT)));
    assert_eq!(dualdraw::quoted_debug("a\"b\n"), "\"a\\\"b\\n\"");
}
