"""Experiment: how the error signal flows back in time early in training (Le et al. 2015's argument).

For each of the five models of experiments.adding we train on the adding problem (length T) and record,
at a few points early in training, ‖∂E/∂h_k‖ for every step k (mean over the batch): E is the loss read at
the last step, so ∂E/∂h_k is what reaches step k after T − k Jacobians. A marker sits in the first half of
the sequence: a model whose ‖∂E/∂h_k‖ dies out before k = T/2 cannot learn where the markers are.
One job per model; the seeds of a model are the members of one ensemble.
"""
import numpy as np

from experiments.adding import COLOURS, MODELS, ensemble, member
from experiments.engine import fit
from experiments.plotting import budget_note, plt, save
from experiments.tasks import adding_le, test_set

PROFILES = {
    "smoke":   dict(length=30, n_hidden=32, seeds=1, updates=20, record_every=10, batch=16, lr=1e-3),
    "default": dict(length=150, n_hidden=100, seeds=1, updates=100, record_every=50, batch=32, lr=1e-3),
    "full":    dict(length=150, n_hidden=100, seeds=5, updates=1000, record_every=250, batch=32, lr=1e-3),
    "paper":   dict(length=150, n_hidden=100, seeds=5, updates=1000, record_every=250, batch=32, lr=1e-3),
}
SEED_BASE = 2015


def jobs(config):
    return [{"model": m} for m in sorted(MODELS, key=lambda m: m != "lstm")]


def run(config, spec, device):
    model, T = spec["model"], config["length"]
    seeds = [SEED_BASE + 100 * list(MODELS).index(model) + s for s in range(config["seeds"])]
    ens = ensemble(model, [member(model, s, config["lr"], config["n_hidden"]) for s in seeds], 2,
                   config["n_hidden"], 1, device)
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"] + 1, batch_size=config["batch"],
            loss="mse", eval_every=0, test=test_set("adding_le", T, n=200), metric=lambda p, y: np.zeros(len(p)),
            dEdh_every=config["record_every"])
    # dEdh: (K, records, T), index k-1 = ‖∂E/∂h_k‖
    return dict(model=model, length=T, seeds=seeds, steps=np.asarray(r["dEdh_steps"]), dEdh=r["dEdh"],
                train_mse=r["train_loss"], seconds=r["seconds"])


def budget(config):
    return (f"adding problem, T = {config['length']}, n = {config['n_hidden']}, {config['seeds']} seed(s), "
            f"‖∂E/∂h_k‖ every {config['record_every']} of {config['updates']} updates")


def report(config, results, figures):
    by = {r["model"]: r for r in results}
    steps = [int(s) for s in results[0]["steps"]]
    T = config["length"]
    k = np.arange(1, T + 1)
    shown = [steps[0], steps[-1]] if len(steps) > 1 else steps

    fig, axes = plt.subplots(1, len(shown), figsize=(5.2 * len(shown), 3.3), sharey=True, squeeze=False)
    for ax, step in zip(axes[0], shown):
        i = steps.index(step)
        for m in MODELS:
            d = by[m]["dEdh"][:, i, :]
            ax.plot(k, np.exp(np.nanmean(np.log(d + 1e-300), axis=0)), color=COLOURS[m], lw=1.5,
                    label=MODELS[m]["label"])
        ax.axvline(T / 2, color="black", ls=":", lw=0.8)
        ax.set_yscale("log")
        ax.set_xlabel("step k")
        ax.set_title(f"after {step} updates" if step else "at initialisation")
        ax.set_ylim(bottom=1e-30)
    axes[0][0].set_ylabel("‖∂E/∂h_k‖ (mean over batch)")
    axes[0][0].legend(loc="lower right", fontsize=7)
    budget_note(axes[0][-1], f"geometric mean over seeds; dotted: T/2 (the first marker lies left of it); "
                             f"{budget(config)}")
    save(fig, figures, "gradient_flow")

    def ratio(m, i, at):
        """‖∂E/∂h_at‖ / ‖∂E/∂h_T‖: how much of the error signal reaches step `at` (geometric mean over seeds)."""
        d = by[m]["dEdh"][:, i, :]
        return float(np.exp(np.nanmean(np.log(d[:, at - 1] + 1e-300) - np.log(d[:, T - 1] + 1e-300))))

    first, last = 0, len(steps) - 1
    return {
        "budget": budget(config), "length": T, "steps": steps, "first_step": steps[first], "last_step": steps[last],
        "labels": {m: MODELS[m]["label"] for m in MODELS},
        "ratio_start_init": {m: ratio(m, first, 1) for m in MODELS},
        "ratio_half_init": {m: ratio(m, first, T // 2) for m in MODELS},
        "ratio_start_late": {m: ratio(m, last, 1) for m in MODELS},
        "ratio_half_late": {m: ratio(m, last, T // 2) for m in MODELS},
    }
