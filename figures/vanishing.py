"""Figures of experiments.vanishing: ‖∂E/∂h_k‖ across k with and without Ω (the numbers: analysis/vanishing.py)."""
import numpy as np

from analysis.vanishing import moments, profiles
from experiments.vanishing import METHODS
from figures.style import _, FULL, METHOD_COLOURS, METHOD_LABELS, legend_right, plt, save


def draw(config, results, figures) -> list:
    saved = []
    steps = results[0]["dEdh_steps"]
    picks = moments(results)
    prof = profiles(results)   # (seeds, methods, records, T)
    norm = prof / prof[..., -1:]                       # relative to the last step, where the error enters
    logmed = lambda a, axis=0: np.exp(np.nanmedian(np.log(a), axis=axis))  # noqa: E731
    T = prof.shape[-1]
    k = np.arange(1, T + 1)
    cmap = plt.get_cmap("viridis")

    # the slide: the profile ‖∂E/∂h_k‖ / ‖∂E/∂h_T‖ over k at a few moments of training, without and with Ω
    fig, axes = plt.subplots(1, 2, figsize=FULL, sharey=True)
    for a, (ax, m) in enumerate(zip(axes, METHODS)):
        for j, p in enumerate(picks):
            ax.plot(k, logmed(norm[:, a, p]), color=cmap(0.9 * j / max(1, len(picks) - 1)), lw=1.6,
                    label=f"{int(steps[p])}")
        ax.set_yscale("log")
        ax.set_xlabel(_("шаг $k$"))
        ax.set_title(METHOD_LABELS[m], color=METHOD_COLOURS[m])
    axes[0].set_ylabel(_("сигнал ошибки\nна шаге $k$,\nв долях шага $T$"))   # no subscripts: they read too small
    legend_right(axes[1], title=_("после шагов\nобучения"))
    saved += save(fig, figures, "vanishing")
    return saved
