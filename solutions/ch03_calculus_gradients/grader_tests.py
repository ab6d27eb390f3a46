"""Trusted tests for chapter 3's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Inputs are drawn from ``rng`` at grade time; expected values come from the references
written here. A question scores its points when its function returns.

Several exercises take functions as arguments (``f``, ``grad_f``). A function cannot
cross the sandbox boundary as data, so :func:`_kernel_function` builds it inside the
student's kernel from a line of instructor code and passes its handle: the student's
code calls it there, and only numbers come back.
"""

from functools import partial
import numpy as np

from dlmath.checks import CheckFailed, call, check_array, check_scalar, check_true, is_close
from dlmath.grading.rules import forbid, require


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "apply",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "decide",
         "ex8_test": "apply",
         "ex9_test": "derive"}

def _kernel_function(student, expression):
    """A function made in the student's kernel from ``expression`` (which may use ``np``), as a handle."""
    builtins = student.value("__builtins__")
    evaluate = builtins["eval"] if isinstance(builtins, dict) else builtins.eval
    return evaluate(f"(lambda np: {expression})(__import__('numpy'))")


def _call_and_watch(student, function_name, *args, **kwargs):
    """Call the student's function in its kernel; return (result, [was each array argument left unchanged?])."""
    watcher = _kernel_function(
        student, "lambda f, *args, **kwargs: (lambda copies: (f(*args, **kwargs), [bool(np.array_equal(a, c)) "
                 "for a, c in zip(args, copies) if isinstance(a, np.ndarray)]))"
                 "([np.copy(a) if isinstance(a, np.ndarray) else a for a in args])")
    return call(watcher, student.value(function_name), *args, name=function_name, **kwargs)


_close = partial(is_close, rtol=1e-7, atol=1e-10)   # a known answer, recognised within tolerance


def _pair(got, label, names):
    check_true(isinstance(got, (tuple, list)) and len(got) == len(names),
               f"expected {'a pair' if len(names) == 2 else 'a triple'} ({', '.join(names)}), but got "
               f"{type(got).__name__}{' of length ' + str(len(got)) if isinstance(got, (tuple, list)) else ''}.",
               name=label, hint=f"end with `return {', '.join(names)}`.")
    return got


# --- exercise 1: central difference -----------------------------------------------------------------

def ex1_test(student, rng):
    central_difference = student.function("central_difference")
    cube = _kernel_function(student, "lambda x: x**3")
    label = "central_difference(x³, 2.0, h=0.1)"
    got = call(central_difference, cube, 2.0, h=0.1, name=label)
    if _close(got, 12.61):
        check_true(False, "this is the forward difference (f(x + h) - f(x)) / h.", name=label,
                   hint="the central difference is (f(x + h) - f(x - h)) / (2h): for x³ it is exactly 3x² + h² = 12.01.")
    if _close(got, 12.0, rtol=1e-6):
        check_true(False, "the result does not depend on h: use the h you were given, not a step of your own.",
                   name=label, hint="for x³ and h = 0.1 the central difference is exactly 3x² + h² = 12.01.")
    check_scalar(got, 12.01, rtol=1e-9, name=label, quiet=True,
                 hint="divide f(x + h) − f(x − h) by 2h, using the h you were given.")
    for _ in range(3):      # a random cubic: its central difference is exactly p'(x) + a₃h²
        a = rng.normal(size=4)
        x, h = float(rng.uniform(-2, 2)), float(rng.choice([0.5, 0.1, 0.01]))
        poly = _kernel_function(student, f"lambda x: {a[0]!r} * x**3 + {a[1]!r} * x**2 + {a[2]!r} * x + {a[3]!r}")
        label = f"central_difference(a cubic, {x:.3f}, h={h})"
        expected = 3 * a[0] * x**2 + 2 * a[1] * x + a[2] + a[0] * h**2
        check_scalar(call(central_difference, poly, x, h=h, name=label), expected, rtol=1e-8, atol=1e-10, name=label,
                     quiet=True, hint="(f(x + h) − f(x − h)) / (2h) with the h you were given.")
    points = np.linspace(-2.0, 2.0, 9)
    label = "central_difference(exp, an array of 9 points)"
    got = call(central_difference, _kernel_function(student, "np.exp"), points, name=label,
               hint="the formula works element-wise on arrays.")
    check_array(got, np.exp(points), rtol=1e-8, name=label, quiet=True, hint="the formula works element-wise on arrays.")
    label = "central_difference(tanh, 9 points, h=1e-4)"
    got = call(central_difference, _kernel_function(student, "np.tanh"), points, h=1e-4, name=label)
    check_array(got, 1 - np.tanh(points) ** 2, rtol=1e-7, atol=1e-9, name=label, quiet=True,
                hint="use the h you were given.")


# --- exercise 2: the gradient of the mean squared error ---------------------------------------------

def _mse_gradient(X, y, w, b):
    r = X @ w + b - y
    return 2 / len(y) * X.T @ r, 2 / len(y) * r.sum()


def ex2_test(student, rng):
    forbid(student, "ex2_answer", ["tf.GradientTape", "tf.gradients", "tensorflow", "tf", "keras", "jax", "torch",
                                   "autograd", "np.gradient", "scipy.optimize.approx_fprime",
                                   "scipy.optimize.check_grad"],
           "derive the gradient by hand and code the formula with NumPy")
    mse_gradient = student.function("mse_gradient")
    cases = [(np.array([[1.0, 2.0]]), np.array([1.0]), np.zeros(2), 0.0),
             (rng.normal(size=(20, 3)), rng.normal(size=20), rng.normal(size=3), 0.5),
             (rng.normal(size=(200, 7)), rng.normal(size=200), rng.normal(size=7), -1.3)]
    # large numbers: finite differences of the loss lose about 8 digits here, the formula none
    X_big = rng.normal(scale=1e3, size=(15, 4))
    cases.append((X_big, rng.normal(scale=1e8, size=15), rng.normal(size=4), 3.0))
    for X, y, w, b in cases:
        label = f"mse_gradient({len(y)} examples, {X.shape[1]} features)"
        got = _pair(call(mse_gradient, X, y, w, b, name=label), label, ["grad_w", "grad_b"])
        expected_w, expected_b = _mse_gradient(X, y, w, b)
        if not _close(got[0], expected_w, rtol=1e-9):
            if _close(got[0], expected_w / 2, rtol=1e-9):
                check_true(False, "grad_w is half the gradient: the factor 2 from the square is missing.",
                           name=f"{label}: grad_w", hint="d/dr r² = 2r: grad_w = (2/n) Xᵀ r.")
            if _close(got[0], expected_w * len(y), rtol=1e-9) and len(y) > 1:
                check_true(False, "grad_w is n times too large: the loss is a mean, so its gradient has the factor 1/n.",
                           name=f"{label}: grad_w", hint="grad_w = (2/n) Xᵀ r.")
            if _close(got[0], _mse_gradient(X, y, w, 0.0)[0], rtol=1e-9) and b != 0:
                check_true(False, "grad_w is the gradient without the bias: the residuals must include b.",
                           name=f"{label}: grad_w", hint="r = X w + b − y.")
            if _close(got[0], expected_w, rtol=1e-4):
                check_true(False, "grad_w is close but not exact, as finite differences are; this exercise asks for "
                                  "the derived formula.", name=f"{label}: grad_w", hint="grad_w = (2/n) Xᵀ r, exactly.")
        check_array(got[0], expected_w, rtol=1e-9, atol=1e-10, name=f"{label}: grad_w", quiet=True,
                    hint="grad_w = (2/n) Xᵀ r, with the residuals r = X w + b − y.")
        check_scalar(got[1], expected_b, rtol=1e-9, atol=1e-10, name=f"{label}: grad_b", quiet=True,
                     hint="grad_b = (2/n) Σ r: the bias is added to every prediction.")
    w_exact = rng.normal(size=4)
    X_fit = rng.normal(size=(30, 4))
    got = _pair(call(mse_gradient, X_fit, X_fit @ w_exact + 2.0, w_exact, 2.0), "at a perfect fit", ["grad_w", "grad_b"])
    check_array(got[0], np.zeros(4), atol=1e-10, name="at a perfect fit, grad_w", quiet=True)
    check_scalar(got[1], 0.0, atol=1e-10, name="at a perfect fit, grad_b", quiet=True)


# --- exercise 3: a gradient check -------------------------------------------------------------------

def _relative_error(g, numerical):
    scale = np.linalg.norm(g) + np.linalg.norm(numerical)
    return 0.0 if scale == 0 else float(np.linalg.norm(g - numerical) / scale)


def ex3_test(student, rng):
    M = rng.normal(size=(3, 4))
    W = rng.normal(size=(3, 4))
    m = repr(M.tolist())
    f_sin = f"lambda W: np.sum(np.sin(W) * np.array({m}))"
    quartic = "lambda x: np.sum(x**4) / 4"
    x = np.array([0.5, -1.0, 2.0])
    cases = [  # (label, f, grad_f, x, expected relative error or None for "below 1e-8")
        ("Σx⁴/4 with its gradient x³", quartic, "lambda x: x**3", x, None),
        ("Σx⁴/4 with a wrong gradient x²", quartic, "lambda x: x**2", x, _relative_error(x**2, x**3)),
        ("a (3, 4) matrix of parameters", f_sin, f"lambda W: np.cos(W) * np.array({m})", W, None),
        ("a gradient 10% too large", f_sin, f"lambda W: 1.1 * np.cos(W) * np.array({m})", W, 0.1 / 2.1),
        ("a constant (both gradients zero)", "lambda x: 3.0", "lambda x: np.zeros_like(x)", np.array([1.0, 2.0]), 0.0),
        ("an integer array", quartic, "lambda x: x**3", np.array([1, 2, 3]), None),
    ]
    for label, f, grad_f, x0, expected in cases:
        label = f"gradient_check({label})"
        got, unchanged = _call_and_watch(student, "gradient_check", _kernel_function(student, f),
                                         _kernel_function(student, grad_f), x0)
        check_true(all(unchanged), "gradient_check changed the array x it was given.", name=label,
                   hint="perturb a float64 copy of x (np.array(x, dtype=np.float64)), not x itself.")
        if expected is None:
            check_scalar(got, 0.0, atol=1e-8, name=label, quiet=True,
                         hint="a correct gradient should give a relative error near 1e-10: look at your central "
                              "difference, one entry at a time, with the step h on that entry only.")
        elif expected == 0.0:
            check_scalar(got, 0.0, atol=0, name=label, quiet=True, hint="return 0.0 when both norms are zero.")
        else:
            check_scalar(got, expected, rtol=1e-6, name=label, quiet=True,
                         hint="relative error = ‖g − g̃‖ / (‖g‖ + ‖g̃‖), with g = grad_f(x) and g̃ the numerical "
                              "gradient: divide by the sum of both norms.")


# --- exercise 4: gradient descent -------------------------------------------------------------------

def ex4_test(student, rng):
    hint = "repeat x = x - learning_rate * grad_f(x) num_steps times, then return x."
    cases = [("2x², η = 0.1, 3 steps", "lambda x: 4.0 * x", np.array([1.0]), 0.1, 3, 4.0),
             ("a 2-D valley, 25 steps", "lambda x: np.array([1.0, 10.0]) * x", np.array([2.0, -1.0]), 0.15, 25,
              np.array([1.0, 10.0])),
             ("0 steps", "lambda x: 3.0 * x", np.array([0.5, -0.5, 2.0]), 0.2, 0, 3.0),
             ("7 steps on 1.5‖x‖²", "lambda x: 3.0 * x", rng.normal(size=3), 0.2, 7, 3.0),
             ("beyond 2/L (it should grow: do not clip or stop early)", "lambda x: 4.0 * x", np.array([1.0]), 0.6, 10, 4.0)]
    curvatures = rng.uniform(0.5, 3.0, size=4)
    cases.append(("a random valley, 12 steps", f"lambda x: np.array({curvatures.tolist()!r}) * x", rng.normal(size=4),
                  0.3, 12, curvatures))
    for label, grad_f, x0, eta, steps, L in cases:
        label = f"gradient_descent on {label}"
        got, (unchanged,) = _call_and_watch(student, "gradient_descent", _kernel_function(student, grad_f), x0, eta, steps)
        expected = (1 - eta * L) ** steps * x0
        if steps > 0 and not _close(got, expected):
            if _close(got, (1 + eta * L) ** steps * x0):
                check_true(False, "x moves uphill: it adds the gradient.", name=label,
                           hint="step against the gradient: x = x - learning_rate * grad_f(x).")
            for off in (-1, 1):
                if _close(got, (1 - eta * L) ** (steps + off) * x0):
                    check_true(False, f"one step too {'few' if off < 0 else 'many'}: an off-by-one in the loop.",
                               name=label, hint="for _ in range(num_steps): exactly num_steps updates.")
        check_array(got, expected, name=label, quiet=True, hint=hint)
        check_true(unchanged, "gradient_descent changed x0 in place.", name=label,
                   hint="work on a copy: x = np.array(x0, dtype=float), and write x = x - ... rather than x -= ...")


# --- exercise 5: momentum ---------------------------------------------------------------------------

def _momentum(theta, velocity, gradient, eta, beta):
    v = beta * velocity - eta * gradient
    return theta + v, v


def ex5_test(student, rng):
    momentum_step = student.function("momentum_step")
    hint_v = "new_velocity = beta * velocity - learning_rate * gradient."
    hint_theta = "new_theta = theta + new_velocity (the new velocity, not the old one)."
    cases = [(np.array([1.0, 1.0]), np.array([0.5, 0.0]), np.array([2.0, -2.0]), 0.1, 0.9)]
    for shape, eta, beta in [((3, 2), 0.01, 0.0), ((4,), 0.05, 0.8), ((2, 3), 0.2, 0.5)]:
        cases.append((rng.normal(size=shape), rng.normal(size=shape), rng.normal(size=shape), eta, beta))
    cases.append((rng.normal(size=3), rng.normal(size=3), np.zeros(3), 0.01, 0.5))
    for theta, velocity, gradient, eta, beta in cases:
        label = f"momentum_step(shape {theta.shape}, η = {eta}, β = {beta})"
        got = _pair(call(momentum_step, theta, velocity, gradient, eta, beta, name=label), label,
                    ["new_theta", "new_velocity"])
        expected_theta, expected_v = _momentum(theta, velocity, gradient, eta, beta)
        if _close(got[1], expected_theta) and _close(got[0], expected_v) and not _close(expected_v, expected_theta):
            check_true(False, "the pair is in the wrong order.", name=label, hint="return new_theta, new_velocity.")
        check_array(got[1], expected_v, name=f"{label}: new_velocity", quiet=True, hint=hint_v)
        check_array(got[0], expected_theta, name=f"{label}: new_theta", quiet=True, hint=hint_theta)
    theta, velocity = np.array([-2.6, 0.9]), np.zeros(2)
    expected_theta, expected_v = theta, velocity
    for _ in range(15):
        got = _pair(call(momentum_step, theta, velocity, np.array([1.0, 10.0]) * theta, 0.05, 0.8,
                         name="momentum_step"), "momentum_step", ["new_theta", "new_velocity"])
        theta, velocity = np.asarray(got[0], dtype=float), np.asarray(got[1], dtype=float)
        expected_theta, expected_v = _momentum(expected_theta, expected_v, np.array([1.0, 10.0]) * expected_theta,
                                               0.05, 0.8)
    check_array(theta, expected_theta, rtol=1e-9, name="θ after 15 momentum steps on a valley", quiet=True, hint=hint_theta)


# --- exercise 6: Adam -------------------------------------------------------------------------------

def _adam(theta, m, s, g, t, eta, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    s = beta2 * s + (1 - beta2) * g**2
    return theta - eta * (m / (1 - beta1**t)) / (np.sqrt(s / (1 - beta2**t)) + eps), m, s


def ex6_test(student, rng):
    adam_step = student.function("adam_step")
    names = ["new_theta", "new_m", "new_s"]
    g_1 = np.array([-4.5, 37.5, 0.001])
    cases = [("t = 1", (np.zeros(3), np.zeros(3), np.zeros(3), g_1, 1, 0.1), {}),
             ("t = 1, a gradient 1000 times larger", (np.zeros(3), np.zeros(3), np.zeros(3), 1000 * g_1, 1, 0.1), {})]
    shape = (2, 3)
    theta_0, m_0, s_0 = rng.normal(size=shape), rng.normal(size=shape), rng.uniform(0.1, 1, size=shape)
    gradient_0 = rng.normal(size=shape)
    cases.append(("t = 5, other betas and eps", (theta_0, m_0, s_0, gradient_0, 5, 0.01),
                  {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}))
    cases.append(("t = 3", (theta_0, m_0, s_0, gradient_0, 3, 0.05), {}))
    for what, args, kwargs in cases:
        label = f"adam_step({what})"
        got = _pair(call(adam_step, *args, name=label, **kwargs), label, names)
        expected = _adam(*args, **kwargs)
        theta, m, s, g, t, eta = args
        beta1, beta2 = kwargs.get("beta1", 0.9), kwargs.get("beta2", 0.999)
        if _close(got[1], expected[1] / (1 - beta1**t)):
            check_true(False, "new_m is the bias-corrected m̂; return the raw average m (the next step needs it).",
                       name=f"{label}: new_m", hint="return new_theta, m, s: not m̂ and ŝ.")
        check_array(got[1], expected[1], name=f"{label}: new_m", quiet=True,
                    hint="new_m = beta1 * m + (1 - beta1) * gradient, with the beta1 you were given.")
        check_array(got[2], expected[2], name=f"{label}: new_s", quiet=True,
                    hint="new_s = beta2 * s + (1 - beta2) * gradient**2, with the beta2 you were given.")
        check_array(got[0], expected[0], name=f"{label}: new_theta", quiet=True,
                    hint="divide m and s by (1 - beta**t) (the bias corrections) before the update, and add eps "
                         "after the square root.")
    theta, m, s = np.array([-2.6, 0.9]), np.zeros(2), np.zeros(2)
    expected = (theta, m, s)
    for t in range(1, 21):
        got = _pair(call(adam_step, theta, m, s, np.array([1.0, 10.0]) * theta, t, 0.1, name="adam_step"),
                    "adam_step", names)
        theta, m, s = (np.asarray(v, dtype=float) for v in got)
        expected = _adam(expected[0], expected[1], expected[2], np.array([1.0, 10.0]) * expected[0], t, 0.1)
    check_array(theta, expected[0], rtol=1e-9, name="θ after 20 Adam steps on a valley", quiet=True,
                hint="use the step number t in the bias corrections, and return the raw m and s, not m̂ and ŝ.")


# --- exercise 7: the largest stable learning rate ---------------------------------------------------

def ex7_test(student, rng):
    largest = student.function("largest_stable_learning_rate")
    rotation = np.array([[np.cos(0.7), -np.sin(0.7)], [np.sin(0.7), np.cos(0.7)]])
    cases = [np.diag([1.0, 10.0]), np.array([[4.0]]), rotation @ np.diag([2.0, 50.0]) @ rotation.T]
    for size in (2, 4, 6, 10):
        B = rng.normal(size=(size, size))
        cases.append(B @ B.T + 0.1 * np.eye(size))
    for A in cases:
        label = f"largest_stable_learning_rate(a {len(A)}×{len(A)} matrix)"
        got = call(largest, A, name=label)
        eigenvalues = np.linalg.eigvalsh(A)
        expected = 2 / eigenvalues[-1]
        if not _close(got, expected):
            if _close(got, 1 / eigenvalues[-1]):
                check_true(False, "this is 1/L; gradient descent converges for every η below 2/L.", name=label,
                           hint="return 2 / L.")
            if _close(got, 2 / eigenvalues[0]) and len(A) > 1:
                check_true(False, "this uses the smallest eigenvalue; stability is set by the largest one, L.",
                           name=label, hint="np.linalg.eigvalsh returns the eigenvalues in ascending order: take [-1].")
            if _close(got, 2 / np.max(np.diag(A))):
                check_true(False, "this uses the largest diagonal entry; the eigenvalues are what count, not the "
                                  "diagonal entries (they differ for a matrix that is not diagonal).", name=label,
                           hint="L = np.linalg.eigvalsh(A)[-1].")
        check_scalar(got, expected, name=label, quiet=True,
                     hint="return 2 / L, where L is the largest eigenvalue of A.")


# --- exercise 8: GradientTape -----------------------------------------------------------------------

def _logistic_gradient(X, y, w, b):
    p = 1 / (1 + np.exp(-(X @ w + b)))
    return X.T @ (p - y) / len(y), float(np.mean(p - y))


def ex8_test(student, rng):
    logistic = student.function("logistic_loss_gradient")
    call(logistic, np.ones((1, 1)), np.ones(1), np.zeros(1), 0.0, name="logistic_loss_gradient(one example)")
    require(student, "ex8_answer", ["tf.GradientTape"], "the gradient comes from the tape, not from a formula")
    X = rng.normal(size=(50, 3))
    y = (X[:, 0] - X[:, 1] > 0).astype(np.float64)
    X_big = rng.normal(size=(300, 6))
    y_big = rng.integers(0, 2, size=300).astype(np.float64)
    cases = [(X, y, np.zeros(3), 0.0), (X, y, np.array([0.5, -0.3, 0.2]), 0.4),
             (X_big, y_big, 0.3 * rng.normal(size=6), -0.7), (X_big[:1], y_big[:1], np.ones(6) * 0.1, 0.2)]
    for X, y, w, b in cases:
        label = f"logistic_loss_gradient({len(y)} examples, {X.shape[1]} features)"
        got = _pair(call(logistic, X, y, w, b, name=label,
                         hint="make w and b float64 tf.Variables (tf.Variable(w, dtype=tf.float64)), like X and y, "
                              "and compute the loss inside the tape."), label, ["grad_w", "grad_b"])
        expected_w, expected_b = _logistic_gradient(X, y, w, b)
        if not _close(got[0], expected_w, rtol=1e-8):
            if _close(got[0], expected_w, rtol=1e-4, atol=1e-6):
                check_true(False, "grad_w is right to about 6 digits only: it was computed in float32.",
                           name=f"{label}: grad_w", hint="make w and b float64 tf.Variables: tf.Variable(w, dtype=tf.float64).")
            if _close(got[0], expected_w * len(y), rtol=1e-6) and len(y) > 1:
                check_true(False, "grad_w is n times too large: the loss is the mean of the cross-entropies, not "
                                  "their sum.", name=f"{label}: grad_w", hint="tf.reduce_mean, not tf.reduce_sum.")
            if _close(got[0], -expected_w, rtol=1e-6):
                check_true(False, "grad_w has the wrong sign: the loss is minus the mean log-likelihood.",
                           name=f"{label}: grad_w", hint="loss = -tf.reduce_mean(y log ŷ + (1 - y) log(1 - ŷ)).")
        check_array(got[0], expected_w, rtol=1e-8, name=f"{label}: grad_w", quiet=True,
                    hint="compute the loss inside `with tf.GradientTape() as tape:` from tf.Variable copies of w and b, "
                         "then ask the tape for the gradient of the loss with respect to both variables.")
        check_scalar(got[1], expected_b, rtol=1e-8, name=f"{label}: grad_b", quiet=True,
                     hint="the bias gradient is a single number: the mean of ŷ − y.")


# --- exercise 9: a gradient that is not on the page (derive) ----------------------------------------

def _margin_gradient(X, y, w):
    from scipy.special import expit

    return -(X.T @ (y * expit(-(y * (X @ w))))) / len(y)


def ex9_test(student, rng):
    forbid(student, "ex9_answer", ["tf.GradientTape", "tf.gradients", "tensorflow", "tf", "keras", "jax", "torch",
                                   "autograd", "np.gradient", "scipy.optimize.approx_fprime",
                                   "scipy.optimize.check_grad"],
           "derive the gradient by hand and code the formula with NumPy")
    gradient = student.function("margin_loss_gradient")
    cases = []
    for n, d, scale in [(40, 3, 1.0), (200, 6, 0.5), (25, 4, 3.0)]:
        cases.append((f"{n} examples, {d} features", rng.normal(size=(n, d)), rng.choice([-1.0, 1.0], size=n),
                      scale * rng.normal(size=d)))
    # margins in the millions on both sides, and some near 0: finite differences lose many digits here
    X_big = np.vstack([rng.normal(scale=1e3, size=(10, 3)), rng.normal(scale=1e-3, size=(10, 3))])
    cases.append(("margins from about 0 to millions", X_big, rng.choice([-1.0, 1.0], size=20), rng.normal(scale=1e3, size=3)))
    cases.append(("the worked example", np.array([[1.0, 2.0]]), np.array([-1.0]), np.zeros(2)))
    hint = "∇L = −(1/n) Σ σ(−m_i) y_i x_i, with the margins m_i = y_i x_iᵀw."
    for what, X, y, w in cases:
        label = f"margin_loss_gradient({what})"
        got = call(gradient, X, y, w, name=label, hint=hint)
        expected = _margin_gradient(X, y, w)
        try:
            values = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            values = None
        if values is not None and values.shape == expected.shape and not _close(values, expected, rtol=1e-9):
            if not np.all(np.isfinite(values)):
                check_true(False, "the gradient holds nan or inf for huge margins.", name=label,
                           hint="write the weight as σ(−m) = 1 / (1 + e^m): e^(−m) / (1 + e^(−m)) is inf / inf = nan.")
            from scipy.special import expit
            m = y * (X @ w)
            wrong = {"the gradient has the wrong sign: it points uphill of the loss, not of −(1/n) Σ σ(−m_i) y_i x_i":
                     -expected,
                     "the weights are σ(m_i) instead of σ(−m_i): well-classified examples must pull little, not much":
                     -(X.T @ (y * expit(m))) / len(y),
                     "the labels y_i are missing from the chain rule: the margin m_i = y_i x_iᵀw has gradient y_i x_i":
                     -(X.T @ expit(-m)) / len(y),
                     "it is n times too large: the loss is a mean, so its gradient has the factor 1/n":
                     expected * len(y)}
            matches = [mistake for mistake, reference in wrong.items()
                       if _close(values, reference, rtol=1e-6) and not _close(reference, expected, rtol=1e-6)]
            if len(matches) == 1:      # name the mistake when the data tell it apart from the others
                check_true(False, matches[0] + ".", name=label, hint=hint)
            if _close(values, expected, rtol=1e-2, atol=1e-6):
                check_true(False, "close but not exact, as finite differences are; this exercise asks for the "
                                  "derived formula.", name=label, hint=hint)
        check_array(got, expected, rtol=1e-9, atol=1e-12, name=label, quiet=True, hint=hint)
