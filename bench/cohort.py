"""How long a cohort waits: a class of 200, serially, with ``--workers 2`` and on Dask.

A synthetic class of 200 on the small toy assignment of the grader's own tests is
graded three ways in one run: serially, with ``--workers 2`` and on a two-worker
Dask ``LocalCluster``. Seconds per submission each way, and, from the chapter 1
cost per submission measured by the ``grading`` benchmark, an estimate for a
cohort of 10 000 chapter 1 submissions on a 50-node cluster of such 2-core
machines (each node grading two submissions at once).
"""

from __future__ import annotations

from pathlib import Path

from grading import time_class

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "grading_course" / "solutions"
COHORT, NODES, SLOTS_PER_NODE = 10_000, 50, 2


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    class_size = 4 if quick else 200
    serial_seconds, serial_results = time_class(class_size, TOY, "toy")
    parallel_seconds, parallel_results = time_class(class_size, TOY, "toy", workers=2)
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                      host="127.0.0.1") as cluster:
        dask_seconds, dask_results = time_class(class_size, TOY, "toy", scheduler=cluster.scheduler_address)
    statuses = sorted({r.status for r in serial_results + parallel_results + dask_results})
    numbers = {"statuses_seen": ", ".join(statuses),
               "speed_up_workers_2": round(serial_seconds / parallel_seconds, 2),
               "speed_up_dask_2": round(serial_seconds / dask_seconds, 2)}
    chapter = (earlier or {}).get("grading", {})
    chapter_cost = chapter.get("numbers", {}).get("seconds_per_submission_sandboxed")
    if chapter_cost is not None:
        # Each node grades SLOTS_PER_NODE at once, at the chapter 1 cost per submission scaled by
        # what two at once cost here on one machine.
        per_slot = chapter_cost * (parallel_seconds / serial_seconds) * SLOTS_PER_NODE
        numbers["estimate_hours_10000_chapter1_on_50_nodes"] = round(
            COHORT * per_slot / (NODES * SLOTS_PER_NODE) / 3600, 2)
        numbers["chapter1_seconds_per_submission_used"] = (
            f"{chapter_cost:.2f} s (the grading benchmark of {chapter.get('date', 'this run')})")
    else:
        numbers["estimate_hours_10000_chapter1_on_50_nodes"] = "not estimated: run the grading benchmark first"
    return {
        "title": f"Grading a class of {class_size}: serial, --workers 2 and Dask",
        "table": [
            {"how": "serial", "seconds": round(serial_seconds, 1),
             "seconds per submission": round(serial_seconds / class_size, 2)},
            {"how": "--workers 2", "seconds": round(parallel_seconds, 1),
             "seconds per submission": round(parallel_seconds / class_size, 2)},
            {"how": "Dask LocalCluster of 2 workers", "seconds": round(dask_seconds, 1),
             "seconds per submission": round(dask_seconds / class_size, 2)},
        ],
        "numbers": numbers,
        "goals": [{"goal": "every submission graded (status graded)", "met": statuses == ["graded"],
                   "value": ", ".join(statuses)}],
    }
