"""How long a learner waits: each chapter notebook in a fresh kernel, against the floor.

The floor is a fresh kernel that only imports TensorFlow, NumPy and matplotlib:
what any TensorFlow notebook costs before it does anything. Each notebook's time
is reported as a median over repeats and as a ratio to the floor measured in the
same run, which says more on a shared machine than seconds alone.

The chapters issue asks that the whole book, new chapter included, stay at or below
the first round's 16.4× the floor. That figure came from a faster machine, and a
ratio to the floor is not the same on every machine: the floor is mostly one import,
a chapter mostly computation and drawing. So the first round's own book (its seven
notebooks, run with its own ``dlmath``, from ``bench/first_round.py``) is timed again
in the same run, and the goal compares the two books.

On this shared machine the same notebook, run three times in a row, took 15.6, 18.0
and 20.0 s, so the comparison is paired: in each round the two versions of a chapter
run back to back (which goes first alternates from round to round), and each round
gives one ratio, today's book over the first round's. The goal is judged on the
median of those ratios, and the report gives their range.

Each time runs from the kernel's start to its exit, as the first round measured it.
The report also gives the same comparison up to the end of the last cell, with the
kernel's exit left out: ``setup_notebook`` freezes the imported libraries out of the
garbage collector (``gc.freeze``), which makes today's kernels exit 1–2 s sooner
than the first round's and the floor's (``bench/collector.py``), and a reader who only
waits for the last output should see how much of the gain that is.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from first_round import FIRST_ROUND_COMMIT, environment_for, first_round_tree

ROOT = Path(__file__).resolve().parent.parent
FLOOR_SOURCE = "import os\nos.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'\nimport numpy, matplotlib.pyplot, tensorflow"
GOAL_NOTEBOOK_SECONDS = 90
#: The first round's whole book, measured on its own (faster) machine: for the record only.
FIRST_ROUND_BOOK_RATIO = 16.4


#: What each run measures: from the kernel's start to its exit, and to the end of the last cell.
MEASURES = ("whole", "to_last_cell")


def time_notebook(nb, folder: Path | None = None, env: dict | None = None) -> tuple[float, float]:
    """``(whole, to_last_cell)``: seconds to execute ``nb`` in a fresh kernel, kernel start included.

    The whole time is what the goal has always measured (nbclient's ``execute``: start the
    kernel, run every cell, shut the kernel down). The second leaves the kernel's exit out:
    what a reader waits for before the last output appears. The kernel runs in ``folder``
    (today's notebooks/ by default) with the environment ``env`` (this process's by default;
    the first round's book needs its own dlmath on PYTHONPATH). ``nb`` is executed in place.
    """
    finished = []
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(folder or ROOT / "notebooks")}},
                            on_cell_executed=lambda **_: finished.append(time.perf_counter()))
    start = time.perf_counter()
    if env is None:
        client.execute()
    else:
        client.execute(env=env)
    end = time.perf_counter()
    return end - start, (finished[-1] if finished else end) - start


def floor_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    return nb


def dlmath_version_notebook():
    """A tiny notebook that prints which dlmath its kernel imports (the smoke run's check of the set-up)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import dlmath\nprint(dlmath.__version__)")]
    return nb


def _median_rows(times: dict) -> list[dict]:
    return [{"notebook": name, "median_s": round(statistics.median(seconds), 1)} for name, seconds in times.items()]


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Time the floor, every chapter, and the first round's chapters, paired, in ``repeats`` rounds.

    ``quick`` times the floor once and, in place of the books, a tiny notebook in each tree
    (it checks that the first round's kernel imports the first round's dlmath).
    """
    repeats = 1 if quick else 5
    with first_round_tree() as tree:
        # each book: its notebooks folder, and the environment its kernels start in
        books = {"today": (ROOT / "notebooks", None)}
        if tree is not None:
            books["first round"] = (tree / "notebooks", environment_for(tree))
        names = sorted({path.name for folder, _ in books.values() for path in folder.glob("*.ipynb")})
        # floors[measure]: seconds per round; times[measure][book][notebook]: seconds per round;
        # totals[measure]: per round, each book's sum
        floors = {measure: [] for measure in MEASURES}
        times = {measure: {} for measure in MEASURES}
        totals = {measure: [] for measure in MEASURES}
        versions = {}
        for round_index in range(repeats):
            for measure, seconds in zip(MEASURES, time_notebook(floor_notebook())):
                floors[measure].append(seconds)
            order = list(books.items()) if round_index % 2 == 0 else list(books.items())[::-1]
            total = {measure: dict.fromkeys(books, 0.0) for measure in MEASURES}
            for name in (["(smoke) tiny notebook"] if quick else names):
                for book, (folder, env) in order:
                    if quick:
                        tiny = dlmath_version_notebook()
                        measured = time_notebook(tiny, folder, env)
                        versions[book] = tiny.cells[0].outputs[0]["text"].strip()
                    elif (folder / name).exists():
                        measured = time_notebook(nbformat.read(folder / name, as_version=4), folder, env)
                    else:
                        continue
                    for measure, seconds in zip(MEASURES, measured):
                        times[measure].setdefault(book, {}).setdefault(name, []).append(seconds)
                        total[measure][book] += seconds
            for measure in MEASURES:
                totals[measure].append(total[measure])
    floor, floor_to_last = (statistics.median(floors[measure]) for measure in MEASURES)
    rows = _median_rows(times["whole"]["today"])
    for row in rows:
        row["ratio_to_floor"] = round(row["median_s"] / floor, 1)
        row["to_last_cell_s"] = round(statistics.median(times["to_last_cell"]["today"][row["notebook"]]), 1)
    book = sum(row["median_s"] for row in rows)
    book_to_last = sum(row["to_last_cell_s"] for row in rows)
    numbers = {"floor_s": round(floor, 2), "repeats": repeats, "whole_book_s": round(book, 1),
               "whole_book_ratio_to_floor": round(book / floor, 1),
               "whole_book_s_each_round": ", ".join(f"{t['today']:.1f}" for t in totals["whole"]),
               "floor_to_last_cell_s": round(floor_to_last, 2),
               "whole_book_to_last_cell_s": round(book_to_last, 1),
               "whole_book_to_last_cell_ratio_to_floor": round(book_to_last / floor_to_last, 1),
               "first_round_ratio_on_its_machine": f"{FIRST_ROUND_BOOK_RATIO}× (2026-11-25, a faster machine)"}
    goals = [{"goal": f"no notebook over {GOAL_NOTEBOOK_SECONDS} s",
              "met": all(r["median_s"] <= GOAL_NOTEBOOK_SECONDS for r in rows),
              "value": f"slowest {max(r['median_s'] for r in rows)} s"}]
    if quick:
        numbers["dlmath_imported"] = ", ".join(f"{book}: {version}" for book, version in versions.items())
    if "first round" not in times["whole"]:
        numbers["first_round_book"] = "not measured: the repository's history is not available"
    else:
        first = {measure: {name: statistics.median(seconds) for name, seconds in times[measure]["first round"].items()}
                 for measure in MEASURES}
        first_book, first_book_to_last = (sum(first[measure].values()) for measure in MEASURES)
        ratios, ratios_to_last = ([t["today"] / t["first round"] for t in totals[measure]] for measure in MEASURES)
        numbers["first_round_book_s_same_run"] = round(first_book, 1)
        numbers["first_round_book_ratio_same_run"] = round(first_book / floor, 1)
        numbers["first_round_book_s_each_round"] = ", ".join(f"{t['first round']:.1f}" for t in totals["whole"])
        numbers["today_over_first_round_each_round"] = ", ".join(f"{r:.3f}" for r in ratios)
        # The same comparison with each kernel's exit left out (see time_notebook).
        numbers["first_round_book_to_last_cell_s"] = round(first_book_to_last, 1)
        numbers["first_round_book_to_last_cell_ratio_to_floor"] = round(first_book_to_last / floor_to_last, 1)
        numbers["today_over_first_round_to_last_cell"] = (
            f"median {statistics.median(ratios_to_last):.3f}; rounds "
            + ", ".join(f"{r:.3f}" for r in ratios_to_last))
        for row in rows:
            for measure, column in zip(MEASURES, ("first_round_median_s", "first_round_to_last_cell_s")):
                seconds = first[measure].get(row["notebook"])
                row[column] = round(seconds, 1) if seconds is not None else "—"
        median_ratio = statistics.median(ratios)
        goals.append({"goal": "whole book, new chapter included, within the first round's ratio to the floor "
                              f"(its book at commit {FIRST_ROUND_COMMIT[:7]}, timed in the same rounds): "
                              "median over rounds of today's book / the first round's ≤ 1",
                      "met": median_ratio <= 1,
                      "value": f"{median_ratio:.3f} (rounds {min(ratios):.3f}–{max(ratios):.3f}); "
                               f"{book / floor:.1f}× against {first_book / floor:.1f}× the floor"})
    return {"title": "Execution: each notebook in a fresh kernel", "table": rows, "numbers": numbers,
            "goals": goals}
