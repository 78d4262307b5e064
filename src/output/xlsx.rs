//! The team assignment sheet (抽查任务分配表) as an Excel workbook, for the bureau to print,
//! stamp and hand to the teams: one row per team (task, enterprise), with the leader, the
//! members and the experts and their certificate numbers. It is a document for people, like
//! `teams.csv`: the log is the record. Cells are written as text, never as formulas, so a
//! name such as `=HYPERLINK(…)` is shown, not run.

use rust_xlsxwriter::{
    DocProperties, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::directory::{Officers, Targets};
use crate::draw::outcome::Outcome;
use crate::error::{ErrorKind, Result};
use crate::log::Checkpoint;
use crate::plan::Plan;

/// The sheet's columns: heading and width (in characters).
const COLUMNS: [(&str, f64); 11] = [
    ("序号", 6.0),
    ("抽查任务", 14.0),
    ("抽查事项", 24.0),
    ("统一社会信用代码", 21.0),
    ("企业名称", 34.0),
    ("行政区划代码", 12.0),
    ("检查组组长", 14.0),
    ("组长执法证号", 18.0),
    ("检查组成员", 14.0),
    ("成员执法证号", 18.0),
    ("专家", 14.0),
];

/// The workbook's bytes: sheet `抽查任务分配表` (the teams) and sheet `抽查计划` (the plan, the
/// inspection date and the log checkpoint (`draw.head`) the sheet was made from). The bytes depend only on the
/// arguments: the document's creation time is the inspection date, not the clock.
///
/// # Errors
///
/// [`ErrorKind::Workbook`] if the workbook cannot be assembled (it is built in memory, so
/// this does not happen for valid values).
pub fn assignment_sheet(
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    checkpoint: &Checkpoint,
) -> Result<Vec<u8>> {
    build(plan, targets, officers, outcome, checkpoint).map_err(|e| {
        ErrorKind::Workbook {
            message: e.to_string(),
        }
        .into()
    })
}

fn build(
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    checkpoint: &Checkpoint,
) -> std::result::Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let d = plan.inspection_date;
    let created = ExcelDateTime::from_ymd(
        u16::try_from(chrono::Datelike::year(&d)).unwrap_or(2000),
        u8::try_from(chrono::Datelike::month(&d)).unwrap_or(1),
        u8::try_from(chrono::Datelike::day(&d)).unwrap_or(1),
    )?;
    book.set_properties(
        &DocProperties::new()
            .set_title(&plan.title)
            .set_subject("抽查任务分配表")
            .set_author("dualdraw")
            .set_creation_datetime(&created),
    );
    let cell = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let heading = cell.clone().set_bold().set_align(FormatAlign::Center);
    let sheet = book.add_worksheet();
    teams_sheet(sheet, plan, targets, officers, outcome, &cell, &heading)?;
    let about = book.add_worksheet();
    plan_sheet(about, plan, checkpoint, &cell, &heading)?;
    book.save_to_buffer()
}

/// `name（id）` per person, one per line, and their certificate numbers likewise.
fn people(officers: &Officers, ids: &[String]) -> (String, String) {
    let name = |id: &String| {
        officers
            .get(id)
            .map_or_else(|| id.clone(), |o| format!("{}（{}）", o.name, id))
    };
    let cert = |id: &String| {
        officers
            .get(id)
            .map_or("", |o| o.cert_no.as_str())
            .to_string()
    };
    (
        ids.iter().map(name).collect::<Vec<_>>().join("\n"),
        ids.iter().map(cert).collect::<Vec<_>>().join("\n"),
    )
}

fn teams_sheet(
    sheet: &mut Worksheet,
    plan: &Plan,
    targets: &Targets,
    officers: &Officers,
    outcome: &Outcome,
    cell: &Format,
    heading: &Format,
) -> std::result::Result<(), XlsxError> {
    sheet.set_name("抽查任务分配表")?;
    for (c, (title, width)) in (0u16..).zip(COLUMNS) {
        sheet.write_string_with_format(0, c, title, heading)?;
        sheet.set_column_width(c, width)?;
    }
    // Printable: landscape A4, one page wide, the heading on every page, page numbers.
    sheet.set_freeze_panes(1, 0)?;
    sheet.set_landscape();
    sheet.set_paper_size(9);
    sheet.set_print_fit_to_pages(1, 0);
    sheet.set_repeat_rows(0, 0)?;
    sheet.set_header(format!(
        "&C&\"-,Bold\"{} 抽查任务分配表",
        header_text(&plan.title)
    ));
    sheet.set_footer("&C第 &P 页，共 &N 页");
    let mut row = 1u32;
    for (task, t) in plan.tasks.iter().zip(&outcome.tasks) {
        for team in &t.teams {
            let (leader, leader_cert) =
                people(officers, &team.officers[..1.min(team.officers.len())]);
            let (members, member_certs) =
                people(officers, team.officers.get(1..).unwrap_or_default());
            let (experts, _) = people(officers, &team.experts);
            let e = targets.get(&team.enterprise);
            let cells = [
                row.to_string(),
                t.task.clone(),
                task.item.name.clone(),
                team.enterprise.clone(),
                e.map_or_else(String::new, |e| e.name.clone()),
                e.map_or_else(String::new, |e| e.region.clone()),
                leader,
                leader_cert,
                members,
                member_certs,
                experts,
            ];
            for (c, text) in (0u16..).zip(&cells) {
                sheet.write_string_with_format(row, c, text, cell)?;
            }
            row += 1;
        }
    }
    sheet.autofilter(0, 0, row.saturating_sub(1).max(1), 10)?;
    Ok(())
}

fn plan_sheet(
    sheet: &mut Worksheet,
    plan: &Plan,
    checkpoint: &Checkpoint,
    cell: &Format,
    heading: &Format,
) -> std::result::Result<(), XlsxError> {
    sheet.set_name("抽查计划")?;
    sheet.set_column_width(0, 16.0)?;
    sheet.set_column_width(1, 70.0)?;
    let rows = [
        ("计划编号", plan.id.clone()),
        ("计划名称", plan.title.clone()),
        (
            "检查日期",
            plan.inspection_date.format("%Y-%m-%d").to_string(),
        ),
        (
            "抽取日志检查点",
            checkpoint.to_text().trim_end().to_string(),
        ),
        (
            "说明",
            "本表由 dualdraw 根据抽取日志生成，供打印和分派使用；以抽取日志为准。".to_string(),
        ),
    ];
    for (r, (k, v)) in (0u32..).zip(rows) {
        sheet.write_string_with_format(r, 0, k, heading)?;
        sheet.write_string_with_format(r, 1, &v, cell)?;
    }
    Ok(())
}

/// A page-header text: `&` is Excel's header control character, so it is doubled.
fn header_text(s: &str) -> String {
    s.replace('&', "&&")
}
