"""A fresh machine: no data folder, an empty cache.  The main job must end green and say what it could not do.

Absent data makes a notebook ``skipped`` (not failed); the embedded digits stand in for MNIST and every
figure, provenance record and summary row says so; any other error still fails.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

from ganlib.cli import main
from ganlib.harness.reproduce import notebooks, reproduce

STAND_IN = "digits (embedded, standing in for MNIST)"


def _notebook(path: Path, source: str) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("data_dir = None", metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(source),
                nbformat.v4.new_code_cell(f"open('after_{path.stem}.txt', 'w').write('ran')")]
    nbformat.write(nb, path)


@pytest.fixture
def fresh(tmp_path, monkeypatch) -> Path:
    """An empty data folder, an empty cache, and no downloads (the result must not depend on the network)."""
    monkeypatch.setenv("GANLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GANLIB_OFFLINE", "1")
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("GANLIB_DATA", str(tmp_path / "data"))
    return tmp_path / "data"


def test_absent_data_skips_the_notebook_and_other_errors_still_fail(tmp_path, fresh):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    load = "from ganlib.harness.reproduce import first_available\nfirst_available({})"
    _notebook(nbs / "00_absent.ipynb", load.format("'celeba'"))
    (fresh / "MNIST" / "raw").mkdir(parents=True)
    (fresh / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").write_bytes(b"not gzip")
    (fresh / "MNIST" / "raw" / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not gzip")
    _notebook(nbs / "01_corrupt.ipynb", load.format("'mnist', 'digits'"))  # there but wrong: no stand-in
    _notebook(nbs / "02_fine.ipynb", "x = 1")
    rep = tmp_path / "rep"
    status = reproduce("smoke", rep, tmp_path / "fig", tmp_path / "runs", notebooks_dir=nbs, log=lambda *a: None)

    where = fresh / "celeba" / "img_align_celeba"
    absent = status["00_absent.ipynb"]
    assert absent.state == "skipped" and absent.reason.startswith(f"no CelebA images at {where}; to get them: ")
    corrupt = status["01_corrupt.ipynb"]
    assert corrupt.state == "FAILED" and corrupt.reason.startswith("PapermillExecutionError")
    assert "DataError" in corrupt.reason and "skipped" not in corrupt.reason
    assert status["02_fine.ipynb"].state == "ok"
    summary = (rep / "summary.md").read_text()
    assert f"| 00_absent.ipynb | skipped: no CelebA images at {where}; to get them: " in summary
    assert "| 01_corrupt.ipynb | FAILED: " in summary and "| 02_fine.ipynb | ok |" in summary
    executed = nbformat.read(rep / "00_absent.ipynb", as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert len(errors) == 1 and len(errors[0].traceback) == 1  # one line, no traceback (paths may be scrubbed)
    line = errors[0].traceback[0]
    assert line.startswith("skipped: no CelebA images at ") and "to get them" in line
    assert not (nbs / "after_00_absent.txt").exists()  # the notebook stopped at the data cell
    assert (nbs / "after_02_fine.txt").exists()


READS_DATA = re.compile(r"first_available\(|load_dataset\(")  # the only ways a notebook reads a data folder


def data_notebooks() -> list:
    """The notebooks that read a data set; every other one runs the same with or without data (the session's
    smoke reproduction, tests/conftest.py, runs them all with the data)."""
    return [nb for nb in notebooks() if READS_DATA.search(nb.read_text())]


@pytest.mark.slow
def test_fresh_machine_smoke_exits_0_skips_celeba_and_labels_the_digits(tmp_path, fresh, capsys):
    rep, fig, runs = tmp_path / "reports", tmp_path / "figures", tmp_path / "runs"
    names = [nb.name for nb in data_notebooks()]
    assert {"05_mnist.ipynb", "06_celeba.ipynb"} <= set(names)
    code = main(["reproduce", "--profile", "smoke", "--reports", str(rep), "--figures", str(fig), "--runs", str(runs),
                 "--data-dir", str(fresh), "--only", ",".join(n[:2] for n in names)])
    out = capsys.readouterr().out
    summary = (rep / "summary.md").read_text()
    assert code == 0, summary
    rows = {line.split(" | ")[0][2:]: line.split(" | ")[1] for line in summary.splitlines()
            if line.startswith("| ") and line.split(" | ")[0][2:] in names}
    assert rows.pop("06_celeba.ipynb").startswith(f"skipped: no CelebA images at {fresh / 'celeba'}")
    assert set(rows.values()) == {"ok"}, rows
    assert "06_celeba.ipynb: skipped: no CelebA images at" in out and "1 skipped (data absent), 0 failed" in out

    assert not list(fig.glob("05_mnist_*")) and not list(fig.glob("06_*"))  # nothing under a name it is not
    for name in ("05_digits_samples", "05_digits_curves"):
        assert (fig / f"{name}.png").stat().st_size > 0
        record = json.loads((fig / f"{name}.json").read_text())
        assert record["dataset"]["label"] == STAND_IN and record["dataset"]["stands_in_for"] == "mnist"
        assert record["title"].startswith(f"{STAND_IN}: ")  # the figure's own title (Figure.get_suptitle)
    assert f"{STAND_IN}: no MNIST files at" in (rep / "05_mnist.ipynb").read_text()  # said where, with why

    table = summary.split("## Verdicts on the paper's claim")[1].split("\n## ")[0]
    assert f"\n| {STAND_IN} | " in table and "\n| digits | " not in table
    assert f"\n## {STAND_IN}: wgan, wgan-gp, icvp" in summary  # notebook 05's comparison, labelled
    assert "\n## digits: wgan, wgan-gp, icvp, icvp-eps, icvp-lambda;" not in summary
    assert f"**{STAND_IN}**: no MNIST files at" in summary
