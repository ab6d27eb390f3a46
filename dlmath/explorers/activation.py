"""Explorer 4 (chapter 5): activation functions, their derivatives, and softmax with a temperature.

Live: :func:`activation_explorer`; in the book: :func:`activation_static`.
The maths is :mod:`dlmath.activations`, tested without widgets.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from .. import activations
from ..plotting import PALETTE
from .base import Explorer, ExplorerInfo, View, dropdown, float_slider, log_slider, nice_ceiling
from .static import StaticExplorer, render_static

__all__ = ["activation_explorer", "activation_static", "EXAMPLE_LOGITS"]

_ACTIVATION_LABELS = {"relu": "ReLU", "leaky_relu": "leaky ReLU", "sigmoid": "sigmoid", "tanh": "tanh",
                      "softmax": "softmax"}
#: The example logits the right-hand panel applies the activation to.
EXAMPLE_LOGITS = np.array([2.0, 1.0, 0.2, -0.6, -1.6])


class _ActivationView(View):
    """Left: the activation and its derivative. Right: the activation applied to a vector of logits."""

    figsize = (9.0, 3.6)
    #: Fixed vertical ranges, so that moving a slider moves the curve, not the axes.
    curve_limits = {"relu": (-0.6, 5.3), "leaky_relu": (-2.8, 5.3), "sigmoid": (-0.1, 1.1), "tanh": (-1.15, 1.15)}

    def _build(self):
        self.ax_curve, self.ax_bars = self.figure.subplots(1, 2)
        self.x = np.linspace(-5, 5, 401)
        self.ax_curve.axhline(0, color="0.5", lw=0.8)
        self.ax_curve.axvline(0, color="0.5", lw=0.8)
        self.function_line, = self.ax_curve.plot([], [], color=PALETTE["blue"], lw=2.2, label="$f(x)$")
        self.derivative_line, = self.ax_curve.plot([], [], color=PALETTE["orange"], lw=2, ls="--",
                                                   label="$f'(x)$")
        self.curve_legend = None
        self.ax_curve.set_xlim(-5, 5)
        positions = np.arange(EXAMPLE_LOGITS.size)
        self.ax_bars.axhline(0, color="0.5", lw=0.8)
        self.bars = self.ax_bars.bar(positions, np.zeros_like(EXAMPLE_LOGITS), width=0.6, color=PALETTE["green"],
                                     label="output $f(z_i)$")
        self.inputs, = self.ax_bars.plot(positions, EXAMPLE_LOGITS, "D", color=PALETTE["black"], ms=6,
                                         label="input $z_i$")
        self.ax_bars.set_xticks(positions, [f"$z_{i + 1}$" for i in positions])
        self.ax_bars.set_xlabel("component")
        self.bar_legend = None

    def dynamic_artists(self):
        return [self.function_line, self.derivative_line, *self.bars.patches, self.inputs,
                self.ax_curve.title, self.ax_bars.title]

    def draw(self, activation="relu", *, slope=0.1, temperature=1.0, derivative=True):
        """Draw ``activation`` (a name in :data:`dlmath.activations.ACTIVATIONS`, or ``"softmax"``)."""
        x = self.x
        if activation == "softmax":
            # The two-class slice softmax([x, 0]/T)_1 = sigmoid(x/T): temperature stretches the curve.
            t = float(temperature)
            y = activations.softmax(np.stack([x, np.zeros_like(x)], axis=-1), t)[:, 0]
            dy = activations.sigmoid_derivative(x / t) / t
            outputs = activations.softmax(EXAMPLE_LOGITS, t)
            curve_title = f"softmax$([x, 0]/T)_1$, T = {t:.3g}"
            bar_title = f"softmax$(z/T)$, T = {t:.3g}: sum = {outputs.sum():.2f}"
            # The derivative peaks at 1/(4T): raise the top only when it would not fit.
            top = nice_ceiling(1.08 * 0.25 / t) if derivative and 0.25 / t > 1.0 else 1.1
            curve_limits, bar_limits, bar_label = (-0.1, top), (0.0, 1.05), "probability"
        else:
            if activation not in activations.ACTIVATIONS:
                raise ValueError(f"unknown activation {activation!r}; choose one of "
                                 f"{sorted(activations.ACTIVATIONS) + ['softmax']}")
            function, slope_of = activations.ACTIVATIONS[activation]
            kwargs = {"slope": slope} if activation == "leaky_relu" else {}
            y, dy = function(x, **kwargs), slope_of(x, **kwargs)
            outputs = function(EXAMPLE_LOGITS, **kwargs)
            curve_title = _ACTIVATION_LABELS[activation]
            if activation == "leaky_relu":
                curve_title += f" (α = {slope:.2f})"
            bar_title = f"{_ACTIVATION_LABELS[activation]} applied to each $z_i$"
            curve_limits, bar_limits, bar_label = self.curve_limits[activation], (-2.0, 2.5), "output $f(z_i)$"
        softmax = activation == "softmax"
        self.function_line.set_data(x, y)
        self.derivative_line.set_data(x, dy)
        self.derivative_line.set_visible(bool(derivative))
        self.inputs.set_visible(not softmax)
        for bar, height in zip(self.bars, outputs):
            bar.set_y(min(0.0, float(height)))
            bar.set_height(abs(float(height)))
        self.ax_curve.set_title(curve_title)
        self.ax_bars.set_title(bar_title)
        key = (softmax, bool(derivative), curve_limits)
        if key != self._background_key:  # the axes themselves change: limits, labels, legend
            self.ax_curve.set_ylim(*curve_limits)
            self.ax_curve.set_xlabel("$x$")
            self.ax_curve.set_ylabel("$f(x)$ and $f'(x)$" if derivative else "$f(x)$")
            self.ax_bars.set_ylim(*bar_limits)
            self.ax_bars.set_ylabel(bar_label)
            self.bars.set_label(bar_label)
            if self.curve_legend is not None:
                self.curve_legend.remove()
                self.bar_legend.remove()
            self.curve_legend = self.ax_curve.legend(
                handles=[self.function_line] + ([self.derivative_line] if derivative else []),
                loc="upper left", fontsize=9)
            handles = [self.bars] + ([] if softmax else [self.inputs])
            self.bar_legend = self.ax_bars.legend(handles=handles, loc="upper right", fontsize=8.5)
            self.set_background_key(key)
        return outputs


class _ActivationExplorer(Explorer):
    figure_text = ('Left: the activation function f(x) and, if shown, its derivative; right: bars of the activation applied to each of five example inputs z.')

    def __init__(self, activation="relu"):
        options = [(label, name) for name, label in _ACTIVATION_LABELS.items()]
        controls = {
            "activation": dropdown(options, activation, "activation"),
            "slope": float_slider(0.1, 0.0, 0.5, 0.01, "leaky slope α"),
            "temperature": log_slider(1.0, -1.3, 1.3, "temperature T"),
            "derivative": widgets.Checkbox(value=True, description="show the derivative f′(x)", indent=False),
        }
        super().__init__(_ActivationView(), controls,
                         help_text="Each activation with its derivative; softmax turns logits into "
                                   "probabilities, sharper at low temperature.")

    def _configure_controls(self):
        c = self.controls
        self._visible(c["slope"], c["activation"].value == "leaky_relu")
        self._visible(c["temperature"], c["activation"].value == "softmax")

    def _update(self):
        c = self.controls
        outputs = self.view.draw(c["activation"].value, slope=c["slope"].value, temperature=c["temperature"].value,
                                 derivative=c["derivative"].value)
        shown = ", ".join(f"{v:.3f}" for v in outputs)
        return f"Outputs for z = {EXAMPLE_LOGITS.tolist()}: [{shown}]."


def activation_explorer(activation: str = "relu") -> Explorer:
    """Activation functions and their derivatives, live, and softmax with a temperature.

    Controls: the activation (ReLU, leaky ReLU, sigmoid, tanh, softmax), leaky
    ReLU's slope, softmax's temperature :math:`T` (log scale), and whether to
    draw the derivative. Left: :math:`f(x)` and :math:`f'(x)` (for softmax, the
    two-class slice :math:`\\operatorname{softmax}([x, 0]/T)_1 = \\sigma(x/T)`).
    Right: the activation applied to a fixed vector of logits :math:`z`.
    """
    return _ActivationExplorer(activation)



def activation_static(temperatures=(0.25, 0.5, 1.0, 2.0, 4.0)) -> StaticExplorer:
    """Each activation with its derivative, then softmax at several temperatures, as a kernel-free player."""
    states = [("relu", {}), ("leaky_relu", {"slope": 0.1}), ("sigmoid", {}), ("tanh", {})]
    states += [("softmax", {"temperature": t}) for t in temperatures]
    view = _ActivationView()

    def draw(state):
        name, options = state
        outputs = view.draw(name, **options)
        shown = "[" + ", ".join(f"{v:.2f}" for v in outputs) + "]"
        if name == "softmax":
            return (f"softmax at temperature T = {options['temperature']:g}: probabilities {shown}; "
                    "a lower T sharpens them, a higher T flattens them.")
        return f"{_ACTIVATION_LABELS[name]} and its derivative; applied to z it gives {shown}."

    return render_static(view, states, draw,
                         name="activation explorer",
                   alt="ReLU, leaky ReLU, sigmoid and tanh with their derivatives and their outputs on a vector, "
                       "then softmax probabilities of the same vector at increasing temperatures.",
                   caption="Activations, then softmax with temperature: move the slider, or press play.")


EXPLORER = ExplorerInfo(
    name="activation", live=activation_explorer, static=activation_static,
    chapter="notebooks/05a_neural_network_from_scratch",
    bench_plan=[
        ("activation", ["relu", "leaky_relu", "sigmoid", "tanh", "softmax"]),
        ("temperature", [0.1, 0.2, 0.5, 1.0, 2.0, 4.0]),
        ("slope", [0.0, 0.05, 0.1, 0.2, 0.3]),
        ("derivative", [True, False]),
    ],
    test_plan=[
        ({}, "activation", ["leaky_relu", "sigmoid", "tanh", "softmax", "relu"]),
        ({"activation": "leaky_relu"}, "slope", [0.0, 0.3]),
        ({"activation": "softmax"}, "temperature", [0.1, 3.0, 0.5]),
        ({}, "derivative", [False, True]),
        ({"activation": "softmax"}, "derivative", [False, True]),
    ],
)
