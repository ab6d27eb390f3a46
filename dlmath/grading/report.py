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

    def total(self) -> float:
        return sum(self.scores.values())


def number(x: float) -> str:
    """Points as plain text: ``3`` rather than ``3.0``, and never scientific notation."""
    return str(int(x)) if float(x).is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def safe_cell(text: str) -> str:
    """A text cell that no spreadsheet runs as a formula."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(columns: list[str], maximum: float, results: list[Result]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *columns, "total", "max", "status", "sandbox", "detail"])
    for result in sorted(results, key=lambda r: r.student):
        writer.writerow([safe_cell(result.student), *(number(result.scores.get(c, 0)) for c in columns),
                         number(result.total()), number(maximum), result.status, result.sandbox,
                         safe_cell(result.detail.replace("\n", " "))])
    return buffer.getvalue()


def write_csv(path, columns: list[str], maximum: float, results: list[Result]) -> None:
    """Write the class CSV atomically: readers see the old table or the new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(csv_text(columns, maximum, results))
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def summary(results: list[Result]) -> str:
    counts = {status: sum(r.status == status for r in results) for status in STATUSES}
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n)
