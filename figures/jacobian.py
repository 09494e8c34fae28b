"""Figures and numbers of experiments.jacobian: the Jacobian products against their bound, and their spectra."""
import numpy as np

from experiments.jacobian import ACTIVATIONS, EXPLODING_RADIUS, GAUSSIAN_TARGETS, budget
from figures.style import BLUE, GREEN, GREY, ORANGE, PURPLE, RED, budget_note, plt, save

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


def draw(config, results, figures):
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
