"""Compute only: one module per experiment, each with its configuration per profile at the top (PROFILES) and
    jobs(config) -> [spec, ...]          independent units of work, each cached on its own (optional)
    run(config, spec, device) -> dict    pure: the same inputs give the same results
    budget(config) -> str                one line saying what the profile affords
    prepare(config, data_dir) -> config  fetch inputs once before the jobs fan out; the config the jobs run with (optional)
plus the shared parts (engine, tasks, models, mnist). Nothing here draws: figures/ turns results into
figures and numbers, and pipeline/registry.py declares the experiments."""


class Unavailable(Exception):
    """Raised by run() when an experiment cannot run here (e.g. no MNIST): reported as skipped, never cached."""
