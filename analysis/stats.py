"""The statistics behind the claims' verdicts (analysis/claims.py), fixed before the runs they judge.

- a success rate k/n is shown with its 95 % Wilson score interval;
- "A succeeds more often than B" is a one-sided Fisher exact test on the 2×2 table of successes;
- "A's error is lower than B's" (final error, MSE, accuracy) is a one-sided Mann–Whitney U test over seeds, exact
  (all reassignments of the pooled values to the two groups are enumerated, so ties such as several diverged runs
  at the baseline are handled exactly);
- significant means p < ALPHA (strictly: with 3 seeds against 3 a perfect split gives p = 0.05, which does not pass);
- `can_reach` says whether a test with these group sizes could reach ALPHA at all, for the verdict "inconclusive".
"""
import math
from itertools import combinations

import numpy as np
from scipy import stats

ALPHA = 0.05
Z95 = 1.959963984540054   # the standard normal's 97.5 % quantile


def wilson(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """95 % Wilson score interval of a success rate k/n (n ≥ 1): good at small n and at k = 0 or k = n."""
    if n <= 0:
        return (math.nan, math.nan)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (0.0 if k == 0 else max(0.0, centre - half), 1.0 if k == n else min(1.0, centre + half))


def fisher_greater(k_a: int, n_a: int, k_b: int, n_b: int) -> float:
    """One-sided Fisher exact p-value for "A's success rate is greater than B's" (k successes of n runs each)."""
    table = [[k_a, n_a - k_a], [k_b, n_b - k_b]]
    return float(stats.fisher_exact(table, alternative="greater").pvalue)


def _exact_u_pvalue(a, b) -> float:
    """P(U ≥ U_observed) over every split of the pooled values into groups of len(a) and len(b) (exact with ties)."""
    pooled = np.concatenate([a, b])
    ranks = stats.rankdata(pooled)
    n_a = len(a)
    observed = ranks[:n_a].sum()
    splits = [ranks[list(idx)].sum() for idx in combinations(range(len(pooled)), n_a)]
    return float(np.mean(np.asarray(splits) >= observed - 1e-9))


def mannwhitney_greater(a, b) -> float:
    """One-sided Mann–Whitney U p-value for "values in A tend to be greater than in B" (one value per seed).
    Exact by enumeration up to 12 + 12 values (that is all the seeds any profile runs); beyond it, scipy's."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) == 0 or len(b) == 0:
        return math.nan
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("a Mann–Whitney test got a NaN/Inf: count a diverged run as a failure before testing")
    if math.comb(len(a) + len(b), len(a)) <= 3_000_000:
        return _exact_u_pvalue(a, b)
    return float(stats.mannwhitneyu(a, b, alternative="greater").pvalue)


def mannwhitney_less(a, b) -> float:
    """One-sided Mann–Whitney U p-value for "values in A tend to be lower than in B" (e.g. a lower error)."""
    return mannwhitney_greater(-np.asarray(a, dtype=float), -np.asarray(b, dtype=float))


def fisher_min_p(n_a: int, n_b: int) -> float:
    """The smallest p a one-sided Fisher test can give with these group sizes (n_a/n_a successes against 0/n_b)."""
    return fisher_greater(n_a, n_a, 0, n_b) if n_a and n_b else 1.0


def mannwhitney_min_p(n_a: int, n_b: int) -> float:
    """The smallest p an exact one-sided Mann–Whitney test can give: complete separation, 1 / C(n_a + n_b, n_a)."""
    return 1 / math.comb(n_a + n_b, n_a) if n_a and n_b else 1.0


def can_reach(test: str, n_a: int, n_b: int, alpha: float = ALPHA) -> bool:
    """Whether the test could give p < alpha at all with these group sizes; if not, its verdict is "inconclusive"."""
    best = {"fisher": fisher_min_p, "mannwhitney": mannwhitney_min_p}[test](n_a, n_b)
    return significant(best, alpha)


def significant(p: float, alpha: float = ALPHA) -> bool:
    """p < alpha, with a margin for rounding: 1/20 computed as 0.049999… must not pass at α = 0.05."""
    return p is not None and not math.isnan(p) and p < alpha * (1 - 1e-9)


TEST_NAMES = {"fisher": "one-sided Fisher exact", "mannwhitney": "one-sided Mann–Whitney U"}


def compare(test: str, a, b, labels: tuple[str, str], what: str) -> dict:
    """One pre-declared comparison "A better than B" as a record for the claims table and results.json.

    test "fisher": a and b are (successes, runs); "mannwhitney": a and b are per-seed values where lower is
    better (errors); pass negated accuracies, or use what="… higher" and test "mannwhitney_greater"."""
    if test == "fisher":
        (k_a, n_a), (k_b, n_b) = a, b
        p = fisher_greater(k_a, n_a, k_b, n_b)
        extra = dict(successes={labels[0]: int(k_a), labels[1]: int(k_b)},
                     interval={labels[0]: wilson(k_a, n_a), labels[1]: wilson(k_b, n_b)})
        kind = "fisher"
    elif test in ("mannwhitney", "mannwhitney_greater"):
        n_a, n_b = len(a), len(b)
        p = (mannwhitney_less if test == "mannwhitney" else mannwhitney_greater)(a, b)
        extra = dict(medians={labels[0]: float(np.median(a)), labels[1]: float(np.median(b))})
        kind = "mannwhitney"
    else:
        raise ValueError(f"unknown test {test!r}")
    reachable = can_reach(kind, n_a, n_b)
    return dict(test=TEST_NAMES[kind], what=what, n={labels[0]: int(n_a), labels[1]: int(n_b)}, p=float(p),
                alpha=ALPHA, can_reach_alpha=reachable, significant=reachable and significant(p), **extra)


def status(record: dict) -> str:
    """"yes" (significant), "no" (could have been and was not), "undecided" (could not reach ALPHA)."""
    if not record["can_reach_alpha"]:
        return "undecided"
    return "yes" if record["significant"] else "no"
