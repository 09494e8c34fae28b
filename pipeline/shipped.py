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
import os
import platform
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.cache import file_digest, JOB_ENTRY, Cache, DamagedEntry, stable_json, torch_version

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "results"
MANIFEST = "manifest.json"
FORMAT = 1


class ShippedError(Exception):
    """The shipped results cannot be used as asked (no manifest, a manifest that does not parse)."""


def job_ident(config: dict, spec: dict) -> str:
    """What a job computes, independent of the code that computes it: a stale entry has the same ident and
    another key."""
    return hashlib.sha256(stable_json({"config": config, "job": spec}).encode()).hexdigest()[:32]


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
                if file_digest(entry) != row["sha256"]:
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


def adopt_for_build(plans, cache: Cache, folder: Path, force_names, log=print) -> Adopted:
    """adopt(), then one line per experiment with stale jobs (recomputed) and one saying what was used."""
    try:
        adopted = adopt(plans, cache, folder, force_names=force_names, log=log)
    except ShippedError as e:
        log(f"warning: {e}; computing without it")
        return Adopted()
    by_experiment = {}
    for name, index, why in adopted.stale:
        by_experiment.setdefault((name, why), []).append(index)
    for (name, why), indices in by_experiment.items():
        log(f"stale: {len(indices)} shipped job(s) of {name} ({why}): recomputing job(s) "
            f"{', '.join(map(str, indices[:12]))}{' …' if len(indices) > 12 else ''}")
    if adopted.used:
        log(f"Using {len(adopted.used)} shipped job(s) from {folder} (no training for them).")
    return adopted


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
            if not target.exists() or file_digest(target) != file_digest(entry):
                shutil.copyfile(entry, target)
            old = rows.get((plan.name, job.index))
            same = old is not None and old["key"] == job.key
            rows[(plan.name, job.index)] = dict(
                experiment=plan.name, index=job.index, key=job.key, ident=job_ident(plan.config, job.spec),
                code=job.code, sha256=file_digest(target), seconds=round(float(value["seconds"]), 3),
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
        elif file_digest(entry) != r["sha256"]:
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


CHOSEN_RATES = "chosen_rates.json"


def write_chosen_rates(folder: Path, numbers: dict, commit: str, log=print) -> dict:
    """folder/chosen_rates.json: the learning rates this run chose on validation data, per experiment and length or
    dataset, with the run they came from. The default profile trains at them (experiments.chosen_rates), so its
    models are tuned as the shipped run tuned them. Only experiments that chose (a grid) are written; others keep
    what an earlier part wrote."""
    path = folder / CHOSEN_RATES
    try:
        chosen = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        chosen = {}
    date = datetime.date.today().isoformat()
    a = numbers.get("adding")
    if a and a.get("lr_grid"):
        lr = {str(T): {m: a["lr_chosen"][m][T] for m in a["lr_chosen"]} for T in a["lengths"]}
        chosen["adding"] = dict(lr=lr, source=f"chosen on {a['n_validation']} validation sequences from the Adam "
                                f"grid {a['lr_grid']} by the full run shipped at commit {commit[:12]} on {date} "
                                f"(results/full)")
    s = numbers.get("sequential_mnist")
    if s and s.get("lr_grid"):
        lr = {d: {r["model"]: r["lr_chosen"][d] for r in s["rows"]} for d in s["datasets"]}
        chosen["sequential_mnist"] = dict(lr=lr, source=f"chosen by a pilot on {s['n_validation']} held-out training "
                                          f"images from the Adam grid {s['lr_grid']} by the full run shipped at commit "
                                          f"{commit[:12]} on {date} (results/full)")
    if chosen:
        tmp = folder / f".{CHOSEN_RATES}.tmp"
        tmp.write_text(json.dumps(chosen, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, path)
        log(f"learning rates chosen on validation data: {path} (the default profile trains at them)")
    return chosen
