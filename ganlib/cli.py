"""The ``ganlib`` command.

    ganlib train --method icvp --dataset mnist --iters 2000 --out runs/NAME
    ganlib train --out runs/NAME --iters 4000 --resume
    ganlib demo                      # the toy job: three methods on 8 Gaussians, figures in figures/

Every option of ``train`` comes from :class:`ganlib.config.Config` with its help text.  Bad input
ends in one line naming the bad value and what is accepted (exit status 2), never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from .config import FIELD_TYPES, Config
from .methods import METHODS


class Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error: the problem, then where the options are listed."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"invalid boolean {text!r}; accepted: true, false, yes, no, 1, 0")


def _int_list(text: str) -> list:
    try:
        return [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid list of integers {text!r}; expected e.g. 100,500,1000") from None


def _str_list(text: str) -> list:
    return [v.strip() for v in text.split(",") if v.strip()]


def add_config_options(p: argparse.ArgumentParser, skip=()) -> None:
    """One option per :class:`Config` field; only the options given override the defaults."""
    for f in fields(Config):
        if f.name in skip:
            continue
        opt = "--" + f.name.replace("_", "-")
        meta = f.metadata
        # A default that is None or empty is described by the field's default_text (ganlib.config._f).
        kw = {"help": f"{meta['help']} (default: {meta.get('default_text', f.default)})",
              "default": argparse.SUPPRESS, "dest": f.name}
        if meta.get("choices"):
            kw["choices"] = meta["choices"]
        kind, _ = FIELD_TYPES[f.name]
        if kind is bool:
            kw.update(type=_bool, nargs="?", const=True, metavar="BOOL")
        elif kind is list:
            kw["type"] = _int_list if meta.get("type") is int else _str_list
            kw["metavar"] = "A,B,..."
        elif kind in (int, float):
            kw["type"] = kind
        p.add_argument(opt, **kw)


def config_from_args(args: argparse.Namespace) -> Config:
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    return Config(**given)


def resume_config(out: Path, args: argparse.Namespace) -> Config:
    """``--resume``: the run's saved ``config.json``; an option given that differs from it is refused.

    Only :data:`ganlib.train.RESUMABLE` options may change (e.g. ``--iters`` to train longer).  A run
    killed before its first checkpoint starts over from iteration 0, with its saved configuration.
    """
    from .train import RESUMABLE

    path = out / "config.json"
    if not path.exists():
        raise ValueError(f"--resume: {out} holds no run to continue (no config.json); drop --resume to start one")
    saved = Config.load(path)
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name)}
    changed = [f"--{k.replace('_', '-')} {v!r} (saved: {getattr(saved, k)!r})" for k, v in given.items()
               if k not in RESUMABLE and v != getattr(saved, k)]
    if changed:
        raise ValueError(f"--resume continues {out} as saved in its config.json, but {', '.join(changed)} differs; "
                         f"only {', '.join('--' + k.replace('_', '-') for k in RESUMABLE)} may change: drop the "
                         f"others, or start a new run in another --out")
    for k, v in given.items():
        setattr(saved, k, v)
    if not (out / "checkpoint.pt").exists():
        print(f"ganlib train: {out} has no checkpoint yet: starting it over from iteration 0 with its saved "
              f"config.json", file=sys.stderr)
    return saved


def cmd_train(args) -> int:
    from .train import NonFiniteLossError, train

    cfg = resume_config(Path(args.out), args) if args.resume else config_from_args(args)
    try:
        cfg.resolved()
        run = train(cfg, args.out, resume=args.resume)
    except NonFiniteLossError as e:
        print(f"ganlib train: stopped: {e}", file=sys.stderr)
        return 3
    print(f"{run.cfg.method} on {run.cfg.dataset}: {run.it} generator iterations in {run.seconds:.1f} s -> {args.out}")
    return 0


def cmd_demo(args) -> int:
    """The toy job: wgan, wgan-gp and icvp briefly on 8 Gaussians, one sample figure per method."""
    import matplotlib.pyplot as plt
    import torch

    from .data import toy_sample
    from .notebook.plots import scatter_samples
    from .provenance import environment
    from .train import train

    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    for method in ("wgan", "wgan-gp", "icvp"):
        cfg = Config(method=method, dataset="8gaussians", iters=args.iters, seed=args.seed, quiet=args.quiet)
        run = train(cfg, Path(args.runs) / f"demo-{method}", resume=True)
        with torch.random.fork_rng():
            torch.manual_seed(args.seed)
            real = toy_sample("8gaussians", 1000)
            fake = run.generate(run.G.sample_z(1000, device=run.device)).cpu()
        fig, ax = plt.subplots(figsize=(4, 4.4))
        scatter_samples(ax, fake, real, f"{method}, {run.it} generator iterations")
        env = environment(run.device)
        fig.text(0.01, 0.01, f"8gaussians, seed {args.seed}, {env['hardware']}, torch {env['torch']}, "
                 f"commit {env['git_commit']}", fontsize=5)
        fig.savefig(out / f"demo_8gaussians_{method}.png", dpi=120)
        plt.close(fig)
        print(f"wrote {out / f'demo_8gaussians_{method}.png'}")
    return 0


def cmd_evaluate(args) -> int:
    from .harness.compare import evaluate_run
    from .methods import check_choice
    from .metrics import METRICS
    from .train import saved_run

    path = Path(args.run_dir)
    if not path.is_dir():
        raise ValueError(f"run folder {path} does not exist; give a folder written by ganlib train --out")
    if not (path / "checkpoint.pt").exists():
        raise ValueError(f"{path} holds no checkpoint.pt: not a ganlib run folder, or the run stopped before its "
                         f"first checkpoint")
    if args.samples < 1:
        raise ValueError(f"--samples must be an integer >= 1; got {args.samples}")
    for m in args.metrics or ():
        check_choice("metric", m, METRICS)
    saved_run(path)  # config.json and checkpoint.pt readable and of the same run
    evaluate_run(args.run_dir, args.metrics, args.samples, args.seed)
    print(f"wrote {Path(args.run_dir) / 'metrics_posthoc.jsonl'}")
    return 0


def cmd_compare(args) -> int:
    from .harness.compare import compare

    skip = ("method", "dataset", "iters", "seed")
    given = {f.name: getattr(args, f.name) for f in fields(Config) if hasattr(args, f.name) and f.name not in skip}
    for name in ("seeds", "iters", "evals", "workers"):
        if getattr(args, name) < 1:
            raise ValueError(f"--{name} must be an integer >= 1; got {getattr(args, name)}")
    Config(**given, dataset=args.dataset, iters=args.iters).resolved()  # every option checked before any training
    compare(args.dataset, _str_list(args.methods), args.seeds, args.iters, args.out, given, args.evals,
            args.metric, args.threshold, quiet=not args.progress, workers=args.workers)
    print((Path(args.out) / "summary.md").read_text())
    return 0


def cmd_sweep(args) -> int:
    from .harness.sweep import cli_sweep

    return cli_sweep(args.config, args.out, args.workers, args.storage, args.max_trials, args.progress,
                     args.stale_after, args.threads)


def cmd_reproduce(args) -> int:
    """Exit status 0 when every notebook ran or was skipped because its data set is absent; else 1."""
    from .harness.reproduce import reproduce

    status = reproduce(args.profile, args.reports, args.figures, args.runs, args.data_dir, args.fresh,
                       _str_list(args.only) if args.only else None, from_results=args.from_results,
                       results_root=args.results,
                       **({"notebooks_dir": Path(args.notebooks)} if args.notebooks else {}))
    words = {name: st.state for name, st in status.items()}
    for name, st in status.items():
        if st.state != "ok":
            print(f"{name}: {st.text()}", file=sys.stderr if st.state == "FAILED" else sys.stdout)
    counts = {w: list(words.values()).count(w) for w in ("ok", "skipped", "FAILED")}
    print(f"{counts['ok']} of {len(status)} notebooks ran, {counts['skipped']} skipped (data absent), "
          f"{counts['FAILED']} failed; summary in {Path(args.reports or 'reports') / 'summary.md'}")
    return 1 if counts["FAILED"] else 0


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="ganlib", description="WGAN, WGAN-GP and ICVP: train, evaluate, reproduce.")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train one run", description="Train one run; every option has a default.")
    add_config_options(t)
    t.add_argument("--out", required=True, help="run folder (config, logs, samples, checkpoints)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    t.set_defaults(func=cmd_train)

    e = sub.add_parser("evaluate", help="evaluate a run's saved generators after the fact")
    e.add_argument("run_dir", help="a run folder written by ganlib train")
    e.add_argument("--metrics", type=_str_list, default=None, help="metrics (default: the data set's)")
    e.add_argument("--samples", type=int, default=2000, help="generated and real samples (default: 2000)")
    e.add_argument("--seed", type=int, default=0, help="evaluation seed (default: 0)")
    e.set_defaults(func=cmd_evaluate)

    c = sub.add_parser("compare", help="every method x seed, then the convergence summary and verdict",
                       description="Train (or resume) each method x seed with evaluations at fixed generator "
                       "iterations; write results.json, results.csv and summary.md into --out.")
    c.add_argument("--dataset", required=True, help="data set (see ganlib train --help)")
    c.add_argument("--methods", default="wgan,wgan-gp,icvp,icvp-eps,icvp-lambda",
                   help="comma-separated methods, of: " + ", ".join(METHODS) + " (default: "
                   "wgan,wgan-gp,icvp,icvp-eps,icvp-lambda)")
    c.add_argument("--seeds", type=int, default=3, help="seeds per method (default: 3)")
    c.add_argument("--iters", type=int, default=1000, help="generator iterations per run (default: 1000)")
    c.add_argument("--evals", type=int, default=10, help="evaluations per run after the initial one (default: 10)")
    c.add_argument("--metric", default=None, help="metric for thresholds and verdict (default: the data set's first)")
    c.add_argument("--threshold", type=float, default=None,
                   help="metric threshold (default: 75%% of the way from the initial to the best final value)")
    c.add_argument("--out", default="runs/compare", help="output folder (default: runs/compare)")
    c.add_argument("--progress", action="store_true", help="show progress bars")
    c.add_argument("--workers", type=int, default=1,
                   help="runs trained at once, in separate processes (default: 1; 2 is faster on 2 cores for "
                   "small models)")
    add_config_options(c.add_argument_group("training options (as for ganlib train)"),
                       skip=("method", "dataset", "iters", "seed", "eval_at", "quiet", "sample_at"))
    c.set_defaults(func=cmd_compare)

    w = sub.add_parser("sweep", help="grid or random search over any config fields (resumable, parallel)",
                       description="Run or resume a sweep CONFIG (JSON, see sweeps/): every configuration x seed; "
                       "results in OUT/results.csv and OUT/summary.md. Details: python -m pydoc ganlib.harness.sweep")
    from .harness.sweep import add_arguments as add_sweep_arguments

    add_sweep_arguments(w)
    w.set_defaults(func=cmd_sweep)
    r = sub.add_parser("reproduce", help="execute every notebook with papermill: reports, figures, summary",
                       description="Execute the numbered notebooks under a profile; a failing notebook is named "
                       "and the others still run.")
    r.add_argument("--profile", default="quick", choices=("smoke", "quick", "full", "long"),
                   help="smoke: every code path in minutes; quick: CPU reproduction (<= 25 min on 2 cores); "
                   "full: paper scale, for a GPU; long: the evidence study of notebook 09 (about 2.5 h on 2 cores, "
                   "resumable) (default: quick)")
    r.add_argument("--reports", default=None, help="executed notebooks, HTML and summary.md (default: reports/)")
    r.add_argument("--figures", default=None, help="figures (default: figures/)")
    r.add_argument("--runs", default=None, help="training runs (default: runs/)")
    r.add_argument("--data-dir", default=None, help="data folder (default: $GANLIB_DATA, else ~/.cache/ganlib/data)")
    r.add_argument("--only", default=None, help="comma-separated notebook prefixes, e.g. 03,05 (default: all)")
    r.add_argument("--notebooks", default=None, help="folder of numbered notebooks NN_*.ipynb (default: the project's notebooks/, else the copy installed with ganlib)")
    r.add_argument("--fresh", action="store_true", help="start the profile's training runs over")
    r.add_argument("--from-results", action="store_true",
                   help="rebuild the study's figures, tables and verdicts from its stored results, without training")
    r.add_argument("--results", default=None, help="the results store (default: results/)")
    r.set_defaults(func=cmd_reproduce)

    d = sub.add_parser("demo", help="toy job: wgan, wgan-gp, icvp on 8 Gaussians; a figure per method")
    d.add_argument("--iters", type=int, default=1000, help="generator iterations per method (default: 1000)")
    d.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    d.add_argument("--runs", default="runs", help="folder for the runs (default: runs)")
    d.add_argument("--figures", default="figures", help="folder for the figures (default: figures)")
    d.add_argument("--quiet", action="store_true", help="no progress bars")
    d.set_defaults(func=cmd_demo)
    return p


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from .data import DataError

    try:
        return args.func(args)
    except (ValueError, OSError) as e:  # bad values, files that are missing, unwritable or in the way
        parser.exit(2, f"ganlib {args.command}: error: {_one_line(e)}\n")
    except DataError as e:  # missing or unreadable data
        parser.exit(2, f"ganlib {args.command}: data error: {_one_line(e)}\n")


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split("\n")) or type(e).__name__


if __name__ == "__main__":
    sys.exit(main())
