//! A log or proof converted on its way to a reader (issue 14, item 5): CRLF line ends or a
//! byte-order mark. The log is reported as converted (exit 2, with how to undo it), never as
//! forged (exit 1); converted back, it verifies. The same for a proof (`check-proof`), which
//! must be its canonical bytes. A single stray CR stays an edit (exit 1).

mod common;

use common::cli::{bin, code, show, stderr};

#[test]
fn a_converted_log_is_not_called_forged() {
    let dir = common::tmp();
    let out = dir.path().join("draw");
    let o = common::cli::draw(common::DEMO_PLAN, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let log = std::fs::read(out.join("draw.log")).unwrap();
    let crlf: Vec<u8> = String::from_utf8(log.clone())
        .unwrap()
        .replace('\n', "\r\n")
        .into_bytes();
    let bom = [b"\xef\xbb\xbf".as_slice(), &log].concat();
    let both = [b"\xef\xbb\xbf".as_slice(), &crlf].concat();
    for (name, bytes, how) in [
        ("crlf", &crlf, "(CRLF line ends)"),
        ("bom", &bom, "(a byte-order mark)"),
        ("both", &both, "(CRLF line ends and a byte-order mark)"),
    ] {
        let p = dir.path().join(format!("{name}.log"));
        std::fs::write(&p, bytes).unwrap();
        let o = common::cli::verify(&p, common::DEMO_PLAN, None);
        assert_eq!(code(&o), 2, "{name}: {}", show(&o));
        let e = stderr(&o);
        assert!(e.contains(&format!("this log was converted {how}")), "{e}");
        assert!(e.contains("dos2unix"), "{e}");
        assert!(
            !e.contains("verification failed") && !e.contains("chain"),
            "{e}"
        );
        // The independent verifier says the same.
        let py = std::process::Command::new("python3")
            .arg(common::cli::verify_py())
            .arg(&p)
            .args(["--plan", common::DEMO_PLAN])
            .current_dir(common::root())
            .output()
            .expect("python3");
        assert_eq!(code(&py), 2, "{name}: {}", show(&py));
        assert!(
            stderr(&py).contains(&format!("this log was converted {how}")),
            "{}",
            show(&py)
        );
    }
    // Converted back, as the message says, it verifies.
    let back: Vec<u8> = String::from_utf8(both[3..].to_vec())
        .unwrap()
        .replace("\r\n", "\n")
        .into_bytes();
    assert_eq!(back, log);
    // One stray CR is an edit: a verification failure, exit 1.
    let mut edited = log.clone();
    let first_lf = edited.iter().position(|&b| b == b'\n').unwrap();
    edited.insert(first_lf, b'\r');
    let p = dir.path().join("edited.log");
    std::fs::write(&p, &edited).unwrap();
    let o = common::cli::verify(&p, common::DEMO_PLAN, None);
    assert_eq!(code(&o), 1, "{}", show(&o));
}

#[test]
fn a_converted_proof_says_it_was_converted() {
    let dir = common::tmp();
    let out = dir.path().join("draw");
    let o = common::cli::draw(common::DEMO_PLAN, &out);
    assert_eq!(code(&o), 0, "{}", show(&o));
    let head = std::fs::read_to_string(out.join("draw.head")).unwrap();
    let first = common::demo_draw().outcome.tasks[0].drawn[0].id.clone();
    let proof = dir.path().join("proof.json");
    let o = bin()
        .arg("prove")
        .arg(out.join("draw.log"))
        .args(["--plan", common::DEMO_PLAN, "--enterprise", &first, "--out"])
        .arg(&proof)
        .output()
        .unwrap();
    assert_eq!(code(&o), 0, "{}", show(&o));
    let bytes = std::fs::read_to_string(&proof).unwrap();
    let check = |p: &std::path::Path| {
        bin()
            .arg("check-proof")
            .arg(p)
            .args(["--head", head.trim()])
            .output()
            .unwrap()
    };
    let crlf = dir.path().join("crlf.json");
    std::fs::write(&crlf, bytes.replace('\n', "\r\n")).unwrap();
    let o = check(&crlf);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(
        stderr(&o).contains("this proof was converted (CRLF line ends)"),
        "{}",
        show(&o)
    );
    let bom = dir.path().join("bom.json");
    std::fs::write(&bom, format!("\u{feff}{bytes}")).unwrap();
    let o = check(&bom);
    assert_eq!(code(&o), 2, "{}", show(&o));
    assert!(
        stderr(&o).contains("this proof was converted (a byte-order mark)"),
        "{}",
        show(&o)
    );
}
