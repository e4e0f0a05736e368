"""Fixtures of the browser tests (imported by the modules: a conftest.py here would be a second `conftest` module)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from browser_helpers import CHROMIUM_ARGS, ROOT, Staff, service_env, site_for_port, serving
from servers import free_port


@pytest.fixture(scope="module")
def service(built_kb_site, tmp_path_factory):
    """Yield the base URL of `guichet serve` with the demo company loaded."""
    port = free_port()
    env = service_env(built_kb_site, tmp_path_factory.mktemp("instance"))
    env["GUICHET_SITE_DIR"] = str(site_for_port(built_kb_site / "build" / "site", tmp_path_factory.mktemp("site"), port))
    environment = {**os.environ, **env}
    for command in (["db", "upgrade"], ["demo", "load"]):
        subprocess.run([sys.executable, "-m", "ticket_service", *command], cwd=ROOT, env=environment, check=True,
                       capture_output=True, timeout=120)
    with serving(env, port) as base:
        yield base


@pytest.fixture(scope="module")
def browser(chromium_path):
    """Debian's Chromium through Playwright (fails in CI when missing: see chromium_path)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def staff(service) -> Staff:
    return Staff(service)
