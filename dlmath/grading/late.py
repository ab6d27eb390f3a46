"""Due dates, late work and extensions: the course file, the submission time and the late penalty.

The course file (``course.yml`` at the course's root) says, for each assignment,
when it is due, what a late submission costs, and which students have longer::

    time_zone: Europe/Berlin            # optional: for deadlines written without an offset
    assignments:
      ch01_tensors:
        deadline: 2026-10-12T23:59:00+02:00
        late_policy:
          per_day: 10%                  # per started day late: a percentage of the maximum, or "2 points"
          cap: 50%                      # optional: the most lateness can cost (default: everything)
          grace_minutes: 15             # optional: this much late still counts as on time
        extensions:
          jsmith: 2026-10-14T23:59:00+02:00   # a new deadline
          adoe: {days: 3}                     # or extra days
      ch02_linear_algebra:
        deadline: 2026-10-26T23:59:00+01:00
        late_policy: none               # late work is accepted without penalty (the reason still says how late)

The file is read as plain text values (YAML's ``BaseLoader``), so a student id such
as ``007`` stays ``007`` and every value is checked here, with a message that
names where the mistake is. Times are compared as instants: a deadline with an
offset, a submission time in UTC, a day being 24 hours.

The submission time is read from nbgrader's ``timestamp.txt`` in the student's
assignment folder when there is one (``nbgrader submit`` and ``zip_collect``
write it), and otherwise taken from the notebook file's modification time,
which copying can change: the result says which was used.
"""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

UTC = timezone.utc
DAY = timedelta(days=1)
MINUS = "\u2212"  # the minus sign of the reasons: "2 days late, −20 %"
MAX_TIMESTAMP_BYTES = 1024
LATE_COLUMNS = ("submitted", "penalty", "final", "late")

# Zone abbreviations nbgrader's default timestamp format ("%Z") may write, where one
# abbreviation means one offset. Ambiguous ones (CST, IST, BST...) are refused.
ZONE_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 1, "CET": 1, "CEST": 2, "EET": 2, "EEST": 3,
    "EST": -5, "EDT": -4, "MDT": -6, "MST": -7, "PDT": -7, "PST": -8, "AKST": -9, "AKDT": -8,
    "HST": -10, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11, "NZST": 12, "NZDT": 13,
}


class CourseFileError(ValueError):
    """The course file cannot be used; the message says where and why."""


class TimestampError(ValueError):
    """A ``timestamp.txt`` that cannot be read as a time."""


# ---------------------------------------------------------------------------
# The course file
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Amount:
    """A penalty or a cap: a fraction of the maximum points, or a number of points."""

    value: float
    unit: str  # "fraction" or "points"

    def points(self, maximum: float) -> float:
        """The amount in points, for an assignment worth ``maximum``."""
        return self.value * maximum if self.unit == "fraction" else self.value

    def text(self, times: int = 1) -> str:
        """``20 %`` or ``2 points`` (``times`` multiplies it first)."""
        if self.unit == "fraction":
            return f"{_number(100 * self.value * times)} %"
        amount = self.value * times
        return f"{_number(amount)} point{'' if amount == 1 else 's'}"


@dataclass(frozen=True)
class LatePolicy:
    """What a late submission costs. ``per_day`` None means no penalty (``late_policy: none``)."""

    per_day: Amount | None = None
    cap: Amount | None = None          # None: up to all the points
    grace: timedelta = timedelta(0)


@dataclass(frozen=True)
class AssignmentDates:
    """One assignment of the course file."""

    name: str
    deadline: datetime
    policy: LatePolicy
    extensions: dict = field(default_factory=dict)   # student id -> that student's deadline

    def deadline_for(self, student: str) -> datetime:
        """The student's deadline: their extension's if they have one, else the assignment's."""
        return self.extensions.get(student, self.deadline)


@dataclass(frozen=True)
class Course:
    """The course file: the assignments with dates, by name."""

    assignments: dict
    path: str = "course.yml"

    def assignment(self, name: str) -> AssignmentDates:
        """The dates of one assignment; a clear error if the course file does not list it."""
        try:
            return self.assignments[name]
        except KeyError:
            known = ", ".join(sorted(self.assignments)) or "none"
            raise CourseFileError(f"{self.path}: no assignment {name!r} under 'assignments:' "
                                  f"(it lists: {known})") from None


def read_course(path) -> Course:
    """Read and check a course file (``course.yml``); :class:`CourseFileError` says what is wrong and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CourseFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CourseFileError(f"{path}: cannot be read ({error})") from None
    return parse_course(text, str(path))


def parse_course(text: str, where: str = "course.yml") -> Course:
    """Check the text of a course file and return the :class:`Course` it describes."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except CourseFileError as error:
        raise CourseFileError(f"{where}: {error}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        at = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise CourseFileError(f"{where}: not valid YAML{at}: {problem}") from None
    if not isinstance(data, dict):
        raise CourseFileError(f"{where}: expected a mapping with an 'assignments:' key")
    _only_keys(data, {"time_zone", "assignments"}, where)
    zone = None
    if "time_zone" in data:
        zone = _time_zone(data["time_zone"], f"{where}: time_zone")
    assignments = data.get("assignments")
    if not isinstance(assignments, dict) or not assignments:
        raise CourseFileError(f"{where}: 'assignments:' must map each assignment's name to its deadline and policy")
    parsed = {}
    for name, entry in assignments.items():
        parsed[name] = _parse_assignment(name, entry, zone, f"{where}: assignments → {name}")
    return Course(parsed, where)


def _parse_assignment(name: str, entry, zone, where: str) -> AssignmentDates:
    if not isinstance(entry, dict):
        raise CourseFileError(f"{where}: expected 'deadline:', 'late_policy:' and optional 'extensions:'")
    _only_keys(entry, {"deadline", "late_policy", "extensions"}, where)
    if "deadline" not in entry:
        raise CourseFileError(f"{where}: no 'deadline:' (for example 2026-10-12T23:59:00+02:00)")
    if "late_policy" not in entry:
        raise CourseFileError(f"{where}: no 'late_policy:' (write 'late_policy: none', or give 'per_day:')")
    deadline = parse_deadline(entry["deadline"], zone, f"{where} → deadline")
    policy = _parse_policy(entry["late_policy"], f"{where} → late_policy")
    extensions = {}
    given = entry.get("extensions", {})
    if given == "":
        given = {}
    if not isinstance(given, dict):
        raise CourseFileError(f"{where} → extensions: expected one line per student, 'student_id: new deadline' "
                              "or 'student_id: {days: 2}'")
    for student, extension in given.items():
        extensions[student] = _parse_extension(extension, deadline, zone, f"{where} → extensions → {student}")
    return AssignmentDates(name, deadline, policy, extensions)


def _parse_policy(value, where: str) -> LatePolicy:
    if isinstance(value, str) and value.strip().lower() == "none":
        return LatePolicy()
    if not isinstance(value, dict):
        raise CourseFileError(f"{where}: write 'none', or a mapping with 'per_day:' (and optional 'cap:', "
                              "'grace_minutes:')")
    _only_keys(value, {"per_day", "cap", "grace_minutes"}, where)
    if "per_day" not in value:
        raise CourseFileError(f"{where}: no 'per_day:' (for example 'per_day: 10%' or 'per_day: 2 points')")
    per_day = parse_amount(value["per_day"], f"{where} → per_day")
    cap = parse_amount(value["cap"], f"{where} → cap") if "cap" in value else None
    grace = timedelta(0)
    if "grace_minutes" in value:
        minutes = _number_value(value["grace_minutes"], f"{where} → grace_minutes")
        if minutes < 0:
            raise CourseFileError(f"{where} → grace_minutes: must not be negative")
        grace = timedelta(minutes=minutes)
    return LatePolicy(per_day, cap, grace)


def _parse_extension(value, deadline: datetime, zone, where: str) -> datetime:
    if isinstance(value, dict):
        _only_keys(value, {"days", "deadline"}, where)
        if len(value) != 1:
            raise CourseFileError(f"{where}: give either 'days:' or 'deadline:'")
        if "days" in value:
            days = _number_value(value["days"], f"{where} → days")
            if days <= 0:
                raise CourseFileError(f"{where} → days: must be more than 0")
            # Added on the wall clock of the deadline's zone: 3 days after 23:59 is 23:59, across a clock change too.
            return deadline + timedelta(days=days)
        value = value["deadline"]
    if not isinstance(value, str):
        raise CourseFileError(f"{where}: expected a new deadline or {{days: N}}")
    if re.fullmatch(r"\s*\d+(\.\d+)?\s*", value):
        number = value.strip()
        raise CourseFileError(f"{where}: {number!r} is a number; write '{{days: {number}}}' for extra days")
    new = parse_deadline(value, zone, where)
    if new.astimezone(UTC) < deadline.astimezone(UTC):
        raise CourseFileError(f"{where}: {value} is before the assignment's deadline ({deadline.isoformat()})")
    return new


def parse_deadline(value, zone=None, where: str = "deadline") -> datetime:
    """An ISO 8601 date and time with a time zone, as an aware datetime.

    ``2026-10-12T23:59:00+02:00`` and ``2026-10-12T21:59:00Z`` carry their offset;
    ``2026-10-12T23:59`` is read in ``zone`` (the course file's ``time_zone``), and
    is an error without one, as is a date without a time of day.
    """
    if not isinstance(value, str) or not value.strip():
        raise CourseFileError(f"{where}: expected a date and time such as 2026-10-12T23:59:00+02:00")
    text = value.strip()
    if not re.match(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", text):
        raise CourseFileError(f"{where}: {text!r} is not an ISO 8601 date and time "
                              "(write it as 2026-10-12T23:59:00+02:00)")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise CourseFileError(f"{where}: {text!r} is not an ISO 8601 date and time "
                              "(write it as 2026-10-12T23:59:00+02:00)") from None
    if when.tzinfo is None:
        if zone is None:
            raise CourseFileError(f"{where}: {text!r} has no time zone: add the offset (…+02:00, or Z for UTC) "
                                  "or set 'time_zone:' at the top of the course file")
        when = when.replace(tzinfo=zone)
    return when


def parse_amount(value, where: str = "amount") -> Amount:
    """``10%`` or ``0.1`` (a fraction of the maximum points) or ``2 points``; :class:`CourseFileError` otherwise."""
    text = str(value).strip() if isinstance(value, (str, int, float)) else ""
    hint = "write a percentage of the maximum ('10%'), a fraction below 1 ('0.1') or points ('2 points')"
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(%|points?|pts?)?", text, flags=re.IGNORECASE)
    if not match:
        raise CourseFileError(f"{where}: {text!r} is not an amount; {hint}")
    number, unit = float(match.group(1)), (match.group(2) or "").lower()
    if unit == "%":
        if number > 100:
            raise CourseFileError(f"{where}: {text} is more than 100 %")
        return Amount(number / 100, "fraction")
    if unit:
        return Amount(number, "points")
    if number >= 1:
        raise CourseFileError(f"{where}: {text!r} is ambiguous; {hint}")
    return Amount(number, "fraction")


def _time_zone(value, where: str):
    if not isinstance(value, str) or not value.strip():
        raise CourseFileError(f"{where}: expected a time zone name such as Europe/Berlin")
    try:
        return ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise CourseFileError(f"{where}: unknown time zone {value.strip()!r} (use a name such as Europe/Berlin, "
                              "America/New_York or UTC)") from None


def _number_value(value, where: str) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise CourseFileError(f"{where}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise CourseFileError(f"{where}: {value!r} is not a finite number")
    return number


def _only_keys(mapping: dict, allowed: set, where: str) -> None:
    unknown = sorted(set(mapping) - allowed)
    if unknown:
        raise CourseFileError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")


class _StrictLoader(yaml.BaseLoader):
    """A YAML loader that keeps every value as text and refuses a key given twice."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise CourseFileError(f"line {key_node.start_mark.line + 1}: a key must be plain text")
            if key in seen:
                raise CourseFileError(f"line {key_node.start_mark.line + 1}: {key!r} is given twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


# ---------------------------------------------------------------------------
# When the work was handed in
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class SubmissionTime:
    """When a submission was handed in (aware, UTC), and where that time comes from."""

    time: datetime | None
    source: str           # "timestamp.txt", "file time" or "unknown"
    note: str = ""


def parse_timestamp(text: str) -> datetime:
    """Read the text of an nbgrader ``timestamp.txt`` as an aware UTC datetime.

    nbgrader writes ``2026-10-12 21:59:00.123456 UTC`` (``nbgrader submit``,
    its ``%Y-%m-%d %H:%M:%S.%f %Z`` format) or an ISO 8601 time
    (``zip_collect``: ``2026-10-12 21:59:00``, in UTC when it has no offset, as
    nbgrader reads it). The zone may be an offset (``+0200``, ``+02:00``), a zone
    name (``Europe/Berlin``) or an unambiguous abbreviation (``CEST``); anything
    else is a :class:`TimestampError`, never a silent guess.
    """
    text = text.strip().lstrip("\ufeff")
    if not text:
        raise TimestampError("the file is empty")
    parts = text.split()
    if len(parts) == 3:
        base, zone_text = f"{parts[0]} {parts[1]}", parts[2]
        try:
            when = datetime.fromisoformat(base)
        except ValueError:
            raise TimestampError(f"{text!r} is not a date and time") from None
        if when.tzinfo is not None:
            raise TimestampError(f"{text!r} gives two time zones")
        return when.replace(tzinfo=_timestamp_zone(zone_text)).astimezone(UTC)
    if len(parts) > 3:
        raise TimestampError(f"{text[:60]!r} is not a date and time")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise TimestampError(f"{text[:60]!r} is not a date and time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)   # nbgrader's convention: a time without a zone is UTC
    return when.astimezone(UTC)


def _timestamp_zone(text: str):
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", text)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        hours, minutes = int(offset.group(2)), int(offset.group(3))
        if hours > 23 or minutes > 59:
            raise TimestampError(f"{text!r} is not a time-zone offset")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    if text.upper() in ZONE_ABBREVIATIONS:
        return timezone(timedelta(hours=ZONE_ABBREVIATIONS[text.upper()]))
    if "/" in text:
        try:
            return ZoneInfo(text)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise TimestampError(f"unknown or ambiguous time zone {text!r}; configure nbgrader with "
                         "Exchange.timezone = 'UTC' or an offset")


def read_timestamp(path) -> datetime:
    """The time in an nbgrader ``timestamp.txt``, read without following a link and at most 1 KB."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise TimestampError(f"{path.name} cannot be opened as a plain file ({error.strerror})") from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise TimestampError(f"{path.name} is not a regular file")
        data = os.read(descriptor, MAX_TIMESTAMP_BYTES + 1)
    finally:
        os.close(descriptor)
    if len(data) > MAX_TIMESTAMP_BYTES:
        raise TimestampError(f"{path.name} is longer than a time stamp")
    try:
        return parse_timestamp(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise TimestampError(f"{path.name} is not text") from None


def submission_time(folder) -> SubmissionTime:
    """When the submission in ``folder`` (``submitted/<student>/<assignment>/``) was handed in.

    nbgrader's ``timestamp.txt`` when present and readable; else the latest
    modification time of the notebooks in the folder; else unknown. A
    ``timestamp.txt`` that cannot be read falls back to the file time, and the
    note says why, so that an instructor can check.
    """
    folder = Path(folder)
    note = ""
    timestamp = folder / "timestamp.txt"
    if os.path.lexists(timestamp):
        try:
            return SubmissionTime(read_timestamp(timestamp), "timestamp.txt")
        except TimestampError as error:
            note = f"timestamp.txt not used: {error}"
    times = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        entries = []
    for entry in entries:
        if entry.name.endswith(".ipynb") and entry.is_file(follow_symlinks=False):
            times.append(entry.stat(follow_symlinks=False).st_mtime)
    if times:
        return SubmissionTime(datetime.fromtimestamp(max(times), UTC), "file time", note)
    return SubmissionTime(None, "unknown", note or "no timestamp.txt and no notebook")


# ---------------------------------------------------------------------------
# The penalty
# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class LateResult:
    """The points of one submission before and after the late policy, and why."""

    raw: float
    penalty: float
    final: float
    days_late: int
    reason: str
    submitted: datetime | None = None

    def row(self) -> dict:
        """The late-policy columns of the class CSV: ``submitted``, ``penalty``, ``final``, ``late``."""
        return {"submitted": self.submitted.astimezone(UTC).isoformat() if self.submitted else "",
                "penalty": _number(self.penalty), "final": _number(self.final), "late": self.reason}


def days_late(submitted: datetime, deadline: datetime, grace: timedelta = timedelta(0)) -> int:
    """Started days (24 hours each) after the deadline; 0 when on time or within the grace period."""
    # In UTC: Python subtracts two times of the same zone on the wall clock, which is off by an hour
    # across a clock change.
    late_by = submitted.astimezone(UTC) - deadline.astimezone(UTC)
    if late_by <= grace:
        return 0
    return math.ceil(late_by / DAY)


def apply_late_policy(raw: float, maximum: float, submitted, dates: AssignmentDates, student: str) -> LateResult:
    """Raw points, the penalty, the final points and the reason, for one student's submission.

    ``submitted`` is a :class:`SubmissionTime` or an aware datetime (or None when
    unknown, which costs nothing and says so). The penalty is ``per_day`` for
    every started day after the student's deadline (their extension's, if any),
    at most ``cap``, and never more than the points earned: final points are
    never below zero.
    """
    raw, maximum, source = float(raw), float(maximum), ""
    if isinstance(submitted, SubmissionTime):
        source, submitted = submitted.source, submitted.time
    if submitted is not None and submitted.tzinfo is None:
        raise ValueError("the submission time must be timezone-aware")
    deadline = dates.deadline_for(student)
    extended = student in dates.extensions
    extension_note = f" (extended to {_when(deadline)})" if extended else ""
    if submitted is None:
        return LateResult(raw, 0.0, raw, 0, "submission time unknown: no penalty", None)
    policy = dates.policy
    days = days_late(submitted, deadline, policy.grace)
    by_file = " (by the file's time)" if source == "file time" else ""
    if days == 0:
        reason = "on time" + extension_note
        late_by = submitted.astimezone(UTC) - deadline.astimezone(UTC)
        if late_by > timedelta(0):
            minutes = math.ceil(late_by / timedelta(minutes=1))
            reason += f" (within the grace period, {minutes} min after the deadline)"
        return LateResult(raw, 0.0, raw, 0, reason + by_file, submitted)
    late_text = f"{days} day{'s' if days != 1 else ''} late{extension_note}{by_file}"
    if policy.per_day is None:
        return LateResult(raw, 0.0, raw, days, f"{late_text}, no late penalty", submitted)
    penalty = policy.per_day.points(maximum) * days
    amount = f"{MINUS}{policy.per_day.text(days)}"
    if policy.cap is not None and penalty > policy.cap.points(maximum):
        penalty = policy.cap.points(maximum)
        amount = f"{MINUS}{policy.cap.text()} (the cap)"
    penalty = round(min(penalty, maximum, max(raw, 0.0)), 6)
    return LateResult(raw, penalty, round(raw - penalty, 6), days, f"{late_text}, {amount}", submitted)


def _when(moment: datetime) -> str:
    """``2026-10-14 23:59 +02:00``: a deadline as the course file's readers write it."""
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{moment:%Y-%m-%d %H:%M} {sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _number(x: float) -> str:
    """A number as short text: 20 rather than 20.000000000000004, never scientific notation."""
    x = round(float(x), 6)
    return str(int(x)) if x.is_integer() else f"{x:.6f}".rstrip("0").rstrip(".")


def late_result(course: Course, assignment: str, student: str, folder, raw: float, maximum: float) -> LateResult:
    """The late policy applied to one student's assignment folder: the columns ``dlmath grade`` adds to a row.

    Reads the submission time from ``folder`` (:func:`submission_time`) and applies
    the assignment's policy and the student's extension; when ``timestamp.txt``
    could not be used, the reason says so.
    """
    when = submission_time(folder)
    result = apply_late_policy(raw, maximum, when, course.assignment(assignment), student)
    if when.note and when.time is not None:
        result = LateResult(result.raw, result.penalty, result.final, result.days_late,
                            f"{result.reason} ({when.note})", result.submitted)
    return result
