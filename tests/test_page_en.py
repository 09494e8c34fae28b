"""The English problem-book page (page-en.md, `build.py --lang en`), built the way the book is built, and the
structure both pages share: every problem outside the solutions' dropdowns, every number of the Russian page
on the English one, no Russian text left."""
import re
import shutil
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser

import pytest

from conftest import run_build
from test_sheet import BOOK_CONF, sphinx_available

LETTERS = {"ru": "абвгде", "en": "abcdef"}
PAGE = {"ru": "page.md", "en": "page-en.md"}
IMAGES = {"ru": "problem_set_07", "en": "problem_set_07_en"}
TITLE = {"ru": "3. Взрыв градиентов", "en": "3. Exploding gradients"}
SOLUTION = {"ru": "Решение", "en": "Solution"}
FIGURE = {"ru": "Рис.", "en": "Fig."}
# An English book (or an English edition of the book) needs its own language setting: Sphinx's language is
# global, so page-en.md in the Russian book would number its figures "Рис. N".
BOOK_CONF_EN = BOOK_CONF.replace('language = "ru"', 'language = "en"')
assert BOOK_CONF_EN != BOOK_CONF


@pytest.fixture(scope="module")
def pages(smoke_build, tmp_path_factory):
    """{lang: out dir}: the smoke build's Russian page, and the English page built from the same cache."""
    out, cache, _ = smoke_build
    en = tmp_path_factory.mktemp("page-en") / "out"
    proc = run_build("--profile", "smoke", "--lang", "en", "--no-pdf", "--out", en, "--cache", cache)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return {"ru": out, "en": en}


def build_book(out, lang, book):
    """The page in a one-page book (as tests/test_sheet.py builds it); returns the page's HTML."""
    (book / "problem_set_07_rnn").mkdir(parents=True)
    (book / "conf.py").write_text(BOOK_CONF if lang == "ru" else BOOK_CONF_EN)
    (book / "index.md").write_text("# Book\n\n```{toctree}\nproblem_set_07_rnn/problem_03\n```\n")
    shutil.copytree(out / "images", book / "images")
    shutil.copyfile(out / PAGE[lang], book / "problem_set_07_rnn" / "problem_03.md")
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-n", "-b", "html", "-q",
                           str(book), str(book / "_build")], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "WARNING" not in proc.stderr, proc.stderr[-3000:]
    return (book / "_build" / "problem_set_07_rnn" / "problem_03.html").read_text()


class Problems(HTMLParser):
    """The paragraphs that start with a problem letter, "a)", with how many <details> (dropdowns) hold each."""

    def __init__(self):
        super().__init__()
        self.depth, self.text, self.found = 0, None, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag == "details"
        if tag == "p":
            self.text = ""

    def handle_endtag(self, tag):
        self.depth -= tag == "details"
        if tag == "p" and self.text is not None:
            if m := re.match(r"^(\w)\)", self.text):
                self.found.append((m.group(1), self.depth))
            self.text = None

    def handle_data(self, data):
        if self.text is not None:
            self.text += data


def test_english_page_is_all_english_with_the_russian_pages_numbers(pages):
    ru, en = (pages[lang] / PAGE[lang] for lang in ("ru", "en"))
    ru, en = ru.read_text(), en.read_text()
    cyrillic = [line for line in en.splitlines() if re.search("[\u0400-\u04FF]", line)]
    assert cyrillic == [], cyrillic
    numbers = lambda page: Counter(re.findall(r"\d+(?:\.\d+)?", re.sub(r"\S*problem_set_07\S*", " ", page)))
    assert numbers(en) == numbers(ru)
    assert "%(" not in en and "%%" not in en
    for page in (ru, en):   # the problems' LaTeX all became MyST, and no "(" waits alone at a line's end for its maths
        assert not re.search(r"\\(textbf|emph|item|ref|captionof|includegraphics|pr|diag)\b|\\(begin|end)\{(itemize|center)|~—|\\\[|\(\$(?!\$)", page)


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_page_builds_like_the_book_with_every_problem_outside_the_solutions(pages, lang, tmp_path):
    sphinx_available()
    out = pages[lang]
    page = build_book(out, lang, tmp_path / "book")
    assert f"<h1>{TITLE[lang]}" in page
    # a)-f) in order, each a paragraph of the page itself, not one swallowed by the dropdown before it
    problems = Problems()
    problems.feed(page)
    assert problems.found == [(letter, 0) for letter in LETTERS[lang]]
    assert len(re.findall(r'<details class="[^"]*sd-dropdown', page)) == len(LETTERS[lang])
    assert page.count(SOLUTION[lang]) >= len(LETTERS[lang])
    images = re.findall(r'<img[^>]+src="([^"]+)"', page)
    used = sorted(p.name for p in (out / "images" / IMAGES[lang]).glob("*.png"))
    assert len(re.findall(r"<figure", page)) == len(used) == len(images) > 0
    for src in images:
        assert (tmp_path / "book" / "_build" / "problem_set_07_rnn" / src).resolve().is_file(), src
    # the page shows exactly the PNGs build.py copied next to it, from its own language's folder
    shown = re.findall(r"\.\./images/([a-z_0-9]+)/([a-z_0-9]+\.png)", (out / PAGE[lang]).read_text())
    assert {folder for folder, _ in shown} == {IMAGES[lang]} and sorted(name for _, name in shown) == used
    captions = re.findall(r'<span class="caption-number">([^<]*)</span>', page)
    assert captions and all(c.startswith(FIGURE[lang]) for c in captions), captions
    assert "[^" not in page
    assert len(re.findall(r'<aside class="footnote brackets"', page)) == 2
