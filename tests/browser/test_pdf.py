"""The printable edition: ``make pdf`` (``tools/build_pdf.py``) prints the built book into one PDF.

The module prints the full edition under test once (about two minutes), then
reads the PDF: its pages, fonts, text, contents, bookmarks and links. The last
tests show that the checks reject what they are for: a page printed before
MathJax ran, and a PDF whose font is not embedded.
"""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from book_site import CHAPTERS, PAGES, ROOT

import build_pdf

pypdf = pytest.importorskip("pypdf", reason="pypdf is pinned in requirements.txt: run `make setup`")


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00ad", "")).strip()


def chapter_title(page: str) -> str:
    """The title a chapter notebook gives itself: its first Markdown heading (``# Chapter N — …``)."""
    notebook = json.loads((ROOT / f"{page}.ipynb").read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise AssertionError(f"{page}.ipynb has no title")


MONOSPACE = re.compile(r"Mono|Courier|Code", re.IGNORECASE)


def page_texts(page) -> tuple[str, str]:
    """``(all the text, the text not set in a monospace font)`` of a PDF page.

    Code and outputs are set in a monospace font, and code may hold TeX on purpose
    (a matplotlib label ``r"$\\hat{y}$"``, the contributing guide's ``$$…$$``); the prose
    and the maths are not, and there raw TeX means maths that was never typeset.
    """
    prose = []

    def visit(text, cm, tm, font, size):
        if not MONOSPACE.search(str((font or {}).get("/BaseFont", ""))):
            prose.append(text)

    full = page.extract_text(visitor_text=visit) or ""
    return full, "".join(prose)


@pytest.fixture(scope="module")
def printed(site, tmp_path_factory):
    output = tmp_path_factory.mktemp("pdf") / "dlmath.pdf"
    summary = build_pdf.build_pdf(site, output, log=lambda *args: None)
    reader = pypdf.PdfReader(output)
    texts, prose = zip(*(page_texts(page) for page in reader.pages))
    return {"summary": summary, "reader": reader, "texts": list(texts), "prose": list(prose), "path": output}


def test_page_count_is_sensible(printed):
    summary, reader = printed["summary"], printed["reader"]
    assert summary["book_pages"] == len(PAGES), "every page of the table of contents is printed"
    assert len(reader.pages) == summary["pages"], "no page lost when the parts were merged"
    # A title page and at least one page of contents, then at least a page for each page of the book,
    # and no runaway (a page printed as hundreds of sheets): under 40 sheets a page on average.
    assert summary["front_pages"] >= 2
    assert len(PAGES) + summary["front_pages"] <= len(reader.pages) <= 40 * len(PAGES)
    assert all(page.mediabox.width < page.mediabox.height for page in reader.pages), "portrait pages"
    labels = reader.page_labels
    assert labels[summary["front_pages"]] == "1", "the book's first page is page 1"
    assert labels[-1] == str(len(reader.pages) - summary["front_pages"])


def unembedded_fonts(reader) -> list[str]:
    """Fonts the PDF uses but does not carry (Type 3 fonts are drawn by the PDF itself)."""
    missing, seen = set(), set()

    def check_resources(resources):
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            font = font.get_object()
            if id(font) in seen:
                continue
            seen.add(id(font))
            subtype = font.get("/Subtype")
            if subtype == "/Type3":
                check_resources(font.get("/Resources"))
                continue
            if subtype == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont")))
        for xobject in (resources.get("/XObject") or {}).values():
            xobject = xobject.get_object()
            if xobject.get("/Subtype") == "/Form":
                check_resources(xobject.get("/Resources"))

    for page in reader.pages:
        check_resources(page.get("/Resources"))
    return sorted(missing)


def test_fonts_are_embedded(printed):
    assert unembedded_fonts(printed["reader"]) == []


def test_no_raw_tex_in_the_text(printed):
    """Every formula is typeset: no ``$$``, ``\\frac`` or other TeX left in the printed prose."""
    prose, texts = printed["prose"], printed["texts"]
    assert sum(map(len, prose)) > 0.3 * sum(map(len, texts)), "the prose was told apart from the code"
    found = [f"page {index + 1}: {hit!r}" for index, text in enumerate(prose) for hit in build_pdf.raw_tex(text)]
    assert not found, "raw TeX in the PDF (maths left untypeset):\n" + "\n".join(found)
    assert printed["summary"]["warnings"] == []


def test_every_chapter_title_is_present(printed):
    text = _normalise(" ".join(printed["texts"]))
    outline_titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                outline_titles.append(_normalise(item.title))

    walk(printed["reader"].outline)
    assert CHAPTERS, "the table of contents lists chapters"
    for page in CHAPTERS:
        title = _normalise(chapter_title(page))
        assert text.count(title) >= 2, f"{title!r} should be in the contents and on its first page"
        assert title in outline_titles, f"{title!r} is not a bookmark"


def test_contents_give_the_right_page_numbers_and_links(printed):
    reader, texts, front = printed["reader"], printed["texts"], printed["summary"]["front_pages"]
    contents = _normalise(" ".join(texts[:front]))
    for page in CHAPTERS:
        title = _normalise(chapter_title(page))
        match = re.search(re.escape(title) + r" (\d+)", contents)
        assert match, f"{title!r} has no page number in the contents"
        index = front + int(match.group(1)) - 1
        assert _normalise(texts[index]).startswith(title), \
            f"the contents send {title!r} to page {match.group(1)}, which starts with {texts[index][:60]!r}"
    targets = []
    for page in reader.pages[:front]:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") == "/Link":
                assert "/Dest" in annotation, f"a link in the contents leaves the PDF: {annotation}"
                targets.append(reader.get_page_number(annotation["/Dest"][0].get_object()))
    assert len(targets) >= len(PAGES), "every entry of the contents is a link"
    assert all(front <= target < len(reader.pages) for target in targets)


def test_links_between_pages_stay_inside_the_pdf(printed):
    """A link to another page of the book goes to that page of the PDF, never to the build's web server."""
    base = printed["summary"]["base"]
    assert printed["summary"]["links"]["internal"] >= len(PAGES)
    for number, page in enumerate(printed["reader"].pages, 1):
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            uri = str(action.get_object().get("/URI", "")) if action is not None else ""
            assert not uri.startswith(base) and not uri.startswith("http://127.0.0.1:"), \
                f"page {number} links to the server that printed the book: {uri}"


def _images_drawn(reader, first: int, count: int) -> int:
    """How many distinct pictures pages ``first`` to ``first + count - 1`` draw (in forms too)."""
    seen, images = set(), 0

    def walk(resources):
        nonlocal images
        if resources is None:
            return
        for ref in (resources.get_object().get("/XObject") or {}).values():
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image":
                images += 1
            elif xobject.get("/Subtype") == "/Form":
                walk(xobject.get("/Resources"))

    for page in reader.pages[first:first + count]:
        walk(page.get("/Resources"))
    return images


def test_every_figure_of_a_chapter_is_printed(printed, site):
    """Each chapter's pages in the PDF draw at least as many pictures as its web page shows."""
    entries = {entry["page"]: entry for entry in printed["summary"]["entries"]}
    for page in CHAPTERS:
        soup = BeautifulSoup((site / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        shown = {img["src"] for img in soup.select("article img[src]") if not img.find_parent("details", class_="hide")}
        entry = entries[page]
        drawn = _images_drawn(printed["reader"], entry["first"], entry["pages"])
        assert drawn >= len(shown), f"{page}: {len(shown)} pictures on the web page, {drawn} in its PDF pages"
        assert _normalise(printed["texts"][entry["first"]]).startswith(_normalise(entry["title"]))


def test_explorers_print_their_default_frame(printed, site):
    """Each explorer of the built chapters prints its picture and the caption of its first setting."""
    # Compared without spaces: a change of font inside a caption (‖∂L/∂Z‖) adds spaces to the extracted text.
    text = re.sub(r"\s+", "", " ".join(printed["texts"]))
    players = 0
    for page in CHAPTERS:
        soup = BeautifulSoup((site / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        for player in soup.select("[data-player]"):
            players += 1
            caption = player.select_one('[data-role="caption"]')
            assert caption is not None and player.find("img") is not None
            assert re.sub(r"\s+", "", caption.get_text()) in text, \
                f"{page}: the explorer's default frame ({caption.get_text()[:60]!r}) is not in the PDF"
    assert players >= 1, "the chapters have explorers to print"


# --- the checks reject what they are for -------------------------------------------------

def test_the_raw_tex_check_rejects_a_page_printed_without_mathjax(site, tmp_path):
    path = tmp_path / "notation-untypeset.pdf"
    with build_pdf.SiteServer(site) as server:
        playwright = build_pdf.shared_playwright()
        browser = playwright.chromium.launch(executable_path=build_pdf.CHROMIUM, headless=True,
                                             args=build_pdf.CHROMIUM_ARGS)
        try:
            context = browser.new_context(java_script_enabled=False)
            page = context.new_page()
            page.goto(f"{server.base}book/notation.html", wait_until="load")
            page.pdf(path=str(path), **build_pdf.PAGE)
        finally:
            browser.close()
    prose = " ".join(page_texts(page)[1] for page in pypdf.PdfReader(path).pages)
    assert any("\\frac" in hit for hit in build_pdf.raw_tex(prose)), "the TeX of an untypeset page is found"


def test_the_font_check_rejects_a_font_that_is_not_embedded():
    from pypdf.generic import DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    helvetica = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                                  NameObject("/Subtype"): NameObject("/Type1"),
                                  NameObject("/BaseFont"): NameObject("/Helvetica")})
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(helvetica)})})
    assert unembedded_fonts(writer) == ["/Helvetica"]


def test_a_page_with_untypeset_maths_stops_the_build():
    entry = build_pdf.Entry(page="notebooks/01_tensors", part="Chapters")
    facts = {"print_css": True, "untypeset": ["\\frac{a}{b}"], "mathjax_errors": [], "broken_images": [],
             "players_without_frame": 0, "widgets": 1, "widgets_rendered": 1, "raw_tex": []}
    assert any("untypeset" in problem for problem in build_pdf.page_problems(entry, facts))
    facts.update(untypeset=[], print_css=False)
    assert any("print.css" in problem for problem in build_pdf.page_problems(entry, facts))
    facts.update(print_css=True)
    assert build_pdf.page_problems(entry, facts) == []
