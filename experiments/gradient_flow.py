"""Experiment: how the error signal flows back in time early in training (Le et al. 2015's argument).

For each of the five models of experiments.adding we train on the adding problem (length T) and record,
at a few points early in training, ‖∂E/∂h_k‖ for every step k (mean over the batch): E is the loss read at
the last step, so ∂E/∂h_k is what reaches step k after T − k Jacobians. A marker sits in the first half of
the sequence: a model whose ‖∂E/∂h_k‖ dies out before k = T/2 cannot learn where the markers are.
One job per model; the seeds of a model are the members of one ensemble.
"""
import numpy as np

from experiments.adding import COLOURS, MODELS, ensemble, member
from experiments.adding import PROFILES as ADDING
from experiments.engine import fit
from experiments.plotting import budget_note, plt, save
from experiments.tasks import adding_le, test_set

# lengths: the longest of the adding experiment's default profile, and the paper's shortest; learning rates as there
PROFILES = {
    "smoke":   dict(lengths=[30], n_hidden=32, seeds=1, updates=20, record_every=10, batch=16, lr=ADDING["smoke"]["lr"]),
    "default": dict(lengths=[40, 150], n_hidden=100, seeds=1, updates=100, record_every=50, batch=32, lr=ADDING["default"]["lr"]),
    "full":    dict(lengths=[40, 150, 400], n_hidden=100, seeds=5, updates=1000, record_every=250, batch=32, lr=ADDING["full"]["lr"]),
    "paper":   dict(lengths=[40, 150, 400], n_hidden=100, seeds=5, updates=1000, record_every=250, batch=32, lr=ADDING["paper"]["lr"]),
}
SEED_BASE = 2015
UNDERFLOW = 1e-30          # a ratio below this is reported as 0 (the float32 signal itself underflowed)


def jobs(config):
    return [{"model": m, "length": T} for T in sorted(config["lengths"], reverse=True)
            for m in sorted(MODELS, key=lambda m: m != "lstm")]


def run(config, spec, device):
    model, T = spec["model"], spec["length"]
    seeds = [SEED_BASE + 100 * list(MODELS).index(model) + s for s in range(config["seeds"])]
    ens = ensemble(model, [member(model, s, config["lr"][model], config["n_hidden"]) for s in seeds], 2,
                   config["n_hidden"], 1, device)
    r = fit(ens, lambda rng, n: adding_le(rng, n, T), updates=config["updates"] + 1, batch_size=config["batch"],
            loss="mse", eval_every=0, test=test_set("adding_le", T, n=200), metric=lambda p, y: np.zeros(len(p)),
            dEdh_every=config["record_every"])
    # dEdh: (K, records, T), index k-1 = ‖∂E/∂h_k‖
    return dict(model=model, length=T, seeds=seeds, steps=np.asarray(r["dEdh_steps"]), dEdh=r["dEdh"],
                train_mse=r["train_loss"], seconds=r["seconds"])


def budget(config):
    return (f"adding problem, T ∈ {{{', '.join(map(str, config['lengths']))}}}, n = {config['n_hidden']}, {config['seeds']} seed(s), "
            f"‖∂E/∂h_k‖ every {config['record_every']} of {config['updates']} updates")


def report(config, results, figures):
    lengths = sorted(config["lengths"])
    by = {(r["model"], r["length"]): r for r in results}
    steps = [int(s) for s in results[0]["steps"]]
    shown = [steps[0], steps[-1]] if len(steps) > 1 else steps

    def profile(m, T, step):
        d = by[(m, T)]["dEdh"][:, steps.index(step), :].astype(np.float64)
        return np.exp(np.nanmean(np.log(d + 1e-300), axis=0))   # geometric mean over seeds

    fig, axes = plt.subplots(len(lengths), len(shown), figsize=(5.2 * len(shown), 2.2 * len(lengths) + 0.5),
                             sharey="row", squeeze=False, gridspec_kw=dict(hspace=0.45))
    for row, T in zip(axes, lengths):
        k = np.arange(1, T + 1)
        for ax, step in zip(row, shown):
            for m in MODELS:
                ax.plot(k, profile(m, T, step), color=COLOURS[m], lw=1.5, label=MODELS[m]["label"])
            ax.axvline(T / 2, color="black", ls=":", lw=0.8)
            ax.set_yscale("log")
            ax.set_title(f"T = {T}, " + (f"after {step} updates" if step else "at initialisation"))
        lo = min(float(np.min(profile(m, T, st))) for m in MODELS for st in shown)
        row[0].set_ylim(bottom=max(lo / 3, 1e-30))
        row[0].set_ylabel("‖∂E/∂h_k‖")
    for ax in axes[-1]:
        ax.set_xlabel("step k")
    axes[0][0].legend(loc="lower right", fontsize=7)
    budget_note(axes[-1][-1], f"mean over the batch, geometric mean over seeds; dotted: T/2 (the first marker lies "
                              f"left of it); {budget(config)}")
    save(fig, figures, "gradient_flow")

    def ratio(m, T, step, at):
        """‖∂E/∂h_at‖ / ‖∂E/∂h_T‖: how much of the last step's error signal reaches step `at`."""
        p = profile(m, T, step)
        r = float(p[at - 1] / p[T - 1])
        return r if r > UNDERFLOW else 0.0   # float32 signals below ~1e-38 are flushed to zero

    out = {"budget": budget(config), "lengths": lengths, "steps": steps, "first_step": steps[0],
           "last_step": steps[-1], "forget_gate_init": float(1 / (1 + np.exp(-1.0))), "labels": {m: MODELS[m]["label"] for m in MODELS}, "by_length": {}}
    for T in lengths:
        out["by_length"][str(T)] = {
            "ratio_start_init": {m: ratio(m, T, steps[0], 1) for m in MODELS},
            "ratio_half_init": {m: ratio(m, T, steps[0], T // 2) for m in MODELS},
            "ratio_start_late": {m: ratio(m, T, steps[-1], 1) for m in MODELS},
            "ratio_half_late": {m: ratio(m, T, steps[-1], T // 2) for m in MODELS},
        }
    # the headline numbers: the longest length
    out.update(out["by_length"][str(lengths[-1])], length=lengths[-1], short_length=lengths[0])
    out["short"] = out["by_length"][str(lengths[0])]
    return out
