"""The ``dlmath`` command line: grading a class, and what instructors do with the grades.

    dlmath grade ASSIGNMENT SUBMITTED_DIR --out grades.csv
    dlmath export canvas|moodle CLASS_CSV --out FILE [--roster FILE] [--assignment NAME]
    dlmath similarity ASSIGNMENT SUBMITTED_DIR --out REPORT.html [--source solutions]
"""

from __future__ import annotations

import argparse
import sys


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="dlmath", description="Command line of the dlmath course.")
    commands = parser.add_subparsers(dest="command", required=True)
    grade = commands.add_parser("grade", help="grade a class's submissions of one assignment with nbgrader")
    from .grading import cli as grading
    from .grading import export, similarity

    grading.add_arguments(grade)
    export.add_arguments(commands.add_parser(
        "export", help="write the class CSV as a Canvas or Moodle gradebook import file"))
    similarity.add_arguments(commands.add_parser(
        "similarity", help="rank pairs of submissions by similar answer code, as an HTML report for a human"))
    args = parser.parse_args(argv)
    if args.command == "grade":
        return grading.main(args)
    if args.command == "export":
        return export.main(args)
    if args.command == "similarity":
        return similarity.main(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
