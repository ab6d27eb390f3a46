"""Chapter 4, exercise 8 (a bootstrap interval): an unseeded generator must never get full marks.

The kept wrong answer draws from ``np.random.default_rng()``, so its intervals change from call to call.
The trusted test once asked for two equal calls with 2,000 resamples; their endpoints are so fine that
two unseeded calls agreed in about 6% of gradings, and the wrong answer then got full marks. The test
now asks three calls with 101 resamples to agree. Graded here 20 times in-process (the same trusted
code the sandboxed grader runs): under the old check, at least one of 20 gradings would pass with a
probability of about 70%.
"""

from pathlib import Path

import nbformat
import pytest

from dlmath.grading import judge, local, submissions

FOLDER = Path(__file__).resolve().parent.parent / "solutions" / "ch04_probability_statistics"
ASSIGNMENT = FOLDER.name


@pytest.fixture(scope="module")
def unseeded_student():
    path = FOLDER / f"{ASSIGNMENT}.ipynb"
    instructor = submissions.read_instructor_notebook(path)
    mutant = next(m for m in local.load_mutants(FOLDER) if m["mistake"] == "generator not seeded from seed")
    nb = local.with_answer(nbformat.read(path, as_version=4), mutant["answer"], mutant["source"])
    namespace = local.run_cells(nb, instructor)
    student = judge.Student(local.LocalSandbox(namespace), submissions.answer_sources(nb, instructor),
                            timeout=60, deadline=float("inf"))
    return student, judge.load_tests(FOLDER)["ex8_test"], mutant["feedback"]


def test_an_unseeded_bootstrap_is_rejected_every_time(unseeded_student):
    student, tests, feedback = unseeded_student
    for attempt in range(20):
        verdict = judge.judge_question(student, tests, ASSIGNMENT, "ex8_test")
        assert not verdict.passed, f"grading {attempt + 1} of 20 gave the unseeded generator full marks"
        assert feedback in verdict.message, verdict.message
