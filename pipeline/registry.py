"""The experiments, declared once: what each computes (experiments/NAME.py), the numbers the documents quote
(analysis/NAME.py's numbers), what it draws (figures/NAME.py's draw) and which claims of the papers it backs.
The three modules are found by the experiment's name and imported only when asked for (pipeline/ imports
nothing from figures/ at import time: tests/test_layout.py).

Documents find their parts by name, not through this registry: a frame, section or problem is the template
file named after where it appears (templates/deck/clipping.tex is the deck's clipping frame, templates/report/
irnn.tex the report's IRNN section), and it shows itself only when the experiments it reads are there,
    \\BLOCK{if "cliff" in exp}...\\BLOCK{endif}
so `--only NAME` renders every part that NAME feeds and nothing that needs another. Adding an experiment means
adding it here and writing its frame/section; the contract test (tests/test_contract.py) then covers it.
"""
import importlib
from dataclasses import dataclass

PROFILES = ("smoke", "default", "full", "paper")

@dataclass(frozen=True)
class Experiment:
    name: str
    claims: tuple = ()                             # ids of analysis/claims.py's CLAIMS
    figures: tuple = ()                            # file names (without .pdf/.png) that figures/NAME.py draws

    @property
    def compute(self):
        """experiments/NAME.py: PROFILES, jobs, run, budget."""
        return importlib.import_module(f"experiments.{self.name}")

    @property
    def analysis(self):
        """analysis/NAME.py: numbers(config, results) -> dict."""
        return importlib.import_module(f"analysis.{self.name}")

    @property
    def presentation(self):
        """figures/NAME.py: draw(config, results, folder) -> the paths it saved."""
        return importlib.import_module(f"figures.{self.name}")


EXPERIMENTS = [
    Experiment("jacobian", claims=('C1', 'C8'), figures=('jacobian_gaussian', 'jacobian_special', 'jacobian_spectrum')),
    Experiment("cliff", claims=('C2',), figures=('cliff_surface', 'cliff_map')),
    Experiment("explosion", claims=('C3',), figures=('explosion',)),
    Experiment("tbptt", claims=('C5',), figures=('tbptt',)),
    Experiment("vanishing", claims=('C4',), figures=('vanishing',)),
    Experiment("pathological", claims=('C3', 'C4'), figures=('pathological_fig7', 'pathological_curves', 'pathological_tasks')),
    Experiment("length_generalisation", claims=('C4',), figures=('length_generalisation',)),
    Experiment("adding", claims=('C6',), figures=('adding_mse', 'adding_irnn_lr')),
    Experiment("sequential_mnist", claims=('C7',), figures=('mnist_accuracy',)),
    Experiment("gradient_flow", claims=('C6', 'C8'), figures=('gradient_flow',)),
]
BY_NAME = {e.name: e for e in EXPERIMENTS}
NAMES = list(BY_NAME)

