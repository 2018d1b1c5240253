"""The paper's logic (ganlib.methods) against hand-computed values (METHOD.md sections 1-3)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn

from ganlib.methods import (
    ICVPSchedule,
    Method,
    gradient_norm,
    gradient_penalty,
    interpolation_point,
    make_lambda_schedule,
    make_method,
)
from ganlib.models import build_models


def linear_critic(a: torch.Tensor):
    """``D(x) = a . x`` over the flattened sample: its input gradient is ``a`` everywhere."""
    return lambda x: (x * a).flatten(1).sum(1)


# ---------------------------------------------------------------------------------------------
# 1. Gradient penalty: analytic case
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sample_shape", [(2,), (3, 4, 5)], ids=["2d", "image"])
@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5])
def test_gradient_penalty_of_linear_critic_is_norm_minus_one_squared(sample_shape, scale):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(sample_shape, generator=g, dtype=torch.float64)
    a = a / a.norm() * scale  # ||a|| = scale exactly (up to rounding)
    critic = linear_critic(a)
    x = torch.randn(7, *sample_shape, generator=g, dtype=torch.float64)
    penalty, norms = gradient_penalty(critic, x)
    assert norms.shape == (7,)
    torch.testing.assert_close(norms, torch.full((7,), scale, dtype=torch.float64), atol=1e-9, rtol=0)
    assert penalty.item() == pytest.approx((scale - 1.0) ** 2, abs=1e-9)


@pytest.mark.parametrize("sample_shape", [(2,), (3, 4, 5)], ids=["2d", "image"])
def test_wgan_gp_critic_loss_by_hand(sample_shape):
    g = torch.Generator().manual_seed(1)
    a = torch.randn(sample_shape, generator=g, dtype=torch.float64)
    lam = 7.0
    critic = linear_critic(a)
    real = torch.randn(16, *sample_shape, generator=g, dtype=torch.float64)
    fake = torch.randn(16, *sample_shape, generator=g, dtype=torch.float64) + 0.5
    method = make_method("wgan-gp", lambda_max=lam)
    loss, log = method.critic_loss(critic, real, fake)
    # A linear critic has gradient norm ||a|| at every interpolation point, whatever eps was drawn.
    mean_real = (real * a).flatten(1).sum(1).mean().item()
    mean_fake = (fake * a).flatten(1).sum(1).mean().item()
    expected = -(mean_real - mean_fake) + lam * (a.norm().item() - 1.0) ** 2
    assert loss.item() == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert log["w_t"] == pytest.approx(mean_real - mean_fake, rel=1e-9, abs=1e-12)
    assert log["lambda_t"] == lam
    assert log["penalty"] == pytest.approx((a.norm().item() - 1.0) ** 2, rel=1e-9)


def test_wgan_critic_loss_is_negative_wasserstein_estimate():
    a = torch.tensor([2.0, -1.0], dtype=torch.float64)
    real = torch.tensor([[1.0, 0.0], [0.0, 1.0]], dtype=torch.float64)  # D = 2, -1 -> mean 0.5
    fake = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)  # D = 0, 1 -> mean 0.5... shift:
    fake = fake - 1.0  # D = -1, 0 -> mean -0.5
    loss, log = make_method("wgan").critic_loss(linear_critic(a), real, fake)
    assert log["w_t"] == pytest.approx(1.0)  # sign convention: mean D(real) - mean D(fake)
    assert loss.item() == pytest.approx(-1.0)


# ---------------------------------------------------------------------------------------------
# 2. ICVP schedule against a hand-computed sequence
# ---------------------------------------------------------------------------------------------

def test_icvp_schedule_hand_sequence():
    # beta = 0.75 (asymmetric, so beta and 1 - beta cannot be swapped unnoticed), warm-up 2:
    # d_t = 0.75 d_{t-1} + 0.25 w_t, d_0 = w_0.
    s = ICVPSchedule("deterministic", make_lambda_schedule("distance", 10.0, 2.0, gamma=2.0), beta=0.75, warmup=2)
    ws = [8.0, 0.0, 0.0, 0.0, -20.0, 40.0, 0.0]
    steps = s.run(ws)
    # t:     0    1    2    3      4          5            6
    d = [8.0, 6.0, 4.5, 3.375, -2.46875, 8.1484375, 6.111328125]
    # d_ref starts at the end of warm-up (t = 2): the large warm-up values (8, 6) do not count.
    d_ref = [math.nan, math.nan, 4.5, 4.5, 4.5, 8.1484375, 8.1484375]
    r = [1.0, 1.0, 1.0, 0.75, 0.0, 1.0, 0.75]  # t=4: negative d clipped to 0
    lam = [10.0, 10.0, 10.0, 6.5, 2.0, 10.0, 6.5]  # 2 + 8 r^2: the squared curve
    assert [st.t for st in steps] == list(range(7))
    assert [st.w_t for st in steps] == ws
    assert [st.d_t for st in steps] == pytest.approx(d)
    for st, ref in zip(steps, d_ref):
        assert math.isnan(st.d_ref) if math.isnan(ref) else st.d_ref == pytest.approx(ref)
    assert [st.r_t for st in steps] == pytest.approx(r)
    assert [st.eps_t for st in steps] == pytest.approx([1.0 - ri for ri in r])
    assert [st.lambda_t for st in steps] == pytest.approx(lam)


def test_icvp_gamma_one_is_linear_in_r():
    s = ICVPSchedule("deterministic", make_lambda_schedule("distance", 10.0, 2.0, gamma=1.0), beta=0.5, warmup=2)
    steps = s.run([8.0, 0.0, 0.0, 0.0])
    assert steps[3].r_t == pytest.approx(0.5)
    assert steps[3].lambda_t == pytest.approx(6.0)


def test_icvp_default_beta_ema():
    s = ICVPSchedule(warmup=0)  # beta 0.9
    steps = s.run([1.0, 0.0, 0.0])
    assert [st.d_t for st in steps] == pytest.approx([1.0, 0.9, 0.81])
    assert [st.r_t for st in steps] == pytest.approx([1.0, 0.9, 0.81])
    assert [st.lambda_t for st in steps] == pytest.approx([10.0, 9.0, 8.1])


def test_icvp_nonpositive_reference_gives_r_one():
    s = ICVPSchedule(beta=0.5, warmup=0)
    steps = s.run([-2.0, -2.0, 6.0, 0.0])
    # d = -2, -2 (d_ref = -2 <= 0: r = 1), then 2 (d_ref = 2, r = 1), then 1 (r = 0.5)
    assert [st.d_t for st in steps] == pytest.approx([-2.0, -2.0, 2.0, 1.0])
    assert [st.r_t for st in steps] == pytest.approx([1.0, 1.0, 1.0, 0.5])
    assert steps[0].lambda_t == 10.0


def test_icvp_r_never_above_one():
    s = ICVPSchedule(beta=0.0, warmup=1)  # beta 0: d_t = w_t
    steps = s.run([100.0, 1.0, 5.0, 2.0])
    assert [st.r_t for st in steps] == pytest.approx([1.0, 1.0, 1.0, 0.4])
    assert all(0.0 <= st.r_t <= 1.0 for st in steps)


def test_schedule_refuses_bad_arguments():
    with pytest.raises(ValueError, match="beta"):
        ICVPSchedule(beta=1.0)
    with pytest.raises(ValueError, match="warm-up"):
        ICVPSchedule(warmup=-1)
    with pytest.raises(ValueError, match="uniform, deterministic, band"):
        ICVPSchedule(interpolation="random")


@pytest.mark.parametrize("kind", ["linear", "exponential", "cosine", "step"])
@pytest.mark.parametrize("lambda_min", [0.0, 1.0])
def test_time_schedules_decay_from_max_to_min(kind, lambda_min):
    total = 100
    lam = make_lambda_schedule(kind, lambda_max=10.0, lambda_min=lambda_min, total=total)
    values = [lam(t, r_t=0.3) for t in range(0, total + 21)]
    assert values[0] == pytest.approx(10.0)
    assert values[total] == pytest.approx(lambda_min, abs=1e-9), f"{kind} does not end at lambda_min"
    assert values[-1] == pytest.approx(lambda_min, abs=1e-9)
    assert all(b <= a + 1e-12 for a, b in zip(values, values[1:])), f"{kind} is not non-increasing"
    assert min(values) >= lambda_min - 1e-12
    assert values[total // 2] < 10.0  # it actually decays within the run


def test_time_schedules_ignore_the_distance():
    lam = make_lambda_schedule("cosine", 10.0, 0.0, total=10)
    assert lam(5, 0.0) == lam(5, 1.0) == pytest.approx(5.0)
    assert make_lambda_schedule("linear", 10.0, 0.0, total=10)(5, 0.9) == pytest.approx(5.0)


def test_step_schedule_halves_the_excess_ten_times_over_the_run():
    """``--lambda-schedule step`` (lambda_max, lambda_min and the run's critic steps: all it takes from Config)."""
    lam = make_lambda_schedule("step", 10.0, 2.0, total=100)
    assert [lam(t, 0.5) for t in (0, 9, 10, 19, 20, 95)] == [10.0, 10.0, 6.0, 6.0, 4.0, 2.0 + 8.0 * 0.5**9]
    assert make_lambda_schedule("step", 10.0, 0.0, total=5)(3, 0.5) == 10.0 * 0.5**3  # total < 10: every step


def test_unknown_lambda_schedule_lists_accepted():
    with pytest.raises(ValueError, match="nope.*constant, distance, linear, exponential, cosine, step"):
        make_lambda_schedule("nope")


def test_schedule_state_dict_round_trip_continues_identically():
    ws = [3.0, 2.5, 4.0, 1.0, 0.5, 2.0, -1.0, 0.3, 0.2, 5.0, 0.1, 0.0]
    a = ICVPSchedule("band", make_lambda_schedule("distance", 10.0, 1.0, 2.0), beta=0.8, warmup=3)
    a.run(ws[:5])
    state = json.loads(json.dumps(a.state_dict()))  # checkpoints may hold it as plain data
    b = ICVPSchedule("band", make_lambda_schedule("distance", 10.0, 1.0, 2.0), beta=0.8, warmup=3)
    b.load_state_dict(state)
    rest_a, rest_b = a.run(ws[5:]), b.run(ws[5:])
    assert [vars(s) for s in rest_a] == [vars(s) for s in rest_b]
    assert rest_b[0].t == 5
    # and it did matter: a fresh schedule (no state) behaves differently
    fresh = ICVPSchedule("band", make_lambda_schedule("distance", 10.0, 1.0, 2.0), beta=0.8, warmup=3).run(ws[5:])
    assert [s.r_t for s in fresh] != [s.r_t for s in rest_b]


def test_method_state_dict_round_trip():
    m1, m2 = make_method("icvp", warmup=1, beta=0.5), make_method("icvp", warmup=1, beta=0.5)
    m1.schedule.run([4.0, 2.0, 1.0])
    m2.load_state_dict(m1.state_dict())
    assert vars(m1.schedule.step(0.5)) == vars(m2.schedule.step(0.5))


# ---------------------------------------------------------------------------------------------
# 3. Interpolation modes, per sample
# ---------------------------------------------------------------------------------------------

def _pair(shape=(64, 3, 4, 4), seed=0):
    g = torch.Generator().manual_seed(seed)
    real = torch.rand(shape, generator=g, dtype=torch.float64)
    fake = real + 0.5 + torch.rand(shape, generator=g, dtype=torch.float64)  # real - fake never ~0
    return real, fake


def test_uniform_eps_per_sample_in_unit_interval():
    real, fake = _pair()
    torch.manual_seed(0)
    _, eps = interpolation_point(real, fake, "uniform")
    assert eps.shape == (64,)
    assert ((eps >= 0) & (eps <= 1)).all()
    assert eps.unique().numel() > 32  # drawn per sample, not once per batch
    assert eps.min() < 0.25 and eps.max() > 0.75


@pytest.mark.parametrize("r_t", [1.0, 0.7, 0.25, 0.0])
def test_deterministic_eps_is_one_minus_r(r_t):
    real, fake = _pair()
    x_hat, eps = interpolation_point(real, fake, "deterministic", r_t)
    torch.testing.assert_close(eps, torch.full((64,), 1.0 - r_t, dtype=torch.float64))
    torch.testing.assert_close(x_hat, (1.0 - r_t) * real + r_t * fake)


@pytest.mark.parametrize("r_t", [1.0, 0.6, 0.1])
def test_band_eps_in_one_minus_r_to_one(r_t):
    real, fake = _pair()
    torch.manual_seed(0)
    _, eps = interpolation_point(real, fake, "band", r_t)
    assert ((eps >= 1.0 - r_t - 1e-12) & (eps <= 1.0 + 1e-12)).all()
    assert eps.unique().numel() > 32
    assert eps.max() - eps.min() > 0.5 * r_t  # it fills the band, not one point of it


def test_band_at_r_zero_is_the_real_data():
    real, fake = _pair()
    x_hat, eps = interpolation_point(real, fake, "band", 0.0)
    torch.testing.assert_close(x_hat, real)


@pytest.mark.parametrize("mode", ["uniform", "deterministic", "band"])
@pytest.mark.parametrize("shape", [(32, 2), (32, 3, 5, 5)], ids=["2d", "image"])
def test_interpolation_is_one_scalar_per_sample_on_the_segment(mode, shape):
    real, fake = _pair(shape, seed=3)
    torch.manual_seed(1)
    x_hat, eps = interpolation_point(real, fake, mode, 0.6)
    coef = ((x_hat - fake) / (real - fake)).flatten(1)  # per element
    # constant within each sample (a per-pixel eps would vary), and equal to the returned eps
    torch.testing.assert_close(coef, coef[:, :1].expand_as(coef), atol=1e-9, rtol=0)
    torch.testing.assert_close(coef[:, 0], eps, atol=1e-9, rtol=0)
    assert ((coef >= -1e-9) & (coef <= 1 + 1e-9)).all()  # on the segment real_i .. fake_i


def test_unknown_interpolation_lists_accepted():
    real, fake = _pair((2, 2))
    with pytest.raises(ValueError, match="uniform, deterministic, band"):
        interpolation_point(real, fake, "pixel")


# ---------------------------------------------------------------------------------------------
# 4. Ablations change only their part
# ---------------------------------------------------------------------------------------------

def _lambdas(method, ws):
    return [method.schedule.step(w).lambda_t for w in ws]


DECREASING = [5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.1, -1.0]


def test_wgan_has_no_schedule_and_clips():
    m = make_method("wgan", clip_value=0.02)
    assert m.schedule is None and m.clip_value == 0.02


def test_wgan_gp_uniform_and_constant():
    m = make_method("wgan-gp", lambda_max=3.0, warmup=0)
    assert m.schedule.interpolation == "uniform"
    assert _lambdas(m, DECREASING) == [3.0] * len(DECREASING)


@pytest.mark.parametrize("interp", ["deterministic", "band"])
def test_icvp_eps_moves_eps_only(interp):
    m = make_method("icvp-eps", lambda_max=3.0, warmup=0, beta=0.0, interpolation=interp)
    assert m.schedule.interpolation == interp
    steps = [m.schedule.step(w) for w in DECREASING]
    assert [s.lambda_t for s in steps] == [3.0] * len(steps)  # lambda fixed at lambda_max, whatever w_t
    assert [s.eps_t for s in steps] == pytest.approx([1 - w / 5.0 for w in DECREASING[:-1]] + [1.0])


def test_icvp_lambda_moves_lambda_only():
    m = make_method("icvp-lambda", lambda_max=3.0, warmup=0, beta=0.0, interpolation="deterministic")
    assert m.schedule.interpolation == "uniform"  # eps ~ U[0, 1] whatever was asked for icvp
    lams = _lambdas(m, DECREASING)  # beta 0: d_t = w_t, d_ref = 5, lambda = 3 * clip(w / 5, 0, 1)
    assert lams == pytest.approx([3.0 * w / 5.0 for w in DECREASING[:-1]] + [0.0])


@pytest.mark.parametrize("interp", ["deterministic", "band"])
def test_icvp_moves_both(interp):
    m = make_method("icvp", lambda_max=3.0, warmup=0, beta=0.0, interpolation=interp)
    assert m.schedule.interpolation == interp
    steps = [m.schedule.step(w) for w in DECREASING]
    r = [w / 5.0 for w in DECREASING[:-1]] + [0.0]
    assert [s.lambda_t for s in steps] == pytest.approx([3.0 * ri for ri in r])
    assert [s.eps_t for s in steps] == pytest.approx([1.0 - ri for ri in r])


def test_icvp_default_interpolation_is_deterministic():
    assert make_method("icvp").schedule.interpolation == "deterministic"


def test_icvp_critic_loss_uses_the_deterministic_point():
    # Critic D(x) = 0.5 * ||x||^2: gradient x, so the penalty reveals where x_hat was taken.
    critic = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731
    real = torch.zeros(4, 2, dtype=torch.float64)
    real[:, 0] = 1.0
    fake = torch.zeros(4, 2, dtype=torch.float64)
    fake[:, 0] = 3.0
    m = make_method("icvp", lambda_max=1.0, warmup=0, beta=0.0)
    m.schedule.step(8.0)  # d_ref = 8
    # w = mean(0.5) - mean(4.5) = -4: negative distance -> r = 0, eps = 1: x_hat = real, |grad| = 1, penalty 0
    loss, log = m.critic_loss(critic, real, fake)
    assert log["r_t"] == 0.0 and log["eps_t"] == 1.0 and log["lambda_t"] == 0.0
    assert log["grad_norm"] == pytest.approx(1.0)
    assert loss.item() == pytest.approx(4.0)


def test_make_method_refuses_bad_values():
    with pytest.raises(ValueError, match="nope.*wgan, wgan-gp, icvp, icvp-eps, icvp-lambda"):
        make_method("nope")
    with pytest.raises(ValueError, match="lambda"):
        make_method("icvp", lambda_max=-1.0)
    with pytest.raises(ValueError, match="lambda_min"):
        make_method("icvp", lambda_max=1.0, lambda_min=2.0)
    with pytest.raises(ValueError, match="clip"):
        make_method("wgan", clip_value=0.0)
    with pytest.raises(ValueError, match="deterministic, band"):
        make_method("icvp", interpolation="uniform")
    with pytest.raises(ValueError, match="schedule"):
        Method("icvp")


# ---------------------------------------------------------------------------------------------
# 5. Pitfalls (METHOD.md section 3)
# ---------------------------------------------------------------------------------------------

def test_gradient_norm_is_per_sample_over_the_flattened_input():
    # D(x) = 0.5 * ||x_i||^2 per sample: grad_i = x_i, so ||grad_i|| = ||x_i||.
    critic = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731
    values = torch.tensor([0.5, -1.0, 2.0, 0.0], dtype=torch.float64)
    x = values.view(4, 1, 1, 1).expand(4, 4, 3, 3).clone()  # 36 elements per sample, all equal to v_i
    norms = gradient_norm(critic, x)
    expected = values.abs() * 6.0  # sqrt(36 * v^2)
    assert norms.shape == (4,)  # one per sample: not one for the batch, not one per pixel/row
    torch.testing.assert_close(norms, expected, atol=1e-5, rtol=0)
    penalty, _ = gradient_penalty(critic, x)
    assert penalty.item() == pytest.approx(((expected - 1) ** 2).mean().item(), abs=1e-5)


def test_gradient_norm_mixes_no_samples():
    critic = lambda x: 0.5 * x.flatten(1).pow(2).sum(1)  # noqa: E731
    x = torch.randn(5, 2, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(gradient_norm(critic, x), x.flatten(1).norm(dim=1), atol=1e-6, rtol=0)


def test_gradient_norm_keeps_a_graph_to_the_critic_parameters():
    lin = nn.Linear(3, 1, bias=False).double()
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[3.0, 0.0, 4.0]]))  # ||a|| = 5: penalty (5-1)^2 = 16
    penalty, _ = gradient_penalty(lambda x: lin(x).squeeze(1), torch.randn(6, 3, dtype=torch.float64))
    penalty.backward()
    # d/da (||a|| - 1)^2 = 2 (||a|| - 1) a / ||a|| = 2 * 4 * a / 5
    torch.testing.assert_close(lin.weight.grad, torch.tensor([[4.8, 0.0, 6.4]], dtype=torch.float64))


@pytest.mark.parametrize("name", ["wgan", "wgan-gp", "icvp", "icvp-eps", "icvp-lambda"])
def test_fakes_are_detached_in_the_critic_step(name):
    torch.manual_seed(0)
    G = nn.Linear(2, 2)
    D = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    critic = lambda x: D(x).squeeze(1)  # noqa: E731
    fake = G(torch.randn(16, 2))
    assert fake.requires_grad
    loss, _ = make_method(name, lambda_max=1.0, warmup=0).critic_loss(critic, torch.randn(16, 2), fake)
    loss.backward()
    assert all(p.grad is None for p in G.parameters()), "the critic loss sent gradient into the generator"
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in D.parameters())


def test_no_batch_norm_in_a_penalty_critic():
    with pytest.raises(ValueError, match="batch"):
        build_models("image", (1, 28, 28), 8, 8, d_norm="batch", penalty=True)
    with pytest.raises(ValueError, match="batch"):
        build_models("toy", (2,), 2, 8, d_norm="batch", penalty=True)
    _, d = build_models("image", (1, 28, 28), 8, 8)
    assert not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in d.modules())
    _, d = build_models("image", (1, 28, 28), 8, 8, d_norm="batch", penalty=False)  # wgan may
    assert any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in d.modules())


def test_zero_gradient_gives_no_nan():
    lin = nn.Linear(2, 1)
    with torch.no_grad():
        lin.weight.zero_()  # D(x) = b: the input gradient is exactly 0
    penalty, norms = gradient_penalty(lambda x: lin(x).squeeze(1), torch.randn(8, 2))
    assert torch.isfinite(norms).all() and torch.isfinite(penalty)
    assert penalty.item() == pytest.approx(1.0, abs=1e-5)
    penalty.backward()
    assert lin.weight.grad is not None and torch.isfinite(lin.weight.grad).all()

    const = lambda x: 0 * x.flatten(1).sum(1)  # noqa: E731
    penalty, _ = gradient_penalty(const, torch.randn(4, 1, 3, 3))
    assert torch.isfinite(penalty) and penalty.item() == pytest.approx(1.0, abs=1e-5)


# --- readings of section 2 (the paper's formulas are lost): reference and signal options ------------------------


def test_reference_warmup_mean_is_fixed_at_the_warmup_average():
    from ganlib.methods import ICVPSchedule

    s = ICVPSchedule(warmup=3, beta=0.0, reference="warmup-mean")  # beta 0: d_t = w_t
    steps = s.run([2.0, 4.0, 6.0, 8.0, 1.0])
    assert [st.r_t for st in steps[:3]] == [1.0, 1.0, 1.0]
    assert steps[3].d_ref == pytest.approx(4.0) and steps[4].d_ref == pytest.approx(4.0)  # never raised to 8
    assert steps[3].r_t == 1.0 and steps[4].r_t == pytest.approx(0.25)


def test_reference_max_keeps_the_peak_and_decaying_max_forgets_it():
    from ganlib.methods import ICVPSchedule

    ws = [10.0] + [1.0] * 100
    keep = ICVPSchedule(warmup=0, beta=0.0).run(ws)
    forget = ICVPSchedule(warmup=0, beta=0.0, reference="decaying-max", ref_decay=0.9).run(ws)
    assert keep[-1].d_ref == 10.0 and keep[-1].r_t == pytest.approx(0.1)
    assert forget[5].d_ref == pytest.approx(10.0 * 0.9**5)
    assert forget[-1].d_ref == pytest.approx(1.0) and forget[-1].r_t == pytest.approx(1.0)  # 10 * 0.9**100 < 1


def test_slope_signal_divides_the_estimate_by_the_last_gradient_norm():
    """A critic c * (a . x) with |a| = 1 has slope c everywhere: its estimate is c times the mean difference;
    the slope signal hands the schedule the estimate divided by c (from the second step on)."""
    from ganlib.methods import make_method

    c, a = 3.0, torch.tensor([0.6, 0.8])
    critic = lambda x: c * (x @ a)  # noqa: E731
    real, fake = torch.ones(16, 2), torch.zeros(16, 2)  # mean difference a . (1, 1) = 1.4
    m = make_method("icvp", warmup=10, signal="slope")
    _, first = m.critic_loss(critic, real, fake)
    _, second = m.critic_loss(critic, real, fake)
    assert float(first["w_t"]) == pytest.approx(c * 1.4) and float(second["w_t"]) == pytest.approx(c * 1.4)
    assert float(first["signal_t"]) == pytest.approx(c * 1.4)  # no norm measured yet
    assert float(second["signal_t"]) == pytest.approx(1.4, rel=1e-5)
    state = m.state_dict()
    again = make_method("icvp", warmup=10, signal="slope")
    again.load_state_dict(state)
    _, third = again.critic_loss(critic, real, fake)
    assert float(third["signal_t"]) == pytest.approx(1.4, rel=1e-5) and third["t"] == 2


@pytest.mark.parametrize("reading", [dict(reference="warmup-mean"), dict(reference="decaying-max"),
                                     dict(signal="slope"), dict(interpolation="band"), dict(lambda_min=1.0, lambda_max=10.0),
                                     dict(gamma=0.5)])
def test_every_reading_trains_from_config(reading):
    from ganlib.config import Config
    from ganlib.train import train

    run = train(Config(method="icvp", dataset="8gaussians", width=16, iters=6, warmup=5, quiet=True, **reading))
    assert run.it == 6
