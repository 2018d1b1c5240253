"""Hyperparameter sweeps: run a grid or random search (a :class:`~ganlib.harness.sweep_plan.Plan`) with Optuna.

    ganlib sweep sweeps/toy_lr_lambda.json                  # run (or resume) a sweep
    ganlib sweep sweeps/toy_lr_lambda.json --workers 2      # two processes take trials from one study
    python -m ganlib.harness.sweep sweeps/toy_random.json --max-trials 3

The sweep config (keys, search, seeds) is described in :mod:`ganlib.harness.sweep_plan`.  Everything below
uses Optuna's public API:

- the plan, every configuration x seed (a *trial*), is enqueued in an Optuna study in an RDB storage
  (default ``sqlite:///OUT/sweep.db`` in the sweep folder ``OUT``, default ``runs/sweeps/NAME``) with
  ``enqueue_trial(..., skip_if_exists=True)`` by the process that creates the study; the others wait for
  it, then enqueue what is still missing, so several can start at once (a trial that is enqueued twice
  all the same is pruned, never trained, when it comes out of the queue);
- each worker takes the enqueued trials with ``study.optimize``, trains into ``OUT/runs/cNNN-sS/`` and
  reports the final value of the metric; a diverged or failed trial is recorded with its reason and the
  sweep goes on; a worker stops when no planned trial is waiting or running;
- while a trial trains, Optuna's heartbeat (``RDBStorage(heartbeat_interval, grace_period)``) marks it
  alive; a trial whose worker died (``kill -9``, power loss) is failed after ``stale_after`` seconds
  without a heartbeat and retried (``RetryHeartbeatStaleTrialCallback``) from its last checkpoint;
- ``OUT/results.json`` and ``OUT/results.csv`` are rewritten after every trial; each trial's outcome is one line
  of ``OUT/sweep.log`` (time, worker, trial, score or reason), and is printed only where the caller asks for it
  (``log``; the notebooks pass ``None``: a summary table instead of a line per trial).

Resuming: run the same command again; finished and failed trials are never redone, interrupted (Ctrl-C)
ones continue from their checkpoints.  Changing the config of an existing sweep is refused.

Several machines: give each the same ``--storage``, e.g. ``postgresql://user@host/db`` (``pip install
ganlib[postgres]``; the password from libpq's ``PGPASSWORD`` or ``~/.pgpass``, not in the URL, where ``ps`` and
the shell's history would keep it), and run the same command on each (``--max-trials 0`` rewrites the results from the
storage); put ``--out`` on a shared filesystem too if a trial lost on one machine should resume from its
checkpoint on another.  A storage URL is only ever shown with its password masked (:func:`shown`).
sqlite is for one machine: its transactions here take the write lock when they
begin (``BEGIN IMMEDIATE``), since Python's sqlite driver would otherwise let two workers take the same
waiting trial (the crash ``UpdateFinishedTrialError: Trial#0 has already finished``).
"""

from __future__ import annotations

import json
import math
import os
import socket
import sys
import time
import warnings
from pathlib import Path

from .sweep_plan import (RESULTS, Plan, _fail, _label, best_config, load_results, load_spec,  # noqa: F401
                         results, summarise, summary_markdown, write_results)
from ..train import NonFiniteLossError, read_jsonl, train

LOG = "sweep.log"  # in the sweep folder: one line per trial outcome, from every worker
STALE_AFTER = 120.0  # seconds without a heartbeat after which a running trial's worker is taken for dead
MAX_RETRY = 3  # retries of a trial whose worker died, per run of the sweep


# ---------------------------------------------------------------------------------------------
# The study: storage, plan and trials (Optuna's public API)
# ---------------------------------------------------------------------------------------------


def default_out(name: str) -> Path:
    return Path("runs") / "sweeps" / name


def shown(url: str) -> str:
    """A storage URL as it may be printed or written: its password masked (also one given as ``?password=``).

    >>> shown("postgresql://alice:S3cretPW@db.example:5432/sweeps")
    'postgresql://alice:***@db.example:5432/sweeps'
    >>> shown("sqlite:////tmp/s/sweep.db")
    'sqlite:////tmp/s/sweep.db'
    """
    import re

    from sqlalchemy.engine import make_url

    try:
        text = make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - not a URL SQLAlchemy reads: mask whatever stands between "user:" and "@"
        text = re.sub(r"(//[^/:@]*:)[^@/]*@", r"\1***@", str(url))
    return re.sub(r"([?&]password=)[^&]*", r"\1***", text)


def _scrubbed(text: str, url: str | None) -> str:
    """``text`` (an error from the driver, say) with ``url``'s password masked wherever it appears."""
    if not url:
        return text
    from urllib.parse import quote, unquote

    from sqlalchemy.engine import make_url

    text = text.replace(url, shown(url))
    try:
        u = make_url(url)
        passwords = {u.password, u.query.get("password")}
    except Exception:  # noqa: BLE001
        passwords = set()
    for password in passwords - {None, ""}:
        for secret in sorted({str(password), quote(str(password), safe=""), unquote(str(password))}, key=len,
                             reverse=True):
            text = text.replace(secret, "***")
    return text


def storage_url(out, storage: str | None = None) -> str:
    """``storage``, or the sweep folder's sqlite file; ``postgresql://`` goes through psycopg
    (``ganlib[postgres]``) where psycopg2, SQLAlchemy's default driver for it, is not installed."""
    from importlib.util import find_spec

    url = storage or f"sqlite:///{(Path(out) / 'sweep.db').resolve()}"
    if url.startswith("postgresql://") and not find_spec("psycopg2") and find_spec("psycopg"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _rdb(url: str, stale_after: float):
    """An RDB storage with Optuna's heartbeat: a running trial silent for ``stale_after`` s is failed, then retried."""
    import optuna
    import sqlalchemy

    grace, sqlite = max(2, round(stale_after)), url.startswith("sqlite")
    for attempt in range(3):  # two processes creating a new storage's tables at once: the loser tries again
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    url, engine_kwargs={"connect_args": {"timeout": 120, "isolation_level": None}} if sqlite else {},
                    heartbeat_interval=max(1, grace // 4), grace_period=grace,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(MAX_RETRY))
            break
        except (sqlalchemy.exc.ArgumentError, ImportError) as e:
            raise ValueError(  # from None: the driver's own error, shown in a traceback, may hold the URL
                f"storage {shown(url)!r} cannot be used ({type(e).__name__}: {_scrubbed(str(e), url)}); accepted: "
                "sqlite:///PATH, postgresql://USER@HOST/DB (pip install ganlib[postgres]; the password from "
                "PGPASSWORD or ~/.pgpass), or another SQLAlchemy URL") from None
        except (sqlalchemy.exc.SQLAlchemyError, optuna.exceptions.StorageInternalError) as e:
            if attempt == 2:  # the server cannot be reached, or refuses: one line, password masked
                reason = _scrubbed(" ".join(str(e).split("(Background on this error")[0].split()), url)
                raise ValueError(f"storage {shown(url)!r} cannot be used ({type(e).__name__}: {reason}); check "
                                 "the host, port, database and user, and that the server accepts connections") from None
            time.sleep(1.0 + attempt)
    if sqlite:
        # Python's sqlite driver begins a transaction only at the first write, so two workers can both read the same
        # waiting trial and take it (Optuna guards that read with SELECT ... FOR UPDATE, which sqlite ignores).  Here
        # every transaction begins, and takes the write lock, at once: SQLAlchemy's pysqlite recipe (the driver's own
        # transaction handling off, isolation_level None above; BEGIN emitted in the "begin" event).
        # Optuna documents RDBStorage's attributes, `engine` among them, as not for users, and offers no documented
        # way to do this: its issue (optuna/optuna#4002, two workers taking one enqueued trial) was closed with a
        # note in the docs (optuna/optuna#4034: the FAQ advises against sqlite for parallel workers).  The documented
        # routes do not work: sqlite3's isolation_level "IMMEDIATE" (connect_args) begins only before a write, too
        # late; a listener on the Engine class keyed by an execution option given in engine_kwargs acts from the
        # engine's creation, and RDBStorage's constructor opens a second connection (its schema check) inside an
        # open transaction, so it waits on itself until the timeout (StorageInternalError).  Hence the hook on the
        # finished storage's engine (test_two_workers_never_take_the_same_trial fails without it).
        sqlalchemy.event.listen(storage.engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    return storage


def _comparable(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "description"}, sort_keys=True)


def open_study(plan: Plan, out, storage: str | None = None, stale_after: float = STALE_AFTER, wait_s: float = 60.0):
    """Create or load the sweep's study (refusing another config under the same name); enqueue what the plan lacks.

    The process that creates the study plans it; one that finds it being planned waits for that (up to ``wait_s``
    seconds), so that workers started at once do not all enqueue the plan."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)  # each trial's outcome is logged here, with its reason
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    url = storage_url(out, storage)
    kw = {"storage": _rdb(url, stale_after), "study_name": plan.name, "sampler": optuna.samplers.RandomSampler()}
    try:
        study, mine = optuna.create_study(direction="minimize", **kw), True
    except optuna.exceptions.DuplicatedStudyError:
        study, mine = optuna.load_study(**kw), False
    t0 = time.monotonic()
    while not mine and "planned" not in study.user_attrs and time.monotonic() - t0 < wait_s:
        time.sleep(0.5)
    stored, spec = study.user_attrs.get("spec"), _comparable(plan.spec)
    if stored is None:
        study.set_user_attr("spec", spec)
    elif stored != spec:
        old, new = json.loads(stored), json.loads(spec)
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ValueError(f"{shown(url)} already holds sweep {plan.name!r} with a different config (differs in: "
                         f"{', '.join(diff)}); use another --out, --storage or name, or delete {out} to start over")
    enqueue_plan(study, plan)
    if "planned" not in study.user_attrs:
        study.set_user_attr("planned", True)
    return study


def _holds(t) -> bool:
    """Does trial ``t`` hold its configuration x seed: waiting, running, or ended with a result?"""
    from optuna.trial import TrialState as S

    return t.state in (S.WAITING, S.RUNNING, S.COMPLETE) or (t.state == S.FAIL and t.user_attrs.get("status") in RESULTS)


def enqueue_plan(study, plan: Plan) -> int:
    """Enqueue each planned trial that no trial holds (an interrupted or lost one again); returns how many."""
    trials = study.get_trials(deepcopy=False)
    held = {t.user_attrs.get("key") for t in trials if _holds(t)}
    known = {t.user_attrs.get("key") for t in trials}
    n = 0
    for seed in plan.seeds:  # seed-major: a first pass over every configuration comes first
        for c, params in enumerate(plan.configs):
            key = plan.key(c, seed)
            if key not in held:
                study.enqueue_trial({**params, "config": c, "seed": seed}, skip_if_exists=key not in known,
                                    user_attrs={"key": key, "config": c, "seed": seed})
                n += 1
    return n


class TrialFailed(Exception):
    """A trial diverged or raised: Optuna records it as failed, with ganlib's status and reason."""


def _score(run, run_dir: Path, metric: str | None):
    """The final value of ``metric`` (from ``metrics.jsonl``; evaluated now if that row is missing)."""
    rows = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["iter"] == run.it]
    row = rows[-1] if rows else None
    if row is None or (metric and metric not in row):
        from .. import metrics as M

        names = [metric] if metric else M.default_metrics(run.data)
        row = {"iter": run.it, **M.evaluate(run.G, run.data, names, n=run.cfg.eval_samples, seed=run.cfg.seed,
                                            device=run.device)}
    metric = metric or next(k for k in row if k not in ("iter", "seconds"))
    curve = [{"iter": r["iter"], metric: r.get(metric)} for r in read_jsonl(run_dir / "metrics.jsonl")]
    return float(row[metric]), curve


def _objective(study, plan: Plan, out: Path, progress: bool, log, trained: list):
    """Optuna's objective: train the trial's configuration x seed (resuming its run folder) -> final metric."""
    import optuna

    def objective(trial):
        a = trial.user_attrs
        if "key" not in a:  # the queue ran dry between this worker's look and its take
            raise optuna.TrialPruned("no planned trial was waiting")
        first = next((t.number for t in study.get_trials(deepcopy=False) if t.number < trial.number
                      and t.user_attrs.get("key") == a["key"] and _holds(t)), None)
        if first is not None:  # enqueued twice by two workers planning at the same moment: the first one counts
            trial.set_user_attr("status", "duplicate")
            raise optuna.TrialPruned(f"trial {first} holds {a['key']}")
        key, c, seed = a["key"], a["config"], a["seed"]
        for name in plan.configs[c]:  # records the planned parameters (the enqueued values are used)
            _suggest(trial, name, plan.distributions[name])
        trial.suggest_int("config", 0, len(plan.configs) - 1)
        trial.suggest_int("seed", plan.seeds[0], plan.seeds[-1])
        trial.set_user_attr("status", "running")  # still "running" once failed: the worker died
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        trained.append(key)
        cfg = plan.config(c, seed)
        cfg.quiet = not progress
        run_dir, label, t0 = out / "runs" / key, f"{key} {_label(plan.configs[c])}", time.perf_counter()
        try:
            run = train(cfg, run_dir, resume=True)
            score, curve = _score(run, run_dir, plan.spec["metric"])
            if not math.isfinite(score):
                raise NonFiniteLossError(f"final {plan.spec['metric']} is {score}")
        except KeyboardInterrupt:
            trial.set_user_attr("status", "interrupted")
            trial.set_user_attr("reason", "interrupted (Ctrl-C); it continues from its checkpoint on the next run")
            log(f"{label}: interrupted; it continues from its last checkpoint on the next run")
            raise
        except Exception as e:  # noqa: BLE001 - a failed trial is a result; the sweep goes on
            status = "diverged" if isinstance(e, NonFiniteLossError) else "failed"
            trial.set_user_attr("status", status)
            trial.set_user_attr("reason", f"{type(e).__name__}: {e}")
            log(f"{label}: {status}: {type(e).__name__}: {e}")
            raise TrialFailed(status) from e
        trial.set_user_attr("seconds", round(run.seconds, 3))
        trial.set_user_attr("curve", curve)
        trial.set_user_attr("status", "finished")
        log(f"{label}: {plan.spec['metric']} {score:.4g} ({time.perf_counter() - t0:.1f} s)")
        return score

    return objective


def _suggest(trial, name, dist):
    import optuna.distributions as od

    if isinstance(dist, od.CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, od.IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, log=dist.log)


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------


def _logger(out, log):
    """``log`` for a worker: each line appended to ``OUT/sweep.log`` (with the time and the worker), then passed on
    to ``log`` (``None``: the file only)."""
    path, worker = Path(out) / LOG, f"{socket.gethostname()}:{os.getpid()}"

    def write(msg: str) -> None:
        with open(path, "a") as f:  # one short write per line: workers appending at once do not mix their lines
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} [{worker}] {msg}\n")
        if log:
            log(msg)

    return write


def work(plan: Plan, out, storage=None, max_trials=None, progress=False, stale_after=STALE_AFTER, log=print) -> int:
    """One worker: take planned trials with ``study.optimize`` until none is waiting or running elsewhere
    (or it trained ``max_trials``); returns how many it trained.  Each trial's outcome is a line of
    ``OUT/sweep.log``, and is passed to ``log`` too (``None``: not shown)."""
    import optuna
    from optuna.trial import TrialState as S

    study = open_study(plan, out, storage, stale_after)
    log = _logger(out, log)
    trained = []
    objective = _objective(study, plan, Path(out), progress, log, trained)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            while max_trials is None or len(trained) < max_trials:
                optuna.storages.fail_stale_trials(study)  # a dead worker's trial: failed, and its retry enqueued
                todo = study.get_trials(deepcopy=False, states=(S.WAITING, S.RUNNING))
                if any(t.state == S.WAITING for t in todo):
                    study.optimize(objective, n_trials=1, catch=(TrialFailed,))
                    write_results(plan, study, out)
                elif any("worker" in t.user_attrs for t in todo):  # training elsewhere: finishes, or goes stale
                    time.sleep(min(2.0, max(1, round(stale_after) // 4)))
                else:
                    break
    finally:  # also after Ctrl-C: the interrupted trial is recorded as such
        write_results(plan, study, out)
    return len(trained)


def _worker_process(spec: dict, out: str, storage: str | None, max_trials, threads: int, stale_after: float,
                    echo: bool = True):
    """A worker process of :func:`run_sweep`: its lines go to ``OUT/sweep.log``, and to its stdout with ``echo``
    (the caller asked for a log: its process's stdout, which a notebook's kernel would copy into the notebook)."""
    import torch

    torch.set_num_threads(threads)
    prefix = f"[worker {os.getpid()}] "
    try:
        work(load_spec(spec), out, storage, max_trials, False, stale_after,
             log=(lambda m: print(prefix + m, flush=True)) if echo else None)
    except KeyboardInterrupt:
        pass


def run_sweep(spec, out=None, workers: int = 1, storage: str | None = None, max_trials: int | None = None,
              progress: bool = False, stale_after: float = STALE_AFTER, log=print, threads: int | None = None) -> dict:
    """Run (or resume) a sweep; returns :func:`summarise` of its results.

    ``spec`` is a path to a sweep JSON file, a dict, or a :class:`Plan`; ``out`` the sweep folder (default
    ``runs/sweeps/NAME``); ``storage`` an Optuna RDB URL (default ``sqlite:///OUT/sweep.db``);
    ``max_trials`` the most trials each worker trains in this call (``0``: only rewrite the results);
    ``stale_after`` seconds without a heartbeat before a running trial is retried; ``threads`` torch CPU
    threads per worker (default: this process's setting with one worker, else ``cores // workers``);
    ``log``: where each trial's line goes besides ``OUT/sweep.log`` (``None``: nowhere; with several
    workers, any ``log`` means their stdout).
    """
    plan = spec if isinstance(spec, Plan) else load_spec(spec)
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        _fail(f"workers must be an integer >= 1; got {workers!r}")
    out = Path(out) if out is not None else default_out(plan.name)
    study = open_study(plan, out, storage, stale_after)  # plans before any worker starts
    if workers == 1:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads or before)
        try:
            work(plan, out, storage, max_trials, progress, stale_after, log)
        finally:
            torch.set_num_threads(before)
    else:
        import multiprocessing as mp

        threads = threads or max(1, (os.cpu_count() or 1) // workers)
        args = (plan.spec, str(out), storage, max_trials, threads, stale_after, log is not None)
        procs = [mp.get_context("spawn").Process(target=_worker_process, args=args) for _ in range(workers)]
        for p in procs:
            p.start()
        try:
            for p in procs:
                p.join()
        except KeyboardInterrupt:
            for p in procs:
                p.join()
            raise
        dead = [f"worker {p.pid} ended with exit code {p.exitcode}" for p in procs if p.exitcode]
        summary = summarise(write_results(plan, study, out))
        pending = sum(c["pending"] for c in summary["configs"])
        if dead and pending and max_trials is None:
            raise RuntimeError(f"{'; '.join(dead)}, and {pending} planned trials are not done: run the sweep again "
                               "to resume them (a killed worker's trial continues from its checkpoint)")
        return summary
    return summarise(write_results(plan, study, out))


# ---------------------------------------------------------------------------------------------
# Command line (wired into ``ganlib sweep`` by ganlib.cli; also ``python -m ganlib.harness.sweep``)
# ---------------------------------------------------------------------------------------------


def cli_sweep(config, out=None, workers=1, storage=None, max_trials=None, progress=False,
              stale_after=STALE_AFTER, threads=None) -> int:
    """``ganlib sweep CONFIG``: run or resume, print the summary table and write ``summary.md``; exit status."""
    plan = load_spec(config)
    out = Path(out) if out else default_out(plan.name)
    try:
        summary = run_sweep(plan, out, workers, storage, max_trials, progress, stale_after, threads=threads)
    except KeyboardInterrupt:
        print(f"interrupted: finished trials are kept in {out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    text = summary_markdown(summary)
    (out / "summary.md").write_text(f"## Sweep {plan.name}: {plan.spec['dataset']}, {plan.spec['iters']} "
                                    f"generator iterations, {plan.spec['seeds']} seeds\n\n{text}")
    print(text)
    pending = sum(c["pending"] for c in summary["configs"])
    print(f"results: {out / 'results.csv'}; log: {out / LOG}" + (f"; {pending} trials not done yet (run again to "
                                                                  "resume)" if pending else ""))
    return 0


def add_arguments(p) -> None:
    """The options of ``ganlib sweep`` on an argparse parser."""
    p.add_argument("config", help="sweep config JSON file (see sweeps/ and `python -m pydoc ganlib.harness.sweep`)")
    p.add_argument("--out", default=None, help="sweep folder (default: runs/sweeps/NAME)")
    p.add_argument("--workers", type=int, default=1, help="processes pulling trials in parallel (default: 1)")
    p.add_argument("--storage", default=None,
                   help="Optuna RDB URL shared by several machines, e.g. postgresql://user@host/db "
                        "(pip install ganlib[postgres]; the password from ~/.pgpass or PGPASSWORD, not in the URL; "
                        "default: sqlite:///OUT/sweep.db)")
    p.add_argument("--max-trials", type=int, default=None,
                   help="run at most this many trials per worker, then stop (resume later); 0: only rewrite results")
    p.add_argument("--stale-after", type=float, default=STALE_AFTER,
                   help="retry a running trial whose worker sent no heartbeat for this many seconds "
                        f"(Optuna's heartbeat; default: {STALE_AFTER:g})")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads per worker (default: cores / workers); 1 is fastest for toy models")
    p.add_argument("--progress", action="store_true", help="show progress bars")


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m ganlib.harness.sweep", description=__doc__.split("\n")[0])
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return cli_sweep(args.config, args.out, args.workers, args.storage, args.max_trials, args.progress,
                         args.stale_after, args.threads)
    except ValueError as e:
        p.exit(2, f"ganlib sweep: error: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
