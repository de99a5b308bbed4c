"""Write the NIR graphs the importer's tests read, with the `nir` package
installed in this Python (the Makefile runs it once per pinned nir version:
1.0.7 writes contiguous arrays, 1.0.8 chunked and gzip-compressed ones).

For each graph NAME it writes NAME.nir and NAME.json: the graph as h5py (the
HDF5 reference library) reads the file back, nested graphs flattened as
`outer.inner` with edges into or out of them taken to their one Input or
Output node. `host/tests/nir_read.rs` checks that spikefab reads the same.

    python graphs.py OUT_DIR
"""
import json
import sys
from pathlib import Path

import h5py
import nir
import numpy as np


def cuba(n, tau_syn=0.005, tau_mem=0.02):
    return nir.CubaLIF(
        tau_syn=np.full(n, tau_syn), tau_mem=np.full(n, tau_mem), r=np.linspace(0.5, 2.0, n),
        v_leak=np.zeros(n), v_threshold=np.full(n, 1.0), v_reset=np.full(n, -0.1), w_in=np.ones(n),
    )


def graphs():
    w = (np.arange(12, dtype=np.float32).reshape(3, 4) - 6) / 10
    yield "feedforward", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([4])),
            "fc": nir.Affine(weight=w, bias=np.array([0.1, -0.2, 0.3], dtype=np.float32)),
            "lif": cuba(3),
            "output": nir.Output(output_type=np.array([3])),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
    )
    # Every node type the chip can express, with extreme values.
    yield "every_node", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2])),
            "linear": nir.Linear(weight=np.array([[1e-6, -3.5], [250.0, 0.0]])),
            "lif": nir.LIF(tau=np.array([1e-4, 0.5]), r=np.ones(2), v_leak=np.array([-0.07, 0.0]),
                           v_threshold=np.array([0.03, 1.0]), v_reset=np.zeros(2)),
            "scale": nir.Scale(scale=np.array([2.0, -0.5])),
            "delay": nir.Delay(delay=np.array([0.001, 0.0025])),
            "if": nir.IF(r=np.array([1.0, 3.0]), v_threshold=np.array([0.5, 2.0]), v_reset=np.zeros(2)),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "linear"), ("linear", "lif"), ("lif", "scale"), ("scale", "delay"),
               ("delay", "if"), ("if", "output"), ("if", "linear")],
    )
    inner = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2])),
            "fc": nir.Affine(weight=np.eye(2), bias=np.zeros(2)),
            "lif": cuba(2, tau_syn=0.002),
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
    )
    # snnTorch's convention (r = tau_mem / dt, w_in = tau_syn / dt, dt =
    # 1 ms), two layers and a recurrent one, for the behaviour test.
    rng = np.random.default_rng(17)
    dt, n_in, n_hid, n_out = 1e-3, 16, 8, 4
    tau_syn, tau_mem = np.full(n_hid, 0.005), np.full(n_hid, 0.02)
    yield "snntorch_like", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([n_in])),
            "fc1": nir.Affine(weight=rng.normal(0.01, 0.03, (n_hid, n_in)), bias=rng.normal(0.0, 0.005, n_hid)),
            "lif1": nir.CubaLIF(tau_syn=tau_syn, tau_mem=tau_mem, r=tau_mem / dt, w_in=tau_syn / dt,
                                v_leak=np.zeros(n_hid), v_threshold=np.ones(n_hid), v_reset=np.zeros(n_hid)),
            "fc2": nir.Linear(weight=rng.normal(0.3, 0.3, (n_out, n_hid))),
            "lif2": nir.LIF(tau=np.full(n_out, 0.01), r=np.full(n_out, 0.01 / dt), v_leak=np.zeros(n_out),
                            v_threshold=np.full(n_out, 0.8), v_reset=np.zeros(n_out)),
            "rec": nir.Linear(weight=-0.2 * (1 - np.eye(n_out))),
            "output": nir.Output(output_type=np.array([n_out])),
        },
        edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "rec"),
               ("rec", "lif2"), ("lif2", "output")],
    )
    yield "nested", nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([2])),
            "block": inner,
            "output": nir.Output(output_type=np.array([2])),
        },
        edges=[("input", "block"), ("block", "output")],
    )


def flatten(group, prefix, out):
    """The nodes of the graph in `group` into `out`, as spikefab reads them (see
    the module's doc); returns its Input and Output nodes and its edges."""
    ends, inner, nested = {"Input": [], "Output": []}, {}, []
    for name, node in group["nodes"].items():
        kind = node["type"][()].decode()
        full = prefix + name
        if kind == "NIRGraph":
            inner[name], edges = flatten(node, full + ".", out)
            nested += edges
            continue
        if kind in ends:
            ends[kind].append(full)
        params = {}
        for p, d in node.items():
            if p in ("type", "metadata"):
                continue
            a = np.asarray(d[()], dtype=np.float64)
            params[p] = {"shape": list(a.shape), "values": a.ravel().tolist()}
        out[full] = {"kind": kind, "params": params}
    own = []
    for a, b in np.asarray(group["edges"][()]).reshape(-1, 2):
        a, b = a.decode(), b.decode()
        own.append([inner[a]["Output"][0] if a in inner else prefix + a,
                    inner[b]["Input"][0] if b in inner else prefix + b])
    return ends, own + nested


def broken(out_dir):
    """Files that are HDF5 but not a readable graph, written with h5py, each
    with the words its error must contain (NAME.error)."""
    def graph(path, nodes, edges):
        with h5py.File(path, "w") as f:
            f["version"] = "1.0.8"
            g = f.create_group("node")
            g["type"] = "NIRGraph"
            ns = g.create_group("nodes")
            def put(group, fields):
                for k, v in fields.items():
                    if isinstance(v, dict):
                        put(group.create_group(k), v)
                    else:
                        group[k] = v
            for name, fields in nodes.items():
                put(ns.create_group(name), fields)
            g["edges"] = np.array(edges, dtype=object).reshape(-1, 2).astype(h5py.string_dtype())
    cases = {
        "bad_no_type": ({"a": {"shape": np.array([1])}}, [], "/node/nodes/a/type"),
        "bad_edge": ({"a": {"type": "Input", "shape": np.array([1])}}, [("a", "ghost")],
                     "edge a -> ghost names ghost, which is not a node of this graph"),
        "bad_param": ({"a": {"type": "Scale", "scale": "two"}}, [], "/node/nodes/a/scale: a parameter of type"),
        "bad_ends": ({"a": {"type": "Input", "shape": np.array([1])},
                      "sub": {"type": "NIRGraph", "edges": np.zeros((0, 2), dtype=h5py.string_dtype()),
                              "nodes": {"i": {"type": "Input", "shape": np.array([1])},
                                        "j": {"type": "Input", "shape": np.array([1])}}}},
                     [("a", "sub")], "edge a -> sub enters the nested graph sub, which has not exactly one Input node"),
    }
    for name, (nodes, edges, words) in cases.items():
        graph(out_dir / f"{name}.nir", nodes, edges)
        (out_dir / f"{name}.error").write_text(words)
    # Graphs that read but do not import, each with the words of its error
    # (NAME.import_error).
    inp = lambda n: {"type": "Input", "shape": np.array([n])}
    out = lambda n: {"type": "Output", "shape": np.array([n])}
    cuba = {"type": "CubaLIF", "tau_syn": np.full(2, 0.005), "tau_mem": np.full(2, 0.02), "r": np.ones(2),
            "v_leak": np.zeros(2), "v_threshold": np.ones(2), "v_reset": np.zeros(2), "w_in": np.ones(2)}
    no_syn = {k: v for k, v in cuba.items() if k != "tau_syn"}
    eye = {"type": "Linear", "weight": np.eye(2)}
    chain = [("i", "w"), ("w", "n"), ("n", "o")]
    import_cases = {
        "imp_conv": ({"i": inp(2), "w": {"type": "Conv2d", "weight": np.zeros((1, 1, 3, 3))}, "n": cuba,
                      "o": out(2)}, chain, "node w (Conv2d): convolutions have no chip form"),
        "imp_li": ({"i": inp(2), "w": eye, "n": {"type": "LI", "tau": np.ones(2), "r": np.ones(2),
                                                  "v_leak": np.zeros(2)}, "o": out(2)}, chain,
                   "node n (LI): a neuron without spikes"),
        "imp_unknown": ({"i": inp(2), "w": {"type": "Mystery"}, "n": cuba, "o": out(2)}, chain,
                        "node w (Mystery): an unknown NIR node type"),
        "imp_missing": ({"i": inp(2), "w": eye, "n": no_syn, "o": out(2)}, chain,
                        "node n (CubaLIF): has no parameter tau_syn"),
        "imp_shape": ({"i": inp(3), "w": eye, "n": cuba, "o": out(2)}, chain,
                      "node w (Linear): takes 2 channels, but i (Input) gives 3"),
        "imp_loop": ({"i": inp(2), "w": eye, "x": eye, "n": cuba, "o": out(2)},
                     [("i", "w"), ("w", "x"), ("x", "w"), ("x", "n"), ("n", "o")],
                     "it is on a loop without a neuron"),
        "imp_output": ({"i": inp(2), "w": {"type": "Linear", "weight": 2 * np.eye(2)}, "n": cuba, "o": out(2)},
                       [("i", "n"), ("n", "w"), ("w", "o")],
                       "node o (Output): the chip's outputs are spikes"),
        "imp_tau": ({"i": inp(2), "w": eye, "n": {**cuba, "tau_syn": np.full(2, 0.0004)}, "o": out(2)}, chain,
                    "node n (CubaLIF): tau_syn: 0.4 ms is shorter than a tick (dt = 1 ms)"),
        "imp_delay": ({"i": inp(2), "w": {"type": "Delay", "delay": np.full(2, 1.0)}, "n": cuba, "o": out(2)},
                      chain, "node n (CubaLIF): the Delay nodes on its input from i add 1000 ticks"),
        "imp_weight": ({"i": inp(2), "w": {"type": "Linear", "weight": 1e6 * np.eye(2)}, "n": cuba, "o": out(2)},
                       chain, "node n (CubaLIF): an input weight of 1000000.0000 thresholds"),
        "imp_threshold": ({"i": inp(2), "w": eye, "n": {**cuba, "v_reset": np.array([0.0, 1.5])}, "o": out(2)},
                          chain, "node n (CubaLIF): neuron 1: v_threshold 1 is not above v_reset 1.5"),
    }
    for name, (nodes, edges, words) in import_cases.items():
        graph(out_dir / f"{name}.nir", nodes, edges)
        (out_dir / f"{name}.import_error").write_text(words)
    # A graph that holds itself (an HDF5 hard link to its own group).
    path = out_dir / "bad_cycle.nir"
    graph(path, {"a": {"type": "Input", "shape": np.array([1])}}, [])
    with h5py.File(path, "a") as f:
        f["node/nodes/self"] = f["node"]
    (out_dir / "bad_cycle.error").write_text("graphs nested more than 16 deep")


def main():
    out_dir = Path(sys.argv[1])
    out_dir.mkdir(parents=True, exist_ok=True)
    broken(out_dir)
    for name, g in graphs():
        path = out_dir / f"{name}.nir"
        nir.write(path, g)
        with h5py.File(path) as f:
            flat = {"version": f["version"][()].decode(), "nodes": {}}
            _, flat["edges"] = flatten(f["node"], "", flat["nodes"])
        (out_dir / f"{name}.json").write_text(json.dumps(flat, indent=1))


if __name__ == "__main__":
    main()
