"""Figures of experiments.length_generalisation: error against test length (the numbers:
analysis/length_generalisation.py)."""
import numpy as np

from analysis.length_generalisation import errors
from experiments.length_generalisation import TASK
from figures.style import _, CHANCE, CLIP_OMEGA, FULL, legend_right, plt, save
from rnn.tasks import TASKS


def draw(config, results, figures) -> list:
    saved = []
    Ls = config["eval_lengths"]
    err = errors(results)   # (seeds, lengths)
    fig, ax = plt.subplots(figsize=FULL)
    ax.axvspan(config["min_length"], config["max_length"], color=CLIP_OMEGA, alpha=0.12, lw=0, label=_("длины обучения"))
    for s, e in enumerate(err if len(err) > 1 else []):   # one run is its own median: drawn once, as the median
        ax.plot(Ls, e, "o-", color=CLIP_OMEGA, alpha=0.5, lw=1, ms=3, label=_("отдельные запуски") if s == 0 else None)
    ax.plot(Ls, np.median(err, axis=0), "s-", color="black", lw=1.6, ms=4, label=_("медиана"))
    ax.axhline(TASKS[TASK].chance_error, color=CHANCE, ls=":", lw=1.0, label=_("случайный ответ"))
    ax.axhline(0.01, color=CHANCE, ls="--", lw=0.9, label=_("успех: 1%"))
    ax.set_xscale("log")
    ax.set_xticks(Ls, [str(L) for L in Ls])
    ax.minorticks_off()
    ax.set_xlabel(_("длина тестовой последовательности $L$"))
    ax.set_ylabel(_("ошибка на тесте"))
    ax.set_ylim(-0.02, 1.0)
    legend_right(ax)
    saved += save(fig, figures, "length_generalisation")
    return saved
