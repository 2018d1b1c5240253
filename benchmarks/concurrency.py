"""Two ganlib processes on one machine: milliseconds per generator iteration alone and two at once.

    python benchmarks/concurrency.py [--seconds 10] [--warmup 3] [--width 128] [--without-budget]
                                     [--env OMP_WAIT_POLICY=PASSIVE] [--lone-pairs 0]

Each process trains the toy job (8 Gaussians, icvp, MLP of the given width, batch 256) with
``ganlib.metrics`` imported, as every run that evaluates has it (POT's, scikit-learn's and scipy's
thread pools loaded beside torch's), inside ``ganlib.threads.join()`` as ``ganlib.train.train`` does.
The processes get the environment of a plain shell: the pool variables (``OMP_NUM_THREADS``, ...),
``OMP_WAIT_POLICY`` and ``GOMP_SPINCOUNT`` are removed (``--env`` sets some on purpose), and a private
shared folder (``GANLIB_THREADS_DIR``) so that other ganlib processes on the machine do not count.
They start one after the other, each joining while those before it hold their threads, as a run started
beside one already training: the first keeps every core and the second takes half (a run's count is
fixed when it starts, so this uneven pair is the case to measure).  Each warms up for ``--warmup``
seconds before the next starts, then all train for ``--seconds`` at the same time; the time per
iteration is the window divided by the iterations done in it.

Target: each of two concurrent processes at least 40% of its solo speed (solo ms / pair ms >= 0.4).
Under OpenMP's default wait policy the first one's idle threads spin; ``--env OMP_WAIT_POLICY=PASSIVE``
measures the pair with idle threads that sleep (``ganlib.threads``).
``--without-budget`` also measures ``GANLIB_THREAD_BUDGET=off`` (the behaviour before the budget).

The budget must not slow a lone run by more than 5%.  One lone sample of each mode cannot show that on a
shared machine (identical lone runs differ by up to 20%), so ``--lone-pairs N`` alternates N lone runs
with and without the budget and judges the paired differences (with minus without) by ganlib's verdict
rule, ``ganlib.stats.decide``, with the 5% of the median time without the budget as the margin:
``equivalent`` meets the target, ``higher`` (slower) misses it, ``inconclusive`` says how many pairs
would decide.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CLEARED = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT",
           "GANLIB_THREAD_BUDGET", "GANLIB_THREADS_DIR")
TARGET = 0.4


def child(args) -> None:
    """One training process: warm up, say ``ready``, wait for ``go``, train for the window, report."""
    import ganlib.metrics  # noqa: F401  (the pools of a run that evaluates; ganlib first, as `ganlib train`)
    from ganlib import threads
    from ganlib.config import Config
    from ganlib.train import Run

    import torch

    run = Run(Config(method="icvp", dataset="8gaussians", width=args.width, device="cpu", quiet=True, seed=0))
    threads.join()
    end = time.perf_counter() + args.warmup
    while time.perf_counter() < end:
        run.step()
    print("ready", flush=True)
    sys.stdin.readline()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        run.step()
        n += 1
    window = time.perf_counter() - t0
    print(json.dumps({"ms": 1000 * window / n, "iters": n, "threads": torch.get_num_threads()}), flush=True)
    threads.leave()


def phase(n: int, env: dict, args) -> list[dict]:
    """Start ``n`` processes one after the other; their reports once all have trained through the same window."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--seconds", str(args.seconds),
           "--warmup", str(args.warmup), "--width", str(args.width)]
    procs = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True))
            line = procs[-1].stdout.readline().strip()
            if line != "ready":
                raise RuntimeError(f"a benchmark process failed before training (said {line!r})")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        return [json.loads(p.stdout.readline()) for p in procs]
    finally:
        for p in procs:
            p.stdin.close()
            p.wait()


def measure(label: str, env: dict, args) -> dict:
    solo = phase(1, env, args)[0]
    pair = phase(2, env, args)
    ratios = [solo["ms"] / r["ms"] for r in pair]
    return {"label": label, "solo": solo, "pair": pair, "ratios": ratios}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=10.0, help="measured window in seconds (default 10)")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds before the window (default 3)")
    p.add_argument("--width", type=int, default=128, help="MLP width (default 128)")
    p.add_argument("--without-budget", action="store_true", help="also measure GANLIB_THREAD_BUDGET=off")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                   help="set a variable for the training processes (repeatable)")
    p.add_argument("--lone-pairs", type=int, default=0,
                   help="alternate N lone runs with and without the budget, judged paired (default 0: off)")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        return child(args)
    for kv in args.env:
        if "=" not in kv:
            p.error(f"--env takes KEY=VALUE; got {kv!r}")
    from ganlib.provenance import environment
    from ganlib.threads import cores

    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(dict(kv.split("=", 1) for kv in args.env), GANLIB_THREADS_DIR=folder)
        results = [measure("thread budget (default)", env, args)]
        if args.without_budget:
            results.append(measure("without budget", {**env, "GANLIB_THREAD_BUDGET": "off"}, args))
        lone = [(phase(1, env, args)[0]["ms"], phase(1, {**env, "GANLIB_THREAD_BUDGET": "off"}, args)[0]["ms"])
                for _ in range(args.lone_pairs)]
    e = environment("cpu")
    extra = f"; environment: {', '.join(args.env)}" if args.env else ""
    print(f"# concurrency: {cores()} cores, {e['hardware']}, torch {e['torch']}, commit {e['git_commit']}; "
          f"8gaussians icvp width {args.width} batch 256; {args.warmup:g} s warm-up, {args.seconds:g} s window{extra}")
    print(f"{'mode':26s} {'alone ms/iter':>14s} {'two at once ms/iter':>22s} {'ratio (alone/pair)':>20s} "
          f"{'threads alone; pair':>20s}")
    for r in results:
        pair_ms = ", ".join(f"{x['ms']:.1f}" for x in r["pair"])
        ratios = ", ".join(f"{x:.2f}" for x in r["ratios"])
        th = f"{r['solo']['threads']}; " + ", ".join(str(x["threads"]) for x in r["pair"])
        print(f"{r['label']:26s} {r['solo']['ms']:14.1f} {pair_ms:>22s} {ratios:>20s} {th:>20s}")
    worst = min(results[0]["ratios"])
    print(f"target: each of two concurrent processes at >= {TARGET:.0%} of its solo speed: "
          f"{'met' if worst >= TARGET else 'NOT met'} (lowest ratio {worst:.2f})")
    if args.without_budget:
        on, off = results[0]["solo"]["ms"], results[1]["solo"]["ms"]
        print(f"a lone run with the budget: {on:.1f} ms/iter against {off:.1f} without ({on / off - 1:+.1%}; one "
              "sample each: see --lone-pairs)")
    if lone:
        import statistics

        from ganlib.stats import decide

        off = statistics.median(b for _, b in lone)
        r = decide([a - b for a, b in lone], 0.05 * off)
        print(f"lone runs alternated, {len(lone)} pairs (ms/iter with budget / without): "
              + ", ".join(f"{a:.1f}/{b:.1f}" for a, b in lone))
        print("lone-run cost of the budget: " + r.text("time per iteration (ms)",
              "with minus without the budget; positive = the budget slows a lone run",
              {"lower": "faster with the budget", "higher": "slower with the budget"})
              + f"; target: within 5% ({0.05 * off:.2f} ms): "
              + {"equivalent": "met", "higher": "NOT met"}.get(r.outcome, "not shown"))


if __name__ == "__main__":
    main()
