"""Grading a class: each submission in its own sandbox, judged by the trusted tests.

For one student (:func:`grade_submission`):

1. the notebook is read as data (:mod:`~dlmath.grading.submissions`): links,
   special files, oversized or unreadable notebooks are refused with a status;
2. a copy without the test cells and outputs runs in a new sandbox
   (:mod:`~dlmath.grading.sandbox`, :mod:`~dlmath.grading.runner`);
3. each question's trusted tests run here (:mod:`~dlmath.grading.judge`), calling
   the student's functions in the sandbox and comparing the plain data they
   return with references computed here;
4. the sandbox and everything in it is killed; the row goes into the CSV
   (:mod:`~dlmath.grading.report`), which is rewritten after every student.
"""

from __future__ import annotations

import functools
import os
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import judge, report, sandbox, submissions
from .report import Result


class GradingError(Exception):
    """A problem with the command itself (no such assignment, no submissions, no sandbox)."""


DEFAULT_TIMEOUT = 60            # seconds for one cell, or one call of the student's code
DEFAULT_SETUP_TIMEOUT = 300     # seconds for a cell tagged "setup" (imports TensorFlow, loads data)
DEFAULT_NOTEBOOK_TIMEOUT = 1800  # seconds for a whole submission
DEFAULT_MEMORY_MB = 4096        # memory of the whole submission


@dataclass
class Options:
    """The limits one submission is graded under, and how."""

    timeout: int = DEFAULT_TIMEOUT
    setup_timeout: int = DEFAULT_SETUP_TIMEOUT
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    processes: int = 512
    workers: int = 1
    sandbox: str = "on"               # "on" or "off" (explicit, and said on every row)


@dataclass
class Assignment:
    """An assignment as the grader sees it: its notebooks, questions and trusted tests."""

    name: str
    folder: Path
    notebooks: list = field(default_factory=list)   # InstructorNotebook
    tests: dict = field(default_factory=dict)       # grade_id -> [test functions]

    @property
    def questions(self) -> list:
        return [q for nb in self.notebooks for q in nb.questions]

    @property
    def columns(self) -> list[str]:
        return [q.column for q in self.questions]

    @property
    def maximum(self) -> float:
        return sum(q.points for q in self.questions)


def load_assignment(name: str, source="solutions", extra_tests=()) -> Assignment:
    """Read the instructor's notebooks and trusted tests of one assignment."""
    folder = Path(source).resolve() / name
    if not folder.is_dir():
        raise GradingError(f"no assignment folder {folder} (run from the course's root folder, "
                           "or give the source directory with --source)")
    paths = sorted(folder.glob("*.ipynb"))
    if not paths:
        raise GradingError(f"{folder} has no notebook")
    notebooks = [submissions.read_instructor_notebook(p) for p in paths]
    for nb in notebooks:
        for q in nb.questions:
            q.column = q.grade_id if len(notebooks) == 1 else f"{Path(nb.name).stem}:{q.grade_id}"
    try:
        tests = judge.load_tests(folder, extra_tests)
    except FileNotFoundError as error:
        raise GradingError(f"{error}: every graded test cell needs a trusted test there") from None
    assignment = Assignment(name, folder, notebooks, tests)
    missing = [q.grade_id for q in assignment.questions if q.grade_id not in tests]
    if missing:
        raise GradingError(f"{folder / judge.TESTS_FILE} has no test for {', '.join(missing)}")
    return assignment


def _worse(current: str, new: str) -> str:
    order = ["graded", "bad-name", "timeout", "crashed", "malformed", "refused"]
    return new if order.index(new) > order.index(current) else current


def grade_submission(folder: submissions.StudentFolder, assignment: Assignment, options: Options) -> Result:
    """Grade one student's folder; the result always has a row, whatever the folder holds."""
    result = Result(student=folder.display, scores={c: 0 for c in assignment.columns},
                    sandbox=options.sandbox, feedback={c: "" for c in assignment.columns})
    if folder.bad_name:
        result.status = "bad-name"
    details = []
    for instructor in assignment.notebooks:
        try:
            nb = submissions.read_submission(folder.path, assignment.name, instructor.name)
        except submissions.Refused as refusal:
            result.status = _worse(result.status, refusal.status)
            details.append(str(refusal))
            for q in instructor.questions:
                result.feedback[q.column] = f"not graded: {refusal}"
            continue
        status, detail = _run_notebook(nb, instructor, assignment, options, result)
        result.status = _worse(result.status, status)
        if detail:
            details.append(detail)
    if folder.bad_name:
        details.insert(0, "the folder name is not plain UTF-8 text; rename it to the student's id")
    if options.sandbox == "off":
        details.insert(0, "UNSANDBOXED (--sandbox off)")
    result.detail = "; ".join(details)
    return result


def _run_notebook(nb, instructor, assignment: Assignment, options: Options, result: Result) -> tuple[str, str]:
    answers = submissions.answer_sources(nb, instructor)
    to_run = submissions.notebook_to_run(nb, instructor)
    isolate = options.sandbox != "off"
    limits = sandbox.Limits(memory_mb=options.memory_mb, processes=options.processes,
                            cpu_seconds=options.notebook_timeout + 60)
    status, details = "graded", []
    with tempfile.TemporaryDirectory(prefix="dlmath-grade-") as temporary:
        os.chmod(temporary, 0o755)
        io = Path(temporary) / "io"
        io.mkdir(mode=0o755)
        nbformat.write(to_run, io / instructor.name)
        sandbox.write_job(io, instructor.name, options.timeout, options.setup_timeout, isolate=isolate)
        for path in io.iterdir():
            os.chmod(path, 0o644)
        deadline = time.monotonic() + options.notebook_timeout
        with sandbox.Sandbox(io, limits, isolate=isolate) as box:
            try:
                executed = box.receive(timeout=deadline - time.monotonic())
            except sandbox.SandboxTimeout:
                executed = {"event": "executed", "cells": [], "crashed": False, "too_long": True}
            except sandbox.SandboxGone:
                executed = {"event": "executed", "cells": [], "crashed": True}
            if executed.get("event") != "executed":
                executed = {"event": "executed", "cells": [], "crashed": True}
            if isinstance(executed.get("notebook"), str) and executed["notebook"]:
                result.notebooks[instructor.name] = executed["notebook"]
            cells = [c for c in executed.get("cells", []) if isinstance(c, dict)]
            slow = [c for c in cells if c.get("status") == "timeout"]
            if slow:
                status = "timeout"
                details.append(f"{len(slow)} cell(s) ran over {options.timeout} s and were interrupted")
            if executed.get("too_long") or executed.get("crashed"):
                if executed.get("too_long"):
                    why, status = f"the notebook took longer than {options.notebook_timeout} s", "timeout"
                else:
                    why = "the kernel died while the notebook ran"
                    if box.out_of_memory():
                        why += f" (it ran out of memory: the limit is {options.memory_mb} MB)"
                    status = "crashed"
                details.append(why)
                for q in instructor.questions:
                    result.feedback[q.column] = f"not graded: {why}"
                return status, "; ".join(details)
            student = judge.Student(box, answers, timeout=options.timeout, deadline=deadline)
            for q in instructor.questions:
                verdict = judge.judge_question(student, assignment.tests.get(q.grade_id, []), assignment.name,
                                               q.grade_id)
                result.scores[q.column] = q.points if verdict.passed else 0
                result.feedback[q.column] = verdict.message
                if verdict.timed_out:
                    status = _worse(status, "timeout")
            if student.lost:
                why = student.lost
                if "died" in why and box.out_of_memory():
                    why += f" (it ran out of memory: the limit is {options.memory_mb} MB)"
                status = _worse(status, "timeout" if "time limit" in why else "crashed")
                details.append(f"{why}; the questions after that score 0")
            timed = [q.column for q in instructor.questions if "ran longer than" in result.feedback[q.column]]
            if timed:
                details.append(f"interrupted in {', '.join(timed)}")
    return status, "; ".join(details)


def grade_class(assignment_name: str, submitted, *, source="solutions", options: Options | None = None,
                out=None, extra_tests=(), progress: bool = True, only=None, resume: bool = False,
                course_file=None, feedback_dir=None, scheduler=None):
    """Grade the student folders of ``submitted``; return ``(results, assignment)``.

    ``only``: grade just these students (by folder or display name) and keep every
    other row of an existing CSV ``out``; ``resume``: keep the rows ``out`` already
    has and grade the others (after an interruption). The CSV is rewritten after
    every student. ``course_file``: apply its late policy (adds the columns
    submitted, penalty, final, late). ``feedback_dir``: write each student's
    feedback there. ``scheduler``: the address of a Dask distributed scheduler,
    whose workers each grade submissions (each in its own sandbox, on the worker).
    Nothing in ``submitted`` or ``source`` is written.
    """
    options = options or Options()
    submitted = Path(submitted)
    if not submitted.is_dir():
        raise GradingError(f"no submissions folder {submitted}")
    if options.sandbox == "on" and scheduler is None:
        _require_sandbox()
    assignment = load_assignment(assignment_name, source, extra_tests)
    course = None
    if course_file is not None:
        from . import late

        try:
            course = late.read_course(course_file)
        except (late.CourseFileError, ValueError, OSError) as error:
            raise GradingError(f"{course_file}: {error}") from None
        if assignment_name not in course.assignments:  # an assignment the course file leaves out has no late policy
            course = None
    folders = submissions.list_student_folders(submitted)
    if not folders:
        raise GradingError(f"{submitted} has no student folders (expected <student>/{assignment_name}/<notebook>.ipynb)")
    kept_rows: dict[str, list[str]] = {}
    if out is not None and (only or resume):
        kept_rows = report.read_rows(out, assignment.columns, late=course is not None)
    if only:
        wanted = set(only)
        unknown = wanted - {f.name for f in folders} - {f.display for f in folders}
        if unknown:
            raise GradingError(f"no student folder {', '.join(sorted(unknown))} in {submitted}")
        folders = [f for f in folders if f.name in wanted or f.display in wanted]
    elif resume:
        folders = [f for f in folders if report.safe_cell(f.display) not in kept_rows]
    for folder in folders:
        kept_rows.pop(report.safe_cell(folder.display), None)
    results: list[Result] = []
    lock = threading.Lock()
    bar = _progress_bar(len(folders), progress)

    def finish(result: Result) -> None:
        with lock:
            if course is not None:
                _apply_late(course, assignment, submitted, result)
            if feedback_dir is not None:
                from . import feedback

                feedback.write(feedback_dir, result, assignment)
            result.notebooks = {}
            results.append(result)
            if out is not None:
                report.write_csv(out, assignment.columns, assignment.maximum, results, late=course is not None,
                                 kept_rows=list(kept_rows.values()))
            if bar is not None:
                failed = [r.student for r in results if r.status not in ("graded", "bad-name")]
                bar.set_postfix_str(f"{len(failed)} not graded normally: {', '.join(failed[-3:])}" if failed else "",
                                    refresh=False)
                bar.update(1)

    try:
        if scheduler is not None:
            _grade_on_cluster(scheduler, folders, assignment_name, source, extra_tests, options, finish)
        elif options.workers <= 1:
            for folder in folders:
                finish(grade_submission(folder, assignment, options))
        else:
            with ThreadPoolExecutor(max_workers=options.workers) as pool:
                futures = [pool.submit(grade_submission, folder, assignment, options) for folder in folders]
                for future in as_completed(futures):
                    finish(future.result())
    finally:
        if bar is not None:
            bar.close()
    return sorted(results, key=lambda r: r.student), assignment


def _require_sandbox() -> None:
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as error:
        raise GradingError(f"cannot build the grading sandbox: {error}. Nothing was graded. "
                           "(`--sandbox off` grades without it, on a machine you can afford to lose; "
                           "every row then says so.)") from None


def _apply_late(course, assignment: Assignment, submitted: Path, result: Result) -> None:
    from . import late

    folder = next((f for f in submissions.list_student_folders(submitted) if f.display == result.student), None)
    if folder is None or result.status in ("refused", "malformed"):
        result.late = {"submitted": "", "penalty": "0", "final": report.number(result.total()), "late": "not graded"}
        return
    try:
        late_result = late.late_result(course, assignment.name, folder.name, folder.path / assignment.name,
                                       raw=result.total(), maximum=assignment.maximum)
        result.late = late_result.row()
    except (late.TimestampError, ValueError, OSError) as error:
        result.late = {"submitted": "", "penalty": "0", "final": report.number(result.total()),
                       "late": f"submission time unreadable ({error}): no penalty"}


@functools.lru_cache(maxsize=8)
def _cached_assignment(name: str, source: str, extra_tests: tuple) -> Assignment:
    return load_assignment(name, source, extra_tests)


def grade_task(path: str, name: str, display: str, bad_name: bool, assignment_name: str, source: str,
               extra_tests: tuple, options: Options) -> Result:
    """One submission, graded on a Dask worker (the worker reads the same course and submissions folders)."""
    if options.sandbox == "on":
        _require_sandbox()
    assignment = _cached_assignment(assignment_name, source, extra_tests)
    folder = submissions.StudentFolder(Path(path), name, display, bad_name)
    return grade_submission(folder, assignment, options)


def _grade_on_cluster(address, folders, assignment_name, source, extra_tests, options, finish) -> None:
    """Each submission one task of a Dask distributed cluster; results come back as they finish."""
    from distributed import Client, as_completed as completed

    with Client(address) as client:
        futures = [client.submit(grade_task, str(f.path), f.name, f.display, f.bad_name, assignment_name,
                                 str(Path(source).resolve()), tuple(str(t) for t in extra_tests), options,
                                 key=f"dlmath-grade-{index}", pure=False, retries=1)
                   for index, f in enumerate(folders)]
        for future in completed(futures):
            finish(future.result())


def _progress_bar(total: int, show: bool):
    if not show:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="student", desc="grading", dynamic_ncols=True)
