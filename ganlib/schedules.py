"""The rule of METHOD.md section 2 run over a whole distance trace, for figures, teaching and the explorer.

Pure computation (numbers in, arrays out): :func:`schedule_traces` feeds a trace ``w_t`` through the *same*
:class:`ganlib.methods.ICVPSchedule` the trainer uses; :func:`agp_trace` does the same for agp's controller;
:func:`load_trace` reads the distance trace shipped in ``ganlib/traces/``.  ``ganlib.notebook.widgets`` (the explorer of
notebook 07) and ``ganlib.notebook.exercises`` both build on this module, and neither on the other.

>>> tr = schedule_traces([4.0, 2.0, 1.0], warmup=0, beta=0.5, lambda_max=10.0)
>>> tr["lambda_t"].tolist()
[10.0, 7.5, 5.0]
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np

from .methods import ICVPSchedule, make_lambda_schedule

TRACE_FILE = "w_t_8gaussians_icvp.json"  # in ganlib/traces/


def schedule_traces(ws, kind="distance", lambda_max=0.1, lambda_min=0.0, gamma=1.0, beta=0.9, warmup=100,
                    interpolation="deterministic", total=None, reference="max", ref_decay=0.999) -> dict:
    """Run the rule of METHOD.md section 2 (steps 2-5) over the distance trace ``ws``.

    ``reference`` is step 3's reading (``max``, ``warmup-mean``, ``decaying-max`` with ``ref_decay``).
    ``kind`` is the lambda schedule (one of :data:`ganlib.methods.LAMBDA_SCHEDULES`); ``total`` is
    the length over which the time-based ones decay (default: the length of ``ws``).  Returns numpy
    arrays, one value per critic step: ``t, w_t, d_t, d_ref`` (NaN during warm-up), ``r_t, eps_t,
    lambda_t``; ``eps_lo, eps_hi``, the range the interpolation coefficient is drawn from (one point
    for ``deterministic``, ``[1 - r_t, 1]`` for ``band``, ``[0, 1]`` for ``uniform``);
    ``lambda_wgan_gp``, WGAN-GP's constant lambda (``lambda_max``) for comparison; ``in_warmup``;
    ``lambda_agp`` and ``grad_norm_agp``, agp's controller on the same trace (:func:`agp_trace`).
    """
    ws = np.asarray(ws, dtype=float)
    if ws.ndim != 1 or len(ws) == 0:
        raise ValueError(f"the distance trace must be a non-empty 1-D sequence; got shape {ws.shape}")
    if lambda_min > lambda_max:
        raise ValueError(f"lambda_min ({lambda_min}) must not exceed lambda_max ({lambda_max})")
    lam = make_lambda_schedule(kind, lambda_max, lambda_min, gamma, total=len(ws) if total is None else total)
    steps = ICVPSchedule(interpolation, lam, beta=beta, warmup=warmup, reference=reference, ref_decay=ref_decay).run(ws)
    out = {k: np.array([getattr(s, k) for s in steps], dtype=float)
           for k in ("t", "w_t", "d_t", "d_ref", "r_t", "eps_t", "lambda_t")}
    r = out["r_t"]
    if interpolation == "band":
        out["eps_lo"], out["eps_hi"] = 1.0 - r, np.ones_like(r)
    elif interpolation == "deterministic":
        out["eps_lo"], out["eps_hi"] = out["eps_t"].copy(), out["eps_t"].copy()
    else:
        out["eps_lo"], out["eps_hi"] = np.zeros_like(r), np.ones_like(r)
    out["lambda_wgan_gp"] = np.full_like(r, float(lambda_max))
    out["in_warmup"] = out["t"] < warmup
    out["lambda_agp"], out["grad_norm_agp"] = agp_trace(ws, lambda_max)
    return out


def agp_trace(ws, lambda_max=0.1):
    """agp's ``lambda_t`` on the distance trace ``ws``, in a toy closed loop; returns ``(lambda_t, n_t)`` arrays.

    The critic's slope at the penalty points is taken to sit at its optimum for the weight in force,
    ``n_t = max(0, 1 + w_t / (2 lambda_t))`` (METHOD.md section 8.4, :func:`ganlib.notebook.teaching.penalty_optimum`),
    and fed to the trainer's own controller (:class:`ganlib.relatives.LambdaController`, started at
    ``lambda_max``).  A real critic lags behind lambda and its norm is noisy, so this shows the controller's
    direction and pace on a realistic distance, not a training run (the train button's ``agp`` run logs that).
    """
    from .relatives import LambdaController

    c = LambdaController(start=float(lambda_max))
    lams, norms = np.empty(len(ws)), np.empty(len(ws))
    for i, w in enumerate(np.asarray(ws, dtype=float)):
        lams[i] = c.lambda_t
        norms[i] = max(0.0, 1.0 + w / (2.0 * lams[i]))
        c.update(norms[i])
    return lams, norms


def synthetic_trace(n=5000, start=1.5, end=0.2, tau=1500.0, noise=0.15, seed=0) -> np.ndarray:
    """A made-up distance trace: ``end + (start - end) * exp(-t / tau)`` plus Gaussian noise of sd ``noise``."""
    t = np.arange(n, dtype=float)
    rng = np.random.default_rng(seed)
    return end + (start - end) * np.exp(-t / tau) + noise * rng.standard_normal(n)


def trace_path(name: str = TRACE_FILE):
    """Where a shipped trace lives (inside the installed package)."""
    return resources.files("ganlib") / "traces" / name


def load_trace(name: str = TRACE_FILE) -> dict:
    """A shipped trace: ``w_t`` (numpy, one value per critic step), ``provenance`` and ``log``.

    ``log`` holds the training run's own logged ``t, d_t, r_t, lambda_t`` (one row per generator
    iteration), so that anyone can check that replaying ``w_t`` through the rule reproduces them.
    """
    d = json.loads(trace_path(name).read_text())
    d["w_t"] = np.asarray(d["w_t"], dtype=float)
    return d


