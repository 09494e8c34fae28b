"""Speed of one training step: rnn.engine vs plain torch.nn, side by side in one run.

    python benchmarks/trainer.py [--quick] [--device cpu|cuda] [--threads N] [--cpu-time]

Cases are interleaved (A, B, A, B, ...) so that a change in machine load hits both sides; each time
is the median over repetitions after a warm-up. The last line is machine-readable:
    ratios: rnn_speedup=A roofline_fraction=B ensemble_speedup=C lstm_speedup=D member_step_us=E floor_fraction=F
member_step_us: one member's forward + backward through one time step in the 16-member tanh ensemble (n = 50,
B = 20, T = 100: the default build's temporal-order runs); floor_fraction: the floor (that step's matmul FLOPs at
one core's large-matmul speed, 2048^3 torch.mm on 1 thread, timed interleaved with it) / member_step_us.
"""
import argparse
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from rnn import setup_torch  # noqa: E402
from rnn.engine import Ensemble, Member  # noqa: E402


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


CLOCK = time.perf_counter     # --cpu-time: time.process_time


def timed(fns, reps, device):
    """Median seconds of each fn, calls interleaved, after one warm-up call each."""
    for f in fns.values():
        f()
    sync(device)
    times = {k: [] for k in fns}
    for _ in range(reps):
        for k, f in fns.items():
            t = CLOCK()
            f()
            sync(device)
            times[k].append(CLOCK() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def torch_step(rnn, head, x, y, lr=1e-4):
    params = list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=lr)

    def step():
        opt.zero_grad(set_to_none=True)
        out, _ = rnn(x)
        F.cross_entropy(head(out[-1]), y).backward()
        opt.step()
    return step


def engine_step(ens, x, y):
    return lambda: ens.train_step(x, y, "ce")


def step_flops(cell, n_in, n, B):
    """Matmul FLOPs of one member's time step: forward [h|x|1] @ Wcat^T, backward dE/dpre @ W, and the step's
    share of the weight-gradient product dE/dpre^T [h|x|1]."""
    rows = 4 * n if cell == "lstm" else n
    m = n + n_in + 1
    return 2 * B * m * rows + 2 * B * rows * n + 2 * B * rows * m


def one_core_mm(device, size=2048):
    """A size^3 matmul on one thread (the floor's speed), as a function to time with the others."""
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)

    def run():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        a @ b
        torch.set_num_threads(threads)
    return run


def rnn_flops(T, B, n_in, n, n_out):
    """Matmul FLOPs of one fwd+bwd step: recurrence fwd and bwd, weight grads, input proj, head."""
    rec = 2 * T * B * n * n
    inp = 2 * T * B * n * (n_in + 1)          # V x + b, forward and its gradient
    head = 2 * B * n * n_out
    return 3 * rec + 2 * inp + 3 * head


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions (< 1 min)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process's CPU time, not wall-clock (a shared machine; use with --threads 1)")
    args = ap.parse_args()
    global CLOCK
    if args.cpu_time:
        CLOCK = time.process_time
    setup_torch(None)   # flush-to-zero; --threads below
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    reps = 3 if args.quick else 10
    torch.manual_seed(0)
    rows = []

    # roofline: a large matmul, timed interleaved with the RNN steps below so that both see the same load
    a, b = torch.randn(2048, 2048, device=dev), torch.randn(2048, 2048, device=dev)
    roofline = {"roofline": lambda: a @ b}

    # 1. pixel-MNIST-sized plain RNN: 100 units, batch 128, 784 steps
    T, B, n, n_in, n_out = 784, 128, 100, 1, 10
    x, y = torch.randn(T, B, n_in, device=dev), torch.randint(0, n_out, (B,), device=dev)
    flops = rnn_flops(T, B, n_in, n, n_out)
    ratios = {}
    for cell in ("relu", "tanh"):
        init = "identity" if cell == "relu" else "orthogonal"   # IRNN / orthogonal tanh
        ens = Ensemble(cell, n_in, n, n_out, [Member(0, lr=1e-4, init=init, rec_scale=1.0)], device=dev)
        rnn = torch.nn.RNN(n_in, n, nonlinearity=cell).to(dev)
        head = torch.nn.Linear(n, n_out).to(dev)
        t = timed({"engine": engine_step(ens, x, y), "torch": torch_step(rnn, head, x, y), **roofline}, reps, dev)
        if roofline:
            roof = 2 * 2048 ** 3 / t["roofline"] / 1e9
            rows.insert(0, ("matmul 2048^3 (roofline)", "torch.mm", t["roofline"], None, roof))
            roofline = {}
        rows.append((f"{cell} RNN n=100 B=128 T=784", "engine", t["engine"], t["torch"] / t["engine"],
                     flops / t["engine"] / 1e9))
        rows.append((f"{cell} RNN n=100 B=128 T=784", "nn.RNN+Linear", t["torch"], 1.0, flops / t["torch"] / 1e9))
        if cell == "relu":
            ratios["rnn_speedup"] = t["torch"] / t["engine"]
            ratios["roofline_fraction"] = flops / t["engine"] / 1e9 / roof

    # 2. an ensemble of K=16 small runs (50 units, batch 20, 100 steps): batched vs one after another
    K, T, B, n, n_in, n_out = 16, 100, 20, 50, 2, 4
    members = [Member(k, lr=0.01 * (1 + k % 4), clip=1.0 if k % 2 else None, init="orthogonal", rec_scale=1.0)
               for k in range(K)]
    xk = torch.randn(K, T, B, n_in, device=dev)
    yk = torch.randint(0, n_out, (K, B), device=dev)
    batched = Ensemble("tanh", n_in, n, n_out, members, device=dev)
    singles = [Ensemble("tanh", n_in, n, n_out, [m], device=dev) for m in members]

    def sequential():
        for k, e in enumerate(singles):
            e.train_step(xk[k], yk[k], "ce")
    t = timed({"batched": lambda: batched.train_step(xk, yk, "ce"), "sequential": sequential,
               "mm1": one_core_mm(dev)}, reps * 3, dev)
    ratios["ensemble_speedup"] = t["sequential"] / t["batched"]
    rows.append(("16 x tanh RNN n=50 B=20 T=100", "Ensemble K=16", t["batched"], ratios["ensemble_speedup"], None))
    rows.append(("16 x tanh RNN n=50 B=20 T=100", "16 x K=1 in turn", t["sequential"], 1.0, None))
    # 2b. per member-step, against the floor: the step's matmul FLOPs at one core's large-matmul speed
    roof1 = 2 * 2048 ** 3 / t["mm1"] / 1e9
    ratios["member_step_us"] = t["batched"] / (K * T) * 1e6
    floor_us = step_flops("tanh", n_in, n, B) / (roof1 * 1e9) * 1e6
    ratios["floor_fraction"] = floor_us / ratios["member_step_us"]
    floor_line = (f"member-step (K={K} tanh n={n} B={B} T={T}): {ratios['member_step_us']:.2f} us; floor "
                  f"{floor_us:.2f} us ({step_flops('tanh', n_in, n, B) / 1e6:.3f} MFLOP at {roof1:.1f} GFLOP/s, "
                  f"2048^3 mm on one core); floor fraction {ratios['floor_fraction']:.2f}")

    # 3. LSTM, 100 units, batch 128, 784 steps
    T, B, n, n_in, n_out = 784, 128, 100, 1, 10
    ens = Ensemble("lstm", n_in, n, n_out, [Member(0, lr=1e-4)], device=dev)
    lstm, head = torch.nn.LSTM(n_in, n).to(dev), torch.nn.Linear(n, n_out).to(dev)
    t = timed({"engine": engine_step(ens, x, y), "torch": torch_step(lstm, head, x, y)}, max(2, reps // 2), dev)
    ratios["lstm_speedup"] = t["torch"] / t["engine"]
    lflops = 4 * rnn_flops(T, B, n_in, n, 0)
    rows.append(("LSTM n=100 B=128 T=784", "engine", t["engine"], ratios["lstm_speedup"], lflops / t["engine"] / 1e9))
    rows.append(("LSTM n=100 B=128 T=784", "nn.LSTM+Linear", t["torch"], 1.0, lflops / t["torch"] / 1e9))

    load = " load_avg_1min=%.2f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"device={dev} threads={torch.get_num_threads()} torch={torch.__version__} reps={reps} (median){load}")
    print(f"| {'case':32s} | {'implementation':16s} | {'ms/step':>9s} | {'speedup':>7s} | {'GFLOP/s':>7s} |")
    print(f"|{'-' * 34}|{'-' * 18}|{'-' * 11}|{'-' * 9}|{'-' * 9}|")
    for case, impl, sec, speed, gf in rows:
        sp = "" if speed is None else f"{speed:.2f}x"
        g = "" if gf is None else f"{gf:.1f}"
        print(f"| {case:32s} | {impl:16s} | {sec * 1e3:9.2f} | {sp:>7s} | {g:>7s} |")
    print(floor_line)
    print("ratios: " + " ".join(f"{k}={ratios[k]:.2f}" for k in
                                ("rnn_speedup", "roofline_fraction", "ensemble_speedup", "lstm_speedup",
                                 "member_step_us", "floor_fraction")))


if __name__ == "__main__":
    main()
