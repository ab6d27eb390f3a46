"""The maths of chapter 7, "Training deep networks", and of its explorer.

Plain NumPy functions, tested without any widget (``tests/test_ch07.py``):

* initialisation: :func:`init_std` (Glorot, He, and two bad choices) and :func:`init_weights`;
* optimiser steps as pure functions: :func:`adam_step` (with or without bias
  correction, with an L2 term in the gradient or decoupled weight decay, as AdamW);
* learning-rate schedules: :func:`learning_rate_at` (constant, step, cosine, warm-up + cosine);
* stochastic gradients: :func:`minibatch_gradient_spread` and its prediction
  :func:`predicted_minibatch_spread`;
* layers with their backward passes: :func:`dropout_forward`/:func:`dropout_backward`
  (inverted dropout), :func:`batch_norm_forward`/:func:`batch_norm_backward`,
  :func:`layer_norm_forward`/:func:`layer_norm_backward`;
* the deep network the explorer trains: :class:`DeepNetwork` (depth, activation,
  initialisation, normalisation and dropout are its settings) and :func:`train_run`,
  which trains it and records the losses and each layer's gradient norm;
* :func:`k_fold_indices`, the validation protocol's splits.

Everything computes in float64 unless a dtype is given: this module checks maths,
and the explorer's networks are small enough that the precision costs nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


__all__ = [
    "INITIALISATIONS", "ACTIVATION_NAMES", "init_std", "init_weights", "adam_step", "AdamState", "learning_rate_at", "SCHEDULES",
    "minibatch_gradient_spread", "predicted_minibatch_spread", "dropout_forward", "dropout_backward",
    "batch_norm_forward", "batch_norm_backward", "layer_norm_forward", "layer_norm_backward",
    "k_fold_indices", "NORMALISATIONS", "DeepNetwork", "RunConfig", "RunResult", "train_run", "explorer_data",
]

#: The initialisations the chapter compares. Glorot and He preserve the signal's variance;
#: the two fixed standard deviations show what happens when nothing does.
INITIALISATIONS = ("glorot", "he", "small (σ = 0.01)", "large (σ = 1)")

#: The activations of the explorer's network.
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid")


# --- initialisation -----------------------------------------------------------------------------

def init_std(fan_in: int, fan_out: int, scheme: str) -> float:
    """The standard deviation of the Gaussian weights of a ``fan_in × fan_out`` layer.

    ``"glorot"``: Var[w] = 2 / (fan_in + fan_out), the compromise between keeping the
    forward signal (1 / fan_in) and the backward signal (1 / fan_out) for tanh-like
    activations. ``"he"``: Var[w] = 2 / fan_in, which makes up for ReLU zeroing half of
    its inputs. The two fixed choices ignore the layer's size.
    """
    if fan_in < 1 or fan_out < 1:
        raise ValueError(f"fan_in and fan_out must be ≥ 1; got {fan_in}, {fan_out}")
    if scheme == "glorot":
        return math.sqrt(2.0 / (fan_in + fan_out))
    if scheme == "he":
        return math.sqrt(2.0 / fan_in)
    if scheme == "small (σ = 0.01)":
        return 0.01
    if scheme == "large (σ = 1)":
        return 1.0
    raise ValueError(f"unknown initialisation {scheme!r}; choose one of {INITIALISATIONS}")


def init_weights(fan_in: int, fan_out: int, scheme: str, rng, dtype=np.float64) -> np.ndarray:
    """Weights of shape ``(fan_in, fan_out)`` drawn from N(0, init_std²)."""
    return (rng.standard_normal((fan_in, fan_out)) * init_std(fan_in, fan_out, scheme)).astype(dtype)


# --- optimiser steps ----------------------------------------------------------------------------

def adam_step(theta, grad, m, s, t: int, learning_rate: float, *, beta1: float = 0.9, beta2: float = 0.999,
              eps: float = 1e-7, weight_decay: float = 0.0, decoupled: bool = False,
              bias_correction: bool = True):
    """One Adam step, as a pure function: returns the new ``(theta, m, s)``.

    ``t`` counts steps from 1. With ``weight_decay`` λ and ``decoupled=False`` the
    L2 penalty's gradient λθ is added to ``grad`` (so it passes through Adam's
    scaling); with ``decoupled=True`` (AdamW, as Keras's ``AdamW``) the parameters
    shrink by ``learning_rate · λ · θ`` directly, before the Adam step, whatever the
    gradient's scale. ``eps`` defaults to Keras's 1e-7.
    """
    if t < 1:
        raise ValueError(f"the step counter t starts at 1; got {t}")
    theta = np.asarray(theta, dtype=float)
    grad = np.asarray(grad, dtype=float)
    if weight_decay and decoupled:
        theta = theta - learning_rate * weight_decay * theta
    elif weight_decay:
        grad = grad + weight_decay * theta
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
    s = beta2 * np.asarray(s, dtype=float) + (1 - beta2) * grad ** 2
    if bias_correction:
        m_hat, s_hat = m / (1 - beta1 ** t), s / (1 - beta2 ** t)
    else:
        m_hat, s_hat = m, s
    return theta - learning_rate * m_hat / (np.sqrt(s_hat) + eps), m, s


class AdamState:
    """Adam's running averages for one flat parameter array, and the step of :func:`adam_step` in place.

    The explorers train a fresh network on every control change, so their Adam allocates nothing per
    step: ``step`` updates ``params`` in place with the formula of :func:`adam_step` (no weight
    decay), the bias corrections folded into two scalars, so the two agree up to rounding.
    """

    def __init__(self, params, *, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-7):
        self.m, self.s = np.zeros_like(params), np.zeros_like(params)
        self._update, self._denominator = np.empty_like(params), np.empty_like(params)
        self.beta1, self.beta2, self.eps = beta1, beta2, eps

    def step(self, params, grads, t: int, learning_rate: float) -> None:
        """Step ``t`` (from 1): ``params -= η · m̂ / (√ŝ + ε)``, ``params`` changed in place."""
        beta1, beta2, update, denominator = self.beta1, self.beta2, self._update, self._denominator
        self.m *= beta1
        self.m += (1 - beta1) * grads
        self.s *= beta2
        np.multiply(grads, grads, out=update)
        self.s += (1 - beta2) * update
        np.divide(self.s, 1 - beta2 ** t, out=denominator)
        np.sqrt(denominator, out=denominator)
        denominator += self.eps
        np.divide(self.m, denominator, out=update)
        update *= learning_rate / (1 - beta1 ** t)
        params -= update


# --- learning-rate schedules --------------------------------------------------------------------

SCHEDULES = ("constant", "step", "cosine", "warm-up + cosine")


def learning_rate_at(step: int, total_steps: int, base_lr: float, schedule: str = "constant", *,
                     warmup_steps: int = 0, drop_every: int | None = None, drop_factor: float = 0.1,
                     min_lr: float = 0.0) -> float:
    """The learning rate η_t at step ``step`` (counted from 0) of ``total_steps``.

    * ``"constant"``: η_t = η.
    * ``"step"``: η_t = η · drop_factor^⌊t / drop_every⌋ (default: drop by 10 at half-time).
    * ``"cosine"``: η_t = η_min + (η − η_min) (1 + cos(π t / T)) / 2, from η down to η_min.
    * ``"warm-up + cosine"``: η (t + 1) / W for the first W = ``warmup_steps`` steps,
      then the cosine over the remaining T − W steps.
    """
    if not 0 <= step < total_steps:
        raise ValueError(f"step must lie in 0…{total_steps - 1}; got {step}")
    if schedule == "constant":
        return float(base_lr)
    if schedule == "step":
        every = drop_every or max(1, total_steps // 2)
        return float(base_lr * drop_factor ** (step // every))
    if schedule == "cosine":
        return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * step / total_steps)) / 2)
    if schedule == "warm-up + cosine":
        if step < warmup_steps:
            return float(base_lr * (step + 1) / warmup_steps)
        progress = (step - warmup_steps) / max(1, total_steps - warmup_steps)
        return float(min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2)
    raise ValueError(f"unknown schedule {schedule!r}; choose one of {SCHEDULES}")


# --- stochastic gradients -----------------------------------------------------------------------

def minibatch_gradient_spread(per_example_grads, batch_size: int, rng, *, repeats: int = 2000,
                              replace: bool = False) -> float:
    """Measured E‖ĝ_B − g‖²: how far a mini-batch mean gradient lands from the full-batch one.

    ``per_example_grads`` has one row per training example; g is their mean, ĝ_B the
    mean of ``batch_size`` rows drawn at random (without replacement, as an epoch's
    shuffle draws them, unless ``replace``). Averaged over ``repeats`` draws.
    """
    G = np.asarray(per_example_grads, dtype=float)
    centred = G - G.mean(axis=0)                      # ĝ_B − g is the mean of the batch's centred rows
    n = G.shape[0]
    if not 1 <= batch_size <= n:
        raise ValueError(f"batch_size must lie in 1…{n}; got {batch_size}")
    total = 0.0
    if replace:
        chunk = max(1, 200_000 // (batch_size * G.shape[1]) + 1)   # draws per chunk: bounded memory
    else:
        chunk = max(1, 1_000_000 // n)
    for first in range(0, repeats, chunk):
        count = min(chunk, repeats - first)
        if replace:
            rows = rng.integers(0, n, size=(count, batch_size))
            total += float((centred[rows].mean(axis=1) ** 2).sum())
        else:
            # One random permutation of the n examples per draw: the examples that land in its first
            # B places form a batch drawn without replacement. Written as a 0/1 matrix (one row per
            # draw), one matrix product sums every draw's batch at once, which is much faster than
            # gathering B rows per draw when B is large.
            positions = rng.permuted(np.tile(np.arange(n), (count, 1)), axis=1)
            in_batch = (positions < batch_size).astype(float)          # (count, n), B ones per row
            total += float(((in_batch @ centred / batch_size) ** 2).sum())
    return total / repeats


def predicted_minibatch_spread(per_example_grads, batch_size: int, *, replace: bool = False) -> float:
    """The exact E‖ĝ_B − g‖² = tr(Σ) / B, times (n − B)/(n − 1) when drawing without replacement.

    Σ is the covariance of the per-example gradients over the n examples (divided by n).
    """
    G = np.asarray(per_example_grads, dtype=float)
    n = G.shape[0]
    trace = float(((G - G.mean(axis=0)) ** 2).sum() / n)
    correction = 1.0 if replace else (n - batch_size) / (n - 1)
    return trace / batch_size * correction


# --- dropout ------------------------------------------------------------------------------------

def dropout_forward(A, rate: float, rng=None, *, training: bool = True):
    """Inverted dropout: returns ``(output, mask)``.

    In training each entry is kept with probability 1 − rate and the kept ones are
    divided by 1 − rate, so E[output] = A; at inference the layer is the identity
    (``mask`` is None) and nothing needs rescaling.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"the dropout rate must lie in [0, 1); got {rate}")
    A = np.asarray(A)
    if not training or rate == 0:
        return A, None
    mask = rng.random(A.shape) >= rate
    return A * mask / (1 - rate), mask


def dropout_backward(grad_output, mask, rate: float):
    """The gradient through inverted dropout: the same mask and the same 1 / (1 − rate)."""
    if mask is None:
        return grad_output
    return grad_output * mask / (1 - rate)


# --- batch and layer normalisation --------------------------------------------------------------

def _normalise_forward(X, gamma, beta, eps, axis):
    # np.add.reduce instead of X.mean / X.var: the same sums, without their per-call overhead
    # (the explorer normalises tiny arrays thousands of times per run).
    scale = 1.0 / X.shape[axis]
    centred = X - np.add.reduce(X, axis=axis, keepdims=True) * scale
    variance = np.add.reduce(centred * centred, axis=axis, keepdims=True) * scale   # biased: divided by the count
    inv_std = 1.0 / np.sqrt(variance + eps)
    X_hat = centred * inv_std
    return gamma * X_hat + beta, (X_hat, inv_std, gamma, axis)


def _normalise_backward(grad_Y, cache):
    X_hat, inv_std, gamma, axis = cache
    # γ and β belong to the features in both layers: their gradients sum over the examples.
    grad_gamma = np.add.reduce(grad_Y * X_hat, axis=0)
    grad_beta = np.add.reduce(grad_Y, axis=0)
    grad_X_hat = grad_Y * gamma
    scale = 1.0 / X_hat.shape[axis]
    # x̂ = (x − μ)/σ with μ, σ computed from the same x: two correction terms, one for each.
    grad_X = inv_std * (grad_X_hat - np.add.reduce(grad_X_hat, axis=axis, keepdims=True) * scale
                        - X_hat * (np.add.reduce(grad_X_hat * X_hat, axis=axis, keepdims=True) * scale))
    return grad_X, grad_gamma, grad_beta


def batch_norm_forward(X, gamma, beta, eps: float = 1e-3):
    """Batch normalisation in training mode: each feature (column) normalised over the batch.

    ``X`` is ``(n, d)``; ``gamma``, ``beta`` are ``(d,)``. Returns ``(Y, cache)``.
    ``eps`` is Keras's default, 1e-3.
    """
    return _normalise_forward(np.asarray(X, dtype=float), gamma, beta, eps, axis=0)


def batch_norm_backward(grad_Y, cache):
    """∂L/∂X, ∂L/∂γ, ∂L/∂β of batch normalisation, given ∂L/∂Y."""
    return _normalise_backward(np.asarray(grad_Y, dtype=float), cache)


def layer_norm_forward(X, gamma, beta, eps: float = 1e-3):
    """Layer normalisation: each example (row) normalised over its features. Returns ``(Y, cache)``."""
    return _normalise_forward(np.asarray(X, dtype=float), gamma, beta, eps, axis=1)


def layer_norm_backward(grad_Y, cache):
    """∂L/∂X, ∂L/∂γ, ∂L/∂β of layer normalisation, given ∂L/∂Y."""
    return _normalise_backward(np.asarray(grad_Y, dtype=float), cache)


# --- the validation protocol --------------------------------------------------------------------

def k_fold_indices(n: int, k: int, rng=None):
    """k (train, validation) index pairs: every example is validated on exactly once.

    The n examples (shuffled by ``rng`` if given) are cut into k folds whose sizes differ
    by at most one; fold i is the validation set of split i, the others its training set.
    """
    if not 2 <= k <= n:
        raise ValueError(f"k-fold needs 2 ≤ k ≤ n; got k = {k}, n = {n}")
    order = rng.permutation(n) if rng is not None else np.arange(n)
    folds = np.array_split(order, k)
    return [(np.concatenate(folds[:i] + folds[i + 1:]), folds[i]) for i in range(k)]


# --- the explorer's network ---------------------------------------------------------------------

NORMALISATIONS = ("none", "batch norm", "layer norm")


def _activation_and_derivative_from_output(name):
    """The activation, and its derivative written in terms of the activation's output (no recomputation)."""
    from scipy.special import expit

    if name == "relu":
        return (lambda Z: np.maximum(Z, 0.0)), (lambda H: H > 0)
    if name == "tanh":
        return np.tanh, (lambda H: 1.0 - H * H)
    if name == "sigmoid":
        return expit, (lambda H: H * (1.0 - H))
    raise ValueError(f"unknown activation {name!r}; choose one of {ACTIVATION_NAMES}")


class DeepNetwork:
    """A deep multilayer perceptron for two-class problems, with per-layer gradient norms.

    ``depth`` hidden layers of ``width`` units: dense → [normalisation] → activation →
    [dropout], then a dense output logit trained with the logistic loss. Its
    :meth:`loss_and_gradients` writes every gradient into ``grads`` (one flat array,
    like ``params``) and returns the backward signal ‖∂L/∂Z⁽ˡ⁾‖ at each layer, so the explorer can draw how
    the gradient's size changes from the output back to the input.
    """

    def __init__(self, n_inputs: int, depth: int, width: int, *, activation: str = "relu",
                 initialisation: str = "he", normalisation: str = "none", dropout: float = 0.0, seed: int = 0):
        if normalisation not in NORMALISATIONS:
            raise ValueError(f"unknown normalisation {normalisation!r}; choose one of {NORMALISATIONS}")
        if depth < 1 or width < 1:
            raise ValueError(f"depth and width must be ≥ 1; got {depth}, {width}")
        if not 0 <= dropout < 1:
            raise ValueError(f"the dropout rate must lie in [0, 1); got {dropout}")
        self.activation, self.normalisation, self.dropout = activation, normalisation, float(dropout)
        self._act, self._act_derivative = _activation_and_derivative_from_output(activation)
        rng = np.random.default_rng(seed)
        sizes = [n_inputs] + [width] * depth + [1]
        initial = [init_weights(a, b, initialisation, rng) for a, b in zip(sizes[:-1], sizes[1:])]
        # One flat array holds every parameter (so an Adam step is a few operations); the rest are views.
        shapes = [w.shape for w in initial] + [(b,) for b in sizes[1:]]
        if normalisation != "none":
            shapes += [(width,)] * (2 * depth)
        self.params = np.zeros(sum(int(np.prod(shape)) for shape in shapes))
        self.grads = np.zeros_like(self.params)
        views, grad_views, start = [], [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            views.append(self.params[start:start + size].reshape(shape))
            grad_views.append(self.grads[start:start + size].reshape(shape))
            start += size
        n_layers = depth + 1
        self.weights, self.biases = views[:n_layers], views[n_layers:2 * n_layers]
        self._grad_W, self._grad_b = grad_views[:n_layers], grad_views[n_layers:2 * n_layers]
        for W, W0 in zip(self.weights, initial):
            W[...] = W0
        self.gammas = views[2 * n_layers:2 * n_layers + depth]
        self.betas = views[2 * n_layers + depth:]
        self._grad_gamma = grad_views[2 * n_layers:2 * n_layers + depth]
        self._grad_beta = grad_views[2 * n_layers + depth:]
        for gamma in self.gammas:
            gamma[...] = 1.0
        self._axis = {"batch norm": 0, "layer norm": 1}.get(normalisation)
        self.rng = np.random.default_rng(seed + 1)

    def forward(self, X, *, training: bool = False):
        """The logits, shape ``(n,)``, and the cache the backward pass needs."""
        A, cache = X, []
        for layer in range(len(self.weights) - 1):
            Z = A @ self.weights[layer]
            Z += self.biases[layer]
            norm_cache = None
            if self._axis is not None:
                Z, norm_cache = _normalise_forward(Z, self.gammas[layer], self.betas[layer], 1e-3, self._axis)
            H = self._act(Z)
            mask = None
            if training and self.dropout:
                mask = (self.rng.random(H.shape) >= self.dropout) / (1 - self.dropout)
                H = H * mask
            cache.append((A, H, norm_cache, mask))
            A = H
        cache.append((A, None, None, None))
        return (A @ self.weights[-1])[:, 0] + self.biases[-1][0], cache

    @staticmethod
    def logistic_loss(logits, y):
        """Mean of log(1 + e^{−z}) for y = 1 and log(1 + e^{z}) for y = 0, computed stably; and ∂/∂z."""
        from scipy.special import expit

        signed = np.where(y == 1, logits, -logits)
        loss = np.logaddexp(0.0, -signed).mean()
        grad = (expit(logits) - y) / logits.size
        return float(loss), grad

    def loss(self, X, y) -> float:
        """The loss at inference (no dropout; batch norm uses the batch's own statistics)."""
        return self.logistic_loss(self.forward(X)[0], y)[0]

    def loss_and_gradients(self, X, y, *, training: bool = True):
        """The loss and the size of the backward signal ‖∂L/∂Z⁽ˡ⁾‖ at each layer (input side first, the output
        logits last); the gradients of all the parameters go into ``grads``.

        Z⁽ˡ⁾ is layer l's pre-activation (before normalisation, when there is one). This is the signal that
        vanishes or explodes as it travels back; the weight gradient A⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾ also carries the forward
        activations' scale.
        """
        logits, cache = self.forward(X, training=training)
        loss, grad = self.logistic_loss(logits, y)
        G = grad[:, None]
        norms = np.empty(len(self.weights))
        for layer in range(len(self.weights) - 1, -1, -1):
            norms[layer] = math.sqrt(np.vdot(G, G))
            A = cache[layer][0]
            np.matmul(A.T, G, out=self._grad_W[layer])
            G.sum(axis=0, out=self._grad_b[layer])
            if layer == 0:
                break
            grad_H = G @ self.weights[layer].T
            _, H, norm_cache, mask = cache[layer - 1]
            if mask is not None:
                grad_H *= mask                       # the same mask and 1/(1 − rate) as the forward pass
                H = H / np.where(mask > 0, mask, 1)  # the activation before dropout, for its derivative
            G = grad_H * self._act_derivative(H)
            if norm_cache is not None:
                G, self._grad_gamma[layer - 1][...], self._grad_beta[layer - 1][...] = _normalise_backward(
                    G, norm_cache)
        return loss, norms


@dataclass(frozen=True)
class RunConfig:
    """The explorer's controls: one training run of a :class:`DeepNetwork`."""
    depth: int = 4
    activation: str = "relu"
    initialisation: str = "he"
    learning_rate: float = 0.01
    batch_size: int = 32
    normalisation: str = "none"
    dropout: float = 0.0
    width: int = 16
    steps: int = 150
    record_every: int = 10
    seed: int = 0


@dataclass
class RunResult:
    """What a run records, every ``record_every`` steps.

    ``steps`` the step counts; ``train_loss`` the mean mini-batch loss since the previous
    record; ``val_loss`` the validation loss then; ``gradient_norms`` (records + 1, depth + 1)
    the mean backward signal ‖∂L/∂Z⁽ˡ⁾‖ over those mini-batches (row 0: at initialisation,
    on the whole training set, without dropout), layer 1 nearest the input, the output last.
    """
    config: RunConfig
    steps: np.ndarray
    train_loss: np.ndarray
    val_loss: np.ndarray
    gradient_norms: np.ndarray
    diverged: bool = False


def explorer_data(n: int = 240, seed: int = 0):
    """Two interleaved moons with noise, standardised, split 2 : 1 into training and validation."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=n, noise=0.25, random_state=seed)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    cut = 2 * n // 3
    return X[:cut], y[:cut].astype(float), X[cut:], y[cut:].astype(float)


_DATA_CACHE = {}


def train_run(config: RunConfig = RunConfig(), data=None, *, blas_threads: int | None = 1) -> RunResult:
    """Train a :class:`DeepNetwork` with Adam for ``config.steps`` mini-batch steps; record as it goes.

    A fixed number of steps (not epochs) keeps every run equally quick, whatever the
    batch size: a smaller batch sees fewer examples in the same number of steps. The
    mini-batches come from shuffled passes over the training set. A run whose loss
    becomes NaN or infinite stops and is marked ``diverged``.

    ``blas_threads=1`` runs the tiny matrix products on one thread (starting and
    synchronising threads would cost more than the products); ``None`` leaves the
    BLAS library's own setting.
    """
    if blas_threads is None:
        return _train_run(config, data)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=blas_threads, user_api="blas"):
        return _train_run(config, data)


def _train_run(config, data):
    if data is None:
        if "moons" not in _DATA_CACHE:
            _DATA_CACHE["moons"] = explorer_data()
        data = _DATA_CACHE["moons"]
    X_train, y_train, X_val, y_val = data
    net = DeepNetwork(X_train.shape[1], config.depth, config.width, activation=config.activation,
                      initialisation=config.initialisation, normalisation=config.normalisation,
                      dropout=config.dropout, seed=config.seed)
    params, grads = net.params, net.grads
    adam = AdamState(params)
    n = X_train.shape[0]
    batch_size = min(int(config.batch_size), n)
    order_rng = np.random.default_rng(config.seed + 2)
    order, position = order_rng.permutation(n), 0
    steps, train_losses, val_losses = [], [], []
    loss_sum, norm_sum, count = 0.0, 0.0, 0
    diverged = False
    with np.errstate(all="ignore"):         # a diverging run is expected here: it is reported, not warned about
        norms = [net.loss_and_gradients(X_train, y_train, training=False)[1]]
        for t in range(1, config.steps + 1):
            if position + batch_size > n:                # a new pass over the data, freshly shuffled
                order, position = order_rng.permutation(n), 0
            rows = order[position:position + batch_size]
            position += batch_size
            loss, layer_norms = net.loss_and_gradients(X_train[rows], y_train[rows])
            loss_sum, norm_sum, count = loss_sum + loss, norm_sum + layer_norms, count + 1
            adam.step(params, grads, t, config.learning_rate)      # Adam, in place on the flat parameter array
            if t % config.record_every == 0 or t == config.steps:
                steps.append(t)
                train_losses.append(loss_sum / count)
                norms.append(norm_sum / count)
                val_losses.append(net.loss(X_val, y_val))
                loss_sum, norm_sum, count = 0.0, 0.0, 0
                if not (np.isfinite(train_losses[-1]) and np.isfinite(val_losses[-1])):
                    diverged = True
                    break
    return RunResult(config, np.array(steps), np.array(train_losses), np.array(val_losses), np.array(norms),
                     diverged)
