"""Content-addressed cache of experiment results.

An entry's key hashes everything that could change its value: the experiment's name, its config and job,
the source of the code it depends on, the torch version and the device. Entries are written atomically
(temp file, fsync, rename) with a sha256 of the payload, so an interrupted build leaves only complete
entries and a damaged one is detected, reported and recomputed instead of being used.

An entry is data, never code: the structure is JSON and the arrays are a numpy .npz read with
allow_pickle=False, so a crafted or foreign file can at worst be reported as damaged. Old pickle entries
(*.pkl, format v1) are never read.
"""
import ast
import hashlib
import json
import os
import io
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
COMPUTE = (ROOT / "rnn", ROOT / "experiments")   # what a job's result depends on: the library and the experiment
MAGIC = b"rnn-gradients-cache-v2\n"

# the top-level shape of the two kinds of entries: a job's result and an experiment's drawn figures
JOB_ENTRY = {"result": object, "seconds": (int, float)}
FIGURE_ENTRY = {"numbers": dict, "files": dict}


class DamagedEntry(Exception):
    pass


class CacheError(Exception):
    """The cache folder cannot be used at all (it is a file, or cannot be created or written)."""


def file_digest(path: Path) -> str:
    """sha256 of a file's bytes (the build's stamp, the shipped results' manifest)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def stable_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


def torch_version() -> str:
    # importlib.metadata, not `import torch`: a no-op rebuild must not pay torch's 2 s import
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"


def _local_imports(path: Path) -> set[Path]:
    """Files of this project that a module imports (experiments.x, pipeline.x, relative imports), with the
    packages they are in: importing rnn.engine runs rnn/__init__.py too."""
    found = set()
    tree = ast.parse(path.read_text())
    package = path.parent
    for node in ast.walk(tree):
        names = []
        if isinstance(node, ast.Import):
            names = [(a.name, 0) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [(base, node.level)] + [(f"{base}.{a.name}" if base else a.name, node.level) for a in node.names]
        names += [(name.rsplit(".", k)[0], level) for name, level in names for k in range(1, name.count(".") + 1)]
        for name, level in names:
            root = package if level else ROOT
            for _ in range(max(level - 1, 0)):
                root = root.parent
            candidate = root.joinpath(*name.split(".")) if name else root
            for file in (candidate.with_suffix(".py"), candidate / "__init__.py"):
                if file.is_file() and ROOT in file.parents:
                    found.add(file)
    return found


def source_closure(path: Path) -> list[Path]:
    """A module and every project module it imports, transitively, in a stable order."""
    seen, todo = set(), [Path(path).resolve()]
    while todo:
        file = todo.pop()
        if file in seen:
            continue
        seen.add(file)
        todo.extend(_local_imports(file) - seen)
    return sorted(seen)


def source_hash(path: Path) -> str:
    """Hash of a module and the project code it imports."""
    return _hash_files(source_closure(path))


def compute_hash(path: Path) -> str:
    """Hash of an experiment module and the rnn/ and experiments/ modules it imports: what a result depends on.
    Editing rnn/ retrains every experiment, editing one experiment retrains that one; analysis/, figures/ and
    templates/ are outside, so changing them only recomputes numbers, redraws and re-renders. The module's
    PROFILES table is left out: a job's own profile enters its key as `config`, so retuning `default` does not
    stale a shipped `full` run."""
    return _hash_files((f for f in source_closure(path) if any(folder in f.parents for folder in COMPUTE)),
                       without_profiles=True)


def source_without_profiles(file: Path) -> bytes:
    """A module's source with its top-level `PROFILES = {...}` assignment cut to one line, `PROFILES = ...`."""
    text = file.read_text()
    if "PROFILES =" not in text:   # rnn/ and most of the closure: nothing to cut, no parse at start-up
        return text.encode()
    lines = text.split("\n")
    for node in reversed(ast.parse(text).body):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "PROFILES" for t in node.targets):
            lines[node.lineno - 1:node.end_lineno] = ["PROFILES = ..."]
    return "\n".join(lines).encode()


def _hash_files(files, without_profiles=False) -> str:
    h = hashlib.sha256()
    for file in files:
        h.update(str(file.relative_to(ROOT)).encode())
        h.update(source_without_profiles(file) if without_profiles else file.read_bytes())
    return h.hexdigest()


def entry_key(name: str, config: dict, job: dict, code_hash: str, device: str) -> str:
    ident = stable_json({"name": name, "config": config, "job": job, "code": code_hash,
                         "torch": torch_version(), "device": device})
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


# ---------------------------------------------------------------------------- values ⇄ JSON + arrays
# Every node that JSON cannot hold exactly is a one-key object naming its type; plain dicts are tagged too,
# so an object in the JSON is always a tag and decoding is unambiguous. Floats survive JSON exactly
# (repr round-trips, NaN and ±inf included); numpy arrays and scalars keep dtype and shape in the .npz.

def _encode(value, arrays: list):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.ndarray | np.generic):  # before int/float: np.float64 is a float subclass
        if value.dtype.hasobject:
            raise TypeError(f"cannot cache a numpy array of Python objects (dtype {value.dtype})")
        arrays.append(np.asarray(value))
        return {"ndarray" if isinstance(value, np.ndarray) else "npscalar": len(arrays) - 1}
    if isinstance(value, int | float) and type(value) in (int, float):
        return value
    if isinstance(value, bytes):
        arrays.append(np.frombuffer(value, dtype=np.uint8))
        return {"bytes": len(arrays) - 1}
    if isinstance(value, list):
        return [_encode(v, arrays) for v in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(v, arrays) for v in value]}
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    raise TypeError(f"cannot cache a value of type {type(value).__name__}: results must be plain data and numpy arrays")


def _decode(node, arrays: dict):
    if node is None or isinstance(node, bool | int | float | str):
        return node
    if isinstance(node, list):
        return [_decode(v, arrays) for v in node]
    if not (isinstance(node, dict) and len(node) == 1):
        raise ValueError(f"unexpected node {node!r:.60}")
    (tag, body), = node.items()
    if tag == "tuple" and isinstance(body, list):
        return tuple(_decode(v, arrays) for v in body)
    if tag == "dict" and isinstance(body, list) and all(isinstance(kv, list) and len(kv) == 2 for kv in body):
        return {_hashable(_decode(k, arrays)): _decode(v, arrays) for k, v in body}
    if tag in ("ndarray", "npscalar", "bytes") and type(body) is int and f"a{body}" in arrays:
        array = arrays[f"a{body}"]
        return array if tag == "ndarray" else array[()] if tag == "npscalar" else array.tobytes()
    raise ValueError(f"unknown tag {tag!r:.40}")


def _hashable(key):
    if isinstance(key, list | dict | np.ndarray):
        raise ValueError(f"unhashable dict key of type {type(key).__name__}")
    return key


def dumps(value) -> bytes:
    arrays = []
    structure = json.dumps(_encode(value, arrays), separators=(",", ":"), allow_nan=True).encode()
    buffer = io.BytesIO()
    np.savez(buffer, **{f"a{i}": a for i, a in enumerate(arrays)})
    return structure + b"\n" + buffer.getvalue()  # compact JSON never holds a raw newline


def loads(payload: bytes):
    structure, _, npz = payload.partition(b"\n")
    with np.load(io.BytesIO(npz), allow_pickle=False) as archive:  # object arrays raise instead of unpickling
        arrays = {name: archive[name] for name in archive.files}
    return _decode(json.loads(structure), arrays)


def _check_shape(value, shape: dict, file: Path):
    """A checksum-valid entry of the wrong shape (other code, another version) is damaged, not a crash later."""
    if not (isinstance(value, dict) and set(value) == set(shape)
            and all(isinstance(value[k], t) for k, t in shape.items())):
        got = sorted(value)[:6] if isinstance(value, dict) else type(value).__name__
        raise DamagedEntry(f"cache entry {file} has the wrong shape (expected keys {sorted(shape)}, got {got})")


class Cache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.unwritable = None  # the OSError of the first store that failed, if any

    def path(self, name: str, key: str) -> Path:
        return self.folder / name / f"{key}.entry"

    def has(self, name: str, key: str) -> bool:
        return self.path(name, key).is_file()

    def check_writable(self):
        """Raises CacheError (one line: what, where, what to do) unless entries can be written here.
        Meant to be called before any work, so a bad --cache fails in a second, not after the experiments."""
        folder = self.folder
        if folder.exists() and not folder.is_dir():
            raise CacheError(f"the cache {folder} is a file, not a folder; pass --cache with a folder path "
                             f"(or move the file away)")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(dir=folder, prefix=".tmp-probe-")
            os.close(fd)
            os.unlink(probe)
        except OSError as e:
            raise CacheError(f"cannot write to the cache {folder} ({e.strerror or e}); make it writable "
                             f"or pass --cache with another folder") from None

    def load(self, name: str, key: str, shape: dict | None = None):
        """The stored value, or raise KeyError (absent) / DamagedEntry (checksum, format or shape wrong).
        shape: the expected top-level {key: type} of the entry (JOB_ENTRY, FIGURE_ENTRY)."""
        file = self.path(name, key)
        try:
            blob = file.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise KeyError(key) from None
        head, _, rest = blob.partition(b"\n")
        digest, _, payload = rest.partition(b"\n")
        if head + b"\n" != MAGIC or hashlib.sha256(payload).hexdigest().encode() != digest:
            raise DamagedEntry(f"cache entry {file} is damaged (checksum mismatch)")
        try:
            value = loads(payload)
        except Exception as e:  # a checksum-valid but unreadable entry (e.g. written by other code)
            raise DamagedEntry(f"cache entry {file} cannot be read: {e}") from None
        if shape is not None:
            _check_shape(value, shape, file)
        return value

    def store(self, name: str, key: str, value) -> Path:
        payload = dumps(value)
        file = self.path(name, key)
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, file)  # atomic: readers see the old entry or the whole new one
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return file

    def try_store(self, name: str, key: str, value, log=print) -> bool:
        """store(), except that a cache that cannot be written (read-only, disk full) costs one warning per
        build instead of the value: the caller goes on with the value in memory, the next build recomputes it."""
        try:
            self.store(name, key, value)
            return True
        except OSError as e:
            if self.unwritable is None:
                log(f"warning: cannot write to the cache {self.folder} ({e.strerror or e}); results of this "
                    f"build are kept in memory only and will be recomputed next time")
            self.unwritable = e
            return False

    def discard(self, name: str, key: str):
        self.path(name, key).unlink(missing_ok=True)
