"""One plotting style for the whole book, and a few drawing helpers.

Every figure in the course uses the Okabe–Ito palette, which stays distinct
for the common forms of colour blindness, and an opaque white background, so a
figure reads the same in the book's light and dark modes. Call
:func:`use_style` once in a notebook's setup cell.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np

#: Okabe & Ito (2008), "Color Universal Design": eight colours that people with
#: any common colour-vision deficiency can still tell apart.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}

#: The order in which lines and bars take colours (yellow last: low contrast on white).
COLOR_CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "sky", "purple", "black", "yellow")]

#: Colour maps: ``viridis`` for magnitudes, ``cividis`` as an alternative, and a
#: diverging map (blue–white–vermillion would not be perceptually uniform, so we
#: use matplotlib's ``RdBu_r``, readable with red–green deficiencies) for signed values.
SEQUENTIAL_CMAP = "viridis"
DIVERGING_CMAP = "RdBu_r"
GRAY_CMAP = "gray_r"

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=COLOR_CYCLE),
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.frameon": False,
    "image.cmap": SEQUENTIAL_CMAP,
    "lines.linewidth": 2.0,
    "font.size": 10,
    # Stable SVG/PNG output from run to run (no timestamps or random ids).
    "svg.hashsalt": "dlmath",
    "path.simplify": True,
}


def use_style() -> None:
    """Apply the course style to matplotlib (palette, white background, grid).

    Called once in each notebook's setup cell, so that every figure in the
    book looks alike and stays readable in dark mode and for colour-blind readers.
    """
    mpl.rcParams.update(STYLE)


def color(name: str) -> str:
    """Return the hex code of a palette colour by its name, e.g. ``color("blue")``."""
    try:
        return PALETTE[name]
    except KeyError:
        raise KeyError(f"unknown colour {name!r}; choose one of {sorted(PALETTE)}") from None


def label_axes(ax, title: str, xlabel: str, ylabel: str) -> None:
    """Give an axes its title and axis labels in one call (every figure needs all three)."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def heatmap(ax, matrix, *, annotate: bool = True, fmt: str = "{:g}", cmap: str | None = None,
            vmin=None, vmax=None, colorbar: bool = False):
    """Draw a matrix as coloured cells, optionally writing each value in its cell.

    Rows go down and columns go right, exactly as NumPy prints the array, so a
    reader can match the picture to the printed numbers. Returns the image.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap draws a 2-D array; got shape {matrix.shape}")
    image = ax.imshow(matrix, cmap=cmap or SEQUENTIAL_CMAP, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    ax.grid(False)
    if annotate:
        for (i, j), value in np.ndenumerate(matrix):
            # Black text on light cells, white on dark ones, judged by the cell's
            # own colour, so the numbers stay legible with any colour map.
            red, green, blue, _ = image.cmap(image.norm(value))
            luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
            text_color = "black" if luminance > 0.45 else "white"
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8, color=text_color)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    return image


def arrow(ax, start, vector, *, color_name: str = "blue", label: str | None = None, **kwargs):
    """Draw ``vector`` as an arrow from ``start`` (data coordinates, equal scales)."""
    start = np.asarray(start, dtype=float)
    vector = np.asarray(vector, dtype=float)
    return ax.quiver(start[0], start[1], vector[0], vector[1], angles="xy", scale_units="xy", scale=1,
                     color=color(color_name), label=label, **kwargs)
