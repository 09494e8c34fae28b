"""Figures and numbers of experiments.vanishing: ‖∂E/∂h_k‖ across k with and without Ω."""
import numpy as np

from experiments.vanishing import METHODS, budget
from experiments import models
from experiments.models import LR, TASK_TITLES
from experiments.tasks import TASKS
from figures.style import _, FULL, METHOD_COLOURS, METHOD_LABELS, legend_right, plt, save

MOMENTS = 4   # profiles drawn: the first record, the last, and evenly between


def ratio(profile):
    """‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ of profiles (..., T)."""
    return profile[..., 0] / profile[..., -1]


def draw(config, results, figures):
    steps = results[0]["dEdh_steps"]
    picks = sorted(set(np.linspace(0, len(steps) - 1, MOMENTS).round().astype(int)))
    prof = np.stack([r["dEdh"] for r in results])   # (seeds, methods, records, T)
    norm = prof / prof[..., -1:]                       # relative to the last step, where the error enters
    logmed = lambda a, axis=0: np.exp(np.nanmedian(np.log(a), axis=axis))  # noqa: E731
    T = prof.shape[-1]
    k = np.arange(1, T + 1)
    cmap = plt.get_cmap("viridis")

    # the slide: the profile ‖∂E/∂h_k‖ / ‖∂E/∂h_T‖ over k at a few moments of training, without and with Ω
    fig, axes = plt.subplots(1, 2, figsize=FULL, sharey=True)
    for a, (ax, m) in enumerate(zip(axes, METHODS)):
        for j, p in enumerate(picks):
            ax.plot(k, logmed(norm[:, a, p]), color=cmap(0.9 * j / max(1, len(picks) - 1)), lw=1.6,
                    label=f"{int(steps[p])}")
        ax.set_yscale("log")
        ax.set_xlabel(_("шаг $k$"))
        ax.set_title(METHOD_LABELS[m], color=METHOD_COLOURS[m])
    axes[0].set_ylabel(_("сигнал ошибки\nна шаге $k$,\nв долях шага $T$"))   # no subscripts: they read too small
    legend_right(axes[1], title=_("после шагов\nобучения"))
    save(fig, figures, "vanishing")

    r0 = ratio(prof[:, :, 0])    # (seeds, methods) at the first record
    rT = ratio(prof[:, :, -1])
    rmin = np.nanmin(ratio(prof), axis=2)
    final = np.array([r["final_error"] for r in results])  # (seeds, methods)
    med = lambda a: float(np.exp(np.nanmedian(np.log(a))))  # noqa: E731
    return {
        "budget": budget(config), "task": TASK_TITLES[config["task"]], "length": config["length"],
        "init": config["init"], "seeds": config["seeds"], "updates": config["updates"], "omega": models.METHODS["MSGD-CR"][1], "lr": LR,
        "moments": [int(steps[p]) for p in picks], "test_n": config["test_n"],
        "ratio_start": med(r0), "ratio_end_c": med(rT[:, 0]), "ratio_end_cr": med(rT[:, 1]),
        "ratio_min_c": med(rmin[:, 0]), "ratio_min_cr": med(rmin[:, 1]),
        "final_c": [float(x) for x in final[:, 0]], "final_cr": [float(x) for x in final[:, 1]],
        "median_final_c": float(np.median(final[:, 0])), "median_final_cr": float(np.median(final[:, 1])),
        "chance": float(TASKS[config["task"]].chance_error),
    }
