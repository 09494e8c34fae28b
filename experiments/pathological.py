"""Experiment 3: the pathological long-lag tasks of Pascanu, Mikolov & Bengio 2013 (§4.1, Fig. 7).

Three methods — MSGD (plain SGD), MSGD-C (global-norm clipping at 1), MSGD-CR (clipping and the Ω regulariser)
— and three initialisations — sigmoid (all weights N(0, 0.01)), basic tanh (all weights N(0, 0.1)) and smart
tanh (W sparse, 15 incoming weights a unit, spectral radius 0.95; W_in, W_out ~ N(0, 0.01)) — with the paper's
50 units, batch 20 and SGD at 0.01 without momentum. One (task, length, init) is one job: a batched Ensemble
holding every method × seed (members of one seed share the init and the data stream, so the methods are
compared on the same draws). A run succeeds when fewer than 1% of fresh test sequences are wrong.

The paper trains up to 5M updates on lengths 50–200. A CPU budget of minutes reaches only short lengths:
`default` sweeps the Fig. 7 task (temporal order) at lengths well below the paper's and says so.
The shared pieces (inits, methods, ensembles, evaluation) live in experiments/models.py.
"""
import numpy as np

from experiments.engine import fit
from experiments.models import BATCH, INITS, METHODS, TASK_TITLES, make_ensemble, metric, sampler, wrong_fraction
from experiments.tasks import TASKS, success, test_set

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
PAPER_MAX_UPDATES = 5_000_000


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


