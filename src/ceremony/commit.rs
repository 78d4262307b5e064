//! Commit before the draw, and read the commitment back when the draw reveals it (SPEC.md §9.1,
//! §9.2).

use crate::commit::EntropySource;
use crate::directory::{Digest, Officers, Targets};
use crate::draw::CRATE_VERSION;
use crate::error::{ErrorKind, Result};
use crate::log::event::HeaderEvent;
use crate::log::{self, CommitHeader, Log, Mode};
use crate::merkle::Hash;
use crate::plan::Plan;

/// A commitment made: the log's first line, and the values to publish before the ceremony.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    /// The commit log: one header line binding the plan, both directories, the entropy source
    /// named in advance, and the commitment.
    pub log: Log,
    /// `SHA-256(str(COMMITMENT_TAG) || secret)`: publish it now.
    pub commitment: Hash,
}

/// Freezes a draw before any randomness exists: binds the plan (by its
/// [`digest`](Plan::digest)), both directories, the public entropy source named now, and a
/// commitment to `secret`, 32 bytes the operator keeps private until the draw (with the
/// `os-rng` feature, [`commit::new_secret`](crate::commit::new_secret) takes them from the
/// operating system).
///
/// ```
/// # let targets = dualdraw::directory::read_targets(
/// #     "id,name,region,domains,credit_class,status\n\
/// #      9144030071526726XG,甲公司,440300,无线电,A,active\n\
/// #      91120116MA05JKLM8J,乙公司,120116,无线电,B,active\n".as_bytes(),
/// #     "targets.csv".as_ref(),
/// # )?;
/// # let officers = dualdraw::directory::read_officers(
/// #     "id,name,department,region,cert_no,cert_expires,domains,status\n\
/// #      A1,张三,无线电管理处,120116,C1,2025-12-31,无线电,active\n\
/// #      A2,李四,无线电管理处,120101,C2,2025-12-31,无线电,active\n\
/// #      A3,王五,无线电管理处,120101,C3,2025-12-31,无线电,active\n".as_bytes(),
/// #     "officers.csv".as_ref(),
/// # )?;
/// # let plan = dualdraw::Plan::from_toml(r#"
/// #     id = "demo"
/// #     title = "demo"
/// #     inspection_date = "2020-10-20"
/// #     targets = "targets.csv"
/// #     officers = "officers.csv"
/// #     [[task]]
/// #     id = "radio"
/// #     domain = "无线电"
/// #     item = { name = "台站检查", basis = "无线电管理条例" }
/// #     sample = { count = 1 }
/// #     team = { size = 2 }
/// # "#, "plan.toml".as_ref())?;
/// use dualdraw::commit::EntropySource;
/// let source = EntropySource::new("dice", "dice thrown at the public ceremony on 2020-10-15")?;
/// let committed = dualdraw::ceremony::commit(&plan, &targets, &officers, &source, &[7; 32]);
/// assert_eq!(committed.log.lines.len(), 1);
/// assert!(committed.log.lines[0].contains(&hex::encode(committed.commitment)));
/// # Ok::<(), dualdraw::Error>(())
/// ```
pub fn commit(
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    entropy: &EntropySource,
    secret: &[u8; 32],
) -> Committed {
    let commitment = crate::commit::commitment(secret);
    let log = log::chain(vec![log::commit_event(&CommitHeader {
        plan,
        plan_digest: plan.digest,
        targets: targets.digest(),
        officers: officers.digest(),
        entropy,
        commitment,
        crate_version: CRATE_VERSION,
    })]);
    Committed { log, commitment }
}

/// A commit log read back before its draw: its one line and header.
#[derive(Debug, Clone)]
pub struct CommitLog<'a> {
    line: &'a str,
    header: HeaderEvent,
}

/// Which inputs differ from those a commitment froze.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Changed {
    /// The plan's digest differs.
    pub plan: bool,
    /// The target directory's head differs.
    pub targets: bool,
    /// The officer directory's head differs.
    pub officers: bool,
}

impl Changed {
    /// True when anything changed.
    pub fn any(&self) -> bool {
        self.plan || self.targets || self.officers
    }
}

fn commit_error(m: String) -> crate::Error {
    ErrorKind::Commit(m).into()
}

impl<'a> CommitLog<'a> {
    /// Reads a commit log: its chain must hold, its mode must be commit-reveal, and it must not
    /// have been drawn yet (a draw is never repeated).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Commit`] saying which of these fails.
    pub fn read(bytes: &'a [u8]) -> Result<CommitLog<'a>> {
        let entries =
            log::read(bytes).map_err(|e| commit_error(format!("not a valid commit log: {e}")))?;
        let header = match entries[0].header() {
            Ok(h) if h.mode == Mode::CommitReveal => h,
            _ => {
                return Err(commit_error(
                    "not a commit log (its mode is not commit-reveal)".into(),
                ));
            }
        };
        if entries.len() != 1 {
            return Err(commit_error(format!(
                "this commitment was already drawn ({} lines); a draw is never repeated (if its \
                 tables or head are missing after a crash, render them again from the log) — \
                 replace an officer who cannot attend instead",
                entries.len()
            )));
        }
        Ok(CommitLog {
            line: entries[0].line,
            header,
        })
    }

    /// The commitment, as the header writes it (hex).
    pub fn commitment(&self) -> &str {
        self.header.commitment.as_deref().unwrap_or("")
    }

    /// The plan digest the header froze (hex).
    pub fn plan_digest(&self) -> &str {
        &self.header.plan.digest
    }

    /// Which of these inputs differ from the frozen ones.
    pub fn changed(&self, plan: &Plan, targets: &Digest, officers: &Digest) -> Changed {
        let d = &self.header.directories;
        Changed {
            plan: self.header.plan.digest != hex::encode(plan.digest),
            targets: d.targets.head != hex::encode(targets.head),
            officers: d.officers.head != hex::encode(officers.head),
        }
    }

    /// Opens the commitment: checks the secret against it and the entropy, and returns the
    /// seed `hex(SHA-256(str(SEED_TAG) || secret || str(entropy) || SHA-256(commit line)))`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Commit`] when the secret does not open the commitment,
    /// [`ErrorKind::Seed`] for an entropy value the draw does not accept.
    pub fn open(&self, secret: &[u8; 32], entropy: &str) -> Result<String> {
        if hex::encode(crate::commit::commitment(secret)) != self.commitment() {
            return Err(commit_error(format!(
                "this secret does not open the commitment {}",
                self.commitment()
            )));
        }
        crate::commit::check_entropy(entropy)?;
        Ok(crate::commit::derive_seed(
            secret,
            entropy,
            &log::line_hash(self.line),
        ))
    }

    /// The commit line, which the draw's log continues.
    pub fn line(&self) -> &'a str {
        self.line
    }
}
