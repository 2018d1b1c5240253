"""``ganlib reproduce --profile {smoke,quick,full}``: execute every numbered notebook with papermill.

Each notebook gets the parameters ``profile``, ``runs_dir``, ``figures_dir`` and ``data_dir`` and reads
its sizes from :data:`PROFILES` (one table, here).  Executed notebooks and their HTML go to ``reports/``,
figures (PNG and PDF, each with a provenance JSON beside it) to ``figures/``, and the verdict tables of
every comparison to ``reports/summary.md``.  A failing notebook is reported by name; the others still
run; the command then exits non-zero.  Training runs that already finished are not redone (``--fresh``
starts over).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from ..provenance import environment
from .locations import NOTEBOOKS, ROOT  # NOTEBOOKS: the checkout's notebooks/, or the installed copy

# Sizes per profile.  toy_*: 2-D sets; mnist_*: MNIST (or the embedded digits); celeba_*: CelebA.
# *_overrides are Config fields for those runs; workers: runs trained at once (ganlib.harness.compare.run_all).
PROFILES = {
    "smoke": dict(  # every code path in minutes: tests and CI
        workers=1,
        toy_iters=30, toy_seeds=1, toy_evals=2, toy_datasets=["8gaussians"], toy_overrides={},
        mnist_iters=4, mnist_seeds=1, mnist_evals=2, mnist_width=8, mnist_eval_samples=200, mnist_overrides={},
        celeba_iters=3, celeba_seeds=1, celeba_evals=1, celeba_width=8, celeba_size=32, celeba_max_images=500,
        celeba_eval_samples=100, celeba_overrides={}, tuning="smoke",
        study="smoke", study_trains=True,  # notebook 09 trains the tiny study
    ),
    "quick": dict(  # the README's main job: a meaningful CPU reproduction, at most 25 minutes on 2 cores
        workers=2,  # two runs at a time, one torch thread each: about 1.5x the throughput of one run on 2 threads
        # every method at lr 1e-3 (the published 1e-4, and 5e-5 for wgan, need thousands of iterations: see full)
        toy_iters=200, toy_seeds=3, toy_evals=5, toy_datasets=["8gaussians", "25gaussians", "swissroll"],
        toy_overrides={"width": 128, "lr_g": 1e-3, "eval_samples": 1000},
        mnist_iters=300, mnist_seeds=2, mnist_evals=5, mnist_width=16, mnist_eval_samples=1000,
        mnist_overrides={"lr_g": 1e-3, "metrics": ["fid", "modes"]},  # SWD is left to CelebA and full
        celeba_iters=40, celeba_seeds=1, celeba_evals=2, celeba_width=16, celeba_size=32, celeba_max_images=5000,
        celeba_eval_samples=500, celeba_overrides={"lr_g": 1e-3}, tuning="quick",
        study="long", study_trains=False,  # notebook 09 rebuilds the long study from the committed results
    ),
    "full": dict(  # paper scale, for a GPU (published learning rates and widths)
        workers=1,
        toy_iters=20000, toy_seeds=5, toy_evals=20, toy_datasets=["8gaussians", "25gaussians", "swissroll"],
        toy_overrides={},
        mnist_iters=20000, mnist_seeds=3, mnist_evals=20, mnist_width=64, mnist_eval_samples=2000, mnist_overrides={},
        celeba_iters=20000, celeba_seeds=3, celeba_evals=20, celeba_width=64, celeba_size=64,
        celeba_max_images=None, celeba_eval_samples=2000, celeba_overrides={}, tuning="full",
        study="long", study_trains=False,
    ),
    "long": dict(  # the evidence study (ganlib.harness.study): about 2.5 h on 2 cores, resumable, results committed
        workers=2, study="long", study_trains=True, notebooks=["09", "10", "11"],
    ),
}


def settings(profile: str) -> dict:
    """The sizes of a profile (what the notebooks read)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; accepted: {', '.join(PROFILES)}")
    return {"profile": profile, **PROFILES[profile]}


def setup(profile: str, runs_dir=None, figures_dir=None, data_dir=None):
    """What a notebook's first cell calls: ``(sizes, runs folder, figures folder)``.

    Run interactively or by nbval (no folders given), outputs go under ``../runs/PROFILE`` so that the
    committed figures are only ever written by ``ganlib reproduce``.
    """
    import os

    sizes = settings(profile)
    runs = Path(runs_dir or Path("..") / "runs" / profile)
    figures = Path(figures_dir or runs / "figures")
    runs.mkdir(parents=True, exist_ok=True)
    figures.mkdir(parents=True, exist_ok=True)
    if data_dir:
        os.environ["GANLIB_DATA"] = str(data_dir)
    return sizes, runs, figures


def first_available(*names, **kw):
    """The first data set of ``names`` that is present here (e.g. ``mnist``, else the embedded ``digits``).

    A later name stands in for the first: its ``label`` says so ("digits (embedded, standing in for
    MNIST)") and why is printed.  Only absent data moves on to the next name; data that is there but
    unreadable is an error.  None present: :class:`ganlib.data.DataMissing` with the first one's words.
    """
    from ..data import DataMissing, load_dataset

    errors = []
    for name in names:
        try:
            data = load_dataset(name, **kw)
        except DataMissing as e:
            errors.append(str(e))
            continue
        if errors:
            data.stands_in_for, data.why = names[0], errors[0]
            print(f"{data.label}: {errors[0]}")
        return data
    raise DataMissing(errors[0])


# A notebook's status (ok, skipped, FAILED) is defined beside the index that shows it (ganlib.harness.reports).
from .reports import Status  # noqa: E402


def comparison_label(folder) -> str | None:
    """The data label of a comparison folder (``data.json`` written by the notebook), if recorded."""
    path = Path(folder) / "data.json"
    return json.loads(path.read_text()).get("label") if path.exists() else None


def figure_index(figures_dir) -> str:
    """A markdown table of the figures in a folder with how each was made (from its ``.json`` record)."""
    rows = ["| figure | profile | iterations | seeds | data | hardware | commit | date |", "|---|---|---|---|---|---|---|---|"]
    for rec in sorted(Path(figures_dir).glob("*.json")):
        r = json.loads(rec.read_text())
        data = r.get("dataset")
        data = data.get("dataset") if isinstance(data, dict) else data
        rows.append(f"| {rec.stem}.png | {r.get('profile')} | {r.get('iterations')} | {r.get('seeds')} | {data} | "
                    f"{r.get('hardware')} | {r.get('git_commit')} | {r.get('date', '')[:10]} |")
    return "\n".join(rows) if len(rows) > 2 else "(no figures yet: run `ganlib reproduce`)"


# The kernel's own command-line options, passed by papermill to nbclient (``NotebookClient.extra_arguments``):
# - ``--matplotlib=inline``: figures are embedded in the executed notebook whatever the caller's ``MPLBACKEND``
#   (ipykernel picks the inline backend only when ``MPLBACKEND`` is unset; ``MPLBACKEND=Agg``, as CI sets it,
#   silently dropped every figure);
# - ``--IPKernelApp.log_level=CRITICAL``: the kernel application's own log, which on a successful run held only
#   "Kernel is running over TCP without encryption" (a local kernel on 127.0.0.1, as papermill starts it) and
#   "KeyboardInterrupt caught in kernel" (jupyter_client interrupts the kernel before it asks it to shut down).
#   What goes wrong in a notebook is in its executed copy and in the status line; a kernel that dies is
#   reported by nbclient as such.
KERNEL_ARGUMENTS = ("--matplotlib=inline", "--IPKernelApp.log_level=CRITICAL")


def notebooks(folder: Path = NOTEBOOKS) -> list[Path]:
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb"))


def _html(executed: Path) -> None:
    """HTML beside the executed notebook: paths scrubbed, widgets and math rendered offline (ganlib.harness.reports)."""
    from .reports import render_html

    render_html(executed)


def reproduce(profile="quick", reports_dir=None, figures_dir=None, runs_dir=None, data_dir=None, fresh=False,
              only=None, log=print, notebooks_dir=NOTEBOOKS, from_results=False, results_root=None) -> dict:
    """Execute the notebooks; returns ``{notebook name: None or error text}``.

    ``from_results``: a study's figures, tables and verdicts are rebuilt from its stored results
    (``results/<profile>/``, or ``results_root``) without training; a profile's ``notebooks`` entry
    limits which notebooks run (``long``: 09 only).
    """
    import papermill as pm

    settings(profile)
    reports = Path(reports_dir or ROOT / "reports").resolve()
    figures = Path(figures_dir or ROOT / "figures").resolve()
    runs = Path(runs_dir or ROOT / "runs").resolve() / profile
    if fresh and runs.exists():
        shutil.rmtree(runs)
    for d in (reports, figures, runs):
        d.mkdir(parents=True, exist_ok=True)
    found = notebooks(notebooks_dir)
    if not found:
        raise ValueError(f"no numbered notebooks (NN_*.ipynb) in {Path(notebooks_dir).resolve()}; pass --notebooks "
                         "FOLDER, or reinstall ganlib (they ship with it)")
    only = only or PROFILES[profile].get("notebooks")
    selected = [nb for nb in found if not only or any(nb.stem.startswith(o) for o in only)]
    if not selected:
        raise ValueError(f"no notebook matches {only}; accepted: {', '.join(nb.stem for nb in found) or 'none found'}")
    if from_results and PROFILES[profile].get("study"):  # a broken store stops here, named, before any notebook
        from . import study as S

        name = PROFILES[profile]["study"]
        store = S.results_dir(name, results_root or S.default_results_root(name, runs))  # where notebook 09 reads
        if not store.is_dir():
            raise ValueError(f"no results store at {store.resolve()}: pass --results FOLDER (the folder holding "
                             f"{store.name}/, results/ in a checkout), or set GANLIB_ROOT to the project folder")
        for part in S.study(name):
            S.check_store(store / part.name)
    params = {"profile": profile, "runs_dir": str(runs), "figures_dir": str(figures), "from_results": from_results,
              "results_root": str(Path(results_root).resolve()) if results_root else None,
              "data_dir": str(data_dir) if data_dir else None}
    status, seconds = {}, {}
    for nb in selected:
        out = reports / nb.name
        log(f"[{profile}] {nb.name} ...")
        t0 = time.perf_counter()
        try:
            declared = pm.inspect_notebook(str(nb))  # pass only what the notebook declares: no papermill warnings
            pm.execute_notebook(str(nb), str(out), parameters={k: v for k, v in params.items() if k in declared},
                                cwd=str(nb.parent), progress_bar=False,
                                kernel_name="python3", extra_arguments=list(KERNEL_ARGUMENTS))
            status[nb.name] = Status("ok")
        except Exception as e:  # one failing notebook must not stop the others
            if getattr(e, "ename", None) == "DataMissing":  # its data set is absent: skipped, not failed
                status[nb.name] = Status("skipped", e.evalue)
            else:
                last = str(e).strip().splitlines()[-1] if str(e).strip() else ""
                status[nb.name] = Status("FAILED", f"{type(e).__name__}: {last}")
        seconds[nb.name] = time.perf_counter() - t0
        if out.exists():
            try:
                _html(out)
            except Exception as e:  # noqa: BLE001 - a rendering problem is reported, not fatal
                log(f"  HTML rendering of {out.name} failed: {e}")
        log(f"  {status[nb.name].text()} ({seconds[nb.name]:.0f} s)")
    all_status, all_seconds = merge_status(reports, profile, status, seconds)
    write_summary(reports, runs, profile, all_status, all_seconds, results_root, from_results)
    from .reports import write_index

    write_index(reports, figures, all_status, profile)  # after every notebook: this run's figures
    return status


NO_COMPARISON = "(no comparison ran)"


def verdict_table(runs) -> str:
    """One row per comparison under ``runs``: the computed verdicts of ``icvp`` against each baseline."""
    rows = ["## Verdicts on the paper's claim (faster convergence of the generator)", "",
            "Area under the metric curve, icvp minus each baseline, paired by seed (negative = icvp faster): the mean "
            "with its 95% Student-t interval; the rule is `ganlib.stats.decide`.", "",
            "| data set | seeds x generator iterations | metric | icvp vs wgan-gp | icvp vs wgan |",
            "|---|---|---|---|---|"]
    for path in sorted(Path(runs).glob("*/results.json")):
        r = json.loads(path.read_text())
        if "verdicts" not in r:
            continue
        v = r["verdicts"]
        label = comparison_label(path.parent) or r["dataset"]
        seeds = r["seeds"] if not isinstance(r["seeds"], dict) else "/".join(map(str, sorted(set(r["seeds"].values()))))
        rows.append(f"| {label} | {seeds} x {r['iters']} | {r['metric']} | "
                    f"{v.get('icvp vs wgan-gp', 'n/a')} | {v.get('icvp vs wgan', 'n/a')} |")
    return "\n".join(rows) if len(rows) > 6 else NO_COMPARISON


def study_section(profile: str, runs: Path, results_root=None) -> list[str]:
    """The verdict table of the profile's study (notebook 09), from its stored results."""
    from . import study as S

    name = PROFILES[profile].get("study")
    if not name:
        return []
    root = Path(results_root) if results_root else S.default_results_root(name, runs)
    summaries = S.summarise_study(name, root, write=False)
    if not summaries:
        return ["", f"## The `{name}` study", "", f"(no stored results under {S.results_dir(name, root)})"]
    gone = S.missing(name, root)
    return ["", f"## The `{name}` study: verdicts at budgets that can answer (notebook 09)", "",
            "Paired by seed; mean paired difference with its 95% Student-t interval; rule in `ganlib.stats.decide`.",
            *([f"Not yet in the store ({len(gone)} runs): {', '.join(gone)}.", ""] if gone else [""]),
            S.verdict_table(summaries)]


def merge_status(reports: Path, profile: str, status: dict, seconds: dict) -> tuple[dict, dict]:
    """The status of every notebook of the profile in ``reports/status.json``: this run's, and for notebooks this
    run did not execute (``--only``), the last run's, so that the summary and the index keep every notebook.
    Written atomically; a file of another profile is replaced."""
    path = reports / "status.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    kept = ({n: v for n, v in old.get("notebooks", {}).items() if "state" in v}  # an older file's form is rerun
            if old.get("profile") == profile else {})
    merged = {**kept, **{name: {**st.as_dict(), "seconds": round(seconds[name], 1)} for name, st in status.items()}}
    tmp = path.with_name(".status.json.tmp")
    tmp.write_text(json.dumps({"profile": profile, "notebooks": dict(sorted(merged.items()))}, indent=1) + "\n")
    os.replace(tmp, path)
    names = sorted(merged)
    return ({n: Status(merged[n]["state"], merged[n]["reason"]) for n in names},
            {n: merged[n]["seconds"] for n in names})


def write_summary(reports: Path, runs: Path, profile: str, status: dict, seconds: dict, results_root=None,
                  from_results: bool = False) -> Path:
    """``reports/summary.md``: provenance, notebook status, and every comparison's summary table."""
    from .compare import summary_markdown

    env = environment()
    how = (f"Rebuilt from the results store (no training) by `ganlib reproduce --profile {profile} --from-results`"
           if from_results else f"Made by `ganlib reproduce --profile {profile}`")
    lines = [
        f"# Reproduction summary: profile `{profile}`",
        "",
        f"{how} on {env['date']}; hardware: {env['hardware']}; "
        f"python {env['python']}, torch {env['torch']}, numpy {env['numpy']}; commit {env['git_commit']}.",
        f"Profile sizes: `{json.dumps(PROFILES[profile])}`",
        "",
        "| notebook | status | seconds |",
        "|---|---|---|",
    ]
    for name, st in status.items():
        lines.append(f"| {name} | {st.text().replace('|', '/')} | {seconds[name]:.0f} |")
    for d in sorted(runs.glob("*/data.json")):
        rec = json.loads(d.read_text())
        if rec.get("stands_in_for"):
            lines += ["", f"**{rec['label']}**: {rec['why']}"]
    study = study_section(profile, runs, results_root)
    lines += study
    table = verdict_table(runs)
    if not (study and table == NO_COMPARISON):  # a study profile's verdicts are its own section above
        lines += ["", table]
    for results in sorted(runs.glob("*/results.json")):  # the notebooks' comparisons (a study's are above)
        r = json.loads(results.read_text())
        lines += ["", summary_markdown(r, heading=comparison_label(results.parent)).strip()]
    path = reports / "summary.md"
    path.write_text("\n".join(lines) + "\n")
    return path
