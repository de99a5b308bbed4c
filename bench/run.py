"""Spikefab, Brian2 and NEST side by side on the workloads of bench/workloads/.

    python bench/run.py --spikefab target/release/spikefab --repeats 3 [--plot docs/benchmarks.svg] \
        [--weights-plot docs/benchmarks-stdp.svg] [--json out/bench.json] > out/compare.md

Each workload (each size of a workload with a `scale` list) runs in each
simulator, one thread, one after another, in fresh processes; a workload's
`threads` list adds rows at those thread counts for Spikefab (`--threads`) and
NEST (`local_num_threads`) (Brian2's C++ standalone mode is run on one
thread only); a workload's `ranks` list adds rows for Spikefab spread over
that many MPI ranks of one thread each (`mpirun -np R spikefab sim`, with
Open MPI's `--oversubscribe`: more ranks than cores are timed too). `--repeats`
timed runs (medians are reported; networks of a million neurons or more run
once, see `--large`); a workload with `seeds = K` (or, for its size N,
`seeds_by_size = { "N" = K }`) runs K - 1 more times in each simulator on one thread, with seeds `seed + 1` to `seed + K - 1`, and its
rates are the means over the K seeds (the table gives their range); then one
run without synapses that simulates no time (its neurons and inputs are built
as in the others): the difference of the
peak memories over the synapse count is the bytes per synapse. Peak memory is
the VmHWM of the process that simulated: Brian2's compiled standalone program,
NEST's Python process, the spikefab CLI. Prints Markdown.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATORS = ("spikefab", "brian2", "nest")


def run(cmd):
    """Run `cmd`; its stdout."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout


def build_args(what, case, synapses):
    args = [sys.executable, os.path.join(HERE, "build.py"), what, case["path"]]
    if case["neurons"] is not None:
        args += ["--neurons", str(case["neurons"])]
    if case.get("dt_ms") is not None:
        args += ["--dt", str(case["dt_ms"])]
    if what == "nest":
        args += ["--threads", str(case.get("threads", 1))]
    if case.get("seed") is not None:
        args += ["--seed", str(case["seed"])]
    return args + ([] if synapses else ["--no-synapses"])


def last_json(text):
    return json.loads(text.strip().splitlines()[-1])


def spikefab(binary, case, scratch, synapses=True):
    net = os.path.join(scratch, "net.toml")
    with open(net, "w") as f:
        f.write(run(build_args("spikefab-net", case, synapses)))
    report = os.path.join(scratch, "report.json")
    # The baseline runs one tick (the CLI refuses 0): its neurons and inputs, no synapses.
    threads = ["--threads", str(case.get("threads", 1))]
    ranks = case.get("ranks", 1)
    mpirun = [] if ranks == 1 else mpirun_args(ranks)
    run(mpirun + [binary, "sim", net, "--report", report] + threads + ([] if synapses else ["--ticks", "1"]))
    with open(report) as f:
        return json.load(f)


def mpirun_args(ranks):
    """`mpirun -np ranks` on this machine (as sim::mpi::local_mpirun starts it)."""
    args = ["mpirun"]
    if "Open MPI" in subprocess.run(["mpirun", "--version"], capture_output=True, text=True).stdout:
        args.append("--oversubscribe")
        if os.geteuid() == 0:
            args.append("--allow-run-as-root")
    return args + ["-np", str(ranks)]


def brian2(case, scratch, synapses=True):
    return last_json(run(build_args("brian2", case, synapses) + ["--scratch", os.path.join(scratch, "brian2")]))


def nest(case, synapses=True):
    return last_json(run(build_args("nest", case, synapses)))


def measure(sim, case, binary, repeats):
    with tempfile.TemporaryDirectory() as scratch:
        go = {
            "spikefab": lambda c, syn=True: spikefab(binary, c, scratch, syn),
            "brian2": lambda c, syn=True: brian2(c, scratch, syn),
            "nest": lambda c, syn=True: nest(c, syn),
        }[sim]
        results = [go(case) for _ in range(repeats)]
        base_rss = go(case, False)["peak_rss"]
        # The other seeds: rates only (untimed, one run each).
        seed_spikes = [results[-1]["spikes"]]
        seed_spikes += [go({**case, "seed": seed})["spikes"] for seed in case.get("other_seeds", [])]
    rss = statistics.median(r["peak_rss"] for r in results)
    last = results[-1]
    return {
        "seed_spikes": seed_spikes,
        "run_s": statistics.median(r["run_s"] for r in results),
        "runs_s": [r["run_s"] for r in results],
        "spikes": last["spikes"],
        "spikes_per_run": [r["spikes"] for r in results],
        "spike_digests": sorted({r["spike_digest"] for r in results if "spike_digest" in r}),
        "synaptic_events": last["synaptic_events"],
        "synapses": last["synapses"],
        "neurons": last["neurons"],
        "peak_rss": rss,
        "baseline_rss": base_rss,
        "bytes_per_synapse": (rss - base_rss) / max(last["synapses"], 1),
        "plastic_weights": last.get("plastic_weights"),
        "meetings": last.get("meetings"),
        "exchange_bytes": last.get("exchange_bytes"),
    }


def cases(paths):
    """Every workload, every size of a workload with a `scale` list, its
    smallest size (or each size of its `dt_variant_scale` list) again at each
    tick length of its `dt_variants` list, and
    every size again at each thread count of its `threads` list and each rank
    count of its `ranks` list."""
    out = []
    for path in paths:
        with open(path, "rb") as f:
            w = tomllib.load(f)
        sizes = w.get("scale", [None])
        variant_sizes = w.get("dt_variant_scale", sizes[:1])
        variants = [(n, None) for n in sizes] + [(n, dt) for dt in w.get("dt_variants", []) for n in variant_sizes]
        by_size = w.get("seeds_by_size", {})
        for neurons, dt in variants:
            seeds = by_size.get(str(neurons), w.get("seeds", 1))
            other_seeds = [w["seed"] + k for k in range(1, seeds)]
            title = w["title"] if neurons is None else f"{w['title']}, N = {neurons:,}"
            label = w["name"] if neurons is None else f"{w['name']}\nN={neurons:,}"
            if dt is not None:
                title, label = f"{title}, dt = {dt} ms", f"{label}\ndt={dt}"
            out.append({"path": path, "neurons": neurons, "dt_ms": dt, "title": title, "label": label,
                        "duration_ms": w["duration_ms"], "threads": 1, "other_seeds": other_seeds})
        # Every size again per thread count, then per rank count.
        for extra in [{"threads": t} for t in w.get("threads", [])] + [{"ranks": r} for r in w.get("ranks", [])]:
            what = f"{extra['threads']} threads" if "threads" in extra else f"{extra['ranks']} MPI ranks"
            short = f"{extra['threads']} threads" if "threads" in extra else f"{extra['ranks']} ranks"
            for neurons in sizes:
                title = w["title"] if neurons is None else f"{w['title']}, N = {neurons:,}"
                label = w["name"] if neurons is None else f"{w['name']}\nN={neurons:,}"
                out.append({"path": path, "neurons": neurons, "dt_ms": None, "title": f"{title}, {what}",
                            "label": f"{label}\n{short}", "duration_ms": w["duration_ms"], "threads": 1, **extra})
    return out


def runs_in(sim, case):
    """Whether `sim` takes part in `case`: Brian2 on one thread only, MPI
    ranks for Spikefab only."""
    if case.get("ranks", 1) > 1:
        return sim == "spikefab"
    return sim != "brian2" or case.get("threads", 1) == 1


def why_not(sim, case):
    """Why `sim` has no row for `case`."""
    if runs_in(sim, case):
        return "`--skip`"
    return "Spikefab only" if case.get("ranks", 1) > 1 else "one thread only"


# Below this many synapses the peak memory is the simulator's own, not the synapses'.
BYTES_MIN_SYNAPSES = 100_000


def per_synapse(r):
    """Bytes per synapse as text; a dash where there are too few synapses to tell,
    or where they add under 2 MiB to the peak (then other memory, such as inputs
    built ahead, sets the peak and the difference is noise)."""
    added = r["peak_rss"] - r["baseline_rss"]
    if r["synapses"] < BYTES_MIN_SYNAPSES or added < 2 * 2**20:
        return "-"
    return f"{r['bytes_per_synapse']:.1f}"


def seed_rates(r, case):
    """The rate (Hz per neuron) of each seed run: the workload's seed first."""
    return [n / r["neurons"] / (case["duration_ms"] / 1000) for n in r.get("seed_spikes", [r["spikes"]])]


def rate(r, case):
    """The rate, the mean over the seeds run."""
    return statistics.mean(seed_rates(r, case))


def rate_text(r, case):
    """The rate, with the seeds' range when more than one ran."""
    rates = seed_rates(r, case)
    if len(rates) == 1:
        return f"{rates[0]:.2f}"
    return f"{statistics.mean(rates):.2f} ({len(rates)} seeds: {min(rates):.2f}-{max(rates):.2f})"


def table(rows):
    out = [
        "| workload | simulator | runs | rate (Hz) | synapses | synaptic events | wall, median (s) "
        "| M synaptic events/s | Spikefab speed-up | peak RSS (MiB) | bytes/synapse |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for case, res in rows:
        sf = res["spikefab"]["run_s"]
        for sim in SIMULATORS:
            r = res.get(sim)
            if r is None:
                why = why_not(sim, case)
                out.append(f"| {case['title']} | {sim} | not run ({why}) |" + " |" * 8)
                continue
            speed = "" if sim == "spikefab" else f"{r['run_s'] / sf:.2f}x"
            out.append(
                f"| {case['title']} | {sim} | {len(r['runs_s'])} | {rate_text(r, case)} | {r['synapses']:,} "
                f"| {r['synaptic_events']:,} | {r['run_s']:.3f} | {r['synaptic_events'] / r['run_s'] / 1e6:.1f} "
                f"| {speed} | {r['peak_rss'] / 2**20:.0f} | {per_synapse(r)} |"
            )
    return "\n".join(out)


def seeds_note(case):
    """How many seeds a case's rates are the mean of, when more than one."""
    k = 1 + len(case.get("other_seeds", []))
    return f" (mean of {k} seeds)" if k > 1 else ""


def summary(rows):
    """One line per workload: the ratios the goals are stated in."""
    out = [
        "| workload | rates Spikefab / Brian2 / NEST (Hz) | Spikefab speed-up vs Brian2 | vs NEST "
        "| bytes/synapse Spikefab / Brian2 / NEST |",
        "|---|---|---|---|---|",
    ]
    for case, res in rows:
        sf, b2, ne = (res.get(s) for s in SIMULATORS)

        def each(f):
            return " / ".join("not run" if r is None else f(r) for r in (sf, b2, ne))

        def speedup(r):
            return "not run" if r is None else f"{r['run_s'] / sf['run_s']:.2f}x"

        out.append(
            f"| {case['title']} | {each(lambda r: f'{rate(r, case):.2f}')}{seeds_note(case)} | {speedup(b2)} "
            f"| {speedup(ne)} "
            f"| {each(per_synapse)} |"
        )
    out.append("")
    out.append(agreement(rows))
    return "\n".join(out)


def ranks_table(rows):
    """Each MPI row beside the same network in one process of one thread."""
    one = {(c["path"], c["neurons"]): r["spikefab"] for c, r in rows
           if c.get("ranks", 1) == 1 and c.get("threads", 1) == 1 and c["dt_ms"] is None and "spikefab" in r}
    out = [
        "| workload | ranks | wall, median (s) | speed-up vs one process | peak RSS of rank 0 (MiB) "
        "| meetings | bytes sent by rank 0 per meeting | spikes as one process |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for case, res in rows:
        r = res.get("spikefab")
        base = one.get((case["path"], case["neurons"]))
        if case.get("ranks", 1) == 1 or r is None or base is None:
            continue
        same = "identical" if r["spike_digests"] == base["spike_digests"] else "DIFFERENT"
        per = r["exchange_bytes"] / max(r["meetings"], 1)
        out.append(
            f"| {case['title']} | {case['ranks']} | {r['run_s']:.3f} | {base['run_s'] / r['run_s']:.2f}x "
            f"| {r['peak_rss'] / 2**20:.0f} | {r['meetings']:,} | {per:,.0f} | {same} (digest) |"
        )
    return "\n".join(out) if len(out) > 2 else ""


def agreement(rows, tolerance=0.10):
    """Whether the three simulators' firing rates agree within `tolerance` on each workload."""
    off = []
    for case, res in rows:
        rates = [rate(res[s], case) for s in SIMULATORS if s in res]
        spread = max(rates) / min(rates) - 1 if min(rates) > 0 else float("inf")
        if spread > tolerance:
            off.append(f"{case['title']} ({spread:.0%})")
    if not off:
        text = f"The firing rates of the three agree within {tolerance:.0%} on every workload."
    else:
        text = f"The firing rates differ by more than {tolerance:.0%} on: " + "; ".join(off) + "."
    # Spikefab reports a digest of its spike train (tick, neuron, cycle) in every run.
    varied = [case["title"] for case, res in rows if len(res["spikefab"].get("spike_digests", [])) > 1]
    runs = sum(len(res["spikefab"]["runs_s"]) for _, res in rows)
    if varied:
        return text + " Spikefab's spike trains differed between repeats on: " + "; ".join(varied) + "."
    return text + f" Spikefab's spike trains were bit-identical from repeat to repeat ({runs} runs, one digest per workload)."


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(13, 8))
    axes = axes.ravel()
    names = [case["label"] for case, _ in rows]
    width = 0.27
    for k, sim in enumerate(SIMULATORS):
        xs = [i + (k - 1) * width for i in range(len(rows))]
        # A simulator not run on a workload has no bar there.
        get = lambda res, f: f(res[sim]) if sim in res else float("nan")
        axes[0].bar(xs, [get(res, lambda r: r["run_s"]) for _, res in rows], width, label=sim)
        axes[1].bar(xs, [get(res, lambda r: r["synaptic_events"] / r["run_s"] / 1e6) for _, res in rows], width)
        axes[2].bar(xs, [get(res, lambda r: r["peak_rss"] / 2**20) for _, res in rows], width)
    for k, sim in enumerate(SIMULATORS[1:]):
        xs = [i + (k - 0.5) * width for i in range(len(rows))]
        ratio = [res[sim]["run_s"] / res["spikefab"]["run_s"] if sim in res else float("nan") for _, res in rows]
        axes[3].bar(xs, ratio, width,
                    label=f"{sim} time / Spikefab time", color=f"C{k + 1}")
    axes[3].axhline(1, color="k", lw=0.8)
    titles = ("wall time of the run (s, log)", "M synaptic events/s", "peak RSS (MiB, log)",
              "Spikefab speed-up (log; above 1: Spikefab faster)")
    for ax, title in zip(axes, titles):
        ax.set_title(title)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(names, fontsize=8)
    for ax in (axes[0], axes[2], axes[3]):
        ax.set_yscale("log")
    axes[0].legend()
    axes[3].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)


def plot_weights(rows, path):
    """Final plastic weights of each plastic workload, one histogram per simulator."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plastic = [(case, res) for case, res in rows if res["spikefab"]["plastic_weights"]]
    if not plastic:
        return
    fig, axes = plt.subplots(len(plastic), 3, figsize=(12, 3 * len(plastic)), squeeze=False)
    for row, (case, res) in zip(axes, plastic):
        for ax, sim in zip(row, SIMULATORS):
            ax.hist(res[sim]["plastic_weights"], bins=20, range=(0, 1), color=f"C{SIMULATORS.index(sim)}")
            ax.set_title(f"{sim}: {case['title']}", fontsize=8)
            ax.set_xlabel("final weight / w_max")
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spikefab", required=True, help="the spikefab binary")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--large", type=int, default=1_000_000,
                    help="networks with at least this many neurons run once (default 10^6)")
    ap.add_argument("--workloads", nargs="*", default=sorted(glob.glob(os.path.join(HERE, "workloads", "*.toml"))))
    ap.add_argument("--plot", help="write the figure (.svg or .png)")
    ap.add_argument("--weights-plot", help="write the plastic-weight histograms (.svg or .png)")
    ap.add_argument("--skip", nargs="*", default=[], metavar="SIM:NEURONS",
                    help="do not run simulator SIM at that size of a scaled workload (e.g. nest:1000000)")
    ap.add_argument("--json", help="write every measurement as JSON")
    ap.add_argument("--from-json", help="render the tables and figures of an earlier --json file; run nothing")
    args = ap.parse_args()
    rows = []
    if args.from_json:
        with open(args.from_json) as f:
            rows = [(r["case"], r["results"]) for r in json.load(f)]
    for case in [] if args.from_json else cases(args.workloads):
        repeats = 1 if (case["neurons"] or 0) >= args.large else args.repeats
        res = {}
        for sim in SIMULATORS:
            if not runs_in(sim, case):
                continue
            if f"{sim}:{case['neurons']}" in args.skip:
                print(f"{case['title']}: {sim} skipped (--skip)", file=sys.stderr, flush=True)
                continue
            print(f"{case['title']}: {sim} ...", file=sys.stderr, flush=True)
            res[sim] = measure(sim, case, args.spikefab, repeats)
            brief = {k: v for k, v in res[sim].items() if k != "plastic_weights"}
            print(f"  {json.dumps(brief)}", file=sys.stderr, flush=True)
        rows.append((case, res))
    print(summary(rows))
    print()
    print(table(rows))
    ranks = ranks_table(rows)
    if ranks:
        print()
        print("Spikefab on MPI ranks (one thread each) against one process of one thread:")
        print()
        print(ranks)
    if args.plot:
        plot(rows, args.plot)
    if args.weights_plot:
        plot_weights(rows, args.weights_plot)
    if args.json:
        with open(args.json, "w") as f:
            json.dump([{"case": case, "results": res} for case, res in rows], f)


if __name__ == "__main__":
    main()
