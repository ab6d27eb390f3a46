"""The student edition: the same book without the Solutions part and without any solution.

The fixture builds it (incrementally, into ``_build/student``) from the same
sources and table of contents as the full edition under test.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from book_site import ROOT, SiteServer, book_extension, build_book, build_info, toc_pages

SECRET = "NOT-FOR-STUDENTS-1729"


@pytest.fixture(scope="module")
def student_site(site):
    info = build_info(site) or {}
    toc = Path(info["toc"]) if info.get("toc") else None
    code, html = build_book.build("student", toc=toc, quiet=True)
    assert code == 0, "the student edition did not build cleanly: run `tools/build_book.py --edition student`"
    return html


def _pages(html: Path) -> list[Path]:
    return [p for p in html.rglob("*.html") if "_static" not in p.relative_to(html).parts]


def test_student_edition_has_no_solutions_part(site, student_site):
    full_pages = (build_info(site) or {}).get("pages", [])
    student_pages = build_info(student_site)["pages"]
    assert build_info(student_site)["edition"] == "student"
    assert not [page for page in student_pages if page.startswith("solutions/")]
    assert not (student_site / "solutions").exists()
    assert set(student_pages) == {page for page in full_pages if not page.startswith("solutions/")}
    for path in _pages(student_site):
        nav = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find("nav", class_="bd-links")
        if nav is not None:
            captions = [c.get_text(strip=True).lower() for c in nav.find_all(class_="caption")]
            assert "solutions" not in captions, f"{path.name}: the navigation still has a Solutions part"
            assert not nav.find("a", href=re.compile(r"(^|/)solutions/")), f"{path.name} links to a solution"


def test_student_edition_has_no_solution_blocks(student_site):
    for path in _pages(student_site):
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        found = soup.select(".solution, .tag_solution, .solution-title")
        assert not found, f"{path.relative_to(student_site)} still shows a solution: {str(found[0])[:200]}"
    for source in (student_site / "_sources").rglob("*.ipynb"):
        notebook = json.loads(source.read_text(encoding="utf-8"))
        tagged = [c for c in notebook["cells"] if "solution" in c.get("metadata", {}).get("tags", [])]
        assert not tagged, f"the downloadable {source.name} still has solution cells"


def test_search_index_of_the_student_edition_has_no_solutions(student_site):
    index = (student_site / "searchindex.js").read_text(encoding="utf-8")
    assert "solutions/" not in index


def test_student_edition_loads_in_the_browser(student_site):
    """Its pages load as cleanly as the full edition's (a few, to keep the test quick)."""
    from book_site import Browser

    pages = build_info(student_site)["pages"]
    sample = [build_info(student_site)["root"]] + [p for p in pages if p.startswith(("notebooks/", "exercises/"))][:2]
    with SiteServer(student_site) as server:
        chromium = Browser(server.base)
        try:
            for page in sample:
                report, _ = chromium.load(f"{page}.html")
                assert not report.problems(), f"{page}: {report.problems()}"
        finally:
            chromium.close()


# --- the pieces, on small examples ---------------------------------------------------

def test_student_toc_drops_the_solutions_part_and_solution_pages():
    toc = {"format": "jb-book", "root": "book/intro", "parts": [
        {"caption": "Chapters", "chapters": [{"file": "notebooks/01_tensors"},
                                             {"file": "solutions/ch01/ch01", "sections": [{"file": "x"}]}]},
        {"caption": "Exercises", "chapters": [{"file": "exercises/ch01/ch01"}]},
        {"caption": "Solutions", "chapters": [{"file": "solutions/ch01/ch01"}]},
        {"caption": "Only solutions", "chapters": [{"file": "./solutions/ch02/ch02"}]},
    ]}
    student = build_book.student_toc(toc)
    assert [part["caption"] for part in student["parts"]] == ["Chapters", "Exercises"]
    assert student["parts"][0]["chapters"] == [{"file": "notebooks/01_tensors"}]
    assert toc["parts"][2]["caption"] == "Solutions", "the original table of contents must not change"


def test_student_config_switches_the_edition_and_keeps_the_rest():
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    student = build_book.student_config(config)
    assert student["sphinx"]["config"]["dlmath_edition"] == "student"
    assert config["sphinx"]["config"]["dlmath_edition"] == "full"
    assert student["repository"] == config["repository"]
    assert all(Path(path).is_absolute() for path in student["sphinx"]["local_extensions"].values())


def test_strip_solution_text_removes_solution_blocks_only():
    text = textwrap.dedent(f"""\
        Keep this.

        :::{{admonition}} Solution
        :class: dropdown solution

        {SECRET}
        :::

        ```{{solution}} ex-1
        {SECRET}
        ```

        :::{{note}}
        Keep this note.
        :::

        ````{{solution-start}} ex-2
        ````
        {SECRET}
        ````{{solution-end}}
        ````
        Keep the end.
        """)
    stripped = book_extension.strip_solution_text(text)
    assert SECRET not in stripped
    for kept in ("Keep this.", "Keep this note.", "Keep the end."):
        assert kept in stripped


def test_strip_solution_notebook_removes_tagged_cells():
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {"tags": ["solution"]}, "source": f"print('{SECRET}')", "outputs": []},
        {"cell_type": "markdown", "metadata": {}, "source": ["Question\n", ":::{admonition} Answer\n",
                                                             ":class: dropdown solution\n", f"{SECRET}\n", ":::\n"]},
        {"cell_type": "code", "metadata": {"tags": ["hide-input"]}, "source": "x = 1", "outputs": []},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    stripped = book_extension.strip_solution_notebook(notebook)
    assert SECRET not in json.dumps(stripped)
    assert len(stripped["cells"]) == 2 and "Question" in stripped["cells"][0]["source"]
    assert len(notebook["cells"]) == 3, "the input notebook must not change"


def test_missing_site_fails_with_instructions(tmp_path):
    """Without a build, the browser tests fail (not skip) and say what to run."""
    import os
    import subprocess
    import sys

    env = dict(os.environ, DLMATH_BOOK_HTML=str(tmp_path / "nothing-built"))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                             str(Path(__file__).with_name("test_book_site.py")) + "::test_every_toc_page_was_built"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "The built book is missing" in result.stdout
    assert "tools/build_book.py --edition full" in result.stdout


def test_toc_pages_reads_parts_and_sections(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
                   "      - file: notebooks/01_tensors.ipynb\n        sections:\n          - file: book/x\n")
    assert toc_pages(toc) == ["book/intro", "notebooks/01_tensors", "book/x"]
    toc.write_text("format: jb-book\nroot: book/intro\nparts:\n  - caption: A\n    chapters:\n"
                   "      - glob: book/how_to_*\n")
    assert toc_pages(toc) == ["book/intro", "book/how_to_use"]
