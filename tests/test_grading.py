"""``dlmath grade`` against a class of honest and hostile students (the trusted-grading redesign).

The class is graded once per test session (with two workers), on a copy of the
toy assignment in ``tests/grading_course`` placed under the system's temporary
folder, so the course working from /tmp is tested too. Every attack below was
tried against the old, in-process grader; each one is kept here as a student
folder, and each must score 0 (or only the points of its honest answers).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

import dlmath
from dlmath.grading import grade, report, sandbox, submissions

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "grading_course" / "solutions" / "toy"
FULL = 6
MARKER = "dlmath-grading-test-marker"

UNTOUCHED = {  # the stubs nbgrader leaves: the signature, and NotImplementedError
    "ex1_answer": "def column_means(X):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
    "ex2_answer": "def det2(A):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
    "ex3_answer": "def safe_divide(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n",
}
WRONG = {  # wrong answers for every exercise
    "ex1_answer": "def column_means(X):\n    return np.asarray(X).mean(axis=1)\n",
    "ex2_answer": "def det2(A):\n    return float(A[0][0] * A[1][1] + A[0][1] * A[1][0])\n",
    "ex3_answer": "def safe_divide(a, b):\n    return a / b if b else 0.0\n",
}


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(os.fsencode(path.relative_to(folder)) + b"\0" + path.read_bytes())
    return digest.hexdigest()


def notebook(answers: dict | None = None, extra_cells=(), first_cells=()):
    """The toy solution notebook with some answer cells replaced and cells added."""
    nb = nbformat.read(TOY / "toy.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if answers and grade_id in answers:
            cell.source = answers[grade_id]
    position = next(i for i, c in enumerate(nb.cells) if "setup" in c.metadata.get("tags", [])) + 1
    nb.cells[position:position] = [nbformat.v4.new_code_cell(s) for s in first_cells]
    nb.cells += [nbformat.v4.new_code_cell(s) for s in extra_cells]
    return nb


def submit(submitted: Path, student: str, nb) -> Path:
    folder = submitted / student / "toy"
    folder.mkdir(parents=True)
    nbformat.write(nb, folder / "toy.ipynb")
    return folder


@pytest.fixture(scope="session")
def course(tmp_path_factory):
    """A course folder under /tmp with the toy assignment, and an honest server on the host's loopback."""
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(TOY, root / "solutions" / "toy")
    return root


@pytest.fixture(scope="session")
def listener():
    """A TCP server on the grading machine's loopback: a sandboxed kernel must not reach it."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    reached = []

    def accept():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            reached.append(connection.recv(100))
            connection.close()

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], reached
    server.close()


@pytest.fixture(scope="session")
def graded(course, listener, tmp_path_factory):
    """The whole class, graded once (two workers); returns the CSV rows by student and more."""
    port, reached = listener
    submitted = tmp_path_factory.mktemp("submitted")
    solution_path = course / "solutions" / "toy" / "toy.ipynb"
    tests_path = course / "solutions" / "toy" / "grader_tests.py"
    honest = nbformat.read(TOY / "toy.ipynb", as_version=4)
    submit(submitted, "honest", honest)
    submit(submitted, "honest_own_words", notebook({
        "ex1_answer": "def column_means(X):\n    X = np.asarray(X, dtype=float)\n    return X.sum(axis=0) / X.shape[0]\n",
        "ex2_answer": "def det2(A):\n    (a, b), (c, d) = A\n    return a * d - b * c\n",
        "ex3_answer": "def safe_divide(a, b):\n    if b == 0:\n        raise ValueError('cannot divide by zero')\n    return a / b\n"}))
    other_release = nbformat.read(TOY / "toy.ipynb", as_version=4)
    setup = next(c for c in other_release.cells if "setup" in c.metadata.get("tags", []))
    setup.source = ("# --- Colab set-up (written by tools/sync_notebooks.py from _config.yml) ---\n"
                    "raise RuntimeError('this notebook expects dlmath 0.1.0')\n"
                    "# --- end of Colab set-up ---\n" + setup.source)
    submit(submitted, "honest_other_release", other_release)
    submit(submitted, "untouched", notebook(UNTOUCHED))
    submit(submitted, "partly_right", notebook({"ex1_answer": WRONG["ex1_answer"]}))
    # 1. a folder dlmath/ beside the notebook, whose checks accept anything
    folder = submit(submitted, "attack_fake_package", notebook(WRONG))
    (folder / "dlmath").mkdir()
    (folder / "dlmath" / "__init__.py").write_text("")
    (folder / "dlmath" / "checks.py").write_text("def call(f, *a, **k):\n    return None\n"
                                                  "def check_array(*a, **k):\n    return None\n")
    # 2. answer code that replaces the check helpers and NumPy's comparisons
    submit(submitted, "attack_patch_checks", notebook(WRONG, first_cells=[
        "import dlmath.checks, numpy\n"
        "for name in dir(dlmath.checks):\n"
        "    if name.startswith(('check', 'call', '_fail')):\n"
        "        setattr(dlmath.checks, name, lambda *a, **k: None)\n"
        "numpy.allclose = numpy.array_equal = lambda *a, **k: True\n"]))
    # 3. objects that compare equal to anything and read the expected value from the caller's frames
    liar = ("class Liar(float):\n"
            "    def __eq__(self, other): return True\n"
            "    def __array__(self, *a, **k):\n"
            "        import sys, numpy\n"
            "        frame = sys._getframe(1)\n"
            "        while frame:\n"
            "            if 'expected' in frame.f_locals: return numpy.asarray(frame.f_locals['expected'])\n"
            "            frame = frame.f_back\n"
            "        return numpy.zeros(2)\n"
            "    def __float__(self): return 0.0\n")
    submit(submitted, "attack_liar", notebook({
        "ex1_answer": liar + "def column_means(X):\n    return Liar(0.0)\n",
        "ex2_answer": liar + "def det2(A):\n    return Liar(1.0)\n",
        "ex3_answer": "def safe_divide(a, b):\n    return a / b if b else 0.0\n"}))
    # 4. answers that look for the instructor's solutions and trusted tests on the machine and run them
    finder = (
        "import glob, os, json\n"
        "def find_solution():\n"
        f"    places = [{str(solution_path)!r}, {str(tests_path)!r}]\n"
        "    places += glob.glob('/proc/*/cwd/solutions/toy/*') + glob.glob('/proc/*/root" + str(course) + "/solutions/toy/*')\n"
        "    places += glob.glob('/tmp/**/solutions/toy/*', recursive=True) + glob.glob('../../**/toy.ipynb', recursive=True)\n"
        "    places += glob.glob('/work/**/grading_course/solutions/toy/toy.ipynb', recursive=True)\n"
        "    for place in places:\n"
        "        try:\n"
        "            text = open(place).read()\n"
        "        except OSError:\n"
        "            continue\n"
        "        if place.endswith('.ipynb'):\n"
        "            for cell in json.loads(text)['cells']:\n"
        "                if 'BEGIN SOLUTION' in ''.join(cell['source']):\n"
        "                    exec(''.join(cell['source']).replace('### BEGIN SOLUTION', '').replace('### END SOLUTION', ''), globals())\n"
        "            return True\n"
        "    return False\n"
        "FOUND = find_solution()\n")
    submit(submitted, "attack_find_solutions", notebook(WRONG, extra_cells=[finder]))
    # 5. a submission folder, and a notebook, that are links to the instructor's own files
    (submitted / "attack_link_folder").mkdir()
    (submitted / "attack_link_folder" / "toy").symlink_to(course / "solutions" / "toy")
    (submitted / "attack_link_notebook" / "toy").mkdir(parents=True)
    (submitted / "attack_link_notebook" / "toy" / "toy.ipynb").symlink_to(solution_path)
    (submitted / "attack_link_student").symlink_to(submitted / "honest")
    # 6. processes that outlive the kernel, and a fork bomb
    submit(submitted, "attack_orphans", notebook(WRONG, extra_cells=[
        "import subprocess, os\n"
        f"subprocess.Popen(['sleep', '600', '{MARKER}'], start_new_session=True)\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        f"    os.execvp('sleep', ['sleep', '601', '{MARKER}'])\n"]))
    submit(submitted, "attack_fork_bomb", notebook(WRONG, extra_cells=[
        "import os, time\n"
        "children = 0\n"
        "for _ in range(5000):\n"
        "    try:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(60); os._exit(0)\n"
        "        children += 1\n"
        "    except OSError:\n"
        "        break\n"
        "FORKED = children\n"]))
    # 7. files planted for later kernels: IPython start-up files, the installed package
    plant = ("import os, pathlib, dlmath\n"
             "for folder in [pathlib.Path.home() / '.ipython/profile_default/startup', pathlib.Path('/tmp/startup')]:\n"
             "    folder.mkdir(parents=True, exist_ok=True)\n"
             "    (folder / '00-answers.py').write_text('def column_means(X):\\n    return X.mean(axis=0)\\n')\n"
             "try:\n"
             "    (pathlib.Path(dlmath.__file__).parent / 'checks.py').write_text('planted')\n"
             "    PLANTED_PACKAGE = True\n"
             "except OSError:\n"
             "    PLANTED_PACKAGE = False\n")
    submit(submitted, "aaa_attack_plant", notebook(WRONG, extra_cells=[plant]))
    submit(submitted, "zzz_after_plant", notebook(UNTOUCHED))
    # network: reach a server on the grading machine
    submit(submitted, "attack_network", notebook(WRONG, extra_cells=[
        "import socket\n"
        "try:\n"
        f"    socket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'leak')\n"
        "except OSError:\n"
        "    pass\n"]))
    # resources: memory, an endless function, a kernel crash
    submit(submitted, "attack_memory", notebook(WRONG, extra_cells=["hog = bytearray(6 * 2**30)\nhog[::4096] = b'x' * len(hog[::4096])\n"]))
    submit(submitted, "slow_function", notebook({"ex2_answer": "def det2(A):\n    while True:\n        pass\n"}))
    submit(submitted, "crash_in_cell", notebook(extra_cells=["import os\nos._exit(1)\n"], answers=None))
    # broken files and awkward names
    (submitted / "broken_json" / "toy").mkdir(parents=True)
    (submitted / "broken_json" / "toy" / "toy.ipynb").write_text('{"cells": [')
    (submitted / "no_notebook" / "toy").mkdir(parents=True)
    submit(submitted, "=HYPERLINK(\"x\")", honest)
    os.mkdir(os.fsencode(submitted) + b"/bad\xffname")
    os.mkdir(os.fsencode(submitted) + b"/bad\xffname/toy")
    nbformat.write(honest, os.fsdecode(os.fsencode(submitted) + b"/bad\xffname/toy/toy.ipynb"))

    before = {"solutions": tree_hash(course / "solutions"), "package": tree_hash(Path(dlmath.__file__).parent),
              "submitted": tree_hash(submitted)}
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    options = grade.Options(timeout=20, notebook_timeout=300, memory_mb=1024, processes=128, workers=2)
    results, assignment = grade.grade_class("toy", submitted, source=course / "solutions", options=options,
                                            out=out, progress=False)
    after = {"solutions": tree_hash(course / "solutions"), "package": tree_hash(Path(dlmath.__file__).parent),
             "submitted": tree_hash(submitted)}
    rows = {row["student"]: row for row in csv.DictReader(out.open(encoding="utf-8"))}
    return {"rows": rows, "results": {r.student: r for r in results}, "out": out, "before": before, "after": after,
            "submitted": submitted, "course": course, "reached": reached, "options": options}


def total(graded, student) -> float:
    return float(graded["rows"][student]["total"])


def test_honest_students_get_full_marks(graded):
    for student in ("honest", "honest_own_words", "honest_other_release"):
        assert total(graded, student) == FULL, graded["results"][student].feedback
        assert graded["rows"][student]["status"] == "graded"


def test_wrong_and_untouched_answers_score_what_they_deserve(graded):
    assert total(graded, "untouched") == 0
    assert total(graded, "partly_right") == FULL - 2
    feedback = graded["results"]["untouched"].feedback["ex1_test"]
    assert "not written yet" in feedback


@pytest.mark.parametrize("student", ["attack_fake_package", "attack_patch_checks", "attack_liar",
                                     "attack_find_solutions", "attack_orphans", "attack_fork_bomb",
                                     "aaa_attack_plant", "attack_network", "attack_memory"])
def test_every_attacker_scores_zero(graded, student):
    assert total(graded, student) == 0, graded["results"][student].feedback


def test_links_are_refused_and_read_nothing(graded):
    for student in ("attack_link_folder", "attack_link_notebook", "attack_link_student"):
        row = graded["rows"][student]
        assert row["status"] == "refused" and float(row["total"]) == 0
        assert "symbolic link" in row["detail"]


def test_planted_files_reach_no_later_student_and_the_package_is_unchanged(graded):
    assert total(graded, "zzz_after_plant") == 0
    assert graded["before"]["package"] == graded["after"]["package"]
    assert not (Path.home() / ".ipython/profile_default/startup/00-answers.py").exists()
    assert not Path("/tmp/startup/00-answers.py").exists()


def test_solutions_and_submissions_are_never_modified(graded):
    assert graded["before"]["solutions"] == graded["after"]["solutions"]
    assert graded["before"]["submitted"] == graded["after"]["submitted"]


def test_the_network_is_out_of_reach(graded):
    time.sleep(0.5)
    assert graded["reached"] == []


def test_no_process_of_the_grading_is_left(graded):
    left = subprocess.run(["pgrep", "-f", MARKER], capture_output=True, text=True).stdout.split()
    assert left == []
    # the control groups this process made (other tests may grade at the same time, in theirs)
    assert len(sandbox.ControlGroup.made) >= 2
    assert [folder for folder in sandbox.ControlGroup.made if folder.exists()] == []


def test_resources_exhausted_give_a_status_and_cost_no_one_else(graded):
    memory = graded["rows"]["attack_memory"]
    assert memory["status"] == "crashed" and "out of memory" in memory["detail"]
    slow = graded["rows"]["slow_function"]
    assert slow["status"] == "timeout" and float(slow["total"]) == FULL - 3
    assert "ran longer than" in graded["results"]["slow_function"].feedback["ex2_test"]
    crash = graded["rows"]["crash_in_cell"]
    assert crash["status"] == "crashed" and float(crash["total"]) == 0


def test_broken_files_get_a_status(graded):
    assert graded["rows"]["broken_json"]["status"] == "malformed"
    assert graded["rows"]["no_notebook"]["status"] == "malformed"
    assert "not a readable notebook" in graded["rows"]["broken_json"]["detail"]


def test_every_folder_gets_a_row_and_names_are_safe(graded):
    rows = graded["rows"]
    entries = [e for e in os.listdir(os.fsencode(graded["submitted"])) if not e.startswith(b".")]
    assert len(rows) == len(entries)
    assert rows["bad\\xffname"]["status"] == "bad-name" and float(rows["bad\\xffname"]["total"]) == FULL
    assert "'=HYPERLINK(\"x\")" in rows and float(rows["'=HYPERLINK(\"x\")"]["total"]) == FULL
    text = graded["out"].read_text(encoding="utf-8")
    assert "\n=" not in text and ",=" not in text


def test_a_second_run_writes_the_identical_csv(graded, tmp_path):
    again = tmp_path / "again.csv"
    results, assignment = grade.grade_class("toy", graded["submitted"], source=graded["course"] / "solutions",
                                            options=graded["options"], out=again, progress=False)
    assert again.read_bytes() == graded["out"].read_bytes()


# ---------------------------------------------------------------------------
# The command line, and no silent weak mode
# ---------------------------------------------------------------------------

def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "dlmath", "grade", *args], cwd=cwd, capture_output=True, text=True)


def test_command_line_grades_and_reports(course, tmp_path):
    submitted = tmp_path / "submitted"
    submit(submitted, "honest", nbformat.read(TOY / "toy.ipynb", as_version=4))
    done = run_cli("toy", str(submitted), "--out", str(tmp_path / "g.csv"), cwd=course)
    assert done.returncode == 0, done.stderr
    row = next(csv.DictReader((tmp_path / "g.csv").open()))
    assert (row["student"], row["total"], row["max"], row["status"], row["sandbox"]) == ("honest", "6", "6", "graded", "on")


def test_without_a_sandbox_grading_stops_unless_asked(course, tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox, "BWRAP", "no-such-bwrap")
    submitted = tmp_path / "submitted"
    submit(submitted, "honest", nbformat.read(TOY / "toy.ipynb", as_version=4))
    with pytest.raises(grade.GradingError, match="bubblewrap is not installed"):
        grade.grade_class("toy", submitted, source=course / "solutions", progress=False)
    results, _ = grade.grade_class("toy", submitted, source=course / "solutions", progress=False,
                                   options=grade.Options(sandbox="off"))
    assert results[0].total() == FULL and results[0].sandbox == "off" and "UNSANDBOXED" in results[0].detail


def test_command_line_errors_are_clear(course, tmp_path):
    done = run_cli("no_such_assignment", str(tmp_path), cwd=course)
    assert done.returncode == 2 and "no assignment folder" in done.stderr
    (tmp_path / "empty").mkdir()
    done = run_cli("toy", str(tmp_path / "empty"), cwd=course)
    assert done.returncode == 2 and "no student folders" in done.stderr


def test_a_question_without_a_trusted_test_is_an_error(course, tmp_path):
    broken = tmp_path / "solutions" / "toy"
    shutil.copytree(course / "solutions" / "toy", broken)
    text = (broken / "grader_tests.py").read_text().replace("def ex3_test", "def ex3_renamed")
    (broken / "grader_tests.py").write_text(text)
    with pytest.raises(grade.GradingError, match="no test for ex3_test"):
        grade.load_assignment("toy", tmp_path / "solutions")


def test_private_tests_from_another_folder_add_to_a_question(course, tmp_path):
    private = tmp_path / "private" / "toy"
    private.mkdir(parents=True)
    (private / "extra.py").write_text("def ex1_test__never(student, rng):\n    raise AssertionError('private test failed')\n")
    assignment = grade.load_assignment("toy", course / "solutions", extra_tests=[tmp_path / "private"])
    assert len(assignment.tests["ex1_test"]) == 2
    submitted = tmp_path / "submitted"
    submit(submitted, "honest", nbformat.read(TOY / "toy.ipynb", as_version=4))
    results, _ = grade.grade_class("toy", submitted, source=course / "solutions", progress=False,
                                   extra_tests=[tmp_path / "private"])
    assert results[0].scores["ex1_test"] == 0 and "private test failed" in results[0].feedback["ex1_test"]


# ---------------------------------------------------------------------------
# The pieces, one at a time
# ---------------------------------------------------------------------------

def test_csv_is_written_atomically_and_escapes_formulas(tmp_path):
    path = tmp_path / "g.csv"
    results = [report.Result("=cmd|' /C calc'!A0", {"q": 1}, detail="-2+3"), report.Result("@sum", {"q": 0.5}),
               report.Result("plain", {"q": 2})]
    report.write_csv(path, ["q"], 2, results)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["student", "q", "total", "max", "status", "sandbox", "detail"]
    assert [r[0] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "'@sum", "plain"]
    assert rows[1][-1] == "'-2+3" and rows[2][1] == "0.5"
    assert [p.name for p in tmp_path.iterdir()] == ["g.csv"]


def test_display_names_are_safe():
    assert submissions.display_name("alice") == ("alice", False)
    assert submissions.display_name(os.fsdecode(b"bad\xffname")) == ("bad\\xffname", True)
    assert submissions.display_name("tab\there") == ("tab\\x09here", True)


def test_special_files_are_refused(tmp_path):
    folder = tmp_path / "student" / "toy"
    folder.mkdir(parents=True)
    os.mkfifo(folder / "toy.ipynb")
    with pytest.raises(submissions.Refused) as refusal:
        submissions.read_submission(tmp_path / "student", "toy", "toy.ipynb")
    assert refusal.value.status == "refused" and "not a regular file" in str(refusal.value)


def test_stripped_metadata_is_matched_by_the_names_an_answer_defines():
    instructor = submissions.read_instructor_notebook(TOY / "toy.ipynb")
    nb = notebook(WRONG)
    for cell in nb.cells:
        cell.metadata.pop("nbgrader", None)
    answers = submissions.answer_sources(nb, instructor)
    assert answers["ex2_answer"] == WRONG["ex2_answer"]
    run = submissions.notebook_to_run(nb, instructor)
    assert not any("check_scalar(call(det2" in c.source for c in run.cells)
