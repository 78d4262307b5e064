//! The file edges of the published site (`crate::site`): reading the verifier module and the
//! directories, and compressing the module.

use std::io::Write as _;
use std::path::PathBuf;

use crate::error::{ErrorKind, Position, Result};
use crate::io::{self, Inputs};
use crate::publish::Publication;
use crate::site::{self, Directories, Site, Verifier};

/// The environment variable naming the verifier module when `--verifier` is not given.
pub const VERIFIER_ENV: &str = "DUALDRAW_SITE_VERIFIER";

/// Options of the published site (with the `cli` feature, flags of `dualdraw publish`).
#[derive(Debug, Clone, Default)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
pub struct SiteOptions {
    /// The page's verifier: site_verifier.wasm (README: the web profile build); default
    /// $DUALDRAW_SITE_VERIFIER. Without it the page is a notice that cannot check itself.
    #[cfg_attr(feature = "cli", arg(long, value_name = "WASM"))]
    pub verifier: Option<PathBuf>,
    /// Require that the folder carries both directories: refused unless the plan says
    /// `[publish] directories = true`, which alone decides it.
    #[cfg_attr(feature = "cli", arg(long))]
    pub directories: bool,
}

/// The site's files for a publication.
///
/// # Errors
///
/// [`ErrorKind::Io`] when the verifier or a directory cannot be read;
/// [`ErrorKind::InvalidField`] when the verifier is not a WebAssembly module, or when
/// `--directories` is given and the plan does not publish the directories.
pub(super) fn files(
    p: &Publication,
    inputs: &Inputs,
    opts: &SiteOptions,
) -> Result<Vec<(String, Vec<u8>)>> {
    let path = opts
        .verifier
        .clone()
        .or_else(|| std::env::var_os(VERIFIER_ENV).map(PathBuf::from));
    let wasm = match &path {
        Some(path) => {
            let b = io::read(path)?;
            if !b.starts_with(b"\0asm") {
                return Err(ErrorKind::InvalidField {
                    pos: Position::file(path),
                    found: "a file that does not begin with \\0asm".into(),
                    expected: "the WebAssembly module site_verifier.wasm".into(),
                }
                .into());
            }
            Some(gzip(&b))
        }
        None => None,
    };
    // The plan decides (`[publish] directories`, validated with the plan); the flag only
    // asserts it, for scripts written when it was the switch.
    if opts.directories && !inputs.plan.publish_directories {
        return Err(ErrorKind::InvalidField {
            pos: Position::file(&inputs.plan_path).in_field("publish.directories"),
            found: "--directories, but the plan does not publish the directories".into(),
            expected: "[publish] directories = true in the plan (with officer_fields = [\"name\", \"department\", \"region\"]), or no --directories".into(),
        }
        .into());
    }
    let dirs = if inputs.plan.publish_directories {
        Some((
            io::read(&inputs.targets_path)?,
            io::read(&inputs.officers_path)?,
        ))
    } else {
        None
    };
    // Each visit's current result, with findings only where the plan publishes them.
    let inspections: Vec<site::Inspection> = p
        .results
        .visits
        .iter()
        .filter_map(|v| {
            let cur = v.current()?;
            let detail = if inputs.plan.publish_findings {
                [
                    cur.event.findings.as_deref(),
                    cur.event.follow_up.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("；")
            } else {
                String::new()
            };
            Some(site::Inspection {
                task: v.task.clone(),
                enterprise: v.enterprise.clone(),
                outcome: cur.event.category.clone(),
                detail,
                date: cur.event.date.clone(),
            })
        })
        .collect();
    Ok(site::render(&Site {
        publication: p,
        plan: &inputs.plan,
        targets: &inputs.targets,
        verifier: wasm.as_deref().map(|bytes| Verifier { bytes, gzip: true }),
        directories: dirs.as_ref().map(|(t, o)| Directories {
            targets: t,
            officers: o,
        }),
        inspections: &inspections,
    }))
}

fn gzip(b: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    // Writing to a Vec cannot fail.
    let _ = e.write_all(b);
    e.finish().unwrap_or_default()
}
