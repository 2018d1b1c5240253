"""The convergence protocol: verdict rule, thresholds, resumability and the written results."""

from __future__ import annotations

import csv
import json

import pytest

from ganlib import compare as C


def test_verdict_rule():
    fast, slow = [1.0, 1.1, 0.9], [2.0, 2.1, 1.9]
    assert C.verdict(fast, slow).startswith("faster")
    assert C.verdict(slow, fast).startswith("not faster")
    text = C.verdict([1.0, 2.0], [1.2, 2.2])
    # sd 0.7071 each over 2 seeds: standard error 0.7071, so the printed bound is twice that
    assert text.startswith("not distinguishable") and "1.41" in text
    # one seed per method: no spread is known, so no difference (however large) counts
    assert C.verdict([1.0], [5.0]).startswith("not distinguishable")
    assert C.verdict([None, None], [1.0, 1.1]).startswith("not distinguishable")


def test_first_reach_and_auc():
    rows = [{"iter": 0, "seconds": 0.0, "w1": 3.0}, {"iter": 10, "seconds": 1.5, "w1": 1.0},
            {"iter": 20, "seconds": 3.0, "w1": 0.5}]
    assert C.first_reach(rows, "w1", 1.0) == (10, 1.5)
    assert C.first_reach(rows, "w1", 0.1) == (None, None)
    # trapezoid over [0, 20] divided by the span: (3+1)/2 * 10 + (1+0.5)/2 * 10 = 27.5 -> 1.375
    assert C._auc([r["iter"] for r in rows], [r["w1"] for r in rows]) == pytest.approx(1.375)
    assert C.eval_points(100, 4) == [0, 25, 50, 75, 100]


TINY = dict(width=16, batch_size=32, eval_samples=100, lr_g=1e-3)


@pytest.fixture(scope="module")
def tiny_compare(tmp_path_factory):
    out = tmp_path_factory.mktemp("compare")
    logs = []
    result = C.compare("8gaussians", ["wgan-gp", "icvp"], seeds=2, iters=6, out=out, overrides=TINY, n_evals=2,
                       log=logs.append)
    return out, result, logs


def test_compare_writes_results_and_a_computed_verdict(tiny_compare):
    out, result, _ = tiny_compare
    assert set(result["per_method"]) == {"wgan-gp", "icvp"}
    for m, pm in result["per_method"].items():
        assert pm["status"] == ["finished", "finished"]
        assert sorted(int(p) for p in pm["curve"]) == [0, 3, 6]
        assert all(a is not None and a > 0 for a in pm["auc"])
    assert set(result["verdicts"]) == {"icvp vs wgan-gp"}
    v = result["verdicts"]["icvp vs wgan-gp"]
    assert v.split(" (")[0] in ("faster", "not faster", "not distinguishable from the seed spread")
    assert json.loads((out / "results.json").read_text())["verdicts"] == result["verdicts"]
    with open(out / "results.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 * 2 * 3 and {"method", "seed", "iter", "seconds", "w1"} <= set(rows[0])
    md = (out / "summary.md").read_text()
    assert "| wgan-gp |" in md and "| icvp |" in md and "icvp vs wgan-gp" in md
    assert result["threshold_rule"] in md


def test_compare_resumes_without_retraining(tiny_compare):
    out, _, _ = tiny_compare
    stamps = {p: p.stat().st_mtime_ns for p in (out / "runs").glob("*/checkpoint.pt")}
    assert len(stamps) == 4
    logs = []
    C.compare("8gaussians", ["wgan-gp", "icvp"], seeds=2, iters=6, out=out, overrides=TINY, n_evals=2,
              log=logs.append)
    assert sum("finished earlier, not redone" in line for line in logs) == 4
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_unreached_threshold_is_reported_as_such(tiny_compare):
    out, _, _ = tiny_compare
    r = C.summarise(out, "8gaussians", ["wgan-gp", "icvp"], 2, 6, threshold=-1.0, write=False)
    for pm in r["per_method"].values():
        assert pm["iters_to_threshold"] == [None, None] and pm["seconds_to_threshold"] == [None, None]
    md = C.summary_markdown(r)
    assert md.count("not reached") == 4  # iterations and seconds, two methods
    reached = C.summarise(out, "8gaussians", ["wgan-gp", "icvp"], 2, 6, threshold=1e9, write=False)
    assert all(pm["iters_to_threshold"] == [0, 0] for pm in reached["per_method"].values())


def test_compare_refuses_unknown_method(tmp_path):
    with pytest.raises(ValueError, match="accepted"):
        C.compare("8gaussians", ["wgan-gp", "icvpp"], seeds=1, iters=2, out=tmp_path)


def test_parallel_workers_give_the_same_runs(tiny_compare, tmp_path):
    out, result, _ = tiny_compare
    logs = []
    par = C.compare("8gaussians", ["wgan-gp", "icvp"], seeds=2, iters=6, out=tmp_path, overrides=TINY, n_evals=2,
                    log=logs.append, workers=2)
    assert "training 4 runs of 6 generator iterations, 2 at a time" in logs
    for m in ("wgan-gp", "icvp"):
        assert par["per_method"][m]["status"] == ["finished", "finished"]
        # each run is seeded: the thread count (1 per worker here) may change float rounding only
        assert par["per_method"][m]["final"] == pytest.approx(result["per_method"][m]["final"], rel=1e-3)
    with pytest.raises(ValueError, match="workers"):
        C.compare("8gaussians", ["icvp"], seeds=1, iters=2, out=tmp_path / "bad", workers=0)
