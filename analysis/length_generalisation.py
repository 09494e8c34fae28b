"""Numbers of experiments.length_generalisation: the median test error at each length, trained on a range."""
import numpy as np

from analysis.papers import PASCANU_GENERALISED_TO, PASCANU_TRAIN_LENGTHS
from experiments.length_generalisation import TASK, budget
from rnn.models import TASK_TITLES
from rnn.tasks import TASKS, success


def errors(results):
    """(seeds, lengths) test errors."""
    return np.array([r["error"] for r in results])


def numbers(config, results):
    Ls = config["eval_lengths"]
    med = np.median(errors(results), axis=0)
    ok = [L for L, e in zip(Ls, med) if success(e)]
    return {
        "budget": budget(config), "task": TASK_TITLES[TASK], "min_length": config["min_length"],
        "max_length": config["max_length"] - 1,
        "generalises": bool(ok and max(ok) > config["max_length"] - 1), "seeds": config["seeds"], "updates": config["updates"],
        "test_n": config["test_n"], "eval_lengths": Ls, "median_error": [float(e) for e in med],
        "longest": Ls[-1], "error_longest": float(med[-1]),
        "longest_success": max(ok) if ok else None,
        "ratio_longest": Ls[-1] / (config["max_length"] - 1), "paper_length": PASCANU_GENERALISED_TO,
        "paper_train": PASCANU_TRAIN_LENGTHS, "chance": float(TASKS[TASK].chance_error),
    }
