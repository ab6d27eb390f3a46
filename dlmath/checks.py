"""Self-checks for the exercises: instant, specific, kind feedback.

The visible test cells of every exercise call these helpers. A correct answer
prints a one-line confirmation. A wrong one raises :class:`CheckFailed`, whose
message says what was expected, what was got and (often) a hint; in Jupyter
and Colab it is shown without a traceback, because the traceback would point
into this file and not at the learner's mistake. nbgrader still sees an error,
so the cell scores zero until the answer is right.

Each kind of wrong answer has its own message: ``None`` (usually a missing
``return``), a wrong type, NaN or infinity, a wrong shape, a wrong dtype, wrong
values (with the largest difference and where it is), and a function that
raises (with the exception and the call that raised it).
"""

from __future__ import annotations

import numbers

import numpy as np

# The comparison below uses these references, taken when dlmath is imported, so
# a notebook that later replaces ``np.allclose`` or ``np.isclose`` does not
# change what the checks accept. (The grader also detects such tampering.)
_abs = np.abs
_isfinite = np.isfinite
_asarray = np.asarray
_argmax = np.argmax
_unravel_index = np.unravel_index

OK_MARK = "\u2714"   # ✔
FAIL_MARK = "\u2718"  # ✘


class CheckFailed(AssertionError):
    """A self-check found a problem with an answer.

    It is an ``AssertionError``, so nbgrader and pytest count it as a failed
    test; IPython shows only its message (``_render_traceback_``), so the learner
    reads what went wrong instead of a stack of library frames.
    """

    def _render_traceback_(self):  # called by IPython instead of printing a traceback
        return [f"{FAIL_MARK} {line}" if i == 0 else f"  {line}" for i, line in enumerate(str(self).splitlines())]


def _fail(name: str, problem: str, *, expected=None, got=None, hint: str | None = None, show_values: bool = True,
          extra: str | None = None):
    lines = [f"{name}: {problem}"]
    if extra:
        lines.append(extra)
    if show_values and expected is not None:
        lines.append(f"expected: {expected}")
    if show_values and got is not None:
        lines.append(f"got:      {got}")
    if hint:
        lines.append(f"hint: {hint}")
    raise CheckFailed("\n".join(lines))


def passed(name: str, detail: str = "") -> None:
    """Print the confirmation for a correct answer."""
    print(f"{OK_MARK} {name}: correct" + (f" ({detail})" if detail else ""))


def _short(value, limit: int = 80) -> str:
    """A one-line description of a value for messages (arrays by shape and dtype)."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}, dtype {value.dtype}"
    if hasattr(value, "shape") and hasattr(value, "dtype") and hasattr(value, "numpy"):
        return f"tensor of shape {tuple(value.shape)}, dtype {value.dtype.name}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value) -> str:
    """The type's name with its article: 'an int', 'a str'."""
    name = type(value).__name__
    return ("an " if name[0] in "aeiou" else "a ") + name


def _check_not_missing(got, name: str, hint: str | None):
    if got is None:
        _fail(name, "the answer is None.", hint=hint or "did you forget a `return` statement, "
              "or leave `raise NotImplementedError()` in place of your code?", show_values=False)
    if got is Ellipsis:
        _fail(name, "the answer is still `...`: replace it with your code.", hint=hint, show_values=False)


def _to_array(got, name: str, hint: str | None) -> np.ndarray:
    """Turn lists, tuples, NumPy arrays, NumPy scalars and TensorFlow tensors into an array."""
    if hasattr(got, "numpy") and callable(got.numpy):  # a TensorFlow tensor or variable
        got = got.numpy()
    if isinstance(got, (str, bytes, dict, set)) or callable(got):
        _fail(name, f"expected an array of numbers, but got {_type_name(got)}.", got=_short(got), hint=hint)
    try:
        array = _asarray(got)
    except Exception as error:  # ragged lists and other oddities
        _fail(name, f"could not turn the answer into an array ({type(error).__name__}: {error}).",
              got=_short(got), hint=hint or "every row must have the same length.")
    if array.dtype == object:
        _fail(name, "the answer is not an array of numbers (NumPy made an object array).", got=_short(got),
              hint=hint or "check that every row has the same length and holds only numbers.")
    if not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        _fail(name, f"expected numbers, but the array's dtype is {array.dtype}.", hint=hint)
    return array


def check_shape(got, expected_shape, *, name: str = "answer", hint: str | None = None, quiet: bool = False):
    """Check that ``got`` (an array, a tensor or nested lists) has ``expected_shape``."""
    _check_not_missing(got, name, hint)
    array = _to_array(got, name, hint)
    expected_shape = tuple(int(n) for n in expected_shape)
    if array.shape != expected_shape:
        problem = "wrong shape."
        if array.shape == expected_shape[::-1] and len(expected_shape) == 2:
            problem = "wrong shape: it looks transposed."
        elif array.size == int(np.prod(expected_shape)):
            problem = "wrong shape: the number of elements is right, but they are arranged differently."
        _fail(name, problem, expected=expected_shape, got=array.shape, hint=hint)
    if not quiet:
        passed(name, f"shape {expected_shape}")
    return array


def check_dtype(got, expected_dtype, *, name: str = "answer", hint: str | None = None, quiet: bool = False):
    """Check the dtype of an array or tensor (``float32`` and ``tf.float32`` both accepted)."""
    _check_not_missing(got, name, hint)
    array = _to_array(got, name, hint)
    expected = np.dtype(getattr(expected_dtype, "as_numpy_dtype", expected_dtype))
    if array.dtype != expected:
        _fail(name, "wrong dtype.", expected=expected.name, got=array.dtype.name,
              hint=hint or f"convert with `.astype(np.{expected.name})` (NumPy) or `tf.cast(x, tf.{expected.name})`.")
    if not quiet:
        passed(name, f"dtype {expected.name}")
    return array


def check_array(got, expected, *, name: str = "answer", rtol: float = 1e-6, atol: float = 1e-8,
                dtype=None, hint: str | None = None, quiet: bool = False):
    """Check an array answer against ``expected`` within ``|got − expected| ≤ atol + rtol·|expected|``.

    Shape is checked first (a scalar answer counts as shape ``()``), then the
    dtype if one is given, then NaN/infinity, then the values. The message for
    wrong values gives the largest difference and the index where it occurs.
    Returns the answer as a NumPy array, for further checks.
    """
    _check_not_missing(got, name, hint)
    array = _to_array(got, name, hint)
    expected_array = _asarray(expected.numpy() if hasattr(expected, "numpy") else expected)
    check_shape(array, expected_array.shape, name=name, hint=hint, quiet=True)
    if dtype is not None:
        check_dtype(array, dtype, name=name, hint=hint, quiet=True)
    values = array.astype(np.float64) if not np.issubdtype(array.dtype, np.complexfloating) else array
    targets = expected_array.astype(values.dtype)
    bad = ~_isfinite(values) & _isfinite(targets)
    if bad.any():
        index = tuple(int(i) for i in _unravel_index(_argmax(bad), bad.shape)) if bad.ndim else ()
        what = "NaN" if np.isnan(values[index] if index else values) else "infinity"
        _fail(name, f"the answer contains {what} (first at index {index}).",
              hint=hint or "look for a division by zero, the log of 0 or a negative number, "
                           "or an exponential that overflowed.", show_values=False)
    difference = _abs(values - targets)
    allowed = atol + rtol * _abs(targets)
    wrong = ~(difference <= allowed) & _isfinite(targets)
    if wrong.any():
        flat = int(_argmax(np.where(wrong, difference, -1.0)))
        index = tuple(int(i) for i in _unravel_index(flat, wrong.shape)) if wrong.ndim else ()
        count = int(wrong.sum())
        problem = (f"{count} of {wrong.size} values are off." if wrong.size > 1 else "the value is off.")
        at = f" at index {index}" if index else ""
        got_value = values[index] if index else values
        expected_value = targets[index] if index else targets
        _fail(name, f"{problem} The largest difference is {float(difference[index] if index else difference):.3g}{at}.",
              expected=f"{expected_value:.6g} (within atol={atol:g}, rtol={rtol:g})",
              got=f"{got_value:.6g}", hint=hint)
    if not quiet:
        shape_text = f"shape {array.shape}, " if array.shape else ""
        passed(name, f"{shape_text}within rtol={rtol:g}")
    return array


def check_scalar(got, expected, *, name: str = "answer", rtol: float = 1e-6, atol: float = 1e-8,
                 hint: str | None = None, quiet: bool = False) -> float:
    """Check a single number (a Python number, a NumPy scalar, a 0-d array or tensor)."""
    _check_not_missing(got, name, hint)
    if isinstance(got, bool):
        _fail(name, "expected a number, but got True/False.", got=_short(got), hint=hint)
    array = _to_array(got, name, hint)
    if array.size != 1:
        _fail(name, f"expected a single number, but got {array.size} numbers.", expected="shape ()",
              got=f"shape {array.shape}", hint=hint or "did you forget to sum or average?")
    value = array.reshape(())
    check_array(value, float(expected), name=name, rtol=rtol, atol=atol, hint=hint, quiet=True)
    if not quiet:
        passed(name, f"{float(value):.6g}")
    return float(value)


def check_equal(got, expected, *, name: str = "answer", hint: str | None = None, quiet: bool = False):
    """Check an exact answer: an integer, a string, a tuple such as a shape, a bool.

    Tuples and lists of integers are compared as tuples, so a shape given as
    ``[2, 3]`` is as right as ``(2, 3)``; NumPy integers count as integers.
    """
    _check_not_missing(got, name, hint)

    def normalise(value):
        if isinstance(value, (list, tuple)):
            return tuple(normalise(v) for v in value)
        if isinstance(value, np.generic):
            return value.item()
        return value

    got_n, expected_n = normalise(got), normalise(expected)
    if type(expected_n) is not type(got_n):
        numeric = isinstance(expected_n, numbers.Integral) and isinstance(got_n, numbers.Number) \
            and not isinstance(got_n, bool) and float(got_n).is_integer()
        if not numeric:
            _fail(name, f"expected {_type_name(expected_n)}, but got {_type_name(got_n)}.",
                  expected=_short(expected_n), got=_short(got_n), hint=hint)
        got_n = int(got_n)
    if got_n != expected_n:
        _fail(name, "not the expected answer.", expected=_short(expected_n), got=_short(got_n), hint=hint)
    if not quiet:
        passed(name, _short(expected_n, 40))
    return got


def check_true(condition: bool, message: str, *, name: str = "answer", hint: str | None = None,
               success: str | None = None) -> None:
    """Check a property that has no single expected value (e.g. 'rows sum to 1')."""
    if not bool(condition):
        _fail(name, message, hint=hint, show_values=False)
    if success:
        passed(name, success)


def call(function, *args, name: str | None = None, hint: str | None = None, **kwargs):
    """Call a learner's function and turn any failure into a clear message.

    A missing function, something that is not callable, a function that still
    raises ``NotImplementedError`` and a function that raises anything else each
    get their own message, naming the call that failed.
    """
    label = name or getattr(function, "__name__", "your function")
    if function is None:
        _fail(label, "the function is None.", hint=hint or "run the cell that defines it first.", show_values=False)
    if not callable(function):
        _fail(label, f"expected a function, but got {_type_name(function)}.", got=_short(function), hint=hint)
    shown = ", ".join([_short(a, 40) for a in args] + [f"{k}={_short(v, 40)}" for k, v in kwargs.items()])
    try:
        return function(*args, **kwargs)
    except NotImplementedError:
        _fail(label, "not written yet: the function still raises NotImplementedError.",
              extra="replace `raise NotImplementedError()` with your code, then run that cell again.",
              hint=hint, show_values=False)
    except CheckFailed:
        raise
    except Exception as error:
        _fail(label, f"raised {type(error).__name__}: {error}", hint=hint,
              extra=f"in the call: {label}({shown})", show_values=False)


def check_raises(function, args=(), exception=ValueError, *, kwargs=None, name: str | None = None,
                 match: str | None = None, hint: str | None = None, quiet: bool = False):
    """Check that ``function(*args)`` refuses bad input by raising ``exception``.

    Good code fails loudly on input it cannot handle. A function that returns
    instead, or raises a different kind of error, gets a message saying which.
    ``match`` (optional) is a piece of text the error message must contain.
    """
    label = name or getattr(function, "__name__", "your function")
    if function is None or not callable(function):
        call(function, name=label)  # the same messages as for any call
    shown = ", ".join([_short(a, 40) for a in args] + [f"{k}={_short(v, 40)}" for k, v in (kwargs or {}).items()])
    try:
        result = function(*args, **(kwargs or {}))
    except NotImplementedError:
        _fail(label, "not written yet: the function still raises NotImplementedError.",
              extra="replace `raise NotImplementedError()` with your code, then run that cell again.",
              hint=hint, show_values=False)
    except exception as error:
        if match is not None and match not in str(error):
            _fail(label, f"raised {exception.__name__}, but its message does not mention {match!r}.",
                  got=str(error), hint=hint)
        if not quiet:
            passed(label, f"raises {exception.__name__} for {shown}")
        return
    except Exception as error:
        _fail(label, f"raised {type(error).__name__} where {exception.__name__} was expected: {error}",
              extra=f"in the call: {label}({shown})", hint=hint, show_values=False)
    _fail(label, f"returned instead of raising {exception.__name__}.", got=_short(result),
          extra=f"in the call: {label}({shown})", hint=hint)


def check_function(function, args=(), expected=None, *, kwargs=None, name: str | None = None,
                   rtol: float = 1e-6, atol: float = 1e-8, dtype=None, hint: str | None = None,
                   quiet: bool = False):
    """Call ``function(*args, **kwargs)`` and check its result against ``expected``.

    Numbers and arrays are compared with :func:`check_array`; anything else
    (shapes, strings, integers in tuples) with :func:`check_equal`.
    """
    label = name or getattr(function, "__name__", "your function")
    result = call(function, *args, name=label, hint=hint, **(kwargs or {}))
    call_label = f"{label}(…)"
    if isinstance(expected, (tuple, str, bool)) or (isinstance(expected, numbers.Integral) and dtype is None
                                                     and not isinstance(expected, np.ndarray)
                                                     and isinstance(result, (int, np.integer))):
        check_equal(result, expected, name=call_label, hint=hint, quiet=quiet)
    else:
        check_array(result, expected, name=call_label, rtol=rtol, atol=atol, dtype=dtype, hint=hint, quiet=quiet)
    return result


def is_close(a, b, rtol: float = 1e-6, atol: float = 1e-8) -> bool:
    """True when two numbers or arrays agree within tolerance (same rule as :func:`check_array`).

    False, not an error, when either cannot be read as numbers (a string, a ragged list): graders
    use it to recognise a known wrong answer, and an answer of any type must be comparable.
    """
    try:
        a = _asarray(a, dtype=float)
        b = _asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(_abs(a - b) <= atol + rtol * _abs(b)))
