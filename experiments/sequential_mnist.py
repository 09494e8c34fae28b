"""Experiment: pixel-by-pixel MNIST and permuted MNIST (Le, Jaitly & Hinton 2015, §4.2).

Each 28×28 image is read one pixel a step, 784 steps, and classified from the last hidden state. Permuted
MNIST reads the pixels in one fixed random order (mnist.fixed_permutation, seed recorded in the results),
which puts dependencies hundreds of steps apart. The five models of rnn.models (IRNN, ReLU and tanh
with Gaussian W, tanh with orthogonal W, LSTM), clipping on for all, Adam.

Budgets keep the 784 steps (the sequence length is what the claim is about) and cut the number of training
images and epochs instead. An "epoch" here is n_train images' worth of updates drawn at random from the
training subset. One job per (model, dataset); the seeds of one model are the members of one ensemble.
Without MNIST on disk (or --data-dir), run() raises experiments.Unavailable and the experiment is skipped.
"""
import numpy as np
import torch

from experiments import Unavailable
from rnn.models import LE_MODELS, le_ensemble, step_seconds, le_member, model_seeds
from rnn.fit import default_eval_batch_size, fit
from rnn.data import PERMUTATION_SEED, MnistUnavailable, fixed_permutation, load_mnist, pixel_sequences

# Fair baselines (as experiments/adding.py): with lr_grid every model trains at every rate on the same seeds and
# budget, and each model's rate (per dataset) is the one with the highest median final accuracy on the last
# n_validation training images, which are never trained on (n_train + n_validation ≤ 60,000) and are not the test
# set. Without it (default, smoke) the recorded rates `lr`: PROVISIONAL, from probes, not from a validation choice.
LR_GRID = [1e-4, 3e-4, 1e-3]   # spans the recorded rates (IRNN 1e-4 … tanh and LSTM 1e-3)
LR_SOURCE = "provisional: fixed per model from probes (IRNN 1e-4, tanh and LSTM 1e-3); no full-profile validation choice recorded yet"
PROFILES = {
    "smoke":   dict(models=["irnn", "tanh_gauss"], datasets=["mnist"], n_train=256, n_test=200, epochs=1, batch=32,
                    seeds=1, n_hidden=32, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "default": dict(models=["irnn", "tanh_gauss"], datasets=["mnist", "permuted"],
                    n_train=2000, n_test=1000, epochs=5, batch=64, seeds=4, n_hidden=100, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "full":    dict(models=["irnn", "tanh_gauss", "lstm"], datasets=["mnist", "permuted"], n_train=55000, n_test=10000, epochs=2,
                    batch=64, seeds=5, n_hidden=100, evals_per_epoch=1, lr_grid=LR_GRID, n_validation=5000,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "paper":   dict(models=list(LE_MODELS), datasets=["mnist", "permuted"], n_train=55000, n_test=10000, epochs=100,
                    batch=16, seeds=5, n_hidden=100, evals_per_epoch=1, lr_grid=LR_GRID, n_validation=5000,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
}
SEED_BASE = 784
PAPER_UPDATES = 1_000_000    # "about a million updates" for the IRNN (Le et al. 2015, as quoted by later papers)


def _load(config, download):
    try:
        return load_mnist(data_dir=config.get("data_dir"), download=download, progress=download)
    except (MnistUnavailable, OSError, ValueError) as e:
        raise Unavailable(f"MNIST not available ({e})") from None


def prepare(config, data_dir=None):
    """Called once by the build before the jobs run: finds MNIST (in data_dir, the build's --data-dir, when
    given) or downloads it (with checksums). Returns the config the jobs run with: where the data is is not
    part of the results' key, so it is added only here."""
    config = {**config, "data_dir": str(data_dir)} if data_dir else config
    _load(config, download=True)
    return config


def data(config, dataset):
    """(x_train (784, N, 1), y_train, x_test, y_test) for the configured subsets (first images of each file)."""
    train_x, train_y, test_x, test_y = _load(config, download=False)  # the jobs never download: prepare() did
    perm = fixed_permutation(PERMUTATION_SEED) if dataset == "permuted" else None
    n, m = config["n_train"], config["n_test"]
    return (pixel_sequences(train_x[:n], perm), train_y[:n].astype(np.int64),
            pixel_sequences(test_x[:m], perm), test_y[:m].astype(np.int64))


def validation_data(config, dataset):
    """The last n_validation training images (never trained on: data() takes the first n_train)."""
    train_x, train_y, _, _ = _load(config, download=False)
    v = config["n_validation"]
    assert config["n_train"] + v <= len(train_x), "the validation images must lie outside the training subset"
    perm = fixed_permutation(PERMUTATION_SEED) if dataset == "permuted" else None
    return pixel_sequences(train_x[-v:], perm), train_y[-v:].astype(np.int64)


def learning_rates(config, model):
    return list(config["lr_grid"]) if config.get("lr_grid") else [config["lr"][model]]


def jobs(config):
    # the LSTM is the slowest: first, so the two workers end together
    order = sorted(config["models"], key=lambda m: m != "lstm")
    return [{"model": m, "dataset": d} for m in order for d in config["datasets"]]


def updates_per_epoch(config):
    return max(1, config["n_train"] // config["batch"])


def run(config, spec, device):
    model, dataset = spec["model"], spec["dataset"]
    x_train, y_train, x_test, y_test = data(config, dataset)
    lr = config["lr"][model]
    lrs = learning_rates(config, model)
    seeds = model_seeds(model, SEED_BASE, config["seeds"])
    ens = le_ensemble(model, [le_member(model, s, r, config["n_hidden"]) for r in lrs for s in seeds], 1,
                      config["n_hidden"], 10, device)
    per_epoch = updates_per_epoch(config)

    def sample(rng, n):
        idx = rng.integers(0, x_train.shape[1], size=n)
        return x_train[:, idx], y_train[idx]

    r = fit(ens, sample, updates=per_epoch * config["epochs"], batch_size=config["batch"], loss="ce",
            eval_every=max(1, per_epoch // config["evals_per_epoch"]), test=(x_test, y_test),
            metric=lambda pred, y: (pred.argmax(-1) != y).mean(-1))
    validation = None
    if len(lrs) > 1:   # the rate is chosen on images neither trained on nor in the test set
        x_val, y_val = validation_data(config, dataset)
        bs = default_eval_batch_size(ens.K, x_val.shape[0], config["n_hidden"], x_val.shape[1])
        pred = ens.evaluate(torch.as_tensor(x_val), y_val, "ce", batch_size=bs)["pred"].cpu().numpy()
        validation = (pred.argmax(-1) == y_val).mean(-1).astype(np.float64)
        validation[[d is not None for d in ens.diverged_at]] = np.nan
    return dict(model=model, dataset=dataset, lr=lr, lrs=lrs, seeds=seeds, permutation_seed=PERMUTATION_SEED,
                validation_accuracy=validation,
                epochs=r["eval_steps"] / per_epoch, test_accuracy=1 - r["test_error"], test_loss=r["test_loss"],
                diverged_at=r["diverged_at"], train_loss=r["train_loss"], seconds=r["seconds"])


def estimate(config):
    """CPU seconds, roughly: 784 steps per update, plus one test pass per evaluation."""
    updates = updates_per_epoch(config) * config["epochs"]
    return sum(config["seeds"] * len(learning_rates(config, s["model"])) * 784 * step_seconds(LE_MODELS[s["model"]]["cell"], config["n_hidden"], config["batch"])
               * (updates + config["epochs"] * config["evals_per_epoch"] * config["n_test"] / config["batch"] / 3)
               for s in jobs(config))


def budget(config):
    return (f"784 steps; {config['n_train']} training / {config['n_test']} test images, {config['epochs']} epoch(s), "
            f"batch {config['batch']}, {config['seeds']} seed(s), n = {config['n_hidden']}, "
            f"{len(config['models'])} models"
            + (f", each at Adam rates {{{', '.join(f'{r:g}' for r in config['lr_grid'])}}} (chosen on "
               f"{config['n_validation']} held-out training images)" if config.get("lr_grid") else ""))


