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

from experiments.engine import fit
from experiments.pathological import BATCH, TASK_TITLES, make_ensemble, metric, sampler, wrong_fraction
from experiments.plotting import BLUE, GREEN, GREY, ORANGE, RED, budget_note, plt, save
from experiments.tasks import TASKS, test_set

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
COLOURS = [RED, ORANGE, BLUE, GREEN, GREY]


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


def budget(config):
    return (f"{TASK_TITLES[TASK]}, L = {config['length']}, {INIT}, {METHOD}, {config['seeds']} seeds × "
            f"{config['updates']} updates per window")


def _label(w, L):
    return f"full BPTT ({L} steps)" if w is None else f"window {w}"


def report(config, results, figures):
    L = config["length"]
    runs = [r for r in results if "window" in r]
    price = next(r["price"] for r in results if "price" in r)
    (p0_lo, p0_hi), (p1_lo, p1_hi) = lags(L)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.4), gridspec_kw={"width_ratios": [1.4, 1]})
    for r, colour in zip(runs, COLOURS):
        med = np.median(r["test_error"], axis=0)
        ax1.plot(r["eval_steps"], med, color=colour, lw=1.8, label=_label(r["window"], L))
        for e in r["test_error"]:
            ax1.plot(r["eval_steps"], e, color=colour, lw=0.6, alpha=0.35)
    ax1.axhline(0.75, color=GREY, ls=":", lw=0.9)
    ax1.axhline(0.5, color=GREY, ls=":", lw=0.9)
    ax1.text(0, 0.76, "chance: 3/4", fontsize=7, color=GREY, va="bottom")
    ax1.text(0, 0.51, "one bit known: 1/2", fontsize=7, color=GREY, va="bottom")
    ax1.set_ylim(-0.02, 0.9)
    ax1.set_xlabel("update")
    ax1.set_ylabel("test error")
    ax1.set_title(f"L = {L}: lags {p1_lo}–{p1_hi} (2nd symbol) and {p0_lo}–{p0_hi} (1st)")
    ax1.legend(loc="lower left", fontsize=7)
    lengths = sorted(price, key=int)
    width = 0.8 / max(len(price[lengths[0]]), 1)
    for i, Lp in enumerate(lengths):
        items = list(price[Lp].items())
        full = price[Lp]["full"]
        for j, (w, s) in enumerate(items):
            ax2.bar(i + (j - (len(items) - 1) / 2) * width, 1e3 * s, width * 0.9,
                    color=[ORANGE, BLUE, GREEN, GREY][j % 4], label=None if i else ("full BPTT" if w == "full" else f"window {{:.0%}} of L".format(int(w) / int(Lp))))
            ax2.text(i + (j - (len(items) - 1) / 2) * width, 1e3 * s, f"{s / full:.2f}×", ha="center", va="bottom", fontsize=7)
    ax2.set_xticks(range(len(lengths)), [f"L = {Lp}" for Lp in lengths])
    ax2.set_ylabel("ms per update")
    ax2.set_title(f"the price: time of one update ({config['seeds']} runs batched)")
    ax2.legend(fontsize=7)
    budget_note(ax2, budget(config) + "; timings: median, 1 thread, shared machine")
    save(fig, figures, "tbptt")

    final = {("full" if r["window"] is None else str(r["window"])): [float(x) for x in r["final_error"]] for r in runs}
    windows = [r["window"] for r in runs]
    short = [w for w in windows if w is not None and w < p1_hi]   # sees neither symbol for sure
    mid = [w for w in windows if w is not None and p1_hi <= w < p0_lo]
    cost = {str(Lp): {("full" if w == "full" else str(w)): float(s) for w, s in price[Lp].items()} for Lp in lengths}
    Lmax = lengths[-1]
    trunc = [w for w in price[Lmax] if w != "full"]
    return {
        "budget": budget(config), "task": TASK_TITLES[TASK], "length": L, "init": INIT, "method": METHOD,
        "seeds": config["seeds"], "updates": config["updates"], "test_n": config["test_n"],
        "windows": [w if w is not None else "full" for w in windows],
        "lag_first": [p0_lo, p0_hi], "lag_second": [p1_lo, p1_hi],
        "final": final, "median_final": {k: float(np.median(v)) for k, v in final.items()},
        "short_window": short[0] if short else None, "mid_window": mid[0] if mid else None,
        "price": cost, "price_lengths": [int(Lp) for Lp in lengths], "price_long": int(Lmax),
        "price_long_full_ms": 1e3 * price[Lmax]["full"],
        "price_long_short_window": int(min(trunc)) if trunc else None,
        "price_long_short_ms": 1e3 * price[Lmax][min(trunc)] if trunc else None,
        "price_long_speedup": price[Lmax]["full"] / price[Lmax][min(trunc)] if trunc else None,
    }
