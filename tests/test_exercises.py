"""Every graded assignment in ``solutions/``: its student notebook, its metadata, its grading.

The tests are generic: they run for each assignment folder found in ``solutions/``
when the tests are collected. For each one:

* ``exercises/`` holds exactly what ``make exercises`` (``tools/make_exercises.py``)
  generates now;
* the student notebook contains no solution, no hidden test and no output;
* the nbgrader metadata is complete: unique ``grade_id``s, points on every
  test cell, every answer cell followed by its test cell;
* no hidden test code is in any notebook, and every graded test cell has a
  trusted test in ``grader_tests.py`` and at least three kept wrong answers in
  ``mutants.py``;
* the visible tests pass the solution and fail the untouched stub kindly;
* graded by the sandboxed grader (the code path of ``dlmath grade``), the
  instructor's solution gets full marks, the untouched student notebook zero,
  and every kept wrong answer less than full marks, with feedback that names
  its mistake (how many were kept below full is printed at the end of the run).

How many exercises and points a chapter has is the chapter's own concern.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from dlmath.grading import grade, local

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


def trusted(name: str) -> Path:
    return ROOT / "solutions" / name


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_hidden_test_code_in_any_notebook(name):
    """Hidden tests live in the trusted grader_tests.py only: never in a notebook a student or the book sees."""
    for folder in (ROOT / "solutions" / name, ROOT / "exercises" / name):
        for path in folder.glob("*.ipynb"):
            text = path.read_text(encoding="utf-8")
            assert "HIDDEN TESTS" not in text and "hidden_rng" not in text, f"{path}: hidden test code"
    released = {p.name for p in (ROOT / "exercises" / name).iterdir()}
    assert not released & {"grader_tests.py", "mutants.py"}, f"exercises/{name} holds instructor-only files"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_question_has_a_trusted_test_and_three_kept_wrong_answers(name):
    assignment = grade.load_assignment(name, ROOT / "solutions")  # raises when a question has no trusted test
    mutants = local.load_mutants(trusted(name))
    for question in assignment.questions:
        answer = question.grade_id.replace("_test", "_answer")
        kept = [m for m in mutants if m["answer"] == answer]
        assert len(kept) >= 3, f"{name} {question.grade_id}: {len(kept)} kept wrong answers, fewer than 3"
        for mutant in kept:
            assert mutant["mistake"] and mutant["feedback"], f"{name} {answer}: a mutant without mistake or feedback"


#: Kinds of question (``KINDS`` in grader_tests.py); the last three make the student think.
KINDS = {"apply", "predict", "derive", "decide", "debug"}
THOUGHTFUL = {"derive", "decide", "debug"}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_every_question_has_a_kind_and_two_make_the_student_think(name):
    """Issue 18: at least two exercises per chapter where the student derives, decides or debugs."""
    assignment = grade.load_assignment(name, ROOT / "solutions")
    kinds = kinds_of(name)
    questions = {question.grade_id for question in assignment.questions}
    assert set(kinds) == questions, f"{name}: KINDS names {sorted(set(kinds) ^ questions)} wrongly"
    assert set(kinds.values()) <= KINDS, f"{name}: unknown kinds {set(kinds.values()) - KINDS}"
    thoughtful = sorted(q for q, kind in kinds.items() if kind in THOUGHTFUL)
    assert len(thoughtful) >= 2, f"{name}: only {thoughtful} derive, decide or debug; at least 2 are needed"


def test_the_kind_check_rejects_a_chapter_of_transcriptions(monkeypatch):
    """The check above fails for a chapter whose questions are all 'apply' (kept wrong input)."""
    name = ASSIGNMENTS[0]
    all_apply = {question: "apply" for question in kinds_of(name)}
    monkeypatch.setattr(sys.modules[__name__], "kinds_of", lambda _name: all_apply)
    with pytest.raises(AssertionError, match="at least 2 are needed"):
        test_every_question_has_a_kind_and_two_make_the_student_think(name)


def kinds_of(name: str) -> dict:
    """``KINDS`` of the assignment's trusted tests: ``{test grade_id: kind}``."""
    spec = importlib.util.spec_from_file_location(f"kinds_{name}", trusted(name) / "grader_tests.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(getattr(module, "KINDS", {}))


def visible_test_errors(nb) -> dict:
    """Run the notebook's code in-process, test cells included; ``{test grade_id: exception name or ''}``."""
    namespace: dict = {}
    outcome = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            try:
                exec(compile(local.python_source(cell.source), "<cell>", "exec"), namespace)
                error = ""
            except Exception as exception:  # the stub's NotImplementedError, or a failed check
                error = type(exception).__name__
            if is_test(cell):
                outcome[nbgrader(cell)["grade_id"]] = error
    return outcome


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_visible_tests_pass_the_solution_and_fail_the_stub_kindly(name):
    for path in source_notebooks(name):
        solution = visible_test_errors(nbformat.read(path, as_version=4))
        assert all(error == "" for error in solution.values()), solution
        stub = visible_test_errors(nbformat.read(ROOT / "exercises" / name / path.name, as_version=4))
        assert set(stub.values()) == {"CheckFailed"}, (
            f"{name}: every visible test must fail on the untouched stub with a dlmath.checks message: {stub}")


def class_of_mutants(name: str, submitted: Path) -> dict:
    """Lay out the solution, the untouched notebook and the mutants as a class; ``{student: [mutants]}``.

    Student ``mutants_k`` hands in the solution with the k-th kept wrong answer of every
    exercise in place of the right one (the questions are graded independently).
    """
    mutants = local.load_mutants(trusted(name))
    by_answer: dict[str, list] = {}
    for mutant in mutants:
        by_answer.setdefault(mutant["answer"], []).append(mutant)
    rounds = max((len(v) for v in by_answer.values()), default=0)
    students = {"solution": [], "untouched": []}
    for path in source_notebooks(name):
        solution = nbformat.read(path, as_version=4)
        for student, nb in (("solution", solution),
                            ("untouched", nbformat.read(ROOT / "exercises" / name / path.name, as_version=4))):
            folder = submitted / student / name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / path.name)
        for k in range(rounds):
            nb, chosen = solution, []
            for answer, kept in by_answer.items():
                if k < len(kept):
                    nb = local.with_answer(nb, answer, kept[k]["source"])
                    chosen.append(kept[k])
            folder = submitted / f"mutants_{k}" / name
            folder.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, folder / path.name)
            students[f"mutants_{k}"] = chosen
    return students


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_grader_gives_the_solution_full_marks_and_every_kept_wrong_answer_less(name, tmp_path):
    """Through the sandboxed grader instructors use: the solution, the untouched notebook and every mutant."""
    submitted = tmp_path / "submitted"
    students = class_of_mutants(name, submitted)
    options = grade.Options(timeout=120, setup_timeout=300, notebook_timeout=900, workers=2)
    results, assignment = grade.grade_class(name, submitted, source=ROOT / "solutions", options=options,
                                            progress=False)
    by_student = {r.student: r for r in results}
    solution, untouched = by_student["solution"], by_student["untouched"]
    assert (solution.status, solution.detail) == ("graded", ""), solution.detail
    assert solution.total() == assignment.maximum, {c: m for c, m in solution.feedback.items() if m}
    assert untouched.total() == 0, untouched.scores
    odd = {c: m for c, m in untouched.feedback.items() if "not written yet" not in m}
    assert not odd, (untouched.status, untouched.detail, odd)
    below, problems = 0, []
    for student, chosen in students.items():
        for mutant in chosen:
            column = mutant["answer"].replace("_answer", "_test")
            result = by_student[student]
            message = result.feedback.get(column, "")
            if result.scores[column] > 0:
                problems.append(f"{mutant['answer']} ({mutant['mistake']}) got full marks")
            elif mutant["feedback"].lower() not in message.lower():
                problems.append(f"{mutant['answer']} ({mutant['mistake']}): feedback does not name the mistake "
                                f"({mutant['feedback']!r}): {message[:200]!r}")
            else:
                below += 1
    record_mutants(name, below, sum(len(c) for c in students.values()))
    assert not problems, "\n".join(problems)


def record_mutants(name: str, below: int, kept: int) -> None:
    """Leave the count for the summary ``make test`` prints (tests/conftest.py)."""
    folder = Path(os.environ.get("DLMATH_MUTANT_REPORT", tempfile.gettempdir())) / "dlmath-mutants"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"assignment": name, "below": below, "kept": kept}))


def test_the_exercise_catalogue_is_up_to_date():
    """book/exercise_catalogue.md lists every exercise with its kind, points, rules and kept wrong answers."""
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "exercise_catalogue.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
