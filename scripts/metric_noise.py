"""The noise of a metric alone: one trained generator, evaluated with several evaluation seeds.

    .venv/bin/python scripts/metric_noise.py RUN_FOLDER --metric swd --repeats 10 --out FILE.json

Each repeat draws other latents and another real subset (``ganlib.metrics.evaluate`` with ``seed=k``) at the run's
own ``eval_samples``; prints and writes the mean, standard deviation and range.  The study's seed-to-seed
differences are judged against this spread.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ganlib import metrics as M
from ganlib.provenance import environment
from ganlib.train import load_run, write_json


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="a run folder with checkpoint.pt")
    ap.add_argument("--metric", default="swd")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    run = load_run(a.run)
    t0 = time.perf_counter()
    values = [M.evaluate(run.G, run.data, [a.metric], n=run.cfg.eval_samples, seed=1000 + k)[a.metric]
              for k in range(a.repeats)]
    v = np.array(values)
    rec = {"run": str(a.run), "iteration": run.it, "metric": a.metric, "samples": run.cfg.eval_samples,
           "evaluation_seeds": [1000 + k for k in range(a.repeats)], "values": values, "mean": float(v.mean()),
           "sd": float(v.std(ddof=1)), "min": float(v.min()), "max": float(v.max()),
           "seconds": round(time.perf_counter() - t0, 1), "environment": environment()}
    print(f"{a.metric} of {a.run} at iteration {run.it}, {a.repeats} evaluation seeds, {run.cfg.eval_samples} "
          f"samples: mean {rec['mean']:.4g}, sd {rec['sd']:.3g}, range [{rec['min']:.4g}, {rec['max']:.4g}]")
    if a.out:
        write_json(Path(a.out), rec)
    return 0


if __name__ == "__main__":
    sys.exit(main())
