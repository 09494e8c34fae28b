"""Figures and numbers of experiments.explosion: gradient-norm spikes, the loss jumps they cause, and clipping."""
import numpy as np

from experiments.explosion import METHODS, budget
from experiments.models import TASK_TITLES
from experiments.tasks import TASKS
from figures.style import _, CHANCE, FULL, GREY, METHOD_COLOURS, METHOD_LABELS, legend_top, plt, save

SPIKE = 10.0     # a spike: the pre-clip norm is more than SPIKE times the run's median norm
WINDOW = 50      # updates averaged before / after a spike to measure the jump in loss
FALLBACK = 0.2   # a fall-back: test error rises by more than this between two evaluations


def spikes(norm):
    """Indices where the norm exceeds SPIKE × its median (first update of each run of such indices)."""
    norm = np.asarray(norm, float)
    med = np.nanmedian(norm)
    above = norm > SPIKE * med
    return np.flatnonzero(above & ~np.r_[False, above[:-1]])


def loss_jumps(loss, at):
    """Mean loss over WINDOW updates after each index minus the mean over WINDOW updates before it."""
    out = []
    for i in at:
        before, after = loss[max(0, i - WINDOW):i], loss[i + 1:i + 1 + WINDOW]
        if len(before) and len(after):
            out.append(float(np.nanmean(after) - np.nanmean(before)))
    return out


def fallbacks(err):
    return int(np.sum(np.diff(err) > FALLBACK))


def _smooth(x, k=25):
    x = np.asarray(x, float)
    if len(x) < k:
        return x
    c = np.cumsum(np.r_[0.0, np.nan_to_num(x)])
    return np.r_[np.full(k - 1, np.nan), (c[k:] - c[:-k]) / k]


def draw(config, results, figures):
    chance_loss = TASKS[config["task"]].chance_loss
    stats = {m: dict(spikes=0, jumps=[], fallbacks=0, max_norm=0.0, median_norm=[], final=[]) for m in METHODS}
    for r in results:
        for k, m in enumerate(r["methods"]):
            g, l = r["grad_norm"][k], r["train_loss"][k]
            sp = spikes(g)
            st = stats[m]
            st["spikes"] += len(sp)
            # the loss jump after each spike of the *unclipped* twin, seen in both runs of the seed
            st["jumps"] += loss_jumps(l, spikes(r["grad_norm"][0]))
            st["fallbacks"] += fallbacks(r["test_error"][k])
            st["max_norm"] = max(st["max_norm"], float(np.nanmax(g)))
            st["median_norm"].append(float(np.nanmedian(g)))
            st["final"].append(float(r["final_error"][k]))
    # the seed to show: the largest single loss jump of the unclipped run after a spike
    def worst(r):
        j = loss_jumps(r["train_loss"][0], spikes(r["grad_norm"][0]))
        return max(j) if j else -np.inf
    show = max(results, key=worst)
    sp = spikes(show["grad_norm"][0])
    jumps = loss_jumps(show["train_loss"][0], sp)
    at = int(sp[int(np.argmax(jumps))]) if jumps else None

    # the slide: the gradient norm and the loss beside it, one seed, both runs
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=FULL)
    steps = np.arange(show["grad_norm"].shape[1])
    for k, m in enumerate(METHODS):
        colour = METHOD_COLOURS[m]
        # the unclipped run on top: its spikes are the point; the clipped run's norm is before clipping
        ax1.plot(steps, show["grad_norm"][k], color=colour, lw=0.6, alpha=0.85 if m == "MSGD" else 0.6,
                 zorder=3 if m == "MSGD" else 2, label=METHOD_LABELS[m])
        ax2.plot(steps, show["train_loss"][k], color=colour, lw=0.3, alpha=0.2)
        ax2.plot(steps, _smooth(show["train_loss"][k]), color=colour, lw=1.5, label=METHOD_LABELS[m])
    thr = ax1.axhline(1.0, color=GREY, ls="-.", lw=1.0, label=_("порог клиппинга"))
    ax1.set_yscale("log")
    ax1.set_xlabel(_("шаг обучения"))
    ax1.set_title(_("$\\|\\nabla E\\|$ до клиппинга"))
    ax2.axhline(chance_loss, color=CHANCE, ls=":", lw=1.0, label=_("случайно"), zorder=1.5)   # under the runs: a run at chance stays visible
    ax2.set_xlabel(_("шаг обучения"))
    ax2.set_title(_("функция потерь"))
    ax2.set_ylim(0, max(2.5 * chance_loss, 0.1))
    if at is not None:
        for ax in (ax1, ax2):
            ax.axvline(at, color=GREY, lw=0.9, ls="--", zorder=0)
    h, lab = ax2.get_legend_handles_labels()
    legend_top(fig, h + [thr], lab + [_("порог клиппинга")], ncol=4, handlelength=1.5, columnspacing=0.8)
    save(fig, figures, "explosion")

    u, c = stats["MSGD"], stats["MSGD-C"]
    all_jumps = u["jumps"]
    return {
        "budget": budget(config), "task": TASK_TITLES[config["task"]], "length": config["length"],
        "init": config["init"], "seeds": config["seeds"], "updates": config["updates"], "shown_seed": int(show["seed"]),
        "spike_factor": SPIKE, "window": WINDOW, "fallback": FALLBACK, "test_n": config["test_n"],
        "spike_step": at, "spike_norm": float(show["grad_norm"][0][at]) if at is not None else None,
        "spike_jump": float(max(jumps)) if jumps else None,
        "spike_jump_clipped": (float(loss_jumps(show["train_loss"][1], [at])[0])
                               if at is not None and loss_jumps(show["train_loss"][1], [at]) else None),
        "max_norm_plain": u["max_norm"], "max_norm_clipped": c["max_norm"],
        "median_norm_plain": float(np.median(u["median_norm"])), "median_norm_clipped": float(np.median(c["median_norm"])),
        "spikes_plain": u["spikes"], "spikes_clipped": c["spikes"],
        "mean_jump_plain": float(np.mean(u["jumps"])) if u["jumps"] else None,
        "mean_jump_clipped": float(np.mean(c["jumps"])) if c["jumps"] else None,
        "median_jump_plain": float(np.median(all_jumps)) if all_jumps else None,
        "median_jump_clipped": float(np.median(c["jumps"])) if c["jumps"] else None,
        "fallbacks_plain": u["fallbacks"], "fallbacks_clipped": c["fallbacks"],
        "clipping_prevents_fallbacks": c["fallbacks"] < u["fallbacks"],
        "final_plain": u["final"], "final_clipped": c["final"],
        "median_final_plain": float(np.median(u["final"])), "median_final_clipped": float(np.median(c["final"])),
        "chance": float(TASKS[config["task"]].chance_error),
    }
