"""Sample grids as PNG files, written by the trainer without matplotlib (no pyplot in the training loop).

Images are tiled 8 to a row with torchvision's ``save_image``; 2-D points (the toy sets) are drawn as dots on a
fixed square of side ``2 * extent`` centred on 0 (the toy sets lie within about +-1.5), generated points in red
over the real ones in grey when those are given.  The notebooks' figures are drawn by ``ganlib.notebook.plots``.
"""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image, ImageDraw
from torchvision.utils import save_image


def _dots(draw, points: torch.Tensor, size: int, extent: float, colour) -> None:
    xy = ((points.detach().float().cpu().clamp(-extent, extent) + extent) / (2 * extent) * (size - 1)).tolist()
    for x, y in xy:
        draw.ellipse((x - 1.5, size - 1 - y - 1.5, x + 1.5, size - 1 - y + 1.5), fill=colour)


def save_samples(path, fake: torch.Tensor, real: torch.Tensor | None = None, size: int = 320,
                 extent: float = 2.5) -> Path:
    """Write ``fake`` (a batch of images ``(N, C, H, W)`` in ``[0, 1]``, or 2-D points ``(N, 2)``) as a PNG."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fake.dim() == 2:
        img = Image.new("RGB", (size, size), "white")
        draw = ImageDraw.Draw(img)
        if real is not None:
            _dots(draw, real, size, extent, (170, 170, 170))
        _dots(draw, fake, size, extent, (200, 30, 30))
        img.save(path)
    else:
        save_image(fake.detach().float().cpu()[:64], path, nrow=8, padding=2, pad_value=1.0)
    return path
