"""The documents' tables as data: each a pandas DataFrame built from the results, saved as CSV under
OUT/tables/ (a reader can load it without the PDF), and rendered into the documents from that same frame."""
import math
import re
from pathlib import Path

import pandas as pd

from analysis.papers import LE_ADDING_SETUP, PASCANU_CODE, PASCANU_SETUP

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
                 paper_unverified=r["unverified"], ours=r["ours"].get(d), seeds=s["seeds"] if d in s["datasets"] else None,
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
    """Every experiment's budget and compute time (the report's environment section); `shown` is the budget as the
    table prints it, per-length update counts ("4·L updates (40–60)") said once as "4·L updates at length L"."""
    return pd.DataFrame([dict(experiment=name, budget=e["budget"],
                              shown=re.sub(r"·L updates \([^)]*\)", "·L updates at length L", e["budget"]),
                              seconds=e.get("seconds")) for name, e in exp.items()],
                        columns=["experiment", "budget", "shown", "seconds"])


def environment_frame(profile: str, env: dict) -> pd.DataFrame:
    """What the numbers were computed with (build.environment), one row an item."""
    items = [("profile", profile), ("device", env["device"]), ("CPU", env["cpu"]), ("cores", env["cores"]),
             ("torch threads per job", env["threads"]), ("Python", env["python"]), ("torch", env["torch"]),
             ("numpy", env["numpy"]), ("platform", env["platform"]), ("git commit", env["commit"])]
    return pd.DataFrame([dict(item=k, value=str(v)) for k, v in items])


# ----------------------------------------------------------------------------- protocols: the paper beside ours
# Text cells may hold inline maths between $…$ and `code`; the rest is plain text (the `text` filter of
# pipeline/documents.py renders them: tex_text).

def _g(x) -> str:
    return f"{x:g}"


def _pow10(x) -> str:
    """A number for inline maths: 10000 as 10^{4} (a power of ten from 10^4 up), anything else as it is."""
    k = math.log10(x)
    return f"10^{{{int(k)}}}" if k == int(k) and k >= 4 else _g(x)


def _join(xs) -> str:
    return ", ".join(_g(x) for x in xs)


def _unverified(value, unverified: bool) -> str:
    return f"{_g(value)} (unverified)" if unverified else _g(value)


def pathological_updates(p: dict) -> str:
    """Our update budget per length: updates_per_step·L (capped at the paper's) or one count at every length."""
    if p["updates_per_step"] is None:
        return f"at most {p['updates'][0]} updates at every length"
    at = [f"{u} at L = {L}" for L, u in zip(p["lengths"], p["updates"])]
    at += [f"{u} at L = {L}" for L, u in p["table_updates"].items()]
    return f"at most {p['updates_per_step']}·L updates at length L ({', '.join(at)})"


def pathological_protocol_frame(p: dict) -> pd.DataFrame:
    """Pascanu et al.'s protocol (analysis/papers.py) beside ours: the setup, then where our protocol and the
    authors' code differ, and why (part "code")."""
    S, C = PASCANU_SETUP, PASCANU_CODE
    weight = _unverified(S["omega_weight"], S["omega_weight_unverified"])
    setup = [
        ("units, batch, learning rate", f"{S['units']}, {S['batch']}, {_g(S['lr'])}, "
                                        + (f"momentum {_g(S['momentum'])}" if S["momentum"] else "no momentum"),
         f"{p['n_hidden']}, {p['batch']}, {_g(p['lr'])}, no momentum"),
        (r"clipping threshold, $\Omega$ weight", f"{_g(S['clip'])}, {weight}", f"{_g(p['clip'])}, {_g(p['omega'])}"),
        ("sequence lengths", _join(S["lengths"]), _join(p["lengths"])),
        ("updates", f"up to {S['max_updates']}", pathological_updates(p)),
        ("seeds", str(S["seeds"]), str(p["seeds"])),
        ("test sequences", str(S["test_sequences"]), str(p["test_n"])),
        ("tasks", str(S["tasks"]), f"{len(p['table'])} ({', '.join(r['task'] for r in p['table'])})")]
    a, b = S["train_lengths"]
    code = [
        (r"$\Omega$", rf"code: mean over (step, example) of $(\|v\|^2/\|d\|^2-1)^2$, $\alpha = {_g(C['omega_alpha'])}$; "
                       rf"text: $\sum_k (\|v\|/\|d\|-1)^2$, weight {weight}",
         "both: MSGD-CR uses the code's form (what produced the paper's runs), MSGD-CR (text) the text's; same seeds, "
         "an ablation" + ("" if p["ablation"] else " (run in the `full` profile, not in this one)")),
        ("NaN, Inf or huge gradient norm", f"norm NaN, Inf or $> {_pow10(C['bad_norm'])}$: step replaced by "
                                           rf"${_g(C['bad_step'])}\,W$ on $W$, training goes on",
         "the same for clipped runs; an unclipped run that blows up stops and counts as failed (as theirs would end "
         "in NaN)"),
        ("success check", f"every {p['check_every']} updates, no error on ${_pow10(S['test_sequences'])}$ fresh "
                          f"sequences, run stops",
         f"every {p['check_every']} updates, no error on {p['check_n']} fresh sequences and at most "
         f"{100 * p['confirm_wrong']:.1f}% wrong on {p['confirm_n']} more (cost), run stops; verdict at the end on "
         f"{p['test_n']} fresh sequences, fewer than {100 * S['wrong_below']:g}% wrong"),
        ("noiseless memorisation", "blank class on non-recall steps; a sequence is wrong if any step is", "the same"),
        ("length generalisation", f"training length drawn per batch from $[{a}, {b})$",
         "the same in `full`; `default` draws from a shorter range, to fit its budget")]
    return pd.DataFrame([dict(part="setup", setting=k, paper=v, ours=o) for k, v, o in setup]
                        + [dict(part="code", setting=k, paper=v, ours=o) for k, v, o in code])


def _adding_rates(a: dict) -> str:
    """How the adding problem's learning rates were chosen: the pilot on validation data (a grid), else the
    recorded rates and where they came from."""
    opt = "Adam" if a["optimizer"] == "adam" else a["optimizer"]
    if not a["lr_grid"]:
        return (f"{opt}; recorded rates, " + "; ".join(f"{a['labels'][m]}: {_g(lr)}" for m, lr in a["lr"].items())
                + f" (source: {a['lr_source']})")
    s = "s" if a["pilot_seeds"] != 1 else ""
    chosen = "; ".join(a["labels"][m] + ": " + ", ".join(
        _g(lr) + (f" ($T = {T}$)" if len(by_T) > 1 else "") for T, lr in by_T.items()) for m, by_T in a["lr_chosen"].items())
    return (f"{opt}; every model's rate chosen the same way: a pilot of {a['pilot_seeds']} seed{s} at each of "
            f"{_join(a['lr_grid'])} for {a['pilot_updates']} updates, scored on {a['n_validation']} validation "
            f"sequences drawn apart from the test set; the rate with the lowest median pilot MSE (a diverged pilot at "
            f"the baseline) was chosen, per model and $T$, and the model's seeds then trained at it for the whole "
            f"budget: {chosen}")


def adding_protocol_frame(a: dict) -> pd.DataFrame:
    """Le et al.'s adding-problem protocol, as far as it could be checked (analysis/papers.py), beside ours."""
    S, unknown = LE_ADDING_SETUP, "not verified"
    rows = [("models", ", ".join(S["models"]), "; ".join(a["labels"].values())),
            ("sequence lengths $T$", _join(S["lengths"]), _join(a["lengths"])),
            ("hidden units", _unverified(S["units"], "units" in S["unverified"]), str(a["n_hidden"])),
            ("batch", _unverified(S["batch"], "batch" in S["unverified"]), str(a["batch"])),
            ("optimiser, learning rate", unknown, _adding_rates(a)),
            ("clipping threshold", unknown, _g(a["clip"])),
            ("updates", unknown, str(a["updates"])),
            ("seeds", unknown, f"{a['seeds']} per model and $T$"),
            ("test sequences", unknown, f"{a['n_test']} (fixed)")]
    return pd.DataFrame([dict(setting=k, paper=v, ours=o) for k, v, o in rows])


def papers_frame(exp: dict, claims: list[dict]) -> pd.DataFrame:
    """The deck's "papers and our runs": for each claim it shows, the quantities its row quotes (paper: the paper's
    number where it gives one), with whether the claim's headline test is significant. One row a quantity."""
    sig = {c["id"]: c["significant"] for c in claims}
    rows = []

    def add(claim, source, quantity, what, ours, paper=None):
        rows.append(dict(claim=claim, source=source, quantity=quantity, what=what, paper=paper, ours=ours,
                         significant=sig.get(claim)))
    if "cliff" in exp:
        c = exp["cliff"]
        add("C2", "Pascanu et al. 2013", "clipped", "paths reaching the minimum with clipping", c["clipped_solved"])
        add("C2", "Pascanu et al. 2013", "plain", "paths reaching the minimum without clipping", c["plain_solved"])
        add("C2", "Pascanu et al. 2013", "paths", "paths (starts)", c["starts"])
    if "pathological" in exp:
        p = exp["pathological"]
        add("C4", "Pascanu et al. 2013", "length", "temporal order: longest length L", p["lengths"][-1], p["paper_lengths"][-1])
        add("C4", "Pascanu et al. 2013", "lengths", "lengths run", len(p["lengths"]), len(p["paper_lengths"]))
        add("C4", "Pascanu et al. 2013", "successes", "MSGD-CR successes, smart tanh", p["smart_cr_successes"])
        add("C4", "Pascanu et al. 2013", "runs", "runs (seeds × lengths)", p["runs_per_cell"])
    if "adding" in exp:
        a = exp["adding"]
        add("C6", "Le et al. 2015", "T", "adding problem: length T", a["short_length"])
        for m in ("irnn", "lstm", "tanh_gauss"):
            add("C6", "Le et al. 2015", m, f"final test MSE, {a['labels'][m]}", a["final_short"][m])
    s = exp.get("sequential_mnist")
    if s and "mnist" in s["datasets"] and "tanh_gauss" in s["accuracy"]:
        for m in ("irnn", "tanh_gauss"):
            add("C7", "Le et al. 2015", m, f"pixel MNIST test accuracy %, {s['labels'][m]}", s["accuracy"][m]["mnist"],
                s["paper"][m]["mnist"])
        add("C7", "Le et al. 2015", "updates", "updates", s["updates"])
    return pd.DataFrame(rows, columns=["claim", "source", "quantity", "what", "paper", "ours", "significant"], dtype=object)


def frames(context: dict) -> dict[str, pd.DataFrame]:
    """Every table the documents show that this build has the numbers for, by CSV name."""
    exp = context["exp"]
    out = {"claims": claims_frame(context["claims"]), "budgets": budgets_frame(exp),
           "environment": environment_frame(context["profile"], context["env"])}
    if len(papers := papers_frame(exp, context["claims"])):
        out["papers"] = papers
    if "adding" in exp:
        out["adding_protocol"] = adding_protocol_frame(exp["adding"])
        out["adding"] = adding_frame(exp["adding"])
        out["adding_learning_rates"] = learning_rates_frame(exp["adding"])
    if "pathological" in exp:
        p = exp["pathological"]
        out["pathological_protocol"] = pathological_protocol_frame(p)
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
