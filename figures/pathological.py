"""Figures of experiments.pathological: the Fig. 7 analogue, its learning curves and the other tasks (the
numbers and the tasks × methods table: analysis/pathological.py)."""
import numpy as np

from analysis.pathological import fig7_runs, final_errors
from figures.style import (_, CHANCE, FULL, FULL_W, INIT_LABELS, METHOD_COLOURS, METHOD_LABELS, TASK_LABELS, legend_top,
                           plt, save)
from rnn.models import INITS
from rnn.tasks import TASKS


def draw(config, results, figures) -> list:
    saved = []
    task = config["fig7_task"]
    chance = TASKS[task].chance_error
    lengths = config["lengths"]
    fig7 = fig7_runs(config, results)
    S = config["seeds"]

    fig, axes = plt.subplots(2, len(INITS), figsize=(FULL_W, 2.6), sharex=True, sharey="row")
    # methods side by side at each length; the dodge is a small fraction of the axis (one length: of L itself)
    span = (max(lengths) - min(lengths)) or lengths[0]
    for c, init in enumerate(INITS):
        for method in fig7[lengths[0], init]["methods"]:
            colour = METHOD_COLOURS[method]
            m = fig7[lengths[0], init]["methods"].index(method)
            rate = [float(np.mean(fig7[L, init]["success"][m * S:(m + 1) * S])) for L in lengths]
            err = np.array([final_errors(fig7[L, init], method) for L in lengths])
            off = (m - 1.5) * 0.1 * span
            # success rates as dodged markers, no lines: the rates are often equal (all 0), and lines at one height
            # lay the methods on top of one another
            axes[0, c].plot(np.array(lengths) + off, rate, "o", ms=5, color=colour, label=METHOD_LABELS[method])
            axes[1, c].plot(np.array(lengths) + off, np.median(err, axis=1), "o-", color=colour)
            for L, e in zip(lengths, err if S > 1 else []):   # the seeds as rings around their median's dot
                axes[1, c].scatter(np.full(len(e), L + off), e, s=14, facecolors="none", edgecolors=colour, lw=0.8)
        axes[0, c].set_title(INIT_LABELS.get(init, init))
        axes[1, c].axhline(chance, color=CHANCE, ls=":", lw=1.0)
        axes[1, c].set_xlabel(_("длина $L$"))
        axes[1, c].set_xticks(lengths)
        if len(lengths) == 1:
            axes[1, c].set_xlim(lengths[0] - 0.3 * span, lengths[0] + 0.3 * span)
    axes[0, 0].set_ylabel(_("успехи"))   # short: the two rows' labels must not run into each other
    axes[0, 0].set_ylim(-0.05, 1.05)
    axes[1, 0].set_ylabel(_("ошибка"))
    axes[1, 0].set_ylim(-0.02, 1.0)
    # the legend from the panel that ran every method (smart tanh carries the Ω ablation)
    legend_top(fig, *axes[0, list(INITS).index("smart tanh")].get_legend_handles_labels(), ncol=2)
    saved += save(fig, figures, "pathological_fig7")

    # learning curves of the Fig. 7 task at its longest length: where a short budget stands
    fig, axes = plt.subplots(1, len(INITS), figsize=FULL, sharey=True)
    fig.get_layout_engine().set(w_pad=6 / 72)   # "60" of one panel apart from "0" of the next
    L = lengths[-1]
    for c, init in enumerate(INITS):
        r = fig7[L, init]
        for m, method in enumerate(r["methods"]):
            for s in range(S):
                # the first method widest, the next narrower on top: runs stuck at the same error show as nested lines
                axes[c].plot(r["eval_steps"], r["monitor_error"][m * S + s], color=METHOD_COLOURS[method],
                             lw=(3.0, 1.6, 0.8)[min(m, 2)], alpha=0.85, label=METHOD_LABELS[method] if s == 0 else None)
        axes[c].axhline(chance, color=CHANCE, ls=":", lw=1.0, zorder=1)
        axes[c].set_title(f"{INIT_LABELS.get(init, init)}\n$L = {L}$", fontsize=9)   # one line is wider than a panel
        axes[c].set_xlabel(_("шаг обучения"))
    axes[0].set_ylabel(_("ошибка"))
    legend_top(fig, *axes[0].get_legend_handles_labels(), ncol=3)
    saved += save(fig, figures, "pathological_curves")

    if config["table_tasks"]:
        extra = [t for t in config["table_tasks"] if t != task]
        # one panel, the tasks along x (each ran at one length per profile): five narrow panels crowded their titles
        fig, ax = plt.subplots(figsize=FULL)
        rows = {name: max((r for r in results if r["task"] == name), key=lambda r: r["length"]) for name in extra}
        methods = rows[extra[0]]["methods"]
        offsets = np.linspace(-0.22, 0.22, len(methods))
        for m, method in enumerate(methods):
            ax.plot(np.arange(len(extra)) + offsets[m], [np.median(final_errors(rows[n], method)) for n in extra], "o",
                    ms=7, color=METHOD_COLOURS[method], label=METHOD_LABELS[method], zorder=3)
        for i, name in enumerate(extra):
            ax.plot([i - 0.4, i + 0.4], [TASKS[name].chance_error] * 2, color=CHANCE, ls=":", lw=1.2, zorder=2,
                    label=_("случайно") if i == 0 else None)
        ax.set_xticks(np.arange(len(extra)), [f"{TASK_LABELS[n]}\n$L = {rows[n]['length']}$".replace(", ", ",\n")
                                               for n in extra])
        ax.set_xlim(-0.5, len(extra) - 0.5)
        ax.set_ylim(-0.04, 1.04)
        ax.set_ylabel(_("ошибка"))
        legend_top(fig, *ax.get_legend_handles_labels(), ncol=3, handlelength=1.2, columnspacing=0.7)
        saved += save(fig, figures, "pathological_tasks")
    return saved
