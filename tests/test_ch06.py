"""Chapter 6's claims about export and quantisation, checked on a small model.

The graded exercises are tested for every chapter alike in tests/test_exercises.py (through the
sandboxed grader, with the kept wrong answers of solutions/ch06_model_to_practice/mutants.py).
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


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
