"""ganlib.teaching: the losses on screen, the computed conclusions, the exercises; and the notebooks that use them.

The conclusions are checked against cases whose answer is known in closed form (a linear critic has the same
gradient everywhere; two parallel segments have JS = log 2 and W1 = |theta|), so a wrong number or a sentence
that ignores its input fails.
"""

import html
import math

import nbformat
import numpy as np
import pytest
import torch

from ganlib import teaching as T
from ganlib.methods import Method
from ganlib.reproduce import NOTEBOOKS


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
    assert page.count("2px solid") == 1  # the highlighted column
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
    assert "2.40 at the interpolates" in near and "= 2.50, within 4%" in near and "too weak" in near
    assert "at least W1 / (2 x 0.1) = 1.5" in near
    far = T.grad_norm_conclusion({**base, "x_hat": 0.7, "predicted": 2.5}, 30)
    assert "not at the optimum" in far and "30 iterations" in far and "too weak" not in far


# -- 03 and 07: the schedule ----------------------------------------------------------------------


def test_schedule_conclusion():
    flat = [{"iter": i, "r_t": 1.0 - 0.001 * i, "lambda_t": 0.1} for i in range(1, 31)]
    assert "too short" in T.schedule_conclusion(flat, 0.1)
    falling = [{"iter": i, "r_t": r, "lambda_t": 10 * r} for i, r in enumerate([1.0, 0.8, 0.6, 0.45, 0.3], 1)]
    text = T.schedule_conclusion(falling, 10.0, label="band")
    assert text.startswith("band: r_t ended at 0.30") and "eps = 0.70" in text and "(30% of" in text
    assert "first fell below 0.5 at generator iteration 4" in text


def test_warmup_in_generator_iterations():
    assert T.warmup_in_generator_iterations(910, 5, 200) == \
        "T_w = 910 critic steps = 182 generator iterations (91% of a 200-iteration run)"


def test_training_conclusion():
    assert "press train" in T.training_conclusion({})
    res = {"floor": 0.1, "icvp": {"iters": [1, 10, 20], "w1": [1.0, 0.5, 0.3]},
           "wgan-gp": {"iters": [1, 10, 20], "w1": [1.0, 0.6, 0.4]}}
    assert "too short to converge" in T.training_conclusion(res)
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
    from ganlib.widgets import load_trace

    ex = T.exercise_schedule(load_trace()["w_t"])
    warm = ex["warmup"]
    assert warm[0]["final d_ref"] > 3 * warm[1]["final d_ref"]  # T_w = 0 locks onto the transient
    assert warm[0]["lowest r_t"] < warm[1]["lowest r_t"]
    assert T.trend([r["mean lambda_t / lambda_max"] for r in ex["gamma"]], increasing=False) == "yes"
    assert T.trend([r["sd of r_t steps"] for r in ex["beta"]], increasing=False) == "yes"
    assert T.trend([3, 1, 2], increasing=False).startswith("not monotone")


# -- the notebooks ---------------------------------------------------------------------------------

TEACHING = ["00", "01", "02", "03", "07"]
WITH_EXERCISES = ["01", "02", "03", "04", "07"]


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
    assert solutions, prefix
    for c in solutions:
        assert c.cell_type == "code" and c.metadata.get("jupyter", {}).get("source_hidden") is True


def test_theory_is_in_the_notebooks():
    md = {p: "\n".join(c.source for c in _nb(p).cells if c.cell_type == "markdown") for p in ("01", "02", "03")}
    assert "Kantorovich-Rubinstein" in md["01"] and r"\inf_{\gamma \in \Pi" in md["01"] and "1-Lipschitz" in md["01"]
    assert "Jensen-Shannon" in md["01"] and "log 2" in md["01"]
    assert "Proposition 1" in md["02"] and "interpolates" in md["02"]
    assert "R1" in md["03"] and "toward the reals" in md["03"] and r"\lambda_{min}" in md["03"]
    for p in ("01", "02", "03"):
        assert any("show_critic_losses" in c.source for c in _nb(p).cells), p


def _result(finals_by_method, reach, curves, verdicts=None, seeds=3, threshold=0.5):
    """A minimal ganlib.compare.summarise result: per-method finals, iterations to threshold and mean curves."""
    per = {m: {"final": f, "iters_to_threshold": reach[m],
               "curve": {str(i): {"mean": v} for i, v in zip((0, 100, 200), curves[m])}}
           for m, f in finals_by_method.items()}
    return {"dataset": "toy", "metric": "w1", "iters": 200, "threshold": threshold, "per_method": per,
            "verdicts": verdicts or {}, "seeds": seeds}


def test_curves_conclusion_is_computed_from_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan-gp": [0.5, 0.7]}, {"icvp": [100, 200], "wgan-gp": [None, None]},
                {"icvp": [2.0, 1.0, 0.25], "wgan-gp": [2.0, 0.6, 0.6]},
                {"icvp vs wgan-gp": "faster (AUC difference -1, ...)"})
    text = T.curves_conclusion(r, "8 Gaussians")
    assert "mean final w1 icvp 0.25, wgan-gp 0.6" in text and "icvp lowest" in text
    assert "every seed of icvp reached it, at iteration 150" in text and "never reached by wgan-gp" in text
    assert "icvp vs wgan-gp faster" in text
    assert "1 of 2 mean curves were still falling" in text  # icvp's last value is its lowest; wgan-gp flat
    swapped = T.curves_conclusion(_result({"icvp": [0.9], "wgan-gp": [0.1]}, {"icvp": [None], "wgan-gp": [100]},
                                                 {"icvp": [2, 1, 1.2], "wgan-gp": [2, 1, 1.1]}, seeds=1))
    assert "wgan-gp lowest" in swapped and "still falling" not in swapped and "With 1 seed(s)" in swapped
    tie = T.curves_conclusion(_result({"a": [0.1], "b": [0.1]}, {"a": [100], "b": [100]},
                                             {"a": [2, 1, 0.1], "b": [2, 1, 0.1]}))
    assert "every seed of a and b reached it" in tie


def test_samples_and_modes_conclusions_name_the_numbers():
    r = _result({"icvp": [0.2, 0.3], "wgan": [0.9, 0.1]}, {"icvp": [1, 1], "wgan": [1, 1]},
                {"icvp": [1, 1, 1], "wgan": [1, 1, 1]})
    assert T.samples_conclusion(r, seed=0).startswith("Seed 0's final w1: icvp 0.2, wgan 0.9.")
    assert "wgan's samples are the closest" in T.samples_conclusion(r, seed=1)
    rows = [{"data": "8gaussians", "samples of": "real data", "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "icvp (iteration 200)", "covered": 8, "modes": 8},
            {"data": "8gaussians", "samples of": "wgan (iteration 200)", "covered": 5, "modes": 8}]
    text = T.modes_conclusion(rows)
    assert "real data covers 8/8 modes; icvp 8, wgan 5 (all modes: icvp)" in text


def test_tuning_conclusions_count_verdicts_and_divergences():
    from ganlib import tuning

    tips = {"tips": [{"tip": "Use Adam", "verdicts": [{"claim": "adam lower", "verdict": "holds"}]},
                     {"tip": "Batch size", "verdicts": [{"claim": "64 lower", "verdict": "inconclusive"},
                                                        {"claim": "16 unstable", "verdict": "does not hold"}]}]}
    text = tuning.tips_conclusion(tips, 80)
    assert text.startswith("At 80 generator iterations, of 3 tested claims 1 hold, 1 do not hold and 1 are inconclusive")
    assert "holds for Use Adam (adam lower)" in text
    pooled = {"icvp": {"runs": 10, "diverged": 0, "failed": 0}, "wgan": {"runs": 8, "diverged": 2, "failed": 1}}
    assert tuning.divergence_conclusion(pooled) == ("Runs that diverged or failed: wgan 3/8; every other method "
                                                    "finished all its runs (18 runs in all).")
    pooled["wgan"].update(diverged=0, failed=0)
    assert tuning.divergence_conclusion(pooled).startswith("None of the 18 runs")
