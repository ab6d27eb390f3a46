"""The instructor's loop around ``dlmath grade``: feedback, late work, regrades, resuming, parallel and Dask.

All on the toy assignment of tests/grading_course (quick to run), under /tmp.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import nbformat
import pytest

from dlmath.grading import grade

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "grading_course" / "solutions" / "toy"
WRONG_EX1 = "def column_means(X):\n    return np.asarray(X).mean(axis=1)\n"
WRONG_EX3 = "def safe_divide(a, b):\n    return a / b if b else 0.0\n"


def notebook(answers: dict):
    nb = nbformat.read(TOY / "toy.ipynb", as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            cell.source = answers[grade_id]
    return nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop-course")
    shutil.copytree(TOY, root / "solutions" / "toy")
    submitted = root / "submitted"
    for student, answers in [("ada", {}), ("bo", {"ex1_answer": WRONG_EX1}), ("cy", {"ex3_answer": WRONG_EX3}),
                             ("di", {"ex1_answer": WRONG_EX1, "ex3_answer": WRONG_EX3})]:
        folder = submitted / student / "toy"
        folder.mkdir(parents=True)
        nbformat.write(notebook(answers), folder / "toy.ipynb")
    (submitted / "bo" / "toy" / "timestamp.txt").write_text("2026-10-16 10:00:00.000000 UTC")
    (submitted / "cy" / "toy" / "timestamp.txt").write_text("2026-10-14 20:00:00.000000 UTC")
    (submitted / "di" / "toy" / "timestamp.txt").write_text("2026-10-17 09:00:00.000000 UTC")
    (submitted / "ada" / "toy" / "timestamp.txt").write_text("2026-10-15 12:00:00.000000 UTC")
    (root / "course.yml").write_text(
        "assignments:\n"
        "  toy:\n"
        "    deadline: 2026-10-15T00:00:00Z\n"
        "    late_policy:\n"
        "      per_day: 10%\n"
        "      cap: 30%\n"
        "    extensions:\n"
        "      ada: {days: 1}\n")
    return root


def run(course, out, **kwargs):
    options = kwargs.pop("options", grade.Options(timeout=30, notebook_timeout=300))
    return grade.grade_class("toy", course / "submitted", source=course / "solutions", options=options, out=out,
                             progress=False, **kwargs)


@pytest.fixture(scope="module")
def serial(course, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "grades.csv"
    feedback = tmp_path_factory.mktemp("feedback")
    results, assignment = run(course, out, feedback_dir=feedback)
    return {"out": out, "feedback": feedback, "results": {r.student: r for r in results}}


def rows(path) -> dict:
    return {row["student"]: row for row in csv.DictReader(Path(path).open(encoding="utf-8"))}


def test_feedback_holds_each_students_own_messages_only(serial):
    bo = (serial["feedback"] / "bo" / "toy" / "feedback.html").read_text()
    cy = (serial["feedback"] / "cy" / "toy" / "feedback.html").read_text()
    assert "column_means" in bo and "axis=0" in bo and "safe_divide(1, 0): returned" not in bo
    assert "safe_divide(1, 0): returned" in cy and "column_means(shape" not in cy
    for page in (bo, cy):
        assert "def ex1_test" not in page and "grader_tests" not in page and "<script" not in page
    graded = nbformat.read(serial["feedback"] / "bo" / "toy" / "toy.ipynb", as_version=4)
    notes = [c.source for c in graded.cells if "dlmath-feedback" in c.metadata.get("tags", [])]
    assert len(notes) == 3 and "0 of 2 points" in notes[0] and "every check passed" in notes[2]
    assert not any("check_array(call(column_means" in c.source for c in graded.cells)


def test_late_penalties_caps_and_extensions(course, tmp_path):
    out = tmp_path / "late.csv"
    run(course, out, course_file=course / "course.yml")
    table = rows(out)
    assert (table["ada"]["total"], table["ada"]["penalty"], table["ada"]["final"]) == ("6", "0", "6")
    assert "on time" in table["ada"]["late"] and "extended" in table["ada"]["late"]
    assert (table["bo"]["total"], table["bo"]["penalty"], table["bo"]["final"]) == ("4", "1.2", "2.8")
    assert "2 days late" in table["bo"]["late"]
    assert table["cy"]["penalty"] == "0"
    assert (table["di"]["penalty"], table["di"]["final"]) == ("1.8", "1.2") and "cap" in table["di"]["late"]


def test_only_regrades_some_students_and_keeps_the_other_rows(course, serial, tmp_path):
    out = tmp_path / "grades.csv"
    shutil.copy(serial["out"], out)
    text = out.read_text().replace("\nada,2,3,1,6,", "\nada,0,0,0,0,")  # as if ada had been graded wrongly
    text = text.replace("\ncy,", "\ncy,")
    out.write_text(text)
    before = rows(out)
    results, _ = run(course, out, only=["ada"])
    assert [r.student for r in results] == ["ada"]
    after = rows(out)
    assert after["ada"]["total"] == "6"
    assert {k: v for k, v in after.items() if k != "ada"} == {k: v for k, v in before.items() if k != "ada"}


def test_an_interrupted_grading_resumes_where_it_stopped(course, serial, tmp_path, monkeypatch):
    out = tmp_path / "grades.csv"
    real = grade.grade_submission
    calls = []

    def interrupted(folder, assignment, options):
        calls.append(folder.display)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(folder, assignment, options)

    monkeypatch.setattr(grade, "grade_submission", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run(course, out)
    assert len(rows(out)) == 2
    monkeypatch.setattr(grade, "grade_submission", real)
    results, _ = run(course, out, resume=True)
    assert sorted(r.student for r in results) == ["cy", "di"]
    assert out.read_bytes() == serial["out"].read_bytes()


def test_two_workers_give_the_serial_csv(course, serial, tmp_path):
    out = tmp_path / "grades.csv"
    run(course, out, options=grade.Options(timeout=30, notebook_timeout=300, workers=2))
    assert out.read_bytes() == serial["out"].read_bytes()


def test_a_dask_local_cluster_gives_the_serial_csv(course, serial, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "grades.csv"
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        run(course, out, scheduler=cluster.scheduler_address)
    assert out.read_bytes() == serial["out"].read_bytes()


def test_unknown_only_student_is_an_error(course, tmp_path):
    with pytest.raises(grade.GradingError, match="no student folder zed"):
        run(course, tmp_path / "g.csv", only=["zed"])
