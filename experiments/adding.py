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
import torch

from experiments import chosen_rates
from rnn.fit import default_eval_batch_size, fit
from rnn.models import LE_LR, LE_MODELS, le_ensemble, step_seconds, le_member, model_seeds
from rnn.tasks import TASKS, adding_le, test_set

LR = LE_LR   # per model: provisional rates from probes (rnn.models); `full` and `paper` choose on the grid below
# `default` trains at the rates the shipped full run chose at T = 150 (results/full/chosen_rates.json), where it has
LR_DEFAULT, LR_SOURCE = chosen_rates("adding", "150", LE_LR, "provisional: probes on the adding problem at T = 150 "
                                     "(IRNN, LSTM) and a fixed 1e-3 (tanh nets); no full-profile validation choice yet")
# Fair baselines: with lr_grid, every model trains at every rate of the grid on the same seeds and budget, and each
# model's rate (per T) is the one with the lowest median final MSE on a validation set drawn apart from the test set
# (seed VALIDATION_SEED); the test MSE reported is that rate's. Without it (default, smoke), the recorded rates `lr`.
# irnn_lrs: the IRNN's learning-rate sweep at the longest T, a figure of its sensitivity (with lr_grid the grid's own
# IRNN runs show it, and no separate sweep runs).
LR_GRID = [3e-4, 1e-3, 3e-3, 1e-2]   # half-decades spanning every recorded rate (ReLU nets 3e-4 … LSTM 1e-2)
PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=60, batch=16, eval_every=20, n_test=200,
                    lr=LR, lr_grid=None, irnn_lrs=[3e-4, 1e-3], sweep_seeds=1),
    "default": dict(lengths=[150], n_hidden=100, seeds=4, updates=2000, batch=32, eval_every=100, n_test=500,
                    lr=LR_DEFAULT, lr_grid=None, irnn_lrs=[1e-4, 3e-4, 1e-3], sweep_seeds=2),
    "full":    dict(lengths=[150, 400], n_hidden=100, seeds=5, updates=4000, batch=32, eval_every=200,
                    n_test=2000, n_validation=2000, lr=LR, lr_grid=LR_GRID, irnn_lrs=[], sweep_seeds=5),
    "paper":   dict(lengths=[150, 200, 300, 400], n_hidden=100, seeds=5, updates=100000, batch=16, eval_every=1000,
                    n_test=10000, n_validation=10000, lr=LR, lr_grid=LR_GRID, irnn_lrs=[], sweep_seeds=5),
}
VALIDATION_SEED = 2150    # the validation set's sequences: never the test set's (tasks.TEST_SEED)
SEED_BASE = 1504          # member seeds: models.model_seeds(model, SEED_BASE, seeds)


def jobs(config):
    # the costliest first (the LSTM, then the long sequences): the two workers then finish together; last, the
    # IRNN's learning-rate sweep at the longest T (its members: irnn_lrs × seeds)
    main = [{"model": m, "length": T} for m, T in sorted(((m, T) for m in LE_MODELS for T in config["lengths"]),
                                                         key=lambda mt: (mt[0] != "lstm", -mt[1]))]
    sweep = [{"model": "irnn", "length": max(config["lengths"]), "lr_sweep": True}] if config["irnn_lrs"] else []
    return main + sweep


def learning_rates(config, spec):
    """The rates one job trains at (its members: rates × seeds, rate-major)."""
    if spec.get("lr_sweep"):
        return list(config["irnn_lrs"])
    return list(config["lr_grid"]) if config.get("lr_grid") else [config["lr"][spec["model"]]]


def run(config, spec, device):
    model, T = spec["model"], spec["length"]
    lr = config["lr"][model]
    lrs = learning_rates(config, spec)
    seeds = model_seeds(model, SEED_BASE, config["sweep_seeds"] if spec.get("lr_sweep") else config["seeds"])
    members = [le_member(model, s, r, config["n_hidden"]) for r in lrs for s in seeds]
    ens = le_ensemble(model, members, 2, config["n_hidden"], 1, device)
    x_test, y_test = test_set("adding_le", T, n=config["n_test"])
    task = TASKS["adding_le"]
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"], batch_size=config["batch"],
            loss="mse", eval_every=config["eval_every"], test=(x_test, y_test),
            metric=lambda pred, y: np.array([task.error(p, y).mean() for p in pred]))
    validation = None
    if len(lrs) > 1 and not spec.get("lr_sweep"):   # the rate is chosen on data the test never sees
        x_val, y_val = test_set("adding_le", T, n=config["n_validation"], seed=VALIDATION_SEED)
        bs = default_eval_batch_size(ens.K, T, config["n_hidden"], config["n_validation"])
        validation = ens.evaluate(torch.as_tensor(x_val), y_val, "mse", batch_size=bs)["loss"].cpu().numpy()
        validation = validation.astype(np.float64)
        validation[[d is not None for d in ens.diverged_at]] = np.nan
    return dict(model=model, length=T, lr=lr, lrs=lrs, lr_sweep=bool(spec.get("lr_sweep")), seeds=seeds,
                eval_steps=r["eval_steps"], test_mse=r["test_loss"], diverged_at=r["diverged_at"],
                validation_mse=validation, seconds=r["seconds"])


def estimate(config):
    """CPU seconds, roughly (members × updates × T × one step's cost, plus 10% for evaluation)."""
    return sum((config["sweep_seeds"] if s.get("lr_sweep") else config["seeds"]) * len(learning_rates(config, s))
               * config["updates"] * s["length"]
               * step_seconds(LE_MODELS[s["model"]]["cell"], config["n_hidden"], config["batch"]) * 1.1
               for s in jobs(config))


def budget(config):
    grid = (f", each model at Adam rates {{{', '.join(f'{r:g}' for r in config['lr_grid'])}}} (chosen on a validation set)"
            if config.get("lr_grid") else "")
    return (f"T ∈ {{{', '.join(map(str, config['lengths']))}}}, {config['updates']} updates × batch {config['batch']}, "
            f"{config['seeds']} seed(s) × {len(LE_MODELS)} models{grid}, n = {config['n_hidden']}")


