"""One readable training loop.

``train(cfg, out)`` writes into the run folder ``out``:

- ``config.json``  the resolved configuration;
- ``log.jsonl``    one row per generator iteration: losses, ``w_t`` and the ICVP trace
  (``t, d_t, d_ref, r_t, eps_t, lambda_t``, penalty, gradient norm at ``x_hat``) of the last critic step;
- ``metrics.jsonl`` evaluations at ``cfg.eval_at`` with the training wall-clock seconds;
- ``samples/iter_NNNNNN.png`` sample grids at ``cfg.sample_at`` and at the end;
- ``checkpoint.pt`` every ``cfg.checkpoint_every`` iterations and at the end, written atomically
  (with ``cfg.keep_generators`` also ``generators/iter_NNNNNN.pt``, for ``ganlib evaluate``);
- ``probe.jsonl``  with ``cfg.probe_every``: the critic measured on a fixed batch (:func:`probe`);
- ``run.json``     status (running, finished, failed and why), environment, thread count and timings.

``train(cfg, out, resume=True)`` continues from ``checkpoint.pt``: on CPU, N iterations resumed for
N more end with the same parameters as 2N in one go.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import time
import warnings
from pathlib import Path

import torch

from .config import Config
from .data import load_dataset
from . import threads
from .methods import at_least_fp32, make_method
from .models import build_models, latents
from .provenance import environment, select_device


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


def atomic_save(obj, path: Path) -> None:
    """Write to a temporary file beside ``path``, then rename: a crash leaves the old file intact."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_json(path: Path, obj) -> None:
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, default=str) + "\n")
    os.replace(tmp, path)


def read_jsonl(path: Path) -> list[dict]:
    """The rows of a JSON-lines file ([] if it is missing); a bad line is a one-line ``ValueError`` naming the
    file, the line and the way forward."""
    path = Path(path)
    if not path.exists():
        return []
    rows = []
    for i, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}, line {i}: not valid JSON ({e.msg}, column {e.colno}); a killed write leaves a "
                             f"truncated last line: delete that line (the run then resumes from its checkpoint), or "
                             f"delete the run folder to train it again") from None
    return rows


def _truncate_jsonl(path: Path, last_iter: int) -> None:
    rows = [r for r in read_jsonl(path) if r["iter"] <= last_iter]
    Path(path).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _optimizer(name, params, lr, cfg):
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(cfg.adam_beta1, cfg.adam_beta2), weight_decay=cfg.weight_decay)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=lr, weight_decay=cfg.weight_decay)


def _lr_factor(cfg):
    """Learning-rate multiplier at generator iteration ``it``: none, exponential or cosine to ``lr_final``."""
    if cfg.lr_decay == "exponential":
        return lambda it: cfg.lr_final ** min(it / cfg.iters, 1.0)
    if cfg.lr_decay == "cosine":
        return lambda it: cfg.lr_final + (1 - cfg.lr_final) * 0.5 * (1 + math.cos(math.pi * min(it / cfg.iters, 1.0)))
    return lambda it: 1.0


def noise(cfg, n, device, generator=None):
    """The run's latents (``cfg.noise``, ``cfg.latent_dim``): :func:`ganlib.models.latents`."""
    return latents(n, cfg.latent_dim, cfg.noise, device, generator)


def cpu_has_bf16() -> bool:
    """Does this CPU compute bf16 natively (AVX-512 BF16 or AMX)?  Elsewhere bf16 is emulated, slower than fp32."""
    try:
        flags = next((line for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("flags")), "")
    except OSError:
        return True  # not Linux: cannot tell, so do not warn
    return any(f in flags.split() for f in ("avx512_bf16", "amx_bf16"))


# Offsets that give each random stream of a run its own seed (the networks use ``seed`` itself).
DATA_STREAM, NOISE_STREAM, SAMPLE_STREAM, PROBE_STREAM = 101, 202, 1, 303


class Run:
    """Everything a training run holds: data, networks, method, optimisers.  Built from a config.

    Paired by seed: runs of different methods with the same ``seed`` start from the same generator
    (and the same critic where the architectures match: every method but a batch-norm ``wgan``
    critic), and draw the same real batches and the same latent noise, each stream from its own
    random generator.  What differs between them is then the method alone (``wgan-gp``'s random
    interpolation coefficients use the global RNG, so they do not shift the shared streams).

    Speed: with ``precision="bf16"`` the networks run under autocast (losses, gradient norm and
    penalty stay float32).  Nothing in the critic loop waits for a GPU: losses, ``w_t`` and the ICVP
    schedule stay on the device, and each generator iteration reads its log row and checks that the
    losses are finite in one transfer.
    """

    def __init__(self, cfg: Config, data=None):
        cfg = cfg.resolved()
        self.device = select_device(cfg.device)
        torch.manual_seed(cfg.seed)
        self.data = data or load_dataset(cfg.dataset, cfg.data_dir, cfg.image_size, max_images=cfg.max_images)
        self.cfg = cfg  # resolved: latent_dim and width are set (Config.resolved holds their defaults)
        act = cfg.activation
        self.G, self.D = build_models(self.data.kind, self.data.shape, cfg.latent_dim, cfg.width, act, act,
                                      cfg.g_norm, cfg.d_norm, cfg.dropout, cfg.spectral_norm,
                                      penalty=cfg.method != "wgan", noise=cfg.noise)
        self.G.to(self.device)
        self.D.to(self.device)
        self.method = make_method(cfg.method, cfg.lambda_max, cfg.lambda_min, cfg.gamma, cfg.ema_beta, cfg.warmup,
                                  cfg.interpolation, cfg.lambda_schedule, cfg.clip_value, cfg.iters * cfg.n_critic,
                                  cfg.reference, cfg.ref_decay, cfg.signal)
        self.opt_g = _optimizer(cfg.optimizer, self.G.parameters(), cfg.lr_g, cfg)
        self.opt_d = _optimizer(cfg.optimizer, self.D.parameters(), cfg.lr_d, cfg)
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, _lr_factor(cfg))
        self.sched_d = torch.optim.lr_scheduler.LambdaLR(self.opt_d, _lr_factor(cfg))
        self.it = 0  # generator iterations done
        self.seconds = 0.0  # training wall-clock, evaluation and checkpoints excluded
        # Fixed noise for sample grids, from its own generator so it does not move the training RNG.
        self.fixed_z = noise(cfg, 64, "cpu", torch.Generator().manual_seed(cfg.seed + SAMPLE_STREAM)).to(self.device)
        self.data_rng = torch.Generator().manual_seed(cfg.seed + DATA_STREAM)  # CPU: batches are indexed there
        self.noise_rng = torch.Generator(self.device).manual_seed(cfg.seed + NOISE_STREAM)
        if cfg.precision == "bf16" and self.device.type == "cpu" and not cpu_has_bf16():
            warnings.warn("precision bf16 on a CPU without AVX-512 BF16 or AMX is emulated and slower than fp32 "
                          "(benchmarks/step_time.py measures it); results are valid", stacklevel=2)

    def autocast(self):
        """bf16 autocast for the networks with ``precision="bf16"``; nothing with fp32."""
        if self.cfg.precision == "bf16":
            return torch.autocast(self.device.type, dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def real_batch(self) -> torch.Tensor:
        """The next real batch of the data stream, drawn on the CPU; sent to a GPU without waiting for it."""
        real = self.data.sample(self.cfg.batch_size, "cpu", self.data_rng)
        if self.device.type == "cuda":
            return real.pin_memory().to(self.device, non_blocking=True)
        return real.to(self.device)

    # -- one generator iteration ---------------------------------------------------------------
    def step(self) -> dict:
        cfg, G, D = self.cfg, self.G, self.D
        critic_finite = torch.ones((), dtype=torch.bool, device=self.device)
        for _ in range(cfg.n_critic):
            real = self.real_batch()
            with torch.no_grad(), self.autocast():
                fake = at_least_fp32(G(noise(cfg, cfg.batch_size, self.device, self.noise_rng)))
            with self.autocast():
                d_loss, log = self.method.critic_loss(D, real, fake)
            critic_finite &= torch.isfinite(d_loss)  # read with the log row, not here
            self.opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            if cfg.grad_clip:
                torch.nn.utils.clip_grad_norm_(D.parameters(), cfg.grad_clip)
            self.opt_d.step()
            self.method.after_critic_step(D)
        for p in D.parameters():
            p.requires_grad_(False)  # the generator step needs no critic gradients
        with self.autocast():
            g_loss = -at_least_fp32(D(G(noise(cfg, cfg.batch_size, self.device, self.noise_rng)))).mean()
        for p in D.parameters():
            p.requires_grad_(True)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        if cfg.grad_clip:
            torch.nn.utils.clip_grad_norm_(G.parameters(), cfg.grad_clip)
        self.opt_g.step()
        self.sched_g.step()
        self.sched_d.step()
        row = to_host({"iter": self.it + 1, "g_loss": g_loss.detach(), "d_loss": d_loss.detach(), **log,
                       "lr_g": self.opt_g.param_groups[0]["lr"], "critic_finite": critic_finite})
        if not row.pop("critic_finite"):
            raise NonFiniteLossError(f"critic loss is {row['d_loss']} at generator iteration {self.it + 1}")
        if not math.isfinite(row["g_loss"]):
            raise NonFiniteLossError(f"generator loss is {row['g_loss']} at generator iteration {self.it + 1}")
        self.it += 1
        return row

    @torch.no_grad()
    def generate(self, z=None) -> torch.Tensor:
        was = self.G.training
        self.G.eval()
        out = self.G(self.fixed_z if z is None else z)
        self.G.train(was)
        return out

    # -- checkpoints -----------------------------------------------------------------------------
    def state_dict(self) -> dict:
        return {
            "it": self.it, "seconds": self.seconds, "config": self.cfg.to_dict(),
            "G": self.G.state_dict(), "D": self.D.state_dict(),
            "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(),
            "sched_g": self.sched_g.state_dict(), "sched_d": self.sched_d.state_dict(),
            "method": self.method.state_dict(),
            "rng": torch.get_rng_state(),
            "data_rng": self.data_rng.get_state(), "noise_rng": self.noise_rng.get_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        }

    def load_state_dict(self, s: dict) -> None:
        self.it, self.seconds = s["it"], s["seconds"]
        self.G.load_state_dict(s["G"])
        self.D.load_state_dict(s["D"])
        self.opt_g.load_state_dict(s["opt_g"])
        self.opt_d.load_state_dict(s["opt_d"])
        self.sched_g.load_state_dict(s["sched_g"])
        self.sched_d.load_state_dict(s["sched_d"])
        self.method.load_state_dict(s["method"])
        torch.set_rng_state(s["rng"].cpu())
        self.data_rng.set_state(s["data_rng"].cpu())
        self.noise_rng.set_state(s["noise_rng"].cpu())
        if s.get("cuda_rng") is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(s["cuda_rng"])


def _quartiles(v: torch.Tensor, name: str) -> dict:
    q = torch.quantile(v.double(), torch.tensor([0.25, 0.5, 0.75], dtype=torch.float64)).tolist()
    return {f"{name}_q25": q[0], f"{name}_median": q[1], f"{name}_q75": q[2], f"{name}_mean": v.double().mean().item()}


def probe(run: "Run", n: int = 256) -> dict:
    """The critic measured on a fixed batch: the same real images, latents and draws at every call.

    Gradient norms ``||grad D(x)||`` (quartiles and mean over the batch) at the real images, the
    generated ones (generator in eval mode), WGAN-GP's uniform interpolates and the method's own penalty
    points at its current ``r_t`` (icvp: ``eps_t = 1 - r_t``); the critic's estimate ``w`` on this batch;
    and the schedule's state.  Everything is drawn from its own generator (seed + :data:`PROBE_STREAM`),
    no parameter gradient is touched and batch-norm statistics are not updated: training is unchanged,
    bit for bit (``tests/test_train.py``).
    """
    from .methods import _ratio_to_reference, gradient_norm

    cfg, D, dev = run.cfg, run.D, run.device
    g = torch.Generator().manual_seed(cfg.seed + PROBE_STREAM)
    real = run.data.sample(n, "cpu", g).to(dev)
    fake = run.generate(noise(cfg, n, "cpu", g).to(dev))
    u = torch.rand(n, generator=g).to(dev)
    row = {"iter": run.it}
    sched = run.method.schedule
    if sched is not None:
        st = sched.state_dict()
        r_t = 1.0 if st["d_ref"] is None or sched.t < sched.warmup else float(_ratio_to_reference(st["d"], st["d_ref"]))
        eps = {"uniform": u, "deterministic": torch.full((n,), 1.0 - r_t, device=dev),
               "band": 1.0 - r_t * u}[sched.interpolation]
        row.update(r_t=r_t, d_t=st["d"], d_ref=st["d_ref"], lambda_t=float(sched.lambda_schedule(sched.t, r_t)))
    points = {"real": real, "fake": fake}
    shape = (n,) + (1,) * (real.dim() - 1)
    points["uniform"] = u.view(shape) * real + (1 - u.view(shape)) * fake
    if sched is not None:
        points["penalty"] = eps.view(shape) * real + (1 - eps.view(shape)) * fake
        row["eps_mean"] = float(eps.mean())
    elif hasattr(run.method, "points"):  # ganlib.relatives: their own points (drawn from g), and their weight
        points["penalty"] = run.method.points(real, fake, g)
        row["lambda_t"] = float(run.method.weight())
    was = D.training
    D.eval()
    try:
        for name, x in points.items():
            with torch.enable_grad():
                row.update(_quartiles(gradient_norm(D, x).detach(), f"grad_{name}"))
        with torch.no_grad():
            row["w_probe"] = float(D(real).mean() - D(fake).mean())
    finally:
        D.train(was)
    return row


def to_host(row: dict) -> dict:
    """``row`` with its tensors as Python numbers, read from the device in one transfer."""
    keys = [k for k, v in row.items() if torch.is_tensor(v)]
    if not keys:
        return dict(row)
    values = torch.stack([row[k].detach().reshape(()).double() for k in keys]).tolist()
    out = dict(row)
    for k, v in zip(keys, values):
        out[k] = bool(v) if row[k].dtype == torch.bool else v
    return out


def load_checkpoint(path, map_location="cpu") -> dict:
    return torch.load(path, map_location=map_location, weights_only=False)


def load_run(path, data=None, device=None) -> Run:
    """Rebuild a finished (or stopped) run from its folder: config, networks, optimisers at the last checkpoint."""
    path = Path(path)
    if not (path / "checkpoint.pt").exists():
        raise FileNotFoundError(f"{path} holds no checkpoint.pt: not a ganlib run folder")
    cfg = Config.load(path / "config.json")
    if device is not None:
        cfg.device = device
    run = Run(cfg, data)
    run.load_state_dict(load_checkpoint(path / "checkpoint.pt", run.device))
    return run


def generator_snapshots(path, run: Run) -> dict:
    """``{iteration: generator state}`` from ``generators/iter_*.pt`` (kept with ``keep_generators``)."""
    files = sorted(Path(path, "generators").glob("iter_*.pt"))
    return {int(p.stem.split("_")[1]): torch.load(p, map_location=run.device) for p in files}


def _evaluate(run: Run, names) -> dict:
    from . import metrics

    names = names or metrics.default_metrics(run.data)
    values = metrics.evaluate(run.G, run.data, names, n=run.cfg.eval_samples, seed=run.cfg.seed, device=run.device)
    return {"iter": run.it, "seconds": round(run.seconds, 3), **values}


# What a resumed run may change; every other field is the run's own (config.json).
RESUMABLE = ("iters", "quiet", "sample_at", "eval_at", "checkpoint_every")


def saved_run(out) -> tuple[Config, dict]:
    """The saved ``config.json`` and ``checkpoint.pt`` of the run folder ``out``, checked against each other.

    Every problem (invalid JSON or value, unreadable checkpoint, a checkpoint of another run) is a
    one-line ``ValueError`` naming the file.
    """
    out = Path(out)
    ckpt_path = out / "checkpoint.pt"
    saved = Config.load(out / "config.json")  # errors name the file
    try:
        state = load_checkpoint(ckpt_path)
        written_by = Config.from_dict(state["config"]).resolved()
    except Exception as e:  # noqa: BLE001 - any unreadable checkpoint gets the same one-line answer
        raise ValueError(f"{ckpt_path} cannot be read as a ganlib checkpoint ({type(e).__name__}: "
                         f"{(str(e).splitlines() or [''])[0]}); delete it to start the run over") from None
    # Compared resolved: a default left null by an older version (width) is the value resolved now.
    ours = saved.resolved()
    differ = [f"{k} {getattr(written_by, k)!r} in the checkpoint, {getattr(ours, k)!r} in config.json"
              for k in ours.to_dict() if k not in RESUMABLE + ("device",)
              and getattr(written_by, k) != getattr(ours, k)]
    if differ:
        raise ValueError(f"{ckpt_path} belongs to another run ({'; '.join(differ)}); put back the run's own "
                         f"checkpoint, or start a new run in another folder")
    return saved, state


def _threads_started_with(out) -> int | None:
    """The thread count in ``out/run.json`` (``None`` where it holds none: a run written before it was recorded)."""
    try:
        n = json.loads((out / "run.json").read_text()).get("threads")
    except (OSError, ValueError, AttributeError):
        return None
    return n if isinstance(n, int) and n >= 1 else None


def train(cfg: Config, out=None, resume: bool = False, callback=None, data=None) -> Run:
    """Train ``cfg.iters`` generator iterations; returns the :class:`Run`.

    ``out`` is the run folder (``None``: nothing written, for quick interactive runs).  With
    ``resume`` the run continues from ``out/checkpoint.pt``, keeping the saved configuration except
    ``iters``, ``quiet``, ``sample_at``, ``eval_at`` and ``checkpoint_every`` (:data:`RESUMABLE`); a
    checkpoint that does not match the saved configuration is refused.  ``callback(run, row)``
    is called after every generator iteration; returning ``False`` stops the run (checkpoint kept).
    """
    from tqdm.auto import tqdm

    from .samples import save_samples

    out = Path(out) if out is not None else None
    ckpt_path = out / "checkpoint.pt" if out else None
    state = None
    if out and ckpt_path.exists():
        if not resume:
            raise FileExistsError(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
        saved, state = saved_run(out)
        for k in RESUMABLE:
            setattr(saved, k, getattr(cfg, k))
        cfg = saved
    run = Run(cfg, data)
    cfg = run.cfg
    if state is not None:
        try:
            run.load_state_dict(state)
        except (RuntimeError, KeyError, ValueError) as e:  # tensors of another shape, or missing entries
            raise ValueError(f"{ckpt_path} does not fit the networks of {out / 'config.json'} ({type(e).__name__}: "
                             f"{(str(e).splitlines() or [''])[0]}); put back the run's own checkpoint, or start a "
                             f"new run in another folder") from None
    log_f, metrics_rows = None, []

    def checkpoint():
        if out:
            atomic_save(run.state_dict(), ckpt_path)
            if cfg.keep_generators:
                (out / "generators").mkdir(exist_ok=True)
                atomic_save(run.G.state_dict(), out / "generators" / f"iter_{run.it:06d}.pt")

    def record_probe():
        if out and cfg.probe_every and run.it % cfg.probe_every == 0:
            with open(out / "probe.jsonl", "a") as f:
                f.write(json.dumps(probe(run)) + "\n")

    def record_metrics():
        row = _evaluate(run, cfg.metrics)
        metrics_rows.append(row)
        if out:
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps(row) + "\n")

    bar = tqdm(total=cfg.iters, initial=run.it, disable=cfg.quiet, desc=f"{cfg.method} {cfg.dataset}", leave=False)
    # The run's thread count, fixed until it ends (ganlib.threads); a resumed run keeps the one it started with.
    n_threads = threads.join(_threads_started_with(out) if state is not None else None)
    try:
        env = {**environment(run.device), "threads": n_threads}
        if out:
            out.mkdir(parents=True, exist_ok=True)
            cfg.save(out / "config.json")
            for name in ("log.jsonl", "metrics.jsonl", "probe.jsonl"):  # a fresh start keeps no row of an earlier try
                _truncate_jsonl(out / name, run.it if state is not None else -1)
            write_json(out / "run.json", {"status": "running", "iter": run.it, "data": run.data.describe(), **env})
            log_f = open(out / "log.jsonl", "a")
        if run.it == 0 and 0 in cfg.eval_at:
            record_metrics()
        if run.it == 0:
            record_probe()
        while run.it < cfg.iters:
            t0 = time.perf_counter()
            row = run.step()
            run.seconds += time.perf_counter() - t0
            row["seconds"] = round(run.seconds, 4)
            if log_f:
                log_f.write(json.dumps(row) + "\n")
            bar.update(1)
            if out and (run.it in cfg.sample_at or run.it == cfg.iters):
                save_samples(out / "samples" / f"iter_{run.it:06d}.png", run.generate())
            if run.it in cfg.eval_at:
                record_metrics()
            record_probe()
            if run.it % cfg.checkpoint_every == 0 or run.it == cfg.iters:
                if log_f:
                    log_f.flush()
                checkpoint()
            if callback is not None and callback(run, row) is False:
                checkpoint()
                break
    except NonFiniteLossError as e:
        last = f"; the last good checkpoint is {ckpt_path}" if out and ckpt_path.exists() else ""
        if out:
            write_json(out / "run.json", {"status": "failed", "reason": str(e), "iter": run.it,
                                          "data": run.data.describe(), **env})
        raise NonFiniteLossError(f"{e}{last}") from None
    finally:
        threads.leave()
        bar.close()
        if log_f:
            log_f.close()
    run.metrics = metrics_rows
    if out:
        status = "finished" if run.it >= cfg.iters else "stopped"
        write_json(out / "run.json", {"status": status, "iter": run.it, "seconds": round(run.seconds, 3),
                                      "data": run.data.describe(), **env})
    return run
