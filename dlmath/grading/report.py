"""The class result: one CSV row per student folder, written so that it is never lost or dangerous.

The CSV is rewritten after every student, atomically (a temporary file in the
same folder, then a rename), so an interrupted grading leaves the last complete
table and never half a file. A text cell that a spreadsheet would run as a
formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is
written with a leading apostrophe, as spreadsheet programs expect.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

STATUSES = ("graded", "timeout", "crashed", "malformed", "refused", "bad-name")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Result:
    """One row of the CSV, and the feedback behind it."""

    student: str
    scores: dict = field(default_factory=dict)     # question column -> points
    status: str = "graded"
    detail: str = ""
    sandbox: str = "on"
    feedback: dict = field(default_factory=dict)   # question column -> message of the failed check ("" if passed)
    late: dict = field(default_factory=dict)       # the late-policy columns (submitted, penalty, final, late), if any
    notebooks: dict = field(default_factory=dict)  # notebook name -> the executed notebook (JSON text), for feedback

    def total(self) -> float:
        return sum(self.scores.values())


def number(x: float) -> str:
    """Points as plain text: ``3`` rather than ``3.0``, and never scientific notation."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


LATE_COLUMNS = ["submitted", "penalty", "final", "late"]


def header(columns: list[str], late: bool = False) -> list[str]:
    return ["student", *columns, "total", "max", "status", "sandbox", "detail", *(LATE_COLUMNS if late else [])]


def row(result: Result, columns: list[str], maximum: float, late: bool = False) -> list[str]:
    """One CSV row, every text cell made safe for spreadsheets."""
    cells = [safe_cell(result.student), *(number(result.scores.get(c, 0)) for c in columns),
             number(result.total()), number(maximum), result.status, result.sandbox,
             safe_cell(result.detail.replace("\n", " "))]
    if late:
        cells += [safe_cell(result.late.get(key, "")) for key in LATE_COLUMNS]
    return cells


def csv_text(columns: list[str], maximum: float, results: list[Result], *, late: bool = False,
             kept_rows: list[list[str]] = ()) -> str:
    """The CSV: ``results`` and rows kept from an earlier run (already safe), sorted by student."""
    rows = [row(r, columns, maximum, late) for r in results] + [list(k) for k in kept_rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header(columns, late))
    for cells in sorted(rows, key=lambda cells: cells[0]):
        writer.writerow(cells)
    return buffer.getvalue()


def read_rows(path, columns: list[str], late: bool = False) -> dict[str, list[str]]:
    """The rows of an earlier CSV by student cell, if it has this assignment's header (else nothing)."""
    path = Path(path)
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    if not rows or rows[0] != header(columns, late):
        return {}
    return {cells[0]: cells for cells in rows[1:] if cells}


def write_csv(path, columns: list[str], maximum: float, results: list[Result], *, late: bool = False,
              kept_rows: list[list[str]] = ()) -> None:
    """Write the class CSV atomically: readers see the old table or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(csv_text(columns, maximum, results, late=late, kept_rows=kept_rows))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def summary(results: list[Result], maximum: float | None = None) -> str:
    """``28 graded (25 with full marks, 3 partial), 1 timeout, 1 refused``."""
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    parts = []
    for status, n in counts.items():
        if not n:
            continue
        text = f"{n} {status}"
        if status == "graded" and maximum is not None:
            full = sum(r.status == "graded" and r.total() == maximum for r in results)
            text += f" ({full} with full marks, {n - full} partial)"
        parts.append(text)
    return ", ".join(parts)
