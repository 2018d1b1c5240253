"""ICVP among its relatives (notebook 11): where every method stands against wgan-gp, from a study's store.

Every number comes from the paired verdicts of ``ganlib.harness.study.summarise_study`` (the long study's results store);
nothing here trains.  A comparison with no complete pair in the store is named as pending, never as a verdict.
"""

from __future__ import annotations

from ..stats import Verdict


def placement_table(summaries: dict, parts, methods) -> list[dict]:
    """One row per part and method: runs stored, mean final metric, mean AUC, iterations to the threshold
    (mean over the runs that reached it, and how many did), and the verdicts against wgan-gp and icvp."""
    table = []
    for p in parts:
        r = summaries[p]
        for m in r["methods"]:
            if m not in methods:
                continue
            pm = r["per_method"][m]
            finals = [v for v in pm["final"] if v is not None]
            aucs = [v for v in pm["auc"] if v is not None]
            reached = [i for i in pm["iters_to_threshold"] if i is not None]
            row = {"part": p, "method": m, "runs": len(finals), "metric": r["metric"],
                   "final (mean)": f"{sum(finals) / len(finals):.3g}" if finals else "pending",
                   "AUC (mean)": f"{sum(aucs) / len(aucs):.4g}" if aucs else "pending",
                   "iterations to threshold": (f"{sum(reached) / len(reached):.0f} ({len(reached)} of {len(finals)} "
                                               "reached)" if reached else f"never ({len(finals)} runs)" if finals
                                               else "pending")}
            for b in ("wgan-gp", "icvp"):
                v = r["paired"].get(f"{m} vs {b}")
                row[f"vs {b}"] = (Verdict.from_dict(v["auc"]).word() if v and v["auc"]["n"] else "pending" if v else "")
            table.append(row)
    return table


def placement_conclusion(summaries: dict, parts, baseline: str = "wgan-gp", methods=None) -> str:
    """Where icvp stands among the methods of each part, and which one a user should prefer, from the paired
    verdicts against ``baseline`` (notebook 11).  Pending comparisons are named; a method is recommended only
    when its interval against the baseline lies below 0 and it is not slower than icvp."""
    out = []
    for p in parts:
        r = summaries[p]
        vs = {v["a"]: v["auc"] for v in r["paired"].values() if v["b"] == baseline
              and (methods is None or v["a"] in methods)}
        done = {m: a for m, a in vs.items() if a["n"] and a["low"] is not None}
        pending = sorted(m for m in vs if m not in done)
        if not done:
            out.append(f"{p}: no method has a complete comparison with {baseline} yet (pending: {', '.join(pending)}).")
            continue
        word = lambda a: Verdict.from_dict(a).word()  # noqa: E731
        ranked = sorted(done, key=lambda m: done[m]["mean"])
        listed = "; ".join(f"{m} {done[m]['mean']:+.3g} [{done[m]['low']:+.3g}, {done[m]['high']:+.3g}] "
                           f"({word(done[m])}, {done[m]['n']} pairs)" for m in ranked)
        text = f"{p}, area under the {r['metric']} curve minus {baseline}'s, fastest first: {listed}."
        if "icvp" in done:
            text += f" icvp is {word(done['icvp'])} than {baseline}" if word(done["icvp"]) in ("faster", "slower") \
                else f" icvp against {baseline}: {word(done['icvp'])}"
            text += (f"; by the mean it ranks {ranked.index('icvp') + 1} of the {len(ranked)} methods compared so far "
                     "(a ranking of means, not a test).")
        faster = [m for m in ranked if done[m]["high"] < 0]
        vs_icvp = lambda m: (r["paired"].get(f"{m} vs icvp") or {}).get("auc", {})  # noqa: E731
        beat_icvp = [m for m in faster if m != "icvp" and (vs_icvp(m).get("high") is not None and vs_icvp(m)["high"] < 0)]
        not_slower_than_icvp = [m for m in faster if m == "icvp" or not (vs_icvp(m).get("low") or 0) > 0]
        if len(beat_icvp) > 1:
            text += (f" Prefer one of {', '.join(beat_icvp)} here: each is faster than {baseline} and than icvp "
                     "(intervals below 0); the study does not compare them with one another, so it does not rank them.")
        elif not_slower_than_icvp and Verdict.from_dict(done[not_slower_than_icvp[0]]).within_margin:
            m = not_slower_than_icvp[0]
            text += (f" {m} is faster than {baseline}, but by less than the practical margin ±{done[m]['delta']:.3g}: "
                     f"a resolved difference too small to matter, so {baseline} or {m} will do.")
        elif not_slower_than_icvp:
            text += (f" Prefer {not_slower_than_icvp[0]} here: its interval against {baseline} lies below 0"
                     + (" and it is not slower than icvp." if not_slower_than_icvp[0] != "icvp" else "."))
        else:
            text += f" No method is shown faster than {baseline} here: {baseline}, the simplest, remains the choice."
            same = [m for m in ranked if Verdict.from_dict(done[m]).outcome == "equivalent"]
            if same:
                text += f" Equivalent to it within the margin: {', '.join(same)}."
        if pending:
            text += f" Pending (no complete pair yet): {', '.join(pending)}."
        out.append(text)
    return " ".join(out) if out else "No part of the study holds these comparisons yet."
