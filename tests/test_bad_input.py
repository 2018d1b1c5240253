"""The catalogue of bad input: every case ends in one line naming the problem, and exit status 2.

Each case is ``(input, prepare, expected words, exit status)``: ``prepare(tmp, runs)`` builds what the
case needs (a run folder with a hand-edited ``config.json``, a truncated ``.gz``...) and returns the
command line.  Nothing here trains beyond the three two-iteration runs of the ``runs`` fixture.

``python tests/test_bad_input.py`` prints the catalogue as a markdown table (input, message, exit
status), as the command prints it now.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
import struct
import sys
import tempfile
from dataclasses import fields
from pathlib import Path

import numpy as np
import pytest

from ganlib.cli import main
from ganlib.config import Config
from ganlib.train import load_checkpoint, train


def make_runs(root: Path) -> dict:
    """Three finished two-iteration toy runs: icvp width 16 (the one cases edit), icvp width 8, wgan width 16."""
    runs = {}
    for key, method, width in (("run", "icvp", 16), ("width8", "icvp", 8), ("wgan", "wgan", 16)):
        runs[key] = root / key
        train(Config(method=method, dataset="8gaussians", width=width, iters=2, quiet=True), runs[key])
    return runs


def copy_run(tmp: Path, runs: dict, edit=None) -> str:
    """A copy of the icvp width-16 run; ``edit(folder)`` changes it."""
    out = tmp / "run"
    shutil.copytree(runs["run"], out)
    if edit:
        edit(out)
    return str(out)


def edit_config(**changes):
    def edit(out: Path):
        cfg = json.loads((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps({**cfg, **changes}))
    return edit


def write(name: str, content: bytes):
    def edit(out: Path):
        (out / name).write_bytes(content)
    return edit


def killed_before_checkpoint(tmp: Path) -> Path:
    """A run folder as a run killed before its first checkpoint leaves it: ``config.json`` only."""
    out = tmp / "killed"
    out.mkdir()
    Config(method="wgan-gp", dataset="8gaussians", width=16, iters=2, quiet=True).resolved().save(out / "config.json")
    return out


def idx(array: np.ndarray) -> bytes:
    return bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape) + \
        array.astype(np.uint8).tobytes()


def mnist_truncated_gz(tmp: Path) -> str:
    raw = tmp / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.random.default_rng(0).integers(0, 256, (20, 28, 28))
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(images))[:-40])
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx(np.arange(20) % 10)))
    return str(tmp / "data")


def image_folder(tmp: Path, broken: bool) -> str:
    """A folder with a good PNG, a non-image file (ignored) and, with ``broken``, an unreadable image."""
    from PIL import Image

    folder = tmp / "images"
    folder.mkdir()
    Image.fromarray(np.zeros((40, 40, 3), dtype=np.uint8)).save(folder / "good.png")
    (folder / "notes.txt").write_text("not an image")
    if broken:
        (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff this is not a JPEG")
    return str(folder)


def empty(tmp: Path, name="empty") -> str:
    (tmp / name).mkdir()
    return str(tmp / name)


def text_file(tmp: Path, content: str, name="sweep.json") -> str:
    (tmp / name).write_text(content)
    return str(tmp / name)


T = ["train", "--quiet", "--out"]  # every train case trains nothing: the input is refused first
OUT = lambda t: str(t / "new")  # noqa: E731 - a fresh --out

CASES = [
    # --- values on the command line
    ("train --batch-size 0", lambda t, r: [*T, OUT(t), "--batch-size", "0"], ["batch-size", ">= 1", "got 0"], 2),
    ("train --iters 0", lambda t, r: [*T, OUT(t), "--iters", "0"], ["iters", ">= 1", "got 0"], 2),
    ("train --width -3", lambda t, r: [*T, OUT(t), "--width", "-3"], ["width", ">= 1", "got -3"], 2),
    ("train --method wgan-pl", lambda t, r: [*T, OUT(t), "--method", "wgan-pl"],
     ["'wgan-pl'", "choose from 'wgan', 'wgan-gp', 'icvp', 'icvp-eps', 'icvp-lambda', 'wgan-lp', 'dragan', 'r1', "
                   "'zero-gp', 'agp'"], 2),
    ("train --method agp --lambda-max 0", lambda t, r: [*T, OUT(t), "--method", "agp", "--lambda-max", "0"],
     ["lambda-max", "> 0", "agp"], 2),
    ("train --dataset imagenet", lambda t, r: [*T, OUT(t), "--dataset", "imagenet"],
     ["'imagenet'", "8gaussians", "folder:PATH"], 2),
    ("train --lr-g abc", lambda t, r: [*T, OUT(t), "--lr-g", "abc"], ["--lr-g", "invalid float value: 'abc'"], 2),
    ("train --lr-g nan", lambda t, r: [*T, OUT(t), "--lr-g", "nan"], ["lr-g", "finite", "nan"], 2),
    ("train --lambda-max -1", lambda t, r: [*T, OUT(t), "--lambda-max", "-1"], ["lambda-max", ">= 0", "-1"], 2),
    ("train --ema-beta 1.0", lambda t, r: [*T, OUT(t), "--ema-beta", "1.0"], ["ema-beta", "[0, 1)", "1.0"], 2),
    ("train --spectral-norm maybe", lambda t, r: [*T, OUT(t), "--spectral-norm", "maybe"],
     ["'maybe'", "true, false"], 2),
    ("train --eval-at 10,x", lambda t, r: [*T, OUT(t), "--eval-at", "10,x"], ["'10,x'", "100,500,1000"], 2),
    ("train --eval-at 1 --metrics fd", lambda t, r: [*T, OUT(t), "--eval-at", "1", "--metrics", "fd"],
     ["'fd'", "w1, fid, modes, kl_modes, swd"], 2),
    ("train --dataset celeba --image-size 48", lambda t, r: [*T, OUT(t), "--dataset", "celeba", "--image-size", "48"],
     ["image-size 48", "32, 64"], 2),
    ("train --device tpu", lambda t, r: [*T, OUT(t), "--device", "tpu"], ["'tpu'", "auto, cpu, cuda"], 2),
    ("train --no-such-option", lambda t, r: [*T, OUT(t), "--no-such-option"], ["--no-such-option", "--help"], 2),
    ("train without --out", lambda t, r: ["train", "--iters", "1"], ["--out", "required"], 2),
    # --- run folders: existing, missing, edited by hand, mixed up
    ("train --out RUN (a finished run, no --resume)", lambda t, r: [*T, copy_run(t, r)],
     ["already holds a run", "--resume"], 2),
    ("train --out EMPTY --resume", lambda t, r: [*T, empty(t), "--resume"], ["no run to continue", "config.json"], 2),
    ("train --out RUN --resume --width 512 (RUN: width 16)", lambda t, r: [*T, copy_run(t, r), "--resume", "--width",
                                                                          "512"],
     ["--width 512 (saved: 16)", "--iters"], 2),
    ("train --out RUN --resume, config.json batch_size edited to 0",
     lambda t, r: [*T, copy_run(t, r, edit_config(batch_size=0)), "--resume"],
     ["config.json", "batch-size must be an integer >= 1; got 0"], 2),
    ("train --out RUN --resume, config.json lr_g edited to \"fast\"",
     lambda t, r: [*T, copy_run(t, r, edit_config(lr_g="fast")), "--resume"],
     ["config.json", "lr-g must be a number", "'fast'"], 2),
    ("train --out RUN --resume, config.json field misspelt (lamda_max)",
     lambda t, r: [*T, copy_run(t, r, edit_config(lamda_max=5)), "--resume"],
     ["config.json", "lamda_max", "lambda_max"], 2),
    ("train --out RUN --resume, config.json not JSON",
     lambda t, r: [*T, copy_run(t, r, write("config.json", b"{width: 16")), "--resume"],
     ["config.json", "not valid JSON"], 2),
    ("train --out RUN --resume, checkpoint.pt of a width-8 run",
     lambda t, r: [*T, copy_run(t, r, lambda o: shutil.copy(r["width8"] / "checkpoint.pt", o)), "--resume"],
     ["checkpoint.pt", "another run", "width 8 in the checkpoint, 16 in config.json"], 2),
    ("train --out RUN --resume, checkpoint.pt of a wgan run",
     lambda t, r: [*T, copy_run(t, r, lambda o: shutil.copy(r["wgan"] / "checkpoint.pt", o)), "--resume"],
     ["checkpoint.pt", "another run", "method 'wgan' in the checkpoint, 'icvp' in config.json"], 2),
    ("train --out RUN --resume, checkpoint.pt not a checkpoint",
     lambda t, r: [*T, copy_run(t, r, write("checkpoint.pt", b"garbage")), "--resume"],
     ["checkpoint.pt", "cannot be read", "delete it"], 2),
    # --- data that is missing, or there but wrong
    ("train --dataset mnist --data-dir EMPTY (offline)", lambda t, r: [*T, OUT(t), "--dataset", "mnist", "--data-dir",
                                                                      empty(t)],
     ["data error", "no MNIST files at", "to get them", "digits"], 2),
    ("train --dataset celeba --data-dir EMPTY", lambda t, r: [*T, OUT(t), "--dataset", "celeba", "--data-dir",
                                                              empty(t)],
     ["data error", "no CelebA images at", "img_align_celeba", "to get them"], 2),
    ("train --dataset mnist, truncated .gz", lambda t, r: [*T, OUT(t), "--dataset", "mnist", "--data-dir",
                                                          mnist_truncated_gz(t)],
     ["data error", "t10k-images-idx3-ubyte.gz", "corrupt or truncated"], 2),
    ("train --dataset folder:DIR (a non-image file and an unreadable image)",
     lambda t, r: [*T, OUT(t), "--dataset", "folder:" + image_folder(t, broken=True)],
     ["data error", "cannot read image", "broken.jpg"], 2),
    ("train --dataset folder:EMPTY", lambda t, r: [*T, OUT(t), "--dataset", "folder:" + empty(t)],
     ["data error", "no images", "found under"], 2),
    ("train --dataset folder:/no/such/folder", lambda t, r: [*T, OUT(t), "--dataset", "folder:/no/such/folder"],
     ["data error", "/no/such/folder", "does not exist"], 2),
    # --- evaluate
    ("evaluate /no/such/dir", lambda t, r: ["evaluate", "/no/such/dir"], ["/no/such/dir", "does not exist"], 2),
    ("evaluate EMPTY", lambda t, r: ["evaluate", empty(t)], ["no checkpoint.pt", "not a ganlib run folder"], 2),
    ("evaluate RUN --metrics fd", lambda t, r: ["evaluate", str(r["run"]), "--metrics", "fd"],
     ["'fd'", "w1, fid"], 2),
    ("evaluate RUN --samples 0", lambda t, r: ["evaluate", str(r["run"]), "--samples", "0"],
     ["--samples", ">= 1", "0"], 2),
    ("evaluate RUN, checkpoint.pt of a width-8 run",
     lambda t, r: ["evaluate", copy_run(t, r, lambda o: shutil.copy(r["width8"] / "checkpoint.pt", o))],
     ["another run", "width 8"], 2),
    # --- compare, sweep, reproduce, demo
    ("compare --methods wgan,foo", lambda t, r: ["compare", "--dataset", "8gaussians", "--methods", "wgan,foo",
                                                 "--out", OUT(t)],
     ["'foo'", "wgan, wgan-gp, icvp, icvp-eps, icvp-lambda, wgan-lp, dragan, r1, zero-gp, agp"], 2),
    ("compare --seeds 0", lambda t, r: ["compare", "--dataset", "8gaussians", "--seeds", "0", "--out", OUT(t)],
     ["--seeds", ">= 1", "0"], 2),
    ("compare --batch-size 0", lambda t, r: ["compare", "--dataset", "8gaussians", "--batch-size", "0",
                                             "--out", OUT(t)], ["batch-size", ">= 1"], 2),
    ("sweep FILE (not JSON)", lambda t, r: ["sweep", text_file(t, "grid: lr 1e-4, 1e-3")],
     ["sweep.json", "not valid JSON"], 2),
    ("sweep /no/such.json", lambda t, r: ["sweep", "/no/such.json"], ["/no/such.json", "does not exist"], 2),
    ("sweep --storage postgresql://alice:S3cretPW@127.0.0.1:1/db (the password masked: tests/test_secrets.py)",
     lambda t, r: ["sweep", text_file(t, json.dumps({"name": "s", "dataset": "8gaussians", "iters": 1, "seeds": 1,
                                                     "grid": {"lr_g": [1e-3]}})),
                   "--out", OUT(t), "--storage", "postgresql://alice:S3cretPW@127.0.0.1:1/db"],
     ["storage", "alice:***@127.0.0.1:1/db", "cannot be used"], 2),
    ("reproduce --profile fast", lambda t, r: ["reproduce", "--profile", "fast"], ["'fast'", "smoke", "quick"], 2),
    ("reproduce --only 99", lambda t, r: ["reproduce", "--only", "99", "--reports", OUT(t), "--figures", OUT(t),
                                          "--runs", OUT(t)], ["'99'", "05_mnist"], 2),
    # --- a results store (reproduce --from-results) with a broken run
    ("reproduce --from-results, a truncated line in metrics.jsonl",
     lambda t, r: from_store(t, lambda run: (run / "metrics.jsonl").write_text(
         (run / "metrics.jsonl").read_text() + '{"iter": 6, "seconds": 1.2, "fid"\n')),
     ["metrics.jsonl, line", "not valid JSON", "delete that line"], 2),
    ("reproduce --from-results, a run without config.json",
     lambda t, r: from_store(t, lambda run: (run / "config.json").unlink()),
     ["wgan-gp-seed0 (no config.json)", "without their record"], 2),
    ("reproduce --from-results, a repeated row in metrics.jsonl",
     lambda t, r: from_store(t, lambda run: (run / "metrics.jsonl").write_text(
         (run / "metrics.jsonl").read_text().splitlines()[0] + "\n" + (run / "metrics.jsonl").read_text())),
     ["metrics.jsonl", "iteration 0 is recorded more than once", "dedupe_rows"], 2),
    ("demo --iters 0", lambda t, r: ["demo", "--iters", "0", "--runs", OUT(t), "--figures", OUT(t), "--quiet"],
     ["iters", ">= 1", "got 0"], 2),
]


STORE = Path(__file__).resolve().parent / "fixtures" / "results"  # the smoke study's committed store


def from_store(tmp: Path, edit) -> list:
    """``reproduce --profile smoke --from-results`` on a copy of the committed smoke store, its digits/wgan-gp-seed0
    run changed by ``edit(run folder)``."""
    store = tmp / "store"
    shutil.copytree(STORE, store)
    edit(store / "smoke" / "digits" / "runs" / "wgan-gp-seed0")
    return ["reproduce", "--profile", "smoke", "--from-results", "--results", str(store), "--reports", OUT(tmp),
            "--figures", OUT(tmp), "--runs", OUT(tmp)]


def run_case(argv: list) -> tuple[int, str]:
    """``ganlib ARGV`` in this process: (exit status, what it wrote to stderr)."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as e:
            code = e.code
    return code, err.getvalue()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return make_runs(tmp_path_factory.mktemp("runs"))


def test_the_catalogue_has_at_least_25_cases():
    assert len(CASES) >= 25 and len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name,prepare,words,code", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_an_exit_status(name, prepare, words, code, tmp_path, runs, monkeypatch):
    monkeypatch.setenv("GANLIB_OFFLINE", "1")  # "missing" must not depend on the network
    argv = prepare(tmp_path, runs)
    got, err = run_case(argv)
    assert got == code, f"{name}: exit status {got}, stderr: {err}"
    assert "Traceback" not in err
    line = err.strip()
    assert line and "\n" not in line, f"{name}: not one line: {err!r}"
    assert line.startswith("ganlib"), line
    for word in words:
        assert word in line, f"{name}: {word!r} missing from: {line}"
    assert not (tmp_path / "new" / "checkpoint.pt").exists(), "bad input must not train"


def test_resume_of_a_run_killed_before_its_first_checkpoint_uses_its_saved_config(tmp_path, capsys):
    out = killed_before_checkpoint(tmp_path)
    assert main(["train", "--out", str(out), "--resume", "--iters", "2", "--quiet"]) == 0
    assert "no checkpoint yet" in capsys.readouterr().err
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["method"], cfg["width"]) == ("wgan-gp", 16)  # not the command line's defaults (icvp, 512)
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["it"] == 2 and state["config"]["width"] == 16
    assert max(w.shape[0] for w in state["G"].values() if w.ndim == 2) == 16  # the networks are width 16


def test_help_says_each_default_once(capsys):
    """Was: "(default: see help)" after help texts that already named their default."""
    for command in ("train", "compare", "evaluate", "reproduce", "sweep", "demo"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        assert "see help" not in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    options = " ".join(capsys.readouterr().out.split()).split("options:")[-1]
    for f in fields(Config):
        opt = "--" + f.name.replace("_", "-") + " "
        segment = options.split(opt, 1)[1].split(" --", 1)[0]
        assert segment.lower().count("default") == 1, f"{opt}: {segment}"


def catalogue_table() -> str:
    """The catalogue as a markdown table: input, the message the command prints now, exit status."""
    rows = ["| input | message | exit status |", "|---|---|---|"]
    os.environ["GANLIB_OFFLINE"] = "1"
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        runs = make_runs(root / "runs")
        for i, (name, prepare, _, _) in enumerate(CASES):
            tmp = root / f"case{i}"
            tmp.mkdir()
            code, err = run_case(prepare(tmp, runs))
            msg = err.strip().replace(d, "TMP").replace("|", "\\|")
            rows.append(f"| `{name}` | {msg} | {code} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(print(catalogue_table()))
