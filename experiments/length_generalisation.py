"""Experiment 7: generalisation in length (Pascanu et al. 2013, §4.1: a model trained on lengths 50–200
generalised to length 5000 on temporal order).

An RNN (smart tanh, MSGD-CR) is trained on temporal order with a length drawn afresh for every update from
[min_length, max_length] (all members see the same length at an update, each its own sequences), and is then
scored on fresh test sets of lengths up to many times the longest it was trained on. The symbols sit at the same
*fractions* of the sequence, so at length L the lag to the first symbol is about 0.8–0.9 L steps.
"""
import numpy as np
import torch

from experiments.pathological import BATCH, TASK_TITLES, make_ensemble, wrong_fraction
from experiments.plotting import BLUE, GREY, budget_note, plt, save
from experiments.tasks import TASKS, success

PROFILES = {
    "smoke":   dict(min_length=10, max_length=15, seeds=1, updates=40, eval_lengths=[10, 15, 30], test_n=200),
    "default": dict(min_length=20, max_length=30, seeds=2, updates=3000,
                    eval_lengths=[20, 30, 60, 100, 200, 500, 1000], test_n=1000),
    "full":    dict(min_length=50, max_length=200, seeds=3, updates=200000,
                    eval_lengths=[50, 100, 200, 500, 1000, 2000, 5000], test_n=10000),
    "paper":   dict(min_length=50, max_length=200, seeds=5, updates=2000000,
                    eval_lengths=[50, 100, 200, 500, 1000, 2000, 5000, 10000], test_n=10000),
}
TASK, INIT, METHOD = "temporal_order", "smart tanh", "MSGD-CR"


def jobs(config):
    return [{"seed": s} for s in range(config["seeds"])]


def train(ens, config, seed):
    """SGD updates on batches of a fresh length each time; returns the lengths used."""
    t = TASKS[TASK]
    rng_len = np.random.default_rng([seed, 5000])
    rngs = [np.random.default_rng([m.seed, 5001]) for m in ens.members]
    used = []
    for _ in range(config["updates"]):
        L = int(rng_len.integers(config["min_length"], config["max_length"] + 1))
        data = [t.sample(r, BATCH, L) for r in rngs]
        x = torch.as_tensor(np.stack([d[0] for d in data]))
        y = torch.as_tensor(np.stack([d[1] for d in data]))
        ens.train_step(x, y, "ce")
        used.append(L)
    return np.asarray(used)


def run(config, spec, device):
    ens = make_ensemble(TASK, INIT, [METHOD], [spec["seed"]], device)
    lengths = train(ens, config, spec["seed"])
    errors = [float(wrong_fraction(ens, TASK, L, config["test_n"])[0]) for L in config["eval_lengths"]]
    return dict(seed=spec["seed"], eval_lengths=list(config["eval_lengths"]), error=errors,
                diverged=bool(ens.diverged.any()), mean_train_length=float(lengths.mean()))


def budget(config):
    return (f"{TASK_TITLES[TASK]}, trained on L ∈ [{config['min_length']}, {config['max_length']}], {INIT}, {METHOD}, "
            f"{config['seeds']} seeds × {config['updates']} updates; {config['test_n']} test sequences a length")


def report(config, results, figures):
    Ls = config["eval_lengths"]
    err = np.array([r["error"] for r in results])   # (seeds, lengths)
    fig, ax = plt.subplots(figsize=(6.4, 3.4))
    ax.axvspan(config["min_length"], config["max_length"], color=BLUE, alpha=0.12, lw=0, label="training lengths")
    for s, e in enumerate(err):
        ax.plot(Ls, e, "o-", color=BLUE, alpha=0.5 if len(err) > 1 else 1, lw=1, ms=3, label="seeds" if s == 0 else None)
    ax.plot(Ls, np.median(err, axis=0), "s-", color="black", lw=1.6, ms=4, label="median")
    ax.axhline(TASKS[TASK].chance_error, color=GREY, ls=":", lw=0.9, label="chance")
    ax.axhline(0.01, color=GREY, ls="--", lw=0.9, label="success (1%)")
    ax.set_xscale("log")
    ax.set_xlabel("test length L")
    ax.set_ylabel("test error")
    ax.set_ylim(-0.02, 1.0)
    ax.legend(fontsize=7, loc="upper left")
    budget_note(ax, budget(config))
    save(fig, figures, "length_generalisation")

    med = np.median(err, axis=0)
    trained = [i for i, L in enumerate(Ls) if L <= config["max_length"]]
    ok = [L for L, e in zip(Ls, med) if success(e)]
    good = [L for L, e in zip(Ls, med) if e < 0.1]
    return {
        "budget": budget(config), "task": TASK_TITLES[TASK], "min_length": config["min_length"],
        "max_length": config["max_length"], "seeds": config["seeds"], "updates": config["updates"],
        "test_n": config["test_n"], "eval_lengths": Ls, "median_error": [float(e) for e in med],
        "error_trained": float(np.max(med[trained])) if trained else None,
        "longest": Ls[-1], "error_longest": float(med[-1]),
        "longest_success": max(ok) if ok else None, "longest_below_10": max(good) if good else None,
        "ratio_longest": Ls[-1] / config["max_length"], "paper_length": 5000, "paper_train": [50, 200],
        "chance": float(TASKS[TASK].chance_error),
    }
