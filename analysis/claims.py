"""The papers' claims that the lecture teaches, each with a criterion written here before the runs it judges and a
verdict computed from the numbers of this build (analysis/NAME.py). Nothing here is typed by hand: change the run,
the verdict follows. The statistics are in analysis/stats.py (α = 0.05, one-sided tests, Wilson intervals).

Every claim has a kind:
  check         holds by mathematics; a failure means a bug (C1, C8);
  illustration  settings chosen to show the phenomenon (C2, C5);
  reproduction  the paper's experiment under its protocol, with a test (C3, C4, C6, C7).
and one of five verdicts:
  reproduced      the criterion holds, its tests significant;
  partly          some parts hold (are significant), others do not, or it holds only below the paper's lengths;
  not reproduced  tested with enough runs to reach α, and the effect is absent or reversed;
  inconclusive    the runs could not have resolved the question (too few seeds for the test to reach α);
  not run         this build has no experiment for it.
A diverged run is a failure: its error counts as chance (MSE as the baseline) in every test (analysis/*.py).
When a criterion changes, the commit says why; the report prints each criterion's text next to its verdict."""
import math

import numpy as np

from analysis import stats
from analysis.adding import BASELINE, SOLVED   # the adding problem's baseline MSE (predict 1) and "solved" level
from analysis.papers import LE_LENGTHS, PASCANU_LENGTHS

REPRODUCED, PARTLY, NOT, INCONCLUSIVE, NOT_RUN = "reproduced", "partly", "not reproduced", "inconclusive", "not run"
VERDICTS = (REPRODUCED, PARTLY, NOT, INCONCLUSIVE, NOT_RUN)
CHECK, ILLUSTRATION, REPRODUCTION = "check", "illustration", "reproduction"
PASCANU_SHORTEST, LE_SHORTEST = PASCANU_LENGTHS[0], LE_LENGTHS[0]   # Fig. 7: L = 50–200; Le et al.: T = 150–400
ALPHA = stats.ALPHA


def _ok(x):
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _p(p):
    return "—" if p is None or math.isnan(p) else f"{p:.2g}" if p >= 0.001 else f"{p:.1e}"


def describe(t):
    """One test record as text: what, the test, n per group, the counts or medians, p."""
    a, b = list(t["n"])
    if "successes" in t:
        s, ci = t["successes"], t["interval"]
        groups = "; ".join(f"{g} {s[g]}/{t['n'][g]} (95% CI {100 * ci[g][0]:.0f}–{100 * ci[g][1]:.0f}%)" for g in (a, b))
    else:
        groups = "; ".join(f"{g} median {t['medians'][g]:.3g} (n = {t['n'][g]})" for g in (a, b))
    reach = "" if t["can_reach_alpha"] else f", cannot reach p < {ALPHA:g} with these n"
    return f"{t['what']}: {groups}; {t['test']} p = {_p(t['p'])}{reach}"


def _majority(k, n, what):
    """A "majority of seeds" part: k/n with its Wilson interval (a count, not a test)."""
    lo, hi = stats.wilson(k, n)
    return dict(test="majority of seeds", what=what, n={"runs": int(n)}, successes=int(k), p=None,
                interval=(lo, hi), holds=bool(k * 2 > n))


def _describe_majority(t):
    lo, hi = t["interval"]
    return f"{t['what']}: {t['successes']}/{t['n']['runs']} (95% CI {100 * lo:.0f}–{100 * hi:.0f}%)"


# ----------------------------------------------------------------------------- the criteria

def jacobian_bound(exp):
    j = exp["jacobian"]
    verdict = REPRODUCED if j["violations"] == 0 else NOT
    test = dict(test="exact check", what="norm above its bound", n={"runs": int(j["runs"])}, p=None,
                violations=int(j["violations"]))
    return verdict, (f"the measured norm never exceeded (γλ₁)^(T−k): {j['violations']} violations in {j['runs']} runs "
                     f"(largest norm/bound {j['max_norm_over_bound']:.2g}); tanh with γλ₁ = 0.9 falls to "
                     f"{j['tanh_09_dT']:.1e} after {j['steps']} steps"), [test]


def cliff(exp):
    c = exp["cliff"]
    wall = c["max_grad"] / max(c["median_grad"], 1e-300) > 1e3
    t = stats.compare("fisher", (c["clipped_solved"], c["starts"]), (c["plain_solved"], c["starts"]),
                      ("clipped", "plain"), f"descents reaching E < {c['solved_threshold']}")
    helps = stats.status(t)
    if wall and helps == "yes":
        verdict = REPRODUCED
    elif wall or helps == "yes":
        verdict = PARTLY
    else:
        verdict = INCONCLUSIVE if helps == "undecided" else NOT
    return verdict, (f"‖∇E‖ reaches {c['max_grad']:.0f} on the wall against a median of {c['median_grad']:.1g}; "
                     + describe(t)), [t]


def _seeds(p, init, method, lengths, task=None):
    """Pooled per-seed outcomes of one (init, method) over lengths: (successes, runs, final errors)."""
    task = task or p["fig7_task"]
    rows = [r for r in p["per_seed"] if r["init"] == init and r["method"] == method and r["length"] in lengths
            and r["task"] == task]
    errors = [e for r in rows for e in r["final_error"]]
    return sum(sum(r["success"]) for r in rows), len(errors), errors, sum(r["diverged"] for r in rows)


def _fig7_lengths(p):
    """The Fig. 7 lengths the criteria use: the paper's (L ≥ 50) that ran, or all (then a verdict is capped)."""
    long_lengths = [L for L in p["lengths"] if L >= PASCANU_SHORTEST]
    return (long_lengths or list(p["lengths"])), bool(long_lengths)


def _cap(verdict, at_paper_length):
    """Below the paper's lengths a claim holds at most in part."""
    return PARTLY if verdict == REPRODUCED and not at_paper_length else verdict


def clipping_helps(exp):
    """C3: MSGD-C against MSGD only (Ω belongs to C4)."""
    p = exp["pathological"]
    Ls, at_paper = _fig7_lengths(p)
    kc, n, ec, dc = _seeds(p, "smart tanh", "MSGD-C", Ls)
    km, m, em, dm = _seeds(p, "smart tanh", "MSGD", Ls)
    where = f"L = {', '.join(map(str, Ls))}"
    succ = stats.compare("fisher", (kc, n), (km, m), ("MSGD-C", "MSGD"), f"successes at {where}")
    err = stats.compare("mannwhitney", ec, em, ("MSGD-C", "MSGD"), f"final test error at {where}")
    a, b = stats.status(succ), stats.status(err)
    verdict = REPRODUCED if a == "yes" else PARTLY if b == "yes" else NOT if "no" in (a, b) else INCONCLUSIVE
    verdict = _cap(verdict, at_paper)
    diverged = f"; diverged runs (counted as chance): MSGD {dm}, MSGD-C {dc}" if dm or dc else ""
    return verdict, (f"temporal order, smart tanh: {describe(succ)}; {describe(err)}{diverged}"
                     + ("" if at_paper else f" (all below the paper's shortest length {PASCANU_SHORTEST})")), [succ, err]


def omega_solves(exp):
    """C4: MSGD-CR solves temporal order at the longest paper length that ran, the other tasks, and generalises."""
    p = exp.get("pathological")
    g = exp.get("length_generalisation")
    parts, evidence, tests, at_paper = [], [], [], True
    if p:
        Ls, long_ok = _fig7_lengths(p)
        L = max(Ls)
        k, n, _, d = _seeds(p, "smart tanh", p["headline_cr"], [L])
        t = _majority(k, n, f"MSGD-CR successes on temporal order at L = {L}")
        tests.append(t)
        parts.append(t["holds"])
        at_paper &= long_ok
        evidence.append(_describe_majority(t) + (f" ({d} diverged)" if d else ""))
        others = [r for r in p["table"] if r["task"] != p["task"]]
        if others:
            solved = []
            for r in others:
                c = next(c for c in r["cells"] if c["method"] == p["headline_cr"])
                t = _majority(c["successes"], c["runs"], f"MSGD-CR successes on {r['task']} at L = "
                              f"{', '.join(map(str, r['lengths']))}")
                tests.append(t)
                solved.append(t["holds"])
                at_paper &= max(r["lengths"]) >= PASCANU_SHORTEST
            parts.append(all(solved))
            evidence.append(f"{sum(solved)}/{len(others)} other tasks solved by a majority of seeds ("
                            + ", ".join(f"{t['what'].split(' on ')[1].split(' at ')[0]} {t['successes']}/{t['n']['runs']}"
                                        for t in tests[-len(others):]) + ")")
    if g:
        generalises = _ok(g["longest_success"]) and g["longest_success"] >= 10 * g["max_length"]
        beyond = [e for L, e in zip(g["eval_lengths"], g["median_error"]) if L > g["max_length"]]
        trained = [e for L, e in zip(g["eval_lengths"], g["median_error"]) if L <= g["max_length"]]
        # a net that has not learned the task at its own training lengths cannot show that it generalises:
        # that part is untested (None), not failed
        testable = generalises or not trained or max(trained) < 0.01
        parts.append(bool(generalises) if testable else None)
        at_paper &= g["max_length"] >= PASCANU_SHORTEST
        tests.append(dict(test="median error over seeds below 1%", what="length generalisation",
                          n={"seeds": int(g["seeds"])}, p=None, holds=bool(generalises), testable=bool(testable)))
        if not testable:
            worst = max(trained)
            where = g["eval_lengths"][g["median_error"].index(worst)]
            evidence.append(
                f"length generalisation could not be tested: trained on L ≤ {g['max_length']}, the net did not learn "
                f"the task within its training lengths ({worst:.1%} wrong at L = {where}, median of {g['seeds']} "
                f"seeds; chance {g.get('chance', 0.75):.0%})"
                + (f"; {min(beyond):.1%}–{max(beyond):.1%} wrong at longer lengths" if beyond else "")
                + f" (paper: generalised to {g['paper_length']})")
        elif generalises:
            evidence.append(f"trained on L ≤ {g['max_length']}, success up to L = {g['longest_success']}"
                            f" (paper: {g['paper_length']})")
        else:
            evidence.append(
                f"length generalisation did not reproduce: trained on L ≤ {g['max_length']}, "
                + (f"success (< 1% wrong) only up to L = {g['longest_success']}" if _ok(g["longest_success"])
                   else "no success at any length")
                + (f"; {min(beyond):.1%}–{max(beyond):.1%} wrong at longer lengths (chance {g.get('chance', 0.75):.1%})"
                   if beyond else "")
                + f" (paper: generalised to {g['paper_length']})")
    decided = [x for x in parts if x is not None]
    if parts and all(x is True for x in parts):
        verdict = REPRODUCED
    elif any(decided):
        verdict = PARTLY
    elif decided:
        verdict = NOT
    else:
        verdict = INCONCLUSIVE   # no part could be tested
    return _cap(verdict, at_paper), "; ".join(evidence), tests


def truncation(exp):
    t = exp["tbptt"]
    chance = t.get("chance", 0.75)
    short_w = str(t["short_window"])
    test = stats.compare("mannwhitney", t["final"]["full"], t["final"][short_w], ("full BPTT", f"window {short_w}"),
                         f"final test error at L = {t['length']}")
    short, full = t["median_final"][short_w], t["median_final"]["full"]
    shaped = short > chance - 0.1 and full < 0.1    # the blind window stays near chance, full BPTT learns
    # a window that misses the first symbol: the claim says it cannot learn, so one seed that learns is against it
    mid_errors = t["final"].get(str(t["mid_window"]), []) if t.get("mid_window") is not None else []
    mid_k, mid_n = t["mid_window_learned"], t["mid_window_runs"]   # counted by analysis/tbptt.py
    mid_learns = mid_k > 0
    s = stats.status(test)
    if s == "undecided":
        verdict = INCONCLUSIVE
    elif s == "no":
        verdict = NOT
    else:
        verdict = REPRODUCED if shaped and not mid_learns else PARTLY
    tests = [test]
    if mid_n:
        tests.append(_majority(mid_k, mid_n, f"seeds of window {t['mid_window']} (shorter than the first lag) that "
                                              f"learned (final error < 10%)"))
    return verdict, (describe(test)
                     + (f"; {_describe_majority(tests[1])}, median {np.median(mid_errors):.1%}"
                        + (": the forward pass can carry the first symbol into the window" if mid_learns else "")
                        if mid_n else "")), tests


def irnn_adding(exp):
    """C6 at every paper length (T ≥ 150) that ran; the IRNN's own result is required for any credit."""
    a = exp["adding"]
    Ls = [T for T in a["lengths"] if T >= LE_SHORTEST]
    at_paper = bool(Ls)
    Ls = Ls or list(a["lengths"])
    cell = {(r["model"], r["length"]): r for r in a["per_seed"]}
    per_length, tests, evidence = [], [], []
    # in the tests every MSE is capped at the baseline: a run at or above it (or diverged) has learned nothing, and
    # a diverged model must not "beat" a live one whose MSE sits a little above 1/6
    capped = lambda v: [min(float(x), BASELINE) for x in v]
    for T in Ls:
        tanh = capped(cell["tanh_gauss", T]["final"])
        rec = {}
        for m in ("irnn", "lstm"):
            t = stats.compare("mannwhitney", capped(cell[m, T]["final"]), tanh, (m.upper(), "tanh"),
                              f"final MSE at T = {T}, capped at the baseline")
            t["median_below_solved"] = bool(np.median(cell[m, T]["final"]) < SOLVED)
            tests.append(t)
            st = stats.status(t)   # significant and below 1/60: yes; significant but above: no
            rec[m] = "no" if st == "yes" and not t["median_below_solved"] else st
        stays = bool(np.median(tanh) > 0.5 * BASELINE)
        per_length.append((rec["irnn"], rec["lstm"], stays))
        div = {m: cell[m, T]["diverged"] for m in ("irnn", "lstm", "tanh_gauss") if cell[m, T]["diverged"]}
        evidence.append(f"T = {T}: median final MSE IRNN {np.median(cell['irnn', T]['final']):.2g}, LSTM "
                        f"{np.median(cell['lstm', T]['final']):.2g}, tanh {np.median(cell['tanh_gauss', T]['final']):.2g} "
                        f"(n = {len(cell['irnn', T]['final'])}/{len(cell['lstm', T]['final'])}/{len(tanh)}; "
                        f"baseline 1/6, solved below 1/60); IRNN < tanh p = {_p(tests[-2]['p'])}, "
                        f"LSTM < tanh p = {_p(tests[-1]['p'])}"
                        + ("" if tests[-2]["can_reach_alpha"] else f" (cannot reach p < {ALPHA:g} with these n)")
                        + (f"; diverged (counted at the baseline): "
                           + ", ".join(f"{m} {k}" for m, k in div.items()) if div else ""))
    irnn = [x[0] for x in per_length]
    if all(i == "yes" and l == "yes" and s for i, l, s in per_length):
        verdict = REPRODUCED
    elif "yes" in irnn:
        verdict = PARTLY
    elif "no" in irnn:
        verdict = NOT
    else:
        verdict = INCONCLUSIVE
    return _cap(verdict, at_paper), "; ".join(evidence), tests


def mnist(exp):
    s = exp["sequential_mnist"]
    names = s.get("dataset_names", {"mnist": "pixel MNIST", "permuted": "permuted MNIST"})
    cell = {(r["model"], r["dataset"]): r for r in s["per_seed"]}
    tests, evidence, ordered = [], [], []
    for d in s["datasets"]:
        t = stats.compare("mannwhitney_greater", cell["irnn", d]["final"], cell["tanh_gauss", d]["final"],
                          ("IRNN", "tanh"), f"{names.get(d, d)} final test accuracy (%)")
        tests.append(t)
        ordered.append(stats.status(t))
        best = {m: cell[m, d]["best_epoch_median"] for m in ("irnn", "tanh_gauss")}
        reversed_at_best = (t["medians"]["IRNN"] > t["medians"]["tanh"]) and best["irnn"] <= best["tanh_gauss"]
        evidence.append(describe(t) + f" (paper {s['paper']['irnn'][d]:g}% / {s['paper']['tanh_gauss'][d]:g}%)"
                        + (f"; at the best epoch the ordering reverses (IRNN {best['irnn']:.1f}%, "
                           f"tanh {best['tanh_gauss']:.1f}%)" if reversed_at_best else ""))
    close = all(abs(np.median(cell["irnn", d]["final"]) - s["paper"]["irnn"][d]) <= 5 for d in s["datasets"])
    both = {"mnist", "permuted"} <= set(s["datasets"])   # the claim is about both tasks
    if all(o == "yes" for o in ordered):
        verdict = REPRODUCED if close and both else PARTLY
    elif "yes" in ordered:
        verdict = PARTLY
    elif "no" in ordered:
        verdict = NOT
    else:
        verdict = INCONCLUSIVE
    return verdict, "; ".join(evidence), tests


def norm_preserving(exp):
    parts, evidence, tests = [], [], []
    if "jacobian" in exp:
        j = exp["jacobian"]
        keeps = abs(j["linear_orthogonal_sv_min"] - 1) < 1e-6 and abs(j["linear_orthogonal_sv_max"] - 1) < 1e-6
        parts.append(keeps)
        tests.append(dict(test="exact check", what="singular values of a product of orthogonal matrices within 1e-6 of 1",
                          n={"seeds": int(j["seeds"])}, p=None, holds=bool(keeps)))
        evidence.append(f"linear net, orthogonal W: singular values of the {j['steps']}-step product "
                        + ("all within 10⁻⁶ of 1" if keeps
                           else f"in [{j['linear_orthogonal_sv_min']:.3g}, {j['linear_orthogonal_sv_max']:.3g}]")
                        + f"; ReLU with W = I keeps {j['relu_identity_dT']:.2g}")
    if "gradient_flow" in exp:
        g = exp["gradient_flow"]
        r = g["ratio_start_init"]
        keeps = r["irnn"] > 0.1 and r["irnn"] > 100 * r["tanh_gauss"]
        parts.append(keeps)
        tests.append(dict(test="check at initialisation", what="IRNN keeps the error signal", n={"seeds": int(g["seeds"])},
                          p=None, holds=bool(keeps)))
        evidence.append(f"at initialisation ‖∂E/∂h_1‖/‖∂E/∂h_T‖ at T = {g['length']}: IRNN {r['irnn']:.2g}, "
                        f"tanh with Gaussian W {r['tanh_gauss']:.1g}")
    verdict = REPRODUCED if all(parts) else PARTLY if any(parts) else NOT
    return verdict, "; ".join(evidence), tests


# ----------------------------------------------------------------------------- the claims

A = f"α = {ALPHA:g}"
# id -> (claim, kind, experiments it needs (any of them), criterion function, criterion text)
CLAIMS = {
    "C1": ("Pascanu 2013: the norm of the product of T − k Jacobians is at most (γλ₁) to the power T − k", CHECK,
           ("jacobian",), jacobian_bound,
           "Reproduced: no measured norm exceeds its bound in any run (exact; a violation means a bug); "
           "otherwise not reproduced."),
    "C2": ("Pascanu 2013: the error surface has a cliff; clipping keeps a step at the wall from throwing the parameters away", ILLUSTRATION, ("cliff",), cliff,
           "(a) the largest ‖∇E‖ on the grid is over 1000 × its median (a wall); (b) clipped descents reach "
           f"E < 0.01 more often than plain ones from the same starts (one-sided Fisher exact, {A}). "
           "Reproduced: (a) and (b); partly: one of them; not reproduced: neither; inconclusive: neither, and (b) "
           "could not reach α with this many starts."),
    "C3": ("Pascanu 2013: gradient clipping helps on long-lag tasks", REPRODUCTION, ("pathological",), clipping_helps,
           "Temporal order, smart tanh, MSGD-C against MSGD on the same seeds, pooled over the paper's lengths "
           f"(L ≥ {PASCANU_SHORTEST}) that ran: (a) more successes (one-sided Fisher exact, {A}); (b) lower final "
           f"test error (one-sided Mann–Whitney U over seeds, {A}). Reproduced: (a); partly: (b) only; "
           "not reproduced: neither, one tested with enough runs; inconclusive: neither test could reach α. "
           f"Below L = {PASCANU_SHORTEST} at most partly."),
    "C4": ("Pascanu 2013: clipping + Ω solves the pathological tasks and generalises in length", REPRODUCTION,
           ("pathological", "length_generalisation"), omega_solves,
           "MSGD-CR (smart tanh): (a) succeeds in a majority of seeds on temporal order at the longest of the paper's "
           "lengths that ran (k/n with a 95 % Wilson interval); (b) in a majority of seeds on each other task; "
           "(c) trained on lengths up to L_max, a median error below 1 % up to at least 10 × L_max (untested when the "
           "net has not learned the task within its training lengths). Reproduced: all parts that ran; partly: some; "
           f"not reproduced: none of those tested; inconclusive: no part could be tested. Trained or tested below L = {PASCANU_SHORTEST}: "
           "at most partly."),
    "C5": ("Lecture (not a claim either paper tests): truncated BPTT cannot learn lags longer than its window",
           ILLUSTRATION, ("tbptt",), truncation,
           "Temporal order, MSGD-CR: full BPTT ends with a lower test error than the window that sees neither "
           f"symbol (one-sided Mann–Whitney U over seeds, {A}), full BPTT's median below 10 % and that window's "
           "above chance − 10 points. Reproduced: all of it, and no seed of a window covering only the second symbol "
           "learns (final error < 10 %, shown as k/n); partly: significant, but the shape differs or that window learns; "
           "not reproduced: not significant; inconclusive: the test could not reach α with these seeds."),
    "C6": ("Le 2015: IRNN ≈ LSTM on the adding problem; a tanh RNN stays at the baseline", REPRODUCTION,
           ("adding",), irnn_adding,
           f"At each of the paper's lengths (T ≥ {LE_SHORTEST}) that ran, every final MSE capped at the baseline 1/6 "
           "(diverged runs there): "
           "(a) the IRNN's final MSE is below the tanh RNN's (Gaussian W; one-sided Mann–Whitney U over seeds, "
           f"{A}) and its median below 1/60; (b) the same for the LSTM; (c) the tanh RNN's median stays above "
           "1/12. Reproduced: (a), (b), (c) at every such length; partly: (a) at some length (the IRNN's own "
           "result is required); not reproduced: (a) tested and failed at every length; inconclusive: the test of "
           f"(a) could not reach α. Below T = {LE_SHORTEST} at most partly."),
    "C7": ("Le 2015: pixel / permuted MNIST: IRNN ≫ tanh RNN, 97% / 82%", REPRODUCTION, ("sequential_mnist",), mnist,
           "Final epoch, diverged runs at chance (10 %): (a) the IRNN's test accuracy is above the tanh RNN's "
           f"(one-sided Mann–Whitney U over seeds, {A}) on each dataset; (b) the IRNN's median within 5 points of "
           "the paper's. Reproduced: (a) on both datasets and (b); partly: (a) on some dataset, or only one dataset ran; not reproduced: "
           "(a) tested and failed on every dataset; inconclusive: the test could not reach α with these seeds."),
    "C8": ("Lecture, after Le 2015's case for W = I: orthogonal or identity W keep the norm of the product", CHECK,
           ("jacobian", "gradient_flow"), norm_preserving,
           "(a) the singular values of a product of orthogonal matrices are within 10⁻⁶ of 1 (exact; a failure "
           "means a bug); (b) at initialisation the IRNN keeps ‖∂E/∂h_1‖/‖∂E/∂h_T‖ above 0.1 and above 100 × "
           "the tanh RNN's. Reproduced: every part that ran; partly: some; not reproduced: none."),
}


def _headline(tests):
    """The row's headline test, n per group, p or interval (results.json, the claims CSV)."""
    if not tests:
        return dict(test="", n={}, p=None, interval=None, significant=False)
    t = tests[0]
    # significant: the headline comparison is significant (the deck's mark beside k/n)
    return dict(test=t["test"], n=t["n"], p=t.get("p"), interval=t.get("interval"), significant=bool(t.get("significant")))


def evaluate(exp: dict) -> list[dict]:
    """One row per claim: id, claim, kind, verdict, evidence, criterion, the headline test (test, n, p, interval),
    every test (tests), budget and experiments."""
    rows = []
    for cid, (claim, kind, needs, criterion, text) in CLAIMS.items():
        used = [n for n in needs if n in exp]
        if not used or (not all(n in exp for n in needs) and criterion not in (omega_solves, norm_preserving)):
            rows.append(dict(id=cid, claim=claim, kind=kind, verdict=NOT_RUN, evidence="not in this build",
                             criterion=text, budget="", experiments=[], tests=[], **_headline([])))
            continue
        verdict, evidence, tests = criterion(exp)
        assert verdict in VERDICTS, verdict
        rows.append(dict(id=cid, claim=claim, kind=kind, verdict=verdict, evidence=evidence, criterion=text,
                         experiments=used, tests=tests, **_headline(tests),
                         budget="; ".join(f"{n}: {exp[n]['budget']}" for n in used)))
    return rows
