"""Figures and numbers of experiments.tbptt: truncation windows shorter and longer than the lag, and their cost."""
import numpy as np

from experiments.tbptt import INIT, METHOD, TASK, budget, lags
from experiments.models import TASK_TITLES
from figures.style import BLUE, GREEN, GREY, ORANGE, RED, budget_note, plt, save

COLOURS = [RED, ORANGE, BLUE, GREEN, GREY]


def _label(w, L):
    return f"full BPTT ({L} steps)" if w is None else f"window {w}"


def _steps(w, L: int) -> int:
    """Recurrent steps one update computes: L forward, then min(w, L) backward (L for full BPTT)."""
    return L + (L if w == "full" else min(int(w), L))


def draw(config, results, figures):
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
    # the price as work, not wall-clock time (which differs from run to run and would make the deck's bytes
    # differ): one update computes L forward steps and then min(w, L) backward steps
    lengths = sorted(price, key=int)
    width = 0.8 / max(len(price[lengths[0]]), 1)
    for i, Lp in enumerate(lengths):
        items = [(w, _steps(w, int(Lp))) for w in price[Lp]]
        full = _steps("full", int(Lp))
        for j, (w, s) in enumerate(items):
            ax2.bar(i + (j - (len(items) - 1) / 2) * width, s, width * 0.9,
                    color=[ORANGE, BLUE, GREEN, GREY][j % 4], label=None if i else ("full BPTT" if w == "full" else f"window {{:.0%}} of L".format(int(w) / int(Lp))))
            ax2.text(i + (j - (len(items) - 1) / 2) * width, s, f"{s / full:.2f}×", ha="center", va="bottom", fontsize=7)
    ax2.set_xticks(range(len(lengths)), [f"L = {Lp}" for Lp in lengths])
    ax2.set_ylabel("recurrent steps per update")
    ax2.set_title("the price: forward L + backward window steps")
    ax2.legend(fontsize=7)
    budget_note(ax2, budget(config))
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
        # the same comparison as work (deterministic, for the deck, the exercise and the page)
        "steps_long_full": _steps("full", int(Lmax)),
        "steps_long_short": _steps(min(trunc), int(Lmax)) if trunc else None,
        "steps_long_ratio": _steps("full", int(Lmax)) / _steps(min(trunc), int(Lmax)) if trunc else None,
    }
