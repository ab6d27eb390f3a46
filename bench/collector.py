"""Benchmark: what freezing the imports out of the garbage collector saves, chapter by chapter.

``dlmath.environment.setup_notebook`` ends, in a kernel, with ``gc.freeze()``: the half
million objects the imports created (TensorFlow's, mostly) move to a generation that the
collector's full passes skip. This runs every chapter twice in each round, as stored
and with ``gc.unfreeze()`` right after its setup cell (which puts those objects back in
the oldest generation, as if the setup had not frozen them), and measures in the kernel
the time spent in full passes after the setup, and from outside the time to the last
cell's end and the kernel's exit. Which version runs first alternates from round to round.

    python bench/collector.py            # every chapter, 3 rounds
    python bench/collector.py --quick    # a tiny notebook, one round (the smoke test)
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import nbformat

from execution import time_notebook

ROOT = Path(__file__).resolve().parent.parent

#: Runs in the kernel right after the setup cell: times every full (generation-2) pass from then on.
TIMER_SOURCE = '''import gc as _gc, time as _time
_full_passes = {"seconds": 0.0, "count": 0, "started": 0.0}
def _time_full_passes(phase, info, _passes=_full_passes, _clock=_time.perf_counter):
    if info["generation"] != 2:
        return
    if phase == "start":
        _passes["started"] = _clock()
    else:
        _passes["seconds"] += _clock() - _passes["started"]
        _passes["count"] += 1
_gc.callbacks.append(_time_full_passes)
'''
UNFREEZE_SOURCE = "_gc.unfreeze()   # as if the setup had not frozen the imports\n"
REPORT_SOURCE = ('_gc.callbacks.remove(_time_full_passes)\n'
                 'print(__import__("json").dumps({"seconds": _full_passes["seconds"], "count": _full_passes["count"], '
                 '"frozen": _gc.get_freeze_count()}))')
TINY_SETUP = ("import numpy, matplotlib.pyplot\nimport dlmath.environment\n"
              "dlmath.environment.setup_notebook(seed=0, quiet=True)")
TINY_WORK = "cycles = []\nfor i in range(200_000):\n    node = [i]\n    node.append(node)\n    cycles.append(node)\ndel cycles"


def instrumented(nb, frozen: bool):
    """A copy of ``nb`` with the timer after its first code cell (the setup) and a report at the end."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    first = next(index for index, cell in enumerate(nb.cells) if cell.cell_type == "code")
    timer = TIMER_SOURCE if frozen else TIMER_SOURCE + UNFREEZE_SOURCE
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(timer))
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_SOURCE))
    return nb


def run_once(nb, folder: Path) -> dict:
    """Execute ``nb`` in a fresh kernel; full-pass seconds in the kernel, to-last-cell and exit seconds outside."""
    whole, to_last_cell = time_notebook(nb, folder)   # executes nb in place: its outputs are filled in
    report = json.loads(nb.cells[-1].outputs[0]["text"])
    return {"full_pass_s": report["seconds"], "full_passes": report["count"], "frozen_objects": report["frozen"],
            "to_last_cell_s": to_last_cell, "exit_s": whole - to_last_cell}


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Time every chapter frozen and unfrozen; returns a section for ``bench/run.py``."""
    if quick:
        tiny = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(TINY_SETUP),
                                               nbformat.v4.new_code_cell(TINY_WORK)])
        chapters = {"(smoke) tiny notebook": (tiny, ROOT)}
    else:
        chapters = {path.name: (nbformat.read(path, as_version=4), path.parent)
                    for path in sorted((ROOT / "notebooks").glob("*.ipynb"))}
    repeats = 1 if quick else 3
    measured = {name: {"frozen": [], "unfrozen": []} for name in chapters}
    for round_index in range(repeats):
        order = ("frozen", "unfrozen") if round_index % 2 == 0 else ("unfrozen", "frozen")
        for name, (nb, folder) in chapters.items():
            for way in order:
                measured[name][way].append(run_once(instrumented(nb, way == "frozen"), folder))
    rows = []
    for name, ways in measured.items():
        row = {"notebook": name}
        for way in ("frozen", "unfrozen"):
            for key in ("full_pass_s", "to_last_cell_s", "exit_s"):
                row[f"{way} {key.replace('_s', ' s').replace('_', ' ')}"] = round(
                    statistics.median(run[key] for run in ways[way]), 2)
        row["frozen objects"] = ways["frozen"][0]["frozen_objects"]
        rows.append(row)
    totals = {column: round(sum(row[column] for row in rows), 1) for column in rows[0]
              if column.endswith(" s")}
    return {
        "title": "Collector: each chapter with the imports frozen out of full collections, and without",
        "table": rows,
        "numbers": {"repeats": repeats, **{f"book, {column}": value for column, value in totals.items()}},
        "goals": [
            {"goal": "in every chapter, full passes after the setup take less time frozen",
             "met": all(row["frozen full pass s"] < row["unfrozen full pass s"] for row in rows),
             "value": ", ".join(f"{row['frozen full pass s']} vs {row['unfrozen full pass s']}" for row in rows)},
            {"goal": "in every chapter, the kernel exits sooner frozen",
             "met": all(row["frozen exit s"] < row["unfrozen exit s"] for row in rows),
             "value": ", ".join(f"{row['frozen exit s']} vs {row['unfrozen exit s']}" for row in rows)},
        ],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tiny notebook, one round")
    args = parser.parse_args(argv)
    section = run(quick=args.quick)
    for row in section["table"]:
        print(row)
    print(section["numbers"])
    for goal in section["goals"]:
        print(goal)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
