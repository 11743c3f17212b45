"""Real-browser harness: Playwright drives Debian's Chromium against a live Django server.

Later issues add their journeys here. `assert_accessible(page)` runs axe-core (bundled by
axe-playwright-python) and fails on any serious or critical violation.
"""

import io
import os
import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread

# Playwright's sync API keeps an event loop on this thread; the ORM calls the tests make
# between browser steps are ordinary synchronous calls, so Django's guard is relaxed here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", Path(__file__).parent / "screenshots"))
AXE = Axe()


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def server(transactional_db):
    """A live server that serves static files the production way (WhiteNoise, manifest)."""
    thread = LiveServerThread(
        "127.0.0.1", static_handler=lambda app: app, connections_override={}, port=0
    )
    thread.daemon = True
    thread.start()
    thread.is_ready.wait()
    if thread.error:
        raise thread.error
    yield f"http://127.0.0.1:{thread.port}"
    thread.terminate()
    connections.close_all()


CSP_VIOLATION = re.compile(r"Content.Security.Policy|Refused to (load|execute|apply|frame)", re.I)


def watch_csp(page, violations: list[str]) -> None:
    """Collect every Content-Security-Policy violation Chromium reports for this page."""
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if CSP_VIOLATION.search(message.text)
            else None
        ),
    )


@pytest.fixture(autouse=True)
def csp_violations(browser):
    """Every page of every browser context a test opens (a board's second context, a
    phone-sized one) runs under the site's CSP, and any violation fails the test."""
    violations: list[str] = []
    new_context = browser.new_context

    def watched_context(*args, **kwargs):
        context = new_context(*args, **kwargs)
        context.on("page", lambda new_page: watch_csp(new_page, violations))
        return context

    browser.new_context = watched_context
    yield violations
    del browser.new_context
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def demo_data(transactional_db):
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())


def screenshot(page, name: str) -> Path:
    """Keep a picture of a step, for a person to look at (tests/e2e/screenshots/)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=path, full_page=True)
    return path


def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the current page."""
    results = AXE.run(page)
    bad = [v for v in results.response["violations"] if v["impact"] in {"serious", "critical"}]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + "; ".join(node["target"][0] for node in v["nodes"][:3])
        for v in bad
    )
    assert not bad, f"axe-core violations on {page.url}:\n{report}"
