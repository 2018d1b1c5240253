"""Milliseconds per generator iteration (n_critic 5, batch 64) on the MNIST-size models, per method and precision.

    python benchmarks/step_time.py [--iters 15] [--rounds 5] [--precisions fp32,bf16] [--methods wgan,wgan-gp,icvp]
                                   [--width 64] [--device cpu]

Methods and precisions are timed in interleaved rounds in one process, so that the ratios (icvp /
wgan-gp, fp32 / bf16) compare like with like on a shared, noisy machine.  Targets: icvp / wgan-gp at
most 1.03.  Beside the times: the floating-point work of one generator iteration (counted by
the formulas of ``torch.utils.flop_counter``: matrix products and convolutions, forward, backward and
the penalty's double backward) and the rate achieved, against the matrix-product peak measured here in the same
precision with the same threads (``--gemm`` square matrices), so that the roofline stays visible.
"""

import argparse
import statistics
import time
import warnings

import torch
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils.flop_counter import flop_registry

from ganlib.config import Config
from ganlib.data import load_dataset
from ganlib.provenance import environment
from ganlib.train import Run

METHODS = ("wgan", "wgan-gp", "icvp")
DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def gemm_peak(precision: str, n: int, device, seconds: float = 1.0) -> float:
    """GFLOP/s of an ``n x n`` by ``n x n`` matrix product in ``precision``, best of a timed second."""
    a = torch.randn(n, n, device=device, dtype=DTYPES[precision])
    b = torch.randn(n, n, device=device, dtype=DTYPES[precision])
    a @ b  # warm-up
    best, end = float("inf"), time.perf_counter() + seconds
    while time.perf_counter() < end:
        _sync(device)
        t0 = time.perf_counter()
        a @ b
        _sync(device)
        best = min(best, time.perf_counter() - t0)
    return 2 * n**3 / best / 1e9


class CountFlops(TorchDispatchMode):
    """Adds up the floating-point operations of every operator that ``torch.utils.flop_counter`` has a
    formula for.  (``FlopCounterMode`` itself tracks modules with hooks that ``autograd.grad`` on a leaf,
    the gradient penalty's, does not support.)"""

    def __init__(self):
        super().__init__()
        self.total = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        formula = flop_registry.get(func._overloadpacket)
        if formula is not None:
            self.total += formula(*args, **kwargs, out_val=out)
        return out


def flops_per_iteration(run: Run) -> int:
    """Floating-point operations of one generator iteration, counted (the run's state moves on by one step)."""
    with CountFlops() as counter:
        run.step()
    return counter.total


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iters", type=int, default=15, help="generator iterations per timing (default 15)")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto (default cpu)")
    p.add_argument("--precisions", default="fp32,bf16", help="comma-separated: fp32, bf16 (default both)")
    p.add_argument("--methods", default=",".join(METHODS), help="comma-separated (default: wgan, wgan-gp, icvp)")
    p.add_argument("--width", type=int, default=64, help="DCGAN width (default 64, the reference's)")
    p.add_argument("--gemm", type=int, default=1024, help="matrix size for the peak rate (default 1024)")
    args = p.parse_args()
    precisions = [x.strip() for x in args.precisions.split(",") if x.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for x in precisions:
        if x not in DTYPES:
            p.error(f"unknown precision {x!r}; accepted: {', '.join(DTYPES)}")
    for m in methods:
        if m not in METHODS:
            p.error(f"unknown method {m!r}; accepted: {', '.join(METHODS)}")
    data = load_dataset("digits")  # 1x28x28, needs no download: the MNIST-size models
    keys = [(m, x) for x in precisions for m in methods]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # bf16 on a CPU without it: measured here, not warned about
        runs = {(m, x): Run(Config(method=m, dataset="digits", batch_size=64, n_critic=5, width=args.width,
                                   device=args.device, precision=x, quiet=True), data) for m, x in keys}
    device = runs[keys[0]].device
    flops = {k: flops_per_iteration(run) for k, run in runs.items()}  # also the warm-up
    times = {k: [] for k in keys}
    for _ in range(args.rounds):
        for k, run in runs.items():
            _sync(device)
            t0 = time.perf_counter()
            for _ in range(args.iters):
                run.step()
            _sync(device)
            times[k].append(1000 * (time.perf_counter() - t0) / args.iters)
    peaks = {x: gemm_peak(x, args.gemm, device) for x in precisions}
    env = environment(device)
    print(f"# step_time: {env['hardware']}, torch {env['torch']}, batch 64, n_critic 5, width {args.width}, "
          f"{args.rounds} rounds x {args.iters} iterations, commit {env['git_commit']}")
    print(f"{'method':10s} {'precision':>9s} {'median ms/iter':>15s} {'min':>8s} {'max':>8s} {'GFLOP/iter':>11s} "
          f"{'GFLOP/s':>8s} {'of peak':>8s}")
    for m, x in keys:
        t = times[(m, x)]
        rate = flops[(m, x)] / (statistics.median(t) / 1000) / 1e9
        print(f"{m:10s} {x:>9s} {statistics.median(t):15.1f} {min(t):8.1f} {max(t):8.1f} "
              f"{flops[(m, x)] / 1e9:11.2f} {rate:8.1f} {rate / peaks[x]:8.0%}")
    print("matrix-product peak here (" + f"{args.gemm}x{args.gemm}): "
          + ", ".join(f"{x} {peaks[x]:.0f} GFLOP/s" for x in precisions))
    for x in precisions if {"icvp", "wgan-gp"} <= set(methods) else ():
        ratios = [a / b for a, b in zip(times[("icvp", x)], times[("wgan-gp", x)])]
        print(f"ratio icvp / wgan-gp ({x}): median {statistics.median(ratios):.3f} "
              f"(per round: {', '.join(f'{r:.3f}' for r in ratios)}); target <= 1.03")
    if "fp32" in precisions:
        for x in (x for x in precisions if x != "fp32"):
            speedups = {m: statistics.median([a / b for a, b in zip(times[(m, "fp32")], times[(m, x)])])
                        for m in methods}
            print(f"speed-up of {x} over fp32 (median of per-round ratios fp32 ms / {x} ms): "
                  + ", ".join(f"{m} {s:.2f}x" for m, s in speedups.items()))


if __name__ == "__main__":
    main()
