"""The executed notebooks as HTML that works offline, and ``reports/index.html``.

- :func:`render_html` writes ``NAME.html`` beside an executed notebook with nbconvert's ``lab`` template
  changed in one respect (``ganlib/templates/offline``): the widget renderer and MathJax are loaded
  from ``_static/`` beside the report, pinned copies shipped in ``ganlib/static`` (see its README),
  instead of unpinned CDN addresses and require.js.  The saved widget state (the explorer of
  notebook 07) therefore renders with networking off.
- :func:`scrub_paths` rewrites the absolute local paths an executed notebook holds (papermill's
  parameters and metadata, printed paths, warnings) relative to the notebook's folder, so that no
  report shows where it was made.
- :func:`write_index` writes ``index.html``: every report and every figure, with each figure's
  provenance and the conclusion its notebook computed from that run's numbers.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .locations import PACKAGE, ROOT

STATIC = PACKAGE / "static"
TEMPLATES = PACKAGE / "templates"
WIDGET_RENDERER = "html-manager-1.0.15/embed.js"  # @jupyter-widgets/html-manager, the standalone bundle
MATHJAX = "mathjax-3.2.2/tex-svg.js"  # self-contained (fonts inside): no further downloads
STATIC_DIR = "_static"  # beside the reports


STATES = ("ok", "skipped", "FAILED")


@dataclass(frozen=True)
class Status:
    """A notebook's outcome in a batch run: ``ok``, ``skipped`` (its data set is absent: ganlib.data.DataMissing)
    or ``FAILED``, with the reason; :meth:`text` is its one line, made here and never parsed back."""

    state: str = "ok"
    reason: str | None = None

    def __post_init__(self):
        if self.state not in STATES:
            raise ValueError(f"notebook state {self.state!r}; accepted: {', '.join(STATES)}")

    def text(self) -> str:
        return "ok" if self.state == "ok" else f"{self.state}: {self.reason}"

    def as_dict(self) -> dict:
        return {"state": self.state, "reason": self.reason}


def copy_static(reports_dir) -> Path:
    """Copy the pinned renderer and MathJax to ``reports_dir/_static`` (files already equal are kept)."""
    dest = Path(reports_dir) / STATIC_DIR
    for src in STATIC.rglob("*"):
        if src.is_file():
            out = dest / src.relative_to(STATIC)
            if not out.exists() or out.stat().st_size != src.stat().st_size:
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src, out)
    return dest


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def path_replacements(nb_dir, parameters: dict | None = None, root=ROOT, home=None) -> list[tuple[str, str]]:
    """``(absolute path, what replaces it)``, most specific first.

    Folders under the repository become paths relative to the notebook's folder (``nb_dir``, where
    papermill ran it), so that a parameter such as ``runs_dir = "../runs/quick"`` still works; other
    folders passed as parameters become ``<name>``; ``$GANLIB_DATA`` and ``$GANLIB_CACHE`` their names;
    an installed package's own folder (its notebooks run from ``ganlib/_notebooks``) ``<ganlib>``; the home
    folder ``~``.
    """
    root, nb_dir = Path(root).resolve(), Path(nb_dir).resolve()
    home = Path(home or Path.home()).resolve()
    pairs = []
    for name, value in (parameters or {}).items():
        if isinstance(value, str) and os.path.isabs(value) and not _inside(Path(value).resolve(), root):
            pairs.append((str(Path(value)), f"<{name}>"))
    for var in ("GANLIB_DATA", "GANLIB_CACHE"):
        if os.environ.get(var) and os.path.isabs(os.environ[var]):
            pairs.append((str(Path(os.environ[var])), f"${var}"))
    pairs.append((str(root), os.path.relpath(root, nb_dir) if _inside(nb_dir, root) else "<repository>"))
    if not _inside(PACKAGE, root):  # an installed package: its notebooks ran from site-packages/ganlib/_notebooks
        pairs.append((str(PACKAGE), "<ganlib>"))
    if str(home) != "/":
        pairs.append((str(home), "~"))
    return sorted(pairs, key=lambda p: -len(p[0]))


def scrub_text(text: str, replacements) -> str:
    """Replace every path of ``replacements`` where it stands as a whole path (not a prefix of a name)."""
    for old, new in replacements:
        text = re.sub(re.escape(old) + r"(?![\w.-])", lambda _m, new=new: new, text)
    return text


def scrub_paths(executed) -> Path:
    """Rewrite the absolute paths in an executed notebook (in place; see :func:`path_replacements`)."""
    executed = Path(executed)
    text = executed.read_text()
    meta = json.loads(text).get("metadata", {}).get("papermill", {})
    nb_dir = Path(meta["input_path"]).parent if meta.get("input_path") else executed.parent
    folders = {**(meta.get("parameters") or {}), "reports_dir": str(executed.parent.resolve())}
    executed.write_text(scrub_text(text, path_replacements(nb_dir, folders)))
    return executed


def render_html(executed) -> Path:
    """``NAME.html`` beside the executed notebook, with its absolute paths scrubbed, working offline."""
    from nbconvert import HTMLExporter

    executed = Path(executed)
    scrub_paths(executed)
    copy_static(executed.parent)
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(TEMPLATES)],
                            widget_renderer_url=f"{STATIC_DIR}/{WIDGET_RENDERER}",
                            mathjax_url=f"{STATIC_DIR}/{MATHJAX}")
    body, _ = exporter.from_filename(str(executed))
    out = executed.with_suffix(".html")
    out.write_text(body)
    return out


def figure_records(figures_dir) -> list[dict]:
    """The provenance record of every figure in a folder (its ``.json``), with ``name``, sorted by name."""
    out = []
    for rec in sorted(Path(figures_dir).glob("*.json")):
        r = json.loads(rec.read_text())
        if isinstance(r, dict) and (rec.with_suffix(".png")).exists():
            out.append({"name": rec.stem, **r})
    return out


def _dataset(r: dict):
    data = r.get("dataset")
    return data.get("dataset") if isinstance(data, dict) else data


# The path through the notebooks, one line each (the landing page and notebook 00 list them).
NOTEBOOK_LINES = {
    "00": "the question, the answer so far, and the way through the notebooks",
    "01": "WGAN: why Jensen-Shannon fails, Wasserstein-1, and what weight clipping does to the critic",
    "02": "WGAN-GP: the gradient penalty, Proposition 1, and the slope a finite lambda allows",
    "03": "ICVP: the paper's rule step by step (distance, reference, interpolation point, lambda) and its halves",
    "04": "the toy 2-D sets: samples, critic contours and exact W1 for every method",
    "05": "MNIST: sample grids and classifier FID over training",
    "06": "CelebA faces: the same with the sliced Wasserstein distance",
    "07": "the lambda schedule explorer: drag the knobs of the rule on a real distance trace",
    "08": "the tuning tips of the seed articles, each tested on paired seeds",
    "09": "the claim at a budget that can answer: paired verdicts on MNIST, CelebA and 8 Gaussians",
    "10": "why ICVP is slower than WGAN-GP on MNIST: the critic's traces, predictions, readings",
    "11": "ICVP among its relatives: WGAN-LP, DRAGAN, R1, zero-GP and an adaptive lambda, placed on the same data",
}
KEY_FIGURES = (("long_paired_verdicts",), ("long_mnist_curves", "long_mnist-unpinned_curves"), ("long_toy_budget",))


def answer_html(results_root=None) -> str:
    """The evidence first: the long study's family of verdicts (from the committed store) as an HTML table."""
    from ..stats import Verdict
    from .study import QUESTIONS, family, summarise_study

    esc = html.escape
    try:
        summaries = summarise_study("long", results_root, write=False)
    except (ValueError, RuntimeError) as e:  # a broken store is named, not hidden
        return f"<p class='failed'>The results store cannot be read: {esc(str(e))}</p>"
    fam = family(summaries)
    num = lambda v: "" if v is None else f"{v:+.3g}"  # noqa: E731
    rows = ["<table><tr><th>part</th><th>comparison</th><th>paired seeds</th><th>mean AUC difference "
            "(negative = the first faster)</th><th>95% interval</th><th>verdict</th><th>Holm-adjusted within "
            f"the question</th><th>across all {fam['m']}</th><th>sign count</th></tr>"]
    order = list(QUESTIONS)  # the claim first, then why, then the relatives
    decided = sorted((r for r in fam["rows"] if r["n"] and r["low"] is not None),
                     key=lambda r: order.index(r["question"]) if r["question"] in order else len(order))
    early = [r for r in fam["rows"] if r["n"] and r["low"] is None]  # one pair so far: no interval, no verdict
    for r in decided + early:
        ci = f"[{num(r['low'])}, {num(r['high'])}]" if r["low"] is not None else "none yet"
        raw, holm, everything = ((r["raw"], f"{r['question']}: {r['holm']}", r["holm_all"]) if r["low"] is not None
                                 else ("one pair: no verdict yet", "", ""))
        rows.append(f"<tr><td>{esc(r['part'])}</td><td>{esc(r['comparison'])}</td><td>{r['n']}</td>"
                    f"<td>{num(r['mean'])}</td><td>{ci}</td><td>{esc(raw)}</td><td>{esc(holm)}</td>"
                    f"<td>{esc(everything)}</td><td>{esc(r['signs'])}</td></tr>")
    for part, r in summaries.items():
        if (r.get("part") or {}).get("archived"):
            for comp, v in r["paired"].items():
                a = v["auc"]
                if a["n"]:
                    ci = f"[{num(a['low'])}, {num(a['high'])}]" if a["low"] is not None else "none"
                    rows.append(f"<tr class='archived'><td>{esc(part)} (archived)</td><td>{esc(comp)}</td>"
                                f"<td>{a['n']}</td><td>{num(a['mean'])}</td><td>{ci}</td>"
                                f"<td>{esc(Verdict.from_dict(a).word())}</td><td>outside the family</td><td></td><td></td></tr>")
    rows.append("</table>")
    return "\n".join(rows) + f"<p><small>{esc(fam['text'])}</small></p>"


def write_index(reports_dir, figures_dir, status: dict | None = None, profile: str | None = None) -> Path:
    """``reports_dir/index.html``, the landing page: the answer (the long study's verdicts and its key figures),
    then the path through the notebooks (one line each), then every figure with its conclusion and provenance.

    Links are relative, so the folder can be copied or opened offline.  ``status`` (notebook name to
    ``None`` or error text, as :func:`ganlib.harness.reproduce.reproduce` returns) marks failed notebooks.
    """
    reports, figures = Path(reports_dir), Path(figures_dir)
    esc = html.escape
    rel = lambda p: Path(os.path.relpath(p, reports)).as_posix()  # noqa: E731
    parts = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Reports{' · ' + esc(profile) if profile else ''}"
             "</title><style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;line-height:1.4}"
             "figure{margin:1.5em 0;border-top:1px solid #ccc;padding-top:1em}img{max-width:100%}"
             "td,th{padding:2px 8px;text-align:left;border-bottom:1px solid #eee}.failed{color:#b00}"
             ".archived{color:#777}</style></head><body>",
             "<h1>Is ICVP faster than WGAN-GP? The answer so far</h1>",
             "<p>Paired seeds, 95% Student-t intervals, one family of verdicts with Holm's adjustment; every number "
             "recomputed from the committed results store <code>results/long/</code> (notebook 09; why, notebook 10). "
             "Each comparison is the area under a critic-independent metric curve (FID, SWD or exact W1) of the first "
             "method minus the second's.</p>", answer_html()]
    for names in KEY_FIGURES:
        png = next((figures / f"{n}.png" for n in names if (figures / f"{n}.png").exists()), None)
        if png is not None:
            parts.append(f"<a href='#{esc(png.stem)}'><img src='{esc(rel(png))}' alt='{esc(png.stem)}' "
                         "style='max-width:32%;vertical-align:top'></a>")
    parts += [f"<h1>The notebooks, in order{' (profile ' + esc(profile) + ')' if profile else ''}</h1>", "<ol start='0'>"]
    for page in sorted(reports.glob("[0-9][0-9]_*.html")):
        st = (status or {}).get(page.stem + ".ipynb", Status())
        css = " class='failed'" if st.state == "FAILED" else ""
        note = "" if st.state == "ok" else f" <span{css}>{esc(st.text())}</span>"
        line = NOTEBOOK_LINES.get(page.stem[:2], "")
        parts.append(f"<li value='{int(page.stem[:2])}'><a href='{esc(rel(page))}'>{esc(page.stem)}</a>: {esc(line)} "
                     f"(<a href='{esc(rel(page.with_suffix('.ipynb')))}'>notebook</a>){note}</li>")
    parts.append("</ol>")
    if (reports / "summary.md").exists():
        parts.append(f"<p>Verdict tables and provenance: <a href='summary.md'>summary.md</a>.</p>")
    records = figure_records(figures)
    parts.append(f"<h1>Figures ({len(records)})</h1>")
    for r in records:
        png = figures / f"{r['name']}.png"
        pdf = png.with_suffix(".pdf")
        made = ", ".join(f"{k}: {esc(str(v))}" for k, v in (("profile", r.get("profile")),
                         ("iterations", r.get("iterations")), ("seeds", r.get("seeds")), ("data", _dataset(r)),
                         ("hardware", r.get("hardware")), ("commit", r.get("git_commit")),
                         ("date", str(r.get("date", ""))[:10])) if v is not None)
        conclusion = r.get("conclusion") or "(no conclusion recorded for this figure)"
        parts.append(f"<figure id='{esc(r['name'])}'><h2>{esc(r['name'])}</h2>"
                     f"<a href='{esc(rel(png))}'><img src='{esc(rel(png))}' alt='{esc(r['name'])}' loading='lazy'></a>"
                     f"<figcaption><p><b>Conclusion.</b> {esc(conclusion)}</p><p><small>{made}"
                     + (f"; <a href='{esc(rel(pdf))}'>PDF</a>" if pdf.exists() else "")
                     + "</small></p></figcaption></figure>")
    parts.append("</body></html>")
    out = reports / "index.html"
    out.write_text("\n".join(parts) + "\n")
    return out
