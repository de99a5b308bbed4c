"""Spikefab, Brian2 and NEST side by side on the workloads of bench/workloads/.

    python bench/run.py --spikefab target/release/spikefab --repeats 3 [--plot out/compare.svg] > out/compare.md

Each workload runs in each simulator, one thread, one after another, in fresh
processes: `--repeats` timed runs (medians are reported), then one run
without synapses: the difference of the peak memories over the synapse count
is the bytes per synapse. Peak memory is the VmHWM of the process that
simulated: Brian2's compiled standalone program, NEST's Python process, the
spikefab CLI. Prints Markdown.
"""

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATORS = ("spikefab", "brian2", "nest")


def run(cmd):
    """Run `cmd`; its stdout."""
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-3000:]}")
    return p.stdout


def spikefab(binary, workload, scratch, synapses=True):
    net = os.path.join(scratch, "net.toml")
    args = [sys.executable, os.path.join(HERE, "build.py"), "spikefab-net", workload]
    with open(net, "w") as f:
        f.write(run(args + ([] if synapses else ["--no-synapses"])))
    report = os.path.join(scratch, "report.json")
    run([binary, "sim", net, "--report", report])
    with open(report) as f:
        return json.load(f)


def brian2(workload, scratch, synapses=True):
    build = os.path.join(scratch, "brian2")
    args = [sys.executable, os.path.join(HERE, "build.py"), "brian2", workload, "--scratch", build]
    return json.loads(run(args + ([] if synapses else ["--no-synapses"])).strip().splitlines()[-1])


def nest(workload, scratch, synapses=True):
    args = [sys.executable, os.path.join(HERE, "build.py"), "nest", workload]
    return json.loads(run(args + ([] if synapses else ["--no-synapses"])).strip().splitlines()[-1])


def measure(sim, workload, binary, repeats):
    with tempfile.TemporaryDirectory() as scratch:
        go = {
            "spikefab": lambda syn: spikefab(binary, workload, scratch, syn),
            "brian2": lambda syn: brian2(workload, scratch, syn),
            "nest": lambda syn: nest(workload, scratch, syn),
        }[sim]
        results = [go(True) for _ in range(repeats)]
        base_rss = go(False)["peak_rss"]
    rss = statistics.median(r["peak_rss"] for r in results)
    last = results[-1]
    return {
        "run_s": statistics.median(r["run_s"] for r in results),
        "runs_s": [r["run_s"] for r in results],
        "spikes": last["spikes"],
        "synaptic_events": last["synaptic_events"],
        "synapses": last["synapses"],
        "neurons": last["neurons"],
        "peak_rss": rss,
        "bytes_per_synapse": (rss - base_rss) / max(last["synapses"], 1),
    }


def load_title(path):
    import tomllib

    with open(path, "rb") as f:
        w = tomllib.load(f)
    return w["title"], w["duration_ms"]


def table(rows):
    out = [
        "| workload | simulator | rate (Hz) | spikes | synapses | wall, median (s) | M synaptic events/s "
        "| Spikefab speed-up | peak RSS (MiB) | bytes/synapse |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for title, duration, res in rows:
        sf = res["spikefab"]["run_s"]
        for sim in SIMULATORS:
            r = res[sim]
            rate = r["spikes"] / r["neurons"] / (duration / 1000)
            speed = "" if sim == "spikefab" else f"{r['run_s'] / sf:.2f}x"
            out.append(
                f"| {title} | {sim} | {rate:.2f} | {r['spikes']} | {r['synapses']} | {r['run_s']:.3f} "
                f"| {r['synaptic_events'] / r['run_s'] / 1e6:.1f} | {speed} | {r['peak_rss'] / 2**20:.0f} "
                f"| {r['bytes_per_synapse']:.1f} |"
            )
    return "\n".join(out)


def plot(rows, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    names = [title for title, _, _ in rows]
    width = 0.27
    for k, sim in enumerate(SIMULATORS):
        xs = [i + (k - 1) * width for i in range(len(rows))]
        axes[0].bar(xs, [res[sim]["run_s"] for _, _, res in rows], width, label=sim)
        axes[1].bar(xs, [res[sim]["synaptic_events"] / res[sim]["run_s"] / 1e6 for _, _, res in rows], width)
        axes[2].bar(xs, [res[sim]["bytes_per_synapse"] for _, _, res in rows], width)
    for ax, label in zip(axes, ("wall time of the run (s)", "M synaptic events/s", "bytes per synapse")):
        ax.set_title(label)
        ax.set_xticks(range(len(rows)))
        ax.set_xticklabels(names, fontsize=7)
    axes[0].legend()
    fig.tight_layout()
    fig.savefig(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spikefab", required=True, help="the spikefab binary")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--workloads", nargs="*", default=sorted(glob.glob(os.path.join(HERE, "workloads", "*.toml"))))
    ap.add_argument("--plot", help="write a figure (.svg or .png)")
    args = ap.parse_args()
    rows = []
    for workload in args.workloads:
        title, duration = load_title(workload)
        res = {}
        for sim in SIMULATORS:
            print(f"{title}: {sim} ...", file=sys.stderr, flush=True)
            res[sim] = measure(sim, workload, args.spikefab, args.repeats)
            print(f"  {json.dumps(res[sim])}", file=sys.stderr, flush=True)
        rows.append((title, duration, res))
    print(table(rows))
    if args.plot:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
