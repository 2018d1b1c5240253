"""Shared fixtures: keep the cache out of the home folder, find the offline data, and run the one smoke
reproduction of the session that the tests of the main job assert on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def _session_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("ganlib-cache")


@pytest.fixture(autouse=True)
def _isolated_cache(_session_cache, monkeypatch) -> Path:
    """Every test writes preprocessed tensors and classifiers into a session tmp dir, never ``~/.cache``."""
    monkeypatch.setenv("GANLIB_CACHE", str(_session_cache))
    return _session_cache


@pytest.fixture
def fixed_threads(monkeypatch):
    """Thread budget off: a run's thread count depends on how many ganlib runs train on the machine when it
    starts (ganlib.threads), and a sum split over 1 or 2 threads differs in its last bits; tests that compare
    two runs bit for bit while other tests may run beside them keep the caller's count."""
    monkeypatch.setenv("GANLIB_THREAD_BUDGET", "off")


def _data_folder() -> Path:
    env = os.environ.get("GANLIB_DATA")
    path = Path(env).expanduser() if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"offline data folder not present: {path} (set GANLIB_DATA to a folder holding MNIST/ and celeba/)")
    return path


@pytest.fixture
def shared_data() -> Path:
    """The offline data folder: ``$GANLIB_DATA`` if set, else ``<repo>/../shared/data``; skip when absent."""
    return _data_folder()


@pytest.fixture(scope="session")
def smoke(tmp_path_factory, _session_cache):
    """The session's one ``ganlib reproduce --profile smoke`` (every notebook, once per test run), as CI runs it
    (``MPLBACKEND=Agg`` in its environment), in its own process so that its whole log is kept (the kernels write
    to the same terminal): ``(reports, figures, runs, exit status, log)``."""
    data = _data_folder()
    tmp = tmp_path_factory.mktemp("smoke")
    rep, fig, runs = tmp / "reports", tmp / "figures", tmp / "runs"
    env = {**os.environ, "MPLBACKEND": "Agg", "GANLIB_CACHE": str(_session_cache)}
    done = subprocess.run([sys.executable, "-m", "ganlib", "reproduce", "--profile", "smoke", "--reports", str(rep),
                           "--figures", str(fig), "--runs", str(runs), "--data-dir", str(data)],
                          env=env, capture_output=True, text=True)
    return rep, fig, runs, done.returncode, done.stdout + done.stderr
