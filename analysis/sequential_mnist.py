"""Numbers of experiments.sequential_mnist: the final and best test accuracy of each model on pixel and permuted
MNIST, beside the paper's and later work's."""
import numpy as np

from analysis.labels import MODEL_LABELS
from analysis.papers import LATER_MNIST, LE_MNIST, LE_MNIST_UNVERIFIED, PAPER_UPDATES
from experiments.sequential_mnist import LR_SOURCE, budget, updates_per_epoch
from rnn.data import PERMUTATION_SEED
from rnn.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER

DATASETS = {"mnist": "pixel MNIST", "permuted": "permuted MNIST"}
CHANCE_ACCURACY = 0.1    # ten classes


def accuracy_curves(r, per_epoch):
    """Test accuracy per seed and evaluation; from the update a run diverged on, it counts as chance (10 %)."""
    acc = np.array(r["test_accuracy"], dtype=np.float64)
    steps = np.rint(np.asarray(r["epochs"]) * per_epoch)
    for k, d in enumerate(r["diverged_at"]):
        if d is not None:
            acc[k, steps >= d] = CHANCE_ACCURACY
    return np.where(np.isfinite(acc), acc, CHANCE_ACCURACY)


def choose_rate(r):
    """A job trained at several rates (the lr grid): the rate with the highest median final accuracy on the
    held-out validation images (diverged runs at chance), and the job cut down to that rate's members."""
    lrs = r.get("lrs") or [r["lr"]]
    if len(lrs) == 1:
        return dict(r, lr=lrs[0], validation=None)
    S = len(r["seeds"])
    val = np.asarray(r["validation_accuracy"], dtype=np.float64)
    val = np.where(np.isfinite(val), val, CHANCE_ACCURACY)
    medians = [float(np.median(val[i * S:(i + 1) * S])) for i in range(len(lrs))]
    i = int(np.argmax(medians))
    return dict(r, lr=lrs[i], test_accuracy=np.asarray(r["test_accuracy"])[i * S:(i + 1) * S],
                diverged_at=list(r["diverged_at"])[i * S:(i + 1) * S],
                validation=dict(grid=list(lrs), median=medians, chosen=lrs[i]))


def prepared(config, results):
    """The jobs at their chosen rates, with diverged runs at chance: what the numbers and the figure read."""
    out = []
    for r in results:
        r = choose_rate(r)
        out.append(dict(r, test_accuracy=accuracy_curves(r, updates_per_epoch(config))))
    return out


def numbers(config, results):
    results = prepared(config, results)
    by = {(r["model"], r["dataset"]): r for r in results}
    models = [m for m in LE_MODELS if m in config["models"]]
    datasets = list(config["datasets"])
    acc = {m: {d: float(100 * np.median(by[(m, d)]["test_accuracy"][:, -1])) for d in datasets} for m in models}
    best = {m: {d: float(100 * np.max(np.median(by[(m, d)]["test_accuracy"], axis=0))) for d in datasets}
            for m in models}
    rows = [dict(model=m, label=MODEL_LABELS[m], lr=config["lr"][m],
                 lr_chosen={d: by[(m, d)]["lr"] for d in datasets},
                 ours={d: acc[m][d] for d in datasets},
                 paper={d: LE_MNIST.get(m, {}).get(d) for d in DATASETS}, unverified=m in LE_MNIST_UNVERIFIED,
                 diverged=sum(sum(x is not None for x in by[(m, d)]["diverged_at"]) for d in datasets))
            for m in models]
    return {
        "budget": budget(config), "models": models, "datasets": datasets, "n_train": config["n_train"],
        "some_models": len(models) < len(LE_MODELS),
        "irnn_above_tanh_everywhere": all(acc["irnn"][d] > acc["tanh_gauss"][d] for d in datasets)
        if {"irnn", "tanh_gauss"} <= set(models) else False,
        "lr_grid": list(config["lr_grid"]) if config.get("lr_grid") else None, "lr_source": LR_SOURCE,
        "n_validation": config.get("n_validation"),
        # per-seed final accuracy (%) of every (model, dataset), diverged runs at chance: what claim C7's tests read
        "per_seed": [dict(model=m, dataset=d, final=[float(100 * a) for a in by[(m, d)]["test_accuracy"][:, -1]],
                          best_epoch_median=best[m][d],
                          diverged=sum(x is not None for x in by[(m, d)]["diverged_at"])) for m in models for d in datasets],
        "n_test": config["n_test"], "epochs": config["epochs"], "batch": config["batch"], "seeds": config["seeds"],
        "n_hidden": config["n_hidden"], "updates": updates_per_epoch(config) * config["epochs"],
        "permutation_seed": PERMUTATION_SEED, "clip": LE_CLIP, "optimizer": LE_OPTIMIZER, "lr": dict(config["lr"]),
        "labels": {m: MODEL_LABELS[m] for m in LE_MODELS}, "accuracy": acc, "best_accuracy": best, "rows": rows,
        "paper": LE_MNIST, "later": [dict(model=a, mnist=b, permuted=c) for a, b, c in LATER_MNIST],
        "paper_updates_log10": round(np.log10(PAPER_UPDATES)),
        "irnn_above_tanh": [DATASETS[d] for d in datasets
                            if "irnn" in acc and "tanh_gauss" in acc and acc["irnn"][d] > acc["tanh_gauss"][d]], "chance": 10.0,
    }
