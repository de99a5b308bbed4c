//! NIR files as the `nir` package writes them, read back: the graphs of
//! `host/tests/nir/graphs.py`, written by each pinned nir version (`make
//! nir-graphs`: 1.0.7 stores arrays contiguous, 1.0.8 chunked and
//! gzip-compressed), against what h5py reads from the same files; the
//! broken ones refused with errors that name the object; damaged bytes give
//! an error, never a panic.

use std::path::Path;

use proptest::prelude::*;
use spikefab_host::nir::{self, Graph};

use crate::support;

use support::{apply, config, edit};

use crate::nir_files as files;

use files::{cases, graphs_dir};

/// The graph as h5py read it.
fn expected(json: &Path) -> Graph {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(json).unwrap()).unwrap();
    let nodes = v["nodes"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, n)| {
            let params = n["params"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(p, a)| {
                    let shape = a["shape"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_u64().unwrap() as usize);
                    let values = a["values"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap());
                    (
                        p.clone(),
                        nir::Array {
                            shape: shape.collect(),
                            values: values.collect(),
                        },
                    )
                })
                .collect();
            let kind = n["kind"].as_str().unwrap().to_string();
            (name.clone(), nir::Node { kind, params })
        })
        .collect();
    let edges = v["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_str().unwrap().to_string(), e[1].as_str().unwrap().to_string()))
        .collect();
    Graph {
        version: v["version"].as_str().unwrap().to_string(),
        nodes,
        edges,
    }
}

#[test]
fn graphs_of_both_nir_versions_read_as_h5py_reads_them() {
    let cases = cases("json");
    assert!(cases.len() >= 6, "{cases:?}");
    let mut kinds = std::collections::BTreeSet::new();
    for json in cases {
        let mut want = expected(&json);
        let mut got = nir::read(&json.with_extension("nir")).unwrap_or_else(|e| panic!("{e}"));
        // Edges compared as sets: their order is the file's group order.
        want.edges.sort();
        got.edges.sort();
        assert_eq!(got, want, "{}", json.display());
        kinds.extend(got.nodes.values().map(|n| n.kind.clone()));
    }
    let all = [
        "Affine", "CubaLIF", "Delay", "IF", "Input", "LIF", "Linear", "Output", "Scale",
    ];
    assert_eq!(kinds.iter().map(String::as_str).collect::<Vec<_>>(), all);
}

#[test]
fn a_nested_graph_is_flattened_through_its_ends() {
    let g = nir::read(&graphs_dir().join("1.0.8/nested.nir")).unwrap();
    assert!(
        g.edges.contains(&("input".into(), "block.input".into())),
        "{:?}",
        g.edges
    );
    assert!(
        g.edges.contains(&("block.output".into(), "output".into())),
        "{:?}",
        g.edges
    );
    assert_eq!(g.nodes["block.lif"].params["tau_syn"].values, [0.002, 0.002]);
}

#[test]
fn broken_graphs_are_refused_by_name() {
    let cases = cases("error");
    assert_eq!(cases.len(), 10, "{cases:?}");
    for case in cases {
        let words = std::fs::read_to_string(&case).unwrap();
        let file = case.with_extension("nir");
        let e = nir::read(&file).expect_err(&words).to_string();
        assert!(
            e.starts_with(&file.display().to_string()) && e.contains(words.trim()),
            "{e}"
        );
    }
    let e = nir::read(Path::new("no/such.nir")).unwrap_err().to_string();
    assert!(e.starts_with("no/such.nir: not a readable HDF5 file"), "{e}");
    let e = nir::from_bytes(b"not an HDF5 file at all", "x.nir")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("x.nir: not a readable HDF5 file"), "{e}");
}

#[test]
fn a_truncated_file_is_an_error() {
    let bytes = std::fs::read(graphs_dir().join("1.0.8/feedforward.nir")).unwrap();
    for cut in [0, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        let e = nir::from_bytes(&bytes[..cut], "cut.nir").expect_err("a cut file");
        assert!(e.to_string().starts_with("cut.nir: "), "{e}");
    }
}

proptest! {
    #![proptest_config(config())]

    /// Damaged bytes of real files of both versions (bytes set, flipped, lost
    /// or added): an error or a graph, never a panic. Cases: `support::cases`.
    #[test]
    fn damaged_files_never_panic(
        version in prop::sample::select(vec!["1.0.7", "1.0.8"]),
        name in prop::sample::select(vec!["every_node", "nested"]),
        edits in prop::collection::vec(edit(), 1..8),
    ) {
        let mut bytes = std::fs::read(graphs_dir().join(version).join(format!("{name}.nir"))).unwrap();
        for e in &edits {
            apply(&mut bytes, e);
        }
        let _ = nir::from_bytes(&bytes, "damaged.nir");
    }
}
