//! Embedding dualdraw in a service: a provincial supervision platform that keeps its
//! directories in a database and answers draw requests.
//!
//! No file is read and nothing is printed by the library: rows come from the platform's own
//! store (here an in-memory table standing in for SQL), the request and the response are
//! values (here JSON strings, as an HTTP handler would pass them), and the log the response
//! carries is the one to publish.
//!
//! ```sh
//! cargo run --example embed_service
//! ```

use dualdraw::{
    CreditClass, Draw, Enterprise, EnterpriseStatus, Officer, OfficerStatus, Officers, Plan,
    Targets,
};
use serde_json::{Value, json};

/// A row as the platform's database holds it (its own column types, not dualdraw's).
struct EnterpriseRow {
    uscc: &'static str,
    name: &'static str,
    district: &'static str,
    industries: &'static [&'static str],
    credit: Option<char>,
    abnormal: bool,
}

struct OfficerRow {
    staff_no: &'static str,
    name: &'static str,
    department: &'static str,
    area: &'static str,
    cert_no: &'static str,
    cert_valid_until: (i32, u32, u32),
    fields: &'static [&'static str],
}

/// The platform's tables (a database query in a real service).
fn enterprise_table() -> Vec<EnterpriseRow> {
    let row = |uscc, name, district, credit, abnormal| EnterpriseRow {
        uscc,
        name,
        district,
        industries: &["无线电"],
        credit,
        abnormal,
    };
    vec![
        row(
            "9144030071526726XG",
            "甲无线电设备公司",
            "440300",
            Some('A'),
            false,
        ),
        row(
            "91120116MA05JKLM8J",
            "乙电子有限公司",
            "120116",
            Some('B'),
            false,
        ),
        row("91120101MA05JKLM83", "丙通信公司", "120101", None, true),
        row(
            "91120104MA05JKLM9W",
            "丁科技公司",
            "120104",
            Some('C'),
            false,
        ),
    ]
}

fn officer_table() -> Vec<OfficerRow> {
    let row = |staff_no, name, area, cert_no| OfficerRow {
        staff_no,
        name,
        department: "无线电管理处",
        area,
        cert_no,
        cert_valid_until: (2025, 12, 31),
        fields: &["无线电"],
    };
    vec![
        row("A1", "张三", "120116", "C1"),
        row("A2", "李四", "120101", "C2"),
        row("A3", "王五", "120104", "C3"),
        row("A4", "赵六", "120101", "C4"),
    ]
}

/// The database rows as dualdraw records: the directory validates and sorts them.
fn directories() -> dualdraw::Result<(Targets, Officers)> {
    let targets = Targets::from_records(
        enterprise_table().into_iter().map(|r| Enterprise {
            id: r.uscc.into(),
            name: r.name.into(),
            region: r.district.into(),
            domains: r.industries.iter().map(|s| s.to_string()).collect(),
            credit_class: r.credit.and_then(|c| match c {
                'A' => Some(CreditClass::A),
                'B' => Some(CreditClass::B),
                'C' => Some(CreditClass::C),
                'D' => Some(CreditClass::D),
                _ => None,
            }),
            status: if r.abnormal {
                EnterpriseStatus::Abnormal
            } else {
                EnterpriseStatus::Active
            },
            last_inspected: None,
        }),
        "enterprise table",
    )?;
    let officers = Officers::from_records(
        officer_table().into_iter().map(|r| Officer {
            id: r.staff_no.into(),
            name: r.name.into(),
            department: r.department.into(),
            region: r.area.into(),
            cert_no: r.cert_no.into(),
            cert_expires: chrono::NaiveDate::from_ymd_opt(
                r.cert_valid_until.0,
                r.cert_valid_until.1,
                r.cert_valid_until.2,
            )
            .unwrap_or_default(),
            domains: r.fields.iter().map(|s| s.to_string()).collect(),
            expert: false,
            status: OfficerStatus::Active,
            conflicts: Vec::new(),
        }),
        "officer table",
    )?;
    Ok((targets, officers))
}

/// The service's handler: a JSON request `{ "plan": TOML text, "seed": text }` in, a JSON
/// response out — `{ "head", "log", "visits" }` on success, `{ "error" }` otherwise. An error
/// is an answer, never a crash: a bad plan says which line and key.
fn handle(request: &str) -> String {
    let answer = (|| -> Result<Value, String> {
        let req: Value = serde_json::from_str(request).map_err(|e| e.to_string())?;
        let plan_text = req["plan"].as_str().ok_or("the request has no `plan`")?;
        let seed = req["seed"].as_str().ok_or("the request has no `seed`")?;
        let plan = Plan::parse(plan_text.as_bytes(), "request.plan".as_ref())
            .map_err(|e| e.to_string())?;
        let (targets, officers) = directories().map_err(|e| e.to_string())?;
        let drawn = Draw::new(&plan)
            .seed(seed)
            .run(&targets, &officers)
            .map_err(|e| e.to_string())?;
        let visits: Vec<Value> = drawn
            .outcome
            .tasks
            .iter()
            .flat_map(|t| {
                t.teams.iter().map(|team| {
                    json!({
                        "task": t.task,
                        "enterprise": team.enterprise,
                        "name": targets.get(&team.enterprise).map(|e| e.name.as_str()),
                        // Officers by id and certificate number: names are personal data.
                        "officers": team.officers.iter().map(|o| json!({
                            "id": o,
                            "cert_no": officers.get(o).map(|o| o.cert_no.as_str()),
                        })).collect::<Vec<_>>(),
                    })
                })
            })
            .collect();
        Ok(json!({
            "head": hex::encode(drawn.head()),
            "log": String::from_utf8_lossy(&drawn.log.to_bytes()),
            "visits": visits,
        }))
    })();
    match answer {
        Ok(v) => v.to_string(),
        Err(e) => json!({ "error": e }).to_string(),
    }
}

const PLAN: &str = r#"
id = "SVC-2020-1"
title = "无线电台站双随机抽查"
inspection_date = "2020-10-20"
targets = "database"
officers = "database"
[[task]]
id = "radio"
domain = "无线电"
item = { name = "无线电台站检查", basis = "《中华人民共和国无线电管理条例》" }
sample = { count = 2 }
team = { size = 2 }
"#;

fn main() {
    let request = json!({ "plan": PLAN, "seed": "2020-10-15 rehearsal" }).to_string();
    let response: Value = serde_json::from_str(&handle(&request)).unwrap_or_default();
    println!("head {}", response["head"].as_str().unwrap_or("?"));
    for v in response["visits"].as_array().into_iter().flatten() {
        println!("{} {} {}", v["task"], v["enterprise"], v["officers"]);
    }
    // The same request gives the same head: anyone holding the log can re-run it.
    let again: Value = serde_json::from_str(&handle(&request)).unwrap_or_default();
    assert_eq!(response["head"], again["head"]);
    // A bad plan is an error answer naming the line and key.
    let bad = json!({ "plan": PLAN.replace("count = 2", "count = 0"), "seed": "s" });
    println!("{}", handle(&bad.to_string()));
}
