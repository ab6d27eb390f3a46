"""Plain data across the sandbox boundary: what may cross, how it is written, how it is read.

The trusted grader and the student's kernel never share an object. Everything
that crosses is turned into JSON-able plain data here (:func:`encode`) and read
back strictly (:func:`decode`): numbers, strings, bytes, ``None``, lists, tuples,
dicts with string or integer keys, NumPy arrays and scalars of numeric dtypes
(raw bytes, never pickle), NumPy arrays and scalars of text (``str_``, as their
strings), NumPy dtypes, and TensorFlow tensors, variables and
dtypes (rebuilt as real TensorFlow objects on the trusted side, from their bytes).
Anything else stays in the kernel: it is sent as a *handle* (a number, its
type's name and a short text), which the trusted side can only use to ask the
kernel to do more (call it, read an attribute).

A frame on the pipe is an 8-byte big-endian length and that many bytes of JSON.
:func:`read_frame` refuses frames over :data:`MAX_FRAME` bytes, and :func:`decode`
refuses nesting deeper than :data:`MAX_DEPTH`, unknown dtypes and arrays whose
bytes do not match their shape, so a hostile kernel can send wrong answers but
nothing that does anything on the trusted side.

This module is imported on both sides, so it imports nothing of the course but
NumPy; TensorFlow is imported only when a tensor has to be rebuilt.
"""

from __future__ import annotations

import base64
import builtins
import json
import math
import struct

import numpy as np

MAX_FRAME = 256 * 2**20      # bytes of one message
MAX_DEPTH = 32               # nesting of lists, tuples and dicts
MAX_TEXT = 4000              # characters of a repr or an exception message
MAX_TEXT_WIDTH = 100_000     # characters of one string in a NumPy text array

# dtypes an array may have on the wire: numbers and booleans, and ml_dtypes' types by name
NUMERIC_KINDS = "biufc"
EXTRA_DTYPES = ("bfloat16", "float8_e4m3fn", "float8_e5m2", "int4", "uint4")

# exceptions a student's function may raise that are re-raised with their own type
BUILTIN_EXCEPTIONS = {
    name: getattr(builtins, name) for name in (
        "ArithmeticError", "AssertionError", "AttributeError", "FloatingPointError", "IndexError", "KeyError",
        "LookupError", "MemoryError", "NameError", "NotImplementedError", "OverflowError", "RecursionError",
        "RuntimeError", "StopIteration", "TypeError", "ValueError", "ZeroDivisionError",
        "UnboundLocalError", "RuntimeWarning", "UserWarning",
    )
}


class WireError(ValueError):
    """Data from the sandbox that is not of the allowed forms."""


class StudentError(Exception):
    """An exception of a type that is not a Python builtin, raised by the student's code.

    ``type_name`` is the qualified name of the student's exception type (for example
    ``tensorflow.python.framework.errors_impl.InvalidArgumentError``).
    """

    type_name = "Exception"


_student_error_types: dict[str, type] = {}


def student_exception(type_name: str, message: str) -> BaseException:
    """The exception to raise on the trusted side for one the student's code raised."""
    short = type_name.rsplit(".", 1)[-1]
    if type_name in BUILTIN_EXCEPTIONS:
        return BUILTIN_EXCEPTIONS[type_name](message)
    if short not in _student_error_types:
        _student_error_types[short] = type(short, (StudentError,), {"type_name": type_name})
    return _student_error_types[short](message)


# ---------------------------------------------------------------------------
# Frames
# ---------------------------------------------------------------------------

def write_frame(stream, message: dict) -> None:
    """Write one message as an 8-byte length and its JSON."""
    data = json.dumps(message, allow_nan=False, separators=(",", ":")).encode("utf-8")
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def read_frame(stream) -> dict:
    """Read one message; ``EOFError`` when the other side closed, ``WireError`` for anything malformed."""
    header = _read_exactly(stream, 8)
    (length,) = struct.unpack(">Q", header)
    if length > MAX_FRAME:
        raise WireError(f"a message of {length} bytes is larger than the limit of {MAX_FRAME}")
    try:
        message = json.loads(_read_exactly(stream, length).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise WireError(f"a message that is not JSON: {error}") from None
    if not isinstance(message, dict):
        raise WireError("a message that is not a JSON object")
    return message


def _read_exactly(stream, count: int) -> bytes:
    chunks, missing = [], count
    while missing:
        chunk = stream.read(missing)
        if not chunk:
            raise EOFError("the sandbox closed the connection")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------

def _text(value, limit: int = MAX_TEXT) -> str:
    try:
        text = str(value)
    except Exception:  # a hostile __str__ or __repr__
        text = "<unprintable>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _float(x: float) -> dict:
    if math.isfinite(x):
        return {"t": "float", "v": x}
    return {"t": "float", "s": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _array_bytes(array: np.ndarray) -> dict:
    array = np.array(array, order="C", copy=True)
    return {"dtype": array.dtype.name, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def encode(value, handles=None, depth: int = 0):
    """Plain data for ``value``; an object of any other kind becomes a handle in ``handles``.

    ``handles`` is the kernel side's ``{number: object}`` table; with ``None``, an
    object that is not plain data is refused (``WireError``): the trusted side
    sends only plain data.
    """
    if depth > MAX_DEPTH:
        raise WireError("nested deeper than the limit")
    # exact types first: a subclass of int or float could lie about its value
    kind = type(value)
    if value is None:
        return {"t": "none"}
    if kind is bool:
        return {"t": "bool", "v": value}
    if kind is int:
        return {"t": "int", "v": str(value)}
    if kind is float:
        return _float(value)
    if kind is complex:
        return {"t": "complex", "re": _float(value.real), "im": _float(value.imag)}
    if kind is str:
        return {"t": "str", "v": value}
    if kind is bytes:
        return {"t": "bytes", "v": base64.b64encode(value).decode("ascii")}
    if kind in (list, tuple):
        return {"t": kind.__name__, "v": [encode(item, handles, depth + 1) for item in value]}
    if kind is dict:
        items = []
        for key, item in value.items():
            if type(key) not in (str, int, bool, tuple, float) and key is not None:
                return _handle(value, handles)
            items.append([encode(key, handles, depth + 1), encode(item, handles, depth + 1)])
        return {"t": "dict", "v": items}
    if kind is np.ndarray and _wire_dtype(value.dtype):
        return {"t": "ndarray", **_array_bytes(value)}
    if kind is np.ndarray and value.dtype.kind == "U":
        return {"t": "textarray", "width": value.dtype.itemsize // 4, "shape": list(value.shape),
                "v": [str(item) for item in value.ravel().tolist()]}
    if kind is np.str_:
        return {"t": "str", "v": str(value)}
    if isinstance(value, np.generic) and type(value).__module__ in ("numpy", "ml_dtypes") and _wire_dtype(value.dtype):
        return {"t": "npscalar", **_array_bytes(np.asarray(value))}
    if isinstance(value, np.dtype) and kind.__module__.startswith("numpy"):
        return {"t": "dtype", "v": value.name}
    if isinstance(value, type) and issubclass(value, np.generic) and _wire_dtype(np.dtype(value)):
        return {"t": "nptype", "v": np.dtype(value).name}
    tensor = _tensorflow_value(value)
    if tensor is not None:
        return tensor
    return _handle(value, handles)


def _handle(value, handles):
    if handles is None:
        raise WireError(f"a {type(value).__name__} is not plain data")
    number = len(handles) + 1
    handles[number] = value
    kind = type(value)
    return {"t": "handle", "id": number, "type": _text(f"{kind.__module__}.{kind.__qualname__}", 300),
            "repr": _text(_safe_repr(value), 300)}


def _safe_repr(value) -> str:
    try:
        return repr(value)
    except Exception:
        return "<unprintable>"


def _tensorflow_value(value):
    """A TensorFlow tensor, variable or dtype as plain data, without importing TensorFlow."""
    import sys

    tf = sys.modules.get("tensorflow")
    if tf is None:
        return None
    try:
        if isinstance(value, tf.DType):
            return {"t": "tfdtype", "v": value.name}
        if isinstance(value, tf.Variable):
            return {"t": "tfvariable", **_array_bytes(np.asarray(value.numpy()))}
        if isinstance(value, tf.Tensor) and hasattr(value, "numpy"):
            array = np.asarray(value.numpy())
            if array.dtype.kind in NUMERIC_KINDS or _wire_dtype(array.dtype):
                return {"t": "tftensor", **_array_bytes(array)}
    except Exception:
        return None
    return None


def _wire_dtype(dtype) -> bool:
    return dtype.kind in NUMERIC_KINDS or dtype.name in EXTRA_DTYPES


def _dtype_from_name(name) -> np.dtype:
    if not isinstance(name, str) or len(name) > 40:
        raise WireError("a dtype that is not a name")
    if name in EXTRA_DTYPES:
        import ml_dtypes

        return np.dtype(getattr(ml_dtypes, name))
    try:
        dtype = np.dtype(name)
    except TypeError:
        raise WireError(f"an unknown dtype {name!r}") from None
    if dtype.kind not in NUMERIC_KINDS:
        raise WireError(f"the dtype {name!r} is not numeric")
    return dtype


def _array(data: dict) -> np.ndarray:
    dtype = _dtype_from_name(data.get("dtype"))
    shape = data.get("shape")
    if not isinstance(shape, list) or len(shape) > 64 or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("an array shape that is not a list of lengths")
    raw = data.get("data")
    if not isinstance(raw, str):
        raise WireError("array data that is not text")
    buffer = base64.b64decode(raw.encode("ascii"), validate=True)
    if len(buffer) != math.prod(shape) * dtype.itemsize:
        raise WireError("array bytes that do not match the shape and dtype")
    return np.frombuffer(buffer, dtype=dtype).reshape(tuple(shape)).copy()


def _text_array(data: dict) -> np.ndarray:
    """A NumPy array of text (dtype ``<U{width}``) from its shape and its strings in C order."""
    width, shape, items = data.get("width"), data.get("shape"), data.get("v")
    if type(width) is not int or not 0 <= width <= MAX_TEXT_WIDTH:
        raise WireError("a text array whose width is not a length")
    if not isinstance(shape, list) or len(shape) > 64 or not all(type(n) is int and n >= 0 for n in shape):
        raise WireError("an array shape that is not a list of lengths")
    if not isinstance(items, list) or len(items) != math.prod(shape):
        raise WireError("a text array whose strings do not match its shape")
    if not all(isinstance(item, str) and len(item) <= width for item in items):
        raise WireError("a text array with an item that is not a string of its width")
    return np.array(items, dtype=f"<U{max(width, 1)}").reshape(tuple(shape)).astype(f"<U{width}")


def _read_float(data: dict) -> float:
    if "s" in data:
        special = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}
        if data["s"] not in special:
            raise WireError("an unknown special float")
        return special[data["s"]]
    value = data.get("v")
    if type(value) not in (int, float):
        raise WireError("a float that is not a number")
    return float(value)


def decode(data, remote=None, depth: int = 0):
    """The value ``data`` (from :func:`encode`) stands for, built from scratch.

    ``remote(number, type_name, text)`` makes the trusted side's stand-in for a
    handle; without it a handle is refused. Raises ``WireError`` for anything that
    is not of the allowed forms.
    """
    if depth > MAX_DEPTH:
        raise WireError("nested deeper than the limit")
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise WireError("a value that is not tagged")
    tag = data["t"]
    if tag == "none":
        return None
    if tag == "bool":
        if type(data.get("v")) is not bool:
            raise WireError("a bool that is not true or false")
        return data["v"]
    if tag == "int":
        text = data.get("v")
        if not isinstance(text, str) or len(text) > 5000:
            raise WireError("an int that is not a decimal text")
        try:
            return int(text)
        except ValueError:
            raise WireError("an int that is not a decimal text") from None
    if tag == "float":
        return _read_float(data)
    if tag == "complex":
        return complex(_read_float(data.get("re", {})), _read_float(data.get("im", {})))
    if tag == "str":
        if not isinstance(data.get("v"), str):
            raise WireError("a str that is not text")
        return data["v"]
    if tag == "bytes":
        if not isinstance(data.get("v"), str):
            raise WireError("bytes that are not base64 text")
        try:
            return base64.b64decode(data["v"].encode("ascii"), validate=True)
        except ValueError:
            raise WireError("bytes that are not base64 text") from None
    if tag in ("list", "tuple"):
        items = data.get("v")
        if not isinstance(items, list):
            raise WireError(f"a {tag} without items")
        values = [decode(item, remote, depth + 1) for item in items]
        return values if tag == "list" else tuple(values)
    if tag == "dict":
        items = data.get("v")
        if not isinstance(items, list) or not all(isinstance(i, list) and len(i) == 2 for i in items):
            raise WireError("a dict without key-value pairs")
        result = {}
        for key, value in items:
            key = decode(key, None, depth + 1)
            try:
                hash(key)
            except TypeError:
                raise WireError("a dict key that cannot be a key") from None
            result[key] = decode(value, remote, depth + 1)
        return result
    if tag == "ndarray":
        return _array(data)
    if tag == "textarray":
        return _text_array(data)
    if tag == "npscalar":
        array = _array(data)
        if array.shape != ():
            raise WireError("a NumPy scalar with a shape")
        return array[()]
    if tag in ("dtype", "nptype"):
        dtype = _dtype_from_name(data.get("v"))
        return dtype if tag == "dtype" else dtype.type
    if tag in ("tftensor", "tfvariable", "tfdtype"):
        import tensorflow as tf

        if tag == "tfdtype":
            name = data.get("v")
            if not isinstance(name, str) or not hasattr(tf.dtypes, name):
                raise WireError("an unknown TensorFlow dtype")
            return tf.dtypes.as_dtype(name)
        array = _array(data)
        tensor = tf.constant(array, dtype=tf.dtypes.as_dtype(array.dtype) if array.dtype.name != "bfloat16"
                             else tf.bfloat16)
        return tf.Variable(tensor) if tag == "tfvariable" else tensor
    if tag == "handle":
        if remote is None:
            raise WireError("a handle where only plain data may come")
        number = data.get("id")
        if type(number) is not int:
            raise WireError("a handle without a number")
        return remote(number, _text(data.get("type", ""), 300), _text(data.get("repr", ""), 300))
    raise WireError(f"an unknown kind of value {tag!r}")


def encode_exception(error: BaseException) -> dict:
    """An exception the student's code raised, as plain data."""
    kind = type(error)
    name = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    return {"t": "raised", "type": _text(name, 300), "message": _text(error)}
