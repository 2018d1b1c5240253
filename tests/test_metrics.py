"""Tests of ganlib.metrics (METHOD.md section 5): closed forms, floors, monotonicity, caching, RNG hygiene.

Real data comes from the shared offline folder (``$GANLIB_DATA`` or ``../shared/data``); tests that need
it are skipped when it is missing. Everything cached (classifier, preprocessed CelebA) goes to a
temporary ``$GANLIB_CACHE``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF

from ganlib import metrics as M
from ganlib.data import Dataset, load_dataset
from ganlib.models import DCGANGenerator, MLPGenerator


@pytest.fixture(scope="module", autouse=True)
def tmp_cache(request, tmp_path_factory):
    """A temporary $GANLIB_CACHE for this module's module-scoped fixtures (data.py reads it at call time).

    Module fixtures are set up before conftest's per-test ``_isolated_cache``, so they are pointed at the
    same session folder, where the per-test lookups will find the cached classifier.
    """
    try:
        path = request.getfixturevalue("_session_cache")
    except pytest.FixtureLookupError:
        path = tmp_path_factory.mktemp("ganlib-cache")
    mp = pytest.MonkeyPatch()
    mp.setenv("GANLIB_CACHE", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def shared_data() -> Path:
    """The shared offline data folder, or skip."""
    path = Path(os.environ.get("GANLIB_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not (path / "MNIST" / "raw").is_dir():
        pytest.skip(f"no offline MNIST under {path} (set GANLIB_DATA to the shared data folder)")
    return path


@pytest.fixture(scope="module")
def mnist(shared_data) -> Dataset:
    return load_dataset("mnist", root=shared_data)


@pytest.fixture(scope="module")
def classifier(mnist, tmp_cache):
    return M.get_classifier(mnist)


@pytest.fixture(scope="module")
def halves(mnist):
    """Two disjoint random halves of 1,000 real MNIST images each."""
    idx = torch.randperm(len(mnist), generator=torch.Generator().manual_seed(0))
    x = mnist.images()
    return x[idx[:1000]], x[idx[1000:2000]]


# ---------------------------------------------------------------------------------------------
# Frechet distance
# ---------------------------------------------------------------------------------------------


def test_frechet_matches_closed_form_for_diagonal_gaussians():
    rng = np.random.RandomState(0)
    mu1, mu2 = rng.randn(5), rng.randn(5)
    s1, s2 = rng.uniform(0.1, 3, 5), rng.uniform(0.1, 3, 5)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert M.frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)) == pytest.approx(expected, rel=1e-6)
    assert M.frechet_distance(mu1, np.diag(s1), mu1, np.diag(s1)) == pytest.approx(0, abs=1e-6)


def test_frechet_handles_singular_covariances():
    sigma = np.diag([1.0, 0.0, 0.0])  # e.g. dead ReLU features
    d = M.frechet_distance(np.zeros(3), sigma, np.ones(3), sigma)
    assert np.isfinite(d) and d == pytest.approx(3.0, abs=1e-2)


def test_frechet_from_features_estimates_known_gaussians():
    g = torch.Generator().manual_seed(0)
    f1 = torch.randn(50_000, 3, generator=g)
    f2 = 2.0 * torch.randn(50_000, 3, generator=g) + 1.0
    expected = 3 * 1.0 + 3 * (1 + 4 - 2 * 2)  # ||mu||^2 + sum(s1 + s2 - 2 sqrt(s1 s2))
    assert M.frechet_from_features(f1, f2) == pytest.approx(expected, rel=0.05)


# ---------------------------------------------------------------------------------------------
# Exact W1 (toy)
# ---------------------------------------------------------------------------------------------


def test_w1_of_a_shift_is_its_length():
    x = torch.rand(300, 2, generator=torch.Generator().manual_seed(0))
    assert M.w1_exact(x, x + torch.tensor([0.3, 0.4])) == pytest.approx(0.5, abs=1e-6)
    assert M.w1_exact(x, x) == pytest.approx(0.0, abs=1e-9)


def test_w1_rejects_unequal_sizes():
    with pytest.raises(ValueError, match="equal-size"):
        M.w1_exact(torch.zeros(10, 2), torch.zeros(11, 2))


def test_w1_near_floor_for_real_and_grows_with_corruption():
    n = 1000
    floor = M.w1_floor("8gaussians", n, seed=0)
    a, b = M.toy_real("8gaussians", n, 5), M.toy_real("8gaussians", n, 6)
    real = M.w1_exact(a, b)
    assert 0 < floor < 0.15 and real < 2 * floor
    noise = torch.randn(a.shape, generator=torch.Generator().manual_seed(0))
    values = [real] + [M.w1_exact(a + s * noise, b) for s in (0.05, 0.1, 0.2, 0.4)]
    assert all(u < v for u, v in zip(values, values[1:])), values


# ---------------------------------------------------------------------------------------------
# Classifier
# ---------------------------------------------------------------------------------------------


def test_classifier_accuracy_on_held_out_mnist(mnist, classifier):
    assert classifier.meta["n_train"] == 8000 and classifier.meta["n_heldout"] == 2000
    with torch.no_grad():
        pred = classifier(mnist.images(8000, 10000)).argmax(1)
    accuracy = float((pred == mnist.y[8000:]).float().mean())
    assert accuracy >= 0.98
    assert classifier.meta["accuracy"] == pytest.approx(accuracy)


def test_mnist_gets_the_shipped_ruler_that_measured_the_committed_store(mnist, classifier, monkeypatch):
    """The FID ruler is pinned: MNIST's classifier is the one shipped in ganlib/rulers (never retrained), and its
    fingerprint is the one every evaluation row of the committed mnist part records."""
    import json

    from ganlib.harness.study import RESULTS

    assert classifier.meta["source"] == "shipped" and Path(classifier.meta["path"]).parent == M.RULERS
    assert classifier.meta["fingerprint"] == M.fingerprint(classifier)

    def no_training(*args, **kwargs):
        raise AssertionError("retrained although shipped")

    monkeypatch.setattr(M, "train_classifier", no_training)
    assert M.get_classifier(mnist).meta["fingerprint"] == classifier.meta["fingerprint"]
    rows = [json.loads(line) for f in sorted((RESULTS / "long" / "mnist").glob("runs/*/metrics.jsonl"))
            for line in f.read_text().splitlines()]
    assert rows and {r["ruler"] for r in rows} == {classifier.meta["fingerprint"]}
    changed = Dataset("mnist", "image", (1, 28, 28), mnist.x.clone(), mnist.y.clone())
    changed.x[0, 0, 0, 0] ^= 1
    assert M.classifier_key(changed) != M.classifier_key(mnist)
    relabelled = Dataset("mnist", "image", (1, 28, 28), mnist.x, mnist.y.clone())
    relabelled.y[0] = (relabelled.y[0] + 1) % 10
    assert M.classifier_key(relabelled) != M.classifier_key(mnist)


def test_classifier_training_is_deterministic_and_cached(tmp_path, monkeypatch):
    """Trained twice on one machine, the same bits (one thread, seeded); cached atomically, then loaded."""
    monkeypatch.setenv("GANLIB_CACHE", str(tmp_path))
    digits = load_dataset("digits")
    first, second = M.train_classifier(digits, epochs=1), M.train_classifier(digits, epochs=1)
    assert M.fingerprint(first) == M.fingerprint(second)
    clf = M.get_classifier(digits)
    path = Path(clf.meta["path"])
    assert clf.meta["source"] == "trained" and path.parent.name == "classifiers" and not list(path.parent.glob("*.tmp"))
    monkeypatch.setattr(M, "train_classifier", lambda *a, **k: (_ for _ in ()).throw(AssertionError("retrained")))
    again = M.get_classifier(digits)
    assert again.meta["source"] == "cache" and again.meta["fingerprint"] == clf.meta["fingerprint"]


def test_a_comparison_refuses_runs_measured_with_different_rulers():
    from ganlib.harness.compare import ruler_of

    same = {("a", 0): [{"iter": 0, "fid": 1.0, "ruler": "x"}], ("b", 0): [{"iter": 0, "fid": 2.0, "ruler": "x"}]}
    assert ruler_of(same) == "x"
    assert ruler_of({("a", 0): [{"iter": 0, "w1": 1.0}]}) is None  # no classifier metric: no ruler
    mixed = {**same, ("b", 1): [{"iter": 0, "fid": 2.0}]}  # a run from before rulers were recorded
    with pytest.raises(ValueError, match="different FID rulers.*unrecorded: b-seed1"):
        ruler_of(mixed)


def test_classifier_on_digits_trains_without_touching_global_rng(tmp_path, monkeypatch):
    monkeypatch.setenv("GANLIB_CACHE", str(tmp_path))  # an empty cache: other tests may have trained one
    digits = load_dataset("digits")
    state = torch.get_rng_state()
    clf = M.get_classifier(digits)
    assert torch.equal(state, torch.get_rng_state())
    assert not clf.meta["from_cache"] and clf.meta["n_heldout"] == 359
    assert clf.meta["accuracy"] > 0.8  # only 1,438 training images: lower than MNIST, far above chance


# ---------------------------------------------------------------------------------------------
# Image metrics: floor, monotone in corruption, seeded
# ---------------------------------------------------------------------------------------------


def _blur(x, sigma):
    return TF.gaussian_blur(x, 9, sigma)


def _noise(x, s):
    return (x + s * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)


def test_fid_near_floor_and_monotone_in_blur(halves, classifier):
    a, b = halves
    floor = M.classifier_fid(b, a, classifier)
    values = [floor] + [M.classifier_fid(_blur(b, s), a, classifier) for s in (0.5, 1.0, 1.5, 2.0)]
    assert floor < 40 and values[-1] > 10 * floor
    assert all(u < v for u, v in zip(values, values[1:])), values


def test_mode_coverage_near_floor_and_monotone_in_noise(halves, classifier):
    a, b = halves
    kl, modes = M.mode_coverage(b, a, classifier)
    assert kl < 0.03 and modes == 10
    values = [kl] + [M.mode_coverage(_noise(b, s), a, classifier)[0] for s in (0.4, 0.6, 0.8)]
    assert values[1] > 5 * kl
    assert all(u < v for u, v in zip(values, values[1:])), values


def test_mode_coverage_counts_dropped_classes(mnist, halves, classifier):
    a, _ = halves
    x = mnist.images(0, 4000)
    collapsed = x[mnist.y[:4000] < 5][:1000]  # a generator that only makes digits 0-4
    kl, modes = M.mode_coverage(collapsed, a, classifier)
    assert modes == 5
    assert kl == pytest.approx(np.log(2), abs=0.15)  # uniform over half the classes


def test_swd_near_floor_monotone_and_seeded(halves):
    a, b = (h[:500] for h in halves)
    floor = M.swd(b, a, seed=0)
    assert set(floor) == {"swd_32", "swd_16", "swd"}
    assert floor["swd"] == pytest.approx((floor["swd_32"] + floor["swd_16"]) / 2)
    values = [floor["swd"]] + [M.swd(_blur(b, s), a, seed=0)["swd"] for s in (0.5, 1.0, 1.5, 2.0)]
    assert values[-1] > 3 * floor["swd"]
    assert all(u < v for u, v in zip(values, values[1:])), values
    assert M.swd(b, a, seed=0) == floor  # same seed: identical
    assert M.swd(b, a, seed=1) != floor


def test_swd_on_celeba_32(shared_data):
    if not (shared_data / "celeba" / "img_align_celeba").is_dir():
        pytest.skip(f"no offline CelebA under {shared_data}")
    celeba = load_dataset("celeba", root=shared_data, image_size=32, max_images=1000)
    x = celeba.images()
    assert x.shape == (1000, 3, 32, 32)
    floor = M.swd(x[:500], x[500:], seed=0)
    blurred = M.swd(_blur(x[:500], 1.5), x[500:], seed=0)
    assert set(floor) == {"swd_32", "swd_16", "swd"}
    assert blurred["swd_32"] > 2 * floor["swd_32"] and blurred["swd"] > floor["swd"]


def test_laplacian_pyramid_reconstructs():
    x = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    lap = M.laplacian_pyramid(x, 2)
    assert [t.shape[-1] for t in lap] == [32, 16]
    assert torch.allclose(lap[0] + M.pyr_up(lap[1]), x, atol=1e-5)


# ---------------------------------------------------------------------------------------------
# evaluate(): keys, seeds, global RNG, errors
# ---------------------------------------------------------------------------------------------


def test_evaluate_image_keys_seed_and_global_rng(mnist, classifier):
    g = DCGANGenerator(28, 1, latent_dim=16, width=8)
    g.train()
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    out = M.evaluate(g, mnist, M.default_metrics(mnist), n=300, seed=3)
    assert torch.equal(torch_state, torch.get_rng_state())
    assert np.array_equal(np_state[1], np.random.get_state()[1])
    assert g.training  # mode restored
    assert set(out) == {"fid", "kl_modes", "modes", "swd", "swd_32", "swd_16", "ruler"}
    assert out.pop("ruler") == classifier.meta["fingerprint"]  # which ruler measured the classifier metrics
    assert all(np.isfinite(v) for v in out.values())
    again = M.evaluate(g, mnist, ["fid", "swd"], n=300, seed=3)
    assert again == {**{k: out[k] for k in ("fid", "swd", "swd_32", "swd_16")}, "ruler": classifier.meta["fingerprint"]}


def test_evaluate_toy_w1_and_global_rng():
    data = load_dataset("8gaussians")
    g = MLPGenerator(latent_dim=2, width=32)
    state = torch.get_rng_state()
    out = M.evaluate(g, data, None, n=500, seed=0)
    assert torch.equal(state, torch.get_rng_state())
    assert set(out) == {"w1", "w1_floor"} and out["w1"] > out["w1_floor"] > 0
    assert M.evaluate(g, data, ["w1"], n=500, seed=0) == out


def test_default_metrics_and_errors():
    toy = load_dataset("8gaussians")
    digits = load_dataset("digits")
    colour = Dataset("celeba", "image", (3, 32, 32), torch.zeros(4, 3, 32, 32, dtype=torch.uint8))
    assert M.default_metrics(toy) == ["w1"]
    assert M.default_metrics(digits) == ["fid", "swd", "modes"]
    assert M.default_metrics(colour) == ["swd"]
    g = MLPGenerator()
    with pytest.raises(ValueError, match=r"'inception'.*accepted: w1, fid, modes, kl_modes, swd"):
        M.evaluate(g, toy, ["inception"])
    with pytest.raises(ValueError, match=r"'fid'.*8gaussians.*accepted for it: w1"):
        M.evaluate(g, toy, ["fid"])
    with pytest.raises(ValueError, match=r"'fid'.*celeba.*accepted for it: swd"):
        M.evaluate(DCGANGenerator(32, 3, latent_dim=8, width=8), colour, ["fid"])
    with pytest.raises(ValueError, match="1x28x28 images with labels"):
        M.get_classifier(colour)


@pytest.mark.parametrize("noise", ["uniform", "normal"])
def test_evaluation_draws_the_runs_own_latents(noise):
    """A uniform-noise generator is scored on U[-1, 1] latents, as it was trained (not on N(0, 1))."""
    from ganlib.config import Config
    from ganlib.train import Run
    from ganlib import metrics as M

    run = Run(Config(method="wgan-gp", dataset="8gaussians", width=16, noise=noise))
    seen = []
    run.G.register_forward_pre_hook(lambda mod, args: seen.append(args[0].detach().clone()))
    M.generate(run.G, 2000, seed=0)
    z = torch.cat(seen)
    inside = float((z.abs() <= 1).float().mean())
    if noise == "uniform":
        assert inside == 1.0 and z.min() < -0.9 and z.max() > 0.9
    else:
        assert 0.66 < inside < 0.71  # P(|z| <= 1) = 0.683 for a standard normal coordinate
