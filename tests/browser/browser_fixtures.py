"""Fixtures of the browser tests (imported by the modules: a conftest.py here would be a second `conftest` module)."""

from __future__ import annotations

import pytest

from browser_helpers import Staff, service_env, site_for_port, serving
from servers import free_port


@pytest.fixture(scope="module")
def service(built_kb_site, tmp_path_factory):
    """Yield the base URL of `guichet serve` with the demo company loaded."""
    port = free_port()
    env = service_env(built_kb_site, tmp_path_factory.mktemp("instance"))
    env["GUICHET_SITE_DIR"] = str(site_for_port(built_kb_site / "build" / "site", tmp_path_factory.mktemp("site"), port))
    with serving(env, port, demo=True) as base:
        yield base


@pytest.fixture(scope="module")
def browser(chromium):
    """Debian's Chromium (tests/conftest.py: fails in CI when missing)."""
    return chromium


@pytest.fixture(scope="module")
def staff(service) -> Staff:
    return Staff(service)


def open_tab(browser, service, viewport=None):
    """Return (context, French page on the service, JavaScript errors seen) — ``viewport`` None: Playwright's."""
    options = {"base_url": service, "locale": "fr-FR"}
    if viewport is not None:
        options["viewport"] = viewport
    context = browser.new_context(**options)
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, tab, errors


@pytest.fixture
def page(request, browser, service):
    """A page in French (the module's ``VIEWPORT`` if it sets one) that fails the test on any JavaScript error."""
    context, tab, errors = open_tab(browser, service, getattr(request.module, "VIEWPORT", None))
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"
