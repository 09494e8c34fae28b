"""MNIST loading: IDX parsing, checksums, search order, download (offline, via file:// mirrors)."""

import gzip
import hashlib
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest

from rnn import data as mnist

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data" / "mnist"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="no shared MNIST copy at ../shared/data/mnist")

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(arr, code):
    """Write an IDX payload by hand (independently of the parser under test)."""
    big = {0x08: ">u1", 0x0B: ">i2", 0x0D: ">f4"}[code]
    head = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(big).tobytes()


@pytest.fixture
def no_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))


# --- IDX parser -------------------------------------------------------------

def test_read_idx_roundtrip():
    img = np.random.default_rng(0).integers(0, 256, size=(3, 4, 5)).astype(np.uint8)
    np.testing.assert_array_equal(mnist.read_idx(idx_bytes(img, 0x08)), img)
    shorts = np.array([[1, -2, 300], [-32768, 32767, 0]], dtype=np.int16)
    out = mnist.read_idx(idx_bytes(shorts, 0x0B))
    assert out.dtype == np.int16 and out.dtype.isnative
    np.testing.assert_array_equal(out, shorts)
    floats = np.array([0.5, -1.25, 3e8], dtype=np.float32)
    np.testing.assert_array_equal(mnist.read_idx(idx_bytes(floats, 0x0D)), floats)


@pytest.mark.parametrize("corrupt, match", [
    (lambda b: b"\x01" + b[1:], "magic"),
    (lambda b: b[:2] + b"\x07" + b[3:], "dtype"),
    (lambda b: b[:-1], "size"),
    (lambda b: b + b"\x00", "size"),
    (lambda b: b[:3] + b"\x04" + b[4:], "size|header"),   # claims 4 dims
    (lambda b: b[:2], "magic"),
])
def test_read_idx_rejects_bad_files(corrupt, match):
    good = idx_bytes(np.zeros((2, 3, 3), dtype=np.uint8), 0x08)
    mnist.read_idx(good)
    with pytest.raises(ValueError, match=match):
        mnist.read_idx(corrupt(good))


# --- checksums on small generated files ------------------------------------

@pytest.fixture
def small_file(monkeypatch):
    payload = idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5), 0x08)
    monkeypatch.setitem(mnist.SHA256, "t10k-images-idx3-ubyte", hashlib.sha256(payload).hexdigest())
    return payload


@pytest.mark.parametrize("gz", [False, True])
def test_checksum_accepts_good_file(tmp_path, small_file, gz):
    path = tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(small_file) if gz else small_file)
    out = mnist.read_checked(path, "t10k-images-idx3-ubyte")
    assert out.shape == (3, 4, 5) and out[2, 3, 4] == 59


@pytest.mark.parametrize("gz", [False, True])
def test_checksum_rejects_corrupted_file(tmp_path, small_file, gz):
    bad = bytearray(small_file)
    bad[-1] ^= 0xFF  # still a valid IDX file, but not the official payload
    path = tmp_path / ("t10k-images-idx3-ubyte" + (".gz" if gz else ""))
    path.write_bytes(gzip.compress(bytes(bad)) if gz else bytes(bad))
    with pytest.raises(mnist.MnistChecksumError) as e:
        mnist.read_checked(path, "t10k-images-idx3-ubyte")
    msg = str(e.value)
    assert str(path) in msg and "sha256" in msg and "--data-dir" in msg and "delete" in msg


def test_damaged_gzip_is_a_clear_error(tmp_path, small_file):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(small_file)[:-8])  # truncated archive
    with pytest.raises(mnist.MnistChecksumError, match="gzip"):
        mnist.read_checked(path, "t10k-images-idx3-ubyte")


# --- search order, download, errors ----------------------------------------

def test_unavailable_offline_names_data_dir(tmp_path, no_user_cache, monkeypatch):
    monkeypatch.setattr(mnist, "SHARED_DIR", tmp_path / "nothing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(mnist.MnistUnavailable) as e:
        mnist.load_mnist(data_dir=empty, download=False)
    msg = str(e.value)
    assert "--data-dir" in msg and all(name in msg for name in mnist.FILES)
    assert msg.count(". ") == 0 and msg.endswith(".")  # one sentence


def test_unavailable_when_download_fails(tmp_path, no_user_cache, monkeypatch):
    monkeypatch.setattr(mnist, "SHARED_DIR", tmp_path / "nothing")
    monkeypatch.setattr(mnist, "MIRRORS", [(tmp_path / "no-mirror").as_uri() + "/"])
    with pytest.raises(mnist.MnistUnavailable, match="--data-dir"):
        mnist.load_mnist(progress=False)
    assert not any((tmp_path / "xdg").rglob("*.gz"))


def test_default_cache_dir_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mnist.default_cache_dir() == tmp_path / "rnn-gradients" / "mnist"


def test_shared_dir_is_relative_to_repo_root():
    assert mnist.SHARED_DIR == SHARED


@needs_shared
def test_download_into_cache(tmp_path, no_user_cache, monkeypatch):
    # offline stand-in for the mirrors: a dead one first, then file:// URLs of the shared .gz files
    monkeypatch.setattr(mnist, "SHARED_DIR", tmp_path / "nothing")
    monkeypatch.setattr(mnist, "MIRRORS", [(tmp_path / "dead").as_uri() + "/", SHARED.as_uri() + "/"])
    cache = tmp_path / "cache"
    train_x, train_y, test_x, test_y = mnist.load_mnist(cache_dir=cache, progress=False)
    assert sorted(p.name for p in cache.iterdir()) == sorted(n + ".gz" for n in mnist.FILES)
    assert train_x.shape == (60000, 28, 28) and test_y.shape == (10000,)
    # second call finds the cache and does not download
    monkeypatch.setattr(mnist, "MIRRORS", [])
    mnist.load_mnist(cache_dir=cache, progress=False)


@needs_shared
def test_download_rejects_bad_mirror(tmp_path, no_user_cache, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name in mnist.FILES:
        (mirror / (name + ".gz")).write_bytes(gzip.compress(b"not mnist"))
    monkeypatch.setattr(mnist, "SHARED_DIR", tmp_path / "nothing")
    monkeypatch.setattr(mnist, "MIRRORS", [mirror.as_uri() + "/"])
    cache = tmp_path / "cache"
    with pytest.raises(mnist.MnistUnavailable, match="sha256"):
        mnist.load_mnist(cache_dir=cache, progress=False)
    assert not list(cache.iterdir())  # nothing bad (or half-written) kept


@needs_shared
def test_data_dir_accepts_gz_and_raw(tmp_path, no_user_cache):
    for name in mnist.FILES:
        src = SHARED / (name + ".gz")
        if "labels" in name:   # labels uncompressed, images gzipped
            (tmp_path / name).write_bytes(gzip.decompress(src.read_bytes()))
        else:
            shutil.copy(src, tmp_path / (name + ".gz"))
    train_x, train_y, test_x, test_y = mnist.load_mnist(data_dir=tmp_path, download=False)
    assert np.bincount(test_y).tolist() == TEST_COUNTS


@needs_shared
def test_data_dir_with_corrupted_file(tmp_path, no_user_cache):
    for name in mnist.FILES:
        shutil.copy(SHARED / (name + ".gz"), tmp_path / (name + ".gz"))
    raw = bytearray(gzip.decompress((SHARED / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    raw[100] = (raw[100] + 1) % 10  # one wrong label
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(mnist.MnistChecksumError, match="t10k-labels-idx1-ubyte"):
        mnist.load_mnist(data_dir=tmp_path, download=False)


# --- the real shared copy ----------------------------------------------------

@pytest.fixture(scope="module")
def real():
    if not SHARED.is_dir():
        pytest.skip("no shared MNIST copy at ../shared/data/mnist")
    return mnist.load_mnist(cache_dir=SHARED.parent / "no-such-cache", download=False)


def test_real_mnist(real):
    train_x, train_y, test_x, test_y = real
    assert train_x.shape == (60000, 28, 28) and test_x.shape == (10000, 28, 28)
    assert train_x.dtype == np.uint8 and test_x.dtype == np.uint8
    assert train_y.shape == (60000,) and test_y.shape == (10000,)
    assert np.bincount(train_y).tolist() == TRAIN_COUNTS
    assert np.bincount(test_y).tolist() == TEST_COUNTS
    assert train_x.min() == 0 and train_x.max() == 255
    assert 0.12 < train_x.mean() / 255 < 0.14  # MNIST's well-known mean pixel, 0.1307


# --- sequences -------------------------------------------------------------

def test_fixed_permutation():
    p = mnist.fixed_permutation(7)
    np.testing.assert_array_equal(p, mnist.fixed_permutation(7))
    np.testing.assert_array_equal(np.sort(p), np.arange(784))
    assert not np.array_equal(p, np.arange(784))
    assert not np.array_equal(p, mnist.fixed_permutation(8))
    np.testing.assert_array_equal(mnist.fixed_permutation(), mnist.fixed_permutation(mnist.PERMUTATION_SEED))


def test_pixel_sequences():
    images = np.random.default_rng(1).integers(0, 256, size=(3, 28, 28)).astype(np.uint8)
    images[0, 0, 0], images[1, 27, 27] = 0, 255
    x = mnist.pixel_sequences(images)
    assert x.shape == (784, 3, 1) and x.dtype == np.float32
    assert x.min() == 0.0 and x.max() == 1.0
    assert x[28 * 2 + 5, 1, 0] == pytest.approx(images[1, 2, 5] / 255)  # row-major, one pixel a step
    perm = mnist.fixed_permutation()
    xp = mnist.pixel_sequences(images, perm)
    for k in (0, 100, 783):
        np.testing.assert_allclose(xp[k, :, 0], images.reshape(3, -1)[:, perm[k]] / 255, rtol=1e-6)
