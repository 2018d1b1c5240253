"""Where the harness finds its folders: the package's own files, and the project's notebooks, results and sweeps.

In a checkout the project is the folder that holds ``pyproject.toml`` beside the ``ganlib`` package; an installed
package has none, so the project is ``$GANLIB_ROOT`` if set, else the working directory.  Every command that
reads or writes a project folder also takes it as an option (``--results``, ``--reports``, ``--notebooks``, ...).
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent  # ganlib/: static/, templates/, traces/, rulers/


def project_root() -> Path:
    """``$GANLIB_ROOT``, else the checkout holding this package, else the working directory."""
    if os.environ.get("GANLIB_ROOT"):
        return Path(os.environ["GANLIB_ROOT"]).expanduser().resolve()
    checkout = PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "notebooks").is_dir():
        return checkout
    return Path.cwd()


ROOT = project_root()
