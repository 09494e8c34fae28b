"""The pipeline as a user meets it: build.py end to end, the cache, and the error cases."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import build
from conftest import ROOT, run_build, skipped_for_input
from pipeline.cache import Cache, DamagedEntry, compute_hash, entry_key, source_closure
from pipeline.registry import NAMES
from pipeline.documents import num

DOCS = ["deck", "exercise", "exercise-student", "report"]


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def summary_statuses(stdout):
    """{experiment: status} from the summary table, as printed."""
    return dict(re.findall(r"^experiment\s+(\S+)\s+(\S+(?: computed)?)", stdout, re.M))


def statuses(stdout):
    """summary_statuses without the experiments skipped for missing input data (outside CI only:
    conftest.skipped_for_input; in CI a build that skipped one fails the test)."""
    status = summary_statuses(stdout)
    for name in skipped_for_input(stdout):
        status.pop(name, None)
    return status


# --------------------------------------------------------------------------- the cache itself

def test_cache_roundtrip_and_damage(tmp_path):
    cache = Cache(tmp_path)
    cache.store("exp", "k1", {"a": [1, 2, 3]})
    assert cache.load("exp", "k1") == {"a": [1, 2, 3]}
    assert not list(tmp_path.rglob(".tmp-*"))
    path = cache.path("exp", "k1")
    blob = bytearray(path.read_bytes())
    blob[-3] ^= 0xFF
    path.write_bytes(bytes(blob))
    with pytest.raises(DamagedEntry):
        cache.load("exp", "k1")
    with pytest.raises(KeyError):
        cache.load("exp", "absent")


def test_cache_key_covers_imported_project_code():
    files = {p.relative_to(ROOT).as_posix() for p in source_closure(ROOT / "experiments" / "jacobian.py")}
    assert {"experiments/jacobian.py", "rnn/init.py", "rnn/__init__.py"} <= files   # a package's __init__ runs too
    assert "experiments/cliff.py" not in files
    assert not any(f.startswith("figures/") for f in files)   # compute never imports presentation


# --------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, words", [
    (["--profile", "huge"], "invalid choice: 'huge'"),
    (["--only", "nonsense"], "unknown experiment 'nonsense'"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_bad_input_is_one_clear_line_and_exit_2(args, words):
    proc = run_build(*args)
    assert proc.returncode == 2
    assert words in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_list_shows_every_experiment_with_budget(tmp_path):
    proc = run_build("--list", "--profile", "smoke", "--cache", tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in NAMES:
        assert re.search(rf"^{name}\s+0/\d+\s+\S", proc.stdout, re.M), proc.stdout


# --------------------------------------------------------------------------- a whole smoke build

def test_smoke_build_produces_all_documents_with_the_results_numbers(smoke_build, needs_tex):
    out, _, _ = smoke_build
    results = json.loads((out / "results.json").read_text())
    for doc in DOCS:
        assert (out / f"{doc}.pdf").stat().st_size > 10_000
    report = pdf_text(out / "report.pdf")
    j, c = results["exp"]["jacobian"], results["exp"]["cliff"]
    for value in [j["runs"], j["n_hidden"], c["grid"], j["tanh_rho_saturation"], c["plateau_error"]]:
        assert num(value) in report, (value, num(value))
    assert results["env"]["commit"] in report
    deck = pdf_text(out / "deck.pdf")
    # slides round for a room (two significant figures), the report and the exercise keep three
    assert f'{j["tanh_rho_saturation"]:.2g}' in deck and num(j["violations"]) in deck
    exercise, student = pdf_text(out / "exercise.pdf"), pdf_text(out / "exercise-student.pdf")
    assert "Решение" in exercise and "Решение" not in student
    assert num(j["tanh_rho_saturation"]) in exercise
    page = (out / "page.md").read_text()
    assert "# 3. Взрыв градиентов" in page and "````{dropdown} Решение" in page
    assert num(j["relu_identity_dT"]) in page
    assert (out / "images" / "problem_set_07" / "cliff_map.png").exists()


def test_second_build_recomputes_nothing(smoke_build, tmp_path):
    out, cache, _ = smoke_build
    again = run_build("--profile", "smoke", "--out", out, "--cache", cache)
    assert again.returncode == 0 and "Nothing to do" in again.stdout, again.stdout
    # without the up-to-date stamp every experiment still comes from the cache
    fresh = run_build("--profile", "smoke", "--out", tmp_path / "out", "--cache", cache, "--no-pdf")
    assert fresh.returncode == 0, fresh.stderr
    assert set(statuses(fresh.stdout).values()) == {"cached"}, fresh.stdout


def test_changing_one_config_recomputes_only_that_experiment(smoke_build, tmp_path, monkeypatch, capsys):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    from experiments import cliff
    monkeypatch.setitem(cliff.PROFILES, "smoke", dict(cliff.PROFILES["smoke"], grid=71))
    code = build.main(["--profile", "smoke", "--no-pdf", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    assert code == 0
    status = statuses(capsys.readouterr().out)
    assert status.pop("cliff") == "computed"
    assert set(status.values()) == {"cached"}, status


def test_damaged_cache_entry_is_reported_and_recomputed(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    entry = next((tmp_path / "cache" / "cliff").glob("*.entry"))
    entry.write_bytes(entry.read_bytes()[:-100])  # truncated, as a crash or a full disk would leave it
    proc = run_build("--profile", "smoke", "--no-pdf", "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "damaged" in proc.stdout + proc.stderr and str(entry.name) in proc.stdout + proc.stderr
    status = statuses(proc.stdout)
    assert status.pop("cliff") == "computed" and set(status.values()) == {"cached"}
    Cache(tmp_path / "cache").load("cliff", entry.stem)  # the recomputed entry is whole again


def test_without_tex_the_experiments_and_figures_are_still_built(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    proc = run_build("--profile", "smoke", "--out", tmp_path / "out", "--cache", tmp_path / "cache", env=env)
    assert proc.returncode == 1
    assert "latexmk" in proc.stderr and "texlive-xetex" in proc.stderr
    assert (tmp_path / "out" / "figures" / "cliff_map.pdf").exists()
    assert (tmp_path / "out" / "page.md").exists()
    assert not (tmp_path / "out" / "deck.pdf").exists()


def test_latex_error_in_a_template_names_file_and_line_and_keeps_other_pdfs(smoke_build, tmp_path, needs_tex):
    out, cache, _ = smoke_build
    shutil.copytree(out, tmp_path / "out")
    (tmp_path / "out" / ".build-stamp-ru.json").unlink()
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "deck" / "tbptt.tex").write_text((templates / "deck" / "tbptt.tex").read_text()
                                                      .replace(r"\begin{frame}", r"\brokenmacro\begin{frame}", 1))
    code = subprocess.run([sys.executable, "-c", (
        "import sys, build; from pathlib import Path; from pipeline import documents; "
        f"documents.TEMPLATES = Path({str(templates)!r}); sys.exit(build.main(sys.argv[1:]))"), "--profile", "smoke", "--out", str(tmp_path / "out"), "--cache", str(cache)],
        cwd=ROOT, capture_output=True, text=True)
    assert code.returncode == 1, code.stdout + code.stderr
    line = next(line for line in code.stderr.splitlines() if "deck.pdf" in line)
    assert re.search(r"deck\.tex:\d+: Undefined control sequence", line), line
    for doc in ["exercise", "report"]:
        assert (tmp_path / "out" / f"{doc}.pdf").exists()
    listed = next(line for line in code.stdout.splitlines() if line.startswith("Outputs in"))
    assert " deck.pdf" not in listed and "exercise.pdf" in listed, listed   # a failed document is not an output


def test_ctrl_c_keeps_only_complete_entries_and_the_next_build_continues(tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--profile", "smoke", "--only", "jacobian",
                             "--no-pdf", "--jobs", "1", "--out", str(tmp_path / "out"), "--cache", str(cache)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a test run started in the background (nohup … &) inherits an ignored SIGINT
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 120
    while time.time() < deadline and not list(cache.glob("jacobian/*.entry")):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again" in err
    done = list(cache.glob("jacobian/*.entry"))
    assert 1 <= len(done) < 4 and not list(cache.rglob(".tmp-*"))
    for entry in done:
        Cache(cache).load("jacobian", entry.stem)
    again = run_build("--profile", "smoke", "--only", "jacobian", "--no-pdf", "--out", tmp_path / "out", "--cache", cache)
    assert again.returncode == 0, again.stderr
    assert f"{4 - len(done)}/4 computed" in again.stdout, again.stdout


def test_without_mnist_the_build_completes_and_says_why(tmp_path):
    empty = tmp_path / "no-mnist"
    empty.mkdir()
    proc = run_build("--profile", "smoke", "--only", "sequential_mnist", "--no-pdf", "--data-dir", empty,
                     "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    # exactly this experiment was asked for and cannot run: not a silent success (without --only it is exit 0)
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "sequential_mnist was asked for with --only but cannot run here" in errors[0], proc.stderr
    assert summary_statuses(proc.stdout)["sequential_mnist"] == "skipped"   # skipped on purpose: no --data-dir files
    assert re.search(r"skipped sequential_mnist: MNIST not available .*--data-dir", proc.stdout), proc.stdout
    assert not list((tmp_path / "cache").glob("sequential_mnist/*.entry"))  # a missing input is never cached
    assert (tmp_path / "out" / "page.md").exists()
    # MNIST appears in --data-dir (outside the project's files): the next build must see it, not say "Nothing to do"
    for file in (ROOT.parent / "shared" / "data" / "mnist").glob("*-ubyte.gz"):
        (empty / file.name).symlink_to(file)
    if len(list(empty.iterdir())) < 4:
        pytest.skip("shared/data/mnist is not there to make MNIST appear")
    again = run_build("--profile", "smoke", "--only", "sequential_mnist", "--no-pdf", "--data-dir", empty,
                      "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" not in again.stdout and statuses(again.stdout)["sequential_mnist"] == "computed", again.stdout


def test_a_checksum_valid_cache_entry_of_the_wrong_shape_is_recomputed(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    entry = next((tmp_path / "cache" / "cliff").glob("*.entry"))
    Cache(tmp_path / "cache").store("cliff", entry.stem, [1, 2, 3])  # valid checksum, not a job's result
    proc = run_build("--profile", "smoke", "--no-pdf", "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "wrong shape" in proc.stdout + proc.stderr
    status = statuses(proc.stdout)
    assert status.pop("cliff") == "computed" and set(status.values()) == {"cached"}


def test_presentation_is_not_part_of_a_results_key():
    compute = ROOT / "experiments" / "cliff.py"
    assert not any("figures" in p.parts for p in source_closure(compute))
    drawing = {p.relative_to(ROOT).as_posix() for p in source_closure(ROOT / "figures" / "cliff.py")}
    assert {"figures/cliff.py", "figures/style.py", "experiments/cliff.py"} <= drawing  # a redraw sees both
    assert compute_hash(compute) == compute_hash(compute)


def test_a_profile_table_edit_changes_no_key_but_the_edited_profile_s(tmp_path):
    """The PROFILES table is left out of the code hash (each job's own config is in its key): retuning `default`
    must not stale a shipped `full` run, while any edit of the code around it still does."""
    from pipeline.cache import source_without_profiles
    original = (ROOT / "experiments" / "cliff.py").read_text()
    profiles = original[original.index("PROFILES = {"):]
    profiles = profiles[:profiles.index("\n}\n") + 3]
    variants = {"retuned": original.replace(profiles, profiles.replace("dict(", "dict(seeds=7, ", 1)),
                "grown": original.replace(profiles, profiles.replace("{", "{\"extra\": dict(seeds=9),\n", 1)),
                "code": original.replace("import numpy as np", "import numpy as np  # edited", 1)}
    hashes = {}
    for name, text in {"original": original, **variants}.items():
        (tmp_path / f"{name}.py").write_text(text)
        hashes[name] = source_without_profiles(tmp_path / f"{name}.py")
    assert all(text != original for text in variants.values())
    assert hashes["grown"] == hashes["original"] == hashes["retuned"]
    assert hashes["code"] != hashes["original"]
    config = dict(seeds=1)
    assert entry_key("cliff", config, {}, "c", "cpu") != entry_key("cliff", dict(seeds=2), {}, "c", "cpu")


def test_no_experiment_module_imports_presentation():
    for file in (ROOT / "experiments").glob("*.py"):
        text = file.read_text()
        assert "from figures" not in text and "import figures" not in text, file


def test_editing_presentation_retrains_nothing_and_one_experiment_retrains_only_itself(smoke_build, tmp_path):
    """From a warm smoke cache: every file in analysis/, figures/ and templates/ edited → every job still cached;
    experiments/adding.py edited → adding's jobs recompute, every other experiment's stay cached; rnn/ (the
    library) edited → every experiment that imports the edited module recomputes."""
    _, cache, _ = smoke_build
    copy = tmp_path / "project"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".git", ".venv", ".cache", "report", "__pycache__", ".pytest_cache"))

    def listing():
        proc = subprocess.run([sys.executable, str(copy / "build.py"), "--list", "--profile", "smoke", "--cache", str(cache)],
                              cwd=copy, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return {m.group(1): (int(m.group(2)), int(m.group(3)))
                for m in re.finditer(r"^(\w+)\s+(\d+)/(\d+)\s", proc.stdout, re.M)}

    ran = {name for name, (cached, total) in listing().items() if cached == total}   # MNIST may be unavailable here
    for folder in ("analysis", "figures", "templates"):
        for file in (copy / folder).rglob("*"):
            if file.is_file():
                with file.open("a") as f:
                    f.write("\n% edited\n" if file.suffix in (".tex", ".md") else "\n# edited\n")
    assert ran and all(cached == total for name, (cached, total) in listing().items() if name in ran)
    with (copy / "experiments" / "adding.py").open("a") as f:
        f.write("\n# edited\n")
    after = listing()
    assert after.pop("adding")[0] == 0
    assert all(cached == total for name, (cached, total) in after.items() if name in ran), after
    with (copy / "rnn" / "engine.py").open("a") as f:
        f.write("\n# edited\n")
    after = listing()
    for name in ("cliff", "jacobian"):   # the two that train no RNN (they use rnn/optim.py and rnn/init.py only)
        cached, total = after.pop(name)
        assert cached == total, name
    assert all(cached == 0 for cached, _ in after.values()), after
