"""The papermill runner: every figure and report of the smoke profile, and failures reported by name."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from ganlib.harness.reproduce import PROFILES, notebooks, reproduce, settings

METHODS = ["wgan", "wgan-gp", "icvp", "icvp-eps", "icvp-lambda"]


def _notebook(path: Path, source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("profile = 'smoke'", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(source)]
    nbformat.write(nb, path)


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="accepted: smoke, quick, full"):
        settings("fast")


def test_notebooks_are_stored_without_outputs():
    found = notebooks()
    assert [nb.name[:2] for nb in found] == [f"{i:02d}" for i in range(len(found))]
    for path in found:
        nb = nbformat.read(path, as_version=4)
        assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells), f"{path.name}: no parameters cell"
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"


def test_failing_notebook_is_named_and_others_still_run(tmp_path, capsys):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    _notebook(nbs / "00_fails.ipynb", "raise RuntimeError('boom in 00')")
    _notebook(nbs / "01_works.ipynb", "open('ran.txt', 'w').write(profile)")
    status = reproduce("smoke", tmp_path / "rep", tmp_path / "fig", tmp_path / "runs", notebooks_dir=nbs,
                       log=lambda *a: None)
    assert status["01_works.ipynb"].state == "ok"
    assert status["00_fails.ipynb"].state == "FAILED" and "boom in 00" in status["00_fails.ipynb"].reason
    assert (nbs / "ran.txt").read_text() == "smoke"
    assert (tmp_path / "rep" / "01_works.html").stat().st_size > 0
    summary = (tmp_path / "rep" / "summary.md").read_text()
    assert "00_fails.ipynb | FAILED" in summary and "01_works.ipynb | ok" in summary


@pytest.mark.slow
def test_reproduce_smoke_writes_every_figure_and_report(smoke):
    rep, fig, runs, code, log = smoke
    assert code == 0, log
    for nb in notebooks():
        for suffix in (".ipynb", ".html"):
            assert (rep / (nb.stem + suffix)).stat().st_size > 0, nb.stem + suffix
    expected = ["01_wgan_clipping", "02_wgan_gp_grad_norms", "03_icvp_rule_synthetic", "03_icvp_traces_8gaussians",
                "04_toy_w1_curves", "04_toy_samples_contours", "05_mnist_samples", "05_mnist_curves",
                "06_celeba_samples", "06_celeba_curves"]
    for name in expected:
        for suffix in (".png", ".pdf", ".json"):
            assert (fig / (name + suffix)).stat().st_size > 0, name + suffix
        record = json.loads((fig / f"{name}.json").read_text())
        for key in ("profile", "iterations", "seeds", "dataset", "hardware", "torch", "date", "git_commit"):
            assert key in record, f"{name}.json lacks {key}"
        assert record["profile"] == "smoke"
    P = PROFILES["smoke"]
    for name, prefix in (("04_toy_w1_curves", "toy"), ("05_mnist_curves", "mnist"), ("06_celeba_curves", "celeba")):
        record = json.loads((fig / f"{name}.json").read_text())
        assert record["iterations"] == P[f"{prefix}_iters"], name  # the profile's values, not just present
    summary = (rep / "summary.md").read_text()
    assert "profile `smoke`" in summary
    table = summary.split("## Verdicts on the paper's claim")[1].split("\n## ")[0]
    from ganlib.harness import compare as C

    for path in sorted((runs / "smoke").glob("*/results.json")):
        r = json.loads(path.read_text())
        if "paired" not in r:
            continue
        row = next(line for line in table.splitlines() if line.startswith(f"| {r['dataset']} |"))
        for comp, v in r["paired"].items():
            base = comp.split(" vs ")[1]
            a, b = r["per_method"]["icvp"]["auc"], r["per_method"][base]["auc"]
            again = C.paired_verdict(a, b, r["delta"])["text"]  # the cell, recomputed from results.json
            assert v["auc"]["text"] == again and (again in row or base not in ("wgan-gp", "wgan")), (comp, row)
    for dataset in PROFILES["smoke"]["toy_datasets"] + ["mnist", "celeba"]:
        section = summary.split(f"## {dataset}:")[1].split("\n## ")[0]
        for m in METHODS:
            assert f"\n| {m} |" in section or f"\n| {m} (" in section, f"{dataset}: no row for {m}"
        assert "Verdicts (paired by seed" in section


PLOTS = re.compile(r"save_figure\(|plt\.(subplots|figure)\(")  # a cell that makes a figure


@pytest.mark.slow
def test_executed_notebooks_embed_their_figures_whatever_the_callers_mplbackend(smoke):
    """Was: with ``MPLBACKEND=Agg`` in the environment (``.ci/run`` sets it), 9 of the 10 executed notebooks and
    their HTML held no image at all."""
    rep, _, _, code, log = smoke
    assert code == 0, log
    plotting = 0
    for nb in notebooks():
        executed = nbformat.read(rep / nb.name, as_version=4)
        cells = [c for c in executed.cells if c.cell_type == "code" and PLOTS.search(c.source)]
        for cell in cells:
            images = [o for o in cell.outputs if "image/png" in o.get("data", {})]
            assert images, f"{nb.name}: no figure in the output of the cell beginning {cell.source[:60]!r}"
        if cells:
            plotting += 1
            assert "<img" in (rep / f"{nb.stem}.html").read_text(), f"{nb.stem}.html shows no figure"
    assert plotting >= 8  # 01-09 make figures


@pytest.mark.slow
def test_reproduce_log_and_notebooks_hold_no_kernel_or_worker_noise(smoke):
    """Was: every run printed "[IPKernelApp] WARNING | Kernel is running over TCP without encryption..." (and at
    times "[IPKernelApp] ERROR | KeyboardInterrupt caught in kernel."); notebook 08's executed copy held 237
    lines of sweep-worker log."""
    rep, _, _, code, log = smoke
    assert code == 0, log
    for noise in ("IPKernelApp", "without encryption", "KeyboardInterrupt"):
        assert noise not in log, f"{noise!r} in the log:\n{log}"
    expected = re.compile(r"\[smoke\] \d\d_\w+\.ipynb \.\.\.|  ok \(\d+ s\)|\d+ of \d+ notebooks ran, .*")
    assert not [line for line in log.splitlines() if line.strip() and not expected.fullmatch(line)], log
    tuning = nbformat.read(rep / "08_tuning_tips.ipynb", as_version=4)
    text = [line for c in tuning.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "stream"
            for line in o.text.splitlines()]
    assert not [line for line in text if line.startswith("[worker")], text
    assert len([line for line in text if "a line per trial in" in line]) == 1, text  # one summary line for the tips


def test_verdict_table_reads_every_comparison(tmp_path):
    from ganlib.harness.reproduce import verdict_table

    assert verdict_table(tmp_path) == "(no comparison ran)"
    (tmp_path / "mnist").mkdir()
    (tmp_path / "mnist" / "results.json").write_text(json.dumps(
        {"dataset": "mnist", "seeds": {"icvp": 2, "wgan-gp": 2, "wgan": 2}, "iters": 100, "metric": "fid",
         "verdicts": {"icvp vs wgan-gp": "faster (x)", "icvp vs wgan": "slower (y)"}}))
    (tmp_path / "tuning").mkdir()  # a sweep's results: no verdicts, not a comparison
    (tmp_path / "tuning" / "results.json").write_text(json.dumps({"dataset": "8gaussians", "configs": []}))
    table = verdict_table(tmp_path)
    assert "| mnist | 2 x 100 | fid | faster (x) | slower (y) |" in table
    assert "8gaussians" not in table


def test_index_marks_skipped_and_failed_notebooks_as_the_runner_does(tmp_path):
    from ganlib.harness.reports import Status, write_index

    for name in ("01_a", "02_b", "03_c"):
        (tmp_path / f"{name}.html").write_text("x")
    status = {"01_a.ipynb": Status("ok"), "02_b.ipynb": Status("skipped", "no CelebA images at X"),
              "03_c.ipynb": Status("FAILED", "KeyError: boom")}
    text = write_index(tmp_path, tmp_path / "figures", status).read_text()
    assert "(<a href='01_a.ipynb'>notebook</a>)</li>" in text
    assert "<span>skipped: no CelebA images at X</span>" in text and "FAILED: skipped" not in text
    assert "<span class='failed'>FAILED: KeyError: boom</span>" in text


def test_a_partial_rerun_keeps_the_other_notebooks_status(tmp_path):
    """``--only`` reruns some notebooks; the summary and the index still list every notebook of the last run."""
    from ganlib.harness.reports import Status
    from ganlib.harness.reproduce import merge_status

    ok, skipped = Status("ok"), Status("skipped", "no data")
    first = merge_status(tmp_path, "quick", {"00_a.ipynb": ok, "01_b.ipynb": skipped},
                         {"00_a.ipynb": 3.0, "01_b.ipynb": 1.0})
    assert first[0] == {"00_a.ipynb": ok, "01_b.ipynb": skipped}
    again, secs = merge_status(tmp_path, "quick", {"01_b.ipynb": ok}, {"01_b.ipynb": 2.0})
    assert again == {"00_a.ipynb": ok, "01_b.ipynb": ok} and secs == {"00_a.ipynb": 3.0, "01_b.ipynb": 2.0}
    other, _ = merge_status(tmp_path, "smoke", {"01_b.ipynb": ok}, {"01_b.ipynb": 1.0})
    assert other == {"01_b.ipynb": ok}  # another profile's statuses are not mixed in
    (tmp_path / "status.json").write_text('{"profile": "smoke", "notebooks": {"00_a.ipynb": {"error": null}}}')
    assert merge_status(tmp_path, "smoke", {}, {})[0] == {}  # an older file's form is not read back as a status
