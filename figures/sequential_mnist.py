"""Figures and numbers of experiments.sequential_mnist: test accuracy per epoch, paper vs ours."""
import numpy as np

from experiments.sequential_mnist import LR_SOURCE, PAPER_UPDATES, budget, updates_per_epoch
from experiments.mnist import PERMUTATION_SEED
from experiments.models import LE_CLIP, LE_MODELS, LE_OPTIMIZER
from figures.style import _, Labels, N_, CHANCE, FULL, MODEL_COLOURS, MODEL_LABELS, MODEL_SHORT, legend_right, plt, save

DATASETS = {"mnist": "pixel MNIST", "permuted": "permuted MNIST"}
DATASETS_RU = Labels({"mnist": N_("по пикселю"), "permuted": N_("с перестановкой")})
PAPER = {"irnn": {"mnist": 97.0, "permuted": 82.0}, "tanh_gauss": {"mnist": 35.0, "permuted": 35.0},
         "lstm": {"mnist": 65.0, "permuted": 36.0}}
PAPER_UNVERIFIED = {"lstm"}
LATER = [("uRNN (Arjovsky et al. 2016)", 95.1, 91.4), ("LSTM (as run by Arjovsky et al. 2016)", 98.2, 88.0),
         ("LSTM (Cooijmans et al. 2017)", 98.9, 90.2), ("IndRNN, 6 layers (Li et al. 2018)", 99.0, 96.0)]


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
    val = np.where(np.isfinite(np.asarray(r["validation_accuracy"], dtype=np.float64)),
                   r["validation_accuracy"], CHANCE_ACCURACY)
    medians = [float(np.median(val[i * S:(i + 1) * S])) for i in range(len(lrs))]
    i = int(np.argmax(medians))
    return dict(r, lr=lrs[i], test_accuracy=np.asarray(r["test_accuracy"])[i * S:(i + 1) * S],
                diverged_at=list(r["diverged_at"])[i * S:(i + 1) * S],
                validation=dict(grid=list(lrs), median=medians, chosen=lrs[i]))


def draw(config, results, figures):
    results = [choose_rate(r) for r in results]
    results = [dict(r, test_accuracy=accuracy_curves(r, updates_per_epoch(config))) for r in results]
    by = {(r["model"], r["dataset"]): r for r in results}
    models = [m for m in LE_MODELS if m in config["models"]]
    datasets = list(config["datasets"])

    fig, axes = plt.subplots(1, len(datasets), figsize=FULL, sharey=True, squeeze=False)
    for ax, d in zip(axes[0], datasets):
        for m in models:
            r = by[(m, d)]
            if len(r["test_accuracy"]) > 1:
                for curve in r["test_accuracy"]:
                    ax.plot(r["epochs"], 100 * curve, color=MODEL_COLOURS[m], lw=0.6, alpha=0.4)
            ax.plot(r["epochs"], 100 * np.median(r["test_accuracy"], axis=0), color=MODEL_COLOURS[m], marker="o", ms=3,
                    lw=1.6, label=MODEL_SHORT[m])
        ax.axhline(10, color=CHANCE, ls=":", lw=1.0, label=_("случайно: 10%"))
        ax.set_title(DATASETS_RU[d])
        ax.set_xlabel(_("эпоха"))
        ax.set_ylim(0, 100)
    axes[0][0].set_ylabel(_("доля верных на тесте, %"))
    legend_right(fig, *axes[0][0].get_legend_handles_labels())
    save(fig, figures, "mnist_accuracy")

    acc = {m: {d: float(100 * np.median(by[(m, d)]["test_accuracy"][:, -1])) for d in datasets} for m in models}
    best = {m: {d: float(100 * np.max(np.median(by[(m, d)]["test_accuracy"], axis=0))) for d in datasets}
            for m in models}
    rows = [dict(model=m, label=MODEL_LABELS[m], lr=config["lr"][m],
                 lr_chosen={d: by[(m, d)]["lr"] for d in datasets},
                 ours={d: acc[m][d] for d in datasets},
                 paper={d: PAPER.get(m, {}).get(d) for d in DATASETS}, unverified=m in PAPER_UNVERIFIED,
                 diverged=sum(sum(x is not None for x in by[(m, d)]["diverged_at"]) for d in datasets))
            for m in models]
    return {
        "budget": budget(config), "models": models, "datasets": datasets, "n_train": config["n_train"],
        "some_models": len(models) < len(LE_MODELS),
        "irnn_above_tanh_everywhere": all(acc["irnn"][d] > acc["tanh_gauss"][d] for d in datasets)
        if {"irnn", "tanh_gauss"} <= set(models) else False,
        "lr_grid": list(config["lr_grid"]) if config.get("lr_grid") else None, "lr_source": LR_SOURCE,
        "n_validation": config.get("n_validation"),
        "n_test": config["n_test"], "epochs": config["epochs"], "batch": config["batch"], "seeds": config["seeds"],
        "n_hidden": config["n_hidden"], "updates": updates_per_epoch(config) * config["epochs"],
        "permutation_seed": PERMUTATION_SEED, "clip": LE_CLIP, "optimizer": LE_OPTIMIZER, "lr": dict(config["lr"]),
        "labels": {m: MODEL_LABELS[m] for m in LE_MODELS}, "accuracy": acc, "best_accuracy": best, "rows": rows,
        "paper": PAPER, "later": [dict(model=a, mnist=b, permuted=c) for a, b, c in LATER],
        "has_lstm": "lstm" in models, "paper_updates_log10": round(np.log10(PAPER_UPDATES)),
        "irnn_above_tanh": [DATASETS[d] for d in datasets
                            if "irnn" in acc and "tanh_gauss" in acc and acc["irnn"][d] > acc["tanh_gauss"][d]], "chance": 10.0,
        # per-seed final accuracy (%) of every (model, dataset), diverged runs at chance: what claim C7's tests read
        "per_seed": [dict(model=m, dataset=d, final=[float(100 * a) for a in by[(m, d)]["test_accuracy"][:, -1]],
                          best_epoch_median=best[m][d],
                          diverged=sum(x is not None for x in by[(m, d)]["diverged_at"])) for m in models for d in datasets],
        "seconds_per_job": {f"{r['model']}/{r['dataset']}": float(r["seconds"]) for r in results},
    }
