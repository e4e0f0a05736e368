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
