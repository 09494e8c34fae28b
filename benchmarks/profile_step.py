"""Where one time step of the engine spends its time: per op, forward and backward, at the default build's shapes.

    python benchmarks/profile_step.py [--case NAME ...] [--reps N] [--threads N] [--top N]

For each case it runs the real Ensemble.train_step under torch.profiler, once for the forward pass alone and
once for the whole update, and prints each ATen op's self time per time step (forward | backward and the rest
= update minus forward), the calls per step, and what is left outside the ops ("python", the interpreter and
dispatch between them). The wall-clock rows are measured without the profiler (median of --reps). A member-step
is one member's forward + backward through one time step; its floor is the step's matmul FLOPs at the speed of a
large matmul on one core (2048^3 torch.mm, timed in the same run), so `floor fraction` = floor / measured.
The profiler's own cost inflates the op rows a little; the wall-clock rows are the numbers to compare.
"""
import argparse
import os
import statistics
import sys
import time

import torch
from torch.profiler import ProfilerActivity, profile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from experiments.engine import Ensemble, Member, set_flush_denormal  # noqa: E402

# the default build's shapes: temporal order (pathological, Fig. 7: 4 methods x 3 seeds = 12 members; 16 in
# the benchmark), the adding problem (Le et al.: IRNN and LSTM, n = 100, B = 32) and sMNIST's size
CASES = {
    "temporal_order_tanh": dict(cell="tanh", K=16, n_in=6, n=50, n_out=4, B=20, T=100),
    "adding_relu": dict(cell="relu", K=4, n_in=2, n=100, n_out=1, B=32, T=150, loss="mse"),
    "adding_lstm": dict(cell="lstm", K=2, n_in=2, n=100, n_out=1, B=32, T=150, loss="mse"),
    "smnist_relu": dict(cell="relu", K=1, n_in=1, n=100, n_out=10, B=128, T=196),
    "smnist_lstm": dict(cell="lstm", K=1, n_in=1, n=100, n_out=10, B=128, T=196),
}


def step_flops(cell, n_in, n, B):
    """Matmul FLOPs of one member's time step: forward [h|x|1] @ Wcat^T, backward dE/dpre @ W, and the step's
    share of the weight-gradient product dE/dpre^T [h|x|1]."""
    rows = 4 * n if cell == "lstm" else n
    m = n + n_in + 1
    return 2 * B * m * rows + 2 * B * rows * n + 2 * B * rows * m


def gemm_gflops(reps=5):
    """One core's large-GEMM speed (median), the roofline every fraction here refers to."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    ts = []
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        ts.append(time.perf_counter() - t)
    torch.set_num_threads(threads)
    return 2 * 2048 ** 3 / statistics.median(ts) / 1e9


def make_case(c):
    members = [Member(k, lr=0.01, clip=1.0 if k % 2 else None,
                      init="identity" if c["cell"] == "relu" else "orthogonal", rec_scale=1.0)
               for k in range(c["K"])]
    ens = Ensemble(c["cell"], c["n_in"], c["n"], c["n_out"], members)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(c["K"], c["T"], c["B"], c["n_in"], generator=g)
    if c.get("loss", "ce") == "ce":
        y = torch.randint(0, c["n_out"], (c["K"], c["B"]), generator=g)
    else:
        y = torch.randn(c["K"], c["B"], c["n_out"], generator=g)
    return ens, x, y, c.get("loss", "ce")


def op_times(fn, reps):
    """{op name: (self microseconds, calls)} summed over reps calls of fn, and the profiled wall time."""
    fn()
    with profile(activities=[ProfilerActivity.CPU]) as p:
        t = time.perf_counter()
        for _ in range(reps):
            fn()
        wall = time.perf_counter() - t
    return {e.key: (e.self_cpu_time_total, e.count) for e in p.key_averages()}, wall * 1e6


def median_time(fns, reps):
    """Median seconds of each fn, calls interleaved."""
    for f in fns.values():
        f()
    ts = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t = time.perf_counter()
            f()
            ts[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in ts.items()}


def profile_case(name, c, reps, top, roof):
    ens, x, y, loss = make_case(c)
    T, K = c["T"], c["K"]
    fwd = lambda: ens._forward(x)   # noqa: E731
    step = lambda: ens.train_step(x, y, loss)   # noqa: E731
    wall = median_time({"fwd": fwd, "step": step}, reps)
    f_ops, f_wall = op_times(fwd, max(1, reps // 2))
    s_ops, s_wall = op_times(step, max(1, reps // 2))
    n_prof = max(1, reps // 2)
    per = n_prof * T                # time steps profiled
    rows = []
    for op in set(f_ops) | set(s_ops):
        fu, fc = f_ops.get(op, (0.0, 0))
        su, sc = s_ops.get(op, (0.0, 0))
        rows.append((op, fu / per, max(0.0, su - fu) / per, sc / per))
    rows.sort(key=lambda r: -(r[1] + r[2]))
    f_py = (f_wall - sum(u for u, _ in f_ops.values())) / per
    s_py = (s_wall - sum(u for u, _ in s_ops.values())) / per
    flops = step_flops(c["cell"], c["n_in"], c["n"], c["B"])
    member_us = wall["step"] / (K * T) * 1e6
    floor_us = flops / (roof * 1e9) * 1e6
    print(f"\n## {name}: {c['cell']}, K = {K}, n = {c['n']}, B = {c['B']}, T = {T}, n_in = {c['n_in']}")
    print(f"wall (no profiler, median of {reps}): forward {wall['fwd'] / T * 1e6:.1f} us/step, "
          f"update {wall['step'] / T * 1e6:.1f} us/step, {member_us:.2f} us per member-step; "
          f"floor {floor_us:.2f} us ({flops / 1e6:.3f} MFLOP at {roof:.0f} GFLOP/s), "
          f"floor fraction {floor_us / member_us:.2f}")
    print(f"| {'op (self time, us per time step)':36s} | {'forward':>8s} | {'backward+':>9s} | {'calls/step':>10s} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 11}|{'-' * 12}|")
    for op, fu, bu, calls in rows[:top]:
        print(f"| {op:36s} | {fu:8.2f} | {bu:9.2f} | {calls:10.2f} |")
    print(f"| {'(python + dispatch between ops)':36s} | {f_py:8.2f} | {max(0.0, s_py - f_py):9.2f} | {'':10s} |")
    return member_us, floor_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append", choices=list(CASES), help="default: all")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as the build)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    set_flush_denormal()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    roof = gemm_gflops()
    load = " load_avg_1min=%.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} one-core 2048^3 mm: {roof:.1f} GFLOP/s{load}")
    for name in args.case or list(CASES):
        profile_case(name, CASES[name], args.reps, args.top, roof)


if __name__ == "__main__":
    main()
