//! Where slow tools' results are kept between runs: Verilator models of the
//! cores ([`crate::verilator::library`]) and yosys netlists
//! ([`crate::rungs::synth_ice40`]). Every entry is named by a digest of all
//! its inputs (texts, arguments, tool versions), so an entry is never stale:
//! a changed input is a new name.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// The cache folder: `SPIKEFAB_CACHE`, else `$XDG_CACHE_HOME/spikefab`, else
/// `~/.cache/spikefab`, else `spikefab-cache` in the system temp folder.
/// (`make` sets `SPIKEFAB_CACHE` to `target/spikefab-cache`.)
pub fn root() -> PathBuf {
    std::env::var_os("SPIKEFAB_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("spikefab")))
        .or_else(|| std::env::var_os("HOME").map(|d| PathBuf::from(d).join(".cache/spikefab")))
        .unwrap_or_else(|| std::env::temp_dir().join("spikefab-cache"))
}

/// A digest of `parts` (each length-prefixed, so that no two lists of parts
/// give the same byte stream), as 20 hex digits.
pub fn key<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize()[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// Write `bytes` to `path` through a temporary file beside it, so that a
/// reader never sees a half-written entry.
pub fn store(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp-{}-{n}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_separate_their_parts() {
        let a: [&[u8]; 2] = [b"ab", b"c"];
        let b: [&[u8]; 2] = [b"a", b"bc"];
        assert_ne!(key(a), key(b));
        assert_eq!(key(a), key(a));
        assert_eq!(key(a).len(), 20);
    }
}
