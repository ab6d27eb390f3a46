"""The pinned npm packages that the book serves itself (tools/book_extension.py)."""

from __future__ import annotations

import tarfile

import pytest
from book_site import book_extension


@pytest.fixture(scope="module")
def tarballs():
    """The cached tarballs (the build fetched them; fetching again only checks their checksums)."""
    return book_extension.ensure_vendored()


def test_pins_are_exact_versions_with_sha512():
    for package in book_extension.PACKAGES + book_extension.TEST_PACKAGES:
        assert package.version.count(".") == 2 and package.version.replace(".", "").isdigit(), package
        assert package.integrity.startswith("sha512-"), package


def test_cached_tarballs_match_their_pins(tarballs):
    for package in book_extension.PACKAGES + book_extension.TEST_PACKAGES:
        assert book_extension._integrity_of(tarballs[package.name]) == package.integrity


def test_served_files_are_the_few_the_pages_need(tarballs, tmp_path):
    vendored = book_extension.copy_vendored(tmp_path)
    served = {p.relative_to(vendored).as_posix() for p in vendored.rglob("*") if p.is_file()}
    for needed in ("mathjax/es5/tex-mml-chtml.js", "mathjax/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                   "mathjax/es5/input/tex/extensions/physics.js", "requirejs/require.js",
                   "html-manager/dist/embed-amd.js", "VERSIONS.json"):
        assert needed in served, needed
    # Not the whole packages: no source maps, no other MathJax combinations, no node code.
    assert not [name for name in served if name.endswith(".map")]
    assert "mathjax/es5/tex-svg-full.js" not in served
    assert "requirejs/bin/r.js" not in served
    with tarfile.open(tarballs["mathjax"]) as archive:
        assert len(served) < len(archive.getmembers())


def test_copy_is_skipped_when_up_to_date(tarballs, tmp_path):
    vendored = book_extension.copy_vendored(tmp_path)
    marker = vendored / "mathjax" / "es5" / "tex-mml-chtml.js"
    marker.write_text("left alone")
    book_extension.copy_vendored(tmp_path)
    assert marker.read_text() == "left alone", "an up-to-date copy must not be unpacked again"
    (vendored / "mathjax" / ".version").write_text("mathjax@0.0.1")
    book_extension.copy_vendored(tmp_path)
    assert marker.read_text() != "left alone", "a copy of another version must be replaced"


def test_a_tampered_tarball_is_refused(tarballs, tmp_path, monkeypatch):
    monkeypatch.setenv("DLMATH_VENDOR_CACHE", str(tmp_path))
    package = book_extension.PACKAGES[1]  # require.js, the smallest
    (tmp_path / package.tarball_name).write_bytes(tarballs[package.name].read_bytes() + b"\0")
    monkeypatch.setattr(book_extension.shutil, "which", lambda name: None)  # no refetch: npm "missing"
    with pytest.raises(book_extension.VendoringError, match="npm is needed"):
        book_extension.fetch(package)


def test_glob_patterns():
    regex = book_extension._glob_regex("es5/input/tex/extensions/**/*")
    assert regex.match("es5/input/tex/extensions/physics.js")
    assert regex.match("es5/input/tex/extensions/a/b.js")
    assert not regex.match("es5/input/tex.js")
    single = book_extension._glob_regex("dist/*.woff")
    assert single.match("dist/abc.woff") and not single.match("dist/x/abc.woff") and not single.match("dist/a.woff2")


def test_a_package_that_does_not_match_its_pin_is_refused(tmp_path, monkeypatch):
    """npm fetches the tarball, and the build refuses it because the checksum differs from the pin."""
    import dataclasses

    monkeypatch.setenv("DLMATH_VENDOR_CACHE", str(tmp_path))
    package = dataclasses.replace(book_extension.PACKAGES[1], integrity="sha512-" + "A" * 86 + "==")
    with pytest.raises(book_extension.VendoringError, match="checksum mismatch"):
        book_extension.fetch(package)
    assert not (tmp_path / package.tarball_name).exists(), "a refused tarball must not stay in the cache"


def test_test_packages_are_not_served_by_the_site(tarballs, tmp_path, site):
    """axe-core is for the tests: fetched and checked like the others, never copied into the book."""
    vendored = book_extension.copy_vendored(tmp_path)
    assert not (vendored / "axe-core").exists() and not (site / "_static" / "vendored" / "axe-core").exists()
    source = book_extension.test_package_file("axe-core", "axe.min.js")
    assert "axe.version" in source or "axe-core" in source
