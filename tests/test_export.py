"""`dlmath export`: the class CSV as Canvas and Moodle gradebook imports (dlmath.grading.export)."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import pytest

from dlmath.__main__ import main as dlmath_main
from dlmath.grading.export import (
    ExportError, Mark, build_export, csv_text, read_class_csv, read_roster, safe_cell, unescape_cell,
)

ROOT = Path(__file__).resolve().parents[1]

# What `dlmath grade` writes (columns per question, total, max, status, ...), with a late policy applied.
CLASS_CSV = """student,ex1_test,ex2_test,total,max,status,detail,submitted,penalty,final,late
asmith,2,3,5,5,graded,,2026-10-12T20:00:00+00:00,0,5,on time
bjones,2,1,3,5,graded,,2026-10-14T08:00:00+00:00,0.6,2.4,"2 days late, \u221220 %"
'=cmd|' /C calc'!A0,0,0,0,5,malformed,no notebook,,0,0,submission time unknown: no penalty
elee,1,1,2,5,timeout,a cell ran too long,2026-10-12T20:00:00+00:00,0,,on time
zstranger,2,3,5,5,graded,,2026-10-12T20:00:00+00:00,0,5,on time
"""

# A Canvas gradebook export (Grades -> Export), made up for the tests, in Canvas's layout.
CANVAS_ROSTER = (
    '\ufeff"Student","ID","SIS User ID","SIS Login ID","Section","Quiz 1 (111)","ch01_tensors (4757)",'
    '"Current Score","Final Score"\r\n'
    '"    Points Possible","","","","","10","5","(read only)","(read only)"\r\n'
    '"","","","","","Manual Posting","",,\r\n'
    '"Smith, Ann","1001","S-1","asmith","Period 2","9","","90","90"\r\n'
    '"Jones, Bob","1002","S-2","BJones","Period 2","8","","80","80"\r\n'
    '"Lee, Emma","1003","S-3","elee","Period 2","10","","100","100"\r\n'
    '"Park, Dana","1004","S-4","dpark","Period 3","7","","70","70"\r\n'
    '"@Evil, Eve","1006","S-6","=HYPERLINK(""http://x"")","+Section","","","",""\r\n'
    '"Student, Test","1005","","","Period 2","","","",""\r\n'
)

# A Moodle participants download, made up for the tests.
MOODLE_ROSTER = (
    "First name,Last name,Username,Email address,Roles,Groups\n"
    "Ann,Smith,asmith,ann.smith@example.edu,Student,No groups\n"
    "Bob,Jones,bjones,bob.jones@example.edu,Student,No groups\n"
    "Emma,Lee,elee,emma.lee@example.edu,Student,No groups\n"
    "Dana,Park,dpark,dana.park@example.edu,Student,No groups\n"
)


def rows_of(text):
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.fixture
def class_csv(tmp_path):
    path = tmp_path / "ch01_tensors.csv"
    path.write_text(CLASS_CSV, encoding="utf-8")
    return path


@pytest.fixture
def canvas_roster(tmp_path):
    path = tmp_path / "gradebook.csv"
    path.write_bytes(CANVAS_ROSTER.encode("utf-8"))
    return path


@pytest.fixture
def moodle_roster(tmp_path):
    path = tmp_path / "participants.csv"
    path.write_text(MOODLE_ROSTER, encoding="utf-8")
    return path


# --- reading the class CSV ------------------------------------------------------------

def test_final_is_exported_where_filled_else_total(class_csv):
    marks = {m.student: m for m in read_class_csv(class_csv)}
    assert marks["bjones"].points == 2.4          # final, after the late penalty (total was 3)
    assert marks["elee"].points == 2.0            # final empty: total
    assert marks["=cmd|' /C calc'!A0"].status == "malformed"   # the class CSV's escaping undone
    assert {m.maximum for m in marks.values()} == {5.0}


def test_total_when_there_is_no_final_column(tmp_path):
    path = tmp_path / "grades.csv"
    path.write_text("student,ex1_test,total,max,status,detail\nasmith,2,2,3,graded,\n", encoding="utf-8")
    assert read_class_csv(path) == [Mark("asmith", 2.0, 3.0, "graded", 2)]


@pytest.mark.parametrize("text, message", [
    ("student,total,status\nasmith,2,graded\n", "no column max"),
    ("student,total,max,status\nasmith,two,5,graded\n", "line 2, total: 'two' is not a number"),
    ("student,total,max,status\nasmith,2,5,graded\nasmith,3,5,graded\n", "'asmith' already on line 2"),
    ("student,total,max,status\n", "no students"),
    ("student,total,max,status\nasmith,2,5,graded\nbjones,2,10,graded\n", "several maxima"),
    ("student,total,max,status\nasmith,nan,5,graded\n", "is not a number"),
])
def test_bad_class_csv_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "grades.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExportError, match=message):
        build_export("canvas", read_class_csv(path), "a")


def test_safe_cell_and_its_inverse():
    for text in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"]:
        assert safe_cell(text) == "'" + text
        assert unescape_cell(safe_cell(text)) == text
    for text in ["asmith", "Smith, Ann", "'quoted", "1001", "", "\u22122"]:
        assert safe_cell(text) == text
        assert unescape_cell(text) == text


# --- Canvas ------------------------------------------------------------------------------

def test_canvas_without_roster_columns_and_escaping(class_csv):
    export = build_export("canvas", read_class_csv(class_csv), "ch01_tensors")
    rows = rows_of(csv_text(export))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ch01_tensors"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "5"]
    assert rows[2] == ["'=cmd|' /C calc'!A0", "", "", "'=cmd|' /C calc'!A0", "", "0"]
    assert rows[3] == ["asmith", "", "", "asmith", "", "5"]
    assert rows[4] == ["bjones", "", "", "bjones", "", "2.4"]
    assert len(rows) == 7
    assert any("leading apostrophe" in note and "=cmd" in note for note in export.notes)
    assert any("1 malformed, 1 timeout" in note for note in export.notes)
    assert csv_text(export).count("\r\n") == csv_text(export).count("\n") == 7   # CRLF line ends


def test_canvas_id_column_choice(class_csv):
    export = build_export("canvas", read_class_csv(class_csv), "A", id_column="id")
    assert export.rows[2][:5] == ["asmith", "asmith", "", "", ""]
    export = build_export("canvas", read_class_csv(class_csv), "A", id_column="sis")
    assert export.rows[2][:5] == ["asmith", "", "asmith", "", ""]
    with pytest.raises(ExportError, match="--id-column for canvas is one of id, sis, login"):
        build_export("canvas", read_class_csv(class_csv), "A", id_column="email")


def test_canvas_roster_matching_unknown_and_missing(class_csv, canvas_roster):
    roster = read_roster(canvas_roster, "canvas")
    assert [e.label for e in roster.entries] == ["Smith, Ann (asmith)", "Jones, Bob (BJones)", "Lee, Emma (elee)",
                                                 "Park, Dana (dpark)", '@Evil, Eve (=HYPERLINK("http://x"))']
    export = build_export("canvas", read_class_csv(class_csv), "ch01_tensors", roster)
    rows = rows_of(csv_text(export))
    # The existing assignment's column, with its id, so Canvas updates it rather than creating one.
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ch01_tensors (4757)"]
    assert rows[1] == ["    Points Possible", "", "", "", "", "5"]
    assert rows[2] == ["Smith, Ann", "1001", "S-1", "asmith", "Period 2", "5"]
    assert rows[3] == ["Jones, Bob", "1002", "S-2", "BJones", "Period 2", "2.4"]   # login matched ignoring case
    assert rows[4] == ["Lee, Emma", "1003", "S-3", "elee", "Period 2", "2"]
    assert rows[5] == ["Park, Dana", "1004", "S-4", "dpark", "Period 3", ""]        # missing: blank, not dropped
    assert rows[6] == ["'@Evil, Eve", "1006", "S-6", "'=HYPERLINK(\"http://x\")", "'+Section", ""]
    # Unknown students stay in Canvas's file, for its import preview, and are reported.
    assert rows[7][0] == "'=cmd|' /C calc'!A0" and rows[7][5] == "0"
    assert rows[8] == ["zstranger", "", "", "zstranger", "", "5"]
    assert len(rows) == 9                                                            # the Test Student is left out
    assert sorted(m.student for m in export.unknown) == ["=cmd|' /C calc'!A0", "zstranger"]
    assert [e.label for e in export.missing] == ["Park, Dana (dpark)", '@Evil, Eve (=HYPERLINK("http://x"))']


def test_canvas_missing_as_zero_and_a_new_assignment(class_csv, canvas_roster):
    roster = read_roster(canvas_roster, "canvas")
    export = build_export("canvas", read_class_csv(class_csv), "Lab 1", roster, missing="zero")
    assert export.header[-1] == "Lab 1"
    assert export.rows[4] == ["Park, Dana", "1004", "S-4", "dpark", "Period 3", "0"]
    assert any("Canvas will create a new assignment" in note for note in export.notes)
    export = build_export("canvas", read_class_csv(class_csv), "ch01_tensors", roster)
    assert "filling the existing Canvas assignment 'ch01_tensors (4757)'" in export.notes


def test_canvas_points_possible_that_differ_are_reported(class_csv, canvas_roster):
    roster = read_roster(canvas_roster, "canvas")
    export = build_export("canvas", read_class_csv(class_csv), "Quiz 1", roster)
    assert export.header[-1] == "Quiz 1 (111)"
    assert any("worth 10 points, the grades are out of 5" in note for note in export.notes)
    export = build_export("canvas", read_class_csv(class_csv), "ch01_tensors", roster)
    assert not any("worth" in note for note in export.notes)


def test_a_folder_matching_two_roster_students_is_unknown(tmp_path):
    roster_path = tmp_path / "roster.csv"
    roster_path.write_text('Student,ID,SIS User ID,SIS Login ID,Section\n"A, B",7,x1,amy,S\n"C, D",8,amy,cdee,S\n',
                           encoding="utf-8")
    roster = read_roster(roster_path, "canvas")
    export = build_export("canvas", [Mark("amy", 3, 5, "graded")], "A", roster)
    assert [m.student for m in export.unknown] == ["amy"]
    assert any("matches several students" in note for note in export.notes)
    # Restricted to the login column, it is one student.
    export = build_export("canvas", [Mark("amy", 3, 5, "graded")], "A", roster, id_column="login")
    assert export.unknown == [] and export.rows[1][-1] == "3"


def test_two_folders_for_one_student_is_an_error(canvas_roster):
    roster = read_roster(canvas_roster, "canvas")
    with pytest.raises(ExportError, match="'BJones' and 'bjones', match the same student"):
        build_export("canvas", [Mark("BJones", 3, 5, "graded"), Mark("bjones", 4, 5, "graded")], "A", roster)


def test_a_roster_that_is_not_canvas_is_refused(moodle_roster):
    with pytest.raises(ExportError, match="not a Canvas gradebook export"):
        read_roster(moodle_roster, "canvas")


# --- Moodle ----------------------------------------------------------------------------------

def test_moodle_without_roster(class_csv):
    export = build_export("moodle", read_class_csv(class_csv), "ch01_tensors")
    rows = rows_of(csv_text(export))
    assert rows[0] == ["Username", "ch01_tensors"]
    assert rows[1:] == [["'=cmd|' /C calc'!A0", "0"], ["asmith", "5"], ["bjones", "2.4"], ["elee", "2"],
                        ["zstranger", "5"]]
    export = build_export("moodle", read_class_csv(class_csv), "ch01_tensors", id_column="email")
    assert export.header == ["Email address", "ch01_tensors"]


def test_moodle_roster_leaves_unknown_students_out(class_csv, moodle_roster):
    roster = read_roster(moodle_roster, "moodle")
    export = build_export("moodle", read_class_csv(class_csv), "ch01_tensors", roster)
    rows = rows_of(csv_text(export))
    assert rows[0] == ["Username", "Email address", "First name", "Last name", "ch01_tensors"]
    assert rows[1:] == [["asmith", "ann.smith@example.edu", "Ann", "Smith", "5"],
                        ["bjones", "bob.jones@example.edu", "Bob", "Jones", "2.4"],
                        ["elee", "emma.lee@example.edu", "Emma", "Lee", "2"],
                        ["dpark", "dana.park@example.edu", "Dana", "Park", ""]]
    # Moodle stops a whole import at a user it cannot find: unknown students are reported, not written.
    assert sorted(m.student for m in export.unknown) == ["=cmd|' /C calc'!A0", "zstranger"]
    assert "zstranger" not in csv_text(export)
    assert [e.label for e in export.missing] == ["Dana Park (dpark)"]


def test_moodle_matches_folders_named_by_email(moodle_roster):
    roster = read_roster(moodle_roster, "moodle")
    export = build_export("moodle", [Mark("Emma.Lee@example.edu", 4, 5, "graded")], "A", roster)
    assert export.unknown == []
    assert export.rows[2][-1] == "4"


def test_a_roster_without_identifiers_is_refused(tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("First name,Last name\nAnn,Smith\n", encoding="utf-8")
    with pytest.raises(ExportError, match="no column Username, ID number or Email address"):
        read_roster(path, "moodle")


# --- the command line -------------------------------------------------------------------------

def test_command_line_reports_unknown_and_missing(class_csv, canvas_roster, tmp_path, capsys):
    out = tmp_path / "canvas.csv"
    code = dlmath_main(["export", "canvas", str(class_csv), "--out", str(out), "--roster", str(canvas_roster)])
    assert code == 1                                    # some graded students are unknown to the roster
    err = capsys.readouterr().err
    assert "2 graded students are not in the roster (kept in the file for Canvas's import preview)" in err
    assert "  unknown: zstranger (5 points)" in err
    assert "  missing: Park, Dana (dpark)" in err
    assert rows_of(out.read_text(encoding="utf-8"))[0][-1] == "ch01_tensors (4757)"   # named after the CSV file


def test_command_line_all_known_exits_zero(tmp_path, moodle_roster, capsys):
    class_csv = tmp_path / "grades.csv"
    class_csv.write_text("student,total,max,status\nasmith,5,5,graded\nbjones,4,5,graded\n", encoding="utf-8")
    out = tmp_path / "moodle.csv"
    code = dlmath_main(["export", "moodle", str(class_csv), "--out", str(out), "--roster", str(moodle_roster),
                        "--assignment", "Chapter 1", "--missing", "zero"])
    assert code == 0
    rows = rows_of(out.read_text(encoding="utf-8"))
    assert rows[0][-1] == "Chapter 1"
    assert [row[-1] for row in rows[1:]] == ["5", "4", "0", "0"]
    assert "2 students of the roster have no graded submission" in capsys.readouterr().err


def test_command_line_bad_input_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out.csv"
    code = dlmath_main(["export", "canvas", str(tmp_path / "none.csv"), "--out", str(out)])
    assert code == 2 and not out.exists()
    assert "none.csv: no such file" in capsys.readouterr().err


def test_installed_command(class_csv, tmp_path):
    out = tmp_path / "moodle.csv"
    process = subprocess.run([sys.executable, "-m", "dlmath", "export", "moodle", str(class_csv), "--out", str(out)],
                             capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert process.returncode == 0, process.stderr
    assert "no --roster" in process.stderr
    assert out.read_bytes().startswith(b"Username,ch01_tensors\r\n'=cmd|' /C calc'!A0,0\r\n")
