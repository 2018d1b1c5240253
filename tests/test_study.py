"""The study store: runs exported as they finish, resumed where missing, and rebuilt without training."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlib.harness import compare as C
from ganlib.stats import decide
from ganlib.harness import study as S

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "results"  # the smoke study's store, made by S.run_study("smoke")


def test_every_planned_run_of_the_fixture_is_stored_and_paired():
    assert S.missing("smoke", FIXTURE) == []
    for part in S.study("smoke"):
        first = {}
        for method, n in part.seeds.items():
            for seed in range(n):
                folder = C.run_dir(S.results_dir("smoke", FIXTURE) / part.name, method, seed)
                assert sorted(p.name for p in folder.iterdir() if p.is_file()) == [
                    "config.json", "log.jsonl", "metrics.jsonl", "run.json"]
                assert not list(folder.rglob("*.pt")), "no checkpoints in the store"
                row0 = json.loads((folder / "metrics.jsonl").read_text().splitlines()[0])
                # paired: every method of a seed starts from the same generator, so the same initial metric
                assert row0 == first.setdefault(seed, row0), f"{part.name}/{method}-seed{seed}"


def test_jobs_skip_what_the_store_holds_and_the_rest_is_planned(tmp_path):
    store = tmp_path / "results"
    shutil.copytree(FIXTURE, store)
    assert S.jobs("smoke", tmp_path / "runs", store) == []
    victim = C.run_dir(S.results_dir("smoke", store) / "digits", "icvp", 1)
    shutil.rmtree(victim)
    todo = S.jobs("smoke", tmp_path / "runs", store)
    assert [j.name for j in todo] == ["digits/icvp-seed1"]
    assert todo[0].config["seed"] == 1 and todo[0].config["method"] == "icvp"
    assert S.missing("smoke", store) == ["digits/icvp-seed1"]


def test_export_thins_the_log_and_keeps_the_last_row(tmp_path):
    src = tmp_path / "run"
    (src / "samples").mkdir(parents=True)
    rows = [{"iter": i, "g_loss": float(i)} for i in range(1, 24)]
    (src / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    for name in ("config.json", "run.json"):
        (src / name).write_text("{}")
    (src / "metrics.jsonl").write_text("")
    (src / "checkpoint.pt").write_bytes(b"x")
    for it in (5, 23):
        (src / "samples" / f"iter_{it:06d}.png").write_bytes(b"png")
    dst = S.export_run(src, tmp_path / "store" / "run")
    kept = [json.loads(line)["iter"] for line in (dst / "log.jsonl").read_text().splitlines()]
    assert kept == [10, 20, 23]
    assert not (dst / "checkpoint.pt").exists()
    assert [p.name for p in (dst / "samples").iterdir()] == ["iter_000023.png"]


def test_summaries_from_the_store_recompute_the_rule():
    summaries = S.summarise_study("smoke", FIXTURE, write=False)
    assert set(summaries) == {p.name for p in S.study("smoke")}
    for name, r in summaries.items():
        for comp, v in r["paired"].items():
            base = comp.split(" vs ")[1]
            a, b = r["per_method"]["icvp"]["auc"], r["per_method"][base]["auc"]
            again = decide([x - y for x, y in zip(a, b)], r["delta"])
            assert v["auc"]["outcome"] == again.outcome and v["auc"]["n"] == min(len(a), len(b))
        assert r["trained_on"]["runs"] == sum(r["seeds"].values())
    table = S.verdict_table(summaries)
    assert table.count("icvp vs") == sum(len(r["paired"]) for r in summaries.values())
    assert "negative = icvp faster" in table


def test_reproduce_from_results_rebuilds_figures_in_under_a_minute_without_training(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "ganlib", "reproduce", "--profile", "smoke", "--only", "09",
                          "--from-results", "--results", str(FIXTURE), "--reports", str(tmp_path / "reports"),
                          "--figures", str(tmp_path / "figures"), "--runs", str(tmp_path / "runs")],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    seconds = time.perf_counter() - t0
    assert out.returncode == 0, out.stdout + out.stderr
    print(f"reproduce --from-results: {seconds:.1f} s")
    names = sorted(p.name for p in (tmp_path / "figures").glob("*.png"))
    assert names == ["smoke_digits_curves.png", "smoke_digits_samples.png", "smoke_paired_verdicts.png",
                     "smoke_toy_budget.png"]
    record = json.loads((tmp_path / "figures" / "smoke_paired_verdicts.json").read_text())
    assert record["profile"] == "smoke" and record["rebuilt_from_store"] is True
    assert record["trained_on"]["digits"]["runs"] == 6
    assert not list((tmp_path / "runs").rglob("checkpoint.pt")), "nothing may be trained"
    summary = (tmp_path / "reports" / "summary.md").read_text()
    assert "The `smoke` study" in summary and "icvp vs wgan-gp" in summary


def test_unknown_study_profile_is_refused():
    with pytest.raises(ValueError, match=r"no study for profile 'longg'; accepted: long, .*smoke"):
        S.study("longg")


def test_committed_stores_stay_small():
    # The long store's final design holds 161 runs (at most 310 KB each with its logs, probes and last sample grid,
    # about 27 MB in all); 40 MB leaves room for one more part and fails on a store that keeps checkpoints.
    for store in [p for p in (ROOT / "results").glob("*") if p.is_dir()] + [FIXTURE / "smoke"]:
        size = sum(p.stat().st_size for p in store.rglob("*") if p.is_file())
        assert size < 40e6, f"{store}: {size / 1e6:.1f} MB"


def test_a_missing_run_is_left_out_of_the_pairs_not_counted_as_censored(tmp_path):
    store = tmp_path / "results"
    shutil.copytree(FIXTURE, store)
    shutil.rmtree(C.run_dir(S.results_dir("smoke", store) / "toy-lambda10", "wgan-gp", 2))
    r = S.summarise_study("smoke", store, write=False)["toy-lambda10"]
    v = r["paired"]["icvp vs wgan-gp"]
    assert v["auc"]["n"] == 2
    reach = v["iters_to_threshold"]
    assert reach.get("n", 2) == 2 and "of 3 pairs" not in reach["text"]


def test_pairing_check_is_exact_on_the_same_machine_and_catches_another_seed(tmp_path, fixed_threads):
    """A run made now reproduces the stored run's first rows bit for bit; one of another seed does not."""
    from ganlib.config import Config
    from ganlib.train import train

    store = tmp_path / "part" / "runs"
    train(Config(method="icvp", dataset="8gaussians", width=16, iters=20, eval_at=[0, 20], eval_samples=200,
                 quiet=True, seed=3), store / "icvp-seed3")
    same = S.pairing_check(store / "icvp-seed3", iters=20, work=tmp_path)
    assert same["bit_for_bit"] and same["max_relative_difference"] == 0.0 and list(same["rows"]) == list(range(1, 21))
    assert same["iteration_0"]["w1"][0] == same["iteration_0"]["w1"][1]
    cfg = json.loads((store / "icvp-seed3" / "config.json").read_text())
    (store / "icvp-seed3" / "config.json").write_text(json.dumps({**cfg, "seed": 4}))  # not the run it claims
    other = S.pairing_check(store / "icvp-seed3", iters=20, work=tmp_path)
    assert not other["bit_for_bit"] and other["iteration_0_relative_difference"] > 1e-3


def test_variants_train_as_labelled_configs_in_their_group_order(tmp_path, monkeypatch):
    """A part's variants (readings of section 2) are runs of their own label with their Config fields; groups of
    ``order`` come after the labels of no group, seed by seed within each group."""
    part = S.Part("p", "8gaussians", {"wgan-gp": 2, "icvp": 2, "icvp-band": 1, "wgan-lp": 2}, 4, 1,
                  variants={"icvp-band": {"method": "icvp", "interpolation": "band"}},
                  order=(("icvp-band",), ("wgan-lp",)))
    monkeypatch.setitem(S.STUDIES, "t", [part])
    names = [j.name for j in S.jobs("t", tmp_path / "runs", tmp_path / "results")]
    assert names == ["p/wgan-gp-seed0", "p/icvp-seed0", "p/wgan-gp-seed1", "p/icvp-seed1", "p/icvp-band-seed0",
                     "p/wgan-lp-seed0", "p/wgan-lp-seed1"]
    cfg = part.config("icvp-band", 0)
    assert cfg["method"] == "icvp" and cfg["interpolation"] == "band"
    assert part.config("wgan-lp", 1)["method"] == "wgan-lp"
