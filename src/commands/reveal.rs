//! Commit–reveal draws, replacements and publication (SPEC.md §9).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::DrawSummary;
use crate::commit::{self, EntropySource};
use crate::directory::{Enterprise, Targets};
use crate::draw::{self, Outcome, Replacement, ReplacementRequest};
use crate::error::{ErrorKind, Result};
use crate::io::{self, Inputs};
use crate::log::{self, Log};
use crate::merkle::Hash;
use crate::output;
use crate::verify;

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
    /// The head to publish.
    pub head: Hash,
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
        write!(f, "  head       {}", hex::encode(self.head))
    }
}

/// `dualdraw commit`: freezes the plan and directories, names the public entropy source and
/// commits to a fresh operator secret, before any randomness exists (feature `os-rng`).
#[cfg(feature = "os-rng")]
pub fn commit(plan_path: &Path, opts: &CommitOptions) -> Result<CommitSummary> {
    let inputs = io::load_inputs(plan_path)?;
    io::check_new_dir(&opts.out)?;
    let secret = commit::new_secret()?;
    let commitment = commit::commitment(&secret);
    let log = commit::commit_log(
        &inputs.plan,
        inputs.plan_digest,
        &inputs.targets,
        &inputs.officers,
        &opts.entropy,
        &secret,
    );
    let files = [
        ("draw.log", log.to_bytes()),
        (
            "draw.head",
            format!("{}\n", hex::encode(log.head())).into_bytes(),
        ),
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
        commitment,
        head: log.head(),
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
pub fn draw_committed(plan_path: &Path, r: &RevealOptions) -> Result<DrawSummary> {
    let old = io::read(&r.commit_log)?;
    let lines = verify::check_chain(&old).map_err(|e| {
        commit_error(format!(
            "{}: not a valid commit log: {e}",
            r.commit_log.display()
        ))
    })?;
    let header = &lines[0].1;
    if header.get("mode").and_then(Value::as_str) != Some("commit-reveal") {
        return Err(commit_error(format!(
            "{}: not a commit log (its mode is not commit-reveal)",
            r.commit_log.display()
        )));
    }
    if lines.len() != 1 {
        return Err(commit_error(format!(
            "{}: this commitment was already drawn ({} lines); a draw is never repeated — \
             use `dualdraw replace` for an officer who cannot attend",
            r.commit_log.display(),
            lines.len()
        )));
    }
    let field = |path: &[&str]| -> String {
        let mut v = header;
        for p in path {
            v = v.get(p).unwrap_or(&Value::Null);
        }
        v.as_str().unwrap_or("").to_string()
    };
    let inputs = io::load_inputs(plan_path)?;
    let dir = r.commit_log.parent().unwrap_or(Path::new("."));
    if field(&["plan", "digest"]) != hex::encode(inputs.plan_digest) {
        return Err(commit_error(format!(
            "the plan {} changed since it was committed (digest {} now, {} committed; the committed copy is {})",
            plan_path.display(),
            hex::encode(inputs.plan_digest),
            field(&["plan", "digest"]),
            dir.join("frozen/plan.toml").display()
        )));
    }
    let (td, od) = (inputs.targets.digest(), inputs.officers.digest());
    let targets_changed = field(&["directories", "targets", "head"]) != hex::encode(td.head);
    let officers_changed = field(&["directories", "officers", "head"]) != hex::encode(od.head);
    if targets_changed || officers_changed {
        let f = frozen(dir)?;
        let mut parts = Vec::new();
        if targets_changed {
            parts.push(format!(
                "target directory {}: {}",
                inputs.targets_path.display(),
                commit::diff_targets(&f.targets.records, &inputs.targets.records)
            ));
        }
        if officers_changed {
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
    if hex::encode(commit::commitment(&secret)) != field(&["commitment"]) {
        return Err(commit_error(format!(
            "{}: this secret does not open the commitment {} of {}",
            r.secret.display(),
            field(&["commitment"]),
            r.commit_log.display()
        )));
    }
    commit::check_entropy(&r.entropy)?;
    let seed = commit::derive_seed(&secret, &r.entropy, &log::line_hash(&lines[0].0));
    let outcome = draw::run(&inputs.plan, &inputs.targets, &inputs.officers, &seed)?;
    let mut log = Log {
        lines: lines.into_iter().map(|(l, _)| l).collect(),
    };
    log.append(vec![log::reveal_event(&secret, &r.entropy, &seed)]);
    log.append(log::draw_events(
        &inputs.plan,
        &inputs.targets.warnings,
        &outcome,
    ));
    for name in ["targets.csv", "teams.csv"] {
        io::check_absent(&dir.join(name))?;
    }
    // The log first: it is the record; the tables can always be derived from it.
    io::extend_file(&r.commit_log, &old, &log.to_bytes())?;
    io::replace_derived(
        &dir.join("draw.head"),
        format!("{}\n", hex::encode(log.head())).as_bytes(),
    )?;
    io::write_new_file(
        &dir.join("targets.csv"),
        &output::targets_csv(&inputs.targets, &outcome, r.excel),
    )?;
    io::write_new_file(
        &dir.join("teams.csv"),
        &output::teams_csv(&inputs.targets, &inputs.officers, &outcome, r.excel),
    )?;
    Ok(DrawSummary {
        seed,
        targets: td,
        officers: od,
        warnings: inputs.targets.warnings.clone(),
        drawn: inputs.targets.clone(),
        outcome,
        log,
        out: dir.to_path_buf(),
        plan: inputs.plan,
        committed: true,
    })
}

/// A verified log rebuilt: the outcome of its draw and its teams as they stand after the
/// replacements it records.
struct Rebuilt {
    lines: Vec<(String, Value)>,
    report: verify::Report,
    outcome: Outcome,
    current: Outcome,
    records: BTreeMap<String, Enterprise>,
    replacements: Vec<Replacement>,
    requests: Vec<ReplacementRequest>,
}

fn rebuild(bytes: &[u8], inputs: &Inputs) -> Result<Rebuilt> {
    let report = verify::verify(
        bytes,
        None,
        &inputs.plan,
        &inputs.plan_digest,
        &inputs.targets,
        &inputs.officers,
    )?;
    if !report.drawn {
        return Err(commit_error(
            "the log holds a commitment that has not been drawn yet".into(),
        ));
    }
    let lines = verify::check_chain(bytes)?;
    let selections = draw::select(&inputs.plan, &inputs.targets, &report.seed)?;
    let records: BTreeMap<String, Enterprise> = selections
        .iter()
        .flat_map(|s| s.drawn.iter().map(|(_, e)| (e.id.clone(), e.clone())))
        .collect();
    let apart = if report.mode == "operator-seed" {
        draw::apart_from_log(&inputs.plan, lines.iter().map(|(l, _)| l.as_str()))
    } else {
        crate::team::Apart::from_plan(&inputs.plan)
    };
    let outcome = draw::staff_with(&inputs.plan, selections, &inputs.officers, &apart)?;
    let requests: Vec<ReplacementRequest> = lines
        .iter()
        .filter(|(_, v)| v.get("event").and_then(Value::as_str) == Some("replacement"))
        .map(|(_, v)| {
            let f = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            ReplacementRequest {
                task: f("task"),
                enterprise: f("enterprise"),
                out: f("out"),
                reason: f("reason"),
            }
        })
        .collect();
    let mut current = outcome.clone();
    let replacements = draw::apply_replacements(
        &inputs.plan,
        &mut current,
        &records,
        &inputs.officers,
        &requests,
    )?;
    Ok(Rebuilt {
        lines,
        report,
        outcome,
        current,
        records,
        replacements,
        requests,
    })
}

/// `dualdraw replace`: records that an officer cannot attend and who replaces them — the next
/// lawful officer in the enterprise's seeded order — as a new, reasoned log entry.
pub fn replace(
    log_path: &Path,
    plan_path: &Path,
    request: ReplacementRequest,
) -> Result<(Replacement, Hash)> {
    let inputs = io::load_inputs(plan_path)?;
    let old = io::read(log_path)?;
    let mut rb = rebuild(&old, &inputs)?;
    rb.requests.push(request);
    let mut current = rb.outcome.clone();
    let done = draw::apply_replacements(
        &inputs.plan,
        &mut current,
        &rb.records,
        &inputs.officers,
        &rb.requests,
    )?;
    let new = done
        .last()
        .cloned()
        .ok_or_else(|| ErrorKind::Replacement("internal: no replacement was made".into()))?;
    let mut log = Log {
        lines: rb.lines.into_iter().map(|(l, _)| l).collect(),
    };
    log.append(vec![log::replacement_event(&new)]);
    io::extend_file(log_path, &old, &log.to_bytes())?;
    let head_file = log_path.with_file_name("draw.head");
    if head_file.exists() {
        io::replace_derived(
            &head_file,
            format!("{}\n", hex::encode(log.head())).as_bytes(),
        )?;
    }
    Ok((new, log.head()))
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

fn to_json(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// `dualdraw publish`: a self-contained folder a bureau can put on its website (一公开): the log
/// and head, the plan, the input digests, the seed materials and the results as CSV and JSON,
/// with officers' personal data only where the plan marks it public.
pub fn publish(log_path: &Path, plan_path: &Path, out: &Path) -> Result<PublishSummary> {
    let inputs = io::load_inputs(plan_path)?;
    let bytes = io::read(log_path)?;
    io::check_new_dir(out)?;
    let rb = rebuild(&bytes, &inputs)?;
    let header = &rb.lines[0].1;
    let plan = &inputs.plan;
    let public = |f: &str| plan.public_officer_fields.iter().any(|x| x == f);
    let officer_json = |id: &str, role: &str| {
        let o = inputs
            .officers
            .records
            .binary_search_by(|o| o.id.as_str().cmp(id))
            .ok()
            .map(|i| &inputs.officers.records[i]);
        let mut m = serde_json::Map::new();
        m.insert("role".into(), json!(role));
        m.insert("id".into(), json!(id));
        m.insert("cert_no".into(), json!(o.map(|o| o.cert_no.as_str())));
        if public("name") {
            m.insert("name".into(), json!(o.map(|o| o.name.as_str())));
        }
        if public("department") {
            m.insert("department".into(), json!(o.map(|o| o.department.as_str())));
        }
        if public("region") {
            m.insert("region".into(), json!(o.map(|o| o.region.as_str())));
        }
        Value::Object(m)
    };
    let mut targets = Vec::new();
    let mut teams = Vec::new();
    let mut teams_csv = csv::Writer::from_writer(Vec::new());
    let mut cols = vec![
        "task",
        "enterprise",
        "enterprise_name",
        "role",
        "officer_id",
        "cert_no",
    ];
    for f in ["name", "department", "region"] {
        if public(f) {
            cols.push(f);
        }
    }
    let _ = teams_csv.write_record(&cols);
    for t in &rb.current.tasks {
        for (d, team) in t.drawn.iter().zip(&t.teams) {
            let e = rb.records.get(&d.id);
            targets.push(json!({
                "task": t.task, "stratum": d.stratum.name(), "rank": d.rank, "id": d.id,
                "name": e.map(|e| e.name.as_str()), "region": e.map(|e| e.region.as_str()),
                "credit_class": e.and_then(|e| e.credit_class).map(|c| c.as_str()),
                "ticket": hex::encode(d.ticket),
            }));
            let members: Vec<Value> = team
                .officers
                .iter()
                .enumerate()
                .map(|(i, o)| officer_json(o, if i == 0 { "leader" } else { "member" }))
                .chain(team.experts.iter().map(|o| officer_json(o, "expert")))
                .collect();
            for m in &members {
                let mut row = vec![
                    t.task.clone(),
                    d.id.clone(),
                    e.map_or(String::new(), |e| e.name.clone()),
                ];
                for c in &cols[3..] {
                    let key = match *c {
                        "officer_id" => "id",
                        other => other,
                    };
                    row.push(m.get(key).and_then(Value::as_str).unwrap_or("").to_string());
                }
                let _ = teams_csv.write_record(&row);
            }
            teams.push(json!({ "task": t.task, "enterprise": d.id, "members": members }));
        }
    }
    let drawn = Targets {
        records: rb.records.values().cloned().collect(),
        warnings: Vec::new(),
    };
    let seed = json!({
        "mode": rb.report.mode,
        "seed": rb.report.seed,
        "commitment": header.get("commitment"),
        "entropy_source": header.get("entropy_source"),
        "reveal": rb.lines.get(1).filter(|(_, v)| v.get("event").and_then(Value::as_str) == Some("reveal")).map(|(_, v)| {
            json!({ "secret": v.get("secret"), "entropy": v.get("entropy"), "commit_line_sha256": hex::encode(log::line_hash(&rb.lines[0].0)) })
        }),
        "derivation": "SPEC.md §9: seed = hex(SHA-256(str(\"dualdraw/v1/seed\") || secret || str(entropy) || SHA-256(commit line)))",
    });
    let inputs_json = json!({
        "plan": header.get("plan"),
        "inspection_date": header.get("inspection_date"),
        "directories": header.get("directories"),
    });
    let replacements: Vec<Value> = rb
        .replacements
        .iter()
        .map(|r| json!({"task": r.task, "enterprise": r.enterprise, "out": r.out, "in": r.incoming, "reason": r.reason}))
        .collect();
    let readme = format!(
        "双随机、一公开 draw {id} — {title}\n\n\
         draw.log       the hash-chained draw log (SPEC.md §6); its head is in draw.head\n\
         plan.toml      the plan; its SHA-256 is the plan digest in the log header\n\
         inputs.json    digests of the plan and of both directories (RFC 6962 Merkle heads)\n\
         seed.json      how the seed was made{mode}\n\
         results/       drawn enterprises and teams (CSV and JSON), replacements applied\n\n\
         To verify, with the two directories at the paths the plan names:\n\
           dualdraw verify draw.log --plan plan.toml --head {head}\n\
         or, without this software: python3 verify.py draw.log --plan plan.toml (verifiers/python in the\n\
         dualdraw sources), or from SPEC.md alone.\n\
         An enterprise can check its own ticket: dualdraw prove / check-proof.\n",
        id = plan.id,
        title = plan.title,
        mode = if rb.report.mode == "commit-reveal" {
            " (committed secret + public entropy)"
        } else {
            " (operator seed: rehearsal, not proof against steering)"
        },
        head = hex::encode(rb.report.head),
    );
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("draw.log", bytes.clone()),
        (
            "draw.head",
            format!("{}\n", hex::encode(rb.report.head)).into_bytes(),
        ),
        ("plan.toml", io::read(plan_path)?),
        ("inputs.json", to_json(&inputs_json)),
        ("seed.json", to_json(&seed)),
        (
            "results/targets.csv",
            output::targets_csv(&drawn, &rb.current, true),
        ),
        ("results/targets.json", to_json(&Value::Array(targets))),
        (
            "results/teams.csv",
            [
                b"\xef\xbb\xbf".as_slice(),
                &teams_csv.into_inner().unwrap_or_default(),
            ]
            .concat(),
        ),
        ("results/teams.json", to_json(&Value::Array(teams))),
        (
            "results/replacements.json",
            to_json(&Value::Array(replacements)),
        ),
        ("README.txt", readme.into_bytes()),
    ];
    io::write_new_dir(out, &files)?;
    Ok(PublishSummary {
        out: out.to_path_buf(),
        files: files.iter().map(|(n, _)| n.to_string()).collect(),
        head: rb.report.head,
    })
}
