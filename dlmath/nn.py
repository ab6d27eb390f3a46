"""The finished from-scratch network of chapter 5: a multilayer perceptron in NumPy.

Chapter 5 builds every piece in its own cell — dense layers, activations, a
stable softmax–cross-entropy, backpropagation, SGD, momentum and Adam, L2 and
early stopping — and checks each one. This module is the same network put
together, so later chapters (and you) can train one in a line::

    from dlmath.nn import MLP
    model = MLP([64, 128, 10], seed=0).fit(X_train, y_train, epochs=30)
    model.score(X_test, y_test)

It computes in float32, as deep learning does, and is written to be quick on a
CPU: all parameters live in one flat array (so an optimiser step is a handful
of vectorised operations on it, whatever the number of layers), gradients are
written into a second flat array in place, and each epoch shuffles the data
once instead of gathering every mini-batch.
"""

from __future__ import annotations

import numpy as np

from .activations import (log_softmax, relu, relu_derivative, sigmoid, sigmoid_derivative, softmax, tanh,
                          tanh_derivative)

__all__ = [
    "ACTIVATIONS", "relu", "relu_derivative", "sigmoid", "sigmoid_derivative", "tanh", "tanh_derivative",
    "identity", "identity_derivative", "softmax", "log_softmax", "softmax_cross_entropy",
    "mean_squared_error", "dense_forward", "dense_backward", "init_parameters", "SGD", "Adam", "MLP",
]


# --- activations ------------------------------------------------------------------------------
# ReLU, sigmoid, tanh and softmax, each with its derivative, come from dlmath.activations (the
# maths behind the activation explorer); a regression's output layer adds the identity.

def identity(z):
    """The identity: the output layer of a regression network."""
    return z


def identity_derivative(z):
    """The derivative of the identity: 1 everywhere."""
    return np.ones_like(z)


#: name → (activation, its derivative)
ACTIVATIONS = {
    "relu": (relu, relu_derivative),
    "sigmoid": (sigmoid, sigmoid_derivative),
    "tanh": (tanh, tanh_derivative),
    "identity": (identity, identity_derivative),
}


# --- output layer and losses ------------------------------------------------------------------

def _labels_as_indices(labels, num_classes):
    """Integer labels stay; one-hot rows become their column index."""
    labels = np.asarray(labels)
    if labels.ndim == 2:
        if labels.shape[1] != num_classes:
            raise ValueError(f"one-hot labels have {labels.shape[1]} columns but there are {num_classes} classes")
        return labels.argmax(axis=1)
    return labels


def softmax_cross_entropy(logits, labels):
    """Mean cross-entropy of softmax(logits) against the labels, and its gradient.

    ``logits`` has shape ``(n, K)``; ``labels`` holds ``n`` integer classes (or
    one-hot rows). Returns ``(loss, grad)`` with ``grad = (softmax(logits) − Y) / n``,
    the gradient of the mean loss with respect to the logits. Both come from
    the log-sum-exp form, so no ``exp`` overflows and no ``log(0)`` appears.
    """
    logits = np.asarray(logits)
    n, num_classes = logits.shape
    labels = _labels_as_indices(labels, num_classes)
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)  # the largest logit of each row becomes 0
    exp = np.exp(shifted)                                  # so every exp lies in (0, 1]: no overflow
    sums = exp.sum(axis=1, keepdims=True)                  # ≥ 1, so its log is safe
    loss = (np.log(sums[:, 0]) - shifted[rows, labels]).mean()  # log Σ exp(z) − z_y, per row
    grad = exp / sums                                      # softmax(z)
    grad[rows, labels] -= 1
    grad /= n
    return loss, grad


def mean_squared_error(predictions, targets):
    """Mean squared error over all entries, and its gradient ``2 (ŷ − y) / (number of entries)``."""
    predictions = np.asarray(predictions)
    difference = predictions - np.asarray(targets, dtype=predictions.dtype).reshape(predictions.shape)
    return (difference ** 2).mean(), difference * (2 / difference.size)


# --- the dense layer --------------------------------------------------------------------------

def dense_forward(X, W, b):
    """Z = X W + b for a batch X of shape (n, d_in): W is (d_in, d_out), b is (d_out,)."""
    return X @ W + b


def dense_backward(grad_Z, X, W, *, grad_W=None, grad_b=None, need_grad_X=True):
    """Backward pass of Z = X W + b, given ∂L/∂Z of shape (n, d_out).

    Returns ``(grad_X, grad_W, grad_b)`` = (∂L/∂Z Wᵀ, Xᵀ ∂L/∂Z, column sums of ∂L/∂Z).
    ``grad_W`` and ``grad_b`` may be arrays to write into (no new memory), and
    ``need_grad_X=False`` skips ∂L/∂X, which the first layer never needs.
    """
    grad_W = np.matmul(X.T, grad_Z, out=grad_W)
    grad_b = np.sum(grad_Z, axis=0, out=grad_b)
    grad_X = grad_Z @ W.T if need_grad_X else None
    return grad_X, grad_W, grad_b


def init_parameters(layer_sizes, rng, *, activation="relu", dtype=np.float32):
    """Random weights and zero biases for a network with these layer sizes.

    Weights are drawn from N(0, s²) with s² = 2 / fan_in for ReLU (He et al.) and
    s² = 2 / (fan_in + fan_out) otherwise (Glorot and Bengio), so the signal keeps
    its scale from layer to layer. The draws come from ``rng`` in layer order,
    which is what lets a step-by-step version reproduce this network exactly.
    """
    parameters = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        variance = 2.0 / fan_in if activation == "relu" else 2.0 / (fan_in + fan_out)
        W = rng.normal(0.0, np.sqrt(variance), size=(fan_in, fan_out)).astype(dtype)
        b = np.zeros(fan_out, dtype=dtype)
        parameters.append((W, b))
    return parameters


# --- optimisers -------------------------------------------------------------------------------
# Each works in place on one flat parameter array and its flat gradient.

def _decay(params, learning_rate, weight_decay, decay_mask):
    """Decoupled weight decay: θ ← θ − η λ θ (only where ``decay_mask`` is True, if one is given)."""
    if decay_mask is None:
        params -= (learning_rate * weight_decay) * params
    else:
        params[decay_mask] -= (learning_rate * weight_decay) * params[decay_mask]


class SGD:
    """Stochastic gradient descent, with optional (heavy-ball) momentum β.

    v ← β v − η g,  θ ← θ + v   (plain SGD when β = 0: θ ← θ − η g).

    ``weight_decay`` λ > 0 first shrinks the parameters, θ ← θ − η λ θ (decoupled weight decay,
    as ``keras.optimizers.SGD(weight_decay=λ)``); ``decay_mask`` limits it to some entries.
    For plain SGD this equals an L2 penalty (λ/2)‖θ‖² in the loss; with momentum it does not.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, weight_decay=0.0, decay_mask=None):
        self.learning_rate = float(learning_rate)
        self.momentum = float(momentum)
        self.weight_decay = float(weight_decay)
        self.decay_mask = decay_mask
        self.velocity = None

    def step(self, params, grads):
        if self.weight_decay:
            _decay(params, self.learning_rate, self.weight_decay, self.decay_mask)
        if self.momentum == 0.0:
            params -= self.learning_rate * grads
            return
        if self.velocity is None:
            self.velocity = np.zeros_like(params)
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate * grads
        params += self.velocity


class Adam:
    """Adam (Kingma and Ba, 2015): momentum on the gradient, scaled by a running RMS of it.

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ),   θ ← θ − η m̂ / (√v̂ + ε).

    ``weight_decay`` λ > 0 makes it AdamW (Loshchilov and Hutter, 2019): before the step above,
    θ ← θ − η λ θ, outside the gradient, so the decay is *not* divided by √v̂ (an L2 term in the
    loss would be). This is the order ``keras.optimizers.AdamW`` uses; ``decay_mask`` limits the
    decay to some entries (``MLP.fit`` decays the weights, not the biases).
    """

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, decay_mask=None):
        self.learning_rate = float(learning_rate)
        self.beta1, self.beta2, self.eps = float(beta1), float(beta2), float(eps)
        self.weight_decay = float(weight_decay)
        self.decay_mask = decay_mask
        self.m = self.v = None
        self.t = 0

    def step(self, params, grads):
        if self.weight_decay:
            _decay(params, self.learning_rate, self.weight_decay, self.decay_mask)
        if self.m is None:
            self.m, self.v = np.zeros_like(params), np.zeros_like(params)
            self._step, self._denominator = np.empty_like(params), np.empty_like(params)
        self.t += 1
        m, v, step, denominator = self.m, self.v, self._step, self._denominator
        # The textbook formulas, operation for operation, but in place (no temporary arrays).
        m *= self.beta1
        np.multiply(grads, 1 - self.beta1, out=step)
        m += step                                                  # m ← β₁ m + (1 − β₁) g
        v *= self.beta2
        np.multiply(grads, grads, out=step)
        step *= 1 - self.beta2
        v += step                                                  # v ← β₂ v + (1 − β₂) g²
        np.divide(v, 1 - self.beta2 ** self.t, out=denominator)    # v̂
        np.sqrt(denominator, out=denominator)
        denominator += self.eps                                    # √v̂ + ε
        np.divide(m, 1 - self.beta1 ** self.t, out=step)           # m̂
        step *= self.learning_rate
        step /= denominator                                        # η m̂ / (√v̂ + ε)
        params -= step


def _make_optimizer(optimizer, learning_rate, momentum, weight_decay=0.0, decay_mask=None):
    if not isinstance(optimizer, str):
        if weight_decay:
            raise ValueError("weight_decay works with optimizer='adam', 'sgd' or 'momentum'; for an optimizer "
                             "instance, give it weight_decay itself")
        return optimizer  # an SGD or Adam instance (anything with step(params, grads))
    if optimizer == "adam":
        return Adam(learning_rate, weight_decay=weight_decay, decay_mask=decay_mask)
    if optimizer == "sgd":
        return SGD(learning_rate, momentum=0.0, weight_decay=weight_decay, decay_mask=decay_mask)
    if optimizer == "momentum":
        return SGD(learning_rate, momentum=momentum, weight_decay=weight_decay, decay_mask=decay_mask)
    raise ValueError(f"unknown optimizer {optimizer!r}; choose 'adam', 'sgd' or 'momentum'")


# --- the network ------------------------------------------------------------------------------

class MLP:
    """A multilayer perceptron: dense layers with an activation between them.

    ``MLP([64, 128, 10])`` has 64 inputs, one hidden layer of 128 units and 10
    outputs. For ``task="classification"`` the outputs are logits, trained with
    softmax–cross-entropy against integer labels 0…K−1; for ``task="regression"``
    they are values, trained with mean squared error.

    After :meth:`fit`, ``history`` holds one entry per epoch: ``loss`` and
    ``accuracy`` (averaged over the epoch's mini-batches, as Keras reports them)
    and, with validation data, ``val_loss`` and ``val_accuracy``.
    """

    def __init__(self, layer_sizes, *, activation="relu", task="classification", seed=0, dtype=np.float32):
        layer_sizes = [int(size) for size in layer_sizes]
        if len(layer_sizes) < 2 or min(layer_sizes) < 1:
            raise ValueError(f"layer_sizes needs at least an input and an output size, all ≥ 1; got {layer_sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
        if task not in ("classification", "regression"):
            raise ValueError(f"task must be 'classification' or 'regression', not {task!r}")
        self.layer_sizes = layer_sizes
        self.activation = activation
        self.task = task
        self.dtype = np.dtype(dtype)
        self.rng = np.random.default_rng(seed)
        self._activate, self._activate_derivative = ACTIVATIONS[activation]
        # One flat array holds every parameter; the weights and biases are views into it.
        initial = init_parameters(layer_sizes, self.rng, activation=activation, dtype=self.dtype)
        self.params = np.concatenate([p.ravel() for layer in initial for p in layer])
        self.grads = np.zeros_like(self.params)
        self.weights, self.biases = self._views(self.params)
        self.weight_grads, self.bias_grads = self._views(self.grads)
        self.history = {}

    def _views(self, flat):
        weights, biases, start = [], [], 0
        for fan_in, fan_out in zip(self.layer_sizes[:-1], self.layer_sizes[1:]):
            weights.append(flat[start:start + fan_in * fan_out].reshape(fan_in, fan_out))
            start += fan_in * fan_out
            biases.append(flat[start:start + fan_out])
            start += fan_out
        return weights, biases

    def _weight_mask(self):
        """True at the entries of the flat parameter array that are weights (not biases)."""
        mask = np.zeros(self.params.size, dtype=bool)
        for weights in self._views(mask)[0]:
            weights[...] = True
        return mask

    @property
    def n_parameters(self) -> int:
        """The number of weights and biases: Σ (d_in + 1) d_out over the layers."""
        return int(self.params.size)

    # --- forward and backward -----------------------------------------------------------------
    def _check_X(self, X):
        X = np.asarray(X, dtype=self.dtype)
        if X.ndim != 2 or X.shape[1] != self.layer_sizes[0]:
            raise ValueError(f"X must have shape (n, {self.layer_sizes[0]}); got {X.shape}")
        return X

    def _forward(self, X):
        """Forward pass; returns the outputs and the cache of layer inputs and pre-activations."""
        inputs, pre_activations = [X], []
        A = X
        last = len(self.weights) - 1
        for layer, (W, b) in enumerate(zip(self.weights, self.biases)):
            Z = dense_forward(A, W, b)
            if layer == last:
                return Z, (inputs, pre_activations)
            pre_activations.append(Z)
            # (dlmath.activations computes in float64; the network keeps its own dtype)
            A = np.maximum(Z, 0) if self.activation == "relu" else self._activate(Z).astype(self.dtype, copy=False)
            inputs.append(A)

    def _backward(self, grad_output, cache, l2=0.0):
        """Backpropagate ∂L/∂output through the layers, writing every gradient into ``self.grads``."""
        inputs, pre_activations = cache
        grad_Z = grad_output
        for layer in range(len(self.weights) - 1, -1, -1):
            grad_A, _, _ = dense_backward(grad_Z, inputs[layer], self.weights[layer],
                                          grad_W=self.weight_grads[layer], grad_b=self.bias_grads[layer],
                                          need_grad_X=layer > 0)
            if l2:
                self.weight_grads[layer] += l2 * self.weights[layer]
            if layer > 0:
                if self.activation == "relu":
                    grad_A *= inputs[layer] > 0  # ReLU'(Z) is 1 exactly where the activation is positive
                else:
                    grad_A *= self._activate_derivative(pre_activations[layer - 1]).astype(self.dtype, copy=False)
                grad_Z = grad_A

    def _data_loss(self, outputs, y):
        if self.task == "classification":
            return softmax_cross_entropy(outputs, y)
        return mean_squared_error(outputs, y)

    def _l2_penalty(self, l2):
        return 0.5 * l2 * sum(float(np.vdot(W, W)) for W in self.weights) if l2 else 0.0

    def loss(self, X, y, *, l2=0.0) -> float:
        """The training objective on (X, y): the data loss plus (λ/2) Σ ‖W‖² (biases are not penalised)."""
        outputs, _ = self._forward(self._check_X(X))
        return float(self._data_loss(outputs, self._check_y(y))[0]) + self._l2_penalty(l2)

    def gradients(self, X, y, *, l2=0.0):
        """Backpropagation on (X, y): returns ``(loss, [(∂L/∂W, ∂L/∂b) for each layer])`` (copies)."""
        X, y = self._check_X(X), self._check_y(y)
        outputs, cache = self._forward(X)
        loss, grad_output = self._data_loss(outputs, y)
        self._backward(grad_output, cache, l2)
        return float(loss) + self._l2_penalty(l2), [(gW.copy(), gb.copy())
                                                   for gW, gb in zip(self.weight_grads, self.bias_grads)]

    def forward(self, X):
        """The network's raw outputs: logits (classification) or values (regression), shape (n, K)."""
        return self._forward(self._check_X(X))[0]

    # --- training -----------------------------------------------------------------------------
    def _check_y(self, y):
        y = np.asarray(y)
        if self.task == "classification":
            num_classes = self.layer_sizes[-1]
            y = _labels_as_indices(y, num_classes)
            if not np.issubdtype(y.dtype, np.integer):
                raise ValueError(f"classification labels must be integers 0…{num_classes - 1}; got dtype {y.dtype}")
            if y.size and (y.min() < 0 or y.max() >= num_classes):
                raise ValueError(f"labels must lie in 0…{num_classes - 1}; got {y.min()}…{y.max()}")
            return y
        y = y.astype(self.dtype)
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def fit(self, X, y, *, epochs=30, batch_size=32, lr=0.001, optimizer="adam", momentum=0.9, l2=0.0,
            weight_decay=0.0, validation_data=None, patience=None, shuffle=True, progress=False, callback=None, blas_threads=1):
        """Train with mini-batches; returns ``self``.

        ``optimizer`` is ``"adam"`` (default), ``"sgd"``, ``"momentum"`` (SGD with
        ``momentum``) or an :class:`SGD`/:class:`Adam` instance; ``lr`` is the
        learning rate η. ``l2`` adds (λ/2) Σ ‖W‖² to the loss (its gradient λW then
        goes through the optimiser, and Adam divides it by √v̂). ``weight_decay`` λ
        instead shrinks the weights directly, W ← W − η λ W, before every step
        (decoupled weight decay; with Adam this is AdamW); the biases are not decayed.
        For plain SGD the two are the same; for Adam they are not. With
        ``validation_data=(X_val, y_val)`` and ``patience``, training stops once
        the validation loss has not improved for ``patience`` epochs, and the
        weights of the best epoch are restored (early stopping). ``progress=True``
        shows a tqdm progress bar with the latest loss and accuracy;
        ``callback(epoch, model)`` is called after every epoch (epochs count from 1).

        ``history["loss"]`` is the training objective (with the L2 term);
        ``history["val_loss"]`` is the data loss alone on the validation set, since
        the penalty says nothing about how well the network fits unseen data.

        ``blas_threads=1`` runs the matrix products on one thread: a mini-batch
        product is so small that starting and synchronising threads costs more
        than it saves (on a busy 2-core machine, ten times more). ``None`` leaves
        the BLAS library's own setting.
        """
        if blas_threads is None:
            return self._fit(X, y, epochs, batch_size, lr, optimizer, momentum, l2, weight_decay, validation_data,
                             patience, shuffle, progress, callback)
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=blas_threads, user_api="blas"):
            return self._fit(X, y, epochs, batch_size, lr, optimizer, momentum, l2, weight_decay, validation_data,
                             patience, shuffle, progress, callback)

    def _fit(self, X, y, epochs, batch_size, lr, optimizer, momentum, l2, weight_decay, validation_data, patience,
             shuffle, progress, callback):
        X, y = self._check_X(X), self._check_y(y)
        n = X.shape[0]
        if y.shape[0] != n:
            raise ValueError(f"X has {n} rows but y has {y.shape[0]} labels")
        if patience is not None and validation_data is None:
            raise ValueError("early stopping (patience) needs validation_data=(X_val, y_val)")
        batch_size = int(min(batch_size, n))
        if l2 < 0 or weight_decay < 0:
            raise ValueError(f"l2 and weight_decay must be ≥ 0; got l2={l2}, weight_decay={weight_decay}")
        opt = _make_optimizer(optimizer, lr, momentum, weight_decay, self._weight_mask() if weight_decay else None)
        classification = self.task == "classification"
        self.history = {"loss": [], "accuracy": []} if classification else {"loss": []}
        if validation_data is not None:
            X_val, y_val = self._check_X(validation_data[0]), self._check_y(validation_data[1])
            self.history["val_loss"] = []
            if classification:
                self.history["val_accuracy"] = []
        best_loss, best_params, waited = np.inf, None, 0
        self.best_epoch_ = None
        epoch_range = range(1, epochs + 1)
        bar = None
        if progress:
            from tqdm.auto import tqdm
            bar = epoch_range = tqdm(epoch_range, desc="training", unit="epoch")
        for epoch in epoch_range:
            if shuffle:
                order = self.rng.permutation(n)
                X_epoch, y_epoch = X[order], y[order]
            else:
                X_epoch, y_epoch = X, y
            loss_sum, correct = 0.0, 0
            for start in range(0, n, batch_size):
                X_batch = X_epoch[start:start + batch_size]
                y_batch = y_epoch[start:start + batch_size]
                outputs, cache = self._forward(X_batch)
                batch_loss, grad_output = self._data_loss(outputs, y_batch)
                self._backward(grad_output, cache, l2)
                opt.step(self.params, self.grads)
                loss_sum += float(batch_loss) * len(X_batch)
                if classification:
                    correct += int(np.count_nonzero(outputs.argmax(axis=1) == y_batch))
            record = {"loss": loss_sum / n + self._l2_penalty(l2)}
            if classification:
                record["accuracy"] = correct / n
            if validation_data is not None:
                outputs = self.forward(X_val)
                record["val_loss"] = float(self._data_loss(outputs, y_val)[0])
                if classification:
                    record["val_accuracy"] = float(np.mean(outputs.argmax(axis=1) == y_val))
            for key, value in record.items():
                self.history[key].append(value)
            if bar is not None:
                bar.set_postfix({key: f"{value:.4f}" for key, value in record.items()}, refresh=False)
            if callback is not None:
                callback(epoch, self)
            if patience is not None:
                if record["val_loss"] < best_loss:
                    best_loss, best_params, waited = record["val_loss"], self.params.copy(), 0
                    self.best_epoch_ = epoch
                else:
                    waited += 1
                    if waited >= patience:
                        break
        if bar is not None:
            bar.close()
        if best_params is not None:
            self.params[...] = best_params  # the views (weights, biases) see the restored values
        self.epochs_trained_ = len(self.history["loss"])
        return self

    # --- predictions --------------------------------------------------------------------------
    def predict_proba(self, X):
        """Class probabilities, shape (n, K): the softmax of the logits (classification only)."""
        if self.task != "classification":
            raise ValueError("predict_proba is for classification; use predict for a regression")
        return softmax(self.forward(X)).astype(self.dtype, copy=False)

    def predict(self, X):
        """Predicted classes (the largest logit) or, for a regression, the predicted values."""
        outputs = self.forward(X)
        if self.task == "classification":
            return outputs.argmax(axis=1)
        return outputs[:, 0] if outputs.shape[1] == 1 else outputs

    def score(self, X, y) -> float:
        """Accuracy for classification; the coefficient of determination R² for a regression."""
        predictions = self.predict(X)
        y = np.asarray(y)
        if self.task == "classification":
            return float(np.mean(predictions == _labels_as_indices(y, self.layer_sizes[-1])))
        y = y.reshape(predictions.shape).astype(np.float64)
        residual = ((y - predictions) ** 2).sum()
        total = ((y - y.mean(axis=0)) ** 2).sum()
        return float(1 - residual / total)

    def __repr__(self):
        sizes = "-".join(str(size) for size in self.layer_sizes)
        return f"MLP({sizes}, activation={self.activation!r}, task={self.task!r}, {self.n_parameters} parameters)"
