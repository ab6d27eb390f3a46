"""Helpers of the browser tests: the built site, a loopback web server, headless Chromium.

The tests check the book that ``tools/build_book.py --edition full`` built into
``_build/html`` (``make test-browser`` builds it first). Chromium is Debian's
``/usr/bin/chromium`` driven by Playwright (never a browser download), with a
fresh profile. Every request that leaves the site is blocked and recorded: the
book must load nothing from outside itself.

Each page is loaded once; :class:`PageReport` keeps what the tests look at
(console errors, page errors, blocked and failed requests, typeset maths,
rendered widgets, explorers, copy buttons), so the many checks cost one load.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import book_extension  # noqa: E402
import build_book  # noqa: E402
import build_pdf  # noqa: E402

FULL_HTML = Path(os.environ.get("DLMATH_BOOK_HTML", build_book.html_dir("full")))
STUDENT_HTML = build_book.html_dir("student")
CHROMIUM = os.environ.get("DLMATH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
MISSING_SITE = ("The built book is missing: {index} does not exist.\n"
                "Build it first with `make book` (or `.venv/bin/python tools/build_book.py --edition full`); "
                "`make test-browser` does both.")


# --- which pages the book has ------------------------------------------------

def build_info(html_dir: Path) -> dict | None:
    path = html_dir / book_extension.BUILD_INFO
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def toc_pages(toc_path: Path) -> list[str]:
    """Every page named in a table of contents (its root first)."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                pages.append(str(Path(entry["file"]).with_suffix("")) if entry["file"].endswith((".md", ".ipynb"))
                             else entry["file"])
            if "glob" in entry:  # sphinx-external-toc expands globs in sorted order
                found = sorted({path.relative_to(ROOT).with_suffix("").as_posix()
                                for suffix in (".md", ".ipynb") for path in ROOT.glob(entry["glob"] + suffix)})
                pages.extend(page for page in found if page not in pages)
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return pages


def book_pages(html_dir: Path = FULL_HTML) -> list[str]:
    """The pages of the built book: those of the table of contents it was built from."""
    info = build_info(html_dir)
    toc = Path(info["toc"]) if info and info.get("toc") else ROOT / "_toc.yml"
    if not toc.is_absolute():
        toc = ROOT / toc
    return toc_pages(toc if toc.exists() else ROOT / "_toc.yml")


def is_chapter(page: str) -> bool:
    return page.startswith("notebooks/")


def is_notebook_page(page: str) -> bool:
    return (ROOT / f"{page}.ipynb").exists()


class MissingPrerequisite(RuntimeError):
    """The built site or Chromium is missing; the message says how to get it."""


PAGES = book_pages()
CHAPTERS = [page for page in PAGES if is_chapter(page)]
NOTEBOOK_PAGES = [page for page in PAGES if is_notebook_page(page)]


#: The built site served on 127.0.0.1 from a background thread: the PDF build's server, one for both.
SiteServer = build_pdf.SiteServer


# --- the browser -------------------------------------------------------------------

@dataclass
class PageReport:
    """What one page load showed."""

    url: str
    status: int | None = None
    console_errors: list = field(default_factory=list)
    page_errors: list = field(default_factory=list)
    blocked: list = field(default_factory=list)
    failed: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)

    def problems(self) -> list[str]:
        lines = [f"HTTP status {self.status}"] if self.status != 200 else []
        lines += [f"console error: {text}" for text in self.console_errors]
        lines += [f"page error: {text}" for text in self.page_errors]
        lines += [f"blocked request to outside the site: {url}" for url in self.blocked]
        lines += [f"failed request: {text}" for text in self.failed]
        return lines


#: Run in the page after it loaded: waits for MathJax and the widget manager, then measures.
MEASURE_JS = r"""
async () => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const rendered = () => document.querySelectorAll(".widget-subarea > .jupyter-widgets").length;
  for (let waited = 0; views > 0 && rendered() < views && waited < 20000; waited += 100) {
    await sleep(100);
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;  // widget labels are typeset after the widgets render
  }
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const article = document.querySelector("article") || document.body;
  const maths = Array.from(article.querySelectorAll(".math"));
  return {
    maths: maths.length,
    maths_typeset: maths.filter((el) => el.querySelector("mjx-container")).length,
    mjx_containers: document.querySelectorAll("mjx-container").length,
    mjx_errors: Array.from(document.querySelectorAll("mjx-merror")).map((el) => el.textContent),
    widget_views: views,
    widgets_rendered: rendered(),
    untypeset_labels: Array.from(document.querySelectorAll(".widget-subarea .widget-label"))
      .filter((el) => /\$[^$]+\$/.test(el.textContent)).map((el) => el.textContent),
    widgets_visible: Array.from(document.querySelectorAll(".widget-subarea > .jupyter-widgets")).filter(visible).length,
    explorers: Array.from(document.querySelectorAll(".cell_output .output.text_html"))
      .filter((el) => el.querySelector('input[type="range"]') && el.querySelector("img")).length,
    code_cells: article.querySelectorAll(".cell_input div.highlight").length,
    copy_buttons: article.querySelectorAll(".cell_input div.highlight button.copybtn").length,
    theme: document.documentElement.dataset.theme,
  };
}
"""


class Browser:
    """Headless Chromium with every request outside the site blocked and recorded."""

    def __init__(self, base: str):
        if not Path(CHROMIUM).exists():
            raise MissingPrerequisite(f"Chromium is missing at {CHROMIUM}: install Debian's package (`apt-get install chromium`, "
                        "or `make browser`).", pytrace=False)
        self.base = base
        self.profile = tempfile.TemporaryDirectory(prefix="dlmath-chromium-")
        self.playwright = build_pdf.shared_playwright()  # one driver per thread, shared by every Chromium
        self.context = self.playwright.chromium.launch_persistent_context(
            self.profile.name, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, service_workers="block")
        self._blocked: list[str] = []
        self.context.route("**/*", self._route)
        self.reports: dict[tuple, PageReport] = {}

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
        else:
            self._blocked.append(url)
            route.abort("blockedbyclient")

    def load(self, path: str, *, color_scheme: str = "light", keep_open: bool = False):
        """Load ``path`` (relative to the site) and return ``(report, page)``; the page is closed unless kept."""
        page = self.context.new_page()
        page.emulate_media(color_scheme=color_scheme)
        report = PageReport(url=self.base + path)
        page.on("console", lambda message: report.console_errors.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error: report.page_errors.append(str(error)))
        page.on("requestfailed", lambda request: None if not request.url.startswith(self.base)
                else report.failed.append(f"{request.url} ({request.failure})"))
        page.on("response", lambda response: report.failed.append(f"{response.url} (HTTP {response.status})")
                if response.status >= 400 else None)
        self._blocked.clear()
        response = page.goto(report.url, wait_until="load", timeout=60000)
        report.status = response.status if response else None
        page.wait_for_load_state("networkidle", timeout=60000)
        report.facts = page.evaluate(MEASURE_JS)
        page.wait_for_load_state("networkidle", timeout=60000)
        report.blocked = list(self._blocked)
        if not keep_open:
            page.close()
            page = None
        return report, page

    def report(self, path: str, *, color_scheme: str = "light") -> PageReport:
        """The report of one load of ``path`` (loaded once per colour scheme)."""
        key = (path, color_scheme)
        if key not in self.reports:
            self.reports[key] = self.load(path, color_scheme=color_scheme)[0]
        return self.reports[key]

    def close(self):
        self.context.close()
        self.profile.cleanup()


def page_url(page: str) -> str:
    return f"{page}.html"


def notebook_of(page: str) -> dict:
    return json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))


def saved_widget_views(notebook: dict) -> int:
    """How many widget views the notebook's stored outputs display (with their state saved)."""
    state = notebook.get("metadata", {}).get("widgets", {}).get(
        "application/vnd.jupyter.widget-state+json", {}).get("state", {})
    views = 0
    for cell in notebook.get("cells", []):
        if "remove-output" in cell.get("metadata", {}).get("tags", []) or \
                "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json")
            if view and view.get("model_id") in state:
                views += 1
    return views


#: A kernel-free explorer (``dlmath.widgets.*_static``) is an HTML output with pictures and a range slider.
EXPLORER_SELECTOR = ".cell_output .output.text_html"


def static_explorers(notebook: dict) -> int:
    """How many kernel-free explorers the notebook's outputs hold: HTML outputs with a slider and a picture."""
    count = 0
    for cell in notebook.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-output" in tags or "remove-cell" in tags:
            continue
        for output in cell.get("outputs", []):
            html = output.get("data", {}).get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if re.search(r"<input[^>]*type=.?range", html) and "<img" in html:
                count += 1
    return count
