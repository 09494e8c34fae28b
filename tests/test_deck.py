"""The lecture deck and its speaker notes as a room and a lecturer see them: no overflow and no missing glyph,
every figure a vector PDF included at its drawn size, no English left over from the figures, the course's
frame titles in the course's order in a main part of at most 20 frames, and text large enough for a room."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# the course's frame titles for the gradient part (week09_rnn), in order; each must open a frame of the main part
COURSE_TITLES = ["Agenda", "Vanishing and Exploding", "Как понять, что градиент взорвался?", "Gradient clipping",
                 "Урезанное обучение", "Как предотвратить взрыв?", "Как понять, что градиент затухает?",
                 "Как предотвратить затухание градиентов?", "Изучим градиенты подробнее",
                 "Аккуратная инициализация (2015)", "Skip-connection", "Итоги"]
# words the figures used to carry in English; none may be left in the Russian deck or notes
ENGLISH = ["update", "updates", "epoch", "epochs", "seed", "seeds", "distance", "error", "accuracy", "length",
           "baseline", "budget", "step", "steps", "loss", "threshold", "chance", "window", "clipping", "median",
           "test", "training", "gradient", "norm", "profile", "runs", "sequence", "success", "rate"]
ALLOWED = {"threshold"}   # the clipping rule's variable, as the course writes it
MAX_MAIN_FRAMES = 20


def pdf_text(pdf: Path, *args) -> str:
    return subprocess.run(["pdftotext", "-layout", *args, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pages(pdf: Path) -> list[str]:
    return pdf_text(pdf).split("\f")


def main_part_pages(pdf: Path) -> list[str]:
    """Pages before the backup part's transition frame."""
    ps = pages(pdf)
    end = next(i for i, p in enumerate(ps) if "Запасные слайды" in p)
    return ps[:end]


COURSE_ENGLISH_TITLES = ["Vanishing and Exploding", "Gradient clipping"]   # the course's own frame titles


def english_words(text: str) -> set[str]:
    text = re.sub(r"https?://\S+", " ", text)
    for title in COURSE_ENGLISH_TITLES:
        text = text.replace(title, " ")
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return {w for w in words if w in ENGLISH and w not in ALLOWED}


# --- unit tests of the checks themselves (they must be able to fail) -------------------------------------

def test_the_english_check_finds_english_and_ignores_urls():
    assert english_words("ошибка на test, epoch 3") == {"test", "epoch"}
    assert english_words("см. https://arxiv.org/abs/1211.5063 length") == {"length"}
    assert english_words("IRNN и LSTM, threshold") == set()
    assert english_words("Gradient clipping (2013)") == set() and english_words("gradient norm") == {"gradient", "norm"}


def test_overfull_check_reads_a_log():
    log = "Overfull \\hbox (0.5pt too wide) in paragraph\nOverfull \\vbox (16.4pt too high) detected at line 71\n"
    assert overfull(log) == [16.4]


def overfull(log: str, tolerance: float = 1.0) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\[hv]box \(([0-9.]+)pt too", log) if float(x) > tolerance]


# --- the built deck ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def deck(smoke_build):
    out, _, _ = smoke_build
    return out


@pytest.mark.parametrize("name", ["deck", "deck-notes"])
def test_no_overfull_box_and_no_missing_character(deck, name):
    log = (deck / "build" / f"{name}.log").read_text(errors="replace")
    assert not overfull(log), f"{name}.log: overfull boxes {overfull(log)}"
    assert "Missing character" not in log, re.findall(r"Missing character.*", log)[:5]


def test_every_included_figure_exists_and_is_vector_at_its_drawn_size(deck):
    tex = (deck / "build" / "deck.tex").read_text()
    included = re.findall(r"\\includegraphics(\[[^\]]*\])?\{([^}]+)\}", tex)
    assert included, "the deck includes no figure"
    for options, name in included:
        assert not options or "width" not in options, f"{name} is scaled ({options}): draw it at its size instead"
        path = deck / "figures" / name
        assert path.suffix == ".pdf" and path.is_file(), path
        info = subprocess.run(["pdfimages", "-list", str(path)], capture_output=True, text=True).stdout
        fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        assert "DejaVu" in fonts, f"{name}: text is not in the slide's family (or not text at all)"
        width = float(re.search(r"Page size:\s+([0-9.]+)", subprocess.run(["pdfinfo", str(path)], capture_output=True,
                                                                          text=True).stdout).group(1))
        assert width <= 398.4 + 0.5, f"{name} is {width:.0f} pt wide, wider than the frame's text (398 pt)"
        # a raster map inside a vector figure is fine (the cliff's colour map); a figure that is only an image is not
        assert len(fonts.splitlines()) > 2, (name, info)


@pytest.mark.parametrize("name", ["deck", "deck-notes"])
def test_no_english_left_from_the_figures(deck, name):
    found = english_words(pdf_text(deck / f"{name}.pdf"))
    assert not found, f"{name}.pdf carries English words: {sorted(found)}"


def test_figures_carry_no_english_either(deck):
    for pdf in (deck / "figures").glob("*.pdf"):
        found = english_words(pdf_text(pdf))
        assert not found, f"{pdf.name}: {sorted(found)}"


def test_main_part_has_the_course_titles_in_order_and_at_most_20_frames(deck):
    main = main_part_pages(deck / "deck.pdf")
    frame_numbers = {int(m.group(1)) for p in main if (m := re.search(r"(\d+)\s*$", p.strip()))}
    assert 15 <= len(frame_numbers) <= MAX_MAIN_FRAMES, sorted(frame_numbers)
    titles = [p.strip().splitlines()[0].strip() if p.strip() else "" for p in main]
    position = 0
    for wanted in COURSE_TITLES:
        hits = [i for i, t in enumerate(titles) if i >= position and t.startswith(wanted)]
        assert hits, f"no frame titled {wanted!r} after page {position + 1} (titles: {titles})"
        position = hits[0]


def test_no_build_metadata_on_student_frames(deck):
    text = pdf_text(deck / "deck.pdf")
    assert "build.py" not in text and "профиль" not in text.lower() and "коммит" not in text.lower()


def test_notes_hold_the_budgets_and_a_note_for_every_figure_frame(deck):
    notes = pages(deck / "deck-notes.pdf")
    assert any("коммит" in p.lower() for p in notes)
    tex = (deck / "build" / "deck.tex").read_text()
    frames = re.findall(r"\\begin\{frame\}.*?\\end\{frame\}", tex, flags=re.S)
    with_figure = [f for f in frames if "\\includegraphics" in f]
    assert with_figure and all("\\note{" in f for f in with_figure), \
        [re.search(r"\{frame\}(\[[^\]]*\])?\{([^}]*)\}", f).group(2) for f in with_figure if "\\note{" not in f]


def test_bullets_are_en_dashes_not_double_hyphens(deck):
    assert "--" not in pdf_text(deck / "deck.pdf")


def test_slide_text_names_no_page_of_the_main_part(deck):
    tool = ROOT.parent / "shared" / "tools" / "slide_text.py"
    if not tool.is_file():
        pytest.skip(f"{tool} is not here")
    out = subprocess.run([sys.executable, str(tool), str(deck / "deck.pdf")], capture_output=True, text=True).stdout
    n_main = len(main_part_pages(deck / "deck.pdf"))
    bad = [int(p) for p in re.findall(r"\bp(\d+) \(", out)]
    assert not [p for p in bad if p <= n_main], out


def test_the_pdf_title_is_plain_text(deck):
    """The viewer shows the PDF's title while presenting: no LaTeX command may leak into it."""
    info = subprocess.run(["pdfinfo", str(deck / "deck.pdf")], capture_output=True, text=True).stdout
    title = re.search(r"^Title:\s*(.*)$", info, re.M).group(1)
    assert "Посиделка 9: взрыв" in title and "black" not in title, title
