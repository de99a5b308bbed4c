//! Where the NIR test graphs are: `make nir-graphs` writes them with each
//! pinned nir version (`host/tests/nir/graphs.py`).

use std::path::{Path, PathBuf};

/// The folder of the graphs, one sub-folder per nir version
/// (`SPIKEFAB_NIR_GRAPHS`, default `target/nir-graphs`).
pub fn graphs_dir() -> PathBuf {
    let dir = std::env::var_os("SPIKEFAB_NIR_GRAPHS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/nir-graphs"));
    assert!(
        dir.join("1.0.7").is_dir() && dir.join("1.0.8").is_dir(),
        "{}: no NIR graphs of nir 1.0.7 and 1.0.8; `make nir-graphs` writes them",
        dir.display()
    );
    dir
}

/// The files of both versions with extension `ext` (`json` for good graphs,
/// `error` for unreadable ones, `import_error` for ones the chip refuses).
#[allow(dead_code)] // not every test crate that includes this module lists cases
pub fn cases(ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for version in ["1.0.7", "1.0.8"] {
        for entry in std::fs::read_dir(graphs_dir().join(version)).unwrap() {
            let p = entry.unwrap().path();
            if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
