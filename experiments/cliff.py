"""Experiment 2: the "cliff" of Pascanu et al. 2013 (Fig. 6, §2.3).

One unit without input, x_t = w·σ(x_{t-1}) + b, x_0 = 0.5, 50 steps, error E = (σ(x_50) − 0.7)².
Where the one-unit map bifurcates (two stable fixed points appear for w > 4), x_50 jumps from one attractor
to the other and ∇E explodes: a wall in the error surface. We compute E and ∇E over a dense (w, b) grid in
one vectorised pass (forward-mode derivatives of the recursion), then follow gradient descent from several
starts with and without norm clipping (Algorithm 1 of the paper).
The paper does not give its plotted ranges, learning rate or threshold: the ones below are ours, chosen so
that the wall is in view.
"""
import numpy as np
import torch

from rnn.optim import clip_by_global_norm

PROFILES = {
    "smoke":   dict(grid=80, descent_steps=120),
    "default": dict(grid=500, descent_steps=400),
    "full":    dict(grid=1000, descent_steps=400),
    "paper":   dict(grid=1000, descent_steps=400),
}
STEPS, X0, TARGET = 50, 0.5, 0.7
W_RANGE, B_RANGE = (2.0, 10.0), (-8.0, 0.0)
LEARNING_RATE, CLIP = 1.0, 0.1
# starts on the high-error plateau (σ(x_50) ≈ 0) that walk into the wall within a few hundred steps
STARTS = [(6.0, -4.5), (6.0, -6.0), (4.5, -5.5), (7.5, -2.5), (8.0, -3.0)]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def error_and_gradient(w, b, steps=STEPS):
    """E and (∂E/∂w, ∂E/∂b) for arrays of (w, b), by forward-mode differentiation of the recursion."""
    w, b = np.broadcast_arrays(np.asarray(w, float), np.asarray(b, float))
    x = np.full(w.shape, X0)
    dx_dw, dx_db = np.zeros(w.shape), np.zeros(w.shape)
    for _ in range(steps):
        s = sigmoid(x)
        ds = s * (1 - s)
        dx_dw, dx_db = s + w * ds * dx_dw, 1 + w * ds * dx_db
        x = w * s + b
    s = sigmoid(x)
    dE_dx = 2 * (s - TARGET) * s * (1 - s)
    return (s - TARGET) ** 2, dE_dx * dx_dw, dE_dx * dx_db


def descend(start, steps, lr=LEARNING_RATE, clip=None):
    """Gradient-descent path from start; with clip, a step's gradient is rescaled to norm ≤ clip."""
    theta = np.array(start, float)
    path, norms, errors = [theta.copy()], [], []
    for _ in range(steps):
        E, gw, gb = error_and_gradient(theta[0], theta[1])
        g = np.array([gw, gb])
        norm = float(np.hypot(gw, gb))
        norms.append(norm)
        errors.append(float(E))
        if clip is not None:  # the engine's clipping, the one every training run uses
            g_t = torch.tensor(g[None], dtype=torch.float64)
            clip_by_global_norm(g_t, torch.tensor([clip], dtype=torch.float64))
            g = g_t[0].numpy()
        theta = theta - lr * g
        path.append(theta.copy())
    return dict(path=np.array(path), grad_norm=np.array(norms), error=np.array(errors))


def run(config, spec, device):
    w = np.linspace(*W_RANGE, config["grid"])
    b = np.linspace(*B_RANGE, config["grid"])
    E, gw, gb = error_and_gradient(w[:, None], b[None, :])
    paths = [dict(start=s, plain=descend(s, config["descent_steps"]),
                  clipped=descend(s, config["descent_steps"], clip=CLIP)) for s in STARTS]
    return dict(w=w, b=b, error=E, grad_norm=np.hypot(gw, gb), paths=paths)


def budget(config):
    return f"grid {config['grid']}×{config['grid']}, {len(STARTS)} starts × {config['descent_steps']} steps"


