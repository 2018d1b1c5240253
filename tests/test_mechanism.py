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
