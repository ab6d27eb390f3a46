"""Chapter 1's graded tests judge answers correctly: the model solutions pass every test, and the
mistakes learners really make fail — some in the visible checks, the subtler ones only in the hidden tests.

The answer and test cells are taken from the nbgrader source notebook
(solutions/ch01_tensors/ch01_tensors.ipynb) and run here in a plain namespace, the way the kernel runs
them, so these tests follow the notebook whenever it changes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest

import dlmath  # noqa: F401  (quietens TensorFlow before it is imported below)

np = pytest.importorskip("numpy")
tf = pytest.importorskip("tensorflow")

from dlmath.checks import CheckFailed  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "solutions" / "ch01_tensors" / "ch01_tensors.ipynb"
TRUSTED = ROOT / "solutions" / "ch01_tensors" / "grader_tests.py"
MUTANTS_FILE = ROOT / "solutions" / "ch01_tensors" / "mutants.py"
STUDENT = ROOT / "exercises" / "ch01_tensors" / "ch01_tensors.ipynb"
HIDDEN_START = "### BEGIN HIDDEN TESTS"

# What the setup cell imports (its Colab block and setup_notebook call are not needed here).
PREAMBLE = """
import math
import ml_dtypes
import numpy as np
import tensorflow as tf
from dlmath.checks import call, check_array, check_dtype, check_equal, check_function, check_scalar, check_true
from dlmath.data import one_hot
"""


def graded_cells(path):
    """{grade_id: source} for the answer and test cells of a notebook."""
    nb = nbformat.read(path, as_version=4)
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source for cell in nb.cells
            if cell.cell_type == "code" and "grade_id" in cell.metadata.get("nbgrader", {})}


CELLS = graded_cells(SOURCE)
KEPT_WRONG_ANSWERS: list = []
if MUTANTS_FILE.exists():
    _mutants_namespace: dict = {}
    exec(MUTANTS_FILE.read_text(), _mutants_namespace)  # noqa: S102 (our own instructor file)
    KEPT_WRONG_ANSWERS = _mutants_namespace["MUTANTS"]
EXERCISES = sorted({grade_id.split("_")[0] for grade_id in CELLS}, key=lambda exercise: int(exercise[2:]))


def run(answer_source: str, test_source: str) -> None:
    """Run an answer, then a test cell, in a fresh namespace (raises what the test cell raises)."""
    namespace: dict = {}
    exec(PREAMBLE, namespace)  # noqa: S102 (our own notebook's code)
    exec(textwrap.dedent(answer_source), namespace)  # noqa: S102
    exec(test_source, namespace)  # noqa: S102


def visible(test_source: str) -> str:
    return test_source.split(HIDDEN_START)[0]


# Wrong answers that learners write, each with the part of the tests that must reject it:
# "visible" (the instant feedback catches it) or "hidden" (it passes the visible checks, so only the
# hidden tests can catch it — proof that those tests add something).
MISTAKES = {
    "ex1": [
        ("visible", "returns a NumPy array", """
def weekly_price_tensor(daily_prices):
    return np.asarray(daily_prices, dtype=np.float32).reshape(-1, 5)
"""),
        ("visible", "keeps NumPy's float64", """
def weekly_price_tensor(daily_prices):
    return tf.reshape(tf.constant(daily_prices), (-1, 5))
"""),
        ("visible", "one day per row instead of one week", """
def weekly_price_tensor(daily_prices):
    return tf.transpose(tf.reshape(tf.constant(daily_prices, dtype=tf.float32), (5, -1)))
"""),
        ("hidden", "only works for two weeks", """
def weekly_price_tensor(daily_prices):
    return tf.reshape(tf.constant(daily_prices, dtype=tf.float32), (2, 5))
"""),
    ],
    "ex2": [
        ("visible", "an integer index thought to keep its axis", """
def predicted_shapes():
    return {"a": (1, 28, 28, 3), "b": (32, 28, 28), "c": (8, 28, 28, 3), "d": (32, 2352), "e": (32, 3),
            "f": (32, 3, 28, 28), "g": (32, 1, 28, 28, 3), "h": (32, 28, 28, 6), "i": (2, 32, 28, 28, 3),
            "j": (1, 28, 28, 3)}
"""),
        ("visible", "a missing prediction", """
def predicted_shapes():
    return {"a": (28, 28, 3)}
"""),
        ("visible", "not a dictionary", """
def predicted_shapes():
    return [(28, 28, 3)]
"""),
    ],
    "ex3": [
        ("visible", "never raises", """
def broadcast_shape(shape_a, shape_b):
    rank = max(len(shape_a), len(shape_b))
    a = (1,) * (rank - len(shape_a)) + tuple(shape_a)
    b = (1,) * (rank - len(shape_b)) + tuple(shape_b)
    return tuple(max(x, y) for x, y in zip(a, b))
"""),
        ("visible", "pads on the right", """
def broadcast_shape(shape_a, shape_b):
    rank = max(len(shape_a), len(shape_b))
    a = tuple(shape_a) + (1,) * (rank - len(shape_a))
    b = tuple(shape_b) + (1,) * (rank - len(shape_b))
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError("no")
    return tuple(max(x, y) for x, y in zip(a, b))
"""),
        ("hidden", "fails when the shapes come as lists", """
def broadcast_shape(shape_a, shape_b):
    rank = max(len(shape_a), len(shape_b))
    a = (1,) * (rank - len(shape_a)) + shape_a
    b = (1,) * (rank - len(shape_b)) + shape_b
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            raise ValueError("no")
    return tuple(max(x, y) for x, y in zip(a, b))
"""),
    ],
    "ex4": [
        ("visible", "reshape instead of transpose", """
def to_channels_first(batch):
    n, h, w, c = batch.shape
    return batch.reshape(n, c, h, w)

def to_channels_last(batch):
    n, c, h, w = batch.shape
    return batch.reshape(n, h, w, c)
"""),
        ("visible", "the wrong axis order", """
def to_channels_first(batch):
    return np.transpose(batch, (0, 3, 2, 1))

def to_channels_last(batch):
    return np.transpose(batch, (0, 3, 2, 1))
"""),
    ],
    "ex5": [
        ("visible", "one mean and deviation for all channels", """
def normalise_per_channel(batch):
    return ((batch - batch.mean()) / batch.std()).astype(np.float32)
"""),
        ("visible", "per image instead of per channel", """
def normalise_per_channel(batch):
    return ((batch - batch.mean(axis=(1, 2, 3), keepdims=True)) / batch.std(axis=(1, 2, 3), keepdims=True)).astype(np.float32)
"""),
        ("visible", "the sample standard deviation (ddof=1)", """
def normalise_per_channel(batch):
    return ((batch - batch.mean(axis=(0, 1, 2))) / batch.std(axis=(0, 1, 2), ddof=1)).astype(np.float32)
"""),
        ("visible", "returns float64", """
def normalise_per_channel(batch):
    batch = batch.astype(np.float64)
    return (batch - batch.mean(axis=(0, 1, 2))) / batch.std(axis=(0, 1, 2))
"""),
        ("hidden", "changes the input in place", """
def normalise_per_channel(batch):
    batch -= batch.mean(axis=(0, 1, 2))
    batch /= batch.std(axis=(0, 1, 2))
    return batch
"""),
    ],
    "ex6": [
        ("visible", "picks columns instead of rows", """
def embed(token_ids, table):
    return table[:, token_ids % table.shape[1]].T
"""),
        ("hidden", "only works for a single sentence", """
def embed(token_ids, table):
    return np.stack([table[i] for i in list(np.ravel(token_ids))])
"""),
    ],
    "ex7": [
        ("visible", "counts entries, not bytes", """
def tensor_nbytes(shape, dtype):
    return math.prod(shape)
"""),
        ("visible", "cannot read a TensorFlow dtype", """
def tensor_nbytes(shape, dtype):
    return math.prod(shape) * np.dtype(dtype).itemsize
"""),
        ("hidden", "allocates the tensor to read nbytes", """
def tensor_nbytes(shape, dtype):
    return np.zeros(shape, dtype=getattr(dtype, 'as_numpy_dtype', dtype)).nbytes
"""),
    ],
    "ex8": [
        ("visible", "lets (n, 1) - (n,) broadcast to (n, n)", """
def mean_squared_error(y_true, y_pred):
    return float(np.mean((y_pred - y_true) ** 2))
"""),
        ("hidden", "only flattens the predictions", """
def mean_squared_error(y_true, y_pred):
    return float(np.mean((np.ravel(y_pred) - y_true) ** 2))
"""),
        ("hidden", "silently truncates to the shorter input", """
def mean_squared_error(y_true, y_pred):
    t, p = np.ravel(y_true), np.ravel(y_pred)
    m = min(t.size, p.size)
    return float(np.mean((p[:m] - t[:m]) ** 2))
"""),
    ],
    "ex9": [
        ("visible", "wraps around", """
def brighten(image, amount):
    return image + np.uint8(amount)
"""),
        ("visible", "forgets to convert back to uint8", """
def brighten(image, amount):
    return np.clip(image.astype(np.int64) + amount, 0, 255)
"""),
        ("hidden", "only clips at the top", """
def brighten(image, amount):
    return np.minimum(image.astype(np.int64) + amount, 255).astype(np.uint8)
"""),
        ("hidden", "modifies the input", """
def brighten(image, amount):
    image[...] = np.clip(image.astype(np.int64) + amount, 0, 255)
    return image
"""),
    ],
    "ex10": [
        ("visible", "the colleague's function, unchanged", """
def standardise_examples(batch):
    flat = batch.reshape(len(batch), -1)
    flat -= flat.mean(axis=1)
    flat /= flat.std(axis=1)
    return flat.reshape(batch.shape)
"""),
        ("visible", "fixes the broadcasting only: still writes into the batch through the view", """
def standardise_examples(batch):
    flat = batch.reshape(len(batch), -1)
    flat -= flat.mean(axis=1, keepdims=True)
    flat /= flat.std(axis=1, keepdims=True)
    return flat.reshape(batch.shape)
"""),
        ("visible", "keepdims on the mean, but not on the standard deviation", """
def standardise_examples(batch):
    flat = batch.reshape(len(batch), -1).astype(np.float32)
    centred = flat - flat.mean(axis=1, keepdims=True)
    return (centred / flat.std(axis=1)).reshape(batch.shape)
"""),
        ("visible", "returns the flattened (n, m) array", """
def standardise_examples(batch):
    flat = batch.reshape(len(batch), -1).astype(np.float64)
    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)
    return flat.astype(np.float32)
"""),
        ("hidden", "right values, but a float64 batch gives a float64 result", """
def standardise_examples(batch):
    flat = batch.reshape(len(batch), -1)
    if flat.dtype == np.uint8:
        flat = flat.astype(np.float32)
    flat = (flat - flat.mean(axis=1, keepdims=True)) / flat.std(axis=1, keepdims=True)
    return flat.reshape(batch.shape)
"""),
    ],
    "ex11": [
        ("visible", "subtracts row i of Y from row i of X: pairs, not every pair", """
def pairwise_squared_distances(X, Y):
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    return ((X - Y) ** 2).sum(axis=1)
"""),
        ("visible", "broadcasts right, but subtracts in uint8", """
def pairwise_squared_distances(X, Y):
    return ((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=-1).astype(np.float64)
"""),
        ("visible", "new axes on the wrong arrays: an (m, n) table", """
def pairwise_squared_distances(X, Y):
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    return ((Y[:, np.newaxis, :] - X[np.newaxis, :, :]) ** 2).sum(axis=-1)
"""),
        ("hidden", "widens uint8 to int16: 255**2 does not fit", """
def pairwise_squared_distances(X, Y):
    if X.dtype == np.uint8:
        X, Y = X.astype(np.int16), Y.astype(np.int16)
    return ((X[:, np.newaxis, :] - Y[np.newaxis, :, :]) ** 2).sum(axis=-1).astype(np.float64)
"""),
        ("hidden", "a comprehension over the rows of X", """
def pairwise_squared_distances(X, Y):
    X, Y = X.astype(np.float64), Y.astype(np.float64)
    return np.array([((x - Y) ** 2).sum(axis=1) for x in X])
"""),
        ("hidden", "SciPy's cdist", """
def pairwise_squared_distances(X, Y):
    from scipy.spatial.distance import cdist
    return cdist(X.astype(np.float64), Y.astype(np.float64), "sqeuclidean")
"""),
    ],
}


def test_every_exercise_has_an_answer_and_a_test():
    assert EXERCISES == [f"ex{k}" for k in range(1, 12)]
    for exercise in EXERCISES:
        assert f"{exercise}_answer" in CELLS and f"{exercise}_test" in CELLS


def test_at_least_six_exercises_twenty_points_and_a_trusted_test_for_each():
    """The former hidden tests now live in the instructor-only grader_tests.py, one function per test cell."""
    import ast

    nb = nbformat.read(SOURCE, as_version=4)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(tests) >= 6
    assert sum(c.metadata["nbgrader"]["points"] for c in tests) >= 20
    assert not any(HIDDEN_START in c.source for c in tests), "hidden tests belong in grader_tests.py now"
    trusted = ast.parse(TRUSTED.read_text())
    functions = {node.name for node in trusted.body if isinstance(node, ast.FunctionDef)}
    assert {c.metadata["nbgrader"]["grade_id"] for c in tests} <= functions


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_solution_passes_every_test(exercise):
    run(CELLS[f"{exercise}_answer"], CELLS[f"{exercise}_test"])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_the_untouched_stub_fails_the_visible_test_with_a_message(exercise):
    student = graded_cells(STUDENT)
    assert "raise NotImplementedError()" in student[f"{exercise}_answer"]
    assert HIDDEN_START not in student[f"{exercise}_test"]
    with pytest.raises(CheckFailed, match="not written yet"):
        run(student[f"{exercise}_answer"], student[f"{exercise}_test"])


CASES = [(exercise, where, what, source) for exercise, mistakes in MISTAKES.items()
         for where, what, source in mistakes]


@pytest.mark.parametrize("exercise, where, what, source", CASES,
                         ids=[f"{exercise}-{where}-{what}" for exercise, where, what, _ in CASES])
def test_a_typical_mistake_is_caught(exercise, where, what, source):
    """Each typical mistake is either rejected at once by the visible test, or kept as a wrong answer in
    mutants.py, where tests/test_exercises.py proves that the trusted grader rejects it. ("hidden" marks
    the mistakes the visible test was meant to let through; they must be among the kept wrong answers.)"""
    test_source = CELLS[f"{exercise}_test"]
    def normalised(code):  # the same code, whatever its quotes and spacing
        return " ".join(code.replace('"', "'").split())

    kept = [normalised(m["source"]) for m in KEPT_WRONG_ANSWERS if m["answer"] == f"{exercise}_answer"]
    is_kept = normalised(textwrap.dedent(source)) in kept
    if where == "hidden":
        assert is_kept, "a mistake only the trusted tests catch must be kept in mutants.py"
        return
    try:
        run(source, visible(test_source))
    except AssertionError:  # CheckFailed is an AssertionError: the instant feedback rejects it
        return
    assert is_kept, "the visible test lets this mistake through, and mutants.py does not keep it"


def test_the_colleagues_standardisation_has_the_bugs_exercise_10_states():
    """Exercise 10 says the given function runs without an error on four examples of four numbers, yet has three
    bugs: (n, m) - (n,) (silently wrong when n == m, an error otherwise), writing into the caller's batch through
    the view that reshape returns, and computing in the batch's own dtype (uint8 fails; float64 stays float64)."""
    nb = nbformat.read(SOURCE, as_version=4)
    buggy_cells = [c.source for c in nb.cells if c.cell_type == "code" and "def standardise_examples_buggy" in c.source]
    assert len(buggy_cells) == 1
    namespace: dict = {}
    exec(PREAMBLE + buggy_cells[0], namespace)  # noqa: S102 (our own notebook's code)
    buggy = namespace["standardise_examples_buggy"]
    namespace = {}
    exec(PREAMBLE, namespace)  # noqa: S102
    exec(textwrap.dedent(CELLS["ex10_answer"]), namespace)  # noqa: S102
    right = namespace["standardise_examples"]

    rng = np.random.default_rng(10)
    batch = (rng.normal(size=(4, 2, 2)) * 3 + rng.uniform(-5, 5, size=(4, 1, 1))).astype(np.float32)
    kept = batch.copy()
    wrong = buggy(batch)                                   # four examples of four numbers: no error ...
    assert not np.allclose(wrong, right(kept), atol=1e-3)  # ... but the wrong numbers
    assert not np.array_equal(batch, kept)                 # ... and the batch changed
    with pytest.raises(ValueError):                        # n != m: the same slip is an error
        buggy(rng.normal(size=(3, 5)).astype(np.float32))
    with pytest.raises(TypeError):                         # uint8 cannot hold the centred values
        buggy(rng.integers(0, 256, size=(4, 2, 2)).astype(np.uint8))
    one_example = rng.normal(size=(1, 6))                  # n = 1: right values, but float64 and in place
    assert buggy(one_example.copy()).dtype == np.float64 and right(one_example).dtype == np.float32
    # The fix: right values and dtype for every kind of batch, and the batch untouched.
    for batch in (kept, rng.normal(size=(3, 5)), rng.integers(0, 256, size=(2, 3, 4)).astype(np.uint8)):
        before = batch.copy()
        result = right(batch)
        flat = result.reshape(len(batch), -1).astype(np.float64)
        np.testing.assert_allclose(flat.mean(axis=1), 0, atol=1e-5)
        np.testing.assert_allclose(flat.std(axis=1), 1, rtol=1e-5)
        assert result.dtype == np.float32 and result.shape == batch.shape and np.array_equal(batch, before)


# --------------------------------------------------------------------------- the chapter's claims

CHAPTER = ROOT / "notebooks" / "01_tensors.ipynb"


def chapter_text(kind: str) -> str:
    nb = nbformat.read(CHAPTER, as_version=4)
    return "\n".join(c.source for c in nb.cells if c.cell_type == kind)


def test_the_chapter_says_number_of_axes_not_rank_for_tensors():
    """'Rank' means a matrix's rank in chapter 2; chapter 1 warns about the other use and never makes it."""
    import re

    prose = chapter_text("markdown")
    assert "number of axes" in prose and "**A word to watch: rank.**" in prose
    # Every remaining "rank" in the prose is in the warning, the summary's aside or tf.rank.
    uses = [m.start() for m in re.finditer(r"\brank\b", prose)]
    for start in uses:
        context = prose[max(0, start - 400):start + 20]
        assert "A word to watch" in context or "some texts say" in context or "tf.rank" in context, \
            prose[start - 80:start + 40]
    assert not re.search(r"rank-\d|rank \d|of rank", prose + chapter_text("code"))


def test_tensorflow_converts_arrays_to_the_tensors_dtype_and_refuses_mixed_tensors():
    """The rules section 7.2 states, on the installed TensorFlow (a new version could change them)."""
    t32 = tf.constant([1.0, 2.0, 3.0])
    array64 = np.array([1.0, 2.0, 3.0])
    assert (t32 + array64).dtype == tf.float32 and (array64 + t32).dtype == tf.float32
    assert (tf.ones((1, 3)) @ array64[:, None]).dtype == tf.float32
    assert (t32 * np.float64(2.0)).dtype == tf.float32
    truncated = tf.constant([1, 2]) + np.array([1.5, 2.5])
    assert truncated.dtype == tf.int32 and truncated.numpy().tolist() == [2, 4]
    with pytest.raises(TypeError):
        tf.constant([1, 2]) * 1.5
    with pytest.raises(tf.errors.InvalidArgumentError):
        t32 + tf.constant(array64)
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.matmul(array64[None], tf.ones((3, 2)))   # an array before any tensor keeps float64
    assert tf.matmul(tf.ones((1, 3)), array64[:, None]).dtype == tf.float32
