"""Chapter 6's graded exercises: there are enough of them, and their tests tell right answers from wrong ones.

The test cells of the solution notebook (hidden tests included) are run here in-process, first after
the reference answers (every check must pass), then after typical mistakes (each must be caught, with a
message that names the problem), then after the untouched stubs (each must say "not written yet").
So no test cell is one that cannot fail.
"""

import re
from pathlib import Path

import pytest

from dlmath.checks import CheckFailed
from exercise_cells import assert_answers_followed_by_tests, assert_assignment_size, cells_by_id, load, run

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "ch06_model_to_practice" / "ch06_model_to_practice.ipynb"
EXERCISES = range(1, 8)


@pytest.fixture(scope="module")
def notebook():
    return load(SOLUTION)


@pytest.fixture(scope="module")
def cells(notebook):
    return cells_by_id(notebook)


def test_enough_exercises_points_and_hidden_tests(notebook):
    assert_assignment_size(notebook, exercises=5, points=20)


def test_every_answer_cell_is_followed_by_its_test(notebook):
    assert_answers_followed_by_tests(notebook)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_reference_answer_passes_every_check(notebook, cells, exercise):
    printed = run(notebook, cells[f"ex{exercise}_answer"], cells[f"ex{exercise}_test"])
    assert "\u2714" in printed and "\u2718" not in printed


# Typical mistakes, each with a fragment of the message the learner should see.
MISTAKES = {
    "KS cdfs compared only at the first sample's values": ("ex1", """
def ks_statistic(sample_a, sample_b):
    sample_a, sample_b = np.asarray(sample_a, dtype=float), np.asarray(sample_b, dtype=float)
    F_a = np.searchsorted(np.sort(sample_a), sample_a, side="right") / sample_a.size
    F_b = np.searchsorted(np.sort(sample_b), sample_a, side="right") / sample_b.size
    return float(np.max(np.abs(F_a - F_b)))
""", "value is off"),
    "KS gap without the absolute value": ("ex1", """
def ks_statistic(sample_a, sample_b):
    sample_a, sample_b = np.asarray(sample_a, dtype=float), np.asarray(sample_b, dtype=float)
    points = np.concatenate([sample_a, sample_b])
    F_a = np.searchsorted(np.sort(sample_a), points, side="right") / sample_a.size
    F_b = np.searchsorted(np.sort(sample_b), points, side="right") / sample_b.size
    return float(np.max(F_b - F_a))
""", "value is off"),
    "KS without a return": ("ex1", """
def ks_statistic(sample_a, sample_b):
    np.max(np.abs(np.sort(sample_a)[:1] - np.sort(sample_b)[:1]))
""", "None"),
    "PSI bins from the live sample": ("ex2", """
def population_stability_index(expected, actual, bins=10, eps=1e-4):
    expected, actual = np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)
    edges = np.quantile(actual, np.arange(1, bins) / bins)
    e = np.maximum(np.bincount(np.searchsorted(edges, expected, side="right"), minlength=bins) / expected.size, eps)
    a = np.maximum(np.bincount(np.searchsorted(edges, actual, side="right"), minlength=bins) / actual.size, eps)
    return float(np.sum((a - e) * np.log(a / e)))
""", "worked example"),
    "PSI without the floor": ("ex2", """
def population_stability_index(expected, actual, bins=10, eps=1e-4):
    expected, actual = np.asarray(expected, dtype=float), np.asarray(actual, dtype=float)
    edges = np.quantile(expected, np.arange(1, bins) / bins)
    e = np.bincount(np.searchsorted(edges, expected, side="right"), minlength=bins) / expected.size
    a = np.bincount(np.searchsorted(edges, actual, side="right"), minlength=bins) / actual.size
    return float(np.sum((a - e) * np.log(a / e)))
""", "infinity"),
    "quantisation truncates": ("ex3", """
def quantize_weights(W):
    W = np.asarray(W, dtype=np.float64)
    scales = np.abs(W).max(axis=0) / 127
    return (W / scales).astype(np.int8), scales
""", "more than half a step"),
    "one scale for the whole matrix": ("ex3", """
def quantize_weights(W):
    W = np.asarray(W, dtype=np.float64)
    scale = np.abs(W).max() / 127
    return np.round(W / scale).astype(np.int8), scale
""", "scales"),
    "quantisation left as floats": ("ex3", """
def quantize_weights(W):
    W = np.asarray(W, dtype=np.float64)
    scales = np.abs(W).max(axis=0) / 127
    return np.round(W / scales), scales
""", "dtype"),
    "IG without (x - baseline)": ("ex4", """
def integrated_gradients(f, x, baseline, steps=50):
    x, baseline = np.asarray(x, dtype=np.float32), np.asarray(baseline, dtype=np.float32)
    path = tf.constant(baseline + ((np.arange(steps, dtype=np.float32) + 0.5) / steps)[:, None] * (x - baseline))
    with tf.GradientTape() as tape:
        tape.watch(path)
        outputs = f(path)
    return tape.gradient(outputs, path).numpy().mean(axis=0)
""", "values are off"),
    "IG with the left Riemann sum": ("ex4", """
def integrated_gradients(f, x, baseline, steps=50):
    x, baseline = np.asarray(x, dtype=np.float32), np.asarray(baseline, dtype=np.float32)
    path = tf.constant(baseline + (np.arange(steps, dtype=np.float32) / steps)[:, None] * (x - baseline))
    with tf.GradientTape() as tape:
        tape.watch(path)
        outputs = f(path)
    return (x - baseline) * tape.gradient(outputs, path).numpy().mean(axis=0)
""", "completeness"),
    "FPR over all examples of the group": ("ex5", """
def group_error_rates(y_true, y_pred, group):
    y_true, y_pred, group = np.asarray(y_true), np.asarray(y_pred), np.asarray(group)
    rows = []
    for g in np.unique(group):
        t, p = y_true[group == g], y_pred[group == g]
        rows.append([np.mean(t == p), np.mean((p == 1) & (t == 0)), np.mean(p[t == 1] == 1)])
    return np.array(rows)
""", "values are off"),
    "thresholds from every score of the group": ("ex6", """
def thresholds_for_fpr(scores, y_true, group, target_fpr):
    scores, group = np.asarray(scores, dtype=float), np.asarray(group)
    return np.array([np.quantile(scores[group == g], 1 - target_fpr) for g in np.unique(group)])
""", "NEGATIVE"),
    "interpreter input not resized": ("ex7", """
def tflite_predict(model_bytes, X):
    X = np.asarray(X, dtype=np.float32)
    interpreter = Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], X)
    interpreter.invoke()
    return interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
""", "raised ValueError"),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong answers divide by zero and take log 0
@pytest.mark.parametrize("mistake", sorted(MISTAKES))
def test_typical_mistakes_are_caught_with_a_useful_message(notebook, cells, mistake):
    exercise, wrong_answer, fragment = MISTAKES[mistake]
    with pytest.raises(CheckFailed, match=re.escape(fragment)):
        run(notebook, wrong_answer, cells[f"{exercise}_test"])


@pytest.mark.parametrize("exercise", EXERCISES)
def test_untouched_stub_fails(notebook, cells, exercise):
    stub = re.sub(r"([ \t]*)### BEGIN SOLUTION.*?### END SOLUTION", r"\1# YOUR CODE HERE\n\1raise NotImplementedError()",
                  cells[f"ex{exercise}_answer"], flags=re.S)
    with pytest.raises(CheckFailed, match="not written yet"):
        run(notebook, stub, cells[f"ex{exercise}_test"])
