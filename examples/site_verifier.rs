//! The verifier inside the published notice (`dualdraw publish --verifier`): the library's pure
//! core built for `wasm32-wasip1`, which the page runs with a small in-memory WASI shim
//! (`site/wasi.js`). The page puts the published folder at `/pub`.
//!
//! ```text
//! site_verifier verify PLAN LOG        the full check, exactly as verify_folder (and `dualdraw
//!                                      verify`): chain, head (draw.head beside the log), plan and
//!                                      directory digests, a re-run of the draw; then whether each
//!                                      file the log implies (results/…) is published as it is:
//!                                      `=== same NAME` or `=== differs NAME`
//! site_verifier chain PLAN LOG         without the directories: the chain, the head and the plan
//!                                      digest, and what could not be checked
//! site_verifier lookup PLAN LOG CODE   one enterprise: its proof built from the verified folder
//!                                      and checked against the published head (SPEC.md §10)
//! site_verifier check-proof PROOF HEAD a proof file against a head file
//! ```
//!
//! Exit codes as `dualdraw verify`: 0 verified, 1 verification failed, 2 bad input or usage.
//!
//! ```sh
//! cargo build --profile web --example site_verifier --target wasm32-wasip1 --no-default-features
//! ```

#![forbid(unsafe_code)]

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use dualdraw::{Error, ErrorKind};

#[allow(dead_code)]
#[path = "verify_folder.rs"]
mod verify_folder;

const USAGE: &str = "usage: site_verifier verify PLAN LOG | chain PLAN LOG | lookup PLAN LOG CODE | check-proof PROOF HEAD";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["verify", plan, log] => verify(Path::new(plan), Path::new(log)),
        ["chain", plan, log] => chain(Path::new(plan), Path::new(log)),
        ["lookup", plan, log, code] => lookup(Path::new(plan), Path::new(log), code),
        ["check-proof", proof, head] => check_proof(Path::new(proof), Path::new(head)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match out {
        Ok(text) => {
            let _ = std::io::stdout().write_all(&text);
            ExitCode::SUCCESS
        }
        Err(f) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// A failed run: the exit code and the message.
struct Failure {
    code: u8,
    message: String,
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            code: if e.is_verification() { 1 } else { 2 },
            message: e.to_string(),
        }
    }
}

impl From<dualdraw::proof::ProofError> for Failure {
    fn from(e: dualdraw::proof::ProofError) -> Self {
        Failure {
            code: match e {
                dualdraw::proof::ProofError::Failed { .. } => 1,
                _ => 2,
            },
            message: e.to_string(),
        }
    }
}

/// verify_folder's report, then, for each file `publish` derives from the verified log, whether
/// the published copy beside the log is byte for byte that file: `=== same NAME` or `=== differs
/// NAME`. One verification and one re-run of the draw give both; the page then reads the tables
/// it checks from the published copies it found the same.
fn verify(plan_path: &Path, log: &Path) -> Result<Vec<u8>, Failure> {
    let (plan, targets, officers) = verify_folder::load(plan_path)?;
    let (head, head_source) = verify_folder::published_head(log, None)?;
    let bytes = read(log)?;
    // The folder was published on the date its last `publication` line records; publishing
    // the verified log again on that date adds no line and derives the same files.
    let date = dualdraw::log::read(&bytes)
        .map_err(Error::from)?
        .iter()
        .filter_map(|e| match e.event() {
            Ok(dualdraw::Event::Publication(p)) => {
                chrono::NaiveDate::parse_from_str(&p.date, "%Y-%m-%d").ok()
            }
            _ => None,
        })
        .next_back()
        .unwrap_or(plan.inspection_date);
    let (report, published) = dualdraw::publish::publish_verified(
        &bytes,
        head.as_ref(),
        &read(plan_path)?,
        &plan,
        &targets,
        &officers,
        date,
    )?;
    let mut out = verify_folder::report_text(&report, head_source).into_bytes();
    let folder = log.parent().unwrap_or(Path::new(""));
    for (name, derived) in published.files {
        // A missing or unreadable copy differs as much as an edited one.
        let same = std::fs::read(folder.join(&name)).is_ok_and(|b| b == derived);
        let verdict = if same { "same" } else { "differs" };
        out.extend_from_slice(format!("=== {verdict} {name}\n").as_bytes());
    }
    Ok(out)
}

/// What can be checked with the published folder alone.
fn chain(plan_path: &Path, log: &Path) -> Result<Vec<u8>, Failure> {
    let bytes = read(log)?;
    // `log::read` checks the hash chain (SPEC.md §7 step 1) as `verify` does.
    let entries = dualdraw::log::read(&bytes).map_err(Error::from)?;
    let lines: Vec<&str> = entries.iter().map(|e| e.line).collect();
    let head_file = log.with_file_name("draw.head");
    let published = checkpoint(&head_file)?;
    let computed = dualdraw::log::Log {
        lines: lines.iter().map(|l| l.to_string()).collect(),
    }
    .checkpoint();
    if computed != published {
        return Err(Error::from(dualdraw::VerifyError::HeadMismatch {
            expected: published.to_text().trim_end().replace('\n', " "),
            found: computed.to_text().trim_end().replace('\n', " "),
            lines: lines.len() as u64,
        })
        .into());
    }
    let head = computed.root;
    let plan_bytes = read(plan_path)?;
    let digest = hex::encode(<[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(
        &plan_bytes,
    )));
    let header: serde_json::Value = serde_json::from_str(lines.first().copied().unwrap_or(""))
        .map_err(|e| verification(format!("line 1: not JSON ({e})")))?;
    let logged = header["plan"]["digest"].as_str().unwrap_or("");
    if logged != digest {
        return Err(verification(format!(
            "line 1: the header's plan digest is {logged} but plan.toml's SHA-256 is {digest}"
        )));
    }
    Ok(format!(
        "checked: hash chain of {} lines, head {} matches draw.head, plan digest {digest}\n\
         not checked: the directory digests and the re-run of the draw (the directories are not published)\n",
        lines.len(),
        hex::encode(head)
    )
    .into_bytes())
}

/// One enterprise's proof, built and checked here.
fn lookup(plan_path: &Path, log: &Path, code: &str) -> Result<Vec<u8>, Failure> {
    let (_, targets, officers) = verify_folder::load(plan_path)?;
    let head_file = log.with_file_name("draw.head");
    let published = checkpoint(&head_file)?;
    let prover = dualdraw::proof::Prover::new(
        &read(log)?,
        Some(&published.root),
        &read(plan_path)?,
        plan_path,
        &targets,
        &officers,
    )?;
    let proof = prover.prove(code.trim())?;
    Ok(checked_text(&dualdraw::proof::check(
        &proof.to_bytes(),
        &published,
    )?))
}

/// The checker's report, then one line per task for the page: `@ TASK VERDICT TICKET CUTOFF`.
fn checked_text(checked: &dualdraw::proof::Checked) -> Vec<u8> {
    let mut out = format!("{checked}\n");
    for t in &checked.tasks {
        let verdict = match t.verdict {
            dualdraw::proof::Verdict::Drawn => "drawn",
            dualdraw::proof::Verdict::NotDrawn => "not-drawn",
            dualdraw::proof::Verdict::NotEligible => "not-eligible",
        };
        let cutoff = t.stratum.as_ref().and_then(|s| s.cutoff.as_deref());
        out.push_str(&format!(
            "@ {} {verdict} {} {}\n",
            t.task,
            t.ticket,
            cutoff.unwrap_or("-")
        ));
    }
    out.into_bytes()
}

fn check_proof(proof: &Path, head_file: &Path) -> Result<Vec<u8>, Failure> {
    let published = checkpoint(head_file)?;
    Ok(checked_text(&dualdraw::proof::check(
        &read(proof)?,
        &published,
    )?))
}

fn verification(message: String) -> Failure {
    Failure {
        code: 1,
        message: format!("verification failed: {message}"),
    }
}

/// The checkpoint a `draw.head` file holds (SPEC.md §6.3).
fn checkpoint(file: &Path) -> Result<dualdraw::log::Checkpoint, Error> {
    let text = String::from_utf8_lossy(&read(file)?).into_owned();
    dualdraw::log::Checkpoint::parse(&text).map_err(|e| {
        Error::from(ErrorKind::InvalidField {
            pos: dualdraw::Position::file(file),
            found: text.trim().to_string(),
            expected: format!("a checkpoint: origin, tree size and root ({e})"),
        })
    })
}

fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|source| {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}
