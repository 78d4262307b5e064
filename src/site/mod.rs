//! 一公开 as a web page: the published folder's notice (`index.html`) and the files it needs,
//! made from values, so that a bureau's website, a `file://` copy and a printed sheet all show
//! the same thing.
//!
//! The page is static HTML: plan, ceremony, results, replacements and inspection results are
//! readable with JavaScript off and print on paper. With JavaScript, its 验证 / Verify button runs
//! the verifier (`examples/site_verifier.rs`, the library built for `wasm32-wasip1`) in the
//! browser on the bytes in `site/data.js`, through the in-memory WASI shim of `site/wasi.js`,
//! and compares the tables on the page with what the verified log implies. Nothing is loaded
//! from any other host; the data and the WebAssembly are scripts, not fetched files, because
//! browsers refuse `fetch` on `file://`.

mod chart;
mod page;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::directory::Targets;
use crate::plan::Plan;
use crate::publish::Publication;

/// The verifier module the page runs.
#[derive(Debug, Clone, Copy)]
pub struct Verifier<'a> {
    /// The module's bytes (`site_verifier.wasm`), gzip-compressed if `gzip`.
    pub bytes: &'a [u8],
    /// True when `bytes` are gzip (the page inflates them with the browser's own
    /// `DecompressionStream`).
    pub gzip: bool,
}

/// The two directory files, published so that the page can re-run the draw.
#[derive(Debug, Clone, Copy)]
pub struct Directories<'a> {
    /// The target directory's bytes, exactly as its digest was taken.
    pub targets: &'a [u8],
    /// The officer directory's bytes.
    pub officers: &'a [u8],
}

/// One recorded inspection result, as the page shows it (the results issue supplies these).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// The task.
    pub task: String,
    /// The enterprise's unified social credit code.
    pub enterprise: String,
    /// The outcome as recorded (e.g. 未发现问题 / 责令整改).
    pub outcome: String,
    /// Free text: findings, measures.
    pub detail: String,
    /// When it was recorded, as written.
    pub date: String,
}

/// What the site is made from.
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    /// The published folder (`publish::publish`).
    pub publication: &'a Publication,
    /// The plan.
    pub plan: &'a Plan,
    /// The target directory, for the pool charts (only counts by district and class are shown).
    pub targets: &'a Targets,
    /// The verifier to embed; without it the page is a notice that cannot check itself.
    pub verifier: Option<Verifier<'a>>,
    /// The directories, when they are published.
    pub directories: Option<Directories<'a>>,
    /// Inspection results recorded so far (empty: none yet).
    pub inspections: &'a [Inspection],
}

/// Where the page's virtual file system puts the published folder.
const ROOT: &str = "/pub/";

/// HTML-escapes text for element content and quoted attributes.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A file for the page's virtual file system: UTF-8 text as a JSON string (smaller than
/// base64 for Chinese text, and the page re-encodes it to the same bytes), anything else as
/// base64.
fn embed(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(t) => json!({ "t": t }),
        Err(_) => json!({ "b": base64::engine::general_purpose::STANDARD.encode(bytes) }),
    }
}

/// A plan path (relative to the plan's folder) in the page's virtual file system.
fn virtual_path(p: &std::path::Path) -> String {
    let rel = p.to_string_lossy().replace('\\', "/");
    if rel.starts_with('/') {
        rel
    } else {
        format!("{ROOT}{rel}")
    }
}

/// Where a published directory goes in the folder: at the path the plan names when that is
/// inside the folder (so that `dualdraw verify draw.log --plan plan.toml` runs there as it is),
/// else under `directories/`.
pub(crate) fn directory_path(site: &Site, p: &std::path::Path) -> String {
    use std::path::Component;
    let inside = p.components().all(|c| matches!(c, Component::Normal(_)));
    let rel = p.to_string_lossy().replace('\\', "/");
    let taken = site.publication.files.iter().any(|(n, _)| *n == rel)
        || rel == "index.html"
        || rel.starts_with("site/");
    if inside && !taken {
        rel
    } else {
        let name = p
            .file_name()
            .map_or("directory.csv".into(), |n| n.to_string_lossy());
        format!("directories/{name}")
    }
}

/// The site's files, by relative path: `index.html`, `site/…` and, when given, the
/// directories under `directories/`.
pub fn render(site: &Site) -> Vec<(String, Vec<u8>)> {
    let mut files: serde_json::Map<String, Value> = site
        .publication
        .files
        .iter()
        .map(|(n, b)| (format!("{ROOT}{n}"), embed(b)))
        .collect();
    let mut out = Vec::new();
    if let Some(d) = site.directories {
        for (p, bytes) in [
            (&site.plan.targets, d.targets),
            (&site.plan.officers, d.officers),
        ] {
            files.insert(virtual_path(p), embed(bytes));
            out.push((directory_path(site, p), bytes.to_vec()));
        }
    }
    let data = json!({
        "plan": format!("{ROOT}plan.toml"),
        "log": format!("{ROOT}draw.log"),
        "directories": site.directories.is_some(),
        "files": files,
    });
    out.push((
        "site/data.js".into(),
        format!("window.DUALDRAW_DATA = {data};\n").into_bytes(),
    ));
    if let Some(v) = site.verifier {
        let b64 = base64::engine::general_purpose::STANDARD.encode(v.bytes);
        out.push((
            "site/verifier.js".into(),
            format!(
                "window.DUALDRAW_VERIFIER = {{ gzip: {}, base64: \"{b64}\" }};\n",
                v.gzip
            )
            .into_bytes(),
        ));
    }
    out.push((
        "site/site.css".into(),
        include_str!("../../site/site.css").into(),
    ));
    out.push((
        "site/wasi.js".into(),
        include_str!("../../site/wasi.js").into(),
    ));
    out.push((
        "site/site.js".into(),
        include_str!("../../site/site.js").into(),
    ));
    out.push(("index.html".into(), page::index(site).into_bytes()));
    out
}
