"""Compute only: one module per experiment, each with its configuration per profile at the top (PROFILES) and
    jobs(config) -> [spec, ...]          independent units of work, each cached on its own (optional)
    run(config, spec, device) -> dict    pure: the same inputs give the same results
    budget(config) -> str                one line saying what the profile affords
    prepare(config, data_dir) -> config  fetch inputs once before the jobs fan out; the config the jobs run with (optional)
They train with the RNN library in rnn/ and import nothing else of the project. Nothing here draws:
analysis/NAME.py turns results into numbers, figures/NAME.py into figures, and pipeline/registry.py declares
the experiments."""
import json
from pathlib import Path


class Unavailable(Exception):
    """Raised by run() when an experiment cannot run here (e.g. no MNIST): reported as skipped, never cached."""


# The learning rates a shipped `full` run chose on validation data (build.py --profile full --ship writes this file
# from the run's results, never by hand): the `default` profile trains at them. A data file, not code: a new
# choice changes `default`'s config, and with it only `default`'s cache keys, never the code the jobs hash.
CHOSEN_RATES = Path(__file__).resolve().parent.parent / "results" / "full" / "chosen_rates.json"


def chosen_rates(experiment: str, key: str, provisional: dict, source: str) -> tuple[dict, str]:
    """({model: lr}, where they came from) for EXPERIMENT at KEY (a length, a dataset): as the shipped full run
    chose them, or PROVISIONAL with SOURCE where no run has chosen for every model yet (or the file cannot be
    read: a default build must run)."""
    try:
        entry = json.loads(CHOSEN_RATES.read_text(encoding="utf-8"))[experiment]
        rates = {m: float(entry["lr"][key][m]) for m in provisional}
        return rates, str(entry["source"])
    except (OSError, ValueError, KeyError, TypeError):
        return dict(provisional), source
