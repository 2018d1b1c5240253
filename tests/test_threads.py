"""The thread budget (ganlib.threads): training processes count each other and share the cores."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import torch
from threadpoolctl import threadpool_info

import ganlib.threads as threads
from ganlib.config import Config
from ganlib.train import train

pytestmark = pytest.mark.skipif(threads.fcntl is None, reason="the shared budget needs POSIX file locks")

CHILD = "import sys, ganlib.threads as t; t.join(); print('joined', flush=True); sys.stdin.read()"


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A private shared folder, 4 cores that other programs leave idle, a cap of 4 threads, and no waiting
    between two looks."""
    monkeypatch.setenv("GANLIB_THREADS_DIR", str(tmp_path / "registry"))
    monkeypatch.delenv("GANLIB_THREAD_BUDGET", raising=False)
    monkeypatch.setattr(threads, "cores", lambda: 4)
    monkeypatch.setattr(threads, "other_load", lambda pids: 0.0)
    monkeypatch.setattr(threads, "CHECK_EVERY", 0.0)
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    yield tmp_path / "registry"
    threads.leave()
    torch.set_num_threads(before)


def _join_in_child(env_dir):
    env = {**os.environ, "GANLIB_THREADS_DIR": str(env_dir), "GANLIB_THREAD_BUDGET": "on"}
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                             text=True)
    assert child.stdout.readline().strip() == "joined"
    return child


def _pool_threads() -> set:
    return {p["num_threads"] for p in threadpool_info()}


def test_a_second_training_process_halves_the_budget_and_a_dead_one_stops_counting(registry):
    threads.join()
    assert threads.sharing() == 1 and threads.rebalance() == 4 and torch.get_num_threads() == 4
    child = _join_in_child(registry)
    try:
        assert threads.sharing() == 2
        assert threads.rebalance() == 2
        assert torch.get_num_threads() == 2 and _pool_threads() == {2}  # every pool, not only torch's
    finally:
        child.send_signal(signal.SIGKILL)  # no clean-up: its lock dies with it
        child.wait()
    assert threads.sharing() == 1
    assert threads.rebalance() == 4 and torch.get_num_threads() == 4
    assert sorted(p.name for p in registry.iterdir()) == [str(os.getpid())]  # the dead one's file is gone


def test_the_budget_never_exceeds_the_threads_a_run_started_with(registry):
    torch.set_num_threads(1)  # e.g. the explorer's choice, or OMP_NUM_THREADS=1
    threads.join()
    assert threads.rebalance() == 1
    threads.leave()
    assert torch.get_num_threads() == 1


def test_leave_gives_the_threads_back_and_stops_counting(registry):
    child = _join_in_child(registry)
    try:
        threads.join()
        assert torch.get_num_threads() == 2
        assert os.environ["OMP_NUM_THREADS"] == "2"  # pools loaded later start within the budget
        threads.leave()
        assert torch.get_num_threads() == 4
        assert not (registry / str(os.getpid())).exists()
        assert threads.sharing() == 1  # the child alone now
    finally:
        child.kill()
        child.wait()


def test_nested_joins_hold_the_budget_until_the_outer_leave(registry):
    threads.join()
    threads.join()
    threads.leave()
    assert (registry / str(os.getpid())).exists()
    threads.leave()
    assert not (registry / str(os.getpid())).exists()


def test_the_budget_can_be_turned_off(registry, monkeypatch):
    monkeypatch.setenv("GANLIB_THREAD_BUDGET", "off")
    threads.join()
    assert threads.rebalance() is None and torch.get_num_threads() == 4
    assert not registry.exists()


def test_train_counts_itself_while_it_trains(registry):
    seen = []
    train(Config(dataset="8gaussians", width=8, iters=3, quiet=True),
          callback=lambda run, row: seen.append((threads.sharing(), (registry / str(os.getpid())).exists())))
    assert seen == [(1, True)] * 3
    assert not (registry / str(os.getpid())).exists()
    assert torch.get_num_threads() == 4


def test_cores_busy_with_other_programs_are_left_to_them(registry, monkeypatch):
    """The kernel's counters: the machine was busy 3 cores x 1 s, of which this (ganlib) process 1 core."""
    monkeypatch.undo()  # the real other_load, with fake counters
    monkeypatch.setenv("GANLIB_THREADS_DIR", str(registry))
    monkeypatch.setattr(threads, "cores", lambda: 4)
    hz = os.sysconf("SC_CLK_TCK")
    clock, machine, mine = iter([100.0, 101.0]), iter([0, 3 * hz]), iter([0, hz])
    monkeypatch.setattr(threads.time, "monotonic", lambda: next(clock))
    monkeypatch.setattr(threads, "_machine_busy_ticks", lambda: next(machine))
    monkeypatch.setattr(threads, "_process_ticks", lambda pid: next(mine))
    threads._ticks.clear()
    assert threads.other_load([os.getpid()]) == 0.0  # the first look only starts the interval
    assert threads.other_load([os.getpid()]) == pytest.approx(2.0)  # 3 busy cores, 1 of them ours
    monkeypatch.setattr(threads, "other_load", lambda pids: 2.0)
    monkeypatch.setattr(threads, "training_pids", lambda: [os.getpid()])
    assert threads.share(4) == 2  # 4 cores, 2 taken by other programs
    monkeypatch.setattr(threads, "other_load", lambda pids: 3.7)
    assert threads.share(4) == 1  # never fewer than one


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
