//! Inline SVG charts drawn by the site itself (no chart library): shares side by side, and
//! a plain bar chart; each with the numbers in a table beside it for screen readers and print.

use super::esc;

/// One category of a comparison: its label, its count in the pool and among the drawn.
pub(crate) struct Pair {
    pub label: String,
    pub pool: u64,
    pub drawn: u64,
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        100.0 * n as f64 / of as f64
    }
}

/// Pool share vs drawn share per category as paired horizontal bars, with a table of the
/// counts and shares. `caption` is already HTML.
pub(crate) fn pool_vs_drawn(caption: &str, aria: &str, rows: &[Pair]) -> String {
    let pool: u64 = rows.iter().map(|r| r.pool).sum();
    let drawn: u64 = rows.iter().map(|r| r.drawn).sum();
    let (label_w, bar_w, row_h) = (90.0, 220.0, 26.0);
    let height = 24.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"{aria}\">\
         <rect class=\"k-pool\" x=\"{label_w}\" y=\"4\" width=\"10\" height=\"8\"/><text x=\"{lx}\" y=\"12\" class=\"legend\">pool 名录</text>\
         <rect class=\"k-drawn\" x=\"{dx}\" y=\"4\" width=\"10\" height=\"8\"/><text x=\"{dlx}\" y=\"12\" class=\"legend\">drawn 抽中</text>",
        w = label_w + bar_w + 50.0,
        aria = esc(aria),
        lx = label_w + 14.0,
        dx = label_w + 110.0,
        dlx = label_w + 124.0,
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 20.0 + row_h * i as f64;
        let (sp, sd) = (pct(r.pool, pool), pct(r.drawn, drawn));
        svg.push_str(&format!(
            "<text x=\"{tx}\" y=\"{ty}\" class=\"cat\" text-anchor=\"end\">{label}</text>\
             <rect class=\"k-pool\" x=\"{label_w}\" y=\"{y1}\" width=\"{wp:.1}\" height=\"9\"/>\
             <text x=\"{px:.1}\" y=\"{py}\" class=\"val\">{sp:.0}%</text>\
             <rect class=\"k-drawn\" x=\"{label_w}\" y=\"{y2}\" width=\"{wd:.1}\" height=\"9\"/>\
             <text x=\"{dx:.1}\" y=\"{dy}\" class=\"val\">{sd:.0}%</text>",
            tx = label_w - 6.0,
            ty = y + 14.0,
            label = esc(&r.label),
            y1 = y + 3.0,
            wp = bar_w * sp / 100.0,
            px = label_w + bar_w * sp / 100.0 + 3.0,
            py = y + 11.0,
            y2 = y + 13.0,
            wd = bar_w * sd / 100.0,
            dx = label_w + bar_w * sd / 100.0 + 3.0,
            dy = y + 21.0,
        ));
    }
    svg.push_str("</svg>");
    let mut table = String::from(
        "<table class=\"nums\"><thead><tr><th></th><th><span class=\"zh\">名录</span><span class=\"en\" lang=\"en\">pool</span></th>\
         <th>%</th><th><span class=\"zh\">抽中</span><span class=\"en\" lang=\"en\">drawn</span></th><th>%</th></tr></thead><tbody>",
    );
    for r in rows {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{:.1}</td><td>{}</td><td>{:.1}</td></tr>",
            esc(&r.label),
            r.pool,
            pct(r.pool, pool),
            r.drawn,
            pct(r.drawn, drawn)
        ));
    }
    table.push_str(&format!(
        "<tr class=\"sum\"><th scope=\"row\">Σ</th><td>{pool}</td><td>100</td><td>{drawn}</td><td>100</td></tr></tbody></table>"
    ));
    format!(
        "<figure class=\"pair\"><figcaption>{caption}</figcaption><div class=\"side\">{svg}{table}</div></figure>"
    )
}

/// A bar per label (e.g. visits per officer), with the numbers in a table beside it.
pub(crate) fn bars(caption: &str, aria: &str, rows: &[(String, u64)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (80.0, 200.0, 16.0);
    let height = 6.0 + row_h * rows.len() as f64;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {w} {height}\" width=\"{w}\" height=\"{height}\" role=\"img\" aria-label=\"{aria}\">",
        w = label_w + bar_w + 30.0,
        aria = esc(aria),
    );
    for (i, (label, n)) in rows.iter().enumerate() {
        let y = 3.0 + row_h * i as f64;
        let w = bar_w * *n as f64 / max as f64;
        svg.push_str(&format!(
            "<text x=\"{tx}\" y=\"{ty}\" class=\"cat\" text-anchor=\"end\">{label}</text>\
             <rect class=\"k-drawn\" x=\"{label_w}\" y=\"{y1}\" width=\"{w:.1}\" height=\"11\"/>\
             <text x=\"{vx:.1}\" y=\"{ty}\" class=\"val\">{n}</text>",
            tx = label_w - 6.0,
            ty = y + 10.0,
            label = esc(label),
            y1 = y + 1.0,
            vx = label_w + w + 3.0,
        ));
    }
    svg.push_str("</svg>");
    let mut table = String::from("<table class=\"nums\"><tbody>");
    for (label, n) in rows {
        table.push_str(&format!(
            "<tr><th scope=\"row\">{}</th><td>{n}</td></tr>",
            esc(label)
        ));
    }
    table.push_str("</tbody></table>");
    format!(
        "<figure class=\"pair\"><figcaption>{caption}</figcaption><div class=\"side\">{svg}{table}</div></figure>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_and_counts_are_both_shown() {
        let rows = [
            Pair {
                label: "A".into(),
                pool: 30,
                drawn: 1,
            },
            Pair {
                label: "<B>".into(),
                pool: 70,
                drawn: 3,
            },
        ];
        let html = pool_vs_drawn("c", "a", &rows);
        assert!(html.contains("<td>70</td><td>70.0</td><td>3</td><td>75.0</td>"));
        assert!(html.contains("&lt;B&gt;") && !html.contains("<B>"));
        let html = bars("c", "a", &[("x".into(), 0)]);
        assert!(html.contains("<td>0</td>"));
    }
}
