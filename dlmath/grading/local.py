"""The trusted tests run in-process, for authors of exercises: fast, and never for grading.

    python -m dlmath.grading.local solutions/ch01_tensors

runs the instructor notebook's code in this process, then every trusted test of
the assignment against it (each must pass), then against every kept wrong answer
of ``mutants.py`` (each must score below full marks, with feedback that names the
mistake), and prints a table. The data still crosses :mod:`dlmath.grading.wire`
both ways, exactly as in the sandbox, so a test that works here works there.

Real grading never uses this module: the student's code and the tests would
share a process. ``dlmath grade`` and the mutation tests of ``make test`` use the
sandbox (:mod:`dlmath.grading.grade`).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

import nbformat

from . import harness, judge, submissions

COLAB_BLOCK = submissions.COLAB_BLOCK


class LocalSandbox:
    """Answers the trusted side's requests from a namespace in this process, through the same wire format."""

    def __init__(self, namespace: dict):
        self.namespace = namespace
        self._pending = []

    def send(self, message: dict) -> None:
        request = json.loads(json.dumps(message))
        if request.get("op") == "quit":
            return
        response = harness.handle_request(request, self.namespace)
        self._pending.append(json.loads(json.dumps({"event": "response", **response}, allow_nan=False)))

    def receive(self, timeout: float) -> dict:
        return self._pending.pop(0)


def python_source(source: str) -> str:
    """A cell's code without the Colab block and IPython's % and ! lines."""
    source = COLAB_BLOCK.sub("", source)
    return "\n".join("" if re.match(r"\s*[%!]", line) else line for line in source.splitlines())


def run_cells(nb, instructor) -> dict:
    """Run a notebook's code cells (test cells left out, as in grading) in a fresh namespace."""
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in submissions.notebook_to_run(nb, instructor).cells:
            if cell.cell_type == "code":
                try:
                    exec(compile(python_source(cell.source), "<cell>", "exec"), namespace)
                except Exception:  # a wrong answer may fail; its question will say so
                    pass
    return namespace


def judge_notebook(nb, instructor, tests: dict, assignment: str) -> dict:
    """``{grade_id: Verdict}`` for every question of one notebook, judged in-process."""
    namespace = run_cells(nb, instructor)
    answers = submissions.answer_sources(nb, instructor)
    student = judge.Student(LocalSandbox(namespace), answers, timeout=60, deadline=float("inf"))
    with contextlib.redirect_stdout(io.StringIO()):
        return {q.grade_id: judge.judge_question(student, tests.get(q.grade_id, []), assignment, q.grade_id)
                for q in instructor.questions}


def load_mutants(folder: Path) -> list[dict]:
    """The kept wrong answers of an assignment (``mutants.py``'s ``MUTANTS``)."""
    path = folder / "mutants.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location(f"dlmath_mutants_{folder.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTANTS)


def with_answer(nb, answer_id: str, source: str):
    """A copy of the notebook with one answer cell's code replaced."""
    copy = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = [c for c in copy.cells if submissions.nbgrader_meta(c).get("grade_id") == answer_id]
    if not cells:
        raise KeyError(f"no answer cell {answer_id}")
    cells[0].source = source
    return copy


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    folder = Path(argv[0]).resolve()
    tests = judge.load_tests(folder)
    failures = 0
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        instructor = submissions.read_instructor_notebook(path)
        verdicts = judge_notebook(nb, instructor, tests, folder.name)
        print(f"{path.name}: the solution")
        for q in instructor.questions:
            verdict = verdicts[q.grade_id]
            failures += not verdict.passed
            print(f"  {'ok  ' if verdict.passed else 'FAIL'} {q.grade_id} {verdict.message[:200]}")
        for mutant in load_mutants(folder):
            test_id = mutant["answer"].replace("_answer", "_test")
            verdict = judge_notebook(with_answer(nb, mutant["answer"], mutant["source"]), instructor, tests,
                                     folder.name)[test_id]
            named = mutant["feedback"].lower() in verdict.message.lower()
            bad = verdict.passed or not named
            failures += bad
            print(f"  {'FAIL' if bad else 'ok  '} mutant {mutant['answer']} ({mutant['mistake']}): "
                  f"{'full marks' if verdict.passed else 'rejected'}"
                  f"{'' if named else ' without naming ' + repr(mutant['feedback'])}: {verdict.message[:160]!r}")
    print("all as expected" if not failures else f"{failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
