"""In-process vs a local process pool (--jobs 2) vs a 2-worker Dask LocalCluster, on the same sweep, side by
side in one run, each from an empty cache:

    python benchmarks/scaleout.py [--profile default] [--only jacobian explosion] [--workers 2]

Prints the wall-clock time of each way of running the jobs, checks that they give the same results (timings aside), and ends
with a `ratios:` line (in-process time / that mode's time). Needs requirements-dask.txt for the Dask column.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import runner  # noqa: E402
from pipeline.cache import Cache  # noqa: E402
from pipeline.registry import NAMES, PROFILES  # noqa: E402


TIMINGS = ("price", "seconds", "seconds_per_update", "train_seconds")  # measured wall-clock times inside results: never equal


def untimed(value):
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMINGS}
    if isinstance(value, list | tuple):
        return type(value)(untimed(v) for v in value)
    return value


def sweep(names, profile, folder: Path, **how):
    cache = Cache(folder)
    plans = runner.make_plan(names, profile, "cpu", cache)
    start = time.perf_counter()
    results = runner.execute(plans, cache, "cpu", log=lambda line: print("  " + line), **how)
    seconds = time.perf_counter() - start
    if missing := runner.missing_jobs(results):
        raise SystemExit(f"jobs failed: {missing}")
    return seconds, results, sum(len(p.jobs) for p in plans)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--profile", choices=PROFILES, default="default")
    p.add_argument("--only", nargs="+", choices=NAMES, default=["jacobian", "explosion"])
    p.add_argument("--workers", type=int, default=2)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from test_faults import same  # the exact comparison the tests use (arrays, NaN, types)

    rows, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"sweep: --profile {args.profile} --only {' '.join(args.only)}")
        seconds, reference, jobs = sweep(args.only, args.profile, tmp / "inproc", workers=1)
        rows.append(("in-process (1 thread)", seconds, ""))
        seconds, results, _ = sweep(args.only, args.profile, tmp / "pool", workers=args.workers)
        rows.append((f"--jobs {args.workers} (process pool)", seconds, "same" if same(untimed(results), untimed(reference)) else "DIFFERENT"))
        try:
            from dask.distributed import LocalCluster
        except ImportError:
            print("dask not installed (pip install -r requirements-dask.txt): no Dask column")
        else:
            t0 = time.perf_counter()
            with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
                started = time.perf_counter() - t0
                seconds, results, _ = sweep(args.only, args.profile, tmp / "dask", scheduler=cluster.scheduler_address)
            rows.append((f"Dask LocalCluster, {args.workers} workers", seconds,
                         ("same" if same(untimed(results), untimed(reference)) else "DIFFERENT") + f"; cluster start {started:.1f} s not included"))
    base = rows[0][1]
    print(f"\n{jobs} jobs; wall-clock seconds from an empty cache\n")
    print(f"{'mode':<32} {'seconds':>8} {'speed-up':>9}  results vs in-process")
    for name, seconds, note in rows:
        print(f"{name:<32} {seconds:8.1f} {base / seconds:8.2f}x  {note}")
    print("ratios: " + " ".join(f"{key}={base / s:.2f}" for key, (_, s, _) in zip(["inproc", "pool", "dask"], rows)))


if __name__ == "__main__":
    main()
