"""Every graded assignment in ``solutions/``: its student notebook, its metadata, its grading.

The tests are generic: they run for each assignment folder found in ``solutions/``
when the tests are collected. For each one:

* ``exercises/`` holds exactly what ``make exercises`` (``tools/make_exercises.py``)
  generates now;
* the student notebook contains no solution, no hidden test and no output;
* the nbgrader metadata is complete: unique ``grade_id``s, points on every
  test cell, every answer cell followed by its test cell;
* graded by ``dlmath.grading`` (the code path of ``dlmath grade``), the
  instructor's solution gets full marks and the untouched student notebook
  zero, every test failing with a self-check message.

How many exercises and points a chapter has is the chapter's own concern.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

from dlmath import grading

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "tools" / "make_exercises.py")
make_exercises = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_exercises)

ASSIGNMENTS = make_exercises.assignments(ROOT)
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def source_notebooks(name: str) -> list[Path]:
    return sorted((ROOT / "solutions" / name).glob("*.ipynb"))


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def is_answer(cell) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_test(cell) -> bool:
    return bool(nbgrader(cell).get("grade")) and not nbgrader(cell).get("solution") and cell.cell_type == "code"


def regions(source: str, begin: str, end: str) -> tuple[list[str], list[str]]:
    """``(lines inside begin/end markers, lines outside)``, stripped."""
    inside, outside, within = [], [], False
    for line in source.splitlines():
        stripped = line.strip()
        if begin in stripped:
            within = True
        elif end in stripped:
            within = False
        elif stripped:
            (inside if within else outside).append(stripped)
    return inside, outside


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_exercises_are_in_sync_with_solutions(name):
    generated = make_exercises.generate(name, ROOT)
    folder = ROOT / "exercises" / name
    present = {p.relative_to(ROOT).as_posix() for p in folder.rglob("*")
               if p.is_file() and ".ipynb_checkpoints" not in p.parts} if folder.is_dir() else set()
    assert present == set(generated), f"exercises/{name}/ holds other files than it should: run `make exercises`"
    for relative, content in generated.items():
        assert (ROOT / relative).read_bytes() == content, f"{relative} is out of date: run `make exercises`"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_has_no_solution_hidden_test_or_output(name):
    for path in source_notebooks(name):
        source = nbformat.read(path, as_version=4)
        student = nbformat.read(ROOT / "exercises" / name / path.name, as_version=4)
        student_lines = {line.strip() for cell in student.cells for line in cell.source.splitlines()}
        student_text = "\n".join(cell.source for cell in student.cells)
        for marker in MARKERS:
            assert marker not in student_text, f"{path.name}: the student notebook contains '### {marker}'"
        secret, public = [], []
        for cell in source.cells:
            for begin, end in (("BEGIN SOLUTION", "END SOLUTION"), ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS")):
                inside, outside = regions(cell.source, begin, end)
                secret += inside
                public += outside
            if is_answer(cell) and cell.cell_type == "markdown" and "BEGIN SOLUTION" not in cell.source:
                secret += [line.strip() for line in cell.source.splitlines() if line.strip()]
        public_set = set(public)
        leaked = sorted({line for line in secret if len(line) >= 4 and line not in public_set and line in student_lines})
        assert not leaked, f"{path.name}: solution or hidden-test lines in the student notebook: {leaked[:5]}"
        with_outputs = [i for i, c in enumerate(student.cells) if c.cell_type == "code" and c.outputs]
        assert not with_outputs, f"{path.name}: the student notebook has outputs in cells {with_outputs}"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_graded_cells_are_complete(name):
    for path in source_notebooks(name):
        nb = nbformat.read(path, as_version=4)
        ids = [nbgrader(c).get("grade_id") for c in nb.cells if nbgrader(c)]
        assert all(ids), f"{path.name}: a cell with nbgrader metadata has no grade_id"
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        assert not repeated, f"{path.name}: grade_id used more than once: {repeated}"
        tests = [c for c in nb.cells if is_test(c)]
        assert tests, f"{path.name}: no graded test cell"
        for cell in nb.cells:
            meta = nbgrader(cell)
            if not meta:
                continue
            assert meta.get("schema_version") == 3, f"{meta['grade_id']}: schema_version must be 3"
            if meta.get("grade"):
                points = meta.get("points")
                assert isinstance(points, (int, float)) and points > 0, f"{meta['grade_id']}: points missing ({points!r})"
            if is_test(cell):
                assert meta.get("locked"), f"{meta['grade_id']}: a test cell must be locked"
            if is_answer(cell) and cell.cell_type == "code":
                assert "### BEGIN SOLUTION" in cell.source and "### END SOLUTION" in cell.source, \
                    f"{meta['grade_id']}: the answer must sit between ### BEGIN SOLUTION and ### END SOLUTION"
        code = [c for c in nb.cells if c.cell_type == "code"]
        for position, cell in enumerate(code):
            if is_answer(cell) and not nbgrader(cell).get("grade"):
                following = code[position + 1] if position + 1 < len(code) else None
                assert following is not None and is_test(following), \
                    f"{path.name}: answer cell {nbgrader(cell)['grade_id']} is not followed by a test cell"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_solution_gets_full_marks_and_student_notebook_zero(name, tmp_path):
    """Through the grader instructors use; also checks what nbgrader would misread in a test cell."""
    submitted, kept = tmp_path / "submitted", tmp_path / "kept"
    notebooks = source_notebooks(name)
    for student, folder in (("solution", ROOT / "solutions" / name), ("untouched", ROOT / "exercises" / name)):
        target = submitted / student / name
        target.mkdir(parents=True)
        for path in notebooks:
            (target / path.name).write_bytes((folder / path.name).read_bytes())
    options = grading.Options(timeout=300, setup_timeout=300, notebook_timeout=900, jobs=2)
    results, questions = grading.grade_class(name, submitted, source=ROOT / "solutions", options=options,
                                             keep=kept, progress=False)
    by_student = {r.student: r for r in results}
    maximum = sum(q.points for q in questions)
    solution, untouched = by_student["solution"], by_student["untouched"]
    assert (solution.status, solution.detail) == ("graded", ""), solution.detail
    assert solution.total() == maximum, {c: s for c, s in solution.scores.items()}
    assert untouched.status == "graded", untouched.detail
    assert untouched.scores == {q.column: 0.0 for q in questions}

    for path in notebooks:
        graded = nbformat.read(kept / "solution" / name / path.name, as_version=4)
        for cell in graded.cells:
            if not is_test(cell):
                continue
            grade_id = nbgrader(cell)["grade_id"]
            kinds = {o.output_type for o in cell.outputs}
            assert "execute_result" not in kinds, (
                f"{grade_id} displays a value (its last line is an expression): nbgrader reads a displayed "
                "number as a partial score. End that line with `;` or assign the result.")
            assert not any(o.output_type == "stream" and o.name == "stderr" for o in cell.outputs), (
                f"{grade_id} writes to stderr (a warning?): nbgrader scores such a cell zero.")
        assert sum(is_test(c) for c in graded.cells) == sum(q.notebook == path.stem for q in questions)
        student = nbformat.read(kept / "untouched" / name / path.name, as_version=4)
        for cell in student.cells:
            if is_test(cell):
                errors = [o for o in cell.outputs if o.output_type == "error"]
                assert errors, f"{nbgrader(cell)['grade_id']} passes in the untouched student notebook"
                assert errors[0].ename == "CheckFailed", (
                    f"{nbgrader(cell)['grade_id']} fails with {errors[0].ename} in the untouched notebook: "
                    "the visible test should report it with a dlmath.checks message (e.g. through `call`)")
                message = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(errors[0].traceback))
                assert "Traceback" not in message
