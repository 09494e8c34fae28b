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
    """One row per claim (analysis/claims.py evaluate()): what the report's first table shows, plus every test."""
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


# ----------------------------------------------------------------------------- the result tables of the documents
# Each function takes the numbers of one experiment (results.json exp.NAME) and returns the frame its table shows;
# the templates iterate the frame's records (context `tables`), so the PDF and the CSV hold the same values.

def adding_frame(a: dict) -> pd.DataFrame:
    """The adding problem, one row per (model, T): the final test MSE (median over seeds, diverged runs at the
    baseline), the updates to 1/60, the rate it trained at, seeds, runs below 1/60 and diverged runs."""
    return pd.DataFrame([dict(model=r["model"], label=r["label"], T=r["length"], lr=r["lr"], seeds=r["runs"],
                              final_mse_median=r["final"], solved=r["solved"], solved_at=r["solved_at"],
                              diverged=r["diverged"]) for r in a["rows"]])


def pathological_pooled_frame(p: dict) -> pd.DataFrame:
    """Fig. 7's task: successes per initialisation and method, pooled over the lengths, of how many runs."""
    n = p["runs_per_cell"]
    return pd.DataFrame([dict(init=init, method=method, successes=k, runs=n)
                         for init, by_method in p["successes"].items() for method, k in by_method.items()])


def pathological_tasks_frame(p: dict) -> pd.DataFrame:
    """Tasks × methods (smart tanh): successes / runs and the median final error, chance beside it."""
    return pd.DataFrame([dict(task=row["task"], task_label=row["task_label"],
                              lengths=", ".join(map(str, row["lengths"])), chance=row["chance"], method=c["method"],
                              successes=c["successes"], runs=c["runs"], median_error=c["median_error"])
                         for row in p["table"] for c in row["cells"]])


def omega_ablation_frame(p: dict) -> pd.DataFrame:
    """Ω as the authors' code computes it and as the paper's text writes it, on the same seeds."""
    return pd.DataFrame([dict(L=a["length"], seeds=p["seeds"], code_successes=a["code_successes"],
                              code_first_success=a["code_first"], text_successes=a["text_successes"],
                              text_first_success=a["text_first"]) for a in p["ablation"]],
                        columns=["L", "seeds", "code_successes", "code_first_success", "text_successes",
                                 "text_first_success"])


def mnist_frame(s: dict) -> pd.DataFrame:
    """Test accuracy (%), ours (final epoch, median over seeds, diverged runs at chance) beside the paper's and
    later work's; one row per (model, dataset)."""
    diverged = {(c["model"], c["dataset"]): c["diverged"] for c in s["per_seed"]}
    rows = [dict(source="ours and Le et al. 2015", model=r["label"], dataset=d, paper=r["paper"].get(d),
                 paper_unverified=r["unverified"], ours=r["ours"].get(d), seeds=s["seeds"],
                 diverged=diverged.get((r["model"], d))) for r in s["rows"] for d in ("mnist", "permuted")]
    rows += [dict(source="later work", model=r["model"], dataset=d, paper=r[d], paper_unverified=False, ours=None,
                  seeds=None, diverged=None) for r in s["later"] for d in ("mnist", "permuted")]
    return pd.DataFrame(rows)


def learning_rates_frame(a: dict) -> pd.DataFrame:
    """The adding problem's learning rates: with a grid, each model's median validation MSE at every rate and the
    rate chosen (per T); without one, the recorded rate of each model and where it came from."""
    rows = []
    for m, by_T in a["lr_chosen"].items():
        for T, lr in by_T.items():
            v = a["lr_validation"][m][T]
            if v is None:
                rows.append(dict(model=m, T=T, lr=lr, validation_mse_median=None, chosen=True, source=a["lr_source"]))
            else:
                rows += [dict(model=m, T=T, lr=g, validation_mse_median=med, chosen=g == v["chosen"],
                              source="validation set") for g, med in zip(v["grid"], v["median"])]
    return pd.DataFrame(rows)


def budgets_frame(exp: dict) -> pd.DataFrame:
    """Every experiment's budget and compute time (the report's environment section)."""
    return pd.DataFrame([dict(experiment=name, budget=e["budget"], seconds=e.get("seconds"))
                         for name, e in exp.items()])


def frames(context: dict) -> dict[str, pd.DataFrame]:
    """Every table the documents show that this build has the numbers for, by CSV name."""
    exp = context["exp"]
    out = {"claims": claims_frame(context["claims"]), "budgets": budgets_frame(exp)}
    if "adding" in exp:
        out["adding"] = adding_frame(exp["adding"])
        out["adding_learning_rates"] = learning_rates_frame(exp["adding"])
    if "pathological" in exp:
        p = exp["pathological"]
        out["pathological_pooled"] = pathological_pooled_frame(p)
        if p["table"]:
            out["pathological_tasks"] = pathological_tasks_frame(p)
        if p["ablation"]:
            out["omega_ablation"] = omega_ablation_frame(p)
    if "sequential_mnist" in exp:
        out["mnist"] = mnist_frame(exp["sequential_mnist"])
    return out


def write_all(frames: dict, outputs) -> dict[str, list[dict]]:
    """Saves every frame as OUT/tables/NAME.csv through the build's outputs (pipeline/outputs.py: a table this
    build no longer has is removed with the other stale outputs) and returns their records for the templates."""
    for name, frame in frames.items():
        outputs.write_text(f"{FOLDER}/{name}.csv", frame.to_csv(index=False))
    return {name: records(frame) for name, frame in frames.items()}


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame's rows for a template (NaN and NA as None, so that a missing value shows as "—")."""
    return [{k: (None if (v is None or (isinstance(v, float) and v != v) or v is pd.NA) else v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")]
