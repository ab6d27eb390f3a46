"""Marks where instructors keep them: the class CSV as a Canvas or Moodle gradebook import file.

    dlmath export canvas CLASS_CSV --out canvas.csv [--roster gradebook_export.csv] [--assignment NAME]
    dlmath export moodle CLASS_CSV --out moodle.csv [--roster participants.csv] [--assignment NAME]

``CLASS_CSV`` is what ``dlmath grade`` writes: one row per student folder with
the columns ``student``, ``total``, ``max`` and ``status`` (and ``final`` when a
late policy was applied: the mark exported is ``final`` when the column is
there and the cell is filled, else ``total``).

**Canvas** imports a CSV whose header is ``Student, ID, SIS User ID, SIS Login
ID, Section`` followed by one column per assignment, and whose row starting
with ``    Points Possible`` gives each assignment's maximum (the layout of
Canvas's own gradebook export). Canvas finds each student by ``ID`` (its user
id), then ``SIS User ID``, then ``SIS Login ID``, then the name; an assignment
column named ``Title (12345)`` updates that assignment, any other name creates
a new one. A blank cell changes nothing. Students Canvas does not recognise are
shown in its import preview, where the instructor resolves them.

**Moodle** imports a CSV with a column that identifies the user (its
*Identify user by* step maps it to the username, ID number or email address)
and a column per grade item (its *Grade item mappings* step). A user it cannot
find stops the whole import, so unknown students are left out of a Moodle file
(and reported). An empty cell means no grade.

The **roster** is optional: for Canvas, the gradebook export (*Grades → Export*);
for Moodle, a user list with a username, ID number or email address column
(the participants page's download, or the grader report's plain-text export).
With a roster, each student folder is matched to the roster by any of those
identifiers (exactly, or ignoring case), and

* *unknown* students (graded, but not in the roster) are reported on stderr;
  Canvas's file keeps them for its preview, Moodle's leaves them out;
* *missing* submissions (in the roster, not graded) are reported on stderr and
  written with an empty grade (``--missing zero`` writes 0).

Without a roster the folder names are the identifiers (``--id-column`` says
which one), and missing submissions cannot be known.

Every text cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
apostrophe. The file is UTF-8 with CRLF line ends, as both systems export it.
"""

from __future__ import annotations

import csv
import io
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

FORMATS = ("canvas", "moodle")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_RESERVED = (*CANVAS_COLUMNS, "Integration ID", "Root Account")
CANVAS_IDS = {"id": "ID", "sis": "SIS User ID", "login": "SIS Login ID"}
POINTS_POSSIBLE = "    Points Possible"
CANVAS_TEST_STUDENT = "Student, Test"
# Moodle's English column titles, by the identifier its import maps them to.
MOODLE_IDS = {"username": "Username", "idnumber": "ID number", "email": "Email address"}
MOODLE_ID_TITLES = {"username": "username", "user name": "username", "id number": "idnumber",
                    "idnumber": "idnumber", "email address": "email", "email": "email", "e-mail": "email"}
MOODLE_NAME_TITLES = {"first name": "First name", "firstname": "First name", "last name": "Last name",
                      "surname": "Last name", "lastname": "Last name"}
REQUIRED = ("student", "total", "max", "status")


class ExportError(ValueError):
    """The class CSV or the roster cannot be exported; the message says what and where."""


@dataclass(frozen=True)
class Mark:
    """One student's row of the class CSV: the mark to export and its context."""

    student: str
    points: float
    maximum: float
    status: str
    line: int = 0


@dataclass
class RosterEntry:
    """One student of the LMS roster: their identifiers and the cells an import file repeats."""

    identifiers: dict          # roster column title -> value, for matching
    cells: dict                # output column -> value (name, ids, section)
    label: str                 # how messages name the student
    line: int = 0


@dataclass
class Roster:
    entries: list
    columns: list              # the roster's header
    points_possible: dict = field(default_factory=dict)   # Canvas: column title -> points possible


@dataclass
class Export:
    """What will be written, and what the instructor must be told."""

    header: list
    rows: list
    unknown: list = field(default_factory=list)     # Marks not in the roster
    missing: list = field(default_factory=list)     # RosterEntries without a mark
    notes: list = field(default_factory=list)       # other warnings


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------

def safe_cell(text) -> str:
    """A text cell that no spreadsheet runs as a formula: a leading apostrophe where one would."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unescape_cell(text: str) -> str:
    """Undo :func:`safe_cell` (the class CSV escapes student names the same way)."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


def points_text(x: float) -> str:
    """Points as plain text: ``7`` or ``7.25``, never ``7.0`` or scientific notation."""
    x = round(float(x), 4)
    return str(int(x)) if x.is_integer() else f"{x:.4f}".rstrip("0").rstrip(".")


def _read_rows(path, what: str) -> list[list[str]]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file ({what})") from None
    except UnicodeDecodeError:
        raise ExportError(f"{path}: not UTF-8 text; save the {what} as CSV UTF-8") from None
    except OSError as error:
        raise ExportError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ExportError(f"{path}: not a readable CSV file ({error})") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ExportError(f"{path}: empty ({what})")
    return rows


def _number(text: str, where: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ExportError(f"{where}: {text!r} is not a number") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ExportError(f"{where}: {text!r} is not a number")
    return value


def read_class_csv(path) -> list[Mark]:
    """The marks of a class CSV written by ``dlmath grade``: ``final`` where filled, else ``total``."""
    rows = _read_rows(path, "class CSV")
    header = [title.strip() for title in rows[0]]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise ExportError(f"{path}: no column {', '.join(missing)} (expected the CSV that `dlmath grade` writes, "
                          f"with columns {', '.join(REQUIRED)}; this one has {', '.join(header) or 'none'})")
    if len(set(header)) != len(header):
        raise ExportError(f"{path}: a column title appears twice")
    column = {title: index for index, title in enumerate(header)}
    marks, seen = [], {}
    for number, row in enumerate(rows[1:], start=2):
        where = f"{path}, line {number}"
        cells = dict(zip(header, row + [""] * (len(header) - len(row))))
        student = unescape_cell(cells["student"])
        if not student.strip():
            raise ExportError(f"{where}: no student")
        if student in seen:
            raise ExportError(f"{where}: student {student!r} already on line {seen[student]}")
        seen[student] = number
        final = cells.get("final", "").strip() if "final" in column else ""
        points = _number(final, f"{where}, final") if final else _number(cells["total"], f"{where}, total")
        maximum = _number(cells["max"], f"{where}, max")
        marks.append(Mark(student, points, maximum, cells["status"].strip(), number))
    if not marks:
        raise ExportError(f"{path}: no students")
    return marks


def read_roster(path, lms: str) -> Roster:
    """The students of an LMS roster: Canvas's gradebook export, or a Moodle user list."""
    if lms not in FORMATS:
        raise ExportError(f"unknown LMS {lms!r} (choose {' or '.join(FORMATS)})")
    rows = _read_rows(path, "roster")
    header = [title.strip() for title in rows[0]]
    return _canvas_roster(path, header, rows[1:]) if lms == "canvas" else _moodle_roster(path, header, rows[1:])


def _canvas_roster(path, header: list, rows: list) -> Roster:
    # Canvas's importer checks the same: "Student" first, an "ID" second.
    if len(header) < 2 or "Student" not in header[0] or "ID" not in header[1]:
        raise ExportError(f"{path}: not a Canvas gradebook export (its header starts with Student, ID, …; "
                          "export it from Grades → Export)")
    index = {title: i for i, title in enumerate(header)}
    entries, points_possible = [], {}
    for number, row in enumerate(rows, start=2):
        cells = {title: (row[i].strip() if i < len(row) else "") for title, i in index.items()}
        first = row[0] if row else ""
        if "Points Possible" in first:
            points_possible = {title: value for title, value in cells.items() if value}
            continue
        if all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", cell, flags=re.IGNORECASE) for cell in row):
            continue   # Canvas's row of posting policies: no student
        if first.strip() == CANVAS_TEST_STUDENT:
            continue   # the Test Student of Canvas's Student View
        identifiers = {title: cells[title] for title in ("ID", "SIS User ID", "SIS Login ID", "Integration ID")
                       if cells.get(title)}
        if not identifiers:
            raise ExportError(f"{path}, line {number}: student {first!r} has no ID")
        out = {title: cells.get(title, "") for title in CANVAS_COLUMNS}
        label = f"{first.strip()} ({cells.get('SIS Login ID') or cells.get('ID')})"
        entries.append(RosterEntry(identifiers, out, label, number))
    return Roster(entries, header, points_possible)


def _moodle_roster(path, header: list, rows: list) -> Roster:
    kinds = {}
    for i, title in enumerate(header):
        kind = MOODLE_ID_TITLES.get(title.lower())
        if kind and kind not in kinds:
            kinds[kind] = i
    if not kinds:
        raise ExportError(f"{path}: no column Username, ID number or Email address: not a Moodle user list "
                          f"(its header is {', '.join(header)})")
    names = {MOODLE_NAME_TITLES[t.lower()]: i for i, t in enumerate(header) if t.lower() in MOODLE_NAME_TITLES}
    entries = []
    for number, row in enumerate(rows, start=2):
        def cell(i):
            return row[i].strip() if i < len(row) else ""

        identifiers = {MOODLE_IDS[kind]: cell(i) for kind, i in kinds.items() if cell(i)}
        if not identifiers:
            continue   # a row without any identifier (Moodle skips those too)
        out = dict(identifiers)
        out.update({title: cell(i) for title, i in names.items()})
        name = " ".join(cell(names[t]) for t in ("First name", "Last name") if t in names).strip()
        first_id = next(iter(identifiers.values()))
        entries.append(RosterEntry(identifiers, out, f"{name} ({first_id})" if name else first_id, number))
    return Roster(entries, header)


# ---------------------------------------------------------------------------
# Matching and building the file
# ---------------------------------------------------------------------------

def match_students(marks: list[Mark], roster: Roster, only_column: str | None = None):
    """Pair marks with roster entries by any identifier (exact, else ignoring case).

    Returns ``(pairs, unknown, notes)``: ``pairs`` lists ``(entry, mark or None)``
    in the roster's order, ``unknown`` the marks that match no entry, ``notes``
    what else the instructor must know (a folder that matches two students is
    unknown, and said so). Two folders matching one student is an error.
    """
    exact, folded = {}, {}
    for entry in roster.entries:
        for title, value in entry.identifiers.items():
            if only_column and title != only_column:
                continue
            exact.setdefault(value, set()).add(id(entry))
            folded.setdefault(value.casefold(), set()).add(id(entry))
    by_id = {id(entry): entry for entry in roster.entries}
    matched, unknown, notes = {}, [], []
    for mark in marks:
        candidates = exact.get(mark.student) or folded.get(mark.student.casefold()) or set()
        if len(candidates) > 1:
            labels = sorted(by_id[c].label for c in candidates)
            notes.append(f"{mark.student!r} matches several students of the roster ({'; '.join(labels)}): "
                         "not exported")
            unknown.append(mark)
        elif not candidates:
            unknown.append(mark)
        else:
            (candidate,) = candidates
            if candidate in matched:
                other = matched[candidate]
                raise ExportError(f"two graded folders, {other.student!r} and {mark.student!r}, match the same "
                                  f"student of the roster ({by_id[candidate].label}); keep one and grade again")
            matched[candidate] = mark
    pairs = [(entry, matched.get(id(entry))) for entry in roster.entries]
    return pairs, unknown, notes


def canvas_assignment_column(name: str, roster: Roster | None):
    """The Canvas column for the assignment and its points possible: the roster's ``name (id)`` column
    if it has one (``None`` for the points when the roster has no such column), else ``name``."""
    if roster is None:
        return name, None
    pattern = re.compile(re.escape(name) + r"(\s*\(\d+\))?")
    found = [title for title in roster.columns if title not in CANVAS_RESERVED and pattern.fullmatch(title)]
    if len(found) > 1:
        raise ExportError(f"the roster has several columns for {name!r} ({', '.join(found)}): "
                          "give the one to fill with --assignment")
    return (found[0], roster.points_possible.get(found[0], "")) if found else (name, None)


def build_export(lms: str, marks: list[Mark], assignment: str, roster: Roster | None = None,
                 id_column: str | None = None, missing: str = "blank") -> Export:
    """The header, rows and warnings of the import file for ``lms`` (``canvas`` or ``moodle``)."""
    if lms not in FORMATS:
        raise ExportError(f"unknown LMS {lms!r} (choose {' or '.join(FORMATS)})")
    if missing not in ("blank", "zero"):
        raise ExportError(f"--missing must be blank or zero, not {missing!r}")
    ids = CANVAS_IDS if lms == "canvas" else MOODLE_IDS
    if id_column is not None and id_column not in ids:
        raise ExportError(f"--id-column for {lms} is one of {', '.join(ids)}, not {id_column!r}")
    maxima = sorted({m.maximum for m in marks})
    if len(maxima) > 1:
        raise ExportError(f"the class CSV has several maxima ({', '.join(points_text(m) for m in maxima)}): "
                          "is it one assignment?")
    maximum = maxima[0]
    blank = "" if missing == "blank" else "0"
    export = Export([], [])
    not_graded = sorted({m.status for m in marks if m.status != "graded"})
    if not_graded:
        counts = ", ".join(f"{sum(m.status == s for m in marks)} {s}" for s in not_graded)
        export.notes.append(f"rows not 'graded' ({counts}) are exported with the points they have: check them first")

    if lms == "canvas":
        title, possible = canvas_assignment_column(assignment, roster)
        export.header = [*CANVAS_COLUMNS, title]
        export.rows.append([POINTS_POSSIBLE, "", "", "", "", points_text(maximum)])
        if possible is not None:
            export.notes.append(f"filling the existing Canvas assignment {title!r}")
        elif roster is not None:
            export.notes.append(f"the roster has no column {assignment!r}: Canvas will create a new assignment")
        if possible and possible != "(read only)":
            try:
                differs = abs(float(possible) - maximum) > 1e-9
            except ValueError:
                differs = False
            if differs:
                export.notes.append(f"Canvas's {title!r} is worth {possible} points, the grades are out of "
                                    f"{points_text(maximum)}: importing sets it to {points_text(maximum)}")
    else:
        title = assignment
    key = ids[id_column or ("login" if lms == "canvas" else "username")]

    if roster is None:
        for mark in sorted(marks, key=lambda m: m.student):
            export.rows.append(_row(lms, {"Student": mark.student, key: mark.student}, key, mark, title, blank))
        export.header = export.header or [key, title]
        _check_escaped(export, [m.student for m in marks])
        return export

    pairs, unknown, notes = match_students(marks, roster, ids[id_column] if id_column else None)
    export.notes.extend(notes)
    export.unknown = unknown
    export.missing = [entry for entry, mark in pairs if mark is None]
    if lms == "moodle":
        present = [t for t in ("Username", "ID number", "Email address", "First name", "Last name")
                   if any(t in entry.cells for entry in roster.entries)]
        export.header = [*present, title]
    for entry, mark in pairs:
        export.rows.append(_row(lms, entry.cells, key, mark, title, blank, export.header))
    if lms == "canvas":
        for mark in unknown:   # Canvas shows them in its import preview, to be matched by hand
            export.rows.append(_row(lms, {"Student": mark.student, key: mark.student}, key, mark, title, blank))
    _check_escaped(export, [v for entry, _ in pairs for v in entry.identifiers.values()]
                   + ([m.student for m in unknown] if lms == "canvas" else []))
    return export


def _row(lms, cells: dict, key: str, mark: Mark | None, title: str, blank: str, header=None) -> list:
    grade = points_text(mark.points) if mark is not None else blank
    if lms == "canvas":
        return [safe_cell(cells.get(column, "")) for column in CANVAS_COLUMNS] + [grade]
    columns = header[:-1] if header else [key]
    return [safe_cell(cells.get(column, "")) for column in columns] + [grade]


def _check_escaped(export: Export, identifiers) -> None:
    escaped = sorted({value for value in identifiers if safe_cell(value) != value})
    if escaped:
        export.notes.append(f"identifiers starting with a formula character were written with a leading "
                            f"apostrophe, and the LMS will not match them: enter these by hand: {', '.join(escaped)}")


# ---------------------------------------------------------------------------
# Writing, and the command line
# ---------------------------------------------------------------------------

def csv_text(export: Export) -> str:
    """The file's text: UTF-8, CRLF line ends (as Canvas and Moodle export), quoted where needed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(title) for title in export.header])
    writer.writerows(export.rows)
    return buffer.getvalue()


def write_export(path, export: Export) -> None:
    """Write the file atomically: a reader sees the old file or the whole new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as stream:
            stream.write(csv_text(export))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def report(export: Export, lms: str, out, stream=None) -> None:
    """Tell the instructor on stderr what was written, who is unknown and who is missing."""
    stream = stream or sys.stderr
    graded = len(export.rows) - (1 if lms == "canvas" else 0)
    print(f"dlmath export: {out}: {graded} students for {lms}", file=stream)
    for note in export.notes:
        print(f"dlmath export: note: {note}", file=stream)
    if export.unknown:
        where = "kept in the file for Canvas's import preview" if lms == "canvas" else "not in the file"
        print(f"dlmath export: {len(export.unknown)} graded students are not in the roster ({where}):", file=stream)
        for mark in export.unknown:
            print(f"  unknown: {mark.student} ({points_text(mark.points)} points)", file=stream)
    if export.missing:
        print(f"dlmath export: {len(export.missing)} students of the roster have no graded submission:", file=stream)
        for entry in export.missing:
            print(f"  missing: {entry.label}", file=stream)


def add_arguments(parser) -> None:
    """The options of ``dlmath export``."""
    parser.add_argument("lms", choices=FORMATS, help="the learning platform to import the file into")
    parser.add_argument("class_csv", help="the class CSV written by `dlmath grade`")
    parser.add_argument("--out", required=True, help="the import file to write")
    parser.add_argument("--roster", help="the LMS's student list: Canvas's gradebook export, or a Moodle user list")
    parser.add_argument("--assignment", help="the grade column's name (default: the class CSV's file name)")
    parser.add_argument("--id-column", help="which identifier the student folders are: canvas: login (default), "
                                            "sis or id; moodle: username (default), idnumber or email")
    parser.add_argument("--missing", choices=("blank", "zero"), default="blank",
                        help="grade of a roster student with no submission (default: blank, no grade)")


def main(args) -> int:
    """Run ``dlmath export``: 0 when every graded student is in the file and known, 1 when some are
    unknown to the roster (the file is still written), 2 when nothing could be written."""
    try:
        marks = read_class_csv(args.class_csv)
        roster = read_roster(args.roster, args.lms) if args.roster else None
        assignment = args.assignment or Path(args.class_csv).stem
        export = build_export(args.lms, marks, assignment, roster, args.id_column, args.missing)
        write_export(args.out, export)
    except ExportError as error:
        print(f"dlmath export: {error}", file=sys.stderr)
        return 2
    report(export, args.lms, args.out)
    if roster is None:
        print("dlmath export: note: no --roster, so students who submitted nothing are not listed", file=sys.stderr)
    return 1 if export.unknown else 0
