//! 一公开: the folder a bureau puts on its website, as values — every file's name and bytes.
//!
//! The log and head, the plan, the input digests, the seed materials and the results as CSV
//! and JSON, replacements applied, with officers' personal data only where the plan marks it
//! public (`[publish] officer_fields`).

use serde_json::{Value, json};

use crate::ceremony::rebuild;
use crate::directory::{Officers, Targets};
use crate::error::Result;
use crate::log::{self, Mode};
use crate::merkle::Hash;
use crate::output::{self, Column};
use crate::plan::Plan;

/// A publication: the files of the folder, by relative path, and the log head they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// `(path, bytes)` in a fixed order; paths use `/` (`results/teams.csv`).
    pub files: Vec<(String, Vec<u8>)>,
    /// The log's head.
    pub head: Hash,
}

fn to_json(v: &Value) -> Vec<u8> {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s.into_bytes()
}

/// The consistency proof (SPEC.md §6.4) from the commit checkpoint — the tree of the commit
/// line alone, published before the ceremony — to the log's checkpoint now.
fn commit_consistency(lines: &[String]) -> Result<String> {
    let commit = log::Log {
        lines: lines[..1].to_vec(),
    };
    let entries: Vec<log::Entry<'_>> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| log::Entry {
            seq: i as u64,
            line: l,
            leaf: log::leaf_hash(l),
        })
        .collect();
    Ok(log::ConsistencyProof::prove(&commit.checkpoint(), &entries)?.to_json())
}

/// Builds the published folder of a drawn log. The log is verified in full first (with this
/// plan and these directories); `plan_bytes` are the plan file's bytes, published as they are
/// so that anyone can recompute the plan digest.
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Commit`](crate::ErrorKind::Commit)
/// for a commitment not yet drawn.
pub fn publish(
    log_bytes: &[u8],
    plan_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
) -> Result<Publication> {
    let rb = rebuild(log_bytes, plan, targets, officers)?;
    let header = &rb.header;
    let public = |f: &str| plan.public_officer_fields.iter().any(|x| x == f);
    let officer_json = |id: &str, role: &str| {
        let o = officers.get(id);
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
    let mut targets_json = Vec::new();
    let mut teams = Vec::new();
    for t in &rb.current.tasks {
        for (d, team) in t.drawn.iter().zip(&t.teams) {
            let e = rb.records.get(&d.id);
            targets_json.push(json!({
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
            teams.push(json!({ "task": t.task, "enterprise": d.id, "members": members }));
        }
    }
    // Officer ids and certificate numbers are always public; personal fields only by the plan.
    let mut columns = vec![Column::OfficerId, Column::CertNo];
    for (f, c) in [
        ("name", Column::Name),
        ("department", Column::Department),
        ("region", Column::Region),
    ] {
        if public(f) {
            columns.push(c);
        }
    }
    let drawn = Targets {
        records: rb.records.values().cloned().collect(),
        warnings: Vec::new(),
    };
    let seed = json!({
        "mode": rb.report.mode,
        "seed": rb.report.seed,
        "commitment": header.commitment,
        "entropy_source": header.entropy_source,
        "reveal": rb.reveal.as_ref().map(|r| {
            json!({ "secret": r.secret, "entropy": r.entropy, "commit_line_sha256": hex::encode(log::line_hash(&rb.lines[0])) })
        }),
        "derivation": "SPEC.md §9: seed = hex(SHA-256(str(\"dualdraw/v1/seed\") || secret || str(entropy) || SHA-256(commit line)))",
    });
    let inputs_json = json!({
        "plan": header.plan,
        "inspection_date": header.inspection_date,
        "directories": header.directories,
    });
    let replacements: Vec<Value> = rb
        .replacements
        .iter()
        .map(|r| json!({"task": r.task, "enterprise": r.enterprise, "out": r.out, "in": r.incoming, "reason": r.reason}))
        .collect();
    let readme = format!(
        "双随机、一公开 draw {id} — {title}\n\n\
         draw.log       the hash-chained draw log (SPEC.md §6); its checkpoint is draw.head\n\
         consistency.json  (committed draws) proof that draw.log extends the commit checkpoint (§6.4)\n\
         plan.toml      the plan; its SHA-256 is the plan digest in the log header\n\
         inputs.json    digests of the plan and of both directories (RFC 6962 Merkle heads)\n\
         seed.json      how the seed was made{mode}\n\
         results/       drawn enterprises and teams (CSV and JSON), replacements applied\n\n\
         To verify, with the two directories at the paths the plan names:\n\
           dualdraw verify draw.log --plan plan.toml --head {head}\n\
         and, with the commit checkpoint published before the ceremony saved as commit.head:\n\
           dualdraw consistency commit.head --proof consistency.json\n\
         or, without this software: python3 verify.py draw.log --plan plan.toml (verifiers/python in the\n\
         dualdraw sources), or from SPEC.md alone.\n\
         An enterprise can check its own ticket: dualdraw prove / check-proof.\n",
        id = plan.id,
        title = plan.title,
        mode = if rb.report.mode == Mode::CommitReveal {
            " (committed secret + public entropy)"
        } else {
            " (operator seed: rehearsal, not proof against steering)"
        },
        head = hex::encode(rb.report.head),
    );
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("draw.log", log_bytes.to_vec()),
        ("draw.head", rb.report.checkpoint.to_text().into_bytes()),
        ("plan.toml", plan_bytes.to_vec()),
        ("inputs.json", to_json(&inputs_json)),
        ("seed.json", to_json(&seed)),
        (
            "results/targets.csv",
            output::targets_csv(&drawn, &rb.current, true),
        ),
        ("results/targets.json", to_json(&Value::Array(targets_json))),
        (
            "results/teams.csv",
            output::teams_table(&drawn, officers, &rb.current, &columns, true),
        ),
        ("results/teams.json", to_json(&Value::Array(teams))),
        (
            "results/replacements.json",
            to_json(&Value::Array(replacements)),
        ),
        ("README.txt", readme.into_bytes()),
    ];
    if rb.report.mode == Mode::CommitReveal {
        files.push((
            "consistency.json",
            commit_consistency(&rb.lines)?.into_bytes(),
        ));
    }
    Ok(Publication {
        files: files.into_iter().map(|(n, b)| (n.to_string(), b)).collect(),
        head: rb.report.head,
    })
}
