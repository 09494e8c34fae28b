"""Figures and numbers of experiments.tbptt: truncation windows shorter and longer than the lag, and their cost."""
import numpy as np

from experiments.tbptt import INIT, METHOD, TASK, budget, lags
from experiments.models import TASK_TITLES
from figures.style import _, CHANCE, FULL, legend_right, plt, save


LEARNED = 0.4   # a median final error below this: the window learned the task (chance 0.75, one symbol 0.5)


def _label(w, L):
    return _("полный BPTT ({L})").format(L=L) if w is None else _("окно {w}").format(w=w)


def _colours(runs):
    """Full BPTT black; the windows in greys (the model is the tanh RNN, grey everywhere), darker when longer."""
    ws = [r["window"] for r in runs if r["window"] is not None]
    cmap = plt.get_cmap("Greys")
    shade = {w: cmap(0.35 + 0.4 * i / max(1, len(ws) - 1)) for i, w in enumerate(sorted(ws))}
    return [("black" if r["window"] is None else shade[r["window"]]) for r in runs]


def _steps(w, L: int) -> int:
    """Recurrent steps one update computes: L forward, then min(w, L) backward (L for full BPTT)."""
    return L + (L if w == "full" else min(int(w), L))


def draw(config, results, figures):
    L = config["length"]
    runs = [r for r in results if "window" in r]
    price = next(r["price"] for r in results if "price" in r)
    (p0_lo, p0_hi), (p1_lo, p1_hi) = lags(L)
    # the slide: test error of each window against updates; the price goes to a frame of its own (numbers)
    fig, ax1 = plt.subplots(figsize=FULL)
    for r, colour in zip(runs, _colours(runs)):
        med = np.median(r["test_error"], axis=0)
        ax1.plot(r["eval_steps"], med, color=colour, lw=2.0, label=_label(r["window"], L))
        for e in r["test_error"]:
            ax1.plot(r["eval_steps"], e, color=colour, lw=0.6, alpha=0.3)
    ax1.axhline(0.75, color=CHANCE, ls=":", lw=1.0, label=_("случайно"))
    ax1.axhline(0.5, color=CHANCE, ls="--", lw=0.8, label=_("знает один символ"))
    ax1.set_yticks([0, 0.25, 0.5, 0.75], ["0", "0.25", "0.5", "0.75"])
    ax1.set_ylim(-0.02, 0.85)
    ax1.set_xlabel(_("шаг обучения"))
    ax1.set_ylabel(_("ошибка на тесте"))
    legend_right(ax1, title=f"$L = {L}$")
    save(fig, figures, "tbptt")

    final = {("full" if r["window"] is None else str(r["window"])): [float(x) for x in r["final_error"]] for r in runs}
    windows = [r["window"] for r in runs]
    short = [w for w in windows if w is not None and w < p1_hi]   # sees neither symbol for sure
    mid = [w for w in windows if w is not None and p1_hi <= w < p0_lo]
    lengths = sorted(price, key=int)
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
        # a window that misses the first symbol but learns all the same: the forward pass carried it in
        "mid_window_learns": bool(mid and float(np.median(final[str(mid[0])])) < LEARNED),
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
