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


def _exit(path):
    """Where a path's jump out of the plotted window crosses its edge ((w, b)), or None if it stays inside: the
    jump lands hundreds of units away, so the map shows its direction up to the edge instead of widening."""
    shown = _in_view(path)
    if len(shown) == len(path):
        return None
    p, q = shown[-1], path[len(shown)]
    t = 1.0
    for d, (lo, hi) in enumerate((W_RANGE, B_RANGE)):
        if q[d] > hi:
            t = min(t, (hi - p[d]) / (q[d] - p[d]))
        elif q[d] < lo:
            t = min(t, (lo - p[d]) / (q[d] - p[d]))
    return p + t * (q - p)


def draw(config, results, figures) -> list:
    saved = []
    r = results[0]
    w, b, E, G = r["w"], r["b"], r["error"], r["grad_norm"]

    # the 3-D surface, for a half-width column beside the clipping rule
    fig = plt.figure(figsize=(2.85, 2.6))
    fig.set_layout_engine("none")   # a 3-D axes placed by hand
    ax = fig.add_axes([0.04, 0.01, 0.98, 0.9], projection="3d", computed_zorder=False)  # paths on top
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
    fig.text(0.03, 0.66, "$E$", ha="left", va="center")   # upright: a 3-D z label is drawn turned on its side
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
    fig.get_layout_engine().set(wspace=0.12)   # the colour bar's ticks apart from the next panel's label
    # the colour bar's quantity is in the panel title: a label beside the bar read as the next panel's
    for i, p in enumerate(r["paths"]):
        # the two descents coincide until the wall: the plain one wide underneath, the clipped one thin on top, so
        # both show; the plain one's jump (it lands hundreds of units away) an arrow up to the edge of the map
        plain, exit = _in_view(p["plain"]["path"]), _exit(p["plain"]["path"])
        if exit is not None:
            ax1.annotate("", xy=(exit[1], exit[0]), xytext=(plain[-1, 1], plain[-1, 0]), annotation_clip=False,
                         arrowprops=dict(arrowstyle="-|>", color=NO_CLIP, lw=1.2, mutation_scale=10, shrinkA=0, shrinkB=0))
        ax1.plot(plain[:, 1], plain[:, 0], color=NO_CLIP, lw=2.6, solid_capstyle="butt")
        clipped = _in_view(p["clipped"]["path"])
        ax1.plot(clipped[:, 1], clipped[:, 0], color=CLIP_COLOUR, lw=0.9)
        ax1.plot(p["start"][1], p["start"][0], "o", color="white", ms=4, zorder=3)
    ax1.set_xlim(*B_RANGE)
    ax1.set_ylim(*W_RANGE)
    ax1.set_xlabel("$b$")
    ax1.set_ylabel("$w$")
    ax1.grid(False)
    ax1.set_title("$\\log_{10} \\|\\nabla E\\|$")   # the axes name the plane
    # the clipped norms zig-zag step by step along the foot of the wall: thin solid lines under the plain ones (a
    # dashed zig-zag merged into one band); the plain ones' spikes on top
    for p in r["paths"]:
        ax2.plot(p["clipped"]["grad_norm"], color=CLIP_COLOUR, lw=0.6)
    for p in r["paths"]:
        ax2.plot(p["plain"]["grad_norm"], color=NO_CLIP, lw=1.1)
    ax2.axhline(CLIP_AT, color=CHANCE, lw=0.9, ls=":")
    ax2.set_yscale("log")
    ax2.set_ylabel("$\\|\\nabla E\\|$")
    ax2.set_xlabel(_("шаг градиентного спуска"), loc="right")   # as wide as the panel: flush with its right end
    ax2.set_title(_("$\\|\\nabla E\\|$ вдоль путей"))
    legend_top(fig, [Line2D([], [], color=NO_CLIP, lw=2), Line2D([], [], color=CLIP_COLOUR, lw=1),
                     Line2D([], [], color=CHANCE, lw=0.9, ls=":")], [_("без клиппинга"), _("клиппинг"), _("порог")], ncol=3)
    saved += save(fig, figures, "cliff_map")
    return saved
