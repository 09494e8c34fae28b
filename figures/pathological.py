"""Figures and numbers of experiments.pathological: the Fig. 7 analogue and the tasks × methods table."""
import numpy as np

from experiments.pathological import PAPER_MAX_UPDATES, budget, updates_for
from experiments.models import BATCH, CLIP, CONFIRM_N, CONFIRM_WRONG, INITS, LR, METHODS, N_HIDDEN, TASK_TITLES
from experiments.tasks import TASKS
from figures.style import (_, CHANCE, FULL, FULL_W, INIT_LABELS, METHOD_COLOURS, METHOD_LABELS, METHOD_SHORT, TASK_LABELS,
                           legend_top, plt, save)


def _cell(rs, method):
    """(successes, runs, median final error) of one method over a list of job results."""
    errs, succ = [], 0
    for r in rs:
        m = r["methods"].index(method)
        S = len(r["seeds"])
        errs += list(r["final_error"][m * S:(m + 1) * S])
        succ += int(np.sum(r["success"][m * S:(m + 1) * S]))
    return succ, len(errs), float(np.median(errs)) if errs else float("nan")


def _best(cells):
    """The method with the most successes; ties go to the lower median error."""
    return min(cells, key=lambda c: (-c["successes"], c["median_error"]))["method"]


PAPER_LENGTHS = [50, 100, 150, 200]   # Fig. 7's sequence lengths


def draw(config, results, figures):
    task = config["fig7_task"]
    chance = TASKS[task].chance_error
    lengths = config["lengths"]
    fig7 = {(r["length"], r["init"]): r for r in results if r["task"] == task}
    S = config["seeds"]

    fig, axes = plt.subplots(2, len(INITS), figsize=(FULL_W, 2.6), sharex=True, sharey="row")
    rates, errors = {}, {}
    # methods side by side at each length; the dodge is a small fraction of the axis (one length: of L itself)
    span = (max(lengths) - min(lengths)) or lengths[0]
    for c, init in enumerate(INITS):
        for method in fig7[lengths[0], init]["methods"]:
            colour = METHOD_COLOURS[method]
            m = fig7[lengths[0], init]["methods"].index(method)
            rate = [float(np.mean(fig7[L, init]["success"][m * S:(m + 1) * S])) for L in lengths]
            err = np.array([fig7[L, init]["final_error"][m * S:(m + 1) * S] for L in lengths])
            rates[init, method], errors[init, method] = rate, [float(np.median(e)) for e in err]
            off = (m - 1.5) * 0.1 * span
            # success rates as dodged markers, no lines: the rates are often equal (all 0), and lines at one height
            # lay the methods on top of one another
            axes[0, c].plot(np.array(lengths) + off, rate, "o", ms=5, color=colour, label=METHOD_LABELS[method])
            axes[1, c].plot(np.array(lengths) + off, np.median(err, axis=1), "o-", color=colour)
            for L, e in zip(lengths, err if S > 1 else []):   # the seeds as rings around their median's dot
                axes[1, c].scatter(np.full(len(e), L + off), e, s=14, facecolors="none", edgecolors=colour, lw=0.8)
        axes[0, c].set_title(INIT_LABELS.get(init, init))
        axes[1, c].axhline(chance, color=CHANCE, ls=":", lw=1.0)
        axes[1, c].set_xlabel(_("длина $L$"))
        axes[1, c].set_xticks(lengths)
        if len(lengths) == 1:
            axes[1, c].set_xlim(lengths[0] - 0.3 * span, lengths[0] + 0.3 * span)
    axes[0, 0].set_ylabel(_("успехи"))   # short: the two rows' labels must not run into each other
    axes[0, 0].set_ylim(-0.05, 1.05)
    axes[1, 0].set_ylabel(_("ошибка"))
    axes[1, 0].set_ylim(-0.02, 1.0)
    # the legend from the panel that ran every method (smart tanh carries the Ω ablation)
    legend_top(fig, *axes[0, list(INITS).index("smart tanh")].get_legend_handles_labels(), ncol=2)
    save(fig, figures, "pathological_fig7")

    # learning curves of the Fig. 7 task at its longest length: where a short budget stands
    fig, axes = plt.subplots(1, len(INITS), figsize=FULL, sharey=True)
    fig.get_layout_engine().set(w_pad=6 / 72)   # "60" of one panel apart from "0" of the next
    L = lengths[-1]
    for c, init in enumerate(INITS):
        r = fig7[L, init]
        for m, method in enumerate(r["methods"]):
            for s in range(S):
                axes[c].plot(r["eval_steps"], r["monitor_error"][m * S + s], color=METHOD_COLOURS[method],
                             lw=1.2, alpha=0.85, label=METHOD_LABELS[method] if s == 0 else None)
        axes[c].axhline(chance, color=CHANCE, ls=":", lw=1.0)
        axes[c].set_title(f"{INIT_LABELS.get(init, init)}, $L = {L}$", fontsize=9)
        axes[c].set_xlabel(_("шаг обучения"))
    axes[0].set_ylabel(_("ошибка"))
    legend_top(fig, *axes[0].get_legend_handles_labels(), ncol=3)
    save(fig, figures, "pathological_curves")

    # tasks × methods, smart tanh, pooled over the lengths each task was run at
    # (task_label is the msgid, not TASK_LABELS[name]: the numbers serve every language; templates translate it)
    table = []
    for name in [task] + [t for t in config["table_tasks"] if t != task]:
        rs = [r for r in results if r["task"] == name and r["init"] == "smart tanh"]
        if not rs:
            continue
        cells = []
        for method in [m for m in rs[0]["methods"] if m != "MSGD-CR (text)"]:   # the ablation has its own table
            s, n, e = _cell(rs, method)
            cells.append(dict(method=method, successes=s, runs=n, median_error=e))
        table.append(dict(task=TASK_TITLES[name], task_label=dict.__getitem__(TASK_LABELS, name), lengths=sorted({r["length"] for r in rs}),
                          chance=float(TASKS[name].chance_error), cells=cells))

    if config["table_tasks"]:
        extra = [t for t in config["table_tasks"] if t != task]
        fig, axes = plt.subplots(1, len(extra), figsize=FULL, sharey=True, squeeze=False)
        for ax, name in zip(axes[0], extra):
            rs = sorted([r for r in results if r["task"] == name], key=lambda r: r["length"])
            Ls = [r["length"] for r in rs]
            for m, method in enumerate(rs[0]["methods"]):
                # the first method widest, the next ones narrower on top: equal errors show as nested lines
                ax.plot(Ls, [np.median(r["final_error"][m * S:(m + 1) * S]) for r in rs], "o-", lw=max(3.0 - 1.0 * m, 0.8),
                        ms=max(7 - 2 * m, 3), color=METHOD_COLOURS[method], label=METHOD_LABELS[method])
            ax.axhline(TASKS[name].chance_error, color=CHANCE, ls=":", lw=1.0, label=_("случайно"))
            ax.set_title(TASK_LABELS[name].replace(", ", ",\n"), fontsize=9)   # five panels: a long name takes two lines
            ax.set_xticks(Ls)
            ax.set_xlabel("$L$")
        axes[0, 0].set_ylabel(_("ошибка"))
        legend_top(fig, *axes[0, 0].get_legend_handles_labels(), ncol=3, handlelength=1.2, columnspacing=0.7)
        save(fig, figures, "pathological_tasks")

    def total(init, method):
        m = fig7[lengths[0], init]["methods"].index(method)
        return int(sum(np.sum(fig7[L, init]["success"][m * S:(m + 1) * S]) for L in lengths))

    def first_success(init, method, L):
        """Median update of success over the seeds that succeeded during training (None if none did)."""
        r = fig7[L, init]
        m = r["methods"].index(method)
        hits = [h for h in r["success_at"][m * S:(m + 1) * S] if h is not None]
        return int(np.median(hits)) if hits else None

    ran = {i: fig7[lengths[0], i]["methods"] for i in INITS}
    # the Ω ablation: the same seeds under Ω as the authors' code computes it and as the paper's text writes it
    ablation = [dict(length=L, **{f"{key}_{field}": value for key, method in (("code", "MSGD-CR"), ("text", "MSGD-CR (text)"))
                                  for field, value in (("successes", int(np.sum(fig7[L, "smart tanh"]["success"][
                                      ran["smart tanh"].index(method) * S:(ran["smart tanh"].index(method) + 1) * S]))),
                                                       ("first", first_success("smart tanh", method, L)))})
                for L in lengths if "MSGD-CR (text)" in ran["smart tanh"]]
    successes = {f"{i}|{m}": total(i, m) for i in INITS for m in ran[i]}
    runs_per_cell = S * len(lengths)
    smart = "smart tanh"
    diverged = sum(d is not None for r in results for d in r["diverged_at"])
    return {
        "budget": budget(config), "task": TASK_TITLES[task], "lengths": lengths, "seeds": S,
        "updates": [updates_for(config, L) for L in lengths], "test_n": config["test_n"],
        "monitor_n": config["monitor_n"], "chance": float(chance),
        "paper_lengths": PAPER_LENGTHS, "paper_max_updates": PAPER_MAX_UPDATES, "paper_seeds": 5,
        "budget_fraction": updates_for(config, lengths[-1]) / PAPER_MAX_UPDATES,
        "n_hidden": N_HIDDEN, "batch": BATCH, "lr": LR, "clip": CLIP,
        "method_labels": dict(METHOD_SHORT), "omega": METHODS["MSGD-CR"][1], "omega_text": METHODS["MSGD-CR (text)"][1], "headline_cr": "MSGD-CR",
        "methods": {i: ran[i] for i in INITS},
        "first_success": {f"{i}|{m}|{L}": first_success(i, m, L) for i in INITS for m in ran[i] for L in lengths},
        "bad_steps": int(sum(sum(r["bad_steps"]) for r in results)),
        "check_n": config["check_n"], "confirm_n": CONFIRM_N, "confirm_wrong": CONFIRM_WRONG, "ablation": ablation,
        # pre-clip gradient norm at the first update (same init and batch for every method of a seed): the task's
        # gradient alone (MSGD-C) against task + α∇Ω under each form
        "first_grad": {m: float(np.median(fig7[lengths[0], "smart tanh"]["first_grad"][
            ran["smart tanh"].index(m) * S:(ran["smart tanh"].index(m) + 1) * S])) for m in ran["smart tanh"]},
        "runs_per_cell": runs_per_cell, "successes": successes,
        "success_rate": {f"{i}|{m}|{L}": rates[i, m][k] for i in INITS for m in ran[i] for k, L in enumerate(lengths)},
        "median_error": {f"{i}|{m}|{L}": errors[i, m][k] for i in INITS for m in ran[i] for k, L in enumerate(lengths)},
        "smart_cr_successes": successes[f"{smart}|MSGD-CR"], "smart_c_successes": successes[f"{smart}|MSGD-C"],
        "below_paper_lengths": lengths[-1] < PAPER_LENGTHS[0],
        "cr_leads": successes[f"{smart}|MSGD-CR"] > max(successes[f"{smart}|MSGD-C"], successes[f"{smart}|MSGD"]),
        "smart_msgd_successes": successes[f"{smart}|MSGD"],
        "sigmoid_successes": sum(successes[f"sigmoid|{m}"] for m in ran["sigmoid"]),
        "smart_cr_error_longest": errors[smart, "MSGD-CR"][-1], "smart_c_error_longest": errors[smart, "MSGD-C"][-1],
        "smart_msgd_error_longest": errors[smart, "MSGD"][-1],
        "basic_cr_successes": successes["basic tanh|MSGD-CR"], "basic_c_successes": successes["basic tanh|MSGD-C"],
        "basic_msgd_successes": successes["basic tanh|MSGD"],
        "max_grad_msgd": float(max(np.max(r["max_grad"][:S]) for r in results)),
        "diverged": diverged, "table": table, "best_method": _best(table[0]["cells"]) if table else None, "has_task_figure": bool(config["table_tasks"]),
    }
