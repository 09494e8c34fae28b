"""The English edition: every marked text of the templates and figures has an English translation in the Babel
catalogue (same placeholders), `--lang en` builds every document from the cached results with no Russian left in
it, and the Russian edition is untouched by it."""
import re
import subprocess
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from conftest import run_build
import i18n
from pipeline import documents

ROOT = Path(__file__).resolve().parent.parent
CYRILLIC = re.compile(r"[\u0400-\u04FF]+")
EN_DOCUMENTS = ["deck-en", "deck-notes-en", "exercise-en", "exercise-student-en"]


def extracted() -> set[str]:
    """The msgids pybabel extracts with babel.cfg, as the README's catalogue commands do."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    return {m[2] if isinstance(m[2], str) else m[2][0]
            for m in extract_from_dir(str(ROOT), method_map, options_map) if m[2]}


def catalogue(lang="en"):
    with open(i18n.catalogue_file(lang), "rb") as f:
        return read_po(f, locale=lang)


def placeholders(text: str) -> list[str]:
    return sorted(re.findall(r"%\([a-z_0-9]+\)s|%%", text))


def test_every_marked_text_has_an_english_translation():
    cat = catalogue()
    translated = {m.id for m in cat if m.id and m.string and not m.fuzzy}
    ids = extracted()
    assert len(ids) > 50, "too few marked texts: is babel.cfg still finding the templates?"
    missing = sorted(ids - translated)
    assert not missing, (f"{len(missing)} marked text(s) lack an English translation in locale/en/LC_MESSAGES/messages.po "
                         f"(see i18n/__init__.py): {missing[:5]}")
    stale = sorted({m.id for m in cat if m.id} - ids)
    assert not stale, f"the catalogue has {len(stale)} entries no template or figure uses any more: {stale[:5]}"


def test_translations_keep_the_placeholders_and_are_english():
    for m in catalogue():
        if m.id and m.string:
            assert placeholders(m.id) == placeholders(m.string), (m.id, m.string)
            assert not CYRILLIC.search(m.string), f"Russian left in the translation of {m.id!r}: {m.string!r}"


def test_a_text_without_translation_is_shown_in_russian_and_reported():
    missing = set()
    with i18n.language("en", missing):
        assert i18n._("клиппинг") != "клиппинг"
        assert i18n._("такого текста в каталоге нет") == "такого текста в каталоге нет"
    assert missing == {"такого текста в каталоге нет"}
    assert i18n._("клиппинг") == "клиппинг" and not hasattr(i18n, "MISSING")   # the build's set, no module state


def test_a_trans_block_escapes_its_values_but_not_its_latex():
    i18n.use("ru")
    text = documents.render("x.tex", {"name": "a_b & c", "x": 0.5},
                            source=r"\BLOCK{trans v=x|pct(0), t=name}\textbf{\VAR{t}}: \VAR{v} и 5\%\BLOCK{endtrans}")
    assert text == r"\textbf{a\_b \& c}: 50\% и 5\%"


# --------------------------------------------------------------------------- catalogue text is data (issue 19)

PO_HEAD = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


@pytest.fixture
def po(tmp_path, monkeypatch):
    """Writes a catalogue for lang "en" into tmp_path and makes the build read it instead of the project's."""
    path = tmp_path / "en" / "LC_MESSAGES" / "messages.po"
    path.parent.mkdir(parents=True)
    monkeypatch.setattr(i18n, "catalogue_file", lambda lang: path)
    i18n.translations.cache_clear()

    def write(entries: str):
        path.write_text(PO_HEAD + entries)
        i18n.translations.cache_clear()
        return path
    yield write
    i18n.translations.cache_clear()


def test_the_shipped_catalogue_passes_its_own_checks():
    i18n.translations.cache_clear()
    i18n.check_catalogue("en")


@pytest.mark.parametrize("entries, line, words", [
    ('msgid "Взрыв градиентов"\nmsgstr "Exploding gradients \\\\input{/etc/hostname}"\n', 5, "plain text"),
    ('msgid "градиент $\\\\partial h$"\nmsgstr "gradient $\\\\partial h$ \\\\input{/etc/hostname}"\n', 5, r"\\input is not one"),
    ('msgid "градиент $\\\\partial h$"\nmsgstr "\\\\catcode`\\\\^^M=13 $\\\\partial h$"\n', 5, r"\^\^|\\catcode"),
    ('msgid "градиент $\\\\partial h$"\nmsgstr "\\\\openin1=/etc/passwd \\\\read1to\\\\x"\n', 5, r"\\openin is not one"),
    ('msgid "коммит %(commit)s"\nmsgstr "commit"\n', 5, r"drops the placeholder %\(commit\)s"),
    ('msgid "коммит"\nmsgstr "commit %(commit)s"\n', 5, r"adds the placeholder %\(commit\)s"),
    ('msgid "доля %(x)s"\nmsgstr "share %(x)s of 100%"\n', 5, "neither %% nor a placeholder"),
    ('msgid "ошибка 1\\\\%"\nmsgstr "error 1%"\n', 5, "bare % starts a TeX comment"),
    ('msgid "a"\nmsgstr "b"\n\nmsgid "c"\nmsgstr "unterminated\n', 9, "does not parse"),
])
def test_a_bad_catalogue_entry_is_an_error_naming_its_line(po, entries, line, words):
    path = po(entries)
    with pytest.raises(i18n.CatalogueError) as error:
        i18n.check_catalogue("en")
    message = str(error.value)
    assert message.startswith(f"{path}:{line}: ") and re.search(words, message), message


def test_a_bad_catalogue_stops_the_build_before_any_training(po, tmp_path, capsys):
    import build
    po('msgid "Взрыв градиентов"\nmsgstr "Exploding gradients \\\\input{/etc/hostname}"\n')
    code = build.main(["--profile", "smoke", "--lang", "en", "--no-pdf", "--out", str(tmp_path / "out"),
                       "--cache", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "messages.po:5: " in err[0], err
    assert not (tmp_path / "cache").exists() and not (tmp_path / "out").exists()


def test_a_plain_translation_is_escaped_and_a_latex_one_is_kept(po):
    po('msgid "доля"\nmsgstr "50% & $5 #1 ~x_y {z}"\n\n'
       'msgid "доля %(v)s"\nmsgstr "share_%(v)s of 100%%"\n\n'
       'msgid "градиент $\\\\partial h$, \\\\emph{взрыв}"\nmsgstr "gradient $\\\\partial h$, \\\\emph{explosion}"\n')
    source = (r"\BLOCK{trans}доля\BLOCK{endtrans}|\BLOCK{trans v=v}доля \VAR{v}\BLOCK{endtrans}|"
              r"\BLOCK{trans}градиент $\partial h$, \emph{взрыв}\BLOCK{endtrans}")
    with i18n.language("en"):
        text = documents.render("x.tex", {"v": "a&b"}, source=source)
    assert text.split("|") == [r"50\% \& \$5 \#1 \textasciitilde{}x\_y \{z\}", r"share\_a\&b of 100\%",
                               r"gradient $\partial h$, \emph{explosion}"]


@pytest.fixture(scope="module")
def english(smoke_build):
    out, cache, _ = smoke_build   # the smoke build already failed (CI) or skipped without TeX
    russian = {p: p.stat().st_mtime_ns for p in [out / "deck.pdf", out / "page.md", out / "exercise.pdf"]}
    proc = run_build("--profile", "smoke", "--lang", "en", "--out", out, "--cache", cache)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc, russian


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def test_english_edition_builds_every_document_from_the_cache(english):
    out, proc, _ = english
    for name in EN_DOCUMENTS:
        assert (out / f"{name}.pdf").is_file(), name
    assert (out / "page-en.md").is_file() and list((out / "figures-en").glob("*.pdf"))
    assert " computed " not in proc.stdout, "the English edition retrained instead of using the cache"
    assert "no translation" not in proc.stderr, proc.stderr[-2000:]


@pytest.mark.parametrize("name", EN_DOCUMENTS)
def test_english_documents_have_no_russian_left(english, name):
    out, _, _ = english
    found = CYRILLIC.findall(pdf_text(out / f"{name}.pdf"))
    assert not found, f"{name}.pdf: {found[:10]}"


def test_english_page_and_figures_have_no_russian_left(english):
    out, _, _ = english
    page = (out / "page-en.md").read_text()
    assert not CYRILLIC.findall(page), CYRILLIC.findall(page)[:10]
    assert "problem_set_07_en/" in page and "problem_set_07/" not in page
    for pdf in sorted((out / "figures-en").glob("*.pdf")):
        assert not CYRILLIC.findall(pdf_text(pdf)), pdf.name


def test_the_russian_edition_is_left_alone(english):
    out, _, russian = english
    for path, mtime in russian.items():
        assert path.stat().st_mtime_ns == mtime, f"--lang en rewrote {path.name}"
    assert CYRILLIC.search(pdf_text(out / "deck.pdf"))


@pytest.mark.parametrize("name", EN_DOCUMENTS + ["report"])
def test_english_documents_and_the_report_have_no_overfull_box_or_missing_character(english, name):
    from test_sheet import log_problems
    out, _, _ = english
    problems = log_problems((out / "build" / f"{name}.log").read_text(errors="replace"))
    assert not problems, f"{name}.log: {problems[:5]}"
