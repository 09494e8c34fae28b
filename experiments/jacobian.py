"""Experiment 1: how the product of Jacobians ∏_{i=k+1}^{T} ∂h_i/∂h_{i-1} = ∏ diag(f'(pr_i)) W behaves.

For h_t = f(W h_{t-1} + V x_t + b) driven by random input, we compute the exact products for every distance
d = T - k, their spectral norms, and the bound (γ λ₁)^d of Pascanu et al. 2013 (§2.1), where λ₁ is the largest
singular value of W and γ bounds |f'| (1 for tanh, ReLU and identity f; 1/4 for the sigmoid).
The singular values of the product at the longest distance show why the norm collapses: all directions shrink.
"""
import numpy as np
import torch

from experiments.engine import init_recurrent
from experiments.plotting import BLUE, GREEN, GREY, ORANGE, PURPLE, RED, budget_note, plt, save

PROFILES = {
    "smoke":   dict(n_hidden=100, steps=100, n_in=10, seeds=3),
    "default": dict(n_hidden=100, steps=100, n_in=10, seeds=20),
    "full":    dict(n_hidden=100, steps=100, n_in=10, seeds=100),
    "paper":   dict(n_hidden=100, steps=100, n_in=10, seeds=100),
}
ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]
GAMMA = {"tanh": 1.0, "sigmoid": 0.25, "relu": 1.0, "linear": 1.0}  # sup |f'|
GAUSSIAN_TARGETS = [0.5, 0.9, 1.0, 1.1, 1.5]  # γ·λ₁ for Gaussian W
SPECIAL = ["orthogonal", "identity", "sparse"]  # W = Q, W = I (IRNN), "smart tanh" sparse W with ρ = 0.95
SPARSE_RADIUS = 0.95
# A Gaussian W has λ₁ ≈ 2ρ (circular law), so even γλ₁ = 1.5 leaves ρ ≈ 0.75 < 1: to see an explosion we also
# rescale one Gaussian W by its spectral radius instead
EXPLODING_RADIUS = 1.2


def activation(name):
    return {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "linear": lambda z: z}[name]


def derivative(name, pre):
    if name == "tanh":
        return 1 - torch.tanh(pre) ** 2
    if name == "sigmoid":
        s = torch.sigmoid(pre)
        return s * (1 - s)
    if name == "relu":
        return (pre > 0).to(pre.dtype)
    return torch.ones_like(pre)


def weight_configs():
    """(label, kind, γλ₁ target or None) for every recurrent matrix we try."""
    return ([(f"gauss {g:g}", "gaussian", g) for g in GAUSSIAN_TARGETS] + [(k, k, None) for k in SPECIAL]
            + [(f"gauss rho {EXPLODING_RADIUS:g}", "gaussian_radius", EXPLODING_RADIUS)])


def recurrent(kind, target, f, n, gen):
    if kind == "gaussian":  # rescale a Gaussian matrix so that γ·λ₁ hits the target exactly
        W = init_recurrent("gaussian", n, 1.0, generator=gen)
        return W * (target / GAMMA[f]) / torch.linalg.matrix_norm(W, ord=2)
    if kind == "gaussian_radius":
        W = init_recurrent("gaussian", n, 1.0, generator=gen)
        return W * target / torch.linalg.eigvals(W).abs().max()
    scale = SPARSE_RADIUS if kind == "sparse" else 1.0
    return init_recurrent(kind, n, scale, generator=gen)


def trajectory(W, V, b, x, f):
    """Pre-activations pr_1..pr_T of h_t = f(W h_{t-1} + V x_t + b) from h_0 = 0."""
    h = torch.zeros(W.shape[0], dtype=W.dtype)
    pres = []
    for x_t in x:
        pre = W @ h + V @ x_t + b
        pres.append(pre)
        h = activation(f)(pre)
    return torch.stack(pres)


def jacobian_products(W, pres, f):
    """P[d-1] = ∏_{i=T-d+1}^{T} diag(f'(pr_i)) W = ∂h_T/∂h_{T-d}, for d = 1..T."""
    J = derivative(f, pres)[:, :, None] * W  # (T, n, n): diag(f'(pr_i)) W
    products, P = [], torch.eye(W.shape[0], dtype=W.dtype)
    for J_i in J.flip(0):
        P = P @ J_i
        products.append(P)
    return torch.stack(products)


def run(config, spec, device):
    f, n, T = spec["activation"], config["n_hidden"], config["steps"]
    labels = [c[0] for c in weight_configs()]
    norms = np.zeros((len(labels), config["seeds"], T))
    bounds = np.zeros((len(labels), config["seeds"], T))
    spectra = np.zeros((len(labels), config["seeds"], n))
    saturation = np.zeros((len(labels), config["seeds"]))  # mean |f'| along the trajectory
    lambda1 = np.zeros((len(labels), config["seeds"]))
    radius = np.zeros((len(labels), config["seeds"]))
    distance = torch.arange(1, T + 1, dtype=torch.float64)
    for s in range(config["seeds"]):
        for c, (label, kind, target) in enumerate(weight_configs()):
            gen = torch.Generator().manual_seed(1000 * s + c)
            W = recurrent(kind, target, f, n, gen)
            V = torch.randn(n, config["n_in"], generator=gen, dtype=torch.float64) / config["n_in"] ** 0.5
            x = torch.randn(T, config["n_in"], generator=gen, dtype=torch.float64)
            pres = trajectory(W, V, torch.zeros(n, dtype=torch.float64), x, f)
            P = jacobian_products(W, pres, f)
            sv = torch.linalg.svdvals(P)  # (T, n), descending
            lam1 = torch.linalg.matrix_norm(W, ord=2)
            norms[c, s] = sv[:, 0].numpy()
            bounds[c, s] = ((GAMMA[f] * lam1) ** distance).numpy()
            spectra[c, s] = sv[-1].numpy()
            saturation[c, s] = derivative(f, pres).mean().item()
            lambda1[c, s] = lam1.item()
            radius[c, s] = torch.linalg.eigvals(W).abs().max().item()
    return dict(activation=f, labels=labels, norms=norms, bounds=bounds, spectra=spectra, saturation=saturation,
                lambda1=lambda1, radius=radius)


def jobs(config):
    return [{"activation": f} for f in ACTIVATIONS]


def budget(config):
    return (f"n = {config['n_hidden']}, T = {config['steps']}, {config['seeds']} seeds × "
            f"{len(weight_configs())} matrices × {len(ACTIVATIONS)} activations")


GAUSS_COLOURS = [BLUE, GREEN, GREY, ORANGE, RED]
SPECIAL_COLOURS = {"orthogonal": BLUE, "identity": RED, "sparse": GREEN}
TITLES = {"tanh": "tanh (γ = 1)", "sigmoid": "sigmoid (γ = 1/4)", "relu": "ReLU (γ = 1)", "linear": "f(z) = z (γ = 1)"}


def _median_band(ax, d, values, colour, label):
    lo, med, hi = np.quantile(values, [0.1, 0.5, 0.9], axis=0)
    ax.plot(d, med, color=colour, label=label, lw=1.6)
    ax.fill_between(d, lo, hi, color=colour, alpha=0.2, lw=0)


def _style_panel(ax, f):
    ax.set_yscale("log")
    ax.set_ylim(1e-30, 1e12)
    ax.set_title(TITLES[f])
    if ax.get_subplotspec().is_last_row():
        ax.set_xlabel("distance T − k")
    if ax.get_subplotspec().is_first_col():
        ax.set_ylabel("‖∏ ∂h_i/∂h_{i−1}‖₂")


def report(config, results, figures):
    by_f = {r["activation"]: r for r in results}
    labels = results[0]["labels"]
    T = config["steps"]
    d = np.arange(1, T + 1)
    note = f"median and 10–90% band over {config['seeds']} seeds; n = {config['n_hidden']}; profile budget: {budget(config)}"

    fig, axes = plt.subplots(2, 2, figsize=(9, 5.2), sharex=True, sharey=True)
    axes = axes.ravel()
    for ax, f in zip(axes, ACTIVATIONS):
        r = by_f[f]
        for c, colour in enumerate(GAUSS_COLOURS):
            _median_band(ax, d, r["norms"][c], colour, f"γλ₁ = {GAUSSIAN_TARGETS[c]:g}")
            ax.plot(d, np.median(r["bounds"][c], axis=0), color=colour, ls="--", lw=0.9)
        c = labels.index(f"gauss rho {EXPLODING_RADIUS:g}")
        _median_band(ax, d, r["norms"][c], PURPLE, f"ρ(W) = {EXPLODING_RADIUS:g}")
        _style_panel(ax, f)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="center left", bbox_to_anchor=(1.0, 0.55), title="Gaussian W\nsolid: measured\ndashed: (γλ₁)^(T−k)")
    budget_note(axes[-1], note)
    save(fig, figures, "jacobian_gaussian")

    fig, axes = plt.subplots(2, 2, figsize=(9, 5.2), sharex=True, sharey=True)
    axes = axes.ravel()
    for ax, f in zip(axes, ACTIVATIONS):
        r = by_f[f]
        for kind, colour in SPECIAL_COLOURS.items():
            c = labels.index(kind)
            _median_band(ax, d, r["norms"][c], colour, {"orthogonal": "orthogonal W", "identity": "W = I",
                                                        "sparse": "sparse W, ρ = 0.95"}[kind])
        _style_panel(ax, f)
    handles, names = axes[0].get_legend_handles_labels()
    fig.legend(handles, names, loc="center left", bbox_to_anchor=(1.0, 0.55))
    budget_note(axes[-1], note)
    save(fig, figures, "jacobian_special")

    fig, ax = plt.subplots(figsize=(6, 3.3))
    for f, kind, colour in [("tanh", "gauss 0.9", BLUE), ("tanh", "gauss 1.5", RED), ("tanh", "orthogonal", GREEN),
                            ("relu", "identity", ORANGE), ("linear", "orthogonal", GREY)]:
        spectra = by_f[f]["spectra"][labels.index(kind)]
        ax.plot(np.arange(1, spectra.shape[1] + 1), np.median(spectra, axis=0), color=colour, label=f"{f}, {kind}")
    ax.set_yscale("log")
    ax.set_xlabel("index of singular value")
    ax.set_ylabel(f"σ_i of the product at distance {T}")
    ax.legend(loc="lower left")
    budget_note(ax, f"median over {config['seeds']} seeds")
    save(fig, figures, "jacobian_spectrum")

    def median_norm(f, label, dist):
        return float(np.median(by_f[f]["norms"][labels.index(label), :, dist - 1]))

    ratio = max(float(np.max(r["norms"] / r["bounds"])) for r in results)
    rho_label = f"gauss rho {EXPLODING_RADIUS:g}"
    orth_lin = by_f["linear"]["spectra"][labels.index("orthogonal")]
    tanh_15 = by_f["tanh"]["norms"][labels.index("gauss 1.5"), :, T - 1]
    return {
        "seeds": config["seeds"], "n_hidden": config["n_hidden"], "steps": T, "budget": budget(config),
        "max_norm_over_bound": ratio,
        "violations": int(sum(int(np.sum(r["norms"] > r["bounds"] * (1 + 1e-9))) for r in results)),
        "runs": int(sum(r["norms"].shape[0] * r["norms"].shape[1] for r in results)),
        "tanh_09_d10": median_norm("tanh", "gauss 0.9", 10), "tanh_09_dT": median_norm("tanh", "gauss 0.9", T),
        "tanh_15_dT": median_norm("tanh", "gauss 1.5", T),
        "tanh_15_exploded": int(np.sum(tanh_15 > 1)),
        "tanh_15_saturation": float(np.median(by_f["tanh"]["saturation"][labels.index("gauss 1.5")])),
        "linear_15_dT": median_norm("linear", "gauss 1.5", T), "linear_05_dT": median_norm("linear", "gauss 0.5", T),
        "gauss_15_radius": float(np.median(by_f["linear"]["radius"][labels.index("gauss 1.5")])),
        "rho": EXPLODING_RADIUS, "rho_lambda1": float(np.median(by_f["linear"]["lambda1"][labels.index(rho_label)])),
        "linear_rho_dT": median_norm("linear", rho_label, T), "relu_rho_dT": median_norm("relu", rho_label, T),
        "tanh_rho_dT": median_norm("tanh", rho_label, T),
        "tanh_rho_saturation": float(np.median(by_f["tanh"]["saturation"][labels.index(rho_label)])),
        "sigmoid_10_dT": median_norm("sigmoid", "gauss 1", T),
        "relu_identity_dT": median_norm("relu", "identity", T),
        "tanh_orthogonal_dT": median_norm("tanh", "orthogonal", T),
        "linear_orthogonal_sv_min": float(orth_lin.min()), "linear_orthogonal_sv_max": float(orth_lin.max()),
        "sparse_tanh_dT": median_norm("tanh", "sparse", T),
    }
