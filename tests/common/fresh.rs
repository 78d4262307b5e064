//! Whether a built WebAssembly module is at least as new as the sources it is built from, so a
//! suite never tests old code (`tests/wasm.rs`, `tests/browser.rs`).

use std::path::Path;
use std::time::SystemTime;

/// Panics with `hint` (how to build it) when `module` is missing or older than anything under
/// `src/`, `examples/`, `Cargo.toml` or `Cargo.lock`.
pub fn assert_fresh(module: &Path, hint: &str) {
    let built = match std::fs::metadata(module).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(e) => panic!(
            "no WebAssembly module at {} ({e}):\n{hint}",
            module.display()
        ),
    };
    let newest = ["src", "examples", "Cargo.toml", "Cargo.lock"]
        .iter()
        .filter_map(|p| newest_mtime(&super::root().join(p)))
        .max();
    if let Some(newest) = newest {
        assert!(
            built >= newest,
            "{} is older than the sources, so it would test old code:\n{hint}",
            module.display()
        );
    }
}

fn newest_mtime(p: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(p).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(p)
        .ok()?
        .filter_map(|e| newest_mtime(&e.ok()?.path()))
        .max()
}
