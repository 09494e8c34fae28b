"""Figures of experiments.cliff: the error surface with its wall, and descent with and without clipping
(the numbers: analysis/cliff.py)."""
import numpy as np
from matplotlib.lines import Line2D

from experiments.cliff import B_RANGE, CLIP, W_RANGE, error_and_gradient
from figures.style import _, CHANCE, CLIP as CLIP_COLOUR, FULL, NO_CLIP, legend_top, plt, save

CLIP_AT = CLIP


def _in_view(path):
    inside = (path[:, 0] >= W_RANGE[0]) & (path[:, 0] <= W_RANGE[1]) & (path[:, 1] >= B_RANGE[0]) & (path[:, 1] <= B_RANGE[1])
    # cut at the first point outside the plotted window: the jump itself is the point of the figure
    stop = np.argmin(inside) if not inside.all() else len(path)
    return path[: max(stop, 1)]


def draw(config, results, figures) -> list:
    saved = []
    r = results[0]
    w, b, E, G = r["w"], r["b"], r["error"], r["grad_norm"]

    # the 3-D surface, for a half-width column beside the clipping rule
    fig = plt.figure(figsize=(2.85, 2.6))
    fig.set_layout_engine("none")   # a 3-D axes placed by hand
    ax = fig.add_axes([0.02, -0.03, 1.0, 0.93], projection="3d", computed_zorder=False)  # paths on top
    step = max(1, len(w) // 120)
    Wg, Bg = np.meshgrid(w[::step], b[::step], indexing="ij")
    ax.plot_surface(Wg, Bg, E[::step, ::step], cmap="viridis", linewidth=0, antialiased=False, alpha=0.85, zorder=1)
    for p in r["paths"]:
        plain, clipped = _in_view(p["plain"]["path"]), p["clipped"]["path"]
        e = error_and_gradient(plain[:, 0], plain[:, 1])[0] + 0.01
        jump = np.r_[False, np.abs(np.diff(e)) > 0.05]
        e[jump] = np.nan  # no line drawn across the wall: a zig-zag over it would paint a curtain
        ax.plot(plain[:, 0], plain[:, 1], e, color=NO_CLIP, lw=1.8, zorder=12)
        # the clipped path zig-zags along the foot of the wall: dots read better than a line there
        ax.scatter(clipped[:, 0], clipped[:, 1], error_and_gradient(clipped[:, 0], clipped[:, 1])[0] + 0.01,
                   color=CLIP_COLOUR, s=3, depthshade=False, zorder=11)
    ax.set_xlim(*W_RANGE)
    ax.set_ylim(*B_RANGE)
    ax.set_xlabel("$w$", labelpad=-4)
    ax.set_ylabel("$b$", labelpad=-4)
    ax.set_zlabel("")
    fig.text(0.03, 0.5, "$E$", ha="left", va="center")   # upright: a 3-D z label is drawn turned on its side
    ax.tick_params(pad=-2)
    ax.locator_params(nbins=3)
    ax.view_init(elev=35, azim=-130)
    fig.legend([Line2D([], [], color=NO_CLIP, lw=1.8), Line2D([], [], color=CLIP_COLOUR, marker="o", ls="", ms=3)],
               [_("без клиппинга"), _("клиппинг")], loc="upper center", ncol=2, bbox_to_anchor=(0.5, 1.0),
               handlelength=1.2, columnspacing=1.0)
    saved += save(fig, figures, "cliff_surface")

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=FULL)
    mesh = ax1.pcolormesh(b, w, np.log10(G + 1e-30), cmap="magma", shading="auto", vmin=-8, rasterized=True)
    cb = fig.colorbar(mesh, ax=ax1)
    # the colour bar's quantity is in the panel title: a label beside the bar read as the next panel's
    for i, p in enumerate(r["paths"]):
        for kind, colour, ls in [("plain", NO_CLIP, "-"), ("clipped", CLIP_COLOUR, "--")]:
            path = _in_view(p[kind]["path"])
            ax1.plot(path[:, 1], path[:, 0], color=colour, ls=ls, lw=1.5)
        ax1.plot(p["start"][1], p["start"][0], "o", color="white", ms=4)
    ax1.set_xlim(*B_RANGE)
    ax1.set_ylim(*W_RANGE)
    ax1.set_xlabel("$b$")
    ax1.set_ylabel("$w$")
    ax1.grid(False)
    ax1.set_title(_("$\\log_{10} \\|\\nabla E\\|$ на плоскости $(w, b)$"))
    for i, p in enumerate(r["paths"]):
        ax2.plot(p["plain"]["grad_norm"], color=NO_CLIP, lw=1, alpha=0.8, label=_("без клиппинга") if i == 0 else None)
        ax2.plot(p["clipped"]["grad_norm"], color=CLIP_COLOUR, ls="--", lw=1, alpha=0.8, label=_("клиппинг") if i == 0 else None)
    ax2.axhline(CLIP_AT, color=CHANCE, lw=0.9, ls=":", label=_("порог"))
    ax2.set_yscale("log")
    ax2.set_ylabel("$\\|\\nabla E\\|$")
    ax2.set_xlabel(_("шаг градиентного спуска"))
    ax2.set_title(_("$\\|\\nabla E\\|$ вдоль путей"))
    legend_top(fig, *ax2.get_legend_handles_labels(), ncol=3)
    saved += save(fig, figures, "cliff_map")
    return saved
