"""Figures and numbers of experiments.gradient_flow: ‖∂E/∂h_k‖ across k early in training."""
import numpy as np

from experiments.gradient_flow import budget
from experiments.models import LE_MODELS
from figures.style import _, CHANCE, FULL_W, MODEL_COLOURS, MODEL_LABELS, MODEL_SHORT, legend_top, plt, save

UNDERFLOW = 1e-30          # a ratio below this is reported as 0 (the float32 signal itself underflowed)


# lengths: the longest of the adding experiment's default profile, and the paper's shortest; learning rates as there
def draw(config, results, figures):
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}
    steps = [int(s) for s in results[0]["steps"]]
    shown = [steps[0], steps[-1]] if len(steps) > 1 else steps

    def profile(m, T, step):
        d = by[(m, T)]["dEdh"][:, steps.index(step), :].astype(np.float64)
        return np.exp(np.nanmean(np.log(d + 1e-300), axis=0))   # geometric mean over seeds

    def share(m, T, step):
        """‖∂E/∂h_k‖ / ‖∂E/∂h_T‖ for every k: the part of the last step's error signal that reaches step k."""
        p = profile(m, T, step)
        return p / p[T - 1]

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
                ax.set_title(_("через {n} шагов обучения").format(n=step) if step else _("начало"), fontsize=9, pad=2)
        lo = min(float(np.min(share(m, T, st))) for m in LE_MODELS for st in shown)
        hi = max(float(np.max(share(m, T, st))) for m in LE_MODELS for st in shown)
        row[0].set_ylim(max(lo / 3, 1e-30), max(3 * hi, 3.0))
        row[0].set_ylabel(f"$T = {T}$", fontsize=9)
    for ax in axes[-1]:
        ax.set_xlabel(_("шаг $k$"))
    fig.supylabel(_("сигнал ошибки\nна шаге $k$,\nв долях шага $T$"), fontsize=10)   # no subscripts: they read too small
    legend_top(fig, *axes[0][0].get_legend_handles_labels(), ncol=3, columnspacing=1.0)   # the panels get the width
    save(fig, figures, "gradient_flow")

    def ratio(m, T, step, at):
        """‖∂E/∂h_at‖ / ‖∂E/∂h_T‖: how much of the last step's error signal reaches step `at`."""
        p = profile(m, T, step)
        r = float(p[at - 1] / p[T - 1])
        return r if r > UNDERFLOW else 0.0   # float32 signals below ~1e-38 are flushed to zero

    out = {"budget": budget(config), "seeds": config["seeds"], "lengths": lengths, "steps": steps, "first_step": steps[0],
           "last_step": steps[-1], "forget_gate_init": float(1 / (1 + np.exp(-1.0))), "labels": {m: MODEL_LABELS[m] for m in LE_MODELS}, "by_length": {}}
    for T in lengths:
        out["by_length"][str(T)] = {
            "ratio_start_init": {m: ratio(m, T, steps[0], 1) for m in LE_MODELS},
            "ratio_half_init": {m: ratio(m, T, steps[0], T // 2) for m in LE_MODELS},
            "lstm_below_irnn": ratio("lstm", T, steps[0], T // 2) < ratio("irnn", T, steps[0], T // 2),
            "ratio_start_late": {m: ratio(m, T, steps[-1], 1) for m in LE_MODELS},
            "ratio_half_late": {m: ratio(m, T, steps[-1], T // 2) for m in LE_MODELS},
        }
    # the headline numbers: the longest length
    out.update(out["by_length"][str(lengths[-1])], length=lengths[-1], short_length=lengths[0])
    out["short"] = out["by_length"][str(lengths[0])]
    return out
