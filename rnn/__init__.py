"""A small RNN library: K independent small RNNs trained as one batched computation with a hand-written BPTT.

    engine.py        Member (one run's settings) and Ensemble: parameter layout, forward, BPTT, the update
    init.py          initial recurrent matrices and a member's parameters
    losses.py        cross-entropy and MSE with their gradients
    optim.py         clipping by the global gradient norm (the update rules are Ensemble._update)
    regularisers.py  Pascanu et al.'s Omega, in the paper's form and in the authors' code's
    fit.py           the training loop (evaluation, success check, early stop)
    tasks.py         the pathological tasks and the adding problem
    models.py        the papers' recipes: Pascanu et al.'s inits, methods and protocol; Le et al.'s five models
    data.py          the MNIST loader

It knows nothing of experiments, figures or documents (tests/test_layout.py checks the import direction)."""


def setup_torch(threads: int | None = 1):
    """The process settings every training run uses; the one place they are set (pipeline/runner.py calls it
    in each job's thread, tests/conftest.py and benchmarks/ at start). Flush-to-zero: identity-initialised ReLU
    nets decay into denormal floats, which run ~100x slower on x86 without it, and it is part of what the
    numbers are (it is a per-thread setting, hence in each job's thread). One torch thread: tiny RNNs are
    latency-bound, and on a shared 2-core CPU a second thread stalls on OpenMP under load."""
    import torch
    if threads:
        torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.use_deterministic_algorithms(True, warn_only=True)
