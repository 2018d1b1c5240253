"""The convergence protocol that tests the paper's claim (METHOD.md section 4, item 5).

``compare(...)`` trains every method x seed (resumable: finished runs are not redone), evaluating a
critic-independent metric at fixed generator iterations, then summarises per method, over seeds:

(a) the metric at each evaluation point (mean and standard deviation);
(b) generator iterations and training wall-clock seconds to reach a threshold (``not reached`` is
    reported as such, never as a number);
(c) the area under the metric curve (trapezoid over generator iterations, divided by the span, so it
    is an average metric value: lower is faster convergence).

Verdicts are paired by seed (seed ``s`` of every method starts from the same networks and sees the
same data and noise, ``ganlib.train.Run``).  A comparison ``a vs b`` (by default icvp vs each other
method; any pairs with ``comparisons``) takes per seed a minus b of the AUC (negative = a faster), then
the mean difference with a 95% Student-t interval (:func:`ganlib.stats.decide`, the one rule of ganlib): ``faster``
or ``slower`` when the interval excludes 0, ``equivalent within +-delta`` when it lies inside the stated
practical margin, else ``inconclusive`` with the seeds that the observed spread says would decide.
Iterations to the threshold are paired the same way; a run that never reached it is censored at the
budget and counted, never made a number, and pairs that crossed at the same evaluation are said to be
unresolved by the evaluation grid, not equivalent (:func:`reach_pairs`).  The comparisons of a study
are families of verdicts (:func:`family_table`): beside each raw verdict, the Holm-adjusted one and the sign
count; a study may split them into one family per question it asks.  Nothing in the summary is written by
hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from ..config import Config
from ..methods import METHODS, check_choice
from ..provenance import environment
from ..stats import ALPHA, MARGIN, MIN_PAIRS, Verdict, decide, holm, mean_sd, sign_count
from ..train import read_jsonl, write_json
from .jobs import Job, is_done, run_jobs



def eval_points(iters: int, n: int = 10) -> list[int]:
    """``n + 1`` evenly spaced generator iterations from 0 (the initial generator) to ``iters``."""
    return sorted({round(i * iters / n) for i in range(n + 1)})


def run_dir(out: Path, method: str, seed: int) -> Path:
    return Path(out) / "runs" / f"{method}-seed{seed}"


def run_all(dataset, methods, seeds, iters, out, overrides=None, n_evals=10, quiet=True, log=print, workers=1):
    """Train each method x seed into ``out/runs/`` unless already finished; returns the run folders.

    The jobs run on :func:`ganlib.harness.jobs.run_jobs`: ``workers > 1`` trains that many runs at once in
    separate processes, each within its share of the cores (small models on few cores train faster this way
    than one run on all cores), and several ``ganlib compare`` processes can share one folder.
    """
    for m in methods:
        check_choice("method", m, METHODS)
    points = eval_points(iters, n_evals)
    folders, jobs = {}, []
    for method in methods:
        for seed in range(seeds):
            path = run_dir(out, method, seed)
            folders[(method, seed)] = path
            cfg = {**(overrides or {}), "method": method, "dataset": dataset, "iters": iters, "seed": seed,
                   "eval_at": points, "quiet": quiet, "checkpoint_every": max(iters // 4, 1), "keep_generators": True}
            Config(**cfg).validate()  # refuse a bad value before any training
            jobs.append(Job(f"{method} seed {seed}", cfg, str(path)))
    todo = [j for j in jobs if not is_done(j)]
    for j in jobs:
        if j not in todo:
            log(f"{j.name}: finished earlier, not redone")
    log(f"training {len(todo)} runs of {iters} generator iterations" + (f", {workers} at a time" if workers > 1 else ""))
    run_jobs(jobs, workers, log=log)
    return folders


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def _auc(iters, values):
    x, y = np.asarray(iters, float), np.asarray(values, float)
    if len(x) < 2 or x[-1] == x[0]:
        return float(y.mean()) if len(y) else None
    return float(np.trapezoid(y, x) / (x[-1] - x[0]))


def first_reach(rows, metric, threshold):
    """(iteration, seconds) of the first evaluation at or below ``threshold``, or (None, None)."""
    for r in rows:
        if r.get(metric) is not None and r[metric] <= threshold:
            return r["iter"], r["seconds"]
    return None, None


def default_threshold(curves: dict, metric: str) -> tuple[float, str]:
    """75% of the way from the mean initial value to the best method's mean final value."""
    initial = [rows[0][metric] for rows in curves.values() if rows and rows[0]["iter"] == 0]
    finals = {}
    for (method, _), rows in curves.items():
        if rows:
            finals.setdefault(method, []).append(rows[-1][metric])
    best = min(np.mean(v) for v in finals.values())
    start = float(np.mean(initial)) if initial else max(np.mean(v) for v in finals.values())
    thr = start - 0.75 * (start - best)
    return float(thr), (f"{metric} <= {thr:.4g}: 75% of the way from the mean initial value ({start:.4g}) "
                        f"to the best method's mean final value ({best:.4g})")


SIGN = "icvp minus baseline; negative = icvp faster"  # of icvp vs each other method (the default comparisons)
SIGN_MANY = "first minus second method of each comparison; negative = the first faster"


def sign_text(a: str, b: str) -> str:
    """The sign convention of the comparison ``a vs b``: :data:`SIGN` for icvp against a baseline (the default
    comparisons, whose text is unchanged), else both methods named."""
    return SIGN if a == "icvp" else f"{a} minus {b}; negative = {a} faster"


def default_comparisons(methods) -> list[tuple[str, str]]:
    """icvp against every other method (none without icvp)."""
    return [("icvp", m) for m in methods if m != "icvp"] if "icvp" in methods else []


def paired_verdict(a: list, b: list, delta: float, what: str = "AUC", sign: str = SIGN) -> dict:
    """Per-seed values of method a (``a``) and method b (``b``), paired by seed -> the stored form of the
    :class:`~ganlib.stats.Verdict` (its fields) with ``diffs`` and its one-line ``text``."""
    diffs = [x - y if x is not None and y is not None else None for x, y in zip(a, b)]
    v = decide(diffs, delta)
    return {**v.as_dict(), "diffs": diffs, "text": v.text(what, sign)}


def _steps(grid) -> str:
    """``every 20 iterations`` (or ``every 20-40 iterations`` for an uneven grid)."""
    gaps = sorted({int(g) for g in np.diff(sorted(grid))}) if grid is not None and len(grid) > 1 else []
    if not gaps:
        return "evaluation grid"
    return f"every {gaps[0]} iterations" if len(gaps) == 1 else f"every {gaps[0]}-{gaps[-1]} iterations"


def _window(it, grid) -> str:
    """Where a first crossing at evaluation ``it`` happened: between the evaluation before it and ``it``."""
    if not grid:
        return f"by iteration {it}"
    before = [g for g in grid if g < it]
    if not before:
        return f"at iteration {it} (the initial generator)" if it == 0 else f"at the first evaluation ({it})"
    return f"between iterations {max(before)} and {it}"


def reach_pairs(xs: list, ys: list, budget: int, grid=None, a: str = "icvp", b: str = "the baseline") -> dict:
    """Iterations to the threshold, paired by seed; a run that never reached it is censored at ``budget``.

    ``xs``, ``ys``: the first evaluation at or below the threshold of methods ``a`` and ``b`` (None: never),
    seed by seed.  ``grid``: the evaluation iterations (a crossing is known only to lie between two of them).

    - every pair uncensored and every pair tied (both methods first at or below the threshold at the same
      evaluation): ``unresolved``, with the windows the crossings lie in; never ``equivalent`` with a [0, 0]
      interval;
    - every pair uncensored with one and the same non-zero difference: ``grid``, a sign count (a zero-width
      interval would be an artefact of the grid);
    - otherwise uncensored: the paired rule (margin 5% of the budget), noting the tied pairs; an
      ``equivalent`` verdict with a margin no wider than the grid's step is ``unresolved``;
    - censored pairs: counted (a first, b first, tied, neither), never made numbers.
    """
    a_name, b_name = a, b  # a and b name the methods; xs and ys are their values
    steps = _steps(grid)
    pairs = [(x, y) for x, y in zip(xs, ys)]
    n = len(pairs)
    censored = [p for p in pairs if p[0] is None or p[1] is None]
    tied = [x for x, y in pairs if x is not None and x == y]
    grid_note = "not resolved by the evaluation grid" + (f", {steps}" if grid is not None else "")
    if not censored:
        diffs = [x - y for x, y in pairs]
        delta = MARGIN * budget
        if n and len(tied) == n:
            windows = {}
            for x in tied:
                w = _window(x, grid)
                windows[w] = windows.get(w, 0) + 1
            parts = [f"{w if i == 0 else w.replace('between iterations', 'between')} in {k}"
                     for i, (w, k) in enumerate(windows.items())]
            parts[0] += f" of {n} pairs"
            return {**decide(diffs, delta).as_dict(), "outcome": "unresolved", "censored": 0, "tied": n,
                    "text": (f"both crossed {', '.join(parts)}: not resolved by the evaluation grid"
                             + (f" ({steps})" if grid is not None else ""))}
        if n > 1 and len(set(diffs)) == 1:
            d = diffs[0]
            first = a_name if d < 0 else b_name
            gaps = np.diff(sorted(grid)) if grid is not None and len(grid) > 1 else []
            evals = (f" ({round(abs(d) / gaps[0])} evaluation{'s' if abs(d) != gaps[0] else ''})"
                     if len(set(gaps)) == 1 else "")
            return {**decide(diffs, delta).as_dict(), "outcome": "grid", "censored": 0, "tied": 0,
                    "text": (f"{first} reached the threshold first in {n} of {n} pairs, each time {abs(d):g} "
                             f"iterations{evals} earlier: a difference at the resolution of the evaluation grid"
                             + (f" ({steps})" if grid is not None else "") + ", no interval")}
        v = decide(diffs, delta)
        r, sign = v.as_dict(), sign_text(a_name, b_name)
        text = v.text("iterations-to-threshold", sign)
        step = max(np.diff(sorted(grid))) if grid is not None and len(grid) > 1 else None
        if v.outcome == "equivalent" and step is not None and step >= delta:
            r["outcome"] = "unresolved"
            text = (f"not resolved by the evaluation grid ({steps}, not finer than the margin ±{delta:.3g}): "
                    + v.numbers("iterations-to-threshold", sign))
        if tied:
            text += (f"; both crossed at the same evaluation in {len(tied)} of {n} pairs"
                     + (f" (evaluations {steps})" if grid is not None else ""))
        return {**r, "censored": 0, "tied": len(tied), "text": text}
    first_a = sum(1 for x, y in pairs if x is not None and (y is None or x < y))
    first_b = sum(1 for x, y in pairs if y is not None and (x is None or y < x))
    neither = sum(1 for x, y in pairs if x is None and y is None)
    counts = [(f"{a_name} reached the threshold first", first_a, ""), (f"{b_name} first", first_b, ""),
              ("both at the same evaluation", len(tied), f" ({grid_note})" if tied else ""),
              ("neither reached it", neither, "")]
    said = [c for c in counts if c[1]]  # a category with no pair is not listed
    which = (f"{said[0][0]} in all {n}{said[0][2]}" if len(said) == 1 else
             ", ".join(f"{what} in {k}{note}" for what, k, note in said))
    return {"outcome": "censored", "censored": len(censored), "n": n, "tied": len(tied),
            "first": {a_name: first_a, b_name: first_b}, "neither": neither,
            "text": f"censored at {budget} iterations in {len(censored)} of {n} pairs: {which}"}


def seeds_of(methods, seeds) -> dict:
    """``{method: number of seeds}`` from an int (every method) or a dict."""
    return dict(seeds) if isinstance(seeds, dict) else {m: seeds for m in methods}


CLASSIFIER_METRICS = ("fid", "modes", "kl_modes")


def ruler_of(curves: dict) -> str | None:
    """The one FID ruler (classifier fingerprint) that measured every run of a comparison; None if no classifier
    metric was evaluated, ``"unrecorded"`` for runs made before rulers were recorded.  Runs measured with
    different rulers cannot be compared: refused with one line naming them."""
    seen = {}
    for key, rows in curves.items():
        for r in rows:
            if any(k in r for k in CLASSIFIER_METRICS):
                seen.setdefault(r.get("ruler", "unrecorded"), set()).add(f"{key[0]}-seed{key[1]}")
    if len(seen) > 1:
        parts = "; ".join(f"{fp}: {', '.join(sorted(runs))}" for fp, runs in sorted(seen.items()))
        raise ValueError(f"runs measured with different FID rulers cannot be compared ({parts}); re-measure them "
                         f"with one ruler (ganlib/rulers) or compare them separately")
    return next(iter(seen), None)


def check_comparisons(comparisons, methods) -> list[tuple[str, str]]:
    """The pairs ``(a, b)`` to compare (default: icvp vs each other method), checked against ``methods``."""
    if comparisons is None:
        return default_comparisons(methods)
    pairs = [tuple(c) for c in comparisons]
    for c in pairs:
        if len(c) != 2:
            raise ValueError(f"a comparison is a pair (a, b) of methods; got {c!r}")
        unknown = [m for m in c if m not in methods]
        if unknown:
            raise ValueError(f"comparison {c[0]} vs {c[1]}: {', '.join(unknown)} not among the methods of this part; "
                             f"accepted: {', '.join(methods)}")
        if c[0] == c[1]:
            raise ValueError(f"comparison {c[0]} vs {c[1]}: a method compared with itself")
    return pairs


def summarise(out, dataset, methods, seeds, iters, metric=None, threshold=None, extra=None, write=True,
              delta=None, comparisons=None) -> dict:
    """Read each run's metrics; with ``write``, write ``results.json``, ``results.csv`` and ``summary.md``.

    ``seeds`` is a number (every method) or ``{method: number}``.  ``delta`` is the practical margin of the
    AUC verdict (default: 5% of the mean initial-to-final range of the metric over all runs).
    ``comparisons``: the pairs ``(a, b)`` to decide, each as ``paired["a vs b"]`` (a minus b; negative = a
    faster); default icvp vs each other method.  Runs missing or still training are left out of the pairs
    (each verdict states its number of pairs).
    """
    out = Path(out)
    comparisons = check_comparisons(comparisons, methods)
    n_seeds = seeds_of(methods, seeds)
    keys = [(m, s) for m in methods for s in range(n_seeds[m])]
    curves = {k: read_jsonl(run_dir(out, *k) / "metrics.jsonl") for k in keys}
    status = {}
    for k in keys:
        info = run_dir(out, *k) / "run.json"
        status[k] = json.loads(info.read_text()) if info.exists() else {"status": "missing"}
    any_rows = next((rows for rows in curves.values() if rows), None)
    if any_rows is None:
        raise RuntimeError(f"no evaluations found under {out / 'runs'}: did every run fail?")
    metric_names = [k for k in any_rows[0] if k not in ("iter", "seconds") and isinstance(any_rows[0][k], (int, float))]
    rulers = ruler_of(curves)
    metric = metric or metric_names[0]
    if metric not in metric_names:
        raise ValueError(f"metric {metric!r} was not evaluated; accepted: {', '.join(metric_names)}")
    finished = {k: v for k, v in curves.items() if v}
    if threshold is None:
        threshold, rule = default_threshold(finished, metric)
    else:
        rule = f"{metric} <= {threshold:.4g} (given)"
    if delta is None:
        spans = [rows[0][metric] - rows[-1][metric] for rows in finished.values() if rows[0]["iter"] == 0]
        delta = MARGIN * abs(float(np.mean(spans))) if spans else 0.0
        delta_rule = (f"±{delta:.3g}: {MARGIN:.0%} of the mean initial-to-final range of {metric} "
                      f"({len(spans)} runs)")
    else:
        delta_rule = f"±{delta:.3g} (given)"
    points = sorted({r["iter"] for rows in finished.values() for r in rows})
    per_method = {}
    for m in methods:
        rows_by_seed = [curves[(m, s)] for s in range(n_seeds[m])]
        at = {}
        for p in points:
            vals = [next((r[metric] for r in rows if r["iter"] == p), None) for rows in rows_by_seed]
            mean, sd, n = mean_sd(vals)
            at[p] = {"mean": mean, "sd": sd, "n": n}
        reach = [first_reach(rows, metric, threshold) for rows in rows_by_seed]
        complete = [rows if rows and rows[-1]["iter"] >= iters else None for rows in rows_by_seed]
        aucs = [_auc([r["iter"] for r in rows], [r[metric] for r in rows]) if rows else None for rows in complete]
        per_method[m] = {
            "curve": at,
            "iters_to_threshold": [r[0] for r in reach],
            "seconds_to_threshold": [r[1] for r in reach],
            "auc": aucs,
            "final": [rows[-1][metric] if rows else None for rows in complete],
            "status": [status[(m, s)].get("status") for s in range(n_seeds[m])],
            "failures": [status[(m, s)].get("reason") for s in range(n_seeds[m]) if status[(m, s)].get("reason")],
        }
    verdicts, paired = {}, {}
    for first, second in comparisons:
        a, b = per_method[first], per_method[second]
        sign = sign_text(first, second)
        auc = paired_verdict(a["auc"], b["auc"], delta, sign=sign)
        both = [i for i in range(min(len(a["auc"]), len(b["auc"])))  # pairs whose two runs are complete
                if a["auc"][i] is not None and b["auc"][i] is not None]
        reach = reach_pairs([a["iters_to_threshold"][i] for i in both],
                            [b["iters_to_threshold"][i] for i in both], iters, grid=points, a=first, b=second)
        key = f"{first} vs {second}"
        paired[key] = {"a": first, "b": second, "sign": sign, "auc": auc, "signs": sign_count(auc["diffs"], first),
                       "iters_to_threshold": reach}
        verdicts[key] = auc["text"]
    firsts = {a for a, _ in comparisons}
    lead = next(iter(firsts)) if len(firsts) == 1 else None
    result = {
        "dataset": dataset, "methods": list(methods), "seeds": n_seeds, "iters": iters, "metric": metric,
        "metrics_evaluated": metric_names, "threshold": threshold, "threshold_rule": rule,
        "delta": delta, "delta_rule": delta_rule,
        "sign": SIGN if not firsts or lead == "icvp" else (f"{lead} minus the second method of each comparison; "
                                                           f"negative = {lead} faster") if lead else SIGN_MANY,
        "comparisons": [list(c) for c in comparisons], "ruler": rulers, "per_method": per_method,
        "verdicts": verdicts, "paired": paired, "environment": environment(), **(extra or {}),
    }
    if not write:
        return result
    write_json(out / "results.json", result)
    with open(out / "results.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["method", "seed", "iter", "seconds", *metric_names])
        for (m, s), rows in curves.items():
            for r in rows:
                w.writerow([m, s, r["iter"], r["seconds"], *[r.get(k) for k in metric_names]])
    (out / "summary.md").write_text(summary_markdown(result))
    return result


def family_table(summaries: dict, alpha: float = ALPHA, question=None) -> dict:
    """The study's comparisons as families of verdicts: every area-under-the-curve verdict of every part that is
    not archived, with its raw verdict beside the Holm-adjusted one and the sign count.

    ``summaries``: ``{part: summarise result}``.  ``question(part, a, b)`` names the question a comparison answers;
    each question is one family (default: one family of every comparison).  Holm-Bonferroni runs within each
    family over the paired t-test p-values (:func:`~ganlib.stats.decide`'s ``p``: faster/slower) and, as their own
    family, over the equivalence p-values (``p_equivalent``: inside the margin); it also runs over every
    comparison together (``holm_all``, the strictest reading).  Comparisons with fewer than 2 pairs have no
    p-value and stay inconclusive outside the count.  Returns ``{"m", "families", "alpha", "rows", "excluded",
    "untested", "text"}``; each row: part, comparison, a, b, question, verdict (the
    :class:`~ganlib.stats.Verdict`, adjusted within its family), its numbers (n, mean, low, high, delta, p, p_holm,
    p_equivalent, p_equivalent_holm, p_holm_all), raw, holm and holm_all (the verdicts in words, made from it) and
    signs (sign count).
    """
    rows, excluded, archived_parts = [], [], []
    for part, r in summaries.items():
        archived = bool((r.get("part") or {}).get("archived"))
        if archived and r.get("paired"):
            archived_parts.append(part)
        for comp, v in r.get("paired", {}).items():
            if archived:
                excluded.append(f"{part}: {comp}")
                continue
            rows.append({"part": part, "comparison": comp, "a": v["a"], "b": v["b"],
                         "question": question(part, v["a"], v["b"]) if question else "all",
                         "verdict": Verdict.from_dict(v["auc"]), "signs": v["signs"]["text"]})
    tested = [row for row in rows if row["verdict"].p is not None]

    def adjusted(group):
        return [holm([getattr(row["verdict"], key) for row in group]) for key in ("p", "p_equivalent")]

    for row, p, p_eq in zip(tested, *adjusted(tested)):
        row["all"] = row["verdict"].adjust(p, p_eq, alpha)
    families = {}
    for row in tested:
        families.setdefault(row["question"], []).append(row)
    for group in families.values():
        for row, p, p_eq in zip(group, *adjusted(group)):
            row["verdict"] = row["verdict"].adjust(p, p_eq, alpha)
    for row in rows:
        v, everything = row["verdict"], row.pop("all", row["verdict"])
        row.update(n=v.n, mean=v.mean, low=v.low, high=v.high, delta=v.delta, raw=v.word(), raw_outcome=v.outcome,
                   p=v.p, p_holm=v.p_holm, p_equivalent=v.p_equivalent, p_equivalent_holm=v.p_equivalent_holm,
                   holm=v.adjusted_text(), p_holm_all=everything.p_holm, holm_all=everything.adjusted_text())
    m = len(tested)
    sizes = {name: len(group) for name, group in families.items()}
    untested = [f"{row['part']}: {row['comparison']}" for row in rows if row["verdict"].p is None]
    pct = f"{alpha:.0%}"
    scope = "the area-under-the-curve verdicts of every part that is not archived"
    if len(sizes) > 1:
        listed = ", ".join(f"{name} ({k})" for name, k in sizes.items())
        text = (f"The study holds {m} comparisons ({scope}) in {len(sizes)} families, one per question it asks: "
                f"{listed}. Holm-Bonferroni at {pct} within each family keeps the chance of any false faster/slower "
                f"call in that question's answer at or under {pct} (the equivalence calls are adjusted the same way, "
                f"as families of their own); the column \"across all {m}\" adjusts over every comparison together, "
                f"the strictest reading, which keeps the chance of any false call anywhere in the study at or under "
                f"{pct}. {m} raw verdicts at {pct} each would, with no real difference, give at least one false alarm "
                f"with a chance of about {1 - (1 - alpha) ** m:.0%} (independent tests).")
    else:
        text = (f"The family holds {m} comparison{'s' if m != 1 else ''} ({scope}). Holm-Bonferroni at {pct} over "
                f"their paired t-test p-values keeps the chance of any false faster/slower call in the family at or "
                f"under {pct} (the equivalence calls are adjusted the same way, as their own family); {m} raw "
                f"verdicts at {pct} each would, with no real difference, give at least one false alarm with a chance "
                f"of about {1 - (1 - alpha) ** m:.0%} (independent tests).")
    few = [row for row in tested if row["n"] < MIN_PAIRS]
    if few:
        text += (f" {len(few)} of them rest{'s' if len(few) == 1 else ''} on fewer than {MIN_PAIRS} pairs, where a "
                 "two-point law of differences (a method that helps or hurts by the same amount) gives false "
                 "alarms well above 5% (25% at 3 pairs).")
    if untested:
        text += (f" {len(untested)} comparison{'s have' if len(untested) != 1 else ' has'} fewer than 2 pairs, so no "
                 "p-value, and stay outside the count.")
    if excluded:
        parts = sorted(archived_parts)
        text += f" Archived part{'s' if len(parts) != 1 else ''} {', '.join(parts)}: outside the family."
    return {"m": m, "families": sizes, "alpha": alpha, "rows": rows, "excluded": excluded, "untested": untested,
            "text": text}


def _fmt(mean, sd, n=None, total=None):
    if mean is None:
        return "n/a"
    s = f"{mean:.4g} (one seed: no spread)" if sd is None or n == 1 else f"{mean:.4g} ± {sd:.2g}"
    return s + (f" ({n}/{total})" if total is not None and n != total else "")


def summary_markdown(r: dict, heading: str | None = None) -> str:
    """The Markdown summary of a :func:`summarise` result, headed by ``heading`` (default: the data set)."""
    metric, methods = r["metric"], r["methods"]
    n_seeds = seeds_of(methods, r["seeds"])
    env = r["environment"]
    one = n_seeds[methods[0]]
    seeds_txt = (f"{one} seed{'s' if one != 1 else ''}" if len(set(n_seeds.values())) == 1
                 else "seeds " + ", ".join(f"{m} {n}" for m, n in n_seeds.items()))
    lines = [
        f"## {heading or r['dataset']}: {', '.join(methods)}; {seeds_txt}, {r['iters']} generator iterations",
        "",
        f"Metric: `{metric}` (lower is better). Threshold: {r['threshold_rule']}. "
        f"Mean ± standard deviation over seeds. Hardware: {env['hardware']}; torch {env['torch']}; "
        f"commit {env['git_commit']}; {env['date']}.",
        "",
        "| method | iterations to threshold | seconds to threshold | area under curve | final |",
        "|---|---|---|---|---|",
    ]
    for m in methods:
        pm = r["per_method"][m]
        cells = []
        for key in ("iters_to_threshold", "seconds_to_threshold"):
            vals = pm[key]
            reached = [v for v in vals if v is not None]
            if not reached:
                cells.append("not reached")
            else:
                mean, sd, n = mean_sd(reached)
                n = n_seeds[m]
                note = "" if len(reached) == n else f"; not reached in {n - len(reached)} of {n} seeds"
                cells.append(f"{mean:.4g} ± {sd:.2g}{note}")
        cells.append(_fmt(*mean_sd(pm["auc"])))
        cells.append(_fmt(*mean_sd(pm["final"])))
        fails = f" ({len(pm['failures'])} failed)" if pm["failures"] else ""
        lines.append(f"| {m}{fails} | " + " | ".join(cells) + " |")
    points = sorted({int(p) for pm in r["per_method"].values() for p in pm["curve"]})
    lines += ["", f"`{metric}` at each evaluation point:", "",
              "| method | " + " | ".join(str(p) for p in points) + " |",
              "|---|" + "---|" * len(points)]
    for m in methods:
        curve = {int(k): v for k, v in r["per_method"][m]["curve"].items()}
        lines.append(f"| {m} | " + " | ".join(_fmt(curve[p]["mean"], curve[p]["sd"], curve[p]["n"]) if p in curve else "n/a"
                                            for p in points) + " |")
    if r.get("paired"):
        lines += ["", f"**Verdicts (paired by seed; {r['sign']}), for this data set and budget of {r['iters']} "
                  "generator iterations:**", "",
                  f"Area under the `{metric}` curve: mean paired difference with its 95% Student-t interval; "
                  f"practical margin {r['delta_rule']}.", "",
                  "| comparison | area under the curve | pairs | iterations to threshold |", "|---|---|---|---|"]
        lines += [f"| {k} | {v['auc']['text']} | {v.get('signs', {}).get('text', '')} | "
                  f"{v['iters_to_threshold']['text']} |" for k, v in r["paired"].items()]
    return "\n".join(lines) + "\n"


def evaluate_run(path, metrics=None, n=2000, seed=0, log=print) -> list[dict]:
    """Evaluate a run's saved generators after the fact -> ``path/metrics_posthoc.jsonl``.

    Uses ``generators/iter_*.pt`` (kept with ``keep_generators``) and the last checkpoint.
    """
    from .. import metrics as M
    from ..train import generator_snapshots, load_run

    path = Path(path)
    run = load_run(path)
    names = metrics or M.default_metrics(run.data)
    snapshots = {**generator_snapshots(path, run), run.it: run.G.state_dict()}
    rows = []
    for it in sorted(snapshots):
        run.G.load_state_dict(snapshots[it])
        row = {"iter": it, **M.evaluate(run.G, run.data, names, n=n, seed=seed, device=run.device)}
        log(json.dumps(row))
        rows.append(row)
    (path / "metrics_posthoc.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def samples_over_time(out, methods, seed=0, n=36, data=None) -> tuple[dict, list]:
    """Generated samples (same noise for all) at every kept generator snapshot: ``{method: {iter: x}}``."""
    import torch

    from ..train import generator_snapshots, load_run

    samples, iterations = {}, set()
    for m in methods:
        path = run_dir(out, m, seed)
        if not (path / "checkpoint.pt").exists():
            continue
        run = load_run(path, data)
        z = run.fixed_z[:n]
        samples[m] = {}
        for it, state in {**generator_snapshots(path, run), run.it: run.G.state_dict()}.items():
            run.G.load_state_dict(state)
            samples[m][it] = run.generate(z).cpu()
            iterations.add(it)
        del run
        torch.cuda.empty_cache() if torch.cuda.is_available() else None
    return samples, sorted(iterations)


def compare(dataset, methods=("wgan", "wgan-gp", "icvp", "icvp-eps", "icvp-lambda"), seeds=3, iters=1000,
            out="runs/compare", overrides=None, n_evals=10, metric=None, threshold=None, quiet=True, log=print,
            workers=1):
    """Run (or resume) every method x seed (``workers`` at a time), then summarise; returns the results dict."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    run_all(dataset, methods, seeds, iters, out, overrides, n_evals, quiet, log, workers)
    return summarise(out, dataset, methods, seeds, iters, metric, threshold,
                     extra={"overrides": overrides or {}})
