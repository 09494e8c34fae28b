"""Jinja2 templates → LaTeX/MyST → PDFs with XeLaTeX (latexmk).

LaTeX templates use delimiters that do not clash with TeX: \\VAR{...} for values, \\BLOCK{...} for statements,
\\#{...} for comments. Every value is escaped for LaTeX unless it is marked as LaTeX already (the `latex`
filter or markupsafe.Markup), undefined names are errors, and TeX never gets shell-escape.
"""
import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

import i18n
from pipeline.guard import check_writable, die_with_parent
from pipeline.notes import NAN_WARNING, Notes, is_nan

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
TEX_PACKAGES = "texlive-xetex texlive-latex-extra texlive-lang-cyrillic texlive-fonts-recommended lmodern latexmk fonts-dejavu"

LATEX_SPECIALS = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
    "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
}
_SPECIALS_RE = re.compile("|".join(re.escape(c) for c in LATEX_SPECIALS))


class DocumentError(Exception):
    pass


def escape_latex(text) -> str:
    return re.sub(r"--(?=[a-z])", "-{}-", _SPECIALS_RE.sub(lambda m: LATEX_SPECIALS[m.group()], str(text)))  # --flag


class LatexText(str):
    """A marked text of a LaTeX template in the active language: LaTeX source already (the template's own text,
    or a catalogue entry checked by i18n.entry_problem), so not escaped; the values a trans block puts into it
    are escaped like any other value (by the environment's finalize)."""
    finalize = None

    def __mod__(self, values):
        finalize = self.finalize or _finalize
        if isinstance(values, dict):
            return type(self)(str.__mod__(self, {k: finalize(v) for k, v in values.items()}))
        values = values if isinstance(values, tuple) else (values,)
        return type(self)(str.__mod__(self, tuple(finalize(v) for v in values)))


def _finalize(value, notes: Notes | None = None):
    if isinstance(value, (Markup, LatexText)):
        return str(value)
    if isinstance(value, bool):
        return i18n._("да") if value else i18n._("нет")
    if isinstance(value, float):
        if notes is not None and is_nan(value):
            notes.warn(NAN_WARNING)
        return escape_latex(num(value))
    return escape_latex(value)


_FORMAT_TOKEN = re.compile(r"(%\(\w+\)s|%%)")


def latex_translation(source: str, formatted: bool) -> str:
    """A marked text of a LaTeX template in the active language, as LaTeX: the template's own text and LaTeX
    entries (checked when the catalogue was loaded) as they are; a plain translation is data, escaped like any
    value, with its placeholders kept for the values (and %% as an escaped percent sign)."""
    text = i18n._(source)
    if text is source or i18n.is_latex(source):
        return text
    if not formatted:
        return escape_latex(text)
    return "".join(part if part.startswith("%(") else "\\%%" if part == "%%" else escape_latex(part)
                   for part in _FORMAT_TOKEN.split(text))


def num(x, digits=3) -> str:
    """A number as a person writes it: 3 significant digits, no float noise, 10^k for tiny/huge ones."""
    if x is None or x != x:  # NaN, of any float type (numpy's float32 is not a Python float): the filters warn
        return "—"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return f"{int(x)}"
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    if 1e3 <= abs(x) < 1e6:
        return f"{round(x)}"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e6):
        mantissa, exp = f"{x:.{digits - 1}e}".split("e")
        return f"{mantissa}e{int(exp)}"
    return f"{x:.{digits}g}"


def tex_num(x, digits=3) -> Markup:
    """A number for LaTeX text: 1.2e-5 becomes 1.2·10^{-5} and a minus is a real minus sign."""
    text = num(x, digits)
    if re.fullmatch(r"-?[0-9.]+e-?[0-9]+", text):
        mantissa, exp = text.split("e")
        return Markup(f"\\ensuremath{{{mantissa}\\cdot 10^{{{exp}}}}}")
    if re.fullmatch(r"-[0-9.]+", text):
        return Markup(f"\\ensuremath{{{text}}}")
    return Markup(escape_latex(text))


def md_num(x, digits=3) -> str:
    """A number for MyST markdown: 1.2e-5 becomes $1.2 \\cdot 10^{-5}$."""
    text = num(x, digits)
    if re.fullmatch(r"-?[0-9.]+e-?[0-9]+", text):
        mantissa, exp = text.split("e")
        return f"${mantissa} \\cdot 10^{{{exp}}}$"
    return text


_MATH_OR_CODE = re.compile(r"(\$[^$]+\$|`[^`]+`)")


def tex_text(text) -> Markup:
    """A table cell (analysis/tables.py) for LaTeX: maths $…$ kept, `code` as \\texttt, the rest escaped."""
    parts = _MATH_OR_CODE.split(str(text))   # odd items: the matches
    return Markup("".join(escape_latex(p) if i % 2 == 0 else p if p[0] == "$" else f"\\texttt{{{escape_latex(p[1:-1])}}}"
                          for i, p in enumerate(parts)))


def percent(x, digits=1) -> str:
    if x is None or x != x:
        return "—"
    return f"{100 * x:.{digits}f}\\%"


class _MarkingLoader(jinja2.FileSystemLoader):
    """Appends ` %@<template>:<line>` to the template's text lines, so that a LaTeX error in the rendered
    .tex can name the template line it came from. TeX drops comments; the space before % stands for the
    end of line the comment eats. Blank lines (paragraphs), lines with statements or comments and lines
    inside a multi-line tag are left alone, so the output means exactly what it did."""

    def get_source(self, environment, template):
        text, filename, uptodate = super().get_source(environment, template)
        lines, open_tag, in_trans = text.split("\n"), 0, False
        for i, line in enumerate(lines):
            # a marked text keeps its source lines untouched: the catalogue knows it without markers
            opens, closes = line.rfind(r"\BLOCK{trans"), line.rfind(r"\BLOCK{endtrans")
            tagged = open_tag or in_trans or re.search(r"\\(BLOCK|#)\{", line)
            in_trans = opens > closes if max(opens, closes) >= 0 else in_trans
            if not tagged and line.strip() and (len(line) - len(line.rstrip("\\"))) % 2 == 0:
                lines[i] = f"{line} %@{template}:{i + 1}"
            if open_tag or re.search(r"\\(BLOCK|VAR|#)\{", line):  # braces of a tag that spans lines
                open_tag = max(open_tag + line.count("{") - line.count("}"), 0)
        return "\n".join(lines), filename, uptodate


def _environment(latex: bool, notes: Notes, latex_syntax: bool | None = None) -> jinja2.Environment:
    """Templates in the active language (i18n/__init__.py): Jinja2's i18n extension with the Babel catalogue.
    latex: the output is LaTeX (values escaped, numbers as LaTeX); latex_syntax (default: latex): the templates
    use the LaTeX delimiters \\VAR{}, \\BLOCK{} — also true for the page's problems, which are written in LaTeX.
    Warnings (a NaN shown as "—") go to notes."""
    latex_syntax = latex if latex_syntax is None else latex_syntax
    loader = (_MarkingLoader if latex else jinja2.FileSystemLoader)(TEMPLATES)
    options = dict(loader=loader, undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.i18n"],
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    if latex_syntax:
        options.update(block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
                       variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
                       line_statement_prefix=None)
    if latex:
        options.update(finalize=lambda v: _finalize(v, notes))
    env = jinja2.Environment(**options)
    env.policies["ext.i18n.trimmed"] = True   # as babel.cfg extracts them: line breaks inside a trans block are spaces
    if latex:
        text = type("LatexText", (LatexText,), {"finalize": staticmethod(lambda v: _finalize(v, notes))})
        # Jinja formats a trans block's text with its values (`text % values`) exactly when it has placeholders
        env.install_gettext_callables(
            gettext=lambda s: text(latex_translation(s, bool(i18n.placeholders(s)))),
            ngettext=lambda s, p, n: text(latex_translation(s if n == 1 else p, True)))
    else:
        env.install_gettext_callables(gettext=i18n._, ngettext=lambda s, p, n: i18n._(s if n == 1 else p))

    def noted(format_number):  # a NaN shown as "—" is a warning of this build
        def filter_(x, *args):
            if is_nan(x):
                notes.warn(NAN_WARNING)
            return format_number(x, *args)
        return filter_
    env.filters.update(num=noted(tex_num if latex else md_num), latex=Markup, text=tex_text if latex else str,
                       pct=noted((lambda x, d=1: Markup(percent(x, d))) if latex
                                 else (lambda x, d=1: percent(x, d).replace("\\%", "%"))))
    return env


def figures_folder(lang: str) -> str:
    """The build's figures in lang: out/figures (Russian), out/figures-en, ..."""
    return "figures" if lang == i18n.SOURCE else f"figures-{lang}"


def render(template: str, context: dict, latex: bool = True, source: str | None = None, notes: Notes | None = None) -> str:
    """Renders templates/<template>, or the text `source` when given, in the active language (i18n/__init__.py);
    warnings go to `notes` (the build's)."""
    context = {"lang": i18n.active(), "figures_dir": figures_folder(i18n.active()), **context}
    if "exp" in context and "figure" not in context:
        context = {**context, "figure": figure_function(context["exp"], latex)}
    try:
        env = _environment(latex, notes if notes is not None else Notes())
        return (env.from_string(source) if source is not None else env.get_template(template)).render(**context)
    except jinja2.UndefinedError as e:
        raise DocumentError(f"template {_template_line(e, template)}: {e.message} (a value the template uses is "
                            f"missing from the results)") from None
    except jinja2.TemplateNotFound as e:
        raise DocumentError(f"template {template}: includes {e.name}, which is not in {TEMPLATES}") from None
    except jinja2.TemplateSyntaxError as e:
        raise DocumentError(f"template {e.filename or template}:{e.lineno}: {e.message}") from None
    except DocumentError:
        raise
    except Exception as e:  # an error while rendering (e.g. a filter given the wrong type): name the template line
        raise DocumentError(f"template {_template_line(e, template)}: {type(e).__name__}: {e}") from None


def _template_line(error: Exception, template: str) -> str:
    """templates/FILE:LINE where a rendering error happened (Jinja keeps template lines in the traceback)."""
    import traceback
    frames = [f for f in traceback.extract_tb(error.__traceback__) if Path(f.filename).is_relative_to(TEMPLATES)
              or f.filename == "<template>"]
    if not frames:
        return template
    file = Path(frames[-1].filename)
    shown = file.relative_to(ROOT) if file.is_relative_to(ROOT) else template if frames[-1].filename == "<template>" else file
    return f"{shown}:{frames[-1].lineno}"


def figure_function(available, latex: bool, used: list | None = None):
    """figure(NAME) for templates: the file to include, for a figure pipeline/registry.py declares and this
    build has drawn; `used` collects the names (the MyST page copies only those images)."""
    from pipeline.registry import EXPERIMENTS
    owner = {f: e.name for e in EXPERIMENTS for f in e.figures}

    def figure(name):
        if name not in owner:
            raise DocumentError(f"figure {name!r} is not declared in pipeline/registry.py")
        if owner[name] not in available:
            raise DocumentError(f"figure {name!r} belongs to experiment {owner[name]}, which this build does not have; "
                                f"show it only from a part shown if '{owner[name]}' is in exp")
        if used is not None:
            used.append(name)
        return Markup(f"{name}.pdf") if latex else f"../images/{image_folder(i18n.active())}/{name}.png"
    return figure


def image_folder(lang: str) -> str:
    """The page's image folder in the book: problem_set_07 (Russian), problem_set_07_en, ..."""
    return "problem_set_07" if lang == i18n.SOURCE else f"problem_set_07_{lang}"


def render_page(template: str, context: dict, notes: Notes | None = None) -> tuple[str, list]:
    """The MyST page and the figures it shows. The page shows the exercise's problems: problem(NAME, PART) is the
    block PART ("statement" or "solution") of templates/problems/NAME.tex, rendered as MyST."""
    used, notes = [], notes if notes is not None else Notes()
    context = {"lang": i18n.active(), "figures_dir": figures_folder(i18n.active()), **context,
               "figure": figure_function(context["exp"], False, used), "solutions": True}
    problems = _environment(latex=False, notes=notes, latex_syntax=True)

    def problem(name, part):
        source = problems.get_template(f"problems/{name}.tex")
        return myst("".join(source.blocks[part](source.new_context(context))))
    text = render(template, {**context, "problem": problem}, latex=False, notes=notes)
    return text, sorted(set(used))


def _myst_figure(m) -> str:
    width = f"{round(float(m.group(1) or 1) * 100)}%"
    return f"\n```{{figure}} {m.group(2)}\n---\nwidth: {width}\n---\n{m.group(3)}\n```\n"


def myst(latex: str) -> str:
    """The LaTeX the problems are written in (templates/problems/*.tex), as MyST markdown for the book page: only
    what they use: \\[ \\] displays, itemize, \\textbf, \\emph, ~—, \\pr and \\diag (the course's macros, unknown
    to the book), a centred figure with \\captionof and its "(рис.~\\ref{…})" (the page has no figure numbers to
    point at). Lines of text become paragraphs. An opening bracket moves into the inline maths that follows it,
    so that no line break separates them in the book."""
    text = re.sub(r"\\begin\{center\}\n\s*\\includegraphics\[width=([0-9.]*)\\linewidth\]\{([^}]*)\}\n"
                  r"\s*\\captionof\{figure\}\{(.*)\}\\label\{[^}]*\}\n\\end\{center\}\n", _myst_figure, latex)
    text = re.sub(r" \([^()]*~\\ref\{[^}]*\}\)", "", text)
    text = re.sub(r"\\\[\n[ \t]*(.*?)\n\\\]\n", lambda m: f"\n$$\n{m.group(1).replace('$', '')}\n$$\n\n", text, flags=re.S)
    text = re.sub(r"\\(begin|end)\{itemize\}\n", "\n", text)
    text = re.sub(r"^[ \t]*\\item ", "- ", text, flags=re.M)
    text = re.sub(r"\\textbf\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}", r"__\1__", text)
    text = re.sub(r"\\emph\{([^{}]*)\}", r"*\1*", text)
    text = text.replace("~—", " —")
    text = re.sub(r"\\pr(?![A-Za-z])", r"\\mathit{pr}", text)
    text = re.sub(r"\\diag(?![A-Za-z])", r"\\operatorname{diag}", text)
    text = re.sub(r"\(\$(?!\$)", "$(", text)
    lines, fenced = [], False
    for line in text.split("\n"):   # a line of text right after another is a paragraph of its own
        if not fenced and lines and _is_text(line) and _is_text(lines[-1]):
            lines.append("")
        fenced ^= line.startswith(("```", "$$"))
        lines.append(line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def _is_text(line: str) -> bool:
    return bool(line.strip()) and not line.startswith(("- ", "```", "$$", "---"))


def tex_available() -> list[str]:
    """The TeX programs that are missing (empty when we can compile)."""
    return [p for p in ("latexmk", "xelatex") if shutil.which(p) is None]


def first_error(log: str, source: Path) -> str:
    """The file, line and message of the first LaTeX error in a log made with -file-line-error; for a .tex
    rendered from templates, also the template file, line and text it came from."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(.*?\.(?:tex|sty|cls|def)):(\d+): (.*)$", line)
        if m:
            file = Path(m.group(1))
            file = source.parent / file if not file.is_absolute() else file
            number, message = int(m.group(2)), m.group(3)
        elif line.startswith("! "):
            where = next((re.search(r"l\.(\d+)", l2) for l2 in lines[i:i + 12] if re.search(r"l\.(\d+)", l2)), None)
            if not where:
                return f"{source}: {line[2:]}"
            file, number, message = source, int(where.group(1)), line[2:]
        else:
            continue
        context = lines[i + 1] if i + 1 < len(lines) else ""
        if message.startswith("Undefined control sequence") and (cs := re.search(r"(\\[A-Za-z@]+)\s*$", context)):
            message = f"{message.rstrip('.')} {cs.group(1)}"
        if file.resolve() != source.resolve() or not source.is_file():
            return f"{file}:{number}: {message}"
        tex = source.read_text(errors="replace").splitlines()
        if not context.startswith("l."):  # inside a macro argument (a Beamer frame): TeX names the frame's end
            number = _error_line(tex, number, context)
        return f"{file}:{number}: {message}{_template_origin(tex, number)}"
    return f"{source}: LaTeX failed without an error line in its log"


def _uncomment(line: str) -> str:
    return re.sub(r"(?<!\\)%.*", "", line)


def _error_line(tex: list[str], reported: int, context: str) -> int:
    """The line inside a frame where the error happened. TeX reads a frame's body as one argument and reports
    its \\end{frame} line; the log's context shows the text just before the error point, which we find in the
    frame's source (spaces and comments ignored)."""
    before = re.sub(r"\s+", "", context.split("...")[-1])
    if not before:
        return reported
    first = reported - 1
    while first > 0 and not re.search(r"\\begin\s*\{frame\}", tex[first - 1]) and reported - first < 400:
        first -= 1
    text, owner = "", []
    for n in range(max(first, 1), reported + 1):
        chunk = re.sub(r"\s+", "", _uncomment(tex[n - 1]))
        text += chunk
        owner += [n] * len(chunk)
    # TeX prints a control word with a space after it; the source may have none: try the context, then shorter tails
    for tail in (before, before[-40:], before[-15:]):
        at = text.rfind(tail)
        if at >= 0:
            return owner[at + len(tail) - 1]
    return reported


MARKER = re.compile(r"(?<!\\)%@([^\s:]+):(\d+)\s*$")


def _template_origin(tex: list[str], number: int) -> str:
    """' — template F:L: <its text>' from the marker on that .tex line (or the next lines, when a value
    expanded to several lines); empty for a .tex that was not rendered from template files."""
    for line in tex[number - 1:number + 5]:
        if m := MARKER.search(line):
            name, at = m.group(1), int(m.group(2))
            file = TEMPLATES / name
            try:
                text = file.read_text().splitlines()[at - 1].strip()
            except (OSError, IndexError):
                text = MARKER.sub("", line).strip()
            shown = file.relative_to(ROOT) if ROOT in file.parents else file
            return f" — template {shown}:{at}: {text}"
    return ""


@dataclass
class Built:
    name: str
    pdf: Path
    seconds: float
    compiled: bool


def compile_pdf(tex: Path, out: Path, epoch: int) -> Built:
    """latexmk -xelatex in tex's folder; copies the PDF to out/. latexmk skips work when nothing changed."""
    start = time.perf_counter()
    build = tex.parent
    env = dict(os.environ, SOURCE_DATE_EPOCH=str(epoch), FORCE_SOURCE_DATE="1", TEXINPUTS=f"{build}:{TEMPLATES}:")
    stamp = build / f"{tex.stem}.pdf"
    if stamp.exists() and not is_pdf(stamp):  # truncated (a killed build): latexmk would call it up to date
        stamp.unlink()
    running = build / f"{tex.stem}.running"
    if running.exists():   # the last LaTeX run of this document never finished (a killed build): its state
        for f in build.glob(f"{tex.stem}.*"):   # (latexmk's database, .aux, a half PDF) would poison this one
            if f.suffix != ".tex" and f.is_file():
                f.unlink()
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    cmd = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
           "-no-shell-escape", "-norc", f"-outdir={build}", tex.name]
    running.write_text(f"{os.getpid()}\n")
    proc = subprocess.run(cmd, cwd=build, env=env, capture_output=True, text=True, errors="replace",
                          preexec_fn=die_with_parent)
    running.unlink()   # not in a finally: only a run that ended (well or with an error) clears it
    log_file = build / f"{tex.stem}.log"
    if proc.returncode != 0 or not is_pdf(stamp):
        check_writable(build)   # a full disk makes LaTeX fail in odd ways: say that, not a LaTeX error
    if proc.returncode != 0:
        log = log_file.read_text(errors="replace") if log_file.exists() else proc.stdout + proc.stderr
        raise DocumentError(f"LaTeX error in {first_error(log, tex)} (full log: {log_file})")
    if not is_pdf(stamp):
        raise DocumentError(f"LaTeX reported success but {stamp} is not a complete PDF (full log: {log_file})")
    target = out / f"{tex.stem}.pdf"
    if target.resolve() != stamp.resolve():
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(stamp, tmp)
        os.replace(tmp, target)  # a reader (or a killed build) never sees half a PDF in out/
    compiled = before is None or stamp.stat().st_mtime_ns != before
    return Built(tex.stem, target, time.perf_counter() - start, compiled)


def is_pdf(path: Path) -> bool:
    """A whole PDF: the %PDF- header and the %%EOF trailer (a truncated file lacks the trailer)."""
    try:
        with open(path, "rb") as f:
            head = f.read(5)
            f.seek(max(f.seek(0, os.SEEK_END) - 1024, 0))
            return head == b"%PDF-" and b"%%EOF" in f.read()
    except OSError:
        return False


def write_if_changed(path: Path, text: str) -> bool:
    """Leaves the file (and its mtime) alone when the text is the same, so latexmk sees no change."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
