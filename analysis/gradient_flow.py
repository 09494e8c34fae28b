"""Numbers of experiments.gradient_flow: how much of the last step's error signal ‖∂E/∂h_T‖ reaches earlier
steps, per model, at initialisation and later. Typed: by_length[T] with T an int."""
import numpy as np

from analysis.labels import MODEL_LABELS
from experiments.gradient_flow import budget
from rnn.models import LE_MODELS

UNDERFLOW = 1e-30          # a ratio below this is reported as 0 (the float32 signal itself underflowed)


def figure_lengths(config) -> list:
    """The lengths the figure draws, one row each: the shortest and the longest (a slide holds two rows; with three,
    its labels measured under 6 pt)."""
    lengths = sorted(config["lengths"])
    return lengths if len(lengths) <= 2 else [lengths[0], lengths[-1]]


def recorded_steps(results):
    return [int(s) for s in results[0]["steps"]]


def profile(results, m, T, step):
    """‖∂E/∂h_k‖ for k = 1..T of model m at length T after `step` updates: the geometric mean over seeds."""
    r = next(r for r in results if (r["model"], r["length"]) == (m, T))
    d = r["dEdh"][:, recorded_steps(results).index(step), :].astype(np.float64)
    return np.exp(np.nanmean(np.log(d + 1e-300), axis=0))


def share(results, m, T, step):
    """‖∂E/∂h_k‖ / ‖∂E/∂h_T‖ for every k: the part of the last step's error signal that reaches step k."""
    p = profile(results, m, T, step)
    return p / p[T - 1]


def numbers(config, results):
    lengths = sorted(config["lengths"])
    steps = recorded_steps(results)

    def ratio(m, T, step, at):
        """‖∂E/∂h_at‖ / ‖∂E/∂h_T‖: how much of the last step's error signal reaches step `at`."""
        p = profile(results, m, T, step)
        r = float(p[at - 1] / p[T - 1])
        return r if r > UNDERFLOW else 0.0   # float32 signals below ~1e-38 are flushed to zero

    by_length = {T: {
        "ratio_start_init": {m: ratio(m, T, steps[0], 1) for m in LE_MODELS},
        "lstm_below_irnn": ratio("lstm", T, steps[0], T // 2) < ratio("irnn", T, steps[0], T // 2),
        "ratio_start_late": {m: ratio(m, T, steps[-1], 1) for m in LE_MODELS},
        "ratio_half_late": {m: ratio(m, T, steps[-1], T // 2) for m in LE_MODELS},
    } for T in lengths}
    forget_bias = LE_MODELS["lstm"]["forget_bias"]
    return {"budget": budget(config), "seeds": config["seeds"], "lengths": lengths, "steps": steps,
            "figure_lengths": figure_lengths(config),
            "last_step": steps[-1],
            "forget_gate_init": float(1 / (1 + np.exp(-forget_bias))), "labels": {m: MODEL_LABELS[m] for m in LE_MODELS},
            "by_length": by_length,
            # the headline numbers: the longest length
            **by_length[lengths[-1]], "length": lengths[-1], "short_length": lengths[0], "short": by_length[lengths[0]]}
