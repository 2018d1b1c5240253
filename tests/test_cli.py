"""The ``ganlib`` command (ganlib.cli) and the configuration it is generated from (ganlib.config)."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

import pytest

from ganlib.cli import main
from ganlib.config import Config
from ganlib.data import DATASETS
from ganlib.methods import METHODS
from ganlib.train import load_checkpoint, read_jsonl


def refused(capsys, argv) -> str:
    """Run ``main(argv)``, expect exit code 2, return stderr."""
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize(
    "args,bad,accepted",
    [
        (["--method", "wgan-pl"], "wgan-pl", list(METHODS)),  # (wgan-lp is a method: ganlib.relatives)
        (["--dataset", "imagenet"], "imagenet", list(DATASETS)),
        (["--n-critic", "0"], "0", ["n-critic", ">= 1"]),
        (["--lambda-max", "-1"], "-1", ["lambda-max", ">= 0"]),
        (["--lambda-min", "-0.5"], "-0.5", ["lambda-min", ">= 0"]),
        (["--ema-beta", "1.0"], "1.0", ["ema-beta", "[0, 1)"]),
        (["--adam-beta1", "1.5"], "1.5", ["adam-beta1", "[0, 1)"]),
        (["--interpolation", "uniform"], "uniform", ["deterministic", "band"]),
        (["--activation", "swish"], "swish", ["relu", "leaky_relu", "tanh"]),
        (["--iters", "ten"], "ten", ["--iters", "int"]),
    ],
)
def test_bad_values_are_refused_with_what_is_accepted(capsys, tmp_path, args, bad, accepted):
    out = tmp_path / "run"
    err = refused(capsys, ["train", "--out", str(out), *args])
    assert bad in err
    for word in accepted:
        assert word in err, f"{word!r} missing from: {err}"
    assert not (out / "checkpoint.pt").exists()


def test_train_help_lists_every_config_field(capsys):
    with pytest.raises(SystemExit) as e:
        main(["train", "--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    squeezed = "".join(text.split())  # argparse wraps lines anywhere, hyphens included
    for f in fields(Config):
        opt = "--" + f.name.replace("_", "-")
        assert opt in text, f"{opt} missing from train --help"
        assert f.metadata.get("help"), f"{f.name} has no help text"
        assert "".join(f.metadata["help"].split()) in squeezed, f"help of {opt} missing"
    assert "--out" in text and "--resume" in text


def test_train_writes_the_run_folder_and_resumes(capsys, tmp_path):
    out = tmp_path / "run"
    base = ["train", "--out", str(out), "--dataset", "8gaussians", "--width", "16", "--quiet"]
    assert main([*base, "--iters", "2", "--method", "wgan-gp", "--seed", "4"]) == 0
    for name in ("config.json", "log.jsonl", "checkpoint.pt", "run.json"):
        assert (out / name).is_file(), name
    cfg = json.loads((out / "config.json").read_text())
    assert (cfg["method"], cfg["seed"], cfg["width"], cfg["lambda_max"]) == ("wgan-gp", 4, 16, 0.1)
    assert len(read_jsonl(out / "log.jsonl")) == 2
    assert json.loads((out / "run.json").read_text())["status"] == "finished"
    assert "2 generator iterations" in capsys.readouterr().out

    assert main([*base, "--iters", "3", "--resume"]) == 0
    assert [r["iter"] for r in read_jsonl(out / "log.jsonl")] == [1, 2, 3]
    assert load_checkpoint(out / "checkpoint.pt")["it"] == 3
    assert json.loads((out / "config.json").read_text())["method"] == "wgan-gp"  # kept from the first run

    err = refused(capsys, [*base, "--iters", "5"])
    assert "--resume" in err and str(out) in err
    assert load_checkpoint(out / "checkpoint.pt")["it"] == 3  # untouched


def test_bool_options(tmp_path):
    out = tmp_path / "run"
    assert main(["train", "--out", str(out), "--iters", "1", "--width", "8", "--quiet", "yes",
                 "--spectral-norm", "--method", "wgan-gp"]) == 0
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["quiet"] is True and cfg["spectral_norm"] is True


def test_data_error_is_one_clear_line(capsys, tmp_path):
    err = refused(capsys, ["train", "--out", str(tmp_path / "run"), "--dataset", "celeba",
                           "--data-dir", str(tmp_path / "nodata"), "--quiet"])
    assert "data error" in err and str(tmp_path / "nodata") in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# 14. Config
# ---------------------------------------------------------------------------------------------

def test_config_from_dict_refuses_unknown_fields():
    with pytest.raises(ValueError) as e:
        Config.from_dict({"method": "icvp", "lamda_max": 5.0})
    assert "lamda_max" in str(e.value)
    assert "lambda_max" in str(e.value)  # and lists what is accepted


def test_config_round_trip(tmp_path):
    c = Config(method="icvp-eps", dataset="digits", iters=7, sample_at=[1, 2], metrics=["fid"]).resolved()
    c.save(tmp_path / "c.json")
    assert Config.load(tmp_path / "c.json") == c


def test_config_resolves_published_defaults():
    wgan = Config(method="wgan", dataset="8gaussians").resolved()
    assert (wgan.optimizer, wgan.lr_g, wgan.lr_d, wgan.batch_size, wgan.clip_value) == ("rmsprop", 5e-5, 5e-5, 256,
                                                                                        0.01)
    gp = Config(method="wgan-gp", dataset="mnist").resolved()
    assert (gp.optimizer, gp.lr_g, gp.adam_beta1, gp.adam_beta2, gp.lambda_max, gp.batch_size, gp.n_critic) == (
        "adam", 1e-4, 0.5, 0.9, 10.0, 50, 5)
    toy = Config(method="icvp", dataset="8gaussians").resolved()
    assert toy.lambda_max == 0.1  # toy lambda of the WGAN-GP reference code; icvp's lambda_max equals it
    colour = Config(method="icvp", dataset="celeba").resolved()
    assert (colour.batch_size, colour.image_size) == (64, 32)


def test_config_resolves_the_network_sizes():
    """Config.resolved is the one place of the defaults: the trainer and build_models take the sizes from it."""
    sizes = lambda **kw: (lambda c: (c.latent_dim, c.width))(Config(**kw).resolved())  # noqa: E731
    assert sizes(dataset="8gaussians") == (2, 512)
    for dataset in ("digits", "celeba", "folder:/some/images"):
        assert sizes(dataset=dataset) == (128, 64), dataset
    assert sizes(dataset="digits", latent_dim=16, width=8) == (16, 8)
    given = Config()
    given.resolved()
    assert given.latent_dim is None and given.width is None  # resolved() returns a copy


def train_help(capsys) -> str:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_a_retired_field_is_dropped_with_its_remaining_value_and_refused_otherwise(tmp_path, capsys):
    """wgan_warmup (set by nothing) is gone; configs saved with it, false, still load (the results store holds them)."""
    stored = Path(__file__).parent / "fixtures" / "results" / "smoke" / "toy-lambda10" / "runs" / "icvp-seed0"
    assert json.loads((stored / "config.json").read_text())["wgan_warmup"] is False
    c = Config.load(stored / "config.json")
    assert not hasattr(c, "wgan_warmup") and c.method == "icvp"
    (tmp_path / "c.json").write_text(json.dumps({**json.loads((stored / "config.json").read_text()),
                                                 "wgan_warmup": True}))
    with pytest.raises(ValueError, match="c.json: wgan_warmup True: this option was removed"):
        Config.load(tmp_path / "c.json")
    assert "--wgan-warmup" not in train_help(capsys)


def test_every_default_is_said_once_from_data(capsys):
    """The command line shows each default from data: the value, or the field's default_text where the value (None,
    an empty list) does not say it; no help text names a default itself."""
    for f in fields(Config):
        assert "default" not in f.metadata["help"].lower(), f"{f.name}: its help names a default"
        if f.default is None or f.default == ():
            assert f.metadata.get("default_text"), f"{f.name}: a None or empty default needs default_text"
    text = train_help(capsys)
    assert "(default: 256 toy, 50 MNIST-like, 64 colour)" in text and "(default: 0.5)" in text


def test_field_types_come_from_the_type_hints():
    from ganlib.config import FIELD_TYPES

    assert set(FIELD_TYPES) == {f.name for f in fields(Config)}
    assert FIELD_TYPES["lr_g"] == (float, True) and FIELD_TYPES["iters"] == (int, False)
    assert FIELD_TYPES["sample_at"] == (list, False) and FIELD_TYPES["quiet"] == (bool, False)
    assert FIELD_TYPES["data_dir"] == (str, True)
    with pytest.raises(ValueError, match="width must be an integer or null; got 2.5"):
        Config(width=2.5).validate()
    with pytest.raises(ValueError, match="every item of eval-at must be an integer; got 'x'"):
        Config(eval_at=[1, "x"]).validate()
