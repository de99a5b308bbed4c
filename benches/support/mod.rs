//! What the RTL benchmarks share: their arguments and the block of a
//! document they rewrite.

use std::path::{Path, PathBuf};

/// `--out FILE` (the document whose block to rewrite), `--seconds S` (the
/// time of one measurement), `--date D` (printed with the results); `cargo
/// bench`'s own `--bench` is ignored.
pub struct BenchArgs {
    /// The document to rewrite, if any.
    pub out: Option<PathBuf>,
    /// Seconds per measurement.
    pub seconds: f64,
    /// The date the results are from.
    pub date: String,
}

impl BenchArgs {
    /// The process's arguments.
    pub fn parse() -> BenchArgs {
        let mut a = BenchArgs {
            out: None,
            seconds: 3.0,
            date: "an unstated date".to_string(),
        };
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--out" => a.out = args.next().map(PathBuf::from),
                "--seconds" => a.seconds = args.next().and_then(|s| s.parse().ok()).expect("--seconds S"),
                "--date" => a.date = args.next().expect("--date YYYY-MM-DD"),
                _ => {}
            }
        }
        a
    }
}

/// Replace what lies between the lines `begin` and `end` of the document at
/// `path` with `md`.
pub fn write_block(path: &Path, begin: &str, end: &str, md: &str) {
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let (Some(b), Some(e)) = (doc.find(begin), doc.find(end)) else {
        panic!("{} has no {begin} ... {end} block", path.display());
    };
    let text = format!("{}{begin}\n{md}{end}{}", &doc[..b], &doc[e + end.len()..]);
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    eprintln!("wrote {}", path.display());
}
