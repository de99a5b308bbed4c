"""Build one benchmark workload (bench/workloads/*.toml) in Spikefab, Brian2 or NEST.

A workload is defined once, in physical units. This module turns it into
- a Spikefab network file (in physical units: the loader quantizes it, docs/units.md),
- a Brian2 network (C++ standalone, one thread),
- a NEST network (one thread),
runs it and prints one JSON object: the time of the simulation loop alone, the
spike count, the synaptic events it caused, the peak memory of the process
that simulated (VmHWM, read before any analysis) and, with plasticity, the
final plastic weights as fractions of their upper bound.

    python bench/build.py spikefab-net WORKLOAD [--neurons N] [--dt MS] > net.toml   # the Spikefab network file
    python bench/build.py brian2 WORKLOAD [--neurons N] [--scratch DIR]  # run in Brian2, print JSON
    python bench/build.py nest WORKLOAD [--neurons N] [--threads T]      # run in NEST (T threads), print JSON

`--seed S` replaces the workload's `seed` (every random choice derives from it:
the weights, the inputs, the initial potentials).

`--no-synapses` builds the same neurons and inputs without synapses and runs no
time (the memory baseline; Spikefab's file keeps its ticks, so that its input
spikes are generated, and run.py runs it with `--ticks 1`). `--neurons N`
scales the populations to N neurons in all (for the workloads with a `scale`
list; in-degrees stay as they are).

The model (bench/README.md): LIF neurons  tau_m dv/dt = -(v - v_rest) + g  with
either exponential synapses (`synapse = "exp"`: tau_syn dg/dt = -g, a spike
adds `weight_mV` to g) or voltage jumps (`synapse = "delta"`: a spike adds
`weight_mV` to v, nothing while refractory); input populations of independent
Poisson trains; additive pair-based STDP (Song, Miller & Abbott 2000) with
hard bounds 0..w_max.
"""

import json
import sys
import time
import tomllib


def load(path, synapses=True, neurons=None, dt=None):
    """The workload at `path`, scaled to `neurons` if given, at a tick of
    `dt` ms if given (instead of its `dt_ms`); without
    `synapses`, every projection empty and no time simulated (`run_ms` 0: the
    memory baseline, the neurons, inputs and simulator alone)."""
    with open(path, "rb") as f:
        w = tomllib.load(f)
    for key in ("name", "title", "dt_ms", "duration_ms", "seed", "neuron", "population", "projection"):
        if key not in w:
            raise SystemExit(f"{path}: missing `{key}`")
    if dt is not None:
        w["dt_ms"] = dt
        w["title"] = f"{w['title']}, dt = {dt} ms"
        # Delays in whole steps, at least one, so that all three simulators
        # run the same ones (1.5 ms is 2 steps of 1 ms; 0.1 ms is 1 step).
        for pr in w["projection"]:
            pr["delay_ms"] = max(1, round(pr["delay_ms"] / dt)) * dt
    w.setdefault("input", [])
    w["neuron"].setdefault("synapse", "exp")
    if w["neuron"]["synapse"] not in ("exp", "delta"):
        raise SystemExit(f"{path}: neuron.synapse must be \"exp\" or \"delta\"")
    total = sum(p["size"] for p in w["population"])
    if neurons is not None:
        for p in w["population"]:
            p["size"] = round(p["size"] * neurons / total)
        w["title"] = f"{w['title']}, N = {neurons:,}"
    w["size"] = sum(p["size"] for p in w["population"])
    for pr in w["projection"]:
        rules = [k for k in ("p", "indegree", "all") if k in pr]
        if len(rules) != 1:
            raise SystemExit(f"{path}: projection {pr['from']} -> {pr['to']} needs one of p, indegree, all")
        if pr.get("plastic") and "stdp" not in w:
            raise SystemExit(f"{path}: projection {pr['from']} -> {pr['to']} is plastic but there is no [stdp]")
    # Model time to simulate; the baseline runs none (its inputs are still built
    # for the whole duration, so they count in the baseline, not the synapses).
    w["run_ms"] = w["duration_ms"]
    if not synapses:
        w["projection"] = []
        w["run_ms"] = 0.0
    return w


def first_index(w, name):
    """Index of the first neuron of population `name` (in file order) and its size."""
    start = 0
    for p in w["population"]:
        if p["name"] == name:
            return start, p["size"]
        start += p["size"]
    raise SystemExit(f"no population `{name}`")


def is_input(w, name):
    return any(i["name"] == name for i in w["input"])


def weight_range(pr):
    """(lo, hi) of the projection's weights in mV (equal for a fixed weight)."""
    wt = pr["weight_mV"]
    return (wt[0], wt[1]) if isinstance(wt, list) else (wt, wt)


def peak_rss(status="/proc/self/status"):
    """The process's peak resident set (VmHWM) in bytes."""
    with open(status) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise SystemExit(f"no VmHWM in {status}")


def events(counts_by_source, projections_out_degrees):
    """Synaptic events: spikes of each source times its out-degree, summed."""
    return int(sum((c * d).sum() for c, d in zip(counts_by_source, projections_out_degrees)))


# ---------------------------------------------------------------- Spikefab


def toml_value(x):
    """A number (or [lo, hi], a uniform range) as a network file writes it."""
    if isinstance(x, list):
        return f"{{ uniform = [{float(x[0])}, {float(x[1])}] }}"
    return repr(float(x))


def spikefab_network(w):
    """The workload as a Spikefab network file in physical units: the loader's
    quantizer (sim/src/quantize.rs, docs/units.md) chooses the integers, as it
    does for users' files; `spikefab inspect` prints them."""
    n, dt = w["neuron"], w["dt_ms"]
    lif = [
        f"tau_m = {float(n['tau_m_ms'])}",
        *([f"tau_syn = {float(n['tau_syn_ms'])}"] if n["synapse"] == "exp" else []),
        f"v_rest = {float(n['v_rest_mV'])}",
        f"v_reset = {float(n['v_reset_mV'])}",
        f"v_th = {float(n['v_th_mV'])}",
        f"t_ref = {float(n['t_ref_ms'])}",
        f"v_init = {toml_value(n['v_init_mV'])}",
    ]
    out = [
        f"# {w['title']}: generated by bench/build.py from bench/workloads/{w['name']}.toml; do not edit.",
        "[simulation]",
        f"dt = {dt}",
        f"duration = {float(w['duration_ms'])}",
        f"seed = {w['seed']}",
    ]
    # The baseline (--no-synapses) has no plastic projection to give [stdp] its scale.
    if "stdp" in w and w["projection"]:
        s = w["stdp"]
        out += [
            "[stdp]",
            f"tau_plus = {float(s['tau_plus_ms'])}",
            f"tau_minus = {float(s['tau_minus_ms'])}",
            f"a_plus = {float(s['a_plus'])}",
            f"a_minus = {float(s['a_minus'])}",
            f"w_max_mV = {float(s['w_max_mV'])}",
        ]
    for p in w["population"]:
        out += ["[[population]]", f'name = "{p["name"]}"', f"size = {p['size']}", f"lif = {{ {', '.join(lif)} }}"]
    for i in w["input"]:
        rate = float(i["rate_hz"])
        out += ["[[input]]", f'name = "{i["name"]}"', f"size = {i['size']}", f"poisson = {{ rate_hz = {rate} }}"]
    for k, pr in enumerate(w["projection"]):
        lo, hi = weight_range(pr)
        weight = repr(float(lo)) if lo == hi else f"{{ uniform = [{float(lo)}, {float(hi)}], seed = {w['seed'] + k} }}"
        if "p" in pr:
            connect = f'{{ rule = "fixed_probability", p = {pr["p"]} }}'
        elif "indegree" in pr:
            connect = f'{{ rule = "fixed_indegree", k = {pr["indegree"]} }}'
        else:
            connect = '{ rule = "all_to_all" }'
        out += [
            "[[projection]]",
            f'from = "{pr["from"]}"',
            f'to = "{pr["to"]}"',
            f"connect = {connect}",
            f"weight_mV = {weight}",
            f"delay_ms = {float(pr['delay_ms'])}",
        ]
        if pr.get("plastic"):
            out.append("plastic = true")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- Brian2


def run_brian2(w, scratch):
    import numpy as np
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=scratch, build_on_run=False)
    b2.prefs.devices.cpp_standalone.openmp_threads = 0
    b2.seed(w["seed"])
    ms, mV, Hz = b2.ms, b2.mV, b2.Hz
    n = w["neuron"]
    b2.defaultclock.dt = w["dt_ms"] * ms
    ns = {
        "tau_m": n["tau_m_ms"] * ms,
        "v_rest": n["v_rest_mV"] * mV,
        "v_reset": n["v_reset_mV"] * mV,
        "v_th": n["v_th_mV"] * mV,
    }
    delta = n["synapse"] == "delta"
    if delta:
        eqs = "dv/dt = -(v - v_rest) / tau_m : volt (unless refractory)"
    else:
        ns["tau_syn"] = n["tau_syn_ms"] * ms
        eqs = """
        dv/dt = (g - (v - v_rest)) / tau_m : volt (unless refractory)
        dg/dt = -g / tau_syn : volt
        """
    # Brian2 counts the spike's own step into the refractory period, NEST and
    # Spikefab hold v for t_ref after it: one more step gives the same clamp.
    group = b2.NeuronGroup(
        w["size"], eqs, threshold="v >= v_th", reset="v = v_reset",
        refractory=(n["t_ref_ms"] + w["dt_ms"]) * ms, method="exact", namespace=ns,
    )
    v_init = n["v_init_mV"]
    group.v = f"{v_init[0]}*mV + rand() * {v_init[1] - v_init[0]}*mV" if isinstance(v_init, list) else v_init * mV
    if not delta:
        group.g = 0 * mV
    inputs = {i["name"]: b2.PoissonGroup(i["size"], i["rate_hz"] * Hz, name=f"input_{i['name']}") for i in w["input"]}
    # Voltage jumps are lost while the target is refractory (as in NEST and Spikefab).
    target = "v_post += w_syn * int(not_refractory_post)" if delta else "g_post += w_syn"
    synapses = []
    for k, pr in enumerate(w["projection"]):
        if is_input(w, pr["from"]):
            source, a = inputs[pr["from"]], None
        else:
            a, na = first_index(w, pr["from"])
            source = group[a:a + na]
        b, nb = first_index(w, pr["to"])
        lo, hi = weight_range(pr)
        # A fixed weight is a constant in the code, as a Brian2 user writes it: no per-synapse variable.
        fixed = lo == hi and not pr.get("plastic")
        model = "" if fixed else "w_syn : volt"
        on_pre, on_post = target.replace("w_syn", f"({lo}*mV)") if fixed else target, None
        if pr.get("plastic"):
            s = w["stdp"]
            wmax = s["w_max_mV"] * mV
            ns.update({
                "taupre": s["tau_plus_ms"] * ms, "taupost": s["tau_minus_ms"] * ms, "wmax": wmax,
                "dApre": s["a_plus"] * wmax, "dApost": -s["a_minus"] * wmax, "post_delay": pr["delay_ms"] * ms,
            })
            model = """
            w_syn : volt
            dApre/dt = -Apre / taupre : volt (event-driven)
            dApost/dt = -Apost / taupost : volt (event-driven)
            """
            # NEST's convention (its delays are dendritic): a pre spike meets the
            # synapse when it starts, a post spike one delay after it leaves the soma;
            # so the plasticity gets its own pathway without delay, and on_post waits.
            # A post spike that reaches the synapse in the step a pre spike starts makes
            # no pair (NEST leaves such pairs out, as the chip does): on_post runs first in
            # the step (order -1), so its bump is taken back out of Apost here.
            same_step = "int(abs(t - lastspike_post - post_delay) < 0.5*dt)"
            on_pre = {"pre": target,
                      "stdp": f"Apre += dApre\nw_syn = clip(w_syn + Apost - dApost*{same_step}, 0*mV, wmax)"}
            on_post = "Apost += dApost\nw_syn = clip(w_syn + Apre, 0*mV, wmax)"
        s = b2.Synapses(source, group[b:b + nb], model=model, on_pre=on_pre, on_post=on_post,
                        namespace=ns, name=f"proj{k}")
        if "p" in pr:
            s.connect(condition="i != j" if pr["from"] == pr["to"] else None, p=pr["p"])
        elif "indegree" in pr:
            rng = np.random.default_rng(w["seed"] + k)
            n_src = len(source)
            pre = rng.integers(0, n_src, size=(nb, pr["indegree"]))
            if pr["from"] == pr["to"]:  # no autapses: redraw self-connections
                post = np.arange(nb)[:, None]
                while (bad := pre == post).any():
                    pre[bad] = rng.integers(0, n_src, size=int(bad.sum()))
            s.connect(i=pre.ravel(), j=np.repeat(np.arange(nb), pr["indegree"]))
        else:
            s.connect()
        if not fixed:
            s.w_syn = f"{lo}*mV + rand() * {hi - lo}*mV"
        s.pre.delay = pr["delay_ms"] * ms
        if pr.get("plastic"):
            s.stdp.delay = 0 * ms
            s.post.delay = pr["delay_ms"] * ms
            s.post.order = -1
        synapses.append((s, pr["from"], a, len(source)))
    monitors = {"": b2.SpikeMonitor(group, record=False)}
    for name, g in inputs.items():
        monitors[name] = b2.SpikeMonitor(g, record=False)
    # The compiled program notes its own peak memory when it ends.
    b2.device.insert_code(
        "after_end",
        'std::ifstream status("/proc/self/status"); std::string line;'
        'while (std::getline(status, line)) if (line.rfind("VmHWM:", 0) == 0) std::ofstream("peak_rss.txt") << line;',
    )
    net = b2.Network(group, *inputs.values(), *monitors.values(), *[s for s, _, _, _ in synapses])
    net.run(w["run_ms"] * ms)
    t = time.perf_counter()
    b2.device.build(directory=scratch, compile=True, run=True, debug=False, clean=False)
    build_and_run = time.perf_counter() - t
    counts = {name: np.asarray(m.count[:], dtype=np.int64) for name, m in monitors.items()}
    counts_by_source, out_degrees, n_syn, plastic = [], [], 0, []
    for (s, src, a, n_src), pr in zip(synapses, w["projection"]):
        pre = np.asarray(s.i[:])
        n_syn += len(pre)
        c = counts[src] if a is None else counts[""][a:a + n_src]
        counts_by_source.append(c)
        out_degrees.append(np.bincount(pre, minlength=n_src))
        if pr.get("plastic"):
            plastic += list(np.asarray(s.w_syn[:]) / float(w["stdp"]["w_max_mV"] * mV))
    with open(f"{scratch}/peak_rss.txt") as f:
        rss = int(f.read().split()[1]) * 1024
    return {
        "peak_rss": rss,
        "run_s": float(b2.device._last_run_time),
        "build_s": build_and_run - float(b2.device._last_run_time),
        "spikes": int(counts[""].sum()),
        "synaptic_events": events(counts_by_source, out_degrees),
        "synapses": int(n_syn),
        "neurons": w["size"],
        "plastic_weights": plastic or None,
    }


# ---------------------------------------------------------------- NEST


def run_nest(w):
    import numpy as np
    import nest

    if hasattr(nest, "VerbosityLevel"):
        nest.verbosity = nest.VerbosityLevel.ERROR
    else:
        nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": w["dt_ms"], "local_num_threads": w.get("threads", 1), "rng_seed": w["seed"]})
    n = w["neuron"]
    delta = n["synapse"] == "delta"
    model = w.get("nest", {}).get("model", "iaf_psc_delta" if delta else "iaf_psc_exp")
    precise = model.endswith("_ps")
    c_m = 250.0  # pF; currents are scaled with it, so its value does not matter
    # tau_m dv/dt = ... + g  is  C_m dv/dt = ... + I  with  I = g C_m / tau_m.
    scale = 1.0 if delta else c_m / n["tau_m_ms"]
    t0 = time.perf_counter()
    params = {
        "C_m": c_m, "tau_m": n["tau_m_ms"], "t_ref": n["t_ref_ms"], "E_L": n["v_rest_mV"],
        "V_reset": n["v_reset_mV"], "V_th": n["v_th_mV"], "I_e": 0.0,
    }
    if not delta:
        params.update({"tau_syn_ex": n["tau_syn_ms"], "tau_syn_in": n["tau_syn_ms"]})
    if "stdp" in w:
        params["tau_minus"] = w["stdp"]["tau_minus_ms"]
    neurons = nest.Create(model, w["size"], params=params)
    v_init = n["v_init_mV"]
    neurons.V_m = nest.random.uniform(v_init[0], v_init[1]) if isinstance(v_init, list) else v_init
    parrots = {}
    for i in w["input"]:
        gen = nest.Create("poisson_generator_ps" if precise else "poisson_generator", params={"rate": i["rate_hz"]})
        parrots[i["name"]] = nest.Create("parrot_neuron_ps" if precise else "parrot_neuron", i["size"])
        nest.Connect(gen, parrots[i["name"]])  # an independent train to each parrot
    projections = []
    for pr in w["projection"]:
        if is_input(w, pr["from"]):
            source = parrots[pr["from"]]
        else:
            a, na = first_index(w, pr["from"])
            source = neurons[a:a + na]
        b, nb = first_index(w, pr["to"])
        if "p" in pr:
            rule = {"rule": "pairwise_bernoulli", "p": pr["p"], "allow_autapses": False}
        elif "indegree" in pr:
            rule = {"rule": "fixed_indegree", "indegree": pr["indegree"], "allow_autapses": False}
        else:
            rule = {"rule": "all_to_all"}
        lo, hi = (x * scale for x in weight_range(pr))
        syn = {"synapse_model": "static_synapse", "delay": pr["delay_ms"],
               "weight": nest.random.uniform(lo, hi) if lo != hi else lo}
        if pr.get("plastic"):
            s = w["stdp"]
            syn.update({"synapse_model": "stdp_synapse", "Wmax": s["w_max_mV"] * scale,
                        "tau_plus": s["tau_plus_ms"], "lambda": s["a_plus"], "alpha": s["a_minus"] / s["a_plus"],
                        "mu_plus": 0.0, "mu_minus": 0.0})
        nest.Connect(source, neurons[b:b + nb], rule, syn)
        projections.append((source, pr))
    recorder = nest.Create("spike_recorder")
    nest.Connect(neurons, recorder)
    for p in parrots.values():
        nest.Connect(p, recorder)
    build_s = time.perf_counter() - t0
    t = time.perf_counter()
    nest.Simulate(w["run_ms"])
    run_s = time.perf_counter() - t
    rss = peak_rss()
    senders = np.asarray(recorder.get("events", "senders"), dtype=np.int64)
    top = max([neurons[-1].global_id] + [p[-1].global_id for p in parrots.values()])
    by_id = np.bincount(senders, minlength=top + 1)
    # Out-degrees per source population, over all its connections at once (asking
    # NEST for each projection's own is far slower): every source also has one
    # connection to the spike recorder, taken off.
    def column(conns, key):
        """One attribute of every connection, in slices (NEST's lists are costly)."""
        step = 1_000_000
        parts = [np.asarray(conns[lo:min(lo + step, len(conns))].get(key)).reshape(-1)
                 for lo in range(0, len(conns), step)]
        return np.concatenate(parts) if parts else np.zeros(0)

    counts_by_source, out_degrees, n_syn, plastic, seen = [], [], 0, [], set()
    for source, pr in projections:
        first = source[0].global_id
        if pr.get("plastic"):
            conns = nest.GetConnections(source=source, synapse_model="stdp_synapse")
            plastic += list(column(conns, "weight") / (w["stdp"]["w_max_mV"] * scale))
        if first in seen:
            continue
        seen.add(first)
        src = column(nest.GetConnections(source=source), "source").astype(np.int64) - first
        degree = np.bincount(src, minlength=len(source)) - 1
        n_syn += int(degree.sum())
        counts_by_source.append(by_id[first:first + len(source)])
        out_degrees.append(degree)
    first = neurons[0].global_id
    return {
        "peak_rss": rss,
        "run_s": run_s,
        "build_s": build_s,
        "spikes": int(by_id[first:first + w["size"]].sum()),
        "synaptic_events": events(counts_by_source, out_degrees),
        "synapses": int(n_syn),
        "neurons": w["size"],
        "plastic_weights": plastic or None,
    }


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    what, path = argv[1], argv[2]
    neurons = int(argv[argv.index("--neurons") + 1]) if "--neurons" in argv else None
    dt = float(argv[argv.index("--dt") + 1]) if "--dt" in argv else None
    w = load(path, synapses="--no-synapses" not in argv, neurons=neurons, dt=dt)
    if "--seed" in argv:
        w["seed"] = int(argv[argv.index("--seed") + 1])
    w["threads"] = int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 1
    if what == "spikefab-net":
        sys.stdout.write(spikefab_network(w))
    elif what == "brian2":
        scratch = argv[argv.index("--scratch") + 1] if "--scratch" in argv else f"/tmp/spikefab-brian2-{w['name']}"
        print(json.dumps(run_brian2(w, scratch)))
    elif what == "nest":
        print(json.dumps(run_nest(w)))
    else:
        raise SystemExit(f"unknown simulator `{what}`\n{__doc__}")


if __name__ == "__main__":
    main(sys.argv)
