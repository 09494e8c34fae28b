"""--verify: re-run shipped jobs and compare them with what was shipped (pipeline/shipped.py).

A shipped number can be checked by anyone: N jobs (cheap ones at random, or those of --only) are recomputed in a
scratch cache, every number of each result is compared with the shipped one (largest absolute and relative
deviation; wall-clock timings are not compared), and the claims those experiments feed are evaluated twice, with
the shipped results and with the re-run jobs in their place. A deviation beyond the tolerance or a changed verdict
fails (exit 1).
"""
import math
import random
import tempfile
from pathlib import Path

from pipeline import runner
from pipeline.cache import JOB_ENTRY, Cache
from pipeline.shipped import ShippedError, cpu_name, load_manifest

# Bit-identical is expected on the same CPU model and torch; a deviation beyond these is a failed verification.
ABS_TOL, REL_TOL = 1e-12, 1e-9


def is_timing(key) -> bool:
    """Wall-clock measurements inside results (seconds per update, truncated BPTT's price): never compared."""
    return isinstance(key, str) and ("seconds" in key or key == "price")


def choose(plans, folder: Path, n: int, names=(), seed=None) -> list:
    """(plan, job) pairs to re-run: the named experiments' n cheapest shipped jobs (all with n = 0), else n at random
    among the cheaper half of the current (non-stale) shipped jobs."""
    manifest = load_manifest(folder)
    if manifest is None:
        raise ShippedError(f"nothing is shipped in {folder}: --verify needs a shipped run (build.py --ship)")
    seconds = {(r["experiment"], r["key"]): r["seconds"] for r in manifest["jobs"]}
    # a job that only measures time (truncated BPTT's price) has nothing to compare
    current = [(p, j) for p in plans for j in p.jobs if (p.name, j.key) in seconds and not any(map(is_timing, j.spec))]
    current.sort(key=lambda pj: seconds[(pj[0].name, pj[1].key)])   # cheapest first: a check anyone can afford
    if names:
        current = [(p, j) for p, j in current if p.name in names]
    if not current:
        raise ShippedError(f"no shipped job in {folder} matches the current code"
                           + (f" for {', '.join(names)}" if names else "") + " (all stale?)")
    if names:
        return current[:n] if n else current
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


def rerun(plans, chosen, folder: Path, device: str, workers: int, scheduler, print_table, log=print) -> int:
    """Recomputes the chosen (plan, job) pairs, prints one row per job and the verdicts; returns the exit code."""
    log(f"Re-running {len(chosen)} shipped job(s) from {folder}:")
    subset, origin = {}, {j.key: j.index for _, j in chosen}   # the trial numbers its jobs 0, 1, …
    for p, j in chosen:
        subset.setdefault(id(p), (p, []))[1].append(j)
    trial = [runner.Plan(p.experiment, p.config, [runner.Job(j.experiment, i, j.spec, j.key, j.code)
                                                  for i, j in enumerate(js)]) for p, js in subset.values()]
    with tempfile.TemporaryDirectory(prefix="verify-") as scratch:
        results = runner.execute(trial, Cache(Path(scratch)), device, workers=workers, scheduler=scheduler,
                                 force=True, log=log)
    rows, ok, recomputed, store = [], True, {}, Cache(folder)
    for t in trial:
        for j, result in zip(t.jobs, results[t.name]):
            original = store.load(t.name, j.key, shape=JOB_ENTRY)
            recomputed[(t.name, j.key)] = result
            if isinstance(result, Exception):
                rows.append([t.name, str(origin[j.key]), f"{original['seconds']:.1f}", "-", "-", "-", f"FAILED: {result}"])
                ok = False
                continue
            abs_dev, rel_dev, mismatched = deviation(original["result"], result)
            same = within_tolerance(abs_dev, rel_dev, mismatched)
            ok = ok and same
            rows.append([t.name, str(origin[j.key]), f"{original['seconds']:.1f}", f"{j.seconds:.1f}", f"{abs_dev:.3g}",
                         f"{rel_dev:.3g}", "identical" if abs_dev == 0 and not mismatched else "within tolerance"
                         if same else "DEVIATES" + (f" ({mismatched[0]})" if mismatched else "")])
    print_table(rows, ["experiment", "job", "shipped s", "now s", "max |Δ|", "max |Δ|/|x|", "result"])
    log(f"tolerance: |Δ| ≤ {ABS_TOL:g} or |Δ|/|x| ≤ {REL_TOL:g} (bit-identical expected on the same CPU model and "
        f"torch; shipped on {', '.join(load_manifest(folder)['machines'])}, this is {cpu_name()})")
    changed = verdicts_changed(plans, folder, recomputed, log)
    return 0 if ok and not changed else 1


def verdicts_changed(plans, folder: Path, recomputed: dict, log=print) -> list[str]:
    """The claims' verdicts from the shipped results, and again with the re-run jobs in place of theirs: prints
    whether each claim an experiment of the re-run feeds keeps its verdict; returns the claims that changed."""
    from analysis import claims
    store, touched = Cache(folder), {name for name, _ in recomputed}
    whole = [p for p in plans if all(store.has(p.name, j.key) for j in p.jobs)]   # experiments shipped in full
    exp_shipped, exp_now = {}, {}
    for p in whole:
        shipped_results = [store.load(p.name, j.key, shape=JOB_ENTRY)["result"] for j in p.jobs]
        now = [recomputed.get((p.name, j.key), r) for j, r in zip(p.jobs, shipped_results)]
        now = [r for r in now if not isinstance(r, Exception)]
        for exp, rs in ((exp_shipped, shipped_results), (exp_now, now)):
            if len(rs) == len(p.jobs):
                exp[p.name] = {**p.experiment.analysis.numbers(p.config, rs), "budget": p.budget}
    before = {r["id"]: r["verdict"] for r in claims.evaluate(exp_shipped)}
    after = {r["id"]: r["verdict"] for r in claims.evaluate(exp_now)}
    fed = [cid for cid, (_, _, needs, *_) in claims.CLAIMS.items() if touched & set(needs)]   # (claim, kind, needs, …)
    changed = [cid for cid in fed if before.get(cid) != after.get(cid)]
    for cid in fed:
        log(f"{cid}: {before.get(cid)} with the shipped results, {after.get(cid)} with the re-run job(s)"
              + (" — CHANGED" if cid in changed else " (unchanged)"))
    if not fed:
        log("no claim depends on the re-run experiments")
    return changed
