"""Hyperparameter sweeps: a grid or a random search over any :class:`~ganlib.config.Config` field.

    ganlib sweep sweeps/toy_lr_lambda.json                  # run (or resume) a sweep
    ganlib sweep sweeps/toy_lr_lambda.json --workers 2      # two processes pull trials from one study
    python -m ganlib.sweep sweeps/toy_random.json --max-trials 3

A sweep CONFIG is a JSON file (or a dict, from Python)::

    {"name": "toy_lr_lambda", "dataset": "8gaussians", "iters": 300, "seeds": 2,
     "search": "grid",
     "base": {"lr_g": 1e-3},                                    # any Config fields, for every trial
     "grid": {"method": ["wgan-gp", "icvp"], "lambda_max": [0.01, 0.1, 1.0]}}

    {"name": "toy_random", "dataset": "8gaussians", "iters": 300, "seeds": 2,
     "search": "random", "trials": 20, "sampler_seed": 0,
     "space": {"lr_g": {"log_uniform": [1e-5, 1e-2]}, "method": {"choice": ["wgan-gp", "icvp"]}}}

Keys: ``name``, ``dataset``, ``iters``, ``seeds`` (trials per configuration, seeds ``seed_start ..
seed_start + seeds - 1``), ``seed_start``, ``search`` (``grid`` or ``random``), ``base``, ``grid`` (a
dict of lists: their Cartesian product; or a list of such dicts: the union of their products),
``space`` and ``trials`` and ``sampler_seed`` (random search; distributions: ``choice``, ``uniform``,
``log_uniform``, ``int_uniform``, ``int_log_uniform``), ``metric`` (default: the data set's first
metric of :func:`ganlib.metrics.default_metrics`, i.e. exact ``w1`` on toy data and the classifier
``fid`` on MNIST-like data), ``curve`` (evaluations along the run besides the final one, default 0),
``description``.  A bad key, field, value or distribution is refused before any training, with a
message naming it and what is accepted.

How it runs
-----------
The plan (every configuration x seed, each a *trial*) is made once and stored as an Optuna study in
an RDB storage, by default ``sqlite:///OUT/sweep.db`` in the sweep folder ``OUT`` (default
``runs/sweeps/NAME``).  Random search draws its configurations with
``optuna.samplers.RandomSampler(seed=sampler_seed)`` when the plan is made, so the same config gives
the same trials.  Each trial is enqueued (``study.enqueue_trial``) with its parameters and seed;
workers pop waiting trials one at a time, train into ``OUT/runs/cNNN-sS/`` (a ganlib run folder) and
report the trial's score (the final value of the metric) with ``study.tell``.  A trial that fails --
divergence (:class:`~ganlib.train.NonFiniteLossError`) or any other exception -- is recorded as
failed with its reason, and the sweep goes on.  After every trial ``OUT/results.json`` and
``OUT/results.csv`` are rewritten from the study; :func:`summarise` gives per-configuration mean and
standard deviation over seeds and the share of diverged runs per method.

Resuming: run the same command again.  Finished and failed trials are never redone.  A trial stopped
by Ctrl-C is put back in the queue; a trial whose worker was killed (``kill -9``, power loss) is put
back once its worker is known dead (same host, process gone) or its heartbeat (written every
``HEARTBEAT_S`` seconds while training) is older than ``stale_after`` seconds (default 600).  Either
way it continues from its run folder's last checkpoint.  Changing the sweep config of an existing
sweep folder is refused: use a new ``name`` or ``--out``.

Parallel and on several machines
--------------------------------
``--workers N`` starts N processes on this machine that pull trials from the same study (each with
``cores / N`` torch threads, or ``--threads``; on a 2-core machine keep the default 1 worker).  Small
toy models train fastest with ``--threads 1``, and on a shared machine several threads per process
can be many times slower than one.  ``max_trials`` counts per worker.

To share one sweep between machines, give every machine the same ``--storage URL`` and run the same
command on each:

- a database server (recommended): ``--storage postgresql://user:password@host/db`` or
  ``mysql+pymysql://user:password@host/db`` (needs the driver, e.g. ``psycopg2`` or ``pymysql``);
- a sqlite file on a shared filesystem (``--storage sqlite:////shared/sweeps/NAME.db``): fine for a few
  workers with trials of minutes, but sqlite locking over NFS is unreliable -- prefer a server.

The study (plan, states, scores, reasons) lives in the storage; run folders (checkpoints, logs) live
under each machine's ``--out``.  Put ``--out`` on a shared filesystem too if a trial killed on one
machine should resume from its checkpoint on another; otherwise it restarts there from scratch.
``results.csv`` is written by whichever machine finished the last trial (or run ``ganlib sweep CONFIG
--max-trials 0`` anywhere to rewrite it from the storage).
"""

from __future__ import annotations

import copy
import csv
import difflib
import io
import itertools
import json
import math
import os
import re
import socket
import sys
import time
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from .compare import _mean_sd, decide, eval_points
from .config import Config
from .train import NonFiniteLossError, read_jsonl, train

SEARCHES = ("grid", "random")
DISTRIBUTIONS = ("choice", "uniform", "log_uniform", "int_uniform", "int_log_uniform")
SPEC_KEYS = ("name", "description", "dataset", "iters", "seeds", "seed_start", "search", "base", "grid", "space",
             "trials", "sampler_seed", "metric", "curve")
CONTROLLED = {"seed": "the sweep sets each trial's seed: use the top-level 'seeds' (and 'seed_start')",
              "eval_at": "the sweep evaluates at the end (and at 'curve' points)",
              "quiet": "the sweep trains quietly (pass progress=True to see progress bars)"}
HEARTBEAT_S = 30  # seconds between heartbeats of a training trial
VERDICTS = ("holds", "does not hold", "not distinguishable")


def _fail(msg: str):
    raise ValueError(msg)


def _scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str))


# ---------------------------------------------------------------------------------------------
# The sweep config: validation and the plan (every configuration of the search)
# ---------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """A validated sweep: its normalised spec and the parameters of each configuration."""

    spec: dict
    configs: list  # one dict of swept parameters per configuration (the seed is not among them)
    distributions: dict  # Optuna distribution of each swept parameter

    @property
    def name(self) -> str:
        return self.spec["name"]

    @property
    def seeds(self) -> list[int]:
        s = self.spec["seed_start"]
        return list(range(s, s + self.spec["seeds"]))

    def key(self, config: int, seed: int) -> str:
        return f"c{config:0{max(3, len(str(len(self.configs) - 1)))}d}-s{seed}"

    def config(self, config: int, seed: int) -> Config:
        """The :class:`Config` of one trial."""
        spec = self.spec
        iters = self.configs[config].get("iters", spec["base"]["iters"])
        curve = eval_points(iters, spec["curve"]) if spec["curve"] else [iters]
        metrics = list(spec["base"].get("metrics", ()))
        if spec["metric"] and spec["metric"] not in metrics:
            metrics.insert(0, spec["metric"])
        d = {**spec["base"], **self.configs[config], "seed": seed, "eval_at": curve, "quiet": True,
             "metrics": metrics}
        d.setdefault("checkpoint_every", max(iters // 4, 25))
        return Config.from_dict(d)

    def settings(self, config: int) -> dict:
        """Base fields and swept parameters of one configuration (for matching claims)."""
        return {**self.spec["base"], **self.configs[config]}


def _check_fields(where: str, names) -> None:
    accepted = sorted(f.name for f in fields(Config) if f.name not in CONTROLLED)
    for n in names:
        if n in CONTROLLED:
            _fail(f"{where}: field {n!r} cannot be set in a sweep: {CONTROLLED[n]}")
        if n not in accepted:
            close = difflib.get_close_matches(n, accepted, n=2)
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            _fail(f"{where}: unknown config field {n!r}{hint}; accepted: {', '.join(accepted)}")


def _check_config(where: str, settings: dict) -> None:
    try:
        Config.from_dict({**settings, "seed": 0}).resolved()
    except (ValueError, TypeError) as e:
        _fail(f"{where}: {e}")


def _grid_configs(grid, name: str) -> list[dict]:
    parts = grid if isinstance(grid, list) else [grid]
    if not parts:
        _fail(f"sweep {name}: empty grid; give e.g. \"grid\": {{\"lambda_max\": [0.01, 0.1, 1.0]}}")
    configs = []
    for part in parts:
        if not isinstance(part, dict):
            _fail(f"sweep {name}: a grid is a dict of lists or a list of such dicts; got {part!r}")
        if not part:
            _fail(f"sweep {name}: empty grid {{}}; give at least one field with a list of values")
        _check_fields(f"sweep {name}: grid", part)
        for field, values in part.items():
            if not isinstance(values, list) or not values:
                _fail(f"sweep {name}: grid values of {field!r} must be a non-empty list; got {values!r}")
            bad = [v for v in values if not _scalar(v)]
            if bad:
                _fail(f"sweep {name}: grid values of {field!r} must be numbers, strings, booleans or null; "
                      f"got {bad[0]!r}")
        for combo in itertools.product(*part.values()):
            c = dict(zip(part, combo))
            if c not in configs:
                configs.append(c)
    return configs


def _distribution(name: str, field: str, spec):
    import optuna.distributions as od

    where = f"sweep {name}: space of {field!r}"
    if not isinstance(spec, dict) or len(spec) != 1:
        _fail(f"{where}: a distribution is one of {{kind: arguments}} with kind in {', '.join(DISTRIBUTIONS)}, "
              f"e.g. {{\"log_uniform\": [1e-5, 1e-2]}}; got {spec!r}")
    (kind, args), = spec.items()
    if kind not in DISTRIBUTIONS:
        _fail(f"{where}: unknown distribution {kind!r}; accepted: {', '.join(DISTRIBUTIONS)}")
    if kind == "choice":
        if not isinstance(args, list) or not args or not all(_scalar(v) for v in args):
            _fail(f"{where}: 'choice' takes a non-empty list of numbers, strings, booleans or null; got {args!r}")
        return od.CategoricalDistribution(args), list(args)
    numbers = isinstance(args, list) and len(args) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in args)
    if not numbers or not args[0] < args[1]:
        _fail(f"{where}: {kind!r} takes [low, high] with low < high; got {args!r}")
    lo, hi = args
    if kind.startswith("int") and not all(isinstance(v, int) for v in args):
        _fail(f"{where}: {kind!r} takes integer bounds; got {args!r}")
    if "log" in kind and lo <= 0:
        _fail(f"{where}: {kind!r} needs low > 0; got {args!r}")
    if kind.startswith("int"):
        return od.IntDistribution(lo, hi, log="log" in kind), [lo, hi]
    return od.FloatDistribution(float(lo), float(hi), log="log" in kind), [float(lo), float(hi)]


def _sample_random(space_dists: dict, trials: int, seed: int) -> list[dict]:
    """``trials`` parameter sets drawn by Optuna's ``RandomSampler(seed)``: the same seed, the same sets."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    names = sorted(space_dists)
    out = []
    for _ in range(trials):
        t = study.ask({n: space_dists[n] for n in names})
        out.append({n: t.params[n] for n in names})
        study.tell(t, 0.0)
    return out


def load_spec(spec) -> Plan:
    """Validate a sweep config (path to a JSON file, or a dict) and make its plan; nothing is trained."""
    import optuna.distributions as od

    if isinstance(spec, (str, Path)):
        path = Path(spec)
        if not path.exists():
            _fail(f"sweep config {path} does not exist")
        try:
            raw = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            _fail(f"sweep config {path} is not valid JSON: {e}")
        if isinstance(raw, dict):
            raw.setdefault("name", path.stem)
    else:
        raw = copy.deepcopy(spec)
    if not isinstance(raw, dict):
        _fail(f"a sweep config is a JSON object; got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(SPEC_KEYS))
    if unknown:
        _fail(f"unknown sweep key(s) {', '.join(map(repr, unknown))}; accepted: {', '.join(SPEC_KEYS)}")
    name = raw.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
        _fail(f"sweep name must be letters, digits, '_', '.', '-'; got {name!r}")
    search = raw.get("search", "random" if "space" in raw else "grid")
    if search not in SEARCHES:
        _fail(f"sweep {name}: unknown search {search!r}; accepted: {', '.join(SEARCHES)}")
    base = raw.get("base", {})
    if not isinstance(base, dict):
        _fail(f"sweep {name}: 'base' must be an object of Config fields; got {base!r}")
    base = dict(base)
    _check_fields(f"sweep {name}: base", base)
    for key, default in (("dataset", "8gaussians"), ("iters", Config.iters)):
        if key in raw and key in base and raw[key] != base[key]:
            _fail(f"sweep {name}: {key} given twice, {raw[key]!r} at the top and {base[key]!r} in base")
        base[key] = raw.get(key, base.get(key, default))
    ints = {"seeds": (2, 1), "seed_start": (0, 0), "curve": (0, 0)}
    if search == "random":
        ints.update(trials=(None, 1), sampler_seed=(0, 0))
    values = {}
    for key, (default, low) in ints.items():
        v = raw.get(key, default)
        if v is None:
            _fail(f"sweep {name}: random search needs 'trials' (how many configurations to draw)")
        if not isinstance(v, int) or isinstance(v, bool) or v < low:
            _fail(f"sweep {name}: {key} must be an integer >= {low}; got {v!r}")
        values[key] = v
    metric = raw.get("metric")
    if metric is not None:
        from .metrics import METRICS

        if metric not in METRICS:
            _fail(f"sweep {name}: unknown metric {metric!r}; accepted: {', '.join(METRICS)}")
    _check_config(f"sweep {name}: base", base)

    if search == "grid":
        for k in ("space", "trials", "sampler_seed"):
            if k in raw:
                _fail(f"sweep {name}: {k!r} is for search 'random'; a grid search takes 'grid'")
        if "grid" not in raw:
            _fail(f"sweep {name}: search 'grid' needs a 'grid', e.g. {{\"lambda_max\": [0.01, 0.1, 1.0]}}")
        configs = _grid_configs(raw["grid"], name)
        choices = {}
        for c in configs:
            for k, v in c.items():
                choices.setdefault(k, [])
                if v not in choices[k]:
                    choices[k].append(v)
        dists = {k: od.CategoricalDistribution(v) for k, v in choices.items()}
        space = None
    else:
        if "grid" in raw:
            _fail(f"sweep {name}: 'grid' is for search 'grid'; a random search takes 'space'")
        space = raw.get("space")
        if not isinstance(space, dict) or not space:
            _fail(f"sweep {name}: search 'random' needs a non-empty 'space', e.g. "
                  f"{{\"lr_g\": {{\"log_uniform\": [1e-5, 1e-2]}}}}")
        _check_fields(f"sweep {name}: space", space)
        dists, edges = {}, {}
        for field, d in space.items():
            dists[field], edges[field] = _distribution(name, field, d)
        for field, vals in edges.items():  # every choice and both ends of every range must be valid values
            for v in vals:
                _check_config(f"sweep {name}: space of {field!r}, value {v!r}", {**base, field: v})
        configs = _sample_random(dists, values["trials"], values["sampler_seed"])
    for c in configs:
        _check_config(f"sweep {name}: configuration {c}", {**base, **c})
    norm = {"name": name, "description": raw.get("description", ""), "dataset": base["dataset"],
            "iters": base["iters"], "search": search, "base": base, "metric": metric, **values}
    if search == "grid":
        norm["grid"] = raw["grid"]
    else:
        norm["space"] = space
    if norm["metric"] is None:
        norm["metric"] = _default_metric(base)
    return Plan(norm, configs, dists)


def _default_metric(base: dict) -> str:
    """The data set's primary metric: exact ``w1`` (toy), classifier ``fid`` (MNIST-like), else ``swd``."""
    from .data import TOY

    if base.get("metrics"):
        return base["metrics"][0]
    if base["dataset"] in TOY:
        return "w1"
    return "fid" if base["dataset"] in ("digits", "mnist", "fashion-mnist") else "swd"


# ---------------------------------------------------------------------------------------------
# The study: storage, plan, and the queue of trials
# ---------------------------------------------------------------------------------------------


def default_out(name: str) -> Path:
    return Path("runs") / "sweeps" / name


def _storage_url(out: Path, storage: str | None) -> str:
    return storage or f"sqlite:///{(Path(out) / 'sweep.db').resolve()}"


def _rdb(url: str):
    import optuna

    kw = {"connect_args": {"timeout": 120}} if url.startswith("sqlite") else {}
    return optuna.storages.RDBStorage(url, engine_kwargs=kw)


def _comparable(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "description"}, sort_keys=True)


def open_study(plan: Plan, out, storage: str | None = None, wait_s: float = 60.0):
    """Create the sweep's study and enqueue its plan, or load it (and check it is the same sweep)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    url = _storage_url(out, storage)
    try:
        study = optuna.create_study(storage=_rdb(url), study_name=plan.name, direction="minimize")
        study.set_user_attr("spec", _comparable(plan.spec))
        study.set_user_attr("n_trials", len(plan.configs) * len(plan.seeds))
        for seed in plan.seeds:  # seed-major: a first pass over every configuration comes first
            for c, params in enumerate(plan.configs):
                study.enqueue_trial(params, user_attrs={"key": plan.key(c, seed), "config": c, "seed": seed})
        study.set_user_attr("planned", True)
        return study
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=plan.name, storage=_rdb(url))
    t0 = time.monotonic()
    while "planned" not in study.user_attrs:  # another process is enqueuing the plan right now
        if time.monotonic() - t0 > wait_s:
            raise RuntimeError(f"sweep {plan.name} in {url} was never fully planned (its creator died?); "
                               f"delete the study (optuna delete-study --study-name {plan.name} --storage {url}) "
                               "or use another --out")
        time.sleep(1.0)
    stored = study.user_attrs.get("spec")
    if stored != _comparable(plan.spec):
        old, new = json.loads(stored), json.loads(_comparable(plan.spec))
        diff = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
        raise ValueError(f"{url} already holds sweep {plan.name!r} with a different config (differs in: "
                         f"{', '.join(diff)}); use another --out, --storage or name, or delete {out} to start over")
    return study


def _states():
    from optuna.trial import TrialState

    return TrialState


def _pop(study):
    """Take the next waiting trial (atomically: two workers never get the same one), or ``None``."""
    import optuna
    from optuna.exceptions import UpdateFinishedTrialError

    TrialState = _states()
    storage = study._storage  # the study's own (cached) storage, as optuna.Trial itself uses
    for t in study.get_trials(deepcopy=False, states=(TrialState.WAITING,)):
        try:
            if storage.set_trial_state_values(t._trial_id, state=TrialState.RUNNING):
                return optuna.Trial(study, t._trial_id)
        except UpdateFinishedTrialError:
            continue
    return None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _requeue(study, frozen, status: str, reason: str) -> bool:
    """Mark a running trial failed with ``status`` and enqueue a fresh copy of it; False if it is not ours."""
    from optuna.exceptions import UpdateFinishedTrialError

    TrialState = _states()
    storage = study._storage
    try:
        storage.set_trial_user_attr(frozen._trial_id, "status", status)
        storage.set_trial_user_attr(frozen._trial_id, "reason", reason)
        if not storage.set_trial_state_values(frozen._trial_id, state=TrialState.FAIL):
            return False
    except UpdateFinishedTrialError:
        return False
    attrs = {k: frozen.user_attrs[k] for k in ("key", "config", "seed")}
    study.enqueue_trial(frozen.system_attrs.get("fixed_params", frozen.params), user_attrs=attrs)
    return True


def requeue_stale(study, stale_after: float = 600.0, log=print) -> int:
    """Put back in the queue the running trials whose worker is gone; returns how many."""
    TrialState = _states()
    here, now, n = socket.gethostname(), time.time(), 0
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        a = t.user_attrs
        beat = a.get("heartbeat") or (t.datetime_start.timestamp() if t.datetime_start else now)
        if a.get("host") == here and a.get("pid") and (a["pid"] == os.getpid() or not _pid_alive(a["pid"])):
            why = f"its worker (pid {a['pid']} on {here}) is gone"
        elif now - beat > stale_after:
            why = f"no heartbeat for {now - beat:.0f} s (> {stale_after:.0f} s)"
        else:
            continue
        if _requeue(study, t, "lost", f"worker lost: {why}; re-queued"):
            n += 1
            log(f"{a.get('key')}: {why}; re-queued (it continues from its last checkpoint)")
    return n


# ---------------------------------------------------------------------------------------------
# One trial
# ---------------------------------------------------------------------------------------------


def _score(run, run_dir: Path, cfg: Config, metric: str | None):
    """The final value of ``metric`` (from ``metrics.jsonl``; evaluated now if that row is missing)."""
    rows = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r["iter"] == run.it]
    row = rows[-1] if rows else None
    if row is None or (metric and metric not in row):
        from . import metrics as M

        names = [metric] if metric else M.default_metrics(run.data)
        row = {"iter": run.it, **M.evaluate(run.G, run.data, names, n=cfg.eval_samples, seed=cfg.seed,
                                            device=run.device)}
    metric = metric or next(k for k in row if k not in ("iter", "seconds"))
    curve = [{"iter": r["iter"], metric: r.get(metric)} for r in read_jsonl(run_dir / "metrics.jsonl")]
    return float(row[metric]), curve


def run_trial(study, trial, plan: Plan, out: Path, progress: bool = False, log=print) -> dict:
    """Train one popped trial and report it to the study; returns its result row."""
    TrialState = _states()
    key, c, seed = trial.user_attrs["key"], trial.user_attrs["config"], trial.user_attrs["seed"]
    for name in plan.configs[c]:  # records the planned parameters in the study (enqueued values are used)
        _suggest(trial, name, plan.distributions[name])
    for k, v in (("host", socket.gethostname()), ("pid", os.getpid()), ("heartbeat", time.time())):
        trial.set_user_attr(k, v)
    cfg = plan.config(c, seed)
    cfg.quiet = not progress
    run_dir = Path(out) / "runs" / key
    last_beat = [time.time()]

    def heartbeat(run, row):
        if time.time() - last_beat[0] > HEARTBEAT_S:
            last_beat[0] = time.time()
            trial.set_user_attr("heartbeat", last_beat[0])

    label = f"{key} {_label(plan.configs[c])}"
    t0 = time.perf_counter()
    try:
        run = train(cfg, run_dir, resume=True, callback=heartbeat)
        score, curve = _score(run, run_dir, run.cfg, plan.spec["metric"])
        if not math.isfinite(score):
            raise NonFiniteLossError(f"final {plan.spec['metric']} is {score}")
        trial.set_user_attr("status", "finished")
        trial.set_user_attr("seconds", round(run.seconds, 3))
        trial.set_user_attr("curve", curve)
        study.tell(trial, score)
        log(f"{label}: {plan.spec['metric']} {score:.4g} ({time.perf_counter() - t0:.1f} s)")
    except KeyboardInterrupt:
        frozen = study._storage.get_trial(trial._trial_id)
        _requeue(study, frozen, "interrupted", "interrupted (Ctrl-C); re-queued")
        log(f"{label}: interrupted; re-queued, it continues from its last checkpoint on the next run")
        raise
    except Exception as e:  # noqa: BLE001 - a failed trial is a result; the sweep goes on
        status = "diverged" if isinstance(e, NonFiniteLossError) else "failed"
        trial.set_user_attr("status", status)
        trial.set_user_attr("reason", f"{type(e).__name__}: {e}")
        study.tell(trial, state=TrialState.FAIL)
        log(f"{label}: {status}: {type(e).__name__}: {e}")
    return trial.user_attrs


def _suggest(trial, name, dist):
    import optuna.distributions as od

    if isinstance(dist, od.CategoricalDistribution):
        return trial.suggest_categorical(name, dist.choices)
    if isinstance(dist, od.IntDistribution):
        return trial.suggest_int(name, dist.low, dist.high, log=dist.log)
    return trial.suggest_float(name, dist.low, dist.high, log=dist.log)


def _label(params: dict) -> str:
    return "[" + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()) + "]"


# ---------------------------------------------------------------------------------------------
# Running a sweep
# ---------------------------------------------------------------------------------------------


def work(plan: Plan, out, storage=None, max_trials=None, progress=False, stale_after=600.0, log=print) -> int:
    """One worker: pop and run trials until none waits (or ``max_trials``); returns how many it ran."""
    study = open_study(plan, out, storage)
    requeue_stale(study, stale_after, log)
    done = 0
    while max_trials is None or done < max_trials:
        trial = _pop(study)
        if trial is None:
            break
        try:
            run_trial(study, trial, plan, out, progress, log)
        finally:
            write_results(plan, study, out)
        done += 1
    return done


def _worker_process(spec: dict, out: str, storage: str | None, max_trials, threads: int, stale_after: float):
    import torch

    torch.set_num_threads(threads)
    plan = load_spec(spec)
    prefix = f"[worker {os.getpid()}] "
    try:
        work(plan, out, storage, max_trials, False, stale_after, log=lambda m: print(prefix + m, flush=True))
    except KeyboardInterrupt:
        pass


def run_sweep(spec, out=None, workers: int = 1, storage: str | None = None, max_trials: int | None = None,
              progress: bool = False, stale_after: float = 600.0, log=print, threads: int | None = None) -> dict:
    """Run (or resume) a sweep; returns :func:`summarise` of its results.

    ``spec`` is a path to a sweep JSON file, a dict, or a :class:`Plan`; ``out`` the sweep folder (default
    ``runs/sweeps/NAME``); ``storage`` an Optuna RDB URL (default ``sqlite:///OUT/sweep.db``);
    ``max_trials`` the most trials each worker runs in this call (``0``: only rewrite the results);
    ``threads`` torch CPU threads per worker (default: this process's setting with one worker, else
    ``cores // workers``).  Small toy models run fastest with 1, especially on a shared machine.
    """
    plan = spec if isinstance(spec, Plan) else load_spec(spec)
    log = log or (lambda *a: None)
    if not isinstance(workers, int) or workers < 1:
        _fail(f"workers must be an integer >= 1; got {workers!r}")
    out = Path(out) if out is not None else default_out(plan.name)
    study = open_study(plan, out, storage)  # plans (once) before any worker starts
    if workers == 1:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(threads or before)
        try:
            work(plan, out, storage, max_trials, progress, stale_after, log)
        finally:
            torch.set_num_threads(before)
    else:
        import multiprocessing as mp

        requeue_stale(study, stale_after, log)
        threads = threads or max(1, (os.cpu_count() or 1) // workers)
        ctx = mp.get_context("spawn")
        args = (plan.spec, str(out), storage, max_trials, threads, stale_after)
        procs = [ctx.Process(target=_worker_process, args=args) for _ in range(workers)]
        for p in procs:
            p.start()
        try:
            for p in procs:
                p.join()
        except KeyboardInterrupt:
            for p in procs:
                p.join()
            raise
    return summarise(write_results(plan, study, out))


# ---------------------------------------------------------------------------------------------
# Results and summaries
# ---------------------------------------------------------------------------------------------

_RANK = {"finished": 0, "diverged": 1, "failed": 1, "running": 2, "waiting": 3, "interrupted": 4, "lost": 4}


def results(plan: Plan, study) -> list[dict]:
    """One row per planned trial (configuration x seed), from the study: the latest state of each."""
    TrialState = _states()
    by_key = {}
    for t in study.get_trials(deepcopy=False):
        key = t.user_attrs.get("key")
        if key is None:
            continue
        status = t.user_attrs.get("status") if t.state.is_finished() else (
            "running" if t.state == TrialState.RUNNING else "waiting")
        status = status or ("finished" if t.state == TrialState.COMPLETE else "failed")
        rank = (_RANK.get(status, 5), -t.number)
        if key not in by_key or rank < by_key[key][0]:
            by_key[key] = (rank, t, status)
    rows = []
    for c, params in enumerate(plan.configs):
        settings = plan.settings(c)
        for seed in plan.seeds:
            key = plan.key(c, seed)
            _, t, status = by_key.get(key, (None, None, "missing"))
            a = t.user_attrs if t is not None else {}
            rows.append({
                "config": c, "seed": seed, "key": key, "params": params,
                "method": settings.get("method", Config.method), "status": status,
                "score": t.value if t is not None and status == "finished" else None,
                "metric": plan.spec["metric"], "reason": a.get("reason") if status != "finished" else None,
                "seconds": a.get("seconds"), "run_dir": f"runs/{key}", "curve": a.get("curve"),
                "optuna_trial": t.number if t is not None else None,
            })
    return rows


def _atomic_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def write_results(plan: Plan, study, out) -> dict:
    """Rewrite ``results.json`` and ``results.csv`` in ``out`` from the study; returns the results dict."""
    out = Path(out)
    rows = results(plan, study)
    res = {"spec": plan.spec, "configs": plan.configs, "rows": rows}
    _atomic_text(out / "results.json", json.dumps(res, indent=1, default=str) + "\n")
    names = list(dict.fromkeys(k for c in plan.configs for k in c))
    buf = io.StringIO()
    w = csv.writer(buf)
    method = [] if "method" in names else ["method"]
    w.writerow(["config", "seed", *names, *method, "status", "score", "metric", "reason", "seconds", "run_dir"])
    for r in rows:
        w.writerow([r["config"], r["seed"], *[r["params"].get(n, "") for n in names], *[r["method"]] * len(method),
                    r["status"], r["score"], r["metric"], r["reason"] or "", r["seconds"], r["run_dir"]])
    _atomic_text(out / "results.csv", buf.getvalue())
    return res


def load_results(out) -> dict:
    """The results dict of a sweep folder (``results.json``)."""
    path = Path(out) / "results.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: run the sweep first")
    return json.loads(path.read_text())


def summarise(res) -> dict:
    """Per configuration: scores over seeds, mean, sd, counts; per method: share of diverged runs.

    ``res`` is what :func:`run_sweep`/:func:`write_results` return, or a sweep folder.
    """
    if isinstance(res, (str, Path)):
        res = load_results(res)
    spec, rows = res["spec"], res["rows"]
    configs = []
    for c, params in enumerate(res["configs"]):
        rs = [r for r in rows if r["config"] == c]
        scores = [r["score"] for r in rs if r["status"] == "finished"]
        mean, sd, n = _mean_sd(scores)
        configs.append({
            "config": c, "params": params, "settings": {**spec["base"], **params}, "method": rs[0]["method"],
            "scores": scores, "mean": mean, "sd": sd, "n": n, "seeds": len(rs),
            "diverged": sum(r["status"] == "diverged" for r in rs), "failed": sum(r["status"] == "failed" for r in rs),
            "pending": sum(r["status"] not in ("finished", "diverged", "failed") for r in rs),
            "reasons": [r["reason"] for r in rs if r["reason"]],
            "seconds": _mean_sd([r["seconds"] for r in rs if r["status"] == "finished"])[0],
        })
    methods = {}
    for r in rows:
        m = methods.setdefault(r["method"], {"runs": 0, "finished": 0, "diverged": 0, "failed": 0})
        if r["status"] in ("finished", "diverged", "failed"):
            m["runs"] += 1
            m[r["status"]] += 1
    for m in methods.values():
        m["share_diverged"] = m["diverged"] / m["runs"] if m["runs"] else None
    return {"name": spec["name"], "metric": spec["metric"], "spec": spec, "configs": configs, "methods": methods,
            "rows": rows}


def summary_markdown(summary: dict, sort: bool = True) -> str:
    """A markdown table of the configurations (best first), with the diverged share per method."""
    metric = summary["metric"]
    names = list(dict.fromkeys(k for c in summary["configs"] for k in c["params"]))
    configs = sorted(summary["configs"], key=lambda c: (c["mean"] is None, c["mean"] or 0)) if sort \
        else summary["configs"]
    lines = [f"| {' | '.join(names)} | {metric} (mean ± sd) | finished / seeds | diverged | failed |",
             "|" + "---|" * (len(names) + 4)]
    for c in configs:
        cells = [_fmt_value(c["params"].get(n, "")) for n in names]
        score = f"{c['mean']:.4g} ± {c['sd']:.2g}" if c["mean"] is not None else "n/a"
        lines.append(f"| {' | '.join(cells)} | {score} | {c['n']}/{c['seeds']} | {c['diverged']} | {c['failed']} |")
    lines += ["", "| method | runs | diverged | share diverged |", "|---|---|---|---|"]
    for m, v in summary["methods"].items():
        share = f"{v['share_diverged']:.0%}" if v["share_diverged"] is not None else "n/a"
        lines.append(f"| {m} | {v['runs']} | {v['diverged']} | {share} |")
    return "\n".join(lines) + "\n"


def _fmt_value(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def best_config(summary: dict, complete: bool = True) -> dict:
    """Swept parameters of the configuration with the lowest mean score (all seeds finished if ``complete``)."""
    ok = [c for c in summary["configs"] if c["mean"] is not None and (not complete or c["n"] == c["seeds"])]
    if not ok:
        raise ValueError(f"sweep {summary['name']}: no configuration finished all its seeds")
    return dict(min(ok, key=lambda c: c["mean"])["params"])


# ---------------------------------------------------------------------------------------------
# Verdicts: one rule (ganlib.compare.decide), used for every claim
# ---------------------------------------------------------------------------------------------


def compare_scores(a: list, b: list) -> dict:
    """Is ``a`` lower (better) than ``b``?  Difference of means against 2 x standard error.

    Standard error ``sqrt(sd_a^2 / n_a + sd_b^2 / n_b)`` as in :func:`ganlib.compare.verdict`; with fewer than
    two finished seeds on a side the answer is ``not distinguishable``.
    """
    ma, sa, na = _mean_sd(a)
    mb, sb, nb = _mean_sd(b)
    if na < 2 or nb < 2:
        return {"verdict": "not distinguishable", "mean_a": ma, "mean_b": mb, "diff": None, "se": None,
                "text": f"fewer than 2 finished seeds (n = {na} vs {nb})"}
    se = math.sqrt(sa**2 / na + sb**2 / nb)
    diff = mb - ma
    return {"verdict": decide(diff, se), "mean_a": ma, "mean_b": mb, "diff": diff, "se": se,
            "text": f"{ma:.4g} vs {mb:.4g}: difference {diff:.3g}, 2 x standard error {2 * se:.3g}"}


def _matches(config: dict, selector: dict) -> bool:
    s = config["settings"]
    return all(s.get(k, getattr(Config, k, None)) == v for k, v in selector.items())


def _pick(summary: dict, selector: dict, best_over: str | None) -> dict:
    found = [c for c in summary["configs"] if _matches(c, selector)]
    if not found:
        _fail(f"sweep {summary['name']}: no configuration matches {selector}")
    if len(found) > 1 and not best_over:
        _fail(f"sweep {summary['name']}: {len(found)} configurations match {selector}; make it more specific "
              f"or give best_over")
    done = [c for c in found if c["mean"] is not None]
    return min(done, key=lambda c: c["mean"]) if done else found[0]


def effect(summary: dict, factor: str) -> dict:
    """How much ``factor`` moves the score: worst minus best level (each level at its best other settings)."""
    levels = {}
    for c in summary["configs"]:
        if factor in c["params"] and c["mean"] is not None:
            v = c["params"][factor]
            if v not in levels or c["mean"] < levels[v]["mean"]:
                levels[v] = c
    if len(levels) < 2:
        return {"factor": factor, "size": None, "se": None, "best": None, "worst": None, "levels": {}}
    best = min(levels.values(), key=lambda c: c["mean"])
    worst = max(levels.values(), key=lambda c: c["mean"])
    se = math.sqrt((best["sd"] ** 2 / best["n"]) + (worst["sd"] ** 2 / worst["n"]))
    return {"factor": factor, "size": worst["mean"] - best["mean"], "se": se, "best": best, "worst": worst,
            "levels": {k: v["mean"] for k, v in levels.items()}}


def judge(summary: dict, claim: dict, others: dict | None = None) -> dict:
    """The verdict on one claim, computed from a sweep's summary with :func:`decide`.

    Claims (dicts with ``kind``):

    - ``better``: ``a`` (a selector: dict of settings) scores lower than each of ``b`` (a selector or a
      list); with ``best_over`` (a field), each side is its best configuration over that field.  Holds if
      lower than every ``b``; does not hold if some ``b`` is lower; else not distinguishable.
    - ``matters``: the best and the worst level of ``factor`` differ (lower vs higher).  Holds if so;
      otherwise not distinguishable (a sweep cannot prove "no effect").
    - ``matters_most``: the effect of ``factor`` (worst minus best level) exceeds the effect of each
      factor in ``others`` (``{name: (summary, factor)}``).
    """
    kind = claim.get("kind")
    text = claim.get("claim", "")
    if kind == "better":
        a = _pick(summary, claim["a"], claim.get("best_over"))
        bs = claim["b"] if isinstance(claim["b"], list) else [claim["b"]]
        parts, verdicts = [], []
        for sel in bs:
            b = _pick(summary, sel, claim.get("best_over"))
            r = compare_scores(a["scores"], b["scores"])
            verdicts.append(r["verdict"])
            parts.append(f"{_label(a['params'])} vs {_label(b['params'])}: {r['text']}" + _fails(a, b))
        v = ("holds" if all(x == "holds" for x in verdicts) else
             "does not hold" if "does not hold" in verdicts else "not distinguishable")
        return {"claim": text, "verdict": v, "detail": "; ".join(parts)}
    if kind == "matters":
        f = claim["factor"]
        dead = [f"{f}={_fmt_value(c['params'][f])}" for c in summary["configs"] if f in c["params"] and c["n"] == 0
                and c["diverged"] + c["failed"]]
        note = f"; no finished run at {', '.join(dead)}" if dead else ""
        e = effect(summary, f)
        if e["size"] is None:
            return {"claim": text, "verdict": "not distinguishable", "detail": "fewer than two levels finished" + note}
        r = compare_scores(e["best"]["scores"], e["worst"]["scores"])
        v = "holds" if r["verdict"] == "holds" else "not distinguishable"
        return {"claim": text, "verdict": v,
                "detail": f"best {f}={_fmt_value(e['best']['params'][f])} vs worst "
                          f"{_fmt_value(e['worst']['params'][f])}: {r['text']}{note}"}
    if kind == "matters_most":
        mine = effect(summary, claim["factor"])
        if mine["size"] is None:
            return {"claim": text, "verdict": "not distinguishable", "detail": "fewer than two levels finished"}
        verdicts, parts = [], []
        for name, (s, factor) in (others or {}).items():
            e = effect(s, factor)
            if e["size"] is None:
                continue
            v = decide(mine["size"] - e["size"], math.sqrt(mine["se"] ** 2 + e["se"] ** 2))
            verdicts.append(v)
            parts.append(f"{factor}: {e['size']:.3g}")
        v = ("holds" if verdicts and all(x == "holds" for x in verdicts) else
             "does not hold" if "does not hold" in verdicts else "not distinguishable")
        return {"claim": text, "verdict": v,
                "detail": f"effect (worst - best level) of {claim['factor']}: {mine['size']:.3g} ± {mine['se']:.2g}; "
                          f"others: {', '.join(parts) or 'none'}"}
    _fail(f"unknown claim kind {kind!r}; accepted: better, matters, matters_most")


def _fails(a, b) -> str:
    notes = [f"{c['diverged'] + c['failed']} of {c['seeds']} failed for {_label(c['params'])}"
             for c in (a, b) if c["diverged"] + c["failed"]]
    return f" ({'; '.join(notes)})" if notes else ""


# ---------------------------------------------------------------------------------------------
# The tuning study (notebooks/08_tuning_tips.ipynb): the tips of sweeps/tips.json, and sensitivity
# ---------------------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
TIPS = ROOT / "sweeps" / "tips.json"
METHODS_SENSITIVITY = ("wgan-gp", "icvp", "icvp-eps", "icvp-lambda")

# Sizes of the tuning study per profile.  toy/image: Config fields for every trial of that kind of data.
TUNING_PROFILES = {
    "smoke": dict(  # every code path, about two minutes on 2 CPU cores
        toy_iters=10, image_iters=2, seeds=2, search_trials=3, threads=1, workers=1,
        toy={"width": 32, "batch_size": 32, "eval_samples": 200},
        image={"width": 8, "eval_samples": 200},
        lambdas=[0.01, 1.0], lrs=[0.0001, 0.01]),
    "quick": dict(  # a small but meaningful toy study: about 8 minutes of one CPU core, 4-5 on two
        toy_iters=80, image_iters=40, seeds=3, search_trials=6, threads=1, workers=2,
        toy={"width": 64, "batch_size": 64, "eval_samples": 500},
        image={"width": 16, "eval_samples": 1000},
        lambdas=[0.01, 0.1, 1.0, 10.0], lrs=[0.0001, 0.001, 0.01, 0.03]),
    "full": dict(  # the published toy and MNIST-like sizes; for a GPU
        toy_iters=3000, image_iters=3000, seeds=5, search_trials=40, threads=None, workers=1,
        toy={"eval_samples": 2000}, image={"width": 64, "eval_samples": 2000},
        lambdas=[0.001, 0.01, 0.1, 1.0, 10.0], lrs=[0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03]),
}


def tuning_profile(profile: str) -> dict:
    if profile not in TUNING_PROFILES:
        _fail(f"unknown profile {profile!r}; accepted: {', '.join(TUNING_PROFILES)}")
    return {"profile": profile, **TUNING_PROFILES[profile]}


def load_tips(path=None) -> dict:
    return json.loads(Path(path or TIPS).read_text())


def tip_spec(tip: dict, doc: dict, profile: str, overrides: dict | None = None) -> dict:
    """The sweep config that tests one tip under a profile."""
    P = tuning_profile(profile)
    image = tip.get("data") == "image"
    base = {**doc["image_base" if image else "toy_base"], **P["image" if image else "toy"], **(overrides or {}),
            **tip.get("base", {})}
    spec = {"name": f"tip_{tip['id']}", "description": tip["tip"], "iters": P["image_iters" if image else "toy_iters"],
            "seeds": P["seeds"], "base": base}
    if tip.get("search") == "random":
        spec.update(search="random", space=tip["space"], trials=P["search_trials"], sampler_seed=0)
    else:
        spec["grid"] = tip["grid"]
    return spec


def _confirm_spec(spec: dict, best: dict) -> tuple[dict, dict, dict]:
    """Best configuration vs the starting one, on fresh seeds (the search's pick is not its own judge)."""
    start = {k: spec["base"].get(k, getattr(Config, k, None)) for k in best}
    confirm = {k: v for k, v in spec.items() if k not in ("search", "space", "trials", "sampler_seed")}
    confirm.update(name=spec["name"] + "_confirm", seed_start=1000,
                   grid=[{k: [v] for k, v in best.items()}, {k: [v] for k, v in start.items()}])
    return confirm, best, start


def run_tips(profile: str = "smoke", out="runs/tuning/tips", tips=None, overrides=None, only=None,
             log=None) -> dict:
    """Run (or resume) every tip's sweep and judge its claims; returns ``{"tips": [...], "untestable": [...]}``.

    ``tips``: a tips document or its path (default ``sweeps/tips.json``); ``only``: tip ids to run.
    """
    doc = tips if isinstance(tips, dict) else load_tips(tips)
    threads, workers = tuning_profile(profile)["threads"], tuning_profile(profile)["workers"]
    out = Path(out)
    done = []
    for tip in doc["tips"]:
        if only and tip["id"] not in only:
            continue
        spec = tip_spec(tip, doc, profile, overrides)
        summary = run_sweep(spec, out / tip["id"], workers, log=log, threads=threads)
        entry = {**tip, "spec": spec, "summary": summary, "search_summary": None}
        if tip.get("search") == "random":
            confirm, best, start = _confirm_spec(spec, best_config(summary, complete=False))
            confirmed = run_sweep(confirm, out / (tip["id"] + "_confirm"), workers, log=log, threads=threads)
            entry.update(search_summary=summary, summary=confirmed, spec=confirm,
                         claims=[{**c, "a": best, "b": start} for c in tip["claims"]],
                         labels=["best found", "starting point"] if len(confirmed["configs"]) == 2 else None)
        done.append(entry)
    summaries = {t["id"]: t["summary"] for t in done}
    for t in done:
        t["verdicts"] = []
        for claim in t["claims"]:
            others = {k: (summaries[k], f) for k, f in claim.get("others", {}).items() if k in summaries}
            t["verdicts"].append(judge(t["summary"], claim, others))
    return {"profile": profile, "tips": done, "untestable": doc.get("untestable", [])}


def _numbers(summary: dict, seconds: bool = False, labels=None) -> str:
    parts = []
    for i, c in enumerate(summary["configs"]):
        score = f"{c['mean']:.3g} ± {c['sd']:.2g}" if c["mean"] is not None else "n/a"
        bad = c["diverged"] + c["failed"]
        time = f", {c['seconds']:.1f} s training" if seconds and c.get("seconds") is not None else ""
        parts.append(f"{labels[i] if labels else _label(c['params'])}: {score}{time}"
                     + (f" ({bad}/{c['seeds']} failed)" if bad else ""))
    return "<br>".join(parts)


def tips_markdown(res: dict) -> str:
    """The tuning study as a markdown table: tip, claim, experiment, numbers, verdict (and untestable tips)."""
    lines = ["| tip | claim | experiment | final metric, mean ± sd over seeds | verdict |", "|---|---|---|---|---|"]
    for t in res["tips"]:
        s = t["spec"]
        exp = (f"{s['base']['dataset']}, {s['iters']} it., {s['seeds']} seeds"
               + (f"; {t['note']}" if t.get("note") else ""))
        for i, v in enumerate(t["verdicts"]):
            first = i == 0
            lines.append(f"| {t['tip'] if first else ''} | {v['claim']} | {exp if first else ''} | "
                         f"{_numbers(t['summary'], t.get('show_seconds'), t.get('labels')) if first else ''} | "
                         f"**{v['verdict']}**: {v['detail']} |")
    if res.get("untestable"):
        lines += ["", "Not tested here:", ""] + [f"- {u['tip']} -- {u['reason']}" for u in res["untestable"]]
    return "\n".join(lines) + "\n"


def verdict_counts(res: dict) -> dict:
    counts = {v: 0 for v in VERDICTS}
    for t in res["tips"]:
        for v in t["verdicts"]:
            counts[v["verdict"]] += 1
    return counts


def sensitivity_specs(profile: str = "smoke", methods=METHODS_SENSITIVITY, base=None) -> dict:
    """Two grid sweeps: method x ``lambda_max`` and method x learning rate, on 8 Gaussians."""
    P = tuning_profile(profile)
    common = {"dataset": "8gaussians", "iters": P["toy_iters"], "seeds": P["seeds"]}
    base = {**P["toy"], **(base or {})}
    return {
        "lambda_max": {**common, "name": "sensitivity_lambda", "base": {"lr_g": 0.001, **base},
                       "grid": {"method": list(methods), "lambda_max": P["lambdas"]}},
        "lr_g": {**common, "name": "sensitivity_lr", "base": base,
                 "grid": {"method": list(methods), "lr_g": P["lrs"]}},
    }


def merge_methods(*summaries) -> dict:
    """Runs, divergences and failures per method, pooled over several sweeps."""
    pooled = {}
    for s in summaries:
        for m, v in s["methods"].items():
            p = pooled.setdefault(m, {"runs": 0, "finished": 0, "diverged": 0, "failed": 0})
            for k in p:
                p[k] += v[k]
    for p in pooled.values():
        p["share_diverged"] = p["diverged"] / p["runs"] if p["runs"] else None
    return pooled


def method_sensitivity(summary: dict, factor: str) -> dict:
    """Per method and level of ``factor``: mean, sd, finished and failed runs (the numbers behind the plots)."""
    out = {}
    for c in summary["configs"]:
        m = out.setdefault(c["settings"].get("method"), {})
        m[c["settings"][factor]] = {k: c[k] for k in ("mean", "sd", "n", "diverged", "failed", "seeds")}
    return out


def fragility_verdict(summary: dict, factor: str, a: str = "icvp", b: str = "wgan-gp") -> dict:
    """Is ``a`` less fragile than ``b`` with respect to ``factor``?

    Fragility is judged on the mean final score over all levels of ``factor`` that both methods finished
    with at least two seeds -- the expected score when the setting is picked at random from the grid (lower:
    good over a wider range).  Compared with :func:`decide`; the standard error of a mean over levels is
    ``sqrt(sum(sd^2 / n)) / levels``.  The range (worst minus best level) and the failed runs are reported
    beside it: a level where runs diverged counts only through those that finished.
    """
    per = method_sensitivity(summary, factor)
    x, y = per.get(a, {}), per.get(b, {})
    levels = sorted(v for v in x if v in y and x[v]["n"] >= 2 and y[v]["n"] >= 2)
    fails = {m: sum(d["diverged"] + d["failed"] for d in per.get(m, {}).values()) for m in (a, b)}
    runs = {m: sum(d["seeds"] for d in per.get(m, {}).values()) for m in (a, b)}
    note = f"; failed runs: {a} {fails[a]}/{runs[a]}, {b} {fails[b]}/{runs[b]}"
    if len(levels) < 2:
        return {"verdict": "not distinguishable", "detail": "fewer than two levels finished by both" + note}

    def average(d):
        means = [d[v]["mean"] for v in levels]
        se = math.sqrt(sum(d[v]["sd"] ** 2 / d[v]["n"] for v in levels)) / len(levels)
        return sum(means) / len(means), se, max(means) - min(means)

    (ma, sa, ra), (mb, sb, rb) = average(x), average(y)
    se = math.sqrt(sa**2 + sb**2)
    return {"verdict": decide(mb - ma, se), "mean_a": ma, "mean_b": mb, "range_a": ra, "range_b": rb,
            "detail": f"mean final score over {factor} in {[_fmt_value(v) for v in levels]}: {a} {ma:.4g}, "
                      f"{b} {mb:.4g}; difference {mb - ma:.3g}, 2 x standard error {2 * se:.3g} "
                      f"(range worst - best level: {a} {ra:.3g}, {b} {rb:.3g})" + note}


# ---------------------------------------------------------------------------------------------
# Command line (wired into ``ganlib sweep`` by ganlib.cli; also ``python -m ganlib.sweep``)
# ---------------------------------------------------------------------------------------------


def cli_sweep(config, out=None, workers=1, storage=None, max_trials=None, progress=False,
              stale_after=600.0, threads=None) -> int:
    """``ganlib sweep CONFIG``: run or resume, print the summary table and write ``summary.md``; exit status."""
    plan = load_spec(config)
    out = Path(out) if out else default_out(plan.name)
    try:
        summary = run_sweep(plan, out, workers, storage, max_trials, progress, stale_after, threads=threads)
    except KeyboardInterrupt:
        print(f"interrupted: finished trials are kept in {out}; run the same command again to resume",
              file=sys.stderr)
        return 130
    text = summary_markdown(summary)
    (out / "summary.md").write_text(f"## Sweep {plan.name}: {plan.spec['dataset']}, {plan.spec['iters']} "
                                    f"generator iterations, {plan.spec['seeds']} seeds\n\n{text}")
    print(text)
    pending = sum(c["pending"] for c in summary["configs"])
    print(f"results: {out / 'results.csv'}" + (f"; {pending} trials not done yet (run again to resume)"
                                                 if pending else ""))
    return 0


def add_arguments(p) -> None:
    """The options of ``ganlib sweep`` on an argparse parser."""
    p.add_argument("config", help="sweep config JSON file (see sweeps/ and `python -m pydoc ganlib.sweep`)")
    p.add_argument("--out", default=None, help="sweep folder (default: runs/sweeps/NAME)")
    p.add_argument("--workers", type=int, default=1, help="processes pulling trials in parallel (default: 1)")
    p.add_argument("--storage", default=None,
                   help="Optuna RDB URL shared by several machines, e.g. postgresql://user:pw@host/db "
                        "(default: sqlite:///OUT/sweep.db)")
    p.add_argument("--max-trials", type=int, default=None,
                   help="run at most this many trials per worker, then stop (resume later); 0: only rewrite results")
    p.add_argument("--stale-after", type=float, default=600.0,
                   help="re-queue a running trial whose heartbeat is older than this many seconds (default: 600)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads per worker (default: cores / workers); 1 is fastest for toy models")
    p.add_argument("--progress", action="store_true", help="show progress bars")


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m ganlib.sweep", description=__doc__.split("\n")[0])
    add_arguments(p)
    args = p.parse_args(argv)
    try:
        return cli_sweep(args.config, args.out, args.workers, args.storage, args.max_trials, args.progress,
                         args.stale_after, args.threads)
    except ValueError as e:
        p.exit(2, f"ganlib sweep: error: {e}\n")


if __name__ == "__main__":
    sys.exit(main())
