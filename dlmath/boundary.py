"""The maths of chapter 5b's network explorer: a small network's decision boundary and its losses.

Plain NumPy functions, tested without any widget (``tests/test_explorer_network.py``):

* :func:`toy_data`: three two-class data sets in the plane — two moons, two circles, XOR —
  generated offline with a fixed seed, standardised, split 2 : 1 into training and validation;
* :func:`train_boundary`: trains a fresh :class:`dlmath.training.DeepNetwork` (``depth`` hidden
  layers of ``width`` units) with full-batch Adam, records the training and validation loss at
  every step, and returns the predicted probability of class 1 on a coarse grid of the plane;
* :func:`describe`: what a run shows, in words (the explorer's status line and alt text).

Full batch, so the training loss is the loss on the whole training set and its curve is
smooth: what changes it is the network and the learning rate, not the draw of mini-batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import training

__all__ = ["DATASETS", "ACTIVATIONS", "EXTENT", "GRID", "CHANCE_LOSS", "BLOW_UP", "BoundaryConfig", "BoundaryResult",
           "toy_data", "train_boundary", "describe", "boundary_shape"]

#: The data sets: interleaved moons, a ring around a disc, and the four quadrants of XOR.
DATASETS = ("two moons", "circles", "XOR")
#: The hidden layers' activations (:data:`dlmath.training.ACTIVATION_NAMES`).
ACTIVATIONS = training.ACTIVATION_NAMES
#: The square of the plane the boundary is drawn on (the data are standardised, so they fit inside).
EXTENT = (-2.6, 2.6)
#: Grid points per side: coarse (a forward pass over the grid takes a millisecond), drawn smoothed.
GRID = 41
#: The logistic loss of a network that always answers ½: log 2.
CHANCE_LOSS = math.log(2.0)
#: A run counts as diverged when its training loss becomes infinite or NaN, or rises above this many
#: times the larger of its starting loss and the chance loss: far worse than where it started, and
#: far worse than answering ½ everywhere.
BLOW_UP = 3.0


@dataclass(frozen=True)
class BoundaryConfig:
    """One training run: the data set, the network (``depth`` hidden layers of ``width`` units with
    ``activation``), and Adam's learning rate for ``steps`` full-batch steps."""
    dataset: str = "two moons"
    width: int = 8
    depth: int = 2
    activation: str = "relu"
    learning_rate: float = 0.01
    steps: int = 120
    seed: int = 0


@dataclass
class BoundaryResult:
    """What a run records.

    ``steps`` (0, 1, …): the step count; ``train_loss`` and ``val_loss``: the logistic loss on
    the whole training and validation sets after that many Adam steps (up to the step where a
    diverged run stopped); ``probability``: the predicted probability of class 1 at the grid
    points ``grid`` × ``grid`` (rows: the second coordinate), after the last step;
    ``train_accuracy``, ``val_accuracy``: the share of points on the right side of the boundary
    p = ½; ``diverged``: the loss became infinite or NaN, or rose above ``limit`` =
    ``BLOW_UP`` × max(starting loss, log 2).
    """
    config: BoundaryConfig
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    grid: np.ndarray
    probability: np.ndarray
    train_accuracy: float
    val_accuracy: float
    diverged: bool = False
    limit: float = math.inf


_DATA_CACHE: dict = {}


def toy_data(name: str = "two moons", n: int = 240, seed: int = 0):
    """``(X_train, y_train, X_val, y_val)``: ``n`` points of the data set ``name``, split 2 : 1.

    "two moons": two interleaved half circles of radius 1 (class 0 the upper, class 1 the lower,
    shifted by (1, −0.5)), as scikit-learn's ``make_moons``, with Gaussian noise of standard
    deviation 0.2; "circles": a ring of radius 1 (class 1) around a circle of radius 0.5 (class 0),
    as ``make_circles``, noise 0.1; "XOR": points uniform in the square [−1, 1]², of class 1 when
    both coordinates have the same sign, jittered by noise of standard deviation 0.1 after
    labelling. NumPy's generator with ``seed`` draws the noise, so no other library is needed.
    Every coordinate is standardised with the mean and standard deviation of all ``n`` points,
    and the points are shuffled before the split. The same call gives the same arrays every time.
    """
    key = (name, n, seed)
    if key in _DATA_CACHE:
        return tuple(a.copy() for a in _DATA_CACHE[key])
    rng = np.random.default_rng(seed)
    if name == "two moons":  # as scikit-learn's make_moons, with NumPy's generator
        outer, inner = np.linspace(0.0, np.pi, n - n // 2), np.linspace(0.0, np.pi, n // 2)
        X = np.vstack([np.column_stack([np.cos(outer), np.sin(outer)]),
                       np.column_stack([1.0 - np.cos(inner), 0.5 - np.sin(inner)])])
        y = np.r_[np.zeros(n - n // 2), np.ones(n // 2)]
        X = X + rng.normal(0.0, 0.2, size=X.shape)
    elif name == "circles":  # as scikit-learn's make_circles; class 1 is the outer ring
        outer = np.linspace(0.0, 2 * np.pi, n - n // 2, endpoint=False)
        inner = np.linspace(0.0, 2 * np.pi, n // 2, endpoint=False)
        X = np.vstack([np.column_stack([np.cos(outer), np.sin(outer)]),
                       0.5 * np.column_stack([np.cos(inner), np.sin(inner)])])
        y = np.r_[np.ones(n - n // 2), np.zeros(n // 2)]
        X = X + rng.normal(0.0, 0.1, size=X.shape)
    elif name == "XOR":
        X = rng.uniform(-1.0, 1.0, size=(n, 2))
        y = (X[:, 0] * X[:, 1] > 0).astype(float)
        X = X + rng.normal(0.0, 0.1, size=X.shape)
    else:
        raise ValueError(f"unknown data set {name!r}; choose one of {DATASETS}")
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    order = rng.permutation(n)  # the moons and circles are listed class by class
    X, y = X[order], y[order]
    cut = 2 * n // 3
    data = (X[:cut], y[:cut], X[cut:], y[cut:])
    _DATA_CACHE[key] = data
    return tuple(a.copy() for a in data)


def _grid_points():
    grid = np.linspace(*EXTENT, GRID)
    xx, yy = np.meshgrid(grid, grid)
    return grid, np.column_stack([xx.ravel(), yy.ravel()])


def train_boundary(config: BoundaryConfig = BoundaryConfig(), data=None) -> BoundaryResult:
    """Train a fresh network for ``config.steps`` full-batch Adam steps; record its losses and boundary.

    The network is a :class:`dlmath.training.DeepNetwork` with one logit output and the logistic
    loss, with Gaussian weights of He's variance for ReLU (as the chapter's Keras models) and of
    Glorot's (Keras's default) for tanh and sigmoid, seed ``config.seed``. Adam has β₁ = 0.9,
    β₂ = 0.999, ε = 10⁻⁷ (Keras's values). ``data`` defaults to ``toy_data(config.dataset)``. A run
    whose training loss becomes infinite, NaN, or larger than ``BLOW_UP`` × max(starting loss,
    log 2) stops there and is marked ``diverged``; its boundary is the one at the step it stopped
    (where the logits are not finite there, the probability is drawn as ½).
    """
    if config.activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {config.activation!r}; choose one of {ACTIVATIONS}")
    if not config.learning_rate > 0:
        raise ValueError(f"the learning rate must be positive; got {config.learning_rate}")
    X_train, y_train, X_val, y_val = toy_data(config.dataset) if data is None else data
    # Tiny matrix products: one BLAS thread is faster than starting and syncing several.
    with _blas_controller().limit(limits=1, user_api="blas"), np.errstate(all="ignore"):
        return _train(config, X_train, y_train, X_val, y_val)


_CONTROLLER = []


def _blas_controller():
    """threadpoolctl's view of the loaded BLAS libraries, found once (finding them takes a while)."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _train(config, X_train, y_train, X_val, y_val):
    initialisation = "he" if config.activation == "relu" else "glorot"
    net = training.DeepNetwork(X_train.shape[1], int(config.depth), int(config.width), activation=config.activation,
                               initialisation=initialisation, seed=config.seed)
    params, grads = net.params, net.grads
    adam = training.AdamState(params)
    train_losses, val_losses = [], []
    diverged, limit = False, math.inf
    for t in range(1, config.steps + 2):
        loss, _ = net.loss_and_gradients(X_train, y_train, training=False)  # the loss after t − 1 steps
        train_losses.append(loss)
        val_losses.append(net.loss(X_val, y_val))
        if t == 1:
            limit = BLOW_UP * max(loss, CHANCE_LOSS)
        if not (math.isfinite(loss) and loss <= limit):
            diverged = True
            break
        if t > config.steps:
            break
        adam.step(params, grads, t, config.learning_rate)
    from scipy.special import expit

    grid, points = _grid_points()
    logits = net.forward(points)[0]
    probability = np.where(np.isfinite(logits), expit(logits), 0.5).reshape(GRID, GRID)
    accuracy = lambda X, y: float(np.mean((net.forward(X)[0] > 0) == (y == 1)))  # noqa: E731
    return BoundaryResult(config, np.arange(len(train_losses)), np.array(train_losses), np.array(val_losses),
                          grid, probability, accuracy(X_train, y_train), accuracy(X_val, y_val), diverged,
                          limit)


def boundary_shape(result: BoundaryResult) -> str:
    """The boundary p = ½ on the grid, in a few words: absent, a straight line, or curved (and in how many pieces).

    Straight: every grid cell the boundary crosses lies within half a cell of one line fitted to
    the crossings (a least-squares fit of the cells where the predicted class changes).
    """
    p = result.probability
    side = p > 0.5
    if side.all() or not side.any():
        return "no boundary in view: the network predicts one class everywhere"
    # Cells where the predicted class changes between neighbours (right or above).
    change = np.zeros_like(side)
    change[:, :-1] |= side[:, :-1] != side[:, 1:]
    change[:-1, :] |= side[:-1, :] != side[1:, :]
    rows, cols = np.nonzero(change)
    points = np.column_stack([cols, rows]).astype(float)
    centred = points - points.mean(axis=0)
    # The distance of each crossing from the best line through them all (total least squares).
    _, singular, _ = np.linalg.svd(centred, full_matrices=False)
    spread = singular[-1] / math.sqrt(len(points)) if len(points) > 1 else 0.0
    pieces = _count_regions(side)
    if spread <= 0.5 and pieces == 2:
        return "a straight line"
    return f"curved, splitting the plane into {pieces} regions"


def _count_regions(side) -> int:
    """How many connected regions (4-neighbours) the grid's two predicted classes form."""
    from scipy.ndimage import label

    return int(label(side)[1] + label(~side)[1])


def describe(result: BoundaryResult) -> str:
    """What the run shows, in words: the final losses and accuracies, the boundary's shape, or the divergence."""
    config = result.config
    if result.diverged:
        step = int(result.steps[-1])
        return (f"Training diverged: at step {step} the training loss was "
                f"{_loss_text(result.train_loss[-1])}, more than {BLOW_UP:g} times the larger of its starting loss "
                f"and the chance loss log 2 = 0.693 (so above {result.limit:.3g}), and training stopped. "
                f"The learning rate {config.learning_rate:.3g} is too large for this network.")
    return (f"After {config.steps} steps: training loss {result.train_loss[-1]:.3f}, validation loss "
            f"{result.val_loss[-1]:.3f} (chance: 0.693); {100 * result.train_accuracy:.0f}% of the training and "
            f"{100 * result.val_accuracy:.0f}% of the validation points on the right side. "
            f"Decision boundary: {boundary_shape(result)}.")


def _loss_text(value: float) -> str:
    return f"{value:.3g}" if math.isfinite(value) else "not a number" if math.isnan(value) else "infinite"
