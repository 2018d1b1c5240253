"""The exercises' solutions that run (small toy runs; sizes from the profile), and the implementation exercise of
notebook 02: four gradient penalties with one bug each, the checker a correct one passes, and the critics that show
why batch normalisation does not belong in a penalised critic.
"""

from __future__ import annotations

import numpy as np
import torch

from .. import methods as M
from ..metrics import toy_real
from .teaching import grad_norm_stats, initial_share_at_bounds, median_grad_norm, share_at_bounds

# Exercises and demos train small toy runs: the explorer's setting (width-128 MLP, lr 1e-3; toy
# defaults of METHOD.md section 3 otherwise), so that a run learns within a few hundred iterations.
EXERCISE_CONFIG = dict(dataset="8gaussians", width=128, lr_g=1e-3, quiet=True)


# ---------------------------------------------------------------------------------------------
# Exercises: solutions that run (small toy runs; sizes from the profile)
# ---------------------------------------------------------------------------------------------


def _train(method, iters, seed=0, **overrides):
    from ..config import Config
    from ..train import train

    return train(Config(**{**EXERCISE_CONFIG, **overrides}, method=method, iters=iters, seed=seed), out=None)


def _real(n=1000, dataset="8gaussians"):
    return toy_real(dataset, n, seed=0)


def exercise_clip_values(iters, clip_values=(0.001, 0.01, 0.1), seed=0) -> list[dict]:
    """01: WGAN with each clip value ``c``: share of weights at +-c, the critic's slope, the range of its values."""
    real, rows = _real(), []
    for c in clip_values:
        run = _train("wgan", iters, seed, clip_value=c)
        with torch.no_grad():
            values = run.D(real)
        rows.append({"c": c, "at +-c": share_at_bounds(run.D, c), "at +-c at start": initial_share_at_bounds(run.cfg),
                     "median ||grad D|| at real": median_grad_norm(run.D, real),
                     "range of D on real": float(values.max() - values.min())})
    return rows


def exercise_lambdas(iters, lambdas=(0.01, 0.1, 1.0, 10.0), seed=0) -> list[dict]:
    """02: WGAN-GP with each lambda: the median slope at the interpolates against ``1 + W1 / (2 lambda)``."""
    real, rows = _real(), []
    for lam in lambdas:
        run = _train("wgan-gp", iters, seed, lambda_max=lam)
        fake = run.generate(run.G.sample_z(len(real), torch.Generator().manual_seed(1)))
        s = grad_norm_stats(run.D, real, fake.cpu(), lam)
        rows.append({"lambda": lam, "median ||grad D(x_hat)||": s["x_hat"], "1 + W1/(2 lambda)": s["predicted"],
                     "exact W1": s["w1"]})
    return rows


def exercise_schedule(ws, n_critic=5, lambda_max=0.1, warmups=(0, 100, 500), gammas=(0.5, 1.0, 2.0),
                      betas=(0.0, 0.9, 0.99)) -> dict:
    """03 and 07: the rule alone on a distance trace: vary ``T_w``, ``gamma``, ``beta`` one at a time.

    ``warmup``: the reference ``d_ref`` it leads to, the lowest and the final ``r_t``; ``gamma``: the mean ``lambda_t / lambda_max``;
    ``beta``: how noisy ``r_t`` is (sd of its step-to-step changes) and when it first falls below 0.5.
    """
    from ..schedules import schedule_traces

    out = {"warmup": [], "gamma": [], "beta": []}
    for w in warmups:
        tr = schedule_traces(ws, warmup=w, lambda_max=lambda_max)
        out["warmup"].append({"T_w (critic steps)": w, "T_w (generator iterations)": w / n_critic,
                              "final d_ref": float(tr["d_ref"][-1]),
                              "lowest r_t": float(tr["r_t"].min()), "final r_t": float(tr["r_t"][-1])})
    for g in gammas:
        tr = schedule_traces(ws, gamma=g, lambda_max=lambda_max)
        out["gamma"].append({"gamma": g, "mean lambda_t / lambda_max": float(tr["lambda_t"].mean() / lambda_max),
                             "final lambda_t / lambda_max": float(tr["lambda_t"][-1] / lambda_max)})
    for b in betas:
        tr = schedule_traces(ws, beta=b, lambda_max=lambda_max)
        below = np.flatnonzero(tr["r_t"] < 0.5)
        out["beta"].append({"beta": b, "sd of r_t steps": float(np.diff(tr["r_t"]).std()),
                            "first t with r_t < 0.5": int(below[0]) if len(below) else None})
    return out


def trend(values, increasing=True) -> str:
    """'yes' when ``values`` are monotone in the stated direction, else what happened."""
    v = np.asarray(values, float)
    ok = np.all(np.diff(v) >= 0) if increasing else np.all(np.diff(v) <= 0)
    return "yes" if ok else "not monotone at this budget: " + ", ".join(f"{x:.3g}" for x in v)


# ---------------------------------------------------------------------------------------------
# The implementation exercise of 02: find the bug in a gradient penalty
# ---------------------------------------------------------------------------------------------


def _penalty_a(critic, real, fake):
    eps = torch.rand_like(real)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean(), x_hat


def _penalty_b(critic, real, fake):
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return ((grad.norm(2, dim=1) - 1) ** 2).mean(), x_hat


def _penalty_c(critic, real, fake):
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    return (grad.norm(2) - 1) ** 2, x_hat


def _penalty_d(critic, real, fake):
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)))
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    (grad,) = torch.autograd.grad(critic(x_hat).sum(), x_hat)
    return ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean(), x_hat


# Four gradient penalties with one bug each (02, exercise 4): read each with print(teaching.source(...))
# (ganlib.notebook.teaching), find its bug, and run check_gradient_penalty on it.  Each returns (penalty, x_hat).
BUGGY_PENALTIES = {"A": _penalty_a, "B": _penalty_b, "C": _penalty_c, "D": _penalty_d}


class _LinearCritic(torch.nn.Module):
    """``D(x) = <a, x>`` over the flattened input: the same gradient ``a`` everywhere."""

    def __init__(self, shape, norm=2.0, seed=0):
        super().__init__()
        a = torch.randn(int(np.prod(shape)), generator=torch.Generator().manual_seed(seed))
        self.a = torch.nn.Parameter(a / a.norm() * norm)

    def forward(self, x):
        return x.flatten(1) @ self.a


def _quadratic_critic(x):
    """``D(x) = ||x||^2 / 2`` per sample: its gradient at ``x`` is ``x``."""
    return 0.5 * x.flatten(1).pow(2).sum(1)


def check_gradient_penalty(penalty_fn, shape=(3, 4, 4), batch=8, seed=0) -> list[dict]:
    """Run a student's gradient penalty ``penalty_fn(critic, real, fake) -> (penalty, x_hat)`` through the
    checks a correct one passes, on an image-shaped batch (channels x height x width):

    1. ``x_hat`` lies on the segments between ``fake[i]`` and ``real[i]``, one ``eps`` in ``[0, 1]`` per sample;
    2. for a linear critic with ``||grad D|| = 2`` everywhere the penalty is ``(2 - 1)^2 = 1``;
    3. for ``D(x) = ||x||^2 / 2`` (gradient ``x``) the penalty is ``mean_i (||x_hat_i|| - 1)^2``, each norm
       per sample over all of its channels and pixels;
    4. the penalty trains the critic: its gradient with respect to the linear critic's weights ``a`` is
       ``2 (||a|| - 1) a / ||a||`` (this needs ``create_graph=True``).

    Returns one row per check: ``check``, ``passed`` (bool), ``detail``.
    """
    g = torch.Generator().manual_seed(seed)
    real, fake = torch.randn(batch, *shape, generator=g) + 1.0, torch.randn(batch, *shape, generator=g) - 1.0
    rows = []

    def add(check, passed, detail):
        rows.append({"check": check, "passed": bool(passed), "detail": detail})

    torch.manual_seed(seed)
    linear = _LinearCritic(shape, norm=2.0, seed=seed)
    try:
        pen, x_hat = penalty_fn(linear, real, fake)
    except Exception as e:  # noqa: BLE001 - the student's code: report, do not crash the check
        add("runs and returns (penalty, x_hat)", False, f"{type(e).__name__}: {e}")
        return rows
    x = x_hat.detach()
    d, r = (x - fake).flatten(1), (real - fake).flatten(1)
    eps = (d * r).sum(1) / (r * r).sum(1)
    off = float(((d - eps[:, None] * r).norm(dim=1) / r.norm(dim=1)).max())
    add("x_hat on the segments, one eps per sample", off < 1e-4 and bool(((eps > -1e-6) & (eps < 1 + 1e-6)).all()),
        f"largest distance off the segment, relative to its length: {off:.2g}")
    value = float(pen.detach())
    add("linear critic, ||grad D|| = 2: penalty 1", abs(value - 1.0) < 1e-4, f"penalty {value:.4g}")
    try:
        q_pen, q_x = penalty_fn(_quadratic_critic, real, fake)
        got, want = float(q_pen.detach()), float(((q_x.detach().flatten(1).norm(dim=1) - 1) ** 2).mean())
        add("D = ||x||^2 / 2: per-sample norms", abs(got - want) < 1e-4 * max(1.0, want),
            f"penalty {got:.4g}, expected {want:.4g}")
    except Exception as e:  # noqa: BLE001
        add("D = ||x||^2 / 2: per-sample norms", False, f"{type(e).__name__}: {e}")
    try:
        (ga,) = torch.autograd.grad(pen, linear.a)
        a = linear.a.detach()
        want = 2 * (a.norm() - 1) * a / a.norm()
        add("the penalty's gradient reaches the critic's weights", torch.allclose(ga, want, atol=1e-4),
            f"largest error {float((ga - want).abs().max()):.2g}")
    except RuntimeError as e:
        add("the penalty's gradient reaches the critic's weights", False, f"RuntimeError: {str(e).splitlines()[0]}")
    return rows


def toy_critic(norm: str = "none", width: int = 64, seed: int = 0) -> torch.nn.Module:
    """A small 2-D critic (02, exercise 5) with ``norm`` after each hidden layer: ``none``, ``batch``
    (BatchNorm1d: normalises each feature over the batch) or ``layer`` (LayerNorm: over each sample)."""
    M.check_choice("norm", norm, ("none", "batch", "layer"))
    layer = {"none": lambda: torch.nn.Identity(), "batch": lambda: torch.nn.BatchNorm1d(width),
             "layer": lambda: torch.nn.LayerNorm(width)}[norm]
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(2, width), layer(), torch.nn.ReLU(),
                               torch.nn.Linear(width, width), layer(), torch.nn.ReLU(), torch.nn.Linear(width, 1))


def batch_dependence(critic, n=64, seed=0) -> float:
    """How much the gradient norm of sample 0 changes when the *other* samples of its batch change.

    0 (to rounding) for a per-sample critic, the premise of a per-sample gradient penalty; > 0 when the
    critic mixes samples (batch normalisation in training mode)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=g)
    other = x.clone()
    other[1:] = other[1:] * 3.0 + 2.0
    norms = [float(M.gradient_norm(lambda z: critic(z).squeeze(-1), batch)[0].detach()) for batch in (x, other)]
    return abs(norms[0] - norms[1])
