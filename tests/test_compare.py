"""The convergence protocol: verdict rule, thresholds, resumability and the written results."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from ganlib import compare as C


def test_decide_on_both_sides_of_each_boundary():
    # n = 2 pairs, diffs m -+ 1: sd sqrt(2), half-width t(0.975, 1) * sqrt(2) / sqrt(2) = 12.706
    t1 = 12.7062047
    assert C.decide([12.8 - 1, 12.8 + 1], delta=1.0)["outcome"] == "higher"
    assert C.decide([12.6 - 1, 12.6 + 1], delta=1.0)["outcome"] == "inconclusive"
    assert C.decide([-12.8 - 1, -12.8 + 1], delta=1.0)["outcome"] == "lower"
    assert C.decide([-12.6 - 1, -12.6 + 1], delta=1.0)["outcome"] == "inconclusive"
    r = C.decide([2.0, 4.0, 3.0], delta=1.0)
    assert r["n"] == 3 and r["mean"] == pytest.approx(3.0) and r["sd"] == pytest.approx(1.0)
    # 3 pairs: t(0.975, 2) = 4.303; a normal quantile (1.96) or n degrees of freedom would give other bounds
    assert r["low"] == pytest.approx(3.0 - 4.302653 / 3**0.5, rel=1e-6)
    # equivalence: the whole interval inside +-delta, on both sides of delta
    assert C.decide([0.5 - 1, 0.5 + 1], delta=t1 + 0.6)["outcome"] == "equivalent"
    assert C.decide([0.5 - 1, 0.5 + 1], delta=t1 + 0.4)["outcome"] == "inconclusive"
    # one pair gives no spread: inconclusive, however large the difference
    assert C.decide([-50.0], delta=1.0)["outcome"] == "inconclusive"
    assert C.decide([None, None], delta=1.0)["n"] == 0


def test_inconclusive_says_how_many_seeds_would_decide():
    r = C.decide([-1.0, 0.5, -2.0, 1.0], delta=0.1)
    assert r["outcome"] == "inconclusive"
    n = r["seeds_needed"]
    from scipy import stats
    room = max(abs(r["mean"]), 0.1 - abs(r["mean"]))
    assert stats.t.ppf(0.975, n - 1) * r["sd"] / n**0.5 < room <= stats.t.ppf(0.975, n - 2) * r["sd"] / (n - 1)**0.5


def test_verdict_text_states_sign_interval_and_margin():
    icvp, base = [1.0, 1.1, 0.9], [2.0, 2.05, 1.98]
    v = C.paired_verdict(icvp, base, delta=0.05)
    assert v["text"].startswith("faster (") and C.SIGN in v["text"] and "95% CI" in v["text"]
    assert v["diffs"] == pytest.approx([-1.0, -0.95, -1.08])
    slower = C.paired_verdict(base, icvp, delta=0.05)["text"]
    assert slower.startswith("slower (") and "difference 1.01" in slower
    inc = C.paired_verdict([1.0, 2.0], [1.1, 1.8], delta=0.01)["text"]
    assert inc.startswith("inconclusive (") and "margin ±0.01" in inc and "seeds would decide" in inc
    eq = C.paired_verdict([1.0, 2.0, 3.0], [1.001, 2.0, 3.001], delta=0.5)["text"]
    assert eq.startswith("equivalent within ±0.5")
    assert not C.paired_verdict(base, icvp, delta=0.05)["within_margin"]


def test_a_resolved_difference_smaller_than_the_margin_says_so():
    """An interval that excludes 0 but lies inside +-delta: the direction stands, flagged as too small to matter."""
    small = C.paired_verdict([1.012, 2.010, 3.014, 4.011], [1.0, 2.0, 3.0, 4.0], delta=0.05)
    assert small["outcome"] == "higher" and small["within_margin"]
    assert small["text"].startswith("slower, by less than the margin ±0.05 (")
    wide = C.paired_verdict([1.012, 2.010, 3.014, 4.011], [1.0, 2.0, 3.0, 4.0], delta=0.012)
    assert wide["outcome"] == "higher" and not wide["within_margin"] and wide["text"].startswith("slower (")


def test_reach_pairs_never_turns_a_censored_run_into_a_number():
    r = C.reach_pairs([100, 200, None, 50], [300, None, None, 50], budget=1000)
    assert r["outcome"] == "censored" and r["censored"] == 2
    assert ("icvp reached the threshold first in 2, the baseline in 0, both at the same evaluation in 1, "
            "neither in 1") in r["text"]
    full = C.reach_pairs([100, 200, 150], [300, 420, 380], budget=1000)
    assert full["outcome"] == "lower" and full["delta"] == pytest.approx(50)


# ---------------------------------------------------------------------------------------------
# The rule validated by simulation: power where the design has it, false alarms where there is no shift
# ---------------------------------------------------------------------------------------------

POINTS = C.eval_points(1000, 10)


def _curves(rng, n_seeds, speed_up, sigma=0.08):
    """Paired curves: a seed effect shared by both methods, independent noise per evaluation point."""
    t = np.asarray(POINTS, float)
    out = {"icvp": [], "base": []}
    for _ in range(n_seeds):
        level = 0.3 * rng.standard_normal()  # the seed's shared difficulty: pairing removes it
        for m, tau in (("base", 300.0), ("icvp", 300.0 * (1 - speed_up))):
            y = 0.2 + level + np.exp(-t / tau) + sigma * rng.standard_normal(len(t))
            out[m].append(C._auc(t, y))
    return out


def _auc_shift(speed_up):
    t = np.asarray(POINTS, float)
    return C._auc(t, np.exp(-t / (300 * (1 - speed_up)))) - C._auc(t, np.exp(-t / 300))


def _power(shift, sd, n):
    from scipy import stats

    crit = stats.t.ppf(0.975, n - 1)
    return float(stats.nct.cdf(-crit, n - 1, shift / (sd / n**0.5)))


def test_simulated_studies_have_the_power_and_false_alarm_rate_stated(capsys):
    n, studies, sigma = 5, 200, 0.08
    w = np.diff(POINTS) / (POINTS[-1] - POINTS[0])
    weights = np.zeros(len(POINTS))
    weights[:-1] += w / 2
    weights[1:] += w / 2
    sd = sigma * np.sqrt(2 * np.sum(weights**2))  # the theoretical sd of a paired AUC difference
    speed_up = next(k for k in np.arange(0.01, 0.9, 0.01) if _power(_auc_shift(k), sd, n) >= 0.9)
    power = _power(_auc_shift(speed_up), sd, n)
    rng = np.random.default_rng(20261129)
    calls = {"shift": [], "null": []}
    for family, k in (("shift", speed_up), ("null", 0.0)):
        for _ in range(studies):
            c = _curves(rng, n, k, sigma)
            calls[family].append(C.paired_verdict(c["icvp"], c["base"], delta=0.05)["outcome"])
    faster = calls["shift"].count("lower") / studies
    alarms = sum(o in ("lower", "higher") for o in calls["null"]) / studies
    with capsys.disabled():
        print(f"\n[simulation] {n} paired seeds, {studies} studies per family: decay {speed_up:.0%} faster "
              f"(AUC shift {_auc_shift(speed_up):.4f}, theoretical power {power:.2f}) called faster in {faster:.1%}; "
              f"no shift called faster or slower in {alarms:.1%}")
    assert power >= 0.9 and faster >= 0.8
    assert alarms <= 0.08


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
    v = result["paired"]["icvp vs wgan-gp"]["auc"]
    aucs = [result["per_method"][m]["auc"] for m in ("icvp", "wgan-gp")]
    recomputed = C.decide([a - b for a, b in zip(*aucs)], result["delta"])
    assert v["outcome"] == recomputed["outcome"] and v["mean"] == pytest.approx(recomputed["mean"])
    assert result["verdicts"]["icvp vs wgan-gp"] == v["text"] and C.SIGN in v["text"]
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
