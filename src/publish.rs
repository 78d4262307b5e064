//! 一公开: the folder a bureau puts on its website, as values — every file's name and bytes.
//!
//! The log and head, the plan, the input digests, the seed materials and the results as CSV
//! and JSON, replacements applied, with officers' personal data only where the plan marks it
//! public (`[publish] officer_fields`); the inspection results recorded so far (findings only
//! where the plan's `[results] publish_findings` says), with a flat CSV for the national
//! enterprise credit publicity system. Publishing records a `publication` event in the log
//! (SPEC.md §11.1): the folder holds the log with it.

use chrono::NaiveDate;
use serde_json::{Value, json};

use crate::ceremony::rebuild_against;
use crate::directory::{Officers, Targets};
use crate::error::Result;
use crate::log::{self, Log, Mode};
use crate::merkle::Hash;
use crate::output::{self, Column};
use crate::plan::Plan;

/// A publication: the files of the folder, by relative path, and the log head they show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    /// `(path, bytes)` in a fixed order; paths use `/` (`results/teams.csv`).
    pub files: Vec<(String, Vec<u8>)>,
    /// The log's head, with the publication event.
    pub head: Hash,
    /// The log extended by the `publication` event, to store in place of the old one.
    pub log: Log,
    /// The results as published.
    pub results: crate::results::Results,
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

/// Builds the published folder of a drawn log, published on `date`. The log is verified in
/// full first (with this plan and these directories), then extended by a `publication` event
/// listing every visit's current result; `plan_bytes` are the plan file's bytes, published as
/// they are so that anyone can recompute the plan digest.
///
/// # Errors
///
/// A verification error if the log does not verify; [`ErrorKind::Commit`](crate::ErrorKind::Commit)
/// for a commitment not yet drawn; [`ErrorKind::Results`](crate::ErrorKind::Results) for a
/// `date` before the inspection date, the last publication or a result it would list.
pub fn publish(
    log_bytes: &[u8],
    plan_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    date: NaiveDate,
) -> Result<Publication> {
    publish_verified(log_bytes, None, plan_bytes, plan, targets, officers, date).map(|(_, p)| p)
}

/// [`publish`], the log's head also checked against `published_head`, with the verification's
/// report: one verification and one re-run of the draw give both (the page's verifier).
///
/// # Errors
///
/// Those of [`publish`], and a head mismatch as [`crate::Verify::head`] reports it.
#[doc(hidden)]
pub fn publish_verified(
    log_bytes: &[u8],
    published_head: Option<&Hash>,
    plan_bytes: &[u8],
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    date: NaiveDate,
) -> Result<(crate::verify::Report, Publication)> {
    let rb = rebuild_against(log_bytes, published_head, plan, targets, officers)?;
    let mut results = crate::results::results_of(plan, &rb, officers)?;
    let mut new_log = Log {
        lines: rb.lines.clone(),
    };
    crate::results::publication(plan, &mut results, &mut new_log, date)?;
    let head = new_log.head();
    let log_bytes = &new_log.to_bytes()[..];
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
        .map(|r| json!({"task": r.task, "enterprise": r.enterprise, "out": r.out, "in": r.incoming, "reason": r.reason.shown(), "reason_category": r.reason.category}))
        .collect();
    let readme = format!(
        "双随机、一公开 draw {id} — {title}\n\n\
         draw.log       the hash-chained draw log (SPEC.md §6); its checkpoint is draw.head\n\
         consistency.json  (committed draws) proof that draw.log extends the commit checkpoint (§6.4)\n\
         plan.toml      the plan; its SHA-256 is the plan digest in the log header\n\
         inputs.json    digests of the plan and of both directories (RFC 6962 Merkle heads)\n\
         seed.json      how the seed was made{mode}\n\
         results/       drawn enterprises and teams (CSV and JSON), replacements applied;\n\
                        inspection results (results.csv, results.json) and the flat CSV for\n\
                        the national enterprise credit publicity system (gsxt.csv)\n\n\
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
        head = hex::encode(head),
    );
    let mut files: Vec<(&str, Vec<u8>)> = vec![
        ("draw.log", log_bytes.to_vec()),
        ("draw.head", new_log.checkpoint().to_text().into_bytes()),
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
        (
            "results/results.csv",
            results_csv(&results, plan.publish_findings),
        ),
        (
            "results/results.json",
            to_json(&results_json(&results, plan.publish_findings)),
        ),
        ("results/gsxt.csv", gsxt_csv(&results)),
        ("README.txt", readme.into_bytes()),
    ];
    if rb.report.mode == Mode::CommitReveal {
        files.push((
            "consistency.json",
            commit_consistency(&new_log.lines)?.into_bytes(),
        ));
    }
    let publication = Publication {
        files: files.into_iter().map(|(n, b)| (n.to_string(), b)).collect(),
        head,
        log: new_log,
        results,
    };
    Ok((rb.report, publication))
}

/// Each visit's outcome as JSON: its current result (findings and follow-up only when
/// `findings` is true), the line it is at, and how many results it corrected.
fn results_json(results: &crate::results::Results, findings: bool) -> Value {
    let rows: Vec<Value> = results
        .visits
        .iter()
        .map(|v| {
            let cur = v.current();
            let mut m = serde_json::Map::new();
            m.insert("task".into(), json!(v.task));
            m.insert("item".into(), json!(v.item));
            m.insert("enterprise".into(), json!(v.enterprise));
            m.insert("name".into(), json!(v.name));
            m.insert("departments".into(), json!(v.departments));
            m.insert("category".into(), json!(cur.map(|c| &c.event.category)));
            m.insert("date".into(), json!(cur.map(|c| &c.event.date)));
            m.insert("line".into(), json!(cur.map(|c| c.line)));
            m.insert(
                "corrections".into(),
                json!(v.results.len().saturating_sub(1)),
            );
            if findings {
                m.insert(
                    "findings".into(),
                    json!(cur.and_then(|c| c.event.findings.as_ref())),
                );
                m.insert(
                    "follow_up".into(),
                    json!(cur.and_then(|c| c.event.follow_up.as_ref())),
                );
            }
            Value::Object(m)
        })
        .collect();
    json!({ "findings_public": findings, "visits": rows })
}

/// The results table for people: one row per visit, with a UTF-8 BOM for Excel.
fn results_csv(results: &crate::results::Results, findings: bool) -> Vec<u8> {
    let mut header = vec![
        "task",
        "item",
        "enterprise",
        "name",
        "departments",
        "category",
        "date",
    ];
    if findings {
        header.extend(["findings", "follow_up"]);
    }
    let rows = results.visits.iter().map(|v| {
        let cur = v.current();
        let text = |f: fn(&crate::log::event::ResultEvent) -> &Option<String>| {
            cur.and_then(|c| f(&c.event).clone()).unwrap_or_default()
        };
        let mut row = vec![
            v.task.clone(),
            v.item.clone(),
            v.enterprise.clone(),
            v.name.clone(),
            v.departments.join("、"),
            cur.map_or("(no result yet)".into(), |c| c.event.category.clone()),
            cur.map_or(String::new(), |c| c.event.date.clone()),
        ];
        if findings {
            row.push(text(|e| &e.findings));
            row.push(text(|e| &e.follow_up));
        }
        row
    });
    output::simple_csv(&header, rows)
}

/// The flat CSV for upload to the national enterprise credit publicity system: one row per
/// enterprise and check item with a result — 统一社会信用代码, 企业名称, 抽查事项,
/// 检查实施机关 (the team's departments), 抽查结果, 检查日期.
fn gsxt_csv(results: &crate::results::Results) -> Vec<u8> {
    let header = [
        "统一社会信用代码",
        "企业名称",
        "抽查事项",
        "检查实施机关",
        "抽查结果",
        "检查日期",
    ];
    let rows = results.visits.iter().filter_map(|v| {
        v.current().map(|c| {
            vec![
                v.enterprise.clone(),
                v.name.clone(),
                v.item.clone(),
                v.departments.join("、"),
                c.event.category.clone(),
                c.event.date.clone(),
            ]
        })
    });
    output::simple_csv(&header, rows)
}
