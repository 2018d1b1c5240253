"""The lambda-schedule explorer (ganlib.notebook.widgets): the plotted data is what the schedule objects compute.

Assertions read the data back from the matplotlib artists (``get_ydata``, polygon vertices), not
only from internal arrays, so they prove that the plots follow the controls.
"""

import json

import numpy as np
import pytest

import ipywidgets  # noqa: F401  (a hard dependency: a broken install must fail, not skip)

from ganlib.methods import ICVPSchedule, make_lambda_schedule  # noqa: E402
from ganlib.notebook.widgets import (  # noqa: E402
    REAL,
    SYNTHETIC,
    LambdaExplorer,
    load_trace,
    schedule_traces,
    synthetic_trace,
    trace_path,
)


@pytest.fixture(scope="module")
def explorer():
    return LambdaExplorer(train_iters=20)


@pytest.fixture
def ex(explorer):
    explorer.stop()
    explorer.join(timeout=600)  # a background run of an earlier test must not answer "already training"
    explorer.reset()
    return explorer


def y(ex, name):
    return np.asarray(ex.artists[name].get_ydata(), dtype=float)


def reference(ws, kind="distance", lambda_max=0.1, lambda_min=0.0, gamma=1.0, beta=0.9, warmup=100,
              interpolation="deterministic"):
    """The trainer's own objects, stepped by hand."""
    lam = make_lambda_schedule(kind, lambda_max, lambda_min, gamma, total=len(ws))
    return ICVPSchedule(interpolation, lam, beta=beta, warmup=warmup).run(ws)


# -- pure computation and the shipped trace ------------------------------------------------------


def test_schedule_traces_equal_the_schedule_objects():
    ws = synthetic_trace(400, seed=3)
    for kind in ("constant", "distance", "linear", "exponential", "cosine", "step"):
        tr = schedule_traces(ws, kind=kind, lambda_max=2.0, lambda_min=0.5, gamma=1.5, beta=0.8, warmup=30)
        ref = reference(ws, kind, 2.0, 0.5, 1.5, 0.8, 30)
        for key in ("d_t", "r_t", "eps_t", "lambda_t"):
            np.testing.assert_allclose(tr[key], [getattr(s, key) for s in ref], err_msg=f"{kind} {key}")
    with pytest.raises(ValueError, match="lambda_min"):
        schedule_traces(ws, lambda_max=0.1, lambda_min=0.2)


def test_shipped_trace_has_provenance_and_replays_the_training_log():
    assert trace_path().is_file()  # found through importlib.resources, i.e. inside the package
    d = load_trace()
    p = d["provenance"]
    for key in ("method", "dataset", "iters", "seed", "date", "torch", "config"):
        assert key in p
    assert (p["method"], p["dataset"]) == ("icvp", "8gaussians")
    assert len(d["w_t"]) == p["iters"] * p["n_critic"]  # one w_t per critic step
    # Replaying the recorded w_t through the rule gives back what the trainer logged.
    cfg = p["config"]
    tr = schedule_traces(d["w_t"], lambda_max=cfg["lambda_max"], lambda_min=cfg["lambda_min"], gamma=cfg["gamma"],
                         beta=cfg["ema_beta"], warmup=cfg["warmup"], interpolation=cfg["interpolation"])
    t = np.asarray(d["log"]["t"])
    for key in ("d_t", "r_t", "lambda_t"):
        np.testing.assert_allclose(tr[key][t], d["log"][key], rtol=1e-4, atol=1e-6)
    json.dumps(p)  # plain JSON


# -- the widget: controls -> plotted data ---------------------------------------------------------


def test_default_plot_is_the_rule_on_the_shipped_trace(ex):
    ws = load_trace()["w_t"]
    ref = reference(ws)
    np.testing.assert_allclose(y(ex, "w_t"), ws)
    np.testing.assert_allclose(y(ex, "lambda_t"), [s.lambda_t for s in ref])
    np.testing.assert_allclose(y(ex, "lambda_wgan_gp"), 0.1)
    assert ex.artists["band"] is None
    assert ex.schedule_image.value[:8] == b"\x89PNG\r\n\x1a\n"


def test_raising_lambda_min_lifts_every_plotted_lambda(ex):
    before = y(ex, "lambda_t")
    ex.controls["lambda_min"].value = 0.04
    lam = y(ex, "lambda_t")
    assert not np.allclose(lam, before)
    assert (lam >= 0.04 - 1e-12).all() and (lam <= 0.1 + 1e-12).all()
    np.testing.assert_allclose(lam, [s.lambda_t for s in reference(ex.ws, lambda_min=0.04)])


def test_lambda_min_never_exceeds_lambda_max(ex):
    ex.controls["lambda_min"].value = 0.08
    ex.controls["lambda_max"].value = 0.05
    assert ex.controls["lambda_min"].value <= 0.05
    assert y(ex, "lambda_t").max() <= 0.05 + 1e-12
    np.testing.assert_allclose(y(ex, "lambda_wgan_gp"), 0.05)


def test_gamma_two_squares_the_normalised_lambda(ex):
    ex.set(lambda_max=2.0, lambda_min=0.5)
    for gamma, power in ((1.0, 1), (2.0, 2)):
        ex.controls["gamma"].value = gamma
        norm = (y(ex, "lambda_t") - 0.5) / (2.0 - 0.5)
        np.testing.assert_allclose(norm, y(ex, "r_t") ** power, atol=1e-12)
    assert not np.allclose(y(ex, "r_t"), y(ex, "r_t") ** 2)  # the two curves do differ


def test_beta_changes_the_smoothed_distance(ex):
    before = y(ex, "d_t")
    ex.controls["beta"].value = 0.5
    d, w = y(ex, "d_t"), y(ex, "w_t")
    assert not np.allclose(d, before)
    ema = [w[0]]
    for x in w[1:]:
        ema.append(0.5 * ema[-1] + 0.5 * x)
    np.testing.assert_allclose(d, ema)


def test_warmup_holds_r_at_one(ex):
    ex.controls["warmup"].value = 250
    r = y(ex, "r_t")
    assert (r[:250] == 1.0).all() and (r[250:] < 1.0).any()
    assert np.isnan(y(ex, "d_ref")[:250]).all()
    np.testing.assert_allclose(y(ex, "lambda_t")[:250], 0.1)


def test_linear_kind_is_the_linear_decay(ex):
    r_before = y(ex, "r_t")
    ex.set(kind="linear", lambda_min=0.02)
    n = len(ex.ws)
    t = np.arange(n)
    np.testing.assert_allclose(y(ex, "lambda_t"), 0.1 + (0.02 - 0.1) * t / n)
    np.testing.assert_allclose(y(ex, "r_t"), r_before)  # r_t (hence eps_t) is still the distance rule
    ex.controls["kind"].value = "constant"
    np.testing.assert_allclose(y(ex, "lambda_t"), 0.1)


def test_band_mode_shades_one_minus_r_to_one(ex):
    ex.controls["interpolation"].value = "band"
    r = y(ex, "r_t")
    verts = ex.artists["band"].get_paths()[0].vertices
    n = len(r)
    lower, upper = verts[1:n + 1], verts[n + 1:]
    np.testing.assert_allclose(lower[:, 0], np.arange(n))
    np.testing.assert_allclose(lower[:, 1], 1.0 - r)
    np.testing.assert_allclose(upper[:, 1], 1.0)
    for t, seg in ex.artists["segments"]:  # the segment diagram: the interval [1 - r_t, 1]
        np.testing.assert_allclose(seg.get_xdata(), [1.0 - r[t], 1.0])


def test_deterministic_mode_marks_one_point(ex):
    eps = y(ex, "eps_t")
    np.testing.assert_allclose(eps, 1.0 - y(ex, "r_t"))
    segs = ex.artists["segments"]
    assert [t for t, _ in segs] == ex.marks() and segs[0][0] == ex.controls["cursor"].value
    for t, seg in segs:
        np.testing.assert_allclose(seg.get_xdata(), [eps[t]])
    ex.controls["cursor"].value = 1234
    assert ex.artists["segments"][0][0] == 1234


def test_synthetic_trace_and_its_noise(ex):
    ex.controls["trace"].value = SYNTHETIC
    assert not ex.controls["noise"].disabled
    np.testing.assert_allclose(y(ex, "w_t"), synthetic_trace(len(load_trace()["w_t"]), noise=0.15))
    ex.controls["noise"].value = 0.0
    np.testing.assert_allclose(y(ex, "w_t"), synthetic_trace(len(load_trace()["w_t"]), noise=0.0))
    ex.controls["trace"].value = REAL
    assert ex.controls["noise"].disabled


def test_static_figure(ex, tmp_path):
    fig = ex.static_figure(tmp_path / "f.png", display=False)
    assert (tmp_path / "f.png").read_bytes()[:4] == b"\x89PNG"
    assert len(fig.axes) >= 5


# -- the train button -----------------------------------------------------------------------------


def test_train_blocking_gives_both_w1_curves_and_samples(ex):
    ex.set(gamma=2.0, lambda_min=0.02)
    ex.train(iters=20, blocking=True)
    assert ex.error is None and "done" in ex.status.value
    for name in ("icvp", "wgan-gp"):
        res = ex.results[name]
        assert res["iters"][-1] == 20 and not res["stopped"]
        assert len(res["w1"]) >= 2 and all(np.isfinite(res["w1"]))
        np.testing.assert_allclose(ex.train_artists["w1"][name].get_ydata(), res["w1"])
        assert ex.train_artists["scatter"][name].get_offsets().shape == (500, 2)
    assert ex.results["floor"] < ex.results["icvp"]["w1"][0]
    assert ex.progress.value == ex.progress.max == 40
    # The trainer ran the explorer's schedule: its logged lambda_t follows the sliders' rule.
    log = ex.results["icvp"]["log"]
    lam = np.array([r["lambda_t"] for r in log])
    r = np.array([r["r_t"] for r in log])
    np.testing.assert_allclose(lam, 0.02 + (0.1 - 0.02) * r**2, rtol=1e-9)
    # WGAN-GP with the same seed and iterations is cached.
    gp = ex.results["wgan-gp"]
    ex.train(iters=20, blocking=True)
    assert ex.results["wgan-gp"] is gp and ex.progress.max == 20 and "cached" in ex.status.value


def test_stop_button_cancels(ex):
    def click_stop(change):
        if change["new"] == 3:
            ex.stop_button.click()

    ex.progress.observe(click_stop, names="value")
    ex.seed.value = 1  # not in the WGAN-GP cache
    try:
        ex.train(iters=20, blocking=True)
    finally:
        ex.progress.unobserve(click_stop, names="value")
        ex.seed.value = 0
    res = ex.results["icvp"]
    assert res["stopped"] and res["iters"][-1] == 3 < 20
    assert "wgan-gp" not in ex.results  # the whole job stopped, not only the first run
    assert "stopped" in ex.status.value
    assert not ex.train_button.disabled and ex.stop_button.disabled


def test_background_thread_can_be_stopped(ex):
    import time

    thread = ex.train(iters=500)
    assert thread is not None and ex.running and ex.train_button.disabled
    deadline = time.time() + 60
    while ex.progress.value < 2 and time.time() < deadline:
        time.sleep(0.05)
    ex.stop()
    ex.join(timeout=600)  # returns as soon as the thread ends: a generous bound for a loaded machine
    assert not ex.running and ex.error is None
    assert ex.results["icvp"]["stopped"] and ex.results["icvp"]["iters"][-1] < 500


# -- explorer polish: placeholder, units, wording, status in step with the plot, hint --------------------


def test_placeholder_before_any_training():
    fresh = LambdaExplorer(train_iters=20)
    assert fresh.train_image.value[:8] == b"\x89PNG\r\n\x1a\n"  # an image, not a broken-image icon
    titles = [ax.get_title() for ax in fresh.train_artists["axes"][:2]]
    assert titles == ["icvp: not trained yet", "wgan-gp: not trained yet"]
    assert fresh.conclusion.value == ""


def test_warmup_is_shown_in_generator_iterations_too(ex):
    ex.iters.value = 200
    ex.controls["warmup"].value = 910
    assert "910 critic steps = 182 generator iterations (91% of a 200-iteration run)" in ex.warmup_note.value
    assert "182 generator iterations" in ex.figure.get_suptitle()  # the figure's title says it too
    ex.iters.value = 20


def test_interpolation_wording_follows_the_mode(ex):
    assert "on the fakes" in ex.mode_note.value and "U[0, 1]" not in ex.mode_note.value
    ex.controls["interpolation"].value = "band"
    assert "WGAN-GP's whole segment U[0, 1]" in ex.mode_note.value and "on the fakes" not in ex.mode_note.value


def test_status_names_the_iteration_the_plot_shows(ex):
    import re

    seen = []

    def on_image(change):
        m = re.match(r"(icvp|wgan-gp): iteration (\d+)/", ex.status.value)
        if m:
            line = ex.train_artists["w1"][m.group(1)]
            seen.append((int(m.group(2)), int(line.get_xdata()[-1])))

    ex.train_image.observe(on_image, names="value")
    ex.seed.value = 2  # not cached: both runs train
    try:
        ex.train(iters=12, blocking=True)
    finally:
        ex.train_image.unobserve(on_image, names="value")
        ex.seed.value = 0
    assert seen and all(status == plotted for status, plotted in seen), seen
    assert (12, 12) in seen  # each run's final state is drawn
    np.testing.assert_allclose(ex.train_artists["w1"]["icvp"].get_xdata()[-1], 12)


def test_a_run_too_short_to_converge_says_so(ex):
    ex.train(iters=3, blocking=True)
    assert "too short to converge" in ex.conclusion.value


# -- ICVP's relatives: agp's controller beside ICVP's schedule, and the method to compare with -----------


def test_agp_trace_is_the_trainers_controller_in_a_closed_loop(ex):
    from ganlib.relatives import LambdaController

    ex.set(lambda_max=2.0)
    c, lams = LambdaController(start=2.0), []
    for w in ex.ws:  # the slope a critic settles at under the weight in force: 1 + w / (2 lambda)
        lams.append(c.lambda_t)
        c.update(max(0.0, 1.0 + w / (2.0 * c.lambda_t)))
    np.testing.assert_allclose(y(ex, "lambda_agp"), lams)
    assert lams[0] == 2.0 and 0.2 <= min(lams) and max(lams) <= 20.0
    np.testing.assert_allclose(y(ex, "lambda_t"), [s.lambda_t for s in reference(ex.ws, lambda_max=2.0)])


def test_train_against_a_relative_shows_agps_logged_lambda(ex):
    from ganlib.methods import RELATIVES

    assert ex.controls["baseline"].options == ("wgan-gp", *RELATIVES)
    ex.controls["baseline"].value = "agp"
    ex.train(iters=4, blocking=True)
    assert ex.error is None and ex.results["baseline"] == "agp" and "wgan-gp" not in ex.results
    res = ex.results["agp"]
    assert res["iters"][-1] == 4 and ex.train_artists["scatter"]["agp"].get_offsets().shape == (500, 2)
    lam = np.array([r["lambda_t"] for r in res["log"]])
    np.testing.assert_allclose(ex.train_artists["lambda_agp"].get_ydata(), lam / 0.1)
    assert not np.allclose(lam, 0.1)  # the controller moved lambda from its start (lambda_max)
    assert [ax.get_title() for ax in ex.train_artists["axes"][:2]][1].startswith("agp, iteration 4")
    ex.reset()
    assert ex.controls["baseline"].value == "wgan-gp"


def test_the_explorer_offers_the_reference_readings():
    """Step 3's readings (METHOD.md section 2) are a control of the explorer and reach the rule and the training."""
    from ganlib.schedules import schedule_traces
    from ganlib.notebook.widgets import LambdaExplorer

    ws = [10.0] + [1.0] * 400
    keep = schedule_traces(ws, warmup=0, beta=0.0, lambda_max=10.0)
    forget = schedule_traces(ws, warmup=0, beta=0.0, lambda_max=10.0, reference="decaying-max", ref_decay=0.99)
    assert keep["lambda_t"][-1] == 1.0 and forget["lambda_t"][-1] > 9.0  # the old peak forgotten: r_t back to 1
    ex = LambdaExplorer()
    ex.controls["reference"].value = "warmup-mean"
    assert ex.settings["reference"] == "warmup-mean"
    icvp, _ = ex._configs()
    assert icvp.reference == "warmup-mean"
