"""A figure's layout as a reader sees it, checked from matplotlib's own geometry after draw():

- text: no two texts overlap, none is cut by the figure's edge, texts of different panels side by side keep a gap
  (at 9 pt, "100" of one panel 9 pt from "0" of the next reads as "100 0"), no panel title is wider than its panel,
  no text is smaller than the room rule (style.MIN_PT) at the size the figure is shown;
- series: every legend entry names something the reader can find — in every panel where its series is drawn, the
  series has points inside the panel's limits and most of its own pixels show in the finished figure (rendered
  with and without it), so a line drawn under another one, or only outside the plotted area, fails.

problems(fig, name) returns one line per problem, naming the figure, the artists and what is wrong.
tests/test_figures.py runs it on every figure a smoke build draws (through style.CHECKS, before a figure closes)."""
from contextlib import contextmanager

import numpy as np
from matplotlib.collections import Collection, LineCollection, PolyCollection
from matplotlib.colors import to_rgb
from matplotlib.container import Container
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text

from figures.style import MIN_PT

MIN_GAP_EM = 1.5       # texts of two panels side by side: at least 1.5 em apart (9 pt text: 13.5 pt)
MIN_SHOWN = 0.25       # a legend's series must show at least a quarter of its own pixels where it is drawn
MIN_SHOWN_ALONG = 0.5  # ... and at least half where it runs along a dashed series of the legend
COINCIDE = 0.8         # "runs along": 80 % of its pixels within COINCIDE_GAP_PT of the other's
COINCIDE_GAP_PT = 2.5  # about a dash gap at 1.5 pt
TOLERANCE_PT = 0.5     # overlaps and overhangs smaller than this are rounding
PIXEL_DIFF = 0.1       # a pixel "shows" the series when a colour channel changes by more than this


def problems(fig, name: str, scale: float = 1.0) -> list[str]:
    """Everything wrong with fig's layout, one line each ("name: what"), or []. scale: the size the figure is shown
    at over the size it is drawn at (the deck includes figures at 1)."""
    fig.canvas.draw()
    texts = _texts(fig)
    fig.canvas.draw()   # again: listing the drawn ticks moved a 3-D axes' tick labels, its draw() places them
    found = _text_problems(fig, texts, fig.canvas.get_renderer(), scale) + _legend_problems(fig)
    return [f"{name}: {p}" for p in found]


# --- text ----------------------------------------------------------------------------------------------------

def _panel(fig, ax) -> str:
    title = ax.get_title() or ax.get_title("left") or ax.get_title("right")
    number = fig.axes.index(ax) + 1
    if getattr(ax, "_colorbar", None) is not None:
        return f"colour bar {number}"
    return f"panel {number}" + (f" «{title}»" if title else "")


def _texts(fig):
    """(description, Text, owner) for every text a reader sees; owner groups the texts of one panel or legend."""
    out = []

    seen = set()

    def add(text, what, owner):
        if isinstance(text, Text) and text.get_visible() and text.get_text().strip() and id(text) not in seen:
            seen.add(id(text))
            out.append((f"{what} «{text.get_text().strip()}»", text, owner))

    for ax in fig.axes:
        if not ax.get_visible():
            continue
        where = _panel(fig, ax)
        for key, title in (("center", ax.title), ("left", ax._left_title), ("right", ax._right_title)):
            add(title, f"title of {where}", ax)
        axes_dict = [("x", ax.xaxis), ("y", ax.yaxis)] + ([("z", ax.zaxis)] if hasattr(ax, "zaxis") else [])
        for letter, axis in axes_dict:
            if not axis.get_visible():
                continue
            add(axis.label, f"{letter} label of {where}", ax)
            add(axis.get_offset_text(), f"{letter} offset of {where}", ax)
            for tick in axis._update_ticks():   # the ticks inside the view: the ones drawn
                for label in (tick.label1, tick.label2):
                    add(label, f"{letter} tick label of {where}", ax)
        for text in ax.texts:
            add(text, f"text in {where}", ax)
        for legend in [ax.get_legend()] if ax.get_legend() else []:
            for text in legend.get_texts() + [legend.get_title()]:
                add(text, f"legend text of {where}", legend)
    for legend in fig.legends:
        for text in legend.get_texts() + [legend.get_title()]:
            add(text, "figure legend text", legend)
    for text in fig.texts + [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t is not None]:
        add(text, "figure text", fig)
    return out


def _text_problems(fig, texts, renderer, scale):
    pt = 72 / fig.dpi
    texts = [(what, t, owner, t.get_window_extent(renderer)) for what, t, owner in texts]
    width, height = fig.bbox.width, fig.bbox.height
    tol = TOLERANCE_PT / pt
    found = []
    for what, t, owner, box in texts:
        size = t.get_fontsize() * scale
        if size < MIN_PT - 1e-6:
            found.append(f"{what} is {size:.1f} pt at its final size, below the room rule of {MIN_PT} pt")
        if box.x0 < -tol or box.y0 < -tol or box.x1 > width + tol or box.y1 > height + tol:
            found.append(f"{what} is cut by the figure's edge")
    for i, (what_a, a, owner_a, box_a) in enumerate(texts):
        for what_b, b, owner_b, box_b in texts[i + 1:]:
            dx = max(box_a.x0, box_b.x0) - min(box_a.x1, box_b.x1)   # > 0: a horizontal gap between them
            dy = max(box_a.y0, box_b.y0) - min(box_a.y1, box_b.y1)
            if dx < -tol and dy < -tol:
                found.append(f"{what_a} overlaps {what_b}")
            elif owner_a is not owner_b and dy < -tol and dx * pt < MIN_GAP_EM * min(a.get_fontsize(), b.get_fontsize()):
                found.append(f"{what_a} and {what_b} of another panel are {max(dx, 0) * pt:.1f} pt apart, read as one "
                             f"(at least {MIN_GAP_EM:g} em)")
    for ax in fig.axes:
        title = ax.title
        if ax.get_visible() and title.get_text().strip() and not hasattr(ax, "zaxis"):
            over = title.get_window_extent(renderer).width - ax.bbox.width
            if over > tol:
                found.append(f"title of {_panel(fig, ax)} is {over * pt:.0f} pt wider than its panel")
    return found


# --- legends ---------------------------------------------------------------------------------------------------

def _rgb(colour):
    colour = np.asarray(colour, dtype=float).reshape(-1, 4)[0] if not isinstance(colour, str) else colour
    return tuple(round(c, 3) for c in to_rgb(tuple(colour[:3]) if not isinstance(colour, str) else colour))


def _style(artist):
    """What a legend entry's handle promises the reader: kind, colour, line style / marker; None if unknown."""
    if isinstance(artist, Line2D):
        ls = artist.get_linestyle()
        if ls in ("None", "", " ") and artist.get_marker() not in ("None", "", " ", None):
            return ("markers", _rgb(artist.get_markerfacecolor()), None)
        return ("line", _rgb(artist.get_color()), ls)
    if isinstance(artist, LineCollection) and len(artist.get_colors()):
        ls = artist.get_linestyle()[0]
        return ("line", _rgb(artist.get_colors()), "-" if ls[1] is None else "dashed")
    if isinstance(artist, PolyCollection) and len(artist.get_facecolors()):
        return ("patch", _rgb(artist.get_facecolors()), None)
    if isinstance(artist, Collection) and len(artist.get_facecolors()) and len(artist.get_offsets()):
        return ("markers", _rgb(artist.get_facecolors()), None)
    if isinstance(artist, Patch):
        return ("patch", _rgb(artist.get_facecolor()), None)
    return None


def _drawn(artist):
    return [a for a in (artist if isinstance(artist, Container) else [artist]) if hasattr(a, "get_visible")]


def _series(fig, handle, label):
    """The artists, per panel, that a legend entry stands for: the handle itself when it is drawn, and every
    unlabelled artist of the same kind, colour and line style (figures label one line of a group)."""
    handles = _drawn(handle)
    keys = {_style(h) for h in handles} - {None}
    by_axes = {}
    for ax in fig.axes:
        for a in ax.get_children():
            if not a.get_visible():
                continue
            mine = any(a is h for h in handles)
            alike = _style(a) in keys and (a.get_label().startswith("_") or a.get_label() == label)
            if mine or alike:
                by_axes.setdefault(ax, []).append(a)
    return by_axes


def _points_inside(ax, artists) -> bool:
    if hasattr(ax, "zaxis"):
        return True   # a 3-D axes draws what it projects; the pixels decide
    (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
    for a in artists:
        if isinstance(a, Line2D):
            x, y = (np.asarray(v, dtype=float) for v in a.get_data())
            if x.size == 1 and y.size > 1:
                x = np.full_like(y, x[0])
            if y.size == 1 and x.size > 1:
                y = np.full_like(x, y[0])
            # axhline / axvline: data in axes coordinates along one direction
            if a.get_transform() is not ax.transData and not a.get_transform().contains_branch(ax.transData):
                return True
        elif isinstance(a, Collection) and len(a.get_offsets()) and not isinstance(a, (PolyCollection, LineCollection)):
            x, y = np.asarray(a.get_offsets(), dtype=float).T
        else:
            return True   # patches, fills, line collections: the pixels decide
        if np.any((x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)):
            return True
    return False


@contextmanager
def _frozen_layout(fig):
    """Hiding an artist must not move the others: keep the layout of the first draw."""
    engine = fig.get_layout_engine()
    fig.set_layout_engine("none")
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def _render(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba(), dtype=np.float32) / 255


def _differ(a, b) -> np.ndarray:
    """Pixels where two renders differ visibly (in colour, or in cover on a transparent canvas)."""
    return np.abs(a - b).max(axis=-1) > PIXEL_DIFF


@contextmanager
def _hidden(artists):
    states = [(a, a.get_visible()) for a in artists]
    for a, _ in states:
        a.set_visible(False)
    try:
        yield
    finally:
        for a, visible in states:
            a.set_visible(visible)


def _shown(fig, full, ax, artists):
    """(the artists' own pixels, the part of them the finished figure shows): they alone on an empty canvas give
    their pixels; the figure without them tells which of those pixels they change."""
    keep = set(map(id, artists)) | {id(fig), id(ax)}
    others = [a for a in fig.findobj(include_self=False) if id(a) not in keep and a.get_visible()]
    with _hidden(others):
        alone = _render(fig)
        with _hidden(artists):
            alone = _differ(alone, _render(fig))   # what a 3-D axes draws of itself (its panes) is not the series'
    with _hidden(artists):
        changed = _differ(full, _render(fig))
    own = alone.sum()
    return alone, float((changed & alone).sum() / own) if own else 0.0


def _near(mask, radius) -> np.ndarray:
    """The pixels within radius (a square) of the mask: a dashed line's footprint with its gaps."""
    out = mask.copy()
    for dy in range(-radius, radius + 1):
        for dx in range(-radius, radius + 1):
            out |= np.roll(np.roll(mask, dy, axis=0), dx, axis=1)
    return out


def _legend_problems(fig):
    legends = [(lg, f"legend of {_panel(fig, ax)}") for ax in fig.axes if (lg := ax.get_legend())]
    legends += [(lg, "figure legend") for lg in fig.legends]
    if not legends:
        return []
    found, seen = [], {}   # seen[ax]: [(label, own pixels, shown fraction)]
    with _frozen_layout(fig):
        full = _render(fig)
        for legend, where in legends:
            for handle, text in zip(legend.legend_handles, legend.get_texts()):
                label = text.get_text()
                source = _source(fig, legend, handle, label)
                by_axes = _series(fig, source, label)
                if not by_axes:
                    found.append(f"{where}: «{label}» names no series drawn in the figure")
                    continue
                for ax, artists in by_axes.items():
                    if not _points_inside(ax, artists):
                        found.append(f"{where}: «{label}» has no point inside the limits of {_panel(fig, ax)}")
                        continue
                    own, shown = _shown(fig, full, ax, artists)
                    dashed = any(isinstance(a, Line2D) and a.get_linestyle() not in ("-", "None") for a in artists)
                    seen.setdefault(ax, []).append((where, label, own, shown, dashed))
        gap = max(1, round(COINCIDE_GAP_PT * fig.dpi / 72))
        for ax, entries in seen.items():
            for where, label, own, shown, _ in entries:
                if shown < MIN_SHOWN:
                    found.append(f"{where}: «{label}» in {_panel(fig, ax)} shows only {shown:.0%} of its pixels: "
                                 f"the rest is hidden under other artists")
                    continue
                # drawn along a dashed or dotted series and mostly under it: seen only through the other's gaps, it
                # reads as part of that line (the reader sees one series)
                for _, other, other_own, _, other_dashed in entries:
                    if other == label or not other_dashed or shown >= MIN_SHOWN_ALONG:
                        continue
                    along = (own & _near(other_own, gap)).sum() / max(own.sum(), 1)
                    if along > COINCIDE:
                        found.append(f"{where}: «{label}» in {_panel(fig, ax)} runs along «{other}» for {along:.0%} "
                                     f"of its length and shows only {shown:.0%} of its pixels: it reads as «{other}»")
                        break
    return found


def _source(fig, legend, handle, label):
    """The artist a legend entry was made from (legend.legend_handles are the legend's own copies)."""
    for ax in fig.axes:
        handles, labels = ax.get_legend_handles_labels()
        for h, lab in zip(handles, labels):
            if lab == label and _style(_drawn(h)[0] if _drawn(h) else h) == _style(handle):
                return h
    return handle   # a proxy made for the legend: its style finds the series
