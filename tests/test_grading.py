"""Batch grading (``dlmath grade``) on a class of submissions built from a real course notebook.

The class is made from ``solutions/ch01_tensors`` (or the first assignment there):
the instructor's solution, the untouched student notebook, a partly right one, and
hostile ones (an infinite loop, a kernel crash, truncated JSON, a deleted test cell,
test cells edited to pass, raised points, monkeypatched NumPy and check helpers,
stripped metadata, a 50 MB output, a missing notebook, a student who probes the
sandbox). They are graded together, in one run of the command line, so every
test below also shows that one bad submission does not change anyone else's grade.
"""

from __future__ import annotations

import ast
import copy
import csv
import hashlib
import json
import os
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from dlmath import grading

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
CELL_TIMEOUT = 10  # seconds: the infinite loop costs this much; ch01's cells take well under a second
SECRET = "dlmath-test-secret-7f3a"  # an environment variable the students' kernels must not see


def pick_assignment() -> str | None:
    names = sorted(p.name for p in SOLUTIONS.glob("*") if p.is_dir() and any(p.glob("*.ipynb"))) \
        if SOLUTIONS.is_dir() else []
    return "ch01_tensors" if "ch01_tensors" in names else (names[0] if names else None)


ASSIGNMENT = pick_assignment()
pytestmark = pytest.mark.skipif(ASSIGNMENT is None, reason="no assignment in solutions/ yet")


# ---------------------------------------------------------------------------
# Building submissions from the real notebooks
# ---------------------------------------------------------------------------

class Course:
    """The assignment's instructor notebook and its student version (made by nbgrader, as the grader does)."""

    def __init__(self, folder: Path):
        source_nb = next((SOLUTIONS / ASSIGNMENT).glob("*.ipynb"))
        self.notebook = source_nb.stem
        self.source_path = source_nb
        self.master = grading.prepare_assignment(ASSIGNMENT, SOLUTIONS, folder / "master")
        self.source = nbformat.read(source_nb, as_version=4)
        self.release = nbformat.read(self.master.root / "release" / ASSIGNMENT / f"{self.notebook}.ipynb",
                                     as_version=4)
        self.points = {q.grade_id: q.points for q in self.master.questions}
        self.maximum = sum(self.points.values())

    def answers(self) -> list[str]:
        return [c.metadata["nbgrader"]["grade_id"] for c in self.release.cells if is_answer(c)]

    def filled(self, wrong_from: int | None = None, wrong_code=None):
        """The student notebook with the instructor's answers pasted in (answers from ``wrong_from`` on made wrong)."""
        nb = copy.deepcopy(self.release)
        solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in self.source.cells if is_answer(c)}
        order = self.answers()
        for cell in nb.cells:
            if is_answer(cell):
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                right = solutions[grade_id]
                if wrong_from is not None and order.index(grade_id) >= wrong_from:
                    cell.source = (wrong_code or wrong_answer)(right)
                else:
                    cell.source = right
        return nb

    def tests_before_answer(self, answer_index: int) -> float:
        """Points of the test cells that come before the ``answer_index``-th answer cell."""
        total, seen = 0.0, 0
        for cell in self.release.cells:
            if is_answer(cell):
                if seen == answer_index:
                    return total
                seen += 1
            elif is_test(cell):
                total += self.points[cell.metadata["nbgrader"]["grade_id"]]
        return total


def is_answer(cell) -> bool:
    return cell.cell_type == "code" and bool(cell.metadata.get("nbgrader", {}).get("solution"))


def is_test(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def defined_names(source: str) -> list[str]:
    """Top-level functions and variables an answer cell defines."""
    names = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names.extend(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return names


def wrong_answer(solution: str) -> str:
    """An answer that defines the same names, wrongly (no error, wrong values)."""
    lines = []
    for name in defined_names(solution):
        lines += [f"def {name}(*args, **kwargs):", "    return 0.0", ""]
    return "\n".join(lines) or "pass"


def wrong_answer_that_patches(solution: str) -> str:
    """A wrong answer that, when the test calls it, makes the check helpers stop reporting failures."""
    lines = []
    for name in defined_names(solution):
        lines += [f"def {name}(*args, **kwargs):",
                  "    import dlmath.checks",
                  "    dlmath.checks._fail = lambda *a, **k: None",
                  "    return 0.0", ""]
    return "\n".join(lines) or "pass"


PATCH_NUMPY = """\
import numpy as np
import numpy.testing
np.allclose = lambda *args, **kwargs: True
np.isclose = lambda a, b, *args, **kwargs: np.ones(np.shape(a), dtype=bool)
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None
np.testing.assert_equal = lambda *args, **kwargs: None
"""

PATCH_CHECKS = """\
import dlmath.checks
def always_passes(*args, **kwargs):
    return args[1] if len(args) > 1 else (args[0] if args else None)
for helper in dir(dlmath.checks):
    if helper.startswith("check_") or helper in ("call", "is_close"):
        setattr(dlmath.checks, helper, always_passes)
        globals()[helper] = always_passes
dlmath.checks._fail = lambda *args, **kwargs: None
"""


def insert_after_setup(nb, source: str):
    nb = copy.deepcopy(nb)
    index = next((i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", [])),
                 next(i for i, c in enumerate(nb.cells) if c.cell_type == "code"))
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(source))
    return nb


def prepend_to_answer(nb, position: int, code: str):
    """Put ``code`` at the start of the ``position``-th answer cell (``-1``: the last)."""
    nb = copy.deepcopy(nb)
    answers = [c for c in nb.cells if is_answer(c)]
    answers[position].source = code + "\n" + answers[position].source
    return nb


def probe_code(submitted: Path, out: Path) -> str:
    """A cell that tries what the sandbox should forbid, and prints what happened as JSON."""
    return f"""\
import json, os, socket
report = {{}}
def attempt(name, action):
    try:
        action()
        report[name] = "allowed"
    except BaseException as error:
        report[name] = type(error).__name__
attempt("read_solution", lambda: open({str(SOLUTIONS / ASSIGNMENT / (ASSIGNMENT + '.ipynb'))!r}).read())
attempt("list_submissions", lambda: os.listdir({str(submitted)!r}) or 1 / 0)
attempt("read_grades", lambda: open({str(out)!r}).read() or 1 / 0)
attempt("read_gradebook", lambda: [open(os.path.join(*[".."] * depth, "gradebook.db"), "rb").read(16)
                                    for depth in range(1, 6)
                                    if os.path.exists(os.path.join(*[".."] * depth, "gradebook.db"))] or 1 / 0)
attempt("network", lambda: socket.create_connection(("1.1.1.1", 53), timeout=3))
attempt("write_beside_its_folder", lambda: open(os.path.join("..", "planted"), "w").write("x"))
attempt("allocate_40GB", lambda: bytearray(40 * 1024 ** 3))
report["secret_visible"] = {SECRET!r} in json.dumps(dict(os.environ))
print("PROBE", json.dumps(report, sort_keys=True))
"""


def write_notebook(folder: Path, student: str, notebook: str, nb=None, text: str | None = None) -> None:
    target = folder / student / ASSIGNMENT
    target.mkdir(parents=True)
    if nb is not None:
        nbformat.write(nb, target / f"{notebook}.ipynb")
    elif text is not None:
        (target / f"{notebook}.ipynb").write_text(text, encoding="utf-8")


def digest(folder: Path) -> dict:
    """Content, mode and modification time of every file under ``folder``."""
    return {str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode,
                                         p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_grader(submitted: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    """``dlmath grade`` exactly as an instructor runs it, from the course's root folder."""
    env = dict(os.environ, DLMATH_TEST_SECRET=SECRET)
    command = [sys.executable, "-m", "dlmath", "grade", ASSIGNMENT, str(submitted), "--out", str(out),
               "--timeout", str(CELL_TIMEOUT), "--setup-timeout", "300", "--notebook-timeout", "600",
               "--jobs", "2", *extra]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)


def read_csv(path: Path) -> dict[str, dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


# ---------------------------------------------------------------------------
# One class, graded once for the whole module
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory) -> Course:
    return Course(tmp_path_factory.mktemp("course"))


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    submitted, out, kept = folder / "submitted", folder / "grades.csv", folder / "kept"
    submitted.mkdir()
    name = course.notebook
    answers = course.answers()
    last = len(answers) - 1
    half = len(answers) // 2
    filled = course.filled()
    # the tests after the last answer cell fail when that answer is missing
    partial_score = course.tests_before_answer(last)

    write_notebook(submitted, "a_solution", name, nbformat.read(course.source_path, as_version=4))
    write_notebook(submitted, "b_right", name, filled)
    write_notebook(submitted, "c_untouched", name, course.release)
    write_notebook(submitted, "d_partial", name, course.filled(wrong_from=last))
    write_notebook(submitted, "e_infinite_loop", name, prepend_to_answer(filled, -1, "while True:\n    pass"))
    write_notebook(submitted, "f_kernel_crash", name, prepend_to_answer(filled, -1, "import os\nos._exit(1)"))
    write_notebook(submitted, "g_truncated", name, text=nbformat.writes(filled)[: len(nbformat.writes(filled)) // 2])

    deleted = copy.deepcopy(filled)
    first_test = next(i for i, c in enumerate(deleted.cells) if is_test(c))
    deleted_id = deleted.cells[first_test].metadata["nbgrader"]["grade_id"]
    del deleted.cells[first_test]
    write_notebook(submitted, "h_deleted_test", name, deleted)

    edited = copy.deepcopy(course.release)
    for cell in edited.cells:
        if is_test(cell):
            cell.source = "pass  # all good"
    write_notebook(submitted, "i_tests_edited", name, edited)

    raised = course.filled(wrong_from=last)
    for cell in raised.cells:
        if is_test(cell):
            cell.metadata["nbgrader"]["points"] = 100
    write_notebook(submitted, "j_points_raised", name, raised)

    write_notebook(submitted, "k_patches_numpy", name, insert_after_setup(course.filled(wrong_from=half), PATCH_NUMPY))
    patched = insert_after_setup(course.filled(wrong_from=half, wrong_code=wrong_answer_that_patches), PATCH_CHECKS)
    write_notebook(submitted, "l_patches_checks", name, patched)

    stripped = copy.deepcopy(filled)
    for cell in stripped.cells:
        cell.metadata.pop("nbgrader", None)
    write_notebook(submitted, "m_stripped_metadata", name, stripped)

    huge = copy.deepcopy(filled)
    first_answer = next(c for c in huge.cells if is_answer(c))
    first_answer.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (50 * 1024 * 1024))]
    huge.cells.append(nbformat.v4.new_code_cell('print("y" * (50 * 1024 * 1024))'))
    write_notebook(submitted, "n_50MB_output", name, huge)

    (submitted / "o_missing_notebook" / ASSIGNMENT).mkdir(parents=True)

    spy = copy.deepcopy(filled)
    spy.cells.append(nbformat.v4.new_code_cell(probe_code(submitted, out)))
    write_notebook(submitted, "p_sandbox_probe", name, spy)

    before = digest(submitted)
    done = run_grader(submitted, out, "--keep", str(kept))
    return {
        "done": done, "rows": read_csv(out) if out.is_file() else {}, "out": out, "kept": kept,
        "before": before, "after": digest(submitted), "submitted": submitted, "partial_score": partial_score,
        "half_score": course.tests_before_answer(half), "deleted_id": deleted_id, "patched": patched,
        "maximum": course.maximum, "course": course, "folder": folder,
    }


def row(graded, student):
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]
    return graded["rows"][student]


def total(r) -> float:
    return float(r["total"])


# ---------------------------------------------------------------------------
# The command and the CSV
# ---------------------------------------------------------------------------

def test_every_student_gets_a_row_and_exit_status_0(graded):
    assert graded["done"].returncode == 0, graded["done"].stderr[-3000:]
    students = sorted(p.name for p in graded["submitted"].iterdir())
    assert list(graded["rows"]) == students  # one row each, sorted
    for r in graded["rows"].values():
        assert r["status"] in grading.STATUSES
        assert float(r["max"]) == graded["maximum"]


def test_csv_has_a_column_per_question_and_totals_add_up(graded, course):
    text = graded["out"].read_text()
    header = text.splitlines()[0].split(",")
    assert header == ["student", *[q.column for q in course.master.questions], "total", "max", "status", "detail"]
    for r in graded["rows"].values():
        assert sum(float(r[q.column]) for q in course.master.questions) == pytest.approx(float(r["total"]))


def test_progress_is_shown(graded):
    assert f"grading {ASSIGNMENT}" in graded["done"].stderr
    assert f"{len(graded['rows'])}/{len(graded['rows'])}" in graded["done"].stderr


def test_submitted_files_are_never_modified(graded):
    assert graded["after"] == graded["before"]


# ---------------------------------------------------------------------------
# Each kind of submission
# ---------------------------------------------------------------------------

def test_instructor_solution_gets_full_marks(graded):
    r = row(graded, "a_solution")
    assert (r["status"], total(r), r["detail"]) == ("graded", graded["maximum"], "")


def test_right_answers_get_full_marks(graded):
    r = row(graded, "b_right")
    assert (r["status"], total(r), r["detail"]) == ("graded", graded["maximum"], "")


def test_untouched_student_notebook_gets_zero(graded):
    r = row(graded, "c_untouched")
    assert (r["status"], total(r)) == ("graded", 0.0)


def test_partly_right_gets_the_points_of_its_right_answers(graded):
    r = row(graded, "d_partial")
    assert (r["status"], total(r)) == ("graded", graded["partial_score"])
    assert 0 < graded["partial_score"] < graded["maximum"]


def test_infinite_loop_is_interrupted_and_the_rest_graded(graded):
    r = row(graded, "e_infinite_loop")
    assert r["status"] == "timeout"
    assert total(r) == graded["partial_score"]
    assert f"interrupted at the time limit ({CELL_TIMEOUT} s a cell): " in r["detail"]


def test_kernel_crash_scores_zero(graded):
    r = row(graded, "f_kernel_crash")
    assert (r["status"], total(r)) == ("crashed", 0.0)
    assert "kernel died in" in r["detail"]


def test_truncated_json_is_malformed(graded):
    r = row(graded, "g_truncated")
    assert (r["status"], total(r)) == ("malformed", 0.0)
    assert "not valid JSON" in r["detail"]


def test_deleted_test_cell_is_put_back(graded):
    r = row(graded, "h_deleted_test")
    assert (r["status"], total(r)) == ("graded", graded["maximum"])
    assert graded["deleted_id"] in r["detail"] and "put back" in r["detail"]


def test_tests_edited_to_pass_are_graded_with_the_originals(graded):
    r = row(graded, "i_tests_edited")
    assert (r["status"], total(r)) == ("tampered", 0.0)
    assert "was edited" in r["detail"]


def test_raised_points_do_not_count(graded):
    r = row(graded, "j_points_raised")
    assert (r["status"], total(r), float(r["max"])) == ("tampered", graded["partial_score"], graded["maximum"])
    assert "points of" in r["detail"]


def test_monkeypatched_numpy_gets_no_marks_for_wrong_answers(graded):
    r = row(graded, "k_patches_numpy")
    assert r["status"] == "tampered"
    assert total(r) == graded["half_score"]  # the right half only
    assert "numpy.allclose" in r["detail"]


def test_monkeypatched_check_helpers_get_no_marks_for_wrong_answers(graded):
    r = row(graded, "l_patches_checks")
    assert r["status"] == "tampered"
    assert total(r) == graded["half_score"]
    assert "dlmath.checks" in r["detail"]


def test_the_patches_would_have_worked_without_the_guards(graded, tmp_path):
    """Control: the same submission, graded without the guard cells, scores more: the guards matter."""
    submitted = tmp_path / "submitted"
    write_notebook(submitted, "l_patches_checks", graded["course"].notebook, graded["patched"])
    options = grading.Options(timeout=CELL_TIMEOUT, setup_timeout=300, notebook_timeout=600, guards=False)
    results, _ = grading.grade_class(ASSIGNMENT, submitted, source=SOLUTIONS, options=options, progress=False)
    assert results[0].total() > graded["half_score"]


def test_a_kernel_that_ignores_interrupts_is_stopped_with_everything_it_started(course, tmp_path, monkeypatch):
    """SIGINT ignored, then an endless wait: every cell times out until the notebook's time is up.

    The notebook also starts a detached ``sleep 123``; as root the grader kills it with the kernel
    (elsewhere it cannot, and the sleep ends by itself).
    """
    scratch = Path(tempfile.mkdtemp(prefix="dg-", dir="/tmp"))  # short, as the kernel's sockets need
    scratch.chmod(0o711)  # a kernel's own user passes through it, as through /tmp
    monkeypatch.setenv("TMPDIR", str(scratch))  # the grader's work folder goes here, so its processes can be found
    monkeypatch.setattr(tempfile, "tempdir", None)
    submitted = tmp_path / "submitted"
    stubborn = "import signal, subprocess, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" \
               "subprocess.Popen(['sleep', '123'], start_new_session=True)\nwhile True:\n    time.sleep(1)"
    write_notebook(submitted, "stubborn", course.notebook, prepend_to_answer(course.filled(), 0, stubborn))
    options = grading.Options(timeout=CELL_TIMEOUT, setup_timeout=300, notebook_timeout=30)
    results, _ = grading.grade_class(ASSIGNMENT, submitted, source=SOLUTIONS, options=options, progress=False)
    assert (results[0].status, results[0].total()) == ("timeout", 0.0)
    assert "did not finish within 30 s" in results[0].detail
    time.sleep(2)
    left = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if str(scratch).encode() in command or (b"sleep\x00123\x00" in command and grading.sandbox_mode() == "root"):
            left.append(command)
    scratch.rmdir()  # the grader removed its work folder
    assert not left


def test_stripped_metadata_is_matched_by_text(graded):
    r = row(graded, "m_stripped_metadata")
    assert (r["status"], total(r)) == ("graded", graded["maximum"])
    assert "metadata was missing" in r["detail"]


def test_50MB_output_is_graded(graded):
    r = row(graded, "n_50MB_output")
    assert (r["status"], total(r)) == ("graded", graded["maximum"])


def test_missing_notebook_is_malformed(graded):
    r = row(graded, "o_missing_notebook")
    assert (r["status"], total(r)) == ("malformed", 0.0)
    assert "not submitted" in r["detail"]


def test_sandbox_hides_files_network_and_secrets(graded):
    r = row(graded, "p_sandbox_probe")
    assert (r["status"], total(r)) == ("graded", graded["maximum"])  # probing is not tampering
    kept = graded["kept"] / "p_sandbox_probe" / ASSIGNMENT / f"{graded['course'].notebook}.ipynb"
    nb = nbformat.read(kept, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    report = json.loads(text.split("PROBE ", 1)[1].splitlines()[0])
    assert report["allocate_40GB"] == "MemoryError"
    assert report["secret_visible"] is False
    if grading.sandbox_mode("auto") == "none":
        pytest.skip("this machine cannot isolate kernels; only the limits are checked")
    for attempt in ("read_solution", "list_submissions", "read_grades", "read_gradebook", "network",
                    "write_beside_its_folder"):
        assert report[attempt] != "allowed", attempt


def test_kept_notebooks_have_outputs_and_no_grader_cells(graded):
    kept = graded["kept"] / "b_right" / ASSIGNMENT / f"{graded['course'].notebook}.ipynb"
    nb = nbformat.read(kept, as_version=4)
    assert not any(c.source.startswith(grading.GUARD_HEADER) for c in nb.cells)
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


# ---------------------------------------------------------------------------
# Running it twice
# ---------------------------------------------------------------------------

SMALL_CLASS = ("c_untouched", "g_truncated", "k_patches_numpy")


def test_running_twice_gives_the_same_csv(graded, tmp_path):
    """A smaller class, graded twice, gives the same bytes twice, and the same rows as in the big run."""
    submitted = tmp_path / "submitted"
    for student in SMALL_CLASS:
        source = graded["submitted"] / student
        for path in source.rglob("*"):
            if path.is_file():
                target = submitted / path.relative_to(graded["submitted"])
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert run_grader(submitted, first).returncode == 0
    assert run_grader(submitted, second).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    big = graded["out"].read_text().splitlines()
    assert first.read_text().splitlines() == [big[0], *[line for line in big[1:] if line.split(",")[0] in SMALL_CLASS]]


# ---------------------------------------------------------------------------
# The pieces, without a kernel
# ---------------------------------------------------------------------------

def test_read_submission_reports_each_kind_of_broken_file(tmp_path):
    cases = {
        "truncated.ipynb": ('{"cells": [', "not valid JSON"),
        "list.ipynb": ("[1, 2, 3]", "JSON but not a notebook"),
        "binary.ipynb": (b"\xff\xfe\x00garbage", "not text"),
        "bad_cells.ipynb": ('{"cells": 3, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', "not a valid notebook"),
    }
    for name, (content, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        nb, problem = grading.read_submission(path)
        assert nb is None and message in problem, (name, problem)
    assert grading.read_submission(tmp_path / "absent.ipynb") == (None, "not submitted")
    link = tmp_path / "link.ipynb"
    link.symlink_to(SOLUTIONS / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert grading.read_submission(link) == (None, "not submitted")  # a link is never followed


def test_repair_puts_back_instructor_metadata(course):
    nb = copy.deepcopy(course.release)
    tests = [c for c in nb.cells if is_test(c)]
    tests[0].metadata["nbgrader"]["points"] = 99
    tests[1].metadata.pop("nbgrader")  # stripped: found again by its text
    answer = next(c for c in nb.cells if is_answer(c))
    nb.cells.append(copy.deepcopy(answer))  # a copied cell: a second grade_id
    bonus = nbformat.v4.new_code_cell("pass")
    bonus.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 50,
                                  "grade_id": "bonus", "schema_version": 3}
    nb.cells.append(bonus)
    repaired, notes, tamper = grading.repair_notebook(nb, course.release, course.source)
    ids = [c.metadata["nbgrader"]["grade_id"] for c in repaired.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)) and "bonus" not in ids
    release_ids = [c.metadata["nbgrader"]["grade_id"] for c in course.release.cells if "nbgrader" in c.metadata]
    assert ids == release_ids
    points = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"].get("points") for c in repaired.cells
              if is_test(c)}
    assert all(float(points[g]) == course.points[g] for g in points)
    assert any("points of" in t for t in tamper)
    assert any("metadata was missing" in n for n in notes)
    assert any("bonus" in n for n in notes)


def test_repair_puts_a_deleted_test_after_its_answer(course):
    nb = copy.deepcopy(course.release)
    index = [i for i, c in enumerate(nb.cells) if is_test(c)][1]
    grade_id = nb.cells[index].metadata["nbgrader"]["grade_id"]
    previous = nb.cells[index - 1].metadata.get("nbgrader", {}).get("grade_id")
    del nb.cells[index]
    repaired, notes, tamper = grading.repair_notebook(nb, course.release, course.source)
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in repaired.cells]
    assert previous is not None  # in the course's notebooks every test follows its answer cell
    assert ids.index(grade_id) == ids.index(previous) + 1
    assert tamper == [] and any(grade_id in n for n in notes)


def test_guards_surround_every_test(course):
    nb, guards, names = grading.add_guards(course.release, course.source, "0123456789abcdef")
    phases = [g["phase"] for g in guards["cells"]]
    tests = [c.metadata["nbgrader"]["grade_id"] for c in course.release.cells if is_test(c)]
    assert phases == ["start"] + ["before", "after"] * len(tests)
    for guard in guards["cells"][1:]:
        position = guard["position"]
        neighbour = nb.cells[position + 1] if guard["phase"] == "before" else nb.cells[position - 1]
        assert neighbour.metadata["nbgrader"]["grade_id"] == guard["test"]
    assert len(names) == len(nb.cells)
    # the guard before a test protects the names the instructor imported and the test reads
    first_test = next(c for c in course.source.cells if is_test(c))
    free, _ = grading.free_and_bound_names(first_test.source)
    imports = grading.instructor_imports(course.source)
    expected = {n: imports[n] for n in free if n in imports}
    assert expected, "the first test uses nothing the instructor imported?"
    assert repr(dict(sorted(expected.items()))) in nb.cells[guards["cells"][1]["position"]].source


def test_read_guards_voids_a_test_during_which_something_changed():
    nonce = "00ff00ff00ff00ff"
    guards = {"nonce": nonce, "cells": [{"phase": "start", "test": None}, {"phase": "before", "test": "ex1"},
                                        {"phase": "after", "test": "ex1"}, {"phase": "before", "test": "ex2"},
                                        {"phase": "after", "test": "ex2"}]}
    reports = [[], ["numpy.allclose"], [], [], ["dlmath.checks._fail"]]
    nb = nbformat.v4.new_notebook()
    for index, (guard, report) in enumerate(zip(guards["cells"], reports)):
        cell = nbformat.v4.new_code_cell(grading.GUARD_HEADER + "\n...")
        cell.execution_count = index + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"{grading.GUARD_PREFIX} {nonce} "
                                               f"{index} {guard['phase']} {json.dumps(report)}\n")]
        nb.cells.append(cell)
    result = grading.read_guards(nb, guards)
    assert result["void"] == {"ex2"}  # ex1's patch was undone before ex1 ran; ex2's came while it ran
    assert result["changes"] == ["replaced numpy.allclose before ex1", "replaced dlmath.checks._fail while ex2 ran"]
    nb.cells[3].outputs = []  # a guard that printed nothing although it ran
    assert grading.read_guards(nb, guards)["void"] == {"ex2"}
    assert "did not run as written" in " ".join(grading.read_guards(nb, guards)["changes"])


def test_write_csv_is_sorted_and_plain(tmp_path):
    questions = [grading.Question("nb", "ex1_test", 2.0, "ex1_test"), grading.Question("nb", "ex2_test", 0.5, "ex2_test")]
    results = [grading.Result("zoe", {"ex1_test": 2.0, "ex2_test": 0.5}, "graded", ""),
               grading.Result("adam", {"ex1_test": 0.0, "ex2_test": 0.0}, "malformed", "nb.ipynb: not submitted")]
    path = tmp_path / "grades.csv"
    grading.write_csv(path, questions, results)
    assert path.read_text() == ("student,ex1_test,ex2_test,total,max,status,detail\n"
                                "adam,0,0,0,2.5,malformed,nb.ipynb: not submitted\n"
                                "zoe,2,0.5,2.5,2.5,graded,\n")


def test_remove_tree_never_touches_the_parent(tmp_path):
    parent = tmp_path / "parent"
    (parent / "work" / "deep").mkdir(parents=True)
    (parent / "work" / "deep" / "file").write_text("x")
    os.chmod(parent / "work" / "deep" / "file", 0o444)
    os.chmod(parent / "work" / "deep", 0o555)
    os.chmod(parent, 0o1777)
    grading.remove_tree(parent / "work")
    assert not (parent / "work").exists()
    assert stat.S_IMODE(parent.stat().st_mode) == 0o1777


def test_work_folder_is_short_enough_for_sockets(monkeypatch, tmp_path):
    long_folder = tmp_path / ("x" * 80)
    long_folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(long_folder))
    monkeypatch.setattr(tempfile, "tempdir", None)
    work = grading.work_folder()
    try:
        socket = work / "students" / "00000" / "runtime" / "kernel-12345"
        assert len(str(socket)) < 108
    finally:
        work.rmdir()


def test_command_line_errors_are_clear(tmp_path):
    done = subprocess.run([sys.executable, "-m", "dlmath", "grade", "no_such_assignment", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "no assignment folder" in done.stderr
    done = subprocess.run([sys.executable, "-m", "dlmath", "grade", ASSIGNMENT, str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 2 and "no student folders" in done.stderr
