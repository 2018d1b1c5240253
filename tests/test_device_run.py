"""scripts/device_run.sh and its Python entry point: the gpu study end to end, on CPU at tiny size."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ganlib.harness.study import Part

REPO = Path(__file__).resolve().parents[1]


def _entry_point():
    spec = importlib.util.spec_from_file_location("device_run", REPO / "scripts" / "device_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_device_script_runs_the_study_into_the_results_store(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHON": sys.executable, "OUT": str(out), "GANLIB_THREADS_DIR": str(tmp_path / "threads")}
    r = subprocess.run(["bash", "scripts/device_run.sh", "--device", "cpu", "--tiny", "--work", str(tmp_path / "work"),
                        "--minutes", "6", "--workers", "2", "--calibrate", "0.5"],
                       cwd=REPO, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    design = json.loads((out / "design.json").read_text())
    assert design["parts"][0]["iters"] == design["mnist_iters"] >= 2
    for part in design["parts"]:
        store = out / "results" / "gpu" / part["name"]
        for method, n in part["seeds"].items():
            for seed in range(n):
                run = store / "runs" / f"{method}-seed{seed}"
                info = json.loads((run / "run.json").read_text())
                assert info["status"] == "finished" and info["iter"] == part["iters"], (run, info)
                assert json.loads((run / "config.json").read_text())["device"] == "cpu"
                assert (run / "metrics.jsonl").read_text().count("\n") == part["evals"] + 1
                assert not list(run.rglob("*.pt"))  # checkpoints stay in the work folder
        assert "icvp vs wgan-gp" in (store / "summary.md").read_text()
    summary = (out / "summary.md").read_text()
    assert f"MNIST: {design['mnist_iters']} of the paper's 20000" in summary
    assert json.loads((out / "device.json").read_text())["args"]["device"] == "cpu"


def test_fit_takes_as_many_iterations_as_the_time_allows():
    fit = _entry_point().fit_iters
    mnist = Part("mnist", "mnist", {"wgan-gp": 5, "icvp": 5, "wgan": 3}, 20000, 10)
    toy = Part("toy", "8gaussians", {"wgan-gp": 5, "icvp": 5}, 1000, 25)
    cal = {"mnist": {"ms": 20.0, "eval_s": 2.0}, "8gaussians": {"ms": 5.0, "eval_s": 0.5}}
    # 13 MNIST runs at once on 16 workers: 20 ms per iteration and 11 evaluations of 2 s each
    iters = fit([mnist], cal, 16, 300.0, 20000, 500)
    assert iters == 13500  # (300 - 22) / 0.020 = 13,900 -> 13,500
    assert fit([mnist], cal, 16, 1e6, 20000, 500) == 20000  # never beyond the paper's
    assert fit([mnist], cal, 16, 1.0, 20000, 500) == 500  # the least: one step
    # toy runs (10 x (5 s + 13 s) = 180 s of work) share the 3 free slots, then all 16: still fits at 13,500
    assert fit([mnist, toy], cal, 16, 300.0, 20000, 500) == 13500
    # with one worker everything runs in turn, so the MNIST part must shrink
    assert fit([mnist, toy], cal, 1, 300.0, 20000, 500) < 1000
