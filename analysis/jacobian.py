"""Numbers of experiments.jacobian: the norms of Jacobian products against the bound (γλ₁)^(T−k), and what the
special recurrent matrices (orthogonal, identity, sparse) keep."""
import numpy as np

from experiments.jacobian import EXPLODING_RADIUS, budget


def numbers(config, results):
    by_f = {r["activation"]: r for r in results}
    labels = results[0]["labels"]
    T = config["steps"]

    def median_norm(f, label, dist):
        return float(np.median(by_f[f]["norms"][labels.index(label), :, dist - 1]))

    ratio = max(float(np.max(r["norms"] / r["bounds"])) for r in results)
    rho_label = f"gauss rho {EXPLODING_RADIUS:g}"
    orth_lin = by_f["linear"]["spectra"][labels.index("orthogonal")]
    return {
        "seeds": config["seeds"], "n_hidden": config["n_hidden"], "steps": T, "budget": budget(config),
        "max_norm_over_bound": ratio,
        "violations": int(sum(int(np.sum(r["norms"] > r["bounds"] * (1 + 1e-9))) for r in results)),
        "runs": int(sum(r["norms"].shape[0] * r["norms"].shape[1] for r in results)),
        "tanh_09_d10": median_norm("tanh", "gauss 0.9", 10), "tanh_09_dT": median_norm("tanh", "gauss 0.9", T),
        "linear_15_dT": median_norm("linear", "gauss 1.5", T),
        "gauss_15_radius": float(np.median(by_f["linear"]["radius"][labels.index("gauss 1.5")])),
        "rho": EXPLODING_RADIUS, "rho_lambda1": float(np.median(by_f["linear"]["lambda1"][labels.index(rho_label)])),
        "linear_rho_dT": median_norm("linear", rho_label, T), "relu_rho_dT": median_norm("relu", rho_label, T),
        "tanh_rho_dT": median_norm("tanh", rho_label, T),
        "tanh_rho_saturation": float(np.median(by_f["tanh"]["saturation"][labels.index(rho_label)])),
        "sigmoid_10_dT": median_norm("sigmoid", "gauss 1", T),
        "relu_identity_dT": median_norm("relu", "identity", T),
        "tanh_orthogonal_dT": median_norm("tanh", "orthogonal", T),
        "linear_orthogonal_sv_min": float(orth_lin.min()), "linear_orthogonal_sv_max": float(orth_lin.max()),
    }
