"""Numbers of experiments.pathological: the Fig. 7 analogue (successes and errors per init, method and length),
the tasks × methods table and the Ω ablation. Typed: successes[init][method], median_error[init][method][L]; per_seed: every cell's seeds, for the claims' tests."""
import numpy as np

from analysis.labels import METHOD_SHORT, TASK_LABELS
from analysis.papers import PAPER_MAX_UPDATES, PASCANU_LENGTHS
from experiments.pathological import budget, updates_for
from rnn.models import BATCH, CHECK_EVERY, CLIP, CONFIRM_N, CONFIRM_WRONG, INITS, LR, METHODS, N_HIDDEN, TASK_TITLES
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


def final_errors(r, method):
    """One method's final test errors in a job, one per seed; a diverged run counts as chance (the input-blind
    guess), never as a missing value or as an error worse than guessing."""
    chance = float(TASKS[r["task"]].chance_error)
    return [chance if d is not None else float(e)
            for e, d in zip(_slice(r, method, "final_error"), _slice(r, method, "diverged_at"))]


def per_seed(results):
    """Every (task, init, length, method) cell's per-seed outcomes: what the claims' tests read."""
    return [dict(task=r["task"], init=r["init"], length=int(r["length"]), method=method,
                 final_error=final_errors(r, method), success=[bool(x) for x in _slice(r, method, "success")],
                 diverged=int(sum(d is not None for d in _slice(r, method, "diverged_at"))))
            for r in results for method in r["methods"]]


def _cell(rs, method):
    """(successes, runs, median final error) of one method over a list of job results."""
    errs, succ = [], 0
    for r in rs:
        errs += final_errors(r, method)
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

    def error(init, method, L):
        return float(np.median(final_errors(fig7[L, init], method)))

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
        "budget": budget(config), "task": TASK_TITLES[task], "fig7_task": task, "lengths": lengths, "seeds": S,
        "updates": [updates_for(config, L) for L in lengths],
        # updates_per_step·L at length L, or one count at every length (None); the other tasks' lengths' budgets
        "updates_per_step": None if config.get("updates") else config["updates_per_step"],
        "table_updates": {L: updates_for(config, L) for L in config["table_lengths"] if L not in lengths}
        if config["table_tasks"] else {},
        "test_n": config["test_n"], "chance": float(TASKS[task].chance_error),
        "paper_lengths": PASCANU_LENGTHS, "paper_max_updates": PAPER_MAX_UPDATES,
        "budget_fraction": updates_for(config, lengths[-1]) / PAPER_MAX_UPDATES,
        "n_hidden": N_HIDDEN, "batch": BATCH, "lr": LR, "clip": CLIP,
        "method_labels": dict(METHOD_SHORT), "omega": METHODS["MSGD-CR"][1], "omega_text": METHODS["MSGD-CR (text)"][1],
        "headline_cr": "MSGD-CR",
        "check_every": CHECK_EVERY, "check_n": config["check_n"], "confirm_n": CONFIRM_N, "confirm_wrong": CONFIRM_WRONG, "ablation": ablation,
        # pre-clip gradient norm at the first update (same init and batch for every method of a seed): the task's
        # gradient alone (MSGD-C) against task + α∇Ω under each form
        "first_grad": {m: float(np.median(_slice(fig7[lengths[0], SMART], m, "first_grad"))) for m in ran[SMART]},
        "runs_per_cell": S * len(lengths), "successes": successes,
        "median_error": errors,
        "below_paper_lengths": lengths[-1] < PASCANU_LENGTHS[0],
        "cr_leads": smart["MSGD-CR"] > max(smart["MSGD-C"], smart["MSGD"]),
        "smart_cr_successes": smart["MSGD-CR"], "smart_c_successes": smart["MSGD-C"],
        "smart_msgd_successes": smart["MSGD"],
        "sigmoid_successes": sum(successes["sigmoid"].values()),
        "diverged": sum(d is not None for r in results for d in r["diverged_at"]), "per_seed": per_seed(results),
        "table": table, "best_method": _best(table[0]["cells"]) if table else None,
        "has_task_figure": bool(config["table_tasks"]),
    }
