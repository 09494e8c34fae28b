"""Compute only: one module per experiment, each with its configuration per profile at the top (PROFILES) and
    jobs(config) -> [spec, ...]          independent units of work, each cached on its own (optional)
    run(config, spec, device) -> dict    pure: the same inputs give the same results
    budget(config) -> str                one line saying what the profile affords
    prepare(config, data_dir) -> config  fetch inputs once before the jobs fan out; the config the jobs run with (optional)
They train with the RNN library in rnn/ and import nothing else of the project. Nothing here draws:
analysis/NAME.py turns results into numbers, figures/NAME.py into figures, and pipeline/registry.py declares
the experiments."""


class Unavailable(Exception):
    """Raised by run() when an experiment cannot run here (e.g. no MNIST): reported as skipped, never cached."""
