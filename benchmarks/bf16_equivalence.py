"""Is bf16 safe?  fp32 and bf16 paired by seed, judged by the verdict rule of ganlib.stats.

    python benchmarks/bf16_equivalence.py [--seeds 5] [--toy-iters 200] [--mnist-iters 40] [--workers 2]
                                          [--out runs/bf16_equivalence]

Each seed trains icvp twice, in fp32 and in bf16 (``Config.precision``), from the same networks on the
same data and noise (ganlib.train.Run's paired streams).  Per seed, the area under the metric curve
(exact W1 on 8 Gaussians, classifier FID on MNIST) is paired, bf16 minus fp32, and judged by
``stats.decide`` with the practical margin of ``compare.summarise`` (5% of the mean initial-to-final
range of the metric in the fp32 runs): ``equivalent`` when the 95% interval lies inside the margin,
``higher`` (bf16 converges slower) or ``lower`` when it excludes 0, else ``inconclusive``.  Also
printed: training seconds per run in each precision (the runs of one precision train ``--workers`` at a
time; ``benchmarks/step_time.py`` measures the speed-up without that noise).  Finished runs are reused.
The default sizes take about 10 minutes on 2 cores without native bf16 (where bf16 is emulated, 4-7x
slower than fp32).
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import warnings

from ganlib.harness import compare
from ganlib.stats import decide
from ganlib.provenance import environment

SIGN = "bf16 minus fp32; negative = bf16 lower"
WORDS = {"lower": "bf16 lower (better)", "higher": "bf16 higher (slower)"}


def not_slower(v: dict) -> str:
    """'yes' unless bf16 is resolved slower; a resolved difference inside the practical margin is said as such."""
    if v["outcome"] != "higher":
        return "yes"
    if v["within_margin"]:
        return (f"slower by {v['mean']:.3g}, resolved but inside the practical margin ±{v['delta']:.3g} "
                f"({abs(v['mean']) / v['delta']:.0%} of it): not slower by a difference that matters")
    return "NO"


def case(name, dataset, iters, overrides, args) -> dict:
    res, seconds = {}, {}
    for precision in ("fp32", "bf16"):
        folder = Path(args.out) / name / precision
        compare.run_all(dataset, ["icvp"], args.seeds, iters, folder, {**overrides, "precision": precision},
                        args.evals, log=lambda m: None, workers=args.workers)
        res[precision] = compare.summarise(folder, dataset, ["icvp"], args.seeds, iters, write=False)
        infos = [json.loads((compare.run_dir(folder, "icvp", s) / "run.json").read_text()) for s in range(args.seeds)]
        seconds[precision] = [i.get("seconds") for i in infos if i.get("seconds") is not None]
    fp32, bf16 = (res[p]["per_method"]["icvp"]["auc"] for p in ("fp32", "bf16"))
    r = decide([b - f if None not in (b, f) else None for b, f in zip(bf16, fp32)], res["fp32"]["delta"])
    return {"name": name, "dataset": dataset, "iters": iters, "metric": res["fp32"]["metric"], "verdict": r.as_dict(),
            "text": r.text("AUC", SIGN, WORDS), "delta_rule": res["fp32"]["delta_rule"],
            "auc": {"fp32": fp32, "bf16": bf16}, "seconds": seconds,
            "failures": {p: res[p]["per_method"]["icvp"]["failures"] for p in res}}


def main():
    warnings.filterwarnings("ignore", message="precision bf16 on a CPU")  # the point here is the numbers
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5, help="paired seeds (default 5)")
    p.add_argument("--toy-iters", type=int, default=200, help="8 Gaussians generator iterations (default 200)")
    p.add_argument("--mnist-iters", type=int, default=40, help="MNIST generator iterations (default 40)")
    p.add_argument("--toy-width", type=int, default=64, help="8 Gaussians MLP width (default 64)")
    p.add_argument("--mnist-width", type=int, default=8, help="MNIST DCGAN width (default 8)")
    p.add_argument("--evals", type=int, default=10, help="evaluations after the initial one (default 10)")
    p.add_argument("--workers", type=int, default=2, help="runs at once (default 2)")
    p.add_argument("--out", default="runs/bf16_equivalence", help="run folders (default runs/bf16_equivalence)")
    args = p.parse_args()
    cases = [case("8gaussians", "8gaussians", args.toy_iters,
                  {"width": args.toy_width, "metrics": ["w1"], "eval_samples": 1000}, args),
             case("mnist", "mnist", args.mnist_iters,
                  {"width": args.mnist_width, "metrics": ["fid"], "eval_samples": 1000}, args)]
    env = environment("cpu")
    lines = [f"# bf16 against fp32, paired by seed: icvp, {args.seeds} seeds; {env['hardware']}, torch {env['torch']}, "
             f"commit {env['git_commit']}"]
    for c in cases:
        sec = {k: statistics.mean(v) if v else float("nan") for k, v in c["seconds"].items()}
        lines += [f"{c['name']} ({c['iters']} generator iterations, metric {c['metric']}; margin {c['delta_rule']}):",
                  f"  verdict: {c['text']}",
                  f"  not slower: {not_slower(c['verdict'])}",
                  f"  training seconds per run: fp32 {sec['fp32']:.1f}, bf16 {sec['bf16']:.1f} "
                  f"(bf16 speed-up {sec['fp32'] / sec['bf16']:.2f}x, {args.workers} runs at a time)"]
        for prec, fails in c["failures"].items():
            if fails:
                lines.append(f"  {prec}: {len(fails)} failed runs: {fails}")
    text = "\n".join(lines)
    print(text)
    (Path(args.out) / "summary.txt").write_text(text + "\n")


if __name__ == "__main__":
    main()
