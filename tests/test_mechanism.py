"""ganlib.notebook.mechanism: the predictions of docs/PREDICTIONS.md judged on a store, and the tables of notebook 10."""

from __future__ import annotations

import json
from pathlib import Path

from ganlib.notebook import mechanism as MX
from ganlib.harness import study as S

ITERS = 200


def _run(folder: Path, label: str, seed: int, lam: float, grad: float):
    d = folder / "runs" / f"{label}-seed{seed}"
    d.mkdir(parents=True)
    (d / "metrics.jsonl").write_text("".join(json.dumps({"iter": i, "fid": 100.0 - i / 10}) + "\n" for i in (0, 100, 200)))
    (d / "log.jsonl").write_text("".join(json.dumps({"iter": i, "lambda_t": lam, "w_t": 1.0, "d_ref": 2.0,
                                                     "grad_norm": grad}) + "\n" for i in range(10, 201, 10)))
    (d / "probe.jsonl").write_text("".join(json.dumps({"iter": i, "grad_penalty_median": grad}) + "\n"
                                           for i in range(0, 201, 50)))


def _auc(mean, low, high, n=5):
    return {"auc": {"n": n, "mean": mean, "low": low, "high": high, "text": "x"}}


def test_predictions_are_pending_until_their_runs_are_stored_then_judged(tmp_path):
    folder = tmp_path / "mnist"
    for s in range(5):
        _run(folder, "icvp", s, lam=3.0, grad=2.0)
        _run(folder, "icvp-slope", s, lam=5.0 if s < 4 else 2.0, grad=1.2)  # seed 4: lambda lower than icvp's
    summary = {"paired": {"icvp-slope vs icvp": _auc(-3.0, -5.0, -1.0)}}
    judged = {j["id"]: j for j in MX.judge_predictions(folder, summary, ITERS)}
    assert judged["A1"]["outcome"] == "pending" and "icvp-lambda (5 of 5 seeds missing)" in judged["A1"]["evidence"]
    assert judged["I1"]["outcome"] == "failed" and judged["I1"]["evidence"].startswith("4 of 5 pairs")
    assert judged["I2"]["outcome"] == "held"  # 1.2 is closer to 1 than 2.0 in every pair (second half of the budget)
    assert judged["I3"]["outcome"] == "held" and judged["C1"]["outcome"] == "failed"  # I3 and C1 exclude each other
    summary["paired"]["icvp-slope vs icvp"] = _auc(-1.0, -3.0, +1.0)
    judged = {j["id"]: j for j in MX.judge_predictions(folder, summary, ITERS)}
    assert judged["I3"]["outcome"] == "failed" and judged["C1"]["outcome"] == "held"


def test_feedback_numbers_and_readings_table_from_the_committed_store():
    folder = S.results_dir("long") / "mnist-unpinned"
    rows = MX.feedback_numbers(folder, 2000)
    icvp = [r for r in rows if r["method"] == "icvp"]
    assert [r["iteration"] for r in icvp] == [210, 610, 1010, 1810] and all(r["seeds"] == 5 for r in icvp)
    assert all(r["lambda_t"] == 10.0 for r in rows if r["method"] == "wgan-gp")
    assert icvp[-1]["lambda_t"] < icvp[0]["lambda_t"] < 10.0  # the variable lambda falls
    table = MX.readings_table({}, ["icvp-band"])
    assert [r["reading"] for r in table] == ["icvp", "icvp-band"] and table[1]["verdict"] == "not yet in the store"
    one = {"paired": {"icvp vs wgan-gp": {"auc": {"n": 1, "mean": 5.0, "low": None, "high": None, "text": "x"}}}}
    table = MX.readings_table(one, ["icvp-band"])  # one pair stored, the reading none: the rows still align
    assert len({tuple(r) for r in table}) == 1 and table[0]["verdict"] == "one pair: no interval yet"


def _probe_run(folder: Path, label: str, seed: int, fake: dict):
    d = folder / "runs" / f"{label}-seed{seed}"
    d.mkdir(parents=True)
    (d / "metrics.jsonl").write_text("".join(json.dumps({"iter": i, "fid": 1.0}) + "\n" for i in (0, 1000, 2000)))
    (d / "probe.jsonl").write_text("".join(json.dumps({"iter": i, "grad_fake_median": fake.get(i, 1.0),
                                                       "grad_real_median": 1.0}) + "\n" for i in range(0, 2001, 50)))


def test_steepness_takes_the_peak_inside_the_window_only(tmp_path):
    folder = tmp_path / "mnist"
    _probe_run(folder, "icvp", 0, {600: 9.0, 1500: 50.0})  # the late spike lies outside iterations 200-1000
    _probe_run(folder, "icvp", 1, {250: 3.0})
    _probe_run(folder, "wgan-gp", 0, {})
    rows = {r["method"]: r for r in MX.steepness(folder, ["wgan-gp", "icvp", "icvp-band"])}
    assert set(rows) == {"wgan-gp", "icvp"}  # a method with no stored run is left out, not zero
    assert rows["icvp"]["peak_fake"] == [9.0, 3.0] and rows["icvp"]["peak_fake_mean"] == 6.0
    assert rows["wgan-gp"]["peak_fake_mean"] == 1.0 and rows["icvp"]["seeds"] == 2


def _verdict(mean, low, high, n=5, delta=20.0):
    from ganlib.stats import decide

    v = decide([mean + d for d in ((high - low) / 4, -(high - low) / 4, 0.0, 0.0, 0.0)][:n], delta).as_dict()
    return {"auc": v}


def test_the_explanation_is_computed_from_the_judged_predictions():
    judged = [{"id": i, "outcome": o} for i, o in (("A1", "failed"), ("A2", "failed"), ("A3", "held"),
                                                   ("D1", "held"), ("D2", "held"), ("D3", "held"), ("D4", "failed"))]
    summary = {"paired": {"icvp-eps vs wgan-gp": _verdict(100, 50, 150), "icvp-lambda vs wgan-gp": _verdict(0, -1, 1),
                          "icvp-band vs icvp": _verdict(-5, -40, 30), "icvp-band vs wgan-gp": _verdict(90, 40, 140)}}
    steep = [{"method": m, "peak_fake_mean": v} for m, v in (("wgan-gp", 1.3), ("icvp-eps", 8.0), ("icvp-lambda", 1.4),
                                                              ("icvp-band", 7.0))]
    text = MX.explanation(judged, summary, steep)
    assert "2 of its 3 predictions failed (A1, A2)" in text and "all of D1-D3 held" in text
    assert "8 for the point alone (icvp-eps)" in text and "the prediction failed: icvp-band vs icvp" in text
    assert "Spearman rank correlation of" in text and "below 2 are wgan-gp, icvp-lambda" in text
    judged[3]["outcome"] = "failed"
    assert "only partly supported: D2, D3" in MX.explanation(judged, summary, steep)


def test_the_readings_answer_counts_what_holds():
    from ganlib.stats import Verdict

    def auc(outcome, mean, low, high, within_margin=False):
        v = Verdict(outcome, n=5, mean=mean, sd=1.0, low=low, high=high, delta=23.7, within_margin=within_margin)
        return {"auc": v.as_dict()}

    summary = {"paired": {"icvp vs wgan-gp": auc("higher", 95.0, 23.0, 167.0),
                          "icvp-band vs wgan-gp": auc("higher", 11.5, 1.4, 21.6, within_margin=True),
                          "icvp-refmean vs wgan-gp": auc("inconclusive", -8.9, -30.0, 12.0)}}
    text = MX.readings_answer(summary, ["icvp-band", "icvp-refmean", "icvp-x"])
    assert '"slower than WGAN-GP" holds for 1 of the 3 readings tried (the default reading, icvp, among them)' in text
    assert "less than the practical margin for icvp-band +11.5" in text and "icvp-refmean -8.9 [-30, +12]" in text
    assert "none is faster than wgan-gp" in text and "Still to be trained: icvp-x." in text
    assert MX.readings_answer({}, ["icvp-x"]).startswith("No reading")
