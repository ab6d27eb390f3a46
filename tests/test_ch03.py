"""Chapter 3's graded tests tell right answers from wrong ones.

The generic exercise tests check that the solution scores full marks and the
untouched notebook zero. Here we also feed each test cell of
``solutions/ch03_calculus_gradients`` the mistakes learners actually make (a
forward instead of a central difference, a missing factor 2, the old velocity
in momentum, Adam without bias correction, ...) and check that each one fails
with a ``CheckFailed`` whose message points at the problem, not with a bare
traceback, and that the solution still passes.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "ch03_calculus_gradients" / "ch03_calculus_gradients.ipynb"
PREAMBLE = """
import numpy as np
import dlmath
from dlmath.checks import call, check_array, check_scalar, check_shape, check_true
import tensorflow as tf
import keras
"""


def graded_cells():
    nb = nbformat.read(SOLUTION, as_version=4)
    answers, tests = {}, {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"].replace("_answer", "")] = cell.source
        elif meta.get("grade"):
            tests[meta["grade_id"].replace("_test", "")] = cell.source
    return answers, tests


ANSWERS, TESTS = graded_cells()


def run(answer_source: str, exercise: str):
    """Define the answer, then run the exercise's whole test cell (hidden tests included)."""
    from dlmath.checks import CheckFailed

    namespace = {}
    exec(PREAMBLE, namespace)
    exec(answer_source, namespace)
    try:
        exec(TESTS[exercise], namespace)
    except CheckFailed as failure:
        return str(failure)
    return None


def stub(exercise: str) -> str:
    """The answer cell as a learner first sees it."""
    return re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "raise NotImplementedError()", ANSWERS[exercise],
                  flags=re.S)


def test_the_assignment_is_big_enough():
    nb = nbformat.read(SOLUTION, as_version=4)
    graded = [c.metadata["nbgrader"] for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(graded) >= 6
    assert sum(g["points"] for g in graded) >= 20
    trusted = SOLUTION.parent / "grader_tests.py"
    if trusted.exists():  # trusted grading: one instructor-only function per graded test cell
        import ast

        functions = {n.name for n in ast.parse(trusted.read_text()).body if isinstance(n, ast.FunctionDef)}
        assert {g["grade_id"] for g in graded} <= functions
    else:
        hidden = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")
                  and "### BEGIN HIDDEN TESTS" in c.source]
        assert len(hidden) >= 2
    assert set(ANSWERS) == set(TESTS)


@pytest.mark.parametrize("exercise", sorted(TESTS))
def test_the_solution_passes_every_test(exercise):
    assert run(ANSWERS[exercise], exercise) is None


@pytest.mark.parametrize("exercise", sorted(TESTS))
def test_an_untouched_answer_fails_with_a_clear_message(exercise):
    message = run(stub(exercise), exercise)
    assert message is not None and "not written yet" in message


MISTAKES = [
    ("ex1", "forward difference",
     "def central_difference(f, x, h=1e-5):\n    return (f(x + h) - f(x)) / h", "forward difference"),
    ("ex1", "ignores the h it is given",
     "def central_difference(f, x, h=1e-5):\n    return (f(x + 1e-5) - f(x - 1e-5)) / 2e-5", "12.01"),
    ("ex1", "forgets to return",
     "def central_difference(f, x, h=1e-5):\n    (f(x + h) - f(x - h)) / (2 * h)", "the answer is None"),
    ("ex2", "forgets the factor 2",
     "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n    return X.T @ r / len(y), r.mean()", "grad_w"),
    ("ex2", "returns only grad_w",
     "def mse_gradient(X, y, w, b):\n    r = X @ w + b - y\n    return 2 * X.T @ r / len(y)", "a pair"),
    ("ex2", "forgets the bias in the residuals",
     "def mse_gradient(X, y, w, b):\n    r = X @ w - y\n    return 2 * X.T @ r / len(y), 2 * r.mean()", "grad_w"),
    ("ex3", "divides by one norm only",
     "def gradient_check(f, grad_f, x, h=1e-5):\n"
     "    x = np.array(x, dtype=float); g = grad_f(x)\n"
     "    n = np.array([(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(x.size)])\n"
     "    return np.linalg.norm(g - n) / np.linalg.norm(g)", "wrong gradient"),
    ("ex3", "changes the caller's array",
     "def gradient_check(f, grad_f, x, h=1e-5):\n"
     "    n = np.zeros(x.shape)\n"
     "    for i in range(x.size):\n"
     "        old = x.flat[i]; x.flat[i] = old + h; up = f(x); x.flat[i] = old - h; down = f(x)\n"
     "        x.flat[i] = old + 1e-3\n"
     "        n.flat[i] = (up - down) / (2 * h)\n"
     "    g = grad_f(x)\n"
     "    s = np.linalg.norm(g) + np.linalg.norm(n)\n"
     "    return 0.0 if s == 0 else float(np.linalg.norm(g - n) / s)", "gradient_check"),
    ("ex4", "steps uphill",
     "def gradient_descent(grad_f, x0, learning_rate, num_steps):\n    x = np.array(x0, float)\n"
     "    for _ in range(num_steps):\n        x = x + learning_rate * grad_f(x)\n    return x", "off"),
    ("ex4", "updates x0 in place",
     "def gradient_descent(grad_f, x0, learning_rate, num_steps):\n    x = x0\n"
     "    for _ in range(num_steps):\n        x -= learning_rate * grad_f(x)\n    return x", "in place"),
    ("ex5", "moves with the old velocity",
     "def momentum_step(theta, velocity, gradient, learning_rate, beta):\n"
     "    return theta + velocity, beta * velocity - learning_rate * gradient", "new_theta"),
    ("ex5", "adds the gradient",
     "def momentum_step(theta, velocity, gradient, learning_rate, beta):\n"
     "    v = beta * velocity + learning_rate * gradient\n    return theta + v, v", "new_velocity"),
    ("ex6", "no bias correction",
     "def adam_step(theta, m, s, gradient, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):\n"
     "    m = beta1 * m + (1 - beta1) * gradient\n    s = beta2 * s + (1 - beta2) * gradient**2\n"
     "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s", "new_theta"),
    ("ex6", "returns the corrected averages",
     "def adam_step(theta, m, s, gradient, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):\n"
     "    m = beta1 * m + (1 - beta1) * gradient\n    s = beta2 * s + (1 - beta2) * gradient**2\n"
     "    m, s = m / (1 - beta1**t), s / (1 - beta2**t)\n"
     "    return theta - learning_rate * m / (np.sqrt(s) + eps), m, s", "new_m"),
    ("ex6", "ignores the betas it is given",
     "def adam_step(theta, m, s, gradient, t, learning_rate, beta1=0.9, beta2=0.999, eps=1e-8):\n"
     "    m = 0.9 * m + 0.1 * gradient\n    s = 0.999 * s + 0.001 * gradient**2\n"
     "    mh, sh = m / (1 - 0.9**t), s / (1 - 0.999**t)\n"
     "    return theta - learning_rate * mh / (np.sqrt(sh) + eps), m, s", "other betas"),
    ("ex7", "uses the largest diagonal entry",
     "def largest_stable_learning_rate(A):\n    return 2 / np.max(np.diag(A))", "off"),
    ("ex7", "uses 1/L",
     "def largest_stable_learning_rate(A):\n    return 1 / np.linalg.eigvalsh(A)[-1]", "0.2"),
    ("ex7", "uses the smallest eigenvalue",
     "def largest_stable_learning_rate(A):\n    return 2 / np.linalg.eigvalsh(A)[0]", "off"),
    ("ex8", "sums instead of averaging",
     "def logistic_loss_gradient(X, y, w, b):\n"
     "    X = tf.constant(X); w = tf.Variable(w); b = tf.Variable(float(b), dtype=tf.float64)\n"
     "    with tf.GradientTape() as tape:\n"
     "        p = tf.sigmoid(tf.linalg.matvec(X, w) + b)\n"
     "        loss = -tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))\n"
     "    gw, gb = tape.gradient(loss, [w, b])\n    return gw.numpy(), float(gb)", "grad_w"),
    ("ex8", "float32 variables",
     "def logistic_loss_gradient(X, y, w, b):\n"
     "    X = tf.constant(X); w = tf.Variable(w); b = tf.Variable(float(b))\n"
     "    with tf.GradientTape() as tape:\n"
     "        p = tf.sigmoid(tf.linalg.matvec(X, w) + b)\n"
     "        loss = -tf.reduce_mean(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p))\n"
     "    gw, gb = tape.gradient(loss, [w, b])\n    return gw.numpy(), float(gb)", "float64"),
]


@pytest.mark.parametrize("exercise, mistake, answer, clue", MISTAKES, ids=[f"{m[0]}-{m[1]}" for m in MISTAKES])
def test_a_common_mistake_fails_with_a_pointed_message(exercise, mistake, answer, clue):
    message = run(answer, exercise)
    assert message is not None, f"{exercise}: the tests accept an answer that {mistake}"
    assert clue in message, f"{exercise} ({mistake}): the message does not mention {clue!r}:\n{message}"


# --------------------------------------------------------------------------- the chapter's claims

CHAPTER = ROOT / "notebooks" / "03_calculus_gradients.ipynb"


def chapter_cells():
    return nbformat.read(CHAPTER, as_version=4).cells


def outputs_of(cell_id):
    cell = next(c for c in chapter_cells() if c.get("id") == cell_id)
    return "".join(o.get("text", "") for o in cell.outputs)


def markdown():
    return "\n".join(c.source for c in chapter_cells() if c.cell_type == "markdown")


def test_the_cost_model_is_stated_and_the_timing_is_not_compared():
    prose = markdown()
    assert "millions of times cheaper" not in prose
    assert "a small constant times one evaluation" in prose
    timing = next(c for c in chapter_cells() if c.get("id") == "ch03-cost-time")
    assert "nbval-ignore-output" in timing.metadata.get("tags", [])
    # Only the timing cell varies; the prose quotes no measured time or ratio.
    assert not re.search(r"\d[\d.,]*\s*(?:ms\b|µs|seconds?\b|times (?:faster|cheaper))", prose)
    counts = outputs_of("a62db15a")
    assert re.search(r"1000\s+72,256\s+72,256,000\s+72,256\s+1000\s+1", counts)


def test_reverse_mode_counts_match_the_cost_model():
    """One pass of the Jacobian chain costs P = mn + (k-2)m^2 + m; forward mode n passes, reverse mode one."""
    import numpy as np

    width, depth = 64, 4
    for n in (1, 10, 100, 1000):
        one_pass = width * n + (depth - 2) * width**2 + width
        shapes = [(width, n)] + [(width, width)] * (depth - 2) + [(1, width)]
        forward = sum(rows * cols * n for rows, cols in shapes)
        reverse = sum(rows * cols for rows, cols in shapes)
        assert forward == n * one_pass and reverse == one_pass


def test_sigmoid_gradients_vanish_for_large_weights_too():
    import numpy as np

    prose = markdown()
    assert "gradients explode when the weights are large" not in prose
    assert "Large weights make sigmoid gradients **vanish too**" in prose
    rng = np.random.default_rng(11)

    def log_gradient(weights, biases, a=0.5):
        total = 0.0
        for w, b in zip(weights, biases):
            z = w * a + b
            total += np.log10(abs(w)) + (-abs(z) - 2 * np.log1p(np.exp(-abs(z)))) / np.log(10)
            a = 1 / (1 + np.exp(-z))
        return total

    medians = [np.median([log_gradient(rng.normal(0, s, 30), rng.normal(0, 1, 30)) for _ in range(200)])
               for s in (1.0, 4.0, 32.0)]
    assert medians[2] < medians[1] - 10 and max(medians) < 0
    assert "the median is largest at s = 4" in outputs_of("ch03-sat-code")


def test_momentum_text_agrees_with_what_is_measured():
    prose = markdown()
    assert "momentum does **not** make the path across the valley calmer" in prose
    out = outputs_of("d4cdf3d7")
    swing = re.search(r"gradient descent ([\d.]+), momentum ([\d.]+)", out.split("largest |x2|")[1])
    assert float(swing.group(2)) > float(swing.group(1))


def test_dense_layer_gradients_are_derived_and_checked():
    import numpy as np
    import tensorflow as tf

    prose = markdown()
    for formula in (r"\mathbf{X}^\top\mathbf{G}", r"\mathbf{G}\mathbf{W}^\top", "the gradient of a broadcast is a sum"):
        assert formula in prose
    rng = np.random.default_rng(5)
    X, W, b = (tf.Variable(rng.normal(size=s)) for s in ((5, 4), (4, 3), (3,)))
    with tf.GradientTape() as tape:
        Y = X @ W + b
        loss = tf.reduce_sum(tf.sin(Y))
    G, gX, gW, gb = tape.gradient(loss, [Y, X, W, b])
    np.testing.assert_allclose(gW, X.numpy().T @ G.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gX, G.numpy() @ W.numpy().T, rtol=1e-12)
    np.testing.assert_allclose(gb, G.numpy().sum(axis=0), rtol=1e-12)


def test_the_hessian_sets_the_largest_stable_learning_rate_on_the_explorer_surfaces():
    import numpy as np

    from dlmath import optimizers

    def hessian(gradient, x, h=1e-5):
        x = np.asarray(x, dtype=float)
        return np.stack([(gradient(x + h * e) - gradient(x - h * e)) / (2 * h) for e in np.eye(x.size)], axis=1)

    valley = optimizers.get_surface("valley")
    threshold = 2 / np.linalg.eigvalsh(hessian(valley.gradient, [0.1, 0.2]))[-1]
    assert np.isclose(threshold, 0.2)
    assert np.linalg.norm(optimizers.descent_path(valley, "sgd", 0.95 * threshold, 200).path[-1]) < 1e-3
    assert np.linalg.norm(optimizers.descent_path(valley, "sgd", 1.05 * threshold, 200).path[-1]) > 1e2
    banana = optimizers.get_surface("banana")
    H = hessian(banana.gradient, [1.0, 1.0])
    np.testing.assert_allclose(H, [[82, -40], [-40, 20]], atol=1e-6)
    assert "2/lambda_max = 0.01968" in outputs_of("ch03-lr-code")


def test_the_computational_graph_figure_has_values_and_adjoints():
    cell = next(c for c in chapter_cells() if c.get("id") == "ch03-graph-fig")
    assert "draw_computational_graph" in cell.source and "assert_allclose([x1_bar, x2_bar], reverse_gradient)" in cell.source
    assert any("image/png" in o.get("data", {}) for o in cell.outputs)
    assert len(cell.metadata["mystnb"]["image"]["alt"]) > 100


def test_draw_computational_graph_draws_every_node_and_edge():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from dlmath.diagrams import GraphEdge, GraphNode, draw_computational_graph

    nodes = {"a": GraphNode("$a$", "input", (0, 0), 1.5, 2.0), "b": GraphNode("$b$", "$a^2$", (3, 0), 2.25, 1.0)}
    fig, ax = plt.subplots()
    draw_computational_graph(ax, nodes, [GraphEdge("a", "b", "$2a$ = 3.00")], title="t")
    texts = [t.get_text() for t in ax.texts]
    assert "value 1.5000" in texts and "adjoint 2.0000" in texts and "$2a$ = 3.00" in texts
    assert len(ax.patches) == 3          # two boxes and one arrow
    plt.close(fig)
