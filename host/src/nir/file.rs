//! Reading NIR graphs (the Neuromorphic Intermediate Representation,
//! `docs/nir.md`): the HDF5 file as a flat graph of typed nodes with their
//! parameter arrays and the edges between them, before any mapping to the
//! chip.
//!
//! A NIR file holds a `version` string and a group `node`, the top graph:
//! `node/type` = "NIRGraph", `node/nodes/<name>/` one group per node (a `type`
//! string and one dataset per parameter), `node/edges` an (E, 2) array of
//! `[source, target]` names. A node may itself be a graph; its nodes come out
//! here as `outer.inner`, and an edge into or out of it goes to its one
//! `Input` or from its one `Output` node; a node's `metadata` group is
//! skipped. Both storage forms of the files are
//! read: contiguous arrays (nir up to 1.0.7) and chunked, gzip-compressed
//! ones (nir 1.0.8). The reader is `hdf5-reader`, pure Rust: no C library.

use std::collections::BTreeMap;
use std::path::Path;

use hdf5_reader::group::Group;
use hdf5_reader::{Datatype, Hdf5File, OpenOptions};

/// The largest array a NIR file may hold (bytes once decoded): 64 MiB, 16 M
/// `f32` weights, far beyond any core's synapse memory.
pub const MAX_READ_BYTES: usize = 64 << 20;

/// How deep graphs may nest.
pub const MAX_DEPTH: usize = 16;

/// A NIR graph, nested graphs flattened.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    /// The file's NIR version (`version`), empty where the file has none.
    pub version: String,
    /// The nodes by name (`outer.inner` inside a nested graph).
    pub nodes: BTreeMap<String, Node>,
    /// `(source, target)` node names, in the file's order (a nested graph's
    /// own edges after the edge that reaches it).
    pub edges: Vec<(String, String)>,
}

/// One node: its NIR type and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The NIR type: `Input`, `Affine`, `CubaLIF`, ...
    pub kind: String,
    /// Each parameter dataset, as numbers.
    pub params: BTreeMap<String, Array>,
}

/// A numeric parameter: its shape and its values in row-major order, as
/// `f64` whatever the file's type (NIR's integers are shapes and counts).
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// The dataset's shape (empty for a scalar).
    pub shape: Vec<usize>,
    /// The values, row-major.
    pub values: Vec<f64>,
}

/// Why a NIR file cannot be read: each names the file and, inside it, the
/// HDF5 path of the object at fault.
#[derive(Debug, thiserror::Error)]
pub enum NirError {
    /// Not an HDF5 file the reader understands.
    #[error("{file}: not a readable HDF5 file: {cause}")]
    Hdf5 {
        /// The file.
        file: String,
        /// The reader's reason.
        cause: hdf5_reader::error::Error,
    },
    /// An object of the graph that is not there or cannot be read.
    #[error("{file}: {path}: {reason}")]
    Object {
        /// The file.
        file: String,
        /// The HDF5 path inside it.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Read the NIR graph in `path`.
pub fn read(path: &Path) -> Result<Graph, NirError> {
    let bytes = std::fs::read(path).map_err(|e| NirError::Hdf5 {
        file: path.display().to_string(),
        cause: e.into(),
    })?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Read a NIR graph from the bytes of its file, `name` naming it in errors.
pub fn from_bytes(bytes: &[u8], name: &str) -> Result<Graph, NirError> {
    // A damaged size field must be an error, not an allocation of whatever it
    // says: no read larger than a graph the chip could hold many times over.
    let limits = OpenOptions {
        max_read_bytes: MAX_READ_BYTES,
        max_chunk_bytes: MAX_READ_BYTES,
        max_object_header_bytes: 1 << 20,
        ..OpenOptions::default()
    };
    let file = Hdf5File::from_bytes_with_options(bytes, limits).map_err(|cause| NirError::Hdf5 {
        file: name.to_string(),
        cause,
    })?;
    let r = Reader { file: name };
    // The superblock says where the file ends: a shorter file was cut.
    let sb = file.superblock();
    let end = sb.base_address.saturating_add(sb.eof_address);
    if end > bytes.len() as u64 {
        return Err(r.object(
            "/",
            format!("truncated: {} bytes, the file says it has {end}", bytes.len()),
        ));
    }
    let root = file.root_group().map_err(|e| r.object("/", e))?;
    let version = match root.dataset("version") {
        Ok(d) => d.read_string().map_err(|e| r.object("/version", e))?,
        Err(_) => String::new(),
    };
    let top = root.group("node").map_err(|e| r.object("/node", e))?;
    let mut graph = Graph {
        version,
        nodes: BTreeMap::new(),
        edges: Vec::new(),
    };
    r.graph(&top, "/node", "", &mut graph)?;
    Ok(graph)
}

/// The ends of a nested graph, for the edges that reach it from outside.
struct Ends {
    input: Option<String>,
    output: Option<String>,
}

struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn object(&self, path: &str, reason: impl std::fmt::Display) -> NirError {
        NirError::Object {
            file: self.file.to_string(),
            path: path.to_string(),
            reason: reason.to_string(),
        }
    }

    /// The string dataset `name` of `group` (at `path`).
    fn string(&self, group: &Group, path: &str, name: &str) -> Result<String, NirError> {
        let at = format!("{path}/{name}");
        let d = group.dataset(name).map_err(|e| self.object(&at, e))?;
        d.read_string().map_err(|e| self.object(&at, e))
    }

    /// Read the graph `group` (at `path`) into `out`, its nodes named with
    /// `prefix`; returns its `Input` and `Output` nodes.
    fn graph(&self, group: &Group, path: &str, prefix: &str, out: &mut Graph) -> Result<Ends, NirError> {
        // HDF5 groups may link to their ancestors: a cycle would recurse for ever.
        if prefix.matches('.').count() >= MAX_DEPTH {
            return Err(self.object(path, format!("graphs nested more than {MAX_DEPTH} deep")));
        }
        let nodes = group
            .group("nodes")
            .map_err(|e| self.object(&format!("{path}/nodes"), e))?;
        let (names, stray) = nodes
            .member_names()
            .map_err(|e| self.object(&format!("{path}/nodes"), e))?;
        if let Some(s) = stray.first() {
            return Err(self.object(&format!("{path}/nodes/{s}"), "a dataset where a node group belongs"));
        }
        let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
        let mut inner: BTreeMap<String, Ends> = BTreeMap::new();
        let mut nested_edges = Vec::new();
        for name in &names {
            let at = format!("{path}/nodes/{name}");
            let g = nodes.group(name).map_err(|e| self.object(&at, e))?;
            let kind = self.string(&g, &at, "type")?;
            let full = format!("{prefix}{name}");
            match kind.as_str() {
                "NIRGraph" => {
                    let mut sub = Graph {
                        version: String::new(),
                        nodes: BTreeMap::new(),
                        edges: Vec::new(),
                    };
                    let e = self.graph(&g, &at, &format!("{full}."), &mut sub)?;
                    out.nodes.extend(sub.nodes);
                    nested_edges.extend(sub.edges);
                    inner.insert(name.clone(), e);
                }
                _ => {
                    let node = self.node(&g, &at, kind)?;
                    match node.kind.as_str() {
                        "Input" => inputs.push(full.clone()),
                        "Output" => outputs.push(full.clone()),
                        _ => {}
                    }
                    out.nodes.insert(full, node);
                }
            }
        }
        // An edge into or out of a nested graph goes to its one Input or
        // from its one Output node.
        let ends = Ends {
            input: (inputs.len() == 1).then(|| inputs.remove(0)),
            output: (outputs.len() == 1).then(|| outputs.remove(0)),
        };
        for (a, b) in self.edges(group, path)? {
            // Where the edge starts or ends: a node here, or a nested graph's end.
            let end = |name: &String, output: bool| match inner.get(name) {
                None => Ok(format!("{prefix}{name}")),
                Some(e) => {
                    let (end, way, kind) = if output {
                        (&e.output, "leaves", "Output")
                    } else {
                        (&e.input, "enters", "Input")
                    };
                    end.clone().ok_or_else(|| {
                        self.object(
                            &format!("{path}/edges"),
                            format!(
                                "edge {a} -> {b} {way} the nested graph {name}, which has not exactly one {kind} node"
                            ),
                        )
                    })
                }
            };
            let (source, target) = (end(&a, true)?, end(&b, false)?);
            for (end, name) in [(&source, &a), (&target, &b)] {
                if !out.nodes.contains_key(end) {
                    return Err(self.object(
                        &format!("{path}/edges"),
                        format!("edge {a} -> {b} names {name}, which is not a node of this graph"),
                    ));
                }
            }
            out.edges.push((source, target));
        }
        out.edges.extend(nested_edges);
        Ok(ends)
    }

    /// The `edges` dataset of a graph: (E, 2) names.
    fn edges(&self, group: &Group, path: &str) -> Result<Vec<(String, String)>, NirError> {
        let at = format!("{path}/edges");
        let d = group.dataset("edges").map_err(|e| self.object(&at, e))?;
        let shape = d.shape().to_vec();
        let names = match shape.as_slice() {
            // No edges (h5py writes an empty list with some shape of 0).
            s if s.contains(&0) => Vec::new(),
            [_, 2] => d.read_strings().map_err(|e| self.object(&at, e))?,
            _ => return Err(self.object(&at, format!("shape {shape:?}: edges are an (E, 2) array of node names"))),
        };
        if names.len() % 2 != 0 {
            return Err(self.object(&at, format!("{} names: edges are pairs", names.len())));
        }
        Ok(names.chunks(2).map(|p| (p[0].clone(), p[1].clone())).collect())
    }

    /// A node that is not a graph: every dataset but `type` is a parameter.
    fn node(&self, group: &Group, path: &str, kind: String) -> Result<Node, NirError> {
        let (groups, datasets) = group.member_names().map_err(|e| self.object(path, e))?;
        // `metadata` is free-form (NIR 1.0.8); no other group belongs in a node.
        if let Some(g) = groups.iter().find(|g| *g != "metadata") {
            return Err(self.object(&format!("{path}/{g}"), format!("a group inside a {kind} node")));
        }
        let mut params = BTreeMap::new();
        for name in datasets.iter().filter(|n| *n != "type") {
            let at = format!("{path}/{name}");
            let d = group.dataset(name).map_err(|e| self.object(&at, e))?;
            let shape: Vec<usize> = d.shape().iter().map(|&s| s as usize).collect();
            let values: Vec<f64> = match d.dtype() {
                Datatype::FloatingPoint { size: 4, .. } => {
                    numbers::<f32>(&d).map(|v| v.into_iter().map(f64::from).collect())
                }
                Datatype::FloatingPoint { size: 8, .. } => numbers::<f64>(&d),
                Datatype::FixedPoint {
                    size: 8, signed: true, ..
                } => numbers::<i64>(&d).map(|v| v.into_iter().map(|x| x as f64).collect()),
                Datatype::FixedPoint {
                    size: 4, signed: true, ..
                } => numbers::<i32>(&d).map(|v| v.into_iter().map(f64::from).collect()),
                Datatype::FixedPoint {
                    size: 8, signed: false, ..
                } => numbers::<u64>(&d).map(|v| v.into_iter().map(|x| x as f64).collect()),
                Datatype::FixedPoint {
                    size: 4, signed: false, ..
                } => numbers::<u32>(&d).map(|v| v.into_iter().map(f64::from).collect()),
                other => return Err(self.object(&at, format!("a parameter of type {other:?}, not a number"))),
            }
            .map_err(|e| self.object(&at, e))?;
            params.insert(name.clone(), Array { shape, values });
        }
        Ok(Node { kind, params })
    }
}

fn numbers<T: hdf5_reader::H5Type + Copy>(d: &hdf5_reader::Dataset) -> Result<Vec<T>, hdf5_reader::error::Error> {
    Ok(d.read_array::<T>()?.iter().copied().collect())
}
