"""Which cells make a notebook slow: execute it in a fresh kernel and list the slowest cells.

Usage: ``python tools/profile_notebook.py notebooks/03_calculus_gradients.ipynb [--top 15]``

It runs the notebook with nbclient (kernel start included in the total) and reads the
time each cell took from the execution timestamps nbclient records. Nothing is written
back: the stored notebooks come from ``make execute`` only.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def _seconds(cell) -> float:
    execution = cell.metadata.get("execution", {})
    start, end = execution.get("iopub.execute_input"), execution.get("shell.execute_reply")
    if not (start and end):
        return 0.0
    parse = lambda stamp: datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return (parse(end) - parse(start)).total_seconds()


def profile(path: Path) -> tuple[float, list[tuple[float, int, str]]]:
    """Total wall seconds and (seconds, cell index, first line) for every code cell."""
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(nb, timeout=900, kernel_name="python3", record_timing=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    total = time.perf_counter() - start
    cells = [(_seconds(cell), index, cell.source.strip().splitlines()[0] if cell.source.strip() else "")
             for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    return total, cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    for path in args.notebooks:
        total, cells = profile(path)
        in_cells = sum(seconds for seconds, _, _ in cells)
        print(f"\n{path.name}: {total:.1f} s in all, {in_cells:.1f} s in cells, "
              f"{total - in_cells:.1f} s kernel start and overhead")
        for seconds, index, first_line in sorted(cells, reverse=True)[:args.top]:
            print(f"  {seconds:6.2f} s  cell {index:3d}  {first_line[:70]}")


if __name__ == "__main__":
    main()
