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

from .. import methods as M
from ..stats import Verdict, mean_sd, t_quantile
from ..metrics import toy_real, w1_exact

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

# What each method plugs into the one loss function, Method.critic_loss: one row per step, its formula
# (LaTeX, typeset by MathJax in JupyterLab and in the offline HTML) beside the library's own source (so
# the page cannot drift from the code).
LOSS_STEPS = {
    "wgan": ("WGAN: weight clipping", [
        (r"the loss without a schedule: $L_D = \mathbb{E}[D(\tilde x)] - \mathbb{E}[D(x)] = -w$ "
         r"(the branch <code>schedule is None</code> of the loss above)", None),
        (r"after every critic step, every parameter $\theta$ of the critic: "
         r"$\theta \leftarrow \mathrm{clip}(\theta, -c, c)$", M.Method.after_critic_step)]),
    "wgan-gp": ("WGAN-GP: the penalty at random interpolates", [
        (r"the penalty point, one $\epsilon$ per sample: $\hat x = \epsilon x + (1 - \epsilon)\tilde x$, "
         r"$\epsilon \sim U[0, 1]$ (mode <code>uniform</code>)", M.interpolation_point),
        (r"the gradient norm per sample, over the flattened input: $\lVert \nabla_{\hat x} D(\hat x) \rVert_2$",
         M.gradient_norm),
        (r"the penalty, before its weight: $\frac{1}{B}\sum_{i=1}^{B} \big(\lVert \nabla D(\hat x_i) \rVert_2 - 1\big)^2$",
         M.gradient_penalty),
        (r"a constant weight: $\lambda_t = \lambda$", M.ConstantLambda.__call__)]),
    "icvp": ("ICVP: the point and the weight follow the distance", [
        (r"the schedule (METHOD.md section 2): $w_t = \overline{D(x)} - \overline{D(\tilde x)}$, "
         r"$d_t = \beta d_{t-1} + (1 - \beta) w_t$; $r_t = 1$ for $t < T_w$, then "
         r"$d_{ref} = \max(d_{ref}, d_t)$ (the default reference, <code>max</code>) and "
         r"$r_t = \mathrm{clip}(d_t / d_{ref}, 0, 1)$; $\epsilon_t = 1 - r_t$",
         M.ICVPSchedule.step),
        (r"the penalty point: $\hat x = \epsilon_t x + (1 - \epsilon_t)\tilde x$ (mode <code>deterministic</code>), "
         r"or $\epsilon \sim U[1 - r_t, 1]$ per sample (mode <code>band</code>)", M.interpolation_point),
        (r"the weight: $\lambda_t = \lambda_{min} + (\lambda_{max} - \lambda_{min})\, r_t^{\gamma}$",
         M.DistanceLambda.__call__)]),
}
LOSS_FORMULA = (r"$L_D = \mathbb{E}[D(\tilde x)] - \mathbb{E}[D(x)] + \lambda_t\, "
                r"\mathbb{E}\big[(\lVert \nabla D(\hat x) \rVert_2 - 1)^2\big]$, with $x$ real, $\tilde x$ generated; "
                r"the first two terms are $-w$, minus the critic's estimate of $W_1$")
CODE_FONT = "ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', 'Liberation Mono', monospace"


def source(obj) -> str:
    """The source of a ganlib function or method, dedented."""
    return textwrap.dedent(inspect.getsource(obj))


def _code_block(code: str) -> str:
    """Code as code: monospace, left-aligned, indentation kept, no wrapping (a long line scrolls)."""
    style = (f"font-family:{CODE_FONT};font-size:12px;line-height:1.35;text-align:left;white-space:pre;"
             "overflow-x:auto;overflow-wrap:normal;word-break:normal;margin:0;padding:6px 8px;"
             "background-color:#f7f7f7;border:1px solid #ddd;border-radius:3px;max-width:100%")
    inner = f"font-family:{CODE_FONT};font-size:12px;white-space:pre;background-color:#f7f7f7;padding:0"
    return (f'<pre class="ganlib-code" style="{style}"><code style="{inner}">{html.escape(code.rstrip())}'
            "</code></pre>")


def critic_loss_sources(highlight: str | None = None) -> str:
    """HTML: ``Method.critic_loss`` (shared by every method), then what WGAN, WGAN-GP and ICVP plug in, one
    step per row: the step's formula in LaTeX beside its code from ganlib's source.  ``highlight`` (a method
    name) frames that method's rows and marks them as this notebook's."""
    M.check_choice("method to highlight", highlight, (None, *LOSS_STEPS))
    cell = "text-align:left;vertical-align:top;padding:6px 8px;border-top:1px solid #ddd"
    head = "text-align:left;vertical-align:top;padding:10px 8px 4px 8px;font-size:1.05em"

    def row(formula, obj):
        code = _code_block(source(obj)) if obj is not None else ""
        name = f"<br><small><code>{html.escape(obj.__qualname__)}</code></small>" if obj is not None else ""
        return (f'<tr><td class="ganlib-formula" style="{cell};width:36%">{formula}{name}</td>'
                f'<td style="{cell};width:64%">{code}</td></tr>')

    rows = [f'<tr><th colspan="2" style="{head}">One loss function for every method</th></tr>',
            row(LOSS_FORMULA, M.Method.critic_loss)]
    for name, (title, steps) in LOSS_STEPS.items():
        mine = name == highlight
        frame = "border-left:4px solid #c33;" if mine else ""
        rows.append(f'<tr><th colspan="2" style="{head};{frame}">{html.escape(title)}'
                    + (" (this notebook)" if mine else "") + "</th></tr>")
        rows += [row(f, o).replace('<td class="ganlib-formula" style="', f'<td class="ganlib-formula" style="{frame}', 1)
                 for f, o in steps]
    return ('<div class="ganlib-code-panel"><p><b>What each method plugs in</b>: each step\'s formula beside '
            "its code, from <code>ganlib/methods.py</code>.</p>"
            '<table class="ganlib-steps" style="border-collapse:collapse;width:100%;table-layout:fixed;'
            'text-align:left">' + "".join(rows) + "</table></div>")


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


def loss_terms_note(rows: list[dict], r_t: float, w1: float | None = None) -> str:
    """What the table of :func:`critic_loss_terms` shows about the critic's estimate ``w`` and the ``r_t``
    ICVP's rows were computed at; ``w1``: the exact W1 between the same two samples, if known."""
    w = rows[0]["w"]
    icvp = [r for r in rows if r["method"].startswith("icvp")]
    used = icvp[0]["r_t"] if icvp else None
    if w < 0:
        text = (f"The critic's estimate w = {w:.3g} is negative: on this batch it scores the generated points above "
                f"the real ones, the wrong way round, so it is no estimate of W1 at all (the best 1-Lipschitz critic "
                f"scores at least 0: f = 0 already does).")
    elif w == 0:
        text = "The critic's estimate w is 0: it does not tell the real points from the generated ones."
    else:
        text = f"The critic's estimate is w = {w:.3g}."
    if w1 is not None and w1 > 0:
        ratio = abs(w) / w1
        text += (f" The exact W1 between these two samples is {w1:.3g}, so |w| is {ratio:.2g} times W1"
                 + (": the critic's slope is far below 1." if ratio < 0.1 else "."))
    if used is None:
        return text
    if w > 0 and abs(used - r_t) < 1e-6:
        text += (f" ICVP's rows use r_t = {r_t:.3g} (its schedule put past the warm-up with d_ref = w / r_t): "
                 f"eps = 1 - r_t = {1 - r_t:.3g} in deterministic mode, U[{1 - r_t:.3g}, 1] in band mode, and "
                 f"lambda = r_t x lambda_max (lambda_min = 0, gamma = 1).")
    else:
        text += (f" ICVP's rule needs a positive distance to divide by (r_t = 1 while d_ref <= 0, METHOD.md "
                 f"section 2, step 3), so its rows show r_t = {used:.3g}, not the r_t = {r_t:.3g} asked for: "
                 f"the penalty point on the fakes (eps = 0) in deterministic mode, WGAN-GP's whole segment in band "
                 f"mode, and lambda = lambda_max.")
    return text


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
    """01's figure: JS at the shifts where the two samples share no histogram bin, and W1 over all shifts.

    Names the grid actually used (its smallest nonzero shift, not the bin width), says "at every one" when
    JS is the same to the digits printed, and leaves out (and counts) shifts below one bin width."""
    th, js, w1, bw = d["theta"], d["js"], d["w1"], d["bin_width"]
    nonzero = th != 0
    apart = np.abs(th) >= bw * (1 - 1e-9)
    shifts = np.abs(th[apart])
    if not apart.any():
        return (f"No shift of this grid is at least one histogram bin ({bw:g}) wide, so the two samples share bins "
                f"at every shift and JS does not reach log 2 = {math.log(2):.3f}: use shifts of at least {bw:g}.")
    lo, hi = float(js[apart].min()), float(js[apart].max())
    n = int(apart.sum())
    where = (f"at the {n} nonzero shifts of this grid (|theta| from {shifts.min():.3g} to {shifts.max():.3g}; each "
             f"at least one histogram bin, {bw:g}, so no bin holds points of both samples)" if n > 1 else
             f"at the one nonzero shift |theta| = {shifts.min():.3g} (at least one histogram bin, {bw:g})")
    value = (f"JS = {lo:.3f} at every one of them" if n > 1 and f"{lo:.3f}" == f"{hi:.3f}" else
             f"JS = {lo:.3f}" if n == 1 else f"JS lies between {lo:.3f} and {hi:.3f}")
    close = "which is" if f"{lo:.3f}" == f"{hi:.3f}" == f"{math.log(2):.3f}" else "against"
    left = int((nonzero & ~apart).sum())
    text = (f"{where[0].upper()}{where[1:]}, {value}, {close} log 2 = {math.log(2):.3f}: JS does not change with "
            f"the distance, so its gradient with respect to theta is 0."
            + (f" ({left} nonzero shift(s) below one bin width share bins and are left out.)" if left else ""))
    zero = np.flatnonzero(th == 0)
    far = int(np.argmax(np.abs(th)))
    start = (f"W1 is {w1[zero[0]]:.3f} at theta = 0 (two samples of the same segment: the floor of the estimate "
             f"at this sample size)" if len(zero) else f"W1 is {w1[int(np.argmin(np.abs(th)))]:.3f} at |theta| = "
             f"{np.abs(th).min():.3g}")
    slope = np.polyfit(np.abs(th), w1, 1)[0] if len(np.unique(np.abs(th))) > 1 else None
    return (text + f" {start} and {w1[far]:.3f} at |theta| = {abs(th[far]):.3g}"
            + (f", rising with slope {slope:.2f} in |theta| (analytically 1)" if slope is not None else "")
            + ": a critic that estimates W1 tells the generator which way to move however far apart the "
              "supports are.")


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
    from ..train import Run

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
    points = int(f"{now:.0%}"[:-1]) - int(f"{start:.0%}"[:-1])  # percentage points, between the shares as printed
    trend = (f"training moved {points} percentage points more of them there (from {start:.0%} to {now:.0%})"
             if points > 0 else "training has not changed that share by one percentage point" if points == 0 else
             f"training moved {-points} percentage points of them back inside (from {start:.0%} to {now:.0%})")
    return (f"After {run.it} generator iterations {now:.0%} of the critic's {n:,} parameters (weights and biases) "
            f"sit at +-c = +-{c:g}. {start:.0%} were put there by the very first clip (PyTorch initialises a "
            f"layer's parameters up to 1/sqrt(fan_in), above c), and {trend}. The median gradient norm of the critic at the real points is "
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
    """02's figure, from :func:`grad_norm_stats`: the measured slope against the one-parameter model's."""
    g, pred, lam, need = s["x_hat"], s["predicted"], s["lambda"], s["lambda_needed"]
    near = abs(g - 1) <= SLOPE_TOLERANCE
    head = (f"After {iters} generator iterations the median ||grad D|| is {g:.2f} at the interpolates x_hat "
            f"({s['real']:.2f} at real, {s['fake']:.2f} at generated points), "
            + (f"within {SLOPE_TOLERANCE:.0%} of 1" if near else "not 1")
            + f". With lambda = {lam:g} and the exact W1 = {s['w1']:.3f} between these samples, the one-parameter "
              f"model of section 2 (a critic D = g f*, whose loss -g W1 + lambda (g - 1)^2 is smallest at "
              f"g = 1 + W1 / (2 lambda); a heuristic for a trained network) predicts the slope {pred:.2f}")
    weak = pred > 1 + SLOPE_TOLERANCE
    if abs(g - pred) / pred < AGREEMENT:
        verdict = (f", within {abs(g - pred) / pred:.0%} of the measured median: "
                   + ("the penalty is too weak at this lambda to pin the slope to 1" if weak else
                      "at this lambda the penalty holds the slope near 1"))
    else:
        verdict = (f"; the measured median is {abs(g - pred) / pred:.0%} away, so the model does not explain this run "
                   f"(after {iters} iterations the critic may not be at the optimum of its loss, or may not keep the "
                   f"optimal potential's shape)")
    if lam >= need:
        tail = (f". Here lambda = {lam:g} is at least W1 / (2 x {SLOPE_TOLERANCE:g}) = {need:.2g}, enough in this "
                f"model to hold the slope within {SLOPE_TOLERANCE:.0%} of 1.")
    else:
        tail = (f". To hold the slope within {SLOPE_TOLERANCE:.0%} of 1 here, lambda must be at least "
                f"W1 / (2 x {SLOPE_TOLERANCE:g}) = {need:.2g}; the published toy setting (0.1) trades that for "
                f"speed, and the image settings use lambda = 10.")
    return head + verdict + tail


# ---------------------------------------------------------------------------------------------
# 03 and 07: the schedule
# ---------------------------------------------------------------------------------------------


def schedule_conclusion(rows: list[dict], lambda_max: float, clock: str = "generator iteration",
                        label: str = "", interpolation: str | None = None) -> str:
    """Where ``r_t``, ``eps_t`` and ``lambda_t`` went in a logged run (or a replayed trace).

    ``interpolation`` (default: ``label`` when it names a mode, else ``deterministic``) says what ``eps_t``
    means: one point of the segment, or the lower end of the band ``[1 - r_t, 1]`` the points are drawn from."""
    key = "iter" if clock == "generator iteration" else "t"
    r = np.array([row["r_t"] for row in rows], float)
    lam = np.array([row["lambda_t"] for row in rows], float)
    it = [row[key] for row in rows]
    who = f"{label}: " if label else ""
    mode = interpolation or (label if label in ("deterministic", "band") else "deterministic")
    share = (lambda v: f" ({v / lambda_max:.0%} of lambda_max = {lambda_max:g})") if lambda_max > 0 else (lambda v: "")  # noqa: E731
    if r.min() > NEAR_ONE:
        where = (f"the penalty point stayed near the fakes (eps_t = 1 - r_t at most {1 - r.min():.2f})"
                 if mode == "deterministic" else
                 f"the penalty points were drawn from nearly WGAN-GP's whole segment (U[{1 - r.min():.2f}, 1] at "
                 f"the narrowest)")
        return (f"{who}r_t never fell below {NEAR_ONE:g} in these {len(rows)} {clock}s (lowest {r.min():.2f}): the "
                f"run is too short for the rule to act: lambda_t stayed at {lam.min():.3g} or above{share(lam.min())}"
                f" and {where}. Nothing about the schedule can be concluded at this budget.")
    half = next((i for i, v in zip(it, r) if v < 0.5), None)
    point = (f"the penalty point ended at eps = {1 - r[-1]:.2f} of the way from the fakes to the reals"
             if mode == "deterministic" else
             f"the penalty points were drawn from eps ~ U[{1 - r[-1]:.2f}, 1] at the end (0: the fakes, 1: the reals)")
    return (f"{who}r_t ended at {r[-1]:.2f} (lowest {r.min():.2f}), so {point}, and lambda_t ended at {lam[-1]:.3g}"
            f"{share(lam[-1])}; "
            + (f"r_t first fell below 0.5 at {clock} {half:g}." if half is not None else
               f"r_t never fell below 0.5, and lambda_t never below {lam.min():.3g}{share(lam.min())}."))


def warmup_in_generator_iterations(warmup: int, n_critic: int, iters: int | None = None) -> str:
    """``T_w`` counts critic steps; training counts generator iterations (``n_critic`` critic steps each)."""
    g = warmup / n_critic
    text = f"T_w = {warmup} critic steps = {g:g} generator iterations"
    if iters:
        text += (f" ({g / iters:.0%} of a {iters}-iteration run)" if g <= iters else
                 f" (longer than the whole {iters}-iteration run: r_t = 1 throughout)")
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
        return text + (f" {'Neither run' if len(runs) == 2 else 'No run'} came within {FLOOR_FACTOR:g}x the floor "
                       f"({level:.3f}) in {n} iterations: too "
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
    :func:`ganlib.harness.compare.compare` under ``runs_root/<data set>``), for the data sets that have modes."""
    from ..harness.compare import run_dir
    from ..train import load_run

    rows = []
    for ds in [d for d in datasets if d in ("8gaussians", "25gaussians")]:
        rows.append({"data": ds, "samples of": "real data", "iteration": "", **count_modes(toy_real(ds, n, seed=0), ds)})
        for m in methods:
            run = load_run(run_dir(Path(runs_root) / ds, m, seed))
            z = run.G.sample_z(n, torch.Generator().manual_seed(seed))
            rows.append({"data": ds, "samples of": m, "iteration": run.it,
                         **count_modes(run.generate(z.to(run.device)).cpu(), ds)})
    return rows


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
# 04-06 and 09: the comparisons' figures (results of ganlib.harness.compare.summarise)
# ---------------------------------------------------------------------------------------------


def still_falling(curve: dict) -> bool:
    """The mean curve's last value is its lowest and below the one before: the run had not levelled off."""
    vals = [curve[p]["mean"] for p in sorted(curve, key=int) if curve[p]["mean"] is not None]
    return len(vals) >= 3 and vals[-1] < vals[-2] and vals[-1] <= min(vals)


def names(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def ranked(values: dict, digits: int = 3) -> tuple[str, list, list]:
    """``values`` (name -> number, lower first) as ``"a 0.1, b 0.2"``, with the names tied for the lowest and for
    the highest at the ``digits`` significant digits printed (a tie the reader sees is called one)."""
    order = sorted(values, key=values.get)
    shown = {m: f"{values[m]:.{digits}g}" for m in order}
    low = [m for m in order if shown[m] == shown[order[0]]]
    high = [m for m in order if shown[m] == shown[order[-1]]]
    return ", ".join(f"{m} {shown[m]}" for m in order), low, high


def _lowest(names_: list, what: str = "lowest") -> str:
    if len(names_) == 1:
        return f"{names_[0]} {what}"
    return f"{names(names_)} tie for {what} at the three significant digits shown"


def long_study_note(dataset: str, profile: str = "long") -> str:
    """Where the long study answers the same question for ``dataset``, and how much of it is stored: a claim
    about another notebook (09) that is true when it is made.  Empty when no part of that study uses the data."""
    return _long_study(dataset, profile)[0]


def _long_study(dataset: str, profile: str = "long") -> tuple[str, int, int]:
    """``(text, runs stored, runs designed)`` of :func:`long_study_note`."""
    from ..harness.study import RESULTS, STUDIES

    parts = [p for p in STUDIES.get(profile, []) if p.dataset == dataset and not p.archived]
    said, stored, designed = [], 0, 0
    for p in parts:
        runs = sum(p.seeds.values())
        done = sum(1 for m, n in p.seeds.items() for k in range(n)
                   if _finished(RESULTS / profile / p.name / "runs" / f"{m}-seed{k}" / "run.json", p.iters))
        stored, designed = stored + done, designed + runs
        design = f"part {p.name}: {max(p.seeds.values())} seeds per method, {p.iters} generator iterations"
        said.append(f"{design}, all {runs} runs stored" if done == runs else
                    f"{design}, {done} of its {runs} runs stored so far" if done else
                    f"{design}, none of its runs stored yet")
    return (f"the long study (notebook 09; {'; '.join(said)})" if parts else ""), stored, designed


def _finished(path: Path, iters: int) -> bool:
    import json

    try:
        r = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False
    return r.get("status") == "finished" and r.get("iter", 0) >= iters


def curves_conclusion(result: dict, label: str | None = None) -> str:
    """A comparison's metric curves: who ends lowest, who reaches the threshold first, the paired verdicts,
    and whether the budget and the seeds are enough to say more.

    Ties (at the digits printed, or at the same evaluation) are called ties; methods whose every seed, some
    seeds or no seed reached the threshold are named as such; one seed gives no interval at all; the long
    study is named only for a data set it covers, with how much of it is stored (:func:`long_study_note`)."""
    label, metric, per = label or result["dataset"], result["metric"], result["per_method"]
    finals = {m: mean_sd(p["final"])[0] for m, p in per.items()}
    finals = {m: v for m, v in finals.items() if v is not None}
    if not finals:
        return f"{label}: no run finished its {result['iters']} generator iterations; nothing to conclude."
    listed, low, _ = ranked(finals)
    text = (f"{label}, {result['iters']} generator iterations: mean final {metric} {listed} (lower is better; "
            f"{_lowest(low)}).")
    if result.get("threshold") is not None:
        reach = {m: [i for i in p["iters_to_threshold"] if i is not None] for m, p in per.items()}
        every = {m: sum(r) / len(r) for m, r in reach.items() if r and len(r) == len(per[m]["iters_to_threshold"])}
        some = [m for m, r in reach.items() if r and m not in every]
        never = [m for m, r in reach.items() if not r]
        text += f" Threshold {metric} <= {result['threshold']:.3g}: "
        if every:
            best = min(every.values())
            first = [m for m in every if every[m] == best]
            points = sorted({int(k) for p in per.values() for k in p.get("curve", {})})
            grid = next((b - a for a, b in zip(points, points[1:]) if b > a), None)
            whom = ("every seed of every method" if len(every) == len(per) and len(per) > 1 else
                    f"every seed of {names(every)}")
            if len(every) == 1:
                text += (f"every seed of {first[0]} reached it (the only method whose every seed did), at iteration "
                         f"{best:.0f} on average")
            elif len(first) == len(every):
                text += f"{whom} reached it, each at iteration {best:.0f} on average: a tie"
                if grid and best == points[1]:
                    text += (f" at the first evaluation after the start (evaluations every {grid} iterations cannot "
                             f"order reaches within one interval)")
            else:
                text += (f"{whom} reached it; earliest " + (f"{first[0]}" if len(first) == 1 else
                                                             f"{names(first)} (tied)")
                         + f", at iteration {best:.0f} on average, then "
                         + ", ".join(f"{m} {every[m]:.0f}" for m in sorted(every, key=every.get) if m not in first))
        else:
            text += "no method reached it with every seed"
        if some:
            text += f"; reached by some seeds only: {names(some)}"
        text += (f"; never reached by {names(never)}." if never else ".")
    words = {k: Verdict.from_dict(v["auc"]).word() for k, v in result.get("paired", {}).items()}
    if words:
        text += " Paired verdicts on the area under the curve: " + "; ".join(f"{k} {v}" for k, v in words.items()) + "."
    falling = [m for m in finals if still_falling(per[m]["curve"])]
    if 2 * len(falling) >= len(finals):
        text += (f" {len(falling)} of {len(finals)} mean curves were still falling at the last evaluation: the budget is "
                 f"too short to say where the methods end; this ranks speed up to {result['iters']} iterations only.")
    seeds = result["seeds"]
    n = min(seeds.values()) if isinstance(seeds, dict) else seeds
    where, stored, designed = _long_study(result.get("dataset", ""))
    then = (" Read the verdicts as the pipeline's; more seeds would decide them." if not where else
            f" Read the verdicts as the pipeline's; {where} is the evidence for this data set." if stored == designed
            else f" Read the verdicts as the pipeline's; {where} is designed to decide them.")
    if n <= 1:
        text += (" With one seed per method there is no spread to measure: no interval, so no paired verdict can "
                 "decide (the standard deviations shown as 0 are not measured)." + then)
    elif n < 3:
        text += (f" With {n} seeds per method each 95% interval reaches {t_quantile(n - 1):.3g} standard errors either side "
                 f"of the mean difference (Student t, {n - 1} degree{'s' if n > 2 else ''} of freedom): only a large "
                 f"effect can be resolved." + then)
    return text


def samples_conclusion(result: dict, seed: int = 0) -> str:
    """A grid of one seed's samples: that seed's final metric per method, so the eye has a number to check."""
    metric, per = result["metric"], result["per_method"]
    final = {m: p["final"][seed] for m, p in per.items() if len(p["final"]) > seed and p["final"][seed] is not None}
    if not final:
        return f"Seed {seed} has no finished run to compare."
    listed, low, high = ranked(final)
    if len(final) == 1:
        return f"Seed {seed}'s final {metric}: {listed}; the only finished run of this seed, nothing to compare."
    if low == high:
        order = f"the methods tie at the digits shown ({names(low)})"
    else:
        closest = f"{low[0]}'s samples are" if len(low) == 1 else f"the samples of {names(low)} (tied) are"
        farthest = f"{high[0]}'s" if len(high) == 1 else f"those of {names(high)} (tied)"
        order = f"{closest} the closest to the data and {farthest} the farthest"
    return (f"Seed {seed}'s final {metric}: {listed}. By this measure {order}; one seed's grid shows what the numbers "
            "mean, the curves over seeds say whether the order is real.")


def modes_conclusion(rows: list[dict]) -> str:
    """04's sample panels: the modes each generator covers (:func:`mode_table`) against the real data's;
    "none covers any" is told apart from "not all cover every one"."""
    if not rows:
        return "No data set with modes in this profile."
    parts = []
    for ds in dict.fromkeys(r["data"] for r in rows):
        mine = [r for r in rows if r["data"] == ds]
        real, gens = mine[0], mine[1:]
        name = {id(r): r["samples of"] for r in gens}
        full = [name[id(r)] for r in gens if r["covered"] >= real["covered"]]
        counts = ", ".join(f"{name[id(r)]} {r['covered']}" for r in gens)
        if not gens:
            note = ""
        elif all(r["covered"] == 0 for r in gens):
            hq = [r.get("high_quality") for r in gens if r.get("high_quality") is not None]
            note = (" (no generator covers any mode yet" + (
                f": at most {max(hq):.1%} of a generator's samples lie within {MODE_SDS:g} sd of a centre, so the "
                f"mass is still spread between the modes" if hq else "") + ")")
        elif len(full) == len(gens):
            note = " (every generator covers as many modes as the real data)"
        elif full:
            note = f" (as many as the real data: {names(full)})"
        else:
            note = " (none covers as many as the real data)"
        parts.append(f"{ds}: the real data covers {real['covered']}/{real['modes']} modes; {counts}{note}")
    return "Modes covered at the end, seed 0, 2,000 samples: " + "; ".join(parts) + "."


# ---------------------------------------------------------------------------------------------
# Theory checks (01-03): Kantorovich-Rubinstein in 1-D, Proposition 1 on a picture, the feedback loop
# ---------------------------------------------------------------------------------------------


def js_discrete(p, q) -> float:
    """Jensen-Shannon divergence (nats) of two probability vectors on the same points."""
    p, q = np.asarray(p, float) / np.sum(p), np.asarray(q, float) / np.sum(q)
    m = (p + q) / 2
    kl = lambda x: float(np.sum(x[x > 0] * np.log(x[x > 0] / m[x > 0])))  # noqa: E731
    return 0.5 * kl(p) + 0.5 * kl(q)


def w1_three_ways(p, q) -> dict:
    """W1 between two 1-D samples of the same size ``P`` (``p``) and ``Q`` (``q``), computed three ways:

    - primal: in 1-D the optimal coupling pairs the sorted points (the i-th smallest of ``p`` with the i-th
      smallest of ``q``), and :func:`ganlib.metrics.w1_exact`'s linear programme finds the same number;
    - the CDF formula ``W1 = integral |F_P(x) - F_Q(x)| dx`` (both CDFs are steps);
    - dual (Kantorovich-Rubinstein): ``E_P[f*] - E_Q[f*]`` with the 1-Lipschitz ``f*`` whose slope is
      ``sign(F_Q - F_P)`` (integration by parts: ``E_P f - E_Q f = integral f'(x) (F_Q - F_P)(x) dx``).

    >>> r = w1_three_ways([0, 2], [1, 4])
    >>> [round(r[k], 6) for k in ("primal", "linear programme", "CDF integral", "dual")]
    [1.5, 1.5, 1.5, 1.5]
    """
    p, q = np.sort(np.asarray(p, float)), np.sort(np.asarray(q, float))
    if p.shape != q.shape or p.ndim != 1:
        raise ValueError(f"two 1-D samples of the same size are needed; got shapes {p.shape} and {q.shape}")
    grid = np.unique(np.r_[p, q])
    cdf = lambda s, x: np.searchsorted(s, x, side="right") / len(s)  # noqa: E731
    fp, fq = cdf(p, grid[:-1]), cdf(q, grid[:-1])  # constant on [grid[i], grid[i+1])
    slope = np.sign(fq - fp)
    f_star = np.r_[0.0, np.cumsum(slope * np.diff(grid))]  # f* at the grid points (any constant can be added)
    f = lambda x: np.interp(x, grid, f_star)  # noqa: E731
    return {"primal": float(np.mean(np.abs(p - q))), "linear programme": w1_exact(p[:, None], q[:, None]),
            "CDF integral": float(np.sum(np.abs(fp - fq) * np.diff(grid))),
            "dual": float(f(p).mean() - f(q).mean()), "grid": grid, "f_star": f_star,
            "F_P": np.r_[fp, 1.0], "F_Q": np.r_[fq, 1.0]}


def proposition1_example(n=10, shift=(1.2, 0.6), seed=0) -> dict:
    """Proposition 1 on a case solved by hand: the generated points are the real ones translated by ``-shift``.

    Then ``f*(x) = <x, v>`` with ``v = shift / |shift|`` is an optimal critic (it is 1-Lipschitz and
    ``E_r f* - E_g f* = |shift|``, which no coupling beats), and the optimal coupling (POT's ``emd``) pairs each
    real point with its own translate: on every segment from a generated point (``eps = 0``) to its real
    partner (``eps = 1``), ``f*`` rises at slope exactly 1 and its gradient ``v`` points toward the real end.
    Returns ``real, fake, partner`` (index of each generated point's real partner in the optimal plan), ``v``,
    ``w1`` (the linear programme) and ``dual`` (``E_r f* - E_g f*``).
    """
    import ot

    rng = np.random.default_rng(seed)
    real = rng.normal(size=(n, 2)) * 0.45 + np.array([0.9, 0.3])
    v = np.asarray(shift, float)
    fake = real - v
    plan = ot.emd(np.full(n, 1 / n), np.full(n, 1 / n), ot.dist(fake, real, metric="euclidean"))
    v = v / np.linalg.norm(v)
    return {"real": real, "fake": fake, "partner": plan.argmax(1), "v": v, "w1": w1_exact(real, fake),
            "dual": float((real @ v).mean() - (fake @ v).mean())}


def feedback_slope(w1: float, d_ref: float, lambda_max: float, gamma: float = 1.0, lambda_min: float = 0.0) -> dict:
    """The loop of notebook 03, section 3, at its fixed point: the critic's estimate ``w = g W1`` with the
    slope ``g = 1 + W1 / (2 lambda)`` of the one-parameter model (:func:`penalty_optimum`), and ``lambda``
    ICVP's weight for that same estimate, ``lambda_min + (lambda_max - lambda_min) r^gamma``, ``r = min(w /
    d_ref, 1)``.  A smaller lambda raises the slope, which raises ``w``, ``r`` and so lambda again: a
    negative feedback with one fixed point (found by bisection).  With ``gamma = 1`` and ``lambda_min = 0``
    it is ``g = (1 + sqrt(1 + 2 d_ref / lambda_max)) / 2`` whatever ``W1`` (while ``r < 1``).

    >>> r = feedback_slope(0.2, d_ref=1.0, lambda_max=0.1)
    >>> round(r["g"], 4), round((1 + math.sqrt(1 + 2 * 1.0 / 0.1)) / 2, 4)
    (2.7913, 2.7913)
    """
    if w1 <= 0 or d_ref <= 0 or lambda_max <= 0:
        raise ValueError(f"W1, d_ref and lambda_max must be > 0; got {w1}, {d_ref}, {lambda_max}")

    def lam(w):
        return lambda_min + (lambda_max - lambda_min) * min(w / d_ref, 1.0) ** gamma

    def h(w):  # increasing in w: its root is the fixed point
        return w - w1 * (1.0 + w1 / (2.0 * lam(w)))

    lo, hi = w1, w1 * (1.0 + w1 / (2.0 * lam(w1)))  # h(lo) <= 0 <= h(hi)
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if h(mid) < 0 else (lo, mid)
    w = (lo + hi) / 2
    return {"W1": w1, "w": w, "g": w / w1, "r": min(w / d_ref, 1.0), "lambda": lam(w)}


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


# Four gradient penalties with one bug each (02, exercise 4): read each with print(teaching.source(...)),
# find its bug, and run check_gradient_penalty on it.  Each returns (penalty, x_hat).
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

