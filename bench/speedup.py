"""Spikefab's speed-up on threads and MPI ranks, measured interleaved.

    python bench/speedup.py --spikefab target/release/spikefab --rounds 5 \
        bench/workloads/brunel.toml bench/workloads/scaling.toml:1000000

On a machine whose speed drifts from minute to minute, timings taken minutes
apart (as bench/run.py's rows are) can differ by more than the speed-up being
measured. Here each round runs every configuration once, back to back, on the
same network file: one thread, 2 threads, 2 MPI ranks of one thread (and
whatever `--configs` lists); each round's ratio to its own one-thread run is a
speed-up measured under one machine state. Prints, per workload, the medians
and the per-round ratios as Markdown, and checks that every run gives the
same spike digest.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from run import mpirun_args, run  # noqa: E402


def parse_config(text):
    """`T` threads, or `RxT`: R MPI ranks of T threads."""
    ranks, _, threads = text.rpartition("x")
    return int(ranks or 1), int(threads)


def sim(binary, net, ranks, threads, scratch):
    report = os.path.join(scratch, "report.json")
    prefix = [] if ranks == 1 else mpirun_args(ranks)
    run(prefix + [binary, "sim", net, "--threads", str(threads), "--report", report])
    with open(report) as f:
        return json.load(f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spikefab", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--configs", nargs="*", default=["1", "2", "2x1"],
                    help="T (threads) or RxT (R ranks of T threads); the first is the baseline")
    ap.add_argument("workloads", nargs="+", help="WORKLOAD.toml or WORKLOAD.toml:NEURONS")
    args = ap.parse_args()
    configs = [(c, *parse_config(c)) for c in args.configs]
    print("| workload | " + " | ".join(f"{c} (s)" for c, _, _ in configs[:1])
          + "".join(f" | {c} (s) | speed-up, median of rounds | per round" for c, _, _ in configs[1:]) + " |")
    print("|---|---|" + "---|---|---|" * (len(configs) - 1))
    with tempfile.TemporaryDirectory() as scratch:
        for w in args.workloads:
            path, _, neurons = w.partition(":")
            net = os.path.join(scratch, "net.toml")
            build = [sys.executable, os.path.join(HERE, "build.py"), "spikefab-net", path]
            with open(net, "w") as f:
                f.write(run(build + (["--neurons", neurons] if neurons else [])))
            times = {c: [] for c, _, _ in configs}
            digests = set()
            for k in range(args.rounds):
                for c, ranks, threads in configs:
                    r = sim(args.spikefab, net, ranks, threads, scratch)
                    times[c].append(r["run_s"])
                    digests.add(r["spike_digest"])
                print(f"{w} round {k + 1}: " + ", ".join(f"{c} {times[c][-1]:.3f} s" for c, _, _ in configs),
                      file=sys.stderr, flush=True)
            if len(digests) != 1:
                raise SystemExit(f"{w}: spike digests differ between configurations: {sorted(digests)}")
            base = configs[0][0]
            cells = [f"{statistics.median(times[base]):.3f}"]
            for c, _, _ in configs[1:]:
                ratios = [b / t for b, t in zip(times[base], times[c])]
                cells += [f"{statistics.median(times[c]):.3f}", f"{statistics.median(ratios):.2f}x",
                          " ".join(f"{x:.2f}" for x in ratios)]
            title = os.path.basename(path) + (f", N = {int(neurons):,}" if neurons else "")
            print(f"| {title} | " + " | ".join(cells) + " |", flush=True)
    print(f"\nSpike digests identical across configurations and rounds ({digests.pop()} for the last).")


if __name__ == "__main__":
    main()
