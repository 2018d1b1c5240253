"""Where the harness finds its folders: the package's own files, and the project's notebooks, results and sweeps.

In a checkout the project is the folder that holds ``pyproject.toml`` beside the ``ganlib`` package; an installed
package has none, so the project is ``$GANLIB_ROOT`` if set, else the working directory.  Every command that
reads or writes a project folder also takes it as an option (``--results``, ``--reports``, ``--notebooks``, ...).

The notebooks and the sweep configurations ship inside the package (``pyproject.toml``,
``[tool.setuptools.package-dir]``: ``notebooks/`` is installed as ``ganlib/_notebooks/``, ``sweeps/`` as
``ganlib/_sweeps/``), so that an installed ``ganlib reproduce`` has them; a checkout (an editable install
included) uses its own folders, which are the ones to edit.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # ganlib/: static/, templates/, traces/, rulers/


def checkout() -> Path | None:
    """The checkout holding this package (``pyproject.toml`` and ``notebooks/`` beside ``ganlib/``), else None."""
    folder = PACKAGE.parent
    return folder if (folder / "pyproject.toml").is_file() and (folder / "notebooks").is_dir() else None


def project_root() -> Path:
    """``$GANLIB_ROOT``, else the checkout holding this package, else the working directory."""
    if os.environ.get("GANLIB_ROOT"):
        return Path(os.environ["GANLIB_ROOT"]).expanduser().resolve()
    return checkout() or Path.cwd()


ROOT = project_root()


def shipped(name: str) -> Path:
    """A project folder that also ships inside the package (``notebooks``, ``sweeps``): ``$GANLIB_ROOT/NAME`` if
    that exists, else the checkout's ``NAME/``, else the installed copy ``ganlib/_NAME/``.

    The working directory of an installed package is not searched: a folder that happens to be called
    ``notebooks`` there is not taken for the package's (``--notebooks`` names one)."""
    here = checkout()
    for folder in (project_root() / name if os.environ.get("GANLIB_ROOT") else None, here / name if here else None):
        if folder is not None and folder.is_dir():
            return folder
    return PACKAGE / f"_{name}"


NOTEBOOKS = shipped("notebooks")  # the numbered notebooks NN_*.ipynb
SWEEPS = shipped("sweeps")  # the sweep configurations, and tips.json (notebook 08)
