"""Trusted tests for chapter 7's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Inputs are drawn from ``rng`` at grade time; the expected values come from the
references written here. A question scores its points when its function returns.
Where a wrong answer has a typical cause, the test recognises it and says so.
"""

from functools import partial

import numpy as np

from dlmath.checks import call, check_array, check_raises, check_scalar, check_true, is_close


# What each exercise asks of the student (book/exercise_catalogue.md): apply a formula the chapter gives,
# derive one it does not, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply", "ex2_test": "apply", "ex3_test": "apply", "ex4_test": "apply",
         "ex5_test": "derive", "ex6_test": "decide", "ex7_test": "debug"}

_is_close = partial(is_close, atol=1e-9)   # an answer of any type; False for anything not comparable


# --- exercise 1: inverted dropout -----------------------------------------------------------------

def _dropout(A, keep_mask, rate, training):
    return A * keep_mask / (1 - rate) if training else A


def ex1_test(student, rng):
    inverted_dropout = student.function("inverted_dropout")
    for shape, rate in (((3, 4), 0.5), ((5, 2), 0.2), ((2, 6), 0.75), ((4, 3), 0.0)):
        A = rng.normal(size=shape)
        keep_mask = rng.random(shape) >= rate
        got = call(inverted_dropout, A, keep_mask, rate, True, name="inverted_dropout")
        check_array(got, _dropout(A, keep_mask, rate, True), name=f"inverted_dropout in training (rate {rate})",
                    hint="zero the dropped entries and divide the kept ones by 1 - rate, the probability of "
                         "keeping a unit, so that the output's expectation is A.", quiet=True)
        got = call(inverted_dropout, A, keep_mask, rate, False, name="inverted_dropout")
        check_array(got, A, name=f"inverted_dropout at inference (rate {rate})",
                    hint="at inference dropout does nothing: return A itself, no mask and no scaling "
                         "(the scaling already happened in training).", quiet=True)


# --- exercise 2: initialisation scales ------------------------------------------------------------

def ex2_test(student, rng):
    init_std = student.function("init_std")
    for _ in range(4):
        fan_in, fan_out = (int(v) for v in rng.integers(1, 500, size=2))
        got = call(init_std, fan_in, fan_out, "relu", name="init_std")
        if _is_close(got, 2.0 / fan_in):
            check_true(False, "this is the variance 2 / fan_in; the question asks for the standard deviation.",
                       name=f'init_std({fan_in}, {fan_out}, "relu")', hint="take the square root.")
        check_scalar(got, np.sqrt(2.0 / fan_in), name=f'init_std({fan_in}, {fan_out}, "relu")',
                     hint="He initialisation: variance 2 / fan_in, because ReLU zeroes half of its inputs; "
                          "return the standard deviation.", quiet=True)
        got = call(init_std, fan_in, fan_out, "tanh", name="init_std")
        if _is_close(got, 2.0 / (fan_in + fan_out)):
            check_true(False, "this is the variance 2 / (fan_in + fan_out); the question asks for the standard "
                              "deviation.", name=f'init_std({fan_in}, {fan_out}, "tanh")', hint="take the square root.")
        check_scalar(got, np.sqrt(2.0 / (fan_in + fan_out)), name=f'init_std({fan_in}, {fan_out}, "tanh")',
                     hint="Glorot initialisation: variance 2 / (fan_in + fan_out), the compromise between the forward "
                          "pass (1 / fan_in) and the backward pass (1 / fan_out).", quiet=True)
    check_raises(init_std, (64, 64, "swish"), ValueError, name='init_std(64, 64, "swish")',
                 hint="raise ValueError for an activation other than 'relu' or 'tanh'.", quiet=True)


# --- exercise 3: one Adam step --------------------------------------------------------------------

def _adam(theta, grad, m, s, t, learning_rate, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    s = beta2 * s + (1 - beta2) * grad ** 2
    m_hat, s_hat = m / (1 - beta1 ** t), s / (1 - beta2 ** t)
    return theta - learning_rate * m_hat / (np.sqrt(s_hat) + eps), m, s


def _adam_result(student_function, args, label):
    result = call(student_function, *args, name="adam_step")
    check_true(isinstance(result, (tuple, list)) and len(result) == 3,
               "adam_step must return a tuple of three arrays (theta, m, s).", name=label)
    return result


def ex3_test(student, rng):
    adam_step = student.function("adam_step")
    # 1. The running averages (what the next step needs): the raw m and s, not their corrected forms.
    for t in (1, 2, 7, 100):
        d = int(rng.integers(2, 6))
        theta, grad = rng.normal(size=d), rng.normal(size=d)
        m, s = rng.normal(0, 0.1, size=d), rng.uniform(0, 0.01, size=d)
        args = (theta, grad, m, s, t, 0.01, 0.9, 0.999, 0.0)
        want = _adam(*args)
        label = f"adam_step at t = {t}"
        got = _adam_result(adam_step, args, label)
        check_array(got[1], want[1], name=f"m returned by {label}",
                    hint="return the running average m = β₁ m + (1 − β₁) g itself, not its bias-corrected form: "
                         "the next step continues from it.", quiet=True)
        check_array(got[2], want[2], name=f"s returned by {label}",
                    hint="return the running average s = β₂ s + (1 − β₂) g² itself, not its bias-corrected form.",
                    quiet=True)
        # 2. The step, with eps = 0 so only the bias correction matters.
        check_array(got[0], want[0], name=f"theta returned by {label}",
                    hint="bias correction: for the step, divide m by 1 − β₁ᵗ and s by 1 − β₂ᵗ, with t the step "
                         "number counting from 1.", quiet=True)
    # 3. Where eps goes: tiny gradients make the difference visible.
    theta, grad = rng.normal(size=4), rng.normal(0, 1e-4, size=4)
    args = (theta, grad, np.zeros(4), np.zeros(4), 1, 0.1, 0.9, 0.999, 1e-3)
    got = _adam_result(adam_step, args, "adam_step with eps = 1e-3")
    check_array(got[0], _adam(*args)[0], name="theta with tiny gradients and eps = 1e-3",
                hint="add eps to the square root of the corrected second moment, √ŝ + ε, outside the square root.",
                quiet=True)


# --- exercise 4: warm-up and cosine ----------------------------------------------------------------

def _warmup_cosine(step, total_steps, warmup_steps, base_lr):
    if step < warmup_steps:
        return base_lr * (step + 1) / warmup_steps
    return base_lr * (1 + np.cos(np.pi * (step - warmup_steps) / (total_steps - warmup_steps))) / 2


def ex4_test(student, rng):
    warmup_cosine = student.function("warmup_cosine")
    settings = [(10, 2, 0.1), (int(rng.integers(30, 80)), int(rng.integers(3, 10)), float(rng.uniform(1e-4, 1e-2))),
                (12, 0, 1.0)]
    for total, warmup, base in settings:
        for step in range(warmup):
            check_scalar(call(warmup_cosine, step, total, warmup, base, name="warmup_cosine"),
                         _warmup_cosine(step, total, warmup, base),
                         name=f"warmup_cosine({step}, {total}, {warmup}, {base:g}) in the warm-up",
                         hint="in the warm-up the rate is η (t + 1)/W: the first step (t = 0) already has η/W, "
                              "and step W − 1 reaches η.", quiet=True)
        for step in range(warmup, total):
            check_scalar(call(warmup_cosine, step, total, warmup, base, name="warmup_cosine"),
                         _warmup_cosine(step, total, warmup, base),
                         name=f"warmup_cosine({step}, {total}, {warmup}, {base:g}) after the warm-up",
                         hint="after the warm-up the cosine starts at η at t = W and runs over the T − W steps that "
                              "remain: its progress is (t − W)/(T − W).", quiet=True)


# --- exercise 5: layer normalisation backward --------------------------------------------------------

def _normalised(X, eps, axis):
    mean = X.mean(axis=axis, keepdims=True)
    inv_std = 1 / np.sqrt(X.var(axis=axis, keepdims=True) + eps)
    return (X - mean) * inv_std, inv_std


def _layer_norm_backward(grad_Y, X, gamma, eps, axis=1):
    X_hat, inv_std = _normalised(X, eps, axis)
    g = grad_Y * gamma
    grad_X = inv_std * (g - g.mean(axis=axis, keepdims=True) - X_hat * (g * X_hat).mean(axis=axis, keepdims=True))
    return grad_X, (grad_Y * X_hat).sum(axis=0), grad_Y.sum(axis=0)


def ex5_test(student, rng):
    layer_norm_backward = student.function("layer_norm_backward")
    for n, d in ((4, 5), (1, 3), (6, 2), (3, 8)):
        X = rng.normal(1.0, 2.0, size=(n, d))
        gamma, grad_Y = rng.normal(1.0, 0.5, size=d), rng.normal(size=(n, d))
        eps = 1e-3
        want = _layer_norm_backward(grad_Y, X, gamma, eps)
        result = call(layer_norm_backward, grad_Y, X, gamma, eps, name="layer_norm_backward")
        label = f"layer_norm_backward on a {n}×{d} batch"
        check_true(isinstance(result, (tuple, list)) and len(result) == 3,
                   "layer_norm_backward must return a tuple (grad_X, grad_gamma, grad_beta).", name=label)
        grad_X, grad_gamma, grad_beta = result
        check_array(grad_beta, want[2], name=f"grad_beta ({label})",
                    hint="β_j is added to entry j of every row: sum ∂L/∂Y over the examples (axis 0).", quiet=True)
        X_hat, inv_std = _normalised(X, eps, 1)
        g = grad_Y * gamma
        constants = g * inv_std
        mean_only = inv_std * (g - g.mean(axis=1, keepdims=True))
        if _is_close(grad_X, constants):
            check_true(False, "this treats the row's mean and variance as constants; both depend on every entry "
                              "of the row, so each x_k also acts through them.", name=f"grad_X ({label})",
                       hint="differentiate the mean and the variance with respect to x_k too.")
        if _is_close(grad_X, mean_only):
            check_true(False, "the path through the mean is there, but the path through the variance is "
                              "missing.", name=f"grad_X ({label})",
                       hint="differentiate v = mean((x − μ)²) with respect to x_k, and 1/√(v + ε) with respect to v.")
        if n > 1 and _is_close(grad_X, _layer_norm_backward(grad_Y, X, gamma, eps, axis=0)[0]):
            check_true(False, "this normalises over the batch (each column), as batch normalisation does; layer "
                              "normalisation normalises each row over its features.", name=f"grad_X ({label})",
                       hint="take the means over axis 1, within each row.")
        check_array(grad_X, want[0], name=f"grad_X ({label})",
                    hint="check your formula against central differences of np.sum(W * layer_norm_forward(X, ...)).",
                    quiet=True)
        check_array(grad_gamma, want[1], name=f"grad_gamma ({label})",
                    hint="γ_j multiplies the normalised x̂_ij of every row i: sum ∂L/∂Y ⊙ x̂ over the examples "
                         "(axis 0).", quiet=True)


# --- exercise 6: the largest stable learning rate ------------------------------------------------------

def _random_psd(rng, d, eigenvalues):
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    return (Q * eigenvalues) @ Q.T


def ex6_test(student, rng):
    largest = student.function("largest_stable_learning_rate")
    for d, weight_decay in ((2, 0.0), (4, 0.3), (6, 2.0), (3, 0.0)):
        eigenvalues = np.sort(rng.uniform(0.2, 20.0, size=d))
        H = _random_psd(rng, d, eigenvalues)
        H = (H + H.T) / 2
        L, mu = eigenvalues[-1], eigenvalues[0]
        want = 2.0 / (L + weight_decay)
        got = call(largest, H, weight_decay, name="largest_stable_learning_rate")
        label = f"largest_stable_learning_rate (a {d}×{d} Hessian, weight decay {weight_decay:g})"
        if _is_close(got, 1.0 / (L + weight_decay), rtol=1e-4):
            check_true(False, "this is half the boundary: 1/(curvature) is the step that lands exactly on the "
                              "minimum along the steepest direction, but gradient descent still converges, "
                              "oscillating, for larger steps.", name=label,
                       hint="find where the factor 1 − η (λ_max + weight decay) reaches −1, not 0.")
        if weight_decay and _is_close(got, 2.0 / L, rtol=1e-4):
            check_true(False, "the weight decay is missing: the penalty (λ/2)‖θ‖² adds λ to every eigenvalue of "
                              "the Hessian.", name=label, hint="use the Hessian of the whole loss, H + λI.")
        if _is_close(got, 2.0 / (mu + weight_decay), rtol=1e-4):
            check_true(False, "this uses the smallest eigenvalue; the steepest direction, the largest eigenvalue, "
                              "is the first to diverge.", name=label, hint="every direction must be stable.")
        if _is_close(got, 2.0 / (np.abs(np.diag(H)).max() + weight_decay), rtol=1e-4):
            check_true(False, "this uses the largest diagonal entry of H; the curvature along the steepest "
                              "direction is an eigenvalue, not a diagonal entry.", name=label,
                       hint="the eigenvalues of a symmetric matrix: np.linalg.eigvalsh.")
        check_scalar(got, want, rtol=1e-4, name=label,
                     hint="along eigenvector i one step multiplies the component by 1 − η (λ_i + weight decay); "
                          "every such factor must have absolute value below 1.", quiet=True)


# --- exercise 7: the training loop's bugs -----------------------------------------------------------

def _sgd_epochs(X, y, w, learning_rate, batch_size, epochs, seed):
    w = np.array(w, dtype=float)
    rng = np.random.default_rng(seed)
    n = len(y)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            gradient = 2 * X[rows].T @ (X[rows] @ w - y[rows]) / len(rows)
            w = w - learning_rate * gradient
    return w


def ex7_test(student, rng):
    sgd_epochs = student.function("sgd_epochs")
    # 1. Data fitted exactly and a start at the exact weights: every correct batch gradient is zero.
    X = rng.normal(size=(9, 3))
    w_true = rng.normal(size=3)
    got = call(sgd_epochs, X, X @ w_true, w_true, 0.1, 4, 2, int(rng.integers(1000)), name="sgd_epochs")
    check_true(_is_close(got, w_true, atol=1e-10),
               "the weights moved although they already fit every example exactly: some batch pairs the rows of X "
               "with the labels of other examples.", name="sgd_epochs from the exact solution",
               hint="shuffle X and y with the same order, so every row keeps its own label.")
    # 2. One batch holding every example, one epoch: exactly one full gradient step.
    X, y = rng.normal(size=(7, 2)), rng.normal(size=7)
    w0 = rng.normal(size=2)
    got = call(sgd_epochs, X, y, w0, 0.05, 7, 1, 3, name="sgd_epochs")
    check_true(_is_close(got, _sgd_epochs(X, y, w0, 0.05, 7, 1, 3)),
               "with batch_size = n and one epoch the result should be one gradient step on all the data, "
               "and it is not: some batch is skipped.", name="sgd_epochs(batch_size = n, 1 epoch)",
               hint="use every batch, the last one too: range(0, n, batch_size) reaches every start.")
    # 3. A last batch smaller than the others, one epoch.
    X, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    w0 = rng.normal(size=3)
    got = call(sgd_epochs, X, y, w0, 0.05, 4, 1, 5, name="sgd_epochs")
    check_true(_is_close(got, _sgd_epochs(X, y, w0, 0.05, 4, 1, 5)),
               "the steps have the wrong size: the gradient must be that of the batch's mean squared error.",
               name="sgd_epochs(10 examples in batches of 4, 1 epoch)",
               hint="average over the examples of the batch: divide by the batch's own size, len(rows), which is "
                    "smaller for the last batch.")
    # 4. Several epochs: one generator, a fresh permutation each epoch.
    for n, batch_size, epochs in ((12, 5, 3), (20, 20, 4), (15, 1, 2)):
        X, y = rng.normal(size=(n, 2)), rng.normal(size=n)
        w0 = rng.normal(size=2)
        seed = int(rng.integers(1000))
        got = call(sgd_epochs, X, y, w0, 0.02, batch_size, epochs, seed, name="sgd_epochs")
        check_array(got, _sgd_epochs(X, y, w0, 0.02, batch_size, epochs, seed),
                    name=f"sgd_epochs({n} examples, batches of {batch_size}, {epochs} epochs)",
                    hint="create the generator once, before the first epoch, and draw a new permutation from it "
                         "at the start of each epoch.", quiet=True)
