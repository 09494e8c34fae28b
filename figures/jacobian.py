"""Figures of experiments.jacobian: the Jacobian products against their bound, and their spectra (the numbers:
analysis/jacobian.py)."""
import numpy as np

from experiments.jacobian import ACTIVATIONS, GAUSSIAN_TARGETS
from figures.style import _, ACTIVATION_LABELS, BLUE, ORANGE, SKY, FULL, FULL_W, RED, W_COLOURS, W_LABELS, legend_right, legend_top, plt, save

# γλ₁ from small to large: one sequential scale (blue: vanishing side, red: exploding side)
GAUSS_COLOURS = [BLUE, SKY, "black", ORANGE, RED]


def _median_band(ax, d, values, colour, label, ls="-", lw=1.6):
    lo, med, hi = np.quantile(values, [0.1, 0.5, 0.9], axis=0)
    ax.plot(d, med, color=colour, label=label, lw=lw, ls=ls)
    ax.fill_between(d, lo, hi, color=colour, alpha=0.2, lw=0)


def _style_panel(ax, f, first):
    ax.set_yscale("log")
    ax.set_ylim(1e-30, 1e12)
    ax.set_yticks([1e-30, 1e-20, 1e-10, 1, 1e10])
    ax.minorticks_off()
    ax.set_title(ACTIVATION_LABELS[f].replace(" (", "\n("), fontsize=9)   # γ on a line of its own: a quarter of the frame is narrow
    ax.set_xlabel("$T - k$")
    if first:
        ax.set_ylabel(_("норма произведения"))


def draw(config, results, figures) -> list:
    saved = []
    by_f = {r["activation"]: r for r in results}
    labels = results[0]["labels"]
    T = config["steps"]
    d = np.arange(1, T + 1)

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(FULL_W, 2.35), sharex=True, sharey=True)
    fig.get_layout_engine().set(w_pad=6 / 72)   # "100" of one panel apart from "0" of the next
    for i, (ax, f) in enumerate(zip(axes, ACTIVATIONS)):
        r = by_f[f]
        for c, colour in enumerate(GAUSS_COLOURS):
            _median_band(ax, d, r["norms"][c], colour, f"{GAUSSIAN_TARGETS[c]:g}")
            ax.plot(d, np.median(r["bounds"][c], axis=0), color=colour, ls="--", lw=0.9)
        _style_panel(ax, f, i == 0)
    handles, names = axes[0].get_legend_handles_labels()
    legend_top(fig, handles, names, ncol=len(names), title=_("γλ₁ (пунктир — оценка)"),
               handlelength=1.2, columnspacing=0.8)
    saved += save(fig, figures, "jacobian_gaussian")

    fig, axes = plt.subplots(1, len(ACTIVATIONS), figsize=(FULL_W, 2.3), sharex=True, sharey=True)
    fig.get_layout_engine().set(w_pad=6 / 72)
    for i, (ax, f) in enumerate(zip(axes, ACTIVATIONS)):
        r = by_f[f]
        for kind, colour in W_COLOURS.items():
            # W = I dashed: with f(z) = z it lies exactly on the orthogonal W's curve;
            # nested widths, the first widest: where the curves coincide (sigmoid, f(z) = z) each shows beside the next
            _median_band(ax, d, r["norms"][labels.index(kind)], colour, W_LABELS[kind],
                         ls="--" if kind == "identity" else "-", lw={"orthogonal": 3.6, "identity": 2.2}.get(kind, 1.0))
        _style_panel(ax, f, i == 0)
    handles, names = axes[0].get_legend_handles_labels()
    legend_top(fig, handles, names, ncol=3, handlelength=1.2, columnspacing=0.8)
    saved += save(fig, figures, "jacobian_special")

    fig, ax = plt.subplots(figsize=FULL)
    for f, kind, colour, label in [("tanh", "gauss 0.9", BLUE, _("tanh, гаусс., γλ₁ = 0.9")),
                                   ("tanh", "gauss 1.5", RED, _("tanh, гаусс., γλ₁ = 1.5")),
                                   ("tanh", "orthogonal", W_COLOURS["orthogonal"], _("tanh, ортогональная")),
                                   ("relu", "identity", W_COLOURS["identity"], "ReLU, $W = I$"),
                                   ("linear", "orthogonal", "black", _("$f(z) = z$, ортогональная"))]:
        spectra = by_f[f]["spectra"][labels.index(kind)]
        ax.plot(np.arange(1, spectra.shape[1] + 1), np.median(spectra, axis=0), color=colour, lw=1.6, label=label)
    ax.set_yscale("log")
    ax.set_xlabel(_("номер сингулярного числа $i$"))
    ax.set_ylabel(_("сингулярное число"))
    legend_right(ax)
    saved += save(fig, figures, "jacobian_spectrum")
    return saved
