"""Experiment 6: truncated BPTT and its price.

Temporal order, with the error read at the last step T: the class depends on the symbols at p0 ∈ [0.1L, 0.2L)
and p1 ∈ [0.5L, 0.6L), i.e. at lags of about 0.8–0.9 L and 0.4–0.5 L from the output. With a window of w steps
the gradient reaches only the last w inputs (steps T−w+1..T): the forward pass still carries the whole sequence,
but nothing can teach the network to store a symbol it saw before the window. A window shorter than both lags
leaves the net at chance (3/4 wrong); one that covers p1 but not p0 can learn the second bit only (1/2 wrong);
a window longer than the longest lag learns like full BPTT. The price: a truncated step skips the backward
pass before the window, so it is cheaper — measured here, per update, at the training length and a longer one.
Training uses clipping and Ω (MSGD-CR, smart tanh), the setting that learns this task fastest in our budget.
"""
import time

import numpy as np

from rnn.fit import fit
from rnn.models import step_seconds, BATCH, TASK_TITLES, make_ensemble, metric, sampler, wrong_fraction
from rnn.tasks import TASKS, test_set

PROFILES = {
    "smoke":   dict(length=20, windows=[5, 12, None], seeds=1, updates=40, eval_every=20, monitor_n=100,
                    test_n=200, price_lengths=[20, 60], price_windows=[0.25, None], price_steps=5, price_repeats=2),
    "default": dict(length=20, windows=[5, 12, None], seeds=3, updates=1500, eval_every=100, monitor_n=500,
                    test_n=2000, price_lengths=[20, 200], price_windows=[0.25, 0.6, None], price_steps=40,
                    price_repeats=5),
    "full":    dict(length=50, windows=[10, 30, None], seeds=5, updates=20000, eval_every=500, monitor_n=1000,
                    test_n=10000, price_lengths=[50, 200, 1000], price_windows=[0.2, 0.6, None], price_steps=100,
                    price_repeats=9),
    "paper":   dict(length=100, windows=[20, 60, None], seeds=5, updates=200000, eval_every=5000, monitor_n=1000,
                    test_n=10000, price_lengths=[100, 200, 1000], price_windows=[0.2, 0.6, None], price_steps=100,
                    price_repeats=9),
}
TASK, INIT, METHOD = "temporal_order", "smart tanh", "MSGD-CR"
def lags(L):
    """(shortest, longest) lag from the output at step L−1 to the first symbol, and the same for the second;
    a window w reaches an input at step p (0-based) when p ≥ L − w, i.e. w ≥ L − p."""
    tenth = L // 10
    return (L - (2 * tenth - 1), L - tenth), (L - (L * 6 // 10 - 1), L - L * 5 // 10)


def jobs(config):
    return [{"window": w} for w in config["windows"]] + [{"price": True}]


def _price(config, device):
    """Seconds per update, interleaving the windows so that a busy machine slows them alike."""
    out = {}
    for L in config["price_lengths"]:
        windows = [None if f is None else max(1, int(round(f * L))) for f in config["price_windows"]]
        enss = {w: make_ensemble(TASK, INIT, [METHOD], list(range(config["seeds"])), device) for w in windows}
        x, y = TASKS[TASK].sample(np.random.default_rng(0), BATCH, L)
        times = {w: [] for w in windows}
        for w in windows:   # warm-up: allocate the buffers
            enss[w].train_step(x, y, "ce", window=w)
        for _ in range(config["price_repeats"]):
            for w in windows:
                t0 = time.perf_counter()
                for _ in range(config["price_steps"]):
                    enss[w].train_step(x, y, "ce", window=w)
                times[w].append((time.perf_counter() - t0) / config["price_steps"])
        out[L] = {("full" if w is None else w): float(np.median(times[w])) for w in windows}
    return out


def run(config, spec, device):
    if spec.get("price"):
        return dict(price=_price(config, device))
    L, w = config["length"], spec["window"]
    seeds = list(range(config["seeds"]))
    ens = make_ensemble(TASK, INIT, [METHOD], seeds, device)
    r = fit(ens, sampler(TASK, L), updates=config["updates"], batch_size=BATCH, loss="ce",
            eval_every=config["eval_every"], test=test_set(TASK, L, n=config["monitor_n"], seed=7),
            metric=metric(TASK), window=w)
    return dict(window=w, eval_steps=r["eval_steps"], test_error=r["test_error"],
                final_error=wrong_fraction(ens, TASK, L, config["test_n"]), seconds_per_update=r["seconds"] / config["updates"])


def estimate(config):
    """Training every window, plus the timing runs of the price."""
    price = sum(len(config["price_windows"]) * (config["price_repeats"] * config["price_steps"] + 1) * L
                for L in config["price_lengths"])
    return config["seeds"] * step_seconds() * (len(config["windows"]) * config["updates"] * config["length"] + price)


def budget(config):
    return (f"{TASK_TITLES[TASK]}, L = {config['length']}, {INIT}, {METHOD}, {config['seeds']} seeds × "
            f"{config['updates']} updates per window")


