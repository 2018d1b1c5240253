"""ICVP's relatives (ganlib.relatives, METHOD.md section 7) on critics whose gradients are known in closed form.

A linear critic ``D(x) = a . x`` has the gradient ``a`` at every point, so it pins each penalty's value as a
function of the norm; a quadratic critic ``D(x) = 0.5 * c * ||x||^2`` has the gradient ``c x``, so the gradient
at a penalty point reveals the point itself: it pins *where* each method evaluates its penalty.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from ganlib.config import Config
from ganlib.methods import METHODS, RELATIVES, Method, gradient_penalty, interpolation_point, make_method
from ganlib.relatives import (
    AGP_KI,
    AGP_KP,
    AGP_RANGE,
    DRAGAN_SCALE,
    LambdaController,
    Relative,
    one_sided_penalty,
    perturbed_real,
    uniform_interpolates,
    zero_centred_penalty,
)
from ganlib.train import train


from test_methods import linear_critic  # noqa: E402  D(x) = a . x: the same gradient a everywhere


class QuadraticCritic:
    """``D(x) = 0.5 * c * ||x||^2`` per sample: gradient ``c x``.  Keeps every input it was differentiated at."""

    def __init__(self, c: float = 1.0):
        self.c, self.points = c, []

    def __call__(self, x):
        if x.requires_grad:  # the penalty's call (the losses' calls see data that needs no gradient)
            self.points.append(x.detach().clone())
        return 0.5 * self.c * x.flatten(1).pow(2).sum(1)


def unit_norm(shape, scale, seed=0):
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(shape, generator=g, dtype=torch.float64)
    return a / a.norm() * scale


def batches(n=64, shape=(2,), seed=1, shift=2.0):
    g = torch.Generator().manual_seed(seed)
    real = torch.randn(n, *shape, generator=g, dtype=torch.float64)
    fake = torch.randn(n, *shape, generator=g, dtype=torch.float64) + shift
    return real, fake


# What each relative's penalty is on a linear critic of slope s (before its weight).
ON_A_LINEAR_CRITIC = {
    "wgan-lp": lambda s: max(0.0, s - 1.0) ** 2,
    "dragan": lambda s: (s - 1.0) ** 2,
    "r1": lambda s: 0.5 * s**2,
    "zero-gp": lambda s: s**2,
    "agp": lambda s: (s - 1.0) ** 2,
}


# ---------------------------------------------------------------------------------------------
# 1. The penalties' values: one-sided, one-centred, zero-centred
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(2,), (3, 4, 5)], ids=["2d", "image"])
@pytest.mark.parametrize("s", [0.0, 0.3, 0.9, 1.0, 1.5, 2.5])
def test_one_sided_penalty_is_zero_up_to_norm_one_and_squared_excess_above(shape, s):
    critic = linear_critic(unit_norm(shape, s) if s else torch.zeros(shape, dtype=torch.float64))
    x = torch.randn(9, *shape, dtype=torch.float64)
    p, norms = one_sided_penalty(critic, x)
    torch.testing.assert_close(norms, torch.full((9,), s, dtype=torch.float64), atol=1e-5, rtol=0)
    if s < 1.0:
        assert p.item() == 0.0  # exactly: below norm 1 nothing is penalised
    else:  # (at norm 1 up to rounding: sqrt(||a||^2 + 1e-12) may end a hair above 1)
        assert p.item() == pytest.approx((s - 1.0) ** 2, abs=1e-9)
    two_sided, _ = gradient_penalty(critic, x)
    assert two_sided.item() == pytest.approx((s - 1.0) ** 2, abs=1e-5)  # WGAN-GP's penalises both sides


@pytest.mark.parametrize("s", [0.5, 2.0])
def test_one_sided_penalty_pushes_only_a_slope_above_one_down(s):
    lin = nn.Linear(3, 1, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(unit_norm((1, 3), s))
    p, _ = one_sided_penalty(lambda x: lin(x).squeeze(1), torch.randn(6, 3, dtype=torch.float64))
    p.backward()
    a = lin.weight.detach()
    if s < 1:
        assert torch.count_nonzero(lin.weight.grad) == 0  # no force on a slope below 1
    else:  # d/da (||a|| - 1)^2 = 2 (||a|| - 1) a / ||a||: gradient descent shrinks ||a||
        torch.testing.assert_close(lin.weight.grad, 2 * (s - 1) * a / s)
        assert (lin.weight.grad * a).sum() > 0


@pytest.mark.parametrize("s", [0.0, 0.5, 1.0, 2.0])
def test_zero_centred_penalty_is_the_squared_norm(s):
    critic = linear_critic(unit_norm((4,), s) if s else torch.zeros(4, dtype=torch.float64))
    p, norms = zero_centred_penalty(critic, torch.randn(5, 4, dtype=torch.float64))
    assert p.item() == pytest.approx(s**2, abs=1e-9)
    assert torch.isfinite(norms).all()


def test_zero_and_one_centred_penalties_differ_where_they_must():
    x = torch.randn(8, 3, dtype=torch.float64)
    unit = linear_critic(unit_norm((3,), 1.0))
    flat = linear_critic(torch.zeros(3, dtype=torch.float64))
    assert zero_centred_penalty(unit, x)[0].item() == pytest.approx(1.0)  # slope 1: zero-centred pays 1 ...
    assert gradient_penalty(unit, x)[0].item() == pytest.approx(0.0, abs=1e-12)  # ... one-centred nothing
    assert zero_centred_penalty(flat, x)[0].item() == pytest.approx(0.0, abs=1e-9)  # flat critic: the reverse
    assert gradient_penalty(flat, x)[0].item() == pytest.approx(1.0, abs=1e-5)
    assert one_sided_penalty(flat, x)[0].item() == 0.0  # and the one-sided penalty does not mind a flat critic


@pytest.mark.parametrize("name", RELATIVES)
@pytest.mark.parametrize("s", [0.4, 1.0, 2.5])
def test_critic_loss_by_hand_on_a_linear_critic(name, s):
    a = unit_norm((3, 2, 2), s)
    real, fake = batches(16, (3, 2, 2))
    lam = 7.0
    m = make_method(name, lambda_max=lam)
    loss, log = m.critic_loss(linear_critic(a), real, fake)
    w = (real * a).flatten(1).sum(1).mean().item() - (fake * a).flatten(1).sum(1).mean().item()
    penalty = ON_A_LINEAR_CRITIC[name](s)
    assert loss.item() == pytest.approx(-w + lam * penalty, abs=1e-6)  # agp's first step uses lambda_max
    assert float(log["w_t"]) == pytest.approx(w)
    assert float(log["penalty"]) == pytest.approx(penalty, abs=1e-6)
    assert float(log["grad_norm"]) == pytest.approx(s, abs=1e-6)
    assert float(log["lambda_t"]) == lam and log["t"] == 0


def test_r1_weight_is_gamma_over_two():
    a = unit_norm((2,), 2.0)
    real, fake = batches(8)
    loss, log = make_method("r1", lambda_max=10.0).critic_loss(linear_critic(a), real, fake)
    w = float(log["w_t"])
    assert loss.item() == pytest.approx(-w + 10.0 / 2 * 4.0)  # gamma = lambda_max = 10: 5 * ||a||^2
    assert float(log["lambda_t"]) == 10.0 and float(log["penalty"]) == pytest.approx(2.0)


# ---------------------------------------------------------------------------------------------
# 2. Where each method puts its points (the quadratic critic's gradient is the point)
# ---------------------------------------------------------------------------------------------

def points_of(name, real, fake, seed=0, c=1.0):
    critic = QuadraticCritic(c)
    torch.manual_seed(seed)
    _, log = make_method(name, lambda_max=1.0).critic_loss(critic, real, fake)
    (x_hat,) = critic.points
    # The gradient c x_hat is what the penalty saw: its mean norm is the logged one.
    assert float(log["grad_norm"]) == pytest.approx((c * x_hat).flatten(1).norm(dim=1).mean().item(), rel=1e-9)
    return x_hat, log


def test_r1_penalises_at_the_real_samples_themselves():
    real, fake = batches(32, (3, 4))
    x_hat, log = points_of("r1", real, fake, c=2.0)
    torch.testing.assert_close(x_hat, real, rtol=0, atol=0)
    # gradient 2 x: penalty 0.5 * mean ||2 x||^2
    assert float(log["penalty"]) == pytest.approx(0.5 * (2 * real).flatten(1).pow(2).sum(1).mean().item())


def test_r1_draws_nothing():
    real, fake = batches(8)
    torch.manual_seed(5)
    make_method("r1").critic_loss(QuadraticCritic(), real, fake)
    after = torch.rand(3)
    torch.manual_seed(5)
    assert torch.equal(after, torch.rand(3))


@pytest.mark.parametrize("shape", [(2,), (1, 5, 5)], ids=["2d", "image"])
def test_dragan_perturbs_the_reals_within_half_a_batch_std(shape):
    real, fake = batches(64, shape, shift=50.0)  # fakes far away: a point near them would show at once
    x_hat, _ = points_of("dragan", real, fake, seed=3)
    d = x_hat - real
    bound = DRAGAN_SCALE * real.std(correction=0).item()
    assert d.min() >= 0 and d.max() <= bound + 1e-12  # each element moved by [0, 0.5 std], never towards a fake
    assert d.max() > 0.5 * bound  # and it is a perturbation, not the reals themselves
    assert d.flatten(1).norm(dim=1).max() <= bound * math.sqrt(real[0].numel()) + 1e-12
    # As the reference code: alpha ~ U[0, 1] per sample first, then delta per element, from the global RNG.
    torch.manual_seed(3)
    alpha = torch.rand(64, dtype=torch.float64).view(64, *[1] * len(shape))
    delta = bound * torch.rand(real.shape, dtype=torch.float64)
    torch.testing.assert_close(x_hat, real + alpha * delta)


def test_dragan_points_do_not_depend_on_the_fakes():
    real, fake = batches(16)
    a, _ = points_of("dragan", real, fake, seed=4)
    b, _ = points_of("dragan", real, fake + 100.0, seed=4)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_dragan_std_is_of_the_whole_batch():
    real = torch.tensor([[1.0, 0.0]] * 10, dtype=torch.float64)  # every sample the same: std 0.5 over all elements
    torch.manual_seed(0)
    x_hat = perturbed_real(real)
    assert (x_hat - real).max() <= 0.25 and (x_hat - real).max() > 0.1


@pytest.mark.parametrize("name", ["wgan-lp", "zero-gp", "agp"])
def test_interpolating_relatives_use_wgan_gps_segment_and_draws(name):
    real = torch.zeros(256, 2, dtype=torch.float64)
    real[:, 0] = 1.0
    fake = torch.zeros(256, 2, dtype=torch.float64)
    fake[:, 0] = 3.0
    x_hat, _ = points_of(name, real, fake, seed=7)
    assert torch.all(x_hat[:, 1] == 0) and x_hat[:, 0].min() >= 1.0 and x_hat[:, 0].max() <= 3.0  # on the segments
    assert x_hat[:, 0].min() < 1.1 and x_hat[:, 0].max() > 2.9  # spread over the whole segment
    gp, _ = points_of("wgan-gp", real, fake, seed=7)
    torch.testing.assert_close(x_hat, gp, rtol=0, atol=0)  # the same eps as wgan-gp: pairing by seed kept
    torch.manual_seed(7)
    torch.testing.assert_close(x_hat, interpolation_point(real, fake, "uniform")[0], rtol=0, atol=0)


def test_one_scalar_per_sample_on_image_batches():
    real, fake = batches(6, (3, 4, 4))
    x_hat, _ = points_of("zero-gp", real, fake, seed=1)
    eps = ((x_hat - fake) / (real - fake)).flatten(1)
    torch.testing.assert_close(eps, eps[:, :1].expand_as(eps))  # one eps per sample, never per pixel


def test_points_can_be_drawn_from_a_generator_without_moving_the_global_rng():
    real, fake = batches(8)
    torch.manual_seed(0)
    before = torch.get_rng_state()
    for name in RELATIVES:
        x = make_method(name).points(real, fake, torch.Generator().manual_seed(1))
        y = make_method(name).points(real, fake, torch.Generator().manual_seed(1))
        assert torch.equal(x, y)
    assert torch.equal(before, torch.get_rng_state())
    torch.testing.assert_close(uniform_interpolates(real, real, torch.Generator()), real)


# ---------------------------------------------------------------------------------------------
# 3. agp's controller
# ---------------------------------------------------------------------------------------------

def test_controller_by_hand():
    c = LambdaController(start=2.0, k_p=0.5, k_i=0.1)
    lams = c.run([1.4, 1.4, 0.8])
    e, i = [0.4, 0.4], [0.4, 0.8]
    assert lams[0] == 2.0  # the first step is WGAN-GP's
    assert lams[1] == pytest.approx(2.0 * math.exp(0.5 * e[0] + 0.1 * i[0]))
    assert lams[2] == pytest.approx(2.0 * math.exp(0.5 * e[1] + 0.1 * i[1]))
    assert c.lambda_t == pytest.approx(2.0 * math.exp(0.5 * -0.2 + 0.1 * 0.6))
    assert c.t == 3


def test_controller_defaults():
    c = LambdaController(start=10.0)
    assert (c.k_p, c.k_i, c.low, c.high, c.target) == (AGP_KP, AGP_KI, 10.0 / AGP_RANGE, 10.0 * AGP_RANGE, 1.0)
    assert make_method("agp", lambda_max=0.1).controller.start == 0.1  # starts at the harness's lambda


@pytest.mark.parametrize("norm,direction", [(1.3, 1), (0.7, -1), (1.0, 0)])
def test_controller_raises_lambda_above_norm_one_and_lowers_it_below(norm, direction):
    lams = LambdaController(start=10.0).run([norm] * 300)
    steps = [b - a for a, b in zip(lams, lams[1:])]
    if direction == 0:
        assert lams == [10.0] * 300
    else:
        assert all(direction * s > 0 for s in steps)  # monotone, in the right direction, every step
        assert direction * (lams[-1] - 10.0) > 0


@pytest.mark.parametrize("norm,limit", [(3.0, 100.0), (0.0, 1.0)])
def test_controller_stays_within_its_limits_and_leaves_them_at_once(norm, limit):
    c = LambdaController(start=10.0)
    lams = c.run([norm] * 20000)
    assert all(1.0 <= lam <= 100.0 for lam in lams)
    assert lams[-1] == limit  # held there, not beyond
    after = c.run([0.5 if limit == 100.0 else 1.5] * 2)  # the error changes sign ...
    assert after[0] == limit and (after[1] < limit if limit == 100.0 else after[1] > limit)  # ... it leaves at once


def test_controller_on_tensors_equals_on_numbers():
    norms = [1.7, 1.2, 0.9, 0.4, 1.05, 2.5, 0.95]
    a = LambdaController(start=0.1).run(norms)
    b = LambdaController(start=0.1).run([torch.tensor(n, dtype=torch.float32) for n in norms])
    assert [float(x) for x in b] == pytest.approx(a, rel=1e-6)
    assert all(torch.is_tensor(x) and x.dtype == torch.float64 for x in b[1:])


def test_controller_state_round_trip_continues_identically():
    norms = [1.0 + 0.5 * math.sin(i / 7) for i in range(120)]
    straight = LambdaController(start=10.0)
    expected = straight.run(norms)
    first = LambdaController(start=10.0)
    got = first.run(norms[:50])
    state = json.loads(json.dumps(first.state_dict()))  # plain numbers
    second = LambdaController(start=10.0)
    second.load_state_dict(state)
    got += second.run(norms[50:])
    assert got == expected  # exactly
    assert second.state_dict() == straight.state_dict()


def test_controller_tensor_state_round_trip_is_exact():
    norms = [torch.tensor(1.0 + 0.3 * math.cos(i), dtype=torch.float32) for i in range(40)]
    straight = LambdaController(start=10.0)
    expected = [float(x) for x in straight.run(norms)]
    first = LambdaController(start=10.0)
    got = [float(x) for x in first.run(norms[:17])]
    second = LambdaController(start=10.0)
    second.load_state_dict(first.state_dict())
    got += [float(x) for x in second.run(norms[17:])]
    assert got == expected


def test_agp_logs_the_lambda_it_used_and_resumes_exactly():
    real, fake = batches(16)
    s = 1.8  # slope held above 1: lambda rises step after step
    critic = linear_critic(unit_norm((2,), s))
    m = make_method("agp", lambda_max=10.0)
    logged, losses = [], []
    for _ in range(6):
        loss, log = m.critic_loss(critic, real, fake)
        logged.append(float(log["lambda_t"]))
        losses.append(loss.item())
        if len(logged) == 3:
            state = m.state_dict()
    assert logged[0] == 10.0 and all(b > a for a, b in zip(logged, logged[1:]))
    for lam, loss in zip(logged, losses):  # the loss used the lambda that was logged
        assert loss == pytest.approx(-float(log["w_t"]) + lam * (s - 1) ** 2, rel=1e-9)
    resumed = make_method("agp", lambda_max=10.0)
    resumed.load_state_dict(state)
    again = [float(resumed.critic_loss(critic, real, fake)[1]["lambda_t"]) for _ in range(3)]
    assert again == logged[3:]
    assert resumed.state_dict() == m.state_dict()


def test_agp_refuses_a_zero_start():
    with pytest.raises(ValueError, match="lambda_max.*> 0"):
        make_method("agp", lambda_max=0.0)
    with pytest.raises(ValueError, match="limits"):
        LambdaController(start=1.0, low=2.0)
    with pytest.raises(ValueError, match="gains"):
        LambdaController(start=1.0, k_i=-1.0)


@pytest.mark.usefixtures("fixed_threads")
def test_agp_training_resumes_exactly(tmp_path):
    cfg = dict(method="agp", dataset="8gaussians", width=16, lambda_max=10.0, checkpoint_every=2, quiet=True)
    straight = train(Config(iters=4, **cfg), tmp_path / "a")
    train(Config(iters=2, **cfg), tmp_path / "b")
    resumed = train(Config(iters=4, **cfg), tmp_path / "b", resume=True)
    assert straight.method.state_dict() == resumed.method.state_dict()
    assert straight.method.state_dict()["controller"]["t"] == 4 * 5
    rows = [[{k: v for k, v in json.loads(line).items() if k != "seconds"} for line in (p / "log.jsonl").open()]
            for p in (tmp_path / "a", tmp_path / "b")]
    assert rows[0] == rows[1]
    assert [r["lambda_t"] for r in rows[0]][0] != 10.0 and all("grad_norm" in r and "penalty" in r for r in rows[0])
    for k, v in straight.D.state_dict().items():
        assert torch.equal(v, resumed.D.state_dict()[k])


# ---------------------------------------------------------------------------------------------
# 4. The harness: names, losses, detached fakes, state
# ---------------------------------------------------------------------------------------------

def test_every_relative_is_a_method_of_the_harness():
    assert set(RELATIVES) <= set(METHODS) and len(set(METHODS)) == len(METHODS) == 10
    for name in RELATIVES:
        m = make_method(name, lambda_max=3.0)
        assert isinstance(m, Relative) and isinstance(m, Method) and m.name == name and m.schedule is None
        assert Config(method=name).resolved().optimizer == "adam"  # WGAN-GP's optimiser and defaults
    with pytest.raises(ValueError, match="wgan-lp, dragan, r1, zero-gp, agp"):
        make_method("wgan-pl")


@pytest.mark.parametrize("name", RELATIVES)
def test_relatives_detach_the_fakes_and_train_the_critic(name):
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    fake = G(torch.randn(16, 2))
    loss, _ = make_method(name, lambda_max=1.0).critic_loss(lambda x: D(x).squeeze(1), torch.randn(16, 2), fake)
    loss.backward()
    assert all(p.grad is None for p in G.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in D.parameters())


@pytest.mark.parametrize("name", RELATIVES)
def test_relatives_count_steps_and_round_trip_their_state(name):
    real, fake = batches(8)
    m = make_method(name, lambda_max=1.0)
    for _ in range(3):
        _, log = m.critic_loss(linear_critic(unit_norm((2,), 1.5)), real, fake)
    assert log["t"] == 2
    state = json.loads(json.dumps(m.state_dict()))
    other = make_method(name, lambda_max=1.0)
    other.load_state_dict(state)
    assert other.state_dict() == m.state_dict() and other.t == 3


def test_sweeps_and_study_figures_know_the_relatives():
    from ganlib.notebook.study_plots import COLOURS
    from ganlib.harness.sweep_plan import load_spec

    plan = load_spec({"name": "relatives", "dataset": "8gaussians", "iters": 2,
                      "grid": {"method": ["wgan-gp", *RELATIVES]}})
    assert [c["method"] for c in plan.configs] == ["wgan-gp", *RELATIVES]
    with pytest.raises(ValueError, match="'wgan-pl'.*wgan-lp, dragan, r1, zero-gp, agp"):
        load_spec({"name": "typo", "dataset": "8gaussians", "iters": 2, "grid": {"method": ["wgan-pl"]}})
    assert len({COLOURS[m] for m in METHODS}) == len(METHODS)  # one colour each
