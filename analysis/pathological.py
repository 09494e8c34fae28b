"""Numbers of experiments.pathological: the Fig. 7 analogue (successes and errors per init, method and length),
the tasks × methods table and the Ω ablation. Typed: successes[init][method], success_rate[init][method][L]."""
import numpy as np

from analysis.labels import METHOD_SHORT, TASK_LABELS
from analysis.papers import PAPER_MAX_UPDATES, PASCANU_LENGTHS, PASCANU_SEEDS
from experiments.pathological import budget, updates_for
from rnn.models import BATCH, CLIP, CONFIRM_N, CONFIRM_WRONG, INITS, LR, METHODS, N_HIDDEN, TASK_TITLES
from rnn.tasks import TASKS

SMART = "smart tanh"


def fig7_runs(config, results):
    """{(L, init): the job of the Fig. 7 task at length L with that init}."""
    return {(r["length"], r["init"]): r for r in results if r["task"] == config["fig7_task"]}


def _slice(r, method, key):
    """One method's per-seed values of key in a job (members are method-major)."""
    S = len(r["seeds"])
    m = r["methods"].index(method)
    return r[key][m * S:(m + 1) * S]


def _cell(rs, method):
    """(successes, runs, median final error) of one method over a list of job results."""
    errs, succ = [], 0
    for r in rs:
        errs += list(_slice(r, method, "final_error"))
        succ += int(np.sum(_slice(r, method, "success")))
    return succ, len(errs), float(np.median(errs)) if errs else float("nan")


def _best(cells):
    """The method with the most successes; ties go to the lower median error."""
    return min(cells, key=lambda c: (-c["successes"], c["median_error"]))["method"]


def table_rows(config, results):
    """Tasks × methods, smart tanh, pooled over the lengths each task was run at (task_label is the msgid, not
    its translation: the numbers serve every language; templates translate it)."""
    task, table = config["fig7_task"], []
    for name in [task] + [t for t in config["table_tasks"] if t != task]:
        rs = [r for r in results if r["task"] == name and r["init"] == SMART]
        if not rs:
            continue
        cells = []
        for method in [m for m in rs[0]["methods"] if m != "MSGD-CR (text)"]:   # the ablation has its own table
            s, n, e = _cell(rs, method)
            cells.append(dict(method=method, successes=s, runs=n, median_error=e))
        table.append(dict(task=TASK_TITLES[name], task_label=dict.__getitem__(TASK_LABELS, name),
                          lengths=sorted({r["length"] for r in rs}), chance=float(TASKS[name].chance_error), cells=cells))
    return table


def numbers(config, results):
    task, lengths, S = config["fig7_task"], config["lengths"], config["seeds"]
    fig7 = fig7_runs(config, results)
    ran = {i: fig7[lengths[0], i]["methods"] for i in INITS}

    def rate(init, method, L):
        return float(np.mean(_slice(fig7[L, init], method, "success")))

    def error(init, method, L):
        return float(np.median(_slice(fig7[L, init], method, "final_error")))

    def total(init, method):
        return int(sum(np.sum(_slice(fig7[L, init], method, "success")) for L in lengths))

    def first_success(init, method, L):
        """Median update of success over the seeds that succeeded during training (None if none did)."""
        hits = [h for h in _slice(fig7[L, init], method, "success_at") if h is not None]
        return int(np.median(hits)) if hits else None

    # the Ω ablation: the same seeds under Ω as the authors' code computes it and as the paper's text writes it
    ablation = [dict(length=L, **{f"{key}_{field}": value
                                  for key, method in (("code", "MSGD-CR"), ("text", "MSGD-CR (text)"))
                                  for field, value in (("successes", int(np.sum(_slice(fig7[L, SMART], method, "success")))),
                                                       ("first", first_success(SMART, method, L)))})
                for L in lengths if "MSGD-CR (text)" in ran[SMART]]
    successes = {i: {m: total(i, m) for m in ran[i]} for i in INITS}
    errors = {i: {m: {L: error(i, m, L) for L in lengths} for m in ran[i]} for i in INITS}
    table = table_rows(config, results)
    smart = successes[SMART]
    return {
        "budget": budget(config), "task": TASK_TITLES[task], "lengths": lengths, "seeds": S,
        "updates": [updates_for(config, L) for L in lengths], "test_n": config["test_n"], "chance": float(TASKS[task].chance_error),
        "paper_lengths": PASCANU_LENGTHS, "paper_max_updates": PAPER_MAX_UPDATES, "paper_seeds": PASCANU_SEEDS,
        "budget_fraction": updates_for(config, lengths[-1]) / PAPER_MAX_UPDATES,
        "n_hidden": N_HIDDEN, "batch": BATCH, "lr": LR, "clip": CLIP,
        "method_labels": dict(METHOD_SHORT), "omega": METHODS["MSGD-CR"][1], "omega_text": METHODS["MSGD-CR (text)"][1],
        "headline_cr": "MSGD-CR",
        "check_n": config["check_n"], "confirm_n": CONFIRM_N, "confirm_wrong": CONFIRM_WRONG, "ablation": ablation,
        # pre-clip gradient norm at the first update (same init and batch for every method of a seed): the task's
        # gradient alone (MSGD-C) against task + α∇Ω under each form
        "first_grad": {m: float(np.median(_slice(fig7[lengths[0], SMART], m, "first_grad"))) for m in ran[SMART]},
        "runs_per_cell": S * len(lengths), "successes": successes,
        "success_rate": {i: {m: {L: rate(i, m, L) for L in lengths} for m in ran[i]} for i in INITS},
        "median_error": errors,
        "below_paper_lengths": lengths[-1] < PASCANU_LENGTHS[0],
        "cr_leads": smart["MSGD-CR"] > max(smart["MSGD-C"], smart["MSGD"]),
        "smart_cr_successes": smart["MSGD-CR"], "smart_c_successes": smart["MSGD-C"],
        "smart_msgd_successes": smart["MSGD"],
        "sigmoid_successes": sum(successes["sigmoid"].values()),
        "diverged": sum(d is not None for r in results for d in r["diverged_at"]),
        "table": table, "best_method": _best(table[0]["cells"]) if table else None,
        "has_task_figure": bool(config["table_tasks"]),
    }
