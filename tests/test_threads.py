"""The thread budget (ganlib.threads): a run's thread count is fixed when it starts, its share of the cores."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest
import torch
from threadpoolctl import ThreadpoolController

import ganlib.threads as threads
from ganlib.config import Config
from ganlib.train import read_jsonl, train

pytestmark = pytest.mark.skipif(threads.fcntl is None, reason="the shared budget needs POSIX file locks")

CHILD = "import sys, ganlib.threads as t; t.join(); print('joined', flush=True); sys.stdin.read()"
# Wide enough that 2 and 4 threads give different bits (a width of 64 would not tell them apart).
RUN = dict(method="icvp", dataset="8gaussians", width=256, warmup=2, checkpoint_every=3, quiet=True)


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A private shared folder, 4 cores, and a cap of 4 threads."""
    monkeypatch.setenv("GANLIB_THREADS_DIR", str(tmp_path / "registry"))
    monkeypatch.delenv("GANLIB_THREAD_BUDGET", raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 4)
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    yield tmp_path / "registry"
    threads.leave()
    torch.set_num_threads(before)


def _join_in_child(env_dir):
    """Another ganlib process that trains (holds its place in the registry) until it is killed."""
    env = {**os.environ, "GANLIB_THREADS_DIR": str(env_dir), "GANLIB_THREAD_BUDGET": "on"}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                             text=True)
    assert child.stdout.readline().strip() == "joined"
    return child


def _stop(child):
    child.send_signal(signal.SIGKILL)  # no clean-up: its lock dies with it
    child.wait()


def _pool_threads() -> set:
    return {p["num_threads"] for p in ThreadpoolController().info()}


def _rows(out):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in read_jsonl(out / "log.jsonl")]


def _recorded(out):
    return json.loads((out / "run.json").read_text())["threads"]


def test_a_run_keeps_its_threads_while_others_start_and_stop_and_a_dead_one_stops_counting(registry):
    assert threads.join() == 4 and threads.sharing() == 1
    child = _join_in_child(registry)
    try:
        assert threads.sharing() == 2
        assert torch.get_num_threads() == 4 and _pool_threads() == {4}  # every pool, not only torch's
    finally:
        _stop(child)
    assert threads.sharing() == 1
    assert sorted(p.name for p in registry.iterdir()) == [str(os.getpid())]  # the dead one's file is gone


def test_a_run_started_beside_another_takes_its_share_and_leave_gives_it_back(registry):
    child = _join_in_child(registry)
    try:
        assert threads.join() == 2
        assert torch.get_num_threads() == 2 and _pool_threads() == {2}
        assert os.environ["OMP_NUM_THREADS"] == "2"  # pools loaded later start within the budget
        threads.leave()
        assert torch.get_num_threads() == 4
        assert not (registry / str(os.getpid())).exists()
        assert threads.sharing() == 1  # the child alone now
    finally:
        _stop(child)


def test_the_budget_never_exceeds_the_threads_a_run_started_with(registry):
    torch.set_num_threads(1)  # e.g. the explorer's choice, or OMP_NUM_THREADS=1
    assert threads.join() == 1
    threads.leave()
    assert torch.get_num_threads() == 1


def test_a_resumed_count_is_taken_as_it_is(registry):
    assert threads.join(3) == 3 and torch.get_num_threads() == 3


def test_nested_joins_hold_the_count_until_the_outer_leave(registry):
    assert threads.join() == 4
    child = _join_in_child(registry)
    try:
        assert threads.join() == 4  # the outer run's count, not a new share
        threads.leave()
        assert (registry / str(os.getpid())).exists() and torch.get_num_threads() == 4
        threads.leave()
        assert not (registry / str(os.getpid())).exists()
    finally:
        _stop(child)


def test_the_budget_can_be_turned_off(registry, monkeypatch):
    monkeypatch.setenv("GANLIB_THREAD_BUDGET", "off")
    torch.set_num_threads(3)
    assert threads.join() == 3 and torch.get_num_threads() == 3
    assert not registry.exists()


def test_train_counts_itself_while_it_trains(registry):
    seen = []
    train(Config(dataset="8gaussians", width=8, iters=3, quiet=True),
          callback=lambda run, row: seen.append((threads.sharing(), (registry / str(os.getpid())).exists())))
    assert seen == [(1, True)] * 3
    assert not (registry / str(os.getpid())).exists()
    assert torch.get_num_threads() == 4


def test_a_rerun_is_bit_identical_though_another_run_started_during_the_first(registry, tmp_path):
    """The budget on, as by default: the count is taken when the run starts, and kept."""
    seen, children = {"first": [], "rerun": []}, []

    def another_run_starts_at_2(run, row):
        seen["first"].append((threads.sharing(), torch.get_num_threads()))
        if run.it == 2:
            children.append(_join_in_child(registry))

    try:
        train(Config(iters=6, **RUN), tmp_path / "first", callback=another_run_starts_at_2)
    finally:
        for child in children:
            _stop(child)
    train(Config(iters=6, **RUN), tmp_path / "rerun",
          callback=lambda run, row: seen["rerun"].append((threads.sharing(), torch.get_num_threads())))
    assert [s for s, _ in seen["first"]] == [1, 1, 2, 2, 2, 2]  # the other run trained from iteration 3 on
    assert [t for _, t in seen["first"]] == [t for _, t in seen["rerun"]] == [4] * 6
    assert _recorded(tmp_path / "first") == _recorded(tmp_path / "rerun") == 4
    assert _rows(tmp_path / "first") == _rows(tmp_path / "rerun")


def test_a_resumed_run_keeps_the_count_it_started_with(registry, tmp_path):
    child = _join_in_child(registry)  # another run trains: these start with half the cores
    try:
        train(Config(iters=6, **RUN), tmp_path / "straight")
        train(Config(iters=3, **RUN), tmp_path / "resumed")
    finally:
        _stop(child)
    seen = []
    train(Config(iters=6, **RUN), tmp_path / "resumed", resume=True,
          callback=lambda run, row: seen.append((threads.sharing(), torch.get_num_threads())))
    assert seen == [(1, 2)] * 3  # alone now, a fresh run would take all 4
    assert _recorded(tmp_path / "straight") == _recorded(tmp_path / "resumed") == 2
    assert _rows(tmp_path / "straight") == _rows(tmp_path / "resumed")


def test_budget_refuses_bad_worker_counts():
    with pytest.raises(ValueError, match="workers must be an integer >= 1; got 0"):
        threads.budget(0)


def _threads_here(_):
    import torch

    return torch.get_num_threads()


def test_worker_pool_gives_each_worker_its_share_of_the_cores():
    with threads.worker_pool(2) as pool:
        got = pool.map(_threads_here, range(2))
    assert got == [max(1, threads.cores() // 2)] * 2
