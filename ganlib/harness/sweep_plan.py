"""A sweep's plan and its results table: the sweep config validated into a :class:`Plan` (every
configuration x seed), and one row per planned trial read back from the study (``results.json``,
``results.csv``, :func:`summarise`).  The engine that runs the plan is :mod:`ganlib.harness.sweep`.

A sweep CONFIG is a JSON file (or a dict, from Python)::

    {"name": "toy_lr_lambda", "dataset": "8gaussians", "iters": 300, "seeds": 2,
     "base": {"lr_g": 1e-3},                                    # any Config fields, for every trial
     "grid": {"method": ["wgan-gp", "icvp"], "lambda_max": [0.01, 0.1, 1.0]}}

    {"name": "toy_random", "dataset": "8gaussians", "iters": 300, "seeds": 2,
     "search": "random", "trials": 20, "sampler_seed": 0,
     "space": {"lr_g": {"log_uniform": [1e-5, 1e-2]}, "method": {"choice": ["wgan-gp", "icvp"]}}}

Keys: ``name``, ``dataset``, ``iters``, ``seeds`` (trials per configuration, seeds ``seed_start ..
seed_start + seeds - 1``: seed ``s`` of every configuration starts from the same networks and sees the
same data and noise, so configurations are compared seed by seed), ``seed_start``, ``search`` (``grid``
or ``random``), ``base``, ``grid`` (a dict of lists: their Cartesian product; or a list of such dicts:
the union of their products), ``space``, ``trials`` and ``sampler_seed`` (random search, drawn once by
Optuna's ``RandomSampler(seed=sampler_seed)``: the same config, the same trials; distributions
``choice``, ``uniform``, ``log_uniform``, ``int_uniform``, ``int_log_uniform``), ``metric`` (default:
the data set's first metric, exact ``w1`` on toy data, classifier ``fid`` on MNIST-like data),
``curve`` (evaluations along the run besides the final one, default 0), ``description``.  A bad key,
field, value or distribution is refused before any training, with a message naming it and what is
accepted.
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
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

from .compare import eval_points
from ..config import Config
from ..stats import mean_sd

SEARCHES = ("grid", "random")
DISTRIBUTIONS = ("choice", "uniform", "log_uniform", "int_uniform", "int_log_uniform")
SPEC_KEYS = ("name", "description", "dataset", "iters", "seeds", "seed_start", "search", "base", "grid", "space",
             "trials", "sampler_seed", "metric", "curve")
CONTROLLED = {"seed": "the sweep sets each trial's seed: use the top-level 'seeds' (and 'seed_start')",
              "eval_at": "the sweep evaluates at the end (and at 'curve' points)",
              "quiet": "the sweep trains quietly (pass progress=True to see progress bars)"}
RESULTS = ("finished", "diverged", "failed")  # trial outcomes that are results (never redone)


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
        from ..metrics import METRICS

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
    from ..data import TOY

    if base.get("metrics"):
        return base["metrics"][0]
    if base["dataset"] in TOY:
        return "w1"
    return "fid" if base["dataset"] in ("digits", "mnist", "fashion-mnist") else "swd"



# ---------------------------------------------------------------------------------------------
# Results and summaries
# ---------------------------------------------------------------------------------------------

_RANK = {"finished": 0, "diverged": 1, "failed": 1, "running": 2, "waiting": 3, "interrupted": 4, "lost": 4}


def _status(t) -> str | None:
    """ganlib's status of an Optuna trial; ``None`` for a pruned one (a duplicate or a stray: never trained)."""
    from optuna.trial import TrialState as S

    if t.state == S.FAIL:  # still "running": its worker died (no heartbeat), and Optuna failed it
        return t.user_attrs["status"] if t.user_attrs.get("status") in ("diverged", "failed", "interrupted") else "lost"
    return {S.WAITING: "waiting", S.RUNNING: "running", S.COMPLETE: "finished"}.get(t.state)


def results(plan: Plan, study) -> list[dict]:
    """One row per planned trial (configuration x seed), from the study: the latest state of each."""
    by_key = {}
    for t in study.get_trials(deepcopy=False):
        key, status = t.user_attrs.get("key"), _status(t)
        if key is None or status is None:
            continue
        rank = (_RANK[status], -t.number)
        if key not in by_key or rank < by_key[key][0]:
            by_key[key] = (rank, t, status)
    rows = []
    for c, params in enumerate(plan.configs):
        settings = plan.settings(c)
        for seed in plan.seeds:
            key = plan.key(c, seed)
            _, t, status = by_key.get(key, (None, None, "missing"))
            a = t.user_attrs if t is not None else {}
            reason = a.get("reason") or (f"worker {a.get('worker')} lost (no heartbeat)" if status == "lost" else None)
            rows.append({
                "config": c, "seed": seed, "key": key, "params": params,
                "method": settings.get("method", Config.method), "status": status,
                "score": t.value if t is not None and status == "finished" else None,
                "metric": plan.spec["metric"], "reason": reason if status != "finished" else None,
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
    """Per configuration: scores over seeds (``by_seed``: seed -> score, ``None`` if not finished), mean, sd,
    counts; per method: share of diverged runs.

    ``res`` is what :func:`run_sweep`/:func:`write_results` return, or a sweep folder.
    """
    if isinstance(res, (str, Path)):
        res = load_results(res)
    spec, rows = res["spec"], res["rows"]
    configs = []
    for c, params in enumerate(res["configs"]):
        rs = [r for r in rows if r["config"] == c]
        scores = [r["score"] for r in rs if r["status"] == "finished"]
        mean, sd, n = mean_sd(scores)
        configs.append({
            "config": c, "params": params, "settings": {**spec["base"], **params}, "method": rs[0]["method"],
            "scores": scores, "by_seed": {r["seed"]: r["score"] for r in rs}, "mean": mean, "sd": sd, "n": n,
            "seeds": len(rs),
            "diverged": sum(r["status"] == "diverged" for r in rs), "failed": sum(r["status"] == "failed" for r in rs),
            "pending": sum(r["status"] not in ("finished", "diverged", "failed") for r in rs),
            "reasons": [r["reason"] for r in rs if r["reason"]],
            "seconds": mean_sd([r["seconds"] for r in rs if r["status"] == "finished"])[0],
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


def _label(params: dict) -> str:
    return "[" + ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in params.items()) + "]"


def _fmt_value(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def best_config(summary: dict, complete: bool = True) -> dict:
    """Swept parameters of the configuration with the lowest mean score (all seeds finished if ``complete``)."""
    ok = [c for c in summary["configs"] if c["mean"] is not None and (not complete or c["n"] == c["seeds"])]
    if not ok:
        raise ValueError(f"sweep {summary['name']}: no configuration finished all its seeds")
    return dict(min(ok, key=lambda c: c["mean"])["params"])

