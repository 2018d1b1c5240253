"""The convergence protocol: verdict rule, thresholds, resumability and the written results."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

from ganlib.harness import compare as C
from ganlib.stats import decide, mean_sd, sign_count


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
    assert ("icvp reached the threshold first in 2, both at the same evaluation in 1 (not "
            "resolved by the evaluation grid), neither reached it in 1") in r["text"]  # no "baseline in 0"
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
    recomputed = decide([a - b for a, b in zip(*aucs)], result["delta"])
    assert v["outcome"] == recomputed.outcome and v["mean"] == pytest.approx(recomputed.mean)
    assert result["verdicts"]["icvp vs wgan-gp"] == v["text"] and C.SIGN in v["text"] and result["sign"] == C.SIGN
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


# ---------------------------------------------------------------------------------------------
# Comparisons beyond "icvp vs X", read from a store written by hand (no training)
# ---------------------------------------------------------------------------------------------


def _store(root, curves: dict, iters: int):
    """A compare folder with finished runs: ``curves`` maps (method, seed) to the w1 values at 0, iters/2, iters."""
    for (method, seed), values in curves.items():
        folder = C.run_dir(root, method, seed)
        folder.mkdir(parents=True)
        points = [0, iters // 2, iters][: len(values)]
        rows = [{"iter": p, "seconds": float(p), "w1": v} for p, v in zip(points, values)]
        (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        (folder / "run.json").write_text(json.dumps({"status": "finished" if points[-1] == iters else "running",
                                                     "iter": points[-1]}))
    return root


def _four_methods(tmp_path, seeds=5):
    rng = np.random.default_rng(7)
    speed = {"wgan-gp": 1.0, "icvp": 0.5, "icvp-eps": 0.8, "icvp-lambda": 0.6}
    curves = {}
    for s in range(seeds):
        noise = 0.02 * rng.standard_normal()
        for m, k in speed.items():
            curves[(m, s)] = [2.0, 0.5 + k + noise + 0.01 * rng.standard_normal(), 0.3 + 0.1 * k]
    return _store(tmp_path, curves, 100)


def test_summarise_pairs_any_two_methods_and_names_the_sign(tmp_path):
    out = _four_methods(tmp_path)
    methods = ["wgan-gp", "icvp", "icvp-eps", "icvp-lambda"]
    default = C.summarise(out, "8gaussians", methods, 5, 100, write=False)
    assert list(default["paired"]) == ["icvp vs wgan-gp", "icvp vs icvp-eps", "icvp vs icvp-lambda"]
    assert default["sign"] == C.SIGN
    pairs = [("icvp-eps", "wgan-gp"), ("icvp-lambda", "wgan-gp"), ("icvp", "icvp-eps")]
    r = C.summarise(out, "8gaussians", methods, 5, 100, write=False, comparisons=pairs)
    assert list(r["paired"]) == ["icvp-eps vs wgan-gp", "icvp-lambda vs wgan-gp", "icvp vs icvp-eps"]
    v = r["paired"]["icvp-eps vs wgan-gp"]
    assert (v["a"], v["b"]) == ("icvp-eps", "wgan-gp")
    assert "icvp-eps minus wgan-gp; negative = icvp-eps faster" in v["auc"]["text"]
    assert "icvp faster" not in v["auc"]["text"]
    assert C.sign_text("icvp", "icvp-eps") == C.SIGN  # icvp's comparisons read as before
    a, b = r["per_method"]["icvp-eps"]["auc"], r["per_method"]["wgan-gp"]["auc"]
    assert v["auc"]["mean"] == pytest.approx(np.mean(np.subtract(a, b)))
    assert v["auc"]["outcome"] == "lower"  # icvp-eps is faster than wgan-gp by construction
    # the same pair gives the same verdict whichever way it is asked for
    assert r["paired"]["icvp vs icvp-eps"]["auc"]["outcome"] == default["paired"]["icvp vs icvp-eps"]["auc"]["outcome"]
    assert "first minus second" in r["sign"]
    md = C.summary_markdown(r)
    assert "icvp-lambda vs wgan-gp" in md and "icvp-lambda better in 5 of 5 pairs" in md
    with pytest.raises(ValueError, match="wgan-lp"):
        C.summarise(out, "8gaussians", methods, 5, 100, write=False, comparisons=[("wgan-lp", "icvp")])
    with pytest.raises(ValueError, match="itself"):
        C.summarise(out, "8gaussians", methods, 5, 100, write=False, comparisons=[("icvp", "icvp")])


def test_a_part_with_runs_still_training_summarises_the_complete_pairs(tmp_path):
    out = _four_methods(tmp_path, seeds=3)
    # seeds 3 and 4 of icvp-eps: one still running (no final evaluation), one not started
    _store(out, {("icvp-eps", 3): [2.0, 1.3]}, 100)
    for s in (3, 4):
        for m in ("wgan-gp", "icvp"):
            _store(out, {(m, s): [2.0, 1.4 - 0.3 * (m == "icvp"), 0.35]}, 100)
    seeds = {"wgan-gp": 5, "icvp": 5, "icvp-eps": 5}
    r = C.summarise(out, "8gaussians", list(seeds), seeds, 100, write=False,
                    comparisons=[("icvp", "wgan-gp"), ("icvp-eps", "wgan-gp")])
    assert r["paired"]["icvp vs wgan-gp"]["auc"]["n"] == 5
    eps = r["paired"]["icvp-eps vs wgan-gp"]
    assert eps["auc"]["n"] == 3 and "3 paired seeds" in eps["auc"]["text"]
    assert "of 5" not in eps["iters_to_threshold"]["text"]
    assert eps["signs"]["n"] == 3


# ---------------------------------------------------------------------------------------------
# The family of verdicts: p-values of the one rule, Holm-Bonferroni and sign counts
# ---------------------------------------------------------------------------------------------


def _summary(paired: dict, archived=False):
    return {"iters": 100, "metric": "w1", "delta": 0.01, "part": {"archived": archived},
            "paired": {k: {"a": k.split(" vs ")[0], "b": k.split(" vs ")[1], "auc": C.paired_verdict(a, b, 0.01),
                           "signs": sign_count(np.subtract(a, b), k.split(" vs ")[0]),
                           "iters_to_threshold": {"text": "not reached"}}
                       for k, (a, b) in paired.items()}}


def test_family_table_holds_every_comparison_and_adjusts_by_holm():
    clear = ([1.0, 1.1, 0.9, 1.05, 0.95], [2.0, 2.05, 1.98, 2.1, 1.9])  # p ~ 1e-6
    weak = ([1.0, 1.2, 0.9, 1.1, 1.0], [1.2, 1.3, 0.95, 1.45, 1.15])  # raw p 0.03: Holm x2 > 0.05
    none_ = ([1.0, 1.2, 0.9, 1.1], [1.1, 1.0, 1.0, 1.05])
    summaries = {"p1": _summary({"icvp vs wgan-gp": clear, "icvp vs wgan": weak}),
                 "p2": _summary({"icvp-eps vs wgan-gp": none_}),
                 "old": _summary({"icvp vs wgan-gp": clear}, archived=True)}
    fam = C.family_table(summaries)
    assert fam["m"] == 3 and [r["part"] for r in fam["rows"]] == ["p1", "p1", "p2"]
    assert fam["excluded"] == ["old: icvp vs wgan-gp"]
    assert "1 of them rests on fewer than 5 pairs" in fam["text"]
    assert "3 comparisons" in fam["text"] and "Holm" in fam["text"] and "Archived part old: outside" in fam["text"]
    by = {(r["part"], r["comparison"]): r for r in fam["rows"]}
    w = by[("p1", "icvp vs wgan")]
    assert w["raw"] == "faster" and w["p"] < 0.05 and w["p_holm"] >= 0.05
    assert w["holm"].startswith("inconclusive after Holm")
    c = by[("p1", "icvp vs wgan-gp")]
    assert c["holm"].startswith("faster") and c["p_holm"] == pytest.approx(3 * c["p"])
    assert c["signs"] == "icvp better in 5 of 5 pairs" and c["n"] == 5
    assert by[("p2", "icvp-eps vs wgan-gp")]["raw"] == "inconclusive"
    # a family of one is the raw rule
    single = C.family_table({"p1": _summary({"icvp vs wgan": weak})})
    assert single["m"] == 1 and single["rows"][0]["holm"].startswith("faster")
    # the study's table shows both verdicts, the sign count and the size of the family
    from ganlib.harness import study as S

    table = S.verdict_table(summaries)
    assert "Holm-adjusted" in table and "sign count" in table and S.family(summaries)["text"] in table
    row = next(line for line in table.splitlines() if line.startswith("| p1 | icvp vs wgan |"))
    # the study asks the claim (p1's two comparisons) apart from why (p2's): within the claim's family of 2 the weak
    # verdict survives (Holm x1 after the clear one), across all 3 it does not (x2)
    assert "| the claim |" in row and "| faster (AUC difference" in row and "icvp better in 5 of 5" in row
    assert "| faster (Holm-adjusted p 0.0" in row and "| inconclusive after Holm" in row
    old = next(line for line in table.splitlines() if line.startswith("| old |"))
    assert "archived: outside the family" in old
    lines = S.conclusions(summaries)
    assert any("icvp vs wgan: faster" in x and "within the claim (2 comparisons): faster" in x
               and "across all 3: inconclusive after Holm" in x for x in lines)
    assert any("negative = icvp-eps faster" in x for x in lines)
    why = S.conclusions(summaries, only=lambda p, a, b: S.question(p, a, b) == "why")
    assert len(why) == 1 and why[0].startswith("p2, icvp-eps vs wgan-gp:")


def test_a_family_per_question_adjusts_within_each_and_across_all():
    clear = ([1.0, 1.1, 0.9, 1.05, 0.95], [2.0, 2.05, 1.98, 2.1, 1.9])
    weak = ([1.0, 1.2, 0.9, 1.1, 1.0], [1.2, 1.3, 0.95, 1.45, 1.15])
    none_ = ([1.0, 1.2, 0.9, 1.1], [1.1, 1.0, 1.0, 1.05])
    summaries = {"p1": _summary({"icvp vs wgan-gp": weak, "dragan vs wgan-gp": clear, "r1 vs wgan-gp": none_})}
    question = lambda part, a, b: "claim" if a == "icvp" else "relatives"  # noqa: E731
    fam = C.family_table(summaries, question=question)
    assert fam["m"] == 3 and fam["families"] == {"claim": 1, "relatives": 2}
    by = {r["comparison"]: r for r in fam["rows"]}
    w = by["icvp vs wgan-gp"]
    assert w["question"] == "claim" and w["p_holm"] == pytest.approx(w["p"])  # a family of one: the raw rule
    assert w["holm"].startswith("faster") and w["holm_all"].startswith("inconclusive after Holm")
    assert w["p_holm_all"] == pytest.approx(2 * w["p"])  # the second smallest p of three: x2
    d, r = by["dragan vs wgan-gp"], by["r1 vs wgan-gp"]
    assert d["p_holm"] == pytest.approx(2 * d["p"]) and d["p_holm_all"] == pytest.approx(3 * d["p"])
    assert r["p_holm"] == pytest.approx(r["p"]) and r["holm"].startswith("inconclusive")
    assert "in 2 families, one per question it asks: claim (1), relatives (2)" in fam["text"]
    assert 'the column "across all 3"' in fam["text"]


def test_the_study_names_the_question_of_each_comparison():
    from ganlib.harness import study as S

    assert S.question("mnist", "icvp", "wgan-gp") == "the claim" and S.question("celeba", "icvp", "wgan") == "the claim"
    assert S.question("mnist", "icvp-eps", "wgan-gp") == "why" and S.question("mnist", "icvp", "icvp-lambda") == "why"
    assert S.question("mnist", "agp", "icvp") == "relatives" and set(S.QUESTIONS) == {"the claim", "why", "relatives"}


def test_a_study_part_chooses_its_comparisons(monkeypatch):
    from dataclasses import replace
    from pathlib import Path

    from ganlib.harness import study as S

    assert all(p.comparisons is None for p in S.study("smoke"))  # the default: icvp vs each other method
    fixture = Path(__file__).resolve().parent / "fixtures" / "results"
    pairs = [("wgan", "wgan-gp"), ("icvp", "wgan")]
    design = [replace(p, comparisons=pairs) if p.name == "digits" else p for p in S.study("smoke")]
    monkeypatch.setitem(S.STUDIES, "smoke", design)
    s = S.summarise_study("smoke", fixture, write=False)
    assert list(s["digits"]["paired"]) == ["wgan vs wgan-gp", "icvp vs wgan"]
    assert list(s["toy-lambda10"]["paired"]) == ["icvp vs wgan-gp"]
    json.dumps(s["digits"]["part"])  # recorded with the results
    assert "wgan minus wgan-gp; negative = wgan faster" in s["digits"]["paired"]["wgan vs wgan-gp"]["auc"]["text"]
    table = S.verdict_table(s)
    assert "The study holds 3 comparisons" in table and "why (1), the claim (2)" in table
    lines = S.conclusions(s)
    assert any(x.startswith("digits, wgan vs wgan-gp:") and "negative = wgan faster" in x for x in lines)


# ---------------------------------------------------------------------------------------------
# Iterations to the threshold at the resolution of the evaluation grid
# ---------------------------------------------------------------------------------------------

GRID = list(range(0, 201, 20))


def test_ties_at_the_grid_are_not_called_equivalent():
    r = C.reach_pairs([180] * 5, [180] * 5, 200, grid=GRID, a="icvp", b="wgan-gp")
    assert r["outcome"] == "unresolved" and r["n"] == 5
    assert r["text"] == ("both crossed between iterations 160 and 180 in 5 of 5 pairs: not resolved by the "
                         "evaluation grid (every 20 iterations)")
    assert "equivalent" not in r["text"] and "[0, 0]" not in r["text"]
    no_grid = C.reach_pairs([180] * 3, [180] * 3, 200)
    assert no_grid["text"] == "both crossed by iteration 180 in 3 of 3 pairs: not resolved by the evaluation grid"
    spread = C.reach_pairs([180, 180, 200, 0], [180, 180, 200, 0], 200, grid=GRID, a="icvp", b="wgan-gp")
    assert spread["text"] == ("both crossed between iterations 160 and 180 in 2 of 4 pairs, between 180 and 200 in 1, "
                              "at iteration 0 (the initial generator) in 1: not resolved by the evaluation grid "
                              "(every 20 iterations)")


def test_a_constant_difference_of_whole_evaluations_gives_no_interval():
    r = C.reach_pairs([160] * 4, [180] * 4, 200, grid=GRID, a="icvp", b="wgan-gp")
    assert r["outcome"] == "grid" and "CI" not in r["text"]
    assert r["text"] == ("icvp reached the threshold first in 4 of 4 pairs, each time 20 iterations (1 evaluation) "
                         "earlier: a difference at the resolution of the evaluation grid (every 20 iterations), "
                         "no interval")


def test_mixed_ties_keep_the_interval_and_say_how_many_pairs_tied():
    r = C.reach_pairs([160, 140, 160, 120, 160], [160, 160, 160, 140, 160], 200, grid=GRID, a="icvp", b="wgan-gp")
    assert r["outcome"] == "inconclusive" and "95% CI" in r["text"]
    assert r["text"].endswith("; both crossed at the same evaluation in 3 of 5 pairs (evaluations every 20 "
                              "iterations)")
    assert C.SIGN in r["text"]  # icvp against a baseline: the sign text of the default comparisons
    # an interval inside a margin finer than the grid is not a measured equivalence
    many = C.reach_pairs([100] * 19 + [120], [100] * 20, 1000, grid=list(range(0, 1001, 20)), a="icvp", b="wgan-gp")
    assert decide([0] * 19 + [20], 50).outcome == "equivalent"  # the rule alone would say equivalent
    assert many["outcome"] == "equivalent"  # margin 50 > grid 20: the grid can resolve it
    coarse = C.reach_pairs([100] * 19 + [200], [100] * 20, 1000, grid=list(range(0, 1001, 100)), a="icvp", b="wgan-gp")
    assert coarse["outcome"] == "unresolved" and coarse["text"].startswith(
        "not resolved by the evaluation grid (every 100 iterations, not finer than the margin ±50)")


def test_one_censored_pair_is_counted_with_the_ties_named():
    r = C.reach_pairs([120, 140, 160, 100, None], [140, 160, 160, 120, 160], 200, grid=GRID, a="icvp", b="wgan-gp")
    assert r["outcome"] == "censored" and r["censored"] == 1
    assert r["text"] == ("censored at 200 iterations in 1 of 5 pairs: icvp reached the threshold first in 3, wgan-gp "
                         "first in 1, both at the same evaluation in 1 (not resolved by the evaluation grid, every 20 "
                         "iterations)")


def test_censored_pairs_name_only_the_categories_that_hold_pairs():
    """'icvp first in 3, the baseline in 0, both ... in 0, neither in 0' reads badly: zero counts are left out, and a
    category holding every pair says so."""
    r = C.reach_pairs([100, 120, 150], [None, None, None], 200, grid=[0, 100, 200], a="icvp", b="wgan")
    assert r["text"] == "censored at 200 iterations in 3 of 3 pairs: icvp reached the threshold first in all 3"
    assert " in 0" not in r["text"]


def test_one_seed_has_no_spread_rather_than_plus_minus_zero():
    assert C._fmt(*mean_sd([0.5])) == "0.5 (one seed: no spread)"
    assert C._fmt(*mean_sd([0.5, 0.7])).startswith("0.6 ± ")


def test_the_paired_figure_draws_the_comparisons_it_is_asked_for():
    import matplotlib

    matplotlib.use("Agg")
    from ganlib.harness import study as S
    from ganlib.notebook.study_plots import paired_figure

    clear = ([1.0, 1.1, 0.9, 1.05, 0.95], [2.0, 2.05, 1.98, 2.1, 1.9])
    summaries = {"p1": {**_summary({"icvp vs wgan-gp": clear, "icvp-eps vs wgan-gp": clear, "r1 vs icvp": clear}),
                        "delta": 0.01}}
    for diffs in summaries["p1"]["paired"].values():
        diffs["auc"]["diffs"] = list(np.subtract(*clear))
    everything = paired_figure(summaries)
    claim = paired_figure(summaries, only=lambda p, a, b: S.question(p, a, b) == "the claim")
    assert len(everything.axes) == 3 and len(claim.axes) == 1
    assert claim.axes[0].get_ylabel() == "p1\nicvp vs wgan-gp"
