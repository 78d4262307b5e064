//! File I/O at the edges: loading a plan and its directories, and writing outputs atomically.
//!
//! Nothing else in the crate touches the file system.

mod fault;
mod stale;
#[cfg(feature = "xlsx")]
mod xlsx;

#[cfg(feature = "xlsx")]
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::directory::{self, Officers, Targets};
use crate::error::{ErrorKind, Result};
use crate::log::{LogStore, check_append};
use crate::merkle::Hash;
use crate::plan::Plan;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> crate::Error + '_ {
    move |source| {
        ErrorKind::Io {
            path: path.to_path_buf(),
            source,
        }
        .into()
    }
}

/// Names, in an error opening or reading a directory file, the plan key `key` (`targets` or
/// `officers`) and the plan file that named it; other errors pass unchanged.
///
/// ```
/// # use std::path::Path;
/// let e = dualdraw::io::read(Path::new("no/such/targets.csv")).unwrap_err();
/// let e = dualdraw::io::named_by("targets", Path::new("no/such/plan.toml"))(e);
/// assert!(e.to_string().ends_with("(named by `targets` in no/such/plan.toml)"), "{e}");
/// ```
pub fn named_by<'a>(
    key: &'static str,
    plan_file: &'a Path,
) -> impl FnOnce(crate::Error) -> crate::Error + 'a {
    move |e| match e.into_kind() {
        ErrorKind::Io { path, source } => ErrorKind::PlanInput {
            path,
            key,
            plan: plan_file.to_path_buf(),
            source,
        }
        .into(),
        other => other.into(),
    }
}

/// Reads a whole file.
///
/// # Errors
///
/// [`ErrorKind::Io`], naming `path`, when the file cannot be read.
pub fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(io_err(path))
}

/// Whether a published file (a log, a proof) was converted on its way to the reader: a
/// byte-order mark added, or every line end made CRLF (a Windows download, git's autocrlf).
/// The hashes are over the bytes as published (SPEC.md §6), so such a copy cannot be checked
/// — but it is no evidence of tampering either.
pub fn converted(bytes: &[u8]) -> Option<&'static str> {
    crate::log::converted::detect(bytes).map(|c| c.describe())
}

/// The error for a published file that [`converted`] recognises.
pub fn converted_error(path: &Path, what: &str, how: &str) -> crate::Error {
    ErrorKind::Input {
        file: path.to_path_buf(),
        message: format!(
            "this {what} was converted ({how}), as a Windows download or git's autocrlf does; \
             that is not a sign of tampering, but it can only be checked as published: \
             re-download it, or convert it back with `dos2unix {}` (removes the CRs and the \
             byte-order mark)",
            path.display()
        ),
    }
    .into()
}

/// Reads a published log, refusing a converted copy ([`converted`]) with an input error
/// rather than reporting its hash chain as broken.
///
/// # Errors
///
/// [`ErrorKind::Io`] when it cannot be read; [`ErrorKind::Input`] for a converted copy.
pub fn read_log(path: &Path) -> Result<Vec<u8>> {
    let bytes = read(path)?;
    match converted(&bytes) {
        Some(how) => Err(converted_error(path, "log", how)),
        None => Ok(bytes),
    }
}

/// The largest plan file read, in bytes.
pub const MAX_PLAN_BYTES: u64 = 16 << 20;

/// Refuses anything but a regular file (after following symbolic links): a device such as
/// `/dev/zero`, a FIFO, a socket or a folder is never read as an input.
///
/// # Errors
///
/// [`ErrorKind::Io`], naming `path`, when it cannot be examined or is not a regular file.
pub fn check_regular(path: &Path) -> Result<fs::Metadata> {
    let meta = fs::metadata(path).map_err(io_err(path))?;
    let ft = meta.file_type();
    let what = if ft.is_dir() {
        "a folder"
    } else if !ft.is_file() {
        special_kind(&ft)
    } else if pseudo_file(path) {
        // procfs and sysfs files say they are regular (of size 0): `/proc/self/environ`.
        "a kernel pseudo-file under /proc or /sys"
    } else {
        return Ok(meta);
    };
    Err(io_err(path)(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!(
            "not a regular file ({what}); only a regular file, or `-` for standard input, is read"
        ),
    )))
}

/// True for a file of the kernel's pseudo file systems, which pass for regular files.
fn pseudo_file(path: &Path) -> bool {
    cfg!(target_os = "linux")
        && fs::canonicalize(path).is_ok_and(|p| p.starts_with("/proc") || p.starts_with("/sys"))
}

#[cfg(unix)]
fn special_kind(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_fifo() {
        "a FIFO"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// Opens an input file for reading, refusing anything but a regular file
/// ([`check_regular`]) before it is opened (so that a FIFO cannot block the open).
///
/// # Errors
///
/// [`ErrorKind::Io`], naming `path`, when it is not a regular file or cannot be opened.
pub fn open_regular(path: &Path) -> Result<File> {
    check_regular(path)?;
    File::open(path).map_err(io_err(path))
}

/// A plan with its directories, loaded and validated.
#[derive(Debug, Clone)]
pub struct Inputs {
    /// The plan file.
    pub plan_path: PathBuf,
    /// The plan.
    pub plan: Plan,
    /// SHA-256 of the plan file's bytes.
    pub plan_digest: Hash,
    /// Target directory file (resolved against the plan's folder).
    pub targets_path: PathBuf,
    /// The target directory.
    pub targets: Targets,
    /// Officer directory file (resolved against the plan's folder).
    pub officers_path: PathBuf,
    /// The officer directory.
    pub officers: Officers,
    /// What the target directory's header supplied, and the form it came in.
    pub targets_audit: directory::Audit,
    /// What the officer directory's header supplied, and the form it came in.
    pub officers_audit: directory::Audit,
}

/// Loads and validates a plan file: returns the plan and the SHA-256 of its bytes.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be read; those of [`Plan::parse`]:
/// [`ErrorKind::PlanSyntax`] for a plan that is not UTF-8 or not TOML, [`ErrorKind::InvalidField`]
/// or [`ErrorKind::TwoOfficerRule`] for a value that breaks a rule.
pub fn load_plan(path: &Path) -> Result<(Plan, Hash)> {
    let plan = Plan::parse(&read_plan(path)?, path)?;
    let digest = plan.digest;
    Ok((plan, digest))
}

/// A plan file's bytes: a regular file of at most [`MAX_PLAN_BYTES`].
fn read_plan(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let f = open_regular(path)?;
    let mut bytes = Vec::new();
    f.take(MAX_PLAN_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err(path))?;
    if bytes.len() as u64 > MAX_PLAN_BYTES {
        return Err(io_err(path)(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "the plan is larger than {} MiB; a plan is a short TOML file",
                MAX_PLAN_BYTES >> 20
            ),
        )));
    }
    Ok(bytes)
}

/// Opens a directory file for reading (SPEC.md §3.4): a workbook is read with its sheet (the
/// plan's `[input] targets_sheet` or `officers_sheet`, or the first), any other file is decoded and its delimiter
/// detected; the header is accounted for ([`directory::prepare`]). `-` is standard input.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the file cannot be opened; those of [`directory::prepare`];
/// [`ErrorKind::Input`] for a workbook that cannot be read.
pub fn open_directory(
    path: &Path,
    which: directory::Which,
    rule: &directory::InputRule,
) -> Result<(Box<dyn std::io::Read + Send>, directory::Audit)> {
    if path == Path::new("-") {
        let stdin = std::io::BufReader::with_capacity(1 << 20, std::io::stdin());
        return directory::prepare(stdin, path, which, rule);
    }
    let f = open_regular(path)?;
    #[cfg(feature = "xlsx")]
    if xlsx::is_workbook(path) {
        drop(f);
        let (sheet, key) = match which {
            directory::Which::Targets => (&rule.targets_sheet, "targets_sheet"),
            directory::Which::Officers => (&rule.officers_sheet, "officers_sheet"),
        };
        let csv = xlsx::workbook_csv(path, sheet.as_deref(), key)?;
        return directory::prepare(std::io::Cursor::new(csv), path, which, rule);
    }
    directory::prepare(
        std::io::BufReader::with_capacity(1 << 20, f),
        path,
        which,
        rule,
    )
}

/// Loads a plan and both directories it names (paths relative to the plan's folder).
///
/// # Errors
///
/// Those of [`load_plan`]; [`ErrorKind::PlanInput`], naming the plan key and the plan, when a
/// directory the plan names cannot be opened; those of [`Targets::read_for`] and
/// [`read_officers`](crate::directory::read_officers) for the directories ([`ErrorKind::Io`],
/// [`ErrorKind::Csv`], [`ErrorKind::MissingColumn`], [`ErrorKind::DuplicateColumn`],
/// [`ErrorKind::InvalidField`], [`ErrorKind::DuplicateId`]).
pub fn load_inputs(plan_path: &Path) -> Result<Inputs> {
    let (plan, plan_digest) = load_plan(plan_path)?;
    let base = plan_path.parent().unwrap_or(Path::new(""));
    let targets_path = base.join(&plan.targets);
    let officers_path = base.join(&plan.officers);
    let (f, targets_audit) = open_directory(&targets_path, directory::Which::Targets, &plan.input)
        .map_err(named_by("targets", plan_path))?;
    let targets = Targets::read_for(f, &targets_path, plan.inspection_date)?;
    let (f, officers_audit) =
        open_directory(&officers_path, directory::Which::Officers, &plan.input)
            .map_err(named_by("officers", plan_path))?;
    let officers = directory::read_officers(f, &officers_path)?;
    Ok(Inputs {
        targets_audit,
        officers_audit,
        plan_path: plan_path.to_path_buf(),
        plan,
        plan_digest,
        targets_path,
        targets,
        officers_path,
        officers,
    })
}

/// Refuses an output directory that already holds anything.
///
/// # Errors
///
/// [`ErrorKind::OutputExists`] when `dir` holds a `draw.log` or anything else; [`ErrorKind::Io`]
/// when it exists but cannot be listed.
pub fn check_new_dir(dir: &Path) -> Result<()> {
    match fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err(dir)(e)),
        Ok(mut entries) => {
            if dir.join("draw.log").exists() {
                Err(ErrorKind::OutputExists {
                    path: dir.join("draw.log"),
                    reason: "a draw log already exists here".into(),
                }
                .into())
            } else if entries.next().is_some() {
                Err(ErrorKind::OutputExists {
                    path: dir.to_path_buf(),
                    reason: "the output directory is not empty".into(),
                }
                .into())
            } else {
                Ok(())
            }
        }
    }
}

/// Creates `dir` holding exactly `files`, all or nothing.
///
/// The files are written into a fresh sibling directory, each fsynced, and that directory is
/// renamed to `dir` in one step; a crash leaves either no `dir` or the complete one. An
/// existing non-empty `dir` is never replaced.
///
/// # Errors
///
/// Those of [`check_new_dir`]; [`ErrorKind::Io`] when a folder or file cannot be created, written,
/// synced or renamed into place (also when another writer created `dir` first).
pub fn write_new_dir(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    check_new_dir(dir)?;
    let parent = parent_of(dir);
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    stale::sweep(&parent);
    step(&parent)?;
    let staging = tempfile::Builder::new()
        .prefix(stale::STAGING_PREFIX)
        .tempdir_in(&parent)
        .map_err(io_err(&parent))?;
    let _held = stale::hold(staging.path()).map_err(io_err(staging.path()))?;
    for (name, bytes) in files {
        let p = staging.path().join(name);
        if let Some(sub) = p.parent() {
            step(sub)?;
            fs::create_dir_all(sub).map_err(io_err(sub))?;
        }
        step(&p)?;
        let mut f = File::create(&p).map_err(io_err(&p))?;
        // Secrets (`*.secret`) are readable by their owner only.
        #[cfg(unix)]
        if name.ends_with(".secret") {
            use std::os::unix::fs::PermissionsExt;
            f.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(io_err(&p))?;
        }
        step(&p)?;
        f.write_all(bytes).map_err(io_err(&p))?;
        step(&p)?;
        f.sync_all().map_err(io_err(&p))?;
        if let Some(sub) = p.parent() {
            sync_dir(sub)?;
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(staging.path(), fs::Permissions::from_mode(0o755))
            .map_err(io_err(staging.path()))?;
    }
    sync_dir(staging.path())?;
    step(dir)?;
    // rename(2) replaces only an empty directory, so a racing writer cannot be overwritten.
    fs::rename(staging.path(), dir).map_err(io_err(dir))?;
    let _ = staging.keep();
    sync_dir(&parent)
}

/// A log file whose writers take turns: an advisory lock on a lock file beside the log (the
/// operating system's file lock, released when its holder's process ends, so a crash never
/// leaves the log locked), and appends by temporary file, fsync and rename, checked against
/// the bytes the writer read.
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

impl FileStore {
    /// The store of the log at `path`.
    pub fn new(path: &Path) -> Self {
        FileStore {
            path: path.to_path_buf(),
        }
    }

    /// The lock file: `.NAME.lock` beside the log `NAME`.
    fn lock_path(&self) -> PathBuf {
        let name = self
            .path
            .file_name()
            .map_or_else(|| "log".into(), |n| n.to_string_lossy().into_owned());
        self.path.with_file_name(format!(".{name}.lock"))
    }
}

impl LogStore for FileStore {
    type Lock<'a> = File;

    fn lock(&self) -> Result<File> {
        let p = self.lock_path();
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(io_err(&p))?;
        match f.try_lock() {
            Ok(()) => {
                // Under the lock no other writer of this log is alive, so what is stale here
                // can go (entries of writers of other files are protected by their own locks).
                stale::sweep(&parent_of(&self.path));
                Ok(f)
            }
            Err(fs::TryLockError::WouldBlock) => Err(ErrorKind::LogBusy {
                path: self.path.clone(),
            }
            .into()),
            Err(fs::TryLockError::Error(e)) => Err(io_err(&p)(e)),
        }
    }

    fn read(&self, _lock: &File) -> Result<Vec<u8>> {
        read(&self.path)
    }

    fn append(&self, _lock: &mut File, old: &[u8], new: &[u8]) -> Result<()> {
        let current = read(&self.path)?;
        check_append(&self.path.display().to_string(), &current, old, new)?;
        replace_derived(&self.path, new)
    }
}

/// Refuses a path that exists.
///
/// # Errors
///
/// [`ErrorKind::OutputExists`] when `path` exists.
pub fn check_absent(path: &Path) -> Result<()> {
    if path.exists() {
        Err(ErrorKind::OutputExists {
            path: path.to_path_buf(),
            reason: "the file already exists".into(),
        }
        .into())
    } else {
        Ok(())
    }
}

/// The folder a file is in (`.` for a bare name).
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A temporary file beside `path`, readable like an ordinary result file (temporary files are
/// created 0600).
fn temp_beside(path: &Path) -> Result<(tempfile::NamedTempFile, Option<File>)> {
    let parent = parent_of(path);
    step(&parent)?;
    let tmp = tempfile::Builder::new()
        .prefix(stale::TEMP_PREFIX)
        .tempfile_in(&parent)
        .map_err(io_err(&parent))?;
    let held = stale::hold(tmp.path()).map_err(io_err(tmp.path()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(io_err(path))?;
    }
    Ok((tmp, held))
}

/// Atomically replaces a file that is derived from the log (such as `draw.head`), by temporary
/// file, fsync and rename. Never use it for a record.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the temporary file cannot be created, written, synced or renamed over
/// `path`.
pub fn replace_derived(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_atomically(path, bytes, false)
}

/// Atomically replaces a private file kept beside a log (the reasons sidecar, SPEC.md §9.5) by
/// temporary file, fsync and rename, like [`replace_derived`], and readable by its owner only.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the temporary file cannot be created, written, synced or renamed over
/// `path`.
pub fn replace_private(path: &Path, bytes: &[u8]) -> Result<()> {
    replace_atomically(path, bytes, true)
}

/// Temporary file beside `path` (owner-only when `private`), write, fsync, rename, folder
/// sync: each step a fault point (`io::fault`).
fn replace_atomically(path: &Path, bytes: &[u8], private: bool) -> Result<()> {
    let (mut tmp, _held) = temp_beside(path)?;
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::PermissionsExt as _;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o600))
            .map_err(io_err(path))?;
    }
    #[cfg(not(unix))]
    let _ = private;
    step(path)?;
    tmp.write_all(bytes).map_err(io_err(path))?;
    step(path)?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    step(path)?;
    tmp.persist(path).map_err(|e| io_err(path)(e.error))?;
    sync_dir(&parent_of(path))
}

/// Writes one file atomically: a temporary file in the same folder, fsync, rename.
/// Refuses to replace an existing file.
///
/// # Errors
///
/// Those of [`write_new_file_with`].
pub fn write_new_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_new_file_with(path, |w| w.write_all(bytes).map_err(io_err(path)))
}

/// Like [`write_new_file`], with the contents produced by `fill` into a buffered writer. If
/// `fill` fails, no file is left behind.
///
/// # Errors
///
/// [`ErrorKind::OutputExists`] when `path` exists; [`ErrorKind::Io`] when the temporary file cannot
/// be created, written, synced or renamed to `path` (also when `path` appeared meanwhile); any
/// error `fill` returns.
pub fn write_new_file_with<T>(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&File>) -> Result<T>,
) -> Result<T> {
    check_absent(path)?;
    stale::sweep(&parent_of(path));
    let (tmp, _held) = temp_beside(path)?;
    let value = {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file());
        step(path)?;
        let v = fill(&mut w)?;
        w.flush().map_err(io_err(path))?;
        v
    };
    step(path)?;
    tmp.as_file().sync_all().map_err(io_err(path))?;
    step(path)?;
    tmp.persist_noclobber(path)
        .map_err(|e| io_err(path)(e.error))?;
    sync_dir(&parent_of(path))?;
    Ok(value)
}

fn sync_dir(dir: &Path) -> Result<()> {
    step(dir)?;
    File::open(dir)
        .and_then(|f| f.sync_all())
        .map_err(io_err(dir))
}

/// A write boundary of the fault-injection hook ([`fault`]): `Ok` unless a test planned a full
/// disk at this step.
fn step(path: &Path) -> Result<()> {
    fault::point().map_err(io_err(path))
}

/// A folder for the sorted runs of `dualdraw sort`, in `tmp_dir` or the system's temporary
/// folder, locked while the sort lives; spill of sorts that died there is removed first.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the folder cannot be created or locked.
pub(crate) fn spill_dir(tmp_dir: Option<&Path>) -> Result<SpillDir> {
    let base = tmp_dir.map_or_else(std::env::temp_dir, Path::to_path_buf);
    stale::sweep(&base);
    let dir = tempfile::Builder::new()
        .prefix(stale::SPILL_PREFIX)
        .tempdir_in(&base)
        .map_err(io_err(&base))?;
    let held = stale::hold(dir.path()).map_err(io_err(dir.path()))?;
    Ok(SpillDir { dir, _held: held })
}

/// The sort's spill folder and its lock; removed when dropped.
pub(crate) struct SpillDir {
    dir: tempfile::TempDir,
    _held: Option<File>,
}

impl SpillDir {
    /// Where the runs go.
    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }
}
