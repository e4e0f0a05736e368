"""`guichet serve` (waitress) serves the built French KB at / — checked over HTTP and in Chromium."""

from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request

import pytest

from guichet_testing import ROOT
from servers import running_service

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(built_kb_site, tmp_path_factory):
    instance = tmp_path_factory.mktemp("instance")
    env = {"GUICHET_SITE_DIR": str(built_kb_site / "build" / "site"), "GUICHET_INSTANCE_PATH": str(instance)}
    with running_service(env, cwd=ROOT) as base:
        yield base


def get(url: str) -> tuple[int, str, dict]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode("utf-8"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


def test_home_is_the_french_kb(service):
    status, body, headers = get(service + "/")
    assert status == 200
    assert '<html lang="fr"' in body
    assert headers["Server"] == "guichet"  # waitress, not the development server


def test_article_folders_resolve_to_their_page(service):
    status, body, _ = get(service + "/messagerie/")
    assert status in (200, 404)
    status, body, _ = get(service + "/search/search_index.json")
    assert status == 200 and '"lang":["fr"]' in body.replace(" ", "")


def test_unknown_page_is_404_and_traversal_is_refused(service):
    status, body, _ = get(service + "/nulle-part/")
    assert status == 404
    assert "Page introuvable" in body and "Not found" not in body  # the French page, with the way to get help
    help_link = re.search(r'<a href="([^"]+)">Demander de l\'aide</a>', body).group(1)
    assert get(urllib.parse.urljoin(service + "/nulle-part/", help_link))[0] == 200
    assert get(service + "/../pyproject.toml")[0] in (400, 404)
    assert get(service + "/%2e%2e/pyproject.toml")[0] in (400, 404)


@pytest.mark.browser
def test_home_renders_in_chromium(service, chromium):
    with chromium.new_context() as context:
        page = context.new_page()
        page.goto(service + "/")
        assert page.locator("html").get_attribute("lang") == "fr"
        assert page.locator("input[name=query]").get_attribute("placeholder") == "Rechercher"
        assert page.get_by_text("Messagerie & agenda").first.is_visible()
        # Material reads the query on keyup, on focus and when its search worker is ready, never on `input`:
        # Playwright's fill() alone is lost once the worker is ready. Type real keys; a query typed earlier waits
        # for the worker.
        box = page.locator("input[name=query]")
        box.click()
        box.press_sequentially("vpn")
        page.locator(".md-search-result__item").first.wait_for(timeout=30000)
        screenshots = ROOT / "artifacts" / "screenshots"
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots / "kb-home.png"), full_page=True)
