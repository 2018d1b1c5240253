"""Wall-clock seconds of each metric of :mod:`ganlib.metrics` on 2,000 generated vs 2,000 real samples.

Usage: ``python benchmarks/metrics_time.py [--data-dir DIR] [--n 2000]``

"Generated" images are stand-ins: noisy copies of other real images (and, for ``evaluate``, an
untrained DCGAN generator). Caches (the classifier, preprocessed CelebA) go to a temporary
``$GANLIB_CACHE``, so the one-off classifier training is measured too, and reported separately.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import torch


def timed(label, fn, rows, show=None):
    """Run ``fn()``, print wall-clock and CPU seconds (CPU counts all threads; on a shared machine the
    wall-clock time grows with other people's load, the CPU time much less) and the value."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    rows.append((label, wall))
    shown = show(value) if show else value
    if isinstance(shown, dict):
        shown = {k: round(v, 3) for k, v in shown.items()}
    print(f"{label:<48} {wall:7.2f} s wall {cpu:7.2f} s cpu   {shown}", flush=True)
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=None, help="data folder (default: $GANLIB_DATA or ../shared/data)")
    parser.add_argument("--n", type=int, default=2000, help="samples per side")
    args = parser.parse_args()
    root = args.data_dir or os.environ.get("GANLIB_DATA") or os.path.join(os.path.dirname(__file__), "..", "..",
                                                                         "shared", "data")
    with tempfile.TemporaryDirectory(prefix="ganlib-bench-") as cache:
        os.environ["GANLIB_CACHE"] = cache  # read by ganlib.data.cache_dir() at call time
        run(root, args.n)


def run(root, n):
    from ganlib import metrics as M
    from ganlib.data import DataError, load_dataset
    from ganlib.models import DCGANGenerator, MLPGenerator

    rows = []
    torch.manual_seed(0)  # the untrained stand-in generators below are built with the global RNG
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}, n = {n} per side, data {os.path.abspath(root)}\n")

    toy = load_dataset("8gaussians")
    noise = 0.05 * torch.randn(n, 2, generator=torch.Generator().manual_seed(0))
    fake, real = M.toy_real("8gaussians", n, 0) + noise, M.toy_real("8gaussians", n, 1)
    timed("w1 (toy, exact OT)", lambda: M.w1_exact(fake, real), rows)
    timed("w1_floor (toy, first call; then cached)", lambda: M.w1_floor("8gaussians", n, 0), rows)
    timed("evaluate(['w1']) untrained MLP generator", lambda: M.evaluate(MLPGenerator(), toy, ["w1"], n=n), rows)

    try:
        mnist = load_dataset("mnist", root=root, download=False)
    except DataError as e:
        print(f"\nMNIST skipped: {e}")
        mnist = None
    if mnist is not None:
        clf = timed("classifier training (one-off, then cached)", lambda: M.get_classifier(mnist), rows,
                    lambda c: f"held-out accuracy {c.meta['accuracy']:.4f} on {c.meta['n_heldout']} images")
        timed("classifier load from cache", lambda: M.get_classifier(mnist).meta["from_cache"], rows)
        g = torch.Generator().manual_seed(0)
        idx = torch.randperm(len(mnist), generator=g)
        x = mnist.images()
        real = x[idx[:n]]
        fake = (x[idx[n:2 * n]] + 0.1 * torch.randn(n, 1, 28, 28, generator=g)).clamp(0, 1)
        timed("fid (classifier features)", lambda: M.classifier_fid(fake, real, clf), rows)
        timed("modes (KL, classes covered)", lambda: M.mode_coverage(fake, real, clf), rows)
        timed("swd (MNIST, padded to 32: levels 32, 16)", lambda: M.swd(fake, real), rows)
        gen = DCGANGenerator(28, 1)
        timed("evaluate(default) untrained DCGAN generator", lambda: M.evaluate(gen, mnist, None, n=n), rows)

    for size, levels in ((32, "32, 16"), (64, "64, 32, 16")):
        try:
            celeba = timed(f"celeba {size}x{size} preprocessing (one-off, cached)",
                           lambda: load_dataset("celeba", root=root, image_size=size, max_images=2 * n), rows,
                           lambda d: f"{len(d)} images {tuple(d.shape)}")
        except DataError as e:
            print(f"\nCelebA skipped: {e}")
            break
        x = celeba.images()
        timed(f"swd (CelebA {size}x{size}x3: levels {levels})", lambda: M.swd(x[:n], x[n:2 * n]), rows)

    slow = [label for label, s in rows if s > 15 and "one-off" not in label]
    print("\nall metrics under 15 s" if not slow else f"\nover 15 s: {', '.join(slow)}")


if __name__ == "__main__":
    main()
