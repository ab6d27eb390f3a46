"""How long an instructor waits for chapter 1: today's sandboxed grader against the first round's.

A class of 30 is built from the real chapter 1 notebooks (half the students hand
in the solution, half the untouched student notebook, so both the full-marks and
the all-failing paths are timed) and graded one submission at a time, twice in
one run on one machine:

1. by today's `dlmath grade`: every submission in its own bubblewrap sandbox, the
   hidden tests judged outside it;
2. by the first round's grader (commit ``FIRST_ROUND_COMMIT``, taken from the
   repository's history with ``git archive``), which ran the student's code and the
   tests in one kernel, on that commit's own chapter 1 (9 exercises; today's has 11).

The first round measured 214 s for its class of 30 (7.1 s per submission) on a
faster machine than later ones; a ratio measured in one run does not depend on
the machine. The trusted-grading issue allows the sandbox up to 1.5× per submission.
Without the repository's history (a shallow clone, a source archive, no git) only
the first measurement is made, and the report says so.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dlmath.grading import grade
from first_round import FIRST_ROUND_COMMIT, environment_for, first_round_tree

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "ch01_tensors"
FIRST_ROUND_SECONDS_PER_SUBMISSION = 214 / 30
GOAL_RATIO = 1.5


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
    """Seconds to grade a class of ``size`` with today's grader, and its results."""
    with tempfile.TemporaryDirectory(prefix="dlmath-bench-grading-") as folder:
        submitted = make_class(Path(folder), size, source, assignment, untouched)
        options = grade.Options(workers=workers)
        start = time.perf_counter()
        results, _ = grade.grade_class(assignment, submitted, source=source, options=options, progress=False,
                                       scheduler=scheduler)
        return time.perf_counter() - start, results


# Run inside the first round's tree, with its own dlmath first on the path (PYTHONPATH, which
# the kernels it starts inherit too): its bench/grading.py times its own class of ``size``.
_FIRST_ROUND_SCRIPT = """
import json, sys
from bench.grading import time_class
seconds, results = time_class(int(sys.argv[1]))
print(json.dumps({"seconds": seconds, "statuses": sorted({r.status for r in results}),
                  "totals": sorted({r.total() for r in results})}))
"""


def time_first_round_class(size: int) -> dict | None:
    """The first round's grader on its own chapter 1 class of ``size``; None without git history."""
    with first_round_tree(FIRST_ROUND_COMMIT) as tree:
        if tree is None:
            return None
        finished = subprocess.run([sys.executable, "-c", _FIRST_ROUND_SCRIPT, str(size)], cwd=tree,
                                  env=environment_for(tree), capture_output=True, text=True, timeout=3600)
        if finished.returncode != 0:
            raise RuntimeError(f"the first round's grader failed: {finished.stderr[-2000:]}")
        return json.loads(finished.stdout.strip().splitlines()[-1])


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    class_size = 1 if quick else 30
    today_seconds, today_results = time_class(class_size, ROOT / "solutions", ASSIGNMENT,
                                              untouched=ROOT / "exercises")
    first_round = time_first_round_class(class_size)
    today = today_seconds / class_size
    statuses = sorted({r.status for r in today_results})
    table = [{"grader": f"today's, sandboxed (chapter 1 with 11 exercises), class of {class_size}",
              "seconds": round(today_seconds, 1), "seconds per submission": round(today, 2)}]
    numbers = {"statuses_seen": ", ".join(statuses),
               "seconds_per_submission_sandboxed": round(today, 2),
               # the first round's own figure came from a faster machine: for the record only
               "ratio_to_the_first_round_figure": (f"{today / FIRST_ROUND_SECONDS_PER_SUBMISSION:.2f}× its "
                                                   f"{FIRST_ROUND_SECONDS_PER_SUBMISSION:.1f} s, another machine")}
    goals = [{"goal": "every submission graded (status graded)", "met": statuses == ["graded"],
              "value": ", ".join(statuses)}]
    if first_round is None:
        numbers["first_round_grader"] = "not measured: the repository's history is not available"
    else:
        before = first_round["seconds"] / class_size
        table.append({"grader": f"first round's, one kernel, no sandbox (commit {FIRST_ROUND_COMMIT[:7]}, "
                                f"chapter 1 with 9 exercises), class of {class_size}",
                      "seconds": round(first_round["seconds"], 1), "seconds per submission": round(before, 2)})
        numbers["sandboxed_over_first_round_same_run"] = round(today / before, 2)
        numbers["first_round_statuses_seen"] = ", ".join(first_round["statuses"])
        # a comparison only stands if the old grader graded its class too
        goals.append({"goal": "the first round's grader graded every submission (status graded)",
                      "met": first_round["statuses"] == ["graded"], "value": ", ".join(first_round["statuses"])})
        goals.append({"goal": f"sandboxed ≤ {GOAL_RATIO}× the first round's grader per submission (same run)",
                      "met": today <= GOAL_RATIO * before, "value": f"{today / before:.2f}×"})
    return {"title": "Grading chapter 1: the sandboxed grader against the first round's",
            "table": table, "numbers": numbers, "goals": goals}
