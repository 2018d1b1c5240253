"""ganlib.notebook.teaching: the losses on screen, the numeric demonstrations, the single-run conclusions; and the
notebooks that use them (tests/test_conclusions.py and tests/test_exercises.py test the other two modules).

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
        assert "Conclusion" in cells[i + 1].source and re.search(r"\b(teaching|conclusions)\.", cells[i + 1].source), prefix
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
