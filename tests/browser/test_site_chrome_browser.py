"""The site's chrome in Debian's Chromium: header links into the service, a French footer, the known-issue banner."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from browser_fixtures import browser, open_tab, page, service  # noqa: F401  (fixtures)
from browser_helpers import DEMO_PASSWORD

VIEWPORT = {"width": 1280, "height": 800}
pytestmark = [pytest.mark.browser, pytest.mark.slow]
HELP = "/demander-de-l-aide/"
PARIS = ZoneInfo("Europe/Paris")  # organisation.timezone of helpdesk.yml
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, service):
    context, tab, errors = open_tab(browser, service, PHONE)
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors: {errors}"


def major_incident(page) -> dict:
    return page.evaluate("fetch('/api/v1/incidents/major').then(r => r.json()).then(b => b.items.find(i => i.major))")


def test_the_header_leads_to_my_requests_and_to_help(page, service):
    for path in ("/", "/impression/imprimante-hors-connexion/"):
        page.goto(path)
        header = page.locator("header.md-header")
        mine = header.get_by_role("link", name="Mes demandes")
        assert mine.evaluate("a => new URL(a.href).pathname") == "/mes-demandes" and mine.is_visible()
        help_link = header.get_by_role("link", name="Demander de l'aide")
        assert help_link.evaluate("a => new URL(a.href).pathname") == HELP
    page.locator("header.md-header").get_by_role("link", name="Mes demandes").click()
    page.wait_for_url(re.compile(r"/(connexion|mes-demandes)"))
    page.locator("input[type=email]").fill("claire.rousseau@ferrand-associes.fr")
    page.locator("input[type=password]").fill(DEMO_PASSWORD)
    page.locator("input[type=password]").press("Enter")
    page.wait_for_url(re.compile(r"/mes-demandes$"))  # the employee portal, past the sign-in
    page.goto("/")
    page.locator("header.md-header").get_by_role("link", name="Demander de l'aide").click()
    page.locator("#gh-title").wait_for()


def test_on_a_phone_the_header_links_are_icons_with_their_names(phone):
    phone.goto("/")
    for name in ("Mes demandes", "Demander de l'aide"):
        link = phone.locator("header.md-header").get_by_role("link", name=name)
        box = link.bounding_box()
        assert link.is_visible() and box["width"] <= 60 and box["y"] + box["height"] <= 120  # in the header bar


def test_the_footer_speaks_french(page):
    page.goto("/")
    footer = page.locator(".md-footer").inner_text()
    assert "Made with" not in footer and "Material for MkDocs" not in footer
    assert "Ferrand & Associés" in footer


def test_the_banner_names_the_button_it_asks_to_click(page):
    def with_a_second_incident(route):
        body = route.fetch().json()
        first = next(i for i in body["items"] if i["major"])
        body["items"].append({**first, "id": first["id"] + 10_000, "title": "Standard téléphonique en panne",
                              "text": "Les appels entrants n'aboutissent plus."})
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))

    page.route("**/api/v1/incidents/major", with_a_second_incident)
    page.goto("/")
    banner = page.locator("#gh-banner")
    banner.locator(".gh-banner__item").nth(1).wait_for()
    buttons = {b.casefold() for b in banner.locator(".gh-banner__join").all_text_contents()}
    for item in banner.locator(".gh-banner__item").all():
        # the technician's text (« cliquez sur « moi aussi » ») or our hint when the text says nothing of it
        asked = re.findall(r"cliquez sur « ([^»]+) »", item.inner_text())
        assert asked and all(a.strip().casefold() in buttons for a in asked), item.inner_text()
    assert buttons == {"moi aussi"}
    join = banner.get_by_role("button", name="Moi aussi, je suis concerné : Standard téléphonique en panne")
    assert join.is_visible()


def expected_since(since: datetime, now: datetime) -> str:
    """The banner's wording, built with Babel (the page uses the browser's Intl: two implementations agree)."""
    local, today = since.astimezone(PARIS), now.astimezone(PARIS)
    hour = local.strftime("%H h %M")
    if local.date() == today.date():
        return f"depuis {hour}"
    day = "1er" if local.day == 1 else str(local.day)
    year = "" if local.year == today.year else f" {local.year}"
    return f"depuis le {format_date(local, 'EEEE', locale='fr')} {day} {format_date(local, 'MMMM', locale='fr')}{year} à {hour}"


@pytest.mark.parametrize("later", [timedelta(0), timedelta(days=2), timedelta(days=400)],
                         ids=["today", "days-later", "another-year"])
def test_the_banner_dates_an_incident_that_did_not_start_today(page, later):
    page.goto("/")
    since = datetime.fromisoformat(major_incident(page)["since"])
    now = since + later
    page.clock.set_fixed_time(now)  # the visitor's clock: the incident is from today, two days ago, last year
    page.reload()
    shown = page.locator(".gh-banner__since").first
    shown.wait_for()
    assert shown.text_content() == expected_since(since, now)
    if later:
        assert re.fullmatch(r"depuis le \w+ (1er|\d{1,2}) \w+( \d{4})? à \d\d h \d\d", shown.text_content())


def test_on_a_phone_the_banner_folds_to_one_line_and_the_suggestions_stay_in_view(phone, service):
    phone.goto(HELP)
    toggle = phone.locator(".gh-banner__toggle")
    toggle.wait_for()
    title = major_incident(phone)["title"]
    assert toggle.get_attribute("aria-expanded") == "false" and toggle.text_content() == "Détails"
    assert title in phone.locator(".gh-banner__summary").text_content()
    assert not phone.locator(".gh-banner__join").first.is_visible()
    banner, header = phone.locator(".md-banner").bounding_box(), phone.locator(".md-header").bounding_box()
    assert banner["height"] <= 56 and header["y"] + header["height"] <= 110  # was a third of the screen
    phone.locator("#gh-title").press_sequentially("imprimante hors connexion", delay=20)
    first = phone.locator(".gh-suggestion").first
    first.wait_for()
    box = first.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"]  # the first suggestion whole, above the fold
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and toggle.text_content() == "Réduire"
    assert phone.locator(".gh-banner__join").first.is_visible()
    phone.reload()  # remembered for the session
    phone.locator(".gh-banner__toggle[aria-expanded=true]").wait_for()
    phone.locator(".gh-banner__toggle").click()
    phone.goto("/")
    phone.locator(".gh-banner__toggle[aria-expanded=false]").wait_for()
    phone.locator("header.md-header").get_by_role("link", name="Demander de l'aide").click()  # instant navigation
    phone.wait_for_url(re.compile(re.escape(HELP)))
    phone.locator(".gh-banner__toggle[aria-expanded=false]").wait_for()


def test_on_a_wide_screen_the_banner_starts_unfolded(page):
    page.goto("/")
    page.locator(".gh-banner__toggle[aria-expanded=true]").wait_for()
    assert page.locator(".gh-banner__join").first.is_visible()
    assert not page.locator(".gh-banner__summary").is_visible()
