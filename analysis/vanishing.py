"""Numbers of experiments.vanishing: how ‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ moves during training, with and without Ω."""
import numpy as np

from experiments.vanishing import budget
from rnn import models
from rnn.models import LR, TASK_TITLES
from rnn.tasks import TASKS

MOMENTS = 4   # profiles drawn: the first record, the last, and evenly between


def ratio(profile):
    """‖∂E/∂h_1‖ / ‖∂E/∂h_T‖ of profiles (..., T)."""
    return profile[..., 0] / profile[..., -1]


def profiles(results):
    """(seeds, methods, records, T) ‖∂E/∂h_k‖."""
    return np.stack([r["dEdh"] for r in results])


def moments(results):
    """Indices of the records the figure draws: the first, the last and evenly between."""
    steps = results[0]["dEdh_steps"]
    return sorted(set(np.linspace(0, len(steps) - 1, MOMENTS).round().astype(int)))


def numbers(config, results):
    prof = profiles(results)
    r0 = ratio(prof[:, :, 0])    # (seeds, methods) at the first record
    rT = ratio(prof[:, :, -1])
    final = np.array([r["final_error"] for r in results])  # (seeds, methods)
    med = lambda a: float(np.exp(np.nanmedian(np.log(a))))  # noqa: E731
    return {
        "budget": budget(config), "task": TASK_TITLES[config["task"]], "length": config["length"],
        "init": config["init"], "seeds": config["seeds"], "updates": config["updates"], "omega": models.METHODS["MSGD-CR"][1], "lr": LR,
        "test_n": config["test_n"],
        "ratio_start": med(r0), "ratio_end_c": med(rT[:, 0]), "ratio_end_cr": med(rT[:, 1]),
        "median_final_c": float(np.median(final[:, 0])), "median_final_cr": float(np.median(final[:, 1])),
        "chance": float(TASKS[config["task"]].chance_error),
    }
