"""The book's own Sphinx extension: a self-contained site, and two editions.

``_config.yml`` loads this module (``sphinx.local_extensions``), so a plain
``jupyter-book build .`` gets it too; ``tools/build_book.py`` is the usual way in.
It does three things.

1. **Vendoring.** MathJax, require.js and the ipywidgets HTML manager are
   served by the site itself, so the book works offline and requests nothing
   from elsewhere. They come from their npm packages at the versions pinned in
   :data:`PACKAGES`, checked against the registry's sha512 integrity. ``npm
   pack`` fetches each tarball once into a cache folder (``_build/vendor-cache``,
   or ``$DLMATH_VENDOR_CACHE``); after a build the files the pages need are
   unpacked into ``<html>/_static/vendored/<name>/`` (once: a rebuild skips it).
   Neither the cache nor the copies are in an ``html_static_path``: Jupyter
   Book adds *every* ``.js`` and ``.css`` file of those folders to *every* page,
   which for MathJax's hundreds of files would break every page.
   ``_config.yml`` points ``mathjax_path`` and ``nb_ipywidgets_js`` at the copies.

2. **Editions.** ``dlmath_edition = "student"`` (``build_book.py --edition
   student`` sets it) removes every solution from the pages: notebook cells
   tagged ``solution``, admonitions and dropdowns with the class ``solution``
   (``:class: dropdown solution``), and sphinx-exercise's ``{solution}`` blocks
   (its ``hide_solutions`` is switched on), from the pages and from the page
   sources offered for download (``_sources/*.ipynb``). ``build_book.py`` also
   leaves the Solutions part out of the table of contents.

3. **Checks.** A page that would load a script or stylesheet from elsewhere,
   or that saved a widget from a package other than ipywidgets' own (which the
   offline manager cannot render), gets a warning: an error under ``-W``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent

#: Where the copies go, under the HTML output's ``_static`` folder.
VENDOR_DIR = "vendored"


@dataclass(frozen=True)
class Package:
    """An npm package whose files the site serves itself."""

    name: str          # its folder under _static/vendored/
    npm: str           # the npm package name
    version: str       # pinned exact version
    integrity: str     # the registry's dist.integrity (sha512, base64)
    files: tuple = field(default_factory=tuple)  # glob patterns, relative to the package folder

    @property
    def spec(self) -> str:
        return f"{self.npm}@{self.version}"

    @property
    def tarball_name(self) -> str:
        # npm pack's file name: scope and name joined by "-", without "@"
        return f"{self.npm.lstrip('@').replace('/', '-')}-{self.version}.tgz"


#: The pinned packages. Bump a version together with its integrity
#: (``npm view PACKAGE@VERSION dist.integrity``).
PACKAGES = (
    # MathJax 3 (Sphinx's default major version), TeX input and CommonHTML output,
    # with the on-demand TeX extensions, fonts, menu and accessibility modules.
    Package("mathjax", "mathjax", "3.2.2",
            "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
            ("LICENSE", "es5/tex-mml-chtml.js", "es5/input/tex/extensions/**/*", "es5/output/chtml/fonts/woff-v2/*",
             "es5/ui/*", "es5/a11y/*", "es5/sre/**/*", "es5/adaptors/*")),
    # require.js: the module loader the widget manager runs on.
    Package("requirejs", "requirejs", "2.3.7",
            "sha512-DouTG8T1WanGok6Qjg2SXuCMzszOo0eHeH9hDZ5Y4x8Je+9JB38HdTLT4/VA8OaUhBa0JPVHJ0pyBkM1z+pDsw==",
            ("require.js",)),
    # The ipywidgets 8 HTML manager: renders the widget state saved in the notebooks.
    Package("html-manager", "@jupyter-widgets/html-manager", "1.0.15",
            "sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA==",
            # Its icon and text fonts; .eot and .svg fonts only served browsers of the past.
            ("dist/embed-amd.js", "dist/embed.js.LICENSE.txt", "dist/*.woff2", "dist/*.woff", "dist/*.ttf")),
)


#: Pinned packages the *tests* use, fetched and checked like the others but never copied into
#: the site: axe-core, the accessibility engine of browsers' own audits, which the browser tests
#: inject into every page (``tests/browser/test_accessibility.py``).
TEST_PACKAGES = (
    Package("axe-core", "axe-core", "4.14.1",
            "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
            ("axe.min.js", "LICENSE")),
)


class VendoringError(RuntimeError):
    """A pinned package could not be fetched or did not match its checksum."""


def cache_dir() -> Path:
    """The folder that holds the fetched tarballs (outside every path Sphinx copies or scans)."""
    return Path(os.environ.get("DLMATH_VENDOR_CACHE", ROOT / "_build" / "vendor-cache"))


def _integrity_of(path: Path) -> str:
    digest = hashlib.sha512(path.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode()


def fetch(package: Package) -> Path:
    """Return the checked tarball of ``package``, fetching it with ``npm pack`` the first time.

    Its sha512 must equal the pinned integrity, whatever the registry says.
    """
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / package.tarball_name
    if target.exists() and _integrity_of(target) == package.integrity:
        return target
    npm = shutil.which("npm")
    if not npm:
        raise VendoringError(
            f"npm is needed once, to fetch {package.spec} (MathJax, require.js and the widget manager are "
            "served by the book itself). Install it (Debian/Ubuntu: `apt-get install npm`) and build again.")
    result = subprocess.run([npm, "pack", package.spec, "--pack-destination", str(folder), "--silent"],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise VendoringError(f"`npm pack {package.spec}` failed:\n{result.stderr.strip()}")
    if not target.exists():
        raise VendoringError(f"`npm pack {package.spec}` did not write {target}")
    found = _integrity_of(target)
    if found != package.integrity:
        target.unlink()
        raise VendoringError(f"{package.spec}: checksum mismatch (pinned {package.integrity}, got {found})")
    return target


def ensure_vendored() -> dict[str, Path]:
    """Fetch (once) every pinned package, the site's and the tests'; return ``{name: tarball}``."""
    return {package.name: fetch(package) for package in PACKAGES + TEST_PACKAGES}


def test_package_file(name: str, path: str) -> str:
    """The text of ``path`` inside the pinned test package ``name`` (fetched once, checksum checked)."""
    package = next(p for p in TEST_PACKAGES if p.name == name)
    with tarfile.open(fetch(package)) as archive:
        member = archive.getmember(f"package/{path}")
        with archive.extractfile(member) as source:
            return source.read().decode("utf-8")


def _glob_regex(pattern: str) -> re.Pattern:
    """``*`` matches within one folder, ``**/`` any number of folders."""
    parts = re.split(r"(\*\*/|\*)", pattern)
    regex = "".join("(?:.*/)?" if part == "**/" else "[^/]*" if part == "*" else re.escape(part) for part in parts)
    return re.compile(regex + r"\Z")


def served_members(package: Package, archive: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The files of ``package`` that the site serves (npm tarballs hold them under ``package/``)."""
    members = [m for m in archive.getmembers() if m.isfile() and m.name.startswith("package/")]
    chosen = {}
    for pattern in package.files:
        regex = _glob_regex(pattern)
        matches = [m for m in members if regex.match(m.name[len("package/"):])]
        if not matches:
            raise VendoringError(f"{package.spec}: no file matches {pattern!r}")
        chosen.update((m.name, m) for m in matches)
    return [chosen[name] for name in sorted(chosen)]


def copy_vendored(static_dir: Path) -> Path:
    """Unpack the served files of every package into ``static_dir/vendored/<name>/``.

    A package whose copy is already there, at the pinned version and with the
    same file patterns, is skipped, so a rebuild costs nothing. Returns the
    ``vendored`` folder.
    """
    vendored = static_dir / VENDOR_DIR
    for package in PACKAGES:
        target = vendored / package.name
        stamp, wanted = target / ".version", f"{package.spec} {' '.join(package.files)}"
        if stamp.exists() and stamp.read_text() == wanted:
            continue
        if target.exists():
            shutil.rmtree(target)
        with tarfile.open(fetch(package)) as archive:
            for member in served_members(package, archive):
                destination = target / member.name[len("package/"):]
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.extractfile(member) as source:
                    destination.write_bytes(source.read())
        stamp.write_text(wanted)
    (vendored / "VERSIONS.json").write_text(json.dumps(
        {p.name: {"npm": p.npm, "version": p.version, "integrity": p.integrity} for p in PACKAGES}, indent=2) + "\n")
    return vendored


# --- Sphinx hooks -----------------------------------------------------------

#: Widget modules the vendored manager renders by itself; any other would be fetched from a CDN.
BUILTIN_WIDGET_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}


def _fetch_on_init(app) -> None:
    if app.builder.format != "html":
        return
    try:
        ensure_vendored()
    except VendoringError as error:
        raise ExtensionError(f"[dlmath] {error}") from error


def _is_solution(node: nodes.Element) -> bool:
    classes = node.get("classes", [])
    return "solution" in classes or "tag_solution" in classes


def _remove_solutions(app, doctree) -> None:
    """In the student edition, drop every solution from the page."""
    if app.config.dlmath_edition != "student":
        return
    for node in list(doctree.findall(nodes.Element)):
        if node.parent is not None and _is_solution(node):
            node.parent.remove(node)


_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>:{3,}|`{3,})\{(?P<name>[\w:-]+)\}")


def strip_solution_text(text: str) -> str:
    """Remove solution blocks from MyST Markdown: ``{solution}`` blocks, blocks with the class
    ``solution``, and everything from ``{solution-start}`` to ``{solution-end}``."""
    lines = text.splitlines(keepends=True)
    kept, index, skipping_range = [], 0, False
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if not match:
            if not skipping_range:
                kept.append(lines[index])
            index += 1
            continue
        fence, name = match.group("fence"), match.group("name")
        closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        block = lines[index:end + 1]
        options = [line for line in block[1:] if line.strip().startswith(":")]
        is_solution = name == "solution" or any(
            line.strip().startswith(":class:") and "solution" in line.split() for line in options)
        if name == "solution-start":
            skipping_range = True
        elif name == "solution-end":
            skipping_range = False
        elif not is_solution and not skipping_range:
            kept.extend(block)
        index = end + 1
    return "".join(kept)


def strip_solution_notebook(notebook: dict) -> dict:
    """A notebook without its cells tagged ``solution`` and without solution blocks in its Markdown."""
    cells = []
    for cell in notebook.get("cells", []):
        if "solution" in cell.get("metadata", {}).get("tags", []):
            continue
        if cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else source
            stripped = strip_solution_text(text)
            if stripped != text:
                cell = dict(cell, source=stripped)
        cells.append(cell)
    return dict(notebook, cells=cells)


def strip_solution_sources(html_dir: Path) -> None:
    """Remove solutions from the page sources the student edition offers for download."""
    for source in (html_dir / "_sources").rglob("*"):
        if source.suffix == ".ipynb":
            notebook = json.loads(source.read_text(encoding="utf-8"))
            stripped = strip_solution_notebook(notebook)
            if stripped != notebook:
                source.write_text(json.dumps(stripped, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        elif source.suffix == ".md":
            text = source.read_text(encoding="utf-8")
            stripped = strip_solution_text(text)
            if stripped != text:
                source.write_text(stripped, encoding="utf-8")


def _check_edition(app, config) -> None:
    if config.dlmath_edition not in ("full", "student"):
        raise ExtensionError(f"[dlmath] dlmath_edition must be 'full' or 'student', not {config.dlmath_edition!r}")
    if config.dlmath_edition == "student" and "hide_solutions" in config:
        config.hide_solutions = True  # sphinx-exercise's {solution} blocks


def _external(url: str) -> bool:
    return "://" in url or url.startswith("//")


def _check_page_assets(app, pagename, templatename, context, doctree) -> None:
    """Warn about a script or stylesheet from elsewhere, or a widget the manager cannot render offline."""
    for asset in list(context.get("script_files", [])) + list(context.get("css_files", [])):
        url = getattr(asset, "filename", str(asset)) or ""
        if _external(url):
            logger.warning(f"[dlmath] {pagename}: external asset {url!r}; the book must load nothing from "
                           "outside itself (vendor it in tools/book_extension.py)")
    try:
        from myst_nb.sphinx_ import NbMetadataCollector
        state = NbMetadataCollector.get_js_files(app.env, pagename).get("ipywidgets_state")
    except (ImportError, KeyError):
        state = None
    if not state:
        return
    models = json.loads(state[1]["body"]).get("state", {})
    foreign = sorted({model.get(key) for model in models.values() for key in ("model_module", "view_module")
                      if model.get(key) and model.get(key) not in BUILTIN_WIDGET_MODULES})
    if foreign:
        logger.warning(f"[dlmath] {pagename}: saved widgets from {', '.join(foreign)} cannot be shown offline; "
                       "use ipywidgets' own controls (dlmath.widgets) instead")


def sync_static_files(app) -> None:
    """Copy the book's own static files (``book/_static``) that changed since the last build.

    Sphinx copies static files only when at least one page is rewritten, so an
    edited stylesheet would otherwise wait for the next edited page.
    """
    target = Path(app.outdir) / "_static"
    for entry in app.config.html_static_path:
        folder = (Path(app.confdir) / entry).resolve()
        if not folder.is_dir() or ROOT not in folder.parents:
            continue  # a theme's or an extension's folder: Sphinx's business
        for source in folder.rglob("*"):
            if source.is_file() and not source.name.startswith("."):
                destination = target / source.relative_to(folder)
                if not destination.exists() or destination.read_bytes() != source.read_bytes():
                    destination.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, destination)


def _finish(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    try:
        copy_vendored(Path(app.outdir) / "_static")
    except VendoringError as error:
        raise ExtensionError(f"[dlmath] {error}") from error
    sync_static_files(app)
    prune_stale_pages(app)
    if app.config.dlmath_edition == "student":
        strip_solution_sources(Path(app.outdir))
    write_build_info(app)


#: Pages Sphinx writes that have no source document.
GENERATED_PAGES = {"genindex", "search", "index", "py-modindex"}


def prune_stale_pages(app) -> None:
    """Delete the pages (and their downloadable sources) of documents no longer in the book.

    Sphinx never removes the output of a page that left the table of contents;
    left there, it would still be served, and could link to pages that are gone.
    """
    outdir = Path(app.outdir)
    keep = set(app.env.found_docs) | GENERATED_PAGES
    for page in outdir.rglob("*.html"):
        relative = page.relative_to(outdir)
        if relative.parts[0] in ("_static", "_sources", "_images") or relative.parts[0].startswith("."):
            continue
        if relative.with_suffix("").as_posix() not in keep:
            page.unlink()
    for source in (outdir / "_sources").rglob("*"):
        if source.is_file():
            docname = source.relative_to(outdir / "_sources").as_posix()
            docname = docname[: -len(".txt")] if docname.endswith(".txt") else docname
            if Path(docname).with_suffix("").as_posix() not in keep:
                source.unlink()


#: Written next to index.html: which edition this is, from which table of contents, with which pages.
BUILD_INFO = ".dlmath-build.json"


def write_build_info(app) -> None:
    """Record the edition, the table of contents and the pages, for the browser tests and the benchmark."""
    info = {
        "edition": app.config.dlmath_edition,
        "toc": str(getattr(app.config, "external_toc_path", "") or ""),
        "root": app.config.root_doc,
        "pages": sorted(app.env.found_docs),
        "vendored": {p.name: p.version for p in PACKAGES},
    }
    (Path(app.outdir) / BUILD_INFO).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")


def setup(app):
    app.add_config_value("dlmath_edition", "full", "env", types=[str])
    app.connect("config-inited", _check_edition)
    app.connect("builder-inited", _fetch_on_init)
    app.connect("doctree-read", _remove_solutions)
    app.connect("html-page-context", _check_page_assets)
    app.connect("build-finished", _finish)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
