"""Explorer 3 (chapter 2): a 2×2 matrix warping the plane.

Live: :func:`linear_map_explorer`; in the book: :func:`linear_map_static`.
The maths is :mod:`dlmath.linear_maps`, tested without widgets.
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.patches import FancyArrowPatch, Polygon

from .. import linear_maps
from ..plotting import PALETTE, label_axes
from .base import Explorer, ExplorerInfo, View, dropdown, float_slider
from .static import StaticExplorer, render_static

__all__ = ["linear_map_explorer", "linear_map_static"]

class _LinearMapView(View):
    """The plane before (grey) and after (colour) a 2×2 matrix: grid, unit square, circle, eigenvectors."""

    figsize = (7.0, 4.4)
    limit = 3.2

    def _build(self):
        ax = self.ax = self.figure.subplots()
        ax.set_aspect("equal")
        ax.set_xlim(-self.limit, self.limit)
        ax.set_ylim(-self.limit, self.limit)
        ax.add_collection(LineCollection(linear_maps.grid_lines(1.0, 5), colors="0.75", linewidths=0.8, zorder=1))
        circle = linear_maps.unit_circle()
        ax.plot(circle[:, 0], circle[:, 1], color="0.6", lw=1, ls="--", zorder=1)
        self.grid = LineCollection([], colors=PALETTE["blue"], linewidths=1.0, alpha=0.7, zorder=2,
                                   label="image of the grid")
        ax.add_collection(self.grid)
        self.square = Polygon(np.zeros((4, 2)), closed=True, facecolor=PALETTE["sky"], alpha=0.35, zorder=2,
                              edgecolor="none", label="image of the unit square\n(area |det A|)")
        ax.add_patch(self.square)
        self.circle, = ax.plot([], [], color=PALETTE["orange"], lw=2.2, zorder=3, label="image of the unit circle")
        self.eigen_lines = [ax.plot([], [], ls=(0, (5, 3)), lw=1.6, color=PALETTE["purple"], zorder=4,
                                    label="real eigenvectors")[0] for _ in range(2)]
        self.eigen_labels = [ax.text(0, 0, "", color=PALETTE["purple"], fontsize=9, ha="center", va="center",
                                     zorder=6, bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8,
                                                     "pad": 1.0}) for _ in range(2)]
        self.columns = []
        for color_name, name in (("vermillion", "$Ae_1$ (column 1)"), ("green", "$Ae_2$ (column 2)")):
            arrow = FancyArrowPatch((0, 0), (1, 0), arrowstyle="-|>", mutation_scale=14, lw=2.2, zorder=5,
                                    color=PALETTE[color_name], shrinkA=0, shrinkB=0, label=name)
            ax.add_patch(arrow)
            self.columns.append(arrow)
        self.note = ax.text(0.02, 0.02, "", transform=ax.transAxes, fontsize=9, color=PALETTE["purple"], zorder=6)
        ax.legend(handles=[self.grid, self.square, self.circle, *self.columns, self.eigen_lines[0]],
                  loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8.5, borderaxespad=0.0)
        label_axes(ax, "", "$x_1$", "$x_2$")

    def dynamic_artists(self):
        return [self.grid, self.square, self.circle, *self.eigen_lines, *self.columns, *self.eigen_labels,
                self.note, self.ax.title]

    def draw(self, matrix):
        """Show the map ``matrix``; returns ``(determinant, real_eigenvectors)``."""
        A = linear_maps.as_matrix(matrix)
        self.grid.set_segments(linear_maps.transform_grid(A, 1.0, 5))
        self.square.set_xy(linear_maps.apply(A, [[0, 0], [1, 0], [1, 1], [0, 1]]))
        ellipse = linear_maps.transform_circle(A)
        self.circle.set_data(ellipse[:, 0], ellipse[:, 1])
        for arrow, column in zip(self.columns, A.T):
            arrow.set_positions((0.0, 0.0), tuple(column))
        det = linear_maps.determinant(A)
        pairs = linear_maps.real_eigenvectors(A)
        for k, (line, label) in enumerate(zip(self.eigen_lines, self.eigen_labels)):
            if k < len(pairs):
                value, vector = pairs[k]
                ends = np.outer([-2 * self.limit, 2 * self.limit], vector)
                line.set_data(ends[:, 0], ends[:, 1])
                label.set_position(0.8 * self.limit * vector * (1 if k == 0 else -1))
                label.set_text(f"$\\lambda$ = {value:.2f}")
            else:
                line.set_data([], [])
                label.set_text("")
        self.note.set_text("" if pairs else "no real eigenvector:\ncomplex eigenvalues")
        (a, b), (c, d) = A
        self.ax.set_title(f"A = [[{a:.2f}, {b:.2f}], [{c:.2f}, {d:.2f}]],  det A = {det:.2f}", fontsize=10)
        return det, pairs


class _LinearMapExplorer(Explorer):
    figure_text = ('The plane before (grey grid, dashed unit circle) and after a 2-by-2 matrix A: the image of the grid, of the unit square (its area is the absolute determinant) and of the unit circle (an ellipse), the columns of A as arrows, and the real eigenvectors as dashed lines.')

    def __init__(self, preset="shear (k = 1)"):
        A = linear_maps.PRESETS[preset]
        names = {"a11": "a₁₁ (row 1, column 1)", "a12": "a₁₂ (row 1, column 2)",
                 "a21": "a₂₁ (row 2, column 1)", "a22": "a₂₂ (row 2, column 2)"}
        controls = {"preset": dropdown(list(linear_maps.PRESETS) + ["custom"], preset, "matrix")}
        for (key, description), value in zip(names.items(), A.ravel()):
            controls[key] = float_slider(float(value), -2.5, 2.5, 0.05, description)
        self._matrix_keys = tuple(names)
        super().__init__(_LinearMapView(), controls,
                         help_text="Choose a matrix or set its entries; the columns are where e₁ and e₂ land.")

    def _on_change(self, change):
        if self._holding:
            return
        c = self.controls
        if change["owner"] is c["preset"]:
            if change["new"] != "custom":
                with self._quiet():
                    for key, value in zip(self._matrix_keys, linear_maps.PRESETS[change["new"]].ravel()):
                        c[key].value = float(value)
        elif c["preset"].value != "custom":
            with self._quiet():
                c["preset"].value = "custom"
        self.refresh()

    def matrix(self) -> np.ndarray:
        """The matrix the sliders describe."""
        return np.array([self.controls[k].value for k in self._matrix_keys], dtype=float).reshape(2, 2)

    def _update(self):
        det, pairs = self.view.draw(self.matrix())
        area = f"areas are multiplied by |det A| = {abs(det):.2f}" + (" and the plane flips over" if det < 0 else "")
        if not pairs:
            return f"det A = {det:.2f}: {area}. Complex eigenvalues: no direction keeps its line."
        values = ", ".join(f"{value:.2f}" for value, _ in pairs)
        return f"det A = {det:.2f}: {area}. Real eigenvalue(s): {values}."


def linear_map_explorer(preset: str = "shear (k = 1)") -> Explorer:
    """A 2×2 matrix warping the plane, live: the grid, the unit square and circle, and the eigenvectors.

    Controls: a menu of named matrices (identity, stretch, shear, rotation,
    reflection, projection, a symmetric matrix) and one slider per entry. The
    figure shows the images of the grid, of the unit square (its area is
    :math:`|\\det A|`) and of the unit circle (an ellipse), the columns
    :math:`Ae_1, Ae_2`, and the real eigenvectors with their eigenvalues.
    """
    return _LinearMapExplorer(preset)



def linear_map_static(steps_between: int = 3) -> StaticExplorer:
    """A family of linear maps, morphing one into the next, as a kernel-free player.

    It moves from the identity through a stretch, a shear, a rotation, a
    reflection (the determinant passes through 0 and changes sign on the way)
    and a projection, with ``steps_between`` frames from each map to the next.
    """
    keys = ["identity", "stretch (2, 0.5)", "shear (k = 1)", "rotation 30°", "reflection (y = x)",
            "projection onto x-axis"]
    matrices = [linear_maps.PRESETS[k] for k in keys]
    states = [(keys[0], matrices[0])]
    for (start, end), name in zip(zip(matrices, matrices[1:]), keys[1:]):
        fractions = np.linspace(0, 1, int(steps_between) + 1)[1:]
        states += [(name if t == 1 else f"on the way to {name}", linear_maps.interpolate(start, end, t))
                   for t in fractions]
    view = _LinearMapView()

    def draw(state):
        name, matrix = state
        det, pairs = view.draw(matrix)
        eigen = (", ".join(f"λ = {value:.2f}" for value, _ in pairs) if pairs
                 else "complex eigenvalues, no real eigenvector")
        return f"{name}: det A = {det:.2f} ({eigen})."

    return render_static(view, states, draw,
                         name="linear map explorer",
                   alt="A grid, the unit square and the unit circle transformed by a sequence of 2-by-2 matrices, "
                       "with the determinant and the real eigenvectors of each.",
                   caption="Linear maps: move the slider to morph the identity into a stretch, a shear, "
                           "a rotation, a reflection and a projection.")


EXPLORER = ExplorerInfo(
    name="linear_map", live=linear_map_explorer, static=linear_map_static,
    chapter="notebooks/02_linear_algebra",
    bench_plan=[
        ("a11", [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0]),
        ("a12", [-0.5, -0.25, 0.0, 0.5, 1.0]),
        ("preset", ["identity", "rotation 30°", "reflection (y = x)", "projection onto x-axis"]),
        ("a21", [-1.0, 0.3, 1.2]),
        ("a22", [0.5, 1.0, 2.0]),
    ],
    test_plan=[
        ({}, "preset", ["identity", "stretch (2, 0.5)", "rotation 30°", "reflection (y = x)",
                        "projection onto x-axis", "symmetric [[2, 1], [1, 2]]", "shear (k = 1)"]),
        ({}, "a11", [-1.0, 0.0, 2.0]),
        ({}, "a12", [-2.0, 0.5]),
        ({}, "a21", [-1.5, 1.0]),
        ({}, "a22", [0.0, -2.5, 1.0]),
    ],
)
