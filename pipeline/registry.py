"""The experiments, declared once: what each computes (experiments/NAME.py), the numbers the documents quote
(analysis/NAME.py's numbers), what it draws (figures/NAME.py's draw), which claims of the papers it backs, and
which document sections it feeds. The three modules are found by the experiment's name and imported only when
asked for (pipeline/ imports nothing from figures/ at import time: tests/test_layout.py).

A document template never asks "is experiment X there?": it iterates over a slot, e.g.
    \\BLOCK{for s in sections["deck.exploding"]}\\BLOCK{include s}\\BLOCK{endfor}
and gets the section templates of the experiments this build has, in the order below (a template fed by
several experiments appears once). Adding an experiment means adding it here; the contract test
(tests/test_contract.py) then covers it.
"""
import importlib
from dataclasses import dataclass, field

PROFILES = ("smoke", "default", "full", "paper")

@dataclass(frozen=True)
class Experiment:
    name: str
    claims: tuple = ()                             # ids of analysis/claims.py's CLAIMS
    figures: tuple = ()                            # file names (without .pdf/.png) that figures/NAME.py draws
    sections: dict = field(default_factory=dict)   # slot -> section templates this experiment feeds

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


# The Le et al. sections that any of adding, sequential_mnist and gradient_flow brings in (the setup, the frame
# and paragraphs their own sections sit in)
LE_SHARED = {
    "deck.adding_sequential_mnist": ("deck/initialisation.tex",),
    "report.adding_sequential_mnist": ("report_adding_sequential_mnist.tex",),
    "report.adding_sequential_mnist2": ("report/irnn.tex",),
}

EXPERIMENTS = [
    Experiment("jacobian", claims=('C1', 'C8'), figures=('jacobian_gaussian', 'jacobian_special', 'jacobian_spectrum'),
               sections={
                 "deck.jacobian": ('deck/vanishing_exploding.tex',),
                 "exercise/solution_a.jacobian": ('exercise/solution_a_jacobian.tex',),
                 "exercise/solution_c.jacobian": ('exercise/solution_c_jacobian.tex',),
                 "page.jacobian": ('page_jacobian.md',),
                 "page.jacobian2": ('page_jacobian2.md',),
                 "report.jacobian": ('report/jacobian.tex',)}),
    Experiment("cliff", claims=('C2',), figures=('cliff_surface', 'cliff_map'),
               sections={
                 "deck.cliff": ('deck/clipping.tex',),
                 "exercise/solution_b.cliff": ('exercise/solution_b_cliff.tex',),
                 "page.cliff": ('page_cliff.md',),
                 "report.cliff": ('report/cliff.tex',)}),
    Experiment("explosion", claims=('C3',), figures=('explosion',),
               sections={
                 "deck.explosion": ('deck/explosion.tex',),
                 "report.training": ('report/pascanu_explosion.tex',),
                 "report.training.verdicts": ('report/pascanu_explosion2.tex',)}),
    Experiment("tbptt", claims=('C5',), figures=('tbptt',),
               sections={
                 "deck.tbptt": ('deck/tbptt.tex',),
                 "report.training": ('report/pascanu_tbptt.tex',)}),
    Experiment("vanishing", claims=('C4',), figures=('vanishing',),
               sections={
                 "deck.vanishing": ('deck/vanishing.tex',),
                 "report.training": ('report/pascanu_vanishing.tex',),
                 "report.training.verdicts": ('report/pascanu_vanishing2.tex',)}),
    Experiment("pathological", claims=('C3', 'C4'), figures=('pathological_fig7', 'pathological_curves', 'pathological_tasks'),
               sections={
                 "deck.pathological": ('deck/pathological.tex',),
                 "report.pathological": ('report_pathological.tex',),
                 "report.pathological2": ('report/pascanu.tex',)}),
    Experiment("length_generalisation", claims=('C4',), figures=('length_generalisation',),
               sections={
                 "deck.length_generalisation": ('deck/pathological_length_generalisation.tex',),
                 "report.training": ('report/pascanu_length_generalisation.tex',)}),
    Experiment("adding", claims=('C6',), figures=('adding_mse', 'adding_irnn_lr'),
               sections={**LE_SHARED,
                 "deck/initialisation.adding": ('deck/initialisation_adding.tex',),
                 "deck/initialisation.adding2": ('deck/initialisation_adding2.tex',),
                 "deck/initialisation.adding3": ('deck/initialisation_adding3.tex',),
                 "report/irnn.adding": ('report/irnn_adding.tex',),
                 "report/irnn.adding2": ('report/irnn_adding2.tex',),
                 "report/irnn.adding3": ('report/irnn_adding3.tex',),
                 "report/irnn.adding4": ('report/irnn_adding4.tex',)}),
    Experiment("sequential_mnist", claims=('C7',), figures=('mnist_accuracy',),
               sections={**LE_SHARED,
                 "deck/initialisation.sequential_mnist": ('deck/initialisation_sequential_mnist.tex',),
                 "deck/initialisation.sequential_mnist2": ('deck/initialisation_sequential_mnist2.tex',),
                 "report/irnn.sequential_mnist": ('report/irnn_sequential_mnist.tex',),
                 "report/irnn.sequential_mnist2": ('report/irnn_sequential_mnist2.tex',),
                 "report/irnn.sequential_mnist3": ('report/irnn_sequential_mnist3.tex',),
                 "report/irnn.sequential_mnist4": ('report/irnn_sequential_mnist4.tex',)}),
    Experiment("gradient_flow", claims=('C6', 'C8'), figures=('gradient_flow',),
               sections={**LE_SHARED,
                 "deck/initialisation.gradient_flow": ('deck/initialisation_gradient_flow.tex',),
                 "deck/initialisation.gradient_flow2": ('deck/initialisation_gradient_flow2.tex',),
                 "deck/initialisation.gradient_flow3": ('deck/initialisation_gradient_flow3.tex',),
                 "report/irnn.gradient_flow": ('report/irnn_gradient_flow.tex',),
                 "report/irnn.gradient_flow2": ('report/irnn_gradient_flow2.tex',),
                 "exercise/solution_c.gradient_flow": ('exercise/solution_c_gradient_flow.tex',),
                 "page.gradient_flow": ('page_gradient_flow.md',)}),
]
BY_NAME = {e.name: e for e in EXPERIMENTS}
NAMES = list(BY_NAME)


def sections(available) -> dict:
    """slot -> section templates of the available experiments, in registry order, each template once."""
    slots = {slot: [] for e in EXPERIMENTS for slot in e.sections}   # every declared slot, maybe empty
    for e in EXPERIMENTS:
        if e.name in available:
            for slot, templates in e.sections.items():
                slots[slot] += [t for t in templates if t not in slots[slot]]
    return slots
