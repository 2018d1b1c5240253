"""One sweep, two worker processes, a real PostgreSQL server (``.ci/run`` starts a throwaway one and sets
``GANLIB_TEST_POSTGRES``): every planned trial is trained and finished exactly once.

Elsewhere: ``GANLIB_TEST_POSTGRES=postgresql://USER@/DB?host=SOCKET_DIR pytest tests/test_sweep_postgres.py``
(driver: ``pip install ganlib[postgres]``); without it the test is skipped with the reason."""

import os
import uuid
from importlib.util import find_spec

import pytest

from ganlib.harness import sweep

from test_sweep_workers import complete_per_key, finish, spec, start, trained

URL = os.environ.get("GANLIB_TEST_POSTGRES")


@pytest.mark.parametrize("trials, fake", [(8, False), (40, True)], ids=["trained", "instant"])
def test_two_workers_on_postgresql_finish_every_trial_exactly_once(tmp_path, trials, fake):
    if not URL:
        pytest.skip("no PostgreSQL server: set GANLIB_TEST_POSTGRES=postgresql://... (.ci/run starts one)")
    if not (find_spec("psycopg") or find_spec("psycopg2")):
        pytest.skip("no PostgreSQL driver: pip install ganlib[postgres]")
    s = spec(f"pg_{uuid.uuid4().hex[:10]}", {"lr_g": [round(1e-4 * (i + 1), 6) for i in range(trials // 2)]},
             iters=4)
    plan = sweep.load_spec(s)
    out, log = tmp_path / "s", tmp_path / "trained.jsonl"
    # both workers plan the sweep and take trials from the same moment, as two machines would
    procs = start(2, {"spec": s, "out": str(out), "storage": URL, "log": str(log), "fake": fake}, tmp_path)
    codes, errors = finish(procs, tmp_path)
    assert codes == [0, 0], errors
    planned = sorted(plan.key(c, seed) for c in range(len(plan.configs)) for seed in plan.seeds)
    starts = trained(log)
    assert sorted(r["key"] for r in starts) == planned  # each planned trial trained exactly once
    done, study = complete_per_key(plan, out, URL)
    assert done == {k: 1 for k in planned}  # and finished exactly once
    assert sweep.storage_url(out, URL).startswith("postgresql")
    assert all(r["status"] == "finished" for r in sweep.load_results(out)["rows"])
    per_worker = {p.pid: sum(r["pid"] == p.pid for r in starts) for p in procs}
    extra = len(study.get_trials()) - len(planned)
    print(f"\nPostgreSQL {study_server(URL)}: {len(planned)} planned trials ({'instant' if fake else 'trained'}), "
          f"2 workers started at once: trained per worker {sorted(per_worker.values())}, each trial trained once "
          f"and COMPLETE once; {extra} extra Optuna trial(s) (enqueued twice while both planned, or taken from an "
          "empty queue: pruned, never trained)")


def study_server(url: str) -> str:
    import sqlalchemy

    engine = sqlalchemy.create_engine(sweep.storage_url(".", url))
    with engine.connect() as c:
        version = c.exec_driver_sql("SHOW server_version").scalar()
    engine.dispose()
    return f"server {version}"
