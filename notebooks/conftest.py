"""nbval on a machine without a data set: skipped, as ``ganlib reproduce`` reports it, not failed.

A notebook whose data set is absent stops at its data cell with one line, ``skipped: no CelebA images
at PATH; to get them: ...`` (:class:`ganlib.data.DataMissing`).  That cell and the notebook's later
cells are then reported as skipped with that line as the reason; any other error still fails.
"""

import pytest

SKIPPED = "skipped: "
_stopped = {}  # notebook node id -> the line it stopped with


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    reason = next((line.strip() for line in report.longreprtext.splitlines() if line.strip().startswith(SKIPPED)),
                  None)
    if reason:
        _stopped[item.parent.nodeid] = reason
        report.outcome = "skipped"
        report.longrepr = (str(item.path), 0, reason)


def pytest_runtest_setup(item):
    reason = _stopped.get(item.parent.nodeid)
    if reason:
        pytest.skip(reason)
