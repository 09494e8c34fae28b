"""Experiment 5: how to see that a gradient vanishes, and what the Ω regulariser does about it
(Pascanu et al. 2013, §3.3).

The error is read at the last step T only, so ∂E/∂h_k for k < T is the backpropagated signal alone:
‖∂E/∂h_k‖ across k is the profile of how much of the error reaches step k. We train the same RNN with
clipping (MSGD-C) and with clipping and Ω (MSGD-CR; weight 4 as in Fig. 7) and record that profile, averaged
over the batch, at several moments of training. A vanishing gradient is a profile that collapses towards the
early steps (the ratio ‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ falls by orders of magnitude); Ω asks every transition
∂h_{k+1}/∂h_k to preserve the norm of the error it carries, i.e. for a flat profile.
"""
import numpy as np

from experiments.pathological import LR, OMEGA, TASK_TITLES, train_one_seed, wrong_fraction
from experiments.plotting import BLUE, GREEN, GREY, budget_note, plt, save
from experiments.tasks import TASKS

PROFILES = {
    "smoke":   dict(task="temporal_order", length=20, init="smart tanh", seeds=1, updates=40, record_every=10,
                    eval_every=20, monitor_n=100, test_n=200),
    "default": dict(task="temporal_order", length=50, init="smart tanh", seeds=2, updates=2000, record_every=100,
                    eval_every=200, monitor_n=500, test_n=2000),
    "full":    dict(task="temporal_order", length=100, init="smart tanh", seeds=5, updates=20000, record_every=500,
                    eval_every=1000, monitor_n=1000, test_n=10000),
    "paper":   dict(task="temporal_order", length=200, init="smart tanh", seeds=5, updates=200000, record_every=5000,
                    eval_every=10000, monitor_n=1000, test_n=10000),
}
METHODS = ["MSGD-C", "MSGD-CR"]
MOMENTS = 4   # profiles drawn: the first record, the last, and evenly between


def jobs(config):
    return [{"seed": s} for s in range(config["seeds"])]


def run(config, spec, device):
    task, L = config["task"], config["length"]
    ens, r = train_one_seed(config, spec["seed"], METHODS, device, dEdh_every=config["record_every"])
    return dict(seed=spec["seed"], methods=METHODS, dEdh_steps=np.asarray(r["dEdh_steps"]),
                dEdh=r["dEdh"].astype(np.float64), eval_steps=r["eval_steps"], test_error=r["test_error"],
                final_error=wrong_fraction(ens, task, L, config["test_n"]))


def budget(config):
    return (f"{TASK_TITLES[config['task']]}, L = {config['length']}, {config['init']} init, "
            f"{config['seeds']} seeds × {config['updates']} updates, Ω weight {OMEGA:g}, clipping at 1")


def ratio(profile):
    """‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ of profiles (..., T)."""
    return profile[..., 0] / profile[..., -1]


def report(config, results, figures):
    steps = results[0]["dEdh_steps"]
    picks = sorted(set(np.linspace(0, len(steps) - 1, MOMENTS).round().astype(int)))
    prof = np.stack([r["dEdh"] for r in results])   # (seeds, methods, records, T)
    norm = prof / prof[..., -1:]                       # relative to the last step, where the error enters
    logmed = lambda a, axis=0: np.exp(np.nanmedian(np.log(a), axis=axis))  # noqa: E731
    T = prof.shape[-1]
    k = np.arange(1, T + 1)
    cmap = plt.get_cmap("viridis")

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4))
    for a, (ax, m) in enumerate(zip(axes[:2], METHODS)):
        for j, p in enumerate(picks):
            ax.plot(k, logmed(norm[:, a, p]), color=cmap(j / max(1, len(picks) - 1)), lw=1.5,
                    label=f"update {int(steps[p])}")
        ax.set_yscale("log")
        ax.set_xlabel("step k")
        ax.set_title(f"{m}" + (" (clipping + Ω)" if m == "MSGD-CR" else " (clipping only)"))
    axes[0].set_ylabel("‖∂E/∂h_k‖ / ‖∂E/∂h_T‖")
    lo = min(ax.get_ylim()[0] for ax in axes[:2])
    hi = max(ax.get_ylim()[1] for ax in axes[:2])
    for ax in axes[:2]:
        ax.set_ylim(lo, hi)
    axes[0].legend(loc="lower right", fontsize=7)
    for a, (m, colour) in enumerate(zip(METHODS, [BLUE, GREEN])):
        for s in range(prof.shape[0]):
            axes[2].plot(steps, ratio(prof[s, a]), color=colour, lw=1.2, alpha=0.8, label=m if s == 0 else None)
    axes[2].axhline(1.0, color=GREY, ls=":", lw=0.9)
    axes[2].set_yscale("log")
    axes[2].set_xlabel("update")
    axes[2].set_ylabel("‖∂E/∂h_1‖ / ‖∂E/∂h_T‖")
    axes[2].set_title("how much error reaches step 1")
    axes[2].legend(fontsize=7)
    budget_note(axes[2], budget(config))
    save(fig, figures, "vanishing")

    r0 = ratio(prof[:, :, 0])    # (seeds, methods) at the first record
    rT = ratio(prof[:, :, -1])
    rmin = np.nanmin(ratio(prof), axis=2)
    final = np.array([r["final_error"] for r in results])  # (seeds, methods)
    med = lambda a: float(np.exp(np.nanmedian(np.log(a))))  # noqa: E731
    return {
        "budget": budget(config), "task": TASK_TITLES[config["task"]], "length": config["length"],
        "init": config["init"], "seeds": config["seeds"], "updates": config["updates"], "omega": OMEGA, "lr": LR,
        "moments": [int(steps[p]) for p in picks], "test_n": config["test_n"],
        "ratio_start": med(r0), "ratio_end_c": med(rT[:, 0]), "ratio_end_cr": med(rT[:, 1]),
        "ratio_min_c": med(rmin[:, 0]), "ratio_min_cr": med(rmin[:, 1]),
        "final_c": [float(x) for x in final[:, 0]], "final_cr": [float(x) for x in final[:, 1]],
        "median_final_c": float(np.median(final[:, 0])), "median_final_cr": float(np.median(final[:, 1])),
        "chance": float(TASKS[config["task"]].chance_error),
    }
