"""Several sweep workers on one study, each its own process (as on several machines): the race of two
workers taking the same trial, and a worker killed (``kill -9``) in the middle of a trial."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ganlib.harness import sweep

WORKER = Path(__file__).with_name("sweep_worker.py")
TINY = {"width": 16, "batch_size": 32, "eval_samples": 100}


def spec(name, grid, iters, seeds=2, **base):
    return {"name": name, "dataset": "8gaussians", "iters": iters, "seeds": seeds, "base": {**TINY, **base},
            "grid": grid}


def start(n, args, tmp_path):
    """``n`` worker processes started at the same moment; their stderr goes to files."""
    procs = []
    for i in range(n):
        err = open(tmp_path / f"worker{i}.err", "w")
        procs.append(subprocess.Popen([sys.executable, str(WORKER), json.dumps(args)], stdout=err,
                                      stderr=subprocess.STDOUT))
    return procs


def finish(procs, tmp_path, timeout=900):
    """Wait for the workers (killing them all if one is not done in ``timeout`` s); exit codes and their output."""
    deadline = time.time() + timeout
    try:
        codes = [p.wait(timeout=max(1.0, deadline - time.time())) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    errors = "\n".join((tmp_path / f"worker{i}.err").read_text()[-3000:] for i in range(len(procs)))
    return codes, errors


def trained(log):
    return [json.loads(line) for line in Path(log).read_text().splitlines()] if Path(log).exists() else []


def lines(path):
    """Complete lines of a file being written (one per generator iteration in a run's log.jsonl)."""
    return Path(path).read_text().count("\n") if Path(path).exists() else 0


def complete_per_key(plan, out, storage=None):
    from optuna.trial import TrialState

    study = sweep.open_study(plan, out, storage)
    keys = [t.user_attrs.get("key") for t in study.get_trials() if t.state == TrialState.COMPLETE]
    return {k: keys.count(k) for k in set(keys)}, study


def test_two_workers_never_take_the_same_trial(tmp_path):
    """The race of `make run` (notebook 08, two workers on one sweep): both workers took Trial#0 and the
    second crashed with UpdateFinishedTrialError.  Here, as in ``run_sweep(workers=2)``, the study is
    planned first, then 2 workers start at once on 40 instant trials."""
    s = spec("race", {"lr_g": [round(1e-4 * (i + 1), 6) for i in range(20)]}, iters=2)
    plan = sweep.load_spec(s)
    out, log = tmp_path / "s", tmp_path / "trained.jsonl"
    sweep.open_study(plan, out)
    codes, errors = finish(start(2, {"spec": s, "out": str(out), "log": str(log), "fake": True}, tmp_path),
                           tmp_path)
    assert codes == [0, 0], errors
    keys = [r["key"] for r in trained(log)]
    planned = [plan.key(c, seed) for c in range(len(plan.configs)) for seed in plan.seeds]
    assert sorted(keys) == sorted(planned), "a trial was trained twice or not at all"
    done, _ = complete_per_key(plan, out)
    assert done == {k: 1 for k in planned}
    assert all(r["status"] == "finished" for r in sweep.load_results(out)["rows"])


@pytest.mark.filterwarnings("ignore::optuna.exceptions.ExperimentalWarning")
def test_a_worker_killed_mid_trial_is_retried_from_its_checkpoint(tmp_path):
    """``kill -9`` of one of two workers in the middle of a trial: Optuna's heartbeat finds it, the trial is
    retried from its checkpoint and finishes; every planned trial finishes exactly once, no row twice."""
    from optuna.storages import RetryHeartbeatStaleTrialCallback
    from optuna.trial import TrialState

    from ganlib.train import read_jsonl

    iters, every = 40, 5
    s = spec("kill", {"lr_g": [1e-3, 2e-3, 3e-3]}, iters=iters, seeds=1, checkpoint_every=every)
    plan = sweep.load_spec(s)
    out, log = tmp_path / "s", tmp_path / "trained.jsonl"
    procs = start(2, {"spec": s, "out": str(out), "log": str(log), "sleep": 0.1, "stale_after": 4}, tmp_path)
    victim = key = None
    deadline = time.time() + 300
    while victim is None and time.time() < deadline and all(p.poll() is None for p in procs):
        for p in procs:  # a worker whose current trial has a checkpoint and is far from done
            mine = [r["key"] for r in trained(log) if r["pid"] == p.pid]
            run = out / "runs" / mine[-1] if mine else None
            if run and (run / "checkpoint.pt").exists() and every < lines(run / "log.jsonl") < iters // 2:
                victim, key = p, mine[-1]
                os.kill(p.pid, signal.SIGKILL)
                break
        time.sleep(0.05)
    assert victim is not None, "no trial was caught in the middle: " + finish(procs, tmp_path)[1]
    survivor = next(p for p in procs if p is not victim)
    codes, errors = finish(procs, tmp_path)
    assert victim.returncode == -signal.SIGKILL and survivor.returncode == 0, errors

    starts = trained(log)
    planned = [plan.key(c, 0) for c in range(len(plan.configs))]
    assert sorted(r["key"] for r in starts if r["key"] != key) == sorted(k for k in planned if k != key)
    first, again = [r for r in starts if r["key"] == key]  # the killed trial: started, then retried once
    assert first["pid"] == victim.pid and first["first_iter"] == 1
    assert again["pid"] == survivor.pid and again["first_iter"] > every  # resumed from a checkpoint
    assert (again["first_iter"] - 1) % every == 0

    done, study = complete_per_key(plan, out)
    assert done == {k: 1 for k in planned}  # every planned trial finished exactly once
    tries = [t for t in study.get_trials() if t.user_attrs.get("key") == key]
    assert [t.state for t in tries] == [TrialState.FAIL, TrialState.COMPLETE]
    assert RetryHeartbeatStaleTrialCallback.retried_trial_number(tries[1]) == tries[0].number
    run = out / "runs" / key
    for name in ("log.jsonl", "metrics.jsonl"):  # no iteration recorded twice
        its = [r["iter"] for r in read_jsonl(run / name)]
        assert its == sorted(set(its)), name
    assert [r["iter"] for r in read_jsonl(run / "log.jsonl")] == list(range(1, iters + 1))
    rows = {r["key"]: r for r in sweep.load_results(out)["rows"]}
    assert all(r["status"] == "finished" for r in rows.values())
    assert rows[key]["score"] == read_jsonl(run / "metrics.jsonl")[-1][plan.spec["metric"]]
