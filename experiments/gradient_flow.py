"""Experiment: how the error signal flows back in time early in training (Le et al. 2015's argument).

For each of the five models of rnn.models we train on the adding problem (length T) and record,
at a few points early in training, ‖∂E/∂h_k‖ for every step k (mean over the batch): E is the loss read at
the last step, so ∂E/∂h_k is what reaches step k after T − k Jacobians. A marker sits in the first half of
the sequence: a model whose ‖∂E/∂h_k‖ dies out before k = T/2 cannot learn where the markers are.
One job per model; the seeds of a model are the members of one ensemble.
"""
import numpy as np

from rnn.models import LE_LR, LE_MODELS, le_ensemble, step_seconds, le_member, model_seeds
from rnn.fit import fit
from rnn.tasks import adding_le, test_set

# lengths: a short one and the paper's shortest; the Le et al. learning rates of every experiment (models.LE_LR)
PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=20, record_every=10, batch=16, lr=LE_LR),
    "default": dict(lengths=[40, 150], n_hidden=100, seeds=1, updates=100, record_every=50, batch=32, lr=LE_LR),
    "full":    dict(lengths=[40, 150, 400], n_hidden=100, seeds=2, updates=1000, record_every=250, batch=32, lr=LE_LR),
    "paper":   dict(lengths=[40, 150, 400], n_hidden=100, seeds=5, updates=1000, record_every=250, batch=32, lr=LE_LR),
}
SEED_BASE = 2015


def jobs(config):
    return [{"model": m, "length": T} for T in sorted(config["lengths"], reverse=True)
            for m in sorted(LE_MODELS, key=lambda m: m != "lstm")]


def run(config, spec, device):
    model, T = spec["model"], spec["length"]
    seeds = model_seeds(model, SEED_BASE, config["seeds"])
    ens = le_ensemble(model, [le_member(model, s, config["lr"][model], config["n_hidden"]) for s in seeds], 2,
                   config["n_hidden"], 1, device)
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"] + 1, batch_size=config["batch"],
            loss="mse", eval_every=0, test=test_set("adding_le", T, n=200), metric=lambda p, y: np.zeros(len(p)),
            dEdh_every=config["record_every"])
    # dEdh: (K, records, T), index k-1 = ‖∂E/∂h_k‖
    return dict(model=model, length=T, seeds=seeds, steps=np.asarray(r["dEdh_steps"]), dEdh=r["dEdh"],
                seconds=r["seconds"])


def estimate(config):
    return sum(config["seeds"] * (config["updates"] + 1) * s["length"]
               * step_seconds(LE_MODELS[s["model"]]["cell"], config["n_hidden"], config["batch"]) for s in jobs(config))


def budget(config):
    return (f"adding problem, T ∈ {{{', '.join(map(str, config['lengths']))}}}, n = {config['n_hidden']}, {config['seeds']} seed(s), "
            f"‖∂E/∂h_k‖ every {config['record_every']} of {config['updates']} updates")


