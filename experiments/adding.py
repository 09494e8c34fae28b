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

from experiments import chosen_rates
from rnn.fit import fit
from rnn.models import LE_LR, LE_MODELS, le_ensemble, step_seconds, le_member, model_seeds
from rnn.tasks import TASKS, adding_le, test_set

LR = LE_LR   # per model: provisional rates from probes (rnn.models); `full` and `paper` choose on the grid below
# `default` trains at the rates the shipped full run chose at T = 150 (results/full/chosen_rates.json), where it has
LR_DEFAULT, LR_SOURCE = chosen_rates("adding", "150", LE_LR, "provisional: probes on the adding problem at T = 150 "
                                     "(IRNN, LSTM) and a fixed 1e-3 (tanh nets); no full-profile validation choice yet")
# Fair baselines: with lr_grid, every model first trains a pilot — pilot_seeds seeds at every rate of the grid for
# pilot_updates updates — and its rate (per T) is the one with the lowest median pilot MSE on a validation set drawn
# apart from the test set (seed VALIDATION_SEED); then its `seeds` runs train at that rate for the whole budget.
# Every model gets the same grid, pilot and budget. (Full-length runs at every rate cost the grid's size times more:
# 5.3 CPU-hours for `full` on this project's machine instead of 1.9.) Without it (default, smoke), the rates `lr`.
# irnn_lrs: the IRNN's learning-rate sweep at the longest T, full-length runs at each rate: its sensitivity figure.
LR_GRID = [3e-4, 1e-3, 3e-3, 1e-2]   # half-decades spanning every recorded rate (ReLU nets 3e-4 … LSTM 1e-2)
PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=60, batch=16, eval_every=20, n_test=200,
                    lr=LR, lr_grid=None, irnn_lrs=[3e-4, 1e-3], sweep_seeds=1),
    # default: 1500 updates fit the 10-minute build; the IRNN and the LSTM are below 1/60 by then (measured with 2000)
    "default": dict(lengths=[150], n_hidden=100, seeds=4, updates=1500, batch=32, eval_every=100, n_test=500,
                    lr=LR_DEFAULT, lr_grid=None, irnn_lrs=[1e-4, 3e-4, 1e-3], sweep_seeds=1),
    "full":    dict(lengths=[150, 400], n_hidden=100, seeds=5, updates=4000, batch=32, eval_every=200,
                    n_test=2000, n_validation=2000, lr=LR, lr_grid=LR_GRID, pilot_seeds=1, pilot_updates=2000,
                    irnn_lrs=LR_GRID, sweep_seeds=2),
    "paper":   dict(lengths=[150, 200, 300, 400], n_hidden=100, seeds=5, updates=100000, batch=16, eval_every=1000,
                    n_test=10000, n_validation=10000, lr=LR, lr_grid=LR_GRID, pilot_seeds=2, pilot_updates=20000,
                    irnn_lrs=LR_GRID, sweep_seeds=5),
}
VALIDATION_SEED = 2150    # the validation set's sequences: never the test set's (tasks.TEST_SEED)
SEED_BASE = 1504          # member seeds: models.model_seeds(model, SEED_BASE, seeds)
PILOT_SEED_BASE = 15040   # the pilots' seeds: never a main run's
BASELINE = 1 / 6          # MSE of always predicting 1: where a diverged pilot counts


def jobs(config):
    # the costliest first (the LSTM, then the long sequences): the two workers then finish together; last, the
    # IRNN's learning-rate sweep at the longest T (its members: irnn_lrs × seeds)
    main = [{"model": m, "length": T} for m, T in sorted(((m, T) for m in LE_MODELS for T in config["lengths"]),
                                                         key=lambda mt: (mt[0] != "lstm", -mt[1]))]
    sweep = [{"model": "irnn", "length": max(config["lengths"]), "lr_sweep": True}] if config["irnn_lrs"] else []
    return main + sweep


def learning_rates(config, spec):
    """The rates one job's pilot tries (the grid), the sweep's rates, or the model's one recorded rate."""
    if spec.get("lr_sweep"):
        return list(config["irnn_lrs"])
    return list(config["lr_grid"]) if config.get("lr_grid") else [config["lr"][spec["model"]]]


def _train(config, model, members, T, updates, test, eval_every, device):
    ens = le_ensemble(model, members, 2, config["n_hidden"], 1, device)
    task = TASKS["adding_le"]
    return fit(ens, lambda rng, n: adding_le(rng, n, T), updates=updates, batch_size=config["batch"], loss="mse",
               eval_every=eval_every, test=test, metric=lambda pred, y: np.array([task.error(p, y).mean() for p in pred]))


def choose_pilot_rate(lrs, seeds, mse):
    """The rate with the lowest median validation MSE over its pilot seeds (a diverged pilot, NaN, at the baseline
    1/6); the first such rate on a tie. mse: (len(lrs) * len(seeds),), rate-major."""
    mse = np.where(np.isfinite(mse), mse, BASELINE)
    S = len(seeds)
    medians = [float(np.median(mse[i * S:(i + 1) * S])) for i in range(len(lrs))]
    return lrs[int(np.argmin(medians))], medians


def run(config, spec, device):
    model, T, n_hidden = spec["model"], spec["length"], config["n_hidden"]
    lr, lrs, pilot = config["lr"][model], learning_rates(config, spec), None
    if config.get("lr_grid") and not spec.get("lr_sweep"):   # the pilot, scored once at its end on validation data
        pseeds = model_seeds(model, PILOT_SEED_BASE, config["pilot_seeds"])
        validation = test_set("adding_le", T, n=config["n_validation"], seed=VALIDATION_SEED)
        r = _train(config, model, [le_member(model, s, q, n_hidden) for q in lrs for s in pseeds], T,
                   config["pilot_updates"], validation, config["pilot_updates"], device)
        mse = r["test_loss"][:, -1].astype(np.float64)
        mse[[d is not None for d in r["diverged_at"]]] = np.nan
        lr, medians = choose_pilot_rate(lrs, pseeds, mse)
        pilot = dict(lrs=lrs, seeds=pseeds, updates=config["pilot_updates"], validation_mse=mse,
                     validation_median=medians, diverged_at=r["diverged_at"], seconds=r["seconds"])
        lrs = [lr]
    seeds = model_seeds(model, SEED_BASE, config["sweep_seeds"] if spec.get("lr_sweep") else config["seeds"])
    r = _train(config, model, [le_member(model, s, q, n_hidden) for q in lrs for s in seeds], T, config["updates"],
               test_set("adding_le", T, n=config["n_test"]), config["eval_every"], device)
    return dict(model=model, length=T, lr=lr, lrs=lrs, lr_sweep=bool(spec.get("lr_sweep")), seeds=seeds, pilot=pilot,
                eval_steps=r["eval_steps"], test_mse=r["test_loss"], diverged_at=r["diverged_at"], seconds=r["seconds"])


def estimate(config):
    """CPU seconds, roughly (members × updates × T × one step's cost, plus 10% for evaluation; and the pilots)."""
    total = 0.0
    for s in jobs(config):
        step = s["length"] * step_seconds(LE_MODELS[s["model"]]["cell"], config["n_hidden"], config["batch"]) * 1.1
        if s.get("lr_sweep"):
            total += config["sweep_seeds"] * len(config["irnn_lrs"]) * config["updates"] * step
            continue
        total += config["seeds"] * config["updates"] * step
        if config.get("lr_grid"):
            total += config["pilot_seeds"] * len(config["lr_grid"]) * config["pilot_updates"] * step
    return total


def budget(config):
    grid = (f"; each model's Adam rate chosen from {{{', '.join(f'{r:g}' for r in config['lr_grid'])}}} by a pilot "
            f"({config['pilot_seeds']} seed(s) × {config['pilot_updates']} updates a rate) on a validation set"
            if config.get("lr_grid") else "")
    return (f"T ∈ {{{', '.join(map(str, config['lengths']))}}}, {config['updates']} updates × batch {config['batch']}, "
            f"{config['seeds']} seed(s) × {len(LE_MODELS)} models, n = {config['n_hidden']}{grid}")
