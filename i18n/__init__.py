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
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
SOURCE = "ru"
LANGUAGES = ("ru", "en")

MISSING: set[str] = set()   # marked texts the active catalogue lacks (shown in the source language); build warns


def catalogue_file(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "messages.po"


@lru_cache(maxsize=None)
def translations(lang: str) -> gettext.NullTranslations:
    if lang == SOURCE:
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    with open(catalogue_file(lang), "rb") as f:
        catalog = read_po(f, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)   # fuzzy entries are left out: they count as missing
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


_active = SOURCE


def use(lang: str) -> None:
    """Sets the language of every later `_()` (figures and documents are drawn and rendered one at a time)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; known: {', '.join(LANGUAGES)}")
    global _active
    _active = lang


@contextmanager
def language(lang: str):
    """Draws or renders in lang for the block, then back to the source language."""
    use(lang)
    try:
        yield
    finally:
        use(SOURCE)


def active() -> str:
    return _active


def _(text: str) -> str:
    if _active == SOURCE or not text:
        return text
    t = translations(_active)
    if text not in t._catalog:
        MISSING.add(text)
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
