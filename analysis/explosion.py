"""Numbers of experiments.explosion: gradient-norm spikes, the loss jumps after them, fall-backs of the test
error, with and without clipping; and the seed whose largest jump the figure shows."""
import numpy as np

from analysis.stats import compare
from analysis.tbptt import LEARNED   # a run learned temporal order: final test error below 10 %
from experiments.explosion import METHODS, budget
from rnn.models import TASK_TITLES
from rnn.tasks import TASKS

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


def shown(results):
    """(the job whose unclipped run has the largest single loss jump after a spike, the update of that spike or
    None, the loss jumps after its spikes)."""
    def worst(r):
        j = loss_jumps(r["train_loss"][0], spikes(r["grad_norm"][0]))
        return max(j) if j else -np.inf
    show = max(results, key=worst)
    sp = spikes(show["grad_norm"][0])
    jumps = loss_jumps(show["train_loss"][0], sp)
    at = int(sp[int(np.argmax(jumps))]) if jumps else None
    return show, at, jumps


def numbers(config, results):
    stats = {m: dict(spikes=0, jumps=[], fallbacks=0, max_norm=0.0, median_norm=[], final=[]) for m in METHODS}
    for r in results:
        for k, m in enumerate(r["methods"]):
            g = r["grad_norm"][k]
            st = stats[m]
            st["spikes"] += len(spikes(g))
            # the loss jump after each spike of the *unclipped* twin, seen in both runs of the seed
            st["jumps"] += loss_jumps(r["train_loss"][k], spikes(r["grad_norm"][0]))
            st["fallbacks"] += fallbacks(r["test_error"][k])
            st["max_norm"] = max(st["max_norm"], float(np.nanmax(g)))
            st["median_norm"].append(float(np.nanmedian(g)))
            st["final"].append(float(r["final_error"][k]))
    show, at, jumps = shown(results)
    u, c = stats["MSGD"], stats["MSGD-C"]
    learned = {m: sum(e < LEARNED for e in stats[m]["final"]) for m in METHODS}
    learned_test = compare("fisher", (learned["MSGD-C"], len(c["final"])), (learned["MSGD"], len(u["final"])),
                           ("clipped", "plain"), f"runs that learned (final test error < {LEARNED:.0%})")
    return {
        "budget": budget(config), "task": TASK_TITLES[config["task"]], "length": config["length"],
        "init": config["init"], "seeds": config["seeds"], "updates": config["updates"], "shown_seed": int(show["seed"]),
        "spike_factor": SPIKE, "window": WINDOW, "fallback": FALLBACK, "test_n": config["test_n"],
        "spike_norm": float(show["grad_norm"][0][at]) if at is not None else None,
        "spike_jump": float(max(jumps)) if jumps else None,
        "spike_jump_clipped": (float(loss_jumps(show["train_loss"][1], [at])[0])
                               if at is not None and loss_jumps(show["train_loss"][1], [at]) else None),
        "max_norm_plain": u["max_norm"], "max_norm_clipped": c["max_norm"],
        "median_norm_plain": float(np.median(u["median_norm"])), "median_norm_clipped": float(np.median(c["median_norm"])),
        "spikes_plain": u["spikes"], "spikes_clipped": c["spikes"],
        "mean_jump_plain": float(np.mean(u["jumps"])) if u["jumps"] else None,
        "mean_jump_clipped": float(np.mean(c["jumps"])) if c["jumps"] else None,
        "fallbacks_plain": u["fallbacks"], "fallbacks_clipped": c["fallbacks"],
        "fewer_fallbacks_clipped": c["fallbacks"] < u["fallbacks"],
        "learned_level": LEARNED, "learned_clipped": learned["MSGD-C"], "learned_plain": learned["MSGD"],
        "learned_p": learned_test["p"], "learned_significant": bool(learned_test["significant"]),
        "final_plain": u["final"], "final_clipped": c["final"],
        "median_final_plain": float(np.median(u["final"])), "median_final_clipped": float(np.median(c["final"])),
        "chance": float(TASKS[config["task"]].chance_error),
    }
