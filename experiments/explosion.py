"""Experiment 4: how to see that a gradient exploded (Pascanu et al. 2013, §3.2 and Fig. 7's setting).

The same RNN, task and data stream are trained twice per seed: plain SGD (MSGD) and SGD with the gradient
norm clipped at 1 (MSGD-C). Every update records the gradient norm *before* clipping and the training loss,
and a fixed set of test sequences is scored every few updates. An explosion shows as a spike of the norm on a
log scale followed by a jump of the loss (the step landed far away); the clipped twin meets the same spikes
(its pre-clip norm is recorded too) but takes a step of length at most lr·threshold and does not jump.

divergence_counts() is the blunt version, used by the tests: a linear RNN with ρ(W) > 1, where unclipped SGD
overflows to NaN within a few steps and clipped SGD does not.
"""
import numpy as np

from rnn.engine import Ensemble, Member
from rnn.fit import fit
from rnn.models import step_seconds, BATCH, LR, TASK_TITLES, sampler, train_one_seed, wrong_fraction
from rnn.tasks import TASKS, test_set

PROFILES = {
    "smoke":   dict(task="temporal_order", length=15, init="smart tanh", seeds=2, updates=60, eval_every=20,
                    monitor_n=100, test_n=200),
    "default": dict(task="temporal_order", length=30, init="smart tanh", seeds=3, updates=3000, eval_every=100,
                    monitor_n=500, test_n=2000),
    "full":    dict(task="temporal_order", length=50, init="smart tanh", seeds=5, updates=20000, eval_every=250,
                    monitor_n=1000, test_n=10000),
    "paper":   dict(task="temporal_order", length=50, init="smart tanh", seeds=5, updates=100000, eval_every=1000,
                    monitor_n=1000, test_n=10000),
}
METHODS = ["MSGD", "MSGD-C"]


def divergence_counts(seeds=8, updates=50, length=20, rec_scale=0.2, cell="linear", clip=1.0, lr=LR):
    """(#unclipped runs that hit NaN/Inf, #clipped runs that did) on temporal order with a Gaussian W whose
    spectral radius is about rec_scale·√50 > 1 (≈ 1.4 for 0.2)."""
    t = TASKS["temporal_order"]
    members = [Member(seed=s, lr=lr, clip=c, init="gaussian", rec_scale=rec_scale, in_std=0.1, out_std=0.1)
               for c in (None, clip) for s in range(seeds)]
    ens = Ensemble(cell, t.n_in, 50, t.n_out, members)
    r = fit(ens, sampler("temporal_order", length), updates=updates, batch_size=BATCH, loss="ce", eval_every=0,
            test=test_set("temporal_order", length, n=50), metric=lambda p, y: np.zeros(len(p)))
    dead = [d is not None for d in r["diverged_at"]]
    return sum(dead[:seeds]), sum(dead[seeds:])


def jobs(config):
    return [{"seed": s} for s in range(config["seeds"])]


def run(config, spec, device):
    task, L = config["task"], config["length"]
    ens, r = train_one_seed(config, spec["seed"], METHODS, device)
    return dict(seed=spec["seed"], methods=METHODS, grad_norm=r["grad_norm"].astype(np.float32),
                train_loss=r["train_loss"].astype(np.float32), eval_steps=r["eval_steps"],
                test_error=r["test_error"], final_error=wrong_fraction(ens, task, L, config["test_n"]),
                diverged_at=r["diverged_at"])


def estimate(config):
    return config["seeds"] * len(METHODS) * config["updates"] * config["length"] * step_seconds()


def budget(config):
    return (f"{TASK_TITLES[config['task']]}, L = {config['length']}, {config['init']} init, "
            f"{config['seeds']} seeds × {config['updates']} updates, lr {LR:g}, batch {BATCH}")


