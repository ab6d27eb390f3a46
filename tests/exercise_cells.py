"""Running a solution notebook's graded cells in-process, for the chapters' exercise tests.

A chapter's test file runs each exercise's test cell (hidden tests included)
after the reference answer (every check must pass), after typical mistakes (each
must be caught with a message that names the problem) and after the untouched
stub, so that no test cell is one that cannot fail.
"""

from __future__ import annotations

import contextlib
import io
import re

import nbformat


def graded(nb) -> list:
    """The cells nbgrader knows: answer cells and test cells."""
    return [c for c in nb.cells if "nbgrader" in c.metadata]


def cells_by_id(nb) -> dict:
    """grade_id -> source, for every answer and test cell."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in graded(nb)}


def setup_source(nb) -> str:
    """The setup cell without its Colab block (a `%pip` line is not Python)."""
    source = next(c.source for c in nb.cells if "setup" in c.metadata.get("tags", []))
    return re.sub(r"# --- Colab set-up.*?# --- end of Colab set-up ---", "", source, flags=re.S)


def load(path):
    return nbformat.read(path, as_version=4)


def run(nb, *sources) -> str:
    """Run the setup cell, then the sources, in one fresh namespace; return what they printed."""
    namespace = {}
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        exec(setup_source(nb), namespace)
        for source in sources:
            exec(source, namespace)
    return printed.getvalue()


def assert_assignment_size(nb, *, exercises: int, points: int, hidden: int = 2) -> None:
    """At least this many graded tests, points in all, and tests with hidden parts; grade_ids unique."""
    tests = [c for c in graded(nb) if c.metadata["nbgrader"].get("grade")]
    assert len(tests) >= exercises, f"{len(tests)} graded tests, fewer than {exercises}"
    assert sum(c.metadata["nbgrader"]["points"] for c in tests) >= points
    assert sum("### BEGIN HIDDEN TESTS" in c.source for c in tests) >= hidden
    ids = [c.metadata["nbgrader"]["grade_id"] for c in graded(nb)]
    assert len(ids) == len(set(ids)), "grade_ids repeat"


def assert_answers_followed_by_tests(nb) -> None:
    """Every answer cell ``exN_answer`` is followed by its locked test cell ``exN_test``."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, following in zip(code, code[1:]):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            test_meta = following.metadata.get("nbgrader", {})
            assert test_meta.get("grade") and test_meta.get("locked"), f"{meta['grade_id']} has no test after it"
            assert test_meta["grade_id"] == meta["grade_id"].replace("_answer", "_test")
