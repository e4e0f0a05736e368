"""The site's header search in Debian's Chromium: Guichet's index through /api/v1/suggest, lunr when it cannot answer."""

from __future__ import annotations

import functools
import json
import re
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from browser_fixtures import browser, page, service  # noqa: F401  (fixtures)

VIEWPORT = {"width": 1280, "height": 800}
pytestmark = [pytest.mark.browser, pytest.mark.slow]
BOX, LIST, STATUS = "#gh-search-input", "#gh-search-results", "#gh-search-status"


@pytest.fixture(scope="module")
def manifest(built_kb_site) -> dict:
    """Article id → its manifest entry (URL, audience) from the real build."""
    return json.loads((built_kb_site / "build" / "manifest.json").read_text(encoding="utf-8"))["articles"]


def search(page, text: str) -> list[str]:
    """Type ``text`` with real keys into the header search; return the result paths once the list answers it."""
    box = page.locator(BOX)
    box.click()
    box.fill("")
    page.evaluate("delete document.querySelector('#gh-search-results').dataset.ghQuery")
    box.press_sequentially(text, delay=15)
    page.wait_for_function("(t) => document.querySelector('#gh-search-results').dataset.ghQuery === t",
                           arg=" ".join(text.split()))
    return page.locator(f"{LIST} [role=option] a").evaluate_all("links => links.map(a => new URL(a.href).pathname)")


def url_of(manifest: dict, article: str) -> str:
    return "/" + manifest[article]["url"]


def test_the_header_search_ranks_the_right_article_first(page, manifest):
    page.goto("/")
    links = search(page, "mot de passe oublié")
    assert page.locator(LIST).get_attribute("data-gh-source") == "guichet"  # Guichet's index, not lunr
    # lunr put Bitwarden first and « Teams ne sonne plus » (tag ne-pas-deranger, « de ») second
    assert links[0] == url_of(manifest, "reinitialiser-mot-de-passe")
    assert url_of(manifest, "teams-notifications") not in links[:5]
    links = search(page, "imprimante")
    assert links[0] == url_of(manifest, "imprimante-hors-connexion")
    assert url_of(manifest, "wifi-invites-code") not in links[:3]  # lunr's second: the printers are named there
    first = page.locator(f"{LIST} [role=option]").first
    assert first.locator("mark").count() >= 1  # the passage, highlighted from the API's offsets
    assert "imprimante" in first.locator("mark").first.text_content().lower()


def test_arrows_enter_and_escape_drive_the_listbox(page, manifest):
    page.goto("/")
    links = search(page, "vpn")
    box, options = page.locator(BOX), page.locator(f"{LIST} [role=option]")
    assert page.locator(LIST).get_attribute("role") == "listbox" and box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "true" and options.count() == len(links) >= 2
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(0).get_attribute("id")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    page.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    assert options.nth(0).get_attribute("aria-selected") == "false"
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")  # back in the field, as in Material
    assert box.get_attribute("aria-activedescendant") is None
    page.keyboard.press("ArrowUp")  # and round to the last one
    assert box.get_attribute("aria-activedescendant") == options.nth(options.count() - 1).get_attribute("id")
    assert page.evaluate("document.activeElement.id") == "gh-search-input"  # focus never leaves the field
    page.keyboard.press("Escape")
    assert not page.locator("#__search").is_checked() and box.get_attribute("aria-expanded") == "false"
    assert not page.locator(f"{LIST} [role=option]").first.is_visible()
    search(page, "vpn")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # opens the active option
    page.wait_for_url(re.compile(re.escape(links[1]) + "$"))
    assert not page.locator("#__search").is_checked()
    search(page, "mot de passe oublié")
    page.keyboard.press("Enter")  # from the field: the best result
    page.wait_for_url(re.compile(re.escape(url_of(manifest, "reinitialiser-mot-de-passe")) + "$"))


def test_the_live_region_says_how_many_articles_were_found(page):
    page.goto("/")
    status = page.locator(STATUS)
    assert status.get_attribute("role") == "status" and status.get_attribute("aria-live") == "polite"
    assert page.locator(BOX).get_attribute("aria-describedby") == "gh-search-status"
    counts = []
    for text in ("imprimante", "imprimante hors connexion"):
        counts.append(len(search(page, text)))
        assert status.text_content() == ("1 fiche trouvée" if counts[-1] == 1 else f"{counts[-1]} fiches trouvées")
    assert max(counts) > 1
    assert search(page, "im") == []
    assert status.text_content() == "Tapez au moins 3 caractères"
    assert search(page, "qwxz vbnk plmo") == []  # nothing in Guichet's index, nothing in lunr's
    assert status.text_content().startswith("Aucune fiche trouvée")


def test_lunr_answers_when_the_service_is_unreachable(page, manifest):
    page.route("**/api/v1/suggest*", lambda route: route.abort())
    page.goto("/")
    links = search(page, "imprimante")
    assert page.locator(LIST).get_attribute("data-gh-source") == "offline"
    assert "recherche simplifiée" in page.locator(STATUS).text_content()
    assert url_of(manifest, "imprimante-hors-connexion") in links
    assert page.locator(f"{LIST} mark").count() >= 1  # lunr's matches, rebuilt as text and <mark> nodes
    assert all(re.fullmatch(r"/([a-z0-9-]+/){0,2}", link) for link in links)  # pages, never a #section


def test_lunr_answers_when_the_index_abstains(page):
    page.goto("/")
    search(page, "forgot my password")  # English on a French KB: Guichet abstains, lunr matches the words
    assert page.locator(LIST).get_attribute("data-gh-source") == "abstained"
    assert page.locator(STATUS).text_content().startswith("Aucune fiche ne répond exactement ;")


@pytest.fixture(scope="module")
def static_site(built_kb_site):
    """The built site alone, served statically (a reverse proxy without the service): no /api at all."""
    handler = functools.partial(QuietHandler, directory=str(built_kb_site / "build" / "site"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


def test_the_static_site_alone_still_searches_with_lunr(browser, static_site, manifest):
    context = browser.new_context(base_url=static_site, locale="fr-FR")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/")
        links = search(page, "mot de passe")
        assert page.locator(LIST).get_attribute("data-gh-source") == "offline"
        assert url_of(manifest, "reinitialiser-mot-de-passe") in links
    finally:
        context.close()


def test_technician_only_articles_never_appear(page, manifest, built_kb_site):
    internal = {a["title"]: article for article, a in manifest.items() if a["audience"] == "technicians"}
    assert len(internal) >= 3
    public_urls = {url_of(manifest, article) for article, a in manifest.items() if a["url"]}
    # lunr answers when Guichet abstains, and may offer the site's other pages (home, sections), never an article
    # left out of the site
    site_pages = {"/" + doc["location"] for doc in json.loads(
        (built_kb_site / "build" / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
        if "#" not in doc["location"]}
    other_pages = site_pages - public_urls
    assert not other_pages & {"/" + a["path"].removesuffix(".md") + "/" for a in manifest.values()}
    page.goto("/")
    sources = set()
    for title in sorted(internal)[:4]:  # their exact titles: the strongest match they could have
        links = search(page, title)
        sources.add(page.locator(LIST).get_attribute("data-gh-source"))
        shown = page.locator(f"{LIST} [role=option]").evaluate_all(
            "options => options.map(o => [o.dataset.ghArticle || null, o.querySelector('h1').textContent])")
        assert not {article for article, _ in shown} & set(internal.values())
        assert not {title for _, title in shown} & set(internal)
        assert set(links) <= public_urls | other_pages
    assert "guichet" in sources  # Guichet's index answered at least one of them


def test_the_search_still_works_after_an_instant_navigation(page, manifest):
    page.goto("/")
    page.evaluate("window.__sameDocument = true")
    page.locator(".md-tabs__link", has_text="Impression").click()
    page.wait_for_url(re.compile(r"/impression/"))
    assert page.evaluate("window.__sameDocument === true")  # Material's instant navigation, not a page load
    links = search(page, "mot de passe oublié")
    assert links[0] == url_of(manifest, "reinitialiser-mot-de-passe")
    page.locator(f"{LIST} [role=option] a").first.click()
    page.wait_for_url(re.compile(re.escape(links[0]) + "$"))
    assert page.evaluate("window.__sameDocument === true")
    assert not page.locator("#__search").is_checked()  # a chosen result closes the search
    links = search(page, "imprimante")  # and once more on the new page
    assert links[0] == url_of(manifest, "imprimante-hors-connexion")
    assert page.locator(STATUS).text_content().endswith("trouvées")
