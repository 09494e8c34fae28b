"""The README quotes no verdict and no result of a claim by hand: those live in the report's claims table,
report/tables/claims.csv and results.json, computed by every build (analysis/claims.py)."""
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
CLAIM = re.compile(r"\bC[1-8]\b")
VERDICT = re.compile(r"\b(reproduced|partly|inconclusive|not run)\b", re.IGNORECASE)
ALLOWED_NUMBERS = re.compile(r"\bC[1-8]\b|C1–C8|α = 0\.05|95 %|`[^`]*`")


def sentences(text: str) -> list[str]:
    """Sentences of the paragraphs, and each table row as one."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        parts = block.splitlines() if block.lstrip().startswith("|") else [re.sub(r"\s+", " ", block)]
        for part in parts:
            out += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z*`(])", part) if s]
    return out


def claim_sentences(text: str) -> list[str]:
    return [s for s in sentences(text) if CLAIM.search(s)]


def claims_section(text: str) -> str:
    start = text.index("## Claims and verdicts")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def test_the_readme_states_no_verdict_or_number_of_a_claim():
    text = README.read_text()
    found = claim_sentences(text)
    assert found, "the README no longer mentions the claims at all: point readers to the report's table"
    for s in found:   # anywhere: a claim and a verdict in one sentence
        assert not VERDICT.search(s), f"README states a verdict by hand: {s!r}"
    for s in claim_sentences(claims_section(text)):   # the claims section: no result of a claim either
        assert not re.search(r"\d", ALLOWED_NUMBERS.sub("", s)), f"README states a claim's number by hand: {s!r}"


def test_the_check_catches_a_typed_verdict_and_number():
    typed = "Claims on the default build: C3 (clipping helps) partly — MSGD-C lowers the error (49 % vs 75 %)."
    s = claim_sentences(typed)
    assert s and (VERDICT.search(s[0]) or re.search(r"\d", ALLOWED_NUMBERS.sub("", s[0])))
    assert re.search(r"\d", ALLOWED_NUMBERS.sub("", claim_sentences("C6: IRNN 0.022 at T = 400.")[0]))
