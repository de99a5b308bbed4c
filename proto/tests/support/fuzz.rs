//! What the fuzz targets share (`proto/tests/fuzz.rs`, `sim/tests/fuzz.rs`,
//! `tests/rtl/fuzz_rtl.rs` and the NIR reader's and importer's in
//! `host/tests/`, which include this file): the number of cases per tier, and
//! edits of a byte stream.

#![allow(dead_code)]

use proptest::prelude::*;
use proptest::test_runner::{Config, FileFailurePersistence};

/// Cases per target: `SPIKEFAB_FUZZ_CASES`, else 10,000 (`make test-slow`
/// sets 1,000,000).
pub fn cases() -> u32 {
    std::env::var("SPIKEFAB_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000)
}

/// A proptest configuration with [`cases`] cases whose failures are kept
/// beside the test file (as named regressions).
pub fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..Config::default()
    }
}

/// One edit of a byte stream, at a position taken modulo its length.
#[derive(Debug, Clone)]
pub enum Edit {
    /// The byte becomes this.
    Set(usize, u8),
    /// These bits of the byte flip.
    Flip(usize, u8),
    /// These many bytes are lost.
    Remove(usize, usize),
    /// These bytes come in before it.
    Insert(usize, Vec<u8>),
    /// The byte becomes a frame's sync (0xA5).
    Sync(usize),
}

/// Any [`Edit`].
pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        (any::<usize>(), 1u8..=255).prop_map(|(i, m)| Edit::Flip(i, m)),
        (any::<usize>(), 1usize..8).prop_map(|(i, n)| Edit::Remove(i, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(i, b)| Edit::Insert(i, b)),
        any::<usize>().prop_map(Edit::Sync),
    ]
}

/// Apply `e` to `bytes` (nothing to an empty stream).
pub fn apply(bytes: &mut Vec<u8>, e: &Edit) {
    if bytes.is_empty() {
        return;
    }
    let at = |i: &usize| i % bytes.len();
    match e {
        Edit::Set(i, b) => {
            let i = at(i);
            bytes[i] = *b
        }
        Edit::Flip(i, m) => {
            let i = at(i);
            bytes[i] ^= m
        }
        Edit::Remove(i, n) => {
            let i = at(i);
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
        Edit::Insert(i, b) => {
            let i = at(i);
            bytes.splice(i..i, b.iter().copied());
        }
        Edit::Sync(i) => {
            let i = at(i);
            bytes[i] = 0xA5
        }
    }
}
