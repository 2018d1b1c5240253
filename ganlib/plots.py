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
