"""Runs the experiments and builds the lecture materials: python build.py [--profile default] ...

Stages, in main() order: parse → plan → run (experiments/, cached by content) → draw (figures/: figures and
numbers) → render (templates/ → page.md and .tex) → compile (XeLaTeX → PDFs) → summary.
"""
import argparse
import errno
import hashlib
import json
import os
import signal
import sys
import time
from pathlib import Path

from pipeline.i18n import LANGUAGES, SOURCE
from pipeline.outputs import OutputError
from pipeline.registry import NAMES, PROFILES

ROOT = Path(__file__).resolve().parent
DOCUMENTS = [("deck", "deck.tex", {}), ("deck-notes", "deck.tex", {"notes": True}), ("exercise", "exercise.tex", {"solutions": True}),
             ("exercise-student", "exercise.tex", {"solutions": False}), ("report", "report.tex", {})]
REPORT_LANG = "en"   # the report is written in English whatever --lang is; its figures are drawn in English


def document_lang(name: str, lang: str) -> str:
    return REPORT_LANG if name == "report" else lang


def output_name(name: str, lang: str) -> str:
    """deck → deck-en etc.; the Russian edition and the report keep their plain names."""
    return name if name == "report" or lang == SOURCE else f"{name}-{lang}"


class Parser(argparse.ArgumentParser):
    def error(self, message):  # one clear line and exit 2, instead of the usage dump
        print(f"build.py: error: {message} (see python build.py --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = Parser(description="Run the experiments and build the deck, the exercise sheets, the report and the MyST page.")
    p.add_argument("--profile", choices=PROFILES, default="default",
                   help="budget: smoke (seconds, for tests), default (minutes on a laptop), full (hours on a CPU), "
                        "paper (the papers' scale, meant for a GPU). Default: %(default)s")
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="compute only these experiments (see --list); the documents use what is cached for the rest")
    p.add_argument("--list", action="store_true", help="list the experiments with their budget under --profile and whether each is cached, then exit")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto", help="where to train: auto picks cuda when torch sees a GPU. Default: %(default)s")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="worker processes for experiment jobs (one torch thread each). Default: the number of cores, at most 8 (smoke: 1, in-process)")
    p.add_argument("--scheduler", metavar="ADDRESS", help="run jobs on an existing Dask cluster, e.g. tcp://host:8786")
    p.add_argument("--lang", choices=LANGUAGES, default=SOURCE,
                   help="language of the deck, notes, exercise and page (en: files named deck-en.pdf, ...); the report is "
                        "always in English. Default: %(default)s")
    p.add_argument("--out", type=Path, default=ROOT / "report", metavar="DIR", help="output folder. Default: report/")
    p.add_argument("--cache", type=Path, default=ROOT / ".cache", metavar="DIR", help="results cache. Default: .cache/")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="folder with the four MNIST IDX files (.gz or raw)")
    p.add_argument("--no-pdf", action="store_true", help="stop after figures, tables and the MyST page (no TeX needed)")
    p.add_argument("--force", action="store_true", help="ignore the cache: recompute every experiment and rebuild every document")
    args = p.parse_args(argv)
    unknown = [n for n in args.only or [] if n not in NAMES]
    if unknown:
        p.error(f"unknown experiment {', '.join(map(repr, unknown))}; known: {', '.join(NAMES)}")
    if args.jobs is not None and args.jobs < 1:
        p.error("--jobs must be at least 1")
    return args


def inputs_fingerprint(args) -> str:
    """Everything a build's outputs depend on, hashed without importing torch (a no-op rebuild stays fast):
    the project's code and templates, the flags, torch's version, the commit, a GPU, and the data found."""
    from experiments.mnist import locate
    from pipeline.cache import torch_version
    h = hashlib.sha256()
    for folder in ("experiments", "figures", "pipeline", "templates", "locale"):
        for file in sorted((ROOT / folder).rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                h.update(str(file.relative_to(ROOT)).encode() + file.read_bytes())
    h.update((ROOT / "build.py").read_bytes())
    mnist = [(str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in locate(args.data_dir) or []]
    h.update(json.dumps([args.profile, args.lang, sorted(args.only or []), args.device, args.no_pdf, str(args.out.resolve()),
                         str(args.data_dir), torch_version(), git_commit(), os.path.exists("/dev/nvidia0"),
                         mnist]).encode())
    return h.hexdigest()


def git_commit() -> str:
    head = ROOT / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
        if ref.startswith("ref: "):
            ref_file = ROOT / ".git" / ref[5:]
            if ref_file.exists():
                return ref_file.read_text().strip()[:10]
            packed = (ROOT / ".git" / "packed-refs").read_text()
            return next(line.split()[0][:10] for line in packed.splitlines() if line.endswith(ref[5:]))
        return ref[:10]
    except (OSError, StopIteration):
        return "unknown"


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def up_to_date(stamp: Path, fingerprint: str):
    """The saved stamp when every output it lists is unchanged and the inputs are the same; None otherwise,
    also for a stamp that is unreadable or of the wrong shape (it is then simply rewritten by this build)."""
    try:
        saved = json.loads(stamp.read_text())
        if saved.get("fingerprint") != fingerprint:
            return None
        if not all(isinstance(row, list) and len(row) >= 2 and all(isinstance(x, str) for x in row)
                   for row in saved["summary"]):
            return None
        for name, digest in saved["outputs"].items():
            path = stamp.parent / name
            if not isinstance(digest, str) or not path.is_file() or file_digest(path) != digest:
                return None
        return saved
    except (OSError, ValueError, KeyError, TypeError, AttributeError):  # unreadable or of the wrong shape
        return None


def print_table(rows, headers):
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for row in [headers, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)).rstrip())


# ----------------------------------------------------------------------------- the stages

def plan(args, cache):
    from pipeline import runner
    try:
        device = runner.resolve_device(args.device)
    except runner.DeviceError as e:
        raise UsageError(str(e)) from None
    return device, runner.make_plan(NAMES, args.profile, device, cache)


def list_plans(args, device, plans):
    def cpu(seconds):
        return "< 1 min" if seconds is None or seconds < 60 else f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"
    rows = [[p.name, f"{sum(j.cached for j in p.jobs)}/{len(p.jobs)}", cpu(p.estimate), p.budget] for p in plans]
    print(f"Experiments under profile {args.profile!r} on {device} (cache: {args.cache}):")
    print_table(rows, ["experiment", "cached jobs", "est. CPU", "budget"])
    total = sum(p.estimate or 0 for p in plans)
    print(f"Estimated CPU time of the whole profile: {cpu(total)} (about {cpu(total / min(2, runner_workers()))} "
          f"of wall time on {min(2, runner_workers())} cores); the estimates are rough (one thread per job, no other load).")


def runner_workers() -> int:
    from pipeline import runner
    return runner.default_workers()


def run(args, plans, cache, device, summary):
    """Computes what is not cached; experiments outside --only are used only when fully cached (and --force
    recomputes only the experiments asked for)."""
    from tqdm import tqdm

    from pipeline import runner
    selected = set(args.only or NAMES)
    runnable = [p for p in plans if p.name in selected or all(j.cached for j in p.jobs)]
    skipped = {p.name: "not computed (outside --only and not cached)" for p in plans if p not in runnable}
    workers = 1 if args.profile == "smoke" and args.jobs is None else (args.jobs or runner.default_workers())
    with tqdm(desc="experiments", unit="job", dynamic_ncols=True, disable=None) as bar:
        results = runner.execute(runnable, cache, device, workers=workers, scheduler=args.scheduler,
                                 force=selected if args.force else (), log=tqdm.write, progress=bar,
                                 data_dir=args.data_dir.resolve() if args.data_dir else None)
    for p in runnable:
        computed = [j for j in p.jobs if not j.cached]
        status = "computed" if len(computed) == len(p.jobs) else "cached" if not computed else f"{len(computed)}/{len(p.jobs)} computed"
        if any(isinstance(r, runner.JobFailed) for r in results[p.name]):
            status = "FAILED"
        elif any(isinstance(r, Exception) for r in results[p.name]):
            status = "skipped"
        summary.append(["experiment", p.name, status, f"{sum(j.seconds for j in computed):.1f}"])
    return runnable, results, skipped


def draw(args, runnable, results, cache, outputs, notes, skipped, summary) -> dict:
    """figures/NAME.py for every experiment with results: figures in out/figures (out/figures-en, ...), one
    folder per language the documents need, and the numbers for the documents (the same in every language)."""
    from pipeline import documents, runner
    numbers, out = {}, outputs.out
    for lang in dict.fromkeys([args.lang, REPORT_LANG]):
        folder, t0 = documents.figures_folder(lang), time.perf_counter()
        figures = outputs.folder(folder)
        for p in runnable:
            missing = [r for r in results[p.name] if isinstance(r, Exception)]
            if missing:
                skipped[p.name] = str(missing[0])
                continue
            for name in p.experiment.figures:
                for ext in ("pdf", "png"):
                    outputs.path(f"{folder}/{name}.{ext}")
            report = runner.draw(p, results[p.name], figures, cache, force=args.force and p.name in set(args.only or NAMES),
                                 lang=lang, missing=notes.missing)
            report["seconds"] = sum(j.seconds for j in p.jobs)
            report["budget"] = report.get("budget") or p.budget
            numbers.setdefault(p.name, report)
        summary.append(["figures", f"{figures.relative_to(out)}/", "drawn", f"{time.perf_counter() - t0:.1f}"])
    return numbers


def render_page(context, outputs, notes, summary, lang):
    """The MyST page (page.md, page-en.md, ...) and the PNGs it shows (only those: images an earlier build
    copied and this page no longer shows are removed with the other stale outputs)."""
    from pipeline import documents, i18n
    t0, name = time.perf_counter(), output_name("page", lang) + ".md"
    with i18n.language(lang, notes.missing):
        page, used = documents.render_page("page.md", context, notes)
    outputs.write_text(name, page)
    for figure in used:
        png = outputs.out / documents.figures_folder(lang) / f"{figure}.png"
        outputs.write_bytes(f"images/{documents.image_folder(lang)}/{figure}.png", png.read_bytes())
    summary.append(["document", f"{name} (MyST)", "rendered", f"{time.perf_counter() - t0:.1f}"])


def compile_documents(context, outputs, notes, summary, lang) -> list[str]:
    """Every PDF, each on its own: one that fails is reported and the others are still built. Returns the
    names of the PDFs built (all of them when nothing failed)."""
    from pipeline import documents, i18n
    out, built_pdfs = outputs.out, []
    if missing := documents.tex_available():
        print(f"error: cannot build the PDFs: {', '.join(missing)} not found. The experiments, figures and page.md are in {out}.\n"
              f"Install TeX Live with: sudo apt-get install --no-install-recommends {documents.TEX_PACKAGES}\n"
              f"(or run the README's first command, which installs them), then run python build.py again.", file=sys.stderr)
        return []
    epoch = commit_epoch()
    for document, template, extra in DOCUMENTS:
        name, doc_lang = output_name(document, lang), document_lang(document, lang)
        try:
            with i18n.language(doc_lang, notes.missing):
                text = documents.render(template, {**context, **extra}, notes=notes)
            outputs.write_text(f"build/{name}.tex", text)
            outputs.path(f"{name}.pdf")
            built = documents.compile_pdf(out / "build" / f"{name}.tex", out, epoch)
            summary.append(["document", f"{name}.pdf", "compiled" if built.compiled else "up to date", f"{built.seconds:.1f}"])
            built_pdfs.append(f"{name}.pdf")
        except documents.DocumentError as e:
            print(f"error: {name}.pdf: {e}", file=sys.stderr)
            summary.append(["document", f"{name}.pdf", "FAILED", "-"])
            outputs.written.discard(f"{name}.pdf")
            outputs.keep(f"{name}.pdf")   # the last good PDF stays, but is not listed as this build's
        for f in (out / "build").glob(f"{name}.*"):
            outputs.record(f"build/{f.name}")
    return built_pdfs


def check_out(out: Path):
    """Raises UsageError unless out is (or can be made) a folder this build can write to and may own."""
    from pipeline import outputs
    if why := outputs.refusal(out, ROOT):
        raise UsageError(why)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder; pass --out with a folder path")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".probe-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise UsageError(f"cannot write to --out {out} ({e.strerror or e}); make it writable or pass another --out") from None


def check_data_dir(data_dir: Path | None):
    """--data-dir must be an existing folder: a typo is not silently created (nor MNIST downloaded into it)."""
    if data_dir is None:
        return
    if not data_dir.exists():
        raise UsageError(f"--data-dir {data_dir} does not exist; pass the folder that holds the four MNIST files "
                         f"(or leave --data-dir out to use the default places)")
    if not data_dir.is_dir():
        raise UsageError(f"--data-dir {data_dir} is a file, not a folder; pass the folder that holds the four MNIST files")


def planned_outputs(args, out: Path) -> set[str]:
    """Every file name this build may write into out (relative to it): the ones an earlier build must own."""
    from pipeline import documents, registry
    figures = [f for e in registry.EXPERIMENTS for f in e.figures]
    names = {"results.json", f"{output_name('page', args.lang)}.md"}
    for lang in dict.fromkeys([args.lang, REPORT_LANG]):
        names |= {f"{documents.figures_folder(lang)}/{f}.{ext}" for f in figures for ext in ("pdf", "png")}
    names |= {f"images/{documents.image_folder(args.lang)}/{f}.png" for f in figures}
    if not args.no_pdf:
        for document, _, _ in DOCUMENTS:
            name = output_name(document, args.lang)
            names |= {f"{name}.pdf", f"build/{name}.tex"}
            # LaTeX's own files of a document are ours when its .tex is; a link among them is refused all the same
            names |= {f"build/{f.name}" for f in (out / "build").glob(f"{name}.*") if f.is_symlink()}
    return names


class UsageError(Exception):
    """Something the user asked for cannot work: one line, exit 2, before any work starts."""


def preflight(args, out):
    """What can be checked before any training: --data-dir, the catalogues, --out, --cache, --scheduler.
    Returns the Cache."""
    from pipeline import i18n, runner
    from pipeline.cache import Cache, CacheError
    cache = Cache(args.cache)
    if args.list:
        return cache
    check_data_dir(args.data_dir)
    try:
        for lang in {args.lang, REPORT_LANG}:
            i18n.check_catalogue(lang)
    except i18n.CatalogueError as e:
        raise UsageError(f"{e}; fix the catalogue (see README: Languages)") from None
    check_out(out)
    try:
        cache.check_writable()
    except CacheError as e:
        raise UsageError(str(e)) from None
    if args.scheduler:
        try:
            runner.check_scheduler(args.scheduler)
            runner.check_workers(args.scheduler)
        except runner.SchedulerError as e:
            raise UsageError(str(e)) from None
    return cache


class Terminated(Exception):
    """SIGTERM: unwinds like Ctrl-C, so that worker processes and their semaphores are released cleanly."""


def _terminate(signum, frame):
    raise Terminated()


class ClosedPipeSafe:
    """stdout/stderr that a reader going away (`build.py | head -1`) cannot break: as `git log | head` does,
    the build goes on silently, finishes its work and writes its stamp."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text):
        try:
            return self.stream.write(text)
        except BrokenPipeError:
            self._closed()
            return len(text)

    def flush(self):
        try:
            self.stream.flush()
        except BrokenPipeError:
            self._closed()

    def _closed(self):
        devnull = os.open(os.devnull, os.O_WRONLY)   # later writes (and the final flush at exit) go nowhere
        os.dup2(devnull, self.stream.fileno())
        os.close(devnull)

    def __getattr__(self, name):
        return getattr(self.stream, name)


def disk_error(e: OSError) -> str:
    """One line for a write that failed: the file, why, what to do."""
    where = f" {e.filename}" if e.filename else ""
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"cannot write{where}: {e.strerror}; free some space there or pass another --out (every finished job is cached)"
    if e.errno in (errno.ENOENT, errno.ESTALE, errno.EIO, errno.EROFS):
        return f"cannot write{where}: {e.strerror} (did the output folder or its disk go away?); pass a usable --out and run again"
    return f"cannot write{where}: {e.strerror or e}"


def main(argv=None) -> int:
    streams = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = ClosedPipeSafe(sys.stdout), ClosedPipeSafe(sys.stderr)
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)
    except ValueError:   # not the main thread (build.main called from a thread): no handler
        previous = None
    try:
        return _main(argv)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        sys.stdout, sys.stderr = streams


def _main(argv) -> int:
    args = parse_args(argv)
    out = args.out.resolve()
    try:
        cache = preflight(args, out)
        if args.list:
            device, plans = plan(args, cache)
            list_plans(args, device, plans)
            return 0
        from pipeline import lock, outputs
        with lock.exclusive(out, log=lambda line: print(line, file=sys.stderr, flush=True)):
            owned = outputs.Outputs(out, args.lang)
            owned.check(planned_outputs(args, out))
            return build(args, out, cache, owned)
    except (UsageError, OutputError) as e:
        print(f"build.py: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nInterrupted: every job that finished is cached; run the same command again to continue.", file=sys.stderr)
        return 130
    except Terminated:
        print("\nTerminated: every job that finished is cached; run the same command again to continue.", file=sys.stderr)
        return 143
    except OSError as e:   # a full or vanished output disk, mid-build
        print(f"build.py: error: {disk_error(e)}", file=sys.stderr)
        return 1


def build(args, out: Path, cache, outputs) -> int:
    """The build proper, holding out/.build.lock: up-to-date check, run, draw, render, compile, summary."""
    stamp = out / f".build-stamp-{args.lang}.json"
    fingerprint = inputs_fingerprint(args)
    if not args.force and (saved := up_to_date(stamp, fingerprint)):
        print(f"Nothing to do: the outputs in {out} are up to date (profile {args.profile}).")
        print_table([row[:2] + ["up to date"] for row in saved["summary"]], ["stage", "item", "status"])
        outputs.written |= set(saved["outputs"]) | {n for n in outputs.previous if n.startswith("build/")}
        outputs.finish()
        return 0

    from pipeline import documents, runner
    notes = documents.Notes()   # this build's warnings and untranslated texts
    device, plans = plan(args, cache)
    summary, t_start = [], time.perf_counter()
    runnable, results, skipped = run(args, plans, cache, device, summary)
    failed = [str(r) for rs in results.values() for r in rs if isinstance(r, runner.JobFailed)]  # one line each
    unavailable = [name for name in args.only or [] if name in results
                   and any(isinstance(r, Exception) and not isinstance(r, runner.JobFailed) for r in results[name])]
    numbers = draw(args, runnable, results, cache, outputs, notes, skipped, summary)

    from figures import claims
    from pipeline import registry
    context = dict(profile=args.profile, device=device, exp=numbers, skipped=skipped, env=environment(args, device),
                   sections=registry.sections(numbers), constants=constants(), claims=claims.evaluate(numbers))
    outputs.write_text("results.json", json.dumps({k: v for k, v in context.items() if k != "sections"},
                                                  indent=1, sort_keys=True, default=str))
    ok = not failed and not unavailable
    page = f"{output_name('page', args.lang)}.md"
    try:
        render_page(context, outputs, notes, summary, args.lang)
    except documents.DocumentError as e:
        print(f"error: {page}: {e}", file=sys.stderr)
        summary.append(["document", f"{page} (MyST)", "FAILED", "-"])
        outputs.written.discard(page)
        outputs.keep(page)
        ok = False
    pdfs = []
    if args.no_pdf:
        print("--no-pdf: the PDFs were not built.")
        for name in outputs.previous:   # not built this time is not "no longer written": the last PDFs stay
            if name.endswith(".pdf") and "/" not in name or name.startswith("build/"):
                outputs.keep(name)
    else:
        pdfs = compile_documents(context, outputs, notes, summary, args.lang)
        ok = ok and len(pdfs) == len(DOCUMENTS)
    for name in outputs.previous:
        if name.startswith("build/"):   # LaTeX's work folder: kept for the next latexmk run
            outputs.keep(name)
    if notes.missing:
        first = min(notes.missing, key=len)
        notes.warn(f"{len(notes.missing)} text(s) have no translation in {i18n_catalogue()} "
                   f"and are shown in Russian, e.g. {first[:80]!r}; see pipeline/i18n.py to update it")
    for warning in notes.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    removed = outputs.remove_stale()
    outputs.finish()

    print()
    print_table(summary, ["stage", "item", "status", "seconds"])
    for name, reason in skipped.items():
        if not any(isinstance(r, runner.JobFailed) for r in results.get(name, [])):
            print(f"skipped {name}: {reason}")
    for line in failed:
        print(f"error: {line} (the documents were built without it; run the same command again to retry)", file=sys.stderr)
    for name in unavailable:
        print(f"error: {name} was asked for with --only but cannot run here: {skipped.get(name, 'unavailable')}", file=sys.stderr)
    if removed:
        print(f"Removed {len(removed)} file(s) an earlier build wrote and this one no longer does: {', '.join(removed[:5])}"
              + (" …" if len(removed) > 5 else ""))
    built = ", ".join(pdfs + ([page] if page in outputs.written else [])
                      + [f"{documents.figures_folder(lang)}/" for lang in dict.fromkeys([args.lang, REPORT_LANG])])
    print(f"\nOutputs in {out}: {built} (total {time.perf_counter() - t_start:.0f} s)")
    if not ok:
        return 1
    deliverables = sorted(n for n in outputs.written if not n.startswith("build/"))
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "summary": summary,
                                 "outputs": {name: file_digest(out / name) for name in deliverables}}))
    return 0


def i18n_catalogue() -> str:
    from pipeline import i18n
    return str(i18n.catalogue_file(REPORT_LANG).relative_to(ROOT))


def constants() -> dict:
    """Recipe constants the documents state (the experiments' own values, never retyped in a template)."""
    from experiments import models
    from figures import claims, problems   # problems: the exercise's givens and computed answers
    return dict(le_in_std=models.IN_STD, le_relu_in_std=models.IRNN_IN_STD, le_clip=models.LE_CLIP,
                problems=problems.numbers(), pascanu_shortest=claims.PASCANU_SHORTEST, le_shortest=claims.LE_SHORTEST)


def commit_epoch() -> int:
    """SOURCE_DATE_EPOCH for TeX: fixed, so that the same inputs give the same PDF bytes."""
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))  # 2026-01-01


def environment(args, device) -> dict:
    import platform

    import numpy
    import torch
    return dict(python=platform.python_version(), torch=torch.__version__, numpy=numpy.__version__,
                platform=f"{platform.system()} {platform.machine()}", cpu=cpu_name(), cores=os.cpu_count(),
                device=device, commit=git_commit(), profile=args.profile,
                threads=1)  # every job runs with one torch thread (pipeline.runner.run_job)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform
    return platform.processor() or "unknown"


if __name__ == "__main__":
    sys.exit(main())
