"""The ganlib command end to end, as a user runs it: exit codes and the files each command promises."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
TINY = ["--dataset", "8gaussians", "--width", "16", "--batch-size", "32", "--eval-samples", "100", "--lr-g", "1e-3"]


def ganlib(*args, cwd=ROOT):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "ganlib", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=900)


def test_train_then_evaluate_writes_posthoc_metrics(tmp_path):
    run = tmp_path / "run"
    out = ganlib("train", *TINY, "--method", "icvp", "--iters", "4", "--checkpoint-every", "2", "--keep-generators",
                 "--quiet", "--out", run)
    assert out.returncode == 0, out.stderr
    out = ganlib("evaluate", run, "--samples", "100")
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in (run / "metrics_posthoc.jsonl").read_text().splitlines()]
    assert [r["iter"] for r in rows] == [2, 4] and all(r["w1"] > 0 for r in rows)
    bad = ganlib("evaluate", tmp_path / "nowhere")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_compare_writes_results_with_signed_paired_verdicts(tmp_path):
    out = ganlib("compare", *TINY, "--methods", "wgan-gp,icvp", "--seeds", "2", "--iters", "4", "--evals", "2",
                 "--out", tmp_path / "cmp")
    assert out.returncode == 0, out.stderr
    r = json.loads((tmp_path / "cmp" / "results.json").read_text())
    assert r["seeds"] == {"wgan-gp": 2, "icvp": 2} and set(r["paired"]) == {"icvp vs wgan-gp"}
    assert "icvp minus baseline; negative = icvp faster" in out.stdout  # the summary printed
    assert (tmp_path / "cmp" / "results.csv").exists() and (tmp_path / "cmp" / "summary.md").exists()
    bad = ganlib("compare", *TINY, "--methods", "wgan-gp,icvpp", "--out", tmp_path / "bad")
    assert bad.returncode == 2 and "icvpp" in bad.stderr and "accepted" in bad.stderr


def _notebook(path, body):
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "smoke"\nruns_dir = None\nfigures_dir = None\ndata_dir = None')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell(body)]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def test_reproduce_names_a_broken_notebook_exits_1_and_fresh_starts_over(tmp_path):
    nbs = tmp_path / "notebooks"
    nbs.mkdir()
    _notebook(nbs / "01_ok.ipynb", "from pathlib import Path\nPath(runs_dir, 'marker').write_text('x')")
    _notebook(nbs / "02_broken.ipynb", "raise ValueError('deliberately broken')")
    common = ["--profile", "smoke", "--notebooks", nbs, "--reports", tmp_path / "reports", "--figures",
              tmp_path / "figures", "--runs", tmp_path / "runs"]
    out = ganlib("reproduce", *common)
    assert out.returncode == 1
    assert "02_broken.ipynb: FAILED" in out.stderr and "deliberately broken" in out.stderr
    assert "1 of 2 notebooks ran" in out.stdout
    marker = tmp_path / "runs" / "smoke" / "marker"
    assert marker.exists() and (tmp_path / "reports" / "01_ok.ipynb").exists()
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "| 02_broken.ipynb | FAILED" in summary and "| 01_ok.ipynb | ok |" in summary
    stale = marker.with_name("stale-run")
    stale.write_text("from an earlier reproduction")
    out = ganlib("reproduce", *common, "--only", "01")
    assert out.returncode == 0 and stale.exists()  # finished work is kept without --fresh
    out = ganlib("reproduce", *common, "--only", "01", "--fresh")
    assert out.returncode == 0, out.stderr
    assert not stale.exists() and marker.exists()  # --fresh removed the profile's runs; the notebook ran anew
