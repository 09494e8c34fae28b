"""Never touch what is not ours (issue 19): the output folder's files, an interrupted LaTeX run, `--only --force`,
a closed pipe, a full disk, bad --data-dir, SIGTERM. Each case is one line, the right exit code, no traceback,
and nothing of the user's changed. The builds reuse the session's smoke cache (no training)."""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import build
from conftest import ROOT, run_build
from test_pipeline import statuses


def one_error_line(proc, code, words):
    assert proc.returncode == code, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and re.search(words, errors[0]), proc.stderr
    return errors[0]


def snapshot(folder: Path) -> dict:
    return {p: (p.read_bytes() if p.is_file() else None) for p in folder.rglob("*")}


# --------------------------------------------------------------------------- where the build may write

@pytest.mark.parametrize("where", ["the project", "templates", "inside experiments", "a home folder", "/"])
def test_an_out_that_is_the_project_its_sources_or_a_home_is_refused_before_any_work(tmp_path, where):
    home = tmp_path / "home"
    home.mkdir()
    (home / "page.md").write_text("mine")
    out = {"the project": ROOT, "templates": ROOT / "templates", "inside experiments": ROOT / "experiments" / "x",
           "a home folder": home, "/": Path("/")}[where]
    before = snapshot(ROOT / "templates"), sorted(os.listdir(ROOT)), (home / "page.md").read_text()
    proc = run_build("--profile", "smoke", "--no-pdf", "--out", out, "--cache", tmp_path / "cache",
                     env=dict(os.environ, HOME=str(home)), timeout=120)
    one_error_line(proc, 2, r"^build\.py: error: --out .*(project|home or root folder)")
    assert (snapshot(ROOT / "templates"), sorted(os.listdir(ROOT)), (home / "page.md").read_text()) == before
    assert not (tmp_path / "cache").exists() and not (ROOT / "experiments" / "x").exists()


def test_the_users_files_in_out_are_never_changed_and_stale_outputs_of_ours_are_removed(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    out = tmp_path / "out"
    photo, notes = out / "images" / "problem_set_07" / "my_photo.png", out / "notes.txt"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"my photo")
    notes.write_text("my notes")
    args = ["--profile", "smoke", "--no-pdf", "--out", out, "--cache", cache]
    assert run_build(*args).returncode == 0
    manifest = json.loads((out / ".build-manifest-ru.json").read_text())["files"]
    assert "page.md" in manifest and "images/problem_set_07/my_photo.png" not in manifest
    stamp = json.loads((out / ".build-stamp-ru.json").read_text())["outputs"]
    assert "notes.txt" not in stamp and not any("my_photo" in name for name in stamp)   # the stamp covers only ours
    # a file an earlier build wrote and this one no longer writes goes; the user's stay
    stale = out / "images" / "problem_set_07" / "dropped_figure.png"
    stale.write_bytes(b"old")
    (out / ".build-manifest-ru.json").write_text(json.dumps({"files": manifest + [str(stale.relative_to(out))]}))
    (out / ".build-stamp-ru.json").unlink()
    proc = run_build(*args)
    assert proc.returncode == 0, proc.stderr
    assert not stale.exists() and "dropped_figure.png" in proc.stdout
    assert photo.read_bytes() == b"my photo" and notes.read_text() == "my notes"


@pytest.mark.parametrize("case", ["a results.json of the user's", "a link at page.md", "a linked images folder"])
def test_a_file_of_ours_that_someone_else_put_there_or_a_link_is_refused(smoke_build, tmp_path, case):
    _, cache, _ = smoke_build
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "target.md").write_text("not the build's")
    if case == "a results.json of the user's":
        (out / "results.json").write_text("{}")
    elif case == "a link at page.md":
        (out / "page.md").symlink_to(elsewhere / "target.md")
    else:
        (out / "images").symlink_to(elsewhere)
    before = snapshot(out), snapshot(elsewhere)
    proc = run_build("--profile", "smoke", "--no-pdf", "--out", out, "--cache", cache)
    one_error_line(proc, 2, "no build wrote there" if "user" in case else "symbolic link")
    after = snapshot(out), snapshot(elsewhere)
    assert {p: v for p, v in after[0].items() if not p.name.startswith(".build")} == before[0] and after[1] == before[1]


# --------------------------------------------------------------------------- flags

def test_only_with_force_recomputes_only_the_named_experiment(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    proc = run_build("--profile", "smoke", "--no-pdf", "--only", "cliff", "--force", "--out", tmp_path / "out", "--cache", cache)
    assert proc.returncode == 0, proc.stderr
    status = statuses(proc.stdout)
    assert status.pop("cliff") == "computed" and set(status.values()) <= {"cached", "skipped"}, proc.stdout


@pytest.mark.parametrize("kind", ["a file", "missing"])
def test_a_data_dir_that_is_a_file_or_missing_is_one_line_and_exit_2_and_creates_nothing(tmp_path, kind):
    data = tmp_path / "mnist"
    if kind == "a file":
        data.write_text("not a folder")
    proc = run_build("--profile", "smoke", "--no-pdf", "--data-dir", data, "--out", tmp_path / "out",
                     "--cache", tmp_path / "cache", timeout=120)
    one_error_line(proc, 2, r"^build\.py: error: --data-dir .*(is a file|does not exist)")
    assert data.is_file() if kind == "a file" else not data.exists()
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


# --------------------------------------------------------------------------- output streams and disks

def test_a_closed_output_pipe_is_exit_0_and_the_stamp_is_written(smoke_build, tmp_path):
    _, cache, _ = smoke_build
    command = (f"{sys.executable} build.py --profile smoke --no-pdf --out {tmp_path / 'out'} --cache {cache} 2>&1 | head -1; "
               f"echo status=${{PIPESTATUS[0]}}; {sys.executable} build.py --list --profile smoke --cache {cache} | head -1; "
               f"echo status=${{PIPESTATUS[0]}}")
    proc = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.stdout.count("status=0") == 2 and "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    assert (tmp_path / "out" / ".build-stamp-ru.json").exists()
    again = run_build("--profile", "smoke", "--no-pdf", "--out", tmp_path / "out", "--cache", cache)
    assert "Nothing to do" in again.stdout, again.stdout


def full_disk(folder: Path):
    """A 6 MB tmpfs at folder (root in CI), or None where mounting is not allowed."""
    folder.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", str(folder)],
                                           capture_output=True).returncode != 0:
        return None
    return folder


@pytest.mark.slow
def test_a_full_output_disk_is_one_line_and_exit_1(smoke_build, tmp_path, monkeypatch, capsys, needs_tex):
    _, cache, _ = smoke_build
    disk = full_disk(tmp_path / "disk")
    try:
        if disk is not None:   # the real thing: the documents do not fit on a 6 MB disk
            proc = run_build("--profile", "smoke", "--out", disk / "out", "--cache", cache)
            line = one_error_line(proc, 1, r"^build\.py: error: cannot write .*No space left on device; free some space")
            assert "LaTeX" not in proc.stderr, line
            return
    finally:
        if disk is not None:
            subprocess.run(["umount", str(disk)], check=True)
    # where nothing can be mounted: the disk fills while a PDF is copied out
    import errno
    from pipeline import documents

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "out" / "deck.pdf"))
    monkeypatch.setattr(documents, "compile_pdf", full)
    assert build.main(["--profile", "smoke", "--out", str(tmp_path / "out"), "--cache", str(cache)]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and "No space left on device; free some space" in errors[0], errors


# --------------------------------------------------------------------------- signals

def wait_for(condition, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline and not condition():
        time.sleep(0.1)
    return condition()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL])
def test_a_build_killed_while_latex_runs_does_not_poison_the_next(smoke_build, tmp_path, signum, needs_tex):
    _, cache, _ = smoke_build
    out = tmp_path / "out"
    args = [sys.executable, str(ROOT / "build.py"), "--profile", "smoke", "--out", str(out), "--cache", str(cache)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(lambda: list((out / "build").glob("deck.running")), 300), "LaTeX never started"
        time.sleep(1.5)   # inside latexmk
    finally:
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=120)
    assert (out / "build" / "deck.running").exists(), "the kill came after LaTeX had finished"
    assert "Traceback" not in err and "leaked" not in err, err
    again = run_build("--profile", "smoke", "--out", out, "--cache", cache)
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.search(r"^document\s+deck\.pdf\s+compiled", again.stdout, re.M)


@pytest.mark.slow
def test_sigterm_stops_the_workers_without_leaked_semaphore_noise(tmp_path):
    cache = tmp_path / "cache"
    proc = subprocess.Popen([sys.executable, str(ROOT / "build.py"), "--profile", "smoke", "--only", "pathological",
                             "adding", "--no-pdf", "--jobs", "2", "--out", str(tmp_path / "out"), "--cache", str(cache)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    from test_faults import children
    try:
        assert wait_for(lambda: len(children(proc.pid)) >= 3, 120)   # 2 workers and the resource tracker
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    time.sleep(2)   # the resource tracker speaks (or not) as it exits after its parent
    assert proc.returncode == 143, err
    assert "leaked" not in err and "Traceback" not in err, err
    assert err.strip().splitlines()[-1].startswith("Terminated: every job that finished is cached")


def test_an_undefined_template_variable_names_the_file_and_line(tmp_path, monkeypatch):
    from pipeline import documents
    (tmp_path / "main.tex").write_text("a\n\\BLOCK{include 'part.tex'}\n")
    (tmp_path / "part.tex").write_text("b\nc\n\\VAR{exp.nowhere}\n")
    monkeypatch.setattr(documents, "TEMPLATES", tmp_path)
    with pytest.raises(documents.DocumentError, match=rf"template {tmp_path / 'part.tex'}:3: .*nowhere"):
        documents.render("main.tex", {"exp": {}})
