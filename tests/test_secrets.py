"""A storage password is never shown: not in errors, logs or the files a sweep writes (``ganlib.harness.sweep.shown``).

Was: ``ganlib sweep ... --storage 'postgresql://alice:S3cretPW@127.0.0.1:1/db'`` printed the whole URL, password
included, in its error.  The bad-input catalogue (tests/test_bad_input.py) holds the same command line.
"""

from __future__ import annotations

import json

import pytest

from ganlib.harness import sweep
from ganlib.cli import main

URL = "postgresql://alice:S3cretPW@127.0.0.1:1/db"  # port 1: nothing listens there
SPEC = {"name": "s", "dataset": "8gaussians", "iters": 1, "seeds": 1, "grid": {"lr_g": [1e-3]},
        "base": {"width": 8, "batch_size": 8, "eval_samples": 50}}


@pytest.fixture
def no_wait(monkeypatch):
    """A refused connection is tried three times, with pauses: none here."""
    monkeypatch.setattr(sweep.time, "sleep", lambda s: None)


def test_sweep_with_a_password_in_its_storage_url_does_not_print_it(tmp_path, capfd, no_wait):
    """The issue's reproduction, with or without the PostgreSQL driver installed (no driver: ImportError; driver:
    connection refused), in one line with exit status 2; nothing written holds the password either."""
    config = tmp_path / "sweep.json"
    config.write_text(json.dumps(SPEC))
    with pytest.raises(SystemExit) as stop:
        main(["sweep", str(config), "--out", str(tmp_path / "out"), "--storage", URL])
    out, err = capfd.readouterr()
    assert stop.value.code == 2
    assert "S3cretPW" not in out + err
    assert "alice:***@127.0.0.1:1/db" in err and "cannot be used" in err and len(err.strip().splitlines()) == 1
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p != config]
    assert not [p for p in written if b"S3cretPW" in p.read_bytes()]


def test_a_server_that_refuses_is_one_line_with_the_password_masked(monkeypatch, no_wait):
    """The driver's own error may quote the URL or the password: masked too, and not chained (a traceback of
    the ValueError does not show the original)."""
    import optuna
    import sqlalchemy

    def refuse(url, **kw):
        raise sqlalchemy.exc.OperationalError("connect", {}, Exception(f"cannot connect to {url} (password S3cretPW)"))

    monkeypatch.setattr(optuna.storages, "RDBStorage", refuse)
    with pytest.raises(ValueError) as e:
        sweep._rdb(URL, 10.0)
    text = str(e.value)
    assert "S3cretPW" not in text and "\n" not in text
    assert "alice:***@127.0.0.1:1/db" in text and "OperationalError" in text
    assert e.value.__suppress_context__


def test_a_different_config_under_the_same_storage_is_refused_with_the_url_masked(tmp_path, monkeypatch):
    import optuna

    storage = optuna.storages.InMemoryStorage()  # stands in for the server behind URL
    monkeypatch.setattr(sweep, "storage_url", lambda out, given=None: URL)
    monkeypatch.setattr(sweep, "_rdb", lambda url, stale_after: storage)
    sweep.open_study(sweep.load_spec(SPEC), tmp_path / "a")
    changed = sweep.load_spec({**SPEC, "grid": {"lr_g": [2e-3]}})
    with pytest.raises(ValueError, match="different config") as e:
        sweep.open_study(changed, tmp_path / "b")
    assert "S3cretPW" not in str(e.value) and "alice:***@" in str(e.value)


@pytest.mark.parametrize("url,expected", [
    (URL, "postgresql://alice:***@127.0.0.1:1/db"),
    ("postgresql+psycopg://alice:p%40ss%2Fword@db.example:5432/sweeps",
     "postgresql+psycopg://alice:***@db.example:5432/sweeps"),  # the password URL-encoded
    ("postgresql://alice@db.example/sweeps?password=S3cretPW&sslmode=require",
     "postgresql://alice@db.example/sweeps?password=***&sslmode=require"),  # libpq's keyword in the query
    ("postgresql://alice@db.example/sweeps", "postgresql://alice@db.example/sweeps"),  # nothing to mask
    ("sqlite:////tmp/s/sweep.db", "sqlite:////tmp/s/sweep.db"),
    ("not a url://alice:S3cretPW@host", "not a url://alice:***@host"),  # unreadable by SQLAlchemy: masked all the same
])
def test_shown_masks_the_password(url, expected):
    assert sweep.shown(url) == expected


def test_scrubbed_masks_the_password_in_any_text():
    encoded = "postgresql://alice:p%40ss%2Fword@db.example/sweeps"
    text = sweep._scrubbed(f"error at {encoded}: password 'p@ss/word' refused (p%40ss%2Fword)", encoded)
    assert "p@ss/word" not in text and "p%40ss%2Fword" not in text
    assert text == "error at postgresql://alice:***@db.example/sweeps: password '***' refused (***)"
