"""The built HTML itself: links, launch buttons, downloads, alt text, headings, nothing external."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import pytest
import yaml
from bs4 import BeautifulSoup
from book_site import CHAPTERS, NOTEBOOK_PAGES, PAGES, ROOT, book_extension, build_info, page_url

import sync_notebooks  # tools/: the one reading of repository.url and branch

EXTERNAL_SCHEMES = ("http:", "https:", "mailto:", "javascript:", "data:", "tel:")


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


@pytest.fixture(scope="module")
def html_files(site):
    files = sorted(path for path in site.rglob("*.html") if "_static" not in path.relative_to(site).parts)
    assert files, "no HTML files in the site"
    return files


@pytest.fixture(scope="module")
def ids_of(site):
    cache = {}

    def ids(path: Path) -> set:
        if path not in cache:
            cache[path] = {tag["id"] for tag in soup_of(path).find_all(id=True)}
        return cache[path]

    return ids


def test_every_toc_page_was_built(site):
    missing = [page for page in PAGES if not (site / page_url(page)).exists()]
    assert not missing, f"pages of the table of contents missing from the site: {missing}"


def test_site_has_no_pages_from_outside_the_book(site, html_files):
    """Pages that left the table of contents are removed, not served stale (tools/book_extension.py)."""
    expected = set(PAGES) | book_extension.GENERATED_PAGES
    stray = [p.relative_to(site).as_posix() for p in html_files
             if p.relative_to(site).with_suffix("").as_posix() not in expected]
    assert not stray, f"pages not in the table of contents: {stray}"


def test_every_internal_link_resolves(site, html_files, ids_of):
    broken = []
    for path in html_files:
        soup = soup_of(path)
        for tag, attribute in (("a", "href"), ("link", "href"), ("script", "src"), ("img", "src"),
                               ("source", "src"), ("iframe", "src")):
            for element in soup.find_all(tag):
                target = element.get(attribute)
                if not target or target.startswith(EXTERNAL_SCHEMES) or target.startswith("//"):
                    continue
                address, fragment = urldefrag(target)
                address = unquote(urlsplit(address).path)
                resolved = (path.parent / address).resolve() if address else path
                if resolved.is_dir():
                    resolved = resolved / "index.html"
                where = f"{path.relative_to(site)}: <{tag} {attribute}={target!r}>"
                if site.resolve() not in [resolved, *resolved.parents]:
                    broken.append(f"{where} points outside the site")
                elif not resolved.exists():
                    broken.append(f"{where} -> missing file")
                elif fragment and resolved.suffix == ".html" and fragment not in ids_of(resolved):
                    broken.append(f"{where} -> no element with id {fragment!r}")
    assert not broken, f"{len(broken)} broken internal links:\n  " + "\n  ".join(broken[:50])


def test_pages_reference_no_outside_scripts_styles_or_images(html_files, site):
    outside = []
    for path in html_files:
        soup = soup_of(path)
        for tag, attribute in (("script", "src"), ("img", "src"), ("iframe", "src"), ("source", "src")):
            for element in soup.find_all(tag):
                if re.match(r"(https?:)?//", element.get(attribute) or ""):
                    outside.append(f"{path.relative_to(site)}: <{tag} {attribute}={element[attribute]!r}>")
        for element in soup.find_all("link", href=True):
            if re.match(r"(https?:)?//", element["href"]) and {"stylesheet", "preload", "icon"} & set(
                    element.get("rel", [])):
                outside.append(f"{path.relative_to(site)}: <link href={element['href']!r}>")
    assert not outside, "\n".join(outside[:30])


def test_no_page_declares_thebe_twice(html_files):
    """Jupyter Book 1's default set-up declares `const THEBE_JS_URL` twice: a SyntaxError on every page."""
    for path in html_files:
        text = path.read_text(encoding="utf-8")
        assert text.count("THEBE_JS_URL") <= 1, f"{path.name} declares THEBE_JS_URL more than once"


def test_maths_and_widget_scripts_are_served_by_the_site(site):
    info = json.loads((site / "_static" / "vendored" / "VERSIONS.json").read_text())
    assert info == {p.name: {"npm": p.npm, "version": p.version, "integrity": p.integrity}
                    for p in book_extension.PACKAGES}
    for needed in ("mathjax/es5/tex-mml-chtml.js", "requirejs/require.js", "html-manager/dist/embed-amd.js"):
        assert (site / "_static" / "vendored" / needed).is_file(), needed
    pages_with_maths = [p for p in PAGES if 'class="math' in (site / page_url(p)).read_text(encoding="utf-8")]
    assert pages_with_maths, "no page has maths"
    for page in pages_with_maths:
        scripts = [s.get("src", "") for s in soup_of(site / page_url(page)).find_all("script")]
        assert any("_static/vendored/mathjax/es5/tex-mml-chtml.js" in src for src in scripts), page


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_launch_buttons_open_this_notebook(site, page):
    repo, branch = sync_notebooks.repository()
    notebook = f"{page}.ipynb"
    links = {a.get("href") for a in soup_of(site / page_url(page)).find_all("a", href=True)}
    colab = sync_notebooks.colab_url(notebook, repo, branch)
    assert colab in links, f"no Colab launch button for {notebook} (expected {colab})"
    binder = [link for link in links if link.startswith("https://mybinder.org/v2/gh/")]
    assert binder and all(f"/v2/gh/{repo}/{branch}?" in link and notebook in unquote(link) for link in binder), binder
    hub = [link for link in links if "hub/user-redirect/git-pull" in link]
    assert hub and all(f"github.com/{repo}" in unquote(link) and notebook in unquote(link) for link in hub), hub


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_notebook_pages_link_to_their_ipynb(site, page):
    soup = soup_of(site / page_url(page))
    downloads = [a["href"] for a in soup.find_all("a", href=True) if a["href"].endswith(f"{Path(page).name}.ipynb")
                 and "_sources" in a["href"]]
    assert downloads, "no download link to the page's .ipynb"
    target = (site / page_url(page)).parent / downloads[0]
    notebook = json.loads(target.read_text(encoding="utf-8"))
    assert notebook["nbformat"] == 4 and notebook["cells"], "the downloadable notebook is not a notebook"


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_figure_has_alt_text(site, page):
    article = soup_of(site / page_url(page)).find("article")
    images = article.find_all("img")
    missing = [img.get("src", "")[:80] for img in images if not (img.get("alt") or "").strip()]
    assert not missing, (f"{len(missing)} of {len(images)} images without alt text (set the cell metadata "
                         f'{{"mystnb": {{"image": {{"alt": "..."}}}}}}): {missing[:10]}')


@pytest.mark.parametrize("page", PAGES)
def test_headings_are_in_order(site, page):
    article = soup_of(site / page_url(page)).find("article")
    levels = [int(tag.name[1]) for tag in article.find_all(re.compile(r"^h[1-6]$"))]
    assert levels and levels[0] == 1, f"the page must start with one level-1 heading, got {levels[:5]}"
    assert levels.count(1) == 1, f"{levels.count(1)} level-1 headings"
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not jumps, f"headings skip a level: {jumps} (in {levels})"


def test_navigation_shows_the_parts_of_the_book(site):
    info = build_info(site) or {}
    toc_path = Path(info.get("toc") or ROOT / "_toc.yml")
    expected = [part["caption"] for part in yaml.safe_load(toc_path.read_text(encoding="utf-8")).get("parts", [])]
    nav = soup_of(site / page_url(PAGES[0])).find("nav", class_="bd-links")
    captions = [caption.get_text(strip=True) for caption in nav.find_all(class_="caption")]
    assert captions == expected
