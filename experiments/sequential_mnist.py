"""Experiment: pixel-by-pixel MNIST and permuted MNIST (Le, Jaitly & Hinton 2015, §4.2).

Each 28×28 image is read one pixel a step, 784 steps, and classified from the last hidden state. Permuted
MNIST reads the pixels in one fixed random order (mnist.fixed_permutation, seed recorded in the results),
which puts dependencies hundreds of steps apart. The five models of experiments.adding (IRNN, ReLU and tanh
with Gaussian W, tanh with orthogonal W, LSTM), clipping on for all, Adam.

Budgets keep the 784 steps (the sequence length is what the claim is about) and cut the number of training
images and epochs instead. An "epoch" here is n_train images' worth of updates drawn at random from the
training subset. One job per (model, dataset); the seeds of one model are the members of one ensemble.
Without MNIST on disk (or --data-dir), run() raises experiments.Unavailable and the experiment is skipped.
"""
import os

import numpy as np

from experiments import Unavailable
from experiments.adding import COLOURS, MODELS, OPTIMIZER, CLIP, ensemble, member
from experiments.engine import fit
from experiments.mnist import PERMUTATION_SEED, MnistUnavailable, fixed_permutation, load_mnist, pixel_sequences
from experiments.plotting import budget_note, plt, save

PROFILES = {
    "smoke":   dict(models=["irnn", "tanh_gauss"], datasets=["mnist"], n_train=256, n_test=200, epochs=1, batch=32,
                    seeds=1, n_hidden=32, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "default": dict(models=["irnn", "tanh_gauss"], datasets=["mnist", "permuted"],
                    n_train=2000, n_test=1000, epochs=5, batch=64, seeds=2, n_hidden=100, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "full":    dict(models=list(MODELS), datasets=["mnist", "permuted"], n_train=60000, n_test=10000, epochs=20,
                    batch=64, seeds=1, n_hidden=100, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
    "paper":   dict(models=list(MODELS), datasets=["mnist", "permuted"], n_train=60000, n_test=10000, epochs=100,
                    batch=16, seeds=1, n_hidden=100, evals_per_epoch=1,
                    lr={"irnn": 1e-4, "relu_gauss": 1e-4, "tanh_gauss": 1e-3, "tanh_orth": 1e-3, "lstm": 1e-3}),
}
DATASETS = {"mnist": "pixel MNIST", "permuted": "permuted MNIST"}
SEED_BASE = 784
PAPER_UPDATES = 1_000_000    # "about a million updates" for the IRNN (PAPERS.md)
# Le et al.'s test accuracy (%), as quoted by Cooijmans et al. 2017 (PAPERS.md); LSTM's row is unverified
PAPER = {"irnn": {"mnist": 97.0, "permuted": 82.0}, "tanh_gauss": {"mnist": 35.0, "permuted": 35.0},
         "lstm": {"mnist": 65.0, "permuted": 36.0}}
PAPER_UNVERIFIED = {"lstm"}
LATER = [("uRNN (Arjovsky et al. 2016)", 95.1, 91.4), ("LSTM (as run by Arjovsky et al. 2016)", 98.2, 88.0),
         ("LSTM (Cooijmans et al. 2017)", 98.9, 90.2), ("IndRNN, 6 layers (Li et al. 2018)", 99.0, 96.0)]


def _load(download):
    try:
        return load_mnist(data_dir=os.environ.get("RNN_GRADIENTS_DATA_DIR"), download=download, progress=download)
    except (MnistUnavailable, OSError, ValueError) as e:
        raise Unavailable(f"MNIST not available ({e})") from None


def prepare(config):
    """Called once by the build before the jobs run: finds MNIST or downloads it (with checksums)."""
    _load(download=True)


def data(config, dataset):
    """(x_train (784, N, 1), y_train, x_test, y_test) for the configured subsets (first images of each file)."""
    train_x, train_y, test_x, test_y = _load(download=False)  # the jobs never download: prepare() did
    perm = fixed_permutation(PERMUTATION_SEED) if dataset == "permuted" else None
    n, m = config["n_train"], config["n_test"]
    return (pixel_sequences(train_x[:n], perm), train_y[:n].astype(np.int64),
            pixel_sequences(test_x[:m], perm), test_y[:m].astype(np.int64))


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
    seeds = [SEED_BASE + 100 * list(MODELS).index(model) + s for s in range(config["seeds"])]
    ens = ensemble(model, [member(model, s, lr, config["n_hidden"]) for s in seeds], 1, config["n_hidden"], 10,
                   device)
    per_epoch = updates_per_epoch(config)

    def sample(rng, n):
        idx = rng.integers(0, x_train.shape[1], size=n)
        return x_train[:, idx], y_train[idx]

    r = fit(ens, sample, updates=per_epoch * config["epochs"], batch_size=config["batch"], loss="ce",
            eval_every=max(1, per_epoch // config["evals_per_epoch"]), test=(x_test, y_test),
            metric=lambda pred, y: (pred.argmax(-1) != y).mean(-1))
    return dict(model=model, dataset=dataset, lr=lr, seeds=seeds, permutation_seed=PERMUTATION_SEED,
                epochs=r["eval_steps"] / per_epoch, test_accuracy=1 - r["test_error"], test_loss=r["test_loss"],
                diverged_at=r["diverged_at"], train_loss=r["train_loss"], seconds=r["seconds"])


def budget(config):
    return (f"784 steps; {config['n_train']} training / {config['n_test']} test images, {config['epochs']} epoch(s), "
            f"batch {config['batch']}, {config['seeds']} seed(s), n = {config['n_hidden']}, "
            f"{len(config['models'])} models")


def report(config, results, figures):
    by = {(r["model"], r["dataset"]): r for r in results}
    models = [m for m in MODELS if m in config["models"]]
    datasets = list(config["datasets"])
    note = f"median over {config['seeds']} seed(s) (thin: each seed); budget: {budget(config)}"

    fig, axes = plt.subplots(1, len(datasets), figsize=(5.2 * len(datasets), 3.3), sharey=True, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for m in models:
            r = by[(m, d)]
            if len(r["test_accuracy"]) > 1:
                for curve in r["test_accuracy"]:
                    ax.plot(r["epochs"], 100 * curve, color=COLOURS[m], lw=0.6, alpha=0.4)
            ax.plot(r["epochs"], 100 * np.nanmedian(r["test_accuracy"], axis=0), color=COLOURS[m], marker="o", ms=3,
                    lw=1.5, label=MODELS[m]["label"])
        ax.axhline(10, color="black", ls="--", lw=0.8, label="chance (10%)")
        ax.set_title(f"{DATASETS[d]} (784 steps)")
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel("test accuracy, %")
    axes[0][0].legend(loc="upper left", fontsize=7)
    budget_note(axes[0][-1], note)
    save(fig, figures, "mnist_accuracy")

    acc = {m: {d: float(100 * np.nanmedian(by[(m, d)]["test_accuracy"][:, -1])) for d in datasets} for m in models}
    best = {m: {d: float(100 * np.nanmax(np.nanmedian(by[(m, d)]["test_accuracy"], axis=0))) for d in datasets}
            for m in models}
    rows = [dict(model=m, label=MODELS[m]["label"], lr=config["lr"][m],
                 ours={d: acc[m][d] for d in datasets},
                 paper={d: PAPER.get(m, {}).get(d) for d in DATASETS}, unverified=m in PAPER_UNVERIFIED,
                 diverged=sum(sum(x is not None for x in by[(m, d)]["diverged_at"]) for d in datasets))
            for m in models]
    return {
        "budget": budget(config), "models": models, "datasets": datasets, "n_train": config["n_train"],
        "n_test": config["n_test"], "epochs": config["epochs"], "batch": config["batch"], "seeds": config["seeds"],
        "n_hidden": config["n_hidden"], "updates": updates_per_epoch(config) * config["epochs"],
        "permutation_seed": PERMUTATION_SEED, "clip": CLIP, "optimizer": OPTIMIZER, "lr": dict(config["lr"]),
        "labels": {m: MODELS[m]["label"] for m in MODELS}, "accuracy": acc, "best_accuracy": best, "rows": rows,
        "paper": PAPER, "later": [dict(model=a, mnist=b, permuted=c) for a, b, c in LATER],
        "has_lstm": "lstm" in models, "paper_updates_log10": round(np.log10(PAPER_UPDATES)),
        "irnn_above_tanh": [DATASETS[d] for d in datasets
                            if "irnn" in acc and "tanh_gauss" in acc and acc["irnn"][d] > acc["tanh_gauss"][d]], "chance": 10.0,
        "seconds_per_job": {f"{r['model']}/{r['dataset']}": float(r["seconds"]) for r in results},
    }
