"""A run's configuration: a handful of plain values, each with a help text.

``None`` means "the published default for this method and data set" (METHOD.md section 3), filled
in by :meth:`Config.resolved`, the one place these defaults are set (the trainer and
:func:`ganlib.models.build_models` take them from the resolved config).  The command line is generated
from this one table, so every option has its help text and the same validation.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .data import DATASETS, TOY
from .methods import LAMBDA_SCHEDULES, METHODS, REFERENCES, SIGNALS, check_choice
from .models import ACTIVATIONS, D_NORMS, G_NORMS

OPTIMIZERS = ("adam", "rmsprop", "sgd")
LR_DECAYS = ("none", "exponential", "cosine")
NOISES = ("normal", "uniform")
ICVP_INTERPOLATIONS = ("deterministic", "band")
PRECISIONS = ("fp32", "bf16")
IMAGE_SIZES = (32, 64)
# What each field's type accepts (a run's config.json may have been edited by hand).
_TYPES = {int: ((int,), "an integer"), float: ((int, float), "a number"), str: ((str,), "a string"),
          bool: ((bool,), "true or false"), list: ((list, tuple), "a list")}
# Fields that earlier versions saved in config.json and that are gone, with the one value a saved run may hold:
# the behaviour that remains.  A run saved with another value was made by code that no longer exists.
RETIRED = {"wgan_warmup": False}  # WGAN's 100 critic steps early on: an option that nothing set


def _check_type(name: str, v, base: type, optional: bool, item: type | None = None) -> None:
    if v is None and optional:
        return
    accepted, words = _TYPES[base]
    if (isinstance(v, bool) and base is not bool) or not isinstance(v, accepted):
        raise ValueError(f"{name} must be {words}{' or null' if optional else ''}; got {v!r}")
    if base is float and not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number; got {v!r}")
    if base is list and item is not None:
        for x in v:
            _check_type(f"every item of {name}", x, item, False)


def _f(default, help, default_text=None, **kw):
    """A field with its help text.  ``default_text`` says what the default is where the value itself does not
    (``None``: resolved by data set and method; an empty list); the command line shows it, else the default."""
    meta = {"help": help, **kw}
    if default_text is not None:
        meta["default_text"] = default_text
    return field(default=default, metadata=meta)


@dataclass
class Config:
    method: str = _f("icvp", "training method (wgan-lp, dragan, r1, zero-gp, agp: ICVP's relatives, METHOD.md "
                     "section 7)", choices=METHODS)
    dataset: str = _f("8gaussians", f"data set: {', '.join(DATASETS)}")
    data_dir: str | None = _f(None, "data folder", "$GANLIB_DATA, else ~/.cache/ganlib/data")
    image_size: int | None = _f(None, "image size for colour sets: 32 or 64", "32")
    max_images: int | None = _f(None, "use at most this many images of an image folder", "all")
    iters: int = _f(1000, "generator iterations")
    batch_size: int | None = _f(None, "batch size", "256 toy, 50 MNIST-like, 64 colour")
    n_critic: int = _f(5, "critic steps per generator step")
    optimizer: str | None = _f(None, "optimiser for G and D", "rmsprop for wgan, adam otherwise", choices=OPTIMIZERS)
    lr_g: float | None = _f(None, "generator learning rate", "5e-5 wgan, 1e-4 otherwise")
    lr_d: float | None = _f(None, "critic learning rate", "as lr_g")
    adam_beta1: float = _f(0.5, "Adam beta1")
    adam_beta2: float = _f(0.9, "Adam beta2")
    lr_decay: str = _f("none", "learning-rate decay over the run", choices=LR_DECAYS)
    lr_final: float = _f(0.1, "with lr_decay: final learning rate as a fraction of the initial one")
    weight_decay: float = _f(0.0, "L2 weight decay for both networks")
    grad_clip: float = _f(0.0, "clip each network's gradient norm to this value (0: off)")
    noise: str = _f("normal", "latent noise distribution", choices=NOISES)
    latent_dim: int | None = _f(None, "latent size", "2 toy, 128 images")
    width: int | None = _f(None, "network width", "512 toy MLP, 64 DCGAN")
    activation: str | None = _f(None, "hidden activation of both networks",
                                "each network's own: relu toy; images: relu G, leaky_relu D", choices=ACTIVATIONS)
    g_norm: str = _f("batch", "generator normalisation (images)", choices=G_NORMS)
    d_norm: str = _f("none", "critic normalisation (batch only for wgan)", choices=D_NORMS)
    dropout: float = _f(0.0, "critic dropout probability")
    spectral_norm: bool = _f(False, "spectral normalisation in the critic")
    clip_value: float = _f(0.01, "wgan: weight clipping range [-c, c]")
    lambda_max: float | None = _f(None, "penalty weight (wgan-gp's lambda; icvp's lambda_max; the relatives' "
                                  "weight: r1's gamma, agp's starting lambda)", "0.1 toy, 10 images")
    lambda_min: float = _f(0.0, "icvp: smallest lambda")
    gamma: float = _f(1.0, "icvp: lambda_t = lambda_min + (lambda_max - lambda_min) * r_t ** gamma")
    ema_beta: float = _f(0.9, "icvp: EMA factor beta of the distance d_t")
    warmup: int = _f(100, "icvp: warm-up T_w in critic steps (r_t = 1)")
    interpolation: str = _f("deterministic", "icvp/icvp-eps interpolation mode", choices=ICVP_INTERPOLATIONS)
    reference: str = _f("max", "icvp: reference distance d_ref: running maximum after the warm-up (max), the warm-up's "
                        "mean (warmup-mean), or a maximum that forgets (decaying-max)", choices=REFERENCES)
    ref_decay: float = _f(0.999, "icvp with reference decaying-max: d_ref = max(ref_decay * d_ref, d_t) per critic step")
    signal: str = _f("critic", "icvp: distance signal: the critic's estimate w_t (critic), or w_t divided by the mean "
                     "gradient norm at the last penalty points (slope)", choices=SIGNALS)
    lambda_schedule: str | None = _f(None, "override the lambda schedule", "the method's own",
                                     choices=LAMBDA_SCHEDULES)
    seed: int = _f(0, "random seed")
    device: str = _f("auto", "device: auto (CUDA when present, else CPU), cpu, cuda")
    precision: str = _f("fp32", "network arithmetic: fp32, or bf16 (autocast; gradient norm, penalty and losses "
                        "stay fp32)", choices=PRECISIONS)
    checkpoint_every: int = _f(500, "save a checkpoint every N generator iterations (and at the end)")
    keep_generators: bool = _f(False, "also keep the generator of every checkpoint (for ganlib evaluate)")
    sample_at: list = _f((), "generator iterations at which to save a sample grid",
                         "none; a grid is always saved at the end", type=int)
    eval_at: list = _f((), "generator iterations at which to evaluate metrics", "none", type=int)
    metrics: list = _f((), "metrics to evaluate", "the data set's when eval_at is set", type=str)
    eval_samples: int = _f(2000, "generated and real samples per evaluation")
    probe_every: int = _f(0, "every N generator iterations, measure the critic on a fixed batch (gradient norms at "
                          "real, generated and penalty points; probe.jsonl); 0: off. Does not change the training")
    quiet: bool = _f(False, "no progress bar")

    def validate(self) -> "Config":
        """Refuse bad values with a message naming the value and what is accepted."""
        for f in fields(self):
            _check_type(f.name.replace("_", "-"), getattr(self, f.name), *FIELD_TYPES[f.name], f.metadata.get("type"))
        check_choice("method", self.method, METHODS)
        if not (self.dataset in DATASETS[:-1] or self.dataset.startswith("folder:")):
            raise ValueError(f"unknown dataset {self.dataset!r}; accepted: {', '.join(DATASETS)}")
        for f in fields(self):
            choices, v = f.metadata.get("choices"), getattr(self, f.name)
            if choices and v is not None:
                check_choice(f.name.replace("_", "-"), v, choices)
        positive = ["iters", "n_critic", "batch_size", "checkpoint_every", "latent_dim", "width", "eval_samples"]
        for name in positive:
            v = getattr(self, name)
            if v is not None and (not isinstance(v, int) or v < 1):
                raise ValueError(f"{name.replace('_', '-')} must be an integer >= 1; got {v!r}")
        for name in ("lambda_max", "lambda_min", "lr_g", "lr_d", "weight_decay", "grad_clip", "gamma"):
            v = getattr(self, name)
            if v is not None and v < 0:
                raise ValueError(f"{name.replace('_', '-')} must be >= 0; got {v}")
        for name in ("ema_beta", "adam_beta1", "adam_beta2", "dropout"):
            v = getattr(self, name)
            if not 0.0 <= v < 1.0:
                raise ValueError(f"{name.replace('_', '-')} must be in [0, 1); got {v}")
        if self.method == "agp" and self.lambda_max is not None and self.lambda_max <= 0:
            raise ValueError(f"lambda-max must be > 0 for agp (its controller starts there); got {self.lambda_max}")
        if not 0 < self.lr_final <= 1:
            raise ValueError(f"lr-final must be in (0, 1]; got {self.lr_final}")
        if self.clip_value <= 0:
            raise ValueError(f"clip-value must be > 0; got {self.clip_value}")
        if self.warmup < 0:
            raise ValueError(f"warmup must be >= 0; got {self.warmup}")
        if not 0 < self.ref_decay <= 1:
            raise ValueError(f"ref-decay must be in (0, 1]; got {self.ref_decay}")
        if self.device not in ("auto", "cpu", "cuda") and not self.device.startswith("cuda:"):
            raise ValueError(f"unknown device {self.device!r}; accepted: auto, cpu, cuda, cuda:N")
        if self.image_size is not None:
            check_choice("image-size", self.image_size, IMAGE_SIZES)
        for name in ("sample_at", "eval_at"):
            bad = [v for v in getattr(self, name) if v < 0]
            if bad:
                raise ValueError(f"{name.replace('_', '-')} must list iterations >= 0; got {bad[0]}")
        if self.metrics:
            from .metrics import METRICS

            for m in self.metrics:
                check_choice("metric", m, METRICS)
        return self

    def resolved(self) -> "Config":
        """A copy with every ``None`` replaced by the published default (METHOD.md section 3)."""
        c = Config(**asdict(self)).validate()  # first: a given 0 must be refused, not replaced by a default
        toy = c.dataset in TOY
        colour = c.dataset == "celeba" or c.dataset.startswith("folder:")
        wgan = c.method == "wgan"
        c.batch_size = c.batch_size or (256 if toy else 64 if colour else 50)
        c.optimizer = c.optimizer or ("rmsprop" if wgan else "adam")
        c.lr_g = c.lr_g if c.lr_g is not None else (5e-5 if wgan else 1e-4)
        c.lr_d = c.lr_d if c.lr_d is not None else c.lr_g
        c.lambda_max = c.lambda_max if c.lambda_max is not None else (0.1 if toy else 10.0)
        c.latent_dim = c.latent_dim or (2 if toy else 128)
        c.width = c.width or (512 if toy else 64)  # the toy MLP of the WGAN-GP code; DCGAN's base width
        if colour and c.image_size is None:
            c.image_size = 32
        c.sample_at, c.eval_at, c.metrics = list(c.sample_at), list(c.eval_at), list(c.metrics)
        return c.validate()

    def to_dict(self) -> dict:
        return asdict(self)

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Config":
        """A run's ``config.json``, checked: every problem is named with the file it is in."""
        path = Path(path)
        try:
            d = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise ValueError(f"{path} is not valid JSON ({e}); fix it, or start a new run in another folder") from None
        if not isinstance(d, dict):
            raise ValueError(f"{path} must hold a JSON object of config fields; got {type(d).__name__}")
        try:
            return cls.from_dict(d).validate()
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None

    @classmethod
    def from_dict(cls, d: dict) -> "Config":
        """The config of a dict (a saved ``config.json``, a checkpoint's): unknown fields are refused; a retired
        field (:data:`RETIRED`) is dropped when it holds the behaviour that remains, else refused."""
        names = {f.name for f in fields(cls)}
        for name, kept in RETIRED.items():
            if name in d and d[name] is not kept:
                raise ValueError(f"{name} {d[name]!r}: this option was removed (only {kept!r}, its default, is "
                                 f"still understood); the run cannot be continued or rebuilt")
        d = {k: v for k, v in d.items() if k not in RETIRED}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown config field(s) {', '.join(unknown)}; accepted: {', '.join(sorted(names))}")
        return cls(**d)


def _type_of(hint) -> tuple[type, bool]:
    """A field's type hint as its type and whether it accepts ``None``: ``int | None`` -> ``(int, True)``."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        (base,) = [a for a in args if a is not type(None)]
        return base, type(None) in args
    return hint, False


# Each field's type, and whether it may be None, from its annotation (read with typing.get_type_hints).
_HINTS = typing.get_type_hints(Config)
FIELD_TYPES: dict[str, tuple[type, bool]] = {f.name: _type_of(_HINTS[f.name]) for f in fields(Config)}
