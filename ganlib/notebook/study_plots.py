"""The figures of a study (notebook 09), drawn from its stored results alone: no training, no checkpoints.

Every band is the 95% Student-t interval of the mean over seeds at that evaluation point; the verdicts
themselves are on paired differences (``ganlib.stats.decide``), drawn by :func:`paired_figure`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..stats import CONFIDENCE, Verdict, t_half_width

COLOURS = {"wgan": "tab:gray", "wgan-gp": "tab:blue", "icvp": "tab:red", "icvp-eps": "tab:orange",
           "icvp-lambda": "tab:purple", "wgan-lp": "tab:green", "dragan": "tab:brown", "r1": "tab:pink",
           "zero-gp": "tab:olive", "agp": "tab:cyan",  # the relatives (ganlib.relatives) too
           "icvp-band": "teal", "icvp-slope": "goldenrod", "icvp-lmin1": "slategray", "icvp-gamma0.5": "magenta",
           "icvp-refmean": "darkkhaki", "icvp-refdecay": "sienna"}  # the readings of section 2 (notebook 10)


def mean_band(curve: dict, confidence: float = CONFIDENCE):
    """``(iterations, mean, low, high)`` arrays from a summarised curve ``{iter: {mean, sd, n}}``."""
    pts = sorted((int(k), v) for k, v in curve.items() if v["mean"] is not None)
    x = np.array([p for p, _ in pts], float)
    mean = np.array([v["mean"] for _, v in pts], float)
    half = np.array([t_half_width(v["sd"], v["n"], confidence) if v["n"] > 1 else 0.0 for _, v in pts])
    return x, mean, mean - half, mean + half


def curves(ax, result: dict, methods=None, metric_label=None, logy=False):
    """Mean metric over seeds with its 95% band, one line per method."""
    for m in methods or result["methods"]:
        n = max((v["n"] for v in result["per_method"][m]["curve"].values()), default=0)  # runs stored
        if not n:
            continue  # nothing stored yet: no line, no legend entry
        x, mean, lo, hi = mean_band(result["per_method"][m]["curve"])
        style = "--" if m in ("icvp-eps", "icvp-lambda") else "-"
        ax.plot(x, mean, style, color=COLOURS.get(m), label=f"{m} ({n} seed{'' if n == 1 else 's'})")
        ax.fill_between(x, lo, hi, color=COLOURS.get(m), alpha=0.18, linewidth=0)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel(metric_label or result["metric"])
    if logy:
        ax.set_yscale("log")
    ax.legend(fontsize=7)


def budget_figure(summaries: dict, parts=("toy-lambda10", "toy-lambda0.1"), mark: int | None = None):
    """The budget dependence: exact W1 against generator iterations, with a short study's budget marked."""
    import matplotlib.pyplot as plt

    parts = [p for p in parts if p in summaries]
    fig, axes = plt.subplots(1, len(parts), figsize=(5.2 * len(parts), 3.8), squeeze=False)
    for ax, name in zip(axes[0], parts):
        r = summaries[name]
        curves(ax, r, logy=True, metric_label="exact W1 (log scale)")
        lam = r.get("part", {}).get("overrides", {}).get("lambda_max")
        ax.set_title(f"{r['dataset']}, lambda_max {lam}: {r['iters']} generator iterations", fontsize=9)
        if mark is not None and mark <= r["iters"]:
            ax.axvline(mark, color="k", lw=0.8, ls=":")
            ax.text(mark, ax.get_ylim()[1], f" tuning study's budget ({mark})", fontsize=7, va="top")
    return fig


def paired_figure(summaries: dict, only=None):
    """Per comparison: each seed's AUC difference (icvp minus baseline), the mean with its 95% interval, and
    the practical margin +-delta (shaded).  Left of 0: icvp faster.  ``only(part, a, b)``: which comparisons to
    draw (default: all)."""
    import matplotlib.pyplot as plt

    rows = [(name, comp, v["auc"], r["delta"]) for name, r in summaries.items() for comp, v in r["paired"].items()
            if v["auc"]["n"]  # a comparison with no complete pair yet has nothing to draw
            and (only is None or only(name, v["a"], v["b"]))]
    fig, axes = plt.subplots(max(len(rows), 1), 1, figsize=(6.5, 0.9 + 0.75 * len(rows)), squeeze=False)
    for ax, (name, comp, v, delta) in zip(axes[:, 0], rows):
        d = [x for x in v["diffs"] if x is not None]
        ax.axvspan(-delta, delta, color="tab:green", alpha=0.15, lw=0)
        ax.axvline(0, color="k", lw=0.8)
        ax.plot(d, np.zeros(len(d)), "o", color="tab:gray", ms=4, alpha=0.8)
        if v["low"] is not None:
            ax.errorbar([v["mean"]], [0], xerr=[[v["mean"] - v["low"]], [v["high"] - v["mean"]]], fmt="D",
                        color="k", capsize=4)
        ax.set_yticks([])
        ax.set_ylabel(f"{name}\n{comp}", rotation=0, ha="right", va="center", fontsize=7)
        verdict = Verdict.from_dict(v).word()
        ax.set_title(verdict, fontsize=8, loc="right")
        lim = max([abs(x) for x in d] + [abs(v["low"] or 0), abs(v["high"] or 0), delta]) * 1.15 or 1.0
        ax.set_xlim(-lim, lim)
    axes[-1, 0].set_xlabel("difference of the area under the metric curve (first minus second; "
                           "negative = the first faster)", fontsize=8)
    return fig


def placement_figure(summaries: dict, parts, baseline: str = "wgan-gp", methods=None):
    """Every method against ``baseline``, one panel per part: the mean paired AUC difference with its 95% interval
    (a dot alone where there is no interval yet), the practical margin shaded; methods with no complete pair are
    named as pending.  Left of 0: faster than the baseline."""
    import matplotlib.pyplot as plt

    parts = [p for p in parts if p in summaries]
    fig, axes = plt.subplots(1, max(len(parts), 1), figsize=(5.6 * max(len(parts), 1), 4.2), squeeze=False)
    for ax, name in zip(axes[0], parts):
        r = summaries[name]
        rows = [(v["a"], v["auc"]) for v in r["paired"].values()
                if v["b"] == baseline and (methods is None or v["a"] in methods)]
        done = [(m, a) for m, a in rows if a["n"]]
        pending = [m for m, a in rows if not a["n"]]
        ax.axvspan(-r["delta"], r["delta"], color="tab:green", alpha=0.15, lw=0)
        ax.axvline(0, color="k", lw=0.8)
        for y, (m, a) in enumerate(done):
            colour = COLOURS.get(m, "k")
            if a["low"] is not None:
                ax.errorbar([a["mean"]], [y], xerr=[[a["mean"] - a["low"]], [a["high"] - a["mean"]]], fmt="o",
                            color=colour, capsize=3)
            else:
                ax.plot([a["mean"]], [y], "o", mfc="none", color=colour)
        ax.set_yticks(range(len(done)))
        ax.set_yticklabels([f"{m} ({a['n']} pairs)" for m, a in done], fontsize=8)
        ax.set_title(f"{name}: {r['metric']} AUC, method minus {baseline}", fontsize=9)
        ax.set_xlabel(f"negative = faster than {baseline}", fontsize=8)
        if pending:
            ax.text(0.01, 0.01, "pending: " + ", ".join(pending), transform=ax.transAxes, fontsize=7, va="bottom",
                    wrap=True)
    return fig


def samples_figure(part_folder, methods, seed: int = 0):
    """The stored last sample grid of each method's run ``seed`` (written by the trainer at the end)."""
    import matplotlib.pyplot as plt

    found = []
    for m in methods:
        grids = sorted(Path(part_folder, "runs", f"{m}-seed{seed}", "samples").glob("iter_*.png"))
        if grids:
            found.append((m, grids[-1]))
    fig, axes = plt.subplots(1, max(len(found), 1), figsize=(3.2 * max(len(found), 1), 3.4), squeeze=False)
    for ax, (m, path) in zip(axes[0], found):
        ax.imshow(plt.imread(path))
        ax.set_title(f"{m}, seed {seed}, iteration {int(path.stem.split('_')[1])}", fontsize=8)
    for ax in axes[0]:
        ax.axis("off")
    return fig
