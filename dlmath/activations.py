"""Activation functions and their derivatives, computed stably.

The maths behind the activation explorer, usable without any widget. Each
elementwise activation comes with its derivative (what backpropagation
multiplies by); softmax comes with a temperature :math:`T` and its Jacobian.

Numerical stability: ``sigmoid`` never evaluates :math:`e^{x}` for a large
positive :math:`x` (it would overflow), and ``softmax`` subtracts the largest
logit before exponentiating, which leaves the result unchanged
(:math:`\\operatorname{softmax}(z) = \\operatorname{softmax}(z - c)`) but keeps
every exponential at most 1.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "relu", "relu_derivative", "leaky_relu", "leaky_relu_derivative", "sigmoid", "sigmoid_derivative",
    "tanh", "tanh_derivative", "softmax", "log_softmax", "softmax_jacobian", "ACTIVATIONS",
]


def relu(x):
    """:math:`\\operatorname{ReLU}(x) = \\max(0, x)`."""
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def relu_derivative(x):
    """1 for :math:`x > 0`, 0 for :math:`x < 0`.

    At :math:`x = 0` ReLU has no derivative; we use 0 there, as the frameworks do.
    """
    return (np.asarray(x, dtype=float) > 0).astype(float)


def leaky_relu(x, slope: float = 0.01):
    """:math:`x` for :math:`x > 0`, :math:`\\alpha x` otherwise (``slope`` :math:`= \\alpha`): never completely flat."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, slope * x)


def leaky_relu_derivative(x, slope: float = 0.01):
    """1 for :math:`x > 0`, :math:`\\alpha` otherwise (``slope`` at :math:`x = 0`)."""
    return np.where(np.asarray(x, dtype=float) > 0, 1.0, float(slope))


def sigmoid(x):
    """:math:`\\sigma(x) = 1/(1 + e^{-x})`, squashing any number into :math:`(0, 1)`.

    Computed as :math:`e^{-|x|}`-based expressions on each side of zero, so
    that no exponential overflows: ``sigmoid(-1000)`` is 0, not a warning.
    """
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(x):
    """:math:`\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))`: at most 1/4 (at 0), and tiny for large :math:`|x|`."""
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    """:math:`\\tanh(x) = (e^x - e^{-x})/(e^x + e^{-x}) = 2\\sigma(2x) - 1`, in :math:`(-1, 1)`."""
    return np.tanh(np.asarray(x, dtype=float))


def tanh_derivative(x):
    """:math:`\\tanh'(x) = 1 - \\tanh^2(x)`: 1 at 0, vanishing for large :math:`|x|`."""
    return 1.0 - np.tanh(np.asarray(x, dtype=float)) ** 2


def _temperature(temperature) -> float:
    temperature = float(temperature)
    if not (np.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a positive number; got {temperature!r}")
    return temperature


def softmax(z, temperature: float = 1.0, axis: int = -1):
    """:math:`\\operatorname{softmax}(z/T)_i = e^{z_i/T} / \\sum_j e^{z_j/T}` along ``axis``.

    The outputs are positive and sum to 1: a probability for each class. A low
    temperature :math:`T` sharpens them towards the largest logit (one-hot as
    :math:`T \\to 0`); a high one flattens them (uniform as :math:`T \\to \\infty`).
    """
    scaled = np.asarray(z, dtype=float) / _temperature(temperature)
    shifted = scaled - np.max(scaled, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, temperature: float = 1.0, axis: int = -1):
    """:math:`\\log \\operatorname{softmax}(z/T)`, computed without taking the log of a tiny number."""
    scaled = np.asarray(z, dtype=float) / _temperature(temperature)
    shifted = scaled - np.max(scaled, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax_jacobian(z, temperature: float = 1.0):
    """The Jacobian of :math:`s = \\operatorname{softmax}(z/T)`.

    :math:`\\partial s_i / \\partial z_j = (\\operatorname{diag}(s) - s s^\\top)_{ij} / T`.

    ``z`` is one vector of logits, shape ``(K,)``; the result has shape ``(K, K)``.
    Each row sums to zero, because the outputs always sum to 1.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 1:
        raise ValueError(f"softmax_jacobian takes one vector of logits, shape (K,); got shape {z.shape}")
    s = softmax(z, temperature)
    return (np.diag(s) - np.outer(s, s)) / _temperature(temperature)


#: Elementwise activations by name: (function, derivative). Leaky ReLU takes a ``slope`` keyword.
ACTIVATIONS = {
    "relu": (relu, relu_derivative),
    "leaky_relu": (leaky_relu, leaky_relu_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
}
