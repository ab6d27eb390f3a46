"""Benchmark: building the book, and how heavy its pages are.

Measured, for the full edition built from ``_toc.yml``:

* the time of a build from scratch (into a fresh folder; the npm packages are
  already in their cache, as on any machine after the first build);
* the time of a rebuild with nothing changed (the edit–build loop of an author;
  goal: at most 60 s), the median of three;
* the total size of the site, and how much of it is the vendored MathJax,
  require.js and widget manager;
* the weight of each page with its images (the HTML, which embeds explorers'
  frames and widget state, plus every local image it shows; the stylesheets and
  scripts shared by all pages are counted once in the total, not per page).
  Goal: no chapter page over 5 MB.

``--quick`` (the smoke test) measures only sizes: of ``_build/html`` if it
exists, else of a tiny build of the front matter into a temporary folder.

    python bench/book.py            # full run, prints the numbers
    python bench/book.py --quick
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

import build_book  # noqa: E402

REBUILD_GOAL_S = 60.0
PAGE_GOAL_MB = 5.0
MB = 1e6
TINY_TOC = """\
format: jb-book
root: book/intro
chapters:
  - file: book/how_to_use
  - file: book/notation
  - file: book/glossary
  - file: book/references
"""


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            source = dict(attrs).get("src") or ""
            if source and not source.startswith(("data:", "http:", "https:", "//")):
                self.sources.append(unquote(urlsplit(source).path))


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def page_weights(html: Path) -> list[dict]:
    """Every page with its images, heaviest first."""
    pages = []
    for page in html.rglob("*.html"):
        if "_static" in page.relative_to(html).parts:
            continue
        parser = _Images()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        images = {(page.parent / source).resolve() for source in parser.sources}
        image_bytes = sum(image.stat().st_size for image in images if image.is_file())
        html_bytes = page.stat().st_size
        pages.append({"page": page.relative_to(html).as_posix(), "html_mb": round(html_bytes / MB, 3),
                      "images": len(images), "images_mb": round(image_bytes / MB, 3),
                      "total_mb": round((html_bytes + image_bytes) / MB, 3)})
    return sorted(pages, key=lambda row: row["total_mb"], reverse=True)


def sizes(html: Path) -> dict:
    """The site's size, its vendored part, and its pages by weight."""
    pages = page_weights(html)
    chapters = [row for row in pages if row["page"].startswith("notebooks/")]
    vendored = html / "_static" / "vendored"
    numbers = {
        "site_mb": round(folder_size(html) / MB, 2),
        "vendored_scripts_mb": round(folder_size(vendored) / MB, 2) if vendored.exists() else 0.0,
        "pages": len(pages),
        "largest_page": pages[0]["page"] if pages else None,
        "largest_page_mb": pages[0]["total_mb"] if pages else 0.0,
        "largest_chapter_page": chapters[0]["page"] if chapters else None,
        "largest_chapter_page_mb": chapters[0]["total_mb"] if chapters else 0.0,
    }
    return {"numbers": numbers, "pages": pages, "chapters": chapters}


def _timed_build(edition: str, path_output: Path, toc: Path | None = None) -> tuple[float, int, Path]:
    start = time.perf_counter()
    code, html = build_book.build(edition, toc=toc, path_output=path_output, quiet=True)
    return time.perf_counter() - start, code, html


def run(quick: bool = False, earlier: dict | None = None) -> dict:
    """Measure the book; ``quick=True`` measures sizes only (a few seconds)."""
    title = "Book: build time and page weight"
    if quick:
        existing = build_book.html_dir("full")
        if (existing / "index.html").exists():
            measured, source = sizes(existing), f"the existing build in {existing.relative_to(ROOT)}"
        else:
            with tempfile.TemporaryDirectory(prefix="dlmath-book-bench-") as scratch:
                toc = Path(scratch) / "_toc.yml"
                toc.write_text(TINY_TOC, encoding="utf-8")
                seconds, code, html = _timed_build("full", Path(scratch) / "out", toc)
                if not (html / "index.html").exists():
                    raise RuntimeError(f"the tiny build wrote no index.html (exit code {code})")
                measured, source = sizes(html), f"a tiny build of the front matter ({seconds:.1f} s)"
        return {"title": title + " (sizes only)", "numbers": measured["numbers"],
                "table": measured["pages"][:5], "measured": source}

    work = Path(tempfile.mkdtemp(prefix="dlmath-book-bench-"))
    try:
        full_seconds, code, html = _timed_build("full", work)
        rebuilds = [_timed_build("full", work)[0] for _ in range(3)]
        measured = sizes(html)
        student_seconds, student_code, _ = _timed_build("student", work / "student")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    rebuild = statistics.median(rebuilds)
    numbers = {
        "full_build_s": round(full_seconds, 1),
        "rebuild_unchanged_median_s": round(rebuild, 1),
        "rebuilds_s": [round(s, 1) for s in rebuilds],
        "student_edition_full_build_s": round(student_seconds, 1),
        "builds_without_warnings": code == 0 and student_code == 0,
        **measured["numbers"],
    }
    over = [row["page"] for row in measured["chapters"] if row["total_mb"] > PAGE_GOAL_MB]
    goals = [
        {"goal": f"rebuild with unchanged notebooks ≤ {REBUILD_GOAL_S:.0f} s", "met": rebuild <= REBUILD_GOAL_S,
         "value": f"{rebuild:.1f} s" + ("" if code == 0 else
                                        " (the build had warnings, so each rebuild read every page again)")},
        {"goal": f"every chapter page with its images ≤ {PAGE_GOAL_MB:.0f} MB", "met": not over,
         "value": f"largest {numbers['largest_chapter_page']}: {numbers['largest_chapter_page_mb']:.2f} MB"
                  + (f"; over: {', '.join(over)}" if over else "")},
        {"goal": "both editions build with no warning (-W)", "met": numbers["builds_without_warnings"],
         "value": f"exit codes {code} (full), {student_code} (student)"},
    ]
    return {"title": title, "numbers": numbers, "goals": goals, "table": measured["pages"][:10]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes only")
    args = parser.parse_args(argv)
    print(json.dumps(run(quick=args.quick), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
