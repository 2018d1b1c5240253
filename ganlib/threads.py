"""A fixed thread count per training run, and a fair share of the cores when ganlib processes share a machine.

Several OpenMP and BLAS pools live in one process (torch's, POT's and scikit-learn's libgomp, numpy's
and scipy's OpenBLAS).  When two processes each run all of them on every core, their idle threads
spin while waiting and the processes slow each other 10-50x.  So a training run takes a budget:

- when it starts, it *joins* (:func:`ganlib.train.train` calls :func:`join` and :func:`leave`): its
  process holds a locked file in a folder shared by the machine's ganlib processes (:func:`registry`),
  so every process can count those training (:func:`sharing`; a crashed one is never counted, its lock
  dies with it);
- it takes ``cores // n`` threads in every pool for the ``n`` processes training then (:func:`budget`),
  never more than it had (``OMP_NUM_THREADS``, or what its caller set), and keeps them until it ends.
  A lone run keeps every thread it had; a run started beside others takes its share.

Deterministic: a floating-point sum split over 1 or 2 threads differs in its last bits, so the count
is decided once, when the run starts, and never follows the load (nor other programs' use of the
cores).  The same command started under the same conditions (as many ganlib runs training) gives the
same bits, and a resumed run takes the count it started with (``threads`` in its ``run.json``).

The price: a run started alone keeps every core when others start beside it.  With OpenMP's default
wait policy its idle threads then spin and it slows many-fold (``benchmarks/concurrency.py``); idle
threads that sleep (``OMP_WAIT_POLICY=PASSIVE``, read as the OpenMP runtime loads, so set before torch
is imported) share the cores fairly.

Worker pools (:func:`worker_pool`) give each worker ``cores // workers`` threads from the start and a
passive wait policy.  ``GANLIB_THREAD_BUDGET=off`` leaves every run the threads its caller set and
counts nothing; ``GANLIB_THREADS_DIR`` moves the shared folder.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def cores() -> int:
    """Cores this process may use (its CPU affinity where the OS tells it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def budget(workers: int = 1) -> int:
    """Threads for each of ``workers`` processes sharing this machine's cores."""
    if not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1; got {workers!r}")
    return max(1, cores() // workers)


def limit(threads: int):
    """Give every pool of this process ``threads`` threads: torch's (its MKL is hidden from threadpoolctl),
    every OpenMP and BLAS library loaded (``threadpoolctl.threadpool_limits``), and those loaded later
    (the environment).  Returns threadpoolctl's limiter: ``restore_original_limits()`` undoes its part.
    """
    import torch
    from threadpoolctl import threadpool_limits

    os.environ.update({v: str(threads) for v in POOL_VARIABLES})
    torch.set_num_threads(threads)
    return threadpool_limits(limits=threads)


def worker_env(threads: int) -> dict:
    """Environment for a worker process: its budget in every pool, and idle threads that sleep."""
    return {"OMP_WAIT_POLICY": "PASSIVE", **{v: str(threads) for v in POOL_VARIABLES}}


@contextmanager
def worker_pool(workers: int):
    """A ``multiprocessing`` pool of ``workers`` spawned processes, each within its share of the cores.

    Each task gets a fresh process (``maxtasksperchild=1``), so memory is returned between runs.
    """
    import multiprocessing

    threads = budget(workers)
    saved = {k: os.environ.get(k) for k in worker_env(threads)}
    os.environ.update(worker_env(threads))  # read by the children's OpenMP runtimes as they load
    pool = multiprocessing.get_context("spawn").Pool(workers, initializer=limit, initargs=(threads,),
                                                     maxtasksperchild=1)
    try:
        yield pool
    finally:
        pool.close()
        pool.join()
        _restore_env(saved)


def _restore_env(saved: dict) -> None:
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


# ---------------------------------------------------------------------------------------------
# The shared budget: training processes count each other through locked files.
# ---------------------------------------------------------------------------------------------

try:
    import fcntl
except ImportError:  # not on a POSIX system: every process counts only itself
    fcntl = None


def enabled() -> bool:
    return os.environ.get("GANLIB_THREAD_BUDGET", "on").lower() not in ("off", "0", "no", "false")


def registry() -> Path:
    """The folder in which training ganlib processes hold one locked file each (``$GANLIB_THREADS_DIR``)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(os.environ.get("GANLIB_THREADS_DIR") or Path(tempfile.gettempdir()) / f"ganlib-threads-{uid}")


_process = {"depth": 0, "file": None, "path": None}
_process_lock = threading.Lock()
_thread = threading.local()  # per training thread: torch's thread setting is per OS thread


def _register() -> None:
    """Create ``<registry>/<pid>``, locked for as long as this process trains (or lives)."""
    folder = registry()
    folder.mkdir(parents=True, exist_ok=True)
    path, tmp = folder / str(os.getpid()), folder / f".{os.getpid()}.tmp"
    f = open(tmp, "w")
    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    f.write(f"{os.getpid()}\n")
    f.flush()
    os.replace(tmp, path)  # locked before it is visible: a counter never takes it for a dead one
    _process.update(file=f, path=path)


def _unregister() -> None:
    f, path = _process["file"], _process["path"]
    if f is None:
        return
    try:
        if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
            path.unlink()
    except OSError:
        pass
    f.close()
    _process.update(file=None, path=None)


atexit.register(_unregister)


def sharing() -> int:
    """Ganlib processes training on this machine now (at least 1: this one); a dead one's file is removed."""
    if fcntl is None or not registry().is_dir():
        return 1
    n = 0
    for path in registry().iterdir():
        if not path.name.isdigit():
            continue
        if path == _process["path"]:
            n += 1
            continue
        try:
            with open(path) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # locked: its process is alive and training
                    n += 1
                    continue
                if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
                    path.unlink()  # left by a process that died
        except OSError:  # removed meanwhile
            continue
    return max(n, 1)


def join(threads: int | None = None) -> int:
    """The calling thread starts a run: count this process, and fix the threads of every pool for the run.

    ``threads``: the count a resumed run started with; by default the share ``budget(sharing())``, at
    most the threads torch has now.  Returns the run's count; :func:`leave` gives the threads back.
    """
    import torch

    if not enabled():
        return torch.get_num_threads()
    state = getattr(_thread, "state", None)
    if state is not None:  # nested: the outer join holds the count
        state["depth"] += 1
        return state["threads"]
    with _process_lock:
        if _process["depth"] == 0 and fcntl is not None:
            _register()
        _process["depth"] += 1
    cap = torch.get_num_threads()
    threads = threads or min(cap, budget(sharing()))
    env = {k: os.environ.get(k) for k in POOL_VARIABLES}
    _thread.state = {"depth": 1, "cap": cap, "threads": threads, "env": env, "limiter": limit(threads)}
    return threads


def leave() -> None:
    """The calling thread's run ends: its threads are given back, and the process stops counting."""
    state = getattr(_thread, "state", None)
    if state is None:
        return
    state["depth"] -= 1
    if state["depth"] > 0:
        return
    import torch

    del _thread.state
    state["limiter"].restore_original_limits()
    torch.set_num_threads(state["cap"])
    _restore_env(state["env"])
    with _process_lock:
        _process["depth"] -= 1
        if _process["depth"] == 0:
            _unregister()
