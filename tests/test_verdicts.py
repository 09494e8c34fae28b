"""The statistics (analysis/stats.py) and every verdict branch of every claim (analysis/claims.py), fed made-up
numbers: each criterion can reach each of its verdicts, and borderline counts (1/9 against 0/9; a perfect 3 against
3, p = 0.05 exactly) must not pass."""
import math

import numpy as np
import pytest
from scipy import stats as sps

from analysis import stats
from analysis import claims
from analysis.claims import INCONCLUSIVE, NOT, NOT_RUN, PARTLY, REPRODUCED
from analysis.tbptt import LEARNED

# ----------------------------------------------------------------------------- the statistics


def test_wilson_interval_of_one_in_nine_is_2_to_44_percent():
    lo, hi = stats.wilson(1, 9)
    assert lo == pytest.approx(0.0199, abs=1e-4) and hi == pytest.approx(0.4350, abs=1e-4)   # "2–44 %"
    assert stats.wilson(0, 9)[0] == 0.0 and stats.wilson(9, 9)[1] == 1.0
    lo, hi = stats.wilson(5, 10)
    assert lo < 0.5 < hi and math.isclose(lo + hi, 1.0)


def test_fisher_borderline_counts_do_not_pass():
    assert math.isclose(stats.fisher_greater(1, 9, 0, 9), 0.5)
    assert not stats.significant(stats.fisher_greater(1, 9, 0, 9))
    # a perfect 3/3 against 0/3 is p = 1/20 = 0.05 exactly: not below α
    assert math.isclose(stats.fisher_greater(3, 3, 0, 3), 0.05)
    assert not stats.significant(stats.fisher_greater(3, 3, 0, 3))
    assert not stats.can_reach("fisher", 3, 3) and stats.can_reach("fisher", 4, 4)
    assert stats.significant(stats.fisher_greater(4, 4, 0, 4))
    assert not stats.can_reach("fisher", 2, 2)


def test_mann_whitney_exact_matches_scipy_without_ties_and_handles_ties():
    a, b = [0.1, 0.2, 0.35, 0.6], [0.3, 0.5, 0.7, 0.8]
    assert math.isclose(stats.mannwhitney_less(a, b),
                        sps.mannwhitneyu(a, b, alternative="less", method="exact").pvalue)
    assert math.isclose(stats.mannwhitney_less([0.0] * 4, [1.0] * 4), 1 / 70)
    assert stats.mannwhitney_less([1 / 6] * 4, [1 / 6] * 4) == 1.0          # all tied: no evidence at all
    assert math.isclose(stats.mannwhitney_greater([3, 4, 5], [0, 1, 2]), 1 / 20)
    assert not stats.can_reach("mannwhitney", 3, 3) and stats.can_reach("mannwhitney", 4, 4)
    with pytest.raises(ValueError):
        stats.mannwhitney_less([0.1, math.nan], [0.2, 0.3])


def test_a_compared_record_says_test_n_p_and_whether_alpha_was_reachable():
    t = stats.compare("fisher", (1, 9), (0, 9), ("MSGD-C", "MSGD"), "successes")
    assert t["n"] == {"MSGD-C": 9, "MSGD": 9} and math.isclose(t["p"], 0.5)
    assert t["can_reach_alpha"] and not t["significant"] and stats.status(t) == "no"
    t = stats.compare("mannwhitney", [0.1, 0.2], [0.5, 0.6], ("A", "B"), "error")
    assert stats.status(t) == "undecided" and not t["significant"]


# ----------------------------------------------------------------------------- made-up results per claim

def verdict(fn, exp):
    v, evidence, tests = fn(exp)
    assert v in claims.VERDICTS and evidence
    return v


def jacobian(violations=0, sv=(1.0, 1.0)):
    return dict(violations=violations, runs=100, max_norm_over_bound=0.9, tanh_09_dT=1e-5, steps=100, seeds=3,
                linear_orthogonal_sv_min=sv[0], linear_orthogonal_sv_max=sv[1], relu_identity_dT=1.0)


def test_c1_check():
    assert verdict(claims.jacobian_bound, {"jacobian": jacobian(0)}) == REPRODUCED
    assert verdict(claims.jacobian_bound, {"jacobian": jacobian(1)}) == NOT


def cliff(clipped, plain, starts=5, max_grad=1e5):
    return {"cliff": dict(max_grad=max_grad, median_grad=1.0, clipped_solved=clipped, plain_solved=plain,
                          starts=starts, solved_threshold=0.01)}


def test_c2_illustration_every_branch():
    assert verdict(claims.cliff, cliff(5, 0)) == REPRODUCED
    assert verdict(claims.cliff, cliff(1, 0)) == PARTLY                       # the wall, no significant help
    assert verdict(claims.cliff, cliff(5, 0, max_grad=10)) == PARTLY          # help, no wall
    assert verdict(claims.cliff, cliff(1, 0, max_grad=10)) == NOT
    assert verdict(claims.cliff, cliff(2, 0, starts=2, max_grad=10)) == INCONCLUSIVE


def fig7(cells, lengths=(50,), table=(), task="temporal_order"):
    """cells: {(method, L): (successes list, final errors list)}; smart tanh."""
    rows = [dict(task=task, init="smart tanh", length=L, method=m, success=list(s), final_error=list(e),
                 diverged=0) for (m, L), (s, e) in cells.items()]
    return dict(lengths=list(lengths), fig7_task=task, task="temporal order", headline_cr="MSGD-CR",
                table=list(table), per_seed=rows)


def seeds(k, n, err_ok=0.0, err_bad=0.7):
    return [True] * k + [False] * (n - k), [err_ok] * k + [err_bad] * (n - k)


def test_c3_clipping_every_branch_and_the_borderline():
    def c3(c, m, lengths=(50,)):
        cells = {}
        for L in lengths:
            cells["MSGD-C", L], cells["MSGD", L] = c, m
        return verdict(claims.clipping_helps, {"pathological": fig7(cells, lengths)})
    assert c3(seeds(4, 4), seeds(0, 4)) == REPRODUCED
    # successes not significant, but the error is lower in every seed: partly
    assert c3(([True] + [False] * 3, [0.0, 0.3, 0.31, 0.32]), ([False] * 4, [0.7, 0.71, 0.72, 0.73])) == PARTLY
    # the borderline of the issue: 1/9 against 0/9 (the rest at chance alike) must not pass
    assert c3(seeds(1, 9, err_bad=0.75), seeds(0, 9, err_bad=0.75)) == NOT
    # a perfect 3/3 against 0/3 cannot reach p < 0.05: inconclusive, not reproduced
    assert c3(seeds(3, 3), seeds(0, 3)) == INCONCLUSIVE
    # below the paper's lengths: at most partly
    assert c3(seeds(4, 4), seeds(0, 4), lengths=(20,)) == PARTLY


def test_c3_does_not_credit_omega():
    cells = {("MSGD-C", 50): seeds(0, 5, err_bad=0.75), ("MSGD", 50): seeds(0, 5, err_bad=0.75),
             ("MSGD-CR", 50): seeds(5, 5)}
    assert verdict(claims.clipping_helps, {"pathological": fig7(cells)}) == NOT


def test_c3_pooled_one_in_nine():
    cells = {}
    for L, k in ((50, 1), (100, 0), (200, 0)):
        cells["MSGD-C", L], cells["MSGD", L] = seeds(k, 3, err_bad=0.75), seeds(0, 3, err_bad=0.75)
    assert verdict(claims.clipping_helps, {"pathological": fig7(cells, (50, 100, 200))}) == NOT


def c4(longest_k, n=5, other=None, gen=None, lengths=(50, 100), table_lengths=(50,)):
    cells = {("MSGD-CR", L): seeds(n, n) for L in lengths}
    cells["MSGD-CR", max(lengths)] = seeds(longest_k, n)
    table = [] if other is None else [dict(task="addition", lengths=list(table_lengths),
                                           cells=[dict(method="MSGD-CR", successes=other, runs=n)])]
    exp = {"pathological": fig7(cells, lengths, table)}
    if gen is not None:
        exp["length_generalisation"] = dict(longest_success=gen or None, max_length=199, seeds=3, eval_lengths=[50, 5000],
                                            median_error=[0.0, 0.0 if gen else 0.7], paper_length=5000, chance=0.75)
    return verdict(claims.omega_solves, exp)


def test_c4_every_branch():
    assert c4(3, other=3, gen=5000) == REPRODUCED
    assert c4(3, other=3, gen=False) == PARTLY           # no generalisation beyond the training lengths
    # successes pooled over lengths do not count: 5/5 at L = 50 but 2/5 at the longest length that ran
    assert c4(2, other=3) == PARTLY
    assert c4(2, other=1, gen=False) == NOT
    assert c4(5, other=5, lengths=(20,), table_lengths=(20,)) == PARTLY   # below the paper's lengths
    assert c4(3) == REPRODUCED                              # only the Fig. 7 part ran


def test_c4_generalisation_is_untested_when_the_net_never_learned_its_training_lengths():
    """Length generalisation cannot fail where the task was not learned at all: that part is untested."""
    untrained = dict(longest_success=None, max_length=199, seeds=3, eval_lengths=[50, 100, 199, 5000],
                     median_error=[0.51, 0.55, 0.74, 0.75], paper_length=5000, chance=0.75)
    v, evidence, tests = claims.omega_solves({"length_generalisation": untrained})
    assert v == INCONCLUSIVE and "could not be tested" in evidence and "55.0% wrong at L = 100" not in evidence
    assert "74.0% wrong at L = 199" in evidence and tests[-1]["testable"] is False
    learned = dict(untrained, median_error=[0.0, 0.0, 0.0, 0.75], longest_success=199)
    assert claims.omega_solves({"length_generalisation": learned})[0] == NOT
    # with the Fig. 7 part: an untested part does not block "partly", and cannot make "reproduced"
    exp = {"pathological": fig7({("MSGD-CR", 50): seeds(5, 5)}, (50,)), "length_generalisation": untrained}
    assert verdict(claims.omega_solves, exp) == PARTLY


def tbptt(full, short, mid=None):
    final = {"full": full, "2": short}
    med = {k: float(np.median(v)) for k, v in final.items()}
    if mid is not None:
        final["8"] = mid
        med["8"] = float(np.median(mid))
    return {"tbptt": dict(final=final, median_final=med, short_window=2, mid_window=8 if mid else None,
                          mid_window_learned=sum(e < LEARNED for e in mid or []), mid_window_runs=len(mid or []),
                          length=20, chance=0.75)}


def test_c5_every_branch():
    assert verdict(claims.truncation, tbptt([0.0] * 4, [0.75] * 4, mid=[0.5] * 4)) == REPRODUCED
    assert verdict(claims.truncation, tbptt([0.0] * 4, [0.75] * 4, mid=[0.0] * 4)) == PARTLY   # the mid window learns
    assert verdict(claims.truncation, tbptt([0.3] * 4, [0.75] * 4)) == PARTLY                 # full BPTT above 10 %
    assert verdict(claims.truncation, tbptt([0.7, 0.75, 0.8, 0.7], [0.75] * 4)) == NOT
    assert verdict(claims.truncation, tbptt([0.0] * 3, [0.75] * 3)) == INCONCLUSIVE          # 3 vs 3: p ≥ 0.05
    # 2 of 5 seeds of the mid window learn although its median does not: against "cannot learn", so partly
    v, evidence, tests = claims.truncation(tbptt([0.0] * 5, [0.75] * 5, mid=[0.52, 0.52, 0.0, 0.0, 0.61]))
    assert v == PARTLY and "2/5" in evidence and tests[1]["successes"] == 2


def adding(finals, lengths=(150,)):
    """finals: {model: per-seed final MSE}, the same at every length."""
    return {"adding": dict(lengths=list(lengths), per_seed=[dict(model=m, length=T, final=list(v), diverged=0)
                                                            for m, v in finals.items() for T in lengths])}


GOOD, BASE = [0.001, 0.002, 0.003, 0.004], [0.166, 0.167, 0.168, 0.169]


def test_c6_every_branch():
    assert verdict(claims.irnn_adding, adding(dict(irnn=GOOD, lstm=GOOD, tanh_gauss=BASE))) == REPRODUCED
    assert verdict(claims.irnn_adding, adding(dict(irnn=GOOD, lstm=BASE, tanh_gauss=BASE))) == PARTLY
    # the loophole of the issue: the LSTM solves, the IRNN does not: no credit
    assert verdict(claims.irnn_adding, adding(dict(irnn=BASE, lstm=GOOD, tanh_gauss=BASE))) == NOT
    # significantly below tanh but not below 1/60: not solved
    assert verdict(claims.irnn_adding, adding(dict(irnn=[0.05] * 4, lstm=GOOD, tanh_gauss=BASE))) == NOT
    assert verdict(claims.irnn_adding, adding(dict(irnn=GOOD[:2], lstm=GOOD[:2], tanh_gauss=BASE[:2]))) == INCONCLUSIVE
    assert verdict(claims.irnn_adding, adding(dict(irnn=GOOD, lstm=GOOD, tanh_gauss=BASE), lengths=(30,))) == PARTLY


def test_c6_a_diverged_irnn_does_not_beat_a_tanh_rnn_just_above_the_baseline():
    """Every MSE is capped at 1/6 in the tests: all-diverged IRNN seeds (at 1/6) against tanh seeds at 0.18 are a
    tie, not a significant win."""
    base = [1 / 6] * 5
    v, _, tests = claims.irnn_adding(adding(dict(irnn=base, lstm=base, tanh_gauss=[0.180, 0.181, 0.182, 0.183, 0.184])))
    assert v == NOT and tests[0]["p"] > 0.05


def test_c6_a_diverged_irnn_counts_at_the_baseline():
    """figures.adding.seeds_summary puts a diverged seed's NaN at 1/6: one good seed of two is not a median."""
    from analysis.adding import BASELINE, seeds_summary
    s = seeds_summary(np.array([0, 100]), np.array([[0.2, 0.02], [0.2, np.nan]]), [None, 50])
    assert s["final"] == pytest.approx((0.02 + BASELINE) / 2) and s["diverged"] == 1
    assert s["finals"] == [0.02, BASELINE]


def mnist(irnn, tanh, datasets=("mnist", "permuted")):
    per = [dict(model=m, dataset=d, final=list(v[d]), best_epoch_median=float(np.median(v[d])), diverged=0)
           for m, v in (("irnn", irnn), ("tanh_gauss", tanh)) for d in datasets]
    return {"sequential_mnist": dict(datasets=list(datasets), per_seed=per,
                                     paper={"irnn": {"mnist": 97.0, "permuted": 82.0},
                                            "tanh_gauss": {"mnist": 35.0, "permuted": 35.0}})}


def test_c7_every_branch():
    hi = {"mnist": [96, 97, 98, 97], "permuted": [81, 82, 83, 82]}
    low = {"mnist": [30, 31, 32, 33], "permuted": [30, 31, 32, 33]}
    mid = {"mnist": [60, 61, 62, 63], "permuted": [60, 61, 62, 63]}
    assert verdict(claims.mnist, mnist(hi, low)) == REPRODUCED
    assert verdict(claims.mnist, mnist(mid, low)) == PARTLY                                       # far from the paper
    assert verdict(claims.mnist, mnist({"mnist": hi["mnist"], "permuted": low["permuted"]}, low)) == PARTLY
    assert verdict(claims.mnist, mnist(low, mid)) == NOT
    two = {d: v[:2] for d, v in hi.items()}
    assert verdict(claims.mnist, mnist(two, {d: v[:2] for d, v in low.items()})) == INCONCLUSIVE
    assert verdict(claims.mnist, mnist(hi, low, datasets=("mnist",))) == PARTLY     # the permuted half did not run


def test_c8_every_branch():
    flow = lambda irnn: {"gradient_flow": dict(ratio_start_init={"irnn": irnn, "tanh_gauss": 1e-6}, length=150,  # noqa: E731
                                               seeds=3)}
    assert verdict(claims.norm_preserving, {"jacobian": jacobian(), **flow(0.5)}) == REPRODUCED
    assert verdict(claims.norm_preserving, {"jacobian": jacobian(sv=(0.5, 1.0)), **flow(0.5)}) == PARTLY
    assert verdict(claims.norm_preserving, {"jacobian": jacobian(sv=(0.5, 1.0)), **flow(1e-9)}) == NOT


def test_not_run_and_every_row_carries_kind_test_and_criterion():
    rows = claims.evaluate({})
    assert [r["verdict"] for r in rows] == [NOT_RUN] * 8
    rows = claims.evaluate({"jacobian": dict(jacobian(), budget="b"), **cliff(5, 0)} | {"cliff": dict(cliff(5, 0)["cliff"], budget="b")})
    c2 = rows[1]
    assert c2["kind"] == claims.ILLUSTRATION and c2["test"] == "one-sided Fisher exact"
    assert c2["n"] == {"clipped": 5, "plain": 5} and c2["p"] < 0.05 and c2["criterion"].startswith("(a)")
    assert {r["kind"] for r in rows} == {claims.CHECK, claims.ILLUSTRATION, claims.REPRODUCTION}


def test_every_criterion_text_is_formatted():
    """A criterion's text is printed beside its verdict: no unformatted {NAME} left in it."""
    assert not [cid for cid, row in claims.CLAIMS.items() if "{" in row[4] or "}" in row[4]]
