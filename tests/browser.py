"""Debian's Chromium as Playwright drives it, shared by tests/e2e and tests/scaleout.

One session-wide browser (the `browser` fixture in tests/conftest.py): Playwright's sync
API keeps an event loop on the main thread, so a second `sync_playwright()` in the same
session would refuse to start.
"""

import os

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
