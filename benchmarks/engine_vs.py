"""Two versions of the engine side by side: this tree's rnn/ against another revision's, per member-step.

    python benchmarks/engine_vs.py REV [--case NAME ...] [--rounds N] [--reps N]

REV is any git revision (a commit, a branch): its rnn/ is extracted into a temporary folder. For each case of
benchmarks/profile_step.py (the default build's shapes) the two engines train in turn, in fresh one-thread
processes (REV, this tree, REV, ...: --rounds each), each timing --reps updates after one warm-up update with the
thread's CPU time; the medians and their ratio are printed, then the ratios on one machine-readable line:
    engine_vs: CASE=REV/this ...
Both engines train the same members on the same data; this tree's benchmarks/profile_step.py defines the cases.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.profile_step import CASES  # noqa: E402

# run in a fresh process with the engine under test first on sys.path (this tree's benchmarks/ after it)
TIMER = """
import statistics, sys, time
sys.path[:0] = [{engine!r}, {root!r}]
from rnn import setup_torch
setup_torch(1)
try:   # an engine that uses numpy's BLAS: one thread, as setup_torch does where it knows to
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api="blas")
except ImportError:
    pass
import rnn.engine
import benchmarks.profile_step as P
P.Ensemble, P.Member = rnn.engine.Ensemble, rnn.engine.Member
c = P.CASES[{case!r}]
ens, x, y, loss = P.make_case(c)
ens.train_step(x, y, loss)
times = []
for _ in range({reps}):
    t = time.thread_time()
    ens.train_step(x, y, loss)
    times.append(time.thread_time() - t)
print(statistics.median(times) / (c["K"] * c["T"]) * 1e6)
"""


def extract_rnn(rev: str, into: Path) -> Path:
    """REV's rnn/ package, extracted from git into `into`."""
    try:
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "rnn"], check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as e:
        sys.exit(f"engine_vs: cannot read rnn/ at revision {rev!r}: {e.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def member_step_us(engine: Path, case: str, reps: int) -> float:
    code = TIMER.format(engine=str(engine), root=str(ROOT), case=case, reps=reps)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"engine_vs: the {case} run of {engine} failed:\n{out.stderr}")
    return float(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rev", help="git revision whose rnn/ to compare with this tree's")
    ap.add_argument("--case", action="append", choices=list(CASES), help="default: all")
    ap.add_argument("--rounds", type=int, default=3, help="processes per engine and case, interleaved")
    ap.add_argument("--reps", type=int, default=10, help="timed updates per process")
    args = ap.parse_args()
    load = f" load_avg_1min={os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""
    print(f"one thread per process; CPU us per member-step, median of {args.rounds} processes x {args.reps} updates{load}")
    print(f"| {'case':22s} | {args.rev[:12]:>12s} | {'this tree':>9s} | {'ratio':>6s} |")
    print(f"|{'-' * 24}|{'-' * 14}|{'-' * 11}|{'-' * 8}|")
    ratios = {}
    with tempfile.TemporaryDirectory() as tmp:
        ref = extract_rnn(args.rev, Path(tmp))
        for case in args.case or list(CASES):
            got = {"ref": [], "this": []}
            for _ in range(args.rounds):
                got["ref"].append(member_step_us(ref, case, args.reps))
                got["this"].append(member_step_us(ROOT, case, args.reps))
            a, b = statistics.median(got["ref"]), statistics.median(got["this"])
            ratios[case] = a / b
            print(f"| {case:22s} | {a:12.2f} | {b:9.2f} | {a / b:5.2f}x |", flush=True)
    print("engine_vs: " + " ".join(f"{k}={v:.2f}" for k, v in ratios.items()))


if __name__ == "__main__":
    main()
