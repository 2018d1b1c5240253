"""What notebooks 01-04 and 07 teach with: the critic losses on screen, a conclusion for every figure
computed from that run's numbers, and the exercises' solutions.

Every conclusion is a plain sentence built from measured values, so that it stays true under every
profile; where the run is too short to show what the figure is meant to show, the sentence says so.
The theory behind them is in ``docs/METHOD.md`` section 8.

>>> round(penalty_optimum(w1=0.3, lam=0.1), 3)  # the norm a lambda pins the critic's slope to
2.5
>>> round(lambda_for_slope(w1=0.3, slope=1.1), 3)  # and the lambda that keeps it within 10% of 1
1.5
"""

from __future__ import annotations

import html
import inspect
import math
import textwrap
from pathlib import Path

import numpy as np
import torch

from . import methods as M
from .compare import _mean_sd, verdict_word
from .metrics import toy_real, w1_exact

# Exercises and demos train small toy runs: the explorer's setting (width-128 MLP, lr 1e-3; toy
# defaults of METHOD.md section 3 otherwise), so that a run learns within a few hundred iterations.
EXERCISE_CONFIG = dict(dataset="8gaussians", width=128, lr_g=1e-3, quiet=True)
AT_BOUND = 0.99  # a clipped weight counts as "at the bound" when |w| >= AT_BOUND * c
SLOPE_TOLERANCE = 0.1  # "pinned to 1": the median gradient norm within 10% of 1
AGREEMENT = 0.25  # the slope model explains a run when measured and predicted slopes differ by < 25%
NEAR_ONE = 0.9  # r_t that never fell below this: ICVP did not move away from its start
FLOOR_FACTOR = 2.0  # a toy run "reached the data" when its exact W1 is within 2x the real-vs-real floor
MODE_SDS = 3.0  # a sample belongs to a mode when it is within 3 standard deviations of its centre
MODE_MIN_SHARE = 0.01  # a mode is covered when at least 1% of the samples belong to it


# ---------------------------------------------------------------------------------------------
# The critic losses, from the library's source and on a real batch
# ---------------------------------------------------------------------------------------------

# What each method plugs into the one loss function, Method.critic_loss (the objects are shown from
# the library's own source, so the page cannot drift from the code).
LOSS_PARTS = {
    "wgan": ("WGAN: weight clipping", "E[D(x_fake)] - E[D(x_real)], then every weight clipped into [-c, c]",
             [M.Method.after_critic_step]),
    "wgan-gp": ("WGAN-GP: penalty at random interpolates",
                "E[D(x_fake)] - E[D(x_real)] + lambda E[(||grad D(x_hat)||_2 - 1)^2], x_hat on a random point "
                "of the segment (eps ~ U[0, 1])", [M.interpolation_point, M.gradient_penalty, M.gradient_norm]),
    "icvp": ("ICVP: the point and lambda follow the distance",
             "the same penalty with eps_t = 1 - r_t and lambda_t = lambda_min + (lambda_max - lambda_min) r_t^gamma,"
             " r_t from the critic's own W1 estimate", [M.ICVPSchedule.step, M.DistanceLambda.__call__]),
}


def source(obj) -> str:
    """The source of a ganlib function or method, dedented."""
    return textwrap.dedent(inspect.getsource(obj))


def critic_loss_sources(highlight: str | None = None) -> str:
    """HTML: ``Method.critic_loss`` (shared by every method), then what WGAN, WGAN-GP and ICVP plug in,
    side by side, each from ganlib's source.  ``highlight`` (a method name) frames that column."""
    M.check_choice("method to highlight", highlight, (None, *LOSS_PARTS))
    esc = html.escape
    pre = "<pre style='font-size:11px;line-height:1.25;white-space:pre-wrap;margin:0'>{}</pre>"
    cols = []
    for name, (title, formula, objs) in LOSS_PARTS.items():
        frame = "2px solid #c33" if name == highlight else "1px solid #bbb"
        code = "\n".join(f"# {o.__qualname__}\n{source(o)}" for o in objs)
        cols.append(f"<td style='vertical-align:top;border:{frame};padding:6px;width:33%'><b>{esc(title)}</b>"
                    f"<p style='font-size:12px'>{esc(formula)}</p>{pre.format(esc(code))}</td>")
    return (f"<p><b>One loss function for every method</b> (<code>ganlib.methods.Method.critic_loss</code>; "
            f"<code>schedule is None</code> only for WGAN):</p>{pre.format(esc(source(M.Method.critic_loss)))}"
            f"<p><b>What each method plugs in</b> (from <code>ganlib/methods.py</code>):</p>"
            f"<table style='border-collapse:collapse;width:100%'><tr>{''.join(cols)}</tr></table>")


def show_critic_losses(highlight: str | None = None):
    """Display :func:`critic_loss_sources` in a notebook."""
    from IPython.display import HTML, display

    display(HTML(critic_loss_sources(highlight)))


def critic_loss_terms(critic, real, fake, lambda_max=0.1, r_t=0.5, clip_value=0.01) -> list[dict]:
    """The critic loss of WGAN, WGAN-GP and ICVP (both interpolation modes) on one batch, term by term.

    Each method is built with :func:`ganlib.methods.make_method` and its ``critic_loss`` is called as
    the trainer calls it.  ICVP's schedule is first put past its warm-up with a reference distance
    ``d_ref = w / r_t``, so that it uses the given ``r_t`` (when the critic's estimate ``w`` is > 0).
    Rows: ``method, w (the W1 estimate), r_t, eps, lambda, penalty, grad_norm (mean at x_hat), loss``.
    """
    rows = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        for name, interp in (("wgan", None), ("wgan-gp", None), ("icvp", "deterministic"), ("icvp", "band")):
            method = M.make_method(name, lambda_max=lambda_max, warmup=0, clip_value=clip_value,
                                   interpolation=interp or "deterministic")
            if name == "icvp":
                with torch.no_grad():
                    w = float(critic(real).mean() - critic(fake).mean())
                method.schedule.load_state_dict({"t": 1, "d": w, "d_ref": w / r_t if w > 0 else w})
            loss, log = method.critic_loss(critic, real, fake)
            eps = {"wgan": "-", "wgan-gp": "U[0, 1]"}.get(name) or (
                f"{float(log['eps_t']):.3g}" if interp == "deterministic" else f"U[{1 - float(log['r_t']):.3g}, 1]")
            num = {k: None if log.get(k) is None else float(torch.as_tensor(log[k]).detach()) for k in ("w_t", "r_t", "lambda_t", "penalty",
                                                                            "grad_norm")}
            rows.append({"method": name + (f" ({interp})" if interp else ""), "w": num["w_t"], "r_t": num["r_t"],
                         "eps": eps, "lambda": num["lambda_t"], "penalty": num["penalty"],
                         "grad_norm": num["grad_norm"], "loss": float(loss.detach())})
    return rows


def table(rows: list[dict], digits=3) -> str:
    """A list of dicts as a markdown table (numbers to ``digits`` significant digits; None as -)."""
    keys = list(rows[0])
    cell = lambda v: str(v).replace("|", "\\|")  # noqa: E731 - a norm's bars must not split the column
    fmt = lambda v: "-" if v is None else (f"{v:.{digits}g}" if isinstance(v, float) else cell(v))  # noqa: E731
    return "\n".join([f"| {' | '.join(map(cell, keys))} |", "|" + "---|" * len(keys)]
                     + [f"| {' | '.join(fmt(r[k]) for k in keys)} |" for r in rows])


# ---------------------------------------------------------------------------------------------
# Theory: why Jensen-Shannon saturates and W1 does not (Arjovsky et al. 2017, Example 1)
# ---------------------------------------------------------------------------------------------


def js_and_w1_parallel_lines(thetas, n=500, bins=20, seed=0) -> dict:
    """P_0 = (0, Z) and P_theta = (theta, Z), Z ~ U[0, 1]: two parallel segments, disjoint unless theta = 0.

    Returns ``theta``, ``js`` (Jensen-Shannon divergence of the two samples' 2-D histograms with bins
    of width ``1 / bins``, in nats: what a discriminator that separates the bins sees) and ``w1``
    (exact W1 of the samples).  Analytically JS = log 2 for every theta != 0 and W1 = |theta|.
    """
    rng = np.random.default_rng(seed)
    z0, z1 = rng.uniform(size=n), rng.uniform(size=n)
    edges = np.linspace(-1.0, 1.0, 2 * bins + 1)
    js, w1 = [], []
    for th in thetas:
        a, b = np.c_[np.zeros(n), z0], np.c_[np.full(n, th), z1]
        p = np.histogram2d(*a.T, bins=[edges, edges])[0].ravel() / n
        q = np.histogram2d(*b.T, bins=[edges, edges])[0].ravel() / n
        m = (p + q) / 2
        kl = lambda x: float(np.sum(x[x > 0] * np.log(x[x > 0] / m[x > 0])))  # noqa: E731
        js.append(0.5 * kl(p) + 0.5 * kl(q))
        w1.append(w1_exact(a, b))
    return {"theta": np.asarray(thetas, float), "js": np.array(js), "w1": np.array(w1), "bin_width": 1.0 / bins}


def js_conclusion(d: dict) -> str:
    th, js, w1 = d["theta"], d["js"], d["w1"]
    apart = np.abs(th) >= d["bin_width"]
    return (f"For every shift |theta| >= {d['bin_width']:.3g} (one bin: the samples no longer overlap) JS lies "
            f"between {js[apart].min():.3f} and {js[apart].max():.3f}, i.e. log 2 = {math.log(2):.3f}: it does not "
            f"change with the distance, so its gradient with respect to theta is 0. W1 grows from {w1.min():.3f} to "
            f"{w1.max():.3f}, with slope {np.polyfit(np.abs(th), w1, 1)[0]:.2f} in |theta| (analytically 1): a "
            f"critic that estimates W1 tells the generator which way to move however far apart the supports are.")


# ---------------------------------------------------------------------------------------------
# 01: weight clipping
# ---------------------------------------------------------------------------------------------


def _weights(module) -> torch.Tensor:
    return torch.cat([p.detach().flatten().cpu() for p in module.parameters()])


def share_at_bounds(module, c) -> float:
    """Share of the parameters of ``module`` with ``|w| >= AT_BOUND * c``."""
    return float((_weights(module).abs() >= AT_BOUND * c).float().mean())


def initial_share_at_bounds(cfg) -> float:
    """The share a freshly initialised critic of this config has at the bounds after its first clip."""
    from .train import Run

    with torch.random.fork_rng(devices=[]):
        fresh = Run(cfg).D
    return float((_weights(fresh).abs() >= cfg.clip_value).float().mean())


def median_grad_norm(critic, x) -> float:
    return float(M.gradient_norm(critic, x).detach().median())


def clipping_conclusion(run, real) -> str:
    """01's figure: where the weights sit, how much of that is the initialisation, and the critic's slope."""
    c = run.cfg.clip_value
    now, start = share_at_bounds(run.D, c), initial_share_at_bounds(run.cfg)
    slope = median_grad_norm(run.D, real)
    n = _weights(run.D).numel()
    grew = now - start
    trend = (f"training pushed {grew:.0%} more of them there" if grew > 0.01 else
             "training has not pushed more of them there yet" if grew > -0.01 else
             f"training pulled {-grew:.0%} of them back inside")
    return (f"After {run.it} generator iterations {now:.0%} of the critic's {n:,} weights sit at +-c = +-{c:g}. "
            f"{start:.0%} were put there by the very first clip (PyTorch initialises a layer's weights up to "
            f"1/sqrt(fan_in), above c), and {trend}. The median gradient norm of the critic at the real points is "
            f"{slope:.2g}: clipping does not make the critic 1-Lipschitz but K-Lipschitz for some K set by c and the "
            f"architecture, so its W1 estimate is off by that unknown factor; and the more of its weights sit at +-c, "
            f"the more the critic is a function of their signs alone (the capacity loss Gulrajani et al. 2017 "
            f"show).")


# ---------------------------------------------------------------------------------------------
# 02: the gradient penalty
# ---------------------------------------------------------------------------------------------


def penalty_optimum(w1: float, lam: float) -> float:
    """The slope a penalised critic settles at: ``g = 1 + W1 / (2 lambda)`` (METHOD.md section 8.4).

    For a critic ``D = g f`` with ``f`` the optimal 1-Lipschitz potential, the loss is
    ``-g W1 + lambda (g - 1)^2``, smallest at this ``g``.
    """
    if lam <= 0:
        raise ValueError(f"lambda must be > 0; got {lam}")
    return 1.0 + w1 / (2.0 * lam)


def lambda_for_slope(w1: float, slope: float = 1.0 + SLOPE_TOLERANCE) -> float:
    """The smallest lambda for which :func:`penalty_optimum` is at most ``slope`` (> 1)."""
    if slope <= 1:
        raise ValueError(f"slope must be > 1; got {slope}")
    return w1 / (2.0 * (slope - 1.0))


def grad_norm_stats(critic, real, fake, lam) -> dict:
    """Median gradient norms at real, generated and interpolated (eps ~ U[0, 1]) points, the exact W1 of
    the two samples, and the slope and lambda of :func:`penalty_optimum` / :func:`lambda_for_slope`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        x_hat, _ = M.interpolation_point(real, fake, "uniform")
    w1 = w1_exact(real, fake)
    return {"real": median_grad_norm(critic, real), "fake": median_grad_norm(critic, fake),
            "x_hat": median_grad_norm(critic, x_hat), "w1": w1, "lambda": lam,
            "predicted": penalty_optimum(w1, lam), "lambda_needed": lambda_for_slope(w1)}


def grad_norm_conclusion(s: dict, iters: int) -> str:
    """02's figure, from :func:`grad_norm_stats`."""
    g, pred = s["x_hat"], s["predicted"]
    head = (f"After {iters} generator iterations the median ||grad D|| is {g:.2f} at the interpolates x_hat "
            f"({s['real']:.2f} at real, {s['fake']:.2f} at generated points), not 1. With lambda = {s['lambda']:g} "
            f"and the exact W1 = {s['w1']:.3f} between these samples, the trade-off -g W1 + lambda (g - 1)^2 puts the "
            f"slope at g = 1 + W1 / (2 lambda) = {pred:.2f}")
    if abs(g - pred) / pred < AGREEMENT:
        verdict = (f", within {abs(g - pred) / pred:.0%} of the measured median: the penalty is too weak at this "
                   f"lambda to pin the slope to 1")
    else:
        verdict = (f"; the measured median is {abs(g - pred) / pred:.0%} away, so this critic is not at the optimum of "
                   f"its loss (at {iters} iterations it is still far from converged) and the model does not explain "
                   f"this run")
    return (head + verdict + f". To hold the slope within {SLOPE_TOLERANCE:.0%} of 1 here, lambda must be at least "
            f"W1 / (2 x {SLOPE_TOLERANCE:g}) = {s['lambda_needed']:.2g}; the published toy setting trades that for "
            f"speed, and the image settings use lambda = 10.")


# ---------------------------------------------------------------------------------------------
# 03 and 07: the schedule
# ---------------------------------------------------------------------------------------------


def schedule_conclusion(rows: list[dict], lambda_max: float, clock: str = "generator iteration",
                        label: str = "") -> str:
    """Where ``r_t``, ``eps_t`` and ``lambda_t`` went in a logged run (or a replayed trace)."""
    key = "iter" if clock == "generator iteration" else "t"
    r = np.array([row["r_t"] for row in rows], float)
    lam = np.array([row["lambda_t"] for row in rows], float)
    it = [row[key] for row in rows]
    who = f"{label}: " if label else ""
    if r.min() > NEAR_ONE:
        return (f"{who}r_t never fell below {NEAR_ONE:g} in these {len(rows)} {clock}s (lowest {r.min():.2f}): the "
                f"run is too short for the rule to act, and ICVP was WGAN-GP with its penalty point near the fakes "
                f"throughout. Nothing about the schedule can be concluded at this budget.")
    half = next((i for i, v in zip(it, r) if v < 0.5), None)
    return (f"{who}r_t ended at {r[-1]:.2f} (lowest {r.min():.2f}), so the penalty point ended at eps = {1 - r[-1]:.2f} "
            f"of the way from the fakes to the reals and lambda_t at {lam[-1]:.3g} ({lam[-1] / lambda_max:.0%} of "
            f"lambda_max = {lambda_max:g}); "
            + (f"r_t first fell below 0.5 at {clock} {half:g}." if half is not None else
               "r_t never fell below 0.5, so the penalty kept at least half its weight."))


def warmup_in_generator_iterations(warmup: int, n_critic: int, iters: int | None = None) -> str:
    """``T_w`` counts critic steps; training counts generator iterations (``n_critic`` critic steps each)."""
    g = warmup / n_critic
    text = f"T_w = {warmup} critic steps = {g:g} generator iterations"
    if iters:
        text += f" ({min(g / iters, 1.0):.0%} of a {iters}-iteration run)"
    return text


# ---------------------------------------------------------------------------------------------
# 07: the training comparison
# ---------------------------------------------------------------------------------------------


def first_below(iters, values, level):
    return next((i for i, v in zip(iters, values) if v <= level), None)


def training_conclusion(results: dict) -> str:
    """The explorer's training comparison: final W1, and who came within ``FLOOR_FACTOR`` x the floor first."""
    floor = results.get("floor")
    runs = {k: v for k, v in results.items() if isinstance(v, dict) and v.get("iters")}
    if floor is None or not runs:
        return "Not trained yet: press train."
    level = FLOOR_FACTOR * floor
    parts, reached = [], {}
    for name, r in runs.items():
        reached[name] = first_below(r["iters"], r["w1"], level)
        parts.append(f"{name} ends at W1 {r['w1'][-1]:.3f} after {r['iters'][-1]} iterations" +
                     (f" and came within {FLOOR_FACTOR:g}x the floor at iteration {reached[name]}"
                      if reached[name] is not None else ""))
    text = "; ".join(parts) + f" (real-vs-real floor {floor:.3f})."
    r = [row["r_t"] for row in runs.get("icvp", {}).get("log", []) if row.get("r_t") is not None]
    if r and min(r) > NEAR_ONE:
        text += (f" ICVP's r_t never fell below {NEAR_ONE:g} (the warm-up or a distance that did not fall kept it "
                 f"at its start), so it ran as it starts throughout: lambda_max, and the penalty point of r_t = 1 (on the "
                 f"fakes in deterministic mode, WGAN-GP's whole segment in band mode).")
    done = {k: v for k, v in reached.items() if v is not None}
    if not done:
        n = max(r["iters"][-1] for r in runs.values())
        return text + (f" Neither run came within {FLOOR_FACTOR:g}x the floor ({level:.3f}) in {n} iterations: too "
                       f"short to converge, so this budget cannot compare the schedules; try a few hundred iterations.")
    first = min(done, key=done.get)
    tie = [k for k, v in done.items() if v == done[first]]
    who = " and ".join(tie) + (" together" if len(tie) > 1 else " first")
    return text + (f" {who} reached {FLOOR_FACTOR:g}x the floor. One seed: an anecdote, not a verdict "
                   f"(notebook 04 compares over seeds).")


# ---------------------------------------------------------------------------------------------
# 04: counting modes on the Gaussian mixtures
# ---------------------------------------------------------------------------------------------


def toy_centres(dataset: str):
    """Centres and standard deviation of the modes of ``8gaussians`` / ``25gaussians`` (METHOD.md section 3)."""
    if dataset == "8gaussians":
        s = 1.0 / math.sqrt(2)
        c = 2.0 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [s, -s], [-s, s], [-s, -s]])
        return c / 1.414, 0.02 / 1.414
    if dataset == "25gaussians":
        c = np.array([[x, y] for x in range(-2, 3) for y in range(-2, 3)], float) * 2
        return c / 2.828, 0.05 / 2.828
    raise ValueError(f"modes are defined for 8gaussians and 25gaussians; got {dataset!r}")


def count_modes(samples, dataset: str) -> dict:
    """Modes covered by ``samples``: a sample belongs to the nearest centre if within ``MODE_SDS`` sd of it;
    a mode is covered when at least ``MODE_MIN_SHARE`` of the samples belong to it.
    Returns ``covered, modes, high_quality`` (share of samples within ``MODE_SDS`` sd of some centre)."""
    x = np.asarray(torch.as_tensor(samples).detach().cpu(), float)
    centres, sd = toy_centres(dataset)
    dist = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    near, d = dist.argmin(1), dist.min(1)
    good = d <= MODE_SDS * sd
    counts = np.bincount(near[good], minlength=len(centres))
    return {"covered": int((counts >= MODE_MIN_SHARE * len(x)).sum()), "modes": len(centres),
            "high_quality": float(good.mean())}


def mode_table(runs_root, datasets, methods, seed=0, n=2000) -> list[dict]:
    """04's exercise: :func:`count_modes` for the real data and each method's generator (``seed``'s run of
    :func:`ganlib.compare.compare` under ``runs_root/<data set>``), for the data sets that have modes."""
    from .compare import run_dir
    from .train import load_run

    rows = []
    for ds in [d for d in datasets if d in ("8gaussians", "25gaussians")]:
        rows.append({"data": ds, "samples of": "real data", **count_modes(toy_real(ds, n, seed=0), ds)})
        for m in methods:
            run = load_run(run_dir(Path(runs_root) / ds, m, seed))
            z = run.G.sample_z(n, torch.Generator().manual_seed(seed))
            rows.append({"data": ds, "samples of": f"{m} (iteration {run.it})",
                         **count_modes(run.generate(z.to(run.device)).cpu(), ds)})
    return rows


# ---------------------------------------------------------------------------------------------
# Exercises: solutions that run (small toy runs; sizes from the profile)
# ---------------------------------------------------------------------------------------------


def _train(method, iters, seed=0, **overrides):
    from .config import Config
    from .train import train

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
    from .widgets import schedule_traces

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
# 04-06 and 09: the comparisons' figures (results of ganlib.compare.summarise)
# ---------------------------------------------------------------------------------------------


def still_falling(curve: dict) -> bool:
    """The mean curve's last value is its lowest and below the one before: the run had not levelled off."""
    vals = [curve[p]["mean"] for p in sorted(curve, key=int) if curve[p]["mean"] is not None]
    return len(vals) >= 3 and vals[-1] < vals[-2] and vals[-1] <= min(vals)


def curves_conclusion(result: dict, label: str | None = None) -> str:
    """A comparison's metric curves: who ends lowest, who reaches the threshold first, the paired verdicts,
    and whether the budget and the seeds are enough to say more."""
    label, metric, per = label or result["dataset"], result["metric"], result["per_method"]
    finals = {m: _mean_sd(p["final"])[0] for m, p in per.items()}
    finals = {m: v for m, v in finals.items() if v is not None}
    if not finals:
        return f"{label}: no run finished its {result['iters']} generator iterations; nothing to conclude."
    order = sorted(finals, key=finals.get)
    text = (f"{label}, {result['iters']} generator iterations: mean final {metric} "
            + ", ".join(f"{m} {finals[m]:.3g}" for m in order) + f" (lower is better; {order[0]} lowest).")
    if result.get("threshold") is not None:
        reach = {m: [i for i in p["iters_to_threshold"] if i is not None] for m, p in per.items()}
        every = {m: sum(r) / len(r) for m, r in reach.items() if r and len(r) == len(per[m]["iters_to_threshold"])}
        never = [m for m, r in reach.items() if not r]
        if every:
            best = min(every.values())
            first = [m for m in every if every[m] == best]
            text += (f" Threshold {metric} <= {result['threshold']:.3g}: every seed of {' and '.join(first)} reached it, "
                     f"at iteration {best:.0f} on average, the earliest of the methods whose every seed did")
        else:
            text += f" Threshold {metric} <= {result['threshold']:.3g}: no method reached it with every seed"
        text += (f"; never reached by {', '.join(never)}." if never else ".")
    words = {k: verdict_word(v) for k, v in result.get("verdicts", {}).items()}
    if words:
        text += " Paired verdicts on the area under the curve: " + "; ".join(f"{k} {v}" for k, v in words.items()) + "."
    falling = [m for m in finals if still_falling(per[m]["curve"])]
    if 2 * len(falling) >= len(finals):
        text += (f" {len(falling)} of {len(finals)} mean curves were still falling at the last evaluation: the budget is "
                 f"too short to say where the methods end; this ranks speed up to {result['iters']} iterations only.")
    seeds = result["seeds"]
    n = min(seeds.values()) if isinstance(seeds, dict) else seeds
    if n < 3:
        text += (f" With {n} seed(s) per method the intervals are wide: read the verdicts as the pipeline's, and the "
                 "long study (notebook 09) as the evidence.")
    return text


def samples_conclusion(result: dict, seed: int = 0) -> str:
    """A grid of one seed's samples: that seed's final metric per method, so the eye has a number to check."""
    metric, per = result["metric"], result["per_method"]
    final = {m: p["final"][seed] for m, p in per.items() if len(p["final"]) > seed and p["final"][seed] is not None}
    if not final:
        return f"Seed {seed} has no finished run to compare."
    order = sorted(final, key=final.get)
    return (f"Seed {seed}'s final {metric}: " + ", ".join(f"{m} {final[m]:.3g}" for m in order)
            + f". By this measure {order[0]}'s samples are the closest to the data and {order[-1]}'s the farthest; one "
            "seed's grid shows what the numbers mean, the curves over seeds say whether the order is real.")


def modes_conclusion(rows: list[dict]) -> str:
    """04's sample panels: the modes each generator covers (:func:`mode_table`) against the real data's."""
    if not rows:
        return "No data set with modes in this profile."
    parts = []
    for ds in dict.fromkeys(r["data"] for r in rows):
        mine = [r for r in rows if r["data"] == ds]
        real, gens = mine[0], mine[1:]
        full = [r["samples of"].split(" (")[0] for r in gens if r["covered"] == real["covered"]]
        parts.append(f"{ds}: the real data covers {real['covered']}/{real['modes']} modes; "
                     + ", ".join(f"{r['samples of'].split(' (')[0]} {r['covered']}" for r in gens)
                     + (f" (all modes: {', '.join(full)})" if full else " (no generator covers them all yet)"))
    return "Modes covered at the end, seed 0, 2,000 samples: " + "; ".join(parts) + "."
