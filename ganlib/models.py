"""Generators and critics.

- Toy 2-D: MLPs as in the WGAN-GP toy code (3 hidden layers of 512, ReLU).
- Images: DCGAN-style networks for 28x28 (1 channel), 32x32 and 64x64 (any channels), with the
  options the tuning study needs (activation, generator norm, critic norm, dropout, spectral norm).

Generators end in a sigmoid: images live in ``[0, 1]`` (see :mod:`ganlib.data`).
A gradient-penalty critic must not use batch norm (the penalty is per sample, METHOD.md section 3):
:func:`build_models` refuses that combination.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn

ACTIVATIONS = ("relu", "leaky_relu", "tanh")
G_NORMS = ("batch", "none")
D_NORMS = ("none", "layer", "batch")


def activation(name: str) -> nn.Module:
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2)
    if name == "tanh":
        return nn.Tanh()
    raise ValueError(f"unknown activation {name!r}; accepted: {', '.join(ACTIVATIONS)}")


def _norm2d(kind: str, channels: int) -> nn.Module:
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # normalises each sample over (C, H, W): safe with a per-sample penalty
    return nn.Identity()


NOISES = ("normal", "uniform")


def latents(n: int, dim: int, law: str = "normal", device="cpu", generator=None) -> torch.Tensor:
    """``n`` latent vectors of size ``dim`` from the run's noise law: ``normal`` N(0, I) or ``uniform`` U[-1, 1]."""
    if law == "uniform":
        return torch.rand(n, dim, device=device, generator=generator) * 2 - 1
    if law != "normal":
        raise ValueError(f"unknown noise {law!r}; accepted: {', '.join(NOISES)}")
    return torch.randn(n, dim, device=device, generator=generator)


class LatentMixin:
    """A generator knows its input: ``latent_dim`` and the noise law it is trained on (``noise``).

    Every consumer (training, sample grids, metrics, sweeps, ``ganlib evaluate``, the teaching helpers)
    draws through :meth:`sample_z`, so a generator is never scored on inputs it never saw.
    """

    latent_dim: int
    noise: str = "normal"

    def sample_z(self, n: int, generator=None, device="cpu") -> torch.Tensor:
        return latents(n, self.latent_dim, self.noise, device, generator)


class MLPGenerator(LatentMixin, nn.Module):
    def __init__(self, latent_dim=2, width=512, out_dim=2, act="relu"):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, width), activation(act),
            nn.Linear(width, width), activation(act),
            nn.Linear(width, width), activation(act),
            nn.Linear(width, out_dim),
        )

    def forward(self, z):
        return self.net(z)


class MLPCritic(nn.Module):
    def __init__(self, in_dim=2, width=512, act="relu", dropout=0.0, sn=False):
        super().__init__()
        wrap = _sn if sn else (lambda m: m)
        layers, d = [], in_dim
        for _ in range(3):
            layers += [wrap(nn.Linear(d, width)), activation(act)] + ([nn.Dropout(dropout)] if dropout else [])
            d = width
        self.net = nn.Sequential(*layers, wrap(nn.Linear(width, 1)))

    def forward(self, x):
        return self.net(x).squeeze(1)


def _stages(size: int) -> int:
    """Number of stride-2 stages between 4x4 and the image (28 counts as 32 with a 7x7 crop)."""
    stages = {28: 3, 32: 3, 64: 4}
    if size not in stages:
        raise ValueError(f"image size {size} is not supported; accepted: {', '.join(map(str, stages))}")
    return stages[size]


class DCGANGenerator(LatentMixin, nn.Module):
    """Linear to ``4x4``, then stride-2 transposed convolutions, each doubling the size."""

    def __init__(self, size=28, channels=1, latent_dim=128, width=64, act="relu", norm="batch"):
        super().__init__()
        self.latent_dim, self.size = latent_dim, size
        n = _stages(size)
        ch = [width * 2 ** (n - 1 - i) for i in range(n)] + [channels]  # e.g. 4W, 2W, W, C
        self.fc = nn.Sequential(nn.Linear(latent_dim, ch[0] * 16), nn.BatchNorm1d(ch[0] * 16) if norm == "batch"
                                else nn.Identity(), activation(act))
        blocks = []
        for i in range(n):
            blocks.append(nn.ConvTranspose2d(ch[i], ch[i + 1], 4, 2, 1))
            if i < n - 1:
                blocks += [_norm2d(norm, ch[i + 1]), activation(act)]
        self.blocks = nn.ModuleList(blocks)
        self.ch0 = ch[0]

    def forward(self, z):
        x = self.fc(z).view(-1, self.ch0, 4, 4)
        for m in self.blocks:
            x = m(x)
            if self.size == 28 and x.shape[-1] == 8:
                x = x[:, :, :7, :7]  # 4 -> 8 -> crop 7 -> 14 -> 28, as in the MNIST reference
        return torch.sigmoid(x)


class DCGANCritic(nn.Module):
    """Stride-2 5x5 convolutions with LeakyReLU 0.2 (METHOD.md section 3), then a linear output."""

    def __init__(self, size=28, channels=1, width=64, act="leaky_relu", norm="none", dropout=0.0, sn=False):
        super().__init__()
        n = _stages(size)
        wrap = _sn if sn else (lambda m: m)
        ch = [channels] + [width * 2**i for i in range(n)]  # C, W, 2W, 4W (, 8W)
        layers = []
        for i in range(n):
            layers.append(wrap(nn.Conv2d(ch[i], ch[i + 1], 5, 2, 2)))
            if i > 0:
                layers.append(_norm2d(norm, ch[i + 1]))
            layers.append(activation(act))
            if dropout:
                layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        self.out = wrap(nn.Linear(ch[-1] * 16, 1))

    def forward(self, x):
        return self.out(self.net(x).flatten(1)).squeeze(1)


def build_models(kind: str, shape, latent_dim: int, width: int, g_act=None, d_act=None, g_norm="batch",
                 d_norm="none", dropout=0.0, spectral_norm=False, penalty=True, noise="normal"):
    """Generator and critic for a data set of ``kind`` ("toy" or "image") and sample ``shape``; the generator
    draws its latents from ``noise`` (:func:`latents`).

    ``latent_dim`` and ``width`` are given: a run's come from its resolved config
    (:meth:`ganlib.config.Config.resolved`, where their defaults live).  An activation left ``None`` is each
    network's own (relu; the image critic's leaky_relu, METHOD.md section 3)."""
    if noise not in NOISES:
        raise ValueError(f"unknown noise {noise!r}; accepted: {', '.join(NOISES)}")
    for name, value, accepted in (("generator norm", g_norm, G_NORMS), ("critic norm", d_norm, D_NORMS)):
        if value not in accepted:
            raise ValueError(f"unknown {name} {value!r}; accepted: {', '.join(accepted)}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"critic dropout must be in [0, 1); got {dropout}")
    if penalty and d_norm == "batch":
        raise ValueError("batch norm in a gradient-penalty critic mixes samples and breaks the per-sample "
                         "penalty; use critic norm 'none' or 'layer' (batch is accepted for wgan only)")
    if kind == "toy":
        g = MLPGenerator(latent_dim, width, shape[0], g_act or "relu")
        d = MLPCritic(shape[0], width, d_act or "relu", dropout, spectral_norm)
        g.noise = noise
        return g, d
    c, h, _ = shape
    g = DCGANGenerator(h, c, latent_dim, width, g_act or "relu", g_norm)
    d = DCGANCritic(h, c, width, d_act or "leaky_relu", d_norm, dropout, spectral_norm)
    g.noise = noise
    return g, d
