"""Figures of experiments.sequential_mnist: test accuracy per epoch (the numbers: analysis/sequential_mnist.py)."""
import numpy as np

from analysis.papers import LE_MNIST, LE_MNIST_UNVERIFIED
from analysis.sequential_mnist import prepared
from figures.style import _, Labels, N_, CHANCE, FULL, MODEL_COLOURS, MODEL_SHORT, legend_right, plt, save
from rnn.models import LE_MODELS

DATASETS_RU = Labels({"mnist": N_("по пикселю"), "permuted": N_("с перестановкой")})


def draw(config, results, figures) -> list:
    saved = []
    by = {(r["model"], r["dataset"]): r for r in prepared(config, results)}   # chosen rates, diverged at chance
    models = [m for m in LE_MODELS if m in config["models"]]
    datasets = list(config["datasets"])

    fig, axes = plt.subplots(1, len(datasets), figsize=FULL, sharey=True, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for m in models:
            r = by[(m, d)]
            if len(r["test_accuracy"]) > 1:
                for curve in r["test_accuracy"]:
                    ax.plot(r["epochs"], 100 * curve, color=MODEL_COLOURS[m], lw=0.6, alpha=0.4)
            ax.plot(r["epochs"], 100 * np.median(r["test_accuracy"], axis=0), color=MODEL_COLOURS[m], marker="o", ms=3,
                    lw=1.6, label=MODEL_SHORT[m])
        paper = [m for m in models if d in LE_MNIST.get(m, {}) and m not in LE_MNIST_UNVERIFIED]
        for i, m in enumerate(paper):   # the paper's final accuracy, dashed in the model's colour
            ax.axhline(LE_MNIST[m][d], color=MODEL_COLOURS[m], ls="--", lw=1.0,
                       label=_("пунктир: в статье") if i == 0 else None)
        ax.axhline(10, color=CHANCE, ls=":", lw=1.0, label=_("случайно: 10%"))
        ax.set_title(DATASETS_RU[d])
        ax.set_xlabel(_("эпоха"))
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel(_("доля верных на тесте, %"))
    legend_right(fig, *axes[0][0].get_legend_handles_labels())
    saved += save(fig, figures, "mnist_accuracy")
    return saved
