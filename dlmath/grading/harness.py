"""The kernel side of a grading request: runs inside the sandbox, in the student's kernel.

After the student's notebook has run, the sandbox runner (:mod:`dlmath.grading.runner`)
executes one short cell per request of the trusted grader::

    __import__("dlmath.grading.harness", fromlist=["answer"]).answer(REQUEST_FILE, RESPONSE_FILE)

:func:`answer` reads the request, does it in the notebook's namespace (call a
function the student defined, read one of its variables, or use an object kept
from an earlier request), and writes the result as plain data
(:mod:`dlmath.grading.wire`). Nothing here judges anything: the student's code can
replace this module and answer whatever it likes, and the trusted side still
only receives data, which it compares with references the sandbox never sees.
"""

from __future__ import annotations

import json

from . import wire

_handles: dict[int, object] = {}   # objects kept in the kernel for later requests, by number


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def _target(request: dict, namespace=None):
    """The object a request is about: a name of the notebook, or a kept object and an attribute."""
    if "name" in request:
        namespace = _namespace() if namespace is None else namespace
        name = request["name"]
        if name not in namespace:
            raise NameError(f"name '{name}' is not defined (run the cell that defines it)")
        target = namespace[name]
    else:
        target = _handles[request["handle"]]
    for attribute in request.get("attributes", []):
        target = getattr(target, attribute)
    return target


def _arguments(request: dict):
    def value(data):
        return _handles[data["id"]] if isinstance(data, dict) and data.get("t") == "handle" else wire.decode(data)

    args = [value(item) for item in request.get("args", [])]
    kwargs = {key: value(item) for key, item in request.get("kwargs", {}).items()}
    return args, kwargs


def handle_request(request: dict, namespace=None) -> dict:
    """Do one request; return ``{"value": data}`` or ``{"value": {"t": "raised", ...}}``.

    ``namespace`` is the notebook's (by default, the IPython kernel's user namespace).
    """
    try:
        target = _target(request, namespace)
        if request.get("op") == "call":
            args, kwargs = _arguments(request)
            result = target(*args, **kwargs)
            if request.get("return_args"):
                result = (result, tuple(args))
        else:
            result = target
        return {"value": wire.encode(result, _handles)}
    except BaseException as error:  # the student's exception is the answer, whatever its type
        if isinstance(error, KeyboardInterrupt):
            raise
        return {"value": wire.encode_exception(error)}


def answer(request_file: str, response_file: str) -> None:
    """Read a request from ``request_file``, write the answer to ``response_file``."""
    with open(request_file, encoding="utf-8") as stream:
        request = json.load(stream)
    response = handle_request(request)
    try:
        text = json.dumps(response, allow_nan=False)
    except (TypeError, ValueError) as error:
        text = json.dumps({"value": wire.encode_exception(error)})
    with open(response_file, "w", encoding="utf-8") as stream:
        stream.write(text)
