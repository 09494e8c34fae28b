"""The papers' claims that the lecture teaches, each with a criterion written here and a verdict computed from
the numbers of this build (analysis/NAME.py). Nothing here is typed by hand: change the run, the verdict follows.

verdicts: "reproduced" (the criterion holds; for the trained tasks C3, C4 and C6 only at a length the paper used,
at least its shortest), "partly" (it holds only in part, or only at shorter lengths), "not reproduced", or
"not run" (this build has no experiment for it)."""
import math

REPRODUCED, PARTLY, NOT, NOT_RUN = "reproduced", "partly", "not reproduced", "not run"
from analysis.adding import BASELINE, SOLVED   # the adding problem's baseline MSE (predict 1) and "solved" level
from analysis.papers import LE_LENGTHS, PASCANU_LENGTHS

PASCANU_SHORTEST, LE_SHORTEST = PASCANU_LENGTHS[0], LE_LENGTHS[0]   # Fig. 7: L = 50–200; Le et al.: T = 150–400


def _ok(x):
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def jacobian_bound(exp):
    j = exp["jacobian"]
    verdict = REPRODUCED if j["violations"] == 0 else NOT
    return verdict, (f"the measured norm never exceeded (γλ₁)^(T−k): {j['violations']} violations in {j['runs']} runs "
                     f"(largest norm/bound {j['max_norm_over_bound']:.2g}); tanh with γλ₁ = 0.9 falls to "
                     f"{j['tanh_09_dT']:.1e} after {j['steps']} steps")


def cliff(exp):
    c = exp["cliff"]
    wall = c["max_grad"] / max(c["median_grad"], 1e-300)
    helps = c["clipped_solved"] > c["plain_solved"]
    verdict = REPRODUCED if wall > 1e3 and helps else PARTLY if wall > 1e3 or helps else NOT
    return verdict, (f"‖∇E‖ reaches {c['max_grad']:.0f} on the wall against a median of {c['median_grad']:.1g}; "
                     f"{c['clipped_solved']}/{c['starts']} clipped descents reach E < {c['solved_threshold']}, "
                     f"{c['plain_solved']}/{c['starts']} plain ones")


def _fig7_successes(p, init, method, at_least):
    """(successes, runs) of one init and method over the Fig. 7 lengths ≥ at_least."""
    Ls = [L for L in p["lengths"] if L >= at_least]
    per_length = p["runs_per_cell"] // len(p["lengths"])
    wins = sum(round(p["success_rate"][init][method][L] * per_length) for L in Ls)
    return wins, per_length * len(Ls)


def clipping_helps(exp):
    """Fig. 7: MSGD-C succeeds where MSGD does not. Partly: clipping only brings the error down, or only clipping
    with Ω succeeds."""
    p = exp["pathological"]
    long_lengths = [L for L in p["lengths"] if L >= PASCANU_SHORTEST]
    scope = PASCANU_SHORTEST if long_lengths else 0
    c, n = _fig7_successes(p, "smart tanh", "MSGD-C", scope)
    cr, _ = _fig7_successes(p, "smart tanh", p["headline_cr"], scope)
    plain, _ = _fig7_successes(p, "smart tanh", "MSGD", scope)
    Ls = long_lengths or p["lengths"]
    err = {m: [p["median_error"]["smart tanh"][m][L] for L in Ls] for m in ("MSGD", "MSGD-C")}
    lower = all(ec < em for ec, em in zip(err["MSGD-C"], err["MSGD"]))
    if c > plain:
        verdict = REPRODUCED if long_lengths else PARTLY
    else:
        verdict = PARTLY if lower or cr > plain else NOT
    where = f"L = {', '.join(map(str, Ls))}"
    return verdict, (f"temporal order, smart tanh, {where}: successes MSGD {plain}/{n}, MSGD-C {c}/{n}, "
                     f"MSGD-CR {cr}/{n}; median final error MSGD "
                     f"{', '.join(f'{e:.1%}' for e in err['MSGD'])}, MSGD-C {', '.join(f'{e:.1%}' for e in err['MSGD-C'])}"
                     + ("" if long_lengths else " (all below the paper's shortest length 50)"))


def omega_solves(exp):
    p = exp.get("pathological")
    g = exp.get("length_generalisation")
    parts, evidence = [], []
    if p:
        long_lengths = [L for L in p["lengths"] if L >= PASCANU_SHORTEST]
        cr, n = _fig7_successes(p, "smart tanh", p["headline_cr"], PASCANU_SHORTEST if long_lengths else 0)
        solved = cr * 2 > n
        parts.append(solved and bool(long_lengths))
        evidence.append(f"MSGD-CR solved temporal order in {cr}/{n} runs at L = "
                        f"{', '.join(map(str, long_lengths or p['lengths']))}")
        table = [r for r in p["table"] if r["task"] != p["task"]]
        if table:
            solved_tasks = [r["task"] for r in table
                            if any(c["method"] == p["headline_cr"] and c["successes"] * 2 > c["runs"] for c in r["cells"])]
            parts.append(len(solved_tasks) == len(table))
            evidence.append(f"{len(solved_tasks)}/{len(table)} other tasks solved by a majority of seeds")
    if g:
        generalises = _ok(g["longest_success"]) and g["longest_success"] >= 10 * g["max_length"]
        parts.append(generalises)
        beyond = [e for L, e in zip(g["eval_lengths"], g["median_error"]) if L > g["max_length"]]
        trained = [e for L, e in zip(g["eval_lengths"], g["median_error"]) if L <= g["max_length"]]
        if generalises:
            evidence.append(f"trained on L ≤ {g['max_length']}, success up to L = {g['longest_success']}"
                            f" (paper: {g['paper_length']})")
        else:
            evidence.append(
                f"length generalisation did not reproduce: trained on L ≤ {g['max_length']}, "
                + (f"success (< 1% wrong) only up to L = {g['longest_success']}" if _ok(g["longest_success"])
                   else "no success at any length")
                + (f", {max(trained):.1%} wrong at the longest training length" if trained and max(trained) >= 0.01 else "")
                + (f"; {min(beyond):.1%}–{max(beyond):.1%} wrong at longer lengths (chance {g.get('chance', 0.75):.1%})"
                   if beyond else "")
                + f" (paper: generalised to {g['paper_length']})")
    verdict = REPRODUCED if parts and all(parts) else PARTLY if any(parts) else NOT
    return verdict, "; ".join(evidence)


def truncation(exp):
    t = exp["tbptt"]
    short = t["median_final"][str(t["short_window"])]
    full = t["median_final"]["full"]
    chance = t.get("chance", 0.75)
    blind_fails = short > chance - 0.1          # the window that sees neither symbol stays near chance
    full_learns = full < 0.1
    mid = t["median_final"].get(str(t["mid_window"])) if t.get("mid_window") is not None else None
    mid_learns = mid is not None and mid < 0.1  # a window that misses the first symbol but still learns
    verdict = REPRODUCED if blind_fails and full_learns and not mid_learns else PARTLY if blind_fails and full_learns else NOT
    return verdict, (f"L = {t['length']}: window {t['short_window']} ends at {short:.1%} wrong, full BPTT at {full:.1%}"
                     + (f", window {t['mid_window']} (shorter than the first lag) at {mid:.1%}: the forward pass carries "
                        f"the symbol into the window" if mid_learns else ""))


def irnn_adding(exp):
    a = exp["adding"]
    T = max(a["lengths"])
    final = {m: a["final"][m][T] for m in a["final"]}
    ok = final["irnn"] < SOLVED and final["lstm"] < SOLVED and final["tanh_gauss"] > 0.5 * BASELINE
    verdict = REPRODUCED if ok and T >= LE_SHORTEST else PARTLY if ok or (final["lstm"] < SOLVED and final["tanh_gauss"] > 0.5 * BASELINE) else NOT
    diverged = a.get("diverged_by_model", {}).get("irnn")
    return verdict, (f"T = {T}: median final MSE IRNN {final['irnn']:.2g}, LSTM {final['lstm']:.2g}, tanh (Gaussian W) "
                     f"{final['tanh_gauss']:.2g} (baseline 1/6, solved below 1/60)"
                     + (f"; {diverged} IRNN seed(s) diverged" if diverged else ""))


def mnist(exp):
    s = exp["sequential_mnist"]
    acc = s["accuracy"]
    ordering = all(acc["irnn"][d] > acc["tanh_gauss"][d] for d in s["datasets"])
    close = all(abs(acc["irnn"][d] - s["paper"]["irnn"][d]) <= 5 for d in s["datasets"])
    verdict = REPRODUCED if ordering and close else PARTLY if ordering else NOT
    names = s.get("dataset_names", {"mnist": "pixel MNIST", "permuted": "permuted MNIST"})
    best = s.get("best_accuracy", {})

    def only_final(d):   # the ordering holds at the final epoch but not for the best accuracy over the epochs
        return (best and acc["irnn"][d] > acc["tanh_gauss"][d]
                and best["irnn"][d] <= best["tanh_gauss"][d])
    return verdict, "; ".join(f"{names.get(d, d)}: IRNN {acc['irnn'][d]:.1f}%, "
                              f"tanh {acc['tanh_gauss'][d]:.1f}% (paper {s['paper']['irnn'][d]:g}% / "
                              f"{s['paper']['tanh_gauss'][d]:g}%)"
                              + (f", ordering only at the final epoch (best over epochs: IRNN {best['irnn'][d]:.1f}%, "
                                 f"tanh {best['tanh_gauss'][d]:.1f}%)" if only_final(d) else "")
                              for d in s["datasets"])


def norm_preserving(exp):
    parts, evidence = [], []
    if "jacobian" in exp:
        j = exp["jacobian"]
        keeps = abs(j["linear_orthogonal_sv_min"] - 1) < 1e-6 and abs(j["linear_orthogonal_sv_max"] - 1) < 1e-6
        parts.append(keeps)
        evidence.append(f"linear net, orthogonal W: singular values of the {j['steps']}-step product "
                        + ("all within 10⁻⁶ of 1" if keeps
                           else f"in [{j['linear_orthogonal_sv_min']:.3g}, {j['linear_orthogonal_sv_max']:.3g}]")
                        + f"; ReLU with W = I keeps {j['relu_identity_dT']:.2g}")
    if "gradient_flow" in exp:
        g = exp["gradient_flow"]
        r = g["ratio_start_init"]
        parts.append(r["irnn"] > 0.1 and r["irnn"] > 100 * r["tanh_gauss"])
        evidence.append(f"at initialisation ‖∂E/∂h_1‖/‖∂E/∂h_T‖ at T = {g['length']}: IRNN {r['irnn']:.2g}, "
                        f"tanh with Gaussian W {r['tanh_gauss']:.1g}")
    verdict = REPRODUCED if all(parts) else PARTLY if any(parts) else NOT
    return verdict, "; ".join(evidence)


# id -> (claim, experiments it needs (any of them), criterion)
CLAIMS = {
    "C1": ("Pascanu 2013: the norm of the product of T − k Jacobians is at most (γλ₁) to the power T − k", ("jacobian",), jacobian_bound),
    "C2": ("Pascanu 2013: the error surface has a cliff; clipping steps over it", ("cliff",), cliff),
    "C3": ("Pascanu 2013: gradient clipping helps on long-lag tasks", ("pathological",), clipping_helps),
    "C4": ("Pascanu 2013: clipping + Ω solves the pathological tasks and generalises in length",
           ("pathological", "length_generalisation"), omega_solves),
    "C5": ("Lecture (not a claim either paper tests): truncated BPTT cannot learn lags longer than its window",
           ("tbptt",), truncation),
    "C6": ("Le 2015: IRNN ≈ LSTM on the adding problem; a tanh RNN stays at the baseline", ("adding",), irnn_adding),
    "C7": ("Le 2015: pixel / permuted MNIST: IRNN ≫ tanh RNN, 97% / 82%", ("sequential_mnist",), mnist),
    "C8": ("Lecture, after Le 2015's case for W = I: orthogonal or identity W keep the norm of the product",
           ("jacobian", "gradient_flow"), norm_preserving),
}


def evaluate(exp: dict) -> list[dict]:
    """One row per claim: id, claim, verdict, evidence, budget (of the experiments it used)."""
    rows = []
    for cid, (claim, needs, criterion) in CLAIMS.items():
        used = [n for n in needs if n in exp]
        if not used:
            rows.append(dict(id=cid, claim=claim, verdict=NOT_RUN, evidence="not in this build", budget="", experiments=[]))
            continue
        if not all(n in exp for n in needs) and criterion not in (omega_solves, norm_preserving):
            rows.append(dict(id=cid, claim=claim, verdict=NOT_RUN, evidence="not in this build", budget="", experiments=[]))
            continue
        verdict, evidence = criterion(exp)
        rows.append(dict(id=cid, claim=claim, verdict=verdict, evidence=evidence, experiments=used,
                         budget="; ".join(f"{n}: {exp[n]['budget']}" for n in used)))
    return rows
