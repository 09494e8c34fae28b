"""Figures of experiments.gradient_flow: ‖∂E/∂h_k‖ across k early in training (the numbers:
analysis/gradient_flow.py)."""
import numpy as np

from analysis.gradient_flow import figure_lengths, recorded_steps, share as _share
from figures.style import _, CHANCE, FULL_W, MODEL_COLOURS, MODEL_SHORT, legend_top, plt, save
from rnn.models import LE_MODELS


# lengths: the longest of the adding experiment's default profile, and the paper's shortest; learning rates as there
def draw(config, results, figures) -> list:
    saved = []
    lengths = figure_lengths(config)   # two rows at most: three made the slide's labels too small to read
    steps = recorded_steps(results)
    shown = [steps[0], steps[-1]] if len(steps) > 1 else steps

    def share(m, T, step):
        return _share(results, m, T, step)

    fig, axes = plt.subplots(len(lengths), len(shown), figsize=(FULL_W, min(1.25 * len(lengths) + 0.75, 2.85)),  # legend on top; at most the frame's height
                             sharey="row", sharex="row", squeeze=False)
    fig.get_layout_engine().set(w_pad=7 / 72)   # "40" of one panel apart from "0" of the next, T apart from the label
    for row, T in zip(axes, lengths):
        k = np.arange(1, T + 1)
        for ax, step in zip(row, shown):
            for m in LE_MODELS:
                ax.plot(k, share(m, T, step), color=MODEL_COLOURS[m], lw=1.6, label=MODEL_SHORT[m])
            ax.axvline(T / 2, color=CHANCE, ls=":", lw=0.9)
            ax.set_yscale("log")
            ax.locator_params(axis="y", numticks=4)
            ax.minorticks_off()
            if T == lengths[0]:   # the columns are moments of training, the rows lengths
                ax.set_title(_("после {n} шагов").format(n=step) if step else _("начало"), fontsize=9, pad=2)
        lo = min(float(np.min(share(m, T, st))) for m in LE_MODELS for st in shown)
        hi = max(float(np.max(share(m, T, st))) for m in LE_MODELS for st in shown)
        row[0].set_ylim(max(lo / 3, 1e-30), max(3 * hi, 3.0))
        row[0].set_ylabel(f"$T = {T}$", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel(_("шаг $k$"))
    fig.supylabel(_("сигнал ошибки\nна шаге $k$,\nв долях шага $T$"), fontsize=10)   # no subscripts: they read too small
    legend_top(fig, *axes[0][0].get_legend_handles_labels(), ncol=3, columnspacing=1.0)   # the panels get the width
    saved += save(fig, figures, "gradient_flow")
    return saved
