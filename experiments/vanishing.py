"""Experiment 5: how to see that a gradient vanishes, and what the Ω regulariser does about it
(Pascanu et al. 2013, §3.3).

The error is read at the last step T only, so ∂E/∂h_k for k < T is the backpropagated signal alone:
‖∂E/∂h_k‖ across k is the profile of how much of the error reaches step k. We train the same RNN with
clipping (MSGD-C) and with clipping and Ω (MSGD-CR; weight 4 as in Fig. 7) and record that profile, averaged
over the batch, at several moments of training. A vanishing gradient is a profile that collapses towards the
early steps (the ratio ‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ falls by orders of magnitude); Ω asks every transition
∂h_{k+1}/∂h_k to preserve the norm of the error it carries, i.e. for a flat profile.
"""
import numpy as np

from rnn import models
from rnn.models import step_seconds, TASK_TITLES, train_one_seed, wrong_fraction

PROFILES = {
    "smoke":   dict(task="temporal_order", length=20, init="smart tanh", seeds=1, updates=40, record_every=10,
                    eval_every=20, monitor_n=100, test_n=200),
    "default": dict(task="temporal_order", length=50, init="smart tanh", seeds=2, updates=2000, record_every=100,
                    eval_every=200, monitor_n=500, test_n=2000),
    "full":    dict(task="temporal_order", length=100, init="smart tanh", seeds=5, updates=20000, record_every=500,
                    eval_every=1000, monitor_n=1000, test_n=10000),
    "paper":   dict(task="temporal_order", length=200, init="smart tanh", seeds=5, updates=200000, record_every=5000,
                    eval_every=10000, monitor_n=1000, test_n=10000),
}
METHODS = ["MSGD-C", "MSGD-CR"]


def jobs(config):
    return [{"seed": s} for s in range(config["seeds"])]


def run(config, spec, device):
    task, L = config["task"], config["length"]
    ens, r = train_one_seed(config, spec["seed"], METHODS, device, dEdh_every=config["record_every"])
    return dict(seed=spec["seed"], methods=METHODS, dEdh_steps=np.asarray(r["dEdh_steps"]),
                dEdh=r["dEdh"].astype(np.float64), eval_steps=r["eval_steps"], test_error=r["test_error"],
                final_error=wrong_fraction(ens, task, L, config["test_n"]))


def estimate(config):
    return config["seeds"] * len(METHODS) * config["updates"] * config["length"] * step_seconds()


def budget(config):
    return (f"{TASK_TITLES[config['task']]}, L = {config['length']}, {config['init']} init, "
            f"{config['seeds']} seeds × {config['updates']} updates, Ω as the authors' code, α = {models.METHODS['MSGD-CR'][1]:g}, clipping at 1")


