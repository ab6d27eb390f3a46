"""Due dates, late penalties, caps, extensions and submission times (dlmath.grading.late)."""

import os
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from dlmath.grading.late import (
    Amount, CourseFileError, SubmissionTime, TimestampError, apply_late_policy, days_late, late_result, parse_amount,
    parse_course, parse_timestamp, read_course, read_timestamp, submission_time,
)

UTC = timezone.utc
COURSE = """
time_zone: Europe/Berlin
assignments:
  ch01_tensors:
    deadline: 2026-10-12T23:59:00+02:00
    late_policy:
      per_day: 10%
      cap: 30%
      grace_minutes: 15
    extensions:
      jsmith: 2026-10-14T23:59:00+02:00
      adoe: {days: 3}
      "007": {days: 1}
  ch02_linear_algebra:
    deadline: 2026-10-24T23:59
    late_policy:
      per_day: 2 points
    extensions:
      adoe: {days: 2}
  ch03_calculus_gradients:
    deadline: 2026-11-02T12:00:00Z
    late_policy: none
"""


@pytest.fixture
def course():
    return parse_course(COURSE)


def berlin(*args):
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


# --- penalties and caps ------------------------------------------------------

def test_penalty_per_started_day_as_a_fraction_of_the_maximum(course):
    dates = course.assignment("ch01_tensors")
    # 1 minute past the 15-minute grace period is a started day.
    one = apply_late_policy(8, 10, berlin(2026, 10, 13, 0, 15), dates, "x")
    assert (one.days_late, one.penalty, one.final) == (1, 1.0, 7.0)
    assert one.reason == "1 day late, \u221210 %"
    # 24 hours and one second after the deadline: the second day has started.
    two = apply_late_policy(8, 10, berlin(2026, 10, 13, 23, 59, 1), dates, "x")
    assert (two.days_late, two.penalty, two.final) == (2, 2.0, 6.0)
    assert two.reason == "2 days late, \u221220 %"
    assert two.row() == {"submitted": "2026-10-13T21:59:01+00:00", "penalty": "2", "final": "6",
                         "late": "2 days late, \u221220 %"}


def test_on_time_and_within_the_grace_period_cost_nothing(course):
    dates = course.assignment("ch01_tensors")
    exact = apply_late_policy(8, 10, berlin(2026, 10, 12, 23, 59), dates, "x")
    assert (exact.days_late, exact.penalty, exact.final, exact.reason) == (0, 0.0, 8.0, "on time")
    grace = apply_late_policy(8, 10, berlin(2026, 10, 13, 0, 10), dates, "x")
    assert (grace.penalty, grace.final) == (0.0, 8.0)
    assert grace.reason == "on time (within the grace period, 11 min after the deadline)"


def test_the_cap_limits_the_penalty(course):
    dates = course.assignment("ch01_tensors")
    result = apply_late_policy(8, 10, berlin(2026, 10, 22, 12, 0), dates, "x")
    assert result.days_late == 10
    assert (result.penalty, result.final) == (3.0, 5.0)          # 30 % of 10, not 100 %
    assert result.reason == "10 days late, \u221230 % (the cap)"


def test_final_points_are_never_below_zero(course):
    dates = course.assignment("ch01_tensors")
    result = apply_late_policy(1.5, 10, berlin(2026, 10, 15, 12, 0), dates, "x")
    assert result.days_late == 3
    assert (result.penalty, result.final) == (1.5, 0.0)          # 30 % would be 3 points; 1.5 were earned
    zero = apply_late_policy(0, 10, berlin(2026, 10, 15, 12, 0), dates, "x")
    assert (zero.penalty, zero.final) == (0.0, 0.0)


def test_points_per_day_without_a_cap(course):
    dates = course.assignment("ch02_linear_algebra")
    result = apply_late_policy(17, 20, berlin(2026, 10, 27, 9, 0), dates, "x")
    assert result.days_late == 3
    assert (result.penalty, result.final) == (6.0, 11.0)
    assert result.reason == "3 days late, \u22126 points"
    many = apply_late_policy(17, 20, berlin(2026, 11, 30, 9, 0), dates, "x")
    assert (many.penalty, many.final) == (17.0, 0.0)             # no cap: up to everything earned


def test_policy_none_says_how_late_without_a_penalty(course):
    dates = course.assignment("ch03_calculus_gradients")
    result = apply_late_policy(9, 10, datetime(2026, 11, 4, 11, 0, tzinfo=UTC), dates, "x")
    assert (result.days_late, result.penalty, result.final) == (2, 0.0, 9.0)
    assert result.reason == "2 days late, no late penalty"


def test_unknown_submission_time_costs_nothing_and_says_so(course):
    dates = course.assignment("ch01_tensors")
    result = apply_late_policy(8, 10, SubmissionTime(None, "unknown"), dates, "x")
    assert (result.penalty, result.final, result.reason) == (0.0, 8.0, "submission time unknown: no penalty")
    with pytest.raises(ValueError, match="timezone-aware"):
        apply_late_policy(8, 10, datetime(2026, 10, 14), dates, "x")


def test_file_time_is_named_in_the_reason(course):
    dates = course.assignment("ch01_tensors")
    when = SubmissionTime(berlin(2026, 10, 13, 9, 0), "file time")
    assert apply_late_policy(8, 10, when, dates, "x").reason == "1 day late (by the file's time), \u221210 %"


def test_days_late_counts_started_24_hour_days():
    deadline = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert days_late(deadline, deadline) == 0
    assert days_late(deadline + timedelta(seconds=1), deadline) == 1
    assert days_late(deadline + timedelta(days=1), deadline) == 1
    assert days_late(deadline + timedelta(days=1, seconds=1), deadline) == 2
    assert days_late(deadline + timedelta(minutes=10), deadline, timedelta(minutes=10)) == 0
    assert days_late(deadline - timedelta(days=3), deadline) == 0


# --- extensions ----------------------------------------------------------------

def test_an_extension_to_a_new_deadline(course):
    dates = course.assignment("ch01_tensors")
    when = berlin(2026, 10, 14, 20, 0)
    assert apply_late_policy(8, 10, when, dates, "x").final == 6.0
    extended = apply_late_policy(8, 10, when, dates, "jsmith")
    assert (extended.penalty, extended.final) == (0.0, 8.0)
    assert extended.reason == "on time (extended to 2026-10-14 23:59 +02:00)"
    after = apply_late_policy(8, 10, berlin(2026, 10, 15, 8, 0), dates, "jsmith")
    assert after.reason == "1 day late (extended to 2026-10-14 23:59 +02:00), \u221210 %"


def test_an_extension_by_days_and_ids_kept_as_text(course):
    dates = course.assignment("ch01_tensors")
    assert dates.deadline_for("adoe") == berlin(2026, 10, 15, 23, 59)
    assert dates.deadline_for("007") == berlin(2026, 10, 13, 23, 59)   # not the number 7
    assert "7" not in dates.extensions
    assert apply_late_policy(8, 10, berlin(2026, 10, 15, 23, 0), dates, "adoe").final == 8.0


def test_extra_days_keep_the_wall_clock_time_across_a_clock_change(course):
    # ch02 is due 24 October 23:59 in Berlin (summer time, +02:00); the clocks go back on
    # 25 October, so two days later is 26 October 23:59 at +01:00: 49 hours, not 48.
    dates = course.assignment("ch02_linear_algebra")
    assert dates.deadline.utcoffset() == timedelta(hours=2)
    extended = dates.deadline_for("adoe")
    assert extended == berlin(2026, 10, 26, 23, 59)
    assert extended.utcoffset() == timedelta(hours=1)
    assert extended.astimezone(UTC) - dates.deadline.astimezone(UTC) == timedelta(hours=49)
    # Lateness is counted in real hours: 25 October 23:30 is 23 h 31 min after the deadline on the
    # wall clock, but 24 h 31 min in fact, so the second day has started.
    late = apply_late_policy(20, 20, berlin(2026, 10, 25, 23, 30), dates, "x")
    assert late.days_late == 2


# --- time zones -------------------------------------------------------------------

def test_deadlines_with_offsets_and_zones_are_instants(course):
    assert course.assignment("ch01_tensors").deadline == datetime(2026, 10, 12, 21, 59, tzinfo=UTC)
    assert course.assignment("ch03_calculus_gradients").deadline == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    # The same instant written in New York's time is judged the same way.
    dates = course.assignment("ch01_tensors")
    new_york = datetime(2026, 10, 12, 17, 59, tzinfo=ZoneInfo("America/New_York"))
    assert apply_late_policy(8, 10, new_york, dates, "x").days_late == 0
    assert apply_late_policy(8, 10, new_york + timedelta(minutes=16), dates, "x").days_late == 1


def test_a_deadline_needs_a_time_zone_and_a_time():
    with pytest.raises(CourseFileError, match=r"assignments → a → deadline: '2026-10-12T23:59' has no time zone"):
        parse_course("assignments:\n  a:\n    deadline: 2026-10-12T23:59\n    late_policy: none\n")
    with pytest.raises(CourseFileError, match="not an ISO 8601 date and time"):
        parse_course("assignments:\n  a:\n    deadline: 2026-10-12\n    late_policy: none\n")
    with pytest.raises(CourseFileError, match="unknown time zone 'Mars/Olympus'"):
        parse_course("time_zone: Mars/Olympus\nassignments:\n  a:\n    deadline: 2026-10-12T23:59\n"
                     "    late_policy: none\n")


# --- nbgrader's timestamp.txt ---------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2026-10-12 21:59:00.123456 UTC", datetime(2026, 10, 12, 21, 59, 0, 123456, tzinfo=UTC)),  # nbgrader submit
    ("2026-10-12 21:59:00", datetime(2026, 10, 12, 21, 59, tzinfo=UTC)),       # zip_collect: no zone means UTC
    ("2026-10-12 23:59:00 +0200", datetime(2026, 10, 12, 21, 59, tzinfo=UTC)),
    ("2026-10-12 17:59:00.000000 EDT", datetime(2026, 10, 12, 21, 59, tzinfo=UTC)),
    ("2026-10-12 23:59:00 Europe/Berlin", datetime(2026, 10, 12, 21, 59, tzinfo=UTC)),
    ("2026-10-12T23:59:00+02:00\n", datetime(2026, 10, 12, 21, 59, tzinfo=UTC)),
])
def test_nbgrader_timestamps(text, expected):
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("yesterday at noon", "not a date and time"),
    ("2026-10-12 23:59:00 CST", "ambiguous time zone 'CST'"),     # China, or the US Central zone?
    ("2026-13-12 10:00:00", "not a date and time"),
    ("2026-10-12 23:59:00+02:00 UTC", "two time zones"),
])
def test_malformed_timestamps_are_errors_not_guesses(text, message):
    with pytest.raises(TimestampError, match=message):
        parse_timestamp(text)


def test_submission_time_prefers_timestamp_txt(tmp_path):
    notebook = tmp_path / "ch01_tensors.ipynb"
    notebook.write_text("{}")
    os.utime(notebook, (1_700_000_000, 1_700_000_000))
    assert submission_time(tmp_path) == SubmissionTime(datetime.fromtimestamp(1_700_000_000, UTC), "file time")
    (tmp_path / "timestamp.txt").write_text("2026-10-12 21:59:00.000000 UTC\n")
    assert submission_time(tmp_path) == SubmissionTime(datetime(2026, 10, 12, 21, 59, tzinfo=UTC), "timestamp.txt")


def test_a_broken_timestamp_falls_back_to_the_file_time_and_says_so(tmp_path):
    notebook = tmp_path / "ch01_tensors.ipynb"
    notebook.write_text("{}")
    os.utime(notebook, (1_700_000_000, 1_700_000_000))
    (tmp_path / "timestamp.txt").write_text("soon")
    result = submission_time(tmp_path)
    assert (result.time, result.source) == (datetime.fromtimestamp(1_700_000_000, UTC), "file time")
    assert result.note == "timestamp.txt not used: 'soon' is not a date and time"


def test_a_linked_timestamp_or_notebook_is_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("2020-01-01 00:00:00 UTC")
    folder = tmp_path / "submission"
    folder.mkdir()
    (folder / "timestamp.txt").symlink_to(target)
    (folder / "ch01_tensors.ipynb").symlink_to(target)
    with pytest.raises(TimestampError, match="cannot be opened as a plain file"):
        read_timestamp(folder / "timestamp.txt")
    result = submission_time(folder)
    assert (result.time, result.source) == (None, "unknown")
    assert "timestamp.txt not used" in result.note


def test_an_empty_folder_has_no_submission_time(tmp_path):
    assert submission_time(tmp_path) == SubmissionTime(None, "unknown", "no timestamp.txt and no notebook")


# --- the course file: amounts and malformed files -----------------------------------------

def test_amounts():
    assert parse_amount("10%") == Amount(0.1, "fraction")
    assert parse_amount("12.5 %") == Amount(0.125, "fraction")
    assert parse_amount("0.2") == Amount(0.2, "fraction")
    assert parse_amount("2 points") == Amount(2.0, "points")
    assert parse_amount("1 point") == Amount(1.0, "points")
    for bad, message in [("2", "ambiguous"), ("150%", "more than 100 %"), ("-10%", "not an amount"),
                         ("ten percent", "not an amount"), ("", "not an amount")]:
        with pytest.raises(CourseFileError, match=message):
            parse_amount(bad)


@pytest.mark.parametrize("text, message", [
    ("assignments: [a, b]", "'assignments:' must map each assignment"),
    ("- just a list", "expected a mapping"),
    ("assignments:\n  a:\n    late_policy: none\n", r"assignments → a: no 'deadline:'"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n", r"no 'late_policy:'"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy:\n      per_dy: 10%\n",
     r"late_policy: unknown key 'per_dy'"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: {per_day: lots}\n",
     r"late_policy → per_day: 'lots' is not an amount"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: {per_day: 10%, grace_minutes: -5}\n",
     "grace_minutes: must not be negative"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: none\n    extensions:\n"
     "      bob: 3\n", r"extensions → bob: '3' is a number; write '\{days: 3\}'"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: none\n    extensions:\n"
     "      bob: 2026-10-10T23:59Z\n", "is before the assignment's deadline"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: none\n    extensions:\n"
     "      bob: {days: 0}\n", "days: must be more than 0"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: none\n    extensions:\n"
     "      bob: {days: 1}\n      bob: {days: 2}\n", "line 7: 'bob' is given twice"),
    ("assignments:\n  a:\n    deadline: [2026]\n    late_policy: none\n", "expected a date and time"),
    ("assignments:\n  a: {deadline: 2026-10-12T23:59Z, late_policy: none\n", "not valid YAML"),
    ("assignments:\n  a:\n    deadline: 2026-10-12T23:59Z\n    late_policy: none\n    due: tomorrow\n",
     "unknown key 'due'"),
])
def test_malformed_course_files_name_the_mistake(text, message):
    with pytest.raises(CourseFileError, match=message):
        parse_course(text)


def test_read_course_from_a_file_and_unknown_assignments(tmp_path):
    path = tmp_path / "course.yml"
    path.write_text(COURSE, encoding="utf-8")
    course = read_course(path)
    assert sorted(course.assignments) == ["ch01_tensors", "ch02_linear_algebra", "ch03_calculus_gradients"]
    with pytest.raises(CourseFileError, match=r"course.yml: no assignment 'ch09' under 'assignments:'"):
        course.assignment("ch09")
    with pytest.raises(CourseFileError, match="no such file"):
        read_course(tmp_path / "missing.yml")
    (tmp_path / "latin1.yml").write_bytes("assignments:\n  caf\xe9: {}\n".encode("latin-1"))
    with pytest.raises(CourseFileError, match="cannot be read"):
        read_course(tmp_path / "latin1.yml")


def test_late_result_for_a_student_folder(course, tmp_path):
    folder = tmp_path / "submitted" / "bjones" / "ch01_tensors"
    folder.mkdir(parents=True)
    (folder / "ch01_tensors.ipynb").write_text("{}")
    (folder / "timestamp.txt").write_text("2026-10-14 08:00:00.000000 UTC\n")     # 1 day 10 h late
    result = late_result(course, "ch01_tensors", "bjones", folder, 7, 10)
    assert (result.raw, result.penalty, result.final) == (7.0, 2.0, 5.0)
    assert result.row() == {"submitted": "2026-10-14T08:00:00+00:00", "penalty": "2", "final": "5",
                            "late": "2 days late, \u221220 %"}
    (folder / "timestamp.txt").write_text("Tuesday")
    stamp = datetime(2026, 10, 12, 20, 0, tzinfo=UTC).timestamp()
    os.utime(folder / "ch01_tensors.ipynb", (stamp, stamp))
    fallback = late_result(course, "ch01_tensors", "bjones", folder, 7, 10)
    assert fallback.final == 7.0
    assert fallback.reason == ("on time (by the file's time) "
                               "(timestamp.txt not used: 'Tuesday' is not a date and time)")
    with pytest.raises(CourseFileError, match="no assignment 'ch07'"):
        late_result(course, "ch07", "bjones", folder, 7, 10)
