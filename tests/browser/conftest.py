"""Fixtures of the browser tests: the built site, a loopback web server, headless Chromium.

The helpers live in ``book_site.py`` (imported by the test modules under that
unique name); this file only provides the session fixtures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from book_site import FULL_HTML, MISSING_SITE, Browser, MissingPrerequisite, SiteServer


@pytest.fixture(scope="session")
def site() -> Path:
    """The built full edition (fails with instructions when it has not been built)."""
    index = FULL_HTML / "index.html"
    if not index.exists():
        pytest.fail(MISSING_SITE.format(index=index), pytrace=False)
    return FULL_HTML


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site) as running:
        yield running


@pytest.fixture(scope="session")
def browser(server):
    try:
        chromium = Browser(server.base)
    except MissingPrerequisite as error:
        pytest.fail(str(error), pytrace=False)
    yield chromium
    chromium.close()
