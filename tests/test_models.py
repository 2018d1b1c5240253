"""Generators and critics (ganlib.models): shapes, ranges and options."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize

from ganlib.models import ACTIVATIONS, build_models

W = 8  # small width keeps these fast


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_toy_shapes():
    g, d = build_models("toy", (2,), latent_dim=2, width=16)
    x = g(torch.randn(5, 2))
    assert x.shape == (5, 2)
    assert d(x).shape == (5,)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (1, 32, 32), (3, 64, 64)])
def test_image_shapes_and_range(shape):
    g, d = build_models("image", shape, latent_dim=16, width=W)
    z = torch.randn(4, 16) * 5  # large inputs: the sigmoid must still keep [0, 1]
    x = g(z)
    assert x.shape == (4, *shape)
    assert x.min() >= 0 and x.max() <= 1
    out = d(x)
    assert out.shape == (4,)
    assert d(torch.rand(4, *shape)).shape == (4,)


def test_the_sizes_are_given_not_defaulted():
    """A run's latent size and width come from its resolved config (ganlib.config), the one place of their defaults."""
    with pytest.raises(TypeError, match="latent_dim"):
        build_models("image", (1, 28, 28))
    g, d = build_models("image", (1, 28, 28), 128, W)
    assert g(torch.randn(2, 128)).shape == (2, 1, 28, 28) and d.out.in_features == 4 * W * 16


@pytest.mark.parametrize("act", ACTIVATIONS)
@pytest.mark.parametrize("kind,shape", [("toy", (2,)), ("image", (1, 28, 28))])
def test_activations(act, kind, shape):
    g, d = build_models(kind, shape, latent_dim=4, width=W, g_act=act, d_act=act)
    cls = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh}[act]
    assert any(isinstance(m, cls) for m in g.modules()) and any(isinstance(m, cls) for m in d.modules())
    assert d(g(torch.randn(3, 4))).shape == (3,)


@pytest.mark.parametrize(
    "opts",
    [
        dict(g_norm="none"),
        dict(d_norm="layer"),
        dict(dropout=0.3),
        dict(spectral_norm=True),
        dict(g_norm="none", d_norm="layer", dropout=0.2, spectral_norm=True),
    ],
    ids=["g_norm-none", "d_norm-layer", "dropout", "spectral_norm", "all"],
)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_image_options_build_and_run(opts, shape):
    g, d = build_models("image", shape, latent_dim=8, width=W, **opts)
    x = g(torch.randn(3, 8))
    out = d(x)
    assert x.shape == (3, *shape) and out.shape == (3,) and torch.isfinite(out).all()
    out.sum().backward()  # trainable: every parameter of both networks gets a finite, non-zero gradient
    for name, net in (("generator", g), ("critic", d)):
        for pname, p in net.named_parameters():
            assert p.grad is not None and torch.isfinite(p.grad).all(), f"{name} {pname}"
            assert p.grad.abs().sum() > 0, f"{name} {pname}: zero gradient"
    if opts.get("g_norm") == "none":
        assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in g.modules())
    if opts.get("dropout"):
        assert any(isinstance(m, nn.Dropout) and m.p == opts["dropout"] for m in d.modules())
    if opts.get("spectral_norm"):
        assert any(parametrize.is_parametrized(m, "weight") for m in d.modules())


def test_layer_norm_critic_is_per_sample():
    # The penalty is per sample, so the critic's output for one sample must not depend on the batch.
    _, d = build_models("image", (1, 28, 28), latent_dim=8, width=W, d_norm="layer")
    x = torch.rand(6, 1, 28, 28)
    torch.testing.assert_close(d(x)[:2], d(x[:2]), atol=1e-5, rtol=1e-5)


def test_toy_options_build_and_run():
    g, d = build_models("toy", (2,), 2, 16, dropout=0.2, spectral_norm=True, g_act="tanh", d_act="leaky_relu")
    assert d(g(torch.randn(4, 2))).shape == (4,)
    assert any(parametrize.is_parametrized(m, "weight") for m in d.modules())


def test_spectral_norm_bounds_the_layers():
    _, d = build_models("toy", (2,), latent_dim=2, width=16, spectral_norm=True)
    d.train()
    for _ in range(50):  # power iteration runs once per training-mode forward
        d(torch.randn(8, 2))
    for m in d.modules():
        if isinstance(m, nn.Linear):
            assert torch.linalg.matrix_norm(m.weight.detach(), ord=2) < 1.05


def test_bad_activation_lists_accepted():
    with pytest.raises(ValueError) as e:
        build_models("toy", (2,), latent_dim=2, width=4, g_act="swish")
    assert "swish" in str(e.value)
    for name in ACTIVATIONS:
        assert name in str(e.value)


def test_bad_norms_and_dropout():
    with pytest.raises(ValueError, match="group.*none, layer, batch"):
        build_models("image", (1, 28, 28), latent_dim=8, width=W, d_norm="group")
    with pytest.raises(ValueError, match="batch, none"):
        build_models("image", (1, 28, 28), latent_dim=8, width=W, g_norm="layer")
    with pytest.raises(ValueError, match="dropout"):
        build_models("toy", (2,), latent_dim=2, width=4, dropout=1.0)


def test_bad_image_size():
    with pytest.raises(ValueError, match="28, 32, 64"):
        build_models("image", (3, 48, 48), latent_dim=8, width=W)
