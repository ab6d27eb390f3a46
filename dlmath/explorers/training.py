"""Explorer (chapter 7): a deep network trained live, with its loss curves and per-layer gradient sizes.

Live: :func:`training_explorer`; in the book: :func:`training_static`.
The maths is :mod:`dlmath.training` (:class:`~dlmath.training.DeepNetwork`,
:func:`~dlmath.training.train_run`), tested without widgets. Each control change
trains a fresh network from scratch for a fixed number of Adam steps on the
two-moons data (160 training and 80 validation points): small enough to answer
at once, large enough to show vanishing and exploding gradients, a learning rate
that is too large, and what normalisation and dropout change.
"""

from __future__ import annotations

import numpy as np

from .. import training
from ..plotting import PALETTE
from .base import Explorer, ExplorerInfo, RunCache, View, dropdown, float_slider, int_slider, log_slider
from .static import StaticExplorer, render_static

__all__ = ["training_explorer", "training_static"]

#: Steps per run, and how often a run records its losses and gradient norms.
STEPS, RECORD_EVERY = 80, 5
#: The losses are drawn between these bounds (log scale); a diverged run is clipped at the top.
LOSS_LIMITS = (0.02, 5.0)
_BATCH_SIZES = [("8", 8), ("16", 16), ("32", 32), ("64", 64), ("160 (full batch)", 160)]
_CACHE_SIZE = 64


#: The gradient panel's vertical ranges: a close-up when every layer is within reach, and a wide one
#: when the signal vanishes or explodes. Two fixed ranges, so the axes (and their cached pixels) rarely change.
GRADIENT_LIMITS = ((1e-3, 1e2), (1e-20, 1e5))
MAX_DEPTH = 8


def _gradient_limits(values) -> tuple:
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values) & (values > 0)]
    close = GRADIENT_LIMITS[0]
    if values.size and close[0] <= values.min() and values.max() <= close[1]:
        return close
    return GRADIENT_LIMITS[1]


class _TrainingView(View):
    """Left: training and validation loss per step. Right: the backward signal ‖∂L/∂Z⁽ˡ⁾‖ per layer, at the start and the end."""

    figsize = (10.0, 3.8)

    def _build(self):
        self.ax_loss, self.ax_grad = self.figure.subplots(1, 2)
        self.train_line, = self.ax_loss.plot([], [], "o-", ms=3, color=PALETTE["blue"], label="training")
        self.val_line, = self.ax_loss.plot([], [], "s--", ms=3, color=PALETTE["orange"], label="validation")
        self.chance_line = self.ax_loss.axhline(np.log(2), color=PALETTE["black"], lw=1, ls=":",
                                                label="chance (log 2)")
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlim(0, STEPS)
        self.ax_loss.set_ylim(*LOSS_LIMITS)
        self.ax_loss.set_xlabel("training step")
        self.ax_loss.set_ylabel("logistic loss (log scale)")
        self.ax_loss.set_title("Loss while training")
        self.ax_loss.legend(loc="lower left", fontsize=8.5)
        self.start_line, = self.ax_grad.plot([], [], "D-", ms=5, color=PALETTE["vermillion"],
                                             label="at initialisation")
        self.end_line, = self.ax_grad.plot([], [], "o-", ms=5, color=PALETTE["green"], label="last 5 steps")
        self.ax_grad.set_yscale("log")
        self.ax_grad.set_ylabel("backward signal ‖∂L/∂Z‖ (log scale)")
        self.grad_legend = self.ax_grad.legend(loc="upper left", fontsize=8.5)
        self.ax_grad.set_xlim(0.5, MAX_DEPTH + 1.5)
        self.ax_grad.set_xticks(range(1, MAX_DEPTH + 2))
        self.ax_grad.set_xlabel("layer (1 = input side; the last is the output)")

    def dynamic_artists(self):
        return [self.train_line, self.val_line, self.start_line, self.end_line, self.ax_grad.title]

    def draw(self, config: training.RunConfig, result: training.RunResult):
        """Show one run's curves; returns nothing (the explorer writes the status)."""
        low, high = LOSS_LIMITS
        self.train_line.set_data(result.steps, np.clip(np.nan_to_num(result.train_loss, nan=high), low, high))
        self.val_line.set_data(result.steps, np.clip(np.nan_to_num(result.val_loss, nan=high), low, high))
        layers = np.arange(1, config.depth + 2)
        start, end = result.gradient_norms[0], result.gradient_norms[-1]
        limits = _gradient_limits(np.concatenate([start, end]))
        low, high = limits
        self.start_line.set_data(layers, np.clip(start, low, high))
        self.end_line.set_data(layers, np.clip(np.nan_to_num(end, nan=high), low, high))
        self.ax_grad.set_title(f"Backward signal per layer ({config.depth} hidden + output)")
        if limits != self._background_key:
            self.ax_grad.set_ylim(*limits)
            self.set_background_key(limits)


def _describe(config: training.RunConfig, result: training.RunResult) -> str:
    start = result.gradient_norms[0]
    ratio = start[0] / start[-1] if start[-1] > 0 else float("inf")
    text = (f"At initialisation the backward signal ‖∂L/∂Z‖ at layer 1 is {ratio:.2g} times that at the output. ")
    if result.diverged:
        return text + f"Training diverged (the loss became infinite) by step {int(result.steps[-1])}."
    return text + (f"After {int(result.steps[-1])} steps: training loss {result.train_loss[-1]:.3f}, "
                   f"validation loss {result.val_loss[-1]:.3f} (chance: 0.693).")


class _TrainingExplorer(Explorer):
    figure_text = ("Left: training and validation loss of a small network over its training steps, on a log scale; "
                   "right: the size of the backward signal (the gradient with respect to each layer's pre-activations), "
                   "at initialisation and over the last steps, on a log scale.")

    def __init__(self, depth=4, activation="relu", initialisation="he", learning_rate=0.01, batch_size=32,
                 normalisation="none", dropout=0.0):
        controls = {
            "depth": int_slider(depth, 1, MAX_DEPTH, "hidden layers"),
            "activation": dropdown([("ReLU", "relu"), ("tanh", "tanh"), ("sigmoid", "sigmoid")], activation,
                                   "activation"),
            "initialisation": dropdown([("He: Var = 2/fan_in", "he"), ("Glorot: Var = 2/(fan_in + fan_out)", "glorot"),
                                        ("small: σ = 0.01", "small (σ = 0.01)"), ("large: σ = 1", "large (σ = 1)")],
                                       initialisation, "initialisation"),
            "learning_rate": log_slider(learning_rate, -4, 0, "learning rate η"),
            "batch_size": dropdown(_BATCH_SIZES, batch_size, "batch size"),
            "normalisation": dropdown([(name, name) for name in training.NORMALISATIONS], normalisation,
                                      "normalisation"),
            "dropout": float_slider(dropout, 0.0, 0.6, 0.1, "dropout rate", fmt=".1f"),
        }
        self._run = RunCache(training.train_run, _CACHE_SIZE)   # going back to a setting is instant
        super().__init__(_TrainingView(), controls,
                         help_text=f"A fresh network of 16 units per layer, trained with Adam for {STEPS} steps on "
                                   "two noisy moons each time you change a control.")

    def config(self) -> training.RunConfig:
        c = self.controls
        return training.RunConfig(depth=int(c["depth"].value), activation=c["activation"].value,
                                  initialisation=c["initialisation"].value,
                                  learning_rate=float(c["learning_rate"].value), batch_size=int(c["batch_size"].value),
                                  normalisation=c["normalisation"].value, dropout=round(float(c["dropout"].value), 2),
                                  steps=STEPS, record_every=RECORD_EVERY)

    def _update(self):
        config = self.config()
        result = self._run(config)
        self.view.draw(config, result)
        return _describe(config, result)


def training_explorer(**settings) -> Explorer:
    """Train a small deep network live and watch its losses and the gradient's size at every layer.

    Controls: the number of hidden layers (1–8, 16 units each), the activation
    (ReLU, tanh, sigmoid), the initialisation (He, Glorot, σ = 0.01, σ = 1), the
    learning rate (log scale), the batch size, batch or layer normalisation, and
    the dropout rate. Every change trains a fresh network with Adam for 80 steps
    on two noisy moons (:func:`dlmath.training.train_run`). Keyword arguments set
    the starting values (``depth``, ``activation``, ``initialisation``,
    ``learning_rate``, ``batch_size``, ``normalisation``, ``dropout``).
    """
    return _TrainingExplorer(**settings)


#: The frames of the static explorer: (what it shows, settings).
STATIC_STATES = [
    ("a healthy start: ReLU with He initialisation", {}),
    ("vanishing gradients: 8 sigmoid layers with σ = 0.01",
     {"depth": 8, "activation": "sigmoid", "initialisation": "small (σ = 0.01)"}),
    ("8 sigmoid layers with Glorot initialisation", {"depth": 8, "activation": "sigmoid", "initialisation": "glorot"}),
    ("exploding gradients: 8 ReLU layers with σ = 1", {"depth": 8, "initialisation": "large (σ = 1)"}),
    ("8 ReLU layers with He initialisation", {"depth": 8}),
    ("8 tanh layers with Glorot initialisation", {"depth": 8, "activation": "tanh", "initialisation": "glorot"}),
    ("8 sigmoid layers with σ = 0.01, rescued by batch normalisation",
     {"depth": 8, "activation": "sigmoid", "initialisation": "small (σ = 0.01)", "normalisation": "batch norm"}),
    ("the same with layer normalisation instead: not rescued in 80 steps",
     {"depth": 8, "activation": "sigmoid", "initialisation": "small (σ = 0.01)", "normalisation": "layer norm"}),
    ("a learning rate too small: η = 0.0003", {"learning_rate": 3e-4}),
    ("a learning rate too large: η = 0.5", {"learning_rate": 0.5}),
    ("batch size 8: noisier steps", {"batch_size": 8}),
    ("dropout 0.5", {"dropout": 0.5}),
]


def training_static() -> StaticExplorer:
    """The explorer's telling settings, as a kernel-free player: one trained run per frame."""
    view = _TrainingView()
    defaults = training.RunConfig(steps=STEPS, record_every=RECORD_EVERY)

    def draw(state):
        label, settings = state
        config = training.RunConfig(**{**defaults.__dict__, **settings})
        result = training.train_run(config)
        view.draw(config, result)
        return f"{label[0].upper()}{label[1:]}. {_describe(config, result)}"

    return render_static(view, STATIC_STATES, draw, name="training explorer",
                         alt="Loss curves of a small network and the size of the backward signal at each layer, for a "
                             "sequence of depths, activations, initialisations, normalisations, learning rates, batch "
                             "sizes and dropout rates.",
                         caption="Training a deep network: move the slider, or press play, to step through settings.")


EXPLORER = ExplorerInfo(
    name="training", live=training_explorer, static=training_static,
    chapter="notebooks/07_training_deep_networks",
    bench_plan=[
        ("learning_rate", [0.001, 0.003, 0.03, 0.1, 0.3]),
        ("activation", ["tanh", "sigmoid", "relu"]),
        ("initialisation", ["glorot", "small (σ = 0.01)", "large (σ = 1)", "he"]),
        ("depth", [2, 3, 5, 6]),
        ("batch_size", [16, 64, 160, 32]),
        ("normalisation", ["batch norm", "layer norm", "none"]),
        ("dropout", [0.2, 0.4, 0.0]),
    ],
    test_plan=[
        ({}, "depth", [8, 1, 4]),
        ({}, "activation", ["sigmoid", "tanh", "relu"]),
        ({}, "initialisation", ["small (σ = 0.01)", "large (σ = 1)", "glorot"]),
        ({}, "learning_rate", [0.5, 0.0003]),
        ({}, "batch_size", [8, 160]),
        ({}, "normalisation", ["batch norm", "layer norm"]),
        ({}, "dropout", [0.5]),
    ],
)
