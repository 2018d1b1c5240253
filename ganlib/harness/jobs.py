"""One way to run a set of training jobs: skip the finished, resume the interrupted, retry a dead worker's job.

A :class:`Job` is one training run: its :class:`~ganlib.config.Config` fields, its run folder (checkpoints and
logs) and, for a study, the results-store folder it is exported to when it ends.  :func:`run_jobs` trains the
jobs that are not done, each in a worker that holds it while it trains (:func:`claim`, an exclusive ``flock``
beside the run folder):

- **skip the finished**: a job is done when its store folder (or, without a store, its run folder) holds a
  finished run, or a failed one with its reason (a diverged run is a result); checked again just before a
  worker takes it, so a job another process finished meanwhile is never trained twice;
- **resume the interrupted**: every job trains with ``resume=True`` from the last checkpoint of its run folder;
- **retry a dead worker's job**: a worker's hold dies with its process (``kill -9``, power loss), so the job
  is free for the next worker, which resumes it;
- **one thread budget per worker**: ``workers`` processes from :func:`ganlib.threads.worker_pool` (each
  ``cores // workers`` threads, fixed for the run).

Several processes, on this machine or on several sharing the run and store folders (a shared filesystem whose
locks reach every machine: NFSv4, CephFS), can work on one set of jobs with the same command each: every
worker takes the next job that is neither done nor held.  ``ganlib compare`` and the studies
(``scripts/run_study.py``) run on it; sweeps keep their queue in an Optuna storage (:mod:`ganlib.harness.sweep`),
which is what lets a search be shared by machines with no common filesystem.
"""

from __future__ import annotations

import fcntl
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..train import train

STATES = ("finished", "failed", "not started")


@dataclass(frozen=True)
class Job:
    """One training run: ``config`` (Config fields), ``work`` (its run folder), ``store`` (where it is exported
    when it ends, or None) and ``name`` (how the logs call it)."""

    name: str
    config: dict
    work: str
    store: str | None = None


@dataclass(frozen=True)
class Outcome:
    """How a job ended in this worker: ``finished``, ``failed`` (trained, then diverged or crashed: a result,
    kept with its reason) or ``not started`` (refused before its first iteration); ``stored``: exported."""

    name: str
    state: str
    seconds: float
    reason: str | None = None
    stored: bool = False  # exported into the results store

    def text(self) -> str:
        stored = "; stored" if self.stored else ""
        if self.state == "finished":
            return f"{self.name}: finished in {self.seconds:.0f} s{stored}"
        return f"{self.name}: {'failed before training' if self.state == 'not started' else 'failed'} ({self.reason}){stored}"


def run_status(path) -> dict:
    """The ``run.json`` of a run folder (``{}`` when there is none)."""
    info = Path(path) / "run.json"
    return json.loads(info.read_text()) if info.exists() else {}


def is_finished(path, iters: int) -> bool:
    r = run_status(path)
    return r.get("status") == "finished" and r.get("iter", 0) >= iters


def is_done(job: Job) -> bool:
    """Finished, or failed with its reason, where the job's result is kept (the store, else the run folder)."""
    where = job.store or job.work
    return is_finished(where, job.config["iters"]) or run_status(where).get("status") == "failed"


@contextmanager
def claim(work):
    """Hold the run folder ``work`` for this process (an exclusive ``flock`` on ``work.lock``), or yield False.
    The hold dies with the process, so a killed worker's job is free again."""
    lock = Path(f"{work}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def train_job(job: Job, export=None) -> Outcome:
    """Train (or resume) one job; with a store, ``export(work, store)`` copies the ended run there."""
    t0 = time.perf_counter()
    try:
        train(Config.from_dict(job.config), job.work, resume=True)
        state, reason = "finished", None
    except Exception as e:  # a diverged run is a result: kept with its reason
        reason = f"{type(e).__name__}: {e}"
        if not (Path(job.work) / "run.json").exists():
            return Outcome(job.name, "not started", time.perf_counter() - t0, reason)
        state = "failed"
    stored = bool(job.store and export is not None)
    if stored:
        export(job.work, job.store)
    return Outcome(job.name, state, time.perf_counter() - t0, reason, stored)


def work(jobs: list[Job], export=None, log=print) -> list[Outcome]:
    """One worker: take the next job that is neither done nor held by another worker, train it, repeat."""
    outcomes, passed = [], set()
    while True:
        job = next((j for j in jobs if j.name not in passed and not is_done(j)), None)
        if job is None:
            return outcomes
        with claim(job.work) as mine:
            if not mine:
                passed.add(job.name)  # another worker trains it
                log(f"{job.name}: held by another worker; next")
                continue
            if is_done(job):  # finished by another worker between the look and the claim
                continue
            outcome = train_job(job, export)
        outcomes.append(outcome)
        log(outcome.text())
        if outcome.state == "not started":
            passed.add(job.name)


def _worker(args) -> list[Outcome]:
    jobs, export = args
    return work(jobs, export, log=lambda *a: None)


def run_jobs(jobs: list[Job], workers: int = 1, export=None, log=print) -> list[Outcome]:
    """Train every job that is not done, ``workers`` processes at a time (each its share of the cores);
    returns the outcomes of the jobs trained here.  ``export``: a picklable ``export(work, store)``."""
    from ..threads import worker_pool

    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1; got {workers!r}")
    todo = [j for j in jobs if not is_done(j)]
    if workers == 1 or len(todo) <= 1:
        return work(jobs, export, log)
    with worker_pool(min(workers, len(todo))) as pool:
        outcomes = [o for batch in pool.map(_worker, [(jobs, export)] * min(workers, len(todo))) for o in batch]
    for o in outcomes:
        log(o.text())
    return outcomes
