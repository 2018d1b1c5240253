"""CI's guard: under GANLIB_NO_SKIPS=1 a skipped test fails with its reason; without it, it skips."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(tmp_path, flag):
    shutil.copy(HERE.parent / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_probe.py").write_text("import pytest\n\ndef test_needs_data():\n    pytest.skip('no data here')\n")
    env = {k: v for k, v in os.environ.items() if k != "GANLIB_NO_SKIPS"}
    if flag:
        env["GANLIB_NO_SKIPS"] = "1"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-o", "addopts=",
                           str(tmp_path / "test_probe.py")], capture_output=True, text=True, env=env, cwd=tmp_path)


def test_a_skip_fails_under_the_ci_flag(tmp_path):
    out = _run(tmp_path, True)
    assert out.returncode == 1 and "skipped under GANLIB_NO_SKIPS=1" in out.stdout and "no data here" in out.stdout


def test_a_skip_is_a_skip_on_a_users_machine(tmp_path):
    out = _run(tmp_path, False)
    assert out.returncode == 0 and "1 skipped" in out.stdout and "no data here" in out.stdout


def test_ci_script_sets_the_flag():
    assert "export GANLIB_NO_SKIPS=1" in (HERE.parent / ".ci" / "run").read_text()
