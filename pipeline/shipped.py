"""Results shipped with the project: the compute entries of one complete run of a profile, in results/PROFILE/.

A lecturer who wants the paper-scale materials should not spend hours of CPU first: `build.py --profile full`
takes every job whose key matches a shipped entry from results/full/ (checked against the manifest's sha256,
then copied into the local cache, so it is used exactly like a cache hit). A shipped job whose code, torch or
device changed since is *stale*: listed by job and recomputed, never used. `--verify N` re-runs N shipped jobs
and compares their numbers with the shipped ones.

Layout (written by `build.py --profile P --ship`, never by hand):
    results/P/manifest.json           the run: profile, CPU seconds, machines; one row per job (key, commit,
                                      torch, device, CPU model, date, wall seconds, sha256 of the entry)
    results/P/NAME/KEY.entry          the cache entry itself (pipeline/cache.py's format: JSON + npz, no pickle)
Parts of a run may be shipped by several builds (`--only`); rows accumulate as long as their keys are current.
"""
import datetime
import hashlib
import json
import math
import os
import platform
import random
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.cache import JOB_ENTRY, Cache, DamagedEntry, stable_json, torch_version

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "results"
MANIFEST = "manifest.json"
FORMAT = 1
# Bit-identical is expected on the same CPU model and torch; a deviation beyond these is a failed verification.
ABS_TOL, REL_TOL = 1e-12, 1e-9


def is_timing(key) -> bool:
    """Wall-clock measurements inside results (seconds per update, truncated BPTT's price): never compared."""
    return isinstance(key, str) and ("seconds" in key or key == "price")


class ShippedError(Exception):
    """The shipped results cannot be used as asked (no manifest, a manifest that does not parse)."""


def job_ident(config: dict, spec: dict) -> str:
    """What a job computes, independent of the code that computes it: a stale entry has the same ident and
    another key."""
    return hashlib.sha256(stable_json({"config": config, "job": spec}).encode()).hexdigest()[:32]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


@dataclass
class Adopted:
    """What adopt() did: jobs taken from the shipped run, jobs listed as stale, damaged entries."""
    used: list = field(default_factory=list)        # (experiment, index)
    stale: list = field(default_factory=list)       # (experiment, index, why)
    damaged: list = field(default_factory=list)     # one line each
    manifest: dict | None = None

    def provenance(self) -> dict | None:
        """For the documents' first page: the shipped run they were built from (None when none was used)."""
        if not self.used or not self.manifest:
            return None
        rows = [r for r in self.manifest["jobs"] if (r["experiment"], r["index"]) in set(self.used)]
        return dict(profile=self.manifest["profile"], jobs=len(rows),
                    commits=sorted({r["commit"] for r in rows}), dates=sorted({r["date"][:10] for r in rows}),
                    cpu_hours=sum(r["seconds"] for r in rows) / 3600, cpus=sorted({r["cpu"] for r in rows}))


def load_manifest(folder: Path) -> dict | None:
    file = folder / MANIFEST
    if not file.is_file():
        return None
    try:
        manifest = json.loads(file.read_text())
        if manifest.get("format") != FORMAT or not isinstance(manifest.get("jobs"), list):
            raise ValueError("unknown format")
        for row in manifest["jobs"]:
            assert {"experiment", "index", "key", "ident", "sha256", "seconds"} <= set(row)
        return manifest
    except (ValueError, AssertionError, AttributeError, TypeError) as e:
        raise ShippedError(f"the shipped manifest {file} cannot be read ({e}); restore it with git "
                           f"(git checkout -- {file.relative_to(ROOT) if ROOT in file.parents else file})") from None


def adopt(plans, cache: Cache, folder: Path, force_names=(), log=print) -> Adopted:
    """Copies into the local cache every shipped entry whose key a planned job has (after checking its sha256),
    and marks that job cached. Jobs of force_names are left alone (they are to be recomputed)."""
    outcome = Adopted(manifest=load_manifest(folder))
    if outcome.manifest is None:
        return outcome
    by_key = {(r["experiment"], r["key"]): r for r in outcome.manifest["jobs"]}
    by_ident = {(r["experiment"], r["ident"]): r for r in outcome.manifest["jobs"]}
    for plan in plans:
        if plan.name in force_names:
            continue
        for job in plan.jobs:
            row = by_key.get((plan.name, job.key))
            if row is None:
                old = by_ident.get((plan.name, job_ident(plan.config, job.spec)))
                if old is not None:
                    outcome.stale.append((plan.name, job.index, _why_stale(old, job, plan)))
                continue
            if job.cached:
                outcome.used.append((plan.name, job.index))
                continue
            entry = folder / plan.name / f"{job.key}.entry"
            try:
                if _sha256(entry) != row["sha256"]:
                    raise DamagedEntry(f"shipped entry {entry} does not match its manifest (sha256)")
                target = cache.path(plan.name, job.key)
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = Path(tempfile.mkstemp(dir=target.parent, prefix=".tmp-")[1])
                shutil.copyfile(entry, tmp)
                os.replace(tmp, target)
                cache.load(plan.name, job.key, shape=JOB_ENTRY)   # the entry's own checksum and shape
            except FileNotFoundError:
                outcome.damaged.append(f"shipped entry {entry} is missing; recomputing job {job.index} of {plan.name}")
                continue
            except (DamagedEntry, OSError) as e:
                cache.discard(plan.name, job.key)
                outcome.damaged.append(f"{e}; recomputing job {job.index} of {plan.name}")
                continue
            job.cached = True
            outcome.used.append((plan.name, job.index))
    for line in outcome.damaged:
        log(f"warning: {line}")
    return outcome


def _why_stale(row: dict, job, plan) -> str:
    if row.get("torch") != torch_version():
        return f"shipped with torch {row.get('torch')}, this is {torch_version()}"
    if row.get("code") != job.code:
        return "its compute code changed since it was shipped"
    return f"shipped for device {row.get('device')}"


def status(plans, folder: Path) -> dict:
    """experiment -> (shipped jobs usable now, shipped jobs stale against the current code) for --list."""
    manifest = load_manifest(folder)
    if manifest is None:
        return {}
    keys = {(r["experiment"], r["key"]) for r in manifest["jobs"]}
    idents = {(r["experiment"], r["ident"]) for r in manifest["jobs"]}
    out = {}
    for plan in plans:
        current = sum((plan.name, j.key) in keys for j in plan.jobs)
        stale = sum((plan.name, j.key) not in keys and (plan.name, job_ident(plan.config, j.spec)) in idents
                    for j in plan.jobs)
        out[plan.name] = (current, stale)
    return out


def ship(plans, cache: Cache, folder: Path, profile: str, device: str, commit: str, log=print) -> dict:
    """Writes the cached entries of every planned job into folder and (re)writes the manifest. Rows of jobs
    shipped earlier stay when their key is still current (a run shipped in parts); stale ones are dropped."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(folder) or {"format": FORMAT, "jobs": []}
    current = {(p.name, j.key) for p in plans for j in p.jobs}
    planned = {p.name for p in plans}
    keep = [r for r in manifest["jobs"] if r["experiment"] not in planned or (r["experiment"], r["key"]) in current]
    rows = {(r["experiment"], r["index"]): r for r in keep}
    now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    for plan in plans:
        for job in plan.jobs:
            entry = cache.path(plan.name, job.key)
            value = cache.load(plan.name, job.key, shape=JOB_ENTRY)   # refuses a damaged entry
            target = folder / plan.name / entry.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists() or _sha256(target) != _sha256(entry):
                shutil.copyfile(entry, target)
            old = rows.get((plan.name, job.index))
            same = old is not None and old["key"] == job.key
            rows[(plan.name, job.index)] = dict(
                experiment=plan.name, index=job.index, key=job.key, ident=job_ident(plan.config, job.spec),
                code=job.code, sha256=_sha256(target), seconds=round(float(value["seconds"]), 3),
                torch=torch_version(), device=device,
                commit=old["commit"] if same else commit, cpu=old["cpu"] if same else cpu_name(),
                date=old["date"] if same else now)
    # entries no row refers to any more (stale or replaced) are removed: the folder is exactly the manifest
    listed = {(r["experiment"], r["key"]) for r in rows.values()}
    for file in folder.glob("*/*.entry"):
        if (file.parent.name, file.stem) not in listed:
            file.unlink()
    jobs = sorted(rows.values(), key=lambda r: (r["experiment"], r["index"]))
    manifest = {"format": FORMAT, "profile": profile,
                "jobs": jobs, "cpu_seconds": round(sum(r["seconds"] for r in jobs), 1),
                "machines": sorted({r["cpu"] for r in jobs}), "commits": sorted({r["commit"] for r in jobs})}
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, folder / MANIFEST)
    log(f"shipped {len(jobs)} jobs ({manifest['cpu_seconds'] / 3600:.2f} CPU-hours) into {folder}")
    return manifest


def check(folder: Path) -> list[str]:
    """Problems with a shipped folder: manifest rows without their entry, entries no row lists, a sha256 or an
    entry's own checksum that does not match. Empty when everything is consistent."""
    manifest = load_manifest(folder)
    if manifest is None:
        return [f"no {MANIFEST} in {folder}"]
    problems, listed = [], set()
    cache = Cache(folder)
    for r in manifest["jobs"]:
        entry = folder / r["experiment"] / f"{r['key']}.entry"
        listed.add(entry)
        if not entry.is_file():
            problems.append(f"{entry} is listed in the manifest but missing")
        elif _sha256(entry) != r["sha256"]:
            problems.append(f"{entry} does not match its manifest sha256")
        else:
            try:
                cache.load(r["experiment"], r["key"], shape=JOB_ENTRY)
            except DamagedEntry as e:
                problems.append(str(e))
    for entry in folder.glob("*/*.entry"):
        if entry not in listed:
            problems.append(f"{entry} is not listed in the manifest")
    return problems


def choose_for_verify(plans, folder: Path, n: int, names=(), seed=None) -> list:
    """(plan, job) pairs to re-run: the named experiments' shipped jobs, else n at random among the cheaper half
    of the current (non-stale) shipped jobs."""
    manifest = load_manifest(folder)
    if manifest is None:
        raise ShippedError(f"nothing is shipped in {folder}: --verify needs a shipped run (build.py --ship)")
    seconds = {(r["experiment"], r["key"]): r["seconds"] for r in manifest["jobs"]}
    # a job that only measures time (truncated BPTT's price) has nothing to compare
    current = [(p, j) for p in plans for j in p.jobs if (p.name, j.key) in seconds and not any(map(is_timing, j.spec))]
    if names:
        current = [(p, j) for p, j in current if p.name in names]
    if not current:
        raise ShippedError(f"no shipped job in {folder} matches the current code"
                           + (f" for {', '.join(names)}" if names else "") + " (all stale?)")
    if names:
        return current[:n] if n else current
    current.sort(key=lambda pj: seconds[(pj[0].name, pj[1].key)])
    cheap = current[:max(n, math.ceil(len(current) / 2))]
    return random.Random(seed).sample(cheap, min(n, len(cheap)))


def deviation(shipped, recomputed) -> tuple[float, float, list]:
    """Largest absolute and relative deviation over every number in two results of the same structure, and
    the paths where the structure itself differs."""
    import numpy as np
    worst = [0.0, 0.0]
    mismatched = []

    def numeric(v):
        return isinstance(v, (int, float, np.ndarray, np.generic)) and not isinstance(v, bool)

    def walk(a, b, path):
        if isinstance(a, np.ndarray) != isinstance(b, np.ndarray):   # a list against an array: compare as arrays
            try:
                a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            except (TypeError, ValueError):
                mismatched.append(f"{path}: {type(a).__name__} vs {type(b).__name__}")
                return
        if isinstance(a, dict) and isinstance(b, dict):
            if set(a) != set(b):
                mismatched.append(f"{path}: keys differ")
            for k in set(a) & set(b):
                if not is_timing(k):
                    walk(a[k], b[k], f"{path}/{k}")
        elif isinstance(a, list | tuple) and isinstance(b, list | tuple):
            if len(a) != len(b):
                mismatched.append(f"{path}: lengths {len(a)} and {len(b)}")
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{path}[{i}]")
        elif numeric(a) and numeric(b):
            x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
            if x.shape != y.shape:
                mismatched.append(f"{path}: shapes {x.shape} and {y.shape}")
                return
            both_nan = np.isnan(x) & np.isnan(y)
            same_inf = np.isinf(x) & (x == y)
            diff = np.where(both_nan | same_inf, 0.0, np.abs(x - y))
            diff = np.where(np.isnan(diff), np.inf, diff)          # NaN on one side only
            if diff.size:
                worst[0] = max(worst[0], float(diff.max()))
                scale = np.maximum(np.abs(x), np.abs(y))
                rel = np.where(diff == 0, 0.0, diff / np.where(scale > 0, scale, 1.0))
                worst[1] = max(worst[1], float(rel.max()))
        elif a != b:
            mismatched.append(f"{path}: {a!r:.30} vs {b!r:.30}")
    walk(shipped, recomputed, "")
    return worst[0], worst[1], mismatched


def within_tolerance(abs_dev: float, rel_dev: float, mismatched: list) -> bool:
    return not mismatched and (abs_dev <= ABS_TOL or rel_dev <= REL_TOL)
