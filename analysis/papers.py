"""The papers' own constants, in one place: their lengths, budgets and reported results, and the later work the
report cites beside them. Pascanu, Mikolov & Bengio 2013 ("On the difficulty of training recurrent neural
networks"); Le, Jaitly & Hinton 2015 ("A simple way to initialize recurrent networks of rectified linear units")."""
from experiments.pathological import PAPER_MAX_UPDATES   # noqa: F401  (the run caps its updates at it: compute)
from experiments.sequential_mnist import PAPER_UPDATES   # noqa: F401  (ditto, for the budget line)

# ----------------------------------------------------------------------------- Pascanu et al. 2013
PASCANU_LENGTHS = [50, 100, 150, 200]    # Fig. 7's sequence lengths
PASCANU_SEEDS = 5                        # runs per cell of Fig. 7
PASCANU_GENERALISED_TO = 5000            # §4.3: trained on lengths 50-200, generalised to 5,000 (temporal order)
PASCANU_TRAIN_LENGTHS = [50, 200]
# §4.1's common settings of the synthetic tasks (design/PAPERS.md); the Ω weight 4 is unverified there
PASCANU_SETUP = dict(units=50, batch=20, lr=0.01, momentum=0, clip=1, omega_weight=4, omega_weight_unverified=True,
                     max_updates=PAPER_MAX_UPDATES, seeds=PASCANU_SEEDS, lengths=PASCANU_LENGTHS, tasks=6,
                     test_sequences=10_000, wrong_below=0.01, train_lengths=PASCANU_TRAIN_LENGTHS)
# the authors' code (pascanur/trainingRNNs, RNN.py) where it differs from the text: Ω's form and its weight α, and the
# step taken on a NaN, Inf or huge (> bad_norm) gradient norm: bad_step·W_rec on W_rec, zero elsewhere
PASCANU_CODE = dict(omega_alpha=2, bad_norm=1e10, bad_step=0.02)

# ----------------------------------------------------------------------------- Le et al. 2015
LE_LENGTHS = [150, 200, 300, 400]        # the adding problem's sequence lengths T
# the adding problem's protocol as far as it could be checked: hidden units and batch are unverified (the usual
# reading); the optimiser, rate, clipping, updates, seeds and test set are not stated in what could be read
LE_ADDING_SETUP = dict(models=["IRNN", "RNN+tanh", "LSTM"], lengths=LE_LENGTHS, units=100, batch=16,
                       unverified={"units", "batch"})
# test accuracy in % (pixel MNIST, permuted MNIST); the LSTM's numbers could not be verified in the paper's text
LE_MNIST = {"irnn": {"mnist": 97.0, "permuted": 82.0}, "tanh_gauss": {"mnist": 35.0, "permuted": 35.0},
            "lstm": {"mnist": 65.0, "permuted": 36.0}}
LE_MNIST_UNVERIFIED = {"lstm"}

# ----------------------------------------------------------------------------- later work, for the report's context
# the adding problem (Arjovsky et al. 2016; Li et al. 2018)
LATER_ADDING = dict(urnn_min_length=100, urnn_max_length=750, urnn_units=128, urnn_lr=1e-3, urnn_clip=1.0,
                    urnn_lstm_solves_up_to=400, indrnn_fail_length=1000)
# sequential MNIST: (model, pixel MNIST %, permuted MNIST %)
LATER_MNIST = [("uRNN (Arjovsky et al. 2016)", 95.1, 91.4), ("LSTM (as run by Arjovsky et al. 2016)", 98.2, 88.0),
               ("LSTM (Cooijmans et al. 2017)", 98.9, 90.2), ("IndRNN, 6 layers (Li et al. 2018)", 99.0, 96.0)]
