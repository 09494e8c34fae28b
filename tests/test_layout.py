"""The import direction of the project's packages: each imports only the ones below it,

    i18n, rnn  →  experiments  →  analysis  →  figures  →  pipeline  →  build.py

(i18n, the documents' languages, and rnn, the RNN library, import nothing of the project but themselves). Every
import statement counts, at module level or inside a function. pipeline/ imports nothing from figures/: the
registry names figures/NAME.py by the experiment's name and imports it only when a build draws (checked below by
importing the pipeline and looking at what got loaded). analysis/ and everything below it never import
matplotlib, so the numbers and claims need no plotting library."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RANK = {"i18n": 0, "rnn": 0, "experiments": 1, "analysis": 2, "figures": 3, "pipeline": 4, "build": 5}
ALLOWED = {"i18n": {"i18n"}, "rnn": {"rnn"}}   # the two bottom packages: themselves only
FORBIDDEN = {"pipeline": {"figures"}}           # the registry resolves figures/NAME.py by name, when drawing
NO_MATPLOTLIB = ("i18n", "rnn", "experiments", "analysis")


def imported(source: str) -> set[str]:
    """Top-level names of every module a source imports (absolute imports; the project uses no relative ones)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def violations(files: dict[str, str]) -> list[str]:
    """'file imports X' for each import that goes upward (or sideways out of i18n / rnn, or from pipeline/ into
    figures/), or of matplotlib below figures/. files: {path relative to the root: source}."""
    found = []
    for path, source in files.items():
        package = Path(path).parts[0].removesuffix(".py")
        for name in sorted(imported(source)):
            if name in RANK and (name not in ALLOWED.get(package, RANK) or RANK[name] > RANK[package]
                                 or name in FORBIDDEN.get(package, ())):
                found.append(f"{path} imports {name}")
            if name == "matplotlib" and package in NO_MATPLOTLIB:
                found.append(f"{path} imports matplotlib")
    return found


def project_files() -> dict[str, str]:
    files = {p.relative_to(ROOT).as_posix(): p.read_text() for package in RANK if package != "build"
             for p in (ROOT / package).rglob("*.py")}
    files["build.py"] = (ROOT / "build.py").read_text()
    return files


def test_the_checker_catches_an_upward_import():
    assert violations({"rnn/engine.py": "import torch\nfrom rnn.init import init_member"}) == []
    assert violations({"rnn/engine.py": "def f():\n    from experiments import adding"}) == ["rnn/engine.py imports experiments"]
    assert violations({"analysis/x.py": "import matplotlib.pyplot as plt"}) == ["analysis/x.py imports matplotlib"]
    assert violations({"pipeline/runner.py": "from figures import style"}) == ["pipeline/runner.py imports figures"]
    assert violations({"i18n/__init__.py": "from pipeline import documents"}) == ["i18n/__init__.py imports pipeline"]
    assert violations({"figures/a.py": "from analysis.adding import BASELINE\nimport i18n"}) == []


def test_no_package_imports_one_above_it():
    files = project_files()
    assert {f.split("/")[0] for f in files} >= set(RANK) - {"build"} | {"build.py"}
    assert violations(files) == []


@pytest.mark.parametrize("modules, banned", [
    ("pipeline.registry pipeline.runner pipeline.cache pipeline.documents pipeline.lock", "figures"),
    ("analysis.claims analysis.problems analysis.papers analysis.labels analysis.results "
     + " ".join(f"analysis.{p.stem}" for p in (ROOT / "analysis").glob("*.py") if p.stem != "__init__"), "matplotlib"),
])
def test_what_an_import_loads(modules, banned):
    """Importing these modules (in a fresh interpreter) loads nothing of `banned`."""
    code = (f"import sys\nfor m in {modules.split()!r}: __import__(m)\n"
            f"print(sorted(m for m in sys.modules if m == {banned!r} or m.startswith({banned!r} + '.')))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", f"importing {modules} loads {proc.stdout.strip()}"


def test_no_module_is_much_over_400_lines():
    """Small readable files: none of the project's Python modules passes ~400 lines (450 at most)."""
    assert {f: n for f, s in project_files().items() if (n := s.count("\n")) > 450} == {}
