"""Train the runs a study's store lacks, part by part, and export each into a results store as it finishes.

Meant to be launched from a frozen copy of the code (``git worktree add ../frozen-<sha> <sha>``) so that edits
in the checkout never reach a running worker; ``--results`` points at the checkout's store::

    cd ../frozen-<sha> && GANLIB_DATA=... .venv/bin/python scripts/run_study.py --profile long \\
        --parts celeba,toy-lambda10 --runs ../runs-long --results ../main/results --workers 2

Resumable: a finished (stored) run is skipped, an interrupted one resumes from its last checkpoint.
"""

from __future__ import annotations

import argparse
import sys
import time

from ganlib.harness import study


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--profile", default="long", choices=sorted(study.STUDIES))
    ap.add_argument("--parts", default=None, help="comma-separated part names, in the order to train them")
    ap.add_argument("--runs", required=True, help="work folder for the runs (checkpoints live here)")
    ap.add_argument("--results", default=None, help="results store root (default: this copy's results/)")
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    parts = a.parts.split(",") if a.parts else None
    try:
        study.jobs(a.profile, a.runs, a.results, parts)
    except ValueError as e:
        ap.error(str(e))
    stamp = lambda: time.strftime("%H:%M:%S")  # noqa: E731
    study.run_study(a.profile, a.runs, a.results, a.workers, log=lambda m: print(f"[{stamp()}] {m}", flush=True),
                    parts=parts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
