"""The course's look for figures: Okabe-Ito palette, DejaVu Sans, and reproducible files
(a PDF for LaTeX with no timestamp in it, a PNG copy for the MyST page)."""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BLUE, RED, YELLOW, GREEN = "#0072B2", "#D55E00", "#F0E442", "#008000"
ORANGE, SKY, PURPLE, GREY = "#E69F00", "#56B4E9", "#CC79A7", "#777777"
CYCLE = [BLUE, RED, GREEN, ORANGE, PURPLE, SKY, GREY, "#000000"]

plt.rcParams.update({
    "font.family": "DejaVu Sans",
    "mathtext.fontset": "dejavusans",
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.labelsize": 10,
    "legend.fontsize": 8,
    "axes.prop_cycle": matplotlib.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.25,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "pdf.fonttype": 42,  # embed TrueType so the PDF text stays searchable
    "svg.hashsalt": "rnn-gradients",
})


SAVED: list[Path] = []  # every file save() wrote, so the build can cache an experiment's figures


def save(fig, folder: Path, name: str) -> str:
    """Writes folder/name.pdf and folder/name.png; returns name (templates refer to figures by name)."""
    folder = Path(folder)
    SAVED.extend([folder / f"{name}.pdf", folder / f"{name}.png"])
    folder.mkdir(parents=True, exist_ok=True)
    fig.savefig(folder / f"{name}.pdf", metadata={"CreationDate": None, "ModDate": None, "Producer": None})
    fig.savefig(folder / f"{name}.png", dpi=150, metadata={"Software": None})
    plt.close(fig)
    return name


def budget_note(ax, text: str):
    """Every figure says what budget produced it: small and grey, under the whole figure."""
    fig = ax.figure
    fig.text(0.99, 0.0, text, ha="right", va="top", fontsize=7, color=GREY, wrap=True)


# one colour per concept across all figures
METHOD_COLOURS = {"MSGD": RED, "MSGD-C": BLUE, "MSGD-CR": GREEN, "MSGD-CR (text)": PURPLE}
MODEL_COLOURS = {"irnn": RED, "relu_gauss": ORANGE, "tanh_gauss": GREY, "tanh_orth": BLUE, "lstm": GREEN}
MODEL_LABELS = {"irnn": "IRNN (ReLU, W = I)", "relu_gauss": "RNN + ReLU, Gaussian W",
                "tanh_gauss": "RNN + tanh, Gaussian W", "tanh_orth": "RNN + tanh, orthogonal W",
                "lstm": "LSTM (forget bias 1)"}
