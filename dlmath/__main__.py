"""The ``dlmath`` command line. Today it has one command, ``grade``.

    dlmath grade ASSIGNMENT SUBMITTED_DIR --out grades.csv
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dlmath", description="Command line of the dlmath course.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a class's submissions of one assignment with nbgrader")
    from . import grading

    grading.add_arguments(grade)
    args = parser.parse_args(argv)
    if args.command == "grade":
        return grading.main(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
