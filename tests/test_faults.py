"""Faults and bad input (issue 11): the cache runs no code, a bad --cache is one clear line, concurrent builds
wait, a killed build leaves no workers, a failing job loses no other, LaTeX errors point at the template."""
import math
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from conftest import ROOT
from pipeline import cache as cache_module, runner
from pipeline.cache import FIGURE_ENTRY, JOB_ENTRY, Cache, CacheError, DamagedEntry


def write_raw_entry(cache, name, key, payload, magic=None):
    """An entry with a valid checksum around any payload, as a foreign or malicious writer could make it."""
    import hashlib
    path = cache.path(name, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((magic or cache_module.MAGIC) + hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    return path


# --------------------------------------------------------------------------- the cache holds data, not code

class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_checksum_valid_pickle_entry_runs_no_code(tmp_path):
    cache, marker = Cache(tmp_path / "cache"), tmp_path / "pwned"
    for magic in (None, b"rnn-gradients-cache-v1\n"):  # the current header and the old pickle one
        write_raw_entry(cache, "exp", "k", pickle.dumps({"result": RunsCode(marker), "seconds": 1.0}), magic)
        with pytest.raises(DamagedEntry):
            cache.load("exp", "k", shape=JOB_ENTRY)
    # an npz with an object array (which numpy would unpickle if allowed)
    import io
    buffer = io.BytesIO()
    np.savez(buffer, a0=np.array([RunsCode(marker)], dtype=object))
    write_raw_entry(cache, "exp", "k", b'{"ndarray":0}\n' + buffer.getvalue())
    with pytest.raises(DamagedEntry):
        cache.load("exp", "k")
    assert not marker.exists()


def test_old_pickle_entries_are_not_read(tmp_path):
    old = tmp_path / "exp" / "k.pkl"
    old.parent.mkdir()
    old.write_bytes(b"rnn-gradients-cache-v1\n" + b"0" * 64 + b"\n" + pickle.dumps(1))
    cache = Cache(tmp_path)
    assert not cache.has("exp", "k")
    with pytest.raises(KeyError):
        cache.load("exp", "k")


def same(a, b):
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


def test_results_round_trip_exactly(tmp_path):
    result = {"runs": 3, "rate": 0.1 + 0.2, "nan": float("nan"), "inf": -float("inf"), "none": None, "ok": True,
              "labels": ["a", "b"], "methods": ("sgd", "clip"), "nested": [{"seed": 0, "err": np.float32(0.5)}],
              7: "int key", ("w", 1): "tuple key", "count": np.int64(12),
              "norms": np.random.default_rng(0).normal(size=(2, 3, 4)).astype(np.float32),
              "steps": np.arange(5), "mask": np.array([True, False]), "empty": np.zeros((0, 3)),
              "first": None, "path": np.array([[0.5, 1.0]])[:, ::-1]}  # a non-contiguous view too
    cache = Cache(tmp_path)
    cache.store("exp", "k", {"result": result, "seconds": 1.5})
    assert same(cache.load("exp", "k", shape=JOB_ENTRY), {"result": result, "seconds": 1.5})
    figures = {"numbers": {"x": 1.25, "skipped": None}, "files": {"a.pdf": b"%PDF\x00\xff", "b.png": b""}}
    cache.store("exp.figures", "k", figures)
    assert same(cache.load("exp.figures", "k", shape=FIGURE_ENTRY), figures)


def test_values_that_are_not_data_are_refused_when_stored(tmp_path):
    with pytest.raises(TypeError, match="cannot cache"):
        Cache(tmp_path).store("exp", "k", {"f": object()})


@pytest.mark.parametrize("value", [[1, 2], {"result": 1}, {"numbers": [], "files": {}}, "text"])
def test_a_checksum_valid_entry_of_the_wrong_shape_is_damaged(tmp_path, value):
    cache = Cache(tmp_path)
    cache.store("exp", "k", value)
    for shape in (JOB_ENTRY, FIGURE_ENTRY):
        with pytest.raises(DamagedEntry, match="wrong shape"):
            cache.load("exp", "k", shape=shape)


# --------------------------------------------------------------------------- a cache that cannot be written

def test_a_cache_that_is_a_file_is_one_clear_error(tmp_path):
    file = tmp_path / "cache"
    file.write_text("not a folder")
    with pytest.raises(CacheError, match=r"is a file, not a folder; pass --cache") as e:
        Cache(file).check_writable()
    assert str(file) in str(e.value) and len(str(e.value).splitlines()) == 1
    with pytest.raises(CacheError, match="cannot write to the cache"):
        Cache(file / "inside").check_writable()
    Cache(tmp_path / "new" / "cache").check_writable()  # a missing folder is simply made


def test_an_unwritable_cache_folder_is_one_clear_error(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):
            folder = ROOT / "/proc/no-cache-here"  # root writes anywhere: /proc is where it cannot
        with pytest.raises(CacheError, match="cannot write to the cache .* make it writable or pass --cache"):
            Cache(folder).check_writable()
    finally:
        (tmp_path / "ro").chmod(0o755)


def tiny_plans(tmp_path, bad=False, slow_steps=None, copies=2):
    """Cheap real jobs: the cliff experiment on a 5×5 grid, `copies` times; bad adds a job that raises."""
    plan = runner.make_plan(["cliff"], "smoke", "cpu", Cache(tmp_path / "unused"))[0]
    plan.config = dict(grid=5, descent_steps=slow_steps or 5)
    plan.jobs = [runner.Job("cliff", i, {}, f"key{i}") for i in range(copies)]
    plans = [plan]
    if bad:
        broken = runner.make_plan(["jacobian"], "smoke", "cpu", Cache(tmp_path / "unused"))[0]
        broken.jobs = [runner.Job("jacobian", 0, {"activation": "no-such-activation"}, "bad")]
        plans.append(broken)
    return plans


def test_a_read_only_cache_keeps_the_results_in_memory_with_one_warning(tmp_path, monkeypatch):
    cache, logged = Cache(tmp_path / "cache"), []

    def refuse(*args):
        raise OSError(30, "Read-only file system")
    monkeypatch.setattr(cache, "store", refuse)
    results = runner.execute(tiny_plans(tmp_path), cache, "cpu", log=logged.append)
    assert all(isinstance(r, dict) for r in results["cliff"])
    assert len(logged) == 1 and "cannot write to the cache" in logged[0] and "kept in memory" in logged[0]


# --------------------------------------------------------------------------- a failing job, a killed build

@pytest.mark.parametrize("workers", [1, 2])
def test_a_failing_job_is_reported_and_the_others_are_kept(tmp_path, workers):
    cache, logged = Cache(tmp_path / "cache"), []
    results = runner.execute(tiny_plans(tmp_path, bad=True), cache, "cpu", workers=workers, log=logged.append)
    (failed,) = results["jacobian"]
    assert isinstance(failed, runner.JobFailed) and "KeyError" in str(failed)
    assert all(isinstance(r, dict) for r in results["cliff"])
    assert cache.has("cliff", "key0") and cache.has("cliff", "key1") and not cache.has("jacobian", "bad")
    assert any("job 0 of jacobian failed" in line for line in logged)
    assert runner.missing_jobs(results) == [f"jacobian job 0: {failed}"]


def children(pid):
    """Live processes whose parent is pid."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            fields = open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[1] == str(pid) and fields[0] != "Z":
            found.append(int(entry))
    return found


def alive(pid):
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def assert_gone_within(workers, seconds):
    """The processes of a SIGKILLed build exit by themselves within `seconds` (killed here if not, so a failing
    test does not leave them burning the shared cores)."""
    deadline = time.time() + seconds
    while time.time() < deadline and any(alive(p) for p in workers):
        time.sleep(0.2)
    left = [p for p in workers if alive(p)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left, f"processes {left} outlived their killed build"


def test_pool_workers_exit_when_the_build_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import sys; sys.path.insert(0, {str(ROOT)!r}); sys.path.insert(0, {str(ROOT / 'tests')!r})
        from pathlib import Path
        from test_faults import tiny_plans
        from pipeline import runner
        from pipeline.cache import Cache
        tmp = Path({str(tmp_path)!r})
        runner.execute(tiny_plans(tmp, slow_steps=10**8), Cache(tmp / "cache"), "cpu", workers=2)
    """)
    build = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(workers := children(build.pid)) < 2:
            time.sleep(0.2)
        time.sleep(3)  # the workers import torch and start their jobs
        workers = children(build.pid)
        assert len(workers) >= 2, workers
    finally:
        build.send_signal(signal.SIGKILL)
        build.wait()
    assert_gone_within(workers, 10)


# --------------------------------------------------------------------------- two builds into one folder

def test_a_second_build_into_the_same_folder_waits_for_the_first(tmp_path):
    hold = textwrap.dedent(f"""
        import sys, time; sys.path.insert(0, {str(ROOT)!r})
        from pipeline.lock import exclusive
        with exclusive(sys.argv[1]):
            print("locked", flush=True)
            time.sleep(float(sys.argv[2]))
            print("released", flush=True)
    """)
    out = tmp_path / "report"
    first = subprocess.Popen([sys.executable, "-c", hold, str(out), "3"], stdout=subprocess.PIPE, text=True)
    assert first.stdout.readline().strip() == "locked"
    second = subprocess.run([sys.executable, "-c", hold, str(out), "0"], capture_output=True, text=True, timeout=60)
    first_out = first.communicate(timeout=60)[0]
    assert first_out.strip() == "released"  # the first finished before the second got the lock
    lines = second.stdout.splitlines()
    assert lines[0] == f"another build into {out} is running (pid {first.pid}); waiting…", lines
    assert lines[1:] == ["locked", "released"]
    # once free, the lock is taken without a message
    again = subprocess.run([sys.executable, "-c", hold, str(out), "0"], capture_output=True, text=True, timeout=60)
    assert again.stdout.splitlines() == ["locked", "released"]


# --------------------------------------------------------------------------- LaTeX errors name the template line

def test_a_latex_error_in_a_frame_of_an_included_template_names_the_template_line(tmp_path, monkeypatch, needs_tex):
    from pipeline import documents
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "main.tex").write_text("\\documentclass{beamer}\n\\begin{document}\n"
                                        "\\BLOCK{include 'part.tex'}\n\\end{document}\n")
    (templates / "part.tex").write_text(textwrap.dedent(r"""
        \begin{frame}{A frame}
          a value: \VAR{x}
          text $y$ here \brokenmacro{} and more
          last line of the frame
        \end{frame}
    """).lstrip())
    monkeypatch.setattr(documents, "TEMPLATES", templates)
    build = tmp_path / "build"
    build.mkdir()
    tex = build / "main.tex"
    tex.write_text(documents.render("main.tex", {"x": 1.5}))
    with pytest.raises(documents.DocumentError) as e:
        documents.compile_pdf(tex, tmp_path, 0)
    message = str(e.value)
    assert f"{tex}:5: Undefined control sequence \\brokenmacro" in message, message  # not the \end{frame} line
    assert f"template {templates / 'part.tex'}:3: text $y$ here \\brokenmacro{{}} and more" in message, message
    assert len(message.splitlines()) == 1


def test_template_line_markers_change_nothing_tex_sees():
    from pipeline import documents
    source = documents._MarkingLoader(documents.TEMPLATES).get_source(None, "deck/tbptt.tex")[0]
    original = (documents.TEMPLATES / "deck" / "tbptt.tex").read_text()
    assert [documents.MARKER.sub("", line).rstrip() for line in source.split("\n")] == \
           [line.rstrip() for line in original.split("\n")]


def test_nan_is_a_dash_and_a_warning_of_this_build_only():
    from pipeline import documents
    assert documents.num(float("nan")) == "—" and documents.percent(np.float32("nan")) == "—"
    assert documents.num(np.float32("nan")) == "—" and str(documents.tex_num(float("nan"))) == "—"
    assert documents.percent(0.25) == "25.0\\%" and documents.num(float("inf")) == "∞"
    first, second = documents.Notes(), documents.Notes()   # two builds, each with its own notes
    source = r"\VAR{x|num} \VAR{x|pct} \VAR{x}"
    assert documents.render("x.tex", {"x": float("nan")}, source=source, notes=first) == "— — —"
    assert len(first.warnings) == 1 and "NaN" in first.warnings[0]
    documents.render("x.tex", {"x": 0.5}, source=source, notes=second)
    assert second.warnings == [] and not hasattr(documents, "WARNINGS")   # nothing carried in module state


# --------------------------------------------------------------------------- build.py end to end (issue 11)

import re
import shutil
import socket

import build
from conftest import run_build


def pdf_text(path):
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def free_port():
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bad_input(tmp_path, case):
    afile = tmp_path / "a-file"
    afile.write_text("not a folder")
    return {
        "out is a file": (["--out", afile], "is a file, not a folder; pass --out"),
        "out cannot be made": (["--out", afile / "report"], "cannot write to --out"),
        "out in an unwritable place": (["--out", "/proc/no-report-here"], "cannot write to --out"),
        "cache is a file": (["--cache", afile], "is a file, not a folder; pass --cache"),
        "cache cannot be made": (["--cache", afile / "cache"], "cannot write to the cache"),
        "scheduler not an address": (["--scheduler", "localhost"], "is not an address like tcp://host:8786"),
        "nothing listens": (["--scheduler", f"tcp://127.0.0.1:{free_port()}"], "no Dask scheduler answers"),
    }[case]


@pytest.mark.parametrize("case", ["out is a file", "out cannot be made", "out in an unwritable place", "cache is a file",
                                  "cache cannot be made", "scheduler not an address", "nothing listens"])
def test_unusable_out_cache_or_scheduler_is_one_line_and_exit_2_before_any_work(tmp_path, case):
    args, words = bad_input(tmp_path, case)
    if "nothing listens" in case:
        pytest.importorskip("dask.distributed")
    defaults = {"--out": tmp_path / "out", "--cache": tmp_path / "cache"}
    for flag, value in defaults.items():
        if flag not in args:
            args += [flag, value]
    start = time.perf_counter()
    proc = run_build("--profile", "smoke", "--no-pdf", *args, timeout=120)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("build.py: error: ") and words in lines[0], proc.stderr
    assert not list(tmp_path.rglob("*.entry")) and "experiment" not in proc.stdout  # nothing was trained
    assert time.perf_counter() - start < 60


def test_device_cuda_without_cuda_is_one_line_and_exit_2(tmp_path):
    import torch
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    proc = run_build("--profile", "smoke", "--no-pdf", "--device", "cuda", "--out", tmp_path / "out", "--cache", tmp_path / "c")
    assert proc.returncode == 2 and proc.stderr.strip().startswith("build.py: error: --device cuda"), proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_two_concurrent_builds_into_one_folder_both_succeed(smoke_build, tmp_path, needs_tex):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    args = [sys.executable, str(ROOT / "build.py"), "--profile", "smoke", "--out", str(tmp_path / "out"),
            "--cache", str(tmp_path / "cache")]
    builds = [subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [b.communicate(timeout=600) for b in builds]
    for b, (stdout, stderr) in zip(builds, outputs):
        assert b.returncode == 0, stdout[-2000:] + stderr[-2000:]
        assert "LaTeX failed" not in stderr
    waited = [stderr for _, stderr in outputs if f"another build into {tmp_path / 'out'} is running" in stderr]
    assert len(waited) == 1, outputs
    for doc in ["deck", "exercise", "exercise-student", "report"]:
        assert pdf_text(tmp_path / "out" / f"{doc}.pdf").strip()
    again = run_build(*args[2:])
    assert again.returncode == 0 and "Nothing to do" in again.stdout  # the lock file is not an output


def test_a_failing_job_is_FAILED_and_the_documents_are_built_from_the_rest(smoke_build, tmp_path, monkeypatch, capsys, needs_tex):
    _, cache, _ = smoke_build
    shutil.copytree(cache, tmp_path / "cache")
    shutil.rmtree(tmp_path / "cache" / "cliff")
    from experiments import cliff

    def boom(config, spec, device):
        raise RuntimeError("boom")
    monkeypatch.setattr(cliff, "run", boom)
    code = build.main(["--profile", "smoke", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")])
    out, err = capsys.readouterr()
    assert code == 1, out[-2000:] + err[-2000:]
    assert re.search(r"^experiment\s+cliff\s+FAILED", out, re.M), out
    assert "skipped cliff" not in out
    assert [line for line in err.splitlines() if line.startswith("error:")] == \
           ["error: job 0 of cliff failed: RuntimeError: boom (the documents were built without it; run the same command again to retry)"], err
    for doc in ["deck", "exercise", "exercise-student", "report"]:
        assert pdf_text(tmp_path / "out" / f"{doc}.pdf").strip()
    assert not (tmp_path / "out" / ".build-stamp-ru.json").exists()  # the next build tries again


def test_a_myst_template_error_is_one_line_and_the_pdfs_are_still_built(smoke_build, tmp_path, monkeypatch, capsys, needs_tex):
    from pipeline import documents
    _, cache, _ = smoke_build
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    page = templates / "page.md"
    page.write_text(page.read_text() + '\n{{ exp.jacobian.runs + "x" }}\n')  # a runtime error, not a syntax error
    monkeypatch.setattr(documents, "TEMPLATES", templates)
    code = build.main(["--profile", "smoke", "--out", str(tmp_path / "out"), "--cache", str(cache)])
    out, err = capsys.readouterr()
    assert code == 1, out[-2000:] + err[-2000:]
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: page.md: template {page}:") and "TypeError" in errors[0], err
    assert re.search(r"^document\s+page\.md \(MyST\)\s+FAILED", out, re.M), out
    for doc in ["deck", "exercise", "exercise-student", "report"]:
        assert re.search(rf"^document\s+{doc}\.pdf\s+compiled", out, re.M), out
        assert pdf_text(tmp_path / "out" / f"{doc}.pdf").strip()


def test_nan_in_the_documents_is_a_warning_line_and_no_pdf_announces_no_pdf(smoke_build, tmp_path, monkeypatch, capsys):
    from pipeline import runner
    _, cache, _ = smoke_build
    draw = runner.draw

    def nan_draw(plan, *args, **kwargs):
        numbers = draw(plan, *args, **kwargs)
        return {**numbers, "relu_identity_dT": float("nan")} if plan.name == "jacobian" else numbers
    monkeypatch.setattr(runner, "draw", nan_draw)
    code = build.main(["--profile", "smoke", "--no-pdf", "--out", str(tmp_path / "out"), "--cache", str(cache)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert err.splitlines().count("warning: a number in the documents is NaN (an experiment produced no value); it is shown as —") == 1, err
    page, before = ((folder / "page.md").read_text().lower() for folder in (tmp_path / "out", smoke_build[0]))
    assert page.count("nan") == before.count("nan")  # the text's own "NaN"s, no number printed as nan
    final = [line for line in out.splitlines() if line.startswith("Outputs in")]
    assert len(final) == 1 and "pdf" not in final[0].lower(), final


def test_a_truncated_pdf_is_recompiled_never_copied_out_as_up_to_date(smoke_build, tmp_path, capsys, needs_tex):
    from pipeline.documents import is_pdf
    _, cache, _ = smoke_build
    out, args = tmp_path / "out", ["--profile", "smoke", "--out", str(tmp_path / "out"), "--cache", str(cache)]
    assert build.main(args) == 0
    for pdf in (out / "build" / "deck.pdf", out / "deck.pdf"):  # as a build killed while writing them leaves them
        pdf.write_bytes(pdf.read_bytes()[: pdf.stat().st_size // 2])
    (out / ".build-stamp-ru.json").unlink()
    capsys.readouterr()
    assert build.main(args) == 0
    assert re.search(r"^document\s+deck\.pdf\s+compiled", capsys.readouterr().out, re.M)
    assert is_pdf(out / "deck.pdf") and pdf_text(out / "deck.pdf").strip()
    assert not is_pdf(tmp_path / "half.pdf")


@pytest.mark.parametrize("stamp", [[], {"fingerprint": "FP"}, {"fingerprint": "FP", "outputs": []},
                                   {"fingerprint": "FP", "outputs": {"x": 5}, "summary": []},
                                   {"fingerprint": "FP", "outputs": {}, "summary": 5},
                                   {"fingerprint": "FP", "outputs": {}, "summary": [[1, 2]]},
                                   {"fingerprint": "FP", "outputs": {}, "summary": ["ab"]}])
def test_a_stamp_of_the_wrong_shape_means_not_up_to_date(tmp_path, stamp):
    import json
    (tmp_path / "x").write_text("x")
    (tmp_path / ".build-stamp-ru.json").write_text(json.dumps(stamp))
    assert build.up_to_date(tmp_path / ".build-stamp-ru.json", "FP") is None
    (tmp_path / ".build-stamp-ru.json").write_text(json.dumps({"fingerprint": "FP", "outputs": {}, "summary": [["a", "b", "c"]]}))
    assert build.up_to_date(tmp_path / ".build-stamp-ru.json", "FP")  # the right shape still counts


def test_two_forced_builds_give_the_same_lecture_materials(smoke_build, tmp_path, needs_tex):
    """Same seeds, same documents: deck and exercises byte for byte; the report's text except its timings
    (the per-experiment seconds, the measured ms of truncated BPTT and MNIST's wall seconds an update and the days
    they add up to, which it keeps on purpose)."""
    first, _, _ = smoke_build
    proc = run_build("--profile", "smoke", "--force", "--out", tmp_path / "out", "--cache", tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr[-3000:]
    for doc in ["deck", "exercise", "exercise-student"]:
        assert (first / f"{doc}.pdf").read_bytes() == (tmp_path / "out" / f"{doc}.pdf").read_bytes(), doc
    a, b = (pdf_text(folder / "report.pdf").split() for folder in (first, tmp_path / "out"))
    assert len(a) == len(b)
    # the per-experiment timing table: its column widths follow the measured seconds, so pdftotext may read its
    # cells in another order; there the words must be the same and only numbers may differ
    table = next(i for i in range(len(a)) if a[i - 2:i + 1] == ["their", "original", "time):"])
    number = re.compile(r"\(?[−-]?[0-9][0-9.,]*×?\)?[;,.]?")
    for i, (x, y) in enumerate(zip(a[:table], b[:table])):
        if x != y and {x, y} != {"day", "days"}:   # "about 1 day" against "about 2 days"
            near_timing = {"ms", "wall", "day", "days"} & set(a[max(i - 6, 0):i + 6])
            assert number.fullmatch(x) and number.fullmatch(y) and near_timing, (i, a[i - 5:i + 5], b[i - 5:i + 5])
    words = [sorted(w for w in t[table:] if not number.fullmatch(w)) for t in (a, b)]
    assert words[0] == words[1]


def test_killing_the_build_leaves_no_worker_running(tmp_path):
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--profile", "default", "--only", "adding",
                             "--no-pdf", "--jobs", "2", "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(children(proc.pid)) < 3:  # 2 workers and the resource tracker
            time.sleep(0.2)
        time.sleep(3)
        workers = children(proc.pid)
        assert len(workers) >= 2, workers
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert_gone_within(workers, 15)
