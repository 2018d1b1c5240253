"""Data sets by name (ganlib.data): shapes, ranges, and clear errors."""

from __future__ import annotations

import gzip
import math
import struct

import numpy as np
import pytest
import torch

from ganlib.data import DATASETS, DataError, load_dataset, toy_sample


def _sample(name, n=2000, seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return load_dataset(name).sample(n)


# ---------------------------------------------------------------------------------------------
# Toy sets, at the WGAN-GP toy code's scales
# ---------------------------------------------------------------------------------------------

def test_8gaussians_near_radius_two_over_1414_at_eight_centres():
    x = _sample("8gaussians")
    assert x.shape == (2000, 2) and x.dtype == torch.float32
    radius = x.norm(dim=1)
    assert (radius - 2 / 1.414).abs().max() < 0.1  # noise sd 0.02/1.414: 5 sd is 0.07
    angles = torch.atan2(x[:, 1], x[:, 0]) / (math.pi / 4)  # centres at multiples of 45 degrees
    assert (angles - angles.round()).abs().max() < 0.05
    assert len(set((angles.round() % 8).long().tolist())) == 8  # every mode present


def test_25gaussians_on_the_grid_within_1_5():
    x = _sample("25gaussians")
    assert x.shape == (2000, 2)
    assert x.abs().max() < 1.5 + 0.1  # centres at 4/2.828 = 1.414 plus noise
    grid = x * 2.828 / 2  # back to integer grid coordinates -2..2
    assert (grid - grid.round()).abs().max() < 0.15  # sd 0.05/2 per coordinate
    assert len({tuple(p) for p in grid.round().long().tolist()}) == 25


def test_swissroll_scale():
    x = _sample("swissroll")
    assert x.shape == (2000, 2) and torch.isfinite(x).all()
    # make_swiss_roll: t in [1.5 pi, 4.5 pi], (t cos t, t sin t) / 7.5: radius between 0.63 and 1.88
    radius = x.norm(dim=1)
    assert radius.max() < 4.5 * math.pi / 7.5 + 0.2
    assert radius.min() > 1.5 * math.pi / 7.5 - 0.2
    assert x.std(0).min() > 0.3


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians", "swissroll"])
def test_toy_samples_follow_the_torch_rng(name):
    # resumable training needs the data stream to be a function of the global torch RNG state
    a, b, c = _sample(name, 64, seed=5), _sample(name, 64, seed=5), _sample(name, 64, seed=6)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert load_dataset(name).kind == "toy" and load_dataset(name).shape == (2,)


def test_unknown_toy_name():
    with pytest.raises(ValueError, match="8gaussians, 25gaussians, swissroll"):
        toy_sample("7gaussians", 4)


# ---------------------------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------------------------

def test_digits():
    d = load_dataset("digits")
    assert len(d) == 1797 and d.shape == (1, 28, 28) and d.x.shape == (1797, 1, 28, 28)
    x = d.images()
    assert x.dtype == torch.float32 and x.min() >= 0 and x.max() <= 1 and x.max() > 0.9
    assert sorted(d.y.unique().tolist()) == list(range(10))
    s = d.sample(8)
    assert s.shape == (8, 1, 28, 28) and s.min() >= 0 and s.max() <= 1


def test_mnist_from_shared_data(shared_data):
    d = load_dataset("mnist", root=shared_data, download=False)
    assert len(d) == 10000 and d.shape == (1, 28, 28)  # the t10k split
    assert "test split" in d.source
    assert sorted(d.y.unique().tolist()) == list(range(10))
    s = d.sample(16)
    assert s.shape == (16, 1, 28, 28) and s.min() >= 0 and s.max() <= 1 and s.max() > 0.9


@pytest.mark.parametrize("size", [32, 64])
def test_celeba_from_shared_data(shared_data, size, _isolated_cache):
    d = load_dataset("celeba", root=shared_data, image_size=size, max_images=200)
    assert len(d) == 200 and d.shape == (3, size, size) and d.x.dtype == torch.uint8
    x = d.images(0, 20)
    assert x.shape == (20, 3, size, size) and 0 <= x.min() and x.max() <= 1 and x.std() > 0.1
    # the preprocessed tensor is cached under $GANLIB_CACHE (the data folder may be read-only)
    assert list((_isolated_cache / "images").glob(f"celeba-{size}-*.pt"))
    again = load_dataset("celeba", root=shared_data, image_size=size, max_images=200)
    assert torch.equal(again.x, d.x)


def test_image_folder(tmp_path):
    from PIL import Image

    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)]
    for i, c in enumerate(colours):
        Image.new("RGB", (40, 30), c).save(tmp_path / f"img{i}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    d = load_dataset(f"folder:{tmp_path}", image_size=32)
    assert len(d) == 5 and d.shape == (3, 32, 32)
    for i, c in enumerate(colours):  # sorted by name, solid colours survive crop and resize
        assert d.x[i].flatten(1).float().mean(1).tolist() == pytest.approx(list(c), abs=1)
    assert len(load_dataset(f"folder:{tmp_path}", image_size=64, max_images=2)) == 2


# ---------------------------------------------------------------------------------------------
# Clear errors
# ---------------------------------------------------------------------------------------------

def test_unknown_dataset_lists_accepted(tmp_path):
    with pytest.raises(ValueError) as e:
        load_dataset("imagenet", root=tmp_path)
    msg = str(e.value)
    assert "imagenet" in msg
    for name in DATASETS:
        assert name in msg


def test_bad_image_size(tmp_path):
    with pytest.raises(ValueError, match="32, 64"):
        load_dataset("celeba", root=tmp_path, image_size=48)


def test_mnist_missing_names_where_it_looked(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset("mnist", root=tmp_path, download=False)
    assert str(tmp_path / "MNIST" / "raw") in str(e.value)


def _idx(array: np.ndarray) -> bytes:
    head = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape)
    return head + array.astype(np.uint8).tobytes()


def _mnist_files(tmp_path, images: bytes, labels: bytes, gz=True):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    suffix = ".gz" if gz else ""
    img, lab = raw / f"t10k-images-idx3-ubyte{suffix}", raw / f"t10k-labels-idx1-ubyte{suffix}"
    img.write_bytes(images)
    lab.write_bytes(labels)
    return img, lab


def test_small_valid_idx_files_load(tmp_path):
    x = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 256
    _mnist_files(tmp_path, gzip.compress(_idx(x)), gzip.compress(_idx(np.array([1, 2, 3]))))
    d = load_dataset("mnist", root=tmp_path, download=False)
    assert len(d) == 3 and np.array_equal(d.x[:, 0].numpy(), x) and d.y.tolist() == [1, 2, 3]


def test_truncated_idx_file_is_a_data_error(tmp_path):
    x = np.zeros((3, 28, 28))
    img, _ = _mnist_files(tmp_path, _idx(x)[:-100], _idx(np.array([1, 2, 3])), gz=False)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_garbage_gz_idx_file_is_a_data_error(tmp_path):
    img, _ = _mnist_files(tmp_path, b"this is not gzip data at all", gzip.compress(_idx(np.array([1]))))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_truncated_gz_idx_file_is_a_data_error(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (3, 28, 28))
    img, _ = _mnist_files(tmp_path, gzip.compress(_idx(x))[:-40], gzip.compress(_idx(np.array([1, 2, 3]))))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_wrong_magic_is_a_data_error(tmp_path):
    _mnist_files(tmp_path, b"\x00\x00\x0d\x03" + b"\x00" * 20, _idx(np.array([1])), gz=False)
    with pytest.raises(DataError, match="not an unsigned-byte IDX"):
        load_dataset("mnist", root=tmp_path, download=False)


def test_celeba_missing_names_the_path(tmp_path):
    with pytest.raises(DataError) as e:
        load_dataset("celeba", root=tmp_path)
    assert str(tmp_path / "celeba" / "img_align_celeba") in str(e.value)


def test_folder_missing_or_empty(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("folder:/nonexistent/ganlib-test-folder")
    with pytest.raises(DataError, match="no images"):
        load_dataset(f"folder:{tmp_path}")


def test_unreadable_image_is_a_data_error(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DataError, match="broken.png"):
        load_dataset(f"folder:{tmp_path}")
