"""The HTML reports work offline and show no local paths; reports/index.html links every report and figure.

The browser tests open the reports in headless Chromium with name resolution and proxying pointed nowhere, so
that nothing outside the machine can load, and count the rendered slider elements against the slider models in
the page's saved widget state. A control renders the same notebook with nbconvert's default (CDN) template and
must show no slider: that proves the network really is off in the test. They skip, naming the reason, only
where no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ganlib.harness.reports import ROOT, path_replacements, scrub_text
from ganlib.harness.reproduce import reproduce

SLIDER_MODELS = ("FloatSliderModel", "IntSliderModel", "FloatLogSliderModel", "FloatRangeSliderModel",
                 "IntRangeSliderModel")


def chromium() -> str | None:
    return next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)


needs_chromium = pytest.mark.skipif(chromium() is None, reason="no Chromium installed (Debian: apt-get install chromium)")


def offline_dom(html_file: Path, tmp_path: Path) -> str:
    """The page's DOM after its scripts ran, in headless Chromium with the network unreachable."""
    cmd = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", "--virtual-time-budget=20000", "--dump-dom",
           html_file.resolve().as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def saved_sliders(html_text: str) -> int:
    """Slider views in the page's saved widget state (what the renderer should draw)."""
    m = re.search(r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html_text, re.S)
    assert m, "no saved widget state in the page"
    state = json.loads(m.group(1))["state"]
    return sum(v["model_name"] in SLIDER_MODELS for v in state.values())


def rendered_sliders(dom: str) -> int:
    return len(re.findall(r'class="[^"]*\bwidget-slider\b[^"]*"', dom))


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links, self.scripts = [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.links.append(a["src"])
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """Notebook 07 executed by ``ganlib reproduce`` under ``smoke`` into a temporary folder, with one more
    figure saved as the numbered notebooks save theirs (the index must list it with its conclusion)."""
    import matplotlib.pyplot as plt

    from ganlib.notebook.plots import save_figure

    tmp = tmp_path_factory.mktemp("offline")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    save_figure(fig, tmp / "figures", "01_example", profile="smoke", iterations=3, seeds=[0], dataset="none",
                conclusion="the line falls from 1 to 0 (|slope| = 1 > 0)")
    plt.close(fig)
    status = reproduce("smoke", tmp / "reports", tmp / "figures", tmp / "runs", only=["07"], log=lambda *a: None)
    assert all(v.state == "ok" for v in status.values()), status
    return tmp


# -- without a browser ----------------------------------------------------------------------------------


def test_paths_are_rewritten_relative_to_the_notebook(tmp_path):
    nb_dir = ROOT / "notebooks"
    pairs = path_replacements(nb_dir, {"runs_dir": str(ROOT / "runs" / "quick"), "data_dir": str(tmp_path / "data")},
                              home=tmp_path.parent)
    text = (f'runs_dir = "{ROOT}/runs/quick"\nPosixPath(\'{ROOT}/figures/01.png\')\n{tmp_path}/data/x '
            f"{tmp_path.parent}/y {ROOT}_other")
    out = scrub_text(text, pairs)
    assert 'runs_dir = "../runs/quick"' in out and "PosixPath('../figures/01.png')" in out
    assert "<data_dir>/x" in out and "~/y" in out
    assert f"{ROOT}_other" in out  # a longer name that merely starts with the path is left alone


def test_reports_show_no_local_paths_and_load_no_remote_script(reports):
    rep = reports / "reports"
    pages = sorted(rep.glob("[0-9][0-9]_*.html"))
    assert [p.stem[:2] for p in pages] == ["07"]
    home = str(Path.home())
    for f in pages + sorted(rep.glob("[0-9][0-9]_*.ipynb")) + [rep / "index.html"]:
        text = f.read_text()
        for local in (str(ROOT), str(reports), home + "/" if home != "/" else str(ROOT)):
            assert local not in text, f"{f.name} shows {local}"
    for page in pages:
        parser = Links()
        parser.feed(page.read_text())
        assert parser.scripts, page.name
        for src in parser.scripts:
            assert "://" not in src and (rep / src).is_file(), f"{page.name} loads {src}"
    nb = json.loads((rep / "07_lambda_schedule_explorer.ipynb").read_text())
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'runs_dir = "<runs_dir>"' in "".join(injected["source"])  # outside the repository: a placeholder


def test_index_links_every_report_and_figure_with_its_conclusion(reports):
    rep, figs = reports / "reports", reports / "figures"
    index = (rep / "index.html").read_text()
    parser = Links()
    parser.feed(index)
    for href in parser.links:
        assert "://" not in href and (rep / href).exists(), href
    targets = {(rep / h).resolve() for h in parser.links}
    for page in rep.glob("[0-9][0-9]_*.html"):
        assert page.resolve() in targets, page.name
    pngs = sorted(figs.glob("*.png"))
    assert [p.stem for p in pngs] == ["01_example"]
    for png in pngs:
        assert png.resolve() in targets, png.name
        record = json.loads(png.with_suffix(".json").read_text())
        assert record["conclusion"] and record["conclusion"] in html.unescape(index), png.name


# -- in a browser, offline -------------------------------------------------------------------------------


@needs_chromium
def test_explorer_report_renders_its_sliders_offline(reports, tmp_path):
    page = reports / "reports" / "07_lambda_schedule_explorer.html"
    expected = saved_sliders(page.read_text())
    assert expected >= 5  # the explorer's sliders: lambda_max, lambda_min, gamma, beta, warm-up, ...
    dom = offline_dom(page, tmp_path)
    assert rendered_sliders(dom) == expected
    assert "mjx-container" in dom  # MathJax typeset the markdown's math, offline too


@needs_chromium
def test_without_the_pinned_renderer_nothing_renders_offline(reports, tmp_path):
    """The control: nbconvert's default template loads the renderer from a CDN, which the test cannot reach."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_filename(str(reports / "reports" / "07_lambda_schedule_explorer.ipynb"))
    page = tmp_path / "cdn.html"
    page.write_text(body)
    assert "unpkg.com" in body
    assert rendered_sliders(offline_dom(page, tmp_path)) == 0


@needs_chromium
def test_committed_explorer_report_renders_offline(tmp_path):
    page = next((ROOT / "reports").glob("07_*.html"), None)
    if page is None:
        pytest.skip("no committed reports/07_*.html (run `ganlib reproduce`)")
    assert rendered_sliders(offline_dom(page, tmp_path)) == saved_sliders(page.read_text()) > 0
