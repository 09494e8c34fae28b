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

from experiments.engine import clip_by_global_norm
from experiments.plotting import BLUE, GREY, RED, budget_note, plt, save

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
SOLVED = 0.01  # a path "reaches the valley" when its final E is below this (the minimum E = 0 lies on the wall)


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


def _in_view(path):
    inside = (path[:, 0] >= W_RANGE[0]) & (path[:, 0] <= W_RANGE[1]) & (path[:, 1] >= B_RANGE[0]) & (path[:, 1] <= B_RANGE[1])
    # cut at the first point outside the plotted window: the jump itself is the point of the figure
    stop = np.argmin(inside) if not inside.all() else len(path)
    return path[: max(stop, 1)]


def report(config, results, figures):
    r = results[0]
    w, b, E, G = r["w"], r["b"], r["error"], r["grad_norm"]
    note = f"lr = {LEARNING_RATE:g}, clipping threshold = {CLIP:g}; {budget(config)}"

    fig = plt.figure(figsize=(6.4, 4.4))
    ax = fig.add_subplot(projection="3d", computed_zorder=False)  # paths on top of the surface
    step = max(1, len(w) // 120)
    Wg, Bg = np.meshgrid(w[::step], b[::step], indexing="ij")
    ax.plot_surface(Wg, Bg, E[::step, ::step], cmap="viridis", linewidth=0, antialiased=False, alpha=0.85, zorder=1)
    for p in r["paths"]:
        plain, clipped = _in_view(p["plain"]["path"]), p["clipped"]["path"]
        e = error_and_gradient(plain[:, 0], plain[:, 1])[0] + 0.01
        jump = np.r_[False, np.abs(np.diff(e)) > 0.05]
        e[jump] = np.nan  # no line drawn across the wall: a zig-zag over it would paint a curtain
        ax.plot(plain[:, 0], plain[:, 1], e, color=RED, lw=1.8, zorder=12)
        # the clipped path zig-zags along the foot of the wall: dots read better than a line there
        ax.scatter(clipped[:, 0], clipped[:, 1], error_and_gradient(clipped[:, 0], clipped[:, 1])[0] + 0.01,
                   color=BLUE, s=3, depthshade=False, zorder=11)
    ax.set_xlim(*W_RANGE)
    ax.set_ylim(*B_RANGE)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_zlabel("E")
    ax.view_init(elev=35, azim=-130)
    save(fig, figures, "cliff_surface")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4))
    mesh = ax1.pcolormesh(b, w, np.log10(G + 1e-30), cmap="magma", shading="auto", vmin=-8, rasterized=True)
    fig.colorbar(mesh, ax=ax1, label="log₁₀ ‖∇E‖")
    for i, p in enumerate(r["paths"]):
        for kind, colour, ls in [("plain", RED, "-"), ("clipped", BLUE, "--")]:
            path = _in_view(p[kind]["path"])
            ax1.plot(path[:, 1], path[:, 0], color=colour, ls=ls, lw=1.5,
                     label=("gradient descent" if kind == "plain" else "with clipping") if i == 0 else None)
        ax1.plot(p["start"][1], p["start"][0], "o", color="white", ms=4)
    ax1.set_xlim(*B_RANGE)
    ax1.set_ylim(*W_RANGE)
    ax1.set_xlabel("b")
    ax1.set_ylabel("w")
    ax1.grid(False)
    ax1.legend(loc="lower right")
    ax1.set_title("‖∇E‖ over (w, b) with descent paths")
    for i, p in enumerate(r["paths"]):
        ax2.plot(p["plain"]["grad_norm"], color=RED, lw=1, alpha=0.8, label="gradient descent" if i == 0 else None)
        ax2.plot(p["clipped"]["grad_norm"], color=BLUE, ls="--", lw=1, alpha=0.8, label="with clipping" if i == 0 else None)
    ax2.axhline(CLIP, color=GREY, lw=0.8, ls=":", label="threshold")
    ax2.set_yscale("log")
    ax2.set_xlabel("step")
    ax2.set_ylabel("‖∇E‖ before clipping")
    ax2.legend()
    ax2.set_title("gradient norm along each path")
    budget_note(ax2, note)
    save(fig, figures, "cliff_map")

    plain_jumps = [float(np.max(np.linalg.norm(np.diff(p["plain"]["path"], axis=0), axis=1))) for p in r["paths"]]
    clipped_jumps = [float(np.max(np.linalg.norm(np.diff(p["clipped"]["path"], axis=0), axis=1))) for p in r["paths"]]
    final = lambda kind: [float(p[kind]["error"][-1]) for p in r["paths"]]  # noqa: E731
    return {
        "grid": config["grid"], "steps": STEPS, "lr": LEARNING_RATE, "clip": CLIP, "starts": len(STARTS),
        "descent_steps": config["descent_steps"], "budget": budget(config),
        "w_range": list(W_RANGE), "b_range": list(B_RANGE),
        "max_grad": float(G.max()), "median_grad": float(np.median(G)),
        "plateau_error": float(E[0, 0]), "min_error": float(E.min()),
        "max_plain_jump": max(plain_jumps), "max_clipped_jump": max(clipped_jumps),
        "max_plain_grad": max(float(p["plain"]["grad_norm"].max()) for p in r["paths"]),
        "final_plain": final("plain"), "final_clipped": final("clipped"),
        "solved_threshold": SOLVED,
        "plain_solved": sum(e < SOLVED for e in final("plain")), "clipped_solved": sum(e < SOLVED for e in final("clipped")),
        "plain_final_median": float(np.median(final("plain"))), "clipped_final_median": float(np.median(final("clipped"))),
    }
