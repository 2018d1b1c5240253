"""ganlib.notebook.exercises: the exercises' solutions, and the gradient-penalty checker of notebook 02 on the four
buggy penalties (each must fail the check its bug breaks, and only some of them)."""

import pytest

from ganlib import methods as M
from ganlib.notebook import exercises as E


# -- the implementation exercise: the buggy gradient penalties ----------------------------------------


def test_the_library_penalty_passes_every_check():
    def mine(critic, real, fake):
        x_hat, _ = M.interpolation_point(real, fake)
        return M.gradient_penalty(critic, x_hat)[0], x_hat

    assert all(r["passed"] for r in E.check_gradient_penalty(mine))


@pytest.mark.parametrize("name, fails", [("A", {"x_hat on the segments, one eps per sample"}),
                                         ("B", {"linear critic, ||grad D|| = 2: penalty 1"}),
                                         ("C", {"linear critic, ||grad D|| = 2: penalty 1"}),
                                         ("D", {"the penalty's gradient reaches the critic's weights"})])
def test_each_buggy_penalty_fails_its_check(name, fails):
    rows = E.check_gradient_penalty(E.BUGGY_PENALTIES[name])
    failed = {r["check"] for r in rows if not r["passed"]}
    assert fails <= failed and len(failed) < len(rows), (name, failed)


def test_a_crashing_penalty_is_reported_not_raised():
    rows = E.check_gradient_penalty(lambda critic, real, fake: 1 / 0)
    assert rows == [{"check": "runs and returns (penalty, x_hat)", "passed": False,
                     "detail": "ZeroDivisionError: division by zero"}]


def test_batch_norm_couples_the_samples():
    assert E.batch_dependence(E.toy_critic("none")) < 1e-6
    assert E.batch_dependence(E.toy_critic("layer")) < 1e-6
    assert E.batch_dependence(E.toy_critic("batch")) > 1e-3


# -- the exercises' schedule solution on the shipped trace ----------------------------------------


def test_exercise_schedule_outcomes():
    from ganlib.notebook.widgets import load_trace

    ex = E.exercise_schedule(load_trace()["w_t"])
    warm = ex["warmup"]
    assert warm[0]["final d_ref"] > 3 * warm[1]["final d_ref"]  # T_w = 0 locks onto the transient
    assert warm[0]["lowest r_t"] < warm[1]["lowest r_t"]
    assert E.trend([r["mean lambda_t / lambda_max"] for r in ex["gamma"]], increasing=False) == "yes"
    assert E.trend([r["sd of r_t steps"] for r in ex["beta"]], increasing=False) == "yes"
    assert E.trend([3, 1, 2], increasing=False).startswith("not monotone")
