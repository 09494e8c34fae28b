"""Experiment 3: the pathological long-lag tasks of Pascanu, Mikolov & Bengio 2013 (§4.1, Fig. 7).

Three methods — MSGD (plain SGD), MSGD-C (global-norm clipping at 1), MSGD-CR (clipping and the Ω regulariser)
— and three initialisations — sigmoid (all weights N(0, 0.01)), basic tanh (all weights N(0, 0.1)) and smart
tanh (W sparse, 15 incoming weights a unit, spectral radius 0.95; W_in, W_out ~ N(0, 0.01)) — with the paper's
50 units, batch 20 and SGD at 0.01 without momentum. One (task, length, init) is one job: a batched Ensemble
holding every method × seed (members of one seed share the init and the data stream, so the methods are
compared on the same draws). A run succeeds when fewer than 1% of fresh test sequences are wrong.

The paper trains up to 5M updates on lengths 50–200. A CPU budget of minutes reaches only short lengths:
`default` sweeps the Fig. 7 task (temporal order) at lengths well below the paper's and says so.
The shared pieces (inits, methods, ensembles, evaluation) live here and are used by the other Pascanu modules.
"""
import numpy as np
import torch

from experiments.engine import Ensemble, Member, fit
from experiments.plotting import BLUE, GREEN, GREY, RED, budget_note, plt, save
from experiments.tasks import TASKS, success, test_batches, test_set

PROFILES = {
    "smoke":   dict(fig7_task="temporal_order", lengths=[10, 15], table_tasks=["adding"], table_lengths=[10],
                    seeds=2, updates_per_step=4, test_n=200, monitor_n=100, evals=4),
    "default": dict(fig7_task="temporal_order", lengths=[20, 30, 50],
                    table_tasks=["temporal_order_3bit", "adding", "multiplication", "random_permutation",
                                 "noiseless_memorization"], table_lengths=[20],
                    seeds=2, updates_per_step=100, test_n=2000, monitor_n=500, evals=10),
    "full":    dict(fig7_task="temporal_order", lengths=[50, 100, 150, 200],
                    table_tasks=["temporal_order_3bit", "adding", "multiplication", "random_permutation",
                                 "noiseless_memorization"], table_lengths=[50, 100, 150, 200],
                    seeds=5, updates_per_step=2000, test_n=10000, monitor_n=1000, evals=20),
    "paper":   dict(fig7_task="temporal_order", lengths=[50, 100, 150, 200],
                    table_tasks=["temporal_order_3bit", "adding", "multiplication", "random_permutation",
                                 "noiseless_memorization"], table_lengths=[50, 100, 150, 200],
                    seeds=5, updates_per_step=25000, test_n=10000, monitor_n=1000, evals=50),
}
N_HIDDEN, BATCH, LR, CLIP, OMEGA = 50, 20, 0.01, 1.0, 4.0
PAPER_MAX_UPDATES = 5_000_000
# name -> (cell, Member keyword arguments): the three initialisations of Fig. 7
INITS = {
    "sigmoid":    ("sigmoid", dict(init="gaussian", rec_scale=0.01, in_std=0.01, out_std=0.01)),
    "basic tanh": ("tanh", dict(init="gaussian", rec_scale=0.1, in_std=0.1, out_std=0.1)),
    "smart tanh": ("tanh", dict(init="sparse", rec_scale=0.95, sparse_k=15, in_std=0.01, out_std=0.01)),
}
# name -> (clipping threshold, Ω weight)
METHODS = {"MSGD": (None, 0.0), "MSGD-C": (CLIP, 0.0), "MSGD-CR": (CLIP, OMEGA)}
METHOD_COLOURS = {"MSGD": RED, "MSGD-C": BLUE, "MSGD-CR": GREEN}
TASK_TITLES = {"temporal_order": "temporal order", "temporal_order_3bit": "3-bit temporal order",
               "adding": "addition", "multiplication": "multiplication",
               "random_permutation": "random permutation", "noiseless_memorization": "noiseless memorisation"}


# ----------------------------------------------------------------------------- shared with the other modules

def make_members(init, methods, seeds, lr=LR):
    """Members ordered method-major: index = m * len(seeds) + s. A seed fixes init and data stream."""
    kw = INITS[init][1]
    return [Member(seed=int(s), lr=lr, clip=METHODS[m][0], omega=METHODS[m][1], **kw) for m in methods for s in seeds]


def make_ensemble(task, init, methods, seeds, device, lr=LR):
    t = TASKS[task]
    return Ensemble(INITS[init][0], t.n_in, N_HIDDEN, t.n_out, make_members(init, methods, seeds, lr),
                    output=t.output, device=device)


def metric(task):
    """pred (K, ...) -> wrong fraction per member (K,)."""
    t = TASKS[task]
    return lambda pred, y: np.array([t.error(p, y).mean() for p in np.asarray(pred)], dtype=np.float64)


def sampler(task, length):
    t = TASKS[task]
    return lambda rng, n: t.sample(rng, n, length)


def train_one_seed(config, seed, methods, device, **fit_kw):
    """One seed's methods as one ensemble on config's task: the shape of the explosion and vanishing runs."""
    task, L = config["task"], config["length"]
    ens = make_ensemble(task, config["init"], methods, [seed], device)
    r = fit(ens, sampler(task, L), updates=config["updates"], batch_size=BATCH, loss=TASKS[task].loss,
            eval_every=config["eval_every"], test=test_set(task, L, n=config["monitor_n"], seed=7),
            metric=metric(task), **fit_kw)
    return ens, r


def wrong_fraction(ens, task, length, n, seed=None, chunk=1000):
    """Fraction of n fresh test sequences each member gets wrong (task's criterion), evaluated in chunks."""
    t = TASKS[task]
    kw = {} if seed is None else {"seed": seed}
    wrong = np.zeros(ens.K)
    for x, y in test_batches(task, length, n=n, chunk=chunk, **kw):
        T = x.shape[0]
        bs = max(1, min(x.shape[1], (1 << 24) // max(1, ens.K * T * N_HIDDEN)))
        pred = ens.evaluate(torch.as_tensor(x), y, t.loss, batch_size=bs)["pred"].cpu().numpy()
        wrong += np.array([t.error(p, y).sum() for p in pred])
    wrong /= n
    if ens.diverged.any():   # a member frozen at NaN counts as wrong on every sequence
        wrong[ens.diverged.cpu().numpy()] = 1.0
    return np.nan_to_num(wrong, nan=1.0)


def updates_for(config, length):
    return min(PAPER_MAX_UPDATES, config["updates_per_step"] * length)


# ----------------------------------------------------------------------------- the experiment

def jobs(config):
    specs = [dict(task=config["fig7_task"], length=L, init=i) for L in config["lengths"] for i in INITS]
    specs += [dict(task=t, length=L, init="smart tanh") for t in config["table_tasks"] for L in config["table_lengths"]]
    return specs


# the sequence length of these tasks varies from batch to batch (L' = L + randint(0.1L)), so batches of
# different seeds cannot be stacked: there each seed trains as its own ensemble of the methods
VARIABLE_LENGTH = {"adding", "multiplication"}


def run(config, spec, device):
    task, length, init = spec["task"], spec["length"], spec["init"]
    t = TASKS[task]
    methods, seeds = list(METHODS), list(range(config["seeds"]))
    updates = updates_for(config, length)
    monitor = test_set(task, length, n=config["monitor_n"], seed=7)
    groups = [[s] for s in seeds] if task in VARIABLE_LENGTH else [seeds]
    parts = []
    for group in groups:
        ens = make_ensemble(task, init, methods, group, device)
        r = fit(ens, sampler(task, length), updates=updates, batch_size=BATCH, loss=t.loss,
                eval_every=max(1, updates // config["evals"]), test=monitor, metric=metric(task))
        grad = np.where(np.isfinite(r["grad_norm"]), r["grad_norm"], np.nan)
        parts.append(dict(monitor_error=r["test_error"], final_error=wrong_fraction(ens, task, length, config["test_n"]),
                          diverged_at=np.array(r["diverged_at"], dtype=object),
                          max_grad=np.nanmax(grad, axis=1) if grad.size else np.zeros(ens.K), seconds=r["seconds"]))

    def merged(key):  # members are method-major (index = m·S + s) whatever the grouping
        per_method = [np.asarray(p[key]).reshape(len(methods), len(g), *np.shape(p[key])[1:]) for p, g in zip(parts, groups)]
        joined = np.concatenate(per_method, axis=1)
        return joined.reshape(len(methods) * len(seeds), *joined.shape[2:])

    final = merged("final_error")
    return dict(task=task, length=length, init=init, methods=methods, seeds=seeds, updates=updates,
                eval_steps=r["eval_steps"], monitor_error=merged("monitor_error"), final_error=final,
                success=np.array([success(e) for e in final]), diverged_at=list(merged("diverged_at")),
                max_grad=merged("max_grad"), train_seconds=sum(p["seconds"] for p in parts))


def budget(config):
    L = config["lengths"]
    return (f"{TASK_TITLES[config['fig7_task']]} at L = {', '.join(map(str, L))}"
            + (f" (+ {len(config['table_tasks'])} more tasks at L = {', '.join(map(str, config['table_lengths']))})"
               if config["table_tasks"] else "")
            + f"; {config['seeds']} seeds; {config['updates_per_step']}·L updates "
              f"({updates_for(config, L[0])}–{updates_for(config, L[-1])}); "
              f"success on {config['test_n']} fresh sequences")


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


def report(config, results, figures):
    task = config["fig7_task"]
    chance = TASKS[task].chance_error
    lengths = config["lengths"]
    fig7 = {(r["length"], r["init"]): r for r in results if r["task"] == task}
    S = config["seeds"]
    note = f"budget: {budget(config)}"

    fig, axes = plt.subplots(2, len(INITS), figsize=(11, 5.4), sharex=True, sharey="row")
    rates, errors = {}, {}
    for c, init in enumerate(INITS):
        for method, colour in METHOD_COLOURS.items():
            m = list(METHODS).index(method)
            rate = [float(np.mean(fig7[L, init]["success"][m * S:(m + 1) * S])) for L in lengths]
            err = np.array([fig7[L, init]["final_error"][m * S:(m + 1) * S] for L in lengths])
            rates[init, method], errors[init, method] = rate, [float(np.median(e)) for e in err]
            off = (m - 1) * 0.6
            axes[0, c].plot(np.array(lengths) + off, rate, "o-", color=colour, label=method)
            axes[1, c].plot(np.array(lengths) + off, np.median(err, axis=1), "o-", color=colour, label=method)
            for L, e in zip(lengths, err):
                axes[1, c].scatter(np.full(len(e), L + off), e, s=8, color=colour, alpha=0.5)
        axes[0, c].set_title(init)
        axes[1, c].axhline(chance, color=GREY, ls=":", lw=0.9, label="chance")
        axes[1, c].axhline(0.01, color=GREY, ls="--", lw=0.9, label="success (1%)")
        axes[1, c].set_xlabel("sequence length L")
        axes[1, c].set_xticks(lengths)
    axes[0, 0].set_ylabel("success rate")
    axes[0, 0].set_ylim(-0.05, 1.05)
    axes[1, 0].set_ylabel("final test error")
    axes[1, 0].set_ylim(-0.02, 1.0)
    axes[1, 0].legend(loc="center right", fontsize=7)
    fig.suptitle(f"{TASK_TITLES[task]}: success rate and final test error (lines: median, dots: seeds)", fontsize=10)
    budget_note(axes[1, -1], note)
    save(fig, figures, "pathological_fig7")

    # learning curves of the Fig. 7 task at its longest length: where a short budget stands
    fig, axes = plt.subplots(1, len(INITS), figsize=(11, 3.0), sharey=True)
    L = lengths[-1]
    for c, init in enumerate(INITS):
        r = fig7[L, init]
        for m, method in enumerate(r["methods"]):
            for s in range(S):
                axes[c].plot(r["eval_steps"], r["monitor_error"][m * S + s], color=METHOD_COLOURS[method],
                             lw=1.2, alpha=0.85, label=method if s == 0 else None)
        axes[c].axhline(chance, color=GREY, ls=":", lw=0.9)
        axes[c].set_title(f"{init}, L = {L}")
        axes[c].set_xlabel("update")
    axes[0].set_ylabel("test error")
    axes[0].legend(loc="lower left", fontsize=7)
    budget_note(axes[-1], f"{config['monitor_n']} monitor sequences; {note}")
    save(fig, figures, "pathological_curves")

    # tasks × methods, smart tanh, pooled over the lengths each task was run at
    table = []
    for name in [task] + [t for t in config["table_tasks"] if t != task]:
        rs = [r for r in results if r["task"] == name and r["init"] == "smart tanh"]
        if not rs:
            continue
        cells = []
        for method in METHODS:
            s, n, e = _cell(rs, method)
            cells.append(dict(method=method, successes=s, runs=n, median_error=e))
        table.append(dict(task=TASK_TITLES[name], lengths=sorted({r["length"] for r in rs}),
                          chance=float(TASKS[name].chance_error), cells=cells))

    if config["table_tasks"]:
        extra = [t for t in config["table_tasks"] if t != task]
        fig, axes = plt.subplots(1, len(extra), figsize=(2.4 * len(extra) + 1, 2.8), sharey=True, squeeze=False)
        for ax, name in zip(axes[0], extra):
            rs = sorted([r for r in results if r["task"] == name], key=lambda r: r["length"])
            Ls = [r["length"] for r in rs]
            for m, method in enumerate(METHODS):
                ax.plot(Ls, [np.median(r["final_error"][m * S:(m + 1) * S]) for r in rs], "o-",
                        color=METHOD_COLOURS[method], label=method)
            ax.axhline(TASKS[name].chance_error, color=GREY, ls=":", lw=0.9)
            ax.set_title(TASK_TITLES[name])
            ax.set_xlabel("L")
        axes[0, 0].set_ylabel("final test error (smart tanh)")
        axes[0, 0].legend(fontsize=7)
        budget_note(axes[0, -1], note)
        save(fig, figures, "pathological_tasks")

    def total(init, method):
        m = list(METHODS).index(method)
        return int(sum(np.sum(fig7[L, init]["success"][m * S:(m + 1) * S]) for L in lengths))

    successes = {f"{i}|{m}": total(i, m) for i in INITS for m in METHODS}
    runs_per_cell = S * len(lengths)
    smart = "smart tanh"
    diverged = sum(d is not None for r in results for d in r["diverged_at"])
    return {
        "budget": budget(config), "task": TASK_TITLES[task], "lengths": lengths, "seeds": S,
        "updates": [updates_for(config, L) for L in lengths], "test_n": config["test_n"],
        "monitor_n": config["monitor_n"], "chance": float(chance),
        "paper_lengths": [50, 100, 150, 200], "paper_max_updates": PAPER_MAX_UPDATES, "paper_seeds": 5,
        "budget_fraction": updates_for(config, lengths[-1]) / PAPER_MAX_UPDATES,
        "n_hidden": N_HIDDEN, "batch": BATCH, "lr": LR, "clip": CLIP, "omega": OMEGA,
        "runs_per_cell": runs_per_cell, "successes": successes,
        "success_rate": {f"{i}|{m}|{L}": rates[i, m][k] for i in INITS for m in METHODS for k, L in enumerate(lengths)},
        "median_error": {f"{i}|{m}|{L}": errors[i, m][k] for i in INITS for m in METHODS for k, L in enumerate(lengths)},
        "smart_cr_successes": successes[f"{smart}|MSGD-CR"], "smart_c_successes": successes[f"{smart}|MSGD-C"],
        "smart_msgd_successes": successes[f"{smart}|MSGD"],
        "sigmoid_successes": sum(successes[f"sigmoid|{m}"] for m in METHODS),
        "smart_cr_error_longest": errors[smart, "MSGD-CR"][-1], "smart_c_error_longest": errors[smart, "MSGD-C"][-1],
        "smart_msgd_error_longest": errors[smart, "MSGD"][-1],
        "basic_cr_successes": successes["basic tanh|MSGD-CR"], "basic_c_successes": successes["basic tanh|MSGD-C"],
        "basic_msgd_successes": successes["basic tanh|MSGD"],
        "max_grad_msgd": float(max(np.max(r["max_grad"][:S]) for r in results)),
        "diverged": diverged, "table": table, "best_method": _best(table[0]["cells"]) if table else None, "has_task_figure": bool(config["table_tasks"]),
    }
