"""Experiment 1: how the product of Jacobians ∏_{i=k+1}^{T} ∂h_i/∂h_{i-1} = ∏ diag(f'(pr_i)) W behaves.

For h_t = f(W h_{t-1} + V x_t + b) driven by random input, we compute the exact products for every distance
d = T - k, their spectral norms, and the bound (γ λ₁)^d of Pascanu et al. 2013 (§2.1), where λ₁ is the largest
singular value of W and γ bounds |f'| (1 for tanh, ReLU and identity f; 1/4 for the sigmoid).
The singular values of the product at the longest distance show why the norm collapses: all directions shrink.
"""
import numpy as np
import torch

from rnn.init import init_recurrent

PROFILES = {
    "smoke":   dict(n_hidden=100, steps=100, n_in=10, seeds=3),
    "default": dict(n_hidden=100, steps=100, n_in=10, seeds=5),   # a check: 5 seeds × 9 matrices × 4 activations
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


