"""Loss surfaces and the optimizers that walk down them.

The maths behind the gradient-descent explorer, in plain functions that can be
used and tested without any widget:

* :class:`Surface` — a loss :math:`\\mathcal{L}(\\mathbf{w})` with its gradient :math:`\\nabla\\mathcal{L}(\\mathbf{w})`,
  a sensible start point and plotting window. Ready-made: a round bowl, an
  elongated valley, a Rosenbrock-like banana, a saddle, and two 1-D functions
  (see :data:`SURFACES`); :func:`quadratic` builds any axis-aligned quadratic.
* :func:`descent_path` — runs SGD, momentum or Adam from a start point and
  returns every point visited and its loss, stopping (and saying so) when the
  run diverges.

Points are NumPy arrays whose last axis holds the coordinates, so a surface
evaluates a single point of shape ``(d,)`` or a whole grid of shape
``(..., d)`` in one call (that is how the explorer draws the contours).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

__all__ = [
    "Surface", "DescentPath", "quadratic", "bowl", "valley", "banana", "saddle", "parabola",
    "double_well", "SURFACES", "get_surface", "OPTIMIZERS", "descent_path",
]


@dataclass(frozen=True)
class Surface:
    """A differentiable loss :math:`\\mathcal{L}: \\mathbb{R}^d \\to \\mathbb{R}` to descend.

    ``loss`` and ``gradient`` take an array whose last axis has length ``dim``
    and return, respectively, the losses (that axis removed) and the gradients
    (same shape as the input). ``start`` is a start point that makes a good
    first picture, ``extent`` the plotting window ``(w1_min, w1_max, w2_min,
    w2_max)`` (just ``(w_min, w_max)`` in 1-D), ``minima`` the points a
    well-tuned run should reach, and ``curvature`` the largest eigenvalue of
    the Hessian where it is constant (quadratics), the :math:`L` in "gradient
    descent converges for a learning rate below :math:`2/L`".
    """

    name: str
    formula: str
    loss: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    gradient: Callable[[np.ndarray], np.ndarray] = field(repr=False)
    dim: int
    start: tuple
    extent: tuple
    minima: tuple = ()
    curvature: float | None = None

    def __call__(self, point) -> np.ndarray:
        """The loss at ``point`` (shorthand for ``surface.loss(point)``)."""
        return self.loss(np.asarray(point, dtype=float))


def quadratic(curvatures=(1.0, 1.0), *, name: str = "quadratic", start=None, extent=None) -> Surface:
    """The axis-aligned quadratic :math:`\\mathcal{L}(\\mathbf{w}) = \\tfrac12 \\sum_i c_i w_i^2`.

    Its Hessian is ``diag(curvatures)``, so its largest curvature is
    :math:`L = \\max_i c_i` and plain gradient descent converges exactly when
    the learning rate is below :math:`2/L`. With equal curvatures it is a round
    bowl; with very different ones, a long narrow valley.
    """
    c = np.asarray(curvatures, dtype=float)
    if c.ndim != 1 or c.size == 0 or np.any(c <= 0):
        raise ValueError(f"curvatures must be a non-empty list of positive numbers; got {curvatures!r}")
    dim = c.size
    def coefficient(ci):
        return "" if ci == 1 else f"{ci:g}\\,"

    names = [f"w_{i + 1}" for i in range(dim)] if dim > 1 else ["w"]
    terms = " + ".join(f"{coefficient(ci)}{name}^2" for ci, name in zip(c, names))
    argument = "\\mathbf{w}" if dim > 1 else "w"
    if start is None:
        start = (-1.6, 1.2)[:dim] if dim <= 2 else tuple([1.0] * dim)
    if extent is None:
        extent = (-2.0, 2.0, -2.0, 2.0)[: 2 * min(dim, 2)]
    return Surface(
        name=name,
        formula=f"$\\mathcal{{L}}({argument}) = \\frac{{1}}{{2}}({terms})$",
        loss=lambda w: 0.5 * np.sum(c * w**2, axis=-1),
        gradient=lambda w: c * w,
        dim=dim,
        start=tuple(float(s) for s in start),
        extent=tuple(float(e) for e in extent),
        minima=(tuple([0.0] * dim),),
        curvature=float(c.max()),
    )


def bowl() -> Surface:
    """A round bowl, :math:`\\mathcal{L}(\\mathbf{w}) = \\tfrac12(w_1^2 + w_2^2)`: the gradient points straight at the minimum."""
    return quadratic((1.0, 1.0), name="bowl", start=(-1.6, 1.2))


def valley() -> Surface:
    """An elongated valley, :math:`\\mathcal{L}(\\mathbf{w}) = \\tfrac12(w_1^2 + 10 w_2^2)`.

    Steep across, shallow along: the largest stable learning rate (``2/10``) is
    set by the steep direction, so progress along the valley floor is slow and
    a large step zig-zags from wall to wall — the case momentum and Adam help with.
    """
    return quadratic((1.0, 10.0), name="valley", start=(-2.6, 0.9), extent=(-3.0, 3.0, -1.5, 1.5))


_BANANA_B = 10.0


def _banana_loss(w):
    x, y = w[..., 0], w[..., 1]
    return (1.0 - x) ** 2 + _BANANA_B * (y - x**2) ** 2


def _banana_gradient(w):
    x, y = w[..., 0], w[..., 1]
    inner = y - x**2
    return np.stack([-2.0 * (1.0 - x) - 4.0 * _BANANA_B * x * inner, 2.0 * _BANANA_B * inner], axis=-1)


def banana() -> Surface:
    """A Rosenbrock-like banana, :math:`\\mathcal{L}(\\mathbf{w}) = (1 - w_1)^2 + 10 (w_2 - w_1^2)^2`.

    The minimum at (1, 1) lies at the end of a curved, flat-bottomed valley: the
    gradient points mostly at the valley walls, not along the floor, so plain
    gradient descent crawls once it reaches the bottom.
    """
    return Surface(
        name="banana",
        formula="$\\mathcal{L}(\\mathbf{w}) = (1 - w_1)^2 + 10\\,(w_2 - w_1^2)^2$",
        loss=_banana_loss,
        gradient=_banana_gradient,
        dim=2,
        start=(-1.5, 2.5),
        extent=(-2.0, 2.0, -1.0, 3.0),
        minima=((1.0, 1.0),),
    )


def _saddle_loss(w):
    x, y = w[..., 0], w[..., 1]
    return 0.5 * x**2 - 0.5 * y**2 + 0.25 * y**4


def _saddle_gradient(w):
    x, y = w[..., 0], w[..., 1]
    return np.stack([x, -y + y**3], axis=-1)


def saddle() -> Surface:
    """A saddle, :math:`\\mathcal{L}(\\mathbf{w}) = \\tfrac12 w_1^2 - \\tfrac12 w_2^2 + \\tfrac14 w_2^4`.

    The origin is a saddle point (a minimum along :math:`w_1`, a maximum along
    :math:`w_2`); the two minima are at :math:`(0, \\pm 1)`. Started on the line
    :math:`w_2 = 0` gradient descent stalls at the saddle; started a hair off
    it, it slowly escapes.
    """
    return Surface(
        name="saddle",
        formula="$\\mathcal{L}(\\mathbf{w}) = \\frac{1}{2}w_1^2 - \\frac{1}{2}w_2^2 + \\frac{1}{4}w_2^4$",
        loss=_saddle_loss,
        gradient=_saddle_gradient,
        dim=2,
        start=(1.8, 0.05),
        extent=(-2.0, 2.0, -2.0, 2.0),
        minima=((0.0, -1.0), (0.0, 1.0)),
    )


def parabola() -> Surface:
    """The 1-D parabola :math:`\\mathcal{L}(w) = w^2` (curvature :math:`L = 2`: converges for a learning rate below 1)."""
    surface = quadratic((2.0,), name="parabola", start=(-1.5,), extent=(-2.0, 2.0))
    return replace(surface, formula="$\\mathcal{L}(w) = w^2$")


_WELL_TILT = 0.3


def double_well() -> Surface:
    """A tilted 1-D double well, :math:`\\mathcal{L}(w) = \\tfrac14 w^4 - \\tfrac12 w^2 + 0.3\\,w`.

    Two valleys: a shallow one on the right (a local minimum) and a deeper one
    on the left (the global minimum). Where gradient descent ends up depends on
    where it starts and on the step size.
    """
    minima = np.roots([1.0, 0.0, -1.0, _WELL_TILT])  # L'(w) = w^3 - w + tilt = 0
    minima = sorted(float(r.real) for r in minima if abs(r.imag) < 1e-12 and 3 * r.real**2 - 1 > 0)
    return Surface(
        name="double_well",
        formula="$\\mathcal{L}(w) = \\frac{1}{4}w^4 - \\frac{1}{2}w^2 + 0.3\\,w$",
        loss=lambda w: np.sum(0.25 * w**4 - 0.5 * w**2 + _WELL_TILT * w, axis=-1),
        gradient=lambda w: w**3 - w + _WELL_TILT,
        dim=1,
        start=(1.8,),
        extent=(-2.0, 2.0),
        minima=tuple((m,) for m in minima),
    )


#: The explorer's surfaces by name, each with a short label for menus.
SURFACES: dict[str, tuple[str, Callable[[], Surface]]] = {
    "bowl": ("round bowl", bowl),
    "valley": ("elongated valley", valley),
    "banana": ("banana (Rosenbrock-like)", banana),
    "saddle": ("saddle", saddle),
    "parabola": ("1-D parabola", parabola),
    "double_well": ("1-D double well", double_well),
}


def get_surface(surface) -> Surface:
    """Return a :class:`Surface`, given one or the name of a ready-made one (see :data:`SURFACES`)."""
    if isinstance(surface, Surface):
        return surface
    try:
        return SURFACES[surface][1]()
    except (KeyError, TypeError):
        raise ValueError(f"unknown surface {surface!r}; choose one of {sorted(SURFACES)} "
                         "or pass a Surface") from None


#: Each optimizer's hyperparameters and their defaults. ``noise`` (the standard
#: deviation of Gaussian noise added to each gradient, which turns gradient
#: descent into *stochastic* gradient descent) and its ``seed`` apply to all three.
OPTIMIZERS: dict[str, dict[str, float]] = {
    "sgd": {"noise": 0.0, "seed": 0},
    "momentum": {"momentum": 0.9, "noise": 0.0, "seed": 0},
    "adam": {"beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8, "noise": 0.0, "seed": 0},
}


@dataclass
class DescentPath:
    """The result of :func:`descent_path`.

    ``path`` has shape ``(k + 1, d)``: the start point, then the point after
    each of the ``k`` steps taken; ``losses`` has shape ``(k + 1,)``.
    ``diverged`` is True when the run was stopped because a point left every
    reasonable region (or overflowed); then ``k`` is smaller than the steps
    asked for and ``path[-1]`` is the first point past the limit.

    It unpacks like a pair: ``path, losses = descent_path(...)``.
    """

    path: np.ndarray
    losses: np.ndarray
    diverged: bool
    optimizer: str
    learning_rate: float
    hyperparameters: dict

    @property
    def steps_taken(self) -> int:
        """How many steps were taken (fewer than asked when the run diverged)."""
        return len(self.path) - 1

    def __iter__(self):
        return iter((self.path, self.losses))


def descent_path(surface, optimizer: str = "sgd", learning_rate: float = 0.1, steps: int = 50,
                 start=None, *, divergence_limit: float = 1e6, **hyperparameters) -> DescentPath:
    """Run an optimizer on a surface and return every point it visits, with its loss.

    With gradient :math:`g_t = \\nabla L(w_t)` (plus Gaussian noise of standard
    deviation ``noise``, if asked) and learning rate :math:`\\eta`:

    * ``"sgd"``: :math:`w_{t+1} = w_t - \\eta\\, g_t`.
    * ``"momentum"`` (heavy ball, :math:`\\beta` = ``momentum``):
      :math:`v_{t+1} = \\beta v_t - \\eta\\, g_t`, :math:`w_{t+1} = w_t + v_{t+1}`, with :math:`v_0 = 0`.
    * ``"adam"``: :math:`m_{t+1} = \\beta_1 m_t + (1-\\beta_1) g_t`,
      :math:`v_{t+1} = \\beta_2 v_t + (1-\\beta_2) g_t^2`, bias-corrected
      :math:`\\hat m = m_{t+1}/(1-\\beta_1^{t+1})`, :math:`\\hat v = v_{t+1}/(1-\\beta_2^{t+1})`, and
      :math:`w_{t+1} = w_t - \\eta\\, \\hat m / (\\sqrt{\\hat v} + \\epsilon)`, coordinate by coordinate.
      Its first step is :math:`-\\eta\\, g/(|g| + \\epsilon)`: about :math:`\\eta` along every
      coordinate, whatever the size of the gradient.

    The run stops early, with ``diverged=True``, as soon as a point has a
    coordinate larger than ``divergence_limit`` in size or a loss that is not
    finite. ``start`` defaults to the surface's own start point;
    ``surface`` is a :class:`Surface` or the name of one in :data:`SURFACES`.
    Hyperparameters not given take the defaults in :data:`OPTIMIZERS`.
    """
    surface = get_surface(surface)
    name = str(optimizer).lower()
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)}")
    unknown = sorted(set(hyperparameters) - set(OPTIMIZERS[name]))
    if unknown:
        raise ValueError(f"{name} takes the hyperparameters {sorted(OPTIMIZERS[name])}; "
                         f"{', '.join(unknown)} does not apply to it")
    settings = {**OPTIMIZERS[name], **hyperparameters}
    learning_rate = float(learning_rate)
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(f"learning_rate must be a positive number; got {learning_rate!r}")
    if int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number >= 0; got {steps!r}")
    steps = int(steps)
    w = np.array(surface.start if start is None else start, dtype=float).reshape(-1)
    if w.shape != (surface.dim,):
        raise ValueError(f"start must have {surface.dim} coordinate(s) for the {surface.name} surface; "
                         f"got {w.size}")
    if name == "momentum" and not 0 <= settings["momentum"] < 1:
        raise ValueError(f"momentum must be in [0, 1); got {settings['momentum']!r}")
    if name == "adam" and not (0 <= settings["beta1"] < 1 and 0 <= settings["beta2"] < 1):
        raise ValueError(f"beta1 and beta2 must be in [0, 1); got {settings['beta1']!r}, {settings['beta2']!r}")

    noise = float(settings["noise"])
    rng = np.random.default_rng(settings["seed"]) if noise > 0 else None
    velocity = np.zeros_like(w)  # momentum's v, Adam's m
    second = np.zeros_like(w)  # Adam's v
    path = [w.copy()]
    losses = [float(surface.loss(w))]
    diverged = not np.isfinite(losses[0])
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(1, steps + 1):
            if diverged:
                break
            g = surface.gradient(w)
            if rng is not None:
                g = g + noise * rng.standard_normal(w.shape)
            if name == "sgd":
                w = w - learning_rate * g
            elif name == "momentum":
                velocity = settings["momentum"] * velocity - learning_rate * g
                w = w + velocity
            else:  # adam
                beta1, beta2 = settings["beta1"], settings["beta2"]
                velocity = beta1 * velocity + (1 - beta1) * g
                second = beta2 * second + (1 - beta2) * g**2
                m_hat = velocity / (1 - beta1**t)
                v_hat = second / (1 - beta2**t)
                w = w - learning_rate * m_hat / (np.sqrt(v_hat) + settings["epsilon"])
            loss = float(surface.loss(w))
            path.append(w.copy())
            losses.append(loss)
            diverged = not (np.all(np.isfinite(w)) and np.isfinite(loss)
                            and np.max(np.abs(w)) <= divergence_limit)
    return DescentPath(path=np.array(path), losses=np.array(losses), diverged=bool(diverged),
                       optimizer=name, learning_rate=learning_rate,
                       hyperparameters={k: v for k, v in settings.items()})
