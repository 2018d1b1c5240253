"""ICVP's relatives: five published gradient penalties in the same harness (``docs/METHOD.md`` section 7).

ICVP changes two things in WGAN-GP: *where* the penalty is evaluated and *how much* it weighs.  Each
relative here changes one of them (or *what* is penalised) in a way that users already reach for:

=========  ==========================================  ==================================  ==========================
method     penalty points ``x_hat``                    penalty (before its weight)         weight ``lambda_t``
=========  ==========================================  ==================================  ==========================
wgan-lp    WGAN-GP's: ``eps x_real + (1-eps) x_fake``  ``mean(max(0, ||g|| - 1)^2)``       ``lambda_max``
dragan     ``x_real + alpha * delta`` near the reals   ``mean((||g|| - 1)^2)``             ``lambda_max``
r1         the reals                                   ``0.5 * mean(||g||^2)``             ``lambda_max`` (R1's gamma)
zero-gp    WGAN-GP's interpolates                      ``mean(||g||^2)``                   ``lambda_max``
agp        WGAN-GP's interpolates                      ``mean((||g|| - 1)^2)``             PI controller, from ``lambda_max``
=========  ==========================================  ==================================  ==========================

``g = grad D(x_hat)``, its norm per sample over the flattened input (:func:`ganlib.methods.gradient_norm`).
Every one uses the harness's WGAN losses, so that only the penalty differs from ``wgan-gp`` and ``icvp``:
critic ``mean(D(x_fake)) - mean(D(x_real)) + lambda_t * penalty``, generator ``-mean(D(G(z)))``.  DRAGAN, R1
and the zero-centred GP were published with the non-saturating (cross-entropy) GAN loss; here they are
read as Lipschitz-type regularisers of a WGAN critic, which is what a comparison at equal loss needs,
but it is not the setting their authors tuned, so a poor showing here says nothing about them with
their own loss.  Every step logs ``w_t, t, lambda_t, penalty`` and ``grad_norm`` (the mean norm at the
penalty points), as ICVP's steps do.  Random draws (``eps``, ``alpha``, ``delta``) come from the global
torch RNG, as WGAN-GP's ``eps`` does, so that the data and noise streams of :class:`ganlib.train.Run`
stay paired by seed; ``wgan-lp``, ``zero-gp`` and ``agp`` draw exactly what ``wgan-gp`` draws.

>>> c = LambdaController(start=10.0)
>>> [round(c.update(n), 3) for n in (1.5, 1.5, 0.5)]  # the norm above 1 raises lambda, below 1 lowers it
[10.523, 10.534, 9.522]
"""

from __future__ import annotations

import functools
import math

import torch

from .methods import (
    RELATIVE_BUILDERS,
    RELATIVES,
    Method,
    _number,
    at_least_fp32,
    check_choice,
    gradient_norm,
    gradient_penalty,
    interpolation_point,
)

DRAGAN_SCALE = 0.5  # DRAGAN's perturbation: up to 0.5 x the batch's standard deviation per element (reference code)

# agp's defaults (LambdaController and docs/METHOD.md section 7 give the reasons)
AGP_KP = 0.1  # proportional gain on log(lambda), per unit of norm error
AGP_KI = 2e-3  # integral gain on log(lambda), per unit of norm error and critic step
AGP_RANGE = 10.0  # lambda stays within [lambda_max / 10, 10 * lambda_max]
AGP_TARGET = 1.0  # the mean gradient norm the controller holds


# ---------------------------------------------------------------------------------------------
# Penalties and points
# ---------------------------------------------------------------------------------------------


def one_sided_penalty(critic, x_hat: torch.Tensor):
    """WGAN-LP: ``mean(max(0, ||grad D(x_hat)|| - 1)^2)``; returns ``(penalty, grad_norms)``.

    Zero wherever the norm is at most 1: only slopes above 1 are penalised (the Lipschitz constraint
    is an inequality), where WGAN-GP's two-sided penalty also pushes slopes below 1 up.
    """
    norms = gradient_norm(critic, x_hat)
    return (norms - 1.0).clamp(min=0.0).pow(2).mean(), norms


def zero_centred_penalty(critic, x_hat: torch.Tensor):
    """``mean(||grad D(x_hat)||^2)`` (zero-centred: every slope is pulled to 0); returns ``(penalty, grad_norms)``."""
    norms = gradient_norm(critic, x_hat)
    return norms.pow(2).mean(), norms


def _rand(shape, like: torch.Tensor, generator=None) -> torch.Tensor:
    """``U[0, 1)`` draws of ``shape`` on ``like``'s device and dtype: from the global RNG (of that device), as
    WGAN-GP's ``eps``, or from ``generator`` (a CPU generator, for a probe that must not move the RNG)."""
    if generator is None:
        return torch.rand(shape, device=like.device, dtype=like.dtype)
    return torch.rand(shape, generator=generator, dtype=like.dtype).to(like.device)


def uniform_interpolates(real: torch.Tensor, fake: torch.Tensor, generator=None) -> torch.Tensor:
    """WGAN-GP's points ``eps * real + (1 - eps) * fake``, ``eps ~ U[0, 1]`` per sample.

    With ``generator=None`` this is :func:`ganlib.methods.interpolation_point` in mode ``uniform``: the
    same draw from the global RNG.
    """
    if generator is None:
        return interpolation_point(real, fake, "uniform")[0]
    b = real.shape[0]
    eps = _rand(b, real, generator).view(b, *([1] * (real.dim() - 1)))
    return eps * real + (1.0 - eps) * fake


def perturbed_real(real: torch.Tensor, scale: float = DRAGAN_SCALE, generator=None) -> torch.Tensor:
    """DRAGAN's points: ``x_real + alpha * delta`` with ``delta = scale * std(x_real batch) * U[0, 1]`` per element
    and ``alpha ~ U[0, 1]`` per sample (first ``alpha``, then ``delta``, from the global RNG or ``generator``).

    ``std`` is the population standard deviation of the whole real batch (one number).  Every element of
    ``x_hat - x_real`` lies in ``[0, scale * std]``: the points are within ``scale * std * sqrt(d)`` of a
    real sample (``d`` its number of elements), on the segment from it to a perturbed copy, all on the
    positive side as in the reference code.
    """
    b = real.shape[0]
    alpha = _rand(b, real, generator).view(b, *([1] * (real.dim() - 1)))
    delta = scale * real.std(correction=0) * _rand(real.shape, real, generator)
    return real + alpha * delta


# ---------------------------------------------------------------------------------------------
# The lambda controller of agp
# ---------------------------------------------------------------------------------------------


class LambdaController:
    """A PI controller on ``log(lambda)`` that holds the mean gradient norm at the penalty points near 1.

    With ``e_t = mean ||grad D(x_hat)|| - target`` measured at critic step t (target 1)::

        I_t          = clip(I_{t-1} + e_t, I_lo, I_hi)                              (I_{-1} = 0)
        lambda_{t+1} = clip(start * exp(k_p * e_t + k_i * I_t), low, high),         lambda_0 = start

    so ``lambda_t`` is the weight used at step t, computed from the norms of steps before it: the first
    step is WGAN-GP's.  A norm held above 1 raises lambda (the penalty gets stronger and pulls the slope
    down); below 1 lowers it: the controller reads the penalty as the multiplier of the constraint
    ``||grad D|| <= 1`` (dual ascent, as in Fisher GAN's augmented Lagrangian), not as a target to be
    reached from below.  ``I_lo, I_hi = log(low / start) / k_i, log(high / start) / k_i`` (anti-windup: the
    integral alone never asks for more than the limits, so lambda leaves a limit as soon as the error
    changes sign).

    Defaults (module constants ``AGP_*``) and why:

    - ``start = lambda_max`` (WGAN-GP's lambda, 10 on images): agp begins as WGAN-GP, so that a paired
      difference from ``wgan-gp`` is the controller's doing;
    - ``low, high = start / 10, 10 * start``: a decade either way; Mtetwa et al. (2025) report lambda moving
      from 10 to about 21 on CIFAR-10, well inside; a floor keeps the critic constrained (lambda -> 0 is an
      unconstrained WGAN, which diverges), a ceiling keeps the penalty from swamping the critic's objective;
    - ``k_i = 2e-3`` per critic step: the integral is the controller's memory; a sustained error of 0.1 (a
      norm of 1.1, about WGAN-GP's typical deviation) doubles lambda in ``ln 2 / (2e-3 * 0.1)`` = 3466 critic
      steps (about 700 generator iterations at ``n_critic = 5``), and the error of 2 to 3 of the toy default
      ``lambda = 0.1`` in about 150 critic steps: slower than the critic's own response to a change of lambda
      (tens of Adam steps), so the loop does not oscillate, yet fast enough to act within a 1000-2000
      iteration run;
    - ``k_p = 0.1``: the proportional term reacts at once to a jump of the norm (an error of 0.5 gives +5%)
      while the batch-to-batch noise of the mean norm (sd about 0.05-0.2) moves lambda by only 0.5-2%.

    Works on numbers and on 0-dim tensors (then the state stays on the device in float64 and nothing
    waits for it), like :class:`ganlib.methods.ICVPSchedule`; ``state_dict`` holds plain numbers.
    """

    def __init__(self, start=10.0, k_p=AGP_KP, k_i=AGP_KI, low=None, high=None, target=AGP_TARGET):
        low = start / AGP_RANGE if low is None else low
        high = start * AGP_RANGE if high is None else high
        if not start > 0:
            raise ValueError(f"agp's starting lambda (lambda_max) must be > 0; got {start}")
        if not 0 < low <= start <= high:
            raise ValueError(f"agp's limits must satisfy 0 < low <= start <= high; got {low}, {start}, {high}")
        if k_p < 0 or k_i < 0:
            raise ValueError(f"agp's gains must be >= 0; got k_p={k_p}, k_i={k_i}")
        self.start, self.k_p, self.k_i, self.low, self.high, self.target = start, k_p, k_i, low, high, target
        self.i_lo, self.i_hi = ((math.log(low / start) / k_i, math.log(high / start) / k_i) if k_i > 0 else (0.0, 0.0))
        self.t = 0
        self.integral = 0.0
        self.error = math.nan  # e_{t-1}: none yet
        self.lambda_t = float(start)

    def update(self, mean_norm):
        """Step t's mean gradient norm in; ``lambda_{t+1}`` out (also the new ``lambda_t``)."""
        if torch.is_tensor(mean_norm):
            e = mean_norm.detach().double() - self.target
            integral = torch.as_tensor(self.integral, dtype=torch.float64, device=e.device)
            self.integral = (integral + e).clamp(self.i_lo, self.i_hi)
            lam = (self.start * torch.exp(self.k_p * e + self.k_i * self.integral)).clamp(self.low, self.high)
        else:
            e = float(mean_norm) - self.target
            self.integral = min(max(self.integral + e, self.i_lo), self.i_hi)
            lam = min(max(self.start * math.exp(self.k_p * e + self.k_i * self.integral), self.low), self.high)
        self.error, self.lambda_t = e, lam
        self.t += 1
        return lam

    def run(self, norms) -> list:
        """The ``lambda_t`` used at each step while ``norms`` are measured, one per step (handy for plots)."""
        out = []
        for n in norms:
            out.append(self.lambda_t)
            self.update(n)
        return out

    def state_dict(self) -> dict:
        """Plain numbers (read from the device if the state lives there)."""
        return {"t": self.t, "integral": _number(self.integral), "error": _number(self.error),
                "lambda_t": _number(self.lambda_t)}

    def load_state_dict(self, state: dict) -> None:
        self.t, self.integral, self.error, self.lambda_t = (state["t"], state["integral"], state["error"],
                                                            state["lambda_t"])


# ---------------------------------------------------------------------------------------------
# The methods
# ---------------------------------------------------------------------------------------------


class Relative(Method):
    """A relative of WGAN-GP: the WGAN critic loss plus ``lambda_t * penalty`` at the method's own points.

    Subclasses say where (:meth:`points`), what (:meth:`penalty`) and how much (:meth:`weight`).
    ``schedule`` is ``None`` (there is no ICVP schedule); ``t`` counts critic steps.
    """

    def __init__(self, name: str, lambda_max: float = 10.0):
        check_choice("method", name, RELATIVES)
        if lambda_max < 0:
            raise ValueError(f"lambda must be >= 0; got lambda_max={lambda_max}")
        self.name, self.schedule, self.clip_value = name, None, None
        self.lambda_max = float(lambda_max)
        self.t = 0

    def points(self, real: torch.Tensor, fake: torch.Tensor, generator=None) -> torch.Tensor:
        return uniform_interpolates(real, fake, generator)

    def penalty(self, critic, x_hat: torch.Tensor):
        """``(penalty, grad_norms)`` at ``x_hat``, before the weight."""
        return gradient_penalty(critic, x_hat)

    def weight(self):
        return self.lambda_max

    def observe(self, mean_norm) -> None:
        """Called after each critic step with the mean gradient norm at its points (agp's controller)."""

    def critic_loss(self, critic, real: torch.Tensor, fake: torch.Tensor):
        """``mean(D(fake)) - mean(D(real)) + lambda_t * penalty``; ``fake`` is detached here.

        Returns the loss and the logged values (0-dim tensors or numbers; nothing waits for the device).
        """
        fake = fake.detach()
        d_real, d_fake = at_least_fp32(critic(real)).mean(), at_least_fp32(critic(fake)).mean()
        w = d_real - d_fake
        penalty, norms = self.penalty(critic, self.points(real, fake))
        lam = self.weight()
        grad_norm = norms.detach().mean()
        log = {"w_t": w.detach(), "t": self.t, "lambda_t": lam, "penalty": penalty.detach(), "grad_norm": grad_norm}
        self.observe(grad_norm)
        self.t += 1
        return -w + (lam.to(penalty.dtype) if torch.is_tensor(lam) else lam) * penalty, log

    def state_dict(self) -> dict:
        return {"t": self.t}

    def load_state_dict(self, state: dict) -> None:
        self.t = state["t"]


class WGANLP(Relative):
    """``wgan-lp``: Petzka, Fischer, Lukovnikov (2018), "On the regularization of Wasserstein GANs", ICLR.

    ``lambda_max * mean(max(0, ||grad D(x_hat)|| - 1)^2)`` at WGAN-GP's uniform interpolates: the
    one-sided ("Lipschitz") penalty penalises only slopes above 1.  Published with the WGAN loss, as here.
    """

    def penalty(self, critic, x_hat):
        return one_sided_penalty(critic, x_hat)


class DRAGAN(Relative):
    """``dragan``: Kodali, Abernethy, Hays, Kira (2017), "On convergence and stability of GANs", arXiv:1705.07215.

    ``lambda_max * mean((||grad D(x_hat)|| - 1)^2)`` at points around the *real* data only,
    ``x_hat = x_real + alpha * delta`` (:func:`perturbed_real`: ``delta = 0.5 * std(x_real batch) * U[0, 1]``
    per element, ``alpha ~ U[0, 1]`` per sample), as in the authors' reference code (the paper writes
    ``delta ~ N(0, c I)``).  The paper used the non-saturating GAN loss with lambda 10; here the WGAN loss,
    so DRAGAN is read as "WGAN-GP's penalty moved to the neighbourhood of the data" (the points do not
    depend on the generator: the place ICVP's point tends to as ``r_t -> 0``, but from the start).  As for
    ``r1``, nothing constrains the critic far from the data, where the WGAN loss (unlike the saturating one)
    rewards an unbounded fall of ``D`` on the generated samples.
    """

    def points(self, real, fake, generator=None):
        return perturbed_real(real, DRAGAN_SCALE, generator)


class R1(Relative):
    """``r1``: Mescheder, Geiger, Nowozin (2018), "Which training methods for GANs do actually converge?", ICML.

    ``gamma / 2 * mean(||grad D(x_real)||^2)`` on the real batch (zero-centred), with ``gamma = lambda_max``:
    the penalty logged is ``0.5 * mean(||g||^2)`` and ``lambda_t = lambda_max``.  The paper used the
    non-saturating GAN loss (gamma 10 on most image sets), which saturates on the generated samples.  The
    WGAN loss is linear in ``D``, and a penalty at the real data only leaves ``D`` free to fall without bound
    on the generated samples: the comparison asks whether R1's local constraint is enough for a WGAN
    critic (a run whose losses leave the finite numbers stops with
    :class:`ganlib.train.NonFiniteLossError`), not how R1 does in its own setting.  No random draw.
    """

    def points(self, real, fake, generator=None):
        return real

    def penalty(self, critic, x_hat):
        p, norms = zero_centred_penalty(critic, x_hat)
        return 0.5 * p, norms


class ZeroGP(Relative):
    """``zero-gp``: Thanh-Tung, Tran, Venkatesh (2019), "Improving generalization and stability of GANs", ICLR.

    ``lambda_max * mean(||grad D(x_hat)||^2)`` at WGAN-GP's uniform interpolates (zero-centred: every slope
    on the segments is pulled towards 0, not 1).  Published mainly with the non-saturating GAN loss
    ("GAN-0GP"); here the WGAN loss, where a zero-centred penalty competes directly with the critic's
    objective (the optimum slope is ``W1 / (2 lambda)`` instead of ``1 + W1 / (2 lambda)``).
    """

    def penalty(self, critic, x_hat):
        return zero_centred_penalty(critic, x_hat)


class AGP(Relative):
    """``agp``: adaptive gradient penalty, after Mtetwa, Ogudo, Pudaruth (2025), "Adaptive gradient penalty for
    Wasserstein GANs: theory and applications", Mathematics 13(16):2651.

    WGAN-GP's points (uniform interpolates) and one-centred penalty ``mean((||g|| - 1)^2)``, weighed by
    ``lambda_t`` from a PI controller (:class:`LambdaController`) that holds the mean gradient norm at the
    penalty points near 1: it starts at ``lambda_max`` and stays within ``[lambda_max / 10, 10 lambda_max]``,
    gains ``k_p = 0.1``, ``k_i = 2e-3`` on ``log lambda``.  Our controller is written from the paper's
    description (a PI controller on the gradient-norm error), not from its code: gains, limits and the
    multiplicative form are ours.  ``lambda_t`` is logged each step like ICVP's; the controller's state is
    saved with the method, so a resumed run continues exactly.
    """

    def __init__(self, name: str = "agp", lambda_max: float = 10.0, **controller):
        super().__init__(name, lambda_max)
        self.controller = LambdaController(start=lambda_max, **controller)

    def weight(self):
        return self.controller.lambda_t

    def observe(self, mean_norm) -> None:
        self.controller.update(mean_norm)

    def state_dict(self) -> dict:
        return {"t": self.t, "controller": self.controller.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.t = state["t"]
        self.controller.load_state_dict(state["controller"])


CLASSES = {"wgan-lp": WGANLP, "dragan": DRAGAN, "r1": R1, "zero-gp": ZeroGP, "agp": AGP}


def make_relative(name: str, lambda_max: float = 10.0) -> Relative:
    """One of :data:`ganlib.methods.RELATIVES` with penalty weight (agp: starting lambda) ``lambda_max``."""
    check_choice("method", name, RELATIVES)
    return CLASSES[name](name, lambda_max)


for _name in RELATIVES:  # make ganlib.methods.make_method build them (see RELATIVE_BUILDERS there)
    RELATIVE_BUILDERS[_name] = functools.partial(make_relative, _name)
