"""Experiment: the adding problem of Le, Jaitly & Hinton 2015 (IRNN), §4.1 of their paper.

Two input channels: a value U[0, 1) and a marker; exactly two steps are marked, one in the first half of
the sequence and one in the second; the target, read at the last step, is the sum of the two marked values
(`tasks.adding_le`). Always predicting 1 gives MSE Var(a + b) = 1/6: the plateau a net sits on while it
has not found the markers.

Five models, the same everywhere in the Le et al. experiments (rnn.models.LE_MODELS): the IRNN (ReLU, W = I,
bias 0), RNN + ReLU with Gaussian W, RNN + tanh with Gaussian W, RNN + tanh with orthogonal W, and an
LSTM with forget-gate bias 1. Gradient-norm clipping is on for all of them; optimiser Adam.
One job per (model, T): an ensemble whose members are the seeds (members of an ensemble share a cell).
The paper's hidden size, learning rates and update counts could not be checked; ours are below.
"""
import numpy as np

from rnn.fit import fit
from rnn.models import LE_LR, LE_MODELS, le_ensemble, step_seconds, le_member, model_seeds
from rnn.tasks import TASKS, adding_le, test_set

LR = LE_LR   # per model (rnn.models)
PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=60, batch=16, eval_every=20, n_test=200,
                    lr=LR, irnn_lrs=[3e-4, 1e-3]),
    "default": dict(lengths=[150], n_hidden=100, seeds=2, updates=2000, batch=32, eval_every=100, n_test=500,
                    lr=LR, irnn_lrs=[1e-4, 3e-4, 1e-3]),
    "full":    dict(lengths=[150, 400], n_hidden=100, seeds=2, updates=4000, batch=32, eval_every=200,
                    n_test=2000, lr=LR, irnn_lrs=[1e-4, 3e-4, 1e-3]),
    "paper":   dict(lengths=[150, 200, 300, 400], n_hidden=100, seeds=5, updates=100000, batch=16, eval_every=1000,
                    n_test=10000, lr=LR, irnn_lrs=[1e-4, 3e-4, 1e-3]),
}
SEED_BASE = 1504          # member seeds: models.model_seeds(model, SEED_BASE, seeds)


def jobs(config):
    # the costliest first (the LSTM, then the long sequences): the two workers then finish together; last, the
    # IRNN's learning-rate sweep at the longest T (its members: irnn_lrs × seeds)
    main = [{"model": m, "length": T} for m, T in sorted(((m, T) for m in LE_MODELS for T in config["lengths"]),
                                                         key=lambda mt: (mt[0] != "lstm", -mt[1]))]
    sweep = [{"model": "irnn", "length": max(config["lengths"]), "lr_sweep": True}] if config["irnn_lrs"] else []
    return main + sweep


def run(config, spec, device):
    model, T = spec["model"], spec["length"]
    lr = config["lr"][model]
    lrs = list(config["irnn_lrs"]) if spec.get("lr_sweep") else [lr]
    seeds = model_seeds(model, SEED_BASE, config["seeds"])
    members = [le_member(model, s, r, config["n_hidden"]) for r in lrs for s in seeds]
    ens = le_ensemble(model, members, 2, config["n_hidden"], 1, device)
    x_test, y_test = test_set("adding_le", T, n=config["n_test"])
    task = TASKS["adding_le"]
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"], batch_size=config["batch"],
            loss="mse", eval_every=config["eval_every"], test=(x_test, y_test),
            metric=lambda pred, y: np.array([task.error(p, y).mean() for p in pred]))
    return dict(model=model, length=T, lr=lr, lr_sweep=bool(spec.get("lr_sweep")), seeds=seeds,
                eval_steps=r["eval_steps"], test_mse=r["test_loss"], diverged_at=r["diverged_at"],
                seconds=r["seconds"])


def estimate(config):
    """CPU seconds, roughly (members × updates × T × one step's cost, plus 10% for evaluation)."""
    return sum(config["seeds"] * (len(config["irnn_lrs"]) if s.get("lr_sweep") else 1) * config["updates"] * s["length"]
               * step_seconds(LE_MODELS[s["model"]]["cell"], config["n_hidden"], config["batch"]) * 1.1
               for s in jobs(config))


def budget(config):
    return (f"T ∈ {{{', '.join(map(str, config['lengths']))}}}, {config['updates']} updates × batch {config['batch']}, "
            f"{config['seeds']} seed(s) × {len(LE_MODELS)} models, n = {config['n_hidden']}")


