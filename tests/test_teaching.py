"""ganlib.notebook.teaching: the losses on screen, the computed conclusions, the exercises; and the notebooks that use them.

The conclusions are checked against cases whose answer is known in closed form (a linear critic has the same
gradient everywhere; two parallel segments have JS = log 2 and W1 = |theta|), so a wrong number or a sentence
that ignores its input fails.
"""

import html
import math
import re

import nbformat
import numpy as np
import pytest
import torch

from ganlib.notebook import teaching as T
from ganlib.methods import Method
from ganlib.harness.reproduce import NOTEBOOKS


class Linear(torch.nn.Module):
    """D(x) = a . x: gradient a everywhere."""

    def __init__(self, a):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(a, dtype=torch.float32))

    def forward(self, x):
        return x @ self.a


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    return torch.randn(64, 2, generator=g) + 1.0, torch.randn(64, 2, generator=g) - 1.0


# -- the critic losses ------------------------------------------------------------------------------


def test_critic_loss_terms_match_the_closed_form(batch):
    real, fake = batch
    critic = Linear([1.5, 2.0])  # ||grad D|| = 2.5 everywhere
    rows = {r["method"]: r for r in T.critic_loss_terms(critic, real, fake, lambda_max=0.3, r_t=0.4)}
    w = float(critic(real).mean() - critic(fake).mean())
    pen = (2.5 - 1.0) ** 2
    assert rows["wgan"]["loss"] == pytest.approx(-w, rel=1e-5)
    assert rows["wgan-gp"]["loss"] == pytest.approx(-w + 0.3 * pen, rel=1e-5)
    for mode in ("deterministic", "band"):
        r = rows[f"icvp ({mode})"]
        assert r["r_t"] == pytest.approx(0.4) and r["lambda"] == pytest.approx(0.3 * 0.4)
        assert r["grad_norm"] == pytest.approx(2.5, rel=1e-5) and r["penalty"] == pytest.approx(pen, rel=1e-5)
        assert r["loss"] == pytest.approx(-w + 0.12 * pen, rel=1e-5)
    assert rows["icvp (deterministic)"]["eps"] == "0.6" and rows["icvp (band)"]["eps"] == "U[0.6, 1]"
    assert "| icvp (band) |" in T.table(list(rows.values()))


def test_loss_sources_come_from_the_library():
    page = T.critic_loss_sources("icvp")
    for obj in (Method.critic_loss, Method.after_critic_step, T.M.gradient_penalty, T.M.ICVPSchedule.step):
        first_line = T.source(obj).splitlines()[0]
        assert html.escape(first_line) in page, first_line
    assert page.count("4px solid") == 1 + len(T.LOSS_STEPS["icvp"][1])  # the highlighted method: its title and rows
    assert page.count("(this notebook)") == 1
    # code as code: every block monospace, left-aligned, not wrapped (long lines scroll), escaped
    blocks = re.findall(r'<pre class="ganlib-code" style="([^"]*)"><code style="([^"]*)">', page)
    assert len(blocks) == 1 + sum(o is not None for _, steps in T.LOSS_STEPS.values() for _, o in steps)
    for pre, code in blocks:
        for style in (pre, code):
            assert "monospace" in style and "white-space:pre;" in style
        assert "text-align:left" in pre and "overflow-x:auto" in pre
    assert "    if self.schedule is None:\n        return -w, log" in page  # indentation kept
    # every formula in LaTeX, beside its code, one step per row
    formulas = re.findall(r'<td class="ganlib-formula"[^>]*>(.*?)</td>', page, re.S)
    assert len(formulas) == 1 + sum(len(steps) for _, steps in T.LOSS_STEPS.values())
    assert all("$" in f for f in formulas) and r"\lambda_t = \lambda_{min}" in page
    with pytest.raises(ValueError, match="accepted: None, wgan, wgan-gp, icvp"):
        T.critic_loss_sources("wgan-lp")


# -- theory: JS vs W1 -----------------------------------------------------------------------------


def test_js_saturates_and_w1_is_the_shift():
    d = T.js_and_w1_parallel_lines([-0.6, -0.2, 0.0, 0.3, 0.9], n=300, bins=20)
    apart = np.abs(d["theta"]) >= d["bin_width"]
    np.testing.assert_allclose(d["js"][apart], math.log(2), atol=1e-9)
    assert d["js"][~apart].max() < 0.2  # the same segment: the histograms nearly agree
    np.testing.assert_allclose(d["w1"][apart], np.abs(d["theta"][apart]), atol=0.05)
    text = T.js_conclusion(d)
    assert "log 2 = 0.693" in text and f"{d['w1'].max():.3f}" in text


def _js(thetas, js, bins=20):
    th = np.asarray(thetas, float)
    return {"theta": th, "js": np.asarray(js, float), "w1": np.abs(th) + 0.03, "bin_width": 1.0 / bins}


def test_js_conclusion_names_the_grid_not_the_bin_width():
    """|theta| >= 0.05 (the bin) on a grid that steps by 0.1 was wrong: the sentence names the grid's shifts."""
    text = T.js_conclusion(_js(np.linspace(-1, 1, 21), [math.log(2)] * 10 + [0.01] + [math.log(2)] * 10))
    assert "At the 20 nonzero shifts of this grid (|theta| from 0.1 to 1;" in text and ">= 0.05" not in text
    assert "at least one histogram bin, 0.05" in text


def test_js_conclusion_degenerate_range_is_one_value():
    """'JS lies between 0.693 and 0.693' was a degenerate range: one value is stated once."""
    same = T.js_conclusion(_js([0.0, 0.1, 0.2, 0.5], [0.0, math.log(2), math.log(2) - 1e-6, math.log(2)]))
    assert "JS = 0.693 at every one of them, which is log 2 = 0.693" in same and "between" not in same
    spread = T.js_conclusion(_js([0.1, 0.2, 0.5], [0.6, 0.65, 0.693]))
    assert "JS lies between 0.600 and 0.693, against log 2 = 0.693" in spread
    one = T.js_conclusion(_js([0.0, 0.5], [0.0, math.log(2)]))
    assert "At the one nonzero shift |theta| = 0.5" in one and "every one" not in one


def test_js_conclusion_leaves_out_shifts_below_a_bin():
    text = T.js_conclusion(_js([0.0, 0.02, 0.1, 0.3], [0.0, 0.3, math.log(2), math.log(2)]))
    assert "At the 2 nonzero shifts" in text and "(1 nonzero shift(s) below one bin width share bins" in text
    none = T.js_conclusion(_js([0.0, 0.01, 0.02], [0.0, 0.1, 0.2]))
    assert none.startswith("No shift of this grid is at least one histogram bin (0.05) wide")
    no_zero = T.js_conclusion(_js([0.2, 0.4], [math.log(2)] * 2))
    assert "W1 is 0.230 at |theta| = 0.2 and 0.430 at |theta| = 0.4" in no_zero


def test_loss_terms_note_says_when_the_estimate_is_negative_and_which_r_t_was_used(batch):
    real, fake = batch
    good = T.critic_loss_terms(Linear([1.5, 2.0]), real, fake, r_t=0.5)  # w > 0: the schedule uses r_t
    text = T.loss_terms_note(good, 0.5, w1=2.0)
    assert "ICVP's rows use r_t = 0.5" in text and "negative" not in text
    wrong = T.critic_loss_terms(Linear([-1.5, -2.0]), real, fake, r_t=0.5)  # scores the fakes above the reals
    text = T.loss_terms_note(wrong, 0.5, w1=2.0)
    assert "is negative: on this batch it scores the generated points above the real ones" in text
    assert "its rows show r_t = 1, not the r_t = 0.5 asked for" in text
    tiny = [{**wrong[0], "w": -1.6e-5}] + wrong[1:]
    assert "|w| is 8e-06 times W1: the critic's slope is far below 1" in T.loss_terms_note(tiny, 0.5, w1=2.0)


# -- theory checks: Kantorovich-Rubinstein in 1-D, Proposition 1, the feedback loop -----------------


def test_w1_three_ways_agree():
    rng = np.random.default_rng(0)
    p, q = rng.normal(size=40), rng.normal(size=40) * 2 + 1
    r = T.w1_three_ways(p, q)
    for k in ("linear programme", "CDF integral", "dual"):
        assert r[k] == pytest.approx(r["primal"], rel=1e-6), k
    assert np.all(np.abs(np.diff(r["f_star"])) <= np.diff(r["grid"]) + 1e-12)  # f* is 1-Lipschitz
    with pytest.raises(ValueError, match="same size"):
        T.w1_three_ways([0, 1], [0, 1, 2])


def test_point_masses_and_disjoint_supports():
    """The derivation exercise of 01: W1 between two point masses is their distance; JS of disjoint supports is log 2."""
    assert T.w1_exact(np.array([[0.0, 0.0]]), np.array([[3.0, 4.0]])) == pytest.approx(5.0)
    assert T.js_discrete([0.5, 0.5, 0, 0], [0, 0, 0.2, 0.8]) == pytest.approx(math.log(2))
    assert T.js_discrete([1, 2], [1, 2]) == pytest.approx(0.0)


def test_proposition1_example_is_optimal_and_slope_one():
    ex = T.proposition1_example(n=12)
    assert ex["dual"] == pytest.approx(ex["w1"], rel=1e-9)  # f* = <x, v> attains W1
    assert sorted(ex["partner"]) == list(range(12))
    seg = ex["real"][ex["partner"]] - ex["fake"]
    np.testing.assert_allclose(seg / np.linalg.norm(seg, axis=1, keepdims=True), np.tile(ex["v"], (12, 1)), atol=1e-9)


def test_feedback_slope_fixed_point():
    for w1 in (0.3, 0.1, 0.01):
        r = T.feedback_slope(w1, d_ref=1.0, lambda_max=0.1)
        assert r["w"] == pytest.approx(w1 * T.penalty_optimum(w1, r["lambda"]), rel=1e-9)  # a fixed point
        assert r["g"] == pytest.approx((1 + math.sqrt(1 + 2 / 0.1)) / 2, rel=1e-9)  # gamma 1: constant slope
    g2 = [T.feedback_slope(w1, 1.0, 0.1, gamma=2.0)["g"] for w1 in (0.2, 0.05, 0.01)]
    assert g2[0] < g2[1] < g2[2]  # gamma 2: the slope grows as the distributions meet
    assert T.feedback_slope(0.01, 1.0, 0.1, lambda_min=0.05)["g"] == pytest.approx(1 + 0.01 / 0.1, rel=0.01)
    with pytest.raises(ValueError, match="must be > 0"):
        T.feedback_slope(0.0, 1.0, 0.1)


# -- the implementation exercise: the buggy gradient penalties ----------------------------------------


def test_the_library_penalty_passes_every_check():
    def mine(critic, real, fake):
        x_hat, _ = T.M.interpolation_point(real, fake)
        return T.M.gradient_penalty(critic, x_hat)[0], x_hat

    assert all(r["passed"] for r in T.check_gradient_penalty(mine))


@pytest.mark.parametrize("name, fails", [("A", {"x_hat on the segments, one eps per sample"}),
                                         ("B", {"linear critic, ||grad D|| = 2: penalty 1"}),
                                         ("C", {"linear critic, ||grad D|| = 2: penalty 1"}),
                                         ("D", {"the penalty's gradient reaches the critic's weights"})])
def test_each_buggy_penalty_fails_its_check(name, fails):
    rows = T.check_gradient_penalty(T.BUGGY_PENALTIES[name])
    failed = {r["check"] for r in rows if not r["passed"]}
    assert fails <= failed and len(failed) < len(rows), (name, failed)


def test_a_crashing_penalty_is_reported_not_raised():
    rows = T.check_gradient_penalty(lambda critic, real, fake: 1 / 0)
    assert rows == [{"check": "runs and returns (penalty, x_hat)", "passed": False,
                     "detail": "ZeroDivisionError: division by zero"}]


def test_batch_norm_couples_the_samples():
    assert T.batch_dependence(T.toy_critic("none")) < 1e-6
    assert T.batch_dependence(T.toy_critic("layer")) < 1e-6
    assert T.batch_dependence(T.toy_critic("batch")) > 1e-3


# -- 01: clipping ---------------------------------------------------------------------------------


def test_share_at_bounds_and_the_first_clip():
    from ganlib.config import Config

    m = torch.nn.Linear(4, 1)
    with torch.no_grad():
        m.weight.copy_(torch.tensor([[0.01, -0.01, 0.0, 0.005]]))
        m.bias.fill_(-0.0099)
    assert T.share_at_bounds(m, 0.01) == pytest.approx(3 / 5)
    # PyTorch draws a Linear layer's weights and biases from U(-1/sqrt(fan_in), 1/sqrt(fan_in)):
    # the first clip sends the share 1 - c sqrt(fan_in) of each layer to +-c.
    cfg = Config(method="wgan", dataset="8gaussians", width=32, clip_value=0.05)
    sizes = [(2, 32), (32, 32), (32, 32), (32, 1)]
    n = sum(i * o + o for i, o in sizes)
    expected = sum((i * o + o) * max(0.0, 1 - 0.05 * math.sqrt(i)) for i, o in sizes) / n
    assert T.initial_share_at_bounds(cfg) == pytest.approx(expected, abs=0.04)


# -- 02: the penalty's slope ----------------------------------------------------------------------


def test_penalty_optimum_is_the_minimum_of_the_one_dimensional_loss():
    w1, lam = 0.37, 0.15
    g = np.linspace(0, 10, 100001)
    assert T.penalty_optimum(w1, lam) == pytest.approx(g[np.argmin(-g * w1 + lam * (g - 1) ** 2)], abs=1e-3)
    assert T.penalty_optimum(w1, T.lambda_for_slope(w1, 1.1)) == pytest.approx(1.1)
    with pytest.raises(ValueError, match="lambda must be > 0; got 0"):
        T.penalty_optimum(w1, 0)
    with pytest.raises(ValueError, match="slope must be > 1; got 1"):
        T.lambda_for_slope(w1, 1.0)


def test_grad_norm_stats_of_a_linear_critic(batch):
    real, fake = batch
    s = T.grad_norm_stats(Linear([0.6, 0.8]), real, fake, lam=0.1)  # slope 1 everywhere
    for k in ("real", "fake", "x_hat"):
        assert s[k] == pytest.approx(1.0, rel=1e-5)
    assert s["predicted"] == pytest.approx(1 + s["w1"] / 0.2)


def test_grad_norm_conclusion_says_whether_the_model_explains_the_run():
    base = dict(real=2.0, fake=2.9, w1=0.3, **{"lambda": 0.1}, lambda_needed=1.5)
    near = T.grad_norm_conclusion({**base, "x_hat": 2.4, "predicted": 2.5}, 200)
    assert "2.40 at the interpolates" in near and "predicts the slope 2.50, within 4%" in near and "too weak" in near
    assert "a heuristic for a trained network" in near
    assert "at least W1 / (2 x 0.1) = 1.5" in near
    far = T.grad_norm_conclusion({**base, "x_hat": 0.7, "predicted": 2.5}, 30)
    assert "does not explain this run" in far and "after 30 iterations" in far and "too weak" not in far
    assert "still far from converged" not in far  # a reason the numbers do not show is offered as a possibility
    strong = T.grad_norm_conclusion({**base, "x_hat": 1.03, "predicted": 1.02, "lambda": 10.0}, 200)
    assert "1.03 at the interpolates x_hat (2.00 at real, 2.90 at generated points), within 10% of 1" in strong
    assert "holds the slope near 1" in strong and "too weak" not in strong
    assert "Here lambda = 10 is at least W1 / (2 x 0.1) = 1.5, enough in this model" in strong
    assert "must be at least" not in strong


# -- 03 and 07: the schedule ----------------------------------------------------------------------


def test_schedule_conclusion():
    flat = [{"iter": i, "r_t": 1.0 - 0.001 * i, "lambda_t": 0.1} for i in range(1, 31)]
    assert "too short" in T.schedule_conclusion(flat, 0.1)
    falling = [{"iter": i, "r_t": r, "lambda_t": 10 * r} for i, r in enumerate([1.0, 0.8, 0.6, 0.45, 0.3], 1)]
    text = T.schedule_conclusion(falling, 10.0, label="band")
    assert text.startswith("band: r_t ended at 0.30") and "eps ~ U[0.70, 1] at the end" in text and "(30% of" in text
    assert "first fell below 0.5 at generator iteration 4" in text
    assert "eps = 0.70" not in text  # band: eps is the band's lower end, not one point
    det = T.schedule_conclusion(falling, 10.0, label="deterministic")
    assert "the penalty point ended at eps = 0.70 of the way from the fakes to the reals" in det
    # "never fell below 0.5, so the penalty kept at least half its weight" was wrong for gamma != 1
    squared = [{"iter": i, "r_t": r, "lambda_t": 10 * r ** 2} for i, r in enumerate([1.0, 0.8, 0.6], 1)]
    text = T.schedule_conclusion(squared, 10.0)
    assert "r_t never fell below 0.5, and lambda_t never below 3.6 (36% of lambda_max = 10)" in text
    assert "near the fakes" in T.schedule_conclusion(flat, 0.1, label="deterministic")
    assert "WGAN-GP's whole segment" in T.schedule_conclusion(flat, 0.1, label="band")


def test_warmup_in_generator_iterations():
    assert T.warmup_in_generator_iterations(910, 5, 200) == \
        "T_w = 910 critic steps = 182 generator iterations (91% of a 200-iteration run)"
    assert T.warmup_in_generator_iterations(2000, 5, 200).endswith(
        "= 400 generator iterations (longer than the whole 200-iteration run: r_t = 1 throughout)")


def test_training_conclusion():
    assert "press train" in T.training_conclusion({})
    res = {"floor": 0.1, "icvp": {"iters": [1, 10, 20], "w1": [1.0, 0.5, 0.3]},
           "wgan-gp": {"iters": [1, 10, 20], "w1": [1.0, 0.6, 0.4]}}
    assert "Neither run came within" in T.training_conclusion(res)
    assert "No run came within" in T.training_conclusion({**res, "agp": {"iters": [1, 20], "w1": [1.0, 0.5]}})
    assert "never fell below" not in T.training_conclusion(res)
    res["icvp"]["log"] = [{"r_t": 1.0}, {"r_t": 0.95}]
    assert "r_t never fell below 0.9" in T.training_conclusion(res)
    res["icvp"]["w1"][-1], res["wgan-gp"]["w1"][1:] = 0.15, [0.19, 0.12]
    text = T.training_conclusion(res)
    assert "wgan-gp first reached 2x the floor" in text and "at iteration 10" in text and "anecdote" in text


# -- 04: modes ------------------------------------------------------------------------------------


def test_count_modes():
    real = T.toy_real("8gaussians", 2000, seed=0)
    assert T.count_modes(real, "8gaussians")["covered"] == 8
    centres, sd = T.toy_centres("8gaussians")
    one = torch.as_tensor(centres[[2]], dtype=torch.float32).repeat(500, 1)
    assert T.count_modes(one, "8gaussians") == {"covered": 1, "modes": 8, "high_quality": 1.0}
    assert T.count_modes(torch.zeros(100, 2), "8gaussians")["covered"] == 0
    assert T.count_modes(T.toy_real("25gaussians", 5000, seed=0), "25gaussians")["covered"] == 25
    with pytest.raises(ValueError, match="8gaussians and 25gaussians; got 'swissroll'"):
        T.toy_centres("swissroll")


# -- the exercises' schedule solution on the shipped trace ----------------------------------------


def test_exercise_schedule_outcomes():
    from ganlib.notebook.widgets import load_trace

    ex = T.exercise_schedule(load_trace()["w_t"])
    warm = ex["warmup"]
    assert warm[0]["final d_ref"] > 3 * warm[1]["final d_ref"]  # T_w = 0 locks onto the transient
    assert warm[0]["lowest r_t"] < warm[1]["lowest r_t"]
    assert T.trend([r["mean lambda_t / lambda_max"] for r in ex["gamma"]], increasing=False) == "yes"
    assert T.trend([r["sd of r_t steps"] for r in ex["beta"]], increasing=False) == "yes"
    assert T.trend([3, 1, 2], increasing=False).startswith("not monotone")


# -- the notebooks ---------------------------------------------------------------------------------

TEACHING = ["00", "01", "02", "03", "07"]
WITH_EXERCISES = ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11"]


def _nb(prefix):
    path = next(NOTEBOOKS.glob(f"{prefix}_*.ipynb"))
    return nbformat.read(path, as_version=4)


@pytest.mark.parametrize("prefix", TEACHING[1:])
def test_every_figure_records_a_computed_conclusion(prefix):
    cells = [c for c in _nb(prefix).cells if c.cell_type == "code"]
    saving = [i for i, c in enumerate(cells) if "save_figure(" in c.source]
    drawing = [i for i, c in enumerate(cells) if "training_figure(" in c.source or "static_figure(" in c.source]
    assert saving or drawing, prefix
    for i in drawing:  # the explorer's figures: the conclusion is computed in the next cell
        assert "Conclusion" in cells[i + 1].source and "teaching." in cells[i + 1].source, prefix
    for i in saving:
        assert "conclusion=" in cells[i].source, f"{prefix}: a figure without its conclusion"
        assert "Conclusion" in cells[i + 1].source, f"{prefix}: the conclusion is not shown after the figure"


@pytest.mark.parametrize("prefix", WITH_EXERCISES)
def test_exercises_have_expectations_and_collapsed_solutions(prefix):
    nb = _nb(prefix)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "## Exercise" in text and "What to expect" in text, prefix
    solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert any(c.cell_type == "code" for c in solutions), f"{prefix}: no solution that runs"
    for c in solutions:  # folded in JupyterLab; the offline template folds them in the HTML (test_report_cells.py)
        assert c.metadata.get("jupyter", {}).get("source_hidden") is True, prefix
    for c in nb.cells:  # no answer given away outside a folded solution
        if "solution" not in c.metadata.get("tags", []):
            assert "*Answer:*" not in c.source and "**Solution" not in c.source, prefix


def test_the_course_has_a_derivation_and_an_implementation_exercise():
    md = {p: "\n".join(c.source for c in _nb(p).cells if c.cell_type == "markdown") for p in WITH_EXERCISES}
    derivations = [p for p, text in md.items() if "(Derivation)" in text]
    assert {"01", "02", "03"} <= set(derivations)
    assert "**4. (Implementation) Find the bug.**" in md["02"] and "What to expect" in md["02"]
    code = "\n".join(c.source for c in _nb("02").cells if "solution" in c.metadata.get("tags", []))
    assert "check_gradient_penalty(my_penalty)" in code and "BUGGY_PENALTIES" in code


def test_theory_is_in_the_notebooks():
    md = {p: "\n".join(c.source for c in _nb(p).cells if c.cell_type == "markdown") for p in ("01", "02", "03")}
    assert "Kantorovich-Rubinstein" in md["01"] and r"\inf_{\gamma \in \Pi" in md["01"] and "1-Lipschitz" in md["01"]
    assert "Jensen-Shannon" in md["01"] and "log 2" in md["01"]
    assert "Proposition 1" in md["02"] and "interpolates" in md["02"]
    assert "R1" in md["03"] and "toward the reals" in md["03"] and r"\lambda_{min}" in md["03"]
    # issue 25: duality in 1-D, Proposition 1's orientation and picture, the slope model as a heuristic, the
    # ablations defined where they are first used, the feedback loop, the glossary
    assert r"\lvert F_P(x) - F_Q(x) \rvert" in md["01"] and "w1_three_ways" in md["01"]
    assert "toward the real end" in md["02"] and "$t = 1$ the real" in md["02"] and "heuristic, not a theorem" in md["02"]
    assert any("proposition1_figure" in c.source for c in _nb("02").cells)
    assert "`icvp-eps`: step 4 only" in md["03"] and "`icvp-lambda`: step 5 only" in md["03"]
    assert "## 3. The feedback loop" in md["03"] and "negative** feedback" in md["03"]
    for term in ("**Paired by seed.**", "**AUC and AUC difference.**", "**Margin**", "**Censored.**",
                 "**Classifier FID.**", "**SWD.**"):
        assert term in md["03"], term
    # statements a teacher corrected
    assert "Note how small" not in md["01"] and "each of the four layers scales its output by about $c$" not in md["01"]
    assert "ICVP is shown at $r_t = 0.5$" not in md["01"]


def test_the_offline_explorer_says_its_sliders_need_a_kernel_and_shows_the_static_figure():
    cells = _nb("07").cells
    show = next(i for i, c in enumerate(cells) if "ex.show()" in c.source)
    assert "Sliders need a live kernel" in cells[show - 1].source
    static = next(i for i, c in enumerate(cells) if "static_figure(" in c.source)
    assert static - show <= 2 and "static figure" in cells[show + 1].source
    for p in ("01", "02", "03"):
        assert any("show_critic_losses" in c.source for c in _nb(p).cells), p


def _result(finals_by_method, reach, curves, diffs=None, seeds=3, threshold=0.5):
    """A minimal ganlib.harness.compare.summarise result: per-method finals, iterations to threshold and mean curves;
    ``diffs``: ``{"a vs b": paired AUC differences}``, decided by the rule (margin 0.05)."""
    from ganlib.stats import decide

    per = {m: {"final": f, "iters_to_threshold": reach[m],
               "curve": {str(i): {"mean": v} for i, v in zip((0, 100, 200), curves[m])}}
           for m, f in finals_by_method.items()}
    return {"dataset": "toy", "metric": "w1", "iters": 200, "threshold": threshold, "per_method": per,
            "paired": {k: {"auc": decide(d, 0.05).as_dict()} for k, d in (diffs or {}).items()}, "seeds": seeds}


def test_curves_conclusion_is_computed_from_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan-gp": [0.5, 0.7]}, {"icvp": [100, 200], "wgan-gp": [None, None]},
                {"icvp": [2.0, 1.0, 0.25], "wgan-gp": [2.0, 0.6, 0.6]},
                {"icvp vs wgan-gp": [-1.0, -1.1, -0.9]})
    text = T.curves_conclusion(r, "8 Gaussians")
    assert "mean final w1 icvp 0.25, wgan-gp 0.6" in text and "icvp lowest" in text
    assert "every seed of icvp reached it (the only method whose every seed did), at iteration 150" in text
    assert "never reached by wgan-gp" in text
    assert "icvp vs wgan-gp faster" in text
    assert "1 of 2 mean curves were still falling" in text  # icvp's last value is its lowest; wgan-gp flat
    swapped = T.curves_conclusion(_result({"icvp": [0.9], "wgan-gp": [0.1]}, {"icvp": [None], "wgan-gp": [100]},
                                                 {"icvp": [2, 1, 1.2], "wgan-gp": [2, 1, 1.1]}, seeds=1))
    assert "wgan-gp lowest" in swapped and "still falling" not in swapped
    assert "With one seed per method there is no spread to measure: no interval" in swapped
    assert "intervals are wide" not in swapped
    tie = T.curves_conclusion(_result({"a": [0.1], "b": [0.1]}, {"a": [100], "b": [100]},
                                             {"a": [2, 1, 0.1], "b": [2, 1, 0.1]}))
    assert "every seed of every method reached it, each at iteration 100 on average: a tie" in tie
    assert "a and b tie for lowest" in tie and "the earliest" not in tie


def test_curves_conclusion_threshold_cases():
    """Who reached the threshold: a five-way tie at the first evaluation, an earliest with the rest listed,
    methods reached by some seeds only (not 'never'), and none with every seed."""
    five = {m: [0.2, 0.2] for m in "abcde"}
    tie = T.curves_conclusion(_result(five, {m: [100, 100] for m in five}, {m: [2, 1, 0.9] for m in five}))
    assert "every seed of every method reached it, each at iteration 100 on average: a tie at the first evaluation " \
           "after the start (evaluations every 100 iterations cannot order reaches within one interval)" in tie
    assert "the earliest of the methods" not in tie and "a, b, c, d and e tie for lowest" in tie
    order = T.curves_conclusion(_result({"a": [0.1], "b": [0.2], "c": [0.3], "d": [0.4]},
                                        {"a": [100], "b": [100], "c": [200], "d": [None]},
                                        {m: [2, 1, 0.9] for m in "abcd"}, seeds=3))
    assert "every seed of a, b and c reached it; earliest a and b (tied), at iteration 100 on average, then c 200" in order
    assert "never reached by d." in order
    some = T.curves_conclusion(_result({"a": [0.1, 0.2], "b": [0.3, 0.4]}, {"a": [100, None], "b": [None, None]},
                                       {m: [2, 1, 0.9] for m in "ab"}))
    assert "no method reached it with every seed; reached by some seeds only: a; never reached by b." in some


def test_curves_conclusion_seeds_and_the_long_study(monkeypatch):
    """One seed: no interval at all (not 'wide intervals'); two seeds: the t quantile; the long study is named
    for a data set it covers only, with how much of it is stored."""
    r = _result({"a": [0.1, 0.2], "b": [0.3, 0.4]}, {"a": [100, 100], "b": [200, 200]},
                {m: [2, 1, 0.9] for m in "ab"}, seeds=2)
    text = T.curves_conclusion(r)
    assert "With 2 seeds per method each 95% interval reaches 12.7 standard errors either side" in text
    assert "notebook 09" not in text and "more seeds would decide them" in text  # "toy" is in no long part
    monkeypatch.setattr(T, "_long_study", lambda ds, profile="long": ("the long study (notebook 09; part x)", 3, 15))
    assert "the long study (notebook 09; part x) is designed to decide them" in T.curves_conclusion(r)
    monkeypatch.setattr(T, "_long_study", lambda ds, profile="long": ("the long study (notebook 09; part x)", 15, 15))
    assert "is the evidence for this data set" in T.curves_conclusion(r)
    assert "With" not in T.curves_conclusion({**r, "seeds": 3}).split("iterations only.")[-1]


def test_long_study_note_reads_the_store(tmp_path, monkeypatch):
    import json

    from ganlib.harness import study

    part = study.Part("p", "celeba", {"icvp": 2, "wgan": 1}, 100, 2)
    monkeypatch.setitem(study.STUDIES, "long", [part])
    monkeypatch.setattr(study, "RESULTS", tmp_path)
    assert T.long_study_note("mnist") == ""
    assert "none of its runs stored yet" in T.long_study_note("celeba")
    run = tmp_path / "long" / "p" / "runs" / "icvp-seed0"
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"status": "finished", "iter": 100}))
    assert "part p: 2 seeds per method, 100 generator iterations, 1 of its 3 runs stored so far" in T.long_study_note("celeba")


def test_ranked_calls_ties_ties():
    listed, low, high = T.ranked({"a": 122.4, "b": 123.1, "c": 122.6, "d": 142.0})
    assert listed == "a 122, c 123, b 123, d 142" and low == ["a"] and high == ["d"]
    assert T.ranked({"a": 1.0, "b": 1.0004})[1] == ["a", "b"]
    assert T.names(["a"]) == "a" and T.names("ab") == "a and b" and T.names("abc") == "a, b and c"


def test_samples_and_modes_conclusions_name_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan": [0.9, 0.1]}, {"icvp": [1, 1], "wgan": [1, 1]},
                {"icvp": [1, 1, 1], "wgan": [1, 1, 1]})
    assert T.samples_conclusion(r, seed=0).startswith("Seed 0's final w1: icvp 0.2, wgan 0.9.")
    assert "wgan's samples are the closest" in T.samples_conclusion(r, seed=1)
    rows = [{"data": "8gaussians", "samples of": "real data", "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "icvp", "iteration": 200, "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "wgan", "iteration": 200, "covered": 5, "modes": 8}]
    text = T.modes_conclusion(rows)
    assert "real data covers 8/8 modes; icvp 8, wgan 5 (as many as the real data: icvp)" in text
    tie = T.samples_conclusion(_result({"a": [122.4], "b": [122.2], "c": [142.0]}, {m: [1] for m in "abc"},
                                       {m: [1, 1, 1] for m in "abc"}))
    assert "the samples of b and a (tied) are the closest to the data and c's the farthest" in tie


def test_modes_conclusion_tells_none_from_not_all():
    real = {"data": "8gaussians", "samples of": "real data", "covered": 8, "modes": 8, "high_quality": 0.99}
    gen = lambda m, k, hq=0.5: {"data": "8gaussians", "samples of": m, "iteration": 200, "covered": k,  # noqa: E731
                                "modes": 8, "high_quality": hq}
    none = T.modes_conclusion([real, gen("wgan", 0, 0.0025), gen("icvp", 0, 0.0155)])
    assert "no generator covers any mode yet: at most 1.6% of a generator's samples lie within 3 sd" in none
    assert "covers them all" not in none
    assert "(none covers as many as the real data)" in T.modes_conclusion([real, gen("wgan", 3), gen("icvp", 5)])
    assert "(every generator covers as many modes as the real data)" in T.modes_conclusion([real, gen("icvp", 8)])


def test_tuning_conclusions_count_verdicts_and_divergences():
    from ganlib.harness import tuning

    tips = {"tips": [{"tip": "Use Adam", "verdicts": [{"claim": "adam lower", "verdict": "holds"}]},
                     {"tip": "Batch size", "verdicts": [{"claim": "64 lower", "verdict": "inconclusive"},
                                                        {"claim": "16 unstable", "verdict": "does not hold"}]}]}
    text = tuning.tips_conclusion(tips, 80)
    assert text.startswith("At 80 generator iterations, of 3 tested claims 1 hold, 1 do not hold and 1 are inconclusive")
    assert "Tips that hold as stated: Use Adam (adam lower); Batch size" not in text
    assert "Tips that hold as stated: Use Adam (adam lower)." in text
    pooled = {"icvp": {"runs": 10, "diverged": 0, "failed": 0}, "wgan": {"runs": 8, "diverged": 2, "failed": 1}}
    assert tuning.divergence_conclusion(pooled) == ("Runs that diverged or failed: wgan 3/8; every other method "
                                                    "finished all its runs (18 runs in all).")
    pooled["wgan"].update(diverged=0, failed=0)
    assert tuning.divergence_conclusion(pooled).startswith("None of the 18 runs")
    pooled = {"icvp": {"runs": 4, "diverged": 1, "failed": 0}, "wgan": {"runs": 4, "diverged": 0, "failed": 2}}
    assert tuning.divergence_conclusion(pooled).endswith("; every method had at least one (8 runs in all).")


def test_tips_are_judged_as_stated_or_say_what_was_tested_instead():
    """A stand-in claim that holds ('the learning rate changes the final W1') is never reported as its tip
    ('the learning rate is the most important hyperparameter') holding."""
    from ganlib.harness import tuning

    lr = {"tip": "The learning rate is the most important hyperparameter.", "verdicts": [
        {"claim": "the learning rate changes the final W1", "verdict": "holds", "instead": "any factor may change it"},
        {"claim": "it matters more than any other tested factor", "verdict": "inconclusive"}]}
    bn = {"tip": "Batch normalisation stabilises training.", "verdicts": [
        {"claim": "a batch-normalised generator beats one without", "verdict": "holds",
         "instead": "stability is not measured: a lower final FID is tested instead"}]}
    text = tuning.tips_conclusion({"tips": [lr, bn]}, 40)
    assert "1 of them test their tip as stated; 2 test a stand-in" in text
    assert "No tip holds as stated at this budget." in text and "holds for" not in text
    assert ("Stand-ins that hold, which do not establish their tip: 'the learning rate changes the final W1', "
            "standing in for 'The learning rate is the most important hyperparameter.' (any factor may change it; "
            "the tip as stated, 'it matters more than any other tested factor': inconclusive)") in text
    assert "'a batch-normalised generator beats one without', standing in for 'Batch normalisation stabilises " \
           "training.' (stability is not measured: a lower final FID is tested instead)" in text


def test_tips_json_marks_every_weakened_claim():
    from ganlib.harness import tuning

    doc = tuning.load_tips()
    instead = {c["claim"] for t in doc["tips"] for c in t["claims"] if c.get("instead")}
    assert {"the learning rate changes the final W1", "a batch-normalised generator beats one without",
            "the batch size changes the final W1"} <= instead
    assert "it matters more than any other tested factor" not in instead


def test_one_seed_shows_no_spread():
    from ganlib.harness import tuning

    summary = {"configs": [{"params": {"lr_g": 0.001}, "mean": 0.5, "sd": 0.0, "n": 1, "seeds": 1, "diverged": 0,
                            "failed": 0}, {"params": {"lr_g": 0.01}, "mean": 0.4, "sd": 0.02, "n": 3, "seeds": 3,
                                           "diverged": 0, "failed": 0}]}
    text = tuning._numbers(summary)
    assert "0.5 (one seed: no spread)" in text and "± 0<" not in text and "0.4 ± 0.02" in text


def test_clipping_conclusion_speaks_of_percentage_points(monkeypatch):
    """'pulled 20% back' meant 20 percentage points: the sentence says points, and they match the shares printed."""
    from types import SimpleNamespace

    run = SimpleNamespace(cfg=SimpleNamespace(clip_value=0.01), it=200, D=torch.nn.Linear(2, 1))
    monkeypatch.setattr(T, "share_at_bounds", lambda module, c: 0.5651)
    monkeypatch.setattr(T, "initial_share_at_bounds", lambda cfg: 0.7651)  # printed 77% and 57%: 20 points
    monkeypatch.setattr(T, "median_grad_norm", lambda critic, x: 0.001)
    text = T.clipping_conclusion(run, torch.zeros(4, 2))
    assert "moved 20 percentage points of them back inside (from 77% to 57%)" in text
    monkeypatch.setattr(T, "share_at_bounds", lambda module, c: 0.768)
    assert "has not changed that share by one percentage point" in T.clipping_conclusion(run, torch.zeros(4, 2))
    monkeypatch.setattr(T, "share_at_bounds", lambda module, c: 0.9)
    assert "moved 13 percentage points more of them there (from 77% to 90%)" in T.clipping_conclusion(run, torch.zeros(4, 2))
