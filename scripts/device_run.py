"""The ``gpu`` study (ganlib.harness.study) on a device machine, in one prepared command, within a time budget.

    python scripts/device_run.py --prepare            # here, once: data, classifier and wheels into .cache/, .whl/
    scripts/device_run.sh                             # there: wheels into .whl/site, then this with --out $OUT
    python scripts/device_run.py --device cpu --tiny --out /tmp/x   # the same path at tiny size (tests)

On the device (``--minutes``, default 9, counted from the start):

1. checks that every module ganlib needs imports (missing ones: put their wheels in ``.whl/``) and
   records the machine in ``<out>/device.json``;
2. calibration: the first ``--workers`` runs of the design start together and train for
   ``--calibrate`` seconds; each part's slowest time per generator iteration and one evaluation are
   measured;
3. the MNIST part gets as many of the paper's 20,000 generator iterations as fit in the time left
   (a multiple of 500; the number is printed and written to ``<out>/design.json``: the ``gpu`` entry
   of ``ganlib/harness/study.py`` must say the same before its results are committed); the toy parts run as designed;
4. trains every run, ``--workers`` processes at a time (each with its share of the CPU cores,
   ``ganlib.threads``), exporting each finished run into the results store ``<out>/results/gpu/<part>/
   runs/<method>-seed<s>/`` (ganlib.harness.study's format; checkpoints stay in ``--work``).  At the deadline
   the runs still training are stopped and reported;
5. summarises each part (``summary.md``, ``results.json``) and writes ``<out>/summary.md``; exits with 1
   if a run of the design is not in the store.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # ganlib from the source tree, not an installed copy
sys.path.append(str(ROOT / ".whl" / "site"))  # wheels carried for modules the machine lacks: after its own

NEEDED = {"torch": "torch", "numpy": "numpy", "scipy": "scipy", "ot": "POT", "matplotlib": "matplotlib",
          "tqdm": "tqdm", "threadpoolctl": "threadpoolctl"}
PREPARED_WHEELS = ("POT", "threadpoolctl", "tqdm")  # small; the device's Python is assumed to have the rest
PAPER_ITERS, STEP = 20_000, 500
RESERVE = 45.0  # seconds kept for starting the processes, exporting and summarising


def missing_modules() -> list[str]:
    out = []
    for module, package in NEEDED.items():
        try:
            importlib.import_module(module)
        except ImportError:
            out.append(package)
    return out


def tiny_parts():
    """The ``gpu`` design's shape at a size that trains in seconds on a CPU (the test)."""
    from ganlib.harness.study import Part

    return [Part("mnist", "digits", {"wgan-gp": 2, "icvp": 2, "wgan": 1}, 4, 2,
                 {"width": 8, "metrics": ["fid", "modes"], "eval_samples": 100}, "digits, tiny"),
            Part("toy-lambda10", "8gaussians", {"wgan-gp": 2, "icvp": 2}, 6, 2,
                 {"width": 16, "eval_samples": 100, "lambda_max": 10.0}, "8 Gaussians, tiny")]


# ---------------------------------------------------------------------------------------------
# Calibration: the first runs of the design, all at once, as they will run.
# ---------------------------------------------------------------------------------------------

def _calibrate_one(task) -> dict:
    """In a worker: build the run, warm up, wait for the others, train for the window, time one evaluation."""
    from ganlib import metrics, threads
    from ganlib.config import Config
    from ganlib.train import Run

    cfg, seconds, barrier = task
    try:
        run = Run(Config(**cfg))
        threads.join()
        for _ in range(2):
            run.step()
    except BaseException:
        barrier.abort()  # the others stop waiting
        raise
    barrier.wait(timeout=300)
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds or n < 2:
        run.step()
        n += 1
    ms = 1000 * (time.perf_counter() - t0) / n
    t0 = time.perf_counter()
    metrics.evaluate(run.G, run.data, run.cfg.metrics or None, n=run.cfg.eval_samples, seed=0, device=run.device)
    threads.leave()
    return {"dataset": run.cfg.dataset, "ms": ms, "iters": n, "eval_s": time.perf_counter() - t0}


def calibrate(todo: list, workers: int, seconds: float) -> dict:
    """``{dataset: {"ms": slowest ms per generator iteration, "eval_s": slowest evaluation}}``."""
    import multiprocessing

    from ganlib.threads import worker_pool

    first = todo[:workers]
    manager = multiprocessing.get_context("spawn").Manager()
    barrier = manager.Barrier(len(first))
    with worker_pool(len(first)) as pool:
        found = pool.map(_calibrate_one, [(job.config, seconds, barrier) for job in first], chunksize=1)
    manager.shutdown()
    out = {}
    for r in found:
        d = out.setdefault(r["dataset"], {"ms": 0.0, "eval_s": 0.0, "runs": 0})
        d["ms"], d["eval_s"], d["runs"] = max(d["ms"], r["ms"]), max(d["eval_s"], r["eval_s"]), d["runs"] + 1
    return out


def run_seconds(part, cal: dict, iters=None) -> float:
    """Projected seconds of one run of ``part``: its iterations and its evaluations, at the calibrated speed."""
    c = cal[part.dataset]
    return (iters or part.iters) * c["ms"] / 1000 + (part.evals + 1) * c["eval_s"]


def fit_iters(parts, cal: dict, workers: int, seconds: float, cap: int, step: int) -> int:
    """The first part's generator iterations: a multiple of ``step``, at most ``cap``, such that its runs
    (all started first) and then the other parts' runs (in the slots left, then in all) end in ``seconds``."""
    first, rest = parts[0], [p for p in parts[1:] if p.dataset in cal]
    n_first = sum(first.seeds.values())
    rest_work = sum(run_seconds(p, cal) * sum(p.seeds.values()) for p in rest)
    iters = cap
    while iters > step:
        t_first = run_seconds(first, cal, iters) * math.ceil(n_first / workers)
        slots = max(workers - n_first, 0)
        leftover = max(rest_work - slots * t_first, 0.0)
        if t_first + leftover / workers <= seconds:
            break
        iters -= step
    return iters


# ---------------------------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------------------------

def train_all(todo: list, workers: int, deadline: float, log) -> list[str]:
    """Every job, ``workers`` at a time; at ``deadline`` the pool is stopped and the rest reported."""
    import multiprocessing
    from functools import partial

    from ganlib.harness.jobs import train_job
    from ganlib.harness.study import export_run
    from ganlib.threads import worker_pool

    reports = []
    with worker_pool(min(workers, len(todo))) as pool:
        results = pool.imap_unordered(partial(train_job, export=export_run), todo)
        for _ in todo:
            try:
                reports.append(results.next(timeout=max(deadline - time.time(), 0.1)).text())
            except multiprocessing.TimeoutError:
                pool.terminate()
                reports.append(f"deadline reached: {len(todo) - len(reports)} runs stopped before they finished")
                log(reports[-1])
                break
            log(reports[-1])
    return reports


def prepare(args) -> int:
    """Here, before the device run: MNIST into .cache/ganlib/data, its classifier cached, small wheels into .whl/."""
    import shutil
    import subprocess

    data_src = Path(os.environ.get("GANLIB_DATA", "")) / "MNIST"
    data_dst = ROOT / ".cache" / "ganlib" / "data" / "MNIST"
    if not data_src.is_dir():
        print(f"prepare: no MNIST folder at {data_src} (set GANLIB_DATA)", file=sys.stderr)
        return 2
    shutil.copytree(data_src, data_dst, dirs_exist_ok=True)
    os.environ["GANLIB_CACHE"] = str(ROOT / ".cache" / "ganlib")
    from ganlib.data import load_dataset
    from ganlib.metrics import get_classifier

    clf = get_classifier(load_dataset("mnist", data_dst.parent))
    from importlib.metadata import PackageNotFoundError, version

    wheels = ROOT / ".whl"
    wheels.mkdir(exist_ok=True)
    wanted = []
    for name in (w.strip() for w in args.wheels.split(",") if w.strip()):
        try:
            wanted.append(f"{name}=={version(name)}")  # the version this project is tested with
        except PackageNotFoundError:
            wanted.append(name)
    platforms = [a for tag in ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64")
                 for a in ("--platform", tag)]
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                    "--python-version", args.python, *platforms, "--dest", str(wheels), *wanted], check=True)
    print(f"prepared: {data_dst}; classifier {clf.meta.get('path', '')} in {os.environ['GANLIB_CACHE']}/classifiers; "
          f"wheels: {', '.join(sorted(p.name for p in wheels.glob('*.whl')))}")
    print("carry: .cache/ganlib/data .cache/ganlib/classifiers .whl")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.environ.get("OUT") or str(ROOT / "runs" / "device"),
                   help="results folder (default: $OUT, else runs/device)")
    p.add_argument("--work", default=None,
                   help="training folders with checkpoints (default: a new <tmp>/ganlib-device-<time>)")
    p.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"), help="device of every run")
    p.add_argument("--precision", default="fp32", choices=("fp32", "bf16"), help="network arithmetic (default fp32)")
    p.add_argument("--minutes", type=float, default=9.0, help="time budget from the start (default 9)")
    p.add_argument("--workers", type=int, default=None, help="runs at once (default: one per CPU core)")
    p.add_argument("--calibrate", type=float, default=15.0, help="calibration window in seconds (default 15)")
    p.add_argument("--tiny", action="store_true", help="tiny design (digits, few iterations): the CPU test")
    p.add_argument("--prepare", action="store_true", help="prepare the ignored folders to carry, then stop")
    p.add_argument("--wheels", default=",".join(PREPARED_WHEELS), help="with --prepare: wheels to download")
    p.add_argument("--python", default="3.12", help="with --prepare: the device's Python version (default 3.12)")
    args = p.parse_args(argv)
    if args.prepare:
        return prepare(args)
    start = time.time()
    deadline = start + 60 * args.minutes
    lacking = missing_modules()
    if lacking:
        print(f"device_run: missing {', '.join(lacking)}: put their wheels (Python {sys.version_info.major}."
              f"{sys.version_info.minor}) in .whl/ (python scripts/device_run.py --prepare --wheels ...)",
              file=sys.stderr)
        return 2

    import tempfile

    from ganlib.harness import study
    from ganlib.provenance import environment, select_device
    from ganlib.threads import cores

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(args.work or Path(tempfile.gettempdir()) / f"ganlib-device-{time.strftime('%Y%m%d-%H%M%S')}")
    results_root = out / "results"
    device = select_device(args.device)
    log_f = open(out / "device_run.log", "a")

    def log(msg):
        line = f"{time.strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        log_f.write(line + "\n")
        log_f.flush()

    env = environment(device)
    (out / "device.json").write_text(json.dumps({**env, "cores": cores(), "args": vars(args)}, indent=2) + "\n")
    log(f"device run: {env['hardware']}, torch {env['torch']}, {cores()} CPU cores, budget {args.minutes:g} min")
    parts = tiny_parts() if args.tiny else study.study("gpu")
    parts = [replace(part, overrides={**part.overrides, "device": args.device, "precision": args.precision})
             for part in parts]
    from ganlib.data import load_dataset
    from ganlib.metrics import get_classifier

    for part in parts:  # the metric classifier once, here (cached), not in every worker at once
        if {"fid", "modes"} & set(part.overrides.get("metrics", [])):
            get_classifier(load_dataset(part.dataset))
    study.STUDIES["gpu"] = parts  # study.jobs and summarise_study read the design from the table
    todo = study.jobs("gpu", work, results_root)
    workers = min(args.workers or cores(), len(todo)) or 1

    cal = calibrate(todo, workers, args.calibrate)
    log("calibration (slowest of the runs started together): " + "; ".join(
        f"{d}: {c['ms']:.1f} ms per generator iteration, {c['eval_s']:.1f} s per evaluation ({c['runs']} runs)"
        for d, c in cal.items()))
    mnist = parts[0]
    left = deadline - time.time() - RESERVE
    iters = fit_iters(parts, cal, workers, left, PAPER_ITERS if not args.tiny else 8, STEP if not args.tiny else 2)
    parts[0] = replace(mnist, iters=iters)
    study.STUDIES["gpu"] = parts
    design = {"profile": "gpu", "mnist_iters": iters, "paper_iters": PAPER_ITERS, "calibration": cal,
              "seconds_left_at_fit": round(left, 1), "parts": [asdict(p) for p in parts]}
    (out / "design.json").write_text(json.dumps(design, indent=2) + "\n")
    log(f"MNIST: {iters} of the paper's {PAPER_ITERS} generator iterations fit in the {left:.0f} s left"
        + ("" if args.tiny else f" (ganlib/harness/study.py's gpu entry must say {iters} before these results are committed)"))

    todo = study.jobs("gpu", work, results_root)
    log(f"training {len(todo)} runs, {workers} at a time")
    reports = train_all(todo, workers, deadline - RESERVE / 3, log)
    summaries = study.summarise_study("gpu", results_root)
    lines = [f"# gpu study on {env['hardware']}", "",
             f"torch {env['torch']}, {cores()} CPU cores, {workers} runs at a time, precision {args.precision}; "
             f"{time.time() - start:.0f} s in all. MNIST: {iters} of the paper's {PAPER_ITERS} generator "
             f"iterations (as many as fit in {args.minutes:g} minutes, from the calibration).", "",
             study.design_table("gpu"), "", study.verdict_table(summaries), "",
             "Runs: " + "; ".join(reports)]
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    stopped = study.missing("gpu", results_root)
    log(f"done in {time.time() - start:.0f} s: {len(summaries)} parts summarised in {results_root / 'gpu'}; "
        f"{out / 'summary.md'}" + (f"; NOT stored (stopped at the deadline or failed to start): {', '.join(stopped)}"
                                   if stopped else ""))
    log_f.close()
    return 1 if stopped else 0


if __name__ == "__main__":
    sys.exit(main())
