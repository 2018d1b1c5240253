"""Shared fixtures: keep the cache out of the home folder, and find the offline data."""

from __future__ import annotations

import os
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
    """Thread budget off: the budget follows the machine's load, and a sum split over 1 or 2 threads differs
    in its last bits, so tests that compare runs bit for bit need a fixed thread count (ganlib.threads)."""
    monkeypatch.setenv("GANLIB_THREAD_BUDGET", "off")


@pytest.fixture
def shared_data() -> Path:
    """The offline data folder: ``$GANLIB_DATA`` if set, else ``<repo>/../shared/data``; skip when absent."""
    env = os.environ.get("GANLIB_DATA")
    path = Path(env).expanduser() if env else REPO.parent / "shared" / "data"
    if not path.is_dir():
        pytest.skip(f"offline data folder not present: {path} (set GANLIB_DATA to a folder holding MNIST/ and celeba/)")
    return path
