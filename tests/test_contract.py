"""The contract between an experiment and the documents, checked for every experiment in pipeline/registry.py
(smoke profile): run() is deterministic, figures/NAME.py draws exactly the declared figures and returns their
paths, every number analysis/NAME.py computes is read by a template, a claim or the pipeline, and every
document renders with this experiment alone, reading only numbers that exist (StrictUndefined).
A new experiment is covered by registering it, nothing else."""
import argparse
import os
from pathlib import Path

import numpy as np
import pytest
import torch

import build
from experiments import Unavailable
from analysis import claims
from pipeline import documents, registry

DOCUMENTS = [(t, extra) for _, t, extra in build.DOCUMENTS]


def assert_same(a, b, where="result"):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            if "seconds" not in k and "price" not in k:   # wall-clock timings are measurements, not results
                assert_same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, np.ndarray):
        np.testing.assert_array_equal(a, b, err_msg=where)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), where
    else:
        assert a == b, where


def context_for(numbers: dict) -> dict:
    args = argparse.Namespace(profile="smoke")
    from analysis import tables
    context = dict(profile="smoke", device="cpu", exp=numbers, skipped={}, env=build.environment(args, "cpu"),
                   shipped=None, constants=build.constants(), claims=claims.evaluate(numbers))
    context["tables"] = {name: tables.records(frame) for name, frame in tables.frames(context).items()}
    return context


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """{name: (config, specs, results, numbers, figure folder, saved paths)} for every registered experiment,
    computed once."""
    torch.set_num_threads(1)
    out = {}
    for e in registry.EXPERIMENTS:
        config = dict(e.compute.PROFILES["smoke"])
        specs = e.compute.jobs(config) if hasattr(e.compute, "jobs") else [{}]
        try:
            if hasattr(e.compute, "prepare"):
                e.compute.prepare(config)
            results = [e.compute.run(config, s, "cpu") for s in specs]
        except Unavailable:
            out[e.name] = None
            continue
        folder = tmp_path_factory.mktemp(e.name)
        saved = e.presentation.draw(config, results, folder)
        out[e.name] = (config, specs, results, e.analysis.numbers(config, results), folder, saved)
    return out


def have(drawn, name):
    if drawn[name] is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name}: its input data is missing in CI")
        pytest.skip(f"{name}: input data not available here")
    return drawn[name]


@pytest.mark.parametrize("name", registry.NAMES)
def test_run_is_deterministic(drawn, name):
    config, specs, results, _, _, _ = have(drawn, name)
    e = registry.BY_NAME[name]
    assert set(e.compute.PROFILES) == set(registry.PROFILES)
    assert_same(results[0], e.compute.run(config, specs[0], "cpu"))


@pytest.mark.parametrize("name", registry.NAMES)
def test_draws_exactly_the_declared_figures(drawn, name):
    _, _, _, numbers, folder, saved = have(drawn, name)
    declared = set(registry.BY_NAME[name].figures)
    assert {p.stem for p in folder.glob("*.pdf")} == declared
    assert {p.stem for p in folder.glob("*.png")} == declared
    assert {p.stem for p in folder.glob("*.csv")} == declared     # each figure's plotted numbers beside it
    assert sorted(saved) == sorted(p for p in folder.iterdir() if p.suffix in {".pdf", ".png", ".csv"})   # draw returns exactly the files it wrote
    assert isinstance(numbers["budget"], str) and numbers["budget"]


def unread(numbers: dict, readers: str) -> list:
    """The top-level number keys that no reader text reads as .key, ["key"] or .get("key")."""
    import re
    return [k for k in numbers if not re.search(rf'(\.{re.escape(k)}\b|\[\s*["\']{re.escape(k)}["\']\s*\]'
                                                rf'|get\(\s*["\']{re.escape(k)}["\'])', readers)]


def test_unread_finds_a_key_nobody_reads():
    assert unread({"final": 1, "spare": 2, "other": 3}, 'a.final p["other"]') == ["spare"]


@pytest.mark.parametrize("name", registry.NAMES)
def test_every_number_is_read(drawn, name):
    """A number nobody quotes is noise in results.json: every key analysis/NAME.py returns is read by a template,
    a claim (analysis/claims.py), a table (analysis/tables.py) or the pipeline (build.py, pipeline/)."""
    _, _, _, numbers, _, _ = have(drawn, name)
    root = Path(build.ROOT)
    readers = "".join(p.read_text() for p in (root / "templates").rglob("*") if p.is_file())
    readers += "".join(p.read_text() for p in [root / "analysis" / "claims.py", root / "analysis" / "tables.py", root / "build.py",
                                               *(root / "pipeline").glob("*.py")])
    assert unread(numbers, readers) == [], f"analysis/{name}.py returns numbers nothing reads"


# The templates of each document, by naming convention: the document's file and its folder (the exercise and the
# page share the problems).
PARTS = {"deck": ("deck.tex", "deck/"), "exercise": ("exercise.tex", "problems/"), "report": ("report.tex", "report/"),
         "page": ("page.md", "problems/")}


def parts(document: str) -> str:
    templates = Path(documents.TEMPLATES)
    main, folder = PARTS[document]
    return "".join(f.read_text() for f in [templates / main, *sorted((templates / folder).rglob("*"))])


def feeds(name: str) -> set:
    """The documents whose templates read experiment NAME (exp.NAME, or a part shown only `if "NAME" in exp`)."""
    import re
    return {document for document in PARTS if re.search(rf'exp\.{name}\b|"{name}" in exp', parts(document))}


@pytest.mark.parametrize("name", registry.NAMES)
def test_every_document_renders_with_this_experiment_alone(drawn, name):
    import re
    _, _, _, numbers, _, _ = have(drawn, name)
    numbers = {**numbers, "seconds": 1.0}
    assert feeds(name), f"no document reads experiment {name}"
    for template, extra in DOCUMENTS + [("page.md", {})]:
        latex = template.endswith(".tex")
        context = context_for({name: numbers})
        alone = (documents.render(template, {**context, **extra}, latex=latex) if latex
                 else documents.render_page(template, context)[0])
        empty = (documents.render(template, {**context_for({}), **extra}, latex=latex) if latex
                 else documents.render_page(template, context_for({}))[0])
        document = Path(template).stem.split("-")[0]
        if document in feeds(name) and extra.get("solutions", True):
            assert len(alone) > len(empty), f"{template} reads experiment {name} but shows nothing of it alone"
            # and every figure of NAME that the document's parts show is there: no part stays hidden behind a
            # condition on the wrong experiment
            for figure in set(registry.BY_NAME[name].figures) & set(re.findall(r'figure\("(\w+)"\)', parts(document))):
                assert (f"{figure}.pdf" if latex else f"/{figure}.png") in alone, f"{template}: {figure} missing with {name} alone"


def test_templates_are_whole_parts_found_by_name():
    """One template file per frame, section or problem, named after where it appears: every file ends its last line
    (no clause spliced into a sentence), has at least three lines, is included by a document under its own name,
    and every include names a file that exists."""
    import re
    templates = Path(documents.TEMPLATES)
    files = {p.relative_to(templates).as_posix(): p.read_text() for p in templates.rglob("*") if p.is_file()}
    assert len(files) < 40, f"{len(files)} template files: merge the small ones into the part they belong to"
    for name, text in files.items():
        assert text.endswith("\n") and text.count("\n") >= 3, f"{name} is a fragment, not a frame, section or problem"
    included = {m for text in files.values() for m in re.findall(r'(?:include|from) "([^"]+)"', text)}
    assert included <= set(files), f"included but missing: {included - set(files)}"
    roots = {t for _, t, _ in build.DOCUMENTS} | {"page.md", "common.tex"}
    assert set(files) - included - roots == set(), "template files no document uses"


def test_templates_name_figures_only_through_the_registry():
    import re
    for p in Path(documents.TEMPLATES).rglob("*"):
        if p.is_file():
            text = p.read_text()
            assert not re.search(r"\\includegraphics(\[[^\]]*\])?\{[a-z_0-9]+\.pdf\}", text), p
            assert "problem_set_07/" not in text, p


@pytest.mark.parametrize("name", registry.NAMES)
def test_build_with_only_this_experiment_compiles_every_document(name, tmp_path, needs_tex):
    """--only NAME on an empty cache: the documents hold this experiment's sections alone, and they compile."""
    import json

    from conftest import run_build, skipped_for_input
    proc = run_build("--profile", "smoke", "--only", name, "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    if name in skipped_for_input(proc.stdout):
        pytest.skip(f"{name}: input data not available here")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert set(results["exp"]) <= {name} and set(results["exp"]) | set(results["skipped"]) == set(registry.NAMES)
    for pdf in ("deck", "exercise", "exercise-student", "report"):
        assert (tmp_path / "out" / f"{pdf}.pdf").stat().st_size > 1000
