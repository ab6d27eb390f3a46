"""How long an instructor waits: `dlmath grade`, each submission in its own sandbox.

Two measurements, in one run:

1. **Chapter 1, a class of 30** (half the solution, half the untouched student
   notebook), graded one at a time, as the first round measured it before the
   sandbox (214 s, 7.1 s per submission): the ratio to that figure is the cost
   of the sandbox, which the trusted-grading issue allows up to 1.5×.
2. **A synthetic class of 200** on the small toy assignment of the grader's own
   tests, graded serially, with ``--workers 2`` and on a two-worker Dask
   ``LocalCluster``: seconds per submission each way, and from the measured cost
   per submission an estimate for a cohort of 10 000 on a 50-node cluster of
   such 2-core machines (each node grading two submissions at once).
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from dlmath.grading import grade

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ch01_tensors"
TOY = ROOT / "tests" / "grading_course" / "solutions"
BEFORE_SANDBOX_SECONDS_PER_SUBMISSION = 214 / 30   # the first round's figure, chapter 1, class of 30
COHORT, NODES, SLOTS_PER_NODE = 10_000, 50, 2


def make_class(folder: Path, size: int, source: Path, assignment: str, untouched: Path | None) -> Path:
    """Lay out ``size`` submissions as nbgrader's ``submitted/<student>/<assignment>/``."""
    submitted = folder / "submitted"
    notebooks = [source / assignment / f"{assignment}.ipynb"]
    if untouched is not None:
        notebooks.append(untouched / assignment / f"{assignment}.ipynb")
    for index in range(size):
        target = submitted / f"student{index:03d}" / assignment
        target.mkdir(parents=True)
        shutil.copy(notebooks[index % len(notebooks)], target / f"{assignment}.ipynb")
    return submitted


def time_class(size: int, source: Path, assignment: str, untouched=None, scheduler=None, workers: int = 1):
    with tempfile.TemporaryDirectory(prefix="dlmath-bench-grading-") as folder:
        submitted = make_class(Path(folder), size, source, assignment, untouched)
        options = grade.Options(workers=workers)
        start = time.perf_counter()
        results, _ = grade.grade_class(assignment, submitted, source=source, options=options, progress=False,
                                       scheduler=scheduler)
        return time.perf_counter() - start, results


def run(quick: bool = False) -> dict:
    chapter_class = 2 if quick else 30
    cohort_class = 4 if quick else 200
    chapter_seconds, chapter_results = time_class(chapter_class, ROOT / "solutions", ASSIGNMENT,
                                                  untouched=ROOT / "exercises")
    serial_seconds, serial_results = time_class(cohort_class, TOY, "toy")
    parallel_seconds, parallel_results = time_class(cohort_class, TOY, "toy", workers=2)
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        dask_seconds, dask_results = time_class(cohort_class, TOY, "toy", scheduler=cluster.scheduler_address)
    per_chapter = chapter_seconds / chapter_class
    statuses = sorted({r.status for r in chapter_results + serial_results + parallel_results + dask_results})
    # a cohort of chapter-1 submissions on the cluster: each node grades SLOTS_PER_NODE at once,
    # at the per-submission cost measured here with two at once on one machine
    per_slot = per_chapter * (parallel_seconds / serial_seconds) * SLOTS_PER_NODE
    cohort_hours = COHORT * per_slot / (NODES * SLOTS_PER_NODE) / 3600
    return {
        "title": "Grading: `dlmath grade`, every submission in its own sandbox",
        "table": [
            {"what": f"chapter 1, class of {chapter_class}, one at a time", "seconds": round(chapter_seconds, 1),
             "seconds per submission": round(per_chapter, 2)},
            {"what": f"toy assignment, class of {cohort_class}, serial", "seconds": round(serial_seconds, 1),
             "seconds per submission": round(serial_seconds / cohort_class, 2)},
            {"what": f"toy assignment, class of {cohort_class}, --workers 2", "seconds": round(parallel_seconds, 1),
             "seconds per submission": round(parallel_seconds / cohort_class, 2)},
            {"what": f"toy assignment, class of {cohort_class}, Dask LocalCluster of 2 workers",
             "seconds": round(dask_seconds, 1), "seconds per submission": round(dask_seconds / cohort_class, 2)},
        ],
        "numbers": {
            "statuses_seen": ", ".join(statuses),
            "chapter1_ratio_to_before_sandbox": round(per_chapter / BEFORE_SANDBOX_SECONDS_PER_SUBMISSION, 2),
            "speed_up_workers_2": round(serial_seconds / parallel_seconds, 2),
            "speed_up_dask_2": round(serial_seconds / dask_seconds, 2),
            "estimate_hours_10000_chapter1_on_50_nodes": round(cohort_hours, 2),
        },
        "goals": [
            {"goal": "every submission graded (status graded)", "met": statuses == ["graded"],
             "value": ", ".join(statuses)},
            {"goal": "sandboxed chapter 1 ≤ 1.5× the first round's 7.1 s per submission",
             "met": per_chapter <= 1.5 * BEFORE_SANDBOX_SECONDS_PER_SUBMISSION, "value": f"{per_chapter:.1f} s"},
        ],
    }
