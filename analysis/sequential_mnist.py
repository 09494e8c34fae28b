"""Numbers of experiments.sequential_mnist: the final and best test accuracy of each model on pixel and permuted
MNIST, beside the paper's and later work's."""
import numpy as np

from analysis.labels import MODEL_LABELS
from analysis.papers import LATER_MNIST, LE_MNIST, LE_MNIST_UNVERIFIED, PAPER_UPDATES
from experiments.sequential_mnist import budget, updates_per_epoch
from rnn.data import PERMUTATION_SEED
from rnn.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER

DATASETS = {"mnist": "pixel MNIST", "permuted": "permuted MNIST"}


def numbers(config, results):
    by = {(r["model"], r["dataset"]): r for r in results}
    models = [m for m in LE_MODELS if m in config["models"]]
    datasets = list(config["datasets"])
    acc = {m: {d: float(100 * np.nanmedian(by[(m, d)]["test_accuracy"][:, -1])) for d in datasets} for m in models}
    best = {m: {d: float(100 * np.nanmax(np.nanmedian(by[(m, d)]["test_accuracy"], axis=0))) for d in datasets}
            for m in models}
    rows = [dict(model=m, label=MODEL_LABELS[m], lr=config["lr"][m],
                 ours={d: acc[m][d] for d in datasets},
                 paper={d: LE_MNIST.get(m, {}).get(d) for d in DATASETS}, unverified=m in LE_MNIST_UNVERIFIED,
                 diverged=sum(sum(x is not None for x in by[(m, d)]["diverged_at"]) for d in datasets))
            for m in models]
    return {
        "budget": budget(config), "models": models, "datasets": datasets, "n_train": config["n_train"],
        "some_models": len(models) < len(LE_MODELS),
        "irnn_above_tanh_everywhere": all(acc["irnn"][d] > acc["tanh_gauss"][d] for d in datasets)
        if {"irnn", "tanh_gauss"} <= set(models) else False,
        "n_test": config["n_test"], "epochs": config["epochs"], "batch": config["batch"], "seeds": config["seeds"],
        "n_hidden": config["n_hidden"], "updates": updates_per_epoch(config) * config["epochs"],
        "permutation_seed": PERMUTATION_SEED, "clip": LE_CLIP, "optimizer": LE_OPTIMIZER, "lr": dict(config["lr"]),
        "labels": {m: MODEL_LABELS[m] for m in LE_MODELS}, "accuracy": acc, "best_accuracy": best, "rows": rows,
        "paper": LE_MNIST, "later": [dict(model=a, mnist=b, permuted=c) for a, b, c in LATER_MNIST],
        "paper_updates_log10": round(np.log10(PAPER_UPDATES)),
        "irnn_above_tanh": [DATASETS[d] for d in datasets
                            if "irnn" in acc and "tanh_gauss" in acc and acc["irnn"][d] > acc["tanh_gauss"][d]], "chance": 10.0,
    }
