"""Hidden tests stay hidden: no built page of either edition, and no student notebook, holds them.

nbgrader's hidden tests sit in the instructor notebooks between ``### BEGIN HIDDEN
TESTS`` and ``### END HIDDEN TESTS``; they are what a student cannot see before
grading. This module reads every file of both built editions (the pages, the page
sources offered for download, the search index; not the vendored MathJax and
widget manager) and every notebook in ``exercises/``, and fails on

- the markers or the hidden tests' own names (:data:`MARKERS`), in the file as
  written and in the text a reader sees (syntax highlighting splits code into
  many elements); and
- any line of a real hidden test (taken from the repository's notebooks that hold
  hidden tests, wherever they live), even with its markers stripped.

Two pages of the book teach instructors how to write a hidden test: they may
name the markers (:data:`DOCUMENTING_PAGES`), but their example must not be one
of the course's hidden tests (the second check covers them too). The last tests
feed the scan pages that leak, to show that it finds them.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from book_site import ROOT, build_book, build_info

#: Strings that only hidden-test code contains (nbgrader's markers, and the generator the hidden tests use).
MARKERS = ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "HIDDEN TESTS", "hidden_rng")
MARKER_RE = re.compile("|".join(re.escape(marker) for marker in MARKERS))
HIDDEN_BLOCK = re.compile(r"^[ \t]*#+[ \t]*BEGIN HIDDEN TESTS[^\n]*\n(.*?)^[ \t]*#+[ \t]*END HIDDEN TESTS",
                          re.DOTALL | re.MULTILINE)
#: Pages that explain the format to instructors, with a made-up example: they may name the markers.
DOCUMENTING_PAGES = {
    "book/instructors": "'Adding a hidden test' shows the markers around a made-up example",
    "book/contributing": "the chapter template names the markers in its prose",
}
#: Files of the built site that are not the book's own: pinned third-party packages (checksummed npm tarballs).
SKIPPED_FOLDERS = ("_static/vendored",)
BINARY_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".ico", ".woff", ".woff2", ".ttf", ".eot", ".otf",
                   ".inv", ".pdf", ".zip", ".gz", ".doctree", ".pickle"}
#: The trusted grader tests of an assignment (the hidden tests since the grading moved out of the notebooks).
GRADER_TESTS = "grader_tests.py"
#: An import tells nothing about a test (``from dlmath.grading.rules import forbid``).
IMPORT_LINE = re.compile(r"(from\s+\S+\s+)?import\s")
#: Lines shorter than this are too common to identify a hidden test (``)``, ``quiet=True)``).
MIN_SECRET_LINE = 30


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --- what is secret -----------------------------------------------------------------------

def _course_notebooks() -> list[Path]:
    """The chapters, the instructor and student notebooks, and any notebook page of the book."""
    found = set()
    for folder in ("notebooks", "solutions", "exercises", "book"):
        found |= {path for path in (ROOT / folder).glob("**/*.ipynb") if ".ipynb_checkpoints" not in path.parts}
    return sorted(found)


def _cell_sources(notebook: dict) -> list[str]:
    return ["".join(cell.get("source", [])) for cell in notebook.get("cells", [])]


def public_lines(sources: list[str]) -> set[str]:
    """The lines of ``sources`` outside hidden blocks."""
    return {_squash(line) for source in sources for line in HIDDEN_BLOCK.sub("", source).splitlines()}


def secret_lines(sources: list[str], public: set[str] = frozenset()) -> set[str]:
    """The lines of the hidden blocks in ``sources`` that appear nowhere else: not outside the
    blocks, not in ``public`` (the chapters' code shares lines such as ``rng = np.random.default_rng(0)``)."""
    hidden = {_squash(line) for source in sources for block in HIDDEN_BLOCK.findall(source)
              for line in block.splitlines()}
    hidden -= public_lines(sources) | set(public)
    return {line for line in hidden if len(line) >= MIN_SECRET_LINE and not MARKER_RE.search(line)
            and not IMPORT_LINE.match(line)}


def grader_test_files() -> list[Path]:
    """The instructor-only trusted tests (``solutions/<assignment>/grader_tests.py``): hidden tests, whole."""
    return sorted((ROOT / "solutions").glob(f"**/{GRADER_TESTS}"))


@lru_cache(maxsize=None)
def secrets_by_source() -> dict[str, frozenset[str]]:
    """The lines of the course's hidden tests, by the file that holds them: the hidden blocks of
    the repository's notebooks, and every line of the trusted grader tests. Lines that any chapter,
    solution or exercise shows outside a hidden block are not secret (``rng = np.random.default_rng(0)``)."""
    hidden_blocks, public = {}, set()
    for path in _course_notebooks():
        if not path.exists():
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        sources = _cell_sources(notebook)
        # The student notebooks are what the scan checks: they are no source of public lines.
        if path.relative_to(ROOT).parts[0] != "exercises":
            public |= public_lines(sources + _output_texts(notebook))
        if any(HIDDEN_BLOCK.search(source) for source in sources):
            hidden_blocks[str(path.relative_to(ROOT))] = sources
    found = {name: frozenset(secret_lines(sources, public)) for name, sources in hidden_blocks.items()}
    for path in grader_test_files():
        text = path.read_text(encoding="utf-8")
        # The whole file is hidden: read it as one hidden block.
        found[str(path.relative_to(ROOT))] = frozenset(
            secret_lines([f"### BEGIN HIDDEN TESTS\n{text}\n### END HIDDEN TESTS"], public))
    return found


def course_secrets() -> frozenset[str]:
    """Every line of the course's hidden tests (see :func:`secrets_by_source`)."""
    return frozenset().union(*secrets_by_source().values())


# --- the scan -------------------------------------------------------------------------------

def page_of(relative: str) -> str | None:
    """The book page a built file belongs to (``book/instructors.html`` and its source -> ``book/instructors``)."""
    relative = relative.replace("\\", "/")
    if relative.startswith("_sources/"):
        relative = relative[len("_sources/"):]
    match = re.match(r"(.+?)(\.html|\.ipynb|\.md|\.txt)+$", relative)
    return match.group(1) if match else None


def _output_texts(notebook: dict) -> list[str]:
    texts = []
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            for value in output.get("data", {}).values():
                texts.append("".join(value) if isinstance(value, list) else str(value))
    return texts


def readable_text(name: str, raw: str) -> str:
    """What a reader sees of a file, line by line: the text of a page, the cells and outputs of a notebook."""
    if name.endswith(".html"):
        return BeautifulSoup(raw, "html.parser").get_text()
    if name.endswith(".ipynb"):
        try:
            notebook = json.loads(raw)
        except ValueError:
            return raw
        return "\n".join(_cell_sources(notebook) + _output_texts(notebook))
    return raw


def leaks(name: str, raw: str, secrets=frozenset(), *, markers_allowed: bool = False) -> list[str]:
    """Where the file ``name`` (its text ``raw``) shows hidden-test code; empty when it shows none."""
    found = []
    text = readable_text(name, raw)
    if not markers_allowed:
        for where, haystack in (("as written", raw), ("as read", _squash(text))):
            for match in MARKER_RE.finditer(haystack):
                found.append(f"{match.group(0)!r} ({where}): …{_squash(haystack[max(0, match.start() - 50):match.end() + 50])}…")
    lines = {_squash(line) for line in text.splitlines()}
    found += [f"a line of a hidden test: {line!r}" for line in sorted(secrets) if line in lines]
    return found


def scan_site(html_dir: Path, secrets) -> tuple[dict, int]:
    """``({file: leaks}, files read)`` for every text file of a built site."""
    report, read = {}, 0
    for path in sorted(html_dir.rglob("*")):
        relative = path.relative_to(html_dir).as_posix()
        if not path.is_file() or path.suffix.lower() in BINARY_SUFFIXES or relative.startswith(SKIPPED_FOLDERS):
            continue
        if path.name == GRADER_TESTS:
            report[relative] = ["the trusted grader tests are published as a file of the site"]
        raw = path.read_text(encoding="utf-8", errors="replace")
        read += 1
        found = leaks(relative, raw, secrets if path.suffix in (".html", ".ipynb", ".md", ".txt", ".py") else frozenset(),
                      markers_allowed=page_of(relative) in DOCUMENTING_PAGES)
        if found:
            report.setdefault(relative, []).extend(found)
    return report, read


def _report(report: dict) -> str:
    lines = []
    for name, found in report.items():
        lines.append(f"{name}: {len(found)} finding(s)")
        lines += [f"    {item[:220]}" for item in found[:3]]
    return "\n".join(lines)


# --- the two editions and the exercises ------------------------------------------------------

@pytest.fixture(scope="module")
def student_site(site):
    info = build_info(site) or {}
    toc = Path(info["toc"]) if info.get("toc") else None
    code, html = build_book.build("student", toc=toc, quiet=True)
    assert code == 0, "the student edition did not build cleanly: run `tools/build_book.py --edition student`"
    return html


def _pages_read(html_dir: Path) -> set[str]:
    return {page_of(p.relative_to(html_dir).as_posix()) for p in html_dir.rglob("*.html")}


def test_the_full_edition_shows_no_hidden_tests(site):
    report, read = scan_site(site, course_secrets())
    pages = set(build_info(site)["pages"])
    assert pages <= _pages_read(site), "every page of the full edition was read"
    assert read >= len(pages)
    assert not report, "hidden tests are published in the full edition:\n" + _report(report)


def test_the_student_edition_shows_no_hidden_tests(student_site):
    report, read = scan_site(student_site, course_secrets())
    pages = set(build_info(student_site)["pages"])
    assert pages <= _pages_read(student_site), "every page of the student edition was read"
    assert read >= len(pages)
    assert not report, "hidden tests are published in the student edition:\n" + _report(report)


def test_the_student_notebooks_hold_no_hidden_tests():
    notebooks = sorted((ROOT / "exercises").glob("**/*.ipynb"))
    notebooks = [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
    assert notebooks, "exercises/ has the student notebooks"
    report = {}
    for path in notebooks:
        found = leaks(path.name, path.read_text(encoding="utf-8"), course_secrets())
        if found:
            report[str(path.relative_to(ROOT))] = found
    released = sorted((ROOT / "exercises").glob(f"**/{GRADER_TESTS}"))
    assert not released, f"the trusted grader tests are in the students' folder: {released}"
    assert not report, "hidden tests are in the student notebooks:\n" + _report(report)


def test_there_are_hidden_tests_to_look_for():
    """Every assignment has hidden tests (in its notebook's hidden blocks or its grader tests) for the
    scan to look for: a scan that knows no hidden test could not fail."""
    assignments = sorted({path.parent for path in (ROOT / "solutions").glob("*/*.ipynb")})
    assert assignments, "solutions/ holds the assignments"
    by_source = secrets_by_source()
    for folder in assignments:
        prefix = str(folder.relative_to(ROOT)) + "/"
        lines = set().union(*(lines for name, lines in by_source.items() if name.startswith(prefix)))
        assert lines, f"no hidden test found for {prefix} (hidden blocks or {GRADER_TESTS})"


# --- the scan finds what it is for ----------------------------------------------------------

SOLUTION_SOURCE = [
    "def weekly(prices):\n    ### BEGIN SOLUTION\n    return prices.reshape(-1, 5)\n    ### END SOLUTION\n",
    "_ = check_shape(call(weekly, np.arange(10.0)), (2, 5))\n"
    "### BEGIN HIDDEN TESTS\n"
    "from dlmath.grading.rules import forbid, forbid_loops\n"
    "hidden_rng = np.random.default_rng(101)\n"
    "check_array(call(weekly, prices_of_fifteen_days), expected_three_weeks, quiet=True)\n"
    "### END HIDDEN TESTS\n",
]


def _highlighted_page(code: str) -> str:
    """A page as the book renders a code cell: Pygments splits the code into spans."""
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return f"<html><body><article>{highlight(code, PythonLexer(), HtmlFormatter())}</article></body></html>"


def test_secret_lines_are_the_hidden_lines_only():
    """Lines that the visible part shows too, short lines, imports and marker lines (found by the markers)
    are left out."""
    secrets = secret_lines(SOLUTION_SOURCE)
    assert secrets == {"check_array(call(weekly, prices_of_fifteen_days), expected_three_weeks, quiet=True)"}


def test_the_scan_finds_a_published_hidden_test():
    secrets = frozenset(secret_lines(SOLUTION_SOURCE))
    page = _highlighted_page("".join(SOLUTION_SOURCE))
    found = leaks("solutions/ch01/ch01.html", page, secrets)
    assert any("'BEGIN HIDDEN TESTS'" in item for item in found)
    assert any("'hidden_rng'" in item for item in found)
    assert any(item.startswith("a line of a hidden test") for item in found)


def test_the_scan_finds_a_hidden_test_without_its_markers():
    """Stripping the markers is not enough: the hidden lines themselves are found, in a page and a notebook."""
    secrets = frozenset(secret_lines(SOLUTION_SOURCE))
    stripped = "check_array(call(weekly, prices_of_fifteen_days), expected_three_weeks, quiet=True)\n"
    found = leaks("solutions/ch01/ch01.html", _highlighted_page(stripped), secrets)
    assert found and all(item.startswith("a line of a hidden test") for item in found)
    notebook = json.dumps({"cells": [{"cell_type": "code", "source": [stripped], "outputs": []}]})
    assert leaks("ch01.ipynb", notebook, secrets)


def test_the_scan_passes_a_page_with_the_visible_tests_only():
    secrets = frozenset(secret_lines(SOLUTION_SOURCE))
    visible = SOLUTION_SOURCE[0] + "_ = check_shape(call(weekly, np.arange(10.0)), (2, 5))\n"
    assert leaks("solutions/ch01/ch01.html", _highlighted_page(visible), secrets) == []


def test_documenting_pages_may_name_the_markers_but_not_show_a_real_hidden_test():
    secrets = frozenset(secret_lines(SOLUTION_SOURCE))
    example = "### BEGIN HIDDEN TESTS\ncheck_array(call(f, x), y)\n### END HIDDEN TESTS\n"
    assert leaks("book/instructors.html", _highlighted_page(example), secrets, markers_allowed=True) == []
    assert leaks("book/instructors.html", _highlighted_page(example), secrets)  # not allowed elsewhere
    real = _highlighted_page("".join(SOLUTION_SOURCE))
    assert leaks("book/instructors.html", real, secrets, markers_allowed=True)
    assert page_of("_sources/book/instructors.md") == page_of("book/instructors.html") == "book/instructors"


def test_the_scan_finds_the_course_hidden_tests_in_a_site(tmp_path):
    """A site that shows one real line of a hidden test, or offers the grader tests for download, is rejected."""
    secret = sorted(course_secrets())[0]
    (tmp_path / "leaky.html").write_text(_highlighted_page(f"x = 1\n{secret}\n"), encoding="utf-8")
    (tmp_path / "clean.html").write_text(_highlighted_page("x = 1\n"), encoding="utf-8")
    (tmp_path / "_downloads").mkdir()
    (tmp_path / "_downloads" / GRADER_TESTS).write_text("def ex1_test(student, rng):\n    pass\n", encoding="utf-8")
    report, read = scan_site(tmp_path, course_secrets())
    assert read == 3
    assert set(report) == {"leaky.html", f"_downloads/{GRADER_TESTS}"}
