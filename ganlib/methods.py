"""The paper's logic in one place: gradient penalty, interpolation points and lambda schedules.

Section and step numbers refer to ``docs/METHOD.md`` (a copy of the project's method specification).

Everything here works without a GAN around it.  A student can feed an :class:`ICVPSchedule`
a sequence of distance estimates ``w_t`` and read back ``r_t, eps_t, lambda_t``::

    >>> s = ICVPSchedule(warmup=0)
    >>> [round(s.step(w).lambda_t, 3) for w in (4.0, 2.0, 1.0)]
    [10.0, 9.5, 8.8]

A :class:`Method` turns a schedule into the critic's loss, and is what the trainer calls.  The five
relatives of section 7 (``wgan-lp``, ``dragan``, ``r1``, ``zero-gp``, ``agp``) live in
:mod:`ganlib.relatives`; :func:`make_method` builds them too.

The same code runs on numbers and on tensors: given ``w_t`` as a 0-dim tensor, the schedule computes
on the tensor's device in float64 (the arithmetic of Python floats, so the values are the same) and
nothing waits for a GPU inside the critic loop.  Under bf16 autocast the critic's outputs, the losses,
the gradient norm and the penalty are float32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

RELATIVES = ("wgan-lp", "dragan", "r1", "zero-gp", "agp")  # ganlib.relatives; METHOD.md section 7
METHODS = ("wgan", "wgan-gp", "icvp", "icvp-eps", "icvp-lambda", *RELATIVES)
INTERPOLATIONS = ("uniform", "deterministic", "band")
REFERENCES = ("max", "warmup-mean", "decaying-max")  # readings of step 3's reference distance d_ref
SIGNALS = ("critic", "slope")  # readings of step 1's distance signal
LAMBDA_SCHEDULES = ("constant", "distance", "linear", "exponential", "cosine", "step")

GRAD_NORM_EPS = 1e-12  # inside the square root: a zero gradient must not give NaN (section 3)


def check_choice(name: str, value, accepted) -> None:
    """Refuse ``value`` with a message that names it and lists what is accepted."""
    if value not in accepted:
        raise ValueError(f"unknown {name} {value!r}; accepted: {', '.join(map(str, accepted))}")


# ---------------------------------------------------------------------------------------------
# Lambda schedules (section 2, step 5, and the time-based ones beyond the paper).
# Each is a small object: ``lam(t, r_t) -> lambda_t`` where t counts critic updates.
# ---------------------------------------------------------------------------------------------


@dataclass
class ConstantLambda:
    """WGAN-GP: ``lambda_t = lambda_max`` for every step."""

    lambda_max: float = 10.0

    def __call__(self, t: int, r_t: float) -> float:
        return self.lambda_max


@dataclass
class DistanceLambda:
    """Step 5: ``lambda_t = lambda_min + (lambda_max - lambda_min) * r_t ** gamma``."""

    lambda_max: float = 10.0
    lambda_min: float = 0.0
    gamma: float = 1.0

    def __call__(self, t: int, r_t: float) -> float:
        return self.lambda_min + (self.lambda_max - self.lambda_min) * r_t**self.gamma


# The "step" schedule: the excess over lambda_min is multiplied by STEP_FACTOR every total // STEP_COUNT critic steps.
STEP_FACTOR, STEP_COUNT = 0.5, 10


@dataclass
class TimeLambda:
    """Time-based decay from ``lambda_max`` to ``lambda_min`` over ``total`` critic steps.

    ``kind`` is one of ``linear``, ``exponential`` (geometric: reaches ``lambda_min`` at ``total``,
    never below it), ``cosine`` (half cosine), ``step`` (multiply the excess over ``lambda_min``
    by :data:`STEP_FACTOR` every ``total //`` :data:`STEP_COUNT` steps).  The distance ``r_t`` is
    ignored: these are the "time-driven" decays to compare against the paper's "distance-driven" one.
    """

    kind: str = "linear"
    lambda_max: float = 10.0
    lambda_min: float = 0.0
    total: int = 10000

    def __post_init__(self):
        check_choice("time-based lambda schedule", self.kind, ("linear", "exponential", "cosine", "step"))

    def __call__(self, t: int, r_t: float) -> float:
        lo, hi = self.lambda_min, self.lambda_max
        p = min(max(t / max(self.total, 1), 0.0), 1.0)
        if p >= 1.0:
            return lo  # every time-based schedule ends at lambda_min
        if self.kind == "linear":
            return hi + (lo - hi) * p
        if self.kind == "cosine":
            return lo + (hi - lo) * 0.5 * (1.0 + math.cos(math.pi * p))
        if self.kind == "exponential":
            floor = max(lo, 1e-3 * hi)  # geometric decay needs a positive end point
            return max(lo, hi * (floor / hi) ** p) if hi > 0 else lo
        return lo + (hi - lo) * STEP_FACTOR ** (t // max(self.total // STEP_COUNT, 1))


def make_lambda_schedule(kind: str, lambda_max=10.0, lambda_min=0.0, gamma=1.0, total=10000):
    """Build a lambda schedule by name (one of :data:`LAMBDA_SCHEDULES`)."""
    check_choice("lambda schedule", kind, LAMBDA_SCHEDULES)
    if kind == "constant":
        return ConstantLambda(lambda_max)
    if kind == "distance":
        return DistanceLambda(lambda_max, lambda_min, gamma)
    return TimeLambda(kind, lambda_max, lambda_min, total)


# ---------------------------------------------------------------------------------------------
# The iterative rule (section 2, steps 2-5).
# ---------------------------------------------------------------------------------------------


@dataclass
class ScheduleStep:
    """One critic step of the rule: what is logged (step 7); numbers, or 0-dim tensors for a tensor ``w_t``."""

    t: int
    w_t: float
    d_t: float
    d_ref: float  # NaN during warm-up
    r_t: float
    eps_t: float
    lambda_t: float


class ICVPSchedule:
    """Turns the critic's distance estimates ``w_t`` into ``r_t``, ``eps_t`` and ``lambda_t``.

    - step 2: ``d_t = beta * d_{t-1} + (1 - beta) * w_t`` with ``d_0 = w_0``;
    - step 3: ``r_t = 1`` for the first ``warmup`` steps; afterwards ``d_ref = max(d_ref, d_t)``
      (started at the end of warm-up) and ``r_t = clip(d_t / d_ref, 0, 1)``, or 1 while ``d_ref <= 0``;
    - step 4: ``eps_t = 1 - r_t``;
    - step 5: ``lambda_t`` from the pluggable ``lambda_schedule``.

    ``interpolation`` says how :func:`interpolation_point` uses ``r_t``: ``uniform`` (WGAN-GP,
    ignores it), ``deterministic`` or ``band``.

    Other readings of step 3 (the paper's formula is lost; METHOD.md section 2, "readings"):
    ``reference="max"`` is the running maximum above; ``"warmup-mean"`` fixes ``d_ref`` at the mean of
    ``d_t`` over the warm-up; ``"decaying-max"`` lets the maximum forget, ``d_ref = max(ref_decay * d_ref,
    d_t)`` (``ref_decay`` per critic step: 0.999 halves an old peak in about 700 critic steps).
    """

    def __init__(self, interpolation="deterministic", lambda_schedule=None, beta=0.9, warmup=100,
                 reference="max", ref_decay=0.999):
        check_choice("interpolation", interpolation, INTERPOLATIONS)
        check_choice("reference", reference, REFERENCES)
        if not 0.0 < ref_decay <= 1.0:
            raise ValueError(f"ref-decay must be in (0, 1]; got {ref_decay}")
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"EMA beta must be in [0, 1); got {beta}")
        if warmup < 0:
            raise ValueError(f"warm-up must be >= 0 critic steps; got {warmup}")
        self.interpolation = interpolation
        self.lambda_schedule = lambda_schedule if lambda_schedule is not None else DistanceLambda()
        self.beta = beta
        self.warmup = warmup
        self.reference, self.ref_decay = reference, ref_decay
        self.t = 0
        self.d = None  # d_{t-1}
        self.d_ref = None
        self.d_sum = 0.0  # sum of d_t over the warm-up (reference "warmup-mean")

    def step(self, w_t) -> ScheduleStep:
        """One critic step; ``w_t`` a number, or a 0-dim tensor (then the state stays on its device)."""
        if torch.is_tensor(w_t):
            w_t = w_t.detach().double()
            self.d, self.d_ref = (None if v is None else torch.as_tensor(v, dtype=torch.float64, device=w_t.device)
                                  for v in (self.d, self.d_ref))
        else:
            w_t = float(w_t)
        self.d = w_t if self.d is None else self.beta * self.d + (1.0 - self.beta) * w_t
        if self.t < self.warmup:
            r_t = 1.0
            if self.reference == "warmup-mean":
                self.d_sum = self.d_sum + self.d
        else:
            if self.d_ref is None:
                self.d_ref = self.d_sum / self.warmup if self.reference == "warmup-mean" and self.warmup else self.d
            elif self.reference == "max":
                self.d_ref = _maximum(self.d_ref, self.d)
            elif self.reference == "decaying-max":
                self.d_ref = _maximum(self.ref_decay * self.d_ref, self.d)
            r_t = _ratio_to_reference(self.d, self.d_ref)
        lambda_t = self.lambda_schedule(self.t, r_t)
        out = ScheduleStep(
            t=self.t,
            w_t=w_t,
            d_t=self.d,
            d_ref=math.nan if self.d_ref is None else self.d_ref,
            r_t=r_t,
            eps_t=1.0 - r_t,
            lambda_t=lambda_t if torch.is_tensor(lambda_t) else float(lambda_t),
        )
        self.t += 1
        return out

    def run(self, ws) -> list[ScheduleStep]:
        """Feed a whole sequence of ``w_t``; handy for plots and teaching."""
        return [self.step(w) for w in ws]

    def state_dict(self) -> dict:
        """Plain numbers (read from the device if the state lives there)."""
        return {"t": self.t, "d": _number(self.d), "d_ref": _number(self.d_ref), "d_sum": _number(self.d_sum)}

    def load_state_dict(self, state: dict) -> None:
        self.t, self.d, self.d_ref = state["t"], state["d"], state["d_ref"]
        self.d_sum = state.get("d_sum", 0.0)


def _maximum(a, b):
    return torch.maximum(a, b) if torch.is_tensor(a) else max(a, b)


def _ratio_to_reference(d, d_ref):
    """Step 3: ``r_t = clip(d_t / d_ref, 0, 1)``, or 1 while ``d_ref <= 0``."""
    if torch.is_tensor(d):
        return torch.where(d_ref <= 0, 1.0, (d / d_ref).clamp(0.0, 1.0))
    return 1.0 if d_ref <= 0 else min(max(d / d_ref, 0.0), 1.0)


def _number(v):
    return v.item() if torch.is_tensor(v) else v


def at_least_fp32(x: torch.Tensor) -> torch.Tensor:
    """``x`` in float32 if autocast computed it in half precision; float32 and float64 unchanged."""
    return x.float() if x.dtype in (torch.bfloat16, torch.float16) else x


# ---------------------------------------------------------------------------------------------
# Interpolation point and gradient penalty (section 1 and section 2, steps 4 and 6).
# ---------------------------------------------------------------------------------------------


def interpolation_point(real: torch.Tensor, fake: torch.Tensor, mode: str = "uniform", r_t: float = 1.0):
    """``x_hat = eps * real + (1 - eps) * fake`` with one ``eps`` per sample (never per pixel).

    ``uniform``: ``eps ~ U[0, 1]`` (WGAN-GP); ``deterministic``: ``eps = 1 - r_t`` for the whole
    batch; ``band``: ``eps ~ U[1 - r_t, 1]``.  Returns ``(x_hat, eps)`` with ``eps`` of shape ``(B,)``.
    ``r_t`` may be a 0-dim tensor on the device.
    """
    check_choice("interpolation", mode, INTERPOLATIONS)
    b = real.shape[0]
    if mode == "uniform":
        eps = torch.rand(b, device=real.device, dtype=real.dtype)
    elif mode == "deterministic":
        eps = torch.ones(b, device=real.device, dtype=real.dtype) * (1.0 - r_t)
    else:
        eps = 1.0 - r_t * torch.rand(b, device=real.device, dtype=real.dtype)
    e = eps.view(b, *([1] * (real.dim() - 1)))
    return e * real + (1.0 - e) * fake, eps


def gradient_norm(critic, x_hat: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 norm of ``grad D(x_hat)`` over the flattened input; differentiable; at least float32."""
    x_hat = x_hat.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(at_least_fp32(critic(x_hat)).sum(), x_hat, create_graph=True)
    return torch.sqrt(at_least_fp32(grad).flatten(1).pow(2).sum(1) + GRAD_NORM_EPS)


def gradient_penalty(critic, x_hat: torch.Tensor):
    """``mean((||grad D(x_hat)||_2 - 1)^2)`` (without lambda); returns ``(penalty, grad_norms)``."""
    norms = gradient_norm(critic, x_hat)
    return (norms - 1.0).pow(2).mean(), norms


# ---------------------------------------------------------------------------------------------
# Methods: what the trainer asks for the critic's loss.
# ---------------------------------------------------------------------------------------------


class Method:
    """A critic objective: ``wgan`` (weight clipping) or a gradient-penalty method with a schedule."""

    def __init__(self, name: str, schedule: ICVPSchedule | None = None, clip_value: float = 0.01,
                 signal: str = "critic"):
        check_choice("method", name, METHODS)
        check_choice("signal", signal, SIGNALS)
        self.name = name
        self.schedule = schedule
        self.clip_value = clip_value
        # Step 1's distance signal: the critic's estimate w_t ("critic"), or w_t divided by the mean gradient norm
        # at the previous step's penalty points ("slope"): a critic c * f with f 1-Lipschitz estimates c * W1,
        # so the division undoes the slope that a small lambda_t lets grow (METHOD.md section 2, readings).
        self.signal, self.last_norm = signal, None
        if name != "wgan" and schedule is None:
            raise ValueError(f"method {name!r} needs a schedule")

    def critic_loss(self, critic, real: torch.Tensor, fake: torch.Tensor):
        """Section 2, step 6.  ``fake`` is detached here, whatever the caller did.

        Returns the loss and the logged values (0-dim tensors, read by the trainer once per generator
        iteration: nothing here waits for the device).
        """
        fake = fake.detach()
        d_real, d_fake = at_least_fp32(critic(real)).mean(), at_least_fp32(critic(fake)).mean()
        w = d_real - d_fake  # the Wasserstein estimate: mean(D(real)) - mean(D(fake))
        log = {"w_t": w.detach()}
        if self.schedule is None:
            return -w, log
        signal = w.detach() if self.signal == "critic" or self.last_norm is None else w.detach() / self.last_norm
        s = self.schedule.step(signal)
        x_hat, _ = interpolation_point(real, fake, self.schedule.interpolation, s.r_t)
        penalty, norms = gradient_penalty(critic, x_hat)
        log.update(vars(s))
        log.update(w_t=w.detach(), penalty=penalty.detach(), grad_norm=norms.detach().mean())
        if self.signal == "slope":
            log["signal_t"] = s.w_t
            self.last_norm = norms.detach().mean().double()
        lam = s.lambda_t.to(penalty.dtype) if torch.is_tensor(s.lambda_t) else s.lambda_t
        return -w + lam * penalty, log

    @torch.no_grad()
    def after_critic_step(self, critic) -> None:
        """WGAN's weight clipping: every critic parameter into ``[-c, c]``."""
        if self.name == "wgan":
            for p in critic.parameters():
                p.clamp_(-self.clip_value, self.clip_value)

    def state_dict(self) -> dict:
        return {"schedule": self.schedule.state_dict() if self.schedule else None,
                "last_norm": _number(self.last_norm)}

    def load_state_dict(self, state: dict) -> None:
        if self.schedule is not None:
            self.schedule.load_state_dict(state["schedule"])
        self.last_norm = state.get("last_norm")


# The relatives' builders: ganlib.relatives adds them when it is imported (ganlib/__init__.py imports it), so that
# make_method knows every name of METHODS while this module, the paper's logic, imports none of its relatives.
RELATIVE_BUILDERS: dict = {}


def make_method(
    name: str,
    lambda_max: float = 10.0,
    lambda_min: float = 0.0,
    gamma: float = 1.0,
    beta: float = 0.9,
    warmup: int = 100,
    interpolation: str = "deterministic",
    lambda_schedule: str | None = None,
    clip_value: float = 0.01,
    total_critic_steps: int = 10000,
    reference: str = "max",
    ref_decay: float = 0.999,
    signal: str = "critic",
) -> Method:
    """Build a method by name, as in section 2 (ablations) and section 3 (baselines).

    ``interpolation`` (deterministic or band) applies to ``icvp`` and ``icvp-eps``; ``wgan-gp`` and
    ``icvp-lambda`` draw ``eps ~ U[0, 1]``.  ``lambda_schedule`` overrides the method's own
    (``constant`` for wgan-gp and icvp-eps, ``distance`` for icvp and icvp-lambda).  The relatives
    (:data:`RELATIVES`) use ``lambda_max`` only: their penalty weight, R1's gamma, agp's starting lambda.
    """
    check_choice("method", name, METHODS)
    if name == "wgan":
        if clip_value <= 0:
            raise ValueError(f"clip value must be > 0; got {clip_value}")
        return Method(name, clip_value=clip_value)
    if lambda_max < 0 or lambda_min < 0:
        raise ValueError(f"lambda must be >= 0; got lambda_max={lambda_max}, lambda_min={lambda_min}")
    if name in RELATIVES:
        return RELATIVE_BUILDERS[name](lambda_max)
    if lambda_min > lambda_max:
        raise ValueError(f"lambda_min ({lambda_min}) must not exceed lambda_max ({lambda_max})")
    check_choice("interpolation for icvp", interpolation, ("deterministic", "band"))
    own_interp = {"wgan-gp": "uniform", "icvp-lambda": "uniform"}.get(name, interpolation)
    own_lambda = lambda_schedule or ("constant" if name in ("wgan-gp", "icvp-eps") else "distance")
    lam = make_lambda_schedule(own_lambda, lambda_max, lambda_min, gamma, total=total_critic_steps)
    schedule = ICVPSchedule(own_interp, lam, beta=beta, warmup=warmup, reference=reference, ref_decay=ref_decay)
    return Method(name, schedule, signal=signal)
