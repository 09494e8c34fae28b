"""Numbers of experiments.adding: the final and best test MSE of each model and length, when each got below the
"solved" level, and the IRNN's learning-rate sweep. Typed: final[model][T] with T an int."""
import math

import numpy as np

from analysis.labels import MODEL_LABELS
from analysis.papers import LATER_ADDING, LE_LENGTHS
from experiments.adding import LR_SOURCE, budget
from rnn.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER

BASELINE = 1 / 6          # MSE of always predicting 1 (TASKS["adding_le"].chance_loss)
SOLVED = BASELINE / 10    # "beats the baseline by 10×"
# lr_source of a profile with a grid (the MNIST analysis says the same)
GRID_SOURCE = "unused: each model's rate was chosen on validation data from lr_grid (lr_chosen)"


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


def choose_rate(r):
    """The rate a job trained its runs at, and how it was chosen: with a pilot (the lr grid), each rate's median
    pilot MSE on the validation set (diverged pilots at the baseline) and the rate chosen; else None."""
    p = r.get("pilot")
    if not p:
        return dict(r, validation=None)
    return dict(r, validation=dict(grid=list(p["lrs"]), median=list(p["validation_median"]), chosen=r["lr"],
                                   pilot_seeds=len(p["seeds"]), pilot_updates=p["updates"],
                                   pilot_diverged=sum(d is not None for d in p["diverged_at"])))


def summarise(results):
    """{(model, T): seeds_summary of that job}."""
    return {(r["model"], r["length"]): seeds_summary(r["eval_steps"], r["test_mse"], r["diverged_at"]) for r in results}


def split(results, config):
    """(the learning-rate sweep's jobs, the models' jobs with how their rates were chosen)."""
    sweep = [r for r in results if r.get("lr_sweep")]
    runs = [r for r in results if not r.get("lr_sweep")]
    return sweep, [choose_rate(r) for r in runs]


def sweep_rates(config, r):
    """(rates, seeds per rate) of a sweep job."""
    return list(r.get("lrs") or config["irnn_lrs"]), len(r["seeds"])


def lr_sweep(config, sweep):
    """The IRNN's sensitivity to its learning rate: final MSE and updates to baseline/10 for each rate."""
    if not sweep:
        return None
    r = sweep[0]
    lrs, per = sweep_rates(config, r)
    rows = []
    for i, lr in enumerate(lrs):
        s = seeds_summary(r["eval_steps"], r["test_mse"][i * per:(i + 1) * per], r["diverged_at"][i * per:(i + 1) * per])
        rows.append(dict(lr=lr, **{k: s[k] for k in ("final", "solved", "runs", "solved_at", "diverged")}))
    finals = [x["final"] for x in rows]
    return dict(length=r["length"], rows=rows, lrs=lrs, seeds=per,
                spread=float(max(finals) / min(finals)) if min(finals) > 0 else math.inf,
                best_lr=lrs[int(np.nanargmin(finals))], worst_lr=lrs[int(np.nanargmax(finals))],
                best=float(np.nanmin(finals)), worst=float(np.nanmax(finals)))


def numbers(config, results):
    sweep, results = split(results, config)
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
        "n_test": config["n_test"], "n_validation": config.get("n_validation"), "baseline": BASELINE,
        "pilot_seeds": config.get("pilot_seeds"), "pilot_updates": config.get("pilot_updates"),
        "lr": dict(config["lr"]), "labels": {m: MODEL_LABELS[m] for m in LE_MODELS},
        # fair baselines: the grid every model trained at and the rate the validation set chose (per model and T),
        # or, without a grid, the recorded rates and the run they came from
        "lr_grid": list(config["lr_grid"]) if config.get("lr_grid") else None,
        "lr_chosen": {m: {T: by[(m, T)]["lr"] for T in lengths} for m in LE_MODELS},
        "lr_validation": {m: {T: by[(m, T)]["validation"] for T in lengths} for m in LE_MODELS},
        "lr_source": LR_SOURCE if not config.get("lr_grid") else GRID_SOURCE,   # "lr": the recorded rates, used only without a grid
        # per-seed final MSE of every (model, T), diverged runs at the baseline: what claim C6's tests read
        "per_seed": [dict(model=m, length=T, final=summary[(m, T)]["finals"], diverged=summary[(m, T)]["diverged"])
                     for m in LE_MODELS for T in lengths],
        "rows": rows, "short_length": short, "final_short": final, "below_paper_lengths": short < LE_LENGTHS[0],
        "final": {m: {T: summary[(m, T)]["final"] for T in lengths} for m in LE_MODELS},
        "solved_at": {m: {T: summary[(m, T)]["solved_at"] for T in lengths} for m in LE_MODELS},
        "n_solved": sum(1 for r in rows if r["solved_at"] is not None), "n_cells": len(rows),
    }
