"""How long an instructor waits: `dlmath grade` on one submission and on a class of 30.

The class is built from the real chapter 1 notebooks: half the students hand in
the solution, half the untouched student notebook, so both the full-marks and
the all-failing paths are timed. Seconds per submission is the class time
divided by its size, next to the time for a class of one measured in the same run.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from dlmath import grading

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ch01_tensors"


def make_class(folder: Path, size: int) -> Path:
    """Lay out ``size`` submissions as nbgrader's ``submitted/<student>/<assignment>/``."""
    submitted = folder / "submitted"
    notebooks = [ROOT / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
                 ROOT / "exercises" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"]
    for index in range(size):
        target = submitted / f"student{index:02d}" / ASSIGNMENT
        target.mkdir(parents=True)
        shutil.copy(notebooks[index % 2], target / f"{ASSIGNMENT}.ipynb")
    return submitted


def time_class(size: int) -> tuple[float, list]:
    with tempfile.TemporaryDirectory(prefix="dlmath-bench-grading-") as folder:
        submitted = make_class(Path(folder), size)
        start = time.perf_counter()
        results, _ = grading.grade_class(ASSIGNMENT, submitted, source=ROOT / "solutions", progress=False)
        return time.perf_counter() - start, results


def run(quick: bool = False) -> dict:
    class_size = 2 if quick else 30
    one_seconds, one_results = time_class(1)
    class_seconds, class_results = time_class(class_size)
    statuses = sorted({r.status for r in one_results + class_results})
    per_submission = class_seconds / class_size
    return {
        "title": "Grading: `dlmath grade` on chapter 1",
        "table": [
            {"class size": 1, "seconds": round(one_seconds, 1), "seconds per submission": round(one_seconds, 1)},
            {"class size": class_size, "seconds": round(class_seconds, 1),
             "seconds per submission": round(per_submission, 1)},
        ],
        "numbers": {"statuses_seen": ", ".join(statuses),
                    "class_time_ratio_to_size_times_one": round(class_seconds / (class_size * one_seconds), 2)},
        "goals": [{"goal": "every submission graded (status graded)", "met": statuses == ["graded"],
                   "value": ", ".join(statuses)}],
    }
