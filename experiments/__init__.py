"""One module per experiment. Each holds its config per profile at the top (PROFILES) and:
    jobs(config) -> [spec, ...]          independent units of work, each cached on its own (optional)
    run(config, spec, device) -> dict    pure: the same inputs give the same results
    report(config, results, figures) -> dict   draws figures from cached results, returns the numbers
                                              the documents quote
    budget(config) -> str                one line saying what the profile affords
The order below is the order of the documents."""
PROFILES = ("smoke", "default", "full", "paper")


class Unavailable(Exception):
    """Raised by run() when an experiment cannot run here (e.g. no MNIST): reported as skipped, never cached."""

EXPERIMENTS = [
    "jacobian",   # the product of Jacobians and its bound (exercise part а)
    "cliff",      # Pascanu et al. Fig. 6: the one-unit cliff and clipping
    "explosion",               # Pascanu et al. 2013: how to see an explosion (gradient norm, loss), clipping
    "tbptt",                   # truncated BPTT: windows shorter/longer than the lag, and its price
    "vanishing",               # ‖∂E/∂h_k‖ across k during training, with and without Ω
    "pathological",            # the pathological tasks: Fig. 7 analogue and the tasks × methods table
    "length_generalisation",   # trained on short sequences, tested on much longer ones
    "adding", "sequential_mnist", "gradient_flow",   # Le et al. 2015 (issue 5): IRNN vs tanh vs LSTM
]
