"""Figures of experiments.tbptt: truncation windows shorter and longer than the lag (the numbers, and the price
of an update: analysis/tbptt.py)."""
import numpy as np

from analysis.tbptt import window_runs
from figures.style import _, CHANCE, FULL, legend_right, plt, save


def _label(w, L):
    return _("полный BPTT ({L})").format(L=L) if w is None else _("окно {w}").format(w=w)


def _colours(runs):
    """Full BPTT black; the windows in greys (the model is the tanh RNN, grey everywhere), darker when longer."""
    ws = [r["window"] for r in runs if r["window"] is not None]
    cmap = plt.get_cmap("Greys")
    shade = {w: cmap(0.35 + 0.4 * i / max(1, len(ws) - 1)) for i, w in enumerate(sorted(ws))}
    return [("black" if r["window"] is None else shade[r["window"]]) for r in runs]


def draw(config, results, figures) -> list:
    saved = []
    L = config["length"]
    runs = window_runs(results)
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
    saved += save(fig, figures, "tbptt")
    return saved
