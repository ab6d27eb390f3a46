"""Trusted tests for chapter 1's exercises (instructor-only: never given to students).

One function per graded test cell, named as its grade_id, taking ``(student, rng)``.
Inputs are drawn from ``rng`` at grade time; expected values come from the references
written here (loops, definitions). A question scores its points when its function returns.
"""

import ast

import ml_dtypes
import numpy as np
import tensorflow as tf

from dlmath.checks import (CheckFailed, call, check_array, check_dtype, check_equal, check_scalar, check_shape,
                           check_true)
from dlmath.grading.rules import forbid, forbid_loops


# What each exercise asks (book/exercise_catalogue.md): apply a formula the chapter gives, predict,
# derive one it does not give, decide from evidence, or debug given code.
KINDS = {"ex1_test": "apply",
         "ex2_test": "predict",
         "ex3_test": "apply",
         "ex4_test": "apply",
         "ex5_test": "apply",
         "ex6_test": "apply",
         "ex7_test": "apply",
         "ex8_test": "apply",
         "ex9_test": "apply",
         "ex10_test": "debug",
         "ex11_test": "derive"}

def _same(a, b):
    """True when the answer a has b's shape and values (False for anything not comparable)."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))


def _call_and_watch(student, function_name, *args):
    """Call the student's function in its kernel; return (result, [was each argument left unchanged?])."""
    builtins = student.value("__builtins__")
    evaluate = builtins["eval"] if isinstance(builtins, dict) else builtins.eval
    watcher = evaluate("(lambda np: lambda f, *args: (lambda copies: (f(*args), [bool(np.array_equal(a, c)) "
                       "for a, c in zip(args, copies)]))([np.copy(a) for a in args]))(__import__('numpy'))")
    return call(watcher, student.value(function_name), *args, name=function_name)


# --- exercise 1 -----------------------------------------------------------------------------------

def ex1_test(student, rng):
    weekly_price_tensor = student.function("weekly_price_tensor")
    for weeks in (2, 1, 3, 7):
        prices = 100 + rng.normal(size=5 * weeks).cumsum()
        label = f"weekly_price_tensor({5 * weeks} prices)"
        result = call(weekly_price_tensor, prices, name=label,
                      hint="make it work for any number of weeks: reshape to (-1, 5), not to a fixed shape.")
        check_true(isinstance(result, tf.Tensor), f"expected a TensorFlow tensor, but got a {type(result).__name__}.",
                   name=label, hint="make a tensor with tf.constant(...) or tf.convert_to_tensor(...).")
        check_dtype(result, tf.float32, name=label, quiet=True,
                    hint="a float64 array becomes a float64 tensor: pass dtype=tf.float32, or use tf.cast.")
        expected = np.array([prices[5 * k: 5 * k + 5] for k in range(weeks)], dtype=np.float32)
        if _same(result, expected.reshape(5, weeks).T) and weeks > 1:
            check_true(False, "each row holds one day of the week across the weeks, not one week.", name=label,
                       hint="row k holds days 5k to 5k + 4, in order: reshape to (-1, 5) directly, no transpose.")
        check_array(result, expected, name=label, quiet=True, hint="row k holds days 5k to 5k + 4, in order.")


# --- exercise 2 -----------------------------------------------------------------------------------

SHAPE_HINTS = {
    "a": "an integer index removes its axis.",
    "b": "an integer index on the last axis removes the channel axis.",
    "c": "a slice keeps its axis, with the slice's length.",
    "d": "-1 takes the length that keeps the size unchanged: 28 * 28 * 3 numbers per image.",
    "e": "a reduction removes every axis it names.",
    "f": "axis m of the result is axis axes[m] of the input.",
    "g": "np.newaxis inserts an axis of length 1 where it stands.",
    "h": "concatenate adds up the lengths along the joined axis; the other axes stay.",
    "i": "stack makes a new axis 0, as long as the number of arrays.",
    "j": "keepdims=True keeps the summed axis, with length 1.",
}


def _actual_shapes():
    batch = np.zeros((32, 28, 28, 3), dtype=np.float32)
    return {
        "a": batch[0].shape, "b": batch[:, :, :, 0].shape, "c": batch[:8].shape,
        "d": batch.reshape(32, -1).shape, "e": batch.mean(axis=(1, 2)).shape,
        "f": np.transpose(batch, (0, 3, 1, 2)).shape, "g": batch[:, np.newaxis].shape,
        "h": np.concatenate([batch, batch], axis=-1).shape, "i": np.stack([batch, batch]).shape,
        "j": batch.sum(axis=0, keepdims=True).shape,
    }


def _literal_predictions(source):
    """Fail unless predicted_shapes() returns a literal dictionary: predictions, not code that computes them."""
    tree = ast.parse(source)
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == "predicted_shapes"]
    body = functions[0].body if functions else []
    body = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    ok = len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(body[0].value, ast.Dict)
    if ok:
        try:
            ast.literal_eval(body[0].value)
        except ValueError:
            ok = False
    others = [node for node in tree.body if not isinstance(node, (ast.FunctionDef, ast.Import, ast.ImportFrom))
              and not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))]
    if not ok or others:
        raise CheckFailed("predicted_shapes(): the answer must be a literal dictionary of tuples of integers "
                          "(`return {\"a\": (28, 28, 3), ...}`), written without running the expressions: "
                          "no NumPy, TensorFlow or other code computes the shapes in this exercise.")


def ex2_test(student, rng):
    predictions = call(student.function("predicted_shapes"), name="predicted_shapes()")
    _literal_predictions(student.source("ex2_answer"))
    check_true(isinstance(predictions, dict), f"expected a dictionary, but got a {type(predictions).__name__}.",
               name="predicted_shapes()", hint='return {"a": (...), "b": (...), ...}.')
    wrong = []
    for letter, actual in _actual_shapes().items():
        check_true(letter in predictions, f"there is no prediction for ({letter}).", name="predicted_shapes()",
                   hint=f'add the key "{letter}" to the dictionary.')
        try:
            predicted = tuple(int(length) for length in predictions[letter])
        except (TypeError, ValueError):
            predicted = None
        check_true(predicted is not None, f"the prediction for ({letter}) is not a tuple of integers.",
                   name="predicted_shapes()", hint="write a shape as a tuple such as (28, 28, 3); a 1-D shape is (5,).")
        if predicted != tuple(actual):
            wrong.append(letter)
    check_true(not wrong, "wrong predictions: " + ", ".join(f"({letter})" for letter in wrong) + ".",
               name="predicted_shapes()", hint=" ".join(f"({letter}) {SHAPE_HINTS[letter]}" for letter in wrong))


# --- exercise 3 -----------------------------------------------------------------------------------

def _broadcast(a, b):
    """The three rules, written out (the reference)."""
    a, b = tuple(a), tuple(b)
    rank = max(len(a), len(b))
    a, b = (1,) * (rank - len(a)) + a, (1,) * (rank - len(b)) + b
    result = []
    for x, y in zip(a, b):
        if x != y and 1 not in (x, y):
            return None
        result.append(max(x, y))
    return tuple(result)


def _check_broadcast(broadcast_shape, a, b):
    label = f"broadcast_shape({a!r}, {b!r})"
    expected = _broadcast(a, b)
    hint = "pad the shorter shape with 1s on the left, then take the larger length on each axis."
    if expected is None:
        try:
            got = broadcast_shape(a, b)
        except ValueError:
            return
        except Exception as error:
            raise CheckFailed(f"{label}: raised {type(error).__name__} where ValueError was expected.") from None
        raise CheckFailed(f"{label}: these shapes do not broadcast, but no ValueError was raised (it returned "
                          f"{got!r}). hint: raise ValueError(...) when two aligned lengths differ and neither is 1.")
    got = call(broadcast_shape, a, b, name=label, hint=hint + " Shapes may come as lists: convert with tuple(...).")
    check_equal(got, expected, name=label, hint=hint, quiet=True)


def ex3_test(student, rng):
    forbid(student, "ex3_answer", ["np.broadcast_shapes", "np.broadcast", "np.broadcast_to", "np.broadcast_arrays",
                                   "tf.broadcast_static_shape", "tf.broadcast_dynamic_shape", "tf.broadcast_to"],
           "apply the three broadcasting rules yourself")
    broadcast_shape = student.function("broadcast_shape")
    pairs = [((4, 3), (3,)), ((3, 1), (1, 4)), ((5,), (5, 1)), ((), (3, 4)), ((2, 3, 4), (3, 1)),
             ((8, 1, 6, 1), (7, 1, 5)), ((1,), (1,)), ((6, 8, 8, 3), (6, 1, 1, 3)), ((1, 1, 1), (4,)),
             ((5, 1, 2), (5, 3, 1)), ((4, 3), (4,)), ((2, 3), (3, 2)), ((5,), (4,)), ((2, 1), (8, 4, 3)),
             ((3, 4, 5), (4, 4))]
    for _ in range(4):   # random shapes: mostly broadcastable, sometimes not
        rank_a, rank_b = (int(r) for r in rng.integers(0, 5, size=2))
        a = tuple(int(v) for v in rng.choice([1, 2, 3, 5], size=rank_a))
        b = tuple(int(v) for v in rng.choice([1, 2, 3, 5], size=rank_b))
        pairs.append((a, b))
    for a, b in pairs:
        _check_broadcast(broadcast_shape, a, b)
        _check_broadcast(broadcast_shape, b, a)
    _check_broadcast(broadcast_shape, [4, 1], [3])
    _check_broadcast(broadcast_shape, [2, 1, 7], (5, 1))
    huge = 10**6
    got = call(broadcast_shape, (huge, 1, huge), (1, huge, 1), name="broadcast_shape((10**6, 1, 10**6), (1, 10**6, 1))",
               hint="work with the shapes only, without creating arrays: an array of 10**18 numbers does not fit "
                    "in memory.")
    check_equal(got, (huge, huge, huge), name="broadcast_shape((10**6, 1, 10**6), (1, 10**6, 1))", quiet=True,
                hint="work with the shapes only, without creating arrays.")


# --- exercise 4 -----------------------------------------------------------------------------------

def _channels_first_by_loop(batch_nhwc):
    n, h, w, c = batch_nhwc.shape
    result = np.empty((n, c, h, w), dtype=batch_nhwc.dtype)
    for n, h, w, c in np.ndindex(batch_nhwc.shape):
        result[n, c, h, w] = batch_nhwc[n, h, w, c]
    return result


def _check_layout(got, expected, source, label, target):
    if not _same(got, expected):
        if _same(got, source.reshape(expected.shape)):
            check_true(False, "the numbers are mixed up: a reshape gives the right shape but not the right layout.",
                       name=label, hint="move the axes with np.transpose (or tf.transpose) instead of reshape.")
        check_array(got, expected, name=label, quiet=True,
                    hint=f"the result is {target}: axis m of the result is axis axes[m] of the input; "
                         "check that H and W are not swapped (the tests use H != W).")


def ex4_test(student, rng):
    forbid_loops(student, "ex4_answer", "move whole axes at once with np.transpose")
    to_first, to_last = student.function("to_channels_first"), student.function("to_channels_last")
    for shape in [(2, 4, 5, 3), (1, 8, 6, 1), (3, 2, 7, 4)]:
        images = rng.random(shape).astype(np.float32)
        expected = _channels_first_by_loop(images)
        got = call(to_first, images, name=f"to_channels_first(shape {shape})")
        _check_layout(got, expected, images, f"to_channels_first(shape {shape})", "(N, C, H, W)")
        got = call(to_last, expected, name=f"to_channels_last(shape {expected.shape})")
        _check_layout(got, images, expected, f"to_channels_last(shape {expected.shape})", "(N, H, W, C)")


# --- exercise 5 -----------------------------------------------------------------------------------

def _normalised_by_loop(batch):
    expected = np.empty(batch.shape, dtype=np.float64)
    for c in range(batch.shape[-1]):
        channel = batch[..., c].astype(np.float64)
        expected[..., c] = (channel - channel.mean()) / channel.std()
    return expected


def ex5_test(student, rng):
    forbid_loops(student, "ex5_answer", "use reductions over several axes and broadcasting")
    for shape in [(4, 6, 5, 3), (1, 8, 8, 1), (2, 3, 3, 4), (16, 8, 8, 3)]:
        batch = (rng.normal(size=shape) * rng.uniform(0.5, 5.0, size=shape[-1])
                 + rng.uniform(-50, 50, size=shape[-1])).astype(np.float32)
        label = f"normalise_per_channel(shape {shape})"
        got, (unchanged,) = _call_and_watch(student, "normalise_per_channel", batch)
        expected = _normalised_by_loop(batch)
        if not _same(got, expected):
            b64 = batch.astype(np.float64)
            axes = (0, 1, 2)
            wrong = {
                "one mean and one standard deviation for the whole batch instead of one per channel":
                    (b64 - b64.mean()) / b64.std(),
                "one mean and standard deviation per image (axes 1, 2, 3) instead of per channel (axes 0, 1, 2)":
                    (b64 - b64.mean(axis=(1, 2, 3), keepdims=True)) / b64.std(axis=(1, 2, 3), keepdims=True),
                "the sample standard deviation (ddof=1); the formula divides by NHW (ddof=0, NumPy's default)":
                    (b64 - b64.mean(axis=axes)) / b64.std(axis=axes, ddof=1),
            }
            for mistake, values in wrong.items():
                if _same(got, values) and shape[0] * shape[1] * shape[2] > 1:
                    check_true(False, f"this is {mistake}.", name=label,
                               hint="average over axes (0, 1, 2) with keepdims=True, ddof=0.")
        check_array(got, expected, rtol=1e-4, atol=1e-4, name=label, quiet=True,
                    hint="average over axes (0, 1, 2), keep them with keepdims=True, use the population "
                         "standard deviation (ddof=0).")
        check_dtype(got, np.float32, name=label, quiet=True,
                    hint="return float32, like the input: convert with .astype(np.float32).")
        check_true(unchanged, "the input batch was changed in place: compute a new array instead of `-=` / `/=`.",
                   name=label, hint="write `result = (batch - means) / stds`, which leaves batch as it was.")


# --- exercise 6 -----------------------------------------------------------------------------------

def ex6_test(student, rng):
    forbid_loops(student, "ex6_answer", "index the table with the whole array of ids at once")
    embed = student.function("embed")
    V, k = int(rng.integers(20, 60)), int(rng.integers(3, 9))
    table = rng.normal(size=(V, k)).astype(np.float32)
    for ids in [rng.integers(0, V, size=6), rng.integers(0, V, size=(3, 7)), np.array([V - 1, V - 1, 0]),
                np.array([5]), rng.integers(0, V, size=(2, 2, 3))]:
        label = f"embed(ids of shape {ids.shape}, table {table.shape})"
        expected = np.stack([table[i] for i in ids.ravel()]).reshape(ids.shape + (k,))
        got = call(embed, ids, table, name=label,
                   hint="index the rows of the table with the ids array itself: table[token_ids] works for any shape.")
        check_array(got, expected, name=label, quiet=True,
                    hint="token id i selects row i of the table (not a column); the result has shape "
                         "token_ids.shape + (k,).")


# --- exercise 7 -----------------------------------------------------------------------------------

ARRAY_MAKERS = {"zeros", "empty", "ones", "full", "zeros_like", "empty_like", "ones_like", "full_like", "fill",
                "broadcast_to", "constant", "convert_to_tensor", "Variable", "ndarray", "array", "asarray", "arange"}


def _forbid_array_makers(source):
    """Fail if the answer makes an array or tensor (np.zeros, tf.constant, np.broadcast_to, ...) to count its bytes."""
    for node in ast.walk(ast.parse(source)):
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        if name in ARRAY_MAKERS:
            raise CheckFailed(f"tensor_nbytes: uses {name}, but this exercise asks for the bytes without creating the "
                              "tensor (a batch of videos can be larger than the memory). hint: the product of the "
                              "shape times np.dtype(...).itemsize.")


def ex7_test(student, rng):
    _forbid_array_makers(student.source("ex7_answer"))
    tensor_nbytes = student.function("tensor_nbytes")
    cases = [((32, 224, 224, 3), np.float32, 19267584), ((2, 3), "float16", 12), ((10, 10), tf.float64, 800),
             ((4, 5), ml_dtypes.bfloat16, 40), ((4, 5), tf.bfloat16, 40), ((7,), "uint8", 7),
             ((3, 3), np.dtype("int64"), 72), ((), np.float32, 4), ((0, 5), np.float64, 0),
             ((1000, 1000, 1000, 100), np.float64, 800 * 10**9), ((2, 64, 8, 8, 3), tf.uint8, 2 * 64 * 8 * 8 * 3)]
    n = int(rng.integers(2, 50))
    cases.append(((n, 3), tf.int16, 6 * n))
    for shape, dtype, expected in cases:
        label = f"tensor_nbytes({shape}, {np.dtype(getattr(dtype, 'as_numpy_dtype', dtype)).name})"
        got = call(tensor_nbytes, shape, dtype, name=label,
                   hint="a TensorFlow dtype has .as_numpy_dtype; np.dtype(...).itemsize gives the bytes per number.")
        if got == int(np.prod(shape, dtype=object)) and expected != got:
            check_true(False, "this is the number of entries, not of bytes.", name=label,
                       hint="multiply the number of entries by the itemsize (bytes per entry).")
        check_equal(got, expected, name=label, quiet=True, hint="the product of the shape times the itemsize.")


# --- exercise 8 -----------------------------------------------------------------------------------

def _mse_by_loop(targets, predictions):
    targets, predictions = list(np.ravel(targets)), list(np.ravel(predictions))
    return sum((float(p) - float(t)) ** 2 for t, p in zip(targets, predictions)) / len(targets)


def ex8_test(student, rng):
    mse = student.function("mean_squared_error")
    targets = rng.normal(size=7)
    predictions = targets + rng.normal(scale=0.3, size=7)
    expected = _mse_by_loop(targets, predictions)
    for t, p in [(targets, predictions), (targets, predictions[:, None]), (targets[:, None], predictions[:, None]),
                 (targets[:, None], predictions), (np.array([2.0]), np.array([[5.0]]))]:
        label = f"mean_squared_error(y_true {t.shape}, y_pred {p.shape})"
        got = call(mse, t, p, name=label)
        check_scalar(got, _mse_by_loop(t, p), rtol=1e-6, name=label, quiet=True,
                     hint="(n, 1) - (n,) broadcasts to (n, n): flatten both arguments with reshape(-1) first.")
    label = "mean_squared_error(3 targets, 4 predictions)"
    try:
        got = mse(np.zeros(3), np.zeros((4, 1)))
    except ValueError:
        return
    except Exception as error:
        raise CheckFailed(f"{label}: raised {type(error).__name__} where ValueError was expected.") from None
    raise CheckFailed(f"{label}: returned {got!r} instead of raising ValueError; a different number of values is a "
                      "mistake of the caller. hint: compare the sizes and raise ValueError(...) when they differ.")


# --- exercise 9 -----------------------------------------------------------------------------------

def _brightened(image, amount):
    values = [min(255, max(0, int(pixel) + amount)) for pixel in image.ravel()]
    return np.array(values, dtype=np.uint8).reshape(image.shape)


def ex9_test(student, rng):
    image = rng.integers(0, 256, size=(8, 8), dtype=np.uint8)
    batch = rng.integers(0, 256, size=(2, 4, 4, 3), dtype=np.uint8)
    for picture, amount in [(np.array([0, 100, 250, 255], dtype=np.uint8), 10), (image, 37), (image, 300),
                            (image, -120), (image, -300), (image, 0), (batch, 60)]:
        label = f"brighten(shape {picture.shape}, {amount})"
        got, unchanged = _call_and_watch(student, "brighten", picture, amount)
        unchanged = unchanged[0]
        expected = _brightened(picture, amount)
        hint = "compute in a wider integer type (astype(np.int64)), clip to 0..255, then convert back to uint8."
        if amount < 0 and _same(got, np.minimum(picture.astype(np.int64) + amount, 255).astype(np.uint8)) \
                and not _same(got, expected):
            check_true(False, "results below 0 wrapped around: clip at 0 too, not only at 255.", name=label, hint=hint)
        if _same(got, (picture + np.uint8(amount % 256)).astype(np.uint8)) and not _same(got, expected):
            check_true(False, "the pixels wrapped around (uint8 arithmetic).", name=label, hint=hint)
        check_array(got, expected, dtype=np.uint8, atol=0, rtol=0, name=label, quiet=True, hint=hint)
        check_true(unchanged, "the input image was changed: return a new array instead.", name=label,
                   hint="np.clip(image.astype(np.int64) + amount, 0, 255).astype(np.uint8) makes new arrays.")


# --- exercise 10: the bugs of a per-example standardisation -----------------------------------------

def _standardised_by_loop(batch):
    """Each example (all the entries of batch[i]) with mean 0 and population standard deviation 1, in float64."""
    rows = []
    for example in batch:
        values = [float(v) for v in np.ravel(example)]
        mean = sum(values) / len(values)
        std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        rows.append([(v - mean) / std for v in values])
    return np.array(rows).reshape(batch.shape)


def _standardise_batch(rng, shape, dtype):
    """A batch whose examples have clearly different means and spreads (none constant)."""
    n = shape[0]
    if dtype == np.uint8:
        low = rng.integers(0, 120, size=n)
        high = low + rng.integers(40, 136, size=n)
        batch = np.stack([rng.integers(lo, hi, size=shape[1:], endpoint=True) for lo, hi in zip(low, high)])
        flat = batch.reshape(n, -1)
        flat[:, 0], flat[:, -1] = low, high          # the smallest and largest values occur: no example is constant
        return batch.astype(np.uint8)
    means = rng.uniform(-20.0, 20.0, size=(n,) + (1,) * (len(shape) - 1))
    spreads = rng.uniform(1.0, 6.0, size=(n,) + (1,) * (len(shape) - 1))
    return (means + spreads * rng.normal(size=shape)).astype(dtype)


def _wrong_standardisations(batch):
    """{what the student did, in words: what it gives} for the mistakes with a name (float64 values)."""
    flat = batch.reshape(len(batch), -1).astype(np.float64)
    n, m = flat.shape
    mean_col, std_col = flat.mean(axis=1, keepdims=True), flat.std(axis=1, keepdims=True)
    wrong = {}
    if n == m:   # (n, n) - (n,) broadcasts without an error: entry j gets example j's mean or deviation
        centred_wrongly = flat - flat.mean(axis=1)
        broadcasting = [centred_wrongly / centred_wrongly.std(axis=1), (flat - mean_col) / flat.std(axis=1),
                        centred_wrongly / std_col, centred_wrongly / flat.std(axis=1)]
        for values in broadcasting:
            wrong.setdefault("keepdims", []).append(values)
    if n > 1:
        wrong["axis 0"] = [(flat - flat.mean(axis=0)) / flat.std(axis=0)]
        wrong["whole batch"] = [(flat - flat.mean()) / flat.std()]
    if m > 1:
        wrong["ddof"] = [(flat - mean_col) / flat.std(axis=1, ddof=1, keepdims=True)]
    return {what: [v.reshape(batch.shape) for v in values] for what, values in wrong.items()}


WRONG_STANDARDISATION = {
    "keepdims": ("on a square (n, n) array, (n, n) - (n,) runs without an error but subtracts the mean (or divides "
                 "by the deviation) of example j from entry j of every example, instead of using each example's own.",
                 "keep the reduced axis: mean(axis=1, keepdims=True) and std(axis=1, keepdims=True) have shape "
                 "(n, 1), a column that lines up with the rows."),
    "axis 0": ("this standardises each position over the examples (axis 0), as Section 4.1 does for features; here "
               "each example uses its own mean and deviation.", "reduce over axis 1 of the (n, m) array."),
    "whole batch": ("this uses one mean and one deviation for the whole batch; each example needs its own.",
                    "reduce over axis 1 of the (n, m) array, one mean per example."),
    "ddof": ("this divides by the sample standard deviation (ddof=1); the formula divides by m (ddof=0, NumPy's "
             "default).", "use std(...) without ddof."),
}


def ex10_test(student, rng):
    cases = [((5, 5), np.float32), ((6, 2, 3), np.float32), ((3, 7), np.float32), ((4, 8, 8), np.uint8),
             ((8, 2, 4), np.uint8), ((2, 5), np.float64), ((1, 6), np.float32), ((3, 2, 2, 3), np.float64)]
    for shape, dtype in cases:
        batch = _standardise_batch(rng, shape, dtype)
        n, m = shape[0], int(np.prod(shape[1:]))
        label = f"standardise_examples({np.dtype(dtype).name} batch of shape {shape})"
        if dtype == np.uint8:
            hint = ("a uint8 array can hold neither a mean nor a negative number: compute on a new float array "
                    "(astype makes one).")
        elif n != m:
            hint = ("with n examples of m numbers, (n, m) - (n,) does not broadcast when n != m: "
                    "keep the reduced axis with keepdims=True.")
        else:
            hint = "compare each line with the formula; check the shapes of the means and deviations."
        try:
            got, (unchanged,) = _call_and_watch(student, "standardise_examples", batch)
        except CheckFailed as failure:
            raise CheckFailed(f"{label}: {failure}\nhint: {hint}") from None
        check_shape(got, shape, name=label, quiet=True,
                    hint="return an array of the batch's own shape: reshape(batch.shape) at the end.")
        expected = _standardised_by_loop(batch)
        if not _same(got, expected):
            for what, candidates in _wrong_standardisations(batch).items():
                if any(_same(got, values) for values in candidates):
                    problem, fix = WRONG_STANDARDISATION[what]
                    check_true(False, problem, name=label, hint=fix)
        check_array(got, expected, rtol=1e-4, atol=1e-4, name=label, quiet=True,
                    hint="example i must have mean 0 and standard deviation 1 over its own m entries.")
        check_dtype(got, np.float32, name=label, quiet=True,
                    hint="the result is float32 whatever the batch's dtype: convert with .astype(np.float32).")
        check_true(unchanged, "the caller's batch was changed by the call: the function wrote into it.",
                   name=label, hint="batch.reshape(...) is a view of the same memory, so `-=` and `/=` on it change "
                                    "batch; compute a new array instead (flat - means, or a copy).")


# --- exercise 11: pairwise squared distances --------------------------------------------------------

DISTANCE_HELPERS = ["scipy.spatial.distance.cdist", "scipy.spatial.distance.pdist", "scipy.spatial.distance_matrix",
                    "scipy.spatial.distance.sqeuclidean", "scipy.spatial.distance.euclidean",
                    "sklearn.metrics.pairwise_distances", "sklearn.metrics.pairwise.pairwise_distances",
                    "sklearn.metrics.pairwise.euclidean_distances", "sklearn.metrics.euclidean_distances",
                    "np.linalg.norm", "scipy.linalg.norm", "tf.norm", "tf.linalg.norm", "tf.math.reduce_euclidean_norm"]


def _squared_distances_by_loop(X, Y):
    return np.array([[sum((float(a) - float(b)) ** 2 for a, b in zip(x, y)) for y in Y] for x in X])


def _distance_points(rng, n, m, d, dtype):
    if dtype == np.uint8:
        X = rng.integers(0, 256, size=(n, d), dtype=np.uint8)
        Y = rng.integers(0, 256, size=(m, d), dtype=np.uint8)
        X[0, 0], Y[-1, 0] = 0, 255            # a difference of 255: its square does not fit in int16
        Y[0] = X[0]                           # one distance is 0
        return X, Y
    X = (rng.normal(size=(n, d)) * 3.0 + 1.0).astype(dtype)
    Y = (rng.normal(size=(m, d)) * 3.0 - 1.0).astype(dtype)
    Y[0] = X[0]
    return X, Y


def ex11_test(student, rng):
    forbid_loops(student, "ex11_answer", "let broadcasting make every pair")
    forbid(student, "ex11_answer", DISTANCE_HELPERS, "find the shapes that make broadcasting compute every pair")
    distances = student.function("pairwise_squared_distances")
    cases = [(2, 3, 2, np.float64), (5, 3, 4, np.float64), (4, 4, 4, np.float32), (3, 6, 1, np.float32),
             (1, 5, 3, np.float64), (6, 1, 7, np.float64), (4, 7, 16, np.uint8), (3, 3, 64, np.uint8)]
    for n, m, d, dtype in cases:
        X, Y = _distance_points(rng, n, m, d, dtype)
        label = f"pairwise_squared_distances(X {X.shape}, Y {Y.shape}, {np.dtype(dtype).name})"
        got = call(distances, X, Y, name=label,
                   hint="D pairs every row of X with every row of Y: give X and Y new axes of length 1 so that the "
                        "differences have shape (n, m, d).")
        expected = _squared_distances_by_loop(X, Y)
        array = np.asarray(got, dtype=float) if isinstance(got, np.ndarray) else None
        if array is not None and array.shape == (m, n) and n != m:
            check_true(False, "the result is transposed: row i of D belongs to row i of X, column j to row j of Y.",
                       name=label, hint="X gets the new axis in the middle, (n, 1, d); Y at the front, (1, m, d).")
        check_shape(got, (n, m), name=label,
                    hint="D pairs every row of X with every row of Y: one row per row of X, one column per row of Y; "
                         "sum over the feature axis only.")
        if _same(got, np.sqrt(expected)):
            check_true(False, "these are the distances; the exercise asks for their squares (no square root).",
                       name=label, hint="sum the squared differences and stop there.")
        differences = X.astype(np.float64)[:, None, :] - Y.astype(np.float64)[None, :, :]
        if _same(got, differences.sum(axis=-1) ** 2) and not _same(got, expected):
            check_true(False, "this squares the sum of the differences; D is the sum of the squared differences.",
                       name=label, hint="square first, then sum over the feature axis.")
        if dtype == np.uint8:
            wrapped = ((X[:, None, :] - Y[None, :, :]) ** 2).sum(axis=-1)
            if _same(got, wrapped):
                check_true(False, "the uint8 differences wrapped around: in uint8, 10 - 20 is 246 and 246**2 wraps "
                                  "again.", name=label, hint="convert X and Y to float64 before subtracting.")
            with np.errstate(over="ignore"):
                squares16 = ((X.astype(np.int16)[:, None, :] - Y.astype(np.int16)[None, :, :]) ** 2).sum(axis=-1)
            if _same(got, squares16) and not _same(got, expected):
                check_true(False, "the squares overflowed: 255**2 = 65025 does not fit in int16 (largest 32767).",
                           name=label, hint="compute in float64 (or int64): astype(np.float64) before subtracting.")
            check_array(got, expected, rtol=0, atol=1e-6, name=label, quiet=True,
                        hint="for uint8 pixels the distances are exact whole numbers: a square of 255**2 = 65025 "
                             "does not fit in int16, and uint8 wraps around; compute in float64 (or int64).")
        else:
            scale = float(np.mean(expected)) + 1.0
            check_array(got, expected, rtol=1e-5, atol=1e-6 * scale, name=label, quiet=True,
                        hint="D[i, j] is the sum over k of (X[i, k] - Y[j, k])**2.")
        check_dtype(got, np.float64, name=label, quiet=True,
                    hint="return float64 whatever the inputs' dtype: convert X and Y with astype(np.float64) first.")
