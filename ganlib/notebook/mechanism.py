"""Why a method is slower: the critic's traces, read from a study's store, and the predictions judged on them.

Notebook 10 uses this module.  Everything comes from the committed results store (``ganlib.harness.study``): the thinned
training log (``log.jsonl``: ``w_t, d_t, d_ref, r_t, eps_t, lambda_t`` and the mean gradient norm at the penalty
points, every 10th generator iteration), the critic probe (``probe.jsonl``: gradient norms at real, generated,
uniform and penalty points of one fixed batch, every 50 iterations; :func:`ganlib.train.probe`) and the
evaluations (``metrics.jsonl``).  Nothing here trains.

The predictions are the ones written in ``docs/PREDICTIONS.md`` before their runs; :func:`judge_predictions` says
for each whether it held, failed, or is still pending (which runs the store lacks).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..harness.compare import run_dir
from ..stats import Verdict
from ..train import read_jsonl


def seeds_stored(folder, label: str, iters: int) -> list[int]:
    """Seeds of ``label`` whose finished run is in the part's store."""
    out = []
    for seed in range(100):
        d = run_dir(Path(folder), label, seed)
        if not d.exists():
            break
        rows = read_jsonl(d / "metrics.jsonl")
        if rows and rows[-1]["iter"] >= iters:
            out.append(seed)
    return out


def trace(folder, label: str, seed: int, key: str, source: str = "log.jsonl") -> tuple[np.ndarray, np.ndarray]:
    """``(iterations, values)`` of ``key`` in one run's ``source`` file (rows without it, or NaN, left out)."""
    rows = [r for r in read_jsonl(run_dir(Path(folder), label, seed) / source)
            if r.get(key) is not None and not (isinstance(r[key], float) and math.isnan(r[key]))]
    return np.array([r["iter"] for r in rows], float), np.array([r[key] for r in rows], float)


def mean_trace(folder, label: str, seeds, key: str, source: str = "log.jsonl"):
    """Mean over ``seeds`` of ``key`` at the iterations every seed logged; ``(x, mean, low, high)`` where low/high
    is the range over seeds (the spread a reader sees, not an interval)."""
    traces = [dict(zip(*trace(folder, label, s, key, source))) for s in seeds]
    traces = [t for t in traces if t]
    if not traces:
        return None
    common = sorted(set.intersection(*(set(t) for t in traces)))
    v = np.array([[t[i] for i in common] for t in traces])
    return np.array(common), v.mean(0), v.min(0), v.max(0)


def window_value(folder, label: str, seed: int, key: str, start: int, stop: int, source: str, how=np.median):
    """``how`` (median by default) of ``key`` over iterations ``start..stop`` of one run."""
    x, v = trace(folder, label, seed, key, source)
    sel = v[(x >= start) & (x <= stop)]
    return float(how(sel)) if len(sel) else None


def value_at(folder, label: str, seed: int, key: str, it: int, source: str = "log.jsonl"):
    """``key`` at the logged iteration nearest to ``it`` (at or before it)."""
    x, v = trace(folder, label, seed, key, source)
    sel = np.nonzero(x <= it)[0]
    return float(v[sel[-1]]) if len(sel) else None


def traces_figure(folder, labels, iters: int, probe: bool):
    """The critic's story per method: lambda_t, the critic's estimate w_t beside the FID, d_ref and the gradient
    norm at the penalty points (probe: median over the fixed batch at the penalty points, the real images and the
    generated samples)."""
    import matplotlib.pyplot as plt

    from .study_plots import COLOURS

    panels = [("lambda_t", "log.jsonl", "lambda_t (penalty weight; icvp: 10 r_t, and eps_t = 1 - r_t)"),
              ("w_t", "log.jsonl", "w_t (critic's estimate)"),
              ("fid", "metrics.jsonl", "classifier FID (critic-independent)"),
              ("d_ref", "log.jsonl", "d_ref (reference distance)")]
    panels.append(("grad_penalty_median", "probe.jsonl", "median ||grad D|| at penalty points (probe)") if probe
                  else ("grad_norm", "log.jsonl", "mean ||grad D|| at penalty points"))
    if probe:
        panels += [("grad_real_median", "probe.jsonl", "median ||grad D|| at real images (probe)"),
                   ("grad_fake_median", "probe.jsonl", "median ||grad D|| at generated samples (probe)")]
    fig, axes = plt.subplots(3 if probe else 2, 3, figsize=(13, 9.5 if probe else 6.5), layout="constrained")
    for ax, (key, source, title) in zip(axes.flat, panels):
        for label in labels:
            seeds = seeds_stored(folder, label, iters)
            t = mean_trace(folder, label, seeds, key, source) if seeds else None
            if t is None:
                continue
            x, mean, lo, hi = t
            ax.plot(x, mean, color=COLOURS.get(label, None), ls="--" if label not in ("icvp", "wgan-gp") else "-",
                    label=f"{label} ({len(seeds)} seed{'' if len(seeds) == 1 else 's'})")
            ax.fill_between(x, lo, hi, color=COLOURS.get(label, None), alpha=0.15, linewidth=0)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("generator iterations", fontsize=8)
        if key.startswith("grad"):
            ax.axhline(1.0, color="k", lw=0.6, ls=":")
        if key in ("grad_real_median", "grad_fake_median"):
            ax.set_yscale("log")  # steep phases reach 10-30 times slope 1
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.suptitle("Mean over stored seeds; bands: range over seeds", fontsize=9)
    return fig


def _paired(summary: dict, comp: str):
    v = (summary or {}).get("paired", {}).get(comp)
    return None if v is None else v["auc"]


def _design_seeds() -> dict:
    """Paired seeds per method of the long study's MNIST part (the design the predictions are judged on)."""
    from ..harness.study import study

    return next(p for p in study("long") if p.name == "mnist").seeds


def judge_predictions(folder, summary: dict, iters: int = 2000, seeds: dict | None = None) -> list[dict]:
    """The predictions of docs/PREDICTIONS.md (P-MNIST-1 to -3), each ``{"id", "claim", "outcome", "evidence"}`` with
    outcome ``held``, ``failed`` or ``pending`` (the evidence then names what the store lacks).  ``summary`` is the
    part's :func:`ganlib.harness.compare.summarise` result (its paired AUC verdicts); ``seeds``: paired seeds per
    method that a prediction waits for (default: the long study's MNIST design)."""
    out = []
    labels = ("wgan-gp", "icvp", "icvp-eps", "icvp-lambda", "icvp-slope", "icvp-band", "icvp-gamma0.5", "icvp-lmin1",
              "icvp-refmean", "icvp-refdecay")
    stored = {m: seeds_stored(folder, m, iters) for m in labels}
    design = _design_seeds() if seeds is None else seeds
    wanted = {m: design.get(m, 5) for m in labels}

    def pending(pid, claim, need):
        lack = [f"{m} ({wanted[m] - len(stored[m])} of {wanted[m]} seeds missing)" for m in need
                if len(stored[m]) < wanted[m]]
        return {"id": pid, "claim": claim, "outcome": "pending", "evidence": "the store lacks " + ", ".join(lack)}

    def verdict(pid, claim, comp, need, test):
        if any(len(stored[m]) < wanted[m] for m in need):
            out.append(pending(pid, claim, need))
            return
        a = _paired(summary, comp)
        ok = test(a)
        out.append({"id": pid, "claim": claim, "outcome": "held" if ok else "failed",
                    "evidence": f"{comp}: mean AUC difference {a['mean']:+.4g}, 95% CI [{a['low']:+.4g}, "
                                f"{a['high']:+.4g}], {a['n']} pairs"})

    def per_pair(pid, claim, a_label, b_label, key, source, pick, better):
        if len(stored[a_label]) < 5 or len(stored[b_label]) < 5:
            out.append(pending(pid, claim, (a_label, b_label)))
            return
        pairs = [(pick(a_label, s, key, source), pick(b_label, s, key, source)) for s in range(5)]
        wins = sum(better(x, y) for x, y in pairs if x is not None and y is not None)
        fmt = lambda v: "n/a" if v is None else f"{v:.3g}"  # noqa: E731
        out.append({"id": pid, "claim": claim, "outcome": "held" if wins == 5 else "failed",
                    "evidence": f"{wins} of 5 pairs: " + ", ".join(f"{fmt(x)} vs {fmt(y)}" for x, y in pairs)})

    def closer_than_icvp(pid, label):
        """``label``'s mean AUC difference against wgan-gp is smaller than icvp's."""
        claim = f"{label}'s mean AUC difference against wgan-gp is smaller than icvp's"
        need = (label, "icvp", "wgan-gp")
        if any(len(stored[m]) < wanted[m] for m in need):
            out.append(pending(pid, claim, need))
            return
        x, i = _paired(summary, f"{label} vs wgan-gp"), _paired(summary, "icvp vs wgan-gp")
        out.append({"id": pid, "claim": claim, "outcome": "held" if x["mean"] < i["mean"] else "failed",
                    "evidence": f"{label} {x['mean']:+.4g} vs icvp {i['mean']:+.4g}"})

    verdict("A1", "icvp-lambda is slower than wgan-gp", "icvp-lambda vs wgan-gp", ("icvp-lambda", "wgan-gp"),
            lambda a: a["low"] is not None and a["low"] > 0)
    closer_than_icvp("A2", "icvp-eps")
    need = ("wgan-gp", "icvp", "icvp-eps", "icvp-lambda")
    if all(len(stored[m]) >= 5 for m in need):
        med = {m: [window_value(folder, m, s, "grad_penalty_median", iters // 2, iters, "probe.jsonl") for s in range(5)]
               for m in need}
        ok = (all(v > 1.5 for m in ("icvp", "icvp-lambda") for v in med[m])
              and all(v < 1.5 for m in ("wgan-gp", "icvp-eps") for v in med[m]))
        out.append({"id": "A3", "claim": "median gradient norm at the penalty points over iterations 1000-2000: above "
                    "1.5 for icvp and icvp-lambda, below 1.5 for wgan-gp and icvp-eps, in every seed",
                    "outcome": "held" if ok else "failed",
                    "evidence": "; ".join(f"{m}: {', '.join(f'{v:.2f}' for v in vs)}" for m, vs in med.items())})
    else:
        out.append(pending("A3", "gradient norms at the penalty points split the methods at 1.5", need))
    at200 = lambda m, s, k, src: value_at(folder, m, s, k, 200, src)  # noqa: E731
    late = lambda m, s, k, src: window_value(folder, m, s, k, iters // 2, iters, src)  # noqa: E731
    per_pair("I1", "icvp-slope's lambda_t at iteration 200 is higher than icvp's in every pair", "icvp-slope", "icvp",
             "lambda_t", "log.jsonl", at200, lambda x, y: x > y)
    per_pair("I2", "icvp-slope's median gradient norm at the penalty points (iterations 1000-2000) is closer to 1 "
             "than icvp's in every pair", "icvp-slope", "icvp", "grad_penalty_median", "probe.jsonl", late,
             lambda x, y: abs(x - 1) < abs(y - 1))
    verdict("I3", "icvp-slope is faster than icvp", "icvp-slope vs icvp", ("icvp-slope", "icvp"),
            lambda a: a["high"] is not None and a["high"] < 0)
    closer_than_icvp("I4", "icvp-slope")
    # P-MNIST-2, the competing explanation
    verdict("C1", "icvp-slope is not faster than icvp (P-MNIST-2; the opposite of I3)", "icvp-slope vs icvp",
            ("icvp-slope", "icvp"), lambda a: not (a["high"] is not None and a["high"] < 0))
    closer_than_icvp("C2", "icvp-gamma0.5")
    # P-MNIST-3: where the critic is unconstrained
    peak = lambda m, s: window_value(folder, m, s, "grad_fake_median", 200, iters // 2, "probe.jsonl", how=np.max)  # noqa: E731
    if all(len(stored[m]) >= 5 for m in ("icvp-eps", "wgan-gp")):
        e, w = [peak("icvp-eps", s) for s in range(5)], [peak("wgan-gp", s) for s in range(5)]
        ok = sum(v > 3 for v in e) >= 4 and all(v < 2 for v in w)
        out.append({"id": "D1", "claim": "icvp-eps's critic is steep at the generated samples (peak median norm above 3 "
                    "in 4 of 5 seeds, iterations 200-1000), wgan-gp's is not (below 2 in all 5)",
                    "outcome": "held" if ok else "failed",
                    "evidence": f"icvp-eps {', '.join(f'{v:.2f}' for v in e)}; wgan-gp {', '.join(f'{v:.2f}' for v in w)}"})
    else:
        out.append(pending("D1", "icvp-eps's critic is steep at the generated samples, wgan-gp's is not",
                           ("icvp-eps", "wgan-gp")))
    if len(stored["icvp-lambda"]) >= 5:
        v = [peak("icvp-lambda", s) for s in range(5)]
        out.append({"id": "D2", "claim": "icvp-lambda's critic is not steep at the generated samples (peak median "
                    "norm below 3 in 4 of 5 seeds)", "outcome": "held" if sum(x < 3 for x in v) >= 4 else "failed",
                    "evidence": ", ".join(f"{x:.2f}" for x in v)})
    else:
        out.append(pending("D2", "icvp-lambda's critic is not steep at the generated samples", ("icvp-lambda",)))
    verdict("D3", "icvp-eps is slower than wgan-gp", "icvp-eps vs wgan-gp", ("icvp-eps", "wgan-gp"),
            lambda a: a["low"] is not None and a["low"] > 0)
    verdict("D4", "icvp-band is faster than icvp (the intervention of P-MNIST-3)", "icvp-band vs icvp",
            ("icvp-band", "icvp"), lambda a: a["high"] is not None and a["high"] < 0)
    high, ref = ("icvp-gamma0.5", "icvp-lmin1"), ("icvp-refmean", "icvp-refdecay")
    if all(len(stored[m]) >= wanted[m] for m in (*high, *ref, "wgan-gp")):
        means = {m: _paired(summary, f"{m} vs wgan-gp")["mean"] for m in (*high, *ref)}
        ok = max(means[m] for m in high) < min(means[m] for m in ref)
        out.append({"id": "C3", "claim": "the readings that keep lambda_t higher rank ahead of those that only move d_ref",
                    "outcome": "held" if ok else "failed",
                    "evidence": ", ".join(f"{m} {v:+.4g}" for m, v in sorted(means.items(), key=lambda kv: kv[1]))})
    else:
        out.append(pending("C3", "the readings that keep lambda_t higher rank ahead of those that only move d_ref",
                           (*high, *ref, "wgan-gp")))
    return out


def readings_table(summary: dict, readings, baseline: str = "wgan-gp") -> list[dict]:
    """One row per reading of section 2 (and icvp itself), every row with the same keys: its paired AUC verdict
    against ``baseline`` (pairs, mean difference, 95% interval, verdict), or ``not yet in the store``."""
    rows = []
    for label in ("icvp", *readings):
        a = _paired(summary, f"{label} vs {baseline}")
        if a is None or not a.get("n"):
            rows.append({"reading": label, "pairs": 0, "mean AUC difference": None, "95% CI": None,
                         "verdict": "not yet in the store"})
            continue
        rows.append({"reading": label, "pairs": a["n"], "mean AUC difference": a["mean"],
                     "95% CI": None if a["low"] is None else (a["low"], a["high"]),
                     "verdict": Verdict.from_dict(a).word() if a["low"] is not None else "one pair: no interval yet"})
    return rows


def feedback_numbers(folder, iters: int = 2000, labels=("wgan-gp", "icvp"), at=(210, 610, 1010, 1810)) -> list[dict]:
    """The table of the explanation: per method and iteration, w_t, d_ref, lambda_t and the mean gradient norm at
    the penalty points, each the mean over the stored seeds."""
    rows = []
    for label in labels:
        seeds = seeds_stored(folder, label, iters)
        if not seeds:
            continue
        for it in at:
            row = {"method": label, "iteration": it, "seeds": len(seeds)}
            for key in ("w_t", "d_ref", "lambda_t", "grad_norm"):
                vals = [value_at(folder, label, s, key, it) for s in seeds]
                vals = [v for v in vals if v is not None]
                row[key] = float(np.mean(vals)) if vals else None
            rows.append(row)
    return rows


PEAK_WINDOW = (200, 1000)  # generator iterations: the phase where icvp falls behind (P-MNIST-3)


def steepness(folder, labels, iters: int = 2000, window=PEAK_WINDOW) -> list[dict]:
    """P-MNIST-3's quantity per method: the largest probe median gradient norm of the critic at the generated
    samples (and, beside it, at the real ones) over ``window``, per stored seed and their mean."""
    rows = []
    for label in labels:
        seeds = seeds_stored(folder, label, iters)
        if not seeds:
            continue
        row = {"method": label, "seeds": len(seeds)}
        for where in ("fake", "real"):
            peaks = [window_value(folder, label, s, f"grad_{where}_median", *window, "probe.jsonl", how=np.max)
                     for s in seeds]
            peaks = [v for v in peaks if v is not None and math.isfinite(v)]
            row[f"peak_{where}"] = peaks
            row[f"peak_{where}_mean"] = float(np.mean(peaks)) if peaks else None
        rows.append(row)
    return rows


def steepness_figure(rows: list[dict], summary: dict, baseline: str = "wgan-gp"):
    """Each method's peak critic slope at the generated samples (mean over seeds, the range as a bar) against its
    paired AUC difference to ``baseline`` (95% interval as a bar): the explanation's evidence in one picture."""
    import matplotlib.pyplot as plt

    from .study_plots import COLOURS

    fig, ax = plt.subplots(figsize=(8, 4.8))
    spare = iter(plt.get_cmap("Dark2").colors)  # for methods without a colour of their own
    for i, row in enumerate(rows):
        x, label = row["peak_fake_mean"], row["method"]
        a = {"mean": 0.0, "low": None, "high": None} if label == baseline else _paired(summary, f"{label} vs {baseline}")
        if x is None or a is None or a.get("mean") is None:
            continue
        xerr = [[x - min(row["peak_fake"])], [max(row["peak_fake"]) - x]]
        yerr = None if a["low"] is None else [[a["mean"] - a["low"]], [a["high"] - a["mean"]]]
        colour = COLOURS.get(label) or next(spare)
        ax.errorbar(x, a["mean"], xerr=xerr, yerr=yerr, fmt="osD^v<>ph*"[i % 10], color=colour, capsize=3, lw=1,
                    label=f"{label} ({row['seeds']} seeds)")
    ax.axhline(0.0, color="k", lw=0.6, ls=":")
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 4, 8, 16, 32], labels=["1", "2", "4", "8", "16", "32"], minor=False)
    ax.set_xticks([], minor=True)
    ax.legend(fontsize=7, loc="upper left", ncols=2)
    ax.set_xlabel(f"peak median ||grad D|| at the generated samples, iterations {PEAK_WINDOW[0]}-{PEAK_WINDOW[1]} "
                  "(probe; bar: range over seeds)", fontsize=8)
    ax.set_ylabel(f"FID-AUC difference against {baseline}\n(95% interval; above 0: slower)", fontsize=8)
    ax.set_title("A critic left steep at the generated samples goes with slower convergence", fontsize=9)
    return fig


def _held(judged, ids) -> list[str]:
    return [j["id"] for j in judged if j["id"] in ids and j["outcome"] == "held"]


def explanation(judged: list[dict], summary: dict, steep: list[dict]) -> str:
    """The explanation notebook 10 states, computed from the judged predictions, the paired verdicts and the
    steepness table: which explanation the predictions refuted, which stands, and what its intervention did."""
    by = {j["id"]: j for j in judged}
    peak = {r["method"]: r["peak_fake_mean"] for r in steep}
    fmt = lambda v: "n/a" if v is None else f"{v:.2g}"  # noqa: E731

    def said(comp):
        """The verdict of ``comp`` in words with its numbers (without the comparison's name)."""
        a = _paired(summary, comp)
        if a is None or a.get("low") is None:
            return "not yet decided"
        return (f"{Verdict.from_dict(a).word()} ({a['mean']:+.3g} [{a['low']:+.3g}, {a['high']:+.3g}] FID-AUC, "
                f"{a['n']} pairs)")

    def verdict(comp):
        return f"{comp} {said(comp)}"

    a_ids, d_ids = ("A1", "A2", "A3"), ("D1", "D2", "D3")
    a_failed = [i for i in a_ids if by.get(i, {}).get("outcome") == "failed"]
    d_held = _held(judged, d_ids)
    out = []
    if a_failed:
        out.append(f"The first explanation, a feedback loop through the critic's slope (P-MNIST-1), is refuted: "
                   f"{len(a_failed)} of its 3 predictions failed ({', '.join(a_failed)}).")
    if len(d_held) == len(d_ids):
        out.append(
            "The one that stands (P-MNIST-3, all of D1-D3 held) is about *where* the penalty is evaluated: icvp puts "
            "it on one slice of the real-generated segments per critic step, so away from that slice the critic is "
            "free, and it grows steep at the generated samples, where the generator takes its gradient. The peak "
            f"median slope there (iterations {PEAK_WINDOW[0]}-{PEAK_WINDOW[1]}, mean over seeds) is "
            f"{fmt(peak.get('icvp-eps'))} for the point alone (icvp-eps) and {fmt(peak.get('icvp'))} for icvp, against "
            f"{fmt(peak.get('wgan-gp'))} for wgan-gp and {fmt(peak.get('icvp-lambda'))} for the variable lambda alone "
            f"(icvp-lambda). The speed follows: {verdict('icvp-eps vs wgan-gp')}; {verdict('icvp-lambda vs wgan-gp')}.")
    elif d_held:
        out.append(f"P-MNIST-3 is only partly supported: {', '.join(d_held)} of D1-D3 held.")
    d4 = by.get("D4", {})
    if d4.get("outcome") in ("held", "failed"):
        out.append(
            f"Its intervention, icvp-band (the penalty on the whole band between icvp's slice and the reals), was "
            f"predicted before its runs to be faster than icvp; the prediction {d4['outcome']}: "
            f"{verdict('icvp-band vs icvp')}, with a peak slope of {fmt(peak.get('icvp-band'))} at the generated "
            f"samples. Against wgan-gp it is {said('icvp-band vs wgan-gp')}.")
    elif d4:
        out.append("Its intervention, icvp-band, is still being trained.")
    against = {m: 0.0 if m == "wgan-gp" else (_paired(summary, f"{m} vs wgan-gp") or {}).get("mean") for m in peak}
    pts = [(peak[m], against[m]) for m in peak if peak[m] is not None and against[m] is not None]
    if len(pts) >= 4:
        from scipy.stats import spearmanr

        rho = spearmanr(*zip(*pts)).statistic
        flat = [m for m, v in peak.items() if v is not None and v < 2]
        out.append(f"Across all {len(pts)} methods and readings, the peak slope at the generated samples and the "
                   f"AUC difference to wgan-gp have a Spearman rank correlation of {rho:+.2f} (a description of these "
                   f"runs, found after the fact, not a test); the ones that keep it below 2 are {', '.join(flat)}.")
    return " ".join(out)


def readings_answer(summary: dict, readings, baseline: str = "wgan-gp") -> str:
    """The one-sentence answer of notebook 10 (and the README), from the part's paired verdicts of icvp and each of
    ``readings`` against ``baseline``: for how many readings "slower than wgan-gp" holds, and which, if any, wins."""
    verdicts = {label: _paired(summary, f"{label} vs {baseline}") for label in ("icvp", *readings)}
    done = {label: Verdict.from_dict(a) for label, a in verdicts.items() if a is not None and a.get("low") is not None}
    if not done:
        return "No reading of section 2 has an interval against wgan-gp yet."

    def say(labels):
        return "; ".join(f"{m} {done[m].mean:+.3g} [{done[m].low:+.3g}, {done[m].high:+.3g}]" for m in labels)

    slower = [m for m, v in done.items() if v.outcome == "higher" and not v.within_margin]
    small = [m for m, v in done.items() if v.outcome == "higher" and v.within_margin]
    faster = [m for m, v in done.items() if v.outcome == "lower"]
    rest = [m for m in done if m not in slower + small + faster]
    pending = [m for m in verdicts if m not in done]
    pairs = sorted({v.n for v in done.values()})
    text = (f"On MNIST (FID-AUC against wgan-gp, {'-'.join(map(str, pairs))} paired seeds, 95% intervals), \"slower "
            f"than WGAN-GP\" holds for {len(slower)} of the {len(done)} readings tried"
            + (" (the default reading, icvp, among them)" if "icvp" in done else "")
            + (f" ({say(slower)})" if slower else ""))
    if small:
        text += f"; slower by less than the practical margin for {say(small)}"
    if rest:
        text += (f"; it does not hold for {say(rest)}, whose intervals hold 0 "
                 "(not distinguishable from wgan-gp at these seeds, which is not equal)")
    text += "; " + (f"faster than wgan-gp: {say(faster)}" if faster else "none is faster than wgan-gp") + "."
    if pending:
        text += f" Still to be trained: {', '.join(pending)}."
    return text
