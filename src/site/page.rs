//! `index.html`: the notice itself, Chinese first with an English toggle that needs no
//! JavaScript (a checkbox and CSS), every result in the HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::Value;

use super::chart::{self, Pair};
use super::{Site, esc};
use crate::plan::Sample;
use crate::target::select::{Eligibility, eligibility};

/// Chinese and English of one phrase (both already HTML).
fn t(zh: &str, en: &str) -> String {
    format!("<span class=\"zh\">{zh}</span><span class=\"en\" lang=\"en\">{en}</span>")
}

fn json_file(site: &Site, name: &str) -> Value {
    site.publication
        .files
        .iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, b)| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null)
}

fn s(v: &Value) -> String {
    match v {
        Value::String(s) => esc(s),
        Value::Null => String::new(),
        other => esc(&other.to_string()),
    }
}

fn sample(x: &Sample) -> String {
    match x {
        Sample::Count(n) => t(&format!("抽取 {n} 户"), &format!("{n} enterprises")),
        Sample::Ratio(r) => t(&format!("抽取比例 {r}"), &format!("ratio {r}")),
        Sample::ByClass(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(c, r)| format!("{} {r}", c.map_or("—", |c| c.as_str())))
                .collect();
            t(
                &format!("按信用等级：{}", esc(&parts.join("，"))),
                &format!("by credit class: {}", esc(&parts.join(", "))),
            )
        }
    }
}

/// The whole page.
pub(super) fn index(site: &Site) -> String {
    let plan = site.plan;
    let targets = json_file(site, "results/targets.json");
    let teams = json_file(site, "results/teams.json");
    let seed = json_file(site, "seed.json");
    let inputs = json_file(site, "inputs.json");
    let replacements = json_file(site, "results/replacements.json");
    let empty = Vec::new();
    let targets = targets.as_array().unwrap_or(&empty);
    let teams = teams.as_array().unwrap_or(&empty);
    let head = hex::encode(site.publication.head);

    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"site/site.css\"></head>\n<body>\
         <input type=\"checkbox\" id=\"lang-en\" class=\"lang-toggle\"><label for=\"lang-en\" class=\"lang-label noprint\">English / 中文</label>\n<main>",
        title = esc(&plan.title)
    );
    // Heading.
    let _ = writeln!(
        h,
        "<header><p class=\"kind\">{kind}</p><h1>{title}</h1>\
         <dl class=\"facts\"><dt>{l_id}</dt><dd><code>{id}</code></dd><dt>{l_date}</dt><dd>{date}</dd>\
         <dt>{l_head}</dt><dd><code class=\"hash\" id=\"head\">{head}</code></dd><dt>{l_mode}</dt><dd>{mode}</dd></dl></header>",
        kind = t(
            "“双随机、一公开”抽查结果公示",
            "Public notice of a double-random inspection draw"
        ),
        title = esc(&plan.title),
        l_id = t("计划编号", "Plan id"),
        id = esc(&plan.id),
        l_date = t("检查日期", "Inspection date"),
        date = plan.inspection_date,
        l_head = t("日志末端哈希（head）", "Log head"),
        l_mode = t("随机种子方式", "Seed"),
        mode = if seed["mode"] == "commit-reveal" {
            t(
                "事先承诺 + 公开熵源（不可操纵）",
                "committed secret + public entropy (cannot be steered)",
            )
        } else {
            t(
                "操作员输入的种子：演练，不能证明未被操纵",
                "operator seed: a rehearsal, not proof against steering",
            )
        }
    );
    verify_box(&mut h, site);
    plan_section(&mut h, site, targets);
    ceremony(&mut h, &seed, &inputs, &head);
    results(&mut h, site, targets, teams);
    replacements_section(&mut h, &replacements);
    inspections(&mut h, site);
    charts(&mut h, site, targets, teams);
    lookup(&mut h, site);
    files(&mut h, site);
    let _ = writeln!(
        h,
        "<footer><p>{}</p><pre class=\"cmd\">dualdraw verify draw.log --plan plan.toml --head {head}\npython3 verify.py draw.log --plan plan.toml --head {head}</pre></footer>\n\
         </main>\n<script src=\"site/data.js\"></script>{verifier}<script src=\"site/wasi.js\"></script><script src=\"site/site.js\"></script>\n</body></html>",
        t(
            "离线核验：下载本文件夹，以及计划所列的两个名录，运行",
            "To verify offline: download this folder and the two directories the plan names, and run"
        ),
        verifier = if site.verifier.is_some() {
            "<script src=\"site/verifier.js\"></script>"
        } else {
            ""
        }
    );
    h
}

fn verify_box(h: &mut String, site: &Site) {
    let can = if site.verifier.is_none() {
        t(
            "本页未附带浏览器内验证程序（发布时未提供 --verifier）。请使用下方命令离线核验。",
            "In-browser verification is not included in this page (published without --verifier). Verify offline with the commands below.",
        )
    } else if site.directories.is_some() {
        t(
            "点击“验证”，在本浏览器中重新计算：哈希链、日志末端、计划与两个名录的摘要、完整重抽，并核对本页表格。不向任何服务器发送请求。",
            "Press Verify to recompute in this browser: the hash chain, the head, the plan and directory digests, a full re-run of the draw, and the tables on this page. Nothing is sent anywhere.",
        )
    } else {
        t(
            "名录未公开：浏览器内可核验哈希链、日志末端与计划摘要，不能核验名录摘要与重抽（需要名录）。",
            "The directories are not public: this browser can check the hash chain, the head and the plan digest, but not the directory digests or a re-run of the draw (they need the directories).",
        )
    };
    let _ = writeln!(
        h,
        "<section id=\"verify\" class=\"verify\"><h2>{title}</h2><p>{can}</p>\
         <noscript><p class=\"warn\">{nojs}</p></noscript>\
         <p class=\"noprint\"><button id=\"verify-button\" type=\"button\"{disabled}>{button}</button> \
         <progress id=\"verify-progress\" max=\"4\" value=\"0\" hidden></progress> <span id=\"verify-step\"></span></p>\
         <div id=\"verify-result\" role=\"status\" aria-live=\"polite\"></div></section>",
        title = t("验证", "Verify"),
        nojs = t(
            "浏览器内验证需要启用 JavaScript；下列公示内容无需 JavaScript 即可阅读。",
            "Verifying in the browser needs JavaScript; the notice below reads without it."
        ),
        disabled = if site.verifier.is_none() {
            " disabled"
        } else {
            ""
        },
        button = t("验证", "Verify"),
    );
}

fn plan_section(h: &mut String, site: &Site, targets: &[Value]) {
    let _ = write!(
        h,
        "<section id=\"plan\"><h2>{}</h2><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
        t("抽查计划", "The plan"),
        t("任务", "Task"),
        t("抽查事项", "Check item"),
        t("法律依据", "Legal basis"),
        t("抽取方式", "Sample"),
        t("抽中户数", "Drawn"),
        t("检查组", "Team"),
    );
    for task in &site.plan.tasks {
        let drawn = targets
            .iter()
            .filter(|v| v["task"] == task.id.as_str())
            .count();
        let _ = write!(
            h,
            "<tr><td><code>{}</code><br>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{drawn}</td><td>{}</td></tr>",
            esc(&task.id),
            esc(&task.domain),
            esc(&task.item.name),
            esc(&task.item.basis),
            sample(&task.sample),
            t(
                &format!(
                    "{} 名执法人员{}",
                    task.team.size,
                    if task.team.experts > 0 {
                        format!("，{} 名专家", task.team.experts)
                    } else {
                        String::new()
                    }
                ),
                &format!(
                    "{} officers{}",
                    task.team.size,
                    if task.team.experts > 0 {
                        format!(", {} experts", task.team.experts)
                    } else {
                        String::new()
                    }
                )
            ),
        );
    }
    h.push_str("</tbody></table></section>\n");
}

fn ceremony(h: &mut String, seed: &Value, inputs: &Value, head: &str) {
    let dirs = &inputs["directories"];
    let _ = write!(
        h,
        "<section id=\"ceremony\"><h2>{}</h2><ol class=\"timeline\">",
        t("抽取过程", "The ceremony")
    );
    let _ = write!(
        h,
        "<li>{}<br><code class=\"hash\">{}</code> · {} <code class=\"hash\">{}</code> ({}) · {} <code class=\"hash\">{}</code> ({})</li>",
        t(
            "冻结输入：计划文件摘要（SHA-256）",
            "Inputs frozen: plan digest (SHA-256)"
        ),
        s(&inputs["plan"]["digest"]),
        t("检查对象名录", "target directory"),
        s(&dirs["targets"]["head"]),
        s(&dirs["targets"]["count"]),
        t("执法检查人员名录", "officer directory"),
        s(&dirs["officers"]["head"]),
        s(&dirs["officers"]["count"]),
    );
    // What the directories did not supply is said, not left to silence (SPEC.md §3.3).
    use crate::directory::Supplied;
    let mut notes = Vec::new();
    for (d, fields) in [
        ("targets", Supplied::TARGET_FIELDS),
        ("officers", Supplied::OFFICER_FIELDS),
    ] {
        let have = dirs[d]["supplied"].as_array().cloned().unwrap_or_default();
        for f in fields.iter().filter(|f| !have.iter().any(|x| x == **f)) {
            let (en, zh) = Supplied::absent_note(f);
            notes.push(t(zh, en));
        }
    }
    if !notes.is_empty() {
        let _ = write!(h, "<li class=\"absent\">{}</li>", notes.join("<br>"));
    }
    if seed["mode"] == "commit-reveal" {
        let _ = write!(
            h,
            "<li>{}<br><code class=\"hash\">{}</code></li><li>{}<br>{}</li><li>{}<br><q>{}</q></li><li>{}<br><code class=\"hash\">{}</code></li>",
            t(
                "抽取前公布承诺（操作员秘密的哈希）",
                "Commitment published before the draw (hash of the operator's secret)"
            ),
            s(&seed["commitment"]),
            t("事先公布的熵源", "Entropy source named in advance"),
            s(&seed["entropy_source"]),
            t("公开熵值", "The public entropy value"),
            s(&seed["reveal"]["entropy"]),
            t("公开的操作员秘密", "The operator secret, revealed"),
            s(&seed["reveal"]["secret"]),
        );
    }
    let _ = writeln!(
        h,
        "<li>{}<br><code class=\"hash\">{}</code><br><small>{}</small></li><li>{}<br><code class=\"hash\">{head}</code></li></ol></section>",
        t("随机种子", "The seed"),
        s(&seed["seed"]),
        s(&seed["derivation"]),
        t(
            "抽取结果写入哈希链日志；日志末端哈希",
            "The draw is written to the hash-chained log; its head"
        ),
    );
}

fn member_html(m: &Value) -> String {
    let mut out = format!(
        "<span class=\"m\" data-id=\"{id}\" data-cert=\"{cert}\">{id} <small>({cert})</small>",
        id = s(&m["id"]),
        cert = s(&m["cert_no"])
    );
    for k in ["name", "department", "region"] {
        if let Some(v) = m.get(k).filter(|v| !v.is_null()) {
            let _ = write!(out, " {}", s(v));
        }
    }
    match m["role"].as_str() {
        Some("leader") => out.push_str(&t(" 组长", " leader")),
        Some("expert") => out.push_str(&t(" 专家", " expert")),
        _ => {}
    }
    out.push_str("</span>");
    out
}

fn results(h: &mut String, site: &Site, targets: &[Value], teams: &[Value]) {
    let _ = write!(
        h,
        "<section id=\"results\"><h2>{}</h2>",
        t("抽取结果", "Results")
    );
    for task in &site.plan.tasks {
        let _ = write!(
            h,
            "<h3><code>{}</code> {}</h3><table class=\"results\" data-task=\"{}\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            esc(&task.id),
            esc(&task.item.name),
            esc(&task.id),
            t("序号", "Rank"),
            t("统一社会信用代码", "USCC"),
            t("企业名称", "Enterprise"),
            t("行政区划", "District"),
            t("信用等级", "Credit class"),
            t(
                "检查组（人员编号、执法证号）",
                "Team (officer id, certificate)"
            ),
        );
        for e in targets.iter().filter(|v| v["task"] == task.id.as_str()) {
            let team = teams
                .iter()
                .find(|x| x["task"] == e["task"] && x["enterprise"] == e["id"]);
            let members: Vec<String> = team
                .and_then(|x| x["members"].as_array())
                .map(|a| a.iter().map(member_html).collect())
                .unwrap_or_default();
            let _ = write!(
                h,
                "<tr data-id=\"{id}\"><td data-k=\"rank\">{}</td><td data-k=\"id\"><code>{id}</code></td><td data-k=\"name\">{}</td><td data-k=\"region\">{}</td><td data-k=\"credit_class\">{}</td><td data-k=\"team\">{}</td></tr>",
                s(&e["rank"]),
                s(&e["name"]),
                s(&e["region"]),
                s(&e["credit_class"]),
                members.join("<br>"),
                id = s(&e["id"]),
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n");
}

fn replacements_section(h: &mut String, r: &Value) {
    let _ = write!(
        h,
        "<section id=\"replacements\"><h2>{}</h2>",
        t("人员调整", "Replacements")
    );
    match r.as_array().filter(|a| !a.is_empty()) {
        None => h.push_str(&format!(
            "<p>{}</p>",
            t("无：检查组与抽取时一致。", "None: the teams are as drawn.")
        )),
        Some(a) => {
            let _ = write!(
                h,
                "<table id=\"replacement-table\"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
                t("任务", "Task"),
                t("企业", "Enterprise"),
                t("调出", "Out"),
                t("调入", "In"),
                t("理由", "Reason")
            );
            for x in a {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    s(&x["task"]),
                    s(&x["enterprise"]),
                    s(&x["out"]),
                    s(&x["in"]),
                    s(&x["reason"])
                );
            }
            h.push_str("</tbody></table>");
        }
    }
    h.push_str("</section>\n");
}

/// The place for the inspection results per visit (filled once they are recorded).
fn inspections(h: &mut String, site: &Site) {
    let _ = write!(
        h,
        "<section id=\"inspections\"><h2>{}</h2>",
        t("检查结果", "Inspection results")
    );
    if site.inspections.is_empty() {
        let _ = write!(
            h,
            "<p>{}</p>",
            t(
                "检查结果尚未录入；录入后在此公示。",
                "No inspection result is recorded yet; they are shown here once recorded."
            )
        );
    } else {
        let _ = write!(
            h,
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>",
            t("任务", "Task"),
            t("企业", "Enterprise"),
            t("检查结果", "Outcome"),
            t("说明", "Details"),
            t("日期", "Date")
        );
        for i in site.inspections {
            let _ = write!(
                h,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&i.task),
                esc(&i.enterprise),
                esc(&i.outcome),
                esc(&i.detail),
                esc(&i.date)
            );
        }
        h.push_str("</tbody></table>");
    }
    h.push_str("</section>\n");
}

fn charts(h: &mut String, site: &Site, targets: &[Value], teams: &[Value]) {
    let _ = write!(
        h,
        "<section id=\"charts\"><h2>{}</h2><p>{}</p>",
        t("图表", "Charts"),
        t(
            "各任务名录（可抽范围）与抽中企业按行政区划、信用等级的构成对比；抽取是否与名录相似？",
            "Each task's pool and its drawn enterprises by district and by credit class, side by side: does the draw look like its pool?"
        )
    );
    for task in &site.plan.tasks {
        let mut by_region: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        let mut by_class: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for e in &site.targets.records {
            if let Eligibility::Eligible(_) = eligibility(site.plan, task, e) {
                by_region.entry(e.region.clone()).or_default().0 += 1;
                let c = e.credit_class.map_or("—", |c| c.as_str()).to_string();
                by_class.entry(c).or_default().0 += 1;
            }
        }
        for e in targets.iter().filter(|v| v["task"] == task.id.as_str()) {
            let r = e["region"].as_str().unwrap_or("").to_string();
            by_region.entry(r).or_default().1 += 1;
            let c = e["credit_class"].as_str().unwrap_or("—").to_string();
            by_class.entry(c).or_default().1 += 1;
        }
        let pairs = |m: BTreeMap<String, (u64, u64)>| -> Vec<Pair> {
            m.into_iter()
                .map(|(label, (pool, drawn))| Pair { label, pool, drawn })
                .collect()
        };
        let _ = write!(
            h,
            "<h3><code>{}</code> {}</h3><div class=\"charts\">{}{}</div>",
            esc(&task.id),
            esc(&task.domain),
            chart::pool_vs_drawn(
                &t("按行政区划", "By district"),
                &format!("{}: pool vs drawn by district", task.id),
                &pairs(by_region)
            ),
            chart::pool_vs_drawn(
                &t("按信用等级", "By credit class"),
                &format!("{}: pool vs drawn by credit class", task.id),
                &pairs(by_class)
            ),
        );
    }
    let mut load: BTreeMap<String, u64> = BTreeMap::new();
    for team in teams {
        for m in team["members"].as_array().into_iter().flatten() {
            *load
                .entry(m["id"].as_str().unwrap_or("").to_string())
                .or_default() += 1;
        }
    }
    let rows: Vec<(String, u64)> = load.into_iter().collect();
    let _ = writeln!(
        h,
        "<h3>{}</h3>{}</section>",
        t("执法人员工作量", "Officers' workload"),
        chart::bars(
            &t(
                "每名执法人员在本计划中的检查户次",
                "Visits per officer across the plan"
            ),
            "visits per officer",
            &rows
        )
    );
}

fn lookup(h: &mut String, site: &Site) {
    let how = if site.directories.is_some() {
        t(
            "输入统一社会信用代码，查看该企业是否被抽中，以及其随机票号与截止值；结果由名录证明（Merkle 包含证明）对照已公布的日志末端哈希核验。",
            "Type a unified social credit code: see drawn or not drawn, with its ticket against the cutoff, checked from its proof against the published head.",
        )
    } else {
        t(
            "名录未公开，无法在此为任意企业生成证明。持有本企业证明文件（dualdraw prove）的企业，可在此对照已公布的日志末端哈希核验。",
            "The directories are not public, so no proof can be made here for any enterprise. An enterprise holding its proof file (dualdraw prove) can check it here against the published head.",
        )
    };
    let input = if site.directories.is_some() {
        "<input id=\"lookup-code\" size=\"20\" maxlength=\"18\" autocomplete=\"off\" spellcheck=\"false\" aria-label=\"USCC\">"
    } else {
        "<input id=\"lookup-file\" type=\"file\" accept=\".json\" aria-label=\"proof\">"
    };
    let _ = writeln!(
        h,
        "<section id=\"lookup\" class=\"noprint\"><h2>{}</h2><p>{how}</p><noscript><p class=\"warn\">{}</p></noscript>\
         <p>{input} <button id=\"lookup-button\" type=\"button\"{}>{}</button></p><div id=\"lookup-result\" role=\"status\" aria-live=\"polite\"></div></section>",
        t("企业查询", "Enterprise lookup"),
        t("查询需要 JavaScript。", "The lookup needs JavaScript."),
        if site.verifier.is_none() {
            " disabled"
        } else {
            ""
        },
        t("查询", "Look up"),
    );
}

fn files(h: &mut String, site: &Site) {
    let _ = write!(
        h,
        "<section id=\"files\"><h2>{}</h2><ul>",
        t("公开文件", "Published files")
    );
    for (name, bytes) in &site.publication.files {
        let _ = write!(
            h,
            "<li><a href=\"{n}\">{n}</a> <small>{} B</small></li>",
            bytes.len(),
            n = esc(name)
        );
    }
    if site.directories.is_some() {
        for p in [&site.plan.targets, &site.plan.officers] {
            let _ = write!(
                h,
                "<li><a href=\"{n}\">{n}</a></li>",
                n = esc(&super::directory_path(site, p))
            );
        }
    }
    h.push_str("</ul></section>\n");
}
