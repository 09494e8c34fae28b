"""Every figure shows what its legend promises and its text reads: figures/check.py on every figure a smoke build
draws, in Russian and in English (the report's language), plus the check itself on figures made to fail it."""
import json

import numpy as np
import pytest
from matplotlib.lines import Line2D

import build
from figures import check, style
from figures.style import plt
from pipeline import registry


# --- the check itself: each rule fails on a figure made to break it ------------------------------------------

def _panels(n=2, **kw):
    fig, axes = plt.subplots(1, n, figsize=style.FULL, **kw)
    for ax in np.atleast_1d(axes):
        ax.plot([0, 100], [0, 1], label="a")
    return fig, axes


def test_a_clean_figure_passes():
    fig, axes = _panels()
    axes[0].set_title("left")
    style.legend_top(fig)
    assert check.problems(fig, "clean") == []
    plt.close(fig)


def test_overlapping_texts_are_named():
    fig, ax = plt.subplots(figsize=style.HALF)
    ax.text(0.5, 0.5, "first text", transform=ax.transAxes)
    ax.text(0.52, 0.5, "second text", transform=ax.transAxes)
    found = check.problems(fig, "overlap")
    assert any("overlap: text in panel 1 «first text» overlaps text in panel 1 «second text»" == p for p in found), found
    plt.close(fig)


def test_text_cut_by_the_edge():
    fig, ax = plt.subplots(figsize=style.HALF)
    fig.text(0.9, 0.5, "too far right")
    assert any("«too far right» is cut by the figure's edge" in p for p in check.problems(fig, "cut"))
    plt.close(fig)


def test_tick_labels_of_adjacent_panels_too_close():
    fig, axes = _panels(4, sharey=True)   # "100 0": the default gap at four panels across the frame
    found = check.problems(fig, "ticks")
    assert any("x tick label of panel 1 «100» and x tick label of panel 2 «0»" in p and "read as one" in p for p in found), found
    plt.close(fig)


def test_title_wider_than_its_panel():
    fig, axes = _panels(4, sharey=True)
    axes[1].set_title("a title far wider than a quarter of the frame")
    assert any("title of panel 2" in p and "wider than its panel" in p for p in check.problems(fig, "title"))
    plt.close(fig)


def test_text_below_the_room_rule_and_at_a_smaller_final_size():
    fig, ax = plt.subplots(figsize=style.HALF)
    ax.set_xlabel("tiny", fontsize=7)
    assert any("«tiny» is 7.0 pt" in p for p in check.problems(fig, "small"))
    ax.set_xlabel("ok", fontsize=9)
    assert not any("room rule" in p for p in check.problems(fig, "small"))
    assert any("room rule" in p for p in check.problems(fig, "small", scale=0.8))   # shown narrower than drawn
    plt.close(fig)


def test_a_series_hidden_under_another_fails_and_one_beside_it_passes():
    fig, ax = plt.subplots(figsize=style.HALF)
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, color=style.RED, lw=1, label="hidden")
    ax.plot(x, x, color=style.BLUE, lw=3, label="on top")
    ax.legend()
    found = check.problems(fig, "hidden")
    assert any("«hidden» in panel 1 shows only" in p for p in found), found
    assert not any("«on top»" in p for p in found), found
    ax.lines[0].set_ydata(1 - x)   # now it crosses the other one: mostly visible
    assert check.problems(fig, "hidden") == []
    plt.close(fig)


def test_a_solid_series_seen_only_through_a_dashed_one_fails():
    """The cliff map's plain descents under the clipped ones: the orange showed only between the blue dashes."""
    fig, ax = plt.subplots(figsize=style.HALF)
    x = np.linspace(0, 1, 50)
    ax.plot(x, x, color=style.RED, lw=1.0, label="plain")
    ax.plot(x, x, color=style.BLUE, lw=1.5, ls="--", label="clipped")
    ax.legend()
    found = check.problems(fig, "along")
    assert any("«plain» in panel 1 runs along «clipped»" in p for p in found), found
    ax.lines[0].set_linewidth(4)   # wide underneath: it shows on both sides of the dashes
    assert check.problems(fig, "along") == []
    plt.close(fig)


def test_a_series_outside_the_limits_and_a_legend_entry_without_a_series():
    fig, ax = plt.subplots(figsize=style.HALF)
    ax.plot([0, 1], [5, 6], color=style.RED, label="outside")
    ax.plot([0, 1], [0, 1], color=style.BLUE)
    ax.set_ylim(0, 1)
    fig.legend([ax.lines[0], Line2D([], [], color=style.GREEN)], ["outside", "promised"], loc="outside upper center", ncol=2)
    found = check.problems(fig, "limits")
    assert any("«outside» has no point inside the limits of panel 1" in p for p in found), found
    assert any("«promised» names no series drawn in the figure" in p for p in found), found
    plt.close(fig)


def test_the_check_leaves_the_figure_as_it_was():
    """It runs on figures before they close: every artist as visible as before, the same layout engine."""
    fig, axes = _panels()
    axes[0].plot([0, 100], [1, 0], color=style.RED)
    style.legend_top(fig)
    engine = fig.get_layout_engine()
    before = [(a, a.get_visible()) for a in fig.findobj()]
    check.problems(fig, "same")
    assert fig.get_layout_engine() is engine
    assert [(a, a.get_visible()) for a, _ in before] == before
    plt.close(fig)


# --- every figure of a smoke build, in both languages ---------------------------------------------------------

@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    """A smoke build (no PDFs, its own cache, so every figure is drawn) with the check on every figure it saves:
    {(folder, figure name): problems}. The build draws the figures in --lang's language and in English."""
    base = tmp_path_factory.mktemp("figures")
    found = {}

    def hook(fig, path):
        found[(path.parent.name, path.name)] = check.problems(fig, f"{path.parent.name}/{path.name}")

    style.CHECKS.append(hook)
    try:
        code = build.main(["--profile", "smoke", "--no-pdf", "--out", str(base / "out"), "--cache", str(base / "cache")])
    finally:
        style.CHECKS.remove(hook)
    assert code == 0
    skipped = json.loads((base / "out" / "results.json").read_text())["skipped"]   # MNIST offline
    return found, skipped


def test_every_figure_of_the_smoke_build_is_checked_in_both_languages(checked):
    found, skipped = checked
    declared = {f for e in registry.EXPERIMENTS if e.name not in skipped for f in e.figures}
    assert len(declared) >= 10
    for folder in ("figures", "figures-en"):
        assert {name for f, name in found if f == folder} == declared, folder


def test_every_figure_passes_the_layout_check(checked):
    problems = [p for found in checked[0].values() for p in found]
    assert not problems, f"{len(problems)} layout problems:\n" + "\n".join(problems)
