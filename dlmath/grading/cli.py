"""``dlmath grade``: the command line instructors script against.

    dlmath grade ASSIGNMENT SUBMITTED_DIR --out grades.csv [--workers N] [--tests DIR] [--sandbox off]
"""

from __future__ import annotations

import contextlib
import io
import os
import sys

from . import report
from .grade import (DEFAULT_MEMORY_MB, DEFAULT_NOTEBOOK_TIMEOUT, DEFAULT_SETUP_TIMEOUT, DEFAULT_TIMEOUT,
                    GradingError, Options, grade_class)


def add_arguments(parser) -> None:
    """Add the options of ``dlmath grade`` to an ``argparse`` parser."""
    parser.description = ("Grade every submission of ASSIGNMENT: each notebook runs in its own sandbox, the "
                          "instructor's trusted tests judge it from outside, and each student folder gets a CSV row.")
    parser.add_argument("assignment", metavar="ASSIGNMENT", help="assignment name, e.g. ch01_tensors (a folder of the source directory)")
    parser.add_argument("submitted", metavar="SUBMITTED_DIR",
                        help="submissions laid out as SUBMITTED_DIR/<student>/<assignment>/<notebook>.ipynb")
    parser.add_argument("--out", default="grades.csv", help="CSV file to write (default: grades.csv)")
    parser.add_argument("--source", default="solutions",
                        help="nbgrader source directory holding ASSIGNMENT/ and its grader_tests.py (default: solutions)")
    parser.add_argument("--tests", action="append", default=[], metavar="DIR",
                        help="a folder of further private tests: DIR/ASSIGNMENT/*.py or DIR/ASSIGNMENT.py (repeatable)")
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT,
                        help=f"seconds a cell or one call of the student's code may run (default: {DEFAULT_TIMEOUT})")
    parser.add_argument("--setup-timeout", type=int, default=DEFAULT_SETUP_TIMEOUT,
                        help=f"seconds for the cell tagged 'setup' (default: {DEFAULT_SETUP_TIMEOUT})")
    parser.add_argument("--notebook-timeout", type=int, default=DEFAULT_NOTEBOOK_TIMEOUT,
                        help=f"seconds for a whole submission (default: {DEFAULT_NOTEBOOK_TIMEOUT})")
    parser.add_argument("--memory", type=int, default=DEFAULT_MEMORY_MB, metavar="MB",
                        help=f"memory of a whole submission in MB (default: {DEFAULT_MEMORY_MB})")
    parser.add_argument("--workers", "--jobs", dest="workers", type=int, default=None,
                        help="submissions graded at the same time on this machine (default: the number of cores, "
                             "as far as memory allows --memory each)")
    parser.add_argument("--feedback", metavar="DIR",
                        help="write each student's feedback page and graded notebook to DIR/<student>/ASSIGNMENT/")
    parser.add_argument("--course", metavar="FILE",
                        help="course file with deadlines, late policy and extensions (default: course.yml here, if any)")
    parser.add_argument("--only", nargs="+", metavar="STUDENT",
                        help="regrade only these students and keep every other row of the existing --out CSV")
    parser.add_argument("--resume", action="store_true",
                        help="keep the rows the --out CSV already has and grade only the students it lacks")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="a Dask distributed scheduler (tcp://host:8786): grade on its workers, one submission a task")
    parser.add_argument("--sandbox", choices=("on", "off"), default="on",
                        help="on (default): every submission in a bubblewrap sandbox, or stop if none can be built; "
                             "off: no isolation at all, said on every row")


def default_workers(memory_mb: int) -> int:
    """As many submissions at once as there are cores, and no more than the memory holds."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20
    except (ValueError, OSError):
        return max(1, cores)
    return max(1, min(cores, memory // max(1, memory_mb)))


def main(args) -> int:
    """Run ``dlmath grade``; return 0 when every student folder got a row."""
    course_file = args.course
    if course_file is None and os.path.exists("course.yml"):
        course_file = "course.yml"
    options = Options(timeout=args.timeout, setup_timeout=args.setup_timeout,
                      notebook_timeout=args.notebook_timeout, memory_mb=args.memory,
                      workers=max(1, args.workers or default_workers(args.memory)), sandbox=args.sandbox)
    try:
        # the trusted tests' own printing (a check that passed) is not for the instructor's terminal
        with contextlib.redirect_stdout(io.StringIO()):
            results, assignment = grade_class(args.assignment, args.submitted, source=args.source, options=options,
                                              out=args.out, extra_tests=args.tests, only=args.only,
                                              resume=args.resume, course_file=course_file,
                                              feedback_dir=args.feedback, scheduler=args.scheduler)
    except GradingError as error:
        print(f"dlmath grade: {error}", file=sys.stderr)
        return 2
    print(f"Wrote {args.out}: {len(results)} students graded now ({report.summary(results, assignment.maximum)}).")
    not_normal = [r for r in results if r.status not in ("graded", "bad-name")]
    for result in not_normal:
        print(f"  {result.student}: {result.status}: {result.detail}")
    return 0
