"""What a reader of an HTML report sees of the cells: the code panel of notebooks 01-03 as code beside its
formulas, one parameter cell, and the exercises' solutions folded.

The page is built as ``ganlib reproduce`` builds a report (:func:`ganlib.harness.reports.render_html` with the offline
template) from a small executed notebook holding ``teaching.show_critic_losses``'s real output, so the check
needs no training.  Without a browser the HTML is read; in headless Chromium (network unreachable, as in
``tests/test_reports_offline.py``) a probe script measures what the browser laid out: the code block's
computed font is monospace (``iiiiiiiiii`` and ``MMMMMMMMMM`` are equally wide in it), its text starts at the
left edge of the block, no line is wrapped, and MathJax typeset every formula.  They skip, naming the reason,
only where no Chromium is installed (Debian: ``apt-get install chromium``).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from ganlib.notebook import teaching
from ganlib.harness.reports import render_html

from test_reports_offline import chromium, needs_chromium, offline_dom

PROBE = """
<script>
function ganlibProbe() {
  const out = {blocks: [], formulas: [], details: []};
  for (const pre of document.querySelectorAll('pre.ganlib-code')) {
    const code = pre.querySelector('code') || pre, st = getComputedStyle(code), box = pre.getBoundingClientRect();
    const w = s => { const e = document.createElement('span'); e.textContent = s; code.appendChild(e);
                     const x = e.getBoundingClientRect().width; e.remove(); return x; };
    const text = code.firstChild, body = text.data.replace(/\\n+$/, ''), lines = body.split('\\n');
    const last = body.lastIndexOf('\\n') + 1, range = document.createRange();
    range.setStart(text, last); range.setEnd(text, last + 1);
    const all = document.createRange(); all.selectNodeContents(code);
    const pad = parseFloat(getComputedStyle(pre).paddingLeft) + parseFloat(getComputedStyle(pre).borderLeftWidth);
    out.blocks.push({font: st.fontFamily, align: getComputedStyle(pre).textAlign, white: st.whiteSpace,
                     narrow: w('iiiiiiiiii'), wide: w('MMMMMMMMMM'), lines: lines.length,
                     lineBoxes: new Set(Array.from(all.getClientRects()).map(r => Math.round(r.top))).size,
                     lastLineOffset: range.getBoundingClientRect().left - box.left - pad,
                     overflowX: getComputedStyle(pre).overflowX, width: box.width});
  }
  for (const td of document.querySelectorAll('td.ganlib-formula'))
    out.formulas.push({typeset: td.querySelectorAll('mjx-container').length, raw: td.textContent.includes('$')});
  for (const d of document.querySelectorAll('details.ganlib-solution'))
    out.details.push({open: d.open, shown: d.querySelector('.jp-Cell').checkVisibility()});
  const p = document.createElement('pre'); p.id = 'ganlib-probe'; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
}
window.addEventListener('load', () => {
  const ready = window.MathJax && MathJax.startup && MathJax.startup.promise;
  const run = () => { try { ganlibProbe(); } catch (e) {
    const p = document.createElement('pre'); p.id = 'ganlib-probe'; p.textContent = JSON.stringify({error: String(e)});
    document.body.appendChild(p); } };
  (ready ? MathJax.startup.promise : Promise.resolve()).then(() => setTimeout(run, 200));
});
</script>
"""


def _report(folder: Path) -> Path:
    """An executed notebook as a report shows it: the defaults cell, papermill's injected cell, a markdown
    cell with math, the code panel's real output, and an exercise's solutions (code and derivation)."""
    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        new_markdown_cell("# A report\n\nThe critic estimates $W_1$."),
        new_code_cell('profile = "smoke"  # the defaults', metadata={"tags": ["parameters"]}, execution_count=1),
        new_code_cell('# Parameters\nprofile = "quick"\n', metadata={"tags": ["injected-parameters"]}, execution_count=2),
        new_code_cell('teaching.show_critic_losses("icvp")', execution_count=3, outputs=[new_output(
            "display_data", data={"text/html": teaching.critic_loss_sources("icvp"), "text/plain": "<HTML>"})]),
        new_markdown_cell("## Exercises\n\n**1.** *What to expect:* 42."),
        new_code_cell("print(6 * 7)", metadata={"tags": ["solution"], "jupyter": {"source_hidden": True}},
                      execution_count=4, outputs=[new_output("stream", name="stdout", text="42\n")]),
        new_markdown_cell("**Derivation.** $6 \\times 7 = 42$.", metadata={"tags": ["solution"],
                                                                           "jupyter": {"source_hidden": True}}),
    ]
    path = folder / "01_report.ipynb"
    nbformat.write(nb, path)
    return render_html(path)


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Path:
    return _report(tmp_path_factory.mktemp("report-cells"))


# -- without a browser ----------------------------------------------------------------------------------


def test_only_the_injected_parameters_are_shown(page):
    text = page.read_text()
    assert "celltag_injected-parameters" in text and "quick" in text
    assert "celltag_parameters" not in text and "the defaults" not in text


def test_a_notebook_run_without_papermill_keeps_its_parameters_cell(tmp_path):
    nb = new_notebook()
    nb.cells = [new_code_cell('profile = "smoke"  # the defaults', metadata={"tags": ["parameters"]})]
    nbformat.write(nb, tmp_path / "plain.ipynb")
    assert "the defaults" in render_html(tmp_path / "plain.ipynb").read_text()


def test_solutions_are_folded(page):
    text = page.read_text()
    folded = re.findall(r'<details class="ganlib-solution"><summary>Solution \(click to expand\)</summary>(.*?)</details>',
                        text, re.S)
    assert len(folded) == 2 and "print" in folded[0] and "42" in folded[0] and "times 7 = 42" in folded[1]
    assert "<details open" not in text


# -- in a browser, offline -------------------------------------------------------------------------------


def probe(html_file: Path, tmp_path: Path) -> dict:
    probed = html_file.with_name("probed_" + html_file.name)
    probed.write_text(html_file.read_text().replace("</body>", PROBE + "</body>"))
    dom = offline_dom(probed, tmp_path)
    m = re.search(r'<pre id="ganlib-probe">(.*?)</pre>', dom, re.S)
    assert m, "the probe did not run"
    seen = json.loads(m.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))
    assert "error" not in seen, seen
    return seen


@needs_chromium
def test_code_panel_is_code_beside_typeset_formulas(page, tmp_path):
    seen = probe(page, tmp_path)
    assert len(seen["blocks"]) == 1 + sum(o is not None for _, steps in teaching.LOSS_STEPS.values() for _, o in steps)
    for b in seen["blocks"]:
        assert "monospace" in b["font"], b
        assert b["narrow"] == pytest.approx(b["wide"], abs=0.5), f"not a monospace font as laid out: {b}"
        assert b["align"] in ("left", "start"), b
        assert abs(b["lastLineOffset"]) <= 1.0, f"a short line does not start at the left edge: {b}"
        assert b["white"] == "pre" and b["lineBoxes"] == b["lines"], f"lines wrapped: {b}"
        assert b["overflowX"] == "auto", b
    assert seen["formulas"] and all(f["typeset"] >= 1 and not f["raw"] for f in seen["formulas"]), seen["formulas"]
    assert [d["open"] for d in seen["details"]] == [False, False]
    assert not any(d["shown"] for d in seen["details"]), seen["details"]


def screenshot(html_file: Path, png: Path, tmp_path: Path, size=(1300, 1500)) -> Path:
    """A screenshot of a report in headless Chromium, offline (for docs/code_panel.png)."""
    cmd = [chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
           "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND", f"--user-data-dir={tmp_path / 'shot-profile'}",
           f"--window-size={size[0]},{size[1]}", "--virtual-time-budget=20000", f"--screenshot={png}",
           html_file.resolve().as_uri()]
    subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)
    return png


@needs_chromium
def test_screenshot_of_the_code_panel(page, tmp_path):
    png = screenshot(page, tmp_path / "code_panel.png", tmp_path)
    assert png.stat().st_size > 20_000  # a rendered page, not a blank one
