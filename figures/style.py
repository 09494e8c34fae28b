"""The course's look for figures: Okabe-Ito palette, DejaVu Sans (the slides' family), reproducible files
(a PDF for LaTeX with no timestamp in it, a PNG copy for the MyST page).

Slide figures are drawn at their final size: the deck includes them at scale 1 (\\includegraphics without a
width), so a figure's size here is its size on the frame and its font sizes are the sizes a room reads.
The 16:9 Beamer frame (12pt) has a text width of 398 pt = 5.5 in; under a title and above one takeaway line
about 2.5 in of height are left. Nothing in a figure is smaller than 9 pt."""
from pathlib import Path

import matplotlib

from analysis.labels import METHOD_LABELS, METHOD_SHORT, MODEL_LABELS, MODEL_SHORT, TASK_LABELS  # noqa: F401
from i18n import Labels, N_, _  # noqa: F401  (figures/*.py take _ from here)

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BLUE, RED, YELLOW, GREEN = "#0072B2", "#D55E00", "#F0E442", "#008000"
ORANGE, SKY, PURPLE, GREY = "#E69F00", "#56B4E9", "#CC79A7", "#777777"
BROWN, TEAL = "#8C564B", "#117733"
CHANCE = "black"            # chance / baseline levels: always black, dotted
CYCLE = [BLUE, RED, GREEN, ORANGE, PURPLE, SKY, GREY, "#000000"]

# final sizes in inches (the deck's text width is 5.5 in)
FULL_W = 5.5
FULL_H = 2.3
FULL = (FULL_W, FULL_H)               # a figure across the whole frame under a title
HALF = (2.7, 2.3)                     # a figure in a half-width column
MIN_PT = 9                            # the smallest text in any figure

plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "legend.title_fontsize": 9,
    "legend.frameon": False,
    "figure.titlesize": 10,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "figure.dpi": 100,
    "figure.constrained_layout.use": True,   # the saved file has exactly figsize: the size on the frame
    "savefig.bbox": "standard",
    "pdf.fonttype": 42,  # embed TrueType so the PDF text stays searchable
    "svg.hashsalt": "rnn-gradients",
    "axes.formatter.use_locale": False,
})


CHECKS: list = []   # callables (fig, folder / name) run on every saved figure before it closes (tests/test_figures.py)


def save(fig, folder: Path, name: str) -> list[Path]:
    """Writes folder/name.pdf and folder/name.png and returns both paths (a draw() returns every path it saved,
    so the build can cache an experiment's figures; templates refer to a figure by its name)."""
    folder = Path(folder)
    _tidy_log_axes(fig)
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.pdf", metadata={"CreationDate": None, "ModDate": None, "Producer": None})
    fig.savefig(folder / f"{name}.png", dpi=200, metadata={"Software": None})
    for check in CHECKS:
        check(fig, folder / name)
    plt.close(fig)
    return [folder / f"{name}.pdf", folder / f"{name}.png"]


def _tidy_log_axes(fig):
    """Log axes spanning more than a decade label only the powers of ten (no "4 × 10⁻¹" clutter)."""
    import math
    from matplotlib.ticker import NullFormatter
    for ax in fig.axes:
        for axis, scale, lim in ((ax.yaxis, ax.get_yscale(), ax.get_ylim()), (ax.xaxis, ax.get_xscale(), ax.get_xlim())):
            if scale == "log" and min(lim) > 0 and math.log10(max(lim) / min(lim)) >= 2:
                axis.set_minor_formatter(NullFormatter())


def legend_right(ax_or_fig, handles=None, labels=None, **kw):
    """A legend outside the data, to the right of the axes (or of the whole figure)."""
    if handles is None:
        handles, labels = ax_or_fig.get_legend_handles_labels()
    if hasattr(ax_or_fig, "add_subplot"):   # a figure
        return ax_or_fig.legend(handles, labels, loc="outside right center", **kw)
    return ax_or_fig.legend(handles, labels, loc="center left", bbox_to_anchor=(1.02, 0.5), borderaxespad=0, **kw)


def legend_top(fig, handles=None, labels=None, ncol=3, **kw):
    """A legend outside the data, above the panels."""
    if handles is None:
        handles, labels = fig.axes[0].get_legend_handles_labels()
    return fig.legend(handles, labels, loc="outside upper center", ncol=ncol, **kw)


def log_ticks(ax, axis="y"):
    """Powers of ten as 10^k in mathtext (matplotlib's default already does this for log axes)."""
    return ax


# one colour per concept across all figures of all documents (the names: analysis/labels.py)
NO_CLIP, CLIP, CLIP_OMEGA = RED, BLUE, GREEN
CLIP_OMEGA_TEXT = "#7CC47C"   # the same idea, Ω as the paper's text writes it: a lighter green
METHOD_COLOURS = {"MSGD": NO_CLIP, "MSGD-C": CLIP, "MSGD-CR": CLIP_OMEGA, "MSGD-CR (text)": CLIP_OMEGA_TEXT}
MODEL_COLOURS = {"irnn": ORANGE, "relu_gauss": BROWN, "tanh_gauss": GREY, "tanh_orth": SKY, "lstm": PURPLE}
# the special recurrent matrices of the Jacobian experiment: the same concepts as the models above
W_COLOURS = {"orthogonal": SKY, "identity": ORANGE, "sparse": TEAL}
W_LABELS = Labels({"orthogonal": N_("ортогональная $W$"), "identity": N_("$W = I$"), "sparse": N_("разреженная $W$, $\\rho = 0.95$")})
ACTIVATION_LABELS = Labels({"tanh": N_("tanh ($\\gamma = 1$)"), "sigmoid": N_("сигмоида ($\\gamma = 1/4$)"),
                     "relu": N_("ReLU ($\\gamma = 1$)"), "linear": N_("$f(z) = z$ ($\\gamma = 1$)")})
INIT_LABELS = Labels({"sigmoid": N_("сигмоида"), "basic tanh": N_("tanh, обычная"), "smart tanh": N_("tanh, «умная»")})
