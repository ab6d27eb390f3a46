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
    parser.add_argument("--workers", "--jobs", dest="workers", type=int, default=1,
                        help="submissions graded at the same time (default: 1)")
    parser.add_argument("--sandbox", choices=("on", "off"), default="on",
                        help="on (default): every submission in a bubblewrap sandbox, or stop if none can be built; "
                             "off: no isolation at all, said on every row")


def main(args) -> int:
    """Run ``dlmath grade``; return 0 when every student folder got a row."""
    options = Options(timeout=args.timeout, setup_timeout=args.setup_timeout,
                      notebook_timeout=args.notebook_timeout, memory_mb=args.memory,
                      workers=max(1, args.workers), sandbox=args.sandbox)
    try:
        # the trusted tests' own printing (a check that passed) is not for the instructor's terminal
        with contextlib.redirect_stdout(io.StringIO()):
            results, assignment = grade_class(args.assignment, args.submitted, source=args.source, options=options,
                                              out=args.out, extra_tests=args.tests)
    except GradingError as error:
        print(f"dlmath grade: {error}", file=sys.stderr)
        return 2
    report.write_csv(args.out, assignment.columns, assignment.maximum, results)
    print(f"Wrote {args.out}: {len(results)} students ({report.summary(results)}).")
    entries = [e for e in os.listdir(args.submitted) if not e.startswith(".")]
    return 0 if len(results) >= len([e for e in entries if os.path.isdir(os.path.join(args.submitted, e))]) else 1
