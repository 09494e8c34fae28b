"""Plan and run experiment jobs: each job is looked up in the cache or computed, in-process, in a local
process pool (one torch thread per worker) or on a Dask cluster. Results do not depend on which runs them."""
import hashlib
import os
import re
import socket
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

import i18n
import rnn
from experiments import Unavailable
from pipeline.cache import FIGURE_ENTRY, JOB_ENTRY, Cache, DamagedEntry, compute_hash, entry_key, source_hash, stable_json
from pipeline.registry import BY_NAME, Experiment

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Job:
    experiment: str
    index: int
    spec: dict
    key: str
    code: str = ""          # hash of the compute code the key covers (pipeline/shipped.py names a stale job by it)
    cached: bool = False
    seconds: float = 0.0


@dataclass
class Plan:
    experiment: Experiment
    config: dict
    jobs: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.experiment.name

    @property
    def module(self):
        return self.experiment.compute

    @property
    def estimate(self):
        """Estimated CPU seconds of all its jobs (experiments.NAME.estimate), or None when it has no estimate."""
        guess = getattr(self.module, "estimate", None)
        return guess(self.config) if guess else None

    @property
    def budget(self) -> str:
        describe = getattr(self.module, "budget", None)
        return describe(self.config) if describe else ""


def module_of(name: str):
    return BY_NAME[name].compute


def make_plan(names, profile, device, cache: Cache) -> list[Plan]:
    plans = []
    for name in names:
        experiment = BY_NAME[name]
        module = experiment.compute
        config = dict(module.PROFILES[profile])
        code = compute_hash(Path(module.__file__))
        plan = Plan(experiment, config)
        specs = module.jobs(config) if hasattr(module, "jobs") else [{}]
        for i, spec in enumerate(specs):
            key = entry_key(name, config, spec, code, device)
            plan.jobs.append(Job(name, i, spec, key, code, cached=cache.has(name, key)))
        plans.append(plan)
    return plans


def run_job(name: str, config: dict, spec: dict, device: str, threads: int | None):
    """Computes one job; top-level so that process pools and Dask workers can pickle it."""
    rnn.setup_torch(threads)   # in the thread that runs the job: flush-to-zero is per thread
    start = time.perf_counter()
    try:
        result = module_of(name).run(config, spec, device)
    except Unavailable as e:
        return Unavailable(str(e)), 0.0
    return result, time.perf_counter() - start


class JobFailed(Exception):
    """A job that raised (after its retries): reported in its result slot, never cached; the others go on."""


class SchedulerError(Exception):
    pass


class DeviceError(Exception):
    """--device names a device this machine does not have."""


def check_scheduler(address: str, timeout: float = 5) -> str:
    """Fails fast, in one line, on a --scheduler that is malformed or where nothing listens (Dask itself would
    wait ~30 s); returns the address. Dask is an optional extra, imported only when a scheduler is asked for."""
    if address.startswith("inproc://"):  # a cluster in this very process (build.main called from Python)
        return address
    m = re.fullmatch(r"(?:(tcp|tls)://)?(\[[0-9a-fA-F:]+\]|[\w.-]+):(\d{1,5})/?", address.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise SchedulerError(f"--scheduler {address!r} is not an address like tcp://host:8786")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise SchedulerError("--scheduler needs Dask: pip install -r requirements-dask.txt") from None
    host, port = m.group(2).strip("[]"), int(m.group(3))
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as e:
        raise SchedulerError(f"no Dask scheduler answers at {address} ({e.strerror or e}); start one "
                             f"(dask scheduler) or drop --scheduler to run locally") from None
    return address


def _exit_with_parent(parent: int):
    """Pool worker initializer: a worker whose build was killed (SIGKILL, OOM) exits within a second
    instead of computing on as an orphan. Polling getppid works on every POSIX system, unlike prctl."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _failure(plan, job, error) -> JobFailed:
    return JobFailed(f"job {job.index} of {plan.name} failed: {type(error).__name__}: {error}")


def execute(plans: list[Plan], cache: Cache, device: str, workers: int = 1, scheduler: str | None = None,
            force=(), log=print, progress=None, data_dir: Path | None = None) -> dict[str, list]:
    """Returns {experiment: [result of job 0, job 1, ...]}; stores every computed job as soon as it finishes.
    `force`: the names of the experiments to recompute although cached (True: all). `data_dir`: the build's
    --data-dir, handed to the experiments' prepare(). A job that raises gets a JobFailed in its slot (one line
    logged) and the others still run; a cache that cannot be written keeps the results in memory for this
    build, with one warning."""
    results = {p.name: [None] * len(p.jobs) for p in plans}
    force = {p.name for p in plans} if force is True else set(force or ())
    todo = []
    for plan in plans:
        for job in plan.jobs:
            if job.cached and plan.name not in force:
                try:
                    entry = cache.load(plan.name, job.key, shape=JOB_ENTRY)
                    results[plan.name][job.index] = entry["result"]
                    job.seconds = entry["seconds"]
                    continue
                except DamagedEntry as e:
                    log(f"warning: {e}; recomputing it")
                    try:
                        cache.discard(plan.name, job.key)
                    except OSError:
                        pass  # a read-only cache: the recomputed result is kept in memory (see finish)
                except KeyError:
                    pass
            job.cached = False
            todo.append((plan, job))

    # an experiment's inputs are fetched once, here, before its jobs fan out (e.g. MNIST, with a progress bar);
    # prepare() returns the config its jobs run with (e.g. where the data is: not part of the results' key)
    configs = {}
    for plan in {id(p): p for p, _ in todo}.values():
        prepare = getattr(plan.module, "prepare", None)
        try:
            configs[plan.name] = (prepare(plan.config, data_dir) if prepare else None) or plan.config
        except Unavailable as e:
            log(f"skipping {plan.name}: {e}")
            for job in plan.jobs:
                results[plan.name][job.index] = e
            todo = [(p, j) for p, j in todo if p is not plan]

    def finish(plan, job, result, seconds):
        job.seconds = seconds
        results[plan.name][job.index] = result
        if not isinstance(result, Exception):  # a missing input or a failure is not a result: ask again next time
            cache.try_store(plan.name, job.key, {"result": result, "seconds": seconds}, log=log)
        else:
            log(f"error: {result}")
        if progress is not None:
            progress.update(1)
            progress.set_postfix_str(f"{plan.name} {seconds:.1f}s")

    if progress is not None:
        progress.reset(total=len(todo))
    if not todo:
        return results
    if scheduler:
        _on_dask(todo, configs, scheduler, device, finish)
    elif workers <= 1:
        for plan, job in todo:  # tiny RNNs are latency-bound: one thread beats two fighting over a core
            try:
                outcome = run_job(plan.name, configs[plan.name], job.spec, device, 1)
            except Exception as e:
                outcome = _failure(plan, job, e), 0.0
            finish(plan, job, *outcome)
    else:
        # spawn, not fork: torch's thread pools do not survive a fork
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            pending = {pool.submit(run_job, p.name, configs[p.name], j.spec, device, 1): (p, j) for p, j in todo}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        plan, job = pending.pop(future)
                        try:
                            outcome = future.result()
                        except Exception as e:
                            outcome = _failure(plan, job, e), 0.0
                        finish(plan, job, *outcome)
            except BaseException:   # Ctrl-C, SIGTERM (build.py raises on it): stop the workers now, not after their jobs
                for process in list((getattr(pool, "_processes", None) or {}).values()):
                    process.terminate()
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return results


def _on_dask(todo, configs, scheduler, device, finish, retries=2):
    """Runs the jobs on a Dask cluster. A lost worker's jobs are rerun by the scheduler; a job that raises is
    retried `retries` times, then reported; every finished job is stored as it arrives."""
    from dask.distributed import Client, as_completed
    with Client(scheduler, timeout="10s") as client:
        ship_code(client)
        futures = {client.submit(run_job, p.name, configs[p.name], j.spec, device, 1, pure=False, retries=retries): (p, j)
                   for p, j in todo}
        for future in as_completed(futures):
            plan, job = futures[future]
            try:
                outcome = future.result()
            except Exception as e:
                outcome = _failure(plan, job, e), 0.0
            finish(plan, job, *outcome)


def check_workers(address: str) -> None:
    """Before any training: the project's code reaches the cluster's workers and they can import it."""
    from dask.distributed import Client
    try:
        client = Client(address, timeout="10s")
    except Exception as e:
        raise SchedulerError(f"cannot connect to the Dask scheduler at {address} ({type(e).__name__}: {e})") from None
    with client:
        ship_code(client)


def project_zip() -> Path:
    """The project's Python packages (every top-level folder with an __init__.py, but the tests) as one zip,
    named by its content, so that a Dask worker started anywhere, without this project on its PYTHONPATH,
    can import the jobs' code."""
    import tempfile
    import zipfile
    packages = sorted(d for d in ROOT.iterdir() if (d / "__init__.py").is_file() and d.name not in ("tests", "benchmarks"))
    files = sorted(f for d in packages for f in d.rglob("*.py") if "__pycache__" not in f.parts)
    digest = hashlib.sha256(b"".join(str(f.relative_to(ROOT)).encode() + f.read_bytes() for f in files)).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"rnn_gradients_{digest}.zip"
    if not path.exists():
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for f in files:
                z.writestr(zipfile.ZipInfo(str(f.relative_to(ROOT)), (2026, 1, 1, 0, 0, 0)), f.read_bytes())
        os.replace(tmp, path)
    return path


def ship_code(client) -> None:
    """Uploads the project's code to a scheduler and workers that run in other processes (workers that join
    later get it too), then checks that a worker can import the jobs' code and torch; raises SchedulerError in
    one line otherwise. A scheduler or workers inside this very process (a LocalCluster) share its code: they
    are left alone, so that this process keeps importing the project from its folder."""
    from distributed.diagnostics.plugin import SchedulerUploadFile, UploadFile
    here = os.getpid()
    try:
        zip_file = str(project_zip())
        if client.run_on_scheduler(os.getpid) != here:   # the scheduler unpickles the task graph: it needs the code
            client.register_plugin(SchedulerUploadFile(zip_file), name="rnn-gradients-code")
        if here not in client.run(os.getpid).values():
            client.register_plugin(UploadFile(zip_file), name="rnn-gradients-code")
        client.run(exec, "import pipeline.runner, torch")
    except Exception as e:
        raise SchedulerError(f"the Dask workers cannot import this project's jobs ({type(e).__name__}: {e}); install "
                             f"requirements.txt (the same torch and dask) in every worker's environment") from None


def missing_jobs(results: dict[str, list], kind: type = Exception) -> list[str]:
    """One line per job without a result (failed or unavailable; kind=JobFailed: failed only), for the end
    of the build."""
    return [f"{name} job {i}: {r}" for name, rs in results.items() for i, r in enumerate(rs) if isinstance(r, kind)]


def resolve_device(choice: str) -> str:
    import torch
    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise DeviceError("--device cuda was asked for but torch sees no CUDA device; "
                          "use --device cpu or install a CUDA build of torch")
    return choice


def default_workers() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))


def draw(plan: Plan, results: list, figures: Path, cache: Cache, force: bool = False, lang: str = i18n.SOURCE,
         missing: set | None = None) -> dict:
    """analysis/NAME.py's numbers and figures/NAME.py's figures in the language lang, reusing the last drawing when
    neither the results nor the analysis or presentation code (nor lang's catalogue) changed: a change of plot
    style or language redraws without retraining. Returns the numbers; texts lang's catalogue lacks are added to
    `missing`."""
    analysis, presentation = plan.experiment.analysis, plan.experiment.presentation
    catalogue = hashlib.sha256(i18n.catalogue_file(lang).read_bytes()).hexdigest() if lang != i18n.SOURCE else ""
    key = hashlib.sha256(stable_json([[j.key for j in plan.jobs], source_hash(Path(presentation.__file__)),
                                      source_hash(Path(analysis.__file__)), lang, catalogue]).encode()).hexdigest()[:32]
    name = f"{plan.name}.figures.{lang}"
    try:
        if force:
            raise KeyError(key)
        entry = cache.load(name, key, shape=FIGURE_ENTRY)
        for file, blob in entry["files"].items():
            target = figures / file
            if not target.exists() or target.read_bytes() != blob:
                target.write_bytes(blob)
        return entry["numbers"]
    except (KeyError, DamagedEntry):
        pass
    numbers = analysis.numbers(plan.config, results)
    with i18n.language(lang, missing):
        saved = [Path(f) for f in presentation.draw(plan.config, results, figures)]
    drawn = {f.stem for f in saved}
    if drawn != set(plan.experiment.figures):
        raise RuntimeError(f"figures/{plan.name}.py drew {sorted(drawn)} but pipeline/registry.py declares "
                           f"{sorted(plan.experiment.figures)} for {plan.name}")
    files = {f.name: f.read_bytes() for f in saved}
    cache.try_store(name, key, {"numbers": numbers, "files": files})
    return numbers
