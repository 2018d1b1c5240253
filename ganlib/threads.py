"""One thread budget per process, so that ganlib processes share a machine fairly.

Several OpenMP and BLAS pools live in one process (torch's, POT's and scikit-learn's libgomp, numpy's
and scipy's OpenBLAS).  When two processes each run all of them on every core, their idle threads
spin while waiting and the processes slow each other 10-50x.  The cure is a budget that knows how many
ganlib processes share the cores:

- a process *joins* while it trains (:func:`ganlib.train.train` calls :func:`join` and :func:`leave`):
  it holds a locked file in a folder shared by the machine's ganlib processes (:func:`registry`), so
  every process can count the others (:func:`sharing`), and a crashed one is never counted (its lock
  dies with it);
- every generator iteration calls :func:`rebalance` (a clock check; the folder is read at most once a
  second): the process gets ``free // n`` threads in every pool for ``n`` training processes, where
  ``free`` is the cores that other programs left idle over the last second (the kernel's counters,
  Linux), never more than it had when it joined (``OMP_NUM_THREADS``, or what its caller set), and its
  own again when it leaves.  A lone run on an idle machine keeps every thread it had: no slow-down;
- with one thread per pool a process has no idle threads that could spin, whatever the wait policy.
  So a lone run keeps the default (spinning) wait policy, which is the fastest alone: a passive one
  must be set before the OpenMP runtime loads, and idle threads that sleep at once slow a lone run of
  small models (the issue's measurement: ``GOMP_SPINCOUNT=1000``, 20% slower alone).

Reproducibility: a floating-point sum split over 1 or 2 threads differs in its last bits, so a run whose
thread count changed with the load (another program started) is not bit-identical to one that kept it;
resume stays exact only where the threads do.  Set ``GANLIB_THREAD_BUDGET=off`` (and ``OMP_NUM_THREADS``)
when bit-exact reruns matter more than sharing the machine; the tests of exactness do.

Worker pools (:func:`worker_pool`) also give each worker ``cores // workers`` threads from the start
and a passive wait policy.  ``GANLIB_THREAD_BUDGET=off`` turns the budget off (``benchmarks/
concurrency.py`` measures both); ``GANLIB_THREADS_DIR`` moves the shared folder.
"""

from __future__ import annotations

import atexit
import os
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

POOL_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
CHECK_EVERY = 1.0  # seconds between two looks at the shared folder


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
    """Give every pool of this process (torch and, through threadpoolctl, OpenMP/BLAS) ``threads`` threads.

    Pools loaded later read the same number from the environment.  Returns threadpoolctl's handle,
    whose ``restore_original_limits()`` undoes the change for the pools it found.
    """
    import torch
    from threadpoolctl import threadpool_limits

    os.environ.update({v: str(threads) for v in POOL_VARIABLES})
    torch.set_num_threads(threads)
    return threadpool_limits(threads)


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


def training_pids() -> list[int]:
    """Process ids of the ganlib processes training on this machine now (this one included if it trains)."""
    if fcntl is None or not registry().is_dir():
        return [os.getpid()] if _process["path"] else []
    pids = []
    for path in registry().iterdir():
        if not path.name.isdigit():
            continue
        if path == _process["path"]:
            pids.append(int(path.name))
            continue
        try:
            with open(path) as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # locked: its process is alive and training
                    pids.append(int(path.name))
                    continue
                if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
                    path.unlink()  # left by a process that died
        except OSError:  # removed meanwhile
            continue
    return pids


def sharing() -> int:
    """Ganlib processes training on this machine now (at least 1: this one)."""
    return max(len(training_pids()), 1)


# Cores kept busy by other programs (not training ganlib processes) over the last interval, from the
# kernel's counters: busy time of the machine minus that of the ganlib processes.  Threads beyond the
# free cores only wait for each other (each parallel region waits for its slowest thread).
_ticks: dict = {}


def _machine_busy_ticks() -> int | None:
    try:
        t = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None  # not Linux
    return sum(t) - t[3] - t[4]  # all but idle and iowait


def _process_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[11]) + int(fields[12])  # utime + stime


def other_load(pids) -> float:
    """Cores used by programs other than ``pids`` since the last call (0 at the first, or where unknown)."""
    now, busy = time.monotonic(), _machine_busy_ticks()
    ours = {pid: _process_ticks(pid) for pid in pids}
    last = dict(_ticks)
    _ticks.update(t=now, busy=busy, ours=ours)
    if busy is None or not last or last["busy"] is None or now <= last["t"]:
        return 0.0
    ganlib = sum(t - last["ours"][pid] for pid, t in ours.items()
                 if t is not None and last["ours"].get(pid) is not None)
    hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return max(0.0, (busy - last["busy"] - ganlib) / hz / (now - last["t"]))


def share(cap: int) -> int:
    """This process's threads: its share of the cores that other programs leave free, among the training
    ganlib processes; at most ``cap``, at least 1."""
    pids = training_pids()
    free = cores() - round(other_load(pids))
    return max(1, min(cap, free // max(len(pids), 1)))


def join() -> None:
    """The calling thread starts training: count this process, and take its share from now on.

    The threads torch has in this thread now are the cap; :func:`leave` gives them back.
    """
    if not enabled():
        return
    import torch

    state = getattr(_thread, "state", None)
    if state is not None:  # nested: the outer join holds the budget
        state["depth"] += 1
        return
    with _process_lock:
        if _process["depth"] == 0 and fcntl is not None:
            _register()
        _process["depth"] += 1
    cap = torch.get_num_threads()
    _ticks.clear()  # the load of other programs is measured from now on
    saved_env = {k: os.environ.get(k) for k in POOL_VARIABLES}
    threads = share(cap)
    handle = limit(threads)  # every pool, once: even at the cap, the other pools may have had more
    _thread.state = {"depth": 1, "cap": cap, "threads": threads, "next": time.monotonic() + CHECK_EVERY,
                     "handle": handle, "env": saved_env}


def rebalance() -> int | None:
    """Called every generator iteration: at most once a second, follow the number of training processes.

    Returns the calling thread's threads, or ``None`` where it has not joined.
    """
    state = getattr(_thread, "state", None)
    if state is None:
        return None
    now = time.monotonic()
    if now >= state["next"]:
        state["next"] = now + CHECK_EVERY
        threads = share(state["cap"])
        if threads != state["threads"]:
            limit(threads)
            state["threads"] = threads
    return state["threads"]


def leave() -> None:
    """The calling thread stops training: its threads are given back, and the process stops counting."""
    state = getattr(_thread, "state", None)
    if state is None:
        return
    state["depth"] -= 1
    if state["depth"] > 0:
        return
    import torch

    del _thread.state
    state["handle"].restore_original_limits()
    torch.set_num_threads(state["cap"])
    _restore_env(state["env"])
    with _process_lock:
        _process["depth"] -= 1
        if _process["depth"] == 0:
            _unregister()
