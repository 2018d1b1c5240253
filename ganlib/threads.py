"""One thread budget per process, so that ganlib processes share a machine fairly.

Several OpenMP and BLAS pools live in one process (torch's, POT's and scikit-learn's libgomp, numpy's
and scipy's OpenBLAS).  When two processes each run all of them on every core, their idle threads
spin while waiting and the processes slow each other 10-50x.  The cure is a budget: worker processes
get ``cores // workers`` threads in every pool and a passive wait policy (idle threads sleep).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

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


def limit(threads: int) -> None:
    """Give every pool of this process (torch and, through threadpoolctl, OpenMP/BLAS) ``threads`` threads."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    threadpool_limits(threads)


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
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
