"""What the browser tests share: Debian's chromium and how to start it here.

Playwright drives Debian's ``/usr/bin/chromium`` (it cannot download its own browsers on
this machine); the flags keep it off the network, which is closed here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("PMO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_MARKS = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed"),
]


@contextmanager
def chromium(base_url: str, viewport: Any) -> Iterator[Callable[[], Any]]:
    """A running chromium; yields ``new_context()`` for contexts on ``base_url``."""
    # Playwright's sync API runs an event loop in this thread; the ORM calls a test makes
    # between browser steps are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from django.db import connections
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield lambda: browser.new_context(base_url=base_url, viewport=viewport)
        finally:
            browser.close()
            # ORM calls made while Playwright's event loop is set get their own database
            # connection; left open, PostgreSQL could not drop the test database at the end
            connections.close_all()
