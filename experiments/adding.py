"""Experiment: the adding problem of Le, Jaitly & Hinton 2015 (IRNN), §4.1 of their paper.

Two input channels: a value U[0, 1) and a marker; exactly two steps are marked, one in the first half of
the sequence and one in the second; the target, read at the last step, is the sum of the two marked values
(`tasks.adding_le`). Always predicting 1 gives MSE Var(a + b) = 1/6: the plateau a net sits on while it
has not found the markers.

Five models, the same everywhere in the Le et al. experiments (MODELS below): the IRNN (ReLU, W = I,
bias 0), RNN + ReLU with Gaussian W, RNN + tanh with Gaussian W, RNN + tanh with orthogonal W, and an
LSTM with forget-gate bias 1. Gradient-norm clipping is on for all of them; optimiser Adam.
One job per (model, T): an ensemble whose members are the seeds (members of an ensemble share a cell).
The paper's hidden size, learning rates and update counts are unverified (PAPERS.md); ours are below.
"""
import math

import numpy as np

from experiments.engine import Ensemble, Member, fit
from experiments.plotting import BLUE, GREEN, GREY, ORANGE, PURPLE, RED, budget_note, plt, save
from experiments.tasks import TASKS, adding_le, test_set

PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=60, batch=16, eval_every=20, n_test=200,
                    lr={"irnn": 1e-3, "relu_gauss": 1e-3, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3},
                    irnn_lrs=[1e-3, 1e-2]),
    "default": dict(lengths=[20, 40], n_hidden=100, seeds=2, updates=600, batch=64, eval_every=40,
                    n_test=500,
                    lr={"irnn": 3e-3, "relu_gauss": 3e-3, "tanh_gauss": 3e-3, "tanh_orth": 3e-3, "lstm": 1e-2},
                    irnn_lrs=[1e-3, 3e-3, 1e-2]),
    "full":    dict(lengths=[150, 200, 300, 400], n_hidden=100, seeds=3, updates=20000, batch=32, eval_every=500,
                    n_test=2000,
                    lr={"irnn": 1e-3, "relu_gauss": 1e-3, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3},
                    irnn_lrs=[3e-4, 1e-3, 3e-3]),
    "paper":   dict(lengths=[150, 200, 300, 400], n_hidden=100, seeds=5, updates=100000, batch=16, eval_every=1000,
                    n_test=10000,
                    lr={"irnn": 1e-3, "relu_gauss": 1e-3, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3},
                    irnn_lrs=[3e-4, 1e-3, 3e-3]),
}
CLIP = 1.0
OPTIMIZER = "adam"
SEED_BASE = 1504          # member seeds: SEED_BASE + 100·(model index) + seed index
BASELINE = 1 / 6          # MSE of always predicting 1 (TASKS["adding_le"].chance_loss)
SOLVED = BASELINE / 10    # "beats the baseline by 10×"

# name -> (cell, init, recurrent scale, label). Gaussian W: std 1/sqrt(n) (spectral radius ≈ 1), set in member().
MODELS = {
    "irnn":       dict(cell="relu", init="identity", label="IRNN (ReLU, W = I)"),
    "relu_gauss": dict(cell="relu", init="gaussian", label="RNN + ReLU, Gaussian W"),
    "tanh_gauss": dict(cell="tanh", init="gaussian", label="RNN + tanh, Gaussian W"),
    "tanh_orth":  dict(cell="tanh", init="orthogonal", label="RNN + tanh, orthogonal W"),
    "lstm":       dict(cell="lstm", init="gaussian", label="LSTM (forget bias 1)"),
}
COLOURS = {"irnn": RED, "relu_gauss": ORANGE, "tanh_gauss": GREY, "tanh_orth": BLUE, "lstm": GREEN}
IN_STD = 0.1             # input weights V ~ N(0, 0.1²) for every model (the engine's default)
PAPER_LENGTHS = [150, 200, 300, 400]
# later work on the same task, for the report's context (PAPERS.md)
LATER = dict(urnn_min_length=100, urnn_max_length=750, urnn_units=128, urnn_lr=1e-3, urnn_clip=1.0,
             urnn_lstm_solves_up_to=400, indrnn_fail_length=1000)


def member(model, seed, lr, n_hidden):
    """The Member (one run) of a model: its recurrent init and scale, clipping on."""
    m = MODELS[model]
    scale = {"identity": 1.0, "orthogonal": 1.0, "gaussian": 1 / math.sqrt(n_hidden)}[m["init"]]
    return Member(seed=seed, lr=lr, clip=CLIP, init=m["init"], rec_scale=scale, in_std=IN_STD,
                  out_std=1 / math.sqrt(n_hidden))


def ensemble(model, members, n_in, n_hidden, n_out, device, output="last"):
    return Ensemble(MODELS[model]["cell"], n_in, n_hidden, n_out, members, optimizer=OPTIMIZER,
                     output=output, device=device)


def seeds_of(model, config):
    return [SEED_BASE + 100 * list(MODELS).index(model) + s for s in range(config["seeds"])]


def jobs(config):
    # the costliest first (the LSTM, then the long sequences): the two workers then finish together; last, the
    # IRNN's learning-rate sweep at the longest T (its members: irnn_lrs × seeds)
    main = [{"model": m, "length": T} for m, T in sorted(((m, T) for m in MODELS for T in config["lengths"]),
                                                         key=lambda mt: (mt[0] != "lstm", -mt[1]))]
    return main + [{"model": "irnn", "length": max(config["lengths"]), "lr_sweep": True}]


def run(config, spec, device):
    model, T = spec["model"], spec["length"]
    lr = config["lr"][model]
    lrs = list(config["irnn_lrs"]) if spec.get("lr_sweep") else [lr]
    members = [member(model, s, r, config["n_hidden"]) for r in lrs for s in seeds_of(model, config)]
    ens = ensemble(model, members, 2, config["n_hidden"], 1, device)
    x_test, y_test = test_set("adding_le", T, n=config["n_test"])
    task = TASKS["adding_le"]
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"], batch_size=config["batch"],
            loss="mse", eval_every=config["eval_every"], test=(x_test, y_test),
            metric=lambda pred, y: np.array([task.error(p, y).mean() for p in pred]))
    return dict(model=model, length=T, lr=lr, lr_sweep=bool(spec.get("lr_sweep")),
                member_lrs=[m.lr for m in members], seeds=seeds_of(model, config), eval_steps=r["eval_steps"],
                test_mse=r["test_loss"], test_wrong=r["test_error"], diverged_at=r["diverged_at"],
                train_mse=r["train_loss"], grad_norm=r["grad_norm"], seconds=r["seconds"])


def budget(config):
    return (f"T ∈ {{{', '.join(map(str, config['lengths']))}}}, {config['updates']} updates × batch {config['batch']}, "
            f"{config['seeds']} seed(s) × {len(MODELS)} models, n = {config['n_hidden']}")


def first_below(steps, curve, level):
    """First evaluated update at which the test MSE is below level (None if never)."""
    hit = np.nonzero(np.asarray(curve) < level)[0]
    return int(steps[hit[0]]) if len(hit) else None


def summarise(results):
    """{(model, T): {"final": median final MSE over seeds, "solved_at": median update count or None, ...}}."""
    out = {}
    for r in results:
        final = r["test_mse"][:, -1]
        hits = [first_below(r["eval_steps"], c, SOLVED) for c in r["test_mse"]]
        ok = [h for h in hits if h is not None]
        out[(r["model"], r["length"])] = dict(
            final=float(np.nanmedian(final)) if np.isfinite(final).any() else math.nan,
            best=float(np.nanmin(r["test_mse"])) if np.isfinite(r["test_mse"]).any() else math.nan,
            solved=len(ok), runs=len(hits),
            solved_at=int(np.median(ok)) if len(ok) * 2 > len(hits) else None,   # a majority of seeds
            diverged=sum(d is not None for d in r["diverged_at"]))
    return out


def lr_sweep(config, sweep, figures):
    """The IRNN's sensitivity to its learning rate: final MSE and updates to baseline/10 for each rate."""
    if not sweep:
        return {"sweep": None}
    r = sweep[0]
    lrs, per = list(config["irnn_lrs"]), config["seeds"]
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    rows = []
    for i, (lr, colour) in enumerate(zip(lrs, [BLUE, RED, ORANGE, GREEN, PURPLE])):
        mse = r["test_mse"][i * per:(i + 1) * per]
        for curve in mse:
            ax.plot(r["eval_steps"], curve, color=colour, lw=0.6, alpha=0.35)
        ax.plot(r["eval_steps"], np.nanmedian(mse, axis=0) if np.isfinite(mse).any(axis=0).all() else mse[0],
                color=colour, lw=1.6, label=f"lr = {lr:g}")
        hits = [first_below(r["eval_steps"], c, SOLVED) for c in mse]
        ok = [h for h in hits if h is not None]
        final = mse[:, -1]
        rows.append(dict(lr=lr, final=float(np.nanmedian(final)) if np.isfinite(final).any() else math.nan,
                         solved=len(ok), runs=len(hits), solved_at=int(np.median(ok)) if len(ok) * 2 > len(hits) else None,
                         diverged=sum(d is not None for d in r["diverged_at"][i * per:(i + 1) * per])))
    ax.axhline(BASELINE, color="black", ls="--", lw=0.9, label="baseline 1/6")
    ax.axhline(SOLVED, color="black", ls=":", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("updates")
    ax.set_ylabel("test MSE")
    ax.set_title(f"IRNN, T = {r['length']}: Adam learning rate")
    ax.legend(loc="lower left")
    budget_note(ax, f"{per} seed(s) per rate; {budget(config)}")
    save(fig, figures, "adding_irnn_lr")
    finals = [x["final"] for x in rows]
    return {"sweep": dict(length=r["length"], rows=rows, lrs=lrs,
                          spread=float(max(finals) / min(finals)) if min(finals) > 0 else math.inf,
                          best_lr=lrs[int(np.nanargmin(finals))], worst_lr=lrs[int(np.nanargmax(finals))],
                          best=float(np.nanmin(finals)), worst=float(np.nanmax(finals)))}


def report(config, results, figures):
    sweep = [r for r in results if r.get("lr_sweep")]
    results = [r for r in results if not r.get("lr_sweep")]
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}
    summary = summarise(results)
    note = f"median over {config['seeds']} seed(s) (thin: each seed); budget: {budget(config)}"

    fig, axes = plt.subplots(1, len(lengths), figsize=(3.2 * len(lengths) + 0.6, 3.2), sharey=True, squeeze=False)
    for ax, T in zip(axes[0], lengths):
        for m in MODELS:
            r = by[(m, T)]
            steps, mse = r["eval_steps"], r["test_mse"]
            for curve in mse:
                ax.plot(steps, curve, color=COLOURS[m], lw=0.6, alpha=0.35)
            ax.plot(steps, np.nanmedian(mse, axis=0) if np.isfinite(mse).any(axis=0).all() else mse[0],
                    color=COLOURS[m], lw=1.6, label=MODELS[m]["label"])
        ax.axhline(BASELINE, color="black", ls="--", lw=0.9, label="baseline 1/6 (predict 1)")
        ax.axhline(SOLVED, color="black", ls=":", lw=0.8, label="baseline / 10")
        ax.set_yscale("log")
        ax.set_title(f"T = {T}")
        ax.set_xlabel("updates")
    axes[0][0].set_ylabel("test MSE")
    axes[0][0].legend(loc="lower left", fontsize=6.5)
    budget_note(axes[0][-1], note)
    save(fig, figures, "adding_mse")

    rows = []
    for m in MODELS:
        for T in lengths:
            s = summary[(m, T)]
            rows.append(dict(model=m, label=MODELS[m]["label"], length=T, final=s["final"], best=s["best"],
                             solved=s["solved"], runs=s["runs"], solved_at=s["solved_at"], diverged=s["diverged"],
                             lr=by[(m, T)]["lr"]))
    short = lengths[0]
    final = {m: summary[(m, short)]["final"] for m in MODELS}
    return {
        **lr_sweep(config, sweep, figures),
        "paper_lengths": PAPER_LENGTHS, "later": LATER,
        "short_below_tanh": bool(final["irnn"] < final["tanh_gauss"] and final["lstm"] < final["tanh_gauss"]),
        "budget": budget(config), "lengths": lengths, "n_hidden": config["n_hidden"], "seeds": config["seeds"],
        "updates": config["updates"], "batch": config["batch"], "clip": CLIP, "optimizer": OPTIMIZER,
        "n_test": config["n_test"], "baseline": BASELINE, "solved_level": SOLVED, "in_std": IN_STD,
        "lr": dict(config["lr"]), "labels": {m: MODELS[m]["label"] for m in MODELS},
        "rows": rows, "short_length": short, "final_short": final,
        "final": {m: {str(T): summary[(m, T)]["final"] for T in lengths} for m in MODELS},
        "solved_at": {m: {str(T): summary[(m, T)]["solved_at"] for T in lengths} for m in MODELS},
        "n_solved": sum(1 for r in rows if r["solved_at"] is not None), "n_cells": len(rows),
        "below_baseline": {m: sum(1 for T in lengths if summary[(m, T)]["final"] < 0.5 * BASELINE) for m in MODELS},
        "seconds_per_job": {f"{r['model']}/{r['length']}": float(r["seconds"]) for r in results},
    }
