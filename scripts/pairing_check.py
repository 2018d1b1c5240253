"""Prove the pairing of new runs with stored ones: retrain stored runs' first iterations and compare logged rows.

    .venv/bin/python scripts/pairing_check.py results/long/toy-lambda10/runs/wgan-gp-seed3 ... --iters 20 \
        --out results/long/pairing.json

Appends one record per run to ``--out`` (JSON list): the rows compared, the largest relative difference, whether
it is bit for bit, and the machines (stored on / checked on).  Run with one thread (``OMP_NUM_THREADS=1
GANLIB_THREAD_BUDGET=off``), as the study's workers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch

from ganlib.harness.study import pairing_check
from ganlib.train import write_json


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+", help="stored run folders (results/<profile>/<part>/runs/<method>-seed<s>)")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--out", default=None, help="JSON file to append the records to")
    a = ap.parse_args(argv)
    torch.set_num_threads(1)
    records = json.loads(Path(a.out).read_text()) if a.out and Path(a.out).exists() else []
    for run in a.runs:
        r = pairing_check(run, a.iters)
        rows = ", ".join(f"iteration {i}: {d:.2g}" for i, d in r["rows"].items())
        first = (f"iteration-0 {', '.join(r['iteration_0'])} relative difference "
                 f"{r['iteration_0_relative_difference']:.2g}; " if "iteration_0" in r else "")
        print(f"{r['run']}: {first}logged rows, largest relative difference: {rows}; stored on {r['stored_on']}, "
              f"checked on {r['checked_on']}", flush=True)
        records = [x for x in records if x["run"] != r["run"]] + [r]
    if a.out:
        write_json(Path(a.out), records)
    return 0


if __name__ == "__main__":
    sys.exit(main())
