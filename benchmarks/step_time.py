"""Milliseconds per generator iteration (n_critic 5, batch 64) on the MNIST-size models, per method.

    python benchmarks/step_time.py [--iters 15] [--rounds 5]

Methods are timed in interleaved rounds in one process, so that the ratio icvp / wgan-gp compares like
with like on a shared, noisy machine.  Target: ratio at most 1.03.
"""

import argparse
import statistics
import time

import torch

from ganlib.config import Config
from ganlib.data import load_dataset
from ganlib.provenance import environment
from ganlib.train import Run

METHODS = ("wgan", "wgan-gp", "icvp")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=15, help="generator iterations per timing (default 15)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    args = p.parse_args()
    data = load_dataset("digits")  # 1x28x28, needs no download: the MNIST-size models
    runs = {m: Run(Config(method=m, dataset="digits", batch_size=64, n_critic=5, device=args.device, quiet=True),
                   data) for m in METHODS}
    for run in runs.values():  # warm-up
        run.step()
    times = {m: [] for m in METHODS}
    for _ in range(args.rounds):
        for m, run in runs.items():
            if run.device.type == "cuda":
                torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(args.iters):
                run.step()
            if run.device.type == "cuda":
                torch.cuda.synchronize()
            times[m].append(1000 * (time.perf_counter() - t0) / args.iters)
    env = environment(runs["icvp"].device)
    print(f"# step_time: {env['hardware']}, torch {env['torch']}, batch 64, n_critic 5, "
          f"{args.rounds} rounds x {args.iters} iterations, commit {env['git_commit']}")
    print(f"{'method':10s} {'median ms/iter':>15s} {'min':>8s} {'max':>8s}")
    for m in METHODS:
        t = times[m]
        print(f"{m:10s} {statistics.median(t):15.1f} {min(t):8.1f} {max(t):8.1f}")
    ratios = [a / b for a, b in zip(times["icvp"], times["wgan-gp"])]
    print(f"ratio icvp / wgan-gp: median {statistics.median(ratios):.3f} "
          f"(per round: {', '.join(f'{r:.3f}' for r in ratios)}); target <= 1.03")


if __name__ == "__main__":
    main()
