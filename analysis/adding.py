"""Numbers of experiments.adding: the final and best test MSE of each model and length, when each got below the
"solved" level, and the IRNN's learning-rate sweep. Typed: final[model][T] with T an int."""
import math

import numpy as np

from analysis.labels import MODEL_LABELS
from analysis.papers import LATER_ADDING, LE_LENGTHS
from experiments.adding import budget
from rnn.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER

BASELINE = 1 / 6          # MSE of always predicting 1 (TASKS["adding_le"].chance_loss)
SOLVED = BASELINE / 10    # "beats the baseline by 10×"


def first_below(steps, curve, level):
    """First evaluated update at which the test MSE is below level (None if never)."""
    hit = np.nonzero(np.asarray(curve) < level)[0]
    return int(steps[hit[0]]) if len(hit) else None


def median_curve(mse):
    """The median over seeds of test-MSE curves; a single seed's curve when a diverged one left only NaNs."""
    return np.nanmedian(mse, axis=0) if np.isfinite(mse).any(axis=0).all() else mse[0]


def seeds_summary(steps, mse, diverged_at):
    """Median final and best MSE over seeds, how many got below baseline/10, and the median update at which
    they did when a majority of seeds did (else None)."""
    final = mse[:, -1]
    hits = [first_below(steps, c, SOLVED) for c in mse]
    ok = [h for h in hits if h is not None]
    return dict(final=float(np.nanmedian(final)) if np.isfinite(final).any() else math.nan,
                best=float(np.nanmin(mse)) if np.isfinite(mse).any() else math.nan,
                solved=len(ok), runs=len(hits), solved_at=int(np.median(ok)) if len(ok) * 2 > len(hits) else None,
                diverged=sum(d is not None for d in diverged_at))


def summarise(results):
    """{(model, T): seeds_summary of that job}."""
    return {(r["model"], r["length"]): seeds_summary(r["eval_steps"], r["test_mse"], r["diverged_at"]) for r in results}


def split(results):
    """(the learning-rate sweep's jobs, the models' jobs)."""
    return [r for r in results if r.get("lr_sweep")], [r for r in results if not r.get("lr_sweep")]


def lr_sweep(config, sweep):
    """The IRNN's sensitivity to its learning rate: final MSE and updates to baseline/10 for each rate."""
    if not sweep:
        return None
    r = sweep[0]
    lrs, per = list(config["irnn_lrs"]), config["seeds"]
    rows = []
    for i, lr in enumerate(lrs):
        s = seeds_summary(r["eval_steps"], r["test_mse"][i * per:(i + 1) * per], r["diverged_at"][i * per:(i + 1) * per])
        rows.append(dict(lr=lr, **{k: s[k] for k in ("final", "solved", "runs", "solved_at", "diverged")}))
    finals = [x["final"] for x in rows]
    return dict(length=r["length"], rows=rows, lrs=lrs,
                spread=float(max(finals) / min(finals)) if min(finals) > 0 else math.inf,
                best_lr=lrs[int(np.nanargmin(finals))], worst_lr=lrs[int(np.nanargmax(finals))],
                best=float(np.nanmin(finals)), worst=float(np.nanmax(finals)))


def numbers(config, results):
    sweep, results = split(results)
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}
    summary = summarise(results)
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
        "sweep": lr_sweep(config, sweep),
        "paper_lengths": LE_LENGTHS, "later": LATER_ADDING,
        "short_below_tanh": bool(final["irnn"] < final["tanh_gauss"] and final["lstm"] < final["tanh_gauss"]),
        "budget": budget(config), "lengths": lengths, "n_hidden": config["n_hidden"], "seeds": config["seeds"],
        "updates": config["updates"], "batch": config["batch"], "clip": LE_CLIP, "optimizer": LE_OPTIMIZER,
        "n_test": config["n_test"], "baseline": BASELINE,
        "lr": dict(config["lr"]), "labels": {m: MODEL_LABELS[m] for m in LE_MODELS},
        "rows": rows, "short_length": short, "final_short": final, "below_paper_lengths": short < LE_LENGTHS[0],
        "final": {m: {T: summary[(m, T)]["final"] for T in lengths} for m in LE_MODELS},
        "solved_at": {m: {T: summary[(m, T)]["solved_at"] for T in lengths} for m in LE_MODELS},
        "n_solved": sum(1 for r in rows if r["solved_at"] is not None), "n_cells": len(rows),
        "diverged_by_model": {m: sum(summary[(m, T)]["diverged"] for T in lengths) for m in LE_MODELS},
    }
