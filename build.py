"""Runs the experiments and builds the lecture materials: python build.py [--profile default] ...

Stages, in main() order: parse → plan → run (experiments/, cached by content) → draw (analysis/: numbers;
figures/: figures) → render (templates/ → page.md and .tex) → compile (XeLaTeX → PDFs) → summary.
"""
import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from i18n import LANGUAGES, SOURCE, catalogue_file
from pipeline import guard
from pipeline.guard import UsageError, check_data_dir, check_out
from pipeline.outputs import OutputError
from pipeline.registry import EXPERIMENTS, NAMES, PROFILES

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
    p.add_argument("--ship", action="store_true", help="after the build, write its compute results and a manifest into results/PROFILE/")
    p.add_argument("--verify", type=int, nargs="?", const=3, metavar="N", help="re-run N shipped jobs of --profile "
                   "(default 3; with --only: those experiments') and compare them with the shipped numbers, then exit")
    p.add_argument("--shipped", type=Path, default=ROOT / "results", metavar="DIR", help="shipped results. Default: results/")
    args = p.parse_args(argv)
    unknown = [n for n in args.only or [] if n not in NAMES]
    if unknown:
        p.error(f"unknown experiment {', '.join(map(repr, unknown))}; known: {', '.join(NAMES)}")
    if args.jobs is not None and args.jobs < 1:
        p.error("--jobs must be at least 1")
    if args.verify is not None and args.verify < 1:
        p.error("--verify N needs N of at least 1")
    if args.verify is not None and (args.ship or args.list):
        p.error("--verify cannot be combined with --ship or --list")
    return args


def inputs_fingerprint(args) -> str:
    """Everything a build's outputs depend on, hashed without importing torch (a no-op rebuild stays fast):
    the project's code and templates, the flags, torch's version, the commit, a GPU, and the data found."""
    from rnn.data import locate
    from pipeline.cache import torch_version
    h = hashlib.sha256()
    for folder in ("rnn", "experiments", "analysis", "figures", "i18n", "pipeline", "templates", "locale"):
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
    import subprocess
    try:   # git itself first: .git is a file in a worktree or a submodule
        return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=10", "HEAD"], capture_output=True,
                              text=True, timeout=5, check=True).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        pass
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


def up_to_date(stamp: Path, fingerprint: str):
    """The saved stamp when every output it lists is unchanged and the inputs are the same; None otherwise,
    also for a stamp that is unreadable or of the wrong shape (it is then simply rewritten by this build)."""
    from pipeline.cache import file_digest
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
    from pipeline import shipped
    try:
        ships = shipped.status(plans, args.shipped / args.profile)
    except shipped.ShippedError as e:
        print(f"warning: {e}", file=sys.stderr)
        ships = {}
    def shipped_cell(name):
        current, stale = ships.get(name, (0, 0))
        return f"{current}" + (f" ({stale} stale)" if stale else "")
    rows = [[p.name, f"{sum(j.cached for j in p.jobs)}/{len(p.jobs)}"] + ([shipped_cell(p.name)] if ships else [])
            + [cpu(p.estimate), p.budget] for p in plans]
    print(f"Experiments under profile {args.profile!r} on {device} (cache: {args.cache}):")
    print_table(rows, ["experiment", "cached jobs"] + (["shipped jobs"] if ships else []) + ["est. CPU", "budget"])
    total = sum(p.estimate or 0 for p in plans)
    print(f"Estimated CPU time of the whole profile: {cpu(total)} (about {cpu(total / min(2, runner_workers()))} "
          f"of wall time on {min(2, runner_workers())} cores); the estimates are rough (one thread per job, no other load).")


def runner_workers() -> int:
    from pipeline import runner
    return runner.default_workers()


def run(args, plans, cache, device, summary, shipped=frozenset()):
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
        if not computed and all((p.name, j.index) in shipped for j in p.jobs):
            status = "shipped"
        if any(isinstance(r, runner.JobFailed) for r in results[p.name]):
            status = "FAILED"
        elif any(isinstance(r, Exception) for r in results[p.name]):
            status = "skipped"
        summary.append(["experiment", p.name, status, f"{sum(j.seconds for j in computed):.1f}"])
    return runnable, results, skipped


def draw(args, runnable, results, cache, outputs, notes, skipped, summary) -> dict:
    """analysis/NAME.py and figures/NAME.py for every experiment with results: figures in out/figures
    (out/figures-en, ...), one folder per language the documents need, and the numbers for the documents (the
    same in every language)."""
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
    import i18n
    from pipeline import documents
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
    import i18n
    from pipeline import documents
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
            outputs.keep(f"{name}.pdf")   # the last good PDF stays, but is not listed as this build's
        for f in (out / "build").glob(f"{name}.*"):
            outputs.record(f"build/{f.name}")
    return built_pdfs


def adopt_shipped(args, plans, cache):
    """Takes the jobs shipped in results/PROFILE/ like cache hits (not those --force recomputes)."""
    from pipeline import shipped
    force = set(args.only or [p.name for p in plans]) if args.force else set()
    return shipped.adopt_for_build(plans, cache, args.shipped / args.profile, force,
                                   log=lambda line: print(line, file=sys.stderr))


def verify(args, cache) -> int:
    """--verify N: re-runs N shipped jobs and compares them with the shipped numbers (pipeline/verify.py)."""
    from pipeline import runner, shipped, verify as check
    device, plans = plan(args, cache)
    try:
        chosen = check.choose(plans, args.shipped / args.profile, args.verify, names=args.only or ())
    except shipped.ShippedError as e:
        raise UsageError(str(e)) from None
    workers = args.jobs or min(runner.default_workers(), len(chosen))
    return check.rerun(plans, chosen, args.shipped / args.profile, device, workers, args.scheduler, print_table)


def preflight(args, out):
    """What can be checked before any training: --data-dir, the catalogues, --out, --cache, --scheduler.
    Returns the Cache."""
    import i18n
    from pipeline import runner
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
    check_out(out, ROOT)
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


def main(argv=None) -> int:
    args = parse_args(argv)
    return guard.guarded(lambda: _main(args), usage_errors=(guard.UsageError, OutputError), out=args.out.resolve())


def _main(args) -> int:
    out = args.out.resolve()
    cache = preflight(args, out)
    if args.list:
        device, plans = plan(args, cache)
        list_plans(args, device, plans)
        return 0
    if args.verify is not None:
        return verify(args, cache)
    from pipeline import lock, outputs
    with lock.exclusive(out, log=lambda line: print(line, file=sys.stderr, flush=True)):
        owned = outputs.Outputs(out, args.lang)
        owned.check(owned.planned(page=f"{output_name('page', args.lang)}.md", figures=[f for e in EXPERIMENTS for f in e.figures],
                                  documents=[] if args.no_pdf else [output_name(d, args.lang) for d, _, _ in DOCUMENTS],
                                  report_lang=REPORT_LANG))
        return build(args, out, cache, owned)


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
    adopted = adopt_shipped(args, plans, cache)
    summary, t_start = [], time.perf_counter()
    runnable, results, skipped = run(args, plans, cache, device, summary, shipped=set(adopted.used))
    failed = [str(r) for rs in results.values() for r in rs if isinstance(r, runner.JobFailed)]  # one line each
    unavailable = [n for n in args.only or [] if any(type(r) is not runner.JobFailed for r in results.get(n, []) if isinstance(r, Exception))]
    numbers = draw(args, runnable, results, cache, outputs, notes, skipped, summary)

    from analysis import claims, results as results_json, tables
    context = dict(profile=args.profile, device=device, exp=numbers, skipped=skipped, env=environment(args, device),
                   shipped=adopted.provenance(), constants=constants(), claims=claims.evaluate(numbers))
    outputs.write_text("results.json", results_json.dumps(context))
    context["tables"] = tables.write_all(tables.frames(context), outputs)   # each table as a frame: tables/NAME.csv
    ok = not failed and not unavailable
    page = f"{output_name('page', args.lang)}.md"
    try:
        render_page(context, outputs, notes, summary, args.lang)
    except documents.DocumentError as e:
        print(f"error: {page}: {e}", file=sys.stderr)
        summary.append(["document", f"{page} (MyST)", "FAILED", "-"])
        outputs.keep(page)   # the last good page stays, but is not listed as this build's
        ok = False
    pdfs = [] if args.no_pdf else compile_documents(context, outputs, notes, summary, args.lang)
    if args.no_pdf:
        print("--no-pdf: the PDFs were not built.")
    ok = ok and (args.no_pdf or len(pdfs) == len(DOCUMENTS))
    for warning in notes.all_warnings(catalogue_file(REPORT_LANG).relative_to(ROOT)):
        print(f"warning: {warning}", file=sys.stderr)
    removed = outputs.settle(no_pdf=args.no_pdf)

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
        print(f"Removed {len(removed)} file(s) an earlier build wrote and this one no longer does: {', '.join(removed)}")
    built = ", ".join(pdfs + ([page] if page in outputs.written else [])
                      + [f"{documents.figures_folder(lang)}/" for lang in dict.fromkeys([args.lang, REPORT_LANG])])
    print(f"\nOutputs in {out}: {built} (total {time.perf_counter() - t_start:.0f} s)")
    if not ok:
        return 1
    if args.ship:
        from pipeline import shipped
        shipped.ship([p for p in plans if p in runnable], cache, args.shipped / args.profile, args.profile, device,
                     git_commit())
        # only the experiments asked for (--only): a part shipped earlier keeps its rates and the commit they came from
        shipped.write_chosen_rates(args.shipped / args.profile, {k: v for k, v in numbers.items() if k in (args.only or numbers)}, git_commit())
    deliverables = sorted(n for n in outputs.written if not n.startswith("build/"))
    from pipeline.cache import file_digest
    stamp.write_text(json.dumps({"fingerprint": fingerprint, "summary": summary,
                                 "outputs": {name: file_digest(out / name) for name in deliverables}}))
    return 0


def constants() -> dict:
    """Recipe constants the documents state (the experiments' own values, never retyped in a template)."""
    from analysis import claims, problems   # problems: the exercise's givens and computed answers
    from rnn import models
    return dict(le_in_std=models.IN_STD, le_relu_in_std=models.IRNN_IN_STD, le_clip=models.LE_CLIP,
                problems=problems.numbers(), pascanu_shortest=claims.PASCANU_SHORTEST, le_shortest=claims.LE_SHORTEST,
                alpha=claims.ALPHA)


def commit_epoch() -> int:
    """SOURCE_DATE_EPOCH for TeX: fixed, so that the same inputs give the same PDF bytes."""
    return int(os.environ.get("SOURCE_DATE_EPOCH", "1767225600"))  # 2026-01-01


def environment(args, device) -> dict:
    import platform

    import numpy
    import torch

    from pipeline import shipped
    return dict(python=platform.python_version(), torch=torch.__version__, numpy=numpy.__version__,
                platform=f"{platform.system()} {platform.machine()}", cpu=shipped.cpu_name(), cores=os.cpu_count(),
                device=device, commit=git_commit(), profile=args.profile,
                threads=1)  # every job runs with one torch thread (pipeline.runner.run_job)


if __name__ == "__main__":
    sys.exit(main())
