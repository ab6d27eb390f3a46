"""Execute notebooks in place, in fresh kernels, storing outputs and widget state.

This is the only way stored outputs are made (``make execute``); nobody edits
them by hand. Each notebook runs in a new kernel from its own folder, as a
reader's would, with the saved widget state that lets the book show widgets.

    python tools/execute_notebooks.py                 # notebooks/ and solutions/
    python tools/execute_notebooks.py notebooks/01_tensors.ipynb
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("notebooks", "solutions")
CELL_TIMEOUT = 600  # seconds; a chapter should take about a minute in all


def default_paths() -> list[Path]:
    return sorted(p for folder in FOLDERS for p in (ROOT / folder).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def clean_metadata(nb) -> None:
    """Drop metadata that changes on every run without meaning anything (timestamps)."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for output in cell.get("outputs", []):
                output.get("metadata", {}).pop("execution", None)


def execute(path: Path, *, timeout: int = CELL_TIMEOUT) -> float:
    """Execute one notebook in place; return the seconds it took. Raises on a cell error."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                            record_timing=False, resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    clean_metadata(nb)
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nbformat.write(nb, path)
    return seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.paths] or default_paths()
    failed = []
    for path in paths:
        name = path.relative_to(ROOT)
        try:
            seconds = execute(path)
            print(f"{seconds:6.1f} s  {name}", flush=True)
        except Exception as error:  # report every failing notebook, then fail
            failed.append(name)
            print(f"FAILED   {name}: {type(error).__name__}: {str(error)[-2000:]}", flush=True)
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(map(str, failed))}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
