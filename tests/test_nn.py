"""Tests of dlmath.nn, the finished from-scratch network of chapter 5.

* every gradient of ``MLP`` against central differences (float64) and against
  ``tf.GradientTape``, for each activation, for classification and regression,
  with and without L2;
* the optimisers against the formulas and against ``keras.optimizers``;
* the chapter's step-by-step network (its functions, re-created below and
  compared with the notebook's source) and ``MLP`` learn the same weights from
  the same seed;
* the promised result: ≥ 97% test accuracy on the digits with 64-128-10, Adam,
  batch 32, 30 epochs;
* early stopping, regression, the progress bar, and the messages for bad input.

Everything runs in a few seconds (the training runs take about 0.1 s each).
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import nbformat
import numpy as np
import pytest
from tqdm.auto import tqdm

from dlmath.data import load_digits_split
from dlmath import nn
from dlmath.nn import MLP, SGD, Adam, dense_backward, mean_squared_error

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "05a_neural_network_from_scratch.ipynb"


# --- the chapter's step-by-step network, exactly as notebooks/05a defines it ---------------------
# (test_the_copy_matches_the_notebook checks that these are the notebook's functions, statement for
# statement, so the agreement test below really is about the chapter's code.)

def relu(z):
    return np.maximum(0, z)


def relu_derivative(z):
    return (z > 0).astype(z.dtype)   # 1 where z > 0, else 0


def softmax(Z):
    # Row-wise softmax of a batch of logits Z, shape (n, K).
    shifted = Z - Z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits, y):
    # Mean cross-entropy of softmax(logits) against integer labels y, and its gradient dL/dlogits.
    n = logits.shape[0]
    rows = np.arange(n)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_sum_exp = np.log(np.exp(shifted).sum(axis=1))
    loss = np.mean(log_sum_exp - shifted[rows, y])
    grad = softmax(logits)
    grad[rows, y] -= 1
    return loss, grad / n


def init_network(layer_sizes, rng):
    # He initialisation: a list of (W, b) in float32, one pair per layer.
    params = []
    for fan_in, fan_out in zip(layer_sizes[:-1], layer_sizes[1:]):
        W = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out)).astype(np.float32)
        b = np.zeros(fan_out, dtype=np.float32)
        params.append((W, b))
    return params


def forward(params, X):
    # The logits for a batch X, and the cache of (A^(l-1), Z^(l)) per layer that backpropagation needs.
    cache = []
    A = X
    for layer, (W, b) in enumerate(params):
        Z = A @ W + b
        cache.append((A, Z))
        A = relu(Z) if layer < len(params) - 1 else Z
    return A, cache


def backward(params, cache, grad_logits):
    # Backpropagation: the gradients (dL/dW, dL/db) of every layer, from G = dL/dlogits.
    grads = []
    G = grad_logits
    for layer in reversed(range(len(params))):
        W, b = params[layer]
        A_below, _ = cache[layer]
        grads.insert(0, (A_below.T @ G, G.sum(axis=0)))
        if layer > 0:
            _, Z_below = cache[layer - 1]
            G = (G @ W.T) * relu_derivative(Z_below)
    return grads


def init_adam(params):
    return {"t": 0, "m": [(np.zeros_like(W), np.zeros_like(b)) for W, b in params],
            "v": [(np.zeros_like(W), np.zeros_like(b)) for W, b in params]}


def adam_step(params, grads, state, learning_rate=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
    state["t"] += 1
    t = state["t"]
    for pair, grad_pair, m_pair, v_pair in zip(params, grads, state["m"], state["v"]):
        for p, g, m, v in zip(pair, grad_pair, m_pair, v_pair):
            m[...] = beta1 * m + (1 - beta1) * g
            v[...] = beta2 * v + (1 - beta2) * g ** 2
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            p -= learning_rate * m_hat / (np.sqrt(v_hat) + eps)


def train(params, X, y, *, epochs, batch_size, learning_rate, rng, validation_data=None, progress=False,
          on_epoch_end=None):
    # Mini-batch training with Adam, in place; returns the loss and accuracy per epoch.
    state = init_adam(params)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    n = len(X)
    epochs_bar = tqdm(range(1, epochs + 1), desc="training", unit="epoch", disable=not progress)
    for epoch in epochs_bar:
        order = rng.permutation(n)                  # a fresh shuffle every epoch
        X_epoch, y_epoch = X[order], y[order]
        loss_sum, correct = 0.0, 0
        for start in range(0, n, batch_size):
            X_batch = X_epoch[start:start + batch_size]
            y_batch = y_epoch[start:start + batch_size]
            logits, cache = forward(params, X_batch)
            loss, grad_logits = softmax_cross_entropy(logits, y_batch)
            grads = backward(params, cache, grad_logits)
            adam_step(params, grads, state, learning_rate)
            loss_sum += float(loss) * len(X_batch)
            correct += int(np.sum(logits.argmax(axis=1) == y_batch))
        history["loss"].append(loss_sum / n)            # the epoch's average over its mini-batches
        history["accuracy"].append(correct / n)
        if validation_data is not None:
            X_val, y_val = validation_data
            val_logits, _ = forward(params, X_val)
            history["val_loss"].append(float(softmax_cross_entropy(val_logits, y_val)[0]))
            history["val_accuracy"].append(float(np.mean(val_logits.argmax(axis=1) == y_val)))
        epochs_bar.set_postfix(loss=f"{history['loss'][-1]:.4f}", accuracy=f"{history['accuracy'][-1]:.4f}")
        if on_epoch_end is not None:
            on_epoch_end(epoch, params)
    return history


STEP_BY_STEP = [relu, relu_derivative, softmax, softmax_cross_entropy, init_network, forward, backward, init_adam,
                adam_step, train]


def _notebook_functions(path):
    """The top-level function definitions in the notebook's code cells, by name."""
    functions = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                functions[node.name] = node
    return functions


def test_the_copy_matches_the_notebook():
    assert CHAPTER.exists(), f"{CHAPTER.name} is missing"
    in_notebook = _notebook_functions(CHAPTER)
    for function in STEP_BY_STEP:
        name = function.__name__
        assert name in in_notebook, f"the notebook no longer defines {name}()"
        ours = ast.parse(inspect.getsource(function)).body[0]
        assert ast.dump(ours) == ast.dump(in_notebook[name]), \
            f"{name}() in tests/test_nn.py differs from the notebook's: copy the notebook's version here"


@pytest.fixture(scope="module")
def digits():
    return load_digits_split()


def test_step_by_step_and_mlp_learn_the_same_network(digits):
    X_train, X_test, y_train, y_test = digits
    X, y = X_train[:400], y_train[:400]
    rng = np.random.default_rng(3)
    params = init_network([64, 32, 16, 10], rng)
    model = MLP([64, 32, 16, 10], seed=3)
    for (W, b), W_model, b_model in zip(params, model.weights, model.biases):
        np.testing.assert_array_equal(W_model, W)   # the same initial weights, draw for draw
        np.testing.assert_array_equal(b_model, b)
    history = train(params, X, y, epochs=5, batch_size=32, learning_rate=0.001, rng=rng,
                            validation_data=(X_test, y_test))
    model.fit(X, y, epochs=5, batch_size=32, lr=0.001, validation_data=(X_test, y_test))
    for (W, b), W_model, b_model in zip(params, model.weights, model.biases):
        np.testing.assert_allclose(W_model, W, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(b_model, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(model.history[key], history[key], rtol=1e-5)
    logits, _ = forward(params, X_test)
    np.testing.assert_array_equal(model.predict(X_test), logits.argmax(axis=1))


def test_step_by_step_loss_matches_dlmath():
    rng = np.random.default_rng(0)
    logits, labels = rng.normal(size=(7, 4)) * 5, rng.integers(0, 4, size=7)
    loss_nb, grad_nb = softmax_cross_entropy(logits, labels)
    loss_nn, grad_nn = nn.softmax_cross_entropy(logits, labels)
    np.testing.assert_allclose(loss_nn, loss_nb, rtol=1e-12)
    np.testing.assert_allclose(grad_nn, grad_nb, rtol=1e-12, atol=1e-15)


# --- the promised result ----------------------------------------------------------------------

def test_digits_reach_97_percent(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLP([64, 128, 10], seed=0).fit(X_train, y_train, epochs=30, batch_size=32, lr=0.001)
    assert model.params.dtype == np.float32
    accuracy = model.score(X_test, y_test)
    assert accuracy >= 0.97, f"test accuracy {accuracy:.4f} < 0.97"
    assert model.history["accuracy"][-1] > 0.98
    assert model.n_parameters == (64 + 1) * 128 + (128 + 1) * 10


# --- gradients --------------------------------------------------------------------------------

def central_differences(model, X, y, l2, h=1e-6):
    numeric = np.zeros_like(model.params)
    for k in range(model.params.size):
        saved = model.params[k]
        model.params[k] = saved + h
        loss_plus = model.loss(X, y, l2=l2)
        model.params[k] = saved - h
        loss_minus = model.loss(X, y, l2=l2)
        model.params[k] = saved
        numeric[k] = (loss_plus - loss_minus) / (2 * h)
    return numeric


def flat(gradients):
    return np.concatenate([g.ravel() for pair in gradients for g in pair])


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("task", ["classification", "regression"])
def test_gradients_match_central_differences(activation, task):
    rng = np.random.default_rng(1)
    model = MLP([5, 7, 6, 3], activation=activation, task=task, seed=2, dtype=np.float64)
    X = rng.normal(size=(9, 5))
    y = rng.integers(0, 3, size=9) if task == "classification" else rng.normal(size=(9, 3))
    l2 = 0.05
    loss, gradients = model.gradients(X, y, l2=l2)
    np.testing.assert_allclose(loss, model.loss(X, y, l2=l2), rtol=1e-12)
    backprop = flat(gradients)
    numeric = central_differences(model, X, y, l2)
    error = np.linalg.norm(backprop - numeric) / (np.linalg.norm(backprop) + np.linalg.norm(numeric))
    assert error < 1e-7, f"relative error {error:.2e}"


def test_gradients_match_gradient_tape():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    model = MLP([6, 8, 5, 4], seed=0, dtype=np.float64)
    X, y, l2 = rng.normal(size=(10, 6)), rng.integers(0, 4, size=10), 0.01
    loss, gradients = model.gradients(X, y, l2=l2)
    weights = [tf.Variable(W) for W in model.weights]
    biases = [tf.Variable(b) for b in model.biases]
    with tf.GradientTape() as tape:
        A = tf.constant(X)
        for layer, (W, b) in enumerate(zip(weights, biases)):
            A = A @ W + b
            if layer < len(weights) - 1:
                A = tf.nn.relu(A)
        data_loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=A))
        total = data_loss + 0.5 * l2 * tf.add_n([tf.reduce_sum(W ** 2) for W in weights])
    tape_gradients = tape.gradient(total, [v for pair in zip(weights, biases) for v in pair])
    np.testing.assert_allclose(loss, float(total), rtol=1e-12)
    for ours, theirs in zip([g for pair in gradients for g in pair], tape_gradients):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_regression_gradients_match_gradient_tape():
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    model = MLP([4, 6, 1], activation="tanh", task="regression", seed=0, dtype=np.float64)
    X, y = rng.normal(size=(8, 4)), rng.normal(size=8)
    loss, gradients = model.gradients(X, y)
    variables = [tf.Variable(p) for pair in zip(model.weights, model.biases) for p in pair]
    with tf.GradientTape() as tape:
        hidden = tf.tanh(X @ variables[0] + variables[1])
        predictions = hidden @ variables[2] + variables[3]
        mse = tf.reduce_mean((predictions[:, 0] - y) ** 2)
    np.testing.assert_allclose(loss, float(mse), rtol=1e-12)
    for ours, theirs in zip([g for pair in gradients for g in pair], tape.gradient(mse, variables)):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-9, atol=1e-12)


def test_dense_backward_and_losses():
    rng = np.random.default_rng(0)
    X, W, G = rng.normal(size=(5, 3)), rng.normal(size=(3, 4)), rng.normal(size=(5, 4))
    grad_X, grad_W, grad_b = dense_backward(G, X, W)
    np.testing.assert_allclose(grad_W, np.einsum("ni,nj->ij", X, G))
    np.testing.assert_allclose(grad_b, G.sum(axis=0))
    np.testing.assert_allclose(grad_X, np.einsum("nj,ij->ni", G, W))
    assert dense_backward(G, X, W, need_grad_X=False)[0] is None
    # Stable: huge logits give the exact answer, not inf or nan.
    loss, grad = nn.softmax_cross_entropy(np.array([[1000.0, 0.0, -1000.0]], dtype=np.float32), np.array([2]))
    assert np.isfinite(grad).all() and loss == pytest.approx(2000.0)
    # One-hot labels are the same as integer labels.
    logits = rng.normal(size=(4, 3))
    one_hot = np.eye(3)[[0, 2, 1, 2]]
    np.testing.assert_allclose(nn.softmax_cross_entropy(logits, one_hot)[0],
                               nn.softmax_cross_entropy(logits, np.array([0, 2, 1, 2]))[0])
    loss, grad = mean_squared_error(np.array([1.0, 2.0, 4.0]), np.array([1.0, 0.0, 1.0]))
    assert loss == pytest.approx((0 + 4 + 9) / 3)
    np.testing.assert_allclose(grad, 2 * np.array([0.0, 2.0, 3.0]) / 3)


# --- optimisers -------------------------------------------------------------------------------

def test_adam_follows_the_formulas():
    rng = np.random.default_rng(0)
    params = rng.normal(size=20)
    expected = params.copy()
    optimizer = Adam(learning_rate=0.01, beta1=0.8, beta2=0.99, eps=1e-6)
    m = v = np.zeros(20)
    for t in range(1, 6):
        g = rng.normal(size=20)
        optimizer.step(params, g)
        m = 0.8 * m + 0.2 * g
        v = 0.99 * v + 0.01 * g ** 2
        expected = expected - 0.01 * (m / (1 - 0.8 ** t)) / (np.sqrt(v / (1 - 0.99 ** t)) + 1e-6)
    np.testing.assert_allclose(params, expected, rtol=1e-12)


def test_optimizers_match_keras():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    rng = np.random.default_rng(0)
    start = rng.normal(size=12).astype(np.float32)
    gradients = [rng.normal(size=12).astype(np.float32) for _ in range(6)]
    # Keras keeps its hyper-parameters in float32 (1 − β₂ is off in the 5th digit), and puts ε
    # after the bias correction; with ε negligible, the two agree to about four digits.
    cases = [(SGD(0.1), keras.optimizers.SGD(0.1), 1e-6),
             (SGD(0.1, momentum=0.9), keras.optimizers.SGD(0.1, momentum=0.9), 1e-5),
             (Adam(0.1, eps=1e-12), keras.optimizers.Adam(0.1, epsilon=1e-12), 1e-4)]
    for ours, theirs, rtol in cases:
        params = start.copy()
        variable = keras.Variable(start.copy())
        for g in gradients:
            ours.step(params, g)
            theirs.apply_gradients([(tf.constant(g), variable)])
        np.testing.assert_allclose(params, variable.numpy(), rtol=rtol, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_every_optimizer_learns(digits, optimizer):
    X_train, X_test, y_train, y_test = digits
    lr = {"sgd": 0.1, "momentum": 0.02, "adam": 0.001}[optimizer]
    model = MLP([64, 32, 10], seed=0).fit(X_train, y_train, epochs=10, lr=lr, optimizer=optimizer)
    assert model.history["loss"][-1] < model.history["loss"][0] / 3
    assert model.score(X_test, y_test) > 0.9


# --- regularisation, early stopping, regression ---------------------------------------------

def test_l2_shrinks_the_weights(digits):
    X_train, _, y_train, _ = digits
    plain = MLP([64, 64, 10], seed=0).fit(X_train[:300], y_train[:300], epochs=40)
    decayed = MLP([64, 64, 10], seed=0).fit(X_train[:300], y_train[:300], epochs=40, l2=0.01)
    norm = lambda model: sum(float(np.sum(W.astype(np.float64) ** 2)) for W in model.weights)
    assert norm(decayed) < 0.8 * norm(plain)


def test_early_stopping_restores_the_best_epoch(digits):
    X_train, X_test, y_train, y_test = digits
    model = MLP([64, 256, 10], seed=0).fit(X_train[:200], y_train[:200], epochs=300, lr=0.003,
                                          validation_data=(X_test, y_test), patience=10)
    val_loss = model.history["val_loss"]
    assert model.epochs_trained_ < 300 and len(val_loss) == model.epochs_trained_
    assert model.best_epoch_ == int(np.argmin(val_loss)) + 1
    assert model.epochs_trained_ == model.best_epoch_ + 10
    np.testing.assert_allclose(model.loss(X_test, y_test), min(val_loss), rtol=1e-5)


def test_regression_learns_a_curve():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, size=(600, 2)).astype(np.float32)
    y = np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] ** 2
    model = MLP([2, 32, 32, 1], task="regression", seed=0).fit(X[:500], y[:500], epochs=100, lr=0.003)
    assert model.predict(X[500:]).shape == (100,)
    assert model.score(X[500:], y[500:]) > 0.9        # R²
    assert model.history["loss"][-1] < 0.1 * np.var(y)
    with pytest.raises(ValueError, match="classification"):
        model.predict_proba(X)


def test_predict_proba_is_a_distribution(digits):
    X_train, X_test, y_train, _ = digits
    model = MLP([64, 16, 10], seed=0).fit(X_train, y_train, epochs=2)
    probabilities = model.predict_proba(X_test)
    assert probabilities.shape == (len(X_test), 10) and probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1, rtol=1e-5)
    np.testing.assert_array_equal(probabilities.argmax(axis=1), model.predict(X_test))


def test_progress_bar_and_callback(digits, capsys):
    X_train, _, y_train, _ = digits
    seen = []
    MLP([64, 8, 10], seed=0).fit(X_train, y_train, epochs=3, progress=True,
                                 callback=lambda epoch, model: seen.append((epoch, model.history["loss"][-1])))
    assert [epoch for epoch, _ in seen] == [1, 2, 3]
    error = capsys.readouterr().err
    assert "training" in error and "3/3" in error and "loss=" in error


def test_training_is_reproducible(digits):
    X_train, _, y_train, _ = digits
    first = MLP([64, 16, 10], seed=5).fit(X_train, y_train, epochs=2)
    second = MLP([64, 16, 10], seed=5).fit(X_train, y_train, epochs=2)
    np.testing.assert_array_equal(first.params, second.params)


def test_bad_input_gets_a_clear_message():
    model = MLP([4, 3, 2], seed=0)
    X = np.zeros((5, 4), dtype=np.float32)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 4\)"):
        model.fit(np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="labels must lie in 0…1"):
        model.fit(X, np.array([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match="integers"):
        model.fit(X, np.array([0.0, 1.0, 0.5, 0.0, 1.0]))
    with pytest.raises(ValueError, match="5 rows but y has 4"):
        model.fit(X, np.array([0, 1, 0, 1]))
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(X, np.zeros(5, dtype=int), patience=3)
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.fit(X, np.zeros(5, dtype=int), optimizer="rmsprop")
    with pytest.raises(ValueError, match="unknown activation"):
        MLP([4, 2], activation="swish")
    with pytest.raises(ValueError, match="at least an input and an output"):
        MLP([4])


# --- L2 in the loss against decoupled weight decay (chapter 5a, section 11) ------------------------

def test_weight_decay_equals_l2_for_plain_sgd(digits):
    X_train, _, y_train, _ = digits
    l2 = MLP([64, 32, 10], seed=0).fit(X_train[:200], y_train[:200], epochs=10, lr=0.05, optimizer="sgd", l2=1e-2)
    decay = MLP([64, 32, 10], seed=0).fit(X_train[:200], y_train[:200], epochs=10, lr=0.05, optimizer="sgd",
                                          weight_decay=1e-2)
    np.testing.assert_allclose(decay.params, l2.params, atol=1e-5)


def test_weight_decay_differs_from_l2_under_adam(digits):
    X_train, _, y_train, _ = digits
    fits = {kind: MLP([64, 32, 10], seed=0).fit(X_train[:200], y_train[:200], epochs=30, lr=0.003,
                                                **{kind: 1e-2})
            for kind in ("l2", "weight_decay")}
    norms = {kind: np.sqrt(sum(np.sum(W ** 2) for W in model.weights)) for kind, model in fits.items()}
    # Adam divides the L2 pull by √v̂, so at the same λ it shrinks the weights far more than AdamW does.
    assert norms["l2"] < 0.8 * norms["weight_decay"]
    assert np.max(np.abs(fits["l2"].params - fits["weight_decay"].params)) > 0.05


def test_adamw_matches_keras_and_leaves_biases_alone():
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(0)
    start = rng.normal(size=12).astype(np.float32)
    grads = [rng.normal(size=12).astype(np.float32) for _ in range(6)]
    ours = start.copy()
    optimizer = Adam(0.05, eps=1e-12, weight_decay=0.3)
    for g in grads:
        optimizer.step(ours, g)
    variable = keras.Variable(start)
    reference = keras.optimizers.AdamW(learning_rate=0.05, weight_decay=0.3, epsilon=1e-12)
    for g in grads:
        reference.apply_gradients([(tf.constant(g), variable)])
    np.testing.assert_allclose(ours, variable.numpy(), rtol=1e-4, atol=1e-5)
    plain = start.copy()
    no_decay = Adam(0.05, eps=1e-12)
    for g in grads:
        no_decay.step(plain, g)
    assert np.max(np.abs(plain - ours)) > 1e-3            # the decay did something
    # In MLP.fit only the weights decay: with zero gradients (lr of the data step irrelevant), biases stay.
    model = MLP([3, 4, 2], seed=0)
    model.biases[0][...] = 1.0
    mask = model._weight_mask()
    assert mask.sum() == 3 * 4 + 4 * 2 and not mask[model.params.size - 2:].any()
    sgd = SGD(0.1, weight_decay=0.5, decay_mask=mask)
    before = model.params.copy()
    sgd.step(model.params, np.zeros_like(model.params))
    np.testing.assert_allclose(model.params[mask], before[mask] * (1 - 0.05), rtol=1e-6)
    np.testing.assert_array_equal(model.params[~mask], before[~mask])


def test_weight_decay_bad_input_gets_a_clear_message(digits):
    X_train, _, y_train, _ = digits
    with pytest.raises(ValueError, match="≥ 0"):
        MLP([64, 8, 10]).fit(X_train[:50], y_train[:50], epochs=1, weight_decay=-1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        MLP([64, 8, 10]).fit(X_train[:50], y_train[:50], epochs=1, optimizer=Adam(0.001), weight_decay=0.1)


# --- Chapter 5b's claim about from_logits, measured on Keras itself --------------------------------

def test_keras_loss_on_probabilities_is_clipped_and_loses_the_gradient():
    import keras
    import tensorflow as tf

    y = np.array([0, 0])
    logits = np.array([[0.0, 30.0, 0.0], [0.0, 5.0, 0.0]], dtype=np.float32)
    exact = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits).numpy()
    from_probabilities = keras.losses.SparseCategoricalCrossentropy(reduction=None)
    from_logits = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)
    ceiling = -np.log(keras.config.epsilon())
    assert round(ceiling, 2) == 16.12
    np.testing.assert_allclose(from_logits(y, logits).numpy(), exact, rtol=1e-6)
    np.testing.assert_allclose(from_probabilities(y, tf.nn.softmax(logits).numpy()).numpy(), [ceiling, exact[1]],
                               rtol=1e-5)
    variable = tf.Variable(logits)
    with tf.GradientTape() as tape:
        loss = from_probabilities(y, tf.nn.softmax(variable))
    gradient = tape.gradient(loss, variable).numpy()
    assert np.all(gradient[0] == 0) and np.abs(gradient[1]).max() > 0.5
    # Behind a Keras softmax layer in a compiled model, Keras 3 uses the logits: the exact loss.
    model = keras.Sequential([keras.Input(shape=(3,)),
                              keras.layers.Dense(3, activation="softmax", use_bias=False, kernel_initializer="identity")])
    model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
    np.testing.assert_allclose(model.evaluate(logits, y, batch_size=2, verbose=0), exact.mean(), rtol=1e-5)
