"""Data sets by name.

``load_dataset(name)`` returns a :class:`Dataset` whose ``sample(n, generator=g)`` draws a batch with
the random generator ``g`` (the trainer gives the data stream its own, seeded by the run's seed and
saved in checkpoints: every method of a seed sees the same real batches, and a resumed run continues
the stream exactly); without ``g`` it uses the global torch RNG.

Ranges: images are float32 in ``[0, 1]``, shape ``(N, C, H, W)`` (generators end in a sigmoid, as
in the WGAN-GP MNIST reference); toy 2-D sets are float32 ``(n, 2)`` at the WGAN-GP toy code's
scales (METHOD.md section 3).

Where the files come from: the data folder is ``--data-dir``, else ``$GANLIB_DATA``, else
``~/.cache/ganlib/data``.  Preprocessed image tensors are cached under ``$GANLIB_CACHE`` (default
``~/.cache/ganlib``), never in the data folder, which may be read-only.  MNIST-like sets are
downloaded by torchvision when absent, unless ``$GANLIB_OFFLINE`` is set (to anything but ``0``).

Missing data raises :class:`DataMissing` ("no CelebA images at PATH; to get them: ..."): the notebook
runner reports such a notebook as skipped, not failed.  Data that is there but wrong (a truncated
file, an unreadable image, an empty folder) raises :class:`DataError` and fails as any error does.
A data set used in place of another (the embedded ``digits`` for MNIST) says so in its ``label``.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

TOY = ("8gaussians", "25gaussians", "swissroll")
IMAGES = ("digits", "mnist", "fashion-mnist", "celeba")
DATASETS = TOY + IMAGES + ("folder:PATH",)
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


class DataError(RuntimeError):
    """Missing or unreadable data, with where we looked and how to get it."""


class DataMissing(DataError):
    """The data set is absent (nothing at the path looked at): a notebook that needs it is skipped.

    In a notebook the message is shown as one ``skipped: ...`` line instead of a traceback.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for an exception's display
        return [f"skipped: {self}"]


# How a data set standing in for another is named in titles, provenance and summaries.
PRETTY = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST", "celeba": "CelebA"}
EMBEDDED = ("digits",)


def data_dir(override: str | os.PathLike | None = None) -> Path:
    """The data folder: the argument, else ``$GANLIB_DATA``, else ``~/.cache/ganlib/data``."""
    if override:
        return Path(override).expanduser()
    if os.environ.get("GANLIB_DATA"):
        return Path(os.environ["GANLIB_DATA"]).expanduser()
    return Path("~/.cache/ganlib/data").expanduser()


def cache_dir() -> Path:
    """Where preprocessed tensors and trained metric classifiers are cached (``$GANLIB_CACHE``)."""
    return Path(os.environ.get("GANLIB_CACHE", "~/.cache/ganlib")).expanduser()


@dataclass
class Dataset:
    """A data set held in memory (images) or sampled on the fly (toy)."""

    name: str
    kind: str  # "toy" or "image"
    shape: tuple  # shape of one sample
    x: torch.Tensor | None = None  # images: uint8 (N, C, H, W); toy: None
    y: torch.Tensor | None = None  # class labels where known
    source: str = ""  # where it came from, for provenance
    stands_in_for: str | None = None  # the data set this one replaces here (e.g. "mnist"), if any
    why: str = ""  # with stands_in_for: why the wanted set was not used

    @property
    def label(self) -> str:
        """The name to print: ``digits (embedded, standing in for MNIST)`` for a stand-in, else the name."""
        if not self.stands_in_for:
            return self.name
        embedded = "embedded, " if self.name in EMBEDDED else ""
        return f"{self.name} ({embedded}standing in for {PRETTY.get(self.stands_in_for, self.stands_in_for)})"

    def __len__(self) -> int:
        return len(self.x) if self.x is not None else 0

    def sample(self, n: int, device="cpu", generator: torch.Generator | None = None) -> torch.Tensor:
        """A batch of ``n`` real samples drawn with ``generator`` (a CPU one; default: the global RNG)."""
        if self.kind == "toy":
            return toy_sample(self.name, n, generator).to(device)
        idx = torch.randint(len(self.x), (n,), generator=generator)
        return self.x[idx].to(device).float().div_(255.0)

    def images(self, start=0, stop=None) -> torch.Tensor:
        """Images ``[start:stop]`` as float in ``[0, 1]``."""
        return self.x[start:stop].float().div_(255.0)

    def describe(self) -> dict:
        d = {"dataset": self.name, "label": self.label, "size": len(self) or "sampled", "shape": list(self.shape),
             "source": self.source}
        return {**d, "stands_in_for": self.stands_in_for, "why": self.why} if self.stands_in_for else d


# --------------------------------------------------------------------------------------------
# Toy 2-D sets, as in the WGAN-GP toy code (igul222/improved_wgan_training, gan_toy.py).
# --------------------------------------------------------------------------------------------


def toy_sample(name: str, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``n`` points of a toy set, drawn with ``generator`` (default: the global torch RNG)."""
    g = generator
    if name == "8gaussians":
        s = 1.0 / math.sqrt(2)
        centers = 2.0 * torch.tensor([[1, 0], [-1, 0], [0, 1], [0, -1], [s, s], [s, -s], [-s, s], [-s, -s]])
        pts = centers[torch.randint(8, (n,), generator=g)] + 0.02 * torch.randn(n, 2, generator=g)
        return pts / 1.414
    if name == "25gaussians":
        grid = torch.tensor([[x, y] for x in range(-2, 3) for y in range(-2, 3)], dtype=torch.float32) * 2
        pts = grid[torch.randint(25, (n,), generator=g)] + 0.05 * torch.randn(n, 2, generator=g)
        return pts / 2.828
    if name == "swissroll":
        from sklearn.datasets import make_swiss_roll

        seed = int(torch.randint(2**31 - 1, (1,), generator=g))  # from a torch RNG, so runs stay resumable
        pts = make_swiss_roll(n_samples=n, noise=0.25, random_state=seed)[0][:, [0, 2]]
        return torch.as_tensor(pts / 7.5, dtype=torch.float32)
    raise ValueError(f"unknown toy dataset {name!r}; accepted: {', '.join(TOY)}")


# --------------------------------------------------------------------------------------------
# MNIST-like sets from torchvision's raw layout (read directly: the files may be read-only).
# --------------------------------------------------------------------------------------------


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (MNIST's format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError; a truncated gz gives EOFError
        raise DataError(f"{path} cannot be read ({type(e).__name__}: {e}); the file is corrupt or truncated: "
                        f"delete it and download again") from e
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 8:
        raise DataError(f"{path} is not an unsigned-byte IDX file (corrupt or wrong file)")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise DataError(f"{path} is truncated: expected {int(np.prod(dims))} values, found {data.size}")
    return data.reshape(dims)


def _find(raw: Path, stem: str) -> Path | None:
    for p in (raw / stem, raw / f"{stem}.gz"):
        if p.exists():
            return p
    return None


def load_mnist_like(name: str, root: Path, download: bool = True) -> Dataset:
    """MNIST or Fashion-MNIST: the training split if present, else the test split, else download."""
    folder = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}[name]
    raw = root / folder / "raw"
    for split in ("train", "t10k"):
        img, lab = _find(raw, f"{split}-images-idx3-ubyte"), _find(raw, f"{split}-labels-idx1-ubyte")
        if img and lab:
            x, y = read_idx(img), read_idx(lab)
            if len(x) != len(y):
                raise DataError(f"{img} and {lab} disagree: {len(x)} images, {len(y)} labels")
            split_name = "train" if split == "train" else "test"
            return Dataset(name, "image", (1, 28, 28), torch.from_numpy(x.copy()).unsqueeze(1),
                           torch.from_numpy(y.astype(np.int64)), f"{raw} ({split_name} split, {len(x)} images)")
    error = None
    if download and os.environ.get("GANLIB_OFFLINE", "0") == "0":
        import torchvision

        cls = {"mnist": torchvision.datasets.MNIST, "fashion-mnist": torchvision.datasets.FashionMNIST}[name]
        target = root if os.access(root if root.exists() else root.parent, os.W_OK) else cache_dir() / "data"
        try:
            cls(str(target), train=True, download=True)
            return load_mnist_like(name, target, download=False)
        except Exception as e:  # noqa: BLE001 - reported below with where we looked
            error = f"{type(e).__name__}: {(str(e).splitlines() or [''])[0]}"
    how = (f"download failed: {error}" if error else "not downloaded: $GANLIB_OFFLINE is set" if download
           else "not downloaded")
    raise DataMissing(
        f"no {PRETTY[name]} files at {raw} ({{train,t10k}}-{{images-idx3,labels-idx1}}-ubyte[.gz]; {how}); "
        f"to get them: run with internet access (torchvision downloads them into the data folder), or put the raw "
        f"files in {raw}, or point --data-dir / $GANLIB_DATA at a folder holding {folder}/raw; the 'digits' data "
        f"set needs no files"
    )


# --------------------------------------------------------------------------------------------
# Folders of images (CelebA and folder:PATH): centre crop, resize once, cache as uint8.
# --------------------------------------------------------------------------------------------


def _list_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTS)


def _preprocess(files: list[Path], size: int, crop_fraction: float | None) -> torch.Tensor:
    """Centre-crop (a square of ``crop_fraction`` x width, or the shorter side) and resize."""
    from PIL import Image

    out = torch.empty(len(files), 3, size, size, dtype=torch.uint8)
    for i, f in enumerate(files):
        try:
            with Image.open(f) as im:
                im = im.convert("RGB")
                w, h = im.size
                c = round(crop_fraction * w) if crop_fraction else min(w, h)
                left, top = (w - c) // 2, (h - c) // 2
                im = im.crop((left, top, left + c, top + c)).resize((size, size), Image.BICUBIC)
                out[i] = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1)
        except (OSError, ValueError) as e:  # PIL: UnidentifiedImageError (an OSError), truncated data
            raise DataError(f"cannot read image {f}: {str(e).splitlines()[0] if str(e) else type(e).__name__}; "
                            f"delete or replace it") from e
    return out


def load_image_folder(name: str, folder: Path, size: int, crop_fraction=None, max_images=None) -> Dataset:
    if not folder.is_dir():
        raise DataMissing(f"no images at {folder}: the folder does not exist; to get them: name an existing folder "
                          f"of images ({', '.join(IMAGE_EXTS)})")
    files = _list_images(folder)[:max_images]
    if not files:
        raise DataError(f"{name}: no images ({', '.join(IMAGE_EXTS)}) found under {folder} (the folder is there but "
                        f"holds no image files)")
    key = hashlib.sha1(
        f"{folder.resolve()}|{len(files)}|{files[-1].name}|{files[-1].stat().st_size}|{size}|{crop_fraction}".encode()
    ).hexdigest()[:16]
    cached = cache_dir() / "images" / f"{name.replace('/', '_').replace(':', '_')[-40:]}-{size}-{key}.pt"
    if cached.exists():
        x = torch.load(cached)
    else:
        x = _preprocess(files, size, crop_fraction)
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        torch.save(x, tmp)
        os.replace(tmp, cached)
    return Dataset(name, "image", (3, size, size), x, None, f"{folder} ({len(x)} images, cached {cached.name})")


def load_celeba(root: Path, size: int, max_images=None) -> Dataset:
    folder = root / "celeba" / "img_align_celeba"
    if not folder.is_dir():
        raise DataMissing(
            f"no CelebA images at {folder}; to get them: download img_align_celeba.zip (Align&Cropped Images) from "
            f"https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html and unzip it into {root / 'celeba'} (it cannot be "
            f"downloaded automatically), or point --data-dir / $GANLIB_DATA at a folder holding "
            f"celeba/img_align_celeba"
        )
    # DCGAN's crop: 108 of 178 pixels of width, centred; proportional, so half-resolution copies work too.
    return load_image_folder("celeba", folder, size, crop_fraction=108 / 178, max_images=max_images)


def load_digits_set() -> Dataset:
    """scikit-learn's bundled 8x8 digits, upsampled to 28x28: the default that needs no download."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    x = F.interpolate(x, size=(28, 28), mode="bilinear", align_corners=False).clamp(0, 1)
    return Dataset("digits", "image", (1, 28, 28), (x * 255).round().to(torch.uint8),
                   torch.tensor(d.target, dtype=torch.int64), "scikit-learn load_digits (1,797 images, 8x8 -> 28x28)")


def load_dataset(name: str, root=None, image_size: int | None = None, download: bool = True,
                 max_images: int | None = None) -> Dataset:
    """Get a data set by name: one of :data:`DATASETS` (``folder:PATH`` names any image folder).

    ``image_size`` applies to colour sets (``celeba``, ``folder:``): 32 (default) or 64.
    """
    if name in TOY:
        return Dataset(name, "toy", (2,), source="sampled on the fly (WGAN-GP toy code)")
    if name == "digits":
        return load_digits_set()
    root = data_dir(root)
    if name in ("mnist", "fashion-mnist"):
        return load_mnist_like(name, root, download)
    size = image_size or 32
    if size not in (32, 64):
        raise ValueError(f"image size {size} is not supported for {name}; accepted: 32, 64")
    if name == "celeba":
        return load_celeba(root, size, max_images)
    if name.startswith("folder:"):
        return load_image_folder(name, Path(name[len("folder:"):]).expanduser(), size, max_images=max_images)
    raise ValueError(f"unknown dataset {name!r}; accepted: {', '.join(DATASETS)}")
