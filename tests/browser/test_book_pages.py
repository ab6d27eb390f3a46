"""Every page of the book in a real browser: clean loads, typeset maths, widgets, explorers, search."""

from __future__ import annotations

import re

import pytest
from book_site import (CHAPTERS, EXPLORER_SELECTOR, NOTEBOOK_PAGES, PAGES, notebook_of, page_url, saved_widget_views,
                      static_explorers)

GENERATED_PAGES = ["search", "genindex"]


@pytest.mark.parametrize("page", PAGES + GENERATED_PAGES)
def test_page_loads_without_errors_or_outside_requests(browser, page):
    report = browser.report(page_url(page))
    problems = report.problems()
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_maths_is_typeset(browser, site, page):
    html = (site / page_url(page)).read_text(encoding="utf-8")
    if 'class="math' not in html:
        pytest.skip("no maths on this page")
    facts = browser.report(page_url(page)).facts
    assert facts["maths"] > 0
    assert facts["maths_typeset"] == facts["maths"], (
        f"{facts['maths'] - facts['maths_typeset']} of {facts['maths']} formulas were not typeset by MathJax")
    assert not facts["mjx_errors"], f"MathJax could not typeset: {facts['mjx_errors']}"


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_saved_widgets_and_explorers_are_shown(browser, page):
    notebook = notebook_of(page)
    expected_views, expected_explorers = saved_widget_views(notebook), static_explorers(notebook)
    facts = browser.report(page_url(page)).facts
    assert facts["widget_views"] == expected_views, "the page does not carry every saved widget view"
    assert facts["widgets_rendered"] == expected_views, (
        f"{facts['widgets_rendered']} of {expected_views} saved widgets were rendered by the widget manager")
    assert facts["widgets_visible"] == expected_views, "a rendered widget has no size on the page"
    assert facts["explorers"] == expected_explorers
    assert not facts["untypeset_labels"], f"widget labels with untypeset maths: {facts['untypeset_labels']}"


def test_the_chapters_show_interactive_figures(browser):
    """The book as a whole has explorers or widgets to show (so the test above cannot pass vacuously)."""
    if not CHAPTERS:
        pytest.fail("the table of contents lists no chapter")
    shown = {page: browser.report(page_url(page)).facts for page in CHAPTERS}
    total = sum(facts["widgets_rendered"] + facts["explorers"] for facts in shown.values())
    assert total > 0, f"no chapter page shows a widget or an explorer: {shown}"


@pytest.mark.parametrize("page", CHAPTERS)
def test_static_explorers_move_without_a_kernel(browser, page):
    """Dragging an explorer's slider shows another pre-computed frame, and its picture has alt text."""
    if not static_explorers(notebook_of(page)):
        pytest.skip("no pre-rendered explorer in this chapter")
    _, tab = browser.load(page_url(page), keep_open=True)
    try:
        explorers = tab.locator(EXPLORER_SELECTOR).filter(has=tab.locator('input[type="range"]'))
        assert explorers.count() == static_explorers(notebook_of(page))
        for index in range(explorers.count()):
            explorer = explorers.nth(index)
            explorer.scroll_into_view_if_needed()
            image, slider = explorer.locator("img").first, explorer.locator('input[type="range"]').first
            assert image.get_attribute("alt"), f"explorer {index} has a picture without alt text"
            assert image.is_visible() and slider.is_visible()
            before = image.get_attribute("src")
            last = slider.get_attribute("max")
            slider.fill(last)  # sets the value and fires the input event, as dragging does
            tab.wait_for_function("([img, src]) => img.getAttribute('src') !== src",
                                  arg=[image.element_handle(), before], timeout=5000)
            assert image.get_attribute("src").startswith("data:image/"), "frames must be embedded, not fetched"
    finally:
        tab.close()


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_code_cells_have_copy_buttons(browser, page):
    facts = browser.report(page_url(page)).facts
    assert facts["copy_buttons"] == facts["code_cells"], (
        f"{facts['code_cells'] - facts['copy_buttons']} code cells without a copy button")


def test_search_finds_gradient(browser):
    report, tab = browser.load("search.html?q=gradient", keep_open=True)
    try:
        assert not report.problems(), report.problems()
        tab.wait_for_selector("#search-results ul.search li", timeout=30000)
        results = tab.locator("#search-results ul.search li a")
        assert results.count() > 0
        titles = [results.nth(i).inner_text() for i in range(results.count())]
        summary = tab.locator("#search-results p.search-summary").inner_text()
        assert re.search(r"\d+ page", summary) or titles, summary
        # The glossary defines the term: it must be among the results.
        hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
        assert any("glossary" in (href or "") for href in hrefs) or "book/glossary" not in PAGES, hrefs
    finally:
        tab.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_are_readable_in_light_and_dark_mode(browser, scheme):
    """Body text and figures keep their contrast in both themes (WCAG AA: 4.5:1 for text)."""
    page = next((p for p in CHAPTERS), PAGES[0])
    _, tab = browser.load(page_url(page), color_scheme=scheme, keep_open=True)
    try:
        measured = tab.evaluate(CONTRAST_JS)
    finally:
        tab.close()
    assert measured["theme"] == scheme
    assert measured["paragraphs"], "no paragraph to measure"
    low = [item for item in measured["paragraphs"] if item["ratio"] < 4.5]
    assert not low, f"text with too little contrast in {scheme} mode: {low[:5]}"
    low = [item for item in measured["outputs"] if item["ratio"] < 4.5]
    assert not low, f"cell output text with too little contrast in {scheme} mode: {low[:5]}"
    dark_figures = [item for item in measured["figures"] if item["background_luminance"] < 0.5]
    assert not dark_figures, f"figures without a light background in {scheme} mode: {dark_figures[:5]}"


CONTRAST_JS = r"""
() => {
  const parse = (color) => {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const [r, g, b, a] = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return {r, g, b, a: a === undefined ? 1 : a};
  };
  const luminance = ({r, g, b}) => {
    const lin = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const color = parse(getComputedStyle(node).backgroundColor);
      if (color && color.a > 0.5) return color;
    }
    return parse(getComputedStyle(document.body).backgroundColor) || {r: 255, g: 255, b: 255, a: 1};
  };
  const ratio = (el) => {
    const fg = luminance(parse(getComputedStyle(el).color)), bg = luminance(background(el));
    return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
  };
  const article = document.querySelector("article");
  const measure = (selector) => Array.from(article.querySelectorAll(selector))
    .filter((el) => el.textContent.trim().length > 0).slice(0, 40)
    .map((el) => ({text: el.textContent.trim().slice(0, 40), ratio: Math.round(ratio(el) * 100) / 100}));
  const figures = Array.from(article.querySelectorAll(".cell_output img")).slice(0, 20).map((img) => ({
    src: img.getAttribute("src").slice(0, 60), background_luminance: luminance(background(img)),
  }));
  return {
    theme: document.documentElement.dataset.theme,
    paragraphs: measure("section > p"),
    outputs: measure(".cell_output pre, .widget-label, .widget-readout"),
    figures,
  };
}
"""
