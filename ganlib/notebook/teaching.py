"""What notebooks 01-03 and 07 teach with: the critic losses on screen, the small numeric demonstrations of the
theory, and a conclusion for every figure of a single run, computed from that run's numbers; and :func:`table`, the
markdown table every notebook prints.

Every conclusion is a plain sentence built from measured values, so that it stays true under every
profile; where the run is too short to show what the figure is meant to show, the sentence says so.
The theory behind them is in ``docs/METHOD.md`` section 8.  The conclusions of the comparisons (04-07, 09) are in
:mod:`ganlib.notebook.conclusions`, the exercises' solutions in :mod:`ganlib.notebook.exercises`.

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

import numpy as np
import torch

from .. import methods as M
from ..metrics import w1_exact

AT_BOUND = 0.99  # a clipped weight counts as "at the bound" when |w| >= AT_BOUND * c
SLOPE_TOLERANCE = 0.1  # "pinned to 1": the median gradient norm within 10% of 1
AGREEMENT = 0.25  # the slope model explains a run when measured and predicted slopes differ by < 25%
NEAR_ONE = 0.9  # r_t that never fell below this: ICVP did not move away from its start


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
