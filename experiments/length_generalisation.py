"""Experiment 7: generalisation in length (Pascanu et al. 2013, §4.1: a model trained on lengths 50–200
generalised to length 5000 on temporal order).

An RNN (smart tanh, MSGD-CR) is trained on temporal order with a length drawn afresh for every update from
[min_length, max_length), as the authors' script does (all members see the same length at an update, each its own
sequences; `full` uses their [50, 200), `default` a shorter range its budget can learn), and is then
scored on fresh test sets of lengths up to many times the longest it was trained on. The symbols sit at the same
*fractions* of the sequence, so at length L the lag to the first symbol is about 0.8–0.9 L steps.
"""
import numpy as np
import torch

from rnn.models import step_seconds, BATCH, TASK_TITLES, make_ensemble, wrong_fraction
from rnn.tasks import TASKS

PROFILES = {
    "smoke":   dict(min_length=10, max_length=16, seeds=1, updates=40, eval_lengths=[10, 15, 30], test_n=200),
    "default": dict(min_length=20, max_length=31, seeds=2, updates=3000,
                    eval_lengths=[20, 30, 60, 100, 200, 500, 1000], test_n=1000),
    "full":    dict(min_length=50, max_length=200, seeds=3, updates=30000,
                    eval_lengths=[50, 100, 200, 500, 1000, 2000, 5000], test_n=10000),
    "paper":   dict(min_length=50, max_length=200, seeds=5, updates=2000000,
                    eval_lengths=[50, 100, 200, 500, 1000, 2000, 5000, 10000], test_n=10000),
}
TASK, INIT, METHOD = "temporal_order", "smart tanh", "MSGD-CR"


def jobs(config):
    return [{"seed": s} for s in range(config["seeds"])]


def train(ens, config, seed):
    """SGD updates on batches of a fresh length each time."""
    t = TASKS[TASK]
    rng_len = np.random.default_rng([seed, 5000])
    rngs = [np.random.default_rng([m.seed, 5001]) for m in ens.members]
    for _ in range(config["updates"]):
        L = int(rng_len.integers(config["min_length"], config["max_length"]))   # [min, max), as theirs
        data = [t.sample(r, BATCH, L) for r in rngs]
        x = torch.as_tensor(np.stack([d[0] for d in data]))
        y = torch.as_tensor(np.stack([d[1] for d in data]))
        ens.train_step(x, y, "ce")


def run(config, spec, device):
    ens = make_ensemble(TASK, INIT, [METHOD], [spec["seed"]], device)
    train(ens, config, spec["seed"])
    errors = [float(wrong_fraction(ens, TASK, L, config["test_n"])[0]) for L in config["eval_lengths"]]
    return dict(seed=spec["seed"], eval_lengths=list(config["eval_lengths"]), error=errors)


def estimate(config):
    """Training at the mean training length, then the test sets (forward only, about a third of a step)."""
    train = config["updates"] * (config["min_length"] + config["max_length"]) / 2
    test = sum(config["eval_lengths"]) * config["test_n"] / BATCH / 3
    return config["seeds"] * step_seconds() * (train + test)


def budget(config):
    return (f"{TASK_TITLES[TASK]}, trained on L ∈ [{config['min_length']}, {config['max_length']}), {INIT}, {METHOD}, "
            f"{config['seeds']} seeds × {config['updates']} updates; {config['test_n']} test sequences a length")


