"""The trusted side of grading: the instructor's tests, run against the student's code at arm's length.

Each graded test cell of an assignment has a trusted test: a function of the
assignment's ``grader_tests.py`` (beside the instructor notebook in
``solutions/<assignment>/``, never given to students) named like the cell's
nbgrader ``grade_id`` and taking ``(student, rng)``. It runs in the grader's own
process. It reaches the student's code only through :class:`Student`, whose
proxies send plain data into the sandbox and get plain data back
(:mod:`dlmath.grading.wire`), so it compares the student's results with
references the student's code can never see or change.

A question scores its points when its test function returns; any failure (a
:class:`dlmath.checks.CheckFailed`, another exception, a time-out, a crash) scores
zero and its message becomes the student's feedback for that question.
"""

from __future__ import annotations

import importlib.util
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import wire
from .sandbox import SandboxGone, SandboxTimeout

TESTS_FILE = "grader_tests.py"


class QuestionTimeout(BaseException):
    """The student's code did not answer one request in time (a BaseException, so tests cannot catch it)."""


class SandboxLost(BaseException):
    """The student's kernel is gone: this and every later question score zero."""


# ---------------------------------------------------------------------------
# The student's code, seen from the trusted side
# ---------------------------------------------------------------------------

class Remote:
    """A stand-in for an object that stays in the student's kernel (a model, a generator, …).

    Reading an attribute or calling it asks the kernel; what comes back is again
    plain data or another ``Remote``. ``type_name`` is the object's type, as text.
    """

    def __init__(self, student: "Student", number: int, type_name: str, text: str, attributes=()):
        self._student = student
        self._number = number
        self._attributes = tuple(attributes)
        self.type_name = type_name
        self.text = text

    def __getattr__(self, attribute: str):
        if attribute.startswith("_"):
            raise AttributeError(attribute)
        return self._student._request({"op": "get", "handle": self._number,
                                       "attributes": [*self._attributes, attribute]})

    def method(self, attribute: str) -> "Remote":
        """A callable stand-in for ``object.attribute`` without reading it first."""
        return Remote(self._student, self._number, self.type_name, self.text, (*self._attributes, attribute))

    def __call__(self, *args, **kwargs):
        return self._student._call({"handle": self._number, "attributes": list(self._attributes)}, args, kwargs)

    @property
    def __name__(self) -> str:
        return ".".join([self.type_name.rsplit(".", 1)[-1], *self._attributes])

    def __repr__(self) -> str:
        return f"<{self.type_name} in the student's kernel: {self.text}>"


class RemoteFunction:
    """A callable stand-in for a function the student's notebook defines."""

    def __init__(self, student: "Student", name: str):
        self._student = student
        self.__name__ = name

    def __call__(self, *args, **kwargs):
        return self._student._call({"name": self.__name__}, args, kwargs)

    def keeping_args(self, *args, **kwargs):
        """Call the function; return ``(result, the positional arguments as they are after the call)``.

        For "leave the input unchanged": the arguments are sent back from the kernel
        after the call, as plain data, and compared here.
        """
        return self._student._call({"name": self.__name__}, args, kwargs, return_args=True)

    def __repr__(self) -> str:
        return f"<function {self.__name__} of the student's notebook>"


class Student:
    """The student's notebook, running in the sandbox, as the trusted tests see it."""

    def __init__(self, sandbox, answers: dict, *, timeout: float, deadline: float):
        self._sandbox = sandbox
        self._answers = answers
        self._timeout = timeout
        self._deadline = deadline
        self.lost = ""  # why the sandbox is gone, once it is

    def function(self, name: str) -> RemoteFunction:
        """A proxy for the student's function ``name``."""
        return RemoteFunction(self, name)

    def value(self, name: str):
        """The student's global variable ``name``, as data (or a :class:`Remote`)."""
        return self._request({"op": "get", "name": name})

    def source(self, grade_id: str) -> str:
        """The code of the student's answer cell ``grade_id`` ("" when the cell is missing)."""
        return self._answers.get(grade_id, "")

    def answers(self) -> dict:
        """Every answer cell's code, by grade_id."""
        return dict(self._answers)

    def _call(self, target: dict, args, kwargs, return_args: bool = False):
        message = {"op": "call", **target, "args": [self._argument(a) for a in args],
                   "kwargs": {key: self._argument(v) for key, v in kwargs.items()}}
        if return_args:
            message["return_args"] = True
        return self._request(message)

    def _argument(self, value):
        if isinstance(value, Remote):
            if value._attributes:
                raise TypeError("pass the object itself, not one of its attributes")
            return {"t": "handle", "id": value._number}
        return wire.encode(value, None)

    def _remote(self, number: int, type_name: str, text: str) -> Remote:
        return Remote(self, number, type_name, text)

    def _request(self, message: dict):
        if self.lost:
            raise SandboxLost(self.lost)
        try:
            self._sandbox.send(message)
        except SandboxGone:
            self.lost = "the kernel died"
            raise SandboxLost(self.lost) from None
        wait = min(self._timeout + 15, self._deadline - time.monotonic())
        try:
            reply = self._sandbox.receive(timeout=wait)
        except SandboxTimeout:
            self.lost = "the notebook took longer than its time limit"
            raise SandboxLost(self.lost) from None
        except SandboxGone:
            self.lost = "the kernel died"
            raise SandboxLost(self.lost) from None
        event = reply.get("event")
        if event == "timeout":
            raise QuestionTimeout(f"the student's code ran longer than {self._timeout} s and was interrupted")
        if event == "crashed":
            self.lost = "the kernel died"
            raise SandboxLost(self.lost)
        if event == "failed":
            raise wire.StudentError(f"the grader could not get an answer: {reply.get('detail', '')}")
        if event != "response":
            self.lost = "the sandbox sent something unexpected"
            raise SandboxLost(self.lost)
        value = reply.get("value")
        if isinstance(value, dict) and value.get("t") == "raised":
            raise wire.student_exception(str(value.get("type", "Exception")), str(value.get("message", "")))
        try:
            return wire.decode(value, self._remote)
        except wire.WireError as error:
            raise wire.StudentError(f"the answer is not plain data ({error})") from None


# ---------------------------------------------------------------------------
# The instructor's tests
# ---------------------------------------------------------------------------

def load_tests(assignment_folder: Path, extra_folders=()) -> dict[str, list]:
    """``{grade_id: [test functions]}`` from ``grader_tests.py`` and the instructor's extra folders.

    In an extra folder (``dlmath grade --tests DIR``), ``DIR/<assignment>/*.py`` and
    ``DIR/<assignment>.py`` may hold more tests: a function named ``<grade_id>`` or
    ``<grade_id>__<anything>`` adds to that question (all must pass).
    """
    assignment = assignment_folder.name
    files = [assignment_folder / TESTS_FILE]
    for folder in extra_folders:
        folder = Path(folder)
        files += sorted((folder / assignment).glob("*.py")) + [p for p in [folder / f"{assignment}.py"] if p.exists()]
    tests: dict[str, list] = {}
    for index, path in enumerate(files):
        if not path.is_file():
            raise FileNotFoundError(f"no trusted tests {path}")
        module_name = f"dlmath_grader_tests_{zlib.crc32(str(path.resolve()).encode())}_{index}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        for name, function in vars(module).items():
            if callable(function) and getattr(function, "__module__", None) == module_name and not name.startswith("_"):
                grade_id = name.split("__", 1)[0]
                tests.setdefault(grade_id, []).append(function)
    return tests


def question_rng(assignment: str, grade_id: str) -> np.random.Generator:
    """The random numbers of one question's hidden inputs: drawn at grade time, the same every run."""
    return np.random.default_rng(zlib.crc32(f"{assignment}/{grade_id}".encode()))


@dataclass
class Verdict:
    """How one question went."""

    passed: bool
    message: str = ""
    timed_out: bool = False


def judge_question(student, tests: list, assignment: str, grade_id: str) -> Verdict:
    """Run every trusted test of one question against the student's code."""
    if not tests:
        return Verdict(False, "this question has no trusted test (an error in the assignment)")
    for test in tests:
        try:
            test(student, question_rng(assignment, grade_id))
        except QuestionTimeout as error:
            return Verdict(False, str(error), timed_out=True)
        except SandboxLost as error:
            return Verdict(False, f"not graded: {error}", timed_out="time limit" in str(error))
        except AssertionError as error:
            return Verdict(False, str(error) or "a check failed")
        except Exception as error:
            return Verdict(False, f"{type(error).__name__}: {error}")
    return Verdict(True)
