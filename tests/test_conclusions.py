"""ganlib.notebook.conclusions: the computed conclusions of the comparisons (notebooks 04-07, 09), and the tuning
study's (08).

Each sentence is checked against results whose answer is known (who ends lowest, who reaches the threshold first,
ties at the digits printed), so a wrong number or a sentence that ignores its input fails.
"""

import pytest
import torch

from ganlib.metrics import toy_real
from ganlib.notebook import conclusions as C


# -- 07: the explorer's training comparison ------------------------------------------------------


def test_training_conclusion():
    assert "press train" in C.training_conclusion({})
    res = {"floor": 0.1, "icvp": {"iters": [1, 10, 20], "w1": [1.0, 0.5, 0.3]},
           "wgan-gp": {"iters": [1, 10, 20], "w1": [1.0, 0.6, 0.4]}}
    assert "Neither run came within" in C.training_conclusion(res)
    assert "No run came within" in C.training_conclusion({**res, "agp": {"iters": [1, 20], "w1": [1.0, 0.5]}})
    assert "never fell below" not in C.training_conclusion(res)
    res["icvp"]["log"] = [{"r_t": 1.0}, {"r_t": 0.95}]
    assert "r_t never fell below 0.9" in C.training_conclusion(res)
    res["icvp"]["w1"][-1], res["wgan-gp"]["w1"][1:] = 0.15, [0.19, 0.12]
    text = C.training_conclusion(res)
    assert "wgan-gp first reached 2x the floor" in text and "at iteration 10" in text and "anecdote" in text


# -- 04: modes ------------------------------------------------------------------------------------


def test_count_modes():
    real = toy_real("8gaussians", 2000, seed=0)
    assert C.count_modes(real, "8gaussians")["covered"] == 8
    centres, sd = C.toy_centres("8gaussians")
    one = torch.as_tensor(centres[[2]], dtype=torch.float32).repeat(500, 1)
    assert C.count_modes(one, "8gaussians") == {"covered": 1, "modes": 8, "high_quality": 1.0}
    assert C.count_modes(torch.zeros(100, 2), "8gaussians")["covered"] == 0
    assert C.count_modes(toy_real("25gaussians", 5000, seed=0), "25gaussians")["covered"] == 25
    with pytest.raises(ValueError, match="8gaussians and 25gaussians; got 'swissroll'"):
        C.toy_centres("swissroll")


# -- 04-06 and 09: the comparisons' figures ---------------------------------------------------------


def _result(finals_by_method, reach, curves, diffs=None, seeds=3, threshold=0.5):
    """A minimal ganlib.harness.compare.summarise result: per-method finals, iterations to threshold and mean curves;
    ``diffs``: ``{"a vs b": paired AUC differences}``, decided by the rule (margin 0.05)."""
    from ganlib.stats import decide

    per = {m: {"final": f, "iters_to_threshold": reach[m],
               "curve": {str(i): {"mean": v} for i, v in zip((0, 100, 200), curves[m])}}
           for m, f in finals_by_method.items()}
    return {"dataset": "toy", "metric": "w1", "iters": 200, "threshold": threshold, "per_method": per,
            "paired": {k: {"auc": decide(d, 0.05).as_dict()} for k, d in (diffs or {}).items()}, "seeds": seeds}


def test_curves_conclusion_is_computed_from_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan-gp": [0.5, 0.7]}, {"icvp": [100, 200], "wgan-gp": [None, None]},
                {"icvp": [2.0, 1.0, 0.25], "wgan-gp": [2.0, 0.6, 0.6]},
                {"icvp vs wgan-gp": [-1.0, -1.1, -0.9]})
    text = C.curves_conclusion(r, "8 Gaussians")
    assert "mean final w1 icvp 0.25, wgan-gp 0.6" in text and "icvp lowest" in text
    assert "every seed of icvp reached it (the only method whose every seed did), at iteration 150" in text
    assert "never reached by wgan-gp" in text
    assert "icvp vs wgan-gp faster" in text
    assert "1 of 2 mean curves were still falling" in text  # icvp's last value is its lowest; wgan-gp flat
    swapped = C.curves_conclusion(_result({"icvp": [0.9], "wgan-gp": [0.1]}, {"icvp": [None], "wgan-gp": [100]},
                                                 {"icvp": [2, 1, 1.2], "wgan-gp": [2, 1, 1.1]}, seeds=1))
    assert "wgan-gp lowest" in swapped and "still falling" not in swapped
    assert "With one seed per method there is no spread to measure: no interval" in swapped
    assert "intervals are wide" not in swapped
    tie = C.curves_conclusion(_result({"a": [0.1], "b": [0.1]}, {"a": [100], "b": [100]},
                                             {"a": [2, 1, 0.1], "b": [2, 1, 0.1]}))
    assert "every seed of every method reached it, each at iteration 100 on average: a tie" in tie
    assert "a and b tie for lowest" in tie and "the earliest" not in tie


def test_curves_conclusion_threshold_cases():
    """Who reached the threshold: a five-way tie at the first evaluation, an earliest with the rest listed,
    methods reached by some seeds only (not 'never'), and none with every seed."""
    five = {m: [0.2, 0.2] for m in "abcde"}
    tie = C.curves_conclusion(_result(five, {m: [100, 100] for m in five}, {m: [2, 1, 0.9] for m in five}))
    assert "every seed of every method reached it, each at iteration 100 on average: a tie at the first evaluation " \
           "after the start (evaluations every 100 iterations cannot order reaches within one interval)" in tie
    assert "the earliest of the methods" not in tie and "a, b, c, d and e tie for lowest" in tie
    order = C.curves_conclusion(_result({"a": [0.1], "b": [0.2], "c": [0.3], "d": [0.4]},
                                        {"a": [100], "b": [100], "c": [200], "d": [None]},
                                        {m: [2, 1, 0.9] for m in "abcd"}, seeds=3))
    assert "every seed of a, b and c reached it; earliest a and b (tied), at iteration 100 on average, then c 200" in order
    assert "never reached by d." in order
    some = C.curves_conclusion(_result({"a": [0.1, 0.2], "b": [0.3, 0.4]}, {"a": [100, None], "b": [None, None]},
                                       {m: [2, 1, 0.9] for m in "ab"}))
    assert "no method reached it with every seed; reached by some seeds only: a; never reached by b." in some


def test_curves_conclusion_seeds_and_the_long_study(monkeypatch):
    """One seed: no interval at all (not 'wide intervals'); two seeds: the t quantile; the long study is named
    for a data set it covers only, with how much of it is stored."""
    r = _result({"a": [0.1, 0.2], "b": [0.3, 0.4]}, {"a": [100, 100], "b": [200, 200]},
                {m: [2, 1, 0.9] for m in "ab"}, seeds=2)
    text = C.curves_conclusion(r)
    assert "With 2 seeds per method each 95% interval reaches 12.7 standard errors either side" in text
    assert "notebook 09" not in text and "more seeds would decide them" in text  # "toy" is in no long part
    monkeypatch.setattr(C, "_long_study", lambda ds, profile="long": ("the long study (notebook 09; part x)", 3, 15))
    assert "the long study (notebook 09; part x) is designed to decide them" in C.curves_conclusion(r)
    monkeypatch.setattr(C, "_long_study", lambda ds, profile="long": ("the long study (notebook 09; part x)", 15, 15))
    assert "is the evidence for this data set" in C.curves_conclusion(r)
    assert "With" not in C.curves_conclusion({**r, "seeds": 3}).split("iterations only.")[-1]


def test_long_study_note_reads_the_store(tmp_path, monkeypatch):
    import json

    from ganlib.harness import study

    part = study.Part("p", "celeba", {"icvp": 2, "wgan": 1}, 100, 2)
    monkeypatch.setitem(study.STUDIES, "long", [part])
    monkeypatch.setattr(study, "RESULTS", tmp_path)
    assert C.long_study_note("mnist") == ""
    assert "none of its runs stored yet" in C.long_study_note("celeba")
    run = tmp_path / "long" / "p" / "runs" / "icvp-seed0"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"status": "finished", "iter": 100}))
    assert "part p: 2 seeds per method, 100 generator iterations, 1 of its 3 runs stored so far" in C.long_study_note("celeba")


def test_ranked_calls_ties_ties():
    listed, low, high = C.ranked({"a": 122.4, "b": 123.1, "c": 122.6, "d": 142.0})
    assert listed == "a 122, c 123, b 123, d 142" and low == ["a"] and high == ["d"]
    assert C.ranked({"a": 1.0, "b": 1.0004})[1] == ["a", "b"]
    assert C.names(["a"]) == "a" and C.names("ab") == "a and b" and C.names("abc") == "a, b and c"


def test_samples_and_modes_conclusions_name_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan": [0.9, 0.1]}, {"icvp": [1, 1], "wgan": [1, 1]},
                {"icvp": [1, 1, 1], "wgan": [1, 1, 1]})
    assert C.samples_conclusion(r, seed=0).startswith("Seed 0's final w1: icvp 0.2, wgan 0.9.")
    assert "wgan's samples are the closest" in C.samples_conclusion(r, seed=1)
    rows = [{"data": "8gaussians", "samples of": "real data", "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "icvp", "iteration": 200, "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "wgan", "iteration": 200, "covered": 5, "modes": 8}]
    text = C.modes_conclusion(rows)
    assert "real data covers 8/8 modes; icvp 8, wgan 5 (as many as the real data: icvp)" in text
    tie = C.samples_conclusion(_result({"a": [122.4], "b": [122.2], "c": [142.0]}, {m: [1] for m in "abc"},
                                       {m: [1, 1, 1] for m in "abc"}))
    assert "the samples of b and a (tied) are the closest to the data and c's the farthest" in tie


def test_modes_conclusion_tells_none_from_not_all():
    real = {"data": "8gaussians", "samples of": "real data", "covered": 8, "modes": 8, "high_quality": 0.99}
    gen = lambda m, k, hq=0.5: {"data": "8gaussians", "samples of": m, "iteration": 200, "covered": k,  # noqa: E731
                                "modes": 8, "high_quality": hq}
    none = C.modes_conclusion([real, gen("wgan", 0, 0.0025), gen("icvp", 0, 0.0155)])
    assert "no generator covers any mode yet: at most 1.6% of a generator's samples lie within 3 sd" in none
    assert "covers them all" not in none
    assert "(none covers as many as the real data)" in C.modes_conclusion([real, gen("wgan", 3), gen("icvp", 5)])
    assert "(every generator covers as many modes as the real data)" in C.modes_conclusion([real, gen("icvp", 8)])


# -- 08: the tuning study's conclusions (ganlib.harness.tuning) -------------------------------------


def test_tuning_conclusions_count_verdicts_and_divergences():
    from ganlib.harness import tuning

    tips = {"tips": [{"tip": "Use Adam", "verdicts": [{"claim": "adam lower", "verdict": "holds"}]},
                     {"tip": "Batch size", "verdicts": [{"claim": "64 lower", "verdict": "inconclusive"},
                                                        {"claim": "16 unstable", "verdict": "does not hold"}]}]}
    text = tuning.tips_conclusion(tips, 80)
    assert text.startswith("At 80 generator iterations, of 3 tested claims 1 hold, 1 do not hold and 1 are inconclusive")
    assert "Tips that hold as stated: Use Adam (adam lower); Batch size" not in text
    assert "Tips that hold as stated: Use Adam (adam lower)." in text
    pooled = {"icvp": {"runs": 10, "diverged": 0, "failed": 0}, "wgan": {"runs": 8, "diverged": 2, "failed": 1}}
    assert tuning.divergence_conclusion(pooled) == ("Runs that diverged or failed: wgan 3/8; every other method "
                                                    "finished all its runs (18 runs in all).")
    pooled["wgan"].update(diverged=0, failed=0)
    assert tuning.divergence_conclusion(pooled).startswith("None of the 18 runs")
    pooled = {"icvp": {"runs": 4, "diverged": 1, "failed": 0}, "wgan": {"runs": 4, "diverged": 0, "failed": 2}}
    assert tuning.divergence_conclusion(pooled).endswith("; every method had at least one (8 runs in all).")


def test_tips_are_judged_as_stated_or_say_what_was_tested_instead():
    """A stand-in claim that holds ('the learning rate changes the final W1') is never reported as its tip
    ('the learning rate is the most important hyperparameter') holding."""
    from ganlib.harness import tuning

    lr = {"tip": "The learning rate is the most important hyperparameter.", "verdicts": [
        {"claim": "the learning rate changes the final W1", "verdict": "holds", "instead": "any factor may change it"},
        {"claim": "it matters more than any other tested factor", "verdict": "inconclusive"}]}
    bn = {"tip": "Batch normalisation stabilises training.", "verdicts": [
        {"claim": "a batch-normalised generator beats one without", "verdict": "holds",
         "instead": "stability is not measured: a lower final FID is tested instead"}]}
    text = tuning.tips_conclusion({"tips": [lr, bn]}, 40)
    assert "1 of them test their tip as stated; 2 test a stand-in" in text
    assert "No tip holds as stated at this budget." in text and "holds for" not in text
    assert ("Stand-ins that hold, which do not establish their tip: 'the learning rate changes the final W1', "
            "standing in for 'The learning rate is the most important hyperparameter.' (any factor may change it; "
            "the tip as stated, 'it matters more than any other tested factor': inconclusive)") in text
    assert "'a batch-normalised generator beats one without', standing in for 'Batch normalisation stabilises " \
           "training.' (stability is not measured: a lower final FID is tested instead)" in text


def test_tips_json_marks_every_weakened_claim():
    from ganlib.harness import tuning

    doc = tuning.load_tips()
    instead = {c["claim"] for t in doc["tips"] for c in t["claims"] if c.get("instead")}
    assert {"the learning rate changes the final W1", "a batch-normalised generator beats one without",
            "the batch size changes the final W1"} <= instead
    assert "it matters more than any other tested factor" not in instead


def test_one_seed_shows_no_spread():
    from ganlib.harness import tuning

    summary = {"configs": [{"params": {"lr_g": 0.001}, "mean": 0.5, "sd": 0.0, "n": 1, "seeds": 1, "diverged": 0,
                            "failed": 0}, {"params": {"lr_g": 0.01}, "mean": 0.4, "sd": 0.02, "n": 3, "seeds": 3,
                                           "diverged": 0, "failed": 0}]}
    text = tuning._numbers(summary)
    assert "0.5 (one seed: no spread)" in text and "± 0<" not in text and "0.4 ± 0.02" in text
