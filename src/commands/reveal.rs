//! Commit–reveal draws, replacements and publication (SPEC.md §9).

use std::fmt;
use std::path::{Path, PathBuf};

use super::DrawSummary;
use crate::ceremony::{self, CommitLog};
use crate::commit::{self, EntropySource};
use crate::directory::Targets;
use crate::draw::Draw;
use crate::error::{ErrorKind, Result};
use crate::io::{self, Inputs};
use crate::log::LogStore;
use crate::merkle::Hash;
use crate::team::{Replacement, ReplacementRequest};

/// Options of [`commit()`].
#[derive(Debug, Clone)]
pub struct CommitOptions {
    /// The new folder for the log, the frozen inputs and the secret.
    pub out: PathBuf,
    /// The public entropy source, named now, before its value exists.
    pub entropy: EntropySource,
}

/// What [`commit()`] did.
#[derive(Debug, Clone)]
pub struct CommitSummary {
    /// The folder written.
    pub out: PathBuf,
    /// The commitment to publish.
    pub commitment: Hash,
    /// The commit checkpoint to publish (also in `draw.head`).
    pub checkpoint: crate::log::Checkpoint,
    /// Where the secret is (keep it private until the draw).
    pub secret: PathBuf,
    /// The inputs frozen.
    pub inputs: Inputs,
}

impl fmt::Display for CommitSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, o) = (self.inputs.targets.digest(), self.inputs.officers.digest());
        writeln!(
            f,
            "committed plan {} — {}",
            self.inputs.plan.id, self.inputs.plan.title
        )?;
        writeln!(
            f,
            "  plan digest     {}",
            hex::encode(self.inputs.plan_digest)
        )?;
        writeln!(
            f,
            "  targets         {} records, head {}",
            t.count,
            hex::encode(t.head)
        )?;
        writeln!(
            f,
            "  officers        {} records, head {}",
            o.count,
            hex::encode(o.head)
        )?;
        writeln!(f, "  frozen copies   {}", self.out.join("frozen").display())?;
        writeln!(
            f,
            "  secret          {} (keep it private until the draw; it is revealed in the log then)",
            self.secret.display()
        )?;
        writeln!(f, "publish now:")?;
        writeln!(f, "  commitment {}", hex::encode(self.commitment))?;
        writeln!(
            f,
            "  commit checkpoint (draw.head; after the draw, `dualdraw consistency` proves the log extends it):"
        )?;
        write!(f, "{}", self.checkpoint.to_text().trim_end())
    }
}

/// `dualdraw commit`: freezes the plan and directories, names the public entropy source and
/// commits to a fresh operator secret, before any randomness exists.
///
/// # Errors
///
/// Every error of loading the plan and directories ([`load_inputs`](crate::io::load_inputs));
/// [`ErrorKind::OutputExists`](crate::ErrorKind::OutputExists) when the output folder is not empty;
/// [`ErrorKind::Seed`](crate::ErrorKind::Seed) when the operating system gives no randomness;
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when an input cannot be read again or the folder cannot
/// be written.
#[cfg(feature = "os-rng")]
pub fn commit(plan_path: &Path, opts: &CommitOptions) -> Result<CommitSummary> {
    let inputs = io::load_inputs(plan_path)?;
    io::check_new_dir(&opts.out)?;
    let secret = commit::new_secret()?;
    let committed = ceremony::commit(
        &inputs.plan,
        &inputs.targets,
        &inputs.officers,
        &opts.entropy,
        &secret,
    );
    let log = committed.log;
    let files = [
        ("draw.log", log.to_bytes()),
        ("draw.head", log.checkpoint().to_text().into_bytes()),
        (
            "operator.secret",
            format!("{}\n", hex::encode(secret)).into_bytes(),
        ),
        ("frozen/plan.toml", io::read(&inputs.plan_path)?),
        ("frozen/targets.csv", io::read(&inputs.targets_path)?),
        ("frozen/officers.csv", io::read(&inputs.officers_path)?),
    ];
    io::write_new_dir(&opts.out, &files)?;
    Ok(CommitSummary {
        secret: opts.out.join("operator.secret"),
        out: opts.out.clone(),
        commitment: committed.commitment,
        checkpoint: log.checkpoint(),
        inputs,
    })
}

/// Options of [`draw_committed`].
#[derive(Debug, Clone)]
pub struct RevealOptions {
    /// The commit log (`DIR/draw.log` written by [`commit()`]).
    pub commit_log: PathBuf,
    /// The secret file written by [`commit()`].
    pub secret: PathBuf,
    /// The public entropy, exactly as published.
    pub entropy: String,
    /// Write CSV results with a BOM for Excel.
    pub excel: bool,
}

fn commit_error(m: String) -> crate::Error {
    ErrorKind::Commit(m).into()
}

/// Loads the frozen copy beside a commit log, to name what changed.
fn frozen(commit_dir: &Path) -> Result<Inputs> {
    io::load_inputs(&commit_dir.join("frozen/plan.toml"))
}

/// `dualdraw draw --commit`: checks that the inputs still match the commitment, opens it with
/// the secret, derives the seed from secret, entropy and commit head, draws, and continues the
/// committed log. A second draw on the same commitment is refused.
///
/// # Errors
///
/// [`ErrorKind::Commit`](crate::ErrorKind::Commit) when the commit log is not an undrawn
/// commit-reveal log, when the plan or a directory changed since the commitment (naming what
/// changed), or when the secret does not open the commitment;
/// [`ErrorKind::Seed`](crate::ErrorKind::Seed) when the secret file does not hold 64 hex digits or
/// the entropy is not acceptable; [`ErrorKind::Io`](crate::ErrorKind::Io) when a file cannot be
/// read or written; every error of loading the inputs and of the draw
/// ([`Draw::run`](crate::Draw::run)); [`ErrorKind::OutputExists`](crate::ErrorKind::OutputExists)
/// when `targets.csv` or `teams.csv` already exists beside the log, or the log changed while the
/// draw ran.
pub fn draw_committed(plan_path: &Path, r: &RevealOptions) -> Result<DrawSummary> {
    // One writer at a time, taken before anything is read: a second draw on this commitment
    // is refused here, before it computes anything.
    let store = io::FileStore::new(&r.commit_log);
    let mut lock = store.lock()?;
    let old = store.read(&lock)?;
    let named = |e: crate::Error| match e.into_kind() {
        ErrorKind::Commit(m) => commit_error(format!("{}: {m}", r.commit_log.display())),
        other => other.into(),
    };
    let commit_log = CommitLog::read(&old).map_err(named)?;
    let inputs = io::load_inputs(plan_path)?;
    let dir = r.commit_log.parent().unwrap_or(Path::new("."));
    let (td, od) = (inputs.targets.digest(), inputs.officers.digest());
    // Name what changed against the frozen copies beside the commit log, record by record.
    let changed = commit_log.changed(&inputs.plan, &td, &od);
    if changed.plan {
        return Err(commit_error(format!(
            "the plan {} changed since it was committed (digest {} now, {} committed; the committed copy is {})",
            plan_path.display(),
            hex::encode(inputs.plan_digest),
            commit_log.plan_digest(),
            dir.join("frozen/plan.toml").display()
        )));
    }
    if changed.any() {
        let f = frozen(dir)?;
        let mut parts = Vec::new();
        if changed.targets {
            parts.push(format!(
                "target directory {}: {}",
                inputs.targets_path.display(),
                commit::diff_targets(&f.targets.records, &inputs.targets.records)
            ));
        }
        if changed.officers {
            parts.push(format!(
                "officer directory {}: {}",
                inputs.officers_path.display(),
                commit::diff_officers(&f.officers.records, &inputs.officers.records)
            ));
        }
        return Err(commit_error(format!(
            "the inputs changed since they were committed, against the frozen copy in {}: {}",
            dir.join("frozen").display(),
            parts.join("; ")
        )));
    }
    let secret_text = std::fs::read_to_string(&r.secret).map_err(|source| ErrorKind::Io {
        path: r.secret.clone(),
        source,
    })?;
    let secret = commit::parse_secret(&secret_text)?;
    let drawn = Draw::new(&inputs.plan)
        .reveal(&old, secret, &r.entropy)
        .run(&inputs.targets, &inputs.officers)
        .map_err(|e| match e.into_kind() {
            ErrorKind::Commit(m) => commit_error(format!(
                "{}: {m} of {}",
                r.secret.display(),
                r.commit_log.display()
            )),
            other => other.into(),
        })?;
    for name in ["targets.csv", "teams.csv", "teams.xlsx"] {
        io::check_absent(&dir.join(name))?;
    }
    // The log first: it is the record; the tables can always be derived from it.
    store.append(&mut lock, &old, &drawn.log.to_bytes())?;
    io::replace_derived(
        &dir.join("draw.head"),
        drawn.log.checkpoint().to_text().as_bytes(),
    )?;
    io::write_new_file(&dir.join("targets.csv"), &drawn.targets_csv(r.excel))?;
    io::write_new_file(
        &dir.join("teams.csv"),
        &drawn.teams_csv(&inputs.officers, r.excel),
    )?;
    #[cfg(feature = "xlsx")]
    if r.excel {
        io::write_new_file(
            &dir.join("teams.xlsx"),
            &drawn.assignment_sheet(&inputs.plan, &inputs.officers)?,
        )?;
    }
    Ok(DrawSummary {
        seed: drawn.seed,
        targets: td,
        officers: od,
        warnings: drawn.warnings,
        drawn: Targets {
            records: drawn.enterprises,
            warnings: Vec::new(),
        },
        outcome: drawn.outcome,
        log: drawn.log,
        out: dir.to_path_buf(),
        plan: inputs.plan,
        committed: true,
    })
}

/// `dualdraw replace`: records that an officer cannot attend and who replaces them — the next
/// lawful officer in the enterprise's seeded order — as a new, reasoned log entry.
///
/// # Errors
///
/// Every error of loading the plan and directories ([`load_inputs`](crate::io::load_inputs));
/// [`ErrorKind::Io`](crate::ErrorKind::Io) when the log cannot be read or rewritten;
/// [`ErrorKind::Verify`](crate::ErrorKind::Verify) when the log does not verify;
/// [`ErrorKind::Replacement`](crate::ErrorKind::Replacement) when the request names no drawn visit
/// or officer of it, or no lawful officer is left;
/// [`ErrorKind::OutputExists`](crate::ErrorKind::OutputExists) when the log changed while the
/// command ran.
#[cfg(feature = "os-rng")]
pub fn replace(
    log_path: &Path,
    plan_path: &Path,
    mut request: ReplacementRequest,
) -> Result<(Replacement, Hash)> {
    let inputs = io::load_inputs(plan_path)?;
    let store = io::FileStore::new(log_path);
    let mut lock = store.lock()?;
    let old = store.read(&lock)?;
    // A private text enters the log only as a salted commitment (SPEC.md §9.5).
    let (sealed, private) = request
        .reason
        .seal(inputs.plan.public_reasons, commit::new_secret()?);
    request.reason = sealed;
    let done = ceremony::replace(
        &old,
        &inputs.plan,
        &inputs.targets,
        &inputs.officers,
        request,
    )?;
    let new = done.log.to_bytes();
    let dir = log_path.parent().unwrap_or(Path::new("."));
    // The text and salt go into the private sidecar before the log names their commitment: a
    // crash between the two leaves an entry no line uses, never a commitment nobody can open.
    if let Some(p) = private {
        let path = dir.join(crate::reason::SIDECAR);
        let mut bytes = match path.exists() {
            true => io::read(&path)?,
            false => Vec::new(),
        };
        if !bytes.is_empty() && !bytes.ends_with(b"\n") {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(p.line().as_bytes());
        bytes.push(b'\n');
        io::replace_private(&path, &bytes)?;
    }
    store.append(&mut lock, &old, &new)?;
    // The tables beside the log follow it (in the form they were written: with a BOM for
    // Excel or not); a crash before this is repaired by `render`, which writes the same bytes.
    if dir.join("teams.csv").exists() || dir.join("draw.head").exists() {
        let excel = dir.join("teams.xlsx").exists()
            || std::fs::read(dir.join("teams.csv"))
                .is_ok_and(|b| b.starts_with("\u{feff}".as_bytes()));
        write_derived(dir, &new, &inputs, excel)?;
    }
    Ok((done.replacement, done.log.head()))
}

/// What [`publish`] wrote.
#[derive(Debug, Clone)]
pub struct PublishSummary {
    /// The folder written.
    pub out: PathBuf,
    /// Files in it.
    pub files: Vec<String>,
    /// The log head.
    pub head: Hash,
}

impl fmt::Display for PublishSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "published {}:", self.out.display())?;
        for name in &self.files {
            writeln!(f, "  {name}")?;
        }
        write!(f, "head {}", hex::encode(self.head))
    }
}

/// `dualdraw render`: writes a drawn log's `draw.head`, `targets.csv` and `teams.csv` again
/// from the verified log, under the log's writer lock — after a crash that left the log
/// extended but these unwritten or stale. The log itself is never changed.
///
/// # Errors
///
/// [`ErrorKind::LogBusy`] while another command extends the log; an input error; a
/// verification error if the log does not verify.
pub fn render(log_path: &Path, plan_path: &Path, excel: bool) -> Result<String> {
    let inputs = io::load_inputs(plan_path)?;
    let store = io::FileStore::new(log_path);
    let lock = store.lock()?;
    let bytes = store.read(&lock)?;
    let dir = log_path.parent().unwrap_or(Path::new("."));
    let head = write_derived(dir, &bytes, &inputs, excel)?;
    Ok(format!(
        "rendered draw.head, targets.csv and teams.csv in {} from the verified log\nhead {}",
        dir.display(),
        hex::encode(head)
    ))
}

/// Writes `draw.head`, `targets.csv` and `teams.csv` into `dir` from the log `bytes` (verified
/// first), each atomically; the head last, so that it names a log whose tables are written.
pub(super) fn write_derived(
    dir: &Path,
    bytes: &[u8],
    inputs: &io::Inputs,
    excel: bool,
) -> Result<Hash> {
    let r = ceremony::render(
        bytes,
        &inputs.plan,
        &inputs.targets,
        &inputs.officers,
        excel,
    )?;
    let head = r.checkpoint.to_text();
    #[allow(unused_mut)] // without the `xlsx` feature nothing is added
    let mut files = vec![
        ("targets.csv", &r.targets_csv[..]),
        ("teams.csv", &r.teams_csv[..]),
    ];
    #[cfg(feature = "xlsx")]
    if let Some(x) = &r.teams_xlsx {
        files.push(("teams.xlsx", &x[..]));
    }
    files.push(("draw.head", head.as_bytes()));
    for (name, b) in files {
        io::replace_derived(&dir.join(name), b)?;
    }
    Ok(r.head)
}

/// `dualdraw commit-reason REASON`: a private reason text for a plan's `[[recusal]]` (SPEC.md
/// §4.6, §9.5), sealed with a fresh salt. Returns the plan keys to write and the sidecar line to
/// keep beside the log (`reasons.private.jsonl`), never in the published folder.
///
/// # Errors
///
/// [`ErrorKind::Replacement`] when REASON is not `CATEGORY：TEXT` with a known category and a
/// one-line text; [`ErrorKind::Io`] when the OS gives no random salt.
#[cfg(feature = "os-rng")]
pub fn commit_reason(reason: &str) -> Result<String> {
    let parsed = crate::reason::Reason::parse(reason).map_err(ErrorKind::Replacement)?;
    if parsed.text.is_none() {
        return Err(ErrorKind::Replacement(
            "nothing to commit: give the category and the private text, e.g. \"利益冲突：其配偶任该企业财务\"".into(),
        )
        .into());
    }
    let (sealed, private) = parsed.seal(false, commit::new_secret()?);
    let (Some(c), Some(p)) = (sealed.commitment, private) else {
        return Err(ErrorKind::Replacement("the reason could not be sealed".into()).into());
    };
    Ok(format!(
        "in the plan's [[recusal]] entry:\n  category = \"{}\"\n  commitment = \"{}\"\n\
         keep this line in reasons.private.jsonl beside the log (never publish it):\n{}",
        p.category.key(),
        hex::encode(c),
        p.line()
    ))
}
