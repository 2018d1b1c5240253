"""Plotting: every figure the notebooks show is a function here."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt  # headless: matplotlib picks Agg by itself when there is no display
import torch


def scatter_samples(ax, fake, real=None, title=None, lim=2.2):
    """Toy 2-D: real points (orange) and generated points (blue)."""
    if real is not None:
        ax.scatter(real[:, 0], real[:, 1], s=2, c="tab:orange", alpha=0.5, label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="tab:blue", alpha=0.5, label="generated")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def image_grid(images: torch.Tensor, nrow: int = 8) -> torch.Tensor:
    """``(N, C, H, W)`` in ``[0, 1]`` -> one ``(H', W', C)`` array for ``imshow``."""
    from torchvision.utils import make_grid

    return make_grid(images.detach().cpu().clamp(0, 1), nrow=nrow, padding=1, pad_value=1.0).permute(1, 2, 0)


def show_images(ax, images, nrow=8, title=None):
    grid = image_grid(images, nrow)
    ax.imshow(grid.squeeze(-1) if grid.shape[-1] == 1 else grid, cmap="gray" if grid.shape[-1] == 1 else None)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def save_samples(path: Path, fake: torch.Tensor, real: torch.Tensor | None = None, title: str | None = None):
    """A sample grid (images) or scatter plot (toy) as a PNG file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fake.dim() == 2:
        fig, ax = plt.subplots(figsize=(4, 4))
        scatter_samples(ax, fake.cpu(), None if real is None else real.cpu(), title)
    else:
        fig, ax = plt.subplots(figsize=(5, 5))
        show_images(ax, fake, title=title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# Figures with provenance, and the figures of the numbered notebooks.
# ---------------------------------------------------------------------------------------------


def save_figure(fig, figures_dir, name: str, pdf: bool = True, **provenance) -> Path:
    """Save ``fig`` as ``name.png`` (and ``name.pdf``) with ``name.json`` recording how it was made.

    ``provenance`` should name the profile, iterations, seeds and data set; the environment (hardware,
    library versions, date, git commit) is added here.
    """
    import json

    from ..provenance import environment

    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    record = {"figure": name, **provenance, **environment()}
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    png = figures_dir / f"{name}.png"
    fig.savefig(png, dpi=120, bbox_inches="tight", metadata={"Description": json.dumps(record, default=str)})
    if pdf:
        fig.savefig(figures_dir / f"{name}.pdf", bbox_inches="tight")
    (figures_dir / f"{name}.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    return png


def metric_curves(ax, result: dict, metric: str | None = None, x: str = "iter"):
    """Mean and spread (one sd band) of a metric over seeds, one line per method, from compare's results."""
    import numpy as np

    metric = metric or result["metric"]
    for m, pm in result["per_method"].items():
        pts = sorted((int(k), v) for k, v in pm["curve"].items() if v["mean"] is not None)
        if not pts:
            continue
        it = np.array([p for p, _ in pts])
        mean = np.array([v["mean"] for _, v in pts])
        sd = np.array([v["sd"] for _, v in pts])
        (line,) = ax.plot(it, mean, marker="o", ms=3, label=m)
        ax.fill_between(it, mean - sd, mean + sd, color=line.get_color(), alpha=0.2)
    if result.get("threshold") is not None:
        ax.axhline(result["threshold"], color="k", ls=":", lw=1, label="threshold")
    ax.set_xlabel("generator iteration")
    ax.set_ylabel(metric)
    ax.legend(fontsize=7)
    return ax


def critic_contour(ax, critic, real, fake, lim=2.2, n=100, title=None):
    """Toy 2-D: the critic's value as contours, with real (orange) and generated (blue) points."""
    grid = torch.linspace(-lim, lim, n)
    xx, yy = torch.meshgrid(grid, grid, indexing="xy")
    device = next(critic.parameters()).device
    with torch.no_grad():
        zz = critic(torch.stack([xx.flatten(), yy.flatten()], 1).to(device)).view(n, n).cpu()
    ax.contourf(xx, yy, zz, levels=20, cmap="coolwarm", alpha=0.6)
    scatter_samples(ax, fake, real, title, lim)
    return ax


def weight_histogram(ax, module, clip_value=None, title=None):
    """Histogram of every weight of ``module``; with weight clipping, the bounds +-c as lines."""
    w = torch.cat([p.detach().flatten().cpu() for p in module.parameters()])
    ax.hist(w.numpy(), bins=60, color="tab:purple")
    if clip_value:
        for v in (-clip_value, clip_value):
            ax.axvline(v, color="k", ls=":", lw=1)
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    if title:
        ax.set_title(title)
    return ax


def grad_norm_hist(ax, critic, real, fake, title=None):
    """Distributions of ``||grad D||`` at real, generated and interpolated (eps ~ U[0,1]) points."""
    from ..methods import gradient_norm, interpolation_point

    with torch.random.fork_rng():
        torch.manual_seed(0)
        x_hat, _ = interpolation_point(real, fake, "uniform")
    for label, x in (("real", real), ("generated", fake), ("interpolated", x_hat)):
        norms = gradient_norm(critic, x).detach().cpu().numpy()
        ax.hist(norms, bins=40, alpha=0.5, label=label)
    ax.axvline(1.0, color="k", ls=":", lw=1)
    ax.set_xlabel("||grad D(x)||")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    return ax


def divergence_vs_shift(ax, d: dict, title=None):
    """JS and W1 between two parallel segments against their shift ``theta`` (``ganlib.notebook.teaching``)."""
    import math

    ax.plot(d["theta"], d["js"], marker="o", ms=3, color="tab:red", label="Jensen-Shannon (histograms)")
    ax.plot(d["theta"], d["w1"], marker="s", ms=3, color="tab:blue", label="W1 (exact, POT)")
    ax.axhline(math.log(2), color="tab:red", ls=":", lw=1, label="log 2")
    ax.axvspan(-d["bin_width"], d["bin_width"], color="0.85", lw=0, label="within one histogram bin")
    ax.set_xlabel("shift theta between P_0 = (0, Z) and P_theta = (theta, Z)")
    ax.set_ylabel("divergence / distance")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def schedule_traces(axes, rows: list, label=None):
    """ICVP's trace from a run's log rows: ``w_t`` and ``d_t``; ``r_t``; ``eps_t``; ``lambda_t``."""
    it = [r["iter"] for r in rows]
    axes[0].plot(it, [r["w_t"] for r in rows], lw=0.6, alpha=0.5, label=f"w_t {label or ''}")
    axes[0].plot(it, [r["d_t"] for r in rows], lw=1.2, label=f"d_t {label or ''}")
    axes[0].set_ylabel("distance")
    for ax, key in zip(axes[1:], ("r_t", "eps_t", "lambda_t")):
        ax.plot(it, [r[key] for r in rows], label=label)
        ax.set_ylabel(key)
    for ax in axes:
        ax.set_xlabel("generator iteration")
    axes[0].legend(fontsize=7)
    return axes


def sample_grid_over_time(fig, samples: dict, iterations: list, nrow=6):
    """Rows: methods; columns: generator iterations; each cell a grid of generated images."""
    methods = list(samples)
    axes = fig.subplots(len(methods), len(iterations), squeeze=False)
    for i, m in enumerate(methods):
        for j, it in enumerate(iterations):
            ax = axes[i][j]
            if it in samples[m]:
                show_images(ax, samples[m][it][: nrow * nrow], nrow=nrow)
            else:
                ax.axis("off")
            if i == 0:
                ax.set_title(f"iteration {it}", fontsize=8)
            if j == 0:
                ax.text(-0.08, 0.5, m, transform=ax.transAxes, rotation=90, va="center", ha="right", fontsize=8)
    return axes


# ---------------------------------------------------------------------------------------------
# The lambda-schedule explorer (ganlib.notebook.widgets, notebook 07).  Both take a matplotlib Figure
# (pyplot-free, so that a background thread can redraw) and return the artists they drew.
# ---------------------------------------------------------------------------------------------


def interpolation_segments(ax, traces: dict, steps, interpolation="deterministic", highlight=0):
    """Where ``x_hat`` falls between a fake sample (0) and a real one (1) at the critic steps ``steps``.

    One row per step: WGAN-GP's ``eps ~ U[0, 1]`` as the whole (grey) segment, ICVP's ``eps_t`` as a
    point (``deterministic``) or ``[1 - r_t, 1]`` as an interval (``band``).  Row ``highlight`` is
    drawn in bold (the explorer's cursor).  Returns a list of ``(t, artist)``.
    """
    out = []
    for i, t in enumerate(steps):
        y = -i
        ax.plot([0, 1], [y, y], color="0.6", lw=9, alpha=0.35, solid_capstyle="butt",
                label="WGAN-GP: eps ~ U[0, 1]" if i == 0 else None)
        ax.plot([0], [y], "o", color="tab:blue", ms=5)
        ax.plot([1], [y], "o", color="tab:orange", ms=5)
        if interpolation == "band":
            art = ax.plot([traces["eps_lo"][t], traces["eps_hi"][t]], [y, y], color="tab:red", lw=5,
                          solid_capstyle="butt", label="ICVP band: eps ~ U[1 - r_t, 1]" if i == 0 else None)[0]
        else:
            art = ax.plot([traces["eps_t"][t]], [y], "D", color="tab:red", ms=8,
                          label="ICVP: eps_t = 1 - r_t" if i == 0 else None)[0]
        out.append((int(t), art))
    ax.set_yticks([-i for i in range(len(steps))],
                  [f"{'> ' if i == highlight else ''}t={int(t)}: r_t={traces['r_t'][t]:.2f}"
                   for i, t in enumerate(steps)], fontsize=8)
    ax.get_yticklabels()[highlight].set_fontweight("bold")
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-len(steps) + 0.4, 0.8)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0\nfake", "0.25", "0.5", "0.75", "1\nreal"])
    ax.set_xlabel("interpolation coefficient eps:  x_hat = eps * x_real + (1 - eps) * x_fake")
    ax.set_title("where the penalty's points x_hat lie (blue: a fake sample, orange: a real one)", fontsize=9)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return out


def schedule_figure(traces: dict, interpolation="deterministic", marks=(), fig=None, title=None) -> dict:
    """The explorer's figure: ``w_t, d_t``; ``r_t``; ``eps_t``; ``lambda_t``; where ``x_hat`` falls.

    ``traces`` is the output of :func:`ganlib.notebook.widgets.schedule_traces`; ``marks`` are critic steps
    drawn as vertical lines and as rows of :func:`interpolation_segments` (the first one bold).
    Returns the artists, by name: ``w_t, d_t, d_ref, r_t, eps_t, band`` (``None`` unless band mode),
    ``lambda_t, lambda_wgan_gp``, ``lambda_agp`` (agp's controller on the same trace, on the lambda panel's
    right axis; ``None`` if ``traces`` has none), ``segments`` and ``axes``.
    """
    import matplotlib.figure
    import numpy as np

    fig = fig or matplotlib.figure.Figure(figsize=(11, 8.5), layout="constrained")
    gs = fig.add_gridspec(3, 2, height_ratios=[1, 1, 1.15])
    ax_w, ax_r = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])
    ax_e, ax_l = fig.add_subplot(gs[1, 0], sharex=ax_w), fig.add_subplot(gs[1, 1], sharex=ax_w)
    ax_r.sharex(ax_w)
    ax_s = fig.add_subplot(gs[2, :])
    t, a = traces["t"], {}
    a["w_t"] = ax_w.plot(t, traces["w_t"], lw=0.5, alpha=0.45, color="0.4", label="w_t: critic's W1 estimate")[0]
    a["d_t"] = ax_w.plot(t, traces["d_t"], lw=1.5, color="tab:blue", label="d_t: EMA of w_t")[0]
    a["d_ref"] = ax_w.plot(t, traces["d_ref"], lw=1.2, ls="--", color="tab:purple",
                           label="d_ref: running max of d_t")[0]
    ax_w.set_title("1-3. distance signal w_t, smoothed d_t and reference d_ref", fontsize=9)
    # Scale to what r_t is measured against (d_ref), so that a transient in the warm-up does not
    # flatten the rest; say so when something is off the scale.
    after = traces["w_t"][~traces["in_warmup"]]
    d_ref = traces["d_ref"][np.isfinite(traces["d_ref"])]
    top = 1.3 * max(float(d_ref.max()) if len(d_ref) else 0.0,
                    float(np.percentile(after if len(after) else traces["w_t"], 99)), 1e-12)
    low = min(0.0, float(np.percentile(traces["w_t"], 1))) - 0.03 * top
    ax_w.set_ylim(low, top)
    if traces["w_t"].max() > top:
        ax_w.text(0.02, 0.96, f"w_t peaks at {traces['w_t'].max():.3g} (off the scale)", transform=ax_w.transAxes,
                  fontsize=7, va="top")
    a["r_t"] = ax_r.plot(t, traces["r_t"], color="tab:green", label="r_t = clip(d_t / d_ref, 0, 1)")[0]
    ax_r.set_ylim(-0.03, 1.05)
    ax_r.set_title("3. normalised distance r_t (1: as far apart as ever, 0: met)", fontsize=9)
    band = interpolation == "band"
    a["band"] = (ax_e.fill_between(t, traces["eps_lo"], traces["eps_hi"], color="tab:red", alpha=0.25, lw=0,
                                   label="band: eps ~ U[1 - r_t, 1]") if band else None)
    a["eps_t"] = ax_e.plot(t, traces["eps_t"], color="tab:red", lw=1.2,
                           label="lower edge 1 - r_t" if band else "eps_t = 1 - r_t")[0]
    ax_e.axhspan(0, 1, color="0.6", alpha=0.08, lw=0, label="WGAN-GP: eps ~ U[0, 1]")
    ax_e.set_ylim(-0.03, 1.03)
    ax_e.set_yticks([0, 0.5, 1], ["0 fake", "0.5", "1 real"])
    ax_e.set_title("4. interpolation coefficient eps_t", fontsize=9)
    a["lambda_wgan_gp"] = ax_l.plot(t, traces["lambda_wgan_gp"], ls="--", color="0.3",
                                    label="WGAN-GP: constant lambda = lambda_max")[0]
    a["lambda_t"] = ax_l.plot(t, traces["lambda_t"], color="tab:orange", lw=1.5, label="lambda_t")[0]
    top = max(float(traces["lambda_wgan_gp"].max()), float(traces["lambda_t"].max()), 1e-12)
    ax_l.set_ylim(-0.03 * top, 1.08 * top)
    ax_l.set_title("5. penalty coefficient lambda_t", fontsize=9)
    a["lambda_agp"] = None
    if "lambda_agp" in traces:  # agp's PI controller (ganlib.relatives) on its own scale: it may rise 10-fold
        ax_a = ax_l.twinx()
        a["lambda_agp"] = ax_a.plot(t, traces["lambda_agp"], color="tab:cyan", lw=1.2, ls="-.",
                                    label="agp: PI controller's lambda_t (right axis)")[0]
        ax_a.set_ylim(0, 1.08 * max(float(traces["lambda_agp"].max()), 1e-12))
        ax_a.tick_params(labelsize=7, colors="tab:cyan")
        ax_a.legend(fontsize=7, loc="center right")
    for ax in (ax_w, ax_r, ax_e, ax_l):
        if traces["in_warmup"].any():
            ax.axvspan(0, int(traces["in_warmup"].sum()), color="gold", alpha=0.15, lw=0,
                       label="warm-up T_w (r_t = 1)")
        for i, m in enumerate(marks):
            ax.axvline(m, color="k", lw=0.9 if i == 0 else 0.5, ls="-" if i == 0 else ":", alpha=0.6)
        ax.set_xlabel("critic step t", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.legend(fontsize=7, loc="best")
    a["segments"] = interpolation_segments(ax_s, traces, list(marks), interpolation, highlight=0)
    a["axes"] = {"w": ax_w, "r": ax_r, "eps": ax_e, "lambda": ax_l, "segments": ax_s}
    if title:
        fig.suptitle(title, fontsize=9)
    return a


def training_comparison_figure(results: dict, fig=None) -> dict:
    """The explorer's training panel: samples of ICVP and its baseline, their exact W1, ICVP's own schedule.

    ``results`` as filled by :meth:`ganlib.notebook.widgets.LambdaExplorer.train`: ``real`` (points), ``floor``
    (real-vs-real W1), ``baseline`` (the method ICVP is compared with; ``wgan-gp`` if absent) and, per
    method, ``iters, w1, samples, log``.  Returns the artists by name: ``scatter`` and ``w1`` (dicts by
    method), ``floor``, ``r_t``, ``lambda_t``, ``lambda_agp`` (agp's logged lambda_t when agp is the
    baseline), ``axes``.
    """
    import matplotlib.figure

    fig = fig or matplotlib.figure.Figure(figsize=(13, 3.4), layout="constrained")
    axes = fig.subplots(1, 4)
    a = {"scatter": {}, "w1": {}, "floor": None, "r_t": None, "lambda_t": None, "lambda_agp": None, "axes": axes}
    real = results.get("real")
    base = results.get("baseline") or "wgan-gp"
    colors = {"icvp": "tab:red", "wgan-gp": "0.3", "agp": "tab:cyan"}
    for ax, name in zip(axes[:2], ("icvp", base)):
        res = results.get(name)
        if res is None or res.get("samples") is None:
            ax.set_title(f"{name}: not trained yet", fontsize=9)
            ax.set_xticks([]), ax.set_yticks([])
            continue
        scatter_samples(ax, res["samples"], real, title=f"{name}, iteration {res['iters'][-1]} (orange: real)")
        a["scatter"][name] = ax.collections[-1]
        ax.tick_params(labelsize=7)
        ax.title.set_fontsize(9)
    ax = axes[2]
    for name in ("icvp", base):
        res = results.get(name)
        if res and res["iters"]:
            a["w1"][name] = ax.plot(res["iters"], res["w1"], color=colors.get(name, "tab:blue"), marker=".", ms=3,
                                    label=name)[0]
    if results.get("floor") is not None:
        a["floor"] = ax.axhline(results["floor"], color="tab:green", ls=":", label="real vs real (floor)")
    ax.set_xlabel("generator iteration", fontsize=8)
    ax.set_ylabel("exact W1 (500 points)", fontsize=8)
    ax.set_title("exact W1 to the data (lower is better)", fontsize=9)
    ax.tick_params(labelsize=7)
    if a["w1"] or a["floor"] is not None:
        ax.legend(fontsize=7)
    else:  # the placeholder shown before the first training
        ax.text(0.5, 0.5, "press train: the curves appear here", ha="center", va="center", fontsize=8,
                transform=ax.transAxes, color="0.4")
    ax = axes[3]
    res = results.get("icvp")
    top = 1.05
    if res and res["log"] and res["log"][0].get("r_t") is not None:
        it = [r["iter"] for r in res["log"]]
        lmax = res.get("lambda_max") or 1.0
        a["lambda_t"] = ax.plot(it, [r["lambda_t"] / lmax for r in res["log"]], color="tab:orange", lw=2.5,
                                alpha=0.6, label="lambda_t / lambda_max")[0]
        a["r_t"] = ax.plot(it, [r["r_t"] for r in res["log"]], color="tab:green", lw=0.9, ls="--", label="r_t")[0]
    agp = results.get("agp") if base == "agp" else None
    if agp and agp["log"] and agp["log"][0].get("lambda_t") is not None:
        lam = [r["lambda_t"] / (agp.get("lambda_max") or 1.0) for r in agp["log"]]
        a["lambda_agp"] = ax.plot([r["iter"] for r in agp["log"]], lam, color="tab:cyan", lw=1.5, ls="-.",
                                  label="agp: lambda_t / lambda_max")[0]
        top = max(top, 1.05 * max(lam))
    if a["lambda_t"] is not None or a["lambda_agp"] is not None:
        ax.set_ylim(-0.03, top)
        ax.legend(fontsize=7)
    ax.set_xlabel("generator iteration", fontsize=8)
    ax.set_title("ICVP's schedule and agp's lambda_t (logged)" if a["lambda_agp"] else
                 "the ICVP run's own schedule (logged)", fontsize=9)
    ax.tick_params(labelsize=7)
    return a


# ---------------------------------------------------------------------------------------------
# Sweeps and the tuning study (ganlib.harness.sweep summaries)
# ---------------------------------------------------------------------------------------------


def _param_label(params: dict, skip=()) -> str:
    return ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()
                     if k not in skip) or "base"


def sweep_bars(ax, summary: dict, title=None, skip=(), labels=None):
    """Each configuration of a sweep: mean ± sd over seeds (bar), each seed a dot; failed runs counted in red."""
    configs = summary["configs"]
    for i, c in enumerate(configs):
        if c["mean"] is not None:
            ax.errorbar([i], [c["mean"]], yerr=[c["sd"] or 0.0], fmt="s", color="tab:blue", ms=5, capsize=4)
        ax.scatter([i] * len(c["scores"]), c["scores"], s=9, color="k", alpha=0.6, zorder=3)
        bad = c["diverged"] + c["failed"]
        if bad:
            ax.text(i, 0.02, f"{bad}/{c['seeds']} failed", ha="center", va="bottom", fontsize=6, color="tab:red",
                    transform=ax.get_xaxis_transform())
    ax.set_xticks(range(len(configs)))
    ax.set_xticklabels(labels or [_param_label(c["params"], skip) for c in configs], rotation=30, ha="right",
                       fontsize=7)
    ax.set_xlim(-0.5, len(configs) - 0.5)
    ax.set_ylabel(f"final {summary['metric']} (lower is better)", fontsize=8)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def sensitivity_curves(ax, summary: dict, x: str, by: str = "method", logx: bool = True):
    """Final metric against the swept field ``x``, one line per value of ``by``: mean ± sd over seeds.

    A red cross on the top edge marks an ``x`` where some runs of that line diverged or failed.
    """
    import numpy as np

    groups = {}
    for c in summary["configs"]:
        groups.setdefault(c["settings"].get(by), []).append(c)
    for k, cs in groups.items():
        cs = sorted(cs, key=lambda c: c["settings"][x])
        ok = [c for c in cs if c["mean"] is not None]
        xs = np.array([c["settings"][x] for c in ok], float)
        m = np.array([c["mean"] for c in ok], float)
        s = np.array([c["sd"] for c in ok], float)
        line, = ax.plot(xs, m, marker="o", ms=3, label=str(k))
        ax.fill_between(xs, m - s, m + s, color=line.get_color(), alpha=0.15)
        for c in cs:
            if c["diverged"] + c["failed"]:
                ax.plot([c["settings"][x]], [1.0], marker="x", color="tab:red", transform=ax.get_xaxis_transform(),
                        clip_on=False)
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel(f"final {summary['metric']}")
    ax.legend(fontsize=7, title=by, title_fontsize=7)
    return ax


def sensitivity_heatmap(ax, summary: dict, x: str, y: str = "method", cmap="viridis"):
    """Mean final metric for every (``y``, ``x``) pair; each cell also shows the sd and failed runs."""
    import numpy as np

    xs = sorted({c["settings"][x] for c in summary["configs"]})
    ys = list(dict.fromkeys(c["settings"].get(y) for c in summary["configs"]))
    grid = np.full((len(ys), len(xs)), np.nan)
    for c in summary["configs"]:
        i, j = ys.index(c["settings"].get(y)), xs.index(c["settings"][x])
        if c["mean"] is not None:
            grid[i, j] = c["mean"]
    im = ax.imshow(grid, cmap=cmap, aspect="auto")
    for c in summary["configs"]:
        i, j = ys.index(c["settings"].get(y)), xs.index(c["settings"][x])
        bad = c["diverged"] + c["failed"]
        text = (f"{c['mean']:.3g}\n±{c['sd']:.2g}" if c["mean"] is not None else "n/a") + \
            (f"\n{bad}/{c['seeds']} failed" if bad else "")
        dark = c["mean"] is None or im.norm(c["mean"]) < 0.5  # viridis: dark at the low end
        ax.text(j, i, text, ha="center", va="center", fontsize=6, color="w" if dark else "k")
    ax.set_xticks(range(len(xs)))
    ax.set_xticklabels([f"{v:.3g}" if isinstance(v, float) else str(v) for v in xs], fontsize=7)
    ax.set_yticks(range(len(ys)))
    ax.set_yticklabels([str(v) for v in ys], fontsize=7)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(im, ax=ax, label=f"final {summary['metric']} (mean over seeds)")
    return ax


def divergence_share(ax, methods: dict, title=None):
    """Share of runs that diverged (and that failed otherwise) per method, with counts."""
    names = list(methods)
    div = [methods[m]["diverged"] / methods[m]["runs"] if methods[m]["runs"] else 0.0 for m in names]
    fail = [methods[m]["failed"] / methods[m]["runs"] if methods[m]["runs"] else 0.0 for m in names]
    ax.bar(names, div, color="tab:red", alpha=0.7, label="diverged")
    ax.bar(names, fail, bottom=div, color="tab:gray", alpha=0.7, label="failed otherwise")
    for i, m in enumerate(names):
        ax.text(i, div[i] + fail[i], f"{methods[m]['diverged']}/{methods[m]['runs']}", ha="center", va="bottom",
                fontsize=7)
    ax.set_ylim(0, 1.1)
    ax.set_ylabel("share of runs")
    ax.tick_params(axis="x", labelsize=7)
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def tips_figure(tips: list, ncols: int = 4):
    """One small :func:`sweep_bars` panel per tested tip (``ganlib.harness.tuning.run_tips`` results)."""
    n = len(tips)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4 * ncols, 3.4 * nrows), squeeze=False)
    for ax, t in zip(axes.flat, tips):
        verdicts = ", ".join(v["verdict"] for v in t["verdicts"])
        sweep_bars(ax, t["summary"], title=f"{t['id']}: {verdicts}", labels=t.get("labels"))
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def w1_cdf_figure(axes, r: dict, title=None):
    """01, Kantorovich-Rubinstein in 1-D (:func:`ganlib.notebook.teaching.w1_three_ways`): left, the two CDFs with the
    area between them shaded (W1); right, the optimal critic f*, slope +-1, rising where F_Q lies above F_P."""
    grid, fp, fq = r["grid"], r["F_P"], r["F_Q"]
    ax = axes[0]
    ax.step(grid, fp, where="post", color="tab:orange", label="F_P (real)")
    ax.step(grid, fq, where="post", color="tab:blue", label="F_Q (generated)")
    ax.fill_between(grid, fp, fq, step="post", color="0.8", label=f"area = W1 = {r['CDF integral']:.3g}")
    ax.set_xlabel("x")
    ax.legend(fontsize=7)
    ax.set_title(title or "W1 = integral of |F_P - F_Q|")
    ax = axes[1]
    ax.plot(grid, r["f_star"], "k-o", ms=3)
    ax.set_xlabel("x")
    ax.set_title(f"the optimal critic f*: E_P f* - E_Q f* = {r['dual']:.3g}")
    return axes


def proposition1_figure(ax, ex: dict, title=None):
    """02, Proposition 1 (:func:`ganlib.notebook.teaching.proposition1_example`): the optimal critic's contours, the
    optimal coupling's segments from each generated point (eps = 0) to its real partner (eps = 1), and the
    critic's gradient, of norm 1, at points of the segments, pointing toward the real end."""
    import numpy as np

    real, fake, v = ex["real"], ex["fake"], ex["v"]
    pts = np.r_[real, fake]
    lo, hi = pts.min(0) - 0.4, pts.max(0) + 0.4
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60))
    cs = ax.contour(gx, gy, gx * v[0] + gy * v[1], levels=12, colors="0.75", linewidths=0.7)
    ax.clabel(cs, fontsize=6, fmt="%.1f")
    for i, j in enumerate(ex["partner"]):
        ax.plot([fake[i, 0], real[j, 0]], [fake[i, 1], real[j, 1]], color="0.5", lw=0.8)
        for t in (0.25, 0.5, 0.75):  # x_t = t x + (1 - t) x~: eps = t of the way to the real end
            p = t * real[j] + (1 - t) * fake[i]
            ax.annotate("", xy=p + 0.22 * v, xytext=p, arrowprops=dict(arrowstyle="->", color="tab:green", lw=1))
    ax.scatter(*fake.T, c="tab:blue", s=18, label="generated x~ (eps = 0)", zorder=3)
    ax.scatter(*real.T, c="tab:orange", s=18, label="real x (eps = 1)", zorder=3)
    ax.plot([], [], color="tab:green", label="grad f* (norm 1)")
    ax.set_aspect("equal")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(title or "Proposition 1: slope 1 along the coupled segments")
    return ax
