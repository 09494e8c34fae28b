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
    return _SPECIALS_RE.sub(lambda m: LATEX_SPECIALS[m.group()], str(text))


def _finalize(value):
    if isinstance(value, Markup):
        return str(value)
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        return escape_latex(num(value))
    return escape_latex(value)


def num(x, digits=3) -> str:
    """A number as a person writes it: 3 significant digits, no float noise, 10^k for tiny/huge ones."""
    if x is None:
        return "—"
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e6):
        return f"{int(x)}"
    if not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("∞" if x > 0 else "−∞")
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


def percent(x, digits=1) -> str:
    return f"{100 * x:.{digits}f}\\%" if x is not None else "—"


def _environment(latex: bool) -> jinja2.Environment:
    options = dict(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                   keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    if latex:
        options.update(block_start_string=r"\BLOCK{", block_end_string="}", variable_start_string=r"\VAR{",
                       variable_end_string="}", comment_start_string=r"\#{", comment_end_string="}",
                       line_statement_prefix=None, finalize=_finalize)
    env = jinja2.Environment(**options)
    env.filters.update(num=(tex_num if latex else md_num), latex=Markup,
                       pct=(lambda x, d=1: Markup(percent(x, d))) if latex else (lambda x, d=1: percent(x, d).replace("\\%", "%")))
    return env


def render(template: str, context: dict, latex: bool = True, source: str | None = None) -> str:
    """Renders templates/<template>, or the text `source` when given."""
    if "exp" in context and "figure" not in context:
        context = {**context, "figure": figure_function(context["exp"], latex)}
    try:
        env = _environment(latex)
        return (env.from_string(source) if source is not None else env.get_template(template)).render(**context)
    except jinja2.UndefinedError as e:
        raise DocumentError(f"template {template}: {e.message} (a value the template uses is missing from the results)") from None
    except jinja2.TemplateNotFound as e:
        raise DocumentError(f"template {template}: includes {e.name}, which is not in {TEMPLATES}") from None
    except jinja2.TemplateSyntaxError as e:
        raise DocumentError(f"template {e.filename or template}:{e.lineno}: {e.message}") from None


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
                                f"show it only from a section that {owner[name]} declares")
        if used is not None:
            used.append(name)
        return Markup(f"{name}.pdf") if latex else f"../images/problem_set_07/{name}.png"
    return figure


def render_page(template: str, context: dict) -> tuple[str, list]:
    """The MyST page and the figures it shows."""
    used = []
    text = render(template, {**context, "figure": figure_function(context["exp"], False, used)}, latex=False)
    return text, sorted(set(used))


def tex_available() -> list[str]:
    """The TeX programs that are missing (empty when we can compile)."""
    return [p for p in ("latexmk", "xelatex") if shutil.which(p) is None]


def first_error(log: str, source: Path) -> str:
    """The file, line and message of the first LaTeX error in a log made with -file-line-error."""
    lines = log.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(.*?\.(?:tex|sty|cls|def)):(\d+): (.*)$", line)
        if m:
            file = Path(m.group(1))
            file = source.parent / file if not file.is_absolute() else file
            return f"{file}:{m.group(2)}: {m.group(3)}"
        if line.startswith("! "):
            where = next((re.search(r"l\.(\d+)", l2) for l2 in lines[i:i + 12] if re.search(r"l\.(\d+)", l2)), None)
            return f"{source}:{where.group(1) if where else '?'}: {line[2:]}"
    return f"{source}: LaTeX failed without an error line in its log"


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
    before = stamp.stat().st_mtime_ns if stamp.exists() else None
    cmd = ["latexmk", "-xelatex", "-interaction=nonstopmode", "-halt-on-error", "-file-line-error",
           "-no-shell-escape", "-norc", f"-outdir={build}", tex.name]
    proc = subprocess.run(cmd, cwd=build, env=env, capture_output=True, text=True, errors="replace")
    log_file = build / f"{tex.stem}.log"
    if proc.returncode != 0:
        log = log_file.read_text(errors="replace") if log_file.exists() else proc.stdout + proc.stderr
        raise DocumentError(f"LaTeX error in {first_error(log, tex)} (full log: {log_file})")
    target = out / f"{tex.stem}.pdf"
    if target.resolve() != stamp.resolve():
        shutil.copyfile(stamp, target)
    compiled = before is None or stamp.stat().st_mtime_ns != before
    return Built(tex.stem, target, time.perf_counter() - start, compiled)


def write_if_changed(path: Path, text: str) -> bool:
    """Leaves the file (and its mtime) alone when the text is the same, so latexmk sees no change."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True
