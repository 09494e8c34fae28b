"""Every figure's plotted numbers as a CSV beside it (the source data a journal asks for): read back from the
matplotlib figure itself, so the CSV holds exactly what was drawn, whatever the figure's code.

Long format, one row per plotted point: panel (axes index), panel_title, series (the legend label; "" for
unlabelled lines such as single seeds), series_index (the order within the panel), kind (line, points, band,
bar), x, y (and z in 3-D axes). Colour maps over a grid (the cliff's ‖∇E‖ map, the 3-D surface) are left out: the
grid is the experiment's result (results.json), not a plotted series; such a panel is listed with kind "grid"."""
import numpy as np
import pandas as pd
from matplotlib.collections import PathCollection, PolyCollection, QuadMesh
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

COLUMNS = ["panel", "panel_title", "series", "series_index", "kind", "x", "y", "z"]


def _label(artist) -> str:
    label = artist.get_label() or ""
    return "" if label.startswith("_") else label


def _numbers(values):
    a = np.ma.filled(np.ma.asarray(values, dtype=float), np.nan)
    return np.atleast_1d(a).ravel()


def plotted_data(fig) -> pd.DataFrame:
    rows = []

    def add(panel, title, series, index, kind, x, y, z=None):
        x, y = _numbers(x), _numbers(y)
        if len(x) == 1 and len(y) > 1:
            x = np.repeat(x, len(y))
        if len(y) == 1 and len(x) > 1:
            y = np.repeat(y, len(x))
        z = _numbers(z) if z is not None else np.full(len(x), np.nan)
        for xi, yi, zi in zip(x, y, z):
            rows.append((panel, title, series, index, kind, xi, yi, zi))

    for p, ax in enumerate(fig.axes):
        if not ax.get_visible() or not ax.has_data():
            continue
        title = ax.get_title() or ax.get_ylabel()
        i = 0
        for line in ax.get_lines():
            if hasattr(line, "get_data_3d"):
                x, y, z = line.get_data_3d()
                add(p, title, _label(line), i, "line", x, y, z)
            elif isinstance(line, Line2D):
                add(p, title, _label(line), i, "line", line.get_xdata(), line.get_ydata())
            i += 1
        for c in ax.collections:
            if isinstance(c, QuadMesh) or type(c).__name__ in ("Poly3DCollection",):
                rows.append((p, title, _label(c), i, "grid", np.nan, np.nan, np.nan))
            elif isinstance(c, PathCollection):
                offsets = np.asarray(c.get_offsets())
                if offsets.size:
                    z = getattr(c, "_offsets3d", None)
                    add(p, title, _label(c), i, "points", offsets[:, 0], offsets[:, 1],
                        None if z is None else z[2])
            elif isinstance(c, PolyCollection):
                for path in c.get_paths():
                    v = path.vertices
                    add(p, title, _label(c), i, "band", v[:, 0], v[:, 1])
            i += 1
        for patch in ax.patches:
            if isinstance(patch, Rectangle):
                add(p, title, _label(patch), i, "bar", patch.get_x() + patch.get_width() / 2, patch.get_height())
                i += 1
    return pd.DataFrame(rows, columns=COLUMNS)


def write(fig, path) -> None:
    """path.csv: the figure's plotted numbers (see the module's docstring)."""
    plotted_data(fig).to_csv(path, index=False, float_format="%.6g")
