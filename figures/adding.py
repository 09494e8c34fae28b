"""Figures and numbers of experiments.adding: test MSE curves, the solved table and the IRNN's learning rates."""
import math

import numpy as np

from experiments.adding import budget
from experiments.models import LE_CLIP, LE_LR_SOURCE, LE_MODELS, LE_OPTIMIZER
from figures.style import _, CHANCE, FULL, MODEL_COLOURS, MODEL_LABELS, MODEL_SHORT, legend_right, plt, save

BASELINE = 1 / 6          # MSE of always predicting 1 (TASKS["adding_le"].chance_loss)
SOLVED = BASELINE / 10    # "beats the baseline by 10×"

PAPER_LENGTHS = [150, 200, 300, 400]
# later work on the same task, for the report's context (Arjovsky et al. 2016; Li et al. 2018)
LATER = dict(urnn_min_length=100, urnn_max_length=750, urnn_units=128, urnn_lr=1e-3, urnn_clip=1.0,
             urnn_lstm_solves_up_to=400, indrnn_fail_length=1000)


def first_below(steps, curve, level):
    """First evaluated update at which the test MSE is below level (None if never)."""
    hit = np.nonzero(np.asarray(curve) < level)[0]
    return int(steps[hit[0]]) if len(hit) else None


def at_baseline(mse):
    """Test-MSE curves with a diverged run's NaN/Inf counted as the baseline 1/6 (what predicting 1 scores): a
    diverged run is a failure, never a missing value that a median would skip."""
    mse = np.asarray(mse, dtype=np.float64)
    return np.where(np.isfinite(mse), mse, BASELINE)


def median_curve(mse):
    """The median over seeds of test-MSE curves, diverged runs at the baseline."""
    return np.median(at_baseline(mse), axis=0)


def seeds_summary(steps, mse, diverged_at):
    """Median final and best MSE over seeds (diverged runs at the baseline), how many got below baseline/10,
    and the median update at which they did when a majority of seeds did (else None)."""
    mse = at_baseline(mse)
    final = mse[:, -1]
    hits = [first_below(steps, c, SOLVED) for c in mse]
    ok = [h for h in hits if h is not None]
    return dict(final=float(np.median(final)), best=float(np.min(mse)), finals=[float(x) for x in final],
                solved=len(ok), runs=len(hits), solved_at=int(np.median(ok)) if len(ok) * 2 > len(hits) else None,
                diverged=sum(d is not None for d in diverged_at))


def summarise(results):
    """{(model, T): seeds_summary of that job}."""
    return {(r["model"], r["length"]): seeds_summary(r["eval_steps"], r["test_mse"], r["diverged_at"]) for r in results}


def lr_sweep(config, sweep, figures):
    """The IRNN's sensitivity to its learning rate: final MSE and updates to baseline/10 for each rate."""
    if not sweep:
        return {"sweep": None}
    r = sweep[0]
    lrs, per = list(r.get("lrs") or config["irnn_lrs"]), len(r["seeds"])
    fig, ax = plt.subplots(figsize=FULL)
    rows = []
    for i, (lr, colour) in enumerate(zip(lrs, [plt.get_cmap("YlOrBr")(0.35 + 0.6 * i / max(1, len(lrs) - 1)) for i in range(len(lrs))])):
        mse = r["test_mse"][i * per:(i + 1) * per]
        for curve in mse:
            ax.plot(r["eval_steps"], curve, color=colour, lw=0.6, alpha=0.35)
        ax.plot(r["eval_steps"], median_curve(mse), color=colour, lw=1.6, label=f"{lr:g}")
        s = seeds_summary(r["eval_steps"], mse, r["diverged_at"][i * per:(i + 1) * per])
        rows.append(dict(lr=lr, **{k: s[k] for k in ("final", "solved", "runs", "solved_at", "diverged")}))
    ax.axhline(BASELINE, color=CHANCE, ls=":", lw=1.0, label=_("ответ «1»: $1/6$"))
    ax.set_yscale("log")
    ax.set_xlabel(_("шаг обучения"))
    ax.set_ylabel(_("MSE на тесте"))
    ax.set_title(f"IRNN, $T = {r['length']}$", color=MODEL_COLOURS["irnn"])
    legend_right(ax, title=_("шаг Adam"))
    save(fig, figures, "adding_irnn_lr")
    finals = [x["final"] for x in rows]
    return {"sweep": dict(length=r["length"], rows=rows, lrs=lrs, seeds=per,
                          spread=float(max(finals) / min(finals)) if min(finals) > 0 else math.inf,
                          best_lr=lrs[int(np.nanargmin(finals))], worst_lr=lrs[int(np.nanargmax(finals))],
                          best=float(np.nanmin(finals)), worst=float(np.nanmax(finals)))}


def choose_rate(r):
    """A job trained at several rates (the lr grid): the rate with the lowest median final MSE on the validation set
    (diverged runs at the baseline), and the job cut down to that rate's members. One rate: the job as it is."""
    lrs = r.get("lrs") or [r["lr"]]
    if len(lrs) == 1:
        return dict(r, lr=lrs[0], validation=None)
    S = len(r["seeds"])
    val = np.asarray(at_baseline(np.asarray(r["validation_mse"], dtype=np.float64)))
    medians = [float(np.median(val[i * S:(i + 1) * S])) for i in range(len(lrs))]
    i = int(np.argmin(medians))
    return dict(r, lr=lrs[i], test_mse=np.asarray(r["test_mse"])[i * S:(i + 1) * S],
                diverged_at=list(r["diverged_at"])[i * S:(i + 1) * S],
                validation=dict(grid=list(lrs), median=medians, chosen=lrs[i]))


def draw(config, results, figures):
    sweep = [r for r in results if r.get("lr_sweep")]
    grid_runs = [r for r in results if not r.get("lr_sweep")]
    if config.get("lr_grid") and not sweep:   # the IRNN's own grid runs at the longest T show its sensitivity
        T = max(config["lengths"])
        sweep = [r for r in grid_runs if r["model"] == "irnn" and r["length"] == T]
    results = [choose_rate(r) for r in grid_runs]
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}
    summary = summarise(results)

    fig, axes = plt.subplots(1, len(lengths), figsize=FULL, sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for m in LE_MODELS:
            r = by[(m, T)]
            steps, mse = r["eval_steps"], r["test_mse"]
            for curve in mse:
                ax.plot(steps, curve, color=MODEL_COLOURS[m], lw=0.6, alpha=0.3)
            ax.plot(steps, median_curve(mse),
                    color=MODEL_COLOURS[m], lw=1.8, label=MODEL_SHORT[m])
        ax.axhline(BASELINE, color=CHANCE, ls=":", lw=1.0, label=_("ответ «1»: $1/6$"))
        ax.set_yscale("log")
        ax.set_title(f"$T = {T}$")
        ax.set_xlabel(_("шаг обучения"))
    axes[0][0].set_ylabel(_("MSE на тесте"))
    legend_right(fig, *axes[0][0].get_legend_handles_labels())
    save(fig, figures, "adding_mse")

    rows = []
    for m in LE_MODELS:
        for T in lengths:
            s = summary[(m, T)]
            rows.append(dict(model=m, label=MODEL_LABELS[m], length=T, final=s["final"], best=s["best"],
                             solved=s["solved"], runs=s["runs"], solved_at=s["solved_at"], diverged=s["diverged"],
                             lr=by[(m, T)]["lr"]))
    short = lengths[0]
    final = {m: summary[(m, short)]["final"] for m in LE_MODELS}
    return {
        **lr_sweep(config, sweep, figures),
        "paper_lengths": PAPER_LENGTHS, "later": LATER,
        "short_below_tanh": bool(final["irnn"] < final["tanh_gauss"] and final["lstm"] < final["tanh_gauss"]),
        "budget": budget(config), "lengths": lengths, "n_hidden": config["n_hidden"], "seeds": config["seeds"],
        "updates": config["updates"], "batch": config["batch"], "clip": LE_CLIP, "optimizer": LE_OPTIMIZER,
        "n_test": config["n_test"], "n_validation": config.get("n_validation"), "baseline": BASELINE, "solved_level": SOLVED, "in_std": {m: LE_MODELS[m]["in_std"] for m in LE_MODELS},
        "lr": dict(config["lr"]), "labels": {m: MODEL_LABELS[m] for m in LE_MODELS},
        # fair baselines: the grid every model trained at and the rate the validation set chose (per model and T),
        # or, without a grid, the recorded rates and the run they came from
        "lr_grid": list(config["lr_grid"]) if config.get("lr_grid") else None,
        "lr_chosen": {m: {str(T): by[(m, T)]["lr"] for T in lengths} for m in LE_MODELS},
        "lr_validation": {m: {str(T): by[(m, T)]["validation"] for T in lengths} for m in LE_MODELS},
        "lr_source": LE_LR_SOURCE,
        "rows": rows, "short_length": short, "final_short": final, "below_paper_lengths": short < PAPER_LENGTHS[0],
        "final": {m: {str(T): summary[(m, T)]["final"] for T in lengths} for m in LE_MODELS},
        "solved_at": {m: {str(T): summary[(m, T)]["solved_at"] for T in lengths} for m in LE_MODELS},
        "n_solved": sum(1 for r in rows if r["solved_at"] is not None), "n_cells": len(rows),
        "diverged_by_model": {m: sum(summary[(m, T)]["diverged"] for T in lengths) for m in LE_MODELS},
        # per-seed final MSE of every (model, T), diverged runs at the baseline: what claim C6's tests read
        "per_seed": [dict(model=m, length=T, final=summary[(m, T)]["finals"], diverged=summary[(m, T)]["diverged"])
                     for m in LE_MODELS for T in lengths],
        "below_baseline": {m: sum(1 for T in lengths if summary[(m, T)]["final"] < 0.5 * BASELINE) for m in LE_MODELS},
        "seconds_per_job": {f"{r['model']}/{r['length']}": float(r["seconds"]) for r in results},
    }
