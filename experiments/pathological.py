"""Experiment 3: the pathological long-lag tasks of Pascanu, Mikolov & Bengio 2013 (§4.1, Fig. 7).

Three methods — MSGD (plain SGD), MSGD-C (global-norm clipping at 1), MSGD-CR (clipping and the Ω regulariser)
— and three initialisations — sigmoid (all weights N(0, 0.01)), basic tanh (all weights N(0, 0.1)) and smart
tanh (W sparse, 15 incoming weights a unit, spectral radius 0.95; W_in, W_out ~ N(0, 0.01)) — with the paper's
50 units, batch 20 and SGD at 0.01 without momentum. One (task, length, init) is one job: a batched Ensemble
holding every method × seed (members of one seed share the init and the data stream, so the methods are
compared on the same draws). A run succeeds when fewer than 1% of fresh test sequences are wrong.

The paper trains up to 5M updates on lengths 50–200. A CPU budget of minutes reaches only short lengths:
`default` sweeps the Fig. 7 task (temporal order) at lengths well below the paper's and says so.
The shared pieces (inits, methods, ensembles, evaluation) live in rnn/models.py.
"""
import numpy as np

from rnn.fit import fit
from rnn.models import (BATCH, CHECK_EVERY, INITS, TASK_TITLES, by_omega_form, make_ensemble, metric,
                               sampler, step_seconds, success_check, wrong_fraction)
from rnn.tasks import TASKS, success, test_set

ALL_METHODS = ["MSGD", "MSGD-C", "MSGD-CR", "MSGD-CR (text)"]
# `default` runs the paper's three methods only: four seeds a cell (so that a clean result can reach p < 0.05) cost
# more than its 10 minutes allowed with the Ω-form ablation, the comparison that teaches least; `full` runs it
PAPER_METHODS = ALL_METHODS[:3]
OTHER_TASKS = ["temporal_order_3bit", "adding", "multiplication", "random_permutation", "noiseless_memorization_authors"]
# updates (or updates_per_step·L) updates at length L (capped at the paper's 5M); success checked every 20 updates on
# check_n fresh sequences, judged at the end on test_n fresh ones
PROFILES = {
    "smoke":   dict(fig7_task="temporal_order", lengths=[10, 15], table_tasks=["adding"], table_lengths=[10],
                    methods=ALL_METHODS, seeds=2, updates_per_step=4, check_n=50, test_n=200, monitor_n=100, evals=4),
    # default: 100·L updates (5000 at L = 50) fit the 10-minute build with a margin; at 200·L every MSGD-CR success
    # at L = 50 came before update 4,800, and a cell costs in proportion to its cap (a batch runs until its last
    # member stops)
    "default": dict(fig7_task="temporal_order", lengths=[50], table_tasks=OTHER_TASKS, table_lengths=[20],
                    methods=PAPER_METHODS, seeds=4, updates_per_step=100, check_n=200, test_n=2000, monitor_n=500,
                    evals=24),
    "full":    dict(fig7_task="temporal_order", lengths=[50, 100, 200], table_tasks=OTHER_TASKS,
                    table_lengths=[50], methods=ALL_METHODS, seeds=5, updates=10000, check_n=500,
                    test_n=10000, monitor_n=1000, evals=20),
    "paper":   dict(fig7_task="temporal_order", lengths=[50, 100, 150, 200], table_tasks=OTHER_TASKS,
                    table_lengths=[50, 100, 150, 200], methods=ALL_METHODS, seeds=5, updates_per_step=25000,
                    check_n=10000, test_n=10000, monitor_n=1000, evals=50),
}
PAPER_MAX_UPDATES = 5_000_000


def updates_for(config, length):
    """A fixed number of updates (config "updates"), or updates_per_step·L, at most the paper's 5M."""
    return min(PAPER_MAX_UPDATES, config.get("updates") or config["updates_per_step"] * length)


# ----------------------------------------------------------------------------- the experiment

def jobs(config):
    """Longest first, so that two workers end together. Smart tanh carries the Ω ablation (config "methods");
    the other two inits run the paper's three methods."""
    def methods(init):
        return config["methods"] if init == "smart tanh" else [m for m in config["methods"] if m != "MSGD-CR (text)"]
    specs = [dict(task=config["fig7_task"], length=L, init=i, methods=methods(i)) for L in config["lengths"] for i in INITS]
    specs += [dict(task=t, length=L, init="smart tanh", methods=methods("smart tanh"))
              for t in config["table_tasks"] for L in config["table_lengths"]]
    return sorted(specs, key=lambda s: -s["length"] * len(s["methods"]))


# the sequence length of these tasks varies from batch to batch (L' = L + randint(0.1L)), so batches of
# different seeds cannot be stacked: there each seed trains as its own ensemble of the methods
VARIABLE_LENGTH = {"adding", "multiplication"}


def run(config, spec, device):
    task, length, init = spec["task"], spec["length"], spec["init"]
    t = TASKS[task]
    methods, seeds = list(spec["methods"]), list(range(config["seeds"]))
    updates = updates_for(config, length)
    monitor = test_set(task, length, n=config["monitor_n"], seed=7)
    seed_groups = [[s] for s in seeds] if task in VARIABLE_LENGTH else [seeds]
    per_member = {}   # (method, seed) -> this member's records
    for group_methods in by_omega_form(methods):          # one ensemble per Ω form ...
        for group in seed_groups:                          # ... and per seed where lengths vary by batch
            ens = make_ensemble(task, init, group_methods, group, device)
            r = fit(ens, sampler(task, length), updates=updates, batch_size=BATCH, loss=t.loss,
                    eval_every=max(1, updates // config["evals"]), test=monitor, metric=metric(task),
                    check=success_check(task, length, config["check_n"]), check_every=CHECK_EVERY)
            final = wrong_fraction(ens, task, length, config["test_n"])
            grad = np.where(np.isfinite(r["grad_norm"]), r["grad_norm"], np.nan)
            max_grad = np.nanmax(np.where(np.isnan(grad), -np.inf, grad), axis=1) if grad.size else np.zeros(ens.K)
            for k, (m, s) in enumerate((m, s) for m in group_methods for s in group):
                per_member[m, s] = dict(monitor_error=r["test_error"][k], final_error=final[k],
                                        diverged_at=r["diverged_at"][k], success_at=r["success_at"][k],
                                        bad_steps=r.get("bad_steps", [0] * ens.K)[k], max_grad=max_grad[k],
                                        first_grad=float(r["grad_norm"][k][0]))
            eval_steps = r["eval_steps"]

    def merged(key):  # method-major: index = m·S + s
        return [per_member[m, s][key] for m in methods for s in seeds]

    final = np.array(merged("final_error"))
    return dict(task=task, length=length, init=init, methods=methods, seeds=seeds, updates=updates,
                eval_steps=eval_steps, monitor_error=np.array(merged("monitor_error")), final_error=final,
                success=np.array([success(e) for e in final]), success_at=merged("success_at"),
                diverged_at=merged("diverged_at"), bad_steps=merged("bad_steps"),
                max_grad=np.array(merged("max_grad"), dtype=np.float64),
                first_grad=np.array(merged("first_grad")))


def estimate(config):
    """CPU seconds, roughly: every member's updates (a run that succeeds stops early: not counted), its success
    checks and evaluations; ×3 over the step cost, as measured on the default profile (ensembles of 9-12 members
    cost more per member than the benchmark's 16+)."""
    return sum(len(s["methods"]) * config["seeds"] * updates_for(config, s["length"]) * s["length"] * step_seconds()
               * 3 for s in jobs(config))


def budget(config):
    L = config["lengths"]
    others = (f" (+ {len(config['table_tasks'])} more tasks at L = {', '.join(map(str, config['table_lengths']))})"
              if config["table_tasks"] else "")
    updates = f"{config['updates']}" if config.get("updates") else f"{config['updates_per_step']}·L"
    return (f"{TASK_TITLES[config['fig7_task']]} at L = {', '.join(map(str, L))}{others}; {config['seeds']} seeds; "
            f"{updates} updates ({updates_for(config, L[0])}–{updates_for(config, L[-1])}) at most, a run stops when "
            f"it succeeds; success on {config['test_n']} fresh sequences")


