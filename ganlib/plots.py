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

    from .provenance import environment

    figures_dir = Path(figures_dir)
    figures_dir.mkdir(parents=True, exist_ok=True)
    record = {"figure": name, **provenance, **environment()}
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
    from .methods import gradient_norm, interpolation_point

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
