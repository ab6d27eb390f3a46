"""Explorer 1 (chapter 3): gradient descent on a loss surface.

Live: :func:`gradient_descent_explorer`; in the book: :func:`gradient_descent_static`.
The maths is :func:`dlmath.optimizers.descent_path`, tested without widgets.
"""

from __future__ import annotations

import math

import matplotlib as mpl
import numpy as np

from .. import optimizers
from ..plotting import PALETTE, label_axes
from .base import (CONTOUR_CMAP, Explorer, ExplorerInfo, View, dropdown, float_slider, int_slider, log_slider,
                   nice_ceiling)
from .static import StaticExplorer, render_static

__all__ = ["gradient_descent_explorer", "gradient_descent_static"]

_OPTIMIZER_LABELS = {"sgd": "SGD", "momentum": "momentum", "adam": "Adam"}


class _GradientDescentView(View):
    """Left: the loss surface (contours, or the curve in 1-D) with the path. Right: loss per step."""

    figsize = (9.0, 3.7)

    def _build(self):
        self.ax_surface, self.ax_loss = self.figure.subplots(1, 2, width_ratios=[1.25, 1])
        ax = self.ax_surface
        self.contours = {}  # surface name -> ContourSet, drawn once and then shown or hidden
        self.curve, = ax.plot([], [], color=PALETTE["black"], lw=1.5, zorder=1.5, label="loss $\mathcal{L}(w)$")
        self.minima_marker, = ax.plot([], [], "*", color=PALETTE["green"], ms=14, mec="white", zorder=1.8,
                                      label="minimum")
        self.path_line, = ax.plot([], [], "-o", color=PALETTE["vermillion"], lw=1.3, ms=3.5, label="path")
        self.start_marker, = ax.plot([], [], "s", color=PALETTE["black"], ms=7, label="start")
        self.legend = None
        self.loss_line, = self.ax_loss.plot([], [], "-o", color=PALETTE["blue"], lw=1.5, ms=3)
        label_axes(self.ax_loss, "loss per step", "step $t$", "loss $\mathcal{L}(w_t)$")
        self.message = self.ax_loss.text(0.97, 0.95, "", transform=self.ax_loss.transAxes, ha="right", va="top",
                                         color=PALETTE["vermillion"], fontweight="bold", fontsize=10)
        self.surface = None

    def dynamic_artists(self):
        # Only the path and the loss curve with its labels; the axes, contours
        # and legend stay in the cached background while their limits hold.
        return [self.path_line, self.start_marker, self.loss_line, self.message, self.ax_loss.title]

    def show_surface(self, surface: optimizers.Surface):
        """Switch the left panel to ``surface`` (contours are computed once per surface, then cached)."""
        if self.surface is not None and self.surface.name == surface.name:
            return
        self.surface = surface
        self.invalidate()
        ax = self.ax_surface
        for contour in self.contours.values():
            contour.set_visible(False)
        if surface.dim == 2:
            x0, x1, y0, y1 = surface.extent
            if surface.name not in self.contours:
                X, Y = np.meshgrid(np.linspace(x0, x1, 160), np.linspace(y0, y1, 160))
                Z = surface.loss(np.stack([X, Y], axis=-1))
                # Levels at quantiles of the loss: evenly spread lines on any surface.
                levels = np.unique(np.quantile(Z, np.linspace(0.01, 0.97, 16)))
                self.contours[surface.name] = ax.contour(X, Y, Z, levels=levels, cmap=CONTOUR_CMAP,
                                                         linewidths=1.0, zorder=1)
            self.contours[surface.name].set_visible(True)
            self.curve.set_data([], [])
            ax.set_xlim(x0, x1)
            ax.set_ylim(y0, y1)
            ax.set_xlabel("$w_1$")
            ax.set_ylabel("$w_2$")
            minima = np.array(surface.minima, dtype=float).reshape(-1, 2)
            self.minima_marker.set_data(minima[:, 0], minima[:, 1])
        else:
            x0, x1 = surface.extent
            grid = np.linspace(x0, x1, 300)
            values = surface.loss(grid[:, None])
            self.curve.set_data(grid, values)
            margin = 0.08 * (values.max() - values.min())
            ax.set_xlim(x0, x1)
            ax.set_ylim(values.min() - margin, values.max() + margin)
            ax.set_xlabel("$w$")
            ax.set_ylabel("loss $\mathcal{L}(w)$")
            minima = np.array(surface.minima, dtype=float).reshape(-1)
            self.minima_marker.set_data(minima, surface.loss(minima[:, None]))
        ax.set_title(surface.formula, fontsize=11)
        self._fit_loss_axes(surface)
        if self.legend is not None:
            self.legend.remove()
        handles = ([self.curve] if surface.dim == 1 else []) + [self.path_line, self.start_marker, self.minima_marker]
        self.legend = ax.legend(handles=handles, loc="lower right", fontsize=8, framealpha=0.85, frameon=True)

    def _fit_loss_axes(self, surface):
        """Fixed loss axes for each surface, so runs with different settings compare at a glance.

        A loss that is never negative gets a log scale from 1e-10 to a decade
        above its largest value in the window: linear convergence is then a
        straight line. Otherwise (the saddle, the double well) a linear scale
        spanning the losses in the window. A diverging run leaves the top.
        """
        ax = self.ax_loss
        if surface.dim == 2:
            x0, x1, y0, y1 = surface.extent
            X, Y = np.meshgrid(np.linspace(x0, x1, 60), np.linspace(y0, y1, 60))
            values = surface.loss(np.stack([X, Y], axis=-1))
        else:
            values = surface.loss(np.linspace(*surface.extent, 200)[:, None])
        low, high = float(values.min()), float(values.max())
        if low >= 0:
            ax.set_yscale("log")
            # Decades only: minor ticks cost a lot of drawing and teach little here.
            ax.yaxis.set_major_locator(mpl.ticker.LogLocator(numticks=7))
            ax.yaxis.set_minor_locator(mpl.ticker.NullLocator())
            ax.set_ylim(1e-10, 10.0 ** (math.ceil(math.log10(high)) + 1))
        else:
            ax.set_yscale("linear")
            pad = 0.1 * (high - low)
            ax.set_ylim(low - pad, high + pad)

    def draw(self, surface, optimizer="sgd", learning_rate=0.1, steps=30, start=None, **hyperparameters):
        """Run :func:`dlmath.optimizers.descent_path` and draw it; returns the result."""
        surface = optimizers.get_surface(surface)
        result = optimizers.descent_path(surface, optimizer, learning_rate, steps, start, **hyperparameters)
        self.show_surface(surface)
        path, losses = result.path, result.losses
        with np.errstate(over="ignore", invalid="ignore"):
            if surface.dim == 2:
                self.path_line.set_data(path[:, 0], path[:, 1])
                self.start_marker.set_data(path[:1, 0], path[:1, 1])
            else:
                self.path_line.set_data(path[:, 0], losses)
                self.start_marker.set_data(path[:1, 0], losses[:1])
            finite = losses[np.isfinite(losses)]
            ax = self.ax_loss
            self.loss_line.set_data(np.arange(len(finite)), finite)
            # The step axis snaps to round numbers, so dragging "steps" rarely moves it.
            ax.set_xlim(-0.5, nice_ceiling(max(steps, 1)) + 0.5)
        self.set_background_key((surface.name, ax.get_xlim()))
        label = _OPTIMIZER_LABELS[result.optimizer]
        ax.set_title(f"loss per step: {label}, η = {learning_rate:.3g}", fontsize=11)
        if result.diverged:
            self.message.set_text(f"diverged at step {result.steps_taken}")
        elif losses[-1] > losses[0]:
            self.message.set_text("the loss went up: step too large?")
        else:
            self.message.set_text("")
        return result


class _GradientDescentExplorer(Explorer):
    figure_text = ("Left: the contours of the loss surface (or its curve in one dimension) with the optimizer's path from the start point; right: the loss at each step.")

    def __init__(self, surface="valley", optimizer="sgd", learning_rate=0.15, steps=40):
        surfaces = [(label, name) for name, (label, _) in optimizers.SURFACES.items()]
        first = optimizers.get_surface(surface)
        controls = {
            "surface": dropdown(surfaces, first.name, "loss surface"),
            "optimizer": dropdown([("SGD", "sgd"), ("momentum", "momentum"), ("Adam", "adam")], optimizer,
                                   "optimizer"),
            "learning_rate": log_slider(learning_rate, -3, 0.5, "learning rate η"),
            "steps": int_slider(steps, 1, 200, "steps"),
            "start_w1": float_slider(first.start[0], -3, 3, 0.05, "start w₁"),
            "start_w2": float_slider(first.start[1] if first.dim == 2 else 0.0, -3, 3, 0.05, "start w₂"),
            "momentum": float_slider(0.9, 0.0, 0.99, 0.01, "momentum β"),
            "beta1": float_slider(0.9, 0.0, 0.99, 0.01, "Adam β₁"),
            "beta2": float_slider(0.999, 0.5, 0.999, 0.001, "Adam β₂", fmt=".3f"),
            "noise": float_slider(0.0, 0.0, 3.0, 0.05, "gradient noise σ"),
        }
        self._fit_start_sliders(controls, first)
        super().__init__(_GradientDescentView(), controls,
                         help_text="Pick a surface and an optimizer; move the learning rate and the start point.")

    @staticmethod
    def _fit_start_sliders(controls, surface):
        """Give the start sliders the surface's window, and put them at its start point."""
        extent = surface.extent if surface.dim == 2 else surface.extent + (-3.0, 3.0)
        start = surface.start if surface.dim == 2 else surface.start + (0.0,)
        for key, low, high, value in (("start_w1", extent[0], extent[1], start[0]),
                                      ("start_w2", extent[2], extent[3], start[1])):
            slider = controls[key]
            slider.min, slider.max = min(slider.min, low), max(slider.max, high)  # never min > max on the way
            slider.value = value
            slider.min, slider.max = low, high

    def _on_change(self, change):
        # A new surface moves the start point at once, so that a start set right after it (in a hold) sticks.
        if change["owner"] is self.controls["surface"]:
            with self._quiet():
                self._fit_start_sliders(self.controls, optimizers.get_surface(change["new"]))
        super()._on_change(change)

    def _configure_controls(self):
        c = self.controls
        surface = optimizers.get_surface(c["surface"].value)
        optimizer = c["optimizer"].value
        self._visible(c["start_w2"], surface.dim == 2)
        self._visible(c["momentum"], optimizer == "momentum")
        self._visible(c["beta1"], optimizer == "adam")
        self._visible(c["beta2"], optimizer == "adam")

    def _hyperparameters(self) -> dict:
        c = self.controls
        optimizer = c["optimizer"].value
        settings = {"noise": c["noise"].value}
        if optimizer == "momentum":
            settings["momentum"] = c["momentum"].value
        elif optimizer == "adam":
            settings.update(beta1=c["beta1"].value, beta2=c["beta2"].value)
        return settings

    def _update(self):
        c = self.controls
        surface = optimizers.get_surface(c["surface"].value)
        start = (c["start_w1"].value, c["start_w2"].value)[: surface.dim]
        result = self.view.draw(surface, c["optimizer"].value, c["learning_rate"].value, c["steps"].value,
                                start, **self._hyperparameters())
        self.result = result
        end = ", ".join(f"{v:.3g}" for v in result.path[-1])
        if result.diverged:
            return (f"Diverged after {result.steps_taken} steps: the learning rate is too large "
                    "for this surface's curvature.")
        return f"After {result.steps_taken} steps: w = ({end}), loss {result.losses[-1]:.4g}."


def gradient_descent_explorer(surface: str = "valley", optimizer: str = "sgd", learning_rate: float = 0.15,
                              steps: int = 40) -> Explorer:
    """Gradient descent on a loss surface, live: watch the path and the loss per step.

    Controls: the loss surface (round bowl, elongated valley, banana, saddle,
    and two 1-D functions), the optimizer (SGD, momentum, Adam) with its
    hyperparameters, the learning rate (log scale), the number of steps, the
    start point, and optional gradient noise (stochastic gradients). The
    figure shows the path over the contours (or along the curve in 1-D) and
    the loss per step, and says when the run diverges — try the valley with
    learning rates just below and just above 2/10.
    """
    return _GradientDescentExplorer(surface, optimizer, learning_rate, steps)



def _describe_run(result: optimizers.DescentPath, curvature) -> str:
    label = _OPTIMIZER_LABELS[result.optimizer]
    settings = result.hyperparameters
    extra = ""
    if result.optimizer == "momentum":
        extra = f", β = {settings['momentum']:g}"
    elif result.optimizer == "adam":
        extra = f", β₁ = {settings['beta1']:g}, β₂ = {settings['beta2']:g}"
    text = f"{label}, learning rate η = {result.learning_rate:g}{extra}: "
    if result.optimizer == "sgd" and curvature:
        side = "below" if result.learning_rate < 2 / curvature else "above"
        text += f"η is {side} 2/L = {2 / curvature:g}, so "
    if result.diverged:
        return text + f"the run diverges (stopped after {result.steps_taken} steps)."
    if result.losses[-1] > result.losses[0]:
        return text + f"the loss grows, from {result.losses[0]:.3g} to {result.losses[-1]:.3g}."
    return (text + f"the loss falls from {result.losses[0]:.3g} to {result.losses[-1]:.3g} "
            f"in {result.steps_taken} steps.")


def gradient_descent_static(surface: str = "valley", settings=None, steps: int = 40) -> StaticExplorer:
    """Gradient descent for several learning rates and optimizers, as a kernel-free player.

    Each frame is one complete run; the slider moves through ``settings``, a
    list of ``(optimizer, learning_rate, hyperparameters)``. The default, on
    the elongated valley (largest curvature L = 10, so plain gradient descent
    is stable only for :math:`\\eta < 2/L = 0.2`), goes from a timid step
    through zig-zags to divergence, then shows momentum and Adam.
    """
    surface = optimizers.get_surface(surface)
    if settings is None:
        settings = [("sgd", lr, {}) for lr in (0.02, 0.05, 0.1, 0.15, 0.19, 0.21)]
        settings += [("momentum", 0.02, {"momentum": 0.9}), ("momentum", 0.05, {"momentum": 0.7}),
                     ("adam", 0.1, {}), ("adam", 0.3, {})]
    view = _GradientDescentView()

    def draw(setting):
        optimizer, learning_rate, hyperparameters = setting
        result = view.draw(surface, optimizer, learning_rate, steps, **hyperparameters)
        return _describe_run(result, surface.curvature)

    return render_static(view, list(settings), draw,
                         name="gradient descent explorer",
                   alt=f"Gradient descent on the {surface.name} surface: each frame shows the path over the "
                       "contours and the loss per step for one optimizer and learning rate.",
                   caption="Gradient descent: move the slider, or press play, to step through "
                           "learning rates and optimizers.")


EXPLORER = ExplorerInfo(
    name="gradient_descent", live=gradient_descent_explorer, static=gradient_descent_static,
    chapter="notebooks/03_calculus_gradients",
    bench_plan=[
        ("learning_rate", [0.01, 0.02, 0.03, 0.05, 0.08, 0.12, 0.15, 0.19, 0.21]),
        ("steps", [20, 30, 45, 60, 90, 120, 200]),
        ("optimizer", ["sgd", "momentum", "adam"]),
        ("start_w1", [-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5]),
        ("surface", ["valley", "bowl", "banana", "saddle", "parabola", "double_well"]),
        ("momentum", [0.5, 0.8, 0.95]),
        ("noise", [0.0, 0.3, 1.0]),
    ],
    test_plan=[
        ({}, "surface", ["bowl", "banana", "saddle", "parabola", "double_well", "valley"]),
        ({}, "optimizer", ["momentum", "adam", "sgd"]),
        ({}, "learning_rate", [0.01, 0.05, 0.3, 1.0]),
        ({}, "steps", [5, 80, 200]),
        ({}, "start_w1", [-2.0, 1.0, 2.5]),
        ({}, "start_w2", [-1.0, 0.5]),
        ({"optimizer": "momentum", "learning_rate": 0.02}, "momentum", [0.0, 0.5, 0.95]),
        ({"optimizer": "adam"}, "beta1", [0.0, 0.5, 0.95]),
        ({"optimizer": "adam"}, "beta2", [0.5, 0.9, 0.99]),
        ({"optimizer": "sgd"}, "noise", [0.5, 1.0, 0.0]),
        ({"surface": "double_well"}, "start_w1", [-1.5, 0.2, 1.9]),
    ],
)
