"""The computed conclusions of the comparisons: a sentence for every figure of notebooks 04-07 and 09, built from
the results of :func:`ganlib.harness.compare.summarise` (the explorer's training results in 07, the modes counted in
04), so that it stays true under every profile; where the budget or the seeds are too small to show what the figure
is meant to show, the sentence says so.

>>> names(["icvp", "wgan-gp", "wgan"])
'icvp, wgan-gp and wgan'
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

from ..metrics import toy_real
from ..stats import Verdict, mean_sd, t_quantile
from .teaching import NEAR_ONE

FLOOR_FACTOR = 2.0  # a toy run "reached the data" when its exact W1 is within 2x the real-vs-real floor
MODE_SDS = 3.0  # a sample belongs to a mode when it is within 3 standard deviations of its centre
MODE_MIN_SHARE = 0.01  # a mode is covered when at least 1% of the samples belong to it


# ---------------------------------------------------------------------------------------------
# 07: the training comparison
# ---------------------------------------------------------------------------------------------


def first_below(iters, values, level):
    return next((i for i, v in zip(iters, values) if v <= level), None)


def training_conclusion(results: dict) -> str:
    """The explorer's training comparison: final W1, and who came within ``FLOOR_FACTOR`` x the floor first."""
    floor = results.get("floor")
    runs = {k: v for k, v in results.items() if isinstance(v, dict) and v.get("iters")}
    if floor is None or not runs:
        return "Not trained yet: press train."
    level = FLOOR_FACTOR * floor
    parts, reached = [], {}
    for name, r in runs.items():
        reached[name] = first_below(r["iters"], r["w1"], level)
        parts.append(f"{name} ends at W1 {r['w1'][-1]:.3f} after {r['iters'][-1]} iterations" +
                     (f" and came within {FLOOR_FACTOR:g}x the floor at iteration {reached[name]}"
                      if reached[name] is not None else ""))
    text = "; ".join(parts) + f" (real-vs-real floor {floor:.3f})."
    r = [row["r_t"] for row in runs.get("icvp", {}).get("log", []) if row.get("r_t") is not None]
    if r and min(r) > NEAR_ONE:
        text += (f" ICVP's r_t never fell below {NEAR_ONE:g} (the warm-up or a distance that did not fall kept it "
                 f"at its start), so it ran as it starts throughout: lambda_max, and the penalty point of r_t = 1 (on the "
                 f"fakes in deterministic mode, WGAN-GP's whole segment in band mode).")
    done = {k: v for k, v in reached.items() if v is not None}
    if not done:
        n = max(r["iters"][-1] for r in runs.values())
        return text + (f" {'Neither run' if len(runs) == 2 else 'No run'} came within {FLOOR_FACTOR:g}x the floor "
                       f"({level:.3f}) in {n} iterations: too "
                       f"short to converge, so this budget cannot compare the schedules; try a few hundred iterations.")
    first = min(done, key=done.get)
    tie = [k for k, v in done.items() if v == done[first]]
    who = " and ".join(tie) + (" together" if len(tie) > 1 else " first")
    return text + (f" {who} reached {FLOOR_FACTOR:g}x the floor. One seed: an anecdote, not a verdict "
                   f"(notebook 04 compares over seeds).")


# ---------------------------------------------------------------------------------------------
# 04: counting modes on the Gaussian mixtures
# ---------------------------------------------------------------------------------------------


def toy_centres(dataset: str):
    """Centres and standard deviation of the modes of ``8gaussians`` / ``25gaussians`` (METHOD.md section 3)."""
    if dataset == "8gaussians":
        s = 1.0 / math.sqrt(2)
        c = 2.0 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [s, -s], [-s, s], [-s, -s]])
        return c / 1.414, 0.02 / 1.414
    if dataset == "25gaussians":
        c = np.array([[x, y] for x in range(-2, 3) for y in range(-2, 3)], float) * 2
        return c / 2.828, 0.05 / 2.828
    raise ValueError(f"modes are defined for 8gaussians and 25gaussians; got {dataset!r}")


def count_modes(samples, dataset: str) -> dict:
    """Modes covered by ``samples``: a sample belongs to the nearest centre if within ``MODE_SDS`` sd of it;
    a mode is covered when at least ``MODE_MIN_SHARE`` of the samples belong to it.
    Returns ``covered, modes, high_quality`` (share of samples within ``MODE_SDS`` sd of some centre)."""
    x = np.asarray(torch.as_tensor(samples).detach().cpu(), float)
    centres, sd = toy_centres(dataset)
    dist = np.linalg.norm(x[:, None, :] - centres[None], axis=2)
    near, d = dist.argmin(1), dist.min(1)
    good = d <= MODE_SDS * sd
    counts = np.bincount(near[good], minlength=len(centres))
    return {"covered": int((counts >= MODE_MIN_SHARE * len(x)).sum()), "modes": len(centres),
            "high_quality": float(good.mean())}


def mode_table(runs_root, datasets, methods, seed=0, n=2000) -> list[dict]:
    """04's exercise: :func:`count_modes` for the real data and each method's generator (``seed``'s run of
    :func:`ganlib.harness.compare.compare` under ``runs_root/<data set>``), for the data sets that have modes."""
    from ..harness.compare import run_dir
    from ..train import load_run

    rows = []
    for ds in [d for d in datasets if d in ("8gaussians", "25gaussians")]:
        rows.append({"data": ds, "samples of": "real data", "iteration": "", **count_modes(toy_real(ds, n, seed=0), ds)})
        for m in methods:
            run = load_run(run_dir(Path(runs_root) / ds, m, seed))
            z = run.G.sample_z(n, torch.Generator().manual_seed(seed))
            rows.append({"data": ds, "samples of": m, "iteration": run.it,
                         **count_modes(run.generate(z.to(run.device)).cpu(), ds)})
    return rows


# ---------------------------------------------------------------------------------------------
# 04-06 and 09: the comparisons' figures (results of ganlib.harness.compare.summarise)
# ---------------------------------------------------------------------------------------------


def still_falling(curve: dict) -> bool:
    """The mean curve's last value is its lowest and below the one before: the run had not levelled off."""
    vals = [curve[p]["mean"] for p in sorted(curve, key=int) if curve[p]["mean"] is not None]
    return len(vals) >= 3 and vals[-1] < vals[-2] and vals[-1] <= min(vals)


def names(items) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(items)
    return " and ".join(items) if len(items) < 3 else ", ".join(items[:-1]) + " and " + items[-1]


def ranked(values: dict, digits: int = 3) -> tuple[str, list, list]:
    """``values`` (name -> number, lower first) as ``"a 0.1, b 0.2"``, with the names tied for the lowest and for
    the highest at the ``digits`` significant digits printed (a tie the reader sees is called one)."""
    order = sorted(values, key=values.get)
    shown = {m: f"{values[m]:.{digits}g}" for m in order}
    low = [m for m in order if shown[m] == shown[order[0]]]
    high = [m for m in order if shown[m] == shown[order[-1]]]
    return ", ".join(f"{m} {shown[m]}" for m in order), low, high


def _lowest(names_: list, what: str = "lowest") -> str:
    if len(names_) == 1:
        return f"{names_[0]} {what}"
    return f"{names(names_)} tie for {what} at the three significant digits shown"


def long_study_note(dataset: str, profile: str = "long") -> str:
    """Where the long study answers the same question for ``dataset``, and how much of it is stored: a claim
    about another notebook (09) that is true when it is made.  Empty when no part of that study uses the data."""
    return _long_study(dataset, profile)[0]


def _long_study(dataset: str, profile: str = "long") -> tuple[str, int, int]:
    """``(text, runs stored, runs designed)`` of :func:`long_study_note`."""
    from ..harness.study import RESULTS, STUDIES

    parts = [p for p in STUDIES.get(profile, []) if p.dataset == dataset and not p.archived]
    said, stored, designed = [], 0, 0
    for p in parts:
        runs = sum(p.seeds.values())
        done = sum(1 for m, n in p.seeds.items() for k in range(n)
                   if _finished(RESULTS / profile / p.name / "runs" / f"{m}-seed{k}" / "run.json", p.iters))
        stored, designed = stored + done, designed + runs
        design = f"part {p.name}: {max(p.seeds.values())} seeds per method, {p.iters} generator iterations"
        said.append(f"{design}, all {runs} runs stored" if done == runs else
                    f"{design}, {done} of its {runs} runs stored so far" if done else
                    f"{design}, none of its runs stored yet")
    return (f"the long study (notebook 09; {'; '.join(said)})" if parts else ""), stored, designed


def _finished(path: Path, iters: int) -> bool:
    import json

    try:
        r = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return False
    return r.get("status") == "finished" and r.get("iter", 0) >= iters


def curves_conclusion(result: dict, label: str | None = None) -> str:
    """A comparison's metric curves: who ends lowest, who reaches the threshold first, the paired verdicts,
    and whether the budget and the seeds are enough to say more.

    Ties (at the digits printed, or at the same evaluation) are called ties; methods whose every seed, some
    seeds or no seed reached the threshold are named as such; one seed gives no interval at all; the long
    study is named only for a data set it covers, with how much of it is stored (:func:`long_study_note`)."""
    label, metric, per = label or result["dataset"], result["metric"], result["per_method"]
    finals = {m: mean_sd(p["final"])[0] for m, p in per.items()}
    finals = {m: v for m, v in finals.items() if v is not None}
    if not finals:
        return f"{label}: no run finished its {result['iters']} generator iterations; nothing to conclude."
    listed, low, _ = ranked(finals)
    text = (f"{label}, {result['iters']} generator iterations: mean final {metric} {listed} (lower is better; "
            f"{_lowest(low)}).")
    if result.get("threshold") is not None:
        reach = {m: [i for i in p["iters_to_threshold"] if i is not None] for m, p in per.items()}
        every = {m: sum(r) / len(r) for m, r in reach.items() if r and len(r) == len(per[m]["iters_to_threshold"])}
        some = [m for m, r in reach.items() if r and m not in every]
        never = [m for m, r in reach.items() if not r]
        text += f" Threshold {metric} <= {result['threshold']:.3g}: "
        if every:
            best = min(every.values())
            first = [m for m in every if every[m] == best]
            points = sorted({int(k) for p in per.values() for k in p.get("curve", {})})
            grid = next((b - a for a, b in zip(points, points[1:]) if b > a), None)
            whom = ("every seed of every method" if len(every) == len(per) and len(per) > 1 else
                    f"every seed of {names(every)}")
            if len(every) == 1:
                text += (f"every seed of {first[0]} reached it (the only method whose every seed did), at iteration "
                         f"{best:.0f} on average")
            elif len(first) == len(every):
                text += f"{whom} reached it, each at iteration {best:.0f} on average: a tie"
                if grid and best == points[1]:
                    text += (f" at the first evaluation after the start (evaluations every {grid} iterations cannot "
                             f"order reaches within one interval)")
            else:
                text += (f"{whom} reached it; earliest " + (f"{first[0]}" if len(first) == 1 else
                                                             f"{names(first)} (tied)")
                         + f", at iteration {best:.0f} on average, then "
                         + ", ".join(f"{m} {every[m]:.0f}" for m in sorted(every, key=every.get) if m not in first))
        else:
            text += "no method reached it with every seed"
        if some:
            text += f"; reached by some seeds only: {names(some)}"
        text += (f"; never reached by {names(never)}." if never else ".")
    words = {k: Verdict.from_dict(v["auc"]).word() for k, v in result.get("paired", {}).items()}
    if words:
        text += " Paired verdicts on the area under the curve: " + "; ".join(f"{k} {v}" for k, v in words.items()) + "."
    falling = [m for m in finals if still_falling(per[m]["curve"])]
    if 2 * len(falling) >= len(finals):
        text += (f" {len(falling)} of {len(finals)} mean curves were still falling at the last evaluation: the budget is "
                 f"too short to say where the methods end; this ranks speed up to {result['iters']} iterations only.")
    seeds = result["seeds"]
    n = min(seeds.values()) if isinstance(seeds, dict) else seeds
    where, stored, designed = _long_study(result.get("dataset", ""))
    then = (" Read the verdicts as the pipeline's; more seeds would decide them." if not where else
            f" Read the verdicts as the pipeline's; {where} is the evidence for this data set." if stored == designed
            else f" Read the verdicts as the pipeline's; {where} is designed to decide them.")
    if n <= 1:
        text += (" With one seed per method there is no spread to measure: no interval, so no paired verdict can "
                 "decide (the standard deviations shown as 0 are not measured)." + then)
    elif n < 3:
        text += (f" With {n} seeds per method each 95% interval reaches {t_quantile(n - 1):.3g} standard errors either side "
                 f"of the mean difference (Student t, {n - 1} degree{'s' if n > 2 else ''} of freedom): only a large "
                 f"effect can be resolved." + then)
    return text


def samples_conclusion(result: dict, seed: int = 0) -> str:
    """A grid of one seed's samples: that seed's final metric per method, so the eye has a number to check."""
    metric, per = result["metric"], result["per_method"]
    final = {m: p["final"][seed] for m, p in per.items() if len(p["final"]) > seed and p["final"][seed] is not None}
    if not final:
        return f"Seed {seed} has no finished run to compare."
    listed, low, high = ranked(final)
    if len(final) == 1:
        return f"Seed {seed}'s final {metric}: {listed}; the only finished run of this seed, nothing to compare."
    if low == high:
        order = f"the methods tie at the digits shown ({names(low)})"
    else:
        closest = f"{low[0]}'s samples are" if len(low) == 1 else f"the samples of {names(low)} (tied) are"
        farthest = f"{high[0]}'s" if len(high) == 1 else f"those of {names(high)} (tied)"
        order = f"{closest} the closest to the data and {farthest} the farthest"
    return (f"Seed {seed}'s final {metric}: {listed}. By this measure {order}; one seed's grid shows what the numbers "
            "mean, the curves over seeds say whether the order is real.")


def modes_conclusion(rows: list[dict]) -> str:
    """04's sample panels: the modes each generator covers (:func:`mode_table`) against the real data's;
    "none covers any" is told apart from "not all cover every one"."""
    if not rows:
        return "No data set with modes in this profile."
    parts = []
    for ds in dict.fromkeys(r["data"] for r in rows):
        mine = [r for r in rows if r["data"] == ds]
        real, gens = mine[0], mine[1:]
        name = {id(r): r["samples of"] for r in gens}
        full = [name[id(r)] for r in gens if r["covered"] >= real["covered"]]
        counts = ", ".join(f"{name[id(r)]} {r['covered']}" for r in gens)
        if not gens:
            note = ""
        elif all(r["covered"] == 0 for r in gens):
            hq = [r.get("high_quality") for r in gens if r.get("high_quality") is not None]
            note = (" (no generator covers any mode yet" + (
                f": at most {max(hq):.1%} of a generator's samples lie within {MODE_SDS:g} sd of a centre, so the "
                f"mass is still spread between the modes" if hq else "") + ")")
        elif len(full) == len(gens):
            note = " (every generator covers as many modes as the real data)"
        elif full:
            note = f" (as many as the real data: {names(full)})"
        else:
            note = " (none covers as many as the real data)"
        parts.append(f"{ds}: the real data covers {real['covered']}/{real['modes']} modes; {counts}{note}")
    return "Modes covered at the end, seed 0, 2,000 samples: " + "; ".join(parts) + "."
