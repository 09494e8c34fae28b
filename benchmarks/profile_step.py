"""Where one time step of the engine spends its time: per op, forward and backward, at the default build's shapes.

    python benchmarks/profile_step.py [--case NAME ...] [--reps N] [--threads N] [--top N]

For each case it runs the real Ensemble.train_step under a TorchFunctionMode that times every torch function
the engine calls (this thread's CPU time, which a shared machine's load distorts less than wall-clock time;
torch.profiler's wall-clock op times were useless at a load average of 6 on 2 cores), once for the forward pass
alone and once for the whole update, and prints each function's time per time step (forward | backward and the
rest = update minus forward), the calls per step, and what is left outside them ("python", the interpreter
between calls). The timed rows are measured without the profiler (median of --reps). A member-step
is one member's forward + backward through one time step (CPU time too); its floor is the step's matmul FLOPs at the speed of a
large matmul on one core (2048^3 torch.mm, timed in the same run), so `floor fraction` = floor / measured.
The timer's own cost is outside the timed calls; the untimed rows are the numbers to compare.
"""
import argparse
import os
import statistics
import sys
import time

import torch
from torch.overrides import TorchFunctionMode

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from benchmarks.trainer import one_core_mm, step_flops  # noqa: E402
from rnn import setup_torch  # noqa: E402
from rnn.engine import Ensemble, Member  # noqa: E402

# the default build's shapes: temporal order (pathological, Fig. 7: 4 methods x 3 seeds = 12 members; 16 in
# the benchmark), the adding problem (Le et al.: IRNN and LSTM, n = 100, B = 32) and sMNIST's size
CASES = {
    "temporal_order_tanh": dict(cell="tanh", K=16, n_in=6, n=50, n_out=4, B=20, T=100),
    # pathological's ensembles: 3 methods x 3 seeds, a third of the members with Pascanu's Omega regulariser
    "temporal_order_omega": dict(cell="tanh", K=9, n_in=6, n=50, n_out=4, B=20, T=50, omega=True),
    "short_omega": dict(cell="tanh", K=9, n_in=6, n=50, n_out=4, B=20, T=20, omega=True),   # the table's L = 20
    # adding / multiplication in the table: one ensemble per seed (their lengths vary by batch), 3 methods
    "short_omega_k3": dict(cell="tanh", K=3, n_in=2, n=50, n_out=1, B=20, T=21, omega=True, loss="mse"),
    "adding_relu": dict(cell="relu", K=4, n_in=2, n=100, n_out=1, B=32, T=150, loss="mse"),
    "adding_lstm": dict(cell="lstm", K=2, n_in=2, n=100, n_out=1, B=32, T=150, loss="mse"),
    "smnist_relu": dict(cell="relu", K=1, n_in=1, n=100, n_out=10, B=128, T=196),
    "smnist_lstm": dict(cell="lstm", K=1, n_in=1, n=100, n_out=10, B=128, T=196),
}


def gemm_gflops(reps=5):
    """One core's large-GEMM speed (median CPU time), the floor every fraction here refers to."""
    run = one_core_mm(torch.device("cpu"))
    run()
    ts = []
    for _ in range(reps):
        t = time.thread_time()
        run()
        ts.append(time.thread_time() - t)
    return 2 * 2048 ** 3 / statistics.median(ts) / 1e9


def make_case(c):
    members = [Member(k, lr=0.01, clip=1.0 if k % 2 else None, omega=2.0 if c.get("omega") and k % 3 == 2 else 0.0,
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


class OpTimer(TorchFunctionMode):
    """Sums this thread's CPU time inside each torch function called (views and indexing included)."""

    def __init__(self):
        super().__init__()
        self.ns, self.calls = {}, {}

    def __torch_function__(self, func, types, args=(), kwargs=None):
        t = time.thread_time_ns()
        out = func(*args, **(kwargs or {}))
        dt = time.thread_time_ns() - t
        name = getattr(func, "__name__", str(func))
        if name == "__get__":        # a property such as Tensor.shape
            name = "(tensor attribute)"
        self.ns[name] = self.ns.get(name, 0) + dt
        self.calls[name] = self.calls.get(name, 0) + 1
        return out


def op_times(fn, reps):
    """{op name: (CPU microseconds, calls)} summed over reps calls of fn."""
    fn()
    timer = OpTimer()
    with timer:
        for _ in range(reps):
            fn()
    return {k: (v / 1e3, timer.calls[k]) for k, v in timer.ns.items()}


def median_time(fns, reps):
    """Median CPU seconds of each fn, calls interleaved."""
    for f in fns.values():
        f()
    ts = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t = time.thread_time()
            f()
            ts[k].append(time.thread_time() - t)
    return {k: statistics.median(v) for k, v in ts.items()}


def profile_case(name, c, reps, top, roof):
    ens, x, y, loss = make_case(c)
    T, K = c["T"], c["K"]
    fwd = lambda: ens._forward(x)   # noqa: E731
    step = lambda: ens.train_step(x, y, loss)   # noqa: E731
    wall = median_time({"fwd": fwd, "step": step}, reps)
    f_ops, s_ops = op_times(fwd, reps), op_times(step, reps)
    per = reps * T                  # time steps profiled
    rows = []
    for op in set(f_ops) | set(s_ops):
        fu, fc = f_ops.get(op, (0.0, 0))
        su, sc = s_ops.get(op, (0.0, 0))
        rows.append((op, fu / per, max(0.0, su - fu) / per, sc / per))
    rows.sort(key=lambda r: -(r[1] + r[2]))
    f_py = wall["fwd"] * 1e6 / T - sum(u for u, _ in f_ops.values()) / per
    s_py = wall["step"] * 1e6 / T - sum(u for u, _ in s_ops.values()) / per
    flops = step_flops(c["cell"], c["n_in"], c["n"], c["B"])
    member_us = wall["step"] / (K * T) * 1e6
    floor_us = flops / (roof * 1e9) * 1e6
    print(f"\n## {name}: {c['cell']}, K = {K}, n = {c['n']}, B = {c['B']}, T = {T}, n_in = {c['n_in']}")
    print(f"CPU time (no profiler, median of {reps}): forward {wall['fwd'] / T * 1e6:.1f} us/step, "
          f"update {wall['step'] / T * 1e6:.1f} us/step, {member_us:.2f} us per member-step; "
          f"floor {floor_us:.2f} us ({flops / 1e6:.3f} MFLOP at {roof:.0f} GFLOP/s), "
          f"floor fraction {floor_us / member_us:.2f}")
    print(f"| {'torch function (CPU us per time step)':36s} | {'forward':>8s} | {'backward+':>9s} | {'calls/step':>10s} |")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 11}|{'-' * 12}|")
    for op, fu, bu, calls in rows[:top]:
        print(f"| {op:36s} | {fu:8.2f} | {bu:9.2f} | {calls:10.2f} |")
    print(f"| {'(python between the calls)':36s} | {f_py:8.2f} | {max(0.0, s_py - f_py):9.2f} | {'':10s} |")
    return member_us, floor_us


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", action="append", choices=list(CASES), help="default: all")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1, as the build)")
    ap.add_argument("--top", type=int, default=12)
    args = ap.parse_args()
    setup_torch(args.threads)   # flush-to-zero and the threads, as a build's job
    torch.manual_seed(0)
    roof = gemm_gflops()
    load = " load_avg_1min=%.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"threads={torch.get_num_threads()} torch={torch.__version__} one-core 2048^3 mm: {roof:.1f} GFLOP/s{load}")
    for name in args.case or list(CASES):
        profile_case(name, CASES[name], args.reps, args.top, roof)


if __name__ == "__main__":
    main()
