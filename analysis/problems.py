"""The exercise's computational problems (г, д, е): the givens are the constants below, the answers are computed
here and printed by the lecturer's edition and the book page (templates/problems/d.tex … f.tex). No answer is
typed into a template. build.constants() puts numbers() into the documents' context as constants.problems.
Plain Python (no torch): the same answers a student gets with a calculator."""
import math

# г) clip a gradient vector by its norm (Pascanu et al. 2013, Algorithm 1), at two thresholds
CLIP = dict(g=(2.0, -6.0, 9.0), thresholds=(1.0, 20.0))
# д) after how many steps does the bound (γλ₁)^k fall below 10^eps_log10: (activation, γ, λ₁)
STEPS = dict(eps_log10=-3, cases=(("tanh", 1.0, 0.9), ("sigmoid", 0.25, 2.0)))
# е) one tanh neuron h_t = tanh(w·h_{t-1} + v·x_t): ∂h₃/∂h₀ by hand
NEURON = dict(w=1.5, v=1.0, h0=0.5, x=(1.0, -1.0, 2.0))


def clip(g, threshold) -> dict:
    sumsq = sum(x * x for x in g)
    norm = math.sqrt(sumsq)
    scale = threshold / norm if norm > threshold else 1.0
    return dict(threshold=threshold, clipped=[x * scale for x in g], scale=scale, changed=norm > threshold)


def steps_below(gamma, lambda1, eps) -> dict:
    """The smallest k with (γλ₁)^k < eps, for γλ₁ < 1."""
    rate = gamma * lambda1
    assert 0 < rate < 1, "the bound must shrink"
    ratio = math.log(eps) / math.log(rate)
    k = math.floor(ratio) + 1
    while rate ** (k - 1) < eps:    # guard against rounding at an exact power
        k -= 1
    return dict(gamma=gamma, lambda1=lambda1, rate=rate, ratio=ratio, k=k)


def neuron(w, v, h0, x) -> dict:
    h, hs, factors = h0, [], []
    for x_t in x:
        h = math.tanh(w * h + v * x_t)
        hs.append(h)
        factors.append(w * (1 - h * h))      # ∂h_t/∂h_{t-1} = w · tanh'(pr_t) = w (1 − h_t²)
    derivative = math.prod(factors)
    return dict(h=hs, factors=factors, derivative=derivative, vanishes=abs(derivative) < 1, bound=abs(w) ** len(x))


def numbers() -> dict:
    g = CLIP["g"]
    sumsq = sum(x * x for x in g)
    eps = 10.0 ** STEPS["eps_log10"]
    return dict(
        clip=dict(g=list(g), sumsq=sumsq, norm=math.sqrt(sumsq), cases=[clip(g, t) for t in CLIP["thresholds"]]),
        steps=dict(eps_log10=STEPS["eps_log10"],
                   cases=[dict(activation=a, **steps_below(gm, l1, eps)) for a, gm, l1 in STEPS["cases"]]),
        neuron=dict(NEURON, x=list(NEURON["x"]), **neuron(**NEURON)),
    )
