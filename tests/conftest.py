import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rnn  # noqa: E402

# what every build job runs with: one torch thread (tiny RNNs are latency-bound; with 2 threads on 2 shared cores
# every op can stall, measured up to 80x slower), flush-to-zero
rnn.setup_torch(1)


def tex_missing() -> list[str]:
    return [p for p in ("latexmk", "xelatex", "pdftotext") if shutil.which(p) is None]


@pytest.fixture
def needs_tex():
    """TeX-dependent tests skip on a machine without TeX, but fail in CI (CI=true), where TeX must be there."""
    missing = tex_missing()
    if missing:
        message = f"TeX tools missing: {', '.join(missing)} (run ./setup.sh)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def skipped_for_input(stdout: str) -> set[str]:
    """Experiments a build skipped because their input data is not here (MNIST on a machine with neither
    ../shared/data/mnist nor internet). Outside CI a test leaves them out of what it expects; in CI, where the data
    must be there, such a build fails the test."""
    skipped = set(re.findall(r"^skipping (\S+): .* not available", stdout, re.M))
    if skipped and os.environ.get("CI"):
        pytest.fail(f"input data missing in CI for {', '.join(sorted(skipped))}")
    return skipped


def run_build(*args, env=None, timeout=600):
    """build.py in a subprocess, as a user runs it."""
    return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory):
    """One smoke build of everything, shared by the pipeline tests: (out dir, cache dir, process)."""
    if tex_missing() and not os.environ.get("CI"):
        pytest.skip("TeX tools missing (run ./setup.sh)")
    base = tmp_path_factory.mktemp("smoke")
    out, cache = base / "report", base / "cache"
    proc = run_build("--profile", "smoke", "--out", out, "--cache", cache)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, cache, proc


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: a test of a fault that takes a real build (runs in CI all the same)")
