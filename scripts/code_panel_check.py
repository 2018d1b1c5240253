"""The code panel of notebooks 01-03 (``ganlib.notebook.teaching.show_critic_losses``) as a reader sees it, in JupyterLab and
in the offline HTML report, measured in headless Chromium.

Not a test (JupyterLab in a browser is too heavy for the suite; ``tests/test_report_cells.py`` checks the offline
HTML on every run): a check a maintainer runs by hand after changing the panel, and looks at the screenshots it
writes.  It builds a small executed notebook holding the panel's real output, opens it in ``jupyter lab`` (not
trusted, so JupyterLab's HTML sanitizer applies, as for any notebook a reader downloads) and, rendered with
:func:`ganlib.harness.reports.render_html`, as a file with every network request refused.  In both it measures each code
block: the computed font (monospace, and ``iiiiiiiiii`` as wide as ``MMMMMMMMMM`` in it), where a short line starts
(the block's left edge), whether any line wrapped, and whether MathJax typeset each formula; then it writes
``code_panel_jupyterlab.png`` and ``code_panel_html.png`` and exits 1 if a check failed.

Needs Chromium (Debian: ``apt-get install chromium``) and Playwright's Python package (``pip install playwright``;
its own browser download is not needed)::

    python scripts/code_panel_check.py --out docs [--jupyter .venv/bin/jupyter]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from jupyterlab_check import CHROMIUM_FLAGS, dismiss_news, free_port, start_lab  # noqa: E402

PROBE = """() => {
  const out = {blocks: [], formulas: []};
  for (const pre of document.querySelectorAll('pre.ganlib-code')) {
    const code = pre.querySelector('code') || pre, st = getComputedStyle(code), box = pre.getBoundingClientRect();
    const w = s => { const e = document.createElement('span'); e.textContent = s; code.appendChild(e);
                     const x = e.getBoundingClientRect().width; e.remove(); return x; };
    const text = code.firstChild, body = text.data.replace(/\\n+$/, ''), lines = body.split('\\n');
    const last = body.lastIndexOf('\\n') + 1, range = document.createRange();
    range.setStart(text, last); range.setEnd(text, last + 1);
    const all = document.createRange(); all.selectNodeContents(code);
    const ps = getComputedStyle(pre);
    out.blocks.push({font: st.fontFamily, align: ps.textAlign, white: st.whiteSpace, overflowX: ps.overflowX,
                     narrow: w('iiiiiiiiii'), wide: w('MMMMMMMMMM'), lines: lines.length,
                     lineBoxes: new Set(Array.from(all.getClientRects()).map(r => Math.round(r.top))).size,
                     lastLineOffset: range.getBoundingClientRect().left - box.left - parseFloat(ps.paddingLeft)
                                     - parseFloat(ps.borderLeftWidth)});
  }
  for (const td of document.querySelectorAll('td.ganlib-formula'))
    out.formulas.push({typeset: td.querySelectorAll('mjx-container').length, raw: td.textContent.includes('$')});
  return out;
}"""


def executed_notebook(path: Path) -> Path:
    """A notebook whose one output is the panel (``show_critic_losses("icvp")``), as an executed report holds it."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from ganlib.notebook import teaching

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [new_markdown_cell("# The code panel of notebooks 01-03"),
                new_code_cell('teaching.show_critic_losses("icvp")', execution_count=1, outputs=[new_output(
                    "display_data", data={"text/html": teaching.critic_loss_sources("icvp"), "text/plain": "<HTML>"})])]
    nbformat.write(nb, path)
    return path


def verdict(where: str, seen: dict) -> list[str]:
    """The failed checks, one line each."""
    bad = []
    if not seen["blocks"]:
        return [f"{where}: no code block found"]
    for i, b in enumerate(seen["blocks"]):
        if "monospace" not in b["font"] or abs(b["narrow"] - b["wide"]) > 0.5:
            bad.append(f"{where}, block {i}: not monospace ({b['font']}; {b['narrow']:.1f} vs {b['wide']:.1f} px)")
        if b["align"] not in ("left", "start") or abs(b["lastLineOffset"]) > 1.0:
            bad.append(f"{where}, block {i}: not left-aligned ({b['align']}, last line {b['lastLineOffset']:.1f} px in)")
        if b["white"] != "pre" or b["lineBoxes"] != b["lines"]:
            bad.append(f"{where}, block {i}: wrapped ({b['lines']} lines in {b['lineBoxes']} line boxes)")
    if not seen["formulas"] or not all(f["typeset"] and not f["raw"] for f in seen["formulas"]):
        bad.append(f"{where}: a formula was not typeset by MathJax")
    return bad


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="code-panel-check", help="folder for the screenshots")
    p.add_argument("--jupyter", default=shutil.which("jupyter") or str(ROOT / ".venv" / "bin" / "jupyter"))
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--load-timeout", type=float, default=180, help="seconds to wait for JupyterLab and MathJax")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from ganlib.harness.reports import render_html

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="ganlib-panel-"))
    nb = executed_notebook(home / "panel.ipynb")
    html = render_html(executed_notebook(Path(tempfile.mkdtemp(prefix="ganlib-panel-html-")) / "panel.ipynb"))
    port, token = free_port(), "ganlib-check"
    lab = start_lab(args.jupyter, port, token, home)
    failed, results = [], {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1400, "height": 3200})  # tall: the whole panel in view
            url = f"http://127.0.0.1:{port}/lab/tree/{nb.name}?token={token}"
            for _ in range(60):
                try:
                    page.goto(url, timeout=10_000)
                    break
                except Exception:  # noqa: BLE001 - the server is not up yet
                    time.sleep(1)
            page.wait_for_selector("pre.ganlib-code", timeout=args.load_timeout * 1000)
            print(dismiss_news(page), flush=True)
            page.wait_for_function("document.querySelectorAll('td.ganlib-formula mjx-container').length > 0",
                                   timeout=args.load_timeout * 1000)
            time.sleep(2)
            results["jupyterlab"] = page.evaluate(PROBE)
            page.locator(".jp-OutputArea-output").first.screenshot(path=out / "code_panel_jupyterlab.png")
            offline = browser.new_page(viewport={"width": 1300, "height": 3200})
            offline.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                          else route.abort())
            offline.goto(html.resolve().as_uri())
            offline.wait_for_function("document.querySelectorAll('td.ganlib-formula mjx-container').length > 0",
                                      timeout=args.load_timeout * 1000)
            time.sleep(1)
            results["offline HTML"] = offline.evaluate(PROBE)
            offline.locator(".jp-OutputArea-output").first.screenshot(path=out / "code_panel_html.png")
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    for where, seen in results.items():
        failed += verdict(where, seen)
        b = seen["blocks"][0] if seen["blocks"] else {}
        print(f"{where}: {len(seen['blocks'])} code blocks, {len(seen['formulas'])} formulas; first block: font "
              f"{b.get('font')!r}, align {b.get('align')}, white-space {b.get('white')}", flush=True)
    print("\n".join(failed) if failed else "every check passed, in JupyterLab and in the offline HTML")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
