"""Shipped results (pipeline/shipped.py): a run's entries shipped with the project are used like cache hits,
checked against their manifest, listed when stale, and can be re-run and compared (--verify)."""
import json
import shutil
import warnings

import pytest

from conftest import ROOT, run_build
from pipeline import shipped, verify
from pipeline.cache import file_digest

SMOKE = ("--profile", "smoke", "--no-pdf", "--jobs", "1")
SHIPPED = ("cliff", "explosion")   # two quick experiments: the builds below draw only what is shipped


@pytest.fixture(scope="module")
def shipped_smoke(tmp_path_factory):
    """A smoke run shipped into a folder of its own: (shipped root, the build's cache)."""
    base = tmp_path_factory.mktemp("shipped")
    proc = run_build(*SMOKE, "--only", *SHIPPED, "--out", base / "out", "--cache", base / "cache",
                     "--shipped", base / "results", "--ship")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return base / "results", base / "cache"


def copy_of(results, tmp_path):
    target = tmp_path / "results"
    shutil.copytree(results, target)
    return target


def test_manifest_lists_every_entry_and_every_entry_loads(shipped_smoke):
    results, _ = shipped_smoke
    assert shipped.check(results / "smoke") == []
    manifest = json.loads((results / "smoke" / "manifest.json").read_text())
    assert manifest["profile"] == "smoke" and manifest["jobs"]
    for row in manifest["jobs"]:
        assert {"key", "commit", "torch", "cpu", "date", "seconds", "sha256"} <= set(row)
    assert manifest["cpu_seconds"] == pytest.approx(sum(r["seconds"] for r in manifest["jobs"]), abs=0.1)


def test_a_fresh_cache_builds_from_shipped_entries_without_training(shipped_smoke, tmp_path):
    results, _ = shipped_smoke
    proc = run_build(*SMOKE, "--only", *SHIPPED, "--out", tmp_path / "out", "--cache", tmp_path / "cache",
                     "--shipped", results)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {line.split()[1]: line.split()[2] for line in proc.stdout.splitlines() if line.startswith("experiment ")}
    assert rows == {name: "shipped" for name in SHIPPED}, proc.stdout
    provenance = json.loads((tmp_path / "out" / "results.json").read_text())["shipped"]
    assert provenance["profile"] == "smoke" and provenance["jobs"] > 0


def test_a_damaged_shipped_entry_is_reported_and_recomputed(shipped_smoke, tmp_path):
    results = copy_of(shipped_smoke[0], tmp_path)
    entry = sorted((results / "smoke" / "cliff").glob("*.entry"))[0]
    entry.write_bytes(entry.read_bytes()[:-20] + b"x" * 20)
    assert any("does not match its manifest" in p for p in shipped.check(results / "smoke"))
    proc = run_build(*SMOKE, "--only", "cliff", "--out", tmp_path / "out", "--cache", tmp_path / "cache",
                     "--shipped", results)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "does not match its manifest" in proc.stderr and "recomputing job 0 of cliff" in proc.stderr
    assert [line.split()[2] for line in proc.stdout.splitlines() if line.startswith("experiment  cliff")] == ["computed"]


def test_a_stale_shipped_job_is_listed_and_recomputed_never_used(shipped_smoke, tmp_path):
    """A shipped job whose code changed since has another key: it is named, by job, and recomputed."""
    results = copy_of(shipped_smoke[0], tmp_path)
    manifest_file = results / "smoke" / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    for row in manifest["jobs"]:
        if row["experiment"] == "explosion":   # as if explosion's code had changed after shipping
            old = results / "smoke" / "explosion" / f"{row['key']}.entry"
            row["key"], row["code"] = "0" * 32, "an older version"
            old.rename(old.with_name(f"{row['key']}.entry"))
    manifest_file.write_text(json.dumps(manifest))
    listing = run_build("--profile", "smoke", "--list", "--cache", tmp_path / "cache", "--shipped", results)
    assert "0 (2 stale)" in listing.stdout, listing.stdout
    proc = run_build(*SMOKE, "--only", "explosion", "--out", tmp_path / "out", "--cache", tmp_path / "cache",
                     "--shipped", results)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "stale: 2 shipped job(s) of explosion (its compute code changed since it was shipped)" in proc.stderr
    assert [line.split()[2] for line in proc.stdout.splitlines() if line.startswith("experiment  explosion")] == ["computed"]


def test_verify_reruns_shipped_jobs_and_finds_them_identical(shipped_smoke, tmp_path):
    results, _ = shipped_smoke
    proc = run_build("--profile", "smoke", "--verify", "1", "--only", "cliff", "--jobs", "1",
                     "--cache", tmp_path / "cache", "--shipped", results)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "identical" in proc.stdout and "DEVIATES" not in proc.stdout
    assert "C2: " in proc.stdout and "(unchanged)" in proc.stdout   # the claim the cliff feeds keeps its verdict


def test_verify_fails_on_a_deviating_shipped_number(shipped_smoke, tmp_path):
    """Re-shipping a doctored result (through the cache, as a real deviation would arrive) makes --verify exit 1."""
    from pipeline.cache import JOB_ENTRY, Cache
    results = copy_of(shipped_smoke[0], tmp_path)
    folder = results / "smoke"
    manifest = json.loads((folder / "manifest.json").read_text())
    row = next(r for r in manifest["jobs"] if r["experiment"] == "explosion")
    store = Cache(folder)
    entry = store.load("explosion", row["key"], shape=JOB_ENTRY)
    entry["result"] = json.loads(json.dumps(entry["result"], default=lambda a: a.tolist()))
    def nudge(v):
        if isinstance(v, dict):
            return {k: nudge(x) for k, x in v.items()}
        if isinstance(v, list):
            return [nudge(x) for x in v]
        return v * 1.001 + 1e-6 if isinstance(v, float) else v
    entry["result"] = nudge(entry["result"])
    store.store("explosion", row["key"], entry)
    row["sha256"] = file_digest(folder / "explosion" / f"{row['key']}.entry")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    proc = run_build("--profile", "smoke", "--verify", "2", "--only", "explosion", "--jobs", "1",
                     "--cache", tmp_path / "cache", "--shipped", results)
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "DEVIATES" in proc.stdout


def test_verify_without_a_shipped_run_is_one_line_and_exit_2(tmp_path):
    proc = run_build("--profile", "smoke", "--verify", "--cache", tmp_path / "cache", "--shipped", tmp_path / "none")
    assert proc.returncode == 2 and "nothing is shipped" in proc.stderr and "Traceback" not in proc.stderr


def test_deviation_ignores_timings_and_counts_nan_on_one_side():
    import numpy as np
    a = {"x": np.array([1.0, np.nan]), "seconds": 3.0, "price": {"full": 1.0}}
    assert verify.deviation(a, {"x": np.array([1.0, np.nan]), "seconds": 9.0, "price": {"full": 2.0}})[:2] == (0, 0)
    assert verify.deviation(a, {"x": np.array([1.0, 2.0]), "seconds": 3.0, "price": {}})[0] == np.inf
    assert verify.deviation({"x": [1, 2]}, {"x": [1]})[2]


def test_the_shipped_runs_of_the_project_are_whole_and_report_stale_jobs():
    """Every run shipped in results/ has exactly its manifest's entries, each loading (a CI failure otherwise);
    which of its jobs are stale against today's code is printed as a warning, not a failure: rerun them."""
    runs = [f for f in sorted((ROOT / "results").glob("*")) if (f / "manifest.json").is_file()]
    if not runs:
        pytest.skip("no shipped run in results/")
    from pipeline import runner
    from pipeline.cache import Cache
    from pipeline.registry import NAMES
    for folder in runs:
        assert shipped.check(folder) == [], folder
        plans = runner.make_plan(NAMES, folder.name, "cpu", Cache(ROOT / ".cache"))
        stale = {name: s for name, (_, s) in shipped.status(plans, folder).items() if s}
        if stale:
            warnings.warn(f"shipped {folder.name} jobs stale against the current code (rerun with "
                          f"python build.py --profile {folder.name} --only … --ship): {stale}")


def test_the_rates_a_shipped_run_chose_reach_the_default_profile(tmp_path, monkeypatch):
    """--ship records the rates the grid chose on validation data; experiments.chosen_rates hands them to the
    default profile with the run they came from, and falls back to the provisional ones where none is recorded."""
    import experiments
    numbers = {"adding": dict(lr_grid=[1e-3, 1e-2], lengths=[150, 400], n_validation=10,
                              lr_chosen={"irnn": {150: 3e-4, 400: 1e-3}, "lstm": {150: 1e-2, 400: 3e-3}}),
               "sequential_mnist": dict(lr_grid=[1e-4, 1e-3], datasets=["mnist"], n_validation=10,
                                        rows=[dict(model="irnn", lr_chosen={"mnist": 1e-4}),
                                              dict(model="tanh_gauss", lr_chosen={"mnist": 3e-4})])}
    chosen = shipped.write_chosen_rates(tmp_path, numbers, "0123456789abcdef", log=lambda *_: None)
    assert chosen["adding"]["lr"] == {"150": {"irnn": 3e-4, "lstm": 1e-2}, "400": {"irnn": 1e-3, "lstm": 3e-3}}
    monkeypatch.setattr(experiments, "CHOSEN_RATES", tmp_path / shipped.CHOSEN_RATES)
    provisional = {"irnn": 1.0, "lstm": 2.0}
    rates, source = experiments.chosen_rates("adding", "150", provisional, "provisional")
    assert rates == {"irnn": 3e-4, "lstm": 1e-2} and "0123456789ab" in source and "validation" in source
    rates, _ = experiments.chosen_rates("sequential_mnist", "mnist", {"irnn": 1.0, "tanh_gauss": 2.0}, "p")
    assert rates == {"irnn": 1e-4, "tanh_gauss": 3e-4}
    # a model no run chose for, a key or file that is not there: the provisional rates, said to be provisional
    assert experiments.chosen_rates("adding", "150", {"irnn": 1.0, "tanh_gauss": 2.0}, "p") == ({"irnn": 1.0, "tanh_gauss": 2.0}, "p")
    assert experiments.chosen_rates("adding", "1000", provisional, "p") == (provisional, "p")
    (tmp_path / shipped.CHOSEN_RATES).write_text("{not json")
    assert experiments.chosen_rates("adding", "150", provisional, "p") == (provisional, "p")
    # a profile without a grid chooses nothing, and leaves what an earlier part wrote
    assert shipped.write_chosen_rates(tmp_path / "x", {"adding": dict(lr_grid=None)}, "c", log=lambda *_: None) == {}
