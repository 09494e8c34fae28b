"""The documents' languages. Russian is the source text: templates and figures are written in it, and every
text meant for translation is marked (`_("...")` in Python and templates, `\\BLOCK{trans}...\\BLOCK{endtrans}`
in LaTeX templates, `{% trans %}...{% endtrans %}` in the MyST page). Other languages come from Babel message
catalogues, locale/<lang>/LC_MESSAGES/messages.po, compiled in memory when a build needs them.

After changing a marked text, update the catalogue and translate what is new (tests/test_i18n.py lists it):
    .venv/bin/pybabel extract -F babel.cfg -o locale/messages.pot --no-location --omit-header .
    .venv/bin/pybabel update -i locale/messages.pot -d locale --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
"""
import gettext
import io
import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
SOURCE = "ru"
LANGUAGES = ("ru", "en")



class CatalogueError(Exception):
    """A catalogue that does not parse or whose entry is unsafe or wrong: `messages.po:LINE: what`."""


def catalogue_file(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    catalog = load_catalogue(lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)   # fuzzy entries are left out: they count as missing
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# ----------------------------------------------------------------------------- catalogue text is data
# An entry is LaTeX when its source text (the msgid, written in our templates) is: it has a backslash, $, braces,
# ^, _, &, ~ or #. Its translation then reaches TeX as LaTeX, so it may use only these commands (they typeset;
# none reads or writes a file or changes how TeX reads its input). Every other translation is plain text,
# escaped like any value (pipeline/documents.py).
LATEX_COMMANDS = frozenset("""
    alert approx Bigl Bigr cdot diag dhdh dots emph gamma in infty lambda ldots le ge leq geq ln log mathit mathrm
    nabla neq Omega only operatorname partial pm pr prod rho Rightarrow sigma sim sqrt sum tanh textbf textit texttt
    tfrac frac times to top ref mid quad alpha beta epsilon varepsilon theta mu eta left right cdots exp
    """.split())
LATEX_SYMBOLS = frozenset("%&$#_{},;!:| \\-")          # \%, \&, ..., \, (thin space), \  (control space), \\
LATEX_SOURCE = re.compile(r"[\\$^_&~#{}]")
PLACEHOLDER = re.compile(r"%(?:\((\w*)\))?([-#0 +]*\d*(?:\.\d+)?[a-zA-Z%])?")
_PO_LINE = re.compile(r'(?:#.*|(?:msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+"(?:[^"\\]|\\.)*"|"(?:[^"\\]|\\.)*")\s*')


def is_latex(source: str) -> bool:
    """Whether a marked text's source (msgid) is LaTeX; its translation is then checked, not escaped."""
    return bool(LATEX_SOURCE.search(source))


def placeholders(text: str) -> set[str]:
    return {m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) is not None}


def entry_problem(source: str, translation: str) -> str | None:
    """What is wrong with one catalogue entry (None when nothing): a placeholder dropped or added, a % that
    formatting would choke on, or, in a LaTeX entry, a command outside LATEX_COMMANDS, ^^, unbalanced braces or a
    bare % (a TeX comment); a plain entry may not turn into LaTeX."""
    if not translation:
        return None
    formatted = bool(placeholders(source)) or "%%" in source
    if placeholders(source) != placeholders(translation):
        lost, extra = placeholders(source) - placeholders(translation), placeholders(translation) - placeholders(source)
        return "; ".join(([f"drops the placeholder {', '.join(f'%({n})s' for n in sorted(lost))}"] if lost else [])
                         + ([f"adds the placeholder {', '.join(f'%({n})s' for n in sorted(extra))}"] if extra else []))
    if formatted:
        for m in PLACEHOLDER.finditer(translation):
            if m.group(2) != "%" and not (m.group(1) and m.group(2) == "s"):
                return f"{m.group()!r} is neither %% nor a placeholder %(name)s (write a percent sign as %%)"
    if not is_latex(source):
        if "\\" in translation:
            return "the translation has LaTeX (a backslash) but its source text is plain text; write plain text"
        return None
    if "^^" in translation:
        return "^^ (a character by its code) is not allowed in a catalogue"
    for m in re.finditer(r"\\([A-Za-z@]+|.?)", translation, re.S):
        name = m.group(1)
        if not (name in LATEX_COMMANDS if name[:1].isalpha() else name in LATEX_SYMBOLS):
            return f"\\{name} is not one of the LaTeX commands a translation may use (i18n/__init__.py: LATEX_COMMANDS)"
    bare = re.sub(r"\\\\|\\%%?|%\(\w+\)s", "", translation)
    if "%" in bare:
        return "a bare % starts a TeX comment; write \\%" + ("%" if formatted else "")
    depth = 0
    for c in re.sub(r"\\.", "", translation):
        depth += (c == "{") - (c == "}")
        if depth < 0:
            break
    if depth:
        return "unbalanced braces { }"
    return None


def load_catalogue(lang: str):
    """The catalogue of lang, checked: raises CatalogueError naming `messages.po:LINE` for a line that does not
    parse (Babel itself skips them silently) or an entry that entry_problem() refuses."""
    from babel.messages.pofile import PoFileError, read_po
    path = catalogue_file(lang)
    shown = path.relative_to(ROOT) if ROOT in path.parents else path
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise CatalogueError(f"{shown}: cannot read the catalogue ({e.strerror or e})") from None
    try:
        lines = raw.decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise CatalogueError(f"{shown}:{line}: not UTF-8 text") from None
    for number, line in enumerate(lines, 1):
        if line.strip() and not _PO_LINE.fullmatch(line.strip()):
            raise CatalogueError(f"{shown}:{number}: does not parse (an unterminated string or a stray line): "
                                 f"{line.strip()[:60]}")
    try:
        catalog = read_po(io.BytesIO(raw), locale=lang, abort_invalid=True)
    except (PoFileError, ValueError) as e:
        raise CatalogueError(f"{shown}: does not parse ({e})") from None
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        sources = message.id if isinstance(message.id, (list, tuple)) else [message.id]
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        for translation in strings:
            for source in sources:
                if problem := entry_problem(source, translation or ""):
                    raise CatalogueError(f"{shown}:{message.lineno}: {problem}")
    return catalog


def check_catalogue(lang: str) -> None:
    """For the build's preflight: raises CatalogueError unless lang's catalogue parses and every entry is fine."""
    if lang != SOURCE:
        translations(lang)


# the active language and where the texts it lacks are collected (a set the build owns, or None), for the
# duration of a `language(...)` block: a context variable, not a module-level list carried between builds
_state: ContextVar[tuple[str, set | None]] = ContextVar("i18n_state", default=(SOURCE, None))


def use(lang: str, missing: set | None = None) -> None:
    """Sets the language of every later `_()` (figures and documents are drawn and rendered one at a time);
    texts the catalogue lacks are added to `missing` when given."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    _state.set((lang, missing))


@contextmanager
def language(lang: str, missing: set | None = None):
    """Draws or renders in lang for the block (collecting untranslated texts into `missing`), then back."""
    token = _state.set(_state.get())
    use(lang, missing)
    try:
        yield
    finally:
        _state.reset(token)


def active() -> str:
    return _state.get()[0]


def _(text: str) -> str:
    lang, missing = _state.get()
    if lang == SOURCE or not text:
        return text
    t = translations(lang)
    if text not in t._catalog:
        if missing is not None:
            missing.add(text)
        return text
    return t.gettext(text)


def N_(text: str) -> str:
    """Marks a text for the catalogue where it is defined; it is translated where it is shown, with _()."""
    return text


class Labels(dict):
    """A table of marked texts (e.g. a model's name in figures) that reads in the active language."""

    def __getitem__(self, key):
        return _(super().__getitem__(key))

    def get(self, key, default=None):
        return self[key] if key in self else default
