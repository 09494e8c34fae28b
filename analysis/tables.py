"""The documents' tables as data: each a pandas DataFrame built from the results, saved as CSV under
OUT/tables/ (a reader can load it without the PDF), and rendered into the documents from that same frame."""
from pathlib import Path

import pandas as pd

FOLDER = "tables"


def _fmt_p(p):
    return "" if p is None else f"{p:.3g}"


def _fmt_n(n: dict) -> str:
    return "; ".join(f"{k}: {v}" for k, v in (n or {}).items())


def _fmt_interval(interval) -> str:
    """A Wilson interval, or one per group ({group: (lo, hi)})."""
    if not interval:
        return ""
    if isinstance(interval, dict):
        return "; ".join(f"{k}: {lo:.3f}–{hi:.3f}" for k, (lo, hi) in interval.items())
    lo, hi = interval
    return f"{lo:.3f}–{hi:.3f}"


def claims_frame(rows: list[dict]) -> pd.DataFrame:
    """One row per claim (figures/claims.py evaluate()): what the report's first table shows, plus every test."""
    return pd.DataFrame([dict(
        id=r["id"], claim=r["claim"], kind=r["kind"], verdict=r["verdict"], test=r["test"], n=_fmt_n(r["n"]),
        p=_fmt_p(r["p"]), interval=_fmt_interval(r["interval"]),
        all_tests=" | ".join(f"{t['what']}: {t['test']}, n {_fmt_n(t['n'])}"
                             + (f", p = {_fmt_p(t['p'])}" if t.get("p") is not None else "")
                             + (f", 95% CI {_fmt_interval(t['interval'])}" if t.get("interval") else "")
                             for t in r["tests"]),
        evidence=r["evidence"], criterion=r["criterion"], budget=r["budget"]) for r in rows])


def save(frame: pd.DataFrame, out: Path, name: str) -> Path:
    """OUT/tables/NAME.csv (UTF-8, no index)."""
    folder = Path(out) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path
