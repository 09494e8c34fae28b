"""The names people read: one table for the models, one for the training methods, one for the tasks. Marked
texts (N_) are msgids: the documents and figures translate them where they show them (i18n.Labels reads in the
active language); the plain English names serve the report and results.json."""
from i18n import Labels, N_
from rnn.models import LE_MODELS

# Le et al.'s five models: (English name for the report, short marked name for figures)
MODELS = {
    "irnn":       ("IRNN (ReLU, W = I)", N_("IRNN ($W = I$)")),
    "relu_gauss": ("RNN + ReLU, Gaussian W", N_("ReLU, гаусс. $W$")),
    "tanh_gauss": ("RNN + tanh, Gaussian W", N_("tanh, гаусс. $W$")),
    "tanh_orth":  ("RNN + tanh, orthogonal W", N_("tanh, ортог. $W$")),
    "lstm":       (f"LSTM (forget bias {LE_MODELS['lstm']['forget_bias']:g})", N_("LSTM")),
}
MODEL_LABELS = {m: long for m, (long, _) in MODELS.items()}
MODEL_SHORT = Labels({m: short for m, (_, short) in MODELS.items()})

# Pascanu et al.'s methods: (short marked name, long marked name)
METHODS = {
    "MSGD":           (N_("без клиппинга"), N_("без клиппинга")),
    "MSGD-C":         (N_("клиппинг"), N_("клиппинг")),
    "MSGD-CR":        (N_("клиппинг + $\\Omega$"), N_("клиппинг + $\\Omega$")),
    "MSGD-CR (text)": (N_("$\\Omega$ статьи"), N_("клиппинг + $\\Omega$ (формула статьи)")),
}
METHOD_SHORT = Labels({m: short for m, (short, _) in METHODS.items()})
METHOD_LABELS = Labels({m: long for m, (_, long) in METHODS.items()})

# the tasks, marked for the documents (English names for budget lines: rnn/models.py's TASK_TITLES)
TASK_LABELS = Labels({"temporal_order": N_("временной порядок"), "temporal_order_3bit": N_("порядок, 3 символа"),
                      "adding": N_("сложение"), "multiplication": N_("умножение"),
                      "random_permutation": N_("перестановка"), "noiseless_memorization": N_("запоминание"),
                      "noiseless_memorization_authors": N_("запоминание")})
