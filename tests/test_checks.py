"""The self-check helpers give a specific message for each kind of wrong answer."""

import numpy as np
import pytest

from dlmath import checks
from dlmath.checks import CheckFailed


def message(function, *args, **kwargs) -> str:
    with pytest.raises(CheckFailed) as info:
        function(*args, **kwargs)
    return str(info.value)


def test_correct_array_prints_confirmation(capsys):
    result = checks.check_array([1.0, 2.0, 3.0], np.array([1.0, 2.0, 3.0 + 1e-9]), name="v")
    assert capsys.readouterr().out.startswith("✔ v: correct")
    assert isinstance(result, np.ndarray) and result.shape == (3,)


def test_none_answer_mentions_return():
    text = message(checks.check_array, None, [1, 2], name="total")
    assert text.startswith("total: the answer is None")
    assert "return" in text


def test_wrong_type_named():
    text = message(checks.check_array, "12", [1, 2], name="v")
    assert "expected an array of numbers, but got a str" in text


def test_ragged_list_explained():
    text = message(checks.check_array, [[1, 2], [3]], [[1, 2], [3, 4]], name="m")
    assert "same length" in text


def test_nan_reported_with_index():
    text = message(checks.check_array, [1.0, np.nan, 3.0], [1.0, 2.0, 3.0], name="v")
    assert "contains NaN (first at index (1,))" in text


def test_infinity_reported():
    text = message(checks.check_array, [np.inf, 1.0], [1.0, 1.0], name="v")
    assert "infinity" in text


def test_transposed_shape_recognised():
    text = message(checks.check_array, np.zeros((2, 3)), np.zeros((3, 2)), name="W")
    assert "looks transposed" in text
    assert "expected: (3, 2)" in text and "got:      (2, 3)" in text


def test_rearranged_shape_recognised():
    text = message(checks.check_shape, np.zeros(6), (2, 3), name="x")
    assert "number of elements is right" in text


def test_wrong_values_give_largest_difference_and_index():
    text = message(checks.check_array, [[1.0, 2.0], [3.0, 7.0]], [[1.0, 2.0], [3.0, 4.0]], name="m")
    assert "1 of 4 values are off" in text
    assert "largest difference is 3 at index (1, 1)" in text
    assert "expected: 4" in text and "got:      7" in text


def test_tolerance_is_respected():
    checks.check_array([1.0 + 1e-5], [1.0], rtol=1e-4, quiet=True)
    text = message(checks.check_array, [1.0 + 1e-3], [1.0], rtol=1e-4, name="x")
    assert "rtol=0.0001" in text


def test_dtype_checked_when_asked():
    text = message(checks.check_array, np.ones(2), np.ones(2), dtype=np.float32, name="x")
    assert "wrong dtype" in text and "float32" in text and "float64" in text


def test_tensorflow_tensor_accepted(capsys):
    tf = pytest.importorskip("tensorflow")
    checks.check_array(tf.constant([1.0, 2.0]), [1.0, 2.0], name="t")
    assert "correct" in capsys.readouterr().out


def test_scalar_rejects_arrays_and_bools():
    assert "expected a single number, but got 2 numbers" in message(checks.check_scalar, [1, 2], 3)
    assert "True/False" in message(checks.check_scalar, True, 1)


def test_scalar_accepts_numpy_scalar():
    assert checks.check_scalar(np.float32(0.5), 0.5, quiet=True) == pytest.approx(0.5)


def test_equal_normalises_lists_and_numpy_ints(capsys):
    checks.check_equal([2, np.int64(3)], (2, 3), name="shape")
    checks.check_equal(6.0, 6, name="count")
    assert capsys.readouterr().out.count("correct") == 2


def test_equal_reports_type_and_value():
    assert "expected an int, but got a str" in message(checks.check_equal, "6", 6)
    text = message(checks.check_equal, (3, 2), (2, 3), name="shape")
    assert "expected: (2, 3)" in text and "got:      (3, 2)" in text


def test_unwritten_function_gets_its_own_message():
    def stub(x):
        raise NotImplementedError()

    text = message(checks.check_function, stub, (1.0,), 2.0)
    assert "not written yet" in text and "NotImplementedError" in text


def test_raising_function_names_exception_and_call():
    def broken(x):
        return x @ np.ones((2, 2))

    text = message(checks.check_function, broken, (np.ones(3),), np.ones(2))
    assert text.startswith("broken: raised ValueError")
    assert "in the call: broken(array of shape (3,), dtype float64)" in text


def test_missing_or_non_callable_function():
    assert "the function is None" in message(checks.call, None)
    assert "expected a function, but got an int" in message(checks.call, 3)


def test_check_function_compares_tuples_exactly(capsys):
    checks.check_function(lambda: (2, 3), (), (2, 3), name="shapes")
    assert "correct" in capsys.readouterr().out


def test_check_true_passes_and_fails(capsys):
    checks.check_true(True, "rows must sum to 1", success="rows sum to 1")
    assert "rows sum to 1" in capsys.readouterr().out
    assert "rows must sum to 1" in message(checks.check_true, False, "rows must sum to 1")


def test_render_traceback_is_the_message_only():
    error = CheckFailed("v: wrong shape.\nexpected: (3,)\ngot:      (2,)")
    lines = error._render_traceback_()
    assert lines == ["✘ v: wrong shape.", "  expected: (3,)", "  got:      (2,)"]
    assert isinstance(error, AssertionError)


def test_checks_ignore_a_monkeypatched_allclose(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "isclose", lambda a, b, **k: np.ones_like(a, dtype=bool))
    assert "values are off" in message(checks.check_array, [1.0, 5.0], [1.0, 2.0])


def test_is_close():
    assert checks.is_close([1.0, 2.0], [1.0, 2.0 + 1e-9])
    assert not checks.is_close([1.0, 2.0], [1.0, 2.1])
    assert not checks.is_close([1.0], [1.0, 1.0])
    # An answer that cannot be read as numbers is not close to anything, and is no error either:
    # graders compare answers of any type with their known wrong answers.
    assert not checks.is_close("one half", 0.5)
    assert not checks.is_close([1.0, [2.0, 3.0]], [1.0, 2.0])
    assert not checks.is_close({"a": 1}, 1.0)
    # The rule is relative to the expected value (the second argument), as check_array's.
    assert checks.is_close(1.0 + 5e-7, 1.0) and not checks.is_close(1.0 + 5e-6, 1.0)


def test_unwritten_function_keeps_the_default_advice_with_a_hint():
    def stub(x):
        raise NotImplementedError()

    text = message(checks.check_function, stub, (1.0,), 2.0, hint="use np.sum")
    assert "replace `raise NotImplementedError()`" in text and "hint: use np.sum" in text


def test_check_raises(capsys):
    def strict(x):
        if x < 0:
            raise ValueError("x must be non-negative")
        return x

    checks.check_raises(strict, (-1,), ValueError, match="non-negative", name="strict")
    assert "raises ValueError" in capsys.readouterr().out
    assert "returned instead of raising ValueError" in message(checks.check_raises, strict, (1,), ValueError)
    assert "does not mention 'negative number'" in message(checks.check_raises, strict, (-1,), ValueError,
                                                          match="negative number")
    assert "raised TypeError where ValueError was expected" in message(
        checks.check_raises, lambda x: x + "a", (1,), ValueError)
