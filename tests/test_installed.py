"""Works installed, not only checked out: ``pip install .`` into a fresh virtual environment outside the checkout,
then, from another folder, ``ganlib train``, ``ganlib evaluate`` and ``ganlib reproduce --profile long
--from-results --results PATH`` (notebooks 09-11, shipped inside the package as ``ganlib/_notebooks``).

The fresh environment does not download the dependencies again (torch alone is gigabytes): a ``.pth`` file in its
site-packages names this environment's site-packages, whose packages are then importable while the ``.pth`` files
there (the editable install's finder among them) are not processed, so ``ganlib`` can only come from the fresh
install.  ``pip install --no-deps`` builds the wheel offline with this environment's setuptools when it can
(``--no-build-isolation``), else in pip's usual isolated build environment.  It builds from a copy of what the
build reads (a build writes ``build/`` and ``ganlib.egg-info`` beside ``pyproject.toml``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from ganlib.harness import locations

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def _build_inputs() -> list[str]:
    """What ``pip install .`` reads: pyproject.toml, the readme, and the top folder of every package."""
    st = PYPROJECT["tool"]["setuptools"]
    dirs = {(st.get("package-dir", {}).get(p) or p.replace(".", "/")).split("/")[0] for p in st["packages"]}
    readme = PYPROJECT["project"].get("readme")
    return ["pyproject.toml", *([readme.get("file")] if isinstance(readme, dict) else [readme]), *sorted(dirs)]


def _copy_source(dest: Path) -> Path:
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info", ".ipynb_checkpoints", "build")
    dest.mkdir(parents=True, exist_ok=True)
    for name in _build_inputs():
        src = REPO / name
        (shutil.copytree(src, dest / name, ignore=skip) if src.is_dir() else shutil.copy2(src, dest / name))
    return dest


def _offline_build() -> bool:
    """This environment's setuptools builds the wheel: the build-system requirements hold here, and it has
    ``bdist_wheel`` (setuptools 70.1 or later, else the ``wheel`` package)."""
    for req in map(Requirement, PYPROJECT["build-system"]["requires"]):
        try:
            if importlib.metadata.version(req.name) not in req.specifier:
                return False
        except importlib.metadata.PackageNotFoundError:
            return False
    return Version(importlib.metadata.version("setuptools")) >= Version("70.1") or bool(importlib.util.find_spec("wheel"))


def _fresh_venv(folder: Path, source: Path, *, editable: bool = False) -> Path:
    """A virtual environment in ``folder`` with the dependencies reached through a ``.pth`` file and ganlib
    installed from ``source``; returns its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    py = folder / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    ours = dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib"))  # this environment's packages
    (Path(site) / "_ganlib_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    cmd = [str(py), "-m", "pip", "install", "--quiet", "--no-deps", "--ignore-installed", "--no-cache-dir",
           "--disable-pip-version-check", *(["--no-build-isolation", "--no-index"] if _offline_build() else []),
           *(["-e"] if editable else []), str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=_env(folder), timeout=600)
    assert done.returncode == 0, f"{' '.join(cmd)}\n{done.stdout}\n{done.stderr}"
    return folder / "bin"


def _env(venv: Path) -> dict:
    """The environment of the installed commands: the fresh venv first on the PATH, no GANLIB_ROOT, one thread."""
    outer_bin = str(Path(sys.prefix) / "bin")
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != outer_bin]
    env = {k: v for k, v in os.environ.items() if k not in ("GANLIB_ROOT", "PYTHONPATH", "PYTHONHOME")}
    env.update(PATH=os.pathsep.join([str(venv / "bin"), *path]), VIRTUAL_ENV=str(venv), MPLBACKEND="Agg",
               # nbconvert's HTML templates are data files of its installation (here, this environment's
               # share/jupyter); an install with its dependencies has them in its own share/jupyter
               JUPYTER_PATH=os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                          os.environ.get("JUPYTER_PATH")])))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


@pytest.fixture
def source(tmp_path) -> Path:
    return _copy_source(tmp_path / "source")


# -- the folders, without an install -------------------------------------------------------------------------


def test_a_checkout_uses_its_own_notebooks_and_sweeps(monkeypatch):
    monkeypatch.delenv("GANLIB_ROOT", raising=False)
    assert locations.checkout() == REPO and locations.project_root() == REPO
    assert locations.shipped("notebooks") == REPO / "notebooks" and locations.shipped("sweeps") == REPO / "sweeps"


def test_ganlib_root_with_notebooks_of_its_own_is_used_and_one_without_falls_back(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLIB_ROOT", str(tmp_path))
    assert locations.shipped("notebooks") == REPO / "notebooks"  # the project folder has none: the checkout's
    (tmp_path / "notebooks").mkdir()
    assert locations.shipped("notebooks") == tmp_path.resolve() / "notebooks"


def test_from_results_without_a_store_names_the_folder(tmp_path):
    from ganlib.harness.reproduce import reproduce

    with pytest.raises(ValueError, match=re.escape(f"no results store at {(tmp_path / 'none' / 'long').resolve()}: "
                                                   "pass --results FOLDER")):
        reproduce("long", tmp_path / "rep", tmp_path / "fig", tmp_path / "runs", from_results=True,
                  results_root=tmp_path / "none", log=lambda *_: None)


# -- installed --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_installed_package_trains_evaluates_and_rebuilds_the_long_study(tmp_path, source):
    t0 = time.perf_counter()
    venv_bin = _fresh_venv(tmp_path / "venv", source)
    installed = time.perf_counter() - t0
    work = tmp_path / "work"  # the working directory: neither the checkout nor the venv
    work.mkdir()
    env = _env(tmp_path / "venv")

    def run(*args, timeout=600):
        done = subprocess.run([str(a) for a in args], cwd=work, env=env, capture_output=True, text=True,
                              timeout=timeout)
        assert done.returncode == 0, f"{' '.join(map(str, args))} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    # ganlib comes from the fresh venv; its notebooks, sweeps and FID ruler came with it
    where = json.loads(run(venv_bin / "python", "-c", (
        "import json, ganlib, ganlib.harness.locations as L, ganlib.harness.tuning as T, ganlib.metrics as M; "
        "print(json.dumps({'ganlib': ganlib.__file__, 'root': str(L.ROOT), 'checkout': str(L.checkout()), "
        "'notebooks': str(L.NOTEBOOKS), 'tips': str(T.TIPS), 'rulers': [str(p) for p in M.RULERS.glob('*.pt')]}))")))
    fresh = (tmp_path / "venv").resolve()
    assert Path(where["ganlib"]).is_relative_to(fresh) and not Path(where["ganlib"]).is_relative_to(REPO), where
    assert where["checkout"] == "None" and Path(where["root"]) == work.resolve(), where
    assert Path(where["notebooks"]).is_relative_to(fresh) and Path(where["tips"]).is_file(), where
    shipped = sorted(p.name for p in Path(where["notebooks"]).glob("[0-9][0-9]_*.ipynb"))
    assert shipped == sorted(p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")), shipped
    rulers = {Path(p).name: hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in where["rulers"]}
    assert rulers and rulers == {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                                 for p in (REPO / "ganlib" / "rulers").glob("*.pt")}, rulers

    t1 = time.perf_counter()
    run(venv_bin / "ganlib", "train", "--dataset", "8gaussians", "--method", "icvp", "--iters", "3", "--width", "32",
        "--batch-size", "64", "--quiet", "--out", "run")
    assert {"config.json", "run.json", "log.jsonl", "checkpoint.pt"} <= {p.name for p in (work / "run").iterdir()}
    out = run(venv_bin / "ganlib", "evaluate", "run", "--samples", "200")
    row = json.loads(out.splitlines()[0])
    assert row["iter"] == 3 and "w1" in row and (work / "run" / "metrics_posthoc.jsonl").is_file(), out
    trained = time.perf_counter() - t1

    t2 = time.perf_counter()
    run(venv_bin / "ganlib", "reproduce", "--profile", "long", "--from-results", "--results", REPO / "results",
        "--reports", tmp_path / "reports", "--figures", tmp_path / "figures")
    reproduced = time.perf_counter() - t2
    status = json.loads((tmp_path / "reports" / "status.json").read_text())["notebooks"]
    assert sorted(status) == ["09_long_study.ipynb", "10_mechanism.ipynb", "11_relatives.ipynb"], status
    assert all(s["state"] == "ok" for s in status.values()), status
    for name in status:
        assert (tmp_path / "reports" / name).with_suffix(".html").is_file(), name
        meta = json.loads((tmp_path / "reports" / name).read_text())["metadata"]["papermill"]
        assert meta["input_path"] == f"<ganlib>/_notebooks/{name}", meta["input_path"]  # the shipped copy ran
    assert (tmp_path / "reports" / "summary.md").is_file() and (tmp_path / "reports" / "index.html").is_file()
    figures = {p.name for p in (tmp_path / "figures").glob("*.png")}
    assert {"long_paired_verdicts.png", "10_mechanism_traces.png", "11_placement.png"} <= figures, figures
    assert (work / "runs" / "long").is_dir()  # the default project folders are the working directory's
    print(f"install {installed:.1f} s, train + evaluate {trained:.1f} s, reproduce --from-results {reproduced:.1f} s")


@pytest.mark.slow
def test_editable_install_uses_the_checkouts_own_notebooks(tmp_path, source):
    """``pip install -e`` (the Makefile's and CI's) maps the package to the checkout: its notebooks/ and sweeps/,
    the folders a user edits, are the ones used, not a copy."""
    venv_bin = _fresh_venv(tmp_path / "venv", source, editable=True)
    done = subprocess.run([str(venv_bin / "python"), "-c",
                           "import ganlib, ganlib.harness.locations as L; print(ganlib.__file__, L.NOTEBOOKS, L.SWEEPS)"],
                          cwd=tmp_path, env=_env(tmp_path / "venv"), capture_output=True, text=True, check=True)
    assert done.stdout.split() == [str(source / "ganlib" / "__init__.py"), str(source / "notebooks"),
                                   str(source / "sweeps")], done.stdout
