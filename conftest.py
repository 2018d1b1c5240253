"""Test-run rules for the whole repository (tests, doctests and the notebooks under nbval).

1. nbval on a machine without a data set: a notebook whose data set is absent stops at its data cell
   with one line, ``skipped: no CelebA images at PATH; to get them: ...`` (:class:`ganlib.data.DataMissing`).
   That cell and the notebook's later cells are reported as skipped with that line as the reason, as
   ``ganlib reproduce`` reports it; any other error still fails.
2. No silent skips in CI: with ``GANLIB_NO_SKIPS=1`` (set by ``.ci/run``) a skipped test is a failure,
   its reason kept.  On a user's machine, tests that need the offline data or a service skip with a reason.
"""

import os

import pytest

SKIPPED = "skipped: "
NO_SKIPS = os.environ.get("GANLIB_NO_SKIPS") == "1"
_stopped = {}  # notebook node id -> the line it stopped with


def _data_absent(item, report) -> str | None:
    if item.path.suffix != ".ipynb" or report.when != "call" or not report.failed:
        return None
    return next((line.strip() for line in report.longreprtext.splitlines() if line.strip().startswith(SKIPPED)), None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    reason = _data_absent(item, report)
    if reason:
        _stopped[item.parent.nodeid] = reason
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, reason)
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        why = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under GANLIB_NO_SKIPS=1 (CI must run every test): {why}"


def pytest_runtest_setup(item):
    reason = _stopped.get(item.parent.nodeid)
    if reason:
        pytest.skip(reason)
