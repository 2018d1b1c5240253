"""One way to run a set of training jobs (ganlib.harness.jobs): skip the finished, resume the interrupted, retry a
dead worker's job, and several workers on one set with every run trained once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ganlib.harness import jobs as J
from ganlib.harness.study import export_run
from ganlib.train import read_jsonl

ROOT = Path(__file__).resolve().parent.parent


def _jobs(tmp_path, n=4, iters=3, store=True) -> list[J.Job]:
    out = []
    for seed in range(n):
        cfg = {"dataset": "8gaussians", "method": "icvp", "iters": iters, "seed": seed, "width": 32, "batch_size": 32,
               "eval_at": [], "sample_at": [], "quiet": True, "checkpoint_every": 1}
        out.append(J.Job(f"icvp-seed{seed}", cfg, str(tmp_path / "runs" / f"icvp-seed{seed}"),
                         str(tmp_path / "store" / f"icvp-seed{seed}") if store else None))
    return out


def _trained_once(job: J.Job):
    rows = read_jsonl(Path(job.work) / "log.jsonl")  # the store keeps every 10th row only
    assert [r["iter"] for r in rows] == list(range(1, job.config["iters"] + 1)), job.name


def test_two_worker_processes_finish_one_set_with_every_run_trained_once(tmp_path):
    todo = _jobs(tmp_path)
    outcomes = J.run_jobs(todo, workers=2, export=export_run, log=lambda *a: None)
    assert sorted(o.name for o in outcomes) == sorted(j.name for j in todo)  # each once, by one worker or the other
    assert all(o.state == "finished" for o in outcomes)
    for j in todo:
        assert J.is_done(j)
        _trained_once(j)
    assert J.run_jobs(todo, workers=2, export=export_run) == []  # done: nothing is trained again


_WORKER = """
import json, sys
from ganlib.harness import jobs as J
from ganlib.harness.study import export_run
todo = [J.Job(**j) for j in json.loads(sys.argv[1])]
print(json.dumps([o.name for o in J.work(todo, export_run, log=lambda *a: None)]))
"""


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1", "GANLIB_THREAD_BUDGET": "off"}


def test_the_same_command_twice_shares_the_set(tmp_path):
    """Two independent processes (as on two machines sharing the folders) with the same list of jobs."""
    todo = _jobs(tmp_path, n=6)
    arg = json.dumps([j.__dict__ for j in todo])
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, arg], stdout=subprocess.PIPE, text=True, env=_env())
             for _ in range(2)]
    trained = [json.loads(p.communicate(timeout=300)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(trained[0] + trained[1]) == sorted(j.name for j in todo)  # every run once, none twice
    for j in todo:
        _trained_once(j)


_HOLDER = """
import sys, time
from ganlib.harness.jobs import claim
with claim(sys.argv[1]) as mine:
    print("held" if mine else "refused", flush=True)
    time.sleep(600)
"""


def test_a_dead_workers_job_is_taken_by_the_next_and_resumed(tmp_path):
    job = _jobs(tmp_path, n=1, iters=4)[0]
    from ganlib.config import Config
    from ganlib.train import train

    interrupted = {**job.config, "iters": 2}  # a worker that trained 2 of 4 iterations, then died
    train(Config.from_dict(interrupted), job.work)
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, job.work], stdout=subprocess.PIPE, text=True, env=_env())
    assert holder.stdout.readline().strip() == "held"
    assert J.work([job], export_run, log=lambda *a: None) == []  # held: not trained twice at once
    holder.send_signal(signal.SIGKILL)  # the worker dies; its hold dies with it
    holder.wait()
    assert [o.state for o in J.work([job], export_run, log=lambda *a: None)] == ["finished"]
    _trained_once(job)  # resumed from iteration 2: every iteration logged once


def test_a_job_refused_before_training_is_reported_and_not_retried_forever(tmp_path):
    job = _jobs(tmp_path, n=1)[0]
    bad = J.Job(job.name, {**job.config, "dataset": "no-such-set"}, job.work, job.store)
    outcomes = J.work([bad], export_run, log=lambda *a: None)
    assert [o.state for o in outcomes] == ["not started"] and "no-such-set" in outcomes[0].reason
    assert outcomes[0].text().startswith(f"{job.name}: failed before training (")


def test_workers_must_be_a_positive_integer(tmp_path):
    with pytest.raises(ValueError, match="workers must be an integer >= 1; got 0"):
        J.run_jobs(_jobs(tmp_path, n=1), workers=0)


def test_outcome_text_is_made_from_the_data():
    assert J.Outcome("a", "finished", 12.3, stored=True).text() == "a: finished in 12 s; stored"
    assert J.Outcome("a", "finished", 12.3).text() == "a: finished in 12 s"
    assert J.Outcome("a", "failed", 1.0, "NonFiniteLossError: x", True).text() == "a: failed (NonFiniteLossError: x); stored"
