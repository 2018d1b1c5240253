"""Sweeps: resume without redoing trials, failures recorded, bad configs refused, seeded random search;
the tuning study's verdicts, paired by seed.  Several worker processes: tests/test_sweep_workers.py."""

import json
import os
import statistics

import pytest

from ganlib.harness import sweep, tuning
from ganlib.train import train as real_train

TINY = {"width": 16, "batch_size": 32, "eval_samples": 100}


def spec(name="t", grid=None, iters=5, seeds=2, **kw):
    base = {**TINY, **kw.pop("base", {})}
    return {"name": name, "dataset": "8gaussians", "iters": iters, "seeds": seeds, "base": base,
            "grid": grid or {"lr_g": [1e-3, 2e-3, 3e-3]}, **kw}


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train fastest on one thread (and do not fight other processes for the cores)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def counting(monkeypatch):
    """Replace the sweep's ``train`` with a counting wrapper; ``calls`` lists the run folders trained."""
    calls = []

    def counted(cfg, out, resume=False, callback=None, data=None):
        calls.append(out.name)
        return real_train(cfg, out, resume=resume, callback=callback, data=data)

    monkeypatch.setattr(sweep, "train", counted)
    return calls


def statuses(out):
    return {r["key"]: r["status"] for r in sweep.load_results(out)["rows"]}


def test_stopped_sweep_resumes_without_redoing_finished_trials(tmp_path, counting):
    out = tmp_path / "s"
    sweep.run_sweep(spec(), out, max_trials=2, log=None)  # 3 configurations x 2 seeds: stop after 2
    st = statuses(out)
    assert sorted(st.values()) == ["finished"] * 2 + ["waiting"] * 4
    done = [k for k, v in st.items() if v == "finished"]
    mtimes = {k: os.stat(out / "runs" / k / "checkpoint.pt").st_mtime_ns for k in done}
    counting.clear()
    summary = sweep.run_sweep(spec(), out, log=None)
    assert sorted(counting) == sorted(k for k in st if k not in done)  # only the 4 unfinished ones
    assert all(v == "finished" for v in statuses(out).values())
    assert {k: os.stat(out / "runs" / k / "checkpoint.pt").st_mtime_ns for k in done} == mtimes
    assert [c["n"] for c in summary["configs"]] == [2, 2, 2]
    counting.clear()
    sweep.run_sweep(spec(), out, log=None)  # a third run has nothing left to do
    assert counting == []


def test_interrupted_trial_is_requeued_and_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / "s"
    s = spec(grid={"lr_g": [1e-3, 2e-3]}, iters=6, seeds=1, base={"checkpoint_every": 2})
    steps = []

    def interrupting(cfg, run_out, resume=False, callback=None, data=None):
        def cb(run, row):
            steps.append((run_out.name, run.it))
            if run_out.name == "c001-s0" and run.it == 5 and not interrupting.done:
                interrupting.done = True
                raise KeyboardInterrupt  # Ctrl-C in the middle of the second trial
        return real_train(cfg, run_out, resume=resume, callback=cb, data=data)

    interrupting.done = False
    monkeypatch.setattr(sweep, "train", interrupting)
    with pytest.raises(KeyboardInterrupt):
        sweep.run_sweep(s, out, log=None)
    assert statuses(out) == {"c000-s0": "finished", "c001-s0": "interrupted"}
    steps.clear()
    sweep.run_sweep(s, out, log=None)
    assert statuses(out) == {"c000-s0": "finished", "c001-s0": "finished"}
    assert steps == [("c001-s0", 5), ("c001-s0", 6)]  # continued from the checkpoint at iteration 4


def test_diverging_and_failing_trials_are_recorded_and_the_sweep_goes_on(tmp_path, monkeypatch):
    def flaky(cfg, out, resume=False, callback=None, data=None):
        if cfg.n_critic == 2:
            raise RuntimeError("disk full (simulated)")
        return real_train(cfg, out, resume=resume, callback=callback, data=data)

    monkeypatch.setattr(sweep, "train", flaky)
    out = tmp_path / "s"
    grid = [{"method": ["wgan-gp", "icvp"], "lr_g": [1e-3, 1e6]}, {"n_critic": [2]}]
    summary = sweep.run_sweep(spec(grid=grid, seeds=1), out, log=None)
    rows = {r["key"]: r for r in summary["rows"]}
    assert [rows[k]["status"] for k in sorted(rows)] == ["finished", "diverged", "finished", "diverged", "failed"]
    assert "NonFiniteLossError" in rows["c001-s0"]["reason"] and "loss is" in rows["c001-s0"]["reason"]
    assert rows["c004-s0"]["reason"] == "RuntimeError: disk full (simulated)"
    assert rows["c000-s0"]["score"] > 0 and rows["c001-s0"]["score"] is None
    assert summary["methods"]["wgan-gp"]["share_diverged"] == 0.5
    text = (out / "results.csv").read_text()
    assert "diverged" in text and "disk full" in text
    assert json.loads((out / "results.json").read_text())["rows"][1]["status"] == "diverged"


@pytest.mark.parametrize("bad, words", [
    ({"grid": {"lr": [1e-3]}}, ["unknown config field 'lr'", "lr_g"]),
    ({"base": {"learning_rate": 1e-3}}, ["unknown config field 'learning_rate'", "accepted"]),
    ({"grid": {}}, ["empty grid"]),
    ({"grid": []}, ["empty grid"]),
    ({"grid": {"lambda_max": []}}, ["'lambda_max'", "non-empty list"]),
    ({"search": "bayes"}, ["unknown search 'bayes'", "grid, random"]),
    ({"search": "random", "trials": 2, "space": {"lr_g": {"loguniform": [1e-5, 1e-2]}}},
     ["unknown distribution 'loguniform'", "log_uniform"]),
    ({"search": "random", "trials": 2, "space": {"lr_g": {"log_uniform": [1e-2, 1e-5]}}}, ["low < high"]),
    ({"search": "random", "trials": 2, "space": {"optimizer": {"choice": ["adam", "adamw"]}}},
     ["'adamw'", "adam, rmsprop, sgd"]),
    ({"grid": {"method": ["icvp", "gan"]}}, ["unknown method 'gan'", "wgan-gp"]),
    ({"grid": {"seed": [1, 2]}}, ["'seed'", "seeds"]),
    ({"budget": 3}, ["unknown sweep key(s) 'budget'", "accepted"]),
])
def test_bad_sweep_configs_are_refused_before_training(tmp_path, monkeypatch, bad, words):
    monkeypatch.setattr(sweep, "train", lambda *a, **k: pytest.fail("trained despite a bad config"))
    s = spec()
    if "space" in bad or bad.get("search") == "random":
        s.pop("grid")
    s.update(bad)
    with pytest.raises(ValueError) as e:
        sweep.run_sweep(s, tmp_path / "s", log=None)
    for w in words:
        assert w in str(e.value)
    assert not (tmp_path / "s").exists()


def test_a_changed_config_is_refused_for_an_existing_sweep(tmp_path):
    out = tmp_path / "s"
    sweep.run_sweep(spec(grid={"lr_g": [1e-3]}, seeds=1), out, max_trials=0, log=None)
    with pytest.raises(ValueError, match="different config .*iters"):
        sweep.run_sweep(spec(grid={"lr_g": [1e-3]}, seeds=1, iters=7), out, max_trials=0, log=None)


def test_random_search_with_a_seed_is_reproducible(tmp_path):
    space = {"lr_g": {"log_uniform": [1e-5, 1e-2]}, "method": {"choice": ["wgan-gp", "icvp"]},
             "n_critic": {"int_uniform": [1, 5]}, "ema_beta": {"uniform": [0.5, 0.99]}}
    s = {"name": "r", "iters": 5, "search": "random", "trials": 6, "space": space, "sampler_seed": 3}
    a, b = sweep.load_spec(s).configs, sweep.load_spec(dict(s)).configs
    c = sweep.load_spec({**s, "sampler_seed": 4}).configs
    assert a == b and a != c and len(a) == 6
    assert all(1e-5 <= p["lr_g"] <= 1e-2 and 1 <= p["n_critic"] <= 5 for p in a)
    # the planned values are the ones stored in the study
    plan = sweep.load_spec({**s, "trials": 2, "seeds": 1, "base": TINY})
    sweep.run_sweep(plan, tmp_path / "r", log=None)
    study = sweep.open_study(plan, tmp_path / "r")
    assert [{k: v for k, v in t.params.items() if k not in ("config", "seed")} for t in study.get_trials()] == \
        plan.configs
    assert [(t.params["config"], t.params["seed"]) for t in study.get_trials()] == [(0, 0), (1, 0)]


def config(label, scores, seed_start=0, **settings):
    """A sweep summary's entry for one configuration, with its scores by seed (None: not finished)."""
    done = [x for x in scores if x is not None]
    mean, sd, n = statistics.mean(done), statistics.stdev(done) if len(done) > 1 else None, len(done)
    return {"params": {"optimizer": label, **settings}, "settings": {"optimizer": label, **settings},
            "by_seed": {seed_start + i: x for i, x in enumerate(scores)}, "scores": done, "mean": mean, "sd": sd,
            "n": n, "seeds": len(scores), "diverged": 0, "failed": scores.count(None)}


def test_tuning_verdicts_are_paired_by_seed():
    # seed-to-seed spread is large, but a is lower than b on every seed by about 0.1: paired, that decides
    a, b = config("adam", [1.0, 2.0, 3.0]), config("sgd", [1.12, 2.09, 3.11])
    summary = {"name": "x", "metric": "w1", "configs": [a, b]}
    claim = {"kind": "better", "a": {"optimizer": "adam"}, "b": {"optimizer": "sgd"}}
    v = tuning.judge(summary, claim)
    assert v["verdict"] == "holds" and "3 paired seeds" in v["detail"]
    assert tuning.judge(summary, {**claim, "a": claim["b"], "b": claim["a"]})["verdict"] == "does not hold"
    assert tuning.judge(summary, {"kind": "matters", "factor": "optimizer"})["verdict"] == "holds"
    # equal within the margin (5% of the mean score) on every seed: the claim does not hold, and it says why
    same = {**summary, "configs": [a, config("sgd", [1.001, 1.999, 3.0])]}
    v = tuning.judge(same, claim)
    assert v["verdict"] == "does not hold" and "equivalent within" in v["detail"]
    assert tuning.judge(same, {"kind": "matters", "factor": "optimizer"})["verdict"] == "does not hold"
    # differences of opposite sign: inconclusive, with the seeds that would decide
    mixed = {**summary, "configs": [a, config("sgd", [1.5, 1.6, 3.4])]}
    v = tuning.judge(mixed, claim)
    assert v["verdict"] == "inconclusive" and "seeds would decide" in v["detail"]
    # a failed seed is left out of the pairs and counted; one pair gives no spread
    v = tuning.judge({**summary, "configs": [config("adam", [1.0, None, None]), b]}, claim)
    assert v["verdict"] == "inconclusive" and "2 seed(s) not finished on both sides" in v["detail"]
    # groups run on different seeds are not paired: no verdict, and it says so
    apart = {**summary, "configs": [a, config("sgd", [1.12, 2.09, 3.11], seed_start=100)]}
    v = tuning.judge(apart, claim)
    assert v["verdict"] == "inconclusive" and "different seeds" in v["detail"]


def test_matters_most_pairs_the_effects_by_seed():
    big = {"name": "lr", "metric": "w1", "configs": [config("adam", [1.0, 2.0, 3.0], lr_g=0.001),
                                                     config("adam", [2.0, 3.1, 3.9], lr_g=0.01)]}
    small = {"name": "opt", "metric": "w1", "configs": [a := config("adam", [1.0, 2.0, 3.0]),
                                                        config("sgd", [1.1, 2.2, 3.1])]}
    claim = {"kind": "matters_most", "factor": "lr_g", "claim": "lr matters most"}
    assert a["mean"] == 2.0
    assert tuning.judge(big, claim, {"opt": (small, "optimizer")})["verdict"] == "holds"
    assert tuning.judge(small, {**claim, "factor": "optimizer"}, {"lr": (big, "lr_g")})["verdict"] == "does not hold"


def sensitivity(factor):
    """A method x ``factor`` sweep summary: icvp 0.3 lower than wgan-gp on every seed and level, plus seed spread."""
    rows = []
    for method, shift in (("icvp", 0.0), ("wgan-gp", 0.3)):
        for level, base in ((0.01, 1.0), (1.0, 1.5)):
            by_seed = {s: base + shift + 0.1 * s + 0.01 * (s * s % 3) for s in range(3)}
            rows.append({"params": {"method": method, factor: level}, "settings": {"method": method, factor: level},
                         "by_seed": by_seed, "mean": statistics.mean(by_seed.values()),
                         "sd": statistics.stdev(by_seed.values()), "diverged": 0, "failed": 0, "seeds": 3, "n": 3})
    return {"name": "s", "metric": "w1", "spec": {"iters": 80}, "configs": rows}


def test_fragility_verdict_states_its_budget_and_points_at_the_long_study():
    v = tuning.fragility_verdict(sensitivity("lambda_max"), "lambda_max")
    assert v["verdict"] == "holds", v["detail"]
    assert v["detail"].startswith("at 80 generator iterations")
    assert "results/long/toy-lambda10" in v["detail"] and "09_long_study" in v["detail"]
    assert "results/long" not in tuning.fragility_verdict(sensitivity("lr_g"), "lr_g")["detail"]
    assert tuning.fragility_verdict(sensitivity("lambda_max"), "lambda_max", "wgan-gp", "icvp")["verdict"] == \
        "does not hold"


def test_two_workers_share_the_queue_without_running_a_trial_twice(tmp_path, capfd):
    out = tmp_path / "s"
    plan = sweep.load_spec(spec(grid={"lr_g": [1e-3, 2e-3]}, iters=2))
    summary = sweep.run_sweep(plan, out, workers=2, threads=1, log=None)
    assert all(r["status"] == "finished" for r in summary["rows"])
    # log=None: the workers' lines go to OUT/sweep.log only (was: printed by each worker process, so a notebook
    # that runs a sweep held a line per trial: 237 in notebook 08)
    assert "[worker" not in capfd.readouterr().out
    logged = [line.split("] ", 1)[1] for line in (out / "sweep.log").read_text().splitlines()]
    assert sorted(line.split()[0] for line in logged) == sorted(r["key"] for r in summary["rows"])
    trials = sweep.open_study(plan, out).get_trials()
    assert sorted(t.user_attrs["key"] for t in trials) == sorted(r["key"] for r in summary["rows"])  # once each
    pids = {int(t.user_attrs["worker"].rsplit(":", 1)[1]) for t in trials}
    assert os.getpid() not in pids  # trained by the worker processes


def test_example_sweeps_and_every_tip_are_valid_for_every_profile():
    from pathlib import Path

    for path in sorted((Path(tuning.ROOT) / "sweeps").glob("*.json")):
        if path.name != "tips.json":
            assert sweep.load_spec(path).configs
    doc = tuning.load_tips()
    for profile in tuning.TUNING_PROFILES:
        for tip in doc["tips"]:
            plan = sweep.load_spec(tuning.tip_spec(tip, doc, profile))
            fake = {"name": plan.name, "metric": "w1", "configs": [
                {"params": p, "settings": plan.settings(i), "scores": [1.0, 1.0], "by_seed": {0: 1.0, 1: 1.0},
                 "mean": 1.0, "sd": 0.0, "n": 2, "seeds": 2, "diverged": 0, "failed": 0}
                for i, p in enumerate(plan.configs)]}
            for claim in tip["claims"]:
                if claim["kind"] == "better" and claim["a"] != "best":  # selectors name configurations of the grid
                    v = tuning.judge(fake, claim)  # equal scores on every seed: equivalent, so no claim holds
                    assert v["verdict"] == "does not hold" and "equivalent" in v["detail"]
        P = tuning.TUNING_PROFILES[profile]
        specs = tuning.sensitivity_specs(profile)
        assert len(sweep.load_spec(specs["lambda_max"]).configs) == 4 * len(P["lambdas"])
        assert len(sweep.load_spec(specs["lr_g"]).configs) == 4 * len(P["lrs"])
