"""Figures of experiments.adding: test MSE curves and the IRNN's learning rates (the numbers: analysis/adding.py)."""
from analysis.adding import BASELINE, median_curve, split, sweep_rates
from figures.style import _, CHANCE, FULL, MODEL_COLOURS, MODEL_SHORT, legend_right, plt, save
from rnn.models import LE_MODELS


def lr_sweep(config, sweep, figures) -> list:
    """The IRNN's sensitivity to its learning rate: its test MSE curves at each rate."""
    if not sweep:
        return []
    r = sweep[0]
    lrs, per = sweep_rates(config, r)
    fig, ax = plt.subplots(figsize=FULL)
    for i, (lr, colour) in enumerate(zip(lrs, [plt.get_cmap("YlOrBr")(0.35 + 0.6 * i / max(1, len(lrs) - 1)) for i in range(len(lrs))])):
        mse = r["test_mse"][i * per:(i + 1) * per]
        for curve in mse:
            ax.plot(r["eval_steps"], curve, color=colour, lw=0.6, alpha=0.35)
        ax.plot(r["eval_steps"], median_curve(mse), color=colour, lw=1.6, label=f"{lr:g}")
    ax.axhline(BASELINE, color=CHANCE, ls=":", lw=1.0, label=_("ответ «1»: $1/6$"))
    ax.set_yscale("log")
    ax.set_xlabel(_("шаг обучения"))
    ax.set_ylabel(_("MSE на тесте"))
    ax.set_title(f"IRNN, $T = {r['length']}$", color=MODEL_COLOURS["irnn"])
    legend_right(ax, title=_("шаг Adam"))
    return save(fig, figures, "adding_irnn_lr")


def draw(config, results, figures) -> list:
    saved = []
    sweep, results = split(results, config)
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}

    fig, axes = plt.subplots(1, len(lengths), figsize=FULL, sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for m in LE_MODELS:
            for curve in by[(m, T)]["test_mse"]:
                ax.plot(by[(m, T)]["eval_steps"], curve, color=MODEL_COLOURS[m], lw=0.6, alpha=0.3, zorder=1)
        # the models that end highest (stuck at the baseline, on top of each other) widest first, each next one
        # under half as wide on top of it, so that all of them show; the others at one width
        highest = sorted(LE_MODELS, key=lambda m: -median_curve(by[(m, T)]["test_mse"])[-1])
        widths = dict(zip(highest, (7.0, 4.2, 1.0))) | {m: 1.6 for m in highest[3:]}
        for m in sorted(LE_MODELS, key=lambda m: -widths[m]):
            ax.plot(by[(m, T)]["eval_steps"], median_curve(by[(m, T)]["test_mse"]), color=MODEL_COLOURS[m],
                    lw=widths[m], label=MODEL_SHORT[m], zorder=2)
        ax.axhline(BASELINE, color=CHANCE, ls=":", lw=0.7, label=_("ответ «1»: $1/6$"), zorder=3)
        ax.set_yscale("log")
        ax.set_title(f"$T = {T}$")
        ax.set_xlabel(_("шаг обучения"))
    axes[0][0].set_ylabel(_("MSE на тесте"))
    legend_right(fig, *axes[0][0].get_legend_handles_labels())
    saved += save(fig, figures, "adding_mse")
    return saved + lr_sweep(config, sweep, figures)
