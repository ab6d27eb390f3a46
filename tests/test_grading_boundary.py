"""The trust boundary of grading, piece by piece: the wire format and the rules on answers' code.

Each wrong thing a hostile kernel could send, and each way of hiding a forbidden
call, is kept here and shown to be refused.
"""

from __future__ import annotations

import base64
import io
import json
import struct

import ml_dtypes
import numpy as np
import pytest
import tensorflow as tf

from dlmath.checks import CheckFailed
from dlmath.grading import harness, judge, rules, wire
from dlmath.grading.local import LocalSandbox


def round_trip(value):
    return wire.decode(json.loads(json.dumps(wire.encode(value, {}), allow_nan=False)),
                       remote=lambda n, t, r: ("handle", n, t))


@pytest.mark.parametrize("value", [None, True, 3, -2**80, 1.5, float("inf"), complex(1, -2), "text", b"\x00\xffraw",
                                   (1, [2.0, "x"]), {"a": 1, 2: (3,)}])
def test_plain_python_values_cross_unchanged(value):
    got = round_trip(value)
    assert got == value and type(got) is type(value)


def test_nan_crosses_as_nan():
    assert np.isnan(round_trip(float("nan")))


@pytest.mark.parametrize("array", [np.arange(6, dtype=np.float32).reshape(2, 3), np.array([True, False]),
                                   np.zeros((0, 4), dtype=np.int64), np.array([1, 2], dtype=np.uint8),
                                   np.array([0.5, 1.5], dtype=ml_dtypes.bfloat16)])
def test_arrays_cross_with_their_dtype_and_shape(array):
    got = round_trip(array)
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    assert np.array_equal(got.astype(np.float64), array.astype(np.float64))


@pytest.mark.parametrize("array", [np.array(["cat", "dog"]), np.array([["a", "bb"], ["", "ccc"]]),
                                   np.zeros((0, 3), dtype="<U4"), np.array("x"), np.array(["é", "数字"])])
def test_text_arrays_cross_with_their_width_and_shape(array):
    got = round_trip(array)
    assert type(got) is np.ndarray and got.dtype == array.dtype and got.shape == array.shape
    assert np.array_equal(got, array)


def test_a_numpy_string_crosses_as_its_text():
    got = round_trip(np.array(["label"])[0])
    assert got == "label" and type(got) is str


def test_numpy_scalars_dtypes_and_tensorflow_values_are_rebuilt():
    assert round_trip(np.float32(2.5)).dtype == np.float32
    assert round_trip(np.dtype("int16")) == np.dtype("int16")
    assert round_trip(np.float16) is np.float16
    tensor = round_trip(tf.constant([[1, 2]], dtype=tf.int32))
    assert isinstance(tensor, tf.Tensor) and tensor.dtype == tf.int32 and tensor.numpy().tolist() == [[1, 2]]
    assert isinstance(round_trip(tf.Variable([1.0])), tf.Variable)
    assert round_trip(tf.float16) == tf.float16


def test_other_objects_stay_behind_as_handles():
    class Liar(float):
        def __eq__(self, other):
            return True

    for value in [Liar(1.0), object(), np.ma.array([1, 2]), np.array(["a"], dtype=object), (x for x in [])]:
        got = round_trip(value)
        assert got[0] == "handle"


@pytest.mark.parametrize("data, problem", [
    ({"t": "ndarray", "dtype": "float64", "shape": [3], "data": base64.b64encode(b"x" * 16).decode()}, "do not match"),
    ({"t": "ndarray", "dtype": "object", "shape": [1], "data": ""}, "not numeric"),
    ({"t": "ndarray", "dtype": "float64", "shape": [-1], "data": ""}, "shape"),
    ({"t": "textarray", "width": 3, "shape": [2], "v": ["abc"]}, "do not match its shape"),
    ({"t": "textarray", "width": 2, "shape": [1], "v": ["abc"]}, "not a string of its width"),
    ({"t": "textarray", "width": 3, "shape": [1], "v": [7]}, "not a string of its width"),
    ({"t": "textarray", "width": 10**9, "shape": [0], "v": []}, "width is not a length"),
    ({"t": "textarray", "width": 1, "shape": [-1], "v": []}, "shape"),
    ({"t": "int", "v": 3}, "decimal"),
    ({"t": "pickle", "v": "gASV"}, "unknown kind"),
    ({"t": "handle", "id": 1}, "only plain data"),
    ({"t": "bool", "v": 1}, "true or false"),
    ({"t": "dict", "v": [[{"t": "list", "v": []}, {"t": "none"}]]}, "cannot be a key"),
    ([1, 2], "not tagged"),
])
def test_malformed_data_is_refused(data, problem):
    with pytest.raises(wire.WireError, match=problem):
        wire.decode(data)


def test_deep_nesting_is_refused():
    data = {"t": "none"}
    for _ in range(wire.MAX_DEPTH + 2):
        data = {"t": "list", "v": [data]}
    with pytest.raises(wire.WireError, match="deeper"):
        wire.decode(data)


def test_frames_are_length_prefixed_and_limited():
    stream = io.BytesIO()
    wire.write_frame(stream, {"event": "x"})
    stream.seek(0)
    assert wire.read_frame(stream) == {"event": "x"}
    with pytest.raises(wire.WireError, match="larger than the limit"):
        wire.read_frame(io.BytesIO(struct.pack(">Q", wire.MAX_FRAME + 1)))
    with pytest.raises(wire.WireError, match="not JSON"):
        wire.read_frame(io.BytesIO(struct.pack(">Q", 3) + b"{{{"))
    with pytest.raises(EOFError):
        wire.read_frame(io.BytesIO(struct.pack(">Q", 10) + b"{}"))


def test_the_trusted_side_sends_only_plain_data():
    with pytest.raises(wire.WireError, match="not plain data"):
        wire.encode(object(), None)


def test_student_exceptions_keep_builtin_types_and_name_others():
    assert type(wire.student_exception("ValueError", "bad")) is ValueError
    other = wire.student_exception("tensorflow.errors.InvalidArgumentError", "shapes")
    assert isinstance(other, wire.StudentError) and type(other).__name__ == "InvalidArgumentError"
    assert not isinstance(wire.student_exception("SystemExit", "x"), SystemExit)


def test_remote_objects_are_used_through_requests_only():
    class Model:
        scale = 3

        def predict(self, x):
            return np.asarray(x) * self.scale

    namespace = {"build": lambda: Model(), "broken": lambda: 1 / 0}
    student = judge.Student(LocalSandbox(namespace), {}, timeout=5, deadline=float("inf"))
    model = student.function("build")()
    assert isinstance(model, judge.Remote) and model.type_name.endswith("Model")
    assert model.scale == 3
    assert model.predict(np.array([1.0, 2.0])).tolist() == [3.0, 6.0]
    with pytest.raises(ZeroDivisionError):
        student.function("broken")()
    with pytest.raises(NameError, match="not defined"):
        student.function("missing")()


def test_harness_reports_a_student_exception_as_data():
    response = harness.handle_request({"op": "call", "name": "f", "args": [], "kwargs": {}},
                                      {"f": lambda: (_ for _ in ()).throw(KeyError("k"))})
    assert response["value"]["t"] == "raised" and response["value"]["type"] == "KeyError"


# ---------------------------------------------------------------------------
# Rules on the answer's code
# ---------------------------------------------------------------------------

class Sources:
    """A stand-in for the student with only answer sources."""

    def __init__(self, answer: str, **others):
        self._answers = {"ex_answer": answer, **others}

    def source(self, grade_id):
        return self._answers.get(grade_id, "")

    def answers(self):
        return dict(self._answers)


HIDDEN_DET = {
    "dotted": "def area(A):\n    return abs(np.linalg.det(A))\n",
    "numpy spelled out": "import numpy\ndef area(A):\n    return abs(numpy.linalg.det(A))\n",
    "from-import": "from numpy.linalg import det\ndef area(A):\n    return abs(det(A))\n",
    "aliased module": "import numpy.linalg as la\ndef area(A):\n    return abs(la.det(A))\n",
    "aliased function": "from numpy.linalg import det as d\ndef area(A):\n    return abs(d(A))\n",
    "getattr with a string": "def area(A):\n    return abs(getattr(np.linalg, 'det')(A))\n",
    "computed getattr": "def area(A):\n    return abs(getattr(np.linalg, 'de' + 't')(A))\n",
    "eval": "def area(A):\n    return abs(eval('np.linalg.' + 'det')(A))\n",
    "__dict__": "def area(A):\n    return abs(vars(np.linalg)['det'](A))\n",
    "__import__": "def area(A):\n    return abs(__import__('numpy').linalg.slogdet(A)[1])\n",
}


@pytest.mark.parametrize("way", sorted(HIDDEN_DET))
def test_a_forbidden_call_is_caught_however_it_is_written(way):
    with pytest.raises(CheckFailed, match="rules out|hides which functions"):
        rules.forbid(Sources(HIDDEN_DET[way]), "ex_answer", ["np.linalg.det"], "compute the area by hand")


def test_a_forbidden_call_moved_into_a_helper_is_caught():
    student = Sources("def area(A):\n    return helper(A)\n",
                      **{"student-cell-9": "def helper(A):\n    return abs(np.linalg.det(A))\n"})
    with pytest.raises(CheckFailed, match=r"helper\(\) \(called by your answer\)"):
        rules.forbid(student, "ex_answer", ["np.linalg.det"], "compute the area by hand")


def test_an_honest_answer_passes_the_rules():
    honest = "def area(A):\n    (a, b), (c, d) = A\n    return abs(a * d - b * c)\n"
    rules.forbid(Sources(honest), "ex_answer", ["np.linalg.det"], "compute the area by hand")
    rules.forbid_loops(Sources("def f(x):\n    return x.sum(axis=0)\n"), "ex_answer", "use reductions")


@pytest.mark.parametrize("source", ["def f(x):\n    return [v * 2 for v in x]\n",
                                    "def f(x):\n    for v in x:\n        pass\n",
                                    "def f(x):\n    return np.vectorize(lambda v: v)(x)\n",
                                    "def f(x):\n    return list(map(abs, x))\n"])
def test_loops_are_caught(source):
    with pytest.raises(CheckFailed, match="loop|comprehension|rules out"):
        rules.forbid_loops(Sources(source), "ex_answer", "use broadcasting")


def test_require_demands_the_named_tool():
    with pytest.raises(CheckFailed, match="asks you to use tf.GradientTape"):
        rules.require(Sources("def g(x):\n    return 2 * x\n"), "ex_answer", ["tf.GradientTape"], "differentiate")
    rules.require(Sources("def g(x):\n    with tf.GradientTape() as tape:\n        pass\n"), "ex_answer",
                  ["tf.GradientTape"], "differentiate")


def test_an_answer_that_is_not_python_is_reported():
    with pytest.raises(CheckFailed, match="not valid Python"):
        rules.forbid(Sources("def f(:\n"), "ex_answer", ["np.var"], "by hand")
