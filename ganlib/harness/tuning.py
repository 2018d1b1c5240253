"""The tuning study (``notebooks/08_tuning_tips.ipynb``): the seed articles' tips, each tested by a sweep
(``sweeps/tips.json``), and how sensitive WGAN-GP, ICVP and its ablations are to ``lambda_max`` and to
the learning rate.  The sweeps run on :mod:`ganlib.harness.sweep`; this module only designs and judges them.

Every verdict is computed from the numbers by the one rule of ganlib, :func:`ganlib.stats.decide`, on
differences **paired by seed**: within a sweep, seed ``s`` of every configuration starts from the same
networks and sees the same data and noise (``ganlib.train.Run``), so configuration ``a`` is compared with
``b`` seed by seed (``a`` minus ``b`` of the final metric, lower is better), with a 95% Student-t
interval of the mean difference.  The practical margin ``delta`` is ``stats.MARGIN`` (5%) of the mean
final score of the two.  A claim **holds** when the interval lies on its side of 0; it **does not
hold** when the interval lies on the other side, or inside ``+-delta`` (no practical difference: the
detail says "equivalent"); otherwise it is **inconclusive**, with the seeds the observed spread says
would decide.  A seed that did not finish on both sides is left out of the pairs (and counted).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from ..config import Config
from ..stats import MARGIN, decide
from .locations import ROOT, SWEEPS  # noqa: F401 (ROOT: tests/test_sweep.py reads tuning.ROOT / "sweeps")
from .sweep import run_sweep
from .sweep_plan import _fail, _fmt_value, _label, best_config

VERDICTS = ("holds", "does not hold", "inconclusive")
WORDS = {"lower": "lower", "higher": "higher"}
SIGN = "first minus second; negative = first lower"


# ---------------------------------------------------------------------------------------------
# Verdicts: paired by seed, one rule (ganlib.stats.decide)
# ---------------------------------------------------------------------------------------------


def _diffs(a: dict, b: dict) -> tuple[list, int]:
    """Per-seed differences ``a - b`` of two ``{seed: score or None}``; and how many shared seeds lack one."""
    common = sorted(set(a) & set(b))
    diffs = [a[s] - b[s] for s in common if a[s] is not None and b[s] is not None]
    return diffs, len(common) - len(diffs)


def _margin(*means) -> float:
    means = [m for m in means if m is not None]
    return MARGIN * abs(sum(means) / len(means)) if means else 0.0


def paired(a: dict, b: dict, metric: str) -> dict:
    """Configuration ``a`` against ``b`` (entries of a sweep summary), paired by seed: :func:`decide` plus ``text``."""
    diffs, unpaired = _diffs(a["by_seed"], b["by_seed"])
    v = decide(diffs, _margin(a["mean"], b["mean"]))
    if not set(a["by_seed"]) & set(b["by_seed"]):
        v = dataclasses.replace(v, why="the two were run on different seeds: not paired, no verdict")
    note = f"; {unpaired} seed(s) not finished on both sides" if unpaired else ""
    return {**v.as_dict(), "text": v.text(f"final {metric}", SIGN, WORDS) + note}


def _claim(outcome: str, holds=("lower",)) -> str:
    return "holds" if outcome in holds else "inconclusive" if outcome == "inconclusive" else "does not hold"


def _all(verdicts: list) -> str:
    return ("holds" if verdicts and all(v == "holds" for v in verdicts) else
            "does not hold" if "does not hold" in verdicts else "inconclusive")


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
    """How much ``factor`` moves the score: its best and worst level (each at its best other settings), and
    per seed the worst minus the best level's score."""
    levels = {}
    for c in summary["configs"]:
        if factor in c["params"] and c["mean"] is not None:
            v = c["params"][factor]
            if v not in levels or c["mean"] < levels[v]["mean"]:
                levels[v] = c
    if len(levels) < 2:
        return {"factor": factor, "size": None, "best": None, "worst": None, "by_seed": {}, "levels": {}}
    best = min(levels.values(), key=lambda c: c["mean"])
    worst = max(levels.values(), key=lambda c: c["mean"])
    by_seed = {s: (worst["by_seed"][s] - best["by_seed"][s] if worst["by_seed"][s] is not None
                   and best["by_seed"][s] is not None else None)
               for s in set(best["by_seed"]) & set(worst["by_seed"])}
    return {"factor": factor, "size": worst["mean"] - best["mean"], "best": best, "worst": worst,
            "by_seed": by_seed, "levels": {k: v["mean"] for k, v in levels.items()}}


def judge(summary: dict, claim: dict, others: dict | None = None) -> dict:
    """The verdict on one claim, computed from a sweep's summary, paired by seed, with :func:`decide`.

    Claims (dicts with ``kind``):

    - ``better``: ``a`` (a selector: dict of settings) scores lower than each of ``b`` (a selector or a
      list); with ``best_over`` (a field), each side is its best configuration over that field.  Holds if
      lower than every ``b``; does not hold if some ``b`` is lower or equivalent; else inconclusive.
    - ``matters``: the best and the worst level of ``factor`` differ, either way.  Does not hold if they
      are equivalent within the margin.
    - ``matters_most``: the effect of ``factor`` (worst minus best level, per seed) exceeds the effect of
      each factor in ``others`` (``{name: (summary, factor)}``, sweeps run on the same seeds).
    """
    kind, text, metric = claim.get("kind"), claim.get("claim", ""), summary.get("metric", "score")
    if kind == "better":
        a = _pick(summary, claim["a"], claim.get("best_over"))
        verdicts, parts = [], []
        for sel in claim["b"] if isinstance(claim["b"], list) else [claim["b"]]:
            b = _pick(summary, sel, claim.get("best_over"))
            r = paired(a, b, metric)
            verdicts.append(_claim(r["outcome"]))
            parts.append(f"{_label(a['params'])} vs {_label(b['params'])}: {r['text']}" + _fails(a, b))
        return {"claim": text, "verdict": _all(verdicts), "detail": "; ".join(parts)}
    if kind == "matters":
        f = claim["factor"]
        dead = [f"{f}={_fmt_value(c['params'][f])}" for c in summary["configs"] if f in c["params"] and c["n"] == 0
                and c["diverged"] + c["failed"]]
        note = f"; no finished run at {', '.join(dead)}" if dead else ""
        e = effect(summary, f)
        if e["size"] is None:
            return {"claim": text, "verdict": "inconclusive", "detail": "fewer than two levels finished" + note}
        r = paired(e["best"], e["worst"], metric)
        return {"claim": text, "verdict": _claim(r["outcome"], ("lower", "higher")),
                "detail": f"best {f}={_fmt_value(e['best']['params'][f])} vs worst "
                          f"{_fmt_value(e['worst']['params'][f])}: {r['text']}{note}"}
    if kind == "matters_most":
        mine = effect(summary, claim["factor"])
        if mine["size"] is None:
            return {"claim": text, "verdict": "inconclusive", "detail": "fewer than two levels finished"}
        delta = _margin(mine["best"]["mean"], mine["worst"]["mean"])
        verdicts, parts = [], []
        for s, factor in (others or {}).values():
            e = effect(s, factor)
            if e["size"] is None:
                continue
            r = decide(_diffs(e["by_seed"], mine["by_seed"])[0], delta)
            verdicts.append(_claim(r.outcome))
            parts.append(f"{factor} ({e['size']:.3g}): " + r.text(
                "effect", f"{factor}'s effect minus {claim['factor']}'s; negative = {claim['factor']} larger", WORDS))
        return {"claim": text, "verdict": _all(verdicts),
                "detail": f"effect (worst - best level) of {claim['factor']}: {mine['size']:.3g}; paired by seed "
                          f"against {'; '.join(parts) or 'no other factor'}"}
    _fail(f"unknown claim kind {kind!r}; accepted: better, matters, matters_most")


def _fails(a, b) -> str:
    notes = [f"{c['diverged'] + c['failed']} of {c['seeds']} failed for {_label(c['params'])}"
             for c in (a, b) if c["diverged"] + c["failed"]]
    return f" ({'; '.join(notes)})" if notes else ""


# ---------------------------------------------------------------------------------------------
# The tips of sweeps/tips.json, and sensitivity
# ---------------------------------------------------------------------------------------------

TIPS = SWEEPS / "tips.json"  # the checkout's sweeps/tips.json, or the copy installed with ganlib
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

    ``tips``: a tips document or its path (default ``sweeps/tips.json``); ``only``: tip ids to run; ``log``:
    where each trial's line goes (default: only each sweep's ``sweep.log``); one summary line is printed at
    the end (to ``log`` if given).
    """
    import time

    doc = tips if isinstance(tips, dict) else load_tips(tips)
    threads, workers = tuning_profile(profile)["threads"], tuning_profile(profile)["workers"]
    out = Path(out)
    done, t0 = [], time.perf_counter()
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
    (log or print)(sweeps_line([s for t in done for s in (t["search_summary"], t["summary"]) if s],
                               time.perf_counter() - t0, out))
    summaries = {t["id"]: t["summary"] for t in done}
    for t in done:
        t["verdicts"] = []
        for claim in t["claims"]:
            others = {k: (summaries[k], f) for k, f in claim.get("others", {}).items() if k in summaries}
            t["verdicts"].append({**judge(t["summary"], claim, others), "instead": claim.get("instead")})
    return {"profile": profile, "tips": done, "untestable": doc.get("untestable", [])}


def sweeps_line(summaries: list, seconds: float, out) -> str:
    """One line for many sweeps (what a notebook shows instead of a line per trial): trials by outcome, time,
    and where each trial's line is (``OUT/<sweep>/sweep.log``)."""
    count = {k: sum(c[k] for s in summaries for c in s["configs"]) for k in ("seeds", "n", "diverged", "failed",
                                                                             "pending")}
    return (f"{len(summaries)} sweeps, {count['seeds']} trials: {count['n']} finished, {count['diverged']} diverged, "
            f"{count['failed']} failed" + (f", {count['pending']} not done" if count["pending"] else "")
            + f" ({seconds:.0f} s); a line per trial in {Path(out)}/*/sweep.log")


def _numbers(summary: dict, seconds: bool = False, labels=None) -> str:
    parts = []
    for i, c in enumerate(summary["configs"]):
        score = ("n/a" if c["mean"] is None else f"{c['mean']:.3g} (one seed: no spread)" if c.get("n") == 1
                 else f"{c['mean']:.3g} ± {c['sd']:.2g}")
        bad = c["diverged"] + c["failed"]
        time = f", {c['seconds']:.1f} s training" if seconds and c.get("seconds") is not None else ""
        parts.append(f"{labels[i] if labels else _label(c['params'])}: {score}{time}"
                     + (f" ({bad}/{c['seeds']} failed)" if bad else ""))
    return "<br>".join(parts)


def tips_markdown(res: dict) -> str:
    """The tuning study as a markdown table: tip, claim, experiment, numbers, verdict (and untestable tips)."""
    lines = [f"Verdicts paired by seed: the mean per-seed difference of the final metric with its 95% Student-t "
             f"interval (ganlib.stats.decide); practical margin ±{MARGIN:.0%} of the two configurations' mean.", "",
             "| tip | claim | experiment | final metric, mean ± sd over seeds | verdict |", "|---|---|---|---|---|"]
    for t in res["tips"]:
        s = t["spec"]
        exp = (f"{s['base']['dataset']}, {s['iters']} it., {s['seeds']} seed{'s' if s['seeds'] != 1 else ''}"
               + (f"; {t['note']}" if t.get("note") else ""))
        for i, v in enumerate(t["verdicts"]):
            first = i == 0
            lines.append(f"| {t['tip'] if first else ''} | {v['claim']} | {exp if first else ''} | "
                         f"{_numbers(t['summary'], t.get('show_seconds'), t.get('labels')) if first else ''} | "
                         f"**{v['verdict']}**: {v['detail']}"
                         + (f" *A stand-in for the tip: {v['instead']}.*" if v.get("instead") else "") + " |")
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
    """Per method and level of ``factor``: mean, sd, scores by seed, finished and failed runs."""
    out = {}
    for c in summary["configs"]:
        m = out.setdefault(c["settings"].get("method"), {})
        m[c["settings"][factor]] = {k: c[k] for k in ("mean", "sd", "n", "by_seed", "diverged", "failed", "seeds")}
    return out



def _long_study_note(factor: str) -> str:
    """Where the long budget answers the same question (the long study's part at lambda 10, notebook 09)."""
    from .study import STUDIES

    part = next((p for p in STUDIES.get("long", []) if p.name == "toy-lambda10"), None)
    if factor != "lambda_max" or part is None:
        return ""
    return (f"; for the long budget ({part.iters} generator iterations at lambda_max "
            f"{_fmt_value(part.overrides.get('lambda_max'))}) see the long study, results/long/{part.name} "
            "(notebooks/09_long_study.ipynb)")


def fragility_verdict(summary: dict, factor: str, a: str = "icvp", b: str = "wgan-gp") -> dict:
    """Is ``a`` less fragile than ``b`` with respect to ``factor``, at this sweep's budget?

    Fragility is judged on the mean final score over the levels of ``factor`` -- the score to expect when
    the setting is picked at random from the grid (lower: good over a wider range) -- paired by seed: per
    seed, ``a``'s mean over the levels minus ``b``'s, over the levels both finished with at least two
    seeds and the seeds finished at every such level by both; then :func:`decide`.  The range (worst minus
    best level) and the failed runs are reported beside it.  The verdict holds for this budget only: it
    says so, and points at the long study for ``lambda_max``.
    """
    per = method_sensitivity(summary, factor)
    x, y = per.get(a, {}), per.get(b, {})
    budget = f"at {summary['spec']['iters']} generator iterations" if summary.get("spec") else "at this budget"
    levels = sorted(v for v in x if v in y and x[v]["n"] >= 2 and y[v]["n"] >= 2)
    fails = {m: sum(d["diverged"] + d["failed"] for d in per.get(m, {}).values()) for m in (a, b)}
    runs = {m: sum(d["seeds"] for d in per.get(m, {}).values()) for m in (a, b)}
    note = f"; failed runs: {a} {fails[a]}/{runs[a]}, {b} {fails[b]}/{runs[b]}" + _long_study_note(factor)
    if len(levels) < 2:
        headline = f"{budget}: fewer than two levels finished by both"
        return {"verdict": "inconclusive", "headline": headline, "detail": headline + note}
    seeds = sorted(s for s in x[levels[0]]["by_seed"]
                   if all(d[v]["by_seed"].get(s) is not None for d in (x, y) for v in levels))
    mean = {m: {s: sum(d[v]["by_seed"][s] for v in levels) / len(levels) for s in seeds} for m, d in ((a, x), (b, y))}
    avg = {m: sum(d[v]["mean"] for v in levels) / len(levels) for m, d in ((a, x), (b, y))}
    rng = {m: max(d[v]["mean"] for v in levels) - min(d[v]["mean"] for v in levels) for m, d in ((a, x), (b, y))}
    r = decide(_diffs(mean[a], mean[b])[0], _margin(avg[a], avg[b]))
    text = r.text(f"mean final {summary['metric']} over the levels", f"{a} minus {b}; negative = {a} less fragile",
                  WORDS)
    headline = (f"{budget}, {factor} in {[_fmt_value(v) for v in levels]} ({len(seeds)} seeds finished at every "
                f"level): {a} {avg[a]:.4g}, {b} {avg[b]:.4g}")
    return {"verdict": _claim(r.outcome), "mean_a": avg[a], "mean_b": avg[b], "range_a": rng[a],
            "range_b": rng[b], "paired": r.as_dict(), "headline": headline,
            "detail": f"{headline}; {text} (range worst - best level: {a} {rng[a]:.3g}, {b} {rng[b]:.3g})" + note}


# ---------------------------------------------------------------------------------------------
# Conclusions for notebook 08's figures, computed from the sweeps' numbers
# ---------------------------------------------------------------------------------------------


def tips_conclusion(res: dict, iters: int) -> str:
    """How many of the tested claims held, at this budget; which tips hold *as stated*, and which claims that
    held are only stand-ins for their tip (a claim with ``instead``: what was tested instead, and why), so that
    no tip is reported as holding on the strength of a weaker claim."""
    counts = verdict_counts(res)
    n = sum(counts.values())
    text = (f"At {iters} generator iterations, of {n} tested claims {counts['holds']} hold, "
            f"{counts['does not hold']} do not hold and {counts['inconclusive']} are inconclusive (not enough seeds "
            "to decide, which is not 'no effect').")
    stated = [(t, v) for t in res["tips"] for v in t["verdicts"] if not v.get("instead")]
    standin = [(t, v) for t in res["tips"] for v in t["verdicts"] if v.get("instead")]
    if standin:
        text += (f" {len(stated)} of them test their tip as stated; {len(standin)} test a stand-in, because this "
                 "study does not measure what the tip names (each says what was tested instead).")
    held = [f"{t['tip']} ({v['claim']})" for t, v in stated if v["verdict"] == "holds"]
    text += (" Tips that hold as stated: " + "; ".join(held) + "." if held else
             " No tip holds as stated at this budget." if stated else "")
    weak = []
    for t, v in standin:
        if v["verdict"] != "holds":
            continue
        own = [f"'{w['claim']}': {w['verdict']}" for w in t["verdicts"] if not w.get("instead")]
        weak.append(f"'{v['claim']}', standing in for '{t['tip']}' ({v['instead']}"
                    + (f"; the tip as stated, {', '.join(own)}" if own else "") + ")")
    if weak:
        text += " Stand-ins that hold, which do not establish their tip: " + "; ".join(weak) + "."
    return text


def sensitivity_conclusion(sens: dict, a: str = "icvp", b: str = "wgan-gp") -> str:
    """The fragility verdict of ``a`` against ``b`` for each swept factor, with its budget."""
    parts = []
    for factor, s in sens.items():
        v = fragility_verdict(s, factor, a, b)
        parts.append(f"{a} less fragile than {b} in {factor}: {v['verdict']} ({v['headline']})")
    return "; ".join(parts) + "."


def divergence_conclusion(pooled: dict) -> str:
    """Which methods diverged, over every run of the notebook."""
    bad = {m: p for m, p in pooled.items() if p["diverged"] or p["failed"]}
    total = sum(p["runs"] for p in pooled.values())
    if not total:
        return "No run in these sweeps."
    if not bad:
        return f"None of the {total} runs diverged or failed, whatever the method."
    rest = [m for m in pooled if m not in bad]
    return ("Runs that diverged or failed: " + ", ".join(f"{m} {p['diverged'] + p['failed']}/{p['runs']}"
                                                        for m, p in bad.items())
            + (f"; every other method finished all its runs ({total} runs in all)." if rest else
               f"; every method had at least one ({total} runs in all)."))
