"""pyproject.toml (pip) and environment.yml (conda) name the same packages at the same versions.

Was: ``optuna>=4.9`` in pyproject.toml (``RDBStorage(heartbeat_stale_trial_callback=...)`` needs it) but ``>=4.0``
in environment.yml, so a conda environment could hold an Optuna that ganlib's sweeps cannot use.
pyproject.toml is the source; environment.yml repeats its run and ``dev`` requirements (conda-forge packages,
torch through pip), and this test holds it to them.  Optional extras (``postgres``) may be left out of it.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> tuple[dict, dict, str]:
    """``(required, optional, requires-python)``: name -> specifier, for the run and ``dev`` requirements and
    for the other extras."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project.get("optional-dependencies", {})
    parse = lambda reqs: {canonicalize_name(r.name): r.specifier for r in map(Requirement, reqs)}  # noqa: E731
    optional = {k: v for name, reqs in extras.items() if name != "dev" for k, v in parse(reqs).items()}
    return {**parse(project["dependencies"]), **parse(extras.get("dev", []))}, optional, project["requires-python"]


def environment_yml() -> tuple[dict, str]:
    """``(packages, python version)`` of environment.yml: its conda and pip entries (``-e .`` aside)."""
    packages, python, section = {}, None, None
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if re.match(r"^[A-Za-z_]+:", line):  # a top-level key: name, channels, dependencies
            section = line.split(":")[0]
            continue
        m = re.match(r"^\s+-\s+(.+?)\s*(#.*)?$", line)
        if section != "dependencies" or not m or m.group(1) in ("pip", "-e .") or m.group(1).endswith(":"):
            continue
        entry = m.group(1)
        if entry.startswith("python="):
            python = entry.split("=", 1)[1]
            continue
        req = Requirement(entry)
        packages[canonicalize_name(req.name)] = req.specifier
    return packages, python


def test_environment_yml_holds_the_versions_of_pyproject_toml():
    required, optional, requires_python = pyproject()
    conda, python = environment_yml()
    missing = sorted(set(required) - set(conda))
    extra = sorted(set(conda) - set(required) - set(optional))
    assert not missing, f"environment.yml lacks {missing} (in pyproject.toml)"
    assert not extra, f"environment.yml has {extra}, which pyproject.toml does not name"
    differ = [f"{name}: pyproject.toml {(required | optional)[name] or 'any'}, environment.yml {spec or 'any'}"
              for name, spec in sorted(conda.items()) if SpecifierSet(str(spec)) != (required | optional)[name]]
    assert not differ, "; ".join(differ)
    assert python and SpecifierSet(requires_python).contains(python), (python, requires_python)


def test_the_check_reads_both_files():
    """The parsers find what the files hold (a parser that read nothing would pass the test above)."""
    required, _, _ = pyproject()
    conda, python = environment_yml()
    assert {"torch", "optuna", "papermill", "pytest"} <= set(required) & set(conda)
    assert str(conda["torch"]) == "==2.14.1" and python == "3.11"
