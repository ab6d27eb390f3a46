"""How long a learner waits: each chapter notebook in a fresh kernel, against the floor.

The floor is a fresh kernel that only imports TensorFlow, NumPy and matplotlib:
what any TensorFlow notebook costs before it does anything. Each notebook's time
is reported as a median over repeats and as a ratio to the floor measured in the
same run, which says more on a shared machine than seconds alone.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SOURCE = "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\nimport numpy, matplotlib.pyplot, tensorflow"
GOAL_NOTEBOOK_SECONDS = 90
GOAL_BOOK_RATIO = 20


def time_notebook(nb) -> float:
    """Seconds to execute ``nb`` (a notebook object) in a fresh kernel, kernel start included."""
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    return time.perf_counter() - start


def floor_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    return nb


def chapter_notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Time the floor and every chapter; ``quick`` times the floor and one tiny notebook once."""
    repeats = 1 if quick else 3
    floor = statistics.median(time_notebook(floor_notebook()) for _ in range(repeats))
    rows = []
    if quick:
        tiny = nbformat.v4.new_notebook()
        tiny.cells = [nbformat.v4.new_code_cell("import dlmath\nprint(dlmath.__version__)")]
        seconds = time_notebook(tiny)
        rows.append({"notebook": "(smoke) tiny notebook", "median_s": round(seconds, 2),
                     "ratio_to_floor": round(seconds / floor, 2)})
    else:
        for path in chapter_notebooks():
            times = [time_notebook(nbformat.read(path, as_version=4)) for _ in range(repeats)]
            median = statistics.median(times)
            rows.append({"notebook": path.name, "median_s": round(median, 1),
                         "ratio_to_floor": round(median / floor, 1)})
    book = sum(row["median_s"] for row in rows)
    return {
        "title": "Execution: each notebook in a fresh kernel",
        "table": rows,
        "numbers": {"floor_s": round(floor, 2), "repeats": repeats, "whole_book_s": round(book, 1),
                    "whole_book_ratio_to_floor": round(book / floor, 1)},
        "goals": [
            {"goal": f"no notebook over {GOAL_NOTEBOOK_SECONDS} s",
             "met": all(r["median_s"] <= GOAL_NOTEBOOK_SECONDS for r in rows),
             "value": f"slowest {max(r['median_s'] for r in rows)} s"},
            {"goal": f"whole book within {GOAL_BOOK_RATIO}× the floor",
             "met": book / floor <= GOAL_BOOK_RATIO, "value": f"{book / floor:.1f}×"},
        ],
    }
