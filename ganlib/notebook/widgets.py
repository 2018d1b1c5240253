"""The interactive lambda-schedule explorer of ``notebooks/07_lambda_schedule_explorer.ipynb``.

Two layers, so that the first can be tested and reused without a notebook:

- pure computation, in :mod:`ganlib.schedules` (re-exported here): :func:`schedule_traces` feeds a distance
  trace ``w_t`` through the *same* schedule objects the trainer uses and returns ``d_t, d_ref, r_t, eps_t,
  lambda_t`` as numpy arrays, with agp's controller beside them (:func:`agp_trace`); :func:`load_trace` reads
  the distance trace shipped with the package, :func:`synthetic_trace` makes one up; here,
  :func:`record_trace` regenerates the shipped trace from a real run;
- widget plumbing: :class:`LambdaExplorer`, sliders that redraw the figures of
  :func:`ganlib.notebook.plots.schedule_figure` and a "train" button that runs two short runs of
  :func:`ganlib.train.train` (the project's one training loop) on 8 Gaussians, ICVP with the chosen
  schedule and a method to compare with (WGAN-GP, or one of ICVP's relatives: ``BASELINES``), and plots
  the exact W1 of both (and agp's logged lambda_t beside ICVP's schedule).

Step numbers refer to ``docs/METHOD.md`` section 2.  One step of the rule is one critic update, so
the time axis of every schedule plot is the critic step ``t`` (``n_critic = 5`` per generator
iteration), as in training: ``T_w = 100`` means the same thing here and in :class:`ganlib.config.Config`.

>>> tr = schedule_traces([4.0, 2.0, 1.0], warmup=0, beta=0.5, lambda_max=10.0)
>>> tr["d_t"].tolist(), tr["r_t"].tolist(), tr["lambda_t"].tolist()
([4.0, 3.0, 2.0], [1.0, 0.75, 0.5], [10.0, 7.5, 5.0])
"""

from __future__ import annotations

import html
import io
import json
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

import numpy as np
import torch

from ..methods import LAMBDA_SCHEDULES, REFERENCES, RELATIVES, ICVPSchedule, make_lambda_schedule
from ..metrics import w1_exact

SYNTHETIC = "synthetic: exponential decay + noise"
REAL = "real: 8gaussians, icvp run (shipped)"
TRACES = (REAL, SYNTHETIC)
BASELINES = ("wgan-gp", *RELATIVES)  # what the train button compares ICVP with

# The train button's setting: 8 Gaussians with the toy defaults of METHOD.md section 3 (batch 256,
# lambda 0.1, Adam betas (0.5, 0.9), n_critic 5) except a narrower MLP (width 128 instead of 512)
# and a larger learning rate (1e-3 instead of 1e-4), so that a run visibly learns in a few hundred
# iterations: measured on a shared 2-core CPU, about 40 ms per generator iteration with one torch
# thread, exact W1 from about 1.4 to about 0.2 in 300 iterations (the real-vs-real floor at 500
# points is about 0.1).
DEMO_CONFIG = dict(dataset="8gaussians", width=128, lr_g=1e-3, quiet=True)
EVAL_POINTS = 500  # points per side for the exact W1
EVAL_STREAM = 10_000  # seed offset of the W1 curves' points and noise: a stream apart from training's
MODE_WORDS = {  # step 4 in words, per interpolation mode
    "deterministic": "<b>deterministic</b>: one point for the whole batch, <code>eps_t = 1 - r_t</code>: x_hat starts "
                     "<i>on the fakes</i> (r_t = 1 gives eps_t = 0) and moves toward the reals as r_t falls.",
    "band": "<b>band</b>: <code>eps ~ U[1 - r_t, 1]</code> per sample: WGAN-GP's whole segment U[0, 1] at the start "
            "(r_t = 1), narrowing onto the reals as r_t falls.",
}


# The explorer's computation lives in ganlib.schedules (imported by ganlib.notebook.exercises too, without this UI).
from ..schedules import TRACE_FILE, agp_trace, load_trace, schedule_traces, synthetic_trace, trace_path  # noqa: E402,F401


def record_trace(path=None, iters=1000, seed=0, method="icvp", dataset="8gaussians", torch_threads=1,
                 **config) -> dict:
    """Regenerate the shipped trace: train once with :func:`ganlib.train.train` and keep every ``w_t``.

    The log rows hold the last critic step of each generator iteration; to keep *every* critic step
    (the rule's own clock), :meth:`ICVPSchedule.step` is wrapped for the duration of the run (it
    records ``w_t`` and calls the original: training is unchanged; the log rows are checked against
    the recording).  Settings: ``DEMO_CONFIG`` (the train button's), overridden by ``config``.
    ``path=None`` writes the package's file; ``path=False`` writes nothing.  Regenerate with
    ``python -m ganlib.notebook.widgets``.
    """
    from .. import __version__
    from ..config import Config
    from ..train import train

    cfg = Config(**{**DEMO_CONFIG, "method": method, "dataset": dataset, "iters": iters, "seed": seed, **config})
    ws, rows = [], []
    original = ICVPSchedule.step

    def recording_step(self, w_t):
        ws.append(float(w_t))
        return original(self, w_t)

    threads = torch.get_num_threads()
    torch.set_num_threads(torch_threads)
    t0 = time.perf_counter()
    try:
        with mock.patch.object(ICVPSchedule, "step", recording_step):
            run = train(cfg, out=None, callback=lambda run, row: rows.append(row))
    finally:
        torch.set_num_threads(threads)
    seconds = time.perf_counter() - t0
    if len(ws) != run.it * run.cfg.n_critic or any(ws[r["t"]] != r["w_t"] for r in rows):
        raise RuntimeError("the recorded w_t do not match the training log")
    sig = lambda x: float(f"{x:.6g}")  # noqa: E731 - six significant digits keep the file small
    trace = {
        "name": "w_t of a short icvp run on 8gaussians",
        "unit": "critic step (n_critic per generator iteration)",
        "provenance": {
            "made_by": "ganlib.notebook.widgets.record_trace (python -m ganlib.notebook.widgets)",
            "method": method, "dataset": dataset, "iters": iters, "seed": seed, "n_critic": run.cfg.n_critic,
            "config": run.cfg.to_dict(),
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "torch": torch.__version__, "ganlib": __version__, "torch_threads": torch_threads,
            "seconds": round(seconds, 1),
        },
        "w_t": [sig(w) for w in ws],
        "log": {k: [sig(r[k]) if k != "t" else r[k] for r in rows] for k in ("t", "d_t", "r_t", "lambda_t")},
    }
    if path is not False:
        path = Path(path) if path else Path(__file__).resolve().parent.parent / "traces" / TRACE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(trace, separators=(",", ":")) + "\n")
    return trace


def _png(fig, dpi=80) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# The widget
# ---------------------------------------------------------------------------------------------


class LambdaExplorer:
    """Sliders for the rule of METHOD.md section 2, live plots, and a short training comparison.

    ``LambdaExplorer().show()`` in a notebook.  Everything is reachable from code too (tests, or a
    teacher preparing a slide): ``controls[name].value = ...`` redraws, ``traces`` is the current
    :func:`schedule_traces` output, ``artists`` the matplotlib artists drawn from it,
    ``train(blocking=True)`` runs the comparison in the calling thread, ``static_figure()``.
    """

    def __init__(self, train_iters=300, seed=0, torch_threads=1, dpi=80):
        import ipywidgets as W

        self.dpi = dpi
        self.torch_threads = torch_threads
        self._real = load_trace()
        style, wide = {"description_width": "initial"}, W.Layout(width="330px")

        def slider(cls, description, **kw):
            return cls(description=description, style=style, layout=wide, continuous_update=False, **kw)

        c = self.controls = {
            "trace": W.Dropdown(options=TRACES, value=REAL, description="distance trace", style=style,
                                layout=W.Layout(width="420px")),
            "noise": slider(W.FloatSlider, "synthetic noise sd", value=0.15, min=0.0, max=1.0, step=0.01,
                            disabled=True),
            "kind": W.Dropdown(options=LAMBDA_SCHEDULES, value="distance", description="lambda schedule",
                               style=style, layout=wide),
            "interpolation": W.ToggleButtons(options=("deterministic", "band"), value="deterministic",
                                             description="interpolation", style=style),
            "reference": W.Dropdown(options=REFERENCES, value="max", description="reference d_ref", style=style,
                                    layout=W.Layout(width="260px")),
            "lambda_max": slider(W.FloatLogSlider, "lambda_max", value=0.1, base=10, min=-3, max=2, step=0.05,
                                 readout_format=".3g"),
            "lambda_min": slider(W.FloatSlider, "lambda_min", value=0.0, min=0.0, max=0.1, step=0.001,
                                 readout_format=".3g"),
            "gamma": slider(W.FloatSlider, "gamma", value=1.0, min=0.25, max=4.0, step=0.05),
            "beta": slider(W.FloatSlider, "EMA beta", value=0.9, min=0.0, max=0.995, step=0.005,
                           readout_format=".3f"),
            "warmup": slider(W.IntSlider, "warm-up T_w", value=100, min=0, max=1000, step=10),
            "cursor": slider(W.IntSlider, "show critic step t", value=300, min=0, max=len(self._real["w_t"]) - 1,
                             step=1),
            "baseline": W.Dropdown(options=BASELINES, value="wgan-gp", description="compare with", style=style,
                                   layout=W.Layout(width="220px")),
        }
        self.schedule_image = W.Image(format="png")
        self.warmup_note = W.HTML()  # T_w in generator iterations too
        self.mode_note = W.HTML()  # what the interpolation mode does, in words
        self.legend = W.HTML(
            "<small>Rule of docs/METHOD.md section 2: <code>d_t = beta d_{t-1} + (1-beta) w_t</code>; "
            "<code>r_t = 1</code> for <code>t &lt; T_w</code>, then <code>clip(d_t / d_ref, 0, 1)</code> with "
            "<code>d_ref</code> the running maximum of <code>d_t</code>; <code>eps_t = 1 - r_t</code>; "
            "<code>lambda_t = lambda_min + (lambda_max - lambda_min) r_t^gamma</code> (distance schedule). "
            "t counts critic updates (5 per generator iteration). Beside it, right axis: agp's PI controller "
            "(<code>ganlib.relatives</code>, METHOD.md 7.1) started at lambda_max, fed the slope "
            "<code>1 + w_t / (2 lambda_t)</code> a critic would settle at: lambda rises while that slope is above 1."
            "</small>")
        # -- training panel
        self.iters = W.BoundedIntText(value=train_iters, min=1, max=5000, description="train iterations",
                                      style=style, layout=W.Layout(width="220px"))
        self.seed = W.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed", style=style,
                                     layout=W.Layout(width="150px"))
        self.train_button = W.Button(description="train", icon="play", button_style="success")
        self.stop_button = W.Button(description="stop", icon="stop", button_style="danger", disabled=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress", style=style)
        self.status = W.Label("")
        self.status.add_class("ganlib-status")  # so that a browser check finds it among the labels
        self.train_image = W.Image(format="png")
        self.conclusion = W.HTML("")  # what the last training shows, or why it cannot show it
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())

        self.traces: dict = {}
        self.artists: dict = {}
        self.results: dict = {}  # filled by train(): "icvp", the baseline's name, "baseline", "floor", "real"
        self.train_artists: dict = {}
        self.error: BaseException | None = None
        self._gp_cache: dict = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_draw = 0.0
        self._lock = threading.Lock()
        import matplotlib.figure

        self.figure = matplotlib.figure.Figure(figsize=(11, 8.5), layout="constrained")
        self.train_figure = matplotlib.figure.Figure(figsize=(13, 3.4), layout="constrained")
        self._pending_status = ""
        self._draw_training(force=True)  # the empty panels ("not trained yet"), not a broken image

        self._hold = False
        self._defaults = {name: w.value for name, w in c.items()}
        c["lambda_max"].observe(self._on_lambda_max, names="value")
        for name, w in c.items():
            if name not in ("lambda_max", "baseline"):  # the baseline changes the training only
                w.observe(lambda _: self.update(), names="value")
        self.iters.observe(lambda _: self._update_notes(), names="value")
        self._on_lambda_max(None)

    # -- settings ---------------------------------------------------------------------------------
    def set(self, **values) -> None:
        """Set several controls by name (see ``controls``) with one redraw, e.g. ``ex.set(gamma=2, warmup=0)``."""
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise ValueError(f"unknown control(s) {', '.join(unknown)}; accepted: {', '.join(self.controls)}")
        self._hold = True
        try:
            if "lambda_max" in values:  # first, so that lambda_min's range allows the new value
                self.controls["lambda_max"].value = values.pop("lambda_max")
            for name, v in values.items():
                self.controls[name].value = v
        finally:
            self._hold = False
        self.update()

    def reset(self) -> None:
        """All controls back to their defaults."""
        self.set(**self._defaults)

    @property
    def settings(self) -> dict:
        """The schedule parameters currently set (the keyword arguments of :func:`schedule_traces`)."""
        c = self.controls
        return {k: c[k].value for k in ("kind", "lambda_max", "lambda_min", "gamma", "beta", "warmup",
                                        "interpolation", "reference")}

    @property
    def ws(self) -> np.ndarray:
        """The distance trace currently selected."""
        if self.controls["trace"].value == REAL:
            return self._real["w_t"]
        return synthetic_trace(len(self._real["w_t"]), noise=self.controls["noise"].value)

    def _on_lambda_max(self, _change):
        """``lambda_min`` can go up to ``lambda_max`` (ipywidgets clamps its value when the range shrinks)."""
        lo, hi = self.controls["lambda_min"], self.controls["lambda_max"].value
        held, self._hold = self._hold, True  # one redraw, not one per changed trait
        try:
            lo.step = hi / 100
            lo.max = hi
        finally:
            self._hold = held
        self.update()

    def marks(self) -> list[int]:
        """Critic steps shown in the segment diagram: the cursor, then the start, 1/4, 1/2 and the end."""
        n = len(self.traces["t"]) if self.traces else len(self.ws)
        fixed = [round(q * (n - 1)) for q in (0.0, 0.25, 0.5, 1.0)]
        return [min(self.controls["cursor"].value, n - 1)] + fixed

    # -- drawing ----------------------------------------------------------------------------------
    def update(self) -> None:
        """Recompute the traces from the controls and redraw (called on every control change)."""
        from .plots import schedule_figure

        if self._hold:
            return
        self._update_notes()
        self.controls["noise"].disabled = self.controls["trace"].value == REAL
        s = self.settings
        self.traces = schedule_traces(self.ws, **s)
        self.figure.clear()
        self.artists = schedule_figure(self.traces, interpolation=s["interpolation"], marks=self.marks(),
                                       fig=self.figure, title=self._title())
        self.schedule_image.value = _png(self.figure, self.dpi)

    def _update_notes(self) -> None:
        """The warm-up in generator iterations, and the interpolation mode in words."""
        from .teaching import warmup_in_generator_iterations

        n_critic = self._real["provenance"]["n_critic"]
        self.warmup_note.value = (f"<small>{warmup_in_generator_iterations(self.controls['warmup'].value, n_critic, self.iters.value)}"
                                  f" behind the train button (training counts generator iterations, the rule critic "
                                  f"steps: {n_critic} per iteration)</small>")
        self.mode_note.value = "<small>" + MODE_WORDS[self.controls["interpolation"].value] + "</small>"

    def _title(self) -> str:
        s = self.settings
        rule = {"distance": f"distance-driven, gamma={s['gamma']:g}", "constant": "constant (WGAN-GP's lambda)"}
        n_critic = self._real["provenance"]["n_critic"]
        return (f"lambda schedule: {rule.get(s['kind'], s['kind'] + ' decay in time')}; "
                f"lambda_max={s['lambda_max']:.3g}, lambda_min={s['lambda_min']:.3g}; EMA beta={s['beta']:g}; "
                f"T_w={s['warmup']} critic steps ({s['warmup'] / n_critic:g} generator iterations); "
                f"interpolation: {s['interpolation']}\ntrace: {self.controls['trace'].value}")

    def static_figure(self, path=None, display=True):
        """The current settings (the defaults unless changed) as a matplotlib figure.

        Displays it as a PNG in a notebook (so that it is kept by papermill and nbval, where widgets
        do not render), saves it to ``path`` if given, and returns the :class:`~matplotlib.figure.Figure`.
        """
        import matplotlib.figure

        from .plots import schedule_figure

        fig = matplotlib.figure.Figure(figsize=(11, 8.5), layout="constrained")
        tr = schedule_traces(self.ws, **self.settings)
        schedule_figure(tr, interpolation=self.settings["interpolation"], marks=self.marks(), fig=fig,
                        title=self._title())
        return self._emit(fig, path, display)

    def training_figure(self, path=None, display=True):
        """The last training comparison (samples, exact W1, the ICVP run's schedule) as a figure."""
        import matplotlib.figure

        from .plots import training_comparison_figure

        fig = matplotlib.figure.Figure(figsize=(13, 3.4), layout="constrained")
        training_comparison_figure(self.results, fig=fig)
        return self._emit(fig, path, display)

    def _emit(self, fig, path, display):
        png = _png(fig, 100)
        if path:
            Path(path).write_bytes(png)
        if display:
            from IPython.display import Image, display as show

            show(Image(data=png))
        return fig

    def widget(self):
        """The whole explorer as one ipywidgets box."""
        import ipywidgets as W

        c = self.controls
        rows = [
            W.HBox([c["trace"], c["noise"]]),
            W.HBox([c["kind"], c["interpolation"], c["reference"]]),
            self.mode_note,
            W.HBox([c["lambda_max"], c["lambda_min"], c["gamma"]]),
            W.HBox([c["beta"], c["warmup"], c["cursor"]]),
            self.warmup_note,
            self.legend,
            self.schedule_image,
            W.HTML("<b>Short training on 8 Gaussians</b> (ICVP with the schedule above vs the method chosen to "
                   "compare with, WGAN-GP or one of ICVP's relatives, with lambda = lambda_max (agp: its starting "
                   "lambda); same seed; width-128 MLP, lr 1e-3; exact W1 on 500 points)"),
            W.HBox([c["baseline"], self.iters, self.seed, self.train_button, self.stop_button, self.progress]),
            self.status,
            self.train_image,
            self.conclusion,
        ]
        return W.VBox(rows)

    def show(self):
        from IPython.display import display

        display(self.widget())

    # -- training ---------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        """Ask a running training to stop after its current generator iteration."""
        self._stop.set()

    def join(self, timeout=None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def train(self, iters=None, blocking=False):
        """Train ICVP (the current schedule) and the baseline (``controls["baseline"]``, WGAN-GP unless changed;
        same seed and iterations; cached) on 8 Gaussians.

        ``blocking=False`` (the button) trains in a background thread, so that the kernel still receives
        the stop button's clicks; ``blocking=True`` trains in the calling thread (tests, papermill) and
        raises what the training raises.  Returns the thread, or ``None`` when blocking.
        """
        if self.running:
            self.status.value = "already training; press stop first"
            return self._thread
        if iters is not None:
            self.iters.value = iters
        self._stop.clear()
        self.error = None
        self.conclusion.value = ""
        self.train_button.disabled, self.stop_button.disabled = True, False  # at once, not when the thread starts
        if blocking:
            self._job()
            return None
        self._thread = threading.Thread(target=self._job, kwargs={"reraise": False}, daemon=True,
                                        name="ganlib-explorer-train")
        self._thread.start()
        return self._thread

    def _configs(self):
        from ..config import Config

        s, iters, seed = self.settings, self.iters.value, self.seed.value
        icvp = Config(**DEMO_CONFIG, method="icvp", iters=iters, seed=seed, lambda_schedule=s["kind"],
                      lambda_max=s["lambda_max"], lambda_min=s["lambda_min"], gamma=s["gamma"],
                      ema_beta=s["beta"], warmup=s["warmup"], interpolation=s["interpolation"],
                      reference=s["reference"])
        base = Config(**DEMO_CONFIG, method=self.controls["baseline"].value, iters=iters, seed=seed,
                      lambda_max=s["lambda_max"])
        return icvp, base

    def _job(self, reraise=True):
        icvp_cfg, gp_cfg = self._configs()
        base = gp_cfg.method
        key = json.dumps(gp_cfg.to_dict(), sort_keys=True, default=str)
        cached = key in self._gp_cache
        plan = [("icvp", icvp_cfg)] + ([] if cached else [(base, gp_cfg)])
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.progress.value, self.progress.max = 0, icvp_cfg.iters * len(plan)
        threads = torch.get_num_threads()
        torch.set_num_threads(self.torch_threads)  # 2 threads on 2 shared cores were 3-8x slower (measured)
        t0 = time.perf_counter()
        try:
            real, real2, z = self._eval_points(icvp_cfg.seed)
            self.results = {"real": real, "floor": w1_exact(real, real2), "baseline": base}
            if cached:
                self.results[base] = self._gp_cache[key]
            for name, cfg in plan:
                self.results[name] = self._train_one(name, cfg, real, z)
                if self.results[name]["stopped"]:
                    break
            gp = self.results.get(base)
            if gp is not None and not gp["stopped"]:
                self._gp_cache[key] = gp
            done = {k: v["seconds"] for k, v in self.results.items() if isinstance(v, dict)}
            stopped = [k for k, v in self.results.items() if isinstance(v, dict) and v["stopped"]]
            what = f"stopped ({stopped[0]} at iteration {self.results[stopped[0]]['iters'][-1]})" if stopped else "done"
            self._pending_status = (f"{what} in {time.perf_counter() - t0:.1f} s: "
                                    + ", ".join(f"{k} {v:.1f} s" + (" (cached)" if k == base and cached else "")
                                                for k, v in done.items()))
            self._draw_training(force=True)
            from .conclusions import training_conclusion

            self.conclusion.value = f"<b>What this run shows.</b> {html.escape(training_conclusion(self.results))}"
        except BaseException as e:  # shown in the widget; re-raised when blocking
            self.error = e
            self.status.value = self._pending_status = f"training failed: {type(e).__name__}: {e}"
            if reraise:
                raise
        finally:
            torch.set_num_threads(threads)
            self.train_button.disabled, self.stop_button.disabled = False, True

    @staticmethod
    def _eval_points(seed):
        """Real points and latent noise for the W1 curves, drawn without moving the training RNG."""
        from ..data import toy_sample

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(EVAL_STREAM + seed)
            real = toy_sample("8gaussians", EVAL_POINTS)
            real2 = toy_sample("8gaussians", EVAL_POINTS)
            z = torch.randn(EVAL_POINTS, 2)
        return real.numpy(), real2.numpy(), z

    def _train_one(self, name, cfg, real, z) -> dict:
        from ..train import train

        res = {"method": name, "iters": [], "w1": [], "samples": None, "log": [], "seconds": 0.0,
               "stopped": False, "lambda_max": cfg.lambda_max}
        every = max(1, cfg.iters // 30)
        t0 = time.perf_counter()

        def evaluate(run):
            x = run.generate(z.to(run.device)).cpu().numpy()
            res["iters"].append(run.it)
            res["w1"].append(w1_exact(x, real))
            res["samples"] = x

        def callback(run, row):
            res["log"].append({k: row.get(k) for k in ("iter", "t", "w_t", "r_t", "eps_t", "lambda_t", "grad_norm")})
            self.progress.value += 1
            if run.it == 1 or run.it % every == 0 or run.it == cfg.iters:
                evaluate(run)
                self._pending_status = f"{name}: iteration {run.it}/{cfg.iters}, exact W1 {res['w1'][-1]:.3f}"
                self.results[name] = res
                self._draw_training()
            return not self._stop.is_set()

        run = train(cfg, out=None, callback=callback)
        if not res["iters"] or res["iters"][-1] != run.it:
            evaluate(run)
        self._pending_status = f"{name}: iteration {run.it}/{cfg.iters}, exact W1 {res['w1'][-1]:.3f}"
        self.results[name] = res
        res["stopped"] = run.it < cfg.iters
        if not res["stopped"]:  # each run's final state, whatever the throttle skipped (a stop redraws once, later)
            self._draw_training(force=True)
        res["seconds"] = time.perf_counter() - t0
        return res

    def _draw_training(self, force=False):
        """Redraw the training figure, at most every 2 seconds unless ``force``; the status line changes
        with the figure, so that the two always show the same iteration."""
        from .plots import training_comparison_figure

        if not force and time.perf_counter() - self._last_draw < 2.0:
            return
        with self._lock:
            self.train_figure.clear()
            self.train_artists = training_comparison_figure(self.results, fig=self.train_figure)
            png = _png(self.train_figure, self.dpi)
            self.status.value = self._pending_status
            self.train_image.value = png
            self._last_draw = time.perf_counter()


if __name__ == "__main__":  # python -m ganlib.notebook.widgets [iters]: regenerate the shipped trace
    import sys

    t = record_trace(iters=int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    print(f"wrote {trace_path()} ({len(t['w_t'])} critic steps, {t['provenance']['seconds']} s)")
