"""The Dask path (issue 11): same results as in-process, a raising job is reported and the rest completes,
a killed worker changes no result and loses no finished job, a bad --scheduler fails fast in one line."""
import os
import signal
import socket
import time

import pytest

from pipeline import runner
from pipeline.cache import Cache
from test_faults import same, tiny_plans

if os.environ.get("CI"):  # CI installs requirements-dask.txt (setup.sh): there the Dask path must be tested
    import dask.distributed as distributed
else:
    distributed = pytest.importorskip("dask.distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None) as c:
        yield c


def test_a_smoke_sweep_on_dask_equals_the_in_process_run(tmp_path, cluster):
    plans = runner.make_plan(["jacobian", "cliff"], "smoke", "cpu", Cache(tmp_path / "a"))
    local = runner.execute(plans, Cache(tmp_path / "a"), "cpu")
    plans = runner.make_plan(["jacobian", "cliff"], "smoke", "cpu", Cache(tmp_path / "b"))
    remote = runner.execute(plans, Cache(tmp_path / "b"), "cpu", scheduler=cluster.scheduler_address)
    assert same(local, remote)
    assert sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.entry")) == \
           sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.entry"))


def test_a_raising_job_is_reported_and_the_rest_completes(tmp_path, cluster):
    cache, logged = Cache(tmp_path), []
    results = runner.execute(tiny_plans(tmp_path, bad=True, copies=3), cache, "cpu",
                             scheduler=cluster.scheduler_address, log=logged.append)
    assert isinstance(results["jacobian"][0], runner.JobFailed) and "KeyError" in str(results["jacobian"][0])
    assert all(isinstance(r, dict) for r in results["cliff"])
    assert all(cache.has("cliff", f"key{i}") for i in range(3)) and not cache.has("jacobian", "bad")
    assert [line for line in logged if line.startswith("error:")] == [f"error: {results['jacobian'][0]}"]
    assert runner.missing_jobs(results) == [f"jacobian job 0: {results['jacobian'][0]}"]


class KillAWorkerOnFirstResult:
    """A progress bar stand-in: when the first job finishes, SIGKILLs one worker, which is busy by then."""

    def __init__(self, address):
        self.address, self.killed = address, None

    def reset(self, total):
        pass

    def set_postfix_str(self, text):
        pass

    def update(self, n):
        if self.killed is None:
            with distributed.Client(self.address) as client:
                pids = client.run(os.getpid)
            self.killed = sorted(pids.values())[0]
            os.kill(self.killed, signal.SIGKILL)


def test_a_killed_worker_changes_no_result_and_loses_no_finished_job(tmp_path, cluster):
    reference = runner.execute(tiny_plans(tmp_path / "ref", slow_steps=400, copies=1), Cache(tmp_path / "ref"), "cpu")
    cache, kill = Cache(tmp_path / "cache"), KillAWorkerOnFirstResult(cluster.scheduler_address)
    results = runner.execute(tiny_plans(tmp_path, slow_steps=400, copies=8), cache, "cpu",
                             scheduler=cluster.scheduler_address, progress=kill)
    assert kill.killed is not None
    assert all(same(r, reference["cliff"][0]) for r in results["cliff"])
    assert all(cache.has("cliff", f"key{i}") for i in range(8))


def test_a_malformed_scheduler_address_is_one_line():
    for address in ("localhost", "tcp://", "http://host:8786", "tcp://host:99999", "tcp://host:port"):
        with pytest.raises(runner.SchedulerError, match="is not an address like tcp://host:8786"):
            runner.check_scheduler(address)


def test_a_scheduler_where_nothing_listens_fails_fast(cluster):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.perf_counter()
    with pytest.raises(runner.SchedulerError, match=f"no Dask scheduler answers at tcp://127.0.0.1:{port}") as e:
        runner.check_scheduler(f"tcp://127.0.0.1:{port}", timeout=2)
    assert time.perf_counter() - start < 10 and len(str(e.value).splitlines()) == 1
    assert runner.check_scheduler(cluster.scheduler_address) == cluster.scheduler_address


# --------------------------------------------------------------------------- the README's manual set-up (issue 19)

@pytest.fixture(scope="module")
def readme_cluster(tmp_path_factory):
    """`dask scheduler` and `dask worker ADDRESS --nthreads 1` as the README starts them: from another folder,
    without this project on PYTHONPATH."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path
    folder = tmp_path_factory.mktemp("elsewhere")
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
    assert dask, "the dask command is missing (pip install -r requirements-dask.txt)"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    started = [subprocess.Popen([dask, "scheduler", "--port", str(port), "--no-dashboard"], cwd=folder, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        started.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard"],
                                        cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with distributed.Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=120)
        yield address
    finally:
        for proc in reversed(started):
            proc.terminate()
            proc.wait(timeout=30)


@pytest.mark.slow
def test_workers_started_as_the_readme_says_run_the_jobs(tmp_path, readme_cluster):
    with distributed.Client(readme_cluster) as client:   # the worker alone cannot import the project
        with pytest.raises(Exception, match="No module named 'pipeline'"):
            client.submit(exec, "import pipeline", pure=False).result(timeout=60)
    runner.check_workers(readme_cluster)   # the build's preflight: ships the code, a worker imports it
    local = runner.execute(tiny_plans(tmp_path / "a"), Cache(tmp_path / "a"), "cpu")
    remote = runner.execute(tiny_plans(tmp_path / "b"), Cache(tmp_path / "b"), "cpu", scheduler=readme_cluster)
    assert not any(isinstance(r, Exception) for r in remote["cliff"]), remote
    assert same(local, remote)
