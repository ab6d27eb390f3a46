"""`dlmath similarity`: pairs of submissions ranked by shared answer code (dlmath.grading.similarity)."""

import os
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from dlmath.__main__ import main as dlmath_main
from dlmath.grading.similarity import (
    answer_code, instructor_cells, normalise_code, release_text, similarity_report,
)

ASSIGNMENT = "hw1"

SETUP = "import numpy as np"
ANSWERS = {
    "ex1_answer": '''def moving_average(values, window):
    """The mean of each run of `window` consecutive values."""
    ### BEGIN SOLUTION
    values = np.asarray(values, dtype=float)
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window
    ### END SOLUTION''',
    "ex2_answer": '''def standardise(x):
    """x shifted to mean 0 and scaled to standard deviation 1."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / x.std()
    ### END SOLUTION''',
    "ex3_answer": '''def word_counts(text):
    """How often each word (lower case) occurs in text, as a dict."""
    ### BEGIN SOLUTION
    counts = {}
    for word in text.lower().split():
        counts[word] = counts.get(word, 0) + 1
    return counts
    ### END SOLUTION''',
}
TESTS = {
    "ex1_test": '''assert np.allclose(moving_average([1, 2, 3, 4], 2), [1.5, 2.5, 3.5])
### BEGIN HIDDEN TESTS
assert np.allclose(moving_average(np.arange(10), 5), np.arange(2, 8))
### END HIDDEN TESTS''',
    "ex2_test": "assert np.allclose(standardise([1, 2, 3]).std(), 1)",
    "ex3_test": 'assert word_counts("a b A") == {"a": 2, "b": 1}',
}

# Alice's answers, and Bob's copy of them: names changed, comments reworded, lines re-wrapped.
ALICE = {
    "ex1_answer": '''def moving_average(values, window):
    """The mean of each run of `window` consecutive values."""
    # running total, so every window is one subtraction
    data = np.array(values, dtype=np.float64)
    total = [0.0]
    for item in data:
        total.append(total[-1] + item)
    total = np.array(total)
    result = (total[window:] - total[:len(total) - window]) / float(window)
    return result''',
    "ex2_answer": '''def standardise(x):
    """x shifted to mean 0 and scaled to standard deviation 1."""
    arr = np.array(x, dtype=np.float64)
    centred = arr - np.sum(arr) / len(arr)
    spread = np.sqrt(np.sum(centred ** 2) / len(arr))
    return centred / spread''',
    "ex3_answer": '''def word_counts(text):
    """How often each word (lower case) occurs in text, as a dict."""
    from collections import defaultdict
    tally = defaultdict(int)
    for token in text.split():
        tally[token.lower()] += 1
    return dict(tally)''',
}
BOB = {
    "ex1_answer": '''def moving_average(values, window):
    """The mean of each run of `window` consecutive values."""
    # cumulative sums: one subtraction per window!
    xs = np.array(values, dtype=np.float64)
    acc = [0.0]
    for v in xs:
        acc.append(acc[-1] + v)   # keep adding
    acc = np.array(acc)
    out = (acc[window:] -
           acc[:len(acc) - window]) / float(window)
    return out''',
    "ex2_answer": '''def standardise(x):
    """x shifted to mean 0 and scaled to standard deviation 1."""
    a = np.array(x, dtype=np.float64)   # as floats
    c = a - np.sum(a) / len(a)
    s = np.sqrt(np.sum(c ** 2) / len(a))
    return c / s''',
    "ex3_answer": '''def word_counts(text):
    """How often each word (lower case) occurs in text, as a dict."""
    from collections import defaultdict
    d = defaultdict(int)
    # count them
    for w in text.split():
        d[w.lower()] += 1
    return dict(d)''',
}
# Carol and Dave: right answers, each in their own words (they share the usual idioms, not a text).
CAROL = {
    "ex1_answer": '''def moving_average(values, window):
    """The mean of each run of `window` consecutive values."""
    means = []
    for start in range(len(values) - window + 1):
        chunk = values[start:start + window]
        means.append(sum(chunk) / window)
    return np.array(means)''',
    "ex2_answer": '''def standardise(x):
    """x shifted to mean 0 and scaled to standard deviation 1."""
    x = np.asarray(x, dtype=float)
    return (x - x.mean()) / x.std()''',
    "ex3_answer": '''def word_counts(text):
    """How often each word (lower case) occurs in text, as a dict."""
    result = {}
    for word in text.lower().split():
        if word in result:
            result[word] += 1
        else:
            result[word] = 1
    return result''',
}
DAVE = {
    "ex1_answer": '''def moving_average(values, window):
    """The mean of each run of `window` consecutive values."""
    kernel = np.ones(window) / window
    return np.convolve(np.asarray(values, dtype=float), kernel, mode="valid")''',
    "ex2_answer": '''def standardise(x):
    """x shifted to mean 0 and scaled to standard deviation 1."""
    values = np.asarray(x, dtype=float)
    mu, sigma = values.mean(), values.std()
    return (values - mu) / sigma''',
    "ex3_answer": '''def word_counts(text):
    """How often each word (lower case) occurs in text, as a dict."""
    import collections
    return dict(collections.Counter(w.lower() for w in text.split()))''',
}


def instructor_notebook():
    cells = [new_markdown_cell("# Homework 1"), new_code_cell(SETUP)]
    for number in (1, 2, 3):
        answer, test = f"ex{number}_answer", f"ex{number}_test"
        cells.append(new_markdown_cell(f"Exercise {number}."))
        cells.append(new_code_cell(ANSWERS[answer], metadata={"nbgrader": {
            "grade_id": answer, "solution": True, "grade": False, "locked": False, "schema_version": 3}}))
        cells.append(new_code_cell(TESTS[test], metadata={"nbgrader": {
            "grade_id": test, "solution": False, "grade": True, "locked": True, "points": 2,
            "schema_version": 3}}))
    return new_notebook(cells=cells)


def student_notebook(answers, strip_metadata=False, extra_cell=None):
    """What a student hands in: the released notebook with their answers filled in."""
    nb = instructor_notebook()
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code":
            cell.source = answers.get(grade_id, release_text(cell.source))
        if strip_metadata:
            cell.metadata = {}
    if extra_cell:
        nb.cells.insert(4, new_code_cell(extra_cell))
    return nb


@pytest.fixture
def course(tmp_path):
    source = tmp_path / "solutions" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(instructor_notebook(), source / f"{ASSIGNMENT}.ipynb")
    submitted = tmp_path / "submitted"
    for student, answers in {"alice": ALICE, "bob": BOB, "carol": CAROL, "dave": DAVE, "erin": {}}.items():
        folder = submitted / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student_notebook(answers), folder / f"{ASSIGNMENT}.ipynb")
    return tmp_path


def ranked(pairs):
    return [tuple(sorted((p.first.student, p.second.student))) for p in pairs]


def test_the_copied_pair_ranks_first_and_independent_right_answers_below(course):
    page, submissions, pairs, against = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    order = ranked(pairs)
    assert order[0] == ("alice", "bob")
    copied = pairs[0]
    assert min(copied.similarity) > 0.9                     # renamed and reworded, still the same code
    independent = pairs[order.index(("carol", "dave"))] if ("carol", "dave") in order else None
    # Carol and Dave wrote the same right answers in their own words: far below the copy, if at all.
    assert independent is None or independent.score < 0.5 < copied.score
    assert all(p.score < 0.5 for p in pairs[1:])
    # Erin handed in the released notebook untouched: nothing of her own to compare.
    assert {s.student: s.problem for s in submissions}["erin"] == "no answer code of their own"
    assert "For a person to judge, never a mark." in page
    assert page.index("alice") < page.index("carol")


def test_a_copy_of_the_solution_ranks_first_against_the_solution(course):
    folder = course / "submitted" / "sol" / ASSIGNMENT
    folder.mkdir(parents=True)
    copied = {gid: re.sub(r"\n *### (BEGIN|END) SOLUTION", "", text).replace("values", "v")
              for gid, text in ANSWERS.items()}
    nbformat.write(student_notebook(copied), folder / f"{ASSIGNMENT}.ipynb")
    _, _, _, against = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    assert against[0].first.student == "sol"
    assert against[0].similarity[0] > 0.9
    assert against[1].similarity[0] < 0.6


def test_answers_are_found_by_position_when_metadata_is_stripped(course):
    folder = course / "submitted" / "bob" / ASSIGNMENT
    nb = student_notebook(BOB, strip_metadata=True, extra_cell="print('trying things')")
    check = next(cell for cell in nb.cells if cell.source.startswith("assert np.allclose(standardise"))
    check.source += "\nprint(standardise([1, 2, 3]))"       # a check cell the student added a line to
    nbformat.write(nb, folder / f"{ASSIGNMENT}.ipynb")
    _, submissions, pairs, _ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    bob = {s.student: s for s in submissions}["bob"]
    assert bob.found_by == "position"
    assert "print('trying things')" in bob.code
    assert "np.allclose" not in bob.code                    # the check cells are not answers, touched or not
    assert "import numpy" not in bob.code                   # nor is the set-up cell
    assert ranked(pairs)[0] == ("alice", "bob")


def test_answer_code_by_metadata_ignores_other_cells(tmp_path):
    nbformat.write(instructor_notebook(), tmp_path / "hw1.ipynb")
    instructor = instructor_cells(tmp_path / "hw1.ipynb")
    assert [(gid, is_answer) for gid, is_answer, _ in instructor] == [
        ("", False), ("ex1_answer", True), ("ex1_test", False), ("ex2_answer", True), ("ex2_test", False),
        ("ex3_answer", True), ("ex3_test", False)]
    nb = student_notebook({"ex1_answer": ALICE["ex1_answer"]}, extra_cell="scratch = 1")
    answers, found_by = answer_code(nb, instructor)
    assert found_by == "metadata"
    assert answers == [ALICE["ex1_answer"], release_text(ANSWERS["ex2_answer"]), release_text(ANSWERS["ex3_answer"])]


def test_normalise_code_drops_comments_docstrings_magics_and_layout():
    a = normalise_code('def f(x):\n    """Doc."""\n    # a comment\n    %timeit 1\n    return (x +\n            1)\n')
    b = normalise_code("def f(x):\n    return x + 1  # same")
    assert a == b == "def f(x):\n    return x + 1"
    assert normalise_code("def broken(:\n    pass") == "def broken(:\n    pass"    # kept as written


def test_release_text_is_what_students_receive():
    released = release_text(ANSWERS["ex2_answer"])
    assert "x.std()" not in released
    assert released.endswith("    # YOUR CODE HERE\n    raise NotImplementedError()")
    assert "arange(2, 8)" not in release_text(TESTS["ex1_test"])


def test_refused_and_oddly_named_folders_get_rows_and_are_never_followed(course, tmp_path):
    submitted = course / "submitted"
    (submitted / "mallory").symlink_to(course / "solutions")                # a link to the instructor's files
    linked = submitted / "oscar" / ASSIGNMENT
    linked.mkdir(parents=True)
    (linked / f"{ASSIGNMENT}.ipynb").symlink_to(course / "solutions" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    odd = os.path.join(os.fsencode(submitted), b"\xff\xfeweird<b>")
    os.makedirs(os.path.join(odd, ASSIGNMENT.encode()))
    (submitted / "nobody").mkdir()
    page, submissions, pairs, against = similarity_report(ASSIGNMENT, submitted, course / "solutions")
    problems = {s.display: s.problem for s in submissions}
    assert problems["mallory"].startswith("refused: ")
    assert problems["oscar"].startswith("refused: ")
    assert problems["nobody"].startswith("malformed: ")
    assert problems["\\xff\\xfeweird<b>"].startswith("malformed: ")
    assert "\\xff\\xfeweird&lt;b&gt;" in page and "weird<b>" not in page     # shown escaped, never as HTML
    assert all("mallory" not in (p.first.student, p.second.student) for p in pairs)
    assert len(submissions) == 9


def test_the_report_escapes_student_code(course):
    evil = dict(ALICE)
    evil["ex3_answer"] = (ALICE["ex3_answer"] + "\n    # </pre><script>alert(1)</script>"
                          "\n    s = '<img src=x onerror=alert(2)>'")
    folder = course / "submitted" / "alice" / ASSIGNMENT
    nbformat.write(student_notebook(evil), folder / f"{ASSIGNMENT}.ipynb")
    page, *_ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    assert "<script" not in page and "<img" not in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)     # nothing loaded from elsewhere


def test_notebooks_are_read_not_run(course):
    marker = course / "ran.txt"
    evil = dict(CAROL)
    evil["ex2_answer"] = CAROL["ex2_answer"] + f"\nopen({str(marker)!r}, 'w').write('ran')"
    folder = course / "submitted" / "carol" / ASSIGNMENT
    nbformat.write(student_notebook(evil), folder / f"{ASSIGNMENT}.ipynb")
    before = {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")}
    similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    assert not marker.exists()
    assert before == {p: p.read_bytes() for p in (course / "submitted").rglob("*.ipynb")}


def test_command_line(course, capsys):
    out = course / "report" / "similarity.html"
    code = dlmath_main(["similarity", ASSIGNMENT, str(course / "submitted"), "--out", str(out),
                        "--source", str(course / "solutions")])
    assert code == 0
    assert "4 students compared, 1 not compared" in capsys.readouterr().err
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<h2>Pairs of students, most similar first</h2>" in page
    code = dlmath_main(["similarity", "hw9", str(course / "submitted"), "--out", str(out),
                        "--source", str(course / "solutions")])
    assert code == 2
    assert "no assignment folder" in capsys.readouterr().err


def test_the_report_is_the_same_twice(course):
    first, *_ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    second, *_ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    assert first == second


def test_code_many_students_share_is_common_knowledge_not_evidence(course):
    # Four more students answered only exercise 2, each with the textbook line the solution has too.
    canonical = {"ex2_answer": re.sub(r"\n *### (BEGIN|END) SOLUTION", "", ANSWERS["ex2_answer"])}
    for student in ("fay", "gus", "hal", "ida"):
        folder = course / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(student_notebook(canonical), folder / f"{ASSIGNMENT}.ipynb")
    # Shared by 5 students (Carol wrote it too): below the default limit of 10, so those pairs are listed...
    _, submissions, pairs, _ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    assert ("fay", "gus") in ranked(pairs)
    assert ranked(pairs)[0] == ("alice", "bob")                         # more shared code than one line
    # ...and with --max-shared 3 it is common code: ignored, and the copy still ranks first.
    page, submissions, pairs, _ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions",
                                                    max_shared=3)
    assert {s.student: s.problem for s in submissions}["fay"] == "only code that many students share"
    assert ranked(pairs)[0] == ("alice", "bob") and pairs[0].score == 1.0
    assert not any("fay" in pair for pair in ranked(pairs))
    assert "Code shared by more than 3 students is ignored" in page


def test_a_huge_answer_is_cut_not_choked_on(course):
    from dlmath.grading.similarity import MAX_CODE_CHARS

    huge = dict(DAVE)
    huge["ex1_answer"] = DAVE["ex1_answer"] + "\n    table = [" + ", ".join(str(i) for i in range(60_000)) + "]"
    folder = course / "submitted" / "dave" / ASSIGNMENT
    nbformat.write(student_notebook(huge), folder / f"{ASSIGNMENT}.ipynb")
    _, submissions, pairs, _ = similarity_report(ASSIGNMENT, course / "submitted", course / "solutions")
    dave = {s.student: s for s in submissions}["dave"]
    assert len(dave.code) <= MAX_CODE_CHARS
    assert f"cut at {MAX_CODE_CHARS} characters" in dave.found_by
    assert ranked(pairs)[0] == ("alice", "bob")
