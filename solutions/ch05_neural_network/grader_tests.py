"""Trusted tests for chapter 5's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Hidden inputs are drawn from ``rng`` at grade time; the expected values come from the
references written here, in NumPy, by routes other than the exercise's formulas where that
is easy (one-hot matrices, loops, a forward pass from the model's own weights). A question
scores its points when its function returns.

Two things cannot cross the sandbox's wire as data and are handled here:

* a function as an argument (exercise 4's ``loss``): the notebook has a fixed cell, before the
  answer, that defines ``gradient_check_layer`` and ``gradient_check_cube``; the trusted test
  passes the student's ``numerical_gradient`` to them as a handle. That cell must be the
  instructor's, unchanged (checked here), and the answer may not use GradientTape.
* "do not change the input": the arguments are sent back after the call (``return_args``)
  and compared with what was sent.
"""

from functools import partial
from pathlib import Path

import nbformat
import numpy as np

from dlmath.checks import CheckFailed, call, check_array, check_equal, check_scalar, check_shape, check_true, is_close
from dlmath.data import load_digits_split
from dlmath.grading import wire
from dlmath.grading.rules import forbid
from dlmath.grading.submissions import defined_names, normalise_source

HERE = Path(__file__).resolve().parent


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "apply",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "apply",
         "ex8_test": "derive",
         "ex9_test": "debug"}

def _fixture_sources():
    """The instructor's fixed (non-answer, non-test) code cells, by the names they define."""
    nb = nbformat.read(HERE / "ch05_neural_network.ipynb", as_version=4)
    fixtures = {}
    for cell in nb.cells:
        if cell.cell_type == "code" and "fixture" in cell.metadata.get("tags", []):
            for name in defined_names(cell.source):
                fixtures[name] = normalise_source(cell.source)
    return fixtures


def _fixture_intact(student, names):
    """Fail when a cell of the student's notebook defines a fixture name with code other than the instructor's."""
    fixtures = _fixture_sources()
    for cell_id, source in student.answers().items():
        for name in defined_names(source) & set(names):
            if normalise_source(source) != fixtures.get(name):
                raise CheckFailed(f"{cell_id}: defines {name}, which belongs to the fixed cell the grader uses; "
                                  "leave that cell as it was given and do not redefine its functions.")


def _call_keeping_args(student, name, *args):
    """Call the student's function; return ``(result, arguments as they are after the call)``."""
    return call(student.function(name).keeping_args, *args, name=name)


_close = partial(is_close, atol=1e-9)   # a known answer, recognised within tolerance


# --- exercise 1: ReLU and its derivative --------------------------------------------------------------

def ex1_test(student, rng):
    relu = student.function("relu")
    relu_derivative = student.function("relu_derivative")
    relu_hint = "ReLU(z) = max(0, z) entry by entry: np.maximum(z, 0) keeps the shape and the dtype."
    derivative_hint = ("1 where z > 0 and 0 elsewhere, including at z = 0: (z > 0) gives True/False, then "
                       "convert with .astype(z.dtype).")
    z = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    check_array(call(relu, z), [0, 0, 0, 0.5, 3.0], name="relu([-2, -0.5, 0, 0.5, 3])", hint=relu_hint, quiet=True)
    check_array(call(relu_derivative, z), [0, 0, 0, 1, 1], name="relu_derivative([-2, -0.5, 0, 0.5, 3])",
                hint=derivative_hint, quiet=True)
    for shape, dtype in (((4, 6), np.float32), ((2, 3, 5), np.float64)):
        z = rng.normal(size=shape).astype(dtype)
        z.flat[:3] = 0.0
        for function, name, expected, hint in ((relu, "relu", np.where(z > 0, z, 0), relu_hint),
                                               (relu_derivative, "relu_derivative", np.where(z > 0, 1, 0),
                                                derivative_hint)):
            label = f"{name}(a {' × '.join(map(str, shape))} {np.dtype(dtype).name} array)"
            got, (z_after,) = _call_keeping_args(student, name, z)
            check_array(got, expected, dtype=dtype, name=label, hint=hint, quiet=True)
            check_true(np.array_equal(z_after, z), "z was changed: compute a new array instead of writing into z.",
                       name=label, hint="np.maximum(z, 0) and (z > 0).astype(z.dtype) leave z as it was.")
    check_array(call(relu_derivative, np.zeros(3)), np.zeros(3), name="relu_derivative(zeros)",
                hint="at z = 0 the derivative is taken to be 0.", quiet=True)


# --- exercise 2: a stable softmax-cross-entropy -------------------------------------------------------

def _reference_cross_entropy(logits, y):
    logits = np.asarray(logits, dtype=np.float64)
    n, k = logits.shape
    one_hot = np.eye(k)[y]
    m = logits.max(axis=1, keepdims=True)
    log_sum = m[:, 0] + np.log(np.exp(logits - m).sum(axis=1))
    log_p = logits - log_sum[:, None]
    loss = -np.sum(one_hot * log_p) / n
    return loss, (np.exp(log_p) - one_hot) / n


def ex2_test(student, rng):
    softmax_cross_entropy = student.function("softmax_cross_entropy")
    stable = ("subtract each row's largest logit before np.exp, and take logs before dividing: "
              "log P = (z − m) − log Σ exp(z − m).")
    cases = [(np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]]), np.array([0, 1]), "two rows",
              "the loss is the mean over the rows of −log P[i, y_i]."),
             (np.array([[1000.0, 0.0, -1000.0]]), np.array([2]), "[[1000, 0, -1000]], [2]", stable)]
    big = 60 * rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, size=6)
    cases += [(big, labels, "6×5 logits of size ~60", stable),
              (big.astype(np.float32), labels, "float32 logits", "the same formula works for float32 input."),
              (big + 500.0, labels, "logits + 500", "adding the same number to every logit must not change "
                                                     "the loss; " + stable),
              (np.array([[3.0, -1.0]]), np.array([0]), "one row, two classes", "a single row is a batch with n = 1.")]
    for logits, y, description, hint in cases:
        name = f"softmax_cross_entropy({description})"
        got = call(softmax_cross_entropy, logits, y, name=name)
        check_true(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"expected a pair (loss, grad), but got {type(got).__name__}.", name=name,
                   hint="end with `return loss, grad`.")
        expected_loss, expected_grad = _reference_cross_entropy(logits, y)
        n = logits.shape[0]
        if n > 1 and _close(got[0], expected_loss * n, rtol=1e-7):
            check_true(False, "this loss is the sum over the rows; the question asks for the mean.",
                       name=f"{name}: loss", hint="divide by n, the number of rows.")
        check_scalar(got[0], expected_loss, rtol=1e-7, atol=1e-10, name=f"{name}: loss", hint=hint, quiet=True)
        check_shape(got[1], logits.shape, name=f"{name}: grad", hint="grad has the shape of the logits, (n, K).",
                    quiet=True)
        if n > 1 and _close(got[1], expected_grad * n, rtol=1e-7, atol=1e-10):
            check_true(False, "grad is not divided by n: the loss is a mean over the rows, so is its gradient.",
                       name=f"{name}: grad", hint="grad = (softmax(logits) − Y) / n.")
        check_array(got[1], expected_grad, rtol=1e-7, atol=1e-10, name=f"{name}: grad",
                    hint="grad = (softmax(logits) − Y) / n: subtract 1 at each row's true class, then divide by n.",
                    quiet=True)


# --- exercise 3: the backward pass of a dense layer ---------------------------------------------------

def _reference_dense_gradients(G, X, W):
    n, d_in = X.shape
    d_out = W.shape[1]
    grad_X = np.array([[sum(G[i, j] * W[k, j] for j in range(d_out)) for k in range(d_in)] for i in range(n)])
    grad_W = np.array([[sum(X[i, k] * G[i, j] for i in range(n)) for j in range(d_out)] for k in range(d_in)])
    grad_b = np.array([sum(G[i, j] for i in range(n)) for j in range(d_out)])
    return grad_X, grad_W, grad_b


def ex3_test(student, rng):
    dense_backward = student.function("dense_backward")
    cases = [(np.array([[1.0, -1.0, 2.0]]), np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]),
              "the example")]
    for n, d_in, d_out in ((4, 5, 3), (7, 6, 2), (1, 4, 4), (3, 1, 1)):
        cases.append((rng.normal(size=(n, d_out)), rng.normal(size=(n, d_in)), rng.normal(size=(d_in, d_out)),
                      f"n={n}, d_in={d_in}, d_out={d_out}"))
    for G, X, W, description in cases:
        name = f"dense_backward({description})"
        got = call(dense_backward, G, X, W, name=name,
                   hint="check the shapes: grad_X = G Wᵀ is (n, d_out)(d_out, d_in), grad_W = Xᵀ G is "
                        "(d_in, n)(n, d_out).")
        check_true(isinstance(got, (tuple, list)) and len(got) == 3,
                   f"expected a triple (grad_X, grad_W, grad_b), but got {type(got).__name__}.", name=name,
                   hint="end with `return grad_X, grad_W, grad_b`.")
        expected_X, expected_W, expected_b = _reference_dense_gradients(G, X, W)
        check_array(got[1], expected_W, name=f"{name}: grad_W", quiet=True,
                    hint="grad_W = Xᵀ G, of the shape of W: (d_in, n) times (n, d_out).")
        if _close(got[2], expected_b / G.shape[0]) and G.shape[0] > 1:
            check_true(False, "grad_b is the mean of G over the rows; it is their sum.", name=f"{name}: grad_b",
                       hint="b is added to every row, so its gradient sums G over the rows: G.sum(axis=0).")
        check_array(got[2], expected_b, name=f"{name}: grad_b", quiet=True,
                    hint="b is added to every row, so its gradient sums G over the rows: G.sum(axis=0).")
        check_array(got[0], expected_X, name=f"{name}: grad_X", hint="grad_X = G Wᵀ, of the shape of X.", quiet=True)


# --- exercise 4: a gradient check ---------------------------------------------------------------------

def _layer_gradients(X, T, W, b):
    Z = X @ W + b
    R = np.maximum(Z, 0) - T
    G = 2 * R * (Z > 0) / R.size
    return X.T @ G, G.sum(axis=0)


def ex4_test(student, rng):
    forbid(student, "ex4_answer", ["tf.GradientTape", "GradientTape", "gradient_check_layer", "gradient_check_cube"],
           "estimate the gradient with central differences, by calling loss()")
    _fixture_intact(student, ["gradient_check_layer", "gradient_check_cube"])
    layer_check = student.function("gradient_check_layer")
    cube_check = student.function("gradient_check_cube")
    numerical_gradient = student.value("numerical_gradient")
    if numerical_gradient is None or not hasattr(numerical_gradient, "type_name"):
        raise CheckFailed("numerical_gradient: not defined as a function; run the cell that defines it.")
    nudge_hint = ("for each index: nudge param[index] by +h, call loss(), by −h, call loss(), restore it, "
                  "and store (loss_plus − loss_minus) / (2h).")
    restore = "put each entry back to its original value after nudging it."
    # Σθ³: the central difference is exactly 3θ² + h², a forward difference is 3θ² + 3θh + h²
    for theta, h in ((np.array([[0.5, -1.0], [2.0, 1.5]]), 0.1), (rng.normal(size=5), 0.05)):
        estimate, theta_after = call(cube_check, numerical_gradient, theta, h=h,
                                     name=f"numerical_gradient(Σθ³, θ of shape {theta.shape}, h={h})")
        check_array(estimate, 3 * theta**2 + h**2, rtol=1e-9, atol=1e-12,
                    name=f"numerical_gradient(Σθ³, θ of shape {theta.shape}, h={h})", quiet=True,
                    hint="for θ³ the central difference is exactly 3θ² + h²: use (L(θ + h) − L(θ − h)) / (2h) with "
                         "the h you are given, not a one-sided difference.")
        check_true(np.array_equal(theta_after, theta), "θ was left changed.", name="numerical_gradient(Σθ³)",
                   hint=restore)
    n, d_in, d_out = 6, 4, 3
    X, T = rng.normal(size=(n, d_in)), rng.normal(size=(n, d_out))
    W, b = rng.normal(size=(d_in, d_out)), rng.normal(size=d_out)
    expected_W, expected_b = _layer_gradients(X, T, W, b)
    for which, expected, options in (("W", expected_W, {}), ("b", expected_b, {}), ("W", expected_W, {"h": 1e-4})):
        name = f"numerical_gradient(layer_loss, {which}{', h=1e-4' if options else ''})"
        estimate, W_after, b_after = call(layer_check, numerical_gradient, X, T, W, b, which, name=name, **options)
        check_array(estimate, expected, rtol=1e-5, atol=1e-8, name=name, hint=nudge_hint, quiet=True)
        check_true(np.array_equal(W_after, W) and np.array_equal(b_after, b), f"{which} was left changed.",
                   name=name, hint=restore)


# --- exercise 5: one training step --------------------------------------------------------------------

def _reference_step(params, X, y, learning_rate):
    W1, b1, W2, b2 = params
    n = X.shape[0]
    Z1 = X @ W1 + b1
    A1 = Z1 * (Z1 > 0)
    logits = A1 @ W2 + b2
    loss, G2 = _reference_cross_entropy(logits, y)
    grad_W2, grad_b2 = A1.T @ G2, G2.sum(axis=0)
    G1 = (G2 @ W2.T) * (Z1 > 0)
    grad_W1, grad_b1 = X.T @ G1, G1.sum(axis=0)
    del n
    return loss, tuple(p - learning_rate * g for p, g in zip(params, (grad_W1, grad_b1, grad_W2, grad_b2)))


def ex5_test(student, rng):
    training_step = student.function("training_step")
    hints = {"new W2": "W2 − η A1ᵀ G2, with G2 = (P − Y)/n.",
             "new b2": "b2 − η (the column sums of G2).",
             "new W1": "W1 − η Xᵀ G1, with G1 = (G2 W2ᵀ) ⊙ ReLU'(Z1): multiply by the ReLU mask (Z1 > 0), and "
                       "use W2 before its update.",
             "new b1": "b1 − η (the column sums of G1), with G1 = (G2 W2ᵀ) ⊙ ReLU'(Z1)."}
    digits_X, _, digits_y, _ = load_digits_split()
    small = (rng.normal(size=(3, 4)), 0.1 * rng.normal(size=4), rng.normal(size=(4, 3)), 0.1 * rng.normal(size=3))
    hidden = (rng.normal(0, np.sqrt(2 / 64), size=(64, 16)), 0.1 * rng.normal(size=16),
              rng.normal(0, np.sqrt(2 / 16), size=(16, 10)), 0.1 * rng.normal(size=10))
    start = int(rng.integers(0, len(digits_X) - 32))
    batch_X, batch_y = digits_X[start:start + 32].astype(np.float64), digits_y[start:start + 32]
    cases = [(small, rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0]), 0.5, "a 3–4–3 network, 5 examples"),
             (hidden, batch_X, batch_y, 0.1, "a 64–16–10 network, 32 digits")]
    for params, X, y, learning_rate, description in cases:
        name = f"training_step({description})"
        got, args_after = _call_keeping_args(student, "training_step", params, X, y, learning_rate)
        check_true(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"expected a pair (loss, new_params), but got {type(got).__name__}.", name=name,
                   hint="end with `return loss, (new_W1, new_b1, new_W2, new_b2)`.")
        check_true(isinstance(got[1], (tuple, list)) and len(got[1]) == 4,
                   "new_params should hold four arrays: W1, b1, W2, b2, in that order.", name=name)
        expected_loss, expected_params = _reference_step(params, X, y, learning_rate)
        check_scalar(got[0], expected_loss, rtol=1e-7, name=f"{name}: loss", quiet=True,
                     hint="the loss before the update: the mean over the rows of log Σ exp(z) − z_y, computed stably.")
        for index, label in ((2, "new W2"), (3, "new b2"), (0, "new W1"), (1, "new b1")):
            if label == "new W2" and _close(got[1][2], params[2] + X.shape[0] * (expected_params[2] - params[2]),
                                            rtol=1e-7, atol=1e-12):
                check_true(False, "the gradient is not divided by n.", name=f"{name}: {label}",
                           hint="G2 = (P − Y) / n: the loss is a mean over the n examples.")
            check_array(got[1][index], expected_params[index], rtol=1e-7, atol=1e-12, name=f"{name}: {label}",
                        hint=hints[label], quiet=True)
        params_after = args_after[0]
        check_true(all(np.array_equal(p, q) for p, q in zip(params, params_after)),
                   "the arrays in params were changed: compute new arrays (p - learning_rate * g), not p -= ...",
                   name=name)
    losses, current = [], hidden
    for _ in range(30):
        loss_value, current = call(training_step, current, batch_X, batch_y, 0.5, name="training_step (30 steps)")
        losses.append(float(loss_value))
    check_true(losses[-1] < 0.5 * losses[0], f"30 steps should halve the loss at least; it went from "
               f"{losses[0]:.3f} to {losses[-1]:.3f}.", name="training_step (30 steps)",
               hint="subtract the gradient (θ − η g), and return the new parameters in the order W1, b1, W2, b2.")


# --- exercise 6: counting parameters ------------------------------------------------------------------

def _reference_count(layer_sizes):
    total = 0
    for position in range(1, len(layer_sizes)):
        total += layer_sizes[position - 1] * layer_sizes[position] + layer_sizes[position]
    return total


def ex6_test(student, rng):
    count_parameters = student.function("count_parameters")
    hint = "each layer has d_in · d_out weights and d_out biases: sum (d_in + 1) · d_out over consecutive pairs."
    cases = [[3, 4, 2], [64, 128, 10], [5, 1], [784, 256, 128, 10], [3, 3, 3, 3, 3], [1, 100, 1]]
    cases += [[int(v) for v in rng.integers(1, 300, size=int(rng.integers(2, 6)))] for _ in range(3)]
    for sizes in cases:
        got = call(count_parameters, sizes, name=f"count_parameters({sizes})")
        without_biases = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
        if _close(got, without_biases) and without_biases != _reference_count(sizes):
            check_true(False, "this counts the weights only: every neuron of a layer also has a bias.",
                       name=f"count_parameters({sizes})", hint=hint)
        check_equal(got, _reference_count(sizes), name=f"count_parameters({sizes})", hint=hint, quiet=True)
    check_equal(call(count_parameters, (10, 20, 30)), _reference_count([10, 20, 30]),
                name="count_parameters((10, 20, 30)), a tuple", hint="layer_sizes may also be a tuple.", quiet=True)


# --- exercise 7: a Keras model to a specification -----------------------------------------------------

def _forward(weights, x):
    (W1, b1), (W2, b2), (W3, b3) = zip(weights[0::2], weights[1::2])
    h = np.maximum(x @ W1 + b1, 0)
    h = np.maximum(h @ W2 + b2, 0)
    return h @ W3 + b3


def ex7_test(student, rng):
    build_model = student.function("build_model")
    model = call(build_model, name="build_model()")
    check_true(hasattr(model, "type_name") and model.type_name.endswith("Sequential"),
               f"expected a keras.Sequential model, but got {getattr(model, 'type_name', type(model).__name__)}.",
               name="build_model()", hint="build keras.Sequential([...]) and end with `return model`.")
    layers = model.layers
    dense = [layer for layer in layers if layer.type_name.endswith(".Dense")]
    check_equal([layer.units for layer in dense], [64, 32, 10], name="the sizes of the Dense layers",
                hint="Dense(64), Dense(32), then Dense(10) for the ten digits.", quiet=True)
    configs = [layer.get_config() for layer in dense]
    check_equal([c["activation"] for c in configs], ["relu", "relu", "linear"], name="the activations", quiet=True,
                hint="ReLU in the two hidden layers and none in the output layer (Keras calls 'no activation' "
                     "linear): the loss applies the softmax.")
    check_equal(int(model.count_params()), (64 + 1) * 64 + (64 + 1) * 32 + (32 + 1) * 10,
                name="the number of parameters", hint="the input must have 64 features: keras.Input(shape=(64,)).",
                quiet=True)
    initialisers = [c["kernel_initializer"]["class_name"] if isinstance(c["kernel_initializer"], dict)
                    else str(c["kernel_initializer"]) for c in configs[:2]]
    check_equal(initialisers, ["HeNormal", "HeNormal"], name="the initialisation of the hidden layers",
                hint='kernel_initializer="he_normal" in both hidden layers.', quiet=True)
    # behaviour: the model's output is the forward pass of its own weights (relu, relu, logits)
    x = rng.normal(size=(5, 64)).astype(np.float32)
    weights = [np.asarray(w, dtype=np.float64) for w in model.get_weights()]
    check_true(len(weights) == 6, "expected 6 weight arrays (a kernel and a bias per Dense layer).",
               name="build_model()", hint="three Dense layers, each with its bias (use_bias left on).")
    check_array(model.predict(x, verbose=0), _forward(weights, x.astype(np.float64)), rtol=1e-4, atol=1e-4,
                name="the model's output on 5 inputs", quiet=True,
                hint="64 inputs -> Dense 64 ReLU -> Dense 32 ReLU -> Dense 10 with no activation (logits).")
    try:
        optimizer = model.optimizer
    except AttributeError:  # Keras 3: a model that was never compiled has no optimizer attribute
        optimizer = None
    check_true(optimizer is not None, "the model is not compiled.", name="build_model()",
               hint="call model.compile(optimizer=..., loss=..., metrics=[...]) before returning it.")
    check_true(hasattr(optimizer, "type_name") and optimizer.type_name.endswith("Adam"),
               f"the optimiser should be Adam, not {getattr(optimizer, 'type_name', optimizer)}.",
               name="the optimiser", hint="keras.optimizers.Adam(learning_rate=0.005).")
    check_scalar(optimizer.get_config()["learning_rate"], 0.005, rtol=1e-6, name="the learning rate",
                 hint="keras.optimizers.Adam(learning_rate=0.005).", quiet=True)
    loss = model.loss
    loss_ok = hasattr(loss, "type_name") and loss.type_name.endswith("SparseCategoricalCrossentropy") \
        and bool(loss.get_config().get("from_logits"))
    check_true(loss_ok, "the loss should be SparseCategoricalCrossentropy(from_logits=True).", name="the loss",
               hint="the output layer gives logits, so the loss must know: from_logits=True.")
    check_equal(model.get_compile_config()["metrics"], ["accuracy"], name="the metrics", hint='metrics=["accuracy"]',
                quiet=True)
    digits_X, digits_X_test, digits_y, digits_y_test = load_digits_split()
    keras_module = student.value("keras")
    keras_module.utils.set_random_seed(0)
    trained = call(build_model, name="build_model()")
    trained.fit(digits_X, digits_y, epochs=5, batch_size=32, verbose=0)
    _, accuracy = trained.evaluate(digits_X_test, digits_y_test, verbose=0)
    check_true(accuracy > 0.9, f"after 5 epochs the model should pass 90% test accuracy; it has {accuracy:.3f}.",
               name="build_model() trained on the digits",
               hint="check the learning rate (0.005) and the loss (from_logits=True).")


# --- exercise 8: derive a gradient (sigmoid with binary cross-entropy) --------------------------------

def _bce_gradient(z, y):
    # d/dz of -(y log σ(z) + (1 - y) log(1 - σ(z))) / n = (σ(z) - y) / n, with σ computed stably
    p = np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), np.exp(-np.abs(z)) / (1 + np.exp(-np.abs(z))))
    return (p - y) / z.shape[0]


def ex8_test(student, rng):
    forbid(student, "ex8_answer", ["tf.GradientTape", "GradientTape", "tf.gradients", "jax", "torch"],
           "derive the derivative by hand and write the formula")
    bce_logit_gradient = student.function("bce_logit_gradient")
    hint = ("simplify: the 1/p and 1/(1 − p) of the loss cancel against σ'(z) = p(1 − p), so ∂L/∂z_i is "
            "(σ(z_i) − y_i) / n; the loss is a mean over the n examples.")
    stable = "a simplified formula stays finite; compute σ(z) without overflow for large |z| (e.g. with np.logaddexp)."
    cases = [(np.array([0.0, 2.0, -1.0]), np.array([1, 0, 0]), "[0, 2, -1], [1, 0, 0]", hint),
             (np.array([1000.0, -1000.0, 40.0, -40.0]), np.array([0, 1, 1, 0]), "logits of ±1000 and ±40", stable)]
    for n, scale in ((50, 1.0), (200, 8.0), (7, 30.0)):
        cases.append((scale * rng.normal(size=n), rng.integers(0, 2, size=n), f"{n} logits of size ~{scale:g}", hint))
    for z, y, description, case_hint in cases:
        name = f"bce_logit_gradient({description})"
        got = call(bce_logit_gradient, z, y, name=name)
        expected = _bce_gradient(z, y.astype(float))
        if _close(got, expected * z.shape[0], rtol=1e-9, atol=1e-15) and z.shape[0] > 1:
            check_true(False, "this is the gradient of the sum; the loss is the mean over the n examples.", name=name,
                       hint="divide by n.")
        check_array(got, expected, rtol=1e-9, atol=1e-15, name=name, hint=case_hint, quiet=True)


# --- exercise 9: debug a backward pass ----------------------------------------------------------------

def _network_gradients(X, y, W1, b1, W2, b2, *, mask=True):
    """The gradients of the mean softmax cross-entropy of ReLU(X W1 + b1) W2 + b2, example by example.

    With ``mask=False``: the same with the ReLU mask left out (the most common bug), for feedback.
    """
    n, k = X.shape[0], W2.shape[1]
    grads = [np.zeros_like(W1), np.zeros_like(b1), np.zeros_like(W2), np.zeros_like(b2)]
    for i in range(n):
        z1 = X[i] @ W1 + b1
        a1 = np.maximum(z1, 0)
        z2 = a1 @ W2 + b2
        p = np.exp(z2 - z2.max())
        p /= p.sum()
        g2 = (p - np.eye(k)[y[i]]) / n                 # dL/dlogits of example i (the loss is a mean)
        g1 = (W2 @ g2) * ((z1 > 0) if mask else 1.0)   # back through W2, then through the ReLU
        grads[0] += np.outer(X[i], g1)
        grads[1] += g1
        grads[2] += np.outer(a1, g2)
        grads[3] += g2
    return tuple(grads)


def _untransposed(X, y, W1, b1, W2, b2):
    """Layer 1's gradients (with and without the ReLU mask) when W2 is used where W2ᵀ belongs (needs h = k)."""
    n = X.shape[0]
    Z1 = X @ W1 + b1
    logits = np.maximum(Z1, 0) @ W2 + b2
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    G2 = (P / P.sum(axis=1, keepdims=True) - np.eye(W2.shape[1])[y]) / n
    G1_masked, G1_unmasked = (G2 @ W2) * (Z1 > 0), G2 @ W2
    return (X.T @ G1_masked, X.T @ G1_unmasked), (G1_masked.sum(axis=0), G1_unmasked.sum(axis=0))


def _network_case(rng, n, d, h, k):
    X = rng.normal(size=(n, d))
    y = rng.integers(0, k, size=n)
    W1, b1 = rng.normal(size=(d, h)), 0.5 * rng.normal(size=h)
    W2, b2 = rng.normal(size=(h, k)), 0.5 * rng.normal(size=k)
    return X, y, W1, b1, W2, b2


def ex9_test(student, rng):
    forbid(student, "ex9_answer", ["tf.GradientTape", "GradientTape", "tf.gradients", "jax", "torch"],
           "repair the NumPy backward pass itself; use tf.GradientTape or numerical_gradient in a scratch cell "
           "to check it, not in the answer")
    network_gradients = student.function("network_gradients")
    visible = (np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, -1.0], [2.0, 1.0]]), np.array([0, 1, 1, 0]),
               np.array([[0.5, -1.0, 0.25], [1.0, 0.5, -0.5]]), np.array([0.25, 0.75, -0.25]),
               np.array([[1.0, -1.0], [-0.5, 0.5], [0.25, 1.0]]), np.array([0.1, -0.1]))
    cases = [(visible, "the example: n=4, d=2, h=3, k=2")]
    for n, d, h, k in ((6, 4, 5, 3), (10, 3, 7, 4), (1, 5, 2, 3), (8, 2, 4, 4), (3, 3, 3, 3)):
        cases.append((_network_case(rng, n, d, h, k), f"n={n}, d={d}, h={h}, k={k}"))
    labels = ("grad_W1", "grad_b1", "grad_W2", "grad_b2")
    hints = {"grad_W2": "grad_W2 = A1ᵀ G2 with G2 = (P − Y) / n.",
             "grad_b2": "b2 is added to every row, so its gradient sums G2 over the rows (axis=0): shape (k,).",
             "grad_W1": "grad_W1 = Xᵀ G1 with G1 = (G2 W2ᵀ) ⊙ ReLU'(Z1).",
             "grad_b1": "grad_b1 sums G1 = (G2 W2ᵀ) ⊙ ReLU'(Z1) over the rows."}
    for (X, y, W1, b1, W2, b2), description in cases:
        name = f"network_gradients({description})"
        got = call(network_gradients, X, y, W1, b1, W2, b2, name=name,
                   hint="check the shape of every product when all the sizes differ: the gradient flowing back "
                        "into the hidden layer is G2 W2ᵀ, (n, k) times (k, h).")
        check_true(isinstance(got, (tuple, list)) and len(got) == 4,
                   f"expected four arrays (grad_W1, grad_b1, grad_W2, grad_b2), but got {type(got).__name__}.",
                   name=name, hint="end with `return grad_W1, grad_b1, grad_W2, grad_b2`.")
        expected = _network_gradients(X, y, W1, b1, W2, b2)
        unmasked = _network_gradients(X, y, W1, b1, W2, b2, mask=False)
        n, h, k = X.shape[0], W1.shape[1], W2.shape[1]
        for index, label in enumerate(labels):
            check_shape(got[index], expected[index].shape, name=f"{name}: {label}", quiet=True,
                        hint=f"a gradient has the shape of its parameter. {hints[label]}")
        if n > 1 and all(_close(g, n * e) for g, e in zip(got, expected)):
            check_true(False, "every gradient is n times too large: G2 = P − Y is not divided by n, but the loss "
                              "is a mean over the n examples.", name=name, hint="divide G2 by n.")
        for index in (2, 3):
            if n > 1 and _close(got[index], expected[index] / n):
                check_true(False, "this is divided by n twice: G2 already holds the 1/n of the mean.",
                           name=f"{name}: {labels[index]}", hint=hints[labels[index]])
            check_array(got[index], expected[index], name=f"{name}: {labels[index]}", hint=hints[labels[index]],
                        quiet=True)
        for index in (0, 1):
            label = labels[index]
            if n > 1 and _close(got[index], n * expected[index]):
                check_true(False, "the layer-1 gradient is n times too large, although layer 2's is right: the "
                                  "1/n of the mean must reach layer 1 too.", name=f"{name}: {label}",
                           hint="divide G2 by n before it is sent back through W2, not only the layer-2 gradients.")
            if not _close(unmasked[index], expected[index]) and any(_close(got[index], c * unmasked[index])
                                                                     for c in (1, n)):
                check_true(False, "the ReLU mask is missing: the gradient went back through the hidden units as if "
                                  "ReLU were the identity.", name=f"{name}: {label}",
                           hint="multiply G2 W2ᵀ entry by entry by ReLU'(Z1) = (Z1 > 0).")
            if h == k and any(_close(got[index], c * g) and not _close(g, expected[index])
                              for g in _untransposed(X, y, W1, b1, W2, b2)[index] for c in (1, n)):
                check_true(False, "W2 is used where W2ᵀ belongs: with h = k the shapes fit, the values do not.",
                           name=f"{name}: {label}", hint="the gradient flowing back into the hidden layer is G2 W2ᵀ.")
            check_array(got[index], expected[index], name=f"{name}: {label}", hint=hints[label], quiet=True)
