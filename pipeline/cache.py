"""Content-addressed cache of experiment results.

An entry's key hashes everything that could change its value: the experiment's name, its config and job,
the source of the code it depends on, the torch version and the device. Entries are written atomically
(temp file, fsync, rename) with a sha256 of the payload, so an interrupted build leaves only complete
entries and a damaged one is detected, reported and recomputed instead of being used.
"""
import ast
import hashlib
import json
import os
import pickle
import tempfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPUTE = ROOT / "experiments"
MAGIC = b"rnn-gradients-cache-v1\n"


class DamagedEntry(Exception):
    pass


def stable_json(obj) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=repr)


def torch_version() -> str:
    # importlib.metadata, not `import torch`: a no-op rebuild must not pay torch's 2 s import
    try:
        return metadata.version("torch")
    except metadata.PackageNotFoundError:
        return "none"


def _local_imports(path: Path) -> set[Path]:
    """Files of this project that a module imports (experiments.x, pipeline.x, relative imports)."""
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
    """Hash of an experiment module and the experiments/ modules it imports: what a result depends on.
    Presentation (figures/, templates/) is outside experiments/, so changing it never retrains."""
    return _hash_files(f for f in source_closure(path) if COMPUTE in f.parents)


def _hash_files(files) -> str:
    h = hashlib.sha256()
    for file in files:
        h.update(str(file.relative_to(ROOT)).encode())
        h.update(file.read_bytes())
    return h.hexdigest()


def entry_key(name: str, config: dict, job: dict, code_hash: str, device: str) -> str:
    ident = stable_json({"name": name, "config": config, "job": job, "code": code_hash,
                         "torch": torch_version(), "device": device})
    return hashlib.sha256(ident.encode()).hexdigest()[:32]


class Cache:
    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def path(self, name: str, key: str) -> Path:
        return self.folder / name / f"{key}.pkl"

    def has(self, name: str, key: str) -> bool:
        return self.path(name, key).is_file()

    def load(self, name: str, key: str):
        """The stored value, or raise KeyError (absent) / DamagedEntry (checksum or format wrong)."""
        file = self.path(name, key)
        try:
            blob = file.read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None
        head, _, rest = blob.partition(b"\n")
        digest, _, payload = rest.partition(b"\n")
        if head + b"\n" != MAGIC or hashlib.sha256(payload).hexdigest().encode() != digest:
            raise DamagedEntry(f"cache entry {file} is damaged (checksum mismatch)")
        try:
            return pickle.loads(payload)
        except Exception as e:  # a checksum-valid but unreadable entry (e.g. written by other code)
            raise DamagedEntry(f"cache entry {file} cannot be read: {e}") from None

    def store(self, name: str, key: str, value) -> Path:
        payload = pickle.dumps(value, protocol=5)
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

    def discard(self, name: str, key: str):
        self.path(name, key).unlink(missing_ok=True)
