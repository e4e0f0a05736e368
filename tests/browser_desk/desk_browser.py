"""Fixtures and helpers of the desk and portal journeys (imported by the test modules: a conftest.py here
would be a second `conftest` module beside tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from servers import running_service

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
DEMO_PASSWORD = "demo-navigateur-2026"


def shot(page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot (the whole page, or what the window shows) under artifacts/screenshots/ (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


def sign_in(page, email: str) -> None:
    """Sign in through the form, as a person would."""
    page.goto("/connexion")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url("**/connexion")


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """Serve a fresh demo company on loopback with the production cookie (__Host-, Secure: Chromium trusts 127.0.0.1)."""
    instance = tmp_path_factory.mktemp("desk-instance")
    site = tmp_path_factory.mktemp("desk-site")
    env = {"GUICHET_INSTANCE_PATH": str(instance), "GUICHET_SITE_DIR": str(site), "GUICHET_DEMO_MODE": "true",
           "GUICHET_DEMO_PASSWORD": DEMO_PASSWORD,
           "GUICHET_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "GUICHET_KB_REVISION": "browser-test"}
    with running_service(env, cwd=ROOT, demo=True) as base:
        yield base


@pytest.fixture
def page(chromium, service):
    """A fresh page whose Content-Security-Policy violations and script errors fail the test."""
    context = chromium.new_context(base_url=service, locale="fr-FR", accept_downloads=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_default_timeout(10_000)
    yield page
    context.close()
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
