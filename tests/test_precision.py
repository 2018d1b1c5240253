"""Speed changes that must not change results: no host synchronisation in the critic loop (bit-identical
on CPU to the loop that read every value at once), the schedule's state in checkpoints, and bf16."""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict

import pytest
import torch

from ganlib.config import Config
from ganlib.methods import ICVPSchedule, gradient_norm, make_lambda_schedule
from ganlib.train import Run, noise


# Bit-exact comparisons need a fixed thread count (tests/conftest.py: fixed_threads).
pytestmark = pytest.mark.usefixtures("fixed_threads")


TOY = dict(dataset="8gaussians", width=16, quiet=True, seed=2)


# ---------------------------------------------------------------------------------------------
# The loop as it was: every value read on the host at once, the schedule fed Python floats, the
# losses checked every critic step.  Written out here so that the comparison can fail.
# ---------------------------------------------------------------------------------------------

def _host_schedule_step(s: ICVPSchedule, w: float) -> dict:
    s.d = w if s.d is None else s.beta * s.d + (1.0 - s.beta) * w
    if s.t < s.warmup:
        r = 1.0
    else:
        s.d_ref = s.d if s.d_ref is None else max(s.d_ref, s.d)
        r = 1.0 if s.d_ref <= 0 else min(max(s.d / s.d_ref, 0.0), 1.0)
    out = dict(t=s.t, w_t=w, d_t=s.d, d_ref=math.nan if s.d_ref is None else s.d_ref, r_t=r, eps_t=1.0 - r,
               lambda_t=float(s.lambda_schedule(s.t, r)))
    s.t += 1
    return out


def _host_critic_loss(method, D, real, fake):
    d_real, d_fake = D(real).mean(), D(fake).mean()
    w = d_real - d_fake
    log = {"w_t": w.item()}
    if method.schedule is None:
        return -w, log
    s = _host_schedule_step(method.schedule, w.item())
    b = real.shape[0]
    if method.schedule.interpolation == "uniform":
        eps = torch.rand(b, dtype=real.dtype)
    elif method.schedule.interpolation == "deterministic":
        eps = torch.full((b,), 1.0 - s["r_t"], dtype=real.dtype)
    else:
        eps = 1.0 - s["r_t"] * torch.rand(b, dtype=real.dtype)
    e = eps.view(b, *([1] * (real.dim() - 1)))
    x_hat = (e * real + (1.0 - e) * fake).detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(D(x_hat).sum(), x_hat, create_graph=True)
    norms = torch.sqrt(grad.flatten(1).pow(2).sum(1) + 1e-12)
    penalty = (norms - 1.0).pow(2).mean()
    log.update(s)
    log.update(penalty=penalty.item(), grad_norm=norms.mean().item())
    return -w + s["lambda_t"] * penalty, log


def _host_step(run: Run) -> dict:
    cfg, G, D = run.cfg, run.G, run.D
    for _ in range(cfg.n_critic):
        real = run.data.sample(cfg.batch_size, "cpu", run.data_rng)
        with torch.no_grad():
            fake = G(noise(cfg, cfg.batch_size, "cpu", run.noise_rng))
        d_loss, log = _host_critic_loss(run.method, D, real, fake)
        assert torch.isfinite(d_loss)
        run.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        run.opt_d.step()
        run.method.after_critic_step(D)
    for p in D.parameters():
        p.requires_grad_(False)
    g_loss = -D(G(noise(cfg, cfg.batch_size, "cpu", run.noise_rng))).mean()
    for p in D.parameters():
        p.requires_grad_(True)
    run.opt_g.zero_grad(set_to_none=True)
    g_loss.backward()
    run.opt_g.step()
    run.sched_g.step()
    run.sched_d.step()
    run.it += 1
    return {"iter": run.it, "g_loss": g_loss.item(), "d_loss": d_loss.item(), **log,
            "lr_g": run.opt_g.param_groups[0]["lr"]}


CASES = {
    "wgan": dict(method="wgan"),
    "wgan-gp": dict(method="wgan-gp"),
    # beta 0 (d_t = w_t) and a short warm-up: r_t falls below 1, so every branch of the rule runs
    "icvp": dict(method="icvp", warmup=2, ema_beta=0.0, lr_d=1e-3),
    "icvp-band-gamma": dict(method="icvp", warmup=2, ema_beta=0.0, lr_d=1e-3, interpolation="band", gamma=2.0,
                            lambda_min=0.01),
    "icvp-lambda": dict(method="icvp-lambda", warmup=2, ema_beta=0.0, lr_d=1e-3),
    "icvp-cosine": dict(method="icvp", warmup=2, lambda_schedule="cosine"),
}


@pytest.mark.parametrize("case", CASES)
def test_cpu_steps_are_bit_identical_to_the_host_synchronised_loop(case):
    cfg = Config(iters=8, **TOY, **CASES[case])
    torch.manual_seed(0)  # wgan-gp's interpolation coefficients come from the global RNG
    new = Run(cfg)
    new_rows = [new.step() for _ in range(8)]
    old = Run(cfg)
    old_rows = [_host_step(old) for _ in range(8)]
    assert [json.dumps(r) for r in new_rows] == [json.dumps(r) for r in old_rows]  # values and types
    for net in ("G", "D"):
        a, b = getattr(new, net).state_dict(), getattr(old, net).state_dict()
        assert all(torch.equal(a[k], b[k]) for k in a), f"{case}: {net} differs"
    if case.startswith("icvp-") or case == "icvp":
        assert new.method.state_dict() == old.method.state_dict()
    if "ema_beta" in CASES[case]:
        assert min(r["r_t"] for r in new_rows) < 1.0  # the reference ratio was exercised


def test_schedule_on_tensors_gives_the_numbers_of_floats():
    ws = [8.0, 0.0, 0.0, 0.0, -3.0, 10.0, 0.0, -1.0, 2.5]
    for kw in (dict(beta=0.5, warmup=2), dict(beta=0.0, warmup=0), dict(beta=0.9, warmup=3)):
        lam = make_lambda_schedule("distance", 10.0, 2.0, gamma=2.0)
        on_floats = ICVPSchedule("deterministic", lam, **kw).run(ws)
        on_tensors = ICVPSchedule("deterministic", lam, **kw).run([torch.tensor(w, dtype=torch.float32) for w in ws])
        for a, b in zip(on_floats, on_tensors):
            got = {k: v.item() if torch.is_tensor(v) else v for k, v in vars(b).items()}
            assert json.dumps(asdict(a)) == json.dumps(got)


def test_schedule_state_in_checkpoints_is_plain_numbers_and_continues_identically():
    cfg = Config(iters=6, **TOY, **CASES["icvp"])
    straight = Run(cfg)
    rows = [straight.step() for _ in range(6)]
    first = Run(cfg)
    for _ in range(3):
        first.step()
    state = first.state_dict()
    schedule = state["method"]["schedule"]
    assert all(type(v) in (int, float) for v in schedule.values()), schedule
    resumed = Run(cfg)
    resumed.load_state_dict(state)
    assert [resumed.step() for _ in range(3)] == rows[3:]
    assert all(torch.equal(a, b) for a, b in zip(resumed.G.state_dict().values(), straight.G.state_dict().values()))


@pytest.mark.filterwarnings("ignore:precision bf16 on a CPU")
def test_bf16_runs_the_networks_in_bf16_and_the_penalty_in_fp32():
    run = Run(Config(iters=3, precision="bf16", **TOY, **CASES["icvp"]))
    x = run.real_batch()
    with run.autocast():
        assert run.D(x).dtype == torch.bfloat16  # autocast is on for the networks
        norms = gradient_norm(run.D, x)
        loss, log = run.method.critic_loss(run.D, x, x.flip(0))
        w_fp32 = run.D(x).float().mean() - run.D(x.flip(0)).float().mean()  # the means taken in fp32
    assert norms.dtype == torch.float32 and loss.dtype == torch.float32
    assert float(log["w_t"]) == float(w_fp32)
    rows = [run.step() for _ in range(3)]
    assert all(math.isfinite(r[k]) for r in rows for k in ("d_loss", "g_loss", "penalty", "grad_norm"))
    fp32 = Run(Config(iters=3, **TOY, **CASES["icvp"]))
    for _ in range(3):
        fp32.step()
    assert not torch.equal(run.G.state_dict()["net.0.weight"], fp32.G.state_dict()["net.0.weight"])


def test_unknown_precision_names_the_accepted_ones():
    with pytest.raises(ValueError, match="unknown precision 'fp16'; accepted: fp32, bf16"):
        Config(precision="fp16").validate()


def test_bf16_on_a_cpu_without_it_warns_that_it_is_emulated(monkeypatch):
    import ganlib.train as gtrain

    monkeypatch.setattr(gtrain, "cpu_has_bf16", lambda: False)
    with pytest.warns(UserWarning, match="emulated and slower than fp32"):
        Run(Config(precision="bf16", **TOY))
    monkeypatch.setattr(gtrain, "cpu_has_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Run(Config(precision="bf16", **TOY))
        Run(Config(**TOY))
