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


# --- The chapter's claims about export and quantisation (issue 20), checked on a small model ---------

CHAPTER = ROOT / "notebooks" / "06_model_to_practice.ipynb"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small digits network trained on scaled pixels, exported with Rescaling(1/16) in front, and its
    three quantised conversions."""
    import numpy as np
    import keras
    import tensorflow as tf
    from dlmath.data import load_digits_split

    X_train, X_test, y_train, y_test = load_digits_split()
    X_train_raw, X_test_raw, _, _ = load_digits_split(scale=False)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(64,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X_train, y_train, epochs=5, batch_size=64, verbose=0)
    served = keras.Sequential([keras.Input(shape=(64,), name="raw_pixels"), keras.layers.Rescaling(1 / 16), model])
    path = str(tmp_path_factory.mktemp("export") / "saved")
    served.export(path, verbose=False)

    def representative():
        for image in X_train_raw[:50]:
            yield [image[None, :]]

    def convert(**settings):
        converter = tf.lite.TFLiteConverter.from_saved_model(path)
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        for name, value in settings.items():
            setattr(converter, name, value)
        return converter.convert()

    integer = {"representative_dataset": representative,
               "target_spec": tf.lite.TargetSpec(supported_ops=[tf.lite.OpsSet.TFLITE_BUILTINS_INT8])}
    models = {"dynamic": convert(), "integer_float_io": convert(**integer),
              "full_integer": convert(**integer, inference_input_type=tf.int8, inference_output_type=tf.int8)}
    return {"model": model, "path": path, "X_test": X_test, "X_test_raw": X_test_raw, "tflite": models}


def _interpreter(model_bytes):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:  # pragma: no cover - where LiteRT is not installed
        import tensorflow as tf
        Interpreter = tf.lite.Interpreter
    interpreter = Interpreter(model_content=model_bytes)
    interpreter.allocate_tensors()
    return interpreter


def test_exported_model_takes_raw_pixels(exported):
    import numpy as np
    import tensorflow as tf

    serving = tf.saved_model.load(exported["path"]).signatures["serving_default"]
    served = next(iter(serving(raw_pixels=tf.constant(exported["X_test_raw"])).values())).numpy()
    np.testing.assert_allclose(served, exported["model"](exported["X_test"]).numpy(), rtol=1e-5, atol=1e-5)
    # The mistake the chapter fixes: the bare network given raw pixels returns very different logits.
    bare = exported["model"](exported["X_test_raw"]).numpy()
    assert np.max(np.abs(bare - served)) > 5


def test_which_tensors_are_int8_in_each_mode(exported):
    import numpy as np

    def kinds(model_bytes):
        interpreter = _interpreter(model_bytes)
        input_detail, output_detail = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
        weights = {np.dtype(t["dtype"]).name for t in interpreter.get_tensor_details() if len(t["shape"]) == 2
                   and t["index"] not in (input_detail["index"], output_detail["index"]) and t["shape"][0] != 1}
        return np.dtype(input_detail["dtype"]).name, weights, np.dtype(output_detail["dtype"]).name

    # Dynamic range quantises only weight tensors with at least 1,024 entries: (32, 64) yes, (10, 32) no.
    assert kinds(exported["tflite"]["dynamic"]) == ("float32", {"int8", "float32"}, "float32")
    dynamic = {tuple(t["shape"]): np.dtype(t["dtype"]).name
               for t in _interpreter(exported["tflite"]["dynamic"]).get_tensor_details()}
    assert dynamic[(32, 64)] == "int8" and dynamic[(10, 32)] == "float32"
    assert kinds(exported["tflite"]["integer_float_io"]) == ("float32", {"int8"}, "float32")   # not full integer
    assert kinds(exported["tflite"]["full_integer"]) == ("int8", {"int8"}, "int8")
    ops = [op["op_name"] for op in _interpreter(exported["tflite"]["integer_float_io"])._get_ops_details()]
    assert "QUANTIZE" in ops and "DEQUANTIZE" in ops
    # Raw pixels 0..16 with the representative range [0, 16]: scale 16/255, zero point -128.
    scale, zero_point = _interpreter(exported["tflite"]["full_integer"]).get_input_details()[0]["quantization"]
    np.testing.assert_allclose(scale, 16 / 255, rtol=1e-6)
    assert zero_point == -128


def test_full_integer_model_dequantised_equals_the_float_interface_model(exported):
    import numpy as np

    X = exported["X_test_raw"][:50]
    float_io = _interpreter(exported["tflite"]["integer_float_io"])
    full = _interpreter(exported["tflite"]["full_integer"])
    outputs = []
    for interpreter, integer in ((float_io, False), (full, True)):
        inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
        interpreter.resize_tensor_input(inp["index"], X.shape)
        interpreter.allocate_tensors()
        data = X
        if integer:
            s, z = inp["quantization"]
            data = np.clip(np.round(X / s) + z, -128, 127)
        interpreter.set_tensor(inp["index"], data.astype(inp["dtype"]))
        interpreter.invoke()
        result = interpreter.get_tensor(out["index"])
        if integer:
            s, z = out["quantization"]
            result = s * (result.astype(np.float32) - z)
        outputs.append(result)
    np.testing.assert_allclose(outputs[1], outputs[0], atol=1e-6)


def test_dynamic_range_is_not_float_arithmetic_with_dequantised_weights(exported):
    import numpy as np

    interpreter = _interpreter(exported["tflite"]["dynamic"])
    details = interpreter.get_tensor_details()
    W1, b1, W2, b2 = exported["model"].get_weights()
    dequantised = []
    for shape in ((32, 64), (10, 32)):
        t = next(t for t in details if tuple(t["shape"]) == shape)
        stored = interpreter.get_tensor(t["index"]).astype(np.float64)
        if t["dtype"] == np.int8:                    # (10, 32) is too small to be quantised and stays float32
            stored = stored * t["quantization_parameters"]["scales"][:, None]
        dequantised.append(stored.T)
    np.testing.assert_allclose(dequantised[0], W1 / 16, atol=np.abs(W1 / 16).max() / 127)   # Rescaling folded in
    X = exported["X_test_raw"]
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.resize_tensor_input(inp["index"], X.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(inp["index"], X)
    interpreter.invoke()
    dynamic = interpreter.get_tensor(out["index"])
    float_arithmetic = np.maximum(X @ dequantised[0] + b1, 0) @ dequantised[1] + b2
    assert np.max(np.abs(dynamic - float_arithmetic)) > 1e-3     # activations rounded at run time too


def test_chapter_prose_matches_its_printed_quantisation_table():
    import nbformat

    notebook = nbformat.read(CHAPTER, as_version=4)
    printed = "".join(o.get("text", "") for c in notebook.cells if c.get("id") == "8097a492" for o in c.outputs)
    assert "full integer                 int8     int8   int32         int8    int8" in printed
    assert "integer, float interface  float32     int8   int32         int8 float32" in printed
    raw = "".join(o.get("text", "") for c in notebook.cells if c.get("id") == "9b5f421e" for o in c.outputs)
    prose = next(c.source for c in notebook.cells if c.get("id") == "9b5f421f")
    for number in ("0.9694", "0.9981", "254"):
        assert number in raw and number in prose
