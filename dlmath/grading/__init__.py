"""Grade a whole class's submissions with nbgrader, one student at a time, in a sandbox.

    dlmath grade ASSIGNMENT SUBMITTED_DIR --out grades.csv

``SUBMITTED_DIR`` has nbgrader's layout, ``<student>/<ASSIGNMENT>/<notebook>.ipynb``
(``nbgrader zip_collect`` makes it from an LMS download). The result is a CSV
with one row per student: the points of every question (every autograded test
cell), the total, the maximum, a status and a short detail. The statuses:

``graded``     graded normally (the detail may say what was repaired first);
``timeout``    a cell ran longer than the per-cell limit (it was interrupted and
               the rest graded) or the whole notebook took too long (zero);
``crashed``    the kernel died (``os._exit``, a segfault, an abort): zero;
``malformed``  no notebook, or a file that is not a readable notebook: zero;
``tampered``   the submission tried to change how it is graded: changed points in
               its metadata, or code that replaced NumPy, ``dlmath.checks``, a
               builtin or IPython's machinery. It is graded with the original
               tests, points and functions, so it gets the marks of its right
               answers and none for the wrong ones.

How one submission is graded (:func:`grade_submission`, in its own process):

1. The notebook is read from a private copy (submitted files are never
   written). Cells are matched to the assignment by their nbgrader ``grade_id``
   (or, when an editor stripped the metadata, by the test cell's text); test
   cells the student deleted are put back; the points always come from the
   instructor's version.
2. The grader adds *guard cells*: one before the student's first cell records
   the real NumPy, ``dlmath.checks``, builtins and IPython hooks; one before and
   one after every test cell reports and undoes any change to them, so a test
   always runs with the real functions, and a test during which they changed
   scores zero.
3. ``nbgrader autograde`` runs in a course folder of its own (its own copy of
   the gradebook), so students never share state. nbgrader puts back the
   instructor's test cells, hidden tests included.
4. The kernel starts through :func:`sandbox_kernel`, which, where the operating
   system allows it, gives it no network, hides the course folder, the
   submissions and the grader's files from it, runs it as a separate user, and
   limits its memory, file sizes and processes; a cell that runs too long is
   interrupted, and a notebook that takes too long is killed.

The protections and their limits are described for instructors in
``book/instructors.md``.
"""

from __future__ import annotations

import ast
import copy
import csv
import ctypes
import ctypes.util
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import types
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

STATUSES = ("graded", "timeout", "crashed", "malformed", "tampered")

DEFAULT_TIMEOUT = 60            # seconds for one cell
DEFAULT_SETUP_TIMEOUT = 300     # seconds for a cell tagged "setup" (imports TensorFlow, loads data)
DEFAULT_NOTEBOOK_TIMEOUT = 1800  # seconds for a whole submission
DEFAULT_MEMORY_MB = 4096        # data memory of the kernel (RLIMIT_DATA)
MAX_NOTEBOOK_MB = 100           # a larger file is not read
MAX_FILE_MB = 512               # largest file the kernel may write (RLIMIT_FSIZE)
MAX_PROCESSES = 1024            # processes and threads of one student's kernel (separate user only)
GUARD_TIMEOUT = 60              # seconds for a guard cell
GRADER_OVERHEAD = 30            # seconds the grader itself may add to a submission's time (nbgrader, start-up)
SANDBOX_KERNEL = "dlmath-sandbox"
STUDENT = "student"             # the student id inside each private course folder
GUARD_PREFIX = "dlmath-guard"   # first word of every guard cell's report line
UID_BASE = 1_500_000_000        # separate users for the kernels (root only), one block of UID_BLOCK per run
UID_BLOCK = 65536               # so at most this many students in one run


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------

def add_arguments(parser) -> None:
    """Add the options of ``dlmath grade`` to an ``argparse`` parser."""
    parser.description = ("Autograde every submission of ASSIGNMENT with nbgrader, one student at a time in a "
                          "sandbox, and write one CSV row per student.")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="assignment name, e.g. ch01_tensors (a folder of the source directory)")
    parser.add_argument("submitted", metavar="SUBMITTED_DIR",
                        help="submissions laid out as SUBMITTED_DIR/<student>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    parser.add_argument("--source", default="solutions",
                        help="nbgrader source directory holding ASSIGNMENT/ (default: solutions)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help=f"seconds a cell may run before it is interrupted (default: {DEFAULT_TIMEOUT})")
    parser.add_argument("--setup-timeout", type=int, default=DEFAULT_SETUP_TIMEOUT,
                        help=f"seconds for the cell tagged 'setup' (default: {DEFAULT_SETUP_TIMEOUT})")
    parser.add_argument("--notebook-timeout", type=int, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f"seconds for a whole submission before it is stopped (default: {DEFAULT_NOTEBOOK_TIMEOUT})")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"memory limit of a student's kernel in MB (default: {DEFAULT_MEMORY_MB})")
    parser.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2),
                        help="submissions graded at the same time (default: half the CPU cores)")
    parser.add_argument("--sandbox", choices=("auto", "require", "off"), default="auto",
                        help="auto: isolate kernels as far as this machine allows (default); require: refuse to "
                             "grade without network and file isolation; off: no isolation")
    parser.add_argument("--keep", metavar="DIR",
                        help="also copy every graded notebook (with its outputs) to DIR/<student>/<assignment>/")


def main(args) -> int:
    """Run ``dlmath grade``; return 0 when every student got a row."""
    options = Options(timeout=args.timeout, setup_timeout=args.setup_timeout,
                      notebook_timeout=args.notebook_timeout, memory_mb=args.memory, jobs=max(1, args.jobs))
    try:
        results, questions = grade_class(args.assignment, args.submitted, source=args.source, options=options,
                                         sandbox=args.sandbox, keep=args.keep, out=args.out)
    except GradingError as error:
        print(f"dlmath grade: {error}", file=sys.stderr)
        return 2
    write_csv(args.out, questions, results)
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
    print(f"Wrote {args.out}: {len(results)} students ({summary}).")
    students = list_students(Path(args.submitted))
    return 0 if sorted(r.student for r in results) == students else 1


class GradingError(Exception):
    """A problem with the command itself (no such assignment, no submissions, no sandbox)."""


@dataclass
class Options:
    """The limits one submission is graded under."""

    timeout: int = DEFAULT_TIMEOUT
    setup_timeout: int = DEFAULT_SETUP_TIMEOUT
    notebook_timeout: int = DEFAULT_NOTEBOOK_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    jobs: int = 1
    guards: bool = True  # the guard cells (off only to show, in the tests, what they prevent)


@dataclass
class Question:
    """One autograded test cell of the assignment."""

    notebook: str
    grade_id: str
    points: float
    column: str = ""


@dataclass
class Result:
    """One row of the CSV."""

    student: str
    scores: dict = field(default_factory=dict)  # column -> points
    status: str = "graded"
    detail: str = ""

    def total(self) -> float:
        return sum(self.scores.values())


# ---------------------------------------------------------------------------
# Grading a class
# ---------------------------------------------------------------------------

def list_students(submitted: Path) -> list[str]:
    """The student folders of an nbgrader ``submitted`` directory, sorted."""
    return sorted(p.name for p in submitted.iterdir() if p.is_dir() and not p.name.startswith("."))


def grade_class(assignment: str, submitted, *, source="solutions", options: Options | None = None,
                sandbox: str = "auto", keep=None, out=None, progress: bool = True):
    """Grade every student folder of ``submitted``; return ``(results, questions)``.

    Results are sorted by student. Nothing in ``submitted`` or ``source`` is written.
    """
    options = options or Options()
    source = Path(source).resolve()
    submitted = Path(submitted).resolve()
    if not (source / assignment).is_dir():
        raise GradingError(f"no assignment folder {source / assignment} (run from the course's root folder, "
                           "or give the source directory with --source)")
    if not submitted.is_dir():
        raise GradingError(f"no submissions folder {submitted}")
    students = list_students(submitted)
    if not students:
        raise GradingError(f"{submitted} has no student folders (expected <student>/{assignment}/<notebook>.ipynb)")
    mode = sandbox_mode(sandbox)
    if mode == "none" and sandbox != "off":
        print("dlmath grade: warning: this machine does not allow isolating the kernels (no root and no user "
              "namespaces): students' code can use the network and read your files. Only memory, time and file "
              "sizes are limited.", file=sys.stderr)
    uids = free_uid_block(len(students)) if mode == "root" else None
    work = work_folder()
    debug = bool(os.environ.get("DLMATH_GRADE_KEEP_WORK"))  # developers: keep the work folder to inspect it
    try:
        master = prepare_assignment(assignment, source, work / "master")
        hidden = hidden_paths(source, submitted, keep, out, work)
        results: dict[str, Result] = {}
        from tqdm.auto import tqdm

        with ThreadPoolExecutor(max_workers=options.jobs) as pool, \
                tqdm(total=len(students), desc=f"grading {assignment}", unit="student", disable=not progress) as bar:
            futures = {}
            for index, student in enumerate(students):
                job = {
                    "student": student, "index": index, "assignment": assignment, "master": str(work / "master"),
                    "submission": str(submitted / student / assignment), "options": asdict(options),
                    "mode": mode, "hidden": hidden, "keep": str(Path(keep).resolve()) if keep else None,
                    "uid": uids + index if uids is not None else None,
                }
                futures[pool.submit(run_job, work / "students" / f"{index:05d}", job, master)] = student
            for future in as_completed(futures):
                student = futures[future]
                try:
                    results[student] = future.result()
                except Exception as error:  # a bug in the grader: still give the student a row
                    results[student] = Result(student, {q.column: 0.0 for q in master.questions}, "crashed",
                                              f"the grader failed ({type(error).__name__}); grade by hand")
                bar.update(1)
                counts = {}
                for result in results.values():
                    counts[result.status] = counts.get(result.status, 0) + 1
                bar.set_postfix_str(", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        return [results[s] for s in sorted(results)], master.questions
    finally:
        if debug:
            print(f"dlmath grade: work folder kept: {work}", file=sys.stderr)
        else:
            remove_tree(work)


def work_folder() -> Path:
    """A new private temporary folder, with a path short enough for the kernels' Unix sockets in it.

    (A socket's path must fit in 108 bytes; a long ``TMPDIR`` falls back to ``/tmp``, and so
    does one that the kernels' own users could not pass through.)
    """
    base = tempfile.gettempdir()
    folders = [Path(base).resolve(), *Path(base).resolve().parents]
    passable = all(f.stat().st_mode & 0o001 for f in folders)
    if (len(base) > 40 or not passable) and os.path.isdir("/tmp") and os.access("/tmp", os.W_OK):
        base = "/tmp"
    return Path(tempfile.mkdtemp(prefix="dlmath-grade-", dir=base))


def free_uid_block(count: int) -> int:
    """The first of ``count`` user ids that no process uses, for one run's kernels (root mode).

    Each run takes a block of its own, so that two gradings at once (two
    instructors, or the tests) never share a user: the grader kills every
    process of a student's user when that student is done.
    """
    if count > UID_BLOCK:
        raise GradingError(f"at most {UID_BLOCK} students in one run")
    in_use = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            in_use.add(os.stat(f"/proc/{pid}").st_uid)
        except OSError:
            pass
    blocks = (2**32 - 2 - UID_BASE) // UID_BLOCK
    for _ in range(100):
        first = UID_BASE + secrets.randbelow(blocks) * UID_BLOCK
        if not any(first <= uid < first + UID_BLOCK for uid in in_use):
            return first
    raise GradingError("found no free block of user ids for the kernels")


def write_csv(path, questions: list[Question], results: list[Result]) -> None:
    """One row per student: points per question, total, maximum, status, detail. Sorted, no timestamps."""
    maximum = sum(q.points for q in questions)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["student", *[q.column for q in questions], "total", "max", "status", "detail"])
        for result in sorted(results, key=lambda r: r.student):
            scores = [number(result.scores.get(q.column, 0.0)) for q in questions]
            writer.writerow([result.student, *scores, number(result.total()), number(maximum),
                             result.status, result.detail])


def number(x: float) -> str:
    """Points as text: ``2``, ``0.5``."""
    return f"{float(x):g}"


# ---------------------------------------------------------------------------
# The assignment: generate it once, into a private course folder
# ---------------------------------------------------------------------------

@dataclass
class Assignment:
    name: str
    root: Path                  # private course folder: source/, release/, gradebook.db
    notebooks: list[str]        # notebook names (without .ipynb), sorted
    questions: list[Question]


def nbgrader_env() -> dict:
    """The environment nbgrader needs: its ``alembic`` command is next to this Python."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def course_config(root: Path, source: Path | None = None):
    """An nbgrader configuration for a private course folder ``root``.

    It starts from the course's own ``nbgrader_config.py`` (next to the source
    directory), so the stubs in the student version are the course's, and then
    points every directory and the gradebook into ``root``.
    """
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if source is not None and (source.parent / "nbgrader_config.py").is_file():
        loader = PyFileConfigLoader("nbgrader_config.py", path=str(source.parent))
        config.merge(loader.load_config())
    config.CourseDirectory.root = str(root)
    config.CourseDirectory.source_directory = "source"
    config.CourseDirectory.release_directory = "release"
    config.CourseDirectory.submitted_directory = "submitted"
    config.CourseDirectory.autograded_directory = "autograded"
    config.CourseDirectory.feedback_directory = "feedback"
    config.CourseDirectory.db_url = "sqlite:///" + str(root / "gradebook.db")
    config.CourseDirectory.course_id = "dlmath"
    return config


def prepare_assignment(name: str, source: Path, root: Path) -> Assignment:
    """Run ``nbgrader generate_assignment`` for ``source/name`` in ``root``; read its questions."""
    root.mkdir(parents=True)
    shutil.copytree(source / name, root / "source" / name, symlinks=False,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    config = course_config(root, source)
    (root / "config.json").write_text(json.dumps({"source": str(source)}))
    from nbgrader.apps import NbGraderAPI

    old_path = os.environ.get("PATH", "")
    os.environ["PATH"] = nbgrader_env()["PATH"]
    try:
        result = NbGraderAPI(config=config).generate_assignment(name, force=True, create=True)
    finally:
        os.environ["PATH"] = old_path
    if not result["success"]:
        raise GradingError(f"nbgrader generate_assignment {name} failed:\n{result.get('log', '')}"
                           f"{result.get('error', '')}")
    import nbformat

    notebooks = sorted(p.stem for p in (root / "release" / name).glob("*.ipynb"))
    questions = []
    for notebook in notebooks:
        nb = nbformat.read(root / "release" / name / f"{notebook}.ipynb", as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code" and not meta.get("solution"):
                column = meta["grade_id"] if len(notebooks) == 1 else f"{notebook}:{meta['grade_id']}"
                questions.append(Question(notebook, meta["grade_id"], float(meta.get("points", 0)), column))
    if not questions:
        raise GradingError(f"{name} has no autograded test cells")
    return Assignment(name, root, notebooks, questions)


def hidden_paths(source: Path, submitted: Path, keep, out, work: Path) -> dict:
    """What a student's kernel must not see: the course folder, your home folder, the submissions, the grader."""
    folders = [source.parent, source, submitted, work, Path.home()]
    if keep:
        folders.append(Path(keep))
    files = []
    if out:
        files.append(Path(out))
    return {"folders": sorted({str(p.resolve()) for p in folders}),
            "files": sorted({str(p.resolve()) for p in files})}


# ---------------------------------------------------------------------------
# One student, in its own process
# ---------------------------------------------------------------------------

def run_job(folder: Path, job: dict, master: Assignment) -> Result:
    """Grade one student in a child process (``python -m dlmath.grading --grade-one``) and read its result."""
    folder.mkdir(parents=True)
    job_file = folder / "job.json"
    job_file.write_text(json.dumps(job))
    options = Options(**job["options"])
    zeros = {q.column: 0.0 for q in master.questions}
    command = [sys.executable, "-m", "dlmath.grading", "--grade-one", str(job_file)]
    with open(folder / "grader.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True, env=nbgrader_env(), cwd=folder)
        try:
            process.wait(timeout=options.notebook_timeout + GRADER_OVERHEAD)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            stop_job(process, folder)
    if job["mode"] == "root":
        kill_user(job["uid"])
    if timed_out:
        return Result(job["student"], zeros, "timeout",
                      f"the notebook did not finish within {options.notebook_timeout} s and was stopped")
    result_file = folder / "result.json"
    if not result_file.is_file():
        return Result(job["student"], zeros, "crashed",
                      f"the grader failed on this submission (exit status {process.returncode}); grade by hand")
    data = json.loads(result_file.read_text())
    scores = {q.column: float(data["scores"].get(q.column, 0.0)) for q in master.questions}
    return Result(job["student"], scores, data["status"], data["detail"])


def stop_job(process: subprocess.Popen, folder: Path) -> None:
    """Stop a submission that ran too long: its grader process group, then its kernel (own session)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()
    pid_file = folder / "kernel.pid"
    if pid_file.is_file():
        try:
            pid = int(pid_file.read_text())
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (ValueError, OSError):
            return
        if str(folder / "runtime").encode() in command:  # still that student's kernel, not a reused pid
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def kill_user(uid: int) -> None:
    """Kill every process of a kernel's own user (root mode): nothing a student started outlives grading."""
    # kill(-1) signals every process the caller may signal: that user's, except the caller itself
    subprocess.run(["/bin/sh", "-c", "kill -KILL -1"], user=uid, group=uid, extra_groups=[], cwd="/",
                   env={"PATH": "/usr/bin:/bin"}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


def grade_one_main(job_file: str) -> int:
    """Entry point of the child process: grade one submission and write ``result.json`` next to the job."""
    folder = Path(job_file).parent
    job = json.loads(Path(job_file).read_text())
    os.umask(0o077)
    # jupyter_client writes the kernel's connection file with tempfile: keep it in the student's folder
    runtime = folder / "runtime"
    runtime.mkdir(exist_ok=True)
    os.environ["TMPDIR"] = str(runtime)
    tempfile.tempdir = str(runtime)
    limit = (max(job["options"]["memory_mb"], 2048) + 1024) * 1024 * 1024
    set_limit("RLIMIT_DATA", limit)
    result = grade_submission(folder, job)
    (folder / "result.json").write_text(json.dumps(result))
    return 0


def grade_submission(folder: Path, job: dict) -> dict:
    """Grade one submission inside ``folder``; return ``{"scores", "status", "detail"}``."""
    import nbformat

    master_root = Path(job["master"])
    assignment = job["assignment"]
    options = Options(**job["options"])
    release = {p.stem: nbformat.read(p, as_version=4) for p in sorted((master_root / "release" / assignment).glob("*.ipynb"))}
    sources = {p.stem: nbformat.read(p, as_version=4) for p in sorted((master_root / "source" / assignment).glob("*.ipynb"))}
    columns = {}
    for notebook, nb in release.items():
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and cell.cell_type == "code" and not meta.get("solution"):
                columns[(notebook, meta["grade_id"])] = meta["grade_id"] if len(release) == 1 \
                    else f"{notebook}:{meta['grade_id']}"
    scores = {column: 0.0 for column in columns.values()}
    notes, tamper_notes, statuses = [], [], []

    # 1. read and repair each notebook, on a private copy
    course = folder / "course"
    submitted_dir = course / "submitted" / STUDENT / assignment
    submitted_dir.mkdir(parents=True)
    shutil.copy(master_root / "gradebook.db", course / "gradebook.db")
    shutil.copytree(master_root / "source" / assignment, course / "source" / assignment,
                    ignore=shutil.ignore_patterns("*.ipynb"))
    submission = Path(job["submission"])
    guards: dict[str, dict] = {}
    cell_names: dict[str, list] = {}
    readable = []
    for notebook in release:
        path = submission / f"{notebook}.ipynb"
        nb, problem = read_submission(path)
        if problem:
            notes.append(f"{notebook}.ipynb: {problem}")
            continue
        nb, repair_notes, repair_tamper = repair_notebook(nb, release[notebook], sources[notebook])
        notes.extend(repair_notes)
        tamper_notes.extend(repair_tamper)
        if options.guards:
            nb, guards[notebook], cell_names[notebook] = add_guards(nb, sources[notebook], secrets.token_hex(8))
        else:
            guards[notebook] = {"nonce": "", "cells": []}
            cell_names[notebook] = [(c.metadata.get("nbgrader", {}).get("grade_id") or f"cell {i + 1}", c.source)
                                    for i, c in enumerate(nb.cells)]
        nbformat.write(nb, submitted_dir / f"{notebook}.ipynb")
        readable.append(notebook)
    if not readable:
        return {"scores": scores, "status": "malformed", "detail": "; ".join(notes)}
    # files the student added next to the notebook (data, a helper module), never links
    if submission.is_dir():
        copy_student_files(submission, submitted_dir, set(release))

    # 2. nbgrader autograde, with the kernel started in the sandbox
    outcome = autograde(folder, course, job, options, cell_names)
    if outcome["error"]:
        status = outcome["error"]["status"]
        detail = "; ".join([outcome["error"]["detail"], *notes, *tamper_notes])
        return {"scores": scores, "status": status, "detail": detail}

    # 3. scores from nbgrader's gradebook, checked against the guards' reports
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "gradebook.db"), "dlmath") as gradebook:
        submission_row = gradebook.find_submission(assignment, STUDENT)
        for notebook_row in submission_row.notebooks:
            for grade in notebook_row.grades:
                column = columns.get((notebook_row.name, grade.name))
                if column is not None:
                    scores[column] = float(grade.score or 0.0)
    timeouts = []
    for notebook in readable:
        path = course / "autograded" / STUDENT / assignment / f"{notebook}.ipynb"
        graded = nbformat.read(path, as_version=4)
        report = read_guards(graded, guards[notebook])
        tamper_notes.extend(report["changes"])
        for grade_id in report["void"]:
            column = columns[(notebook, grade_id)]
            if scores[column]:
                scores[column] = 0.0
        timeouts.extend(timed_out_cells(graded, cell_names[notebook]))
        notes.extend(stderr_zeros(graded))
        if job.get("keep"):
            keep_dir = Path(job["keep"]) / job["student"] / assignment
            keep_dir.mkdir(parents=True, exist_ok=True)
            nbformat.write(strip_guards(graded, guards[notebook]), keep_dir / f"{notebook}.ipynb")
    if tamper_notes:
        statuses.append("tampered")
    if timeouts:
        statuses.append("timeout")
        notes.insert(0, f"interrupted at the time limit ({options.timeout} s a cell): " + ", ".join(timeouts))
    if len(readable) < len(release):
        statuses.append("malformed")
    status = next((s for s in ("malformed", "tampered", "timeout") if s in statuses), "graded")
    return {"scores": scores, "status": status, "detail": "; ".join([*tamper_notes, *notes])}


def read_submission(path: Path):
    """Return ``(notebook, None)``, or ``(None, why it cannot be graded)``."""
    import nbformat

    if path.is_symlink() or not path.is_file():
        return None, "not submitted"
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_MB * 1024 * 1024:
        return None, f"the file is larger than {MAX_NOTEBOOK_MB} MB"
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, "the file is not text (UTF-8)"
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as error:
        message = str(error).split(":")[0] if isinstance(error, ValueError) else "nested too deeply"
        return None, f"the file is not valid JSON ({message}); was it saved completely?"
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        return None, "the file is JSON but not a notebook"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several kinds of errors for broken notebooks
        return None, f"the file is not a valid notebook ({type(error).__name__})"
    return nb, None


def copy_student_files(submission: Path, target: Path, notebooks: set[str]) -> None:
    """Copy the regular files a student put next to the notebook (no links, no other notebooks, small)."""
    for path in sorted(submission.rglob("*")):
        relative = path.relative_to(submission)
        if path.is_symlink() or not path.is_file() or ".ipynb_checkpoints" in relative.parts:
            continue
        if path.suffix == ".ipynb" or path.stat().st_size > MAX_NOTEBOOK_MB * 1024 * 1024:
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


# ---------------------------------------------------------------------------
# Matching a submission to the assignment
# ---------------------------------------------------------------------------

def _normalise(source: str) -> str:
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def repair_notebook(nb, release_nb, source_nb=None):
    """Match the cells of a submitted notebook to the assignment; return ``(notebook, notes, tamper_notes)``.

    * A test cell is found by its ``grade_id``; when an editor stripped the
      nbgrader metadata, by its text (the student's copy of the test).
    * A test cell that cannot be found is put back after the cell that
      precedes it in the assignment.
    * Every matched cell gets the instructor's nbgrader metadata (so its points,
      its lock and its type are the instructor's); points changed by the
      student are reported as tampering.
    * nbgrader metadata on cells that are not part of the assignment, and on
      second copies of a cell, is removed, so those cells are ordinary code.
    """
    nb = copy.deepcopy(nb)
    notes, tamper = [], []
    release_cells = {}
    order = []
    for cell in release_nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if "grade_id" in meta:
            release_cells[meta["grade_id"]] = cell
            order.append(meta["grade_id"])
    tests = [g for g in order if is_test(release_cells[g])]
    # a test cell is unchanged if it reads as the student's version or as the instructor's (hidden tests and all)
    allowed_text = {g: {_normalise(release_cells[g].source)} for g in tests}
    for cell in (source_nb.cells if source_nb is not None else []):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in allowed_text:
            allowed_text[grade_id].add(_normalise(cell.source))

    seen = set()
    unknown = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader")
        if not isinstance(meta, dict):
            cell.metadata.pop("nbgrader", None)
            continue
        grade_id = meta.get("grade_id")
        if grade_id not in release_cells or grade_id in seen:
            if grade_id not in release_cells and meta.get("grade"):
                unknown.append(str(grade_id))
            cell.metadata.pop("nbgrader")
            continue
        seen.add(grade_id)
        original = release_cells[grade_id]
        wanted = original.metadata["nbgrader"]
        if wanted.get("grade") and meta.get("points") != wanted.get("points"):
            try:
                changed = float(meta.get("points")) != float(wanted.get("points"))
            except (TypeError, ValueError):
                changed = True
            if changed:
                tamper.append(f"points of {grade_id} changed from {number(wanted['points'])} to {meta.get('points')!r}")
        if is_test(original) and _normalise(cell.source) not in allowed_text[grade_id]:
            tamper.append(f"test cell {grade_id} was edited (graded with the original)")
        restore_cell(cell, original)
    if unknown:
        notes.append("ignored graded cells that are not in the assignment: " + ", ".join(sorted(unknown)))

    matched_by_text = []
    for grade_id in tests:
        if grade_id in seen:
            continue
        for cell in nb.cells:
            if cell.cell_type == "code" and "nbgrader" not in cell.metadata \
                    and _normalise(cell.source) in allowed_text[grade_id]:
                restore_cell(cell, release_cells[grade_id])
                seen.add(grade_id)
                matched_by_text.append(grade_id)
                break
    if matched_by_text:
        notes.append("nbgrader metadata was missing; found " + ", ".join(matched_by_text) + " by their text")

    put_back = []
    for grade_id in tests:
        if grade_id in seen:
            continue
        position = len(nb.cells)
        for previous in reversed(order[: order.index(grade_id)]):
            index = next((i for i, c in enumerate(nb.cells)
                          if c.metadata.get("nbgrader", {}).get("grade_id") == previous), None)
            if index is not None:
                position = index + 1
                break
        nb.cells.insert(position, copy.deepcopy(release_cells[grade_id]))
        seen.add(grade_id)
        put_back.append(grade_id)
    if put_back:
        notes.append("missing test cells were put back: " + ", ".join(put_back))

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata["kernelspec"] = copy.deepcopy(release_nb.metadata.get("kernelspec", {"name": "python3"}))
    return nb, notes, tamper


def is_test(cell) -> bool:
    """An autograded test cell: graded, not an answer, code."""
    meta = cell.metadata.get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def restore_cell(cell, original) -> None:
    """Give a submitted cell the instructor's nbgrader metadata and cell type."""
    cell.metadata["nbgrader"] = copy.deepcopy(original.metadata["nbgrader"])
    for key in ("deletable", "editable"):
        if key in original.metadata:
            cell.metadata[key] = original.metadata[key]
    if cell.cell_type != original.cell_type:
        cell.cell_type = original.cell_type
        if original.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)


# ---------------------------------------------------------------------------
# Guard cells: added around the tests, run in the student's kernel
# ---------------------------------------------------------------------------

GUARD_HEADER = "# Added by `dlmath grade` (not part of the assignment): checks that the graded functions are real."


def instructor_imports(source_nb) -> dict:
    """Names the instructor's cells import: ``{"np": ["numpy", None], "check_array": ["dlmath.checks", "check_array"]}``."""
    names = {}
    for cell in source_nb.cells:
        if cell.cell_type != "code" or cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        try:
            tree = ast.parse(strip_magics(cell.source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        names[alias.asname] = [alias.name, None]
                    else:
                        top = alias.name.split(".")[0]
                        names[top] = [top, None]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    if alias.name != "*":
                        names[alias.asname or alias.name] = [node.module, alias.name]
    return names


def strip_magics(source: str) -> str:
    """Source with IPython's ``%`` and ``!`` lines made ``pass`` (same indentation), for ``ast.parse``."""
    lines = []
    for line in source.splitlines():
        stripped = line.lstrip()
        lines.append(line[: len(line) - len(stripped)] + "pass" if stripped.startswith(("%", "!")) else line)
    return "\n".join(lines)


def used_names(source: str) -> set[str]:
    """Every name a cell's code mentions."""
    return free_and_bound_names(source)[0] | free_and_bound_names(source)[1]


def free_and_bound_names(source: str) -> tuple[set[str], set[str]]:
    """``(names the cell reads but never binds, names it binds)``, top level and inside functions alike."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return set(), set()
    loaded, bound = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return loaded - bound, bound


def add_guards(nb, source_nb, nonce: str):
    """Insert the guard cells; return ``(notebook, guards, cell_names)``.

    ``guards`` describes every guard cell (``phase``, ``test``, ``position``);
    ``cell_names`` names every cell of the new notebook for messages
    (``("ex1_answer", source)``, ``("cell 7", source)``, ``("grader check", source)``).

    The guard before a test also protects the names the test reads without
    binding them itself: those the instructor imported (``np``,
    ``check_array``), and those an earlier test cell defined (a helper
    function), which the guard after that test remembers.
    """
    nb = copy.deepcopy(nb)
    imports = instructor_imports(source_nb)
    full_source = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
                   if "grade_id" in c.metadata.get("nbgrader", {})}
    cells = []
    names = []
    guards = {"nonce": nonce, "cells": []}
    defined_by_tests: set[str] = set()

    def guard(phase: str, test: str | None, protected: dict, remember: list[str]) -> None:
        index = len(guards["cells"])
        arguments = repr(dict(sorted(protected.items())))
        cell = _new_code_cell(f"{GUARD_HEADER}\n__import__('dlmath.grading').grading.guard({nonce!r}, {index}, "
                              f"{phase!r}, {arguments}, {sorted(remember)!r})")
        cell.metadata["dlmath_guard"] = index
        cells.append(cell)
        names.append(("grader check", cell.source))
        guards["cells"].append({"phase": phase, "test": test, "position": len(cells) - 1})

    guard("start", None, {}, [])
    number_of_cell = 0
    for cell in nb.cells:
        number_of_cell += 1
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        test = is_test(cell)
        if test:
            free, bound = free_and_bound_names(full_source.get(grade_id, cell.source))
            protected = {n: imports[n] for n in free if n in imports}
            protected.update({n: [TEST_DEFINED, None] for n in free if n in defined_by_tests and n not in imports})
            guard("before", grade_id, protected, [])
        cells.append(cell)
        names.append((grade_id or f"cell {number_of_cell}", cell.source))
        if test:
            guard("after", grade_id, {}, sorted(bound))
            defined_by_tests |= bound
    nb.cells = cells
    return nb, guards, names


TEST_DEFINED = "<test cell>"  # in a guard's protected names: defined by an earlier test cell


def _new_code_cell(source: str):
    import nbformat

    cell = nbformat.v4.new_code_cell(source)
    cell.id = "dlmath-guard-" + secrets.token_hex(4)
    return cell


def read_guards(graded_nb, guards: dict) -> dict:
    """Read the guard cells' reports from an autograded notebook.

    Returns ``{"changes": [...], "void": {grade_id, ...}}``: what the student's
    code changed, and the tests whose result cannot be trusted (something
    changed while they ran, or a guard around them did not report).
    """
    nonce = guards["nonce"]
    changes, void = [], set()
    pattern = re.compile(rf"^{GUARD_PREFIX} {nonce} (\d+) (\w+) (.*)$", re.MULTILINE)
    guard_cells = [c for c in graded_nb.cells if c.cell_type == "code" and c.source.startswith(GUARD_HEADER)]
    if len(guard_cells) != len(guards["cells"]):
        return {"changes": ["the grader's check cells were changed"], "void": {g["test"] for g in guards["cells"] if g["test"]}}
    for index, (cell, info) in enumerate(zip(guard_cells, guards["cells"])):
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                       and o.get("name") == "stdout")
        timed_out = any(o.get("output_type") == "error" and o.get("ename") == "CellTimeoutError"
                        for o in cell.get("outputs", []))
        reports = [m for m in pattern.finditer(text) if int(m.group(1)) == index]
        if timed_out or cell.get("execution_count") is None and not cell.get("outputs"):
            if info["test"]:
                void.add(info["test"])
            continue
        if len(reports) != 1 or reports[0].group(2) != info["phase"]:
            changes.append("a grader check did not run as written" + (f" (near {info['test']})" if info["test"] else ""))
            if info["test"]:
                void.add(info["test"])
            continue
        found = json.loads(reports[0].group(3))
        for item in found:
            where = {"start": "", "before": f" before {info['test']}", "after": f" while {info['test']} ran"}[info["phase"]]
            changes.append(f"replaced {item}{where}")
        if found and info["phase"] == "after":
            void.add(info["test"])
    unique = list(dict.fromkeys(changes))
    return {"changes": unique, "void": void}


def stderr_zeros(graded_nb) -> list[str]:
    """Explain the test cells nbgrader scored zero only because something wrote to stderr (a warning)."""
    notes = []
    for cell in graded_nb.cells:
        if not is_test(cell):
            continue
        kinds = [(o.get("output_type"), o.get("name")) for o in cell.get("outputs", [])]
        if ("stream", "stderr") in kinds and not any(kind == "error" for kind, _ in kinds):
            notes.append(f"{cell.metadata['nbgrader']['grade_id']} scored zero because it wrote to stderr "
                         "(a warning from the answer's code?)")
    return notes


def strip_guards(nb, guards: dict):
    """The notebook without the grader's guard cells (what is kept for the instructor)."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if not (c.cell_type == "code" and c.source.startswith(GUARD_HEADER))]
    return nb


def timed_out_cells(graded_nb, names: list) -> list[str]:
    """The cells (by name) that were interrupted after the per-cell timeout."""
    found = []
    for index, cell in enumerate(graded_nb.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") == "CellTimeoutError":
                name = names[index][0] if index < len(names) else f"cell {index + 1}"
                if name != "grader check" and name not in found:
                    found.append(name)
    return found


# The code below runs inside the student's kernel (guard cells call ``guard``).

_GUARD_STATE = {}
# Modules whose every attribute is recorded: all of NumPy and dlmath, the builtins, math.
PROTECTED_PREFIXES = ("numpy", "dlmath")
PROTECTED_MODULES = ("builtins", "math", "operator", "tensorflow", "tensorflow.debugging", "tensorflow.math",
                     "keras", "keras.ops")
# Hooks that libraries install on purpose (a figure backend, widgets) are not tampering.
ALLOWED_HOOK_MODULES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets", "comm",
                        "tensorflow", "keras", "tqdm", "dlmath", "jupyter", "debugpy")
_MISSING = object()
# ipykernel rebinds these on every execution (to forward input() to the front end)
KERNEL_MANAGED = {("builtins", "input"), ("builtins", "raw_input")}
MODULE_HOUSEKEEPING = {"__builtins__", "__loader__", "__spec__", "__cached__", "__file__", "__path__", "__package__",
                       "__name__", "__doc__", "__warningregistry__"}


def guard(nonce: str, index: int, phase: str, protected: dict, remember: list = ()) -> None:
    """Run by a guard cell in the student's kernel: record (``start``), or report and undo changes.

    Prints one line ``dlmath-guard NONCE INDEX PHASE [changes]`` that the grader reads.
    ``protected`` maps names the next test uses to what the instructor imported
    under them (or to an earlier test cell's definition); a student's cell that
    rebound one is undone as well. ``remember`` names what the test just run
    defined, for the later tests.
    """
    if phase == "start":
        state = {"nonce": nonce, "modules": {}, "stdout": sys.stdout, "remembered": {}}
        _record_modules(state)
        state["shell"] = _shell_state()
        _GUARD_STATE.clear()
        _GUARD_STATE.update(state)
        changes = []
    else:
        state = _GUARD_STATE
        changes = _restore_modules(state) + _restore_shell(state["shell"]) + _restore_names(state, protected)
        _record_modules(state)  # modules imported since (TensorFlow in the setup cell)
        namespace = state["shell"]["shell"].user_ns
        for name in remember:
            if name in namespace:
                state["remembered"][name] = namespace[name]
    _scrub_history(nonce)
    stream = state.get("stdout") or sys.stdout
    stream.write(f"{GUARD_PREFIX} {nonce} {index} {phase} {json.dumps(sorted(set(changes)))}\n")
    stream.flush()


def _protected(name: str) -> bool:
    return name in PROTECTED_MODULES or any(name == p or name.startswith(p + ".") for p in PROTECTED_PREFIXES)


def _record_modules(state: dict) -> None:
    """Remember every attribute of the protected modules not yet recorded, and every function's code."""
    if "numpy" not in state["modules"]:
        import dlmath.checks  # noqa: F401  (imported here so they are recorded before any student code)
        import numpy.testing  # noqa: F401
    for name, module in list(sys.modules.items()):
        if module is None or name in state["modules"] or not _protected(name):
            continue
        entries = dict(vars(module))
        code = {attr: (value.__code__, value.__defaults__, value.__kwdefaults__)
                for attr, value in entries.items() if isinstance(value, types.FunctionType)}
        classes = {attr: dict(vars(value)) for attr, value in entries.items()
                   if isinstance(value, type) and getattr(value, "__module__", "").startswith("dlmath")}
        state["modules"][name] = (module, entries, code, classes)


def _changed(old, new) -> bool:
    return old is not new


def _restore_modules(state: dict) -> list[str]:
    """Undo replaced module attributes, function code and ``sys.modules`` entries; return what changed."""
    changes = []
    for name, (module, entries, code, classes) in state["modules"].items():
        if sys.modules.get(name, module) is not module:
            changes.append(f"sys.modules[{name!r}]")
            sys.modules[name] = module
        namespace = vars(module)
        for attr, value in entries.items():
            if attr in MODULE_HOUSEKEEPING or (name, attr) in KERNEL_MANAGED:
                continue
            current = namespace.get(attr, _MISSING)
            if _changed(value, current) and _is_protectable(value):
                changes.append(f"{name}.{attr}")
                namespace[attr] = value
        for attr, (function_code, defaults, kwdefaults) in code.items():
            function = entries[attr]
            if (function.__code__ is not function_code or function.__defaults__ is not defaults
                    or function.__kwdefaults__ is not kwdefaults):
                changes.append(f"{name}.{attr}")
                function.__code__, function.__defaults__, function.__kwdefaults__ = function_code, defaults, kwdefaults
        for attr, class_dict in classes.items():
            cls = entries[attr]
            for key in set(vars(cls)) | set(class_dict):
                if key in ("__dict__", "__weakref__", "__doc__"):
                    continue
                old, new = class_dict.get(key, _MISSING), vars(cls).get(key, _MISSING)
                if _changed(old, new):
                    changes.append(f"{name}.{attr}.{key}")
                    if old is _MISSING:
                        delattr(cls, key)
                    else:
                        setattr(cls, key, old)
    return changes


def _is_protectable(value) -> bool:
    """Functions, classes, modules and other callables are protected; data (caches, counters) is not.

    Lazy loaders (module stand-ins such as ``tf.keras`` before its first use)
    replace themselves with the real module when first used: they are not protected.
    """
    if isinstance(value, types.ModuleType):
        return type(value) is types.ModuleType
    return callable(value)


def _hook_allowed(hook) -> bool:
    module = getattr(hook, "__module__", None) or type(hook).__module__ or ""
    return module.split(".")[0] in ALLOWED_HOOK_MODULES


def _shell_state() -> dict:
    """What IPython and the kernel run code with: transformers, hooks, handlers, methods."""
    shell = get_ipython()  # noqa: F821 (IPython's builtin in a kernel)
    kernel = getattr(shell, "kernel", None)
    state = {
        "shell": shell,
        "lists": {name: (getattr(shell, name), list(getattr(shell, name))) for name in
                  ("input_transformers_cleanup", "input_transformers_post", "ast_transformers")},
        "transformer_manager": shell.input_transformer_manager,
        "events": {event: list(callbacks) for event, callbacks in shell.events.callbacks.items()},
        "custom": (shell.custom_exceptions, shell.CustomTB),
        "sys": {name: getattr(sys, name) for name in ("displayhook", "stdout", "stderr")},
        "instance": {id(obj): (obj, dict(vars(obj))) for obj in (shell, kernel) if obj is not None},
        "classes": {},
        "handlers": dict(kernel.shell_handlers) if kernel is not None else {},
    }
    for obj in (shell, kernel):
        for cls in type(obj).__mro__ if obj is not None else ():
            if cls.__module__.split(".")[0] in ("IPython", "ipykernel"):
                state["classes"][cls] = {k: v for k, v in vars(cls).items() if isinstance(v, types.FunctionType)}
    return state


def _restore_shell(state: dict) -> list[str]:
    """Undo changes to IPython's transformers, hooks, handlers and methods; return what changed."""
    changes = []
    shell = state["shell"]
    for name, (original, saved) in state["lists"].items():
        current = getattr(shell, name)
        extra = [item for item in current if not any(item is s for s in saved) and not _hook_allowed(item)]
        missing = [item for item in saved if not any(item is c for c in current)]
        if extra or missing or current is not original:
            changes.append(f"IPython {name}")
            original[:] = [item for item in current if not any(item is e for e in extra)] + missing
            setattr(shell, name, original)
    if shell.input_transformer_manager is not state["transformer_manager"]:
        changes.append("IPython input_transformer_manager")
        shell.input_transformer_manager = state["transformer_manager"]
    for event, saved in state["events"].items():
        current = shell.events.callbacks.setdefault(event, [])
        extra = [c for c in current if not any(c is s or c == s for s in saved) and not _hook_allowed(c)]
        if extra:
            changes.append(f"IPython {event} event")
            current[:] = [c for c in current if not any(c is e for e in extra)]
    if (shell.custom_exceptions, shell.CustomTB) != state["custom"]:
        changes.append("IPython custom exception handler")
        shell.custom_exceptions, shell.CustomTB = state["custom"]
    for name, value in state["sys"].items():
        if getattr(sys, name) is not value:
            changes.append(f"sys.{name}")
            setattr(sys, name, value)
    if sys.gettrace() is not None:
        changes.append("sys.settrace")
        sys.settrace(None)
    if sys.getprofile() is not None:
        changes.append("sys.setprofile")
        sys.setprofile(None)
    for obj, saved in state["instance"].values():
        for key, value in list(vars(obj).items()):
            method = any(isinstance(vars(cls).get(key), types.FunctionType) for cls in type(obj).__mro__)
            if method and saved.get(key, _MISSING) is not value:
                changes.append(f"{type(obj).__name__}.{key}")
                if key in saved:
                    vars(obj)[key] = saved[key]
                else:
                    del vars(obj)[key]
    for cls, saved in state["classes"].items():
        for key, value in saved.items():
            if vars(cls).get(key, _MISSING) is not value:
                changes.append(f"{cls.__name__}.{key}")
                setattr(cls, key, value)
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        for key, value in state["handlers"].items():
            if kernel.shell_handlers.get(key) is not value:
                changes.append(f"kernel handler {key}")
                kernel.shell_handlers[key] = value
    return changes


def _restore_names(state: dict, protected: dict) -> list[str]:
    """Rebind names the next test uses that the student bound to something other than the instructor's import."""
    changes = []
    namespace = state["shell"]["shell"].user_ns
    for name, (module_name, attribute) in protected.items():
        if name not in namespace:
            continue
        if module_name == TEST_DEFINED:
            expected = state["remembered"].get(name, _MISSING)
            if expected is not _MISSING and namespace[name] is not expected:
                changes.append(f"the name {name}")
                namespace[name] = expected
            continue
        if not _protected(module_name):
            continue
        module = state["modules"].get(module_name, (sys.modules.get(module_name),))[0]
        if module is None:
            continue
        if attribute is None:
            expected = module
        else:
            entries = state["modules"].get(module_name, (None, vars(module)))[1]
            expected = entries.get(attribute, getattr(module, attribute, _MISSING))
            if expected is _MISSING:
                continue
        if namespace[name] is not expected:
            changes.append(f"the name {name}")
            namespace[name] = expected
    return changes


def _scrub_history(nonce: str) -> None:
    """Remove the guard cells' text from IPython's input history (``In``, ``_i``...)."""
    shell = get_ipython()  # noqa: F821
    manager = shell.history_manager
    for history in (manager.input_hist_parsed, manager.input_hist_raw):
        for i, text in enumerate(history):
            if nonce in text:
                history[i] = "# grader check"
    for key in [k for k, v in shell.user_ns.items() if k.startswith("_i") and isinstance(v, str) and nonce in v]:
        shell.user_ns[key] = "# grader check"


# ---------------------------------------------------------------------------
# Running nbgrader autograde
# ---------------------------------------------------------------------------

def autograde(folder: Path, course: Path, job: dict, options: Options, cell_names: dict) -> dict:
    """Run ``nbgrader autograde`` for the private course in ``folder``; return ``{"error": None or {...}}``."""
    from nbgrader.apps import NbGraderAPI

    runtime = folder / "runtime"
    home = folder / "home"
    kernels = folder / "jupyter" / "kernels" / SANDBOX_KERNEL
    for directory in (runtime, home, kernels, folder / "config", folder / "work"):
        directory.mkdir(parents=True, exist_ok=True)
    index = job["index"]
    spec = {
        "mode": job["mode"],
        "uid": job["uid"],
        "memory_mb": options.memory_mb,
        "hide_folders": job["hidden"]["folders"],
        "hide_files": job["hidden"]["files"],
        "keep": keep_paths(),
        "private": [str(runtime), str(home), str(folder / "work")],  # the only folders the kernel keeps
        "workdir": str(folder / "work"),
        "home": str(home),
        "pid_file": str(folder / "kernel.pid"),
        "error_file": str(folder / "sandbox-error.txt"),
    }
    (folder / "sandbox.json").write_text(json.dumps(spec))
    kernel_json = {
        "argv": [sys.executable, "-m", "dlmath.grading", "--sandbox-kernel", str(folder / "sandbox.json"), "--",
                 sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (dlmath grading sandbox)",
        "language": "python",
    }
    (kernels / "kernel.json").write_text(json.dumps(kernel_json))
    os.environ["JUPYTER_PATH"] = str(folder / "jupyter")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(runtime)
    os.environ["JUPYTER_CONFIG_DIR"] = str(folder / "config")
    os.environ["JUPYTER_DATA_DIR"] = str(folder / "jupyter")

    source = json.loads((Path(job["master"]) / "config.json").read_text())["source"]
    config = course_config(course, Path(source))
    config.Execute.kernel_name = SANDBOX_KERNEL
    config.Execute.timeout = options.timeout
    config.Execute.startup_timeout = 120
    config.Execute.interrupt_on_timeout = True
    config.Execute.raise_on_iopub_timeout = False
    config.Execute.iopub_timeout = 30
    last_cell = folder / "last-cell.json"

    def timeout_for(cell):
        if "dlmath_guard" in cell.metadata:
            return GUARD_TIMEOUT
        if "setup" in cell.metadata.get("tags", []):
            return max(options.setup_timeout, options.timeout)
        return options.timeout

    def on_cell_start(cell, cell_index, **_):
        last_cell.write_text(json.dumps([cell_index, cell.source]))

    config.Execute.timeout_func = timeout_for
    config.Execute.on_cell_start = on_cell_start
    # the kernel may have no network: it talks to nbgrader over files (Unix sockets), not TCP
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(runtime / "kernel")
    config.LimitOutput.max_lines = 1000
    config.LimitOutput.max_length = 10000

    api = NbGraderAPI(config=config)
    outcome = api.autograde(job["assignment"], STUDENT, force=True, create=True)
    (folder / "nbgrader.log").write_text(outcome.get("log", "") + outcome.get("error", ""))
    if outcome["success"]:
        return {"error": None}
    log = outcome.get("log", "") + outcome.get("error", "")
    if (folder / "sandbox-error.txt").is_file():
        reason = (folder / "sandbox-error.txt").read_text().strip()
        return {"error": {"status": "crashed", "detail": f"the sandbox could not start the kernel: {reason}"}}
    where = ""
    if last_cell.is_file():
        position, text = json.loads(last_cell.read_text())
        name = cell_name(cell_names, position, text)
        where = f" in {name}" if name != "grader check" else ""
    if "DeadKernelError" in log or "Kernel died" in log:
        return {"error": {"status": "crashed",
                          "detail": f"the kernel died{where} (os._exit, a crash, or the {options.memory_mb} MB "
                                    "memory limit)"}}
    if "UnresponsiveKernelError" in log or "CellTimeoutError" in log or "could not interrupt" in log:
        return {"error": {"status": "timeout",
                          "detail": f"the kernel could not be interrupted after {options.timeout} s{where}"}}
    if "Kernel didn't respond" in log:
        return {"error": {"status": "crashed", "detail": "the kernel did not start"}}
    kind = re.findall(r"^(\w+(?:Error|Exception)):", log, re.MULTILINE)
    return {"error": {"status": "crashed",
                      "detail": f"nbgrader could not grade the notebook{where}" + (f" ({kind[-1]})" if kind else "")}}


def cell_name(cell_names: dict, position: int, source: str) -> str:
    """Name the cell at ``position`` (of whichever notebook has ``source`` there) for a message."""
    candidates = [names for names in cell_names.values() if position < len(names)]
    for names in candidates:
        if names[position][1] == source:
            return names[position][0]
    return candidates[0][position][0] if candidates else f"cell {position + 1}"


def keep_paths() -> list[str]:
    """Folders the kernel needs even when their parents are hidden: Python, the virtual environment, dlmath."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.abspath(__file__))}
    return sorted({os.path.realpath(p) for p in paths} | paths)


# ---------------------------------------------------------------------------
# The sandbox: a kernel launcher that isolates, limits, then runs ipykernel
# ---------------------------------------------------------------------------

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38


def set_limit(name: str, value: int) -> None:
    """Set a resource limit (soft and hard) if this platform has it; never raise it above the current hard limit."""
    import resource

    kind = getattr(resource, name, None)
    if kind is None:
        return
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY and os.geteuid() != 0:
        value = min(value, hard)
    try:
        resource.setrlimit(kind, (value, value))
    except (ValueError, OSError):
        pass


def _libc():
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(libc, source, target, fstype, flags, data=None) -> None:
    encode = (lambda s: None if s is None else str(s).encode())
    _check(libc.mount(encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags), encode(data)),
           f"mount {target}")


def sandbox_mode(requested: str = "auto") -> str:
    """``root`` (namespaces and a separate user), ``userns`` (namespaces as yourself) or ``none``.

    ``require`` raises :class:`GradingError` when neither is possible; ``off`` is ``none``.
    """
    if requested == "off" or not sys.platform.startswith("linux"):
        mode = "none"
    else:
        probe = ("import ctypes, ctypes.util, os, sys\n"
                 "libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)\n"
                 f"flags = {CLONE_NEWNS | CLONE_NEWNET} | (0 if os.geteuid() == 0 else {CLONE_NEWUSER})\n"
                 "sys.exit(0 if libc.unshare(flags) == 0 else 1)\n")
        works = subprocess.run([sys.executable, "-c", probe], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL).returncode == 0
        mode = ("root" if os.geteuid() == 0 else "userns") if works else "none"
    if requested == "require" and mode == "none":
        raise GradingError("--sandbox require: this machine allows neither root namespaces nor user namespaces")
    return mode


def sandbox_kernel(spec_file: str, command: list[str]) -> None:
    """Isolate and limit this process as ``spec_file`` says, then ``exec`` the kernel ``command``.

    It runs as the kernel's launcher (the kernelspec's ``argv``), so nbgrader
    and jupyter_client see an ordinary kernel process. On any failure it writes
    the reason to the spec's ``error_file`` and exits: a kernel never runs with
    less isolation than the grader announced.
    """
    spec = json.loads(Path(spec_file).read_text())
    Path(spec["pid_file"]).write_text(str(os.getpid()))
    try:
        _enter_sandbox(spec, command)
    except Exception as error:
        Path(spec["error_file"]).write_text(f"{type(error).__name__}: {error}\n")
        os._exit(70)
    os.execv(command[0], command)


def _enter_sandbox(spec: dict, command: list[str]) -> None:
    parent = os.getppid()
    os.umask(0o077)
    # The kernel works in a folder of its own, with copies of the files nbgrader put next to the
    # notebook: it must not be able to write where the grader writes (a link planted there would
    # make the grader overwrite a file of its choosing).
    for entry in os.scandir(os.getcwd()):
        if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".ipynb"):
            shutil.copyfile(entry.path, os.path.join(spec["workdir"], entry.name), follow_symlinks=False)
        elif entry.is_dir(follow_symlinks=False):
            shutil.copytree(entry.path, os.path.join(spec["workdir"], entry.name), symlinks=True)
    os.chdir(spec["workdir"])
    private = list(spec["private"])
    connection = command[command.index("-f") + 1] if "-f" in command else None
    libc = _libc() if spec["mode"] != "none" else None
    if spec["mode"] == "root":
        _check(libc.unshare(CLONE_NEWNS | CLONE_NEWNET), "unshare")
    elif spec["mode"] == "userns":
        uid, gid = os.getuid(), os.getgid()
        _check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET), "unshare")
        Path("/proc/self/setgroups").write_text("deny")
        Path("/proc/self/uid_map").write_text(f"{uid} {uid} 1")
        Path("/proc/self/gid_map").write_text(f"{gid} {gid} 1")
    if spec["mode"] != "none":
        _hide(libc, spec["hide_folders"], spec["hide_files"], keep=[*spec["keep"], *private])
    if spec["mode"] == "root":
        uid = spec["uid"]
        for path in private:
            for root, dirs, files in os.walk(path):
                for name in [root, *[os.path.join(root, f) for f in files + dirs]]:
                    os.lchown(name, uid, uid)
        if connection:
            os.chown(connection, uid, uid)
        set_limit("RLIMIT_NPROC", MAX_PROCESSES)
    set_limit("RLIMIT_DATA", spec["memory_mb"] * 1024 * 1024)
    set_limit("RLIMIT_FSIZE", MAX_FILE_MB * 1024 * 1024)
    set_limit("RLIMIT_CORE", 0)
    if spec["mode"] == "root":
        os.setgroups([])
        os.setgid(spec["uid"])
        os.setuid(spec["uid"])
    if libc is None:
        libc = _libc() if sys.platform.startswith("linux") else None
    if libc is not None:
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # die with the grader (after the user change)
        if os.getppid() != parent:
            raise RuntimeError("the grader stopped")
    os.environ.clear()
    os.environ.update(_kernel_environment(spec, saved=dict(_ORIGINAL_ENVIRONMENT)))


_ORIGINAL_ENVIRONMENT = dict(os.environ)
KEPT_VARIABLES = re.compile(r"^(PATH|LANG|LANGUAGE|LC_\w+|TZ|TERM|PYTHONPATH|PYTHONHASHSEED|PYTHONUNBUFFERED|"
                            r"PYTHONIOENCODING|JPY_\w+|TF_CPP_MIN_LOG_LEVEL|TF_ENABLE_ONEDNN_OPTS|TF_NUM_INTR[AE]OP_THREADS|"
                            r"TF_DETERMINISTIC_OPS|OMP_NUM_THREADS|MKL_NUM_THREADS|OPENBLAS_NUM_THREADS|"
                            r"CUDA_VISIBLE_DEVICES|MPLBACKEND|PYDEVD_\w+)$")


def _kernel_environment(spec: dict, saved: dict) -> dict:
    """The kernel's environment: no secrets of the instructor's (tokens, keys), a private home, no proxy."""
    env = {k: v for k, v in saved.items() if KEPT_VARIABLES.match(k)}
    home = spec["home"]
    unreachable = "http://127.0.0.1:9"  # the discard port: nothing listens there
    env.update({
        "HOME": home, "USER": "student", "LOGNAME": "student", "TMPDIR": home,
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "IPYTHONDIR": os.path.join(home, ".ipython"),
        "http_proxy": unreachable, "https_proxy": unreachable, "HTTP_PROXY": unreachable,
        "HTTPS_PROXY": unreachable, "ALL_PROXY": unreachable, "all_proxy": unreachable, "no_proxy": "", "NO_PROXY": "",
        "PIP_NO_INDEX": "1",
    })
    return env


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _hide(libc, folders: list[str], files: list[str], keep: list[str]) -> None:
    """Cover ``folders`` with empty read-only folders, except the ``keep`` paths inside them; cover ``files``.

    Runs in a new mount namespace, so nothing changes outside this process.
    """
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    keep = sorted({os.path.realpath(k) for k in keep})
    folders = sorted({os.path.realpath(f) for f in folders if os.path.isdir(f)})
    # never cover /, nor a folder that is (or is inside) something the kernel needs
    folders = [f for f in folders if f != "/" and not any(_inside(f, k) for k in keep)]
    outermost = [f for f in folders if not any(f != g and _inside(f, g) for g in folders)]
    plans = []
    for folder in outermost:
        inside = [k for k in keep if _inside(k, folder) and k != folder and os.path.exists(k)]
        inside = [k for k in inside if not any(k != j and _inside(k, j) for j in inside)]
        plans.append((folder, inside))
    if not plans:
        return
    stage = next((s for s in ("/mnt", "/media", "/srv", "/opt")
                  if os.path.isdir(s) and not any(_inside(s, f) or _inside(f, s) for f, _ in plans)
                  and not any(_inside(k, s) or _inside(s, k) for k in keep)), None)
    if stage is None:
        raise RuntimeError("no free folder to stage the hidden mounts")
    _mount(libc, "tmpfs", stage, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0700,size=64k")
    staged = []
    for folder, inside in plans:
        for path in inside:
            slot = os.path.join(stage, str(len(staged)))
            if os.path.isdir(path):
                os.mkdir(slot)
            else:
                open(slot, "w").close()
            _mount(libc, path, slot, None, MS_BIND | MS_REC)
            staged.append((slot, path))
    for folder, inside in plans:
        _mount(libc, "tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for slot, path in staged:
        parent = os.path.dirname(path)
        os.makedirs(parent, exist_ok=True)
        _chmod_up(parent, [f for f, _ in plans])
        if os.path.isdir(slot):
            os.makedirs(path, exist_ok=True)
        else:
            open(path, "w").close()
        _mount(libc, slot, path, None, MS_MOVE)
    for folder, _ in plans:
        _mount(libc, None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "mode=0755,size=64k")
    for path in files:
        path = os.path.realpath(path)
        if os.path.isfile(path) and not any(_inside(path, f) for f, _ in plans):
            _mount(libc, "/dev/null", path, None, MS_BIND)


def _chmod_up(path: str, tops: list[str]) -> None:
    """Let everyone pass through the folders created inside a cover (up to the cover's top)."""
    while not any(path == t for t in tops) and any(_inside(path, t) for t in tops):
        os.chmod(path, 0o755)
        path = os.path.dirname(path)


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------

def remove_tree(path: Path) -> None:
    """Remove a folder, even when nbgrader made files in it read-only.

    Only the folder and what is inside it is ever made writable, never its parent.
    """
    top = os.path.realpath(path)

    def make_writable(function, name, _):
        for target in (os.path.dirname(name), name):
            real = os.path.realpath(target)
            if _inside(real, top) and not os.path.islink(target):
                try:
                    os.chmod(real, 0o700)
                except OSError:
                    pass
        try:
            function(name)
        except OSError:
            pass

    shutil.rmtree(top, onerror=make_writable)


def _child_main(argv: list[str]) -> int:
    if argv[:1] == ["--sandbox-kernel"]:
        separator = argv.index("--")
        sandbox_kernel(argv[1], argv[separator + 1:])
        return 70  # not reached: exec replaced this process
    if argv[:1] == ["--grade-one"]:
        return grade_one_main(argv[1])
    print("usage: python -m dlmath grade ASSIGNMENT SUBMITTED_DIR --out grades.csv", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1:]))
