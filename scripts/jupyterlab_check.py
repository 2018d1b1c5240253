"""Drive notebook 07 (the lambda explorer) in a real JupyterLab in headless Chromium, as a user would.

Not a test (it needs a browser that CI does not install): a check a maintainer runs by hand after
changing ``ganlib.notebook.widgets``, and looks at the screenshots it writes.  It starts ``jupyter lab`` on
localhost, opens ``notebooks/07_lambda_schedule_explorer.ipynb``, dismisses JupyterLab's news pop-up, runs the
first two cells with Shift+Enter, drags sliders and picks a schedule with the mouse, sets the training
iterations, presses "train", waits for it, presses "train" again and then "stop", and prints what the page
showed after each step.  Besides full-page screenshots it writes ``explorer_*.png``: the explorer element alone.

Needs Chromium (Debian: ``apt-get install chromium``) and Playwright's Python package
(``pip install playwright``; its own browser download is not needed)::

    python scripts/jupyterlab_check.py --out /tmp/jupyterlab-check [--jupyter .venv/bin/jupyter]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "notebooks/07_lambda_schedule_explorer.ipynb"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_lab(jupyter: str, port: int, token: str, home: Path) -> subprocess.Popen:
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"), "MPLBACKEND": "Agg"}
    cmd = [jupyter, "lab", "--no-browser", "--allow-root", f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={home}", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
           "jupyterlab.NeverCheckForUpdate"]
    log = open(home / "lab.log", "w")
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def dismiss_news(page) -> str:
    """JupyterLab 4 asks once whether to fetch Jupyter news, in a toast over the notebook: answer "No"."""
    try:
        button = page.locator(".jp-Notification-Toast, .Toastify__toast").get_by_role("button", name="No")
        button.first.click(timeout=15_000)
        return "news pop-up dismissed"
    except Exception:  # noqa: BLE001 - no pop-up (already answered, or news disabled)
        return "no news pop-up"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="jupyterlab-check", help="folder for the screenshots")
    p.add_argument("--jupyter", default=shutil.which("jupyter") or str(ROOT / ".venv" / "bin" / "jupyter"))
    p.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    p.add_argument("--timeout", type=float, default=180, help="seconds to wait for a training run")
    p.add_argument("--iters", type=int, default=200, help="generator iterations typed into the explorer")
    p.add_argument("--load-timeout", type=float, default=120, help="seconds to wait for the page, kernel and widgets")
    args = p.parse_args(argv)
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="ganlib-lab-"))
    port, token = free_port(), "ganlib-check"
    (home / "notebooks").mkdir()
    shutil.copy(ROOT / NOTEBOOK, home / NOTEBOOK)  # a copy: the lab's autosave must not touch the repository
    lab = start_lab(args.jupyter, port, token, home)
    seen = []

    def note(msg):
        seen.append(msg)
        print(msg, flush=True)

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=args.chromium, args=CHROMIUM_FLAGS, headless=True)
            page = browser.new_page(viewport={"width": 1500, "height": 2800})  # tall: the explorer fits whole
            url = f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}?token={token}"
            for _ in range(60):  # the server takes a few seconds to come up
                try:
                    page.goto(url, timeout=10_000)
                    break
                except Exception:  # noqa: BLE001 - not up yet
                    time.sleep(1)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=args.load_timeout * 1000)
            page.wait_for_function("document.body.innerText.includes('Idle')", timeout=args.load_timeout * 1000)  # kernel ready
            note(f"opened {NOTEBOOK} in JupyterLab at {page.url.split('?')[0]}")
            note(dismiss_news(page))

            # run the parameters cell and the cell that builds the explorer, as a user would
            cells = page.locator(".jp-Notebook .jp-Cell.jp-CodeCell")
            for i in (0, 1):
                cells.nth(i).locator(".jp-InputArea-editor").click()
                page.keyboard.press("Shift+Enter")
                page.wait_for_timeout(1000)
            try:
                page.wait_for_selector(".widget-slider, .jupyter-widget-slider", timeout=args.load_timeout * 1000)
            except Exception:
                page.screenshot(path=out / "failed_no_sliders.png", full_page=True)
                raise
            image = cells.nth(1).locator(".jp-OutputArea img").first
            image.wait_for(timeout=args.load_timeout * 1000)
            time.sleep(2)
            explorer = cells.nth(1).locator(".jp-OutputArea").first
            page.screenshot(path=out / "1_explorer_defaults.png", full_page=False)
            explorer.screenshot(path=out / "explorer_1_defaults.png")
            note("explorer shown: " + ", ".join(cells.nth(1).locator(".widget-label, .jupyter-widget-label")
                                                .all_inner_texts()[:12]))
            train_image = cells.nth(1).locator(".jp-OutputArea img").nth(1)
            width = train_image.evaluate("img => img.complete ? img.naturalWidth : 0")
            note(f"training panel before the first training: an image {width} px wide (0 would be a broken image)")
            ok = width > 0
            note("notes under the controls: " + " | ".join(
                t for t in cells.nth(1).locator(".widget-html, .jupyter-widget-html").all_inner_texts()
                if "generator iterations" in t or "deterministic" in t))

            def slider(label):
                return cells.nth(1).locator(".widget-slider, .jupyter-widget-slider").filter(has_text=label)

            def drag(label, dx):
                s = slider(label)
                handle = s.locator(".noUi-handle, .ui-slider-handle").first
                handle.scroll_into_view_if_needed()
                box = handle.bounding_box()
                before_src = image.get_attribute("src")
                before = s.locator(".widget-readout, .jupyter-widget-readout").inner_text()
                # a click on the slider's track moves the handle there (a drag of the handle does the same)
                page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2)
                for _ in range(60):
                    if image.get_attribute("src") != before_src:
                        break
                    time.sleep(0.5)
                after = s.locator(".widget-readout, .jupyter-widget-readout").inner_text()
                redrawn = image.get_attribute("src") != before_src
                note(f"dragged {label!r}: {before} -> {after}; plot redrawn: {redrawn}")
                return redrawn

            ok &= drag("gamma", 60)
            time.sleep(1)
            page.screenshot(path=out / "2_gamma_dragged.png")
            ok &= drag("lambda_min", 80)
            ok &= drag("warm-up", 120)
            page.screenshot(path=out / "3_lambda_min_and_warmup_dragged.png")
            src = image.get_attribute("src")
            cells.nth(1).locator("select").nth(1).select_option("cosine")
            for _ in range(60):
                if image.get_attribute("src") != src:
                    break
                time.sleep(0.5)
            note(f"picked lambda schedule 'cosine'; plot redrawn: {image.get_attribute('src') != src}")
            page.screenshot(path=out / "4_cosine_schedule.png")
            cells.nth(1).locator("select").nth(1).select_option("distance")

            # the train button: a full short run, then a run stopped with the stop button
            status = cells.nth(1).locator(".ganlib-status").first
            box = cells.nth(1).locator(".widget-inline-hbox, .jupyter-widget-inline-hbox").filter(
                has_text="train iterations").locator("input").first
            box.fill(str(args.iters))
            box.press("Enter")
            note(f"typed {args.iters} into 'train iterations'")
            page.get_by_role("button", name="train").click()
            t0 = time.time()
            page.wait_for_timeout(4000)
            note(f"train pressed; after 4 s the status reads: {status.inner_text()!r}")
            page.screenshot(path=out / "5_training.png")
            while time.time() - t0 < args.timeout:
                text = cells.nth(1).inner_text()
                if "done in" in text or "stopped (" in text or "training failed" in text:
                    break
                time.sleep(1)
            time.sleep(2)
            note(f"training ended after {time.time() - t0:.0f} s; status: {status.inner_text()!r}")
            ok &= "done in" in status.inner_text()
            page.screenshot(path=out / "6_trained.png", full_page=True)
            explorer.screenshot(path=out / "explorer_2_trained.png")
            shown = cells.nth(1).locator(".widget-html, .jupyter-widget-html").filter(has_text="What this run shows")
            note("under the training figure: " + (shown.first.inner_text() if shown.count() else "(nothing)"))
            page.get_by_role("button", name="train").click()
            page.wait_for_timeout(5000)
            page.get_by_role("button", name="stop").click()
            t1 = time.time()
            while time.time() - t1 < 60 and "stopped (" not in status.inner_text():
                time.sleep(0.5)
            note(f"train pressed again, stop pressed after 5 s; {time.time() - t1:.1f} s later the status "
                 f"reads: {status.inner_text()!r}")
            ok &= "stopped (" in status.inner_text()
            page.screenshot(path=out / "7_stopped.png", full_page=True)
            browser.close()
    finally:
        lab.terminate()
        lab.wait(timeout=30)
    (out / "what_was_seen.txt").write_text("\n".join(seen) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
