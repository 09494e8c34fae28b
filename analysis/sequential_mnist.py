"""Numbers of experiments.sequential_mnist: the final and best test accuracy of each model on pixel and permuted
MNIST, beside the paper's and later work's."""
import numpy as np

from analysis.adding import GRID_SOURCE
from analysis.labels import MODEL_LABELS
from analysis.papers import LATER_MNIST, LE_MNIST, LE_MNIST_UNVERIFIED, PAPER_UPDATES
from experiments import chosen_rates
from experiments.sequential_mnist import LR_SOURCE, budget, updates_per_epoch
from rnn.data import PERMUTATION_SEED
from rnn.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER

DATASETS = {"mnist": "pixel MNIST", "permuted": "permuted MNIST"}
CHANCE_ACCURACY = 0.1    # ten classes


def _source(config, models) -> str:
    """Where the rates of a profile without a grid came from: the shipped full run's choice when they are its rates
    (results/full/chosen_rates.json), else the provisional ones (experiments.sequential_mnist.LR_SOURCE)."""
    chosen, source = chosen_rates("sequential_mnist", "mnist", {m: None for m in models}, LR_SOURCE)
    return source if all(chosen[m] == config["lr"][m] for m in models) else LR_SOURCE


def accuracy_curves(r, per_epoch):
    """Test accuracy per seed and evaluation; from the update a run diverged on, it counts as chance (10 %)."""
    acc = np.array(r["test_accuracy"], dtype=np.float64)
    steps = np.rint(np.asarray(r["epochs"]) * per_epoch)
    for k, d in enumerate(r["diverged_at"]):
        if d is not None:
            acc[k, steps >= d] = CHANCE_ACCURACY
    return np.where(np.isfinite(acc), acc, CHANCE_ACCURACY)


def choose_rate(r):
    """The rate a job trained its runs at, and how it was chosen: with a pilot (the lr grid), each rate's median
    pilot accuracy on the held-out validation images (diverged pilots at chance) and the rate chosen."""
    p = r.get("pilot")
    if not p:
        return dict(r, validation=None)
    return dict(r, validation=dict(grid=list(p["lrs"]), median=list(p["validation_median"]), chosen=r["lr"],
                                   pilot_seeds=len(p["seeds"]), pilot_updates=p["updates"],
                                   pilot_diverged=sum(d is not None for d in p["diverged_at"])))


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
    rows = [dict(model=m, label=MODEL_LABELS[m], lr=config["lr"][m], seeds=config["seeds"][m],
                 lr_chosen={d: by[(m, d)]["lr"] for d in datasets},
                 lr_validation={d: by[(m, d)]["validation"] for d in datasets},
                 ours={d: acc[m][d] for d in datasets},
                 paper={d: LE_MNIST.get(m, {}).get(d) for d in DATASETS}, unverified=m in LE_MNIST_UNVERIFIED,
                 diverged=sum(sum(x is not None for x in by[(m, d)]["diverged_at"]) for d in datasets))
            for m in models]
    # what the paper's budget would cost here: the IRNN's measured seconds per member-update (its main run, tests
    # included) times the paper's updates
    irnn = next((by[("irnn", d)] for d in datasets if ("irnn", d) in by), None)
    member_update = (irnn["seconds"] / (len(irnn["seeds"]) * updates_per_epoch(config) * config["epochs"])
                     if irnn and irnn.get("seconds") else None)
    return {
        "budget": budget(config), "models": models, "datasets": datasets, "n_train": config["n_train"],
        "seconds_per_member_update": member_update,
        "paper_cpu_days": member_update * PAPER_UPDATES / 86400 if member_update else None,
        "some_models": len(models) < len(LE_MODELS),
        "irnn_above_tanh_everywhere": all(acc["irnn"][d] > acc["tanh_gauss"][d] for d in datasets)
        if {"irnn", "tanh_gauss"} <= set(models) else False,
        "lr_grid": list(config["lr_grid"]) if config.get("lr_grid") else None, "lr_source": _source(config, models) if not config.get("lr_grid") else GRID_SOURCE,
        "n_validation": config.get("n_validation"),
        # per-seed final accuracy (%) of every (model, dataset), diverged runs at chance: what claim C7's tests read
        "per_seed": [dict(model=m, dataset=d, final=[float(100 * a) for a in by[(m, d)]["test_accuracy"][:, -1]],
                          best_epoch_median=best[m][d],
                          diverged=sum(x is not None for x in by[(m, d)]["diverged_at"])) for m in models for d in datasets],
        "n_test": config["n_test"], "epochs": config["epochs"], "batch": config["batch"],
        "seeds": min(config["seeds"][m] for m in models), "seeds_of": {m: config["seeds"][m] for m in models},
        "pilot_updates": config.get("pilot_updates"), "pilot_seeds": config.get("pilot_seeds"),
        "n_hidden": config["n_hidden"], "updates": updates_per_epoch(config) * config["epochs"],
        "permutation_seed": PERMUTATION_SEED, "clip": LE_CLIP, "optimizer": LE_OPTIMIZER, "lr": dict(config["lr"]),
        "labels": {m: MODEL_LABELS[m] for m in LE_MODELS}, "accuracy": acc, "best_accuracy": best, "rows": rows,
        "paper": LE_MNIST, "later": [dict(model=a, mnist=b, permuted=c) for a, b, c in LATER_MNIST],
        "paper_updates_log10": round(np.log10(PAPER_UPDATES)),
        "irnn_above_tanh": [DATASETS[d] for d in datasets
                            if "irnn" in acc and "tanh_gauss" in acc and acc["irnn"][d] > acc["tanh_gauss"][d]], "chance": 10.0,
    }
