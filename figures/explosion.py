"""Figures of experiments.explosion: gradient-norm spikes, the loss jumps they cause, and clipping (the numbers:
analysis/explosion.py)."""
import numpy as np

from analysis.explosion import shown
from experiments.explosion import METHODS
from figures.style import _, CHANCE, FULL, GREY, METHOD_COLOURS, METHOD_LABELS, legend_top, plt, save
from rnn.tasks import TASKS


def _smooth(x, k=25):
    x = np.asarray(x, float)
    if len(x) < k:
        return x
    c = np.cumsum(np.r_[0.0, np.nan_to_num(x)])
    return np.r_[np.full(k - 1, np.nan), (c[k:] - c[:-k]) / k]


def draw(config, results, figures) -> list:
    saved = []
    chance_loss = TASKS[config["task"]].chance_loss
    # the seed to show: the largest single loss jump of the unclipped run after a spike
    show, at, _jumps = shown(results)

    # the slide: the gradient norm and the loss beside it, one seed, both runs
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=FULL)
    steps = np.arange(show["grad_norm"].shape[1])
    for k, m in enumerate(METHODS):
        colour = METHOD_COLOURS[m]
        # the unclipped run on top: its spikes are the point; the clipped run's norm is before clipping
        ax1.plot(steps, show["grad_norm"][k], color=colour, lw=0.6, alpha=0.85 if m == "MSGD" else 0.6,
                 zorder=3 if m == "MSGD" else 2, label=METHOD_LABELS[m])
        ax2.plot(steps, show["train_loss"][k], color=colour, lw=0.3, alpha=0.2)
        ax2.plot(steps, _smooth(show["train_loss"][k]), color=colour, lw=1.5, label=METHOD_LABELS[m])
    thr = ax1.axhline(1.0, color=GREY, ls="-.", lw=1.0, label=_("порог клиппинга"))
    ax1.set_yscale("log")
    ax1.set_xlabel(_("шаг обучения"))
    ax1.set_title(_("$\\|\\nabla E\\|$ до клиппинга"))
    ax2.axhline(chance_loss, color=CHANCE, ls=":", lw=1.0, label=_("случайно"), zorder=1.5)   # under the runs: a run at chance stays visible
    ax2.set_xlabel(_("шаг обучения"))
    ax2.set_title(_("функция потерь"))
    ax2.set_ylim(0, max(2.5 * chance_loss, 0.1))
    if at is not None:
        for ax in (ax1, ax2):
            ax.axvline(at, color=GREY, lw=0.9, ls="--", zorder=0)
    h, lab = ax2.get_legend_handles_labels()
    legend_top(fig, h + [thr], lab + [_("порог клиппинга")], ncol=4, handlelength=1.5, columnspacing=0.8)
    saved += save(fig, figures, "explosion")
    return saved
