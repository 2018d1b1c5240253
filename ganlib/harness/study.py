"""Studies at a budget that can answer: the design, the runs, and the committed results store.

A study is a list of :class:`Part` s, each a paired comparison (``ganlib.harness.compare``): one data set,
one budget, and for each method the number of seeds.  Seed ``s`` of every method starts from the same
networks and sees the same data and noise (``ganlib.train.Run``), so methods are compared seed by seed.

``run_study(profile)`` trains what is missing (resuming what was interrupted) in ``runs/<profile>/``,
and as each run finishes copies what the results need into the store ``results/<profile>/<part>/runs/
<method>-seed<s>/`` (the pattern of showyourwork's cache): ``config.json``, ``run.json``,
``metrics.jsonl``, ``probe.jsonl`` (if probed), a thinned ``log.jsonl`` and the last sample grid; no checkpoints.  The store is
committed; figures, tables and verdicts are rebuilt from it (``ganlib reproduce --profile long
--from-results``) without training.  A GPU run (``gpu`` profile) writes the same store.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..config import Config
from ..methods import RELATIVES
from ..stats import Verdict
from .compare import eval_points, family_table, run_dir, summarise
from .jobs import Job, is_finished, run_jobs, run_status
from .locations import ROOT

RESULTS = ROOT / "results"
LOG_EVERY = 10  # the store keeps every 10th row of log.jsonl (and the last)


@dataclass(frozen=True)
class Part:
    """One paired comparison of a study."""

    name: str  # folder under results/<profile>/
    dataset: str
    seeds: dict  # method -> number of paired seeds (seeds 0..n-1)
    iters: int
    evals: int  # evaluations at evals + 1 evenly spaced generator iterations, from 0
    overrides: dict = field(default_factory=dict)  # Config fields
    question: str = ""
    archived: bool = False  # stored runs kept for the record; never trained again (jobs() skips the part)
    # pairs (a, b) of methods to decide, each as "a vs b" (a minus b; negative = a faster); None: icvp vs each other
    comparisons: tuple | None = None
    # named variants trained beside the methods: label -> Config fields (with "method"), e.g. a reading of section 2
    # {"icvp-band": {"method": "icvp", "interpolation": "band"}}; a label of ``seeds`` is a method or a variant
    variants: dict = field(default_factory=dict)
    # labels trained in this order of groups (seed by seed within a group); labels of no group come first
    order: tuple = ()
    metric: str | None = None  # the metric the verdicts use (default: the first one evaluated)

    @property
    def methods(self) -> list:
        return list(self.seeds)

    def groups(self) -> list[list[str]]:
        """The labels in training order: those of no group first, then each group of ``order``."""
        grouped = [label for g in self.order for label in g]
        return [[m for m in self.seeds if m not in grouped]] + [[m for m in g if m in self.seeds] for g in self.order]

    def config(self, method: str, seed: int, quiet: bool = True) -> dict:
        """The Config fields of run ``method``-seed``seed`` (``method``: a method name or a variant label)."""
        variant = dict(self.variants.get(method, {"method": method}))
        cfg = {**self.overrides, **variant, "dataset": self.dataset, "iters": self.iters, "seed": seed,
               "eval_at": eval_points(self.iters, self.evals), "quiet": quiet,
               "checkpoint_every": max(self.iters // 10, 1), "keep_generators": False}
        Config(**cfg).resolved()  # refuse a bad value before any training
        return cfg


# MNIST at the published settings (Adam 1e-4, betas (0.5, 0.9), lambda 10, n_critic 5, batch 50; wgan:
# RMSprop 5e-5, clipping 0.01: the defaults of Config.resolved) but DCGAN width 16 instead of the
# reference's 64: measured on this 2-core machine, one run at width 32 takes 0.89 s per generator
# iteration (30 min for 2000), and the design's 13 runs would need 5.7 h of one core; width 16 fits.
_MNIST = {"width": 16, "metrics": ["fid", "modes"], "eval_samples": 2000, "sample_at": [200, 1000]}
# The MNIST part measured with the shipped FID ruler (ganlib/rulers), on a grid of 100 iterations, with the critic
# probed every 50 (train.probe: gradient norms at real, generated and penalty points) for the mechanism.
_MNIST_PINNED = {**_MNIST, "probe_every": 50}
# Readings of section 2 (METHOD.md, "Readings") and the interventions of docs/PREDICTIONS.md, as variants of icvp:
# screened at 3 paired seeds against wgan-gp; the interventions (icvp-slope for P-MNIST-1, icvp-band for P-MNIST-3)
# at 5.  icvp-band trains first: on the 25 base runs P-MNIST-1's predictions A1-A3 failed and P-MNIST-3's D1-D3
# held (notebook 10), so D4, the intervention of the explanation still standing, is the next question.
_MNIST_READINGS = {
    "icvp-slope": {"method": "icvp", "signal": "slope"},
    "icvp-band": {"method": "icvp", "interpolation": "band"},
    "icvp-lmin1": {"method": "icvp", "lambda_min": 1.0},
    "icvp-gamma0.5": {"method": "icvp", "gamma": 0.5},
    "icvp-refmean": {"method": "icvp", "reference": "warmup-mean"},
    "icvp-refdecay": {"method": "icvp", "reference": "decaying-max"},
}
# The screening at 3 seeds (AUC against wgan-gp, 95% interval): icvp-lmin1 +64 [-11, +140], icvp-refmean -8.9
# [-30, +13] and icvp-refdecay -7.5 [-32, +17] are not clearly slower, so they get 5 seeds as #22 asks;
# icvp-gamma0.5 +76 [+2.3, +150] is slower by an interval that barely clears 0 at 3 pairs, where a two-point law
# of differences gives false alarms 25% of the time, so it gets 5 too: every reading then rests on 5 pairs.
_MNIST_READINGS_SEEDS = {label: 5 for label in _MNIST_READINGS}
# The relatives on MNIST: 3 seeds, raised to 5 for a method whose interval against icvp or wgan-gp held 0 at 3
# (#23).  At 3 seeds: wgan-lp vs icvp [-111, +10], dragan vs icvp [-78, +60], zero-gp vs wgan-gp [-18, +3.4],
# agp vs wgan-gp [-1.8, +13]; r1 excluded 0 against both (+156 [+114, +199] and +99 [+25, +173]).
_MNIST_RELATIVES_SEEDS = {m: 3 if m == "r1" else 5 for m in RELATIVES}
_TOY = {"eval_samples": 1000}  # the published toy model: MLP 3 x 512, batch 256, Adam 1e-4
# CelebA at the published image settings (METHOD.md section 3: lambda 10, n_critic 5, batch 64, Adam 1e-4 with
# the betas of the project's CelebA profiles, (0.5, 0.9); wgan: RMSprop 5e-5, clipping 0.01), 32x32, on the
# 10,000 aligned faces of the offline set, DCGAN width 16 as the MNIST part (0.31 s per generator iteration on
# one core against 0.70-0.81 s at width 32: 15 runs would need 6.3 core-hours at 32, 2.7 at 16).  Metric: SWD
# on Laplacian-pyramid patches of 2000 generated vs 2000 real faces every 200 iterations.
_CELEBA = {"width": 16, "image_size": 32, "metrics": ["swd"], "eval_samples": 2000, "sample_at": [200, 1000]}

_TOY_PARTS = [  # the lambda study on 8 Gaussians, in the long and the gpu profiles
    Part("toy-lambda10", "8gaussians", {"wgan-gp": 5, "icvp": 5, "icvp-eps": 5, "icvp-lambda": 5,
                                        **{m: 5 for m in RELATIVES}}, 1000, 25,
         {**_TOY, "lambda_max": 10.0},
         "8 Gaussians at the image lambda (10): is icvp less fragile, which half of it does the work, and where do "
         "its relatives stand?",
         comparisons=(("icvp", "wgan-gp"), ("icvp", "icvp-eps"), ("icvp", "icvp-lambda"),
                      *((m, b) for m in RELATIVES for b in ("wgan-gp", "icvp"))),
         order=(RELATIVES,)),
    Part("toy-lambda0.1", "8gaussians", {"wgan-gp": 5, "icvp": 5}, 1000, 25, {**_TOY, "lambda_max": 0.1},
         "8 Gaussians at the published toy lambda (0.1)"),
]

STUDIES = {
    "long": [
        Part("mnist", "mnist", {"wgan-gp": 5, "icvp": 5, "icvp-eps": 5, "icvp-lambda": 5, "wgan": 5,
                                **{label: n for label, n in _MNIST_READINGS_SEEDS.items()},
                                **_MNIST_RELATIVES_SEEDS}, 2000, 20,
             _MNIST_PINNED, "MNIST at the published settings: does icvp reach a given FID sooner than wgan-gp and "
             "wgan, which half of it costs or buys the speed, does another reading of the lost formulas win, and "
             "where do its relatives stand?",
             comparisons=(("icvp", "wgan-gp"), ("icvp", "wgan"), ("icvp-eps", "wgan-gp"), ("icvp-lambda", "wgan-gp"),
                          ("icvp", "icvp-eps"), ("icvp", "icvp-lambda"), ("icvp-slope", "icvp"), ("icvp-band", "icvp"),
                          *((label, "wgan-gp") for label in _MNIST_READINGS),
                          *((m, b) for m in RELATIVES for b in ("wgan-gp", "icvp"))),
             variants=_MNIST_READINGS, order=(("icvp-band",), tuple(r for r in _MNIST_READINGS if r != "icvp-band"),
                                              RELATIVES)),
        Part("mnist-unpinned", "mnist", {"wgan-gp": 5, "icvp": 5, "wgan": 3}, 2000, 10, _MNIST,
             "MNIST, first measurement (November 2026): its FID ruler (a classifier trained on another machine) "
             "was not recorded and cannot be rebuilt, so no new run may be paired with these; superseded by "
             "the part mnist", archived=True),
        *_TOY_PARTS,
        Part("celeba", "celeba", {"wgan-gp": 5, "icvp": 5, "wgan": 5}, 2000, 10, _CELEBA,
             "CelebA 32x32 at the published settings: does icvp reach a given SWD sooner than wgan-gp and wgan?",
             metric="swd"),
    ],
    "gpu": [  # one H200, scripts/device_run.sh: MNIST at the paper's width (64) and the toy lambda study of "long"
        Part("mnist", "mnist", {"wgan-gp": 5, "icvp": 5, "wgan": 3}, 5000, 10,
             {"width": 64, "metrics": ["fid", "modes"], "eval_samples": 2000},
             "MNIST at the published settings and width 64 (the reference DCGAN); generator iterations: as many of "
             "the paper's 20,000 as fit in 9 minutes (an estimate until a device run measures it: "
             "scripts/device_run.py calibrates, and this number is set to the one it ran)"),
        *_TOY_PARTS,
    ],
    "smoke": [  # the same shape in seconds: tests, nbval and the committed fixture
        Part("digits", "digits", {"wgan-gp": 2, "icvp": 2, "wgan": 2}, 6, 2,
             {"width": 8, "metrics": ["fid", "modes"], "eval_samples": 200}, "digits, tiny"),
        Part("toy-lambda10", "8gaussians", {"wgan-gp": 3, "icvp": 3}, 20, 4,
             {"width": 32, "eval_samples": 200, "lambda_max": 10.0}, "8 Gaussians, tiny"),
    ],
}


# The questions the study asks; each is one family of verdicts (compare.family_table: Holm within each, and a
# column over all of them together).  A comparison's question follows from its two methods.
QUESTIONS = {
    "the claim": "is icvp faster than wgan-gp and wgan (every data set)?",
    "why": "which half of icvp does the work, do the interventions and the other readings of section 2 change it?",
    "relatives": "where do wgan-lp, dragan, r1, zero-gp and agp stand against wgan-gp and icvp?",
}


def question(part: str, a: str, b: str) -> str:
    """The question (a key of :data:`QUESTIONS`) that the comparison ``a vs b`` of ``part`` answers."""
    if a in RELATIVES:
        return "relatives"
    return "the claim" if a == "icvp" and b in ("wgan-gp", "wgan") else "why"


def family(summaries: dict) -> dict:
    """The study's verdicts as one family per question (:func:`ganlib.harness.compare.family_table`)."""
    return family_table(summaries, question=question)


def study(profile: str) -> list[Part]:
    if profile not in STUDIES:
        raise ValueError(f"no study for profile {profile!r}; accepted: {', '.join(STUDIES)}")
    return STUDIES[profile]


def results_dir(profile: str, root=None) -> Path:
    return Path(root or RESULTS) / profile


def jobs(profile: str, runs_root, results_root=None, parts=None) -> list[Job]:
    """Every run of the study that the store does not hold yet, seed by seed (pairs finish together).

    ``parts``: only these part names, in this order (default: every part of the design, in its order).
    """
    out = []
    design = study(profile)
    if parts is not None:
        names = [p.name for p in design]
        unknown = [p for p in parts if p not in names]
        if unknown:
            raise ValueError(f"no part {', '.join(map(repr, unknown))} in study {profile!r}; accepted: {', '.join(names)}")
        design = [next(p for p in design if p.name == n) for n in parts]
    for part in design:
        if part.archived:
            continue
        for group in part.groups():
            for seed, method in [(s, m) for s in range(max(part.seeds.values())) for m in group]:
                if seed >= part.seeds[method]:
                    continue
                stored = run_dir(results_dir(profile, results_root) / part.name, method, seed)
                if is_stored(stored, part.iters):
                    continue
                out.append(Job(f"{part.name}/{method}-seed{seed}", part.config(method, seed),
                               str(run_dir(Path(runs_root) / part.name, method, seed)), str(stored)))
    return out


def is_stored(path, iters: int) -> bool:
    """The store holds this run: finished, or failed with its reason (a diverged run is a result)."""
    return is_finished(path, iters) or run_status(path).get("status") == "failed"


def export_run(src, dst, every: int = LOG_EVERY) -> Path:
    """Copy a finished run's results (no checkpoints) into the store; ``log.jsonl`` thinned to every ``every``-th row."""
    from ..train import read_jsonl

    src, dst = Path(src), Path(dst)
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name in ("config.json", "metrics.jsonl", "probe.jsonl"):
        if name != "probe.jsonl" or (src / name).exists():
            shutil.copy2(src / name, tmp / name)
    rows = read_jsonl(src / "log.jsonl")
    kept = [r for i, r in enumerate(rows) if r["iter"] % every == 0 or i == len(rows) - 1]
    (tmp / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in kept))
    grids = sorted((src / "samples").glob("iter_*.png"))
    if grids:
        (tmp / "samples").mkdir()
        shutil.copy2(grids[-1], tmp / "samples" / grids[-1].name)
    shutil.copy2(src / "run.json", tmp / "run.json")  # last: its status marks the stored run finished
    shutil.rmtree(dst, ignore_errors=True)
    os.replace(tmp, dst)
    return dst


def run_study(profile: str, runs_root=None, results_root=None, workers: int = 2, log=print, parts=None) -> list[str]:
    """Train every run the store lacks (``workers`` at a time, one thread each) on
    :func:`ganlib.harness.jobs.run_jobs`, exporting each into the store as it ends; returns the reports.

    Several such processes (``scripts/run_study.py``) can share one study: each takes the next run that is
    neither stored nor held by another worker, and a killed worker's run is resumed by the next one.
    """
    runs_root = Path(runs_root or ROOT / "runs" / profile)
    todo = jobs(profile, runs_root, results_root, parts)
    log(f"study {profile}: {len(todo)} runs to train" + (f", {workers} at a time" if todo else ""))
    return [o.text() for o in run_jobs(todo, workers, export=export_run, log=log)]


def design(profile: str) -> list[dict]:
    """The study's design as plain data (recorded beside its results)."""
    return [asdict(p) for p in study(profile)]


def default_results_root(profile: str, runs=None) -> Path:
    """Committed studies (``long``, ``gpu``) live in ``results/``; others (``smoke``) beside their runs."""
    return RESULTS if profile in COMMITTED or runs is None else Path(runs) / "results"


COMMITTED = ("long", "gpu")


def missing(profile: str, results_root=None) -> list[str]:
    """The runs of the design that the store does not hold (finished or failed)."""
    out = []
    for part in study(profile):
        for method, n in part.seeds.items():
            for seed in range(n):
                if not is_stored(run_dir(results_dir(profile, results_root) / part.name, method, seed), part.iters):
                    out.append(f"{part.name}/{method}-seed{seed}")
    return out


def trained_on(folder) -> dict:
    """How the stored runs of a part were made: hardware, versions, commits, dates and training seconds."""
    infos = [json.loads(p.read_text()) for p in sorted(Path(folder).glob("runs/*/run.json"))]
    pick = lambda key: sorted({str(i.get(key)) for i in infos if i.get(key) is not None})  # noqa: E731
    return {"runs": len(infos), "hardware": pick("hardware"), "torch": pick("torch"), "python": pick("python"),
            "git_commit": pick("git_commit"), "dates": [min(pick("date"), default=None), max(pick("date"), default=None)],
            "training_seconds": round(sum(i.get("seconds") or 0 for i in infos), 1)}


STORED_FILES = ("config.json", "run.json", "metrics.jsonl")


def check_store(folder) -> None:
    """Every run folder of a stored part holds its record (``config.json``: how it was made; ``run.json``: its
    status and machine; ``metrics.jsonl``) and readable, non-repeating rows; else one line naming the runs or
    the file and line, and what to do."""
    from ..train import read_jsonl

    runs = sorted(p for p in Path(folder).glob("runs/*") if p.is_dir() and not p.name.startswith("."))
    lacking = [f"{p.name} (no {', '.join(f for f in STORED_FILES if not (p / f).exists())})" for p in runs
               if not all((p / f).exists() for f in STORED_FILES)]
    if lacking:
        raise ValueError(f"{folder}: stored runs without their record: {'; '.join(lacking)}; put the files back "
                         f"(git checkout), or delete those run folders and train them again (scripts/run_study.py)")
    for p in runs:
        for name in ("metrics.jsonl", "log.jsonl", "probe.jsonl"):
            its = [r["iter"] for r in read_jsonl(p / name)]  # a bad line is named by read_jsonl
            if len(its) != len(set(its)):
                raise ValueError(f"{p / name}: iteration {next(i for i in its if its.count(i) > 1)} is recorded more "
                                 f"than once; keep one row per iteration (ganlib.harness.study.dedupe_rows fixes the file)")


def dedupe_rows(path) -> int:
    """Keep the last row of each iteration of a JSON-lines file (rows of a restart replace the earlier try's);
    returns how many rows were dropped."""
    from ..train import read_jsonl

    rows = read_jsonl(path)
    last = {r["iter"]: r for r in rows}
    kept = sorted(last.values(), key=lambda r: r["iter"])
    tmp = Path(path).with_name(f".{Path(path).name}.tmp")
    tmp.write_text("".join(json.dumps(r) + "\n" for r in kept))
    os.replace(tmp, path)
    return len(rows) - len(kept)


def summarise_study(profile: str, results_root=None, write: bool = True) -> dict:
    """``{part name: compare.summarise result}`` from the store (parts with no stored run are left out).

    With ``write`` each part's folder gets ``results.json``, ``results.csv`` and ``summary.md``.
    """
    out = {}
    for part in study(profile):
        folder = results_dir(profile, results_root) / part.name
        check_store(folder)
        if not any(folder.glob("runs/*/metrics.jsonl")):
            continue
        out[part.name] = summarise(folder, part.dataset, part.methods, part.seeds, part.iters, write=write,
                                   comparisons=part.comparisons, metric=part.metric,
                                   extra={"profile": profile, "part": asdict(part), "trained_on": trained_on(folder)})
    return out


def verdict_table(summaries: dict) -> str:
    """Markdown: one row per comparison, with its budget, the paired AUC verdict (raw 95% interval), the verdict
    Holm-adjusted within its question's family and across every comparison (:func:`family`), the sign count and
    iterations to threshold; then how many comparisons each family holds."""
    fam = family(summaries)
    by = {(row["part"], row["comparison"]): row for row in fam["rows"]}
    rows = ["| study part | comparison | question | budget (generator iterations) | paired seeds | metric | area under "
            "the curve: mean paired difference (first minus second; negative = the first faster), raw 95% interval "
            f"and verdict | Holm-adjusted within the question | Holm-adjusted across all {fam['m']} | sign count | "
            "iterations to threshold |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    waiting = []
    for name, r in summaries.items():
        for comp, v in r["paired"].items():
            if not v["auc"]["n"]:
                waiting.append(f"{name}: {comp}")
                continue
            row = by.get((name, comp))
            adjusted, everything, q = ((row["holm"], row["holm_all"], row["question"]) if row
                                       else ("archived: outside the family", "", ""))
            signs = v.get("signs", {}).get("text") or (row or {}).get("signs", "")
            rows.append(f"| {name} | {comp} | {q} | {r['iters']} | {v['auc']['n']} | {r['metric']} | "
                        f"{v['auc']['text']} | {adjusted} | {everything} | {signs} | "
                        f"{v['iters_to_threshold']['text']} |")
    pending = (f"\n\nNot yet decided, no complete pair in the store ({len(waiting)} comparisons): {'; '.join(waiting)}."
               if waiting else "")
    return "\n".join(rows) + "\n\n" + fam["text"] + pending


def design_table(profile: str) -> str:
    """Markdown: the study's parts, budgets, seeds and settings."""
    rows = ["| part | data | generator iterations | evaluations | paired seeds per method | settings (Config fields) |",
            "|---|---|---|---|---|---|"]
    for p in study(profile):
        seeds = ", ".join(f"{m} {n}" for m, n in p.seeds.items())
        rows.append(f"| {p.name} | {p.dataset} | {p.iters} | {p.evals + 1} | {seeds} | `{json.dumps(p.overrides)}` |")
    return "\n".join(rows)


def conclusions(summaries: dict, only=None) -> list[str]:
    """One sentence per comparison, computed from the numbers (budget, seeds, interval, verdict, the verdict
    Holm-adjusted within its question and across the study, the sign count).  ``only(part, a, b)``: which
    comparisons to say (default: all)."""
    fam = family(summaries)
    by = {(row["part"], row["comparison"]): row for row in fam["rows"]}
    out = []
    for name, r in summaries.items():
        for comp, v in r["paired"].items():
            if only is not None and not only(name, v["a"], v["b"]):
                continue
            a = v["auc"]
            word = Verdict.from_dict(a).word()
            if not a["n"]:
                out.append(f"{name}, {comp}: not yet decided (no complete pair in the store).")
                continue
            if a["low"] is None:
                out.append(f"{name}, {comp}: {word} at {r['iters']} generator iterations ({a['n']} pair: no interval).")
                continue
            first = v["a"]
            row = by.get((name, comp))
            adjusted = (f"Holm-adjusted within {row['question']} ({fam['families'][row['question']]} comparisons): "
                        f"{row['holm']}; across all {fam['m']}: {row['holm_all']}"
                        if row and row["question"] in fam["families"] else "archived: outside the family")
            signs = v["signs"]["text"]
            out.append(f"{name}, {comp}: {word} at {r['iters']} generator iterations over {a['n']} paired seeds "
                       f"(mean AUC difference {a['mean']:.3g}, 95% CI [{a['low']:.3g}, {a['high']:.3g}]; negative = "
                       f"{first} faster); {adjusted}" + (f"; {signs}" if signs else "")
                       + f". Threshold: {v['iters_to_threshold']['text']}.")
    return out


def _mean_at(result: dict, method: str, it: int):
    c = result["per_method"][method]["curve"]
    v = c.get(it, c.get(str(it)))
    return None if v is None else v["mean"]


def budget_conclusions(summaries: dict, parts, mark: int, a: str = "icvp", b: str = "wgan-gp") -> list[str]:
    """Which method was ahead at iteration ``mark`` and at the end of the budget, from the mean curves."""
    out = []
    for name in parts:
        r = summaries[name]
        if a not in r["methods"] or b not in r["methods"]:
            continue
        early, late = (_mean_at(r, m, mark) for m in (a, b)), (_mean_at(r, m, r["iters"]) for m in (a, b))
        (ea, eb), (la, lb) = tuple(early), tuple(late)
        if None in (ea, eb, la, lb):
            out.append(f"{name}: no evaluation at iteration {mark} or at the end; nothing to say about the budget.")
            continue
        ahead = lambda x, y: a if x < y else b  # noqa: E731 (lower metric is better)
        changes = ahead(ea, eb) != ahead(la, lb)
        out.append(f"{name}: at iteration {mark} the mean {r['metric']} is {ea:.3g} ({a}) vs {eb:.3g} ({b}), "
                   f"{ahead(ea, eb)} ahead; at {r['iters']} it is {la:.3g} vs {lb:.3g}, {ahead(la, lb)} ahead: "
                   + ("the budget reverses the comparison." if changes else "the same method leads at both budgets.")
                   + " (Means over seeds; the paired verdict above is the test.)")
    return out


PAIRING_KEYS = ("g_loss", "d_loss", "w_t", "penalty", "grad_norm")


def pairing_check(stored, iters: int = 20, work=None) -> dict:
    """Does a run made now start where the stored run ``stored`` started (same networks, data and noise)?

    Retrains its configuration for ``iters`` generator iterations (in a temporary folder under ``work``) and
    compares (1) the iteration-0 evaluation where its metric needs no classifier (``w1``, ``swd``: the initial
    generator alone), (2) the logged rows the store kept (every :data:`LOG_EVERY`-th) up to ``iters``: the
    largest relative difference over :data:`PAIRING_KEYS`, row by row.  0 means bit for bit (the same kind of
    CPU); on another CPU the kernels differ in their last bits and training amplifies them row by row, while a
    different network or stream would differ at once by order 1.
    """
    import tempfile

    from ..provenance import environment
    from ..train import read_jsonl, train

    stored = Path(stored)
    cfg = json.loads((stored / "config.json").read_text())
    from ..config import TOY

    free = [m for m in cfg.get("metrics") or (["w1"] if cfg["dataset"] in TOY else []) if m in ("w1", "swd")]
    cfg.update(iters=iters, eval_at=[0] if free else [], metrics=free, sample_at=[], checkpoint_every=iters,
               quiet=True, probe_every=0, keep_generators=False)
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        train(Config.from_dict(cfg), Path(tmp) / "run")
        new = {r["iter"]: r for r in read_jsonl(Path(tmp) / "run" / "log.jsonl")}
        new_eval = read_jsonl(Path(tmp) / "run" / "metrics.jsonl")
    rel = lambda a, b: abs(a - b) / max(abs(b), 1e-12)  # noqa: E731
    rows = {}
    for r in read_jsonl(stored / "log.jsonl"):
        if r["iter"] <= iters:
            rows[r["iter"]] = max((rel(new[r["iter"]][k], r[k]) for k in PAIRING_KEYS if k in r and r[k] == r[k]),
                                  default=0.0)
    out = {"run": f"{stored.parent.parent.name}/{stored.name}", "rows": rows,
           "max_relative_difference": max(rows.values(), default=0.0)}
    if free:
        old0 = read_jsonl(stored / "metrics.jsonl")[0]
        out["iteration_0"] = {m: [old0[m], new_eval[0][m]] for m in free}
        out["iteration_0_relative_difference"] = max(rel(new_eval[0][m], old0[m]) for m in free)
    info = json.loads((stored / "run.json").read_text())
    out.update(bit_for_bit=out["max_relative_difference"] == 0.0 and out.get("iteration_0_relative_difference", 0) == 0,
               stored_on=info.get("hardware"), checked_on=environment().get("hardware"))
    return out



def tail_trend(result: dict, folder, method: str = "wgan-gp", frac: float = 0.2) -> dict:
    """Is ``method``'s curve still falling over the last ``frac`` of the budget?  Per seed, the metric at the end
    minus the metric at the start of that stretch (the nearest evaluation at or before ``(1 - frac) * iters``);
    the mean change with its 95% Student-t interval (:func:`ganlib.stats.interval`) and the mean relative change.
    ``still falling`` when the interval lies below 0, ``flat or rising`` when it lies above, else
    ``not resolved``."""
    from ..stats import interval
    from ..train import read_jsonl

    metric, iters = result["metric"], result["iters"]
    changes, rel, start = [], [], None
    for seed in range(result["seeds"].get(method, 0)):
        rows = read_jsonl(run_dir(Path(folder), method, seed) / "metrics.jsonl")
        if not rows or rows[-1]["iter"] < iters:
            continue
        before = [r for r in rows if r["iter"] <= (1 - frac) * iters]
        a, b = before[-1], rows[-1]
        start = a["iter"]
        changes.append(b[metric] - a[metric])
        rel.append((b[metric] - a[metric]) / abs(a[metric]))
    iv = interval(changes)
    word = ("not resolved" if iv["low"] is None or iv["low"] <= 0 <= iv["high"] else
            "still falling" if iv["high"] < 0 else "flat or rising")
    text = (f"{method}'s mean {metric} changed by {100 * sum(rel) / len(rel):+.1f}% between iterations {start} and "
            f"{iters} ({len(changes)} seed{'s' if len(changes) != 1 else ''}; mean change {iv['mean']:+.3g}"
            + (f", 95% CI [{iv['low']:+.3g}, {iv['high']:+.3g}]" if iv["low"] is not None else ", no interval")
            + f"): {word} over the last {frac:.0%} of the budget." if changes else
            f"{method}: no finished run; cannot say whether its curve had flattened.")
    return {**iv, "relative": sum(rel) / len(rel) if rel else None, "start": start, "word": word, "text": text}
