"""Explorer (chapter 5b): a small network's decision boundary and loss curves, as you change its
width, depth, activation and learning rate.

Live: :func:`network_explorer`; in the book: :func:`network_static`.
The maths is :mod:`dlmath.boundary` (:func:`~dlmath.boundary.toy_data`,
:func:`~dlmath.boundary.train_boundary`, :func:`~dlmath.boundary.describe`), tested without
widgets. Each control change trains a fresh network from scratch with full-batch Adam on 160
points of a two-class data set in the plane (two moons, circles or XOR), for a fixed number of
steps; the runs are cached, so going back to a setting is instant.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.colors import BoundaryNorm, ListedColormap

from .. import boundary
from ..plotting import DIVERGING_CMAP, PALETTE
from .base import Explorer, ExplorerInfo, RunCache, View, dropdown, int_slider, log_slider
from .static import StaticExplorer, render_static

__all__ = ["network_explorer", "network_static"]

#: Adam steps per run (full batch: every step sees the 160 training points).
STEPS = 120
#: The losses are drawn between these bounds (log scale); a diverged run is clipped at the top.
LOSS_LIMITS = (0.001, 4.0)
MAX_WIDTH, MAX_DEPTH = 32, 4
#: The probability is shaded in bands of 0.1, as a filled contour plot would.
LEVELS = np.linspace(0.0, 1.0, 11)
_ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "tanh", "sigmoid": "sigmoid"}
_CACHE_SIZE = 64


def _boundary_segments(result: boundary.BoundaryResult) -> list:
    """The level p = ½ of the grid's probability, as line segments (empty when there is none)."""
    import contourpy

    grid = result.grid
    generator = contourpy.contour_generator(grid, grid, result.probability, line_type="Separate")
    return [line for line in generator.lines(0.5) if len(line) > 1]


class _NetworkView(View):
    """Left: predicted probability of class 1 (shaded), the boundary p = ½ and the training points.
    Right: training and validation loss per step."""

    figsize = (9.2, 3.7)

    def _build(self):
        self.ax_map, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.0, 1.15])
        ax = self.ax_map
        low, high = boundary.EXTENT
        # The diverging map, one colour per band, mixed with white: light enough for the points to show.
        colours = mpl.colormaps[DIVERGING_CMAP](np.linspace(0.05, 0.95, len(LEVELS) - 1))[:, :3]
        cmap = ListedColormap(0.5 * colours + 0.5)
        norm = BoundaryNorm(LEVELS, cmap.N)
        self.image = ax.imshow(np.full((boundary.GRID, boundary.GRID), 0.5), extent=(low, high, low, high),
                               origin="lower", cmap=cmap, norm=norm, interpolation="bilinear",
                               aspect="equal")
        self.figure.colorbar(self.image, ax=ax, ticks=LEVELS[::2], shrink=0.9,
                             label="predicted probability of class 1")
        self.boundary_lines = LineCollection([], colors=PALETTE["black"], linewidths=2.0, label="boundary p = ½")
        ax.add_collection(self.boundary_lines)
        self.class0, = ax.plot([], [], "o", ms=4.5, color=PALETTE["blue"], mec="white", mew=0.5, label="class 0")
        self.class1, = ax.plot([], [], "^", ms=5.5, color=PALETTE["vermillion"], mec="black", mew=0.5,
                               label="class 1")
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.grid(False)
        ax.set_xlabel("$x_1$ (standardised)")
        ax.set_ylabel("$x_2$ (standardised)")
        ax.legend(handles=[self.class0, self.class1, self.boundary_lines], loc="upper center",
                  bbox_to_anchor=(0.5, -0.16), ncol=3, fontsize=8.5, handlelength=1.5)
        ax.set_title("Decision boundary and training points")
        self.train_line, = self.ax_loss.plot([], [], "-", color=PALETTE["blue"], label="training")
        self.val_line, = self.ax_loss.plot([], [], "--", color=PALETTE["orange"], label="validation")
        self.ax_loss.axhline(boundary.CHANCE_LOSS, color=PALETTE["black"], lw=1, ls=":", label="chance (log 2)")
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlim(0, STEPS)
        self.ax_loss.set_ylim(*LOSS_LIMITS)
        self.ax_loss.set_xlabel("Adam step (full batch)")
        self.ax_loss.set_ylabel("logistic loss (log scale)")
        self.ax_loss.set_title("Loss while training")
        self.ax_loss.legend(loc="lower left", fontsize=8.5)
        self.message = self.ax_loss.text(0.97, 0.95, "", transform=self.ax_loss.transAxes, ha="right", va="top",
                                         color=PALETTE["vermillion"], fontweight="bold", fontsize=10)

    def dynamic_artists(self):
        # The title and labels stay in the cached background (the setting is in the controls and the alt text).
        return [self.image, self.boundary_lines, self.class0, self.class1, self.train_line, self.val_line,
                self.message]

    def draw(self, result: boundary.BoundaryResult, data):
        """Show one run: its probability map, boundary and training points, and its loss curves."""
        X_train, y_train = data[0], data[1]
        self.image.set_data(result.probability)
        self.boundary_lines.set_segments(_boundary_segments(result))
        self.class0.set_data(X_train[y_train == 0, 0], X_train[y_train == 0, 1])
        self.class1.set_data(X_train[y_train == 1, 0], X_train[y_train == 1, 1])
        low, high = LOSS_LIMITS
        clip = lambda values: np.clip(np.nan_to_num(values, nan=high, posinf=high), low, high)  # noqa: E731
        self.train_line.set_data(result.steps, clip(result.train_loss))
        self.val_line.set_data(result.steps, clip(result.val_loss))
        self.message.set_text(f"diverged at step {int(result.steps[-1])}" if result.diverged else "")


class _NetworkExplorer(Explorer):
    figure_text = ("Left: a small network's predicted probability of class 1 over the plane, shaded from blue "
                   "(class 0) to red (class 1), its decision boundary (where the probability is one half) as a black "
                   "line, and the training points (class 0 as blue circles, class 1 as vermillion triangles); "
                   "right: its training and validation loss at every step of training, on a log scale.")

    def __init__(self, dataset="two moons", width=8, depth=2, activation="relu", learning_rate=0.01):
        controls = {
            "dataset": dropdown([(name, name) for name in boundary.DATASETS], dataset, "data set"),
            "width": int_slider(width, 1, MAX_WIDTH, "width (hidden units per layer)"),
            "depth": int_slider(depth, 1, MAX_DEPTH, "depth (hidden layers)"),
            "activation": dropdown([(label, name) for name, label in _ACTIVATION_LABELS.items()], activation,
                                   "activation"),
            "learning_rate": log_slider(learning_rate, -3, 1, "learning rate η"),
        }
        self._run = RunCache(boundary.train_boundary, _CACHE_SIZE)   # going back to a setting is instant
        super().__init__(_NetworkView(), controls,
                         help_text=f"A fresh network, trained with full-batch Adam for {STEPS} steps on 160 points "
                                   "each time you change a control.")

    def config(self) -> boundary.BoundaryConfig:
        c = self.controls
        return boundary.BoundaryConfig(dataset=c["dataset"].value, width=int(c["width"].value),
                                       depth=int(c["depth"].value), activation=c["activation"].value,
                                       learning_rate=float(c["learning_rate"].value), steps=STEPS)

    def _update(self):
        config = self.config()
        self.result = self._run(config)
        self.view.draw(self.result, boundary.toy_data(config.dataset))
        return boundary.describe(self.result)


def network_explorer(**settings) -> Explorer:
    """Train a small network live and watch its decision boundary and its losses.

    Controls: the data set (two moons, circles, XOR), the width (1–32 hidden units per layer),
    the depth (1–4 hidden layers), the activation (ReLU, tanh, sigmoid) and Adam's learning rate
    (log scale, 0.001 to 10). Every change trains a fresh network for 120 full-batch steps
    (:func:`dlmath.boundary.train_boundary`). Keyword arguments set the starting values
    (``dataset``, ``width``, ``depth``, ``activation``, ``learning_rate``).
    """
    return _NetworkExplorer(**settings)


#: The frames of the static explorer: (what it shows, settings that differ from the defaults).
STATIC_STATES = [
    ("two moons, the default network", {}),
    ("one hidden unit: the boundary is a straight line", {"width": 1}),
    ("32 units in one layer", {"width": 32, "depth": 1}),
    ("4 layers of 32 units: the training loss falls towards 0 while the validation loss climbs",
     {"width": 32, "depth": 4}),
    ("XOR with one tanh unit: a straight line, which cannot separate the quadrants",
     {"dataset": "XOR", "width": 1, "activation": "tanh"}),
    ("XOR with the default network", {"dataset": "XOR"}),
    ("circles with two hidden units in one layer", {"dataset": "circles", "width": 2, "depth": 1}),
    ("circles with eight hidden units in one layer", {"dataset": "circles", "depth": 1}),
    ("tanh instead of ReLU", {"activation": "tanh"}),
    ("sigmoid instead of ReLU", {"activation": "sigmoid"}),
    ("a learning rate too small: η = 0.001", {"learning_rate": 0.001}),
    ("a learning rate too large: η = 3", {"learning_rate": 3.0}),
]


def network_static() -> StaticExplorer:
    """The explorer's telling settings, as a kernel-free player: one trained run per frame."""
    view = _NetworkView()
    defaults = boundary.BoundaryConfig(steps=STEPS)

    def draw(state):
        label, settings = state
        config = boundary.BoundaryConfig(**{**defaults.__dict__, **settings})
        result = boundary.train_boundary(config)
        view.draw(result, boundary.toy_data(config.dataset))
        return f"{label[0].upper()}{label[1:]}. {boundary.describe(result)}"

    return render_static(view, STATIC_STATES, draw, name="network explorer",
                         alt="A small network's decision boundary over the plane, with its training points, and its "
                             "training and validation loss per step, for a sequence of data sets, widths, depths, "
                             "activations and learning rates.",
                         caption="A small network's decision boundary: move the slider, or press play, to step "
                                 "through settings.")


EXPLORER = ExplorerInfo(
    name="network", live=network_explorer, static=network_static,
    chapter="notebooks/05b_neural_network_keras",
    bench_plan=[
        ("width", [1, 2, 4, 16, 32]),
        ("depth", [1, 3, 4]),
        ("activation", ["tanh", "sigmoid", "relu"]),
        ("learning_rate", [0.001, 0.01, 0.1, 1.0, 10.0]),
        ("dataset", ["XOR", "circles", "two moons"]),
    ],
    test_plan=[
        ({}, "width", [1, 32, 3]),
        ({}, "depth", [1, 4]),
        ({}, "activation", ["tanh", "sigmoid", "relu"]),
        ({}, "learning_rate", [0.001, 5.0, 0.03]),
        ({}, "dataset", ["XOR", "circles", "two moons"]),
    ],
)
