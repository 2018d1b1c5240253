"""Metrics that do not depend on the method's own critic and need no download (METHOD.md section 5).

- Toy 2-D sets: :func:`w1_exact`, the exact Wasserstein-1 distance between equal-size point sets
  (POT's network simplex on Euclidean costs), reported beside :func:`w1_floor`, the same estimate
  between two real samples of the same size (the empirical estimate is biased upwards; that is its floor).
- MNIST-like sets (1x28x28 with labels): a small CNN (:class:`DigitClassifier`) trained in-project on
  the real data and cached on disk (:func:`get_classifier`); the Frechet distance between its
  penultimate-layer feature statistics (:func:`classifier_fid`) and the generated class histogram
  (:func:`mode_coverage`).
- Images: sliced Wasserstein distance on Laplacian-pyramid patches (:func:`swd`), after Karras et al.
  2018 (tkarras/progressive_growing_of_gans, ``metrics/sliced_wasserstein.py``).

:func:`evaluate` draws generated and real samples and computes the metrics named by :data:`METRICS`.

Randomness: every metric uses its own seeded ``torch.Generator`` (or a forked RNG); none consumes the
global torch RNG, whose state is part of a training checkpoint (training stays exactly resumable).
"""

from __future__ import annotations

import functools
import hashlib
import os
import time
import warnings
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import ot
import scipy.linalg
import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset, cache_dir, toy_sample

METRICS = ("w1", "fid", "modes", "kl_modes", "swd")

# Seeds of an evaluation's draws, from its ``seed`` (the generated sample and swd's projections use ``seed`` itself):
REAL_STREAM = 1  # the real sample: seed + REAL_STREAM
FLOOR_STREAM = 1_000_003  # w1_floor's two real samples: FLOOR_STREAM + 2 * seed and the seed after it

# --------------------------------------------------------------------------------------------
# Toy 2-D: exact W1 (METHOD.md section 5, first item).
# --------------------------------------------------------------------------------------------


def w1_exact(x, y, num_iter_max: int = 10_000_000) -> float:
    """Exact Wasserstein-1 distance between two equal-size point sets with uniform weights.

    Solved as an optimal-transport linear programme with POT (``ot.emd2``) on the *Euclidean* cost
    matrix (POT's default metric is squared Euclidean, which would not give W1). ``num_iter_max`` is
    raised well above POT's default (100,000) so that a few thousand points converge.
    """
    x, y = (np.asarray(torch.as_tensor(v).detach().cpu(), dtype=np.float64) for v in (x, y))
    if x.ndim != 2 or x.shape != y.shape:
        raise ValueError(f"w1_exact needs two equal-size point sets (n, d); got {x.shape} and {y.shape}")
    a = b = np.full(len(x), 1.0 / len(x))
    return float(ot.emd2(a, b, ot.dist(x, y, metric="euclidean"), numItermax=num_iter_max))


def toy_real(name: str, n: int, seed: int) -> torch.Tensor:
    """``n`` real samples of toy set ``name``, drawn from a seeded fork of the CPU RNG (global RNG untouched)."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        return toy_sample(name, n)


@functools.lru_cache(maxsize=64)
def w1_floor(name: str, n: int, seed: int = 0) -> float:
    """W1 between two independent real samples of ``n`` points: the bias floor of :func:`w1_exact` at size ``n``.

    A perfect generator scores about this value, not 0. Deterministic in ``seed``, hence cached. Its two
    samples use seeds far from those :func:`evaluate` uses, so they are independent of its real sample.
    """
    first = FLOOR_STREAM + 2 * seed
    return w1_exact(toy_real(name, n, first), toy_real(name, n, first + 1))


# --------------------------------------------------------------------------------------------
# Frechet distance (METHOD.md section 5, second item).
# --------------------------------------------------------------------------------------------


def frechet_distance(mu1, sigma1, mu2, sigma2, eps: float = 1e-6) -> float:
    """Frechet distance between Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``||mu1 - mu2||^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``, with the matrix square root
    from ``scipy.linalg.sqrtm``. When that root is not finite or has a non-negligible imaginary part
    (near-singular covariances), ``eps`` is added to both diagonals and it is recomputed; the tiny
    imaginary parts left by rounding are dropped. Clipped at 0 (rounding can make it slightly negative).
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"mismatched shapes: mu {mu1.shape}, {mu2.shape}; sigma {sigma1.shape}, {sigma2.shape}")
    with warnings.catch_warnings():  # singular covariances (e.g. dead ReLU features) are expected and handled
        warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
        covmean = scipy.linalg.sqrtm(sigma1 @ sigma2)
        if not np.isfinite(covmean).all() or np.abs(np.imag(np.diagonal(covmean))).max() > 1e-3:
            offset = np.eye(len(mu1)) * eps
            covmean = scipy.linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return max(0.0, float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean)))


def feature_stats(f) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance (rows are samples) of a feature matrix, in float64."""
    f = np.asarray(torch.as_tensor(f).detach().cpu(), dtype=np.float64)
    return f.mean(axis=0), np.cov(f, rowvar=False)


def frechet_from_features(f1, f2, eps: float = 1e-6) -> float:
    """:func:`frechet_distance` between the Gaussian fits of two feature matrices ``(n, d)``."""
    return frechet_distance(*feature_stats(f1), *feature_stats(f2), eps=eps)


# --------------------------------------------------------------------------------------------
# Classifier for MNIST-like data, trained in-project and cached (METHOD.md section 5, second item).
# --------------------------------------------------------------------------------------------

# Changing the architecture or the training recipe below must change this string: it is part of the
# cache key, so old cached classifiers are then retrained instead of loaded.
CLASSIFIER_VERSION = "cnn16-32-fc128/adam-onecycle3e-3/6ep/bs64/shift2/holdout0.2/max20000/seed0/v1"
RULERS = Path(__file__).resolve().parent / "rulers"  # shipped classifiers: the FID rulers of the committed stores
HOLDOUT = 0.2  # fraction of the data (its end) held out to report the classifier's accuracy
MAX_TRAIN = 20_000  # training images at most (bounds the one-off training time on a CPU for large sets)


class DigitClassifier(nn.Module):
    """Two 3x3 conv layers (16, 32 channels, each with 2x2 max-pooling), one hidden FC layer of 128, logits.

    Input ``(N, 1, 28, 28)`` in ``[0, 1]``. :meth:`features` is the 128-d penultimate layer (after ReLU).
    ``meta`` holds what :func:`get_classifier` knows about it (cache key, held-out accuracy, ...).
    """

    def __init__(self, num_classes: int = 10, hidden: int = 128):
        super().__init__()
        self.conv = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
            nn.Linear(32 * 7 * 7, hidden), nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(hidden, num_classes))
        self.meta: dict = {}

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x))


def classifier_applies(dataset: Dataset) -> bool:
    """Whether the classifier metrics (``fid``, ``modes``) apply: 1x28x28 images with labels."""
    return dataset.kind == "image" and tuple(dataset.shape) == (1, 28, 28) and dataset.y is not None


def classifier_key(dataset: Dataset) -> str:
    """sha1 of the recipe (:data:`CLASSIFIER_VERSION`), the uint8 image bytes and the labels."""
    h = hashlib.sha1(CLASSIFIER_VERSION.encode())
    h.update(str(tuple(dataset.x.shape)).encode())
    h.update(dataset.x.contiguous().numpy().tobytes())
    h.update(dataset.y.to(torch.int64).contiguous().numpy().tobytes())
    return h.hexdigest()


def _split(n: int) -> tuple[int, int]:
    """Training images ``[0, n_train)`` (80%, at most :data:`MAX_TRAIN`) and the held-out start (the last 20%)."""
    heldout_start = n - max(1, int(round(HOLDOUT * n)))
    return min(heldout_start, MAX_TRAIN), heldout_start


@torch.no_grad()
def _batched(fn, images: torch.Tensor, batch_size: int, device) -> torch.Tensor:
    return torch.cat([fn(images[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)])


def train_classifier(dataset: Dataset, epochs: int = 6, batch_size: int = 64, seed: int = 0) -> DigitClassifier:
    """Train a :class:`DigitClassifier` on the first 80% of ``dataset`` (at most :data:`MAX_TRAIN` images;
    CPU, Adam with a one-cycle schedule, random shifts of up to 2 pixels); ``meta['accuracy']`` is the
    accuracy on the held-out last 20%. MNIST's 10,000-image test split: 8,000 train, 2,000 held out.

    Runs in a seeded fork of the CPU RNG on one thread: the same bits on every run on one kind of CPU
    (a sum split over several threads differs in its last bits, and training amplifies them), and the
    global RNG and thread count are untouched.  Another kind of CPU gives another network: the ruler of a
    committed store is therefore shipped (:data:`RULERS`), not retrained.
    """
    x, y = dataset.images(), dataset.y.to(torch.int64)
    n_train, heldout = _split(len(x))
    num_classes = int(y.max()) + 1
    start = time.perf_counter()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        net = DigitClassifier(num_classes)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        steps = epochs * -(-n_train // batch_size)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps)
        net.train()
        for _ in range(epochs):
            perm = torch.randperm(n_train)
            for i in range(0, n_train, batch_size):
                idx = perm[i:i + batch_size]
                dx, dy = torch.randint(0, 5, (2,)).tolist()  # shift the batch by up to 2 pixels
                xb = F.pad(x[idx], (2, 2, 2, 2))[:, :, dy:dy + 28, dx:dx + 28]
                loss = F.cross_entropy(net(xb), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
    torch.set_num_threads(threads)
    net.eval()
    pred = _batched(net, x[heldout:], 1000, "cpu").argmax(1)
    net.meta = {"dataset": dataset.name, "n_train": n_train, "n_heldout": len(x) - heldout,
                "accuracy": float((pred == y[heldout:]).float().mean()), "num_classes": num_classes,
                "train_seconds": round(time.perf_counter() - start, 2), "version": CLASSIFIER_VERSION}
    return net


def fingerprint(net: nn.Module) -> str:
    """sha256 (first 16 hex digits) of a network's parameters and buffers: which ruler measured a number."""
    h = hashlib.sha256()
    for name, t in net.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _load_classifier(path: Path) -> DigitClassifier:
    saved = torch.load(path, map_location="cpu", weights_only=True)
    with torch.random.fork_rng(devices=[]):  # the initial weights, overwritten below, would use the global RNG
        net = DigitClassifier(saved["meta"]["num_classes"])
    net.load_state_dict(saved["state"])
    net.meta = dict(saved["meta"])
    return net


def _save_classifier(net: DigitClassifier, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    torch.save({"state": net.state_dict(), "meta": {k: v for k, v in net.meta.items() if k != "path"}}, tmp)
    os.replace(tmp, path)


def classifier_file(dataset: Dataset, key: str | None = None) -> str:
    return f"{dataset.name.replace('/', '_').replace(':', '_')[-40:]}-{(key or classifier_key(dataset))[:16]}.pt"


def get_classifier(dataset: Dataset, device="cpu") -> DigitClassifier:
    """The classifier (the FID ruler) for ``dataset``: shipped, cached, or trained now and cached.

    Looked up by :func:`classifier_key` (recipe, images, labels), first among the shipped rulers
    (:data:`RULERS`: MNIST's test split, the ruler of the committed ``long`` study), then in
    ``cache_dir()/classifiers/``; else trained (:func:`train_classifier`) and cached, written atomically.
    ``meta['fingerprint']`` (:func:`fingerprint`) names the ruler: every evaluation row records it, and a
    comparison refuses runs measured with different rulers.  ``meta['source']``: shipped, cache or trained.
    Returned in eval mode on ``device``.
    """
    if not classifier_applies(dataset):
        raise ValueError(f"the classifier needs 1x28x28 images with labels; {dataset.name} has shape "
                         f"{tuple(dataset.shape)}{' and no labels' if dataset.y is None else ''}")
    key = classifier_key(dataset)
    name = classifier_file(dataset, key)
    shipped, cached = RULERS / name, cache_dir() / "classifiers" / name
    if shipped.exists():
        net, source, path = _load_classifier(shipped), "shipped", shipped
    elif cached.exists():
        net, source, path = _load_classifier(cached), "cache", cached
    else:
        net = train_classifier(dataset)
        net.meta["key"] = key
        net.meta["fingerprint"] = fingerprint(net)
        _save_classifier(net, cached)
        source, path = "trained", cached
    net.meta.setdefault("fingerprint", fingerprint(net))
    net.meta.update(source=source, from_cache=source != "trained", path=str(path))
    return net.eval().to(device)


def classifier_fid(fake: torch.Tensor, real: torch.Tensor, classifier: DigitClassifier, batch_size: int = 500) -> float:
    """Frechet distance between the classifier's penultimate-layer features of ``fake`` and ``real`` images."""
    device = next(classifier.parameters()).device
    return frechet_from_features(_batched(classifier.features, fake, batch_size, device),
                                 _batched(classifier.features, real, batch_size, device))


def class_histogram(images: torch.Tensor, classifier: DigitClassifier, batch_size: int = 500) -> np.ndarray:
    """Fraction of ``images`` the classifier assigns to each class."""
    device = next(classifier.parameters()).device
    pred = _batched(classifier, images, batch_size, device).argmax(1)
    counts = np.bincount(pred.numpy(), minlength=classifier.head[-1].out_features)
    return counts / counts.sum()


def mode_coverage(fake: torch.Tensor, real: torch.Tensor, classifier: DigitClassifier, batch_size: int = 500,
                  eps: float = 1e-6) -> tuple[float, int]:
    """Mode coverage from the classifier's predicted class histograms: ``(KL, classes covered)``.

    ``KL = KL(p_fake || p_real)`` with both histograms smoothed by ``eps`` and renormalised (0 when the
    class proportions match). A class counts as covered when it receives at least a tenth of its share
    under a uniform distribution, i.e. ``>= 0.1 / K`` of the generated samples (1% for ten classes).
    """
    p, q = (class_histogram(v, classifier, batch_size) for v in (fake, real))
    ps, qs = (p + eps) / (1 + eps * len(p)), (q + eps) / (1 + eps * len(q))
    kl = float(np.sum(ps * np.log(ps / qs)))
    return kl, int(np.sum(p >= 0.1 / len(p)))


# --------------------------------------------------------------------------------------------
# Sliced Wasserstein distance on Laplacian-pyramid patches (METHOD.md section 5, third item).
# --------------------------------------------------------------------------------------------

_BINOMIAL = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0]) / 16.0
_GAUSS5 = torch.outer(_BINOMIAL, _BINOMIAL)  # the 5x5 binomial filter of cv2.pyrDown


def _blur(x: torch.Tensor) -> torch.Tensor:
    """5x5 binomial filter per channel with mirror padding (torch 'reflect' == scipy.ndimage 'mirror')."""
    c = x.shape[1]
    w = _GAUSS5.to(x).expand(c, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), w, groups=c)


def pyr_down(x: torch.Tensor) -> torch.Tensor:
    """Blur, then keep every second pixel (as cv2.pyrDown)."""
    return _blur(x)[:, :, ::2, ::2]


def pyr_up(x: torch.Tensor) -> torch.Tensor:
    """Insert zeros between pixels, then blur with 4x the filter (as cv2.pyrUp)."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[:, :, ::2, ::2] = x
    return 4.0 * _blur(up)


def laplacian_pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    """``levels`` Laplacian levels, full size first: each is ``level - pyr_up(next)``; the last is the Gaussian."""
    pyramid = [x.float()]
    for _ in range(1, levels):
        pyramid.append(pyr_down(pyramid[-1]))
        pyramid[-2] = pyramid[-2] - pyr_up(pyramid[-1])
    return pyramid


def _patches(level: torch.Tensor, per_image: int, size: int, gen: torch.Generator) -> torch.Tensor:
    """``per_image`` random ``size x size`` patches (wholly inside) per image, standardised per channel.

    Returns ``(N * per_image, C * size * size)``, each row a patch flattened channel-first.
    """
    n, c, h, w = level.shape
    img = torch.arange(n).repeat_interleave(per_image)
    top = torch.randint(0, h - size + 1, (n * per_image,), generator=gen)  # = centres in [r, h - r)
    left = torch.randint(0, w - size + 1, (n * per_image,), generator=gen)
    windows = level.unfold(2, size, 1).unfold(3, size, 1)  # a view: (N, C, h', w', size, size)
    p = windows[img, :, top, left]  # (M, C, size, size)
    std, mean = torch.std_mean(p, dim=(0, 2, 3), keepdim=True, correction=0)
    return ((p - mean) / std.clamp_min(1e-8)).reshape(len(p), -1)


def _sliced_wasserstein(a: torch.Tensor, b: torch.Tensor, repeats: int, dirs: int, gen: torch.Generator) -> float:
    """Mean over ``repeats`` x ``dirs`` random unit directions of the 1-D W1 between sorted projections."""
    results = []
    threads = max(1, torch.get_num_threads())
    # numpy's SIMD quicksort is several times faster than torch.sort here, and it releases the GIL: the rows
    # are sorted in place, in torch's number of threads at once
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for _ in range(repeats):
            d = torch.randn(a.shape[1], dirs, generator=gen)
            d = d / d.norm(dim=0, keepdim=True)
            pa, pb = ((d.T @ v.T).numpy() for v in (a, b))  # (dirs, patches)
            chunks = [c for p in (pa, pb) for c in np.array_split(p, max(1, threads // 2))]
            list(pool.map(lambda c: c.sort(axis=1), chunks))
            pa -= pb
            results.append(float(np.abs(pa, out=pa).mean()))
    return float(np.mean(results))


def swd(fake: torch.Tensor, real: torch.Tensor, seed: int = 0, patches_per_image: int = 128, patch_size: int = 7,
        dir_repeats: int = 4, dirs_per_repeat: int = 128) -> dict[str, float]:
    """Sliced Wasserstein distance x1e3 between Laplacian-pyramid patches of two equal-size image sets.

    As Karras et al. 2018 (METHOD.md section 5): pyramid levels from full size down to 16 (5x5 binomial
    filter, mirror padding); 128 random 7x7 patches per image and level; each patch set standardised per
    channel by its own mean and std; 4 repeats of 128 random unit directions; sorted projections, mean
    absolute difference, x1e3. 28x28 images are zero-padded to 32x32 (two levels, 32 and 16); any number
    of channels is handled as is. Returns ``{'swd_32': ..., 'swd_16': ..., 'swd': average}`` (keys by
    level size). Seeded by ``seed`` with its own ``torch.Generator``; computed on the CPU.
    """
    fake, real = fake.detach().float().cpu(), real.detach().float().cpu()
    if fake.shape != real.shape or fake.ndim != 4:
        raise ValueError(f"swd needs two image sets of equal shape (N, C, H, W); got {tuple(fake.shape)}, "
                         f"{tuple(real.shape)}")
    if fake.shape[-1] == 28:
        fake, real = F.pad(fake, (2, 2, 2, 2)), F.pad(real, (2, 2, 2, 2))
    size = fake.shape[-1]
    sizes = [s for s in (size >> i for i in range(8)) if s >= 16]
    if not sizes or fake.shape[-2] != size:
        raise ValueError(f"swd needs square images of at least 16x16; got {tuple(fake.shape[-2:])}")
    gen = torch.Generator().manual_seed(seed)
    out = {}
    for s, lf, lr in zip(sizes, laplacian_pyramid(fake, len(sizes)), laplacian_pyramid(real, len(sizes))):
        a = _patches(lr, patches_per_image, patch_size, gen)
        b = _patches(lf, patches_per_image, patch_size, gen)
        out[f"swd_{s}"] = 1e3 * _sliced_wasserstein(a, b, dir_repeats, dirs_per_repeat, gen)
    out["swd"] = float(np.mean(list(out.values())))
    return out


# --------------------------------------------------------------------------------------------
# Evaluating a generator.
# --------------------------------------------------------------------------------------------


def default_metrics(dataset: Dataset) -> list[str]:
    """Toy: ``['w1']``; 1x28x28 with labels: ``['fid', 'swd', 'modes']``; other images: ``['swd']``."""
    if dataset.kind == "toy":
        return ["w1"]
    return ["fid", "swd", "modes"] if classifier_applies(dataset) else ["swd"]


def _applicable(dataset: Dataset) -> tuple[str, ...]:
    if dataset.kind == "toy":
        return ("w1",)
    return ("fid", "modes", "kl_modes", "swd") if classifier_applies(dataset) else ("swd",)


@torch.no_grad()
def generate(generator: nn.Module, n: int, seed: int = 0, device="cpu", batch_size: int = 500) -> torch.Tensor:
    """``n`` samples from ``generator`` (eval mode, no grad) with latents from a local seeded generator, drawn
    from the generator's own noise law (``generator.sample_z``: normal or uniform, as it was trained), on the CPU.

    The generator's train/eval mode is restored afterwards; the global RNG is untouched.
    """
    gen = torch.Generator().manual_seed(seed)
    z = generator.sample_z(n, gen) if hasattr(generator, "sample_z") else torch.randn(n, generator.latent_dim,
                                                                                       generator=gen)
    was_training = generator.training
    generator.eval()
    try:
        return torch.cat([generator(z[i:i + batch_size].to(device)).float().cpu() for i in range(0, n, batch_size)])
    finally:
        generator.train(was_training)


def real_samples(dataset: Dataset, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` real samples chosen with a local seeded RNG: toy sets are drawn fresh; images are a random
    subset (with replacement only if the set has fewer than ``n`` images)."""
    if dataset.kind == "toy":
        return toy_real(dataset.name, n, seed)
    gen = torch.Generator().manual_seed(seed)
    N = len(dataset)
    idx = torch.randperm(N, generator=gen)[:n] if n <= N else torch.randint(N, (n,), generator=gen)
    return dataset.x[idx].float().div_(255.0)


def evaluate(generator: nn.Module, dataset: Dataset, names=None, n: int = 2000, seed: int = 0, device="cpu",
             batch_size: int = 500) -> dict[str, float]:
    """Compute the metrics ``names`` (default :func:`default_metrics`) on ``n`` generated vs ``n`` real samples.

    Returned keys: ``w1`` adds ``w1_floor``; the classifier metrics add ``ruler`` (the classifier's
    :func:`fingerprint`, a string: which ruler measured them); ``fid`` is the classifier FID; ``modes`` and ``kl_modes``
    both add both keys; ``swd`` adds one key per pyramid level (e.g. ``swd_32``, ``swd_16``).
    The global torch RNG is not used (METHOD.md section 5; training resumability depends on it).
    """
    names = list(default_metrics(dataset) if names is None else [names] if isinstance(names, str) else names)
    ok = _applicable(dataset)
    for name in names:
        if name not in METRICS:
            raise ValueError(f"unknown metric {name!r}; accepted: {', '.join(METRICS)}")
        if name not in ok:
            raise ValueError(f"metric {name!r} does not apply to dataset {dataset.name} "
                             f"(shape {tuple(dataset.shape)}); accepted for it: {', '.join(ok)}")
    fake = generate(generator, n, seed, device, batch_size)
    real = real_samples(dataset, n, seed + REAL_STREAM)
    out: dict[str, float] = {}
    if "w1" in names:
        out["w1"] = w1_exact(fake, real)
        out["w1_floor"] = w1_floor(dataset.name, n, seed)
    if {"fid", "modes", "kl_modes"} & set(names):
        clf = get_classifier(dataset, device)
        out["ruler"] = clf.meta["fingerprint"]
        if "fid" in names:
            out["fid"] = classifier_fid(fake, real, clf, batch_size)
        if {"modes", "kl_modes"} & set(names):
            out["kl_modes"], out["modes"] = mode_coverage(fake, real, clf, batch_size)
    if "swd" in names:
        out.update(swd(fake, real, seed))
    return out
