"""The README's ten-line example runs as written (in a temporary folder) and draws the schedule it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.mark.slow
def test_readme_example_trains_icvp_and_plots_its_schedule(tmp_path, monkeypatch, fixed_threads):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "train(" in b)
    assert len(example.strip().splitlines()) <= 12
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    exec(compile(example, "README.md", "exec"), {})
    assert (tmp_path / "runs" / "readme-icvp" / "schedule.png").stat().st_size > 1000
    from ganlib.train import read_jsonl

    log = read_jsonl(tmp_path / "runs" / "readme-icvp" / "log.jsonl")
    assert len(log) == 200 and log[-1]["lambda_t"] < 10.0  # the variable lambda has moved


def test_readme_links_point_at_files_that_exist():
    text = README.read_text()
    links = re.findall(r"\]\(([^)#]+)\)", text)
    missing = [link for link in links if not link.startswith("http") and not (README.parent / link).exists()]
    assert not missing, missing
