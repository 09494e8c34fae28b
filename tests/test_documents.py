"""Templates and LaTeX: escaping, strictness, error surfacing, no shell-escape, deterministic PDFs."""
import subprocess

import pytest

from pipeline import documents

NASTY = r"50% & a_b #1 $x$ \input{/etc/hostname} ~^{}"


def test_values_are_escaped_and_markup_is_not():
    tex = documents.render(None, {"v": NASTY, "raw": documents.Markup(r"\textbf{x}")}, source=r"\VAR{v} / \VAR{raw}")
    assert r"50\% \& a\_b \#1 \$x\$ \textbackslash{}input\{/etc/hostname\}" in tex
    assert tex.endswith(r"\textbf{x}")


def test_undefined_value_is_an_error_naming_the_template():
    with pytest.raises(documents.DocumentError, match="missing_value"):
        documents.render(None, {}, source=r"\VAR{missing_value}")


def test_numbers_are_formatted_for_people():
    assert documents.num(0.123456) == "0.123"
    assert documents.num(12.0) == "12"
    assert documents.num(2.5e-7) == "2.50e-7"
    assert str(documents.tex_num(2.5e-7)) == r"\ensuremath{2.50\cdot 10^{-7}}"
    assert str(documents.tex_num(-0.5)) == r"\ensuremath{-0.5}"



def test_a_problem_written_in_latex_becomes_myst_for_the_page():
    """The subset templates/problems/*.tex use, as the book page shows it; a bracket stays with its maths."""
    latex = ("Так как $\\pr_i$ ($\\gamma = 1$)~— \\textbf{клиппинг}, \\emph{может}:\n"
             "\\[\n  \\diag\\bigl(f'(\\pr_i)\\bigr) \\cdot W = \\ensuremath{1}$2$.\n\\]\n"
             "\\begin{itemize}\n  \\item \\textbf{Затухание $\\Omega$.} A\n  \\item B\n\\end{itemize}\n"
             "Текст (рис.~\\ref{fig:x}). Ещё\nновый абзац\n"
             "\\begin{center}\n  \\includegraphics[width=0.9\\linewidth]{../images/x.png}\n"
             "  \\captionof{figure}{Подпись $(a)^{b}$.}\\label{fig:x}\n\\end{center}\n")
    assert documents.myst(latex) == (
        "Так как $\\mathit{pr}_i$ $(\\gamma = 1$) — __клиппинг__, *может*:\n\n"
        "$$\n\\operatorname{diag}\\bigl(f'(\\mathit{pr}_i)\\bigr) \\cdot W = \\ensuremath{1}2.\n$$\n\n"
        "- __Затухание $\\Omega$.__ A\n- B\n\n"
        "Текст. Ещё\n\nновый абзац\n\n"
        "```{figure} ../images/x.png\n---\nwidth: 90%\n---\nПодпись $(a)^{b}$.\n```")

def _doc(body):
    return ("\\documentclass{article}\n\\input{common.tex}\n\\begin{document}\n" + body + "\n\\end{document}\n")


def test_nasty_value_renders_as_text(tmp_path, needs_tex):
    tex = tmp_path / "nasty.tex"
    tex.write_text(documents.render(None, {"v": NASTY}, source=_doc(r"Value: \VAR{v}")))
    built = documents.compile_pdf(tex, tmp_path, 0)
    text = subprocess.run(["pdftotext", str(built.pdf), "-"], capture_output=True, text=True).stdout
    assert "50% & a_b #1 $x$ \\input{/etc/hostname}" in text


def test_latex_error_reports_file_line_and_message(tmp_path, needs_tex):
    tex = tmp_path / "broken.tex"
    tex.write_text(_doc("fine line\n\\undefinedmacro here"))
    with pytest.raises(documents.DocumentError) as e:
        documents.compile_pdf(tex, tmp_path, 0)
    message = str(e.value)
    assert f"{tex}:5:" in message and "Undefined control sequence" in message
    assert len(message.splitlines()) == 1


def test_tex_never_gets_shell_escape(tmp_path, needs_tex):
    tex = tmp_path / "escape.tex"
    tex.write_text(_doc("\\immediate\\write18{touch pwned}x"))
    documents.compile_pdf(tex, tmp_path, 0)
    assert not (tmp_path / "pwned").exists()


def test_same_inputs_give_the_same_pdf_bytes(tmp_path, needs_tex):
    pdfs = []
    for name in ("a", "b"):
        folder = tmp_path / name
        folder.mkdir()
        tex = folder / "same.tex"
        tex.write_text(_doc("Одинаковый текст, $x^2$."))
        pdfs.append(documents.compile_pdf(tex, folder, 1767225600).pdf.read_bytes())
    assert pdfs[0] == pdfs[1]


def test_line_markers_never_swallow_text(smoke_build, needs_tex):
    """The `%@template:line` comments that map LaTeX errors to templates sit at the end of a line only: a
    fragment included mid-sentence (e.g. the report's abstract) must not comment out what follows it."""
    import re
    out, _, _ = smoke_build
    for tex in (out / "build").glob("*.tex"):
        for n, line in enumerate(tex.read_text().splitlines(), 1):
            marker = re.search(r"(?<!\\)%@[^\s:]+:\d+(.*)$", line)
            assert not marker or not marker.group(1).strip(), f"{tex.name}:{n}: {line[:160]}"
    abstract = (out / "build" / "report.tex").read_text()
    assert re.search(r"regulariser[^\n]*the IRNN of Le", abstract)
