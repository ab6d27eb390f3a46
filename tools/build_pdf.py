"""Print the built book into one PDF, offline: ``make pdf``.

    python tools/build_pdf.py                    # _build/html (the full edition) -> _build/pdf/dlmath.pdf
    python tools/build_pdf.py --edition student  # -> _build/pdf/dlmath-student.pdf
    python tools/build_pdf.py --html DIR --output FILE [--pages notebooks/01_tensors ...]

``make pdf`` builds the site first (``make book``), then runs this. Each page of
the table of contents is loaded from a loopback web server into Debian's
Chromium (``/usr/bin/chromium``, driven by Playwright, headless; never a browser
download) and printed with the book's print stylesheet (``book/_static/print.css``:
no navigation, sidebars or buttons). Before a page is printed:

- MathJax has finished typesetting it, its fonts are loaded, and every image has
  loaded; a page with maths left untypeset, a MathJax error or a broken image
  stops the build;
- saved widgets have rendered, and every explorer (the book's kernel-free
  players) shows the frame its markup declares as the default; the print
  stylesheet hides their buttons and sliders, not their picture or caption;
- dropdowns are opened (hidden code cells stay hidden).

The printed pages are merged with pypdf behind a title page and a table of
contents with page numbers and links; every page gets a footer with its page's
title and number, the PDF gets bookmarks (parts, pages, sections) and page labels.
Links between pages of the book become links inside the PDF; links to site files
that are not in the PDF (downloads, the search page) are removed, since the
loopback server is gone when the PDF is read. Nothing is fetched from elsewhere:
every request that leaves the site is refused.
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import queue
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
import book_extension  # noqa: E402  (tools/ is not a package)
import build_book  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
OUTPUT = build_book.BUILD / "pdf" / "dlmath.pdf"
#: A4 with margins (the bottom one leaves room for the footer), the web page at 90 % of its size.
PAGE = {"format": "A4", "margin": {"top": "14mm", "bottom": "18mm", "left": "14mm", "right": "14mm"}, "scale": 0.9}
#: The width the printed text has, in CSS pixels: (210 mm - 28 mm) at 96 dpi, divided by the scale.
PRINT_WIDTH_PX = round((210 - 28) / 25.4 * 96 / PAGE["scale"])
#: Load and typeset budget of one page (milliseconds).
PAGE_TIMEOUT_MS = 60000
#: TeX that a reader should never see: display dollars, and the commands the book's maths uses.
#: (The same pattern runs in the browser, so keep it to syntax both Python and JavaScript read alike.)
RAW_TEX_PATTERN = (r"\$\$|\\\(|\\\)|\\\[|\\\]|\\(?:frac|dfrac|sum|prod|int|sqrt|mathbf|mathcal|mathrm|mathbb"
                   r"|boldsymbol|operatorname|text|partial|nabla|begin|end|left|right|cdot|top|hat|bar|tilde"
                   r"|alpha|beta|eta|lambda|sigma|theta|mu|qquad|quad)(?![A-Za-z])")
RAW_TEX = re.compile(RAW_TEX_PATTERN)


def raw_tex(text: str) -> list[str]:
    """The raw TeX in ``text``, each with some context. Look in prose only: code may show TeX on purpose."""
    return [text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ") for m in RAW_TEX.finditer(text)]


class PdfBuildError(RuntimeError):
    """The book cannot be printed as it is; the message says what and where."""


# --- what to print --------------------------------------------------------------------

@dataclass
class Entry:
    """One page of the table of contents."""

    page: str            # e.g. "notebooks/01_tensors"
    part: str            # the caption of its part ("" without parts)
    title: str = ""      # the page's <h1>, read when printed
    sections: list = field(default_factory=list)   # [(id, title)] of its top-level sections
    pages: int = 0       # how many PDF pages it printed to
    first: int = 0       # its first page in the merged body (0-based)
    dests: dict = field(default_factory=dict)      # anchor id -> (page in part, left, top)


def toc_of(html_dir: Path) -> Path:
    """The table of contents the site was built from (recorded in its build info)."""
    info_path = html_dir / book_extension.BUILD_INFO
    if info_path.exists():
        toc = json.loads(info_path.read_text(encoding="utf-8")).get("toc")
        if toc and Path(toc).exists():
            return Path(toc)
    return ROOT / "_toc.yml"


def toc_entries(toc_path: Path) -> list[Entry]:
    """The pages of a Jupyter Book table of contents, in reading order, with their part."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    entries = [Entry(page=toc["root"], part="")]

    def walk(items, part):
        for item in items or []:
            if "file" in item:
                page = re.sub(r"\.(md|ipynb)$", "", item["file"])
                entries.append(Entry(page=page, part=part))
            if "glob" in item:
                found = sorted({p.relative_to(ROOT).with_suffix("").as_posix()
                                for suffix in (".md", ".ipynb") for p in ROOT.glob(item["glob"] + suffix)})
                entries.extend(Entry(page=page, part=part) for page in found
                               if page not in {e.page for e in entries})
            walk(item.get("sections"), part)
            walk(item.get("chapters"), part)

    for part in toc.get("parts", []):
        walk(part.get("chapters"), str(part.get("caption", "")))
    walk(toc.get("chapters"), "")
    walk(toc.get("sections"), "")
    return entries


# --- the browser ----------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class SiteServer:
    """Serve a folder (the built site) on 127.0.0.1, a free port, from a background thread.

    The PDF build prints the pages it serves; the browser tests (tests/browser/book_site.py) load them.
    """

    def __init__(self, folder: Path):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="site-server", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


#: Run in a loaded page: wait until it is ready to print, prepare it, report what it holds.
PREPARE_JS = r"""
async (rawTexPattern) => {
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const typeset = async () => {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  };
  await typeset();
  // Saved widgets render after the page loaded; their labels are typeset afterwards.
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]').length;
  const rendered = () => document.querySelectorAll(".widget-subarea > .jupyter-widgets").length;
  for (let waited = 0; views > 0 && rendered() < views && waited < 20000; waited += 100) { await sleep(100); }
  await typeset();
  // Explorers (kernel-free players): show the frame their markup declares as the default.
  const players = Array.from(document.querySelectorAll("[data-player]"));
  for (const slider of document.querySelectorAll('[data-player] input[type="range"]')) {
    if (slider.value !== slider.defaultValue) {
      slider.value = slider.defaultValue;
      slider.dispatchEvent(new Event("input", {bubbles: true}));
    }
  }
  // Dropdowns print open; hidden code cells (details.hide) stay closed.
  document.querySelectorAll("details:not(.hide)").forEach((d) => { d.open = true; });
  // Every image loaded, none lazily left out.
  const images = Array.from(document.images);
  images.forEach((img) => { img.loading = "eager"; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((resolve) => {
    img.addEventListener("load", resolve); img.addEventListener("error", resolve); })));
  await document.fonts.ready;
  // A display formula wider than the column would be cut off on paper: shrink it to fit.
  let shrunk = 0;
  for (const formula of document.querySelectorAll('mjx-container[display="true"]')) {
    const column = formula.parentElement.clientWidth, width = formula.firstElementChild
      ? formula.firstElementChild.getBoundingClientRect().width : 0;
    if (column > 0 && width > column) {
      formula.style.zoom = (0.98 * column / width).toFixed(3);
      shrunk += 1;
    }
  }
  const article = document.querySelector("article.bd-article") || document.querySelector("article") || document.body;
  // Chromium writes a PDF destination for an element only when a link in the same page
  // points at it: an invisible link to every anchor lets links from other pages land there.
  const anchors = document.createElement("div");
  anchors.setAttribute("aria-hidden", "true");
  anchors.className = "dlmath-print-anchors";
  for (const el of article.querySelectorAll("[id]")) {
    const link = document.createElement("a");
    link.href = "#" + encodeURIComponent(el.id);
    link.textContent = "\u200b";
    anchors.appendChild(link);
  }
  article.appendChild(anchors);
  const text = (el) => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll(".headerlink, mjx-assistive-mml").forEach((n) => n.remove());
    return copy.textContent.replace(/\s+/g, " ").trim();
  };
  // Text outside maths and code that still reads as TeX: maths the Markdown did not parse.
  const rawTex = new RegExp(rawTexPattern);
  const rawTexFound = [];
  const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {acceptNode: (node) =>
    node.parentElement.closest("code, pre, script, style, .math, mjx-container, .dlmath-print-anchors")
      ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT});
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const match = rawTex.exec(node.textContent);
    if (match) { rawTexFound.push(node.textContent.slice(Math.max(0, match.index - 40), match.index + 40).trim()); }
  }
  const h1 = article.querySelector("h1");
  const maths = Array.from(article.querySelectorAll(".math"));
  return {
    title: h1 ? text(h1) : document.title,
    sections: Array.from(article.querySelectorAll("section > h2"))
      .filter((h) => h.parentElement.id).map((h) => [h.parentElement.id, text(h)]),
    maths: maths.length,
    untypeset: maths.filter((el) => !el.querySelector("mjx-container")).map((el) => el.textContent.slice(0, 80)),
    mathjax_errors: Array.from(document.querySelectorAll("mjx-merror")).map((el) => el.textContent.slice(0, 80)),
    broken_images: images.filter((img) => !img.naturalWidth).map((img) => (img.alt || img.src).slice(0, 80)),
    players: players.length,
    shrunk_formulas: shrunk,
    players_without_frame: players.filter((p) => { const img = p.querySelector("img");
      return !img || !img.naturalWidth; }).length,
    raw_tex: rawTexFound,
    print_css: !!document.querySelector('link[rel="stylesheet"][href*="_static/print.css"]'),
    widgets: views,
    widgets_rendered: rendered(),
  };
}
"""


_PLAYWRIGHTS = threading.local()


def shared_playwright():
    """This thread's one Playwright driver, started on first use and kept until the process ends.

    Playwright's sync API cannot start a second driver in a thread that already runs
    one, so every Chromium of a thread (the PDF printer's, the browser tests') shares it.
    """
    instance = getattr(_PLAYWRIGHTS, "instance", None)
    if instance is None:
        from playwright.sync_api import sync_playwright

        instance = sync_playwright().start()
        _PLAYWRIGHTS.instance = instance
    return instance


class Printer:
    """Headless Chromium that prints pages of the site; requests outside the site are refused."""

    def __init__(self, base: str, chromium: str = CHROMIUM):
        if not Path(chromium).exists():
            raise PdfBuildError(f"Chromium is missing at {chromium}: install Debian's package "
                                "(`apt-get install chromium`, or `make browser`).")
        self.base = base
        self.refused: list[str] = []
        self.profile = tempfile.TemporaryDirectory(prefix="dlmath-pdf-chromium-")
        self.playwright = shared_playwright()
        self.context = self.playwright.chromium.launch_persistent_context(
            self.profile.name, executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
            color_scheme="light", service_workers="block", viewport={"width": 1280, "height": 900})
        self.context.route("**/*", self._route)

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.base) or url.startswith("data:") or url.startswith("about:"):
            route.continue_()
        else:
            self.refused.append(url)
            route.abort("blockedbyclient")

    def print_page(self, entry: Entry, path: Path) -> dict:
        """Print one page of the book to ``path``; return what the page reported."""
        page = self.context.new_page()
        # Laid out from the start as it will print: print media, the printed width.
        page.set_viewport_size({"width": PRINT_WIDTH_PX, "height": 1000})
        page.emulate_media(media="print")
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        try:
            response = page.goto(f"{self.base}{entry.page}.html", wait_until="load", timeout=PAGE_TIMEOUT_MS)
            if response is None or response.status != 200:
                raise PdfBuildError(f"{entry.page}.html: HTTP status {response.status if response else None}")
            facts = page.evaluate(PREPARE_JS, RAW_TEX_PATTERN)
            page.pdf(path=str(path), print_background=True, **PAGE)
        finally:
            page.close()
        facts["page_errors"] = errors
        return facts

    def print_html(self, markup: str, path: Path, **options) -> None:
        """Print generated markup (the title page, the contents, the footers)."""
        page = self.context.new_page()
        try:
            page.set_content(markup, wait_until="load")
            page.evaluate("async () => { await document.fonts.ready; }")
            page.pdf(path=str(path), print_background=True, **options)
        finally:
            page.close()

    def close(self):
        self.context.close()
        self.profile.cleanup()


def page_problems(entry: Entry, facts: dict) -> list[str]:
    """What keeps a printed page from being right (maths, images, explorers, widgets)."""
    where = f"{entry.page}.html"
    problems = [] if facts["print_css"] else [f"{where}: the page does not load _static/print.css (rebuild the site)"]
    problems += [f"{where}: maths left untypeset: {text!r}" for text in facts["untypeset"]]
    problems += [f"{where}: MathJax error: {text!r}" for text in facts["mathjax_errors"]]
    problems += [f"{where}: image did not load: {text!r}" for text in facts["broken_images"]]
    if facts["players_without_frame"]:
        problems.append(f"{where}: {facts['players_without_frame']} explorer(s) without a frame to print")
    if facts["widgets_rendered"] < facts["widgets"]:
        problems.append(f"{where}: {facts['widgets_rendered']} of {facts['widgets']} saved widgets rendered")
    problems += [f"{where}: page error: {text}" for text in facts.get("page_errors", [])]
    return problems


def page_warnings(entry: Entry, facts: dict) -> list[str]:
    """What prints, but wrongly, because the page itself is wrong (also on the web)."""
    return [f"{entry.page}.html: raw TeX in the text (Markdown did not see maths here): {text!r}"
            for text in facts["raw_tex"]]


# --- the front matter and the footers ----------------------------------------------------

_FRONT_CSS = """
@page { size: A4; margin: 22mm 20mm 20mm 20mm; }
body { font-family: "DejaVu Sans", sans-serif; color: #1a1a1a; font-size: 10.5pt; margin: 0; }
.title-page { height: 240mm; display: flex; flex-direction: column; justify-content: center; break-after: page; }
.title-page h1 { font-size: 28pt; font-weight: 500; margin: 0 0 8mm 0; }
.title-page p { margin: 2mm 0; color: #444; }
.title-page .small { font-size: 9pt; color: #555; margin-top: 14mm; }
h2 { font-size: 18pt; font-weight: 500; margin: 0 0 6mm 0; }
h3 { font-size: 11pt; text-transform: uppercase; letter-spacing: 0.05em; color: #0a5; color: #1b5e9e;
     margin: 6mm 0 2mm 0; break-after: avoid; }
ul { list-style: none; margin: 0; padding: 0; }
li { margin: 0; padding: 0; }
a { color: inherit; text-decoration: none; display: flex; align-items: baseline; padding: 0.6mm 0; }
a .dots { flex: 1; border-bottom: 1px dotted #999; margin: 0 2mm; }
a .n { min-width: 8mm; text-align: right; font-variant-numeric: tabular-nums; }
li.page > a { font-weight: 600; margin-top: 1.2mm; }
li.section > a { padding-left: 6mm; font-size: 9.5pt; color: #333; }
"""


def front_matter_html(title: str, author: str, edition: str, entries: list[Entry], base: str) -> str:
    """The title page and the table of contents, with links to the pages' addresses on the site."""
    esc = html.escape
    rows, part = [], None
    for entry in entries:
        if entry.part != part:
            part = entry.part
            if part:
                rows.append(f"<li><h3>{esc(part)}</h3></li>")
        number = entry.first + 1
        rows.append(f'<li class="page"><a href="{esc(base + entry.page)}.html"><span>{esc(entry.title)}</span>'
                    f'<span class="dots"></span><span class="n">{number}</span></a></li>')
        if entry.page.startswith("notebooks/"):
            for anchor, heading in entry.sections:
                if anchor in entry.dests:
                    section_page = entry.first + entry.dests[anchor][0] + 1
                    rows.append(f'<li class="section"><a href="{esc(base + entry.page)}.html#{esc(anchor)}">'
                                f'<span>{esc(heading)}</span><span class="dots"></span>'
                                f'<span class="n">{section_page}</span></a></li>')
    edition_line = "Student edition" if edition == "student" else "Full edition, with the solutions"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{_FRONT_CSS}</style></head><body>
<section class="title-page"><h1>{esc(title)}</h1><p>{esc(author)}</p><p>{esc(edition_line)}</p>
<p class="small">The printed edition of the online book. The explorers show their default setting;
move them in the online book or in the notebooks (JupyterLab, Colab).<br>
Text and figures: CC BY 4.0. Code: MIT licence.</p></section>
<section><h2>Contents</h2><ul>{''.join(rows)}</ul></section></body></html>"""


_FOOTER_CSS = """
@page { size: A4; margin: 0; }
body { margin: 0; font-family: "DejaVu Sans", sans-serif; }
.sheet { position: relative; height: 11.6in; break-after: page; overflow: hidden; }
.sheet:last-child { break-after: auto; }
.foot { position: absolute; left: 14mm; right: 14mm; bottom: 7mm; display: flex; justify-content: space-between;
        font-size: 8pt; color: #555; border-top: 0.5pt solid #bbb; padding-top: 1.5mm; }
"""


def roman(number: int) -> str:
    values = [(10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = ""
    for value, letters in values:
        while number >= value:
            out += letters
            number -= value
    return out


def footers_html(labels: list[tuple[str, str]]) -> str:
    """One A4 sheet per page of the book, each with only its footer (left text, page number)."""
    sheets = "".join(f'<div class="sheet"><div class="foot"><span>{html.escape(left)}</span>'
                     f"<span>{html.escape(right)}</span></div></div>" if left or right else '<div class="sheet"></div>'
                     for left, right in labels)
    return f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><style>{_FOOTER_CSS}</style></head>' \
           f"<body>{sheets}</body></html>"


# --- merging -----------------------------------------------------------------------------

def named_destinations(reader) -> dict:
    """``{anchor id: (page index, left, top)}`` of a PDF Chromium printed."""
    dests = {}
    for name, dest in reader.named_destinations.items():
        try:
            index = reader.get_destination_page_number(dest)
        except Exception:  # a destination without a page: nothing to link to
            continue
        anchor = unquote(str(name).lstrip("/"))
        left = float(dest.left) if dest.get("/Left") is not None else 0.0
        top = float(dest.top) if dest.get("/Top") is not None else None
        dests[anchor] = (index, left, top)
    return dests


def relink(writer, entries: list[Entry], front_pages: int, base: str) -> dict:
    """Point every link at its place in the merged PDF; drop links to the (gone) loopback server.

    Returns counts: ``{"internal": n, "removed": n, "external": n}``.
    """
    from pypdf.generic import ArrayObject, FloatObject, NameObject, NullObject

    by_page = {entry.page: entry for entry in entries}
    owner = {}  # merged page index -> entry
    for entry in entries:
        for k in range(entry.pages):
            owner[front_pages + entry.first + k] = entry
    counts = {"internal": 0, "removed": 0, "external": 0}

    def destination(entry: Entry, anchor: str | None):
        place = entry.dests.get(anchor) if anchor else None
        index, left, top = place if place else (0, 0.0, None)
        page_ref = writer.pages[front_pages + entry.first + index].indirect_reference
        return ArrayObject([page_ref, NameObject("/XYZ"), FloatObject(left),
                            FloatObject(top) if top is not None else NullObject(), NullObject()])

    for index, page in enumerate(writer.pages):
        if "/Annots" not in page:
            continue
        kept = ArrayObject()
        for ref in page["/Annots"]:
            annot = ref.get_object()
            if annot.get("/Subtype") != "/Link":
                kept.append(ref)
                continue
            target = None
            action = annot.get("/A")
            if action is not None and action.get_object().get("/S") == "/URI":
                uri = str(action.get_object()["/URI"])
                if not uri.startswith(base):
                    counts["external"] += 1
                    kept.append(ref)
                    continue
                parts = urlsplit(uri)
                path = unquote(parts.path).lstrip("/")
                key = path[:-5] if path.endswith(".html") else None
                if key in by_page:
                    target = destination(by_page[key], unquote(parts.fragment) or None)
            elif "/Dest" in annot and index in owner:
                name = annot["/Dest"]
                if not isinstance(name, ArrayObject):
                    target = destination(owner[index], unquote(str(name).lstrip("/")))
                else:
                    target = name  # already explicit
            if target is None:
                counts["removed"] += 1
                continue
            if NameObject("/A") in annot:
                del annot[NameObject("/A")]
            annot[NameObject("/Dest")] = target
            counts["internal"] += 1
            kept.append(ref)
        page[NameObject("/Annots")] = kept
    return counts


def add_outline(writer, entries: list[Entry], front_pages: int) -> None:
    from pypdf.generic import Fit

    writer.add_outline_item(title="Contents", page_number=1 if front_pages > 1 else 0)
    parents = {}
    for entry in entries:
        start = front_pages + entry.first
        parent = None
        if entry.part:
            if entry.part not in parents:
                parents[entry.part] = writer.add_outline_item(title=entry.part, page_number=start)
            parent = parents[entry.part]
        item = writer.add_outline_item(title=entry.title, page_number=start, parent=parent)
        for anchor, heading in entry.sections:
            if anchor in entry.dests:
                index, left, top = entry.dests[anchor]
                writer.add_outline_item(title=heading, page_number=start + index, parent=item,
                                        fit=Fit.xyz(left, top, None))


# --- the whole book ----------------------------------------------------------------------

def print_pages(entries: list[Entry], folder: Path, base: str, chromium: str, workers: int, log) -> dict:
    """Print every entry to ``folder/NNN.pdf``, ``workers`` Chromiums at a time; return each page's facts
    (by page) and the refused requests (under ``"refused"``)."""
    todo = queue.Queue()
    for number, entry in enumerate(entries, 1):
        todo.put((number, entry))
    facts_of, refused, errors = {}, [], []

    def work():
        try:
            printer = Printer(base, chromium)
        except Exception as error:  # noqa: BLE001 (reported below, in the main thread)
            errors.append(error)
            return
        try:
            while not errors:
                try:
                    number, entry = todo.get_nowait()
                except queue.Empty:
                    return
                began = time.perf_counter()
                facts = printer.print_page(entry, folder / f"{number:03d}.pdf")
                facts_of[entry.page] = facts
                log(f"  printed {entry.page}: {facts['maths']} maths, {facts['players']} explorers "
                    f"({time.perf_counter() - began:.1f} s)")
        except Exception as error:  # noqa: BLE001
            errors.append(error)
        finally:
            refused.extend(printer.refused)
            printer.close()

    # Playwright's synchronous API belongs to the thread that started it: one browser per thread.
    threads = [threading.Thread(target=work, name=f"pdf-printer-{k}") for k in range(max(1, workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    facts_of["refused"] = refused
    return facts_of


def build_pdf(html_dir: Path, output: Path, *, chromium: str = CHROMIUM, pages: list[str] | None = None,
              workers: int = 2, log=print) -> dict:
    """Print the site in ``html_dir`` into ``output``; return a summary (pages, timings, links)."""
    from pypdf import PdfReader, PdfWriter

    start = time.perf_counter()
    html_dir = Path(html_dir)
    if not (html_dir / "index.html").exists():
        raise PdfBuildError(f"The built book is missing: {html_dir / 'index.html'} does not exist. "
                            "Build it first with `make book` (`make pdf` does both).")
    info_path = html_dir / book_extension.BUILD_INFO
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
    entries = toc_entries(toc_of(html_dir))
    if pages:
        entries = [entry for entry in entries if entry.page in pages]
    missing = [entry.page for entry in entries if not (html_dir / f"{entry.page}.html").exists()]
    if missing:
        raise PdfBuildError(f"pages of the table of contents are not in the built site: {missing}; "
                            "rebuild it (`make book`)")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    title = str(config.get("title", "The book"))
    author = str(config.get("author", ""))
    edition = info.get("edition", "full")

    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    warnings: list[str] = []
    with tempfile.TemporaryDirectory(prefix="dlmath-pdf-") as tmp, SiteServer(html_dir) as server:
        tmp = Path(tmp)
        facts_of = print_pages(entries, tmp, server.base, chromium, workers, log)
        printer = Printer(server.base, chromium)
        try:
            readers = []
            for number, entry in enumerate(entries, 1):
                facts = facts_of[entry.page]
                problems += page_problems(entry, facts)
                warnings += page_warnings(entry, facts)
                entry.title, entry.sections = facts["title"], [tuple(s) for s in facts["sections"]]
                reader = PdfReader(tmp / f"{number:03d}.pdf")
                entry.pages, entry.dests = len(reader.pages), named_destinations(reader)
                readers.append(reader)
            problems += [f"request to outside the site refused: {url}" for url in facts_of["refused"]]
            if problems:
                raise PdfBuildError("the book cannot be printed as it is:\n  " + "\n  ".join(problems))
            first = 0
            for entry in entries:
                entry.first, first = first, first + entry.pages
            front_path = tmp / "front.pdf"
            printer.print_html(front_matter_html(title, author, edition, entries, server.base), front_path,
                               format="A4", prefer_css_page_size=True)
            front = PdfReader(front_path)
            front_pages = len(front.pages)
            labels = [("", roman(k + 1)) if k else ("", "") for k in range(front_pages)]
            for entry in entries:
                labels += [(entry.title, str(entry.first + k + 1)) for k in range(entry.pages)]
            footer_path = tmp / "footers.pdf"
            printer.print_html(footers_html(labels), footer_path, format="A4", prefer_css_page_size=True)
            footers = PdfReader(footer_path)
            if len(footers.pages) != len(labels):
                raise PdfBuildError(f"the footers printed to {len(footers.pages)} pages, not {len(labels)}")

            writer = PdfWriter()
            for reader in [front] + readers:
                writer.append(reader, import_outline=False)
            if "/Names" in writer.root_object:  # the parts' named destinations clash; links are explicit now
                del writer.root_object["/Names"]
            for page, footer in zip(writer.pages, footers.pages):
                page.merge_page(footer)
            links = relink(writer, entries, front_pages, server.base)
            add_outline(writer, entries, front_pages)
            writer.set_page_label(0, front_pages - 1, style="/r")
            writer.set_page_label(front_pages, len(writer.pages) - 1, style="/D", start=1)
            writer.add_metadata({"/Title": title, "/Author": author,
                                 "/Subject": f"{title}, {edition} edition, printed from the built book"})
            writer.page_mode = "/UseOutlines"
            with output.open("wb") as handle:
                writer.write(handle)
        finally:
            printer.close()
    summary = {"base": server.base, "pages": len(labels), "front_pages": front_pages, "book_pages": len(entries),
               "links": links, "seconds": time.perf_counter() - start, "output": str(output),
               "titles": [entry.title for entry in entries], "warnings": warnings,
               "entries": [{"page": entry.page, "title": entry.title, "first": front_pages + entry.first,
                            "pages": entry.pages} for entry in entries]}
    return summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edition", choices=build_book.EDITIONS, default="full",
                        help="which built edition to print (build it first: make book EDITION=...)")
    parser.add_argument("--html", type=Path, help="print the site built in this folder instead")
    parser.add_argument("--output", type=Path,
                        help=f"the PDF to write (default: {OUTPUT.relative_to(ROOT)}, "
                             f"{OUTPUT.with_name('dlmath-student.pdf').relative_to(ROOT)} for the student edition)")
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium to print with (Debian's)")
    parser.add_argument("--workers", type=int, default=2, help="pages printed at the same time (default 2)")
    parser.add_argument("--pages", nargs="+", metavar="PAGE",
                        help="print only these pages of the table of contents (e.g. notebooks/01_tensors)")
    args = parser.parse_args(argv)
    args.html = args.html or build_book.html_dir(args.edition)
    args.output = args.output or (OUTPUT if args.edition == "full" else OUTPUT.with_name("dlmath-student.pdf"))
    print(f"Printing the book in {args.html} with {args.chromium} ...")
    try:
        summary = build_pdf(args.html, args.output, chromium=args.chromium, pages=args.pages,
                            workers=args.workers)
    except PdfBuildError as error:
        print(f"\nThe PDF was NOT built: {error}", file=sys.stderr)
        return 1
    for warning in summary["warnings"]:
        print(f"WARNING: {warning}", file=sys.stderr)
    links = summary["links"]
    print(f"\nThe PDF is built ({summary['seconds']:.0f} s): {summary['pages']} pages, "
          f"{summary['book_pages']} book pages, {links['internal']} links inside it, "
          f"{links['external']} to other sites, {links['removed']} removed. Open:\n{summary['output']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
