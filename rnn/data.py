"""
MNIST from the original IDX files, for pixel-by-pixel (and permuted) MNIST.

Where the files are looked for, in order:
  1. `data_dir`, when given (missing files are downloaded into it);
  2. the user cache, $XDG_CACHE_HOME/rnn-gradients/mnist or ~/.cache/rnn-gradients/mnist;
  3. ../shared/data/mnist relative to the project root (development and CI);
  4. otherwise the files are downloaded into the cache (torchvision's mirrors).
Files may be gzipped (`name.gz`) or not. Every payload is checked against the sha256 of the
official uncompressed file before it is used.
"""

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zlib
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = PROJECT_ROOT.parent / "shared" / "data" / "mnist"
MIRRORS = [  # torchvision's list, in its order
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
]
# sha256 of the uncompressed payloads (official files; ../shared/data/mnist/README.md)
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILES = list(SHA256)  # train images, train labels, test images, test labels
PERMUTATION_SEED = 1504  # seed of the fixed pixel permutation of permuted MNIST (arXiv:1504.00941)
PIXELS = 28 * 28


class MnistUnavailable(RuntimeError):
    """MNIST is neither on disk nor downloadable."""


class MnistChecksumError(ValueError):
    """A file's payload differs from the official one."""


# ---------------------------------------------------------------------------
# IDX format: 0 0 <dtype code> <ndim>, ndim big-endian uint32 sizes, then the data (big-endian)

IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(data: bytes) -> np.ndarray:
    """Parse an (uncompressed) IDX payload into a native-endian numpy array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError("not an IDX file: bad magic number (expected 0x0000 then dtype and ndim)")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        raise ValueError(f"not an IDX file: unknown dtype code 0x{code:02x}")
    header = 4 + 4 * ndim
    if ndim == 0 or len(data) < header:
        raise ValueError(f"IDX header truncated or empty (ndim={ndim})")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"IDX size mismatch: dims {shape} need {expected} bytes, file has {len(data)}")
    arr = np.frombuffer(data, dtype, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))  # native order, and a writable copy


def _payload(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":  # gzip is told by content, not by name
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise MnistChecksumError(f"{path}: damaged gzip file ({e}); delete it (it is downloaded again) "
                                 f"or pass a good copy with --data-dir") from None


def read_checked(path, name) -> np.ndarray:
    """Read one MNIST file (gz or raw), verify its sha256, parse it."""
    path = Path(path)
    data = _payload(path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise MnistChecksumError(
            f"{path}: sha256 of the uncompressed payload is {digest}, expected {SHA256[name]} for {name}; "
            f"the file is damaged or not the official one: delete it (it is downloaded again) "
            f"or pass a good copy with --data-dir")
    return read_idx(data)


def _find(folder: Path, name: str):
    for candidate in (folder / name, folder / (name + ".gz")):
        if candidate.is_file():
            return candidate
    return None


def _complete(folder):
    paths = [_find(folder, name) for name in FILES]
    return paths if all(paths) else None


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "rnn-gradients" / "mnist"


def _download(name, folder: Path, progress):
    """Fetch name.gz from the first mirror that answers, check it, keep it as folder/name.gz."""
    from tqdm import tqdm
    folder.mkdir(parents=True, exist_ok=True)
    errors = []
    for mirror in MIRRORS:
        url = mirror + name + ".gz"
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=30) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                with tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=not progress) as bar:
                    for block in iter(lambda: resp.read(1 << 16), b""):
                        out.write(block)
                        bar.update(len(block))
            read_checked(tmp, name)  # never keep a bad download
            final = folder / (name + ".gz")
            os.replace(tmp, final)  # atomic: an interrupted download leaves no half file
            return final
        except (OSError, ValueError, EOFError) as e:  # URLError is an OSError; bad gzip/checksum a ValueError
            errors.append(f"{url}: {e}")
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
    raise MnistUnavailable("; ".join(errors))


def _unavailable(looked, reason):
    names = ", ".join(FILES)
    return MnistUnavailable(
        f"MNIST was not found in {', '.join(map(str, looked))} and could not be downloaded ({reason}); "
        f"put the four files {names} (each optionally .gz) in one folder and pass it with --data-dir.")


def search_path(data_dir=None, cache_dir=None) -> list[Path]:
    """Where MNIST is looked for, in order: --data-dir alone when given, else the user cache, then shared/."""
    return [Path(data_dir)] if data_dir else [Path(cache_dir) if cache_dir else default_cache_dir(), SHARED_DIR]


def locate(data_dir=None, cache_dir=None):
    """The four files of the first complete folder on the search path, or None (nothing is downloaded)."""
    return next(filter(None, map(_complete, search_path(data_dir, cache_dir))), None)


def load_mnist(data_dir=None, cache_dir=None, download=True, progress=True):
    """Return (train_x uint8 (60000, 28, 28), train_y uint8 (60000,), test_x (10000, 28, 28), test_y)."""
    looked = search_path(data_dir, cache_dir)
    paths = locate(data_dir, cache_dir)
    if paths is None:
        target = looked[0]  # data_dir when given, else the cache
        if not download:
            raise _unavailable(looked, "download=False")
        try:
            paths = [_find(target, name) or _download(name, target, progress) for name in FILES]
        except MnistUnavailable as e:
            raise _unavailable(looked, e) from None
    train_x, train_y, test_x, test_y = (read_checked(p, name) for p, name in zip(paths, FILES))
    if train_x.shape != (60000, 28, 28) or test_x.shape != (10000, 28, 28) \
            or train_y.shape != (60000,) or test_y.shape != (10000,):
        raise ValueError("MNIST files parsed to unexpected shapes")
    return train_x, train_y, test_x, test_y


# ---------------------------------------------------------------------------
# pixel-by-pixel sequences

def fixed_permutation(seed=PERMUTATION_SEED) -> np.ndarray:
    """A seeded bijection of range(784): the pixel order of permuted MNIST (record the seed)."""
    return np.random.default_rng(seed).permutation(PIXELS)


def pixel_sequences(images, permutation=None) -> np.ndarray:
    """uint8 images (N, 28, 28) -> float32 (784, N, 1) in [0, 1], one pixel a step, time-major."""
    x = np.asarray(images).reshape(len(images), PIXELS)
    if permutation is not None:
        x = x[:, permutation]
    return np.ascontiguousarray(x.T, dtype=np.float32)[:, :, None] / np.float32(255)
