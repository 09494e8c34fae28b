"""Figures and numbers of experiments.length_generalisation: error against test length."""
import numpy as np

from experiments.length_generalisation import TASK, budget
from experiments.models import TASK_TITLES
from experiments.tasks import TASKS, success
from figures.style import _, CHANCE, CLIP_OMEGA, FULL, legend_right, plt, save


def draw(config, results, figures):
    Ls = config["eval_lengths"]
    err = np.array([r["error"] for r in results])   # (seeds, lengths)
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
    save(fig, figures, "length_generalisation")

    med = np.median(err, axis=0)
    trained = [i for i, L in enumerate(Ls) if L < config["max_length"]]
    ok = [L for L, e in zip(Ls, med) if success(e)]
    good = [L for L, e in zip(Ls, med) if e < 0.1]
    return {
        "budget": budget(config), "task": TASK_TITLES[TASK], "min_length": config["min_length"],
        "max_length": config["max_length"] - 1,
        "generalises": bool(ok and max(ok) > config["max_length"] - 1), "seeds": config["seeds"], "updates": config["updates"],
        "test_n": config["test_n"], "eval_lengths": Ls, "median_error": [float(e) for e in med],
        "error_trained": float(np.max(med[trained])) if trained else None,
        "longest": Ls[-1], "error_longest": float(med[-1]),
        "longest_success": max(ok) if ok else None, "longest_below_10": max(good) if good else None,
        "ratio_longest": Ls[-1] / (config["max_length"] - 1), "paper_length": 5000, "paper_train": [50, 200],
        "chance": float(TASKS[TASK].chance_error),
    }
